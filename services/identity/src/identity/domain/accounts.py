"""The account: who logs in on a portal (member household, broker, company correspondent, operator),
its state, and the rules that only depend on it."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

KINDS = ("member", "broker", "correspondent", "operator")


@dataclass
class Account:
    id: uuid.UUID
    tenant: str
    kind: str
    identifier: str
    status: str = "pending"  # pending | active | deleted
    email: str | None = None
    phone: str | None = None  # E.164
    display_name: str | None = None
    password_hash: str | None = None
    scope: dict[str, Any] = field(default_factory=dict)
    mail_preference: str | None = None
    notification_email: str | None = None
    created_by: uuid.UUID | None = None
    created_at: datetime | None = None
    activated_at: datetime | None = None
    last_login_at: datetime | None = None
    previous_login_at: datetime | None = None
    failed_logins: int = 0
    locked_until: datetime | None = None
    login_key: str | None = None
    pending_contact: dict[str, Any] | None = None

    @property
    def active(self) -> bool:
        return self.status == "active"

    @property
    def can_log_in(self) -> bool:
        return self.active and self.password_hash is not None

    def locked(self, now: datetime) -> bool:
        return self.locked_until is not None and self.locked_until > now

    @property
    def notification_address(self) -> str | None:
        """Where the account's notifications go: the notification email its owner chose, else its email."""
        return self.notification_email or self.email

    @property
    def reference(self) -> str:
        """How notification requests name this account."""
        return f"account:{self.id}"

    @property
    def primary_correspondent(self) -> bool:
        return self.kind == "correspondent" and bool(self.scope.get("primary"))


def mutuelle_login_key(mutuelle_code: str, email: str) -> str:
    """How a login finds a member's account where members log in with their mutuelle's number and email."""
    return f"{mutuelle_code.strip()}:{email.strip().lower()}"


def erasure(account: Account) -> dict[str, Any]:
    """What deleting an account changes (CNIL): its personal data goes, its identifier is freed for a new
    account; what proves consent (terms acceptances, by id) and the security logs stay."""
    return {
        "status": "deleted",
        "identifier": f"deleted:{account.id}",
        "email": None,
        "phone": None,
        "display_name": None,
        "notification_email": None,
        "pending_contact": None,
        "password_hash": None,
        "login_key": None,
        "mail_preference": None,
        "failed_logins": 0,
        "locked_until": None,
    }
