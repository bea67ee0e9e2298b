"""Saved runs: one folder per trained model, written atomically, listed even when damaged.

    <root>/<run_id>/
        run.json         name, kind ("sentiment", "language_model", ...), status, created, key,
                         owner (who trained it: the only one who may rename or delete it)
        config.json      the settings (for sentiment runs, `ModelConfig.to_dict()`)
        history.json     per-epoch lists (loss, accuracy, val_loss, ...) and per-batch curves
        metrics.json     test accuracy and loss, time per epoch, total time, latency, ...
        vocabulary.txt   the vectorizer's words, one per line (for people and tools)
        model.keras      the end-to-end model (takes raw strings)

A run is written into a hidden temporary folder and renamed into place, so a process
killed mid-save never leaves a half-written run in the list. A folder that cannot be
read is listed with status "damaged" and a reason; it never breaks the listing. Damaged
also covers files that parse but hold the wrong types (a metric that pages format as a
number but is text) and a model file that is not a `.keras` (zip) file.

Runs have owners. A store opened for a person (`RunStore(owner=...)`, what pages use)
lists that person's runs and the unowned ones (saved by tools, or before runs had
owners), reads nothing else, and changes only that person's own runs. A store opened
without an owner is a tool's (the job workers, `make pretrain`, tests): it sees and may
change every run.
"""

from __future__ import annotations

import functools
import json
import math
import os
import re
import secrets
import shutil
import time
import warnings
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from core import settings
from core.jobs import DONE, STOPPED

if TYPE_CHECKING:
    import keras
    import numpy as np

    from core.config import ModelConfig

DAMAGED = "damaged"  # a run folder that cannot be read; DONE and STOPPED are job endings
RUN_FILES = ("run.json", "config.json", "history.json", "metrics.json", "model.keras")
SHIPPED_DIR = Path(__file__).resolve().parents[1] / "assets" / "models"
MAX_NAME = 80
# Metrics that pages format as numbers, when a run has them (null allowed): anything else,
# NaN and infinity included, marks the run damaged here, once, rather than crashing
# whichever page shows it.
NUMBER_METRICS = (
    "test_accuracy", "test_loss", "val_accuracy", "epoch_s", "train_s", "total_s",
    "samples_per_s", "latency_one_ms", "params", "epochs_run", "train_reviews", "val_reviews",
    "test_reviews",
)
# Runs saved before the metrics took the names the comparison table uses; read as the new
# names (a list of epoch times, once saved as "epoch_s", is in history.json anyway).
RENAMED_METRICS = {"time_per_epoch_s": "epoch_s", "epochs_done": "epochs_run",
                   "latency_ms": "latency_one_ms"}
# A creation time pandas and the standard library can turn into a date (before 2262).
LATEST_CREATED = 9.2e9
_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,120}$")


class RunError(RuntimeError):
    """A run cannot be loaded or changed; the message is meant for the user."""


@dataclass
class RunInfo:
    """What the run list shows, read from the small JSON files only (no model loading)."""

    run_id: str
    name: str
    kind: str
    status: str  # done, stopped or damaged
    created: float
    config: dict[str, Any] = field(default_factory=dict)
    metrics: dict[str, Any] = field(default_factory=dict)
    key: str = ""
    problem: str = ""  # why a damaged run is damaged
    path: Path | None = None
    read_only: bool = False  # for whoever opened the store: shipped, or not theirs to change
    owner: str | None = None  # the id of the person who trained it; None for tools' runs

    @property
    def damaged(self) -> bool:
        return self.status == DAMAGED


@dataclass
class LoadedRun:
    """A run with its model loaded; `predict` takes raw strings."""

    info: RunInfo
    model: keras.Model
    config: dict[str, Any]
    history: dict[str, Any]
    metrics: dict[str, Any]
    vocabulary: list[str]

    @property
    def run_id(self) -> str:
        return self.info.run_id

    @property
    def network(self) -> keras.Model:
        """The integer-input network inside the end-to-end model."""
        from core.models import network_of

        return network_of(self.model)

    @property
    def vectorizer(self):  # -> TextVectorization | None
        from core.models import vectorizer_of

        return vectorizer_of(self.model)

    def model_config(self) -> ModelConfig:
        from core.config import ModelConfig

        return ModelConfig.from_dict(self.config)

    @functools.cached_property
    def predictor(self):  # -> core.predict.Predictor
        from core.predict import Predictor

        return Predictor(self.model)

    def predict(self, texts: Sequence[str], batch_size: int = 256) -> np.ndarray:
        """The model's output for each text; for sentiment runs, P(positive) of shape (n,)."""
        return self.predictor(texts, batch_size)


def new_run_id(kind: str) -> str:
    stamp = time.strftime("%Y%m%d-%H%M%S", time.gmtime())
    return f"{stamp}-{re.sub(r'[^a-z0-9]+', '-', kind.lower()).strip('-') or 'run'}-" \
           f"{secrets.token_hex(3)}"


