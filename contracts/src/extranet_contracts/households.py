"""A household's file in the insurer's legacy management system, as the member portal shows it: the
member's contract (individual or collective, subscription date, guarantee history, the current
guarantee's brochure and benefits table) with the contribution block, the beneficiaries with their
details and IBAN for benefits, and the communication preferences with the paperless option.

Stream: `legacy.households`, keyed by the household's member number. Each event is a full snapshot of
its part of the file carrying the legacy `revision` of that part: a change republishes it with a
higher one, and a consumer keeps the highest, whatever the order of arrival.

The NIR and the IBAN travel whole, as in the membership events (the legacy system is the truth); a
consumer that shows them keeps them masked and never logs them.
"""

from __future__ import annotations

import hashlib
import unicodedata
from datetime import date
from enum import StrEnum
from typing import Annotated, ClassVar

from pydantic import AnyHttpUrl, BaseModel, ConfigDict, Field, model_validator

from extranet_contracts.base import Event
from extranet_contracts.claims import Money
from extranet_contracts.types import Address, Civility, CompanyCode, ContractNumber, Email, Iban, MemberNumber, MutuelleCode, Nir, Revision

HOUSEHOLDS = "legacy.households"
GuaranteeCode = Annotated[str, Field(pattern=r"^[A-Z0-9_-]{2,20}$")]
Phone = Annotated[str, Field(pattern=r"^\+?[0-9 .]{10,20}$")]


