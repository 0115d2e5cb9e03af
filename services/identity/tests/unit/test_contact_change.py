"""A contact email is changed only by who knows the password and holds the new address, and the old
address is told (issue 8, item 3); emails and phone numbers are checked wherever they are accepted,
and the SMS path takes French numbers as people type them."""

from __future__ import annotations

from datetime import date

import pytest
from pydantic import ValidationError

from extranet_contracts.notifications import NotificationRequested
from extranet_contracts.requests import ContactChangeRequested
from extranet_plumbing.testing import opened
from identity import api
from identity.adapters.captcha import TEST_SOLUTION
from identity.adapters.security import hash_password
from identity.domain.members import MemberOnFile
from identity.service_layer import activation, self_care
from identity.service_layer.errors import BAD_LINK, Refused

PASSWORD = "Orque-Lagon-2026!"
NEW = "rh.dupont@nouvelle-adresse.fr"


def sent(uow, seal_keys) -> list[NotificationRequested]:
    return [opened(event, seal_keys) for event, _ in uow.published if isinstance(event, NotificationRequested)]


async def account_of(uow, kind: str = "correspondent"):
    identifier = {"correspondent": "rh-dupont", "broker": "M12345"}[kind]
    account = await uow.accounts.add(
        tenant="mbtp", kind=kind, identifier=identifier, email="rh@btp-rhone.fr", display_name="Paul DUPONT", phone="+33609267812"
    )
    await uow.accounts.update(account, status="active", password_hash=await hash_password(PASSWORD))
    return account


@pytest.mark.parametrize("password", [None, "not-the-password"])
async def test_a_session_alone_cannot_change_the_email(uow, tools, seal_keys, password):
    account = await account_of(uow)
    with pytest.raises(Refused) as refused:
        await self_care.change_contact(
            uow, tools, account_id=str(account.id), email=NEW, email_confirmation=NEW, phone=None, current_password=password
        )
    assert (refused.value.status, refused.value.field) == (422, "current_password")
    assert account.email == "rh@btp-rhone.fr" and sent(uow, seal_keys) == []


async def test_a_new_email_takes_effect_once_confirmed_from_it_and_the_old_one_is_told_without_a_link(uow, tools, seal_keys):
    account = await account_of(uow)
    answer = await self_care.change_contact(
        uow, tools, account_id=str(account.id), email=NEW, email_confirmation=NEW, phone=None, current_password=PASSWORD
    )
    assert "nouvelle adresse" in answer
    assert account.email == "rh@btp-rhone.fr"  # nothing yet
    confirmation, notice = sent(uow, seal_keys)
    assert confirmation.template == "email_change_confirmation" and confirmation.recipient.email == NEW
    assert confirmation.data["link"].startswith("https://") and "/confirmer-adresse-email?token=" in confirmation.data["link"]
    assert notice.template == "email_changed_notice" and notice.recipient.email == "rh@btp-rhone.fr"
    assert notice.sealed_data is None and not any("http" in str(v) or "token" in str(v) for v in notice.data.values())

    token = confirmation.data["link"].split("token=")[1]
    await self_care.confirm_email_change(uow, tools, token=token)
    assert account.email == NEW
    with pytest.raises(Refused) as refused:  # single use
        await self_care.confirm_email_change(uow, tools, token=token)
    assert refused.value.message == BAD_LINK


async def test_a_brokers_confirmed_email_goes_to_the_legacy_system_and_stays_pending(uow, tools, seal_keys):
    account = await account_of(uow, "broker")
    await self_care.change_contact(
        uow, tools, account_id=str(account.id), email=NEW, email_confirmation=NEW, phone=None, current_password=PASSWORD
    )
    assert not [e for e, _ in uow.published if isinstance(e, ContactChangeRequested)]
    token = sent(uow, seal_keys)[0].data["link"].split("token=")[1]
    await self_care.confirm_email_change(uow, tools, token=token)
    [change] = [e for e, _ in uow.published if isinstance(e, ContactChangeRequested)]
    assert change.email == NEW and account.email == "rh@btp-rhone.fr" and account.pending_contact["email"] == NEW


async def test_a_phone_alone_needs_no_confirmation(uow, tools, seal_keys):
    account = await account_of(uow)
    await self_care.change_contact(
        uow, tools, account_id=str(account.id), email="RH@btp-rhone.fr", email_confirmation="rh@btp-rhone.fr", phone="+33 6 12 34 56 78"
    )
    assert account.phone == "+33612345678" and sent(uow, seal_keys) == []


@pytest.mark.parametrize(
    ("model", "body", "field"),
    [
        (api.ResetRequest, {"email": "not-an-email"}, "email"),
        (api.ActivationStart, {"contact": "000", "member_number": "73000042"}, "contact"),
        (api.ActivationLinkRequest, {"member_number": "1", "last_name": "X", "birth_date": "1985-05-12", "email": "<b>x</b>"}, "email"),
        (
            api.LegacyMatchRequest,
            {
                "identifier": "1",
                "contract_number": "2",
                "last_name": "X",
                "birth_date": "1985-05-12",
                "postal_code": "38040",
                "email": "a@x",
            },
            "email",
        ),
        (api.ContactChange, {"email": "000", "email_confirmation": "000"}, "email"),
        (api.ContactChange, {"email": "a@b.fr", "email_confirmation": "a@b.fr", "phone": "not a phone"}, "phone"),
        (api.NotificationEmail, {"email": "not-an-email", "email_confirmation": "not-an-email"}, "email"),
        (api.NewCorrespondent, {"identifier": "rh-2", "last_name": "X", "first_name": "Y", "email": "x@y", "contracts": ["C1"]}, "email"),
        (
            api.ActivationCompletion,
            {
                **{"ticket": "t" * 20, "password": "p", "password_confirmation": "p"},
                "mail_preference": "email",
                "email": "xyz",
                "email_confirmation": "xyz",
            },
            "email",
        ),
    ],
)
def test_every_email_and_phone_field_of_the_public_api_is_checked(model, body, field):
    with pytest.raises(ValidationError) as invalid:
        model.model_validate(body)
    assert (field,) in [error["loc"] for error in invalid.value.errors()]
    [message] = {error["msg"] for error in invalid.value.errors() if error["loc"] == (field,)}
    assert message in ("Adresse e-mail invalide.", "Numéro de téléphone invalide.")  # never the value


@pytest.mark.parametrize("typed", ["06 09 26 78 12", "+33 6 09 26 78 12", "0033609267812", "06.09.26.78.12"])
async def test_a_french_mobile_as_people_type_it_gets_its_code_by_sms(uow, tools, seal_keys, typed):
    uow.members.put(MemberOnFile("mbtp", "73000042", "DURAND", "Léa", [date(1985, 5, 12)], mobile_phone="+33609267812"))
    start = api.ActivationStart.model_validate({"member_number": "73000042", "contact": typed, "captcha": TEST_SOLUTION})
    await activation.start_member_activation(
        uow,
        tools,
        tenant="mbtp",
        contact=start.contact,
        member_number=start.member_number,
        birth_date=None,
        captcha=start.captcha,
        client_ip=None,
    )
    [code] = sent(uow, seal_keys)
    assert code.recipient.phone == "+33609267812" and code.channels == ["sms"] and len(code.data["code"]) == 6
