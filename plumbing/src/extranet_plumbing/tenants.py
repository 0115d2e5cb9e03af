"""The tenant registry: every tenant (insurer) declared once in `tenants.toml` (or the file named by
`EXTRANET_TENANTS_FILE`), with what all services share (names, website, portal addresses) and a
section per service (`[<tenant>.<service>]`) that the service reads and parses into its own model."""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

DEFAULT_FILE = Path(__file__).parent / "tenants.toml"
PORTALS = ("member", "broker", "employer")


class UnknownTenant(LookupError):
    pass


@dataclass(frozen=True)
class Tenant:
    code: str
    name: str
    short_name: str
    website: str
    portals: dict[str, str]  # member, broker, employer: the portal's base address, without a trailing slash
    sections: dict[str, dict[str, Any]] = field(default_factory=dict, repr=False)

    def section(self, service: str) -> dict[str, Any]:
        """The service's own settings for this tenant (empty if it has none)."""
        return dict(self.sections.get(service, {}))

    def portal_url(self, portal: str, path: str = "") -> str:
        """An address in one of the tenant's portals (`portal`: member, broker or employer)."""
        base = self.portals[portal].rstrip("/")
        return f"{base}/{path.lstrip('/')}" if path else base + "/"


def _parse(code: str, raw: dict[str, Any]) -> Tenant:
    portals = raw.get("portals", {})
    missing = [p for p in PORTALS if p not in portals]
    if missing:
        raise ValueError(f"tenant {code}: no address for the {', '.join(missing)} portal(s)")
    common = {"name", "short_name", "website", "portals"}
    sections = {key: value for key, value in raw.items() if key not in common and isinstance(value, dict)}
    unknown = [key for key, value in raw.items() if key not in common and not isinstance(value, dict)]
    if unknown:
        raise ValueError(f"tenant {code}: unknown keys {unknown} (a service's settings go in [{code}.<service>])")
    return Tenant(
        code, raw["name"], raw.get("short_name", raw["name"]), raw["website"], {p: portals[p].rstrip("/") for p in PORTALS}, sections
    )


@cache
def load_registry(path: Path | None = None) -> dict[str, Tenant]:
    """Every tenant by code, from `path`, else EXTRANET_TENANTS_FILE, else the file shipped here."""
    path = path or Path(os.environ.get("EXTRANET_TENANTS_FILE") or DEFAULT_FILE)
    raw = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    return {code: _parse(code, values) for code, values in raw.items()}


def tenant(code: str, path: Path | None = None) -> Tenant:
    try:
        return load_registry(path)[code]
    except KeyError:
        raise UnknownTenant(code) from None
