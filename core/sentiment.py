"""Scoring reviews: the recurrent models' P(positive) and NLTK's VADER, with their labels.

Labels. A model says Positive or Negative unless its probability lies inside the neutral
band `0.5 ± NEUTRAL_BAND` (0.4 to 0.6), where it says Neutral: a model that is barely sure
either way should not be read as a verdict. VADER follows the seed notes' rule on its
compound score: 0 is Neutral, above is Positive, below is Negative.

VADER works offline, and always with the same lexicon: the one inside the pinned
`vaderSentiment` wheel. NLTK only loads resources from `nltk.data.path`, so that lexicon is
zipped into `<app home>/nltk_data`, which goes first on the path (an older lexicon that
`nltk.download` put elsewhere must not win). No network is tried on the way. Only if the
wheel's lexicon is missing does NLTK's own copy serve, found on the path or, failing
that, fetched by `nltk.download` (given up after a timeout, so offline never hangs).
"""

from __future__ import annotations

import functools
import importlib.util
import io
import json
import math
import os
import re
import threading
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from core import settings

if TYPE_CHECKING:
    from nltk.sentiment.vader import SentimentIntensityAnalyzer

NEUTRAL_BAND = 0.1
POSITIVE, NEGATIVE, NEUTRAL = "Positive", "Negative", "Neutral"
VADER_RESOURCE = "sentiment/vader_lexicon.zip"
# Past this many characters per token of a model's sequence length, a review is cut before
# the model tokenises it: TensorFlow standardising a megabyte of text would cost seconds.
MAX_CHARS_PER_TOKEN = 40
# A note is shown when more than this share of the review's words are unknown to a model.
OOV_NOTE_SHARE = 0.5
# VADER has no sequence length, but a megabyte takes it about a second; no review is this long.
MAX_VADER_CHARS = 100_000
DOWNLOAD_TIMEOUT_S = 10.0

Predict = Callable[[Sequence[str]], np.ndarray]


# --- Labels ----------------------------------------------------------------------------------

def model_label(probability: float, band: float = NEUTRAL_BAND) -> str:
    """Positive / Negative, or Neutral when `probability` is within `band` of 0.5."""
    if not math.isfinite(probability):
        raise ValueError("The probability is not a number.")
    if 0.5 - band < probability < 0.5 + band:
        return NEUTRAL
    return POSITIVE if probability > 0.5 else NEGATIVE


def vader_label(compound: float) -> str:
    """The seed notes' rule: compound 0 is Neutral, above is Positive, below is Negative."""
    if compound > 0:
        return POSITIVE
    if compound < 0:
        return NEGATIVE
    return NEUTRAL


# --- VADER -----------------------------------------------------------------------------------

def _vader_package_lexicon() -> Path:
    spec = importlib.util.find_spec("vaderSentiment")
    if spec is None or not spec.submodule_search_locations:
        raise LookupError("The vaderSentiment package is not installed.")
    path = Path(next(iter(spec.submodule_search_locations))) / "vader_lexicon.txt"
    if not path.exists():
        raise LookupError(f"No VADER lexicon inside the vaderSentiment package at {path}.")
    return path


