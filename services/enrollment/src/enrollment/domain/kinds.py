"""The kinds of request, what each checks, and the tenant's rules for them (the `enrollment` section of
the tenant registry: the effective-date window of each kind and the lists it chooses from).

    [mbtp.enrollment.employee_termination]
    days_back = 31         # the earliest effective date: today minus this many days
    days_ahead = 92        # the latest: today plus this many days
    reasons = { DEMISSION = "Démission", ... }   # the motifs a correspondent chooses from

    [mbtp.enrollment.affiliation]                # the wizard: effective dates, and its lists
    social_schemes = { GENERAL = "Régime général", ... }
    frequencies = { MENSUEL = "Mensuelle", ... }
    debit_days = { "5" = "Le 5 du mois", ... }

    [mbtp.enrollment.message]                    # « Écrivez-nous »: the subjects a member chooses from
    subjects = { REMBOURSEMENT = "Mes remboursements", ... }
    [mbtp.enrollment.add_beneficiary]            # the dates a beneficiary may be covered from
    days_back = 0
    days_ahead = 92
    child_age_limit = 28                         # a child is younger than this on the date (absent: 28)
    [mbtp.enrollment.change_guarantee]           # the member's situation changes: each its window; and lists:
    guarantees = { BTP-SANTE-CONFORT = "...", ... }   # the tenant's individual range (absent: none offered online)
    [solimut.enrollment.contribution_payment]    # « Paiement de cotisation en ligne »: offered where enabled
    enabled = true
    mutuelles = ["700"]                          # only to these mutuelles' members (a union's; absent: every member)
    [mbtp.enrollment.remove_beneficiary]
    reasons = { DIVORCE = "Divorce ou séparation", ... }
    [mbtp.enrollment.debit_day]
    debit_days = { "5" = "Le 5 du mois", ... }   # absent: the affiliation's days
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from extranet_plumbing.tenants import tenant as registry_tenant

EMPLOYEE_TERMINATION = "employee_termination"
AFFILIATION = "affiliation"
TP_CARD = "tp_card"
PAPERLESS = "paperless"
MESSAGE = "message"
ADD_BENEFICIARY = "add_beneficiary"
CONTACT_CHANGE = "contact_change"
BROKER_ADDRESS_CHANGE = "broker_address_change"
BROKER_CONTACT_CHANGE = "broker_contact_change"  # « Mes points de contact »: the office's contact person, email, phone
# The member's situation changes (guide 004, « Modifications »): domain/member_changes.py.
BENEFITS_IBAN = "benefits_iban"
CONTRIBUTION_IBAN = "contribution_iban"
DEBIT_DAY = "debit_day"
REMOVE_BENEFICIARY = "remove_beneficiary"
CHANGE_GUARANTEE = "change_guarantee"
ADDRESS_CHANGE = "address_change"
CONTACT_DETAILS = "contact_details"
COMMUNICATION_CHOICES = "communication_choices"
SPONSORSHIP = "sponsorship"
CONTRIBUTION_PAYMENT = "contribution_payment"  # « Cotisation »: the contribution due paid online (one tenant)

# The kinds the engine knows: made here (the portal names them), or made by another service and tracked
# from portal.requests (identity's contact changes, portfolio's address changes).
KIND_LABELS = {
    EMPLOYEE_TERMINATION: "Radiation d'un salarié",
    AFFILIATION: "Affiliation d'un salarié",
    TP_CARD: "Envoi de la carte de tiers payant",
    PAPERLESS: "Option zéro papier",
    MESSAGE: "Message à la mutuelle",
    ADD_BENEFICIARY: "Ajout d'un bénéficiaire",
    CONTACT_CHANGE: "Changement des informations de contact",
    BROKER_ADDRESS_CHANGE: "Changement d'adresse postale du cabinet",
    BROKER_CONTACT_CHANGE: "Changement des points de contact du cabinet",
    BENEFITS_IBAN: "Changement d'IBAN prestation",
    CONTRIBUTION_IBAN: "Changement d'IBAN cotisation",
    DEBIT_DAY: "Changement de date de prélèvement",
    REMOVE_BENEFICIARY: "Suppression d'un bénéficiaire",
    CHANGE_GUARANTEE: "Changement de garantie",
    ADDRESS_CHANGE: "Changement d'adresse",
    CONTACT_DETAILS: "Changement des téléphones et de l'e-mail",
    COMMUNICATION_CHOICES: "Changement des choix d'envoi des informations",
    SPONSORSHIP: "Proposition de parrainage",
    CONTRIBUTION_PAYMENT: "Paiement de cotisation en ligne",
}
# Kinds a portal creates through the engine, and the portals that may.
CREATED_HERE = {
    EMPLOYEE_TERMINATION: {"employer"},
    BROKER_CONTACT_CHANGE: {"broker"},
    AFFILIATION: {"employer"},
    TP_CARD: {"employer", "member"},
    PAPERLESS: {"member"},
    MESSAGE: {"member"},
    ADD_BENEFICIARY: {"member", "employer"},
    BENEFITS_IBAN: {"member"},
    CONTRIBUTION_IBAN: {"member"},
    DEBIT_DAY: {"member"},
    REMOVE_BENEFICIARY: {"member"},
    CHANGE_GUARANTEE: {"member"},
    ADDRESS_CHANGE: {"member"},
    CONTACT_DETAILS: {"member"},
    COMMUNICATION_CHOICES: {"member"},
    SPONSORSHIP: {"member"},
    CONTRIBUTION_PAYMENT: {"member"},
}
# The lists a kind chooses from: their key in the tenant's section -> the field they fill.
CHOICE_FIELDS = {
    "reasons": "reason",
    "social_schemes": "social_scheme",
    "frequencies": "frequency",
    "debit_days": "debit_day",
    "subjects": "subject",
    "guarantees": "guarantee_code",
}

DEFAULT_RULES: dict[str, dict[str, Any]] = {
    EMPLOYEE_TERMINATION: {
        "days_back": 31,
        "days_ahead": 92,
        "reasons": {
            "DEMISSION": "Démission",
            "LICENCIEMENT": "Licenciement",
            "FIN DE CONTRAT": "Fin de contrat",
            "MUTATION": "Mutation",
            "RETRAITE": "Retraite",
            "DECES": "Décès",
        },
    },
    AFFILIATION: {
        "days_back": 31,
        "days_ahead": 92,
        "social_schemes": {
            "GENERAL": "Régime général",
            "AGRICOLE": "Mutualité sociale agricole",
            "ALSACE": "Régime local Alsace-Moselle",
        },
        "frequencies": {"MENSUEL": "Mensuelle", "TRIMESTRIEL": "Trimestrielle", "SEMESTRIEL": "Semestrielle", "ANNUEL": "Annuelle"},
        "debit_days": {"5": "Le 5 du mois", "10": "Le 10 du mois", "15": "Le 15 du mois"},
    },
    MESSAGE: {
        "subjects": {
            "REMBOURSEMENT": "Mes remboursements",
            "COTISATION": "Mes cotisations",
            "CONTRAT": "Mon contrat et mes garanties",
            "DOCUMENT": "Un document",
            "AUTRE": "Autre demande",
        },
    },
    ADD_BENEFICIARY: {"days_back": 0, "days_ahead": 92, "child_age_limit": 28},
    BENEFITS_IBAN: {"days_back": 0, "days_ahead": 62},
    CONTRIBUTION_IBAN: {"days_back": 0, "days_ahead": 62},
    DEBIT_DAY: {"days_back": 0, "days_ahead": 92},  # its days: its own `debit_days`, else the affiliation's
    REMOVE_BENEFICIARY: {
        "days_back": 0,
        "days_ahead": 92,
        "reasons": {
            "DIVORCE": "Divorce ou séparation",
            "DECES": "Décès",
            "AUTRE_MUTUELLE": "Couvert par une autre complémentaire santé",
            "FIN_ETUDES": "Fin d'études ou début d'activité",
            "AUTRE": "Autre motif",
        },
    },
    # The range an individual contract may change to is the tenant's own (`guarantees` of its section): none here.
    CHANGE_GUARANTEE: {"days_back": 0, "days_ahead": 92},
    ADDRESS_CHANGE: {"days_back": 31, "days_ahead": 92},
    CONTACT_DETAILS: {"days_back": 0, "days_ahead": 31},
    COMMUNICATION_CHOICES: {"days_back": 0, "days_ahead": 31},
    SPONSORSHIP: {"days_back": 0, "days_ahead": 0},  # dated the day it is made
    CONTRIBUTION_PAYMENT: {"days_back": 0, "days_ahead": 0, "enabled": False},  # paid the day it is asked
}


@dataclass(frozen=True)
class Window:
    """The effective dates the tenant allows for a kind, on a day."""

    earliest: date
    latest: date

    def __contains__(self, day: date) -> bool:
        return self.earliest <= day <= self.latest


@dataclass(frozen=True)
class KindRules:
    kind: str
    days_back: int
    days_ahead: int
    choices: dict[str, dict[str, str]]  # field -> code -> French label
    options: dict[str, Any] = field(default_factory=dict)  # the section's other keys (enabled, child_age_limit, ...)

    def window(self, today: date) -> Window:
        return Window(today - timedelta(days=self.days_back), today + timedelta(days=self.days_ahead))


def rules(tenant: str, kind: str) -> KindRules:
    """The tenant's rules for `kind`: its section overrides the defaults, key by key."""
    defaults = DEFAULT_RULES.get(kind, {})
    own = registry_tenant(tenant).section("enrollment").get(kind, {})
    merged = {**defaults, **own}
    days_back, days_ahead = int(merged.get("days_back", 0)), int(merged.get("days_ahead", 0))
    if days_back < 0 or days_ahead < 0:
        raise ValueError(f"tenant {tenant}: enrollment.{kind}: days_back and days_ahead are >= 0")
    choices = {name: {str(code): label for code, label in merged[key].items()} for key, name in CHOICE_FIELDS.items() if key in merged}
    options = {key: value for key, value in merged.items() if key not in ("days_back", "days_ahead") and key not in CHOICE_FIELDS}
    return KindRules(kind, days_back, days_ahead, choices, options)


def child_age_limit(tenant: str) -> int:
    """A child is covered as such while younger than this (`child_age_limit` of the add_beneficiary section; the
    affiliation wizard's family step follows it too)."""
    return int(rules(tenant, ADD_BENEFICIARY).options.get("child_age_limit", 28))
