"""Pages every portal has: login (and where to find one's identifier), logout, forgotten password,
setting a password through an emailed link (broker activation, correspondent invitation, reset),
the terms of use at first login, and self-care (my account, password, contact details)."""

# No `from __future__ import annotations`: FastAPI must resolve the Annotated aliases.
from fastapi import APIRouter, Request
from fastapi.responses import PlainTextResponse, Response

from identity.api import IdentifierHelp, Message, PasswordSet, Profile, Terms, TokenAnswer
from portals.adapters.gateway import GatewayProblem
from portals.formats import markdown_light
from portals.identity_rules import login_requires_email, password_rules
from portals.routes import member
from portals.web import CAPTCHA_FIELD, Account, NotFound, Page, Redirect, field_values, missing
from portfolio.api import BrokerProfile

router = APIRouter()
LOGIN_KINDS = {"member": "member", "broker": "broker", "employer": "employer", "backoffice": "backoffice"}


@router.get("/")
async def root(visit: Page) -> Response:
    return visit.redirect("/accueil" if visit.logged_in else "/connexion")


# --- login -----------------------------------------------------------------------------------------


@router.get("/connexion")
async def login_page(visit: Page) -> Response:
    if visit.logged_in and not visit.session.terms_pending:
        return visit.redirect("/accueil")
    return await _login(visit, {"identifier": visit.recalled("identifier") or ""}, {})


async def _login(visit: Page, values: dict, errors: dict, message: str | None = None, status: int = 200) -> Response:
    captcha = bool(visit.recalled("captcha_required"))
    return await visit.render(
        "login.html",
        status,
        captcha=captcha,
        title="Connexion",
        values=values,
        errors=errors,
        message=message,
        show_captcha=captcha,
        ask_email=login_requires_email(visit.site.tenant, visit.site.portal),
        rules=password_rules(visit.site.tenant, visit.site.portal),
    )


@router.post("/connexion")
async def login(visit: Page) -> Response:
    form = await visit.form()
    ask_email = login_requires_email(visit.site.tenant, visit.site.portal)
    values = field_values(form, "identifier", *(["email"] if ask_email else []))
    password = str(form.get("password") or "")
    errors = missing({**values, "password": password}, *values, "password")
    if errors:
        return await _login(visit, values, errors, "Renseignez votre identifiant et votre mot de passe.", 422)
    body = {"portal": LOGIN_KINDS[visit.site.portal], "identifier": values["identifier"], "password": password}
    if ask_email:
        body["email"] = values["email"]
    if form.get(CAPTCHA_FIELD):
        body["captcha"] = str(form.get(CAPTCHA_FIELD))
    try:
        tokens = await visit.call("POST", "/api/auth/login", json=body, model=TokenAnswer)
    except GatewayProblem as problem:
        if "captcha" in problem.fields:
            await visit.remember(captcha_required=True)
        return await _login(visit, values, problem.fields, problem.message, problem.status)
    await visit.log_in(tokens)
    return visit.redirect("/cgu" if tokens.terms_pending else "/accueil")


@router.get("/aide-identifiant")
async def identifier_help(visit: Page) -> Response:
    """Où trouver votre identifiant ? A page, or the panel htmx puts under the login form."""
    help_text = await visit.call("GET", "/api/auth/identifier-help", params={"portal": visit.site.portal}, model=IdentifierHelp)
    partial = visit.request.headers.get("hx-request") == "true"
    template = "identifier_help_part.html" if partial else "identifier_help.html"
    return await visit.render(template, title="Où trouver votre identifiant ?", help=help_text.text)


@router.post("/deconnexion")
async def logout(visit: Page) -> Response:
    await visit.form()
    if visit.logged_in:
        try:
            await visit.api("POST", "/api/auth/logout")
        except GatewayProblem:
            pass  # already ended on the server: the session ends here all the same
    await visit.end_session()
    return visit.redirect("/connexion?motif=deconnexion")


# --- forgotten password, and the links sent by email ------------------------------------------------


@router.get("/mot-de-passe-oublie")
async def forgotten_page(visit: Page) -> Response:
    return await visit.render("forgotten.html", captcha=True, title="Mot de passe oublié")


