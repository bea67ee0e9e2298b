"""UI pieces shared by pages: the dataset sidebar, the cached dataset loader, the browser
session's owner id and user name, and the one panel that shows a background job on every
page (found again after a reload)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import streamlit as st
from streamlit.errors import StreamlitAPIException

from core import data, settings
from core.events import Event
from core.identity import (
    COOKIE,
    COOKIE_MAX_AGE_S,
    SESSION_KEY,
    new_browser_key,
    owner_id,
    valid_browser_key,
)
from core.jobs import (
    CANCELLED,
    DONE,
    FAILED,
    INTERRUPTED,
    QUEUED,
    RUNNING,
    STOPPED,
    Job,
    JobSpec,
    engine,
)
from core.runs import RunStore
from core.schema import SettingsError, knobs
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


OLD_OWNER_PARAM = "u"  # where the owner id once lived: in the URL, which made a link a key
USER_KEY = "user_name"
USER_PARAM = "name"
USER_NAME_CHARS = 40
EVENTS_KEY = "_job_events"


def session_owner() -> str:
    """Who this browser session is: the owner of every job and run it makes, on any page.

    A person logged in through Streamlit's own login (`st.login`, where a deployment
    configures OIDC in `secrets.toml`) is who the provider says. Anyone else is their
    browser: a random key kept in a cookie, so a reload, another tab or a server restart
    is the same person, and a copied link (which never carries the key) is not.
    """
    owner = st.session_state.get(OWNER_KEY)
    if owner is None:
        subject = login_subject()
        owner = owner_id(subject, "login") if subject else owner_id(browser_key())
        st.session_state[OWNER_KEY] = owner
    if OLD_OWNER_PARAM in st.query_params:  # an old link's id is nobody's key any more
        del st.query_params[OLD_OWNER_PARAM]
    return owner


def login_subject() -> str | None:
    """The login provider's id for this person, when the deployment has a login and they
    used it; None otherwise."""
    if not st.user.get("is_logged_in"):
        return None
    subject = st.user.get("sub") or st.user.get("email")
    return str(subject) if subject else None


def browser_key() -> str:
    """This browser's secret key: the one its cookie holds, or a new one that
    `remember_browser` stores in the cookie."""
    key = st.session_state.get(SESSION_KEY)
    if key is None:
        sent = st.context.cookies.get(COOKIE)
        key = sent if valid_browser_key(sent) else new_browser_key()
        st.session_state[SESSION_KEY] = key
    return key


# Writes the browser key into a cookie from the page itself (no markup of its own).
_COOKIE_JS = """
export default function ({ data }) {
  const secure = location.protocol === "https:" ? "; Secure" : "";
  document.cookie = `${data.name}=${data.value}; path=/; max-age=${data.max_age}; ` +
    `SameSite=Strict${secure}`;
}
"""
_cookie = st.components.v2.component("rnnlab_browser_key", js=_COOKIE_JS)


def remember_browser() -> None:
    """Once per run, from app.py: keep this browser's key in its cookie when the browser
    did not send it (a first visit, or cookies cleared)."""
    key = browser_key()
    if st.context.cookies.get(COOKIE) != key:
        with st.sidebar:
            _cookie(key="rnnlab_browser_key", height=0, data={
                "name": COOKIE, "value": key, "max_age": COOKIE_MAX_AGE_S})


# What an empty table cell shows (Streamlit writes "None", which reads as a bug).
EMPTY_CELL = "–"
KEPT_PREFIX = "_kept_"


def kept(key: str) -> str:
    """`key`, for a setting's widget whose value should survive leaving the page.

    Streamlit drops a widget's value when the user opens another page, so the Train
    settings came back as the defaults after a visit to Home, and the next Start trained
    on them. Called as the widget is drawn, this copies its value to a plain session key
    that Streamlit keeps, and puts it back when the page is drawn again (the widgets'
    default values then give way: `global.disableWidgetStateDuplicationWarning`)."""
    shadow = KEPT_PREFIX + key
    if key in st.session_state:
        st.session_state[shadow] = st.session_state[key]
    elif shadow in st.session_state:
        st.session_state[key] = st.session_state[shadow]
    return key


def setting(config: Any, name: str, key: str, where: Any = None, bounded: bool = False,
            share: bool = True, **options: Any) -> Any:
    """The widget for one field of a config (`core.schema`): its label, help, choices, step
    and format from the field's knob, its starting value from `config`, its value kept
    across pages under `key`. With `bounded`, a number widget also refuses values out of
    range; without, `validate` explains them under the field (the Train page). With
    `share`, the value lives in the URL as `?key=…` (Streamlit's own binding: a link
    reopens the same settings, and a value it cannot use is dropped)."""
    spec = knobs(config)[name]
    if share:
        options.setdefault("bind", "query-params")
    where = where or st
    value = getattr(config, name)
    common = {"label": spec.label, "help": spec.help or None, "key": kept(key)}
    if spec.many:
        choices = options.pop("options", spec.choices)
        return where.multiselect(options=choices, default=list(value), format_func=spec.describe,
                                 **common, **options)
    if spec.choices == (False, True):
        return where.checkbox(value=bool(value), **common, **options)
    if spec.choices is not None:
        choices = options.pop("options", spec.choices)
        return where.selectbox(options=choices, index=list(choices).index(value),
                               format_func=spec.describe, **common, **options)
    if spec.low is None and spec.high is None:
        return where.text_input(value=str(value), **common, **options)
    number = int if spec.whole else float
    if bounded:
        options.setdefault("min_value", number(spec.low))
        options.setdefault("max_value", number(spec.high))
    if spec.step is not None:
        options.setdefault("step", number(spec.step))
    if spec.fmt:
        options.setdefault("format", spec.fmt)
    return where.number_input(value=number(value), **common, **options)


def session_user() -> str | None:
    """The name this person typed in the sidebar (None when none): every session that
    gives the same name shares one limit of running jobs."""
    name = " ".join(str(st.session_state.get(USER_KEY) or "").split())[:USER_NAME_CHARS]
    return name or None


def identity() -> dict[str, str | None]:
    """`owner=` and `user=` for a submission made by this session."""
    return {"owner": session_owner(), "user": session_user()}


def user_sidebar() -> None:
    """The optional name of the person at this browser (kept in the URL over a reload)."""
    if USER_KEY not in st.session_state:
        st.session_state[USER_KEY] = st.query_params.get(USER_PARAM, "")[:USER_NAME_CHARS]
    with st.sidebar:
        st.text_input(
            "Your name (optional)", key=USER_KEY, max_chars=USER_NAME_CHARS,
            placeholder="e.g. Ada L.",
            help=("In a class, each person may run a few jobs at once. With a name, all "
                  "your tabs and devices share that limit. It is used for nothing else, "
                  "and no one else sees your jobs."))
    name = session_user()
    if name and st.query_params.get(USER_PARAM) != name:
        st.query_params[USER_PARAM] = name
    elif not name and USER_PARAM in st.query_params:
        del st.query_params[USER_PARAM]


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
    """`submit(*args, **kwargs)` a job for this session, remembered under `key`; settings
    it cannot run with, or the engine's refusal (e.g. too many jobs at once), are shown,
    not raised."""
    from core.jobs import JobRejected

    try:
        job = submit(*args, **kwargs)
    except SettingsError as exc:
        for message in exc.problems.values():
            st.error(escape_markdown(message), icon="⚠️")
        return None
    except JobRejected as exc:
        st.error(escape_markdown(str(exc)), icon="🚦")
        return None
    remember_job(key, job)
    return job


def remember_job(key: str, job: Job) -> None:
    st.session_state[key] = job.id
    st.query_params[key] = job.id


def job_events(job: Job) -> list[Event]:
    """All of a job's events, reading only what was appended since this session's last
    look (a long run has thousands)."""
    cache = st.session_state.setdefault(EVENTS_KEY, {})
    events, offset = cache.get(job.id, ([], 0))
    new, offset = job.read_events(offset)
    if new:
        events = events + new
    cache[job.id] = (events, offset)
    return events


ENDINGS = {
    DONE: "Finished.",
    STOPPED: "Stopped: showing what finished before the stop.",
    CANCELLED: "Cancelled before it started.",
}
Draw = Callable[[Job, list[Event]], None]


def job_panel(key: str, draw: Draw | None = None, *, every: float = 2.0,
              endings: dict[str, str | None] | None = None, stop_help: str | None = None,
              stopping: str = "Stopping after this batch…",
              on_finish: Callable[[Job], None] | None = None,
              resume: Callable[[Job], Job] | None = None,
              prefix: str | None = None, chart: Draw | None = None,
              chart_every: float = 6.0) -> Job | None:
    """The panel of this session's job under `key`, the same on every page.

    Waiting: its place in the queue, the expected wait and Cancel. Running: progress, ETA
    and Stop. Then the page's own view, `draw(job, events)`, with every event so far.
    Ended: how (failed with its message and details, interrupted with Resume when
    `resume` can continue it, or `endings[state]`). While the job is unfinished the panel
    redraws itself every `every` seconds, reading only new events; once it ends, the
    whole page runs once more (after `on_finish(job)`) so it can show the results, and
    then nothing refreshes any more. Its buttons' keys start with `prefix` (default `key`):
    "<prefix>_stop", "<prefix>_cancel", "<prefix>_resume".

    `chart(job, events)` draws below the panel and refreshes on its own, slower clock
    (`chart_every` seconds): the numbers change with every batch, but a live figure
    costs the browser a redraw of every trace, time the training on the same cores
    would rather have (`make bench SECTION=live` measures it).
    """
    job = current_job(key)
    if job is None:
        return None
    arguments = (key, job.id, draw, {**ENDINGS, **(endings or {})}, stop_help, stopping,
                 on_finish, resume, prefix or key)
    if job.finished:
        _panel(*arguments)
        if chart is not None:
            _chart(key, job.id, chart)
    else:
        st.fragment(_panel, run_every=every)(*arguments)
        if chart is not None:
            st.fragment(_chart, run_every=chart_every)(key, job.id, chart)
    return job


def _chart(key: str, job_id: str, chart: Draw) -> None:
    job = current_job(key)
    if job is not None and job.id == job_id:
        chart(job, job_events(job))


def _panel(key: str, job_id: str, draw: Draw | None, endings: dict[str, str | None],
           stop_help: str | None, stopping: str, on_finish: Callable[[Job], None] | None,
           resume: Callable[[Job], Job] | None, prefix: str) -> None:
    job = current_job(key)
    if job is None or job.id != job_id:
        return
    state = job.state
    if state == QUEUED:
        st.info(queue_text(job), icon="⏳")
        if st.button("Cancel", key=f"{prefix}_cancel", help="Take it out of the queue."):
            if not engine().cancel(job):
                job.stop()  # it started in the meantime
            st.rerun()
    elif state == RUNNING:
        asked, done = job.stop_asked, job.progress
        # Work made of parts reports no ETA of its own: extrapolate the bar instead.
        left = job.eta_s or (job.elapsed_s * (1 - done) / done if done > 0.02 else None)
        eta = "" if asked or not left else f" · about {format_seconds(left)} left"
        message = stopping if asked else (job.message or "Starting…")
        st.progress(job.progress, text=f"{escape_markdown(message)}{eta}")
        if st.button("⏹ Stop", key=f"{prefix}_stop", disabled=asked,
                     help=stop_help or "Stops within one batch."):
            job.stop()
            st.rerun()
    if draw is not None:
        draw(job, job_events(job))
    if state == FAILED:
        job_error(job)
    elif state == INTERRUPTED:
        how = (" Resume continues from its last finished epoch." if resume is not None
               and job.resumable else " Start it again to continue.")
        st.warning(escape_markdown(job.error or "Interrupted.") + how, icon="⚡")
    elif endings.get(state) and state == DONE:
        st.success(endings[state], icon="✅")
    elif endings.get(state):
        st.info(endings[state], icon="⏹️" if state == STOPPED else "🚫")
    if resume is not None and job.resumable and st.button(
            "↻ Resume from the last finished epoch", key=f"{prefix}_resume"):
        if submit_job(key, resume, job):
            st.rerun(scope="app")
    if job.finished and st.session_state.get(f"{key}_ended") != job.id:
        # Once per job: the page runs again to show the results, and stops refreshing.
        st.session_state[f"{key}_ended"] = job.id
        if on_finish is not None:
            on_finish(job)
        st.rerun(scope="app")


def queue_text(job: Job) -> str:
    """"Position 2 in the queue, about 3 min" for a waiting job."""
    position = engine().position(job)
    wait = engine().wait_estimate_s(job)
    text = f"Waiting in the queue at position **{position}**"
    if wait:
        text += f", about {format_seconds(wait)} before it starts"
    return text + "."


def chart(where: Any, fig: Any, summary: str | None = None, **options: Any) -> None:
    """A Plotly figure in `where` (st or a column) and, under it, its one line in words:
    `summary` where the chart has its own, else what `describe_figure` reads from its data."""
    from core.charts.describe import describe_figure

    where.plotly_chart(fig, **options)
    where.caption(escape_markdown(summary if summary is not None else describe_figure(fig)))


def format_seconds(value: float | None) -> str:
    if value is None:
        return "–"
    value = float(value)
    if value < 10:
        return f"{value:.1f} s"
    if value < 90:
        return f"{value:.0f} s"  # "84 s left", not "84.3 s left": an estimate, not a timing
    return f"{int(value // 60)} min {int(value % 60):02d} s"


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
        if st.button("Download the IMDB archive (about 80 MB)", key="download_imdb"):
            spec = JobSpec("download", "Download IMDB", {"url": settings.IMDB_URL},
                           **identity())
            if submit_job(DOWNLOAD_JOB_KEY, engine().submit, spec) is not None:
                st.rerun()
    job_panel(DOWNLOAD_JOB_KEY, every=1.0, endings={DONE: None},
              on_finish=lambda job: _load_imdb.clear())


def my_runs() -> RunStore:
    """The saved runs as this person sees them: their own, which they may change, and the
    unowned ones, read-only; never another person's."""
    return RunStore(owner=session_owner())


