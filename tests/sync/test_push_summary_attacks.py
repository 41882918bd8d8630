"""c0019 as an attacker sees it: a window (its own login, its own transactions and savepoints) tries to leave
yc.case_summary other than c0013's recomputation from the tables, a step without its case, the steps' foreign
key deferred after its call, or a write in another centre's rows; and the downgrade must give c0018 back.

The window's calls are made as the window itself: a superuser connection takes the window login's identity
(SET SESSION AUTHORIZATION, so sync.push's caller_window() finds it) and gives it back between calls, so the
test can look, inside the window's own open transaction, at what a window cannot see (the constraint's mode,
the summary rows, whether yc.push_fast took the batch)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
import pytest
from psycopg import sql
from psycopg.types.json import Jsonb

from db.central import admin_connect, downgrade_central, freeze_op, init_central, window_role_name
from db.central.admin import _migrate
from tests.support.central_counts import assert_counts_match_summary
from tests.support.central_ops import CENTRAL_HEAD, A, B, case_op, case_payload
from tests.support.loop_central import no

FK = "fk_case_steps_case_no_cases"


class Window:
    """One window's session on a superuser connection: push() runs sync.push as the window login."""

    def __init__(self, conn: psycopg.Connection, centre: str, window_no: str):
        self.conn, self.role = conn, window_role_name(centre, window_no)

    def push(self, ops: list[dict]) -> list[dict]:
        self.conn.execute(sql.SQL("SET SESSION AUTHORIZATION {}").format(sql.Identifier(self.role)))
        try:
            return self.conn.execute("SELECT sync.push(%s)", (Jsonb(ops),)).fetchone()[0]
        finally:
            if self.conn.info.transaction_status != psycopg.pq.TransactionStatus.INERROR:
                self.conn.execute("RESET SESSION AUTHORIZATION")

    def fast_calls(self) -> int:
        """How many calls of yc.push_fast returned in this transaction (one that raised is not counted)."""
        row = self.conn.execute("SELECT calls FROM pg_stat_xact_user_functions "
                                "WHERE schemaname = 'yc' AND funcname = 'push_fast'").fetchone()
        return 0 if row is None else row[0]

    def fk_deferred(self) -> bool:
        """Whether the steps' foreign key is deferred now, in this transaction: a step of no case is refused
        at once when it is not."""
        self.conn.execute("SAVEPOINT probe")
        try:
            self.conn.execute("INSERT INTO yc.case_steps (case_no, centre_code, version, event) "
                              "VALUES ('no such case', %s, 1, 'probe')", (A,))
        except psycopg.errors.ForeignKeyViolation:
            deferred = False
        else:
            deferred = True
        self.conn.execute("ROLLBACK TO SAVEPOINT probe")
        return deferred


@contextmanager
def window_session(url: str, centre: str, window_no: str) -> Iterator[Window]:
    with admin_connect(url) as conn:
        conn.execute("SET track_functions = 'pl'")  # pg_stat_xact_user_functions counts yc.push_fast
        yield Window(conn, centre, window_no)


def summaries(conn: psycopg.Connection) -> dict[str, dict]:
    cur = conn.execute("SELECT * FROM yc.case_summary ORDER BY case_no")
    names = [d.name for d in cur.description]
    return {r[0]: {k: v for k, v in zip(names, r, strict=True) if k != "refreshed_at"} for r in cur.fetchall()}


def assert_summary_is_the_recomputation(url: str) -> dict[str, dict]:
    """Every summary row is c0013's recomputation of its case from the tables (an administrator's no-op UPDATE
    of every case, rolled back), one row per case, every step has its case at its own centre, and the counts
    agree with the rows."""
    with admin_connect(url) as conn:
        kept = summaries(conn)
        conn.execute("UPDATE yc.cases SET status = status")
        assert summaries(conn) == kept
        assert conn.execute("SELECT count(*) FROM yc.cases").fetchone()[0] == len(kept)
        assert conn.execute("SELECT count(*) FROM yc.case_steps s WHERE NOT EXISTS (SELECT 1 FROM yc.cases c "
                            "WHERE c.case_no = s.case_no AND c.centre_code = s.centre_code)").fetchone()[0] == 0
        conn.rollback()
    assert_counts_match_summary(url)
    return kept


