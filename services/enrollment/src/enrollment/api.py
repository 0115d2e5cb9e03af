"""The models of the enrollment service's internal API, declared once: its routes answer with them and
the gateway's typed client validates what it receives against them (and declares the portals' routes
with them)."""

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field
from pydantic_core import PydanticCustomError

from enrollment.domain import member_changes
from extranet_contracts.requests import NewBeneficiary
from extranet_contracts.types import Address, Civility, ContractNumber, DependantRole, Email, Iban, MemberNumber, Nir

KIND_PATTERN = r"^[a-z_]{3,40}$"
RequestStatus = Literal["draft", "submitted", "sent", "accepted", "refused", "cancelled"]
PAGE_SIZE = 50


class Choice(BaseModel):
    code: str
    label: str


class Window(BaseModel):
    """The effective dates the tenant allows today for this kind of request."""

    earliest: date
    latest: date


class RequestForm(BaseModel):
    """What a portal shows before a request is made: its window of effective dates and the lists it chooses from."""

    kind: str
    label: str
    window: Window
    choices: dict[str, list[Choice]] = Field(description="Field -> the codes it accepts, with their French labels")


class Step(BaseModel):
    """One transition of a request: when, by whom, to which status, and why."""

    at: datetime
    actor: Literal["requester", "platform", "legacy", "advisor"]
    actor_label: str
    status: RequestStatus
    status_label: str
    note: str | None


class RequestSummary(BaseModel):
    id: str
    kind: str
    kind_label: str
    status: RequestStatus
    status_label: str
    subject: str | None = Field(description="For whom (e.g. the employee terminated), when it is not the requester")
    contract_number: str | None
    submitted_at: datetime | None
    decided_at: datetime | None
    refusal_reason: str | None
    awaiting_advisor: bool


class RequestDetail(RequestSummary):
    portal: Literal["broker", "member", "employer"]
    reference: str = Field(description="Broker code, member number or company code of the requester")
    created_at: datetime
    sent_at: datetime | None
    payload: dict[str, Any] = Field(description="What is asked, as the kind defines it")
    attachments: list[dict[str, Any]] = Field(description="Files attached, by reference (never their bytes)")
    window: Window | None = Field(description="The effective dates allowed when it was checked")
    missing_steps: list[str] = Field(description="A wizard's steps not filled yet (nothing to send until they are)")
    history: list[Step]


class RequestList(BaseModel):
    """A requester's requests (newest first), of a year and a kind if asked."""

    year: int | None
    kind: str | None
    items: list[RequestSummary]


class BackofficeList(BaseModel):
    """Requests as operators see them (drafts excepted), newest first, one page."""

    total: int
    page: int
    page_size: int
    items: list[RequestDetail]


class TerminationForm(BaseModel):
    """An employee's termination (radiation): whose membership, on which contract, from when, why."""

    model_config = ConfigDict(extra="forbid")

    contract_number: ContractNumber
    member_number: MemberNumber = Field(description="The employee's member number (numéro d'adhérent)")
    effective_date: date = Field(description="Last day covered (date de radiation), within the tenant's window")
    reason: str = Field(min_length=2, max_length=60, description="A code of the form's `reason` choices")


class TpCardOrder(BaseModel):
    """Whose card: nothing for a member (their household's); the employee and the contract for a correspondent."""

    model_config = ConfigDict(extra="forbid")

    member_number: MemberNumber | None = Field(default=None, description="The employee's member number (employer portal)")
    contract_number: ContractNumber | None = Field(default=None, description="The employee's collective contract (employer portal)")


class EmployeeTpCard(BaseModel):
    """An employee's card, as the employer portal orders it (« Carte TP » of the employee's page)."""

    model_config = ConfigDict(extra="forbid")

    member_number: MemberNumber = Field(description="The employee's member number")
    contract_number: ContractNumber = Field(description="The employee's collective contract")


class AdvisorDecision(BaseModel):
    model_config = ConfigDict(extra="forbid")

    accepted: bool
    reason: str | None = Field(default=None, min_length=1, max_length=300, description="Why it is refused (shown to the requester)")


class RequestsStats(BaseModel):
    """Counts only (no personal data)."""

    events_applied: int
    requests: int
    awaiting_advisor: int
    early_decisions: int
    memberships: int


class RequestQuery(BaseModel):
    """A requester's history as the gateway declares it (enrollment checks it again)."""

    model_config = ConfigDict(extra="forbid")

    year: int | None = Field(default=None, ge=2000, le=2100, description="Submitted that year")
    kind: str | None = Field(default=None, pattern=KIND_PATTERN, description="One kind of request")

    def params(self) -> dict:
        return self.model_dump(mode="json", exclude_none=True)


