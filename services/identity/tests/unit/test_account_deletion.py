"""Deleting an account erases what the law does not require to keep and ends every session (issue 8,
item 12): the terms acceptance (consent, with its date) stays; email, phone, names, notification
email, pending contact and password hash go; the identifier is freed; the profile answers 401."""

from __future__ import annotations

import pytest

from identity.adapters.security import hash_password
from identity.service_layer import self_care, sessions
from identity.service_layer.errors import Refused

PASSWORD = "Orque-Lagon-2026!"


async def test_a_deleted_account_keeps_only_the_proof_of_consent(uow, tools):
    account = await uow.accounts.add(
        tenant="mbtp",
        kind="correspondent",
        identifier="rh-dupont",
        email="rh@btp-rhone.fr",
        phone="+33609267812",
        display_name="Paul DUPONT",
        scope={"company_code": "C1", "contracts": ["M1"], "primary": False},
    )
    await uow.accounts.update(
        account,
        status="active",
        password_hash=await hash_password(PASSWORD),
        notification_email="paul@perso.fr",
        pending_contact={"email": "x@y.fr", "phone": None, "requested_at": "2026-11-23T09:00:00+00:00"},
    )
    await uow.terms.accept(account.id, "2026-01", False, tools.clock())
    first = await sessions.login(
        uow, tools, tenant="mbtp", kind="correspondent", identifier="rh-dupont", password=PASSWORD, email=None, client_ip=None
    )
    await self_care.delete_own_account(uow, tools, account_id=str(account.id))

    assert account.status == "deleted" and account.identifier != "rh-dupont"
    personal = (account.email, account.phone, account.display_name, account.notification_email, account.pending_contact)
    assert personal == (None,) * 5 and account.password_hash is None
    assert (account.id, "2026-01") in uow.terms.accepted_versions  # consent, with its date, is kept
    assert all(token.revoked_at is not None for token in uow.sessions.rows.values())
    with pytest.raises(Refused):
        await sessions.refresh(uow, tools, first.refresh_token)
    with pytest.raises(Refused) as refused:
        await self_care.profile(uow, tools, account_id=str(account.id))
    assert refused.value.status == 401
    again = await uow.accounts.add(tenant="mbtp", kind="correspondent", identifier="rh-dupont", email="rh@btp-rhone.fr")
    assert again is not None and again.id != account.id  # the identifier may be given again
