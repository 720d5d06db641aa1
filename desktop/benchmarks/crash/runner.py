"""Running the crash harness: for each workload, one run to the end (its length and the crash
points it passes), then fresh copies of its folder, each killed with SIGKILL at one named point or
at one moment, checked, and handed back to the app to go on with."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import desktop
from desktop.benchmarks.crash.checks import (
    Baseline,
    check_database,
    check_models,
    check_states,
    current_schema,
)
from desktop.benchmarks.crash.file_server import FileServer
from desktop.benchmarks.crash.journal import Journal
from desktop.benchmarks.crash.materials import Materials, make_materials
from desktop.benchmarks.crash.workloads import WORKLOADS, Args, Workload
from engine.chat_benchmark import machine
from storage.crash_points import AT_VARIABLE, LOG_VARIABLE
from storage.paths import DATABASE_NAME, HOME_VARIABLE

Report = Callable[[str], None]
# The app goes on: it lists its conversations and answers a question, whatever the workload was
# (a workload whose own resume asked one already is not asked another).
GO_ON: list[Args] = [["history"], ["ask", "--max-tokens", "8", "--temperature", "0", "Say hello."]]
MODEL_COMMANDS = ("ask", "chat", "voice")  # they take --threads
DOWNLOAD_S = 3.0  # the file server's pace: the download lasts about this long
COMMAND_TIMEOUT_S = 300.0


class CrashHarnessError(Exception):
    """The harness could not run a workload at all (it fails even without a kill)."""


@dataclass(frozen=True)
class CrashOptions:
    workloads: tuple[str, ...] = tuple(WORKLOADS)
    points: int = 20  # per workload
    work: Path | None = None  # where the folders are made; those of failed points are kept there
    # Kill points tried at once, each in its own folder. The benchmark's run times are the run's own
    # with 1; the test suite tries a workload's few points at once, its processes mostly one core's work.
    parallel: int = 1
    materials: Materials | None = None  # made already (the test suite makes them once for all)


@dataclass(frozen=True)
class KillPoint:
    at: str | None = None  # NAME:N, a crash point (storage/crash_points.py)
    share: float = 0.0  # or this far through the stretch of the run where its crash points lie

    @property
    def how(self) -> str:
        return "named" if self.at else "timed"

    def label(self, delay_s: float | None) -> str:
        return self.at or f"{self.share:.0%} ({delay_s:.2f} s)"


@dataclass(frozen=True)
class Ran:
    returncode: int
    seconds: float
    stderr: str
    hung: bool = False  # killed because it ran past its time limit, not as planned
    started: float = 0.0  # time.monotonic() at the start, the clock the journal's times are on

    @property
    def killed(self) -> bool:
        return self.returncode == -signal.SIGKILL and not self.hung

    def last_line(self) -> str:
        lines = [line for line in self.stderr.splitlines() if line.strip()]
        return lines[-1].strip() if lines else "(no output)"


def child_environment(home: Path, journal: Path | None, at: str | None) -> dict[str, str]:
    """The person's environment, this checkout's code, the folder, and the crash points wanted."""
    environment = {key: value for key, value in os.environ.items()
                   if key not in (AT_VARIABLE, LOG_VARIABLE)}
    project = str(Path(desktop.__file__).resolve().parents[1])
    python_path = os.pathsep.join(filter(None, [project, environment.get("PYTHONPATH")]))
    environment |= {"PYTHONPATH": python_path, "PYTHONUNBUFFERED": "1", HOME_VARIABLE: str(home)}
    if journal is not None:
        environment[LOG_VARIABLE] = str(journal)
    if at is not None:
        environment[AT_VARIABLE] = at
    return environment


def run_longwit(args: Args, home: Path, journal: Path | None = None, at: str | None = None,
                stdin: str | None = None, kill_after_s: float | None = None,
                timeout_s: float = COMMAND_TIMEOUT_S, module: str = "desktop") -> Ran:
    """`python -m desktop ARGS` (or another module) in its own process group; SIGKILL after
    `kill_after_s` if given."""
    started = time.monotonic()
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        child = subprocess.Popen([sys.executable, "-m", module, *args],
                                 env=child_environment(home, journal, at), stdout=out, stderr=err,
                                 stdin=subprocess.PIPE if stdin else subprocess.DEVNULL,
                                 start_new_session=True)
        if stdin and child.stdin is not None:
            child.stdin.write(stdin.encode())
            child.stdin.close()
        hung = False
        try:
            child.wait(timeout=kill_after_s if kill_after_s is not None else timeout_s)
        except subprocess.TimeoutExpired:
            hung = kill_after_s is None
            os.killpg(child.pid, signal.SIGKILL)
            child.wait()
        err.seek(0)
        stderr = err.read().decode(errors="replace")
    return Ran(child.returncode, time.monotonic() - started, stderr, hung, started)


def threads_each(parallel: int) -> int | None:
    """The model's CPU threads in each child when kill points run at once: the cores shared out, so
    that two children do not each spin a thread per core (llama.cpp's threads wait for each other
    at every step of the graph, and one descheduled thread holds up the rest); None alone."""
    return max(1, (os.cpu_count() or 1) // parallel) if parallel > 1 else None


def with_threads(args: Args, threads: int | None, model: bool = False) -> Args:
    """`args` with `--threads N` when it loads the model and the threads are shared out."""
    return [*args, "--threads", str(threads)] if threads and (model or args[0] in MODEL_COMMANDS) else args


def spread(count: int, picks: int) -> list[int]:
    """`picks` of the numbers 1..count, evenly apart (the middle one for a single pick)."""
    if picks <= 0:
        return []
    if picks == 1:
        return [(count + 1) // 2]
    return sorted({round(1 + i * (count - 1) / (picks - 1)) for i in range(picks)})


def named_points(counts: dict[str, int], budget: int) -> list[KillPoint]:
    """Share `budget` among the points the run passed, round robin, then spread each one's share
    over the times it was passed (the first, the last, and between)."""
    share = dict.fromkeys(counts, 0)
    left = budget
    while left > 0 and any(share[name] < counts[name] for name in counts):
        for name in counts:
            if left > 0 and share[name] < counts[name]:
                share[name] += 1
                left -= 1
    return [KillPoint(at=f"{name}:{n}") for name in counts for n in spread(counts[name], share[name])]


def plan_points(counts: dict[str, int], total: int, timed_share: float,
                focus: tuple[str, ...] = ()) -> list[KillPoint]:
    """Named points first (those in `focus` before the others, so that a small sample still hits
    what the workload is about), then moments spread evenly over the stretch of the run from its
    first crash point to its last (before, it is only starting Python; after, only closing)."""
    counts = {name: counts[name] for name in (*focus, *counts) if name in counts}
    named = named_points(counts, total - round(total * timed_share))
    timed = total - len(named)
    return named + [KillPoint(share=(i + 0.5) / timed) for i in range(timed)]


def failed_alone(ran: Ran) -> str:
    if ran.hung:
        return f"the workload hung (stopped after {ran.seconds:.0f} s)"
    return f"the workload failed by itself (exit {ran.returncode}): {ran.last_line()}"


@dataclass
class WorkloadRun:
    """One workload's template folder, what it held, and the measured run to the end."""

    workload: Workload
    folder: Path
    materials: Materials
    baseline: Baseline
    schema: set[tuple]
    run_s: float = 0.0
    counts: dict[str, int] | None = None
    window: tuple[float, float] = (0.0, 0.0)  # seconds from the start: first and last crash point
    relearned: int = 0  # times a run ended before its moment came and the window was measured again
    threads: int | None = None  # the model's threads in each child (kill points run at once)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def command(self, home: Path) -> Args:
        return with_threads(self.workload.command(home, self.materials), self.threads,
                            self.workload.model)

    @property
    def template(self) -> Path:
        return self.folder / "template"

    def timeout_s(self) -> float:
        return max(COMMAND_TIMEOUT_S, 4 * self.run_s)

    def reference(self) -> None:
        """Run the workload to its end once: it must succeed, and leave everything whole."""
        home, journal = self.folder / "reference", self.folder / "reference.jsonl"
        shutil.copytree(self.template, home)
        ran = run_longwit(self.command(home), home, journal,
                          stdin=self.workload.stdin, timeout_s=COMMAND_TIMEOUT_S,
                          module=self.workload.module)
        if ran.returncode != 0:
            raise CrashHarnessError(f"the {self.workload.name} workload fails without a kill "
                                    f"(exit {ran.returncode}): {ran.last_line()}")
        problems = self.check(home, Journal.read(journal))[0]
        if problems:
            raise CrashHarnessError(f"the {self.workload.name} workload leaves problems without a "
                                    f"kill: {'; '.join(problems)}")
        passed = Journal.read(journal)
        self.run_s, self.counts = ran.seconds, passed.counts()
        self.learn(ran, passed)
        shutil.rmtree(home)

    def learn(self, ran: Ran, passed: Journal) -> None:
        """Where the crash points lay in a run that went to its end (the machine is shared: a later
        run can be much faster or slower than the first)."""
        if passed.records:
            self.window = (passed.records[0]["t"] - ran.started, passed.records[-1]["t"] - ran.started)

    def moment(self, point: KillPoint) -> float | None:
        first, last = self.window
        return None if point.at else first + (last - first) * point.share

    def kill_point(self, point: KillPoint, folder: Path) -> dict[str, Any]:
        """A named point once; a moment again, measured anew, if the run ended before it came."""
        result = self.kill(point, folder)
        if point.at is None and not result["killed"] and result["exit"] == 0:
            with self.lock:  # kill points may run at once
                self.relearned += 1
            shutil.rmtree(folder, ignore_errors=True)
            result = self.kill(point, folder) | {"tries": 2}
        return result

    def check(self, home: Path, journal: Journal) -> tuple[list[str], list[str]]:
        """(problems, leftovers) in the folder now; the database first, opened as the app opens it."""
        problems = check_database(home, self.baseline, journal, self.schema)
        state_problems, state_leftovers = check_states(home)
        model_problems, model_leftovers = check_models(home, self.materials.model)
        return problems + state_problems + model_problems, state_leftovers + model_leftovers

    def kill(self, point: KillPoint, folder: Path) -> dict[str, Any]:
        """One kill, then the checks, then the app going on, then the checks again."""
        home, journal = folder / "home", folder / "journal.jsonl"
        shutil.copytree(self.template, home)
        delay_s = self.moment(point)
        ran = run_longwit(self.command(home), home, journal, at=point.at,
                          stdin=self.workload.stdin, kill_after_s=delay_s, timeout_s=self.timeout_s(),
                          module=self.workload.module)
        record = Journal.read(journal)
        if ran.returncode == 0:
            self.learn(ran, record)
        problems = [] if ran.killed or ran.returncode == 0 else [failed_alone(ran)]
        problems += self.check(home, record)[0]
        resume = self.workload.resume(home, self.materials)
        asked = any(args[0] == "ask" for args in resume)
        for args in [*resume, *(args for args in GO_ON if not (asked and args[0] == "ask"))]:
            after = run_longwit(with_threads(args, self.threads), home, timeout_s=self.timeout_s())
            if after.returncode != 0:
                problems.append(f"`longwit {' '.join(args[:2])}` after the kill: {failed_alone(after)}")
        problems += self.workload.settle(home, self.materials)
        again, leftovers = self.check(home, record)
        problems += [f"after going on: {problem}" for problem in again]
        return {"how": point.how, "at": point.label(delay_s), "killed": ran.killed, "exit": ran.returncode,
                "after": record.last(), "seconds": round(ran.seconds, 2), "problems": problems,
                "leftovers": leftovers, "survived": not problems}


