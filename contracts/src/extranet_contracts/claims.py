"""Reimbursements (décomptes) published by the insurer's legacy management system: what the mutuelle
paid for a household's health care, act by act, next to what the social security paid.

Stream: `legacy.claims`, keyed by the payment's reference. A payment is a full snapshot carrying the
legacy `revision`: a correction republishes it with a higher one, and a consumer keeps the highest.

Amounts are decimals with two places (euros and cents; a string such as "6.90" is the safest form on
the wire), never floats. Each act adds up to the cent: its expense is what the social security paid
(net of any flat-rate contribution it withheld), plus what the mutuelle paid, plus what remains for
the member, which is never negative. The payment's amount is what the mutuelle paid for its acts.

Only a masked IBAN travels (the country code and check digits, then `*`, then at most the last four
characters): a full IBAN is refused, so that none ever reaches a read model or a portal's answer.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, ClassVar

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from extranet_contracts.base import Event
from extranet_contracts.types import MemberNumber, Revision

CLAIMS = "legacy.claims"
CENT = Decimal("0.01")


def _to_the_cent(value: Decimal) -> Decimal:
    return value.quantize(CENT)  # exact: at most two places were accepted


Money = Annotated[
    Decimal,
    Field(ge=0, max_digits=11, decimal_places=2, description="Euros, two decimal places"),
    AfterValidator(_to_the_cent),
]
Rate = Annotated[
    Decimal,
    Field(ge=0, le=1000, max_digits=6, decimal_places=2, description="Percent of the base, e.g. 70.00"),
    AfterValidator(_to_the_cent),
]
Quantity = Annotated[Decimal, Field(gt=0, le=9999, max_digits=6, decimal_places=2), AfterValidator(_to_the_cent)]

_MASKED_IBAN = re.compile(r"^[A-Z]{2}\d{2}\*{6,}[A-Z0-9]{0,4}$")


def _masked(value: str) -> str:
    compact = value.replace(" ", "").upper()
    if not _MASKED_IBAN.match(compact) or not 14 <= len(compact) <= 34:
        raise ValueError("a masked IBAN shows its country code and check digits, then '*', then at most its last 4 characters")
    return compact


MaskedIban = Annotated[str, AfterValidator(_masked)]
ReimbursementReference = Annotated[str, Field(pattern=r"^\d{6,12}$", description="Référence du décompte: 6 to 12 digits")]


class _Part(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class Payee(StrEnum):
    """Whom the mutuelle paid (destinataire du règlement)."""

    MEMBER = "ASSURE"  # règlement à l'assuré, by transfer to the IBAN for benefits
    PROFESSIONAL = "TIERS"  # tiers payant: paid to the health professional directly


class BeneficiaryRole(StrEnum):
    PRIMARY = "ASSURE"
    SPOUSE = "CONJOINT"
    CHILD = "ENFANT"
    ADULT = "ADULTE"  # an adult dependant other than the spouse (DependantRole.ADULT): cared for as any beneficiary


class CarePathway(StrEnum):
    """Parcours de soins: outside the coordinated pathway, the social security reimburses less."""

    COORDINATED = "COORDONNE"  # parcours de soins coordonnés (médecin traitant, or sent by them)
    DIRECT_ACCESS = "ACCES_DIRECT"  # specialists one may see directly (gynécologue, ophtalmologiste, ...)
    EMERGENCY = "URGENCE"
    OUTSIDE = "HORS_PARCOURS"


class Beneficiary(_Part):
    """Who received the care: the primary insured or a dependant, as the membership events name them."""

    role: BeneficiaryRole
    last_name: str = Field(min_length=1, max_length=80)
    first_name: str = Field(min_length=1, max_length=80)
    birth_date: date


class ReimbursedAct(_Part):
    """One act (ligne de prestation) of a payment, with the social security's part and the mutuelle's."""

    beneficiary: Beneficiary
    nature: str = Field(min_length=1, max_length=80, description="Nature de la prestation, e.g. Consultation médecin généraliste")
    act_date: date = Field(description="Date des soins")
    quantity: Quantity = Decimal("1.00")
    expense: Money = Field(description="Dépense: what the care cost")
    mandatory_base: Money = Field(description="Base de remboursement of the mandatory scheme (régime obligatoire)")
    mandatory_rate: Rate = Field(description="Taux of the mandatory scheme, percent of its base")
    mandatory_amount: Money = Field(description="What the mandatory scheme paid, net of the flat-rate contribution it withheld")
    mandatory_deductible: Money = Field(
        default=Decimal("0.00"),
        description="Participation forfaitaire or franchise médicale the mandatory scheme withheld: it remains for the member",
    )
    mutuelle_base: Money
    mutuelle_rate: Rate
    mutuelle_amount: Money = Field(description="What the mutuelle paid")
    care_pathway: CarePathway | None = Field(default=None, description="Parcours de soins, where it applies (consultations)")
    guarantee_code: str = Field(pattern=r"^[A-Z0-9_-]{2,20}$", description="The guarantee of the contract that applied")
    guarantee_name: str = Field(min_length=1, max_length=120)

    @property
    def remaining(self) -> Decimal:
        """What remains for the member (reste à charge)."""
        return self.expense - self.mandatory_amount - self.mutuelle_amount

    @model_validator(mode="after")
    def _adds_up(self) -> ReimbursedAct:
        if self.remaining < 0:
            raise ValueError("the mandatory scheme and the mutuelle paid more than the expense")
        return self


class ReimbursementPaid(Event):
    """The mutuelle paid a reimbursement (décompte) to the member or to a health professional (full
    snapshot of the payment and its acts; a correction carries a higher revision)."""

    TYPE: ClassVar[str] = "ReimbursementPaid"
    STREAM: ClassVar[str] = CLAIMS

    reference: ReimbursementReference
    member_number: MemberNumber = Field(description="The household's member number (numéro d'adhérent)")
    received_on: date = Field(description="Date de réception of the claim by the mutuelle")
    paid_on: date = Field(description="Date de règlement")
    amount: Money = Field(description="Montant du règlement: what the mutuelle paid, the sum of its acts' mutuelle amounts")
    payee: Payee
    professional_name: str | None = Field(
        default=None,
        min_length=1,
        max_length=120,
        description="The health professional paid (tiers payant): required then, absent otherwise",
    )
    masked_iban: MaskedIban | None = Field(default=None, description="Where a payment to the member went: masked, never the full IBAN")
    acts: list[ReimbursedAct] = Field(min_length=1, max_length=200)
    revision: Revision

    @model_validator(mode="after")
    def _consistent(self) -> ReimbursementPaid:
        if sum((act.mutuelle_amount for act in self.acts), Decimal("0.00")) != self.amount:
            raise ValueError("the payment's amount is not the sum of its acts' mutuelle amounts")
        if (self.payee is Payee.PROFESSIONAL) != (self.professional_name is not None):
            raise ValueError("a payment to a health professional names them, and only such a payment does")
        if self.payee is Payee.PROFESSIONAL and self.masked_iban is not None:
            raise ValueError("a payment to a health professional carries no IBAN of the member")
        return self

    def key(self) -> str:
        return self.reference
