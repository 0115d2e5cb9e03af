"""Message templates (Jinja2 files under `templates/<name>/`) and the tenants' branding.

A template is a folder: `email.subject.txt` + `email.txt` + `email.html` make its email version,
`sms.txt` its SMS version. A tenant may override any file under `templates/tenants/<tenant>/<name>/`.
Variables are the request's `data`, plus `tenant` (branding, from the tenant registry) and `recipient`
(`display_name`, `reference`). A missing variable is an error (StrictUndefined), never a blank.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, TemplateError, Undefined, select_autoescape

from extranet_contracts.notifications import Channel
from extranet_plumbing.tenants import load_registry

PACKAGE = Path(__file__).resolve().parents[1]
TEMPLATES = PACKAGE / "templates"

FILES: dict[Channel, tuple[str, ...]] = {
    Channel.EMAIL: ("email.subject.txt", "email.txt", "email.html"),
    Channel.SMS: ("sms.txt",),
}


class TemplateProblem(ValueError):
    """The request cannot be rendered (unknown template, missing or unusable variable); the message
    names the template and the variable, never a value."""


@dataclass(frozen=True)
class Tenant:
    code: str
    name: str
    short_name: str
    sender_email: str
    sender_name: str
    contact_email: str
    broker_contact_email: str
    website: str
    broker_portal_url: str
    member_portal_url: str
    employer_portal_url: str
    postal_address: str
    sms_sender: str | None
    colour: str
    legal_notice: str


def load_tenants(path: Path | None = None) -> dict[str, Tenant]:
    """The branding of every tenant: the registry's common facts and its `notifications` section."""
    return {
        code: Tenant(
            code=code,
            name=entry.name,
            short_name=entry.short_name,
            website=entry.website,
            broker_portal_url=entry.portal_url("broker"),
            member_portal_url=entry.portal_url("member"),
            employer_portal_url=entry.portal_url("employer"),
            **{"sms_sender": None, **entry.section("notifications")},
        )
        for code, entry in load_registry(path).items()
    }


@dataclass(frozen=True)
class RenderedEmail:
    subject: str
    text: str
    html: str


def date_fr(value: Any) -> str:
    """An ISO date or datetime (or a date object) as French readers write it: 31/12/2026."""
    if isinstance(value, Undefined):
        value._fail_with_undefined_error()  # names the missing variable, as everywhere else
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value) if "T" in value else date.fromisoformat(value)
        except ValueError:
            raise TemplateProblem("a date variable is not an ISO date") from None
    if isinstance(value, datetime):
        return value.strftime("%d/%m/%Y à %Hh%M")
    if isinstance(value, date):
        return value.strftime("%d/%m/%Y")
    raise TemplateProblem("a date variable is not a date")


_BLANK_LINES = re.compile(r"\n{3,}")


def _tidy_text(text: str) -> str:
    return _BLANK_LINES.sub("\n\n", "\n".join(line.rstrip() for line in text.strip().splitlines())) + "\n"


class Templates:
    """The catalogue of templates, rendered with the tenant's branding."""

    def __init__(self, directory: Path = TEMPLATES, tenants: dict[str, Tenant] | None = None) -> None:
        self.directory = directory
        self.tenants = tenants if tenants is not None else load_tenants()
        self._env = Environment(
            loader=FileSystemLoader(str(directory)),
            undefined=StrictUndefined,
            autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False),
            trim_blocks=True,
            lstrip_blocks=True,
            auto_reload=False,
            cache_size=-1,
        )
        self._env.filters["date_fr"] = date_fr
        self._branding = {code: asdict(tenant) for code, tenant in self.tenants.items()}
        # Which file each (tenant, template, file) resolves to, decided once.
        self._files: dict[tuple[str | None, str, str], str] = {}
        for path in directory.rglob("*"):
            if path.is_file():
                parts = path.relative_to(directory).parts
                if len(parts) == 2 and not parts[0].startswith("_"):
                    self._files[(None, parts[0], parts[1])] = "/".join(parts)
                elif len(parts) == 4 and parts[0] == "tenants":
                    self._files[(parts[1], parts[2], parts[3])] = "/".join(parts)

    def names(self) -> list[str]:
        return sorted({name for tenant, name, _ in self._files if tenant is None})

    def tenant(self, code: str) -> Tenant:
        try:
            return self.tenants[code]
        except KeyError:
            raise TemplateProblem(f"unknown tenant {code!r}: not in the tenant registry") from None

    def _file(self, tenant: str, name: str, file: str) -> str | None:
        return self._files.get((tenant, name, file)) or self._files.get((None, name, file))

    def channels(self, name: str, tenant: str) -> set[Channel]:
        """The channels `name` has a complete version for, for this tenant."""
        return {channel for channel, files in FILES.items() if all(self._file(tenant, name, f) for f in files)}

    def exists(self, name: str) -> bool:
        return any(n == name for _, n, _ in self._files)

    def _render(self, tenant: Tenant, name: str, file: str, context: dict[str, Any]) -> str:
        path = self._file(tenant.code, name, file)
        if path is None:
            raise TemplateProblem(f"template {name!r} has no {file}")
        try:
            return self._env.get_template(path).render(context)
        except TemplateProblem as exc:
            raise TemplateProblem(f"template {name!r} ({file}): {exc}") from None
        except TemplateError as exc:  # UndefinedError says which variable, never a value
            raise TemplateProblem(f"template {name!r} ({file}): {exc.message or type(exc).__name__}") from None
        except Exception as exc:  # a filter or an operation given the wrong kind of value
            raise TemplateProblem(f"template {name!r} ({file}): {type(exc).__name__} on a variable") from None

    def _context(self, tenant: Tenant, data: dict[str, Any], recipient: dict[str, Any]) -> dict[str, Any]:
        context = dict(data)
        context["tenant"] = self._branding[tenant.code]
        context["recipient"] = {"display_name": recipient.get("display_name"), "reference": recipient.get("reference")}
        return context

    def email(self, name: str, tenant_code: str, data: dict[str, Any], recipient: dict[str, Any]) -> RenderedEmail:
        tenant = self.tenant(tenant_code)
        context = self._context(tenant, data, recipient)
        subject = " ".join(self._render(tenant, name, "email.subject.txt", context).split())
        return RenderedEmail(
            subject=subject,
            text=_tidy_text(self._render(tenant, name, "email.txt", context)),
            html=self._render(tenant, name, "email.html", context),
        )

    def sms(self, name: str, tenant_code: str, data: dict[str, Any], recipient: dict[str, Any]) -> str:
        tenant = self.tenant(tenant_code)
        return " ".join(self._render(tenant, name, "sms.txt", self._context(tenant, data, recipient)).split())

    def check(self, name: str, channel: Channel, tenant_code: str, data: dict[str, Any], recipient: dict[str, Any]) -> None:
        """Render once, to refuse a request that could never be sent (raises TemplateProblem)."""
        if channel is Channel.EMAIL:
            self.email(name, tenant_code, data, recipient)
        else:
            self.sms(name, tenant_code, data, recipient)
