"""Tenant configuration of identity, the `identity` section of each tenant in the platform's tenant
registry (extranet_plumbing.tenants): identifiers and how members are found at login, activation
paths, OTP channels, password policies, terms-of-use version, help texts, read access after
radiation; and the portal addresses the registry declares for every service."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from extranet_plumbing.tenants import Tenant, load_registry
from identity.domain.passwords import PasswordPolicy

KINDS = ("member", "broker", "correspondent", "operator")
ACTIVATION_PATHS = {"identifier", "without_identifier", "link", "legacy_match"}
# How a member's login names the account: the member number, or (unions of mutuelles, Solimut) the
# number of the member's mutuelle with the member's email.
MEMBER_LOGINS = {"member_number", "mutuelle_and_email"}


class UnknownTenant(LookupError):
    pass


@dataclass(frozen=True)
class TenantConfig:
    code: str
    name: str
    member_identifier: re.Pattern[str]
    broker_identifier: re.Pattern[str]
    login_requires_email: bool
    member_login: str
    member_activation: frozenset[str]
    otp_channels: tuple[str, ...]
    portal_url: dict[str, str]
    terms_version: str
    help: dict[str, str]
    passwords: dict[str, PasswordPolicy]
    radiated_read_access_months: int = 12

    @property
    def members_log_in_by_mutuelle(self) -> bool:
        return self.member_login == "mutuelle_and_email"

    def password_policy(self, kind: str) -> PasswordPolicy:
        return self.passwords.get(kind) or self.passwords.get("broker") or PasswordPolicy()

    def terms_text(self) -> str:
        """The text of the current version: `terms/<tenant>-<version>.md`, else the common text."""
        folder = Path(__file__).parent.parent / "terms"
        own = folder / f"{self.code}-{self.terms_version}.md"
        return (own if own.exists() else folder / "default.md").read_text(encoding="utf-8")


def _parse(entry: Tenant) -> TenantConfig:
    code, raw = entry.code, entry.section("identity")
    paths = frozenset(raw.get("member_activation", []))
    if not paths <= ACTIVATION_PATHS:
        raise ValueError(f"tenant {code}: unknown activation paths {sorted(paths - ACTIVATION_PATHS)}")
    member_login = raw.get("member_login", "member_number")
    if member_login not in MEMBER_LOGINS:
        raise ValueError(f"tenant {code}: unknown member_login {member_login!r}")
    return TenantConfig(
        code=code,
        name=entry.name,
        member_identifier=re.compile(raw["member_identifier"]),
        broker_identifier=re.compile(raw["broker_identifier"]),
        login_requires_email=bool(raw.get("login_requires_email", False)),
        member_login=member_login,
        member_activation=paths,
        otp_channels=tuple(raw.get("otp_channels", ["email"])),
        portal_url={"member": entry.portals["member"], "broker": entry.portals["broker"], "correspondent": entry.portals["employer"]},
        terms_version=raw["terms_version"],
        help=dict(raw.get("help", {})),
        passwords={kind: PasswordPolicy.from_config(policy) for kind, policy in raw.get("password", {}).items()},
        radiated_read_access_months=int(raw.get("radiated_read_access_months", 12)),
    )


def load_tenants(path: Path | None = None) -> dict[str, TenantConfig]:
    """Every tenant's identity configuration, from the registry at `path` (default: the platform's)."""
    return {code: _parse(entry) for code, entry in load_registry(path).items()}


def tenant(code: str) -> TenantConfig:
    try:
        return load_tenants()[code]
    except KeyError:
        raise UnknownTenant(code) from None
