"""Pretrained GloVe word vectors: read a GloVe-format text file, match it to a vocabulary.

GloVe's format is one word per line followed by its numbers, separated by spaces:

    the 0.418 0.24968 -0.41242 ...

Files come from https://nlp.stanford.edu/projects/glove/ (`glove.6B.zip` holds 50-, 100-,
200- and 300-dimensional vectors for 400,000 words). `download_glove` fetches it for
users with internet; everything else works on any file in this format, including a
user's upload or a small file made by a test.
"""

from __future__ import annotations

import hashlib
import io
import os
import shutil
import threading
import urllib.request
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import numpy as np

from core import settings

GLOVE_URL = "https://nlp.stanford.edu/data/glove.6B.zip"
GLOVE_DIMS = (50, 100, 200, 300)
MAX_BAD_LINES = 10


class GloveError(ValueError):
    """The file cannot be used as word vectors; the message says why, for the user."""


@dataclass
class GloveMatch:
    """Vectors for a vocabulary: rows in vocabulary order, zeros for words GloVe lacks."""

    matrix: np.ndarray  # (len(vocabulary), dim), float32
    dim: int
    found: int  # vocabulary words (padding and [UNK] excluded) that have a vector
    words: int  # vocabulary words considered
    file_words: int  # words read from the file
    missing: list[str] = field(default_factory=list)  # the most frequent words without one

    @property
    def coverage(self) -> float:
        return self.found / self.words if self.words else 0.0


def glove_dir() -> Path:
    path = settings.cache_dir() / "glove"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _lines(source: str | Path | bytes | IO[bytes]) -> Iterator[str]:
    """Text lines of a GloVe file given as a path (.txt or .zip), bytes, or a binary file."""
    if isinstance(source, (str, Path)):
        path = Path(source).expanduser()
        if not path.is_file():
            raise GloveError(f"No GloVe file at {path}.")
        if zipfile.is_zipfile(path):
            yield from _zip_lines(zipfile.ZipFile(path))
            return
        with open(path, "rb") as handle:
            yield from _decode(handle)
        return
    handle = io.BytesIO(source) if isinstance(source, bytes) else source
    if zipfile.is_zipfile(handle):
        handle.seek(0)
        yield from _zip_lines(zipfile.ZipFile(handle))
        return
    handle.seek(0)
    yield from _decode(handle)


def _zip_lines(archive: zipfile.ZipFile) -> Iterator[str]:
    members = [m for m in archive.namelist() if m.endswith(".txt")]
    if not members:
        raise GloveError("The zip file holds no .txt file of vectors.")
    # glove.6B.zip holds several sizes; the smallest is the quickest useful choice.
    member = sorted(members, key=lambda m: archive.getinfo(m).file_size)[0]
    with archive.open(member) as handle:
        yield from _decode(handle)


def _decode(handle: IO[bytes]) -> Iterator[str]:
    for raw in handle:
        yield raw.decode("utf-8", errors="replace").rstrip("\r\n")


def _read(source: str | Path | bytes | IO[bytes], wanted: Iterable[str] | None,
          max_lines: int | None = None) -> tuple[dict[str, np.ndarray], int]:
    keep = set(wanted) if wanted is not None else None
    vectors: dict[str, np.ndarray] = {}
    dim: int | None = None
    bad = 0
    seen = 0
    for number, line in enumerate(_lines(source), start=1):
        if max_lines is not None and number > max_lines:
            break
        if not line.strip():
            continue
        seen += 1
        parts = line.rstrip().split(" ")
        if dim is None:
            if len(parts) == 2 and all(p.isdigit() for p in parts):
                continue  # word2vec-style header "count dim"
            dim = len(parts) - 1
            if dim < 1:
                raise GloveError(
                    f"Line {number} has a word but no numbers: each line must be a word "
                    "followed by its vector."
                )
        word, numbers = parts[0], parts[1:]
        if len(numbers) != dim:
            bad += 1
            if bad > MAX_BAD_LINES:
                raise GloveError(
                    f"Line {number} has {len(numbers)} numbers where earlier lines had {dim}: "
                    "this is not a GloVe file."
                )
            continue
        if keep is not None and word not in keep:
            continue
        try:
            vector = np.asarray(numbers, dtype=np.float32)
        except ValueError as exc:
            raise GloveError(
                f"Line {number} (“{word[:40]}”) has something that is not a number."
            ) from exc
        if not np.all(np.isfinite(vector)):
            raise GloveError(f"Line {number} (“{word[:40]}”) has an infinite or NaN value.")
        vectors.setdefault(word, vector)
    if dim is None or seen == 0:
        raise GloveError("The GloVe file is empty.")
    if keep is None and not vectors:
        raise GloveError("The GloVe file has no usable vectors.")
    return vectors, dim


