"""The identity routes as the portals reach them, through the gateway: who may call what."""

from __future__ import annotations

import pytest

PASSWORD = "Courtier-Test-2026"
PROTECTED = [
    ("GET", "/api/me"),
    ("POST", "/api/me/password"),
    ("PUT", "/api/me/contact"),
    ("PUT", "/api/me/notification-email"),
    ("DELETE", "/api/me"),
    ("GET", "/api/me/correspondents"),
    ("POST", "/api/me/correspondents"),
    ("POST", "/api/auth/logout"),
    ("GET", "/api/auth/terms"),
    ("POST", "/api/auth/terms/accept"),
    ("POST", "/api/auth/terms/refuse"),
]


@pytest.mark.parametrize(("method", "path"), PROTECTED)
async def test_anonymous_callers_get_401_on_every_protected_identity_route(platform, method, path):
    response = await platform.gateway.request(method, path, json={})
    assert response.status_code == 401, response.text
    assert response.headers["content-type"] == "application/problem+json"


async def test_a_broker_sees_their_own_profile_and_no_correspondents(platform):
    await platform.create_broker_login("M40001", PASSWORD)
    await platform.create_broker_login("M40002", PASSWORD)
    token = await platform.login("M40001", PASSWORD)
    auth = {"authorization": f"Bearer {token}"}
    me = await platform.gateway.get("/api/me", headers=auth)
    assert me.status_code == 200 and me.json()["identifier"] == "M40001"
    assert (await platform.gateway.get("/api/me/correspondents", headers=auth)).status_code == 403
    created = await platform.gateway.post(
        "/api/me/correspondents",
        headers=auth,
        json={"identifier": "intrus", "last_name": "X", "first_name": "Y", "email": "x@y.fr", "contracts": ["M1000304"]},
    )
    assert created.status_code == 403
    assert (await platform.gateway.post("/api/auth/logout", headers=auth)).status_code == 204


async def test_login_attempts_from_one_address_are_throttled(platform):
    await platform.create_broker_login("M40003", PASSWORD)
    answers = [
        await platform.gateway.post("/api/auth/login", json={"portal": "broker", "identifier": f"M4{i:04d}", "password": "x"})
        for i in range(31)
    ]
    assert [a.status_code for a in answers[:30]] == [401] * 30
    assert answers[30].status_code == 429
    blocked = await platform.gateway.post("/api/auth/login", json={"portal": "broker", "identifier": "M40003", "password": PASSWORD})
    assert blocked.status_code == 429  # even the right password, from that address, for a while
