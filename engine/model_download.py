"""Downloading a model file, the only network access Longwit makes on its own (the other is a
remote engine a person names, engine/remote), and only when a person asks.

A download is checked at every step before the file can ever be loaded: the address (http or https,
no user name or password in it), the disk (room for what is left, with numbers when there is not),
the first bytes (GGUF's magic, so an HTML error page is refused at once), the size the server says
against the size expected, and at the end the SHA-256 and the GGUF header. Bytes go to a `.part`
file beside the target (`partial_download`); a cancel, a crash or a lost connection leaves it there
with its sidecar, and the next attempt asks the server for the rest with an HTTP Range request. A
server that ignores the Range sends the whole file again, and the part restarts from byte 0. A
connection lost mid-file is retried a few times by itself, each time resuming.

httpx2 (the maintained continuation of httpx, already installed with faster-whisper's
huggingface_hub) does the HTTP: redirects (Hugging Face sends downloads on to its CDN), separate
connect and read timeouts, streaming.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import httpx2

from engine.download_progress import DownloadMeter, ProgressReport
from engine.errors import (
    BadChecksum,
    ChecksumMismatch,
    DownloadCancelled,
    DownloadFailed,
    EngineError,
    NotAModelDownload,
    NotEnoughDisk,
    TargetTaken,
    TruncatedModel,
    UnsafeUrl,
)
from engine.gguf_file import GGUF_MAGIC, read_gguf_info
from engine.model_catalogue import CatalogueEntry
from engine.partial_download import PartialDownload
from storage import crash_points
from storage.paths import disk_free_bytes, private_folder

HEX_SHA256 = re.compile(r"[0-9a-fA-F]{64}")
CONTENT_RANGE = re.compile(r"bytes\s+(?:(\d+)-\d+|\*)/(\d+|\*)")
HASH_BLOCK = 4 << 20


@dataclass(frozen=True)
class DownloadOptions:
    connect_timeout_s: float = 15.0
    read_timeout_s: float = 30.0  # a server silent this long has stalled
    retries: int = 3  # reconnections after a connection lost mid-file, each resuming where it was
    retry_wait_s: float = 1.0
    headroom_bytes: int = 100_000_000  # left free on the disk after the file
    report_every_s: float = 0.1
    free_space: Callable[[Path], int] = field(default=disk_free_bytes)  # the disk's free bytes


@dataclass(frozen=True)
class DownloadRequest:
    url: str
    sha256: str
    target: Path  # where the model goes; its `.part` sits beside it
    size: int | None = None  # the file's size when known in advance (a catalogue entry)

    @classmethod
    def for_entry(cls, entry: CatalogueEntry, models_dir: Path) -> DownloadRequest:
        return cls(entry.url, entry.sha256, entry.target(models_dir), entry.size_bytes)


class ConnectionLost(Exception):
    """The transfer broke off after it began; the caller may resume it."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class BadMagic(Exception):
    """The body does not begin as a GGUF file does (raised with the part closed, then refused)."""


class StartOver(Exception):
    """The server's answer does not continue the part (a 416 or a Range it did not honour as asked)."""


def shown_url(url: str) -> str:
    """The address without any user name or password, for messages."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{host}{port}{parts.path}"


def check_url(url: str) -> str:
    """The server's name for messages, or UnsafeUrl. Credentials are refused rather than stripped:
    a URL that carries them was meant for something Longwit does not do."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 — raises ValueError for a port that is not a number
    except ValueError as error:
        raise UnsafeUrl("that address", f"it is not a valid address ({error})") from error
    if parts.scheme not in ("http", "https"):
        raise UnsafeUrl(shown_url(url), "only http:// and https:// addresses can be downloaded")
    if parts.username is not None or parts.password is not None:
        raise UnsafeUrl(shown_url(url), "it holds a user name or password, and Longwit sends no "
                                        "credentials; give the address without them")
    if not parts.hostname:
        raise UnsafeUrl(shown_url(url), "it names no server")
    return parts.hostname


def check_sha256(sha256: str) -> str:
    if not HEX_SHA256.fullmatch(sha256.strip()):
        raise BadChecksum(sha256)
    return sha256.strip().lower()


def file_sha256(path: Path, limit: int | None = None) -> hashlib._Hash:
    """The hash of the file's first `limit` bytes (all of it when None)."""
    digest = hashlib.sha256()
    left = limit
    with path.open("rb") as handle:
        while left is None or left > 0:
            block = handle.read(HASH_BLOCK if left is None else min(HASH_BLOCK, left))
            if not block:
                break
            digest.update(block)
            if left is not None:
                left -= len(block)
    return digest


