"""Where an answer stands in the document: beside the question's rare words, or elsewhere."""

from __future__ import annotations

from engine.answer_alignment import DocumentSentences, answer_words, first_sentence

NEWSPAPERS = (
    "New York is home to many newspapers. The New York Post was founded in 1801 by Alexander "
    "Hamilton. El Diario La Prensa is the oldest Spanish-language daily in the United States.",
    "The city's school system enrolls about 1,100,000 students. About 1,300 schools were rebuilt "
    "after the storm. The Village Voice was an alternative weekly.",
)
QUESTION = "Who was the founder of the New York Post?"


def sentences() -> DocumentSentences:
    return DocumentSentences(NEWSPAPERS)


def test_the_answer_beside_the_questions_words_outranks_one_from_another_sentence() -> None:
    right = sentences().alignment("The founder of the New York Post is Alexander Hamilton.", QUESTION)
    wrong = sentences().alignment("The founder of the New York Post is El Diario La Prensa.", QUESTION)
    assert right > wrong >= 0 and right > 0


def test_an_answer_that_only_restates_the_question_or_stands_nowhere_scores_nothing() -> None:
    assert sentences().alignment("The founder of the New York Post.", QUESTION) == 0
    assert sentences().alignment("It was founded by Benjamin Franklin.", QUESTION) == 0


def test_the_answer_lead_is_not_the_answer_and_numbers_match_without_separators() -> None:
    assert first_sentence("The answer is: 1,300.\n\nThe document says more.") == "1,300."
    assert answer_words("The answer is: 1,300.", "How many schools were rebuilt?") == {"1300"}
    asked = "How many schools were rebuilt after the storm?"
    assert sentences().alignment("1300 schools", asked) > sentences().alignment("1,100,000", asked)


def test_the_question_words_in_the_sentence_before_count_half() -> None:
    document = DocumentSentences([
        "Quentin the albatross nested on the lighthouse. He stayed until the ninth of April.",
        "The ferry left on the ninth of June. Nothing else happened.",
    ])
    asked = "Until when did the albatross Quentin stay on the lighthouse?"
    beside = document.alignment("The ninth of April.", asked)
    apart = document.alignment("The ninth of June.", asked)
    assert beside > apart


def test_a_word_of_the_question_in_another_form_is_not_what_the_answer_adds() -> None:
    """"unionized" answers nothing about "unionize": only the year is the answer's own."""
    asked = "In what year did Foxconn workers first unionize?"
    assert answer_words("Foxconn workers first unionized in 2006.", asked) == {"2006"}
    document = DocumentSentences([
        "Foxconn workers first unionized in 2006 after a long dispute.",
        "In 2010 a wave of worker suicides at Foxconn drew attention to conditions there.",
    ])
    assert document.alignment("They unionized in 2006.", asked) > document.alignment(
        "They unionized in 2010.", asked)
