"""Cold-start import cost of the Lambda entry points, each in fresh interpreters.

Every measurement is a new `python -c` that times one `import` with `time.perf_counter()` and
counts the modules it added. Runs are interleaved (boto3, api, admin, sender, boto3, ...) so
that noise on a shared machine hits every target alike; the figure is the median, reported as
a ratio to bare `import boto3` measured the same way in the same run. Full (generation-2)
garbage collections during the import are counted, and a what-if row times the API handler with
the collector paused during its import (`gc.disable()`, then `gc.freeze(); gc.enable()`).
The bytecode cache is on (PYTHONDONTWRITEBYTECODE removed) and one warm-up run per target
writes the .pyc files first.
The children get no AWS or application variables: the code must import without them.
"""

from __future__ import annotations

import os
import re
import shutil
import statistics
import subprocess
import sys
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BASELINE = "boto3"
HANDLERS = (
    "functions.api.handler",
    "functions.admin.handler",
    "functions.sender.handler",
    "functions.dispatch.handler",
    "functions.ses_events.handler",
)
OWN_PACKAGES = ("functions", "shared")
TIMER = """\
import gc, importlib, sys, time
pause = sys.argv[2] == "pause-gc"
before, full = len(sys.modules), gc.get_stats()[2]["collections"]
start = time.perf_counter()
if pause:
    gc.disable()
importlib.import_module(sys.argv[1])
if pause:
    gc.freeze()
    gc.enable()
print(time.perf_counter() - start, len(sys.modules) - before, gc.get_stats()[2]["collections"] - full)
"""


@dataclass
class ImportResult:
    module: str
    pause_gc: bool = False  # a what-if: the garbage collector paused during the import
    seconds: list[float] = field(default_factory=list)
    modules: int = 0
    full_collections: int = 0  # generation-2 garbage collections during the import
    error: str | None = None
    instructions: int | None = None  # CPU instructions of the import alone (valgrind), when counted

    @property
    def label(self) -> str:
        return f"{self.module}, GC paused (what-if)" if self.pause_gc else self.module

    @property
    def median(self) -> float:
        return statistics.median(self.seconds) if self.seconds else float("nan")


@dataclass
class HeavyImport:
    module: str
    imported_by: str
    seconds: float  # cumulative for a third-party or stdlib module, self time for one of ours
    own: bool
    largest_parts: str = ""  # its heaviest direct imports, "name ms, ..."


@dataclass
class ImportReport:
    baseline: ImportResult
    handlers: list[ImportResult]
    what_if: ImportResult
    heaviest: list[HeavyImport]
    importtime_total: float
    runs: int

    def ratio(self, result: ImportResult) -> float:
        return result.median / self.baseline.median

    def instruction_ratio(self, result: ImportResult) -> float | None:
        if result.instructions is None or not self.baseline.instructions:
            return None
        return result.instructions / self.baseline.instructions


def child_env() -> dict[str, str]:
    """A bare environment: no AWS_*, no TABLE_NAME & co, no PYTHONDONTWRITEBYTECODE."""
    keep = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR")
    return {name: os.environ[name] for name in keep if name in os.environ}


