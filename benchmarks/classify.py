"""Section `classify`: scoring one review, explaining it, and the shipped models' accuracy.

    classify_ms_p50   median ms to score one review with one shipped model (LSTM), warm
    explain_s         median s for the occlusion explanation of one typical test review (BiLSTM)
    acc_<arch>        accuracy on the 25,000 test reviews, measured again here
    acc_vader         VADER's accuracy on the same reviews (compound > 0 is positive)
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable

import numpy as np

from core import explain, sentiment
from core.data import load_imdb

NAMES = {"simple_rnn": "acc_rnn", "lstm": "acc_lstm", "gru": "acc_gru", "bilstm": "acc_bilstm"}


def run(emit: Callable[..., None]) -> None:
    models = {c.arch: sentiment.load_scoring_model(c) for c in sentiment.model_choices()
              if c.source == sentiment.SHIPPED and not c.problem}
    if not models:
        print("# no shipped models in assets/models: run `python -m core.pretrain`")
        return
    data = load_imdb()
    test = data.test[data.test["label"].notna()]
    # A review of typical length (the median), so the figures are what a user usually sees.
    lengths = test["n_words"].to_numpy()
    typical = str(test["text"].iloc[int(np.argmin(np.abs(lengths - np.median(lengths))))])

    one = models.get("lstm") or next(iter(models.values()))
    for _ in range(5):
        one.score(typical)
    times = []
    for _ in range(50):
        start = time.perf_counter()
        one.score(typical)
        times.append((time.perf_counter() - start) * 1000)
    emit("classify_ms_p50", statistics.median(times), "ms")

    explainer = models.get("bilstm") or one
    explain.occlusion(typical, explainer.predict, explainer.seq_len)  # warm the batch shapes
    seconds = []
    for _ in range(5):
        start = time.perf_counter()
        explain.occlusion(typical, explainer.predict, explainer.seq_len)
        seconds.append(time.perf_counter() - start)
    emit("explain_s", statistics.median(seconds), "s")
    emit("explain_words", len(typical.split()), "words")

    texts = test["text"].tolist()
    labels = test["label"].to_numpy(dtype=int)
    for arch, name in NAMES.items():
        if arch in models:
            model = models[arch]
            probs = model.predict([sentiment.clip_review(t, model.seq_len)[0] for t in texts],
                                  batch_size=512)
            emit(name, sentiment.accuracy(probs, labels))
    emit("acc_vader", sentiment.vader_accuracy(texts, labels))
