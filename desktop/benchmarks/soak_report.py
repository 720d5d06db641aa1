"""The printed table of `longwit bench soak`: the growth steps, then a line for each other part that
ran (a part that failed has none, and is among the failures listed last)."""

from __future__ import annotations

from typing import Any

from desktop.benchmarks.fuzz import fuzz_lines


def growth_lines(result: dict[str, Any]) -> list[str]:
    from desktop.cli.bench_tables import table

    if not result["growth"]:
        return []
    growth = table(
        ["messages", "documents", "database", "open", "list 50", "search messages",
         "search documents", "read a conversation"],
        [[f"{g['messages']:,}", str(g["documents"]), f"{g['database_mb']:.1f} MB",
          f"{g['open_ms']:.1f} ms", f"{g['list_ms']:.1f} ms", f"{g['search_messages_ms']:.1f} ms",
          f"{g['search_documents_ms']:.1f} ms", f"{g['read_conversation_ms']:.1f} ms"]
         for g in result["growth"]])
    ratios = ", ".join(f"{name.removesuffix('_ms').replace('_', ' ')} {ratio}x"
                       for name, ratio in result["growth_ratio"].items())
    return [growth, f"largest against smallest: {ratios}"]


def model_lines(result: dict[str, Any]) -> list[str]:
    lines = []
    long = result["long_conversation"]
    if long:
        asked = "; ".join(f"{a['seconds']:.1f} s to answer, {a['prompt_tokens']} prompt tokens, "
                          f"{a['left_out']:,} messages outside the window" for a in long["asked"])
        lines.append(f"a conversation of {long['stored_turns']:,} turns: {asked}")
    for name in ("chat_memory", "voice_memory"):
        memory = result[name]
        if memory:
            growth_rate = memory["growth_mb_per_100_turns"]
            rate = "—" if growth_rate is None else f"{growth_rate:+.1f} MB per 100 turns"
            lines.append(f"{name.replace('_', ' ')}: {memory['turns']} turns, "
                         f"{memory['first_mb']:.0f} → {memory['last_mb']:.0f} MB resident "
                         f"(peak {memory['peak_mb']:.0f}), {rate}")
    return lines


def crash_lines(crash: dict[str, Any] | None) -> list[str]:
    if not crash:
        return []
    lines = [f"kill points {w['name']}: {w['survived']}/{w['points']} survived, {w['killed']} killed"
             for w in crash["workloads"]]
    return [*lines, f"kill points in all: {crash['survived']}/{crash['points']} survived, "
                    f"{crash['killed']} killed"]


def failure_line(found: dict[str, Any]) -> str:
    """One failure, named so that it can be found again (a fuzz case by its target, number and
    seed; a kill point by its workload and place)."""
    if found["part"] == "fuzz":
        return (f"  fuzz {found['target']} case {found['case']} (seed {found['seed']}, "
                f"{found['what']}): {found['error']}: {found['message']}")
    if found["part"] == "crash":
        return f"  kill point {found['workload']} at {found['at']}: {'; '.join(found['problems'])}"
    return f"  {found['part']}: {found['error']}: {found['message']}"


def format_soak_table(result: dict[str, Any]) -> str:
    lines = growth_lines(result) + model_lines(result)
    counts = result["processed"]
    if counts:
        lines.append(f"processed: {counts['messages']:,} messages, {counts['documents']:,} documents, "
                     f"{counts['chat_turns']:,} chat turns, {counts['voice_turns']:,} voice turns")
    if result["fuzz"]:
        lines += fuzz_lines(result["fuzz"])
    lines += crash_lines(result["crash"])
    lines.append(f"peak memory: {result['peak_rss_mb']:,.0f} MB resident (this process)")
    failures = result["failures"]
    lines.append(f"failures: {len(failures)}" if failures else "failures: none")
    return "\n".join(lines + [failure_line(found) for found in failures])
