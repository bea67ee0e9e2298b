"""Edit and rescore: one word changed, every model's verdict before and after."""

from __future__ import annotations

import pytest

from core import edits
from core.runs import shipped_store


def test_edits_keep_the_rest_of_the_text_as_typed():
    text = "The plot was good,\nand the acting  great!"
    rest = "\nand the acting  great!"
    assert edits.edit_review(text, 3, edits.SWAP, "bad") == "The plot was bad," + rest
    assert edits.edit_review(text, 3, edits.NEGATE) == "The plot was not good," + rest
    assert edits.edit_review(text, 3, edits.DROP) == "The plot was" + rest
    assert edits.edit_review(text, 0, edits.DROP) == "plot was good," + rest
    for only in ("  good  ", "Great !", "good --"):  # nothing would be left to score
        with pytest.raises(ValueError, match="only word"):
            edits.edit_review(only, 0, edits.DROP)
    assert edits.edit_review("  good  ", 0, edits.NEGATE) == "  not good  "
    with pytest.raises(ValueError, match="no word 9"):
        edits.edit_review(text, 8, edits.DROP)
    with pytest.raises(ValueError, match="Type the word"):
        edits.edit_review(text, 3, edits.SWAP, "   ")


def test_a_repeated_word_gets_a_chip_of_its_own():
    words = ["good", "acting,", "good", "plot,", "good"]
    assert edits.word_labels(words) == ["good", "acting,", "good (2)", "plot,", "good (3)"]
    assert len(set(edits.word_labels(words))) == len(words)


def test_a_swap_suggests_the_opposite_of_a_verdict_word():
    assert edits.opposite("good,") == "bad"
    assert edits.opposite("Awful!") == "Great"
    assert edits.opposite("plot") == "plot"
    assert edits.opposite("Not") == "Really"  # a negation swaps for a word that undoes it


def test_good_to_bad_flips_the_shipped_models():
    store = shipped_store()
    runs = {arch: store.load(arch) for arch in ("lstm", "gru", "bilstm")}
    scorers = {arch: (lambda text, run=run: float(run.predict([text])[0]))
               for arch, run in runs.items()}
    review = "A wonderful film. The acting was great and I loved every minute."
    edited = edits.edit_review(review, 1, edits.SWAP, edits.opposite("wonderful"))
    edited = edits.edit_review(edited, 6, edits.SWAP, edits.opposite("great"))
    edited = edits.edit_review(edited, 9, edits.SWAP, edits.opposite("loved"))
    assert edited == "A dreadful film. The acting was awful and I hated every minute."
    rows = edits.rescore(scorers, review, edited)
    assert [r.model for r in rows] == ["lstm", "gru", "bilstm"]
    for row in rows:
        assert row.before > 0.6 > 0.4 > row.after and row.flipped and row.change < 0
        assert row.row()["verdict"] == "Positive → Negative"
