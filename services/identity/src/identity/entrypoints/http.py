"""HTTP API of the identity service. The gateway forwards the portals' identity routes here as they
are, adding the client's address (`X-Client-IP`) and the portal's tenant (`X-Tenant`)."""

# No `from __future__ import annotations`: FastAPI must resolve the local Annotated aliases.
from typing import Annotated, Literal

from fastapi import APIRouter, BackgroundTasks, FastAPI, Header, Request
from fastapi.responses import JSONResponse

from extranet_plumbing.auth import TokenVerifier
from extranet_plumbing.dependencies import Who
from extranet_plumbing.http import problem
from identity.adapters.captcha import CaptchaVerifier
from identity.api import (
    PORTAL_KINDS,
    ActivationCompletion,
    ActivationLinkRequest,
    ActivationStart,
    CodeCheck,
    ContactChange,
    LegacyMatchRequest,
    Login,
    NewCorrespondent,
    NewPassword,
    NotificationEmail,
    PasswordChange,
    Refresh,
    ResetRequest,
    TermsAcceptance,
    TokenAnswer,
)
from identity.bootstrap import build
from identity.service_layer.errors import Refused
from identity.service_layer.service import Clock, Tokens
from identity.settings import IdentitySettings


def _tokens(tokens: Tokens) -> TokenAnswer:
    return TokenAnswer(
        access_token=tokens.access_token,
        refresh_token=tokens.refresh_token,
        expires_in=tokens.expires_in,
        terms_pending=tokens.terms_pending,
    )


