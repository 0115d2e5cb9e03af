"""The employer portal's reads (guide 003): the company sheet of a contract and insured group
(« Fiche entreprise », with each product's brochure to download) and its contributions (« Cotisations »), the company's
documents (« Mes documents »: membership forms, contracts, benefits tables, each downloaded), the search of an employee (« Consultation d'un salarié »: by name, or by social
security number and its key, on a date), an employee's sheet, and the list of the employees covered
during a period (with or without their dependants) with its Excel or CSV download.

A name or a social security number is posted (CSRF) and sent to the gateway as a body, never in an
address; the employee opened is kept in the session (the address says « fiche », not whose)."""

import uuid
from typing import Annotated
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Depends, Path
from fastapi.responses import Response

from portals.adapters.gateway import GatewayProblem
from portals.web import NotFound, Visit, field_values, iso_dates, missing, only
from portfolio.api import CompanySheet, Contributions, EmployeeDetail, EmployeeList, EmployeeSearchResult, EmployerContracts
from portfolio.api_documents import CompanyDocuments

router = APIRouter()
Employer = Annotated[Visit, Depends(only("employer"))]
SEARCH_FIELDS = ("scope", "as_of", "mode", "last_name", "first_name", "birth_date", "nir", "nir_key")
OPENED = "salarie_ouvert"


async def _contracts(visit: Visit) -> EmployerContracts:
    return await visit.api("GET", "/api/employer/contracts", model=EmployerContracts, with_tenant=False)


def _selected(contracts: EmployerContracts, contract: str | None, group: str | None) -> tuple[str, str] | None:
    """The contract and group asked for if the correspondent may see them, else the first ones."""
    choices = [(c.contract_number, g.code) for c in contracts.contracts for g in c.insured_groups]
    if (contract, group) in choices:
        return contract, group
    return choices[0] if choices else None


@router.get("/fiche-entreprise")
async def company_sheet(visit: Employer) -> Response:
    contracts = await _contracts(visit)
    query = visit.request.query_params
    selected = _selected(contracts, query.get("contrat"), query.get("groupe"))
    sheet = None
    if selected:
        sheet = await visit.api(
            "GET", f"/api/employer/contracts/{selected[0]}/groups/{selected[1]}/sheet", model=CompanySheet, with_tenant=False
        )
    return await visit.render(
        "employer_sheet.html", title="Fiche entreprise", active="fiche", contracts=contracts.contracts, selected=selected, sheet=sheet
    )


@router.get("/fiche-entreprise/{contract_number}/produits/{guarantee_code}/fiche")
async def product_brochure(
    visit: Employer,
    contract_number: Annotated[str, Path(pattern=r"^[A-Z0-9][A-Z0-9-]{3,19}$")],
    guarantee_code: Annotated[str, Path(pattern=r"^[A-Z0-9_-]{2,20}$")],
) -> Response:
    """« Fiche » of a product of « Vos produits »: its brochure, from the gateway (back to the sheet if refused)."""
    return await visit.download_or_back(
        f"/api/employer/contracts/{contract_number}/products/{guarantee_code}/brochure",
        {},
        f"/fiche-entreprise?{urlencode({'contrat': contract_number})}",
        "La fiche du produit n'a pas pu être téléchargée",
    )


@router.get("/documents")
async def documents(visit: Employer) -> Response:
    """« Mes documents » (guide 003): the membership forms, contracts and benefits tables of the contracts open to the
    correspondent and of the company, by section, each with its size, date and download."""
    found = await visit.api("GET", "/api/employer/documents", model=CompanyDocuments, with_tenant=False)
    return await visit.render("employer_documents.html", title="Mes documents", active="documents", sections=found.sections)


@router.get("/documents/{document_id}")
async def document(visit: Employer, document_id: uuid.UUID) -> Response:
    """« Télécharger le document »: streamed from the gateway with the session's token (back to the list if refused)."""
    return await visit.download_or_back(
        f"/api/employer/documents/{document_id}", {}, "/documents", "Le document n'a pas pu être téléchargé"
    )


@router.get("/cotisations")
async def contributions(visit: Employer) -> Response:
    """« Cotisations » of a contract and group: payers, schedules, payments."""
    contracts = await _contracts(visit)
    query = visit.request.query_params
    selected = _selected(contracts, query.get("contrat"), query.get("groupe"))
    found = None
    if selected:
        found = await visit.api(
            "GET", f"/api/employer/contracts/{selected[0]}/groups/{selected[1]}/contributions", model=Contributions, with_tenant=False
        )
    return await visit.render(
        "employer_contributions.html",
        title="Cotisations",
        active="cotisations",
        contracts=contracts.contracts,
        selected=selected,
        found=found,
    )


@router.get("/salaries")
async def search_page(visit: Employer) -> Response:
    return await _search_page(visit, values={"mode": "nom"})


async def _search_page(visit: Visit, status: int = 200, **context) -> Response:
    contracts = await _contracts(visit)
    return await visit.render(
        "employer_search.html", status, title="Consultation d'un salarié", active="salaries", contracts=contracts.contracts, **context
    )


