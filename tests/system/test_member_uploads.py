"""A member's files for « Écrivez-nous » end to end (issue 11): through the gateway a member uploads a file
(multipart, checked by its bytes, 4 MB at most) and names it in a message; the message takes only the
household's uploads, each once; the request's event on portal.requests carries the references (never the
bytes); the member and an operator download the file, another household finds nothing. An upload no message
took for a day is forgotten. And the employee invited to enrol online joins supporting documents to the
affiliation its link opens, with the same checks, and nothing to another invitation's."""

from __future__ import annotations

import hashlib
import uuid

import pytest

from extranet_contracts.requests import PORTAL_REQUESTS
from extranet_plumbing.testing import read_topic

from .test_codes_arrive import notifications  # noqa: F401 - the notifications service, sending to the mailbox
from .test_enrollment_online import company, invite_marc_and_ines  # noqa: F401 - company: the correspondent's fixture
from .test_requests import log_in

SOLO, OTHER = "73000077", "73000088"
PDF = b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8
UPLOADS, MESSAGE = "/api/member/uploads", "/api/member/requests/message"
TEXT = {"subject": "AUTRE", "message": "Voici la facture de mon opticien.", "reply_email": "solo@example.org"}


def upload(name: str, data: bytes, content_type: str = "application/pdf") -> dict:
    return {"files": {"file": (name, data, content_type)}}


async def test_a_member_joins_its_own_uploads_to_a_message_once(platform, infra, service_env):
    gateway = platform.gateway
    member = await log_in(platform, "member", "member", SOLO, {"member_number": SOLO})
    other = await log_in(platform, "member", "member", OTHER, {"member_number": OTHER})
    operator = await log_in(platform, "backoffice", "operator", "j.conseil", {"operator": True})
    correspondent = await log_in(
        platform, "employer", "correspondent", "C12345678", {"company_code": "12345678", "contracts": "all", "primary": True}
    )

    # Wrong bytes, a name that lies, too big (read, then refused before it is read): refused naming the field.
    fake = await gateway.post(UPLOADS, **upload("facture.pdf", b"<html>pas un PDF</html>"), headers=member)
    assert fake.status_code == 422, fake.text
    assert fake.json()["errors"] == [{"field": "file", "in": "body", "message": "Le fichier doit être un fichier PDF, PNG ou JPEG."}]
    renamed = await gateway.post(UPLOADS, **upload("facture.png", PDF, "image/png"), headers=member)
    assert renamed.status_code == 422 and "un fichier PDF se termine par .pdf" in renamed.json()["errors"][0]["message"]
    just_over = await gateway.post(UPLOADS, **upload("gros.pdf", PDF + b"\x00" * (4 * 1024 * 1024)), headers=member)
    assert just_over.status_code == 422 and just_over.json()["errors"][0]["message"] == "Le fichier dépasse 4 Mo."
    far_over = await gateway.post(UPLOADS, **upload("enorme.pdf", PDF + b"\x00" * (5 * 1024 * 1024)), headers=member)
    assert far_over.status_code == 413 and far_over.json()["errors"][0]["field"] == "file"
    assert (await gateway.post(UPLOADS, json={"file": "x"}, headers=member)).status_code == 415
    # Only members upload.
    assert (await gateway.post(UPLOADS, **upload("facture.pdf", PDF))).status_code == 401
    assert (await gateway.post(UPLOADS, **upload("facture.pdf", PDF), headers=correspondent)).status_code == 403
    assert (await gateway.post(UPLOADS, **upload("facture.pdf", PDF), headers=operator)).status_code == 403

    # Two files uploaded (the PNG announced as something else: its bytes tell).
    sent = await gateway.post(UPLOADS, **upload("facture opticien.pdf", PDF), headers=member)
    assert sent.status_code == 201, sent.text
    pdf = sent.json()
    assert (pdf["name"], pdf["size"], pdf["media_type"], pdf["sha256"]) == (
        "facture opticien.pdf",
        len(PDF),
        "application/pdf",
        hashlib.sha256(PDF).hexdigest(),
    )
    png = (await gateway.post(UPLOADS, **upload("ordonnance.png", PNG, "application/octet-stream"), headers=member)).json()
    assert png["media_type"] == "image/png"
    theirs = (await gateway.post(UPLOADS, **upload("a-eux.pdf", PDF), headers=other)).json()

    # Another household's file, one that was never uploaded, the same file twice: refused, naming the field.
    async def refused(attachments: list[str]) -> dict:
        answer = await gateway.post(MESSAGE, json={**TEXT, "attachments": attachments}, headers=member)
        assert answer.status_code == 422, answer.text
        [error] = answer.json()["errors"]
        return error

    error = await refused([pdf["file_id"], theirs["file_id"]])
    assert error["field"] == "attachments.1" and "n'est pas l'un de ceux que vous avez envoyés" in error["message"]
    assert (await refused([str(uuid.uuid4())]))["field"] == "attachments.0"
    error = await refused([pdf["file_id"], pdf["file_id"]])
    assert error["field"] == "attachments.1" and "déjà joint" in error["message"]
    assert (await refused(["pas-un-identifiant"]))["field"] == "attachments.0"

    # The message takes both; the files are the request's, listed with their names.
    written = await gateway.post(MESSAGE, json={**TEXT, "attachments": [pdf["file_id"], png["file_id"]]}, headers=member)
    assert written.status_code == 201, written.text
    rid = written.json()["id"]
    assert [(a["file_id"], a["name"], a["media_type"]) for a in written.json()["attachments"]] == [
        (pdf["file_id"], "facture opticien.pdf", "application/pdf"),
        (png["file_id"], "ordonnance.png", "image/png"),
    ]
    # A reference used twice: a second message cannot take it.
    again = await gateway.post(MESSAGE, json={**TEXT, "attachments": [png["file_id"]]}, headers=member)
    assert again.status_code == 422 and again.json()["errors"][0]["field"] == "attachments.0"
    assert "déjà joint" in again.json()["errors"][0]["message"]

    # The event names the files by reference (their digests), never their bytes.
    [record] = [
        r
        for r in await read_topic(infra.kafka_bootstrap, service_env["topic_prefix"] + PORTAL_REQUESTS, expected=1)
        if rid.encode() in r.value
    ]
    assert b'"type":"MessageSent"' in record.value or b"MessageSent" in b"".join(v for _, v in record.headers)
    for file in (pdf, png):
        assert f'"file_id":"{file["file_id"]}"'.encode() in record.value and file["sha256"].encode() in record.value
    assert PDF not in record.value and PNG not in record.value

    # The member and an operator download them with the type they were checked as; another household finds nothing.
    own = await gateway.get(f"/api/member/requests/{rid}/attachments/{png['file_id']}", headers=member)
    assert own.status_code == 200 and own.content == PNG and own.headers["content-type"] == "image/png"
    by_operator = await gateway.get(f"/api/backoffice/requests/{rid}/attachments/{pdf['file_id']}", headers=operator)
    assert by_operator.status_code == 200 and by_operator.content == PDF and by_operator.headers["content-type"] == "application/pdf"
    assert (await gateway.get(f"/api/member/requests/{rid}/attachments/{pdf['file_id']}", headers=other)).status_code == 404
    assert (await gateway.get(f"/api/member/requests/{rid}/attachments/{pdf['file_id']}")).status_code == 401

    # The other household's upload, left a day, is forgotten at the next upload: its message cannot name it.
    await platform.enrollment.pool.execute(
        "UPDATE uploads SET uploaded_at = uploaded_at - interval '25 hours' WHERE file_id = $1",
        uuid.UUID(theirs["file_id"]),
    )
    assert (await gateway.post(UPLOADS, **upload("nouvelle.pdf", PDF), headers=member)).status_code == 201
    late = await gateway.post(MESSAGE, json={**TEXT, "attachments": [theirs["file_id"]]}, headers=other)
    assert late.status_code == 422 and "expiré" in late.json()["errors"][0]["message"]
    assert await platform.enrollment.pool.fetchval("SELECT count(*) FROM uploads WHERE file_id = $1", uuid.UUID(theirs["file_id"])) == 0


