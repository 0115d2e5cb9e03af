"""The invited employee reads back the supporting documents joined through the online enrollment link (issue 11):
through the gateway, with the link's token in its header as the rest of the link's routes, the employee lists the
files of the affiliation the link opens and downloads each, served with the type its bytes were checked as (a PNG
the browser typed as anything comes back as a PNG). Another invitation's link, a link whose month is over, a guessed file
id, no link or a correspondent's login: nothing."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from .test_codes_arrive import notifications  # noqa: F401 - the notifications service, sending to the mailbox
from .test_enrollment_online import company, invite_marc_and_ines  # noqa: F401 - company: the correspondent's fixture

PDF = b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8
FILES = "/api/online-enrollment/attachments"


def upload(name: str, data: bytes, content_type: str) -> dict:
    return {"files": {"file": (name, data, content_type)}}


@pytest.mark.usefixtures("notifications")
async def test_the_employee_lists_and_downloads_only_the_files_of_its_own_link(platform, mailbox, company):  # noqa: F811
    gateway = platform.gateway
    marc, ines = await invite_marc_and_ines(platform, mailbox, company)

    assert (await gateway.get(FILES, headers=marc)).status_code == 409  # the link not opened yet: no affiliation
    for link in (marc, ines):
        opened = await gateway.get("/api/online-enrollment", headers=link)
        assert opened.status_code == 200 and opened.json()["category"] == "NON CADRES"  # the contract's, as invited
    assert (await gateway.get(FILES, headers=marc)).json() == {"items": []}

    assert (await gateway.post(FILES, **upload("attestation sécu.pdf", PDF, "application/pdf"), headers=marc)).status_code == 201
    # A scan the browser typed as anything: checked by its bytes, it is a PNG, and comes back as one.
    assert (await gateway.post(FILES, **upload("rib.png", PNG, "application/octet-stream"), headers=marc)).status_code == 201

    listed = await gateway.get(FILES, headers=marc)
    assert listed.status_code == 200, listed.text
    items = listed.json()["items"]
    assert [(i["name"], i["media_type"], i["size"]) for i in items] == [
        ("attestation sécu.pdf", "application/pdf", len(PDF)),
        ("rib.png", "image/png", len(PNG)),
    ]
    for item, data in zip(items, (PDF, PNG), strict=True):
        got = await gateway.get(f"{FILES}/{item['file_id']}", headers=marc)
        assert got.status_code == 200, got.text
        assert got.content == data and got.headers["content-type"] == item["media_type"]
        assert "attachment" in got.headers["content-disposition"]
    pdf_id, png_id = (i["file_id"] for i in items)

    # Inès's link lists nothing of Marc's and downloads none of his files; a guessed id is no file either.
    assert (await gateway.get(FILES, headers=ines)).json() == {"items": []}
    for file_id in (pdf_id, png_id):
        refused = await gateway.get(f"{FILES}/{file_id}", headers=ines)
        assert refused.status_code == 404 and PDF not in refused.content and PNG not in refused.content
    assert (await gateway.get(f"{FILES}/{uuid.uuid4()}", headers=marc)).status_code == 404
    assert (await gateway.get(f"{FILES}/not-an-id", headers=marc)).status_code == 422
    # No link, a link of no invitation, a correspondent's login: nothing.
    assert (await gateway.get(f"{FILES}/{pdf_id}")).status_code == 422
    assert (await gateway.get(f"{FILES}/{pdf_id}", headers={"X-Invitation-Token": "x" * 43})).status_code == 404
    assert (await gateway.get(f"{FILES}/{pdf_id}", headers=company)).status_code == 422
    assert (await gateway.get(FILES, headers=company)).status_code == 422

    # Marc's month is over: his link lists and serves nothing any more (and says so).
    await platform.enrollment.pool.execute(
        "UPDATE invitations SET expires_at = $1 WHERE email = 'marc.petit@example.org'", datetime.now(UTC) - timedelta(minutes=1)
    )
    gone = await gateway.get(f"{FILES}/{pdf_id}", headers=marc)
    assert gone.status_code == 404 and "plus valable" in gone.json()["detail"]
    assert (await gateway.get(FILES, headers=marc)).status_code == 404
    # The company still reads its employee's file on the affiliation.
    rid = (await gateway.get("/api/employer/invitations", headers=company)).json()["items"][0]["request_id"]
    kept = await gateway.get(f"/api/employer/requests/{rid}/attachments/{png_id}", headers=company)
    assert kept.status_code == 200 and kept.content == PNG and kept.headers["content-type"] == "image/png"