@router.post("/mot-de-passe-oublie")
async def forgotten(visit: Page) -> Response:
    form = await visit.form()
    values = field_values(form, "email")
    errors = missing(values, "email")
    solution = str(form.get(CAPTCHA_FIELD) or "")
    if not solution:
        errors["captcha"] = "Cliquez sur la vérification anti-robot."
    if not errors:
        try:
            answer = await visit.call(
                "POST", "/api/auth/password-reset", json={"email": values["email"], "captcha": solution}, model=Message
            )
            return await visit.render("forgotten.html", title="Mot de passe oublié", sent=answer.message)
        except GatewayProblem as problem:
            errors, message = problem.fields, problem.message
    else:
        message = "Certains champs sont à corriger."
    return await visit.render(
        "forgotten.html", 422, captcha=True, title="Mot de passe oublié", values=values, errors=errors, message=message
    )


LINK_PAGES = {
    "/activation": "Activer votre espace : définissez votre mot de passe",
    "/reinitialiser-mot-de-passe": "Réinitialiser votre mot de passe",
}


def _link_page(path: str, heading: str) -> None:
    async def show(visit: Page, token: str = "") -> Response:
        if path == "/activation" and visit.site.portal == "member" and token:
            return await member.follow_activation_link(visit, token)
        return await visit.render(
            "set_password.html", title=heading, token=token, rules=password_rules(visit.site.tenant, visit.site.portal), action=path
        )

    async def submit(visit: Page) -> Response:
        form = await visit.form()
        token = str(form.get("token") or "")
        password, confirmation = str(form.get("password") or ""), str(form.get("password_confirmation") or "")
        errors = missing({"password": password, "password_confirmation": confirmation}, "password", "password_confirmation")
        message = "Certains champs sont à corriger."
        if not errors:
            try:
                done = await visit.call(
                    "POST",
                    "/api/auth/password",
                    json={"token": token, "password": password, "password_confirmation": confirmation},
                    model=PasswordSet,
                )
                await visit.remember(identifier=done.identifier, flash=f"{done.message} Votre identifiant : {done.identifier}.")
                return visit.redirect("/connexion")
            except GatewayProblem as problem:
                errors, message = problem.fields, problem.message
        return await visit.render(
            "set_password.html",
            422,
            title=heading,
            token=token,
            rules=password_rules(visit.site.tenant, visit.site.portal),
            action=path,
            errors=errors,
            message=message,
        )

    router.add_api_route(path, show, methods=["GET"])
    router.add_api_route(path, submit, methods=["POST"])


for _path, _heading in LINK_PAGES.items():
    _link_page(_path, _heading)


@router.get("/confirmer-adresse-email")
async def confirm_email_page(visit: Page, token: str = "") -> Response:
    return await visit.render("confirm_email.html", title="Confirmer votre nouvelle adresse e-mail", token=token)


@router.post("/confirmer-adresse-email")
async def confirm_email(visit: Page) -> Response:
    form = await visit.form()
    try:
        answer = await visit.call("POST", "/api/auth/email-change", json={"token": str(form.get("token") or "")}, model=Message)
    except GatewayProblem as problem:
        return await visit.render("confirm_email.html", 422, title="Confirmer votre nouvelle adresse e-mail", message=problem.message)
    await visit.flash(answer.message)
    return visit.redirect("/mon-compte" if visit.logged_in else "/connexion")


# --- terms of use ----------------------------------------------------------------------------------


async def _terms(visit: Page) -> Terms:
    if not visit.logged_in:
        raise Redirect("/connexion")
    return await visit.api("GET", "/api/auth/terms", model=Terms)


@router.get("/cgu")
async def terms_page(visit: Page) -> Response:
    terms = await _terms(visit)
    return await visit.render("terms.html", title="Conditions générales d'utilisation", terms=terms, text=markdown_light(terms.text))


@router.get("/cgu/telecharger")
async def terms_download(visit: Page) -> Response:
    terms = await _terms(visit)
    filename = f"conditions-generales-{visit.site.tenant}-{terms.version}.txt"
    return visit.finish(
        PlainTextResponse(
            terms.text, headers={"content-disposition": f'attachment; filename="{filename}"'}, media_type="text/plain; charset=utf-8"
        )
    )


