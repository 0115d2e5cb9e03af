"""The models of the portfolio service's internal API, declared once: its routes answer with them
and the gateway's typed client validates what it receives against them."""

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from extranet_contracts.types import Address
from extranet_plumbing.guard import BodyLimit
from portfolio.domain.address_change import DATE_FIELD, FIELDS, MONTHS_AHEAD
from portfolio.domain.documents import ALLOWED_EXTENSIONS, MAX_DOCUMENT_BYTES, TOO_LARGE


class PortfolioTotals(BaseModel):
    companies: int
    collective_contracts: int
    protected_persons: int


class MonthCount(BaseModel):
    month: str
    label: str
    count: int


class ExitReason(BaseModel):
    reason: str
    current_month: int
    previous_month: int


class Movement(BaseModel):
    kind: Literal["affiliation", "radiation"]
    recorded_on: date
    effective_date: date
    insured_name: str | None
    member_number: str
    company_code: str
    contract_number: str
    product: str | None
    category: str | None


class BrokerDashboard(BaseModel):
    """The dashboard as it was on `as_of` (the last day of the month asked for, or today)."""

    broker_code: str
    as_of: date
    month: str = Field(description="YYYY-MM, the month shown")
    portfolio: PortfolioTotals
    entries: list[MonthCount] = Field(description="The month shown and the previous one")
    exits: list[MonthCount]
    exits_by_reason: list[ExitReason]
    latest_affiliations: list[Movement] = Field(description="The five latest recorded by `as_of`, newest first")
    latest_radiations: list[Movement]


# --- Effectifs, Productions, Radiations ---------------------------------------------------------------


class Period(BaseModel):
    start: date
    end: date


class ListTotals(BaseModel):
    """The search's totals, as the tab heads them: companies, contracts, memberships (adhésions)."""

    companies: int
    contracts: int
    memberships: int


class CompanyRow(BaseModel):
    company_code: str
    legal_name: str
    siret: str
    membership_date: date
    status: Literal["Actif", "Résilié"]
    contracts: int
    memberships: int = Field(description="Active on `as_of` (Effectifs), or entered / left in the period")
    changed_at: datetime | None = Field(description="When the legacy system last changed the company")


class CompanyList(BaseModel):
    as_of: date
    period: Period | None
    totals: ListTotals
    page: int
    page_size: int
    total: int
    items: list[CompanyRow]


class CompanyContact(BaseModel):
    name: str
    role: str | None
    email: str | None
    phone: str | None
    primary: bool


class ContractSummary(BaseModel):
    contract_number: str
    product: str
    category: str
    effective_date: date
    insured_groups: list[str]
    active_employees: int = Field(description="Memberships counted on the list's terms (active on `as_of`, or of the period)")
    active_beneficiaries: int
    changed_at: datetime | None


class CompanyDetail(BaseModel):
    company_code: str
    legal_name: str
    siret: str
    siren: str
    membership_date: date
    status: Literal["Actif", "Résilié"]
    address: dict
    contacts: list[CompanyContact]
    changed_at: datetime | None
    as_of: date
    period: Period | None
    contracts: list[ContractSummary]


class GuaranteeRow(BaseModel):
    name: str
    start_date: date
    end_date: date | None
    changed_at: datetime | None


class GuaranteeList(BaseModel):
    contract_number: str
    page: int
    page_size: int
    total: int
    items: list[GuaranteeRow]


class InsuredRow(BaseModel):
    member_number: str
    name: str | None
    status: Literal["Actif", "Résilié", "À venir"]
    start_date: date
    end_date: date | None
    reason: str | None
    company_code: str
    legal_name: str | None
    contract_number: str
    changed_at: datetime | None


class InsuredList(BaseModel):
    contract_number: str | None
    as_of: date
    period: Period | None
    page: int
    page_size: int
    total: int
    items: list[InsuredRow]


