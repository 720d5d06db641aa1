"""The catalogue data file validates whole, and a damaged one is refused naming the entry and field."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from engine.catalog import resolve_model
from engine.errors import CatalogueInvalid, NotDownloaded, UnknownCatalogueModel
from engine.model_catalogue import (
    CATALOGUE_FILE,
    FIELDS,
    entry_for_file,
    find_entry,
    load_catalogue,
    parse_catalogue,
)
from engine.sampling_defaults import sampling_choice


def raw_catalogue() -> dict:
    return json.loads(CATALOGUE_FILE.read_text(encoding="utf-8"))


def test_every_entry_is_complete_checked_and_unique() -> None:
    raw = raw_catalogue()["models"]
    entries = load_catalogue()
    assert len(entries) == len(raw) >= 9
    for item in raw:
        assert set(FIELDS) <= set(item), item["name"]
    for entry in entries:
        assert len(entry.sha256) == 64 and int(entry.sha256, 16) >= 0
        assert entry.url.startswith("https://huggingface.co/") and entry.file_name.endswith(".gguf")
        assert entry.size_bytes > 100_000_000 and entry.context_length >= 8192
        assert entry.source.strip() and entry.licence.strip()
        assert 0 < entry.sampling["temperature"] <= 1.0
    assert len({e.name for e in entries}) == len({e.file_name for e in entries}) == len(entries)
    assert len({e.sha256 for e in entries}) == len(entries)


def test_the_catalogue_covers_the_sizes_the_issue_names() -> None:
    names = {entry.name for entry in load_catalogue()}
    assert {"qwen3-0.6b", "qwen3-1.7b", "qwen3-4b", "qwen3-8b", "llama-3.2-1b-instruct",
            "llama-3.2-3b-instruct", "gemma-3-1b-it", "gemma-3-4b-it"} <= names
    assert "deepseek-r1-distill-qwen-1.5b" in names  # a reasoning model


@pytest.mark.parametrize("change,problem", [
    (lambda m: m.update(sha256="abc"), "sha256 that is not 64"),
    (lambda m: m.update(url="http://example.org/x.gguf"), "url that is not https"),
    (lambda m: m.update(url="https://example.org/x.bin"), "not a .gguf"),
    (lambda m: m.update(size_bytes=-1), "size_bytes that is not a positive"),
    (lambda m: m.pop("licence"), "lacks licence"),
    (lambda m: m["sampling"].update(mirostat=2), "unknown sampling fields mirostat"),
    (lambda m: m["shape"].pop("kv_heads"), "shape without"),
    (lambda m: m.update(name="Qwen 3"), "name that is not lower-case"),
])
def test_a_damaged_entry_is_refused_naming_it(change, problem: str) -> None:
    raw = raw_catalogue()
    change(raw["models"][2])
    with pytest.raises(CatalogueInvalid) as refused:
        parse_catalogue(json.dumps(raw))
    assert problem in str(refused.value) and "entry 3" in str(refused.value)


def test_repeated_names_and_other_formats_are_refused() -> None:
    raw = raw_catalogue()
    raw["models"].append(dict(raw["models"][0]))
    with pytest.raises(CatalogueInvalid, match=r"repeats the name qwen3-0\.6b"):
        parse_catalogue(json.dumps(raw))
    with pytest.raises(CatalogueInvalid, match="is not JSON"):
        parse_catalogue("{")
    with pytest.raises(CatalogueInvalid, match="is not a longwit-model-catalogue"):
        parse_catalogue(json.dumps({"format": "other", "version": 1, "models": []}))


def test_names_resolve_to_the_downloaded_file_or_say_how_to_get_it(tmp_path: Path) -> None:
    with pytest.raises(UnknownCatalogueModel, match=r"qwen3-0\.6b"):
        find_entry("qwen4")
    entry = find_entry("qwen3-0.6b")
    with pytest.raises(NotDownloaded, match=r"longwit models get qwen3-0\.6b"):
        resolve_model("qwen3-0.6b", tmp_path)
    assert not entry.is_downloaded(tmp_path)
    with entry.target(tmp_path).open("wb") as handle:  # a sparse file of the right size stands in
        handle.truncate(entry.size_bytes)
    assert entry.is_downloaded(tmp_path)
    ref = resolve_model("qwen3-0.6b", tmp_path)
    assert ref.path == entry.target(tmp_path).resolve() and ref.name == "qwen3-0.6b"
    assert entry_for_file(ref.path) == entry


def test_the_header_expected_before_download_gives_the_cache_size() -> None:
    qwen8 = find_entry("qwen3-8b").expected_header(Path("models"))
    # 36 layers × 8 KV heads × (128 + 128) × 2 bytes (f16): 147,456 bytes a token.
    assert qwen8.kv_bytes_per_token("f16") == 147_456
    assert qwen8.file_size == 5_027_783_488


def test_catalogue_sampling_beats_a_wrong_family_guess() -> None:
    # The R1 distill is a qwen2 model by architecture, whose family card says 0.7 / top_p 0.8; its
    # own card says 0.6 / 0.95, and the catalogue knows the file by name.
    entry = find_entry("deepseek-r1-distill-qwen-1.5b")
    choice = sampling_choice({}, "qwen2", "DeepSeek R1 Distill Qwen 1.5B", entry.file_name)
    assert choice.settings == {"temperature": 0.6, "top_p": 0.95}
    assert "DeepSeek-R1-Distill-Qwen 1.5B" in choice.source
    own = sampling_choice({"general.sampling.temp": "0.3"}, "qwen2", "x", entry.file_name)
    assert own.source == "the model file"  # what the file itself says still wins
