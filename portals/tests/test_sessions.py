"""The portals' sessions on a real PostgreSQL, in front of a fake gateway: what the browser holds (a
cookie, never a token), a new session at login, the tokens renewed on the server and a session that
cannot be renewed ended, idle sessions ended, logout revoking the tokens, CSRF, and what the
gateway is sent (the tenant, the browser's address, the token) and how its refusals read."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import asyncpg
import httpx
import pytest
from portals.adapters.gateway import GatewayClient, GatewayProblem, GatewayUnavailable
from portals.bootstrap import bootstrap
from portals.settings import PortalsSettings
from portals.testing import BROKER_ACCOUNT

from extranet_plumbing.http import TO_CORRECT, french_message
from identity.api import TokenAnswer

BASE = "/mbtp/courtier"


class FakeGateway:
    """Answers login, refresh, logout, terms and the profile as the gateway would; notes each call."""

    def __init__(self) -> None:
        self.calls: list[httpx.Request] = []
        self.issued = 0
        self.refresh_refused = False

    def tokens(self) -> dict:
        self.issued += 1
        return {
            "access_token": f"access-{self.issued}",
            "refresh_token": f"refresh-{self.issued}",
            "expires_in": 600,
            "terms_pending": False,
        }

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.calls.append(request)
        path = request.url.path
        if path == "/api/auth/login":
            body = json.loads(request.content)
            if body["password"] != "Bon-mot-de-passe-1!":
                return httpx.Response(401, json={"status": 401, "detail": "Identifiant ou mot de passe incorrect."})
            return httpx.Response(200, json=self.tokens())
        if path == "/api/auth/refresh":
            if self.refresh_refused:
                return httpx.Response(401, json={"status": 401, "detail": "Session expirée."})
            return httpx.Response(200, json=self.tokens())
        if path == "/api/auth/logout":
            return httpx.Response(204)
        if path == "/api/me":
            return httpx.Response(200, json=BROKER_ACCOUNT)
        return httpx.Response(404, json={"status": 404})


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
async def portal(infra, service_env):
    gateway, clock = FakeGateway(), Clock()
    settings = PortalsSettings(**{**service_env, "db_schema": service_env["db_schema"] + "_portals", "trusted_proxies": ["127.0.0.1"]})
    service = bootstrap(settings, clock=clock, transport=httpx.MockTransport(gateway))
    async with service.running():
        yield service, gateway, clock
    conn = await asyncpg.connect(infra.database_url)
    await conn.execute(f"DROP SCHEMA IF EXISTS {settings.db_schema} CASCADE")
    await conn.close()


def browser(service, scheme: str = "http") -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(service.app, client=("203.0.113.7", 50000)), base_url=f"{scheme}://portail")


async def csrf_of(client: httpx.AsyncClient, path: str) -> str:
    page = await client.get(BASE + path)
    assert page.status_code == 200
    return page.text.split('name="csrf" value="')[1].split('"')[0]


async def log_in(client: httpx.AsyncClient, password: str = "Bon-mot-de-passe-1!") -> httpx.Response:
    csrf = await csrf_of(client, "/connexion")
    return await client.post(BASE + "/connexion", data={"csrf": csrf, "identifier": "M12345", "password": password})


async def test_the_browser_holds_a_cookie_and_the_session_the_tokens(portal):
    service, gateway, _ = portal
    async with browser(service, "https") as client:
        await client.get(BASE + "/connexion")
        before = client.cookies["portail_session"]
        answer = await log_in(client)
        assert answer.status_code == 303 and answer.headers["location"] == BASE + "/accueil"
        cookie = answer.headers["set-cookie"]
        assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Secure" in cookie and f"Path={BASE}" in cookie
        after = client.cookies["portail_session"]
        assert after != before and "access" not in after  # a new session at login; no token in the browser
        row = await service.pool.fetchrow("SELECT access_token, refresh_token FROM sessions")
        assert dict(row) == {"access_token": "access-1", "refresh_token": "refresh-1"}
        assert await service.pool.fetchval("SELECT count(*) FROM sessions") == 1  # the anonymous one is gone
    login = gateway.calls[0]
    assert login.url.params["tenant"] == "mbtp" and login.headers["x-forwarded-for"] == "203.0.113.7"
    async with browser(service) as client:  # over http, as in `make run`: not Secure
        await client.get(BASE + "/connexion")
        assert "Secure" not in (await log_in(client)).headers["set-cookie"]


async def test_a_refused_login_says_why_and_keeps_no_token(portal):
    service, _, _ = portal
    async with browser(service) as client:
        answer = await log_in(client, "Mauvais-1!")
        assert answer.status_code == 401 and "Identifiant ou mot de passe incorrect." in answer.text
        assert await service.pool.fetchval("SELECT count(*) FROM sessions WHERE access_token IS NOT NULL") == 0


async def test_tokens_are_renewed_on_the_server_and_an_unrenewable_session_ends(portal):
    service, gateway, clock = portal
    async with browser(service) as client:
        await log_in(client)
        clock.now += timedelta(minutes=9, seconds=45)  # the access token ends in 15 s: renewed first
        assert (await client.get(BASE + "/mon-compte")).status_code == 200
        assert [c.url.path for c in gateway.calls[-3:]] == ["/api/auth/refresh", "/api/me", "/api/broker/profile"]
        assert json.loads(gateway.calls[-3].content) == {"refresh_token": "refresh-1"}
        assert {c.headers["authorization"] for c in gateway.calls[-2:]} == {"Bearer access-2"}
        gateway.refresh_refused = True
        clock.now += timedelta(minutes=10)
        answer = await client.get(BASE + "/mon-compte")
        assert answer.status_code == 303 and answer.headers["location"] == BASE + "/connexion?motif=session-expiree"
        assert await service.pool.fetchval("SELECT count(*) FROM sessions") == 0


async def test_an_idle_session_ends(portal):
    service, _, clock = portal
    async with browser(service) as client:
        await log_in(client)
        clock.now += timedelta(minutes=29)
        assert (await client.get(BASE + "/mon-compte")).status_code == 200
        clock.now += timedelta(minutes=31)
        assert (await client.get(BASE + "/mon-compte")).headers["location"] == BASE + "/connexion"


async def test_logout_revokes_the_tokens_and_forms_need_their_csrf_token(portal):
    service, gateway, _ = portal
    async with browser(service) as client:
        await log_in(client)
        forged = await client.post(BASE + "/deconnexion")
        assert forged.status_code == 403 and "Formulaire expiré" in forged.text
        csrf = await csrf_of(client, "/mon-compte")
        answer = await client.post(BASE + "/deconnexion", data={"csrf": csrf})
        assert answer.headers["location"] == BASE + "/connexion?motif=deconnexion"
        assert gateway.calls[-1].url.path == "/api/auth/logout" and gateway.calls[-1].headers["authorization"] == "Bearer access-1"
        assert await service.pool.fetchval("SELECT count(*) FROM sessions") == 0


async def test_the_gateways_answers_read_in_french():
    def answer(request: httpx.Request) -> httpx.Response:
        return {
            "/refused": httpx.Response(
                422,
                json={
                    "detail": TO_CORRECT,
                    "errors": [
                        # as the gateway words pydantic's refusals (plumbing's handler)
                        {
                            "field": "email",
                            "message": french_message({"type": "string_pattern_mismatch", "ctx": {"pattern": "^\\S+@\\S+$"}}),
                        },
                        {"field": "last_name", "message": french_message({"type": "missing"})},
                        {"field": "first_name", "message": "String should have at most 80 characters"},  # an older gateway
                    ],
                },
            ),
            "/captcha": httpx.Response(
                400,
                json={
                    "detail": "La vérification anti-robot a échoué.",
                    "errors": [{"field": "captcha", "message": "La vérification anti-robot a échoué."}],
                },
            ),
            "/down": httpx.Response(503, json={}),
            "/odd": httpx.Response(200, json={"access_token": "x"}),
        }[request.url.path]

    client = GatewayClient(httpx.AsyncClient(transport=httpx.MockTransport(answer), base_url="http://gateway"))
    with pytest.raises(GatewayProblem) as refused:
        await client.call("POST", "/refused")
    # A value's form: what to type is the page's to say (« Saisie invalide. » until it does); the rest as the gateway says it.
    assert refused.value.fields == {"email": "Saisie invalide.", "last_name": "Ce champ est obligatoire.", "first_name": "Saisie invalide."}
    assert refused.value.message == "Certains champs sont à corriger."
    with pytest.raises(GatewayProblem) as captcha:
        await client.call("POST", "/captcha")
    assert captcha.value.fields["captcha"] == "La vérification anti-robot a échoué."
    assert captcha.value.message == "Certains champs sont à corriger."  # the message is next to the widget
    with pytest.raises(GatewayUnavailable):
        await client.call("GET", "/down")
    with pytest.raises(GatewayUnavailable):  # not the declared model
        await client.call("POST", "/odd", model=TokenAnswer)


async def test_the_captcha_is_friendlycaptchas_widget_unless_the_test_one_is_turned_on(infra, service_env):
    settings = PortalsSettings(**{**service_env, "db_schema": service_env["db_schema"] + "_portals", "captcha_sitekey": "FCMSITEKEY"})
    assert settings.captcha_mode == "friendlycaptcha"  # the default
    service = bootstrap(settings, transport=httpx.MockTransport(FakeGateway()))
    try:
        async with service.running(), browser(service) as client:
            page = await client.get(BASE + "/mot-de-passe-oublie")
            assert 'class="frc-captcha" data-sitekey="FCMSITEKEY"' in page.text
            assert f'src="{BASE}/static/vendor/widget.module.min.js"' in page.text
            assert "https://api.friendlycaptcha.com" in page.headers["content-security-policy"]
            assert "test-captcha-solution" not in page.text
            login = await client.get(BASE + "/connexion")  # no captcha until identity asks for one
            assert "frc-captcha" not in login.text and "friendlycaptcha.com" not in login.headers["content-security-policy"]
    finally:
        conn = await asyncpg.connect(infra.database_url)
        await conn.execute(f"DROP SCHEMA IF EXISTS {settings.db_schema} CASCADE")
        await conn.close()


async def test_a_fault_of_the_portal_gives_the_french_error_page_and_no_details(portal, monkeypatch):
    from portals import web

    service, _, _ = portal
    async with browser(service) as client:
        assert (await log_in(client)).status_code == 303
    # A page that cannot be drawn (a fault of the portal itself, here its template).
    get_template = web.templates.get_template

    def failing(name: str):
        if name == "my_account.html":
            raise RuntimeError("Traceback SECRET-42")
        return get_template(name)

    monkeypatch.setattr(web.templates, "get_template", failing)
    transport = httpx.ASGITransport(service.app, raise_app_exceptions=False, client=("203.0.113.7", 50000))
    async with httpx.AsyncClient(transport=transport, base_url="http://portail", cookies=client.cookies) as again:
        page = await again.get(BASE + "/mon-compte")
    assert page.status_code == 500
    assert page.headers["content-type"].startswith("text/html")
    assert "Erreur technique" in page.text and "réessayer dans quelques minutes" in page.text
    assert "SECRET-42" not in page.text and "Traceback" not in page.text
