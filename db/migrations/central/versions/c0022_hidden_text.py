"""Central schema: a case payload holding characters no honest window lets in is refused at the centre.

Revision ID: c0022
Revises: c0021
Create Date: 2026-12-07

Why: a window refuses, in every text a clerk or a file gives it, C0 and C1 controls (but TAB, LF, CR in
notes), DEL, every Unicode format character (zero-width and direction marks, bidi embeddings, overrides and
isolates, the word joiner, tags, the byte-order mark ...) and the line and paragraph separators
(desktop/core/textcheck.py). The centre did not: a hostile or broken window could push
a case whose applicant name holds a right-to-left override or a zero-width space, and every other window of
the centre pulls that case (the `cases` stream), shows it, continues it and prints its documents. A name
that reads "张三" and is not "张三" has no place on a legal document.

What it adds: two BEFORE row triggers on `yc.cases`, on INSERT and on an UPDATE that changes the payload,
whose WHEN clause looks at every string value of the payload (`jsonb_path_exists`, PostgreSQL's own, so
no function of ours is called for a clean row; a regular expression on the payload's text first, which
lets most payloads through without the path walk). A payload that holds such a character raises YC100 naming
the case and the character: through `sync.push` that op alone is rejected (the per-op loop's answer; a
batch on the fast path goes to the loop, as with any doubt), with the reason, and becomes a dead letter at
the window (with the later ops of that case, which the centre then does not know). Object keys are not
looked at (no window shows a key).

The texts the centre turns into columns and steps (`->>`) and every window stores as text (the case's
codes, status, notes and dates, the applicant's, the agent's and the contact's strings, the clerk's login,
the step's event and clerk) may not be JSON objects or arrays: a key there is not a string value, so it
would pass the walk, and `->>` writes it into the applicant's name or a step; a window that pulled such a
case failed every sync round after (it could not store an object as a name).

A case stored before c0022 with such a string can still be continued: a later version may carry the
strings the stored payload already holds, outside the new step (each version's step is new), and nothing
new (otherwise no window could ever withdraw, deliver or supplement it, since a window sends back what it
pulled). `admin.cases_with_hidden_text([centre])`
lists them (yc_admin).

The same rule holds for the other rows that windows and departments write and other people see: backup
assignments (logins), consultations (the asker's name and phone, the question and answer), ratings (the
comment) and transfers (batch number, channel, tracking number, state, the return reason; not the
department, which windows send as a published catalogue names it, nor who closed it, a stored user's name),
by one BEFORE row trigger each naming its one-line and multi-line columns; on an UPDATE only a value that
changes.

What it does not change: audit records (one may honestly hold what a clerk typed and was refused: it is
the record). TAB, LF and CR, which a window allows in notes and refuses in one-line fields, are
refused in the strings the centre knows to be one-line by their place: every string of the applicant and
the agent (names, identity numbers, phones, the enterprise's code and contact), the clerk's login, and the
step's clerk name and login.
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

from db.central.replaceable import SqlFunction, create, drop

revision: str = "c0022"
down_revision: str | Sequence[str] | None = "c0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# textcheck's list as of this revision (desktop/core/textcheck.py: every Unicode format character, the
# controls, the line and paragraph separators; a PostgreSQL text holds no NUL and no surrogate)
FORMAT_AND_CONTROLS = (
    (0x01, 0x1F), (0x7F, 0x9F), (0xAD, 0xAD), (0x600, 0x605), (0x61C, 0x61C), (0x6DD, 0x6DD), (0x70F, 0x70F),
    (0x890, 0x891), (0x8E2, 0x8E2), (0x180E, 0x180E), (0x200B, 0x200F), (0x2028, 0x202E), (0x2060, 0x206F),
    (0xFEFF, 0xFEFF), (0xFFF9, 0xFFFB), (0x110BD, 0x110BD), (0x110CD, 0x110CD), (0x13430, 0x1343F),
    (0x1BCA0, 0x1BCA3), (0x1D173, 0x1D17A), (0xE0001, 0xE0001), (0xE0020, 0xE007F),
)
# multi-line text may hold TAB, LF and CR (U+0009, U+000A, U+000D)
_MULTILINE = ((0x01, 0x08), (0x0B, 0x0C), (0x0E, 0x1F)) + FORMAT_AND_CONTROLS[1:]
# a jsonpath string literal spells a code point \u{...}; PostgreSQL's regular expressions \U........
HIDDEN_PATH = "[" + "".join(f"\\u{{{lo:x}}}-\\u{{{hi:x}}}" for lo, hi in _MULTILINE) + "]"
HIDDEN = "[" + "".join(f"\\U{lo:08x}-\\U{hi:08x}" for lo, hi in _MULTILINE) + "]"
PATH = f'strict $.** ? (@.type() == "string" && @ like_regex "{HIDDEN_PATH}")'
# A cheaper test first, on the payload's text as PostgreSQL writes jsonb out: the characters above from
# U+007F on stand there as they are, and a C0 control as an escape (\u00XX, or \b, \f; TAB, LF and CR are
# written \t, \n, \r). It may say yes for a string that only looks so (a backslash followed by "b"): the
# exact test then decides. 65 ms against 108 ms for 10,000 payloads of ~1 KB (docs/performance.md).
# One-line strings (names, identity numbers, phones, logins) may not hold TAB, LF or CR either: the windows
# refuse them there (desktop/core/cases/checks.py) and "张三\r" reads as 张三. The centre knows these strings
# by their place: every string of the applicant and the agent, and the clerk's login and name.
ONE_LINE_PATH = 'strict $.** ? (@.type() == "string" && @ like_regex "[\\u{9}\\u{a}\\u{d}]")'


def _one_line_parts(row: str) -> str:
    return (f"pg_catalog.jsonb_build_array({row}.payload->'applicant', {row}.payload->'agent', "
            f"{row}.payload->'clerk_login', {row}.payload->'step'->'clerk_name', {row}.payload->'step'->'clerk_login')")


# The payload's texts that the centre turns into columns and steps with ->> and that every window stores as
# text: a JSON object or array there would carry a key or a nested string past the checks above (and the
# windows that pull such a case could not store it). None may be an object or an array.
TEXT_FIELDS = (
    ("case_no",), ("matter_code",), ("catalogue_version",), ("calendar_version",), ("outcome",), ("status",),
    ("clerk_login",), ("note",), ("refusal_reason",), ("apply_instead",), ("result_note",), ("received_at",),
    ("promised_date",), ("statutory_date",), ("supply_due",), ("complete_at",), ("paused_since",),
    *((who, f) for who in ("applicant", "agent") for f in ("kind", "name", "id_type", "id_no", "phone", "uscc")),
    *(("applicant", "contact", f) for f in ("name", "id_type", "id_no", "phone")),
    *(("step", f) for f in ("event", "clerk_name", "clerk_login", "at", "backup_for")),
)


def _not_text(row: str) -> str:
    def at(path: tuple[str, ...]) -> str:
        return f"{row}.payload" + "".join(f"->'{k}'" for k in path)
    return " OR ".join(f"pg_catalog.jsonb_typeof({at(f)}) IN ('object', 'array')" for f in TEXT_FIELDS)


PREFILTER = ("[" + "".join(f"\\U{lo:08x}-\\U{hi:08x}" for lo, hi in FORMAT_AND_CONTROLS[1:]) + "]"
             + r"|\\(u00[01]|[bftnr])")

REFUSE = SqlFunction("yc.refuse_hidden_text()", f"""
CREATE OR REPLACE FUNCTION yc.refuse_hidden_text() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    v_text text;
    v_char text;
