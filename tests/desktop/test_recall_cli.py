"""Recall on the command line, through click's runner with the real bundled model: `longwit ask` in a
new conversation prints one dim line per text recalled from an earlier one, and `--no-recall` turns
recall off for that conversation, which later commands keep until `--recall`."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner, Result

from desktop.cli.main import main
from storage import ConversationStore, open_database

TRIP = "We booked the Aurora Lodge in Reykjavik for the March trip."
ASKED = "Which lodge in Reykjavik did we book?"


def longwit(*args: str, stdin: str | None = None) -> Result:
    return CliRunner().invoke(main, list(args), input=stdin, catch_exceptions=False)


def recalled_lines(result: Result) -> list[str]:
    return [line for line in result.stderr.splitlines() if line.startswith("recalled: ")]


def test_ask_prints_what_it_recalled_and_no_recall_is_kept(longwit_home: Path) -> None:
    first = longwit("ask", "--max-tokens", "4", "--temperature", "0", TRIP)
    assert first.exit_code == 0, first.output
    asked = longwit("ask", "--max-tokens", "4", "--temperature", "0", ASKED)
    assert asked.exit_code == 0, asked.output
    assert recalled_lines(asked)[0].startswith("recalled: conversation 1 'We booked the Aurora")
    assert recalled_lines(asked)[0].endswith("), message 1")

    quiet = longwit("ask", "--no-recall", "--max-tokens", "4", "--temperature", "0", ASKED)
    assert quiet.exit_code == 0, quiet.output
    assert recalled_lines(quiet) == []
    assert "[recall is off for conversation 3; --recall turns it back on]" in quiet.stderr
    store = ConversationStore(open_database(longwit_home / "longwit.db"))
    assert not store.recall_enabled(3) and store.recall_enabled(2)
    again = longwit("ask", "--id", "3", "--max-tokens", "4", "--temperature", "0", ASKED)
    assert again.exit_code == 0 and recalled_lines(again) == []  # kept with the conversation
    back = longwit("ask", "--id", "3", "--recall", "--max-tokens", "4", "--temperature", "0",
                   "Tell me again: which lodge in Reykjavik did we book?")
    assert back.exit_code == 0 and recalled_lines(back)
    assert store.recall_enabled(3)


def test_chat_prints_the_recalled_lines_after_each_answer(longwit_home: Path) -> None:
    longwit("ask", "--max-tokens", "4", "--temperature", "0", TRIP)
    chatted = longwit("chat", "--max-tokens", "4", "--temperature", "0",
                      stdin=f"{ASKED}\nTell me a joke about cats.\n/exit\n")
    assert chatted.exit_code == 0, chatted.output
    # Each answer's lines end with its figures ("… in context (… cached))").
    turns, current = [], []
    for line in chatted.stderr.splitlines():
        current.append(line)
        if " in context (" in line:
            turns, current = [*turns, current], []
    assert len(turns) == 2
    assert any(line.startswith("recalled: conversation 1 ") for line in turns[0])
    assert not any(line.startswith("recalled: ") for line in turns[1])  # an unrelated question
