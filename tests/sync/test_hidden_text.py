"""Central c0022: a case payload holding a character no honest window lets in (textcheck's controls,
zero-width and direction characters) is refused at the centre, op by op, on the fast path and the per-op
loop alike; what an honest window may hold (line breaks and tabs in a note, 𠮷) passes.

The attacker is a window with its own login and key, pushing what its own intake would have refused."""

from __future__ import annotations

import uuid

import psycopg

from db.central import CentralClient, _libpq_url, freeze_op
from tests.support.central_ops import Chain, case_payload
from tests.support.shared_pool import bind

CENTRE = "310104"


def _count(url: str, query: str, *params) -> int:
    with psycopg.connect(_libpq_url(url)) as con:
        return con.execute(query, params).fetchone()[0]


def _answers(client: CentralClient, ops: list[dict]) -> list[tuple[str, str]]:
    return [(a["status"], a.get("reason", "")) for a in client.push(ops)]


def test_a_batch_with_hidden_characters_gets_them_rejected_op_by_op(window, pg, central_url):
    url = window(CENTRE, "01")
    chain = Chain(bind(url, pg.ca_file))
    person = {"kind": "person", "id_no": "11010519491231002X"}
    payloads = [
        case_payload(CENTRE, "01", 1),
        case_payload(CENTRE, "01", 2, applicant={**person, "name": "张\u202e三"}),  # right-to-left override
        case_payload(CENTRE, "01", 3, materials=[{"code": "M01", "state": "received", "copies": 1,
                                                   "note": "ok\x07"}]),  # BEL, deep in a list
        case_payload(CENTRE, "01", 4, applicant={**person, "name": "张\u200b三"}),  # zero-width space
        case_payload(CENTRE, "01", 5, applicant={**person, "name": "\U00020bb7三"},  # 𠮷: a real name's char
                     note="第一行\n第二行\t附注 C:\\bin \\u0007"),  # a backslash before b or u0007 is text
        case_payload(CENTRE, "01", 6, note="\u2066隔离\u2069"),
    ]
    with CentralClient(url, ca_cert=pg.ca_file) as w:
        answers = _answers(w, chain.all([freeze_op("case.upsert", p) for p in payloads]))
    assert [a[0] for a in answers] == ["applied", "rejected", "rejected", "rejected", "applied", "rejected"], answers
    for (_, reason), char, serial in zip([answers[i] for i in (1, 2, 3, 5)], ("202E", "0007", "200B", "2066"),
                                         (2, 3, 4, 6), strict=True):
        assert f"U+{char}" in reason and f"{CENTRE}01260212{serial:04d}" in reason, reason
    good = [f"{CENTRE}01260212{n:04d}" for n in (1, 5)]
    assert _count(central_url, "SELECT array_agg(case_no ORDER BY case_no) FROM yc.cases") == good
    # nothing else of the rejected cases is anywhere: no step, no change row for other windows, no summary
    assert _count(central_url, "SELECT count(DISTINCT case_no) FROM yc.case_steps") == 2
    assert _count(central_url, "SELECT count(DISTINCT key) FROM yc.changes WHERE stream = 'cases'") == 2
    assert _count(central_url, "SELECT count(*) FROM yc.case_summary") == 2


def test_one_op_pushes_and_later_versions_are_held_to_the_same_rule(window, pg, central_url):
    url = window(CENTRE, "01")
    chain = Chain(bind(url, pg.ca_file))
    first = case_payload(CENTRE, "01", 1)
    with CentralClient(url, ca_cert=pg.ca_file) as w:
        assert _answers(w, [chain(freeze_op("case.upsert", first))]) == [("applied", "")]
        # a later version of the case that slips a BOM into the name: rejected, version 1 stays
        bad = {**first, "version": 2, "applicant": {**first["applicant"], "name": "\ufeff张三"}}
        [(status, reason)] = _answers(w, [chain(freeze_op("case.upsert", bad))])
        assert status == "rejected" and "U+FEFF" in reason, reason
        # a new case alone (the per-op loop, not the fast path) with a C1 control
        [(status, reason)] = _answers(w, [chain(freeze_op("case.upsert", case_payload(
            CENTRE, "01", 2, note="\x85")))])
        assert status == "rejected" and "U+0085" in reason, reason
        # and the clean version 2 passes
        ok = {**first, "version": 2, "note": "补正"}
        assert _answers(w, [chain(freeze_op("case.upsert", ok))])[0][0] == "applied"
    assert _count(central_url, "SELECT version FROM yc.cases WHERE case_no = %s", first["case_no"]) == 2
    assert _count(central_url, "SELECT count(*) FROM yc.cases") == 1


