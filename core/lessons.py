"""Shareable lessons: fixed walks through the pages, each step a page opened with its
settings in the URL, in the order of the course notes' topics.

A page's settings live in its URL (`pages.common`: widgets bound to query parameters, and
texts inline or by a stored id), so a step is just a page and the parameters to open it
with; the page shows the step's task and a link to the next step. A teacher shares a
lesson as the link to its first step (`Lesson.params(0)`), or any view as its own URL.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

LESSON_PARAM, STEP_PARAM = "lesson", "step"
CONTROLS_PARAM, HIDDEN = "controls", "hidden"  # ?controls=hidden folds a page's settings away
# Texts up to this long go in the link itself; longer ones are stored and linked by an id.
INLINE_TEXT_CHARS = 300
TEXT_ID_SUFFIX = "_id"
_TEXT_ID_CHARS = 16


@dataclass(frozen=True)
class Step:
    page: str  # the page's file, as st.page_link takes it
    title: str
    task: str  # what to do and look at, in a sentence or two (Markdown)
    params: dict[str, str | list[str]] = field(default_factory=dict)


@dataclass(frozen=True)
class Lesson:
    slug: str
    title: str
    summary: str
    steps: tuple[Step, ...]

    def params(self, index: int) -> dict[str, str | list[str]]:
        """The query parameters that open step `index` (0-based) of this lesson."""
        return {LESSON_PARAM: self.slug, STEP_PARAM: str(index + 1),
                **self.steps[index].params}


CELL = "pages/inside_the_cell.py"
LESSONS: dict[str, Lesson] = {lesson.slug: lesson for lesson in (
    Lesson("text-to-numbers", "How text becomes numbers",
           "Tokens, ids, padding and word vectors, then what a model makes of them.", (
               Step("pages/data.py", "Tokens, ids and padding",
                    "Read the table under *How text becomes numbers*: each word becomes an "
                    "id, unknown words become 1, and zeros pad the review to the sequence "
                    "length. Then look at the embedding: one row of numbers per id.",
                    {"tokenizer_text": "Not good at all, but the ending was GREAT!"}),
               Step("pages/classify.py", "The same sentence, scored",
                    "Four networks read those ids. Which words decided the verdict, and do "
                    "they agree on *not good*?",
                    {"review_text": "Not good at all, but the ending was GREAT!"}),
           )),
    Lesson("rnn-lstm-bilstm", "RNN vs LSTM vs BiLSTM: time and accuracy",
           "The same budget for each cell: what the gates and the second direction cost "
           "and buy.", (
               Step("pages/compare.py", "One budget, three cells",
                    "Run the comparison. Read the table: accuracy, seconds per epoch, "
                    "latency and size. How much slower is the BiLSTM, and is it better?",
                    {"cmp_archs": ["SimpleRNN", "LSTM", "BiLSTM"]}),
               Step("pages/train.py", "Train one yourself",
                    "Train an LSTM and watch its curves grow batch by batch; stop it when "
                    "the validation loss turns up.",
                    {"train_arch": "LSTM"}),
           )),
    Lesson("vanishing-gradients", "Vanishing and exploding gradients",
           "Why a plain RNN cannot learn long-range dependencies, and what clipping does.", (
               Step(CELL, "Carry one token across L distractors",
                    "Run the long-range task. At which L does the SimpleRNN fall to chance, "
                    "and what does its gradient look like at the first step?",
                    {"cell_tab": "📉 Vanishing gradients", "lr_lengths": ["5", "20", "50"]}),
               Step(CELL, "Memory on your own sentence",
                    "Under *Memory on your own sentence*, score each word: how much does an "
                    "early word still move each model's verdict?",
                    {"cell_tab": "📉 Vanishing gradients",
                     "memory_text": "I expected to hate this film, and the first hour bored "
                                    "me, but the ending was wonderful."}),
               Step(CELL, "Exploding gradients and clipping",
                    "Train both runs. Where does the unclipped one turn into NaN, and why "
                    "does the clipped one survive?",
                    {"cell_tab": "💥 Exploding gradients"}),
           )),
    Lesson("gates", "What the gates do",
           "The forget, input and output gates on a real review, one word at a time.", (
               Step(CELL, "Gates over a review",
                    "Which words make the forget gate dip, and where does the memory jump?",
                    {"cell_tab": "🚪 The gates",
                     "gates_text": "The acting was wooden and the plot made no sense, but "
                                   "the last scene was beautiful. Not bad at all."}),
               Step(CELL, "One step in real numbers",
                    "Under *One step, in real numbers*, step to *not* and then *bad*: how "
                    "do the gates change the memory of the chosen units?",
                    {"cell_tab": "🚪 The gates", "gates_text": "not bad at all",
                     "word": "2"}),
           )),
)}


def current_step(params: Mapping[str, str]) -> tuple[Lesson, int] | None:
    """The lesson and 0-based step a page was opened at, or None (unknown or no lesson)."""
    lesson = LESSONS.get(str(params.get(LESSON_PARAM, "")))
    if lesson is None:
        return None
    try:
        index = int(str(params.get(STEP_PARAM, "1"))) - 1
    except ValueError:
        return None
    return (lesson, index) if 0 <= index < len(lesson.steps) else None


def share_link(params: Mapping[str, str | list[str]], base: str,
               private: tuple[str, ...] = ()) -> str:
    """`base` (a page's URL) with these parameters, minus the `private` ones (who the
    person sharing is: their session and name)."""
    from urllib.parse import urlencode

    shared = {k: v for k, v in params.items() if k not in private}
    return base.split("?")[0] + ("?" + urlencode(shared, doseq=True) if shared else "")


# --- texts in links -----------------------------------------------------------------------

def text_params(name: str, text: str, folder: Path) -> dict[str, str]:
    """A text as link parameters: inline when short, else stored under `folder` and linked
    by an id (a hash of the text, so the same text always gets the same link)."""
    if len(text) <= INLINE_TEXT_CHARS:
        return {name: text}
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()[:_TEXT_ID_CHARS]
    path = folder / f"{digest}.txt"
    if not path.exists():
        folder.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=".tmp-", suffix=".txt")
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(tmp, path)
    return {name + TEXT_ID_SUFFIX: digest}


def text_from_params(name: str, params: Mapping[str, str], folder: Path) -> str | None:
    """The text a link carries for `name` (inline or by id); None when it carries none or
    an id that is unknown or malformed."""
    if name in params:
        return str(params[name])
    digest = str(params.get(name + TEXT_ID_SUFFIX, ""))
    if len(digest) != _TEXT_ID_CHARS or any(c not in "0123456789abcdef" for c in digest):
        return None
    try:
        return (folder / f"{digest}.txt").read_text(encoding="utf-8")
    except OSError:
        return None
