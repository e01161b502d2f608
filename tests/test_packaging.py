"""What pip installs is what ``src/`` imports: runtime, the add-in builder extra, the tests.

The imports are read from the source with ``ast`` (every ``import``, also inside
functions) and mapped to their distributions by ``importlib.metadata``; the lists in
pyproject.toml must match them exactly, so a new import without its dependency (or a
dependency nobody imports) fails here, not on a clerk's PC.
"""

from __future__ import annotations

import ast
import importlib.metadata as md
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement

import xlwings

ROOT = Path(__file__).resolve().parent.parent
SRC = ROOT / "src" / "xlflow"
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
PROJECT = PYPROJECT["project"]
#: The modules of the add-in builder: only they may import the "addin" extra.
BUILDER = {SRC / "addin" / "build.py", SRC / "addin" / "ovba.py", SRC / "addin" / "compare.py"}
#: Pinned in the addin extra without being imported: ms_ovba's own dependency, whose
#: output (the CMG/DPB/GC values of the PROJECT stream) goes into the add-in.
PINNED_TRANSITIVE = {"ms-ovba-crypto"}


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def requirements(items: list[str]) -> dict[str, Requirement]:
    return {canonical(Requirement(r).name): Requirement(r) for r in items}


RUNTIME = requirements(PROJECT["dependencies"])
EXTRAS = {name: requirements(items) for name, items in PROJECT["optional-dependencies"].items()}


def imported_distributions(files) -> dict[str, set[Path]]:
    """Distribution -> the source files importing it (standard library and xlflow left out)."""
    owners = md.packages_distributions()
    found: dict[str, set[Path]] = {}
    for path in files:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            for name in names:
                top = name.split(".")[0]
                if top in sys.stdlib_module_names or top in ("xlflow", "__future__"):
                    continue
                if top in ("winreg",):  # standard library on Windows only
                    continue
                dists = owners.get(top)
                assert dists, f"{path.name} imports {top}, which no installed distribution provides"
                found.setdefault(canonical(dists[0]), set()).add(path)
    return found


def test_runtime_dependencies_are_what_the_program_imports():
    program = [p for p in SRC.rglob("*.py") if p not in BUILDER]
    imported = set(imported_distributions(program))
    declared = {name for name, r in RUNTIME.items() if not r.marker}
    assert imported == declared


def test_the_add_in_builder_imports_only_the_runtime_and_its_extra():
    imported = imported_distributions(sorted(BUILDER))
    addin = EXTRAS["addin"]
    for dist, files in imported.items():
        assert dist in RUNTIME or dist in addin, f"{sorted(f.name for f in files)} import {dist}, not declared"
    assert set(addin) - PINNED_TRANSITIVE == {d for d in imported if d not in RUNTIME}


def test_the_builder_libraries_are_pinned_exactly():
    for name, req in EXTRAS["addin"].items():
        if name == "xlsxwriter":  # public API only
            continue
        (spec,) = req.specifier
        assert spec.operator == "==", name
        assert md.version(req.name) == spec.version, f"installed {name} is not the pinned one"


def test_xlwings_is_pinned_to_a_range_that_holds_the_installed_one():
    req = RUNTIME["xlwings"]
    assert any(s.operator == "<" for s in req.specifier)  # an upper bound
    assert req.specifier.contains(xlwings.__version__)


def test_tzdata_on_windows_only():
    req = RUNTIME["tzdata"]
    assert req.marker is not None
    assert req.marker.evaluate({"sys_platform": "win32"})
    assert not req.marker.evaluate({"sys_platform": "linux"})


@pytest.mark.parametrize("oracle", ["pythainlp"])
def test_the_tests_oracles_are_test_dependencies_only(oracle):
    assert oracle not in RUNTIME and oracle in EXTRAS["test"]


def test_pandas_is_a_runtime_dependency_the_evaluation_aggregates_with_it():
    # xlflow.evaluation.summarize keeps its per-item facts in DataFrames (issue 17)
    assert "pandas" in RUNTIME and "pandas" not in EXTRAS["test"]


def test_install_sh_installs_the_add_in_builder_and_the_test_tools():
    script = (ROOT / "install.sh").read_text(encoding="utf-8")
    assert "pip install -q -e '.[addin,test]'" in script


def test_the_license_file_matches_pyproject():
    assert PROJECT["license"] == "MIT"
    assert PROJECT["license-files"] == ["LICENSE"]
    text = (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert text.startswith("MIT License\n")
    assert "Permission is hereby granted, free of charge" in text


def test_python_dash_m_xlflow_is_the_command():
    done = subprocess.run([sys.executable, "-m", "xlflow", "--version"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout == f"xlflow, version {md.version('xlflow')}\n"
    done = subprocess.run([sys.executable, "-m", "xlflow", "--help"], capture_output=True, text=True, timeout=120)
    assert done.stdout.startswith("Usage: xlflow ")
