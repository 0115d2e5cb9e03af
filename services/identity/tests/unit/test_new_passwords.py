"""Wherever a password is set (link, member activation, change, admin command), common and breached
passwords and passwords holding the person's identifier, name or birth date are refused, in French,
naming the rule (issue 8, item 8)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from extranet_contracts.notifications import NotificationRequested
from extranet_plumbing.testing import opened
from identity.adapters.security import hash_password
from identity.domain.members import MemberOnFile
from identity.domain.passwords import COMMON, PERSONAL
from identity.entrypoints import admin
from identity.service_layer import activation, self_care
from identity.service_layer.errors import Refused

LEA = MemberOnFile("mbtp", "73000042", "DURAND", "Léa", [date(1985, 5, 12)], email="lea.durand@orange.fr")
GOOD = "Orque-Lagon-2026!"


async def active_member(uow, password: str = GOOD):
    uow.members.put(LEA)
    account = await uow.accounts.add(
        tenant="mbtp", kind="member", identifier="73000042", email="lea.durand@orange.fr", display_name="Léa DURAND"
    )
    await uow.accounts.update(account, status="active", password_hash=await hash_password(password), scope={"member_number": "73000042"})
    return account


@pytest.mark.parametrize(
    ("new", "rule"), [("Password1!", COMMON), ("motdepasse1!", COMMON), ("73000042!a1", PERSONAL), ("Orque-Durand-26!", PERSONAL)]
)
async def test_a_member_cannot_change_to_a_common_or_personal_password(uow, tools, new, rule):
    account = await active_member(uow)
    with pytest.raises(Refused) as refused:
        await self_care.change_password(uow, tools, account_id=str(account.id), old=GOOD, new=new, confirmation=new)
    assert (refused.value.status, refused.value.field, refused.value.message) == (422, "password", rule)
    assert uow.commits == 0
    await self_care.change_password(
        uow, tools, account_id=str(account.id), old=GOOD, new="Baleine-Corail-26!", confirmation="Baleine-Corail-26!"
    )
    assert uow.commits == 1


def sent_token(uow, seal_keys) -> str:
    [request] = [opened(event, seal_keys) for event, _ in uow.published if isinstance(event, NotificationRequested)]
    return request.data["link"].split("token=")[1]


@pytest.mark.parametrize(("password", "rule"), [("Password1!", COMMON), ("M12345-Cabinet!", PERSONAL), ("Claire-Lagon-26!", PERSONAL)])
async def test_a_password_set_through_a_link_is_checked_against_the_account(uow, tools, seal_keys, password, rule):
    account = await uow.accounts.add(tenant="mbtp", kind="broker", identifier="M12345", display_name="Claire MARTIN")
    await uow.accounts.update(account, email="claire.martin@cabinet-martin.fr", scope={"broker_code": "M12345"})
    await activation.send_broker_activation(uow, tools, account)
    token = sent_token(uow, seal_keys)
    with pytest.raises(Refused) as refused:
        await activation.set_password_with_link(uow, tools, token=token, password=password, confirmation=password)
    assert (refused.value.field, refused.value.message) == ("password", rule)
    done = await activation.set_password_with_link(
        uow, tools, token=token, password="Courtier-Neuf-2026", confirmation="Courtier-Neuf-2026"
    )
    assert done == {"identifier": "M12345", "kind": "broker"}


async def test_a_member_activation_refuses_the_birth_date_in_the_password(uow, tools):
    uow.members.put(LEA)
    await uow.links.add(
        token_hash=tools.digest("ticket-of-lea-0001"),
        tenant="mbtp",
        purpose="member_activation",
        subject="73000042",
        payload={"email": "lea.durand@orange.fr"},
        expires_at=tools.clock() + timedelta(minutes=10),
    )
    body = dict(
        tenant="mbtp",
        ticket="ticket-of-lea-0001",
        email="lea.durand@orange.fr",
        email_confirmation="lea.durand@orange.fr",
        phone=None,
        mail_preference="email",
    )
    with pytest.raises(Refused) as refused:
        await activation.complete_member_activation(
            uow, tools, **body, password="Orque-12/05/1985", password_confirmation="Orque-12/05/1985"
        )
    assert (refused.value.field, refused.value.message) == ("password", PERSONAL)


@pytest.mark.parametrize("password", ["Password1!", "M12345-Cabinet!"])
def test_the_admin_command_refuses_common_and_personal_passwords(monkeypatch, capsys, password):
    monkeypatch.setenv("EXTRANET_NEW_PASSWORD", password)
    assert admin.main(["create-broker-login", "--tenant", "mbtp", "--broker-code", "M12345"]) == 2
    assert "Mot de passe refusé" in capsys.readouterr().err


def test_the_admin_command_stops_on_a_refused_setting_before_asking_for_a_password(monkeypatch, capsys):
    monkeypatch.setenv("EXTRANET_HTTP_PORT", "not-a-port")
    monkeypatch.delenv("EXTRANET_NEW_PASSWORD", raising=False)
    monkeypatch.setattr(admin.getpass, "getpass", lambda prompt: pytest.fail("asked for a password"))
    with pytest.raises(SystemExit) as stopped:
        admin.main(["create-broker-login", "--tenant", "mbtp", "--broker-code", "M12345"])
    assert stopped.value.code == 2
    printed = capsys.readouterr().err
    assert "EXTRANET_HTTP_PORT" in printed and "not-a-port" not in printed
