"""NLTK's VADER, offline and always with the same lexicon.

The lexicon is the one inside the pinned `vaderSentiment` wheel. NLTK only loads resources
from `nltk.data.path`, so that lexicon is zipped into `<app home>/nltk_data`, which goes
first on the path (an older lexicon that `nltk.download` put elsewhere must not win). No
network is tried on the way. Only if the wheel's lexicon is missing does NLTK's own copy
serve, found on the path or, failing that, fetched by `nltk.download` (given up after a
timeout, so offline never hangs).
"""

from __future__ import annotations

import functools
import importlib.util
import io
import json
import os
import threading
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from core import settings
from core.verdict import vader_label

if TYPE_CHECKING:
    from nltk.sentiment.vader import SentimentIntensityAnalyzer

VADER_RESOURCE = "sentiment/vader_lexicon.zip"
# VADER has no sequence length, but a megabyte takes it about a second; no review is this long.
MAX_VADER_CHARS = 100_000
DOWNLOAD_TIMEOUT_S = 10.0
VADER_METRICS_FILE = Path(__file__).resolve().parents[1] / "assets" / "models" / "vader.json"


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


def vader_accuracy(texts: Sequence[str], labels: np.ndarray) -> float:
    """VADER's accuracy with compound > 0 as positive (Neutral counts as a miss)."""
    compounds = vader_compounds(texts)
    labels = np.asarray(labels).astype(int)
    right = ((compounds > 0) & (labels == 1)) | ((compounds < 0) & (labels == 0))
    return float(np.mean(right))


def shipped_vader_metrics(path: Path = VADER_METRICS_FILE) -> dict[str, Any]:
    """VADER's accuracy on the 25,000 test reviews, as `python -m core.pretrain` measured it."""
    try:
        value = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return value if isinstance(value, dict) else {}
