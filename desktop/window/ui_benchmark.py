"""`longwit bench ui`: the real window driven through its heavy moments, with the event loop's stalls
measured in each (desktop/window/stall_meter.py): the model loading, an answer streaming, a large document
read and pre-filled, and on the file backend a voice turn, a dictated sentence and an answer read
aloud; plus an idle stretch as the baseline of what the timer alone shows on this machine, and the
time from start to a usable window.

It runs in a temporary Longwit home, so it never touches the person's conversations.
"""

from __future__ import annotations

import os
import random
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import QEventLoop, QSettings, QTimer, SignalInstance

from desktop.window.app_settings import AppSettings
from desktop.window.stall_meter import StallMeter, StallStats
from engine.filler_text import sentences

STALL_LIMIT_MS = 50.0


@dataclass(frozen=True)
class UiBenchmarkOptions:
    model: str | None = None
    n_ctx: int = 4096
    answer_tokens: int = 160
    document_chars: int = 600_000  # about 130K tokens: passage mode, and a long read
    idle_s: float = 2.0
    voice: bool = True  # the voice turn, dictation and reading aloud
    read_aloud_s: float = 6.0  # how long the answer is read before Esc stops it
    timeout_s: float = 600.0


class BenchmarkTimeout(RuntimeError):
    pass


def wait_for(signal: SignalInstance, timeout_s: float, what: str) -> tuple:
    """Run the event loop until `signal` fires (returning its arguments) or the time is up."""
    loop = QEventLoop()
    got: list[tuple] = []

    def fired(*args: object) -> None:
        got.append(args)
        loop.quit()

    signal.connect(fired)
    QTimer.singleShot(int(timeout_s * 1000), loop.quit)
    try:
        loop.exec()
    finally:
        signal.disconnect(fired)
    if not got:
        raise BenchmarkTimeout(f"{what} did not finish within {timeout_s:.0f} s")
    return got[0]


def spin(seconds: float) -> None:
    loop = QEventLoop()
    QTimer.singleShot(int(seconds * 1000), loop.quit)
    loop.exec()


def write_document(folder: Path, chars: int) -> Path:
    """A long plain-text document of varied sentences, in paragraphs, the same on every run."""
    rng, source = random.Random(7), sentences(random.Random(7))
    paragraphs, size = [], 0
    while size < chars:
        paragraph = " ".join(next(source) for _ in range(rng.randint(3, 8)))
        paragraphs.append(paragraph)
        size += len(paragraph) + 2
    path = folder / "long-document.txt"
    path.write_text("\n\n".join(paragraphs), encoding="utf-8")
    return path


def measured(meter: StallMeter, phase: str, action: Callable[[], Any]) -> tuple[StallStats, Any]:
    meter.start()
    result = action()
    return meter.stop(phase), result


DICTATED = "Summarize the keeper's letters in three sentences, and list the ships they name."


def spoken_question(folder: Path, text: str = "What is the tallest mountain in the world?",
                    name: str = "question") -> Path:
    """`text` spoken by the bundled Piper voice, then silence, as the file backend's microphone."""
    import numpy as np
    import soundfile

    from media.audio_backend import SAMPLE_RATE
    from media.text_to_speech import TextToSpeech

    speech = TextToSpeech().synthesize(text)
    quiet = np.zeros(SAMPLE_RATE, dtype=np.float32)
    path = folder / f"{name}.wav"
    soundfile.write(str(path), np.concatenate([quiet, speech, quiet]), SAMPLE_RATE)
    return path


def voice_turn(window, mic: Path, folder: Path, timeout_s: float) -> None:
    """One spoken turn through the window's voice mode on the file backend: call, question, answer
    played to its end, hang up."""
    from desktop.window.controllers.voice_controller import STOPPED
    from media.file_audio import FileAudioBackend

    window.voice.backend_factory = lambda: FileAudioBackend(mic, folder / "reply.wav",
                                                            tail_silence_s=timeout_s)
    window.toggle_voice_call()
    wait_for(window.voice.answer_ended, timeout_s, "The voice turn")
    window.toggle_voice_call()
    while window.voice.state != STOPPED:
        wait_for(window.voice.state_changed, timeout_s, "Hanging up")


def dictation(window, mic: Path, timeout_s: float) -> None:
    """A sentence dictated into the message box on the file backend until its words have settled
    (the pause after it came), then stopped, and the box emptied."""
    from media.file_audio import FileAudioBackend

    window.audio.backend_factory = lambda: FileAudioBackend(mic, tail_silence_s=timeout_s)
    window.speech.toggle_dictation()
    settled, guess = "", ""
    while not settled or guess:
        settled, guess = wait_for(window.dictation.heard, timeout_s, "Dictation")
    window.speech.toggle_dictation()
    while window.dictation.active:
        wait_for(window.dictation.stopped, timeout_s, "Stopping dictation")
    window.pane.composer.box.clear()


def readable_answer(window, with_code: bool = False) -> int:
    """A shown answer that has words to read aloud (a small model's answer may be all code): the
    last, or the first with a code block beside its words when `with_code` and there is one."""
    from media.speakable import speakable

    answers = [m for m in window.pane.view.messages if m.role == "assistant" and m.message_id
               and any(c.isalpha() for c in speakable(m.text, code=""))]
    if not answers:
        raise BenchmarkTimeout("no answer shown has words to read aloud")
    chosen = next((m for m in answers if "```" in m.text), answers[-1]) if with_code else answers[-1]
    return chosen.message_id


