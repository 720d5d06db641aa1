"""Citations resolve only to passages the model was shown; the rest are removed, the same way
whether the answer arrives whole or in pieces; an answer that cites nothing gets its best match."""

from __future__ import annotations

import pytest

from engine.citations import CitationFilter, drop_unresolved, marker_numbers, resolve_citations
from engine.document_prompt import DocumentChunk, SourcePassage, focus
from storage.locations import Location

TEXTS = {
    1: "The lighthouse keeper painted red and white stripes on the tower in 1911.",
    2: "Apples and pears grow in the orchards along the river near the old mill.",
    3: "The ferry to the island was cancelled twice in June because of thick fog.",
}
SOURCES = [
    SourcePassage(n, DocumentChunk(100 + n, 7, n, text, Location(page=n + 2)), "Harbour Report")
    for n, text in TEXTS.items()
]


def test_cited_numbers_resolve_to_their_chunk_and_page_in_order() -> None:
    citations = resolve_citations("Stripes came first [3, 1] then fog [3].", SOURCES)
    assert [(c.number, c.chunk_id, c.location.page, c.how) for c in citations] == [
        (3, 103, 5, "cited"), (1, 101, 3, "cited")]
    assert citations[0].label == "Harbour Report, p. 5"


def test_numbers_that_point_nowhere_are_removed_with_their_space() -> None:
    assert drop_unresolved("Painted in 1911 [1] and [9], see [2-4].", SOURCES) == (
        "Painted in 1911 [1] and, see [2, 3].")
    assert resolve_citations("Nothing real [12].", SOURCES) == []


def test_ranges_and_lists_are_read_as_people_write_them() -> None:
    assert marker_numbers("1, 3") == [1, 3]
    assert marker_numbers("2-4") == [2, 3, 4]
    assert marker_numbers("5–6; 8") == [5, 6, 8]


def test_answer_without_markers_gets_its_best_matching_passage() -> None:
    (citation,) = resolve_citations("Pears and apples grow by the river mill.", SOURCES)
    assert (citation.number, citation.how) == (2, "matched")
    assert resolve_citations("I do not know.", SOURCES) == []


@pytest.mark.parametrize("piece", [1, 2, 3, 7, 1000])
def test_streamed_filtering_matches_filtering_the_whole_answer(piece: int) -> None:
    answer = "Stripes [1] were painted [8]. Fog [3 ] and [2, 9] and [x] end [4"
    whole = CitationFilter(SOURCES)
    expected = whole.feed(answer) + whole.flush()
    streamed = CitationFilter(SOURCES)
    out = "".join(streamed.feed(answer[i : i + piece]) for i in range(0, len(answer), piece))
    assert out + streamed.flush() == expected
    assert "[8]" not in expected and "[2]" in expected


def test_focus_keeps_the_sentence_that_answers_the_question() -> None:
    chunk = ("The harbour office keeps ledgers. The clerks record every ship. An albatross named "
             "Quentin nested on the gallery rail in April. The ferry was late again.")
    shown = focus(chunk, "What was the name of the albatross?", 100)
    assert "Quentin" in shown and len(shown) < len(chunk)


def test_a_text_citation_points_at_the_line_of_the_quoted_sentence() -> None:
    text = "Ledger entries for the week.\nNothing to report.\nThe inspector Ada Ng arrived on Monday.\nMore."
    chunk = DocumentChunk(9, 1, 0, text, Location(line=40))
    (citation,) = resolve_citations("Ada Ng arrived on Monday [1].", [SourcePassage(1, chunk, "Log")])
    assert citation.location.line == 42 and "The inspector Ada Ng arrived" in citation.quote