class AsOfQuery(BaseModel):
    """The query of a portal's list or detail as the gateway declares it (portfolio checks it again)."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    as_of: date | None = Field(default=None, description="The portfolio as it was on that day (default: today)")

    def params(self, **extra: object) -> dict:
        return {**self.model_dump(mode="json", exclude_none=True, by_alias=True), **extra}


class PeriodBounds(AsOfQuery):
    """The period of the Productions or Radiations tab (default: the current month)."""

    start: date | None = Field(default=None, alias="from", description="Start of the period (default: the current month)")
    end: date | None = Field(default=None, alias="to", description="End of the period (default: the end of the start's month)")


class ListQuery(AsOfQuery):
    legal_name: str | None = Field(default=None, max_length=160, description="Raison sociale: any part, case and accents ignored")
    company_code: str | None = Field(default=None, max_length=20, description="Code entreprise (8 digits)")
    siret: str | None = Field(default=None, max_length=20, description="14 digits, its key checked")
    insured_name: str | None = Field(default=None, max_length=160, description="Any part of an insured person's name")
    member_number: str | None = Field(default=None, max_length=20, description="Numéro d'adhérent (8 digits)")
    page: int = Field(default=1, ge=1, le=100_000)
    page_size: int = Field(default=10, description="5, 10, 20, 50 or 100")
    sort: str | None = Field(default=None, max_length=40, description="A column of the list")
    order: Literal["asc", "desc"] = "asc"


class PeriodQuery(ListQuery, PeriodBounds):
    """A list of the Productions or Radiations tab."""


class ExportQuery(ListQuery):
    """A list exported: its query and the file's format."""

    format: Literal["xlsx", "pdf"] = Field(default="xlsx", description="xlsx (Excel) or pdf")


class PeriodExportQuery(PeriodQuery):
    format: Literal["xlsx", "pdf"] = Field(default="xlsx", description="xlsx (Excel) or pdf")


class ReadModelStats(BaseModel):
    """Counts only (no personal data): how far the read model has caught up."""

    events_applied: int
    brokers: int
    companies: int
    contracts: int
    memberships: int


# --- Profile (broker portal) --------------------------------------------------------------------------


class KbisFile(BaseModel):
    name: str = Field(description="The file's name as the broker gave it")
    media_type: str = Field(description="Recognised from the content: application/pdf, image/png or image/jpeg")
    size: int


class PendingAddressChange(BaseModel):
    """The latest address change the broker asked for that the back office has not dealt with yet."""

    request_id: uuid.UUID
    status: Literal["submitted"]
    requested_at: datetime
    address: Address
    effective_date: date
    kbis: KbisFile


class BrokerProfile(BaseModel):
    """The broker as the legacy system last described it, and the address change pending, if any."""

    broker_code: str
    name: str = Field(description="Brokerage office name")
    orias_number: str
    contact_last_name: str
    contact_first_name: str
    email: str
    phone: str | None
    address: Address
    changed_at: datetime | None = Field(description="When the legacy system last changed the broker")
    pending_address_change: PendingAddressChange | None


class AddressChangeAccepted(BaseModel):
    request_id: uuid.UUID
    status: Literal["submitted"]
    message: str = Field(description="A sentence for the broker, in French")


def _address_change_form() -> dict[str, Any]:
    """The multipart form of an address change, for OpenAPI (the route reads the form itself)."""
    labels = {"line1": "Adresse", "line2": "Complément d'adresse", "locality": "Lieu-dit", "postal_code": "Code postal", "city": "Ville"}
    properties: dict[str, Any] = {
        name: {"type": "string", "maxLength": longest, "description": labels[name]} for name, (_, _, longest) in FIELDS.items()
    }
    properties["postal_code"]["pattern"] = r"^\d{5}$"
    properties[DATE_FIELD] = {
        "type": "string",
        "format": "date",
        "description": f"Date d'effet souhaitée (AAAA-MM-JJ), d'aujourd'hui à {MONTHS_AHEAD} mois",
    }
    properties["kbis"] = {
        "type": "string",
        "format": "binary",
        "description": f"Extrait Kbis : PDF, PNG, JPG ou JPEG ({', '.join(ALLOWED_EXTENSIONS)}), {MAX_DOCUMENT_BYTES // (1024 * 1024)} Mo au plus",
    }
    required = [name for name, (_, mandatory, _) in FIELDS.items() if mandatory] + [DATE_FIELD, "kbis"]
    schema = {"type": "object", "required": required, "properties": properties}
    return {"required": True, "content": {"multipart/form-data": {"schema": schema}}}


