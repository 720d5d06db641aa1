"""A tokenizer parsed ahead is the one the Whisper model uses, and the model still transcribes."""

from __future__ import annotations

import faster_whisper.transcribe as transcribe

from media import whisper_tokenizer
from media.speech_to_text import load_whisper, tiny_en_path
from media.text_to_speech import TextToSpeech


def test_the_model_uses_the_tokenizer_parsed_ahead() -> None:
    folder = tiny_en_path()
    whisper_tokenizer.parse_ahead(folder)
    parsed = whisper_tokenizer._parsed[(folder / "tokenizer.json").resolve()]
    real = transcribe.tokenizers
    # A compute type no other test loads, so this process constructs the model here.
    model = load_whisper(folder, compute_type="int8_float32")
    assert model.hf_tokenizer is parsed
    assert transcribe.tokenizers is real  # the stand-in is gone once the model is built
    segments, _ = model.transcribe(TextToSpeech().synthesize("The harbour opens at dawn."), beam_size=1)
    assert "harbour" in " ".join(s.text for s in segments).lower().replace("harbor", "harbour")
