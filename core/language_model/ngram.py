"""The keyboard baseline: an interpolated Kneser-Ney trigram model, vectorised with numpy.

Kneser-Ney (Kneser & Ney 1995; Chen & Goodman 1998) subtracts a fixed discount D from
every seen n-gram count and gives the mass it frees to the next lower order. The lower
orders count *how many different words precede* a word ("continuation counts"), not
how often it occurs: "francisco" is frequent but almost only after "san", so it should
be a poor guess after an unseen context.

    P3(w | u v) = max(c(u v w) - D, 0) / c(u v .)  +  D N1+(u v .) / c(u v .)  P2(w | v)
    P2(w | v)   = max(N1+(. v w) - D, 0) / N1+(. v .)  +  D N1+(v .) / N1+(. v .)  P1(w)
    P1(w)       = N1+(. w) / N1+(. .)

A context never seen hands all its mass to the lower order. The formulas are those of
`nltk.lm.KneserNeyInterpolated` (a test checks they agree on a small corpus); nltk
scores one word at a time in Python, which takes minutes for a held-out set, while this
module computes whole distributions for hundreds of contexts at once from sparse tables.

Documents are arrays of token ids that start with the start token (as in
`core.language_model.tokens`); the same held-out ids and the same `<unk>` are scored for both
models, so their perplexities are over the same vocabulary.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import sparse

from core.language_model.evaluation import Evaluation, EvaluationSum, score_distributions
from core.language_model.tokens import BOS_ID


def padded_trigrams(documents: Sequence[np.ndarray]) -> np.ndarray:
    """(n, 3) array of every trigram ending at a real token; the start is padded with `<s>`."""
    rows = []
    for doc in documents:
        padded = np.concatenate([[BOS_ID], np.asarray(doc, np.int64)])
        if len(padded) < 3:
            continue
        rows.append(np.stack([padded[:-2], padded[1:-1], padded[2:]], axis=1))
    return np.concatenate(rows) if rows else np.zeros((0, 3), np.int64)


@dataclass
class KneserNeyModel:
    """Interpolated Kneser-Ney trigram probabilities over a fixed vocabulary of ids."""

    vocab_size: int
    discount: float
    p1: np.ndarray  # (V,) continuation unigram
    alpha2: sparse.csr_matrix  # (V, V) discounted bigram continuation part, row = v
    gamma2: np.ndarray  # (V,) mass handed down from context v
    contexts: np.ndarray  # sorted keys u * V + v of seen trigram contexts
    alpha3: sparse.csr_matrix  # (n_contexts, V)
    gamma3: np.ndarray  # (n_contexts,)
    order: int = 3

    @classmethod
    def fit(cls, documents: Sequence[np.ndarray], vocab_size: int,
            discount: float = 0.75) -> KneserNeyModel:
        if not 0 < discount < 1:
            raise ValueError("The discount must be between 0 and 1.")
        V = int(vocab_size)
        grams = padded_trigrams(documents)
        keys = (grams[:, 0] * V + grams[:, 1]) * V + grams[:, 2]
        tri_keys, tri_counts = np.unique(keys, return_counts=True)

        # Highest order: real counts per context (u, v).
        contexts, ctx_index = np.unique(tri_keys // V, return_inverse=True)
        ctx_total = np.bincount(ctx_index, weights=tri_counts, minlength=len(contexts))
        ctx_types = np.bincount(ctx_index, minlength=len(contexts))
        alpha3 = sparse.csr_matrix(
            (np.maximum(tri_counts - discount, 0) / ctx_total[ctx_index],
             (ctx_index, tri_keys % V)), shape=(len(contexts), V))
        gamma3 = discount * ctx_types / np.maximum(ctx_total, 1)

        # Middle order: continuation counts N1+(. v w) = distinct u before (v, w).
        bi_keys, bi_cont = np.unique(tri_keys % (V * V), return_counts=True)
        v, w = bi_keys // V, bi_keys % V
        v_total = np.bincount(v, weights=bi_cont, minlength=V)
        v_types = np.bincount(v, minlength=V)
        seen = v_total > 0
        alpha2 = sparse.csr_matrix(
            (np.maximum(bi_cont - discount, 0) / v_total[v], (v, w)), shape=(V, V))
        gamma2 = np.where(seen, discount * v_types / np.maximum(v_total, 1), 1.0)

        # Lowest order: N1+(. w) = distinct v before w, over all bigram types.
        p1 = np.bincount(w, minlength=V) / max(len(bi_keys), 1)
        return cls(V, float(discount), p1, alpha2, gamma2, contexts, alpha3, gamma3)

    def distributions(self, u: np.ndarray, v: np.ndarray) -> np.ndarray:
        """P(. | u v) for each pair of context ids: (n, V), rows summing to one."""
        u, v = np.asarray(u, np.int64), np.asarray(v, np.int64)
        p2 = self.alpha2[v].toarray() + self.gamma2[v][:, None] * self.p1[None, :]
        keys = u * self.vocab_size + v
        where = np.searchsorted(self.contexts, keys)
        where = np.minimum(where, max(len(self.contexts) - 1, 0))
        found = (self.contexts[where] == keys) if len(self.contexts) else np.zeros(len(u), bool)
        p3 = p2.copy()
        if found.any():
            idx = where[found]
            p3[found] = self.alpha3[idx].toarray() + self.gamma3[idx][:, None] * p2[found]
        return p3

    def next_distribution(self, ids: Sequence[int]) -> np.ndarray:
        """P(next | the last two ids), `<s>`-padded when there are fewer."""
        context = [BOS_ID, BOS_ID, *[int(i) for i in ids]][-2:]
        return self.distributions(np.array([context[0]]), np.array([context[1]]))[0]

    def evaluate(self, documents: Sequence[np.ndarray], suggestable: np.ndarray,
                 batch_size: int = 512) -> Evaluation:
        """Perplexity and top-1/3/5 accuracy over every real token of the documents."""
        grams = padded_trigrams(documents)
        total = EvaluationSum()
        for start in range(0, len(grams), batch_size):
            chunk = grams[start:start + batch_size]
            probs = self.distributions(chunk[:, 0], chunk[:, 1])
            total.add(*score_distributions(probs, chunk[:, 2], suggestable))
        return total.result()
