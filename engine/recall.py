"""Recall: when a question needs earlier conversations and documents, and which texts are worth
bringing back. The rule and its phrases live here, in one place.

A question's content words are its words less common ones (`IGNORED`), compared by stem. An
earlier text qualifies when it shares at least two of them, and at least a third of them when the
question has more than six (so a long question is not matched on two passing words); when the
question refers back ("last time", "you said", "we talked about", `REFERS_BACK`), one shared word
is enough. A question needs recall when some text qualifies. BM25 only orders the candidates that
share as many words: FTS5 clamps a term's IDF near zero in a small database, so the same match
scores about 0 among ten messages and several points among ten thousand, and an absolute score
threshold would decide differently as the history grows.

Texts come from the other conversations, the turns of this one that have left the model's window,
and documents not pinned here (storage/recall_index); a long text is cut to the sentences around
the best match. Candidates are found on the caller's thread (which owns the SQLite connection);
what fits is measured on the model's thread (engine/recall_context).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, replace
from datetime import datetime

from engine.answer_support import STOPWORDS, WORD, stem
from engine.document_prompt import focus
from storage.documents import ChunkHit
from storage.recall_index import MessageHit, RecallIndex
from storage.recalled_sources import MESSAGE, PASSAGE, RecalledSource

# Phrases that refer back to something said or read before: with one, a single shared content
# word qualifies a text (the person says it is there).
REFERS_BACK = re.compile(
    r"\b(last time|earlier|previously|the other day|you said|you told me|you mentioned"
    r"|you suggested|you recommended|we talked about|we discussed|we spoke about|we were talking"
    r"|i told you|i mentioned|i said|i asked you|as i said|remind me|remember when"
    r"|do you remember|did we)\b",
    re.IGNORECASE,
)
# Words that say nothing about a topic: the common ones, and those of talking about a talk.
CHATTY = frozenset((
    "say", "said", "tell", "told", "talk", "talked", "talking", "discuss", "discussed", "mention",
    "mentioned", "remember", "remind", "recall", "last", "time", "earlier", "previously", "ago",
    "know", "think", "thought", "please", "thanks", "thank", "hello", "hey", "okay", "yeah",
    "want", "need", "get", "got", "make", "made", "let", "give", "good", "great", "thing",
    "things", "something", "anything", "really", "ask", "asked", "day", "today", "suggest",
    "suggested", "recommend", "recommended", "don't", "didn't", "i'm", "you're", "let's",
))
IGNORED = STOPWORDS | CHATTY
NUMBER = re.compile(r"\b\d{2,}\b")  # numbers are distinctive: a code, a year, a price


@dataclass(frozen=True)
class RecallOptions:
    """How much recall may bring and how sure it must be; the defaults are the app's."""

    share: float = 0.25  # of what the model reads reliably (its usable context)
    ceiling: int = 1024  # tokens, whatever the model: recall supplements the conversation
    max_items: int = 4  # a small model reads a few focused texts, not a dozen
    item_chars: int = 600  # a longer text is cut to the sentences around its best match
    min_shared: int = 2  # content words a text must share with a question (see the module)
    long_question: int = 6  # past this many content words, a third of them must be shared
    candidates: int = 20  # hits read from each index before the rule filters them


@dataclass(frozen=True)
class RecalledItem:
    """One recalled text and where it came from: a message (conversation, message id, date) or a
    document's passage (document, chunk id, place)."""

    kind: str  # MESSAGE or PASSAGE
    text: str  # what the model is shown: the text, or its sentences around the best match
    shared: int  # content words shared with the question
    score: float  # BM25 in its own index; orders texts sharing as many words
    conversation_id: int | None = None
    conversation_title: str = ""
    message_id: int | None = None
    role: str = ""
    created: str = ""
    spoken: bool = False  # a voice call's transcript
    same_conversation: bool = False  # a turn of this conversation that left the window
    document_id: int | None = None
    document_title: str = ""
    chunk_id: int | None = None
    place: str = ""  # the passage's page, section, line or time

    @property
    def date(self) -> str:
        """"12 Mar 2026" for a message; "" for a passage."""
        if not self.created:
            return ""
        when = datetime.fromisoformat(self.created)
        return f"{when.day} {when:%b %Y}"

    @property
    def label(self) -> str:
        """For the person, a link's text: "conversation 12 'Trip planning' (12 Mar 2026), message
        41" or "document 3 'report.pdf', p. 4"."""
        if self.kind == PASSAGE:
            return f"document {self.document_id} '{self.document_title}', {self.place}"
        spoken = ", spoken" if self.spoken else ""
        return (f"conversation {self.conversation_id} '{self.conversation_title}' ({self.date}), "
                f"message {self.message_id}{spoken}")

    @property
    def source(self) -> str:
        """For the model: whose words these are and where from, in few tokens."""
        if self.kind == PASSAGE:
            return f'document "{self.document_title}", {self.place}'
        who = "the person" if self.role == "user" else "you"
        verb = "said" if self.spoken else ("wrote" if self.role == "user" else "answered")
        where = ("earlier in this conversation" if self.same_conversation
                 else f'conversation "{self.conversation_title}"')
        return f"{where}, {self.date}, {who} {verb}"

    def kept(self, ordinal: int) -> RecalledSource:
        """As it is kept with the answer (storage/recalled_sources), numbered `ordinal`."""
        if self.kind == PASSAGE:
            return RecalledSource(ordinal, PASSAGE, self.label, self.text, self.document_title,
                                  self.place, chunk_id=self.chunk_id)
        return RecalledSource(ordinal, MESSAGE, self.label, self.text, self.conversation_title,
                              self.date, source_message_id=self.message_id)


