"""A non-editable install works from any folder: the wheel carries its resources (demo catalogue, style
sheet) and nothing of the test kit; `yichuang init --demo` and the README's intake example run from an
empty folder, with the per-user data folder where platformdirs puts it."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

from tests.support.ids import LI_SI_ID

ROOT = Path(__file__).resolve().parents[2]
PACKAGED = ("pyproject.toml", "README.md", "desktop", "db")  # what the build reads


def _run(cmd: list[str], **kw) -> subprocess.CompletedProcess:
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=300, check=False, **kw)
    assert out.returncode == 0, f"{' '.join(map(str, cmd))} failed ({out.returncode}):\n{out.stdout}\n{out.stderr}"
    return out


def readme_intake_example() -> dict:
    """The JSON block under "### Intake" in the README, with a valid ID where it shows "…"."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("### Intake", 1)[1]
    block = re.search(r"```json\n(.*?)```", section, re.S).group(1)
    return json.loads(block.replace('"…"', json.dumps(LI_SI_ID)))


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    """A fresh venv with the project installed from its wheel; returns the venv's bin folder.

    The dependencies (PySide6, SQLAlchemy, ...) come from this test run's environment through a .pth
    line: a plain path in a .pth does not run that folder's own .pth files, so the editable install of
    the working tree stays out, and the test checks that `desktop` is imported from the wheel's copy."""
    tmp = tmp_path_factory.mktemp("install")
    src = tmp / "src"
    src.mkdir()
    for name in PACKAGED:
        if (ROOT / name).is_dir():
            shutil.copytree(ROOT / name, src / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        else:
            shutil.copy2(ROOT / name, src / name)
    _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index", "-q",
          "-w", str(tmp / "dist"), str(src)])
    (wheel,) = (tmp / "dist").glob("yichuang-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert "desktop/resources/style.qss" in names
    assert "desktop/resources/catalogue/demo.json" in names
    assert not [n for n in names if n.startswith("tests/") or "pgtest" in n or "/support/" in n]

    venv = tmp / "fresh"
    _run([sys.executable, "-m", "venv", "--without-pip", str(venv)])
    bin_dir = venv / ("Scripts" if os.name == "nt" else "bin")
    python = bin_dir / "python"
    fresh_site = Path(_run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                           env=_clean_env(tmp)).stdout.strip())
    (fresh_site / "yichuang_test_dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    _run([sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps", "--no-index", "-q",
          str(wheel)])
    where = _run([str(python), "-c", "import desktop, db; print(desktop.__file__); print(db.__file__)"],
                 cwd=tmp, env=_clean_env(tmp)).stdout.split()
    assert all(Path(p).is_relative_to(venv) for p in where), where
    return bin_dir


def _clean_env(tmp: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONPATH", "YICHUANG_HOME", "PYTHONHOME") and not k.startswith("VIRTUAL_ENV")}
    env.update(XDG_DATA_HOME=str(tmp / "xdg"), YICHUANG_SECRET_STORE="file", QT_QPA_PLATFORM="offscreen")
    return env


def test_installed_client_inits_the_demo_and_takes_the_readme_intake(installed, tmp_path):
    counter = tmp_path / "empty-folder"
    counter.mkdir()
    env = _clean_env(tmp_path)
    yichuang = str(installed / "yichuang")
    _run([yichuang, "init", "--centre", "310104", "--window", "01", "--demo"], cwd=counter, env=env)
    home = tmp_path / "xdg" / "yichuang"
    assert (home / "yichuang.db").is_file()  # $XDG_DATA_HOME/yichuang, as platformdirs says

    (counter / "intake.json").write_text(json.dumps(readme_intake_example(), ensure_ascii=False), encoding="utf-8")
    out = _run([yichuang, "intake", "intake.json", "--clerk", "demo"], cwd=counter,
               env={**env, "YICHUANG_PASSWORD": "demo1234"}).stdout
    result = json.loads(out)
    assert result["outcome"] == "notice", result  # the lease is defective: a one-time notice (一次性告知)
    assert re.fullmatch(r"31010401\d{10}[0-9X]", result["case_no"]), result
    assert result["documents"] and all(Path(p).is_file() and Path(p).is_relative_to(home)
                                       for p in result["documents"]), result
    assert any("one_time_notice" in Path(p).name for p in result["documents"]), result
    assert sorted(p.name for p in counter.iterdir()) == ["intake.json"]  # nothing written where it ran


def test_installed_gui_finds_its_style_sheet(installed, tmp_path):
    probe = (
        "from desktop.ui.app import STYLE_SHEET, create_application\n"
        "app = create_application([])\n"
        "print(STYLE_SHEET)\n"
        "assert STYLE_SHEET.is_file() and app.styleSheet().strip(), STYLE_SHEET\n"
    )
    out = _run([str(installed / "python"), "-c", probe], cwd=tmp_path, env=_clean_env(tmp_path)).stdout
    assert Path(out.split()[-1]).is_relative_to(installed.parent)