def login_sidebar() -> None:
    """Log in and out, where the deployment configured Streamlit's login (OIDC)."""
    if "is_logged_in" not in st.user:
        return
    with st.sidebar:
        if st.user.get("is_logged_in"):
            who = st.user.get("name") or st.user.get("email") or "you"
            st.caption(f"Logged in as {escape_markdown(str(who))}: your jobs and runs follow "
                       "you on any device.")
            st.button("Log out", key="logout", on_click=st.logout)
        else:
            st.button("Log in", key="login", on_click=st.login,
                      help="Without logging in, your jobs and runs belong to this browser.")


def dataset_sidebar() -> None:
    """The dataset source and its status, and the user's name, on every page."""
    remember_browser()
    login_sidebar()
    user_sidebar()
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
            # Inline code, not st.code: a code block makes every page's first load fetch
            # and parse the 1.5 MB syntax highlighter.
            path = str(source.path).replace("`", "'")
            st.caption(f"✅ IMDB {source.kind} from the {source.origin}: `{path}`")


# --- Shareable views: settings in the URL, lessons ---------------------------------------------

SHARED_TEXTS = "shared_texts"  # folder under the app's home for long texts in links
_PUBLISHED = "_published_"
_DEFAULT = "_default_"
PRIVATE_PARAMS = (OLD_OWNER_PARAM, USER_PARAM)  # who someone is never travels in a shared link


