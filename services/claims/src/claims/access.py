"""Who may read a household's reimbursements: a member who accepted the terms of use, and only their
own household's (the member number identity puts in the token's scope when it activates the account).

Plumbing's `extranet_plumbing.auth` has `require_broker` and no member twin yet: this is it, used by the
claims routes and the gateway's member routes. It belongs next to `require_broker` once plumbing takes it.
"""

from __future__ import annotations

from fastapi import HTTPException

from extranet_plumbing.auth import Principal, require_terms

FOR_MEMBERS = "Cette page est réservée aux adhérents."
NOT_YOURS = "Ces remboursements ne sont pas ceux de votre foyer."


def member_number_of(principal: Principal) -> str | None:
    number = principal.scope.get("member_number") if principal.kind == "member" else None
    return number if isinstance(number, str) and number else None


def require_member(principal: Principal, member_number: str | None = None) -> str:
    """The principal's member number; 403 unless it is a member (of the household named, if any) who accepted the terms."""
    require_terms(principal)
    number = member_number_of(principal)
    if number is None:
        raise HTTPException(403, FOR_MEMBERS)
    if member_number is not None and member_number != number:
        raise HTTPException(403, NOT_YOURS)
    return number
