"""The models of the claims service's internal API, declared once: its routes answer with them and the
gateway's typed client validates what it receives against them (and declares the member routes with them).

Amounts are decimals with two places, written as strings ("6.90"): exact, never floats.
"""

from datetime import date
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, PlainSerializer

from claims.domain.search import BENEFICIARY_PATTERN, PAGE_SIZES

Amount = Annotated[
    Decimal,
    PlainSerializer(lambda value: f"{value:.2f}", return_type=str, when_used="json"),
    Field(description='Euros, two decimal places, as a string: "6.90"'),
]
Rate = Annotated[Decimal, PlainSerializer(lambda value: f"{value:.2f}", return_type=str, when_used="json"), Field(description="Percent")]
PaidTo = Literal["member", "professional"]
REFERENCE_PATTERN = r"^\d{6,12}$"


class Beneficiary(BaseModel):
    """Someone of the household who received care: the id is what the search takes."""

    id: str = Field(pattern=BENEFICIARY_PATTERN)
    role: Literal["ASSURE", "CONJOINT", "ENFANT", "ADULTE"]
    first_name: str
    last_name: str
    birth_date: date


class ReimbursementRow(BaseModel):
    """A payment as the list shows it (référence, date de réception, date de règlement, montant, destinataire)."""

    reference: str
    received_on: date
    paid_on: date
    amount: Amount = Field(description="What the mutuelle paid")
    paid_to: PaidTo = Field(description="The member, or a health professional (tiers payant)")
    recipient: str = Field(description="« Vous », or the health professional's name")
    beneficiaries: list[str] = Field(description="First names of who received the care")
    natures: list[str] = Field(description="The natures of its acts, each once")


class LatestReimbursements(BaseModel):
    """The home page's last three payments, newest first."""

    items: list[ReimbursementRow]


class Period(BaseModel):
    start: date | None
    end: date | None


class ReimbursementList(BaseModel):
    """A page of the household's payments, newest first, with what the search counted."""

    beneficiary: str | None = Field(description="The beneficiary searched for, if any")
    period: Period = Field(description="Payment dates searched (either end open)")
    page: int
    page_size: int
    total: int = Field(description="Payments found")
    items: list[ReimbursementRow]
    beneficiaries: list[Beneficiary] = Field(description="Who of the household can be searched for")


class SchemePart(BaseModel):
    base: Amount
    rate: Rate
    amount: Amount


class Guarantee(BaseModel):
    code: str
    name: str


class ActDetail(BaseModel):
    beneficiary: Beneficiary
    nature: str
    act_date: date
    quantity: Decimal
    expense: Amount = Field(description="Dépense")
    mandatory_scheme: SchemePart = Field(description="Remboursement R.O. (régime obligatoire), net of the flat-rate contribution")
    mandatory_deductible: Amount = Field(description="Participation forfaitaire or franchise médicale the mandatory scheme withheld")
    mutuelle: SchemePart = Field(description="Remboursement mutuelle")
    remaining: Amount = Field(description="What remains for the member: expense - mandatory scheme - mutuelle")
    care_pathway: str | None = Field(description="Parcours de soins, in French, where it applies")
    guarantee: Guarantee = Field(description="The guarantee of the contract that applied")
    explanation: str = Field(description="The act explained in plain French")


class Totals(BaseModel):
    expense: Amount
    mandatory_scheme: Amount
    mutuelle: Amount
    remaining: Amount


class ReimbursementDetail(BaseModel):
    """A payment and its acts, each explained (détail du remboursement)."""

    reference: str
    received_on: date
    paid_on: date
    amount: Amount
    paid_to: PaidTo
    recipient: str
    professional_name: str | None
    masked_iban: str | None = Field(description="Where a payment to the member went, masked: FR76 **** … 1189")
    totals: Totals
    summary: str = Field(description="The payment in plain French")
    acts: list[ActDetail]


class ReadModelStats(BaseModel):
    """Counts only (no personal data): how far the read model has caught up."""

    events_applied: int
    payments: int
    acts: int


class StatementsQuery(BaseModel):
    """A search of the member's payments by beneficiary and period, as the gateway declares it (claims checks
    it again): the statements downloaded at once."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    beneficiary: str | None = Field(default=None, pattern=BENEFICIARY_PATTERN, description="A beneficiary's id (from `beneficiaries`)")
    start: date | None = Field(default=None, alias="from", description="Paid on or after this day")
    end: date | None = Field(default=None, alias="to", description="Paid on or before this day")

    def params(self) -> dict:
        return self.model_dump(mode="json", exclude_none=True, by_alias=True)


class ReimbursementQuery(StatementsQuery):
    """The search of the member's reimbursements, a page of them."""

    page: int = Field(default=1, ge=1, le=100_000)
    page_size: int = Field(default=10, description=f"One of {', '.join(map(str, PAGE_SIZES))}")


