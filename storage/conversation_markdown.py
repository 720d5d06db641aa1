"""A conversation as Markdown for people: the title and dates, each message under its role and time,
and under each answer its sources with the document, the place and the cited passage quoted, and
the earlier messages and passages recall brought into it, quoted too.

Sources are a list under each answer rather than Markdown footnotes: the answers' own marks are
`[1]`, `[2]` and every answer numbers from 1, while footnote labels are shared by the whole file.
"""

from __future__ import annotations

from datetime import UTC, datetime

from storage.conversation_archive import (
    ArchivedCitation,
    ArchivedMessage,
    ArchivedRecall,
    ConversationArchive,
)

ROLE_NAMES = {"user": "You", "assistant": "Longwit", "system": "System"}
HOW_NOTES = {"cited": "", "matched": " (matched by wording)", "closest": " (the closest passage)"}


def when(stamp: str) -> str:
    """"2026-12-05 10:30 UTC" from a stored ISO time; the stored text itself if it is not one."""
    try:
        moment = datetime.fromisoformat(stamp)
    except ValueError:
        return stamp
    if moment.tzinfo is not None:
        return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
    return moment.strftime("%Y-%m-%d %H:%M")


def quoted(text: str, indent: str) -> str:
    return "\n".join(f"{indent}> {line}".rstrip() for line in text.strip().splitlines())


def source_lines(citation: ArchivedCitation) -> str:
    quote = citation.quote
    head = (f"- [{citation.number}] **{quote.document_title}**, {quote.location.label()}"
            f"{HOW_NOTES.get(citation.how, '')}")
    return f"{head}\n\n{quoted(quote.text, '  ')}"


def recalled_lines(recall: ArchivedRecall) -> str:
    return f"- (recalled {recall.number}) {recall.label}\n\n{quoted(recall.text, '  ')}"


def message_block(message: ArchivedMessage) -> str:
    parts = [ROLE_NAMES.get(message.role, message.role.title()), when(message.created)]
    if message.model and message.role == "assistant":
        parts.append(message.model)
    if message.words:
        parts.append("spoken")
    if message.cut:
        parts.append("stopped before the end")
    block = f"## {' · '.join(parts)}\n\n{message.content.strip()}"
    if message.citations:
        sources = "\n\n".join(source_lines(c) for c in message.citations)
        block += f"\n\n**Sources**\n\n{sources}"
    if message.recalled:
        recalled = "\n\n".join(recalled_lines(r) for r in message.recalled)
        block += f"\n\n**Recalled from earlier**\n\n{recalled}"
    return block


def archive_markdown(archive: ConversationArchive) -> str:
    header = [f"# {archive.title or 'Untitled conversation'}"]
    header.append(f"Started {when(archive.created)}, exported from Longwit {when(archive.exported)}.")
    if archive.pinned:
        header.append("Documents: " + ", ".join(f"*{d.title}*" for d in archive.pinned) + ".")
    blocks = ["\n\n".join(header), *(message_block(m) for m in archive.messages)]
    return "\n\n---\n\n".join(blocks) + "\n"
