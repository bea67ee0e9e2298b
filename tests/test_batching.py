"""Length-aware batching: similar lengths together, each batch cut to its longest review."""

import numpy as np

from core import batching


def test_length_batches_group_similar_lengths_and_cover_every_review_once():
    rng = np.random.default_rng(0)
    lengths = rng.integers(1, 500, 1000)
    batches = batching.length_batches(lengths, 32, np.random.default_rng(5))
    rows = np.concatenate(batches)
    assert sorted(rows.tolist()) == list(range(1000))
    assert all(len(b) == 32 for b in batches[:-1] if len(b) != 1000 % 32)
    # Sorted within pools: a batch's lengths span far less than random batches' would.
    spread = np.median([np.ptp(lengths[b]) for b in batches])
    assert spread < 0.2 * np.ptp(lengths)
    again = batching.length_batches(lengths, 32, np.random.default_rng(5))
    assert all(np.array_equal(a, b) for a, b in zip(batches, again, strict=True))
    other = batching.length_batches(lengths, 32, np.random.default_rng(6))
    assert not all(np.array_equal(a, b) for a, b in zip(batches, other, strict=True))
    ordered = np.concatenate(batching.length_batches(lengths, 32))
    assert np.all(np.diff(lengths[ordered]) >= 0)


def test_only_the_last_training_batch_is_short():
    lengths = np.random.default_rng(0).integers(1, 400, size=1_000)
    for seed in range(5):
        batches = batching.length_batches(lengths, 64, np.random.default_rng(seed))
        assert [len(b) for b in batches] == [64] * 15 + [40]
    even = batching.length_batches(lengths[:960], 64, np.random.default_rng(1))
    assert [len(b) for b in even] == [64] * 15


def test_training_batches_are_cut_to_their_longest_review():
    x = np.zeros((40, 100), dtype=np.int32)
    for row, length in enumerate(np.arange(1, 41)):
        x[row, :length] = 7
    y = np.zeros(40, dtype=np.float32)
    widths = [int(batch[0].shape[1]) for batch in batching.train_dataset(x, y, 8, seed=1)]
    assert len(widths) == 5 and max(widths) == 48 and min(widths) < 48
    assert all(w % batching.WIDTH_STEP == 0 for w in widths)


def test_predictions_come_back_in_the_order_of_the_reviews():
    import keras

    model = keras.Sequential([keras.Input((None,), dtype="int32"),
                              keras.layers.Lambda(lambda ids: keras.ops.sum(
                                  keras.ops.cast(ids, "float32"), axis=1, keepdims=True))])
    x = np.zeros((50, 30), dtype=np.int32)
    lengths = np.random.default_rng(2).integers(1, 30, 50)
    for row, length in enumerate(lengths):
        x[row, :length] = 1
    np.testing.assert_array_equal(batching.predict_ids(model, x, batch_size=8), lengths)
