"""Company correspondents (guide 003): the primary from the legacy system, secondaries it creates."""

from __future__ import annotations

from datetime import date

from extranet_contracts.legacy import CollectiveContractSigned, CompanyRegistered
from extranet_contracts.notifications import NotificationFailed
from extranet_contracts.sessions import SessionsRevoked
from extranet_plumbing.auth import TokenVerifier, require_correspondent
from extranet_plumbing.revocations import RevocationList
from extranet_plumbing.testing import read_topic, wait_until
from identity.adapters.captcha import TestCaptchaVerifier
from identity.bootstrap import bootstrap
from identity.service_layer import contract_groups

ADDRESS = {"line1": "3 square Max Hymans", "postal_code": "75015", "city": "Paris"}
COMPANY = CompanyRegistered(
    company_code="10003040",
    legal_name="Lycée Rive Gauche",
    siret="73282932000074",
    address=ADDRESS,
    membership_date=date(2019, 1, 1),
    revision=1,
    contacts=[
        {"last_name": "Roux", "first_name": "Nadia", "role": "Responsable RH", "email": "n.roux@rive-gauche.fr", "primary": True},
        {"last_name": "Petit", "first_name": "Marc", "role": "Comptable", "email": "m.petit@rive-gauche.fr"},
    ],
)
CONTRACTS = [
    CollectiveContractSigned(
        contract_number=number,
        company_code="10003040",
        product="SANTE",
        category="CADRES",
        effective_date=date(2019, 1, 1),
        insured_groups=["A", "P"],
        revision=1,
    )
    for number in ("M1000304", "M1000305")
]
OTHER = CollectiveContractSigned(
    contract_number="M2000001",
    company_code="20000001",
    product="SANTE",
    category="CADRES",
    effective_date=date(2019, 1, 1),
    insured_groups=["A"],
    revision=1,
)
PASSWORD = "Quartz-Bureau-2026!"


async def set_password(identity, link: str) -> None:
    answer = await identity.post(
        "/public/auth/password", {"token": link.split("token=")[1], "password": PASSWORD, "password_confirmation": PASSWORD}
    )
    assert answer.status_code == 200, answer.text


async def employer_login(identity, identifier: str) -> str:
    tokens = (await identity.post("/public/auth/login", {"portal": "employer", "identifier": identifier, "password": PASSWORD})).json()
    version = (await identity.client.get("/public/auth/terms", headers=identity.headers(token=tokens["access_token"]))).json()["version"]
    return (await identity.post("/public/auth/terms/accept", {"version": version}, token=tokens["access_token"])).json()["access_token"]


