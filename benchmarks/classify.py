"""Section `classify`: scoring one review, explaining it, and the shipped models' accuracy.

    classify_ms_p50   median ms to score one review with one shipped model (LSTM), warm
    explain_s         median s for the occlusion explanation of one typical test review, by
                      the model Classify explains with first (the best shipped network)
    classify_1mb_s    median s from a 1 MB review to the verdicts the page shows first: its
                      checks and truncation note, the model's score and VADER's (target < 1 s)
    explain_1mb_s     median s to explain that 1 MB review (every word the model reads)
    acc_<arch>        accuracy on the 25,000 test reviews, measured again here
    acc_vader         VADER's accuracy on the same reviews (compound > 0 is positive)
    acc_nblr          the shipped NB-LR baseline's accuracy on them (assets/models/nblr.npz)
    nblr_fit_s        seconds to fit NB-LR on the 25,000 training reviews (hashing included)
    nblr_refit_acc    the accuracy of that fresh fit (float32 weights) on the test reviews
    nblr_ms_p50       median ms to score one review with the shipped NB-LR
    ece_<arch>        expected calibration error on the run's held-back training reviews
    temperature_<arch>  the temperature that fits those reviews best (1: calibrated)
    neutral_right_<arch>  how often a Neutral verdict's lean is right there (~0.5 is honest)
    short_texts       sentences in the short-text development set (`core.short_texts`)
    short_acc_<model> accuracy on them (a Neutral verdict counts as its lean); VADER's too
    short_neutral_<model>  the share of them the model calls Neutral
    short_read_texts  of those, how many were read on their own (assets/short_texts/readings.csv)
    short_read_clear_share  the share read as a clear verdict (P or N, not X)
    short_read_agree_share  of the clear readings, the share that agree with the review's stars
    short_clear_texts the clear sentences: read P or N and agreeing with their stars
    short_clear_acc_<model>, short_clear_neutral_<model>  the same two figures on those

A shipped model that is missing or damaged gets a `# ...` line saying so instead of figures.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Iterable

import numpy as np

from core import catalog, explain, sentiment, short_texts, vader, verdict
from core.data import load_imdb
from core.runs import RunError

NAMES = {"simple_rnn": "acc_rnn", "lstm": "acc_lstm", "gru": "acc_gru", "bilstm": "acc_bilstm",
         "lstm_lm": "acc_lstm_lm"}


def median_s(work: Callable[[], object], repeats: int) -> float:
    work()  # warm: the first call traces the graph for these shapes
    seconds = []
    for _ in range(repeats):
        start = time.perf_counter()
        work()
        seconds.append(time.perf_counter() - start)
    return statistics.median(seconds)


def shipped_models() -> dict[str, catalog.ScoringModel]:
    """The usable shipped models by architecture; a line for each one that is not."""
    models = {}
    for choice in catalog.model_choices():
        if choice.source != catalog.SHIPPED:
            continue
        try:
            models[choice.arch] = catalog.load_scoring_model(choice)
        except RunError as exc:
            print(f"# {NAMES[choice.arch]}: not measured, {exc}", flush=True)
    return models


def run(emit: Callable[..., None]) -> None:
    models = shipped_models()
    if not models:
        print("# no shipped models in assets/models: run `python -m core.pretrain`")
        return
    data = load_imdb()
    test = data.test[data.test["label"].notna()]
    # A review of typical length (the median), so the figures are what a user usually sees.
    lengths = test["n_words"].to_numpy()
    typical = str(test["text"].iloc[int(np.argmin(np.abs(lengths - np.median(lengths))))])

    one = models.get("lstm") or next(iter(models.values()))
    emit("classify_ms_p50", 1000 * median_s(lambda: one.score(typical), 50), "ms")

    # The model the Classify page explains a verdict with first (`catalog.best_network`).
    choices = [c for c in catalog.model_choices() if c.arch in models]
    explainer = models[choices[catalog.best_network(choices)].arch] if choices else one
    emit("explain_s", median_s(
        lambda: explain.occlusion(typical, explainer.predict, explainer.seq_len), 5), "s")
    emit("explain_words", len(typical.split()), "words")

    # A megabyte of real reviews, pasted as one: what the page does before its first verdict.
    megabyte = " ".join(texts_of_size(test["text"], 1_000_000))

    def classify_megabyte() -> None:
        sentiment.check_review(megabyte, one.seq_len, {"model": one.vocabulary})
        one.score(megabyte)
        vader.vader_scores(megabyte)

    emit("classify_1mb_s", median_s(classify_megabyte, 5), "s")
    emit("explain_1mb_s", median_s(
        lambda: explain.occlusion(megabyte, explainer.predict, explainer.seq_len), 3), "s")
    result = explain.occlusion(megabyte, explainer.predict, explainer.seq_len)
    emit("explain_1mb_words", int(np.sum(~np.isnan(result.contributions))), "words")

    texts = test["text"].tolist()
    labels = test["label"].to_numpy(dtype=int)
    for arch, name in NAMES.items():
        if arch in models:
            model = models[arch]
            probs = model.predict(texts)
            emit(name, sentiment.accuracy(probs, labels))
    emit("acc_vader", vader.vader_accuracy(texts, labels))
    nblr_figures(emit, data, texts, labels, typical)
    from core.pretrain import calibrate
    from core.runs import SHIPPED_DIR

    for arch, result in calibrate(data, SHIPPED_DIR, write=False).items():
        emit(f"ece_{arch}", result["reliability"]["ece"])
        emit(f"temperature_{arch}", result["temperature"])
        if result["neutral_lean_right"] is not None:
            emit(f"neutral_right_{arch}", result["neutral_lean_right"])
        emit(f"neutral_reviews_{arch}", result["neutral_reviews"], "reviews")
    short_text_figures(emit, data, models)


def short_text_figures(emit: Callable[..., None], data,
                       models: dict[str, catalog.ScoringModel]) -> None:
    """Each model on the short-text development set (`core.short_texts`)."""
    from core.pretrain import SHIPPED_CONFIGS

    texts = short_texts.short_text_set(data, SHIPPED_CONFIGS["lstm"])
    emit("short_texts", len(texts), "sentences")
    labels = texts["label"].to_numpy(dtype=int)
    scorers = {arch: model.predict for arch, model in models.items()}
    choice = next(c for c in catalog.model_choices() if c.source == catalog.BASELINE)
    try:
        scorers["nblr"] = catalog.load_scoring_model(choice).predict
    except RunError as exc:
        print(f"# short_acc_nblr: not measured, {exc}", flush=True)
    read = short_texts.with_readings(texts)
    clear = texts.index.isin(short_texts.clearly_read(texts).index)
    decided = read["reading"].isin(["P", "N"]).to_numpy()
    emit("short_read_texts", int(read["reading"].notna().sum()), "sentences")
    emit("short_read_clear_share", float(decided.mean()))
    emit("short_read_agree_share", float(clear[decided].mean()) if decided.any() else 0.0)
    emit("short_clear_texts", int(clear.sum()), "sentences")
    for name, predict in scorers.items():
        scores = np.asarray(predict(texts["text"].tolist()))
        result = short_texts.score(scores, labels, verdict.NEUTRAL_BAND)
        emit(f"short_acc_{name}", result.accuracy)
        emit(f"short_neutral_{name}", result.neutral_share)
        result = short_texts.score(scores[clear], labels[clear], verdict.NEUTRAL_BAND)
        emit(f"short_clear_acc_{name}", result.accuracy)
        emit(f"short_clear_neutral_{name}", result.neutral_share)
    compound = np.array([vader.vader_scores(t).compound for t in texts["text"]])
    emit("short_acc_vader", float(np.mean((compound > 0) == (labels == 1))))
    emit("short_clear_acc_vader", float(np.mean((compound[clear] > 0) == (labels[clear] == 1))))


def nblr_figures(emit: Callable[..., None], data, texts: list[str], labels: np.ndarray,
                 typical: str) -> None:
    """The shipped NB-LR, and a fresh fit of it timed on this machine."""
    from core.baselines import fit_nblr

    choice = next(c for c in catalog.model_choices() if c.source == catalog.BASELINE)
    try:
        shipped = catalog.load_scoring_model(choice)
    except RunError as exc:
        print(f"# acc_nblr: not measured, {exc}", flush=True)
    else:
        emit("acc_nblr", sentiment.accuracy(shipped.predict(texts), labels))
        emit("nblr_ms_p50", 1000 * median_s(lambda: shipped.score(typical), 50), "ms")
    start = time.perf_counter()
    fresh = fit_nblr(data.train["text"].tolist(), data.train["label"].astype(int).tolist())
    emit("nblr_fit_s", time.perf_counter() - start, "s")
    emit("nblr_refit_acc", sentiment.accuracy(fresh.predict_proba(texts), labels))


def texts_of_size(texts: Iterable[str], size: int) -> list[str]:
    """The first reviews of `texts` that together hold at least `size` characters."""
    chosen, total = [], 0
    for text in texts:
        if total >= size:
            break
        chosen.append(text)
        total += len(text) + 1
    return chosen
