"""A session ends at once everywhere: after a logout, a refused terms of use or a password change,
the access tokens of the ended sessions are refused by the gateway, identity and portfolio within
the time the revocation takes to cross Kafka (identity.sessions), not when they expire 10 minutes
later; a password change ends the other sessions and keeps the one that made it."""

from __future__ import annotations

import time

from extranet_plumbing.testing import wait_until

PASSWORD = "Courtier-Test-2026"
NEW_PASSWORD = "Baleine-Corail-26!"
# What a broker's token reaches: the gateway's own route (portfolio behind it) and identity's.
PROTECTED = ("/api/broker/dashboard", "/api/me")


def bearer(token: str) -> dict:
    return {"authorization": f"Bearer {token}"}


async def statuses(platform, token: str) -> set[int]:
    return {(await platform.gateway.get(path, headers=bearer(token))).status_code for path in PROTECTED}


async def refused_at_once(platform, token: str) -> float:
    """Seconds until every protected route answers 401 to `token` (fails beyond 2 s)."""
    started = time.monotonic()

    async def refused() -> bool:
        return await statuses(platform, token) == {401}

    await wait_until(refused, timeout=2.0, interval=0.05)
    elapsed = time.monotonic() - started
    assert elapsed < 2.0
    return elapsed


async def test_after_logout_the_same_access_token_is_refused_everywhere(platform):
    await platform.create_broker_login("M41001", PASSWORD)
    token = await platform.login("M41001", PASSWORD)
    assert await statuses(platform, token) == {200}
    assert (await platform.gateway.post("/api/auth/logout", headers=bearer(token))).status_code == 204
    await refused_at_once(platform, token)
    # Portfolio itself refuses it too, even when the gateway's credential comes with it.
    from extranet_plumbing.testing import GATEWAY_HEADERS

    direct = await platform.portfolio_client.get("/internal/brokers/M41001/dashboard", headers={**bearer(token), **GATEWAY_HEADERS})
    assert direct.status_code == 401


async def test_a_password_change_ends_the_other_sessions_and_keeps_this_one(platform):
    await platform.create_broker_login("M41002", PASSWORD)
    here = await platform.login("M41002", PASSWORD)
    elsewhere = await platform.login("M41002", PASSWORD)
    assert await statuses(platform, elsewhere) == {200}
    changed = await platform.gateway.post(
        "/api/me/password",
        headers=bearer(here),
        json={"old_password": PASSWORD, "new_password": NEW_PASSWORD, "new_password_confirmation": NEW_PASSWORD},
    )
    assert changed.status_code == 204, changed.text
    await refused_at_once(platform, elsewhere)
    assert await statuses(platform, here) == {200}
    # The ended session cannot be refreshed either; the new password opens a new one.
    assert await statuses(platform, await platform.login("M41002", NEW_PASSWORD)) == {200}


async def test_refusing_the_terms_ends_the_session_at_once(platform):
    await platform.create_broker_login("M41003", PASSWORD)
    token = await platform.login("M41003", PASSWORD, accept_terms=False)
    assert (await platform.gateway.get("/api/me", headers=bearer(token))).status_code == 200
    assert (await platform.gateway.post("/api/auth/terms/refuse", headers=bearer(token))).status_code == 204
    await refused_at_once(platform, token)


async def test_a_refresh_token_used_twice_ends_its_session_at_once(platform):
    await platform.create_broker_login("M41004", PASSWORD)
    first = await platform.gateway.post("/api/auth/login", json={"portal": "broker", "identifier": "M41004", "password": PASSWORD})
    tokens = first.json()
    renewed = await platform.gateway.post("/api/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    assert renewed.status_code == 200
    access = renewed.json()["access_token"]
    assert (await platform.gateway.get("/api/me", headers=bearer(access))).status_code == 200
    replayed = await platform.gateway.post("/api/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    assert replayed.status_code == 401
    await refused_at_once(platform, access)
