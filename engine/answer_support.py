"""Whether an answer about documents says only what the model was shown.

Small models fill gaps with invention: asked who Beyoncé tied with, SmolLM2 135M answered "Elena
Klaína Duran", a name in no passage. An answer's key words are its numbers, its names (capitalised
words) and its other content words; a sentence is supported when every number and name in it
appears in what the model was shown (the passages, or the whole document in full-context mode,
and the question's words that the documents hold), and most of its other content words do.
Checked a sentence at a time as the answer streams (SupportFilter), so a person never reads an
unsupported sentence: the first one makes the reply the honest "not found", a later one ends the
answer there.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field

NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]")
CITATION = re.compile(r"\[\d[\d\s,;–-]*\]")
WORD = re.compile(r"[^\W\d_][\w'’-]*", re.UNICODE)
SENTENCE_END = re.compile(r"(?<=[.!?。！？])\s+|\n+")
MIN_CONTENT_SHARE = 0.5
# A number is shown whether it is written in digits or in words: the passage's "seven polonaises"
# supports the answer "7", and "3 times" supports "three".
ONES = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
        "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen",
        "nineteen", "twenty")
TENS = ("thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety")
NUMBER_WORDS = {word: n for n, word in enumerate(ONES)} | {word: 10 * n for n, word in enumerate(TENS, 3)}
# "the 5th Dalai Lama" asks about the document's "Fifth Dalai Lama": ordinals read both ways too.
ORDINAL_NAMES = ("first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth",
                 "ninth", "tenth", "eleventh", "twelfth", "thirteenth", "fourteenth", "fifteenth",
                 "sixteenth", "seventeenth", "eighteenth", "nineteenth", "twentieth")
ORDINAL_WORDS = {word: n for n, word in enumerate(ORDINAL_NAMES, 1)}
ORDINAL = re.compile(r"\b(\d{1,2})(?:st|nd|rd|th)\b", re.IGNORECASE)
# How a reply says that the documents do not hold the answer (Longwit's own, or a model's).
REFUSALS = re.compile(
    r"(could not|couldn't|can ?not|can't|did not|didn't|unable to) find"
    r"|not (in|found in|mentioned in|stated in|given in|covered by|in any of) the (document|passage|text)"
    r"|(document|passages?|text) (does|do) not (say|mention|contain|state|provide)"
    r"|no (information|mention) (about|of|on)",
    re.IGNORECASE,
)
# Words about the act of answering, which no passage needs to contain.
META = frozenset((
    "passage", "passages", "document", "documents", "text", "article", "question", "questions",
    "answer", "answers", "mention", "mentions", "mentioned", "state", "states", "stated", "says",
    "said", "refer", "refers", "referred", "provide", "provided", "information", "context",
    "according", "cite", "cited", "source", "sources", "based", "following", "also", "however",
    "therefore",
))
STOPWORDS = frozenset((
    "a", "an", "the", "and", "or", "but", "nor", "of", "in", "on", "at", "to", "for", "from", "by",
    "with", "about", "as", "into", "onto", "over", "under", "than", "then", "that", "this", "these",
    "those", "there", "here", "is", "are", "was", "were", "be", "been", "being", "has", "have",
    "had", "do", "does", "did", "not", "no", "yes", "it", "its", "it's", "they", "them", "their",
    "he", "him", "his", "she", "her", "we", "our", "you", "your", "i", "me", "my", "who", "whom",
    "whose", "which", "what", "when", "where", "why", "how", "all", "any", "some", "each", "both",
    "more", "most", "other", "such", "only", "own", "same", "so", "too", "very", "can", "will",
    "just", "should", "would", "could", "may", "might", "must", "shall", "also", "while", "during",
    "before", "after", "above", "below", "again", "further", "once", "up", "down", "out", "off",
    "between", "through", "because", "until", "against", "among", "upon", "within", "without",
    "one", "two", "first", "new", "like", "well", "many", "much", "even", "still", "around",
))
IGNORED = STOPWORDS | META
NUMBER_WORDS_FOR = {str(n): word for word, n in NUMBER_WORDS.items()}


def is_refusal(answer: str) -> bool:
    """Whether the reply says the documents do not hold what was asked."""
    return bool(REFUSALS.search(answer))


def fold(text: str) -> str:
    """Lower case without accents, so that "Beyonce" matches "Beyoncé"."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def stem(word: str) -> str:
    word = fold(word).strip("'’-")
    for ending in ("'s", "’s"):
        word = word.removesuffix(ending)
    for suffix in ("ies", "es", "s", "ed", "ing", "ly"):
        if len(word) > len(suffix) + 3 and word.endswith(suffix):
            return word[: -len(suffix)]
    return word


