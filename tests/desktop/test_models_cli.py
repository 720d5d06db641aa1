"""`longwit models catalogue` and `longwit models get` against a real HTTP server on 127.0.0.1: a
download lands checked in the models folder; a bad address, page or checksum is one line, exit 1,
and nothing half-written; Ctrl-C keeps the part and says how to resume."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

from click.testing import CliRunner, Result

from desktop.benchmarks.model_server import ModelServer
from desktop.cli.main import main
from engine.model_catalogue import load_catalogue
from engine.partial_download import PartialDownload
from tests.conftest import ServedModel, project_environment, signals_as_from_a_terminal

MB = 1_000_000


def longwit(*args: str) -> Result:
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def one_line_error(result: Result) -> str:
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert result.exit_code == 1 and len(lines) == 1 and lines[0].startswith("Error: "), result.stderr
    return lines[0]


def test_get_url_with_sha256_downloads_into_the_models_folder(model_server: ModelServer,
                                                             served_model: ServedModel,
                                                             longwit_home: Path) -> None:
    url = model_server.serve("SmolLM2-mirror.gguf", served_model.path, cut_after=20 * MB)
    result = longwit("models", "get", url, "--sha256", served_model.sha256.upper())
    assert result.exit_code == 0, result.stderr
    target = longwit_home / "models" / "SmolLM2-mirror.gguf"
    assert result.stdout.strip() == str(target)
    assert f"longwit chat --model {target}" in result.stderr
    assert target.stat().st_size == served_model.size
    assert sorted(p.name for p in target.parent.iterdir()) == ["SmolLM2-mirror.gguf"]
    assert model_server.ranges("SmolLM2-mirror.gguf")[1] is not None  # the cut was resumed
    again = longwit("models", "get", url, "--sha256", served_model.sha256)
    assert again.exit_code == 0 and len(model_server.ranges("SmolLM2-mirror.gguf")) == 2  # no refetch


def test_bad_downloads_are_one_line_and_leave_nothing(model_server: ModelServer,
                                                     served_model: ServedModel,
                                                     longwit_home: Path) -> None:
    models = longwit_home / "models"
    page = model_server.serve("login.gguf", served_model.path, html=True)
    with served_model.path.open("rb") as handle:
        short = model_server.serve("short.gguf", handle.read(MB))
    port = model_server.httpd.server_address[1]
    cases = [
        (["models", "get", page, "--sha256", served_model.sha256], "web page (text/html)"),
        (["models", "get", short, "--sha256", served_model.sha256], "was deleted"),
        (["models", "get", f"http://me:pw@127.0.0.1:{port}/x.gguf", "--sha256", served_model.sha256],
         "user name or password"),
        (["models", "get", short], "needs the file's SHA-256"),
        (["models", "get", short, "--sha256", "123"], "is not a SHA-256"),
        (["models", "get", "qwen9"], "No model called 'qwen9' in the catalogue"),
        (["models", "get", "qwen3-4b", "--sha256", served_model.sha256], "go with a URL"),
        # A file name from the URL or --name stays in the models folder.
        (["models", "get", short, "--sha256", served_model.sha256, "--name", "../../escaped.gguf"],
         "cannot be a file name in the models folder"),
        (["models", "get", f"http://127.0.0.1:{port}/a/..%2F..%2F..", "--sha256", served_model.sha256],
         "cannot be a file name in the models folder"),
    ]
    for args, said in cases:
        assert said in one_line_error(longwit(*args)), args
        assert not models.exists() or list(models.iterdir()) == [], args
    assert sorted(p.name for p in longwit_home.parent.rglob("*.gguf")) == []


def test_catalogue_lists_every_model_with_fit_and_whether_it_is_here(longwit_home: Path) -> None:
    entries = load_catalogue()
    models = longwit_home / "models"
    models.mkdir(parents=True)
    with entries[0].target(models).open("wb") as whole:  # sparse, of the right size: downloaded
        whole.truncate(entries[0].size_bytes)
    partial = PartialDownload(entries[1].target(models))
    partial.begin(entries[1].url, entries[1].sha256, entries[1].size_bytes)
    partial.part.write_bytes(b"GGUF" + bytes(2 * MB))
    result = longwit("models", "catalogue")
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["NAME", "PARAMS", "QUANT", "SIZE", "LICENCE", "CONTEXT", "ON", "THIS",
                                "MACHINE", "DOWNLOADED"]
    rows = {line.split()[0]: line for line in lines[1 : len(entries) + 1]}
    assert list(rows) == [entry.name for entry in entries]
    for entry in entries:
        assert entry.licence in rows[entry.name] and f"{entry.context_length:,}" in rows[entry.name]
        assert "fits: " in rows[entry.name] or "too big for the" in rows[entry.name]
    assert rows[entries[0].name].endswith("yes") and rows[entries[1].name].endswith("2 MB so far")
    assert rows[entries[2].name].endswith("no")
    assert "nothing is downloaded unless you ask" in result.stdout
    listed = longwit("models")  # the plain command lists it among the models on this machine
    assert "Downloaded from the catalogue:" in listed.stdout and entries[0].name in listed.stdout


def test_ctrl_c_keeps_the_part_and_says_how_to_resume(model_server: ModelServer,
                                                      served_model: ServedModel,
                                                      longwit_home: Path) -> None:
    url = model_server.serve("stopped.gguf", served_model.path, stall_after=15 * MB)
    part = PartialDownload(longwit_home / "models" / "stopped.gguf").part
    command = [sys.executable, "-m", "desktop", "models", "get", url, "--sha256", served_model.sha256]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               env=project_environment(LONGWIT_HOME=str(longwit_home)),
                               preexec_fn=signals_as_from_a_terminal)
    try:
        deadline = time.monotonic() + 60
        while not (part.exists() and part.stat().st_size >= 15 * MB) and time.monotonic() < deadline:
            time.sleep(0.05)
        process.send_signal(signal.SIGINT)
        _, errors = process.communicate(timeout=30)
    finally:
        process.kill()
    assert process.returncode == 130 and "Traceback" not in errors, errors
    assert "Download stopped; 15 MB kept in" in errors
    assert f"Run `longwit models get {url} --sha256 {served_model.sha256}` to resume." in errors
    kept = part.stat().st_size
    model_server.files["/stopped.gguf"].stall_after = None
    model_server.release.set()  # the stalled response ends; the next one is whole
    result = longwit("models", "get", url, "--sha256", served_model.sha256)
    assert result.exit_code == 0, result.stderr
    assert model_server.ranges("stopped.gguf") == [None, f"bytes={kept}-"]
    assert not part.exists() and (longwit_home / "models" / "stopped.gguf").is_file()
