"""Contact changes asked in a portal by brokers and members: the legacy system has their email and
phone on file and stays the truth, so a change is a request to it, pending until it carries it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

# The accounts whose contact details belong to the legacy system (the others are the platform's own).
LEGACY_OWNED = ("broker", "member")


def pending_change(
    current_email: str | None, current_phone: str | None, email: str, phone: str | None, at: datetime
) -> dict[str, Any] | None:
    """What a change asks for, only the fields that differ from what is on file; None when nothing does."""
    change: dict[str, Any] = {}
    if email != (current_email or None):
        change["email"] = email
    if phone is not None and phone != current_phone:
        change["phone"] = phone
    if not change:
        return None
    return {"email": change.get("email"), "phone": change.get("phone"), "requested_at": at.isoformat()}


def carried_by(pending: dict[str, Any] | None, email: str | None, phone: str | None) -> bool:
    """True when the legacy system's values now equal every field of the pending change."""
    if not pending:
        return False
    return (pending.get("email") is None or pending["email"] == email) and (pending.get("phone") is None or pending["phone"] == phone)