BEGIN
    IF {_not_text("NEW")} THEN
        RAISE EXCEPTION 'case %: a text of the payload (a name, a number, a login, a date, the step''s event ...) '
                        'is a JSON object or array', NEW.case_no USING ERRCODE = 'YC100';
    END IF;
    -- the first string that holds one; on an UPDATE, the first that the stored payload did not hold
    -- already, outside the new step: a case stored before c0022 with such a string can still be continued
    -- (each later version carries the string on), but nothing new may be added to it, and the step each
    -- version adds (its event, its clerk) is new
    SELECT h.value #>> '{{}}' INTO v_text
      FROM (SELECT a.value, false AS step FROM pg_catalog.jsonb_path_query(NEW.payload - 'step', '{PATH}') AS a(value)
            UNION ALL
            SELECT a.value, true FROM pg_catalog.jsonb_path_query(NEW.payload->'step', '{PATH}') AS a(value)
            UNION ALL
            SELECT b.value, false FROM pg_catalog.jsonb_path_query({_one_line_parts("NEW")}, '{ONE_LINE_PATH}') AS b(value)) h
     WHERE TG_OP = 'INSERT' OR h.step
        OR NOT EXISTS (SELECT 1 FROM pg_catalog.jsonb_path_query(OLD.payload, '{PATH}') AS o(value)
                        WHERE o.value = h.value
                       UNION ALL
                       SELECT 1 FROM pg_catalog.jsonb_path_query({_one_line_parts("OLD")}, '{ONE_LINE_PATH}') AS o(value)
                        WHERE o.value = h.value)
     LIMIT 1;
    IF v_text IS NULL THEN
        RETURN NEW;
    END IF;
    -- the character that makes it so: TAB, LF or CR only where nothing else is (a note may hold line breaks)
    v_char := coalesce((pg_catalog.regexp_match(v_text, '{HIDDEN}'))[1],
                       (pg_catalog.regexp_match(v_text, '[\\t\\n\\r]'))[1]);
    RAISE EXCEPTION 'case %: the payload holds U+%, a control or format character (zero-width, direction, ...) '
                    'that a window refuses in every text', NEW.case_no, pg_catalog.upper(pg_catalog.lpad(
                        pg_catalog.to_hex(pg_catalog.ascii(v_char)), 4, '0'))
          USING ERRCODE = 'YC100';
