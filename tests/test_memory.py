"""Memory on your own sentence: integrated gradients of the shipped models' verdicts."""

from __future__ import annotations

import numpy as np
import pytest

from core.charts.cell import memory_by_distance_chart, memory_heatmap
from core.gradients.memory import MAX_WORDS, word_memory
from core.runs import shipped_store

TEXT = "I expected to hate this film, and the first hour bored me, but the ending was wonderful."


@pytest.fixture(scope="module")
def models():
    store = shipped_store()
    return {arch: store.load(arch) for arch in ("simple_rnn", "lstm", "gru")}


@pytest.mark.parametrize("arch", ["simple_rnn", "lstm", "gru"])
def test_the_scores_add_up_to_the_verdict_the_model_gives(models, arch):
    run = models[arch]
    memory = word_memory(run.model, TEXT)
    assert memory.tokens[-1] == "wonderful" and len(memory.scores) == len(memory.tokens)
    # The verdict is the model's own: the same P(positive) its predictor gives.
    assert memory.probability == pytest.approx(float(run.predict([TEXT])[0]), abs=1e-4)
    # Completeness: the words account for the whole change from the no-words baseline.
    change = memory.logit - memory.baseline_logit
    assert abs(change) > 0.1
    assert memory.gap <= 0.02 * abs(change) + 1e-3
    assert memory.shares().sum() == pytest.approx(1.0)
    assert memory.distance_profile()[0] == memory.shares()[-1]


def test_a_word_and_its_opposite_push_opposite_ways(models):
    praise = word_memory(models["lstm"].model, "the ending was wonderful")
    pan = word_memory(models["lstm"].model, "the ending was awful")
    assert praise.scores[-1] > 0.2 > -0.2 > pan.scores[-1]


def test_long_texts_are_cut_and_empty_ones_refused(models):
    memory = word_memory(models["gru"].model, "good " * (MAX_WORDS + 30))
    assert len(memory.tokens) == MAX_WORDS and memory.truncated == 30
    with pytest.raises(ValueError, match="no words"):
        word_memory(models["gru"].model, "!!! ???")


def test_the_charts_show_every_model_and_word(models):
    memories = {name: word_memory(run.model, TEXT) for name, run in models.items()}
    heat = memory_heatmap(memories)
    assert list(heat.data[0].y) == list(memories)
    assert np.asarray(heat.data[0].z).shape == (3, len(memories["lstm"].tokens))
    signs = {cell[0] for row in heat.data[0].text for cell in row if cell}
    assert signs <= {"+", "−"}  # the sign is written, not only coloured
    lines = memory_by_distance_chart(memories, {name: name for name in memories})
    assert [trace.name for trace in lines.data] == list(memories)
