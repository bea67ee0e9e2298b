"""The Train page through AppTest and in a real browser, training tiny models end to end."""

import json
import time
from pathlib import Path

import pytest
from job_kinds import holding
from playwright.sync_api import expect
from streamlit.testing.v1 import AppTest

from conftest import wait_for_app
from core import settings
from core.config import ModelConfig
from core.identity import SESSION_KEY as BROWSER_KEY
from core.jobs import CANCELLED, QUEUED, engine
from core.runs import RunStore

ROOT = Path(__file__).resolve().parents[1]
TINY = {"train_vocab_size": 300, "train_seq_len": 24, "train_embed_dim": 8, "train_units": 8,
        "train_batch_size": 32, "train_epochs": 1, "train_train_size": 200}


def train_page() -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=240)
    at.switch_page("pages/train.py")
    return at.run()


def set_numbers(at: AppTest, values: dict) -> None:
    for key, value in values.items():
        at.number_input(key=key).set_value(value)


def start_and_finish(at: AppTest):
    """Submit the form, wait for the training job to finish, and draw the page again."""
    at.button[0].click().run()  # the form's submit button
    assert not at.exception and not at.error
    job = engine().get(at.session_state["train_job_id"])
    assert job is not None and job.wait(300) and job.state == "done", job.error
    at.run()
    assert not at.exception
    return job


def test_form_shows_every_setting_with_help_and_an_empty_live_panel(imdb):
    at = train_page()
    assert not at.exception
    assert at.selectbox(key="train_arch").value == "lstm"
    # The starting form is the measured fast learner: max pooling, IMDB vectors, fine-tuned.
    assert at.selectbox(key="train_pooling").value == "max"
    assert at.selectbox(key="train_embeddings").value == "imdb"
    assert at.checkbox(key="train_freeze_embeddings").value is False
    assert at.checkbox(key="train_sentences").help and at.checkbox(key="train_negations").help
    for key in ("train_units", "train_vocab_size", "train_learning_rate", "train_clipnorm",
                "train_batch_size", "train_epochs", "train_train_size", "train_val_share"):
        assert at.number_input(key=key).help
    assert any("Start training" in i.value for i in at.info)


def test_absurd_settings_get_messages_on_their_fields_and_nothing_starts(imdb):
    at = train_page()
    set_numbers(at, {"train_vocab_size": 0, "train_seq_len": 100_000,
                     "train_learning_rate": 1e6, "train_epochs": 0, "train_train_size": 10**7})
    at.button[0].click().run()  # the form's submit button
    assert not at.exception
    errors = " ".join(e.value for e in at.error)
    assert "Vocabulary size must be a whole number from 3 to 200,000" in errors
    assert "Sequence length must be a whole number from 1 to 5,000" in errors
    assert "Learning rate must be a number from 0" in errors and "Epochs must be" in errors
    assert "Training reviews" in errors
    assert "train_job_id" not in at.session_state
    assert engine().jobs(at.session_state["owner"]) == []


@pytest.mark.slow
def test_trains_a_tiny_model_then_shows_results_and_the_run_list(imdb, tiny_model):
    other = save_run(tiny_model, "an older run")
    at = train_page()
    at.selectbox(key="train_run_choice").set_value(other)  # the user was looking at it
    set_numbers(at, TINY)
    at.text_input(key="train_name").input("<b>tiny</b> page run")
    at.checkbox(key="train_sentences").check()  # one-liners too
    at.checkbox(key="train_negations").check()  # and negated opinions
    job = start_and_finish(at)
    at.run()  # the live panel's once-per-job rerun brings in the results
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Test accuracy"].endswith("%") and "Latency" in metrics
    assert at.session_state["train_selected_run"] == job.result
    assert at.selectbox(key="train_run_choice").value == job.result  # the new run, preselected
    tables = [df.value for df in at.dataframe if "Name" in df.value]
    assert tables and "<b>tiny</b> page run" in tables[0]["Name"].tolist()
    assert len(at.expander) >= 1  # the confident mistakes (and the GloVe panel)
    # It started from the IMDB word vectors, the starting form's choice, and says so.
    assert any(c.value.startswith("IMDB word vectors") for c in at.caption)
    assert RunStore().info(job.result).config["embeddings"] == "imdb"
    assert RunStore().info(job.result).config["sentences"] is True
    assert RunStore().info(job.result).config["negations"] is True
    assert RunStore().info(job.result).metrics["train_sentences"] > 0

    at.text_input(key="train_rename_text").input("renamed run")
    at.button(key="train_rename").click().run()
    assert RunStore().info(job.result).name == "renamed run"
    at.button(key="train_delete").click().run()
    assert not at.exception
    assert job.result not in {r.run_id for r in RunStore().list()}
    assert at.selectbox(key="train_run_choice").value == other  # the one left
    RunStore().delete(other)


