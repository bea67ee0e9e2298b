"""The reviews the app learns from and scores, as pandas frames.

    imdb.py      the Large Movie Review Dataset: find, download, parse once, cache, load
    uploads.py   a user's own labelled reviews: read an uploaded table, find its labels

Callers write `from core.data import load_imdb` or `from core import data; data.read_table(…)`:
the public names are gathered here.
"""

from core import settings
from core.data.imdb import (
    IMDB_SHA256,
    PARSER_VERSION,
    SPLITS,
    DatasetInvalid,
    DatasetMissing,
    DataSource,
    ImdbData,
    clean_review,
    dataset_summary,
    download_imdb,
    download_job,
    download_progress,
    find_imdb,
    load_imdb,
    missing_advice,
    parse_imdb,
    random_review,
)
from core.data.uploads import (
    LABEL_COLUMN_NAMES,
    MAX_UPLOAD_BYTES,
    NEGATIVE_LABELS,
    POSITIVE_LABELS,
    LabelledReviews,
    UploadError,
    label_columns,
    label_values,
    labelled_reviews,
    read_table,
)

__all__ = [
    "IMDB_SHA256",
    "LABEL_COLUMN_NAMES",
    "MAX_UPLOAD_BYTES",
    "NEGATIVE_LABELS",
    "PARSER_VERSION",
    "POSITIVE_LABELS",
    "SPLITS",
    "DataSource",
    "DatasetInvalid",
    "DatasetMissing",
    "ImdbData",
    "LabelledReviews",
    "UploadError",
    "clean_review",
    "dataset_summary",
    "download_imdb",
    "download_job",
    "download_progress",
    "find_imdb",
    "label_columns",
    "label_values",
    "labelled_reviews",
    "load_imdb",
    "missing_advice",
    "parse_imdb",
    "random_review",
    "read_table",
    "settings",
]