END $$
""", owner="yc_owner")


LISTED = SqlFunction("admin.cases_with_hidden_text(text)", f"""
CREATE OR REPLACE FUNCTION admin.cases_with_hidden_text(p_centre text DEFAULT NULL)
RETURNS TABLE (case_no text, centre_code text, window_no text, version int)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
#variable_conflict use_column
DECLARE
    v record;
BEGIN
    -- the cases stored before c0022 whose payload holds such a character (for an administrator to clean),
    -- one centre at a time under its row security, like admin.verify_chains
    FOR v IN SELECT x.code FROM yc.centres x WHERE p_centre IS NULL OR x.code = p_centre ORDER BY x.code LOOP
        PERFORM pg_catalog.set_config('yc.centre', v.code, true);
        RETURN QUERY SELECT c.case_no, c.centre_code, c.window_no, c.version FROM yc.cases c
                      WHERE c.centre_code = v.code
                        AND (pg_catalog.jsonb_path_exists(c.payload, '{PATH}')
                             OR pg_catalog.jsonb_path_exists({_one_line_parts("c")}, '{ONE_LINE_PATH}')
                             OR {_not_text("c")})
                      ORDER BY c.case_no;
    END LOOP;
END $$
""", execute_to=("yc_admin",))


# The other rows windows and departments write that other people see: (one-line columns, multi-line columns)
COLUMNS = {
    "backups": (("clerk_login", "backup_login", "assigned_by"), ()),
    "consultations": (("asker_name", "asker_phone", "matter_code", "answered_by", "clerk_login"), ("question", "answer")),
    "ratings": (("occasion",), ("comment",)),
    # not the department (as a published catalogue names it: one published before c0022 may hold what is
    # refused now, and windows must send it as it is) nor who closed it (a stored user's name)
    "transfers": (("batch_no", "channel", "tracking_no", "state"), ("return_reason",)),
}
ONE_LINE = "[" + "".join(f"\\U{lo:08x}-\\U{hi:08x}" for lo, hi in FORMAT_AND_CONTROLS) + "]"

REFUSE_COLUMNS = SqlFunction("yc.refuse_hidden_columns()", f"""
CREATE OR REPLACE FUNCTION yc.refuse_hidden_columns() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    v_new jsonb := pg_catalog.to_jsonb(NEW);
    v_old jsonb;
    c record;
    v_value text;
    v_char text;
