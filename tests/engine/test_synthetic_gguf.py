"""Synthetic GGUFs with real models' shapes (engine/model_shapes, engine/synthetic_gguf): the
tiny shape loads through Longwit's loader and writes tokens, its header says its shape, a file cut
short is refused as any download would be, and each real layout (Qwen2, Qwen3, Llama 3.1), shrunk,
is a model llama.cpp builds."""

from __future__ import annotations

import dataclasses
import threading
from pathlib import Path

import numpy as np
import pytest
from gguf import GGMLQuantizationType, GGUFReader
from gguf.quants import dequantize

from engine.chat_format import ChatMessage
from engine.errors import TruncatedModel
from engine.generation import GenerationOptions, generate
from engine.gguf_file import read_gguf_info
from engine.loader import LoadOptions, load_model
from engine.model_shapes import SHAPES, TINY
from engine.synthetic_gguf import SyntheticWriteCancelled, tensor_plan, write_synthetic_gguf


def test_the_tiny_shape_loads_through_the_loader_and_writes_tokens(tiny_shape_model: Path,
                                                                     tmp_path: Path) -> None:
    model = load_model(str(tiny_shape_model), LoadOptions(n_ctx=512), tmp_path)
    pieces: list[str] = []
    try:
        assert model.chat_format.template is not None  # its own template, not a plain transcript
        assert model.llama.n_vocab() == TINY.vocab_size
        prompt = model.prompt_tokens([ChatMessage("user", "hello there")])
        start = model.llama.tokenize(b"<|im_start|>", add_bos=False, special=True)
        result = generate(model, prompt, GenerationOptions(max_tokens=8, temperature=0.0),
                          threading.Event(), pieces.append)
    finally:
        model.release()
    assert len(start) == 1 and prompt[0] == start[0]  # a control token, as in the real vocabulary
    assert result.completion_tokens > 0 and "".join(pieces) == result.text


def test_its_header_says_its_shape(tiny_shape_model: Path) -> None:
    info = read_gguf_info(tiny_shape_model)
    assert (info.architecture, info.block_count, info.embedding_length) == ("qwen3", 2, 64)
    assert (info.head_count, info.head_count_kv, info.key_length) == (4, 2, 32)
    assert info.context_length == TINY.context_length
    assert info.kv_bytes_per_token("f16") == TINY.kv_bytes_per_token("f16")
    assert "<|im_start|>" in (info.chat_template or "")
    reader = GGUFReader(tiny_shape_model)
    assert [t.name for t in reader.tensors] == [plan.name for plan in tensor_plan(TINY)]


def test_its_weights_are_quantized_with_the_intended_spread(tiny_shape_model: Path) -> None:
    tensors = {t.name: t for t in GGUFReader(tiny_shape_model).tensors}
    up = tensors["blk.0.ffn_up.weight"]
    assert up.tensor_type == GGMLQuantizationType.Q4_0
    assert tensors["token_embd.weight"].tensor_type == GGMLQuantizationType.Q8_0  # tied: the output
    weights = dequantize(up.data, up.tensor_type)
    assert weights.shape == (TINY.intermediate_size, TINY.hidden_size)
    assert np.std(weights) == pytest.approx(1 / np.sqrt(TINY.hidden_size), rel=0.15)


def test_a_file_cut_short_is_refused_with_the_loaders_line(tiny_shape_model: Path,
                                                           tmp_path: Path) -> None:
    cut = tmp_path / "cut.gguf"
    cut.write_bytes(tiny_shape_model.read_bytes()[: tiny_shape_model.stat().st_size * 2 // 3])
    with pytest.raises(TruncatedModel, match=r"is incomplete.*download or copy it again"):
        load_model(str(cut), LoadOptions(n_ctx=512), tmp_path)


def test_a_cancelled_write_leaves_nothing(tmp_path: Path) -> None:
    cancel = threading.Event()
    target = tmp_path / "tiny.gguf"
    with pytest.raises(SyntheticWriteCancelled):
        write_synthetic_gguf(TINY, target, progress=lambda _done, _total: cancel.set(),
                             cancel=cancel)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("name", ["1.5b", "4b", "8b"])
def test_each_real_layout_shrunk_is_a_model_llama_cpp_builds(name: str, tmp_path: Path) -> None:
    """The real shapes' tensor sets (biases, per-head norms, RoPE factors, an untied output),
    with small dimensions; the real sizes are written by `longwit bench shapes`."""
    shape = dataclasses.replace(SHAPES[name], vocab_size=2048, hidden_size=128,
                                intermediate_size=256, layers=2, heads=4, kv_heads=2, head_dim=32)
    path = write_synthetic_gguf(shape, tmp_path / f"{name}.gguf")
    model = load_model(str(path), LoadOptions(n_ctx=512), tmp_path)
    try:
        assert model.info.architecture == shape.architecture
        model.llama.eval(model.prompt_tokens([ChatMessage("user", "hello there")]))
        # llama.cpp's own last logits: Llama.scores is not written unless logits_all (its rows
        # are then uninitialised memory, which made this check fail at random)
        last = np.ctypeslib.as_array(model.llama._ctx.get_logits(), shape=(model.llama.n_vocab(),))
        assert np.isfinite(last).all() and last.std() > 0
    finally:
        model.release()


def test_the_real_shapes_have_their_published_sizes() -> None:
    """Parameter counts as the model cards give them, and the KV cache a token costs."""
    billions = {name: SHAPES[name].parameter_count() / 1e9 for name in ("1.5b", "4b", "8b")}
    assert billions == pytest.approx({"1.5b": 1.54, "4b": 4.02, "8b": 8.03}, abs=0.01)
    per_token = {name: SHAPES[name].kv_bytes_per_token("f16") for name in ("1.5b", "4b", "8b")}
    assert per_token == {"1.5b": 28_672, "4b": 147_456, "8b": 131_072}
