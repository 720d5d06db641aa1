"""The model picker: bundled and recent models, a live memory estimate, bad files refused inline."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from desktop.window.app_settings import AppSettings
from desktop.window.dialogs.model_picker import AUTO_GPU, ModelEntry, ModelPickerDialog, bundled_models
from engine.catalog import DEFAULT_MODEL
from storage.model_uses import ModelUse

GB = 1_000_000_000


def picker(qtbot, models_dir: Path, settings: AppSettings | None = None, recent=(), available=16 * GB,
           path: Path | None = None) -> ModelPickerDialog:
    options = dict(available_memory=lambda: available, offload_supported=False)
    args = (settings or AppSettings(), bundled_models(), list(recent), models_dir)
    if path is None:
        dialog = ModelPickerDialog(*args, **options)
    else:
        dialog = ModelPickerDialog.for_file(path, *args, **options)
    qtbot.addWidget(dialog)
    dialog.show()
    settle(qtbot, dialog)
    return dialog


def settle(qtbot, dialog: ModelPickerDialog) -> None:
    """Wait for the selected file's header, read on a background thread."""
    qtbot.waitUntil(lambda: not dialog.checking, timeout=10_000)


def test_header_is_read_off_the_gui_thread(qtbot, models_dir: Path) -> None:
    dialog = ModelPickerDialog(AppSettings(), bundled_models(), [], models_dir, offload_supported=False)
    qtbot.addWidget(dialog)
    # Nothing has run the event loop yet, so the answer cannot have arrived: the dialog says it is
    # reading and will not load a file it has not checked.
    assert dialog.checking and dialog.info is None
    assert not dialog.ok_button.isEnabled()
    assert dialog.model_label.text() == "Reading the model file…"
    with qtbot.waitSignal(dialog.checked, timeout=10_000):
        pass
    assert not dialog.checking and dialog.info is not None and dialog.ok_button.isEnabled()


def test_bundled_default_shows_an_estimate_that_grows_with_context(qtbot, models_dir: Path) -> None:
    dialog = picker(qtbot, models_dir)
    assert dialog.current_entry() == ModelEntry(True, DEFAULT_MODEL)
    assert dialog.info is not None and dialog.info.context_length == 8192
    assert dialog.ok_button.isEnabled() and dialog.error_label.isHidden()
    automatic = dialog.estimate_label.text()
    assert "8,192 tokens (automatic)" in automatic and "16.0 GB available" in automatic

    dialog.context_spin.setValue(1024)
    small = dialog.estimate
    small_text = dialog.estimate_label.text()
    dialog.context_spin.setValue(8192)
    large = dialog.estimate
    assert small is not None and large is not None
    assert large.context_bytes > small.context_bytes * 4
    assert large.total_bytes > small.total_bytes
    assert small.weights_bytes == dialog.info.file_size  # CPU build: the weights are in host memory
    assert "1,024 tokens" in small_text and dialog.estimate_label.text() != small_text
    # The sum shown is of plausible size for a 135M-parameter Q4 model: well under a gigabyte.
    assert 50_000_000 < small.total_bytes < GB
    assert dialog.warning_label.isHidden()


def test_too_little_memory_warns(qtbot, models_dir: Path) -> None:
    # 600 MB available: 85% of it, less 98 MB of weights and 268 MB of working memory, leaves
    # room for about 6K tokens of SmolLM2's 23 KB-per-token cache.
    dialog = picker(qtbot, models_dir, settings=AppSettings(n_ctx=8192), available=600_000_000)
    assert not dialog.warning_label.isHidden()
    assert "A 8,192-token context will not fit" in dialog.warning_label.text()
    assert "use 6,144 tokens or less" in dialog.warning_label.text()
    dialog.context_spin.setValue(4096)
    assert dialog.warning_label.isHidden()
    assert dialog.ok_button.isEnabled()  # a warning, not a refusal: memory may be freed before loading


def test_model_too_big_for_memory_at_all(qtbot, models_dir: Path) -> None:
    dialog = picker(qtbot, models_dir, available=300_000_000)
    assert "This model does not fit" in dialog.warning_label.text()


def test_random_bytes_named_gguf_shows_the_error_and_disables_ok(qtbot, models_dir: Path,
                                                                 tmp_path: Path) -> None:
    bad = tmp_path / "x.gguf"
    bad.write_bytes(os.urandom(4096).replace(b"GGUF", b"XXXX"))
    dialog = picker(qtbot, models_dir, path=bad)
    assert dialog.current_entry() == ModelEntry(False, str(bad.resolve()))
    assert not dialog.error_label.isHidden()
    assert "is not a GGUF model file" in dialog.error_label.text()
    assert not dialog.ok_button.isEnabled()
    assert dialog.estimate_label.isHidden()
    dialog.accept()  # Enter must not get past the error either
    assert dialog.result() != dialog.DialogCode.Accepted

    dialog.select_bundled(DEFAULT_MODEL)  # choosing a good model clears the error
    settle(qtbot, dialog)
    assert dialog.ok_button.isEnabled() and dialog.error_label.isHidden()