def run_workload(run: WorkloadRun, points: int, keep: bool, report: Report,
                 parallel: int = 1) -> dict[str, Any]:
    workload = run.workload
    report(f"{workload.name}: preparing, then one run to the end…")
    shutil.rmtree(run.folder, ignore_errors=True)  # a --work folder used before
    workload.prepare(run.template, run.materials)
    run.baseline = Baseline.of(run.template / DATABASE_NAME)
    run.reference()
    assert run.counts is not None
    plan = plan_points(run.counts, points, workload.timed_share, workload.focus)
    report(f"{workload.name}: {run.run_s:.1f} s to the end, {sum(run.counts.values()):,} crash points "
           f"passed from {run.window[0]:.2f} to {run.window[1]:.2f} s; killing it at {len(plan)} points")

    def try_point(number: int, point: KillPoint) -> dict[str, Any]:
        folder = run.folder / f"point-{number:03d}"
        result = run.kill_point(point, folder)
        verdict = "survived" if result["survived"] else "FAILED: " + "; ".join(result["problems"])
        landed = "killed" if result["killed"] else "finished first"
        where = f"after {result['after']}" if result["after"] else "before any crash point"
        report(f"{workload.name} {number}/{len(plan)} at {result['at']} ({landed}, {where}): {verdict}")
        if result["survived"] or not keep:
            shutil.rmtree(folder, ignore_errors=True)
        return result

    with ThreadPoolExecutor(max_workers=max(1, parallel), thread_name_prefix="crash-point") as pool:
        results = list(pool.map(try_point, range(1, len(plan) + 1), plan))
    return {"name": workload.name, "what": workload.what, "run_s": round(run.run_s, 2),
            "crash_points_window_s": [round(t, 3) for t in run.window], "remeasured": run.relearned,
            "crash_points_passed": run.counts, "points": len(results),
            "named": sum(r["how"] == "named" for r in results),
            "killed": sum(r["killed"] for r in results),
            "survived": sum(r["survived"] for r in results),
            "leftovers": sum(len(r["leftovers"]) for r in results), "results": results}


