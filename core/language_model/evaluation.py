"""Next-word quality figures (perplexity, top-1/3/5), computed the same way for the LSTM
and for the n-gram baseline (`ngram.py`), so the two are compared on equal terms."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass

import numpy as np


def softmax(logits: np.ndarray, temperature: float = 1.0) -> np.ndarray:
    z = np.asarray(logits, dtype=np.float64) / max(temperature, 1e-6)
    z -= z.max(axis=-1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)



@dataclass
class Evaluation:
    """Next-word quality on held-out text, the same figures for every model."""

    perplexity: float
    top1: float
    top3: float
    top5: float
    tokens: int

    def as_dict(self, prefix: str = "") -> dict[str, float]:
        return {f"{prefix}{k}": v for k, v in asdict(self).items()}


def score_distributions(
    probs: np.ndarray, targets: np.ndarray, suggestable: np.ndarray
) -> tuple[float, np.ndarray]:
    """Summed log-probability of the targets and, per row, the target's suggestion rank.

    Rank counts only tokens a user could be shown (`suggestable`), so `<unk>` targets are
    never "correct"; rank = 1 + number of suggestable tokens more probable than the target.
    """
    rows = np.arange(len(targets))
    p_target = probs[rows, targets]
    log_prob = float(np.log(np.maximum(p_target, 1e-300)).sum())
    masked = np.where(suggestable[None, :], probs, -1.0)
    better = (masked > p_target[:, None]).sum(axis=1)
    rank = np.where(suggestable[targets], better + 1, np.iinfo(np.int32).max)
    return log_prob, rank


class EvaluationSum:
    """Accumulates `score_distributions` over batches."""

    def __init__(self) -> None:
        self.log_prob, self.n = 0.0, 0
        self.hits = {1: 0, 3: 0, 5: 0}

    def add(self, log_prob: float, rank: np.ndarray) -> None:
        self.log_prob += log_prob
        self.n += len(rank)
        for k in self.hits:
            self.hits[k] += int((rank <= k).sum())

    def result(self) -> Evaluation:
        n = max(self.n, 1)
        return Evaluation(
            perplexity=float(math.exp(-self.log_prob / n)) if self.n else float("nan"),
            top1=self.hits[1] / n, top3=self.hits[3] / n, top5=self.hits[5] / n, tokens=self.n,
        )



def scoring_windows(
    documents: Sequence[np.ndarray], window: int
) -> tuple[np.ndarray, np.ndarray]:
    """Overlapping windows for evaluation: inputs (n, window) and targets with -1 = skip.

    Each document is scored on its own, every real token once, and (past the first half
    window) always with at least half a window of context: windows advance by half their
    length and score only their second half.
    """
    step = max(1, window // 2)
    xs, ys = [], []
    for doc in documents:
        length = len(doc) - 1  # tokens to predict
        start = 0
        while True:
            x = np.zeros(window, np.int32)
            y = np.full(window, -1, np.int32)
            chunk = doc[start:start + window]
            x[: len(chunk)] = chunk
            targets = doc[start + 1:start + window + 1]
            first = 0 if start == 0 else window - step
            y[first:len(targets)] = targets[first:]
            xs.append(x)
            ys.append(y)
            if start + window >= length:
                break
            start += step
    if not xs:
        return np.zeros((0, window), np.int32), np.zeros((0, window), np.int32)
    return np.stack(xs), np.stack(ys)

