"""What the portals' tests share: a page's CSRF token, and a client logged in on a portal in front of a fake
gateway (`portals/tests/conftest.py`'s `portals_behind`)."""

from __future__ import annotations

import contextlib

import httpx

PASSWORD = "Bon-mot-de-passe-1!"


# A fake gateway's answer to /api/me for the demo broker M12345.
BROKER_ACCOUNT = {
    "identifier": "M12345",
    "kind": "broker",
    "tenant": "mbtp",
    "email": "claire.martin@cabinet-martin.fr",
    "phone": None,
    "display_name": "Claire Martin",
    "mail_preference": None,
    "notification_email": None,
    "last_login_at": None,
    "activated_at": None,
}


def tokens_answer() -> httpx.Response:
    """A fake gateway's answer to /api/auth/login: the tokens of a session whose terms of use are accepted."""
    return httpx.Response(200, json={"access_token": "access-1", "refresh_token": "refresh-1", "expires_in": 600, "terms_pending": False})


def csrf_of(page: httpx.Response) -> str:
    """The CSRF token a page's forms carry."""
    return page.text.split('name="csrf" value="')[1].split('"')[0]


@contextlib.asynccontextmanager
async def logged_in(service, base: str, identifier: str):
    """A browser-like client of the portals `service`, logged in on the portal at `base` (a fake gateway accepts)."""
    async with httpx.AsyncClient(transport=httpx.ASGITransport(service.app), base_url="http://portail") as client:
        csrf = csrf_of(await client.get(base + "/connexion"))
        answer = await client.post(base + "/connexion", data={"csrf": csrf, "identifier": identifier, "password": PASSWORD})
        assert answer.status_code == 303 and answer.headers["location"] == base + "/accueil"
        yield client
