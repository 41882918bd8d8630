"""The leaf rules every layer shares: who may do what (roles), the Chinese labels, the masking of personal data."""

from __future__ import annotations

import pytest

from desktop.core import labels, privacy, roles
from desktop.core.documents.blocks import mask_id as paper_mask_id
from desktop.core.errors import AuthError
from desktop.core.types import Clerk

WANG = Clerk(login="wangf", name="王芳", staff_no="XH0517", role="clerk")
ZHAO = Clerk(login="zhaol", name="赵磊", staff_no="XH0001", role="supervisor")
ADMIN = Clerk(login="admin", name="钱敏", staff_no="XH0000", role="admin")
BACK = Clerk(login="back", name="孙立", staff_no="MZ0101", role="backoffice")

SUPERVISOR_ONLY = ("reprint_any", "clock_pause", "clock_extend_approve", "override_approve",
                   "calendar_import", "deadletter_resolve", "report_print", "case_void", "backup_assign")
ADMIN_ONLY = ("catalogue_import", "user_manage", "settings_central", "settings_edit")


def test_the_permission_names_are_exactly_the_agreed_ones():
    assert set(roles.PERMISSIONS) == {
        "intake", "reprint_own", "reprint_any", "clock_pause", "clock_extend_approve", "override_approve",
        "calendar_import", "deadletter_resolve", "report_print", "catalogue_import", "user_manage",
        "settings_central", "user_unlock", "case_correct", "case_withdraw", "case_void", "settings_edit", "backup_assign",
    }


@pytest.mark.parametrize("permission", ("intake", "reprint_own", "case_correct", "case_withdraw"))
def test_every_window_role_may_take_cases_and_reprint_its_own(permission):
    assert roles.can(WANG, permission) and roles.can(ZHAO, permission) and roles.can(ADMIN, permission)
    assert not roles.can(BACK, permission)


@pytest.mark.parametrize("permission", SUPERVISOR_ONLY)
def test_supervisor_actions_are_refused_to_a_clerk(permission):
    assert roles.can(ZHAO, permission)
    assert roles.can(ADMIN, permission)  # an admin may do all a supervisor may
    assert not roles.can(WANG, permission)
    assert not roles.can(BACK, permission)


@pytest.mark.parametrize("permission", ADMIN_ONLY)
def test_admin_actions_are_refused_to_everybody_else(permission):
    assert roles.can(ADMIN, permission)
    for who in (WANG, ZHAO, BACK):
        assert not roles.can(who, permission), who.role


def test_backoffice_may_do_none_of_the_windows_actions():
    assert [p for p in roles.PERMISSIONS if roles.can(BACK, p)] == []


def test_admin_holds_every_supervisor_permission():
    for permission, holders in roles.PERMISSIONS.items():
        if "supervisor" in holders:
            assert "admin" in holders, permission


def test_a_role_name_works_like_a_clerk_and_nobody_may_do_nothing():
    assert roles.can("supervisor", "clock_pause") and not roles.can("clerk", "clock_pause")
    assert not roles.can(None, "intake")
    assert not roles.can("cleaner", "intake")


def test_require_names_the_person_and_what_they_may_not_do():
    roles.require(ZHAO, "calendar_import")  # no error
    with pytest.raises(AuthError) as e:
        roles.require(WANG, "calendar_import")
    assert e.value.code == "E_PERMISSION"
    assert "王芳" in e.value.message and "窗口人员" in e.value.message
    assert "导入节假日日历" in e.value.message and "值班长" in e.value.message
    assert e.value.field == "clerk"


def test_require_keeps_a_callers_error_code_and_field():
    with pytest.raises(AuthError) as e:
        roles.require(WANG, "override_approve", code="E_OVERRIDE_ROLE", field="approver")
    assert (e.value.code, e.value.field) == ("E_OVERRIDE_ROLE", "approver")


def test_an_unknown_permission_is_a_programming_error():
    with pytest.raises(ValueError):
        roles.can(ZHAO, "clock_stop")
    with pytest.raises(ValueError):
        roles.require(ZHAO, "clock_stop")


def test_every_role_and_permission_has_a_chinese_label():
    assert set(labels.ROLE_LABELS) == set(roles.ROLES)
    assert set(roles.PERMISSION_LABELS) == set(roles.PERMISSIONS)


def test_document_paper_and_delivery_labels_are_the_printed_ones():
    assert labels.DOCUMENT_LABELS == {
        "voucher": "收件凭证",
        "one_time_notice": "一次性告知单",
        "acceptance_notice": "受理通知书",
        "refusal_notice": "不予受理通知书",
        "gap_promise": "容缺受理承诺书",
        "commitment_letter": "告知承诺书",
        "gap_receipt": "容缺材料补交回执",
        "gap_reminder": "容缺候补通知书",
        "delivery_receipt": "送达回执",
        "clock_notice": "办理期限告知书",
        "transfer_manifest": "材料流转清单",
        "daily_report": "统计报表",
    }
    assert labels.PAPER_LABELS == {"a4": "A4", "roll80": "80毫米热敏纸"}
    assert labels.DELIVERY_LABELS == {"window": "窗口领取", "express": "快递寄送", "e_licence": "电子证照"}


def test_label_falls_back_to_the_code():
    assert labels.label(labels.OUTCOME_LABELS, "refused") == "不予受理"
    assert labels.label(labels.OUTCOME_LABELS, "weird") == "weird"
    assert labels.label(labels.OUTCOME_LABELS, None) == ""


def test_the_old_names_in_types_are_the_label_tables():
    from desktop.core import types

    assert types.OUTCOME_LABELS is labels.OUTCOME_LABELS
    assert types.STATE_LABELS is labels.MATERIAL_STATE_LABELS
    assert types.FORM_LABELS is labels.FORM_LABELS
    assert types.ID_TYPE_LABELS is labels.ID_TYPE_LABELS


@pytest.mark.parametrize(
    ("id_no", "masked"),
    [
        ("11010519491231002X", "110105********002X"),
        ("E12345678", "E1*****78"),  # a passport: the lookup screen used to show E1*******
        ("12345678", "12****78"),
        (" 1101 0519 4912 3100 2X ", "110105********002X"),
        ("", ""),
        (None, ""),
    ],
)
def test_one_masking_rule_for_paper_and_screen(id_no, masked):
    assert privacy.mask_id(id_no) == masked
    assert paper_mask_id is privacy.mask_id


def test_phone_masking_keeps_three_and_four_digits():
    assert privacy.mask_phone("13812345678") == "138****5678"
    assert privacy.mask_phone("021-64870000") == "021*****0000"
    assert privacy.mask_phone("") == ""


def test_settings_are_declared_once_with_type_and_default(services):
    import pytest

    from desktop.core.settings import SETTINGS

    assert services.setting("sync_clock_skew") == SETTINGS["sync_clock_skew"].default == "0"
    with pytest.raises(ValueError):
        services.setting("centre_nmae")  # a misspelt key is a programming error, not an empty string
    with pytest.raises(ValueError):
        services.set_setting("sync_clock_skew", "many")
    with pytest.raises(ValueError):
        services.set_setting("sync_online", "yes")
    services.set_setting("sync_clock_skew", "-900")
    assert services.setting("sync_clock_skew") == "-900"
