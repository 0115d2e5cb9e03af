"""The embedded stack as the portals' browser tests use it: identity, portfolio, claims and
notifications in-process on the real Kafka and PostgreSQL, the local mail and SMS servers, the
gateway and the portals each on a real uvicorn server, and Debian's chromium driven by Playwright.

The links in the emails point at these portals: EXTRANET_PORTALS_BASE_URL is set to the portals'
address before identity and notifications read the tenant registry."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
import uvicorn
from portals.bootstrap import bootstrap as portals_bootstrap
from portals.settings import PortalsSettings

from claims.bootstrap import bootstrap as claims_bootstrap
from claims.settings import ClaimsSettings
from enrollment.bootstrap import bootstrap as enrollment_bootstrap
from enrollment.settings import EnrollmentSettings
from extranet_plumbing.auth import TokenVerifier
from extranet_plumbing.serve import server_config
from extranet_plumbing.tenants import PORTALS_BASE_URL_VARIABLE, load_registry
from extranet_plumbing.testing import free_port, publish_event, served, wait_until
from gateway.bootstrap import bootstrap as gateway_bootstrap
from gateway.settings import GatewaySettings
from identity.adapters.captcha import TestCaptchaVerifier
from identity.bootstrap import bootstrap as identity_bootstrap
from identity.entrypoints.admin import set_login
from identity.settings import IdentitySettings
from legacy_simulator.decisions import deciding
from notifications.bootstrap import bootstrap as notifications_bootstrap
from notifications.settings import NotificationsSettings
from portfolio.bootstrap import bootstrap as portfolio_bootstrap
from portfolio.settings import PortfolioSettings

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
AXE = ROOT / "portals" / "node_modules" / "axe-core" / "axe.min.js"
SCREENSHOTS = ROOT / ".stack" / "screenshots"
WIDTHS = {"ordinateur": (1280, 900), "tablette": (768, 1024)}
LOGIN_BUTTONS = {
    "courtier": ("Je me connecte", "Accepter"),
    "adherent": ("Connectez-vous", "J'accepte"),
    "entreprise": ("Connexion", "Accepter"),
    "gestion": ("Je me connecte", "Accepter"),
}


@dataclass
class Stack:
    portals_url: str
    mailbox: Any
    smsbox: Any
    identity: Any
    portfolio: Any
    kafka_producer: Any
    topic_prefix: str
    identity_settings: IdentitySettings
    portals: Any
    claims: Any = None
    enrollment: Any = None

    def portal(self, tenant: str, slug: str, path: str = "/") -> str:
        return f"{self.portals_url}/{tenant}/{slug}{path}"

    async def legacy_event(self, event, *, applied_by=("identity",)) -> None:
        """Publish as the legacy system does; wait until the services named applied it."""
        envelope = await publish_event(self.kafka_producer, self.topic_prefix + event.STREAM, event)
        for service in (getattr(self, name) for name in applied_by):
            pool = service.pool
            await wait_until(lambda pool=pool: pool.fetchval("SELECT 1 FROM inbox WHERE event_id = $1", envelope.id), timeout=30)

    async def mail(self, address: str, subject: str):
        def find():
            for mail in self.mailbox.messages:
                if address in mail.to and subject in mail.subject:
                    return self.mailbox.read(mail)
            return None

        return await wait_until(find, timeout=30)

    async def first_login(self, page, slug: str, kind: str, identifier: str, password: str, scope: dict, *, tenant: str = "mbtp") -> None:
        """An account made as `identity-admin` would, logged in on its portal (`slug`), the terms of use
        accepted (with the consent to health data in the member portal): the home page."""
        await set_login(self.identity_settings, tenant=tenant, kind=kind, identifier=identifier, password=password, scope=scope)
        await page.goto(self.portal(tenant, slug, "/connexion"))
        await page.locator("#identifier").fill(identifier)
        await self.first_login_here(page, slug, password, tenant=tenant)

    async def first_login_here(self, page, slug: str, password: str, *, tenant: str = "mbtp") -> None:
        """On the login page of the portal (`slug`), the identifier filled: the password given, the terms of use
        accepted (with the consent to health data in the member portal): the home page."""
        login_button, accept_button = LOGIN_BUTTONS[slug]
        await page.locator("#password").fill(password)
        await page.get_by_role("button", name=login_button).click()
        await page.wait_for_url(f"**/{tenant}/{slug}/cgu")
        await page.locator("#terms-text").evaluate("text => text.scrollTo(0, text.scrollHeight)")
        await page.get_by_label("Je reconnais").check()
        if slug == "adherent":
            await page.get_by_label("Je déclare avoir pris connaissance").check()
        await page.get_by_role("button", name=accept_button).click()
        await page.wait_for_url(f"**/{tenant}/{slug}/accueil")

    @staticmethod
    async def nav(page, name: str) -> None:
        """Follow the main navigation's entry `name`, opening first the group that holds it (the employer's
        « Gestion administrative », « Gestion des effectifs », « Documents », « Suivi »; the member's « Contrat »,
        « Services en ligne », « Aide »), as a user does."""
        nav = page.get_by_role("navigation", name="Navigation principale")
        link = nav.get_by_role("link", name=name, exact=True)
        group = nav.locator("details", has=page.locator("a").get_by_text(name, exact=True))
        if await group.count() and not await group.evaluate("details => details.open"):
            await group.locator("summary").click()
        await link.click()

    @staticmethod
    async def download(page, link) -> tuple[str, bytes]:
        """Click `link` (a locator) and wait for the file it downloads: its suggested name and its bytes."""
        async with page.expect_download() as download_info:
            await link.click()
        download = await download_info.value
        return download.suggested_filename, Path(await download.path()).read_bytes()

    @staticmethod
    def text_of(message) -> str:
        return message.get_body(preferencelist=("plain",)).get_content()

    @staticmethod
    def link_in(text: str) -> str:
        return re.search(r"https?://\S+token=[A-Za-z0-9_-]+", text).group(0)


@contextlib.asynccontextmanager
async def served_on(port: int, settings, app):
    """`app` on a real uvicorn server on `port` (known before the app exists: the links point there)."""
    server = uvicorn.Server(server_config(settings.model_copy(update={"http_port": port}), app))
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


@pytest.fixture
async def stack(infra, service_env, jwt_keys, mailbox, smsbox, kafka_producer, topic_prefix, monkeypatch):
    port = free_port()
    monkeypatch.setenv(PORTALS_BASE_URL_VARIABLE, f"http://127.0.0.1:{port}")
    load_registry.cache_clear()
    schema = service_env["db_schema"]
    verifier = TokenVerifier(jwt_keys.public_pem)
    portfolio = portfolio_bootstrap(PortfolioSettings(**service_env), verifier=verifier)
    # A new code may be asked for at once (30 s apart otherwise); the captcha after 3 failed logins (10 otherwise).
    identity_settings = IdentitySettings(
        **{
            **service_env,
            "db_schema": schema + "_identity",
            "jwt_private_key_file": jwt_keys.private_file,
            "otp_resend_interval_seconds": 0,
            "login_failures_before_captcha": 3,
        }
    )
    identity = identity_bootstrap(identity_settings, verifier=verifier, captcha=TestCaptchaVerifier())
    claims = claims_bootstrap(ClaimsSettings(**{**service_env, "db_schema": schema + "_claims"}), verifier=verifier)
    # The request engine: every portal's requests (history), the employer's termination.
    enrollment = enrollment_bootstrap(EnrollmentSettings(**{**service_env, "db_schema": schema + "_enrollment"}), verifier=verifier)
    notifications = notifications_bootstrap(
        NotificationsSettings(
            **{
                **service_env,
                "db_schema": schema + "_notifications",
                "smtp_host": mailbox.host,
                "smtp_port": mailbox.smtp_port,
                "sms_api_base_url": smsbox.base_url,
                "twilio_account_sid": smsbox.account_sid,
                "twilio_auth_token": smsbox.auth_token,
                "poll_interval": 0.1,
            }
        )
    )
    # The portals call the gateway from loopback with the browser's address: the gateway believes them.
    gateway_settings = GatewaySettings(**{**service_env, "default_tenant": "mbtp", "trusted_proxies": ["127.0.0.1"]})
    gateway = gateway_bootstrap(
        gateway_settings,
        transports={
            name: httpx.ASGITransport(s.app)
            for name, s in (("identity", identity), ("portfolio", portfolio), ("claims", claims), ("enrollment", enrollment))
        },
    )
    async with contextlib.AsyncExitStack() as stack:
        for service in (portfolio, claims, enrollment, identity, notifications, gateway):
            await stack.enter_async_context(service.running())
        gateway_url = await stack.enter_async_context(served(gateway_settings, gateway.app))
        portals_settings = PortalsSettings(
            **{**service_env, "db_schema": schema + "_portals", "gateway_url": gateway_url, "captcha_mode": "test"}
        )
        portals = portals_bootstrap(portals_settings)
        await stack.enter_async_context(portals.running())
        url = await stack.enter_async_context(served_on(port, portals_settings, portals.app))
        yield Stack(url, mailbox, smsbox, identity, portfolio, kafka_producer, topic_prefix, identity_settings, portals, claims, enrollment)
    load_registry.cache_clear()
    conn = await asyncpg.connect(infra.database_url)
    try:
        for suffix in ("", "_identity", "_claims", "_enrollment", "_notifications", "_portals"):
            await conn.execute(f"DROP SCHEMA IF EXISTS {schema}{suffix} CASCADE")
    finally:
        await conn.close()


@pytest.fixture(scope="session")
async def browser():
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        # French date fields, and the browser's own texts in French (a file field's « Choisir un fichier »): on Linux
        # chromium takes its language from LANGUAGE (its translations: Debian's chromium-l10n, installed by setup.sh).
        chromium = await playwright.chromium.launch(executable_path=CHROMIUM, args=["--lang=fr-FR"], env={**os.environ, "LANGUAGE": "fr"})
        yield chromium
        await chromium.close()


@pytest.fixture(params=list(WIDTHS))
def device(request) -> str:
    return request.param


@pytest.fixture
async def page(browser, device):
    width, height = WIDTHS[device]
    context = await browser.new_context(viewport={"width": width, "height": height}, locale="fr-FR", timezone_id="Europe/Paris")
    page = await context.new_page()
    yield page
    await context.close()


class Checker:
    """Every page a scenario reaches: a screenshot under .stack/screenshots/, and axe-core's audit
    (WCAG 2.1 A and AA rules): no serious or critical violation."""

    def __init__(self, page, scenario: str, device: str) -> None:
        self.page, self.scenario, self.device = page, scenario, device
        self.count = 0

    async def __call__(self, name: str) -> None:
        self.count += 1
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        await self.page.screenshot(path=str(SCREENSHOTS / f"{self.scenario}-{self.device}-{self.count:02d}-{name}.png"), full_page=True)
        if not await self.page.evaluate("typeof window.axe !== 'undefined'"):
            await self.page.evaluate(AXE.read_text(encoding="utf-8"))
        results = await self.page.evaluate(
            "async () => await axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']}})"
        )
        serious = [
            {"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"]][:5]}
            for v in results["violations"]
            if v["impact"] in ("serious", "critical")
        ]
        assert not serious, f"{name} ({self.device}): {json.dumps(serious, ensure_ascii=False)}"


@pytest.fixture
def without_javascript(browser, page):
    """`async with without_javascript() as plain:` a page of the same session (cookies) and size with JavaScript off:
    what the portals offer to a browser that runs no script."""

    @contextlib.asynccontextmanager
    async def opened():
        context = await browser.new_context(
            viewport=page.viewport_size, java_script_enabled=False, storage_state=await page.context.storage_state()
        )
        try:
            yield await context.new_page()
        finally:
            await context.close()

    return opened


@pytest.fixture
def check(page, device, request):
    return Checker(page, request.node.originalname.removeprefix("test_"), device)


@pytest.fixture
async def portals_alone(infra, service_env):
    """The portals without a gateway behind them (the address answers nothing): what a portal shows on
    its own, and what it says when the gateway cannot be reached."""
    settings = PortalsSettings(
        **{**service_env, "db_schema": service_env["db_schema"] + "_portals", "gateway_url": f"http://127.0.0.1:{free_port()}"}
    )
    portals = portals_bootstrap(settings.model_copy(update={"captcha_mode": "test"}))
    async with portals.running(), served(settings, portals.app) as url:
        yield url
    conn = await asyncpg.connect(infra.database_url)
    try:
        await conn.execute(f"DROP SCHEMA IF EXISTS {settings.db_schema} CASCADE")
    finally:
        await conn.close()


@pytest.fixture
def legacy_system(infra, service_env):
    """The simulated legacy system deciding this test's requests while a block runs (`legacy_simulator.decisions.deciding`
    on this test's topics): `async with legacy_system("accept"):`, or with rules such as "GuaranteeChangeRequested=advisor"."""
    return functools.partial(deciding, bootstrap=infra.kafka_bootstrap, topic_prefix=service_env["topic_prefix"])
