"""Text to numbers with Keras `TextVectorization`, and a view of each step for teaching.

Every model in RNN Lab uses a vectorizer built here and saves it with its weights, so the
app never re-implements tokenising: `tokenize` asks a `TextVectorization` what the words
are, for the explanations, the token view, the review checks and the gate traces alike.
Sequences are padded at the end; the models mask the padding (`core.layers`), so it moves
no verdict.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from core import settings

if TYPE_CHECKING:
    import numpy as np
    from keras.layers import TextVectorization

PAD_ID = 0
OOV_ID = 1
MAX_VOCAB = 200_000
MAX_SEQ_LEN = 5_000
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:])")


# HTML tags, and dashes that join two words ("great—truly", "great--truly"). The models'
# vectorizer drops the punctuation inside them and would glue the words on either side
# into one unknown token ("<b>great</b>" -> "bgreatb", "it!<br />Great" -> "itbr great").
# The IMDB reviews were stripped of their tags when loaded (`core.data.imdb.clean_review`),
# so the networks learnt from text without them; typed text is read the same way.
# Only real HTML elements count: "<not even one star>" or "<grin>" is the reviewer's text.
_HTML_ELEMENTS = ("a|abbr|b|big|blockquote|body|br|center|code|del|div|em|embed|font|h[1-6]|"
                  "head|hr|html|i|iframe|img|ins|li|link|meta|object|ol|p|pre|q|s|script|"
                  "small|span|strike|strong|style|sub|sup|table|tbody|td|th|title|tr|tt|u|ul")
_MARKUP = re.compile(rf"</?(?:{_HTML_ELEMENTS})(?=[\s/>])[^<>]{{0,200}}>", re.IGNORECASE)
_DASHES = re.compile(r"[\u2012-\u2015]|-{2,}")


def without_markup(text: str) -> tuple[str, bool]:
    """`text` with HTML tags and word-joining dashes turned into spaces, so that the words
    around them stay words; and whether it held HTML tags (worth telling the user)."""
    cleaned, tags = _MARKUP.subn(" ", text)
    return _DASHES.sub(" ", cleaned), tags > 0


def check_vectorizer_settings(vocab_size: int, seq_len: int) -> dict[str, str]:
    """Field-level problems with vocabulary size and sequence length ({} when fine)."""
    problems: dict[str, str] = {}
    if not isinstance(vocab_size, int) or vocab_size < 3:
        problems["vocab_size"] = "Vocabulary size must be at least 3 (padding, unknown, one word)."
    elif vocab_size > MAX_VOCAB:
        problems["vocab_size"] = f"Vocabulary size must be at most {MAX_VOCAB:,}."
    if not isinstance(seq_len, int) or seq_len < 1:
        problems["seq_len"] = "Sequence length must be at least 1 token."
    elif seq_len > MAX_SEQ_LEN:
        problems["seq_len"] = (
            f"Sequence length must be at most {MAX_SEQ_LEN:,} tokens: a recurrent layer "
            "steps through every position, so longer sequences train for hours on a CPU."
        )
    return problems


def make_vectorizer(texts: Iterable[str], vocab_size: int, seq_len: int) -> TextVectorization:
    """A `TextVectorization` adapted on `texts`: the `vocab_size` most frequent tokens.

    Adapting is deterministic (ties in frequency are broken by the token's sort order),
    so the same texts and settings always give the same ids.
    """
    import numpy as np

    problems = check_vectorizer_settings(vocab_size, seq_len)
    if problems:
        raise ValueError(" ".join(problems.values()))
    from keras.layers import TextVectorization

    layer = TextVectorization(
        max_tokens=vocab_size, output_mode="int", output_sequence_length=seq_len
    )
    layer.adapt(np.asarray(list(texts), dtype=object), batch_size=1024)
    return layer


def vectorizer_from_vocabulary(vocabulary: Sequence[str], seq_len: int) -> TextVectorization:
    """Rebuild a vectorizer from a saved vocabulary (as `get_vocabulary()` returned it)."""
    from keras.layers import TextVectorization

    vocab = list(vocabulary)
    if vocab[:2] == ["", "[UNK]"]:
        vocab = vocab[2:]
    return TextVectorization(
        max_tokens=len(vocab) + 2, output_mode="int", output_sequence_length=seq_len,
        vocabulary=vocab,
    )


@functools.cache
def _default_vectorizer() -> TextVectorization:
    from keras.layers import TextVectorization

    return TextVectorization(output_mode="int")  # the standardisation every model here uses


def tokenize_all(texts: Sequence[str], vectorizer: TextVectorization | None = None
                 ) -> list[list[str]]:
    """The tokens a `TextVectorization` sees in each text (one batched call); without a
    vectorizer, those of the default settings that every model here is built with."""
    if not texts:
        return []
    # `_preprocess` is the layer's own standardise+split step, with no public name in
    # Keras 3; this is the one place that calls it, and a test checks its tokens get the
    # layer's ids. (A copy in Python disagreed: TF lower-cases ASCII letters only.)
    tokens = (vectorizer or _default_vectorizer())._preprocess([str(t) for t in texts])
    return [[t.decode("utf-8") for t in row] for row in tokens.to_list()]


def tokenize(text: str, vectorizer: TextVectorization | None = None) -> list[str]:
    """The tokens of one text, as `tokenize_all` finds them."""
    return tokenize_all([text], vectorizer)[0]


@dataclass(frozen=True)
class TokenView:
    """Each step from a sentence to the model's input, for the "how text becomes numbers" panel."""

    tokens: list[str]
    ids: list[int]
    oov: list[bool]
    sequence: np.ndarray  # the padded/truncated ids the model receives
    seq_len: int
    vocab_size: int
    truncated: int  # tokens dropped from the end
    padding: int  # zeros added at the end

    def table(self) -> list[dict[str, Any]]:
        return [
            {"position": i, "token": t, "id": n, "in vocabulary": not o}
            for i, (t, n, o) in enumerate(zip(self.tokens, self.ids, self.oov, strict=True))
        ]

    def one_hot_bytes(self) -> int:
        """float32 size of the one-hot matrix (seq_len x vocabulary)."""
        return self.seq_len * self.vocab_size * 4

    def embedding_bytes(self, dim: int) -> int:
        """float32 size of the embedded sequence (seq_len x dim)."""
        return self.seq_len * dim * 4

    def one_hot(self, max_positions: int | None = None) -> np.ndarray:
        import numpy as np

        n = self.seq_len if max_positions is None else min(self.seq_len, max_positions)
        matrix = np.zeros((n, self.vocab_size), dtype=np.float32)
        matrix[np.arange(n), self.sequence[:n]] = 1.0
        return matrix


def explain_tokens(vectorizer: TextVectorization, text: str) -> TokenView:
    """Tokens, ids, unknown words and the padded sequence of `text` under `vectorizer`."""
    import numpy as np

    tokens = tokenize(text, vectorizer)
    config = vectorizer.get_config()
    seq_len = int(config["output_sequence_length"])
    sequence = np.asarray(vectorizer([text]))[0].astype(np.int64)
    lookup = {word: i for i, word in enumerate(vectorizer.get_vocabulary())}
    ids = [lookup.get(token, OOV_ID) for token in tokens]
    return TokenView(
        tokens=tokens,
        ids=ids,
        oov=[i == OOV_ID for i in ids],
        sequence=sequence,
        seq_len=seq_len,
        vocab_size=int(vectorizer.vocabulary_size()),
        truncated=max(0, len(tokens) - seq_len),
        padding=max(0, seq_len - len(tokens)),
    )


def escape_markdown(text: str) -> str:
    """Make user or dataset text safe to show through Markdown: no markup, no HTML."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", text)


def cached_vocabulary(texts: Sequence[str], vocab_size: int, cache_key: str) -> list[str]:
    """The vocabulary `make_vectorizer` would adapt, kept on disk per (dataset, size).

    Adapting on 25,000 reviews takes seconds; since adapting is deterministic, the saved
    word list rebuilds exactly the same vectorizer (`vectorizer_from_vocabulary`).
    """
    digest = hashlib.sha1(f"{cache_key}|{vocab_size}|{len(texts)}".encode()).hexdigest()[:16]
    path = settings.cache_dir() / f"vocab-{digest}.json"
    if path.exists():
        try:
            return json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            pass  # a damaged cache entry is rebuilt
    vocabulary = make_vectorizer(texts, vocab_size, 1).get_vocabulary()
    tmp = path.with_suffix(f".tmp{os.getpid()}")
    tmp.write_text(json.dumps(vocabulary), encoding="utf-8")
    os.replace(tmp, path)
    return vocabulary
