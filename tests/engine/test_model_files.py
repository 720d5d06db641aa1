"""Bad model files get a message naming the file and the mistake, before llama.cpp sees them."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.catalog import BUNDLED, resolve_model
from engine.errors import ContextTooLarge, ModelNotFound, NotAGgufFile, TruncatedModel
from engine.gguf_file import read_gguf_info
from engine.loader import LoadOptions, load_model


def test_missing_path_names_it_and_lists_bundled_models(models_dir: Path) -> None:
    with pytest.raises(ModelNotFound) as caught:
        resolve_model("/no/such/model.gguf", models_dir)
    message = str(caught.value)
    assert "/no/such/model.gguf" in message
    assert all(name in message for name in BUNDLED)


def test_text_file_renamed_gguf_is_not_a_model(tmp_path: Path, models_dir: Path) -> None:
    fake = tmp_path / "notes.gguf"
    fake.write_text("these are my notes, not a model\n")
    with pytest.raises(NotAGgufFile, match="starts with 'thes'"):
        load_model(str(fake), LoadOptions(), models_dir)


def test_empty_file_and_folder_are_not_models(tmp_path: Path) -> None:
    empty = tmp_path / "empty.gguf"
    empty.touch()
    with pytest.raises(NotAGgufFile, match="empty"):
        read_gguf_info(empty)
    with pytest.raises(NotAGgufFile, match="folder"):
        read_gguf_info(tmp_path)


@pytest.mark.parametrize("keep", [0.00001, 0.5, 0.999])
def test_truncated_gguf_is_reported_as_incomplete(
    tmp_path: Path, chat_model_path: Path, keep: float, models_dir: Path
) -> None:
    data = chat_model_path.read_bytes()
    cut = tmp_path / "cut.gguf"
    cut.write_bytes(data[: max(8, int(len(data) * keep))])
    with pytest.raises(TruncatedModel, match="incomplete"):
        load_model(str(cut), LoadOptions(), models_dir)


def test_bundled_models_report_their_trained_context(models_dir: Path) -> None:
    smol = read_gguf_info(resolve_model("smollm2-135m-instruct", models_dir).path)
    gemma = read_gguf_info(resolve_model("gemma-3-270m", models_dir).path)
    assert (smol.context_length, gemma.context_length) == (8192, 32768)
    assert smol.chat_template and "im_start" in smol.chat_template
    assert gemma.chat_template is None


def test_context_larger_than_memory_says_what_fits(models_dir: Path) -> None:
    with pytest.raises(ContextTooLarge, match=r"use --ctx \d+ or less"):
        load_model(None, LoadOptions(n_ctx=2**40, gpu_layers=0), models_dir)
