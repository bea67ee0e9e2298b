"""Compare architectures under one budget: SimpleRNN, LSTM, GRU and BiLSTM trained on the
same data with the same settings and seed, next to the baselines a practitioner would try
first (VADER, TF-IDF + logistic regression, NB-LR), in one table.

    plan = ComparePlan(ModelConfig(epochs=1), archs=("simple_rnn", "lstm", "gru", "bilstm"))
    job = submit_comparison(plan, imdb)                    # trains one model after another
    progress = CompareProgress.from_events(job.events())   # what the page draws live
    table = comparison_table(CompareResult.from_json(job.result).entries)

One concern per file:

    plan.py      `ComparePlan`, the runs it can reuse, what a click would do, time estimates
    run.py       the job: baselines, then each model trained or reused, one row each
    table.py     `Entry` rows, the table with times as ratios to the LSTM's, its CSV
    progress.py  `CompareProgress`: the job's events folded into what the page draws live
    summary.py   `findings`: the table read out in a few sentences

Callers use `from core import compare; compare.X`, so every public name is re-exported here.
TensorFlow is imported only inside the functions that train or load a model.
"""

from core.compare.plan import (
    ARCH_COST,
    DEFAULT_ARCHS,
    MEAN_REVIEW_TOKENS,
    REUSE_S,
    STAGE_COST,
    TOKEN_STEP_S,
    ComparePlan,
    data_sizes,
    expected_s,
    find_reusable,
    labelled_test,
    preview,
    stage_estimates,
)
from core.compare.progress import CompareProgress
from core.compare.run import (
    BASELINE_WEIGHT,
    JOB_KIND,
    CompareResult,
    compare_job,
    run_comparison,
    submit_comparison,
)
from core.compare.summary import findings
from core.compare.table import (
    BASELINE,
    COLUMNS,
    DONE,
    FAILED,
    METRICS,
    RATIOS,
    REFERENCE_ARCH,
    REUSED,
    SAVED,
    SKIPPED,
    STOPPED,
    TRAINED,
    Entry,
    baseline_entry,
    comparison_table,
    derived_metrics,
    failed_entry,
    model_label,
    ordered,
    read_history,
    reference_entry,
    run_entry,
    run_metrics,
    saved_entry,
    table_csv,
)

__all__ = [
    # plan.py
    "ARCH_COST", "DEFAULT_ARCHS", "MEAN_REVIEW_TOKENS", "REUSE_S", "STAGE_COST",
    "TOKEN_STEP_S", "ComparePlan", "data_sizes", "expected_s", "find_reusable", "labelled_test",
    "preview", "stage_estimates",
    # progress.py
    "CompareProgress",
    # run.py
    "BASELINE_WEIGHT", "JOB_KIND", "CompareResult", "compare_job", "run_comparison",
    "submit_comparison",
    # summary.py
    "findings",
    # table.py
    "BASELINE", "COLUMNS", "DONE", "FAILED", "METRICS", "RATIOS", "REFERENCE_ARCH", "REUSED",
    "SAVED", "SKIPPED", "STOPPED", "TRAINED", "Entry", "baseline_entry", "comparison_table",
    "derived_metrics", "failed_entry", "model_label", "ordered",
    "read_history", "reference_entry", "run_entry", "run_metrics", "saved_entry", "table_csv",
]