def _texts_folder():
    return settings.app_home() / SHARED_TEXTS


def shared_text(key: str, default: str = "") -> None:
    """Before the text widget `key` is drawn: a text the URL carries for it (`?key=` or,
    for a long one, `?key_id=`) that this session has not seen yet becomes its value;
    without one, `default` starts it. Call `publish_text` after the widget."""
    from core.lessons import text_from_params

    params = st.query_params.to_dict()
    text = text_from_params(key, params, _texts_folder())
    raw = params.get(key, params.get(key + "_id"))
    if text is not None and raw != st.session_state.get(_PUBLISHED + key):
        st.session_state[key] = text[:20_000]
        st.session_state[_PUBLISHED + key] = raw
    elif key not in st.session_state and default:
        st.session_state[key] = default
    st.session_state[_DEFAULT + key] = default


def publish_text(key: str) -> None:
    """Put the widget `key`'s text in the URL: inline when short, else by a stored id."""
    from core.lessons import TEXT_ID_SUFFIX, text_params

    text = str(st.session_state.get(key, ""))
    # Like Streamlit's own bound widgets, a value at its default stays out of the link.
    default = st.session_state.get(_DEFAULT + key, "")
    shared = text_params(key, text, _texts_folder()) if text and text != default else {}
    for name in (key, key + TEXT_ID_SUFFIX):
        if name in shared:
            if st.query_params.get(name) != shared[name]:
                st.query_params[name] = shared[name]
            st.session_state[_PUBLISHED + key] = shared[name]
        elif name in st.query_params:
            del st.query_params[name]


