"""Model cards of the shipped sentiment models, and the summary README beside them, written
from each run's own saved files (`python -m core.pretrain --cards-only` rewrites them)."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from core.config import SHIPPED_MODELS, ModelConfig


def model_card(arch: str, config: ModelConfig, metrics: dict[str, Any], history: dict[str, Any],
               vader: dict[str, Any], size_mb: float, where: str, trained: float,
               target: float | None = None) -> str:
    from core.verdict import NEUTRAL_BAND

    label = SHIPPED_MODELS[arch]
    low, high = 0.5 - NEUTRAL_BAND, 0.5 + NEUTRAL_BAND
    vectors = {
        "imdb": (" The word vectors start from ones learnt by `core.word_vectors` from which "
                 "words occur near which in the 75,000 training and unlabelled reviews (never "
                 "the test reviews): positive pointwise mutual information of the counts, "
                 f"reduced to {config.embed_dim} dimensions by a truncated SVD"
                 + ("; they stay fixed." if config.freeze_embeddings
                    else "; training fine-tunes them.")),
        "glove": " The word vectors start from a GloVe file.",
        "lm": (" The word vectors and the LSTM start from the shipped next-word language "
               "model (`assets/lm/imdb-lstm`, trained on 6 million words of the training and "
               "unlabelled reviews, never the test ones): its vector for each word it knows, "
               "small random vectors for the others, and its LSTM's weights as they are "
               "(`core.language_model.transfer`); training then fine-tunes all of it, as in "
               "Dai and Le (2015)."),
    }.get(config.embeddings, " The word vectors start random and are learnt in training.")
    pooling = {
        "max": " → max over the words (each unit's largest value anywhere in the review)",
        "concat": (" → its state after the last word, each unit's maximum and its mean over "
                   "the words, side by side (concat pooling)"),
    }.get(config.pooling, " (its state after the last word)")
    edrop = (f" → spatial dropout ({config.embed_dropout}, training only)"
             if config.embed_dropout else "")
    if config.arch == "simple_rnn":
        edrop = " → batch normalisation" + edrop
    cell = {"simple_rnn": "SimpleRNN (plain tanh recurrence)",
            "lstm": "LSTM", "gru": "GRU", "bilstm": "Bidirectional LSTM"}[config.arch]
    per_epoch = "\n".join(
        f"| {i + 1} | {loss:.4f} | {acc:.2%} | {vloss:.4f} | {vacc:.2%} | {secs / 60:.1f} min |"
        for i, (loss, acc, vloss, vacc, secs) in enumerate(zip(
            history["loss"], history["accuracy"], history["val_loss"],
            history["val_accuracy"], history["epoch_s"], strict=True))
    )
    goal = (f" (target: at least {target:.0%})" if target else
            (" (no target: reported as measured. Reading each unit's largest value over the"
             " words spares the plain RNN from carrying early words to the end; the Inside"
             " the cell page shows where it fails without that help)"))
    cut = []
    if config.sentences:
        cut.append("one sentence per review that names the film and holds an opinion word, "
                   "so that the model also reads one-liners")
    if config.negations:
        cut.append("every sentence with a negation just before an opinion word (\"It won't "
                   "disappoint.\"), so that the model sees what \"not\" does up close")
    sentences = (
        f" Beside the reviews, {metrics['train_sentences']:,} sentences cut from the clearest "
        f"of them (1-2 and 9-10 stars; `core.short_texts`): {'; and '.join(cut)}. Each is "
        "labelled with its review's stars." if metrics.get("train_sentences") and cut else "")
    settings = "\n".join(f"| `{k}` | {v} |" for k, v in config.to_dict().items()
                         if k != "glove_path")
    return f"""# Model card: {label} sentiment classifier (shipped with RNN Lab)

**What it does.** Reads an English movie review and gives P(positive). The Classify page
shows it as Positive / Negative, or Neutral when P(positive) is between {low:.0%} and {high:.0%}.

**Architecture.** The end-to-end Keras model takes raw text: `TextVectorization`
(lower-case, strip punctuation, split on spaces; {config.vocab_size:,}-word vocabulary,
other words become `[UNK]`; the first {config.seq_len} tokens are read; a batch is
padded only to its longest review, one review not at all, and the padding is masked, so it
moves no verdict) → Embedding ({config.embed_dim}){edrop} → {cell}, {config.units}
units{pooling} → Dropout ({config.dropout}) → Dense (sigmoid). Built by `core.models.build_model`,
{metrics.get('params', 0):,} weights, file size {size_mb:.1f} MB (no optimizer state).{vectors}

