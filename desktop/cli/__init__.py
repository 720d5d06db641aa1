"""The `longwit` command line: one module per command group, the benchmark tables beside them.
Nothing here imports Qt (tests/desktop/test_layout.py holds it to that); `longwit` with a display
starts the window lazily."""
