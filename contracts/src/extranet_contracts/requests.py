"""Requests made in the portals for the legacy management system, which stays the system of record:
its back office applies them (or not) and publishes the outcome in its own events.

Stream: `portal.requests`, keyed by the requester's reference (broker code, member number), so that
one person's requests keep their order. The event id is the request's id, unless the event names its
request itself (`request_id`: a request the portal keeps, with its attachments, under that id).
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from extranet_contracts.base import Event
from extranet_contracts.claims import Money
from extranet_contracts.households import Consent
from extranet_contracts.legacy import Dependant, InsuredPerson
from extranet_contracts.types import (
    Address,
    BrokerCode,
    Civility,
    CompanyCode,
    ContractNumber,
    DependantRole,
    Email,
    Iban,
    MemberNumber,
    MembershipId,
    Nir,
)

PORTAL_REQUESTS = "portal.requests"


class ContactChangeRequested(Event):
    """A broker or member asked, in a portal, to change the email or phone the legacy system has on file."""

    TYPE: ClassVar[str] = "ContactChangeRequested"
    STREAM: ClassVar[str] = PORTAL_REQUESTS

    requester_kind: Literal["broker", "member"]
    reference: str = Field(pattern=r"^(M\d{5}|\d{8})$", description="Broker code (M + 5 digits) or member number (8 digits)")
    email: Email | None = Field(default=None, description="The new email, if it changes")
    phone: str | None = Field(default=None, pattern=r"^\+[1-9]\d{6,14}$", description="The new phone number in E.164, if it changes")

    @model_validator(mode="after")
    def _something_changes(self) -> ContactChangeRequested:
        if self.email is None and self.phone is None:
            raise ValueError("a contact change names a new email, a new phone, or both")
        return self

    def key(self) -> str:
        return self.reference


class DocumentReference(BaseModel):
    """A file a requester attached, as the service that keeps it knows it: never its bytes (the legacy
    system fetches the file from that service by its id and checks it against the digest)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    file_id: uuid.UUID = Field(description="The file's id in the service that keeps it")
    media_type: Literal["application/pdf", "image/png", "image/jpeg"] = Field(description="Recognised from the file's content")
    size: int = Field(ge=1, le=4 * 1024 * 1024, description="Bytes")
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$", description="SHA-256 of the content, lower-case hex")


class BrokerAddressChangeRequested(Event):
    """A broker asked, in the broker portal, to change the postal address of the brokerage office from a
    date, with an extract of its Kbis; the back office validates it (or not)."""

    TYPE: ClassVar[str] = "BrokerAddressChangeRequested"
    STREAM: ClassVar[str] = PORTAL_REQUESTS

    request_id: uuid.UUID = Field(description="The request's id in the portal, where it is kept with its Kbis")
    broker_code: BrokerCode
    address: Address = Field(description="The new address (line1: street, line2: complement, locality: lieu-dit)")
    effective_date: date = Field(description="The date from which the broker wants the new address to apply")
    kbis: DocumentReference = Field(description="The Kbis extract attached to the request")

    def key(self) -> str:
        return self.broker_code


# --- the request engine (enrollment service) ---------------------------------------------------------------