def _write_json(path: Path, value: Any) -> None:
    path.write_text(json.dumps(value, indent=2, default=_jsonable), encoding="utf-8")


def _jsonable(value: Any) -> Any:
    # numpy scalars and arrays from Keras histories
    if hasattr(value, "tolist"):
        return value.tolist()
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def _read_json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


class RunStore:
    """The runs under `root` (default `settings.runs_dir()`); `read_only` for shipped models;
    `owner`: the person looking (see the module's docstring), None for tools."""

    def __init__(self, root: str | Path | None = None, read_only: bool = False,
                 owner: str | None = None) -> None:
        self.root = Path(root) if root is not None else settings.runs_dir()
        self.read_only = read_only
        self.owner = owner

    # --- reading ---------------------------------------------------------------------------
    def list(self, kind: str | None = None) -> list[RunInfo]:
        """Every run, newest first; damaged ones included with their problem."""
        if not self.root.is_dir():
            return []
        runs = []
        for path in self.root.iterdir():
            if path.name.startswith(".") or not path.is_dir():
                continue  # temporary folders of saves in progress, stray files
            info = self._info(path)
            if not self._visible(info):
                continue
            if kind is None or info.kind == kind or info.damaged:
                runs.append(info)
        return sorted(runs, key=lambda r: (r.created, r.run_id), reverse=True)

    def info(self, run_id: str) -> RunInfo:
        info = self._info(self._path(run_id))
        if not self._visible(info):
            raise RunError(f"There is no run “{run_id}” (it may have been deleted).")
        return info

    def _visible(self, info: RunInfo) -> bool:
        """Whether the person who opened the store may see this run."""
        return self.owner is None or info.owner is None or info.owner == self.owner

    def _info(self, path: Path) -> RunInfo:
        info = RunInfo(run_id=path.name, name=path.name, kind="", status=DAMAGED,
                       created=_mtime(path), path=path, read_only=self.read_only)
        try:
            meta = _read_json(path / "run.json")
            owner = meta.get("owner")
            info.owner = owner if isinstance(owner, str) and owner else None
            info.name = str(meta.get("name") or path.name)
            info.kind = str(meta.get("kind") or "")
            info.key = str(meta.get("key") or "")
            status = meta.get("status")
            created = meta.get("created")
            config = _read_json(path / "config.json")
            metrics = _read_json(path / "metrics.json")
            if not isinstance(config, dict) or not isinstance(metrics, dict):
                raise ValueError("config or metrics is not a JSON object")
            metrics = current_metrics(metrics)
            info.config, info.metrics = config, metrics
            missing = [name for name in RUN_FILES if not (path / name).is_file()]
            if missing:
                info.problem = f"missing {', '.join(missing)}"
            elif created is not None and not _valid_time(created):
                info.problem = f"run.json has an invalid creation time ({str(created)[:40]})"
            elif bad := _bad_metrics(metrics):
                info.problem = f"metrics.json holds no valid number for {', '.join(bad)}"
                info.metrics = {}  # tables show a damaged run's metrics; these would break them
            elif (path / "model.keras").stat().st_size == 0:
                info.problem = "the model file is empty"
            elif not zipfile.is_zipfile(path / "model.keras"):
                info.problem = "the model file is corrupted (not a .keras zip archive)"
            else:
                info.status = status if status in (DONE, STOPPED) else DONE
            if created is not None and _valid_time(created):
                info.created = float(created)
        except FileNotFoundError as exc:
            info.problem = f"missing {Path(exc.filename or '?').name}"
        except (OSError, ValueError, TypeError, AttributeError) as exc:
            info.problem = f"unreadable run files ({type(exc).__name__})"
        info.read_only = self.read_only or (self.owner is not None and info.owner != self.owner)
        return info

    def load(self, run_id: str) -> LoadedRun:
        """The run with its model; `RunError` with a clear message if it cannot be used."""
        info = self.info(run_id)
        if info.damaged:
            raise RunError(f"Run “{info.name}” is damaged: {info.problem}.")
        path = info.path
        model = load_model_file(path / "model.keras")
        try:
            history = _read_json(path / "history.json")
            vocab_path = path / "vocabulary.txt"
            vocabulary = (vocab_path.read_text(encoding="utf-8").split("\n")
                          if vocab_path.exists() else [])
        except (OSError, ValueError) as exc:
            raise RunError(f"Run “{info.name}” is damaged: {exc}.") from exc
        return LoadedRun(info=info, model=model, config=info.config, history=history,
                         metrics=info.metrics, vocabulary=vocabulary)

    def find(self, config_key: str, kind: str | None = None) -> RunInfo | None:
        """The newest finished (not stopped) run trained with these exact settings."""
        for info in self.list(kind):
            if info.key == config_key and info.status == DONE:
                return info
        return None

    def read_json(self, run_id: str, file_name: str) -> Any:
        """Another JSON file saved with the run (`extra_files`); None when absent or bad."""
        try:
            path = self.info(run_id).path / Path(file_name).name
            return _read_json(path)
        except (RunError, OSError, ValueError):
            return None

    def model_path(self, run_id: str) -> Path:
        """The run's `.keras` file (for download buttons)."""
        return self.info(run_id).path / "model.keras"

    # --- writing ---------------------------------------------------------------------------
    def save(
        self,
        *,
        model: keras.Model,
        kind: str,
        config: dict[str, Any],
        name: str | None = None,
        status: str = DONE,
        history: dict[str, Any] | None = None,
        metrics: dict[str, Any] | None = None,
        vocabulary: Sequence[str] | None = None,
        key: str = "",
        extra_files: dict[str, str | bytes] | None = None,
        owner: str | None = None,
    ) -> str:
        """Write a run atomically and return its id; `owner` (default: the store's) is the
        only person who may then rename or delete it.

        Everything goes into a hidden folder first, which is renamed into place only when
        complete; a crash before the rename leaves just that hidden folder, which the list
        ignores and the next save sweeps away.
        """
        self._writable()
        if status not in (DONE, STOPPED):
            raise ValueError(f"status must be {DONE!r} or {STOPPED!r}")
        self.root.mkdir(parents=True, exist_ok=True)
        self._sweep()
        run_id = new_run_id(kind)
        tmp = self.root / f".tmp-{run_id}"
        tmp.mkdir()
        try:
            model.save(tmp / "model.keras")
            _write_json(tmp / "config.json", config)
            _write_json(tmp / "history.json", history or {})
            _write_json(tmp / "metrics.json", metrics or {})
            if vocabulary is not None:
                (tmp / "vocabulary.txt").write_text("\n".join(vocabulary), encoding="utf-8")
            for file_name, content in (extra_files or {}).items():
                target = tmp / Path(file_name).name
                if isinstance(content, bytes):
                    target.write_bytes(content)
                else:
                    target.write_text(content, encoding="utf-8")
            # run.json last: its presence marks a complete folder even before the rename.
            _write_json(tmp / "run.json", {
                "name": clean_name(name) or run_id, "kind": kind, "status": status,
                "created": time.time(), "key": key, "owner": owner or self.owner,
            })
            os.replace(tmp, self.root / run_id)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        return run_id

    def rename(self, run_id: str, name: str) -> None:
        self.check_changeable(run_id)
        new_name = clean_name(name)
        if not new_name:
            raise RunError("A run's name cannot be empty.")
        path = self._path(run_id) / "run.json"
        try:
            meta = _read_json(path)
        except (OSError, ValueError) as exc:
            raise RunError(f"Cannot rename a damaged run ({exc}).") from exc
        meta["name"] = new_name
        self.update_json(run_id, "run.json", meta)

    def update_json(self, run_id: str, file_name: str, changes: dict[str, Any]) -> None:
        """Merge `changes` into one of a run's JSON files, atomically (e.g. a later score)."""
        self.check_changeable(run_id)
        path = self._path(run_id) / Path(file_name).name
        try:
            values = _read_json(path) if path.exists() else {}
        except (OSError, ValueError) as exc:
            raise RunError(f"Cannot update a damaged run ({exc}).") from exc
        values.update(changes)
        tmp = path.with_name(f".{file_name}.{secrets.token_hex(4)}")
        _write_json(tmp, values)
        os.replace(tmp, path)

    def delete(self, run_id: str) -> None:
        """Remove a run (damaged ones too); it disappears from the list at once."""
        self.check_changeable(run_id)
        path = self._path(run_id)
        # Renaming first makes the deletion atomic as far as the list is concerned.
        trash = self.root / f".trash-{run_id}-{secrets.token_hex(3)}"
        os.replace(path, trash)
        shutil.rmtree(trash, ignore_errors=True)

    # --- helpers ---------------------------------------------------------------------------
    def _path(self, run_id: str) -> Path:
        if not _ID.match(run_id or ""):
            raise RunError(f"“{run_id}” is not a run id.")
        path = self.root / run_id
        if not path.is_dir():
            raise RunError(f"There is no run “{run_id}” (it may have been deleted).")
        return path

    def _writable(self) -> None:
        if self.read_only:
            raise RunError("These models ship with the app and cannot be changed.")

    def check_changeable(self, run_id: str) -> None:
        """`RunError` for a change to a shipped run, or to a run that is not the person's own."""
        self._writable()
        info = self.info(run_id)  # another person's run: "there is no run"
        if info.read_only:
            raise RunError(f"Run “{info.name}” was not trained by you, so it cannot be "
                           "renamed, rescored or deleted here.")

    def _sweep(self) -> None:
        """Remove leftovers of saves or deletions that were killed more than an hour ago."""
        cutoff = time.time() - 3600
        for path in self.root.glob(".t*-*"):
            if path.name.startswith((".tmp-", ".trash-")) and _mtime(path) < cutoff:
                shutil.rmtree(path, ignore_errors=True)


