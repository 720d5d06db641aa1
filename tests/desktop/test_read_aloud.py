"""Reading an answer aloud in the real window, with the real Piper voice, on the file-backed audio in
real time: only its prose is handed to Piper (no code, no citation marks) and that is what the
speaker file says, transcribed back with tiny.en; a second press or Esc silences it from the next
frame; reading and dictation stop each other, a call stops a reading, and no speaker is a line in
the banner."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import jiwer
import numpy as np
import pytest
import soundfile
from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence

from desktop.window.controllers.dictation_controller import LISTENING
from desktop.window.controllers.read_aloud_controller import NOTHING_TO_READ
from desktop.window.main_window import MainWindow
from media.audio_backend import FRAME_SAMPLES, SAMPLE_RATE
from media.audio_errors import NoAudioDevice
from media.file_audio import FileAudioBackend
from media.speech_to_text import SpeechToText
from storage import ConversationStore
from tests.desktop.test_dictation import JFK, recording
from tests.desktop.test_voice_mode import normalise
from tests.desktop.window_helpers import click_link, link_hrefs, open_test_window, own_database

ANSWER = """The lighthouse on Velmora was built in 1874 [1]. Its first keeper was Ada Finch [2, 3].

```python
print("paraffin ledger")
```

She kept the lamp burning for forty years (see [4])."""
PROSE = ("The lighthouse on Velmora was built in 1874. Its first keeper was Ada Finch. "
         "She kept the lamp burning for forty years.")
LONG_ANSWER = " ".join(f"Paragraph {n} tells how the keeper climbed the tower stairs at dusk, trimmed "
                       "the wick and wound the clockwork, while the storm beat on the glass."
                       for n in range(1, 9))
READ_MS = 60_000
TAIL_S = 120.0


def stored_answer(window: MainWindow, answer: str) -> int:
    """A conversation with one question and `answer`, stored and opened; the answer's message id."""
    with own_database(window) as db:
        store = ConversationStore(db)
        conversation_id = store.create()
        store.add_message(conversation_id, "user", "Tell me about the lighthouse.")
        message_id = store.add_message(conversation_id, "assistant", answer)
    window.open_conversation(conversation_id)
    return message_id


def speaker(tmp_path: Path, backends: list[FileAudioBackend], gaps: bool = True):
    """A backend factory: a quiet microphone and a speaker written to tmp_path/speaker-N.wav (with
    `gaps`, its timeline; without, the audio played and nothing else)."""
    quiet = tmp_path / "quiet.wav"
    soundfile.write(str(quiet), np.zeros(FRAME_SAMPLES, dtype=np.float32), SAMPLE_RATE)

    def make() -> FileAudioBackend:
        backends.append(FileAudioBackend(quiet, tmp_path / f"speaker-{len(backends)}.wav",
                                         tail_silence_s=TAIL_S, speaker_gaps=gaps))
        return backends[-1]
    return make


def shown(qtbot, window: MainWindow, message_id: int) -> None:
    qtbot.waitUntil(lambda: any(m.message_id == message_id for m in window.pane.view.messages),
                    timeout=10_000)


def reading_window(qtbot, longwit_home: Path, tmp_path: Path, answer: str,
                   gaps: bool = True) -> tuple[MainWindow, list[FileAudioBackend], int]:
    """The window on the file backend (speaker written under tmp_path), showing a stored answer."""
    window = open_test_window(qtbot, longwit_home)
    backends: list[FileAudioBackend] = []
    window.audio.backend_factory = speaker(tmp_path, backends, gaps)
    message_id = stored_answer(window, answer)
    shown(qtbot, window, message_id)
    return window, backends, message_id


