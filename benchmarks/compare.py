"""Section `compare`: the Compare page's one click on the full data, measured.

SimpleRNN, LSTM, GRU and BiLSTM with the default settings (`ModelConfig()`, vocabulary
10,000, 200 tokens, 64 units, batch 128, 22,500 training reviews) for ONE epoch each, plus
VADER and TF-IDF + logistic regression, all scored on the 25,000 test reviews. Runs go to
a temporary store and nothing is reused, and the baselines skip the app's disk cache, so
every figure is measured in this run.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable

from core import compare, data
from core.config import ModelConfig
from core.jobs import JobContext
from core.runs import RunStore

SHOWN = ["model", "status", "params", "epoch_s", "train_s", "samples_per_s", "latency_one_ms",
         "latency_batch_ms", "test_accuracy", "test_loss", "best_epoch", "epoch_s_vs_lstm",
         "train_s_vs_lstm", "latency_one_vs_lstm", "latency_batch_vs_lstm"]


def run(emit: Callable[..., None]) -> None:
    import pandas as pd

    imdb = data.load_imdb()
    plan = compare.ComparePlan(ModelConfig(epochs=1))
    job = JobContext("benchmark comparison")
    start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="rnnlab-bench-compare-") as root:
        result = compare.run_comparison(plan, imdb, job, store=RunStore(root), reuse_from=[],
                                        cached_baselines=False)
    emit("compare_total_s", time.perf_counter() - start, "s")

    table = compare.comparison_table(result.entries)
    with pd.option_context("display.width", 200, "display.max_columns", 30,
                           "display.float_format", "{:.4g}".format):
        print(table[SHOWN].to_string(index=False), flush=True)
    for _, row in table.iterrows():
        if row["status"] != compare.DONE:
            print(f"# {row['model']}: {row['status']} — {row['note']}", flush=True)
    rows = table.set_index("arch")

    def emit_cell(name: str, arch: str, column: str, unit: str = "") -> None:
        value = rows.loc[arch, column]
        if pd.notna(value):
            emit(name, float(value), unit)
        else:
            print(f"# {name}: not measured ({rows.loc[arch, 'note'] or 'no value'})", flush=True)

    for arch in plan.archs:
        if arch in rows.index and rows.loc[arch, "status"] == compare.DONE:
            emit_cell(f"epoch_s_{arch}", arch, "epoch_s", "s")
            emit_cell(f"acc_1epoch_{arch}", arch, "test_accuracy")
            emit_cell(f"latency_one_ms_{arch}", arch, "latency_one_ms", "ms")
            emit_cell(f"latency_batch_ms_{arch}", arch, "latency_batch_ms", "ms")
    for key in plan.baselines:
        if key in rows.index and rows.loc[key, "status"] == compare.DONE:
            emit_cell(f"acc_{key}", key, "test_accuracy")
    finished = set(rows.index[rows["status"] == compare.DONE])
    if {"lstm", "bilstm"} <= finished:
        emit("bilstm_over_lstm_time", float(rows.loc["bilstm", "epoch_s_vs_lstm"]))
    else:
        print("# bilstm_over_lstm_time: not measured (the LSTM and the BiLSTM must both "
              "finish)", flush=True)
