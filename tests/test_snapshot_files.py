"""Every SVG in tests/__snapshots__ is the snapshot of a test that exists.

syrupy fails a run that leaves a snapshot unused (its test renamed or removed), but only in
a run of one process: under pytest-xdist (`-n auto`, as CI runs the suite) no process sees
every test, and syrupy skips the check without a word. This test collects the snapshot
modules itself, so the check is made in any run.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SNAPSHOTS = ROOT / "tests" / "__snapshots__"


def snapshot_files(modules: list[str]) -> set[str]:
    """The files syrupy names for the tests of `modules` (each `tests/<module>.py`):
    `<module>/<Class>.<test>[<parameters>].svg`."""
    collected = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:xdist",
         "-p", "no:cacheprovider", *(f"tests/{module}.py" for module in modules)],
        cwd=ROOT, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert collected.returncode == 0, collected.stdout + collected.stderr
    files = set()
    for line in collected.stdout.splitlines():
        path, separator, name = line.partition("::")
        if separator:
            files.add(f"{Path(path).stem}/{name.replace('::', '.')}.svg")
    return files


def test_every_snapshot_is_made_by_a_test() -> None:
    stored = {f"{path.parent.name}/{path.name}" for path in SNAPSHOTS.glob("*/*.svg")}
    assert stored  # the snapshots were found
    modules = sorted({name.split("/")[0] for name in stored})
    present = [module for module in modules if (ROOT / "tests" / f"{module}.py").exists()]
    unused = sorted(stored - snapshot_files(present))
    assert unused == [], (
        f"snapshots no test makes: {unused} (`python -m pytest tests/<module>.py "
        "--snapshot-update` removes them)"
    )
