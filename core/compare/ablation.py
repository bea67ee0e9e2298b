"""Where an LSTM's weights start, measured: from scratch, from IMDB word vectors, or from
the language model (`embeddings` = "learned", "imdb", "lm"), one network and one budget.

`make bench SECTION=ablation` (benchmarks/ablation.py) trains the three and writes
`assets/models/ablation.json`; the Compare page and the README show it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd

from core.compare.table import COLUMNS
from core.config import EMBEDDING_LABELS, FIELD_LABELS

ABLATION_FILE = Path(__file__).resolve().parents[2] / "assets" / "models" / "ablation.json"
STARTS = ("learned", "imdb", "lm")
ABLATION_COLUMNS = {"embeddings": FIELD_LABELS["embeddings"],
                    "best_val_accuracy": COLUMNS["best_val_accuracy"],
                    "test_accuracy": COLUMNS["test_accuracy"],
                    "epoch_s": COLUMNS["epoch_s"]}


def shipped_ablation(path: Path = ABLATION_FILE) -> dict[str, Any] | None:
    """The last measured ablation (settings, rows, date), or None if there is none."""
    try:
        value = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    rows = value.get("rows") if isinstance(value, dict) else None
    return value if isinstance(rows, list) and rows else None


def ablation_table(ablation: dict[str, Any]) -> pd.DataFrame:
    """One row per start, the columns named as on the comparison table."""
    table = pd.DataFrame(ablation["rows"]).reindex(columns=list(ABLATION_COLUMNS))
    table["embeddings"] = table["embeddings"].map(lambda e: EMBEDDING_LABELS.get(e, e))
    return table


def ablation_settings(ablation: dict[str, Any]) -> str:
    """The shared settings in words, e.g. "LSTM, embedding 128, 256 units, …"."""
    s = ablation.get("settings", {})
    epochs = s.get("epochs", 1)
    return (f"LSTM, embedding {s.get('embed_dim')}, {s.get('units')} units, "
            f"{s.get('pooling', 'max')} pooling, {s.get('vocab_size', 0):,} words, "
            f"{s.get('seq_len')} tokens, {epochs} epoch{'s' if epochs != 1 else ''} on "
            f"{s.get('train_size', 0) * (1 - s.get('val_share', 0)):,.0f} training reviews "
            f"(measured {ablation.get('measured', '?')})")
