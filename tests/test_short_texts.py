"""The short-text development set: built from held-back training reviews only, one-sentence
verdicts with their review's clear star rating."""

import numpy as np
import pytest

from core import short_texts
from core.config import ModelConfig
from core.training import split_reviews


def test_a_sentence_counts_when_it_names_the_film_and_gives_an_opinion():
    assert short_texts.is_opinion("This movie was great.")
    assert short_texts.is_opinion("It was boring and far too long.")
    assert not short_texts.is_opinion("He moves to Paris with his sister.")  # plot
    assert not short_texts.is_opinion("This film is set in Paris.")  # no opinion word
    assert not short_texts.is_opinion("Great film.")  # under 3 words
    assert not short_texts.is_opinion("This movie was great " + "and long " * 20)
    assert short_texts.sentences("Awful! Truly awful. Why?  Yes") == [
        "Awful!", "Truly awful.", "Why?", "Yes"]


def test_the_set_comes_from_the_held_back_training_reviews_with_clear_stars(imdb):
    config = ModelConfig(train_size=25_000, val_share=0.02, seed=42)
    texts = short_texts.short_text_set(imdb, config)
    fitted, held_back = split_reviews(config, imdb)
    assert len(texts) > 300
    # A review is known by its id and label (ids repeat between pos/ and neg/).
    used = set(zip(texts["review_id"], texts["label"], strict=True))
    assert used <= set(zip(held_back["id"], held_back["label"].astype(int), strict=True))
    assert used.isdisjoint(zip(fitted["id"], fitted["label"].astype(int), strict=True))
    assert set(texts["stars"]) <= {1, 2, 9, 10}
    assert np.array_equal(texts["label"], (texts["stars"] >= 9).astype(int))
    assert texts["text"].map(short_texts.is_opinion).all()
    assert 0.35 < texts["label"].mean() < 0.65


def test_scores_count_neutral_as_its_lean_and_report_its_share():
    result = short_texts.score(np.array([0.9, 0.55, 0.2, 0.45]), np.array([1, 1, 1, 0]),
                               band=0.1)
    assert result.texts == 4
    assert result.accuracy == pytest.approx(0.75)
    assert result.neutral_share == pytest.approx(0.5)
    assert result.accuracy_when_decided == pytest.approx(0.5)


def test_training_takes_at_most_one_verdict_sentence_per_review():
    import pandas as pd

    reviews = pd.DataFrame({
        "id": [1, 2, 3], "label": [1, 0, 1], "stars": [10, 1, 7],
        "text": ["This film is great. It is wonderful. It was a joy to watch.",
                 "It was boring. Nothing happens.", "This movie is great. Truly."]})
    every = short_texts.verdict_sentences(reviews)
    assert every["review_id"].tolist() == [1, 1, 1, 2]  # 7 stars is not a clear review
    one = short_texts.verdict_sentences(reviews, per_review=1, seed=3)
    assert one["review_id"].tolist() == [1, 2]
    assert one["text"].iloc[0] in every["text"].tolist()
    assert one.equals(short_texts.verdict_sentences(reviews, per_review=1, seed=3))


def test_a_negation_counts_only_just_before_an_opinion_word():
    assert short_texts.negates_opinion("It was not good at all.")
    assert short_texts.negates_opinion("It won't disappoint you.")
    assert short_texts.negates_opinion("I never got bored once.")
    assert short_texts.negates_opinion("Bromwell High is nothing short of brilliant.")
    assert not short_texts.negates_opinion("It was good, not long.")  # negates no opinion
    assert not short_texts.negates_opinion("Not one of the actors was any good.")  # too far
    assert not short_texts.negates_opinion("A great film.")  # no negation
    assert not short_texts.negates_opinion("not good")  # under 3 words


def test_training_with_negations_adds_each_negated_opinion_of_the_clear_reviews_once():
    import pandas as pd

    from core.training import training_sentences

    reviews = pd.DataFrame({
        "id": [1, 2, 3], "label": [1, 0, 1], "stars": [10, 1, 7],
        "text": ["This film is great. It won't disappoint. I never got bored.",
                 "It was not good. The cast is not funny. Nothing happens.",
                 "It was not bad at all."]})
    negated = short_texts.negation_sentences(reviews)
    assert negated["text"].tolist() == ["It won't disappoint.", "I never got bored.",
                                        "It was not good.", "The cast is not funny."]
    assert negated["label"].tolist() == [1, 1, 0, 0]  # the review's stars, 7 is not clear
    both = training_sentences(ModelConfig(sentences=True, negations=True), reviews)
    assert not both.duplicated(["review_id", "text"]).any()
    assert set(negated["text"]) < set(both["text"])
    assert training_sentences(ModelConfig(negations=True), reviews).equals(negated)


def test_clear_sentences_are_those_read_as_their_stars_say(tmp_path):
    import pandas as pd

    texts = pd.DataFrame({
        "text": ["This film is great.", "It was boring.", "It is a film  about Paris.",
                 "I loved this movie.", "This movie was never read."],
        "label": [1, 0, 1, 0, 1], "stars": [10, 1, 9, 2, 10], "review_id": [1, 2, 3, 4, 5]},
        index=[10, 11, 12, 13, 14])
    readings = pd.DataFrame({
        "review_id": [1, 2, 3, 4], "label": [1, 0, 1, 0],
        "sentence": [short_texts.sentence_key(t) for t in
                     ["This film is great.", "It was boring.", "It is a film about Paris.",
                      "I loved this movie."]],
        "reading": ["P", "N", "X", "P"]})
    path = tmp_path / "readings.csv"
    readings.to_csv(path, index=False)
    read = short_texts.with_readings(texts, path)
    assert read.index.equals(texts.index)
    assert read["reading"].tolist()[:4] == ["P", "N", "X", "P"]  # spacing does not matter
    assert pd.isna(read["reading"].iloc[4])
    # A plot sentence (X), a praise from a 2-star review and an unread one are left out.
    assert short_texts.clearly_read(texts, path).index.tolist() == [10, 11]


def test_every_sentence_of_the_shipped_models_set_was_read(imdb):
    from core.pretrain import SHIPPED_CONFIGS

    texts = short_texts.short_text_set(imdb, SHIPPED_CONFIGS["lstm"])
    read = short_texts.with_readings(texts)
    assert read["reading"].notna().all()
    clear = short_texts.clearly_read(texts)
    assert 0.4 * len(texts) < len(clear) < len(texts)
    assert (read.loc[clear.index, "reading"].map(short_texts.READINGS)
            == clear["label"]).all()
