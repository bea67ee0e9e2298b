"""Reading a finished comparison for the user: `findings(table)`, a few Markdown sentences
on what the table says (the BiLSTM's cost, the most accurate model, the baselines' bar)."""

from __future__ import annotations

import pandas as pd

from core.baselines import BASELINES
from core.compare.table import DONE, REFERENCE_ARCH


def findings(table: pd.DataFrame) -> list[str]:
    """A few sentences that read the table for the user (Markdown, names escaped)."""
    from core.text import escape_markdown

    done = table[table["status"] == DONE]
    lines = []
    ref = done[done["arch"] == REFERENCE_ARCH]
    if not ref.empty and pd.notna(ref["epoch_s"].iloc[0]):
        ref_row = ref.iloc[0]
        for _, row in done.iterrows():
            if row["arch"] == "bilstm" and pd.notna(row["epoch_s_vs_lstm"]):
                lines.append(
                    f"The **BiLSTM** took **{row['epoch_s_vs_lstm']:.2f}×** as long per epoch as "
                    f"the LSTM ({row['epoch_s']:.1f} s vs {ref_row['epoch_s']:.1f} s); in the seed "
                    "notebook it took 2.49 times as long (3,731 s vs 1,497 s)."
                )
    scored = done[done["test_accuracy"].notna()]
    if not scored.empty:
        best = scored.loc[scored["test_accuracy"].idxmax()]
        lines.append(f"Most accurate: **{escape_markdown(str(best['model']))}** with "
                     f"{best['test_accuracy']:.1%} test accuracy.")
        recurrent = scored[~scored["arch"].isin(BASELINES)]
        # The strongest trained baseline is the bar (VADER is not trained on the reviews).
        trained = scored[scored["arch"].isin(("tfidf_logreg", "nblr"))]
        if not recurrent.empty and not trained.empty:
            top = recurrent.loc[recurrent["test_accuracy"].idxmax()]
            bar = trained.loc[trained["test_accuracy"].idxmax()]
            gap = (top["test_accuracy"] - bar["test_accuracy"]) * 100
            where = "above" if gap >= 0 else "below"
            lines.append(
                f"The best recurrent model ({escape_markdown(str(top['model']))}) is "
                f"{abs(gap):.1f} points {where} {escape_markdown(str(bar['model']))}, the "
                f"strongest trained baseline, which trained in {bar['train_s']:.1f} s."
            )
        timed = scored[scored["train_s"] > 0]
        if len(timed) > 1:
            rate = timed["test_accuracy"] / timed["train_s"]
            fastest = timed.loc[rate.idxmax()]
            lines.append(f"Most accuracy per second of training: "
                         f"**{escape_markdown(str(fastest['model']))}**.")
    return lines

