"""The baselines a practitioner reaches for before a recurrent network, measured like one.

* **VADER** — a hand-built sentiment lexicon with rules for negation, intensifiers and
  punctuation (Hutto & Gilbert, 2014). No training: it shows what "free" accuracy is.
* **TF-IDF + logistic regression** — a bag of words and word pairs weighted by how rare
  they are, and a linear classifier. Trains in seconds and is famously hard to beat on
  long reviews, because word order matters less there than which words appear.
* **NB-LR** — NB-weighted logistic regression over words, pairs and triples (Wang and
  Manning, 2012, "NBSVM"): each n-gram scaled by how much more often it appears in positive
  than in negative reviews, then a linear classifier. The strongest cheap baseline on IMDB
  (about 91.5% here, in about a minute), and the bar a recurrent model has to clear.

Each returns a `BaselineResult` whose `metrics` use the same names as a saved run's
metrics (`test_accuracy`, `train_s`, `latency_one_ms`…), so the comparison table puts
them in the same columns as the recurrent models. Results are cached on disk by the
texts they saw, since scoring 25,000 reviews with VADER takes about a minute.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from core import settings
from core.predict import median_latency_ms

BASELINES = ("vader", "tfidf_logreg", "nblr")
BASELINE_NAMES = {"vader": "VADER (lexicon)", "tfidf_logreg": "TF-IDF + logistic regression",
                  "nblr": "NB-LR (1-3-grams)"}
# Bump when a baseline's method changes, so cached results from the old one are not shown.
BASELINE_VERSION = 1


@dataclass
class BaselineResult:
    key: str  # one of BASELINES
    name: str
    metrics: dict[str, Any]
    notes: str = ""
    settings: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _digest(*parts: Any) -> str:
    hasher = hashlib.sha1()
    for part in parts:
        if isinstance(part, (list, tuple)):
            for item in part:
                hasher.update(str(item).encode("utf-8", "surrogatepass"))
                hasher.update(b"\x00")
        else:
            hasher.update(json.dumps(part, sort_keys=True, default=str).encode())
        hasher.update(b"\x01")
    return hasher.hexdigest()[:20]


def _cache_path(kind: str, digest: str):
    folder = settings.cache_dir() / "baselines"
    folder.mkdir(parents=True, exist_ok=True)
    return folder / f"{kind}-v{BASELINE_VERSION}-{digest}.json"


def _read_cache(path) -> BaselineResult | None:
    try:
        return BaselineResult(**json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError, TypeError):
        return None  # missing or damaged: recompute


def _write_cache(path, result: BaselineResult) -> None:
    tmp = path.with_suffix(f".tmp{os.getpid()}")
    tmp.write_text(json.dumps(result.to_dict()), encoding="utf-8")
    os.replace(tmp, path)


def trained_metrics(predict: Callable[[list[str]], Any], test: list[str], y_test: np.ndarray,
                    train_s: float, train_size: int, params: int) -> dict[str, Any]:
    """A trained baseline's row, under the names of a saved run's metrics: its scores on
    the test reviews (P(positive) from `predict`), its timings and size."""
    from core.calibration import log_loss

    probs = np.asarray(predict(test), dtype=np.float64).reshape(-1)
    one_ms, batch_ms = median_latency_ms(predict, test)
    return {
        "params": params,
        "epochs_run": None,
        "epoch_s": None,
        "train_s": train_s,
        "samples_per_s": train_size / train_s if train_s > 0 else None,
        "latency_one_ms": one_ms,
        "latency_batch_ms": batch_ms,
        "test_accuracy": float(((probs >= 0.5).astype(np.int64) == y_test).mean()),
        "test_loss": log_loss(probs, y_test),
        "best_epoch": None,
        "best_val_accuracy": None,
        "test_size": len(test),
        "train_size": train_size,
    }


def vader_baseline(test_texts: Sequence[str], test_labels: Sequence[int],
                   use_cache: bool = True) -> BaselineResult:
    """VADER's accuracy on the test reviews, by the same rule as the Classify page.

    A compound score above 0 is positive, below 0 negative, and exactly 0 is neutral and
    counts as a miss (`core.vader.vader_accuracy`). The compound score is not a
    probability, so no loss is reported.
    """
    from core.vader import vader_accuracy, vader_compounds

    texts = [str(t) for t in test_texts]
    labels = np.asarray(test_labels, dtype=np.int64)
    if len(texts) == 0 or len(texts) != len(labels):
        raise ValueError("VADER needs a non-empty test set with one label per review.")
    path = _cache_path("vader", _digest(texts, labels.tolist()))
    if use_cache and (cached := _read_cache(path)) is not None:
        return cached

    start = time.perf_counter()
    accuracy = vader_accuracy(texts, labels)
    scoring_s = time.perf_counter() - start
    one_ms, batch_ms = median_latency_ms(vader_compounds, texts)
    result = BaselineResult(
        key="vader",
        name=BASELINE_NAMES["vader"],
        metrics={
            "params": None,
            "epochs_run": None,
            "epoch_s": None,
            "train_s": 0.0,
            "samples_per_s": None,
            "latency_one_ms": one_ms,
            "latency_batch_ms": batch_ms,
            "test_accuracy": accuracy,
            "test_loss": None,
            "best_epoch": None,
            "best_val_accuracy": None,
            "test_size": len(texts),
            "scoring_s": scoring_s,
        },
        notes="Rule-based lexicon, no training. Compound score > 0 is positive, < 0 negative, "
              "0 neutral (a miss); the score is not a probability, so there is no loss.",
        settings={"rule": "compound > 0 positive, < 0 negative"},
    )
    _write_cache(path, result)
    return result


def tfidf_logreg_baseline(train_texts: Sequence[str], train_labels: Sequence[int],
                          test_texts: Sequence[str], test_labels: Sequence[int],
                          max_features: int = 20_000, seed: int = 0,
                          use_cache: bool = True) -> BaselineResult:
    """TF-IDF over words and word pairs, then logistic regression, trained on `train_texts`.

    `max_features` caps the vocabulary (the comparison passes the recurrent models'
    vocabulary size, so both see the same budget of distinct tokens). Sublinear term
    frequency stops a word repeated ten times from counting ten times as much.
    """
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    train = [str(t) for t in train_texts]
    test = [str(t) for t in test_texts]
    y_train = np.asarray(train_labels, dtype=np.int64)
    y_test = np.asarray(test_labels, dtype=np.int64)
    if not train or len(train) != len(y_train) or not test or len(test) != len(y_test):
        raise ValueError("TF-IDF needs non-empty training and test sets with one label each.")
    if len(set(y_train.tolist())) < 2:
        raise ValueError("TF-IDF needs both positive and negative training reviews.")
    max_features = max(1, int(max_features))
    options = {"ngram_range": [1, 2], "min_df": 2 if len(train) >= 50 else 1,
               "sublinear_tf": True, "max_features": max_features, "C": 4.0, "seed": seed}
    path = _cache_path("tfidf", _digest(train, y_train.tolist(), test, y_test.tolist(), options))
    if use_cache and (cached := _read_cache(path)) is not None:
        return cached

    pipeline = make_pipeline(
        TfidfVectorizer(ngram_range=(1, 2), min_df=options["min_df"], sublinear_tf=True,
                        max_features=max_features, dtype=np.float32),
        # C=4 regularises less than the default: with tens of thousands of sparse features,
        # IMDB rewards keeping more of them (a common finding, and it held on this data).
        LogisticRegression(C=options["C"], max_iter=1000, random_state=seed),
    )
    start = time.perf_counter()
    pipeline.fit(train, y_train)
    train_s = time.perf_counter() - start
    classifier = pipeline[-1]
    result = BaselineResult(
        key="tfidf_logreg",
        name=BASELINE_NAMES["tfidf_logreg"],
        metrics=trained_metrics(lambda b: pipeline.predict_proba(b)[:, 1], test, y_test,
                                train_s, len(train),
                                int(classifier.coef_.size + classifier.intercept_.size)),
        notes=f"Words and word pairs, up to {max_features:,} features, sublinear TF-IDF; "
              "logistic regression (C=4). Training time includes building the vocabulary.",
        settings=options,
    )
    _write_cache(path, result)
    return result


# --- NB-weighted logistic regression --------------------------------------------------------

NBLR_BITS = 22  # hashed n-gram buckets: 2**22, about 4 million
NBLR_NGRAMS = 3  # words, word pairs and triples
NBLR_TOKENS = r"(?u)\b\w+\b"  # every run of letters or digits, one-letter words included
NBLR_C = 1.0
NBLR_FORMAT = 1


@dataclass(frozen=True)
class NbLogReg:
    """NB-weighted logistic regression (Wang and Manning, 2012), ready to score raw text.

    Each review becomes the set of n-grams it contains (binary, hashed into `2**bits`
    buckets, so there is no vocabulary to store). Training scales every n-gram by its
    naive-Bayes log-count ratio, log(how often in positive reviews / how often in negative
    ones), then fits a logistic regression on the scaled features. The ratio and the
    regression's weight multiply into one number per bucket, kept in `weights`: the score
    of a text is the sum of the weights of its n-grams, plus `bias`.
    """

    weights: np.ndarray  # float32, (2**bits,)
    bias: float
    bits: int = NBLR_BITS
    ngrams: int = NBLR_NGRAMS
    token_pattern: str = NBLR_TOKENS

    @functools.cached_property
    def vectorizer(self):
        return nblr_vectorizer(self.bits, self.ngrams, self.token_pattern)

    def logits(self, texts: Sequence[str]) -> np.ndarray:
        features = self.vectorizer.transform([str(t) for t in texts])
        return np.asarray(features @ self.weights, dtype=np.float64).reshape(-1) + self.bias

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        """P(positive) for each text."""
        return (1.0 / (1.0 + np.exp(-np.clip(self.logits(texts), -50, 50)))).astype(np.float32)

    def __call__(self, texts: Sequence[str]) -> np.ndarray:
        return self.predict_proba(texts)

    def save(self, path, dtype: str = "float32") -> None:
        """One compressed `.npz`, written atomically. `dtype="float16"` halves the file (the
        shipped model: the scores move by about 1e-3)."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.tmp{os.getpid()}")
        with open(tmp, "wb") as handle:
            np.savez_compressed(handle, weights=self.weights.astype(dtype),
                                bias=np.float64(self.bias), bits=self.bits, ngrams=self.ngrams,
                                token_pattern=self.token_pattern, format=NBLR_FORMAT)
        os.replace(tmp, path)

    @classmethod
    def load(cls, path) -> NbLogReg:
        """Raises ValueError with a plain reason when the file is not a usable model."""
        try:
            with np.load(Path(path), allow_pickle=False) as saved:
                model = cls(weights=np.asarray(saved["weights"], dtype=np.float32),
                            bias=float(saved["bias"]), bits=int(saved["bits"]),
                            ngrams=int(saved["ngrams"]),
                            token_pattern=str(saved["token_pattern"]))
        except (OSError, KeyError, ValueError, EOFError) as exc:
            raise ValueError(f"not a readable NB-LR model ({type(exc).__name__})") from exc
        if model.weights.shape != (2**model.bits,) or not np.isfinite(model.weights).all():
            raise ValueError("the NB-LR weights are damaged")
        return model