@pytest.mark.usefixtures("notifications")
async def test_an_employee_joins_documents_through_the_link_of_its_own_invitation(platform, mailbox, company):  # noqa: F811
    gateway = platform.gateway
    marc, ines = await invite_marc_and_ines(platform, mailbox, company)
    files = "/api/online-enrollment/attachments"

    # Not opened yet: nothing to join a file to.
    assert (await gateway.post(files, **upload("carte.pdf", PDF), headers=marc)).status_code == 409
    rid = (await gateway.get("/api/online-enrollment", headers=marc)).json()["request"]["id"]
    assert (await gateway.get("/api/online-enrollment", headers=ines)).status_code == 200

    # The same checks as the correspondent's: the bytes, the size; no link, a link of no invitation.
    fake = await gateway.post(files, **upload("rib.pdf", b"MZ\x90\x00 un programme"), headers=marc)
    assert fake.status_code == 422 and fake.json()["errors"] == [
        {"field": "file", "in": "body", "message": "La pièce justificative doit être un fichier PDF, PNG ou JPEG."}
    ]
    far_over = await gateway.post(files, **upload("enorme.pdf", PDF + b"\x00" * (5 * 1024 * 1024)), headers=marc)
    assert far_over.status_code == 413 and far_over.json()["errors"][0]["field"] == "file"
    assert (await gateway.post(files, **upload("carte.pdf", PDF))).status_code == 422  # no link's token
    stranger = {"X-Invitation-Token": "x" * 43}
    assert (await gateway.post(files, **upload("carte.pdf", PDF), headers=stranger)).status_code == 404
    assert (await gateway.post(files, **upload("carte.pdf", PDF), headers=company)).status_code == 422  # a login is no link

    added = await gateway.post(files, **upload("attestation sécu.pdf", PDF), headers=marc)
    assert added.status_code == 201, added.text
    [kept] = added.json()["attachments"]
    assert (kept["name"], kept["size"], kept["media_type"]) == ("attestation sécu.pdf", len(PDF), "application/pdf")
    png = (await gateway.post(files, **upload("carte.png", PNG), headers=marc)).json()["attachments"][1]

    # Inès's link neither sees nor removes Marc's files; Marc removes one of his.
    assert (await gateway.delete(f"{files}/{kept['file_id']}", headers=ines)).status_code == 404
    assert (await gateway.get("/api/online-enrollment", headers=ines)).json()["request"]["attachments"] == []
    left = await gateway.delete(f"{files}/{png['file_id']}", headers=marc)
    assert left.status_code == 200 and [a["file_id"] for a in left.json()["attachments"]] == [kept["file_id"]]

    # The correspondent reads the employee's file on the affiliation (the company's request).
    got = await gateway.get(f"/api/employer/requests/{rid}/attachments/{kept['file_id']}", headers=company)
    assert got.status_code == 200 and got.content == PDF and got.headers["content-type"] == "application/pdf"
