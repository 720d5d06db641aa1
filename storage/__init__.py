"""The one SQLite database: schema, migrations, conversations, messages and the models used."""

from storage.conversations import Conversation, ConversationStore, Message, MessageStats, SearchHit
from storage.database import open_database
from storage.errors import (
    ConversationNotFound,
    DatabaseLocked,
    DatabaseReadOnly,
    DatabaseUnusable,
    StorageError,
)
from storage.model_uses import ModelUse, ModelUseLog
from storage.paths import database_path, longwit_home

__all__ = [
    "Conversation",
    "ConversationNotFound",
    "ConversationStore",
    "DatabaseLocked",
    "DatabaseReadOnly",
    "DatabaseUnusable",
    "Message",
    "MessageStats",
    "ModelUse",
    "ModelUseLog",
    "SearchHit",
    "StorageError",
    "database_path",
    "longwit_home",
    "open_database",
]
