"""The broker portal's tabs (guide 000 §3): Effectifs, Productions and Radiations. A search by company
(raison sociale, code entreprise, SIRET) or by insured person (name, member number), the situation
on a past date, the period of the Productions and Radiations tabs (default: the current month); the
totals, the companies as a paginated and sortable list, a company's detail, a contract's guarantees
and insured, and every list's Excel or PDF export, streamed through the portal with the session's token.

The criteria are posted (CSRF) and kept in the session, never in an address: an insured person's name
or member number is personal data. The addresses carry only the page, its size and the sorting."""

from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends
from fastapi.responses import Response

from portals.adapters.gateway import GatewayProblem
from portals.web import NotFound, Visit, field_values, iso_dates, only
from portfolio.api import CompanyDetail, CompanyList, GuaranteeList, InsuredList

router = APIRouter()
Broker = Annotated[Visit, Depends(only("broker"))]

PAGE_SIZES = (5, 10, 20, 50, 100)
COMPANY_FIELDS = ("legal_name", "company_code", "siret")
INSURED_FIELDS = ("insured_name", "member_number")
DATE_FIELDS = {"as_of": "as_of", "from": "from", "to": "to"}  # form field -> the gateway's query name


@dataclass(frozen=True)
class Tab:
    slug: str
    label: str
    intro: str
    heading: str
    movement: str | None  # the gateway's path segment of the period's routes, None for Effectifs

    def path(self, rest: str = "") -> str:
        return f"/{self.slug}{rest}"


TABS = {
    "effectifs": Tab(
        "effectifs",
        "Effectifs",
        "Vous pouvez consulter et rechercher ici les entreprises ou les adhérents de votre portefeuille.",
        "Les entreprises de mon portefeuille",
        None,
    ),
    "productions": Tab(
        "productions",
        "Productions",
        "Accédez ici aux entrées en portefeuille.",
        "Entrées en portefeuille collectif par entreprise",
        "productions",
    ),
    "radiations": Tab(
        "radiations",
        "Radiations",
        "Retrouvez ici les sorties de portefeuille.",
        "Sorties de portefeuille collectif par entreprise",
        "radiations",
    ),
}

COMPANY_COLUMNS = (
    ("legal_name", "Raison sociale"),
    ("company_code", "Code entreprise"),
    ("siret", "Numéro de SIRET"),
    ("membership_date", "Date d'adhésion"),
    ("status", "Statut"),
    ("contracts", "Contrats"),
    ("memberships", "Adhésions"),
)
INSURED_COLUMNS = (
    ("member_number", "Numéro adhérent"),
    ("name", "Nom et prénom"),
    ("status", "Statut"),
    ("start_date", "Date début"),
    ("end_date", "Date fin"),
    ("reason", "Motif"),
)
SEARCH_INSURED_COLUMNS = (*INSURED_COLUMNS[:2], ("company_code", "Entreprise"), ("contract_number", "Contrat"), *INSURED_COLUMNS[2:])
GUARANTEE_COLUMNS = (("name", "Nom de la garantie"), ("start_date", "Date début"), ("end_date", "Date fin"))


