"""Where a passage sits in its document: page, section, line or time. Stored with every chunk,
printed in citations, and used by the app to open the document at the right place."""

from __future__ import annotations

from dataclasses import dataclass


def clock(seconds: float) -> str:
    whole = int(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


@dataclass(frozen=True)
class Location:
    """Where a passage sits in its document; only the fields that make sense for its type are set."""

    page: int | None = None  # 1-based page (PDF)
    section: str | None = None  # chapter or heading title (EPUB, DOCX, HTML, Markdown)
    line: int | None = None  # 1-based first line (plain text, Markdown)
    start_s: float | None = None  # audio and video: start and end time in seconds
    end_s: float | None = None

    def label(self) -> str:
        """A short human label: "p. 12", "§ Chapter 3", "line 40", "1:23–1:30"."""
        parts = []
        if self.page is not None:
            parts.append(f"p. {self.page}")
        if self.section:
            parts.append(f"§ {self.section}")
        if self.line is not None and self.page is None:
            parts.append(f"line {self.line}")
        if self.start_s is not None:
            end = f"–{clock(self.end_s)}" if self.end_s is not None else ""
            parts.append(f"{clock(self.start_s)}{end}")
        return ", ".join(parts) or "start"
