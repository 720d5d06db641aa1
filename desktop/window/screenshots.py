"""`longwit screenshots DIR` (and `make screenshots`): the window in its main states, rendered to PNG
files so a person can look at them: the welcome while the model loads and once it has, an answer
with Markdown, documents as chips with the reading-mode pill and the context gauge, a citation
opened, a voice call, dictation in progress, an answer read aloud, an error banner, a
conversation with highlighted code in the light and the dark theme, the documents and the
welcome in the dark, the document library empty and with a few documents and a watched folder,
and the Memory view with a few memories and a proposal. It drives the real window with the
bundled model in a temporary Longwit home, offscreen when there is no display; a few older
conversations are stored first so the list shows its date groups and previews. The
conversation with code is imported (the window's own import), so what it shows does not hang
on what the small bundled model happens to write."""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from PySide6.QtCore import QEventLoop, QSettings, QTimer
from PySide6.QtWidgets import QWidget

from desktop.window.app_settings import AppSettings
from desktop.window.ui_benchmark import readable_answer, spin, wait_for, write_document

TIMEOUT_S = 300.0
MARKDOWN_QUESTION = (
    "Show me a small Markdown table of three fruits and their colours, then a Python code block "
    "that prints them."
)


CODE_QUESTION = "How can I count the most common words in a text file with Python?"
CODE_ANSWER = '''Read the file, split it into words, and let `collections.Counter` count them:

```python
import re
from collections import Counter
from pathlib import Path


def common_words(path: str, top: int = 10) -> list[tuple[str, int]]:
    """The `top` most frequent words, lower-cased."""
    text = Path(path).read_text(encoding="utf-8")
    words = re.findall(r"[a-z']+", text.lower())
    return Counter(words).most_common(top)


for word, count in common_words("moby-dick.txt"):
    print(f"{word:>12} {count:6d}")
```

Run it from a terminal:

```sh
python common_words.py
```

`most_common` returns the pairs already sorted, the highest count first.'''


def write_code_conversation(folder: Path) -> Path:
    """A conversation with code in it, as an export file the window can import."""
    from storage.conversation_archive import ArchivedMessage, ConversationArchive, archive_json
    from storage.conversations import MessageStats

    when = "2026-01-05T10:00:00+00:00"
    stats = MessageStats(prompt_tokens=61, completion_tokens=182, ttft_s=0.41, tokens_per_s=38.2)
    archive = ConversationArchive(
        title="Counting words", model=None, created=when, updated=when,
        messages=(ArchivedMessage("user", CODE_QUESTION, when),
                  ArchivedMessage("assistant", CODE_ANSWER, when, stats=stats)))
    path = folder / "counting-words.json"
    path.write_text(archive_json(archive), encoding="utf-8")
    return path


def save(widget: QWidget, folder: Path, name: str, saved: list[Path], settle_s: float = 0.2) -> None:
    spin(settle_s)  # let layouts and the stream's last redraw settle
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


def library_shot(window, out: Path, name: str, saved: list[Path]) -> None:
    """The document library as it stands, chosen row and all."""
    window.open_library()
    settle(window)
    save(window.library_view, out, name, saved)
    window.library_view.close()


def fill_library(window, folder: Path) -> None:
    """A watched folder with a PDF and a Word file, read by the library's own scan."""
    from media.document_files import Chapter
    from media.document_files import write_document as write_file

    papers = folder / "papers"
    papers.mkdir()
    survey = ("The survey counted the seabirds on the northern cliffs each spring, ledge by ledge, "
              "and compared the totals with the keepers' diaries. ") * 12
    write_file(papers / "seabird-survey.pdf", "Seabird survey 1890-1895",
               [Chapter(f"Year {n}", (survey,) * 3) for n in range(1, 4)])
    write_file(papers / "harbour-accounts.docx", "Harbour accounts",
               [Chapter("Spring", ("Paraffin, bread and letters came with the supply boat.",))])
    old = time.time() - 60  # older than a copy still being written
    for path in papers.iterdir():
        os.utime(path, (old, old))
    window.library.add_folder(papers)
    wait_for(window.library.idle, TIMEOUT_S, "Reading the watched folder")


