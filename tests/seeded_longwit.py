"""`python -m tests.seeded_longwit …`: the `longwit` command with Piper's random noise drawn from the
suite's speech seed (tests/conftest.py), for tests that transcribe what a child process said aloud."""

import os

import onnxruntime

from desktop.cli.main import main

onnxruntime.set_seed(int(os.environ["LONGWIT_TEST_SPEECH_SEED"]))  # set by tests/desktop/test_cli.longwit
main()
