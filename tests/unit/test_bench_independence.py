"""The benchmarks share their helpers with the tests through `infra.testkit`, never by importing
`tests/`: a test package is no library, and bench must run from an installed tree without it.
bench draws on `infra/` (the testkit, the local stack's resources) and on the application
(`shared/`, `functions/`): none of them may import the tests, however lazily."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CHECKED = ("bench", "infra", "shared", "functions")


def imported_modules(path: Path) -> set[str]:
    """Every module a file imports, at the top or inside a function (bench imports lazily)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
        elif isinstance(node, ast.Call) and getattr(node.func, "attr", getattr(node.func, "id", "")) in {
            "import_module",
            "__import__",
        }:
            found.update(arg.value for arg in node.args[:1] if isinstance(arg, ast.Constant))
    return found


def test_no_benchmark_nor_anything_it_draws_on_imports_the_tests() -> None:
    files = sorted(path for folder in CHECKED for path in (ROOT / folder).glob("**/*.py"))
    assert {"bench/morning.py", "infra/testkit/morning.py"} <= {str(p.relative_to(ROOT)) for p in files}

    offenders = {
        f"{path.relative_to(ROOT)}: {module}"
        for path in files
        for module in imported_modules(path)
        if module == "tests" or module.startswith("tests.")
    }

    assert offenders == set()


def test_the_check_sees_lazy_imports(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text("def f():\n    from tests.conftest import call_api\n    import tests.e2e\n")

    assert imported_modules(sample) == {"tests.conftest", "tests.e2e"}


def test_bench_rewrites_its_figures_and_keeps_the_hand_written_capacity_calculation(tmp_path, monkeypatch):
    import bench.__main__ as bench_main

    doc = tmp_path / "performance.md"
    calculation = f"{bench_main.HAND_WRITTEN}\n\n## Capacity\n\n| `minimum_rate` | 230 | sums |\n"
    doc.write_text("# Performance\n\nold figures\n\n" + calculation)
    monkeypatch.setattr(bench_main, "DOC", doc)

    bench_main.write_doc([], ["a finding"], 1.0)

    written = doc.read_text()
    assert "old figures" not in written and "a finding" in written
    assert written.rstrip("\n").endswith(calculation.rstrip("\n"))