def test_chosen_reflects_the_spin_boxes(qtbot, models_dir: Path, chat_model_path: Path) -> None:
    settings = AppSettings(temperature=0.3)
    dialog = picker(qtbot, models_dir, settings=settings)
    assert dialog.chosen() == settings  # nothing touched: nothing changes, the default stays None
    assert dialog.gpu_spin.value() == AUTO_GPU and dialog.gpu_spin.text() == "Automatic"

    dialog.select_path(chat_model_path)
    settle(qtbot, dialog)
    dialog.context_spin.setValue(4096)
    dialog.gpu_spin.setValue(0)
    dialog.threads_spin.setValue(2)
    chosen = dialog.chosen()
    assert chosen.model == str(chat_model_path.resolve())
    assert (chosen.n_ctx, chosen.gpu_layers, chosen.n_threads) == (4096, 0, 2)
    assert chosen.temperature == 0.3  # what the picker does not edit is kept

    dialog.context_spin.setValue(0)
    dialog.gpu_spin.setValue(AUTO_GPU)
    dialog.threads_spin.setValue(0)
    chosen = dialog.chosen()
    assert (chosen.n_ctx, chosen.gpu_layers, chosen.n_threads) == (None, "auto", None)


def test_accepting_emits_the_choice(qtbot, models_dir: Path) -> None:
    dialog = picker(qtbot, models_dir, settings=AppSettings(n_threads=3))
    dialog.gpu_spin.setValue(-1)
    with qtbot.waitSignal(dialog.model_chosen, timeout=1000) as signal:
        dialog.ok_button.click()
    assert signal.args[0].gpu_layers == -1 and signal.args[0].n_threads == 3


def test_recent_files_listed_unless_gone_or_bundled(qtbot, models_dir: Path, chat_model_path: Path,
                                                   tmp_path: Path) -> None:
    kept = tmp_path / "mine.gguf"
    kept.write_bytes(chat_model_path.read_bytes())
    recent = [
        ModelUse(str(kept), "mine", 2048, "2025-01-02T03:04:05", 3),
        ModelUse(str(tmp_path / "deleted.gguf"), "deleted", None, "2025-01-01T00:00:00", 1),
        ModelUse(str(chat_model_path), DEFAULT_MODEL, None, "2025-01-01T00:00:00", 9),
    ]
    dialog = picker(qtbot, models_dir, recent=recent)
    rows = [dialog.model_list.item(row).text() for row in range(dialog.model_list.count())]
    assert any(text.startswith("mine\n") and "last used 2025-01-02" in text for text in rows)
    assert not any("deleted" in text for text in rows)
    assert sum(DEFAULT_MODEL in text for text in rows) == 1
    assert "Recent files" in rows

    dialog.select_path(kept)  # a file already listed is selected, not added twice
    settle(qtbot, dialog)
    assert dialog.model_list.count() == len(rows)
    assert dialog.current_entry() == ModelEntry(False, str(kept.resolve()))
    assert dialog.info is not None and dialog.ok_button.isEnabled()


def test_saved_file_model_is_preselected(qtbot, models_dir: Path, chat_model_path: Path) -> None:
    dialog = picker(qtbot, models_dir, settings=AppSettings(model=str(chat_model_path), n_ctx=2048))
    assert dialog.current_entry() == ModelEntry(False, str(chat_model_path.resolve()))
    assert dialog.context_spin.value() == 2048
    assert dialog.chosen().n_ctx == 2048


def test_gemma_not_yet_assembled_is_explained_not_built(qtbot, tmp_path: Path) -> None:
    empty_models = tmp_path / "models"
    dialog = picker(qtbot, empty_models, settings=AppSettings(model="gemma-3-270m"))
    assert dialog.current_entry() == ModelEntry(True, "gemma-3-270m")
    assert dialog.ok_button.isEnabled()  # loading it assembles it; only the estimate must wait
    assert "first time it loads" in dialog.model_label.text()
    assert dialog.estimate_label.isHidden()
    assert not empty_models.exists()  # nothing was assembled just to look at it


@pytest.mark.parametrize("text,value", [("Automatic", AUTO_GPU), ("All layers", -1), ("12", 12)])
def test_gpu_spin_box_words(qtbot, text: str, value: int) -> None:
    from desktop.window.dialogs.model_picker import GpuLayersSpinBox

    spin = GpuLayersSpinBox()
    qtbot.addWidget(spin)
    assert spin.valueFromText(text) == value
    spin.setValue(value)
    assert spin.text() == text

