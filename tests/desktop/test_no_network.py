"""Longwit opens no network connection and no listening socket unless the person asks for one
(`models get`, `--engine`, `serve`): the commands a person runs most, the window and a voice call
are run in a child process whose audit hook (PEP 578) records every Internet socket it connects,
binds or resolves."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from desktop.benchmarks.crash.checks import ServedFile
from desktop.benchmarks.crash.materials import Materials, voice_script
from desktop.benchmarks.crash.workloads import window_material, window_session

WATCHED = '''
import socket, sys
seen = []
def hook(event, args):
    if event in ("socket.connect", "socket.bind", "socket.sendto") and \\
            getattr(args[0], "family", None) in (socket.AF_INET, socket.AF_INET6):
        seen.append(f"{event} {args[1]!r}")
    elif event == "socket.getaddrinfo":
        seen.append(f"{event} {args[0]!r}")
sys.addaudithook(hook)

def internet_sockets():
    """Sockets this process holds open that are TCP or UDP (the audit hook sees only Python's own
    socket module; this also sees one opened by Qt or a native library), from /proc on Linux."""
    import os
    if not os.path.isdir("/proc/self/fd"):
        return "unknown"
    held = set()
    for fd in os.listdir("/proc/self/fd"):
        try:
            link = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:  # the listing's own descriptor, closed by now
            continue
        if link.startswith("socket:["):
            held.add(link[8:-1])
    found = []
    for table in ("tcp", "tcp6", "udp", "udp6"):
        try:
            rows = open(f"/proc/self/net/{table}").read().splitlines()[1:]
        except OSError:
            continue
        found += [f"{table} {row.split()[1]}" for row in rows if row.split()[9] in held]
    return found
status = 1
try:
    if sys.argv[1] == "window":
        from desktop.window.crash_session import main as window_session
        status = window_session(sys.argv[2:])
    else:
        from desktop.cli.main import main
        main(sys.argv[1:], standalone_mode=False)
        status = 0
finally:
    print("NETWORK:", seen, file=sys.stderr)
    print("OPEN INTERNET SOCKETS:", internet_sockets(), file=sys.stderr)
sys.exit(status)
'''


def run_watched(home: Path, *arguments: str) -> subprocess.CompletedProcess:
    environment = {**os.environ, "LONGWIT_HOME": str(home), "HF_HUB_OFFLINE": "0",
                   "QT_QPA_PLATFORM": "offscreen"}
    return subprocess.run([sys.executable, "-c", WATCHED, *arguments], capture_output=True,
                          text=True, env=environment, timeout=600, cwd=Path(__file__).parents[2])


def test_reading_a_document_and_answering_about_it_touch_no_network(tmp_path: Path) -> None:
    home = tmp_path / "home"
    document = tmp_path / "notes.txt"
    document.write_text("The lighthouse keeper of Velmora is Ruth Alder. She lights the lamp at dusk.\n")
    for arguments in (["docs", "add", str(document)],
                      ["ask", "--doc", str(document), "--max-tokens", "12", "--temperature", "0",
                       "Who keeps the lighthouse?"],
                      ["history"], ["models"]):
        done = run_watched(home, *arguments)
        assert done.returncode == 0, done.stderr[-2000:]
        assert "NETWORK: []" in done.stderr, (arguments, done.stderr[-2000:])
        assert "OPEN INTERNET SOCKETS: []" in done.stderr, (arguments, done.stderr[-2000:])
        if arguments[0] == "ask":
            assert "Ruth Alder" in done.stdout  # the model answered


def test_the_watch_sees_a_connection_when_one_is_made(tmp_path: Path) -> None:
    """The audit hook is not blind: a command that does use the network (a remote engine that is
    not there) is seen trying."""
    done = run_watched(tmp_path / "home", "models", "--engine", "http://127.0.0.1:9/v1")
    assert "socket.connect" in done.stderr and "127.0.0.1" in done.stderr


def test_the_open_socket_count_is_not_blind(tmp_path: Path) -> None:
    """`serve` holds a listening socket; stopped while it runs, the child reports it open."""
    command = [sys.executable, "-c", WATCHED.replace(
        "main(sys.argv[1:], standalone_mode=False)",
        "import socket; held = socket.socket(); held.bind(('127.0.0.1', 0)); held.listen()"),
        "history"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120,
                          env={**os.environ, "LONGWIT_HOME": str(tmp_path / "home")},
                          cwd=Path(__file__).parents[2])
    assert "OPEN INTERNET SOCKETS: ['tcp " in done.stderr, done.stderr[-2000:]


@pytest.mark.slow
def test_the_window_answering_importing_and_removing_touches_no_network(tmp_path: Path) -> None:
    """The real window, offscreen, as the crash harness drives it: the model loaded, a question
    answered and saved, a proposed memory accepted, a conversation imported, a document removed."""
    home = tmp_path / "home"
    asked = tmp_path / "notes.txt"
    asked.write_text("The lighthouse keeper of Velmora is Ruth Alder. She lights the lamp at dusk.\n")
    unused = ServedFile(asked, "", 0)
    window_material(home, Materials(tmp_path, asked, "", None, unused))
    done = run_watched(home, "window", *window_session(home, Materials(tmp_path, asked, "", None, unused)))
    assert done.returncode == 0, done.stderr[-2000:]
    assert "NETWORK: []" in done.stderr, done.stderr[-2000:]
    assert "OPEN INTERNET SOCKETS: []" in done.stderr, done.stderr[-2000:]


@pytest.mark.slow
def test_a_voice_call_touches_no_network(tmp_path: Path) -> None:
    mic = voice_script(tmp_path / "mic.wav")
    done = run_watched(tmp_path / "home", "voice", "--mic", str(mic), "--max-tokens", "12",
                       "--temperature", "0")
    assert done.returncode == 0, done.stderr[-2000:]
    assert "you (" in done.stdout and "longwit:" in done.stdout  # a turn was heard and answered
    assert "NETWORK: []" in done.stderr, done.stderr[-2000:]
    assert "OPEN INTERNET SOCKETS: []" in done.stderr, done.stderr[-2000:]
