"""The employer portal's pages (espace entreprise): the home page (guide 003 « Accueil »: last login, the contract
and insured group selector, the tenant's information block, shortcuts, the requests of the last 90 days, contact) and the
primary correspondent's secondary correspondents (list, invitation with the contracts granted and, on each,
the insured groups managed)."""

from collections.abc import Awaitable
from datetime import UTC, datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Path
from fastapi.responses import Response

from enrollment.api import RequestList
from identity.api import Correspondent, CorrespondentCreated, Profile
from portals.adapters.gateway import GatewayProblem
from portals.routes.employer_company import _contracts, _selected  # the company sheet's selector, reused
from portals.web import NotFound, Visit, field_values, missing, only
from portfolio.api import EmployerContracts

router = APIRouter()
Employer = Annotated[Visit, Depends(only("employer"))]
IDENTIFIER = r"^[A-Za-z0-9._-]{3,40}$"  # a correspondent's (identity.api.NewCorrespondent)
HISTORY_DAYS = 90  # the home's « Historique des demandes »


async def home(visit: Visit) -> Response:
    profile = await visit.api("GET", "/api/me", model=Profile)
    contracts = await _contracts(visit)  # the gateway and portfolio keep to the correspondent's contracts and groups
    query = visit.request.query_params
    selected = _selected(contracts, query.get("contrat"), query.get("groupe"))
    # The API has no date filter: the requests sent in the last 90 days (it answers newest first, within the scope)
    listed = await visit.api("GET", "/api/employer/requests", model=RequestList, with_tenant=False)
    since = datetime.now(UTC) - timedelta(days=HISTORY_DAYS)
    recent = [row for row in listed.items if row.submitted_at and row.submitted_at >= since]
    recent.sort(key=lambda row: row.submitted_at, reverse=True)
    return await visit.render(
        "employer_home.html", title="Accueil", profile=profile, contracts=contracts.contracts, selected=selected, recent=recent
    )


async def _correspondents(visit: Visit) -> tuple[list[Correspondent] | None, str | None]:
    try:
        return await visit.api("GET", "/api/me/correspondents", model=list[Correspondent]), None
    except GatewayProblem as problem:
        if problem.status == 403:
            return None, problem.message  # a secondary correspondent has none
        raise


@router.get("/correspondants")
async def correspondents(visit: Employer) -> Response:
    listed, refusal = await _correspondents(visit)
    return await visit.render("correspondents.html", title="Mes correspondants", correspondents=listed, refusal=refusal)


async def _grantable(visit: Visit) -> EmployerContracts:
    """The company's contracts and the insured groups of each: what the primary correspondent may grant."""
    return await visit.api("GET", "/api/employer/contracts", model=EmployerContracts, with_tenant=False)


def _new_correspondent(visit: Visit, contracts: EmployerContracts, status: int = 200, **context) -> Awaitable[Response]:
    return visit.render("new_correspondent.html", status, title="Créer un correspondant", contracts=contracts.contracts, **context)


@router.get("/correspondants/nouveau")
async def new_correspondent_page(visit: Employer) -> Response:
    return await _new_correspondent(visit, await _grantable(visit))


@router.post("/correspondants/nouveau")
async def new_correspondent(visit: Employer) -> Response:
    """The identity of the new correspondent, the contracts granted (« Contrats ») and, on each, the insured groups it will
    manage (guide 003: « rattaché en fonction du contrat, filtré selon la catégorie de la population en gestion »);
    every group of a contract checked is the whole contract."""
    form = await visit.form()
    values = field_values(form, "identifier", "last_name", "first_name", "email")
    errors = missing(values, "identifier", "last_name", "first_name", "email")
    contracts, chosen, categories = _granted(form, errors)
    message = "Certains champs sont à corriger."
    if not errors:
        try:
            body = {**values, "contracts": contracts, "contract_groups": chosen, "categories": categories}
            created = await visit.api("POST", "/api/me/correspondents", json=body, model=CorrespondentCreated)
            await visit.flash(
                f"Le correspondant {created.identifier} est créé. Un e-mail lui est envoyé pour définir son mot de passe et activer son compte."
            )
            return visit.redirect("/correspondants")
        except GatewayProblem as problem:
            errors, message = {**problem.fields, **problem.paths}, problem.message  # a contract's groups: contract_groups.<number>
    return await _new_correspondent(
        visit,
        await _grantable(visit),
        422,
        values=values,
        errors=errors,
        message=message,
        chosen=chosen,
        posted=True,
        categories=categories,
    )


