"""The member's situation changes (guide 004, « Services en ligne », « Modifications »): what each checks that a
form's types cannot, each refusal a French sentence for the user that never repeats the value typed (an IBAN, a
phone number: personal data that must not reach a log or an error message), and how a change is shown afterwards
(the IBAN masked).

    benefits_iban      IBAN prestation: where the benefits are paid            any member
    contribution_iban  IBAN cotisation: where the contributions are debited    a member of an individual contract
    debit_day          date de prélèvement: a day of the tenant's list          a member of an individual contract
    remove_beneficiary a dependant removed, for a reason of the tenant's list  a member of an individual contract
    change_guarantee   a guarantee of the tenant's individual range            a member of an individual contract
    address_change     the household's postal address (or the member's work address)   any member
    contact_details    phones (mobile, home, work) and email                   any member
    communication_choices  each kind of information × email, post, SMS: accepted or refused   any member
    sponsorship        someone the member proposes to the mutuelle              any member
    contribution_payment  the contribution due paid online (one tenant's)      a member of an individual contract

A member of a collective contract asks their employer for a change of the contract (`CONTRACT_CHANGES`).
"""

from __future__ import annotations

import re
from datetime import date

import stdnum.iban
from email_validator import EmailNotValidError, validate_email
from stdnum.exceptions import ValidationError as NumberInvalid

from enrollment.domain import kinds
from enrollment.domain.kinds import Window
from extranet_contracts.masking import masked_iban as masked_iban  # rules.masked_iban: a request once sent
from extranet_contracts.phones import UnusablePhoneNumber, mobile_e164, phone_e164

# What a member of a collective contract asks their employer for (the rest is the member's own file).
CONTRACT_CHANGES = {
    kinds.CONTRIBUTION_IBAN: "changer le compte de prélèvement de vos cotisations",
    kinds.DEBIT_DAY: "changer la date de prélèvement de vos cotisations",
    kinds.REMOVE_BENEFICIARY: "retirer un bénéficiaire",
    kinds.CHANGE_GUARANTEE: "changer de garantie",
    kinds.CONTRIBUTION_PAYMENT: "payer vos cotisations",
}
# One request of these kinds at a time for a household (a second would race the first at the legacy system).
ONE_AT_A_TIME = {
    kinds.BENEFITS_IBAN: "Un changement d'IBAN prestation est déjà en cours.",
    kinds.CONTRIBUTION_IBAN: "Un changement d'IBAN cotisation est déjà en cours.",
    kinds.DEBIT_DAY: "Un changement de date de prélèvement est déjà en cours.",
    kinds.CHANGE_GUARANTEE: "Un changement de garantie est déjà en cours.",
    kinds.ADDRESS_CHANGE: "Un changement d'adresse est déjà en cours.",
    kinds.CONTACT_DETAILS: "Un changement de vos téléphones ou de votre e-mail est déjà en cours.",
    kinds.COMMUNICATION_CHOICES: "Un changement de vos choix d'envoi des informations est déjà en cours.",
    kinds.CONTRIBUTION_PAYMENT: "Un paiement de cotisation est déjà en cours de traitement.",
}
# A beneficiary's id the household does not hold: the same words whatever it is (another household's, made up).
NO_SUCH_BENEFICIARY = "Bénéficiaire introuvable."
PAYMENT_SOON = "Le paiement de cotisation en ligne sera bientôt disponible."
PAYMENT_NOT_OFFERED = "Le paiement de cotisation en ligne n'est pas proposé aux adhérents de votre mutuelle."
NOTHING_DUE = "Aucune cotisation n'est à régler en ligne à ce jour."
AMOUNT_CHANGED = "Le montant dû a changé : vérifiez le nouveau montant avant de payer."
# The kinds of information a member chooses channels for (« Choix d'envoi des informations »), and their names.
INFORMATION_KINDS = {
    "technical": "Informations techniques",
    "commercial": "Informations commerciales",
    "partners": "Informations partenaires",
    "other": "Autres informations",
}
# A BIC names its country in letters 5 and 6; a French IBAN may belong to a bank of an overseas territory or Monaco.
_FRENCH_BIC_COUNTRIES = {"FR", "GP", "MQ", "GF", "RE", "YT", "PM", "BL", "MF", "NC", "PF", "WF", "MC"}
_BIC = re.compile(r"^[A-Z]{4}[A-Z]{2}[A-Z0-9]{2}([A-Z0-9]{3})?$")
_POSTAL_CODE = re.compile(r"^\d{5}$")
_BENEFICIARY_ID = re.compile(r"^[0-9a-f]{12}$")
_NAME = re.compile(r"^[^\W\d_]+(?:[ '’.-]+[^\W\d_]+)*\.?$")


class Unacceptable(ValueError):
    """A value refused: the message is for the user, in French, and never holds the value itself."""


