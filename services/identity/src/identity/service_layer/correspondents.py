"""Company correspondents (guide 003): the primary one comes from the legacy system and invites
secondary ones, limited to some of the company's collective contracts and, on each, possibly to some of
its insured groups (the `contract_groups` of the account's scope, which its access tokens carry)."""

from __future__ import annotations

import uuid

from identity.domain.accounts import Account
from identity.service_layer.common import Tools, send_link
from identity.service_layer.errors import Refused
from identity.service_layer.unit_of_work import IdentityUnitOfWork


async def invite(uow: IdentityUnitOfWork, tools: Tools, account: Account, *, company: str | None = None) -> None:
    """The invitation email of a new correspondent: the identifier and a link to set a password."""
    await send_link(
        uow,
        tools,
        tenant=account.tenant,
        purpose="correspondent_invitation",
        template="correspondent_invitation",
        portal="correspondent",
        path="activation",
        ttl_seconds=tools.settings.activation_link_ttl_seconds,
        reference=account.reference,
        email=account.notification_address,
        name=account.display_name,
        account_id=account.id,
        data={
            "identifier": account.identifier,
            "company_name": company or "",
            "expires_in_hours": tools.settings.activation_link_ttl_seconds // 3600,
        },
    )


async def _primary(uow: IdentityUnitOfWork, account_id: str, refusal: str) -> Account:
    creator = await uow.accounts.get(uuid.UUID(account_id))
    if creator is None or not creator.primary_correspondent:
        raise Refused(403, refusal)
    return creator


async def create_secondary(
    uow: IdentityUnitOfWork,
    tools: Tools,
    *,
    creator_id: str,
    identifier: str,
    last_name: str,
    first_name: str,
    email: str,
    contracts: list[str],
    contract_groups: dict[str, list[str]] | None = None,
) -> dict:
    creator = await _primary(uow, creator_id, "Seul le correspondant principal de l'entreprise peut créer des correspondants.")
    company = creator.scope["company_code"]
    known = await uow.companies.groups(creator.tenant, company)
    if not contracts or set(contracts) - set(known):
        raise Refused(422, "Choisissez un ou plusieurs contrats collectifs de votre entreprise.", "contracts")
    limited = _limited_groups(known, set(contracts), contract_groups or {})
    account = await uow.accounts.add(
        tenant=creator.tenant,
        kind="correspondent",
        identifier=identifier.strip(),
        email=email.strip().lower(),
        display_name=f"{first_name} {last_name}",
        scope={
            "company_code": company,
            "company_name": creator.scope.get("company_name", ""),
            "contracts": sorted(set(contracts)),
            **({"contract_groups": limited} if limited else {}),
            "primary": False,
        },
        created_by=creator.id,
    )
    if account is None:
        raise Refused(409, "Cet identifiant est déjà utilisé.", "identifier")
    await invite(uow, tools, account, company=creator.scope.get("company_name"))
    await uow.commit()
    return {"identifier": account.identifier}


def _limited_groups(known: dict[str, tuple[str, ...] | None], contracts: set[str], chosen: dict[str, list[str]]) -> dict[str, list[str]]:
    """The contracts granted whose insured groups are limited, and to which (guide 003: a correspondent « rattaché en
    fonction du contrat », filtered by the population it manages). Every group of a contract chosen: no limit."""
    limited = {}
    for contract, groups in sorted(chosen.items()):
        if contract not in contracts:
            raise Refused(422, "Ces groupes d'assurés sont ceux d'un contrat que vous ne lui attribuez pas.", f"contract_groups.{contract}")
        offered = known[contract]
        if not groups or (offered is not None and set(groups) - set(offered)):
            raise Refused(422, "Choisissez un ou plusieurs groupes d'assurés de ce contrat.", f"contract_groups.{contract}")
        if offered is None or set(groups) != set(offered):
            limited[contract] = sorted(set(groups))
    return limited


async def list_secondaries(uow: IdentityUnitOfWork, tools: Tools, *, creator_id: str) -> list[dict]:
    creator = await _primary(uow, creator_id, "Seul le correspondant principal de l'entreprise voit ses correspondants.")
    return [
        {
            "identifier": a.identifier,
            "display_name": a.display_name,
            "email": a.email,
            "last_login_at": a.last_login_at,
            "activated": a.active,
            "contracts": a.scope.get("contracts"),
            "contract_groups": a.scope.get("contract_groups") or {},
            "invitation_status": await uow.mails.latest_status(a.id, ("correspondent_invitation",)),
        }
        for a in await uow.accounts.created_by(creator.id)
    ]
