"""A download in progress on disk: `NAME.gguf.part` beside where the model will be, and a small
sidecar (`NAME.gguf.part.json`) saying which file it is part of.

The part never carries the model's own name, so nothing that looks for `*.gguf` (the loader, the
picker, a person's file manager) can mistake it for a model; the model's name appears only through
one atomic rename, after the checksum matched. The sidecar is written before the first byte, so a
part without one (or with another file's) is never resumed into the wrong download.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from storage import crash_points
from storage.paths import private_file, private_folder

PART_SUFFIX = ".part"
SIDECAR_SUFFIX = ".part.json"


@dataclass(frozen=True)
class PartialDownload:
    target: Path  # where the finished model goes

    @property
    def part(self) -> Path:
        return self.target.with_name(self.target.name + PART_SUFFIX)

    @property
    def sidecar(self) -> Path:
        return self.target.with_name(self.target.name + SIDECAR_SUFFIX)

    def resumable_bytes(self, url: str, sha256: str, size: int | None) -> int:
        """How much of this very file is already here (0 when nothing is, or what is here belongs to
        another file: then it is deleted). The checksum names the file, so a part begun from one
        mirror resumes from another; a URL is kept in the sidecar only to say where it came from."""
        if not self.part.is_file():
            self.discard()
            return 0
        try:
            record = json.loads(self.sidecar.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            record = None
        have = self.part.stat().st_size
        same = isinstance(record, dict) and record.get("sha256") == sha256
        if not same or (size is not None and (record.get("size") not in (None, size) or have > size)):
            self.discard()
            return 0
        return have

    def begin(self, url: str, sha256: str, size: int | None) -> None:
        """Write the sidecar (atomically), then make sure the part exists."""
        private_folder(self.target.parent)
        record = json.dumps({"url": url, "sha256": sha256, "size": size}, indent=1)
        scratch = self.sidecar.with_name(self.sidecar.name + f".{os.getpid()}")
        scratch.unlink(missing_ok=True)
        private_file(scratch)
        scratch.write_text(record + "\n", encoding="utf-8")
        scratch.replace(self.sidecar)
        private_file(self.part)  # a model the person downloads is theirs: readable by them only

    def restart(self) -> None:
        """Empty the part (a server that ignored the Range request sends the file from byte 0)."""
        with self.part.open("wb"):
            pass

    def head(self, count: int) -> bytes:
        """The part's first bytes (to check the GGUF magic of a resumed download)."""
        with self.part.open("rb") as handle:
            return handle.read(count)

    def finish(self) -> Path:
        """Give the verified part the model's name in one atomic rename; the sidecar goes."""
        with self.part.open("rb+") as handle:
            os.fsync(handle.fileno())  # the bytes are on disk before the name says they are whole
        crash_points.reached("download.verified")
        self.part.replace(self.target)
        crash_points.reached("download.renamed")
        self.sidecar.unlink(missing_ok=True)
        return self.target

    def discard(self) -> None:
        self.part.unlink(missing_ok=True)
        self.sidecar.unlink(missing_ok=True)

    def kept(self) -> Path | None:
        """The part, if it holds anything worth resuming."""
        return self.part if self.part.is_file() and self.part.stat().st_size > 0 else None
