"""The context probe with the real SmolLM2 on a reduced grid: it lays out real SQuAD text as the app
does, finds a planted fact in a short document, stores a usable length it actually tried, and stops
(storing nothing) when cancelled, whether between cells or inside llama.cpp."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import pytest

from engine.context_probe import grid_lengths, judge, probe_context
from engine.evaluation.scoring import contains_answer, normalize_answer
from engine.model_host import ModelHost
from engine.probe_records import (
    DEFAULT_USABLE_TOKENS,
    Asked,
    ProbeCancelled,
    ProbeCell,
    ProbeOptions,
    ProbeResult,
    store_probe,
)
from storage import ProbeStore, open_database

SMALL = ProbeOptions(lengths=(512, 1024), depths=(0.5,), time_full_window=False)


@pytest.fixture(scope="module")
def small_probe(host: ModelHost) -> tuple[ProbeResult, list[tuple[float, str]]]:
    """One reduced probe of the shared 2K-window SmolLM2, with every progress call it made."""
    lines: list[tuple[float, str]] = []
    result = host.call(lambda model: probe_context(model, SMALL, lambda f, line: lines.append((f, line)),
                                                   threading.Event()))
    return result, lines


def test_scoring_normalises_like_squad() -> None:
    assert normalize_answer("The  Courier's code: 4172!") == "courier s code 4172"
    assert contains_answer("It is 4172.", ["4172"]) and not contains_answer("41723", ["4172"])
    assert DEFAULT_USABLE_TOKENS == 2048


def test_lengths_double_from_1k_and_end_with_the_whole_window() -> None:
    assert grid_lengths(ProbeOptions(), 7526) == [1024, 2048, 4096, 7526]
    assert grid_lengths(ProbeOptions(), 32_200) == [1024, 2048, 4096, 8192, 16384, 32_200]
    assert grid_lengths(ProbeOptions(), 4200) == [1024, 2048, 4096]  # 4,200 adds nothing to 4K
    assert grid_lengths(ProbeOptions(), 700) == [700]
    assert grid_lengths(ProbeOptions(lengths=(512, 1024, 4096)), 1389) == [512, 1024, 1389]


def cell(planted: bool, real_right: int, real_asked: int = 3) -> ProbeCell:
    answers = [Asked("planted", "q?", ("1",), correct=planted)]
    answers += [Asked("real", "q?", ("a",), correct=i < real_right) for i in range(real_asked)]
    return ProbeCell(1024, 0.5, 1000, 1100, 1100, 1.0, tuple(answers))


def test_a_length_needs_the_planted_fact_at_two_depths_and_75_percent_of_the_first_accuracy() -> None:
    options = ProbeOptions()
    first = judge(1024, [cell(True, 2), cell(True, 2), cell(False, 0)], None, options)
    assert first.passed and first.real_accuracy == 4 / 9  # the shortest sets the bar
    kept = judge(2048, [cell(True, 1), cell(False, 1), cell(True, 1)], first.real_accuracy, options)
    assert kept.passed  # 3/9 is exactly 75% of 4/9
    assert not judge(2048, [cell(True, 1), cell(False, 1), cell(True, 0)], 4 / 9, options).passed
    assert not judge(2048, [cell(True, 3), cell(False, 3), cell(False, 3)], 4 / 9, options).passed


@pytest.mark.slow
def test_reduced_probe_tries_each_length_and_stores_what_it_found(
    small_probe: tuple[ProbeResult, list[tuple[float, str]]], tmp_path: Path
) -> None:
    result, lines = small_probe
    assert [cell.length for cell in result.cells] == [512, 1024]
    assert result.usable_tokens in (512, 1024)
    assert result.n_ctx == 2048 and result.prefill_tokens > 0 and result.prefill_s > 0
    for cell in result.cells:
        assert cell.length - 64 <= cell.document_tokens <= cell.length  # real text, filled to size
        assert cell.prompt_tokens <= result.n_ctx
        assert [a.kind for a in cell.answers] == ["planted", "real", "real", "real"]
        assert all(a.question.endswith("?") and a.golds for a in cell.answers)
    # One progress call per cell, in the promised shape.
    assert [fraction for fraction, _ in lines] == [0.5, 1.0]
    assert lines[0][1].startswith("512 tokens, depth 50%: planted ") and "real " in lines[0][1]

    store = ProbeStore(open_database(tmp_path / "probe.db"))
    stored = store_probe(store, result)
    found = store.get(result.path)
    assert found == stored and found.usable_tokens == result.usable_tokens and found.n_ctx == 2048
    assert [cell["length"] for cell in found.grid["cells"]] == [512, 1024]
    json.dumps(result.to_json())  # the --json output is plain JSON


@pytest.mark.slow
def test_planted_fact_is_found_in_512_tokens(small_probe: tuple[ProbeResult, list]) -> None:
    result, _ = small_probe
    first = result.cells[0]
    assert first.planted_found, first.answers[0]


def probe_until_cancelled(host: ModelHost, options: ProbeOptions, cancel: threading.Event,
                          progress=lambda _f, _line: None) -> float:
    """Run a probe that must end in ProbeCancelled; returns when the model's thread was free."""
    memo_before = host.call(lambda model: set(model.memo))
    with pytest.raises(ProbeCancelled):
        host.call(lambda model: probe_context(model, options, progress, cancel))
    ended = time.perf_counter()
    assert host.call(lambda model: set(model.memo)) == memo_before  # nothing of the probe is left
    return ended


