"""The layout keeps the command line free of Qt: `longwit` on a machine without a display (or
without Qt's system libraries) must still chat, ask, benchmark and keep its log."""

from __future__ import annotations

import pkgutil
import subprocess
import sys
from pathlib import Path

import desktop
import desktop.benchmarks
import desktop.cli
import desktop.diagnostics

ROOT = Path(desktop.__file__).parent.parent


def modules_of(package) -> list[str]:
    return [f"{package.__name__}.{m.name}" for m in pkgutil.iter_modules(package.__path__)]


def test_the_command_line_and_its_benchmarks_import_without_qt() -> None:
    names = [*modules_of(desktop.cli), *modules_of(desktop.benchmarks), *modules_of(desktop.diagnostics),
             "desktop.reply_stats", "desktop.memory_estimate"]
    assert "desktop.cli.main" in names and "desktop.diagnostics.log_file" in names
    script = (
        "import sys\n"
        "sys.modules['PySide6'] = None  # any import of Qt fails\n"
        f"for name in {names!r}:\n"
        "    __import__(name)\n"
        "print('imported', len(sys.modules))\n"
    )
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]


def test_the_window_lives_in_its_own_package() -> None:
    flat = sorted(p.name for p in (ROOT / "desktop").glob("*.py"))
    # Beside the two faces only what both of them show: reply figures and the memory estimate.
    assert flat == ["__init__.py", "__main__.py", "memory_estimate.py", "reply_stats.py"]
