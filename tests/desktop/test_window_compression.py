"""The compression meter in the window, with the real SmolLM2 and a real SQLite file: a pinned
document's figures match the engine's own measurement, the map has a tile per stored chunk and
opens the document at a passage, the window keeps turning while the meter runs, Cancel stops it
(running or still queued behind other model work) and says so, and the chat answers afterwards,
including a question asked while the meter ran."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from desktop.window.controllers import compression_controller
from desktop.window.controllers.compression_controller import (
    MeasuredDocument,
    compression_refusal,
    stored_passages,
    throttled,
)
from desktop.window.dialogs.compression_dialog import STOPPED
from desktop.window.stall_meter import StallMeter
from engine.compression_meter import measure_compression
from storage import DocumentStore, open_database
from tests.desktop.window_helpers import ANSWER_MS, ask, drop_files, open_test_window, stored_messages

SECTIONS = {
    "Harbour": "The harbour of Velmora was rebuilt in 1887 after the great flood. Its new stone quay "
               "ran the length of the bay, and the fishing fleet moored there from March to October.",
    "Lighthouse": "Its lighthouse keeper, Ansel Marrow, kept a diary of every ship that passed the "
                  "point, with the weather, the wind and the hour of each sighting.",
    "Wrecks": "The diary records that the schooner Wrenfield ran aground on the northern reef in "
              "1891. Her crew of nine rowed to the quay before dawn and nobody was lost.",
    "Trade": "Salt, timber and dried cod left the harbour every week; coal, flour and lamp oil came "
             "in. The customs house kept its ledgers in the keeper's tower until 1902.",
}
STALL_LIMIT_MS = 250  # the window must keep turning; 2 busy cores make 50 ms too tight to promise


def write_document(folder: Path) -> Path:
    path = folder / "velmora.md"
    path.write_text("\n\n".join(f"# {title}\n\n{text}" for title, text in SECTIONS.items()) + "\n",
                    encoding="utf-8")
    return path


def window_with_document(qtbot, home: Path, folder: Path):
    window = open_test_window(qtbot, home)
    with qtbot.waitSignal(window.chat.prefilled, timeout=ANSWER_MS):
        drop_files(window, [write_document(folder)])
    documents_shown(qtbot, window)
    return window


def documents_shown(qtbot, window) -> None:
    """Wait for the documents list, read on the window's database thread after the pre-fill."""
    qtbot.waitUntil(lambda: bool(window.pane.document_panel.chips), timeout=ANSWER_MS)


def held_meter(monkeypatch: pytest.MonkeyPatch) -> tuple[threading.Event, threading.Event]:
    """The real meter, held on the model's thread after its first passage until `go` is set (or
    the measurement is cancelled), so a test can act while it is surely mid-measurement; `reached`
    says it got there."""
    reached, go = threading.Event(), threading.Event()
    real = compression_controller.measure_compression

    def measure(model, name, passages, options, progress, cancel):
        def hold(fraction: float, what: str) -> None:
            progress(fraction, what)
            if not reached.is_set():
                reached.set()
                while not (go.is_set() or cancel.is_set()):
                    go.wait(0.05)

        return real(model, name, passages, options, hold, cancel)

    monkeypatch.setattr(compression_controller, "measure_compression", measure)
    return reached, go


def test_measuring_a_pinned_document_shows_the_meters_figures_and_map(qtbot, longwit_home: Path,
                                                                      tmp_path: Path) -> None:
    window = open_test_window(qtbot, longwit_home)
    window.actions_by_name["Measure compression of a document…"].trigger()
    assert "Choose one of the documents" in window.banner.message()  # none pinned yet
    with qtbot.waitSignal(window.chat.prefilled, timeout=ANSWER_MS):
        drop_files(window, [write_document(tmp_path)])
    documents_shown(qtbot, window)
    panel = window.pane.document_panel
    assert panel.measure_button.isVisibleTo(window)
    heard: list[tuple[float, str, bool]] = []
    window.compression.progress.connect(
        lambda fraction, what: heard.append((fraction, what, window.compression.busy)))
    stalls = StallMeter()
    stalls.start()
    with qtbot.waitSignal(window.compression.measured, timeout=ANSWER_MS) as measured:
        panel.measure_button.click()
    stall = stalls.stop("measuring")
    result: MeasuredDocument = measured.args[0]
    assert any(0 < fraction < 1 and busy for fraction, _what, busy in heard), heard
    assert stall.longest_ms < STALL_LIMIT_MS, stall

    documents = DocumentStore(open_database(window.database))
    document = documents.list()[0]
    title, passages = stored_passages(window.database, document.id)
    direct = window.chat.host.call(lambda model: measure_compression(model, title, passages))
    view = window.sources.compression_view
    assert view is not None and view.isVisible() and view.status.text().startswith("Measured")
    bits_per_byte = view.values["Bits per byte"].text()
    assert bits_per_byte.startswith(f"{direct.text.bits_per_byte:.3f}")
    assert f"words shuffled: {direct.shuffled.bits_per_byte:.3f}" in bits_per_byte
    assert view.values["Bits per token"].text().startswith(f"{direct.text.bits_per_token:.3f}")
    assert f"{direct.text.tokens:,} tokens" in view.values["Size"].text()
    assert "saves" in view.values["Word order"].text()
    assert len(view.map.tiles) == len(documents.chunks(document.id)) == len(result.passages) > 1
    assert view.surprising.count() >= 1

    view.map.choose(2)  # what a click on the third tile does
    viewer = window.sources.viewer
    assert viewer is not None and viewer.isVisible()
    assert viewer.highlighted.replace("\u2029", "\n") == passages[2].text
    assert passages[2].label in viewer.where.text()

    # The scan forgot the KV cache: the answer reads its prompt (the document) again.
    done = ask(qtbot, window, "Which schooner ran aground on the northern reef?")
    assert "Wrenfield" in done.text and done.citations and not done.cut