@pytest.mark.slow
def test_the_last_answer_is_read_aloud_without_its_code_or_citation_marks(
    qtbot, longwit_home: Path, tmp_path: Path
) -> None:
    # The speaker file without its silences: how long Piper took to make each sentence on a busy
    # machine changes the silence around them, and with it tiny.en's transcript of the same speech.
    window, backends, message_id = reading_window(qtbot, longwit_home, tmp_path, ANSWER, gaps=False)
    action = window.actions_by_name["Read the last answer aloud"]
    assert action.shortcut() == QKeySequence("Ctrl+Shift+R")
    with qtbot.waitSignal(window.reading.started, timeout=5000) as started:
        action.trigger()
    assert started.args == [message_id] and action.isChecked()
    assert window.speech.indicator.isVisible()
    with qtbot.waitSignal(window.reading.stopped, timeout=READ_MS) as stopped:
        pass
    assert stopped.args == [message_id]
    assert window.reading.spoken == PROSE  # what was handed to Piper
    assert not action.isChecked() and not window.speech.indicator.isVisible()
    (backend,) = backends
    assert backend.playback_position() > 4 * SAMPLE_RATE  # several seconds of speech were played
    played, _ = soundfile.read(str(tmp_path / "speaker-0.wav"), dtype="float32")
    assert len(played) == backend.playback_position()  # all that was played, and nothing else
    heard = normalise(SpeechToText().transcribe(played).text)
    assert jiwer.wer(normalise(PROSE), heard) <= 0.35, heard
    assert "paraffin" not in heard and "ledger" not in heard and "print" not in heard
    assert not window.banner.message()
    window.close()
    assert window.closed_cleanly


