"""Each act of a reimbursement explained in plain French: what the social security paid and why, what
the mutuelle paid under which guarantee and to whom, and what remains for the member, and why. No
portal of the anchors does it; it is the question members call the mutuelle about.

The sentences state only what the amounts show: the flat-rate contribution (participation forfaitaire
or franchise médicale) the social security withheld, a tariff above its base (dépassement), a part the
guarantee does not cover. Every amount quoted is one of the act's, so they add up as the act does.
"""

from __future__ import annotations

from claims.domain.french import day, euros, iban, percent, quantity
from claims.domain.payments import ZERO, Act, Payment

PATHWAY_LABELS = {
    "COORDONNE": "Parcours de soins coordonnés",
    "ACCES_DIRECT": "Accès direct spécifique",
    "URGENCE": "Urgence",
    "HORS_PARCOURS": "Hors parcours de soins coordonnés",
}
_PATHWAY_CLAUSES = {
    "COORDONNE": "dans le parcours de soins coordonnés",
    "ACCES_DIRECT": "en accès direct, sans passer par votre médecin traitant, comme cette spécialité le permet",
    "URGENCE": "en urgence",
    "HORS_PARCOURS": "hors du parcours de soins coordonnés",
}
CONTRIBUTION = "de participation forfaitaire ou de franchise médicale"
NOT_REFUNDABLE = "que les contrats de mutuelle responsables ne remboursent pas"


def explain(act: Act, payment: Payment) -> str:
    """The act in four sentences: the care, the social security's part, the mutuelle's, what remains."""
    return " ".join((_care(act), _social_security(act), _mutuelle(act, payment), _remaining(act)))


def _care(act: Act) -> str:
    count = f" (quantité : {quantity(act.quantity)})" if act.quantity != 1 else ""
    pathway = f", {_PATHWAY_CLAUSES[act.care_pathway]}" if act.care_pathway in _PATHWAY_CLAUSES else ""
    return (
        f"{act.nature}{count} du {day(act.act_date)} pour {act.beneficiary.first_name}{pathway} : la dépense est de {euros(act.expense)}."
    )


def _social_security(act: Act) -> str:
    if act.mandatory_base == ZERO and act.mandatory_amount == ZERO:
        return "L'Assurance Maladie ne rembourse pas cet acte."
    withheld = f", moins {euros(act.mandatory_deductible)} {CONTRIBUTION}" if act.mandatory_deductible > ZERO else ""
    sentence = (
        f"L'Assurance Maladie a pris en charge {euros(act.mandatory_amount)} : "
        f"{percent(act.mandatory_rate)} de sa base de remboursement de {euros(act.mandatory_base)}{withheld}."
    )
    if act.care_pathway == "HORS_PARCOURS":
        sentence += " Hors du parcours de soins coordonnés, son taux de remboursement est réduit."
    return sentence


def _mutuelle(act: Act, payment: Payment) -> str:
    guarantee = f"votre garantie « {act.guarantee_name} »"
    if act.mutuelle_amount == ZERO:
        if act.expense - act.mandatory_amount - act.mandatory_deductible <= ZERO:
            return "L'Assurance Maladie ayant tout pris en charge, votre mutuelle n'avait rien à ajouter."
        return f"Votre mutuelle n'a rien remboursé : {guarantee} ne prévoit pas de remboursement pour cet acte."
    how = f" ({percent(act.mutuelle_rate)} de {euros(act.mutuelle_base)})" if act.mutuelle_base > ZERO and act.mutuelle_rate > ZERO else ""
    if payment.to_professional:
        to = f"versés directement à {payment.professional_name} (tiers payant) : vous n'avez pas eu à les avancer"
    else:
        to = "qui vous ont été versés"
    return f"Votre mutuelle a pris en charge {euros(act.mutuelle_amount)} au titre de {guarantee}{how}, {to}."


def _remaining(act: Act) -> str:
    remaining = act.remaining
    if remaining <= ZERO:
        return "Il ne reste rien à votre charge."
    withheld = min(act.mandatory_deductible, remaining)
    rest = remaining - withheld
    above_base = act.expense > act.mandatory_base
    if rest == ZERO:
        return (
            f"Il reste {euros(remaining)} à votre charge : c'est la participation forfaitaire ou la franchise médicale "
            f"retenue par l'Assurance Maladie, {NOT_REFUNDABLE}."
        )
    if above_base:
        why = (
            f"car le tarif pratiqué ({euros(act.expense)}) dépasse la base de remboursement de l'Assurance Maladie "
            f"({euros(act.mandatory_base)}) au-delà de ce que couvre votre garantie"
        )
    else:
        why = "que votre garantie ne couvre pas"
    if withheld == ZERO:
        return f"Il reste {euros(remaining)} à votre charge, {why}."
    if above_base:
        rest_text = (
            f"{euros(rest)} de tarif au-delà de la base de remboursement ({euros(act.mandatory_base)}) que votre garantie ne couvre pas"
        )
    else:
        rest_text = f"{euros(rest)} que votre garantie ne couvre pas"
    return f"Il reste {euros(remaining)} à votre charge : {euros(withheld)} {CONTRIBUTION}, {NOT_REFUNDABLE}, et {rest_text}."


def summary(payment: Payment) -> str:
    """The payment in two sentences: who was paid what and when, and what its acts add up to."""
    if payment.amount == ZERO:
        paid = f"Votre mutuelle n'a rien versé pour ce décompte du {day(payment.paid_on)}."
    elif payment.to_professional:
        paid = (
            f"Votre mutuelle a versé {euros(payment.amount)} le {day(payment.paid_on)} directement à {payment.professional_name} "
            "(tiers payant) : vous n'avez pas eu à avancer cette somme."
        )
    else:
        account = f" sur votre compte {iban(payment.masked_iban)}" if payment.masked_iban else ""
        paid = f"Votre mutuelle vous a versé {euros(payment.amount)} le {day(payment.paid_on)}{account}."
    totals = payment.totals
    acts = "1 acte" if len(payment.acts) == 1 else f"{len(payment.acts)} actes"
    return (
        f"{paid} Pour {acts} : {euros(totals.expense)} de dépenses, {euros(totals.mandatory)} pris en charge par l'Assurance Maladie, "
        f"{euros(totals.mutuelle)} par votre mutuelle et {euros(totals.remaining)} restant à votre charge."
    )
