"""The model picker's Download tab against a real HTTP server on 127.0.0.1: a download runs off the
GUI thread with its progress shown, and the checked file is then selected; Cancel keeps the part and
Resume finishes it; a refused download is said in the tab while the chosen model stays chosen."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt

from desktop.benchmarks.model_server import ModelServer
from desktop.window.app_settings import AppSettings
from desktop.window.dialogs.model_picker import ModelEntry, ModelPickerDialog, bundled_models
from engine.catalog import DEFAULT_MODEL
from engine.model_catalogue import CatalogueEntry, ModelShape
from engine.model_download import DownloadOptions
from engine.partial_download import PartialDownload
from tests.conftest import ServedModel

DOWNLOAD_MS = 60_000
LEFT = Qt.MouseButton.LeftButton
MB = 1_000_000


def local_entry(url: str, served: ServedModel, name: str = "smollm2-local") -> CatalogueEntry:
    """A catalogue entry for the bundled SmolLM2 file as the test server offers it."""
    return CatalogueEntry(
        name=name, title=f"SmolLM2 135M ({name})", parameters="135M", quantization="Q4_1", url=url,
        size_bytes=served.size, sha256=served.sha256, licence="Apache-2.0", context_length=8192,
        shape=ModelShape("llama", 30, 3, 64), sampling={"temperature": 0.2},
        description="The bundled file, served over HTTP by the test.", source="tests",
    )


def open_picker(qtbot, home: Path, entries: list[CatalogueEntry],
                options: DownloadOptions | None = None) -> ModelPickerDialog:
    dialog = ModelPickerDialog(AppSettings(), bundled_models(), [], home / "models",
                               available_memory=lambda: 16 * 10**9, offload_supported=False,
                               catalogue=entries, download_options=options)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitUntil(lambda: not dialog.checking, timeout=10_000)
    dialog.tabs.setCurrentWidget(dialog.catalogue)
    return dialog


def test_a_download_shows_progress_then_selects_the_checked_model(qtbot, model_server: ModelServer,
                                                                  served_model: ServedModel,
                                                                  longwit_home: Path) -> None:
    url = model_server.serve("picker-smollm2.gguf", served_model.path)
    dialog = open_picker(qtbot, longwit_home, [local_entry(url, served_model)])
    panel = dialog.catalogue
    row = panel.list.item(0).text()
    assert "98 MB" in row and "fits: 8,192 tokens" in row and "not downloaded" in row
    assert panel.download_button.text() == "Download"
    with qtbot.waitSignal(panel.downloaded, timeout=DOWNLOAD_MS) as done:
        qtbot.mouseClick(panel.download_button, LEFT)
        assert panel.busy and not panel.progress.isHidden() and panel.cancel_button.isVisible()
    target = longwit_home / "models" / "picker-smollm2.gguf"
    assert done.args == [target]
    qtbot.waitUntil(lambda: not dialog.checking, timeout=10_000)
    assert dialog.tabs.currentIndex() == 0
    assert dialog.current_entry() == ModelEntry(False, str(target.resolve()))
    assert dialog.info is not None and dialog.info.architecture == "llama"
    assert dialog.ok_button.isEnabled() and dialog.chosen().model == str(target.resolve())
    assert "downloaded and checked" in panel.status.text() and panel.progress.isHidden()
    assert "· downloaded" in panel.list.item(0).text()
    assert panel.download_button.text() == "Use this model"
    assert sorted(p.name for p in target.parent.iterdir()) == [target.name]


def test_cancel_keeps_the_part_and_resume_finishes(qtbot, model_server: ModelServer,
                                                   served_model: ServedModel, longwit_home: Path) -> None:
    url = model_server.serve("picker-resume.gguf", served_model.path, stall_after=10 * MB)
    # Every read reported (not 10 a second): the 10 MB before the stall arrive within 0.1 s here.
    every_read = DownloadOptions(report_every_s=0)
    dialog = open_picker(qtbot, longwit_home, [local_entry(url, served_model, "resume-me")], every_read)
    panel = dialog.catalogue
    part = PartialDownload(longwit_home / "models" / "picker-resume.gguf").part
    panel.start()
    qtbot.waitUntil(lambda: panel.progress.value() > 0 and part.exists()
                    and part.stat().st_size >= 10 * MB, timeout=DOWNLOAD_MS)
    assert "MB of 98 MB" in panel.status.text()  # bytes, and (with the speed) the time left
    with qtbot.waitSignal(panel.finished, timeout=DOWNLOAD_MS):
        qtbot.mouseClick(panel.cancel_button, LEFT)
        assert panel.status.text() == "Stopping…"
        model_server.release.set()  # the stalled response ends; the download sees its cancel
    assert "Download stopped" in panel.status.text() and part.exists()
    assert panel.download_button.text() == "Resume download"
    assert "downloaded so far" in panel.list.item(0).text()
    kept = part.stat().st_size
    model_server.files["/picker-resume.gguf"].stall_after = None
    with qtbot.waitSignal(panel.downloaded, timeout=DOWNLOAD_MS):
        qtbot.mouseClick(panel.download_button, LEFT)
    assert model_server.ranges("picker-resume.gguf") == [None, f"bytes={kept}-"]
    qtbot.waitUntil(lambda: not dialog.checking, timeout=10_000)
    assert dialog.info is not None and not part.exists()


def test_a_refused_download_is_said_and_the_chosen_model_stays(qtbot, model_server: ModelServer,
                                                               served_model: ServedModel,
                                                               longwit_home: Path) -> None:
    url = model_server.serve("picker-page.gguf", served_model.path, html=True)
    dialog = open_picker(qtbot, longwit_home, [local_entry(url, served_model, "a-web-page")])
    assert dialog.current_entry() == ModelEntry(True, DEFAULT_MODEL)
    with qtbot.waitSignal(dialog.catalogue.finished, timeout=DOWNLOAD_MS):
        dialog.catalogue.start()
    status = dialog.catalogue.status
    assert "web page (text/html)" in status.text() and status.accessibleName() == "Error"
    assert dialog.current_entry() == ModelEntry(True, DEFAULT_MODEL) and dialog.ok_button.isEnabled()
    models = longwit_home / "models"
    assert not models.exists() or list(models.iterdir()) == []
