"""Offline case numbers: format, check character, typing tolerance."""

from datetime import date

import pytest

from desktop.core import caseno
from desktop.core.errors import BadInput


def test_case_number_carries_centre_window_date_serial_and_check():
    no = caseno.make_case_no("310104", "01", date(2026, 11, 22), 7)
    assert no.startswith("31010401" + "261122" + "0007")
    assert len(no) == 19
    assert caseno.is_valid_case_no(no)


def test_a_changed_digit_fails_the_check():
    no = caseno.make_case_no("310104", "01", date(2026, 11, 22), 7)
    wrong = no[:-2] + str((int(no[-2]) + 1) % 10) + no[-1]
    assert not caseno.is_valid_case_no(wrong)
    with pytest.raises(BadInput) as e:
        caseno.normalise_case_no(wrong)
    assert e.value.code == "E_CASE_NO"


def test_typed_with_spaces_and_dashes_and_lowercase():
    no = caseno.make_case_no("310104003", "12", date(2026, 1, 4), 9999)
    typed = f"{no[:6]}-{no[6:12]} {no[12:]}".lower()
    assert caseno.normalise_case_no(typed) == no


def test_serial_beyond_9999_is_refused():
    with pytest.raises(BadInput):
        caseno.make_case_no("310104", "01", date(2026, 11, 22), 10000)
