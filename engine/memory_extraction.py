"""Facts the person stated about themselves in a conversation, proposed as memories when it ends.

"Remember that …" is asked for (engine/memory_proposals); this finds what the person told without
asking: "My name is Ada, and I live in Leeds." A fact is a clause of the person's own words, in the
first person, that says something a memory holds: a keyed subject (engine/memory_subjects: name,
home, job, "my wife's name" …) or a lasting preference ("I prefer short answers", "I'm
vegetarian"). Only the person's messages are read, never the model's answers (a model's guess
about the person is not a fact); questions, hypotheticals and requests for stories are skipped.
The rule reads words, not meaning, so every fact is only proposed: the person says yes or no
(`longwit memory accept|reject`), and a fact they rejected is never proposed again.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from engine.memory_proposals import heard_facts
from engine.memory_subjects import normalised, subject_of
from storage import ConversationStore
from storage.memory_store import MemoryStore, Saved, same_text

SENTENCE = re.compile(r"[^.!?\n]+[.!?]?")
# ", and I live …", "; my job is …": a new first-person clause starts a new fact.
CLAUSE_BREAK = re.compile(r"\s*(?:[,;]\s*(?:and|but)?|\s(?:and|but))\s+(?=(?:i|i'm|my)\b)",
                          re.IGNORECASE)
PREFERENCES = re.compile(
    r"(?:i (?:really |much |strongly )?(?:prefer|like|love|hate|dislike|enjoy|don't like|do not like|"
    r"can't stand|cannot stand)\b"
    r"|i(?:'m| am) (?:allergic to|vegetarian|vegan|pescatarian|lactose intolerant|left-handed|"
    r"colou?r-blind|deaf|blind|dyslexic)\b"
    r"|i (?:don't|do not) (?:eat|drink)\b"
    r"|i (?:speak|am learning|'m learning)\b)"
)
# A sentence with one of these is not the person telling a fact about themselves.
NOT_A_FACT = re.compile(
    r"\b(?:if|suppose|supposing|imagine|pretend|hypothetical(?:ly)?|story|stories|poem|role-?play|"
    r"character|example|let's say|lets say|would|wish|translate|quote|wrote|says|said)\b",
    re.IGNORECASE,
)
# "I like it", "I hate that you …": about the conversation, not the person.
DEICTIC_OBJECT = re.compile(
    r"^i (?:\w+ )?(?:prefer|like|love|hate|dislike|enjoy|don't like|do not like|can't stand|"
    r"cannot stand) (?:it|this|that|these|those|them|you|your|yours|how|what|when|the answer|"
    r"the idea|the way)\b"
)
MIN_WORDS, MAX_WORDS = 3, 25


@dataclass(frozen=True)
class StatedFact:
    text: str  # the person's clause, as they put it ("My name is Ada")
    subject: str | None
    message_id: int | None


def stated_facts(message: str) -> list[tuple[str, str | None]]:
    """(fact, subject key) for each clause of one message that states a fact about the person."""
    message = message.replace("\u2019", "'")
    facts = []
    for sentence in SENTENCE.findall(message):
        sentence = sentence.strip()
        if sentence.endswith("?") or NOT_A_FACT.search(sentence):
            continue
        for clause in CLAUSE_BREAK.split(sentence.rstrip(".!")):
            clause = clause.strip(" \t,;:\"'")
            words = clause.split()
            if not MIN_WORDS <= len(words) <= MAX_WORDS:
                continue
            subject = subject_of(clause)
            plain = normalised(clause)
            if subject is None and (not PREFERENCES.match(plain) or DEICTIC_OBJECT.match(plain)):
                continue
            facts.append((clause[0].upper() + clause[1:], subject))
    return facts


def conversation_facts(messages: Iterable[tuple[int | None, str, str]]) -> list[StatedFact]:
    """The facts the person stated in a conversation, given as (message id, role, text), oldest
    first; a fact they also asked to remember is left to that proposal, and a repeated one is
    listed once (its latest saying)."""
    found: dict[str, StatedFact] = {}
    for message_id, role, text in messages:
        if role != "user":
            continue
        asked = heard_facts(text)
        for fact, subject in stated_facts(text):
            if any(same_text(fact, other) or same_text(fact, f"That {other}") for other in asked):
                continue
            key = " ".join(fact.casefold().split())
            found.pop(key, None)
            found[key] = StatedFact(fact, subject, message_id)
    return list(found.values())


def propose_stated_facts(store: MemoryStore, messages: Iterable[tuple[int | None, str, str]],
                         auto_save: bool) -> list[Saved]:
    """Propose (or, with auto-save on, save) what the person stated and is not yet remembered; a
    fact they rejected before is not asked about again. Returns only what is new."""
    known = store.everything()
    proposed = []
    for fact in conversation_facts(messages):
        if any(same_text(fact.text, memory.text) for memory in known):
            continue
        saved = store.propose(fact.text, subject=fact.subject, source_message_id=fact.message_id,
                              accept=auto_save)
        if saved.new:
            proposed.append(saved)
    return proposed


def propose_from_conversation(store: ConversationStore, conversation_id: int) -> list[Saved]:
    """At the end of a conversation (typed or spoken): propose what the person stated in it."""
    memories = MemoryStore(store.db)
    messages = [(m.id, m.role, m.content) for m in store.messages(conversation_id)]
    return propose_stated_facts(memories, messages, memories.settings().auto_save)
