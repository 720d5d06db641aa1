"""The packer's budget comes from the person's own probe of the file, else the figure measured for
a bundled model, else a conservative default."""

from __future__ import annotations

from pathlib import Path

from engine.catalog import BUNDLED_USABLE_TOKENS
from engine.probe_records import DEFAULT_USABLE_TOKENS
from engine.usable_context import usable_context
from storage import open_database
from storage.model_probes import ProbeStore


def test_a_probe_of_the_file_wins_over_the_bundled_figure(chat_model_path: Path,
                                                          longwit_home: Path) -> None:
    db = open_database(longwit_home / "longwit.db")
    before = usable_context(db, chat_model_path)
    assert before.tokens == BUNDLED_USABLE_TOKENS[chat_model_path.name]
    assert before.source == "measured for this bundled model"
    ProbeStore(db).record(chat_model_path, 3072, 8192, 8000, 9.5, [], "test")
    after = usable_context(db, chat_model_path)
    assert after.tokens == 3072 and after.source.startswith("probed ")


def test_an_unknown_model_file_gets_the_conservative_default(tmp_path: Path, longwit_home: Path) -> None:
    mine = tmp_path / "my-model.gguf"
    mine.write_bytes(b"GGUF")
    context = usable_context(open_database(longwit_home / "longwit.db"), mine)
    assert context.tokens == DEFAULT_USABLE_TOKENS and "probe" in context.source
