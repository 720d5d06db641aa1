"""Dictation in the real window, with the real tiny.en and Silero models, on a real recording (JFK's
inaugural, /work/shared/audio/jfk.flac) played in real time through the file-backed audio: the words
appear in the message box as they are said, guesses first and then the settled transcript, after
what was typed before; nothing is sent; stopping (Esc, the button) keeps the text; no microphone is
a line in the banner and the button goes on working; dictation does not run during a voice call."""

from __future__ import annotations

import threading
from pathlib import Path

import jiwer
import numpy as np
import pytest
import soundfile
from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence, QTextCursor

from desktop.window.controllers.dictation_controller import FINISHING, IDLE, LISTENING, STARTING
from desktop.window.controllers.voice_controller import STOPPED
from desktop.window.main_window import MainWindow
from media.audio_backend import FRAME_SECONDS, SAMPLE_RATE
from media.audio_errors import NoAudioDevice
from media.file_audio import FileAudioBackend
from storage import ConversationStore
from tests.desktop.test_voice_mode import UnpluggedAfterASecond, has_microphone, normalise
from tests.desktop.window_helpers import open_test_window, own_database

JFK = Path(__file__).resolve().parents[3] / "shared" / "audio" / "jfk.flac"
JFK_WORDS = ("And so my fellow Americans, ask not what your country can do for you, "
             "ask what you can do for your country.")
JFK_SPEECH_S = 11.0  # the recording's length; its speech ends a little before
START_MS = 60_000
DONE_MS = 30_000
TAIL_S = 60.0


@pytest.fixture
def jfk() -> Path:
    if not JFK.exists():
        pytest.skip(f"the speech sample {JFK} is not there")
    return JFK


class Dictated:
    """What the window's dictation signalled, and the message box as each guess reached it."""

    def __init__(self, window: MainWindow) -> None:
        self.states: list[str] = []
        self.heard: list[tuple[str, str]] = []
        self.boxes: list[str] = []
        self.levels: list[float] = []
        self.failures: list[str] = []
        dictation, box = window.dictation, window.pane.composer.box
        dictation.state_changed.connect(self.states.append)
        dictation.heard.connect(lambda settled, guess: self.heard.append((settled, guess)))
        dictation.heard.connect(lambda *_: self.boxes.append(box.toPlainText()))
        dictation.level_changed.connect(self.levels.append)
        dictation.failed.connect(self.failures.append)


def type_into(window: MainWindow, text: str) -> None:
    box = window.pane.composer.box
    box.setPlainText(text)
    box.moveCursor(QTextCursor.MoveOperation.End)  # where a person's typing leaves it


def recording(path: Path, backends: list[FileAudioBackend], clocks: list[int] | None = None):
    """A backend factory playing `path` as the microphone, remembering each backend it made (and in
    `clocks`, how many other backends' clocks were still running when it was opened)."""
    def make() -> FileAudioBackend:
        if clocks is not None:
            clocks.append(sum(1 for t in threading.enumerate() if t.name == "file-audio-clock"))
        backends.append(FileAudioBackend(path, tail_silence_s=TAIL_S))
        return backends[-1]
    return make


def heard_s(backend: FileAudioBackend) -> float:
    return backend.frames_delivered * FRAME_SECONDS


def conversations(window: MainWindow) -> int:
    with own_database(window) as db:
        return len(ConversationStore(db).list())


@pytest.mark.slow
def test_a_recording_is_written_into_the_box_as_it_is_said_and_not_sent(qtbot, longwit_home: Path,
                                                                         jfk: Path) -> None:
    window = open_test_window(qtbot, longwit_home)
    backends: list[FileAudioBackend] = []
    window.audio.backend_factory = recording(jfk, backends)
    type_into(window, "Quote:")
    dictated = Dictated(window)
    action = window.actions_by_name["Dictate"]
    assert action.shortcut() == QKeySequence("Ctrl+Shift+Space")
    action.trigger()
    qtbot.waitUntil(lambda: window.dictation.state == LISTENING, timeout=START_MS)
    composer = window.pane.composer
    assert composer.dictate.isChecked() and composer.dictate.text() == "Listening…"
    assert action.isChecked() and composer.level.isVisible()
    # The whole speech is heard (in real time), and its last stretch has had its pause.
    qtbot.waitUntil(lambda: heard_s(backends[0]) > JFK_SPEECH_S + 1.5 and bool(dictated.heard)
                    and not dictated.heard[-1][1], timeout=DONE_MS + 1000 * int(JFK_SPEECH_S))
    qtbot.keyClick(composer.box, Qt.Key.Key_Escape)  # the window's Esc: stops dictating
    qtbot.waitUntil(lambda: not window.dictation.active, timeout=DONE_MS)

    assert dictated.states == [STARTING, LISTENING, FINISHING, IDLE], dictated.failures
    text = composer.box.toPlainText()
    assert text.startswith("Quote: "), text  # what was typed stays, and the words follow it
    assert jiwer.wer(normalise(JFK_WORDS), normalise(text.removeprefix("Quote: "))) <= 0.25, text
    # Guesses came first, in the box as they were made, and were refined into the settled words.
    guesses = [guess for settled, guess in dictated.heard if guess]
    assert guesses and dictated.boxes[0].startswith("Quote: ") and len(dictated.boxes) > 2
    assert any(normalise(guess) not in normalise(text) for guess in guesses) or len(guesses) > 1
    assert max(dictated.levels) > 0.3 and dictated.levels[-1] == 0.0
    # Nothing was sent: no conversation, no answer; the button is ready for the next time.
    assert window.pane.conversation_id is None and conversations(window) == 0 and not window.chat.busy
    assert not composer.dictate.isChecked() and composer.dictate.text() == "Dictate"
    assert not action.isChecked() and not composer.level.isVisible()
    assert not dictated.failures and not window.banner.message()
    window.close()
    assert window.closed_cleanly


