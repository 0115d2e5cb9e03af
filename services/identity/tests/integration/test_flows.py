"""Identity flows end to end on the identity service: legacy events in, notification requests out
(read back from Kafka), HTTP in between."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from extranet_contracts import Envelope
from extranet_contracts.notifications import NotificationDelivered
from extranet_contracts.requests import PORTAL_REQUESTS, ContactChangeRequested
from extranet_contracts.testing import broker_registered, member_affiliated, member_radiated
from extranet_plumbing.auth import TokenVerifier
from extranet_plumbing.testing import read_topic
from identity.adapters.captcha import TEST_SOLUTION

ADDRESS = {"line1": "12 route de Paris", "postal_code": "38040", "city": "Grenoble"}
BROKER = broker_registered()
MEMBER = member_affiliated()
BROKER_PASSWORD = "Courtier-Neuf-2026"
MEMBER_PASSWORD = "Quartz-Lagon-2026!"


def token_of(link: str) -> str:
    return link.split("token=")[1]


async def activate_member(identity, kafka_producer, *, contact="lea.durand@orange.fr") -> None:
    await identity.legacy(kafka_producer, MEMBER)
    started = await identity.post("/public/members/activation", {"member_number": "73000042", "contact": contact, "captcha": TEST_SOLUTION})
    [(_, request)] = await identity.notifications(1)
    verified = await identity.post(f"/public/members/activation/{started.json()['activation_id']}/verify", {"code": request.data["code"]})
    done = await identity.post(
        "/public/members/activation/complete",
        {
            "ticket": verified.json()["ticket"],
            "email": "lea.durand@orange.fr",
            "email_confirmation": "lea.durand@orange.fr",
            "password": MEMBER_PASSWORD,
            "password_confirmation": MEMBER_PASSWORD,
            "mail_preference": "email",
        },
    )
    assert done.status_code == 200, done.text


async def test_a_new_broker_gets_an_activation_email_and_sets_a_password_through_its_link(identity, kafka_producer):
    await identity.legacy(kafka_producer, BROKER)
    [(envelope, request)] = await identity.notifications(1)
    assert request.template == "broker_activation" and envelope.tenant == "mbtp"
    assert request.recipient.email == "claire.martin@cabinet-martin.fr" and request.data["broker_code"] == "M12345"
    assert request.data["link"].startswith("https://courtier.mutuelle-mbtp.com/activation?token=")

    refused = await identity.post("/public/auth/login", {"portal": "broker", "identifier": "M12345", "password": BROKER_PASSWORD})
    assert refused.status_code == 401  # not active yet
    weak = await identity.post(
        "/public/auth/password", {"token": token_of(request.data["link"]), "password": "courtier", "password_confirmation": "courtier"}
    )
    assert weak.status_code == 422 and weak.json()["errors"][0]["field"] == "password"
    done = await identity.post(
        "/public/auth/password",
        {"token": token_of(request.data["link"]), "password": BROKER_PASSWORD, "password_confirmation": BROKER_PASSWORD},
    )
    assert done.status_code == 200, done.text
    again = await identity.post(
        "/public/auth/password",
        {"token": token_of(request.data["link"]), "password": BROKER_PASSWORD, "password_confirmation": BROKER_PASSWORD},
    )
    assert again.status_code == 400  # single use

    login = await identity.post("/public/auth/login", {"portal": "broker", "identifier": "m12345", "password": BROKER_PASSWORD})
    assert login.status_code == 200 and login.json()["terms_pending"] is True
    await identity.legacy(kafka_producer, BROKER.model_copy(update={"revision": 2}))  # an update sends no second email
    await identity.no_new_notification()


async def test_member_activation_with_identifier_by_email_then_login_and_terms(identity, kafka_producer):
    await activate_member(identity, kafka_producer)
    login = await identity.post("/public/auth/login", {"portal": "member", "identifier": "73000042", "password": MEMBER_PASSWORD})
    assert login.status_code == 200, login.text
    tokens = login.json()
    assert tokens["terms_pending"] is True
    terms = (await identity.client.get("/public/auth/terms", headers=identity.headers(token=tokens["access_token"]))).json()
    assert terms["health_data_consent_required"] is True and "RGPD" in terms["text"]
    no_consent = await identity.post("/public/auth/terms/accept", {"version": terms["version"]}, token=tokens["access_token"])
    assert no_consent.status_code == 422
    accepted = await identity.post(
        "/public/auth/terms/accept", {"version": terms["version"], "health_data_consent": True}, token=tokens["access_token"]
    )
    assert accepted.status_code == 200 and accepted.json()["terms_pending"] is False
    profile = (await identity.client.get("/public/me", headers=identity.headers(token=accepted.json()["access_token"]))).json()
    assert profile["identifier"] == "73000042" and profile["mail_preference"] == "email"
    assert profile["last_login_at"] is None  # a first login: no login before this one
    first_login = identity.clock.now
    identity.clock.advance(days=3)
    relogin = await identity.post("/public/auth/login", {"portal": "member", "identifier": "73000042", "password": MEMBER_PASSWORD})
    assert relogin.json()["terms_pending"] is False  # accepted once for this version
    profile = (await identity.client.get("/public/me", headers=identity.headers(token=relogin.json()["access_token"]))).json()
    assert datetime.fromisoformat(profile["last_login_at"]) == first_login  # "last login": the one before this session


async def test_member_activation_without_identifier_by_sms_reveals_the_member_number(identity, kafka_producer):
    await identity.legacy(kafka_producer, MEMBER)
    started = await identity.post(
        "/public/members/activation", {"contact": "+33 6 12 34 56 78", "birth_date": "2015-03-02", "captcha": TEST_SOLUTION}
    )
    assert started.status_code == 202
    [(_, request)] = await identity.notifications(1)
    assert request.template == "member_activation_code" and request.channels == ["sms"] and request.recipient.phone == "+33612345678"
    assert len(request.data["code"]) == 6 and request.data["code"].isdigit() and request.data["expires_in_minutes"] == 5
    verified = await identity.post(f"/public/members/activation/{started.json()['activation_id']}/verify", {"code": request.data["code"]})
    assert verified.status_code == 200 and verified.json()["member_number"] == "73000042"


async def test_a_stranger_gets_the_same_answer_and_no_code(identity, kafka_producer):
    await identity.legacy(kafka_producer, MEMBER)
    known = await identity.post(
        "/public/members/activation", {"member_number": "73000042", "contact": "lea.durand@orange.fr", "captcha": TEST_SOLUTION}
    )
    await identity.notifications(1)
    unknown = await identity.post(
        "/public/members/activation", {"member_number": "73000099", "contact": "lea.durand@orange.fr", "captcha": TEST_SOLUTION}
    )
    wrong_contact = await identity.post(
        "/public/members/activation", {"member_number": "73000042", "contact": "someone@else.fr", "captcha": TEST_SOLUTION}
    )
    for answer in (unknown, wrong_contact):
        assert answer.status_code == known.status_code == 202
        assert answer.json().keys() == known.json().keys() and answer.json()["message"] == known.json()["message"]
    await identity.no_new_notification()
    guess = await identity.post(f"/public/members/activation/{unknown.json()['activation_id']}/verify", {"code": "000000"})
    assert guess.status_code == 400


async def test_codes_die_after_five_wrong_attempts_after_five_minutes_and_after_use(identity, kafka_producer):
    await identity.legacy(kafka_producer, MEMBER)
    body = {"member_number": "73000042", "contact": "lea.durand@orange.fr", "captcha": TEST_SOLUTION}
    started = (await identity.post("/public/members/activation", body)).json()["activation_id"]
    [(_, request)] = await identity.notifications(1)
    right = request.data["code"]
    wrong = f"{(int(right) + 1) % 1_000_000:06d}"
    for _ in range(5):
        assert (await identity.post(f"/public/members/activation/{started}/verify", {"code": wrong})).status_code == 400
    assert (await identity.post(f"/public/members/activation/{started}/verify", {"code": right})).status_code == 400

    identity.clock.advance(seconds=31)
    assert (await identity.post(f"/public/members/activation/{started}/code")).status_code == 202  # "générer un nouveau code"
    [(_, request)] = await identity.notifications(1)
    identity.clock.advance(minutes=5, seconds=1)
    assert (await identity.post(f"/public/members/activation/{started}/verify", {"code": request.data["code"]})).status_code == 400

    identity.clock.advance(seconds=31)
    assert (await identity.post(f"/public/members/activation/{started}/code")).status_code == 202
    [(_, request)] = await identity.notifications(1)
    assert (await identity.post(f"/public/members/activation/{started}/verify", {"code": request.data["code"]})).status_code == 200
    assert (await identity.post(f"/public/members/activation/{started}/verify", {"code": request.data["code"]})).status_code == 400

    identity.clock.advance(seconds=31)
    assert (await identity.post(f"/public/members/activation/{started}/code")).status_code in (400, 429)  # used, and 3 sends spent


async def test_new_codes_are_throttled(identity, kafka_producer):
    await identity.legacy(kafka_producer, MEMBER)
    started = (
        await identity.post(
            "/public/members/activation", {"member_number": "73000042", "contact": "lea.durand@orange.fr", "captcha": TEST_SOLUTION}
        )
    ).json()["activation_id"]
    assert (await identity.post(f"/public/members/activation/{started}/code")).status_code == 429  # too soon
    for _ in range(2):
        identity.clock.advance(seconds=31)
        assert (await identity.post(f"/public/members/activation/{started}/code")).status_code == 202
    identity.clock.advance(seconds=31)
    assert (await identity.post(f"/public/members/activation/{started}/code")).status_code == 429  # 3 codes at most
    assert len(await identity.notifications(3)) == 3


async def test_repeated_failures_lock_the_account_and_its_owner_is_told_by_email(identity, kafka_producer):
    await activate_member(identity, kafka_producer)
    attempt = {"portal": "member", "identifier": "73000042", "password": "mauvais-2026!"}
    answers = [await identity.post("/public/auth/login", attempt) for _ in range(5)]
    assert {a.status_code for a in answers} == {401}
    [(_, locked)] = await identity.notifications(1)
    assert locked.template == "account_locked" and locked.recipient.email == "lea.durand@orange.fr"
    right = await identity.post("/public/auth/login", {**attempt, "password": MEMBER_PASSWORD})
    stranger = await identity.post("/public/auth/login", {**attempt, "identifier": "73999999"})
    assert right.status_code == stranger.status_code == 401 and right.json() == stranger.json()  # nothing told to the caller
    identity.clock.advance(minutes=16)
    assert (await identity.post("/public/auth/login", {**attempt, "password": MEMBER_PASSWORD})).status_code == 200


async def test_forgot_password_answers_the_same_for_known_and_unknown_emails(identity, kafka_producer):
    await activate_member(identity, kafka_producer)
    known = await identity.post("/public/auth/password-reset", {"email": "Lea.Durand@orange.fr", "captcha": TEST_SOLUTION})
    unknown = await identity.post("/public/auth/password-reset", {"email": "nobody@orange.fr", "captcha": TEST_SOLUTION})
    assert known.status_code == unknown.status_code == 202 and known.json() == unknown.json()
    no_captcha = await identity.post("/public/auth/password-reset", {"email": "nobody@orange.fr", "captcha": "forged"})
    assert no_captcha.status_code == 400 and no_captcha.json()["errors"][0]["field"] == "captcha"
    [(_, reset)] = await identity.notifications(1)
    assert reset.template == "password_reset" and reset.recipient.email == "lea.durand@orange.fr"
    new = "nouveau-mot-2026!"
    changed = await identity.post(
        "/public/auth/password", {"token": token_of(reset.data["link"]), "password": new, "password_confirmation": new}
    )
    assert changed.status_code == 200
    assert (
        await identity.post("/public/auth/login", {"portal": "member", "identifier": "73000042", "password": MEMBER_PASSWORD})
    ).status_code == 401
    assert (await identity.post("/public/auth/login", {"portal": "member", "identifier": "73000042", "password": new})).status_code == 200


async def test_refresh_tokens_rotate_and_a_reused_one_ends_the_session(identity, kafka_producer):
    await activate_member(identity, kafka_producer)
    first = (await identity.post("/public/auth/login", {"portal": "member", "identifier": "73000042", "password": MEMBER_PASSWORD})).json()
    second = await identity.post("/public/auth/refresh", {"refresh_token": first["refresh_token"]})
    assert second.status_code == 200 and second.json()["refresh_token"] != first["refresh_token"]
    replayed = await identity.post("/public/auth/refresh", {"refresh_token": first["refresh_token"]})
    assert replayed.status_code == 401
    assert (await identity.post("/public/auth/refresh", {"refresh_token": second.json()["refresh_token"]})).status_code == 401

    third = (await identity.post("/public/auth/login", {"portal": "member", "identifier": "73000042", "password": MEMBER_PASSWORD})).json()
    assert (await identity.post("/public/auth/logout", token=third["access_token"])).status_code == 204
    assert (await identity.post("/public/auth/refresh", {"refresh_token": third["refresh_token"]})).status_code == 401


async def test_self_care_requires_the_owner(identity, kafka_producer):
    assert (await identity.client.get("/public/me", headers=identity.headers())).status_code == 401
    assert (
        await identity.post("/public/me/password", {"old_password": "x", "new_password": "y", "new_password_confirmation": "y"})
    ).status_code == 401
    await activate_member(identity, kafka_producer)
    token = (await identity.post("/public/auth/login", {"portal": "member", "identifier": "73000042", "password": MEMBER_PASSWORD})).json()[
        "access_token"
    ]
    wrong_old = await identity.post(
        "/public/me/password",
        {"old_password": "pas-le-bon-1!", "new_password": "autre-mot-2026!", "new_password_confirmation": "autre-mot-2026!"},
        token=token,
    )
    assert wrong_old.status_code == 422 and wrong_old.json()["errors"][0]["field"] == "old_password"
    mismatch = await identity.client.put(
        "/public/me/contact",
        json={"email": "lea@durand.fr", "email_confirmation": "lea@durand.fr.", "phone": "0612345678"},
        headers=identity.headers(token=token),
    )
    assert mismatch.status_code == 422
    ok = await identity.post(
        "/public/me/password",
        {"old_password": MEMBER_PASSWORD, "new_password": "autre-mot-2026!", "new_password_confirmation": "autre-mot-2026!"},
        token=token,
    )
    assert ok.status_code == 204


@pytest.mark.parametrize(("email", "status"), [(None, 202), ("lea.durand@orange.fr", 202), ("lea.nouvelle@gmail.com", 409)])
async def test_legacy_match_and_its_three_email_cases(identity, kafka_producer, email, status):
    on_file = MEMBER.model_copy(update={"email": email, "mutuelle_code": "700"})
    await identity.legacy(kafka_producer, on_file, tenant="solimut")
    given = "lea.durand@orange.fr"  # case 1: nothing on file; case 2: the same on file; case 3: another on file
    body = {
        "identifier": "700",
        "contract_number": "W1-000123",
        "last_name": "DURAND",
        "birth_date": "1985-05-12",
        "postal_code": "38040",
        "email": given,
        "captcha": TEST_SOLUTION,
    }
    answer = await identity.post("/public/members/activation-match", body, tenant="solimut")
    assert answer.status_code == status, answer.text
    if status == 202:
        [(_, link)] = await identity.notifications(1)
        assert link.template == "member_activation_link" and link.recipient.email == given
    else:
        assert "conseiller" in answer.json()["detail"]
        await identity.no_new_notification()
    mismatch = await identity.post("/public/members/activation-match", {**body, "birth_date": "1985-05-13"}, tenant="solimut")
    assert mismatch.status_code == 422


async def test_activation_by_email_link_valid_48_hours(identity, kafka_producer):
    await identity.legacy(kafka_producer, MEMBER, tenant="marseille")
    body = {
        "member_number": "73000042",
        "last_name": "Durand",
        "birth_date": "1985-05-12",
        "email": "lea.durand@orange.fr",
        "captcha": TEST_SOLUTION,
    }
    assert (await identity.post("/public/members/activation-link", body, tenant="marseille")).status_code == 202
    [(_, link)] = await identity.notifications(1)
    assert link.template == "member_activation_link" and link.data["expires_in_hours"] == 48
    identity.clock.advance(hours=48, seconds=1)
    late = await identity.post(
        "/public/members/activation/complete",
        {
            "ticket": token_of(link.data["link"]),
            "email": "lea.durand@orange.fr",
            "email_confirmation": "lea.durand@orange.fr",
            "password": MEMBER_PASSWORD,
            "password_confirmation": MEMBER_PASSWORD,
            "mail_preference": "post",
        },
        tenant="marseille",
    )
    assert late.status_code == 400
    not_offered = await identity.post(
        "/public/members/activation",
        {"member_number": "73000042", "contact": "lea.durand@orange.fr", "captcha": TEST_SOLUTION},
        tenant="marseille",
    )
    assert not_offered.status_code == 404


SOLIMUT_MATCH = {
    "identifier": "700",
    "contract_number": "W1-000123",
    "last_name": "Durand",
    "birth_date": "1985-05-12",
    "postal_code": "38040",
    "email": "lea.durand@orange.fr",
    "captcha": TEST_SOLUTION,
}


async def activate_solimut_member(identity, kafka_producer) -> None:
    await identity.legacy(kafka_producer, MEMBER.model_copy(update={"mutuelle_code": "700"}), tenant="solimut")
    other_mutuelle = await identity.post("/public/members/activation-match", {**SOLIMUT_MATCH, "identifier": "105"}, tenant="solimut")
    assert other_mutuelle.status_code == 422  # the identifier is the member's mutuelle number
    assert (await identity.post("/public/members/activation-match", SOLIMUT_MATCH, tenant="solimut")).status_code == 202
    [(_, link)] = await identity.notifications(1)
    done = await identity.post(
        "/public/members/activation/complete",
        {
            "ticket": token_of(link.data["link"]),
            "email": "lea.durand@orange.fr",
            "email_confirmation": "lea.durand@orange.fr",
            "password": MEMBER_PASSWORD,
            "password_confirmation": MEMBER_PASSWORD,
            "mail_preference": "email",
        },
        tenant="solimut",
    )
    assert done.status_code == 200, done.text


async def test_solimut_members_log_in_with_their_mutuelle_number_email_and_password(identity, kafka_producer):
    await activate_solimut_member(identity, kafka_producer)
    login = {"portal": "member", "identifier": "700", "email": "Lea.Durand@orange.fr", "password": MEMBER_PASSWORD}
    answer = await identity.post("/public/auth/login", login, tenant="solimut")
    assert answer.status_code == 200, answer.text
    for wrong in ({"identifier": "105"}, {"email": "lea@orange.fr"}, {"email": None}, {"identifier": "73000042"}):
        assert (await identity.post("/public/auth/login", {**login, **wrong}, tenant="solimut")).status_code == 401


async def test_solimut_forgot_password_through_the_first_connection_form_sends_a_reset_link(identity, kafka_producer):
    await activate_solimut_member(identity, kafka_producer)
    again = await identity.post("/public/members/activation-match", SOLIMUT_MATCH, tenant="solimut")
    assert again.status_code == 202, again.text  # the same answer as a first connection
    [(_, reset)] = await identity.notifications(1)
    assert reset.template == "password_reset" and reset.recipient.email == "lea.durand@orange.fr"
    new = "nouveau-mot-2026!"
    changed = await identity.post(
        "/public/auth/password", {"token": token_of(reset.data["link"]), "password": new, "password_confirmation": new}
    )
    assert changed.status_code == 200, changed.text
    login = {"portal": "member", "identifier": "700", "email": "lea.durand@orange.fr", "password": new}
    assert (await identity.post("/public/auth/login", login, tenant="solimut")).status_code == 200


async def test_a_radiated_member_keeps_read_access_for_the_tenants_period_and_cannot_activate_anew(identity, kafka_producer):
    await activate_member(identity, kafka_producer)
    radiated_on = identity.clock.now.date() - timedelta(days=1)
    await identity.legacy(
        kafka_producer,
        member_radiated(effective_date=radiated_on, recorded_on=radiated_on),
    )
    login = {"portal": "member", "identifier": "73000042", "password": MEMBER_PASSWORD}
    answer = await identity.post("/public/auth/login", login)
    assert answer.status_code == 200, answer.text
    principal = TokenVerifier(identity.jwt_public_pem).verify(answer.json()["access_token"])
    assert principal.scope["read_only"] is True
    identity.clock.advance(days=366)  # 12 months (mbtp's default) after radiation
    assert (await identity.post("/public/auth/login", login)).status_code == 401

    # Another household member radiated before activating: the same answer as a stranger, and no code.
    await identity.legacy(kafka_producer, MEMBER.model_copy(update={"member_number": "73000043", "email": "hugo@orange.fr"}))
    await identity.legacy(
        kafka_producer,
        member_radiated(membership_id="ADH-0000043", member_number="73000043", effective_date=radiated_on, recorded_on=radiated_on),
    )
    started = await identity.post(
        "/public/members/activation", {"member_number": "73000043", "contact": "hugo@orange.fr", "captcha": TEST_SOLUTION}
    )
    assert started.status_code == 202
    await identity.no_new_notification()


async def test_a_member_affiliated_again_after_a_radiation_is_a_member_again(identity, kafka_producer):
    """Radiated from a contract, then affiliated to the same contract again (a new membership): not radiated."""
    gone = identity.clock.now.date() - timedelta(days=200)
    await identity.legacy(kafka_producer, MEMBER)
    await identity.legacy(kafka_producer, member_radiated(effective_date=gone, recorded_on=gone))
    back = MEMBER.model_copy(update={"membership_id": "ADH-0000099", "effective_date": gone + timedelta(days=30)})
    await identity.legacy(kafka_producer, back)
    started = await identity.post(
        "/public/members/activation", {"member_number": "73000042", "contact": "lea.durand@orange.fr", "captcha": TEST_SOLUTION}
    )
    assert started.status_code == 202
    [(_, code)] = await identity.notifications(1)
    assert code.template == "member_activation_code"


async def broker_session(identity, kafka_producer) -> tuple[Envelope, str]:
    """A broker registered by the legacy system, activated through its link, logged in."""
    await identity.legacy(kafka_producer, BROKER)
    [(envelope, request)] = await identity.notifications(1)
    body = {"token": token_of(request.data["link"]), "password": BROKER_PASSWORD, "password_confirmation": BROKER_PASSWORD}
    assert (await identity.post("/public/auth/password", body)).status_code == 200
    login = await identity.post("/public/auth/login", {"portal": "broker", "identifier": "M12345", "password": BROKER_PASSWORD})
    return envelope, login.json()["access_token"]


async def test_a_brokers_contact_change_goes_to_the_legacy_system_and_its_value_stays_the_truth(identity, kafka_producer):
    _, token = await broker_session(identity, kafka_producer)
    new = {"email": "c.martin@nouveau-cabinet.fr", "email_confirmation": "C.Martin@nouveau-cabinet.fr", "phone": "06 09 26 78 12"}
    refused = await identity.client.put("/public/me/contact", json=new, headers=identity.headers(token=token))
    assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "current_password"  # a session alone is not enough
    new["current_password"] = BROKER_PASSWORD
    assert (await identity.client.put("/public/me/contact", json=new, headers=identity.headers(token=token))).status_code == 202
    confirmation, notice = [request for _, request in await identity.notifications(2)]
    assert (confirmation.template, confirmation.recipient.email) == ("email_change_confirmation", "c.martin@nouveau-cabinet.fr")
    assert (notice.template, notice.recipient.email) == ("email_changed_notice", "claire.martin@cabinet-martin.fr")
    assert (await identity.client.get("/public/me", headers=identity.headers(token=token))).json()["pending_contact"] is None
    confirmed = await identity.post("/public/auth/email-change", {"token": token_of(confirmation.data["link"])})
    assert confirmed.status_code == 200, confirmed.text
    [record] = await read_topic(identity.infra.kafka_bootstrap, identity.prefix + PORTAL_REQUESTS, expected=1)
    change = ContactChangeRequested.model_validate_json(record.value)
    assert (change.reference, change.email, change.phone) == ("M12345", "c.martin@nouveau-cabinet.fr", "+33609267812")

    async def profile() -> dict:
        return (await identity.client.get("/public/me", headers=identity.headers(token=token))).json()

    shown = await profile()
    assert shown["email"] == "claire.martin@cabinet-martin.fr" and shown["pending_contact"]["email"] == "c.martin@nouveau-cabinet.fr"
    await identity.legacy(kafka_producer, BROKER.model_copy(update={"revision": 2}))  # not carried yet: still pending
    shown = await profile()
    assert shown["email"] == "claire.martin@cabinet-martin.fr" and shown["pending_contact"] is not None
    carried = BROKER.model_copy(update={"revision": 3, "email": "c.martin@nouveau-cabinet.fr", "phone": "0609267812"})
    await identity.legacy(kafka_producer, carried)
    shown = await profile()
    assert shown["email"] == "c.martin@nouveau-cabinet.fr" and shown["phone"] == "+33609267812" and shown["pending_contact"] is None

    bad = {"email": "c.martin@", "email_confirmation": "c.martin@", "phone": None}
    answer = await identity.client.put("/public/me/contact", json=bad, headers=identity.headers(token=token))
    assert answer.status_code == 422 and answer.json()["errors"][0]["field"] == "email"
    landline_typo = {**new, "phone": "06 09"}
    answer = await identity.client.put("/public/me/contact", json=landline_typo, headers=identity.headers(token=token))
    assert answer.status_code == 422 and answer.json()["errors"][0]["field"] == "phone"


async def test_the_broker_account_shows_whether_its_activation_mail_was_delivered(identity, kafka_producer):
    envelope, token = await broker_session(identity, kafka_producer)
    profile = (await identity.client.get("/public/me", headers=identity.headers(token=token))).json()
    assert profile["activation_mail_status"] == "requested"
    outcome = NotificationDelivered(request_id=str(envelope.id), channel="email", template="broker_activation", attempts=1)
    await identity.legacy(kafka_producer, outcome)
    profile = (await identity.client.get("/public/me", headers=identity.headers(token=token))).json()
    assert profile["activation_mail_status"] == "delivered"
