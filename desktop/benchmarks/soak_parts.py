"""What `longwit bench soak` adds around its measurements: each part run so that one that fails is
reported and the soak goes on with the next; the fuzzing and the kill points it runs besides; and
the totals it ends with (what was processed, the peak memory, every failure found)."""

from __future__ import annotations

import contextlib
import logging
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import psutil

from desktop.benchmarks.fuzz import run_fuzz, short
from desktop.benchmarks.fuzz_documents import document_target
from desktop.benchmarks.fuzz_parsers import citation_target, request_target, template_target
from storage import DocumentStore, open_database

Report = Callable[[str], None]
T = TypeVar("T")
logger = logging.getLogger(__name__)


class SoakParts:
    """Runs the soak's parts one after another and keeps every failure found."""

    def __init__(self, report: Report) -> None:
        self.report = report
        self.failures: list[dict[str, Any]] = []

    def run(self, name: str, work: Callable[[], T]) -> T | None:
        """`work()`, or None when it raised: its error is a failure, and the soak goes on."""
        try:
            return work()
        except Exception as error:  # a part's bug must not hide what the other parts find
            logger.warning("the soak's %s part failed", name, exc_info=True)
            self.failures.append({"part": name, "error": type(error).__name__, "message": short(error)})
            self.report(f"  {name}: FAILED, {type(error).__name__}: {short(error)}")
            return None


@contextlib.contextmanager
def quiet(logger_name: str) -> Iterator[None]:
    """Warnings of `logger_name` left out of the log: each refused case would write one (with a
    traceback where a library failed), thousands of lines that would rotate the person's log away."""
    quieted = logging.getLogger(logger_name)
    level = quieted.level
    quieted.setLevel(logging.ERROR)
    try:
        yield
    finally:
        quieted.setLevel(level)


def fuzz_everything(folder: Path, cases: int, seed: int, report: Report) -> dict[str, Any]:
    """`cases` spread over the four targets; the damaged documents are stored in a database of
    their own, so that the soak's database and its counts are left as they were."""
    folder.mkdir(parents=True, exist_ok=True)
    db = open_database(folder / "fuzz.db")
    try:
        targets = [document_target(folder, DocumentStore(db)), template_target(), citation_target(),
                   request_target()]
        with quiet("media"):
            return run_fuzz(targets, cases, seed, report)
    finally:
        db.conn.close()


def crash_failures(crash: dict[str, Any] | None) -> list[dict[str, Any]]:
    """A failure for every kill point the folder did not survive, with its problems."""
    if crash is None:
        return []
    return [{"part": "crash", "workload": workload["name"], "at": point["at"],
             "problems": point["problems"]}
            for workload in crash["workloads"] for point in workload["results"] if not point["survived"]]


def processed(database: Path, chat_turns: int, voice_turns: int) -> dict[str, int]:
    """What the soak's database holds at the end (every part's messages and documents), and the
    turns answered by the model in the chat and the call."""
    db = open_database(database)
    try:
        messages = db.execute("SELECT count(*) FROM messages").fetchone()[0]
        documents = db.execute("SELECT count(*) FROM documents").fetchone()[0]
    finally:
        db.conn.close()
    return {"messages": messages, "documents": documents, "chat_turns": chat_turns,
            "voice_turns": voice_turns}


def peak_rss_mb() -> float:
    """This process's peak resident memory since it started (the model, the databases, the fuzz
    cases; not the crash harness's children)."""
    try:
        import resource
    except ImportError:  # Windows: the peak working set
        return round(psutil.Process().memory_info().peak_wset / 2**20, 1)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return round(peak / (2**20 if sys.platform == "darwin" else 2**10), 1)  # bytes on macOS, else KB
