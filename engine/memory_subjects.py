"""What a remembered fact is about, so that a newer fact replaces an older one instead of standing
beside it ("My name is Ada" after "My name is Eve").

A deliberately small, honest rule: a few common English phrasings map to a subject key, and a fact
that matches none has no subject and never replaces anything on its own (`longwit memory edit` and
`add --replaces` do it by hand). Plain "I prefer …" is not keyed: "I prefer tea" and "I prefer short
answers" are about different things, and a rule that cannot tell them apart would delete one.
"My favourite X is …", "my X's name is …" and "my X is called …" are keyed by X. Every pattern lives here.
"""

from __future__ import annotations

import re

# (pattern on the normalised text, subject key); the first that matches wins.
FIXED_SUBJECTS: tuple[tuple[str, str], ...] = (
    (r"(?:my name is|my name's|i am called|i'm called|(?:please )?call me|i go by|"
     r"i(?:'d| would)? prefer to be called|i(?:'d| would) like to be called)\b", "name"),
    (r"(?:i (?:now )?live|i'm living|i am living|i'm based|i am based|i(?:'ve| have)? moved to|"
     r"my home is)\b", "home"),
    (r"(?:i'm from|i am from|i come from|i was born in)\b", "origin"),
    (r"(?:i work as|i'm working as|i am working as|my job is|my profession is|"
     r"my occupation is)\b", "job"),
    (r"(?:i work (?:at|for)|i'm employed|i am employed|my employer is)\b", "employer"),
    (r"(?:(?:i'm|i am) \d+(?: years old)?$|my age is\b)", "age"),
    (r"(?:my birthday is|i was born on)\b", "birthday"),
)
# "my <these words> is …": the attribute a fact gives a value to, whoever it belongs to
# ("my wife's name", "my email address").
ATTRIBUTES = (
    "name", "age", "birthday", "email", "email address", "address", "phone number", "timezone",
    "time zone", "pronouns", "nationality", "language", "native language", "first language",
    "diet", "username", "surname", "nickname", "title", "employer", "job", "height", "weight",
)
PREFERENCE_WORDS = ("favourite", "preferred", "usual")
CALLED = re.compile(r"my ((?:[\w'-]+ ){0,2}[\w'-]+) (?:is|was) (?:called|named)\b")
POSSESSIVE = re.compile(r"my ((?:[\w'-]+ ){0,3}?[\w'-]+) (?:is|are|was)\b")
SPELLINGS = {"favorite": "favourite", "color": "colour", "e-mail": "email"}


def normalised(text: str) -> str:
    """Lower case, straight apostrophes, single spaces, British spellings, no trailing stop."""
    text = text.casefold().replace("\u2019", "'").replace("\u2018", "'")
    words = [SPELLINGS.get(word, word) for word in text.split()]
    text = " ".join(words).rstrip(".!?;, ")
    return text.removeprefix("that ")


def subject_of(fact: str) -> str | None:
    """The subject key of a fact, or None when no rule recognises it."""
    text = normalised(fact)
    for pattern, subject in FIXED_SUBJECTS:
        if re.match(pattern, text):
            return subject
    called = CALLED.match(text)
    if called is not None:
        return f"my {called.group(1)}'s name"  # "my dog is called Rex" and "my dog's name is Rex"
    match = POSSESSIVE.match(text)
    if match is None:
        return None
    phrase = match.group(1)
    if phrase.split()[0] in PREFERENCE_WORDS or any(
        phrase == attribute or phrase.endswith((f" {attribute}", f"'s {attribute}"))
        for attribute in ATTRIBUTES
    ):
        return f"my {phrase}"
    return None
