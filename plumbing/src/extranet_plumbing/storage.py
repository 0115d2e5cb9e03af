"""Files users send and files the platform keeps, in one place: what is accepted (told by the bytes),
how a multipart form is read, and the store that keeps the bytes.

What is accepted: PDF, PNG and JPEG, recognised by their first bytes (their magic number), never by
the name or the type the browser announces; the name's extension must agree with the content (a
program renamed `kbis.pdf` starts with `MZ`, not `%PDF-`: refused); not empty; at most
`max_bytes` (4 MB by default, `EXTRANET_DOCUMENTS_MAX_BYTES`). Each refusal is a French sentence for
the user with the form field it is about (`DocumentRefused`). A file is served back with the type it
was checked as, never executed, never logged.

Where the bytes live: a `DocumentStore` keeps bytes per tenant under a random key (a UUID: 122 random
bits, never derived from the name the user gave, which lives in the owner's row for people to read),
gives them back whole (`get`) or in chunks (`stream`), and forgets them (`delete`). A key is checked
to be a UUID and a tenant a tenant code before any path is made of them: no key can name a file
outside the store's folder (`..`, `/`, `%2F`, absolute paths are refused as keys).

`LocalFolderStore` keeps each file in `<root>/<tenant>/<key hex>` (owner-only permissions), written to
a temporary name then renamed, so that a file is there whole or not at all; the folder is created by
the service on first use. An S3-compatible object store would be another implementation of the same
protocol (`put`, `get`, `stream`, `delete`).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import os
import re
import tempfile
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from email import policy
from email.parser import BytesParser
from email.utils import collapse_rfc2231_value
from pathlib import Path
from typing import Protocol
from urllib.parse import quote

from fastapi import HTTPException
from fastapi.responses import StreamingResponse
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

MAX_DOCUMENT_BYTES = 4 * 1024 * 1024  # "4 Mo", as the portals announce it
CHUNK_BYTES = 64 * 1024

# media type -> (its signature, its label for the user, the extensions a name of it may end with)
ACCEPTED = {
    "application/pdf": (b"%PDF-", "PDF", (".pdf",)),
    "image/png": (b"\x89PNG\r\n\x1a\n", "PNG", (".png",)),
    "image/jpeg": (b"\xff\xd8\xff", "JPEG", (".jpg", ".jpeg")),
}
MEDIA_TYPES = frozenset(ACCEPTED)
ALLOWED_EXTENSIONS = tuple(extension for _, _, extensions in ACCEPTED.values() for extension in extensions)
MAX_NAME_LENGTH = 255
# C0 controls, DEL, lone surrogates: a name is kept for people to read (never used as a path), so it must print.
_BAD_NAME = re.compile(r"[\x00-\x1f\x7f\ud800-\udfff]")
_TENANT = re.compile(r"^[a-z0-9][a-z0-9-]{0,39}$")


def too_large(max_bytes: int = MAX_DOCUMENT_BYTES) -> str:
    """The refusal of a file over `max_bytes`, in the unit the portals announce ("4 Mo")."""
    megabytes = max_bytes / (1024 * 1024)
    shown = f"{megabytes:.0f}" if megabytes == int(megabytes) else f"{megabytes:.1f}".replace(".", ",")
    return f"Le fichier dépasse {shown} Mo."


TOO_LARGE = too_large()


class StorageSettings(BaseSettings):
    """Where a service keeps its files and how large one may be (`EXTRANET_DOCUMENTS_DIR`,
    `EXTRANET_DOCUMENTS_MAX_BYTES`). A service's settings inherit it; the folder defaults to one of
    the machine's temporary folder named after the service (a lasting volume wherever the service runs
    for real; the embedded stack: .stack/documents/<service>)."""

    model_config = SettingsConfigDict(env_prefix="EXTRANET_", extra="ignore")

    documents_dir: Path | None = Field(default=None, description="The store's folder (default: <tmp>/extranet-documents/<service>)")
    documents_max_bytes: int = Field(default=MAX_DOCUMENT_BYTES, ge=1, le=64 * 1024 * 1024, description="Largest file accepted")

    def documents_folder(self, service_name: str) -> Path:
        return self.documents_dir or Path(tempfile.gettempdir()) / "extranet-documents" / service_name


# --- what is accepted ---------------------------------------------------------------------------------------


class DocumentRefused(ValueError):
    """A file the platform does not take: the field it came in and a sentence for the user."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field, self.message = field, message


