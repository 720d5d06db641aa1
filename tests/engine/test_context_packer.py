"""The ContextPacker with the real model: whole documents when they fit (and the model finds a
needle anywhere in them), the best passages when they do not (and it says so), never past the
window, and a prefix that stays the same from turn to turn."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.chat_session import ChatSession
from engine.context_packer import FULL, PASSAGES, ContextPacker
from engine.document_context import document_context
from engine.generation import GenerationOptions
from engine.loader import LoadOptions
from engine.model_host import ModelHost
from storage import ConversationStore, DocumentStore
from tests.engine.documents_fixtures import (
    NEEDLE_ANSWER,
    NEEDLE_QUESTION,
    document_with_needle,
    keyword_search,
    needle_page,
)
from tests.engine.stored_documents import store_pinned


def ask_about(host: ModelHost, store: ConversationStore, document, question: str):
    """Store the document as ingestion would, then ask through the real BM25 search."""
    home = store.path.parent
    document_id = store_pinned(home, document)
    context = document_context(DocumentStore(store.db), [document_id], home, store.path)
    session = ChatSession(host, store, store.create(), options=GenerationOptions(
        max_tokens=40, temperature=0), documents=context)
    reply = session.ask(question)
    reply.finish()
    return session, reply


@pytest.mark.parametrize("depth", [0.0, 0.5, 1.0])
def test_needle_is_found_in_full_context_mode_at_any_depth(
    host: ModelHost, store: ConversationStore, depth: float
) -> None:
    document = document_with_needle(chunk_count=5, depth=depth)
    _, reply = ask_about(host, store, document, NEEDLE_QUESTION)
    assert reply.context is not None and reply.context.mode == FULL
    assert NEEDLE_ANSWER in reply.text
    assert reply.citations and reply.citations[0].location.page == needle_page(document)


def test_document_larger_than_the_window_is_answered_in_passage_mode(
    host: ModelHost, store: ConversationStore
) -> None:
    document = document_with_needle(chunk_count=40, depth=0.6)  # ~7K tokens, window is 2K
    _, reply = ask_about(host, store, document, NEEDLE_QUESTION)
    context = reply.context
    assert context is not None and context.mode == PASSAGES
    assert 0 < context.seen_fraction[1] < 0.5
    assert "passage mode" in context.describe()
    assert len(context.tokens) <= 2048 - 16
    assert any(NEEDLE_ANSWER in p.chunk.text for p in context.sources)
    assert NEEDLE_ANSWER in reply.text


def test_prefix_is_identical_across_turns_and_reused(host: ModelHost, store: ConversationStore):
    document = document_with_needle(chunk_count=6, depth=0.3)
    session, first = ask_about(host, store, document, "What does the text say about bridges?")
    second = session.ask(NEEDLE_QUESTION)
    second.finish()
    assert first.context is not None and second.context is not None
    prefix = first.context.prefix_tokens
    assert prefix > 500  # the whole document is in the prefix
    assert first.context.tokens[:prefix] == second.context.tokens[:prefix]
    # Read again, the first reading is the one laid out on the cached prefix (put back after).
    reading = second.reading.readings[0].result if second.reading and second.reading.readings \
        else second.result
    assert reading is not None and reading.cached_tokens >= prefix


def test_unknown_citation_numbers_are_dropped_from_the_answer(
    host: ModelHost, store: ConversationStore
) -> None:
    document = document_with_needle(chunk_count=4, depth=0.5)
    _, reply = ask_about(host, store, document, NEEDLE_QUESTION)
    assert reply.context is not None
    shown = {p.number for p in reply.context.sources}
    assert all(c.number in shown for c in reply.citations)
    saved = store.messages(reply.session.conversation_id)[-1]
    assert saved.content == reply.text


def test_never_exceeds_a_tiny_window(models_dir: Path, store: ConversationStore) -> None:
    tiny = ModelHost(models_dir)
    tiny.load(None, LoadOptions(n_ctx=512))
    try:
        document = document_with_needle(chunk_count=30, depth=0.5)
        packer = ContextPacker("Be brief.", [document])
        from engine.chat_format import ChatMessage

        context = tiny.call(lambda model: packer.pack(
            model, [ChatMessage("user", NEEDLE_QUESTION)],
            keyword_search(document)(NEEDLE_QUESTION, 40), 0))
        assert context.mode == PASSAGES and len(context.tokens) <= 512 - 128
    finally:
        tiny.close()


def test_the_usable_context_decides_the_mode_and_sizes_the_passages(host: ModelHost) -> None:
    from engine.chat_format import ChatMessage
    from engine.context_packer import PackingOptions

    document = document_with_needle(chunk_count=5, depth=0.5)  # ~900 tokens
    question = [ChatMessage("user", NEEDLE_QUESTION)]
    hits = keyword_search(document)(NEEDLE_QUESTION, 40)
    roomy = ContextPacker("Be brief.", [document], PackingOptions(usable_tokens=2000))
    tight = ContextPacker("Be brief.", [document], PackingOptions(usable_tokens=700))
    whole = host.call(lambda model: roomy.pack(model, question, hits, 0))
    parts = host.call(lambda model: tight.pack(model, question, hits, 0))
    assert whole.mode == FULL and parts.mode == PASSAGES
    assert len(parts.tokens) <= 700 + 16
    # The evidence windows come last, the best right before the question, and it holds the needle.
    evidence = [p for p in parts.sources if p.shown]
    assert evidence and NEEDLE_ANSWER in evidence[-1].text
    assert parts.check is not None and parts.check.closest is evidence[-1]


def test_passages_take_the_best_hits_before_their_neighbours(host: ModelHost) -> None:
    from engine.context_packer import PackingOptions

    document = document_with_needle(chunk_count=20, depth=0.5)
    packer = ContextPacker("Be brief.", [document], PackingOptions(usable_tokens=1000))
    far_apart = [document.chunks[2], document.chunks[12], document.chunks[17]]
    chosen = host.call(lambda model: packer.fill_passages(model, far_apart, 600, NEEDLE_QUESTION))
    assert [c.ordinal for c in chosen][:3] == [2, 12, 17]


def test_a_chunk_of_headings_alone_takes_no_room(host: ModelHost) -> None:
    """A title twice is the best BM25 hit for a question naming it: it is passed over, and the
    chunks that can answer fill the room."""
    from dataclasses import replace

    from engine.context_packer import PackingOptions

    document = document_with_needle(chunk_count=6, depth=0.5)
    heading = replace(document.chunks[0], text="Harbour records\n\nHarbour records")
    document = replace(document, chunks=(heading, *document.chunks[1:]))
    packer = ContextPacker("Be brief.", [document], PackingOptions(usable_tokens=1000))
    hits = [heading, document.chunks[3]]
    chosen = host.call(lambda model: packer.fill_passages(model, hits, 600, "What are the harbour records?"))
    assert chosen and heading not in chosen and chosen[0] == document.chunks[3]


def test_model_ranked_evidence_keeps_the_cached_prefix_and_answers(
    host: ModelHost, store: ConversationStore
) -> None:
    """With model ranking on, the windows are scored after the document prefix, the prompt keeps
    that prefix, and the answer still comes from the needle's window."""
    from dataclasses import replace

    from engine.context_packer import PackingOptions

    document = document_with_needle(chunk_count=6, depth=0.4)
    home = store.path.parent
    context = document_context(DocumentStore(store.db), [store_pinned(home, document)], home,
                               store.path)
    session = ChatSession(host, store, store.create(), options=GenerationOptions(
        max_tokens=40, temperature=0), documents=context)
    assert session.packer is not None
    session.packer.options = replace(session.packer.options, model_ranking=8,
                                     usable_tokens=PackingOptions().usable_tokens,
                                     rereading=False)  # whose prompts would take the cache
    reply = session.ask(NEEDLE_QUESTION)
    reply.finish()
    packed = reply.context
    assert packed is not None and packed.mode == FULL
    from engine.kv_cache import reusable_prefix

    assert host.call(lambda model: reusable_prefix(model, packed.tokens)) >= packed.prefix_tokens
    windows = [p for p in packed.sources if p.shown]
    assert windows and NEEDLE_ANSWER in windows[0].text
    assert NEEDLE_ANSWER in reply.text


