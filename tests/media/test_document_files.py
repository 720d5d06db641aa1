"""The evaluation's files, written in each format, read back through the app's own readers."""

from __future__ import annotations

from pathlib import Path

import pytest

from media.document_files import FORMATS, Chapter, latin1, unicode_font, write_document
from media.read_document import read_document

CHAPTERS = [
    Chapter("Early life", ("Frédéric Chopin was born in Żelazowa Wola in 1810.",
                           "His father, Nicolas, was French.")),
    Chapter("Paris", ("In 1831 he settled in Paris, where he taught the piano.",)),
]


@pytest.mark.parametrize("suffix", FORMATS)
def test_each_format_reads_back_with_its_paragraphs(tmp_path: Path, suffix: str) -> None:
    path = write_document(tmp_path / f"chopin.{suffix}", "Chopin", CHAPTERS)
    text = " ".join(read_document(path).text.split())
    # Without a Unicode font on the machine, the PDF carries the Latin-1 letters ("Z" for "Ż").
    plain = suffix == "pdf" and unicode_font() is None
    for chapter in CHAPTERS:
        for paragraph in chapter.paragraphs:
            assert (latin1(paragraph) if plain else paragraph) in text


def test_an_unknown_suffix_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="no writer"):
        write_document(tmp_path / "chopin.rtf", "Chopin", CHAPTERS)


def test_latin1_fallback_keeps_letters_without_their_marks() -> None:
    assert latin1("Żelazowa Wola, Frédéric, 北京") == "Zelazowa Wola, Frédéric, "
