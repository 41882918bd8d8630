"""The shape of the test suite itself: one kit (tests.support), one conftest per layer, no test module
imported by another, and the kit's own helpers checked against published examples."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.support.clock import CORE_NOW, MovableClock
from tests.support.ids import ENTERPRISE_USCC, LI_SI_ID, ZHANG_SAN_ID, resident_id, uscc

TESTS = Path(__file__).resolve().parent
LAYERS = ("core", "db", "sync", "ui")


def _imported_modules(path: Path) -> list[tuple[int, str]]:
    """(line, module) for every import in the file, function-local ones included; relative imports are
    reported with their leading dots."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.extend((node.lineno, a.name) for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            found.append((node.lineno, "." * node.level + (node.module or "")))
        elif isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "spec_from_file_location":
            found.append((node.lineno, "<importlib.util.spec_from_file_location>"))
    return found


def _local_module_names(root: Path) -> set[str]:
    """Module names a file under `root` would have if its folder were put on sys.path (the old way)."""
    return {p.stem for p in root.rglob("*.py") if p.stem != "__init__"}


def offending_imports(root: Path) -> list[str]:
    """Imports in test modules, conftests and the kit that reach another test module or a helper outside
    `tests.support`: only `tests.support...` (and third-party / product modules) may be imported."""
    local = _local_module_names(root)
    offenders = []
    for path in sorted(root.rglob("*.py")):
        if path.name == "__init__.py" or "benchmarks" in path.relative_to(root).parts[:1]:
            continue
        for line, module in _imported_modules(path):
            top = module.split(".")[0]
            bad = (
                module.startswith(".")
                or module.startswith("<")
                or (top == "tests" and not (module == "tests.support" or module.startswith("tests.support.")))
                or top in local
            )
            if bad:
                offenders.append(f"{path.relative_to(root)}:{line}: {module}")
    return offenders


def test_no_test_module_imports_another():
    assert offending_imports(TESTS) == []


def test_the_checker_sees_a_test_importing_a_test(tmp_path):
    (tmp_path / "sync").mkdir()
    (tmp_path / "sync" / "test_a.py").write_text("A = 1\n", encoding="utf-8")
    (tmp_path / "sync" / "helpers.py").write_text("B = 2\n", encoding="utf-8")
    (tmp_path / "sync" / "test_b.py").write_text(
        "from test_a import A\n"
        "from tests.sync.test_a import A as A2\n"
        "from tests.support.ids import resident_id\n"
        "def f():\n    import helpers\n    from . import test_a\n",
        encoding="utf-8",
    )
    assert offending_imports(tmp_path) == [
        "sync/test_b.py:1: test_a",
        "sync/test_b.py:2: tests.sync.test_a",
        "sync/test_b.py:5: helpers",
        "sync/test_b.py:6: .",
    ]


def test_one_conftest_per_layer_and_every_folder_is_a_package():
    conftests = sorted(str(p.relative_to(TESTS)) for p in TESTS.rglob("conftest.py"))
    allowed = {"conftest.py", *(f"{layer}/conftest.py" for layer in LAYERS)}
    assert set(conftests) <= allowed, conftests
    folders = [p for p in TESTS.rglob("*") if p.is_dir() and any(p.glob("*.py"))]
    assert [str(p.relative_to(TESTS)) for p in folders if not (p / "__init__.py").exists()] == []
    assert (TESTS / "__init__.py").exists()


def test_the_kit_has_one_movable_clock():
    clock = MovableClock(CORE_NOW)
    assert clock() == CORE_NOW
    assert clock.advance(days=7) == clock() and clock().day == 30
    definitions = [
        f"{p.relative_to(TESTS)}:{node.name}"
        for p in TESTS.rglob("*.py")
        for node in ast.walk(ast.parse(p.read_text(encoding="utf-8")))
        if isinstance(node, ast.ClassDef) and "clock" in node.name.lower()
    ]
    assert definitions == ["support/clock.py:MovableClock"]


@pytest.mark.parametrize(
    ("number", "body"),
    [
        (ZHANG_SAN_ID, "11010519491231002"),  # the example printed in GB 11643-1999
        ("440524188001010014", "44052418800101001"),  # the sample number of many ID-check write-ups
    ],
)
def test_resident_id_check_characters_match_published_examples(number, body):
    assert resident_id(body) == number


@pytest.mark.parametrize(
    "code",
    [ENTERPRISE_USCC, "91350100M000100Y43", "91110000100006485K"],
)
def test_uscc_check_characters_match_published_examples(code):
    assert uscc(code[:17]) == code


def test_li_si_is_a_valid_resident_id():
    assert LI_SI_ID[:17] == "31010419900101123" and resident_id(LI_SI_ID[:17]) == LI_SI_ID
