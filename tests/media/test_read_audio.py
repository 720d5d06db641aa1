"""Recordings are transcribed by the bundled tiny.en model into timed passages; silence is empty, a
broken file is damaged, a recording longer than the limit is refused before it is decoded."""

from __future__ import annotations

import re
import threading
from pathlib import Path

import av
import numpy as np
import pytest

from media.errors import DamagedDocument, DocumentTooLarge, EmptyDocument, ReadCancelled
from media.read_document import ReadLimits, read_document
from media.readers import audio


def test_jfk_is_transcribed_with_times_inside_the_recording(jfk_flac: Path) -> None:
    heard: list[tuple[float, str]] = []
    document = read_document(jfk_flac, progress=lambda fraction, what: heard.append((fraction, what)))
    assert document.kind == "audio" and document.title == "jfk"
    assert "ask not what your country" in document.text.lower()
    for passage in document.passages:
        start, end = passage.location.start_s, passage.location.end_s
        assert start is not None and end is not None and 0 <= start < end <= 12
    fractions = [fraction for fraction, _ in heard]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0
    assert any(what.startswith("transcribed 0:") for _, what in heard)


def test_windows_cut_in_quiet_places_keep_the_times_of_the_whole(
    jfk_flac: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Long recordings are transcribed a window at a time; here a window is 4 s of an 11 s file."""
    monkeypatch.setattr(audio, "WINDOW_SECONDS", 4)
    monkeypatch.setattr(audio, "CUT_SEARCH_SECONDS", 1)
    document = read_document(jfk_flac)
    words = re.sub(r"[^a-z ]", "", document.text.lower())
    assert "your country" in words and "fellow americans" in words
    starts = [passage.location.start_s for passage in document.passages]
    assert starts == sorted(starts) and max(p.location.end_s or 0 for p in document.passages) > 7


def test_segments_are_grouped_into_passages_of_about_thirty_seconds() -> None:
    segments = [(n * 10.0, n * 10.0 + 9.5, f"segment {n}") for n in range(7)]
    passages = audio.group_segments(iter(segments))
    assert [(p.location.start_s, p.location.end_s) for p in passages] == [(0, 29.5), (30, 59.5), (60, 69.5)]
    assert passages[0].text == "segment 0 segment 1 segment 2"


def test_silence_has_no_speech(silence_wav: Path) -> None:
    with pytest.raises(EmptyDocument, match="no speech"):
        read_document(silence_wav)


def test_broken_audio_is_damaged(tmp_path: Path, jfk_flac: Path) -> None:
    noise = tmp_path / "noise.mp3"
    noise.write_bytes(bytes(range(256)) * 100)
    with pytest.raises(DamagedDocument, match=r"noise\.mp3"):
        read_document(noise)
    cut = tmp_path / "cut.flac"
    cut.write_bytes(jfk_flac.read_bytes()[:60])
    with pytest.raises(DamagedDocument, match=r"cut\.flac"):
        read_document(cut)


def test_a_recording_longer_than_the_limit_is_refused(jfk_flac: Path) -> None:
    with pytest.raises(DocumentTooLarge, match="0:11, the limit is 0:05"):
        read_document(jfk_flac, ReadLimits(max_audio_seconds=5))


def test_a_cancel_during_transcription_stops_it(jfk_flac: Path) -> None:
    cancel = threading.Event()

    def progress(_fraction: float, what: str) -> None:
        if what.startswith("transcribed"):
            cancel.set()

    with pytest.raises(ReadCancelled):
        read_document(jfk_flac, progress=progress, cancel=cancel)


def test_a_video_without_a_sound_track_is_empty(tmp_path: Path) -> None:
    path = tmp_path / "silent-film.mp4"
    with av.open(str(path), "w") as container:
        stream = container.add_stream("mpeg4", rate=5)
        stream.width, stream.height, stream.pix_fmt = 64, 48, "yuv420p"
        for _ in range(5):
            frame = av.VideoFrame.from_ndarray(np.zeros((48, 64, 3), np.uint8), format="rgb24")
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    with pytest.raises(EmptyDocument, match="no sound track"):
        read_document(path)
