"""The catalogue of well-known GGUF chat models Longwit can download on request
(`model_catalogue.json` beside this file): where each file is, its size and SHA-256, its licence,
context length and the sampling its authors recommend.

The data lives in a file rather than in code so that it reads as what it is, a list of facts with
the source of each; it is checked whole when read, so a wrong entry fails loudly in the tests and
never half-works in the app. Nothing here touches the network (that is `model_download`).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from urllib.parse import unquote, urlsplit

from engine.errors import CatalogueInvalid, UnknownCatalogueModel
from engine.gguf_file import GgufInfo

CATALOGUE_FILE = Path(__file__).with_name("model_catalogue.json")
FORMAT = "longwit-model-catalogue"
SHA256_PATTERN = re.compile(r"[0-9a-f]{64}")
NAME_PATTERN = re.compile(r"[a-z0-9][a-z0-9.\-]*")
SAMPLING_FIELDS = {"temperature", "top_k", "top_p", "min_p", "repeat_penalty"}
FIELDS = ("name", "title", "parameters", "quantization", "url", "size_bytes", "sha256", "licence",
          "context_length", "shape", "sampling", "description", "source")
SHAPE_FIELDS = ("architecture", "layers", "kv_heads", "head_dim")


@dataclass(frozen=True)
class ModelShape:
    """What the memory estimate needs before the file is here (the model's config.json)."""

    architecture: str
    layers: int
    kv_heads: int
    head_dim: int


@dataclass(frozen=True)
class CatalogueEntry:
    name: str  # what `longwit models get NAME` and `--model NAME` take
    title: str
    parameters: str
    quantization: str
    url: str
    size_bytes: int
    sha256: str
    licence: str
    context_length: int
    shape: ModelShape
    sampling: dict[str, float] = field(hash=False)  # what the model card recommends
    description: str
    source: str  # where the size, checksum and sampling were read

    @property
    def file_name(self) -> str:
        return file_name_of(self.url)

    def target(self, models_dir: Path) -> Path:
        """Where the downloaded file lives."""
        return models_dir / self.file_name

    def is_downloaded(self, models_dir: Path) -> bool:
        """The file is there whole. Only a verified download is ever renamed to this name, so its
        size is enough here; hashing gigabytes to draw a list would be too slow."""
        target = self.target(models_dir)
        return target.is_file() and target.stat().st_size == self.size_bytes

    def expected_header(self, models_dir: Path) -> GgufInfo:
        """The header the file will have, as far as the memory estimate reads it, so that whether a
        model fits can be said before it is downloaded. The fields the estimate does not use
        (embedding size, query heads, chat template) are left empty."""
        return GgufInfo(
            path=self.target(models_dir), architecture=self.shape.architecture, name=self.title,
            context_length=self.context_length, block_count=self.shape.layers, embedding_length=0,
            head_count=0, head_count_kv=self.shape.kv_heads, key_length=self.shape.head_dim,
            value_length=self.shape.head_dim, chat_template=None, file_size=self.size_bytes,
        )


def file_name_of(url: str) -> str:
    """The last segment of a URL's path, unquoted, without any folder part."""
    return Path(unquote(urlsplit(url).path)).name


def check_entry(raw: object, where: str) -> CatalogueEntry:
    """One entry from the data file, or CatalogueInvalid naming the entry and the field."""
    if not isinstance(raw, dict):
        raise CatalogueInvalid(where, "is not an object")
    missing = [name for name in FIELDS if name not in raw]
    if missing:
        raise CatalogueInvalid(where, f"lacks {', '.join(missing)}")
    name = raw["name"]
    where = f"{where} ({name})"
    if not isinstance(name, str) or not NAME_PATTERN.fullmatch(name):
        raise CatalogueInvalid(where, "has a name that is not lower-case letters, digits, '.' and '-'")
    if not isinstance(raw["sha256"], str) or not SHA256_PATTERN.fullmatch(raw["sha256"]):
        raise CatalogueInvalid(where, "has a sha256 that is not 64 lower-case hex digits")
    url = raw["url"]
    if not isinstance(url, str) or urlsplit(url).scheme != "https" or not urlsplit(url).hostname:
        raise CatalogueInvalid(where, "has a url that is not https")
    if not file_name_of(url).endswith(".gguf"):
        raise CatalogueInvalid(where, "has a url whose file is not a .gguf")
    for key in ("size_bytes", "context_length"):
        if not isinstance(raw[key], int) or isinstance(raw[key], bool) or raw[key] <= 0:
            raise CatalogueInvalid(where, f"has a {key} that is not a positive whole number")
    for key in ("title", "parameters", "quantization", "licence", "description", "source"):
        if not isinstance(raw[key], str) or not raw[key].strip():
            raise CatalogueInvalid(where, f"has an empty {key}")
    return CatalogueEntry(
        **{key: raw[key] for key in FIELDS if key not in ("shape", "sampling")},
        shape=check_shape(raw["shape"], where), sampling=check_sampling(raw["sampling"], where),
    )


def check_shape(raw: object, where: str) -> ModelShape:
    if not isinstance(raw, dict) or any(key not in raw for key in SHAPE_FIELDS):
        raise CatalogueInvalid(where, f"has a shape without {', '.join(SHAPE_FIELDS)}")
    numbers = [raw[key] for key in SHAPE_FIELDS[1:]]
    if not isinstance(raw["architecture"], str) or not all(
            isinstance(n, int) and not isinstance(n, bool) and n > 0 for n in numbers):
        raise CatalogueInvalid(where, "has a shape whose sizes are not positive whole numbers")
    return ModelShape(raw["architecture"], *numbers)


def check_sampling(raw: object, where: str) -> dict[str, float]:
    if not isinstance(raw, dict) or "temperature" not in raw:
        raise CatalogueInvalid(where, "has no sampling temperature")
    unknown = set(raw) - SAMPLING_FIELDS
    if unknown:
        raise CatalogueInvalid(where, f"has unknown sampling fields {', '.join(sorted(unknown))}")
    if not all(isinstance(value, int | float) and not isinstance(value, bool) and value >= 0
               for value in raw.values()):
        raise CatalogueInvalid(where, "has a sampling value that is not a number of zero or more")
    return dict(raw)


def parse_catalogue(text: str, where: str = "the model catalogue") -> tuple[CatalogueEntry, ...]:
    """Every entry, checked; names and files must be unique, or two entries would share a file."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise CatalogueInvalid(where, f"is not JSON ({error})") from error
    if not isinstance(data, dict) or data.get("format") != FORMAT or data.get("version") != 1:
        raise CatalogueInvalid(where, f"is not a {FORMAT} version 1 file")
    if not isinstance(data.get("models"), list) or not data["models"]:
        raise CatalogueInvalid(where, "lists no models")
    entries = tuple(check_entry(raw, f"{where}, entry {i + 1}") for i, raw in enumerate(data["models"]))
    for key in ("name", "file_name"):
        values = [getattr(entry, key) for entry in entries]
        repeated = sorted({value for value in values if values.count(value) > 1})
        if repeated:
            raise CatalogueInvalid(where, f"repeats the {key.replace('_', ' ')} {', '.join(repeated)}")
    return entries


@cache
def load_catalogue() -> tuple[CatalogueEntry, ...]:
    """The catalogue shipped with Longwit (read once)."""
    return parse_catalogue(CATALOGUE_FILE.read_text(encoding="utf-8"), CATALOGUE_FILE.name)


def find_entry(name: str, entries: tuple[CatalogueEntry, ...] | None = None) -> CatalogueEntry:
    """The entry called `name`, or UnknownCatalogueModel listing the names there are."""
    entries = load_catalogue() if entries is None else entries
    for entry in entries:
        if entry.name == name:
            return entry
    raise UnknownCatalogueModel(name, [entry.name for entry in entries])


def entry_for_file(path: Path) -> CatalogueEntry | None:
    """The catalogue entry whose download this file is (by file name), if any."""
    return next((entry for entry in load_catalogue() if entry.file_name == Path(path).name), None)
