"""A household's file as the legacy system holds it, for the member portal: the member's contract (the
collective contract's guarantees the member held, with their benefits tables and brochures), the
contribution block, the beneficiaries with their details and IBAN for benefits, and the communication
preferences with the paperless option.

Drawn from a random generator of the household's own, so that publishing the files changes no other
event of the stream.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import date, timedelta
from decimal import Decimal

from extranet_contracts.households import (
    Benefit,
    BenefitsBankAccount,
    ChannelConsents,
    CommunicationPreferencesRecorded,
    Consent,
    ContractKind,
    Contribution,
    ContributionPayment,
    Frequency,
    GuaranteePeriod,
    HouseholdBeneficiariesRecorded,
    HouseholdBeneficiary,
    MemberContractRecorded,
    PaymentMode,
)
from extranet_contracts.legacy import MemberAffiliated
from legacy_simulator import numbers

Guarantee = tuple[str, str, date, date | None]  # code, name, start, end (as GuaranteeAttached)

# The benefits table of each guarantee (tableau des prestations), as brochures write them (BR: the social
# security's base of reimbursement).
BENEFITS: dict[str, tuple[tuple[str, str, str], ...]] = {
    "SANTE-SOCLE": (
        ("Soins courants", "Consultation médecin généraliste", "100 % BR"),
        ("Soins courants", "Consultation médecin spécialiste", "100 % BR"),
        ("Soins courants", "Pharmacie remboursée à 65 %", "100 % BR"),
        ("Soins courants", "Analyses de biologie médicale", "100 % BR"),
        ("Optique", "Équipement 100 % Santé", "Frais réels"),
        ("Optique", "Équipement à tarif libre", "100 € par équipement"),
        ("Dentaire", "Soins dentaires", "100 % BR"),
        ("Dentaire", "Prothèses hors 100 % Santé", "125 % BR"),
        ("Hospitalisation", "Frais de séjour", "100 % BR"),
        ("Hospitalisation", "Forfait journalier hospitalier", "Frais réels"),
    ),
    "RENFORT-1": (("Soins courants", "Dépassements d'honoraires des spécialistes", "+ 80 % BR"),),
    "RENFORT-2": (
        ("Soins courants", "Dépassements d'honoraires", "+ 150 % BR"),
        ("Hospitalisation", "Chambre particulière", "50 € par jour"),
    ),
    "SURCOMPL": (("Hospitalisation", "Dépassements d'honoraires en établissement", "+ 100 % BR"),),
    "MED-DOUCES": (("Médecines douces", "Ostéopathie, chiropractie, acupuncture", "30 € par séance, 4 séances par an"),),
    "OPT-DENTAIRE": (("Dentaire", "Prothèses hors 100 % Santé", "+ 240 € par prothèse"), ("Dentaire", "Orthodontie", "300 € par semestre")),
    "OPT-OPTIQUE": (("Optique", "Équipement à tarif libre", "200 € par équipement"), ("Optique", "Lentilles", "150 € par an")),
    "ASSIST-SOCLE": (("Assistance", "Aide à domicile après hospitalisation", "Jusqu'à 10 heures"),),
}
_WEBSITES = {
    "mbtp": "https://www.mutuelle-mbtp.com",
    "marseille": "https://mutuelle-marseille.com",
    "solimut": "https://www.solimut-mutuelle.fr",
    "mgen": "https://www.mgen.fr",
}
_BANK_NAMES = {
    "BNPA": "BNP Paribas",
    "SOGE": "Société Générale",
    "CRLY": "LCL",
    "PSST": "La Banque Postale",
    "CMCI": "Crédit Mutuel - CIC",
    "AGRI": "Crédit Agricole",
    "CEPA": "Caisse d'Epargne",
}
MONTHLY_CONTRIBUTION = {1: Decimal("42.00"), 2: Decimal("68.00"), 3: Decimal("81.00"), 4: Decimal("94.00")}


def _benefits(code: str) -> list[Benefit]:
    base = "SANTE-SOCLE" if code.startswith("SANTE-SOCLE") else code
    return [Benefit(category=c, label=label, level=level) for c, label, level in BENEFITS.get(base, ())]


def _held(guarantees: Sequence[Guarantee], since: date, until: date | None, tenant: str) -> list[GuaranteePeriod]:
    """The contract's guarantees the member held: those that overlap their membership, from its start."""
    held = []
    website = _WEBSITES.get(tenant, "https://www.mutuelle.example")
    for code, name, start, end in guarantees:
        if (end is not None and end < since) or (until is not None and start > until):
            continue
        finish = min(d for d in (end, until) if d is not None) if (end or until) else None
        held.append(
            GuaranteePeriod(
                guarantee_code=code,
                name=name,
                start_date=max(start, since),
                end_date=finish,
                brochure_url=f"{website}/plaquettes/{code.lower()}.pdf",
                benefits=_benefits(code),
            )
        )
    return held