@pytest.mark.slow
def test_starting_from_the_language_model_needs_an_lstm_then_trains_from_it(imdb):
    at = train_page()
    set_numbers(at, TINY)
    at.selectbox(key="train_embeddings").set_value("lm")
    at.selectbox(key="train_arch").set_value("gru")
    at.button[0].click().run()
    assert not at.exception
    assert any("needs the LSTM architecture" in e.value for e in at.error)
    assert "train_job_id" not in at.session_state
    at.selectbox(key="train_arch").set_value("lstm")
    job = start_and_finish(at)
    assert any(c.value.startswith("The language model's word vectors (128 numbers each)")
               for c in at.caption)
    saved = RunStore().info(job.result).config
    assert (saved["embeddings"], saved["embed_dim"], saved["units"]) == ("lm", 128, 256)
    RunStore().delete(job.result)  # the app home is shared with the browser tests


def test_a_damaged_run_is_listed_without_breaking_the_page(imdb):
    at = train_page()
    broken = settings.runs_dir() / "20200101-000000-sentiment-broken"
    broken.mkdir()  # this person's run, with nothing but its run.json left
    (broken / "run.json").write_text(json.dumps({"name": "broken", "kind": "sentiment",
                                                 "owner": at.session_state["owner"]}))
    at.run()
    assert not at.exception
    [frame] = [df for df in at.dataframe if "Status" in df.value]
    table = frame.value
    assert any(str(s).startswith("damaged") for s in table["Status"])
    # The damaged run has no figures: its cells read "–", not Streamlit's "None".
    assert table["Test accuracy"].isna().any() and frame.proto.placeholder == "–"
    at.button(key="train_delete").click().run()
    assert not (settings.runs_dir() / "20200101-000000-sentiment-broken").exists()


@pytest.fixture(scope="module")
def tiny_model():
    from core import models, text

    config = ModelConfig(vocab_size=40, seq_len=8, embed_dim=4, units=3, train_size=40)
    vectorizer = text.make_vectorizer(["a good film", "a bad film", "fine"] * 5, 40, 8)
    return config, models.end_to_end(vectorizer, models.build_model(config))


def save_run(tiny_model, name: str, status: str = "done", **files: str) -> str:
    """A saved run whose files are then replaced by `files` (file name -> text)."""
    config, model = tiny_model
    run_id = RunStore().save(model=model, kind="sentiment", config=config.to_dict(), name=name,
                             status=status, metrics={"test_accuracy": 0.8, "test_reviews": 10})
    for file_name, content in files.items():
        (settings.runs_dir() / run_id / file_name).write_text(content, encoding="utf-8")
    return run_id


def test_runs_with_wrongly_typed_files_are_damaged_and_break_nothing(imdb, tiny_model):
    typed = save_run(tiny_model, "typed wrong",
                     **{"metrics.json": json.dumps({"test_accuracy": "86%", "params": [1]})})
    dated = save_run(tiny_model, "far future", **{"run.json": json.dumps(
        {"name": "far future", "kind": "sentiment", "status": "done", "created": 1e30})})
    try:
        at = train_page()
        at.session_state["train_selected_run"] = typed
        at.run()
        assert not at.exception
        [table] = [df.value for df in at.dataframe if "Status" in df.value]
        status = dict(zip(table["Run id"], table["Status"], strict=True))
        assert status[typed].startswith("damaged: metrics.json")
        assert status[dated].startswith("damaged: run.json")
        assert any("This run is damaged" in e.value and "test\\_accuracy" in e.value
                   for e in at.error)
        assert not at.metric  # no figures from a damaged run
    finally:
        RunStore().delete(typed)
        RunStore().delete(dated)


