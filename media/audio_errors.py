"""Errors from the audio backends, each a one-line message that says what is wrong and what to do; the
command line prints it as a line and the window shows it as a banner. Kept apart from `media.errors`,
whose exceptions are about documents and carry a document path."""

from __future__ import annotations

from pathlib import Path


class AudioError(Exception):
    """Base class: audio could not be captured, played or read."""


class AudioFileError(AudioError):
    """An audio file given as the microphone could not be used."""

    def __init__(self, path: Path, message: str) -> None:
        super().__init__(message)
        self.path = path


class AudioFileNotFound(AudioFileError):
    def __init__(self, path: Path) -> None:
        super().__init__(path, f"There is no audio file at {path}; check the path and try again.")


class AudioFileUnreadable(AudioFileError):
    def __init__(self, path: Path, reason: str) -> None:
        super().__init__(
            path,
            f"{path.name} could not be read as audio ({reason.rstrip('.')}); "
            "convert it to WAV or FLAC and try again.",
        )


class NoAudioDevice(AudioError):
    def __init__(self, reason: str) -> None:
        super().__init__(
            f"No usable audio device ({reason.rstrip('.')}); connect a microphone and speakers or a "
            "headset and try again, or use --mic FILE to talk through a recording."
        )


class AudioLibraryMissing(NoAudioDevice):
    def __init__(self, reason: str, fix: str = "on Debian or Ubuntu: apt-get install libportaudio2") -> None:
        AudioError.__init__(
            self,
            f"Sound devices cannot be used: {reason.rstrip('.')}; install it ({fix}), "
            "or use --mic FILE to talk through a recording.",
        )
