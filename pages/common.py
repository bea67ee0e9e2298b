"""UI pieces shared by pages: the dataset sidebar, the cached dataset loader, the browser
session's owner id, and finding a session's background jobs again (also after a reload)."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from typing import Any

import streamlit as st

from core import data, settings
from core.jobs import Job, JobSpec, engine
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


OWNER_PARAM = "u"
_TOKEN = re.compile(r"^[0-9a-f]{32}$")
EVENTS_KEY = "_job_events"


def session_owner() -> str:
    """This browser session's id, the owner of every job it submits on any page.

    It is kept in the URL too (`?u=…`), so that a reload of the page, which starts a new
    Streamlit session, is still the same person with the same jobs and Stop buttons.
    """
    owner = st.session_state.get(OWNER_KEY)
    if owner is None:
        from_url = st.query_params.get(OWNER_PARAM, "")
        owner = from_url if _TOKEN.match(from_url) else uuid.uuid4().hex
        st.session_state[OWNER_KEY] = owner
    if st.query_params.get(OWNER_PARAM) != owner:
        st.query_params[OWNER_PARAM] = owner
    return owner


def current_job(key: str) -> Job | None:
    """The job this session last started under `key` (a page's own), if it may see it.

    The id also lives in the URL under `key`, so a reloaded page finds its job again."""
    job_id = st.session_state.get(key) or st.query_params.get(key)
    job = engine().get(job_id, owner=session_owner()) if job_id else None
    if job is None:
        st.session_state.pop(key, None)
        return None
    st.session_state[key] = job.id
    if st.query_params.get(key) != job.id:
        st.query_params[key] = job.id
    return job


def submit_job(key: str, submit: Callable[..., Job], *args: Any, **kwargs: Any) -> Job | None:
    """`submit(*args, **kwargs)` a job for this session, remembered under `key`; the
    engine's refusal (e.g. too many jobs at once) is shown, not raised."""
    from core.jobs import JobRejected

    try:
        job = submit(*args, **kwargs)
    except JobRejected as exc:
        st.error(escape_markdown(str(exc)), icon="🚦")
        return None
    remember_job(key, job)
    return job


def remember_job(key: str, job: Job) -> None:
    st.session_state[key] = job.id
    st.query_params[key] = job.id


def job_events(job: Job) -> list[dict[str, Any]]:
    """All of a job's events, reading only what was appended since this session's last
    look (a long run has thousands)."""
    cache = st.session_state.setdefault(EVENTS_KEY, {})
    events, offset = cache.get(job.id, ([], 0))
    new, offset = job.read_events(offset)
    if new:
        events = events + new
    cache[job.id] = (events, offset)
    return events


def queue_text(job: Job) -> str:
    """"Position 2 in the queue, about 3 min" for a waiting job."""
    position = engine().position(job)
    wait = engine().wait_estimate_s(job)
    text = f"Waiting in the queue at position **{position}**"
    if wait:
        text += f", about {format_seconds(wait)} before it starts"
    return text + "."


def format_seconds(value: float | None) -> str:
    if value is None:
        return "–"
    value = float(value)
    return f"{value:.1f} s" if value < 90 else f"{int(value // 60)} min {int(value % 60):02d} s"


def job_error(job: Job) -> None:
    """A failed job's message as its main text, and any traceback folded away."""
    st.error(escape_markdown(job.error or "The job failed."), icon="💥")
    if job.details:
        with st.expander("Details (for a bug report)"):
            st.code(job.details, language=None)


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
    job = current_job(DOWNLOAD_JOB_KEY)
    if job is None or job.finished:
        if job is not None and job.error:
            st.error(escape_markdown(job.error))
        if st.button("Download the IMDB archive (about 80 MB)", key="download_imdb"):
            spec = JobSpec("download", "Download IMDB", {"url": settings.IMDB_URL},
                           session_owner())
            if submit_job(DOWNLOAD_JOB_KEY, engine().submit, spec) is not None:
                st.rerun()
    if job is not None and not job.finished:
        _download_progress(job.id)


@st.fragment(run_every=1.0)
def _download_progress(job_id: str) -> None:
    job = engine().get(job_id)
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