class BackofficeQuery(RequestQuery):
    """The operators' list, filtered (enrollment checks it again)."""

    status: RequestStatus | None = None
    portal: Literal["broker", "member", "employer"] | None = None
    awaiting_advisor: bool | None = Field(default=None, description="Only those left to an advisor (true) or not (false)")
    page: int = Field(default=1, ge=1, le=10_000)


# --- the affiliation wizard: one model per step, saved one at a time ---------------------------------------------


class NewAffiliation(BaseModel):
    model_config = ConfigDict(extra="forbid")

    contract_number: ContractNumber = Field(description="The collective contract the employee joins (one granted to you)")


class Person(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    civility: Civility
    last_name: str = Field(min_length=1, max_length=80)
    first_name: str = Field(min_length=1, max_length=80)
    birth_date: date
    nir: Nir = Field(description="Numéro de sécurité sociale: 13 digits and its 2-digit key, agreeing with the birth date and sex")


class Beneficiary(Person):
    role: DependantRole = Field(description="CONJOINT, ADULTE (an adult dependant, 18 or older) or ENFANT")


class FamilyStep(Person):
    """Step 1: the primary insured (with the social scheme) and the beneficiaries attached."""

    social_scheme: str = Field(min_length=2, max_length=20, description="Régime social: a code of the form's `social_scheme` choices")
    dependants: list[Beneficiary] = Field(default_factory=list, max_length=20)


class AddressStep(Address):
    """Step 2: the postal address."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class ContactStep(BaseModel):
    """Step 3: the employee's email (the recap goes there)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    email: Email


class CoverageStep(BaseModel):
    """Step 4: the guarantee (product) of the contract, from a date within the window."""

    model_config = ConfigDict(extra="forbid")

    guarantee_code: str = Field(pattern=r"^[A-Z0-9_-]{2,20}$", description="One of the form's `guarantee` choices")
    effective_date: date


class BankStep(BaseModel):
    """Step 5: the RIB the contributions are debited from, how often and on which day."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    iban: Iban
    bic: str = Field(pattern=r"^[A-Z]{6}[A-Z0-9]{2}([A-Z0-9]{3})?$")
    holder: str = Field(min_length=1, max_length=120)
    frequency: str = Field(min_length=3, max_length=20, description="One of the form's `frequency` choices")
    debit_day: int = Field(ge=1, le=28, description="One of the form's `debit_day` choices")


STEP_MODELS: dict[str, type[BaseModel]] = {
    "family": FamilyStep,
    "address": AddressStep,
    "contact": ContactStep,
    "coverage": CoverageStep,
    "bank": BankStep,
}
STEP_PATTERN = r"^(family|address|contact|coverage|bank)$"


# --- online enrollment (« Affiliation en ligne »): invitations, their tracking, and the employee's link ----------

InvitationStatus = Literal["pending", "in_progress", "completed", "refused", "expired", "error", "closed"]
MailStatus = Literal["requested", "delivered", "bounced", "failed"]


class NewInvitee(BaseModel):
    """An employee invited to fill their affiliation online."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    civility: Civility
    last_name: str = Field(min_length=1, max_length=80)
    first_name: str = Field(min_length=1, max_length=80)
    email: Email


class InvitationBatch(BaseModel):
    """Employees typed one by one (« Ajouter un salarié »), invited on one collective contract: all or none."""

    model_config = ConfigDict(extra="forbid")

    contract_number: ContractNumber = Field(description="The collective contract they join (one granted to you)")
    employees: list[NewInvitee] = Field(min_length=1, max_length=500)


class InvitationImportQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    contract_number: ContractNumber = Field(description="The collective contract the file's employees join")


class InvitationRow(BaseModel):
    """A line of the tracking table (« Suivi de la saisie par les salariés »)."""

    id: str
    contract_number: str
    category: str | None = Field(default=None, description="The contract's population category when the employee was invited")
    civility: Literal["M", "MME"]
    civility_label: str
    last_name: str
    first_name: str
    email: str
    status: InvitationStatus
    status_label: str
    status_help: str
    mail_status: MailStatus = Field(description="Whether the latest mail (invitation or reminder) was delivered, bounced or failed")
    mail_label: str
    invited_at: datetime
    expires_at: datetime = Field(description="Until when the latest link works")
    reminders: int = Field(description="Automatic reminders sent")
    request_id: str | None = Field(description="The affiliation the employee fills, once the link is opened")


class InvitationList(BaseModel):
    items: list[InvitationRow]


class InvitationDetail(InvitationRow):
    request: RequestDetail | None = Field(description="The affiliation as the employee filled it so far")


class InvitationView(BaseModel):
    """What the employee sees through the link: who invites them, on which contract, the wizard's form and their affiliation."""

    company_name: str
    contract_number: str
    category: str | None = Field(default=None, description="The contract's population category the employee was invited in")
    civility: Literal["M", "MME"]
    last_name: str
    first_name: str
    email: str
    expires_at: datetime
    form: RequestForm
    request: RequestDetail


# --- the member's online services (guide 004): each a request sent at once ----------------------------------------


class PaperlessChoice(BaseModel):
    """« Option zéro papier »: no more paper statements at home (true), or paper statements again (false)."""

    model_config = ConfigDict(extra="forbid")

    paperless: bool


class MessageForm(BaseModel):
    """« Écrivez-nous »: a subject of the form's list, the message, the email the answer goes to, the files joined (the
    `file_id`s of the household's uploads, each used once)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    subject: str = Field(pattern=r"^[A-Z][A-Z_]{1,29}$", description="One of the form's `subject` choices")
    message: str = Field(min_length=10, max_length=4000)
    reply_email: Email = Field(description="Where the answer goes")
    attachments: list[uuid.UUID] = Field(default_factory=list, max_length=5, description="The `file_id` of files the household uploaded")


class Upload(BaseModel):
    """A file the member uploaded, to be named by its `file_id` in a message (within a day)."""

    file_id: uuid.UUID
    name: str
    media_type: str
    size: int
    sha256: str
    uploaded_at: datetime


class BeneficiaryAddition(BaseModel):
    """A spouse, an adult dependant or a child to add to the household's contract, covered from a date within the form's window."""

    model_config = ConfigDict(extra="forbid")

    beneficiary: NewBeneficiary
    effective_date: date


class EmployeeBeneficiaryAddition(BeneficiaryAddition):
    """A beneficiary added to an employee's cover by the employer (« Ajouter un bénéficiaire » of the employee's page)."""

    member_number: MemberNumber = Field(description="The employee's member number")
    contract_number: ContractNumber = Field(description="The employee's collective contract")


# --- the member's situation changes (guide 004, « Modifications »): each checked with French messages, sent at once --


def _french(check):
    """A domain check as a field validator: its refusal is the field's message, in French (the value never repeated)."""

    def validate(value: str) -> str:
        try:
            return check(value)
        except member_changes.Unacceptable as refused:
            raise PydanticCustomError("unacceptable", str(refused)) from None

    return AfterValidator(validate)


