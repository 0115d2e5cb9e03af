"""Where the documents brokers attach are kept: a `DocumentStore` keeps bytes under a random id, per
tenant, and gives them back by that id. The file's name, as the user gave it, is never used to store
it (it lives in the request's row, for people to read), and no content is ever logged.

`LocalFolderStore` keeps each file in `<root>/<tenant>/<id>` (owner-only permissions), written to a
temporary name then renamed, so that a file is there whole or not at all. An object store would be
another implementation of the same protocol.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import uuid
from pathlib import Path
from typing import Protocol

_TENANT = re.compile(r"^[a-z0-9][a-z0-9-]{0,39}$")


class DocumentNotFound(LookupError):
    """No file of this tenant has this id."""


class DocumentStore(Protocol):
    async def put(self, tenant: str, data: bytes) -> uuid.UUID:
        """Keep `data`; its new id."""

    async def open(self, tenant: str, file_id: uuid.UUID) -> bytes:
        """The bytes kept under `file_id` for `tenant`, or `DocumentNotFound`."""

    async def delete(self, tenant: str, file_id: uuid.UUID) -> None:
        """Forget the file (nothing if there is none): a request that could not be recorded keeps no file."""


class LocalFolderStore:
    """Files in a folder of this machine (the embedded stack, a volume in a container)."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def _path(self, tenant: str, file_id: uuid.UUID) -> Path:
        if not _TENANT.match(tenant):
            raise ValueError("not a tenant code")
        return self.root / tenant / uuid.UUID(str(file_id)).hex

    async def put(self, tenant: str, data: bytes) -> uuid.UUID:
        file_id = uuid.uuid4()
        await asyncio.to_thread(self._write, self._path(tenant, file_id), data)
        return file_id

    async def open(self, tenant: str, file_id: uuid.UUID) -> bytes:
        try:
            return await asyncio.to_thread(self._path(tenant, file_id).read_bytes)
        except FileNotFoundError:
            raise DocumentNotFound(str(file_id)) from None

    async def delete(self, tenant: str, file_id: uuid.UUID) -> None:
        await asyncio.to_thread(self._path(tenant, file_id).unlink, missing_ok=True)

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
