"""The internal API's declarations for a request's files (supporting documents sent one at a time with a
draft, multipart, field `file`), declared once: enrollment's routes and the gateway's use them."""

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel

from extranet_plumbing.guard import BodyLimit
from extranet_plumbing.storage import ALLOWED_EXTENSIONS, MAX_DOCUMENT_BYTES, too_large

FILE_FIELD = "file"
ATTACHMENT_FORM = {
    "required": True,
    "content": {
        "multipart/form-data": {
            "schema": {
                "type": "object",
                "required": [FILE_FIELD],
                "properties": {
                    FILE_FIELD: {
                        "type": "string",
                        "format": "binary",
                        "description": f"Pièce justificative : PDF, PNG, JPG ou JPEG ({', '.join(ALLOWED_EXTENSIONS)}), reconnue par son "
                        f"contenu, {MAX_DOCUMENT_BYTES // (1024 * 1024)} Mo au plus",
                    }
                },
            }
        }
    },
}
# The internal paths that take a file (a `*` is one path segment).
ATTACHMENTS_PATH = "/internal/requests/*/attachments"
# The media types a request's file or document is served as (what the store accepted).
SERVED_TYPES = frozenset({"application/pdf", "image/png", "image/jpeg"})


def attachment_body_limit(max_bytes: int = MAX_DOCUMENT_BYTES) -> BodyLimit:
    """The largest body of an upload: the file and its form's few bytes around it; above, a 413 naming the file."""
    return BodyLimit(max_bytes + 64 * 1024, too_large(max_bytes), f"body.{FILE_FIELD}")


class Attachment(BaseModel):
    """A supporting document as its requester sees it listed (never its bytes): its id to download it by, the name it
    was sent with, the type it was checked as, its size and when it was joined."""

    file_id: uuid.UUID
    name: str
    media_type: Literal["application/pdf", "image/png", "image/jpeg"]
    size: int
    uploaded_at: datetime | None = None


class AttachmentList(BaseModel):
    items: list[Attachment]
