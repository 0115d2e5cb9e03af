"""The affiliation wizard's rules (guide 003, « Affiliation par l'employeur »): its steps, in order, and the
checks each makes that a form's types cannot (a NIR that agrees with its person, the tenant's lists)."""

from __future__ import annotations

from datetime import date

STEPS = ("family", "address", "contact", "coverage", "bank")
STEP_LABELS = {
    "family": "Famille",
    "address": "Adresse",
    "contact": "Coordonnées",
    "coverage": "Couverture",
    "bank": "RIB",
}
# The NIR's first digit: 1 for a man, 2 for a woman (3, 4, 7, 8: provisional numbers, not accepted here).
_SEX_DIGIT = {"M": "1", "MME": "2"}


def nir_disagreement(nir: str, birth_date: date, civility: str) -> str | None:
    """Why the NIR does not agree with the person (French, for the user), or None when it does: its sex digit,
    then the year and month of birth (a month 20 and above is INSEE's for an unknown or special month)."""
    digits = nir.replace(" ", "")
    if digits[0] != _SEX_DIGIT[civility]:
        return "Le numéro de sécurité sociale ne correspond pas à la civilité."
    if int(digits[1:3]) != birth_date.year % 100:
        return "Le numéro de sécurité sociale ne correspond pas à l'année de naissance."
    month = int(digits[3:5])
    if month <= 12 and month != birth_date.month:
        return "Le numéro de sécurité sociale ne correspond pas au mois de naissance."
    if month == 0 or 12 < month < 20:
        return "Le numéro de sécurité sociale n'a pas un mois de naissance valide."
    return None


def missing_steps(payload: dict) -> list[str]:
    return [step for step in STEPS if step not in payload]
