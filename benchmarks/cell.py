"""Inside the cell: how long the page's default experiments take, and what they show."""

from __future__ import annotations

import time
from collections.abc import Callable

from core import gradients


def run(emit: Callable[..., None]) -> None:
    start = time.perf_counter()
    results = gradients.run_long_range(gradients.LongRangeSettings())
    emit("long_range_default_total", time.perf_counter() - start, "s")
    for result in results:
        name = f"long_range_{result['arch']}_L{result['length']}"
        emit(f"{name}_train", result["train_s"], "s")
        emit(f"{name}_accuracy", result["accuracy"])
        emit(f"{name}_first_to_last_at_init",
             gradients.first_to_last_ratio(result["initial_grad_norms"]))
    # The page's claim, checked: at the largest default L the plain RNN is at chance while
    # the gated cells still solve the task.
    largest = max(r["length"] for r in results)
    emit("long_range_largest_L", largest, "tokens")
    at_largest = {r["arch"]: r["accuracy"] for r in results if r["length"] == largest}
    for arch, accuracy in at_largest.items():
        emit(f"long_range_{arch}_accuracy_at_largest_L", accuracy * 100, "%")
    emit("target_simple_rnn_near_chance_at_largest_L",
         "pass" if at_largest["simple_rnn"] < 0.6 else "FAIL")
    emit("target_lstm_gru_hold_on_at_largest_L",
         "pass" if min(at_largest["lstm"], at_largest["gru"]) >= 0.9 else "FAIL")

    start = time.perf_counter()
    unclipped, clipped = gradients.run_exploding(gradients.ExplodingSettings())
    emit("exploding_default_total", time.perf_counter() - start, "s")
    emit("exploding_no_clip_nan_at_step", unclipped["blew_up_at"] or 0)
    emit("exploding_clipped_final_loss", clipped["loss"][-1])

    try:
        from core.data import DatasetInvalid, DatasetMissing, load_imdb

        data = load_imdb()
    except (DatasetMissing, DatasetInvalid) as exc:
        emit("reviews_skipped", str(exc).split(".")[0])
        return
    start = time.perf_counter()
    for result in gradients.run_review_gradients(gradients.ReviewGradientSettings(), data):
        emit(f"reviews_{result['arch']}_first_to_last", result["ratio"])
    emit("reviews_default_total", time.perf_counter() - start, "s")

    from core import gates
    from core.config import ModelConfig
    from core.models import build_model, end_to_end
    from core.text import make_vectorizer

    texts = data.train["text"].head(2000).tolist()
    vectorizer = make_vectorizer(texts, 5000, 200)
    model = end_to_end(vectorizer, build_model(ModelConfig(arch="lstm", vocab_size=5000,
                                                           seq_len=200, units=64)))
    gates.trace_text(model, texts[0])  # warm-up
    start = time.perf_counter()
    trace = gates.trace_text(model, texts[1])
    emit("gates_trace_lstm64_ms", (time.perf_counter() - start) * 1000, "ms")
    emit("gates_trace_keras_max_diff", trace.keras_max_diff)
