"""A document question read three ways: the answer that stands on the document is shown, a lone
answer beside "not found"s only when it stands near the question's words, a false premise ends the
matter at the first reading; with the real model, what is shown and saved is the chosen reading's,
checked and cited against its own passages, and a whole document's state is back in the cache."""

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
from engine.model_host import ModelHost, Note
from engine.rereading import MIN_LONE_ALIGNMENT, Reading, Rereading, choose
from engine.sampling_defaults import generation_options_for
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


def test_of_the_answers_the_one_that_stands_on_the_document_is_shown() -> None:
    first, second = reading(3.0), reading(7.5)
    assert choose([first, second]) is second
    assert choose([reading(7.5), reading(3.0)]).alignment == 7.5
    assert choose([first, reading(0, True), second]) is second
    assert choose([reading(0, True), first, reading(1.0)]) is first  # two found: no lone rule
    tie = reading(4.0)
    assert choose([tie, reading(4.0), reading(4.0)]) is tie  # the earliest reading keeps a tie
    assert choose([first]) is first


def test_a_lone_answer_beside_a_not_found_must_stand_near_the_questions_words() -> None:
    found, weak, nothing = reading(MIN_LONE_ALIGNMENT + 1), reading(MIN_LONE_ALIGNMENT / 2), reading(0, True)
    assert choose([found, nothing]) is found and choose([nothing, found]) is found
    assert choose([nothing, reading(0, True), found]) is found
    assert choose([weak, nothing]).checked.not_found and choose([nothing, weak]).checked.not_found
    assert choose([nothing, weak, reading(0, True)]) is nothing
    all_three = reading(0, True)
    assert choose([all_three, reading(0, True), reading(0, True)]) is all_three


def test_a_first_reading_that_found_a_false_premise_is_not_read_again() -> None:
    def ask(_model: Any) -> None:
        raise AssertionError("no second prompt")

    again = Rereading("q", lambda: cast(Any, None), [ask, ask], lambda _c: None)
    assert not again.needs_more(reading(0, True, unknown=("Lisbon",)))
    assert again.needs_more(reading(0, True)) and again.needs_more(reading(2.0))


# Paragraphs long enough that two never share an 800-character passage: the best passage alone
# and the six best are then different prompts, and the question is read three ways.
HARBOUR = (
    "The harbour office keeps its ledgers in the upstairs room. The harbour master is Ruth Alder. "
    "She was appointed after the storm of the previous winter, when the old master retired to "
    "the mainland. The ledgers record every vessel that enters or leaves, with its cargo, its "
    "crew and the fee it paid, and they go back without a gap to the year the office was built. "
    "Visitors may read them on weekday mornings if they ask the clerk in advance.",
    "An albatross named Quentin nested on the gallery rail of the lighthouse during April. The "
    "keepers had never seen one so far north, and a naturalist came from the university to "
    "watch it for a week. It laid no egg and left at the end of the month, flying south over "
    "the strait in a strong wind. Children from the school drew it, and their pictures still "
    "hang in the corridor of the harbour office beside the tide tables.",
    "The ferry to the island was cancelled twice in June because of fog over the strait. On "
    "both days the captain waited until noon before turning back, and the passengers were "
    "given tickets for the next crossing. The island's shop ran short of bread and milk, and "
    "the council has since asked for a second, larger boat that can sail in poor visibility "
    "with radar. No decision has been made about the cost of such a boat.",
    "The lighthouse lamp was converted to electricity in 1931 by the engineer Tomas Vey. Before "
    "that it burned paraffin, and a keeper had to climb the tower every four hours to trim the "
    "wick and wind the clockwork that turned the lens. The new lamp needed a generator, which "
    "was housed in a brick shed at the foot of the tower, and the keepers learned to maintain "
    "it from a manual that Vey wrote for them by hand.",
)