def _consents(rng: random.Random) -> ChannelConsents:
    def one(weights: tuple[int, int, int]) -> Consent:
        return rng.choices((Consent.ACCEPTED, Consent.REFUSED, Consent.UNDEFINED), weights)[0]

    return ChannelConsents(email=one((40, 10, 50)), post=one((30, 10, 60)), sms=one((15, 35, 50)))


def _bank_name(bic: str) -> str | None:
    return _BANK_NAMES.get(bic[:4])


_MONTHS = {Frequency.MONTHLY: 1, Frequency.QUARTERLY: 3, Frequency.HALF_YEARLY: 6, Frequency.YEARLY: 12}


def _payment(rng: random.Random, affiliation: MemberAffiliated) -> tuple[PaymentMode, Frequency]:
    """How the member pays its share of the contributions: as the affiliation says (MemberAffiliated's payment_mode
    and payment_frequency, the employee's sheet shows them), so that the member portal and the employer portal agree;
    drawn for an affiliation that says neither (events before v1's fields). The draw is made either way: the file's
    other draws stay as they were."""
    payroll = rng.random() < 0.6
    drawn = PaymentMode.PAYROLL if payroll else PaymentMode.DIRECT_DEBIT
    return affiliation.payment_mode or drawn, affiliation.payment_frequency or Frequency.MONTHLY


def household_file(
    rng: random.Random,
    *,
    affiliation: MemberAffiliated,
    covered_until: date | None,
    guarantees: Sequence[Guarantee],
    company_name: str | None,
    tenant: str,
    today: date,
) -> list[MemberContractRecorded | HouseholdBeneficiariesRecorded | CommunicationPreferencesRecorded]:
    """The three parts of a household's file (contract, beneficiaries, preferences), at revision 1."""
    member_number = affiliation.member_number
    held = _held(guarantees, affiliation.effective_date, covered_until, tenant) or [
        GuaranteePeriod(guarantee_code=code, name=name, start_date=affiliation.effective_date, end_date=covered_until)
        for code, name, *_ in guarantees[:1]
    ]
    household_size = 1 + len(affiliation.dependants)
    mode, frequency = _payment(rng, affiliation)
    last_payment = None
    if mode is not PaymentMode.PAYROLL and affiliation.effective_date < today.replace(day=1):
        paid_on = today.replace(day=5) if today.day >= 5 else (today.replace(day=1) - timedelta(days=1)).replace(day=5)
        share = Decimal("0.50")  # the employer pays half: what the member paid is net of it
        monthly = MONTHLY_CONTRIBUTION[min(household_size, 4)] * share
        last_payment = ContributionPayment(paid_on=paid_on, amount=monthly * _MONTHS[frequency])
    contract = MemberContractRecorded(
        member_number=member_number,
        contract_number=affiliation.contract_number,
        kind=ContractKind.COLLECTIVE,
        company_code=affiliation.company_code,
        company_name=company_name,
        mutuelle_code=affiliation.mutuelle_code,  # a union's member (Solimut): their mutuelle
        subscription_date=affiliation.effective_date,
        guarantees=held,
        contribution=Contribution(
            payment_mode=mode,
            frequency=frequency,
            employer_share=True,
            last_payment=last_payment,
        ),
        revision=1,
    )

    bank = affiliation.benefits_bank_details
    primary = affiliation.primary
    zone = {"0": "01", "1": "01", "2": "02", "3": "03", "4": "04", "5": "05", "6": "04", "7": "04", "8": "03", "9": "01"}
    home_phone = numbers.landline(rng, zone[affiliation.address.postal_code[0]]) if rng.random() < 0.3 else None
    people = [
        HouseholdBeneficiary(
            role="ASSURE",
            civility=primary.civility,
            last_name=primary.last_name,
            first_name=primary.first_name,
            birth_date=primary.birth_date,
            nir=primary.nir,
            home_address=affiliation.address,
            mobile_phone=affiliation.mobile_phone,
            home_phone=home_phone,
            email=affiliation.email,
            benefits_account=None
            if bank is None
            else BenefitsBankAccount(iban=bank.iban, bic=bank.bic, bank_name=_bank_name(bank.bic), holder=bank.holder),
        )
    ]
    for dependant in affiliation.dependants:
        people.append(
            HouseholdBeneficiary(
                role=dependant.role.value,
                civility=dependant.civility,
                last_name=dependant.last_name,
                first_name=dependant.first_name,
                birth_date=dependant.birth_date,
                nir=dependant.nir,
                home_address=affiliation.address,
            )
        )
    beneficiaries = HouseholdBeneficiariesRecorded(member_number=member_number, beneficiaries=people, revision=1)

    paperless = rng.random() < 0.35
    preferences = CommunicationPreferencesRecorded(
        member_number=member_number,
        technical=_consents(rng),
        commercial=_consents(rng),
        partners=_consents(rng),
        other=_consents(rng),
        paperless=paperless,
        paperless_since=min(today, max(affiliation.effective_date, today - timedelta(days=rng.randint(30, 900)))) if paperless else None,
        revision=1,
    )
    return [contract, beneficiaries, preferences]