@dataclass(frozen=True)
class Listing:
    """The page, its size and the sorting, from the address (anything unknown: the defaults)."""

    page: int = 1
    size: int = 10
    sort: str | None = None
    order: str = "asc"
    base: str = ""  # the list's own address, for a list shown in place in another page (else: this page's)

    @classmethod
    def of(cls, visit: Visit, columns: tuple[tuple[str, str], ...], default_size: int = 10, base: str = "") -> "Listing":
        query = visit.request.query_params
        page = query.get("page", "")
        size = query.get("taille", "")
        sort = query.get("tri")
        return cls(
            page=int(page) if page.isdigit() and 0 < int(page) <= 100_000 else 1,
            size=int(size) if size.isdigit() and int(size) in PAGE_SIZES else default_size,
            # the list's own default (as portfolio sorts it): the company's or the person's name
            sort=sort if sort in dict(columns) else ("legal_name" if "legal_name" in dict(columns) else "name"),
            order="desc" if query.get("ordre") == "desc" else "asc",
            base=base,
        )

    def params(self) -> dict[str, str]:
        params = {"page": str(self.page), "page_size": str(self.size), "order": self.order}
        if self.sort:
            params["sort"] = self.sort
        return params

    def query(self, **changes: Any) -> str:
        """This list's address query with `changes` (page, taille, tri, ordre)."""
        values = {"page": self.page, "taille": self.size, "tri": self.sort, "ordre": self.order, **changes}
        return "?" + "&".join(f"{key}={value}" for key, value in values.items() if value)

    def href(self, **changes: Any) -> str:
        """The address of this list with `changes` (the list's own when it is shown in place)."""
        return self.base + self.query(**changes)


def _in_place(visit: Visit, target: str) -> bool:
    """An htmx request for the element `target` of a page that shows this part in place (a company's detail
    under its row, a contract's list under the contract)."""
    return visit.request.headers.get("hx-request") == "true" and visit.request.headers.get("hx-target") == target


def _criteria(visit: Visit, tab: Tab) -> dict[str, str]:
    return visit.recalled(f"criteres_{tab.slug}") or {}


def _gateway_criteria(criteria: dict[str, str]) -> dict[str, str]:
    """The criteria as the gateway's query takes them (only those of the chosen search)."""
    names = ("as_of", "from", "to", *(INSURED_FIELDS if criteria.get("mode") == "assure" else COMPANY_FIELDS))
    return {name: criteria[name] for name in names if criteria.get(name)}


def _shown(criteria: dict[str, str]) -> dict[str, str]:
    """The criteria as the form shows them (dates in JJ/MM/AAAA)."""
    values = dict(criteria)
    for name in DATE_FIELDS:
        if values.get(name):
            values[name] = date.fromisoformat(values[name]).strftime("%d/%m/%Y")
    return values


async def _tab_page(visit: Visit, tab: Tab, criteria: dict[str, str], errors: dict[str, str] | None = None, message: str | None = None):
    by_insured = criteria.get("mode") == "assure"
    results, columns, status = None, COMPANY_COLUMNS, 200
    if by_insured and tab.movement is None:
        columns = SEARCH_INSURED_COLUMNS
    listing = Listing.of(visit, columns)
    if not errors:
        params = {**_gateway_criteria(criteria), **listing.params()}
        try:
            if by_insured and tab.movement is None:
                results = await visit.api("GET", "/api/broker/insured", params=params, model=InsuredList, with_tenant=False)
            else:
                path = "/api/broker/companies" if tab.movement is None else f"/api/broker/{tab.movement}"
                results = await visit.api("GET", path, params=params, model=CompanyList, with_tenant=False)
        except GatewayProblem as problem:
            if problem.status != 422:
                raise
            errors, message = dict(problem.fields), problem.message
    if errors:
        status = 422
    partial = visit.request.headers.get("hx-request") == "true" and visit.request.headers.get("hx-target") == "resultats"
    return await visit.render(
        "broker_list_results.html" if partial and results is not None else "broker_list.html",
        status,
        title=tab.label,
        active=tab.slug,
        tab=tab,
        values=_shown(criteria),
        errors=errors or {},
        message=message,
        by_insured=by_insured,
        results=results,
        columns=columns,
        listing=listing,
        page_sizes=PAGE_SIZES,
    )


