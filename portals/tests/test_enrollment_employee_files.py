"""The invited employee's supporting documents read back in the employer portal, in front of a fake gateway: the
page lists each file as a link, and the link streams the gateway's file with the invitation's token (kept in the
portal's session, never in an address) sent on the server; a file the gateway does not find is a 404 page."""

from __future__ import annotations

import uuid

import httpx
import pytest

BASE = "/mbtp/entreprise"
TOKEN = "T" * 43
FILE_ID = str(uuid.uuid4())
PNG = b"\x89PNG\r\n\x1a\n" + b"x" * 70_000  # larger than one chunk
ATTACHED = {
    "file_id": FILE_ID,
    "name": "rib scanné.png",
    "media_type": "image/png",
    "size": len(PNG),
    "sha256": "0" * 64,
    "uploaded_at": "2026-12-01T10:00:00+00:00",
}


def _view() -> dict:
    request = {
        "id": str(uuid.uuid4()),
        "kind": "affiliation",
        "kind_label": "Affiliation d'un salarié",
        "status": "draft",
        "status_label": "Brouillon",
        "subject": "PETIT Marc",
        "contract_number": "W1-000123",
        "submitted_at": None,
        "decided_at": None,
        "refusal_reason": None,
        "awaiting_advisor": False,
        "portal": "employer",
        "reference": "12345678",
        "created_at": "2026-12-01T09:00:00+00:00",
        "sent_at": None,
        "payload": {},
        "attachments": [ATTACHED],
        "window": {"earliest": "2026-11-01", "latest": "2027-03-01"},
        "missing_steps": [],
        "history": [],
    }
    form = {"kind": "affiliation", "label": "Affiliation", "window": request["window"], "choices": {}}
    return {
        "company_name": "BTP Rhône Construction SAS",
        "contract_number": "W1-000123",
        "civility": "M",
        "last_name": "Petit",
        "first_name": "Marc",
        "email": "marc.petit@example.org",
        "expires_at": "2026-12-31T10:00:00+00:00",
        "form": form,
        "request": request,
    }


class FakeGateway:
    def __init__(self) -> None:
        self.calls: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.calls.append(request)
        if request.headers.get("x-invitation-token") != TOKEN:
            return httpx.Response(404, json={"status": 404, "detail": "Lien inconnu."})
        path = request.url.path
        if path == "/api/online-enrollment":
            return httpx.Response(200, json=_view())
        if path == f"/api/online-enrollment/attachments/{FILE_ID}":
            headers = {"content-type": "image/png", "content-disposition": "attachment; filename*=UTF-8''rib%20scann%C3%A9.png"}
            return httpx.Response(200, content=PNG, headers=headers)
        if path.startswith("/api/online-enrollment/attachments/"):
            return httpx.Response(404, json={"status": 404, "detail": "Pièce jointe introuvable."})
        return httpx.Response(404, json={"status": 404})


@pytest.fixture
async def portal(portals_behind):
    gateway = FakeGateway()
    return await portals_behind(gateway), gateway


async def test_the_employee_downloads_its_own_file_through_the_link_kept_in_the_session(portal):
    service, gateway = portal
    async with httpx.AsyncClient(transport=httpx.ASGITransport(service.app), base_url="http://portail") as browser:
        # Before the link is opened, the file is nobody's business.
        before = await browser.get(f"{BASE}/affiliation-en-ligne/pieces/{FILE_ID}")
        assert before.status_code == 404 and not any("attachments" in c.url.path for c in gateway.calls)

        assert (await browser.get(f"{BASE}/affiliation-en-ligne", params={"token": TOKEN})).status_code == 200
        page = await browser.get(f"{BASE}/affiliation-en-ligne/pieces")
        assert page.status_code == 200
        assert f'href="{BASE}/affiliation-en-ligne/pieces/{FILE_ID}"' in page.text and "rib scanné.png" in page.text

        got = await browser.get(f"{BASE}/affiliation-en-ligne/pieces/{FILE_ID}")
        assert got.status_code == 200 and got.content == PNG
        assert got.headers["content-type"] == "image/png" and got.headers["cache-control"] == "no-store"
        assert "rib%20scann%C3%A9.png" in got.headers["content-disposition"]
        sent = [c for c in gateway.calls if c.url.path.endswith(FILE_ID)][-1]
        assert sent.headers["x-invitation-token"] == TOKEN and TOKEN not in str(sent.url)

        missing = await browser.get(f"{BASE}/affiliation-en-ligne/pieces/{uuid.uuid4()}")
        assert missing.status_code == 404 and PNG[:8] not in missing.content
