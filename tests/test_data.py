"""The IMDB loader on the real archive, on small copies made here, and on bad input."""

import functools
import hashlib
import http.server
import tarfile
import threading
import time

import numpy as np
import pandas as pd
import pytest

from conftest import REVIEWS, write_small_archive
from core import data


def test_full_archive_counts_balance_and_stars(imdb):
    assert (len(imdb.train), len(imdb.test), len(imdb.unsup)) == (25_000, 25_000, 50_000)
    for frame in (imdb.train, imdb.test):
        assert (frame["label"] == 1).sum() == 12_500 and (frame["label"] == 0).sum() == 12_500
        pos, neg = frame[frame["label"] == 1], frame[frame["label"] == 0]
        assert pos["stars"].between(7, 10).all() and neg["stars"].between(1, 4).all()
    assert imdb.unsup["label"].isna().all() and imdb.unsup["stars"].isna().all()
    assert not imdb.train["text"].str.contains("<br", regex=False).any()
    assert imdb.train["id"].nunique() == 12_500  # ids restart per class folder
    summary = data.dataset_summary(imdb)
    assert summary.set_index("split").loc["train", "positive_share"] == 0.5


def test_second_load_reads_the_cache_and_matches(imdb, imdb_path):
    again = data.load_imdb(imdb_path)
    assert again.from_cache
    pd.testing.assert_frame_equal(again.train, imdb.train)
    assert again.source == imdb.source


def test_small_archive_and_folder_give_the_same_rows(small_imdb_archive, small_imdb_folder):
    from_archive = data.load_imdb(small_imdb_archive)
    from_folder = data.load_imdb(small_imdb_folder.parent)  # the folder holding aclImdb/
    assert from_archive.source.kind == "archive" and from_folder.source.kind == "folder"
    for split in data.SPLITS:
        pd.testing.assert_frame_equal(from_archive.split(split), from_folder.split(split))
    n_train = len(REVIEWS[("train", "pos")]) + len(REVIEWS[("train", "neg")])
    assert len(from_archive.train) == n_train
    first = from_archive.train.iloc[0]
    assert first["text"] == "A wonderful film.\n\nLoved every minute!"
    assert from_archive.train["text"].iloc[1] == "Great acting & story"
    assert from_archive.train["stars"].tolist() == [8, 9, 1, 2]


def test_source_order_setting_then_environment_then_keras_cache(
    small_imdb_archive, tmp_path, monkeypatch
):
    keras_home = tmp_path / "keras"
    (keras_home / "datasets").mkdir(parents=True)
    monkeypatch.setenv("KERAS_HOME", str(keras_home))
    monkeypatch.delenv("RNNLAB_IMDB_PATH", raising=False)
    with pytest.raises(data.DatasetMissing) as missing:
        data.find_imdb()
    assert "RNNLAB_IMDB_PATH" in str(missing.value) and data.settings.IMDB_URL in str(missing.value)

    cached = keras_home / "datasets" / "aclImdb_v1.tar.gz"
    cached.write_bytes(small_imdb_archive.read_bytes())
    assert data.find_imdb().origin == "keras cache"
    monkeypatch.setenv("RNNLAB_IMDB_PATH", str(small_imdb_archive))
    assert data.find_imdb().origin == "environment"
    assert data.find_imdb(cached).origin == "setting"


def test_download_without_internet_fails_with_a_clear_message(tmp_path, monkeypatch):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
    # This machine has no internet; with it, the same call downloads the official archive.
    monkeypatch.setattr(data.settings, "IMDB_URL", "http://127.0.0.1:9/aclImdb_v1.tar.gz")
    with pytest.raises(data.DatasetMissing, match="download failed"):
        data.download_imdb()


