"""Turning the numbers an answer cites into documents and places, and dropping the ones that point
nowhere.

The model sees passages numbered [1], [2]… and is asked to cite them. A citation counts only if its
number is one of the passages it was shown; any other bracketed number is removed from the answer
rather than shown as a link to nothing. Small models often cite nothing at all; then the passage
that shares the most distinctive words with the answer is offered as its likely source, marked as
matched rather than cited, so the person can tell the two apart.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from engine.document_prompt import SourcePassage, focus
from storage.locations import Location

MARKER = re.compile(r"\[(\d{1,3}(?:\s*[,;–-]\s*\d{1,3})*)\]")
WORD = re.compile(r"[^\W\d_]{4,}", re.UNICODE)
MIN_SHARED_WORDS = 3
QUOTE_CHARS = 240


@dataclass(frozen=True)
class Citation:
    number: int
    chunk_id: int
    document_id: int
    document_title: str
    location: Location
    quote: str
    how: str  # "cited" by the model, or "matched" by shared wording

    @property
    def label(self) -> str:
        return f"{self.document_title}, {self.location.label()}"


def marker_numbers(inside: str) -> list[int]:
    """"1, 3" → [1, 3]; "2-4" → [2, 3, 4]."""
    numbers: list[int] = []
    for part in re.split(r"\s*[,;]\s*", inside):
        bounds = [int(n) for n in re.split(r"\s*[–-]\s*", part) if n]
        if len(bounds) == 2 and 0 < bounds[1] - bounds[0] < 20:
            numbers.extend(range(bounds[0], bounds[1] + 1))
        else:
            numbers.extend(bounds)
    return numbers


def citation_for(passage: SourcePassage, how: str, answer: str) -> Citation:
    """The citation, quoting the sentences of the passage nearest the answer."""
    chunk = passage.chunk
    nearest = focus(passage.text, answer, QUOTE_CHARS)
    location = chunk.location
    offset = chunk.text.find(focus(chunk.text, answer, 0))  # the single best sentence
    if location.line is not None and offset > 0:  # the line of the quoted sentence, not the chunk's
        location = replace(location, line=location.line + chunk.text.count("\n", 0, offset))
    quote = " ".join(nearest.split())[:QUOTE_CHARS]
    return Citation(passage.number, chunk.chunk_id, chunk.document_id, passage.document_title,
                    location, quote, how)


def drop_unresolved(text: str, sources: list[SourcePassage]) -> str:
    """Remove bracketed numbers that are not passages the model was shown."""
    known = {p.number for p in sources}

    def keep_known(match: re.Match[str]) -> str:
        numbers = [n for n in marker_numbers(match.group(2)) if n in known]
        return f"{match.group(1)}[{', '.join(map(str, numbers))}]" if numbers else ""

    return re.sub(r"([ \t]*)" + MARKER.pattern, keep_known, text)


def words(text: str) -> set[str]:
    return {word.lower() for word in WORD.findall(text)}


def best_match(answer: str, sources: list[SourcePassage]) -> SourcePassage | None:
    """The shown passage sharing the most distinctive words with the answer, if enough do."""
    answer_words = words(answer)
    if not answer_words or not sources:
        return None
    # Words found in every passage say nothing about which one the answer came from.
    common = set.intersection(*(words(p.text) for p in sources)) if len(sources) > 1 else set()
    scored = [(len((answer_words - common) & words(p.text)), -p.number, p) for p in sources]
    shared, _, passage = max(scored, key=lambda item: item[:2])
    return passage if shared >= MIN_SHARED_WORDS else None


def resolve_citations(answer: str, sources: list[SourcePassage]) -> list[Citation]:
    """The passages an answer cites (in order of first citation), or its best match if none."""
    by_number = {p.number: p for p in sources}
    cited: list[Citation] = []
    for match in MARKER.finditer(answer):
        for number in marker_numbers(match.group(1)):
            passage = by_number.get(number)
            if passage is not None and all(c.number != number for c in cited):
                cited.append(citation_for(passage, "cited", answer))
    if cited:
        return cited
    matched = best_match(answer, sources)
    return [citation_for(matched, "matched", answer)] if matched else []


# Trailing spaces and an unclosed "[12, 1": what may still become a marker (with its space).
PARTIAL_MARKER = re.compile(r"[ \t]*(?:\[[\d\s,;–-]{0,16})?\Z")


class CitationFilter:
    """Drops citation markers that point nowhere from a reply as it streams, so that what the
    person sees and what is saved are the same text. A possible marker at the end of the text so
    far ("… [1", "… [") is held back until it closes or turns out not to be one."""

    def __init__(self, sources: list[SourcePassage]) -> None:
        self.sources = sources
        self.pending = ""

    def feed(self, text: str) -> str:
        self.pending += text
        held = ""
        match = PARTIAL_MARKER.search(self.pending, max(0, self.pending.rfind("[") - 64))
        if match and match.start() < len(self.pending):
            self.pending, held = self.pending[: match.start()], self.pending[match.start() :]
        ready, self.pending = drop_unresolved(self.pending, self.sources), held
        return ready

    def flush(self) -> str:
        ready, self.pending = drop_unresolved(self.pending, self.sources), ""
        return ready
