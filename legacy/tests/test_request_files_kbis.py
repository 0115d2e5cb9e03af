"""The simulated legacy system's fetch of a broker's Kbis (issue 11): asked of portfolio (never enrollment) by the
reference BrokerAddressChangeRequested carries, checked against it; other bytes get the address change refused with a
reason about the Kbis; portfolio down is retried, never a reason to refuse; without portfolio's address nothing is
fetched (as before)."""

from __future__ import annotations

import hashlib

import httpx
import pytest

from extranet_contracts.testing import broker_address_change_requested
from legacy_simulator.request_files import CREDENTIAL_HEADER, KBIS_UNREADABLE, RequestFiles

KBIS = b"%PDF-1.7\n" + b"k" * 300 + b"\n%%EOF\n"
EVENT = broker_address_change_requested(
    kbis={
        "file_id": "0e9d8c7b-6a5f-4e3d-8c2b-1a0f9e8d7c6b",
        "media_type": "application/pdf",
        "size": len(KBIS),
        "sha256": hashlib.sha256(KBIS).hexdigest(),
    }
)


def over(portfolio: list[httpx.Response], seen: list[tuple[str, httpx.Request]], **options) -> RequestFiles:
    def service(name: str, answers: list[httpx.Response]) -> httpx.MockTransport:
        def answer(request: httpx.Request) -> httpx.Response:
            seen.append((name, request))
            return answers.pop(0)

        return httpx.MockTransport(answer)

    return RequestFiles.over(
        "http://enrollment",
        "the-credential",
        transport=service("enrollment", []),
        portfolio_url="http://portfolio",
        portfolio_transport=service("portfolio", portfolio),
        pause=0,
        **options,
    )


def kbis(data: bytes = KBIS) -> httpx.Response:
    return httpx.Response(200, content=data, headers={"content-type": "application/pdf"})


async def test_the_kbis_is_fetched_from_portfolio_and_checked():
    seen: list[tuple[str, httpx.Request]] = []
    files = over([kbis()], seen)
    assert await files.refusal("mbtp", "r1", EVENT) is None
    [(service, request)] = seen
    assert (service, request.url.path, request.headers[CREDENTIAL_HEADER]) == (
        "portfolio",
        f"/internal/legacy/mbtp/files/{EVENT.kbis.file_id}",
        "the-credential",
    )
    assert [r.matches for r in files.received["r1"]] == [True]


@pytest.mark.parametrize("answer", [kbis(KBIS + b"x"), httpx.Response(404, json={"status": 404})], ids=["other bytes", "not found"])
async def test_a_kbis_that_is_not_the_one_described_gets_the_address_change_refused(answer):
    files = over([answer], [])
    assert await files.refusal("mbtp", "r1", EVENT) == KBIS_UNREADABLE


async def test_portfolio_down_is_retried_and_never_a_refusal():
    seen: list[tuple[str, httpx.Request]] = []
    assert await over([httpx.Response(503), httpx.Response(502), kbis()], seen).refusal("mbtp", "r1", EVENT) is None
    assert [service for service, _ in seen] == ["portfolio"] * 3
    with pytest.raises(RuntimeError, match="portfolio did not serve"):
        await over([httpx.Response(503), httpx.Response(503)], [], attempts=2).refusal("mbtp", "r2", EVENT)


async def test_without_portfolios_address_the_kbis_is_not_fetched():
    files = RequestFiles.over("http://enrollment", "c", transport=httpx.MockTransport(lambda _: httpx.Response(500)))
    assert await files.refusal("mbtp", "r1", EVENT) is None and files.received == {}
