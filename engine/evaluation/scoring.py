"""Scoring an answer's text against gold answers, the way SQuAD normalises them.

An answer is right when, after normalising both, it contains a gold answer: a small model that says
"He was born in 1810 in Żelazowa Wola" for the gold "1810" is right, and the quoted sources are never
scored, only what the model wrote.
"""

from __future__ import annotations

import re
import string
import unicodedata
from collections.abc import Sequence

from engine.answer_support import NUMBER_WORDS, NUMBER_WORDS_FOR, is_refusal

# Only an answer's opening is scored: a model that copies whole passages back would otherwise
# "contain" the gold answer without answering (Gemma 3 270M base, prompted as a chat, does).
SCORED_WORDS = 50

# "1505–1521" said as "from 1505 to 1521" or "between 1505 and 1521" is the same answer.
NUMBER_RANGE = re.compile(r"(\d[\d,.]*)\s*[–—-]\s*(\d[\d,.]*)")
# "US$234 million" said as "$234 million" (the country is in the dollar sign's prefix).
CURRENCY_COUNTRY = re.compile(r"\b(?:US|AU|A|CA|C|HK|NZ|NT|S)\$")
# "about 71%" said as "71%": a hedge before a gold number is not what the question asks for.
HEDGE = re.compile(r"^(?:about|approximately|around|roughly|nearly|almost|some|an estimated|circa)\s+"
                   r"(?=\S*\d)", re.IGNORECASE)
ARTICLES = re.compile(r"\b(a|an|the)\b")
PUNCTUATION = set(string.punctuation) | {"“", "”", "‘", "’", "–", "—", "…", "«", "»"}

def normalize_answer(text: str) -> str:
    """Lower case, accents kept, punctuation and English articles removed, spaces collapsed."""
    text = unicodedata.normalize("NFKC", text).lower()
    text = "".join(" " if ch in PUNCTUATION else ch for ch in text)
    text = ARTICLES.sub(" ", text)
    return " ".join(text.split())


def other_numerals(text: str) -> str:
    """`text` with each number word written in digits and each small number in words: "seven"
    said as "7" is right (whole words only, so "seven" is never found inside "seventeen")."""
    def swap(word: str) -> str:
        if word.lower() in NUMBER_WORDS:
            return str(NUMBER_WORDS[word.lower()])
        return NUMBER_WORDS_FOR.get(word, word)
    return re.sub(r"\w+", lambda m: swap(m.group()), text)


def gold_forms(gold: str) -> list[str]:
    """The gold answer, without a hedge before its number ("about 71%" as "71%"), a number range in
    it written out in words, a dollar amount without its country's prefix, and its numbers in the
    other numerals ("seven" and "7")."""
    forms = [gold]
    if (bare := HEDGE.sub("", gold)) != gold:
        forms.append(bare)
        gold = bare
    if (swapped := other_numerals(gold)) != gold:
        forms.append(swapped)
    if NUMBER_RANGE.search(gold):
        forms.append(NUMBER_RANGE.sub(r"\1 to \2", gold))
        forms.append(NUMBER_RANGE.sub(r"\1 and \2", gold))
    if CURRENCY_COUNTRY.search(gold):
        forms += [CURRENCY_COUNTRY.sub("$", form) for form in forms]
    return forms


def contains_answer(answer: str, golds: Sequence[str], words: int | None = None) -> bool:
    """Whether the answer (its first `words` words, if given) contains one of the gold answers, on
    word boundaries."""
    if words is not None:
        answer = " ".join(answer.split()[:words])
    said = f" {normalize_answer(answer)} "
    for gold in golds:
        for form in gold_forms(gold):
            wanted = normalize_answer(form)
            if wanted and f" {wanted} " in said:
                return True
    return False


__all__ = ["contains_answer", "is_refusal", "normalize_answer"]
