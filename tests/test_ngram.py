"""The Kneser-Ney trigram baseline: proper distributions, agreement with nltk.lm, evaluation."""

from __future__ import annotations

import numpy as np
import pytest
from nltk.lm import KneserNeyInterpolated

from core import language_model as lm
from core.language_model.ngram import KneserNeyModel, padded_trigrams

TEXT = [
    "the cat sat on the mat .",
    "the dog sat on the log .",
    "a cat saw the dog on the mat !",
    "the dog saw a cat .",
    "on the mat the cat sat .",
]


@pytest.fixture(scope="module")
def corpus() -> tuple[list[str], list[np.ndarray]]:
    docs = [lm.tokenize(t) for t in TEXT]
    vocabulary = lm.build_vocabulary(docs, 100, min_count=1)
    lookup = {w: i for i, w in enumerate(vocabulary)}
    return vocabulary, [lm.encode(d, lookup) for d in docs]


def test_probabilities_sum_to_one_for_every_kind_of_context(corpus) -> None:
    vocabulary, docs = corpus
    model = KneserNeyModel.fit(docs, len(vocabulary))
    ids = {w: i for i, w in enumerate(vocabulary)}
    contexts = [
        ("the", "cat"),       # seen trigram context
        ("mat", "the"),       # seen
        ("dog", "cat"),       # unseen pair, seen middle word
        ("<s>", "<s>"),       # start of a document
        ("<unk>", "<unk>"),   # nothing known
    ]
    u = np.array([ids[a] for a, _ in contexts])
    v = np.array([ids[b] for _, b in contexts])
    probs = model.distributions(u, v)
    assert probs.shape == (len(contexts), len(vocabulary))
    assert np.allclose(probs.sum(axis=1), 1.0)
    assert (probs >= 0).all()
    assert model.next_distribution([]).sum() == pytest.approx(1.0)


def test_matches_nltk_kneser_ney_on_a_tiny_corpus(corpus) -> None:
    vocabulary, docs = corpus
    model = KneserNeyModel.fit(docs, len(vocabulary), discount=0.75)
    # nltk gets exactly the n-grams our model counts: every trigram ending at a real token
    # and its bigram and unigram suffixes.
    sentences = []
    for tri in (padded_trigrams([d]) for d in docs):
        grams = []
        for a, b, c in tri.tolist():
            grams += [(str(a), str(b), str(c)), (str(b), str(c)), (str(c),)]
        sentences.append(grams)
    reference = KneserNeyInterpolated(3, discount=0.75)
    reference.fit(sentences, [str(i) for i in range(len(vocabulary))])
    ids = {w: i for i, w in enumerate(vocabulary)}
    for a, b in [("the", "cat"), ("on", "the"), ("dog", "cat"), ("<s>", "the"),
                 ("saw", "a"), ("mat", "mat")]:
        ours = model.distributions(np.array([ids[a]]), np.array([ids[b]]))[0]
        for word in range(3, len(vocabulary)):
            theirs = reference.unmasked_score(str(word), (str(ids[a]), str(ids[b])))
            assert ours[word] == pytest.approx(theirs, abs=1e-12), (a, b, vocabulary[word])


def test_evaluation_counts_the_same_tokens_as_the_lstm(corpus) -> None:
    vocabulary, docs = corpus
    model = KneserNeyModel.fit(docs, len(vocabulary))
    suggestable = np.ones(len(vocabulary), bool)
    suggestable[[lm.PAD_ID, lm.UNK_ID, lm.BOS_ID]] = False
    result = model.evaluate(docs, suggestable, batch_size=7)
    assert result.tokens == sum(len(d) - 1 for d in docs)
    assert 1 < result.perplexity < len(vocabulary)
    assert 0 < result.top1 <= result.top3 <= result.top5 <= 1
    # "sat" is always followed by "on": the trigram model knows it
    after_sat = model.next_distribution([vocabulary.index("cat"), vocabulary.index("sat")])
    assert vocabulary[int(np.argmax(after_sat))] == "on"


def test_discount_must_be_a_fraction(corpus) -> None:
    vocabulary, docs = corpus
    with pytest.raises(ValueError, match="discount"):
        KneserNeyModel.fit(docs, len(vocabulary), discount=1.5)