def read_aloud(window, folder: Path, seconds: float, timeout_s: float) -> None:
    """An answer read aloud on the file backend for `seconds`, then stopped as Esc does."""
    import numpy as np
    import soundfile

    from media.audio_backend import FRAME_SAMPLES, SAMPLE_RATE
    from media.file_audio import FileAudioBackend

    quiet = folder / "quiet.wav"  # the microphone is not used; the speaker is written to read.wav
    soundfile.write(str(quiet), np.zeros(FRAME_SAMPLES, dtype=np.float32), SAMPLE_RATE)
    window.audio.backend_factory = lambda: FileAudioBackend(quiet, folder / "read.wav",
                                                            tail_silence_s=timeout_s)
    window.read_aloud(readable_answer(window))
    if window.reading.message_id is None:  # it starts at once unless the sound is being let go
        wait_for(window.reading.started, timeout_s, "Reading aloud")
    spin(seconds)
    window.stop()
    while window.reading.active:
        wait_for(window.reading.stopped, timeout_s, "Stopping the reading")


def run_ui_benchmark(options: UiBenchmarkOptions, progress: Callable[[str], None]) -> dict[str, Any]:
    """The phases in order, in one window."""
    with tempfile.TemporaryDirectory(prefix="longwit-bench-ui-") as scratch:
        folder = Path(scratch)
        os.environ["LONGWIT_HOME"] = str(folder / "home")
        started = time.perf_counter()
        from desktop.window.app import application  # after LONGWIT_HOME: nothing opens the user's data
        from desktop.window.main_window import MainWindow, start_when_shown
        from desktop.window.theme import apply_theme
        from storage import database_path, longwit_home

        app = application()
        meter = StallMeter(app)
        settings = AppSettings(model=options.model, n_ctx=options.n_ctx,
                               max_tokens=options.answer_tokens, temperature=0.7)
        apply_theme(app, settings.theme)  # as `longwit app` does: the style sheet's cost is measured too
        qsettings = QSettings(str(folder / "settings.ini"), QSettings.Format.IniFormat)
        window = MainWindow(settings, qsettings, database_path(), longwit_home())
        window.show()
        app.processEvents()
        shown_s = time.perf_counter() - started
        phases: list[StallStats] = []
        progress("Loading the model behind the window…")
        meter.start()
        start_when_shown(window)
        wait_for(window.chat.model_loaded, options.timeout_s, "Loading the model")
        ready_s = time.perf_counter() - started
        phases.append(meter.stop("model load"))
        try:
            phases += drive(window, meter, options, folder, progress)
        finally:
            window.close()
        app.processEvents()
    return {
        "window_shown_s": round(shown_s, 3),
        "usable_s": round(ready_s, 3),
        "phases": [p.as_json() for p in phases],
        "longest_stall_ms": round(max(p.longest_ms for p in phases if p.phase != "idle"), 1),
        "stall_limit_ms": STALL_LIMIT_MS,
        "met": all(p.longest_ms <= STALL_LIMIT_MS for p in phases if p.phase != "idle"),
        "options": {k: v for k, v in options.__dict__.items()},
    }


def drive(window, meter: StallMeter, options: UiBenchmarkOptions, folder: Path,
          progress: Callable[[str], None]) -> list[StallStats]:
    phases = []
    progress(f"Idle for {options.idle_s:.0f} s (the timer's own jitter)…")
    phases.append(measured(meter, "idle", lambda: spin(options.idle_s))[0])

    progress(f"Streaming an answer of up to {options.answer_tokens} tokens…")
    def answer() -> None:
        window.pane.send("Tell me a long story about a lighthouse keeper and a storm.")
        wait_for(window.chat.reply_done, options.timeout_s, "The answer")
    phases.append(measured(meter, "generation", answer)[0])

    document = write_document(folder, options.document_chars)
    progress(f"Reading and pre-filling a {document.stat().st_size / 1e6:.1f} MB document…")
    def ingest() -> None:
        window.drop_paths([document])
        wait_for(window.documents.finished, options.timeout_s, "Reading the document")
        wait_for(window.chat.prefilled, options.timeout_s, "Pre-filling the document")
    phases.append(measured(meter, "ingestion", ingest)[0])

    if options.voice:
        progress("One voice turn on the file backend…")
        mic = spoken_question(folder)  # the script's own synthesis is not the window's work
        phases.append(measured(meter, "voice", lambda: voice_turn(window, mic, folder,
                                                                  options.timeout_s))[0])
        progress("A sentence dictated into the message box…")
        said = spoken_question(folder, DICTATED, "dictated")
        phases.append(measured(meter, "dictation", lambda: dictation(window, said,
                                                                     options.timeout_s))[0])
        progress(f"The last answer read aloud for {options.read_aloud_s:.0f} s, then stopped…")
        phases.append(measured(meter, "read-aloud", lambda: read_aloud(
            window, folder, options.read_aloud_s, options.timeout_s))[0])
    return phases
