"""A word-level LSTM language model: the next-word suggestions of a phone keyboard.

One concern per file, in reading order:

    config.py      LMConfig: every setting, its limits and its label
    tokens.py      text -> tokens -> ids: the tokenizer layer, the vocabulary, the Corpus
    user_text.py   a user's own text: reading an upload, splitting it, can it be trained on?
    evaluation.py  perplexity and top-1/3/5, for the LSTM and the n-gram baseline alike
    ngram.py       the baseline: an interpolated Kneser-Ney trigram on the same tokens
    model.py       the Keras network, its raw-string wrapper, its (sampled-softmax) trainer
    inference.py   LanguageModel: suggest, generate, evaluate; suggestion latency
    store.py       saved runs: load, list, the shipped model
    training.py    the training job: data, live curves, train, evaluate, save

Callers write `from core import language_model as lm; lm.tokenize(...)`: the public names
are gathered here. TensorFlow is imported only inside the functions that need it.
"""

from core.language_model.config import (
    FIELD_LABELS,
    MAX_USER_TEXT_BYTES,
    MIN_TRAIN_WORDS,
    MIN_TRAIN_WORDS_SETTING,
    LMConfig,
)
from core.language_model.evaluation import (
    Evaluation,
    EvaluationSum,
    score_distributions,
    scoring_windows,
    softmax,
)
from core.language_model.inference import (
    LATENCY_PREFIXES,
    MAX_PREFIX_CHARS,
    LanguageModel,
    Suggestion,
    apply_suggestion,
    measure_latency,
    sample_token,
    suggestion_id,
    top_suggestions,
    with_suggestion,
)
from core.language_model.model import (
    SAMPLED_WORDS,
    build_network,
    make_trainer,
    text_model,
)
from core.language_model.ngram import (
    KneserNeyModel,
    padded_trigrams,
)
from core.language_model.store import (
    ASSETS_DIR,
    KIND,
    list_language_models,
    load_language_model,
    shipped_store,
)
from core.language_model.tokens import (
    BOS,
    BOS_ID,
    PAD,
    PAD_ID,
    PUNCTUATION,
    SPECIALS,
    UNK,
    UNK_ID,
    Corpus,
    build_vocabulary,
    detokenize,
    encode,
    lm_vectorizer,
    prepare_corpus,
    tokenize,
    tokenize_all,
)
from core.language_model.training import (
    PROBE_WINDOWS,
    PROBES_PER_RUN,
    VALIDATION_WINDOWS,
    LMTrainingData,
    curve_rows,
    imdb_training_data,
    live_callback,
    lm_job,
    submit_lm_training,
    train_language_model,
    training_windows,
    user_training_data,
)
from core.language_model.user_text import (
    check_user_text,
    corpus_problem,
    decode_upload,
    split_user_text,
)

__all__ = [
    "ASSETS_DIR",
    "BOS",
    "BOS_ID",
    "Corpus",
    "Evaluation",
    "EvaluationSum",
    "FIELD_LABELS",
    "KIND",
    "KneserNeyModel",
    "LATENCY_PREFIXES",
    "LMConfig",
    "LMTrainingData",
    "LanguageModel",
    "MAX_PREFIX_CHARS",
    "MAX_USER_TEXT_BYTES",
    "MIN_TRAIN_WORDS",
    "MIN_TRAIN_WORDS_SETTING",
    "PAD",
    "PAD_ID",
    "PROBES_PER_RUN",
    "PROBE_WINDOWS",
    "PUNCTUATION",
    "SAMPLED_WORDS",
    "SPECIALS",
    "Suggestion",
    "apply_suggestion",
    "UNK",
    "UNK_ID",
    "VALIDATION_WINDOWS",
    "build_network",
    "build_vocabulary",
    "check_user_text",
    "corpus_problem",
    "curve_rows",
    "decode_upload",
    "detokenize",
    "encode",
    "imdb_training_data",
    "list_language_models",
    "live_callback",
    "lm_job",
    "lm_vectorizer",
    "load_language_model",
    "make_trainer",
    "measure_latency",
    "padded_trigrams",
    "prepare_corpus",
    "sample_token",
    "score_distributions",
    "scoring_windows",
    "shipped_store",
    "softmax",
    "split_user_text",
    "submit_lm_training",
    "suggestion_id",
    "text_model",
    "tokenize",
    "tokenize_all",
    "top_suggestions",
    "train_language_model",
    "training_windows",
    "user_training_data",
    "with_suggestion",
]
