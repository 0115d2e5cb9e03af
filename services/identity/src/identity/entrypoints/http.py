"""HTTP API of the identity service. The gateway forwards the portals' identity routes here as they
are (`identity.api.PUBLIC_ROUTES`), adding the client's address (`X-Client-IP`) and the portal's
tenant (`X-Tenant`), believed only with the gateway's credential. `/internal/*` answers the
platform's components only (the `Service` guards it). Each route opens a unit of work and calls one use case."""

# No `from __future__ import annotations`: FastAPI must resolve the local Annotated aliases.
from typing import Literal

from fastapi import APIRouter, BackgroundTasks

from extranet_plumbing.dependencies import Who
from identity.api import (
    PORTAL_KINDS,
    ActivationCompletion,
    ActivationLinkRequest,
    ActivationStart,
    CodeCheck,
    ContactChange,
    EmailChangeConfirmation,
    GrantChange,
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
from identity.entrypoints.dependencies import ClientIP, Tenant, Tools, UoW
from identity.service_layer import activation, correspondents, self_care, sessions
from identity.service_layer.errors import Refused
from identity.service_layer.sessions import Tokens

auth = APIRouter(prefix="/public/auth", tags=["authentication"])
members = APIRouter(prefix="/public/members", tags=["member activation"])
me = APIRouter(prefix="/public/me", tags=["self-care"])
internal = APIRouter(prefix="/internal", include_in_schema=False)
ROUTERS = (auth, members, me, internal)


def _tokens(tokens: Tokens) -> TokenAnswer:
    return TokenAnswer(
        access_token=tokens.access_token,
        refresh_token=tokens.refresh_token,
        expires_in=tokens.expires_in,
        terms_pending=tokens.terms_pending,
    )


# --- authentication, sessions, terms of use ---------------------------------------------------------


@auth.post("/login", response_model=TokenAnswer)
async def login(body: Login, tenant: Tenant, uow: UoW, tools: Tools, client_ip: ClientIP = None) -> TokenAnswer:
    async with uow:
        tokens = await sessions.login(
            uow,
            tools,
            tenant=tenant,
            kind=PORTAL_KINDS[body.portal],
            identifier=body.identifier,
            password=body.password,
            email=body.email,
            client_ip=client_ip,
            captcha=body.captcha,
        )
    return _tokens(tokens)


@auth.post("/refresh", response_model=TokenAnswer)
async def refresh(body: Refresh, uow: UoW, tools: Tools) -> TokenAnswer:
    async with uow:
        return _tokens(await sessions.refresh(uow, tools, body.refresh_token))


@auth.post("/logout", status_code=204)
async def logout(who: Who, uow: UoW, tools: Tools) -> None:
    async with uow:
        await sessions.logout(uow, tools, who.session_id)


@auth.get("/identifier-help")
async def identifier_help(tenant: Tenant, tools: Tools, portal: Literal["member", "broker", "employer"] = "member") -> dict:
    return {"portal": portal, "text": sessions.identifier_help(tools, tenant, PORTAL_KINDS[portal])}


@auth.get("/terms")
async def terms(who: Who, tools: Tools) -> dict:
    return {**sessions.terms(tools, who.tenant), "health_data_consent_required": who.kind == "member", "accepted": who.terms_accepted}


@auth.post("/terms/accept", response_model=TokenAnswer)
async def accept_terms(body: TermsAcceptance, who: Who, uow: UoW, tools: Tools) -> TokenAnswer:
    async with uow:
        tokens = await sessions.accept_terms(
            uow,
            tools,
            account_id=who.subject,
            session_id=who.session_id,
            version=body.version,
            health_data_consent=body.health_data_consent,
        )
    return _tokens(tokens)


@auth.post("/terms/refuse", status_code=204)
async def refuse_terms(who: Who, uow: UoW, tools: Tools) -> None:
    async with uow:
        await sessions.refuse_terms(uow, tools, session_id=who.session_id)


@auth.post("/password-reset", status_code=202)
async def password_reset(
    body: ResetRequest, tenant: Tenant, background: BackgroundTasks, uow: UoW, tools: Tools, client_ip: ClientIP = None
) -> dict:
    async with uow:
        await activation.check_password_reset_request(uow, tools, tenant=tenant, captcha=body.captcha, client_ip=client_ip)
    background.add_task(_send_password_reset_links, uow, tools, tenant, body.email)
    return {"message": "Si un compte correspond à cette adresse, un e-mail vous a été envoyé pour réinitialiser votre mot de passe."}


async def _send_password_reset_links(uow, tools, tenant: str, email: str) -> None:
    async with uow:  # a unit of work is reusable once closed: this one runs after the answer
        await activation.send_password_reset_links(uow, tools, tenant=tenant, email=email)


@auth.post("/password")
async def set_password(body: NewPassword, uow: UoW, tools: Tools) -> dict:
    """Set the password from a link: broker activation, invitation, reset."""
    async with uow:
        done = await activation.set_password_with_link(
            uow, tools, token=body.token, password=body.password, confirmation=body.password_confirmation
        )
    return {"message": "Votre mot de passe est enregistré : vous pouvez vous connecter.", **done}


@auth.post("/email-change")
async def confirm_email_change(body: EmailChangeConfirmation, uow: UoW, tools: Tools) -> dict:
    """The link sent to a new contact email: the change takes effect (or goes to the management system)."""
    async with uow:
        return {"message": await self_care.confirm_email_change(uow, tools, token=body.token)}


# --- member activation ------------------------------------------------------------------------------


@members.post("/activation", status_code=202)
async def start_activation(body: ActivationStart, tenant: Tenant, uow: UoW, tools: Tools, client_ip: ClientIP = None) -> dict:
    if body.member_number is None and body.birth_date is None:
        raise Refused(422, "La date de naissance est obligatoire.", "birth_date")
    async with uow:
        activation_id = await activation.start_member_activation(
            uow,
            tools,
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
async def new_code(activation_id: str, tenant: Tenant, uow: UoW, tools: Tools, client_ip: ClientIP = None) -> dict:
    async with uow:
        await activation.resend_code(uow, tools, tenant=tenant, activation_id=activation_id, client_ip=client_ip)
    return {"message": "Un nouveau code vous a été envoyé."}


@members.post("/activation/{activation_id}/verify")
async def verify(activation_id: str, body: CodeCheck, tenant: Tenant, uow: UoW, tools: Tools) -> dict:
    async with uow:
        return await activation.verify_code(uow, tools, tenant=tenant, activation_id=activation_id, code=body.code)


@members.post("/activation/complete")
async def complete(body: ActivationCompletion, tenant: Tenant, uow: UoW, tools: Tools) -> dict:
    async with uow:
        done = await activation.complete_member_activation(
            uow,
            tools,
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
async def activation_link(body: ActivationLinkRequest, tenant: Tenant, uow: UoW, tools: Tools, client_ip: ClientIP = None) -> dict:
    async with uow:
        await activation.request_activation_link(
            uow,
            tools,
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
async def activation_match(body: LegacyMatchRequest, tenant: Tenant, uow: UoW, tools: Tools, client_ip: ClientIP = None) -> dict:
    async with uow:
        await activation.legacy_match_activation(
            uow,
            tools,
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


# --- self-care --------------------------------------------------------------------------------------


@me.get("")
async def profile(who: Who, uow: UoW, tools: Tools) -> dict:
    async with uow:
        return await self_care.profile(uow, tools, account_id=who.subject)


@me.post("/password", status_code=204)
async def change_password(body: PasswordChange, who: Who, uow: UoW, tools: Tools) -> None:
    async with uow:
        await self_care.change_password(
            uow,
            tools,
            account_id=who.subject,
            old=body.old_password,
            new=body.new_password,
            confirmation=body.new_password_confirmation,
            session_id=who.session_id,
        )


@me.put("/contact", status_code=202)
async def change_contact(body: ContactChange, who: Who, uow: UoW, tools: Tools) -> dict:
    async with uow:
        message = await self_care.change_contact(
            uow,
            tools,
            account_id=who.subject,
            email=body.email,
            email_confirmation=body.email_confirmation,
            phone=body.phone,
            current_password=body.current_password,
        )
    return {"message": message}


@me.put("/notification-email", status_code=204)
async def change_notification_email(body: NotificationEmail, who: Who, uow: UoW, tools: Tools) -> None:
    async with uow:
        await self_care.change_notification_email(
            uow, tools, account_id=who.subject, email=body.email, email_confirmation=body.email_confirmation
        )


@me.delete("", status_code=204)
async def delete_account(who: Who, uow: UoW, tools: Tools) -> None:
    async with uow:
        await self_care.delete_own_account(uow, tools, account_id=who.subject)


@me.post("/correspondents", status_code=201)
async def create_correspondent(body: NewCorrespondent, who: Who, uow: UoW, tools: Tools) -> dict:
    """A primary company correspondent creates a secondary one, who receives an email to set a password."""
    async with uow:
        return await correspondents.create_secondary(uow, tools, creator_id=who.subject, **body.model_dump())


@me.put("/correspondents/grant")
async def change_grant(body: GrantChange, who: Who, uow: UoW, tools: Tools) -> dict:
    """The primary correspondent changes a secondary one's contracts, population categories and insured groups."""
    async with uow:
        return await correspondents.change_grant(uow, tools, creator_id=who.subject, **body.model_dump())


@me.get("/correspondents")
async def list_correspondents(who: Who, uow: UoW, tools: Tools) -> list[dict]:
    async with uow:
        return await correspondents.list_secondaries(uow, tools, creator_id=who.subject)


# --- internal ---------------------------------------------------------------------------------------


@internal.get("/stats")
async def stats(uow: UoW) -> dict:
    """Counts only (no personal data): accounts by kind and status."""
    async with uow:
        return {"accounts": await uow.accounts.counts(), "mails": await uow.mails.counts()}
