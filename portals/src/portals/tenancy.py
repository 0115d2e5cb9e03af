"""Which tenant's portal a request is for, and how that portal looks.

A portal is served at its address in the tenant registry (`[<tenant>.portals]`: host and path, as in
production), or under `/<tenant>/<slug>` on any host (`make run`, tests: `/mbtp/courtier/...`; with
EXTRANET_PORTALS_BASE_URL the registry's addresses are exactly those). `SiteMiddleware` finds the
site and serves the rest of the path under it (ASGI `root_path`), so that routes are written once."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from extranet_plumbing.tenants import PORTAL_SLUGS, PORTALS, Tenant, load_registry

TITLES = {"member": "Espace adhérent", "broker": "Espace courtier", "employer": "Espace entreprise", "backoffice": "Espace gestion"}
# The back office (the mutuelle's operators): at the address `backoffice` of `[<tenant>.portals]` in production (a key
# the portals process alone reads: no message links to it), and under /<tenant>/gestion/ on any host.
BACKOFFICE, BACKOFFICE_SLUG = "backoffice", "gestion"


@dataclass(frozen=True)
class Look:
    """A tenant's portals as `[<tenant>.portals]` describes them (colours, logo text, texts, footer)."""

    name: str
    short_name: str
    website: str
    colour: str = "#1d3f8f"
    accent: str = "#e8eef9"
    logo_text: str = ""
    postal_address: str = ""
    phone: str = ""
    legal_notice: str = ""
    contact: tuple[tuple[str, str], ...] = ()
    welcome: tuple[tuple[str, str], ...] = ()
    footer_links: tuple[tuple[str, str], ...] = ()

    @classmethod
    def of(cls, entry: Tenant) -> Look:
        raw: dict[str, Any] = entry.section("portals")
        return cls(
            name=entry.name,
            short_name=entry.short_name,
            website=entry.website,
            colour=raw.get("colour", cls.colour),
            accent=raw.get("accent", cls.accent),
            logo_text=raw.get("logo_text", entry.short_name),
            postal_address=raw.get("postal_address", ""),
            phone=raw.get("phone", ""),
            legal_notice=raw.get("legal_notice", ""),
            contact=tuple(raw.get("contact", {}).items()),
            welcome=tuple(raw.get("welcome", {}).items()),
            footer_links=tuple((label, url) for label, url in raw.get("footer_links", [])),
        )


@dataclass(frozen=True)
class Site:
    """One portal of one tenant, as a request reached it (`base_path`: where its pages start)."""

    tenant: str
    portal: str  # member | broker | employer | backoffice
    base_path: str
    look: Look

    @property
    def title(self) -> str:
        return TITLES[self.portal]

    @property
    def contact_email(self) -> str:
        return dict(self.look.contact).get(self.portal, "")

    @property
    def welcome(self) -> str:
        return dict(self.look.welcome).get(self.portal, "")

    def url(self, path: str = "/") -> str:
        return self.base_path + path


class Sites:
    """Every site of the registry, found by host and path."""

    def __init__(self, tenants_file: Path | None = None) -> None:
        registry = load_registry(tenants_file)
        self.looks = {code: Look.of(entry) for code, entry in registry.items()}
        self._by_address: list[tuple[str, str, str, str]] = []  # host, path prefix, tenant, portal
        for code, entry in registry.items():
            declared = {portal: entry.portals[portal] for portal in PORTALS}
            if entry.section("portals").get(BACKOFFICE):
                declared[BACKOFFICE] = entry.section("portals")[BACKOFFICE]
            for portal, url in declared.items():
                address = urlsplit(url)
                self._by_address.append((address.netloc.lower(), address.path.rstrip("/"), code, portal))
        # Longest path first: /espace-adherent before /.
        self._by_address.sort(key=lambda item: len(item[1]), reverse=True)
        self._slugs = {slug: portal for portal, slug in PORTAL_SLUGS.items()} | {BACKOFFICE_SLUG: BACKOFFICE}

    def site(self, host: str, path: str) -> Site | None:
        host = host.lower()
        for netloc, prefix, code, portal in self._by_address:
            if netloc == host and (path == prefix or path.startswith(prefix + "/") or not prefix):
                return Site(code, portal, prefix, self.looks[code])
        parts = path.split("/", 3)
        if len(parts) >= 3 and parts[1] in self.looks and parts[2] in self._slugs:
            return Site(parts[1], self._slugs[parts[2]], f"/{parts[1]}/{parts[2]}", self.looks[parts[1]])
        return None

    def addresses(self) -> dict[str, dict[str, str]]:
        slugs = {**PORTAL_SLUGS, BACKOFFICE: BACKOFFICE_SLUG}
        return {code: {portal: f"/{code}/{slug}/" for portal, slug in slugs.items()} for code in self.looks}


class SiteMiddleware:
    """ASGI: puts the request's `Site` in `scope["state"]["site"]` and its path prefix in `root_path`."""

    def __init__(self, app: Any, sites: Sites) -> None:
        self.app, self.sites = app, sites

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            headers = dict(scope.get("headers") or [])
            host = headers.get(b"host", b"").decode("latin-1")
            site = self.sites.site(host, scope["path"])
            if site is not None:
                scope = {
                    **scope,
                    "root_path": scope.get("root_path", "") + site.base_path,
                    "state": {**scope.get("state", {}), "site": site},
                }
        await self.app(scope, receive, send)
