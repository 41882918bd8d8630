"""Results home (issue 9): the 送达回执 states the decision the centre sent, express delivery in two steps
(handed to the courier, then the courier's proof), and the e-licence reference recorded. The decision reaches
the window the way the centre sends it: a `cases` snapshot applied by the real stream code."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from db.local.models import Case, OutboxOp
from desktop.core.cases.versions import case_payload
from desktop.core.documents.verify import pdf_lines
from desktop.core.errors import BadInput
from desktop.core.sync.loop import apply_cases
from tests.support.factories import residence_permit_intake

DEPT = "上海市公安局人口管理办公室"
APPROVE = {"decision": "approve", "doc_name": "上海市居住证", "doc_no": "沪公居〔2026〕18号",
           "e_licence_ref": "EL-310104-2026-000018", "copies": 2, "reason": "", "decided_by": "zhao",
           "decided_by_name": "赵科长", "decided_at": "2026-11-25T10:15:00+08:00", "department": DEPT,
           "corrected": False}
DENY = {"decision": "deny", "doc_name": "", "doc_no": "", "e_licence_ref": "", "copies": 0,
        "reason": "申请人不符合居住证申领条件", "decided_by": "zhao", "decided_by_name": "赵科长",
        "decided_at": "2026-11-25T10:15:00+08:00", "department": DEPT, "corrected": False}


def decided(services, decision) -> str:
    """An accepted case, decided at the centre: its `cases` snapshot applied as a pull applies it."""
    case_no = services.accept_application(intake=residence_permit_intake(), clerk=services.login(
        login="demo", password="demo1234")).case_no
    store = services.store
    now = store.clock()
    with store.Session.begin() as s:
        case = s.get(Case, case_no)
        data = {"case_no": case_no, "version": case.version, "payload": case_payload(case),
                "status": "approved" if decision["decision"] == "approve" else "denied", "decision": decision,
                "steps": [{"event": "decision.approved", "window_no": None, "department": DEPT,
                           "actor_name": "赵科长", "at": decision["decided_at"]}],
                "batch_no": None, "last_window_no": case.window_no}
        apply_cases(store, s, [{"seq": 1, "key": case_no, "data": data}], now)
    return case_no


def receipts(services, case_no) -> list[str]:
    docs = [d for d in services.documents(case_no=case_no) if d.kind == "delivery_receipt"]
    return ["".join(line.strip() for line in pdf_lines(open(d.path, "rb").read())) for d in docs]


def version(services, case_no) -> int:
    with services.store.Reader() as s:
        return s.get(Case, case_no).version


def test_the_receipt_states_the_approval_as_the_centre_sent_it(services, clerk):
    case_no = decided(services, APPROVE)
    services.hand_over_result(case_no=case_no, clerk=clerk, receiver_name="王小明")
    [text] = receipts(services, case_no)
    for words in ("准予许可", "上海市居住证（沪公居〔2026〕18号）", "2 份", "EL-310104-2026-000018", DEPT,
                  "2026年11月25日", "本人已在窗口领取上述办理结果"):
        assert words in text, words
    assert services.verify_documents(case_no=case_no) == []
    assert services.delivery(case_no=case_no)["state"] == "handed_over"


def test_the_receipt_states_a_denial_and_its_reason(services, clerk):
    case_no = decided(services, DENY)
    services.hand_over_result(case_no=case_no, clerk=clerk, receiver_name="王小明")
    [text] = receipts(services, case_no)
    assert "不予许可" in text and "申请人不符合居住证申领条件" in text and "准予许可" not in text
    assert "份数" not in text
    assert services.verify_documents(case_no=case_no) == []


def test_express_is_posted_first_and_never_signed_for_before_the_courier_has_it(services, clerk, clock):
    case_no = decided(services, APPROVE)
    services.hand_over_result(case_no=case_no, clerk=clerk, receiver_name="王小明", how="express",
                              tracking_no="SF1234567890")
    [posted] = receipts(services, case_no)
    assert "已交寄（快递单号 SF1234567890" in posted and "待收件人签收" in posted
    assert "本人已签收" not in posted and "收件人（签字）" not in posted and "寄件经办人" in posted
    assert services.case_record(case_no=case_no).status == "delivered"  # the centre's status: delivered
    state = services.delivery(case_no=case_no)
    assert state["state"] == "posted" and state["tracking_no"] == "SF1234567890" and state["signed_at"] is None
    before = version(services, case_no)

    clock.now = clock.now + timedelta(days=2)
    signed_at = clock.now - timedelta(hours=3)
    services.courier_signed(case_no=case_no, clerk=clerk, signed_at=signed_at)
    assert version(services, case_no) == before + 1  # a new case version for the centre
    with services.store.Reader() as s:
        op = s.scalars(select(OutboxOp).where(OutboxOp.ref == case_no, OutboxOp.kind == "case.upsert")
                       .order_by(OutboxOp.seq.desc())).first()
    payload = json.loads(op.payload)
    assert payload["step"]["event"] == "delivery.signed" and payload["status"] == "delivered"
    assert services.case_history(case_no=case_no)[-1][2] == "delivery.signed"
    first, final = receipts(services, case_no)
    assert first == posted  # the first receipt stays as printed
    assert f"{signed_at:%Y年%m月%d日 %H:%M}" in final and "据快递签收记录" in final and "本人已签收" not in final
    assert "补打" not in final  # a new edition, not a reprint
    assert services.delivery(case_no=case_no)["state"] == "signed"
    assert services.verify_documents(case_no=case_no) == []

    with pytest.raises(BadInput) as e:
        services.courier_signed(case_no=case_no, clerk=clerk)
    assert e.value.code == "E_SIGNED"
    assert version(services, case_no) == before + 1


def test_a_courier_proof_needs_a_posted_result_and_a_sensible_time(services, clerk, clock):
    at_window = decided(services, APPROVE)
    with pytest.raises(BadInput) as e:
        services.courier_signed(case_no=at_window, clerk=clerk)
    assert e.value.code == "E_NOT_POSTED"  # not delivered at all
    services.hand_over_result(case_no=at_window, clerk=clerk, receiver_name="王小明")
    with pytest.raises(BadInput) as e:
        services.courier_signed(case_no=at_window, clerk=clerk)
    assert e.value.code == "E_NOT_POSTED"  # collected at the window: nothing to sign for

    posted = decided(services, APPROVE)
    services.hand_over_result(case_no=posted, clerk=clerk, receiver_name="王小明", how="express", tracking_no="YT9")
    before = version(services, posted)
    for when in (clock.now - timedelta(days=1), clock.now + timedelta(days=1)):
        with pytest.raises(BadInput) as e:
            services.courier_signed(case_no=posted, clerk=clerk, signed_at=when)
        assert e.value.code == "E_SIGNED_AT"
    assert version(services, posted) == before and len(receipts(services, posted)) == 1


def test_an_e_licence_records_its_reference(services, clerk):
    no_ref = decided(services, {**APPROVE, "e_licence_ref": ""})
    with pytest.raises(BadInput) as e:
        services.hand_over_result(case_no=no_ref, clerk=clerk, receiver_name="王小明", how="e_licence")
    assert e.value.code == "E_E_LICENCE_REF"
    assert services.case_record(case_no=no_ref).status == "approved" and receipts(services, no_ref) == []
    services.hand_over_result(case_no=no_ref, clerk=clerk, receiver_name="王小明", how="e_licence",
                              e_licence_ref="EL-MANUAL-7")
    assert services.delivery(case_no=no_ref)["e_licence_ref"] == "EL-MANUAL-7"
    assert "EL-MANUAL-7" in receipts(services, no_ref)[0]

    from_decision = decided(services, APPROVE)
    services.hand_over_result(case_no=from_decision, clerk=clerk, receiver_name="王小明", how="e_licence")
    assert services.delivery(case_no=from_decision)["e_licence_ref"] == APPROVE["e_licence_ref"]
    text = receipts(services, from_decision)[0]
    assert "电子证照编号" in text and "已以电子证照形式发放" in text
    assert services.verify_documents(case_no=from_decision) == []


def test_a_receipt_reprinted_after_the_courier_proof_still_matches(services, clerk, clock):
    case_no = decided(services, APPROVE)
    services.hand_over_result(case_no=case_no, clerk=clerk, receiver_name="王小明", how="express",
                              tracking_no="SF1")
    clock.now = clock.now + timedelta(hours=5)
    services.courier_signed(case_no=case_no, clerk=clerk, signed_at=datetime.fromisoformat(
        f"{clock.now:%Y-%m-%d}T{clock.now.hour - 1:02d}:00"))
    services.reprint(case_no=case_no, kind="delivery_receipt", clerk=clerk)
    assert "补打" in receipts(services, case_no)[-1]
    assert services.verify_documents(case_no=case_no) == []


def test_the_command_line_posts_then_records_the_courier_proof(services, home, monkeypatch, capsys):
    from desktop.cli import main

    case_no = decided(services, APPROVE)
    monkeypatch.setenv("YICHUANG_PASSWORD", "demo1234")

    def yc(*args):
        code = main(["--home", str(home), "handover", case_no, *args, "--clerk", "demo"])
        out, err = capsys.readouterr()
        return code, (json.loads(out) if out.strip() else None), err

    for bad in (("--courier-signed",),  # nothing posted yet
                ("--by", "express", "--receiver-name", "王小明"),  # no tracking number
                ("--courier-signed", "--receiver-name", "王小明"),
                ("--receiver-name", "王小明", "--signed-at", "2026-11-23T10:00")):
        code, out, err = yc(*bad)
        assert code == 2 and out is None and err.strip(), bad
    assert version(services, case_no) == 1 and receipts(services, case_no) == []
    code, out, _ = yc("--by", "express", "--tracking", "SF77", "--receiver-name", "王小明")
    assert code == 0 and out["delivery"]["state"] == "posted" and len(out["documents"]) == 1
    code, out, err = yc("--courier-signed", "--signed-at", "yesterday")
    assert code == 2 and "ISO 8601" in err
    code, out, _ = yc("--courier-signed")
    assert code == 0 and out["delivery"]["state"] == "signed" and out["status"] == "delivered"
    assert len(out["documents"]) == 1 and "据快递签收记录" in receipts(services, case_no)[-1]
