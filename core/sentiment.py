"""Scoring reviews: the recurrent models' P(positive) and NLTK's VADER, with their labels.

Labels. A model says Positive or Negative unless its probability lies inside the neutral
band `0.5 ± NEUTRAL_BAND` (0.4 to 0.6), where it says Neutral: a model that is barely sure
either way should not be read as a verdict. VADER follows the seed notes' rule on its
compound score: 0 is Neutral, above is Positive, below is Negative.

VADER works offline: NLTK looks for `sentiment/vader_lexicon.zip` on `nltk.data.path`;
when it is not there and cannot be downloaded, the same lexicon (it ships inside the
`vaderSentiment` package) is zipped into `<app home>/nltk_data` once.
"""

from __future__ import annotations

import functools
import importlib.util
import io
import math
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
# Past this many characters a review is cut before tokenising: no shipped model reads more
# than a few hundred tokens, and standardising a megabyte of text would cost seconds.
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
    tmp = zip_path.with_name(f".{zip_path.name}.{threading.get_ident()}.tmp")
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
    """Make NLTK find the VADER lexicon; returns where it came from.

    "nltk_data" when NLTK already has it, "download" when nltk.download fetched it,
    "vaderSentiment" when it was built from the lexicon inside that package.
    """
    import nltk

    local = settings.app_home() / "nltk_data"
    if str(local) not in nltk.data.path:
        nltk.data.path.append(str(local))
    try:
        nltk.data.find(VADER_RESOURCE)
        return "nltk_data"
    except LookupError:
        pass
    if allow_download and _try_download(local):
        try:
            nltk.data.find(VADER_RESOURCE)
            return "download"
        except LookupError:
            pass
    build_vader_lexicon_zip(local)
    nltk.data.find(VADER_RESOURCE)
    return "vaderSentiment"


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
        out = []
        # One graph and its variables are shared by every page session; TF graphs are
        # thread-safe but interleaving two big batches only slows both down.
        with self._lock:
            for start in range(0, len(texts), batch_size):
                chunk = tf.constant(texts[start:start + batch_size], dtype=tf.string)
                out.append(np.asarray(self._forward(chunk)).reshape(-1))
        return np.concatenate(out).astype(np.float32)


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
    """What a user should know about a review before reading a model's verdict."""

    n_tokens: int
    read_tokens: int
    oov_share: float | None
    notes: list[str] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return self.n_tokens == 0


def check_review(text: str, seq_len: int, vocabulary: set[str] | None = None) -> ReviewCheck:
    """Token count, truncation and unknown-word share of `text`, with notes for the user."""
    clipped, cut = clip_review(text, seq_len)
    tokens = standard_tokens(clipped)
    notes = []
    if cut or len(tokens) > seq_len:
        total = "over " if cut else ""
        notes.append(
            f"The review has {total}{len(tokens):,} words; the models read only the first "
            f"{seq_len:,} (their sequence length), so the rest does not count."
        )
    if len(text) > MAX_VADER_CHARS:
        notes.append(f"VADER reads the first {MAX_VADER_CHARS:,} characters.")
    read = tokens[:seq_len]
    oov_share = None
    if vocabulary is not None and read:
        oov_share = sum(t not in vocabulary for t in read) / len(read)
        if oov_share > OOV_NOTE_SHARE:
            notes.append(
                f"{oov_share:.0%} of the words are unknown to the model (it learned English "
                "movie reviews), so its score here is close to a guess."
            )
    return ReviewCheck(n_tokens=len(tokens), read_tokens=len(read), oov_share=oov_share,
                       notes=notes)


def score_table(texts: Sequence[str], predictors: dict[str, Predict],
                band: float = NEUTRAL_BAND) -> pd.DataFrame:
    """One row per review: each model's P(positive) and label, VADER's compound and label.

    A model that fails on the batch gets empty columns, the others are still filled.
    """
    texts = ["" if t is None or (isinstance(t, float) and math.isnan(t)) else str(t)
             for t in texts]
    table = pd.DataFrame({"review": texts})
    empty = np.array([not standard_tokens(t[:1000]) for t in texts])
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
    table["VADER compound"] = compounds.round(4)
    table["VADER label"] = [vader_label(c) for c in compounds]
    return table


def disagreements(model_labels: dict[str, str], vader: str) -> list[str]:
    """Names of the models whose label differs from VADER's (Neutral counts as a label)."""
    return [name for name, label in model_labels.items() if label != vader]


def accuracy(probabilities: np.ndarray, labels: np.ndarray) -> float:
    """Share of reviews where P(positive) > 0.5 matches the 0/1 label."""
    probabilities = np.asarray(probabilities, dtype=np.float64).reshape(-1)
    labels = np.asarray(labels).reshape(-1).astype(int)
    return float(np.mean((probabilities > 0.5).astype(int) == labels))


def vader_accuracy(texts: Sequence[str], labels: np.ndarray) -> float:
    """VADER's accuracy with compound > 0 as positive (Neutral counts as a miss)."""
    compounds = vader_compounds(texts)
    labels = np.asarray(labels).astype(int)
    right = ((compounds > 0) & (labels == 1)) | ((compounds < 0) & (labels == 0))
    return float(np.mean(right))


