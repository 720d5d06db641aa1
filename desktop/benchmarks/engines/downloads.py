"""Downloads as `longwit models get URL --sha256 HEX` makes them (the command's own request and
`download_model`), from a loopback server that honours HTTP Range (desktop/benchmarks/model_server):
the whole file's throughput, then the connection cut once in the middle of the file, resumed by the
download itself (it reconnects and asks for the rest) and by a second `models get` after the first
gave up. Each finished file's SHA-256 is computed afresh from the disk, not taken from the download.
"""

from __future__ import annotations

import re
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from desktop.benchmarks.model_server import ModelServer
from desktop.cli.models import download_request
from engine.errors import DownloadFailed
from engine.model_download import DownloadOptions, download_model, file_sha256
from engine.partial_download import PartialDownload

Report = Callable[[str], None]


@dataclass(frozen=True)
class DownloadCase:
    name: str
    cut: bool  # the server cuts the connection once, half way through the file
    second_get: bool  # the first `models get` gives up at the cut (no retries); a second resumes


CASES = (
    DownloadCase("whole file", cut=False, second_get=False),
    DownloadCase("cut once, resumed by itself", cut=True, second_get=False),
    DownloadCase("cut once, resumed by a 2nd get", cut=True, second_get=True),
)


def run_download_benchmark(model: Path, report: Report) -> dict[str, Any]:
    """Every case in a scratch models folder, nothing left behind; a JSON-ready dict."""
    report(f"Hashing {model.name}…")
    sha256, size = file_sha256(model).hexdigest(), model.stat().st_size
    server = ModelServer()
    try:
        with tempfile.TemporaryDirectory(prefix="longwit-bench-downloads-") as folder:
            rows = []
            for index, case in enumerate(CASES):
                report(f"Downloading: {case.name}…")
                rows.append(download_case(server, case, model, sha256, Path(folder) / str(index)))
    finally:
        server.close()
    return {"file": model.name, "bytes": size, "sha256": sha256, "cut_after": size // 2,
            "rows": rows}


def download_case(server: ModelServer, case: DownloadCase, model: Path, sha256: str,
                  models_dir: Path) -> dict[str, Any]:
    size = model.stat().st_size
    name = f"{case.name.replace(' ', '-').replace(',', '')}.gguf"
    url = server.serve(name, model, cut_after=size // 2 if case.cut else None)
    request, _label, _again = download_request(url, sha256, None, models_dir)
    first_attempt = None
    started = time.perf_counter()
    if case.second_get:
        try:
            download_model(request, DownloadOptions(retries=0))
        except DownloadFailed as error:  # the part stays for the next `models get` to resume
            first_attempt = str(error)
    path = download_model(request)
    seconds = time.perf_counter() - started
    ranges = [asked for asked in server.ranges(name) if asked]
    resumed = [int(m.group(1)) for asked in ranges if (m := re.fullmatch(r"bytes=(\d+)-", asked))]
    return {
        "case": case.name,
        "seconds": seconds,
        "mb_per_s": size / seconds / 1e6,
        "requests": len(server.ranges(name)),
        "resumed_from": resumed,
        "first_attempt": first_attempt,
        "sha256_ok": file_sha256(path).hexdigest() == sha256 and path.stat().st_size == size,
        "part_left": PartialDownload(request.target).kept() is not None,
    }
