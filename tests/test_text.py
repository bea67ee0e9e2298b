"""Text to numbers: the vectorizer, the token view shown on the Data page, escaping."""

import numpy as np
import pytest

from core import text

TEXTS = ["the film was good", "the film was bad", "good good acting", "a bad plot"]
TEXT = "The FILM was good, amazing! 🎬 x"


def test_vectorizer_is_deterministic_and_pads_at_the_end():
    first = text.make_vectorizer(TEXTS, vocab_size=8, seq_len=6)
    second = text.make_vectorizer(list(reversed(TEXTS)), vocab_size=8, seq_len=6)
    assert first.get_vocabulary() == second.get_vocabulary()
    vocab = first.get_vocabulary()
    assert vocab[:2] == ["", "[UNK]"] and len(vocab) == 8
    ids = np.asarray(first(["the film was good"]))[0]
    assert ids.tolist()[-2:] == [0, 0] and (ids[:4] > 1).all()


def test_token_view_matches_what_the_layer_computes():
    vectorizer = text.make_vectorizer(TEXTS, vocab_size=20, seq_len=4)
    view = text.explain_tokens(vectorizer, TEXT)
    assert view.tokens == ["the", "film", "was", "good", "amazing", "🎬", "x"]
    assert view.oov == [False, False, False, False, True, True, True]
    assert view.sequence.tolist() == view.ids[:4] == np.asarray(vectorizer([TEXT]))[0].tolist()
    assert (view.truncated, view.padding) == (3, 0)
    assert view.one_hot().shape == (4, view.vocab_size)
    assert view.one_hot().sum(axis=1).tolist() == [1, 1, 1, 1]
    assert view.one_hot_bytes() == 4 * view.vocab_size * 4
    assert view.embedding_bytes(16) == 4 * 16 * 4


def test_tokens_are_the_models_own_words_for_any_text():
    texts = ["Très ÉMOUVANT, don't!", "", "<b>Good</b>\tfilm\u00a0😀", "ÉMOUVANT " * 3]
    vectorizer = text.make_vectorizer(texts, vocab_size=20, seq_len=12)
    tokens = text.tokenize_all(texts)
    assert tokens == text.tokenize_all(texts, vectorizer)
    assert tokens[0] == ["très", "Émouvant", "dont"]  # TF lower-cases ASCII letters only
    lookup = {word: i for i, word in enumerate(vectorizer.get_vocabulary())}
    for row, ids in zip(tokens, np.asarray(vectorizer(texts)), strict=True):
        assert [lookup.get(t, text.OOV_ID) for t in row] == [i for i in ids if i]
    assert text.tokenize("") == [] and text.tokenize_all([]) == []






def test_saved_vocabulary_rebuilds_the_same_vectorizer(isolated_home):
    adapted = text.make_vectorizer(TEXTS, vocab_size=10, seq_len=5)
    vocab = text.cached_vocabulary(TEXTS, 10, cache_key="tiny")
    assert vocab == adapted.get_vocabulary()
    assert text.cached_vocabulary(TEXTS, 10, cache_key="tiny") == vocab  # from disk now
    rebuilt = text.vectorizer_from_vocabulary(vocab, seq_len=5)
    sample = ["a good film", "unknown words only"]
    assert np.array_equal(np.asarray(rebuilt(sample)), np.asarray(adapted(sample)))


@pytest.mark.parametrize("vocab_size, seq_len, field", [
    (0, 200, "vocab_size"), (10**9, 200, "vocab_size"), (10_000, 0, "seq_len"),
    (10_000, 100_000, "seq_len"),
])
def test_absurd_settings_get_field_messages(vocab_size, seq_len, field):
    assert field in text.check_vectorizer_settings(vocab_size, seq_len)
    with pytest.raises(ValueError):
        text.make_vectorizer(TEXTS, vocab_size, seq_len)


def test_escape_markdown_neutralises_html_and_markup():
    escaped = text.escape_markdown("<script>alert('x')</script> **bold** [link](http://x)")
    assert "<script>" not in escaped and "\\<script\\>" in escaped
    assert "\\*\\*bold\\*\\*" in escaped and "\\[link\\]" in escaped


def test_html_tags_and_joining_dashes_are_read_as_spaces():
    from core.text import tokenize, without_markup

    assert tokenize("<b>great</b> movie") == ["bgreatb", "movie"]  # what Keras alone does
    cleaned, tags = without_markup("<b>great</b> movie.<br /><br />Really—truly -- fine")
    assert tags and tokenize(cleaned) == ["great", "movie", "really", "truly", "fine"]
    # Only real HTML elements: angle brackets around the reviewer's own words stay.
    for typed in ("well-acted, 3 < 4 and 5 > 2", "I would rate it <not even one star>",
                 "<<<WORST FILM EVER>>> avoid", "if x<y and y>z", "best film <grin>",
                 "I <3 it"):
        assert without_markup(typed) == (typed, False)
    assert without_markup('<P>Bold<BR/>move <a href="x">here</a>')[0].split() == [
        "Bold", "move", "here"]
