"""Reading a GGUF file's header before llama.cpp sees it: is it GGUF, is it whole, what shape is it.

llama.cpp's own failure on a bad file is a generic "failed to load model"; checking here first lets us
say which of the usual mistakes it is, and gives the figures the context-size estimate needs. The
header is parsed here rather than with `gguf.GGUFReader`, which builds every tensor and vocabulary
entry as numpy objects (8 s for Gemma 3's 262K-token vocabulary on this machine); we only need the
scalar metadata and the tensor sizes, and skip arrays without decoding them. The type tables come
from the `gguf` package.
"""

from __future__ import annotations

import mmap
import struct
from dataclasses import dataclass
from pathlib import Path

from gguf import GGML_QUANT_SIZES, GGMLQuantizationType, GGUFValueType

from engine.errors import NotAGgufFile, TruncatedModel

GGUF_MAGIC = b"GGUF"
DEFAULT_ALIGNMENT = 32

# Bytes per element of the KV cache for the cache types llama.cpp offers (q8_0: 34 bytes per 32).
KV_TYPE_BYTES = {"f32": 4.0, "f16": 2.0, "bf16": 2.0, "q8_0": 34 / 32, "q5_1": 24 / 32,
                 "q5_0": 22 / 32, "q4_1": 20 / 32, "q4_0": 18 / 32}

SCALAR_FORMATS = {
    GGUFValueType.UINT8: "<B", GGUFValueType.INT8: "<b", GGUFValueType.UINT16: "<H",
    GGUFValueType.INT16: "<h", GGUFValueType.UINT32: "<I", GGUFValueType.INT32: "<i",
    GGUFValueType.FLOAT32: "<f", GGUFValueType.BOOL: "<?", GGUFValueType.UINT64: "<Q",
    GGUFValueType.INT64: "<q", GGUFValueType.FLOAT64: "<d",
}


@dataclass(frozen=True)
class GgufInfo:
    path: Path
    architecture: str
    name: str
    context_length: int
    block_count: int
    embedding_length: int
    head_count: int
    head_count_kv: int
    key_length: int
    value_length: int
    chat_template: str | None
    file_size: int

    def kv_bytes_per_token(self, kv_type: str = "f16") -> float:
        """Memory one token of context takes in the KV cache, over all layers."""
        per_layer = self.head_count_kv * (self.key_length + self.value_length)
        return self.block_count * per_layer * KV_TYPE_BYTES[kv_type]


class HeaderReader:
    """Sequential little-endian reads over a memory map; running off the end means truncation."""

    def __init__(self, data: mmap.mmap) -> None:
        self.data = data
        self.offset = 0

    def unpack(self, fmt: str):
        value = struct.unpack_from(fmt, self.data, self.offset)[0]
        self.offset += struct.calcsize(fmt)
        return value

    def string(self) -> str:
        length = self.unpack("<Q")
        if self.offset + length > len(self.data):
            raise struct.error("string runs past the end of the file")
        text = self.data[self.offset : self.offset + length].decode("utf-8", "replace")
        self.offset += length
        return text

    def skip_string(self) -> None:
        length = self.unpack("<Q")  # read first: `offset += unpack()` would use the old offset
        self.offset += length

    def value(self, kind: int, keep: bool = True):
        """Read one value; arrays are skipped (None) unless they hold scalars we may want."""
        kind = GGUFValueType(kind)
        if kind == GGUFValueType.STRING:
            return self.string() if keep else self.skip_string()
        if kind == GGUFValueType.ARRAY:
            item_kind = GGUFValueType(self.unpack("<I"))
            count = self.unpack("<Q")
            if item_kind == GGUFValueType.STRING:
                for _ in range(count):
                    self.skip_string()
                return None
            if item_kind == GGUFValueType.ARRAY:
                for _ in range(count):
                    self.value(item_kind, keep=False)
                return None
            fmt = SCALAR_FORMATS[item_kind]
            if count > 4096:  # vocabulary scores and token types: skip without decoding
                self.offset += struct.calcsize(fmt) * count
                return None
            return [self.unpack(fmt) for _ in range(count)]
        return self.unpack(SCALAR_FORMATS[kind])


