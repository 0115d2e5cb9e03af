"""The legacy system fetches a broker's Kbis by the reference its address change carries (issue 11): a broker sends an
address change with a Kbis through the gateway; the simulated legacy system reads BrokerAddressChangeRequested on
portal.requests, fetches the Kbis from portfolio's internal route with its back office's credential, checks its size,
type and SHA-256 against the event, then accepts. A Kbis whose bytes are no longer those its reference describes gets the
request refused with a reason the broker reads in « Mes demandes ». The route serves nobody else: no credential, the
gateway's credential (which acts for the portals' users), another tenant, a guessed reference."""

from __future__ import annotations

import hashlib
import uuid

import httpx
import pytest

from extranet_plumbing.storage import LocalFolderStore
from extranet_plumbing.testing import GATEWAY_HEADERS, OPERATOR_CREDENTIAL, OPERATOR_HEADERS, wait_until
from legacy_simulator.request_files import KBIS_UNREADABLE, RequestFiles

from .test_broker_profile import MINE, PDF, THEIRS, brokers, send  # noqa: F401 - brokers: two offices on Kafka, each logged in

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4


@pytest.fixture
async def kbis_files(platform):
    """What the legacy system fetches files through: enrollment's and portfolio's apps, with the back office's credential."""
    files = RequestFiles.over(
        "http://enrollment",
        OPERATOR_CREDENTIAL,
        transport=httpx.ASGITransport(platform.enrollment.app),
        portfolio_url="http://portfolio",
        portfolio_transport=httpx.ASGITransport(platform.portfolio.app),
        pause=0.1,
    )
    yield files
    await files.aclose()


async def _decided(platform, auth: dict, rid: str) -> dict | None:
    response = await platform.gateway.get(f"/api/broker/requests/{rid}", headers=auth)
    request = response.json() if response.status_code == 200 else {}
    return request if request.get("status") in ("accepted", "refused") else None


async def _file_id(platform, rid: str) -> str:
    return str(await platform.portfolio.pool.fetchval("SELECT document_file_id FROM broker_requests WHERE id = $1", uuid.UUID(rid)))


async def test_the_legacy_system_fetches_and_checks_the_kbis_of_an_address_change(platform, brokers, legacy_system, kbis_files):  # noqa: F811
    sent = await send(platform, brokers[MINE], "kbis.pdf", PDF)
    assert sent.status_code == 202, sent.text
    rid = sent.json()["request_id"]
    async with legacy_system("accept", files=kbis_files):
        decided = await wait_until(lambda: _decided(platform, brokers[MINE], rid), timeout=30)
    assert decided["status"] == "accepted", decided
    # What the legacy system received: the Kbis the broker sent, byte for byte.
    [got] = kbis_files.received[rid]
    assert (got.file_id, got.matches, got.size, got.sha256) == (
        await _file_id(platform, rid),
        True,
        len(PDF),
        hashlib.sha256(PDF).hexdigest(),
    )

    # A Kbis changed in the store after the request was published: its reference no longer describes it, refused.
    tampered = await send(platform, brokers[THEIRS], "kbis.png", PNG, "image/png")
    assert tampered.status_code == 202, tampered.text
    other = tampered.json()["request_id"]
    store = LocalFolderStore(platform.portfolio.settings.documents_dir)
    store.path(platform.tenant, await _file_id(platform, other)).write_bytes(PNG[:-1] + b"\x00")
    async with legacy_system("accept", files=kbis_files):
        refused = await wait_until(lambda: _decided(platform, brokers[THEIRS], other), timeout=30)
    assert (refused["status"], refused["refusal_reason"]) == ("refused", KBIS_UNREADABLE)
    assert [r.matches for r in kbis_files.received[other]] == [False]


async def test_a_kbis_is_served_to_the_legacy_systems_credential_alone(platform, brokers):  # noqa: F811
    sent = await send(platform, brokers[MINE], "kbis.png", PNG, "image/png")
    assert sent.status_code == 202, sent.text
    file_id = await _file_id(platform, sent.json()["request_id"])
    path = f"/internal/legacy/{platform.tenant}/files/{file_id}"
    async with httpx.AsyncClient(transport=httpx.ASGITransport(platform.portfolio.app), base_url="http://portfolio") as portfolio:
        got = await portfolio.get(path, headers=OPERATOR_HEADERS)
        assert got.status_code == 200 and got.content == PNG and got.headers["content-type"] == "image/png"

        assert (await portfolio.get(path)).status_code == 401
        assert (await portfolio.get(path, headers={"X-Service-Credential": "guess"})).status_code == 401
        assert (await portfolio.get(path, headers={**GATEWAY_HEADERS, **brokers[MINE]})).status_code == 403  # a user through the gateway
        assert (await portfolio.get(path.replace(platform.tenant, "marseille"), headers=OPERATOR_HEADERS)).status_code == 404
        guessed = f"/internal/legacy/{platform.tenant}/files/{uuid.uuid4()}"
        assert (await portfolio.get(guessed, headers=OPERATOR_HEADERS)).status_code == 404
    # The gateway declares no route to it: a broker cannot reach it.
    assert (await platform.gateway.get(f"/api/legacy/{platform.tenant}/files/{file_id}", headers=brokers[MINE])).status_code == 404
