"""A NIR (French social security number) or an IBAN as shown to whoever may not read it whole: one
implementation for every service and portal (claims' household file, portfolio's employee sheet, enrollment's
requests once sent, the back office's and the portals' « what was asked »).

- NIR: `2 85 05 ** *** *** 41` — sex, year and month of birth (which the birth date shows anyway) and the key;
  the department (Corsica's 2A/2B included), commune and order number hidden. A value that is not a NIR's 15
  characters shows its last two only.
- IBAN: `FR76 **** **** **** **** ***0 189` — the country and its check digits, then the last four characters,
  in groups of four; 8 characters or fewer: nothing but stars.

Both take a number as typed (spaces, dots, hyphens, lower case) or already masked (masking it again gives the
same text)."""

from __future__ import annotations

import re

_SEPARATORS = re.compile(r"[\s.\-]")


def _compact(number: str) -> str:
    return _SEPARATORS.sub("", number).upper()


def masked_nir(nir: str) -> str:
    """'2 85 05 ** *** *** 41' (see the module)."""
    n = _compact(nir)
    if len(n) != 15:
        return "*" * max(len(n) - 2, 0) + n[-2:]
    return f"{n[0]} {n[1:3]} {n[3:5]} ** *** *** {n[13:15]}"


def masked_iban(iban: str) -> str:
    """'FR76 **** **** **** **** ***0 189' (see the module)."""
    compact = _compact(iban)
    if len(compact) <= 8:
        return "*" * len(compact)
    hidden = compact[:4] + "*" * (len(compact) - 8) + compact[-4:]
    return " ".join(hidden[i : i + 4] for i in range(0, len(hidden), 4))