def script(text: str) -> str | None:
    """"cjk" or "alphabetic" for the letters that dominate a text; None for fewer than four.
    A 135M model asked in English about an article with Chinese passages answered in Chinese."""
    letters = [ch for ch in text if ch.isalpha()]
    if len(letters) < 4:
        return None
    cjk = sum(1 for ch in letters if CJK.match(ch))
    return "cjk" if cjk * 2 > len(letters) else "alphabetic"


def numbers(text: str) -> set[str]:
    return {n.replace(",", "") for n in NUMBER.findall(text)}


@dataclass
class ShownText:
    """What the model was shown, as the stems and numbers the check looks up."""

    stems: set[str] = field(default_factory=set)
    numbers: set[str] = field(default_factory=set)
    script: str | None = None  # the question's writing system: the answer must be in it too

    # The question's names and numbers that the documents never mention ("Japan" in "Which version
    # permits distribution in Japan only?" about the GPL): what the honest reply names.
    unknown: list[str] = field(default_factory=list)

    @classmethod
    def of(cls, texts: Iterable[str], question: str = "",
           documents: ShownText | None = None) -> ShownText:
        """What `texts` and `question` show. With `documents` (what the whole documents hold), the
        question's words count only where the documents have them too: an answer that repeats a
        false premise of the question ("…permits distribution in Japan only") is not supported by
        the question alone."""
        shown = cls(script=script(question) if question else None)
        for text in texts:
            shown.add(text)
        asked = cls()
        asked.add(question)
        if documents is not None:
            # A word one typing slip from the documents' ("Hanz" for "Hans") is theirs.
            asked.stems = {w for w in asked.stems if w in documents.stems
                           or (len(w) >= 4 and not one_slip_from(w).isdisjoint(documents.stems))}
            asked.numbers &= documents.numbers
            names = [w for i, w in enumerate(WORD.findall(CITATION.sub(" ", question)))
                     if i > 0 and w[0].isupper() and is_key_word(w)]
            shown.unknown = list(dict.fromkeys(
                [n for n in numbers(question) if n not in asked.numbers]
                + [w for w in names if stem(w) not in asked.stems]))
        shown.extend(asked)
        return shown

    def add(self, text: str) -> None:
        words, digits = {stem(w) for w in WORD.findall(text)}, numbers(text)
        self.stems |= words | {NUMBER_WORDS_FOR[n] for n in digits if n in NUMBER_WORDS_FOR}
        self.numbers |= digits | {str(NUMBER_WORDS[w]) for w in words & NUMBER_WORDS.keys()}
        self.numbers |= {str(ORDINAL_WORDS[w]) for w in words & ORDINAL_WORDS.keys()}
        self.stems |= {ORDINAL_NAMES[int(n) - 1] for n in ORDINAL.findall(text)
                       if 0 < int(n) <= len(ORDINAL_NAMES)}

    def extend(self, other: ShownText) -> None:
        """Add what another text showed (the whole documents, in full-context mode)."""
        self.stems |= other.stems
        self.numbers |= other.numbers


def one_slip_from(word: str) -> set[str]:
    """Every string one letter dropped, added, changed or swapped away from `word`."""
    letters = "abcdefghijklmnopqrstuvwxyz"
    cuts = [(word[:i], word[i:]) for i in range(len(word) + 1)]
    return ({a + b[1:] for a, b in cuts if b}
            | {a + b[1] + b[0] + b[2:] for a, b in cuts if len(b) > 1}
            | {a + c + b[1:] for a, b in cuts if b for c in letters}
            | {a + c + b for a, b in cuts for c in letters})


def is_key_word(word: str) -> bool:
    """A word that carries content: three letters or more, not a function word or a word about
    answering."""
    key = stem(word)
    return len(key) >= 3 and not {key, fold(word)} & IGNORED


