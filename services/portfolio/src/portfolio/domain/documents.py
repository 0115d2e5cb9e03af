"""The documents a broker attaches to a request (the Kbis of an address change): what is accepted is
the platform's one rule (`extranet_plumbing.storage`): PDF, PNG and JPEG told by their content, never by
their name or the type the browser announces, a name that agrees with it, 4 MB at most, not empty;
each refusal a French sentence for the user, with the form field it is about."""

from extranet_plumbing.storage import (
    ACCEPTED,
    ALLOWED_EXTENSIONS,
    MAX_DOCUMENT_BYTES,
    TOO_LARGE,
    Document,
    DocumentRefused,
    check_document,
    display_name,
    media_type_of,
)

__all__ = [
    "ACCEPTED",
    "ALLOWED_EXTENSIONS",
    "MAX_DOCUMENT_BYTES",
    "TOO_LARGE",
    "Document",
    "DocumentRefused",
    "check_document",
    "display_name",
    "media_type_of",
]
