"""How long a silence ends the person's turn, judged from the words heard so far.

One silence length for every turn either answers late or cuts slow speakers off. At a short
pause the loop already has a transcript of the turn so far (it transcribes it to answer speculatively),
and the transcript says what kind of pause it is. A question or a request hands the turn over ("…on a
clear day?", "Tell me a joke."): it is answered after a short silence. Words that trail off ("I was late
because", "and um,", "…") get a long one. Anything else, a statement ("I would like to know.") that may
well go on, or a transcript Whisper left unpunctuated, keeps the usual silence. Whisper punctuates what
it hears, so its question mark is the sign of a question, and a sentence that opens with a verb of
asking ("tell", "give", "explain"…) is a request; a last word that cannot end an English sentence (an
article, a conjunction, a filler) overrides both. Pure Python, no model: the learned turn detectors
(LiveKit's, Pipecat's smart-turn) are fetched from the network at run time, which Longwit does not do."""

from __future__ import annotations

import re

from media.vad import VadOptions

# Words after which an English sentence is not over, whatever punctuation the transcript gives them.
# Prepositions are left out: "What is it for?" and "Where are you from?" end with one.
OPEN_WORDS = frozenset({
    "a", "an", "the", "my", "your", "our", "their",
    "and", "but", "or", "nor", "because", "if", "although", "though", "unless", "whether", "than",
    "um", "uh", "uhm", "umm", "er", "erm", "ah",
})
# Verbs that open a request ("Tell me…", "Please explain…"), of three words or more. Left out: "let" ("Let
# me think." keeps the turn) and commands to the voice itself ("Stop, that is enough…", "Wait, wait."),
# which Whisper often hears with a full stop at the comma before the rest.
REQUEST_VERBS = frozenset({
    "tell", "give", "explain", "describe", "show", "list", "name", "suggest", "recommend", "help",
    "find", "read", "write", "summarize", "summarise", "translate", "define", "compare", "remind",
    "teach", "play", "spell",
})
REQUEST_MIN_WORDS = 3
_COURTESY = frozenset({"please", "now", "so", "okay", "ok", "well", "then"})
_SENTENCES = re.compile(r"[.?!]+\s+")
_OPEN_ENDINGS = (",", ";", ":", "-", "—", "...", "…")
_CLOSING = "\"'”’)]"
_WORD_EDGES = "\"'“”‘’()[],.?!;:…-—"


def _bare(text: str) -> str:
    return text.strip().rstrip(_CLOSING).rstrip()


def _last_word(text: str) -> str:
    words = text.split()
    return words[-1].strip(_WORD_EDGES).lower() if words else ""


def trails_off(text: str) -> bool:
    """`text` stops mid-sentence: on a comma, dash or ellipsis, or after a word that cannot end one."""
    text = _bare(text)
    return bool(text) and (text.endswith(_OPEN_ENDINGS) or _last_word(text) in OPEN_WORDS)


def asks(text: str) -> bool:
    """`text` ends with a question, and not on a word that leaves it open."""
    text = _bare(text)
    return text.endswith("?") and not trails_off(text)


def requests(text: str) -> bool:
    """`text` ends with a sentence that asks for something: "Tell me one fun fact about the moon." The
    last sentence decides: "Give me a second. I need to think." keeps the turn."""
    text = _bare(text)
    if not text.endswith((".", "!")) or trails_off(text):
        return False
    last = _SENTENCES.split(text[:-1])[-1]
    words = [word.strip(_WORD_EDGES).lower() for word in last.split()]
    while words and words[0] in _COURTESY:
        words = words[1:]
    return len(words) >= REQUEST_MIN_WORDS and words[0] in REQUEST_VERBS


def silence_to_end(text: str, options: VadOptions) -> float:
    """Seconds of silence after which the turn heard as `text` is over."""
    if trails_off(text):
        return options.unfinished_silence_s
    return options.handover_silence_s if asks(text) or requests(text) else options.end_silence_s