def match_vocabulary(source: str | Path | bytes | IO[bytes],
                     vocabulary: Sequence[str], seed: int = 0) -> GloveMatch:
    """An embedding matrix for `vocabulary` (as `get_vocabulary()` returns it).

    Words GloVe knows get its vector; the others get small random vectors on the same
    scale so that they still differ from each other; padding (id 0) stays zero.
    """
    words = list(vocabulary)
    real = [w for w in words if w not in ("", "[UNK]")]
    vectors, dim = _read(source, real)
    if not vectors:
        raise GloveError(
            "None of the vocabulary's words are in this file: is it an English GloVe file?"
        )
    known = np.stack(list(vectors.values()))
    rng = np.random.default_rng(seed)
    scale = float(np.clip(known.astype(np.float64).std(), 1e-3, 1e3))
    matrix = rng.normal(0.0, scale, size=(len(words), dim)).astype(np.float32)
    for index, word in enumerate(words):
        if word in vectors:
            matrix[index] = vectors[word]
    if words and words[0] == "":
        matrix[0] = 0.0
    missing = [w for w in real if w not in vectors][:20]
    found = sum(w in vectors for w in real)
    return GloveMatch(matrix=matrix, dim=dim, found=found, words=len(real),
                      file_words=len(vectors), missing=missing)


def glove_dim(source: str | Path | bytes | IO[bytes]) -> int:
    """The vector length of a GloVe file, read from its first lines."""
    for line in _lines(source):
        parts = line.rstrip().split(" ")
        if len(parts) == 2 and all(p.isdigit() for p in parts):
            continue
        if len(parts) > 1:
            return len(parts) - 1
    raise GloveError("The GloVe file is empty.")


def save_upload(name: str, content: bytes) -> Path:
    """Keep an uploaded GloVe file in the app's cache so a training job can read it.

    The stored name carries a hash of the content: two different uploads with the same
    file name (say from two sessions) must not overwrite each other while a queued job
    still needs the first, and uploading the same file again reuses it.
    """
    safe = "".join(c if c.isalnum() or c in "._-" else "_" for c in Path(name).name)[:80]
    stem, suffix = os.path.splitext(safe or "upload.txt")
    digest = hashlib.sha256(content).hexdigest()[:16]
    path = glove_dir() / f"{stem}-{digest}{suffix}"
    _read(content, None, max_lines=1000)  # fail now, with a message, not later in the job
    # A temporary name per thread: two sessions (threads of one server) saving the same
    # upload at once must not write into one file.
    tmp = path.with_name(f".{path.name}.{os.getpid()}-{threading.get_ident()}.part")
    tmp.write_bytes(content)
    os.replace(tmp, path)
    return path


def download_glove(dim: int = 100, url: str = GLOVE_URL) -> Path:
    """Download glove.6B.zip (822 MB) once and extract the `dim`-sized file. Needs internet."""
    if dim not in GLOVE_DIMS:
        raise GloveError(f"GloVe 6B comes in {', '.join(map(str, GLOVE_DIMS))} dimensions.")
    target = glove_dir() / f"glove.6B.{dim}d.txt"
    if target.exists():
        return target
    archive = glove_dir() / "glove.6B.zip"
    if not archive.exists():
        part = archive.with_suffix(".zip.part")
        try:
            with urllib.request.urlopen(url, timeout=60) as response, open(part, "wb") as out:
                shutil.copyfileobj(response, out, length=1 << 20)
        except OSError as exc:
            part.unlink(missing_ok=True)
            raise GloveError(
                f"Could not download GloVe from {url} ({exc}). Without internet, give the "
                "path of a GloVe file you already have."
            ) from exc
        os.replace(part, archive)
    with zipfile.ZipFile(archive) as zipped, zipped.open(target.name) as source:
        tmp = target.with_suffix(".part")
        with open(tmp, "wb") as out:
            shutil.copyfileobj(source, out, length=1 << 20)
        os.replace(tmp, target)
    return target
