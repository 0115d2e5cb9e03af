"""The employer portal's pages (espace entreprise): the home page (last login, shortcuts) and the
primary correspondent's secondary correspondents (list, invitation with the contracts granted and, on each,
the insured groups managed)."""

from collections.abc import Awaitable
from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.responses import Response

from identity.api import Correspondent, CorrespondentCreated, Profile
from portals.adapters.gateway import GatewayProblem
from portals.web import Visit, field_values, missing, only
from portfolio.api import EmployerContracts

router = APIRouter()
Employer = Annotated[Visit, Depends(only("employer"))]


async def home(visit: Visit) -> Response:
    profile = await visit.api("GET", "/api/me", model=Profile)
    return await visit.render("employer_home.html", title="Accueil", profile=profile)


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
    contracts = [str(number) for number in form.getlist("contracts")]
    chosen = {number: [str(g) for g in form.getlist(f"groups-{number}")] for number in contracts}
    if not contracts:
        errors["contracts"] = "Choisissez un ou plusieurs contrats collectifs."
    message = "Certains champs sont à corriger."
    if not errors:
        try:
            body = {**values, "contracts": contracts, "contract_groups": chosen}
            created = await visit.api("POST", "/api/me/correspondents", json=body, model=CorrespondentCreated)
            await visit.flash(
                f"Le correspondant {created.identifier} est créé. Un e-mail lui est envoyé pour définir son mot de passe et activer son compte."
            )
            return visit.redirect("/correspondants")
        except GatewayProblem as problem:
            errors, message = {**problem.fields, **problem.paths}, problem.message  # a contract's groups: contract_groups.<number>
    return await _new_correspondent(
        visit, await _grantable(visit), 422, values=values, errors=errors, message=message, chosen=chosen, posted=True
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
