"""A remote engine chosen in the window: the model picker's Server tab lists a real server's models
(`longwit serve`'s API on 127.0.0.1, serving the bundled SmolLM2 on the session's model thread) and
connects to it; chat and document questions then go to that server, the choice is kept in the
settings table (never the key) and used at the next start, and the local model comes back from
the picker's first tab; a voice call talks through it too. A server that is down, silent or answers
garbage is one banner line, and the model answering before keeps answering."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from desktop.benchmarks.openai_servers import free_port
from desktop.window.controllers.voice_controller import LISTENING
from desktop.window.dialogs.engine_panel import EnginePanel
from desktop.window.dialogs.model_picker import ModelPickerDialog
from desktop.window.main_window import MainWindow
from engine.model_host import ModelHost, ReplyStream
from engine.openai_api.requests import ChatRequest
from engine.openai_api.served_model import ServedModel
from engine.remote.client import EngineTimeouts
from engine.remote.remote_model import RemoteEngine
from engine.remote.stored_engine import ENGINE_KEY
from media.file_audio import FileAudioBackend
from storage.settings import SettingsStore
from tests.desktop.test_voice_cli import script
from tests.desktop.test_voice_mode import TAIL_S, Heard, hang_up, start_call
from tests.desktop.test_window_documents import drop_and_wait
from tests.desktop.window_helpers import (
    ANSWER_MS,
    MODEL_LOAD_MS,
    ask,
    open_test_window,
    own_database,
    stored_messages,
)
from tests.engine.openai_api.conftest import API_KEY, running_api
from tests.engine.remote.misbehaving_server import MODEL as TINY_MODEL
from tests.engine.remote.misbehaving_server import MisbehavingServer

SERVED_NAME = "smollm2-135m-instruct"
DOCUMENT = ("# Velmora\n\nThe harbour of Velmora was rebuilt in 1887 after the great flood.\n\n"
            "The diary records that the schooner Wrenfield ran aground on the northern reef in 1891.\n")


class RecordingServed(ServedModel):
    """The real served model, keeping each chat request it was sent (what reached the server)."""

    def __init__(self, host: ModelHost) -> None:
        super().__init__(host)
        self.chats: list[ChatRequest] = []

    def start_chat(self, request: ChatRequest) -> ReplyStream:
        self.chats.append(request)
        return super().start_chat(request)

    def last_prompt(self) -> str:
        return "\n".join(message.content for message in self.chats[-1].messages)


@pytest.fixture(scope="module")
def served(host: ModelHost) -> RecordingServed:
    return RecordingServed(host)


@pytest.fixture(scope="module")
def server_url(served: RecordingServed) -> Iterator[str]:
    with running_api(served) as url:
        yield url


@pytest.fixture
def no_engine_key(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("LONGWIT_ENGINE_API_KEY", "OPENAI_API_KEY"):
        monkeypatch.delenv(name, raising=False)


def open_picker(qtbot, window: MainWindow) -> ModelPickerDialog:
    before = window.models.picker  # closed and deleted, if one was opened before
    window.models.choose_model()  # it opens once the recent models are read
    qtbot.waitUntil(lambda: window.models.picker is not before and window.models.picker.isVisible(),
                    timeout=MODEL_LOAD_MS)
    return window.models.picker


def list_server(qtbot, picker: ModelPickerDialog, url: str) -> None:
    """Type the address on the Server tab and list its models, as a person would."""
    picker.tabs.setCurrentWidget(picker.server)
    qtbot.waitUntil(lambda: not picker.server.listing, timeout=ANSWER_MS)  # one the tab started
    picker.server.address.setText(url)
    with qtbot.waitSignal(picker.server.listed, timeout=ANSWER_MS):
        picker.server.list_button.click()


def choose_server(qtbot, window: MainWindow, url: str) -> None:
    """List the server in the picker and press Load; returns once the window uses it."""
    picker = open_picker(qtbot, window)
    list_server(qtbot, picker, url)
    with qtbot.waitSignal(window.chat.model_loaded, timeout=MODEL_LOAD_MS):
        picker.ok_button.click()


def stored_setting(window: MainWindow) -> dict | None:
    with own_database(window) as db:
        value = SettingsStore(db).get(ENGINE_KEY)
    return None if value is None else json.loads(value)


def connect_failing(qtbot, window: MainWindow, engine: RemoteEngine) -> str:
    """Ask the window to use `engine`; the banner's line once the connect has failed."""
    with qtbot.waitSignal(window.chat.model_failed, timeout=ANSWER_MS):
        window.models.connect_engine(engine)
    assert window.banner.isVisible()
    return window.banner.message()


