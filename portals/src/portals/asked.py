"""What a request asks, as a person reads it (the back office's request page and every requester's own, « Mes
demandes »): French labels, dates as JJ/MM/AAAA, codes by their labels in the mutuelle's lists, yes or no, people
and addresses as groups; a NIR or an IBAN only masked (the legacy system has them whole: a page never shows them)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from enrollment.domain import kinds
from extranet_contracts.masking import masked_iban, masked_nir
from portals.formats import french_amount, french_date

FIELD_LABELS = {
    "member_number": "Numéro d'adhérent",
    "contract_number": "Contrat",
    "membership_id": "Référence de l'adhésion",
    "company_code": "Code entreprise",
    "broker_code": "Code courtier",
    "effective_date": "Date d'effet",
    "reason": "Motif",
    "paperless": "Option zéro papier",
    "subject": "Sujet",
    "message": "Message",
    "reply_email": "Adresse e-mail de réponse",
    "beneficiary": "Bénéficiaire",
    "primary": "Assuré principal",
    "family": "Assuré principal et bénéficiaires",
    "dependants": "Bénéficiaires",
    "role": "Qualité",
    "civility": "Civilité",
    "last_name": "Nom",
    "first_name": "Prénom",
    "birth_date": "Date de naissance",
    "nir": "N° de sécurité sociale",
    "social_scheme": "Régime social",
    "address": "Adresse",
    "line1": "Adresse",
    "line2": "Complément d'adresse",
    "locality": "Lieu-dit",
    "postal_code": "Code postal",
    "city": "Ville",
    "country": "Pays",
    "contact": "Contact",
    "email": "Adresse e-mail",
    "phone": "Téléphone",
    "coverage": "Garantie",
    "guarantee_code": "Garantie",
    "guarantee_name": "Garantie demandée",
    "callback_phone": "Téléphone pour être rappelé",
    "mobile_phone": "Téléphone portable",
    "home_phone": "Téléphone personnel",
    "work_phone": "Téléphone professionnel",
    "account": "Compte bancaire",
    "bank": "Coordonnées bancaires",
    "iban": "IBAN",
    "bic": "BIC",
    "holder": "Titulaire du compte",
    "frequency": "Périodicité",
    "debit_day": "Jour de prélèvement",
    "beneficiary_id": "Identifiant du bénéficiaire dans le foyer",
    "amount": "Montant payé",
    "due_date": "Échéance",
    "payment_reference": "Référence du paiement",
}
FIELD_ORDER = list(FIELD_LABELS)
CODE_LABELS = {
    "role": {"CONJOINT": "Conjoint", "ADULTE": "Adulte à charge", "ENFANT": "Enfant", "ASSURE": "Assuré principal"},
    "civility": {"M": "Monsieur", "MME": "Madame"},
    "country": {"FR": "France"},
}
DATE_FIELDS = {"effective_date", "birth_date", "due_date"}
AMOUNT_FIELDS = {"amount"}  # euros, as the request keeps them ("58.40")
MEDIA_LABELS = {"application/pdf": "PDF", "image/png": "Image PNG", "image/jpeg": "Image JPEG"}


@dataclass(frozen=True)
class Line:
    """One thing asked: a label and its value, or a group of lines (a person, an address)."""

    label: str
    value: str = ""
    lines: tuple[Line, ...] = ()


def readable(payload: dict[str, Any], tenant: str, kind: str) -> tuple[Line, ...]:
    """The payload as an operator reads it: French labels, dates as JJ/MM/AAAA, codes by their labels in
    the mutuelle's lists, yes or no, people and addresses as groups."""
    choices = kinds.rules(tenant, kind).choices
    return _lines(payload, choices)


def _lines(values: dict[str, Any], choices: dict[str, dict[str, str]]) -> tuple[Line, ...]:
    def order(key: str) -> tuple[bool, int]:  # a level's own values first, then its groups
        return isinstance(values[key], dict | list), FIELD_ORDER.index(key) if key in FIELD_ORDER else len(FIELD_ORDER)

    lines = []
    for key in sorted(values, key=order):
        value, label = values[key], FIELD_LABELS.get(key, f"Autre information ({key})")
        if value is None or value == "" or value == []:
            continue
        if isinstance(value, dict):
            lines.append(Line(label, lines=_lines(value, choices)))
        elif isinstance(value, list):
            lines += [
                Line(f"{label} {number}", lines=_lines(item, choices)) if isinstance(item, dict) else Line(f"{label} {number}", str(item))
                for number, item in enumerate(value, start=1)
            ]
        else:
            lines.append(Line(label, _value(key, value, choices)))
    return tuple(lines)


def _value(key: str, value: Any, choices: dict[str, dict[str, str]]) -> str:
    if isinstance(value, bool):
        return "Oui" if value else "Non"
    text = str(value)
    if key in DATE_FIELDS:
        return french_date(text)
    if key in AMOUNT_FIELDS:
        return french_amount(Decimal(text))
    if key in MASKED:
        return MASKED[key](text)
    labels = choices.get(key) or CODE_LABELS.get(key) or {}
    return labels.get(text, text)


MASKED = {"nir": masked_nir, "iban": masked_iban}  # typed, or masked already by the request once sent
