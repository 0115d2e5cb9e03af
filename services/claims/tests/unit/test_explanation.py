"""Each act explained in plain French: what the social security paid, what the mutuelle paid under which
guarantee and to whom, what remains for the member and why."""

from __future__ import annotations

import pytest

from claims.domain.explanation import explain, summary
from claims.domain.french import NBSP
from extranet_contracts.testing import reimbursement_paid

from .test_payments import payment_of

CONSULTATION = reimbursement_paid().acts[0].model_dump(mode="json")
PHARMACY = reimbursement_paid().acts[1].model_dump(mode="json")


def text(value: str) -> str:
    """The sentences with ordinary spaces, to read them here."""
    return value.replace(NBSP, " ")


def explained(act: dict, **payment) -> str:
    amount = payment.pop("amount", act["mutuelle_amount"])
    paid = payment_of(reimbursement_paid(acts=[act], amount=amount, **payment))
    return text(explain(paid.acts[0], paid))


def test_a_consultation_at_the_general_practitioner():
    assert explained(CONSULTATION) == (
        "Consultation médecin généraliste du 08/09/2026 pour Léa, dans le parcours de soins coordonnés : la dépense est de 30,00 €. "
        "L'Assurance Maladie a pris en charge 19,00 € : 70 % de sa base de remboursement de 30,00 €, "
        "moins 2,00 € de participation forfaitaire ou de franchise médicale. "
        "Votre mutuelle a pris en charge 9,00 € au titre de votre garantie « SANTE SOCLE » (30 % de 30,00 €), qui vous ont été versés. "
        "Il reste 2,00 € à votre charge : c'est la participation forfaitaire ou la franchise médicale retenue par l'Assurance Maladie, "
        "que les contrats de mutuelle responsables ne remboursent pas."
    )


def test_nothing_left_and_paid_to_the_pharmacy():
    said = explained(PHARMACY, payee="TIERS", professional_name="Pharmacie du Centre", masked_iban=None)
    assert said.startswith("Pharmacie remboursée à 65 % (quantité : 2) du 10/09/2026 pour Hugo : la dépense est de 18,86 €.")
    assert "L'Assurance Maladie a pris en charge 12,26 € : 65 % de sa base de remboursement de 18,86 €." in said
    assert "versés directement à Pharmacie du Centre (tiers payant) : vous n'avez pas eu à les avancer." in said
    assert said.endswith("Il ne reste rien à votre charge.")


def test_a_specialist_above_the_tariff():
    act = {**CONSULTATION, "nature": "Consultation médecin spécialiste", "expense": "60.00", "mandatory_base": "31.50"}
    act |= {"mandatory_amount": "20.05", "mandatory_deductible": "2.00", "mutuelle_base": "31.50", "mutuelle_rate": "80.00"}
    act |= {"mutuelle_amount": "25.20", "guarantee_code": "RENFORT-1", "guarantee_name": "OPTION RENFORT 1", "care_pathway": "ACCES_DIRECT"}
    said = explained(act)
    assert "en accès direct" in said and "« OPTION RENFORT 1 » (80 % de 31,50 €)" in said
    assert said.endswith(
        "Il reste 14,75 € à votre charge : 2,00 € de participation forfaitaire ou de franchise médicale, que les contrats de mutuelle "
        "responsables ne remboursent pas, et 12,75 € de tarif au-delà de la base de remboursement (31,50 €) que votre garantie ne couvre pas."
    )


def test_above_the_base_without_a_flat_rate_contribution():
    act = {**PHARMACY, "nature": "Couronne dentaire céramo-métallique", "quantity": "1", "expense": "530.00", "mandatory_base": "120.00"}
    act |= {"mandatory_rate": "60.00", "mandatory_amount": "72.00", "mutuelle_base": "120.00", "mutuelle_rate": "240.00"}
    act |= {"mutuelle_amount": "288.00", "guarantee_code": "OPT-DENTAIRE", "guarantee_name": "OPTION DENTAIRE"}
    said = explained(act)
    assert "(quantité" not in said and "« OPTION DENTAIRE » (240 % de 120,00 €)" in said
    assert said.endswith(
        "Il reste 170,00 € à votre charge, car le tarif pratiqué (530,00 €) dépasse la base de remboursement de l'Assurance Maladie "
        "(120,00 €) au-delà de ce que couvre votre garantie."
    )


