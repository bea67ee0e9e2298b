"""The LSTM language model: tokens, windows, training through the job queue, saving through
the run store, suggestions, generation, evaluation and bad input."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest
import tensorflow as tf

from core import language_model as lm
from core.jobs import JobContext, JobFailed
from core.runs import RunStore

CYCLE = "one two three four five six seven eight nine ten ."
TINY = lm.LMConfig(vocab_size=50, window=8, embed_dim=16, units=32, learning_rate=0.02,
                   batch_size=16, epochs=6, max_train_words=10_000, val_share=0.1, seed=1)


def cycle_documents(n_docs: int = 40, repeats: int = 8) -> list[str]:
    return [" ".join([CYCLE] * repeats) for _ in range(n_docs)]


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """A tiny LM trained through the job queue and saved through the run store."""
    store = RunStore(tmp_path_factory.mktemp("lm-runs"))
    data = lm.LMTrainingData(documents=cycle_documents(), source="cycle")
    job = lm.submit_lm_training(TINY, data, name="cycle", store=store)
    assert job.wait(timeout=600)
    assert job.state == "done", job.error
    return store, job


@pytest.fixture(scope="module")
def cycle_model(trained) -> lm.LanguageModel:
    store, job = trained
    return lm.load_language_model(store, job.result)


def test_tokenize_keeps_contractions_and_punctuation() -> None:
    assert lm.tokenize("Don’t stop — it's GREAT!! <b>café</b>") == [
        "don't", "stop", "it's", "great", "!", "!", "b", "café", "b"]
    assert lm.detokenize(["it", "was", "great", ",", "really", "!"]) == "it was great, really!"
    assert lm.tokenize("") == [] and lm.tokenize("🙂🙂 —") == []


# The tokenizer's specification, as Python's regex engine reads it: words of letters and
# digits of any script with single inner apostrophes, or one punctuation mark. The model's
# layer (RE2 rewrites, then a whitespace split) must find exactly these tokens.
SPEC = re.compile(r"[^\W_]+(?:'[^\W_]+)*|[.,!?;:]")


def spec_tokens(text: str) -> list[str]:
    return SPEC.findall(text.replace("\u2019", "'").replace("\u2026", "...").lower())


def test_the_tokenizer_layer_finds_exactly_the_specified_tokens(imdb) -> None:
    tricky = ["a''b a'''b rock'n'roll 'tis dogs' x_y a'b'c'd'e o' '", "it's.,;:!?'",
              "ÉMOUVANT İstanbul ΣΟΦΙΑ l'été d’accord", "wait… what", "日本語のテキスト",
              "हिन्दी में", "line\nbreak\ttab", "\x01a'b\x01", "<s> <unk> [UNK]", "",
              "🙂🙂 —", "1,000,000 $5.99 10/10 c-3po"]
    reviews = [str(t) for t in imdb.train["text"].iloc[:400]]
    for text in tricky + reviews:
        assert lm.tokenize(text) == spec_tokens(text), text[:80]
    assert lm.tokenize_all(tricky + reviews) == [spec_tokens(t) for t in tricky + reviews]


def test_vocabulary_is_deterministic_and_keeps_unk_trained() -> None:
    docs = [["b", "a", "a", "c", "b", "once"], ["a", "c", "b"]]
    vocab = lm.build_vocabulary(docs, 10)
    # a, b x3 each -> alphabetical tie-break; "once" occurs once and stays out
    assert vocab == ["", "<unk>", "<s>", "a", "b", "c"]
    assert lm.build_vocabulary(docs, 4) == ["", "<unk>", "<s>", "a"]


def test_scoring_windows_score_every_token_once_with_its_true_id() -> None:
    rng = np.random.default_rng(0)
    docs = [np.concatenate([[lm.BOS_ID], rng.integers(3, 40, n)]).astype(np.int32)
            for n in (1, 5, 7, 8, 9, 23, 50)]
    x, y = lm.scoring_windows(docs, 8)
    scored = y[y >= 0]
    assert len(scored) == sum(len(d) - 1 for d in docs)
    expected = np.concatenate([d[1:] for d in docs])
    assert sorted(scored.tolist()) == sorted(expected.tolist())
    # every scored target is the token right after its input position
    for row_x, row_y in zip(x, y, strict=True):
        for t in range(len(row_y) - 1):
            if row_y[t] >= 0 and row_x[t + 1] != 0:
                assert row_x[t + 1] == row_y[t]


def test_training_windows_shift_targets_by_one() -> None:
    docs = [np.arange(2, 20, dtype=np.int32), np.arange(2, 9, dtype=np.int32)]
    x, y = lm.training_windows(docs, 5)
    assert x.shape == y.shape == (4, 5)
    stream = np.concatenate(docs)
    assert (x.ravel() == stream[:20]).all() and (y.ravel() == stream[1:21]).all()


@pytest.mark.slow
def test_job_publishes_live_curves_and_saves_a_language_model_run(trained) -> None:
    store, job = trained
    kinds = {e.KIND for e in job.events()}
    assert {"batch", "epoch"} <= kinds
    batches, epochs = lm.curve_rows(job.events())  # as the page draws them
    assert all(math.isfinite(b["loss"]) for b in batches)
    probes = [b for b in batches if "val_perplexity" in b]
    assert probes[0]["step"] == 1 and len(probes) >= 2
    for probe in probes:  # held-out figures of the validation sample, full softmax
        assert math.isclose(probe["val_perplexity"], math.exp(probe["val_loss"]), rel_tol=1e-6)
        assert 0 <= probe["val_top1"] <= probe["val_top3"] <= 1
    assert probes[-1]["val_perplexity"] < probes[0]["val_perplexity"]
    assert {"loss", "val_perplexity", "val_top1", "val_top3"} <= set(epochs[-1])
    # Each epoch row sits at the training step where its epoch ended (the last batch of
    # every epoch is always published).
    steps_per_epoch = max(b["step"] for b in batches if b["epoch"] == 1)
    assert [e["step"] for e in epochs] == [steps_per_epoch * (i + 1) for i in range(TINY.epochs)]
    assert all(e["complete"] for e in epochs)
    (info,) = lm.list_language_models(store)
    assert info.kind == lm.KIND and info.status == "done" and info.name == "cycle"
    for key in ("lm_perplexity", "lm_top1", "lm_top3", "lm_top5", "ngram_perplexity",
                "ngram_top3", "suggest_ms_p50", "held_out_oov_rate"):
        assert key in info.metrics
    assert info.metrics["lm_tokens"] == info.metrics["ngram_tokens"] > 0


@pytest.mark.slow
def test_the_saved_model_takes_raw_strings_and_any_batch(trained) -> None:
    """The file holds the tokenizer too: text in, the next word's scores out, for a batch
    of any lengths the same as for each text alone through the id network."""
    from core.runs import load_model_file

    store, job = trained
    saved = load_model_file(store.model_path(job.result))
    assert saved.inputs[0].dtype == "string"
    model = lm.load_language_model(store, job.result)
    texts = ["one two three", "", "four five six seven eight nine ten . one two three four",
             "zzyzx", "one two three " * 50]
    batch = np.asarray(saved(tf.constant(texts)))
    for text, row in zip(texts, batch, strict=True):
        ids = lm.encode(lm.tokenize(text), model.lookup)[-TINY.window:]
        assert np.array_equal(model.context_ids(text), ids)
        np.testing.assert_allclose(row, model.next_logits(ids), atol=1e-5)
        np.testing.assert_allclose(row, model.text_logits([text])[0], atol=1e-5)
    # the layer's ids are the run's vocabulary's
    tokens = saved.get_layer("tokens").get_vocabulary()
    assert tokens[lm.BOS_ID:] == model.vocabulary[lm.BOS_ID:]


@pytest.mark.slow
def test_a_run_saved_as_an_id_network_still_loads(trained, tmp_path) -> None:
    """Runs saved before the model took strings hold the id network; they load wrapped."""
    store, job = trained
    model = lm.load_language_model(store, job.result)
    old = RunStore(tmp_path)
    run_id = old.save(model=model.network, kind=lm.KIND, config=TINY.to_dict(), name="old",
                      status="done", history={}, metrics={}, vocabulary=model.vocabulary)
    again = lm.load_language_model(old, run_id)
    assert again.model.inputs[0].dtype == "string"
    for prefix in ("one two", "", "seven eight nine"):
        np.testing.assert_allclose(again.text_logits([prefix]), model.text_logits([prefix]),
                                   atol=1e-5)


@pytest.mark.slow
def test_lm_learns_a_deterministic_pattern(cycle_model: lm.LanguageModel) -> None:
    assert cycle_model.suggest("three four", k=3)[0].word == "five"
    assert cycle_model.suggest("eight nine ten", k=3)[0].word == "."
    greedy = cycle_model.generate("one", n_words=10, temperature=0)
    assert greedy == "two three four five six seven eight nine ten .".split()
    assert cycle_model.metrics["lm_top1"] > 0.9
    assert cycle_model.metrics["lm_perplexity"] < 1.5


@pytest.mark.slow
def test_a_large_vocabulary_trains_by_sampled_softmax_and_still_learns() -> None:
    """Above 4 x SAMPLED_WORDS the trainer scores a sample per step; the full-softmax
    network it trains must still predict the pattern, and the file must reload exactly."""
    small = lm.LMConfig(vocab_size=60, window=8, embed_dim=8, units=8)
    assert lm.make_trainer(lm.build_network(small), small, 10).sampled == 0
    config = lm.LMConfig(vocab_size=5_000, window=8, embed_dim=16, units=32,
                         learning_rate=0.02, seed=4)
    network = lm.build_network(config)
    trainer = lm.make_trainer(network, config, total_steps=300)
    assert trainer.sampled == lm.SAMPLED_WORDS
    pattern = np.array([100, 2_000, 4_500, 37, 999])  # rare and frequent ids alike
    stream = np.tile(pattern, 400)
    x = stream[:-1][:1_992].reshape(-1, 8).astype(np.int32)
    y = stream[1:][:1_992].reshape(-1, 8).astype(np.int32)
    trainer.fit(x, y, batch_size=32, epochs=12, verbose=0)
    vocabulary = list(lm.SPECIALS) + [f"w{i}" for i in range(len(lm.SPECIALS), config.vocab_size)]
    model = lm.LanguageModel(network, vocabulary, config)
    probs = model.next_distribution(" ".join(f"w{i}" for i in (100, 2_000)))
    assert int(np.argmax(probs)) == 4_500 and probs[4_500] > 0.5
    assert network.count_params() < 5_000 * 16 * 2  # the output layer has no matrix of its own


@pytest.mark.slow
def test_suggestions_are_a_ranked_probability_list(cycle_model: lm.LanguageModel) -> None:
    suggestions = cycle_model.suggest("five six", k=5)
    assert len(suggestions) == 5
    probabilities = [s.probability for s in suggestions]
    assert probabilities == sorted(probabilities, reverse=True)
    assert 0 < sum(probabilities) <= 1 + 1e-6
    assert not {s.word for s in suggestions} & set(lm.SPECIALS)
    assert cycle_model.next_distribution("five").sum() == pytest.approx(1.0)


@pytest.mark.slow
def test_generation_is_reproducible_with_a_seed(cycle_model: lm.LanguageModel) -> None:
    a = cycle_model.generate("two", n_words=15, temperature=2.0, top_k=10, seed=7)
    b = cycle_model.generate("two", n_words=15, temperature=2.0, top_k=10, seed=7)
    assert a == b and len(a) == 15
    assert not set(a) & set(lm.SPECIALS)
    seeds = {tuple(cycle_model.generate("two", 15, 2.0, 10, seed=s)) for s in range(5)}
    assert len(seeds) > 1  # at temperature 2 the seed matters


@pytest.mark.slow
def test_bad_prefixes_still_give_suggestions(cycle_model: lm.LanguageModel) -> None:
    window = cycle_model.config.window
    starters = cycle_model.suggest("", k=3)
    assert starters[0].word == "one"  # every document starts with "one"
    unknown = cycle_model.context_ids("zzyzx qwerty")
    assert unknown.tolist() == [lm.BOS_ID, lm.UNK_ID, lm.UNK_ID]
    assert len(cycle_model.suggest("zzyzx qwerty 🙂 <script>", k=3)) == 3
    long_prefix = " ".join([CYCLE] * 5000) + " one two"
    assert len(cycle_model.context_ids(long_prefix)) == window
    assert cycle_model.suggest(long_prefix, k=1)[0].word == "three"


@pytest.mark.slow
def test_too_little_text_fails_with_a_clear_message(tmp_path) -> None:
    store = RunStore(tmp_path)
    with pytest.raises(JobFailed, match="at least"):
        lm.train_language_model(TINY, lm.LMTrainingData(["a tiny corpus."] * 5), store=store)
    with pytest.raises(JobFailed, match="from 2 to 200"):
        lm.train_language_model(lm.LMConfig(window=0), lm.LMTrainingData(["x"]), store=store)
    assert store.list() == []
    assert "at least" in lm.check_user_text("")
    assert "at least" in lm.check_user_text("too short " * 10)
    assert lm.check_user_text("word " * 3000) is None
    with pytest.raises(ValueError, match="at least"):
        lm.user_training_data("only a few words")


@pytest.mark.slow
def test_the_text_check_sees_what_training_will_get(tmp_path) -> None:
    # 2,200 words: enough in all, but not once a tenth is held out and a piece validates.
    borderline = " ".join(f"w{i % 50}" for i in range(2_200))
    problem = lm.check_user_text(borderline)
    assert problem and "left to train on" in problem and "Add about" in problem
    with pytest.raises(JobFailed, match="left to train on"):
        lm.train_language_model(TINY, lm.LMTrainingData(lm.split_user_text(borderline)),
                                store=RunStore(tmp_path))
    # A cap so small that validation's share would leave too little is refused up front;
    # the smallest accepted cap leaves enough.
    enough = " ".join(f"w{i % 50}" for i in range(4_000))
    capped = lm.LMConfig(max_train_words=lm.MIN_TRAIN_WORDS)
    assert "max_train_words" in capped.validate()
    smallest = lm.LMConfig(max_train_words=lm.MIN_TRAIN_WORDS_SETTING)
    assert smallest.validate() == {}
    assert lm.check_user_text(enough, smallest) is None
    # Text without a single space or blank line is still cut into documents to hold out.
    no_spaces = ",".join(f"w{i % 50}" for i in range(3_000))
    assert len(lm.split_user_text(no_spaces)) == 20
    assert lm.check_user_text(no_spaces) is None
    # Every word different: nothing occurs twice, so there is nothing to suggest.
    all_different = " ".join(f"w{i}" for i in range(3_000))
    assert "No word occurs twice" in lm.check_user_text(all_different)


def test_uploads_must_be_utf8_text() -> None:
    assert lm.decode_upload("héllo".encode()) == "héllo"
    assert lm.decode_upload(b"\xef\xbb\xbfwith bom") == "with bom"
    with pytest.raises(ValueError, match="not UTF-8"):
        lm.decode_upload("caf\u00e9".encode("latin-1"), "novel.txt")
    with pytest.raises(ValueError, match="empty"):
        lm.decode_upload(b"")
    with pytest.raises(ValueError, match="binary"):
        lm.decode_upload(b"\x89PNG\r\n\x1a\n\x00\x00")
    # Windows Notepad's "Unicode" is UTF-16 with a byte-order mark.
    assert lm.decode_upload("café\nnoël".encode("utf-16")) == "café\nnoël"
    assert lm.decode_upload(b"\xfe\xff" + "naïve".encode("utf-16-be")) == "naïve"
    with pytest.raises(ValueError, match="UTF-16"):
        lm.decode_upload("no byte-order mark".encode("utf-16-le"))


def test_absurd_settings_are_reported_per_field() -> None:
    problems = lm.LMConfig(vocab_size=5, window=10_000, units=0, learning_rate=float("nan"),
                           epochs=True).validate()
    assert set(problems) == {"vocab_size", "window", "units", "learning_rate", "epochs"}
    assert lm.LMConfig().validate() == {}
    assert "memory" in lm.LMConfig(vocab_size=50_000, window=200, batch_size=1024).validate()[
        "batch_size"]
    assert lm.LMConfig.from_dict({**lm.LMConfig().to_dict(), "unknown": 1}) == lm.LMConfig()


@pytest.mark.slow
def test_stop_is_honoured_and_the_run_saved_as_stopped(tmp_path) -> None:
    store = RunStore(tmp_path)
    slow = lm.LMConfig(**{**TINY.to_dict(), "epochs": 50, "batch_size": 2})
    job = lm.submit_lm_training(slow, lm.LMTrainingData(cycle_documents()), store=store)
    while len([e for e in job.events() if e.KIND == "batch"]) < 2 and not job.finished:
        job.wait(0.05)
    job.stop()
    assert job.wait(timeout=300)
    assert job.state == "stopped" and job.result
    (info,) = store.list()
    assert info.status == "stopped"
    epochs = store.read_json(info.run_id, "history.json")["epochs"]
    # Keras ends the interrupted epoch (validating it): that row is kept but not counted.
    assert info.metrics["epochs_run"] == sum(row["complete"] for row in epochs) < 50
    assert not epochs[-1]["complete"]


@pytest.mark.slow
def test_stop_before_training_saves_nothing(tmp_path) -> None:
    store = RunStore(tmp_path)
    job = JobContext("stopped early")
    job.stop()
    data = lm.LMTrainingData(cycle_documents(), source="cycle")
    assert lm.train_language_model(TINY, data, job=job, store=store) is None
    assert store.list() == []


def test_no_suggestions_from_a_vocabulary_of_specials_only() -> None:
    suggestable = np.zeros(3, dtype=bool)
    assert lm.top_suggestions(np.full(3, 1 / 3), lm.SPECIALS, suggestable, 5) == []


def test_shipped_model_loads_and_stays_small() -> None:
    store = lm.shipped_store()
    (info,) = lm.list_language_models(store)
    size = sum(p.stat().st_size for p in info.path.rglob("*") if p.is_file())
    assert size <= 20 * 1024 * 1024
    assert (info.path / "MODEL_CARD.md").is_file()
    model = lm.load_language_model(store, info.run_id)
    probs = model.next_distribution("this movie was one of the")
    assert probs.sum() == pytest.approx(1.0)
    # a trained model prefers the phrase reviewers write to a broken one
    assert probs[model.lookup["best"]] > 10 * probs[model.lookup["of"]]
    assert len(model.suggest("this movie was one of the", k=5)) == 5
    a = model.generate("the acting", 12, temperature=1.0, top_k=40, seed=3)
    assert a == model.generate("the acting", 12, temperature=1.0, top_k=40, seed=3)
    for key in ("lm_top3", "ngram_top3", "lm_perplexity", "ngram_perplexity"):
        assert 0 < info.metrics[key]
