"""A throwaway BM25 index over a list of passages, in an in-memory SQLite FTS5 table.

For comparisons that must not touch the user's database (the naive baseline of the answer
evaluation): the same FTS5 and the same query quoting as the document store, nothing saved.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence

from storage.conversations import fts_query


class PassageIndex:
    def __init__(self, passages: Sequence[str]) -> None:
        self.passages = list(passages)
        self.db = sqlite3.connect(":memory:", check_same_thread=False)
        # The document store's tokenizer: "die" finds "died", as it does there.
        self.db.execute("CREATE VIRTUAL TABLE passages USING fts5(text, tokenize='porter unicode61')")
        self.db.executemany("INSERT INTO passages(rowid, text) VALUES (?, ?)",
                            enumerate(self.passages))

    def search(self, query: str, limit: int) -> list[int]:
        """Indexes of the passages sharing words with `query`, best BM25 first."""
        match = fts_query(query, any_word=True)
        if not match:
            return []
        rows = self.db.execute(
            "SELECT rowid FROM passages WHERE passages MATCH ? ORDER BY bm25(passages), rowid LIMIT ?",
            [match, limit],
        ).fetchall()
        return [row[0] for row in rows]

    def close(self) -> None:
        self.db.close()
