"""GGUF files whose header lies: counts and lengths far past the end of the file, arrays nested
thousands deep, unknown types, and real headers with bytes flipped. Each is refused with
NotAGgufFile or TruncatedModel, quickly, before llama.cpp is given the file."""

from __future__ import annotations

import struct
import time
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from engine.errors import NotAGgufFile, TruncatedModel
from engine.gguf_file import read_gguf_info

STRING, ARRAY, UINT32 = 8, 9, 4


def text(value: str) -> bytes:
    data = value.encode()
    return struct.pack("<Q", len(data)) + data


def header(tensors: int, kvs: int, body: bytes) -> bytes:
    return b"GGUF" + struct.pack("<IQQ", 3, tensors, kvs) + body


def arch_kv() -> bytes:
    return text("general.architecture") + struct.pack("<I", STRING) + text("llama")


def nested_arrays(depth: int) -> bytes:
    return struct.pack("<I", ARRAY) + (struct.pack("<IQ", ARRAY, 1) * depth) + struct.pack("<IQ", UINT32, 0)


LIARS = {
    "kv count far past the end": header(0, 2**63, arch_kv()),
    "tensor count far past the end": header(2**63, 1, arch_kv()),
    "string length far past the end": header(0, 1, struct.pack("<Q", 2**62) + b"general.name"),
    "array of 2^63 strings": header(0, 1, text("tokenizer.ggml.tokens")
                                    + struct.pack("<IIQ", ARRAY, STRING, 2**63) + text("a")),
    "arrays nested 100,000 deep": header(0, 1, text("x") + nested_arrays(100_000)),
    "unknown value type": header(0, 1, text("x") + struct.pack("<I", 999) + b"\0" * 16),
    "tensor of 2^40 elements in a small file": header(
        1, 1, arch_kv() + text("w") + struct.pack("<IQQ", 2, 2**20, 2**20) + struct.pack("<IQ", 0, 0)),
    "unknown tensor type": header(
        1, 1, arch_kv() + text("w") + struct.pack("<IQ", 1, 16) + struct.pack("<IQ", 9999, 0)),
}


@pytest.mark.parametrize("name", LIARS)
def test_a_lying_header_is_refused(tmp_path: Path, name: str) -> None:
    path = tmp_path / "liar.gguf"
    path.write_bytes(LIARS[name] + b"\0" * 64)
    started = time.perf_counter()
    with pytest.raises((NotAGgufFile, TruncatedModel)) as refused:
        read_gguf_info(path)
    assert time.perf_counter() - started < 5.0
    assert str(path) in str(refused.value) and "\n" not in str(refused.value)


@pytest.fixture(scope="module")
def real_header(chat_model_path: Path) -> bytes:
    with chat_model_path.open("rb") as model:
        return model.read(2**20)  # the metadata and the start of the tensor table


@given(st.data())
def test_a_real_header_with_bytes_flipped_is_refused(tmp_path: Path, real_header: bytes,
                                                     data: st.DataObject) -> None:
    """The first megabyte of the bundled model (its header, cut from its tensors) with bytes of
    the header overwritten: never read as a model, never anything but the two typed errors."""
    damaged = bytearray(real_header)
    for _ in range(data.draw(st.integers(1, 8))):
        at = data.draw(st.integers(4, 4096))
        damaged[at] = data.draw(st.integers(0, 255))
    path = tmp_path / "damaged.gguf"
    path.write_bytes(bytes(damaged))
    started = time.perf_counter()
    with pytest.raises((NotAGgufFile, TruncatedModel)):
        read_gguf_info(path)
    assert time.perf_counter() - started < 5.0
