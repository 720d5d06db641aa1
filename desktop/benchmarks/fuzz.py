"""Mutation fuzzing inside `longwit bench soak`: what comes from outside (a dropped file, a model's
chat template rendering a conversation, a model's citation marks, an API request body) fed as
damaged, hostile or odd input to the app's own code, so that an installed app can fuzz itself
without hypothesis or pytest.

Each target draws its cases from a `random.Random` seeded by the run's seed, the target's name and
the case's number, so a failure is reproduced from those three alone. A case keeps the target's
contract when the code returns a value of the right shape or refuses with one of the target's typed
errors; any other exception, a value of the wrong shape (`ContractBroken`), or a case that took
longer than the target's time bound is a failure. A case cannot be stopped from outside (it runs in
this thread, on the app's code as the app runs it), so its time is judged once it ends.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

Report = Callable[[str], None]
MESSAGE_CHARS = 120  # of a failure's message: its first line, enough to find it again


class ContractBroken(Exception):
    """The code returned, but not what its contract promises (raised by a target's check)."""


@dataclass(frozen=True)
class Case:
    what: str  # a few words for a failure's record ("pdf cut", "chat body, max_tokens a list")
    payload: Any


@dataclass(frozen=True)
class FuzzTarget:
    """One piece of the app's code under fuzzing.

    `draw` makes a case; `check` runs the app's code on it and returns True when the code refused
    it with its typed error (checking that refusal's shape), False when it returned a value of the
    right shape, and raises anything else."""

    name: str
    draw: Callable[[random.Random], Case]
    check: Callable[[Case], bool]
    bound_ms: float  # a case slower than this is a failure


def case_random(seed: int, target: str, number: int) -> random.Random:
    # A string seed is hashed by Random itself (SHA-512), the same on every run and platform.
    return random.Random(f"{seed}/{target}/{number}")


def short(error: BaseException) -> str:
    lines = str(error).strip().splitlines()
    return (lines[0] if lines else "")[:MESSAGE_CHARS]


def failure(target: FuzzTarget, number: int, seed: int, case: Case | None, error: str,
            message: str) -> dict[str, Any]:
    """A failure's record: where to find it again and what went wrong, never the case's text."""
    return {"part": "fuzz", "target": target.name, "case": number, "seed": seed,
            "what": case.what if case else "", "error": error, "message": message}


def run_case(target: FuzzTarget, number: int, seed: int) -> tuple[bool, float, dict | None]:
    """(refused, milliseconds, failure or None) for one case."""
    case = None
    started = time.perf_counter()
    try:
        case = target.draw(case_random(seed, target.name, number))
        started = time.perf_counter()  # the case's time is the app's, not the drawing's
        refused = target.check(case)
    except Exception as error:  # anything but the target's typed refusal is what fuzzing looks for
        ms = (time.perf_counter() - started) * 1000
        return False, ms, failure(target, number, seed, case, type(error).__name__, short(error))
    ms = (time.perf_counter() - started) * 1000
    if ms > target.bound_ms:
        return refused, ms, failure(target, number, seed, case, "OverTimeBound",
                                    f"took {ms:.0f} ms; the bound is {target.bound_ms:.0f} ms")
    return refused, ms, None


def fuzz_target(target: FuzzTarget, cases: int, seed: int, report: Report) -> dict[str, Any]:
    refused, slowest, failures = 0, 0.0, []
    for number in range(1, cases + 1):
        was_refused, ms, found = run_case(target, number, seed)
        refused += was_refused
        slowest = max(slowest, ms)
        if found:
            failures.append(found)
            report(f"  fuzz {target.name} case {number} ({found['what']}): FAILED, "
                   f"{found['error']}: {found['message']}")
    report(f"  fuzz {target.name}: {cases} cases, {refused} refused, {len(failures)} failures, "
           f"slowest {slowest:.1f} ms")
    return {"cases": cases, "refused": refused, "failures": len(failures),
            "slowest_ms": round(slowest, 2), "bound_ms": target.bound_ms, "found": failures}


def share(cases: int, parts: int) -> list[int]:
    """`cases` spread over `parts` as evenly as whole numbers allow, the first ones one more."""
    return [cases // parts + (index < cases % parts) for index in range(parts)]


def run_fuzz(targets: list[FuzzTarget], cases: int, seed: int, report: Report) -> dict[str, Any]:
    """`cases` in all, spread over `targets`; a JSON-ready dict with every failure listed."""
    per_target = {target.name: fuzz_target(target, count, seed, report)
                  for target, count in zip(targets, share(cases, len(targets)), strict=True)}
    failures = [found for result in per_target.values() for found in result.pop("found")]
    return {"seed": seed, "cases": sum(r["cases"] for r in per_target.values()),
            "refused": sum(r["refused"] for r in per_target.values()),
            "targets": per_target, "failures": failures}


def fuzz_lines(result: dict[str, Any]) -> list[str]:
    """The printed table's lines: one per target."""
    return [f"fuzz {name}: {r['cases']} cases, {r['refused']} refused with a typed error, "
            f"{r['failures']} failures, slowest {r['slowest_ms']:.1f} ms (bound {r['bound_ms']:.0f})"
            for name, r in result["targets"].items()]