class _Part(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class ContractKind(StrEnum):
    INDIVIDUAL = "INDIVIDUEL"  # the member's own contract
    COLLECTIVE = "COLLECTIF"  # through their employer: changes are asked of the employer


class Benefit(_Part):
    """A line of a guarantee's benefits table (tableau des prestations)."""

    category: str = Field(min_length=1, max_length=60, description="Poste, e.g. Soins courants, Optique, Dentaire, Hospitalisation")
    label: str = Field(min_length=1, max_length=120, description="Prestation, e.g. Consultation médecin généraliste")
    level: str = Field(min_length=1, max_length=120, description="Remboursement, e.g. 130 % BR, 150 € par an")


class GuaranteePeriod(_Part):
    """A guarantee the member held, from and to (open while it runs)."""

    guarantee_code: GuaranteeCode
    name: str = Field(min_length=1, max_length=120)
    start_date: date
    end_date: date | None = None
    brochure_url: AnyHttpUrl | None = Field(default=None, description="The guarantee's brochure (plaquette), a PDF the mutuelle publishes")
    benefits: list[Benefit] = Field(default_factory=list, max_length=200, description="Its benefits table")

    @model_validator(mode="after")
    def _dates_in_order(self) -> GuaranteePeriod:
        if self.end_date is not None and self.end_date < self.start_date:
            raise ValueError("end_date is before start_date")
        return self


class PaymentMode(StrEnum):
    DIRECT_DEBIT = "PRELEVEMENT"  # prélèvement sur compte bancaire
    PAYROLL = "PRELEVEMENT_SALAIRE"  # prélèvement sur salaire (collective contracts)
    CHEQUE = "CHEQUE"
    TRANSFER = "VIREMENT"


class Frequency(StrEnum):
    MONTHLY = "MENSUELLE"
    QUARTERLY = "TRIMESTRIELLE"
    HALF_YEARLY = "SEMESTRIELLE"
    YEARLY = "ANNUELLE"


class ContributionPayment(_Part):
    paid_on: date
    amount: Money = Field(description="What the member paid, net of any employer share")


class Contribution(_Part):
    """Votre cotisation: how the member pays, and their last payment (none recorded: absent)."""

    payment_mode: PaymentMode
    frequency: Frequency
    employer_share: bool = Field(default=False, description="An employer pays part of it: the amounts are net of that share")
    last_payment: ContributionPayment | None = None
    amount_due: Money | None = Field(
        default=None, description="What the member owes now (échéance not paid yet), if anything; absent: not published"
    )
    due_date: date | None = Field(default=None, description="When `amount_due` is due")


class MemberContractRecorded(Event):
    """The member's contract as the legacy system holds it (full snapshot; newest revision wins)."""

    TYPE: ClassVar[str] = "MemberContractRecorded"
    STREAM: ClassVar[str] = HOUSEHOLDS

    member_number: MemberNumber
    contract_number: ContractNumber
    kind: ContractKind
    company_code: CompanyCode | None = Field(default=None, description="The employer, for a collective contract")
    company_name: str | None = Field(default=None, min_length=1, max_length=160, description="The employer's legal name")
    mutuelle_code: MutuelleCode | None = Field(
        default=None, description="The member's mutuelle within a union of mutuelles (Solimut: MFPLUS 700, MVTE 105...); absent elsewhere"
    )
    subscription_date: date = Field(description="Date de souscription")
    guarantees: list[GuaranteePeriod] = Field(min_length=1, max_length=50, description="Guarantee history, the current one included")
    contribution: Contribution
    revision: Revision

    @model_validator(mode="after")
    def _consistent(self) -> MemberContractRecorded:
        if (self.kind is ContractKind.COLLECTIVE) != (self.company_code is not None):
            raise ValueError("a collective contract names its company, and only such a contract does")
        return self

    def key(self) -> str:
        return self.member_number


class BeneficiaryRole(StrEnum):
    PRIMARY = "ASSURE"
    SPOUSE = "CONJOINT"
    CHILD = "ENFANT"
    ADULT = "ADULTE"  # an adult dependant other than the spouse (DependantRole.ADULT, guide 003: « Conjoint, Adulte, Enfant »)


class BenefitsBankAccount(_Part):
    """The IBAN the benefits are paid to (IBAN prestation)."""

    iban: Iban
    bic: str = Field(pattern=r"^[A-Z]{6}[A-Z0-9]{2}([A-Z0-9]{3})?$")
    bank_name: str | None = Field(default=None, min_length=1, max_length=80)
    holder: str = Field(min_length=1, max_length=120)


def beneficiary_id(member_number: str, first_name: str, birth_date: date) -> str:
    """The identifier of a household's beneficiary, as the portals name them (the beneficiaries page, the search of
    reimbursements, the removal of a dependant): stable across the household's snapshots (first name, accents and case
    aside, and birth date, as the legacy system finds a person within a household), meaningless outside the household,
    and no personal data in a URL."""
    plain = " ".join(unicodedata.normalize("NFKD", first_name).encode("ascii", "ignore").decode().casefold().split())
    return hashlib.sha256(f"{member_number}|{birth_date.isoformat()}|{plain}".encode()).hexdigest()[:12]


class HouseholdBeneficiary(_Part):
    role: BeneficiaryRole
    civility: Civility
    last_name: str = Field(min_length=1, max_length=80)
    first_name: str = Field(min_length=1, max_length=80)
    birth_date: date
    nir: Nir | None = Field(default=None, description="A child may be covered under a parent's NIR")
    home_address: Address | None = None
    work_address: Address | None = None
    mobile_phone: Phone | None = None
    home_phone: Phone | None = None
    work_phone: Phone | None = None
    email: Email | None = None
    benefits_account: BenefitsBankAccount | None = None

    def identifier(self, member_number: str) -> str:
        """This person's `beneficiary_id` in the household."""
        return beneficiary_id(member_number, self.first_name, self.birth_date)


class HouseholdBeneficiariesRecorded(Event):
    """The beneficiaries of the household's contract and their details (full snapshot; newest revision wins)."""

    TYPE: ClassVar[str] = "HouseholdBeneficiariesRecorded"
    STREAM: ClassVar[str] = HOUSEHOLDS

    member_number: MemberNumber
    beneficiaries: list[HouseholdBeneficiary] = Field(min_length=1, max_length=20)
    revision: Revision

    @model_validator(mode="after")
    def _one_primary(self) -> HouseholdBeneficiariesRecorded:
        if sum(b.role is BeneficiaryRole.PRIMARY for b in self.beneficiaries) != 1:
            raise ValueError("a household has exactly one primary insured")
        return self

    def key(self) -> str:
        return self.member_number


class Consent(StrEnum):
    ACCEPTED = "ACCEPTE"
    REFUSED = "REFUSE"
    UNDEFINED = "NON_DEFINI"


class ChannelConsents(_Part):
    email: Consent = Consent.UNDEFINED
    post: Consent = Consent.UNDEFINED
    sms: Consent = Consent.UNDEFINED


class CommunicationPreferencesRecorded(Event):
    """Choix d'envoi des informations (information kind × channel) and the paperless option (no more
    paper statements at home), as the legacy system holds them (full snapshot; newest revision wins)."""

    TYPE: ClassVar[str] = "CommunicationPreferencesRecorded"
    STREAM: ClassVar[str] = HOUSEHOLDS

    member_number: MemberNumber
    technical: ChannelConsents = ChannelConsents()
    commercial: ChannelConsents = ChannelConsents()
    partners: ChannelConsents = ChannelConsents()
    other: ChannelConsents = ChannelConsents()
    paperless: bool = Field(default=False, description="Ne plus recevoir de relevé de remboursement à domicile")
    paperless_since: date | None = None
    revision: Revision

    @model_validator(mode="after")
    def _paperless_dated(self) -> CommunicationPreferencesRecorded:
        if self.paperless_since is not None and not self.paperless:
            raise ValueError("paperless_since is given only while the paperless option is on")
        return self

    def key(self) -> str:
        return self.member_number
