"""The Large Movie Review Dataset (IMDB) as pandas frames: finding, downloading, parsing.

Where the data comes from, in order: an explicit path (the app's setting), the
`RNNLAB_IMDB_PATH` environment variable, the Keras cache (`~/.keras/datasets`), and
otherwise `download_imdb()`. The first load parses the archive once and keeps a
Parquet copy in the app's cache folder; later loads read only that copy.
"""

from __future__ import annotations

import hashlib
import html
import os
import re
import tarfile
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from core import settings

if TYPE_CHECKING:
    import pandas as pd

SPLITS = ("train", "test", "unsup")
# Bump when parsing changes so that old cached copies are not reused.
PARSER_VERSION = 2
# SHA-256 of the official aclImdb_v1.tar.gz (84,125,825 bytes), as published with TFDS
# and other loaders. Repacked copies (like the one in ../shared/data, which lacks the
# .feat files) differ; they are used through a path, never downloaded.
IMDB_SHA256 = "c40f74a18d3b61f90feba1e17730e0d38e8b97c05fde7008942e91923d1658fe"

_TAG = re.compile(r"<[^>]{0,200}>")
_BREAK = re.compile(r"<\s*br\s*/?\s*>", re.IGNORECASE)
_SPACES = re.compile(r"[ \t]+")
_NAME = re.compile(r"(\d+)_(\d+)\.txt$")


class _DatasetProblem(Exception):
    def __init__(self, headline: str, advice: str = "") -> None:
        super().__init__(f"{headline} {advice}".strip())
        # One sentence for tight spots (the sidebar); paths in it may contain ". ", so it
        # cannot be cut out of the full message afterwards.
        self.headline = headline


class DatasetMissing(_DatasetProblem, RuntimeError):
    """No copy of the dataset was found; the message says how to get one."""


class DatasetInvalid(_DatasetProblem, ValueError):
    """A path was given but it is not a usable IMDB archive or folder."""


@dataclass(frozen=True)
class DataSource:
    path: Path
    kind: str  # "archive" or "folder"
    origin: str  # "setting", "environment" or "keras cache"

    def describe(self) -> str:
        return f"{self.kind} {self.path} (from the {self.origin})"


@dataclass
class ImdbData:
    train: pd.DataFrame
    test: pd.DataFrame
    unsup: pd.DataFrame
    source: DataSource
    from_cache: bool

    def split(self, name: str) -> pd.DataFrame:
        return {"train": self.train, "test": self.test, "unsup": self.unsup}[name]


def missing_advice() -> str:
    return (
        f"Set the environment variable `{settings.IMDB_PATH_VAR}` (or the path in the "
        "sidebar) to `aclImdb_v1.tar.gz` or an unpacked `aclImdb` folder, or download it "
        f"from {settings.IMDB_URL} (about 80 MB)."
    )


def clean_review(text: str) -> str:
    """Turn the reviews' HTML fragments (`<br />`, entities, stray tags) into plain text."""
    text = _BREAK.sub("\n", text)
    text = _TAG.sub(" ", text)
    text = html.unescape(text)
    text = _SPACES.sub(" ", text)
    return "\n".join(line.strip() for line in text.splitlines()).strip()


def _as_source(path: Path, origin: str) -> DataSource:
    path = path.expanduser()
    if not path.exists():
        raise DatasetInvalid(f"Nothing at {path}.", missing_advice())
    if path.is_dir():
        root = path / "aclImdb" if (path / "aclImdb").is_dir() else path
        if not (root / "train").is_dir() or not (root / "test").is_dir():
            raise DatasetInvalid(
                f"{path} is a folder but has no `train/` and `test/` folders of the IMDB layout."
            )
        return DataSource(root.resolve(), "folder", origin)
    if not tarfile.is_tarfile(path):
        raise DatasetInvalid(f"{path} is not a tar archive (expected aclImdb_v1.tar.gz).")
    return DataSource(path.resolve(), "archive", origin)


def _keras_cache_candidates() -> Iterator[Path]:
    base = settings.keras_datasets_dir()
    yield base / "aclImdb_v1.tar.gz"
    yield base / "aclImdb"
    yield base / "aclImdb_v1_extracted"
    yield base / "aclImdb_v1"


