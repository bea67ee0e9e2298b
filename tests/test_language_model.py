"""The LSTM language model: tokens, windows, training through the job queue, saving through
the run store, suggestions, generation, evaluation and bad input."""

from __future__ import annotations

import math

import numpy as np
import pytest

from core import language_model as lm
from core.jobs import JobFailed
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


def test_job_publishes_live_curves_and_saves_a_language_model_run(trained) -> None:
    store, job = trained
    kinds = {e["kind"] for e in job.events()}
    assert {"batch", "epoch"} <= kinds
    batch = next(e for e in job.events() if e["kind"] == "batch")
    assert math.isclose(batch["perplexity"], math.exp(batch["loss"]), rel_tol=1e-6)
    epoch = [e for e in job.events() if e["kind"] == "epoch"][-1]
    assert {"val_perplexity", "top3", "val_top3"} <= set(epoch)
    (info,) = lm.list_language_models(store)
    assert info.kind == lm.KIND and info.status == "done" and info.name == "cycle"
    for key in ("lm_perplexity", "lm_top1", "lm_top3", "lm_top5", "ngram_perplexity",
                "ngram_top3", "suggest_ms_p50", "held_out_oov_rate"):
        assert key in info.metrics
    assert info.metrics["lm_tokens"] == info.metrics["ngram_tokens"] > 0


def test_lm_learns_a_deterministic_pattern(cycle_model: lm.LanguageModel) -> None:
    assert cycle_model.suggest("three four", k=3)[0].word == "five"
    assert cycle_model.suggest("eight nine ten", k=3)[0].word == "."
    greedy = cycle_model.generate("one", n_words=10, temperature=0)
    assert greedy == "two three four five six seven eight nine ten .".split()
    assert cycle_model.metrics["lm_top1"] > 0.9
    assert cycle_model.metrics["lm_perplexity"] < 1.5


def test_suggestions_are_a_ranked_probability_list(cycle_model: lm.LanguageModel) -> None:
    suggestions = cycle_model.suggest("five six", k=5)
    assert len(suggestions) == 5
    probabilities = [s.probability for s in suggestions]
    assert probabilities == sorted(probabilities, reverse=True)
    assert 0 < sum(probabilities) <= 1 + 1e-6
    assert not {s.word for s in suggestions} & set(lm.SPECIALS)
    assert cycle_model.next_distribution("five").sum() == pytest.approx(1.0)


def test_generation_is_reproducible_with_a_seed(cycle_model: lm.LanguageModel) -> None:
    a = cycle_model.generate("two", n_words=15, temperature=2.0, top_k=10, seed=7)
    b = cycle_model.generate("two", n_words=15, temperature=2.0, top_k=10, seed=7)
    assert a == b and len(a) == 15
    assert not set(a) & set(lm.SPECIALS)
    seeds = {tuple(cycle_model.generate("two", 15, 2.0, 10, seed=s)) for s in range(5)}
    assert len(seeds) > 1  # at temperature 2 the seed matters


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


def test_too_little_text_fails_with_a_clear_message(tmp_path) -> None:
    store = RunStore(tmp_path)
    with pytest.raises(JobFailed, match="at least"):
        lm.train_language_model(TINY, lm.LMTrainingData(["a tiny corpus."] * 5), store=store)
    with pytest.raises(JobFailed, match="between"):
        lm.train_language_model(lm.LMConfig(window=0), lm.LMTrainingData(["x"]), store=store)
    assert store.list() == []
    assert "at least" in lm.check_user_text("")
    assert "at least" in lm.check_user_text("too short " * 10)
    assert lm.check_user_text("word " * 3000) is None
    with pytest.raises(ValueError, match="at least"):
        lm.user_training_data("only a few words")


def test_uploads_must_be_utf8_text() -> None:
    assert lm.decode_upload("héllo".encode()) == "héllo"
    assert lm.decode_upload(b"\xef\xbb\xbfwith bom") == "with bom"
    with pytest.raises(ValueError, match="not UTF-8"):
        lm.decode_upload("caf\u00e9".encode("latin-1"), "novel.txt")
    with pytest.raises(ValueError, match="empty"):
        lm.decode_upload(b"")
    with pytest.raises(ValueError, match="binary"):
        lm.decode_upload(b"\x89PNG\r\n\x1a\n\x00\x00")


def test_absurd_settings_are_reported_per_field() -> None:
    problems = lm.LMConfig(vocab_size=5, window=10_000, units=0, learning_rate=float("nan"),
                           epochs=True).validate()
    assert set(problems) == {"vocab_size", "window", "units", "learning_rate", "epochs"}
    assert lm.LMConfig().validate() == {}
    assert "memory" in lm.LMConfig(vocab_size=50_000, window=200, batch_size=1024).validate()[
        "batch_size"]
    assert lm.LMConfig.from_dict({**lm.LMConfig().to_dict(), "unknown": 1}) == lm.LMConfig()


def test_stop_is_honoured_and_the_run_saved_as_stopped(tmp_path) -> None:
    store = RunStore(tmp_path)
    slow = lm.LMConfig(**{**TINY.to_dict(), "epochs": 50, "batch_size": 2})
    job = lm.submit_lm_training(slow, lm.LMTrainingData(cycle_documents()), store=store)
    while not job.events() and not job.finished:
        job.wait(0.05)
    job.stop()
    assert job.wait(timeout=300)
    assert job.state == "stopped"
    (info,) = store.list()
    assert info.status == "stopped"
    assert info.metrics["epochs_done"] < 50


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