def controls_hidden() -> bool:
    """Whether the link asked to fold the page's settings away (a teacher's lesson view)."""
    from core.lessons import CONTROLS_PARAM, HIDDEN

    return st.query_params.get(CONTROLS_PARAM) == HIDDEN


def settings_box(label: str = "Settings") -> Any:
    """Where a page draws its settings: in place, or folded in an expander when the link
    says `?controls=hidden`."""
    if controls_hidden():
        return st.expander(f"{label} (folded by the link you opened)", expanded=False)
    return st.container()


def share_panel() -> None:
    """"Share this view": the link that reopens the page as it is, for a class."""
    from core.lessons import CONTROLS_PARAM, HIDDEN, share_link

    with st.expander("🔗 Share this view"):
        st.caption("This link opens the page with the same settings and text (and the same "
                   "seed, so the same training). Nothing about you is in it.")
        hide = st.checkbox("Fold the settings away for the people who open it",
                           key="share_hide_controls")
        params = {k: st.query_params.get_all(k) for k in st.query_params}
        params = {k: v[0] if len(v) == 1 else v for k, v in params.items()}
        if hide:
            params[CONTROLS_PARAM] = HIDDEN
        st.code(share_link(params, st.context.url or "", PRIVATE_PARAMS), language=None,
                wrap_lines=True)