# ---- a batch the fast path starts and gives up: everything it wrote goes, the loop answers ------------------
def test_a_batch_the_fast_path_gives_up_after_its_steps_and_summary_rows_leaves_nothing_of_them(central_url,
                                                                                               window):
    """The third case's applicant kind fails the cases' check: yc.push_fast has written every step (its foreign
    key deferred) and every summary row by then. sync.push rolls that back and the loop applies the others."""
    window(A, "01")
    ops = [case_op(A, "01", 1), case_op(A, "01", 2, outcome="refused"),
           case_op(A, "01", 3, applicant={"kind": "alien", "name": "X"}), case_op(A, "01", 4)]
    with window_session(central_url, A, "01") as w:
        answers = w.push(ops)
        assert w.fast_calls() == 0  # it raised
        assert not w.fk_deferred()
        assert [a["status"] for a in answers] == ["applied", "applied", "rejected", "applied"]
        assert no(A, "01", 3) not in summaries(w.conn)
        w.conn.commit()
    rows = assert_summary_is_the_recomputation(central_url)
    assert sorted(rows) == [no(A, "01", n) for n in (1, 2, 4)]


def test_a_batch_the_fast_path_gives_up_after_the_foreign_key_is_back_leaves_it_immediate(central_url, window):
    """A document whose time is no time fails after SET CONSTRAINTS ... IMMEDIATE: the key stays immediate
    (the sub-transaction's rollback restores the mode it had), and the loop rejects the document alone."""
    window(A, "01")
    doc = freeze_op("document.printed", {"case_no": no(A, "01", 1), "kind": "voucher", "sha256": "ab" * 32,
                                         "printed_at": "not a time", "reprint": 0})
    with window_session(central_url, A, "01") as w:
        answers = w.push([case_op(A, "01", 1), doc, case_op(A, "01", 2)])
        assert w.fast_calls() == 0
        assert not w.fk_deferred()
        assert [a["status"] for a in answers] == ["applied", "rejected", "applied"]
        w.conn.commit()
    assert sorted(assert_summary_is_the_recomputation(central_url)) == [no(A, "01", 1), no(A, "01", 2)]


def test_a_window_that_deferred_every_constraint_itself_gets_its_steps_checked_by_the_fast_path(central_url,
                                                                                              window):
    """SET CONSTRAINTS ALL DEFERRED by the window before its push (any login may, and the key is DEFERRABLE now):
    the fast path still checks its steps before it returns, and a failed fast path gives the window back its
    own mode (deferred), never one yc.push_fast left behind."""
    window(A, "01")
    with window_session(central_url, A, "01") as w:
        w.conn.execute("SET CONSTRAINTS ALL DEFERRED")
        assert w.fk_deferred()
        assert [a["status"] for a in w.push([case_op(A, "01", 1), case_op(A, "01", 2)])] == ["applied"] * 2
        assert w.fast_calls() == 1
        assert not w.fk_deferred()  # SET CONSTRAINTS ... IMMEDIATE ran (and checked the steps)
        w.conn.execute("SET CONSTRAINTS ALL DEFERRED")
        answers = w.push([case_op(A, "01", 3), case_op(A, "01", 4, applicant={"kind": "alien", "name": "X"})])
        assert [a["status"] for a in answers] == ["applied", "rejected"]
        assert w.fast_calls() == 1
        assert w.fk_deferred()  # the window's own mode, restored by the sub-transaction's rollback
        w.conn.commit()
    assert sorted(assert_summary_is_the_recomputation(central_url)) == [no(A, "01", n) for n in (1, 2, 3)]


# ---- batches the fast path must not take ----------------------------------------------------------------
def test_a_batch_naming_one_new_case_twice_goes_to_the_loop(central_url, window):
    window(A, "01")
    with window_session(central_url, A, "01") as w:
        answers = w.push([case_op(A, "01", 1), case_op(A, "01", 1, outcome="refused", matter_code="nope")])
        assert w.fast_calls() == 0
        w.conn.commit()
    assert [a["status"] for a in answers] == ["applied", "rejected"]
    rows = assert_summary_is_the_recomputation(central_url)
    assert rows[no(A, "01", 1)]["outcome"] == "accepted" and rows[no(A, "01", 1)]["matter_code"] == "SH-HJ-001"


