"""`yichuang verify-documents`: every archived document of a case rendered again from the case's history and
compared with the archive; a record changed after printing is named, an untouched case passes."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from desktop import cli
from desktop.core.documents.verify import FILE_CHANGED, FILE_MISSING, field_of, line_differences
from tests.support.factories import person, residence_permit_intake
from tests.support.rawdb import connect_store


def _sql(home, statement: str, *params) -> None:
    """A change made behind the application's back (sqlite3 on the store file, as an intruder would)."""
    con = connect_store(home)
    with con:
        con.execute(statement, params)
    con.close()


def _rename_applicant(home, case_no: str, name: str) -> None:
    con = connect_store(home)
    with con:
        (text,) = con.execute("SELECT applicant_json FROM cases WHERE case_no = ?", (case_no,)).fetchone()
        applicant = json.loads(text)
        applicant["name"] = name
        con.execute("UPDATE cases SET applicant_json = ?, applicant_name = ? WHERE case_no = ?",
                    (json.dumps(applicant, ensure_ascii=False), name, case_no))
    con.close()


def _cli(home, *args) -> int:
    return cli.main(["--home", str(home), "verify-documents", *args])


def test_an_untouched_case_matches_on_every_paper_and_reprint(services, clerk, home, capsys):
    r = services.accept_application(intake=residence_permit_intake(M3={"state": "gap", "gap_due": "2026-11-30"}),
                                    clerk=clerk, paper="roll80")
    services.reprint(case_no=r.case_no, kind="voucher", paper="a4", clerk=clerk)
    services.reprint(case_no=r.case_no, kind="voucher", paper="roll80", clerk=clerk)
    assert len(services.documents(case_no=r.case_no)) == 5  # voucher (roll), 受理通知书 (first-visit acceptance), 容缺 promise, two 补打
    assert services.verify_documents(case_no=r.case_no) == []
    services.close()
    assert _cli(home, r.case_no) == 0
    out = capsys.readouterr().out
    assert f"办件 {r.case_no}：5 份文书与记录一致" in out


def test_documents_printed_before_a_supplement_are_checked_against_the_version_they_were_printed_from(
        services, clerk, clock):
    first = services.accept_application(intake=residence_permit_intake(M2="missing", M3="missing"), clerk=clerk)
    clock.now += timedelta(days=3)
    services.supplement_case(case_no=first.case_no, materials={"M2": "paper"}, clerk=clerk)  # a 2nd notice
    clock.now += timedelta(days=1)
    services.supplement_case(case_no=first.case_no, materials={"M3": "paper"}, clerk=clerk)  # accepted
    kinds = [d.kind for d in services.documents(case_no=first.case_no)]
    assert kinds == ["voucher", "one_time_notice", "one_time_notice", "voucher", "acceptance_notice"]
    assert services.verify_documents(case_no=first.case_no) == []


def test_an_applicant_renamed_in_the_store_after_printing_is_named(services, clerk, home, capsys):
    r = services.accept_application(intake=residence_permit_intake(), clerk=clerk)
    services.close()
    _rename_applicant(home, r.case_no, "王大明")
    assert _cli(home, r.case_no) == 1
    out = capsys.readouterr().out
    assert "收件凭证 (a4)：申请人：存档为“申请人" in out and "王小明" in out and "王大明" in out
    assert f"办件 {r.case_no}：" in out and "处与记录不一致" in out
    assert _cli(home, r.case_no, "--json") == 1
    report = json.loads(capsys.readouterr().out)
    first = report["differences"][0]
    assert (first["kind"], first["paper"], first["field"]) == ("voucher", "a4", "申请人")
    assert "王小明" in first["archived"] and "王大明" in first["rendered"]
    assert report["documents"] == 2  # the voucher and the 受理通知书 printed with it


