"""What every list of the broker portal shares: the page asked for, the column it is sorted on, the
period of the Productions and Radiations tabs, and the search criteria, checked before any query."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Literal

from stdnum.fr import siret as stdnum_siret

from extranet_plumbing.http import FieldRefused

PAGE_SIZES = (5, 10, 20, 50, 100)
Order = Literal["asc", "desc"]


class InvalidCriterion(FieldRefused):
    """A search criterion that cannot be right: the field at fault and a message for the user (French)."""


@dataclass(frozen=True)
class Page:
    number: int = 1
    size: int = 10
    sort: str | None = None
    order: Order = "asc"

    @property
    def offset(self) -> int:
        return (self.number - 1) * self.size

    def order_by(self, columns: dict[str, str], default: str, tie_breaker: str) -> str:
        """An ORDER BY clause from a whitelist (column name → SQL expression): never the caller's text."""
        if self.sort is not None and self.sort not in columns:
            raise InvalidCriterion("sort", f"Tri impossible sur « {self.sort} ».")
        expression = columns[self.sort or default]
        direction = "DESC" if self.order == "desc" else "ASC"
        return f"{expression} {direction} NULLS LAST, {tie_breaker}"


@dataclass(frozen=True)
class Period:
    start: date
    end: date

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise InvalidCriterion("to", "La date de fin précède la date de début.")


@dataclass(frozen=True)
class Search:
    """Criteria of the Effectifs, Productions and Radiations searches (all optional, combined)."""

    legal_name: str | None = None
    company_code: str | None = None
    siret: str | None = None
    insured_name: str | None = None
    member_number: str | None = None

    @classmethod
    def checked(
        cls,
        *,
        legal_name: str | None = None,
        company_code: str | None = None,
        siret: str | None = None,
        insured_name: str | None = None,
        member_number: str | None = None,
    ) -> Search:
        legal_name = _words(legal_name)
        insured_name = _words(insured_name)
        company_code = _digits(company_code)
        member_number = _digits(member_number)
        siret = _digits(siret)
        if legal_name is not None and len(legal_name) < 2:
            raise InvalidCriterion("legal_name", "Saisissez au moins 2 caractères de la raison sociale.")
        if insured_name is not None and len(insured_name) < 2:
            raise InvalidCriterion("insured_name", "Saisissez au moins 2 caractères du nom de l'assuré.")
        if company_code is not None and not re.fullmatch(r"\d{8}", company_code):
            raise InvalidCriterion("company_code", "Le code entreprise compte 8 chiffres.")
        if member_number is not None and not re.fullmatch(r"\d{8}", member_number):
            raise InvalidCriterion("member_number", "Le numéro d'adhérent compte 8 chiffres.")
        if siret is not None:
            if not re.fullmatch(r"\d{14}", siret):
                raise InvalidCriterion("siret", "Le numéro de SIRET compte 14 chiffres.")
            if not stdnum_siret.is_valid(siret):
                raise InvalidCriterion("siret", "Ce numéro de SIRET n'est pas valide : vérifiez sa clé.")
        return cls(legal_name, company_code, siret, insured_name, member_number)

    @property
    def by_insured(self) -> bool:
        return self.insured_name is not None or self.member_number is not None

    def described(self) -> list[tuple[str, str]]:
        """The criteria as an export shows them (French labels)."""
        labels = {
            "legal_name": "Raison sociale",
            "company_code": "Code entreprise",
            "siret": "Numéro de SIRET",
            "insured_name": "Nom de l'assuré",
            "member_number": "Numéro d'adhérent",
        }
        return [(label, value) for key, label in labels.items() if (value := getattr(self, key))]


def _words(text: str | None) -> str | None:
    text = " ".join(text.split()) if text else ""
    return text or None


def _digits(text: str | None) -> str | None:
    text = re.sub(r"[\s.]", "", text) if text else ""
    return text or None


def status_on(start: date | None, end: date | None, day: date) -> str:
    """A membership's status on a day, as the insured list shows it."""
    if start is not None and start > day:
        return "À venir"
    if end is not None and end < day:
        return "Résilié"
    return "Actif"