def test_a_later_readings_prompt_is_the_best_paragraphs_plain_under_one_instruction(
        host: ModelHost) -> None:
    """engine/rereading's layout: up to six best whole-paragraph passages (or the best alone),
    best first, unnumbered, the question last; nothing to read without hits."""
    from engine.chat_format import ChatMessage
    from engine.context_packer import WIDE_INSTRUCTION, WIDE_PASSAGES, PackingOptions

    document = document_with_needle(chunk_count=40, depth=0.5)
    question = [ChatMessage("user", NEEDLE_QUESTION)]
    hits = keyword_search(document)(NEEDLE_QUESTION, 40)
    packer = ContextPacker("Be brief.", [document], PackingOptions(usable_tokens=1000))
    wide = host.call(lambda model: packer.pack_wide(model, question, hits, 0))
    assert wide is not None and wide.mode == PASSAGES
    sources = wide.sources
    assert 1 < len(sources) <= WIDE_PASSAGES and NEEDLE_ANSWER in sources[0].text
    # Each 700-character paragraph is a passage of its own (two would pass 800 characters).
    assert all(p.text in {c.text for c in document.chunks} for p in sources)
    prompt = host.call(lambda model: model.llama.detokenize(list(wide.tokens)).decode("utf-8", "replace"))
    assert WIDE_INSTRUCTION in prompt and "Be brief." not in prompt and "[1]" not in prompt
    assert prompt.index("Passages:") < prompt.index(sources[0].text[:40]) < prompt.index(
        sources[1].text[:40]) < prompt.rindex(NEEDLE_QUESTION)
    assert wide.check is not None and wide.check.closest == wide.sources[0]
    alone = host.call(lambda model: packer.pack_wide(model, question, hits, 0, count=1))
    assert alone is not None and [p.text for p in alone.sources] == [sources[0].text]
    assert len(alone.tokens) < len(wide.tokens)
    assert host.call(lambda model: packer.pack_wide(model, question, [], 0)) is None


def test_a_later_reading_fits_a_small_window_with_fewer_paragraphs(
        models_dir: Path) -> None:
    from engine.chat_format import ChatMessage

    document = document_with_needle(chunk_count=40, depth=0.5)
    question = [ChatMessage("user", NEEDLE_QUESTION)]
    hits = keyword_search(document)(NEEDLE_QUESTION, 40)
    tiny = ModelHost(models_dir)
    try:
        tiny.load("smollm2-135m-instruct", LoadOptions(n_ctx=512))
        packer = ContextPacker("Be brief.", [document])
        wide = tiny.call(lambda model: packer.pack_wide(model, question, hits, 0))
        assert wide is not None and 0 < len(wide.sources) < 6
        assert len(wide.tokens) <= 512 - 128
    finally:
        tiny.close()
