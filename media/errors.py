"""Errors from reading a document, each a one-line message that names the file, says what is wrong with
it and what to do; the command line prints it as a line and the window shows it as a banner."""

from __future__ import annotations

from pathlib import Path


def size_text(size: float) -> str:
    """A byte count as people read it: "3.1 KB", "600 MB"."""
    if size >= 2**20:
        return f"{size / 2**20:,.0f} MB"
    return f"{size / 2**10:,.1f} KB" if size >= 2**10 else f"{size:,.0f} bytes"


class DocumentError(Exception):
    """Base class: a document could not be read into text."""

    def __init__(self, path: Path, message: str) -> None:
        super().__init__(message)
        self.path = path


class DocumentFileMissing(DocumentError):
    def __init__(self, path: Path) -> None:
        super().__init__(path, f"There is no file at {path}; check the path and try again.")


class DocumentUnreadable(DocumentError):
    def __init__(self, path: Path, reason: str) -> None:
        super().__init__(
            path, f"{path} could not be opened ({reason}); check that it is a file you may read."
        )


class UnsupportedDocument(DocumentError):
    def __init__(self, path: Path, supported: list[str]) -> None:
        kind = f"{path.suffix} files" if path.suffix else "files without a suffix"
        super().__init__(
            path,
            f"{path.name}: Longwit cannot read {kind}; convert it to one of {', '.join(supported)}.",
        )


class EmptyDocument(DocumentError):
    def __init__(self, path: Path, reason: str = "it is empty") -> None:
        super().__init__(path, f"{path.name} has no text to read: {reason}.")


class EncryptedDocument(DocumentError):
    def __init__(
        self,
        path: Path,
        what: str = "is protected by a password",
        fix: str = "save a copy without the password and add that instead",
    ) -> None:
        super().__init__(path, f"{path.name} {what}; {fix}.")


class DamagedDocument(DocumentError):
    def __init__(self, path: Path, reason: str) -> None:
        super().__init__(
            path,
            f"{path.name} looks damaged or is not what its name says ({reason.rstrip('.')}); "
            "open it in the program that made it, save it again and add the new copy.",
        )


RAISE_LIMIT = "or raise the limit with `longwit docs limits`"


class DocumentTooLarge(DocumentError):
    def __init__(self, path: Path, what: str, fix: str = "split it into smaller files and add those") -> None:
        super().__init__(path, f"{path.name} is too large to read ({what}); {fix}.")

    @classmethod
    def by_size(cls, path: Path, size: int, limit: int) -> DocumentTooLarge:
        return cls(path, f"{size_text(size)}, the limit is {size_text(limit)}",
                   f"split it into smaller files, {RAISE_LIMIT}")


class SuspiciousArchive(DocumentError):
    def __init__(self, path: Path, reason: str) -> None:
        super().__init__(
            path,
            f"{path.name} was not opened because its archive looks like a zip bomb ({reason}); "
            "if it came from someone you trust, open it in its own program and export the text instead.",
        )


class NotText(DocumentError):
    def __init__(self, path: Path) -> None:
        super().__init__(
            path,
            f"{path.name} holds binary data, not text; rename it to its real type if Longwit "
            "reads that, or export it as text.",
        )


class ReadCancelled(DocumentError):
    def __init__(self, path: Path) -> None:
        super().__init__(path, f"Reading {path.name} was cancelled; add it again to read it.")


class RereadFailed(DocumentError):
    """A stored document could not be read again from its file; the stored copy is unchanged."""

    def __init__(self, path: Path, title: str, document_id: int, reason: str) -> None:
        super().__init__(path, f"“{title}” (#{document_id}) was not read again: {reason}; the stored "
                               "copy is kept as it was.")


class TranscriberUnavailable(DocumentError):
    def __init__(self, path: Path, reason: str) -> None:
        super().__init__(
            path,
            f"{path.name} cannot be transcribed: the speech model could not be loaded ({reason}); "
            "run `make run` once to set up the environment, then try again.",
        )


class ImageTooLarge(DocumentTooLarge):
    def __init__(self, path: Path, what: str) -> None:
        DocumentError.__init__(
            self,
            path,
            f"{path.name} is too large to read ({what}); scale it down (300 dpi is plenty for text) "
            f"and add the smaller copy, {RAISE_LIMIT}.",
        )


class OcrUnavailable(DocumentError):
    def __init__(self, path: Path, reason: str) -> None:
        super().__init__(
            path,
            f"{path.name} holds its text as images, and the OCR engine could not be loaded ({reason}); "
            "run `make run` once to set up the environment, then try again.",
        )