def stop_and_check_silence(qtbot, window: MainWindow, backend: FileAudioBackend, written: Path,
                           stop) -> float:
    """Stop once speech is playing; the speaker (its file `written`) must take nothing more. Returns
    the seconds from the stop to the reading's end (its speaker closed)."""
    qtbot.waitUntil(lambda: backend.playback_position() > SAMPLE_RATE // 2, timeout=READ_MS)
    at_stop: list[int] = []

    def stop_now() -> None:
        at_stop[:] = [backend.frames_delivered, backend.playback_position()]
        stop()

    began = time.monotonic()
    with qtbot.waitSignal(window.reading.stopped, timeout=5000):
        stop_now()
    ended = time.monotonic() - began
    ticks, played = at_stop
    assert backend.playback_position() - played <= FRAME_SAMPLES  # at most the frame under way
    assert not backend.is_playing()
    audio, _ = soundfile.read(str(written), dtype="float32")
    assert np.abs(audio[: ticks * FRAME_SAMPLES]).max() > 0.05  # it was speaking
    assert not np.abs(audio[(ticks + 2) * FRAME_SAMPLES:]).any()  # and is silent from the stop
    return ended


@pytest.mark.slow
def test_a_second_press_or_esc_stops_the_reading_at_once(qtbot, longwit_home: Path,
                                                         tmp_path: Path) -> None:
    window, backends, message_id = reading_window(qtbot, longwit_home, tmp_path, LONG_ANSWER)
    window.read_aloud(message_id)
    qtbot.waitUntil(lambda: len(backends) == 1, timeout=5000)  # opened on the reading's thread
    took = stop_and_check_silence(qtbot, window, backends[0], tmp_path / "speaker-0.wav",
                                  lambda: window.read_aloud(message_id))
    assert took < 1.0 and not window.reading.active
    window.read_aloud(message_id)  # pressed again: reads from the start
    qtbot.waitUntil(lambda: len(backends) == 2, timeout=5000)
    took = stop_and_check_silence(qtbot, window, backends[1], tmp_path / "speaker-1.wav",
                                  lambda: qtbot.keyClick(window.pane.composer.box, Qt.Key.Key_Escape))
    assert took < 1.0 and not window.reading.active and not window.speech.indicator.isVisible()
    assert not window.chat.busy and not window.banner.message()


@pytest.mark.slow
def test_reading_and_dictation_stop_each_other_and_a_call_stops_both(
    qtbot, longwit_home: Path, tmp_path: Path
) -> None:
    if not JFK.exists():
        pytest.skip(f"the speech sample {JFK} is not there")
    window, backends, message_id = reading_window(qtbot, longwit_home, tmp_path, LONG_ANSWER)
    window.read_aloud(message_id)
    qtbot.waitUntil(lambda: bool(backends) and backends[0].playback_position() > 0, timeout=READ_MS)
    # Dictation stops the reading, and opens the microphone once the speaker is closed.
    window.audio.backend_factory = recording(JFK, backends)
    with qtbot.waitSignal(window.reading.stopped, timeout=5000):
        window.actions_by_name["Dictate"].trigger()
    qtbot.waitUntil(lambda: window.dictation.state == LISTENING, timeout=READ_MS)
    assert not window.reading.active and not backends[0].is_playing()
    qtbot.waitUntil(lambda: bool(window.pane.composer.box.toPlainText()), timeout=READ_MS)
    # Reading stops the dictation (its words stay in the box) and speaks once it has ended.
    window.audio.backend_factory = speaker(tmp_path, backends)
    with qtbot.waitSignal(window.reading.started, timeout=READ_MS):
        window.read_aloud(message_id)
    assert not window.dictation.active and window.pane.composer.box.toPlainText().strip()
    assert not window.pane.composer.dictate.isChecked()
    # A call stops the reading; during the call, reading is refused with a line that says why.
    with qtbot.waitSignal(window.voice.call_started, timeout=READ_MS):
        window.actions_by_name["Voice call"].trigger()
    assert not window.reading.active
    opened = len(backends)
    window.read_aloud(message_id)
    assert not window.reading.active and len(backends) == opened
    assert window.banner.kind == "warning" and "hang up" in window.banner.message()
    with qtbot.waitSignal(window.voice.call_ended, timeout=30_000):
        window.actions_by_name["Voice call"].trigger()


def no_speaker() -> FileAudioBackend:
    raise NoAudioDevice("the system has no default speaker")


def test_no_speaker_or_nothing_to_read_is_a_line_in_the_banner(qtbot, longwit_home: Path) -> None:
    window = open_test_window(qtbot, longwit_home)
    window.audio.backend_factory = no_speaker
    message_id = stored_answer(window, ANSWER)
    shown(qtbot, window, message_id)
    with qtbot.waitSignal(window.reading.stopped, timeout=10_000):
        window.read_aloud(message_id)
    message = window.banner.message()
    assert message.startswith("Reading aloud could not start. No usable audio device")
    assert "--mic" not in message and "\n" not in message
    assert window.banner.kind == "error" and not window.speech.indicator.isVisible()
    assert not window.actions_by_name["Read the last answer aloud"].isChecked()
    code_only = stored_answer(window, "```\nrm -rf build\n```")
    shown(qtbot, window, code_only)
    window.read_aloud(code_only)
    assert window.banner.message() == NOTHING_TO_READ and not window.reading.active
    window.read_aloud(10_000)  # an answer not shown (another conversation's)
    assert "not shown" in window.banner.message() and not window.reading.active


@pytest.mark.slow
def test_closing_the_window_mid_reading_leaves_no_thread(qtbot, longwit_home: Path,
                                                         tmp_path: Path) -> None:
    window, backends, message_id = reading_window(qtbot, longwit_home, tmp_path, LONG_ANSWER)
    before = set(threading.enumerate())
    window.read_aloud(message_id)
    qtbot.waitUntil(lambda: bool(backends) and backends[0].playback_position() > 0, timeout=READ_MS)
    window.close()
    assert window.closed_cleanly
    left = [t.name for t in threading.enumerate() if t not in before and t.is_alive()]
    assert not left, left


def test_the_read_aloud_link_under_an_answer_reads_it_and_a_second_click_stops(
        qtbot, longwit_home: Path, tmp_path: Path) -> None:
    """The per-message action goes through the same reading as Ctrl+Shift+R."""
    window, _backends, message_id = reading_window(qtbot, longwit_home, tmp_path, LONG_ANSWER)
    qtbot.waitUntil(lambda: f"message:read:{message_id}" in link_hrefs(window.pane.view),
                    timeout=10_000)
    with qtbot.waitSignal(window.reading.started, timeout=READ_MS):
        click_link(qtbot, window.pane.view, f"message:read:{message_id}")
    assert window.reading.message_id == message_id
    with qtbot.waitSignal(window.reading.stopped, timeout=READ_MS):
        click_link(qtbot, window.pane.view, f"message:read:{message_id}")
    assert not window.reading.active