@pytest.mark.slow
def test_cancel_between_cells_stops_and_stores_nothing(host: ModelHost, tmp_path: Path) -> None:
    cancel = threading.Event()
    cells: list[str] = []

    def progress(_fraction: float, line: str) -> None:
        cells.append(line)
        cancel.set()  # after the first cell

    probe_until_cancelled(host, ProbeOptions(lengths=(512, 1024), depths=(0.5,)), cancel, progress)
    assert len(cells) == 1
    assert ProbeStore(open_database(tmp_path / "probe.db")).get(host.card.path) is None


@pytest.mark.slow
def test_cancel_inside_a_prefill_or_answer_stops_within_a_second(host: ModelHost) -> None:
    cancel = threading.Event()
    cancelled_at: list[float] = []

    def stop() -> None:
        cancelled_at.append(time.perf_counter())
        cancel.set()

    timer = threading.Timer(1.0, stop)  # two 1K-token cells take longer than that
    timer.start()
    try:
        ended = probe_until_cancelled(host, ProbeOptions(lengths=(1024,), depths=(0.1, 0.9)), cancel)
    finally:
        timer.cancel()
    assert cancelled_at and ended - cancelled_at[0] < 1.0
    assert host.call(lambda model: len(model.llama.tokenize(b"still here"))) > 0  # model still usable


def test_the_longest_cell_is_a_whole_window_read_in_full_context_mode(host: ModelHost) -> None:
    """The grid's last length is the longest document the packer still puts in whole (with room
    for a question and its evidence windows), and its pre-fill times a full window."""
    options = ProbeOptions(lengths=(512, 99_999), depths=(0.5,), stop_after_failure=False)
    result = host.call(lambda model: probe_context(model, options, lambda _f, _l: None,
                                                   threading.Event()))
    last = result.cells[-1]
    assert last.length == result.window_tokens > 1024
    assert result.prefill_tokens >= result.window_tokens


def test_evidence_longer_than_the_allowance_gives_way_to_fewer_windows(host: ModelHost) -> None:
    """At the longest length the document leaves the question only its allowance; three windows
    of long sentences pass it. The document stays whole and the weakest windows go (the packer
    used to answer such a question from passages, and the probe, which measures the document read
    whole, stopped on it with Gemma 3 at 8K)."""
    from engine.chat_format import ChatMessage
    from engine.chat_session import DEFAULT_SYSTEM_PROMPT
    from engine.context_packer import FULL, QUESTION_ALLOWANCE, ContextPacker, PackingOptions
    from engine.context_probe import largest_document, pack, search
    from engine.document_prompt import SourcePassage, question_with_passages
    from engine.evaluation.squad import load_articles
    from engine.evidence import best_windows
    from engine.probe_documents import DocumentMaker

    question = "Which ships did the keeper Ruth Alder log at dawn from the north tower?"
    sentences = [f"At dawn the keeper Ruth Alder logged from the north tower the {name}, a ship "
                 f"of {tons} tons bound for {port} with coal, timber, salt and wool for the winter."
                 for name, tons, port in [("Mary Ann", 300, "Leith"), ("Hope", 420, "Bergen"),
                                          ("Swift", 150, "Hull"), ("Dove", 280, "Riga"),
                                          ("Lark", 510, "Danzig"), ("Vigil", 330, "Oslo")]]

    def run(model):
        filler = [(a.title, p.text) for a in load_articles() for p in a.paragraphs]
        maker = DocumentMaker(model, filler)
        document = maker.make(largest_document(model, maker), 0, 0.5,
                              [("Harbour log", " ".join(sentences))], "")
        hits = search(document, question)
        windows = best_windows(question, hits, 3)
        packed = ContextPacker(DEFAULT_SYSTEM_PROMPT, [document], PackingOptions(
            usable_tokens=None)).pack(model, [ChatMessage("user", question)], hits, start=0)
        overflow = model.count_tokens(question_with_passages(question, [
            SourcePassage(n, w.chunk, "log", w.text) for n, w in enumerate(windows, 1)]))
        return overflow, packed, pack(model, document, question)

    overflow, packed, probed = host.call(run)
    assert overflow > QUESTION_ALLOWANCE  # three windows would not fit beside the document
    assert packed.mode == FULL and 0 < len(packed.sources) < 3
    assert probed.mode == FULL
