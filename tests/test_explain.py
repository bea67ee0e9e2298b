"""Occlusion contributions and their HTML, with a transparent word-counting scorer."""

import numpy as np

from core import explain


def word_scorer(texts):
    """P(positive) from +1 per "good", -1 per "bad": the true contributions are known."""
    out = []
    for text in texts:
        words = text.lower().split()
        score = sum(w.strip(".,!") == "good" for w in words) - sum(
            w.strip(".,!") == "bad" for w in words)
        out.append(1 / (1 + np.exp(-score)))
    return np.array(out)


def test_occlusion_finds_the_deciding_words():
    result = explain.occlusion("A good, good film.  Not bad!", word_scorer, seq_len=50)
    assert result.words == ["A", "good,", "good", "film.", "Not", "bad!"]
    assert result.gaps == ["", " ", " ", " ", "  ", " ", ""]
    c = dict(zip(result.words, result.contributions, strict=True))
    assert c["good,"] > 0 and c["good"] > 0 and c["bad!"] < 0
    assert c["A"] == 0 and c["film."] == 0
    assert np.isclose(result.probability, 1 / (1 + np.exp(-1)))
    assert result.top(3, positive=True)[0][0] == "good"
    assert [w for w, _ in result.top(3, positive=False)] == ["bad"]


def test_words_past_the_sequence_length_and_punctuation_are_not_read():
    text = "good - " + " ".join(["bad"] * 10)
    result = explain.occlusion(text, word_scorer, seq_len=4)
    assert result.truncated
    assert np.isnan(result.contributions[1])  # "-" is no token
    assert (~np.isnan(result.contributions)).sum() == 4  # good + the first three "bad"
    assert np.all(np.isnan(result.contributions[5:]))


def test_batches_cover_every_variant():
    calls = []

    def counting(texts):
        calls.append(len(texts))
        return word_scorer(texts)

    result = explain.occlusion(" ".join(["good"] * 30), counting, seq_len=100, batch_size=8)
    assert sum(calls) == 31 and max(calls) == 8
    assert not np.isnan(result.contributions).any() and result.unexplained == 0


def test_a_long_window_explains_only_the_first_words_it_can_afford():
    calls = []

    def counting(texts):
        calls.append(len(texts))
        return word_scorer(texts)

    text = " ".join(["good"] * 30 + ["bad"] * 30)
    # 60 token steps per variant and 1,200 allowed: the whole review and 19 variants.
    result = explain.occlusion(text, counting, seq_len=60, max_steps=1200)
    assert sum(calls) == 20 and result.unexplained == 60 - 19
    assert not np.isnan(result.contributions[:19]).any()
    assert np.isnan(result.contributions[19:]).all()
    # The unexplained words still count: the score is the whole review's.
    assert np.isclose(result.probability, 0.5)
    assert "41 words the model reads are grey" in explain.contributions_html(result)


def test_empty_text_needs_one_call_and_gives_no_words():
    result = explain.occlusion("", word_scorer, seq_len=10)
    assert result.words == [] and result.contributions.size == 0
    assert explain.contributions_html(result).startswith("<div")


def test_html_is_escaped_never_rendered():
    review = "<script>alert('x')</script> good <b>bad</b> bad & co"
    result = explain.occlusion(review, word_scorer, seq_len=50)
    page = explain.contributions_html(result)
    assert "<script>" not in page and "<b>" not in page
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in page
    assert "&amp;" in page
    assert "rgba(0,158,115" in page and "rgba(213,94,0" in page  # green and orange words
    assert "<sup>+</sup>" in page and "<sup>−</sup>" in page  # the sign, not only a colour


def test_newlines_survive_as_breaks_whatever_the_line_ends():
    result = explain.occlusion("good\n\nbad", word_scorer, seq_len=10)
    assert "<br><br>" in explain.contributions_html(result)
    windows = explain.contributions_html(explain.occlusion("good\r\nbad\rok", word_scorer, 10))
    assert "\r" not in windows and windows.count("<br>") == 2


def test_the_word_chart_reads_as_contributions_with_the_sign_of_the_bars():
    from core.charts.classify import contribution_chart

    result = explain.occlusion("A good film, not bad", word_scorer, seq_len=50)
    figure = contribution_chart(result.top(3, positive=True), result.top(3, positive=False),
                                "counter")
    bars = dict(zip(figure.data[0].y, figure.data[0].x, strict=True))
    # "good" raises the score, so its bar is positive, and the axis says why.
    assert bars["good"] > 0 > bars["bad"]
    title = figure.layout.xaxis.title.text
    assert "contribution" in title and "removed" not in title
