"""Memories Longwit proposes from what the person says: "remember that …", "remember: …", "please
remember …", "could you remember …", "don't forget that …", "keep in mind that …" (English; every
phrasing lives in TRIGGERS).

A trigger counts only at the start of a sentence, so "Do you remember that film?" proposes nothing;
a plain "Remember that time we …?" is a question, not a fact, and proposes nothing either. The fact is
the rest of that sentence. A proposal waits for the person's yes (`longwit memory accept`); only with
the auto-save setting on is it saved at once. Nothing here is saved silently.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from engine.memory_subjects import subject_of
from storage.memory_store import MemoryStore, Saved

# Requests ("could you remember …?") may end with a question mark; the others may not.
REQUESTS = (
    r"(?:can|could|would|will) you (?:please )?remember(?: that\b|\s*:)?",
    r"i (?:want|need|would like|'d like) you to remember(?: that\b|\s*:)?",
)
STATEMENTS = (
    r"(?:please )?remember(?: that\b|\s*:|\s*,)",
    r"please remember\b",
    r"(?:don't|do not) forget(?: that\b|\s*:|\s*,)",
    r"keep in mind(?: that\b|\s*:)",
)
TRIGGERS = (*REQUESTS, *STATEMENTS)
# What may come before a trigger at the start of a sentence: "Oh, and Longwit, please remember …".
OPENER = r"(?:(?:oh|hey|hi|ok|okay|so|and|also|longwit)\b[\s,]*)*"
SENTENCE_START = r"(?:^|(?<=[.!?;\n]))\s*"
FACT = r"(?P<fact>[^\n]*?)(?P<end>[.!?](?=\s|$)|\n|$)"


def compiled(triggers: Sequence[str]) -> re.Pattern[str]:
    alternatives = "|".join(trigger.replace(" ", r"\s+") for trigger in triggers)
    return re.compile(SENTENCE_START + OPENER + f"(?:{alternatives})" + r"\s*" + FACT,
                      re.IGNORECASE)


REQUEST = compiled(REQUESTS)
ANY_TRIGGER = compiled(TRIGGERS)


def heard_facts(message: str) -> list[str]:
    """The facts a message asks Longwit to remember, as the person put them ("My name is Ada")."""
    message = message.replace("\u2019", "'")
    facts = []
    for match in ANY_TRIGGER.finditer(message):
        fact = match.group("fact").strip(" \t,:;\"'")
        if match.group("end") == "?" and not REQUEST.match(match.group(0)):
            continue  # "Remember that time we …?" asks, it does not tell
        if len(fact.split()) < 2:
            continue  # "remember that." or a lone word is not a fact
        facts.append(fact[0].upper() + fact[1:])
    return facts


def propose_memories(store: MemoryStore, message: str, message_id: int | None,
                     auto_save: bool) -> list[Saved]:
    """Propose (or, with auto-save, save) each fact the message asks to remember, for everywhere;
    each comes back with whether it is new and what it replaced."""
    return [
        store.propose(fact, subject=subject_of(fact), source_message_id=message_id, accept=auto_save)
        for fact in heard_facts(message)
    ]
