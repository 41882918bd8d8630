"""Issue 13, a lighter client: what the running client no longer loads, each checked in a fresh process
(fonts and imported modules are per process)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _python(code: str) -> str:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, env=env,
                         cwd=ROOT, check=False)
    assert out.returncode == 0, out.stderr
    return out.stdout.strip()


def test_a_common_voucher_never_loads_the_rare_character_font_and_a_rare_name_does():
    out = _python(
        "from dataclasses import replace\n"
        "from reportlab.pdfbase import pdfmetrics\n"
        "from tests.core.test_documents import sample_case\n"
        "from desktop.core.documents import render_voucher\n"
        "from desktop.core.documents.fonts import FALLBACK_NAME\n"
        "render_voucher(sample_case())\n"
        "print(FALLBACK_NAME in pdfmetrics.getRegisteredFontNames())\n"
        "case = sample_case()\n"
        "pdf = render_voucher(replace(case, applicant=replace(case.applicant, name='𠮷田')))\n"
        "print(FALLBACK_NAME in pdfmetrics.getRegisteredFontNames(), b'HanaMin' in pdf)\n"
    )
    assert out.splitlines() == ["False", "True True"], out


def test_the_doctor_checks_the_fallback_font_without_keeping_it():
    out = _python(
        "from reportlab.pdfbase import pdfmetrics\n"
        "from desktop.core.documents import fonts\n"
        "print(fonts.fallback_has(0x20BB7), fonts.fallback_has(0x10FFFF))\n"  # 𠮷 is; a noncharacter is not
        "print(fonts.FALLBACK_NAME in pdfmetrics.getRegisteredFontNames())\n"
    )
    assert out.splitlines() == ["True False", "False"], out


def test_the_compact_main_font_measures_text_as_reportlab_does():
    """Widths equal to the default are not stored: every width must still come out as the font has it."""
    out = _python(
        "from reportlab.pdfbase import pdfmetrics\n"
        "from reportlab.pdfbase.ttfonts import TTFont\n"
        "from desktop.core.documents import fonts\n"
        "name = fonts.register_cjk_font()\n"
        "path = fonts.cjk_font_path()\n"
        "full = TTFont('Full', path, subfontIndex=0) if path.endswith('.ttc') else TTFont('Full', path)\n"
        "pdfmetrics.registerFont(full)\n"
        "text = '受理回执 申请人 ABC abc 123 ，。（）《》—…·éü½' + ''.join(chr(c) for c in range(0x4e00, 0x9fa5, 13))\n"
        "print(all(pdfmetrics.stringWidth(ch, name, 10.5) == pdfmetrics.stringWidth(ch, 'Full', 10.5) for ch in text))\n"
    )
    assert out == "True", out


def test_the_windows_store_and_outbox_do_not_import_psycopg():
    out = _python("import sys\nimport desktop.core.services\nprint('psycopg' in sys.modules)\n"
                  "from db.central import CentralClient\nprint('psycopg' in sys.modules)\n")
    assert out.splitlines() == ["False", "True"], out


def test_the_compact_main_font_embeds_the_same_subset_as_reportlab_and_lets_its_file_pages_go():
    """The cmap packed in a table and the file mapped instead of read: the subset a document embeds is
    byte for byte reportlab's own, every code point maps as in reportlab's dict, and after a document the
    client holds (almost) none of the font file's pages."""
    out = _python(
        "from reportlab.pdfbase import pdfmetrics\n"
        "from reportlab.pdfbase.ttfonts import TTFontFile\n"
        "from desktop.core.documents import fonts, render_voucher\n"
        "from tests.core.test_documents import sample_case\n"
        "face = pdfmetrics.getFont(fonts.register_cjk_font()).face\n"
        "path = fonts.cjk_font_path()\n"
        "full = TTFontFile(path, subfontIndex=0) if path.endswith('.ttc') else TTFontFile(path)\n"
        "print(type(face.charToGlyph).__name__, type(face._ttf_data).__name__)\n"
        "codes = list(range(0x10FFFF + 2))\n"
        "print(all((c in face.charToGlyph) == (c in full.charToGlyph) for c in codes),\n"
        "      all(face.charToGlyph[c] == g for c, g in full.charToGlyph.items()),\n"
        "      sorted(face.charToGlyph.keys()) == sorted(full.charToGlyph), len(face.charToGlyph) == len(full.charToGlyph),\n"
        "      face.charToGlyph.get(0x20BB7, -1), -1 not in face.charToGlyph, '字' not in face.charToGlyph)\n"
        "subset = [0, *range(32, 127), *sorted(c for c in full.charToGlyph if c >= 0x4e00)[::40], 0x3002, 0xff0c]\n"
        "print(face.makeSubset(subset) == full.makeSubset(subset))\n"
        "render_voucher(sample_case())\n"
        "def resident(name):\n"
        "    kb, inside = 0, False\n"
        "    for line in open('/proc/self/smaps'):\n"
        "        parts = line.split()\n"
        "        if '-' in parts[0] and not parts[0].endswith(':'):\n"
        "            inside = parts[-1] == name\n"
        "        elif inside and parts[0] == 'Rss:':\n"
        "            kb += int(parts[1])\n"
        "    return kb\n"
        "import os\n"
        "print(resident(os.path.realpath(path)) < 256)\n"
    )
    assert out.splitlines() == ["_PackedCmap mmap", "True True True True -1 True True", "True", "True"], out


def test_the_qt_gateway_resolves_every_name_as_the_star_imports_did_without_building_them_all():
    """desktop.ui.qt resolves names on first use: each one must be the very object the star imports gave,
    and importing the gateway must not make the binding build its types."""
    out = _python(
        "import os, sys\n"
        "os.environ.setdefault('QT_QPA_PLATFORM', 'offscreen')\n"
        "def anon():\n"
        "    return next(int(l.split()[1]) for l in open('/proc/self/smaps_rollup') if l.startswith('Anonymous:'))\n"
        "import PySide6.QtCore, PySide6.QtGui, PySide6.QtWidgets, PySide6.QtPrintSupport, PySide6.QtPdf\n"
        "before = anon()\n"
        "from desktop.ui import qt\n"
        "from desktop.ui.qt import QWidget, QPdfDocument, Qt, Signal\n"
        "print(anon() - before < 2048)\n"
        "old = {}\n"
        "exec('from PySide6.QtCore import *\\nfrom PySide6.QtGui import *\\nfrom PySide6.QtPdf import QPdfDocument\\n'\n"
        "     'from PySide6.QtPrintSupport import *\\nfrom PySide6.QtWidgets import *', old)\n"
        "old.pop('__builtins__')\n"
        "print(len(old) > 600, [n for n, v in old.items() if getattr(qt, n) is not v])\n"
        "try:\n"
        "    from desktop.ui.qt import QNoSuchThing\n"
        "except ImportError:\n"
        "    print('ImportError')\n"
    )
    assert out.splitlines() == ["True", "True []", "ImportError"], out