class Requester(BaseModel):
    """Who asked, in which portal: the account's id in identity and the reference the legacy system knows
    the requester by (broker code, member number, company code)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    portal: Literal["broker", "member", "employer"]
    account: str = Field(min_length=1, max_length=64, description="The account's id (identity)")
    reference: str = Field(pattern=r"^(M\d{5}|\d{8})$", description="Broker code, member number or company code")


class BrokerContactChangeRequested(Event):
    """A broker changed, in the broker portal (« Mes points de contact »), the brokerage office's contact person, its
    email and phone; the legacy system applies it, and its next `BrokerRegistered` of the office carries them."""

    TYPE: ClassVar[str] = "BrokerContactChangeRequested"
    STREAM: ClassVar[str] = PORTAL_REQUESTS

    request_id: uuid.UUID = Field(description="The request's id in the enrollment service; its decision names it")
    requested_by: Requester
    broker_code: BrokerCode
    contact_last_name: str = Field(min_length=1, max_length=80, description="Nom de la personne à contacter")
    contact_first_name: str = Field(min_length=1, max_length=80, description="Prénom de la personne à contacter")
    email: Email = Field(description="The contact's email")
    phone: str | None = Field(default=None, pattern=r"^\+[1-9]\d{6,14}$", description="The office's phone, E.164 (none: unchanged)")

    def key(self) -> str:
        return self.broker_code


class EmployeeTerminationRequested(Event):
    """A company correspondent asked, in the employer portal, to terminate an employee's membership
    (radiation) from a date, for a reason of the tenant's list; the legacy system decides, and an accepted
    termination is followed by its `MemberRadiated`."""

    TYPE: ClassVar[str] = "EmployeeTerminationRequested"
    STREAM: ClassVar[str] = PORTAL_REQUESTS

    request_id: uuid.UUID = Field(description="The request's id in the enrollment service; its decision names it")
    requested_by: Requester
    company_code: CompanyCode
    contract_number: ContractNumber
    membership_id: MembershipId
    member_number: MemberNumber
    effective_date: date = Field(description="Last day covered (date de radiation)")
    reason: str = Field(pattern=r"^[A-Z][A-Z '-]{1,59}$", description="Motif, a code of the tenant's list, e.g. DEMISSION")

    def key(self) -> str:
        return self.company_code


class BankAccount(BaseModel):
    """An account the legacy system pays to or debits from: IBAN (checked with python-stdnum), BIC, holder."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)

    iban: Iban
    bic: str = Field(pattern=r"^[A-Z]{6}[A-Z0-9]{2}([A-Z0-9]{3})?$")
    holder: str = Field(min_length=1, max_length=120, description="Titulaire du compte")


class DebitDetails(BankAccount):
    """Where and when the contributions are debited (RIB)."""

    frequency: str = Field(pattern=r"^[A-Z]{3,20}$", description="A code of the tenant's list, e.g. MENSUEL")
    debit_day: int = Field(ge=1, le=28)


class AffiliationRequested(Event):
    """A company correspondent asked, in the employer portal, to affiliate an employee (and dependants) to a
    collective contract, with the guarantee chosen, from a date (the affiliation wizard); the legacy system
    decides, and an accepted affiliation is followed by its `MemberAffiliated`."""

    TYPE: ClassVar[str] = "AffiliationRequested"
    STREAM: ClassVar[str] = PORTAL_REQUESTS

    request_id: uuid.UUID
    requested_by: Requester
    company_code: CompanyCode
    contract_number: ContractNumber
    guarantee_code: str = Field(pattern=r"^[A-Z0-9_-]{2,20}$", description="The guarantee (product) chosen, one of the contract's")
    effective_date: date = Field(description="Date d'effet asked for")
    primary: InsuredPerson = Field(description="The employee; the NIR agrees with the birth date and sex")
    social_scheme: str = Field(pattern=r"^[A-Z]{2,20}$", description="Régime social, a code of the tenant's list")
    dependants: list[Dependant] = Field(default_factory=list, max_length=20)
    address: Address
    email: Email
    bank: DebitDetails
    attachments: list[DocumentReference] = Field(default_factory=list, max_length=10, description="Supporting documents, by reference")

    def key(self) -> str:
        return self.company_code


class TpCardOrdered(Event):
    """A member (« Envoi de carte mutuelle ») or a company correspondent for an employee (« Carte TP ») asked for
    the third-party payment card to be sent by post; the legacy system sends it (or not)."""

    TYPE: ClassVar[str] = "TpCardOrdered"
    STREAM: ClassVar[str] = PORTAL_REQUESTS

    request_id: uuid.UUID
    requested_by: Requester
    member_number: MemberNumber = Field(description="The household whose card is sent")
    contract_number: ContractNumber | None = Field(default=None, description="The collective contract, when an employer asks")

    def key(self) -> str:
        return self.requested_by.reference


