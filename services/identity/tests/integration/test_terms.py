"""Terms of use per tenant and version: acceptance stored, refusal closes access, a new version asks again."""

from __future__ import annotations

import contextlib

import httpx

from extranet_plumbing.auth import TokenVerifier
from extranet_plumbing.tenants import DEFAULT_FILE
from identity.adapters.captcha import TestCaptchaVerifier
from identity.adapters.security import hash_password
from identity.bootstrap import bootstrap
from identity.settings import IdentitySettings

PASSWORD = "Courtier-Neuf-2026"


async def broker_with_password(identity, code: str = "M54321") -> None:
    async with identity.service.unit_of_work() as uow:
        account = await uow.accounts.add(tenant="mbtp", kind="broker", identifier=code, scope={"broker_code": code})
        await uow.accounts.update(account, password_hash=await hash_password(PASSWORD), status="active")
        await uow.commit()


async def login(client: httpx.AsyncClient, headers: dict) -> dict:
    answer = await client.post(
        "/public/auth/login", json={"portal": "broker", "identifier": "M54321", "password": PASSWORD}, headers=headers
    )
    assert answer.status_code == 200, answer.text
    return answer.json()


async def test_acceptance_is_stored_per_version_and_a_new_version_asks_again(identity, service_env, jwt_keys, tmp_path):
    await broker_with_password(identity)
    first = await login(identity.client, identity.headers())
    assert first["terms_pending"] is True
    auth = identity.headers(token=first["access_token"])
    terms = (await identity.client.get("/public/auth/terms", headers=auth)).json()
    assert terms["accepted"] is False and terms["health_data_consent_required"] is False
    stale = await identity.post("/public/auth/terms/accept", {"version": "2019-01"}, token=first["access_token"])
    assert stale.status_code == 409
    accepted = await identity.post("/public/auth/terms/accept", {"version": terms["version"]}, token=first["access_token"])
    assert accepted.json()["terms_pending"] is False
    stored = await identity.service.pool.fetchrow("SELECT version, accepted_at, health_data_consent FROM terms_acceptances")
    assert stored["version"] == terms["version"] and stored["accepted_at"] is not None

    # The tenant publishes a new version: the same identity service, configured with it.
    tenants = DEFAULT_FILE.read_text()
    newer = tmp_path / "tenants.toml"
    newer.write_text(tenants.replace(f'terms_version = "{terms["version"]}"', 'terms_version = "2099-01"', 1))
    settings = IdentitySettings(
        **{
            **service_env,
            "jwt_private_key_file": jwt_keys.private_file,
            "tenants_file": newer,
            "topic_prefix": service_env["topic_prefix"] + "v2.",
        }
    )
    service = bootstrap(settings, verifier=TokenVerifier(jwt_keys.public_pem), captcha=TestCaptchaVerifier())
    async with contextlib.AsyncExitStack() as stack:
        await stack.enter_async_context(service.running())
        client = await stack.enter_async_context(httpx.AsyncClient(transport=httpx.ASGITransport(service.app), base_url="http://identity"))
        again = await login(client, identity.headers())
        assert again["terms_pending"] is True
        refused = await client.post("/public/auth/terms/refuse", headers=identity.headers(token=again["access_token"]))
        assert refused.status_code == 204
        # Refusing ends the session: no new tokens from its refresh token.
        assert (await client.post("/public/auth/refresh", json={"refresh_token": again["refresh_token"]})).status_code == 401


async def test_identifier_help_is_the_tenants_text(identity):
    broker = (await identity.client.get("/public/auth/identifier-help?portal=broker", headers=identity.headers())).json()
    assert "M suivi de 5 chiffres" in broker["text"] and "bordereaux de commissions" in broker["text"]
    member = (await identity.client.get("/public/auth/identifier-help?portal=member", headers=identity.headers(tenant="solimut"))).json()
    assert "4 chiffres" in member["text"]
