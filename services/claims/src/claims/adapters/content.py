"""Tenant content of the member portal (news, FAQ, contact details, legal notices): files per tenant
under the content folder (`content/<tenant>/`, see its README), read again whenever a file changes, so
that editing them needs no code change and no restart."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from pydantic import TypeAdapter

from claims.api import Contact, FaqEntry, NewsItem

PACKAGED = Path(__file__).resolve().parents[1] / "content"
_NEWS = TypeAdapter(list[NewsItem])
_FAQ = TypeAdapter(list[FaqEntry])


class ContentError(ValueError):
    """A content file that cannot be read (its path and what is wrong, no more)."""


class TenantContent:
    def __init__(self, root: Path | None = None) -> None:
        self.root = Path(root or PACKAGED)
        self._cache: dict[Path, tuple[int, Any]] = {}

    def _read(self, tenant: str, name: str, parse) -> Any:
        """The parsed file, `None` when the tenant has none; parsed again when it changes (its mtime)."""
        if not tenant.isidentifier():
            return None  # a token's tenant is a registry code; nothing else reaches the disk
        path = self.root / tenant / name
        try:
            stamp = path.stat().st_mtime_ns
        except FileNotFoundError:
            return None
        cached = self._cache.get(path)
        if cached and cached[0] == stamp:
            return cached[1]
        try:
            value = parse(path.read_text(encoding="utf-8"))
        except (ValueError, tomllib.TOMLDecodeError) as exc:
            raise ContentError(f"{path}: {type(exc).__name__}") from None
        self._cache[path] = (stamp, value)
        return value

    def news(self, tenant: str) -> list[NewsItem]:
        return self._read(tenant, "news.toml", lambda text: _NEWS.validate_python(tomllib.loads(text).get("news", []))) or []

    def faq(self, tenant: str) -> list[FaqEntry]:
        return self._read(tenant, "faq.toml", lambda text: _FAQ.validate_python(tomllib.loads(text).get("faq", []))) or []

    def contact(self, tenant: str) -> Contact:
        return self._read(tenant, "contact.toml", lambda text: Contact.model_validate(tomllib.loads(text))) or Contact()

    def legal_notices(self, tenant: str) -> list[str]:
        def paragraphs(text: str) -> list[str]:
            return [" ".join(block.split()) for block in text.split("\n\n") if block.strip()]

        return self._read(tenant, "legal.md", paragraphs) or []
