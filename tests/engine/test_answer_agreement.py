"""Grouping sampled answers by what they say: paraphrases of one answer agree, different answers do
not, citation marks and the question's own words do not count, and "not found" replies agree."""

from __future__ import annotations

import pytest

from engine.answer_agreement import agreement, answer_core, group_answers

QUESTION = "What city did Frédéric visit in June 1837?"


def test_an_answer_is_what_it_adds_to_the_question() -> None:
    assert answer_core("Frédéric visited London in June 1837 [2].", QUESTION) == {"visited", "london"}
    assert answer_core("I could not find this in the document.", QUESTION) == answer_core(
        "The passages do not say.", QUESTION)


def test_paraphrases_agree_and_other_answers_do_not() -> None:
    london = answer_core("The city was London.", QUESTION)
    assert agreement(london, answer_core("In June 1837 he went to London [1].", QUESTION)) >= 0.5
    assert agreement(london, answer_core("The city was Valldemossa.", QUESTION)) < 0.5


def test_the_largest_group_wins_and_its_earliest_answer_is_shown() -> None:
    answers = ["The city was Valldemossa.", "He visited London [1].", "London.",
               "It was London, with Pleyel.", "Paris."]
    groups = group_answers(answers, QUESTION)
    assert groups.groups[0] == (1, 2, 3) and groups.chosen == 1 and groups.agreeing == 3
    assert sorted(groups.groups[1:]) == [(0,), (4,)]
    assert groups.group_of(2) == 0 and groups.group_of(4) != 0


def test_a_tie_goes_to_the_group_of_the_first_answer() -> None:
    groups = group_answers(["Nohant.", "London.", "Nohant, in France.", "London, England."], QUESTION)
    assert groups.chosen == 0 and groups.agreeing == 2


def test_refusals_form_a_group_of_their_own() -> None:
    answers = ["I could not find this in the document.", "London.",
               "The document does not say.", "The passages do not mention it."]
    groups = group_answers(answers, QUESTION)
    assert groups.groups[0] == (0, 2, 3) and groups.groups[1] == (1,)


def test_no_answers_is_an_error() -> None:
    with pytest.raises(ValueError):
        group_answers([], QUESTION)
