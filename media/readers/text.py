"""Plain text: find the encoding (a byte-order mark, then strict UTF-8, then charset-normalizer's guess
for legacy encodings such as cp1252 or Shift-JIS), refuse binary data, and cut the lines into passages
at blank lines, each with the number of its first line. Markdown and HTML decode through here too."""

from __future__ import annotations

import codecs
from pathlib import Path

import charset_normalizer

from media.document import DocumentText, Location, Passage
from media.errors import NotText
from media.readers import ReadJob, clean_line, normalise_newlines, pack_lines

# Longest first: the UTF-32 little-endian mark begins with the UTF-16 one.
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
# Text has almost no control characters besides tabs and line breaks; binary data decoded by a
# permissive single-byte codec has plenty.
_MAX_CONTROL_SHARE = 0.01
_TEXT_CONTROLS = frozenset("\t\n\r\f\v\x1a")


def decode_text(path: Path, data: bytes, declared: str | None = None) -> str:
    """The text of `data`; `declared` is an encoding the file names itself (an HTML meta charset)."""
    for bom, codec in _BOMS:
        if data.startswith(bom):
            return data.decode(codec, errors="replace")
    if b"\x00" in data:
        raise NotText(path)
    text = _decode_declared(data, declared) if declared else None
    if text is None:
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            text = _decode_guessed(path, data)
    if _looks_binary(text):
        raise NotText(path)
    return text


def _decode_declared(data: bytes, declared: str) -> str | None:
    try:
        return data.decode(declared)
    except (LookupError, UnicodeDecodeError):
        return None


def _decode_guessed(path: Path, data: bytes) -> str:
    matches = charset_normalizer.from_bytes(data)
    best = matches.best()
    if best is None:
        raise NotText(path)
    # Short Western text often reads equally well as cp1250, cp1252 and cp1257, and charset-normalizer
    # then names the first; cp1252 is by far the likeliest of them on a person's computer.
    for match in matches:
        if match.encoding == "cp1252" and match.chaos <= best.chaos and match.coherence >= best.coherence:
            return str(match)
    return str(best)


def _looks_binary(text: str) -> bool:
    sample = text[:65536]
    controls = sum(1 for char in sample if char < " " and char not in _TEXT_CONTROLS)
    return controls > _MAX_CONTROL_SHARE * max(len(sample), 1)


def read_text_file(job: ReadJob) -> str:
    """The job's file decoded, with every line break made "\\n" (the file's line numbers stay right)."""
    data = job.read_bytes(min(job.limits.max_text_file_bytes, job.limits.max_file_bytes))
    job.report(0.3, "decoding")
    return normalise_newlines(decode_text(job.path, data))


def read_text(job: ReadJob) -> DocumentText:
    lines = [clean_line(line, keep_indent=True) for line in read_text_file(job).split("\n")]
    job.report(0.7, "splitting into passages")
    passages = [Passage(text, Location(line=number)) for number, text in pack_lines(lines)]
    return DocumentText(title=job.path.stem, kind="text", passages=passages)
