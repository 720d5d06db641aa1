"""The crash harness's window workload (desktop/benchmarks/crash/workloads.py): the real window,
offscreen, in LONGWIT_HOME, doing the writes a person does there, each waited for in turn: a
question answered and both messages saved by the chat controller, a proposed memory accepted in the
Memory view's controller, a conversation imported, and a document removed from the library. Then it
closes. The harness kills it at the crash points those writes pass, or at a moment between them.

`python -m desktop.window.crash_session EXPORT.json DOCUMENT_ID MEMORY_ID [--threads N]`; exit status
0 when every step was done and the window closed cleanly, 1 with one line on stderr otherwise.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from PySide6.QtCore import QEventLoop, QSettings, QTimer, SignalInstance

STEP_S = 300.0  # a step not done by then has hung
QUESTION = "Name a colour."


class StepFailed(Exception):
    pass


def caught(signals: dict[str, SignalInstance], what: str) -> list[tuple[str, tuple]]:
    """Run the event loop until one of `signals` fires; what fired meanwhile, as (name, arguments)
    in order (a handler may emit several at once: a notice, then its change)."""
    loop, got = QEventLoop(), []

    def catcher(name: str):
        def catch(*args: object) -> None:
            got.append((name, args))
            loop.quit()
        return catch

    catchers = {name: catcher(name) for name in signals}
    for name, signal in signals.items():
        signal.connect(catchers[name])
    QTimer.singleShot(int(STEP_S * 1000), loop.quit)
    try:
        loop.exec()
    finally:
        for name, signal in signals.items():
            signal.disconnect(catchers[name])
    if not got:
        raise StepFailed(f"{what} did not finish within {STEP_S:.0f} s")
    return got


def expect(signals: dict[str, SignalInstance], what: str) -> None:
    """Wait for `what` to end: "done" must be among what fired, or an "info" notice (a write that
    says what it did); anything else is a failure, said with its message."""
    got = caught(signals, what)
    if any(name == "done" or (name == "notice" and args[-1] == "info") for name, args in got):
        return
    raise StepFailed(f"{what} failed: {got[0][1][0] if got[0][1] else got[0][0]}")


def run_steps(window, export: Path, document_id: int, memory_id: int) -> None:
    chat, memory, library, transfer = window.chat, window.memory, window.library, window.transfer
    expect({"done": chat.model_loaded, "failed": chat.model_failed}, "Loading the model")
    window.pane.send(QUESTION)
    expect({"done": chat.reply_done, "failed": chat.reply_failed}, "Answering")
    memory.accept(memory_id)
    expect({"notice": memory.notice}, "Accepting the proposed memory")
    window.import_conversation(export)
    expect({"done": transfer.imported, "failed": transfer.failed}, "Importing the conversation")
    library.remove(document_id)
    expect({"done": library.documents_changed, "failed": library.notice}, "Removing the document")


def main(argv: list[str]) -> int:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from desktop.window.app import application, start_window_log
    from desktop.window.app_settings import AppSettings
    from desktop.window.main_window import MainWindow, start_when_shown
    from storage import database_path, longwit_home

    parser = argparse.ArgumentParser(prog="crash_session")
    parser.add_argument("export", type=Path)
    parser.add_argument("document_id", type=int)
    parser.add_argument("memory_id", type=int)
    parser.add_argument("--threads", type=int, default=None)
    args = parser.parse_args(argv)
    application()
    settings = AppSettings(n_ctx=2048, max_tokens=8, temperature=0.0, n_threads=args.threads)
    start_window_log(settings)
    qsettings = QSettings(str(longwit_home() / "crash-session.ini"), QSettings.Format.IniFormat)
    window = MainWindow(settings, qsettings, database_path(), longwit_home())
    window.show()
    start_when_shown(window)
    try:
        run_steps(window, args.export, args.document_id, args.memory_id)
    except StepFailed as error:
        print(error, file=sys.stderr)
        return 1
    finally:
        window.close()
    if not window.closed_cleanly:
        print("The window did not close cleanly (see the log).", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
