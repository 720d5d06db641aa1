"""What the Memory view says, as text: the empty state, a memory's scope and cost, the budget line
("21 of 256 tokens"), the hint when memories are left out, and a memory's earlier texts."""

from __future__ import annotations

import html

from desktop.window.controllers.memory_controller import MemoryMeasure
from desktop.window.dialogs.library_text import added_text
from storage.memory_store import EDITED, Memory, MemoryVersion

COLUMNS = ("Memory", "Scope", "Pinned", "Tokens")
EMPTY = ("No memories yet. Say 'remember that …' in a conversation, or add one here.")
NO_PROPOSALS = "No proposals waiting."
COUNTING = "Counting tokens…"
LEFT_OUT_TIP = "Left out: it does not fit the memory budget, so the prompt does not hold it."
ROOM_HINT = ("Memories marked “left out” do not fit the budget and are not in the prompt: forget or "
             "shorten some, pin the ones that matter, or raise the budget below.")


def scope_text(memory: Memory) -> str:
    """Everywhere, or the open conversation (the view lists no other conversation's memories)."""
    return "everywhere" if memory.conversation_id is None else "this conversation"


def cost_text(memory: Memory, measured: MemoryMeasure | None) -> str:
    if measured is None or memory.id not in measured.block.costs:
        return "…"
    cost = str(measured.block.costs[memory.id])
    return f"{cost} · left out" if left_out(memory, measured) else cost


def left_out(memory: Memory, measured: MemoryMeasure | None) -> bool:
    return measured is not None and any(m.id == memory.id for m in measured.block.left_out)


def budget_line(measured: MemoryMeasure | None, count: int) -> str:
    """What the memories take of their budget, and whose tokens count them."""
    if measured is None:
        return COUNTING
    block = measured.block
    line = f"{block.used} of {block.budget} tokens"
    if block.left_out:
        shown = len(block.left_out)
        line += f" · {shown} memor{'ies' if shown != 1 else 'y'} left out"
    elif count:
        line += f" · all {count} in the prompt"
    return line


def tokenizer_note(measured: MemoryMeasure) -> str:
    return (f"Counted with {measured.tokenizer}’s tokenizer, as the prompt counts them."
            if measured.tokenizer else "")


def proposal_cost(memory: Memory, measured: MemoryMeasure | None) -> str:
    if measured is None or memory.id not in measured.proposal_costs:
        return ""
    cost = measured.proposal_costs[memory.id]
    return f"{cost} token{'s' * (cost != 1)}"


def history_html(memory: Memory, versions: list[MemoryVersion]) -> str:
    """A memory's texts, earliest first, each with when it was written and how it was replaced."""
    if not versions:
        return (f"<b>{html.escape(memory.text)}</b> has no earlier texts: it has not been edited or "
                "replaced.")
    rows = []
    for version in versions:
        how = "edited" if version.how == EDITED else "replaced by a newer fact"
        rows.append(f"<li>{html.escape(version.text)} <small>({added_text(version.written)} to "
                    f"{added_text(version.replaced)}, {how})</small></li>")
    rows.append(f"<li><b>{html.escape(memory.text)}</b> <small>(since "
                f"{added_text(memory.updated)}, now)</small></li>")
    return f"Earlier texts of this memory:<ul style='margin: 0'>{''.join(rows)}</ul>"