# --- the household's file: contract, beneficiaries, preferences, statements online -----------------


class GuaranteeHeld(BaseModel):
    code: str
    name: str
    start_date: date
    end_date: date | None
    current: bool = Field(description="The guarantee in force today")


class BenefitLine(BaseModel):
    category: str = Field(description="Poste")
    label: str = Field(description="Prestation")
    level: str = Field(description="Remboursement")


class CurrentGuarantee(BaseModel):
    code: str
    name: str
    start_date: date
    end_date: date | None
    brochure_url: str | None = Field(description="The guarantee's brochure (plaquette), as the mutuelle publishes it")
    benefits: list[BenefitLine] = Field(description="Its benefits table (also downloadable as a PDF)")


class ContributionPaid(BaseModel):
    paid_on: date
    amount: Amount = Field(description="Net of any employer share")


class ContributionBlock(BaseModel):
    """Votre cotisation."""

    payment_mode: str = Field(description="Mode de règlement, in French")
    frequency: str = Field(description="Fréquence, in French")
    payment: str = Field(description="Both, as the contract page writes them: « Prélèvement sur salaire, tous les mois »")
    employer_share: bool
    last_payment: ContributionPaid | None
    last_payment_text: str = Field(description="Votre dernier règlement, in French")
    note: str


class MemberContract(BaseModel):
    """The contract page (Mon contrat)."""

    contract_number: str
    kind: Literal["individual", "collective"]
    company_name: str | None
    subscription_date: date
    collective_notice: str | None = Field(description="A member of a collective contract asks their employer for any change")
    guarantees: list[GuaranteeHeld] = Field(description="Guarantee history, newest first")
    current_guarantee: CurrentGuarantee | None
    contribution: ContributionBlock


class Address(BaseModel):
    line1: str
    line2: str | None = None
    locality: str | None = None
    postal_code: str
    city: str
    country: str


class Phones(BaseModel):
    mobile: str | None
    home: str | None
    work: str | None


class BenefitsAccount(BaseModel):
    """IBAN prestation, masked."""

    iban: str = Field(description="Masked: FR76 **** **** **** **** ***1 189")
    bic: str
    bank_name: str | None
    holder: str


class HouseholdMember(BaseModel):
    id: str = Field(pattern=BENEFICIARY_PATTERN, description="As the reimbursements' search knows them")
    role: Literal["ASSURE", "CONJOINT", "ENFANT", "ADULTE"]
    role_label: str = Field(description="adhérent or ayant droit")
    civility: Literal["M", "MME"]
    last_name: str
    first_name: str
    birth_date: date
    nir: str | None = Field(description="Masked: 2 85 05 ** *** *** 41")
    home_address: Address | None
    work_address: Address | None
    phones: Phones
    email: str | None
    benefits_account: BenefitsAccount | None


class Beneficiaries(BaseModel):
    """Les bénéficiaires de votre contrat: the primary insured first."""

    items: list[HouseholdMember]


class ConsentCell(BaseModel):
    value: Literal["accepted", "refused", "undefined"]
    label: str = Field(description="Accepté, Refusé, Non défini")


class PreferenceRow(BaseModel):
    kind: Literal["technical", "commercial", "partners", "other"]
    label: str
    email: ConsentCell
    post: ConsentCell
    sms: ConsentCell


class CommunicationPreferences(BaseModel):
    """Choix d'envoi des informations, and the paperless option."""

    rows: list[PreferenceRow]
    paperless: bool = Field(description="No paper statements at home")
    paperless_since: date | None


class OnlineStatements(BaseModel):
    """The statements online: a year of them for a paperless member, otherwise the last ten (tenant settings)."""

    paperless: bool
    rule: str = Field(description="What is online, in French")
    items: list[ReimbursementRow]


# --- tenant content: news, FAQ, contact details, legal notices ---------------------------------------


class NewsItem(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: str = Field(min_length=1, max_length=200)
    published_on: date
    until: date | None = None
    body: str = Field(min_length=1, max_length=4000)


class News(BaseModel):
    """The home page's news, newest first (those published and not expired)."""

    items: list[NewsItem]


class FaqEntry(BaseModel):
    model_config = ConfigDict(extra="forbid")

    category: str = Field(min_length=1, max_length=80)
    question: str = Field(min_length=1, max_length=300)
    answer: str = Field(min_length=1, max_length=4000)


class Faq(BaseModel):
    items: list[FaqEntry]


class Contact(BaseModel):
    model_config = ConfigDict(extra="forbid")

    phone: str | None = None
    hours: str | None = None
    email: str | None = None
    postal_address: list[str] = Field(default_factory=list)
    note: str | None = None


class LegalNotices(BaseModel):
    paragraphs: list[str]
