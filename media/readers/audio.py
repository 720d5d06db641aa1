"""Audio and video files transcribed with faster-whisper (the bundled tiny.en model, CPU int8, Silero
voice activity filter) into passages of about 30 seconds, each with its start and end time.

The sound is decoded with PyAV and transcribed ten minutes at a time, cut at the quietest moment
near each boundary: memory stays that of one window however long the recording (decoding four hours
at once would take about 1 GB, and its spectrogram half as much again)."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import TYPE_CHECKING

import av
import numpy as np

from media.document import DocumentText, Location, Passage, clock
from media.errors import RAISE_LIMIT, DamagedDocument, DocumentTooLarge, EmptyDocument, TranscriberUnavailable
from media.readers import ReadJob, clean_line, describe
from media.speech_to_text import whisper_model

if TYPE_CHECKING:
    from faster_whisper import WhisperModel

SAMPLE_RATE = 16_000
WINDOW_SECONDS = 600
CUT_SEARCH_SECONDS = 5  # the cut between windows is the quietest 100 ms of the window's last seconds
PASSAGE_SECONDS = 30
PASSAGE_CHARS = 600


def _duration(container: av.container.InputContainer, stream: av.AudioStream) -> float | None:
    if stream.duration is not None and stream.time_base is not None:
        return float(stream.duration * stream.time_base)
    if container.duration is not None:
        return container.duration / av.time_base
    return None


def _quiet_cut(audio: np.ndarray, end: int) -> int:
    """The sample index, at most `end`, in the middle of the quietest 100 ms before it."""
    hop = SAMPLE_RATE // 10
    start = max(0, end - CUT_SEARCH_SECONDS * SAMPLE_RATE)
    frames = audio[start : start + (end - start) // hop * hop].reshape(-1, hop)
    if len(frames) == 0:
        return end
    return start + int(np.argmin(np.square(frames).mean(axis=1))) * hop + hop // 2


def _frames(
    job: ReadJob, container: av.container.InputContainer, stream: av.AudioStream
) -> Iterator[av.AudioFrame]:
    """Decoded frames, skipping damaged ones as players do; a file with no good frame is damaged."""
    decoded = 0
    packets = container.demux(stream)
    while True:
        try:
            packet = next(packets)
            frames = packet.decode()
        except StopIteration:
            break
        except av.error.InvalidDataError:
            continue
        for frame in frames:
            decoded += 1
            frame.pts = None  # the resampler need not check timestamps
            yield frame
    if decoded == 0:
        raise DamagedDocument(job.path, "no sound could be decoded from it")


def sound_windows(
    job: ReadJob, container: av.container.InputContainer, stream: av.AudioStream
) -> Iterator[tuple[float, np.ndarray]]:
    """(start in seconds, 16 kHz mono float32 samples) for each window of the recording."""
    resampler = av.AudioResampler(format="flt", layout="mono", rate=SAMPLE_RATE)
    window = WINDOW_SECONDS * SAMPLE_RATE
    limit = job.limits.max_audio_seconds * SAMPLE_RATE
    buffered: list[np.ndarray] = []
    size = offset = 0
    for frame in itertools.chain(_frames(job, container, stream), [None]):  # None flushes the resampler
        for chunk in resampler.resample(frame):
            samples = chunk.to_ndarray().reshape(-1)
            buffered.append(samples)
            size += len(samples)
        if offset + size > limit:
            raise DocumentTooLarge(job.path, f"it lasts more than {clock(job.limits.max_audio_seconds)}",
                                   f"cut it into shorter recordings, {RAISE_LIMIT}")
        if size >= window:
            audio = np.concatenate(buffered)
            cut = _quiet_cut(audio, window)
            yield offset / SAMPLE_RATE, audio[:cut]
            offset += cut
            buffered, size = [audio[cut:]], len(audio) - cut
    if size:
        yield offset / SAMPLE_RATE, np.concatenate(buffered)


def _transcribe(
    job: ReadJob, container: av.container.InputContainer, stream: av.AudioStream, duration: float | None
) -> Iterator[tuple[float, float, str]]:
    """(start, end, text) for each segment heard, with times in the whole recording."""
    model = _load_model(job)

    def report(seconds: float) -> None:
        if duration:
            job.report(seconds / duration, f"transcribed {clock(seconds)} of {clock(duration)}")
        else:
            job.report(0.0, f"transcribed {clock(seconds)}")

    for offset, audio in sound_windows(job, container, stream):
        job.check_cancel()
        segments, _info = model.transcribe(audio, language="en", vad_filter=True)
        for segment in segments:  # a lazy generator: each step decodes the next 30 s
            report(offset + segment.end)
            yield offset + segment.start, offset + segment.end, clean_line(segment.text)
        report(offset + len(audio) / SAMPLE_RATE)  # a window without speech still moves the bar


def _load_model(job: ReadJob) -> WhisperModel:
    try:
        return whisper_model()
    except (ImportError, OSError, RuntimeError, ValueError) as error:
        raise TranscriberUnavailable(job.path, describe(error)) from error


def group_segments(segments: Iterator[tuple[float, float, str]]) -> list[Passage]:
    """Consecutive segments joined into passages of about PASSAGE_SECONDS or PASSAGE_CHARS."""
    passages: list[Passage] = []
    texts: list[str] = []
    start = end = 0.0
    for seg_start, seg_end, text in segments:
        if not text:
            continue
        if texts and (seg_end - start > PASSAGE_SECONDS or sum(map(len, texts)) + len(text) > PASSAGE_CHARS):
            passages.append(Passage(" ".join(texts), Location(start_s=round(start, 2), end_s=round(end, 2))))
            texts = []
        if not texts:
            start = seg_start
        texts.append(text)
        end = seg_end
    if texts:
        passages.append(Passage(" ".join(texts), Location(start_s=round(start, 2), end_s=round(end, 2))))
    return passages


def _open(job: ReadJob) -> av.container.InputContainer:
    try:
        return av.open(str(job.path), metadata_errors="ignore")
    except (av.FFmpegError, OSError, ValueError) as error:
        raise DamagedDocument(
            job.path, f"it cannot be decoded as audio or video: {describe(error)}"
        ) from error


def _title(container: av.container.InputContainer) -> str | None:
    for key, value in container.metadata.items():
        if key.lower() == "title" and clean_line(value):
            return clean_line(value)
    return None


def read_audio(job: ReadJob) -> DocumentText:
    with _open(job) as container:
        if not container.streams.audio:
            raise EmptyDocument(job.path, "it has no sound track")
        stream = container.streams.audio[0]
        duration = _duration(container, stream)
        if duration is not None and duration > job.limits.max_audio_seconds:
            raise DocumentTooLarge(
                job.path, f"it lasts {clock(duration)}, the limit is {clock(job.limits.max_audio_seconds)}",
                f"cut it into shorter recordings, {RAISE_LIMIT}",
            )
        try:
            passages = group_segments(_transcribe(job, container, stream, duration))
        except av.FFmpegError as error:
            raise DamagedDocument(job.path, f"its sound cannot be decoded: {describe(error)}") from error
        title = _title(container)
    if not passages:
        raise EmptyDocument(job.path, "no speech was heard in it")
    return DocumentText(title=title or job.path.stem, kind="audio", passages=passages)
