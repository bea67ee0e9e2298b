"""Model configs and builders: validation, names, every architecture, the end-to-end model."""

import re

import numpy as np
import pytest

from core import models, text
from core.config import ARCHITECTURES, FIELD_HELP, FIELD_LABELS, ModelConfig
from core.schema import SettingsError

TEXTS = ["a great movie", "awful boring film", "great acting", "terrible plot and awful"] * 5


def tiny(**changes) -> ModelConfig:
    values = dict(vocab_size=40, seq_len=8, embed_dim=4, units=3, train_size=40, epochs=1)
    values.update(changes)
    return ModelConfig(**values)


def test_defaults_are_valid_and_round_trip_through_a_dict():
    config = ModelConfig()
    assert config.validate() == {}
    again = ModelConfig.from_dict({**config.to_dict(), "from_a_newer_version": 1})
    assert again == config and again.key() == config.key()
    assert tiny(seed=1).key() != tiny(seed=2).key()
    assert set(config.to_dict()) == set(FIELD_LABELS) == set(FIELD_HELP)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"vocab_size": 0}, "vocab_size"),
        ({"seq_len": 100_000}, "seq_len"),
        ({"learning_rate": 1e6}, "learning_rate"),
        ({"learning_rate": float("nan")}, "learning_rate"),
        ({"epochs": 0}, "epochs"),
        ({"units": -5}, "units"),
        ({"batch_size": 2.5}, "batch_size"),
        ({"dropout": 1.0}, "dropout"),
        ({"val_share": 0.0}, "val_share"),
        ({"optimizer": "magic"}, "optimizer"),
        ({"arch": "transformer"}, "arch"),
        ({"clipnorm": -1.0}, "clipnorm"),
        ({"seed": -1}, "seed"),
        ({"embeddings": "glove", "glove_path": ""}, "glove_path"),
        ({"pooling": "mean"}, "pooling"),
        ({"embed_dropout": -0.1}, "embed_dropout"),
    ],
)
def test_absurd_settings_get_a_message_on_their_field(changes, field):
    problems = tiny(**changes).validate()
    assert field in problems and problems[field].endswith(".")
    with pytest.raises(SettingsError, match=re.escape(problems[field])):  # what submit raises
        tiny(**changes).check()


@pytest.mark.parametrize("arch", ["lstm", "bilstm", "stacked_bilstm"])
def test_max_pooling_reads_every_step_and_keeps_the_layer_names(arch):
    model = models.build_model(tiny(arch=arch, pooling="max"))
    names = [layer.name for layer in model.layers]
    assert names.index("pooling") == names.index("output") - 2  # pooling, dropout, output
    last = model.get_layer(f"recurrent_{tiny(arch=arch).layers}")
    inner = getattr(last, "forward_layer", last)
    assert inner.return_sequences is True
    ids = np.array([[3, 4, 5, 0, 0, 0, 0, 0]], dtype="int32")
    assert model.predict(ids, verbose=0).shape == (1, 1)


def test_bilstm_architectures_fix_their_wiring():
    assert ModelConfig(arch="bilstm").bidirectional is True
    stacked = ModelConfig(arch="stacked_bilstm", layers=1)
    assert stacked.bidirectional is True and stacked.layers == 2
    assert stacked.label == "Stacked BiLSTM 64×2"


@pytest.mark.parametrize("arch", ARCHITECTURES)
def test_every_architecture_builds_with_the_agreed_layer_names(arch):
    model = models.build_model(tiny(arch=arch))
    names = [layer.name for layer in model.layers]
    expected_recurrent = ["recurrent_1", "recurrent_2"] if arch == "stacked_bilstm" else [
        "recurrent_1"]
    assert [n for n in names if n.startswith("recurrent_")] == expected_recurrent
    assert names[1] == "embedding" and names[-1] == "output"
    assert ("batch_norm" in names) == (arch == "simple_rnn")
    recurrent = model.get_layer("recurrent_1")
    assert (type(recurrent).__name__ == "Bidirectional") == arch.endswith("bilstm")
    out = model.predict(np.zeros((2, 8), dtype="int32"), verbose=0)
    assert out.shape == (2, 1) and np.all((out >= 0) & (out <= 1))