def find_imdb(path: str | os.PathLike[str] | None = None) -> DataSource:
    """Locate the dataset without reading it. Raises DatasetMissing or DatasetInvalid."""
    if path:
        return _as_source(Path(path), "setting")
    env = settings.imdb_path_setting()
    if env:
        return _as_source(Path(env), "environment")
    for candidate in _keras_cache_candidates():
        if candidate.exists():
            try:
                return _as_source(candidate, "keras cache")
            except DatasetInvalid:
                continue
    raise DatasetMissing("The IMDB reviews were not found.", missing_advice())


def _download_folder() -> Path:
    return settings.keras_datasets_dir() / "rnnlab-download"


def download_progress() -> float:
    """Share of the archive downloaded so far by a running `download_imdb` (0 when none)."""
    partial = _download_folder() / "aclImdb_v1.tar.gz"
    try:
        return min(1.0, partial.stat().st_size / settings.IMDB_ARCHIVE_BYTES)
    except OSError:
        return 0.0


def download_job(job: Any, config: dict[str, Any]) -> str:
    """The "download" job's runner: `config` holds the URL the page saw."""
    import threading

    from core.jobs import JobFailed

    settings.IMDB_URL = str(config.get("url") or settings.IMDB_URL)
    done = threading.Event()

    def report() -> None:  # the share downloaded, as the job's progress
        while not done.wait(0.5):
            job.set_progress(download_progress(), None, "Downloading aclImdb_v1.tar.gz…")

    threading.Thread(target=report, daemon=True).start()
    try:
        return str(download_imdb())
    except DatasetMissing as exc:  # already a sentence for the user
        raise JobFailed(str(exc)) from exc
    finally:
        done.set()


def download_imdb(sha256: str = IMDB_SHA256) -> Path:
    """Download the official archive into the Keras cache (needs internet).

    It downloads into a side folder and moves the archive into `~/.keras/datasets` only
    when its SHA-256 matches, so a half-downloaded file (a killed server leaves one in
    the side folder) is never taken for the dataset. An archive already in place with
    that hash is kept: a second request, e.g. queued by another session, downloads nothing.
    """
    target = settings.keras_datasets_dir() / "aclImdb_v1.tar.gz"
    if target.is_file() and _sha256(target) == sha256:
        return target
    import keras  # heavy; only when a download is asked for

    folder = _download_folder()
    folder.mkdir(parents=True, exist_ok=True)
    try:
        # With file_hash, get_file re-downloads a leftover that does not match, and
        # raises when a fresh download does not match either.
        partial = keras.utils.get_file(
            "aclImdb_v1.tar.gz", settings.IMDB_URL, file_hash=sha256, hash_algorithm="sha256",
            cache_dir=str(settings.keras_datasets_dir().parent),
            cache_subdir=str(folder.relative_to(settings.keras_datasets_dir().parent)),
        )
    except Exception as exc:  # urllib raises several kinds; all mean the same to a user
        for leftover in folder.glob("*"):
            leftover.unlink(missing_ok=True)
        raise DatasetMissing(f"The download failed ({exc}).", missing_advice()) from exc
    os.replace(partial, target)
    return target


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _record(relpath: str, text: str) -> dict[str, object] | None:
    """Parse `aclImdb/<split>/<pos|neg|unsup>/<id>_<stars>.txt` into a row, else None."""
    parts = relpath.replace("\\", "/").split("/")
    if len(parts) < 3:
        return None
    split, folder, name = parts[-3], parts[-2], parts[-1]
    match = _NAME.search(name)
    if split not in ("train", "test") or folder not in ("pos", "neg", "unsup") or not match:
        return None
    if folder == "unsup":
        if split != "train":
            return None
        split, label, stars = "unsup", None, None
    else:
        label, stars = int(folder == "pos"), int(match.group(2))
    text = clean_review(text)
    return {
        "id": int(match.group(1)),
        "split": split,
        "label": label,
        "stars": stars,
        "text": text,
        "n_words": len(text.split()),
    }