def test_results_of_a_run_with_malformed_curves_and_evaluation(imdb, tiny_model):
    run_id = save_run(tiny_model, "odd files", status="stopped", **{
        "metrics.json": json.dumps({"test_accuracy": None, "epochs_done": 1}),
        "history.json": "[1, 2]", "evaluation.json": json.dumps({"confusion": "x"})})
    try:
        at = train_page()
        at.session_state["train_selected_run"] = run_id
        at.run()
        assert not at.exception
        metrics = {m.label: m.value for m in at.metric}
        assert metrics["Test accuracy"] == "–" and metrics["Weights"] == "–"
        assert any("after 1 epoch(s) of training" in w.value for w in at.warning)
        infos = " ".join(i.value for i in at.info)
        assert "No learning curves" in infos and "No confusion matrix" in infos
    finally:
        RunStore().delete(run_id)


@pytest.mark.slow
def test_cancel_takes_a_queued_job_out_of_the_queue(imdb, tmp_path):
    with holding(tmp_path):
        at = train_page()
        set_numbers(at, TINY)
        at.session_state["user_name"] = "  Ada   L. "  # as typed in the sidebar
        at.button[0].click().run()
        job = engine().get(at.session_state["train_job_id"])
        assert job.state == QUEUED and job.owner == at.session_state["owner"]
        assert job.user == "Ada L."
        assert any("Waiting in the queue" in i.value for i in at.info)
        at.button(key="train_cancel").click().run()
        assert not at.exception
        assert job.state == CANCELLED and engine().position(job) == 0
        assert any("Cancelled before it started" in i.value for i in at.info)


def train_page_at(query: dict[str, str], browser_key: str | None = None) -> AppTest:
    """The Train page opened from a link (a reload keeps the URL's query string), by a
    browser whose cookie holds `browser_key` (None: another browser)."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=240)
    at.switch_page("pages/train.py")
    for key, value in query.items():
        at.query_params[key] = value
    if browser_key is not None:
        at.session_state[BROWSER_KEY] = browser_key  # what `st.context.cookies` would send
    return at.run()


@pytest.mark.slow
def test_a_reload_finds_the_job_and_its_stop_and_no_one_else_can(imdb):
    at = train_page()
    set_numbers(at, {**TINY, "train_epochs": 100, "train_train_size": 800})
    at.button[0].click().run()
    owner, job_id = at.session_state["owner"], at.session_state["train_job_id"]
    assert at.query_params["train_job_id"] == job_id
    assert owner not in str(at.query_params)  # who you are is not in the link
    job = engine().get(job_id)
    deadline = time.monotonic() + 240
    while not any(e.KIND == "batch" for e in job.events()):
        assert time.monotonic() < deadline and not job.finished, job.error
        time.sleep(0.05)

    # Someone else with the link, even one in the old form that named the owner's id.
    for link in ({"train_job_id": job_id}, {"u": owner, "train_job_id": job_id}):
        stranger = train_page_at(link)
        assert not stranger.exception and stranger.session_state["owner"] != owner
        assert "train_job_id" not in stranger.session_state
        assert not [b for b in stranger.button if b.key == "train_stop"]
        assert "u" not in stranger.query_params

    # F5: a new session of the same browser.
    reloaded = train_page_at({"train_job_id": job_id}, at.session_state[BROWSER_KEY])
    assert not reloaded.exception
    assert reloaded.session_state["train_job_id"] == job_id
    reloaded.button(key="train_stop").click().run()
    assert job.wait(120) and job.state == "stopped"
    reloaded.run()
    assert not reloaded.exception
    if job.result:  # the other tests and the browser share this session's run store
        RunStore().delete(job.result)


def test_missing_dataset_explains_how_to_get_it(tmp_path, monkeypatch, imdb_path):
    monkeypatch.setenv("RNNLAB_IMDB_PATH", str(tmp_path / "gone.tar.gz"))
    at = train_page()
    assert not at.exception
    assert at.error and any("Download" in b.label for b in at.button)


def start_tiny_training(tab, app_url: str, name: str, epochs: int, reviews: int) -> None:
    """Open the Train page, type a tiny model's settings and press Start training."""
    tab.goto(f"{app_url}/train")
    wait_for_app(tab, 120_000)
    for label, value in (("Vocabulary size", 300), ("Sequence length", 24),
                         ("Embedding size", 8), ("Units", 8), ("Batch size", 32),
                         ("Epochs", epochs), ("Training reviews", reviews)):
        box = tab.get_by_label(label, exact=True)
        box.fill(str(value))
        box.press("Tab")
    tab.get_by_label("Run name (optional)").fill(name)
    tab.get_by_role("button", name="Start training").click()


