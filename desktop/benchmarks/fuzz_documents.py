"""The fuzzer's document target: small real files of every written format and a few texts, damaged
(bytes overwritten, cut short, two spliced, NUL bytes or invalid UTF-8 put in, a block repeated)
and handed to `ingest_paths`, the way the window reads a dropped file (document_controller): read,
chunked and stored in a scratch database. Its contract (tests/media/test_reader_fuzz.py): the file
is stored, or refused with one line that names it; never another exception."""

from __future__ import annotations

import random
from collections.abc import Callable
from pathlib import Path

from desktop.benchmarks.fuzz import Case, ContractBroken, FuzzTarget
from media.document_files import Chapter, write_document
from media.ingest import ingest_paths
from storage import DocumentStore

# Measured over 2,000 cases on the development machine (2 shared cores): half are stored or refused
# within 0.6 ms, 99% within 0.4 s; the slowest, 2–5.5 s, are small damaged PDFs. The bound is the
# reader fuzz tests' own per file (tests/media/test_reader_fuzz.py), four times the slowest seen:
# what it catches is a hang or a parser gone quadratic.
DOCUMENT_BOUND_MS = 20_000.0
CHAPTERS = [Chapter("One", ("The keeper lit the lamp at dusk.", "Gulls circled the rail.")),
            Chapter("Two", ("Supplies came in March with letters and bread.",))]
WRITTEN = (".txt", ".pdf", ".epub", ".docx")  # by media/document_files, as the evaluation's files are
TEXTS = {
    ".html": "<html><head><title>Keeper</title></head><body><h1>One</h1><p>The keeper lit the "
             "<b>lamp</b> at dusk.</p><ul><li>Gulls</li><li>Rail</li></ul><table><tr><td>bread"
             "</td><td>41</td></tr></table><script>var x = 1;</script></body></html>",
    ".md": "# Keeper\n\n## One\n\nThe keeper *lit* the lamp at [dusk](https://example.org).\n\n"
           "- gulls\n- the rail\n\n```\nlamp = lit\n```\n\n| day | bread |\n|---|---|\n| 1 | 3 |\n",
    ".csv": "day,what,count\n1,lamp lit,41\n2,\"supplies, bread and letters\",3\n3,gulls,\n",
}
SUFFIXES = (*WRITTEN, *TEXTS)
WRONG_SUFFIX_SHARE = 0.125  # of the cases: another format's name on the bytes
INVALID_UTF8 = (b"\xff", b"\xfe\xff", b"\xc3\x28", b"\xa0\xa1", b"\xed\xa0\x80", b"\xf0\x28\x8c\x28",
                b"\x80", b"\xe2\x82")
MAX_REPEATED_BYTES = 256 * 1024  # a repeated block stays a small file: the cases are many


def seed_files(folder: Path) -> dict[str, bytes]:
    """One small real file of each format, as bytes to damage."""
    folder.mkdir(parents=True, exist_ok=True)
    seeds = {suffix: write_document(folder / f"keeper{suffix}", "Keeper", CHAPTERS).read_bytes()
             for suffix in WRITTEN}
    return seeds | {suffix: text.encode() for suffix, text in TEXTS.items()}


def overwrite(rng: random.Random, data: bytes, _seeds: dict[str, bytes]) -> bytes:
    damaged = bytearray(data)
    for _ in range(rng.randint(1, 16)):
        damaged[rng.randrange(len(damaged))] = rng.randrange(256)
    return bytes(damaged)


def truncate(rng: random.Random, data: bytes, _seeds: dict[str, bytes]) -> bytes:
    return data[: rng.randint(1, max(1, len(data) - 1))]


def splice(rng: random.Random, data: bytes, seeds: dict[str, bytes]) -> bytes:
    other = seeds[rng.choice(sorted(seeds))]
    return data[: rng.randint(0, len(data))] + other[rng.randint(0, len(other) - 1):]


def insert(rng: random.Random, data: bytes, pieces: Callable[[], bytes]) -> bytes:
    damaged = bytearray(data)
    for _ in range(rng.randint(1, 8)):
        at = rng.randint(0, len(damaged))
        damaged[at:at] = pieces()
    return bytes(damaged)


def nul_bytes(rng: random.Random, data: bytes, _seeds: dict[str, bytes]) -> bytes:
    return insert(rng, data, lambda: b"\x00" * rng.randint(1, 64))


def invalid_utf8(rng: random.Random, data: bytes, _seeds: dict[str, bytes]) -> bytes:
    return insert(rng, data, lambda: rng.choice(INVALID_UTF8) * rng.randint(1, 4))


def repeat_block(rng: random.Random, data: bytes, _seeds: dict[str, bytes]) -> bytes:
    start = rng.randrange(len(data))
    block = data[start : start + rng.randint(1, 512)]
    times = rng.randint(2, max(2, MAX_REPEATED_BYTES // len(block)))
    return data[:start] + block * times + data[start + len(block):]


MUTATIONS: dict[str, Callable[[random.Random, bytes, dict[str, bytes]], bytes]] = {
    "overwrite": overwrite, "truncate": truncate, "splice": splice, "nul": nul_bytes,
    "invalid-utf8": invalid_utf8, "repeat": repeat_block,
}


def draw_document(seeds: dict[str, bytes]) -> Callable[[random.Random], Case]:
    def draw(rng: random.Random) -> Case:
        suffix = rng.choice(SUFFIXES)
        data, done = seeds[suffix], []
        for _ in range(rng.choice((1, 1, 2))):  # now and then two mutations on one file
            name = rng.choice(sorted(MUTATIONS))
            data = MUTATIONS[name](rng, data, seeds) or b"\x00"
            done.append(name)
        named = rng.choice(SUFFIXES) if rng.random() < WRONG_SUFFIX_SHARE else suffix
        what = f"{suffix.lstrip('.')} {'+'.join(done)}" + (f" as {named}" if named != suffix else "")
        return Case(what, (named, data))

    return draw


def check_ingested(folder: Path, store: DocumentStore) -> Callable[[Case], bool]:
    def check(case: Case) -> bool:
        suffix, data = case.payload
        path = folder / f"case{suffix}"
        path.write_bytes(data)
        try:
            results = list(ingest_paths([path], store))
        finally:
            path.unlink()
        if len(results) != 1:
            raise ContractBroken(f"{len(results)} results for one file")
        result = results[0]
        if result.status == "failed":
            if not result.message.strip() or "\n" in result.message or path.name not in result.message:
                raise ContractBroken("the refusal is not one line naming the file")
            return True
        if result.status not in ("added", "duplicate") or result.document is None:
            raise ContractBroken(f"status {result.status!r} with no document")
        if result.document.chunk_count < 1:
            raise ContractBroken("a document stored without a chunk")
        return False

    return check


def document_target(folder: Path, store: DocumentStore) -> FuzzTarget:
    """Damaged files into `store`; `folder` holds the seeds and each case's file while it is read."""
    return FuzzTarget("documents", draw_document(seed_files(folder / "seeds")),
                      check_ingested(folder, store), DOCUMENT_BOUND_MS)