def _tab_routes(tab: Tab) -> None:
    async def show(visit: Broker) -> Response:
        return await _tab_page(visit, tab, _criteria(visit, tab))

    async def search(visit: Broker) -> Response:
        form = await visit.form()
        if form.get("action") == "reinitialiser":
            await visit.remember(**{f"criteres_{tab.slug}": {}})
            return visit.redirect(tab.path())
        criteria = field_values(form, *COMPANY_FIELDS, *INSURED_FIELDS, *DATE_FIELDS)
        criteria["mode"] = "assure" if form.get("mode") == "assure" else "entreprise"
        dates, errors = iso_dates(criteria, *DATE_FIELDS)
        if errors:
            shown = dict(criteria)
            return await visit.render(
                "broker_list.html",
                422,
                title=tab.label,
                active=tab.slug,
                tab=tab,
                values=shown,
                errors=errors,
                message="Certains champs sont à corriger.",
                by_insured=criteria["mode"] == "assure",
                results=None,
                columns=COMPANY_COLUMNS,
                listing=Listing(),
                page_sizes=PAGE_SIZES,
            )
        await visit.remember(**{f"criteres_{tab.slug}": {**criteria, **dates}})
        return visit.redirect(tab.path())

    async def export(visit: Broker) -> Response:
        criteria = _criteria(visit, tab)
        by_insured = criteria.get("mode") == "assure" and tab.movement is None
        listing = Listing.of(visit, SEARCH_INSURED_COLUMNS if by_insured else COMPANY_COLUMNS)
        params = {**_gateway_criteria(criteria), **_export_params(visit, listing)}
        target = "insured" if by_insured else ("companies" if tab.movement is None else tab.movement)
        return await _download(visit, f"/api/broker/exports/{target}", params, tab.path())

    async def company(visit: Broker, company_code: str) -> Response:
        criteria = _criteria(visit, tab)
        params = {name: criteria[name] for name in DATE_FIELDS if criteria.get(name)}
        if tab.movement is None:
            params.pop("from", None), params.pop("to", None)
        path = (
            f"/api/broker/companies/{quote(company_code, safe='')}"
            if tab.movement is None
            else f"/api/broker/{tab.movement}/{quote(company_code, safe='')}"
        )
        detail = await _found(visit, path, params, CompanyDetail)
        # Opened in place under its row of the list (guide 000: « cliquez sur la flèche »), or as a page of its own
        embedded = _in_place(visit, f"detail-{company_code}")
        return await visit.render(
            "broker_company_detail.html" if embedded else "broker_company.html",
            title=detail.legal_name,
            active=tab.slug,
            tab=tab,
            company=detail,
            embedded=embedded,
        )

    async def insured(visit: Broker, contract_number: str) -> Response:
        listing = _contract_listing(
            visit, INSURED_COLUMNS, "assures", contract_number, tab.path(f"/contrats/{quote(contract_number, safe='')}/assures")
        )
        params = {**_dates(visit, tab), **listing.params()}
        path = f"/api/broker/contracts/{quote(contract_number, safe='')}/insured"
        if tab.movement:
            path = f"/api/broker/{tab.movement}/contracts/{quote(contract_number, safe='')}/insured"
        insured_list = await _found(visit, path, params, InsuredList)
        return await _contract_list(
            visit, tab, listing, "Liste des assurés", contract_number, insured_list, INSURED_COLUMNS, "assures", insured_list.period
        )

    async def insured_export(visit: Broker, contract_number: str) -> Response:
        listing = Listing.of(visit, INSURED_COLUMNS, default_size=5)
        params = {**_dates(visit, tab), **_export_params(visit, listing)}
        prefix = f"{tab.movement}/" if tab.movement else ""
        return await _download(
            visit, f"/api/broker/exports/{prefix}contracts/{quote(contract_number, safe='')}/insured", params, tab.path()
        )

    router.add_api_route(tab.path(), show, methods=["GET"])
    router.add_api_route(tab.path(), search, methods=["POST"])
    router.add_api_route(tab.path("/export"), export, methods=["GET"])
    router.add_api_route(tab.path("/entreprises/{company_code}"), company, methods=["GET"])
    router.add_api_route(tab.path("/contrats/{contract_number}/assures"), insured, methods=["GET"])
    router.add_api_route(tab.path("/contrats/{contract_number}/assures/export"), insured_export, methods=["GET"])


