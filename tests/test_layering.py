"""The layering rules: desktop/core and db never import Qt; db imports nothing from desktop; no import circle
anywhere in desktop/ or db/ (function-local imports count)."""

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


# ---- import circles ------------------------------------------------------------------------------


def _modules(root: Path, packages: tuple[str, ...]) -> dict[str, Path]:
    """Dotted module name -> file for every module of the packages (a package is its __init__)."""
    mods = {}
    for package in packages:
        for path in (root / package).rglob("*.py"):
            parts = path.relative_to(root).with_suffix("").parts
            mods[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return mods


def _targets(module: str, path: Path, node: ast.Import | ast.ImportFrom, mods: dict[str, Path]) -> list[str]:
    """The project modules an import statement loads (the most specific module each name resolves to)."""
    if isinstance(node, ast.Import):
        names = [a.name for a in node.names]
    else:
        base = node.module or ""
        if node.level:
            package = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
            package = package[: len(package) - (node.level - 1)]
            base = ".".join(package + ([base] if base else []))
        # `from pkg import name`: the submodule pkg.name if there is one, else pkg itself
        names = [f"{base}.{a.name}" if f"{base}.{a.name}" in mods else base for a in node.names]
    found = []
    for name in names:
        while name and name not in mods:
            name = name.rpartition(".")[0]
        if name and name != module:
            found.append(name)
    return found


def import_graph(root: Path, packages: tuple[str, ...]) -> dict[str, dict[str, int]]:
    """module -> {imported project module: line of the first import}, function-local imports included."""
    mods = _modules(root, packages)
    graph: dict[str, dict[str, int]] = {m: {} for m in mods}
    for module, path in mods.items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                for target in _targets(module, path, node, mods):
                    graph[module].setdefault(target, node.lineno)
    return graph


def import_circles(graph: dict[str, dict[str, int]]) -> list[list[str]]:
    """One shortest circle through each module that can reach itself, each circle reported once,
    as [a, b, ..., a]."""
    circles: list[list[str]] = []
    seen: set[frozenset[str]] = set()
    for start in sorted(graph):
        parents: dict[str, str] = {}
        frontier, found = [start], None
        while frontier and found is None:
            nxt = []
            for node in frontier:
                for target in sorted(graph[node]):
                    if target == start:
                        found = node
                        break
                    if target not in parents:
                        parents[target] = node
                        nxt.append(target)
                if found is not None:
                    break
            frontier = nxt
        if found is None:
            continue
        path = [found]
        while path[-1] != start:
            path.append(parents[path[-1]])
        circle = [start, *reversed(path[:-1]), start]
        key = frozenset(circle)
        if key not in seen:
            seen.add(key)
            circles.append(circle)
    return circles


def _describe(circle: list[str], graph: dict[str, dict[str, int]]) -> str:
    steps = [f"{a} (line {graph[a][b]})" for a, b in zip(circle, circle[1:])]
    return " -> ".join(steps + [circle[-1]])


def test_the_circle_finder_sees_a_function_local_circle(tmp_path):
    pkg = tmp_path / "app"
    (pkg / "core").mkdir(parents=True)
    (pkg / "__init__.py").write_text("", encoding="utf-8")
    (pkg / "core" / "__init__.py").write_text("", encoding="utf-8")
    (pkg / "core" / "services.py").write_text("from app.core import closing\n", encoding="utf-8")
    (pkg / "core" / "closing.py").write_text(
        "import os\n\ndef close():\n    from .services import helper\n", encoding="utf-8")
    (pkg / "core" / "leaf.py").write_text("from app.core.closing import close\n", encoding="utf-8")
    graph = import_graph(tmp_path, ("app",))
    assert graph["app.core.closing"] == {"app.core.services": 4}
    circles = import_circles(graph)
    assert circles == [["app.core.closing", "app.core.services", "app.core.closing"]]
    assert _describe(circles[0], graph) == (
        "app.core.closing (line 4) -> app.core.services (line 1) -> app.core.closing")


def test_no_import_circle_in_desktop_or_db():
    graph = import_graph(ROOT, ("desktop", "db"))
    assert len(graph) > 50  # the walk saw the whole tree
    circles = [_describe(c, graph) for c in import_circles(graph)]
    assert circles == [], "import circles:\n" + "\n".join(circles)
