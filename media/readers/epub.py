"""EPUB books read straight from the zip once it has passed its checks: container → package → spine,
chapters in reading order, each titled from the table of contents (the EPUB 3 navigation page, else the
EPUB 2 NCX), else its first heading, else its file name; the XHTML turned to text by the HTML reader.

Not ebooklib: it is AGPL-licensed (the reason PyMuPDF is not used for PDF either) and loads every item
of a book, images included, into memory at once; this reads one chapter at a time."""

from __future__ import annotations

import posixpath
import re
import zipfile
import zlib
from dataclasses import dataclass
from typing import NamedTuple
from urllib.parse import unquote

from lxml import etree

from media.document import DocumentText
from media.errors import DamagedDocument, EncryptedDocument
from media.readers import ReadJob, Section, clean_line, describe, normalise_newlines, section_passages
from media.readers.archive import check_zip
from media.readers.html import html_blocks, parse_html
from media.readers.text import decode_text

_CONTAINER = "META-INF/container.xml"
_ENCRYPTION = "META-INF/encryption.xml"
_DOCUMENT_TYPES = frozenset({"application/xhtml+xml", "text/html"})
# Package files are XML from an untrusted source: no DTDs, no entities, no network.
_XML = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, remove_comments=True)
# Fonts may be obfuscated (the IDPF and Adobe schemes) in books without DRM; encrypted chapters mean DRM.
_ENCRYPTED_CHAPTER = re.compile(rb"""URI\s*=\s*["'][^"']*\.(x?html?|xml)["']""", re.IGNORECASE)


@dataclass(frozen=True)
class Package:
    """What the package file says: paths are names inside the zip."""

    title: str | None
    chapters: list[str]  # the spine's documents in reading order
    nav: str | None  # the EPUB 3 navigation page
    ncx: str | None  # the EPUB 2 table of contents


class TocEntry(NamedTuple):
    name: str  # the file in the zip
    fragment: bool  # whether it points inside the file rather than at its start
    title: str


def zip_path(base: str, href: str) -> str:
    """The zip name that `href`, written in the file `base`, points to (a #fragment is dropped)."""
    return posixpath.normpath(posixpath.join(posixpath.dirname(base), unquote(href.split("#", 1)[0])))


def _member(job: ReadJob, archive: zipfile.ZipFile, name: str) -> bytes:
    try:
        return archive.read(name)
    except KeyError as error:
        raise DamagedDocument(job.path, f"{name} is missing from it") from error
    except (zipfile.BadZipFile, zlib.error, EOFError) as error:
        raise DamagedDocument(job.path, f"{name} cannot be unpacked: {describe(error)}") from error


def _xml(job: ReadJob, archive: zipfile.ZipFile, name: str) -> etree._Element:
    try:
        return etree.fromstring(_member(job, archive, name), _XML)
    except etree.XMLSyntaxError as error:
        raise DamagedDocument(job.path, f"{name} is not well-formed XML: {describe(error)}") from error


def read_package(job: ReadJob, archive: zipfile.ZipFile) -> Package:
    rootfile = _xml(job, archive, _CONTAINER).find(".//{*}rootfile")
    opf = rootfile.get("full-path") if rootfile is not None else None
    if not opf:
        raise DamagedDocument(job.path, f"its {_CONTAINER} names no package file")
    package = _xml(job, archive, opf)
    items = {item.get("id"): item for item in package.iterfind("{*}manifest/{*}item")}
    spine = package.find("{*}spine")
    if spine is None:
        raise DamagedDocument(job.path, f"its package file {opf} has no spine (reading order)")
    refs = [items.get(ref.get("idref")) for ref in spine.iterfind("{*}itemref")]
    chapters = [
        zip_path(opf, item.get("href", ""))
        for item in refs
        if item is not None and item.get("media-type") in _DOCUMENT_TYPES and not _is_nav(item)
    ]
    nav = next((zip_path(opf, item.get("href", "")) for item in items.values() if _is_nav(item)), None)
    ncx_item = items.get(spine.get("toc"))
    ncx = zip_path(opf, ncx_item.get("href", "")) if ncx_item is not None else None
    titles = (clean_line(node.text or "") for node in package.iterfind("{*}metadata/{*}title"))
    return Package(next((title for title in titles if title), None), chapters, nav, ncx)