def load_model_file(path: str | Path) -> keras.Model:
    """Load a `.keras` file safely (no arbitrary code); `RunError` if it is corrupted."""
    import keras

    from core.layers import register_layers

    register_layers()
    path = Path(path)
    if not path.is_file():
        raise RunError(f"The model file {path.name} is missing.")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # optimizer-variable notices, not problems
            return keras.saving.load_model(path, safe_mode=True, compile=False)
    except Exception as exc:  # Keras raises many types for a bad zip / bad config
        raise RunError(
            f"The model file {path.name} is corrupted or not a Keras model "
            f"({type(exc).__name__}: {str(exc)[:200]})."
        ) from exc


def _is_number(value: Any) -> bool:
    return (isinstance(value, (int, float)) and not isinstance(value, bool)
            and math.isfinite(value))


def _valid_time(value: Any) -> bool:
    return _is_number(value) and 0 <= value < LATEST_CREATED


def current_metrics(metrics: dict[str, Any]) -> dict[str, Any]:
    """A saved run's metrics under today's names (`RENAMED_METRICS`)."""
    metrics = dict(metrics)
    if isinstance(metrics.get("epoch_s"), list):
        del metrics["epoch_s"]
    for old, new in RENAMED_METRICS.items():
        if old in metrics:
            metrics.setdefault(new, metrics.pop(old))
    return metrics


