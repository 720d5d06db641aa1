"""The evidence windows are the sentences that share the question's rare words, with neighbours."""

from __future__ import annotations

from engine.document_prompt import DocumentChunk
from engine.evidence import best_windows, expanded, split_sentences
from storage.locations import Location
from storage.passage_index import PassageIndex

CHUNKS = [
    DocumentChunk(1, 7, 0, "Chopin was born in Żelazowa Wola. His father was French. He moved to "
                  "Warsaw as a child.", Location(page=1)),
    DocumentChunk(2, 7, 1, "In 1830 he left Poland. He settled in Paris in 1831. There he taught "
                  "piano.", Location(page=1)),
    DocumentChunk(3, 7, 5, "Sand and Chopin spent a winter in Majorca. The weather was cold.",
                  Location(page=3)),
]


def test_sentences_split_at_ends_and_blank_lines() -> None:
    assert split_sentences("One. Two? Three!\n\nFour") == ["One.", "Two?", "Three!", "Four"]


def test_the_best_window_holds_the_matching_sentence_and_its_neighbours() -> None:
    [best] = best_windows("In what city did Chopin settle in 1831?", CHUNKS, 1)
    assert best.chunk.chunk_id == 2
    assert best.text == "In 1830 he left Poland. He settled in Paris in 1831. There he taught piano."


def test_windows_do_not_repeat_sentences_or_join_chunks_that_are_apart() -> None:
    windows = best_windows("Chopin winter Majorca Warsaw", CHUNKS, 3)
    texts = [w.text for w in windows]
    assert len(set(texts)) == len(texts)
    majorca = next(w for w in windows if "Majorca" in w.text)
    assert "piano" not in majorca.text  # chunk 1 and chunk 5 are not neighbours


def test_no_shared_words_gives_no_evidence() -> None:
    assert best_windows("zebra xylophone", CHUNKS, 3) == []


def test_query_expansion_adds_the_best_sentences_words_the_question_lacks() -> None:
    index = PassageIndex(["Chopin settled in Paris, where he taught piano to pupils.",
                          "Chopin taught piano in Paris to wealthy pupils.",
                          "The weather in Majorca was cold."])
    try:
        query = expanded("Where did Chopin settle?", index, terms=2, feedback=2)
        unexpanded = expanded("Where did Chopin settle?", index, terms=0)
    finally:
        index.close()
    assert unexpanded == "Chopin settle?"
    assert query.split()[:2] == ["Chopin", "settle?"]
    assert set(query.split()[2:]) == {"paris", "piano"}  # in both best sentences; "chopin" is asked
