"""Documents and models in the window, with real drops: a dropped file is read, pinned, pre-filled and
answered over with a citation that opens the passage; bad drops (unsupported files, a corrupt GGUF,
a folder with too many files) get a banner and change nothing; switching models keeps the
conversation."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QUrl

from desktop.window.controllers import document_controller
from engine.catalog import resolve_model
from storage import ConversationStore, DocumentStore, open_database
from tests.desktop.window_helpers import ANSWER_MS, MODEL_LOAD_MS, ask, drop_files, open_test_window

FACTS = (
    "The harbour of Velmora was rebuilt in 1887 after the great flood.\n\n"
    "Its lighthouse keeper, Ansel Marrow, kept a diary of every ship that passed.\n\n"
    "The diary records that the schooner Wrenfield ran aground on the northern reef in 1891.\n"
)


def drop_and_wait(qtbot, window, paths: list[Path]) -> None:
    with qtbot.waitSignal(window.documents.finished, timeout=ANSWER_MS):
        drop_files(window, paths)


def test_a_dropped_document_is_read_prefilled_and_cited(qtbot, longwit_home: Path, tmp_path: Path) -> None:
    document = tmp_path / "velmora.md"
    document.write_text("# Velmora\n\n" + FACTS, encoding="utf-8")
    window = open_test_window(qtbot, longwit_home)
    with qtbot.waitSignal(window.chat.prefilled, timeout=ANSWER_MS) as prefilled:
        drop_and_wait(qtbot, window, [document])
    use = prefilled.args[1]
    panel = window.pane.document_panel
    # Read again on the window's database thread after the pre-fill, with its token count.
    qtbot.waitUntil(lambda: len(panel.chips) == 1 and "tokens" in panel.chips[0].size.text(),
                    timeout=ANSWER_MS)
    assert "velmora" in panel.chips[0].name.text().lower() and panel.chips[0].type.text() == "MD"
    assert use.mode == "full" and use.used_tokens > sum(use.document_tokens.values()) > 20
    assert panel.gauge.isVisibleTo(window) and panel.gauge.value() == use.used_tokens
    assert panel.mode.text() == "Whole document in context" and panel.mode.isVisibleTo(window)

    readings: list[str] = []
    window.chat.reading_again.connect(lambda _cid, line: readings.append(line))
    done = ask(qtbot, window, "Which schooner ran aground on the northern reef?")
    # Read again as passages (engine/rereading): a three-paragraph note is one passage, so the
    # best passage alone and the six best are the same prompt, read once.
    assert readings == ["Reading the passages (1 of 2)…", "Reading the passages again (2 of 2)…"]
    assert done.citations, "an answer over a document carries its sources"
    number = done.citations[0].number
    link = f"cite:{done.message_id}:{number}"
    assert link in window.pane.view.toHtml()
    window.pane.view.anchorClicked.emit(QUrl(link))  # what a click on the link sends
    qtbot.waitUntil(lambda: window.sources.viewer is not None and window.sources.viewer.isVisible(),
                    timeout=ANSWER_MS)
    viewer = window.sources.viewer
    assert "Velmora" in viewer.where.text()
    cited = done.citations[0].quote.split()[0]
    assert cited in viewer.highlighted.replace("\u2029", "\n")


def test_unsupported_files_get_a_banner_and_nothing_is_stored(qtbot, longwit_home: Path,
                                                              tmp_path: Path) -> None:
    odd = tmp_path / "picture.xyz"
    odd.write_bytes(b"\x00\x01binary")
    window = open_test_window(qtbot, longwit_home)
    drop_and_wait(qtbot, window, [odd])
    assert window.banner.isVisible() and "picture.xyz" in window.banner.message()
    assert DocumentStore(open_database(window.database)).list() == []
    assert window.pane.composer.box.isEnabled()


def test_a_folder_with_too_many_files_is_capped_with_a_message(qtbot, longwit_home: Path, tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(document_controller, "MAX_FILES_PER_DROP", 3)
    folder = tmp_path / "notes"
    folder.mkdir()
    for index in range(7):
        (folder / f"note-{index}.txt").write_text(f"Note number {index} is about topic {index * 7}.")
    window = open_test_window(qtbot, longwit_home)
    rows: dict[str, float] = {}
    window.documents.file_progress.connect(
        lambda _cid, name, share: rows.__setitem__(name, window.pane.document_panel.reading[name].value()))
    drop_and_wait(qtbot, window, [folder])
    assert sorted(rows) == ["note-0.txt", "note-1.txt", "note-2.txt"]  # a row with a bar for each
    assert len(DocumentStore(open_database(window.database)).pinned(window.pane.conversation_id)) == 3
    assert "4 more files were left out" in window.banner.message()


def picker_for_drop(qtbot, window, path: Path):
    """Drop a .gguf: the model picker opens on it and reads its header off the GUI thread."""
    drop_files(window, [path])  # it opens once the recent models are read
    qtbot.waitUntil(lambda: window.models.picker is not None and window.models.picker.isVisible(),
                    timeout=MODEL_LOAD_MS)
    picker = window.models.picker
    qtbot.waitUntil(lambda: not picker.checking, timeout=MODEL_LOAD_MS)
    return picker


def test_a_corrupt_gguf_is_refused_and_the_model_stays(qtbot, longwit_home: Path, tmp_path: Path) -> None:
    broken = tmp_path / "broken.gguf"
    broken.write_bytes(b"GGUF" + b"\x00" * 64)
    window = open_test_window(qtbot, longwit_home)
    before = window.chat.card
    picker = picker_for_drop(qtbot, window, broken)
    assert not picker.ok_button.isEnabled()
    assert picker.error_label.isVisible() and picker.error_label.text()
    picker.reject()
    assert window.chat.card == before
    assert ask(qtbot, window, "Say hello.").text


def test_a_model_that_fails_to_load_leaves_a_banner_and_the_old_model(qtbot, longwit_home: Path,
                                                                      tmp_path: Path) -> None:
    window = open_test_window(qtbot, longwit_home)
    before = window.chat.card
    with qtbot.waitSignal(window.chat.model_failed, timeout=MODEL_LOAD_MS):
        window.chat.load_model(str(tmp_path / "missing.gguf"), window.settings.load_options())
    assert "missing.gguf" in window.banner.message() and "Still using" in window.banner.message()
    assert window.chat.card == before


def test_switching_models_mid_conversation_keeps_it(qtbot, longwit_home: Path, models_dir: Path) -> None:
    window = open_test_window(qtbot, longwit_home)
    ask(qtbot, window, "What is a lighthouse?")
    gemma = resolve_model("gemma-3-270m", models_dir).path
    picker = picker_for_drop(qtbot, window, gemma)
    assert picker.ok_button.isEnabled()
    with qtbot.waitSignal(window.chat.model_loaded, timeout=MODEL_LOAD_MS) as loaded:
        picker.accept()
    assert loaded.args[0].name != "smollm2-135m-instruct"
    assert "gemma" in window.model_status.label.text().lower()
    done = ask(qtbot, window, "And what is a harbour?")
    messages = ConversationStore(open_database(window.database)).messages(window.pane.conversation_id)
    assert [m.role for m in messages] == ["user", "assistant", "user", "assistant"]
    assert messages[-1].id == done.message_id
    assert "What is a lighthouse?" in window.pane.view.plain_text()


def test_closing_while_a_document_is_read_stops_cleanly_and_keeps_nothing_half_written(
        qtbot, longwit_home: Path, tmp_path: Path) -> None:
    import threading

    from desktop.window.ui_benchmark import write_document

    big = write_document(tmp_path, 3_000_000)
    before = set(threading.enumerate())
    window = open_test_window(qtbot, longwit_home)
    with qtbot.waitSignal(window.documents.progress, timeout=ANSWER_MS):
        drop_files(window, [big])
    window.close()
    assert window.closed_cleanly
    left = [t.name for t in threading.enumerate() if t not in before and t.name.startswith("longwit")]
    assert not left, left
    documents = DocumentStore(open_database(window.database))
    for document in documents.list():  # a document is there whole, or not at all
        assert documents.chunks(document.id) and document.chunk_count == len(documents.chunks(document.id))