def harbour_session(host: ModelHost, store: ConversationStore, home: Path,
                    usable_tokens: int | None = 120) -> ChatSession:
    """A new conversation about the harbour report, stored once, as `longwit ask --doc` makes it;
    read as passages unless `usable_tokens` is None (the model's own figure: the whole report)."""
    if not DocumentStore(store.db).list():
        chunks = tuple(DocumentChunk(i + 1, 1, i, text, Location(page=i + 1))
                       for i, text in enumerate(HARBOUR))
        store_pinned(home, PinnedDocument(1, "Harbour Report", chunks))
    context = document_context(DocumentStore(store.db), [1], home, home / "longwit.db")
    session = ChatSession(host, store, store.create(), documents=context,
                          options=generation_options_for(host, documents=True, max_tokens=48))
    assert session.packer is not None
    if usable_tokens is not None:
        session.packer.options = replace(session.packer.options, usable_tokens=usable_tokens)
    return session


def test_a_real_document_question_is_read_three_ways_and_the_chosen_reading_is_what_is_saved(
    host: ModelHost, store: ConversationStore, longwit_home: Path
) -> None:
    for question in ("Who converted the lighthouse lamp to electricity?",
                     "When was the ferry cancelled?"):
        session = harbour_session(host, store, longwit_home)
        reply = session.ask(question)
        shown = "".join(reply)
        again = reply.reading
        assert again is not None and again.chosen is not None
        assert len(again.readings) == 3, question
        _first, alone, wide = again.readings
        assert len({id(r.context) for r in again.readings}) == 3
        assert len(alone.context.sources) == 1 < len(wide.context.sources)
        assert alone.context.sources[0].text == wide.context.sources[0].text  # the best passage
        for later in (alone, wide):
            prompt = host.call(
                lambda model, r=later: model.llama.detokenize(list(r.context.tokens)).decode())
            assert WIDE_INSTRUCTION in prompt and question in prompt
        # What is shown, saved and cited is the chosen reading's, checked against its passages.
        assert reply.context is again.chosen.context
        assert reply.text == again.chosen.checked.text
        saved = store.messages(session.conversation_id)[-1].content
        assert " ".join(shown.split()) == " ".join(saved.split()) or reply.not_found
        if not reply.not_found:
            assert is_supported(reply.text, reply.context.check.shown)
            sources = {p.chunk.chunk_id for p in reply.context.sources}
            assert all(c.chunk_id in sources for c in reply.citations)
        assert reply.result is not None
        assert reply.result.completion_tokens == sum(r.result.completion_tokens
                                                     for r in again.readings)


def test_a_whole_document_is_read_three_ways_and_its_state_is_back_in_the_cache_after(
    host: ModelHost, store: ConversationStore, longwit_home: Path
) -> None:
    from engine.context_packer import FULL
    from engine.kv_cache import reusable_prefix

    session = harbour_session(host, store, longwit_home, usable_tokens=None)
    prefilled = session.prefill()
    assert prefilled is not None and prefilled.mode == FULL and prefilled.prefix_tokens >= 256
    reply = session.ask("Who converted the lighthouse lamp to electricity?")
    "".join(reply)
    again = reply.reading
    assert again is not None and len(again.readings) == 3
    first = again.readings[0].context
    assert first.mode == FULL and reply.laid_out is first
    # The other prompts took the cache; the document's saved state was put back.
    assert host.call(lambda model: reusable_prefix(model, first.tokens)) >= first.prefix_tokens
    follow = session.ask("When was the ferry cancelled?")
    "".join(follow)
    assert follow.prefix is not None and follow.prefix.how == "warm"


def test_a_stop_during_a_later_reading_keeps_the_first_reading_saved_as_cut(
    host: ModelHost, store: ConversationStore, longwit_home: Path
) -> None:
    session = harbour_session(host, store, longwit_home)
    notes: list[Note] = []
    reply = session.ask("Who converted the lighthouse lamp to electricity?")

    def on_note(note: Note) -> None:  # on the reader's thread, as each reading starts
        notes.append(note)
        if note.step == 2:
            reply.cancel()  # the person presses stop while the passages are read again

    reply.on_note = on_note
    assert "Reading" not in "".join(reply)  # the notes are never part of the answer
    assert notes == [Note("Reading the passages (1 of 3)…", 1, 3),
                     Note("Reading the passages again (2 of 3)…", 2, 3)]
    again = reply.reading
    assert again is not None and len(again.readings) == 1 and again.chosen is again.readings[0]
    assert reply.result is not None and reply.result.finish_reason == "cancelled"
    saved = store.messages(session.conversation_id)[-1]
    assert saved.role == "assistant" and saved.cut and saved.content == reply.text