class PaperlessOptionRequested(Event):
    """A member asked, in the member portal, to switch the paperless option on (no more paper statements at
    home: « Option zéro papier ») or off; once accepted, the legacy system publishes the household's
    `CommunicationPreferencesRecorded` with the option as asked."""

    TYPE: ClassVar[str] = "PaperlessOptionRequested"
    STREAM: ClassVar[str] = PORTAL_REQUESTS

    request_id: uuid.UUID
    requested_by: Requester
    member_number: MemberNumber = Field(description="The household")
    paperless: bool = Field(description="True: no more paper statements; false: paper statements again")

    def key(self) -> str:
        return self.requested_by.reference


class MessageSent(Event):
    """A member wrote to the mutuelle from the member portal (« Écrivez-nous »): a subject of the tenant's
    list, the message, the files the member uploaded for it (by reference, in `attachments`; `attachment`
    is the single reference of earlier events); the answer goes to the email given. The message may hold
    health data: it travels to the legacy system only, never into a log."""

    TYPE: ClassVar[str] = "MessageSent"
    STREAM: ClassVar[str] = PORTAL_REQUESTS

    request_id: uuid.UUID
    requested_by: Requester
    member_number: MemberNumber = Field(description="The household")
    subject: str = Field(pattern=r"^[A-Z][A-Z_]{1,29}$", description="A code of the tenant's list of subjects")
    message: str = Field(min_length=1, max_length=4000)
    reply_email: Email = Field(description="Where the answer goes")
    attachment: DocumentReference | None = Field(default=None, description="Earlier events' single file; see `attachments`")
    attachments: list[DocumentReference] = Field(
        default_factory=list, max_length=5, description="The files the member joined, each uploaded by the household and used once"
    )

    def key(self) -> str:
        return self.requested_by.reference


