"""Online enrollment by population category (issue 11, guide 003: a secondary correspondent « rattaché en fonction du
contrat, le filtre peut être selon la catégorie de la population en gestion »), through the gateway: each invitation
carries its contract and the contract's category; a secondary correspondent limited to contracts, categories or
insured groups invites, sees and manages only the invitations of its own contracts and categories (and of contracts
where it manages the active group the employee joins); the primary correspondent sees them all. Every route x
{the primary, a secondary of the other category, a secondary without the active group}."""

from __future__ import annotations

from extranet_contracts.legacy import CONTRACTS
from extranet_contracts.testing import contract_signed
from extranet_plumbing.testing import publish_event, wait_until

from .test_enrollment_online import COMPANY, CONTRACT, company  # noqa: F401 - company: the primary correspondent (NON CADRES contract)
from .test_requests import log_in

EXECUTIVES = "W1-000456"  # the company's contract for its CADRES
INVITATIONS = "/api/employer/invitations"


def invitee(last_name: str, contract_number: str) -> dict:
    email = f"{last_name.lower()}@example.org"
    return {
        "contract_number": contract_number,
        "employees": [{"civility": "MME", "last_name": last_name, "first_name": "Anne", "email": email}],
    }


async def secondary(platform, identifier: str, **scope) -> dict:
    return await log_in(
        platform,
        "employer",
        "correspondent",
        identifier,
        {"company_code": COMPANY, "primary": False, "contracts": [CONTRACT, EXECUTIVES], **scope},
    )


async def names(platform, auth: dict) -> dict[str, tuple[str, str | None]]:
    rows = (await platform.gateway.get(INVITATIONS, headers=auth)).json()["items"]
    return {r["last_name"]: (r["contract_number"], r["category"]) for r in rows}


async def test_each_correspondent_invites_sees_and_manages_the_invitations_of_its_own_contracts_and_categories(
    platform,
    company,  # noqa: F811
    kafka_producer,
    service_env,
):
    primary = company
    await publish_event(
        kafka_producer, service_env["topic_prefix"] + CONTRACTS, contract_signed(contract_number=EXECUTIVES, category="CADRES")
    )
    await wait_until(lambda: platform.enrollment.pool.fetchval("SELECT count(*) = 2 FROM contracts WHERE category IS NOT NULL"))
    workers = await secondary(platform, f"C{COMPANY}-NC", categories=["NON CADRES"])
    executives = await secondary(platform, f"C{COMPANY}-C", categories=["CADRES"])
    no_actives = await secondary(platform, f"C{COMPANY}-P", contract_groups={CONTRACT: ["P"], EXECUTIVES: ["P", "E"]})
    gateway = platform.gateway

    # The primary invites on both contracts: each invitation carries its contract's category.
    for last_name, contract in (("Ouvriere", CONTRACT), ("Cadre", EXECUTIVES)):
        made = await gateway.post(INVITATIONS, json=invitee(last_name, contract), headers=primary)
        assert made.status_code == 201, made.text
    # A secondary invites on its category's contract only, and never where it does not manage the active group.
    refused = await gateway.post(INVITATIONS, json=invitee("Refusee", EXECUTIVES), headers=workers)
    assert refused.status_code == 403, refused.text
    assert refused.json()["detail"] == "Vous ne gérez pas la catégorie de population de ce contrat collectif."
    assert (await gateway.post(INVITATIONS, json=invitee("Apprentie", CONTRACT), headers=workers)).status_code == 201
    for contract in (CONTRACT, EXECUTIVES):
        assert (await gateway.post(INVITATIONS, json=invitee("Portee", contract), headers=no_actives)).status_code == 403
    csv = {"content": b"MME;Import;Anne;import@example.org\n", "params": {"contract_number": EXECUTIVES}}
    imported = await gateway.post(f"{INVITATIONS}/import", **csv, headers={**workers, "content-type": "text/csv"})
    assert imported.status_code == 403

    # The tracking table: each its own; the primary all.
    assert await names(platform, primary) == {
        "Ouvriere": (CONTRACT, "NON CADRES"),
        "Cadre": (EXECUTIVES, "CADRES"),
        "Apprentie": (CONTRACT, "NON CADRES"),
    }
    assert await names(platform, workers) == {"Ouvriere": (CONTRACT, "NON CADRES"), "Apprentie": (CONTRACT, "NON CADRES")}
    assert await names(platform, executives) == {"Cadre": (EXECUTIVES, "CADRES")}
    assert await names(platform, no_actives) == {}
    exported = (await gateway.get(f"{INVITATIONS}/export", headers=executives)).content.decode("utf-8-sig").splitlines()
    assert [line.split(";")[1] for line in exported[1:]] == ["Cadre"] and exported[1].endswith(";CADRES")
    reminded = (await gateway.post(f"{INVITATIONS}/remind-all", headers=workers)).json()["items"]
    assert sorted(r["last_name"] for r in reminded) == ["Apprentie", "Ouvriere"]

    # Each route on one invitation: found by whoever manages its contract and category, not found by anyone else.
    ids = {r["last_name"]: r["id"] for r in (await gateway.get(INVITATIONS, headers=primary)).json()["items"]}
    for name, managers, others in (
        ("Cadre", (primary, executives), (workers, no_actives)),
        ("Ouvriere", (primary, workers), (executives, no_actives)),
    ):
        one = f"{INVITATIONS}/{ids[name]}"
        for auth in others:
            for method, path in (("GET", one), ("POST", one + "/remind"), ("POST", one + "/close"), ("DELETE", one)):
                answer = await gateway.request(method, path, headers=auth)
                assert answer.status_code == 404, (name, method, path, answer.status_code)
        for auth in managers:
            seen = await gateway.get(one, headers=auth)
            assert seen.status_code == 200 and seen.json()["category"] == (await names(platform, primary))[name][1]
            assert (await gateway.post(one + "/remind", headers=auth)).status_code == 200
        manager = managers[1]
        assert (await gateway.post(one + "/close", headers=manager)).json()["status"] == "closed"
        assert (await gateway.delete(one, headers=manager)).status_code == 204
        assert (await gateway.get(one, headers=primary)).status_code == 404
    assert await names(platform, primary) == {"Apprentie": (CONTRACT, "NON CADRES")}
