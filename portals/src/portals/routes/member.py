"""The member portal's pages (espace adhérent): the first connection (guide 001 §1.2: with the member
number, or without it with the birth date; a code by email or SMS; then the account's details and
password) and the home page. The activation's progress (its id, the ticket of a verified code) stays
in the session, on the server."""

from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.responses import Response

from identity.api import ActivationCompleted, ActivationStarted, CodeVerified, Message, Profile
from portals.adapters.gateway import GatewayProblem
from portals.identity_rules import member_activation_paths, password_rules
from portals.web import CAPTCHA_FIELD, NotFound, Page, Visit, field_values, missing

router = APIRouter(prefix="/premiere-connexion")
FIX = "Certains champs sont à corriger."
MAIL_PREFERENCES = (("post", "Courrier"), ("email", "Mail"), ("sms", "SMS"))


async def member_visit(visit: Page) -> Visit:
    if visit.site.portal != "member":
        raise NotFound()
    return visit


Member = Annotated[Visit, Depends(member_visit)]


async def home(visit: Visit) -> Response:
    profile = await visit.api("GET", "/api/me", model=Profile)
    return await visit.render("member_home.html", title="Accueil", profile=profile)


# The ways of first connection these pages offer, as the tenant's `member_activation` names them.
WAYS = {"identifiant": "identifier", "sans-identifiant": "without_identifier"}


def _offered(visit: Visit, way: str) -> None:
    if WAYS[way] not in member_activation_paths(visit.site.tenant):
        raise NotFound()


@router.get("")
async def choice(visit: Member) -> Response:
    offered = member_activation_paths(visit.site.tenant)
    ways = [way for way, path in WAYS.items() if path in offered]
    return await visit.render("activation_choice.html", title="Première connexion", ways=ways)


START_FORMS = {
    "identifiant": ("member_number", "contact"),
    "sans-identifiant": ("contact", "birth_date"),
}


def _start_page(way: str, names: tuple[str, ...]) -> None:
    async def show(visit: Member) -> Response:
        _offered(visit, way)
        return await visit.render("activation_start.html", captcha=True, title="Première connexion", way=way)

    async def submit(visit: Member) -> Response:
        _offered(visit, way)
        form = await visit.form()
        values = field_values(form, *names)
        errors = missing(values, *names)
        solution = str(form.get(CAPTCHA_FIELD) or "")
        if not solution:
            errors["captcha"] = "Cliquez sur la vérification anti-robot."
        message = FIX
        if not errors:
            try:
                started = await visit.call("POST", "/api/members/activation", json={**values, "captcha": solution}, model=ActivationStarted)
                await visit.remember(activation_id=started.activation_id, ticket=None, flash=started.message)
                return visit.redirect("/premiere-connexion/code")
            except GatewayProblem as problem:
                errors, message = problem.fields, problem.message
        return await visit.render(
            "activation_start.html", 422, captcha=True, title="Première connexion", way=way, values=values, errors=errors, message=message
        )

    router.add_api_route(f"/{way}", show, methods=["GET"])
    router.add_api_route(f"/{way}", submit, methods=["POST"])


for _way, _names in START_FORMS.items():
    _start_page(_way, _names)


def _activation_id(visit: Visit) -> str | None:
    return visit.recalled("activation_id")


@router.get("/code")
async def code_page(visit: Member) -> Response:
    if not _activation_id(visit):
        return visit.redirect("/premiere-connexion")
    return await visit.render("activation_code.html", title="Première connexion : code de confirmation")


@router.post("/code")
async def code(visit: Member) -> Response:
    form = await visit.form()
    activation_id = _activation_id(visit)
    if not activation_id:
        return visit.redirect("/premiere-connexion")
    values = field_values(form, "code")
    errors, message = missing(values, "code"), FIX
    if not errors:
        try:
            verified = await visit.call("POST", f"/api/members/activation/{activation_id}/verify", json=values, model=CodeVerified)
            await visit.remember(ticket=verified.ticket, member_number=verified.member_number)
            return visit.redirect("/premiere-connexion/compte")
        except GatewayProblem as problem:
            errors, message = problem.fields or {"code": problem.message}, problem.message
    return await visit.render(
        "activation_code.html", 422, title="Première connexion : code de confirmation", errors=errors, message=message
    )


@router.post("/code/nouveau")
async def new_code(visit: Member) -> Response:
    """Générer un nouveau code: with htmx, only the status line is replaced."""
    await visit.form()
    activation_id = _activation_id(visit)
    if not activation_id:
        return visit.redirect("/premiere-connexion")
    try:
        answer = await visit.call("POST", f"/api/members/activation/{activation_id}/code", model=Message)
        text, failed = answer.message, False
    except GatewayProblem as problem:
        text, failed = problem.message, True
    if visit.request.headers.get("hx-request") == "true":
        return await visit.render("code_status.html", text=text, failed=failed)
    await visit.flash(text)
    return visit.redirect("/premiere-connexion/code")


ACCOUNT_FIELDS = ("phone", "email", "email_confirmation", "mail_preference")


async def _account_page(visit: Visit, status: int = 200, **context) -> Response:
    return await visit.render(
        "activation_account.html",
        status,
        title="Première connexion : votre compte",
        member_number=visit.recalled("member_number"),
        rules=password_rules(visit.site.tenant, visit.site.portal),
        preferences=MAIL_PREFERENCES,
        **context,
    )


@router.get("/compte")
async def account_page(visit: Member) -> Response:
    if not visit.recalled("ticket"):
        return visit.redirect("/premiere-connexion")
    return await _account_page(visit)


@router.post("/compte")
async def account(visit: Member) -> Response:
    form = await visit.form()
    ticket = visit.recalled("ticket")
    if not ticket:
        return visit.redirect("/premiere-connexion")
    values = field_values(form, *ACCOUNT_FIELDS)
    passwords = {name: str(form.get(name) or "") for name in ("password", "password_confirmation")}
    errors, message = missing({**values, **passwords}, "email", "email_confirmation", "mail_preference", *passwords), FIX
    if not errors:
        body = {**values, **passwords, "ticket": ticket, "phone": values["phone"] or None}
        try:
            done = await visit.call("POST", "/api/members/activation/complete", json=body, model=ActivationCompleted)
            visit.session.data = {"identifier": done.identifier, "flash": done.message}
            await visit.save()
            return visit.redirect("/connexion")
        except GatewayProblem as problem:
            errors, message = problem.fields, problem.message
    return await _account_page(visit, 422, values=values, errors=errors, message=message)