def kept_sources(items: list[RecalledItem]) -> list[RecalledSource]:
    """The recalled texts of an answer as they are kept and linked, numbered from 1 in the
    prompt's order (the window's links name them by that number)."""
    return [item.kept(ordinal) for ordinal, item in enumerate(items, start=1)]


@dataclass(frozen=True)
class RecallCandidates:
    """The texts that qualify for a question, best first, and what the model reads reliably (the
    budget is a share of it)."""

    items: list[RecalledItem]
    usable_tokens: int


def content_words(text: str) -> dict[str, str]:
    """Stem → the word as written, for the words that say what a text is about."""
    words: dict[str, str] = {}
    for word in [*WORD.findall(text), *NUMBER.findall(text)]:
        key = stem(word)
        if len(key) >= 3 and word.lower() not in IGNORED and key not in IGNORED:
            words.setdefault(key, word.strip("'’-"))
    return words


def refers_back(question: str) -> bool:
    return bool(REFERS_BACK.search(question))


def required_shared(question_words: int, referred: bool, options: RecallOptions) -> int:
    """Content words a text must share with a question of `question_words` content words."""
    if referred:
        return 1
    if question_words > options.long_question:
        return max(options.min_shared, math.ceil(question_words / 3))
    return options.min_shared


def same_words(text: str) -> str:
    return " ".join(text.split()).casefold()


def excerpt(text: str, question: str, max_chars: int) -> str:
    """The text, or the sentences around its best match within `max_chars` (cut at a word if
    even one sentence is longer)."""
    shown = focus(text, question, max_chars)
    if len(shown) <= max_chars:
        return shown
    return shown[:max_chars].rsplit(" ", 1)[0] + "…"


def from_message(hit: MessageHit, conversation_id: int) -> RecalledItem:
    return RecalledItem(MESSAGE, hit.content, 0, hit.score, conversation_id=hit.conversation_id,
                        conversation_title=hit.conversation_title, message_id=hit.message_id,
                        role=hit.role, created=hit.created, spoken=hit.spoken,
                        same_conversation=hit.conversation_id == conversation_id)


def from_passage(hit: ChunkHit) -> RecalledItem:
    chunk = hit.chunk
    return RecalledItem(PASSAGE, chunk.text, 0, hit.score, document_id=chunk.document_id,
                        document_title=hit.document_title, chunk_id=chunk.id,
                        place=chunk.location.label())


def recall_candidates(index: RecallIndex, question: str, conversation_id: int,
                      earlier_than: int, options: RecallOptions) -> list[RecalledItem]:
    """The texts that qualify for `question`, best first: most shared content words, then BM25.
    `earlier_than` is the first message id of this conversation still in the model's window."""
    asked = content_words(question)
    if not asked:
        return []
    need = required_shared(len(asked), refers_back(question), options)
    found = [
        *(from_message(hit, conversation_id)
          for hit in index.messages(asked.values(), conversation_id, earlier_than, options.candidates)),
        *(from_passage(hit) for hit in index.passages(asked.values(), conversation_id,
                                                      options.candidates)),
    ]
    seen = {same_words(question)}  # the same question asked elsewhere tells nothing new
    items = []
    for item in found:
        text = excerpt(item.text, question, options.item_chars)
        shared = len(asked.keys() & content_words(text).keys())
        if shared < need or same_words(text) in seen:
            continue
        seen.add(same_words(text))
        items.append(replace(item, text=text, shared=shared))
    return sorted(items, key=lambda item: (-item.shared, -item.score))
