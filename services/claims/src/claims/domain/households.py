"""A household's file as the member portal shows it: the contract page (guarantee history, the current
guarantee, the contribution block, what a member of a collective contract is told), the beneficiaries
with their NIR and IBAN masked, the communication preferences matrix, and which statements are online
(paperless: a year of them; otherwise the last ten, as the tenant sets it).

The read model keeps what the legacy system published as JSON; `masked_beneficiaries` writes the
beneficiaries with their NIR and IBAN already masked, so that the full numbers are never stored here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from claims.domain.french import day, euros
from claims.domain.payments import beneficiary_id
from claims.tenancy import ClaimsTenant
from extranet_contracts.households import HouseholdBeneficiary
from extranet_contracts.masking import masked_iban as mask_iban
from extranet_contracts.masking import masked_nir as mask_nir

PAYMENT_MODES = {
    "PRELEVEMENT": "Prélèvement bancaire",
    "PRELEVEMENT_SALAIRE": "Prélèvement sur salaire",
    "CHEQUE": "Chèque",
    "VIREMENT": "Virement",
}
FREQUENCIES = {
    "MENSUELLE": "tous les mois",
    "TRIMESTRIELLE": "tous les trimestres",
    "SEMESTRIELLE": "tous les semestres",
    "ANNUELLE": "tous les ans",
}
NO_PAYMENT = "Nous n'avons enregistré aucun règlement de votre part."
EMPLOYER_SHARE_NOTE = "Ces informations sont données déduction faite de votre éventuelle participation employeur."
ROLES = {"ASSURE": "adhérent", "CONJOINT": "ayant droit", "ENFANT": "ayant droit", "ADULTE": "ayant droit"}
INFORMATION_KINDS = {
    "technical": "Informations techniques",
    "commercial": "Informations commerciales",
    "partners": "Informations partenaires",
    "other": "Autres informations",
}
CHANNELS = ("email", "post", "sms")
CONSENTS = {"ACCEPTE": ("accepted", "Accepté"), "REFUSE": ("refused", "Refusé"), "NON_DEFINI": ("undefined", "Non défini")}


def collective_notice(company_name: str | None) -> str:
    employer = f" ({company_name})" if company_name else ""
    return (
        f"Votre contrat est un contrat collectif souscrit par votre employeur{employer} : pour toute modification de vos "
        "coordonnées ou de votre contrat, merci de vous adresser à votre employeur."
    )


def _date(value: Any) -> date | None:
    return date.fromisoformat(value) if isinstance(value, str) else value


def current_guarantee(guarantees: Sequence[Mapping[str, Any]], today: date) -> Mapping[str, Any] | None:
    """The guarantee in force today (the latest started among those), else None."""
    running = [g for g in guarantees if _date(g["start_date"]) <= today and (g.get("end_date") is None or today <= _date(g["end_date"]))]
    return max(running, key=lambda g: _date(g["start_date"])) if running else None


def contract_page(contract: Mapping[str, Any], today: date) -> dict[str, Any]:
    """The contract page from the stored contract (the legacy event's JSON)."""
    guarantees = sorted(contract["guarantees"], key=lambda g: _date(g["start_date"]), reverse=True)
    current = current_guarantee(guarantees, today)
    collective = contract["kind"] == "COLLECTIF"
    contribution = contract["contribution"]
    last = contribution.get("last_payment")
    mode = PAYMENT_MODES[contribution["payment_mode"]]
    return {
        "contract_number": contract["contract_number"],
        "kind": "collective" if collective else "individual",
        "company_name": contract.get("company_name"),
        "subscription_date": contract["subscription_date"],
        "collective_notice": collective_notice(contract.get("company_name")) if collective else None,
        "guarantees": [
            {
                "code": g["guarantee_code"],
                "name": g["name"],
                "start_date": g["start_date"],
                "end_date": g.get("end_date"),
                "current": g is current,
            }
            for g in guarantees
        ],
        "current_guarantee": None
        if current is None
        else {
            "code": current["guarantee_code"],
            "name": current["name"],
            "start_date": current["start_date"],
            "end_date": current.get("end_date"),
            "brochure_url": current.get("brochure_url"),
            "benefits": current.get("benefits", []),
        },
        "contribution": {
            "payment_mode": mode,
            "frequency": FREQUENCIES[contribution["frequency"]],
            "payment": f"{mode}, {FREQUENCIES[contribution['frequency']]}",
            "employer_share": contribution.get("employer_share", False),
            "last_payment": last,
            "last_payment_text": f"{euros(Decimal(last['amount']))} le {day(_date(last['paid_on']))}" if last else NO_PAYMENT,
            "note": EMPLOYER_SHARE_NOTE,
        },
    }


def masked_beneficiaries(member_number: str, beneficiaries: Sequence[HouseholdBeneficiary]) -> list[dict[str, Any]]:
    """The beneficiaries as the read model keeps them: NIR and IBAN masked, each with the id the
    reimbursements' search knows them by."""
    kept = []
    for person in beneficiaries:
        account = person.benefits_account
        kept.append(
            {
                "id": beneficiary_id(member_number, person.first_name, person.birth_date),
                "role": person.role.value,
                "civility": person.civility.value,
                "last_name": person.last_name,
                "first_name": person.first_name,
                "birth_date": person.birth_date.isoformat(),
                "nir": mask_nir(person.nir) if person.nir else None,
                "home_address": person.home_address.model_dump(mode="json") if person.home_address else None,
                "work_address": person.work_address.model_dump(mode="json") if person.work_address else None,
                "phones": {"mobile": person.mobile_phone, "home": person.home_phone, "work": person.work_phone},
                "email": person.email,
                "benefits_account": None
                if account is None
                else {"iban": mask_iban(account.iban), "bic": account.bic, "bank_name": account.bank_name, "holder": account.holder},
            }
        )
    return kept


def beneficiaries_page(stored: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The primary insured first, then the dependants by birth date."""
    ordered = sorted(stored, key=lambda b: (b["role"] != "ASSURE", b["birth_date"], b["first_name"]))
    return [{**b, "role_label": ROLES[b["role"]]} for b in ordered]


def preferences_page(matrix: Mapping[str, Mapping[str, str]] | None) -> list[dict[str, Any]]:
    """The matrix, one row per kind of information, each channel accepted, refused or not defined."""
    rows = []
    for kind, label in INFORMATION_KINDS.items():
        cells = (matrix or {}).get(kind, {})
        row: dict[str, Any] = {"kind": kind, "label": label}
        for channel in CHANNELS:
            value, text = CONSENTS[cells.get(channel, "NON_DEFINI")]
            row[channel] = {"value": value, "label": text}
        rows.append(row)
    return rows


@dataclass(frozen=True)
class Online:
    """Which statements are online: paperless, those paid since a day; otherwise the last few."""

    paperless: bool
    since: date | None
    last: int | None

    @classmethod
    def rule(cls, paperless: bool, today: date, tenant: ClaimsTenant) -> Online:
        if paperless:
            return cls(True, today - timedelta(days=tenant.paperless_online_days), None)
        return cls(False, None, tenant.statements_online)

    def described(self, tenant: ClaimsTenant) -> str:
        days = tenant.paperless_online_days
        period = "des douze derniers mois" if days == 365 else f"des {days} derniers jours"
        if self.paperless:
            return f"Vous ne recevez plus vos relevés à domicile : ceux {period} sont en ligne."
        return (
            f"Vos {tenant.statements_online} derniers relevés de prestations sont en ligne. En choisissant de ne plus recevoir vos "
            f"relevés à domicile, vous accédez en ligne à ceux {period}."
        )
