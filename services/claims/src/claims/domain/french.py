"""Amounts, rates, dates and masked IBANs written as a French member reads them: 1 234,56 €, 70 %, 08/09/2026."""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal

NBSP = "\u00a0"  # between thousands and before a unit, so that a line never breaks inside an amount
CENT = Decimal("0.01")


def euros(amount: Decimal) -> str:
    """'1 234,56 €' (two decimals, always)."""
    whole, cents = f"{amount.quantize(CENT):,.2f}".split(".")
    return f"{whole.replace(',', NBSP)},{cents}{NBSP}€"


def percent(rate: Decimal) -> str:
    """'70 %', '33,33 %': the decimals only where there are some."""
    text = f"{rate.quantize(CENT):f}".rstrip("0").rstrip(".")
    return f"{text.replace('.', ',')}{NBSP}%"


def day(value: date) -> str:
    return value.strftime("%d/%m/%Y")


def quantity(value: Decimal) -> str:
    """'2', '1,5'."""
    return f"{value.quantize(CENT):f}".rstrip("0").rstrip(".").replace(".", ",")


def iban(masked: str) -> str:
    """A masked IBAN in groups of four, as a statement prints it: 'FR76 **** **** **** **** ***1 189'."""
    return " ".join(masked[i : i + 4] for i in range(0, len(masked), 4))


FRANCS_PER_EURO = Decimal("6.55957")  # the fixed conversion rate of 1 January 1999


def francs(amount: Decimal) -> str:
    """The amount in francs, as the legacy print still shows it: '45,26 francs'."""
    converted = (amount * FRANCS_PER_EURO).quantize(CENT, rounding=ROUND_HALF_UP)
    whole, cents = f"{converted:,.2f}".split(".")
    return f"{whole.replace(',', NBSP)},{cents}{NBSP}francs"
