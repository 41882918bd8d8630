"""Central schema: a case payload holding characters no honest window lets in is refused at the centre.

Revision ID: c0022
Revises: c0021
Create Date: 2026-12-07

Why: a window refuses, in every text a clerk or a file gives it, C0 and C1 controls (but TAB, LF, CR), DEL,
zero-width and direction marks, bidi embeddings, overrides and isolates, line and paragraph separators and
the byte-order mark (desktop/core/textcheck.py). The centre did not: a hostile or broken window could push
a case whose applicant name holds a right-to-left override or a zero-width space, and every other window of
the centre pulls that case (the `cases` stream), shows it, continues it and prints its documents. A name
that reads "张三" and is not "张三" has no place on a legal document.

What it adds: two BEFORE row triggers on `yc.cases`, on INSERT and on an UPDATE that changes the payload,
whose WHEN clause looks at every string value of the payload (`jsonb_path_exists`, PostgreSQL's own, so
no function of ours is called for a clean row; a regular expression on the payload's text first, which
lets most payloads through without the path walk). A payload that holds such a character raises YC100 naming
the case and the character: through `sync.push` that op alone is rejected (the per-op loop's answer; a
batch on the fast path goes to the loop, as with any doubt), with the reason, and becomes a dead letter at
the window. Object keys are not looked at (no window shows a key).

What it does not change: cases stored before it (an administrator who edits such a payload is refused
until the characters are gone); the other kinds of op (an audit record may honestly hold what a clerk
typed and was refused: it is the record).
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

from db.central.replaceable import SqlFunction, create, drop

revision: str = "c0022"
down_revision: str | Sequence[str] | None = "c0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# the characters desktop/core/textcheck.py refuses in multi-line text (a jsonb string cannot hold NUL or a
# lone surrogate), as a jsonpath regex class
HIDDEN = (r"[\u0001-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u200b-\u200f\u2028-\u202e\u2066-\u2069"
          r"\ufeff]")
PATH = f'strict $.** ? (@.type() == "string" && @ like_regex "{HIDDEN}")'
# A cheaper test first, on the payload's text as PostgreSQL writes jsonb out: the characters above from
# U+007F on stand there as they are, and a C0 control as an escape (\u00XX, or \b, \f; TAB, LF and CR are
# written \t, \n, \r). It may say yes for a string that only looks so (a backslash followed by "b"): the
# exact test then decides. 65 ms against 108 ms for 10,000 payloads of ~1 KB (docs/performance.md).
PREFILTER = r"[\u007f-\u009f\u200b-\u200f\u2028-\u202e\u2066-\u2069\ufeff]|\\(u00[01]|[bf])"

REFUSE = SqlFunction("yc.refuse_hidden_text()", f"""
CREATE OR REPLACE FUNCTION yc.refuse_hidden_text() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    v_text text := pg_catalog.jsonb_path_query_first(NEW.payload, '{PATH}') #>> '{{}}';
    v_char text := (pg_catalog.regexp_match(v_text, '{HIDDEN}'))[1];
BEGIN
    RAISE EXCEPTION 'case %: the payload holds U+%, a control, zero-width or direction character that a window '
                    'refuses in every text', NEW.case_no, pg_catalog.upper(pg_catalog.lpad(
                        pg_catalog.to_hex(pg_catalog.ascii(v_char)), 4, '0'))
          USING ERRCODE = 'YC100';
END $$
""", owner="yc_owner")

HOLDS_HIDDEN = (f"CASE WHEN NEW.payload::text ~ '{PREFILTER}' "
                f"THEN pg_catalog.jsonb_path_exists(NEW.payload, '{PATH}') ELSE false END")
TRIGGERS = (
    ("tg_cases_hidden_text_insert", "INSERT", HOLDS_HIDDEN),
    ("tg_cases_hidden_text_update", "UPDATE OF payload", f"OLD.payload IS DISTINCT FROM NEW.payload AND {HOLDS_HIDDEN}"),
)


def upgrade() -> None:
    create(REFUSE)
    for name, event, when in TRIGGERS:
        op.execute(f"CREATE TRIGGER {name} BEFORE {event} ON yc.cases FOR EACH ROW WHEN ({when}) "
                   "EXECUTE FUNCTION yc.refuse_hidden_text()")


def downgrade() -> None:
    for name, _event, _when in TRIGGERS:
        op.execute(f"DROP TRIGGER {name} ON yc.cases")
    drop(REFUSE)
