"""Valid French identifiers: NIR, SIREN/SIRET, IBAN (with its RIB key), phone numbers.

Check digits come from python-stdnum, so what the simulator emits is exactly what the event
models (and the platform) accept.
"""

from __future__ import annotations

import random
from array import array
from datetime import date

from stdnum import luhn as _luhn
from stdnum.fr import nir as _nir


class NirAllocator:
    """Hands out social security numbers that are valid and unique within one generation.

    A NIR is sex (1 M, 2 F) + year (2) + month (2) + birthplace (department 2 + commune 3, or
    99 + country code 3 when born abroad) + order number (3) + key (2). Uniqueness comes from a
    counter per (sex, year, month, birthplace) cell: a fixed-size array, so memory stays constant
    however many people are generated.
    """

    def __init__(self, birthplaces: list[str]) -> None:
        self._places = birthplaces
        self._counters = array("H", bytes(2 * 2 * 100 * 12 * len(birthplaces)))

    def allocate(self, male: bool, birth_date: date, place_index: int) -> str:
        sex = 0 if male else 1
        yy = birth_date.year % 100
        month = birth_date.month - 1
        n = len(self._places)
        for attempt in range(n):
            place = (place_index + attempt) % n
            cell = ((sex * 100 + yy) * 12 + month) * n + place
            # Order numbers of a cell start at a cell-specific offset so that they do not all read 001.
            order = (cell * 7919) % 300 + self._counters[cell] + 1
            if order <= 999:
                self._counters[cell] += 1
                body = f"{sex + 1}{yy:02d}{month + 1:02d}{self._places[place]}{order:03d}"
                return body + _nir.calc_check_digits(body)
        raise RuntimeError("no NIR left for this birth month")  # pragma: no cover - 600+ per cell


def siren(rng: random.Random) -> str:
    """A Luhn-valid SIREN (9 digits) of a company (first digit 3-9, never La Poste's 356000000)."""
    while True:
        body = str(rng.randint(3, 9)) + f"{rng.randrange(10**7):07d}"
        number = body + _luhn.calc_check_digit(body)
        if not number.startswith("356000000"):
            return number


def siret(rng: random.Random, siren_number: str | None = None) -> str:
    """A SIRET: SIREN + NIC (establishment number), the 14 digits Luhn-valid."""
    head = siren_number or siren(rng)
    nic = f"{rng.choice((1, 1, 1, 1, 2, 2, 3, 4)):04d}"  # NIC like 00012, 00020, 00038...
    body = head + nic
    return body + _luhn.calc_check_digit(body)


def rib_key(bank: str, branch: str, account: str) -> str:
    """The 2-digit key of a French RIB (account number made of digits here)."""
    return f"{97 - (89 * int(bank) + 15 * int(branch) + 3 * int(account)) % 97:02d}"


def iban_check_digits(country: str, bban: str) -> str:
    """ISO 13616 check digits (mod 97-10) of an IBAN whose BBAN is made of digits."""
    letters = "".join(str(ord(ch) - 55) for ch in country)  # F -> 15, R -> 27
    return f"{98 - int(bban + letters + '00') % 97:02d}"


def french_iban(rng: random.Random, bank_code: str) -> str:
    """A French IBAN (FR76...): FR + check digits + bank (5) + branch (5) + account (11) + RIB key (2)."""
    branch = f"{int(rng.random() * 99_999) + 1:05d}"
    account = f"{int(rng.random() * 9 * 10**10) + 10**10:011d}"
    bban = bank_code + branch + account + rib_key(bank_code, branch, account)
    return "FR" + iban_check_digits("FR", bban) + bban


def _digits8(rng: random.Random) -> str:
    """'12 34 56 78': four random pairs of digits."""
    n = f"{int(rng.random() * 10**8):08d}"
    return f"{n[0:2]} {n[2:4]} {n[4:6]} {n[6:8]}"


def mobile_phone(rng: random.Random) -> str:
    """A French mobile number, 06 or 07 (07 3x to 07 9x), as written on a form: 06 12 34 56 78."""
    u = rng.random()
    if u < 0.65:
        return "06 " + _digits8(rng)
    return f"07 {3 + int((u - 0.65) / 0.35 * 7)}" + _digits8(rng)[1:]


def landline(rng: random.Random, zone: str) -> str:
    """A geographic number of the zone (01 Île-de-France ... 05 south-west): 04 78 12 34 56."""
    return f"{zone} {1 + int(rng.random() * 9)}" + _digits8(rng)[1:]
