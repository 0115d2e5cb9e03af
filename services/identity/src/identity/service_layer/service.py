"""The identity flows: activation (brokers, members by four paths), login and sessions, terms of
use, passwords, self-care. Each public method is one use case; HTTP and Kafka entry points only
translate into a call."""

from __future__ import annotations

import re
import unicodedata
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import asyncpg

from extranet_contracts.notifications import REQUESTS, Channel, NotificationRequested, Recipient
from extranet_plumbing.logging import get_logger
from extranet_plumbing.outbox import add_to_outbox
from identity.adapters import accounts as db
from identity.adapters import throttle
from identity.adapters.captcha import CaptchaVerifier
from identity.adapters.security import TokenIssuer, hash_password, verify_password
from identity.domain.secrets import Digester, new_code, new_token
from identity.domain.tenants import TenantConfig, load_tenants
from identity.service_layer.errors import BAD_CODE, BAD_CREDENTIALS, BAD_LINK, CAPTCHA, TOO_MANY, Refused
from identity.settings import IdentitySettings

SOURCE = "urn:extranet:identity"
log = get_logger(__name__)

Clock = Callable[[], datetime]


@dataclass(frozen=True)
class Tokens:
    access_token: str
    refresh_token: str
    expires_in: int
    terms_pending: bool


def normalise_phone(raw: str) -> str | None:
    """French numbers as the legacy system stores them: 10 digits starting with 0."""
    digits = re.sub(r"[\s.\-()]", "", raw or "")
    if digits.startswith("+33"):
        digits = "0" + digits[3:]
    elif digits.startswith("0033"):
        digits = "0" + digits[4:]
    return digits if re.fullmatch(r"0\d{9}", digits) else None


def same_name(a: str, b: str) -> bool:
    def fold(text: str) -> str:
        text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
        return re.sub(r"[^a-z]", "", text.lower())

    return fold(a) == fold(b) and fold(a) != ""


