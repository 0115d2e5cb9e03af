"""The adult dependant (« Adulte », guide 003: « Conjoint, Adulte, Enfant ») once the legacy system accepts him (issues 11,
12), end to end through the gateway on real Kafka and PostgreSQL, the simulated legacy system deciding: the employer adds
him to an employee's cover from the employee's sheet; the legacy system republishes the household's beneficiaries
(legacy.households) and the employee's membership (legacy.memberships) with him; the member's « Bénéficiaires » page
lists him as an « ayant droit » of role ADULTE, his NIR masked, and the employer's employee sheet as « Adulte »."""

from __future__ import annotations

from datetime import date

from extranet_contracts.households import HOUSEHOLDS, beneficiary_id
from extranet_contracts.legacy import MEMBERSHIPS
from extranet_contracts.testing import household_beneficiaries_recorded, member_affiliated, member_contract_recorded
from extranet_plumbing.testing import publish_event, wait_until

from .test_enrollment_online import CONTRACT, company  # noqa: F401 - company: the primary correspondent, contract and guarantee
from .test_requests import log_in
from .test_requests_member_household import nir

LEA = member_affiliated()  # 73000042 (ADH-0000042), Hugo her son, on CONTRACT of company 12345678


async def test_an_accepted_adult_dependant_shows_on_the_members_beneficiaries_and_the_employees_sheet(
    platform,
    company,  # noqa: F811
    legacy_system,
    kafka_producer,
    service_env,
):
    prefix, gateway, employer = service_env["topic_prefix"], platform.gateway, company
    await publish_event(kafka_producer, prefix + MEMBERSHIPS, LEA)
    for part in (member_contract_recorded(), household_beneficiaries_recorded()):
        await publish_event(kafka_producer, prefix + HOUSEHOLDS, part)
    await wait_until(lambda: platform.enrollment.pool.fetchval("SELECT count(*) FROM memberships WHERE start_date IS NOT NULL"))
    member = await log_in(platform, "member", "member", LEA.member_number, {"member_number": LEA.member_number})

    async def sheet() -> list[tuple[str, str]]:
        answer = await gateway.get(f"/api/employer/employees/{LEA.membership_id}", headers=employer)
        return [(b["name"], b["type"]) for b in answer.json()["beneficiaries"]] if answer.status_code == 200 else []

    async def beneficiaries() -> list[dict]:
        answer = await gateway.get("/api/member/beneficiaries", headers=member)
        return answer.json()["items"] if answer.status_code == 200 else []

    assert await wait_until(sheet) == [("MME DURAND Léa", "Assuré principal"), ("M DURAND Hugo", "Enfant")]
    assert [b["first_name"] for b in await wait_until(beneficiaries)] == ["Léa", "Hugo"]

    form = await gateway.get("/api/employer/requests/forms/add-beneficiary", headers=employer)
    assert form.status_code == 200, form.text
    effective = date.fromisoformat(form.json()["window"]["earliest"])
    birth = date(1958, 4, 10)
    marcel = {"role": "ADULTE", "civility": "M", "last_name": "Durand", "first_name": "Marcel", "birth_date": birth.isoformat()}
    marcel_nir = nir("M", birth)
    body = {
        "member_number": LEA.member_number,
        "contract_number": CONTRACT,
        "beneficiary": {**marcel, "nir": marcel_nir},
        "effective_date": effective.isoformat(),
    }
    async with legacy_system("accept"):
        sent = await gateway.post("/api/employer/requests/add-beneficiary", json=body, headers=employer)
        assert sent.status_code == 201, sent.text

        async def accepted():
            return (await gateway.get(f"/api/employer/requests/{sent.json()['id']}", headers=employer)).json()["status"] == "accepted"

        await wait_until(accepted, timeout=30)

        async def with_marcel_on_the_sheet():
            rows = await sheet()
            return rows if len(rows) == 3 else None

        async def with_marcel_in_the_household():
            items = await beneficiaries()
            return items if len(items) == 3 else None

        rows = await wait_until(with_marcel_on_the_sheet, timeout=30)
        items = await wait_until(with_marcel_in_the_household, timeout=30)

    # The employer's employee sheet: « Adulte », his NIR masked.
    assert rows == [("MME DURAND Léa", "Assuré principal"), ("M DURAND Hugo", "Enfant"), ("M DURAND Marcel", "Adulte")]
    detail = (await gateway.get(f"/api/employer/employees/{LEA.membership_id}", headers=employer)).json()
    shown = detail["beneficiaries"][2]
    assert shown["birth_date"] == birth.isoformat() and shown["nir_masked"].endswith(marcel_nir[13:])
    assert marcel_nir not in str(detail) and marcel_nir[:13] not in str(detail)
    # The member's « Bénéficiaires »: an ayant droit, named by the household's id that a removal would take.
    added = next(b for b in items if b["first_name"] == "Marcel")
    assert (added["role"], added["role_label"], added["last_name"]) == ("ADULTE", "ayant droit", "Durand")
    assert added["id"] == beneficiary_id(LEA.member_number, "Marcel", birth)
    assert added["nir"] != marcel_nir and added["nir"].replace(" ", "").endswith(marcel_nir[13:])
    assert [b["first_name"] for b in items] == ["Léa", "Marcel", "Hugo"]  # the primary insured first, then by birth date
