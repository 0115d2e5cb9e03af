"""The legacy system fetches a request's files by the reference its event carries (issue 11): a correspondent joins a
PDF and a PNG to an affiliation through the gateway and sends it; the simulated legacy system reads the request on
portal.requests, fetches each file from enrollment's internal route with its back office's credential, checks the
bytes against the event's size and SHA-256, then accepts. A file it cannot read gets the request refused with a
reason the correspondent reads. The route serves nobody else: no credential, the gateway's credential (which acts
for the portals' users), another tenant, a draft's file, a guessed id."""

from __future__ import annotations

import hashlib
import uuid

import httpx
import pytest

from extranet_plumbing.storage import LocalFolderStore
from extranet_plumbing.testing import GATEWAY_HEADERS, OPERATOR_CREDENTIAL, OPERATOR_HEADERS, wait_until
from legacy_simulator.request_files import UNREADABLE, RequestFiles

from .test_enrollment_online import CONTRACT, company  # noqa: F401 - company: the primary correspondent, contract and guarantee
from .test_requests_affiliation import marc_steps

PDF = b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8


@pytest.fixture
async def enrollment_files(platform):
    """What the legacy system fetches files through: enrollment's app, with the back office's (operator) credential."""
    files = RequestFiles.over("http://enrollment", OPERATOR_CREDENTIAL, transport=httpx.ASGITransport(platform.enrollment.app), pause=0.1)
    yield files
    await files.aclose()


async def _affiliation(platform, auth: dict, *files: tuple[str, bytes, str]) -> str:
    """An affiliation draft of Marc, every step filled, with `files` joined: its id."""
    gateway = platform.gateway
    form = (await gateway.get("/api/employer/requests/forms/affiliation", params={"contract_number": CONTRACT}, headers=auth)).json()
    draft = await gateway.post("/api/employer/requests/affiliation", json={"contract_number": CONTRACT}, headers=auth)
    assert draft.status_code == 201, draft.text
    rid = draft.json()["id"]
    for name, body in marc_steps(form["window"]["latest"]).items():
        saved = await gateway.put(f"/api/employer/requests/{rid}/steps/{name}", json=body, headers=auth)
        assert saved.status_code == 200, (name, saved.text)
    for name, data, media_type in files:
        joined = await gateway.post(f"/api/employer/requests/{rid}/attachments", files={"file": (name, data, media_type)}, headers=auth)
        assert joined.status_code == 201, joined.text
    return rid


async def _decided(platform, auth: dict, rid: str) -> dict | None:
    request = (await platform.gateway.get(f"/api/employer/requests/{rid}", headers=auth)).json()
    return request if request["status"] in ("accepted", "refused") else None


async def test_the_legacy_system_fetches_and_checks_the_files_of_the_requests_it_decides(
    platform,
    company,  # noqa: F811
    legacy_system,
    enrollment_files,
):
    rid = await _affiliation(platform, company, ("attestation.pdf", PDF, "application/pdf"), ("rib.png", PNG, "image/png"))
    attached = (await platform.gateway.get(f"/api/employer/requests/{rid}", headers=company)).json()["attachments"]
    async with legacy_system("accept", files=enrollment_files):
        assert (await platform.gateway.post(f"/api/employer/requests/{rid}/submit", headers=company)).status_code == 200
        decided = await wait_until(lambda: _decided(platform, company, rid), timeout=30)
    assert decided["status"] == "accepted", decided
    # What the legacy system received: each file, its bytes those the event described.
    received = {r.file_id: r for r in enrollment_files.received[rid]}
    assert {a["file_id"] for a in attached} == set(received)
    for data in (PDF, PNG):
        [got] = [r for r in received.values() if r.sha256 == hashlib.sha256(data).hexdigest()]
        assert got.matches and got.size == len(data)

    # A file gone from the store before the legacy system reads the request: refused, and the correspondent reads why.
    lost = await _affiliation(platform, company, ("attestation.pdf", PDF, "application/pdf"))
    [file] = (await platform.gateway.get(f"/api/employer/requests/{lost}", headers=company)).json()["attachments"]
    assert (await platform.gateway.post(f"/api/employer/requests/{lost}/submit", headers=company)).status_code == 200
    await LocalFolderStore.from_settings(platform.enrollment.settings, "enrollment").delete(platform.tenant, uuid.UUID(file["file_id"]))
    async with legacy_system("accept", files=enrollment_files):
        refused = await wait_until(lambda: _decided(platform, company, lost), timeout=30)
    assert (refused["status"], refused["refusal_reason"]) == ("refused", UNREADABLE)
    assert [r.matches for r in enrollment_files.received[lost]] == [False]


async def test_a_requests_file_is_served_to_the_legacy_systems_credential_alone(platform, company):  # noqa: F811
    sent = await _affiliation(platform, company, ("rib.png", PNG, "image/png"))
    [file] = (await platform.gateway.get(f"/api/employer/requests/{sent}", headers=company)).json()["attachments"]
    assert (await platform.gateway.post(f"/api/employer/requests/{sent}/submit", headers=company)).status_code == 200
    draft = await _affiliation(platform, company, ("brouillon.pdf", PDF, "application/pdf"))
    [drafted] = (await platform.gateway.get(f"/api/employer/requests/{draft}", headers=company)).json()["attachments"]

    path = f"/internal/legacy/{platform.tenant}/files/{file['file_id']}"
    async with httpx.AsyncClient(transport=httpx.ASGITransport(platform.enrollment.app), base_url="http://enrollment") as enrollment:
        got = await enrollment.get(path, headers=OPERATOR_HEADERS)
        assert got.status_code == 200 and got.content == PNG and got.headers["content-type"] == "image/png"
        assert hashlib.sha256(got.content).hexdigest() == file["sha256"]

        assert (await enrollment.get(path)).status_code == 401
        assert (await enrollment.get(path, headers={"X-Service-Credential": "guess"})).status_code == 401
        assert (await enrollment.get(path, headers={**GATEWAY_HEADERS, **company})).status_code == 403  # a user through the gateway
        assert (await enrollment.get(path.replace(platform.tenant, "marseille"), headers=OPERATOR_HEADERS)).status_code == 404
        draft_path = f"/internal/legacy/{platform.tenant}/files/{drafted['file_id']}"
        assert (await enrollment.get(draft_path, headers=OPERATOR_HEADERS)).status_code == 404  # a draft is nobody's yet
        guessed = f"/internal/legacy/{platform.tenant}/files/{uuid.uuid4()}"
        assert (await enrollment.get(guessed, headers=OPERATOR_HEADERS)).status_code == 404
        assert (await enrollment.get(f"/internal/legacy/../files/{file['file_id']}", headers=OPERATOR_HEADERS)).status_code == 404
    # The gateway declares no route to it: a portal's user cannot reach it.
    assert (await platform.gateway.get(f"/api/legacy/{platform.tenant}/files/{file['file_id']}", headers=company)).status_code == 404
