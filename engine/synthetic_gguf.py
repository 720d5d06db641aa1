"""A GGUF file with a real model's shape and random weights (engine/model_shapes), which llama.cpp
and Longwit's loader take as they would the real download. Quality is not the point: load time,
memory, pre-fill speed and the size of a saved state depend on the shape alone.

What it holds, and how it differs from a real download:
- Weights drawn from a normal distribution (standard deviation 1/sqrt(fan-in), so activations stay
  in range) and quantized with `gguf.quants` as `llama-quantize Q4_0` lays them out: the matrices
  in Q4_0, the output projection (the token embeddings, when they are tied) in Q8_0 where
  llama-quantize writes Q6_K, which `gguf.quants` cannot make (7% more bytes for that one tensor),
  norms and biases in f32. Popular downloads are Q4_K_M, about 10% larger than Q4_0, with the same
  KV cache; Q4_0 is what Python can write.
- A SentencePiece ("llama") vocabulary of the model's size, where the real ones are BPE: the
  control tokens its chat template needs, the 256 byte tokens (any text can be tokenized), then
  made-up word pieces. The chat template is the family's (ChatML, Llama 3) in its short form.

The file is written tensor by tensor, each in chunks of rows, so memory stays at one chunk, and it
appears under its name only once it is whole (written beside it, then renamed).
"""

from __future__ import annotations

import math
import os
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from gguf import GGMLQuantizationType, GGUFWriter, LlamaFileType, TokenType
from gguf.quants import quant_shape_to_byte_shape, quantize

from engine.model_shapes import ModelShape

CHUNK_ELEMENTS = 8 * 2**20  # floats drawn and quantized at a time (32 MB)
Progress = Callable[[int, int], None]  # (bytes written, bytes in all)

CHAT_TEMPLATES = {
    "chatml": (
        "{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\\n' + "
        "message['content'] + '<|im_end|>' + '\\n' }}{% endfor %}"
        "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}"
    ),
    "llama3": (
        "{{ bos_token }}{% for message in messages %}{{ '<|start_header_id|>' + message['role'] + "
        "'<|end_header_id|>\\n\\n' + message['content'] | trim + '<|eot_id|>' }}{% endfor %}"
        "{% if add_generation_prompt %}{{ '<|start_header_id|>assistant<|end_header_id|>\\n\\n' }}"
        "{% endif %}"
    ),
}
# Control tokens first; (bos, eos) name two of them; Qwen adds no BOS, Llama 3 does.
SPECIAL_TOKENS = {
    "chatml": (["<unk>", "<|endoftext|>", "<|im_start|>", "<|im_end|>"],
               ("<|endoftext|>", "<|im_end|>"), False),
    "llama3": (["<unk>", "<|begin_of_text|>", "<|end_of_text|>", "<|start_header_id|>",
                "<|end_header_id|>", "<|eot_id|>"], ("<|begin_of_text|>", "<|eot_id|>"), True),
}


class SyntheticWriteCancelled(Exception):
    """The file was not finished; nothing was left under its name."""


@dataclass(frozen=True)
class TensorPlan:
    name: str
    shape: tuple[int, ...]  # numpy order: (rows, columns), a row being one output's weights
    qtype: GGMLQuantizationType
    fill: str = "normal"  # "normal" (a weight matrix), "ones" (a norm), "zeros" (a bias), "rope"

    @property
    def nbytes(self) -> int:
        return int(np.prod(quant_shape_to_byte_shape(self.shape, self.qtype)))


def word_piece(index: int) -> str:
    """A unique made-up piece in lowercase letters ("▁a", "▁b", …, "▁ba", …)."""
    letters = []
    while True:
        index, rest = divmod(index, 26)
        letters.append(chr(ord("a") + rest))
        if index == 0:
            return "▁" + "".join(reversed(letters))


def word_piece_ids(shape: ModelShape) -> range:
    """The ids of the made-up word pieces: ordinary text tokens, for prompts of any length."""
    return range(len(SPECIAL_TOKENS[shape.chat_style][0]) + 256, shape.vocab_size)


def vocabulary(shape: ModelShape) -> tuple[list[str], list[float], list[int]]:
    """Tokens, scores and token types: control tokens, the 256 byte tokens, then word pieces."""
    specials = SPECIAL_TOKENS[shape.chat_style][0]
    tokens = list(specials) + [f"<0x{byte:02X}>" for byte in range(256)]
    types = [TokenType.UNKNOWN] + [TokenType.CONTROL] * (len(specials) - 1) + [TokenType.BYTE] * 256
    if shape.vocab_size < len(tokens) + 1:
        raise ValueError(f"a vocabulary of {shape.vocab_size} cannot hold the byte tokens")
    pieces = shape.vocab_size - len(tokens)
    tokens += [word_piece(i) for i in range(pieces)]
    types += [TokenType.NORMAL] * pieces
    scores = [0.0] * (len(specials) + 256) + [-float(i) for i in range(pieces)]
    return tokens, scores, [int(t) for t in types]


