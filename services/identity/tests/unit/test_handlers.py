"""Identity's use cases on a fake unit of work (no database, no Kafka): what is stored, committed,
published and refused."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from extranet_contracts import Envelope
from extranet_contracts.notifications import NotificationRequested
from extranet_contracts.testing import broker_registered
from extranet_plumbing.testing import opened
from identity.adapters.captcha import TEST_SOLUTION
from identity.adapters.security import hash_password
from identity.domain.members import MemberOnFile
from identity.service_layer import activation, legacy_intake, self_care, sessions
from identity.service_layer.errors import BAD_CREDENTIALS, Refused

BROKER = broker_registered()
PASSWORD = "Courtier-Neuf-2026"


def envelope(event, tenant: str = "mbtp") -> Envelope:
    return Envelope(type=event.TYPE, version=event.VERSION, source="urn:test", tenant=tenant, key=event.key())


_SEAL: dict = {}


@pytest.fixture(autouse=True)
def _notifications_key(seal_keys):
    _SEAL["keys"] = seal_keys


def requests(uow) -> list[NotificationRequested]:
    """The notification requests published, as the notifications service reads them (sealed values opened)."""
    return [opened(event, _SEAL["keys"]) for event, _ in uow.published if isinstance(event, NotificationRequested)]


async def active_broker(uow, password: str = PASSWORD):
    account = await uow.accounts.add(tenant="mbtp", kind="broker", identifier="M12345", email="claire.martin@cabinet-martin.fr")
    await uow.accounts.update(account, status="active", password_hash=await hash_password(password))
    return account


async def test_a_new_broker_gets_one_activation_link_and_an_update_sends_none(uow, tools):
    await legacy_intake.broker_registered(BROKER, envelope(BROKER), uow, tools=tools)
    await legacy_intake.broker_registered(BROKER.model_copy(update={"revision": 2}), envelope(BROKER), uow, tools=tools)
    [request] = requests(uow)
    assert request.template == "broker_activation" and request.data["broker_code"] == "M12345"
    token = request.data["link"].split("token=")[1]
    assert [row["values"]["purpose"] for row in uow.links.rows.values()] == ["broker_activation"]
    assert tools.digest(token) in uow.links.rows
    assert uow.commits == 0  # the consumer commits, with the inbox rows


async def test_failed_logins_are_committed_before_the_refusal_and_the_fifth_locks(uow, tools):
    account = await active_broker(uow)
    for attempt in range(1, 6):
        with pytest.raises(Refused) as refused:
            await sessions.login(
                uow, tools, tenant="mbtp", kind="broker", identifier="m12345", password="wrong", email=None, client_ip="203.0.113.7"
            )
        assert refused.value.message == BAD_CREDENTIALS and account.failed_logins == attempt
    assert account.locked(tools.clock())
    [locked] = requests(uow)
    assert locked.template == "account_locked"
    assert uow.commits >= 5  # each failure kept


async def test_a_refresh_token_used_twice_ends_the_session(uow, tools):
    await active_broker(uow)
    first = await sessions.login(
        uow, tools, tenant="mbtp", kind="broker", identifier="M12345", password=PASSWORD, email=None, client_ip=None
    )
    second = await sessions.refresh(uow, tools, first.refresh_token)
    with pytest.raises(Refused):
        await sessions.refresh(uow, tools, first.refresh_token)
    with pytest.raises(Refused):
        await sessions.refresh(uow, tools, second.refresh_token)  # the whole session is revoked


async def test_a_wrong_code_counts_even_though_it_is_refused(uow, tools):
    uow.members.put(MemberOnFile("mbtp", "73000042", "DURAND", "Léa", [date(1985, 5, 12)], email="lea.durand@orange.fr"))
    activation_id = await activation.start_member_activation(
        uow,
        tools,
        tenant="mbtp",
        contact="Lea.Durand@orange.fr",
        member_number="73000042",
        birth_date=None,
        captcha=TEST_SOLUTION,
        client_ip=None,
    )
    [sent] = requests(uow)
    assert sent.recipient.email == "lea.durand@orange.fr"
    wrong = "000000" if sent.data["code"] != "000000" else "111111"
    commits = uow.commits
    with pytest.raises(Refused):
        await activation.verify_code(uow, tools, tenant="mbtp", activation_id=activation_id, code=wrong)
    assert uow.commits == commits + 1
    assert next(iter(uow.codes.rows.values())).attempts == 1


async def test_an_activation_code_by_sms_goes_to_the_number_in_e164(uow, tools):
    uow.members.put(MemberOnFile("mbtp", "73000042", "DURAND", "Léa", [date(1985, 5, 12)], mobile_phone="+33609267812"))
    await activation.start_member_activation(
        uow,
        tools,
        tenant="mbtp",
        contact="06 09 26 78 12",
        member_number=None,
        birth_date=date(1985, 5, 12),
        captcha=TEST_SOLUTION,
        client_ip=None,
    )
    [sent] = requests(uow)
    assert sent.recipient.phone == "+33609267812" and sent.channels == ["sms"]


@pytest.mark.parametrize(("on_file", "sent"), [(None, True), ("lea.durand@orange.fr", True), ("lea.nouvelle@gmail.com", False)])
async def test_legacy_match_applies_the_email_case(uow, tools, on_file, sent):
    member = uow.members.put(
        MemberOnFile(
            "solimut",
            "73000042",
            "DURAND",
            "Léa",
            [date(1985, 5, 12)],
            email=on_file,
            postal_code="38040",
            contract_numbers=["W1-000123"],
            mutuelle_code="700",
        )
    )
    match = dict(
        tenant="solimut",
        identifier="700",
        contract_number="W1-000123",
        last_name="Durand",
        birth_date=date(1985, 5, 12),
        postal_code="38040",
        email="Lea.Durand@orange.fr",
        captcha=TEST_SOLUTION,
        client_ip=None,
    )
    if sent:
        await activation.legacy_match_activation(uow, tools, **match)
        [link] = requests(uow)
        assert link.template == "member_activation_link" and member.email == "lea.durand@orange.fr"
    else:
        with pytest.raises(Refused) as refused:
            await activation.legacy_match_activation(uow, tools, **match)
        assert refused.value.status == 409 and requests(uow) == []


def solimut_member(uow) -> MemberOnFile:
    return uow.members.put(
        MemberOnFile(
            "solimut",
            "73000042",
            "DURAND",
            "Léa",
            [date(1985, 5, 12)],
            email="lea.durand@orange.fr",
            postal_code="38040",
            contract_numbers=["W1-000123"],
            mutuelle_code="700",
        )
    )


SOLIMUT_MATCH = dict(
    tenant="solimut",
    identifier="700",
    contract_number="W1-000123",
    last_name="DURAND",
    birth_date=date(1985, 5, 12),
    postal_code="38040",
    email="lea.durand@orange.fr",
    captcha=TEST_SOLUTION,
    client_ip=None,
)


async def test_legacy_match_identifies_the_member_by_the_number_of_their_mutuelle(uow, tools):
    solimut_member(uow)
    with pytest.raises(Refused) as refused:
        await activation.legacy_match_activation(uow, tools, **{**SOLIMUT_MATCH, "identifier": "105"})
    assert refused.value.status == 422 and requests(uow) == []


async def test_legacy_match_of_an_activated_account_sends_a_password_reset_link(uow, tools):
    solimut_member(uow)
    account = await uow.accounts.add(tenant="solimut", kind="member", identifier="73000042", email="lea.durand@orange.fr")
    await uow.accounts.update(account, status="active", password_hash="x", login_key="700:lea.durand@orange.fr")
    await activation.legacy_match_activation(uow, tools, **SOLIMUT_MATCH)
    [reset] = requests(uow)
    assert reset.template == "password_reset" and reset.recipient.email == "lea.durand@orange.fr"
    assert [row["values"]["purpose"] for row in uow.links.rows.values()] == ["password_reset"]


async def test_a_solimut_login_finds_the_account_by_mutuelle_number_and_email(uow, tools):
    account = await uow.accounts.add(tenant="solimut", kind="member", identifier="73000042", email="lea.durand@orange.fr")
    await uow.accounts.update(account, status="active", password_hash=await hash_password(PASSWORD), login_key="700:lea.durand@orange.fr")
    login = dict(tenant="solimut", kind="member", identifier="700", password=PASSWORD, email="LEA.DURAND@orange.fr", client_ip=None)
    assert (await sessions.login(uow, tools, **login)).access_token
    with pytest.raises(Refused):
        await sessions.login(uow, tools, **{**login, "identifier": "73000042"})


async def test_last_login_keeps_the_login_before_this_one(uow, tools, clock):
    account = await active_broker(uow)
    login = dict(tenant="mbtp", kind="broker", identifier="M12345", password=PASSWORD, email=None, client_ip=None)
    await sessions.login(uow, tools, **login)
    first = clock()
    clock.advance(days=2)
    await sessions.login(uow, tools, **login)
    profile = await self_care.profile(uow, tools, account_id=str(account.id))
    assert profile["last_login_at"] == first and account.last_login_at == clock()


async def test_a_radiated_member_cannot_start_an_activation(uow, tools, clock):
    member = uow.members.put(MemberOnFile("mbtp", "73000042", "DURAND", "Léa", [date(1985, 5, 12)], email="lea.durand@orange.fr"))
    member.radiated_on = clock().date() - timedelta(days=1)
    await activation.start_member_activation(
        uow,
        tools,
        tenant="mbtp",
        contact="lea.durand@orange.fr",
        member_number="73000042",
        birth_date=None,
        captcha=TEST_SOLUTION,
        client_ip=None,
    )
    assert requests(uow) == []  # the same answer as a stranger, and no code


async def test_outcomes_of_our_mails_are_recorded_and_a_delivery_is_final(uow, tools):
    from extranet_contracts.notifications import NotificationDelivered, NotificationFailed
    from identity.service_layer import outcomes

    await legacy_intake.broker_registered(BROKER, envelope(BROKER), uow, tools=tools)
    [(request_id, row)] = uow.mails.rows.items()
    assert row["template"] == "broker_activation" and row["status"] == "requested"
    delivered = NotificationDelivered(request_id=str(request_id), channel="email", template="broker_activation", attempts=1)
    failed = NotificationFailed(request_id=str(request_id), template="broker_activation", attempts=3, permanent=True, reason="mailbox full")
    await outcomes.delivered(delivered, envelope(delivered), uow)
    await outcomes.failed(failed, envelope(failed), uow)  # late and contradicting: a delivery stands
    assert uow.mails.rows[request_id]["status"] == "delivered"
    other = NotificationFailed(request_id="not-a-uuid", template="x_y_z", attempts=0, permanent=True, reason="?")
    await outcomes.failed(other, envelope(other), uow)  # another service's request: ignored


async def test_a_brokers_contact_change_is_a_request_and_stays_pending_until_the_legacy_system_carries_it(uow, tools):
    from extranet_contracts.requests import ContactChangeRequested

    await legacy_intake.broker_registered(BROKER, envelope(BROKER), uow, tools=tools)
    account = await uow.accounts.by_identifier("mbtp", "broker", "M12345")
    await uow.accounts.update(account, status="active", password_hash=await hash_password(PASSWORD))
    new = "Claire.Martin@Nouveau-Cabinet.fr"
    await self_care.change_contact(
        uow, tools, account_id=str(account.id), email=new, email_confirmation=new, phone="06 09 26 78 12", current_password=PASSWORD
    )
    assert [event for event, _ in uow.published if isinstance(event, ContactChangeRequested)] == []  # not before the confirmation
    confirmation = requests(uow)[-2]
    await self_care.confirm_email_change(uow, tools, token=confirmation.data["link"].split("token=")[1])
    [change] = [event for event, _ in uow.published if isinstance(event, ContactChangeRequested)]
    assert (change.reference, change.email, change.phone) == ("M12345", "claire.martin@nouveau-cabinet.fr", "+33609267812")
    assert account.email == "claire.martin@cabinet-martin.fr"  # the legacy system's value, until it changes
    profile = await self_care.profile(uow, tools, account_id=str(account.id))
    assert profile["pending_contact"]["email"] == "claire.martin@nouveau-cabinet.fr"

    await legacy_intake.broker_registered(BROKER.model_copy(update={"revision": 2}), envelope(BROKER), uow, tools=tools)
    assert account.pending_contact is not None and account.email == "claire.martin@cabinet-martin.fr"
    carried = BROKER.model_copy(update={"revision": 3, "email": "claire.martin@nouveau-cabinet.fr", "phone": "+33 6 09 26 78 12"})
    await legacy_intake.broker_registered(carried, envelope(BROKER), uow, tools=tools)
    assert account.pending_contact is None and account.email == "claire.martin@nouveau-cabinet.fr" and account.phone == "+33609267812"


@pytest.mark.parametrize(("field", "value"), [("email", "claire.martin@"), ("phone", "06 12")])
async def test_a_contact_change_checks_the_email_and_the_phone(uow, tools, field, value):
    account = await active_broker(uow)
    body = {"email": "claire@cabinet.fr", "email_confirmation": "claire@cabinet.fr", "phone": None, field: value}
    if field == "email":
        body["email_confirmation"] = value
    with pytest.raises(Refused) as refused:
        await self_care.change_contact(uow, tools, account_id=str(account.id), **body)
    assert refused.value.field == field and refused.value.status == 422 and value not in refused.value.message