@dataclass(frozen=True)
class Document:
    """A checked file: its bytes, the name the user gave it (for people only), and what its content is."""

    data: bytes
    name: str
    media_type: str
    sha256: str

    @property
    def size(self) -> int:
        return len(self.data)


def media_type_of(data: bytes) -> str | None:
    """The accepted media type the content starts like, if any."""
    return next((media_type for media_type, (signature, _, _) in ACCEPTED.items() if data.startswith(signature)), None)


def display_name(name: str | None) -> str:
    """The last part of the name a browser sent (some send `C:\\fakepath\\kbis.pdf`), trimmed."""
    return re.split(r"[\\/]", name or "")[-1].strip()


def check_document(field: str, label: str, name: str | None, data: bytes, *, max_bytes: int = MAX_DOCUMENT_BYTES) -> Document:
    """The file sent in `field` (`label`: what the user calls it, "Le Kbis"), or `DocumentRefused`."""
    name = display_name(name)
    if not name and not data:
        raise DocumentRefused(field, f"{label} est obligatoire.")
    if not data:
        raise DocumentRefused(field, "Le fichier est vide.")
    if len(data) > max_bytes:
        raise DocumentRefused(field, too_large(max_bytes))
    if len(name) > MAX_NAME_LENGTH or _BAD_NAME.search(name):
        raise DocumentRefused(field, "Le nom du fichier n'est pas valide.")
    media_type = media_type_of(data)
    if media_type is None:
        raise DocumentRefused(field, f"{label} doit être un fichier PDF, PNG ou JPEG.")
    _, kind, extensions = ACCEPTED[media_type]
    if not name.lower().endswith(extensions):
        raise DocumentRefused(
            field, f"Le nom du fichier ne correspond pas à son contenu : un fichier {kind} se termine par {' ou '.join(extensions)}."
        )
    return Document(data=data, name=name, media_type=media_type, sha256=hashlib.sha256(data).hexdigest())


async def served(
    store: DocumentStore, tenant: str, key: uuid.UUID | str, *, media_type: str, name: str, size: int | None = None, missing: str
) -> StreamingResponse:
    """A stored file streamed as a download, with the type it was checked as (never its name's) and the name a person
    gave it; a 404 problem saying `missing` when the store does not hold it."""
    try:
        chunks = await store.stream(tenant, key)
    except DocumentNotFound:
        raise HTTPException(404, missing) from None
    headers = {"content-disposition": content_disposition(name)}
    if size is not None:
        headers["content-length"] = str(size)
    return StreamingResponse(chunks, media_type=media_type, headers=headers)


def content_disposition(name: str) -> str:
    """`attachment` with the name a person gave the file: an ASCII fallback and its UTF-8 form (RFC 6266)."""
    fallback = re.sub(r'[^\x20-\x7e]|["\\]', "_", name) or "document"
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"


# --- multipart forms ------------------------------------------------------------------------------------------

Form = tuple[dict[str, str], dict[str, tuple[str | None, bytes]]]


async def read_form(content_type: str, body: bytes) -> Form | None:
    """The text fields and the files of a multipart/form-data body (the first part of each name), or
    None when the body is no such form. Parsed off the event loop: a 4 MB body takes a moment. The
    request guard has already read the body within the route's own limit, so nothing is gained by
    streaming it."""
    if not content_type.lower().startswith("multipart/form-data") or "boundary=" not in content_type.lower():
        return None
    return await asyncio.to_thread(_parse_form, content_type, body)


def _parse_form(content_type: str, body: bytes) -> Form | None:
    try:
        message = BytesParser(policy=policy.HTTP).parsebytes(b"Content-Type: " + content_type.encode("latin-1") + b"\r\n\r\n" + body)
    except (UnicodeError, ValueError, TypeError, LookupError):
        return None
    if not message.is_multipart():
        return None
    fields: dict[str, str] = {}
    files: dict[str, tuple[str | None, bytes]] = {}
    for part in message.iter_parts():
        try:
            name = collapse_rfc2231_value(part.get_param("name", header="content-disposition") or "")
            file_name = part.get_filename()
            data = part.get_payload(decode=True) or b""
        except (UnicodeError, ValueError, TypeError, LookupError, AttributeError):
            return None
        if not name or name in fields or name in files:
            continue
        if file_name is not None:
            files[name] = (file_name, data)
            continue
        try:
            fields[name] = data.decode("utf-8")
        except UnicodeDecodeError:
            fields[name] = "\x00"  # refused as a forbidden character, naming the field
    return fields, files


