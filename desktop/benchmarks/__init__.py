"""Benchmarks run from the command line without Qt: the answer evaluation on real documents."""
