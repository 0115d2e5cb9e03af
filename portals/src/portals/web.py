"""What every page of the portals shares: the visit (the request's site and session), the session
cookie, CSRF checks, calls to the gateway with the session's tokens (renewed here, on the server),
and rendering with the tenant's look.

The cookie: HttpOnly, SameSite=Strict, Secure over https, scoped to the portal's path; it names a
session row by digest (adapters.session_store). A login starts a new session (a cookie known before
login is worth nothing after it); logout, expiry or a refused renewal end it."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.responses import RedirectResponse, Response, StreamingResponse
from fastapi.templating import Jinja2Templates
from starlette.datastructures import FormData

from extranet_plumbing.dependencies import Placeholder
from extranet_plumbing.logging import get_logger
from identity.api import TokenAnswer
from portals import formats
from portals.adapters.gateway import GatewayClient, GatewayProblem
from portals.adapters.session_store import PortalSession, PortalsUnitOfWork, new_secret
from portals.settings import PortalsSettings
from portals.tenancy import Site

log = get_logger(__name__)
COOKIE = "portail_session"
CSRF_FIELD = "csrf"
CSRF_HEADER = "x-csrf-token"
CAPTCHA_FIELD = "frc-captcha-solution"
RENEW_BEFORE = timedelta(seconds=30)
# Why the login page is shown again (?motif=...), the session being gone: said to the user.
REASONS = {
    "session-expiree": "Votre session a expiré. Merci de vous reconnecter.",
    "deconnexion": "Vous êtes déconnecté. À bientôt !",
    "compte-supprime": "Votre compte est supprimé.",
    "cgu-refusees": "Vous avez refusé les conditions générales d'utilisation : l'accès à votre espace n'est pas possible sans les accepter.",
}

templates = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
templates.env.filters.update(
    date=formats.french_date,
    long_date=formats.french_long_date,
    datetime=formats.french_datetime,
    number=formats.french_number,
    amount=formats.french_amount,
    month=formats.month_label,
)


class Redirect(Exception):
    """Leave the page for another of the same portal (`path` under the site) or the login page."""

    def __init__(self, path: str) -> None:
        super().__init__(path)
        self.path = path


class NotFound(Exception):
    pass


class FormExpired(Exception):
    pass


# --- placeholders bound by bootstrap -------------------------------------------------------------------


settings = Placeholder("settings")  # -> PortalsSettings
gateway = Placeholder("gateway")  # -> GatewayClient
unit_of_work = Placeholder("unit_of_work")  # -> PortalsUnitOfWork
clock = Placeholder("clock")  # -> Callable[[], datetime]


def now_utc() -> datetime:
    return datetime.now(UTC)


@dataclass
class Visit:
    """One request to a portal: its site, its session (if the cookie names a live one), and the
    cookie to send back."""

    request: Request
    site: Site
    settings: PortalsSettings
    gateway: GatewayClient
    new_uow: Callable[[], PortalsUnitOfWork]
    now: Callable[[], datetime]
    session: PortalSession | None = None
    _cookie: str | None = None
    _drop_cookie: bool = False

    # --- session ---------------------------------------------------------------------------------

    @property
    def logged_in(self) -> bool:
        return self.session is not None and self.session.logged_in

    @property
    def client_ip(self) -> str | None:
        return self.request.client.host if self.request.client else None

    def _latest_end(self, session: PortalSession) -> datetime:
        started = session.created_at or self.now()
        return started + timedelta(seconds=self.settings.session_max_seconds)

    async def load(self) -> None:
        cookie = self.request.cookies.get(COOKIE)
        if not cookie:
            return
        now = self.now()
        async with self.new_uow() as uow:
            session = await uow.sessions.find(cookie, now=now)
            if session is None or session.tenant != self.site.tenant or session.portal != self.site.portal:
                self._drop_cookie = session is None
                return
            await uow.sessions.touch(
                session, now=now, idle=timedelta(seconds=self.settings.session_idle_seconds), latest_end=self._latest_end(session)
            )
            await uow.commit()
        self.session = session

    async def ensure_session(self) -> PortalSession:
        """The session, created anonymous if there is none (its CSRF token protects the first forms)."""
        if self.session is None:
            self.session = await self._new_session()
        return self.session

    async def _new_session(self, data: dict | None = None) -> PortalSession:
        cookie = new_secret()
        now = self.now()
        async with self.new_uow() as uow:
            if secrets.randbelow(50) == 0:  # now and then, forget the sessions that ended
                await uow.sessions.delete_expired(now)
            session = await uow.sessions.create(
                cookie=cookie,
                tenant=self.site.tenant,
                portal=self.site.portal,
                expires_at=now + timedelta(seconds=self.settings.session_idle_seconds),
                data=data,
            )
            await uow.commit()
        self._cookie, self._drop_cookie = cookie, False
        return session

    async def save(self) -> None:
        if self.session is not None:
            async with self.new_uow() as uow:
                await uow.sessions.save(self.session)
                await uow.commit()

    async def remember(self, **values: Any) -> None:
        """Keep values of a multi-step flow in the session (never in the browser)."""
        session = await self.ensure_session()
        session.data.update(values)
        await self.save()

    def recalled(self, name: str) -> Any:
        return self.session.data.get(name) if self.session else None

    async def flash(self, message: str) -> None:
        await self.remember(flash=message)

    async def log_in(self, tokens: TokenAnswer) -> None:
        """A new session holding the tokens (the anonymous one is forgotten)."""
        await self.end_session()
        session = await self._new_session()
        self._store_tokens(session, tokens)
        session.expires_at = self.now() + timedelta(seconds=self.settings.session_idle_seconds)
        self.session = session
        await self.save()

    def _store_tokens(self, session: PortalSession, tokens: TokenAnswer) -> None:
        session.access_token, session.refresh_token = tokens.access_token, tokens.refresh_token
        session.access_expires_at = self.now() + timedelta(seconds=tokens.expires_in)
        session.terms_pending = tokens.terms_pending

    async def end_session(self) -> None:
        if self.session is not None:
            async with self.new_uow() as uow:
                await uow.sessions.delete(self.session)
                await uow.commit()
        self.session, self._cookie, self._drop_cookie = None, None, True

    # --- CSRF ------------------------------------------------------------------------------------

    async def form(self) -> FormData:
        """The posted form, once its CSRF token is the session's (else `FormExpired`)."""
        form = await self.request.form()
        presented = str(form.get(CSRF_FIELD) or self.request.headers.get(CSRF_HEADER) or "")
        if self.session is None or not secrets.compare_digest(presented.encode(), self.session.csrf_token.encode()):
            raise FormExpired()
        return form

    # --- the gateway -----------------------------------------------------------------------------

    async def call(self, method: str, path: str, **kwargs: Any) -> Any:
        """A route without a session's token (login, activation, reset): the portal's tenant and the
        browser's address go along."""
        return await self.gateway.call(method, path, tenant=self.site.tenant, client_ip=self.client_ip, **kwargs)

    async def api(self, method: str, path: str, *, with_tenant: bool = True, **kwargs: Any) -> Any:
        """A route with the session's access token, renewed first when about to expire, and once more
        if the gateway refuses it; a session that cannot be renewed ends (back to the login page).
        `with_tenant=False`: a route whose query takes nothing else than its own (the token says the tenant)."""
        await self._fresh_token()
        tenant = self.site.tenant if with_tenant else None
        try:
            return await self.gateway.call(method, path, token=self.session.access_token, tenant=tenant, **kwargs)
        except GatewayProblem as problem:
            if problem.status != 401:
                raise
        await self.renew(force=True)
        return await self.gateway.call(method, path, token=self.session.access_token, tenant=tenant, **kwargs)

    async def download(self, path: str, params: dict[str, str]) -> Response:
        """A file of the gateway (export, statement) streamed on to the browser: the session's token is
        added here, never seen by the browser; a refusal before the first byte raises `GatewayProblem`."""
        await self._fresh_token()
        try:
            file = await self.gateway.download(path, params=params, token=self.session.access_token)
        except GatewayProblem as problem:
            if problem.status != 401:
                raise
            await self.renew(force=True)
            file = await self.gateway.download(path, params=params, token=self.session.access_token)
        return self.finish(
            StreamingResponse(
                file.body(),
                media_type=file.media_type,
                headers={"content-disposition": file.disposition, "cache-control": "no-store"},
            )
        )

    async def download_or_back(self, path: str, params: dict[str, str], back: str, failure: str) -> Response:
        """`download`, or back to the page `back` saying `failure` and the gateway's refusal."""
        try:
            return await self.download(path, params)
        except GatewayProblem as problem:
            await self.flash(f"{failure} : {problem.message}")
            return self.redirect(back)

    async def _fresh_token(self) -> None:
        if not self.logged_in:
            raise Redirect("/connexion?motif=session-expiree")
        if self.session.access_expires_at is None or self.session.access_expires_at - RENEW_BEFORE <= self.now():
            await self.renew()

    async def renew(self, *, force: bool = False) -> None:
        """Refresh tokens rotate: the session's row is locked while it is renewed, so that two pages
        loading at once use the refresh token once (a second use would end every session)."""
        cookie_session = self.session
        async with self.new_uow() as uow:
            fresh = await uow.sessions.find(self._cookie or self.request.cookies.get(COOKIE) or "", now=self.now(), lock=True)
            if fresh is None or fresh.refresh_token is None:
                await self._expired()
            if not force and fresh.access_token != cookie_session.access_token:
                self.session = fresh  # renewed meanwhile by another request
                return
            try:
                tokens = await self.gateway.call(
                    "POST", "/api/auth/refresh", json={"refresh_token": fresh.refresh_token}, model=TokenAnswer
                )
            except GatewayProblem:
                await uow.sessions.delete(fresh)
                await uow.commit()
                await self._expired()
            self._store_tokens(fresh, tokens)
            await uow.sessions.save(fresh)
            await uow.commit()
        self.session = fresh

    async def _expired(self) -> None:
        self.session, self._drop_cookie = None, True
        raise Redirect("/connexion?motif=session-expiree")

    # --- answers ---------------------------------------------------------------------------------

    def _cookie_path(self) -> str:
        return self.site.base_path or "/"

    def _secure(self) -> bool:
        mode = self.settings.cookie_secure
        return mode == "always" or (mode == "auto" and self.request.url.scheme == "https")

    def finish(self, response: Response) -> Response:
        if self._cookie:
            response.set_cookie(
                COOKIE,
                self._cookie,
                path=self._cookie_path(),
                httponly=True,
                samesite="strict",
                secure=self._secure(),
                max_age=self.settings.session_max_seconds,
            )
        elif self._drop_cookie:
            response.delete_cookie(COOKIE, path=self._cookie_path(), httponly=True, samesite="strict", secure=self._secure())
        return response

    def redirect(self, path: str) -> Response:
        return self.finish(RedirectResponse(self.site.url(path), status_code=303))

    async def render(self, template: str, status_code: int = 200, *, captcha: bool = False, **context: Any) -> Response:
        session = await self.ensure_session()
        flash = session.data.pop("flash", None)
        if flash:
            await self.save()
        reason = REASONS.get(self.request.query_params.get("motif", ""))
        page = templates.TemplateResponse(
            self.request,
            template,
            {
                "site": self.site,
                "look": self.site.look,
                "visit": self,
                "csrf": session.csrf_token,
                "flash": flash or reason,
                "captcha_mode": self.settings.captcha_mode,
                "captcha_sitekey": self.settings.captcha_sitekey,
                "captcha_endpoint": self.settings.captcha_puzzle_endpoint,
                "test_solution": test_solution() if self.settings.captcha_mode == "test" else "",
                "errors": {},
                "values": {},
                **context,
            },
            status_code=status_code,
        )
        page.headers["content-security-policy"] = content_security_policy(captcha and self.settings.captcha_mode == "friendlycaptcha")
        return self.finish(page)


