"""One conversation as a portable JSON file (format "longwit-conversation", version 1): what it
holds, and writing it and reading it back with every field checked.

The file carries what a person needs to read the conversation elsewhere and what an import needs
to rebuild it: each message with its role, time, model, reply statistics and (for spoken messages)
word timings, each citation with its passage's words, place and document, so the sources survive
in a database that lacks the documents, and each text recall brought into the answer's prompt
(an earlier message or a document's passage) with its label, words, title and place. Reading never
trusts the file: a field that is missing or of the wrong type is reported by its path
(`messages[2].citations[0].passage`) before anything is written.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from storage.citations import HOW_VALUES, QuotedPassage
from storage.conversations import MessageStats
from storage.errors import (
    ArchiveFieldInvalid,
    ArchiveFieldMissing,
    ArchiveNotJson,
    ArchiveTooLarge,
    ArchiveTooNew,
    ArchiveWrongFormat,
)
from storage.locations import Location
from storage.word_timings import WordTiming

FORMAT_NAME = "longwit-conversation"
FORMAT_VERSION = 1
ROLES = ("user", "assistant", "system")
RECALL_KINDS = ("message", "passage")
STAT_INTEGERS = ("prompt_tokens", "completion_tokens", "cached_tokens")
STAT_NUMBERS = ("ttft_s", "tokens_per_s", "duration_s")


@dataclass(frozen=True)
class ArchiveLimits:
    """How big a file an import reads at all: a long voice conversation with every word timed is a
    few MB, so anything near this is not a conversation."""

    max_bytes: int = 64 * 2**20


DEFAULT_LIMITS = ArchiveLimits()


@dataclass(frozen=True)
class ArchivedCitation:
    number: int
    how: str
    quote: QuotedPassage


@dataclass(frozen=True)
class ArchivedRecall:
    """A text recall brought into an answer's prompt (storage/recalled_sources), by its words."""

    number: int
    kind: str  # "message" or "passage"
    label: str
    text: str
    title: str
    place: str


@dataclass(frozen=True)
class ArchivedMessage:
    role: str
    content: str
    created: str
    model: str | None = None
    cut: bool = False
    stats: MessageStats = field(default_factory=MessageStats)
    words: tuple[WordTiming, ...] = ()
    citations: tuple[ArchivedCitation, ...] = ()
    recalled: tuple[ArchivedRecall, ...] = ()


@dataclass(frozen=True)
class PinnedDocument:
    """A document the conversation kept with it; an import pins it again if it is stored there."""

    title: str
    sha256: str
    kind: str


@dataclass(frozen=True)
class ConversationArchive:
    title: str
    model: str | None
    created: str
    updated: str
    messages: tuple[ArchivedMessage, ...]
    pinned: tuple[PinnedDocument, ...] = ()
    exported: str = ""


# Writing -----------------------------------------------------------------------------------------


def location_dict(where: Location) -> dict[str, Any]:
    return {"page": where.page, "section": where.section, "line": where.line,
            "start_s": where.start_s, "end_s": where.end_s, "label": where.label()}


def citation_dict(citation: ArchivedCitation) -> dict[str, Any]:
    quote = citation.quote
    return {
        "number": citation.number,
        "how": citation.how,
        "document": {"title": quote.document_title, "sha256": quote.document_sha256},
        "location": location_dict(quote.location),
        "passage": quote.text,
    }


def message_dict(message: ArchivedMessage) -> dict[str, Any]:
    stats = message.stats
    return {
        "role": message.role,
        "content": message.content,
        "created": message.created,
        "model": message.model,
        "cut": message.cut,
        "stats": {name: getattr(stats, name) for name in (*STAT_INTEGERS, *STAT_NUMBERS)},
        "citations": [citation_dict(c) for c in message.citations],
        "recalled": [{"number": r.number, "kind": r.kind, "label": r.label, "text": r.text,
                      "title": r.title, "place": r.place} for r in message.recalled],
        "words": [{"word": w.word, "start_s": w.start_s, "end_s": w.end_s,
                   "probability": w.probability} for w in message.words],
    }


def archive_json(archive: ConversationArchive) -> str:
    """The file's text: indented, UTF-8 as written (not \\u escapes), so a person can read it."""
    document = {
        "format": FORMAT_NAME,
        "version": FORMAT_VERSION,
        "exported": archive.exported,
        "title": archive.title,
        "model": archive.model,
        "created": archive.created,
        "updated": archive.updated,
        "pinned_documents": [{"title": d.title, "sha256": d.sha256, "kind": d.kind}
                             for d in archive.pinned],
        "messages": [message_dict(m) for m in archive.messages],
    }
    return json.dumps(document, ensure_ascii=False, indent=2) + "\n"


