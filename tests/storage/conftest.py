"""The document store on the test's database, shared by the storage tests."""

from __future__ import annotations

import pytest

from storage import ConversationStore, DocumentStore


@pytest.fixture
def docs(store: ConversationStore) -> DocumentStore:
    return DocumentStore(store.db)