def user_agent() -> str:
    try:
        return f"Longwit/{importlib.metadata.version('longwit')}"
    except importlib.metadata.PackageNotFoundError:
        return "Longwit"


@dataclass
class Transfer:
    """One download's state across its attempts."""

    request: DownloadRequest
    host: str
    partial: PartialDownload
    options: DownloadOptions
    meter: DownloadMeter
    cancel: threading.Event
    have: int = 0
    total: int | None = None
    digest: hashlib._Hash = field(default_factory=hashlib.sha256)
    head: bytes = b""  # the file's first bytes, for the magic check

    def check_disk(self, size: int) -> None:
        needed = size - self.have + self.options.headroom_bytes
        free = self.options.free_space(self.request.target.parent)
        if free < needed:
            if self.partial.kept() is None:
                self.partial.discard()
            raise NotEnoughDisk(self.request.target.parent, size - self.have, free)

    def from_zero(self) -> None:
        self.partial.restart()
        self.have, self.digest, self.head = 0, hashlib.sha256(), b""
        self.meter.start(0)

    def refuse(self, what: str) -> NotAModelDownload:
        self.partial.discard()
        return NotAModelDownload(self.host, what)

    def failed(self, reason: str) -> DownloadFailed:
        kept = self.partial.kept()
        if kept is None:
            self.partial.discard()
        return DownloadFailed(self.host, reason, kept)


def download_model(request: DownloadRequest, options: DownloadOptions | None = None,
                   progress: ProgressReport | None = None,
                   cancel: threading.Event | None = None) -> Path:
    """Download, verify and put the model at `request.target`; returns its path. Every refusal and
    failure is a DownloadError that says what to do; a cancel raises DownloadCancelled with the part
    kept for the next attempt to resume."""
    options = options or DownloadOptions()
    host = check_url(request.url)
    request = DownloadRequest(request.url, check_sha256(request.sha256), request.target, request.size)
    target = request.target
    private_folder(target.parent)
    meter = DownloadMeter(progress, request.size, options.report_every_s)
    partial = PartialDownload(target)
    if target.exists():
        found = already_there(request, meter)
        partial.discard()  # a sidecar left by a download killed right after its rename
        return found
    transfer = Transfer(request, host, partial, options, meter, cancel or threading.Event(),
                        total=request.size)
    transfer.have = partial.resumable_bytes(request.url, request.sha256, request.size)
    if request.size is not None:
        transfer.check_disk(request.size)
    partial.begin(request.url, request.sha256, request.size)
    if transfer.have:
        meter.checking(transfer.have)
        transfer.digest = file_sha256(partial.part, limit=transfer.have)
        transfer.head = partial.head(len(GGUF_MAGIC))
    run_attempts(transfer)
    return verify_and_finish(transfer)


def already_there(request: DownloadRequest, meter: DownloadMeter) -> Path:
    """A file at the target is this model (say so) or another one (refuse: never overwrite it)."""
    meter.checking(request.target.stat().st_size)
    if file_sha256(request.target).hexdigest() != request.sha256:
        raise TargetTaken(request.target)
    return request.target


def run_attempts(transfer: Transfer) -> None:
    """Fetch until the whole file is in the part; a connection lost after some progress is resumed
    up to `retries` times, a server that will not resume as asked is started over once."""
    options = transfer.options
    timeout = httpx2.Timeout(options.read_timeout_s, connect=options.connect_timeout_s)
    headers = {"User-Agent": user_agent(), "Accept-Encoding": "identity"}
    lost, started_over = 0, False
    with httpx2.Client(timeout=timeout, follow_redirects=True, headers=headers) as client:
        while transfer.total is None or transfer.have < transfer.total:
            before = transfer.have
            try:
                fetch(client, transfer)
                return
            except StartOver:
                if started_over:
                    raise transfer.failed("the server would not send the rest of the file") from None
                started_over = True
                transfer.from_zero()
            except ConnectionLost as error:
                lost += 1
                if transfer.have == before or lost > options.retries:
                    raise transfer.failed(error.reason) from None
                if transfer.cancel.wait(options.retry_wait_s):
                    raise DownloadCancelled(transfer.partial.part, transfer.have, transfer.total) from None


def fetch(client: httpx2.Client, transfer: Transfer) -> None:
    """One request: ask for what is missing, check the answer, append the bytes to the part."""
    headers = {"Range": f"bytes={transfer.have}-"} if transfer.have else {}
    try:
        with client.stream("GET", transfer.request.url, headers=headers) as response:
            accept(response, transfer)
            if transfer.total is not None and transfer.have >= transfer.total:
                return
            transfer.meter.start(transfer.have)
            append(response, transfer)
    except httpx2.TooManyRedirects as error:
        raise transfer.failed("it redirected too many times") from error
    except httpx2.TransportError as error:
        if transfer.cancel.is_set():  # cancelled while the connection was stalled or dropping
            raise DownloadCancelled(transfer.partial.part, transfer.have, transfer.total) from error
        raise ConnectionLost(transport_reason(error, transfer.options)) from error
    if transfer.total is not None and transfer.have < transfer.total:
        raise ConnectionLost(f"the connection closed after {transfer.have:,} of {transfer.total:,} bytes")