def _granted(form, errors: dict) -> tuple[list[str], dict[str, list[str]], list[str]]:
    """The grant of the form: the contracts checked, on each the insured groups checked, and the population categories."""
    contracts = [str(number) for number in form.getlist("contracts")]
    chosen = {number: [str(g) for g in form.getlist(f"groups-{number}")] for number in contracts}
    if not contracts:
        errors["contracts"] = "Choisissez un ou plusieurs contrats collectifs."
    return contracts, chosen, [str(c) for c in form.getlist("categories")]


async def _secondary(visit: Visit, identifier: str) -> Correspondent:
    """One of the primary correspondent's secondary correspondents (not found otherwise: a secondary one has none)."""
    listed, _ = await _correspondents(visit)
    found = next((c for c in listed or [] if c.identifier == identifier), None)
    if found is None:
        raise NotFound()
    return found


def _edit_correspondent(
    visit: Visit, person: Correspondent, contracts: EmployerContracts, status: int = 200, **context
) -> Awaitable[Response]:
    return visit.render(
        "edit_correspondent.html", status, title="Modifier un correspondant", person=person, contracts=contracts.contracts, **context
    )


@router.get("/correspondants/{identifier}/modifier")
async def edit_correspondent_page(visit: Employer, identifier: Annotated[str, Path(pattern=IDENTIFIER)]) -> Response:
    """« Modifier » a secondary correspondent: its contracts, on each its insured groups, and its population categories,
    as granted today (a contract granted without a limit: all its groups)."""
    person = await _secondary(visit, identifier)
    contracts = await _grantable(visit)
    granted = person.contracts if isinstance(person.contracts, list) else []
    groups = {k.contract_number: [g.code for g in k.insured_groups] for k in contracts.contracts}
    chosen = {number: person.contract_groups.get(number) or groups.get(number, []) for number in granted}
    return await _edit_correspondent(visit, person, contracts, chosen=chosen, categories=person.categories, errors={})


@router.post("/correspondants/{identifier}/modifier")
async def edit_correspondent(visit: Employer, identifier: Annotated[str, Path(pattern=IDENTIFIER)]) -> Response:
    form = await visit.form()
    errors: dict[str, str] = {}
    contracts, chosen, categories = _granted(form, errors)
    message = "Certains champs sont à corriger."
    if not errors:
        try:
            body = {"identifier": identifier, "contracts": contracts, "contract_groups": chosen, "categories": categories}
            await visit.api("PUT", "/api/me/correspondents/grant", json=body, model=Correspondent)
            await visit.flash(
                f"Les contrats et groupes d'assurés du correspondant {identifier} sont modifiés. Ils s'appliquent dès sa prochaine action."
            )
            return visit.redirect("/correspondants")
        except GatewayProblem as problem:
            if problem.status == 404:
                raise NotFound() from None
            errors, message = {**problem.fields, **problem.paths}, problem.message
    person = await _secondary(visit, identifier)
    return await _edit_correspondent(
        visit, person, await _grantable(visit), 422, errors=errors, message=message, chosen=chosen, categories=categories
    )


# --- the correspondent's own account (guide 003, « Mon compte »): notification email, deletion ------


@router.get("/mon-compte/email-notification")
async def notification_email_page(visit: Employer) -> Response:
    profile = await visit.api("GET", "/api/me", model=Profile)
    return await visit.render("notification_email.html", title="Modifier mon adresse e-mail de notification", profile=profile)


@router.post("/mon-compte/email-notification")
async def notification_email(visit: Employer) -> Response:
    form = await visit.form()
    values = field_values(form, "email", "email_confirmation")
    errors, message = missing(values, "email", "email_confirmation"), "Certains champs sont à corriger."
    if not errors:
        try:
            await visit.api("PUT", "/api/me/notification-email", json=values)
            await visit.flash("Votre adresse e-mail de notification est modifiée.")
            return visit.redirect("/mon-compte")
        except GatewayProblem as problem:
            errors, message = problem.fields, problem.message
    profile = await visit.api("GET", "/api/me", model=Profile)
    return await visit.render(
        "notification_email.html",
        422,
        title="Modifier mon adresse e-mail de notification",
        profile=profile,
        values=values,
        errors=errors,
        message=message,
    )


@router.get("/mon-compte/suppression")
async def deletion_page(visit: Employer) -> Response:
    return await visit.render("delete_account.html", title="Supprimer mon compte")


@router.post("/mon-compte/suppression")
async def deletion(visit: Employer) -> Response:
    await visit.form()
    await visit.api("DELETE", "/api/me")
    await visit.end_session()  # every session of the account ended with it (identity)
    return visit.redirect("/connexion?motif=compte-supprime")