ADDRESS_CHANGE_FORM = _address_change_form()
# The largest address-change form: the Kbis and the few fields around it. Anything larger is refused
# before it is read, as a Kbis over 4 MB.
ADDRESS_CHANGE_BODY_LIMIT = BodyLimit(MAX_DOCUMENT_BYTES + 64 * 1024, TOO_LARGE, "body.kbis")


# --- Employer portal (issue 12): what a company correspondent reads --------------------------------------


class InsuredGroupChoice(BaseModel):
    code: Literal["A", "P", "E", "M"]
    label: str


class EmployerContract(BaseModel):
    contract_number: str
    name: str = Field(description="As the portal titles it: the company's name")
    product: str
    category: str = Field(description="Population category (catégorie de population)")
    effective_date: date


class SelectableContract(EmployerContract):
    insured_groups: list[InsuredGroupChoice] = Field(description="Those the correspondent may select")


class EmployerContracts(BaseModel):
    """Home's selector: the collective contracts and insured groups the correspondent may see."""

    company_code: str
    legal_name: str | None
    contracts: list[SelectableContract]


class SheetCompany(BaseModel):
    company_code: str
    legal_name: str | None
    address: Address | None
    email: str | None
    siret: str | None
    siren: str | None


class GroupContact(BaseModel):
    last_name: str
    first_name: str
    role: str = Field(description="Fonction, e.g. Responsable paie")
    email: str | None = None
    phone: str | None = None


class SheetGroup(BaseModel):
    code: Literal["A", "P", "E", "M"]
    label: str
    employees: int
    covered_persons: int
    address: Address | None = Field(default=None, description="The group's address (« Aucune adresse spécifiée » when none)")
    contacts: list[GroupContact] = Field(default_factory=list, description="The group's contacts (« Coordonnées »)")


class Brochure(BaseModel):
    name: str = Field(description="The file's name")
    size: int = Field(description="Bytes")
    size_label: str = Field(description="As the portal shows it: « 253,0 ko »")


class Product(BaseModel):
    guarantee_code: str = Field(description="The product's code (its brochure's download)")
    name: str
    start_date: date
    end_date: date | None = Field(description="Date de radiation of the product")
    brochure: Brochure | None = Field(default=None, description="Its brochure (« Fiche »), downloadable; none on file: « - »")


class CompanySheet(BaseModel):
    """Fiche entreprise of a contract and insured group, counted on `as_of` (the groups the correspondent sees)."""

    as_of: date
    contract: EmployerContract
    company: SheetCompany
    employees: int
    covered_persons: int = Field(description="Employees and their dependants covered on `as_of`")
    group: SheetGroup
    products: list[Product]


class EmployeeRow(BaseModel):
    contract_number: str
    insured_group: Literal["A", "P", "E", "M"] | None
    membership_id: str = Field(description="Numéro d'adhésion")
    member_number: str
    name: str
    birth_date: date | None
    start_date: date
    end_date: date | None
    status: Literal["Actif", "Résilié", "À venir"]


class EmployeeSearchResult(BaseModel):
    as_of: date
    page: int
    page_size: int
    total: int
    items: list[EmployeeRow]


class Beneficiary(BaseModel):
    name: str
    type: str = Field(description="Assuré principal, Conjoint, Adulte, Enfant")
    nir_masked: str | None = Field(description="Social security number, masked: 2 69 03 ** *** *** 44")
    birth_date: date | None


class EmployeeDetail(EmployeeRow):
    civility: str | None
    last_name: str | None
    first_name: str | None
    address: Address | None
    email: str | None
    mobile_phone: str | None
    iban_masked: str | None = Field(description="RIB, masked: FR76 **** … 0 189")
    bank_details: str = Field(description="As the page shows it: the masked IBAN, or « Pas de RIB spécifié »")
    family_situation: str | None = Field(default=None, description="Situation familiale, as the portal words it")
    payment_mode: str | None = Field(default=None, description="Mode de règlement and its frequency: « Chèque (annuelle) »")
    exit_reason: str | None
    beneficiaries: list[Beneficiary]


