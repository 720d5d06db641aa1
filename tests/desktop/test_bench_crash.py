"""`longwit bench crash` on a small sample (22 kill points; the full run is the benchmark): every
workload killed with SIGKILL at the crash points it is about and at a moment of its run, and every
kill survived: nothing committed lost, nothing half-written used, the app going on after. The
window workload is the real window's own writes (a document removed in the library first)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from desktop.benchmarks.crash.materials import Materials, make_materials
from desktop.benchmarks.crash.runner import CrashOptions, run_crash_benchmark
from desktop.benchmarks.crash.workloads import WORKLOADS
from storage.migrations import MIGRATIONS
from tests.desktop.test_cli import longwit

# Kill points per workload; first-start goes through the command line below.
SAMPLE = {"ingest": 3, "answer": 3, "state-save": 3, "download": 3, "migration": 3, "voice": 2,
          "window": 2}


def failures(workload: dict) -> list[str]:
    return [f"{point['at']}: {'; '.join(point['problems'])}"
            for point in workload["results"] if not point["survived"]]


@pytest.fixture(scope="session")
def materials(tmp_path_factory: pytest.TempPathFactory) -> Materials:
    """The documents, the voice script and the model's checksum, made once for every workload."""
    return make_materials(tmp_path_factory.mktemp("crash-materials"), voice=True)


@pytest.mark.slow
@pytest.mark.parametrize("name", SAMPLE)
def test_every_kill_is_survived(name: str, tmp_path: Path, materials: Materials) -> None:
    # Its kill points all at once, each in its own folder (the cores shared out among their models):
    # the same kills and checks in less time.
    options = CrashOptions(workloads=(name,), points=SAMPLE[name], work=tmp_path / "crash",
                           parallel=3, materials=materials)
    result = run_crash_benchmark(options, lambda _line: None)
    workload = result["workloads"][0]
    assert failures(workload) == []
    named = [point["at"] for point in workload["results"] if point["how"] == "named"]
    assert named and named[0].startswith(WORKLOADS[name].focus[0])  # what the workload is about
    assert all(point["killed"] for point in workload["results"] if point["how"] == "named")
    assert workload["killed"] >= 1 and workload["points"] == SAMPLE[name]


@pytest.mark.slow
def test_the_command_prints_its_table_and_writes_every_point_as_json(longwit_home: Path,
                                                                     tmp_path: Path) -> None:
    out = tmp_path / "crash.json"
    result = longwit(longwit_home, "bench", "crash", "--workload", "first-start", "--points", "3",
                     "--parallel", "3", "--json", str(out), timeout=300)
    assert result.returncode == 0, result.stderr
    assert "first-start" in result.stdout and "3/3" in result.stdout
    data = json.loads(out.read_text())
    assert data["points"] == 3 and data["survived"] == 3
    points = data["workloads"][0]["results"]
    assert [point["how"] for point in points] == ["named", "named", "timed"]
    assert points[0]["at"].startswith("migration.applied:") and points[0]["after"] == points[0]["at"]
    assert data["workloads"][0]["crash_points_passed"]["migration.committed"] == len(MIGRATIONS)