class NewBeneficiary(BaseModel):
    """A spouse or child added to the household's contract (a child may be covered under a parent's NIR)."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)

    role: DependantRole
    civility: Civility
    last_name: str = Field(min_length=1, max_length=80)
    first_name: str = Field(min_length=1, max_length=80)
    birth_date: date
    nir: Nir | None = Field(default=None, description="Agrees with the birth date and sex; required for a spouse")


class BeneficiaryAdditionRequested(Event):
    """A member asked, in the member portal, to add a beneficiary to the household's contract from a date
    (within the tenant's window), or a company correspondent for an employee on a collective contract; an
    advisor follows it up, and an accepted one is in the next `HouseholdBeneficiariesRecorded`."""

    TYPE: ClassVar[str] = "BeneficiaryAdditionRequested"
    STREAM: ClassVar[str] = PORTAL_REQUESTS

    request_id: uuid.UUID
    requested_by: Requester
    member_number: MemberNumber = Field(description="The household (an employee's, when their employer asks)")
    contract_number: ContractNumber | None = Field(default=None, description="The employee's collective contract, when an employer asks")
    beneficiary: NewBeneficiary
    effective_date: date = Field(description="From when the beneficiary is covered")

    def key(self) -> str:
        return self.requested_by.reference


class AdvisorDecisionRecorded(Event):
    """An advisor (an operator of the back office) decided a request that the legacy system had left to an
    advisor: the legacy system applies it and publishes the outcome as for any other decision."""

    TYPE: ClassVar[str] = "AdvisorDecisionRecorded"
    STREAM: ClassVar[str] = PORTAL_REQUESTS

    request_id: uuid.UUID
    requester_reference: str = Field(pattern=r"^(M\d{5}|\d{8})$", description="As the request was keyed, so that both keep their order")
    operator: str = Field(min_length=1, max_length=64, description="The operator's account id (identity)")
    accepted: bool
    reason: str | None = Field(default=None, min_length=1, max_length=300, description="Why it is refused (shown to the requester)")

    @model_validator(mode="after")
    def _refusal_has_a_reason(self) -> AdvisorDecisionRecorded:
        if not self.accepted and self.reason is None:
            raise ValueError("a refusal gives its reason")
        return self

    def key(self) -> str:
        return self.requester_reference


# --- the member's situation changes (guide 004, « Services en ligne », « Modifications ») ------------------------
# Each names the household (its member number) and the date the change takes effect (within the tenant's window).
# Bank details and phones travel whole to the legacy system only: the portals show them masked, nothing logs them.


class _MemberChange(Event):
    STREAM: ClassVar[str] = PORTAL_REQUESTS

    request_id: uuid.UUID
    requested_by: Requester
    member_number: MemberNumber = Field(description="The household")
    effective_date: date = Field(description="From when the change applies (within the tenant's window)")

    def key(self) -> str:
        return self.requested_by.reference


class BenefitsIbanChangeRequested(_MemberChange):
    """A member asked to have the benefits paid to another account (« Changement d'IBAN prestation »); once
    accepted, the household's next `HouseholdBeneficiariesRecorded` carries it on the primary insured."""

    TYPE: ClassVar[str] = "BenefitsIbanChangeRequested"

    account: BankAccount


class ContributionIbanChangeRequested(_MemberChange):
    """A member of an individual contract asked to have the contributions debited from another account
    (« Changement d'IBAN cotisation »); the legacy system signs the new direct-debit mandate."""

    TYPE: ClassVar[str] = "ContributionIbanChangeRequested"

    account: BankAccount


class DebitDayChangeRequested(_MemberChange):
    """A member of an individual contract asked to have the contributions debited on another day of the month
    (« Changement de date de prélèvement »), one of the tenant's days."""

    TYPE: ClassVar[str] = "DebitDayChangeRequested"

    debit_day: int = Field(ge=1, le=28, description="Day of the month")


class RemovedBeneficiary(BaseModel):
    """A dependant of the household, as the household's file names them: their `beneficiary_id` (see
    `households.beneficiary_id`; absent from earlier events), their role, names and birth date (by which the legacy
    system finds them within the household)."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)

    beneficiary_id: str | None = Field(default=None, pattern=r"^[0-9a-f]{12}$", description="The beneficiary's identifier in the household")
    role: DependantRole
    last_name: str = Field(min_length=1, max_length=80)
    first_name: str = Field(min_length=1, max_length=80)
    birth_date: date


class BeneficiaryRemovalRequested(_MemberChange):
    """A member asked to remove a dependant from the household's contract (« Suppression de bénéficiaire »), for a
    reason of the tenant's list; once accepted, the household's next `HouseholdBeneficiariesRecorded` is without them."""

    TYPE: ClassVar[str] = "BeneficiaryRemovalRequested"

    beneficiary: RemovedBeneficiary
    reason: str = Field(pattern=r"^[A-Z][A-Z_]{1,29}$", description="A code of the tenant's list, e.g. DIVORCE")


class GuaranteeChangeRequested(_MemberChange):
    """A member of an individual contract asked to change guarantee (« Changement de garantie ») for one of the
    tenant's range, an advisor calling back; once accepted, the member's next `MemberContractRecorded` holds it."""

    TYPE: ClassVar[str] = "GuaranteeChangeRequested"

    guarantee_code: str = Field(pattern=r"^[A-Z0-9_-]{2,20}$", description="The guarantee asked for")
    guarantee_name: str = Field(min_length=1, max_length=120, description="Its name, as the member chose it")
    callback_phone: str | None = Field(
        default=None, pattern=r"^\+[1-9]\d{6,14}$", description="Where the advisor calls back (E.164), if not the number on file"
    )


class MemberAddressChangeRequested(_MemberChange):
    """A member moved (« Changement d'adresse »: the household's new home address) or gave their work address
    (« Adresse professionnelle »); once accepted, the household's next `HouseholdBeneficiariesRecorded` carries it (a new
    home address for those who lived at the former one)."""

    TYPE: ClassVar[str] = "MemberAddressChangeRequested"

    address: Address
    address_kind: Literal["HOME", "WORK"] = Field(default="HOME", description="Adresse personnelle or professionnelle")


class MemberContactDetailsChangeRequested(_MemberChange):
    """A member changed their phones or email on file (« Changement des informations de contact »): only those
    given change; once accepted, the household's next `HouseholdBeneficiariesRecorded` carries them."""

    TYPE: ClassVar[str] = "MemberContactDetailsChangeRequested"

    mobile_phone: str | None = Field(default=None, pattern=r"^\+[1-9]\d{6,14}$", description="Portable, E.164")
    home_phone: str | None = Field(default=None, pattern=r"^\+[1-9]\d{6,14}$", description="Personnel, E.164")
    work_phone: str | None = Field(default=None, pattern=r"^\+[1-9]\d{6,14}$", description="Professionnel, E.164")
    email: Email | None = None

    @model_validator(mode="after")
    def _something_changes(self) -> MemberContactDetailsChangeRequested:
        if not any((self.mobile_phone, self.home_phone, self.work_phone, self.email)):
            raise ValueError("a contact details change names at least one phone or the email")
        return self


class ChannelChoices(BaseModel):
    """A kind of information's channels the member chose (absent: unchanged)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    email: Consent | None = None
    post: Consent | None = None
    sms: Consent | None = None


class CommunicationChoicesChangeRequested(_MemberChange):
    """A member changed their choices of how they receive each kind of information (« Changement des choix d'envoi
    des informations »): only the cells given change; once accepted, the household's next
    `CommunicationPreferencesRecorded` carries them (the paperless option as it was)."""

    TYPE: ClassVar[str] = "CommunicationChoicesChangeRequested"

    technical: ChannelChoices | None = Field(default=None, description="Informations techniques")
    commercial: ChannelChoices | None = Field(default=None, description="Informations commerciales")
    partners: ChannelChoices | None = Field(default=None, description="Informations partenaires")
    other: ChannelChoices | None = Field(default=None, description="Autres informations")

    @model_validator(mode="after")
    def _something_changes(self) -> CommunicationChoicesChangeRequested:
        kinds = (self.technical, self.commercial, self.partners, self.other)
        if not any(c is not None and (c.email or c.post or c.sms) for c in kinds):
            raise ValueError("a change of the communication choices names at least one choice")
        return self


class SponsorshipProposed(_MemberChange):
    """A member proposed someone they know to the mutuelle (« Proposer un parrainage »): who, and how the mutuelle may
    reach them (an email or a phone, at least one); the mutuelle contacts them. `effective_date` is the day it was made."""

    TYPE: ClassVar[str] = "SponsorshipProposed"

    civility: Civility
    last_name: str = Field(min_length=1, max_length=80)
    first_name: str = Field(min_length=1, max_length=80)
    email: Email | None = None
    phone: str | None = Field(default=None, pattern=r"^\+[1-9]\d{6,14}$", description="E.164")

    @model_validator(mode="after")
    def _reachable(self) -> SponsorshipProposed:
        if self.email is None and self.phone is None:
            raise ValueError("a sponsorship names an email or a phone")
        return self


class ContributionPaymentRequested(_MemberChange):
    """A member of an individual contract asked to pay the contribution due online (« Paiement de cotisation en
    ligne », a tenant's option): the amount due as the household's contribution block shows it, and the payment's
    reference. No payment provider is involved yet: the legacy system collects it (or not) and, once accepted,
    publishes the member's `MemberContractRecorded` with the payment as the last one and nothing due."""

    TYPE: ClassVar[str] = "ContributionPaymentRequested"

    contract_number: ContractNumber = Field(description="The member's individual contract")
    amount: Money = Field(description="The amount due, paid in full")
    due_date: date | None = Field(default=None, description="When it was due, as the contribution block shows it")
    payment_reference: str = Field(pattern=r"^COT-[0-9A-Z]{8,30}$", description="The payment's reference, shown to the member")