def create_app(
    settings: IdentitySettings | None = None,
    *,
    verifier: TokenVerifier | None = None,
    captcha: CaptchaVerifier | None = None,
    clock: Clock | None = None,
) -> FastAPI:
    settings = settings or IdentitySettings()
    service, holder = build(settings, captcha=captcha, clock=clock, verifier=verifier)
    runtime = service
    Tenant = Annotated[str, Header(alias="X-Tenant", pattern=r"^[a-z0-9][a-z0-9-]*$")]
    ClientIP = Annotated[str | None, Header(alias="X-Client-IP")]

    app = service.app
    app.state.runtime, app.state.holder = runtime, holder

    @app.exception_handler(Refused)
    async def refused(_request: Request, exc: Refused) -> JSONResponse:
        extra = {"errors": [{"field": exc.field, "message": exc.message}]} if exc.field else {}
        return problem(exc.status, detail=exc.message, **extra)

    auth = APIRouter(prefix="/public/auth", tags=["authentication"])

    @auth.post("/login", response_model=TokenAnswer)
    async def login(body: Login, tenant: Tenant, client_ip: ClientIP = None) -> TokenAnswer:
        return _tokens(
            await holder.service.login(
                tenant=tenant,
                kind=PORTAL_KINDS[body.portal],
                identifier=body.identifier,
                password=body.password,
                email=body.email,
                client_ip=client_ip,
            )
        )

    @auth.post("/refresh", response_model=TokenAnswer)
    async def refresh(body: Refresh) -> TokenAnswer:
        return _tokens(await holder.service.refresh(body.refresh_token))

    @auth.post("/logout", status_code=204)
    async def logout(who: Who) -> None:
        if who.session_id:
            await holder.service.logout(who.session_id)

    @auth.get("/identifier-help")
    async def identifier_help(tenant: Tenant, portal: Literal["member", "broker", "employer"] = "member") -> dict:
        return {"portal": portal, "text": holder.service.identifier_help(tenant, PORTAL_KINDS[portal])}

    @auth.get("/terms")
    async def terms(who: Who) -> dict:
        return {**holder.service.terms(who.tenant), "health_data_consent_required": who.kind == "member", "accepted": who.terms_accepted}

    @auth.post("/terms/accept", response_model=TokenAnswer)
    async def accept_terms(body: TermsAcceptance, who: Who) -> TokenAnswer:
        return _tokens(
            await holder.service.accept_terms(
                account_id=who.subject, session_id=who.session_id, version=body.version, health_data_consent=body.health_data_consent
            )
        )

    @auth.post("/terms/refuse", status_code=204)
    async def refuse_terms(who: Who) -> None:
        await holder.service.refuse_terms(session_id=who.session_id)

    @auth.post("/password-reset", status_code=202)
    async def password_reset(body: ResetRequest, tenant: Tenant, background: BackgroundTasks, client_ip: ClientIP = None) -> dict:
        await holder.service.check_password_reset_request(tenant=tenant, email=body.email, captcha=body.captcha, client_ip=client_ip)
        background.add_task(holder.service.send_password_reset_links, tenant=tenant, email=body.email)
        return {"message": "Si un compte correspond à cette adresse, un e-mail vous a été envoyé pour réinitialiser votre mot de passe."}

    @auth.post("/password")
    async def set_password(body: NewPassword) -> dict:
        """Set the password from a link: broker activation, invitation, reset."""
        done = await holder.service.set_password_with_link(
            token=body.token, password=body.password, confirmation=body.password_confirmation
        )
        return {"message": "Votre mot de passe est enregistré : vous pouvez vous connecter.", **done}

    members = APIRouter(prefix="/public/members", tags=["member activation"])

    @members.post("/activation", status_code=202)
    async def start_activation(body: ActivationStart, tenant: Tenant, client_ip: ClientIP = None) -> dict:
        if body.member_number is None and body.birth_date is None:
            raise Refused(422, "La date de naissance est obligatoire.", "birth_date")
        activation_id = await holder.service.start_member_activation(
            tenant=tenant,
            contact=body.contact,
            member_number=body.member_number,
            birth_date=body.birth_date,
            captcha=body.captcha,
            client_ip=client_ip,
        )
        return {
            "activation_id": activation_id,
            "message": "Si les informations correspondent à notre fichier, un code valable 5 minutes vous a été envoyé.",
        }

    @members.post("/activation/{activation_id}/code", status_code=202)
    async def new_code(activation_id: str, tenant: Tenant, client_ip: ClientIP = None) -> dict:
        await holder.service.resend_code(tenant=tenant, activation_id=activation_id, client_ip=client_ip)
        return {"message": "Un nouveau code vous a été envoyé."}

    @members.post("/activation/{activation_id}/verify")
    async def verify(activation_id: str, body: CodeCheck, tenant: Tenant) -> dict:
        return await holder.service.verify_code(tenant=tenant, activation_id=activation_id, code=body.code)

    @members.post("/activation/complete")
    async def complete(body: ActivationCompletion, tenant: Tenant) -> dict:
        done = await holder.service.complete_member_activation(
            tenant=tenant,
            ticket=body.ticket,
            email=body.email,
            email_confirmation=body.email_confirmation,
            phone=body.phone,
            password=body.password,
            password_confirmation=body.password_confirmation,
            mail_preference=body.mail_preference,
        )
        return {"message": "Votre compte est activé.", **done}

    @members.post("/activation-link", status_code=202)
    async def activation_link(body: ActivationLinkRequest, tenant: Tenant, client_ip: ClientIP = None) -> dict:
        await holder.service.request_activation_link(
            tenant=tenant,
            member_number=body.member_number,
            last_name=body.last_name,
            birth_date=body.birth_date,
            email=body.email,
            captcha=body.captcha,
            client_ip=client_ip,
        )
        return {
            "message": "Si les informations correspondent à votre carte mutualiste, un e-mail de confirmation valable 48 heures vous a été envoyé."
        }

    @members.post("/activation-match", status_code=202)
    async def activation_match(body: LegacyMatchRequest, tenant: Tenant, client_ip: ClientIP = None) -> dict:
        await holder.service.legacy_match_activation(
            tenant=tenant,
            identifier=body.identifier,
            contract_number=body.contract_number,
            last_name=body.last_name,
            birth_date=body.birth_date,
            postal_code=body.postal_code,
            email=body.email,
            captcha=body.captcha,
            client_ip=client_ip,
        )
        return {"message": "Un e-mail vous a été envoyé pour définir votre mot de passe."}

    me = APIRouter(prefix="/public/me", tags=["self-care"])

    @me.get("")
    async def profile(who: Who) -> dict:
        return await holder.service.profile(who.subject)

    @me.post("/password", status_code=204)
    async def change_password(body: PasswordChange, who: Who) -> None:
        await holder.service.change_password(
            account_id=who.subject, old=body.old_password, new=body.new_password, confirmation=body.new_password_confirmation
        )

    @me.put("/contact", status_code=204)
    async def change_contact(body: ContactChange, who: Who) -> None:
        await holder.service.change_contact(
            account_id=who.subject, email=body.email, email_confirmation=body.email_confirmation, phone=body.phone
        )

    @me.put("/notification-email", status_code=204)
    async def change_notification_email(body: NotificationEmail, who: Who) -> None:
        await holder.service.change_notification_email(account_id=who.subject, email=body.email, email_confirmation=body.email_confirmation)

    @me.delete("", status_code=204)
    async def delete_account(who: Who) -> None:
        await holder.service.delete_own_account(who.subject)

    @me.post("/correspondents", status_code=201)
    async def create_correspondent(body: NewCorrespondent, who: Who) -> dict:
        """A primary company correspondent creates a secondary one, who receives an email to set a password."""
        return await holder.service.create_secondary_correspondent(
            creator_id=who.subject,
            identifier=body.identifier,
            last_name=body.last_name,
            first_name=body.first_name,
            email=body.email,
            contracts=body.contracts,
        )

    @me.get("/correspondents")
    async def list_correspondents(who: Who) -> list[dict]:
        return await holder.service.secondary_correspondents(who.subject)

    @app.get("/internal/stats", include_in_schema=False)
    async def stats() -> dict:
        """Counts only (no personal data): accounts by kind and status."""
        rows = await runtime.pool.fetch("SELECT kind, status, count(*) AS n FROM accounts GROUP BY kind, status")
        return {"accounts": {f"{r['kind']}/{r['status']}": r["n"] for r in rows}}

    for router in (auth, members, me):
        app.include_router(router)
    return app