@pytest.mark.slow
def test_stopping_mid_sentence_keeps_what_was_said_so_far(qtbot, longwit_home: Path, jfk: Path) -> None:
    window = open_test_window(qtbot, longwit_home)
    backends: list[FileAudioBackend] = []
    window.audio.backend_factory = recording(jfk, backends)
    dictated = Dictated(window)
    before = set(threading.enumerate())
    composer = window.pane.composer
    qtbot.mouseClick(composer.dictate, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.dictation.state == LISTENING, timeout=START_MS)
    # "And so my fellow Americans, ask not" is said by 6 s; the sentence runs on to 11 s.
    qtbot.waitUntil(lambda: heard_s(backends[0]) > 6.0, timeout=DONE_MS)
    qtbot.mouseClick(composer.dictate, Qt.MouseButton.LeftButton)
    stopped_at = heard_s(backends[0])
    qtbot.waitUntil(lambda: not window.dictation.active, timeout=DONE_MS)

    text = normalise(composer.box.toPlainText())
    assert "fellow americans" in text, text
    assert "for your country" not in text  # said after the press
    assert dictated.heard[-1] == (composer.box.toPlainText(), "")
    # The microphone is closed at the press, even while Whisper is making a guess.
    assert heard_s(backends[0]) < stopped_at + 0.5
    left = [t.name for t in threading.enumerate() if t not in before and t.is_alive()]
    assert not left, left


def no_microphone() -> FileAudioBackend:
    raise NoAudioDevice("the system has no default microphone")


@pytest.mark.parametrize("factory", ["raises NoAudioDevice", "this machine's devices"])
def test_no_microphone_is_a_line_in_the_banner_and_the_button_goes_on_working(
    qtbot, longwit_home: Path, tmp_path: Path, factory: str
) -> None:
    window = open_test_window(qtbot, longwit_home)
    if factory == "raises NoAudioDevice":
        window.audio.backend_factory = no_microphone
    elif has_microphone():
        pytest.skip("this machine has a microphone: the real device would start dictating")
    type_into(window, "Typed before")
    dictated = Dictated(window)
    composer = window.pane.composer
    for _attempt in range(2):  # the button works again after the failure
        qtbot.mouseClick(composer.dictate, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: not window.dictation.active, timeout=START_MS)
    first, second = dictated.failures
    assert first == second and first.startswith("Dictation could not start. No usable audio device")
    assert "connect a microphone" in first and "--mic" not in first and "\n" not in first
    assert window.banner.kind == "error" and window.banner.message() == first
    assert composer.box.toPlainText() == "Typed before"
    assert not composer.dictate.isChecked() and composer.dictate.isEnabled()
    assert composer.dictate.text() == "Dictate"
    assert dictated.states == [STARTING, IDLE, STARTING, IDLE]
    # Once a microphone is there, the same button dictates.
    mic = tmp_path / "said.wav"
    soundfile.write(str(mic), np.zeros(SAMPLE_RATE, dtype=np.float32), SAMPLE_RATE)
    window.audio.backend_factory = lambda: FileAudioBackend(mic, tail_silence_s=TAIL_S)
    qtbot.mouseClick(composer.dictate, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.dictation.state == LISTENING, timeout=START_MS)
    window.actions_by_name["Dictate"].trigger()
    qtbot.waitUntil(lambda: not window.dictation.active, timeout=DONE_MS)
    assert composer.box.toPlainText() == "Typed before"  # silence wrote nothing


