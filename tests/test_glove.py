"""The GloVe loader on small GloVe-format files made here: matching, coverage, bad files."""

import io
import zipfile

import numpy as np
import pytest

from core import glove
from core.glove import GloveError

VOCABULARY = ["", "[UNK]", "the", "movie", "great", "zzqq"]
LINES = "the 0.1 0.2 0.3\nmovie 1 2 3\ngreat -1 -2 -3.5\nawful 9 9 9\n"


def write(tmp_path, content: str, name: str = "vectors.txt"):
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    return path


def test_match_fills_known_words_and_reports_coverage(tmp_path):
    match = glove.match_vocabulary(write(tmp_path, LINES), VOCABULARY, seed=1)
    assert match.dim == 3 and match.matrix.shape == (6, 3) and match.matrix.dtype == np.float32
    np.testing.assert_allclose(match.matrix[3], [1, 2, 3])
    np.testing.assert_allclose(match.matrix[4], [-1, -2, -3.5])
    assert np.all(match.matrix[0] == 0)  # padding stays zero
    assert match.found == 3 and match.words == 4 and match.coverage == 0.75
    assert match.missing == ["zzqq"] and match.file_words == 3  # "awful" is not needed
    assert np.any(match.matrix[5] != 0)  # unknown words get small random vectors
    again = glove.match_vocabulary(write(tmp_path, LINES), VOCABULARY, seed=1)
    np.testing.assert_array_equal(match.matrix, again.matrix)


def test_uploads_as_bytes_zip_files_and_headers(tmp_path):
    assert glove.glove_dim(LINES.encode()) == 3
    read = glove.match_vocabulary(io.BytesIO(LINES.encode()),
                                  ["", "[UNK]", "the", "movie", "great", "awful", "zzz"])
    assert (read.found, read.words, read.dim) == (4, 5, 3)
    zipped = tmp_path / "glove.zip"
    with zipfile.ZipFile(zipped, "w") as archive:
        archive.writestr("glove.6B.3d.txt", LINES)
        archive.writestr("glove.6B.5d.txt", "the 1 2 3 4 5\n" * 30)
    assert glove.match_vocabulary(zipped, VOCABULARY).dim == 3  # the smallest member
    header = "4 3\n" + LINES  # word2vec-style text files start with "count dim"
    assert glove.match_vocabulary(header.encode(), VOCABULARY).found == 3
    saved = glove.save_upload("../../my vectors.txt", LINES.encode())
    assert saved.parent == glove.glove_dir() and saved.name.startswith("my_vectors-")
    assert saved.suffix == ".txt" and glove.match_vocabulary(saved, VOCABULARY).found == 3
    # A few odd lines (GloVe has words with spaces in them) are skipped.
    odd = LINES + "new york 1 2 3\n"
    assert glove.match_vocabulary(odd.encode(), VOCABULARY).found == 3


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("", "empty"),
        ("\n\n", "empty"),
        ("the\nmovie\n", "no numbers"),
        ("the 1 2 x\n", "not a number"),
        ("the 1 nan 2\n", "NaN"),
        ("".join(f"w{i} {' '.join(['1'] * (i % 5 + 1))}\n" for i in range(40)), "not a GloVe"),
        ("le 1 2 3\nfilm 4 5 6\n", "None of the vocabulary"),
    ],
)
def test_bad_files_get_clear_messages(tmp_path, content, message):
    with pytest.raises(GloveError, match=message):
        glove.match_vocabulary(write(tmp_path, content), VOCABULARY)


def test_uploads_with_the_same_name_do_not_overwrite_each_other():
    first = glove.save_upload("vectors.txt", LINES.encode())
    other = glove.save_upload("vectors.txt", b"the 5 5 5\n")
    assert first != other
    assert first.read_bytes() == LINES.encode() and other.read_bytes() == b"the 5 5 5\n"
    assert glove.save_upload("vectors.txt", LINES.encode()) == first  # same file, reused
    assert not list(glove.glove_dir().glob(".*.part"))


def test_missing_files_and_binary_junk(tmp_path):
    with pytest.raises(GloveError, match="No GloVe file"):
        glove.match_vocabulary(tmp_path / "absent.txt", VOCABULARY)
    with pytest.raises(GloveError):
        glove.save_upload("junk.bin", bytes(range(256)) * 4)
    with pytest.raises(GloveError, match="dimensions"):
        glove.download_glove(dim=42)
    with pytest.raises(GloveError, match="Could not download"):
        glove.download_glove(dim=50, url="http://127.0.0.1:9/glove.zip")
