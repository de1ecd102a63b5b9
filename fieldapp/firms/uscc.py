"""Unified Social Credit Code (统一社会信用代码, GB 32100-2015): validation and check characters.

18 characters from a 31-letter alphabet (digits and capitals without I, O, S, V, Z). The last is
a check character over the first 17: alphabet[(31 - Σ vᵢ·wᵢ mod 31) mod 31] with wᵢ = 3^(i-1)
mod 31. A few codes issued early fail that check although real; imports may keep them when the
row says so, and such firms are marked (see ``Firm.uscc_checksum_ok``).
"""

from dataclasses import dataclass
from functools import lru_cache

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_VALUE = {ch: i for i, ch in enumerate(ALPHABET)}
WEIGHTS = tuple(pow(3, i, 31) for i in range(17))
LENGTH = 18


@dataclass(frozen=True)
class USCCProblem:
    """Why a code is refused: ``reason`` is a stable slug, ``message`` says it for people."""

    reason: str  # wrong_length | illegal_character | wrong_check_character
    message: str


def normalise(code: str) -> str:
    """Strip surrounding spaces and upper-case: codes are often typed in lower case."""
    return code.strip().upper()


def check_character(first17: str) -> str:
    """The check character for the first 17 characters of a code."""
    total = sum(_VALUE[ch] * w for ch, w in zip(first17, WEIGHTS, strict=True))
    return ALPHABET[(31 - total % 31) % 31]


@lru_cache(maxsize=4096)  # a row's code is checked by the field, the schema and the marker
def problem(code: str) -> USCCProblem | None:
    """What is wrong with a (normalised) code, or None when it is valid."""
    if len(code) != LENGTH:
        return USCCProblem("wrong_length", f"must be {LENGTH} characters, got {len(code)}")
    bad = sorted({ch for ch in code if ch not in _VALUE})
    if bad:
        return USCCProblem("illegal_character",
                           f"illegal character(s) {''.join(bad)!r}: only digits and capital "
                           "letters other than I, O, S, V, Z")
    expected = check_character(code[:17])
    if code[17] != expected:
        return USCCProblem("wrong_check_character",
                           f"check character is {code[17]!r} but should be {expected!r}")
    return None


def is_valid(code: str) -> bool:
    """True for a well-formed code with the right check character."""
    return problem(normalise(code)) is None
