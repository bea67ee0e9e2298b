"""Next word: the shipped LSTM against a Kneser-Ney trigram on the same held-out words.

Rebuilds the pretraining corpus exactly (same seeded sample, same vocabulary), scores the
shipped LSTM and a trigram model fitted to the same training tokens on the held-out test
reviews, and times suggestion lists for prefixes cut from those reviews.
Targets: lm_top3 >= 0.30, LSTM better than the n-gram on perplexity and top-3,
suggest_ms_p50 <= 20 ms.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np


def run(emit: Callable[..., None]) -> None:
    from core import language_model as lm
    from core.data import load_imdb
    from core.ngram import KneserNeyModel
    from core.pretrain_lm import HELD_OUT_REVIEWS, SAMPLED_REVIEWS, SHIPPED_ID

    store = lm.shipped_store()
    model = lm.load_language_model(store, SHIPPED_ID)
    config = lm.LMConfig.from_dict(store.info(SHIPPED_ID).config)
    data = lm.imdb_training_data(load_imdb(), max_reviews=SAMPLED_REVIEWS,
                                 held_out_reviews=HELD_OUT_REVIEWS, seed=config.seed)
    corpus = lm.prepare_corpus(data.documents, config, data.held_out)
    if corpus.vocabulary != model.vocabulary:
        raise RuntimeError("The rebuilt corpus does not match the shipped model's vocabulary.")
    emit("held_out_tokens", int(sum(len(d) - 1 for d in corpus.held_out)), "tokens")
    emit("held_out_oov_rate", corpus.oov_rate)

    start = time.perf_counter()
    lstm = model.evaluate(corpus.held_out)
    emit("lm_eval_s", time.perf_counter() - start, "s")
    start = time.perf_counter()
    ngram = KneserNeyModel.fit(corpus.train, len(corpus.vocabulary))
    baseline = ngram.evaluate(corpus.held_out, model.suggestable)
    emit("ngram_fit_eval_s", time.perf_counter() - start, "s")

    for name, result in (("lm", lstm), ("ngram", baseline)):
        emit(f"{name}_top1", result.top1)
        emit(f"{name}_top3", result.top3)
        emit(f"{name}_top5", result.top5)
        emit(f"{name}_perplexity", result.perplexity)

    rng = np.random.default_rng(0)
    prefixes = []
    for doc in (corpus.held_out[i] for i in rng.choice(len(corpus.held_out), 100)):
        cut = int(rng.integers(0, len(doc)))
        prefixes.append(lm.detokenize([model.vocabulary[i] for i in doc[1:cut + 1]]))
    model.suggest(prefixes[0])
    times = []
    for prefix in prefixes:
        start = time.perf_counter()
        model.suggest(prefix, k=5)
        times.append((time.perf_counter() - start) * 1000)
    emit("suggest_ms_p50", float(np.median(times)), "ms")
    emit("suggest_ms_p95", float(np.percentile(times, 95)), "ms")
    emit("target_lm_top3_at_least_0.30", "pass" if lstm.top3 >= 0.30 else "FAIL")
    emit("target_lm_beats_ngram", "pass" if (lstm.perplexity < baseline.perplexity
                                             and lstm.top3 > baseline.top3) else "FAIL")
    emit("target_suggest_ms_p50_at_most_20",
         "pass" if np.median(times) <= 20 else "FAIL")
