"""Checks on zip-based documents (DOCX, EPUB) made from the archive's directory alone, before any
library unpacks a byte: too many members, a member that inflates suspiciously (a zip bomb), more
unpacked data than the limit, zip-level encryption.

The sizes in the directory can be trusted as an upper bound: Python's zipfile stops inflating a
member at its declared size, so a member that lies about its size cannot unpack to more."""

from __future__ import annotations

import zipfile

from media.errors import (
    RAISE_LIMIT,
    DamagedDocument,
    DocumentTooLarge,
    EncryptedDocument,
    SuspiciousArchive,
    size_text,
)
from media.readers import ReadJob, describe

MAX_MEMBERS = 10_000
# A small member may compress far better than the ratio limit (a few KB of repeated XML) and is
# harmless however well it compresses; the ratio is only checked for members bigger than this.
RATIO_CHECK_FROM_BYTES = 2**20


def check_zip(job: ReadJob, what: str) -> list[zipfile.ZipInfo]:
    """The archive's members, once its directory has passed every check; `what` names the format."""
    path = job.path
    try:
        if not zipfile.is_zipfile(path):
            raise DamagedDocument(path, f"it is not a zip archive, as every {what} file is")
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError) as error:
        raise DamagedDocument(path, f"its zip directory cannot be read: {describe(error)}") from error
    if len(members) > MAX_MEMBERS:
        raise SuspiciousArchive(path, f"{len(members):,} files inside, the limit is {MAX_MEMBERS:,}")
    for member in members:
        _check_member(job, member)
    unpacked = sum(member.file_size for member in members)
    if unpacked > job.limits.max_unpacked_bytes:
        raise DocumentTooLarge(
            path,
            f"it unpacks to {size_text(unpacked)}, the limit is {size_text(job.limits.max_unpacked_bytes)}",
            f"split it into smaller files, {RAISE_LIMIT}",
        )
    return members


def _check_member(job: ReadJob, member: zipfile.ZipInfo) -> None:
    if member.flag_bits & 0x1:
        raise EncryptedDocument(job.path, f"is an encrypted archive ({member.filename} needs a password)")
    if member.file_size <= RATIO_CHECK_FROM_BYTES:
        return
    ratio = member.file_size / max(member.compress_size, 1)
    if ratio > job.limits.max_compression_ratio:
        raise SuspiciousArchive(
            job.path,
            f"{member.filename} would inflate {ratio:,.0f} times to {size_text(member.file_size)}, "
            f"the limit is {job.limits.max_compression_ratio:,.0f} times",
        )