def test_a_batch_mixing_a_known_case_and_new_ones_goes_to_the_loop_before_any_write(central_url, window):
    window(A, "01")
    with window_session(central_url, A, "01") as w:
        w.push([case_op(A, "01", 1), case_op(A, "01", 2)])
        w.conn.commit()
        # a step written and rolled back still draws its id: the sequence tells whether one was written
        steps = w.conn.execute("SELECT nextval(pg_get_serial_sequence('yc.case_steps', 'id'))").fetchone()[0]
        ops = [case_op(A, "01", 3), case_op(A, "01", 1, version=2, status="withdrawn"), case_op(A, "01", 4)]
        # yc.push_fast itself refuses it before writing a step (c0019's known_cases check)
        w.conn.execute("SAVEPOINT direct")
        with pytest.raises(psycopg.Error) as err:
            w.conn.execute("SELECT yc.push_fast(%s, %s, %s)", (Jsonb(ops), A, "01"))
        assert err.value.sqlstate == "YC199"
        w.conn.execute("ROLLBACK TO SAVEPOINT direct")
        assert w.conn.execute("SELECT nextval(pg_get_serial_sequence('yc.case_steps', 'id'))").fetchone()[0] == steps + 1
        answers = w.push(ops)
        w.conn.commit()
    assert [a["status"] for a in answers] == ["applied"] * 3
    assert [a["result"]["action"] for a in answers] == ["inserted", "updated", "inserted"]
    rows = assert_summary_is_the_recomputation(central_url)
    assert rows[no(A, "01", 1)]["status"] == "withdrawn"


def test_a_case_number_of_another_centre_leaves_that_centres_row_alone(central_url, window):
    """A01's number held at centre B (an administrator's import): known_cases cannot see it (row security), so
    the fast path writes its steps and summary rows and only the cases' INSERT finds the number taken. B's
    summary row and steps stay as they were; the loop refuses the case."""
    window(A, "01")
    window(B, "01")
    taken = no(A, "01", 2)
    with admin_connect(central_url) as conn:
        with window_session(central_url, B, "01") as wb:
            wb.push([case_op(B, "01", 1), case_op(B, "01", 3)])
            wb.conn.commit()
        conn.execute("INSERT INTO yc.cases SELECT (jsonb_populate_record(c, jsonb_build_object('case_no', %s::text))).* "
                     "FROM yc.cases c WHERE c.case_no = %s", (taken, no(B, "01", 1)))
        conn.execute("INSERT INTO yc.case_steps (case_no, centre_code, version, event, window_no, actor_name) "
                     "VALUES (%s, %s, 1, 'notice', '01', 'B的人')", (taken, B))
        conn.commit()
        before = summaries(conn)
        steps_before = conn.execute("SELECT * FROM yc.case_steps ORDER BY id").fetchall()
    assert before[taken]["centre_code"] == B
    with window_session(central_url, A, "01") as w:
        answers = w.push([case_op(A, "01", 1), case_op(A, "01", 2), case_op(A, "01", 4)])
        assert w.fast_calls() == 0
        assert not w.fk_deferred()
        w.conn.commit()
    assert [a["status"] for a in answers] == ["applied", "rejected", "applied"]
    assert "another centre" in answers[1]["reason"]
    rows = assert_summary_is_the_recomputation(central_url)
    assert rows[taken] == before[taken]
    with admin_connect(central_url) as conn:
        assert conn.execute("SELECT * FROM yc.case_steps WHERE case_no = %s ORDER BY id",
                            (taken,)).fetchall() == [s for s in steps_before if s[1] == taken]


# ---- a summary row the triggers might take for yc.push_fast's ----------------------------------------------
@pytest.mark.parametrize("batch", [2, 1], ids=["fast path", "loop"])
def test_a_stale_summary_row_of_a_case_not_there_is_replaced(central_url, window, batch):
    """A row for a number yc.cases lacks, written in the pushing transaction itself (refreshed_at = now()) and
    agreeing on centre, window, status and outcome (what the cases' INSERT trigger compares) but on nothing
    else: the steps' trigger removes it before yc.push_fast writes its own (fast path); the loop's step
    recomputes it (loop). Only the owner or a superuser can write such a row (or leave one, by TRUNCATE)."""
    window(A, "01")
    stale = no(A, "01", 1)
    with window_session(central_url, A, "01") as w:
        w.conn.execute(
            "INSERT INTO yc.case_summary (case_no, centre_code, window_no, matter_code, outcome, status, holiday, "
            "received_day, first_notice, visits, paused) VALUES (%s, %s, '01', 'forged', 'accepted', 'received', "
            "1, '1999-01-01', 1, 9, true)", (stale, A))
        answers = w.push([case_op(A, "01", n) for n in range(1, batch + 1)])
        assert w.fast_calls() == (batch > 1)
        w.conn.commit()
    assert [a["status"] for a in answers] == ["applied"] * batch
    rows = assert_summary_is_the_recomputation(central_url)
    assert rows[stale]["matter_code"] == "SH-HJ-001" and rows[stale]["visits"] == 1


