"""`python -m benchmarks [SECTION ...]` — run every section, or the ones named."""

from __future__ import annotations

import importlib
import os
import sys
import time

SECTIONS = ["data", "train", "live", "jobs", "compare", "classify", "nextword", "cell",
            "ablation"]


def emit(name: str, value: float | int | str, unit: str = "") -> None:
    if isinstance(value, float):
        value = f"{value:.4g}" if abs(value) < 1000 else f"{value:.0f}"
    print(f"{name}: {value} {unit}".rstrip(), flush=True)


def main(argv: list[str]) -> int:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    wanted = [a for a in argv if a] or SECTIONS
    unknown = [s for s in wanted if s not in SECTIONS]
    if unknown:
        print(f"unknown section(s): {', '.join(unknown)}; choose from {', '.join(SECTIONS)}")
        return 2
    for section in wanted:
        try:
            module = importlib.import_module(f"benchmarks.{section}")
        except ModuleNotFoundError as exc:
            if exc.name == f"benchmarks.{section}":
                print(f"# section {section}: not written yet", flush=True)
                continue
            raise
        print(f"# section {section}", flush=True)
        start = time.perf_counter()
        module.run(emit)
        print(f"# section {section} took {time.perf_counter() - start:.0f} s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