@pytest.fixture
def served(tmp_path):
    """A small archive served over HTTP on this machine, as the official one is online."""
    folder = tmp_path / "served"
    folder.mkdir()
    archive = write_small_archive(folder / "aclImdb_v1.tar.gz")

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(Quiet, directory=str(folder)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield archive, f"http://127.0.0.1:{server.server_address[1]}/aclImdb_v1.tar.gz"
    server.shutdown()
    server.server_close()


def test_download_checks_the_hash_and_never_keeps_a_partial_file(served, tmp_path,
                                                                 monkeypatch):
    archive, url = served
    whole = archive.read_bytes()
    digest = hashlib.sha256(whole).hexdigest()
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
    monkeypatch.delenv("RNNLAB_IMDB_PATH", raising=False)
    monkeypatch.setattr(data.settings, "IMDB_URL", url)
    datasets = tmp_path / "keras" / "datasets"
    side = datasets / "rnnlab-download"
    side.mkdir(parents=True)
    (side / "aclImdb_v1.tar.gz").write_bytes(whole[:100])  # left by a killed download

    with pytest.raises(data.DatasetMissing, match="download failed"):
        data.download_imdb(sha256="0" * 64)  # what arrives is not the expected file
    assert not (datasets / "aclImdb_v1.tar.gz").exists() and not list(side.iterdir())

    (side / "aclImdb_v1.tar.gz").write_bytes(whole[:100])
    target = data.download_imdb(sha256=digest)
    assert target == datasets / "aclImdb_v1.tar.gz" and target.read_bytes() == whole
    assert data.find_imdb().origin == "keras cache"

    # An archive already in place is kept: no second download (here, none could succeed).
    monkeypatch.setattr(data.settings, "IMDB_URL", "http://127.0.0.1:9/aclImdb_v1.tar.gz")
    assert data.download_imdb(sha256=digest) == target and target.read_bytes() == whole


@pytest.mark.parametrize("content, message", [
    (b"", "not a tar archive"),
    (b"this is not an archive at all", "not a tar archive"),
])
def test_malformed_archives_are_rejected(tmp_path, content, message):
    path = tmp_path / "aclImdb_v1.tar.gz"
    path.write_bytes(content)
    with pytest.raises(data.DatasetInvalid, match=message):
        data.load_imdb(path)


def test_truncated_archive_is_reported(small_imdb_archive, tmp_path):
    whole = small_imdb_archive.read_bytes()
    cut = tmp_path / "cut.tar.gz"
    cut.write_bytes(whole[: len(whole) // 2])
    with pytest.raises(data.DatasetInvalid):
        data.load_imdb(cut)


def test_archive_without_imdb_layout_is_rejected(tmp_path):
    other = tmp_path / "other.tar.gz"
    note = tmp_path / "note.txt"
    note.write_text("hello")
    with tarfile.open(other, "w:gz") as archive:
        archive.add(note, arcname="something/note.txt")
    with pytest.raises(data.DatasetInvalid, match="no `train` reviews"):
        data.load_imdb(other)
    with pytest.raises(data.DatasetInvalid, match="Nothing at"):
        data.load_imdb(tmp_path / "missing.tar.gz")
    with pytest.raises(data.DatasetInvalid, match="no `train/`"):
        data.load_imdb(tmp_path)


def test_damaged_cache_is_rebuilt(tmp_path, isolated_home):
    archive = write_small_archive(tmp_path / "a.tar.gz")
    data.load_imdb(archive)
    for cached in (isolated_home / "cache").glob("imdb-*.parquet"):
        cached.write_bytes(b"garbage")
    again = data.load_imdb(archive)
    assert not again.from_cache and len(again.train) == 4
    time.sleep(0.01)
    assert data.load_imdb(archive).from_cache


def test_clean_review_strips_markup_but_keeps_text():
    raw = "Great!<br /><br />A <i>must</i> see &amp; more <script>x</script>"
    assert data.clean_review(raw) == "Great!\n\nA must see & more x"


# --- uploads ---------------------------------------------------------------------------

def test_upload_with_named_labels_maps_to_zero_and_one():
    raw = "review,sentiment\n\"Loved it, truly\",positive\nHated it,negative\n,positive\n"
    table = data.read_table(raw.encode(), "mine.csv")
    own = data.labelled_reviews(table, "review", "sentiment")
    assert own.frame["label"].tolist() == [1, 0]
    assert (own.positive, own.negative, own.dropped_empty) == ("positive", "negative", 1)


def test_tsv_upload_and_unknown_label_names():
    raw = "text\tlabel\nfine film\tgood\nbad film\tzzz\n"
    own = data.labelled_reviews(data.read_table(raw.encode(), "mine.tsv"), "text", "label")
    assert own.frame["label"].tolist() == [1, 0]  # "good" is a known positive name
    odd = data.read_table(b"text,label\nfine film,b\nbad film,a\n", "odd.csv")
    assert data.labelled_reviews(odd, "text", "label").positive == "b"


@pytest.mark.parametrize("payload, name, message", [
    (b"", "a.csv", "empty"),
    (b"   \n  ", "a.csv", "blank"),
    ("text,label\nça,1\n".encode("latin-1"), "a.csv", "not UTF-8"),
    (b"onlyonecolumn\nrow\n", "a.csv", "two columns"),
    (b"x" * 2000, "a.csv", "limit"),
])
def test_malformed_uploads_get_clear_errors(payload, name, message):
    with pytest.raises(data.UploadError, match=message):
        data.read_table(payload, name, max_bytes=1000)


def test_upload_column_and_label_checks():
    table = data.read_table(b"text,label\na,1\nb,2\nc,3\n", "a.csv")
    with pytest.raises(data.UploadError, match="no column named 'review'"):
        data.labelled_reviews(table, "review", "label")
    with pytest.raises(data.UploadError, match="exactly two classes; it holds 3"):
        data.labelled_reviews(table, "text", "label")
    with pytest.raises(data.UploadError, match="different columns"):
        data.labelled_reviews(table, "text", "text")


def test_label_columns_are_found_and_read_whatever_their_spelling():
    frame = pd.DataFrame({"text": ["a", "b", "c"], "stars": ["1", "10", "7"],
                          "Sentiment": ["Positive", " negative", ""], "ok": ["1", "0", "1"]})
    assert data.label_columns(frame, "text") == ["Sentiment", "ok"]  # named ones first
    assert np.array_equal(data.label_values(frame["Sentiment"].tolist()),
                          [1.0, 0.0, np.nan], equal_nan=True)
    assert data.label_values(["pos", "neg", "neutral"]) is None  # three classes
    assert data.label_values(["", ""]) is None  # no label at all
