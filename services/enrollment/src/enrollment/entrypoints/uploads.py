"""Files sent before the request they join (issue 11), on the internal API (called by the gateway with the
user's token, checked again here):

- POST /internal/member/uploads   multipart, field `file` (201: the upload, whose `file_id` a message names)

The member's « Écrivez-nous » then names the `file_id`s (POST /internal/requests/message); the joined files are
read back as every request's files (GET /internal/requests/{request_id}/attachments/{file_id}, and the back office's).
"""

# No `from __future__ import annotations`: FastAPI must resolve the Annotated aliases.
from fastapi import APIRouter, HTTPException, Request

from enrollment.api import Upload
from enrollment.api_files import ATTACHMENT_FORM, FILE_FIELD
from enrollment.domain import access
from enrollment.entrypoints.attachments import NOT_A_FORM
from enrollment.entrypoints.dependencies import Now, Store, UoW
from enrollment.entrypoints.http import refusals
from enrollment.service_layer import member_requests
from extranet_plumbing.dependencies import Who
from extranet_plumbing.storage import read_form

router = APIRouter(prefix="/internal")

# The internal paths that take a file besides a request's (the bootstrap gives them the upload's body limit).
UPLOADS_PATH = "/internal/member/uploads"


@router.post(UPLOADS_PATH.removeprefix("/internal"), response_model=Upload, status_code=201, openapi_extra={"requestBody": ATTACHMENT_FORM})
async def member_upload(request: Request, who: Who, uow: UoW, store: Store, now: Now) -> dict:
    """A file the household will join to a message (PDF, PNG or JPEG told by its bytes, within the size limit)."""
    me = access.requester(who)
    form = await read_form(request.headers.get("content-type", ""), await request.body())
    if form is None:
        raise HTTPException(415, NOT_A_FORM)
    name, data = form[1].get(FILE_FIELD, (None, b""))
    with refusals():
        return await member_requests.upload(uow, store, me, name, data, max_bytes=uow.settings.documents_max_bytes, now=now())
