"""Where RNN Lab reads and writes things, from environment variables with safe defaults.

`RNNLAB_IMDB_PATH`  the IMDB archive (`aclImdb_v1.tar.gz`) or an unpacked `aclImdb` folder.
`RNNLAB_HOME`       the app's data folder (parsed-data cache, saved runs); default `~/.rnnlab`.
`KERAS_HOME`        Keras's own cache, searched for a downloaded archive (default `~/.keras`).
"""

from __future__ import annotations

import os
from pathlib import Path

IMDB_PATH_VAR = "RNNLAB_IMDB_PATH"
HOME_VAR = "RNNLAB_HOME"
IMDB_URL = "https://ai.stanford.edu/~amaas/data/sentiment/aclImdb_v1.tar.gz"
# Size of the official archive in bytes, used to show download progress.
IMDB_ARCHIVE_BYTES = 84_125_825


def app_home() -> Path:
    """The app's data folder, created on first use; always outside the repository."""
    home = Path(os.environ.get(HOME_VAR) or Path.home() / ".rnnlab").expanduser()
    home.mkdir(parents=True, exist_ok=True)
    return home


def cache_dir() -> Path:
    path = app_home() / "cache"
    path.mkdir(parents=True, exist_ok=True)
    return path


def runs_dir() -> Path:
    path = app_home() / "runs"
    path.mkdir(parents=True, exist_ok=True)
    return path


def keras_datasets_dir() -> Path:
    return Path(os.environ.get("KERAS_HOME") or Path.home() / ".keras").expanduser() / "datasets"


def imdb_path_setting() -> str | None:
    value = os.environ.get(IMDB_PATH_VAR, "").strip()
    return value or None
