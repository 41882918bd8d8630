"""The count tables of local migration 0014 are kept by DELETE/INSERT/UPDATE triggers; SQLite fires no DELETE
trigger for a row that REPLACE conflict resolution removes (recursive_triggers is off), so a REPLACE write
on a counted table would leave its count behind. No source may write one that way."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
COUNTED = ("case_summary", "case_gaps", "ratings", "cases", "case_events", "case_materials", "outbox")
REPLACE = re.compile(r"(?i)\b(?:or\s+replace\s+into|replace\s+into)\s+(\w+)")
ORM_REPLACE = re.compile(r"prefix_with\(\s*['\"]OR REPLACE['\"]")


def test_no_source_writes_a_counted_table_with_replace():
    found = []
    for top in ("desktop", "db", "scripts", "tests/support"):
        for path in sorted((ROOT / top).rglob("*.py")):
            text = path.read_text(encoding="utf-8")
            found += [f"{path.relative_to(ROOT)}: {m.group(0)}" for m in REPLACE.finditer(text)
                      if m.group(1).lower() in COUNTED]
            found += [f"{path.relative_to(ROOT)}: {m.group(0)}" for m in ORM_REPLACE.finditer(text)]
    assert found == []


def test_the_pattern_finds_what_it_must():
    assert REPLACE.search("INSERT OR REPLACE INTO ratings (case_no) VALUES (1)").group(1) == "ratings"
    assert REPLACE.search("replace into case_gaps values (1)").group(1) == "case_gaps"
    assert ORM_REPLACE.search('insert(Rating).prefix_with("OR REPLACE")')
