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
# Where the portals process serves each portal under one address (`make run`): <base>/<tenant>/<slug>.
PORTAL_SLUGS = {"member": "adherent", "broker": "courtier", "employer": "entreprise"}
# Set (the embedded stack): every tenant's portals are at <this>/<tenant>/<slug>, and links in messages point there.
PORTALS_BASE_URL_VARIABLE = "EXTRANET_PORTALS_BASE_URL"


class UnknownTenant(LookupError):
    pass


@dataclass(frozen=True)
class Tenant:
    code: str
    name: str
    short_name: str
    website: str
    portals: dict[str, str]  # member, broker, employer: the portal's base address, without a trailing slash
    # The [<tenant>.portals] table's other keys (how the portals look: colours, logo text, texts) are
    # the portals process's section, `section("portals")`.
    sections: dict[str, dict[str, Any]] = field(default_factory=dict, repr=False)

    def section(self, service: str) -> dict[str, Any]:
        """The service's own settings for this tenant (empty if it has none)."""
        return dict(self.sections.get(service, {}))

    def portal_url(self, portal: str, path: str = "") -> str:
        """An address in one of the tenant's portals (`portal`: member, broker or employer)."""
        base = self.portals[portal].rstrip("/")
        return f"{base}/{path.lstrip('/')}" if path else base + "/"


def portal_addresses(code: str, portals: dict[str, Any]) -> dict[str, str]:
    """The declared addresses, or with EXTRANET_PORTALS_BASE_URL those of one local portals process."""
    base = os.environ.get(PORTALS_BASE_URL_VARIABLE, "").strip().rstrip("/")
    if base:
        return {p: f"{base}/{code}/{PORTAL_SLUGS[p]}" for p in PORTALS}
    return {p: portals[p].rstrip("/") for p in PORTALS}


def _parse(code: str, raw: dict[str, Any]) -> Tenant:
    portals = raw.get("portals", {})
    missing = [p for p in PORTALS if p not in portals]
    if missing:
        raise ValueError(f"tenant {code}: no address for the {', '.join(missing)} portal(s)")
    common = {"name", "short_name", "website", "portals"}
    sections = {key: value for key, value in raw.items() if key not in common and isinstance(value, dict)}
    sections["portals"] = {key: value for key, value in portals.items() if key not in PORTALS}
    unknown = [key for key, value in raw.items() if key not in common and not isinstance(value, dict)]
    if unknown:
        raise ValueError(f"tenant {code}: unknown keys {unknown} (a service's settings go in [{code}.<service>])")
    return Tenant(code, raw["name"], raw.get("short_name", raw["name"]), raw["website"], portal_addresses(code, portals), sections)


@cache
def load_registry(path: Path | None = None) -> dict[str, Tenant]:
    """Every tenant by code, from `path`, else EXTRANET_TENANTS_FILE, else the file shipped here (read once
    per process: a test that changes the environment calls `load_registry.cache_clear()`)."""
    path = path or Path(os.environ.get("EXTRANET_TENANTS_FILE") or DEFAULT_FILE)
    raw = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    return {code: _parse(code, values) for code, values in raw.items()}


def tenant(code: str, path: Path | None = None) -> Tenant:
    try:
        return load_registry(path)[code]
    except KeyError:
        raise UnknownTenant(code) from None
