"""The comparison: plans, the table with ratios, CSV, charts, live progress, and the real
flow (four architectures trained on a tiny budget, reuse of identical runs, failures)."""

import io
import json
import math
import shutil
import zipfile

import pandas as pd
import pytest

from core import compare
from core.charts import compare as charts
from core.compare.run import _Schedule
from core.config import ModelConfig
from core.data import ImdbData
from core.events import Batch, Epoch, ModelStart, Note, Plan, Row
from core.jobs import DONE, JobContext
from core.runs import RunStore

pytestmark = pytest.mark.slow  # trains models or runs jobs on Ray

TINY = ModelConfig(vocab_size=400, seq_len=32, embed_dim=8, units=8, epochs=1, batch_size=32,
                   train_size=240, val_share=0.25, seed=7)


# --- plans and the table, from plain values -------------------------------------------------

def test_every_architecture_gets_identical_settings_but_its_own_wiring():
    base = ModelConfig(arch="bilstm", units=32, layers=1, epochs=3, seed=5)
    plan = compare.ComparePlan(base, archs=("simple_rnn", "lstm", "gru", "bilstm",
                                            "stacked_bilstm"))
    configs = {c.arch: c for c in plan.configs()}
    assert not configs["lstm"].bidirectional and configs["bilstm"].bidirectional
    assert configs["stacked_bilstm"].layers == 2 and configs["gru"].layers == 1
    shared = {k: v for k, v in base.to_dict().items()
              if k not in ("arch", "bidirectional", "layers")}
    for config in configs.values():
        assert {k: config.to_dict()[k] for k in shared} == shared
    assert len({c.key() for c in configs.values()}) == 5
    assert plan.validate() == {}


def test_bad_plans_get_field_messages():
    assert "archs" in compare.ComparePlan(TINY, archs=()).validate()
    assert "archs" in compare.ComparePlan(TINY, archs=("lstm", "lstm")).validate()
    assert "Unknown" in compare.ComparePlan(TINY, archs=("transformer",)).validate()["archs"]
    assert "baselines" in compare.ComparePlan(TINY, baselines=("bert",)).validate()
    absurd = ModelConfig(units=10**9, learning_rate=float("nan"))
    problems = compare.ComparePlan(absurd).validate()
    assert "units" in problems and "learning_rate" in problems


def entry(label, arch, epoch_s, **metrics):
    history = {"val_accuracy": [0.7, 0.8, 0.78], "val_loss": [0.6, 0.45, 0.5],
               "epoch_s": [epoch_s] * 3}
    return compare.Entry(label=label, arch=arch, metrics=metrics, history=history,
                         config={"train_size": 1000, "val_share": 0.2}, run_id=f"run-{arch}")


def test_table_fills_every_column_and_divides_times_by_the_lstm():
    entries = [
        entry("LSTM", "lstm", 10.0, params=1000, latency_one_ms=2.0, latency_batch_ms=0.1,
              test_accuracy=0.85, test_loss=0.35),
        entry("BiLSTM", "bilstm", 25.0, params=2000, latency_one_ms=3.0, latency_batch_ms=0.3,
              test_accuracy=0.87, test_loss=float("nan")),
        compare.Entry(label="VADER", arch="vader", source=compare.BASELINE,
                      metrics={"train_s": 0.0, "test_accuracy": 0.7, "latency_one_ms": 1.0,
                               "latency_batch_ms": 1.0}),
        compare.failed_entry("GRU", "gru", "The loss became NaN at epoch 1, batch 3."),
    ]
    table = compare.comparison_table(entries)
    assert list(table.columns) == list(compare.COLUMNS)
    lstm, bilstm, vader, gru = (table.iloc[i] for i in range(4))
    # Derived from the history when the metrics lack them.
    assert lstm["epoch_s"] == 10.0 and lstm["train_s"] == 30.0 and lstm["epochs_run"] == 3
    assert lstm["best_epoch"] == 2 and lstm["best_val_accuracy"] == 0.8
    assert lstm["samples_per_s"] == pytest.approx(800 / 10)
    assert lstm["epoch_s_vs_lstm"] == 1.0
    assert bilstm["epoch_s_vs_lstm"] == 2.5
    assert bilstm["latency_batch_vs_lstm"] == pytest.approx(3.0)
    assert math.isnan(bilstm["test_loss"])  # NaN stays empty, never a number
    assert vader["train_s_vs_lstm"] == 0.0 and math.isnan(vader["epoch_s"])
    assert gru["status"] == compare.FAILED and "NaN" in gru["note"]
    metric_columns = [c for c in compare.COLUMNS if c not in ("note", "run_id")]
    assert not table.iloc[:2][metric_columns].drop(columns="test_loss").isna().any().any()

    csv = pd.read_csv(io.BytesIO(compare.table_csv(table)))
    assert list(csv.columns) == list(compare.COLUMNS)
    assert csv.loc[1, "epoch_s_vs_lstm"] == 2.5 and csv.loc[3, "status"] == "failed"

    no_lstm = compare.comparison_table(entries[1:])
    assert no_lstm["epoch_s_vs_lstm"].isna().all()
    lines = compare.findings(table)
    assert any("2.50×" in line for line in lines) and any("BiLSTM" in line for line in lines)


