"""Every bad file is refused with the right DocumentError, one line naming the file: missing, empty,
unsupported, locked, damaged, binary, oversized (judged before a byte is read), zip bombs; a set
cancel stops any reader before it starts."""

from __future__ import annotations

import threading
import time
import zipfile
from pathlib import Path

import pytest

from media.errors import (
    DamagedDocument,
    DocumentError,
    DocumentFileMissing,
    DocumentTooLarge,
    DocumentUnreadable,
    EmptyDocument,
    EncryptedDocument,
    NotText,
    ReadCancelled,
    SuspiciousArchive,
    UnsupportedDocument,
)
from media.read_document import ReadLimits, read_document
from tests.media.conftest import zip_with_zeros


def refused(path: Path, error: type[DocumentError], limits: ReadLimits | None = None) -> str:
    """The message read_document gives for `path`, checked to be one line that names the file."""
    with pytest.raises(error) as caught:
        read_document(path, limits or ReadLimits())
    message = str(caught.value)
    assert type(caught.value) is error
    assert path.name in message and "\n" not in message
    return message


def test_an_unsupported_type_lists_the_supported_ones(tmp_path: Path) -> None:
    path = tmp_path / "drawing.xyz"
    path.write_bytes(b"whatever")
    message = refused(path, UnsupportedDocument)
    assert ".xyz" in message and ".pdf" in message and ".docx" in message


def test_missing_files_and_folders(tmp_path: Path) -> None:
    refused(tmp_path / "nowhere.pdf", DocumentFileMissing)
    (tmp_path / "folder.txt").mkdir()
    assert "folder" in refused(tmp_path / "folder.txt", DocumentUnreadable)


@pytest.mark.parametrize(
    "name", ["empty.pdf", "empty.docx", "empty.epub", "empty.txt", "empty.md", "empty.wav"]
)
def test_an_empty_file_is_empty_whatever_its_type(tmp_path: Path, name: str) -> None:
    (tmp_path / name).write_bytes(b"")
    assert "0 bytes" in refused(tmp_path / name, EmptyDocument)


def test_text_with_only_blank_lines_is_empty(tmp_path: Path) -> None:
    (tmp_path / "blank.txt").write_text("  \n\n \t\n")
    refused(tmp_path / "blank.txt", EmptyDocument)


def test_pdf_locked_damaged_scanned_or_not_a_pdf(
    tmp_path: Path, encrypted_pdf: Path, damaged_pdf: Path, scanned_pdf: Path
) -> None:
    assert "password" in refused(encrypted_pdf, EncryptedDocument)
    refused(damaged_pdf, DamagedDocument)
    assert "no text layer and OCR found no text" in refused(scanned_pdf, EmptyDocument)
    (tmp_path / "notes.pdf").write_text("just some notes\n")
    assert "PDF header" in refused(tmp_path / "notes.pdf", DamagedDocument)


def test_docx_that_is_not_a_zip_or_not_word(tmp_path: Path) -> None:
    (tmp_path / "text.docx").write_text("plain text, not a zip")
    refused(tmp_path / "text.docx", DamagedDocument)
    with zipfile.ZipFile(tmp_path / "other.docx", "w") as archive:
        archive.writestr("readme.txt", "a zip, but not a Word document")
    refused(tmp_path / "other.docx", DamagedDocument)
    (tmp_path / "old.docx").write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(600))
    assert "password" in refused(tmp_path / "old.docx", EncryptedDocument)


def test_zip_bombs_are_refused_from_the_directory_alone(tmp_path: Path) -> None:
    started = time.perf_counter()
    docx_bomb = zip_with_zeros(tmp_path / "bomb.docx", "word/document.xml", 600)
    epub_bomb = zip_with_zeros(tmp_path / "bomb.epub", "OEBPS/chapter.xhtml", 50)
    built = time.perf_counter()
    assert docx_bomb.stat().st_size < 4 * 2**20
    assert "document.xml" in refused(docx_bomb, SuspiciousArchive)
    refused(epub_bomb, SuspiciousArchive)
    assert time.perf_counter() - built < 0.5, "the check must not inflate anything"
    assert built - started < 10


def test_too_many_unpacked_bytes_or_members(tmp_path: Path, report_docx: Path, book_epub: Path) -> None:
    small = ReadLimits(max_unpacked_bytes=2_000)
    assert "unpacks to" in refused(report_docx, DocumentTooLarge, small)
    refused(book_epub, DocumentTooLarge, small)
    with zipfile.ZipFile(tmp_path / "many.epub", "w") as archive:
        for n in range(10_001):
            archive.writestr(f"f{n}", b"")
    assert "10,001 files" in refused(tmp_path / "many.epub", SuspiciousArchive)


def test_epub_damaged_or_locked_with_drm(tmp_path: Path, book_epub: Path) -> None:
    (tmp_path / "book.epub").write_bytes(b"PK\x03\x04 but cut short")
    refused(tmp_path / "book.epub", DamagedDocument)
    with zipfile.ZipFile(tmp_path / "bare.epub", "w") as archive:
        archive.writestr("mimetype", "application/epub+zip")
    assert "container.xml is missing" in refused(tmp_path / "bare.epub", DamagedDocument)
    locked = tmp_path / "locked.epub"
    with zipfile.ZipFile(book_epub) as source, zipfile.ZipFile(locked, "w") as target:
        for item in source.infolist():
            target.writestr(item, source.read(item))
        target.writestr(
            "META-INF/encryption.xml",
            '<encryption><EncryptedData><CipherData><CipherReference URI="EPUB/arrival.xhtml"/>'
            "</CipherData></EncryptedData></encryption>",
        )
    assert "DRM" in refused(locked, EncryptedDocument)


def test_binary_data_under_a_text_name(tmp_path: Path) -> None:
    png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 8
    for name in ("picture.txt", "picture.md", "picture.html"):
        (tmp_path / name).write_bytes(png)
        refused(tmp_path / name, NotText)
    (tmp_path / "noise.txt").write_bytes(bytes(range(1, 32)) * 64)  # no NUL, still not text
    refused(tmp_path / "noise.txt", NotText)


def test_size_limits_are_applied_from_the_size_alone(tmp_path: Path, report_pdf: Path) -> None:
    (tmp_path / "long.txt").write_text("line of text\n" * 200)
    assert "limit" in refused(tmp_path / "long.txt", DocumentTooLarge, ReadLimits(max_text_file_bytes=1000))
    refused(report_pdf, DocumentTooLarge, ReadLimits(max_file_bytes=1000))
    sparse = tmp_path / "huge.txt"
    with sparse.open("wb") as file:
        file.truncate(2**30)  # 1 GiB that takes no disk and no time to make
    started = time.perf_counter()
    assert "1,024 MB" in refused(sparse, DocumentTooLarge)
    assert time.perf_counter() - started < 0.5


@pytest.mark.parametrize(
    "fixture", ["report_pdf", "report_docx", "book_epub", "page_html", "notes_md", "silence_wav"]
)
def test_a_cancel_set_beforehand_stops_every_reader(request: pytest.FixtureRequest, fixture: str) -> None:
    path: Path = request.getfixturevalue(fixture)
    cancel = threading.Event()
    cancel.set()
    heard: list[str] = []
    with pytest.raises(ReadCancelled, match=path.name):
        read_document(path, progress=lambda _fraction, what: heard.append(what), cancel=cancel)
    assert heard == []
