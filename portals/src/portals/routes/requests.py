"""Every portal's follow-up of its own requests (« Mes demandes », « Historique des demandes »): by year
and type, each with its status, and a request's history step by step; and the employer's employee
termination (« Radier un salarié »): the form (contract, member number, date within the window the
mutuelle allows, reason from its list), kept as a draft, shown for confirmation, then sent."""

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.responses import Response

from enrollment.api import RequestDetail, RequestForm, RequestList
from extranet_contracts.calendar import today_in_france
from portals.adapters.gateway import GatewayProblem
from portals.asked import readable
from portals.routes.employer_company import opened_employee
from portals.web import Account, NotFound, Visit, field_values, iso_dates, missing, only
from portfolio.api import EmployerContracts

router = APIRouter()
Employer = Annotated[Visit, Depends(only("employer"))]
YEARS_OFFERED = 6
TITLES = {"broker": "Mes demandes", "member": "Mes demandes", "employer": "Historique des demandes"}


def _api(visit: Visit, rest: str = "") -> str:
    return f"/api/{visit.site.portal}/requests{rest}"


@router.get("/mes-demandes")
async def my_requests(visit: Account) -> Response:
    if visit.site.portal not in TITLES:  # the back office lists everyone's (routes.backoffice)
        raise NotFound()
    query = visit.request.query_params
    this_year = today_in_france().year
    years = list(range(this_year, this_year - YEARS_OFFERED, -1))
    year = int(query["annee"]) if query.get("annee", "").isdigit() and int(query["annee"]) in years else None
    every = await visit.api("GET", _api(visit), model=RequestList, with_tenant=False)
    # The types offered: those of every request of the requester's (whatever the year shown)
    kinds = sorted({(row.kind, row.kind_label) for row in every.items}, key=lambda kind: kind[1])
    kind = query.get("type") if query.get("type") in dict(kinds) else None
    params = {name: value for name, value in (("year", str(year) if year else None), ("kind", kind)) if value}
    listed = await visit.api("GET", _api(visit), params=params, model=RequestList, with_tenant=False) if params else every
    return await visit.render(
        "requests.html", title=TITLES[visit.site.portal], active="demandes", requests=listed, years=years, year=year, kinds=kinds, kind=kind
    )


@router.get("/mes-demandes/{request_id}")
async def my_request(visit: Account, request_id: uuid.UUID) -> Response:
    if visit.site.portal not in TITLES:
        raise NotFound()
    try:
        request = await visit.api("GET", _api(visit, f"/{request_id}"), model=RequestDetail, with_tenant=False)
    except GatewayProblem as problem:
        if problem.status in (404, 422):
            raise NotFound() from None
        raise
    asked = readable(request.payload, visit.site.tenant, request.kind)
    return await visit.render("request.html", title=request.kind_label, active="demandes", demand=request, asked=asked)


# --- the employer's termination of an employee ------------------------------------------------------------

TERMINATION_FIELDS = ("contract_number", "member_number", "effective_date", "reason")


async def _termination_page(visit: Visit, status: int = 200, **context) -> Response:
    form = await visit.api("GET", "/api/employer/requests/forms/employee-termination", model=RequestForm, with_tenant=False)
    contracts = await visit.api("GET", "/api/employer/contracts", model=EmployerContracts, with_tenant=False)
    return await visit.render(
        "termination.html", status, title="Radier un salarié", active="radiation", form=form, contracts=contracts.contracts, **context
    )


@router.get("/radiation")
async def termination_page(visit: Employer) -> Response:
    return await _termination_page(visit, values=await opened_employee(visit))  # from the employee's sheet: filled in


@router.post("/radiation")
async def termination(visit: Employer) -> Response:
    posted = await visit.form()
    values = field_values(posted, *TERMINATION_FIELDS)
    errors, message = missing(values, *TERMINATION_FIELDS), "Certains champs sont à corriger."
    dates, wrong = iso_dates(values, "effective_date")
    errors.update(wrong)
    body = {**values, **dates, "member_number": "".join(values["member_number"].split())}
    if not errors:
        try:
            draft = await visit.api(
                "POST", "/api/employer/requests/employee-termination", json=body, model=RequestDetail, with_tenant=False
            )
            return visit.redirect(f"/radiation/{draft.id}")
        except GatewayProblem as problem:
            if problem.status not in (404, 409, 422):
                raise
            errors, message = problem.fields, problem.message
            if problem.status == 404:  # no such employee of the company on that contract: the number is at fault
                errors = {"member_number": problem.detail or "Aucun salarié de votre entreprise sous ce numéro sur ce contrat."}
                message = "Certains champs sont à corriger."
    return await _termination_page(visit, 422, values=values, errors=errors, message=message)


@router.get("/radiation/{request_id}")
async def termination_draft(visit: Employer, request_id: uuid.UUID) -> Response:
    request = await _draft(visit, request_id)
    if request.status != "draft":
        return visit.redirect(f"/mes-demandes/{request_id}")
    form = await visit.api("GET", "/api/employer/requests/forms/employee-termination", model=RequestForm, with_tenant=False)
    reasons = {choice.code: choice.label for choice in form.choices.get("reason", [])}
    return await visit.render(
        "termination_confirm.html", title="Radier un salarié : confirmation", active="radiation", demand=request, reasons=reasons
    )


@router.post("/radiation/{request_id}")
async def termination_submit(visit: Employer, request_id: uuid.UUID) -> Response:
    await visit.form()
    try:
        sent = await visit.api("POST", f"/api/employer/requests/{request_id}/submit", model=RequestDetail, with_tenant=False)
    except GatewayProblem as problem:
        if problem.status == 404:
            raise NotFound() from None
        if problem.status != 409:
            raise
        await visit.flash(problem.message)
        return visit.redirect(f"/mes-demandes/{request_id}")
    await visit.flash(f"Votre demande « {sent.kind_label} » est envoyée à nos services : suivez-la ici.")
    return visit.redirect(f"/mes-demandes/{request_id}")


async def _draft(visit: Visit, request_id: uuid.UUID) -> RequestDetail:
    try:
        return await visit.api("GET", f"/api/employer/requests/{request_id}", model=RequestDetail, with_tenant=False)
    except GatewayProblem as problem:
        if problem.status in (404, 422):
            raise NotFound() from None
        raise
