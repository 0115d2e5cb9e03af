"""What identity does with the legacy system's events: brokers get an account and their activation
email, members are kept on file for activation, a company's primary correspondent is invited, and
its collective contracts are kept for the correspondents' scopes. Handlers of the intake consumer
(`(event, envelope, uow)`, bootstrap binds `tools`); they run in the consumer's transaction."""

from __future__ import annotations

from extranet_contracts import Envelope
from extranet_contracts.legacy import BrokerRegistered, CollectiveContractSigned, CompanyRegistered, MemberAffiliated, MemberRadiated
from extranet_contracts.phones import mobile_or_none
from identity.service_layer.activation import send_broker_activation
from identity.service_layer.common import Tools
from identity.service_layer.correspondents import invite
from identity.service_layer.unit_of_work import IdentityUnitOfWork


async def broker_registered(event: BrokerRegistered, envelope: Envelope, uow: IdentityUnitOfWork, *, tools: Tools) -> None:
    """A broker entered the portfolio: an account waiting for its password, and the activation email."""
    tenant, name = envelope.tenant, f"{event.contact_first_name} {event.contact_last_name}"
    email = str(event.email).lower()
    account = await uow.accounts.add(
        tenant=tenant, kind="broker", identifier=event.broker_code, email=email, display_name=name, scope={"broker_code": event.broker_code}
    )
    if account is not None:
        await send_broker_activation(uow, tools, account)
        return
    existing = await uow.accounts.by_identifier(tenant, "broker", event.broker_code, for_update=True)
    if existing.email != email or existing.display_name != name:
        await uow.accounts.update(existing, email=email, display_name=name)


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


async def member_radiated(event: MemberRadiated, envelope: Envelope, uow: IdentityUnitOfWork, *, tools: Tools) -> None:
    """A membership ended: once all of a member's have, no new activation, and read access for the tenant's period."""
    await uow.members.radiate(
        tenant=envelope.tenant,
        member_number=event.member_number,
        contract_number=event.contract_number,
        effective_date=event.effective_date,
    )


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
    )
