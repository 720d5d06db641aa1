"""`longwit screenshots DIR` (and `make screenshots`): the window in its main states, rendered to PNG
files so a person can look at them: empty, an answer with Markdown, documents as chips with the
reading-mode pill and the context gauge, a citation opened, a voice call, an error banner, and the
dark theme (with the documents, and after the call). It drives the real window with the bundled
model in a temporary Longwit home, offscreen when there is no display; a few older conversations
are stored first so the list shows its date groups and previews."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from PySide6.QtCore import QEventLoop, QSettings, QTimer
from PySide6.QtWidgets import QWidget

from desktop.window.app_settings import AppSettings
from desktop.window.ui_benchmark import spin, wait_for, write_document

TIMEOUT_S = 300.0
MARKDOWN_QUESTION = (
    "Show me a small Markdown table of three fruits and their colours, then a Python code block "
    "that prints them."
)


def save(widget: QWidget, folder: Path, name: str, saved: list[Path]) -> None:
    spin(0.2)  # let layouts and the stream's last redraw settle
    path = folder / f"{name}.png"
    widget.grab().save(str(path))
    saved.append(path)


def settle(window) -> None:
    """Wait until what the window asked its database thread for has been drawn (twice over: a read's
    result may ask for another, as a new conversation's id asks for the list)."""
    for _ in range(2):
        loop = QEventLoop()
        window.db_thread.run("waiting for the window's reads", lambda _db: None,
                             lambda _none, reached=loop: reached.quit())
        QTimer.singleShot(int(TIMEOUT_S * 1000), loop.quit)
        loop.exec()


# Earlier conversations for the list: (days ago, title, question, answer).
EARLIER = [
    (1, "Packing list for the coast", "What should I pack for three days on the coast?",
     "A windproof jacket, layers, sturdy shoes and a dry bag for the boat."),
    (4, "Moby-Dick, chapter one", "Why does Ishmael go to sea?",
     "Whenever he feels a damp, drizzly November in his soul, he takes to the ship."),
    (12, "Lease renewal questions", "Which clause sets the notice period?",
     "Clause 14.2: either party may end the lease with three months' written notice."),
    (70, "Whisper models compared", "Is tiny.en enough for dictation?",
     "For clear speech in English, yes; base is steadier with accents and noise."),
]


def store_earlier_conversations(database: Path) -> None:
    """Conversations dated days and months back, written before the window opens (with a connection of
    its own, closed at once), so the list shows its date groups."""
    from storage import open_database
    from storage.conversations import insert_conversation, insert_message

    db = open_database(database)
    try:
        with db.conn:
            for days, title, question, answer in EARLIER:
                when = (datetime.now(UTC) - timedelta(days=days)).isoformat(timespec="microseconds")
                conversation = insert_conversation(db, title, None, when, when)
                for role, text in (("user", question), ("assistant", answer)):
                    insert_message(db, conversation, role, text, model=None, stats=None, cut=False,
                                   created=when)
    finally:
        db.conn.close()


def voice_call(window, folder: Path, out: Path, saved: list[Path]) -> None:
    """The window mid-call, on the file backend: captured while the answer is being spoken."""
    from desktop.window.controllers.voice_controller import SPEAKING, STOPPED
    from desktop.window.ui_benchmark import spoken_question
    from media.file_audio import FileAudioBackend

    mic = spoken_question(folder)
    window.voice.backend_factory = lambda: FileAudioBackend(mic, tail_silence_s=TIMEOUT_S)
    window.toggle_voice_call()
    while window.voice.state != SPEAKING:
        wait_for(window.voice.state_changed, TIMEOUT_S, "The voice call")
    spin(0.8)  # a clause or two into the answer, so both captions show
    save(window, out, "05-voice-call", saved)
    window.toggle_voice_call()
    while window.voice.state != STOPPED:
        wait_for(window.voice.state_changed, TIMEOUT_S, "Hanging up")


def take_screenshots(out: Path, progress: Callable[[str], None]) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    if not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"):
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    saved: list[Path] = []
    with tempfile.TemporaryDirectory(prefix="longwit-shots-") as scratch:
        folder = Path(scratch)
        os.environ["LONGWIT_HOME"] = str(folder / "home")
        from desktop.window.app import application
        from desktop.window.main_window import MainWindow, start_when_shown
        from desktop.window.theme import apply_theme
        from storage import database_path, longwit_home

        app = application()
        apply_theme(app, "light")
        settings = AppSettings(n_ctx=4096, max_tokens=160, temperature=0.3)
        qsettings = QSettings(str(folder / "settings.ini"), QSettings.Format.IniFormat)
        store_earlier_conversations(database_path())
        window = MainWindow(settings, qsettings, database_path(), longwit_home())
        window.resize(1200, 800)
        window.show()
        save(window, out, "01-empty", saved)
        start_when_shown(window)
        wait_for(window.chat.model_loaded, TIMEOUT_S, "Loading the model")
        progress("An answer with Markdown…")
        window.pane.send(MARKDOWN_QUESTION)
        wait_for(window.chat.reply_done, TIMEOUT_S, "The answer")
        settle(window)
        save(window, out, "02-answer", saved)
        progress("A document, its gauge and a citation…")
        window.drop_paths([write_document(folder, 20_000)])
        wait_for(window.chat.prefilled, TIMEOUT_S, "Pre-filling the document")
        window.pane.send("What did the river pilot repair?")
        done = wait_for(window.chat.reply_done, TIMEOUT_S, "The answer")[0]
        settle(window)
        save(window, out, "03-documents", saved)
        apply_theme(app, "dark")
        save(window, out, "08-documents-dark", saved)
        apply_theme(app, "light")
        if done.citations and done.message_id is not None:
            window.open_citation(done.message_id, done.citations[0].number)
            settle(window)
            if window.viewer is not None:
                save(window.viewer, out, "04-citation", saved)
                window.viewer.close()
        progress("A voice call…")
        voice_call(window, folder, out, saved)
        window.banner.show_message("The model could not be loaded: not a GGUF file. Still using "
                                   "smollm2-135m-instruct.", "error")
        save(window, out, "06-error-banner", saved)
        window.banner.dismiss()
        apply_theme(app, "dark")
        save(window, out, "07-dark", saved)
        window.close()
    return saved