def nblr_vectorizer(bits: int = NBLR_BITS, ngrams: int = NBLR_NGRAMS,
                    token_pattern: str = NBLR_TOKENS):
    from sklearn.feature_extraction.text import HashingVectorizer

    return HashingVectorizer(n_features=2**bits, ngram_range=(1, ngrams), binary=True,
                             norm=None, alternate_sign=False, token_pattern=token_pattern,
                             dtype=np.float32)


def fit_nblr(texts: Sequence[str], labels: Sequence[int], c: float = NBLR_C,
             bits: int = NBLR_BITS, ngrams: int = NBLR_NGRAMS, alpha: float = 1.0) -> NbLogReg:
    """Fit NB-LR on labelled texts (both classes needed)."""
    from scipy import sparse
    from sklearn.linear_model import LogisticRegression

    y = np.asarray(labels, dtype=np.int64)
    if len(texts) == 0 or len(texts) != len(y):
        raise ValueError("NB-LR needs a non-empty training set with one label per review.")
    if len(set(y.tolist())) < 2:
        raise ValueError("NB-LR needs both positive and negative training reviews.")
    vectorizer = nblr_vectorizer(bits, ngrams)
    x = vectorizer.transform([str(t) for t in texts]).tocsr()
    # The log-count ratio, with `alpha` added to every count so unseen n-grams get 0.
    positive = alpha + np.asarray(x[y == 1].sum(axis=0)).ravel()
    negative = alpha + np.asarray(x[y == 0].sum(axis=0)).ravel()
    ratio = np.log((positive / positive.sum()) / (negative / negative.sum()))
    scaled = x @ sparse.diags(ratio.astype(np.float32))
    # liblinear's dual solver: the fastest here when features far outnumber reviews.
    classifier = LogisticRegression(C=c, solver="liblinear", dual=True, max_iter=1000)
    classifier.fit(scaled, y)
    weights = (classifier.coef_.ravel() * ratio).astype(np.float32)
    return NbLogReg(weights=weights, bias=float(classifier.intercept_[0]), bits=bits,
                    ngrams=ngrams)


