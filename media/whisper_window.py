"""One utterance through Whisper in one encoder window sized to it, instead of the 30 s window that
faster-whisper's `transcribe` always pads to.

The encoder's cost grows with its window, not with the speech: on this 2-core CPU tiny.en spends
0.38 s encoding 30 s for a 2 s question, and `transcribe(word_timestamps=True)` encodes twice (after
the words are aligned it seeks to the last word and runs a second full window over the silence
left). CTranslate2 accepts a shorter window, as whisper.cpp's `audio_ctx` does; a 10 s window encodes
in about 0.05 s, a 15 s one in about 0.1 s. Short windows make Whisper repeat or mishear a word or
two ("Stop. Stop. Stop…", "dot."): over 45 one-word Piper replies a 10 s window got 4 wrong and a
15 s window 2. So an utterance under 1.5 s gets at least a 15 s window, a longer one at least 10 s,
each with MARGIN_FRAMES of padding after the speech, and a transcript that goes round (faster-whisper's
compression-ratio test, or one sentence said over and over) is decoded again in the full window.
Measured with Piper and two espeak-ng voices: on 68 questions of 2-5 s, word error 0.082 against
0.087 with a 15 s floor, at 0.13 s a call against 0.19 s; on 50 replies of 0.6-2 s, 0.02-0.04
(`tests/media/test_speech.py` keeps both honest against faster-whisper's own transcription).

This uses faster-whisper's own parts (feature extractor, tokenizer, prompt, the CTranslate2 model,
its word alignment), so text and word timings come out as its `transcribe` gives them. Audio longer
than one window takes (MAX_WINDOW_SAMPLES, 28 s) is the caller's to cut: media/speech_to_text.py
cuts a monologue at its quiet moments."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from faster_whisper import WhisperModel

FULL_WINDOW_FRAMES = 3000  # Whisper's 30 s of 10 ms feature frames
MIN_WINDOW_FRAMES = 1000  # the shortest window for a sentence or more
SHORT_UTTERANCE_FRAMES = 150  # below 1.5 s (a word or two) the window is at least SHORT_WINDOW_FRAMES
SHORT_WINDOW_FRAMES = 1500  # shorter windows make Whisper repeat or mishear short words
MARGIN_FRAMES = 200  # padding after the speech
HOP_SAMPLES = 160  # one feature frame: 10 ms at 16 kHz
# The longest audio one window takes with its margin (n samples make n // HOP_SAMPLES + 1 frames).
MAX_WINDOW_SAMPLES = (FULL_WINDOW_FRAMES - MARGIN_FRAMES) * HOP_SAMPLES - 1
MAX_NEW_TOKENS_PER_S = 12  # fast speech is ~4 tokens/s; more means the decoder is looping
COMPRESSION_RATIO_LIMIT = 2.4  # faster-whisper's own sign of a looping decoder: retry in the full window
# faster-whisper's defaults for merging punctuation into the word it belongs to
PREPEND_PUNCTUATIONS = "\"'“¿([{-"
APPEND_PUNCTUATIONS = "\"'.。,，!！?？:：”)]}、"


@dataclass(frozen=True)
class WindowWord:
    text: str
    start: float
    end: float
    probability: float


@dataclass(frozen=True)
class Decoded:
    """What Whisper made of one stretch of audio, with what it thinks of its own confidence."""

    text: str
    words: list[WindowWord]
    language: str
    no_speech_prob: float
    avg_logprob: float


def window_frames(content_frames: int) -> int:
    """The encoder window for an utterance of `content_frames`."""
    shortest = SHORT_WINDOW_FRAMES if content_frames < SHORT_UTTERANCE_FRAMES else MIN_WINDOW_FRAMES
    return max(content_frames + MARGIN_FRAMES, shortest)


def transcribe_window(model: WhisperModel, audio: np.ndarray, language: str | None,
                      beam_size: int = 1) -> Decoded:
    """Greedy (or beam) decoding of `audio` (16 kHz mono float32, at most MAX_WINDOW_SAMPLES) in one
    window sized to it, with word timings in seconds from the start of `audio`."""
    if len(audio) > MAX_WINDOW_SAMPLES:
        raise ValueError(f"{len(audio)} samples do not fit one Whisper window; cut them first")
    features = model.feature_extractor(audio)
    frames = window_frames(features.shape[-1])
    decoded = _decode(model, features, frames, language, beam_size)
    if frames < FULL_WINDOW_FRAMES and looping(decoded.text):
        decoded = _decode(model, features, FULL_WINDOW_FRAMES, language, beam_size)
    return decoded


def looping(text: str) -> bool:
    """Whisper's decoder going round: faster-whisper's compression-ratio test, or one sentence said
    twice or more and nothing else ("Read it again. Read it again.")."""
    from faster_whisper.transcribe import get_compression_ratio

    parts = [part for part in re.split(r"(?<=[.!?])\s+", text.strip()) if part]
    sentences = {re.sub(r"\W+", " ", part.lower()).strip() for part in parts}
    repeated = len(parts) > 1 and len(sentences) == 1
    return repeated or get_compression_ratio(text) > COMPRESSION_RATIO_LIMIT


def _decode(model: WhisperModel, features: np.ndarray, frames: int, language: str | None,
            beam_size: int) -> Decoded:
    from faster_whisper.audio import pad_or_trim
    from faster_whisper.tokenizer import Tokenizer
    from faster_whisper.transcribe import get_suppressed_tokens

    content = features.shape[-1]
    encoded = model.encode(pad_or_trim(features, frames))
    multilingual = model.model.is_multilingual
    if language is None and multilingual:
        language = model.model.detect_language(encoded)[0][0][0][2:-2]
    tokenizer = Tokenizer(model.hf_tokenizer, multilingual, task="transcribe", language=language or "en")
    prompt = model.get_prompt(tokenizer, [], without_timestamps=True)
    duration = content * model.feature_extractor.time_per_frame
    result = model.model.generate(
        encoded, [prompt],
        beam_size=beam_size,
        max_length=min(model.max_length, len(prompt) + 8 + round(MAX_NEW_TOKENS_PER_S * duration)),
        return_scores=True,
        return_no_speech_prob=True,
        suppress_blank=True,
        suppress_tokens=get_suppressed_tokens(tokenizer, (-1,)),
    )[0]
    tokens = [t for t in result.sequences_ids[0] if t < tokenizer.eot]
    text = tokenizer.decode(tokens).strip()
    # faster-whisper's way of getting the mean log probability back from the score (length penalty 1)
    avg_logprob = result.scores[0] * len(tokens) / (len(tokens) + 1)
    segment = {"seek": 0, "start": 0.0, "end": duration, "tokens": tokens, "text": text}
    if tokens:
        model.add_word_timestamps([[segment]], tokenizer, encoded, content, PREPEND_PUNCTUATIONS,
                                  APPEND_PUNCTUATIONS, last_speech_timestamp=0.0)
    words = [WindowWord(w["word"].strip(), float(w["start"]), float(w["end"]), float(w["probability"]))
             for w in segment.get("words", [])]
    return Decoded(text, words, language or "en", float(result.no_speech_prob), float(avg_logprob))