def transport_reason(error: httpx2.TransportError, options: DownloadOptions) -> str:
    if isinstance(error, httpx2.ConnectTimeout):
        return f"the server did not answer within {options.connect_timeout_s:g} s"
    if isinstance(error, httpx2.ReadTimeout):
        return f"the server stopped sending (nothing for {options.read_timeout_s:g} s)"
    if isinstance(error, httpx2.ConnectError):
        return f"cannot connect ({error})"
    if isinstance(error, httpx2.RemoteProtocolError | httpx2.ReadError):
        return "the connection was cut mid-file"
    return f"{type(error).__name__}: {error}"


def accept(response: httpx2.Response, transfer: Transfer) -> None:
    """Check the answer's status, type and size before a byte of it is kept."""
    status = response.status_code
    if status == 416 and transfer.have:
        total = content_range(response.headers.get("content-range", ""))[1]
        if total is not None and total == transfer.have:
            transfer.total = total  # the part was already whole (stopped just before the rename)
            return
        raise StartOver
    if status == 206:
        start, total = content_range(response.headers.get("content-range", ""))
        if start != transfer.have:
            raise StartOver
    elif status == 200:
        length = response.headers.get("content-length")
        total = int(length) if length and length.isdigit() else None
        if transfer.have:
            transfer.from_zero()  # the server ignored the Range: the whole file comes again
    else:
        reason = f"the server answered {status} {response.reason_phrase}".rstrip()
        raise transfer.failed(reason)
    if "text/html" in response.headers.get("content-type", "").lower():
        raise transfer.refuse("it sent a web page (text/html) instead of the model file")
    expected = transfer.request.size
    if expected is not None and total is not None and total != expected:
        raise transfer.refuse(f"its file is {total:,} bytes where {expected:,} were expected")
    if total is not None:
        if transfer.request.size is None:
            transfer.check_disk(total)
        transfer.total = transfer.meter.total = total


def content_range(header: str) -> tuple[int | None, int | None]:
    """(first byte, total size) from 'bytes 100-199/1000' or 'bytes */1000'."""
    match = CONTENT_RANGE.fullmatch(header.strip())
    if match is None:
        return None, None
    start, total = match.groups()
    return (int(start) if start else None), (int(total) if total.isdigit() else None)


def append(response: httpx2.Response, transfer: Transfer) -> None:
    """Stream the body into the part, hashing as it goes; stop at a cancel, keeping what arrived.
    Refusals are raised once the part is closed (Windows cannot delete an open file)."""
    try:
        with transfer.partial.part.open("ab") as out:
            for chunk in response.iter_raw():  # as it arrives, so a cancel is seen at once
                if transfer.cancel.is_set():
                    raise DownloadCancelled(transfer.partial.part, transfer.have, transfer.total)
                if len(transfer.head) < len(GGUF_MAGIC):
                    transfer.head = (transfer.head + chunk)[: len(GGUF_MAGIC)]
                    if not GGUF_MAGIC.startswith(transfer.head):
                        raise BadMagic
                out.write(chunk)
                transfer.digest.update(chunk)
                transfer.have += len(chunk)
                transfer.meter.update(transfer.have)
                crash_points.reached("download.chunk")
    except BadMagic:
        raise transfer.refuse(f"its file starts with {transfer.head!r}, not a GGUF header") from None
    transfer.meter.update(transfer.have, force=True)


def verify_and_finish(transfer: Transfer) -> Path:
    """The SHA-256, then the GGUF header; only then does the file get the model's name."""
    partial, request = transfer.partial, transfer.request
    if transfer.head != GGUF_MAGIC:
        raise transfer.refuse("its file is too short to be a model")
    digest = transfer.digest.hexdigest()
    if digest != request.sha256:
        partial.discard()
        raise ChecksumMismatch(request.target.name, request.sha256, digest)
    try:
        read_gguf_info(partial.part)
    except TruncatedModel as error:
        raise transfer.refuse("the file matches its SHA-256 but is cut short (its header needs "
                              "more bytes than it has)") from error
    except EngineError as error:
        raise transfer.refuse("the file matches its SHA-256 but is not a GGUF model llama.cpp "
                              "can read") from error
    return partial.finish()
