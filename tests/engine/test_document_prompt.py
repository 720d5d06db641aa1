"""How a stored chunk reads as a passage before the question."""

from __future__ import annotations

from engine.document_prompt import DocumentChunk, SourcePassage, passage_text
from storage.locations import Location


def test_a_paragraph_repeated_right_after_itself_is_shown_once() -> None:
    assert passage_text("Solar energy\n\nSolar energy\n\nSunlight heats water.") == (
        "Solar energy\n\nSunlight heats water.")


def test_the_headings_a_passage_ends_on_are_left_out() -> None:
    cure = "You cure the violation prior to 30 days after your receipt of the notice."
    assert passage_text(f"{cure}\n\n  9. Acceptance Not Required for Having Copies.") == cure
    left = "Chopin left Paris in 1848."
    assert passage_text(f"{left}\n\nLater life\n\n2.3 Scope") == left


def test_sentences_and_lone_headings_stay() -> None:
    assert passage_text("He left in 1848.\n\nHe died.") == "He left in 1848.\n\nHe died."
    assert passage_text("Later life") == "Later life"  # a chunk that is only a heading is not emptied


def test_a_passage_reads_its_chunk_tidied_unless_it_shows_chosen_sentences() -> None:
    chunk = DocumentChunk(1, 1, 0, "Ferries\n\nFerries\n\nThe ferry left at noon.", Location(page=1))
    assert SourcePassage(1, chunk, "Harbour").text == "Ferries\n\nThe ferry left at noon."
    assert SourcePassage(1, chunk, "Harbour", "The ferry left.").text == "The ferry left."


LICENCE = """  However, if you cease all violation of this License, then your
license from a particular copyright holder is reinstated (a)
provisionally, unless and until the copyright holder explicitly and
finally terminates your license."""


def test_hard_wrapped_prose_reads_as_one_line_and_verse_keeps_its_breaks() -> None:
    assert passage_text(LICENCE) == " ".join(LICENCE.split())
    verse = "Tyger Tyger, burning bright,\nIn the forests of the night;\nWhat immortal hand or eye,"
    assert passage_text(verse) == verse
    address = "Free Software Foundation, Inc. <https://fsf.org/> and everyone else who reads\nBoston\nMA"
    assert passage_text(address) == address  # a short line inside: not wrapped prose


def test_the_whole_document_block_reads_unwrapped_too() -> None:
    from engine.document_prompt import PinnedDocument, document_block

    chunk = DocumentChunk(1, 1, 0, LICENCE, Location(page=1))
    block = document_block(1, PinnedDocument(1, "GPL", (chunk,)))
    assert " ".join(LICENCE.split()) in block


def test_code_keeps_its_line_breaks() -> None:
    code = ("int main(int argc, char **argv) { return run_everything(argc, argv); }\n"
            "static void cleanup_all_the_resources_we_have(struct state *s) {\n"
            "    free_the_whole_state_and_every_buffer_it_holds(s->buffers);")
    assert passage_text(code) == code
    fenced = ("```\nresult = compute_the_answer_from_all_the_inputs(first, second)\n"
              "print(result, 'was what the long computation produced here')\n```")
    assert passage_text(fenced) == fenced