def test_charts_draw_what_the_table_says():
    entries = [entry("LSTM", "lstm", 10.0, test_accuracy=0.85, params=1),
               entry("BiLSTM <b>", "bilstm", 20.0, test_accuracy=0.87, params=2),
               compare.Entry(label="VADER", arch="vader", source=compare.BASELINE,
                             metrics={"train_s": 0.0, "test_accuracy": 0.7})]
    table = compare.comparison_table(entries)
    curves = charts.history_figure(entries, "val_accuracy")
    assert [t.name for t in curves.data] == ["LSTM", "BiLSTM &lt;b&gt;"]
    assert list(curves.data[1].y) == [0.7, 0.8, 0.78]
    scatter = charts.accuracy_time_figure(table)
    assert [t.x[0] for t in scatter.data] == [30.0, 60.0]
    assert scatter.layout.shapes[0].y0 == 0.7  # VADER has no training time: a line
    assert "VADER (no training)" in scatter.layout.annotations[0].text
    bars = charts.epoch_time_figure(table)
    assert list(bars.data[0].y) == [10.0, 20.0] and "×2.00" in bars.data[0].text[1]
    empty = compare.comparison_table([])
    assert not charts.epoch_time_figure(empty).data
    assert charts.live_figure({}).layout.annotations


def test_a_one_epoch_comparison_still_draws_each_model_learning():
    one_epoch = {"val_accuracy": [0.81], "val_loss": [0.42], "steps_per_epoch": 10,
                 "batches": {"epoch": [0] * 10, "step": list(range(10)),
                             "batch_accuracy": [0.5 + 0.03 * i for i in range(10)],
                             "batch_loss": [0.7 - 0.03 * i for i in range(10)]}}
    entries = [compare.Entry(label="GRU <i>", arch="gru", history=one_epoch),
               compare.Entry(label="VADER", arch="vader", source=compare.BASELINE)]
    figure = charts.learning_figure(entries, "accuracy")
    training, validation = figure.data
    assert training.name == "GRU &lt;i&gt;, training" and len(training.x) == 10
    assert training.x[-1] == 1.0 and training.y[-1] > training.y[0]  # it learnt
    assert list(validation.x) == [1] and list(validation.y) == [0.81]
    assert charts.learning_figure(entries[1:], "loss").layout.annotations  # nothing to draw


def test_progress_follows_the_events_of_a_comparison():
    events = [
        Plan(models=["LSTM 8×1", "GRU 8×1"], archs=["lstm", "gru"], baselines=["vader"]),
        ModelStart(model="VADER (lexicon)", arch="vader"),
        Row(entry={"label": "VADER (lexicon)", "arch": "vader",
                   "metrics": {"test_accuracy": 0.7}}),
        ModelStart(model="LSTM 8×1", arch="lstm"),
        *[Batch(model="LSTM 8×1", epoch=0, step=s, steps=4, seen=8 * (s + 1), loss=0.7,
                batch_loss=0.7 - 0.1 * s) for s in range(4)],
        Epoch(model="LSTM 8×1", epoch=0, val_accuracy=0.6, val_loss=0.65, loss=0.6,
              accuracy=0.6, epoch_s=1.0),
    ]
    progress = compare.CompareProgress.from_events(events[:5])
    progress.update(events[5:])
    assert progress.seen == len(events)
    assert progress.models == ["VADER (lexicon)", "LSTM 8×1", "GRU 8×1"]
    assert [progress.status(m) for m in progress.models] == ["done", "running", "waiting"]
    curve = progress.curves["LSTM 8×1"]
    assert curve["x"] == [0.25, 0.5, 0.75, 1.0] and curve["loss"][0] == pytest.approx(0.7)
    assert curve["loss"][-1] < curve["loss"][0]  # smoothed, but going down
    live = progress.live_entries()
    assert [e.label for e in live] == ["VADER (lexicon)", "LSTM 8×1"]
    assert live[1].history["val_accuracy"] == [0.6]


