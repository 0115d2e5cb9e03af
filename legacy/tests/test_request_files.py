"""The simulated legacy system's fetch of a request's files (issue 11), against a fake enrollment: a file whose bytes
are those the event describes passes; other bytes, another type or a file not found get the request refused; a
failing service is retried, never a reason to refuse; a refused credential stops the decider."""

from __future__ import annotations

import hashlib
import uuid

import httpx
import pytest

from extranet_contracts.testing import affiliation_requested
from legacy_simulator.request_files import CREDENTIAL_HEADER, UNREADABLE, RequestFiles, references

PDF = b"%PDF-1.7\n" + b"x" * 200 + b"\n%%EOF\n"


def reference(data: bytes = PDF, media_type: str = "application/pdf") -> dict:
    return {"file_id": str(uuid.uuid4()), "media_type": media_type, "size": len(data), "sha256": hashlib.sha256(data).hexdigest()}


def files_over(answers: list[httpx.Response], seen: list[httpx.Request]) -> RequestFiles:
    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return answers.pop(0)

    return RequestFiles.over("http://enrollment", "the-credential", transport=httpx.MockTransport(answer), pause=0)


def pdf(data: bytes = PDF, media_type: str = "application/pdf") -> httpx.Response:
    return httpx.Response(200, content=data, headers={"content-type": media_type})


async def test_the_files_of_a_request_are_fetched_with_the_credential_and_checked():
    event = affiliation_requested(attachments=[reference()])
    seen: list[httpx.Request] = []
    files = files_over([pdf()], seen)
    assert await files.refusal("mbtp", "r1", event) is None
    [got] = files.received["r1"]
    assert got.matches and got.size == len(PDF)
    assert seen[0].url.path == f"/internal/legacy/mbtp/files/{event.attachments[0].file_id}"
    assert seen[0].headers[CREDENTIAL_HEADER] == "the-credential"


@pytest.mark.parametrize(
    "answer",
    [pdf(PDF + b"changed"), pdf(media_type="image/png"), httpx.Response(404, json={"status": 404})],
    ids=["other bytes", "other type", "not found"],
)
async def test_a_file_that_is_not_the_one_described_gets_the_request_refused(answer):
    files = files_over([answer], [])
    assert await files.refusal("mbtp", "r1", affiliation_requested(attachments=[reference()])) == UNREADABLE
    assert [r.matches for r in files.received["r1"]] == [False]


async def test_a_failing_service_is_retried_and_a_refused_credential_stops():
    files = files_over([httpx.Response(503), pdf()], [])
    assert await files.refusal("mbtp", "r1", affiliation_requested(attachments=[reference()])) is None
    with pytest.raises(RuntimeError, match="credential"):
        await files_over([httpx.Response(403)], []).refusal("mbtp", "r2", affiliation_requested(attachments=[reference()]))
    stubborn = RequestFiles.over(
        "http://enrollment", "c", transport=httpx.MockTransport(lambda _: httpx.Response(503)), attempts=2, pause=0
    )
    with pytest.raises(RuntimeError, match="did not serve"):
        await stubborn.refusal("mbtp", "r3", affiliation_requested(attachments=[reference()]))


async def test_a_request_without_files_asks_nothing():
    seen: list[httpx.Request] = []
    event = affiliation_requested(attachments=[])
    assert references(event) == [] and await files_over([], seen).refusal("mbtp", "r1", event) is None and seen == []