def test_solution() -> str:
    from identity.adapters.captcha import TEST_SOLUTION

    return TEST_SOLUTION


def content_security_policy(friendlycaptcha: bool = False) -> str:
    """Only the portal's own scripts and styles; FriendlyCaptcha's widget where it is shown."""
    connect, style, worker = "'self'", "'self'", "'none'"
    if friendlycaptcha:
        connect += " https://api.friendlycaptcha.com https://eu-api.friendlycaptcha.eu"
        style += " 'unsafe-inline'"  # the widget styles itself
        worker = "blob:"
    return (
        f"default-src 'none'; script-src 'self'; style-src {style}; img-src 'self' data:; connect-src {connect}; "
        f"worker-src {worker}; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
    )


async def visit(
    request: Request,
    config: Annotated[PortalsSettings, Depends(settings)],
    client: Annotated[GatewayClient, Depends(gateway)],
    new_uow: Annotated[Callable[[], PortalsUnitOfWork], Depends(unit_of_work)],
    now: Annotated[Callable[[], datetime], Depends(clock)],
) -> Visit:
    site = request.scope.get("state", {}).get("site")
    if site is None:
        raise NotFound()
    current = Visit(request, site, config, client, new_uow, now)
    await current.load()
    return current


async def member_of_portal(current: Annotated[Visit, Depends(visit)]) -> Visit:
    """A logged-in visit whose terms of use are accepted (else the login page, or the terms)."""
    if not current.logged_in:
        raise Redirect("/connexion")
    if current.session.terms_pending:
        raise Redirect("/cgu")
    return current


Page = Annotated[Visit, Depends(visit)]
Account = Annotated[Visit, Depends(member_of_portal)]


def only(portal: str) -> Callable[[Visit], Any]:
    """A dependency: the route exists in `portal` only (404 elsewhere)."""

    async def check(current: Account) -> Visit:
        if current.site.portal != portal:
            raise NotFound()
        return current

    return check


def field_values(form: FormData, *names: str) -> dict[str, str]:
    return {name: str(form.get(name) or "").strip() for name in names}


REQUIRED = "Ce champ est obligatoire."
BAD_DATE = "Date invalide : saisissez-la au format JJ/MM/AAAA."


def missing(values: dict[str, str], *names: str) -> dict[str, str]:
    return {name: REQUIRED for name in names if not values.get(name)}


def iso_dates(values: dict[str, str], *names: str) -> tuple[dict[str, str], dict[str, str]]:
    """The fields `names` typed as JJ/MM/AAAA, as ISO dates (empty ones left out), and the wrong ones."""
    dates, errors = {}, {}
    for name in names:
        if values.get(name):
            day = formats.parse_french_date(values[name])
            if day is None:
                errors[name] = BAD_DATE
            else:
                dates[name] = day.isoformat()
    return dates, errors
