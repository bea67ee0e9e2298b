"""Word vectors learnt from reviews (PPMI + SVD), their GloVe-format file, and a run that
starts from them (`embeddings="imdb"`)."""

import dataclasses

import numpy as np
import pytest

from core import glove, training, word_vectors
from core.config import ModelConfig
from core.models import network_of
from core.runs import RunStore


def learn_vectors(ids: np.ndarray, vocab_size: int, dim: int = 64, window: int = 5) -> np.ndarray:
    """(vocab_size, dim) vectors from ids, the three steps `vectors_file` takes."""
    return word_vectors.svd_vectors(
        word_vectors.ppmi(word_vectors.cooccurrence(ids, vocab_size, window)), dim, 0)


def nearest(vectors: np.ndarray, vocabulary: list[str], word: str, k: int = 5) -> list[str]:
    scores = vectors @ vectors[vocabulary.index(word)]
    scores[vocabulary.index(word)] = -np.inf
    return [vocabulary[i] for i in np.argsort(-scores)[:k]]


def test_cooccurrence_weights_pairs_by_distance_and_skips_padding_and_unknown():
    ids = np.array([[2, 3, 4, 1, 5, 0, 0]])
    counts = word_vectors.cooccurrence(ids, vocab_size=6, window=2).toarray()
    np.testing.assert_allclose(counts, counts.T)
    assert counts[2, 3] == 1.0 and counts[2, 4] == 0.5 and counts[3, 4] == 1.0
    assert counts[:, :2].sum() == 0 and counts[:2, :].sum() == 0  # padding and [UNK]
    assert counts[4, 5] == 0.5  # an unknown word between them keeps its place
    assert counts[3, 5] == 0  # three apart: outside the window


def test_words_used_alike_get_vectors_that_point_alike():
    vocabulary = ["", "[UNK]", "film", "was", "good", "great", "bad", "awful", "really",
                  "plot", "acting"]
    rng = np.random.default_rng(0)
    sentences = []
    for _ in range(400):
        subject = rng.choice(["film", "plot", "acting"])
        if rng.random() < 0.5:
            word, extra = rng.choice(["good", "great"]), "really"
        else:
            word, extra = rng.choice(["bad", "awful"]), "was"
        sentences.append([subject, "was", extra, word, extra, word])
    lookup = {w: i for i, w in enumerate(vocabulary)}
    ids = np.array([[lookup[w] for w in s] for s in sentences])
    vectors = learn_vectors(ids, len(vocabulary), dim=4, window=2)
    assert vectors.shape == (len(vocabulary), 4)
    assert nearest(vectors, vocabulary, "good", k=1) == ["great"]
    assert nearest(vectors, vocabulary, "awful", k=1) == ["bad"]
    np.testing.assert_allclose(np.linalg.norm(vectors[2:], axis=1), 1.0, atol=1e-5)


def test_vectors_file_is_glove_format_and_cached(tmp_path):
    vocabulary = ["", "[UNK]", "the", "movie", "was", "great", "awful", "plot"]
    texts = ["the movie was great", "the plot was awful", "great movie", "awful plot"] * 20
    path = word_vectors.vectors_file(vocabulary, texts, dim=3)
    modified = path.stat().st_mtime_ns
    assert word_vectors.vectors_file(vocabulary, texts, dim=3) == path
    assert path.stat().st_mtime_ns == modified  # read from the cache, not learnt again
    assert word_vectors.vectors_file(vocabulary, texts, dim=2) != path
    match = glove.match_vocabulary(path, vocabulary)
    assert match.dim == 3 and match.coverage == 1.0
    lengths = np.linalg.norm(match.matrix[2:], axis=1)
    np.testing.assert_allclose(lengths, 0.5, atol=1e-3)  # scaled to Keras's init range


def test_a_second_vocabulary_reuses_the_counts_and_gets_the_vectors_of_its_own_count(imdb):
    from core import settings, text

    texts = imdb.unsup["text"].iloc[:400].tolist()
    small = text.make_vectorizer(texts, 300, 50).get_vocabulary()
    large = text.make_vectorizer(texts, 600, 50).get_vocabulary()
    before = set(settings.cache_dir().glob("word-counts-*.npz"))
    first = word_vectors.vectors_file(small, texts, dim=6)
    [counts_file] = set(settings.cache_dir().glob("word-counts-*.npz")) - before
    counted_at = counts_file.stat().st_mtime_ns
    second = word_vectors.vectors_file(large, texts, dim=6)
    assert second != first and counts_file.stat().st_mtime_ns == counted_at  # not recounted
    # The same vectors as counting with the large vocabulary alone (the old, slow way).
    import tensorflow as tf

    ids = np.asarray(text.vectorizer_from_vocabulary(large, word_vectors.VECTORS_READ_LENGTH)(
        tf.constant(texts)))
    direct = learn_vectors(ids, len(large), dim=6) * 0.5
    match = glove.match_vocabulary(second, large)
    learnt = [i for i in range(2, len(large)) if direct[i].any()]
    np.testing.assert_allclose(match.matrix[learnt], direct[learnt], atol=1e-4)


@pytest.mark.slow
def test_a_run_can_start_from_vectors_learnt_from_the_reviews(imdb, tmp_path):
    small = dataclasses.replace(
        imdb, train=imdb.train.sample(300, random_state=2).reset_index(drop=True),
        unsup=imdb.unsup.sample(600, random_state=2).reset_index(drop=True),
        test=imdb.test.sample(100, random_state=2).reset_index(drop=True))
    config = ModelConfig(vocab_size=500, seq_len=40, embed_dim=8, units=8, batch_size=64,
                         epochs=1, train_size=300, val_share=0.2, seed=3, embeddings="imdb",
                         freeze_embeddings=True)
    store = RunStore(tmp_path / "runs")
    job = training.submit_training(config, small, store=store)
    assert job.wait(300) and job.state == "done", job.error
    coverage = next(e for e in job.events() if e.KIND == "glove").coverage
    assert coverage > 0.95  # the vectors were learnt for this very vocabulary
    run = store.load(job.result)
    assert run.config["embeddings"] == "imdb"
    texts = training.imdb_vector_texts(small)
    assert len(texts) == 900 and not set(texts) & set(small.test["text"])
    expected = glove.match_vocabulary(
        word_vectors.vectors_file(run.vocabulary, texts, 8, seed=3), run.vocabulary, seed=3)
    weights = network_of(run.model).get_layer("embedding").get_weights()[0]
    np.testing.assert_allclose(weights, expected.matrix, atol=1e-6)  # frozen: as learnt


@pytest.mark.parametrize("dim", [0, 8])
def test_impossible_vector_sizes_are_refused(dim):
    ids = np.array([[2, 3, 4, 5]])
    with pytest.raises(ValueError, match="vector size"):
        learn_vectors(ids, vocab_size=8, dim=dim)
