"""The one SQLite database: schema, migrations, conversations, messages, documents and their
chunks, the person's memories, the models used and what each model file can really read."""

from storage.conversations import Conversation, ConversationStore, Message, MessageStats, SearchHit
from storage.database import open_database
from storage.documents import Chunk, ChunkHit, Document, DocumentStore, NewChunk
from storage.errors import (
    ConversationNotFound,
    DatabaseLocked,
    DatabaseReadOnly,
    DatabaseUnusable,
    DocumentAlreadyStored,
    DocumentNotFound,
    MemoryNotFound,
    StorageError,
)
from storage.memory_store import Memory, MemorySettings, MemoryStore
from storage.model_probes import ProbeRecord, ProbeStore
from storage.model_uses import ModelUse, ModelUseLog
from storage.paths import database_path, log_path, longwit_home, states_path
from storage.word_timings import WordTiming, WordTimings

__all__ = [
    "Chunk",
    "ChunkHit",
    "Conversation",
    "ConversationNotFound",
    "ConversationStore",
    "DatabaseLocked",
    "DatabaseReadOnly",
    "DatabaseUnusable",
    "Document",
    "DocumentAlreadyStored",
    "DocumentNotFound",
    "DocumentStore",
    "Memory",
    "MemoryNotFound",
    "MemorySettings",
    "MemoryStore",
    "Message",
    "MessageStats",
    "ModelUse",
    "ModelUseLog",
    "NewChunk",
    "ProbeRecord",
    "ProbeStore",
    "SearchHit",
    "StorageError",
    "WordTiming",
    "WordTimings",
    "database_path",
    "log_path",
    "longwit_home",
    "open_database",
    "states_path",
]
