"""The plan a user sets for a comparison (`ComparePlan`: `base`'s settings for every
architecture, next to the baselines), what a click on it would do, and how long it may take.

A model already trained with identical settings (same `ModelConfig.key()`) on as many
reviews as this comparison would use is reused from the run store rather than trained again,
so re-running a comparison only trains what is new.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pandas as pd

from core.baselines import BASELINE_NAMES, BASELINES
from core.config import ARCH_LABELS, ARCHITECTURES, SHIPPED_ARCHS, ModelConfig
from core.jobs import DONE
from core.schema import Settings, first_problems, knob
from core.training import KIND, split_reviews

if TYPE_CHECKING:
    from core.data import ImdbData
    from core.runs import RunInfo, RunStore

DEFAULT_ARCHS = SHIPPED_ARCHS


@dataclass
class ComparePlan(Settings):
    """What one click of "Compare" trains: `base`'s settings for every architecture."""

    base: ModelConfig
    archs: tuple[str, ...] = knob(
        DEFAULT_ARCHS, "Architectures", "Trained in this order. The stacked BiLSTM is the slowest.",
        many=True, item="architecture", choices=ARCHITECTURES, choice_labels=ARCH_LABELS)
    baselines: tuple[str, ...] = knob(
        BASELINES, "Baselines",
        "Scored on the same test reviews; no recurrent network. The trained ones (TF-IDF, "
        "NB-LR) learn from the same training reviews as the networks. NB-LR, the strongest, "
        "takes about a minute on 25,000 reviews.",
        many=True, at_least=0, item="baseline", choices=BASELINES, choice_labels=BASELINE_NAMES)

    def configs(self) -> list[ModelConfig]:
        """`base` with each architecture and nothing else changed (the fair comparison).

        Only the BiLSTMs read both ways, whatever `base` says; `ModelConfig` wires them.
        """
        return [dataclasses.replace(self.base, arch=arch, bidirectional=False)
                for arch in self.archs]

    def rules(self) -> dict[str, str]:
        """The shared settings, checked for every architecture."""
        return first_problems(*(config.validate() for config in self.configs()))

    def to_dict(self) -> dict[str, Any]:
        return {"base": self.base.to_dict(), "archs": list(self.archs),
                "baselines": list(self.baselines)}

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> ComparePlan:
        return cls(ModelConfig.from_dict(values["base"]), archs=tuple(values["archs"]),
                   baselines=tuple(values["baselines"]))

    def check(self, data: ImdbData) -> dict[str, str]:
        """`validate` plus what depends on the dataset (enough reviews, a test set)."""
        from core.training import check_against_data

        problems = self.validate()
        if "archs" not in problems and self.archs:
            for name, message in check_against_data(self.configs()[0], data).items():
                problems.setdefault(name, message)
        return problems


def labelled_test(data: ImdbData) -> pd.DataFrame:
    return data.test[data.test["label"].notna()].reset_index(drop=True)


def data_sizes(config: ModelConfig, data: ImdbData) -> dict[str, int]:
    """How many reviews a run with `config` trains, validates and tests on with `data`
    (the names `core.training` saves them under in a run's metrics)."""
    train, val = split_reviews(config, data)
    return {"train_reviews": len(train), "val_reviews": len(val),
            "test_reviews": len(labelled_test(data))}


def _settings_key(config: dict[str, Any]) -> str | None:
    """The run's settings hashed as today's `ModelConfig` would hash them.

    A run saved before a field was added lacks it, and `from_dict` fills in the default it
    was trained with; the key stored at training time would never match again.
    """
    try:
        return ModelConfig.from_dict(config).key()
    except (TypeError, ValueError, AttributeError):
        return None


def find_reusable(config: ModelConfig, stores: Sequence[RunStore], sizes: dict[str, int]
                  ) -> tuple[RunStore, RunInfo] | None:
    """The newest finished run with exactly `config`'s settings that was trained, validated
    and tested on as many reviews as `sizes` (see `data_sizes`), in the first store that
    has one. A run trained on a smaller copy of IMDB is not the same experiment."""
    wanted = config.key()
    for store in stores:
        for info in store.list(kind=KIND):
            if (info.status == DONE and _settings_key(info.config) == wanted
                    and all(info.metrics.get(name) == n for name, n in sizes.items())):
                return store, info
    return None


def preview(plan: ComparePlan, data: ImdbData, stores: Sequence[RunStore]
            ) -> list[dict[str, Any]]:
    """What a click would do per architecture: reuse which run, or train."""
    sizes = data_sizes(plan.base, data)
    rows = []
    for config in plan.configs():
        found = find_reusable(config, stores, sizes)
        rows.append({"model": config.label, "arch": config.arch,
                     "action": "reuse" if found else "train",
                     "run_id": found[1].run_id if found else None,
                     "run_name": found[1].name if found else None})
    return rows


# Rough seconds per unit of work on a 2-core CPU, to size each stage of a comparison before
# it runs (measured here: VADER scores 25,000 reviews in about a minute; TF-IDF and NB-LR
# fit and score 50,000 in 30-45 s; an LSTM of 64 units reads about 500 reviews of 200
# tokens a second while training, three times that while testing). Only the proportions
# matter: as stages finish, their measured times rescale the estimates of the rest.
STAGE_COST = {"vader": 2.4e-3, "tfidf_logreg": 0.6e-3, "nblr": 0.9e-3}
TOKEN_STEP_S = 1e-5  # one LSTM-64 step for one review while training
# Batches are padded only to their longest review, so a review costs its own length in
# steps (up to seq_len): 230 tokens on average in IMDB.
MEAN_REVIEW_TOKENS = 230
ARCH_COST = {"simple_rnn": 0.5, "lstm": 1.0, "gru": 1.0, "bilstm": 2.0, "stacked_bilstm": 2.0}
REUSE_S = 3.0  # loading a reused run and timing its latency


def stage_estimates(plan: ComparePlan, sizes: dict[str, int],
                    reused: Sequence[str] = ()) -> list[float]:
    """Seconds each stage (the baselines, then each architecture) is expected to take; a
    model in `reused` (labels) is only loaded."""
    train, test = sizes["train_reviews"], sizes["test_reviews"]
    estimates = [STAGE_COST.get(key, 1e-3) * (test if key == "vader" else train + test)
                 for key in plan.baselines]
    for config in plan.configs():
        if config.label in reused:
            estimates.append(REUSE_S)
            continue
        steps = ARCH_COST.get(config.arch, 1.0) * config.layers * max(1.0, config.units / 64)
        reading = steps * min(config.seq_len, MEAN_REVIEW_TOKENS) * TOKEN_STEP_S
        estimates.append(reading * (train * config.epochs + (sizes["val_reviews"]
                                    * config.epochs + test) / 3) + 5.0)
    return estimates


def expected_s(plan: ComparePlan, data: ImdbData, steps: Sequence[dict[str, Any]]) -> float:
    """Roughly how many seconds the comparison will take, before it starts: the stage
    estimates (the schedule the running job rescales by its real pace) summed, with the
    models `preview` found to reuse only loaded."""
    reused = [step["model"] for step in steps if step["action"] == "reuse"]
    return float(sum(stage_estimates(plan, data_sizes(plan.base, data), reused)))