class IdentityService:
    def __init__(
        self,
        pool: asyncpg.Pool | None,
        settings: IdentitySettings,
        issuer: TokenIssuer,
        digest: Digester,
        captcha: CaptchaVerifier,
        clock: Clock = lambda: datetime.now(UTC),
    ) -> None:
        self.pool, self.settings, self.issuer, self.digest, self.captcha, self.clock = pool, settings, issuer, digest, captcha, clock
        self.tenants = load_tenants(settings.tenants_file)

    # --- shared steps ---------------------------------------------------------------------------

    def _tenant(self, code: str) -> TenantConfig:
        try:
            return self.tenants[code]
        except KeyError:
            raise Refused(404, "Portail inconnu.", "tenant") from None

    async def _throttle(self, scope: str, value: str | None, *, limit: int | None = None, window: int | None = None) -> None:
        if not value:
            return
        async with self.pool.acquire() as conn:  # outside any transaction: a refused request still counts
            allowed = await throttle.allow(
                conn,
                self.digest(f"{scope}:{value}"),
                limit=limit or self.settings.throttle_per_address,
                window_seconds=window or self.settings.throttle_window_seconds,
            )
        if not allowed:
            log.warning("throttled", scope=scope)
            raise Refused(429, TOO_MANY)

    async def _check_captcha(self, solution: str | None, client_ip: str | None) -> None:
        if not await self.captcha.verify(solution, client_ip):
            raise Refused(400, CAPTCHA, "captcha")

    async def _notify(
        self,
        conn: asyncpg.Connection,
        tenant: str,
        *,
        reference: str,
        template: str,
        data: dict,
        email: str | None = None,
        phone: str | None = None,
        channels: tuple[Channel, ...] = (Channel.EMAIL,),
        name: str | None = None,
    ) -> None:
        request = NotificationRequested(
            recipient=Recipient(reference=reference, email=email, phone=phone, display_name=name),
            channels=list(channels),
            template=template,
            data=data,
        )
        await add_to_outbox(conn, request, tenant=tenant, source=SOURCE, topic=self.settings.topic(REQUESTS))

    def _link(self, config: TenantConfig, kind: str, path: str, token: str) -> str:
        return f"{config.portal_url.get(kind, next(iter(config.portal_url.values())))}/{path}?token={token}"

    def _check_new_password(self, config: TenantConfig, kind: str, password: str, confirmation: str) -> None:
        if password != confirmation:
            raise Refused(422, "Les deux mots de passe ne sont pas identiques.", "password_confirmation")
        problems = config.password_policy(kind).violations(password)
        if problems:
            raise Refused(422, "Le mot de passe doit comporter " + ", ".join(problems) + ".", "password")

    async def _issue(self, conn: asyncpg.Connection, account: dict, session_id: uuid.UUID | None = None) -> Tokens:
        now = self.clock()
        config = self._tenant(account["tenant"])
        terms_ok = await db.accepted_terms(conn, account["id"], config.terms_version)
        session_id = session_id or uuid.uuid4()
        refresh = new_token()
        await db.create_refresh_token(
            conn,
            token_hash=self.digest(refresh),
            account_id=account["id"],
            session_id=session_id,
            expires_at=now + timedelta(seconds=self.settings.refresh_token_ttl_seconds),
        )
        access, ttl = self.issuer.access_token(
            subject=str(account["id"]),
            kind=account["kind"],
            tenant=account["tenant"],
            scope=account["scope"],
            extra={"sid": str(session_id), "terms_ok": terms_ok},
        )
        return Tokens(access, refresh, ttl, not terms_ok)

    # --- login, sessions ------------------------------------------------------------------------

    async def login(self, *, tenant: str, kind: str, identifier: str, password: str, email: str | None, client_ip: str | None) -> Tokens:
        config = self._tenant(tenant)
        await self._throttle("login-address", client_ip)
        identifier = identifier.strip().upper() if kind == "broker" else identifier.strip()
        now = self.clock()
        tokens = None
        async with self.pool.acquire() as conn, conn.transaction():  # a refusal commits the failure count too
            account = await db.account_by_identifier(conn, tenant, kind, identifier)
            usable = account is not None and account["status"] == "active" and account["password_hash"] is not None
            if usable and config.login_requires_email and kind == "member":
                usable = email is not None and (account["email"] or "").lower() == email.strip().lower()
            locked = usable and account["locked_until"] is not None and account["locked_until"] > now
            password_ok = await verify_password(account["password_hash"] if usable else None, password)
            if usable and not locked and password_ok:
                await db.update_account(conn, account["id"], failed_logins=0, locked_until=None, last_login_at=now)
                tokens = await self._issue(conn, account)
            elif usable and not locked:
                if await db.record_failed_login(
                    conn,
                    account["id"],
                    max_failures=self.settings.login_max_failures,
                    lock_until=now + timedelta(seconds=self.settings.lockout_seconds),
                ):
                    await self._notify(
                        conn,
                        tenant,
                        reference=f"account:{account['id']}",
                        template="account_locked",
                        email=account["email"],
                        name=account["display_name"],
                        data={
                            "identifier": account["identifier"],
                            "minutes": self.settings.lockout_seconds // 60,
                            "link": f"{config.portal_url.get(kind, '')}/mot-de-passe-oublie",
                        },
                    )
                    log.warning("account locked", tenant=tenant, kind=kind)
        if tokens is None:
            log.info("login refused", tenant=tenant, kind=kind)
            raise Refused(401, BAD_CREDENTIALS)
        log.info("login", tenant=tenant, kind=kind, account_id=str(account["id"]))
        return tokens

    async def refresh(self, refresh_token: str) -> Tokens:
        now = self.clock()
        tokens = None
        async with self.pool.acquire() as conn, conn.transaction():  # a revocation must commit even though we refuse
            stored = await db.refresh_token(conn, self.digest(refresh_token))
            if stored is None or stored["revoked_at"] is not None or stored["expires_at"] <= now:
                pass
            elif stored["rotated_at"] is not None:
                # A refresh token used twice: stolen, or replayed. End the whole session.
                await db.revoke_session(conn, stored["session_id"], now)
                log.warning("refresh token reused: session revoked", account_id=str(stored["account_id"]))
            else:
                account = await db.account_by_id(conn, stored["account_id"])
                if account is not None and account["status"] == "active":
                    await db.rotate_refresh_token(conn, stored["token_hash"], now)
                    tokens = await self._issue(conn, account, stored["session_id"])
        if tokens is None:
            raise Refused(401, "Session expirée. Reconnectez-vous.")
        return tokens

    async def logout(self, session_id: str) -> None:
        async with self.pool.acquire() as conn:
            await db.revoke_session(conn, uuid.UUID(session_id), self.clock())

    async def session_active(self, session_id: str) -> bool:
        async with self.pool.acquire() as conn:
            return not await db.session_revoked(conn, uuid.UUID(session_id))

    # --- terms of use ---------------------------------------------------------------------------

    def identifier_help(self, tenant: str, kind: str) -> str:
        return self._tenant(tenant).help.get(kind, "")

    def terms(self, tenant: str) -> dict:
        config = self._tenant(tenant)
        return {"version": config.terms_version, "text": config.terms_text()}

    async def accept_terms(self, *, account_id: str, session_id: str, version: str, health_data_consent: bool) -> Tokens:
        async with self.pool.acquire() as conn, conn.transaction():
            account = await db.account_by_id(conn, uuid.UUID(account_id))
            config = self._tenant(account["tenant"])
            if version != config.terms_version:
                raise Refused(409, "Une nouvelle version des conditions générales est disponible.", "version")
            if account["kind"] == "member" and not health_data_consent:
                raise Refused(422, "Votre consentement au traitement de vos données de santé est nécessaire.", "health_data_consent")
            await db.accept_terms(conn, account["id"], version, health_data_consent, self.clock())
            return await self._issue(conn, account, uuid.UUID(session_id))

    async def refuse_terms(self, *, session_id: str) -> None:
        await self.logout(session_id)

    # --- passwords ------------------------------------------------------------------------------

    async def change_password(self, *, account_id: str, old: str, new: str, confirmation: str) -> None:
        async with self.pool.acquire() as conn, conn.transaction():
            account = await db.account_by_id(conn, uuid.UUID(account_id), for_update=True)
            if account is None or not await verify_password(account["password_hash"], old):
                raise Refused(422, "L'ancien mot de passe est incorrect.", "old_password")
            config = self._tenant(account["tenant"])
            self._check_new_password(config, account["kind"], new, confirmation)
            await db.update_account(conn, account["id"], password_hash=await hash_password(new))

    async def check_password_reset_request(self, *, tenant: str, email: str, captcha: str | None, client_ip: str | None) -> None:
        """What the caller may be told: only throttling and the anti-robot check, never whether the email is known."""
        self._tenant(tenant)
        await self._throttle("reset-address", client_ip)
        await self._check_captcha(captcha, client_ip)

    async def send_password_reset_links(self, *, tenant: str, email: str) -> None:
        """Runs after the answer was sent, so that its duration cannot reveal whether the email is known."""
        config = self._tenant(tenant)
        try:
            await self._throttle("reset-email", email.strip().lower(), limit=3, window=3600)
        except Refused:
            return
        now = self.clock()
        async with self.pool.acquire() as conn, conn.transaction():
            for account in await db.accounts_by_email(conn, tenant, email.strip()):
                token = new_token()
                await db.create_action_token(
                    conn,
                    token_hash=self.digest(token),
                    tenant=tenant,
                    purpose="password_reset",
                    account_id=account["id"],
                    expires_at=now + timedelta(seconds=self.settings.password_reset_ttl_seconds),
                )
                await self._notify(
                    conn,
                    tenant,
                    reference=f"account:{account['id']}",
                    template="password_reset",
                    email=account["email"],
                    name=account["display_name"],
                    data={
                        "link": self._link(config, account["kind"], "reinitialiser-mot-de-passe", token),
                        "identifier": account["identifier"],
                    },
                )

    async def set_password_with_link(self, *, token: str, password: str, confirmation: str) -> dict:
        """Broker activation, activation by invitation, password reset: the link's owner sets a password."""
        now = self.clock()
        async with self.pool.acquire() as conn, conn.transaction():
            peek = await db.peek_action_token(
                conn, self.digest(token), ("password_reset", "broker_activation", "correspondent_invitation"), now
            )
            if peek is None or peek["account_id"] is None:
                raise Refused(400, BAD_LINK, "token")
            account = await db.account_by_id(conn, peek["account_id"], for_update=True)
            config = self._tenant(account["tenant"])
            self._check_new_password(config, account["kind"], password, confirmation)
            used = await db.use_action_token(conn, self.digest(token), (peek["purpose"],), now)
            if used is None:
                raise Refused(400, BAD_LINK, "token")
            changes = {"password_hash": await hash_password(password), "failed_logins": 0, "locked_until": None}
            if account["status"] == "pending":
                changes.update(status="active", activated_at=now)
            await db.update_account(conn, account["id"], **changes)
            await db.revoke_all_sessions(conn, account["id"], now)
        return {"identifier": account["identifier"], "kind": account["kind"]}

    # --- brokers (from the legacy system) -------------------------------------------------------

    async def broker_registered(self, conn: asyncpg.Connection, tenant: str, *, broker_code: str, email: str, name: str) -> None:
        """A broker entered the portfolio: an account waiting for its password, and the activation email."""
        config = self._tenant(tenant)
        account = await db.create_account(
            conn, tenant=tenant, kind="broker", identifier=broker_code, email=email, display_name=name, scope={"broker_code": broker_code}
        )
        if account is None:
            existing = await db.account_by_identifier(conn, tenant, "broker", broker_code)
            if existing["email"] != email:
                await db.update_account(conn, existing["id"], email=email, display_name=name)
            return
        token = new_token()
        await db.create_action_token(
            conn,
            token_hash=self.digest(token),
            tenant=tenant,
            purpose="broker_activation",
            account_id=account["id"],
            expires_at=self.clock() + timedelta(seconds=self.settings.activation_link_ttl_seconds),
        )
        await self._notify(
            conn,
            tenant,
            reference=f"broker:{broker_code}",
            template="broker_activation",
            email=email,
            name=name,
            data={"broker_code": broker_code, "link": self._link(config, "broker", "activation", token)},
        )

    # --- members: what the legacy system knows ------------------------------------------------

    async def member_affiliated(
        self,
        conn: asyncpg.Connection,
        tenant: str,
        *,
        member_number: str,
        last_name: str,
        first_name: str,
        birth_dates: list[date],
        email: str | None,
        mobile_phone: str | None,
        postal_code: str | None,
        contract_number: str,
    ) -> None:
        await db.save_member_on_file(
            conn,
            tenant=tenant,
            member_number=member_number,
            last_name=last_name,
            first_name=first_name,
            birth_dates=birth_dates,
            email=email,
            mobile_phone=normalise_phone(mobile_phone or ""),
            postal_code=postal_code,
            contract_number=contract_number,
        )

    # --- member activation: one-time code (with or without identifier) -------------------------

    async def start_member_activation(
        self, *, tenant: str, contact: str, member_number: str | None, birth_date: date | None, captcha: str | None, client_ip: str | None
    ) -> str:
        """Send a code if the member is known with this contact; the same answer either way."""
        config = self._tenant(tenant)
        path = "identifier" if member_number is not None else "without_identifier"
        if path not in config.member_activation:
            raise Refused(404, "Ce mode d'activation n'est pas proposé par votre mutuelle.")
        await self._throttle("activation-address", client_ip)
        await self._check_captcha(captcha, client_ip)
        channel, destination = self._contact(contact, config)
        await self._throttle("activation-destination", destination, limit=5, window=3600)
        now = self.clock()
        async with self.pool.acquire() as conn, conn.transaction():
            subject = await self._matching_member(conn, tenant, member_number, channel, destination, birth_date)
            if subject:
                existing = await db.account_by_identifier(conn, tenant, "member", subject["member_number"])
                if existing and existing["status"] == "active":
                    subject = None  # already activated: they log in, or reset their password
            code = new_code()
            code_id = await db.create_code(
                conn,
                tenant=tenant,
                purpose="member_activation",
                subject=subject["member_number"] if subject else None,
                channel=channel,
                destination=destination,
                code_hash=self.digest(code) if subject else None,
                expires_at=now + timedelta(seconds=self.settings.otp_ttl_seconds),
                now=now,
            )
            if subject:
                await self._send_code(conn, tenant, subject, channel, destination, code)
        return str(code_id)

    def _contact(self, contact: str, config: TenantConfig) -> tuple[str, str]:
        contact = contact.strip()
        if "@" in contact:
            channel, destination = "email", contact.lower()
        else:
            destination = normalise_phone(contact)
            if destination is None or not destination.startswith(("06", "07")):
                raise Refused(422, "Saisissez une adresse e-mail ou un numéro de téléphone portable.", "contact")
            channel = "sms"
        if channel not in config.otp_channels:
            raise Refused(422, "Votre mutuelle envoie le code uniquement par " + " ou ".join(config.otp_channels) + ".", "contact")
        return channel, destination

    async def _matching_member(self, conn, tenant, member_number, channel, destination, birth_date) -> dict | None:
        if member_number is not None:
            member = await db.member_on_file(conn, tenant, member_number.strip())
            candidates = [member] if member else []
        else:
            candidates = [
                m
                for m in await db.members_by_contact(
                    conn, tenant, email=destination if channel == "email" else None, phone=destination if channel == "sms" else None
                )
                if birth_date in m["birth_dates"]
            ]
        for member in candidates:
            on_file = (member["email"] or "").lower() if channel == "email" else member["mobile_phone"]
            if on_file and on_file == destination:
                return member
        return None

    async def _send_code(self, conn, tenant: str, member: dict, channel: str, destination: str, code: str) -> None:
        minutes = self.settings.otp_ttl_seconds // 60
        if channel == "email":
            await self._notify(
                conn,
                tenant,
                reference=f"member:{member['member_number']}",
                template="member_activation_code",
                email=destination,
                name=f"{member['first_name']} {member['last_name']}",
                data={"code": code, "expires_in_minutes": minutes},
            )
        else:
            await self._notify(
                conn,
                tenant,
                reference=f"member:{member['member_number']}",
                template="member_activation_code",
                phone=destination,
                channels=(Channel.SMS,),
                data={"code": code, "expires_in_minutes": minutes},
            )

    async def resend_code(self, *, tenant: str, activation_id: str, client_ip: str | None) -> None:
        await self._throttle("activation-address", client_ip)
        now = self.clock()
        async with self.pool.acquire() as conn, conn.transaction():
            stored = await db.code(conn, _uuid(activation_id), tenant)
            if stored is None or stored["verified_at"] is not None:
                raise Refused(400, BAD_CODE, "activation_id")
            if stored["sends"] >= self.settings.otp_max_sends or stored["last_sent_at"] > now - timedelta(
                seconds=self.settings.otp_resend_interval_seconds
            ):
                raise Refused(429, "Vous avez demandé trop de codes. Patientez avant d'en demander un nouveau.")
            code = new_code()
            await db.update_code(
                conn,
                stored["id"],
                code_hash=self.digest(code) if stored["subject"] else None,
                attempts=0,
                sends=stored["sends"] + 1,
                last_sent_at=now,
                expires_at=now + timedelta(seconds=self.settings.otp_ttl_seconds),
            )
            if stored["subject"]:
                member = await db.member_on_file(conn, tenant, stored["subject"])
                await self._send_code(conn, tenant, member, stored["channel"], stored["destination"], code)

    async def verify_code(self, *, tenant: str, activation_id: str, code: str) -> dict:
        """The right code within its life and attempts → a short ticket to finish, and the member number."""
        now = self.clock()
        async with self.pool.acquire() as conn, conn.transaction():
            stored = await db.code(conn, _uuid(activation_id), tenant)
            if (
                stored is None
                or stored["verified_at"] is not None
                or stored["expires_at"] <= now
                or stored["attempts"] >= self.settings.otp_max_attempts
            ):
                raise Refused(400, BAD_CODE, "code")
            if not self.digest.matches(code.strip(), stored["code_hash"]):
                await db.update_code(conn, stored["id"], attempts=stored["attempts"] + 1)
                wrong = True
            else:
                wrong = False
                await db.update_code(conn, stored["id"], verified_at=now)
                ticket = new_token()
                await db.create_action_token(
                    conn,
                    token_hash=self.digest(ticket),
                    tenant=tenant,
                    purpose="member_activation",
                    subject=stored["subject"],
                    payload={stored["channel"]: stored["destination"]},
                    expires_at=now + timedelta(seconds=self.settings.activation_ticket_ttl_seconds),
                )
        if wrong:  # raised after the commit, so that the attempt counts
            raise Refused(400, BAD_CODE, "code")
        return {"ticket": ticket, "member_number": stored["subject"]}

    async def complete_member_activation(
        self,
        *,
        tenant: str,
        ticket: str,
        email: str,
        email_confirmation: str,
        phone: str | None,
        password: str,
        password_confirmation: str,
        mail_preference: str,
    ) -> dict:
        config = self._tenant(tenant)
        if email.strip().lower() != email_confirmation.strip().lower():
            raise Refused(422, "Les deux adresses e-mail ne sont pas identiques.", "email_confirmation")
        if phone and normalise_phone(phone) is None:
            raise Refused(422, "Numéro de téléphone invalide.", "phone")
        self._check_new_password(config, "member", password, password_confirmation)
        now = self.clock()
        password_hash = await hash_password(password)
        async with self.pool.acquire() as conn, conn.transaction():
            used = await db.use_action_token(conn, self.digest(ticket), ("member_activation", "activation_link"), now)
            if used is None or used["tenant"] != tenant or not used["subject"]:
                raise Refused(400, BAD_LINK, "ticket")
            member = await db.member_on_file(conn, tenant, used["subject"])
            account = await db.account_by_identifier(conn, tenant, "member", used["subject"])
            if account is None:
                account = await db.create_account(
                    conn,
                    tenant=tenant,
                    kind="member",
                    identifier=used["subject"],
                    display_name=f"{member['first_name']} {member['last_name']}",
                    scope={"member_number": used["subject"]},
                )
            elif account["status"] == "active":
                raise Refused(409, "Votre espace est déjà activé : connectez-vous.")
            await db.update_account(
                conn,
                account["id"],
                email=email.strip().lower(),
                phone=normalise_phone(phone or "") or None,
                password_hash=password_hash,
                status="active",
                activated_at=now,
                mail_preference=mail_preference,
            )
        log.info("member account activated", tenant=tenant)
        return {"identifier": used["subject"]}

    # --- member activation: email link (form as on the member card) ---------------------------

    async def request_activation_link(
        self, *, tenant: str, member_number: str, last_name: str, birth_date: date, email: str, captcha: str | None, client_ip: str | None
    ) -> None:
        config = self._tenant(tenant)
        if "link" not in config.member_activation:
            raise Refused(404, "Ce mode d'activation n'est pas proposé par votre mutuelle.")
        await self._throttle("activation-address", client_ip)
        await self._check_captcha(captcha, client_ip)
        now = self.clock()
        async with self.pool.acquire() as conn, conn.transaction():
            member = await db.member_on_file(conn, tenant, member_number.strip())
            matches = (
                member is not None
                and same_name(member["last_name"], last_name)
                and birth_date in member["birth_dates"]
                and (member["email"] or "").lower() == email.strip().lower()
            )
            if matches:
                token = new_token()
                await db.create_action_token(
                    conn,
                    token_hash=self.digest(token),
                    tenant=tenant,
                    purpose="activation_link",
                    subject=member["member_number"],
                    expires_at=now + timedelta(seconds=self.settings.activation_link_ttl_seconds),
                )
                await self._notify(
                    conn,
                    tenant,
                    reference=f"member:{member['member_number']}",
                    template="member_activation_link",
                    email=email.strip(),
                    name=f"{member['first_name']} {member['last_name']}",
                    data={
                        "link": self._link(config, "member", "activation", token),
                        "expires_in_hours": self.settings.activation_link_ttl_seconds // 3600,
                    },
                )

    # --- member activation: matching against the legacy data (three email cases) --------------

    async def legacy_match_activation(
        self,
        *,
        tenant: str,
        identifier: str,
        contract_number: str,
        last_name: str,
        birth_date: date,
        postal_code: str,
        email: str,
        captcha: str | None,
        client_ip: str | None,
    ) -> None:
        config = self._tenant(tenant)
        if "legacy_match" not in config.member_activation:
            raise Refused(404, "Ce mode d'activation n'est pas proposé par votre mutuelle.")
        if not config.member_identifier.match(identifier.strip()):
            raise Refused(422, "Identifiant invalide.", "identifier")
        await self._throttle("activation-address", client_ip)
        await self._check_captcha(captcha, client_ip)
        now = self.clock()
        email = email.strip().lower()
        async with self.pool.acquire() as conn, conn.transaction():
            candidates = await conn.fetch(
                "SELECT * FROM members_on_file WHERE tenant = $1 AND $2 = ANY(contract_numbers) AND postal_code = $3 AND $4 = ANY(birth_dates)",
                tenant,
                contract_number.strip(),
                postal_code.strip(),
                birth_date,
            )
            member = next((dict(m) for m in candidates if same_name(m["last_name"], last_name)), None)
            if member is None:
                raise Refused(422, "Les informations saisies ne permettent pas de vous identifier.")
            on_file = (member["email"] or "").lower()
            if not on_file:  # case 1: no email on file, the given one is accepted and kept
                await db.set_member_email_on_file(conn, tenant, member["member_number"], email)
            elif on_file != email:  # case 3: another email now: only an advisor may change it in the legacy system
                raise Refused(
                    409,
                    "L'adresse e-mail saisie ne correspond pas à celle connue de votre mutuelle. "
                    "Contactez un conseiller pour la mettre à jour.",
                    "email",
                )
            token = new_token()  # case 2 (or 1): the email on file receives the link
            await db.create_action_token(
                conn,
                token_hash=self.digest(token),
                tenant=tenant,
                purpose="activation_link",
                subject=member["member_number"],
                expires_at=now + timedelta(seconds=self.settings.activation_link_ttl_seconds),
            )
            await self._notify(
                conn,
                tenant,
                reference=f"member:{member['member_number']}",
                template="member_activation_link",
                email=email,
                name=f"{member['first_name']} {member['last_name']}",
                data={
                    "link": self._link(config, "member", "activation", token),
                    "expires_in_hours": self.settings.activation_link_ttl_seconds // 3600,
                },
            )

    # --- company correspondents -----------------------------------------------------------------

    async def company_registered(
        self, conn: asyncpg.Connection, tenant: str, *, company_code: str, legal_name: str, primary_contact: dict | None
    ) -> None:
        """The company's primary correspondent gets an account (identifier C + company code) and an invitation."""
        if primary_contact is None or not primary_contact.get("email"):
            return
        name = f"{primary_contact['first_name']} {primary_contact['last_name']}"
        account = await db.create_account(
            conn,
            tenant=tenant,
            kind="correspondent",
            identifier=f"C{company_code}",
            email=primary_contact["email"],
            display_name=name,
            scope={"company_code": company_code, "company_name": legal_name, "contracts": "all", "primary": True},
        )
        if account is not None:
            await self._invite(conn, tenant, account, company=legal_name)

    async def contract_signed(
        self, conn: asyncpg.Connection, tenant: str, *, company_code: str, contract_number: str, product: str, category: str
    ) -> None:
        await db.save_company_contract(
            conn, tenant=tenant, company_code=company_code, contract_number=contract_number, product=product, category=category
        )

    async def _invite(self, conn: asyncpg.Connection, tenant: str, account: dict, *, company: str | None = None) -> None:
        config = self._tenant(tenant)
        token = new_token()
        await db.create_action_token(
            conn,
            token_hash=self.digest(token),
            tenant=tenant,
            purpose="correspondent_invitation",
            account_id=account["id"],
            expires_at=self.clock() + timedelta(seconds=self.settings.activation_link_ttl_seconds),
        )
        await self._notify(
            conn,
            tenant,
            reference=f"account:{account['id']}",
            template="correspondent_invitation",
            email=account["email"],
            name=account["display_name"],
            data={
                "identifier": account["identifier"],
                "link": self._link(config, "correspondent", "activation", token),
                "company_name": company or "",
                "expires_in_hours": self.settings.activation_link_ttl_seconds // 3600,
            },
        )

    async def create_secondary_correspondent(
        self, *, creator_id: str, identifier: str, last_name: str, first_name: str, email: str, contracts: list[str]
    ) -> dict:
        async with self.pool.acquire() as conn, conn.transaction():
            creator = await db.account_by_id(conn, uuid.UUID(creator_id))
            if creator is None or creator["kind"] != "correspondent" or not creator["scope"].get("primary"):
                raise Refused(403, "Seul le correspondant principal de l'entreprise peut créer des correspondants.")
            company = creator["scope"]["company_code"]
            known = await db.company_contract_numbers(conn, creator["tenant"], company)
            unknown = sorted(set(contracts) - known)
            if unknown or not contracts:
                raise Refused(422, "Choisissez un ou plusieurs contrats collectifs de votre entreprise.", "contracts")
            account = await db.create_account(
                conn,
                tenant=creator["tenant"],
                kind="correspondent",
                identifier=identifier.strip(),
                email=email.strip().lower(),
                display_name=f"{first_name} {last_name}",
                scope={
                    "company_code": company,
                    "company_name": creator["scope"].get("company_name", ""),
                    "contracts": sorted(set(contracts)),
                    "primary": False,
                },
                created_by=creator["id"],
            )
            if account is None:
                raise Refused(409, "Cet identifiant est déjà utilisé.", "identifier")
            await self._invite(conn, creator["tenant"], account, company=creator["scope"].get("company_name"))
        return {"identifier": account["identifier"]}

    async def secondary_correspondents(self, creator_id: str) -> list[dict]:
        async with self.pool.acquire() as conn:
            creator = await db.account_by_id(conn, uuid.UUID(creator_id))
            if creator is None or creator["kind"] != "correspondent" or not creator["scope"].get("primary"):
                raise Refused(403, "Seul le correspondant principal de l'entreprise voit ses correspondants.")
            return [
                {
                    "identifier": a["identifier"],
                    "display_name": a["display_name"],
                    "email": a["email"],
                    "last_login_at": a["last_login_at"],
                    "activated": a["status"] == "active",
                    "contracts": a["scope"].get("contracts"),
                }
                for a in await db.secondary_correspondents(conn, creator["id"])
            ]

    async def delete_own_account(self, account_id: str) -> None:
        async with self.pool.acquire() as conn, conn.transaction():
            account = await db.account_by_id(conn, uuid.UUID(account_id), for_update=True)
            if account["kind"] != "correspondent":
                raise Refused(403, "La suppression du compte n'est proposée que dans l'espace entreprise.")
            await db.update_account(conn, account["id"], status="deleted", password_hash=None)
            await db.revoke_all_sessions(conn, account["id"], self.clock())

    async def change_notification_email(self, *, account_id: str, email: str, email_confirmation: str) -> None:
        if email.strip().lower() != email_confirmation.strip().lower():
            raise Refused(422, "Les deux adresses e-mail ne sont pas identiques.", "email_confirmation")
        async with self.pool.acquire() as conn:
            await db.update_account(conn, uuid.UUID(account_id), notification_email=email.strip().lower())

    # --- self-care --------------------------------------------------------------------------------

    async def change_contact(self, *, account_id: str, email: str, email_confirmation: str, phone: str | None) -> None:
        if email.strip().lower() != email_confirmation.strip().lower():
            raise Refused(422, "Les deux adresses e-mail ne sont pas identiques.", "email_confirmation")
        if phone and normalise_phone(phone) is None:
            raise Refused(422, "Numéro de téléphone invalide.", "phone")
        async with self.pool.acquire() as conn:
            await db.update_account(conn, uuid.UUID(account_id), email=email.strip().lower(), phone=normalise_phone(phone or "") or None)

    async def profile(self, account_id: str) -> dict:
        async with self.pool.acquire() as conn:
            account = await db.account_by_id(conn, uuid.UUID(account_id))
        return {
            k: account[k]
            for k in (
                "identifier",
                "kind",
                "tenant",
                "email",
                "phone",
                "display_name",
                "mail_preference",
                "notification_email",
                "last_login_at",
                "activated_at",
            )
        }


def _uuid(value: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError:
        raise Refused(400, BAD_CODE, "activation_id") from None