def test_a_changed_date_and_a_changed_material_are_named(services, clerk, home):
    r = services.accept_application(intake=residence_permit_intake(M2="missing"), clerk=clerk)
    services.close()
    _sql(home, "UPDATE cases SET supply_due = '2026-12-31' WHERE case_no = ?", r.case_no)
    from desktop.core.services import Services

    svc = Services(home)
    try:
        found = svc.verify_documents(case_no=r.case_no)
    finally:
        svc.close()
    notice = [d for d in found if d.kind == "one_time_notice"]
    assert notice and all("2026年12月31日" in d.rendered for d in notice)
    assert any("2026年12月31日" not in d.archived and d.archived for d in notice)


def test_a_delivery_receipt_is_checked_with_the_delivery_of_its_time(services, clerk, home):
    on_spot = services.accept_application(intake={"matter": "T-PER-002", "applicant": person(),
                                                  "materials": {"L1": "paper"}, "result": "津贴资格已核定"},
                                          clerk=clerk)
    services.hand_over_result(case_no=on_spot.case_no, clerk=clerk, receiver_name="李阿婆")
    assert "delivery_receipt" in [d.kind for d in services.documents(case_no=on_spot.case_no)]
    assert services.verify_documents(case_no=on_spot.case_no) == []
    services.close()
    _sql(home, "UPDATE case_events SET detail = replace(detail, '李阿婆', '张阿婆') WHERE event = 'delivered'")
    from desktop.core.services import Services

    svc = Services(home)
    try:
        found = svc.verify_documents(case_no=on_spot.case_no)
    finally:
        svc.close()
    assert [d.kind for d in found] and {d.kind for d in found} == {"delivery_receipt"}
    assert any("李阿婆" in d.archived and "张阿婆" in d.rendered for d in found)


def test_an_archived_file_replaced_or_missing_is_reported(services, clerk, tmp_path):
    a = services.accept_application(intake=residence_permit_intake(), clerk=clerk)
    b = services.accept_application(intake=residence_permit_intake(), clerk=clerk)
    path_a = services.documents(case_no=a.case_no)[0].path
    path_b = services.documents(case_no=b.case_no)[0].path
    with open(path_b, "rb") as f:
        other = f.read()
    with open(path_a, "wb") as f:  # another case's voucher put in its place
        f.write(other)
    found = services.verify_documents(case_no=a.case_no)
    assert found[0].field == FILE_CHANGED
    assert any(d.field == "办件编号" and b.case_no in d.archived and a.case_no in d.rendered for d in found)
    import os

    os.remove(path_b)
    (gone,) = services.verify_documents(case_no=b.case_no)
    assert gone.field == FILE_MISSING and gone.describe().startswith("收件凭证 (a4)：存档文件")


def test_an_unknown_case_is_exit_2(home, capsys):
    assert _cli(home, "3101040126112399978") == 2
    assert "错误 E_CASE" in capsys.readouterr().err


@pytest.mark.parametrize(("old", "new", "before", "field"), [
    ("申请人         王小明", "申请人         王大明", [], "申请人"),
    ("收件时间  2026年  服务中心  徐汇", "收件时间  2026年  服务中心  长宁", [], "服务中心"),
    ("办件编号：310104", "办件编号：310105", [], "办件编号"),
    ("            （310104）", "            （310105）", ["收件时间  2026", "服务中心    徐汇区中心"], "服务中心"),
    ("", "代理人      李四", [], "代理人"),
    ("3    劳动合同      原件    2", "3    劳动合同      复印件    2", [], "第3行 劳动合同"),
    ("王小明：", "王大明：", [], "称呼"),
])
def test_the_field_is_the_label_the_line_starts_with(old, new, before, field):
    assert field_of(old, new, before) == field


def test_line_differences_pair_changed_lines_and_list_extra_ones():
    old = ["收件凭证", "申请人    张三", "证件    身份证", "尾"]
    new = ["收件凭证", "申请人    张三丰", "证件    身份证", "代理人    李四", "尾"]
    assert line_differences(old, new) == [("申请人", "申请人    张三", "申请人    张三丰"),
                                          ("代理人", "", "代理人    李四")]
    assert line_differences(old, old) == []