def build_vader_lexicon_zip(target_dir: Path) -> Path:
    """Write `sentiment/vader_lexicon.zip` under `target_dir`, as nltk_data lays it out."""
    lines = _vader_package_lexicon().read_text(encoding="utf-8").splitlines()
    # NLTK splits the text on "\n" and unpacks two tab-separated fields from every line,
    # so there must be no blank line (the package's file ends with one).
    body = "\n".join(line.rstrip("\r") for line in lines if line.strip())
    zip_path = target_dir / VADER_RESOURCE
    zip_path.parent.mkdir(parents=True, exist_ok=True)
    tmp = zip_path.with_name(f".{zip_path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("vader_lexicon/vader_lexicon.txt", body)
    tmp.replace(zip_path)
    return zip_path


def _try_download(target_dir: Path) -> bool:
    """nltk.download in a thread, given up after DOWNLOAD_TIMEOUT_S so offline never hangs."""
    import nltk

    result: list[bool] = []

    def work() -> None:
        try:
            result.append(bool(nltk.download(
                "vader_lexicon", download_dir=str(target_dir), quiet=True,
                raise_on_error=False, print_error_to=io.StringIO(),
            )))
        except Exception:  # noqa: BLE001 - any failure means "use the packaged lexicon"
            result.append(False)

    thread = threading.Thread(target=work, daemon=True, name="vader-download")
    thread.start()
    thread.join(DOWNLOAD_TIMEOUT_S)
    return bool(result and result[0])


def ensure_vader_lexicon(allow_download: bool = True) -> str:
    """Make NLTK load the VADER lexicon; returns where it came from.

    "vaderSentiment" normally (the wheel's lexicon, zipped on first use or after the
    package changed). Only when the wheel has none: "nltk_data" when NLTK finds its own,
    "download" when `nltk.download` fetched it. `LookupError` when there is none at all.
    """
    import nltk

    local = settings.app_home() / "nltk_data"
    if str(local) in nltk.data.path:
        nltk.data.path.remove(str(local))
    nltk.data.path.insert(0, str(local))
    try:
        package_lexicon = _vader_package_lexicon()
    except LookupError:
        package_lexicon = None
    if package_lexicon is not None:
        zipped = local / VADER_RESOURCE
        if not zipped.is_file() or zipped.stat().st_mtime < package_lexicon.stat().st_mtime:
            build_vader_lexicon_zip(local)
        return "vaderSentiment"
    try:
        nltk.data.find(VADER_RESOURCE)
        return "nltk_data"
    except LookupError:
        pass
    if allow_download and _try_download(local):
        nltk.data.find(VADER_RESOURCE)
        return "download"
    raise LookupError(
        "VADER's lexicon is missing: the vaderSentiment package has none and it could not "
        "be downloaded. Reinstall the requirements (`make setup`)."
    )


@functools.lru_cache(maxsize=1)
def vader_analyzer() -> SentimentIntensityAnalyzer:
    """NLTK's VADER analyzer, built once per process (loading the lexicon takes ~0.1 s)."""
    ensure_vader_lexicon()
    from nltk.sentiment.vader import SentimentIntensityAnalyzer

    return SentimentIntensityAnalyzer()


@dataclass(frozen=True)
class VaderScores:
    neg: float
    neu: float
    pos: float
    compound: float

    @property
    def label(self) -> str:
        return vader_label(self.compound)


def vader_scores(text: str) -> VaderScores:
    scores = vader_analyzer().polarity_scores(text[:MAX_VADER_CHARS])
    return VaderScores(neg=scores["neg"], neu=scores["neu"], pos=scores["pos"],
                       compound=scores["compound"])


def vader_compounds(texts: Sequence[str]) -> np.ndarray:
    analyzer = vader_analyzer()
    return np.array([analyzer.polarity_scores(t[:MAX_VADER_CHARS])["compound"] for t in texts],
                    dtype=np.float64)


# --- Models ----------------------------------------------------------------------------------

class FastPredictor:
    """P(positive) for raw strings from an end-to-end Keras model, quick for one review.

    `model.predict` builds a dataset and a loop per call (~50 ms); a `tf.function` with a
    fixed signature is traced once and then runs the graph directly (a few ms).
    """

    def __init__(self, model: Any, seq_len: int | None = None) -> None:
        import tensorflow as tf

        self.model = model
        self.seq_len = seq_len
        self._lock = threading.Lock()

        @tf.function(input_signature=[tf.TensorSpec([None], tf.string)], reduce_retracing=True)
        def forward(texts: Any) -> Any:
            return model(texts, training=False)

        self._forward = forward

    def __call__(self, texts: Sequence[str], batch_size: int = 256) -> np.ndarray:
        import tensorflow as tf

        texts = [str(t) for t in texts]
        if not texts:
            return np.zeros(0, dtype=np.float32)
        out = np.zeros(len(texts), dtype=np.float32)
        # Reviews of similar length go together (by characters, a proxy for tokens): a
        # batch is padded only to its longest review.
        order = np.argsort([len(t) for t in texts], kind="stable")
        # One graph and its variables are shared by every page session; TF graphs are
        # thread-safe but interleaving two big batches only slows both down.
        with self._lock:
            for start in range(0, len(texts), batch_size):
                rows = order[start:start + batch_size]
                chunk = tf.constant([texts[i] for i in rows], dtype=tf.string)
                out[rows] = np.asarray(self._forward(chunk)).reshape(-1)
        return out


def clip_review(text: str, seq_len: int) -> tuple[str, bool]:
    """The part of `text` a model with `seq_len` tokens can read, and whether it was cut."""
    limit = max(1, seq_len) * MAX_CHARS_PER_TOKEN
    if len(text) <= limit:
        return text, False
    return text[:limit], True


_PUNCT = re.compile(r"""[!"#$%&()*+,\-./:;<=>?@\[\\\]^_`{|}~']""")


def standard_tokens(text: str) -> list[str]:
    """Tokens as Keras TextVectorization's default standardise-and-split makes them."""
    return _PUNCT.sub("", text.lower()).split()


@dataclass
class ReviewCheck:
    """What a user should know about a review before reading the models' verdicts."""

    n_tokens: int
    read_tokens: int
    oov_shares: dict[str, float] = field(default_factory=dict)  # model name -> unknown share
    notes: list[str] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return self.n_tokens == 0


def check_review(text: str, seq_len: int,
                 vocabularies: dict[str, frozenset[str] | set[str]] | None = None) -> ReviewCheck:
    """Token count, truncation and each model's unknown-word share of `text`, with notes.

    `vocabularies` maps a model's name to the words it knows; the names appear in the
    notes as given.
    """
    # Python's tokens, not TensorFlow's: a megabyte takes about 20 ms this way.
    tokens = standard_tokens(text)
    notes = []
    if len(tokens) > seq_len:
        notes.append(
            f"The review has {len(tokens):,} words; the models read only the first "
            f"{seq_len:,} (their sequence length), so the rest does not count."
        )
    if len(text) > MAX_VADER_CHARS:
        notes.append(f"VADER reads the first {MAX_VADER_CHARS:,} characters.")
    read = tokens[:seq_len]
    oov_shares = {}
    if read:
        oov_shares = {name: sum(t not in vocabulary for t in read) / len(read)
                      for name, vocabulary in (vocabularies or {}).items()}
    unknown = {name: share for name, share in oov_shares.items() if share > OOV_NOTE_SHARE}
    if unknown:
        who = ", ".join(f"{name} ({share:.0%})" for name, share in unknown.items())
        notes.append(
            f"Most of the words are unknown to {who}: the models learned English movie "
            "reviews, so a score here is close to a guess."
        )
    return ReviewCheck(n_tokens=len(tokens), read_tokens=len(read), oov_shares=oov_shares,
                       notes=notes)


def score_table(texts: Sequence[str], predictors: dict[str, Predict],
                band: float = NEUTRAL_BAND) -> pd.DataFrame:
    """One row per review: each model's P(positive) and label, VADER's compound and label.

    A review with no words gets empty cells from every model and VADER. A model that fails
    on the batch gets empty probabilities and the label "unusable"; the others are still
    filled.
    """
    texts = ["" if t is None or (isinstance(t, float) and math.isnan(t)) else str(t)
             for t in texts]
    table = pd.DataFrame({"review": texts})
    empty = np.array([not standard_tokens(t[:1000]) for t in texts], dtype=bool)
    for name, predict in predictors.items():
        try:
            probs = np.asarray(predict(texts), dtype=np.float64)
        except Exception:  # noqa: BLE001 - one broken model must not sink the batch
            table[f"{name} P(positive)"] = np.nan
            table[f"{name} label"] = "unusable"
            continue
        probs[empty] = np.nan
        table[f"{name} P(positive)"] = probs.round(4)
        table[f"{name} label"] = ["" if math.isnan(p) else model_label(p, band) for p in probs]
    compounds = vader_compounds(texts)
    compounds[empty] = np.nan
    table["VADER compound"] = compounds.round(4)
    table["VADER label"] = ["" if math.isnan(c) else vader_label(c) for c in compounds]
    return table


# A cell starting with one of these runs as a formula when the CSV is opened in a
# spreadsheet (CSV injection); a leading apostrophe makes it plain text there.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe_csv(table: pd.DataFrame) -> bytes:
    """`table` as UTF-8 CSV in which no text cell can run as a spreadsheet formula."""
    safe = table.copy()
    for column in safe.columns:
        if not pd.api.types.is_numeric_dtype(safe[column]):
            safe[column] = [f"'{v}" if isinstance(v, str) and v.startswith(_FORMULA_START)
                            else v for v in safe[column]]
    return safe.to_csv(index=False).encode("utf-8")


def disagreements(model_labels: dict[str, str], vader: str) -> list[str]:
    """Names of the models whose label differs from VADER's (Neutral counts as a label)."""
    return [name for name, label in model_labels.items() if label != vader]


def accuracy(probabilities: np.ndarray, labels: np.ndarray) -> float:
    """Share of reviews where P(positive) >= 0.5 matches the 0/1 label (as training counts)."""
    probabilities = np.asarray(probabilities, dtype=np.float64).reshape(-1)
    labels = np.asarray(labels).reshape(-1).astype(int)
    return float(np.mean((probabilities >= 0.5).astype(int) == labels))


def vader_accuracy(texts: Sequence[str], labels: np.ndarray) -> float:
    """VADER's accuracy with compound > 0 as positive (Neutral counts as a miss)."""
    compounds = vader_compounds(texts)
    labels = np.asarray(labels).astype(int)
    right = ((compounds > 0) & (labels == 1)) | ((compounds < 0) & (labels == 0))
    return float(np.mean(right))


# --- Which models can score ------------------------------------------------------------------

SENTIMENT_KIND = "sentiment"
SHIPPED, YOURS, BASELINE = "shipped", "yours", "baseline"
# NB-LR, the strongest cheap baseline, ships as two files beside the shipped runs (a folder
# would be listed as a damaged run): its weights and its test figures (`core.pretrain`).
NBLR_FILE, NBLR_METRICS_FILE = "nblr.npz", "nblr.json"
NBLR_NAME = "NB-LR"  # short: six cards share a row
# On Classify, NB-LR reads what the shipped networks read: a review's first 500 words.
NBLR_READ_TOKENS = 500
# The models that ship in assets/models/<arch> (`python -m core.pretrain` builds them).
SHIPPED_ARCHS = ("simple_rnn", "lstm", "gru", "bilstm")


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


def _stores() -> dict[str, Any]:
    from core.runs import run_store, shipped_store

    return {SHIPPED: shipped_store(), YOURS: run_store()}


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
    """Shipped models first (SimpleRNN, LSTM, GRU, BiLSTM), then the user's runs, newest first.

    Every shipped architecture is listed, even when its folder is missing ("not shipped")
    or damaged, and so are the user's damaged runs: the page says why they are unusable.
    """
    from core.models import ARCH_LABELS

    stores = stores or _stores()
    choices = []
    if SHIPPED in stores:
        shipped = {}
        for info in stores[SHIPPED].list(kind=SENTIMENT_KIND):
            arch = info.config.get("arch") if isinstance(info.config, dict) else None
            # A damaged folder may have no readable config; its name is the architecture.
            shipped.setdefault(arch if arch in SHIPPED_ARCHS else info.run_id, info)
        for arch in SHIPPED_ARCHS:
            if arch in shipped:
                choices.append(_choice(SHIPPED, shipped[arch], ARCH_LABELS[arch], arch))
            else:
                choices.append(ModelChoice(
                    source=SHIPPED, run_id=arch, name=ARCH_LABELS[arch], arch=arch,
                    seq_len=200, test_accuracy=None,
                    problem=f"not shipped (missing file: assets/models/{arch}; "
                            f"`python -m core.pretrain --arch {arch}` builds it)"))
        choices.append(nblr_choice(stores[SHIPPED].root))
    if YOURS in stores:
        choices += [_choice(YOURS, info, info.name)
                    for info in stores[YOURS].list(kind=SENTIMENT_KIND)]
    return choices


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
    """A loaded model, ready to score: its predictor, reading window and vocabulary."""

    choice: ModelChoice
    predict: Predict
    seq_len: int
    vocabulary: frozenset[str] | None  # None: every word counts (NB-LR hashes n-grams)

    def score(self, text: str) -> float:
        clipped, _ = clip_review(text, self.seq_len)
        return float(self.predict([clipped])[0])


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
        return ScoringModel(choice=choice, predict=model.predict_proba,
                            seq_len=choice.seq_len, vocabulary=None)
    store = (stores or _stores())[choice.source]
    run = store.load(choice.run_id)
    vectorizer = run.vectorizer
    seq_len = choice.seq_len
    if vectorizer is not None:
        seq_len = int(vectorizer.get_config().get("output_sequence_length") or seq_len)
    vocabulary = frozenset(run.vocabulary or (vectorizer.get_vocabulary() if vectorizer else []))
    predictor = FastPredictor(run.model, seq_len)
    try:
        predictor(["warm up the graph"])
    except Exception as exc:  # noqa: BLE001 - a model that loads but cannot run is unusable
        raise RunError(f"{choice.name} loaded but cannot score text ({type(exc).__name__}).") \
            from exc
    return ScoringModel(choice=choice, predict=predictor, seq_len=seq_len, vocabulary=vocabulary)


def read_reviews_upload(data: bytes, filename: str, max_rows: int) -> tuple[pd.DataFrame, int]:
    """An uploaded CSV/TSV of reviews (one column or more) and how many rows were dropped.

    Raises `core.data.UploadError` with a message for the user.
    """
    from core.data import read_table

    frame = read_table(data, filename, min_columns=1)
    dropped = max(0, len(frame) - max_rows)
    return frame.head(max_rows), dropped


def guess_text_column(frame: pd.DataFrame) -> str:
    """The column that most looks like review text: a known name, else the longest on average."""
    for column in frame.columns:
        if str(column).strip().lower() in ("review", "text", "reviews", "comment", "body"):
            return column
    lengths = {c: frame[c].astype(str).str.len().mean() for c in frame.columns}
    return max(lengths, key=lengths.get)


# --- Labelled uploads -------------------------------------------------------------------------

MAX_MISTAKES_SHOWN = 200


@dataclass
class LabelledReport:
    """How each model and VADER did on an uploaded file with true labels."""

    summary: pd.DataFrame  # one row per model: reviews, accuracy and the confusion counts
    mistakes: pd.DataFrame  # the reviews at least one of them got wrong, most-missed first
    labelled: int  # rows with a label and words to read


def labelled_report(scored: pd.DataFrame, labels: np.ndarray) -> LabelledReport:
    """Accuracy, a confusion table and the misclassified reviews, from `score_table`'s
    output and the 0/1 labels (NaN where a row has none).

    The rule is the test accuracy's: P(positive) >= 0.5 says positive (so a Neutral
    verdict still leans one way); VADER says positive above 0 and negative below, and a
    compound of exactly 0 is "no verdict", counted wrong.
    """
    labels = np.asarray(labels, dtype=np.float64).reshape(-1)
    if len(labels) != len(scored):
        raise ValueError("one label per scored review is needed")
    names = [c[: -len(" label")] for c in scored.columns if c.endswith(" label")]
    truth_positive, truth_negative = labels == 1, labels == 0
    rows, wrong = [], {}
    usable_any = np.zeros(len(scored), dtype=bool)
    for name in names:
        value_column = "VADER compound" if name == "VADER" else f"{name} P(positive)"
        values = pd.to_numeric(scored[value_column], errors="coerce").to_numpy(np.float64)
        usable = ~np.isnan(labels) & ~np.isnan(values)
        if not usable.any():
            continue
        usable_any |= usable
        said_positive = values > 0 if name == "VADER" else values >= 0.5
        said_negative = values < 0 if name == "VADER" else values < 0.5
        correct = (said_positive & truth_positive) | (said_negative & truth_negative)
        wrong[name] = usable & ~correct
        rows.append({
            "model": name,
            "reviews": int(usable.sum()),
            "accuracy": float(correct[usable].mean()),
            "positive, said positive": int((usable & truth_positive & said_positive).sum()),
            "positive, said negative": int((usable & truth_positive & said_negative).sum()),
            "negative, said negative": int((usable & truth_negative & said_negative).sum()),
            "negative, said positive": int((usable & truth_negative & said_positive).sum()),
            "no verdict": int((usable & ~said_positive & ~said_negative).sum()),
        })
    summary = pd.DataFrame(rows, columns=[
        "model", "reviews", "accuracy", "positive, said positive", "positive, said negative",
        "negative, said negative", "negative, said positive", "no verdict"])
    missed = sum(wrong.values(), np.zeros(len(scored), dtype=int))
    order = [i for i in np.argsort(-missed, kind="stable") if missed[i] > 0]
    mistakes = pd.DataFrame({
        "review": scored["review"].to_numpy()[order],
        "true label": [POSITIVE if labels[i] == 1 else NEGATIVE for i in order],
        "missed by": [int(missed[i]) for i in order],
        **{f"{name} label": scored[f"{name} label"].to_numpy()[order] for name in wrong},
    }).head(MAX_MISTAKES_SHOWN)
    return LabelledReport(summary=summary, mistakes=mistakes, labelled=int(usable_any.sum()))


# --- Shipped material ------------------------------------------------------------------------

ASSETS = Path(__file__).resolve().parents[1] / "assets"
EXAMPLES_FILE = ASSETS / "examples" / "reviews.json"
VADER_METRICS_FILE = ASSETS / "models" / "vader.json"


@dataclass(frozen=True)
class ExampleReview:
    """An example on the Classify page. `why` is its hint, and states what the shipped
    models say: `says` (model name or "VADER" -> the label it gives) and `never_says`
    (-> a label it does not give) are those claims, checked by the tests against the
    models as shipped, so a retrained model cannot leave a hint that is no longer true."""

    title: str
    kind: str
    why: str
    text: str
    says: dict[str, str] = field(default_factory=dict)
    never_says: dict[str, str] = field(default_factory=dict)


def example_reviews(path: Path = EXAMPLES_FILE) -> list[ExampleReview]:
    """The example reviews shipped in assets/examples (empty if the file is unreadable)."""
    import json

    try:
        items = json.loads(path.read_text(encoding="utf-8"))
        return [ExampleReview(str(i["title"]), str(i.get("kind", "")), str(i.get("why", "")),
                              str(i["text"]), dict(i.get("says") or {}),
                              dict(i.get("never_says") or {})) for i in items]
    except (OSError, ValueError, KeyError, TypeError):
        return []


def shipped_vader_metrics(path: Path = VADER_METRICS_FILE) -> dict[str, Any]:
    """VADER's accuracy on the 25,000 test reviews, as `python -m core.pretrain` measured it."""
    import json

    try:
        value = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return value if isinstance(value, dict) else {}