def run_crash_benchmark(options: CrashOptions, report: Report) -> dict[str, Any]:
    """Every chosen workload, `options.points` kills each; a JSON-ready dict."""
    unknown = [name for name in options.workloads if name not in WORKLOADS]
    if unknown:
        raise CrashHarnessError(f"no workload named {', '.join(unknown)}; use {', '.join(WORKLOADS)}")
    with contextlib.ExitStack() as stack:
        root = options.work or Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="longwit-crash-")))
        materials = options.materials
        if materials is None or (materials.voice_script is None and "voice" in options.workloads):
            report("Writing the documents and the voice script…")
            materials = make_materials(root / "materials", voice="voice" in options.workloads)
        if "download" in options.workloads:
            server = FileServer(materials.model.path, materials.model.size / DOWNLOAD_S)
            stack.callback(server.close)
            materials = replace(materials, model_url=server.url)
        schema = current_schema()
        workloads = []
        for name in options.workloads:
            run = WorkloadRun(WORKLOADS[name], root / name, materials, Baseline(), schema,
                              threads=threads_each(options.parallel))
            workloads.append(run_workload(run, options.points, options.work is not None, report,
                                          options.parallel))
    return {"machine": machine(), "points_per_workload": options.points, "workloads": workloads,
            "points": sum(w["points"] for w in workloads), "killed": sum(w["killed"] for w in workloads),
            "survived": sum(w["survived"] for w in workloads)}
