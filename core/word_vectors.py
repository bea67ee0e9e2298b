"""Word vectors learned from unlabelled reviews, saved in GloVe's text format.

The labelled IMDB set has 25,000 training reviews; the dataset also holds 50,000
unlabelled ones. A network trained from scratch learns its word vectors from the labelled
reviews alone, and the embedding (most of its weights) is the first part to overfit. This
module learns vectors from every review that is not a test review, labelled or not, and
writes them as a GloVe-format file, so the Train page's "pretrained GloVe" option (and
`core.pretrain`) can start from them exactly as from Stanford's GloVe.

The method is the count-based one GloVe itself builds on: count how often two words occur
within a few words of each other (nearer pairs count more), turn the counts into positive
pointwise mutual information (how much more often than chance the pair occurs), and keep
the strongest directions of that matrix with a truncated SVD (Levy, Goldberg and Dagan,
TACL 2015, found this on a par with word2vec and GloVe at this scale). It is
deterministic for a seed. Counting 75,000 reviews takes about 20 s on two cores and is
done once; each vocabulary's vectors then take a few seconds.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from scipy import sparse

PAD_ID, UNK_ID = 0, 1


def cooccurrence(ids: np.ndarray, vocab_size: int, window: int = 5) -> sparse.csr_matrix:
    """Symmetric co-occurrence counts of token ids, each pair weighted 1 / distance.

    `ids` is (documents, length) as a `TextVectorization` gives it: padding 0 and `[UNK]` 1
    are left out, so unknown words neither get nor give context.
    """
    ids = np.asarray(ids)
    if window < 1:
        raise ValueError("The window must be at least 1.")
    total = sparse.csr_matrix((vocab_size, vocab_size), dtype=np.float64)
    for distance in range(1, min(window, ids.shape[1] - 1) + 1):
        left, right = ids[:, :-distance].ravel(), ids[:, distance:].ravel()
        keep = (left > UNK_ID) & (right > UNK_ID)
        left, right = left[keep], right[keep]
        weights = np.full(len(left), 1.0 / distance)
        total = total + sparse.csr_matrix((weights, (left, right)),
                                          shape=(vocab_size, vocab_size))
    return (total + total.T).tocsr()


def ppmi(counts: sparse.csr_matrix, smoothing: float = 0.75) -> sparse.csr_matrix:
    """Positive pointwise mutual information of a co-occurrence matrix.

    The context counts are raised to `smoothing` (as word2vec does), which keeps rare
    context words from getting very high scores.
    """
    coo = counts.tocoo()
    words = np.asarray(counts.sum(axis=1)).ravel()
    contexts = np.asarray(counts.sum(axis=0)).ravel() ** smoothing
    with np.errstate(divide="ignore"):
        pmi = np.log(coo.data) - np.log(words[coo.row]) - np.log(contexts[coo.col]) \
            + np.log(contexts.sum())
    keep = pmi > 0
    # float32: the SVD that follows runs 2.5x faster on it (5 s against 13 s for 15,000
    # words), and the vectors agree with float64's to a cosine of 0.99999994 for 90% of
    # the words (a few rare ones turn within nearly tied directions).
    return sparse.csr_matrix((pmi[keep].astype(np.float32), (coo.row[keep], coo.col[keep])),
                             shape=counts.shape)


def svd_vectors(matrix: sparse.csr_matrix, dim: int, seed: int = 0) -> np.ndarray:
    """`dim`-dimensional rows from a truncated SVD, U * sqrt(S), each scaled to length 1.

    Words with no co-occurrences at all get zero rows.
    """
    from sklearn.utils.extmath import randomized_svd

    if not 1 <= dim < min(matrix.shape):
        raise ValueError(f"The vector size must be between 1 and {min(matrix.shape) - 1}.")
    u, s, _ = randomized_svd(matrix, n_components=dim, n_iter=5, random_state=seed)
    vectors = u * np.sqrt(s)[None, :]
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return np.where(norms > 0, vectors / np.maximum(norms, 1e-12), 0.0).astype(np.float32)


def write_glove(path: Path, vocabulary: Sequence[str], vectors: np.ndarray) -> Path:
    """Write `vectors` (row i for vocabulary[i]) as a GloVe text file, atomically.

    Padding, `[UNK]` and words without any context (zero rows) are left out.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.part")
    with open(tmp, "w", encoding="utf-8") as out:
        for index, word in enumerate(vocabulary):
            if index <= UNK_ID or not word or " " in word or not vectors[index].any():
                continue
            out.write(word + " " + " ".join(f"{v:.5f}" for v in vectors[index]) + "\n")
    os.replace(tmp, path)
    return path