def test_chat_goes_through_the_chosen_server_which_is_used_again_at_the_next_start(
        qtbot, longwit_home: Path, served: RecordingServed, server_url: str, no_engine_key: None) -> None:
    window = open_test_window(qtbot, longwit_home)
    assert window.chat.card.engine is None
    picker = open_picker(qtbot, window)
    assert picker.tabs.currentWidget() is not picker.server  # a local model answers: its tab first
    list_server(qtbot, picker, server_url)
    server = picker.server
    assert [server.models.item(i).text() for i in range(server.models.count())] == [
        f"{SERVED_NAME} · 2,048-token context"]
    assert server.chosen_model() == SERVED_NAME and server.error_label.isHidden()
    assert "No API key" in server.key_label.text() and picker.local_details.isHidden()
    assert picker.ok_button.text() == "Connect" and picker.ok_button.isEnabled()
    with qtbot.waitSignal(window.chat.model_loaded, timeout=MODEL_LOAD_MS):
        picker.ok_button.click()

    card = window.chat.card
    assert card.engine == server_url and card.name == SERVED_NAME and card.n_ctx == 2048
    assert window.model_status.label.text() == SERVED_NAME
    assert window.model_status.detail.text() == f"2,048 context · {server_url.split('//')[1]}"
    asked = len(served.chats)
    done = ask(qtbot, window, "Name a colour of the sky.")
    assert done.text.strip() and len(served.chats) == asked + 1
    assert "Name a colour of the sky." in served.last_prompt()
    qtbot.waitUntil(lambda: stored_setting(window) is not None, timeout=ANSWER_MS)
    assert stored_setting(window) == {"url": server_url, "model": SERVED_NAME, "n_ctx": None,
                                      "read_s": EngineTimeouts.read_s}
    window.close()

    again = open_test_window(qtbot, longwit_home)  # the stored choice, connected at start
    assert again.chat.card.engine == server_url and again.models.engine is not None
    assert open_picker(qtbot, again).tabs.currentWidget() is again.models.picker.server
    assert again.models.picker.server.address.text() == server_url
    again.models.picker.reject()
    again.close()


def test_document_questions_go_to_the_server_and_the_local_model_comes_back(
        qtbot, longwit_home: Path, tmp_path: Path, served: RecordingServed, server_url: str,
        no_engine_key: None) -> None:
    document = tmp_path / "velmora.md"
    document.write_text(DOCUMENT, encoding="utf-8")
    window = open_test_window(qtbot, longwit_home)
    choose_server(qtbot, window, server_url)
    with qtbot.waitSignal(window.chat.prefilled, timeout=ANSWER_MS) as prefilled:
        drop_and_wait(qtbot, window, [document])
    assert prefilled.args[1].mode == "full"
    done = ask(qtbot, window, "Which schooner ran aground on the northern reef?")
    assert done.text.strip() and "Wrenfield ran aground" in served.last_prompt()
    window.sources.measure_compression()  # needs the model's own numbers, which a server does not give
    assert "Measuring needs a model loaded on this computer" in window.banner.message()

    picker = open_picker(qtbot, window)
    assert picker.tabs.currentWidget() is picker.server  # the engine answers: its tab first
    picker.tabs.setCurrentIndex(0)
    qtbot.waitUntil(lambda: picker.ok_button.isEnabled(), timeout=MODEL_LOAD_MS)
    assert picker.ok_button.text() == "Load" and picker.local_details.isVisible()
    with qtbot.waitSignal(window.chat.model_loaded, timeout=MODEL_LOAD_MS):
        picker.ok_button.click()
    assert window.chat.card.engine is None and window.models.engine is None
    asked = len(served.chats)
    assert ask(qtbot, window, "Which schooner ran aground?").text.strip()
    assert len(served.chats) == asked  # answered here, not by the server
    qtbot.waitUntil(lambda: stored_setting(window) is None, timeout=ANSWER_MS)


