"""Section `data`: parsing the archive, reading the cache, the home page's first render, and
the IMDB word vectors for a first and a second vocabulary."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def first_render_s(home: str) -> float:
    """Seconds from `streamlit run app.py` to the home page's title drawn in Chromium.

    The browser is started first, as a user's browser is already open; the clock starts
    with the server process and stops when the title is on screen.
    """
    from playwright.sync_api import sync_playwright

    port = _free_port()
    env = dict(os.environ, RNNLAB_HOME=home)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium",
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        tab = browser.new_page()
        tab.goto("about:blank")
        start = time.perf_counter()
        server = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"), "--server.port",
             str(port), "--server.headless", "true", "--server.address", "127.0.0.1"],
            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        try:
            url = f"http://127.0.0.1:{port}"
            while True:
                try:
                    urllib.request.urlopen(f"{url}/_stcore/health", timeout=1)
                    break
                except OSError:
                    time.sleep(0.05)
            tab.goto(url)
            tab.get_by_text("RNN Lab").first.wait_for(timeout=60_000)
            elapsed = time.perf_counter() - start
        finally:
            browser.close()
            server.terminate()
            server.wait(timeout=10)
    return elapsed


def run(emit) -> None:
    before = os.environ.get("RNNLAB_HOME")
    with tempfile.TemporaryDirectory(prefix="rnnlab-bench-") as home:
        # A fresh home makes the first load parse the archive; later sections must get the
        # user's home back, with its caches and runs.
        os.environ["RNNLAB_HOME"] = home
        try:
            from core import data

            start = time.perf_counter()
            first = data.load_imdb()
            emit("data_first_load_s", time.perf_counter() - start, "s")
            assert not first.from_cache
            start = time.perf_counter()
            data.load_imdb()
            emit("data_cached_load_s", time.perf_counter() - start, "s")
            emit("app_first_render_s", first_render_s(home), "s")
            word_vector_figures(emit, first)
        finally:
            if before is None:
                os.environ.pop("RNNLAB_HOME", None)
            else:
                os.environ["RNNLAB_HOME"] = before


def word_vector_figures(emit, imdb) -> None:
    """The IMDB word vectors (embeddings "imdb") in a fresh home: the first vocabulary
    counts the 75,000 reviews; a second vocabulary reuses those counts."""
    from core import text, training, word_vectors

    texts = training.imdb_vector_texts(imdb)
    train = imdb.train["text"].tolist()
    for name, size in (("word_vectors_first_s", 10_000), ("word_vectors_next_vocab_s", 15_000)):
        vocabulary = text.make_vectorizer(train, size, 200).get_vocabulary()
        start = time.perf_counter()
        word_vectors.vectors_file(vocabulary, texts, 64)
        emit(name, time.perf_counter() - start, "s")