def _bad_metrics(metrics: dict[str, Any]) -> list[str]:
    return [name for name in NUMBER_METRICS
            if metrics.get(name) is not None and not _is_number(metrics[name])]


def clean_name(name: str | None) -> str:
    """A run name as shown: single spaces, no control characters, at most 80 characters."""
    text = re.sub(r"\s+", " ", "".join(c if c.isprintable() else " " for c in str(name or "")))
    return text.strip()[:MAX_NAME]


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return 0.0


def run_store(owner: str | None = None) -> RunStore:
    """The runs under `RNNLAB_HOME`, as `owner` sees them (every run for None: tools)."""
    return RunStore(owner=owner)


def shipped_store() -> RunStore:
    """Pretrained models that ship with the app, read-only."""
    return RunStore(SHIPPED_DIR, read_only=True)


# --- what the Train page reads back -------------------------------------------------------
# Saved files are read defensively: a run folder can be edited or damaged on disk, and a
# page must show what is usable instead of crashing on the rest.

def run_evaluation(store: RunStore, run_id: str) -> dict[str, Any] | None:
    """The confusion matrix and confident mistakes saved with a run (None if absent).

    A malformed confusion matrix gives None; malformed mistakes are left out.
    """
    evaluation = store.read_json(run_id, "evaluation.json")
    if not isinstance(evaluation, dict):
        return None
    confusion = evaluation.get("confusion")
    if not (isinstance(confusion, list) and len(confusion) == 2
            and all(isinstance(row, list) and len(row) == 2 for row in confusion)
            and all(_is_number(v) and v >= 0 for row in confusion for v in row)):
        return None
    mistakes = evaluation.get("mistakes")
    mistakes = [
        item for item in (mistakes if isinstance(mistakes, list) else [])
        if isinstance(item, dict) and item.get("label") in (0, 1)
        and _is_number(item.get("p_positive")) and isinstance(item.get("text"), str)
    ]
    return {"confusion": confusion, "mistakes": mistakes}


def runs_table(runs: list[RunInfo]) -> pd.DataFrame:
    """The run list as a table (text only: names are shown as typed, never as markup)."""
    rows = []
    from core.config import ModelConfig

    for info in runs:
        try:
            config = ModelConfig.from_dict(info.config) if info.config else None
        except (TypeError, ValueError):
            config = None
        rows.append({
            "Name": info.name,
            "Model": config.label if config else "",
            "Status": info.status + (f": {info.problem}" if info.problem else ""),
            "Test accuracy": info.metrics.get("test_accuracy"),
            "Time per epoch (s)": info.metrics.get("epoch_s"),
            "Epochs": info.metrics.get("epochs_run"),
            "Trained": _trained_at(info.created),
            "Run id": info.run_id,
        })
    return pd.DataFrame(rows)


def _trained_at(created: float) -> pd.Timestamp | None:
    try:
        return pd.Timestamp(created, unit="s", tz="UTC").tz_convert(None) if created else None
    except (ValueError, OverflowError):  # pandas' out-of-bounds error is a ValueError
        return None
