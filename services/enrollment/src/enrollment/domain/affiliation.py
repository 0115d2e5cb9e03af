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


# The beneficiaries attached (guide 003: « Conjoint, Adulte, Enfant »): an adult dependant is of age on the date of
# effect, a child younger than the tenant's limit (`child_age_limit` of `[<tenant>.enrollment.add_beneficiary]`).
ADULT_AGE = 18
DEFAULT_CHILD_AGE_LIMIT = 28


def age_on(birth_date: date, day: date) -> int:
    return day.year - birth_date.year - ((day.month, day.day) < (birth_date.month, birth_date.day))


def age_refusal(role: str, birth_date: date, effective_date: date, child_age_limit: int) -> str | None:
    """Why a dependant of this role cannot be covered from that date for their age (French, for the user), or None."""
    age = age_on(birth_date, effective_date)
    if role == "ADULTE" and age < ADULT_AGE:
        return f"Un adulte à charge doit avoir au moins {ADULT_AGE} ans à la date d'effet : déclarez un enfant."
    if role == "ENFANT" and age >= child_age_limit:
        return f"Un enfant doit avoir moins de {child_age_limit} ans à la date d'effet : déclarez un adulte à charge."
    return None