async def test_primary_correspondent_invites_a_secondary_limited_to_some_contracts(identity, kafka_producer):
    for event in (*CONTRACTS, OTHER, COMPANY):
        await identity.legacy(kafka_producer, event)
    [(_, invitation)] = await identity.notifications(1)
    assert invitation.template == "correspondent_invitation" and invitation.recipient.email == "n.roux@rive-gauche.fr"
    assert invitation.data["identifier"] == "C10003040"
    await set_password(identity, invitation.data["link"])
    primary = await employer_login(identity, "C10003040")

    new = {
        "identifier": "rg.paie",
        "last_name": "Petit",
        "first_name": "Marc",
        "email": "m.petit@rive-gauche.fr",
        "contracts": ["M1000304"],
    }
    foreign = await identity.post("/public/me/correspondents", {**new, "contracts": ["M2000001"]}, token=primary)
    assert foreign.status_code == 422 and foreign.json()["errors"][0]["field"] == "contracts"
    # Groups of a contract not granted, a group the contract does not have, no group: refused, naming the contract's groups.
    for wrong in ({"M1000305": ["A"]}, {"M1000304": ["E"]}, {"M1000304": []}):
        refused = await identity.post("/public/me/correspondents", {**new, "contract_groups": wrong}, token=primary)
        assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == f"contract_groups.{next(iter(wrong))}", wrong
    created = await identity.post("/public/me/correspondents", {**new, "contract_groups": {"M1000304": ["P"]}}, token=primary)
    assert created.status_code == 201, created.text
    [(second_envelope, second)] = await identity.notifications(1)
    assert second.template == "correspondent_invitation" and second.recipient.email == "m.petit@rive-gauche.fr"
    failed = NotificationFailed(request_id=str(second_envelope.id), template=second.template, attempts=5, permanent=False, reason="timeout")
    await identity.legacy(kafka_producer, failed)
    assert second.data["company_name"] == "Lycée Rive Gauche"

    listed = (await identity.client.get("/public/me/correspondents", headers=identity.headers(token=primary))).json()
    assert [
        (c["identifier"], c["activated"], c["last_login_at"], c["contracts"], c["contract_groups"], c["invitation_status"]) for c in listed
    ] == [("rg.paie", False, None, ["M1000304"], {"M1000304": ["P"]}, "failed")]
    await set_password(identity, second.data["link"])
    secondary = await employer_login(identity, "rg.paie")
    # Its access token carries the grant, as every service reads it: group P of M1000304 only.
    scope = require_correspondent(TokenVerifier(identity.jwt_public_pem).verify(secondary))
    assert scope.contracts == ("M1000304",) and scope.groups_of("M1000304") == ("P",)
    assert scope.may_see("M1000304", insured_group="P") and not scope.may_see("M1000304", insured_group="A")
    # Every group of a contract chosen is no limit at all.
    whole = {**new, "identifier": "rg.tout", "contracts": ["M1000304", "M1000305"], "contract_groups": {"M1000305": ["P", "A"]}}
    assert (await identity.post("/public/me/correspondents", whole, token=primary)).status_code == 201
    await identity.notifications(1)
    listed = (await identity.client.get("/public/me/correspondents", headers=identity.headers(token=primary))).json()
    assert {c["identifier"]: c["contract_groups"] for c in listed}["rg.tout"] == {}
    listed = (await identity.client.get("/public/me/correspondents", headers=identity.headers(token=primary))).json()
    assert listed[0]["activated"] is True and listed[0]["last_login_at"] is not None

    # A secondary correspondent cannot create others, nor see the list.
    assert (await identity.post("/public/me/correspondents", {**new, "identifier": "rg.autre"}, token=secondary)).status_code == 403
    assert (await identity.client.get("/public/me/correspondents", headers=identity.headers(token=secondary))).status_code == 403
    assert (await identity.client.get("/public/me/correspondents", headers=identity.headers())).status_code == 401

    # Deleting one's own account ends its access and erases its personal data from the database.
    account_id = await identity.service.pool.fetchval("SELECT id FROM accounts WHERE identifier = 'rg.paie'")
    assert (await identity.client.delete("/public/me", headers=identity.headers(token=secondary))).status_code == 204
    gone = await identity.post("/public/auth/login", {"portal": "employer", "identifier": "rg.paie", "password": PASSWORD})
    assert gone.status_code == 401
    row = await identity.service.pool.fetchrow("SELECT * FROM accounts WHERE id = $1", account_id)
    assert row["status"] == "deleted" and row["identifier"] != "rg.paie"
    assert (row["email"], row["phone"], row["display_name"], row["password_hash"]) == (None, None, None, None)
    assert not await identity.service.pool.fetchval("SELECT count(*) FROM action_tokens WHERE account_id = $1", account_id)
    assert await identity.service.pool.fetchval("SELECT count(*) FROM terms_acceptances WHERE account_id = $1", account_id) == 1


async def test_notifications_to_an_account_go_to_the_notification_email_it_chose(identity, kafka_producer):
    for event in (*CONTRACTS, COMPANY):
        await identity.legacy(kafka_producer, event)
    [(_, invitation)] = await identity.notifications(1)
    await set_password(identity, invitation.data["link"])
    primary = await employer_login(identity, "C10003040")
    chosen = {"email": "RH@rive-gauche.fr", "email_confirmation": "rh@rive-gauche.fr"}
    assert (
        await identity.client.put("/public/me/notification-email", json=chosen, headers=identity.headers(token=primary))
    ).status_code == 204
    for _ in range(5):  # five wrong passwords lock the account: its owner is told
        await identity.post("/public/auth/login", {"portal": "employer", "identifier": "C10003040", "password": "Mauvais-2026!"})
    [(_, locked)] = await identity.notifications(1)
    assert locked.template == "account_locked" and locked.recipient.email == "rh@rive-gauche.fr"


