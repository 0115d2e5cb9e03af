"""A secondary correspondent opens only the requests it would find in its history (issues 11, 12; guide 003: a secondary
correspondent « rattaché en fonction du contrat, le filtre peut être selon la catégorie de la population en gestion »,
and the insured groups): a request by its id, its files and every route on it are not found (404, as another company's)
outside the insured groups and the population categories it manages, whatever contracts it is granted; the history
(« Historique des demandes », « Suivi ») lists the same requests. Every route x {anonymous, another company's
correspondent, a secondary of group P, a secondary of each category, the primary}, through the gateway."""

from __future__ import annotations

from extranet_contracts.legacy import CONTRACTS, MEMBERSHIPS
from extranet_contracts.testing import colleague_affiliated, contract_signed, guarantee_attached, member_affiliated
from extranet_plumbing.testing import publish_event, wait_until

from .test_enrollment_online import COMPANY, CONTRACT, company  # noqa: F401 - company: the primary correspondent (NON CADRES contract)
from .test_enrollment_online_categories import EXECUTIVES, secondary
from .test_requests import a_date_in_the_window, log_in
from .test_requests_files import PDF, _affiliation

JEAN = colleague_affiliated()
LEA = member_affiliated()  # 73000042, group A of CONTRACT


async def test_a_secondary_correspondent_opens_only_the_requests_of_its_groups_and_categories(
    platform,
    company,  # noqa: F811
    kafka_producer,
    service_env,
):
    primary, gateway, prefix = company, platform.gateway, service_env["topic_prefix"]
    for event in (
        contract_signed(insured_groups=["A", "P"], revision=2),
        contract_signed(contract_number=EXECUTIVES, category="CADRES", insured_groups=["A", "P"]),
        guarantee_attached(contract_number=EXECUTIVES),
    ):
        await publish_event(kafka_producer, prefix + CONTRACTS, event)
    for event in (LEA, JEAN):
        await publish_event(kafka_producer, prefix + MEMBERSHIPS, event)
    pool = platform.enrollment.pool
    await wait_until(lambda: pool.fetchval("SELECT count(*) = 2 FROM memberships WHERE insured_group IS NOT NULL"))
    await wait_until(lambda: pool.fetchval("SELECT count(*) = 2 FROM contracts WHERE category IS NOT NULL"))

    # The primary's requests: Jean's termination (group P), Léa's card (group A), a new employee's affiliation on each
    # contract (group A), each affiliation with a file.
    effective = await a_date_in_the_window(platform, primary)
    body = {
        "contract_number": CONTRACT,
        "member_number": JEAN.member_number,
        "effective_date": effective.isoformat(),
        "reason": "DEMISSION",
    }
    termination = await gateway.post("/api/employer/requests/employee-termination", json=body, headers=primary)
    card = await gateway.post(
        "/api/employer/requests/tp-card", json={"member_number": LEA.member_number, "contract_number": CONTRACT}, headers=primary
    )
    assert termination.status_code == 201 and card.status_code == 201, (termination.text, card.text)
    workers_affiliation = await _affiliation(platform, primary, ("justificatif.pdf", PDF, "application/pdf"))
    executives_form = await gateway.get("/api/employer/requests/forms/affiliation", params={"contract_number": EXECUTIVES}, headers=primary)
    assert executives_form.status_code == 200
    executive = await gateway.post("/api/employer/requests/affiliation", json={"contract_number": EXECUTIVES}, headers=primary)
    assert executive.status_code == 201, executive.text
    executive_id = executive.json()["id"]
    joined = await gateway.post(
        f"/api/employer/requests/{executive_id}/attachments", files={"file": ("kbis.pdf", PDF, "application/pdf")}, headers=primary
    )
    assert joined.status_code == 201, joined.text
    files = {executive_id: joined.json()["attachments"][0]["file_id"]}
    workers_detail = (await gateway.get(f"/api/employer/requests/{workers_affiliation}", headers=primary)).json()
    files[workers_affiliation] = workers_detail["attachments"][0]["file_id"]
    ids = {
        "termination": termination.json()["id"],
        "card": card.json()["id"],
        "workers": workers_affiliation,
        "executives": executive_id,
    }

    only_p = await secondary(platform, f"C{COMPANY}-P", contract_groups={CONTRACT: ["P"], EXECUTIVES: ["P"]})
    only_a = await secondary(platform, f"C{COMPANY}-A", insured_groups=["A"])
    workers = await secondary(platform, f"C{COMPANY}-NC", categories=["NON CADRES"])
    executives = await secondary(platform, f"C{COMPANY}-C", categories=["CADRES"])
    elsewhere = await log_in(
        platform, "employer", "correspondent", "C87654321", {"company_code": "87654321", "contracts": "all", "primary": True}
    )
    sees = {
        "primary": (primary, {"termination", "card", "workers", "executives"}),
        "only_p": (only_p, {"termination"}),
        "only_a": (only_a, {"card", "workers", "executives"}),
        "workers": (workers, {"termination", "card", "workers"}),
        "executives": (executives, {"executives"}),
        "elsewhere": (elsewhere, set()),
    }

    for who, (auth, mine) in sees.items():
        # The history lists exactly the requests this correspondent opens.
        listed = (await gateway.get("/api/employer/requests", headers=auth)).json()["items"]
        assert {r["id"] for r in listed} == {ids[name] for name in mine}, who
        for name, rid in ids.items():
            one = f"/api/employer/requests/{rid}"
            opened = await gateway.get(one, headers=auth)
            assert opened.status_code == (200 if name in mine else 404), (who, name, opened.status_code)
            if name not in mine:
                assert opened.json()["detail"] == "Demande introuvable." and "LE GALL" not in opened.text.upper()
            if rid in files:
                got = await gateway.get(f"{one}/attachments/{files[rid]}", headers=auth)
                assert got.status_code == (200 if name in mine else 404), (who, name, got.status_code)
                if name in mine:
                    assert got.content == PDF and got.headers["content-type"] == "application/pdf"
            if name in mine:
                continue
            # Nothing done on a request it may not open: not found alike, the request unchanged.
            for method, path, kwargs in (
                ("POST", f"{one}/submit", {}),
                ("POST", f"{one}/cancel", {}),
                ("PUT", f"{one}/steps/contact", {"json": {"email": "x@example.org"}}),
                ("POST", f"{one}/attachments", {"files": {"file": ("autre.pdf", PDF, "application/pdf")}}),
                ("DELETE", f"{one}/attachments/{files.get(rid, rid)}", {}),
                ("GET", f"{one}/termination-pack", {}),
            ):
                answer = await gateway.request(method, path, headers=auth, **kwargs)
                assert answer.status_code == 404, (who, name, method, path, answer.status_code, answer.text)

    anonymous = await gateway.get(f"/api/employer/requests/{ids['termination']}")
    assert anonymous.status_code == 401
    assert (await gateway.get(f"/api/employer/requests/{ids['workers']}/attachments/{files[ids['workers']]}")).status_code == 401
    # The primary still finds every request as it left it: drafts still drafts, their files still there.
    for name, rid in ids.items():
        seen = (await gateway.get(f"/api/employer/requests/{rid}", headers=primary)).json()
        assert seen["status"] in (("submitted", "sent") if name == "card" else ("draft",)), (name, seen["status"])
        if rid in files:
            assert [a["file_id"] for a in seen["attachments"]] == [files[rid]]

    # Nor does it make a request on a contract of another category: refused naming the contract, nothing recorded.
    count = await pool.fetchval("SELECT count(*) FROM requests")
    beneficiary = {"role": "ENFANT", "civility": "MME", "last_name": "Le Gall", "first_name": "Lou", "birth_date": "2020-02-02"}
    for path, made in (
        ("/api/employer/requests/employee-termination", body),
        ("/api/employer/requests/tp-card", {"member_number": LEA.member_number, "contract_number": CONTRACT}),
        ("/api/employer/requests/affiliation", {"contract_number": CONTRACT}),
        (
            "/api/employer/requests/add-beneficiary",
            {**{k: body[k] for k in ("contract_number", "member_number", "effective_date")}, "beneficiary": beneficiary},
        ),
    ):
        refused = await gateway.post(path, json=made, headers=executives)
        assert refused.status_code == 403, (path, refused.status_code, refused.text)
        assert refused.json()["detail"] == "Vous ne gérez pas la catégorie de population de ce contrat collectif."
    assert await pool.fetchval("SELECT count(*) FROM requests") == count
    own = await gateway.post("/api/employer/requests/affiliation", json={"contract_number": CONTRACT}, headers=workers)
    assert own.status_code == 201 and (await gateway.get(f"/api/employer/requests/{own.json()['id']}", headers=workers)).status_code == 200