# --- Which models can score ------------------------------------------------------------------

SENTIMENT_KIND = "sentiment"
SHIPPED, YOURS = "shipped", "yours"


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

    @property
    def key(self) -> str:
        return f"{self.source}/{self.run_id}"

    @property
    def cache_key(self) -> str:
        """Changes when the run is replaced (e.g. the shipped models are retrained)."""
        return f"{self.key}@{self.created}"

    @property
    def label(self) -> str:
        origin = "shipped" if self.source == SHIPPED else "your run"
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


def model_choices(stores: dict[str, Any] | None = None) -> list[ModelChoice]:
    """Shipped models first (SimpleRNN, LSTM, GRU, BiLSTM), then the user's runs, newest first.

    Damaged runs are included with their problem, so the page can say why they are unusable.
    """
    from core.models import ARCH_LABELS, ARCHITECTURES

    stores = stores or _stores()
    choices = []
    for source, store in stores.items():
        infos = store.list(kind=SENTIMENT_KIND)
        if source == SHIPPED:
            order = {arch: i for i, arch in enumerate(ARCHITECTURES)}
            infos = sorted(infos, key=lambda r: order.get(r.config.get("arch"), 99))
        for info in infos:
            arch = str(info.config.get("arch", "")) if isinstance(info.config, dict) else ""
            name = ARCH_LABELS.get(arch, info.name) if source == SHIPPED else info.name
            seq_len = info.config.get("seq_len") if isinstance(info.config, dict) else None
            choices.append(ModelChoice(
                source=source, run_id=info.run_id, name=name, arch=arch,
                seq_len=int(seq_len) if isinstance(seq_len, int) else 200,
                test_accuracy=_test_accuracy(info.metrics or {}), problem=info.problem,
                created=info.created,
            ))
    return choices


@dataclass
class ScoringModel:
    """A loaded model, ready to score: its predictor, reading window and vocabulary."""

    choice: ModelChoice
    predict: FastPredictor
    seq_len: int
    vocabulary: frozenset[str]

    def score(self, text: str) -> float:
        clipped, _ = clip_review(text, self.seq_len)
        return float(self.predict([clipped])[0])


def load_scoring_model(choice: ModelChoice, stores: dict[str, Any] | None = None
                       ) -> ScoringModel:
    """Load `choice` (raises `core.runs.RunError` with a message when it is unusable)."""
    from core.runs import RunError

    if choice.problem:
        raise RunError(f"{choice.name} cannot be used: {choice.problem}.")
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
    import csv
    import io

    from core.data import MAX_UPLOAD_BYTES, UploadError

    if not data:
        raise UploadError("The file is empty.")
    if len(data) > MAX_UPLOAD_BYTES:
        raise UploadError(f"The file is {len(data) / 1e6:.1f} MB; the limit is "
                          f"{MAX_UPLOAD_BYTES / 1e6:.0f} MB.")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise UploadError(f"The file is not UTF-8 text (byte {exc.start} cannot be decoded). "
                          "Save it as UTF-8 and upload it again.") from exc
    if not text.strip():
        raise UploadError("The file holds only blank space.")
    sep = "\t" if filename.lower().endswith((".tsv", ".tab")) else ","
    if sep == ",":
        try:
            sep = csv.Sniffer().sniff(text[:20_000], delimiters=",;\t|").delimiter
        except csv.Error:
            pass
    try:
        frame = pd.read_csv(io.StringIO(text), sep=sep, dtype=str, keep_default_na=False)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, ValueError) as exc:
        raise UploadError(f"The file could not be read as a table: {exc}") from exc
    if frame.empty:
        raise UploadError("The table has a header but no reviews.")
    dropped = max(0, len(frame) - max_rows)
    return frame.head(max_rows), dropped


def guess_text_column(frame: pd.DataFrame) -> str:
    """The column that most looks like review text: a known name, else the longest on average."""
    for column in frame.columns:
        if str(column).strip().lower() in ("review", "text", "reviews", "comment", "body"):
            return column
    lengths = {c: frame[c].astype(str).str.len().mean() for c in frame.columns}
    return max(lengths, key=lengths.get)


# --- Shipped material ------------------------------------------------------------------------

ASSETS = Path(__file__).resolve().parents[1] / "assets"
EXAMPLES_FILE = ASSETS / "examples" / "reviews.json"
VADER_METRICS_FILE = ASSETS / "models" / "vader.json"


@dataclass(frozen=True)
class ExampleReview:
    title: str
    kind: str
    why: str
    text: str


def example_reviews(path: Path = EXAMPLES_FILE) -> list[ExampleReview]:
    """The example reviews shipped in assets/examples (empty if the file is unreadable)."""
    import json

    try:
        items = json.loads(path.read_text(encoding="utf-8"))
        return [ExampleReview(str(i["title"]), str(i.get("kind", "")), str(i.get("why", "")),
                              str(i["text"])) for i in items]
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
