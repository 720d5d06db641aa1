"""Answers about documents say only what the passages hold: an unsupported answer becomes the
honest "not found" with the closest passage, and what streamed is what was saved."""

from __future__ import annotations

from pathlib import Path

from engine.answer_support import ShownText, is_refusal, is_supported
from engine.chat_session import ChatSession
from engine.document_answer import AnswerCheck, checked_answer, honest_reply
from engine.document_context import document_context
from engine.document_prompt import DocumentChunk, PinnedDocument, SourcePassage
from engine.model_host import ModelHost
from engine.sampling_defaults import generation_options_for
from storage import ConversationStore, DocumentStore
from storage.locations import Location
from tests.engine.stored_documents import store_pinned

HARBOUR = (
    "The harbour office keeps its ledgers in the upstairs room.",
    "An albatross named Quentin nested on the gallery rail of the lighthouse during April.",
    "The ferry to the island was cancelled twice in June because of fog over the strait.",
)
CHUNKS = tuple(DocumentChunk(i + 1, 1, i, text, Location(page=i + 1)) for i, text in enumerate(HARBOUR))
PASSAGES = [SourcePassage(i + 1, chunk, "Harbour Report", chunk.text) for i, chunk in enumerate(CHUNKS)]


def check(closest: int = 1) -> AnswerCheck:
    return AnswerCheck(PASSAGES, ShownText.of(HARBOUR), PASSAGES[closest - 1])


def test_a_supported_answer_is_kept_with_its_citation() -> None:
    answer = checked_answer("An albatross named Quentin nested there [2].", check())
    assert answer.text == "An albatross named Quentin nested there [2]."
    assert not answer.unsupported and not answer.not_found
    assert [(c.number, c.how) for c in answer.citations] == [(2, "cited")]


def test_an_invented_answer_becomes_the_honest_reply_with_the_closest_passage() -> None:
    answer = checked_answer("The albatross was called Henrietta Wolfsbane [2].", check(closest=2))
    assert answer.text == honest_reply(1) and answer.unsupported and answer.not_found
    assert [(c.number, c.how) for c in answer.citations] == [(2, "closest")]


def test_the_honest_reply_names_what_the_question_asks_about_that_the_document_never_mentions() -> None:
    asked = "Where did the albatross named Quentin nest in Lisbon?"
    shown = ShownText.of(HARBOUR[1:2], question=asked, documents=ShownText.of(HARBOUR))
    answer = checked_answer("Quentin nested in Lisbon [1].", AnswerCheck(PASSAGES, shown, PASSAGES[1]))
    assert answer.not_found and answer.text == honest_reply(1, unknown=["Lisbon"])
    assert answer.text == "I could not find this in the document. It never mentions “Lisbon”."


def test_an_answer_that_goes_astray_is_cut_at_the_first_unsupported_sentence() -> None:
    answer = checked_answer("The ferry was cancelled twice in June [3]. It sank in 1911 near Oslo.",
                            check())
    assert answer.text == "The ferry was cancelled twice in June [3]."
    assert answer.unsupported and not answer.not_found


def test_an_answer_that_says_a_sentence_again_is_cut_before_it() -> None:
    answer = checked_answer("The ferry was cancelled twice in June [3]. The ferry was cancelled twice "
                            "in June. The ferry", check())
    assert answer.text == "The ferry was cancelled twice in June [3]."
    assert answer.repeated and not answer.unsupported and not answer.not_found


def test_the_models_own_not_found_keeps_its_words_and_shows_the_closest_passage() -> None:
    answer = checked_answer("The passages do not mention the harbour master.", check(closest=1))
    assert answer.not_found and answer.citations[0].how == "closest"


def test_real_answers_stream_what_is_saved_and_stay_on_the_passages(
    host: ModelHost, store: ConversationStore, longwit_home: Path
) -> None:
    document_id = store_pinned(longwit_home, PinnedDocument(1, "Harbour Report", CHUNKS))
    documents = DocumentStore(store.db)
    options = generation_options_for(host, documents=True, max_tokens=60)
    questions = ("What was the name of the albatross?",
                 "Who is the mayor of the town, and what is his salary?",
                 "When was the ferry cancelled?")
    for question in questions:
        context = document_context(documents, [document_id], longwit_home,
                                   longwit_home / "longwit.db")
        session = ChatSession(host, store, store.create(), options=options, documents=context)
        reply = session.ask(question)
        streamed = "".join(reply)
        saved = store.messages(session.conversation_id)[-1]
        assert " ".join(streamed.split()) == " ".join(saved.content.split()), question
        assert reply.context is not None and reply.context.check is not None
        if reply.not_found:  # with the closest passage, when any passage shares a word with it
            closest = reply.context.check.closest
            assert [c.how for c in reply.citations] == (["closest"] if closest else [])
        else:
            assert is_supported(reply.text, reply.context.check.shown), reply.text


def test_a_real_answer_never_repeats_a_false_premise_of_the_question(
    host: ModelHost, store: ConversationStore, longwit_home: Path
) -> None:
    """The report never mentions Lisbon: whatever SmolLM2 answers, "Lisbon" is not shown as part
    of an answer, and a withheld answer says that the document never mentions it."""
    document_id = store_pinned(longwit_home, PinnedDocument(1, "Harbour Report", CHUNKS))
    context = document_context(DocumentStore(store.db), [document_id], longwit_home,
                               longwit_home / "longwit.db")
    session = ChatSession(host, store, store.create(), documents=context,
                          options=generation_options_for(host, documents=True, max_tokens=60))
    reply = session.ask("Which albatross nested on the lighthouse in Lisbon in April?")
    "".join(reply)
    assert reply.context is not None and reply.context.check is not None
    assert reply.context.check.shown.unknown == ["Lisbon"]
    if reply.not_found:
        assert "never mentions “Lisbon”" in reply.text or is_refusal(reply.text)
    else:
        assert "lisbon" not in reply.text.lower(), reply.text


def test_an_answer_a_person_stopped_is_kept_as_far_as_it_went_not_replaced() -> None:
    answer = checked_answer("An albatross named Quentin nested there. It was", check(), complete=False)
    assert answer.text == "An albatross named Quentin nested there."
    assert not answer.not_found and not answer.unsupported
    assert checked_answer("The", check(), complete=False).text == ""


def test_a_question_sharing_no_word_with_the_document_is_told_why() -> None:
    lost = AnswerCheck(PASSAGES, ShownText.of(HARBOUR, question="Wie heißt der Hafenmeister?"), None)
    answer = checked_answer("Der Hafenmeister heißt Otto Brandt.", lost)
    assert answer.not_found and answer.citations == []
    assert "another language" in answer.text