@router.post("/cgu")
async def terms_answer(visit: Page) -> Response:
    form = await visit.form()
    terms = await _terms(visit)
    if form.get("decision") == "refuser":
        await visit.api("POST", "/api/auth/terms/refuse")
        await visit.end_session()
        return visit.redirect("/connexion?motif=cgu-refusees")
    errors = {}
    if not form.get("accept"):
        errors["accept"] = "Cochez la case pour accepter les conditions générales d'utilisation."
    consent = bool(form.get("health_data_consent"))
    if terms.health_data_consent_required and not consent:
        errors["health_data_consent"] = "Votre consentement au traitement de vos données de santé est nécessaire."
    if errors:
        return await visit.render(
            "terms.html",
            422,
            title="Conditions générales d'utilisation",
            terms=terms,
            text=markdown_light(terms.text),
            errors=errors,
            accepted=bool(form.get("accept")),
            consented=consent,
        )
    tokens = await visit.api(
        "POST", "/api/auth/terms/accept", json={"version": terms.version, "health_data_consent": consent}, model=TokenAnswer
    )
    await visit.log_in(tokens)
    return visit.redirect("/accueil")


# --- self-care -------------------------------------------------------------------------------------


@router.get("/mon-compte")
async def my_account(visit: Account) -> Response:
    profile = await visit.api("GET", "/api/me", model=Profile)
    office = None
    if visit.site.portal == "broker":
        try:  # the office as the management system describes it (guide 000 §2.2)
            office = await visit.api("GET", "/api/broker/profile", model=BrokerProfile)
        except GatewayProblem as problem:
            if problem.status != 404:  # 404: not registered by the management system yet
                raise
    return await visit.render("my_account.html", title="Mon compte", profile=profile, office=office)


@router.get("/mon-compte/mot-de-passe")
async def password_page(visit: Account) -> Response:
    return await visit.render(
        "change_password.html", title="Modifier mon mot de passe", rules=password_rules(visit.site.tenant, visit.site.portal)
    )


@router.post("/mon-compte/mot-de-passe")
async def change_password(visit: Account) -> Response:
    form = await visit.form()
    names = ("old_password", "new_password", "new_password_confirmation")
    values = {name: str(form.get(name) or "") for name in names}
    errors, message = missing(values, *names), "Certains champs sont à corriger."
    if not errors:
        try:
            await visit.api("POST", "/api/me/password", json=values)
            # Every session of the account ends with the change (identity): log in again.
            await visit.end_session()
            await visit.flash("Votre mot de passe a été modifié. Connectez-vous avec votre nouveau mot de passe.")
            return visit.redirect("/connexion")
        except GatewayProblem as problem:
            errors, message = problem.fields, problem.message
    return await visit.render(
        "change_password.html",
        422,
        title="Modifier mon mot de passe",
        rules=password_rules(visit.site.tenant, visit.site.portal),
        errors=errors,
        message=message,
    )


@router.get("/mon-compte/coordonnees")
async def contact_page(visit: Account) -> Response:
    profile = await visit.api("GET", "/api/me", model=Profile)
    return await visit.render(
        "change_contact.html", title="Modifier mes coordonnées", profile=profile, values={"phone": profile.phone or ""}
    )


@router.post("/mon-compte/coordonnees")
async def change_contact(visit: Account) -> Response:
    form = await visit.form()
    values = field_values(form, "email", "email_confirmation", "phone")
    current_password = str(form.get("current_password") or "")
    errors, message = missing(values, "email", "email_confirmation"), "Certains champs sont à corriger."
    profile = await visit.api("GET", "/api/me", model=Profile)
    if not errors:
        body = {**values, "phone": values["phone"] or None, "current_password": current_password or None}
        try:
            answer = await visit.api("PUT", "/api/me/contact", json=body, model=Message)
            await visit.flash(answer.message)
            return visit.redirect("/mon-compte")
        except GatewayProblem as problem:
            errors, message = problem.fields, problem.message
    return await visit.render(
        "change_contact.html", 422, title="Modifier mes coordonnées", profile=profile, values=values, errors=errors, message=message
    )


@router.get("/theme.css")
async def theme(request: Request) -> Response:
    """The tenant's colours, as CSS variables the portal's stylesheet uses."""
    site = request.scope.get("state", {}).get("site")
    if site is None:
        raise NotFound()
    css = f":root {{ --brand: {site.look.colour}; --accent: {site.look.accent}; }}\n"
    return Response(css, media_type="text/css")
