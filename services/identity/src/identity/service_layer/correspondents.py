"""Company correspondents (guide 003): the primary one comes from the legacy system and invites
secondary ones, limited to some of the company's collective contracts and, on each, possibly to some of
its insured groups (the `contract_groups` of the account's scope, which its access tokens carry)."""

from __future__ import annotations

import asyncio
import math
import time
import uuid
from datetime import UTC, datetime

from extranet_contracts.sessions import SessionsRevoked
from identity.domain.accounts import Account
from identity.service_layer.common import Tools, send_link
from identity.service_layer.errors import Refused
from identity.service_layer.sessions import tokens_horizon
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
    categories: list[str] | None = None,
) -> dict:
    creator = await _primary(uow, creator_id, "Seul le correspondant principal de l'entreprise peut créer des correspondants.")
    company = creator.scope["company_code"]
    account = await uow.accounts.add(
        tenant=creator.tenant,
        kind="correspondent",
        identifier=identifier.strip(),
        email=email.strip().lower(),
        display_name=f"{first_name} {last_name}",
        scope={
            "company_code": company,
            "company_name": creator.scope.get("company_name", ""),
            **await _grant(uow, creator, contracts, contract_groups or {}, categories or []),
            "primary": False,
        },
        created_by=creator.id,
    )
    if account is None:
        raise Refused(409, "Cet identifiant est déjà utilisé.", "identifier")
    await invite(uow, tools, account, company=creator.scope.get("company_name"))
    await uow.commit()
    return {"identifier": account.identifier}


async def change_grant(
    uow: IdentityUnitOfWork,
    tools: Tools,
    *,
    creator_id: str,
    identifier: str,
    contracts: list[str],
    contract_groups: dict[str, list[str]] | None = None,
    categories: list[str] | None = None,
) -> dict:
    """The primary correspondent changes what a secondary one of its company sees (contracts, population categories,
    insured groups). The secondary's access tokens issued until now are refused at once by every service (its
    session is kept): its next request renews its token, which carries the new grant."""
    creator = await _primary(uow, creator_id, "Seul le correspondant principal de l'entreprise peut modifier ses correspondants.")
    account = await uow.accounts.by_identifier(creator.tenant, "correspondent", identifier.strip(), for_update=True)
    if (
        account is None
        or account.status == "deleted"
        or account.primary_correspondent
        or account.scope.get("company_code") != creator.scope["company_code"]
    ):
        raise Refused(404, "Aucun correspondant de votre entreprise sous cet identifiant.", "identifier")
    granted = await _grant(uow, creator, contracts, contract_groups or {}, categories or [])
    kept = {k: v for k, v in account.scope.items() if k not in ("contracts", "contract_groups", "categories")}
    await uow.accounts.update(account, scope={**kept, **granted})
    await _refuse_tokens_issued_so_far(uow, tools, account)
    await uow.commit()
    return await _listed(uow, account)


async def _refuse_tokens_issued_so_far(uow: IdentityUnitOfWork, tools: Tools, account: Account) -> None:
    """Every access token of the account issued until now is refused by every service (`SessionsRevoked` with
    `issued_before`, through the outbox), its sessions kept. A token's `iat` is a whole second: the cut is the end of the
    current second, and the change commits only once that second is over; a renewal waits for the account's row
    (`sessions.refresh` locks it), so a token issued after the change carries the new grant and is never refused."""
    now = time.time()
    cut = math.floor(now)
    event = SessionsRevoked(
        account_id=account.id, issued_before=datetime.fromtimestamp(cut, UTC), until=tokens_horizon(tools), reason="grant_changed"
    )
    await uow.publish(event, tenant=account.tenant)
    await asyncio.sleep(cut + 1 - now)


async def _grant(
    uow: IdentityUnitOfWork, creator: Account, contracts: list[str], contract_groups: dict[str, list[str]], categories: list[str]
) -> dict:
    """The scope's grant (contracts, and where limited their insured groups and the population categories), checked
    against the company's contracts as the legacy system described them."""
    known = await uow.companies.contracts(creator.tenant, creator.scope["company_code"])
    if not contracts or set(contracts) - set(known):
        raise Refused(422, "Choisissez un ou plusieurs contrats collectifs de votre entreprise.", "contracts")
    offered_categories = {category for category, _ in known.values()}
    if set(categories) - offered_categories:
        raise Refused(422, "Choisissez des catégories de population des contrats de votre entreprise.", "categories")
    if categories and any(known[k][0] not in categories for k in contracts):
        raise Refused(422, "Un contrat choisi n'est d'aucune des catégories de population choisies.", "contracts")
    limited = _limited_groups({k: groups for k, (_, groups) in known.items()}, set(contracts), contract_groups)
    every_category = not categories or set(categories) == offered_categories
    return {
        "contracts": sorted(set(contracts)),
        **({"contract_groups": limited} if limited else {}),
        **({} if every_category else {"categories": sorted(set(categories))}),
    }


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
    return [await _listed(uow, a) for a in await uow.accounts.created_by(creator.id)]


async def _listed(uow: IdentityUnitOfWork, a: Account) -> dict:
    return {
        "identifier": a.identifier,
        "display_name": a.display_name,
        "email": a.email,
        "last_login_at": a.last_login_at,
        "activated": a.active,
        "contracts": a.scope.get("contracts"),
        "contract_groups": a.scope.get("contract_groups") or {},
        "categories": a.scope.get("categories") or [],
        "invitation_status": await uow.mails.latest_status(a.id, ("correspondent_invitation",)),
    }