# ---- one transaction, several calls, savepoints ------------------------------------------------------------
def test_several_calls_in_one_transaction_with_savepoints_leave_the_recomputation(central_url, window):
    """In one transaction: a fast batch, a savepoint, a fast batch of other shapes under the same numbers rolled
    back and pushed again differently, a later version of a case the fast path summarised earlier in the
    transaction (the loop), a withdrawal, and another fast batch. Every row is the recomputation at the end."""
    window(A, "01")
    with window_session(central_url, A, "01") as w:
        w.push([case_op(A, "01", 1), case_op(A, "01", 2, outcome="notice", step={"event": "notice"})])
        w.conn.execute("SAVEPOINT s1")
        w.push([case_op(A, "01", 3, holiday=True), case_op(A, "01", 4, status="voided")])
        w.conn.execute("ROLLBACK TO SAVEPOINT s1")
        w.push([case_op(A, "01", 3, outcome="refused"),
                case_op(A, "01", 4, status="delivered", outcome="completed",
                        step={"event": "delivered", "clerk_name": "王五"})])
        w.conn.execute("SAVEPOINT s2")
        w.push([case_op(A, "01", 2, version=2, outcome="accepted",
                        step={"event": "supplemented", "clerk_name": "李四"}),
                case_op(A, "01", 1, version=2, status="withdrawn")])
        w.conn.execute("RELEASE SAVEPOINT s2")
        w.push([case_op(A, "01", 5, paused_since="2026-02-12"), case_op(A, "01", 6)])
        assert w.fast_calls() == 4  # the one rolled back to s1 counts too; the later version went to the loop
        assert not w.fk_deferred()
        w.conn.commit()
    rows = assert_summary_is_the_recomputation(central_url)
    assert sorted(rows) == [no(A, "01", n) for n in range(1, 7)]
    assert rows[no(A, "01", 1)]["status"] == "withdrawn"
    assert rows[no(A, "01", 2)]["outcome"] == "accepted" and rows[no(A, "01", 2)]["visits"] == 2
    assert rows[no(A, "01", 3)]["outcome"] == "refused" and rows[no(A, "01", 3)]["holiday"] == 0
    assert rows[no(A, "01", 4)]["status"] == "delivered" and rows[no(A, "01", 4)]["delivered_day"] is not None


def test_a_case_the_fast_path_summarised_and_the_department_then_decides_in_that_transaction(central_url, window):
    """The administrator's SQL in the transaction of a fast push: a decision on a case whose row the fast path
    wrote moments before (refreshed_at = now() on both), then a case inserted by hand with the number of a row
    the fast path wrote and that case deleted (the DELETE trigger must take its row along)."""
    window(A, "01")
    with window_session(central_url, A, "01") as w:
        w.push([case_op(A, "01", 1), case_op(A, "01", 2)])
        w.conn.execute("UPDATE yc.cases SET status = 'approved', decision = %s WHERE case_no = %s",
                       (Jsonb({"decided_at": "2026-02-20T10:00:00+08:00"}), no(A, "01", 1)))
        w.conn.execute("DELETE FROM yc.case_steps WHERE case_no = %s", (no(A, "01", 2),))
        w.conn.execute("DELETE FROM yc.cases WHERE case_no = %s", (no(A, "01", 2),))
        w.conn.execute("SAVEPOINT again")
        w.push([case_op(A, "01", 2, outcome="refused"), case_op(A, "01", 3)])
        w.conn.commit()
    rows = assert_summary_is_the_recomputation(central_url)
    assert rows[no(A, "01", 1)]["decided_day"] == "2026-02-20"
    assert rows[no(A, "01", 2)]["outcome"] == "refused"