def test_not_reimbursed_by_the_social_security():
    act = {**PHARMACY, "nature": "Forfait journalier hospitalier", "quantity": "3", "expense": "60.00", "mandatory_base": "0.00"}
    act |= {
        "mandatory_rate": "0.00",
        "mandatory_amount": "0.00",
        "mutuelle_base": "60.00",
        "mutuelle_rate": "100.00",
        "mutuelle_amount": "60.00",
    }
    said = explained(act)
    assert "L'Assurance Maladie ne rembourse pas cet acte. Votre mutuelle a pris en charge 60,00 €" in said
    assert said.endswith("Il ne reste rien à votre charge.")


def test_outside_the_coordinated_care_pathway():
    act = {
        **CONSULTATION,
        "mandatory_rate": "30.00",
        "mandatory_amount": "7.00",
        "mutuelle_amount": "9.00",
        "care_pathway": "HORS_PARCOURS",
    }
    said = explained(act)
    assert "hors du parcours de soins coordonnés : la dépense" in said
    assert "Hors du parcours de soins coordonnés, son taux de remboursement est réduit." in said
    assert said.endswith("Il reste 14,00 € à votre charge : 2,00 € de participation forfaitaire ou de franchise médicale, "
                         "que les contrats de mutuelle responsables ne remboursent pas, et 12,00 € que votre garantie ne couvre pas.")  # fmt: skip


@pytest.mark.parametrize(
    ("changes", "sentence"),
    [
        (
            {"mutuelle_amount": "0.00"},
            "Votre mutuelle n'a rien remboursé : votre garantie « SANTE SOCLE » ne prévoit pas de remboursement pour cet acte.",
        ),
        (
            {"mandatory_rate": "100.00", "mandatory_amount": "30.00", "mandatory_deductible": "0.00", "mutuelle_amount": "0.00"},
            "L'Assurance Maladie ayant tout pris en charge, votre mutuelle n'avait rien à ajouter.",
        ),
    ],
)
def test_when_the_mutuelle_pays_nothing(changes, sentence):
    assert sentence in explained({**CONSULTATION, **changes})


def test_every_amount_the_member_reads_is_one_of_the_act():
    for act in reimbursement_paid().acts:
        said = explained(act.model_dump(mode="json"))
        for amount in (act.expense, act.mandatory_amount, act.mutuelle_amount):
            assert f"{amount:.2f}".replace(".", ",") + " €" in said
        if act.remaining:
            assert f"Il reste {act.remaining:.2f}".replace(".", ",") + " €" in said


def test_the_payment_in_two_sentences():
    to_member = payment_of(reimbursement_paid())
    assert text(summary(to_member)) == (
        "Votre mutuelle vous a versé 15,60 € le 17/09/2026 sur votre compte FR76 **** **** **** **** ***1 189. "
        "Pour 2 actes : 48,86 € de dépenses, 31,26 € pris en charge par l'Assurance Maladie, 15,60 € par votre mutuelle "
        "et 2,00 € restant à votre charge."
    )
    to_pharmacy = payment_of(
        reimbursement_paid(acts=[PHARMACY], amount="6.60", payee="TIERS", professional_name="Pharmacie du Centre", masked_iban=None)
    )
    assert text(summary(to_pharmacy)).startswith(
        "Votre mutuelle a versé 6,60 € le 17/09/2026 directement à Pharmacie du Centre (tiers payant) : "
        "vous n'avez pas eu à avancer cette somme. Pour 1 acte : 18,86 €"
    )