def test_a_server_that_is_down_is_a_banner_and_the_previous_model_answers(
        qtbot, longwit_home: Path, no_engine_key: None) -> None:
    down = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    window = open_test_window(qtbot, longwit_home)
    before = window.chat.card
    picker = open_picker(qtbot, window)
    list_server(qtbot, picker, down)
    assert picker.server.models.count() == 0 and picker.server.error_label.isVisible()
    line = picker.server.error_label.text()
    assert f"Could not reach the engine at {down}" in line and "\n" not in line
    with qtbot.waitSignal(window.chat.model_failed, timeout=ANSWER_MS):
        picker.ok_button.click()  # Load anyway: the window tries, and says what went wrong
    message = window.banner.message()
    assert f"Could not reach the engine at {down}" in message and f"Still using {before.name}" in message
    assert window.chat.card == before and window.model_status.label.text() == before.name
    assert ask(qtbot, window, "Say hello.").text.strip()
    assert stored_setting(window) is None


def test_a_stored_server_that_is_down_at_start_falls_back_to_the_local_model(
        qtbot, longwit_home: Path, served: RecordingServed, server_url: str, no_engine_key: None) -> None:
    window = open_test_window(qtbot, longwit_home)
    choose_server(qtbot, window, server_url)
    qtbot.waitUntil(lambda: stored_setting(window) is not None, timeout=ANSWER_MS)
    window.close()
    with own_database(window) as db:  # the server moved away while Longwit was closed
        down = f"http://127.0.0.1:{free_port()}"
        SettingsStore(db).set(ENGINE_KEY, json.dumps({"url": down, "model": SERVED_NAME}))

    again = open_test_window(qtbot, longwit_home)  # returns once the local model has loaded
    assert again.chat.card.engine is None
    message = again.banner.message()
    assert f"Could not reach the engine at {down}" in message
    assert "tried again at the next start" in message
    assert stored_setting(again)["url"] == down  # kept: the server may be back next time


def test_garbage_and_silence_are_one_banner_line_each(qtbot, longwit_home: Path,
                                                      no_engine_key: None) -> None:
    html, silent = MisbehavingServer("html"), MisbehavingServer("silent-everywhere")
    try:
        window = open_test_window(qtbot, longwit_home)
        before = window.chat.card
        picker = open_picker(qtbot, window)
        list_server(qtbot, picker, html.url)
        assert "did not answer as an OpenAI-compatible server" in picker.server.error_label.text()
        picker.reject()
        line = connect_failing(qtbot, window, RemoteEngine(html.url))
        assert f"The engine at {html.url} did not answer as an OpenAI-compatible server" in line
        line = connect_failing(qtbot, window, RemoteEngine(silent.url, timeouts=EngineTimeouts(read_s=1)))
        assert f"The engine at {silent.url} sent nothing for 1 s" in line
        assert window.chat.card == before and f"Still using {before.name}" in line
        assert ask(qtbot, window, "Say hello.").text.strip()
    finally:
        html.close()
        silent.close()


