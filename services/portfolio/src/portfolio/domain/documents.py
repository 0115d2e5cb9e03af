"""The documents a broker attaches to a request (the Kbis of an address change): what is accepted, told
by the file's content, never by its name or the type the browser announces.

Accepted: PDF, PNG and JPEG, recognised by their first bytes; the name's extension must agree with the
content (a program renamed `kbis.pdf` starts with `MZ`, not `%PDF-`: refused); 4 MB at most; not
empty. Each refusal is a French sentence for the user, with the form field it is about.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

MAX_DOCUMENT_BYTES = 4 * 1024 * 1024  # "4 Mo", as the portal announces it
TOO_LARGE = "Le fichier dépasse 4 Mo."

# media type -> (its signature, its label for the user, the extensions a name of it may end with)
ACCEPTED = {
    "application/pdf": (b"%PDF-", "PDF", (".pdf",)),
    "image/png": (b"\x89PNG\r\n\x1a\n", "PNG", (".png",)),
    "image/jpeg": (b"\xff\xd8\xff", "JPEG", (".jpg", ".jpeg")),
}
ALLOWED_EXTENSIONS = tuple(extension for _, _, extensions in ACCEPTED.values() for extension in extensions)
MAX_NAME_LENGTH = 255
# C0 controls, DEL, lone surrogates: a name is kept for people to read (never used as a path), so it must print.
_BAD_NAME = re.compile(r"[\x00-\x1f\x7f\ud800-\udfff]")


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


def check_document(field: str, label: str, name: str | None, data: bytes) -> Document:
    """The file sent in `field` (`label`: what the user calls it, "Le Kbis"), or `DocumentRefused`."""
    name = display_name(name)
    if not name and not data:
        raise DocumentRefused(field, f"{label} est obligatoire.")
    if not data:
        raise DocumentRefused(field, "Le fichier est vide.")
    if len(data) > MAX_DOCUMENT_BYTES:
        raise DocumentRefused(field, TOO_LARGE)
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