BEGIN
    -- TG_ARGV[0]: the one-line columns, TG_ARGV[1]: the multi-line ones (TAB, LF, CR allowed), comma-separated;
    -- on an UPDATE only a value that changes is looked at (rows stored before c0022 can still be updated)
    IF TG_OP = 'UPDATE' THEN
        v_old := pg_catalog.to_jsonb(OLD);
    END IF;
    FOR c IN SELECT x.col, false AS multi FROM pg_catalog.unnest(pg_catalog.string_to_array(TG_ARGV[0], ',')) AS x(col)
             UNION ALL
             SELECT x.col, true FROM pg_catalog.unnest(pg_catalog.string_to_array(TG_ARGV[1], ',')) AS x(col) LOOP
        v_value := v_new->>c.col;
        CONTINUE WHEN v_value IS NULL OR (v_old IS NOT NULL AND (v_old->>c.col) IS NOT DISTINCT FROM v_value);
        v_char := (pg_catalog.regexp_match(v_value, CASE WHEN c.multi THEN '{HIDDEN}' ELSE '{ONE_LINE}' END))[1];
        IF v_char IS NOT NULL THEN
            RAISE EXCEPTION '%.%: the text holds U+%, a control or format character (zero-width, direction, ...) '
                            'that a window refuses', TG_TABLE_NAME, c.col, pg_catalog.upper(pg_catalog.lpad(
                                pg_catalog.to_hex(pg_catalog.ascii(v_char)), 4, '0'))
                  USING ERRCODE = 'YC100';
        END IF;
    END LOOP;
    RETURN NEW;
END $$
""", owner="yc_owner")


def _columns_when(one_line: tuple[str, ...], multi: tuple[str, ...]) -> str:
    return " OR ".join([f"NEW.{c} ~ '{ONE_LINE}'" for c in one_line] + [f"NEW.{c} ~ '{HIDDEN}'" for c in multi])


def _holds_hidden(row: str) -> str:
    return (f"CASE WHEN {row}.payload::text ~ '{PREFILTER}' "
            f"THEN pg_catalog.jsonb_path_exists({row}.payload, '{PATH}') "
            f"OR pg_catalog.jsonb_path_exists({_one_line_parts(row)}, '{ONE_LINE_PATH}') ELSE false END "
            # ~5 us a row: a regular expression that looked for these keys cost more than the lookups
            f"OR {_not_text(row)}")


TRIGGERS = (
    ("tg_cases_hidden_text_insert", "INSERT", _holds_hidden("NEW")),
    ("tg_cases_hidden_text_update", "UPDATE OF payload",
     f"OLD.payload IS DISTINCT FROM NEW.payload AND {_holds_hidden('NEW')}"),
)


def upgrade() -> None:
    create(REFUSE)
    create(LISTED)
    for name, event, when in TRIGGERS:
        op.execute(f"CREATE TRIGGER {name} BEFORE {event} ON yc.cases FOR EACH ROW WHEN ({when}) "
                   "EXECUTE FUNCTION yc.refuse_hidden_text()")
    create(REFUSE_COLUMNS)
    for table, (one_line, multi) in COLUMNS.items():
        op.execute(f"CREATE TRIGGER tg_{table}_hidden_text BEFORE INSERT OR UPDATE ON yc.{table} FOR EACH ROW "
                   f"WHEN ({_columns_when(one_line, multi)}) "
                   f"EXECUTE FUNCTION yc.refuse_hidden_columns('{','.join(one_line)}', '{','.join(multi)}')")


def downgrade() -> None:
    for table in COLUMNS:
        op.execute(f"DROP TRIGGER tg_{table}_hidden_text ON yc.{table}")
    drop(REFUSE_COLUMNS)
    for name, _event, _when in TRIGGERS:
        op.execute(f"DROP TRIGGER {name} ON yc.cases")
    drop(LISTED)
    drop(REFUSE)