def _iter_archive(path: Path) -> Iterator[tuple[str, str]]:
    try:
        with tarfile.open(path, "r:*") as archive:
            for member in archive:
                if member.isfile() and member.name.endswith(".txt"):
                    handle = archive.extractfile(member)
                    if handle is not None:
                        yield member.name, handle.read().decode("utf-8", errors="replace")
    except (tarfile.TarError, EOFError, OSError) as exc:
        raise DatasetInvalid(f"{path} could not be read as a tar archive: {exc}") from exc


def _iter_folder(root: Path) -> Iterator[tuple[str, str]]:
    for split, folder in (("train", "pos"), ("train", "neg"), ("train", "unsup"),
                          ("test", "pos"), ("test", "neg")):
        directory = root / split / folder
        if directory.is_dir():
            for file in directory.iterdir():
                if file.suffix == ".txt":
                    text = file.read_text(encoding="utf-8", errors="replace")
                    yield f"{split}/{folder}/{file.name}", text


def parse_imdb(source: DataSource) -> pd.DataFrame:
    """Read every review of the source into one frame with a `split` column."""
    import pandas as pd
    reader = _iter_archive if source.kind == "archive" else _iter_folder
    rows = [row for name, text in reader(source.path) if (row := _record(name, text))]
    frame = pd.DataFrame(rows, columns=["id", "split", "label", "stars", "text", "n_words"])
    for split in ("train", "test"):
        if not (frame["split"] == split).any():
            raise DatasetInvalid(
                f"{source.path} holds no `{split}` reviews: it does not look like the IMDB dataset."
            )
    frame["label"] = frame["label"].astype("Int8")
    frame["stars"] = frame["stars"].astype("Int8")
    frame["n_words"] = frame["n_words"].astype("int32")
    frame["split"] = pd.Categorical(frame["split"], categories=list(SPLITS))
    # A fixed order, independent of the archive's member order: reproducible everywhere.
    frame = frame.sort_values(["split", "label", "id"], ascending=[True, False, True],
                              na_position="last", kind="stable")
    return frame.reset_index(drop=True)


def _cache_file(source: DataSource) -> Path:
    stat = source.path.stat()
    key = f"{source.path}|{stat.st_size}|{stat.st_mtime_ns}|{PARSER_VERSION}"
    digest = hashlib.sha1(key.encode()).hexdigest()[:16]
    return settings.cache_dir() / f"imdb-{digest}.parquet"


def _write_atomically(frame: pd.DataFrame, target: Path) -> None:
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-", suffix=".parquet")
    os.close(fd)
    try:
        frame.to_parquet(tmp, index=False)
        os.replace(tmp, target)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def load_imdb(path: str | os.PathLike[str] | None = None) -> ImdbData:
    """Load train, test and unlabelled reviews; parse once, then read the cached copy."""
    import pandas as pd  # here, not at the top: pages that never load data start faster
    source = find_imdb(path)
    cached = _cache_file(source)
    from_cache = cached.exists()
    frame = None
    if from_cache:
        try:
            frame = pd.read_parquet(cached)
        except Exception:  # a damaged cache file is rebuilt, never fatal
            from_cache = False
    if frame is None:
        frame = parse_imdb(source)
        _write_atomically(frame, cached)
    parts = {
        split: frame[frame["split"] == split].drop(columns="split").reset_index(drop=True)
        for split in SPLITS
    }
    return ImdbData(parts["train"], parts["test"], parts["unsup"], source, from_cache)


def dataset_summary(data: ImdbData) -> pd.DataFrame:
    """Counts and class balance per split, one row each."""
    import pandas as pd
    rows = []
    for split in SPLITS:
        frame = data.split(split)
        labelled = frame["label"].notna()
        pos = int((frame["label"] == 1).sum())
        neg = int((frame["label"] == 0).sum())
        rows.append({
            "split": split,
            "reviews": len(frame),
            "positive": pos,
            "negative": neg,
            "positive_share": pos / max(1, int(labelled.sum())) if labelled.any() else None,
            "median_words": float(frame["n_words"].median()) if len(frame) else 0.0,
        })
    return pd.DataFrame(rows)


def random_review(frame: pd.DataFrame, seed: int) -> pd.Series:
    """One review picked reproducibly by seed."""
    if frame.empty:
        raise ValueError("There are no reviews to pick from.")
    return frame.sample(1, random_state=abs(seed)).iloc[0]
