"""Where an LSTM's weights start: from scratch, from IMDB word vectors, from the language model.

One network, the language model's sizes (LSTM, embedding 128, 256 units, max pooling),
trained through the app's own job path with the Train page's starting settings
(`QUICK_START`: 10,000 words, 200 tokens, 22,500 training reviews, 2,500 held back) for
`RNNLAB_ABLATION_EPOCHS` epochs (default 1). Only `embeddings` changes between the rows.
Validation accuracy is on the held-back training reviews; test accuracy on all 25,000
test reviews, which only report. The Compare page and the README show these figures
(`assets/models/ablation.json` keeps the last run's).
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from collections.abc import Callable
from dataclasses import replace

from core import data, training
from core.compare.ablation import ABLATION_FILE, STARTS
from core.config import LM_EMBED_DIM, LM_UNITS, QUICK_START
from core.runs import RunStore


def run(emit: Callable[..., None]) -> None:
    epochs = int(os.environ.get("RNNLAB_ABLATION_EPOCHS", "1"))
    imdb = data.load_imdb()
    store = RunStore(tempfile.mkdtemp(prefix="rnnlab-bench-ablation-"))
    rows = []
    for start in STARTS:
        config = replace(QUICK_START, arch="lstm", embed_dim=LM_EMBED_DIM, units=LM_UNITS,
                         embeddings=start, freeze_embeddings=False, epochs=epochs)
        began = time.perf_counter()
        run_id = training.train_sentiment(config, imdb, store=store,
                                          name=f"ablation {start}")
        total_s = time.perf_counter() - began
        run = store.load(run_id)
        metrics = run.metrics
        val = [v for v in run.history.get("val_accuracy", []) if v is not None]
        row = {"embeddings": start, "epochs": epochs,
               "best_val_accuracy": max(val) if val else None,
               "test_accuracy": metrics["test_accuracy"],
               "test_reviews": metrics["test_reviews"],
               "epoch_s": metrics["epoch_s"], "total_s": total_s,
               "coverage": metrics.get("glove_coverage")}
        rows.append(row)
        emit(f"ablation_{start}_best_val_acc", row["best_val_accuracy"] or float("nan"),
             "fraction")
        emit(f"ablation_{start}_test_acc", row["test_accuracy"], "fraction")
        emit(f"ablation_{start}_epoch_s", row["epoch_s"], "s")
        store.delete(run_id)
    emit("ablation_test_reviews", rows[0]["test_reviews"], "reviews")
    settings = replace(QUICK_START, arch="lstm", embed_dim=LM_EMBED_DIM, units=LM_UNITS,
                       epochs=epochs).to_dict()
    settings.pop("embeddings")
    ABLATION_FILE.write_text(json.dumps({"settings": settings, "rows": rows,
                                         "measured": time.strftime("%Y-%m-%d")}, indent=1))
