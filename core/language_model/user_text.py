"""A user's own text: reading an upload, cutting it into documents, and saying early
(before a job is queued) why it cannot be trained on."""

from __future__ import annotations

import math
import re

from core.language_model.config import (
    FIELD_LABELS,
    MAX_USER_TEXT_BYTES,
    MIN_TRAIN_WORDS,
    MIN_TRAIN_WORDS_SETTING,
    LMConfig,
)
from core.language_model.tokens import SPECIALS, Corpus, prepare_corpus, tokenize, tokenize_all
from core.schema import knobs


def split_user_text(text: str, pieces: int = 20) -> list[str]:
    """A user's text as documents: its paragraphs, or equal slices of its tokens if it has few.

    Slicing tokens rather than whitespace-separated words also splits text written without
    spaces ("one,two,three,…"), which would otherwise stay one document with nothing left
    to hold out for evaluation.
    """
    paragraphs = re.split(r"\n\s*\n", text)
    paragraphs = [p for p, tokens in zip(paragraphs, tokenize_all(paragraphs), strict=True)
                  if tokens]
    if len(paragraphs) >= pieces:
        return paragraphs
    tokens = tokenize(text)
    size = max(1, math.ceil(len(tokens) / pieces))
    return [" ".join(tokens[i:i + size]) for i in range(0, len(tokens), size)]


def corpus_problem(corpus: Corpus, config: LMConfig, text_words: int | None = None) -> str | None:
    """Why training on this prepared corpus would fail or be pointless, or None when fine.

    `text_words` (the whole text's token count) lets the message say how much to add.
    """
    if corpus.train_words < MIN_TRAIN_WORDS:
        used = corpus.train_words + sum(len(d) - 1 for d in corpus.val)
        if used >= config.max_train_words:
            suggested = max(MIN_TRAIN_WORDS_SETTING, min(
                int(knobs(LMConfig)["max_train_words"].high), 1_000 * math.ceil(
                    config.max_train_words * MIN_TRAIN_WORDS / max(corpus.train_words, 1) / 1_000)))
            return (
                f"Only {corpus.train_words:,} words are left to train on: "
                f"“{FIELD_LABELS['max_train_words']}” is {config.max_train_words:,} and the "
                f"validation share comes out of it. A language model needs at least "
                f"{MIN_TRAIN_WORDS:,}; raise the setting to {suggested:,} or more."
            )
        more = ""
        if text_words:
            needed = math.ceil(MIN_TRAIN_WORDS * text_words / max(corpus.train_words, 1))
            more = f" Add about {needed - text_words:,} more words."
        return (
            f"Only {corpus.train_words:,} words are left to train on once part of the text "
            "is held out for evaluation and validation; a language model needs at least "
            f"{MIN_TRAIN_WORDS:,}.{more}"
        )
    if not corpus.held_out:
        return "There is no held-out text to evaluate on; add more text."
    if len(corpus.vocabulary) == len(SPECIALS):
        return ("No word occurs twice in the training part, so the model would have no word "
                "to suggest; use ordinary prose.")
    return None


def check_user_text(text: str, config: LMConfig | None = None) -> str | None:
    """Why this text cannot be trained on with these settings, or None when it can.

    The text is split and prepared exactly as training will do it, so a text that passes
    here does not fail in the job for lack of words or of held-out text.
    """
    if len(text.encode("utf-8", errors="ignore")) > MAX_USER_TEXT_BYTES:
        return (f"The text is larger than {MAX_USER_TEXT_BYTES // 1_000_000} MB; "
                "use a shorter excerpt.")
    n = len(tokenize(text))
    if n < MIN_TRAIN_WORDS:
        return (f"The text has {n:,} words; a language model needs at least "
                f"{MIN_TRAIN_WORDS:,} to train on, plus a tenth more held out to evaluate "
                "it (a few pages of prose).")
    config = config or LMConfig()
    return corpus_problem(prepare_corpus(split_user_text(text), config), config, n)


_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")


def decode_upload(data: bytes, filename: str = "upload.txt") -> str:
    """The text of an uploaded .txt file; `ValueError` with a clear message if unreadable.

    UTF-8 (with or without a byte-order mark) and UTF-16 with a byte-order mark, which
    is what Windows Notepad writes as "Unicode".
    """
    if not data:
        raise ValueError(f"{filename} is empty.")
    if len(data) > MAX_USER_TEXT_BYTES:
        raise ValueError(f"{filename} is larger than {MAX_USER_TEXT_BYTES // 1_000_000} MB.")
    if data.startswith(_UTF16_BOMS):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise ValueError(
                f"{filename} starts like UTF-16 text but cannot be read as it. Save it as "
                "UTF-8 (e.g. 'Save as… → Encoding: UTF-8') and upload it again."
            ) from exc
    if b"\x00" in data[:4096]:
        raise ValueError(
            f"{filename} looks like a binary file, not plain text (if it is UTF-16 text "
            "without a byte-order mark, save it as UTF-8 and upload it again)."
        )
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ValueError(
            f"{filename} is not UTF-8 text (byte {exc.start} cannot be read). "
            "Save it as UTF-8 (e.g. 'Save as… → Encoding: UTF-8') and upload it again."
        ) from exc