async def test_the_primary_correspondent_changes_a_secondary_grant_which_its_next_token_carries(identity, kafka_producer):
    """« Mes correspondants »: the contracts, population categories and insured groups of a secondary correspondent
    changed after its creation, by the primary correspondent only; the secondary's tokens issued until then are refused
    everywhere (identity.sessions) and its session renews into a token of the new grant."""
    ouvriers = CollectiveContractSigned(
        contract_number="M1000306",
        company_code="10003040",
        product="PREVOYANCE",
        category="NON CADRES",
        effective_date=date(2020, 1, 1),
        insured_groups=["A"],
        revision=1,
    )
    for event in (*CONTRACTS, ouvriers, OTHER, COMPANY):
        await identity.legacy(kafka_producer, event)
    [(_, invitation)] = await identity.notifications(1)
    await set_password(identity, invitation.data["link"])
    primary = await employer_login(identity, "C10003040")
    new = {"identifier": "rg.paie", "last_name": "Petit", "first_name": "Marc", "email": "m.petit@rive-gauche.fr"}
    made = await identity.post(
        "/public/me/correspondents", {**new, "contracts": ["M1000304"], "contract_groups": {"M1000304": ["P"]}}, token=primary
    )
    assert made.status_code == 201, made.text
    [(_, second)] = await identity.notifications(1)
    await set_password(identity, second.data["link"])
    await employer_login(identity, "rg.paie")
    session = (await identity.post("/public/auth/login", {"portal": "employer", "identifier": "rg.paie", "password": PASSWORD})).json()
    verifier = TokenVerifier(identity.jwt_public_pem)
    before = verifier.verify(session["access_token"])
    assert require_correspondent(before).groups_of("M1000304") == ("P",)

    async def grant(token: str, **body) -> object:
        return await identity.client.put("/public/me/correspondents/grant", json=body, headers=identity.headers(token=token))

    # A secondary correspondent widens neither itself nor anyone.
    widened = await grant(session["access_token"], identifier="rg.paie", contracts=["M1000304", "M1000305"])
    assert widened.status_code == 403
    # Nobody but a secondary correspondent of the company: not found.
    for someone in ("rg.inconnu", "C10003040"):
        missing = await grant(primary, identifier=someone, contracts=["M1000304"])
        assert missing.status_code == 404 and missing.json()["errors"][0]["field"] == "identifier", someone
    # Refusals name the field: another company's contract, a group the contract lacks, an unknown category, a contract
    # outside the categories chosen.
    for wrong, field in (
        ({"contracts": ["M2000001"]}, "contracts"),
        ({"contracts": ["M1000304"], "contract_groups": {"M1000304": ["E"]}}, "contract_groups.M1000304"),
        ({"contracts": ["M1000304"], "categories": ["OUVRIERS"]}, "categories"),
        ({"contracts": ["M1000304", "M1000306"], "categories": ["CADRES"]}, "contracts"),
    ):
        refused = await grant(primary, identifier="rg.paie", **wrong)
        assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == field, (wrong, refused.text)
    unchanged = await identity.service.pool.fetchval("SELECT scope FROM accounts WHERE identifier = 'rg.paie'")
    assert '"P"' in unchanged and "M1000306" not in unchanged

    changed = await grant(primary, identifier="rg.paie", contracts=["M1000304", "M1000306"], contract_groups={"M1000304": ["A"]})
    assert changed.status_code == 200, changed.text
    assert (changed.json()["contracts"], changed.json()["contract_groups"], changed.json()["categories"]) == (
        ["M1000304", "M1000306"],
        {"M1000304": ["A"]},
        [],
    )
    listed = (await identity.client.get("/public/me/correspondents", headers=identity.headers(token=primary))).json()
    assert [(c["identifier"], c["contracts"], c["contract_groups"]) for c in listed] == [
        ("rg.paie", ["M1000304", "M1000306"], {"M1000304": ["A"]})
    ]

    # Every token the secondary held is refused from now on, by every service that follows identity.sessions.
    revoked = RevocationList()
    for record in await read_topic(identity.infra.kafka_bootstrap, identity.prefix + "identity.sessions", expected=1):
        revoked.add(SessionsRevoked.model_validate_json(record.value))
    assert revoked.is_revoked(before)
    # Its session renews (the portal does so on a refusal) into a token of the new grant, not refused.
    renewed = await identity.post("/public/auth/refresh", {"refresh_token": session["refresh_token"]})
    assert renewed.status_code == 200, renewed.text
    after = verifier.verify(renewed.json()["access_token"])
    assert not revoked.is_revoked(after)
    scope = require_correspondent(after)
    assert scope.contracts == ("M1000304", "M1000306") and scope.groups_of("M1000304") == ("A",) and scope.groups_of("M1000306") is None

    # Limited to a population category: the contracts of that category only.
    cadres = await grant(primary, identifier="rg.paie", contracts=["M1000304", "M1000305"], categories=["CADRES"])
    assert cadres.status_code == 200 and cadres.json()["categories"] == ["CADRES"] and cadres.json()["contract_groups"] == {}