def test_the_row_menu_opens_the_meter_and_cancel_stops_it_mid_measurement(
        qtbot, longwit_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    reached, go = held_meter(monkeypatch)
    window = window_with_document(qtbot, longwit_home, tmp_path)
    panel = window.pane.document_panel
    panel.choose(panel.chips[0].document_id)
    panel.measure_action.trigger()  # "How well does the model read this?…" in the chip's menu
    view = window.sources.compression_view
    assert view is not None and view.isVisible()
    qtbot.waitUntil(reached.is_set, timeout=ANSWER_MS)
    with qtbot.waitSignal(window.compression.stopped, timeout=ANSWER_MS):
        view.cancel_button.click()
        go.set()
    assert view.status.text() == STOPPED
    assert not view.results.isVisibleTo(view) and view.again_button.isVisibleTo(view)
    assert not window.compression.busy
    done = ask(qtbot, window, "Which schooner ran aground on the northern reef?")
    assert done.text and not done.cut


def test_cancel_stops_a_measurement_still_waiting_for_the_model(qtbot, longwit_home: Path,
                                                               tmp_path: Path) -> None:
    window = window_with_document(qtbot, longwit_home, tmp_path)
    gate = threading.Event()
    holder = threading.Thread(target=lambda: window.chat.host.call(lambda _model: gate.wait(60)))
    holder.start()  # other work holds the model's thread
    try:
        window.sources.measure_compression()  # the only document
        view = window.sources.compression_view
        assert view is not None
        qtbot.waitUntil(lambda: view.status.text() == "Waiting for the model…", timeout=ANSWER_MS)
        with qtbot.waitSignal(window.compression.stopped, timeout=ANSWER_MS):
            view.cancel_button.click()
            gate.set()
    finally:
        gate.set()
        holder.join()
    assert view.status.text() == STOPPED


def test_closing_the_window_mid_measurement_stops_every_thread(qtbot, longwit_home: Path,
                                                              tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    reached, _go = held_meter(monkeypatch)
    before = set(threading.enumerate())
    window = window_with_document(qtbot, longwit_home, tmp_path)
    window.sources.measure_compression()
    qtbot.waitUntil(reached.is_set, timeout=ANSWER_MS)
    window.close()
    assert window.closed_cleanly
    left = [t.name for t in threading.enumerate() if t not in before and t.name.startswith("longwit")]
    assert not left, left


def test_a_question_asked_while_measuring_waits_then_is_answered(qtbot, longwit_home: Path,
                                                                 tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    reached, go = held_meter(monkeypatch)
    window = window_with_document(qtbot, longwit_home, tmp_path)
    order: list[str] = []
    window.compression.measured.connect(lambda _measured: order.append("measured"))
    window.chat.reply_done.connect(lambda _done: order.append("answered"))
    window.sources.measure_compression()
    qtbot.waitUntil(reached.is_set, timeout=ANSWER_MS)
    box = window.pane.composer.box
    box.setPlainText("Which schooner ran aground on the northern reef?")
    window.pane.composer.send.emit(box.toPlainText())
    assert "measuring" in window.banner.message()
    go.set()
    qtbot.waitUntil(lambda: order == ["measured", "answered"], timeout=ANSWER_MS)
    messages = stored_messages(window)
    assert messages[-1].role == "assistant" and messages[-1].content and not messages[-1].cut


def test_progress_reaches_the_window_in_steps_and_each_phase_is_told() -> None:
    heard: list[tuple[float, str]] = []
    report = throttled(lambda fraction, what: heard.append((fraction, what)), step=0.1)
    for i in range(1, 101):
        report(i / 200, "the document")
    for i in range(101, 201):
        report(i / 200, "its words shuffled")
    assert 10 <= len(heard) <= 12  # a tenth at a time, and the second phase at once
    assert heard[0] == (0.005, "Measuring the document…")
    assert (0.505, "Measuring its words shuffled…") in heard and heard[-1][0] == 1.0


def test_a_measurement_is_refused_with_a_reason() -> None:
    assert compression_refusal(True, True, False, None) is None
    assert "Already measuring “Velmora”" in compression_refusal(True, True, False, "Velmora")
    assert "Choose one of the documents" in compression_refusal(False, True, False, None)
    assert "wait for it to load" in compression_refusal(True, False, False, None)
    assert "Hang up the voice call" in compression_refusal(True, True, True, None)