def test_an_answer_the_server_stops_sending_is_a_banner_and_the_question_stays(
        qtbot, longwit_home: Path, no_engine_key: None) -> None:
    stalls = MisbehavingServer("stalls")  # lists its model, then stops mid-answer
    try:
        window = open_test_window(qtbot, longwit_home)
        with qtbot.waitSignal(window.chat.model_loaded, timeout=MODEL_LOAD_MS):
            window.models.connect_engine(RemoteEngine(stalls.url, timeouts=EngineTimeouts(read_s=1)))
        assert window.chat.card.name == TINY_MODEL
        box = window.pane.composer.box
        box.setFocus()
        box.setPlainText("Are you there?")
        with qtbot.waitSignal(window.chat.reply_failed, timeout=ANSWER_MS):
            qtbot.keyClick(box, Qt.Key.Key_Return)
        assert f"The engine at {stalls.url} sent nothing for 1 s" in window.banner.message()
        messages = stored_messages(window)
        assert [m.content for m in messages if m.role == "user"] == ["Are you there?"]
    finally:
        stalls.close()


def test_the_key_is_sent_but_never_stored_or_logged(qtbot, longwit_home: Path, served: RecordingServed,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.setenv("LONGWIT_ENGINE_API_KEY", API_KEY)
    with running_api(served, API_KEY) as url:
        window = open_test_window(qtbot, longwit_home, debug_logging=True)  # questions are logged
        picker = open_picker(qtbot, window)
        list_server(qtbot, picker, url)
        assert "the API key from LONGWIT_ENGINE_API_KEY" in picker.server.key_label.text()
        with qtbot.waitSignal(window.chat.model_loaded, timeout=MODEL_LOAD_MS):
            picker.ok_button.click()
        assert ask(qtbot, window, "Say hello.").text.strip()
        qtbot.waitUntil(lambda: stored_setting(window) is not None, timeout=ANSWER_MS)
        monkeypatch.setenv("LONGWIT_ENGINE_API_KEY", "a-wrong-key")
        line = connect_failing(qtbot, window, RemoteEngine(url))
        assert "HTTP 401" in line and "wrong" in line and "a-wrong-key" not in line
        window.close()
    written = b"".join(p.read_bytes() for p in sorted(longwit_home.rglob("*")) if p.is_file())
    assert b"Say hello." in written  # the log and the database were written, with the question
    assert API_KEY.encode() not in written and b"a-wrong-key" not in written


@pytest.mark.slow
def test_a_voice_call_answers_through_the_server(qtbot, longwit_home: Path, tmp_path: Path,
                                                 served: RecordingServed, server_url: str,
                                                 no_engine_key: None) -> None:
    mic = script(tmp_path / "mic.wav", 0.5, "How many legs does a spider have?", 0.5)
    window = open_test_window(qtbot, longwit_home)
    choose_server(qtbot, window, server_url)
    window.settings = replace(window.settings, max_tokens=24)  # read when the call starts
    window.voice.backend_factory = lambda: FileAudioBackend(mic, tail_silence_s=TAIL_S)
    heard = Heard(window.voice)
    asked = len(served.chats)
    start_call(qtbot, window)
    heard.wait(qtbot, lambda: bool(heard.answers) and window.voice.state == LISTENING)
    hang_up(qtbot, window)
    (said,) = heard.user
    assert len(served.chats) == asked + 1 and said in served.last_prompt()
    (answer,) = heard.answers
    assert answer.heard.strip() and not heard.failures


def test_an_address_with_a_password_is_refused_in_the_picker_and_never_shown(qtbot) -> None:
    panel = EnginePanel()
    qtbot.addWidget(panel)
    panel.address.setText("http://ada:hunter2@gpu-box:8080")
    assert panel.can_choose() and panel.chosen() is None  # Connect does nothing but say why
    assert "user name or password" in panel.error_label.text()
    with qtbot.waitSignal(panel.listed, timeout=ANSWER_MS):
        panel.list_models()  # nothing is sent: the address is refused before any request
    assert "user name or password" in panel.error_label.text() and panel.models.count() == 0
    assert "hunter2" not in panel.error_label.text() + panel.status.text()
