"""One Longwit as the remote engine of another: `longwit serve`'s API (engine/openai_api) is a second
real OpenAI-compatible server, one with no tokenizer endpoint and no /props, so the remote engine
counts with its estimate, takes the window from /v1/models, and sends messages."""

from __future__ import annotations

from pathlib import Path

from engine.chat_session import ChatSession
from engine.generation import GenerationOptions
from engine.model_host import ModelHost
from engine.openai_api.served_model import ServedModel
from engine.remote.remote_model import CHAT, RemoteEngine
from engine.remote.remote_tokens import EstimatedTokenizer
from storage import ConversationStore
from tests.engine.openai_api.conftest import API_KEY, running_api


def test_a_chat_through_longwit_serve(host: ModelHost, store: ConversationStore,
                                      tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("LONGWIT_ENGINE_API_KEY", API_KEY)
    with running_api(ServedModel(host), API_KEY) as url:
        remote = ModelHost(tmp_path / "models")
        try:
            card = remote.connect(RemoteEngine(url))
            assert (card.name, card.n_ctx) == (host.card.name, host.card.n_ctx)
            assert card.ctx_source == "the server's /v1/models"
            sends, tokenizer = remote.call(lambda model: (model.sends, model.tokenizer))
            assert sends == CHAT and isinstance(tokenizer, EstimatedTokenizer)
            conversation = store.create("through another Longwit")
            reply = ChatSession(remote, store, conversation,
                                options=GenerationOptions(max_tokens=16, temperature=0)).ask("Say hello.")
            text = "".join(reply)
        finally:
            remote.close()
    assert text.strip() and reply.result.finish_reason in ("stop", "length")
    # Longwit's server sends its usage: the real prompt size, not the estimate.
    assert 20 < reply.result.prompt_tokens < 200 and reply.result.completion_tokens > 0
    assert store.messages(conversation)[-1].content == text
