"""What a document reader produces: the text of a document as passages, each with the place it
came from (page, section, line or time), so that an answer can cite the place and the app can open it."""

from __future__ import annotations

from dataclasses import dataclass, field

from storage.locations import Location, clock

__all__ = ["DocumentText", "Location", "Passage", "clock"]


@dataclass(frozen=True)
class Passage:
    """A run of text from one place: a PDF page, a section's paragraphs, a block of lines, a
    transcribed segment. Readers keep passages in document order."""

    text: str
    location: Location


@dataclass(frozen=True)
class DocumentText:
    title: str
    kind: str  # "pdf", "docx", "epub", "html", "markdown", "text", "audio"
    passages: list[Passage] = field(default_factory=list)

    @property
    def text(self) -> str:
        return "\n\n".join(passage.text for passage in self.passages)

    @property
    def char_count(self) -> int:
        return sum(len(passage.text) for passage in self.passages)
