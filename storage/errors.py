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


class DocumentAlreadyStored(StorageError):
    """The same bytes (by SHA-256) are already stored: a document is kept once."""

    def __init__(self, document_id: int) -> None:
        self.document_id = document_id
        super().__init__(f"This document is already stored as #{document_id}.")