def nblr_baseline(train_texts: Sequence[str], train_labels: Sequence[int],
                  test_texts: Sequence[str], test_labels: Sequence[int],
                  use_cache: bool = True) -> BaselineResult:
    """NB-LR trained on `train_texts` and scored on the test reviews (see `fit_nblr`)."""
    train = [str(t) for t in train_texts]
    test = [str(t) for t in test_texts]
    y_test = np.asarray(test_labels, dtype=np.int64)
    if not test or len(test) != len(y_test):
        raise ValueError("NB-LR needs a non-empty test set with one label per review.")
    options = {"ngram_range": [1, NBLR_NGRAMS], "hashed_features": 2**NBLR_BITS,
               "binary": True, "C": NBLR_C, "tokens": NBLR_TOKENS}
    path = _cache_path("nblr", _digest(train, list(train_labels), test, y_test.tolist(),
                                       options))
    if use_cache and (cached := _read_cache(path)) is not None:
        return cached
    start = time.perf_counter()
    model = fit_nblr(train, train_labels)
    train_s = time.perf_counter() - start
    result = BaselineResult(
        key="nblr",
        name=BASELINE_NAMES["nblr"],
        metrics=trained_metrics(model.predict_proba, test, y_test, train_s, len(train),
                                int(np.count_nonzero(model.weights)) + 1),
        notes=(f"Words, pairs and triples present in a review (hashed into "
               f"{2**NBLR_BITS:,} buckets), each scaled by its naive-Bayes log-count ratio; "
               f"logistic regression (C={NBLR_C:g}). Parameters: the buckets in use."),
        settings=options,
    )
    _write_cache(path, result)
    return result
