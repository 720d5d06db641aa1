"""Benchmark results as plain-text tables for a terminal (the JSON carries the same figures)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


def ms(seconds: float | None) -> str:
    return "-" if seconds is None else f"{seconds * 1000:,.1f} ms"


def number(value: float | int | None, suffix: str = "") -> str:
    if value is None:
        return "-"
    return f"{value:,}{suffix}" if isinstance(value, int) else f"{value:,.2f}{suffix}"


def table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    widths = [max(len(row[i]) for row in [headers, *rows]) for i in range(len(headers))]
    lines = [
        "  ".join(cell.rjust(width) for cell, width in zip(row, widths, strict=True))
        for row in [headers, *rows]
    ]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(lines)


def load_section(load: dict[str, Any]) -> str:
    rows = [
        [
            ms(load["longwit_wall_s"]),
            ms(load["longwit_load_s"]),
            ms(load["baseline_s"]),
            number(load["ratio"], "x"),
        ]
    ]
    return "Model load\n" + table(["Longwit", "(llama.cpp part)", "plain Llama", "ratio"], rows)


def prompt_row(name: str, case: dict[str, Any]) -> list[str]:
    longwit, baseline = case["longwit"], case["baseline"]
    return [
        name,
        number(longwit["prompt_tokens"]),
        ms(longwit["ttft_s"]),
        ms(baseline["ttft_s"]),
        number(case["ttft_ratio"], "x"),
        number(longwit["tokens_per_s"]),
        number(baseline["tokens_per_s"]),
        number(case["tokens_per_s_ratio"], "x"),
    ]


def prompt_section(result: dict[str, Any]) -> str:
    headers = [
        "first turn",
        "prompt tok",
        "TTFT Longwit",
        "TTFT plain",
        "ratio",
        "tok/s Longwit",
        "tok/s plain",
        "ratio",
    ]
    rows = [
        prompt_row("short prompt", result["short_prompt"]),
        prompt_row("long prompt", result["long_prompt"]),
    ]
    return "First turn, nothing cached (ratio above 1: Longwit faster)\n" + table(headers, rows)


def follow_up_section(result: dict[str, Any]) -> str:
    headers = [
        "history tok",
        "prompt tok",
        "cached",
        "prefilled",
        "first TTFT",
        "follow-up TTFT",
        "plain TTFT",
        "ratio",
    ]
    rows = [
        [
            number(case["history_tokens_actual"]),
            number(case["prompt_tokens"]),
            number(case["cached_tokens"]),
            number(case["prefilled_tokens"]),
            ms(case["longwit_first_ttft_s"]),
            ms(case["longwit_ttft_s"]),
            ms(case["baseline_ttft_s"]),
            number(case["ratio"], "x"),
        ]
        for case in result["follow_up"]
    ]
    summary = (
        f"Follow-up TTFT growth, largest/smallest history: "
        f"{number(result['followup_ttft_growth'], 'x')} (flat is 1.00x); "
        f"speed-up at the largest: {number(result['followup_speedup_at_largest'], 'x')}"
    )
    heading = "Follow-up turn (the plain Llama prefills the whole prompt again)\n"
    return heading + table(headers, rows) + "\n" + summary


def cancel_section(cancel: dict[str, Any]) -> str:
    rows = [["mid-answer", ms(cancel["during_generation_s"]), ms(cancel["target_s"])],
            ["mid-prefill", ms(cancel["during_prefill_s"]), ms(cancel["target_s"])]]
    return "Cancellation, cancel() to answer saved as cut\n" + table(["", "latency", "target"], rows)


def format_chat_table(result: dict) -> str:
    """The result as plain text for a terminal."""
    info = result["machine"]
    header = (
        f"Chat benchmark: {result['model']}, context {result['n_ctx']:,}, "
        f"{result['n_threads']} threads, GPU layers {result['gpu_layers']}, "
        f"{result['answer_tokens']} answer tokens, median of {result['repeats']}\n"
        f"llama-cpp-python {info['llama_cpp_version']}, {info['cpu_count']} CPUs, "
        f"GPU offload {'available' if info['gpu_offload'] else 'not available'}"
    )
    sections = [
        header,
        load_section(result["load"]),
        prompt_section(result),
        follow_up_section(result),
        cancel_section(result["cancel"]),
    ]
    return "\n\n".join(sections) + "\n"


def needle_section(needle: dict[str, Any]) -> str:
    depths = needle["depths"]
    by_cell = {(c["length"], c["depth"]): c for c in needle["cells"]}
    headers = ["tokens", *[f"{d:.0%}" for d in depths]]
    rows = []
    for length in needle["lengths"]:
        cells = [by_cell.get((length, d)) for d in depths]
        rows.append([f"{length:,}", *[
            "-" if c is None else f"{'✓' if c['longwit_correct'] else '✗'}"
            f"{'✓' if c['baseline_correct'] else '✗'}" for c in cells]])
    summary = (f"Accuracy: Longwit {number(needle['accuracy_longwit'])}, "
               f"plain {number(needle['accuracy_baseline'])} (first mark Longwit, second plain)")
    return "Needle in a haystack, by document length and needle depth\n" + table(headers, rows) \
        + "\n" + summary


def ttft_section(cases: list[dict[str, Any]]) -> str:
    headers = ["doc tokens", "cold", "warm", "restored (new process)", "warm ×", "restored ×",
               "state on disk"]
    rows = [[
        number(case["document_tokens"]), ms(case["cold"]["ttft_s"]), ms(case["warm"]["ttft_s"]),
        f"{ms(case['restored']['ttft_s'])} ({case['restored']['prefix']})",
        number(case["warm_speedup"], "x"), number(case["restored_speedup"], "x"),
        f"{case['state_bytes'] / 2**20:,.1f} MB",
    ] for case in cases]
    return "Time to first token for a question about a document\n" + table(headers, rows)


def ingestion_section(cases: list[dict[str, Any]]) -> str:
    headers = ["file", "size", "seconds", "pages/s", "MB/s", "chunks"]
    rows = [[c["file"], f"{c['bytes'] / 2**20:,.1f} MB", number(c["seconds"]),
             number(c["pages_per_s"]), number(c["mb_per_s"]), number(c["chunks"])] for c in cases]
    return "Ingestion (read, chunk, store)\n" + table(headers, rows)


def format_context_table(result: dict) -> str:
    header = (f"Context benchmark: {result['model']}, context {result['n_ctx']:,}, "
              f"{result['n_threads']} threads, GPU layers {result['gpu_layers']}")
    sections = [header]
    if "needle" in result:
        sections.append(needle_section(result["needle"]))
    if result.get("ttft"):
        sections.append(ttft_section(result["ttft"]))
    if "ingestion" in result:
        sections.append(ingestion_section(result["ingestion"]))
    return "\n\n".join(sections) + "\n"


def met(flag: bool | None) -> str:
    return "-" if flag is None else ("met" if flag else "not met")


def voice_turns_section(turns: list[dict[str, Any]]) -> str:
    headers = ["turn", "heard", "turn ended", "transcript", "1st token", "1st clause", "1st audio",
               "retracted", "baseline", "floor"]
    rows = [[
        str(index), (turn["heard"][:32] + "…") if len(turn["heard"]) > 33 else turn["heard"] or "-",
        ms(turn.get("end_of_turn_s")), ms(turn.get("transcript_s")), ms(turn.get("first_token_s")),
        ms(turn.get("first_clause_s")), ms(turn.get("latency_s")), str(turn.get("replies_retracted", 0)),
        ms(turn["baseline"]["total_s"]), ms(turn["floor"]["total_s"]),
    ] for index, turn in enumerate(turns, start=1)]
    heading = ("End of speech → first reply audio, per turn: when each step was done, counted from the "
               "end of speech\n(a reply begun at the pause has its transcript and first clause before the "
               "turn ends; 'retracted': replies begun at a pause the person talked through)\n")
    return heading + table(headers, rows)


def voice_stages_section(turns: list[dict[str, Any]]) -> str:
    headers = ["turn", "baseline: wait", "transcribe", "whole reply", "synthesize all",
               "floor: transcribe", "1st clause", "synthesize clause"]
    rows = [[
        str(index), ms(b["end_of_turn_s"]), ms(b["transcription_s"]), ms(b["generation_s"]),
        ms(b["synthesis_s"]), ms(f["transcription_s"]), ms(f["first_clause_s"]), ms(f["synthesis_s"]),
    ] for index, (b, f) in enumerate(((t["baseline"], t["floor"]) for t in turns), start=1)]
    return "Baseline and floor, each stage timed alone\n" + table(headers, rows)


def voice_barge_in_section(barge_ins: list[dict[str, Any]], echoes: list[dict[str, Any]]) -> str:
    headers = ["barge-in", "true onset", "VAD onset", "playback stopped", "onset → stopped"]
    rows = [[str(index), number_s(b["onset_s"]), number_s(b.get("vad_onset_s")),
             number_s(b.get("stopped_s")), ms(b.get("barge_in_s")) if b.get("barge_in_s") is not None
             else b.get("note", "-")] for index, b in enumerate(barge_ins, start=1)]
    echo_rows = [[str(index), "on" if e["echo_cancellation"] else "off", number(e["reply_played_s"], " s"),
                  str(e["false_interruptions"]), str(e["echo_turns"])]
                 for index, e in enumerate(echoes, start=1)]
    echo_headers = ["echo run", "echo cancellation", "reply played", "false interruptions", "echo turns"]
    return ("Barge-in (stream seconds; the person speaks over the reply)\n" + table(headers, rows)
            + "\n\nEcho (speaker fed back into the microphone, the person silent)\n"
            + table(echo_headers, echo_rows))


def number_s(seconds: float | None) -> str:
    return number(seconds, " s")


def voice_summary_section(result: dict[str, Any]) -> str:
    targets, flags = result["targets"], result["met"]
    rows = [
        ["end of speech → first audio, p50", ms(result["latency_p50_s"]), "", ""],
        ["end of speech → first audio, p90", ms(result["latency_p90_s"]), "", ""],
        ["baseline p50 (sequential pipeline)", ms(result["baseline_p50_s"]), "", ""],
        ["floor p50 (stages alone)", ms(result["floor_p50_s"]), "", ""],
        ["baseline / Longwit", number(result["ratio_to_baseline"], "x"),
         f">= {targets['ratio_to_baseline_min']:.2f}x", met(flags["ratio_to_baseline"])],
        ["Longwit / floor", number(result["ratio_to_floor"], "x"),
         f"<= {targets['ratio_to_floor_max']:.2f}x", met(flags["ratio_to_floor"])],
        [f"barge-in p50 (onset → stopped; {result['barge_ins_missed']} missed)", ms(result["barge_in_p50_s"]),
         f"<= {ms(targets['barge_in_p50_max_s'])}", met(flags["barge_in_p50"])],
        ["false interruptions (echo)", str(result["false_interruptions"]),
         f"<= {targets['false_interruptions_max']}", met(flags["false_interruptions"])],
        ["word error rate", number(result["wer"]), "", ""],
    ]
    stages = ", ".join(f"{key.removesuffix('_s').replace('_', ' ')} {ms(value)}"
                       for key, value in result["stages_p50_s"].items())
    sized = number(result.get("ratio_to_baseline_with_sized_transcription"), "x")
    notes = [
        f"After the end of speech, p50: {stages}; unanswered turns: {result['unanswered_turns']}",
        f"Transcription alone, p50: {ms(result['transcription_p50_s'])} in a window sized to the utterance, "
        f"with word timings (the loop and the floor); {ms(result['plain_transcription_p50_s'])} through "
        f"faster-whisper's own transcribe, no word timings (the baseline). With the former the baseline "
        f"would be {sized} Longwit's p50.",
        f"The floor spoke the loop's own first clause in {result.get('floor_same_first_clause', 0)} of "
        f"{len(result['turns'])} turns (each question in a new conversation, at temperature 0).",
        f"Turn detection (Silero VAD) per 20 ms microphone frame: {ms(result.get('vad_frame_s'))}.",
    ]
    return "Summary\n" + table(["", "value", "target", ""], rows) + "\n" + "\n".join(notes)


def format_voice_table(result: dict) -> str:
    info = result["machine"]
    header = (f"Voice benchmark: {result['model']}, {result['n_threads']} threads, GPU layers "
              f"{result['gpu_layers']}, speech {result['speech_model']}, voice {result['voice']}; "
              f"{len(result['turns'])} turns in real time\n{info['cpu_count']} CPUs, {info['platform']}")
    sections = [header, voice_turns_section(result["turns"]), voice_stages_section(result["turns"]),
                voice_barge_in_section(result["barge_ins"], result["echo"]), voice_summary_section(result)]
    return "\n\n".join(sections) + "\n"


def format_ui_table(result: dict) -> str:
    rows = [
        [p["phase"], f"{p['seconds']:.1f} s", f"{p['longest_stall_ms']:.1f} ms",
         f"{p['p99_stall_ms']:.1f} ms", str(p["stalls_over_50_ms"])]
        for p in result["phases"]
    ]
    lines = [
        "Event-loop stalls of the window (idle is the timer's own jitter on this machine)",
        table(["phase", "watched", "longest stall", "p99 stall", "stalls > 50 ms"], rows),
        "",
        f"Window shown after {result['window_shown_s']:.2f} s; usable (model loaded) after "
        f"{result['usable_s']:.2f} s.",
        f"Longest stall outside idle: {result['longest_stall_ms']:.1f} ms "
        f"(limit {result['stall_limit_ms']:.0f} ms): {met(result['met'])}",
    ]
    return "\n".join(lines)


def format_crash_table(result: dict[str, Any]) -> str:
    """Kills per workload and how many the folder survived; then every problem found, by point."""
    headers = ["workload", "points", "named", "timed", "killed", "survived", "run to end", "leftovers"]
    rows = [[w["name"], number(w["points"]), number(w["named"]), number(w["points"] - w["named"]),
             number(w["killed"]), f"{w['survived']}/{w['points']}", f"{w['run_s']:.1f} s",
             number(w["leftovers"])] for w in result["workloads"]]
    rows.append(["all", number(result["points"]), "", "", number(result["killed"]),
                 f"{result['survived']}/{result['points']}", "", ""])
    lines = ["Crash safety: SIGKILL at a named crash point or a moment of each run, then reopened, "
             "checked and used\n" + table(headers, rows)]
    for workload in result["workloads"]:
        for point in workload["results"]:
            for problem in point["problems"]:
                lines.append(f"{workload['name']} at {point['at']}: {problem}")
    return "\n".join(lines)
