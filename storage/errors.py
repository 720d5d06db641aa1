"""Storage errors whose messages tell a person what happened and what to do."""

from __future__ import annotations

from pathlib import Path


class StorageError(Exception):
    """Base class: something is wrong with Longwit's database."""


class DatabaseLocked(StorageError):
    def __init__(self, path: Path) -> None:
        super().__init__(
            f"The database {path} is locked by another program; "
            "close the other Longwit window or command and try again."
        )


class DatabaseReadOnly(StorageError):
    def __init__(self, path: Path) -> None:
        super().__init__(
            f"The database {path} is read-only; give your user write access to it and its folder, "
            "or set LONGWIT_HOME to a folder you can write to."
        )


class DatabaseUnusable(StorageError):
    def __init__(self, path: Path, reason: str) -> None:
        super().__init__(
            f"The database {path} cannot be used ({reason}); "
            "move it aside to start a new one, or restore it from a backup."
        )


class ConversationNotFound(StorageError):
    def __init__(self, conversation_id: int) -> None:
        super().__init__(
            f"There is no conversation {conversation_id}; `longwit history` lists the ones there are."
        )


class DocumentNotFound(StorageError):
    def __init__(self, document_id: int) -> None:
        super().__init__(
            f"There is no document {document_id}; `longwit docs list` lists the ones there are."
        )


class WatchedFolderNotFound(StorageError):
    def __init__(self, folder: object) -> None:
        super().__init__(
            f"No watched folder is {folder}; `longwit docs folders list` lists the ones there are."
        )


class DocumentAlreadyStored(StorageError):
    """The same bytes (by SHA-256) are already stored: a document is kept once."""

    def __init__(self, document_id: int) -> None:
        self.document_id = document_id
        super().__init__(f"This document is already stored as #{document_id}.")


class ArchiveError(StorageError):
    """A conversation file cannot be exported or imported; nothing in the database was changed."""


REEXPORT = ("correct it, or export the conversation again with `longwit export ID --format json` "
            "(or Export conversation… in the window)")


class ArchiveTooLarge(ArchiveError):
    def __init__(self, source: str, size: int, limit: int) -> None:
        super().__init__(
            f"{source} is {size / 2**20:.1f} MB, more than the {limit / 2**20:.0f} MB a conversation "
            "file may be; check that it is the file you meant to import."
        )


class ArchiveNotJson(ArchiveError):
    def __init__(self, source: str, reason: str) -> None:
        super().__init__(
            f"{source} is not a JSON file ({reason}); import a file written by Longwit's JSON "
            "export, not its Markdown one."
        )


class ArchiveWrongFormat(ArchiveError):
    def __init__(self, source: str, found: object) -> None:
        what = "it names no format" if found is None else f"its format is {found!r}"
        super().__init__(
            f"{source} is not a Longwit conversation ({what}, where Longwit writes "
            "'longwit-conversation'); import a file written by Longwit's JSON export."
        )


class ArchiveTooNew(ArchiveError):
    def __init__(self, source: str, version: int, supported: int) -> None:
        super().__init__(
            f"{source} was written by a newer Longwit (format version {version}; this one reads up "
            f"to {supported}); update Longwit to import it."
        )


class ArchiveFieldMissing(ArchiveError):
    def __init__(self, source: str, field: str) -> None:
        self.field = field
        super().__init__(f"{source} is not a complete Longwit conversation: {field} is missing; "
                         f"{REEXPORT}.")


class ArchiveFieldInvalid(ArchiveError):
    def __init__(self, source: str, field: str, expected: str) -> None:
        self.field = field
        super().__init__(f"{source} is not a valid Longwit conversation: {field} should be "
                         f"{expected}; {REEXPORT}.")


class ArchiveUnreadable(ArchiveError):
    def __init__(self, path: object, reason: str) -> None:
        super().__init__(f"{path} cannot be read ({reason}); check the name and that you may read it.")


class ExportNotWritten(ArchiveError):
    def __init__(self, path: object, reason: str) -> None:
        super().__init__(
            f"The conversation could not be written to {path} ({reason}); choose a folder you can "
            "write to, with room on its disk."
        )


class MemoryNotFound(StorageError):
    def __init__(self, memory_id: int) -> None:
        super().__init__(
            f"There is no memory {memory_id}; `longwit memory list --all` lists the ones there are."
        )


class MemoryEmpty(StorageError):
    def __init__(self) -> None:
        super().__init__("A memory needs some text; write the fact to remember.")


class MemoryNotProposed(StorageError):
    """Only a proposal can be rejected: an accepted memory is forgotten instead."""

    def __init__(self, memory_id: int, status: str) -> None:
        super().__init__(
            f"Memory {memory_id} is {status}, not proposed; `longwit memory forget {memory_id}` "
            "deletes it."
        )