@pytest.mark.parametrize(("arch", "pooling"), [
    *[(arch, pooling) for arch in ("simple_rnn", "lstm", "gru", "bilstm")
      for pooling in ("max", "last")],
    *[(arch, "concat") for arch in ("simple_rnn", "lstm", "gru", "bilstm")]])
def test_a_verdict_does_not_depend_on_padding_or_on_its_batch(arch, pooling):
    import keras
    import tensorflow as tf

    keras.utils.set_random_seed(1)
    rng = np.random.default_rng(1)
    long_review = " ".join(f"w{i}" for i in rng.integers(0, 60, 500))
    vectorizer = text.make_vectorizer([long_review, "a fine and moving film"], 80, 500)
    network = models.build_model(tiny(arch=arch, pooling=pooling, vocab_size=80, seq_len=500))
    model = models.end_to_end(vectorizer, network)
    review = "a fine and moving film w3"

    # predict_on_batch runs the traced graph (an eager call steps through 1,000 steps in
    # Python); it is what the app's own predictors run too.
    alone = model.predict_on_batch(tf.constant([review]))[0, 0]
    beside_a_long_one = model.predict_on_batch(tf.constant([review, long_review]))[0, 0]
    ids = np.asarray(vectorizer(tf.constant([review])))  # padded to 500 by the vectorizer
    assert np.count_nonzero(ids) == 6
    padded_to_1000 = network.predict_on_batch(np.pad(ids, ((0, 0), (0, 500))))[0, 0]
    unpadded = network.predict_on_batch(ids[:, :6])[0, 0]
    for other in (beside_a_long_one, padded_to_1000, unpadded):
        assert abs(other - alone) < 1e-5


def test_concat_pooling_is_last_state_max_and_mean_of_the_real_steps_only():
    from core.layers import masked_concat_pooling_layer

    states = np.array([[[1.0, -2.0], [3.0, -4.0], [9.0, 9.0]],
                       [[5.0, 6.0], [7.0, 8.0], [2.0, 1.0]],
                       [[4.0, 4.0], [4.0, 4.0], [4.0, 4.0]]], dtype="float32")
    mask = np.array([[True, True, False], [True, True, True], [False, False, False]])
    pooled = np.asarray(masked_concat_pooling_layer()(states, mask=mask))
    np.testing.assert_allclose(pooled, [
        [3.0, -4.0, 3.0, -2.0, 2.0, -3.0],  # the padded step (9, 9) takes no part
        [2.0, 1.0, 7.0, 8.0, 14 / 3, 5.0],
        [0.0] * 6,  # no real step: zeros
    ], rtol=1e-6)
    # Padding in front, and no mask at all (every step real).
    front = np.asarray(masked_concat_pooling_layer()(states[1:2], mask=np.array(
        [[False, True, True]])))
    np.testing.assert_allclose(front, [[2.0, 1.0, 7.0, 8.0, 4.5, 4.5]], rtol=1e-6)
    np.testing.assert_allclose(np.asarray(masked_concat_pooling_layer()(states[1:2])),
                               pooled[1:2], rtol=1e-6)
    model = models.build_model(tiny(arch="lstm", pooling="concat"))
    assert model.get_layer("pooling").output.shape[-1] == 3 * tiny().units


def test_a_bilstms_concat_pooling_reads_both_directions_after_the_whole_review():
    """The backward half has read the whole review at the first word: concat pooling takes
    it there, so its "last state" part is Keras's own last state of the Bidirectional."""
    import keras

    model = models.build_model(tiny(arch="bilstm", pooling="concat", dropout=0.0,
                                    embed_dropout=0.0))
    ids = np.array([[5, 7, 9, 11, 0, 0, 0, 0]], dtype="int32")
    pooled = keras.Model(model.inputs[0], model.get_layer("pooling").output)(ids)
    embedded = model.get_layer("embedding")(ids)
    mask = model.get_layer("embedding").compute_mask(ids)
    units = tiny().units
    last_state = keras.layers.Bidirectional(keras.layers.LSTM(units))
    last_state(embedded, mask=mask)  # build, then take the trained layer's weights
    last_state.set_weights(model.get_layer("recurrent_1").get_weights())
    np.testing.assert_allclose(np.asarray(pooled)[:, :2 * units],
                               np.asarray(last_state(embedded, mask=mask)), atol=1e-6)