async def test_contracts_recorded_without_their_groups_get_them_from_the_legacy_log(identity, kafka_producer, jwt_keys):
    """A contract identity recorded before migration 008 has no insured groups on file, and any group could be granted on
    it; the legacy log (legacy.contracts, kept whole) fills them from the newest revision of its signature, after which a
    group the contract lacks is refused."""
    widened = CollectiveContractSigned.model_validate({**CONTRACTS[0].model_dump(), "insured_groups": ["A", "P", "M"], "revision": 2})
    for event in (*CONTRACTS, widened, OTHER, COMPANY):
        await identity.legacy(kafka_producer, event)
    [(_, invitation)] = await identity.notifications(1)
    await set_password(identity, invitation.data["link"])
    primary = await employer_login(identity, "C10003040")
    # As recorded before migration 008: the groups unknown.
    await identity.service.pool.execute("UPDATE company_contracts SET insured_groups = NULL WHERE contract_number <> 'M1000305'")
    new = {"last_name": "Petit", "first_name": "Marc", "email": "m.petit@rive-gauche.fr", "contracts": ["M1000304"]}
    evin = {"M1000304": ["E"]}  # a group M1000304 does not have
    accepted = await identity.post(
        "/public/me/correspondents", {**new, "identifier": "avant.rattrapage", "contract_groups": evin}, token=primary
    )
    assert accepted.status_code == 201, accepted.text  # nothing on file to refuse it with

    # Identity started again (its start reads the log once for the contracts without groups).
    again = bootstrap(identity.service.settings, verifier=TokenVerifier(jwt_keys.public_pem), captcha=TestCaptchaVerifier())
    async with again.running():
        await wait_until(lambda: again.pool.fetchval("SELECT count(*) = 0 FROM company_contracts WHERE insured_groups IS NULL"))
        assert await contract_groups.fill_missing_groups(again) == 0  # nothing left: it does not read the log again
    groups = dict(await identity.service.pool.fetch("SELECT contract_number, insured_groups FROM company_contracts"))
    assert groups == {"M1000304": ["A", "P", "M"], "M1000305": ["A", "P"], "M2000001": ["A"]}  # the newest revision's
    refused = await identity.post(
        "/public/me/correspondents", {**new, "identifier": "apres.rattrapage", "contract_groups": evin}, token=primary
    )
    assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "contract_groups.M1000304"
    maintained = await identity.post(
        "/public/me/correspondents", {**new, "identifier": "maintien", "contract_groups": {"M1000304": ["M"]}}, token=primary
    )
    assert maintained.status_code == 201, maintained.text