# --- the real flow on a tiny budget ---------------------------------------------------------

@pytest.fixture(scope="module")
def tiny_imdb(imdb):
    """Real reviews, few of them: 500 to train from and 200 to test on."""
    return ImdbData(train=imdb.train.iloc[::50].reset_index(drop=True),
                    test=imdb.test.iloc[::125].reset_index(drop=True),
                    unsup=imdb.unsup.iloc[:0], source=imdb.source, from_cache=True)


@pytest.fixture(scope="module")
def compared(tiny_imdb, tmp_path_factory):
    store = RunStore(tmp_path_factory.mktemp("compare-runs"))
    job = compare.submit_comparison(compare.ComparePlan(TINY), tiny_imdb, store=store)
    assert job.wait(900), "the comparison did not finish"
    assert job.state == DONE, job.error
    return job, store


def test_compare_flow_yields_a_complete_plausible_table(compared):
    job, store = compared
    table = compare.comparison_table(compare.CompareResult.from_json(job.result).entries)
    assert list(table["arch"]) == ["vader", "tfidf_logreg", "nblr", "simple_rnn", "lstm", "gru",
                                   "bilstm"]
    assert (table["status"] == "done").all()
    recurrent = table[table["source"] == compare.TRAINED].set_index("arch")
    metric_columns = [c for c in compare.COLUMNS if c not in ("note",)]
    assert not recurrent[[c for c in metric_columns if c != "arch"]].isna().any().any()
    for column in ("epoch_s", "train_s", "samples_per_s", "latency_one_ms", "latency_batch_ms"):
        assert (recurrent[column] > 0).all(), column
    assert table["test_accuracy"].between(0, 1).all()
    assert recurrent["best_val_accuracy"].between(0, 1).all()
    assert (recurrent["test_loss"] > 0).all() and (recurrent["epochs_run"] == 1).all()
    assert recurrent.loc["bilstm", "epoch_s"] > recurrent.loc["lstm", "epoch_s"]
    assert recurrent.loc["bilstm", "params"] > recurrent.loc["lstm", "params"]
    assert recurrent.loc["lstm", "epoch_s_vs_lstm"] == 1.0
    assert len(store.list()) == 4  # one saved run per architecture, none for baselines

    progress = compare.CompareProgress.from_events(job.events())
    assert set(progress.curves) == {"SimpleRNN 8×1", "LSTM 8×1", "GRU 8×1", "BiLSTM 8×1"}
    assert all(len(c["x"]) == 6 for c in progress.curves.values())  # 180 reviews / 32
    assert job.progress == 1.0


def corrupt(model_path):
    """A zip archive, as a .keras file is, but with no model inside: it lists as a finished
    run and fails only when loaded."""
    with zipfile.ZipFile(model_path, "w") as archive:
        archive.writestr("config.json", "not a model")


def test_identical_runs_are_reused_not_retrained(compared, tiny_imdb):
    first, store = compared
    before = {r.run_id for r in store.list()}
    plan = compare.ComparePlan(TINY, archs=("lstm", "gru"), baselines=("vader",))
    assert [p["action"] for p in compare.preview(plan, tiny_imdb, [store])] == ["reuse", "reuse"]
    job = compare.submit_comparison(plan, tiny_imdb, store=store)
    assert job.wait(300) and job.state == DONE, job.error
    assert {r.run_id for r in store.list()} == before
    rows = {e.arch: e for e in compare.CompareResult.from_json(job.result).entries}
    assert rows["lstm"].source == compare.REUSED and "identical settings" in rows["lstm"].note
    old = {e.arch: e for e in compare.CompareResult.from_json(first.result).entries}
    assert rows["gru"].run_id == old["gru"].run_id
    assert rows["gru"].metrics["test_accuracy"] == old["gru"].metrics["test_accuracy"]
    assert not any(e.KIND == "batch" for e in job.events())  # nothing trained
    changed = compare.ComparePlan(ModelConfig(**{**TINY.to_dict(), "seed": 8}), archs=("lstm",))
    assert compare.preview(changed, tiny_imdb, [store])[0]["action"] == "train"

    # A reusable run whose model file is corrupted is trained again, not shown broken.
    corrupt(store.model_path(rows["lstm"].run_id))
    plan = compare.ComparePlan(TINY, archs=("lstm",), baselines=())
    job = compare.submit_comparison(plan, tiny_imdb, store=store)
    assert job.wait(300) and job.state == DONE, job.error
    [row] = compare.CompareResult.from_json(job.result).entries
    assert row.status == compare.DONE and row.source == compare.TRAINED
    assert "could not be loaded" in row.note and row.run_id not in before
    assert any(isinstance(e, Note) and "corrupted" in e.message for e in job.events())