def test_an_administrator_cannot_slip_them_in_either_and_the_downgrade_takes_the_rule_away(pg):
    from db.central import downgrade_central, init_central

    url = pg.create_database(f"yc_c0022_{uuid.uuid4().hex[:8]}")
    init_central(url)
    with psycopg.connect(_libpq_url(url), autocommit=True) as con:
        con.execute("INSERT INTO yc.centres (code, name) VALUES (%s, '测试中心') ON CONFLICT DO NOTHING", (CENTRE,))

        def insert(case_no: str, name: str) -> None:
            con.execute("""INSERT INTO yc.cases (case_no, centre_code, window_no, matter_code, outcome, status,
                                                 received_at, payload, version)
                           VALUES (%s, %s, '01', 'M', 'accepted', 'received', now(),
                                   jsonb_build_object('applicant', jsonb_build_object('name', %s::text)), 1)""",
                        (case_no, CENTRE, name))

        insert("A1", "张三")
        try:
            insert("A2", "张\u202e三")
            raise AssertionError("the centre stored a right-to-left override")
        except psycopg.Error as e:
            assert e.sqlstate == "YC100" and "U+202E" in str(e)
        try:
            con.execute("UPDATE yc.cases SET payload = jsonb_set(payload, '{applicant,name}', '\"张\\u200b三\"')")
            raise AssertionError("the centre stored a zero-width space")
        except psycopg.Error as e:
            assert e.sqlstate == "YC100" and "U+200B" in str(e)
        con.execute("UPDATE yc.cases SET status = 'signed'")  # a change that leaves the payload alone
    assert downgrade_central(url, "c0021") == "c0021"
    with psycopg.connect(_libpq_url(url), autocommit=True) as con:
        assert con.execute("SELECT count(*) FROM pg_trigger WHERE tgname LIKE 'tg_cases_hidden_text%'").fetchone()[0] == 0
        assert con.execute("SELECT count(*) FROM pg_proc WHERE proname IN ('refuse_hidden_text', "
                           "'cases_with_hidden_text')").fetchone()[0] == 0
        con.execute("UPDATE yc.cases SET payload = jsonb_set(payload, '{applicant,name}', '\"张\\u200b三\"')")
        # a payload stored before the upgrade stays; only what changes it is held to the rule
        init_central(url)
        con.execute("UPDATE yc.cases SET status = 'received'")
        assert con.execute("SELECT count(*) FROM pg_trigger WHERE tgname LIKE 'tg_cases_hidden_text%'").fetchone()[0] == 2


def test_a_case_stored_before_c0022_can_be_continued_but_gets_nothing_new(window, pg, central_url):
    """A case whose applicant name holds a zero-width space from before c0022 (pulled by every window,
    which sends it back with each later version): its next versions pass, as long as they add no string
    with such a character; one that does is refused."""
    url = window(CENTRE, "01")
    chain = Chain(bind(url, pg.ca_file))
    person = {"kind": "person", "id_no": "11010519491231002X"}
    legacy = case_payload(CENTRE, "01", 1, applicant={**person, "name": "张\u200b三"})
    with psycopg.connect(_libpq_url(central_url), autocommit=True) as adm:
        adm.execute("ALTER TABLE yc.cases DISABLE TRIGGER tg_cases_hidden_text_insert")  # as before c0022
        with CentralClient(url, ca_cert=pg.ca_file) as w:
            assert _answers(w, [chain(freeze_op("case.upsert", legacy))])[0][0] == "applied"
        adm.execute("ALTER TABLE yc.cases ENABLE TRIGGER tg_cases_hidden_text_insert")
    step = {"event": "withdrawn", "clerk_login": "zhangmin", "clerk_name": "张敏", "at": "2026-02-12T10:00:00+08:00"}
    sneaky = {**legacy, "version": 2, "note": "撤回\u2060", "step": step}
    honest = {**legacy, "version": 2, "status": "withdrawn", "note": "申请人撤回", "step": step}
    with CentralClient(url, ca_cert=pg.ca_file) as w:
        [(status, reason)] = _answers(w, [chain(freeze_op("case.upsert", sneaky))])
        assert status == "rejected" and "U+2060" in reason, reason
        assert _answers(w, [chain(freeze_op("case.upsert", honest))]) == [("applied", "")]
    assert _count(central_url, "SELECT version FROM yc.cases") == 2
    # and an administrator finds it, to clean it
    assert _count(central_url, "SELECT array_agg(case_no) FROM admin.cases_with_hidden_text()") == [legacy["case_no"]]