VECTORS_READ_LENGTH = 1_000  # tokens read per review for counting; longer tails add little
# The counts are kept for this many of the texts' most frequent words, once: any vocabulary
# then takes its own rows and columns of them (a word beyond these gets no vector, and
# its embedding row starts at random). 40,000 words cover the vocabularies people train
# with here (10,000 by default, 15,000 for the shipped models).
COUNTED_WORDS = 40_000


def _digest(*parts: str) -> str:
    import hashlib

    digest = hashlib.sha1()
    for part in parts:
        digest.update(part.encode("utf-8", errors="replace"))
        digest.update(b"\x00")
    return digest.hexdigest()[:16]


def _texts_key(texts: Sequence[str]) -> list[str]:
    return [str(len(texts)), texts[0] if texts else "", texts[-1] if texts else ""]


def cooccurrence_counts(texts: Sequence[str], window: int = 5,
                        words: int = COUNTED_WORDS) -> tuple[list[str], sparse.csr_matrix]:
    """The texts' `words` most frequent tokens and their co-occurrence counts (`cooccurrence`),
    counted once and kept in the app's cache folder (about 20 s for 75,000 reviews)."""
    from core import settings

    folder = settings.cache_dir()
    path = folder / f"word-counts-{_digest(*_texts_key(texts), f'{window}|{words}')}.npz"
    try:
        with np.load(path, allow_pickle=False) as saved:
            counts = sparse.csr_matrix((saved["data"], saved["indices"], saved["indptr"]),
                                       shape=tuple(saved["shape"]))
            return [str(w) for w in saved["words"]], counts
    except (OSError, KeyError, ValueError, EOFError):
        pass  # not counted yet, or a damaged file: count again
    import tensorflow as tf

    from core import text

    ranking = text.make_vectorizer(texts, words, VECTORS_READ_LENGTH)
    vocabulary = ranking.get_vocabulary()
    ids = np.concatenate([np.asarray(ranking(tf.constant(list(texts[i:i + 2048]))),
                                     dtype=np.int32) for i in range(0, len(texts), 2048)])
    counts = cooccurrence(ids, len(vocabulary), window)
    folder.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.part{os.getpid()}")
    with open(tmp, "wb") as handle:
        np.savez(handle, data=counts.data.astype(np.float32), indices=counts.indices,
                 indptr=counts.indptr, shape=np.array(counts.shape), words=np.array(vocabulary))
    os.replace(tmp, path)
    return vocabulary, counts


def counts_for(vocabulary: Sequence[str], counted: Sequence[str],
               counts: sparse.csr_matrix) -> sparse.csr_matrix:
    """The co-occurrence counts of `vocabulary` (row i for word i) taken out of counts made
    for a larger word list: the same as counting with `vocabulary` itself, since a word
    outside a vocabulary neither gets nor gives context either way."""
    where = {word: i for i, word in enumerate(counted) if i > UNK_ID}
    rows = [(i, where[w]) for i, w in enumerate(vocabulary) if i > UNK_ID and w in where]
    if not rows:
        return sparse.csr_matrix((len(vocabulary), len(vocabulary)))
    target, source = (np.array(column) for column in zip(*rows, strict=True))
    pick = sparse.csr_matrix((np.ones(len(rows)), (target, source)),
                             shape=(len(vocabulary), counts.shape[0]))
    return (pick @ counts @ pick.T).tocsr()


def vectors_file(vocabulary: Sequence[str], texts: Sequence[str], dim: int,
                 window: int = 5, seed: int = 0, scale: float = 0.5) -> Path:
    """A GloVe-format file of `dim`-dimensional vectors for `vocabulary`, learnt from `texts`.

    The counts come from `cooccurrence_counts` (made once for the texts), and the vectors
    are cached per vocabulary in the app's data folder: a new vocabulary costs the PPMI
    and the SVD, a few seconds, not a recount. `scale` sets each vector's length: 0.5 puts
    the coordinates on the scale of Keras's own random initialisation, so fine-tuning
    neither drowns the learnt directions nor stalls on them.
    """
    from core import settings

    words = list(vocabulary)
    path = settings.cache_dir() / (
        "word-vectors-" + _digest("\n".join(words), *_texts_key(texts),
                                  f"{dim}|{window}|{seed}|{scale}|{COUNTED_WORDS}") + ".txt")
    if path.exists():
        return path
    counted, counts = cooccurrence_counts(texts, window)
    matrix = counts_for(words, counted, counts)
    vectors = svd_vectors(ppmi(matrix), dim, seed) * scale
    return write_glove(path, words, vectors)
