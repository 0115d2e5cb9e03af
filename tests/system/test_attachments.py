"""A request's files end to end (issue 11): a correspondent joins supporting documents to an affiliation
draft through the gateway (multipart), each checked by its bytes and its size; they are listed on the
request, read back by whoever may see it (the owner, an operator once sent) and by nobody else, and they
reach the legacy system as references in the request's event. And the termination pack: the attestation
a correspondent downloads once the legacy system accepted an employee's termination."""

from __future__ import annotations

import hashlib
import io
import uuid
from datetime import date, timedelta

from pypdf import PdfReader

from extranet_contracts.legacy import CONTRACTS, MEMBERSHIPS
from extranet_contracts.requests import PORTAL_REQUESTS
from extranet_contracts.testing import contract_signed, guarantee_attached, member_affiliated
from extranet_plumbing.testing import publish_event, read_topic, wait_until

from .test_requests import log_in
from .test_requests_affiliation import marc_steps

COMPANY, CONTRACT, OTHER_CONTRACT = "12345678", "W1-000123", "W1-000999"
LEA = member_affiliated()  # 73000042, on W1-000123 of company 12345678
PDF = b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(range(256)) * 40


async def others(platform) -> tuple[dict, ...]:
    """Another company's correspondent, a secondary correspondent without the contract, a member, an operator."""
    return (
        await log_in(platform, "employer", "correspondent", "C87654321", {"company_code": "87654321", "contracts": "all", "primary": True}),
        await log_in(
            platform, "employer", "correspondent", "corr.paie", {"company_code": COMPANY, "contracts": [OTHER_CONTRACT], "primary": False}
        ),
        await log_in(platform, "member", "member", LEA.member_number, {"member_number": LEA.member_number}),
        await log_in(platform, "backoffice", "operator", "j.conseil", {"operator": True}),
    )


def upload(name: str, data: bytes, content_type: str = "application/pdf") -> dict:
    return {"files": {"file": (name, data, content_type)}}