def test_an_honest_window_sends_no_such_character_in_a_clerks_name(services, window, central_url):
    """A user's name goes into every step the user records: the window refuses a name with such a character
    when the user is added (and the central add-user does too), and a name stored before that check is sent
    without them, so an unaltered window's cases are never refused for it."""
    import pytest

    from desktop.cli import main
    from desktop.core.errors import BadInput
    from tests.support.central_ops import publish_store_catalogues
    from tests.support.factories import residence_permit_intake
    from tests.support.rawdb import set_user_name_unchecked

    url = window(CENTRE, "01", centre_name="徐汇区行政服务中心", catalogue=None)
    publish_store_catalogues(central_url, services)
    services.set_central(url=url)
    admin = services.login(login="admin", password="admin1234")
    for name in ("王五\u200b", "\ufeff王五", "王\u2060五", "王五\n"):
        with pytest.raises(BadInput) as e:
            services.add_user(login="wangwu", password="wangwu1234", name=name, staff_no="A0199", role="clerk",
                              actor=admin)
        assert e.value.code == "E_FIELD_CONTROL" and e.value.field == "name"
    assert main(["central", "add-user", central_url, "wangwu", "--name", "王五\u200b", "--staff-no",
                 "A0199", "--role", "clerk", "--password", "wangwu1234"]) == 2
    assert _count(central_url, "SELECT count(*) FROM yc.users WHERE login = 'wangwu'") == 0
    services.add_user(login="wangwu", password="wangwu1234", name="王五", staff_no="A0199", role="clerk", actor=admin)
    set_user_name_unchecked(services.home, "wangwu", "王\u200b五\u202e")  # as a version before the check stored it
    wangwu = services.login(login="wangwu", password="wangwu1234")
    case_no = services.accept_application(intake=residence_permit_intake(), clerk=wangwu).case_no
    result = services.sync_round()
    assert result.rejected == 0 and result.pushed >= 1
    assert _count(central_url, "SELECT actor_name FROM yc.case_steps WHERE case_no = %s", case_no) == "王五"


def test_names_identity_numbers_and_logins_hold_no_tab_or_line_break(window, pg, central_url):
    """A window refuses TAB, LF and CR in one-line fields (names, identity numbers, phones, logins) and
    allows them in notes: "张三\\r" reads as 张三. The centre knows the one-line strings by their place (the
    applicant's and the agent's, the clerk's login and name)."""
    url = window(CENTRE, "01")
    chain = Chain(bind(url, pg.ca_file))
    person = {"kind": "person", "name": "张三", "id_type": "居民身份证", "id_no": "11010519491231002X"}
    step = {"event": "accepted", "clerk_login": "zhangmin", "clerk_name": "张敏", "at": "2026-02-12T09:30:00+08:00"}
    enterprise = {"kind": "enterprise", "name": "上海某某有限公司", "uscc": "91310000MA1FL0000X",
                  "contact": {**person, "phone": "13800000000\n"}}
    payloads = [
        case_payload(CENTRE, "01", 1, applicant={**person, "name": "张三\r"}),
        case_payload(CENTRE, "01", 2, applicant={**person, "id_no": "11010519491231002X\n"}),
        case_payload(CENTRE, "01", 3, step={**step, "clerk_name": "张敏\t"}),
        case_payload(CENTRE, "01", 4, clerk_login="zhang\nmin"),
        case_payload(CENTRE, "01", 5, agent={**person, "name": "李四\t"}),
        case_payload(CENTRE, "01", 6, applicant=enterprise),
        # line breaks and tabs where a window allows them: the note, a refusal's reason
        case_payload(CENTRE, "01", 7, applicant=person, step=step, note="一\n二\t三\r\n",
                     refusal_reason="材料不全\n请补齐"),
    ]
    with CentralClient(url, ca_cert=pg.ca_file) as w:
        answers = [_answers(w, [chain(freeze_op("case.upsert", p))])[0] for p in payloads]
    assert [a[0] for a in answers] == ["rejected"] * 6 + ["applied"], answers
    assert [a[1].split("holds ")[1][:6] for a in answers[:6]] == [
        "U+000D", "U+000A", "U+0009", "U+000A", "U+0009", "U+000A"], answers


