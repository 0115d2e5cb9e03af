"""Events published by the insurer's legacy management system (the system of record).

Streams (topics): `legacy.brokers`, `legacy.companies`, `legacy.contracts` (with the contracts'
contributions: payers, schedules, payments), `legacy.memberships`. Snapshot events carry the aggregate's `revision` so that a consumer keeps
the newest; membership events carry the membership's revision too (a stale affiliation received
after its correction changes nothing) and their dates, so that an affiliation and its radiation
merge in any order.
"""

from __future__ import annotations

import uuid
from datetime import date
from enum import StrEnum
from typing import Annotated, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from extranet_contracts.base import Event
from extranet_contracts.claims import Money
from extranet_contracts.households import Frequency, PaymentMode
from extranet_contracts.types import (
    Address,
    BrokerCode,
    Category,
    Civility,
    CompanyCode,
    ContractNumber,
    DependantRole,
    Email,
    Iban,
    InsuredGroup,
    MemberNumber,
    MembershipId,
    MutuelleCode,
    Nir,
    OriasNumber,
    Product,
    Revision,
    Siret,
)

BROKERS = "legacy.brokers"
COMPANIES = "legacy.companies"
CONTRACTS = "legacy.contracts"
MEMBERSHIPS = "legacy.memberships"


class _Part(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


# --- brokers -----------------------------------------------------------------------------------


class BrokerRegistered(Event):
    """A broker (apporteur d'affaires) entered, or was updated in, the legacy system."""

    TYPE: ClassVar[str] = "BrokerRegistered"
    STREAM: ClassVar[str] = BROKERS

    broker_code: BrokerCode
    name: str = Field(min_length=1, max_length=120, description="Brokerage office name")
    orias_number: OriasNumber
    contact_last_name: str = Field(min_length=1, max_length=80)
    contact_first_name: str = Field(min_length=1, max_length=80)
    email: Email
    phone: str | None = Field(default=None, max_length=20)
    address: Address
    revision: Revision

    def key(self) -> str:
        return self.broker_code


class BrokerPortfolioCompanyAssigned(Event):
    """A company entered a broker's portfolio."""

    TYPE: ClassVar[str] = "BrokerPortfolioCompanyAssigned"
    STREAM: ClassVar[str] = BROKERS

    broker_code: BrokerCode
    company_code: CompanyCode
    assigned_on: date

    def key(self) -> str:
        return self.broker_code


class BrokerPortfolioCompanyWithdrawn(Event):
    """A company left a broker's portfolio."""

    TYPE: ClassVar[str] = "BrokerPortfolioCompanyWithdrawn"
    STREAM: ClassVar[str] = BROKERS

    broker_code: BrokerCode
    company_code: CompanyCode
    withdrawn_on: date

    def key(self) -> str:
        return self.broker_code


# --- companies ---------------------------------------------------------------------------------


class CompanyContact(_Part):
    last_name: str = Field(min_length=1, max_length=80)
    first_name: str = Field(min_length=1, max_length=80)
    role: str = Field(min_length=1, max_length=80, description="Fonction, e.g. Dirigeant")
    email: Email | None = None
    phone: str | None = Field(default=None, max_length=20)
    primary: bool = Field(default=False, description="The company's primary correspondent")


class CompanyRegistered(Event):
    """A client company's record in the legacy system (full snapshot; newest revision wins)."""

    TYPE: ClassVar[str] = "CompanyRegistered"
    STREAM: ClassVar[str] = COMPANIES

    company_code: CompanyCode
    legal_name: str = Field(min_length=1, max_length=160, description="Raison sociale")
    siret: Siret
    address: Address
    membership_date: date = Field(description="Date d'adhésion of the company")
    active: bool = True
    contacts: list[CompanyContact] = Field(default_factory=list, max_length=50)
    revision: Revision

    @property
    def siren(self) -> str:
        return self.siret[:9]

    def key(self) -> str:
        return self.company_code


class CompanyDocumentKind(StrEnum):
    """The employer portal's « Mes documents » sections (guide 003)."""

    MEMBERSHIP_FORM = "MEMBERSHIP_FORM"  # bulletin d'adhésion
    CONTRACT = "CONTRACT"  # contrat, conditions générales ou particulières
    BENEFITS_TABLE = "BENEFITS_TABLE"  # tableau de prestations


class CompanyDocumentIssued(Event):
    """A document the legacy system makes available to a company's correspondents (membership form, contract,
    benefits table), for one collective contract or the whole company: the file is deposited in the platform's
    document store beforehand and named here by its storage key, never carried (full snapshot of the document;
    newest revision wins: a new version of the file is a new key under the same document id)."""

    TYPE: ClassVar[str] = "CompanyDocumentIssued"
    STREAM: ClassVar[str] = COMPANIES

    document_id: uuid.UUID = Field(description="The document's id in the legacy system")
    company_code: CompanyCode
    contract_number: ContractNumber | None = Field(
        default=None, description="The contract it is about; none: every contract of the company"
    )
    kind: CompanyDocumentKind
    name: str = Field(min_length=1, max_length=255, pattern=r"^[^\x00-\x1f\x7f/\\]+$", description="The file's name, as listed")
    media_type: Literal["application/pdf", "image/png", "image/jpeg"]
    size: int = Field(ge=1, le=64 * 1024 * 1024, description="Bytes")
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$", description="SHA-256 of the content, lower-case hex")
    storage_key: uuid.UUID = Field(description="The file's key in the document store, under the tenant")
    issued_on: date = Field(description="The date the portal shows")
    revision: Revision

    def key(self) -> str:
        return self.company_code


# --- collective contracts ----------------------------------------------------------------------


class InsuredGroupDetails(_Part):
    """Where the legacy system reaches the company about one insured group of a contract (« Votre groupe »: its
    address, its contacts); a group it says nothing of has none on file."""

    insured_group: InsuredGroup
    address: Address | None = None
    contacts: list[CompanyContact] = Field(default_factory=list, max_length=20)


class CollectiveContractSigned(Event):
    """A collective contract of a company, with its product, category and insured groups.

    Where the legacy system has them, each group's address and contacts (`group_details`)."""

    TYPE: ClassVar[str] = "CollectiveContractSigned"
    STREAM: ClassVar[str] = CONTRACTS

    contract_number: ContractNumber
    company_code: CompanyCode
    product: Product
    category: Category
    effective_date: date
    insured_groups: list[InsuredGroup] = Field(min_length=1)
    group_details: list[InsuredGroupDetails] = Field(
        default_factory=list, max_length=4, description="The address and contacts of some insured groups (added in v1, optional)"
    )
    revision: Revision

    @model_validator(mode="after")
    def _details_of_its_groups(self) -> CollectiveContractSigned:
        described = [d.insured_group for d in self.group_details]
        if len(set(described)) != len(described) or set(described) - set(self.insured_groups):
            raise ValueError("group_details describe each of the contract's insured groups at most once")
        return self

    def key(self) -> str:
        return self.contract_number


class StoredFile(_Part):
    """A file the legacy system deposited in the platform's document store beforehand, named by its storage key."""

    name: str = Field(min_length=1, max_length=255, pattern=r"^[^\x00-\x1f\x7f/\\]+$", description="The file's name, as offered")
    media_type: Literal["application/pdf"]
    size: int = Field(ge=1, le=64 * 1024 * 1024, description="Bytes")
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$", description="SHA-256 of the content, lower-case hex")
    storage_key: uuid.UUID = Field(description="The file's key in the document store, under the tenant")


class GuaranteeAttached(Event):
    """A guarantee (garantie) of a collective contract, with its validity dates."""

    TYPE: ClassVar[str] = "GuaranteeAttached"
    STREAM: ClassVar[str] = CONTRACTS

    contract_number: ContractNumber
    guarantee_code: str = Field(pattern=r"^[A-Z0-9_-]{2,20}$")
    name: str = Field(min_length=1, max_length=120)
    start_date: date
    end_date: date | None = None
    brochure: StoredFile | None = Field(default=None, description="The product's brochure (plaquette, « Fiche »; added in v1, optional)")
    revision: Revision

    @model_validator(mode="after")
    def _dates_in_order(self) -> GuaranteeAttached:
        if self.end_date is not None and self.end_date < self.start_date:
            raise ValueError("end_date is before start_date")
        return self

    def key(self) -> str:
        return self.contract_number


# --- contributions of a collective contract (cotisations) ----------------------------------------
# On the contract's stream (keyed by contract number): a contract's contributions stay in order with it.

ContributionId = Annotated[str, Field(pattern=r"^[A-Z0-9-]{4,24}$", description="The legacy system's identifier")]


class ContributionShare(StrEnum):
    """Who pays this part of the contribution (part)."""

    EMPLOYER = "EMPLOYEUR"
    EMPLOYEE = "SALARIE"


class PreLitigation(StrEnum):
    """Situation de pré-contentieux of a payer."""

    NONE = "AUCUNE"
    IN_PROGRESS = "EN_COURS"
    SETTLED = "REGULARISEE"


class ContributionPayerRecorded(Event):
    """A payer of a contract's contributions for an insured group (full snapshot; newest revision wins)."""

    TYPE: ClassVar[str] = "ContributionPayerRecorded"
    STREAM: ClassVar[str] = CONTRACTS

    contract_number: ContractNumber
    company_code: CompanyCode
    insured_group: InsuredGroup
    payer_id: ContributionId
    share: ContributionShare
    frequency: Frequency
    payment_mode: PaymentMode
    pre_litigation: PreLitigation = PreLitigation.NONE
    pre_litigation_date: date | None = Field(default=None, description="Since when, unless there is none")
    revision: Revision

    @model_validator(mode="after")
    def _dated(self) -> ContributionPayerRecorded:
        if (self.pre_litigation is PreLitigation.NONE) != (self.pre_litigation_date is None):
            raise ValueError("a pre-litigation situation has a date, and only such a situation")
        return self

    def key(self) -> str:
        return self.contract_number


class ContributionScheduled(Event):
    """A contribution due (échéance) for a period, and what is paid of it so far (full snapshot; newest revision wins)."""

    TYPE: ClassVar[str] = "ContributionScheduled"
    STREAM: ClassVar[str] = CONTRACTS

    contract_number: ContractNumber
    company_code: CompanyCode
    insured_group: InsuredGroup
    schedule_id: ContributionId
    payer_id: ContributionId
    period_start: date
    period_end: date
    due_date: date
    amount_due: Money
    amount_paid: Money = Field(description="Paid so far (the payments of this schedule add up to it)")
    revision: Revision

    @model_validator(mode="after")
    def _period(self) -> ContributionScheduled:
        if self.period_end < self.period_start:
            raise ValueError("period_end is before period_start")
        return self

    def key(self) -> str:
        return self.contract_number


class ContributionPaid(Event):
    """A payment of contributions (règlement), of a schedule."""

    TYPE: ClassVar[str] = "ContributionPaid"
    STREAM: ClassVar[str] = CONTRACTS

    contract_number: ContractNumber
    company_code: CompanyCode
    insured_group: InsuredGroup
    payment_id: ContributionId
    schedule_id: ContributionId
    paid_on: date
    amount: Money
    payment_mode: PaymentMode
    revision: Revision

    def key(self) -> str:
        return self.contract_number


# --- memberships -------------------------------------------------------------------------------


class InsuredPerson(_Part):
    civility: Civility
    last_name: str = Field(min_length=1, max_length=80)
    first_name: str = Field(min_length=1, max_length=80)
    birth_date: date
    nir: Nir


class Dependant(InsuredPerson):
    role: DependantRole


class BankDetails(_Part):
    iban: Iban
    bic: str = Field(pattern=r"^[A-Z]{6}[A-Z0-9]{2}([A-Z0-9]{3})?$")
    holder: str = Field(min_length=1, max_length=120)


class FamilySituation(StrEnum):
    """Situation familiale of the primary insured, as the legacy system records it."""

    SINGLE = "CELIBATAIRE"
    MARRIED = "MARIE"
    CIVIL_PARTNERSHIP = "PACSE"
    COHABITING = "CONCUBIN"
    DIVORCED = "DIVORCE"
    SEPARATED = "SEPARE"
    WIDOWED = "VEUF"


class MemberAffiliated(Event):
    """A primary insured (and dependants) joined a collective contract: an entry (production)."""

    TYPE: ClassVar[str] = "MemberAffiliated"
    STREAM: ClassVar[str] = MEMBERSHIPS

    membership_id: MembershipId
    member_number: MemberNumber
    mutuelle_code: MutuelleCode | None = Field(
        default=None,
        description="Where the tenant is a union of mutuelles (Solimut): the number of the member's mutuelle within it "
        "(numéro de mutuelle au sens Promut, e.g. 700 for MFPLUS), with which the member logs in",
    )
    contract_number: ContractNumber
    company_code: CompanyCode
    insured_group: InsuredGroup = InsuredGroup.ACTIVE
    primary: InsuredPerson
    dependants: list[Dependant] = Field(default_factory=list, max_length=20)
    email: Email | None = None
    mobile_phone: str | None = Field(default=None, max_length=20)
    address: Address
    benefits_bank_details: BankDetails | None = None
    family_situation: FamilySituation | None = Field(default=None, description="Situation familiale (added in v1, optional)")
    payment_mode: PaymentMode | None = Field(
        default=None, description="How the employee's share of the contributions is paid (mode de règlement; added in v1, optional)"
    )
    payment_frequency: Frequency | None = Field(default=None, description="How often it is paid (added in v1, optional)")
    effective_date: date = Field(description="Date d'effet of the affiliation")
    recorded_on: date = Field(description="Date the legacy system recorded it (date d'enregistrement)")
    revision: Revision = Field(
        description="Legacy revision of the membership; a correction of the affiliation carries a higher one, and a "
        "consumer keeps the highest"
    )

    def key(self) -> str:
        return self.member_number


class MemberRadiated(Event):
    """A membership ended (radiation): an exit, with its reason (motif)."""

    TYPE: ClassVar[str] = "MemberRadiated"
    STREAM: ClassVar[str] = MEMBERSHIPS

    membership_id: MembershipId
    member_number: MemberNumber
    contract_number: ContractNumber
    company_code: CompanyCode
    effective_date: date = Field(description="Last day covered (date de fin)")
    reason: str = Field(min_length=1, max_length=60, description="Motif, e.g. DEMISSION")
    recorded_on: date
    revision: Revision = Field(description="Legacy revision of the membership; a corrected radiation carries a higher one")

    def key(self) -> str:
        return self.member_number
