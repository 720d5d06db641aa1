"""tools/system-packages, which `make run` and `make test` call before building anything: nothing
to do when every package is there; as root, apt-get installs exactly what is missing; otherwise one
line names the packages and the command, and the build stops."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

SCRIPT = Path(__file__).resolve().parent.parent / "tools" / "system-packages"


def fake_system(tmp_path: Path, missing: set[str], uid: int) -> dict[str, str]:
    """dpkg-query, id and apt-get stand-ins on PATH; apt-get writes its arguments to a file."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    absent = " ".join(sorted(missing))
    (bin_dir / "dpkg-query").write_text(
        "#!/bin/bash\nfor p in " + (absent or "__none__") + "; do\n"
        '  [ "${@: -1}" = "$p" ] && exit 1\ndone\nprintf "install ok installed"\n')
    (bin_dir / "id").write_text(f"#!/bin/bash\necho {uid}\n")
    (bin_dir / "apt-get").write_text(f'#!/bin/bash\necho "$@" >> {tmp_path / "apt.log"}\n')
    for tool in bin_dir.iterdir():
        tool.chmod(0o755)
    return {**os.environ, "PATH": f"{bin_dir}:/usr/bin:/bin"}


def run(env: dict[str, str], mode: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(SCRIPT), mode], env=env, capture_output=True, text=True, timeout=30)


def test_nothing_happens_when_every_package_is_there(tmp_path: Path) -> None:
    done = run(fake_system(tmp_path, set(), uid=1000), "test")
    assert done.returncode == 0 and done.stderr == ""
    assert not (tmp_path / "apt.log").exists()


def test_root_installs_exactly_what_is_missing(tmp_path: Path) -> None:
    done = run(fake_system(tmp_path, {"espeak-ng", "libportaudio2"}, uid=0), "test")
    assert done.returncode == 0, done.stderr
    calls = (tmp_path / "apt.log").read_text().splitlines()
    assert calls[0] == "update -qq"
    assert calls[1].endswith("--no-install-recommends libportaudio2 espeak-ng")


def test_without_root_one_line_names_the_packages_and_the_command(tmp_path: Path) -> None:
    done = run(fake_system(tmp_path, {"espeak-ng"}, uid=1000), "test")
    assert done.returncode == 1
    assert "Longwit needs these system packages: espeak-ng." in done.stderr
    assert "sudo apt-get install espeak-ng" in done.stderr
    assert not (tmp_path / "apt.log").exists()


def test_running_the_app_does_not_ask_for_the_test_only_packages(tmp_path: Path) -> None:
    done = run(fake_system(tmp_path, {"espeak-ng", "fonts-dejavu-core"}, uid=1000), "run")
    assert done.returncode == 0 and done.stderr == ""
