"""Which models can score a review: the shipped networks, the user's own runs and the
NB-LR baseline, listed with why any of them is unusable, and loaded ready to score.

    choices = model_choices()
    model = load_scoring_model(choices[0])   # RunError with a message if it cannot be used
    p_positive = model.score("A masterpiece.")
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from core.predict import Predict, Predictor, clip_review

SHIPPED, YOURS, BASELINE = "shipped", "yours", "baseline"
# NB-LR, the strongest cheap baseline, ships as two files beside the shipped runs (a folder
# would be listed as a damaged run): its weights and its test figures (`core.pretrain`).
NBLR_FILE, NBLR_METRICS_FILE = "nblr.npz", "nblr.json"
NBLR_NAME = "NB-LR"  # short: six cards share a row
# On Classify, NB-LR reads what the shipped networks read: a review's first 500 words.
NBLR_READ_TOKENS = 500


@dataclass(frozen=True)
class ModelChoice:
    """A sentiment model the user can pick: shipped with the app or one of their runs."""

    source: str  # SHIPPED or YOURS
    run_id: str
    name: str
    arch: str
    seq_len: int
    test_accuracy: float | None
    problem: str = ""  # why the run cannot be used ("" when it looks fine)
    created: float = 0.0
    model_mtime: float = 0.0  # when its model file last changed (0 when there is none)

    @property
    def key(self) -> str:
        return f"{self.source}/{self.run_id}"

    @property
    def cache_key(self) -> str:
        """Changes when the run or its model file is replaced (e.g. models retrained)."""
        return f"{self.key}@{self.created}@{self.model_mtime}"

    @property
    def label(self) -> str:
        origin = {SHIPPED: "shipped", BASELINE: "shipped baseline"}.get(self.source, "your run")
        accuracy = f", {self.test_accuracy:.1%} test acc." if self.test_accuracy else ""
        return f"{self.name} ({origin}{accuracy})"


def stores_for(owner: str | None) -> dict[str, Any]:
    """The shipped models and the runs `owner` may see (every run for None: tools)."""
    from core.runs import run_store, shipped_store

    return {SHIPPED: shipped_store(), YOURS: run_store(owner)}


def _stores() -> dict[str, Any]:
    return stores_for(None)


def _test_accuracy(metrics: dict[str, Any]) -> float | None:
    for key in ("test_accuracy", "accuracy"):
        value = metrics.get(key)
        if isinstance(value, (int, float)) and math.isfinite(value):
            return float(value)
    return None


def _model_mtime(info: Any) -> float:
    try:
        return (info.path / "model.keras").stat().st_mtime if info.path else 0.0
    except OSError:
        return 0.0


def _choice(source: str, info: Any, name: str, arch: str | None = None) -> ModelChoice:
    config = info.config if isinstance(info.config, dict) else {}
    seq_len = config.get("seq_len")
    return ModelChoice(
        source=source, run_id=info.run_id, name=name, arch=arch or str(config.get("arch", "")),
        seq_len=seq_len if isinstance(seq_len, int) else 200,
        test_accuracy=_test_accuracy(info.metrics or {}), problem=info.problem,
        created=info.created, model_mtime=_model_mtime(info),
    )


def model_choices(stores: dict[str, Any] | None = None) -> list[ModelChoice]:
    """Shipped models first (SimpleRNN, LSTM, GRU, BiLSTM, LSTM (LM-pretrained)), then the
    user's runs, newest first.

    Every shipped model is listed, even when its folder is missing ("not shipped") or
    damaged, and so are the user's damaged runs: the page says why they are unusable. A
    shipped model's `arch` is its folder's name (`SHIPPED_MODELS`), which gives it its
    colour: the two LSTMs are told apart.
    """
    from core.config import SHIPPED_MODELS
    from core.training import KIND

    stores = stores or _stores()
    choices = []
    if SHIPPED in stores:
        shipped = {info.run_id: info for info in stores[SHIPPED].list(kind=KIND)}
        for model, name in SHIPPED_MODELS.items():
            if model in shipped:
                choices.append(_choice(SHIPPED, shipped[model], name, model))
            else:
                choices.append(ModelChoice(
                    source=SHIPPED, run_id=model, name=name, arch=model,
                    seq_len=200, test_accuracy=None,
                    problem=f"not shipped (missing file: assets/models/{model}; "
                            f"`python -m core.pretrain --arch {model}` builds it)"))
        choices.append(nblr_choice(stores[SHIPPED].root))
    if YOURS in stores:
        choices += [_choice(YOURS, info, info.name)
                    for info in stores[YOURS].list(kind=KIND)]
    return choices


def best_network(choices: list[ModelChoice]) -> int:
    """The index in `choices` of the shipped network with the highest test accuracy (the
    one a verdict is first explained with), or 0 when none has a figure. Baselines and the
    user's own runs (scored on fewer reviews, or stopped early) do not count."""
    ranked = [(choice.test_accuracy, -i) for i, choice in enumerate(choices)
              if choice.source == SHIPPED and choice.test_accuracy and not choice.problem]
    return -max(ranked)[1] if ranked else 0