def dictation(window, folder: Path, out: Path, saved: list[Path]) -> None:
    """The message box mid-dictation (a guess at the sentence being said), on the file backend."""
    from desktop.window.ui_benchmark import DICTATED, spoken_question
    from media.file_audio import FileAudioBackend

    mic = spoken_question(folder, DICTATED, "dictated")
    window.audio.backend_factory = lambda: FileAudioBackend(mic, tail_silence_s=TIMEOUT_S)
    window.pane.composer.box.setPlainText("About the letters:")
    window.pane.composer.box.moveCursor(window.pane.composer.box.textCursor().MoveOperation.End)
    window.speech.toggle_dictation()
    guess = ""
    while not guess:  # a guess shows the words as they are being said
        _settled, guess = wait_for(window.dictation.heard, TIMEOUT_S, "Dictation")
    save(window, out, "13-dictation", saved)
    window.speech.toggle_dictation()
    while window.dictation.active:
        wait_for(window.dictation.stopped, TIMEOUT_S, "Stopping dictation")
    window.pane.composer.box.clear()


def read_aloud(window, folder: Path, out: Path, saved: list[Path]) -> None:
    """The answer with a code block being read aloud (its prose only), on the file backend."""
    import numpy as np
    import soundfile

    from media.audio_backend import FRAME_SAMPLES, SAMPLE_RATE
    from media.file_audio import FileAudioBackend

    quiet = folder / "quiet.wav"
    soundfile.write(str(quiet), np.zeros(FRAME_SAMPLES, dtype=np.float32), SAMPLE_RATE)
    window.audio.backend_factory = lambda: FileAudioBackend(quiet, tail_silence_s=TIMEOUT_S)
    window.read_aloud(readable_answer(window, with_code=True))
    if window.reading.message_id is None:
        wait_for(window.reading.started, TIMEOUT_S, "Reading aloud")
    spin(0.8)
    save(window, out, "14-read-aloud", saved)
    window.stop()
    while window.reading.active:
        wait_for(window.reading.stopped, TIMEOUT_S, "Stopping the reading")


def memory_shot(window, out: Path, saved: list[Path]) -> None:
    """The Memory view with a few memories (one pinned, one of the open conversation), their costs
    and budget line, and a proposal Longwit heard in a question."""
    window.pane.send("Remember that I prefer metric units.")
    wait_for(window.chat.reply_done, TIMEOUT_S, "The answer")
    window.banner.dismiss()
    window.memory.add("My name is Ada Lovelace")
    window.memory.add("I prefer short answers that name their sources", pinned=True)
    window.memory.add("This report is for the harbour board's spring meeting", this_conversation=True)
    window.memory.add("I work as a ship's engineer in Leeds")
    settle(window)
    window.open_memories()
    dialog = window.memory_view
    while dialog.measured is None or dialog.listing is not window.memory.listing:
        wait_for(window.memory.measured, TIMEOUT_S, "Counting the memories' tokens")
    dialog.tree.setCurrentItem(dialog.tree.topLevelItem(1))
    save(dialog, out, "12-memories", saved)
    dialog.close()


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
        library_shot(window, out, "10-library-empty", saved)
        start_when_shown(window)
        wait_for(window.chat.model_loading, TIMEOUT_S, "Starting to load the model")
        save(window, out, "01-empty", saved, settle_s=0.0)  # the welcome while the model loads
        wait_for(window.chat.model_loaded, TIMEOUT_S, "Loading the model")
        save(window, out, "01-welcome", saved)
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
        save(window, out, "15-documents-dark", saved)
        apply_theme(app, "light")
        if done.citations and done.message_id is not None:
            window.sources.open_citation(done.message_id, done.citations[0].number)
            settle(window)
            if window.sources.viewer is not None:
                save(window.sources.viewer, out, "04-citation", saved)
                window.sources.viewer.close()
        progress("The document library…")
        fill_library(window, folder)
        library_shot(window, out, "11-library", saved)
        progress("The memories…")
        memory_shot(window, out, saved)
        progress("A voice call…")
        voice_call(window, folder, out, saved)
        progress("Dictation and reading aloud…")
        dictation(window, folder, out, saved)
        read_aloud(window, folder, out, saved)
        window.banner.show_message("The model could not be loaded: not a GGUF file. Still using "
                                   "smollm2-135m-instruct.", "error")
        save(window, out, "06-error-banner", saved)
        window.banner.dismiss()
        progress("A conversation with code…")
        window.import_conversation(write_code_conversation(folder))
        wait_for(window.transfer.imported, TIMEOUT_S, "Importing the conversation with code")
        settle(window)
        save(window, out, "08-code", saved)
        apply_theme(app, "dark")
        save(window, out, "07-dark", saved)
        window.new_conversation()
        save(window, out, "09-welcome-dark", saved)
        window.close()
    return saved