def test_one_review_is_read_with_no_padding_at_all():
    network = models.build_model(tiny(seq_len=6, dropout=0.0))
    trim = models.end_to_end(text.make_vectorizer(TEXTS, 40, 6), network).get_layer(
        "trim_padding")
    ids = np.array([[5, 7, 9, 0, 0, 0], [4, 3, 0, 0, 0, 0]], dtype="int32")
    np.testing.assert_array_equal(np.asarray(trim(ids)), [[5, 7, 9], [4, 3, 0]])
    assert np.asarray(trim(np.zeros((1, 6), dtype="int32"))).shape == (1, 1)


def test_pretrained_embedding_matrix_is_used_and_can_be_frozen():
    matrix = np.arange(40 * 4, dtype="float32").reshape(40, 4) / 100
    frozen = models.build_model(tiny(), embedding_matrix=matrix)
    layer = frozen.get_layer("embedding")
    np.testing.assert_allclose(layer.get_weights()[0], matrix)
    assert layer.trainable is False
    tuned = models.build_model(tiny(freeze_embeddings=False), embedding_matrix=matrix)
    assert tuned.get_layer("embedding").trainable is True
    with pytest.raises(ValueError, match="Embedding matrix"):
        models.build_model(tiny(), embedding_matrix=matrix[:10])


def test_end_to_end_model_takes_raw_strings_and_agrees_with_the_network():
    vectorizer = text.make_vectorizer(TEXTS, 40, 8)
    network = models.build_model(tiny())
    combined = models.end_to_end(vectorizer, network)
    reviews = ["a great movie", "<script>alert(1)</script> 😀 awful", ""]
    import tensorflow as tf

    direct = network.predict(np.asarray(vectorizer(tf.constant(reviews))), verbose=0)
    np.testing.assert_allclose(combined(tf.constant(reviews)).numpy(), direct, rtol=1e-5)
    assert models.network_of(combined).name == models.NETWORK_NAME
    assert models.vectorizer_of(combined) is not None


def test_same_seed_same_curve():
    rng = np.random.default_rng(0)
    x = rng.integers(0, 40, size=(64, 8)).astype("int32")
    x[:, 5:] = 0  # end padding, as the vectorizer gives it
    y = rng.integers(0, 2, size=64).astype("float32")
    import keras

    fitted = []
    for _ in range(2):
        keras.utils.set_random_seed(3)
        model = models.build_model(tiny(dropout=0.3))
        history = model.fit(x, y, batch_size=16, epochs=2, shuffle=False, verbose=0).history
        fitted.append((history["loss"], model.predict(x, verbose=0)))
    assert fitted[0][0] == fitted[1][0]  # dropout's random masks included
    np.testing.assert_array_equal(fitted[0][1], fitted[1][1])


def test_rmsprop_survives_a_blown_up_velocity_so_the_nan_guard_can_speak():
    # Keras's sparse divide assumed one row per word in the embedding's gradient; after a
    # blow-up (NaN in RMSprop's velocity) it crashed with "indices[...] is not in [0, ...)".
    config = ModelConfig(arch="simple_rnn", vocab_size=50, seq_len=12, embed_dim=4, units=4,
                         optimizer="rmsprop", learning_rate=1.0, clipnorm=0.0, batch_size=16,
                         train_size=64, epochs=1)
    model = models.build_model(config)
    rng = np.random.default_rng(0)
    x = rng.integers(1, 10, size=(32, 12)).astype("int32")  # every word several times a batch
    y = rng.integers(0, 2, size=(32,)).astype("float32")
    model.fit(x, y, batch_size=16, epochs=1, verbose=0)
    velocity = next(v for v in model.optimizer.variables
                    if "velocity" in v.path and tuple(v.shape) == (50, 4))
    velocity.assign(np.full((50, 4), np.nan, "float32"))
    history = model.fit(x, y, batch_size=16, epochs=1, verbose=0)
    assert np.isnan(history.history["loss"][-1])  # a NaN loss, which the guard explains
