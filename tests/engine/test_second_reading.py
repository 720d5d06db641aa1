"""A document question read twice: the answer that stands on the document is shown, a lone answer
beside a "not found" only when it stands near the question's words, a false premise ends the
matter at the first reading; with the real model, what is shown and saved is the chosen reading's,
checked and cited against its own passages."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any, cast

from engine.answer_support import ShownText, is_supported
from engine.chat_session import ChatSession
from engine.context_packer import WIDE_INSTRUCTION
from engine.document_answer import AnswerCheck, CheckedAnswer
from engine.document_context import document_context
from engine.document_prompt import DocumentChunk, PinnedDocument
from engine.generation import GenerationResult
from engine.model_host import ModelHost
from engine.sampling_defaults import generation_options_for
from engine.second_reading import MIN_LONE_ALIGNMENT, Reading, SecondReading, choose
from storage import ConversationStore, DocumentStore
from storage.locations import Location
from tests.engine.stored_documents import store_pinned

RESULT = GenerationResult("", "stop", 0, 0, 0, None, None, 0.0)


def reading(alignment: float, not_found: bool = False, unknown: tuple[str, ...] = ()) -> Reading:
    shown = ShownText()
    shown.unknown = list(unknown)
    context = cast(Any, type("Context", (), {"check": AnswerCheck([], shown, None)})())
    return Reading(context, RESULT, CheckedAnswer("", [], not_found, not_found),
                   -1.0 if not_found else alignment)


def test_of_two_answers_the_one_that_stands_on_the_document_is_shown() -> None:
    first, second = reading(3.0), reading(7.5)
    assert choose(first, second) is second
    assert choose(reading(7.5), reading(3.0)).alignment == 7.5
    tie = reading(4.0)
    assert choose(tie, reading(4.0)) is tie  # the first reading keeps a tie
    assert choose(first, None) is first


def test_a_lone_answer_beside_a_not_found_must_stand_near_the_questions_words() -> None:
    found, weak, nothing = reading(MIN_LONE_ALIGNMENT + 1), reading(MIN_LONE_ALIGNMENT / 2), reading(0, True)
    assert choose(found, nothing) is found and choose(nothing, found) is found
    assert choose(weak, nothing).checked.not_found and choose(nothing, weak).checked.not_found
    both = reading(0, True)
    assert choose(both, reading(0, True)) is both


def test_a_first_reading_that_found_a_false_premise_is_not_read_again() -> None:
    def ask(_model: Any) -> None:
        raise AssertionError("no second prompt")

    twice = SecondReading("q", lambda: cast(Any, None), ask, lambda _c: None)
    assert not twice.needs_second(reading(0, True, unknown=("Lisbon",)))
    assert twice.needs_second(reading(0, True)) and twice.needs_second(reading(2.0))


HARBOUR = (
    "The harbour office keeps its ledgers in the upstairs room. The harbour master is Ruth Alder.",
    "An albatross named Quentin nested on the gallery rail of the lighthouse during April.",
    "The ferry to the island was cancelled twice in June because of fog over the strait.",
    "The lighthouse lamp was converted to electricity in 1931 by the engineer Tomas Vey.",
)


def harbour_session(host: ModelHost, store: ConversationStore, home: Path) -> ChatSession:
    """A new conversation about the harbour report, stored once, as `longwit ask --doc` makes it."""
    if not DocumentStore(store.db).list():
        chunks = tuple(DocumentChunk(i + 1, 1, i, text, Location(page=i + 1))
                       for i, text in enumerate(HARBOUR))
        store_pinned(home, PinnedDocument(1, "Harbour Report", chunks))
    context = document_context(DocumentStore(store.db), [1], home, home / "longwit.db")
    session = ChatSession(host, store, store.create(), documents=context,
                          options=generation_options_for(host, documents=True, max_tokens=48))
    assert session.packer is not None  # passage mode: a whole document is read once
    session.packer.options = replace(session.packer.options, usable_tokens=120)
    return session


def test_a_real_document_question_is_read_twice_and_the_chosen_reading_is_what_is_saved(
    host: ModelHost, store: ConversationStore, longwit_home: Path
) -> None:
    for question in ("Who converted the lighthouse lamp to electricity?",
                     "When was the ferry cancelled?"):
        session = harbour_session(host, store, longwit_home)
        reply = session.ask(question)
        shown = "".join(reply)
        twice = reply.reading
        assert twice is not None and twice.chosen is not None
        assert len(twice.readings) == 2, question
        first, second = twice.readings
        assert first.context is not second.context
        second_prompt = host.call(
            lambda model, s=second: model.llama.detokenize(list(s.context.tokens)).decode())
        assert WIDE_INSTRUCTION in second_prompt and question in second_prompt
        # What is shown, saved and cited is the chosen reading's, checked against its passages.
        assert reply.context is twice.chosen.context
        assert reply.text == twice.chosen.checked.text
        saved = store.messages(session.conversation_id)[-1].content
        assert " ".join(shown.split()) == " ".join(saved.split()) or reply.not_found
        if not reply.not_found:
            assert is_supported(reply.text, reply.context.check.shown)
            sources = {p.chunk.chunk_id for p in reply.context.sources}
            assert all(c.chunk_id in sources for c in reply.citations)
        assert reply.result is not None
        assert reply.result.completion_tokens == sum(r.result.completion_tokens
                                                     for r in twice.readings)


def test_a_stop_during_the_second_reading_keeps_the_first_reading_saved_as_cut(
    host: ModelHost, store: ConversationStore, longwit_home: Path
) -> None:
    import threading

    session = harbour_session(host, store, longwit_home)
    asked = threading.Event()
    lines: list[str] = []
    box: list[Any] = []

    def on_reading(line: str) -> None:  # on the model's thread
        lines.append(line)
        if "again" in line and asked.wait(30):
            box[0].cancel()  # the person presses stop while the passages are read again

    reply = session.ask("Who converted the lighthouse lamp to electricity?", on_reading=on_reading)
    box.append(reply)
    asked.set()
    "".join(reply)
    assert lines == ["Reading the passages (1 of 2)…", "Reading the passages again (2 of 2)…"]
    twice = reply.reading
    assert twice is not None and len(twice.readings) == 1 and twice.chosen is twice.readings[0]
    assert reply.result is not None and reply.result.finish_reason == "cancelled"
    saved = store.messages(session.conversation_id)[-1]
    assert saved.role == "assistant" and saved.cut and saved.content == reply.text