# --- where the bytes live ---------------------------------------------------------------------------------------


class DocumentNotFound(LookupError):
    """No file of this tenant has this key (or the key is no key)."""


def storage_key(value: uuid.UUID | str) -> uuid.UUID:
    """A key as the store knows it, or `DocumentNotFound` (a path, `..`, anything but a UUID)."""
    if isinstance(value, uuid.UUID):
        return value
    try:
        return uuid.UUID(str(value))
    except (ValueError, TypeError, AttributeError):
        raise DocumentNotFound("not a storage key") from None


class DocumentStore(Protocol):
    async def put(self, tenant: str, data: bytes) -> uuid.UUID:
        """Keep `data`; its new key."""

    async def get(self, tenant: str, key: uuid.UUID | str) -> bytes:
        """The bytes kept under `key` for `tenant`, or `DocumentNotFound`."""

    async def stream(self, tenant: str, key: uuid.UUID | str, *, chunk_bytes: int = CHUNK_BYTES) -> AsyncIterator[bytes]:
        """The bytes kept under `key`, a chunk at a time: opened here (`DocumentNotFound` if there is none),
        so that a route answers 404 before it starts a response."""

    async def delete(self, tenant: str, key: uuid.UUID | str) -> None:
        """Forget the file (nothing if there is none): a request that could not be recorded keeps no file."""


class LocalFolderStore:
    """Files in a folder of this machine (the embedded stack, a volume in a container)."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    @classmethod
    def from_settings(cls, settings: StorageSettings, service_name: str) -> LocalFolderStore:
        return cls(settings.documents_folder(service_name))

    def path(self, tenant: str, key: uuid.UUID | str) -> Path:
        """Where `key` of `tenant` is kept: always a direct child of the tenant's folder."""
        if not isinstance(tenant, str) or not _TENANT.match(tenant):
            raise DocumentNotFound("not a tenant code")
        return self.root / tenant / storage_key(key).hex

    async def put(self, tenant: str, data: bytes) -> uuid.UUID:
        key = uuid.uuid4()
        await asyncio.to_thread(self._write, self.path(tenant, key), data)
        return key

    async def get(self, tenant: str, key: uuid.UUID | str) -> bytes:
        path = self.path(tenant, key)
        try:
            return await asyncio.to_thread(path.read_bytes)
        except FileNotFoundError:
            raise DocumentNotFound("no such file") from None

    # The name portfolio's address change knew it by.
    open = get

    async def stream(self, tenant: str, key: uuid.UUID | str, *, chunk_bytes: int = CHUNK_BYTES) -> AsyncIterator[bytes]:
        path = self.path(tenant, key)
        try:
            file = await asyncio.to_thread(open, path, "rb")
        except FileNotFoundError:
            raise DocumentNotFound("no such file") from None

        async def chunks() -> AsyncIterator[bytes]:
            try:
                while chunk := await asyncio.to_thread(file.read, chunk_bytes):
                    yield chunk
            finally:
                file.close()

        return chunks()

    async def delete(self, tenant: str, key: uuid.UUID | str) -> None:
        try:
            path = self.path(tenant, key)
        except DocumentNotFound:
            return
        await asyncio.to_thread(path.unlink, missing_ok=True)

    def put_blocking(self, tenant: str, data: bytes) -> uuid.UUID:
        """`put` for a program without an event loop (the legacy simulator depositing its documents)."""
        key = uuid.uuid4()
        self._write(self.path(tenant, key), data)
        return key

    @staticmethod
    def _write(path: Path, data: bytes) -> None:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        partial = path.with_name(f".{path.name}.partial")
        descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(descriptor, "wb") as file:
                file.write(data)
                file.flush()
                os.fsync(file.fileno())
            os.replace(partial, path)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                partial.unlink()
            raise