@pytest.mark.slow
def test_a_call_ends_dictation_and_dictation_waits_for_the_call_to_end(
    qtbot, longwit_home: Path, tmp_path: Path, jfk: Path
) -> None:
    quiet = tmp_path / "quiet.wav"
    soundfile.write(str(quiet), np.zeros(SAMPLE_RATE, dtype=np.float32), SAMPLE_RATE)
    window = open_test_window(qtbot, longwit_home)
    backends: list[FileAudioBackend] = []
    window.audio.backend_factory = recording(jfk, backends)
    composer = window.pane.composer
    window.actions_by_name["Dictate"].trigger()
    qtbot.waitUntil(lambda: bool(composer.box.toPlainText()), timeout=START_MS)
    # A call: dictation stops first, keeping its words, and the call opens the sound after it.
    clocks: list[int] = []
    window.audio.backend_factory = recording(quiet, backends, clocks)
    with qtbot.waitSignal(window.voice.call_started, timeout=START_MS):
        window.actions_by_name["Voice call"].trigger()
    assert not window.dictation.active and composer.box.toPlainText().strip()
    assert clocks == [0]  # the call opened its sound once dictation had closed the microphone
    assert len(backends) == 2 and not composer.dictate.isChecked()
    kept = composer.box.toPlainText()
    # During the call, dictation is refused with a line that says why and what to do.
    qtbot.mouseClick(composer.dictate, Qt.MouseButton.LeftButton)
    assert not window.dictation.active and not composer.dictate.isChecked() and len(backends) == 2
    assert window.banner.kind == "warning" and "hang up" in window.banner.message()
    assert composer.box.toPlainText() == kept
    with qtbot.waitSignal(window.voice.call_ended, timeout=30_000):
        window.actions_by_name["Voice call"].trigger()
    assert window.voice.state == STOPPED


@pytest.mark.slow
def test_closing_the_window_mid_dictation_leaves_no_thread(qtbot, longwit_home: Path, jfk: Path) -> None:
    window = open_test_window(qtbot, longwit_home)
    backends: list[FileAudioBackend] = []
    window.audio.backend_factory = recording(jfk, backends)
    before = set(threading.enumerate())
    window.actions_by_name["Dictate"].trigger()
    qtbot.waitUntil(lambda: bool(backends) and heard_s(backends[0]) > 3.0, timeout=START_MS)
    window.close()
    assert window.closed_cleanly
    left = [t.name for t in threading.enumerate() if t not in before and t.is_alive()]
    assert not left, left


@pytest.mark.slow
def test_a_microphone_that_goes_away_ends_dictation_with_a_line_and_keeps_the_words(
    qtbot, longwit_home: Path, jfk: Path
) -> None:
    window = open_test_window(qtbot, longwit_home)
    window.audio.backend_factory = lambda: UnpluggedAfterASecond(jfk, tail_silence_s=TAIL_S)
    type_into(window, "Typed before")
    dictated = Dictated(window)
    window.actions_by_name["Dictate"].trigger()
    qtbot.waitUntil(lambda: bool(dictated.failures), timeout=START_MS)
    qtbot.waitUntil(lambda: not window.dictation.active, timeout=DONE_MS)
    (failure,) = dictated.failures
    assert failure.startswith("Dictation stopped. The microphone or speaker went away")
    assert "the USB headset is gone" in failure and window.banner.message() == failure
    assert window.pane.composer.box.toPlainText().startswith("Typed before")
    assert not window.pane.composer.dictate.isChecked() and dictated.states[-1] == IDLE


def test_the_shortcuts_are_listed_and_none_is_bound_twice(qtbot, longwit_home: Path) -> None:
    """Two actions on one key make Qt fire neither: Ctrl+M, the obvious key for a microphone, is
    the model picker's."""
    from desktop.window.dialogs.shortcuts_dialog import ShortcutsDialog

    window = open_test_window(qtbot, longwit_home)
    keys = [action.shortcut().toString() for action in window.actions_by_name.values()
            if not action.shortcut().isEmpty()]
    assert len(keys) == len(set(keys)), keys
    window.show_shortcuts()
    (dialog,) = window.findChildren(ShortcutsDialog)
    rows = dict(dialog.rows())
    native = QKeySequence.SequenceFormat.NativeText
    assert rows["Dictate"] == QKeySequence("Ctrl+Shift+Space").toString(native)
    assert rows["Read the last answer aloud"] == QKeySequence("Ctrl+Shift+R").toString(native)
    assert rows["Stop dictating or reading aloud"] == QKeySequence("Esc").toString(native)
