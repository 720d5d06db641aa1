"""Word documents (.docx) with python-docx, once the zip has passed its checks: body paragraphs and
tables in document order, grouped into sections at Heading 1–3 (and Title) paragraphs."""

from __future__ import annotations

import re

import docx
from docx.document import Document
from docx.table import Table
from docx.text.paragraph import Paragraph

from media.document import DocumentText
from media.errors import DamagedDocument, EncryptedDocument
from media.readers import ReadJob, Section, clean_line, clean_text, describe, section_passages
from media.readers.archive import check_zip

SECTION_LEVELS = 3  # Heading 1–3 start a section; deeper headings stay inside it
# Word saves a password-protected .docx (and old .doc files) as an OLE compound file, not a zip.
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_HEADING_STYLE = re.compile(r"heading (\d)", re.IGNORECASE)


def _refuse_ole(job: ReadJob) -> None:
    with job.path.open("rb") as file:
        if file.read(len(_OLE_MAGIC)) == _OLE_MAGIC:
            raise EncryptedDocument(
                job.path,
                "is password-protected or is an old Word 97–2003 file",
                "save it from Word as a .docx without a password and add that instead",
            )


def _open(job: ReadJob) -> Document:
    try:
        return docx.Document(str(job.path))
    except Exception as error:  # python-docx raises KeyError, lxml and its own errors alike
        raise DamagedDocument(job.path, f"it is not a readable Word document: {describe(error)}") from error


def heading_level(paragraph: Paragraph) -> int | None:
    """1–9 for a heading (its style or the style it is based on), 1 for Title, else None."""
    style = paragraph.style
    while style is not None:
        name = style.name or ""
        if name.lower() == "title":
            return 1
        match = _HEADING_STYLE.fullmatch(name)
        if match:
            return int(match.group(1))
        style = style.base_style
    return None


def table_rows(table: Table) -> list[str]:
    """Each row as "cell | cell"; a merged cell appears once, though python-docx repeats it."""
    rows = []
    for row in table.rows:
        seen: list[object] = []  # the cells' XML elements, compared by identity
        cells = []
        for cell in row.cells:
            if any(cell._tc is element for element in seen):
                continue
            seen.append(cell._tc)
            text = clean_line(cell.text.replace("\n", " "))
            if text:
                cells.append(text)
        if cells:
            rows.append(" | ".join(cells))
    return rows


def _sections(job: ReadJob, document: Document) -> list[Section]:
    sections = [Section(None, [])]
    items = list(document.iter_inner_content())
    for index, item in enumerate(items):
        if index % 50 == 0:
            job.report(index / len(items), f"paragraph {index + 1} of {len(items)}")
        if isinstance(item, Table):
            sections[-1].paragraphs.extend(table_rows(item))
            continue
        text = clean_text(item.text)
        if not text:
            continue
        level = heading_level(item)
        if level is not None and level <= SECTION_LEVELS:
            sections.append(Section(text.replace("\n", " "), []))
        sections[-1].paragraphs.append(text)
    return [section for section in sections if section.paragraphs]


def read_docx(job: ReadJob) -> DocumentText:
    _refuse_ole(job)
    check_zip(job, "Word (.docx)")
    document = _open(job)
    title = clean_line(document.core_properties.title or "") or job.path.stem
    return DocumentText(title=title, kind="docx", passages=section_passages(_sections(job, document)))