# Reading -----------------------------------------------------------------------------------------


class FieldReader:
    """Takes typed values out of parsed JSON, naming the field's path in every error."""

    def __init__(self, source: str) -> None:
        self.source = source

    def invalid(self, where: str, expected: str) -> ArchiveFieldInvalid:
        return ArchiveFieldInvalid(self.source, where, expected)

    def get(self, parent: dict[str, Any], key: str, where: str, required: bool) -> Any:
        if key not in parent:
            if required:
                raise ArchiveFieldMissing(self.source, f"{where}{key}")
            return None
        return parent[key]

    def mapping(self, value: Any, where: str) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise self.invalid(where or "the whole file", "an object ({…})")
        return value

    def items(self, parent: dict[str, Any], key: str, where: str, required: bool = False) -> list[Any]:
        value = self.get(parent, key, where, required)
        if value is None:
            return []
        if not isinstance(value, list):
            raise self.invalid(f"{where}{key}", "a list ([…])")
        return value

    def text(self, parent: dict[str, Any], key: str, where: str, required: bool = True,
             nullable: bool = False) -> Any:
        value = self.get(parent, key, where, required)
        if value is None and (nullable or not required):
            return None
        if not isinstance(value, str):
            raise self.invalid(f"{where}{key}", "text" + (" or null" if nullable else ""))
        return value

    def integer(self, parent: dict[str, Any], key: str, where: str, required: bool = False,
                minimum: int | None = None) -> Any:
        value = self.get(parent, key, where, required)
        if value is None and not required:
            return None
        # bool is an int in Python, but true is not a page number.
        if not isinstance(value, int) or isinstance(value, bool) or (
                minimum is not None and value < minimum):
            floor = "" if minimum is None else f" of at least {minimum}"
            raise self.invalid(f"{where}{key}", f"a whole number{floor}")
        return value

    def number(self, parent: dict[str, Any], key: str, where: str, required: bool = False) -> Any:
        value = self.get(parent, key, where, required)
        if value is None and not required:
            return None
        if not isinstance(value, int | float) or isinstance(value, bool) or not math.isfinite(value):
            raise self.invalid(f"{where}{key}", "a number")
        return float(value)

    def boolean(self, parent: dict[str, Any], key: str, where: str) -> bool:
        value = self.get(parent, key, where, required=False)
        if value is None:
            return False
        if not isinstance(value, bool):
            raise self.invalid(f"{where}{key}", "true or false")
        return value

    def moment(self, parent: dict[str, Any], key: str, where: str) -> str:
        value = self.text(parent, key, where)
        try:
            datetime.fromisoformat(value)
        except ValueError:
            raise self.invalid(f"{where}{key}", "a date and time like 2026-12-05T10:30:00+00:00") from None
        return value

    def choice(self, parent: dict[str, Any], key: str, where: str, choices: tuple[str, ...]) -> str:
        value = self.text(parent, key, where)
        if value not in choices:
            raise self.invalid(f"{where}{key}", "one of " + ", ".join(repr(c) for c in choices))
        return value


def read_location(fields: FieldReader, parent: dict[str, Any], where: str) -> Location:
    value = fields.get(parent, "location", where, required=False)
    if value is None:
        return Location()
    found = fields.mapping(value, f"{where}location")
    at = f"{where}location."
    return Location(fields.integer(found, "page", at, minimum=1),
                    fields.text(found, "section", at, required=False),
                    fields.integer(found, "line", at, minimum=1),
                    fields.number(found, "start_s", at), fields.number(found, "end_s", at))


def read_citation(fields: FieldReader, value: Any, where: str) -> ArchivedCitation:
    found = fields.mapping(value, where)
    at = f"{where}."
    document = fields.mapping(fields.get(found, "document", at, required=True), f"{at}document")
    quote = QuotedPassage(
        fields.text(document, "title", f"{at}document."),
        fields.text(found, "passage", at),
        read_location(fields, found, at),
        fields.text(document, "sha256", f"{at}document.", required=False, nullable=True),
    )
    return ArchivedCitation(fields.integer(found, "number", at, required=True, minimum=1),
                            fields.choice(found, "how", at, HOW_VALUES), quote)


def read_recall(fields: FieldReader, value: Any, where: str) -> ArchivedRecall:
    found = fields.mapping(value, where)
    at = f"{where}."
    return ArchivedRecall(
        fields.integer(found, "number", at, required=True, minimum=1),
        fields.choice(found, "kind", at, RECALL_KINDS),
        fields.text(found, "label", at),
        fields.text(found, "text", at),
        fields.text(found, "title", at, required=False) or "",
        fields.text(found, "place", at, required=False) or "",
    )