def checked_iban(raw: str) -> str:
    """The IBAN in its compact form, if python-stdnum finds it valid (its country's length and structure, its check digits)."""
    try:
        return stdnum.iban.validate(raw)
    except NumberInvalid:
        raise Unacceptable("Cet IBAN n'est pas valide : vérifiez-le sur votre relevé d'identité bancaire.") from None


def checked_bic(raw: str) -> str:
    compact = raw.replace(" ", "").upper()
    if not _BIC.match(compact):
        raise Unacceptable("Le code BIC compte 8 ou 11 caractères (lettres et chiffres) : vérifiez-le sur votre RIB.")
    return compact


def bic_disagreement(bic: str, iban: str) -> str | None:
    """Why the BIC cannot be the bank of that IBAN (their countries differ), or None."""
    country, bank_country = iban[:2], bic[4:6]
    if bank_country == country or (country == "FR" and bank_country in _FRENCH_BIC_COUNTRIES):
        return None
    return "Le code BIC ne correspond pas au pays de l'IBAN."


def checked_holder(raw: str) -> str:
    name = " ".join(raw.split())
    if not any(c.isalpha() for c in name):
        raise Unacceptable("Indiquez le nom du titulaire du compte.")
    return name


def checked_person_name(raw: str) -> str:
    name = " ".join(raw.split())
    if not _NAME.match(name):
        raise Unacceptable("Saisissez le nom en lettres.")
    return name


def checked_beneficiary_id(raw: str) -> str:
    """A beneficiary's id as the beneficiaries page gives it (12 hexadecimal characters)."""
    if not _BENEFICIARY_ID.match(raw):
        raise Unacceptable("Choisissez le bénéficiaire dans la liste de vos bénéficiaires.")
    return raw


def checked_address_kind(raw: str) -> str:
    if raw not in ("HOME", "WORK"):
        raise Unacceptable("Choisissez l'adresse personnelle ou l'adresse professionnelle.")
    return raw


def checked_consent(raw: str) -> str:
    """A choice of the member: accepted or refused (« non défini » is the legacy system's, until one is made)."""
    if raw not in ("ACCEPTE", "REFUSE"):
        raise Unacceptable("Choisissez « Accepté » ou « Refusé ».")
    return raw


def checked_phone(raw: str) -> str:
    """Any French or international number, in E.164."""
    try:
        return phone_e164(raw)
    except UnusablePhoneNumber:
        raise Unacceptable("Ce numéro de téléphone n'est pas valide.") from None


def checked_mobile(raw: str) -> str:
    """A number that can receive an SMS, in E.164."""
    try:
        return mobile_e164(raw)
    except UnusablePhoneNumber:
        raise Unacceptable("Saisissez un numéro de téléphone portable valide (06, 07 ou international).") from None


def checked_email(raw: str) -> str:
    try:
        return validate_email(raw.strip(), check_deliverability=False).normalized
    except EmailNotValidError:
        raise Unacceptable("Cette adresse e-mail n'est pas valide.") from None


def checked_postal_code(raw: str) -> str:
    code = raw.strip()
    if not _POSTAL_CODE.match(code):
        raise Unacceptable("Le code postal doit compter 5 chiffres.")
    return code


def checked_city(raw: str) -> str:
    city = " ".join(raw.split())
    if not any(c.isalpha() for c in city):
        raise Unacceptable("Indiquez la ville en lettres.")
    return city


def window_refusal(window: Window, effective: date) -> str | None:
    """Why the effective date is not allowed (French), or None."""
    if effective in window:
        return None
    return f"La date d'effet doit être comprise entre le {window.earliest:%d/%m/%Y} et le {window.latest:%d/%m/%Y}."


def debit_days(tenant: str) -> dict[str, str]:
    """The days of the month the tenant debits contributions on: the kind's own list, else the affiliation wizard's."""
    own = kinds.rules(tenant, kinds.DEBIT_DAY).choices.get("debit_day")
    return own if own else kinds.rules(tenant, kinds.AFFILIATION).choices.get("debit_day", {})


def choices(tenant: str, kind: str) -> dict[str, dict[str, str]]:
    """The lists a change chooses from, as its form shows them."""
    found = dict(kinds.rules(tenant, kind).choices)
    if kind == kinds.DEBIT_DAY:
        found["debit_day"] = debit_days(tenant)
    return found


def collective_refusal(kind: str) -> str:
    return f"Votre contrat est un contrat collectif souscrit par votre employeur : adressez-vous à lui pour {CONTRACT_CHANGES[kind]}."


def same_person(a: dict, b: dict) -> bool:
    """Whether two beneficiaries named in requests are the same person: their `beneficiary_id` when both carry one,
    else first name and birth date (as the legacy system finds a dependant within a household)."""
    if a.get("beneficiary_id") and b.get("beneficiary_id"):
        return a["beneficiary_id"] == b["beneficiary_id"]
    return a["birth_date"] == b["birth_date"] and a["first_name"].casefold() == b["first_name"].casefold()