def gru_run(store):
    return next(r for r in store.list() if r.config.get("arch") == "gru")


def copy_run(info, root, **edits):
    """A store under `root` holding a copy of run `info`; `edits` change its JSON files,
    e.g. `config=lambda values: ...` for config.json."""
    target = root / f"20240101-000000-sentiment-{info.config['arch']}"
    shutil.copytree(info.path, target)
    for name, edit in edits.items():
        path = target / f"{name}.json"
        values = json.loads(path.read_text())
        edit(values)
        path.write_text(json.dumps(values))
    return RunStore(root), target.name


def test_reuse_needs_the_same_data_sizes_and_survives_new_settings_fields(compared, tiny_imdb,
                                                                          tmp_path):
    _, store = compared
    plan = compare.ComparePlan(TINY, archs=("gru",), baselines=())

    def before_pooling_existed(config):
        del config["pooling"], config["embed_dropout"]

    def older_key(run):
        run["key"] = "0123456789ab"  # what the settings hashed to before those fields

    # A run saved before two settings were added: with their defaults filled in, its
    # settings are exactly these, though its stored key is another hash.
    old, _ = copy_run(gru_run(store), tmp_path / "old", config=before_pooling_existed,
                      run=older_key)
    assert compare.preview(plan, tiny_imdb, [old])[0]["action"] == "reuse"

    # The same settings on a smaller copy of IMDB are another experiment.
    fewer_tests = ImdbData(train=tiny_imdb.train, test=tiny_imdb.test.iloc[:120],
                           unsup=tiny_imdb.unsup, source=tiny_imdb.source, from_cache=True)
    assert compare.preview(plan, fewer_tests, [old])[0]["action"] == "train"

    def fewer_training_reviews(metrics):
        metrics["train_reviews"] -= 20

    other, _ = copy_run(gru_run(store), tmp_path / "other", metrics=fewer_training_reviews)
    assert compare.preview(plan, tiny_imdb, [other])[0]["action"] == "train"
    assert compare.data_sizes(TINY, tiny_imdb) == {"train_reviews": 180, "val_reviews": 60,
                                                   "test_reviews": len(tiny_imdb.test)}


def test_a_saved_run_whose_model_cannot_load_has_no_latency_but_a_note(compared, tiny_imdb,
                                                                       tmp_path):
    _, store = compared
    copied, run_id = copy_run(gru_run(store), tmp_path / "runs")
    corrupt(copied.model_path(run_id))
    texts = compare.labelled_test(tiny_imdb)["text"].head(20).tolist()
    entry = compare.saved_entry(copied, run_id, texts)
    [row] = compare.comparison_table([entry]).to_dict("records")
    assert math.isnan(row["latency_one_ms"]) and math.isnan(row["latency_batch_ms"])
    assert "latency not measured" in row["note"] and "corrupted" in row["note"]
    assert row["test_accuracy"] == gru_run(store).metrics["test_accuracy"]

    fine = compare.saved_entry(store, gru_run(store).run_id, texts)
    assert fine.metrics["latency_one_ms"] > 0 and "latency" not in fine.note


def test_a_model_whose_loss_turns_nan_fails_in_its_row_and_the_rest_finish(tiny_imdb, tmp_path):
    # Word vectors of absurd size: the SimpleRNN's batch normalisation squares them, which
    # overflows float32 into a NaN loss at the first batch; the gated cells saturate and
    # train on.
    glove = tmp_path / "huge-glove.txt"
    glove.write_text("".join(f"{word} {' '.join(['1e37'] * 4)}\n" for word in (
        "the", "a", "and", "of", "to", "is", "it", "this", "in", "i", "that", "was", "movie",
        "film")), encoding="utf-8")
    huge = ModelConfig(**{**TINY.to_dict(), "embeddings": "glove", "glove_path": str(glove)})
    plan = compare.ComparePlan(huge, archs=("simple_rnn", "lstm"), baselines=("vader",))
    job = JobContext("compare")
    store = RunStore(tmp_path / "runs")
    result = compare.run_comparison(plan, tiny_imdb, job, store=store)
    table = compare.comparison_table(result.entries).set_index("arch")
    assert list(table["status"]) == ["done", "failed", "done"]
    assert "NaN" in table.loc["simple_rnn", "note"] and not table.loc["simple_rnn", "run_id"]
    assert table.loc["lstm", "source"] == compare.TRAINED
    assert 0 <= table.loc["lstm", "test_accuracy"] <= 1 and table.loc["lstm", "epoch_s"] > 0
    assert [r.config["arch"] for r in store.list()] == ["lstm"]


