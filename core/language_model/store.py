"""Saved language models: loading, listing, and the one shipped with the app.

A saved run (through `core.runs.RunStore`, kind "language_model") holds the model that
takes raw strings (its tokenizer layer included), the vocabulary (one token per line,
id = line number) and the settings, so a run is usable on its own. Runs saved before the
model took strings hold the integer network; they load too, wrapped on the way in.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from core.language_model.config import LMConfig
from core.language_model.inference import LanguageModel
from core.language_model.model import network_of, takes_text

if TYPE_CHECKING:
    from core.runs import RunStore

KIND = "language_model"
ASSETS_DIR = Path(__file__).resolve().parents[2] / "assets" / "lm"


def shipped_store() -> RunStore:
    from core.runs import RunStore

    return RunStore(ASSETS_DIR, read_only=True)


def load_language_model(store: RunStore, run_id: str) -> LanguageModel:
    """A saved run as a `LanguageModel`; `RunError` if it is damaged or not a language model."""
    from core.runs import RunError

    run = store.load(run_id)
    if run.info.kind != KIND:
        raise RunError(f"Run “{run.info.name}” is not a language model.")
    config = LMConfig.from_dict(run.config)
    if len(run.vocabulary) != config.vocab_size:
        # a vocabulary smaller than the setting (small corpora) is stored as it is
        config.vocab_size = len(run.vocabulary)
    text = takes_text(run.model)
    if text and run.model.get_layer("tokens").vocabulary_size() != len(run.vocabulary):
        raise RunError(f"Run “{run.info.name}” is damaged: its model and its vocabulary "
                       "file disagree.")
    return LanguageModel(network_of(run.model), run.vocabulary, config, run.metrics,
                         run.history, run.info.name, model=run.model if text else None)


def list_language_models(store: RunStore) -> list:
    """The usable language-model runs in a store (newest first)."""
    return [r for r in store.list(KIND) if not r.damaged]  # list() adds damaged runs of any kind