async def test_supporting_documents_are_checked_kept_shown_and_sent_by_reference(
    platform, legacy_system, infra, service_env, kafka_producer
):
    topic = service_env["topic_prefix"] + CONTRACTS
    await publish_event(kafka_producer, topic, contract_signed())
    await publish_event(kafka_producer, topic, guarantee_attached())
    company = await log_in(
        platform, "employer", "correspondent", f"C{COMPANY}", {"company_code": COMPANY, "contracts": "all", "primary": True}
    )
    gateway = platform.gateway

    async def offered() -> dict | None:
        form = (await gateway.get("/api/employer/requests/forms/affiliation", params={"contract_number": CONTRACT}, headers=company)).json()
        return form if form["choices"].get("guarantee") else None

    effective = (await wait_until(offered))["window"]["latest"]
    rid = (await gateway.post("/api/employer/requests/affiliation", json={"contract_number": CONTRACT}, headers=company)).json()["id"]
    files = f"/api/employer/requests/{rid}/attachments"

    # A text file named .pdf, an empty one, a PDF named .png, and a file over 4 MB: refused, naming the field.
    fake = await gateway.post(files, **upload("attestation.pdf", b"Ceci n'est pas un PDF"), headers=company)
    assert fake.status_code == 422, fake.text
    assert fake.json()["errors"] == [
        {"field": "file", "in": "body", "message": "La pièce justificative doit être un fichier PDF, PNG ou JPEG."}
    ]
    renamed = await gateway.post(files, **upload("scan.png", PDF, "image/png"), headers=company)
    assert renamed.status_code == 422 and "un fichier PDF se termine par .pdf" in renamed.json()["errors"][0]["message"]
    just_over = await gateway.post(files, **upload("gros.pdf", PDF + b"\x00" * (4 * 1024 * 1024)), headers=company)
    assert just_over.status_code == 422 and just_over.json()["errors"][0] == {
        "field": "file",
        "in": "body",
        "message": "Le fichier dépasse 4 Mo.",
    }
    far_over = await gateway.post(files, **upload("enorme.pdf", PDF + b"\x00" * (5 * 1024 * 1024)), headers=company)
    assert far_over.status_code == 413 and far_over.json()["detail"] == "Le fichier dépasse 4 Mo."  # refused before it is read
    assert far_over.json()["errors"][0]["field"] == "file"
    not_a_form = await gateway.post(files, json={"file": "x"}, headers=company)
    assert not_a_form.status_code == 415

    # A PDF and a JPEG (announced as something else: its bytes tell): listed with their name, size, type, date.
    assert (await gateway.post(files, **upload("attestation employeur.pdf", PDF), headers=company)).status_code == 201
    added = await gateway.post(files, **upload("carte-vitale.jpg", JPEG, "application/octet-stream"), headers=company)
    assert added.status_code == 201, added.text
    listed = added.json()["attachments"]
    assert [(a["name"], a["size"], a["media_type"]) for a in listed] == [
        ("attestation employeur.pdf", len(PDF), "application/pdf"),
        ("carte-vitale.jpg", len(JPEG), "image/jpeg"),
    ]
    assert all(a["uploaded_at"] for a in listed)
    pdf_id, jpeg_id = listed[0]["file_id"], listed[1]["file_id"]

    # The owner reads them back as they were sent, with the type they were checked as.
    got = await gateway.get(f"{files}/{jpeg_id}", headers=company)
    assert got.status_code == 200 and got.content == JPEG and got.headers["content-type"] == "image/jpeg"
    assert got.headers["x-content-type-options"] == "nosniff" and "carte-vitale.jpg" in got.headers["content-disposition"]

    # Nobody else: another company, a secondary correspondent without the contract, a member, anonymous.
    other_company, secondary, member, operator = await others(platform)
    for stranger in (other_company, secondary):
        assert (await gateway.get(f"{files}/{pdf_id}", headers=stranger)).status_code == 404
        assert (await gateway.post(files, **upload("intrus.pdf", PDF), headers=stranger)).status_code == 404
        assert (await gateway.delete(f"{files}/{pdf_id}", headers=stranger)).status_code == 404
    assert (await gateway.get(f"/api/member/requests/{rid}/attachments/{pdf_id}", headers=member)).status_code == 404
    assert (await gateway.get(f"{files}/{pdf_id}", headers=member)).status_code == 403
    assert (await gateway.get(f"{files}/{pdf_id}")).status_code == 401
    assert (await gateway.post(files, **upload("anonyme.pdf", PDF))).status_code == 401
    assert (await gateway.get(f"{files}/{uuid.uuid4()}", headers=company)).status_code == 404
    # A draft is nobody's business in the back office yet.
    assert (await gateway.get(f"/api/backoffice/requests/{rid}/attachments/{pdf_id}", headers=operator)).status_code == 404

    # One removed, the other sent with the affiliation: the event names it by reference (never its bytes).
    kept = (await gateway.delete(f"{files}/{jpeg_id}", headers=company)).json()["attachments"]
    assert [a["file_id"] for a in kept] == [pdf_id]
    assert (await gateway.get(f"{files}/{jpeg_id}", headers=company)).status_code == 404
    for name, body in marc_steps(effective, dependants=False).items():
        assert (await gateway.put(f"/api/employer/requests/{rid}/steps/{name}", json=body, headers=company)).status_code == 200
    async with legacy_system("accept"):
        assert (await gateway.post(f"/api/employer/requests/{rid}/submit", headers=company)).status_code == 200
        await wait_until(lambda: _status(platform, company, rid, "accepted"))
    [record] = [
        r
        for r in await read_topic(infra.kafka_bootstrap, service_env["topic_prefix"] + PORTAL_REQUESTS, expected=1)
        if rid.encode() in r.value
    ]
    assert f'"file_id":"{pdf_id}"'.encode() in record.value and hashlib.sha256(PDF).hexdigest().encode() in record.value
    assert PDF not in record.value

    # Sent: the files no longer change, the operator reads them, the owner still does.
    assert (await gateway.post(files, **upload("tard.pdf", PDF), headers=company)).status_code == 409
    by_operator = await gateway.get(f"/api/backoffice/requests/{rid}/attachments/{pdf_id}", headers=operator)
    assert by_operator.status_code == 200 and by_operator.content == PDF and by_operator.headers["content-type"] == "application/pdf"
    assert (await gateway.get(f"/api/backoffice/requests/{rid}/attachments/{pdf_id}", headers=company)).status_code == 403
    assert (await gateway.get(f"{files}/{pdf_id}", headers=company)).content == PDF