def unsupported_words(sentence: str, shown: ShownText) -> list[str]:
    """The key words of `sentence` missing from what was shown; empty when it is supported."""
    sentence = CITATION.sub(" ", sentence)
    written_in = script(sentence)
    if shown.script and written_in and written_in != shown.script:
        return [f"(written in {written_in} script, asked in {shown.script})"]
    found = numbers(sentence)
    missing = [n for n in found if n not in shown.numbers]
    words = WORD.findall(sentence)
    content = []
    for index, word in enumerate(words):
        if not is_key_word(word):
            continue
        name = word[0].isupper() and index > 0
        if name and stem(word) not in shown.stems:
            missing.append(word)  # a name must be there, whatever else is
        elif not name:
            content.append(word)
    absent = [w for w in content if stem(w) not in shown.stems]
    if content and len(absent) / len(content) > 1 - MIN_CONTENT_SHARE:
        missing += absent
    return missing


def sentences_of(text: str) -> list[str]:
    return [s for s in SENTENCE_END.split(text) if s.strip()]


def is_supported(answer: str, shown: ShownText) -> bool:
    return all(not unsupported_words(s, shown) for s in sentences_of(answer))


def key_words(sentence: str) -> list[str]:
    """The numbers and content words of a sentence: what makes it say something."""
    sentence = CITATION.sub(" ", sentence)
    return [*numbers(sentence), *filter(is_key_word, WORD.findall(sentence))]


CLAUSE_END = re.compile(r"[,;:]\s|\s[–—-]\s|\s\(")
MIN_CLAUSE_WORDS = 4


def supported_start(sentence: str, shown: ShownText) -> str:
    """The longest run of whole clauses the sentence starts with that the passages support and that
    says something, closed with a full stop; "" when there is none. "…addressed to Angela Merkel
    and Nkosazana Dlamini-Zuma, who is a former member of the African National Congress." keeps
    its answer without the invented clause."""
    for boundary in reversed([m.start() for m in CLAUSE_END.finditer(sentence)]):
        start = sentence[:boundary].rstrip()
        if len(WORD.findall(start)) < MIN_CLAUSE_WORDS or not key_words(start):
            continue
        if not unsupported_words(start, shown):
            return start + ". "
    return ""


def sentence_key(sentence: str) -> str:
    """A sentence as compared for repeats: citations, case, spacing and end marks aside."""
    return " ".join(fold(CITATION.sub(" ", sentence)).split()).rstrip(".!?。！？ ")


class SupportFilter:
    """Releases a streamed answer a sentence at a time, once the sentence is checked. A sentence
    that says nothing ("The answer is:") waits for the next; an unsupported sentence releases only
    its supported leading clauses (`supported_start`), and after it, or after an answer that never
    said anything, `failed` is set and nothing more is released. A sentence the answer already said
    is where a loop begins (SmolLM2 wrote "It does not specify what type of fee is allowed." three
    times): it is not released, `repeated` is set, and nothing more is."""

    def __init__(self, shown: ShownText) -> None:
        self.shown = shown
        self.pending = ""
        self.held = ""  # sentences without key words, released with the next one that has some
        self.released = ""
        self.failed = False
        self.repeated = False
        self.said: set[str] = set()

    @property
    def stopped(self) -> bool:
        return self.failed or self.repeated

    def feed(self, text: str) -> str:
        if self.stopped:
            return ""
        self.pending += text
        out = ""
        while (match := SENTENCE_END.search(self.pending)) is not None:
            sentence, self.pending = self.pending[: match.end()], self.pending[match.end() :]
            out += self.check(sentence)
            if self.stopped:
                break
        self.released += out
        return out

    def check(self, sentence: str) -> str:
        if not key_words(sentence):
            self.held += sentence
            return ""
        key = sentence_key(sentence)
        if key in self.said:
            self.repeated, self.pending, self.held = True, "", ""
            return ""
        self.said.add(key)
        if unsupported_words(sentence, self.shown):
            start = supported_start(sentence, self.shown)
            out = self.held + start if start else ""
            self.failed, self.pending, self.held = True, "", ""
            return out
        out, self.held = self.held + sentence, ""
        return out

    def flush(self, complete: bool = True) -> str:
        """The rest, checked. A `complete` answer that never said anything fails; one a person
        stopped keeps what was released."""
        if not complete:
            self.pending = self.held = ""
            return ""
        out = "" if self.stopped or not self.pending.strip() else self.check(self.pending)
        self.pending = ""
        if not self.stopped and self.held and self.released:
            out, self.held = out + self.held, ""  # a closing "Thank you." after a real answer
        self.released += out
        if not self.released.strip():
            self.failed = True  # nothing said, or nothing supported
        return out
