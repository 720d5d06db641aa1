"""The evidence windows are the sentences that share the question's rare words, with neighbours."""

from __future__ import annotations

from engine.document_prompt import DocumentChunk
from engine.evidence import best_windows, expanded, says_more, split_sentences
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


def test_a_heading_that_only_repeats_the_questions_words_is_not_evidence() -> None:
    """A title or heading shares all its words with a question about it and is short, so BM25
    ranks it first; it answers nothing, so the sentence that does is chosen instead."""
    chunks = [
        DocumentChunk(1, 9, 0, "To Kill a Mockingbird\n\nTo Kill a Mockingbird", Location(line=1)),
        DocumentChunk(2, 9, 1, "To Kill a Mockingbird is a novel by Harper Lee. It won the Pulitzer "
                      "Prize. Scholars read it widely.", Location(line=3)),
    ]
    windows = best_windows("What prize did To Kill a Mockingbird win?", chunks, 2, neighbours=0)
    assert windows and all("Lee" in w.text or "Pulitzer" in w.text or "Scholars" in w.text
                           for w in windows)
    assert windows[0].chunk.chunk_id == 2


def test_a_title_is_neither_a_window_nor_inside_one() -> None:
    chunks = [
        DocumentChunk(1, 4, 0, "Spectre (2015 film)\n\nSpectre (2015 film)\n\nSpectre had its world "
                      "premiere in London on 26 October 2015. It opened the same day.", Location(page=1)),
    ]
    windows = best_windows("On what date was Spectre (2015 film) first shown?", chunks, 2)
    assert [w.text for w in windows] == [
        "Spectre had its world premiere in London on 26 October 2015. It opened the same day."]


def test_a_chunk_says_more_when_one_sentence_could_answer() -> None:
    assert says_more("Where is the harbour?", "Harbour\n\nThe harbour lies east of the cape.")
    assert not says_more("Where is the harbour?", "Harbour\n\nHarbour")
    assert not says_more("Where is the harbour?", "Where is the harbour?")
