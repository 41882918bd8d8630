"""Identity numbers with valid check characters, computed here independently of desktop.core.identity.

GB 11643-1999 (resident ID): weights 2^(17-i) mod 11, check "10X98765432"[sum mod 11].
GB 32100-2015 (unified social credit code): 31-character alphabet without I O S V Z, weights 3^i mod 31,
check character = alphabet[(31 - sum mod 31) mod 31].
"""

from __future__ import annotations

RESIDENT_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def resident_check_char(body17: str) -> str:
    if len(body17) != 17 or not body17.isdigit():
        raise ValueError(f"a resident ID body is 17 digits, not {body17!r}")
    return "10X98765432"[sum(int(c) * w for c, w in zip(body17, RESIDENT_WEIGHTS)) % 11]


def resident_id(body17: str) -> str:
    """A resident ID with its GB 11643 check character."""
    return body17 + resident_check_char(body17)


def uscc_check_char(body17: str) -> str:
    if len(body17) != 17 or any(c not in USCC_ALPHABET for c in body17):
        raise ValueError(f"a USCC body is 17 characters of {USCC_ALPHABET}, not {body17!r}")
    total = sum(USCC_ALPHABET.index(c) * w for c, w in zip(body17, USCC_WEIGHTS))
    return USCC_ALPHABET[(31 - total % 31) % 31]


def uscc(body17: str) -> str:
    """A unified social credit code with its GB 32100 check character."""
    return body17 + uscc_check_char(body17)


ZHANG_SAN_ID = "11010519491231002X"  # the example printed in GB 11643
LI_SI_ID = resident_id("31010419900101123")
ENTERPRISE_USCC = "91512081MA62K0260E"
