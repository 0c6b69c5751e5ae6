"""The shape of the code, held: small modules and functions, loose dicts only at the boundaries,
the table known only to the stores, domain values free of AWS, and mypy strict (issue 7)."""

from __future__ import annotations

import ast
import re
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CODE = sorted([*ROOT.glob("shared/**/*.py"), *ROOT.glob("functions/**/*.py")])
MAX_MODULE_LINES = 400
MAX_FUNCTION_LINES = 60
MAX_LOOSE_DICTS = 25


def _name(path: Path) -> str:
    return str(path.relative_to(ROOT))


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def test_the_code_is_found():
    assert len(CODE) > 40 and any(p.name == "services.py" for p in CODE)


@pytest.mark.parametrize("path", CODE, ids=_name)
def test_no_module_is_over_400_lines(path: Path):
    lines = len(path.read_text(encoding="utf-8").splitlines())
    assert lines <= MAX_MODULE_LINES, f"{_name(path)} has {lines} lines"


def test_no_function_is_over_60_lines():
    long = []
    for path in CODE:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                length = (node.end_lineno or node.lineno) - node.lineno + 1
                if length > MAX_FUNCTION_LINES:
                    long.append(f"{_name(path)}:{node.lineno} {node.name} ({length} lines)")
    assert long == []


def test_loose_dicts_are_few_and_only_at_the_boundaries():
    found = {_name(p): len(re.findall(r"dict\[str, *Any\]", p.read_text(encoding="utf-8"))) for p in CODE}
    total = sum(found.values())
    assert total <= MAX_LOOSE_DICTS, {name: n for name, n in found.items() if n}
    # Where they may be written: the JSON boundary's one name, DynamoDB's wire form, and the
    # composition root's table of AWS clients.
    allowed = {"shared/boundary.py", "shared/stores/table.py", "shared/services.py"}
    assert {name for name, n in found.items() if n} <= allowed


def test_only_the_stores_know_the_table():
    outside = [
        _name(p)
        for p in CODE
        if not _name(p).startswith("shared/stores/") and _name(p) != "shared/services.py"
        if any(name.startswith("shared.stores.table") for name in _imports(p))
    ]
    assert outside == []


@pytest.mark.parametrize("path", sorted(ROOT.glob("shared/domain/*.py")), ids=_name)
def test_domain_values_import_nothing_from_aws_or_the_layers_above(path: Path):
    forbidden = (
        "boto3",
        "botocore",
        "aws_lambda_powertools",
        "shared.stores",
        "shared.mail",
        "shared.workflows",
    )
    imported = {name for name in _imports(path) if name.startswith(forbidden)}
    assert imported == set()


def test_mypy_is_strict_on_shared_and_functions():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["mypy"]
    assert config["strict"] is True
    assert set(config["packages"]) == {"shared", "functions"}
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert re.search(r"^lint:.*\n(?:\t.*\n)*\t\$\(VENV\)/bin/mypy\s*$", makefile, re.MULTILINE)
    assert re.search(r"^test: .*\blint\b", makefile, re.MULTILINE)


def test_no_handler_makes_aws_calls_from_threads_of_its_own():
    """The tests and the local stack tell which function made an AWS call by its handler folder on
    the Python stack (infra/testkit/permissions.py and iam_check.py). A call made from a thread
    the handler started would not have it, would be signed as the stack's all-powerful local user
    and judged by no one: so no code of ours starts threads. Lift this only with a way to carry
    the function into the thread."""
    threaded = {
        _name(path)
        for path in CODE
        if {
            name
            for name in _imports(path)
            if name.split(".")[0] in {"threading", "concurrent", "multiprocessing"}
        }
    }
    assert threaded == set()
