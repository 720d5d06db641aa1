"""`longwit memory` through click's runner, with the real bundled model's tokenizer: add, list with
token counts and the budget used, edit and history, a newer fact replacing an older one, pin, forget,
scopes, proposals from a real `longwit chat` turn answered with accept and reject, the auto-save
setting, a memory over the budget named with what to do, and bad ids as one clear line."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner, Result

from desktop.cli.main import main
from storage import ConversationStore, open_database
from storage.memory_store import MemoryStore


def longwit(*args: str, stdin: str | None = None) -> Result:
    return CliRunner().invoke(main, list(args), input=stdin, catch_exceptions=False)


def memories(home: Path) -> MemoryStore:
    return MemoryStore(open_database(home / "longwit.db"))


def test_add_list_edit_history_pin_and_forget(longwit_home: Path) -> None:
    assert "No memories yet" in longwit("memory", "list").stdout
    added = longwit("memory", "add", "My", "name", "is", "Ada")
    assert added.exit_code == 0, added.output
    assert added.stdout.splitlines()[0] == "Remembered #1 (everywhere): My name is Ada"
    assert "Memories in the prompt: 5 of 256 tokens" in added.stdout  # "- My name is Ada"
    longwit("memory", "add", "--pin", "I like tea")
    listed = longwit("memory", "list")
    rows = listed.stdout.splitlines()
    assert rows[1].split() == ["2", "everywhere", "pinned", "4", "I", "like", "tea"]
    assert rows[2].split()[:3] == ["1", "everywhere", "5"]
    assert "Memories in the prompt: 9 of 256 tokens (smollm2-135m-instruct tokens)." in listed.stdout
    edited = longwit("memory", "edit", "2", "I like green tea")
    assert edited.exit_code == 0 and "Memory #2 now reads: I like green tea" in edited.stdout
    history = longwit("memory", "history", "2").stdout.splitlines()
    assert history[0].endswith("(edited): I like tea") and history[1].endswith("to now: I like green tea")
    unpinned = longwit("memory", "unpin", "2")
    assert unpinned.exit_code == 0 and "Unpinned #2" in unpinned.stdout
    assert not memories(longwit_home).get(2).pinned
    forgot = longwit("memory", "forget", "1")
    assert forgot.exit_code == 0 and forgot.stdout.strip() == "Forgot #1: My name is Ada"
    assert [m.id for m in memories(longwit_home).everything()] == [2]


def test_a_newer_fact_replaces_the_older_and_keeps_it_in_its_history(longwit_home: Path) -> None:
    longwit("memory", "add", "My name is Ada")
    replaced = longwit("memory", "add", "My name is Eve")
    assert "It replaces #1 (“My name is Ada”), kept in its history" in replaced.stdout
    history = longwit("memory", "history", "2").stdout
    assert "(replaced by a newer fact): My name is Ada" in history
    longwit("memory", "add", "I like tea")
    explicit = longwit("memory", "add", "--replaces", "3", "I like coffee")
    assert "It replaces #3 (“I like tea”)" in explicit.stdout
    assert [m.text for m in memories(longwit_home).in_effect(None)] == ["I like coffee",
                                                                        "My name is Eve"]


def test_a_conversation_memory_is_listed_only_with_its_conversation(longwit_home: Path) -> None:
    conversation = ConversationStore(open_database(longwit_home / "longwit.db")).create("Sailing")
    longwit("memory", "add", "I live in Lisbon")
    here = longwit("memory", "add", "--conversation", str(conversation), "This chat is about boats")
    assert here.exit_code == 0 and f"(conversation {conversation})" in here.stdout
    assert "boats" not in longwit("memory", "list").stdout
    scoped = longwit("memory", "list", "--conversation", str(conversation)).stdout
    assert "boats" in scoped and "Lisbon" in scoped
    missing = longwit("memory", "add", "--conversation", "99", "Anything")
    assert missing.exit_code == 1 and missing.stderr.startswith("Error: There is no conversation 99")


def test_a_chat_turn_proposes_and_the_person_accepts_or_rejects(longwit_home: Path) -> None:
    chat = longwit("chat", "--max-tokens", "4", "--temperature", "0",
                   stdin="Remember that my name is Ada.\nPlease remember: I have a cat.\n"
                         "What is the weather like?\n/exit\n")
    assert chat.exit_code == 0, chat.output
    assert "Proposed memory #1: My name is Ada (longwit memory accept 1)" in chat.stderr
    assert "Proposed memory #2: I have a cat (longwit memory accept 2)" in chat.stderr
    assert chat.stderr.count("Proposed memory") == 2  # the plain question proposed nothing
    assert memories(longwit_home).in_effect(None) == []  # nothing saved without a yes
    waiting = longwit("memory", "proposals").stdout
    assert "My name is Ada" in waiting and "I have a cat" in waiting
    accepted = longwit("memory", "accept", "1")
    assert accepted.exit_code == 0 and "Remembered #1 (everywhere): My name is Ada" in accepted.stdout
    assert longwit("memory", "reject", "2").stdout.strip() == "Rejected #2: I have a cat"
    assert "No proposals waiting." in longwit("memory", "proposals").stdout
    assert [m.text for m in memories(longwit_home).in_effect(None)] == ["My name is Ada"]
    everything = longwit("memory", "list", "--all").stdout
    assert "rejected" in everything and "I have a cat" in everything
    again = longwit("memory", "reject", "1")
    assert again.exit_code == 1 and "longwit memory forget 1" in again.stderr


def test_what_the_person_stated_is_proposed_when_the_chat_ends(longwit_home: Path) -> None:
    """Not asked to remember, only told: proposed as the chat ends (and as `/new` leaves one), and
    `memory extract` finds nothing new after that."""
    chat = longwit("chat", "--max-tokens", "4", "--temperature", "0",
                   stdin="Hi. I live in Leeds and I work as a nurse.\nWhat is my job?\n/new\n"
                         "I prefer short answers.\n/exit\n")
    assert chat.exit_code == 0, chat.output
    lines = [line for line in chat.stderr.splitlines() if line.startswith("Proposed memory")]
    assert lines == ["Proposed memory #1: I live in Leeds (longwit memory accept 1)",
                     "Proposed memory #2: I work as a nurse (longwit memory accept 2)",
                     "Proposed memory #3: I prefer short answers (longwit memory accept 3)"]
    assert memories(longwit_home).in_effect(None) == []  # proposals wait for a yes
    again = longwit("memory", "extract", "1")
    assert again.exit_code == 0 and "Nothing new to remember in conversation 1." in again.stdout
    longwit("memory", "reject", "1")
    assert "Nothing new" in longwit("memory", "extract", "1").stdout  # rejected: not asked again
    missing = longwit("memory", "extract", "99")
    assert missing.exit_code != 0 and "99" in missing.output


def test_auto_save_remembers_at_once_and_says_how_to_forget(longwit_home: Path) -> None:
    turned_on = longwit("memory", "settings", "--auto-save")
    assert "Save memories without asking: on" in turned_on.stdout
    asked = longwit("ask", "--max-tokens", "4", "--temperature", "0", "Remember that I live in Oslo.")
    assert asked.exit_code == 0, asked.output
    assert "Remembered #1: I live in Oslo (longwit memory forget 1)" in asked.stderr
    assert [m.text for m in memories(longwit_home).in_effect(None)] == ["I live in Oslo"]


def test_a_memory_over_the_budget_is_named_with_what_to_do(longwit_home: Path) -> None:
    assert "Memory budget: 10 tokens" in longwit("memory", "settings", "--budget", "10").stdout
    longwit("memory", "add", "--pin", "My name is Ada")
    over = longwit("memory", "add", "I live in a yellow house by the river in Lisbon")
    assert over.exit_code == 0
    assert "Memories in the prompt: 5 of 10 tokens" in over.stdout
    assert over.stderr.startswith("Left out, over the budget: #2; forget or shorten some")
    assert "left out" in longwit("memory", "list").stdout.splitlines()[2]


def test_bad_ids_and_empty_text_are_one_clear_line(longwit_home: Path) -> None:
    for args in (("forget", "7"), ("edit", "7", "x"), ("history", "7"), ("accept", "7"),
                 ("pin", "7")):
        result = longwit("memory", *args)
        assert result.exit_code == 1, args
        assert result.stderr.strip() == ("Error: There is no memory 7; `longwit memory list --all` "
                                         "lists the ones there are.")
    empty = longwit("memory", "add", " ")
    assert empty.exit_code == 1 and empty.stderr.startswith("Error: A memory needs some text")
