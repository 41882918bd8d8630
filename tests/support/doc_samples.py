"""Builders of sample cases and daily statistics for the document tests (test data, not product code)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime

from desktop.core.types import (
    CaseMaterial,
    CaseRecord,
    Clerk,
    DailyStats,
    Enterprise,
    MaterialSpec,
    Matter,
    Person,
    Window,
)

CASE_NO = "310104052602120017X"  # as desktop.core.caseno.make_case_no("310104", "05", 2026-02-12, 17)
FULL_ID = "11010519491231002X"
AGENT_ID = "310104198805120036"
USCC = "91512081MA62K0260E"

WINDOW = Window(centre_code="310104", centre_name="徐汇区湖南路街道社区事务受理服务中心", window_no="05")
CLERK = Clerk(login="wangfang", name="王芳", staff_no="XH0517", role="clerk")

MATTER = Matter(
    code="310104-SQ-0231",
    name="居民最低生活保障申请",
    department="徐汇区民政局",
    mode="delegated",
    applicant_kinds=("person",),
    on_the_spot=False,
    statutory_days=20,
    promised_days=10,
    commitment_allowed=True,
    materials=(
        MaterialSpec(
            "M01",
            "申请人居民身份证",
            True,
            "original",
            1,
            e_licence=True,
            standard="有效期内的居民身份证原件",
        ),
        MaterialSpec("M02", "户口簿", True, "original_and_copy", 1, standard="户主页及本人页"),
        MaterialSpec("M03", "家庭收入证明", True, "original", 1, standard="近6个月收入，加盖单位公章"),
    ),
    legal_basis="《社会救助暂行办法》第九条；《上海市社会救助条例》第十五条",
    early_completion=True,
)

MATERIALS = (
    CaseMaterial(
        "M01",
        "申请人居民身份证",
        True,
        "original",
        1,
        "e_licence",
        standard="有效期内的居民身份证原件",
        e_licence_ref="EL-3101-2026-000123",
    ),
    CaseMaterial("M02", "户口簿", True, "original_and_copy", 1, "paper", standard="户主页及本人页"),
    CaseMaterial("M03", "家庭收入证明", True, "original", 1, "missing", standard="近6个月收入，加盖单位公章"),
    CaseMaterial(
        "M04",
        "房屋租赁合同 <副本> & 附件",
        False,
        "copy",
        2,
        "defective",
        standard="经房屋租赁登记备案的合同",
        reason="合同未备案，缺少出租人签字页",
    ),
    CaseMaterial(
        "M05", "共同生活家庭成员声明", True, "original", 1, "commitment", standard="申请人签署的告知承诺书"
    ),
    CaseMaterial(
        "M06",
        "残疾人证",
        False,
        "copy",
        1,
        "gap",
        standard="有效期内的残疾人证复印件",
        gap_due=date(2026, 2, 26),
    ),
)


def sample_person(name: str = "张三", id_no: str = FULL_ID) -> Person:
    return Person(name=name, id_type="resident_id", id_no=id_no, phone="13812345678")


def sample_case(**overrides) -> CaseRecord:
    """A person's case with every material state; override any CaseRecord field by keyword.

    `applicant_name="…"` is a shortcut that replaces only the applicant's name.
    """
    name = overrides.pop("applicant_name", None)
    case = CaseRecord(
        case_no=CASE_NO,
        matter=MATTER,
        applicant=sample_person(),
        agent=Person(name="李四", id_type="resident_id", id_no=AGENT_ID),
        materials=MATERIALS,
        outcome="notice",
        received_at=datetime(2026, 2, 12, 9, 35),
        promised_date=date(2026, 2, 26),
        statutory_date=date(2026, 3, 12),
        window=WINDOW,
        clerk=CLERK,
    )
    case = replace(case, **overrides)
    if name is not None:
        case = replace(case, applicant=replace(case.applicant, name=name))
    return case


def sample_enterprise_case(**overrides) -> CaseRecord:
    """An enterprise's accepted case without gaps."""
    ent = Enterprise(
        name="上海示例科技有限公司",
        uscc=USCC,
        contact=Person(name="赵六", id_type="passport", id_no="E12345678", phone="13900001111"),
    )
    mats = tuple(m for m in MATERIALS if m.state not in ("missing", "defective"))
    return sample_case(applicant=ent, agent=None, materials=mats, outcome="accepted", **overrides)


def sample_stats(*, empty: bool = False) -> DailyStats:
    """Daily statistics of one window; empty=True gives a day without cases."""
    if empty:
        return DailyStats(
            day=date(2026, 2, 12),
            window=WINDOW,
            generated_at=datetime(2026, 2, 12, 17, 30),
            total=0,
            by_outcome=(),
            by_matter=(),
        )
    return DailyStats(
        day=date(2026, 2, 12),
        window=WINDOW,
        generated_at=datetime(2026, 2, 12, 17, 30),
        total=37,
        by_outcome=(("accepted", 21), ("completed", 9), ("notice", 4), ("refused", 1), ("consultation", 2)),
        by_matter=(
            ("310104-SQ-0231", "居民最低生活保障申请", 12),
            ("310104-SQ-0102", "居住证办理", 15),
            ("310104-SQ-0077", "老年人综合津贴申请", 8),
            ("310104-SQ-0150", "残疾人两项补贴申请", 2),
        ),
        by_clerk=(("王芳", 20), ("陈明", 17)),
    )


# ---------------------------------------------------------------- transfers and delivery

BATCH_NO = "LZ31010405260212001"
TRACKING_NO = "SF1402938475612"
CENTRE_PHONE = "021-64381234"


def sample_window(phone: str = CENTRE_PHONE) -> Window:
    return replace(WINDOW, phone=phone)


def sample_transfer(*, cases: int = 3, channel: str = "express", state: str = "sent", **overrides):
    """A transfer batch (TransferInfo) of `cases` accepted cases to the matter's department."""
    from desktop.core.cases.transfers import TransferCase, TransferInfo

    handed = tuple(
        (m.name, m.form, m.copies, m.state) for m in MATERIALS if m.state not in ("missing", "defective")
    )
    items = tuple(
        TransferCase(
            case_no=f"31010405260212{i:04d}X",
            matter_code=MATTER.code,
            matter_name=MATTER.name
            if i % 3
            else "残疾人两项补贴申请（困难残疾人生活补贴和重度残疾人护理补贴）",
            applicant_name=f"申请人{i:02d}",
            received_at=datetime(2026, 2, 12, 9, 0),
            materials=handed[: 1 + i % len(handed)] if i % 7 else (),
        )
        for i in range(1, cases + 1)
    )
    info = TransferInfo(
        batch_no=BATCH_NO,
        department=MATTER.department,
        channel=channel,
        tracking_no=TRACKING_NO if channel == "express" else "",
        state=state,
        return_reason="",
        created_at=datetime(2026, 2, 12, 16, 5),
        created_by=CLERK.login,
        sent_at=datetime(2026, 2, 12, 16, 40) if state != "waiting" else None,
        closed_at=None,
        cases=items,
    )
    return replace(info, **overrides)