IbanField = Annotated[str, Field(max_length=42, description="IBAN, spaces allowed"), _french(member_changes.checked_iban)]
BicField = Annotated[str, Field(max_length=14, description="BIC (8 or 11 characters)"), _french(member_changes.checked_bic)]
PhoneField = Annotated[
    str, Field(max_length=25, description="As typed: 04 91 23 41 16, +33 4 91 ..."), _french(member_changes.checked_phone)
]
MobileField = Annotated[str, Field(max_length=25, description="As typed: 06 12 34 56 78"), _french(member_changes.checked_mobile)]
EffectiveDate = Annotated[date, Field(description="Within the window of the kind's form")]


class _Change(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    effective_date: EffectiveDate


class BankAccountChange(_Change):
    """« Changement d'IBAN prestation » or « cotisation »: the new account (checked with python-stdnum), its BIC and holder."""

    iban: IbanField
    bic: BicField
    holder: Annotated[str, Field(min_length=1, max_length=120, description="Titulaire du compte"), _french(member_changes.checked_holder)]


class DebitDayChange(_Change):
    """« Changement de date de prélèvement »: a day of the form's `debit_day` choices."""

    debit_day: int = Field(ge=1, le=28, description="One of the form's `debit_day` choices")


class BeneficiaryRemoval(_Change):
    """« Suppression de bénéficiaire »: the dependant (their `id` on the beneficiaries page), why (a code of the form's
    `reason` choices), from when."""

    beneficiary_id: Annotated[
        str,
        Field(max_length=40, description="The dependant's id, as the beneficiaries page gives it"),
        _french(member_changes.checked_beneficiary_id),
    ]
    reason: str = Field(pattern=r"^[A-Z][A-Z_]{1,29}$", description="One of the form's `reason` choices")


class GuaranteeChange(_Change):
    """« Changement de garantie »: a guarantee of the form's `guarantee_code` choices; an advisor calls back."""

    guarantee_code: str = Field(pattern=r"^[A-Z0-9_-]{2,20}$", description="One of the form's `guarantee_code` choices")
    callback_phone: PhoneField | None = Field(default=None, description="Where the advisor calls back, if not the number on file")


class ContributionDue(BaseModel):
    """« Paiement de cotisation en ligne »: what the household's contribution block says is due."""

    contract_number: str
    amount_due: Decimal = Field(description="Euros, what the member pays in full")
    due_date: date | None


class ContributionPayment(BaseModel):
    """The contribution due paid online: the amount shown (refused if what is due changed meanwhile)."""

    model_config = ConfigDict(extra="forbid")

    amount: Decimal = Field(gt=0, max_digits=11, decimal_places=2, description="The amount due, as shown")


class PostalAddress(BaseModel):
    """The household's new address (line1: number and street, line2: complement, locality: lieu-dit)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    line1: str = Field(min_length=1, max_length=120)
    line2: str | None = Field(default=None, max_length=120)
    locality: str | None = Field(default=None, max_length=80, description="Lieu-dit")
    postal_code: Annotated[str, Field(min_length=1, max_length=10), _french(member_changes.checked_postal_code)]
    city: Annotated[str, Field(min_length=1, max_length=80), _french(member_changes.checked_city)]


class AddressChange(_Change):
    """« Changement d'adresse »: the household's new home address, or the member's work address, from a date."""

    address: PostalAddress
    address_kind: Annotated[
        str,
        Field(description="HOME (adresse personnelle, the default) or WORK (adresse professionnelle)"),
        _french(member_changes.checked_address_kind),
    ] = "HOME"


class ContactDetailsChange(_Change):
    """« Changement des informations de contact »: the phones and email to change (at least one; the others stay)."""

    mobile_phone: MobileField | None = Field(default=None, description="Portable")
    home_phone: PhoneField | None = Field(default=None, description="Personnel")
    work_phone: PhoneField | None = Field(default=None, description="Professionnel")
    email: Annotated[str, Field(max_length=254), _french(member_changes.checked_email)] | None = None


ConsentField = Annotated[str, Field(description="ACCEPTE or REFUSE"), _french(member_changes.checked_consent)]


class ChannelChoicesForm(BaseModel):
    """A kind of information's channels: accepted or refused (absent: unchanged)."""

    model_config = ConfigDict(extra="forbid")

    email: ConsentField | None = None
    post: ConsentField | None = None
    sms: ConsentField | None = None


class CommunicationChoicesChange(BaseModel):
    """« Changement des choix d'envoi des informations »: the cells that change (at least one), from a date (today if absent)."""

    model_config = ConfigDict(extra="forbid")

    technical: ChannelChoicesForm | None = Field(default=None, description="Informations techniques")
    commercial: ChannelChoicesForm | None = Field(default=None, description="Informations commerciales")
    partners: ChannelChoicesForm | None = Field(default=None, description="Informations partenaires")
    other: ChannelChoicesForm | None = Field(default=None, description="Autres informations")
    effective_date: date | None = Field(default=None, description="Within the form's window; today if absent")


class SponsorshipForm(BaseModel):
    """« Proposer un parrainage »: the person proposed, reachable by email or phone (at least one)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    civility: Civility
    last_name: Annotated[str, Field(min_length=1, max_length=80), _french(member_changes.checked_person_name)]
    first_name: Annotated[str, Field(min_length=1, max_length=80), _french(member_changes.checked_person_name)]
    email: Annotated[str, Field(max_length=254), _french(member_changes.checked_email)] | None = None
    phone: PhoneField | None = None


# --- the broker's requests (guide 000, « Mon profil ») ----------------------------------------------------------

EmailField = Annotated[str, Field(max_length=254), _french(member_changes.checked_email)]
ContactName = Annotated[str, Field(min_length=1, max_length=80, pattern=r"^[^\x00-\x1f<>;=\"]+$")]


class BrokerContactChange(BaseModel):
    """« Modifier mes points de contact »: the office's contact person, the new email typed twice, the phone (absent:
    unchanged). Applied once the legacy system carries it."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    contact_last_name: ContactName = Field(description="Nom de la personne à contacter")
    contact_first_name: ContactName = Field(description="Prénom de la personne à contacter")
    email: EmailField = Field(description="Nouvelle adresse e-mail")
    email_confirmation: EmailField = Field(description="Confirmation de la nouvelle adresse e-mail")
    phone: PhoneField | None = Field(default=None, description="Numéro de téléphone du cabinet")
