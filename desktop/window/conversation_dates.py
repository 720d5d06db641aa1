"""How the conversation list groups its rows by when they were last used (Today, Yesterday, Previous 7
days, Previous 30 days, then one group per month), and the one-line preview under each title. Plain
functions of the stored values and the clock, with no Qt, so they are tested on fixed dates."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date, datetime

from storage import Conversation

TODAY, YESTERDAY, WEEK, MONTH = "Today", "Yesterday", "Previous 7 days", "Previous 30 days"
PREVIEW_CHARS = 120
# Markdown marks that would only be noise in a one-line preview: fences, headings, emphasis, quotes,
# list bullets and the brackets of links.
MARKDOWN_NOISE = re.compile(r"```\w*|`|^#{1,6}\s+|\*\*|__|^\s*>\s?|^\s*[-*+]\s+|[\[\]]", re.MULTILINE)


def local_day(stamp: str) -> date | None:
    """The person's calendar day of a stored ISO timestamp (stored in UTC), or None if unreadable."""
    try:
        moment = datetime.fromisoformat(stamp)
    except ValueError:
        return None
    return moment.astimezone().date() if moment.tzinfo else moment.date()


def date_group(stamp: str, today: date) -> str:
    """The header a conversation last used at `stamp` falls under, seen on `today`."""
    day = local_day(stamp)
    if day is None:
        return "Older"
    age = (today - day).days
    if age <= 0:
        return TODAY  # and a clock that ran ahead
    if age == 1:
        return YESTERDAY
    if age <= 7:
        return WEEK
    if age <= 30:
        return MONTH
    return f"{day:%B %Y}"


def grouped(conversations: Iterable[Conversation], today: date) -> list[tuple[str, list[Conversation]]]:
    """(header, conversations) in the order given (most recent first), one group per header."""
    groups: list[tuple[str, list[Conversation]]] = []
    for conversation in conversations:
        header = date_group(conversation.updated, today)
        if not groups or groups[-1][0] != header:
            groups.append((header, []))
        groups[-1][1].append(conversation)
    return groups


def preview_line(text: str) -> str:
    """A message as one short line: Markdown marks dropped, whitespace folded, cut with an ellipsis."""
    line = " ".join(MARKDOWN_NOISE.sub("", text).split())
    return line if len(line) <= PREVIEW_CHARS else line[: PREVIEW_CHARS - 1].rstrip() + "…"
