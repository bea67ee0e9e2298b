"""UI pieces shared by pages: the dataset sidebar, the cached dataset loader, and the
browser session's owner id for background jobs."""

from __future__ import annotations

import uuid

import streamlit as st

from core import data, settings
from core.jobs import job_queue
from core.text import escape_markdown


def _leave_pages_directory_mode() -> None:
    """Make a first visit to a page's own URL (e.g. /data) go through app.py's navigation.

    Streamlit runs the first script of a fresh server in its old "pages/ folder" mode when
    a `pages/` folder exists, so a bookmark to /data would run that page alone, without
    app.py's navigation and sidebar. `st.navigation` turns that mode off, but only once
    app.py has run; this does it from the page, then reruns through app.py.
    """
    from streamlit.runtime.pages_manager import PagesManager

    if PagesManager.uses_pages_directory:
        PagesManager.uses_pages_directory = False
        st.rerun()


_leave_pages_directory_mode()

PATH_KEY = "imdb_path"
DOWNLOAD_JOB_KEY = "imdb_download_job"
OWNER_KEY = "owner"


def session_owner() -> str:
    """This browser session's id, the owner of every job it submits on any page."""
    return st.session_state.setdefault(OWNER_KEY, uuid.uuid4().hex)


def dataset_path() -> str | None:
    """The dataset path typed in the sidebar, or None to use the environment / Keras cache."""
    value = (st.session_state.get(PATH_KEY) or "").strip()
    return value or None


@st.cache_resource(show_spinner="Reading the IMDB reviews (the first time takes ~15 s)…")
def _load_imdb(path: str | None, env_path: str | None) -> data.ImdbData:
    return data.load_imdb(path)


def imdb_data() -> data.ImdbData | None:
    """The dataset, loaded once per path; on failure shows how to get it and returns None."""
    try:
        return _load_imdb(dataset_path(), settings.imdb_path_setting())
    except (data.DatasetMissing, data.DatasetInvalid) as exc:
        dataset_missing_panel(str(exc))
        return None


def imdb_missing() -> str | None:
    """Why the IMDB archive cannot be used, from a quick look for it (it is not read)."""
    try:
        data.find_imdb(dataset_path())
    except (data.DatasetMissing, data.DatasetInvalid) as exc:
        return str(exc)
    return None


def dataset_missing_panel(message: str) -> None:
    st.error(escape_markdown(message), icon="📭")  # it quotes the path the user typed
    st.markdown(
        f"**How to get it:** download `aclImdb_v1.tar.gz` from {settings.IMDB_URL}, then either "
        f"set `{settings.IMDB_PATH_VAR}=/path/to/aclImdb_v1.tar.gz` before `make run`, or "
        "type the path in the sidebar. With internet, the button below downloads it into "
        "the Keras cache (`~/.keras/datasets`)."
    )
    job = job_queue().get(st.session_state.get(DOWNLOAD_JOB_KEY))
    if job is None or job.finished:
        if job is not None and job.error:
            st.error(escape_markdown(job.error))
        if st.button("Download the IMDB archive (about 80 MB)", key="download_imdb"):
            job = job_queue().submit("Download IMDB", lambda job: data.download_imdb(),
                                     kind="download")
            st.session_state[DOWNLOAD_JOB_KEY] = job.id
            st.rerun()
    if job is not None and not job.finished:
        _download_progress(job.id)


@st.fragment(run_every=1.0)
def _download_progress(job_id: str) -> None:
    job = job_queue().get(job_id)
    if job is None:
        return
    if job.finished:
        _load_imdb.clear()
        st.rerun(scope="app")
    share = data.download_progress()
    st.progress(share, text=f"Downloading aclImdb_v1.tar.gz: {share:.0%}")


def dataset_sidebar() -> None:
    """The dataset source and its status, on every page."""
    with st.sidebar:
        st.subheader("Dataset")
        st.text_input(
            "IMDB archive or folder",
            key=PATH_KEY,
            placeholder=settings.imdb_path_setting() or "aclImdb_v1.tar.gz",
            help=(
                f"Leave empty to use `{settings.IMDB_PATH_VAR}` or the Keras cache. "
                "Accepts the .tar.gz archive or an unpacked aclImdb folder."
            ),
        )
        try:
            source = data.find_imdb(dataset_path())
        except (data.DatasetMissing, data.DatasetInvalid) as exc:
            st.warning(escape_markdown(exc.headline), icon="📭")
        else:
            st.caption(f"✅ IMDB {source.kind} from the {source.origin}:")
            st.code(str(source.path), language=None, wrap_lines=True)
