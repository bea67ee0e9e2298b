"""The hidden state's path: real states of the shipped models, a PCA plane fitted on
training reviews, the read-out's direction, and paths that follow the verdict."""

from __future__ import annotations

import numpy as np
import pytest

from core import gates
from core.charts.cell import state_path_chart
from core.runs import shipped_store
from core.state_space import REFERENCE_PATHS, fit_state_space, text_states


@pytest.fixture(scope="module")
def lstm():
    return shipped_store().load("lstm").model


@pytest.fixture(scope="module")
def space(lstm, imdb):
    sample = imdb.train.sample(120, random_state=1)
    return fit_state_space(lstm, sample["text"].tolist(), sample["label"].astype(int).tolist())


def test_the_states_are_the_layers_own(lstm):
    text = "A slow start, but the ending was wonderful."
    (tokens,), (states,) = text_states(lstm, [text])
    trace = gates.trace_text(lstm, text)
    assert tokens == trace.tokens
    np.testing.assert_allclose(states, trace.values["hidden"], atol=1e-5)
    # Batched with a longer text (padding after the words), a text's states do not change.
    _, batched = text_states(lstm, [text + " and more " * 30, text])
    np.testing.assert_allclose(batched[1], states, atol=1e-5)


def test_a_model_that_reads_only_its_last_state_still_has_a_path():
    from core import text as text_module
    from core.config import ModelConfig
    from core.models import build_model, end_to_end

    texts = ["a great film", "an awful film", "great acting", "boring plot"] * 5
    vectorizer = text_module.make_vectorizer(texts, vocab_size=30, seq_len=16)
    config = ModelConfig(arch="gru", vocab_size=30, seq_len=16, embed_dim=6, units=5,
                         dropout=0.0, pooling="last")
    model = end_to_end(vectorizer, build_model(config))
    (tokens,), (states,) = text_states(model, ["a great film"])
    assert states.shape == (3, 5)
    # The last state is what the model itself reads out.
    assert np.allclose(states[-1], gates.trace_text(model, "a great film").values["hidden"][-1],
                       atol=1e-5)


def test_the_plane_and_the_readout(space):
    assert space.components.shape[0] == 2
    np.testing.assert_allclose(space.components @ space.components.T, np.eye(2), atol=1e-8)
    assert 0 < space.explained[1] <= space.explained[0] < 1
    assert np.linalg.norm(space.readout) == pytest.approx(1.0) and space.readout[0] > 0
    assert 0 < space.readout_in_plane <= 1
    labels = [path.label for path in space.references]
    assert labels.count(1) == labels.count(0) == REFERENCE_PATHS // 2


def test_the_path_follows_the_verdict(space, lstm):
    praise = space.path(lstm, "this movie was wonderful")
    pan = space.path(lstm, "this movie was awful")
    assert praise.probability > 0.5 > pan.probability
    assert len(praise.points) == 4 and praise.tokens[-1] == "wonderful"
    # Same first three words, same first three points; the last word sends them apart
    # along the read-out, the way their verdicts go.
    np.testing.assert_allclose(praise.points[:3], pan.points[:3], atol=1e-9)
    assert space.along_readout(praise)[-1] > space.along_readout(pan)[-1]
    with pytest.raises(ValueError, match="no words"):
        space.path(lstm, "!!! ???")


def test_the_chart_draws_every_path(space, lstm):
    path = space.path(lstm, "this movie was wonderful")
    fig = state_path_chart(space, path)
    assert len(fig.data) == len(space.references) + 1
    assert list(fig.data[-1].text) == path.tokens and fig.data[-1].name == "your text"
    assert {t.name for t in fig.data[:-1]} == {"positive reviews", "negative reviews"}


def test_a_model_that_pools_last_max_and_mean_reads_out_through_all_three(imdb):
    """The LM-pretrained LSTM's verdict layer reads each unit three times (concat pooling);
    its read-out in the plane sums the three weights of a unit."""
    model = shipped_store().load("lstm_lm").model
    assert model.get_layer("network").get_layer("pooling").output.shape[-1] == 3 * 256
    sample = imdb.train.sample(60, random_state=2)
    space = fit_state_space(model, sample["text"].tolist(), sample["label"].astype(int).tolist())
    assert space.components.shape == (2, 256)
    assert np.linalg.norm(space.readout) == pytest.approx(1.0)
    praise = space.path(model, "this movie was wonderful")
    pan = space.path(model, "this movie was awful")
    assert praise.probability > 0.5 > pan.probability
    assert space.along_readout(praise)[-1] > space.along_readout(pan)[-1]
