"""A secondary correspondent's grant changed after its creation, through the gateway (issue 12, guide 003 « Mes
correspondants »): the primary correspondent alone changes it (a secondary widens neither itself nor another, whoever
else is refused), identity keeps it, the secondary's tokens issued until then are refused by the gateway and the services
at once, and its renewed token carries the new grant, which portfolio applies."""

from __future__ import annotations

from extranet_contracts.legacy import COMPANIES, CONTRACTS
from extranet_contracts.testing import company_registered, contract_signed
from extranet_plumbing.testing import GATEWAY_HEADERS, publish_event, wait_until

PASSWORD = "Delegation-Test-2026!"
MINE, OTHER = "12345678", "87654321"
SECONDARY = "paie.rhone"


def bearer(token: str) -> dict[str, str]:
    return {"authorization": f"Bearer {token}"}


async def selector(platform, token: str) -> object:
    return await platform.gateway.get("/api/employer/contracts", headers=bearer(token))


def offered(answer) -> dict[str, list[str]]:
    return {k["contract_number"]: [g["code"] for g in k["insured_groups"]] for k in answer.json()["contracts"]}


async def test_the_primary_correspondent_alone_changes_a_secondary_grant_which_applies_at_its_next_request(
    platform, kafka_producer, service_env
):
    prefix = service_env["topic_prefix"]
    for company in (company_registered(), company_registered(company_code=OTHER, legal_name="Autre SARL", siret="44306184100047")):
        await publish_event(kafka_producer, prefix + COMPANIES, company)
    for contract in (
        contract_signed(insured_groups=["A", "P"]),
        contract_signed(contract_number="W1-000999", category="CADRES", insured_groups=["A", "M"]),
        contract_signed(contract_number="W2-000555", company_code=OTHER),
    ):
        await publish_event(kafka_producer, prefix + CONTRACTS, contract)
    await wait_until(lambda: platform.identity.pool.fetchval("SELECT count(*) = 3 FROM company_contracts"))
    await wait_until(lambda: platform.portfolio.pool.fetchval("SELECT count(*) = 3 FROM contracts"))

    async def token(portal: str, kind: str, identifier: str, scope: dict) -> str:
        return await platform.account_token(portal, kind, identifier, PASSWORD, scope)

    primary = await token("employer", "correspondent", f"C{MINE}", {"company_code": MINE, "contracts": "all", "primary": True})
    theirs = await token("employer", "correspondent", f"C{OTHER}", {"company_code": OTHER, "contracts": "all", "primary": True})
    member = await token("member", "member", "73000042", {"member_number": "73000042"})
    await platform.create_broker_login("M12345", PASSWORD)
    broker = await platform.login("M12345", PASSWORD)
    made = await platform.gateway.post(
        "/api/me/correspondents",
        json={
            "identifier": SECONDARY,
            "last_name": "Morel",
            "first_name": "Inès",
            "email": "ines.morel@example.org",
            "contracts": ["W1-000123"],
            "contract_groups": {"W1-000123": ["P"]},
        },
        headers=bearer(primary),
    )
    assert made.status_code == 201, made.text
    await token("employer", "correspondent", SECONDARY, {})  # its password set, the terms accepted; its scope is identity's
    session = (
        await platform.gateway.post("/api/auth/login", json={"portal": "employer", "identifier": SECONDARY, "password": PASSWORD})
    ).json()
    secondary = session["access_token"]
    assert offered(await selector(platform, secondary)) == {"W1-000123": ["P"]}

    wider = {"identifier": SECONDARY, "contracts": ["W1-000123", "W1-000999"], "contract_groups": {"W1-000999": ["M"]}}

    async def change(who: str | None, body: dict) -> object:
        return await platform.gateway.put("/api/me/correspondents/grant", json=body, headers=bearer(who) if who else None)

    assert (await change(None, wider)).status_code == 401
    for who in (broker, member, secondary):  # a secondary correspondent cannot widen itself
        refused = await change(who, wider)
        assert refused.status_code == 403, refused.text
    foreign = await change(theirs, wider)  # another company's primary correspondent: no such correspondent in its company
    assert foreign.status_code == 404 and foreign.json()["errors"][0]["field"] == "identifier"
    assert (await change(primary, {**wider, "contracts": ["W2-000555"]})).json()["errors"][0]["field"] == "contracts"
    unchanged = (await platform.gateway.get("/api/me/correspondents", headers=bearer(primary))).json()
    assert [(c["contracts"], c["contract_groups"]) for c in unchanged] == [(["W1-000123"], {"W1-000123": ["P"]})]

    changed = await change(primary, wider)
    assert changed.status_code == 200, changed.text
    assert (changed.json()["contracts"], changed.json()["contract_groups"]) == (["W1-000123", "W1-000999"], {"W1-000999": ["M"]})
    # Its token of before is refused by the gateway once the revocation has crossed Kafka, and by portfolio itself.
    await wait_until(lambda: _status(platform, secondary, 401), timeout=5)
    direct = await platform.portfolio_client.get("/internal/employer/contracts", headers={**bearer(secondary), **GATEWAY_HEADERS})
    assert direct.status_code == 401
    # Renewed (as the portal does on that refusal), its token carries the new grant, which portfolio applies.
    renewed = await platform.gateway.post("/api/auth/refresh", json={"refresh_token": session["refresh_token"]})
    assert renewed.status_code == 200, renewed.text
    assert offered(await selector(platform, renewed.json()["access_token"])) == {"W1-000123": ["A", "P"], "W1-000999": ["M"]}
    sheet = await platform.gateway.get("/api/employer/contracts/W1-000999/groups/A/sheet", headers=bearer(renewed.json()["access_token"]))
    assert sheet.status_code == 404  # group A of W1-000999 is not its
    # The primary correspondent's own access is untouched.
    assert (await selector(platform, primary)).status_code == 200


async def _status(platform, token: str, status: int) -> bool:
    return (await selector(platform, token)).status_code == status
