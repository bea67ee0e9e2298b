"""The settings of a language model run (`LMConfig`): each with its label, help and limits
(`core.schema`), the same names in the Next word page and the saved config.json."""

from __future__ import annotations

from dataclasses import dataclass

from core.schema import Settings, knob

# What a user may train on: below the minimum a model learns nothing worth showing, above
# the maximum a CPU trains for hours.
MIN_TRAIN_WORDS = 2_000
# The smallest "Training words (at most)" worth offering: the validation documents come out
# of the capped words, and one IMDB review can hold ~2,900 tokens, so a cap of
# MIN_TRAIN_WORDS would always leave too little to train on.
MIN_TRAIN_WORDS_SETTING = 5_000
MAX_USER_TEXT_BYTES = 5_000_000
# Batch x window x vocabulary logits, in float32: past this the output layer alone would
# need more than 1.6 GB.
MAX_LOGITS = 400_000_000


@dataclass
class LMConfig(Settings):
    """Every setting of a language model run."""

    vocab_size: int = knob(
        10_000, "Vocabulary size",
        "The most frequent words the model can suggest; every other word is <unk>.",
        low=10, high=50_000, step=500)
    window: int = knob(
        24, "Context window (words)",
        "How many earlier words the model reads to guess the next one (its back-propagation "
        "window while training).",
        low=2, high=200, step=1)
    embed_dim: int = knob(
        128, "Embedding size", "Length of the vector learned for each word.",
        low=8, high=512, step=16)
    units: int = knob(
        256, "LSTM units", "Size of the LSTM's hidden state (its memory).",
        low=8, high=1024, step=16)
    dropout: float = knob(
        0.0, "Dropout", "Share of the LSTM's outputs dropped at random while training.",
        low=0.0, high=0.8, step=0.05, fmt="%.2f")
    learning_rate: float = knob(
        3e-3, "Learning rate", "Step size of each Adam update.",
        low=1e-5, high=0.1, step=0.0005, fmt="%.4f")
    batch_size: int = knob(
        64, "Batch size", "Windows per weight update.", low=1, high=1024, step=32)
    epochs: int = knob(1, "Epochs", "Passes over the training words.", low=1, high=50, step=1)
    max_train_words: int = knob(
        1_000_000, "Training words (at most)",
        "The text is cut after this many words: more words learn more, and take longer.",
        low=MIN_TRAIN_WORDS_SETTING, high=20_000_000, step=5_000)
    val_share: float = knob(
        0.02, "Validation share",
        "Share of the documents held back to draw the validation curve.",
        low=0.01, high=0.5, step=0.01, fmt="%.2f")
    seed: int = knob(0, "Seed", "Same seed and settings, same model.",
                     low=0, high=2**31 - 1, step=1)

    def rules(self) -> dict[str, str]:
        if self.batch_size * self.window * self.vocab_size > MAX_LOGITS:
            return {"batch_size": (
                "Batch size × window × vocabulary is too large for memory "
                "(the output layer alone would need more than 1.6 GB); lower one of them.")}
        return {}


FIELD_LABELS = LMConfig.labels()