class EmployeeListRow(BaseModel):
    contract_number: str
    insured_group: Literal["A", "P", "E", "M"] | None
    membership_id: str
    member_number: str
    name: str
    type: str = Field(description="Assuré principal, Conjoint, Adulte, Enfant")
    birth_date: date | None
    start_date: date
    end_date: date | None


class EmployeeList(BaseModel):
    period: Period
    dependants: bool
    page: int
    page_size: int
    total: int
    items: list[EmployeeListRow]


class EmployerSelectionQuery(BaseModel):
    """The contract and insured group a search or list is limited to (none: all those the correspondent sees)."""

    model_config = ConfigDict(extra="forbid")

    contract_number: str | None = Field(default=None, max_length=20, description="Contrat collectif: the selected one, or none for all")
    insured_group: Literal["A", "P", "E", "M"] | None = Field(default=None, description="Groupe d'assurés, or none for all")

    def params(self, **extra: object) -> dict:
        return {**self.model_dump(mode="json", exclude_none=True), **extra}


class SheetQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    as_of: date | None = Field(default=None, description="Counted on that day (default: today)")

    def params(self) -> dict:
        return self.model_dump(mode="json", exclude_none=True)


class EmployeeSearchQuery(EmployerSelectionQuery):
    """« Un salarié »: by name (last name required) or by social security number (13 characters and the key).
    Sent as a JSON body (POST): personal data stays out of URLs."""

    as_of: date | None = Field(default=None, description="Recherche en date du (default: today)")
    last_name: str | None = Field(default=None, max_length=80)
    first_name: str | None = Field(default=None, max_length=80)
    birth_date: date | None = None
    nir: str | None = Field(default=None, max_length=20, description="13 characters (2A, 2B for Corsica)")
    nir_key: str | None = Field(default=None, max_length=4, description="The 2-digit key")
    page: int = Field(default=1, ge=1, le=100_000)
    page_size: int = Field(default=20, description="10, 20, 50, 100 or 500")


class EmployeeExportQuery(EmployerSelectionQuery):
    """« Une liste de salariés » over a period, with or without the dependants (ayants droit), downloaded."""

    start: date
    end: date
    dependants: bool = False
    format: Literal["xlsx", "csv"] = Field(default="xlsx", description="xlsx (Excel) or csv (semicolons, UTF-8)")


class EmployeeListQuery(EmployerSelectionQuery):
    """« Une liste de salariés » over a period, with or without the dependants (ayants droit), a page."""

    start: date
    end: date
    dependants: bool = False
    page: int = Field(default=1, ge=1, le=100_000)
    page_size: int = Field(default=20, description="10, 20, 50, 100 or 500")


class ContributionPayer(BaseModel):
    payer_id: str
    share: str = Field(description="Part: Employeur, Salarié")
    frequency: str = Field(description="Fréquence de règlement: Mensuelle, Trimestrielle, Semestrielle, Annuelle")
    payment_mode: str = Field(description="Mode de règlement: Prélèvement, Chèque, Virement…")
    pre_litigation: str = Field(description="Situation de pré-contentieux: Aucune, En cours, Régularisée")
    pre_litigation_date: date | None


class ContributionSchedule(BaseModel):
    schedule_id: str
    payer_id: str
    period_start: date
    period_end: date
    due_date: date
    amount_due: Decimal
    amount_paid: Decimal
    balance: Decimal = Field(description="Still to pay")
    status: Literal["Réglée", "Partiellement réglée", "Impayée", "À venir"]


class ContributionPayment(BaseModel):
    payment_id: str
    schedule_id: str
    paid_on: date
    amount: Decimal
    payment_mode: str


class Contributions(BaseModel):
    """« Cotisations » of a contract and insured group: payers, schedules (newest first) and payments."""

    contract_number: str
    insured_group: Literal["A", "P", "E", "M"]
    as_of: date
    payers: list[ContributionPayer]
    schedules: list[ContributionSchedule]
    payments: list[ContributionPayment]