def read_word(fields: FieldReader, value: Any, where: str) -> WordTiming:
    found = fields.mapping(value, where)
    at = f"{where}."
    return WordTiming(fields.text(found, "word", at), fields.number(found, "start_s", at, True),
                      fields.number(found, "end_s", at, True), fields.number(found, "probability", at))


def read_stats(fields: FieldReader, parent: dict[str, Any], where: str) -> MessageStats:
    value = fields.get(parent, "stats", where, required=False)
    if value is None:
        return MessageStats()
    found = fields.mapping(value, f"{where}stats")
    at = f"{where}stats."
    values = {name: fields.integer(found, name, at, minimum=0) for name in STAT_INTEGERS}
    values |= {name: fields.number(found, name, at) for name in STAT_NUMBERS}
    return MessageStats(**values)


def read_message(fields: FieldReader, value: Any, where: str) -> ArchivedMessage:
    found = fields.mapping(value, where)
    at = f"{where}."
    citations = tuple(read_citation(fields, c, f"{at}citations[{i}]")
                      for i, c in enumerate(fields.items(found, "citations", at)))
    numbers = [c.number for c in citations]
    if len(set(numbers)) != len(numbers):
        raise fields.invalid(f"{at}citations", "numbered without repeats")
    recalled = tuple(read_recall(fields, r, f"{at}recalled[{i}]")
                     for i, r in enumerate(fields.items(found, "recalled", at)))
    if len({r.number for r in recalled}) != len(recalled):
        raise fields.invalid(f"{at}recalled", "numbered without repeats")
    return ArchivedMessage(
        role=fields.choice(found, "role", at, ROLES),
        content=fields.text(found, "content", at),
        created=fields.moment(found, "created", at),
        model=fields.text(found, "model", at, required=False, nullable=True),
        cut=fields.boolean(found, "cut", at),
        stats=read_stats(fields, found, at),
        words=tuple(read_word(fields, w, f"{at}words[{i}]")
                    for i, w in enumerate(fields.items(found, "words", at))),
        citations=citations,
        recalled=recalled,
    )


def read_pinned(fields: FieldReader, value: Any, where: str) -> PinnedDocument:
    found = fields.mapping(value, where)
    at = f"{where}."
    return PinnedDocument(fields.text(found, "title", at), fields.text(found, "sha256", at),
                          fields.text(found, "kind", at))


def refuse_constant(name: str) -> None:
    raise ValueError(f"{name} is not a number JSON allows")


def parse_json(data: bytes | str, source: str, limits: ArchiveLimits) -> Any:
    size = len(data.encode("utf-8") if isinstance(data, str) else data)
    if size > limits.max_bytes:
        raise ArchiveTooLarge(source, size, limits.max_bytes)
    try:
        return json.loads(data, parse_constant=refuse_constant)
    except UnicodeDecodeError:
        raise ArchiveNotJson(source, "it is not UTF-8 text") from None
    except json.JSONDecodeError as error:
        raise ArchiveNotJson(source, f"line {error.lineno}, column {error.colno}: {error.msg}") from None
    except (ValueError, RecursionError) as error:  # NaN or Infinity; nesting deeper than Python's stack
        raise ArchiveNotJson(source, str(error) or "nested too deeply") from None


def read_archive(data: bytes | str, source: str = "The file",
                 limits: ArchiveLimits = DEFAULT_LIMITS) -> ConversationArchive:
    """Parse and check a whole file; `source` names it in errors (its path, usually)."""
    fields = FieldReader(source)
    found = parse_json(data, source, limits)
    if not isinstance(found, dict) or found.get("format") != FORMAT_NAME:
        raise ArchiveWrongFormat(source, found.get("format") if isinstance(found, dict) else None)
    version = fields.integer(found, "version", "", required=True, minimum=1)
    if version > FORMAT_VERSION:
        raise ArchiveTooNew(source, version, FORMAT_VERSION)
    created = fields.moment(found, "created", "")
    messages = tuple(read_message(fields, m, f"messages[{i}]")
                     for i, m in enumerate(fields.items(found, "messages", "", required=True)))
    return ConversationArchive(
        title=fields.text(found, "title", "", required=False) or "",
        model=fields.text(found, "model", "", required=False, nullable=True),
        created=created,
        updated=fields.text(found, "updated", "", required=False) or created,
        messages=messages,
        pinned=tuple(read_pinned(fields, d, f"pinned_documents[{i}]")
                     for i, d in enumerate(fields.items(found, "pinned_documents", ""))),
        exported=fields.text(found, "exported", "", required=False) or "",
    )