def lesson_banner() -> None:
    """On a page opened from a lesson: which step this is, what to do, the next step."""
    from core.lessons import current_step

    found = current_step(st.query_params.to_dict())
    if found is None:
        return
    lesson, index = found
    step = lesson.steps[index]
    with st.container(border=True):
        st.markdown(f"**Lesson: {lesson.title}** · step {index + 1} of {len(lesson.steps)}: "
                    f"*{step.title}*\n\n{step.task}")
        if index + 1 < len(lesson.steps):
            following = lesson.steps[index + 1]
            if st.button(f"Next: {following.title}", icon="➡️", key="lesson_next"):
                # Forget what this session holds for the settings the step sets, so that
                # they come from its link.
                for name in following.params:
                    for prefix in ("", _PUBLISHED, KEPT_PREFIX):
                        st.session_state.pop(prefix + name, None)
                try:
                    st.switch_page(following.page, query_params=lesson.params(index + 1))
                except StreamlitAPIException:
                    # The step stays on this page, where a setting it sets is bound to a
                    # widget (the open tab): that one is set through the widget's state.
                    for name, value in following.params.items():
                        st.session_state[name] = value
                    st.switch_page(following.page,
                                   query_params={k: v for k, v in lesson.params(index + 1).items()
                                                 if k not in following.params or k == "word"})
        else:
            st.page_link("pages/home.py", label="Last step. Back to the lessons", icon="🏠")


# --- Typing that reaches the server before Enter --------------------------------------------

# Streamlit's text boxes send their text on Ctrl+Enter or when they lose focus. This
# component (no markup of its own) listens for typing in the box with a given label and,
# once the typist pauses for `delay_ms`, sends the box's text as a one-rerun trigger, so a
# page can answer as someone types. The box keeps its own value meanwhile: nothing here
# writes to it, so no keystroke is lost to a rerun.
_TYPING_JS = """
export default function ({ data, setTriggerValue }) {
  const selector = `textarea[aria-label="${CSS.escape(data.label)}"]`;
  const inBox = (event) =>
    event.target instanceof HTMLTextAreaElement && event.target.matches(selector);
  let timer = null;
  const onInput = (event) => {
    if (!inBox(event)) return;
    const box = event.target;
    clearTimeout(timer);
    timer = setTimeout(() => setTriggerValue("typed", box.value), data.delay_ms);
  };
  // Leaving the box or Ctrl/Cmd+Enter commits the text through Streamlit itself (a click
  // on a suggestion does both): a pause still pending would send an older text after it.
  const onCommit = (event) => {
    if (!inBox(event)) return;
    if (event.type === "keydown" && !(event.key === "Enter" && (event.ctrlKey || event.metaKey)))
      return;
    clearTimeout(timer);
  };
  document.addEventListener("input", onInput, true);
  document.addEventListener("focusout", onCommit, true);
  document.addEventListener("keydown", onCommit, true);
  return () => {
    clearTimeout(timer);
    document.removeEventListener("input", onInput, true);
    document.removeEventListener("focusout", onCommit, true);
    document.removeEventListener("keydown", onCommit, true);
  };
}
"""
_typing = st.components.v2.component("rnnlab_typing", js=_TYPING_JS)


def typed_text(label: str, key: str, delay_ms: int = 250) -> str | None:
    """The text of the text area labelled `label` when this rerun was caused by typing in
    it (before Enter), else None (then its widget value is the current text)."""
    result = _typing(key=key, data={"label": label, "delay_ms": delay_ms},
                     on_typed_change=lambda: None, height=0)
    typed = getattr(result, "typed", None)
    return typed if isinstance(typed, str) else None