# ---- the downgrade ----------------------------------------------------------------------------------------
def _schema_state(url: str) -> dict:
    """What c0019 touches and what a downgrade must give back: every function of the centre's schemas (its
    text, owner, grants, security, settings), the constraints and triggers of yc (deferrability included),
    and the kept function history."""
    with admin_connect(url) as conn:
        functions = conn.execute(
            "SELECT p.oid::regprocedure::text, pg_get_functiondef(p.oid), p.proowner::regrole::text, "
            "p.proacl::text, p.prosecdef, p.proconfig FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace "
            "WHERE n.nspname IN ('yc', 'sync', 'admin', 'reporting', 'office') ORDER BY 1").fetchall()
        constraints = conn.execute(
            "SELECT c.conrelid::regclass::text, c.conname, c.condeferrable, c.condeferred, pg_get_constraintdef(c.oid) "
            "FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace WHERE n.nspname = 'yc' "
            "ORDER BY 1, 2").fetchall()
        triggers = conn.execute(
            "SELECT t.tgrelid::regclass::text, t.tgfoid::regprocedure::text, t.tgtype, t.tgdeferrable, "
            "t.tginitdeferred, t.tgenabled, coalesce(c.conname, t.tgname) FROM pg_trigger t "
            "JOIN pg_class r ON r.oid = t.tgrelid JOIN pg_namespace n ON n.oid = r.relnamespace "
            "LEFT JOIN pg_constraint c ON c.oid = t.tgconstraint WHERE n.nspname = 'yc' ORDER BY 1, 7, 2, 3").fetchall()
        history = conn.execute("SELECT revision, signature, definition FROM yc.function_history "
                               "ORDER BY 1, 2").fetchall()
    return {"functions": functions, "constraints": constraints, "triggers": triggers, "history": history}


def test_the_downgrade_gives_c0018_back_exactly(pg):
    url = pg.create_database(f"yc_c0019_{uuid.uuid4().hex[:8]}")
    assert _migrate(url, "upgrade", "c0018") == "c0018"
    c0018 = _schema_state(url)
    fk = [c for c in c0018["constraints"] if c[1] == FK]
    assert fk and fk[0][2:4] == (False, False)
    assert init_central(url) == CENTRAL_HEAD
    head = _schema_state(url)
    assert [c for c in head["constraints"] if c[1] == FK][0][2:4] == (True, False)
    assert head["functions"] != c0018["functions"]
    assert downgrade_central(url, "c0018") == "c0018"
    after = _schema_state(url)
    for part in c0018:
        assert after[part] == c0018[part], part
    assert init_central(url) == CENTRAL_HEAD  # and up again (the history's rows were taken back)
    assert _schema_state(url) == head


def test_the_summary_rows_of_a_fast_push_match_the_loops_for_payload_texts_the_window_chose(central_url, window):
    """Payload values of other JSON types than the window sends (a holiday as a string, a clerk name as a
    number, a step time without an offset), through the fast path and through the loop: the same rows."""
    window(A, "01")
    window(A, "02")
    shapes = [{"holiday": "true", "step": {"clerk_name": 7, "event": "notice"}},
              {"complete_at": 20260213, "outcome": "completed", "status": "delivered",
               "step": {"event": "delivered", "at": "2026-02-12 23:59:59"}},
              {"received_at": "2026-02-12 23:30:00", "clerk_login": None, "step": None},
              {"applicant": {"kind": "person"}, "promised_date": "20260226", "step": {"event": "x" * 80}}]

    def ops(window_no: str) -> list[dict]:
        return [freeze_op("case.upsert", json.loads(json.dumps(case_payload(A, window_no, n, **shape))))
                for n, shape in enumerate(shapes, start=1)]

    with window_session(central_url, A, "01") as w:
        w.conn.execute("SET TimeZone = 'America/Los_Angeles'")
        assert [a["status"] for a in w.push(ops("01"))] == ["applied"] * len(shapes)
        assert w.fast_calls() == 1
        w.conn.commit()
    with window_session(central_url, A, "02") as w:
        w.conn.execute("SET TimeZone = 'America/Los_Angeles'")
        assert [a["status"] for a in w.push([*ops("02"), freeze_op("case.teleport", {})])][:-1] == \
            ["applied"] * len(shapes)
        assert w.fast_calls() == 0
        w.conn.commit()
    rows = assert_summary_is_the_recomputation(central_url)
    by_window: dict[str, dict] = {}
    for case_no, row in rows.items():
        by_window.setdefault(row["window_no"], {})[case_no[8:]] = {k: v for k, v in row.items()
                                                                   if k not in ("case_no", "window_no")}
    assert by_window["01"] == by_window["02"]
