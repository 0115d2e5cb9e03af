"""What identity does with the legacy system's events: brokers get an account and their activation
email, members are kept on file for activation, a company's primary correspondent is invited, and
its collective contracts are kept for the correspondents' scopes. Handlers of the intake consumer
(`(event, envelope, uow)`, bootstrap binds `tools`); they run in the consumer's transaction."""

from __future__ import annotations

from extranet_contracts import Envelope
from extranet_contracts.legacy import BrokerRegistered, CollectiveContractSigned, CompanyRegistered, MemberAffiliated, MemberRadiated
from extranet_contracts.phones import mobile_or_none
from identity.domain.accounts import mutuelle_login_key
from identity.domain.contact_changes import carried_by
from identity.domain.contacts import InvalidContact, canonical_phone
from identity.service_layer.activation import send_broker_activation
from identity.service_layer.common import Tools
from identity.service_layer.correspondents import invite
from identity.service_layer.unit_of_work import IdentityUnitOfWork


async def broker_registered(event: BrokerRegistered, envelope: Envelope, uow: IdentityUnitOfWork, *, tools: Tools) -> None:
    """A broker entered the portfolio: an account waiting for its password, and the activation email."""
    tenant, name = envelope.tenant, f"{event.contact_first_name} {event.contact_last_name}"
    email = str(event.email).lower()
    account = await uow.accounts.add(
        tenant=tenant,
        kind="broker",
        identifier=event.broker_code,
        email=email,
        phone=_phone_or_none(event.phone, tools),
        display_name=name,
        scope={"broker_code": event.broker_code},
    )
    if account is not None:
        await send_broker_activation(uow, tools, account)
        return
    existing = await uow.accounts.by_identifier(tenant, "broker", event.broker_code, for_update=True)
    phone = _phone_or_none(event.phone, tools)
    changes = {k: v for k, v in {"email": email, "phone": phone, "display_name": name}.items() if getattr(existing, k) != v}
    if carried_by(existing.pending_contact, email, phone):
        changes["pending_contact"] = None  # the legacy system carries the change asked in the portal
    if changes:
        await uow.accounts.update(existing, **changes)  # the legacy system's values are the truth


async def member_affiliated(event: MemberAffiliated, envelope: Envelope, uow: IdentityUnitOfWork, *, tools: Tools) -> None:
    await uow.members.save(
        tenant=envelope.tenant,
        member_number=event.member_number,
        last_name=event.primary.last_name,
        first_name=event.primary.first_name,
        birth_dates=[event.primary.birth_date, *(d.birth_date for d in event.dependants)],
        email=str(event.email).lower() if event.email else None,
        mobile_phone=mobile_or_none(event.mobile_phone, tools.settings.phone_region),
        postal_code=event.address.postal_code,
        contract_number=event.contract_number,
        mutuelle_code=event.mutuelle_code,
    )
    await uow.members.affiliate(
        tenant=envelope.tenant,
        member_number=event.member_number,
        membership_id=event.membership_id,
        contract_number=event.contract_number,
        start_date=event.effective_date,
    )
    account = await uow.accounts.by_identifier(envelope.tenant, "member", event.member_number, for_update=True)
    email, phone = (str(event.email).lower() if event.email else None), mobile_or_none(event.mobile_phone, tools.settings.phone_region)
    if account is not None and carried_by(account.pending_contact, email, phone):
        # The legacy system carries the change the member asked for: the account follows it.
        changes = {"pending_contact": None, "email": email or account.email, "phone": phone or account.phone}
        if account.login_key and email and tools.tenant(account.tenant).members_log_in_by_mutuelle:
            changes["login_key"] = mutuelle_login_key(account.login_key.split(":", 1)[0], email)
        await uow.accounts.update(account, **changes)


async def member_radiated(event: MemberRadiated, envelope: Envelope, uow: IdentityUnitOfWork, *, tools: Tools) -> None:
    """A membership ended: once all of a member's have (a later affiliation makes them a member again), no new
    activation, and read access for the tenant's period."""
    await uow.members.radiate(
        tenant=envelope.tenant,
        member_number=event.member_number,
        membership_id=event.membership_id,
        contract_number=event.contract_number,
        effective_date=event.effective_date,
    )


def _phone_or_none(raw: str | None, tools: Tools) -> str | None:
    try:
        return canonical_phone(raw, tools.settings.phone_region) if raw else None
    except InvalidContact:
        return None


async def company_registered(event: CompanyRegistered, envelope: Envelope, uow: IdentityUnitOfWork, *, tools: Tools) -> None:
    """The company's primary correspondent gets an account (identifier C + company code) and an invitation."""
    primary = next((c for c in event.contacts if c.primary), None)
    if primary is None or not primary.email:
        return
    account = await uow.accounts.add(
        tenant=envelope.tenant,
        kind="correspondent",
        identifier=f"C{event.company_code}",
        email=str(primary.email).lower(),
        display_name=f"{primary.first_name} {primary.last_name}",
        scope={"company_code": event.company_code, "company_name": event.legal_name, "contracts": "all", "primary": True},
    )
    if account is not None:
        await invite(uow, tools, account, company=event.legal_name)


async def contract_signed(event: CollectiveContractSigned, envelope: Envelope, uow: IdentityUnitOfWork, *, tools: Tools) -> None:
    await uow.companies.save(
        tenant=envelope.tenant,
        company_code=event.company_code,
        contract_number=event.contract_number,
        product=event.product.value,
        category=event.category.value,
        insured_groups=[g.value for g in event.insured_groups],
    )
