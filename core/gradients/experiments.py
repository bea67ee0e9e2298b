"""The three experiments as jobs of the job engine (kind "cell"): submit, run in a worker."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from core.schema import Settings

if TYPE_CHECKING:

    from core.data import ImdbData
    from core.jobs import Job, JobContext

from core.gradients.exploding import ExplodingSettings, run_exploding
from core.gradients.long_range import LongRangeSettings, run_long_range
from core.gradients.reviews import ReviewGradientSettings, run_review_gradients

EXPERIMENTS = {"long_range": (LongRangeSettings, run_long_range),
               "reviews": (ReviewGradientSettings, run_review_gradients),
               "exploding": (ExplodingSettings, run_exploding)}


def cell_job(job: JobContext, config: dict[str, Any], data: ImdbData | None = None
             ) -> list[dict[str, Any]]:
    """The "cell" job's runner, in a Ray worker: one experiment of Inside the cell.

    `config` is {"experiment": a key of EXPERIMENTS, "settings": its settings as a dict}."""
    settings_class, run = EXPERIMENTS[config["experiment"]]
    settings = settings_class.from_dict(config["settings"])
    if config["experiment"] == "reviews":
        return run(settings, data, job)
    return run(settings, job)


def submit_experiment(experiment: str, title: str, settings: Settings,
                      data: ImdbData | None = None, owner: str | None = None,
                      user: str | None = None) -> Job:
    """Queue one experiment of Inside the cell; `core.schema.SettingsError` if its
    settings cannot run (the one check: the worker trusts them)."""
    from core.jobs import JobSpec, engine

    settings.check()
    spec = JobSpec("cell", title, {"experiment": experiment, "settings": settings.to_dict()},
                   owner, user)
    return engine().submit(spec, data=data)