async def test_an_accepted_termination_gives_its_attestation(platform, legacy_system, service_env, kafka_producer):
    await publish_event(kafka_producer, service_env["topic_prefix"] + MEMBERSHIPS, LEA)
    await wait_until(lambda: platform.enrollment.pool.fetchval("SELECT count(*) FROM memberships WHERE start_date IS NOT NULL"))
    company = await log_in(
        platform, "employer", "correspondent", f"C{COMPANY}", {"company_code": COMPANY, "contracts": "all", "primary": True}
    )
    gateway = platform.gateway
    window = (await gateway.get("/api/employer/requests/forms/employee-termination", headers=company)).json()["window"]
    effective = min(date.fromisoformat(window["earliest"]) + timedelta(days=40), date.fromisoformat(window["latest"])).isoformat()
    body = {"contract_number": CONTRACT, "member_number": LEA.member_number, "effective_date": effective, "reason": "LICENCIEMENT"}
    rid = (await gateway.post("/api/employer/requests/employee-termination", json=body, headers=company)).json()["id"]
    pack = f"/api/employer/requests/{rid}/termination-pack"
    not_yet = await gateway.get(pack, headers=company)
    assert not_yet.status_code == 409 and "une fois la radiation acceptée" in not_yet.json()["detail"]

    async with legacy_system("accept"):
        assert (await gateway.post(f"/api/employer/requests/{rid}/submit", headers=company)).status_code == 200
        await wait_until(lambda: _status(platform, company, rid, "accepted"))

    got = await gateway.get(pack, headers=company)
    assert got.status_code == 200 and got.headers["content-type"] == "application/pdf", got.text
    assert f"attestation-radiation-{LEA.member_number}.pdf" in got.headers["content-disposition"]
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(got.content)).pages)
    day, month, year = effective[8:10], effective[5:7], effective[:4]
    assert "Attestation de radiation" in text and "Mutuelle MBTP" in text
    assert f"{day}/{month}/{year}" in text and "Licenciement" in text and LEA.member_number in text and CONTRACT in text
    assert "portabilité" in text and "L911-8" in text

    other_company, secondary, member, operator = await others(platform)
    assert (await gateway.get(pack)).status_code == 401
    for stranger in (other_company, secondary):
        assert (await gateway.get(pack, headers=stranger)).status_code == 404
    assert (await gateway.get(pack, headers=member)).status_code == 403
    by_operator = await gateway.get(f"/api/backoffice/requests/{rid}/termination-pack", headers=operator)
    assert by_operator.status_code == 200 and by_operator.content.startswith(b"%PDF-")


async def _status(platform, auth, rid, status) -> bool:
    return (await platform.gateway.get(f"/api/employer/requests/{rid}", headers=auth)).json()["status"] == status


async def test_a_cancelled_drafts_files_leave_the_store(platform, kafka_producer, service_env):
    topic = service_env["topic_prefix"] + CONTRACTS
    await publish_event(kafka_producer, topic, contract_signed())
    company = await log_in(
        platform, "employer", "correspondent", f"C{COMPANY}", {"company_code": COMPANY, "contracts": "all", "primary": True}
    )
    gateway = platform.gateway

    async def drafted():
        draft = await gateway.post("/api/employer/requests/affiliation", json={"contract_number": CONTRACT}, headers=company)
        return draft.json()["id"] if draft.status_code == 201 else None

    rid = await wait_until(drafted)
    added = await gateway.post(f"/api/employer/requests/{rid}/attachments", **upload("justificatif.pdf", PDF), headers=company)
    [attached] = added.json()["attachments"]
    settings = platform.enrollment.settings
    kept = settings.documents_folder(settings.service_name) / "mbtp" / uuid.UUID(attached["file_id"]).hex
    assert kept.read_bytes() == PDF
    assert (await gateway.post(f"/api/employer/requests/{rid}/cancel", headers=company)).json()["status"] == "cancelled"
    assert not kept.exists()
    assert (await gateway.get(f"/api/employer/requests/{rid}/attachments/{attached['file_id']}", headers=company)).status_code == 404
