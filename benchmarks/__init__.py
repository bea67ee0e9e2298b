"""RNN Lab's benchmark: prints speed and memory figures as `name: value unit` lines.

Each section is a module here with `run(emit)`; `python -m benchmarks [SECTION]` runs all
sections or one. Figures are printed, never asserted: targets are read by people.
"""