**Data.** The Large Movie Review Dataset v1.0 (Maas et al., ACL 2011). Training: the
25,000 labelled training reviews, {metrics.get('train_reviews', 0):,} fitted and
{metrics.get('val_reviews', 0):,} held back for the per-epoch validation curve (seeded
split).{sentences} Test: all {metrics.get('test_reviews', 0):,} test reviews, never seen in
training. Reviews are 50% positive (7-10 stars) and 50% negative (1-4 stars).

**Results on the {metrics.get('test_reviews', 0):,} test reviews.**

| | {label} | VADER (NLTK lexicon, same reviews) |
|---|---|---|
| Accuracy | **{metrics['test_accuracy']:.2%}**{goal} | {vader['test_accuracy']:.2%} |
| Loss (binary cross-entropy) | {metrics['test_loss']:.4f} | - |

VADER counts as right when its compound score has the review's sign (0 is a miss).

**Training.** {len(history['loss'])} epochs, Adam (learning rate {config.learning_rate},
gradient clipping at norm {config.clipnorm}), batch {config.batch_size}, seed
{config.seed}. Training took {metrics['train_s'] / 60:.1f} min
({metrics.get('total_s', 0) / 60:.1f} min with data preparation and evaluation) on:
{where}. Median latency for one review with this model called directly:
{metrics.get('latency_one_ms', float('nan')):.1f} ms.

| epoch | loss | accuracy | val. loss | val. accuracy | time |
|---|---|---|---|---|---|
{per_epoch}

**Settings** (`config.json`, the same names as on the Train page):

| field | value |
|---|---|
{settings}

**Limits.** English IMDB reviews from before 2011 only: other languages, other domains
and most emoji are unknown words to it. It misreads sarcasm and, to a lesser degree,
negation far from the word it negates; it reads only the first {config.seq_len} tokens. It
repeats the biases of its training reviews. A teaching model, not a moderation tool.

**Reproduce.** `python -m core.pretrain --arch {arch}` (with `RNNLAB_IMDB_PATH` set).
Training is seeded; TensorFlow's CPU kernels can still differ in the last digits between
machines. Trained on {time.strftime('%Y-%m-%d', time.gmtime(trained))}.
"""


def summary(out: Path, vader: dict[str, Any]) -> str:
    rows = []
    for arch in SHIPPED_MODELS:
        path = out / arch / "metrics.json"
        if not path.exists():
            continue
        metrics = json.loads(path.read_text(encoding="utf-8"))
        size = (out / arch / "model.keras").stat().st_size / 1e6
        rows.append(f"| {SHIPPED_MODELS[arch]} | {metrics['test_accuracy']:.2%} | "
                    f"{metrics['test_loss']:.4f} | {metrics['train_s'] / 60:.1f} min | "
                    f"{size:.1f} MB | [card]({arch}/MODEL_CARD.md) |")
    return (
        "# Shipped sentiment models\n\n"
        "Rebuilt by `python -m core.pretrain`; each folder is a run (as the Train page "
        "saves them) with its model card. Accuracy and loss on the 25,000 IMDB test "
        "reviews.\n\n"
        "| model | test accuracy | test loss | training time | size | card |\n"
        "|---|---|---|---|---|---|\n" + "\n".join(rows) + "\n"
        f"| VADER (NLTK lexicon) | {vader['test_accuracy']:.2%} | - | - | - | - |\n"
        + nblr_row(out)
    )


def nblr_row(out: Path) -> str:
    from core.catalog import NBLR_METRICS_FILE

    try:
        nblr = json.loads((out / NBLR_METRICS_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return ""
    return (f"| NB-LR baseline (1-3-grams, `nblr.npz`) | {nblr['test_accuracy']:.2%} | "
            f"{nblr['test_loss']:.4f} | {nblr['train_s'] / 60:.1f} min | "
            f"{nblr['size_mb']:.1f} MB | - |\n")


def write_cards(out: Path, vader: dict[str, Any], where: str,
                targets: dict[str, float]) -> None:
    """Model cards for every shipped run in `out` (`targets`: the test accuracy each
    architecture is meant to reach), and the summary README."""
    for arch in SHIPPED_MODELS:
        folder = out / arch
        if not (folder / "metrics.json").exists():
            continue
        saved = {name: json.loads((folder / f"{name}.json").read_text(encoding="utf-8"))
                 for name in ("config", "metrics", "history", "run")}
        size_mb = (folder / "model.keras").stat().st_size / 1e6
        card = model_card(arch, ModelConfig.from_dict(saved["config"]), saved["metrics"],
                          saved["history"], vader, size_mb, saved["run"].get("machine", where),
                          saved["run"].get("created", time.time()), targets.get(arch))
        (folder / "MODEL_CARD.md").write_text(card, encoding="utf-8")
    (out / "README.md").write_text(summary(out, vader), encoding="utf-8")
