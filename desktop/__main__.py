"""`python -m desktop` runs the `longwit` command (the tests use it to run the checkout's code)."""

from desktop.cli.main import main

main()
