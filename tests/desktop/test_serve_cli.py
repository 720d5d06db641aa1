"""`longwit serve` as a person runs it: it serves the bundled model to the official OpenAI client,
asks for its key, stops cleanly on Ctrl-C and never shows the key; an address other machines can
reach needs a key or an explicit choice, and a taken port is one clear line."""

from __future__ import annotations

import re
import signal
import socket
import subprocess
import sys

import openai
import pytest
from click.testing import CliRunner, Result

from desktop.cli.main import main
from desktop.cli.serve import exposure_notice
from engine.openai_api.server import is_loopback
from tests.conftest import project_environment

KEY = "cli-test-key-51b2"


def longwit(*args: str) -> Result:
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def one_line_error(result: Result) -> str:
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert result.exit_code == 1 and len(lines) == 1 and lines[0].startswith("Error: "), result.stderr
    return lines[0]


def test_an_address_other_machines_reach_needs_a_key_or_an_explicit_choice() -> None:
    line = one_line_error(longwit("serve", "--host", "0.0.0.0"))
    assert "--api-key" in line and "LONGWIT_API_KEY" in line and "--allow-unauthenticated" in line
    assert exposure_notice("127.0.0.1", None, False) is None
    assert "API key is required" in (exposure_notice("0.0.0.0", KEY, False) or "")
    assert "WITHOUT an API key" in (exposure_notice("192.168.1.5", None, True) or "")


@pytest.mark.parametrize(("host", "loopback"), [
    ("127.0.0.1", True), ("127.0.0.2", True), ("::1", True), ("[::1]", True), ("localhost", True),
    ("0.0.0.0", False), ("::", False), ("192.168.1.5", False), ("example.com", False),
])
def test_which_addresses_count_as_loopback(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback


def test_a_taken_port_is_one_clear_line() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        line = one_line_error(longwit("serve", "--port", str(port)))
    assert f"127.0.0.1:{port}" in line and "taken" in line and "--port" in line


def test_a_key_that_cannot_travel_in_a_header_is_refused() -> None:
    result = longwit("serve", "--api-key", "two words")
    assert result.exit_code == 2 and "no spaces" in result.stderr


def test_serve_answers_the_openai_client_and_stops_on_ctrl_c(longwit_home) -> None:
    command = [sys.executable, "-m", "desktop", "serve", "--port", "0", "--ctx", "512", "--no-access-log"]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               env=project_environment(LONGWIT_HOME=str(longwit_home),
                                                       LONGWIT_API_KEY=KEY))
    try:
        assert process.stderr is not None
        seen = []
        while not (found := re.search(r"at (http://127\.0\.0\.1:\d+)/v1 \(API key required\)",
                                      "".join(seen))):
            line = process.stderr.readline()
            assert line, "".join(seen)  # the command ended before serving
            seen.append(line)
        with openai.OpenAI(base_url=f"{found.group(1)}/v1", api_key=KEY, max_retries=0,
                           timeout=120) as client:
            assert [model.id for model in client.models.list().data] == ["smollm2-135m-instruct"]
            reply = client.chat.completions.create(model="smollm2-135m-instruct", max_tokens=4,
                                                   temperature=0, messages=[{"role": "user",
                                                                             "content": "Hello"}])
            assert reply.choices[0].message.content
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    shown = "".join(seen) + err
    assert process.returncode == 0, shown
    assert "Stopped." in err and "Traceback" not in shown
    assert KEY not in shown + out
