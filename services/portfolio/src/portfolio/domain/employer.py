"""Rules of the employer portal's reads (guide 003): the insured groups, the search of an employee (by
name, or by social security number checked with its key) and how NIRs and IBANs are kept and shown.

A NIR is never kept in clear by the portfolio: a keyed digest (HMAC-SHA256 under a key from the
settings) finds an employee by the number a correspondent types, and a masked form is what anyone sees."""

from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from stdnum.exceptions import InvalidChecksum, ValidationError
from stdnum.fr import nir as stdnum_nir

from extranet_plumbing.http import FieldRefused
from portfolio.domain.listing import Period, _words

INSURED_GROUPS = {"A": "Actif", "P": "Portabilité", "E": "Evin", "M": "Maintien"}
ROLES = {"CONJOINT": "Conjoint", "ENFANT": "Enfant", "ADULTE": "Adulte"}  # guide 003: « Conjoint, Adulte, Enfant »
PRIMARY_ROLE = "Assuré principal"
MAX_LIST_DAYS = 366 * 5


class InvalidEmployeeCriterion(FieldRefused):
    """A criterion of the employee search that cannot be right: the field and a French message."""


class NirDigest:
    """The keyed digest of a NIR: equal NIRs give equal digests under one key, and the digest cannot be
    turned back into the NIR (nor a NIR guessed from it by trying them all) without the key."""

    def __init__(self, key: bytes) -> None:
        if len(key) < 16:
            raise ValueError("the NIR search key must hold at least 16 bytes")
        self._keyed = hmac.new(key, digestmod=hashlib.sha256)  # the key's blocks, computed once (copied per NIR)

    def __call__(self, nir: str) -> str:
        mac = self._keyed.copy()
        mac.update(_compact(nir).encode())
        return mac.hexdigest()


def _compact(number: str) -> str:
    # The events' numbers are already compact (python-stdnum's form): the regular expression only for typed ones.
    return number.upper() if number.isalnum() else re.sub(r"[\s.]", "", number).upper()


def checked_nir(number: str | None, key: str | None) -> str:
    """The NIR typed in the search's two fields (13 characters, Corsica's 2A/2B included, and the
    2-digit key), checked with python-stdnum; the field at fault otherwise."""
    body = _compact(number or "")
    key = re.sub(r"\s", "", key or "")
    if not body:
        raise InvalidEmployeeCriterion("nir", "Saisissez le numéro de sécurité sociale (13 caractères).")
    if not re.fullmatch(r"[12]\d{4}(\d{2}|2A|2B)\d{6}", body):
        raise InvalidEmployeeCriterion("nir", "Le numéro de sécurité sociale compte 13 caractères (chiffres, 2A ou 2B pour la Corse).")
    if not re.fullmatch(r"\d{2}", key):
        raise InvalidEmployeeCriterion("nir_key", "La clé du numéro de sécurité sociale compte 2 chiffres.")
    try:
        return stdnum_nir.validate(body + key)
    except InvalidChecksum:
        raise InvalidEmployeeCriterion("nir_key", "La clé ne correspond pas au numéro de sécurité sociale : vérifiez-les.") from None
    except ValidationError:
        raise InvalidEmployeeCriterion("nir", "Ce numéro de sécurité sociale n'est pas valide.") from None


def checked_group(group: str | None) -> str | None:
    if group is not None and group not in INSURED_GROUPS:
        raise InvalidEmployeeCriterion("insured_group", "Groupe d'assurés : A (Actif), P (Portabilité), E (Evin) ou M (Maintien).")
    return group


@dataclass(frozen=True)
class Selection:
    """The contract and insured group the search or list is limited to (None: all those the correspondent may see)."""

    contract_number: str | None = None
    insured_group: str | None = None


@dataclass(frozen=True)
class EmployeeSearch:
    """« Un salarié »: at a date, by name (last name required; first name and birth date narrow it) or by
    NIR (its digest). The name is matched as people type it: accents, case and hyphens ignored, the start
    of the last name (and of the first name) enough."""

    as_of: date
    last_name: str | None = None
    first_name: str | None = None
    birth_date: date | None = None
    nir_digest: str | None = None

    @classmethod
    def checked(
        cls,
        digest: NirDigest,
        *,
        as_of: date,
        last_name: str | None = None,
        first_name: str | None = None,
        birth_date: date | None = None,
        nir: str | None = None,
        nir_key: str | None = None,
    ) -> EmployeeSearch:
        last_name, first_name = _words(last_name), _words(first_name)
        for field, text in (("last_name", last_name), ("first_name", first_name)):
            if text is not None and not text.isprintable():
                raise InvalidEmployeeCriterion(field, "Saisissez le nom en lettres.")
        if nir or nir_key:
            return cls(as_of, birth_date=birth_date, nir_digest=digest(checked_nir(nir, nir_key)))
        if last_name is None:
            raise InvalidEmployeeCriterion("last_name", "Saisissez le nom du salarié, ou son numéro de sécurité sociale.")
        return cls(as_of, last_name, first_name, birth_date)


@dataclass(frozen=True)
class EmployeeListing:
    """« Une liste de salariés »: the employees covered at some point of a period, with or without their dependants."""

    period: Period
    dependants: bool = False

    @classmethod
    def checked(cls, start: date, end: date, dependants: bool) -> EmployeeListing:
        if end < start:
            raise InvalidEmployeeCriterion("end", "La date de fin précède la date de début.")
        if (end - start).days > MAX_LIST_DAYS:
            raise InvalidEmployeeCriterion("end", "La période ne peut pas dépasser 5 ans.")
        return cls(Period(start, end), dependants)


EMPLOYEE_PAGE_SIZES = (10, 20, 50, 100, 500)

# « Cotisations »: the legacy system's codes as the portal words them.
SHARES = {"EMPLOYEUR": "Employeur", "SALARIE": "Salarié"}
FREQUENCIES = {"MENSUELLE": "Mensuelle", "TRIMESTRIELLE": "Trimestrielle", "SEMESTRIELLE": "Semestrielle", "ANNUELLE": "Annuelle"}
PAYMENT_MODES = {"PRELEVEMENT": "Prélèvement", "PRELEVEMENT_SALAIRE": "Prélèvement sur salaire", "CHEQUE": "Chèque", "VIREMENT": "Virement"}
FAMILY_SITUATIONS = {
    "CELIBATAIRE": "Célibataire",
    "MARIE": "Marié(e)",
    "PACSE": "Pacsé(e)",
    "CONCUBIN": "En concubinage",
    "DIVORCE": "Divorcé(e)",
    "SEPARE": "Séparé(e)",
    "VEUF": "Veuf ou veuve",
}
PRE_LITIGATION = {"AUCUNE": "Aucune", "EN_COURS": "En cours", "REGULARISEE": "Régularisée"}


def schedule_status(amount_due: Decimal, amount_paid: Decimal, due_date: date, today: date) -> str:
    """Where a schedule stands on `today`: paid, partly paid, unpaid once due, or still to come."""
    if amount_paid >= amount_due:
        return "Réglée"
    if due_date >= today:
        return "À venir" if amount_paid == 0 else "Partiellement réglée"
    return "Partiellement réglée" if amount_paid > 0 else "Impayée"


def payment_label(mode: str | None, frequency: str | None) -> str | None:
    """« Chèque (annuelle) »: how an employee pays its contributions, as the employee's sheet shows it."""
    if mode is None:
        return None
    label = PAYMENT_MODES.get(mode, mode)
    return f"{label} ({FREQUENCIES.get(frequency, frequency).lower()})" if frequency else label
