"""A broker's request to change the office's postal address (broker portal, profile): the form's fields
as the portal names them, checked with French sentences naming each field at fault, and the desired
effective date within the window the back office can act on (from today to six months ahead).

The address goes to the legacy system as `extranet_contracts.types.Address`: `line1` the street
(Adresse), `line2` the complement (Complément d'adresse), `locality` the lieu-dit, `postal_code`, `city`.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date

from extranet_contracts.types import Address

MONTHS_AHEAD = 6  # how far ahead a desired effective date may be

# field -> (what the portal calls it, required, longest accepted): Address's own limits.
FIELDS = {
    "line1": ("L'adresse", True, 120),
    "line2": ("Le complément d'adresse", False, 120),
    "locality": ("Le lieu-dit", False, 80),
    "postal_code": ("Le code postal", True, 5),
    "city": ("La ville", True, 80),
}
DATE_FIELD = "effective_date"
_CONTROL = re.compile(r"[\x00-\x1f\x7f\ud800-\udfff]")
_POSTAL_CODE = re.compile(r"^\d{5}$")
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@dataclass(frozen=True)
class FieldError:
    field: str
    message: str


class AddressChangeRefused(ValueError):
    """The form does not make a request: every field at fault, each with a sentence for the user."""

    def __init__(self, errors: list[FieldError]) -> None:
        super().__init__("; ".join(f"{e.field}: {e.message}" for e in errors))
        self.errors = errors


@dataclass(frozen=True)
class AddressChange:
    address: Address
    effective_date: date


def months_after(day: date, months: int) -> date:
    """The same day `months` later (the month's last day when it is shorter)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def effective_date_window(today: date) -> tuple[date, date]:
    """The first and last effective dates a broker may ask for today."""
    return today, months_after(today, MONTHS_AHEAD)


def _french(day: date) -> str:
    return day.strftime("%d/%m/%Y")


def field_errors(fields: dict[str, str], today: date) -> list[FieldError]:
    """What is wrong with the form's text fields (empty when nothing is)."""
    errors = []
    for name, (label, required, longest) in FIELDS.items():
        value = fields.get(name, "").strip()
        if _CONTROL.search(value):
            errors.append(FieldError(name, f"{label} contient des caractères interdits."))
        elif required and not value:
            errors.append(FieldError(name, f"{label} est obligatoire."))
        elif len(value) > longest:
            errors.append(FieldError(name, f"{label} ne peut dépasser {longest} caractères."))
        elif name == "postal_code" and not _POSTAL_CODE.match(value):
            errors.append(FieldError(name, "Le code postal doit compter 5 chiffres."))
    errors.extend(_date_errors(fields.get(DATE_FIELD, "").strip(), today))
    return errors


def _date_errors(value: str, today: date) -> list[FieldError]:
    if not value:
        return [FieldError(DATE_FIELD, "La date d'effet souhaitée est obligatoire.")]
    try:
        if not _ISO_DATE.match(value):
            raise ValueError(value)
        day = date.fromisoformat(value)
    except ValueError:
        return [FieldError(DATE_FIELD, "La date d'effet souhaitée n'est pas une date valide (AAAA-MM-JJ).")]
    first, last = effective_date_window(today)
    if day < first:
        return [FieldError(DATE_FIELD, "La date d'effet souhaitée ne peut pas être dans le passé.")]
    if day > last:
        return [FieldError(DATE_FIELD, f"La date d'effet souhaitée ne peut pas dépasser le {_french(last)}.")]
    return []


def address_change(fields: dict[str, str], today: date) -> AddressChange:
    """The request the form makes, or `AddressChangeRefused` naming every field at fault."""
    errors = field_errors(fields, today)
    if errors:
        raise AddressChangeRefused(errors)
    values = {name: fields.get(name, "").strip() or None for name in FIELDS}
    return AddressChange(address=Address(**values), effective_date=date.fromisoformat(fields[DATE_FIELD].strip()))