def calibration_of(choice: ModelChoice, stores: dict[str, Any] | None = None
                   ) -> dict[str, Any] | None:
    """The calibration measured for a run on its held-back reviews (`core.pretrain.calibrate`
    writes it for the shipped networks), or None when it has none."""
    stores = stores or _stores()
    if choice.source not in (SHIPPED, YOURS) or choice.source not in stores:
        return None
    try:
        from core.calibration import CALIBRATION_FILE

        value = json.loads((stores[choice.source].root / choice.run_id / CALIBRATION_FILE)
                           .read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return value if isinstance(value, dict) and "reliability" in value else None


def nblr_choice(folder: Path) -> ModelChoice:
    """The shipped NB-LR baseline (`core.baselines.NbLogReg`), or why it is missing."""
    path = folder / NBLR_FILE
    try:
        metrics = json.loads((folder / NBLR_METRICS_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        metrics = {}
    try:
        mtime = path.stat().st_mtime
    except OSError:
        mtime = 0.0
    return ModelChoice(
        source=BASELINE, run_id="nblr", name=NBLR_NAME, arch="nblr",
        seq_len=NBLR_READ_TOKENS,
        test_accuracy=_test_accuracy(metrics if isinstance(metrics, dict) else {}),
        problem="" if mtime else (f"not shipped (missing file: assets/models/{NBLR_FILE}; "
                                  "`python -m core.pretrain` builds it)"),
        model_mtime=mtime,
    )


@dataclass
class ScoringModel:
    """A loaded model, ready to score: its predictor (which cuts each review to what the
    model reads), reading window and vocabulary."""

    choice: ModelChoice
    predict: Predict
    seq_len: int
    vocabulary: frozenset[str] | None  # None: every word counts (NB-LR hashes n-grams)

    def score(self, text: str) -> float:
        return float(self.predict([text])[0])


def load_scoring_model(choice: ModelChoice, stores: dict[str, Any] | None = None
                       ) -> ScoringModel:
    """Load `choice` (raises `core.runs.RunError` with a message when it is unusable)."""
    from core.runs import RunError

    if choice.problem:
        raise RunError(f"{choice.name} cannot be used: {choice.problem}.")
    if choice.source == BASELINE:
        from core.baselines import NbLogReg

        folder = (stores or _stores())[SHIPPED].root
        try:
            model = NbLogReg.load(folder / NBLR_FILE)
        except ValueError as exc:
            raise RunError(f"{choice.name} cannot be used: {exc}.") from exc
        seq_len = choice.seq_len
        return ScoringModel(
            choice=choice, seq_len=seq_len, vocabulary=None,
            predict=lambda texts: model.predict_proba([clip_review(t, seq_len)[0] for t in texts]))
    store = (stores or _stores())[choice.source]
    run = store.load(choice.run_id)
    vectorizer = run.vectorizer
    seq_len = choice.seq_len
    if vectorizer is not None:
        seq_len = int(vectorizer.get_config().get("output_sequence_length") or seq_len)
    vocabulary = frozenset(run.vocabulary or (vectorizer.get_vocabulary() if vectorizer else []))
    predictor = Predictor(run.model, seq_len)
    try:
        predictor(["warm up the graph"])
    except Exception as exc:  # noqa: BLE001 - a model that loads but cannot run is unusable
        raise RunError(f"{choice.name} loaded but cannot score text ({type(exc).__name__}).") \
            from exc
    return ScoringModel(choice=choice, predict=predictor, seq_len=seq_len, vocabulary=vocabulary)