def _python(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 - our own interpreter, fixed arguments
        [sys.executable, *args],
        cwd=ROOT,
        env=child_env(),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def count_instructions(module: str) -> int | None:
    """The CPU instructions `import module` executes, interpreter start-up taken away: counted by
    valgrind's callgrind, so the same on every run however busy the machine is (the timings on a
    shared machine move by a tenth either way). None where valgrind is missing."""
    if shutil.which("valgrind") is None:
        return None

    def executed(code: str) -> int | None:
        answer = subprocess.run(  # noqa: S603 - valgrind and our own interpreter, fixed arguments
            ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", sys.executable, "-c", code],  # noqa: S607
            cwd=ROOT,
            env=child_env(),
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        found = re.search(r"Collected : (\d+)", answer.stderr)
        return int(found.group(1)) if answer.returncode == 0 and found else None

    start_up, whole = executed("import sys"), executed(f"import {module}")
    return whole - start_up if start_up is not None and whole is not None else None


def time_import(result: ImportResult) -> None:
    answer = _python("-c", TIMER, result.module, "pause-gc" if result.pause_gc else "-")
    if answer.returncode != 0:
        lines = answer.stderr.strip().splitlines()
        result.error = lines[-1] if lines else f"exit status {answer.returncode}"
        return
    seconds, modules, collections = answer.stdout.split()
    result.seconds.append(float(seconds))
    result.modules, result.full_collections = int(modules), int(collections)


@dataclass
class _Entry:
    name: str
    depth: int
    self_us: int
    cumulative_us: int
    parent: _Entry | None = None
    children: list[_Entry] = field(default_factory=list)


def parse_importtime(stderr: str) -> list[_Entry]:
    """`-X importtime` lines, with each entry's parent (children are printed before parents)."""
    entries: list[_Entry] = []
    pending: dict[int, list[_Entry]] = defaultdict(list)
    for line in stderr.splitlines():
        if not line.startswith("import time:") or "self [us]" in line:
            continue
        self_us, cumulative_us, name = line.removeprefix("import time:").split("|")
        depth = (len(name) - len(name.lstrip()) - 1) // 2
        entry = _Entry(name.strip(), depth, int(self_us), int(cumulative_us))
        entry.children = pending.pop(depth + 1, [])
        for child in entry.children:
            child.parent = entry
        pending[depth].append(entry)
        entries.append(entry)
    return entries


def _is_own(name: str) -> bool:
    return name.split(".")[0] in OWN_PACKAGES


def _root(entry: _Entry) -> _Entry:
    while entry.parent is not None:
        entry = entry.parent
    return entry


def of_import(entries: list[_Entry], module: str) -> list[_Entry]:
    """The entries `import module` caused, leaving out the interpreter's own start-up (site, ...)."""
    parts = module.split(".")
    roots = {".".join(parts[: n + 1]) for n in range(len(parts))}
    return [e for e in entries if _root(e).name in roots]


def attributed(entries: list[_Entry]) -> dict[tuple[str, str], _Entry]:
    """Split the import time into non-overlapping parts: each of our modules' self time, and each
    outside module's cumulative time where one of ours first pulled it in."""
    parts: dict[tuple[str, str], _Entry] = {}
    for entry in entries:
        parent = entry.parent.name if entry.parent else "(import statement)"
        if _is_own(entry.name) or entry.parent is None or _is_own(entry.parent.name):
            parts[(entry.name, parent)] = entry
    return parts


def _cost(entry: _Entry) -> int:
    return entry.self_us if _is_own(entry.name) else entry.cumulative_us


def heaviest_imports(module: str, runs: int, top: int = 10) -> tuple[list[HeavyImport], float]:
    samples: dict[tuple[str, str], list[int]] = defaultdict(list)
    parts: dict[tuple[str, str], dict[str, list[int]]] = defaultdict(lambda: defaultdict(list))
    totals = []
    for _ in range(runs):
        answer = _python("-X", "importtime", "-c", f"import {module}")
        if answer.returncode != 0:
            return [], float("nan")
        entries = of_import(parse_importtime(answer.stderr), module)
        totals.append(sum(e.cumulative_us for e in entries if e.parent is None))
        for key, entry in attributed(entries).items():
            samples[key].append(_cost(entry))
            if not _is_own(entry.name):
                for child in entry.children:
                    parts[key][child.name].append(child.cumulative_us)
    medians = {key: statistics.median(values) for key, values in samples.items()}
    ranked = sorted(medians.items(), key=lambda item: item[1], reverse=True)[:top]
    heavy = []
    for (name, by), us in ranked:
        inner = sorted(((statistics.median(v), c) for c, v in parts[(name, by)].items()), reverse=True)
        shown = [(child.removeprefix(name), child_us) for child_us, child in inner[:3] if child_us >= 1000]
        largest = ", ".join(f"{child} {child_us / 1000:.0f}" for child, child_us in shown)
        heavy.append(HeavyImport(name, by, us / 1e6, _is_own(name), largest))
    return heavy, statistics.median(totals) / 1e6


def measure_imports(runs: int = 12, importtime_runs: int = 5) -> ImportReport:
    baseline = ImportResult(BASELINE)
    handlers = [ImportResult(module) for module in HANDLERS]
    what_if = ImportResult(HANDLERS[0], pause_gc=True)
    targets = [baseline, *handlers, what_if]
    for target in targets:  # warm-up: writes the bytecode cache
        time_import(target)
        target.seconds.clear()
    for _ in range(runs):
        for target in targets:
            if target.error is None:
                time_import(target)
    for target in [baseline, *handlers]:
        if target.error is None:
            target.instructions = count_instructions(target.module)
    heaviest, total = heaviest_imports(HANDLERS[0], importtime_runs)
    return ImportReport(baseline, handlers, what_if, heaviest, total, runs)
