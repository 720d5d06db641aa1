"""What the window's three uses of sound share: a voice call, dictation into the message box and
reading an answer aloud. One way to open the sound (`backend_factory`: the system's devices, or a
file-backed backend where a test or benchmark sets one), one speech recognizer and one voice (Piper
loads a voice per TextToSpeech: two copies would cost the memory and the start twice), and one of
the three holding the sound at a time: a second stream on a microphone fails on some systems, and
a call would hear an answer being read aloud as the person speaking.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import QObject, SignalInstance

from desktop.diagnostics.error_report import report_error
from desktop.window.app_settings import AppSettings
from media.audio_backend import AudioBackend
from media.audio_errors import AudioError
from media.speech_to_text import SpeechOptions, SpeechToText
from media.text_to_speech import TextToSpeech, VoiceOptions

CALL, DICTATION, READING = "call", "dictation", "reading"
# The audio errors are worded for the command line as well; the window has no --mic option.
CLI_HINT = ", or use --mic FILE to talk through a recording"

BackendFactory = Callable[[], AudioBackend]


def device_backend(use: str = CALL) -> AudioBackend:
    """The system's sound for `use`: microphone and speaker for a call, the microphone alone for
    dictation, the speaker alone for reading aloud; NoAudioDevice where the one needed is missing."""
    from media.device_audio import DeviceAudioBackend, DeviceOptions

    return DeviceAudioBackend(DeviceOptions(microphone=use != READING, speaker=use != DICTATION))


def start_error_message(error: BaseException, what: str = "Voice mode",
                        doing: str = "starting a voice call") -> str:
    """The banner's words for sound that could not start; the error goes to the log."""
    message = report_error(error, doing)
    if isinstance(error, AudioError):
        return f"{what} could not start. {message.replace(CLI_HINT, '')}"
    return f"{what} could not start: {message}"


@dataclass
class _User:
    active: Callable[[], bool]
    let_go: Callable[[], None]


class SharedAudio(QObject):
    """Made and used on the GUI thread, except `open` and `speech_models`, which the controllers
    call on their own threads."""

    def __init__(self, backend_factory: BackendFactory | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.backend_factory = backend_factory
        """None: the system's devices, opened for each use as it needs them."""
        self._users: dict[str, _User] = {}
        self._waiting: tuple[str, Callable[[], None]] | None = None
        self._speech: tuple[SpeechOptions, VoiceOptions, SpeechToText, TextToSpeech] | None = None
        self._speech_lock = threading.Lock()

    def open(self, use: str) -> AudioBackend:
        """The sound for `use` (CALL, DICTATION or READING), opened now (any thread)."""
        factory = self.backend_factory
        return factory() if factory is not None else device_backend(use)

    def speech_models(self, settings: AppSettings) -> tuple[SpeechToText, TextToSpeech]:
        """Kept from use to use while the settings stay the same: loading them is most of a start."""
        speech, voice = settings.speech_options(), settings.voice_options()
        with self._speech_lock:
            if self._speech is None or self._speech[:2] != (speech, voice):
                self._speech = (speech, voice, SpeechToText(speech), TextToSpeech(voice))
            return self._speech[2], self._speech[3]

    # One at a time --------------------------------------------------------------------------------

    def join(self, use: str, active: Callable[[], bool], let_go: Callable[[], None],
             released: SignalInstance) -> None:
        """`use` holds the sound while `active()`; `let_go()` asks it to stop, and `released` fires
        once it has closed its audio."""
        self._users[use] = _User(active, let_go)
        released.connect(lambda *_args: self._released())

    def holder(self) -> str | None:
        """Which use holds the sound now, if any."""
        return next((use for use, user in self._users.items() if user.active()), None)

    def take(self, use: str, then: Callable[[], None]) -> None:
        """Run `then` once no other use holds the sound: those that do are asked to let go (a
        reading stops, dictation keeps what it heard), and `then` runs when the last has closed its
        audio. A later request replaces one still waiting."""
        self._waiting = (use, then)
        for name, user in self._users.items():
            if name != use and user.active():
                user.let_go()
        self._released()

    def _released(self) -> None:
        if self._waiting is None:
            return
        use, then = self._waiting
        if any(user.active() for name, user in self._users.items() if name != use):
            return
        self._waiting = None
        then()

    def forget_waiting(self) -> None:
        """Drop a request still waiting (the window is closing)."""
        self._waiting = None
