"""Tests for identity numbers, social credit codes and phone numbers as a clerk types them."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from desktop.core import identity
from desktop.core.errors import BadInput
from desktop.core.identity import check_id, check_phone, check_uscc
from tests.support.ids import resident_check_char, uscc_check_char

TODAY = date(2026, 11, 20)


def err(func, *args, **kwargs) -> BadInput:
    with pytest.raises(BadInput) as info:
        func(*args, **kwargs)
    return info.value


# --- resident ID ------------------------------------------------------------------------------


def test_domain_example_is_valid():
    result = check_id("resident_id", "11010519491231002X", today=TODAY)
    assert result.normalized == "11010519491231002X"
    assert result.birth_date == date(1949, 12, 31)
    assert result.sex == "F"
    assert result.warnings == ()


def test_lowercase_x_and_spaces_are_normalised():
    result = check_id("resident_id", " 110105 19491231 002x ", today=TODAY)
    assert result.normalized == "11010519491231002X"


def test_male_from_odd_sequence_digit():
    result = check_id("resident_id", "310115199001010010", today=TODAY)
    assert result.sex == "M"
    assert result.birth_date == date(1990, 1, 1)


def test_wrong_check_character():
    e = err(check_id, "resident_id", "110105194912310021", today=TODAY)
    assert e.code == "E_ID_CHECK"
    assert e.field == "id_no"
    assert "校验位错误" in e.message and "X" in e.message


def test_field_is_passed_through():
    e = err(check_id, "resident_id", "110105194912310021", field="agent.id_no", today=TODAY)
    assert e.field == "agent.id_no"


def test_leap_day_2000_is_valid():
    result = check_id("resident_id", "310104200002291236", today=TODAY)
    assert result.birth_date == date(2000, 2, 29)


def test_leap_day_1900_is_impossible():
    # 1900 was not a leap year; the check character is right, the date is not.
    e = err(check_id, "resident_id", "31010419000229123X", today=TODAY)
    assert e.code == "E_ID_DATE"


@pytest.mark.parametrize("date_part", ["19900230", "19901301", "18991231", "20261121"])
def test_impossible_dates(date_part):
    body = "310104" + date_part + "123"
    e = err(check_id, "resident_id", body + resident_check_char(body), today=TODAY)
    assert e.code == "E_ID_DATE"


def test_today_is_a_possible_birth_date():
    body = "310104" + TODAY.strftime("%Y%m%d") + "124"
    assert check_id("resident_id", body + resident_check_char(body), today=TODAY).birth_date == TODAY


@pytest.mark.parametrize(
    "number",
    [
        "",
        "1101051949123100",
        "11010519491231002XX",
        "1101051949123100X2",
        "11010519491231002Y",
        "A1010519491231002X",
    ],
)
def test_bad_format(number):
    assert err(check_id, "resident_id", number, today=TODAY).code == "E_ID_FORMAT"


def test_fifteen_digit_legacy_number_is_converted():
    result = check_id("resident_id", "110105491231002", today=TODAY)
    assert result.normalized == "11010519491231002X"
    assert result.birth_date == date(1949, 12, 31)
    assert result.sex == "F"


def test_fifteen_digit_with_impossible_date():
    assert err(check_id, "resident_id", "110105490230002", today=TODAY).code == "E_ID_DATE"


def test_unknown_province_is_only_a_warning():
    result = check_id("resident_id", "990101199001010027", today=TODAY)
    assert result.normalized == "990101199001010027"
    assert any(w.startswith("地址码未知") for w in result.warnings)


def test_unknown_shanghai_district_is_a_warning_retired_one_is_not():
    assert check_id("resident_id", "310199199001010018", today=TODAY).warnings
    body = "310103" + "19800101" + "001"  # 卢湾区, merged into 黄浦 in 2011
    assert check_id("resident_id", body + resident_check_char(body), today=TODAY).warnings == ()


def test_residence_permit_number_entered_as_resident_id_warns():
    result = check_id("resident_id", "810000198503150025", today=TODAY)
    assert any("居住证" in w for w in result.warnings)


@given(
    st.sampled_from(["110105", "310104", "310115", "440305", "650102"]),
    st.dates(min_value=date(1900, 1, 1), max_value=TODAY),
    st.integers(min_value=0, max_value=999),
)
def test_any_valid_body_with_computed_check_passes(address, born, seq):
    body = f"{address}{born:%Y%m%d}{seq:03d}"
    number = body + resident_check_char(body)
    result = check_id("resident_id", number, today=TODAY)
    assert result.normalized == number
    assert result.birth_date == born
    assert result.sex == ("M" if seq % 2 else "F")


@given(
    st.dates(min_value=date(1900, 1, 1), max_value=TODAY),
    st.integers(min_value=0, max_value=999),
    st.integers(min_value=0, max_value=16),
    st.integers(min_value=1, max_value=9),
)
def test_corrupting_one_digit_fails(born, seq, position, delta):
    body = f"310104{born:%Y%m%d}{seq:03d}"
    number = body + resident_check_char(body)
    corrupted = number[:position] + str((int(number[position]) + delta) % 10) + number[position + 1 :]
    with pytest.raises(BadInput) as info:
        check_id("resident_id", corrupted, today=TODAY)
    # A single changed digit is always caught by MOD 11-2; in the date it may be caught as a date.
    assert info.value.code in ("E_ID_CHECK", "E_ID_DATE")


# --- other identity documents -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("number", "born", "sex"),
    [
        ("810000198503150025", date(1985, 3, 15), "F"),
        ("820000199001010045", date(1990, 1, 1), "F"),
        ("830000198007070054", date(1980, 7, 7), "M"),
    ],
)
def test_hk_macau_tw_residence_permits(number, born, sex):
    result = check_id("hk_macau_tw_residence", number, today=TODAY)
    assert (result.normalized, result.birth_date, result.sex) == (number, born, sex)


def test_residence_permit_must_carry_its_address_code():
    assert err(check_id, "hk_macau_tw_residence", "310115199001010010", today=TODAY).code == "E_ID_FORMAT"
    assert err(check_id, "hk_macau_tw_residence", "810000198503150026", today=TODAY).code == "E_ID_CHECK"


def test_foreign_permanent_residence_2023():
    result = check_id("foreign_permanent_residence", "931840199001010011", today=TODAY)
    assert result.normalized == "931840199001010011"
    assert result.birth_date == date(1990, 1, 1)
    e = err(check_id, "foreign_permanent_residence", "931840199001010012", today=TODAY)
    assert e.code == "E_ID_CHECK"
    assert (
        err(check_id, "foreign_permanent_residence", "331840199001010011", today=TODAY).code == "E_ID_FORMAT"
    )


def test_foreign_permanent_residence_2017():
    result = check_id("foreign_permanent_residence", "usa310085062311", today=TODAY)
    assert result.normalized == "USA310085062311"
    assert result.birth_date == date(1985, 6, 23)
    assert result.warnings == ()
    # Digits that are no date: still accepted (format only), no birth date.
    assert check_id("foreign_permanent_residence", "CAN310099999911", today=TODAY).birth_date is None
    assert check_id("foreign_permanent_residence", "QQQ310085062311", today=TODAY).warnings
    assert err(check_id, "foreign_permanent_residence", "US3100850623111", today=TODAY).code == "E_ID_FORMAT"


@pytest.mark.parametrize("number", ["H12345678", "m12345678", "H1234567801"])
def test_hk_macau_permit(number):
    assert check_id("hk_macau_permit", number).normalized == number.upper()


@pytest.mark.parametrize("number", ["K12345678", "H1234567", "H123456780", "H123456789012"])
def test_hk_macau_permit_bad(number):
    assert err(check_id, "hk_macau_permit", number).code == "E_ID_FORMAT"


def test_taiwan_permit():
    assert check_id("taiwan_permit", "1234 5678").normalized == "12345678"
    assert err(check_id, "taiwan_permit", "1234567").code == "E_ID_FORMAT"
    assert err(check_id, "taiwan_permit", "T1234567").code == "E_ID_FORMAT"


@pytest.mark.parametrize("number", ["E12345678", "EA1234567", "e h1234567"])
def test_chinese_passport(number):
    assert check_id("passport", number).normalized == number.upper().replace(" ", "")


@pytest.mark.parametrize("number", ["EI1234567", "EO1234567", "G12345678", "E1234567", "E123456789"])
def test_chinese_passport_bad(number):
    assert err(check_id, "passport", number).code == "E_ID_FORMAT"


def test_foreign_passport():
    result = check_id("passport", "usa:123456789")
    assert result.normalized == "USA:123456789"
    assert result.warnings == ()
    assert check_id("passport", "GBR：AB12345").normalized == "GBR:AB12345"
    assert check_id("passport", "ZZZ:123456").warnings
    assert err(check_id, "passport", "US:123456789").code == "E_ID_FORMAT"
    assert err(check_id, "passport", "USA:1234").code == "E_ID_FORMAT"
    assert err(check_id, "passport", "USA:123456789012345678").code == "E_ID_FORMAT"


def test_unknown_id_type():
    e = err(check_id, "driving_licence", "123")
    assert e.code == "E_ID_TYPE"
    assert e.field == "id_no"


def test_messages_are_chinese():
    e = err(check_id, "resident_id", "123", today=TODAY)
    assert "居民身份证" in e.message


def test_default_today_rejects_future():
    future = date.today() + timedelta(days=3)
    body = f"310104{future:%Y%m%d}123"
    assert err(check_id, "resident_id", body + resident_check_char(body)).code == "E_ID_DATE"


# --- unified social credit code ---------------------------------------------------------------


def test_uscc_domain_example():
    result = check_uscc("91512081MA62K0260E")
    assert result.normalized == "91512081MA62K0260E"
    assert result.check_ok


def test_uscc_lowercase_and_spaces():
    assert check_uscc(" 91310000ma1fl0000n ").normalized == "91310000MA1FL0000N"
    assert check_uscc("91310000MA1FL0000N").check_ok


def test_uscc_wrong_check_does_not_raise():
    result = check_uscc("91512081MA62K0260F")
    assert result == type(result)("91512081MA62K0260F", False)


@pytest.mark.parametrize("bad", ["I", "O", "Z", "S", "V"])
def test_uscc_forbidden_letters(bad):
    valid = "91512081MA62K0260E"
    code = valid[:10] + bad + valid[11:]
    assert len(code) == 18
    e = err(check_uscc, code)
    assert e.code == "E_USCC_FORMAT"
    assert e.field == "uscc"
    assert bad in e.message


@pytest.mark.parametrize("code", ["", "91512081MA62K0260", "91512081MA62K0260EE", "91512081-MA62K0260E"])
def test_uscc_bad_length_or_characters(code):
    assert err(check_uscc, code, field="enterprise.uscc").field == "enterprise.uscc"


@given(st.text(alphabet="0123456789ABCDEFGHJKLMNPQRTUWXY", min_size=17, max_size=17))
def test_uscc_computed_check_always_passes(body):
    assert check_uscc(body + uscc_check_char(body)).check_ok
    assert identity.uscc_check_char(body) == uscc_check_char(body)  # the product agrees with GB 32100


@given(st.text(alphabet="0123456789", min_size=17, max_size=17))
def test_resident_check_char_agrees_with_gb11643(body):
    assert identity.id_check_char(body) == resident_check_char(body)


# --- phones -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "normalized"),
    [
        ("13812345678", "13812345678"),
        ("138 1234 5678", "13812345678"),
        ("+86 138-1234-5678", "13812345678"),
        ("8619912345678", "19912345678"),
        ("021-62345678", "02162345678"),
        ("(021) 6234 5678", "02162345678"),
        ("0571-8765432", "05718765432"),
        ("021-62345678-801", "02162345678-801"),
        ("021-62345678 转 8001", "02162345678-8001"),
        ("+86 21 62345678", "02162345678"),
        ("62345678", "62345678"),
        ("12345", "12345"),
        ("12333", "12333"),
        ("400-820-8820", "4008208820"),
    ],
)
def test_phone_accepted(raw, normalized):
    assert check_phone(raw) == normalized


@pytest.mark.parametrize(
    "raw", ["", "1234", "12812345678", "138123456789", "+1 415 555 1234", "abc", "02345678", "021-623456"]
)
def test_phone_rejected(raw):
    e = err(check_phone, raw, field="contact.phone")
    assert e.code == "E_PHONE"
    assert e.field == "contact.phone"
