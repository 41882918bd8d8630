"""The layering rule: desktop/core and db never import Qt; db imports nothing from desktop."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def _files(folder: str) -> list[Path]:
    files = sorted((ROOT / folder).rglob("*.py"))
    assert files, f"no Python files under {folder}"
    return files


def test_core_and_db_never_import_qt():
    offenders = [
        str(p.relative_to(ROOT))
        for folder in ("desktop/core", "db")
        for p in _files(folder)
        if any(n.split(".")[0] in ("PySide6", "shiboken6", "PyQt5", "PyQt6") for n in _imports(p))
    ]
    assert offenders == []


def test_db_never_imports_desktop():
    offenders = [str(p.relative_to(ROOT)) for p in _files("db") if any(n.split(".")[0] == "desktop"
                                                                       for n in _imports(p))]
    assert offenders == []


def test_the_checker_sees_a_qt_import(tmp_path):
    probe = tmp_path / "probe.py"
    probe.write_text("from PySide6.QtWidgets import QWidget\nimport os\n", encoding="utf-8")
    assert "PySide6.QtWidgets" in _imports(probe)
