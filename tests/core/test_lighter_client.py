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
