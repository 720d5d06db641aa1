"""The support check keeps answers to what the model was shown, a sentence at a time."""

from __future__ import annotations

from engine.answer_support import ShownText, SupportFilter, is_refusal, is_supported, unsupported_words

PASSAGE = (
    "Beyoncé received ten nominations at the 52nd Annual Grammy Awards in 2010. She tied with "
    "Lauryn Hill for most Grammy nominations in a single year by a female artist."
)
SHOWN = ShownText.of([PASSAGE], question="Who did Beyoncé tie with for the most nominations in a year?")


def test_an_answer_in_the_passages_words_is_supported() -> None:
    assert is_supported("She tied with Lauryn Hill [1].", SHOWN)
    assert is_supported("Beyonce tied with Lauryn Hill for most nominations.", SHOWN)  # accents


def test_an_invented_name_or_number_is_not_supported() -> None:
    assert unsupported_words("Beyoncé tied with Elena Klaína Duran in 2010.", SHOWN) == [
        "Elena", "Klaína", "Duran"]
    assert unsupported_words("She received 12 nominations.", SHOWN) == ["12"]


def test_a_number_is_shown_in_digits_or_in_words() -> None:
    assert is_supported("The answer is: 10.", SHOWN)  # "ten nominations"
    assert unsupported_words("She received 11 nominations.", SHOWN) == ["11"]
    digits = ShownText.of(["Chopin published 7 polonaises in his lifetime."])
    assert is_supported("Seven polonaises.", digits)
    assert is_supported("Chopin published seven.", digits)


def test_mostly_new_content_words_are_not_supported() -> None:
    assert not is_supported("The singer painted watercolour landscapes of mountain villages.", SHOWN)


def test_words_about_answering_need_not_be_in_the_passages() -> None:
    assert is_supported("According to the passage, she tied with Lauryn Hill.", SHOWN)


def test_the_filter_releases_checked_sentences_and_stops_at_the_first_unsupported() -> None:
    check = SupportFilter(SHOWN)
    shown = "".join(check.feed(piece) for piece in
                    ["She tied with ", "Lauryn Hill. ", "She was born on ", "Mars in 1492. More."])
    shown += check.flush()
    assert shown == "She tied with Lauryn Hill. "
    assert check.failed


def test_the_filter_holds_an_unfinished_sentence_until_flush() -> None:
    check = SupportFilter(SHOWN)
    assert check.feed("She tied with Lauryn") == ""
    assert check.feed(" Hill") == ""
    assert check.flush() == "She tied with Lauryn Hill"
    assert not check.failed


def test_refusals_are_recognised() -> None:
    assert is_refusal("I could not find this in the document.")
    assert is_refusal("The passage does not mention her sister.")
    assert not is_refusal("She found her voice in Houston.")


def test_an_answer_in_another_script_than_the_question_is_not_supported() -> None:
    shown = ShownText.of(["西藏 Tibet was ruled by the Phagmodrupa. 帕木竹巴"], question="Who ruled Tibet?")
    assert unsupported_words("帕木竹巴西藏", shown)
    assert not unsupported_words("Tibet was ruled by the Phagmodrupa.", shown)


def test_an_unsupported_sentence_keeps_its_supported_leading_clauses() -> None:
    check = SupportFilter(SHOWN)
    shown = check.feed("She tied with Lauryn Hill, who is a famous Jamaican painter from Kingston. ")
    shown += check.feed("More.") + check.flush()
    assert shown == "She tied with Lauryn Hill. "
    assert check.failed  # what came after is not shown


def test_a_clause_that_says_nothing_is_not_kept() -> None:
    check = SupportFilter(SHOWN)
    assert check.feed("The answer is: Elena Duran of Kingston. ") == ""
    assert check.flush() == "" and check.failed


def test_a_false_premise_of_the_question_supports_nothing() -> None:
    """Asked about a name the documents never mention, an answer that repeats it is not supported
    by the question alone; the question's other words still are where the documents hold them."""
    documents = ShownText.of([PASSAGE, "Her sister Solange released an album in 2008."])
    asked = "Which award did Beyoncé win in Japan in 1999?"
    shown = ShownText.of([PASSAGE], question=asked, documents=documents)
    assert shown.unknown == ["1999", "Japan"]
    assert unsupported_words("Beyoncé won an award in Japan in 1999.", shown) == ["1999", "Japan"]
    assert is_supported("Beyoncé received ten nominations.", shown)
    # A word of the question that the documents hold but the shown passages do not still counts.
    sister = ShownText.of([PASSAGE], question="What did Solange do in 2008?", documents=documents)
    assert sister.unknown == [] and is_supported("It was Solange, in 2008.", sister)
    # Without the documents (no check of the premise), the question counts as before.
    assert is_supported("Beyoncé won an award in Japan in 1999.", ShownText.of([PASSAGE], question=asked))


def test_a_sentence_said_again_ends_the_answer_where_the_loop_begins() -> None:
    check = SupportFilter(SHOWN)
    shown = check.feed("She tied with Lauryn Hill [1]. She received ten nominations. ")
    shown += check.feed("She tied with Lauryn Hill. She tied with Lauryn Hill. It") + check.flush()
    assert shown == "She tied with Lauryn Hill [1]. She received ten nominations. "
    assert check.repeated and not check.failed


def test_a_name_one_typing_slip_from_the_documents_is_theirs() -> None:
    passage = "Hans Oberhauser begins to use the name Ernst Stavro Blofeld."
    documents = ShownText.of([passage])
    asked = "After staging his own death, what name did Hanz Oberhauser begin to use?"
    shown = ShownText.of([passage], question=asked, documents=documents)
    assert shown.unknown == []
    assert is_supported("Hanz Oberhauser used the name Ernst Stavro Blofeld.", shown)
    far = ShownText.of([], question="What name did Fritz Oberhauser use?", documents=documents)
    assert far.unknown == ["Fritz"]


def test_an_ordinal_is_the_same_in_digits_or_in_words() -> None:
    """"the 5th Dalai Lama" asks about the document's "Fifth Dalai Lama": not a false premise."""
    passage = "The Fifth Dalai Lama asked Güshi Khan for help in 1640."
    documents = ShownText.of([passage])
    asked = "Whom did the 5th Dalai Lama ask for help?"
    assert ShownText.of([passage], question=asked, documents=documents).unknown == []
    digits = ShownText.of(["The 3rd Earl of Bute arrived in the 18th century."])
    assert is_supported("The Third Earl arrived in the eighteenth century.", digits)
    assert ShownText.of([], question="What did the 6th Earl do?", documents=digits).unknown == ["6"]
