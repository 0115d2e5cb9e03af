"""The member portal's pages (espace adhérent): the first connection (guide 001 §1.2: with the member
number, or without it with the birth date; a code by email or SMS; then the account's details and
password); the pages once logged in are `member_space`'s. The activation's progress (its id, the ticket of a verified code) stays
in the session, on the server."""

from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.responses import Response

from identity.api import ActivationCompleted, ActivationStarted, CodeVerified, Message
from portals.adapters.gateway import GatewayProblem
from portals.formats import parse_french_date
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


@dataclass(frozen=True)
class Way:
    """A way of first connection (the tenant's `member_activation` names it `path`): its form's fields,
    the gateway route it calls, and whether a code follows (else a link is sent by email)."""

    path: str
    label: str
    fields: tuple[str, ...]
    route: str
    code: bool


WAYS = {
    # guide 001 §1.2 and §1.2.2: a code by email or SMS
    "identifiant": Way("identifier", "J'ai déjà reçu mon identifiant", ("member_number", "contact"), "/api/members/activation", True),
    "sans-identifiant": Way(
        "without_identifier", "Je n'ai pas encore reçu mon identifiant", ("contact", "birth_date"), "/api/members/activation", True
    ),
    # guide 002: the form "strictly as on the member card", a link valid 48 hours
    "lien": Way(
        "link",
        "Je souhaite créer mon espace personnel",
        ("member_number", "last_name", "birth_date", "email"),
        "/api/members/activation-link",
        False,
    ),
    # guide 004: identified by the contract (the same form serves a forgotten password)
    "contrat": Way(
        "legacy_match",
        "C'est votre première connexion ou vous avez oublié votre mot de passe ?",
        ("identifier", "contract_number", "last_name", "birth_date", "postal_code", "email"),
        "/api/members/activation-match",
        False,
    ),
}


def _offered(visit: Visit, slug: str) -> Way:
    if WAYS[slug].path not in member_activation_paths(visit.site.tenant):
        raise NotFound()
    return WAYS[slug]


@router.get("")
async def choice(visit: Member) -> Response:
    offered = member_activation_paths(visit.site.tenant)
    ways = [(slug, way.label) for slug, way in WAYS.items() if way.path in offered]
    return await visit.render("activation_choice.html", title="Première connexion", ways=ways)


def _start_page(slug: str) -> None:
    async def show(visit: Member) -> Response:
        way = _offered(visit, slug)
        return await visit.render("activation_start.html", captcha=True, title="Première connexion", way=slug, fields=way.fields)

    async def submit(visit: Member) -> Response:
        way = _offered(visit, slug)
        form = await visit.form()
        values = field_values(form, *way.fields)
        errors = missing(values, *way.fields)
        solution = str(form.get(CAPTCHA_FIELD) or "")
        if not solution:
            errors["captcha"] = "Cliquez sur la vérification anti-robot."
        message = FIX
        body = {**values, "captcha": solution}
        if values.get("birth_date"):
            birth_date = parse_french_date(values["birth_date"])
            if birth_date is None:
                errors["birth_date"] = "Date invalide : saisissez-la au format JJ/MM/AAAA."
            else:
                body["birth_date"] = birth_date.isoformat()
        if not errors:
            try:
                if way.code:
                    started = await visit.call("POST", way.route, json=body, model=ActivationStarted)
                    await visit.remember(activation_id=started.activation_id, ticket=None, flash=started.message)
                    return visit.redirect("/premiere-connexion/code")
                sent = await visit.call("POST", way.route, json=body, model=Message)
                return await visit.render("activation_link_sent.html", title="Première connexion", sent=sent.message)
            except GatewayProblem as problem:
                errors, message = problem.fields, problem.message
        return await visit.render(
            "activation_start.html",
            422,
            captcha=True,
            title="Première connexion",
            way=slug,
            fields=way.fields,
            values=values,
            errors=errors,
            message=message,
        )

    router.add_api_route(f"/{slug}", show, methods=["GET"])
    router.add_api_route(f"/{slug}", submit, methods=["POST"])


for _slug in WAYS:
    _start_page(_slug)


async def follow_activation_link(visit: Visit, token: str) -> Response:
    """The link of the activation email (guides 002, 004): its token is the ticket of the account's form."""
    await visit.remember(ticket=token, member_number=None, activation_id=None)
    return await visit.render("link_opened.html", title="Première connexion", target="/premiere-connexion/compte")


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