def tensor_bytes(ggml_type: int, dims: list[int]) -> int:
    block_size, type_size = GGML_QUANT_SIZES[GGMLQuantizationType(ggml_type)]
    elements = 1
    for dim in dims:
        elements *= dim
    return elements // block_size * type_size


def check_magic(path: Path) -> int:
    """Raise NotAGgufFile unless the file exists, is not empty and starts with the GGUF magic."""
    if not path.is_file():
        raise NotAGgufFile(path, "it is a folder" if path.is_dir() else "there is no such file")
    size = path.stat().st_size
    if size == 0:
        raise NotAGgufFile(path, "the file is empty")
    with path.open("rb") as handle:
        head = handle.read(4)
    if head != GGUF_MAGIC:
        text = head.decode("latin-1")
        shown = text if text.isascii() and text.isprintable() else head.hex()
        raise NotAGgufFile(path, f"it starts with {shown!r} instead of 'GGUF'")
    return size


def read_metadata(path: Path, size: int) -> tuple[dict, int]:
    """The scalar metadata and the number of bytes the header says the file must have."""
    with path.open("rb") as handle, mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as data:
        reader = HeaderReader(data)
        reader.offset = 4
        version = reader.unpack("<I")
        if version < 2:
            raise NotAGgufFile(path, f"GGUF version {version} is too old for llama.cpp")
        tensor_count = reader.unpack("<Q")
        kv_count = reader.unpack("<Q")
        metadata: dict = {}
        for _ in range(kv_count):
            key = reader.string()
            metadata[key] = reader.value(reader.unpack("<I"))
        end_of_data = 0
        for _ in range(tensor_count):
            reader.skip_string()
            dims = [reader.unpack("<Q") for _ in range(reader.unpack("<I"))]
            ggml_type = reader.unpack("<I")
            offset = reader.unpack("<Q")
            end_of_data = max(end_of_data, offset + tensor_bytes(ggml_type, dims))
        alignment = int(metadata.get("general.alignment", DEFAULT_ALIGNMENT))
        data_start = -(-reader.offset // alignment) * alignment
    return metadata, data_start + end_of_data


def read_gguf_info(path: Path) -> GgufInfo:
    """Check the file and read what Longwit needs from its metadata."""
    path = Path(path)
    size = check_magic(path)
    try:
        metadata, needed = read_metadata(path, size)
    except (struct.error, IndexError, OverflowError, MemoryError) as error:
        raise TruncatedModel(path, size, None) from error
    except (ValueError, KeyError) as error:  # an unknown value or tensor type: not for llama.cpp
        raise NotAGgufFile(path, f"its header is damaged: {error}") from error
    except RecursionError as error:  # arrays of arrays nested thousands deep: a crafted header
        raise NotAGgufFile(path, "its header nests arrays thousands deep") from error
    if needed > size:
        raise TruncatedModel(path, size, needed)

    def number(key: str, default: int) -> int:
        value = metadata.get(key, default)
        if isinstance(value, list):  # per-layer values (head_count_kv in some models)
            value = max(value) if value else default
        return int(value)

    arch = str(metadata.get("general.architecture", "unknown"))
    embedding = number(f"{arch}.embedding_length", 0)
    heads = number(f"{arch}.attention.head_count", 1) or 1
    head_dim = embedding // heads
    return GgufInfo(
        path=path,
        architecture=arch,
        name=str(metadata.get("general.name", path.stem)),
        context_length=number(f"{arch}.context_length", 2048),
        block_count=number(f"{arch}.block_count", 0),
        embedding_length=embedding,
        head_count=heads,
        head_count_kv=number(f"{arch}.attention.head_count_kv", heads),
        key_length=number(f"{arch}.attention.key_length", head_dim),
        value_length=number(f"{arch}.attention.value_length", head_dim),
        chat_template=metadata.get("tokenizer.chat_template") or None,
        file_size=size,
    )