@router.post("/salaries")
async def search(visit: Employer) -> Response:
    form = await visit.form()
    values = field_values(form, *SEARCH_FIELDS)
    dates, errors = iso_dates(values, "as_of", "birth_date")
    body: dict = {**dates}
    if values["scope"]:  # "W1-000123/A": the contract and group selected; none: every one
        contract, _, group = values["scope"].partition("/")
        body.update(contract_number=contract, insured_group=group or None)
    if values["mode"] == "nir":
        body.pop("birth_date", None)
        body.update(nir=values["nir"] or None, nir_key=values["nir_key"] or None)
        if not values["nir"]:
            errors["nir"] = "Saisissez le numéro de sécurité sociale (13 caractères)."
    else:
        body.update(last_name=values["last_name"] or None, first_name=values["first_name"] or None)
        if not values["last_name"]:
            errors["last_name"] = "Saisissez au moins le nom de famille du salarié."
    results, message = None, None
    if not errors:
        try:
            results = await visit.api("POST", "/api/employer/employees/search", json=body, model=EmployeeSearchResult, with_tenant=False)
        except GatewayProblem as problem:
            if problem.status not in (404, 422):
                raise
            errors, message = problem.fields, problem.message
    else:
        message = "Certains champs sont à corriger."
    return await _search_page(visit, 422 if errors else 200, values=values, errors=errors, message=message, results=results)


@router.post("/salaries/fiche")
async def open_employee(visit: Employer) -> Response:
    form = await visit.form()
    await visit.remember(**{OPENED: str(form.get("membership_id") or "")})
    return visit.redirect("/salaries/fiche")


@router.get("/salaries/fiche")
async def employee(visit: Employer) -> Response:
    membership_id = visit.recalled(OPENED)
    if not membership_id:
        return visit.redirect("/salaries")
    try:
        detail = await visit.api("GET", f"/api/employer/employees/{quote(membership_id, safe='')}", model=EmployeeDetail, with_tenant=False)
    except GatewayProblem as problem:
        if problem.status in (404, 422):
            raise NotFound() from None
        raise
    return await visit.render("employer_employee.html", title="Fiche d'un salarié", active="salaries", employee=detail)


# --- « Une liste de salariés »: everyone covered during a period, a page, and its download -------------

LIST_SIZES = (10, 20, 50, 100, 500)


def _list_query(visit: Visit) -> tuple[dict[str, str], dict[str, str], dict[str, str]]:
    """The list's criteria from the address (a period and a selection: nothing personal), the gateway's
    query, and what is wrong with them."""
    query = visit.request.query_params
    values = {name: query.get(name, "").strip() for name in ("du", "au", "portee", "ayants_droit")}
    dates, errors = iso_dates(values, "du", "au")
    errors.update(missing(values, "du", "au"))
    dates = {{"du": "start", "au": "end"}[name]: day for name, day in dates.items()}
    params = {**dates, "dependants": "true" if values["ayants_droit"] else "false"}
    if values["portee"]:
        contract, _, group = values["portee"].partition("/")
        params.update({"contract_number": contract, **({"insured_group": group} if group else {})})
    return values, params, errors


@router.get("/salaries/liste")
async def employees_list(visit: Employer) -> Response:
    values, params, errors = _list_query(visit)
    contracts = await _contracts(visit)
    page, size = visit.request.query_params.get("page", "1"), visit.request.query_params.get("taille", "20")
    page = int(page) if page.isdigit() and 0 < int(page) <= 100_000 else 1
    size = int(size) if size.isdigit() and int(size) in LIST_SIZES else 20
    listed, message, asked = None, None, any(values.values())
    if asked and not errors:
        try:
            listed = await visit.api(
                "GET",
                "/api/employer/employees",
                params={**params, "page": str(page), "page_size": str(size)},
                model=EmployeeList,
                with_tenant=False,
            )
        except GatewayProblem as problem:
            if problem.status not in (404, 422):
                raise
            errors, message = {{"start": "du", "end": "au"}.get(k, k): v for k, v in problem.fields.items()}, problem.message
    elif errors and asked:
        message = "Certains champs sont à corriger."
    return await visit.render(
        "employer_list.html",
        422 if asked and errors else 200,
        title="Une liste de salariés",
        active="salaries",
        contracts=contracts.contracts,
        values=values,
        errors=errors if asked else {},
        message=message,
        listed=listed,
        page=page,
        size=size,
        sizes=LIST_SIZES,
        query=urlencode({name: value for name, value in values.items() if value}),
    )


@router.get("/salaries/liste/export")
async def employees_export(visit: Employer) -> Response:
    _, params, errors = _list_query(visit)
    if errors:
        return visit.redirect("/salaries/liste")
    params["format"] = "csv" if visit.request.query_params.get("format") == "csv" else "xlsx"
    return await visit.download_or_back(
        "/api/employer/exports/employees", params, "/salaries/liste", "Le téléchargement n'a pas pu aboutir"
    )


async def opened_employee(visit: Visit) -> dict[str, str]:
    """The employee whose sheet is open (kept in the session), as the form's first values."""
    membership_id = visit.recalled(OPENED)
    if not membership_id:
        return {}
    try:
        detail = await visit.api("GET", f"/api/employer/employees/{quote(membership_id, safe='')}", model=EmployeeDetail, with_tenant=False)
    except GatewayProblem:
        return {}
    return {"contract_number": detail.contract_number, "member_number": detail.member_number, "employee_name": detail.name}
