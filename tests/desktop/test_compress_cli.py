"""`longwit compress` end to end with the bundled SmolLM2: the figures of a real article and of its
words shuffled, its most surprising passage named by its place, the JSON; a damaged file is one
line and no traceback."""

from __future__ import annotations

import json
import random
from pathlib import Path

from click.testing import CliRunner

from desktop.cli.main import main
from engine.evaluation.squad import load_articles


def test_compress_prints_the_figures_and_writes_json(longwit_home: Path, tmp_path: Path) -> None:
    article = load_articles()[5]
    rng = random.Random(0)
    noise = " ".join("".join(rng.choices("qxzjkvwy", k=5)) for _ in range(60))
    document = tmp_path / "article.md"
    document.write_text(f"# {article.title}\n\n" + "\n\n".join(
        p.text for p in article.paragraphs[:3]) + "\n\n## Noise\n\n" + noise)
    out = tmp_path / "compress.json"
    run = CliRunner().invoke(main, ["compress", str(document), "--ctx", "512", "--top", "1",
                                    "--json", str(out)], catch_exceptions=False)
    assert run.exit_code == 0, run.output
    result = json.loads(out.read_text())["documents"][0]
    text, shuffled = result["text"], result["shuffled"]
    assert text["bits_per_byte"] < shuffled["bits_per_byte"]
    assert f"bits per byte   {text['bits_per_byte']:.3f}" in run.output
    assert text["window_shifts"] >= 1  # the document is longer than the 512-token window
    assert sum(p["bytes"] for p in result["passages"]) == text["bytes"]
    assert result["most_surprising"][0]["label"].startswith("§ Noise")
    assert noise[:40] in run.output


def test_a_damaged_file_is_one_line(longwit_home: Path, tmp_path: Path) -> None:
    broken = tmp_path / "broken.pdf"
    broken.write_bytes(b"%PDF-1.7\n" + bytes(range(256)) * 4)
    run = CliRunner().invoke(main, ["compress", str(broken)])
    assert run.exit_code == 1
    assert run.output.startswith("Error: ") and "broken.pdf" in run.output
    assert "Traceback" not in run.output
