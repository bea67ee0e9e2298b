"""A classifier started from the language model (`embeddings="lm"`): it really holds the
language model's weights before fine-tuning, and such a run trains and saves."""

import dataclasses
import json

import numpy as np
import pytest

from core import training
from core.config import LM_EMBED_DIM, LM_UNITS, ModelConfig
from core.jobs import DONE
from core.language_model.store import ASSETS_DIR, load_language_model, shipped_store
from core.language_model.transfer import SHIPPED_LM, apply_lm_start, lm_start, match_words
from core.models import build_model, network_of
from core.runs import RunStore
from core.text import make_vectorizer

pytestmark = pytest.mark.slow  # trains models or runs jobs on Ray


def test_the_configs_sizes_are_the_shipped_language_models():
    saved = json.loads((ASSETS_DIR / SHIPPED_LM / "config.json").read_text())
    assert (saved["embed_dim"], saved["units"]) == (LM_EMBED_DIM, LM_UNITS)
    config = ModelConfig(arch="lstm", embeddings="lm", embed_dim=8, units=8)
    assert (config.embed_dim, config.units) == (LM_EMBED_DIM, LM_UNITS)
    assert config.validate() == {}
    for arch in ("gru", "simple_rnn", "bilstm"):
        assert "embeddings" in ModelConfig(arch=arch, embeddings="lm").validate()
    assert "embeddings" in ModelConfig(arch="lstm", bidirectional=True,
                                       embeddings="lm").validate()


def test_words_are_matched_across_the_two_tokenizers():
    lm_vocabulary = ["", "<unk>", "<s>", "the", "don't", "its", "it's", "."]
    vectors = np.arange(len(lm_vocabulary) * 2, dtype=np.float32).reshape(-1, 2) + 1
    match = match_words(["", "[UNK]", "the", "dont", "its", "zebra"], lm_vocabulary, vectors)
    np.testing.assert_array_equal(match.matrix[0], [0, 0])
    np.testing.assert_array_equal(match.matrix[1], vectors[1])  # [UNK] is <unk>
    np.testing.assert_array_equal(match.matrix[2], vectors[3])
    np.testing.assert_array_equal(match.matrix[3], vectors[4])  # "dont" is "don't"
    np.testing.assert_array_equal(match.matrix[4], vectors[5])  # "its" stays "its"
    assert match.found == 4 and match.words == 5 and match.missing == ["zebra"]
    assert np.isfinite(match.matrix[5]).all() and not np.allclose(match.matrix[5], 0)


def test_the_classifier_holds_the_language_models_weights_before_fine_tuning(imdb):
    texts = imdb.train["text"].head(300).tolist()
    vocabulary = make_vectorizer(texts, 2_000, 64).get_vocabulary()
    config = ModelConfig(arch="lstm", embeddings="lm", vocab_size=len(vocabulary),
                         freeze_embeddings=False)
    start = lm_start(vocabulary, seed=3)
    model = build_model(config, start.match.matrix)
    apply_lm_start(model, start)

    lm = load_language_model(shipped_store(), SHIPPED_LM)
    lm_vectors = lm.network.get_layer("embedding").get_weights()[0]
    lm_row = {word: i for i, word in enumerate(lm.vocabulary)}
    ours = model.get_layer("embedding").get_weights()[0]
    shared = [w for w in vocabulary if w in lm_row and w != ""]
    assert len(shared) > 0.9 * (len(vocabulary) - 1)  # nearly every frequent word
    for word in shared:
        np.testing.assert_array_equal(ours[vocabulary.index(word)], lm_vectors[lm_row[word]])
    for ours_w, lm_w in zip(model.get_layer("recurrent_1").get_weights(),
                            lm.network.get_layer("lstm").get_weights(), strict=True):
        np.testing.assert_array_equal(ours_w, lm_w)

    gru = build_model(ModelConfig(arch="gru", vocab_size=len(vocabulary)))
    with pytest.raises(ValueError, match="one-direction LSTM"):
        apply_lm_start(gru, start)


def test_a_run_started_from_the_language_model_trains_and_saves(imdb, tmp_path):
    small = dataclasses.replace(imdb, test=imdb.test.sample(100, random_state=2))
    config = ModelConfig(arch="lstm", embeddings="lm", vocab_size=500, seq_len=24,
                         batch_size=32, epochs=1, train_size=160, val_share=0.2, seed=5)
    store = RunStore(tmp_path / "runs")
    job = training.submit_training(config, small, store=store)
    assert job.wait(300) and job.state == DONE, job.error
    glove = next(e for e in job.events() if e.KIND == "glove")
    assert glove.dim == LM_EMBED_DIM and glove.coverage > 0.9
    run = store.load(job.result)
    assert run.config["embeddings"] == "lm" and run.config["units"] == LM_UNITS
    assert network_of(run.model).get_layer("recurrent_1").units == LM_UNITS
    assert 0.0 <= run.metrics["test_accuracy"] <= 1.0