def test_consultations_ratings_transfers_and_backups_are_held_to_the_same_rule(window, central_url):
    """The other rows a window writes that other people see: a consultation's texts (the department and the
    reports), a rating's comment (the central report), a transfer's tracking number (the department's
    inbox), a backup assignment's logins (every window of the centre, which shows an unknown login as the
    name). Line breaks stay allowed where a window allows them (a question, an answer, a comment)."""
    url = window(CENTRE, "01")
    case_no = f"{CENTRE}01260212{1:04d}"

    def consultation(**over) -> dict:
        return {"id": str(uuid.uuid4()), "asked_at": "2026-02-12T09:00:00+08:00", "asker_name": "李四",
                "asker_phone": "13812345678", "matter_code": "SH-HJ-001", "question": "要带什么？\n原件吗？",
                "answer": "身份证\n原件", "answered_by": "张敏（A0101）", "clerk_login": "demo",
                "centre_code": CENTRE, "window_no": "01", **over}

    def transfer(n: int, **over) -> dict:
        return {"batch_no": f"LZ{CENTRE}01{n:03d}", "centre_code": CENTRE, "window_no": "01",
                "department": "上海市公安局", "channel": "express", "tracking_no": "SF123", "state": "waiting",
                "return_reason": "", "case_nos": [case_no], "created_at": "2026-02-12T16:00:00+08:00",
                "sent_at": None, "closed_at": None, "version": 1, **over}

    def rating(**over) -> dict:
        return {"case_no": case_no, "centre_code": CENTRE, "window_no": "01", "overall": 5, "efficiency": 5,
                "service": None, "attitude": 4, "comment": "很好\n谢谢", "rated_at": "2026-02-12T09:40:00+08:00",
                **over}

    def backup(**over) -> dict:
        return {"id": str(uuid.uuid4()), "centre_code": CENTRE, "window_no": "01", "clerk_login": "zhangmin",
                "backup_login": "lisi", "date_from": "2026-02-12", "date_to": "2026-02-20", "assigned_by": "super",
                "assigned_at": "2026-02-12T09:00:00+08:00", **over}

    ops = [
        ("consultation.recorded", consultation(question="要带\u202e什么")),
        ("consultation.recorded", consultation(asker_name="李四\n")),
        ("transfer.upsert", transfer(1, tracking_no="SF\u200b123")),
        ("rating.recorded", rating(comment="好评\u2066")),
        ("backup.assigned", backup(backup_login="li\u202esi")),
        ("consultation.recorded", consultation()),
        ("transfer.upsert", transfer(2)),
        ("rating.recorded", rating()),
        ("backup.assigned", backup()),
    ]
    with CentralClient(url) as w:
        assert _answers(w, [freeze_op("case.upsert", case_payload(CENTRE, "01", 1))]) == [("applied", "")]
        answers = _answers(w, [freeze_op(kind, payload) for kind, payload in ops])
    assert [a[0] for a in answers] == ["rejected"] * 5 + ["applied"] * 4, answers
    assert [a[1].split(": the text holds ")[0] for a in answers[:5]] == [
        "consultations.question", "consultations.asker_name", "transfers.tracking_no", "ratings.comment",
        "backups.backup_login"], answers
    assert [a[1].split("holds ")[1][:6] for a in answers[:5]] == ["U+202E", "U+000A", "U+200B", "U+2066", "U+202E"]
    assert _count(central_url, "SELECT count(*) FROM yc.consultations") == 1
    assert _count(central_url, "SELECT count(*) FROM yc.transfers") == 1


def test_a_window_cleans_a_rating_comment_and_refuses_them_in_a_tracking_number(services, clerk):
    import pytest

    from desktop.core.errors import BadInput
    from tests.support.factories import residence_permit_intake

    case_no = services.accept_application(intake=residence_permit_intake(), clerk=clerk).case_no
    # an applicant's own comment (emoji joined by U+200D, a stray direction mark) is kept without them
    # rather than refused: the rating would be lost
    rated = services.record_rating(case_no=case_no, overall=5, comment="很好\u200f 👨\u200d👩\u200d👧\n谢谢")
    assert rated.comment == "很好 👨👩👧\n谢谢"
    with pytest.raises(BadInput) as e:
        services.create_transfer(department="上海市公安局", case_nos=[case_no], channel="express", clerk=clerk,
                                 tracking_no="SF\u200b123")
    assert e.value.code == "E_FIELD_CONTROL" and e.value.field == "tracking_no"
