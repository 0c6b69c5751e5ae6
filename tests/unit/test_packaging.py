"""What a Lambda artifact contains: our code from functions/ and shared/, and the pinned runtime
dependencies of requirements.txt (generated from pyproject.toml by `make requirements`), nothing else."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tomllib
from importlib import metadata
from pathlib import Path
from typing import Any

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from samtranslator.yaml_helper import yaml_parse

from infra.local.resources import load_template

REPO_ROOT = Path(__file__).resolve().parents[2]
FUNCTIONS = ("ApiFunction", "AdminFunction", "SenderFunction", "DispatchFunction", "SesEventsFunction")
# Test and tooling libraries that must never reach Lambda, beyond pyproject's own dev extra.
NEVER_SHIPPED = {
    "moto",
    "pytest",
    "playwright",
    "flask",
    "werkzeug",
    "responses",
    "docker",
    "pip",
    "setuptools",
}


def pyproject() -> dict[str, Any]:
    with (REPO_ROOT / "pyproject.toml").open("rb") as file:
        return tomllib.load(file)


def runtime_dependencies() -> list[Requirement]:
    return [Requirement(line) for line in pyproject()["project"]["dependencies"]]


def dev_dependencies() -> list[Requirement]:
    return [Requirement(line) for line in pyproject()["project"]["optional-dependencies"]["dev"]]


def shipped_pins() -> dict[str, str]:
    """requirements.txt as {canonical name: pinned version}."""
    pins: dict[str, str] = {}
    for line in (REPO_ROOT / "requirements.txt").read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        requirement = Requirement(line)
        (specifier,) = requirement.specifier
        assert specifier.operator == "==", f"requirements.txt must pin exactly: {line}"
        pins[canonicalize_name(requirement.name)] = specifier.version
    return pins


def applies(requirement: Requirement, extras: set[str]) -> bool:
    if requirement.marker is None:
        return True
    return any(requirement.marker.evaluate({"extra": extra}) for extra in (extras or {""}))


def installed_closure(roots: list[Requirement]) -> set[str]:
    """Every distribution the roots need, transitively, read from what is installed in .venv."""
    needed: set[str] = set()
    pending = [(root, set(root.extras)) for root in roots]
    while pending:
        requirement, extras = pending.pop()
        name = canonicalize_name(requirement.name)
        if name in needed:
            continue
        needed.add(name)
        for line in metadata.requires(requirement.name) or []:
            dependency = Requirement(line)
            if applies(dependency, extras):
                pending.append((dependency, set(dependency.extras)))
    return needed


def run_make(*arguments: str) -> subprocess.CompletedProcess[str]:
    make = shutil.which("make")
    if make is None:
        pytest.fail("make is needed to build the Lambda artifacts")
    return subprocess.run(
        [make, "--no-print-directory", *arguments],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


# --- requirements.txt -------------------------------------------------------------------------


def test_requirements_pin_every_runtime_dependency_at_pyprojects_version() -> None:
    pins = shipped_pins()

    for requirement in runtime_dependencies():
        (specifier,) = requirement.specifier
        assert specifier.operator == "==", f"pyproject should pin runtime dependencies exactly: {requirement}"
        name = canonicalize_name(requirement.name)
        assert pins.get(name) == specifier.version, (
            f"requirements.txt has {name}=={pins.get(name)}, pyproject {specifier.version}: "
            "run `make requirements`"
        )


def test_requirements_hold_the_runtime_dependencies_and_what_they_need_nothing_more() -> None:
    expected = installed_closure(runtime_dependencies())

    assert set(shipped_pins()) == expected, "requirements.txt is out of date: run `make requirements`"


def test_dev_and_test_packages_are_never_shipped() -> None:
    shipped = set(shipped_pins())
    dev_only = {canonicalize_name(r.name) for r in dev_dependencies()} | NEVER_SHIPPED

    assert shipped.isdisjoint(dev_only), f"dev-only packages in requirements.txt: {shipped & dev_only}"


def test_the_tests_run_against_the_versions_lambda_gets() -> None:
    mismatched = {
        name: (pinned, metadata.version(name))
        for name, pinned in shipped_pins().items()
        if metadata.version(name) != pinned
    }

    assert mismatched == {}, (
        "installed (.venv) and shipped (requirements.txt) versions differ; run `make requirements`, "
        f"or pin the package in pyproject.toml: {mismatched}"
    )


# --- the build targets sam build calls --------------------------------------------------------


def test_every_function_is_built_by_the_makefile_from_the_repository_root() -> None:
    template = yaml_parse((REPO_ROOT / "template.yaml").read_text(encoding="utf-8"))
    functions = {
        logical_id: resource
        for logical_id, resource in template["Resources"].items()
        if resource["Type"] == "AWS::Serverless::Function"
    }

    assert set(functions) == set(FUNCTIONS)
    for logical_id, function in functions.items():
        assert function["Metadata"]["BuildMethod"] == "makefile", logical_id
        assert function["Properties"]["CodeUri"] == ".", logical_id
        dry_run = run_make("-n", f"build-{logical_id}", "ARTIFACTS_DIR=/tmp/artifacts")
        assert dry_run.returncode == 0, f"no Makefile target build-{logical_id}:\n{dry_run.stderr}"


@pytest.mark.parametrize("function", FUNCTIONS)
def test_build_copies_only_functions_and_shared_and_installs_requirements_for_lambda(
    tmp_path: Path, function: str
) -> None:
    artifacts = tmp_path / function

    # When the build target runs, with pip replaced by echo so that nothing is downloaded
    result = run_make(f"build-{function}", f"ARTIFACTS_DIR={artifacts}", "LAMBDA_PIP=echo pip")

    # Then the artifact holds our two source trees and nothing else of the repository
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in artifacts.iterdir()) == ["functions", "shared"]
    assert (artifacts / "shared" / "mail" / "templates").is_dir()
    handler = load_template()["Resources"][function]["Properties"]["Handler"]  # functions.<name>.handler.x
    assert (artifacts / Path(*handler.split(".")[:2]) / "__init__.py").exists()
    assert not list(artifacts.rglob("__pycache__"))
    # And pip installs exactly requirements.txt, as wheels for Python 3.13 on arm64
    (pip_line,) = [line for line in result.stdout.splitlines() if line.startswith("pip install")]
    for flag in (
        "--requirement requirements.txt",
        f"--target {artifacts}",
        "--platform manylinux2014_aarch64",
        "--only-binary=:all:",
        "--python-version 3.13",
        "--implementation cp",
    ):
        assert flag in pip_line, flag


# --- which Python: Lambda's, locally; the oldest supported, checked too -----------------------


def make_variables(*names: str) -> dict[str, str]:
    result = run_make("-s", *(f"print-{name}" for name in names))
    assert result.returncode == 0, result.stderr
    return dict(zip(names, result.stdout.splitlines(), strict=True))


def test_make_prefers_the_python_lambda_runs_and_the_tests_run_on_what_make_chose() -> None:
    make = make_variables("LAMBDA_PYTHON", "LAMBDA_PLATFORM", "PYTHON", "PYTHON_VERSION")
    lambda_python = make["LAMBDA_PYTHON"]
    template = yaml_parse((REPO_ROOT / "template.yaml").read_text(encoding="utf-8"))

    assert template["Globals"]["Function"]["Runtime"] == f"python{lambda_python}"
    assert f"--python-version {lambda_python} " in make["LAMBDA_PLATFORM"]
    assert f"(python{lambda_python}, " in (REPO_ROOT / "requirements.txt").read_text(encoding="utf-8")
    # .venv is made (and made again) with make's choice: Lambda's Python when the machine has it
    assert make["PYTHON_VERSION"] == "{}.{}".format(*sys.version_info[:2])
    if make["PYTHON"] != "python3":
        assert make["PYTHON_VERSION"] == lambda_python


def test_the_oldest_python_make_tests_on_is_the_one_pyproject_mypy_and_ruff_name() -> None:
    make = make_variables("OLDEST_PYTHON", "OLDEST_VENV")
    oldest = make["OLDEST_PYTHON"]
    config = pyproject()

    assert config["project"]["requires-python"] == f">={oldest}"
    assert config["tool"]["mypy"]["python_version"] == oldest
    assert config["tool"]["ruff"]["target-version"] == "py" + oldest.replace(".", "")
    assert make["OLDEST_VENV"] == f".tools/py{oldest.replace('.', '')}"
