"""What `longwit bench shapes` found, judged and printed: the measured cells as a table, and
how many full windows' states the state cache holds once one state is gigabytes: under the fixed
4 GiB it had (engine/state_cache.DEFAULT_MAX_BYTES), and under the cap sized by the model that
replaced it (engine/state_cache.model_sized_cap, with the disk's room set aside)."""

from __future__ import annotations

from typing import Any

from desktop.cli.bench_tables import table
from desktop.memory_estimate import size_text
from engine.loader import DEFAULT_MAX_CTX
from engine.state_cache import (
    DEFAULT_MAX_BYTES,
    STATE_FILE_HEADER_BYTES,
    STATE_TOKEN_OVERHEAD_BYTES,
    model_sized_cap,
)

WINDOWS = (4096, 16384, DEFAULT_MAX_CTX)  # what a document may fill: up to the loader's default cap
UNLIMITED_DISK = 2**62  # the cap as the model asks for it; the disk's own limit is per machine


def bytes_per_token(entry: dict[str, Any], kv_type: str) -> tuple[float, str]:
    """A state's bytes per token: measured (the longest cell's file over its tokens) or computed
    from the shape (its KV cache, and what the file keeps per token beside it)."""
    measured = [c for c in entry["cells"] if c["kv_type"] == kv_type and "state_bytes" in c]
    if measured:
        longest = max(measured, key=lambda c: c["prefix_tokens"])
        return (longest["state_bytes"] - STATE_FILE_HEADER_BYTES) / longest["prefix_tokens"], "measured"
    return entry["kv_bytes_per_token"][kv_type] + STATE_TOKEN_OVERHEAD_BYTES, "computed"


def cap_analysis(result: dict[str, Any], cap: int = DEFAULT_MAX_BYTES) -> dict[str, Any]:
    """Per shape and KV type: a full window's state at 4K, 16K and 32K tokens, and how many of
    the longest a fixed `cap` holds (0: it is never saved) and the model-sized cap (disk aside)."""
    rows = []
    for entry in result["shapes"]:
        for kv_type in entry["kv_bytes_per_token"]:
            per_token, source = bytes_per_token(entry, kv_type)
            windows = [w for w in WINDOWS if w <= entry["trained_context"]]
            states = {w: int(STATE_FILE_HEADER_BYTES + per_token * w) for w in windows}
            longest = states[windows[-1]]
            model_cap = model_sized_cap(longest, 0, UNLIMITED_DISK)
            rows.append({"shape": entry["name"], "kv_type": kv_type, "bytes_per_token": per_token,
                         "source": source, "state_bytes": states,
                         "longest_in_cap": cap // longest, "longest_share_of_cap": longest / cap,
                         "model_cap_bytes": model_cap, "longest_in_model_cap": model_cap // longest})
    return {"cap_bytes": cap, "rows": rows}


def short_tokens(count: int) -> str:
    return f"{count // 1024}K" if count % 1024 == 0 else f"{count:,}"


def cell_row(entry: dict[str, Any], cell: dict[str, Any]) -> list[str]:
    after = cell["after_prefill"]
    resident = after["own"] + after["mapped_file"]
    context = short_tokens(cell["context"])
    if cell.get("instead_of"):
        context += f" (for {short_tokens(cell['instead_of'])})"
    return [
        entry["name"], cell["kv_type"], context, f"{cell['load_s']:.1f} s",
        size_text(cell["estimate_bytes"]),
        f"{size_text(resident)} ({size_text(after['own'])} + {size_text(after['mapped_file'])})",
        f"{resident / cell['estimate_bytes']:.2f}×",
        f"{cell['prefill_tokens_per_s']:.1f} tok/s ({cell['prefill_s']:.0f} s)",
        size_text(cell["state_bytes"]), f"{cell['save_s']:.2f} s", f"{cell['restore_disk_s']:.2f} s",
        f"{cell['restore_speedup']:,.0f}×",
    ]


def cap_row(row: dict[str, Any]) -> list[str]:
    sizes = [size_text(row["state_bytes"][w]) if w in row["state_bytes"] else "-" for w in WINDOWS]
    held = row["longest_in_cap"]
    model_cap = f"{size_text(row['model_cap_bytes'])}: {row['longest_in_model_cap']}" \
        if "model_cap_bytes" in row else "-"
    return [row["shape"], row["kv_type"], f"{row['bytes_per_token'] / 1024:,.1f} KiB ({row['source']})",
            *sizes, f"{held}" if held else "none: not saved", model_cap]


def format_shapes_table(result: dict[str, Any]) -> str:
    headers = ["shape", "KV", "context", "load", "estimate", "resident (own + file)", "vs est.",
               "pre-fill", "state", "save", "restore", "vs pre-fill"]
    rows = [cell_row(entry, cell) for entry in result["shapes"] for cell in entry["cells"]
            if "prefill_s" in cell]
    parts = [table(headers, rows) if rows else "No cell was measured."]
    cap = result["state_cache"]
    if cap["rows"]:
        held = f"longest in a {cap['cap_bytes'] / 2**30:.0f} GiB cache"
        cap_headers = ["shape", "KV", "state per token",
                       *(f"{short_tokens(w)} window" for w in WINDOWS), held,
                       "cap sized by the model: longest held"]
        parts.append("The state cache's cap\n" + table(cap_headers, [cap_row(r) for r in cap["rows"]]))
    if result["skipped"]:
        parts.append("\n".join(f"skipped {s['shape']} {s['kv_type']} {s['context']:,}: {s['reason']}"
                               for s in result["skipped"]))
    if result["interrupted"]:
        parts.append("Interrupted: the figures above are those measured before Ctrl-C.")
    return "\n\n".join(parts)
