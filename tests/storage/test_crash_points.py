"""The crash points the harness uses: off by default, a journal of what was committed, and a
process that dies by SIGKILL at exactly the planned place, leaving what it committed before."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from storage import ConversationStore, crash_points, open_database
from storage.crash_points import parse_target, text_digest
from storage.migrations import MIGRATIONS
from tests.conftest import project_environment

TWO_MESSAGES = """
from storage import ConversationStore, open_database
store = ConversationStore(open_database({db!r}))
conversation = store.create()
for text in ("first", "second", "third"):
    store.add_message(conversation, "user", text)
"""


@pytest.fixture
def journal(tmp_path: Path) -> Iterator[Path]:
    path = tmp_path / "journal.jsonl"
    crash_points.configure(None, str(path))
    yield path
    crash_points.configure(None, None)


def records(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_targets_are_parsed_and_a_bad_one_is_refused() -> None:
    assert parse_target("message.committed:3") == ("message.committed", 3)
    assert parse_target("state.renamed") == ("state.renamed", 1)
    for bad in ("message.committed:0", "message.committed:x", ":2"):
        with pytest.raises(ValueError, match="NAME:N"):
            parse_target(bad)


def test_points_are_off_unless_configured(tmp_path: Path) -> None:
    assert crash_points._plan is None  # the test environment sets neither variable
    crash_points.reached("message.committed", message_id=1)  # nothing happens, nothing is written


def test_the_journal_counts_points_and_never_holds_text(journal: Path, tmp_path: Path) -> None:
    store = ConversationStore(open_database(tmp_path / "longwit.db"))
    conversation = store.create()
    first = store.add_message(conversation, "user", "a private question")
    store.add_message(conversation, "assistant", "an answer")
    store.delete_from(first)
    seen = records(journal)
    committed = [r for r in seen if r["at"] == "message.committed"]
    assert [r["n"] for r in committed] == [1, 2]
    assert committed[0]["message_id"] == first
    assert committed[0]["content"] == text_digest("a private question")
    assert "a private question" not in journal.read_text()
    assert [r["at"] for r in seen].count("migration.committed") == len(MIGRATIONS)
    assert seen[-1]["at"] == "messages.deleted" and len(seen[-1]["message_ids"]) == 2


def test_a_process_dies_at_the_planned_point_with_what_it_committed_before(tmp_path: Path) -> None:
    db = tmp_path / "longwit.db"
    journal = tmp_path / "journal.jsonl"
    environment = project_environment(LONGWIT_CRASH_AT="message.written:2",
                                      LONGWIT_CRASH_LOG=str(journal))
    child = subprocess.run([sys.executable, "-c", TWO_MESSAGES.format(db=str(db))], env=environment,
                           capture_output=True, text=True, timeout=60, check=False)
    assert child.returncode == -signal.SIGKILL, child.stderr
    # The second message was written inside its transaction, never committed: only the first stays.
    store = ConversationStore(open_database(db))
    assert [m.content for m in store.messages(1)] == ["first"]
    assert records(journal)[-1]["at"] == "message.written"
