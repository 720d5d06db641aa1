"""The conversation view in the real window, with the real model and database: the welcome greets a
first start with the model's state and goes when a message is sent, its three ways in open the
document, voice and model paths, and the actions under messages copy, regenerate and edit through the
same paths as the menu and the Up key."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile
from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QFileDialog

from desktop.window.welcome import TAGLINE
from media.audio_backend import SAMPLE_RATE
from media.file_audio import FileAudioBackend
from storage import DocumentStore
from tests.desktop.window_helpers import (
    ANSWER_MS,
    MODEL_LOAD_MS,
    ask,
    click_link,
    link_hrefs,
    open_test_window,
    own_database,
    stored_messages,
)

SHOWN_MS = 5000
CALL_MS = 60_000  # opening the audio and loading whisper and Piper


def test_the_welcome_says_what_the_model_does_and_goes_when_a_message_is_sent(
        qtbot, longwit_home: Path) -> None:
    window = open_test_window(qtbot, longwit_home)
    view = window.pane.view
    card = window.chat.card
    assert TAGLINE in view.plain_text()
    shown = view.plain_text()
    assert f"{card.name} (" in shown and " MB, 2,048-token context) is loaded" in shown
    seen_while_loading: list[str] = []
    window.chat.model_loading.connect(lambda _name: seen_while_loading.append(view.plain_text()))
    with qtbot.waitSignal(window.chat.model_loaded, timeout=MODEL_LOAD_MS):
        window.models.load_model()
    assert "Loading" in seen_while_loading[0]

    done = ask(qtbot, window, "Name a fruit.")
    assert TAGLINE not in view.plain_text() and "Name a fruit." in view.plain_text()
    assert done.text.split()[0] in view.plain_text()
    window.actions_by_name["New conversation"].trigger()
    assert TAGLINE in view.plain_text()


def test_the_welcomes_ways_in_open_the_model_picker_documents_and_a_call(
        qtbot, longwit_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    window = open_test_window(qtbot, longwit_home)
    view = window.pane.view
    click_link(qtbot, view, "welcome:model")
    qtbot.waitUntil(lambda: window.models.picker is not None and window.models.picker.isVisible(),
                    timeout=SHOWN_MS)
    window.models.picker.close()

    document = tmp_path / "keeper.txt"
    document.write_text("The lighthouse keeper repaired the lamp on a Tuesday in March.\n", "utf-8")
    # The person's choice in the file dialog (a native dialog would wait for a click forever).
    monkeypatch.setattr(QFileDialog, "getOpenFileNames", lambda *_args, **_kw: ([str(document)], ""))
    with qtbot.waitSignal(window.documents.finished, timeout=ANSWER_MS):
        click_link(qtbot, view, "welcome:documents")
    conversation_id = window.pane.conversation_id
    with own_database(window) as db:
        assert [d.title for d in DocumentStore(db).pinned(conversation_id)] == ["keeper"]
    assert "A new conversation" in view.plain_text() and "Drop more files" in view.plain_text()

    mic = tmp_path / "quiet.wav"
    soundfile.write(str(mic), np.zeros(SAMPLE_RATE, dtype=np.float32), SAMPLE_RATE)
    window.voice.backend_factory = lambda: FileAudioBackend(mic, tail_silence_s=60.0)
    with qtbot.waitSignal(window.voice.call_started, timeout=CALL_MS) as started:
        click_link(qtbot, view, "welcome:voice")
    assert started.args == [conversation_id] and window.voice.active
    with qtbot.waitSignal(window.voice.call_ended, timeout=30_000):
        window.toggle_voice_call()


def test_the_actions_under_messages_copy_regenerate_and_edit(qtbot, longwit_home: Path) -> None:
    window = open_test_window(qtbot, longwit_home)
    view = window.pane.view
    done = ask(qtbot, window, "What is the capital of France?")
    question = stored_messages(window)[0]
    qtbot.waitUntil(lambda: f"message:edit:{question.id}" in link_hrefs(view), timeout=SHOWN_MS)
    assert f"message:regenerate:{done.message_id}" in link_hrefs(view)

    click_link(qtbot, view, f"message:copy:{done.message_id}")
    assert QGuiApplication.clipboard().text() == done.text
    click_link(qtbot, view, f"message:copy:{question.id}")
    assert QGuiApplication.clipboard().text() == "What is the capital of France?"
    asked: list[tuple[str, int]] = []
    view.message_action.connect(lambda action, message: asked.append((action, message)))
    click_link(qtbot, view, f"message:read:{done.message_id}")
    assert asked[-1] == ("read", done.message_id)

    before = stored_messages(window)[-1]
    with qtbot.waitSignal(window.chat.reply_done, timeout=ANSWER_MS) as again:
        click_link(qtbot, view, f"message:regenerate:{done.message_id}")
    after = stored_messages(window)
    assert len(after) == 2 and after[-1].id == again.args[0].message_id
    assert after[-1].created > before.created  # a new answer, not the old one kept
    assert f"message:regenerate:{after[-1].id}" in link_hrefs(view)

    box = window.pane.composer.box
    qtbot.waitUntil(lambda: f"message:edit:{question.id}" in link_hrefs(view), timeout=SHOWN_MS)
    click_link(qtbot, view, f"message:edit:{question.id}")
    qtbot.waitUntil(lambda: box.toPlainText() == "What is the capital of France?", timeout=SHOWN_MS)
    assert window.pane.composer.editing
    box.setPlainText("What is the capital of Italy?")
    with qtbot.waitSignal(window.chat.reply_done, timeout=ANSWER_MS):
        qtbot.keyClick(box, Qt.Key.Key_Return)
    messages = stored_messages(window)
    assert len(messages) == 2 and messages[0].content == "What is the capital of Italy?"
    qtbot.waitUntil(lambda: "What is the capital of France?" not in view.plain_text(), timeout=SHOWN_MS)
