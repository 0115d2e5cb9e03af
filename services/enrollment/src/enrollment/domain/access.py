"""Who asks, as the engine sees them: a requester (the portal, the account, the reference the legacy
system knows them by, and for a correspondent the contracts granted and the insured groups it manages on each) or an operator of the back office.
Every route checks it here, in the service that owns the requests, whatever the gateway checked."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import HTTPException

from extranet_plumbing.auth import CorrespondentScope, Principal, require_correspondent, require_operator, require_terms

PORTALS = {"broker": "broker", "member": "member", "correspondent": "employer"}
# An employee affiliated from the portals (wizard, online enrollment) joins the contract's active group: the
# legacy system affiliates there (MemberAffiliated's default).
NEW_EMPLOYEES_GROUP = "A"
NOT_ACTIVE_GROUP = "Vous ne gérez pas le groupe des actifs de ce contrat collectif, où le salarié affilié entrerait."
NOT_YOUR_CATEGORY = "Vous ne gérez pas la catégorie de population de ce contrat collectif."


@dataclass(frozen=True)
class Requester:
    tenant: str
    portal: str  # broker | member | employer
    account: str
    reference: str  # broker code, member number, company code
    contracts: tuple[str, ...] | None = None  # a correspondent's granted contracts (None: all the company's)
    scope: CorrespondentScope | None = None  # a correspondent's, with the insured groups it manages on each contract

    def may_see(self, contract_number: str | None) -> bool:
        return self.contracts is None or contract_number in self.contracts

    def may_act_on(self, contract_number: str | None, insured_group: str | None) -> bool:
        """An employee of that contract and insured group: on a contract granted, in a group the correspondent manages
        there (an employee whose group is not known: only for a correspondent who manages every group of the contract)."""
        if not self.may_see(contract_number):
            return False
        groups = self.scope.groups_of(contract_number) if self.scope is not None else None
        return groups is None or insured_group in groups

    def may_affiliate(self, contract_number: str | None) -> bool:
        return self.may_act_on(contract_number, NEW_EMPLOYEES_GROUP)

    def manages_category(self, category: str | None) -> bool:
        """A contract of that population category (a category not known: only for a correspondent without a category limit)."""
        categories = self.scope.categories if self.scope is not None else None
        return categories is None or category in categories

    def may_invite(self, contract_number: str | None, category: str | None) -> bool:
        """An online enrollment's invitation on that contract, of that population category: a contract granted where the
        correspondent manages the active group (the employee joins it), and a category it manages (a category not known:
        only for a correspondent without a category limit). The primary correspondent manages them all."""
        return self.may_affiliate(contract_number) and self.manages_category(category)


def requester(who: Principal) -> Requester:
    """The requester behind a token; 403 for an operator or an account without a reference."""
    require_terms(who)
    portal = PORTALS.get(who.kind)
    if portal == "broker" and who.broker_code:
        return Requester(who.tenant, portal, who.subject, who.broker_code)
    if portal == "member" and who.member_number:
        return Requester(who.tenant, portal, who.subject, who.member_number)
    if portal == "employer":
        scope = require_correspondent(who)  # the company and the contracts granted, as every service reads them
        return Requester(who.tenant, portal, who.subject, scope.company_code, scope.contracts, scope)
    raise HTTPException(403, "Cette page est réservée aux adhérents, courtiers et correspondants d'entreprise.")


def correspondent(who: Principal) -> Requester:
    found = requester(who)
    if found.portal != "employer":
        raise HTTPException(403, "Cette page est réservée aux correspondants d'entreprise.")
    return found


def operator(who: Principal) -> str:
    """The operator's account id; 403 for anyone else."""
    return require_operator(who)
