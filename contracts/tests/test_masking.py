"""NIR and IBAN masked the one way every service and portal shows them (extranet_contracts.masking)."""

from __future__ import annotations

import pytest

from extranet_contracts.masking import masked_iban, masked_nir


@pytest.mark.parametrize(
    ("nir", "shown"),
    [
        ("285057800608441", "2 85 05 ** *** *** 41"),  # claims' household file, as python-stdnum compacts it
        ("269030309814479", "2 69 03 ** *** *** 79"),  # portfolio's employee sheet
        ("1 69 03 75 123 456 49", "1 69 03 ** *** *** 49"),  # as typed, with spaces
        ("1.69.03.75.123.456.49", "1 69 03 ** *** *** 49"),  # with dots
        ("169032A12345609", "1 69 03 ** *** *** 09"),  # Corse-du-Sud: 2A hidden with the department
        ("2 85 05 2b 045 123 64", "2 85 05 ** *** *** 64"),  # Haute-Corse, typed in lower case
        ("2 85 05 ** *** *** 41", "2 85 05 ** *** *** 41"),  # masked already: the same
        ("12345678", "******78"),  # not a NIR's length: its last two characters only
        ("", ""),
    ],
)
def test_a_nir_shows_sex_birth_year_and_month_and_its_key_only(nir: str, shown: str) -> None:
    assert masked_nir(nir) == shown


@pytest.mark.parametrize("nir", ["169032A12345609", "285052B04512364"])
def test_a_corsican_nir_shows_neither_its_department_nor_its_commune(nir: str) -> None:
    shown = masked_nir(nir)
    assert "2A" not in shown and "2B" not in shown and "123" not in shown and "045" not in shown


@pytest.mark.parametrize(
    ("iban", "shown"),
    [
        ("FR7630006000011234567890189", "FR76 **** **** **** **** ***0 189"),
        ("FR76 3000 6000 0112 3456 7890 189", "FR76 **** **** **** **** ***0 189"),  # as typed
        ("fr7630006000011234567890189", "FR76 **** **** **** **** ***0 189"),
        ("FR7630001007941234567890185", "FR76 **** **** **** **** ***0 185"),
        ("DE89370400440532013000", "DE89 **** **** **** **30 00"),  # another country's length
        ("FR76 **** **** **** **** ***0 189", "FR76 **** **** **** **** ***0 189"),  # masked already: the same
        ("FR76*******************1189", "FR76 **** **** **** **** ***1 189"),  # a payment's masked IBAN (legacy form)
        ("FR761234", "********"),  # too short to show anything
    ],
)
def test_an_iban_shows_its_country_check_digits_and_last_four_characters_only(iban: str, shown: str) -> None:
    assert masked_iban(iban) == shown
