"""Downloads from a real HTTP server on 127.0.0.1 serving the bundled SmolLM2 GGUF: whole, resumed
after a cut connection or a cancel (the server sees the Range request), restarted when the server
ignores Range; and every bad answer refused with one typed error and nothing half-written."""

from __future__ import annotations

import hashlib
import shutil
import stat
import threading
from pathlib import Path

import pytest

from desktop.benchmarks.model_server import HTML_PAGE, ModelServer
from engine.download_progress import DownloadProgress
from engine.errors import (
    BadChecksum,
    ChecksumMismatch,
    DownloadCancelled,
    DownloadFailed,
    NotAModelDownload,
    NotEnoughDisk,
    TargetTaken,
    UnsafeUrl,
)
from engine.gguf_file import read_gguf_info
from engine.model_download import DownloadOptions, DownloadRequest, download_model
from engine.partial_download import PartialDownload
from tests.conftest import ServedModel

FAST_RETRY = DownloadOptions(retry_wait_s=0.05, read_timeout_s=10)
MB = 1_000_000


def sha256_of(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


@pytest.fixture(scope="module")
def head_bytes(served_model: ServedModel) -> bytes:
    """The first 2 MB of the real file: starts as a GGUF, but is cut short."""
    with served_model.path.open("rb") as handle:
        return handle.read(2 * MB)


def test_a_whole_download_is_verified_and_reads_as_a_gguf(model_server: ModelServer,
                                                          served_model: ServedModel,
                                                          tmp_path: Path) -> None:
    url = model_server.serve("whole.gguf", served_model.path)
    reports: list[DownloadProgress] = []
    target = tmp_path / "models" / "whole.gguf"
    path = download_model(DownloadRequest(url, served_model.sha256, target, served_model.size),
                          progress=reports.append)
    assert path == target and sha256_of(target) == served_model.sha256
    assert read_gguf_info(target).architecture == "llama"
    assert leftovers(target.parent) == ["whole.gguf"]  # no .part, no sidecar
    assert stat.S_IMODE(target.stat().st_mode) == 0o600  # the person's model, nobody else's
    assert stat.S_IMODE(target.parent.stat().st_mode) == 0o700
    assert model_server.ranges("whole.gguf") == [None]
    assert reports[-1].done == served_model.size and reports[-1].fraction == 1.0
    assert "98 MB of 98 MB" in reports[-1].describe()


def test_a_cut_connection_resumes_with_a_range_request(model_server: ModelServer,
                                                       served_model: ServedModel,
                                                       tmp_path: Path) -> None:
    url = model_server.serve("cut.gguf", served_model.path, cut_after=10 * MB)
    target = tmp_path / "cut.gguf"
    download_model(DownloadRequest(url, served_model.sha256, target, served_model.size), FAST_RETRY)
    assert sha256_of(target) == served_model.sha256
    first, second = model_server.ranges("cut.gguf")
    assert first is None and second is not None
    resumed_at = int(second.removeprefix("bytes=").rstrip("-"))
    assert 0 < resumed_at <= 10 * MB


def test_without_retries_the_part_is_kept_and_the_next_attempt_resumes(model_server: ModelServer,
                                                                       served_model: ServedModel,
                                                                       tmp_path: Path) -> None:
    url = model_server.serve("lost.gguf", served_model.path, cut_after=30 * MB)
    target = tmp_path / "lost.gguf"
    request = DownloadRequest(url, served_model.sha256, target, served_model.size)
    with pytest.raises(DownloadFailed) as failed:
        download_model(request, DownloadOptions(retries=0))
    assert "cut mid-file" in str(failed.value) and "resume" in str(failed.value)
    partial = PartialDownload(target)
    assert not target.exists() and partial.part.exists() and partial.sidecar.exists()
    kept = partial.part.stat().st_size
    assert 0 < kept <= 30 * MB
    download_model(request)  # a new attempt, as after a crash or a new `longwit models get`
    assert sha256_of(target) == served_model.sha256
    assert model_server.ranges("lost.gguf") == [None, f"bytes={kept}-"]
    assert leftovers(tmp_path) == ["lost.gguf"]


def test_a_cancel_keeps_the_part_and_a_resume_completes(model_server: ModelServer,
                                                        served_model: ServedModel,
                                                        tmp_path: Path) -> None:
    url = model_server.serve("cancel.gguf", served_model.path)
    target = tmp_path / "cancel.gguf"
    request = DownloadRequest(url, served_model.sha256, target, served_model.size)
    cancel = threading.Event()

    def stop_after_20_mb(progress: DownloadProgress) -> None:
        if progress.done > 20 * MB:
            cancel.set()

    with pytest.raises(DownloadCancelled) as stopped:
        download_model(request, DownloadOptions(report_every_s=0), stop_after_20_mb, cancel)
    part = PartialDownload(target).part
    assert stopped.value.part == part and not target.exists()
    kept = part.stat().st_size
    assert 20 * MB < kept < served_model.size
    checked: list[DownloadProgress] = []
    download_model(request, progress=checked.append)
    assert sha256_of(target) == served_model.sha256
    assert model_server.ranges("cancel.gguf") == [None, f"bytes={kept}-"]
    assert checked[0].stage == "checking" and checked[0].done == kept  # the part is hashed first


def test_a_server_that_ignores_range_restarts_the_file_cleanly(model_server: ModelServer,
                                                               served_model: ServedModel,
                                                               tmp_path: Path) -> None:
    url = model_server.serve("norange.gguf", served_model.path, honour_range=False, cut_after=5 * MB)
    target = tmp_path / "norange.gguf"
    download_model(DownloadRequest(url, served_model.sha256, target, served_model.size), FAST_RETRY)
    assert sha256_of(target) == served_model.sha256  # not the first 5 MB twice
    first, second = model_server.ranges("norange.gguf")
    assert first is None and second is not None  # asked for the rest, got the whole file


def test_a_part_already_whole_is_verified_without_downloading_again(model_server: ModelServer,
                                                                    served_model: ServedModel,
                                                                    tmp_path: Path) -> None:
    url = model_server.serve("whole-part.gguf", served_model.path)
    target = tmp_path / "whole-part.gguf"
    partial = PartialDownload(target)
    partial.begin(url, served_model.sha256, None)
    shutil.copyfile(served_model.path, partial.part)  # stopped just before the rename
    download_model(DownloadRequest(url, served_model.sha256, target))  # size unknown: asks
    assert sha256_of(target) == served_model.sha256
    assert model_server.ranges("whole-part.gguf") == [f"bytes={served_model.size}-"]  # 416


def test_a_checksum_mismatch_deletes_the_download(model_server: ModelServer, head_bytes: bytes,
                                                  tmp_path: Path) -> None:
    url = model_server.serve("wrong.gguf", head_bytes)
    target = tmp_path / "wrong.gguf"
    with pytest.raises(ChecksumMismatch) as mismatch:
        download_model(DownloadRequest(url, "ab" * 32, target))
    assert "was deleted" in str(mismatch.value) and "abababab" in str(mismatch.value)
    assert leftovers(tmp_path) == []


def test_a_cut_short_gguf_with_a_matching_checksum_is_refused(model_server: ModelServer,
                                                               head_bytes: bytes,
                                                               tmp_path: Path) -> None:
    url = model_server.serve("short.gguf", head_bytes)
    own_sha = hashlib.sha256(head_bytes).hexdigest()
    with pytest.raises(NotAModelDownload, match="cut short"):
        download_model(DownloadRequest(url, own_sha, tmp_path / "short.gguf"))
    assert leftovers(tmp_path) == []


@pytest.mark.parametrize("behaviour,said", [
    ({"html": True}, "web page (text/html)"),
    ({"content": HTML_PAGE}, "starts with b'<!DO'"),  # an error page sent as a file
])
def test_an_html_answer_is_refused_at_once(model_server: ModelServer, served_model: ServedModel,
                                           tmp_path: Path, behaviour: dict, said: str) -> None:
    content = behaviour.pop("content", served_model.path)
    url = model_server.serve("page.gguf", content, **behaviour)
    with pytest.raises(NotAModelDownload) as refused:
        download_model(DownloadRequest(url, served_model.sha256, tmp_path / "page.gguf"))
    assert said in str(refused.value) and "nothing was kept" in str(refused.value)
    assert leftovers(tmp_path) == []


def test_a_size_other_than_expected_is_refused_before_any_byte(model_server: ModelServer,
                                                                served_model: ServedModel,
                                                                tmp_path: Path) -> None:
    url = model_server.serve("resized.gguf", served_model.path)
    request = DownloadRequest(url, served_model.sha256, tmp_path / "resized.gguf", served_model.size + 1)
    with pytest.raises(NotAModelDownload, match=f"{served_model.size:,} bytes where"):
        download_model(request)
    assert leftovers(tmp_path) == []


def test_not_enough_disk_is_refused_with_the_numbers(model_server: ModelServer,
                                                     served_model: ServedModel, tmp_path: Path) -> None:
    url = model_server.serve("big.gguf", served_model.path)
    tight = DownloadOptions(free_space=lambda _folder: 50 * MB)
    with pytest.raises(NotEnoughDisk) as refused:
        download_model(DownloadRequest(url, served_model.sha256, tmp_path / "big.gguf", served_model.size),
                       tight)
    assert "needs 0.10 GB more but 0.05 GB is free" in str(refused.value)
    assert model_server.ranges("big.gguf") == [] and leftovers(tmp_path) == []
    with pytest.raises(NotEnoughDisk):  # size unknown in advance: refused once the server says it
        download_model(DownloadRequest(url, served_model.sha256, tmp_path / "big.gguf"), tight)
    assert leftovers(tmp_path) == []


def test_credentials_and_other_schemes_are_refused_before_connecting(model_server: ModelServer,
                                                                     tmp_path: Path) -> None:
    port = model_server.httpd.server_address[1]
    with pytest.raises(UnsafeUrl) as refused:
        download_model(DownloadRequest(f"http://ada:s3cret@127.0.0.1:{port}/x.gguf", "ab" * 32,
                                       tmp_path / "x.gguf"))
    assert "user name or password" in str(refused.value) and "s3cret" not in str(refused.value)
    with pytest.raises(UnsafeUrl, match="only http"):
        download_model(DownloadRequest("file:///etc/passwd", "ab" * 32, tmp_path / "x.gguf"))
    with pytest.raises(BadChecksum, match="64 hex digits"):
        download_model(DownloadRequest(model_server.url("x.gguf"), "abc", tmp_path / "x.gguf"))
    assert model_server.ranges("x.gguf") == [] and leftovers(tmp_path) == []


def test_a_stalled_server_times_out_keeping_the_part(model_server: ModelServer,
                                                     served_model: ServedModel, tmp_path: Path) -> None:
    url = model_server.serve("stall.gguf", served_model.path, stall_after=3 * MB)
    target = tmp_path / "stall.gguf"
    with pytest.raises(DownloadFailed, match=r"stopped sending \(nothing for 0.5 s\)"):
        download_model(DownloadRequest(url, served_model.sha256, target, served_model.size),
                       DownloadOptions(read_timeout_s=0.5, retries=0))
    assert not target.exists() and PartialDownload(target).part.stat().st_size > 0


def test_a_sidecar_left_by_a_kill_after_the_rename_goes_when_the_model_is_asked_for_again(
        model_server: ModelServer, served_model: ServedModel, tmp_path: Path) -> None:
    url = model_server.serve("renamed.gguf", served_model.path)
    target = tmp_path / "renamed.gguf"
    PartialDownload(target).begin(url, served_model.sha256, served_model.size)
    PartialDownload(target).part.unlink()
    shutil.copyfile(served_model.path, target)  # renamed, then killed before the sidecar went
    assert download_model(DownloadRequest(url, served_model.sha256, target)) == target
    assert leftovers(tmp_path) == ["renamed.gguf"]
    assert model_server.ranges("renamed.gguf") == []


def test_missing_files_and_files_in_the_way(model_server: ModelServer, served_model: ServedModel,
                                            tmp_path: Path) -> None:
    with pytest.raises(DownloadFailed, match=r"answered 404 Not Found\. Nothing was kept"):
        download_model(DownloadRequest(model_server.url("absent.gguf"), served_model.sha256,
                                       tmp_path / "absent.gguf"))
    assert leftovers(tmp_path) == []
    url = model_server.serve("present.gguf", served_model.path)
    mine = tmp_path / "present.gguf"
    mine.write_bytes(b"my own notes")
    with pytest.raises(TargetTaken):
        download_model(DownloadRequest(url, served_model.sha256, mine))
    assert mine.read_bytes() == b"my own notes"  # never overwritten
    shutil.copyfile(served_model.path, mine)
    assert download_model(DownloadRequest(url, served_model.sha256, mine)) == mine
    assert model_server.ranges("present.gguf") == []  # already here: nothing was fetched