def _dates(visit: Visit, tab: Tab) -> dict[str, str]:
    criteria = _criteria(visit, tab)
    names = ("as_of", "from", "to") if tab.movement else ("as_of",)
    return {name: criteria[name] for name in names if criteria.get(name)}


def _export_params(visit: Visit, listing: Listing) -> dict[str, str]:
    params = listing.params()
    params.pop("page"), params.pop("page_size")
    params["format"] = "pdf" if visit.request.query_params.get("format") == "pdf" else "xlsx"
    return params


async def _found(visit: Visit, path: str, params: dict[str, str], model: Any) -> Any:
    try:
        return await visit.api("GET", path, params=params, model=model, with_tenant=False)
    except GatewayProblem as problem:
        if problem.status in (404, 422):  # outside the portfolio, or a malformed code in the address
            raise NotFound() from None
        raise


async def _download(visit: Visit, path: str, params: dict[str, str], back: str) -> Response:
    return await visit.download_or_back(path, params, back, "L'export n'a pas pu être produit")


def _list_region(kind: str, contract_number: str) -> str:
    """The element of a company's detail shown in place that holds a contract's list (guarantees or insured)."""
    return f"liste-{kind}-{contract_number}"


def _contract_listing(visit: Visit, columns, kind: str, contract_number: str, path: str) -> Listing:
    """A contract's list's page and sorting; its links lead to the list's own address when it is shown in place."""
    embedded = _in_place(visit, _list_region(kind, contract_number))
    return Listing.of(visit, columns, default_size=5, base=visit.site.url(path) if embedded else "")


async def _contract_list(visit: Visit, tab: Tab, listing: Listing, heading: str, contract_number: str, rows: Any, columns, kind, period):
    region = _list_region(kind, contract_number)
    embedded = _in_place(visit, region)
    partial = embedded or (visit.request.headers.get("hx-request") == "true" and visit.request.headers.get("hx-target") == "resultats")
    return await visit.render(
        "broker_contract_list_results.html" if partial else "broker_contract_list.html",
        embedded=embedded,
        region=region if embedded else "resultats",
        title=f"{heading} – contrat {contract_number}",
        heading=heading,
        active=tab.slug,
        tab=tab,
        contract_number=contract_number,
        results=rows,
        columns=columns,
        kind=kind,
        listing=listing,
        page_sizes=PAGE_SIZES,
        period=period,
        as_of=_criteria(visit, tab).get("as_of"),
    )


@router.get("/effectifs/contrats/{contract_number}/garanties")
async def guarantees(visit: Broker, contract_number: str) -> Response:
    tab = TABS["effectifs"]
    listing = _contract_listing(
        visit, GUARANTEE_COLUMNS, "garanties", contract_number, f"/effectifs/contrats/{quote(contract_number, safe='')}/garanties"
    )
    params = {**_dates(visit, tab), **listing.params()}
    rows = await _found(visit, f"/api/broker/contracts/{quote(contract_number, safe='')}/guarantees", params, GuaranteeList)
    return await _contract_list(visit, tab, listing, "Liste des garanties", contract_number, rows, GUARANTEE_COLUMNS, "garanties", None)


@router.get("/effectifs/contrats/{contract_number}/garanties/export")
async def guarantees_export(visit: Broker, contract_number: str) -> Response:
    tab = TABS["effectifs"]
    listing = Listing.of(visit, GUARANTEE_COLUMNS, default_size=5)
    params = {**_dates(visit, tab), **_export_params(visit, listing)}
    return await _download(visit, f"/api/broker/exports/contracts/{quote(contract_number, safe='')}/guarantees", params, tab.path())


for _tab in TABS.values():
    _tab_routes(_tab)