def test_a_model_that_cannot_start_gets_its_reason(tiny_imdb, tmp_path):
    broken = ModelConfig(**{**TINY.to_dict(), "embeddings": "glove",
                            "glove_path": str(tmp_path / "missing-glove.txt")})
    plan = compare.ComparePlan(broken, archs=("simple_rnn", "lstm"), baselines=("vader",))
    job = JobContext("compare")
    result = compare.run_comparison(plan, tiny_imdb, job, store=RunStore(tmp_path / "runs"))
    table = compare.comparison_table(result.entries)
    assert list(table["status"]) == ["done", "failed", "failed"]
    assert all("GloVe" in note for note in table["note"][1:])
    assert table.loc[0, "test_accuracy"] > 0.5  # the baseline still scored


def test_stop_before_start_marks_every_model_not_run(tiny_imdb, tmp_path):
    job = JobContext("compare")
    job.stop()
    result = compare.run_comparison(compare.ComparePlan(TINY), tiny_imdb, job,
                                    store=RunStore(tmp_path))
    assert [e.status for e in result.entries] == [compare.SKIPPED] * 4
    with pytest.raises(ValueError, match="at most"):
        compare.submit_comparison(compare.ComparePlan(ModelConfig(train_size=100_000)),
                                  tiny_imdb)


def test_the_eta_adds_the_stages_still_to_run_and_learns_the_machines_pace():
    plan = compare.ComparePlan(ModelConfig(train_size=20_000, epochs=1),
                               archs=("simple_rnn", "lstm", "bilstm"),
                               baselines=("vader", "nblr"))
    sizes = {"train_reviews": 18_000, "val_reviews": 2_000, "test_reviews": 25_000}
    estimates = compare.stage_estimates(plan, sizes)
    vader, nblr, rnn, lstm, bilstm = estimates
    assert vader > 0 and nblr > 0 and bilstm > lstm > rnn > 0
    reused = compare.stage_estimates(plan, sizes, reused=["LSTM 64×1"])
    assert reused[3] == compare.REUSE_S and reused[4] == bilstm

    schedule = _Schedule(estimates)
    assert schedule.eta() == pytest.approx(sum(estimates), rel=0.01)  # nothing run yet
    schedule.start(2)  # the SimpleRNN trains; its batches say 10 s are left
    assert schedule.eta(10.0) == pytest.approx(10.0 + lstm + bilstm)
    # It took twice its estimate: the models after it are expected to take twice theirs.
    schedule.began -= 2 * rnn
    schedule.finish()
    schedule.start(3)
    assert schedule.pace == pytest.approx(2.0, rel=0.01)
    assert schedule.eta(0.0) == pytest.approx(2 * bilstm, rel=0.01)


def test_a_run_stopped_inside_an_epoch_counts_it_in_part_and_not_as_a_time_per_epoch():
    from core.compare.table import derived_metrics

    history = {"epoch_s": [20.0, 7.5], "complete": [True, False],
               "val_accuracy": [0.8, 0.81], "loss": [0.5, 0.45]}
    out = derived_metrics({"epochs_run": 1.37}, history,
                          {"train_size": 1000, "val_share": 0.2})
    assert out["epochs_run"] == 1.37 and out["epoch_s"] == 20.0
    first = derived_metrics({"epochs_run": 0.4}, {"epoch_s": [9.0], "complete": [False]}, {})
    assert first["epochs_run"] == 0.4 and first["epoch_s"] is None


def test_the_expected_time_before_a_comparison_counts_only_what_it_trains(tiny_imdb):
    plan = compare.ComparePlan(TINY, archs=("lstm", "gru"), baselines=())
    train = [{"model": c.label, "action": "train"} for c in plan.configs()]
    reuse = [{**train[0], "action": "reuse"}, train[1]]
    both, one = compare.expected_s(plan, tiny_imdb, train), compare.expected_s(
        plan, tiny_imdb, reuse)
    assert both > one > 0
    assert both == pytest.approx(sum(compare.stage_estimates(
        plan, compare.data_sizes(plan.base, tiny_imdb))))