@pytest.mark.browser
def test_browser_trains_a_tiny_model_and_draws_its_curve(page, app_url, screenshot, imdb):
    start_tiny_training(page, app_url, "browser run", epochs=2, reviews=400)
    page.get_by_text("Reviews per second").wait_for(timeout=300_000)
    # Start is at the foot of the form: the page brings the live panel into view.
    expect(page.get_by_text("Reviews per second")).to_be_in_viewport()
    page.locator(".js-plotly-plot").first.wait_for(timeout=300_000)
    page.set_viewport_size({"width": 1400, "height": 1500})
    screenshot(page, "train_page_live")
    page.get_by_text("Results: browser run").wait_for(timeout=400_000)
    wait_for_app(page, 60_000)
    assert page.locator(".js-plotly-plot").count() >= 2  # live curves and the saved run's
    assert page.get_by_text("Test accuracy").count() >= 1
    page.set_viewport_size({"width": 1400, "height": 2000})
    page.get_by_text("Saved runs").scroll_into_view_if_needed()
    page.wait_for_timeout(1500)  # the run table draws on a canvas after the script ends
    screenshot(page, "train_page_done")


@pytest.mark.browser
def test_browser_a_copied_link_gives_a_stranger_neither_the_job_nor_the_run(browser, app_url,
                                                                            imdb):
    """Two browsers: the second opens the first one's full address-bar URL while its
    training runs, and again once it is saved. It sees no Stop, no live view and no run;
    the first, reloaded, is still the owner of both."""
    owner_context = browser.new_context(viewport={"width": 1400, "height": 1000})
    stranger_context = browser.new_context(viewport={"width": 1400, "height": 1000})
    try:
        tab = owner_context.new_page()
        tab.set_default_timeout(30_000)
        start_tiny_training(tab, app_url, "owner's own run", epochs=50, reviews=800)
        stop = tab.get_by_role("button", name="⏹ Stop")
        stop.wait_for(timeout=300_000)
        tab.get_by_text("Reviews per second").wait_for(timeout=300_000)
        tab.locator(".js-plotly-plot").first.wait_for(timeout=300_000)  # batches done
        link = tab.url
        assert "train_job_id=" in link

        other = stranger_context.new_page()
        other.set_default_timeout(30_000)
        other.goto(link)
        wait_for_app(other, 120_000)
        other.get_by_text("Saved runs").wait_for()
        assert other.get_by_role("button", name="⏹ Stop").count() == 0
        assert other.get_by_text("Reviews per second").count() == 0
        assert other.locator(".js-plotly-plot").count() == 0  # nor its live curves

        stop.click()
        tab.get_by_text("Results: owner's own run").wait_for(timeout=300_000)
        tab.reload()  # the owner's browser, a new session: still theirs
        tab.get_by_text("Results: owner's own run").wait_for(timeout=120_000)
        wait_for_app(tab)
        assert tab.get_by_role("button", name="Rename").is_enabled()

        other.goto(link)
        wait_for_app(other, 120_000)
        other.get_by_text("Saved runs").wait_for()
        assert other.get_by_text("Results: owner's own run").count() == 0
        picker = other.get_by_label("Run", exact=True)
        if picker.count():  # the stranger may see runs that have no owner, never this one
            picker.click()
            options = other.get_by_role("option").all_inner_texts()
            assert options and not any("owner's own run" in o for o in options)
            other.keyboard.press("Escape")
    finally:
        owner_context.close()
        stranger_context.close()