def _is_nav(item: etree._Element) -> bool:
    # The EPUB 3 navigation page lists the chapters' titles: it is not part of the text.
    return "nav" in (item.get("properties") or "").split()


def _nav_entries(job: ReadJob, archive: zipfile.ZipFile, nav: str) -> list[TocEntry]:
    page = parse_html(normalise_newlines(decode_text(job.path, _member(job, archive, nav))), job.path)
    navs = page.css("nav")
    tocs = [node for node in navs if node.attributes.get("epub:type") == "toc"] or navs[:1]
    return [
        TocEntry(zip_path(nav, href), "#" in href, clean_line(link.text().replace("\n", " ")))
        for link in (link for toc in tocs for link in toc.css("a[href]"))
        if (href := link.attributes.get("href") or "")
    ]


def _ncx_entries(job: ReadJob, archive: zipfile.ZipFile, ncx: str) -> list[TocEntry]:
    entries = []
    for point in _xml(job, archive, ncx).iter("{*}navPoint"):  # depth-first: document order
        label, content = point.find("{*}navLabel/{*}text"), point.find("{*}content")
        href = content.get("src", "") if content is not None else ""
        if href and label is not None:
            entries.append(TocEntry(zip_path(ncx, href), "#" in href, clean_line(label.text or "")))
    return entries


def chapter_titles(entries: list[TocEntry]) -> dict[str, str]:
    """Each chapter file's title from the table of contents, whose entries come in document order.

    An entry for the start of a file names it, the deepest such entry winning: a part's entry points
    at the file of its first chapter, and that chapter's own entry comes after it. An entry for a place
    inside a file (a #fragment) names the file only when no entry is for its start."""
    starts: dict[str, str] = {}
    inside: dict[str, str] = {}
    for entry in entries:
        if entry.title and entry.fragment:
            inside.setdefault(entry.name, entry.title)
        elif entry.title:
            starts[entry.name] = entry.title
    return {**inside, **starts}


def toc_titles(job: ReadJob, archive: zipfile.ZipFile, package: Package) -> dict[str, str]:
    entries = _nav_entries(job, archive, package.nav) if package.nav else []
    if not entries and package.ncx:
        entries = _ncx_entries(job, archive, package.ncx)
    return chapter_titles(entries)


def _chapter(job: ReadJob, archive: zipfile.ZipFile, name: str, titles: dict[str, str]) -> Section:
    text = normalise_newlines(decode_text(job.path, _member(job, archive, name)))
    blocks = html_blocks(parse_html(text, job.path))
    title = titles.get(name) or next((block.text for block in blocks if block.level is not None), None)
    return Section(title or posixpath.splitext(posixpath.basename(name))[0], [block.text for block in blocks])


def _refuse_drm(job: ReadJob, archive: zipfile.ZipFile) -> None:
    if _ENCRYPTION in archive.namelist() and _ENCRYPTED_CHAPTER.search(_member(job, archive, _ENCRYPTION)):
        what = "is locked with DRM (its chapters are encrypted)"
        raise EncryptedDocument(job.path, what, "Longwit can only read books without DRM")


def read_epub(job: ReadJob) -> DocumentText:
    check_zip(job, "EPUB")
    with zipfile.ZipFile(job.path) as archive:
        _refuse_drm(job, archive)
        package = read_package(job, archive)
        titles = toc_titles(job, archive, package)
        chapters = []
        for index, name in enumerate(package.chapters):
            job.report(index / len(package.chapters), f"chapter {index + 1} of {len(package.chapters)}")
            chapters.append(_chapter(job, archive, name, titles))
    title = package.title or job.path.stem
    return DocumentText(title=title, kind="epub", passages=section_passages(chapters))
