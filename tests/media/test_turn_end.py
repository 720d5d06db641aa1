"""How long a pause ends a turn, from the words heard so far: a question or a request is answered
soon, words that trail off are waited for, and anything else (statements, unpunctuated transcripts)
keeps the usual silence."""

from __future__ import annotations

import pytest

from media.turn_end import asks, requests, silence_to_end, trails_off
from media.vad import VadOptions

OPTIONS = VadOptions(end_silence_s=0.6, handover_silence_s=0.4, unfinished_silence_s=1.0)


@pytest.mark.parametrize("text", [
    "How many legs does a spider have?",
    " What is it for? ",
    "Where are you from?",
    '"Is that right?"',
    "You mean the red one?",
])
def test_a_question_is_answered_after_a_short_silence(text: str) -> None:
    assert asks(text) and not trails_off(text)
    assert silence_to_end(text, OPTIONS) == 0.4


@pytest.mark.parametrize("text", [
    "Tell me one fun fact about the moon.",
    "Please explain how a rainbow forms.",
    "Okay, give me one tip for sleeping better!",
    "Stop, that is enough. Tell me about the sea instead.",  # the last sentence decides
])
def test_a_request_is_answered_after_a_short_silence(text: str) -> None:
    assert requests(text) and not asks(text) and not trails_off(text)
    assert silence_to_end(text, OPTIONS) == 0.4


@pytest.mark.parametrize("text", [
    "Can you tell me about the",
    "Can you tell me about the?",  # Whisper's question mark does not close an article
    "I was thinking, and",
    "So, um,",
    "Well, uh.",
    "I wonder whether",
    "Let me think...",
    "Let me think…",
    "The first thing is:",
    "It is bigger than",
])
def test_words_that_trail_off_are_waited_for(text: str) -> None:
    assert trails_off(text) and not asks(text)
    assert silence_to_end(text, OPTIONS) == 1.0


@pytest.mark.parametrize("text", [
    "I would like to know.",  # a statement may well go on: "When does the train leave?"
    "Let me think.",
    "Give me a second. I need to think.",
    "Tell me",  # no full stop: Whisper heard no end to it
    "I told him to stop.",
    "Stop.",  # "Stop, that is enough…" heard at its comma
    "Tell me.",  # too short to be the whole request
    "what colors the sky on a clear day",  # Whisper sometimes leaves out the punctuation
    "",
    "   ",
])
def test_anything_else_keeps_the_usual_silence(text: str) -> None:
    assert not asks(text) and not requests(text) and not trails_off(text)
    assert silence_to_end(text, OPTIONS) == 0.6