def tensor_plan(shape: ModelShape) -> list[TensorPlan]:
    """Every tensor llama.cpp expects for this architecture, in the order converters write them."""
    q4, q8, f32 = GGMLQuantizationType.Q4_0, GGMLQuantizationType.Q8_0, GGMLQuantizationType.F32
    hidden, q_width, kv_width = shape.hidden_size, shape.heads * shape.head_dim, \
        shape.kv_heads * shape.head_dim
    plan = [TensorPlan("token_embd.weight", (shape.vocab_size, hidden),
                       q8 if shape.tied_embeddings else q4)]
    if shape.rope_scaling is not None:
        plan.append(TensorPlan("rope_freqs.weight", (shape.head_dim // 2,), f32, "rope"))
    for layer in range(shape.layers):
        block = f"blk.{layer}"
        plan.append(TensorPlan(f"{block}.attn_norm.weight", (hidden,), f32, "ones"))
        for part, width in (("q", q_width), ("k", kv_width), ("v", kv_width)):
            plan.append(TensorPlan(f"{block}.attn_{part}.weight", (width, hidden), q4))
            if shape.qkv_bias:
                plan.append(TensorPlan(f"{block}.attn_{part}.bias", (width,), f32, "zeros"))
        if shape.qk_norm:
            plan.append(TensorPlan(f"{block}.attn_q_norm.weight", (shape.head_dim,), f32, "ones"))
            plan.append(TensorPlan(f"{block}.attn_k_norm.weight", (shape.head_dim,), f32, "ones"))
        plan += [
            TensorPlan(f"{block}.attn_output.weight", (hidden, q_width), q4),
            TensorPlan(f"{block}.ffn_norm.weight", (hidden,), f32, "ones"),
            TensorPlan(f"{block}.ffn_gate.weight", (shape.intermediate_size, hidden), q4),
            TensorPlan(f"{block}.ffn_up.weight", (shape.intermediate_size, hidden), q4),
            TensorPlan(f"{block}.ffn_down.weight", (hidden, shape.intermediate_size), q4),
        ]
    plan.append(TensorPlan("output_norm.weight", (hidden,), f32, "ones"))
    if not shape.tied_embeddings:
        plan.append(TensorPlan("output.weight", (shape.vocab_size, hidden), q8))
    return plan


def add_metadata(writer: GGUFWriter, shape: ModelShape) -> None:
    """The keys llama.cpp reads for these architectures, with the model's own values."""
    writer.add_name(f"{shape.model} (synthetic, random weights)")
    writer.add_file_type(LlamaFileType.MOSTLY_Q4_0)
    writer.add_quantization_version(2)
    writer.add_context_length(shape.context_length)
    writer.add_embedding_length(shape.hidden_size)
    writer.add_feed_forward_length(shape.intermediate_size)
    writer.add_block_count(shape.layers)
    writer.add_head_count(shape.heads)
    writer.add_head_count_kv(shape.kv_heads)
    writer.add_key_length(shape.head_dim)
    writer.add_value_length(shape.head_dim)
    writer.add_rope_dimension_count(shape.head_dim)
    writer.add_rope_freq_base(shape.rope_theta)
    writer.add_layer_norm_rms_eps(shape.rms_norm_eps)
    writer.add_vocab_size(shape.vocab_size)
    tokens, scores, types = vocabulary(shape)
    specials, (bos, eos), add_bos = SPECIAL_TOKENS[shape.chat_style]
    writer.add_tokenizer_model("llama")
    writer.add_token_list(tokens)
    writer.add_token_scores(scores)
    writer.add_token_types(types)
    writer.add_bos_token_id(specials.index(bos))
    writer.add_eos_token_id(specials.index(eos))
    writer.add_unk_token_id(0)
    writer.add_add_bos_token(add_bos)
    writer.add_add_eos_token(False)
    writer.add_chat_template(CHAT_TEMPLATES[shape.chat_style])


def tensor_chunks(plan: TensorPlan, shape: ModelShape, rng: np.random.Generator) -> Iterator[bytes]:
    """The tensor's bytes in chunks of whole rows, each drawn and quantized on its own."""
    if len(plan.shape) == 1:
        if plan.fill == "rope":
            values = np.asarray(shape.rope_factors(), dtype=np.float32)
        else:
            values = np.full(plan.shape, 1.0 if plan.fill == "ones" else 0.0, dtype=np.float32)
        yield values.tobytes()
        return
    rows, columns = plan.shape
    scale = 1 / math.sqrt(columns)
    step = max(1, CHUNK_ELEMENTS // columns)
    for start in range(0, rows, step):
        count = min(step, rows - start)
        weights = rng.standard_normal((count, columns), dtype=np.float32)
        weights *= scale
        yield quantize(weights, plan.qtype).tobytes()


def pad_to(handle, alignment: int) -> None:
    handle.write(bytes(-handle.tell() % alignment))


def write_synthetic_gguf(shape: ModelShape, path: Path, seed: int = 0,
                         progress: Progress | None = None,
                         cancel: threading.Event | None = None) -> Path:
    """Write `shape` as a GGUF at `path` (replacing it), via a `.partial` file beside it."""
    path = Path(path)
    partial = path.with_name(path.name + ".partial")
    plans = tensor_plan(shape)
    total = sum(p.nbytes for p in plans)
    writer = GGUFWriter(partial, shape.architecture)
    add_metadata(writer, shape)
    for plan in plans:
        writer.add_tensor_info(plan.name, plan.shape, np.dtype(np.float32), plan.nbytes,
                               raw_dtype=plan.qtype)
    rng = np.random.default_rng(seed)
    written = 0
    try:
        writer.write_header_to_file()
        writer.write_kv_data_to_file()
        writer.write_ti_data_to_file()
        handle = writer.fout[0]
        for plan in plans:
            pad_to(handle, writer.data_alignment)  # every tensor starts aligned, as GGUF requires
            for chunk in tensor_chunks(plan, shape, rng):
                if cancel is not None and cancel.is_set():
                    raise SyntheticWriteCancelled(f"Stopped writing {path.name}.")
                handle.write(chunk)
                written += len(chunk)
                if progress is not None:
                    progress(written, total)
        pad_to(handle, writer.data_alignment)
        handle.flush()
        os.fsync(handle.fileno())
        writer.close()
        partial.replace(path)
    except BaseException:
        writer.close()
        partial.unlink(missing_ok=True)
        raise
    return path
