"""A request's files through the portals' API (issue 11): the supporting documents a correspondent sends
with an affiliation draft (multipart, one file a time, field `file`: PDF, PNG or JPEG told by their bytes,
4 MB at most), read back by whoever may see the request, and the termination pack (« attestation de
radiation ») of an accepted termination. Each route is declared here; enrollment checks who asks again,
and answers 404 alike for a request or file of someone else.

The upload is passed on as the user sent it: enrollment reads the form, checks the file by its bytes
and answers with the field at fault in French. This route alone takes a body of a file's size
(`UPLOAD_PATH`, in the bootstrap: a 413 naming the file before more is read)."""

# No `from __future__ import annotations`: FastAPI must resolve the Annotated aliases.
import re
import uuid
from typing import Annotated

from fastapi import APIRouter, Path, Request
from fastapi.responses import StreamingResponse

from enrollment.api import RequestDetail, Upload
from enrollment.api_files import ATTACHMENT_FORM, AttachmentList
from enrollment.domain.access import correspondent, operator
from extranet_plumbing.auth import require_member
from extranet_plumbing.dependencies import Token, Who
from gateway.dependencies import Enrollment
from gateway.errors import Problem, problem_responses
from gateway.routes.employer import LINK, LinkToken

router = APIRouter(prefix="/api")

UPLOAD_PATH = "/api/employer/requests/*/attachments"
MEMBER_UPLOAD_PATH = "/api/member/uploads"
LINK_UPLOAD_PATH = "/api/online-enrollment/attachments"
_PRINTABLE_ASCII = re.compile(r"^[\x20-\x7e]*$")
RequestId = Annotated[uuid.UUID, Path(description="The request's id")]
FileId = Annotated[uuid.UUID, Path(description="The file's id, as the request's `attachments` list it")]


def _problem(description: str) -> dict:
    return {"model": Problem, "description": description, "content": {"application/problem+json": {}}}


FOUND = {**problem_responses(authenticated=True, validated=True), 404: _problem("Aucune de vos demandes ou pièces sous cet identifiant")}
FILE = {200: {"content": {"application/pdf": {}, "image/png": {}, "image/jpeg": {}}, "description": "Le fichier"}, **FOUND}
PACK = {
    200: {"content": {"application/pdf": {}}, "description": "L'attestation de radiation (PDF)"},
    **FOUND,
    409: _problem("La radiation n'est pas encore acceptée"),
}


@router.post(
    "/employer/requests/{request_id}/attachments",
    status_code=201,
    response_model=RequestDetail,
    summary="Joindre une pièce justificative à une affiliation en préparation",
    tags=["employer portal"],
    responses={
        **FOUND,
        409: _problem("La demande est déjà envoyée"),
        413: _problem("Fichier trop volumineux (plus de 4 Mo)"),
        415: _problem("Le corps n'est pas un formulaire multipart"),
    },
    openapi_extra={"requestBody": ATTACHMENT_FORM},
)
async def attach(request_id: RequestId, request: Request, who: Who, token: Token, enrollment: Enrollment) -> RequestDetail:
    """One file (field `file`) added to a draft of the correspondent's: PDF, PNG, JPG or JPEG, recognised by its
    content (a renamed file is refused), 4 MB at most, 10 files a request. Answers with the request, its
    `attachments` listing each file's `file_id`, `name`, `size`, `media_type` and `uploaded_at`."""
    correspondent(who)
    return await enrollment.attach(token, str(request_id), await request.body(), _form_type(request))


def _form_type(request: Request) -> str:
    content_type = request.headers.get("content-type", "")
    # no form's type (a boundary is ASCII): enrollment answers that the body is no form
    return content_type if _PRINTABLE_ASCII.match(content_type) else ""


@router.post(
    "/member/uploads",
    status_code=201,
    response_model=Upload,
    summary="Envoyer un fichier à joindre à un message (Écrivez-nous)",
    tags=["member portal"],
    responses={
        **problem_responses(authenticated=True, validated=True),
        413: _problem("Fichier trop volumineux (plus de 4 Mo)"),
        415: _problem("Le corps n'est pas un formulaire multipart"),
    },
    openapi_extra={"requestBody": ATTACHMENT_FORM},
)
async def member_upload(request: Request, who: Who, token: Token, enrollment: Enrollment) -> Upload:
    """One file (field `file`): PDF, PNG, JPG or JPEG, recognised by its content, 4 MB at most. Answers with its
    `file_id`, to name in `attachments` of « Écrivez-nous » (POST /api/member/requests/message) within a day; a file
    is joined to one message only, and the household's files alone are accepted."""
    require_member(who)
    return await enrollment.member_upload(token, await request.body(), _form_type(request))


@router.delete(
    "/employer/requests/{request_id}/attachments/{file_id}",
    response_model=RequestDetail,
    summary="Retirer une pièce d'une affiliation en préparation",
    tags=["employer portal"],
    responses={**FOUND, 409: _problem("La demande est déjà envoyée")},
)
async def detach(request_id: RequestId, file_id: FileId, who: Who, token: Token, enrollment: Enrollment) -> RequestDetail:
    correspondent(who)
    return await enrollment.detach(token, str(request_id), str(file_id))


@router.get(
    "/employer/requests/{request_id}/attachments/{file_id}",
    response_class=StreamingResponse,
    summary="Télécharger une pièce jointe",
    tags=["employer portal"],
    responses=FILE,
)
async def employer_file(request_id: RequestId, file_id: FileId, who: Who, token: Token, enrollment: Enrollment) -> StreamingResponse:
    correspondent(who)
    return await enrollment.request_file(token, str(request_id), f"attachments/{file_id}")


@router.get(
    "/member/requests/{request_id}/attachments/{file_id}",
    response_class=StreamingResponse,
    summary="Télécharger une pièce jointe",
    tags=["member portal"],
    responses=FILE,
)
async def member_file(request_id: RequestId, file_id: FileId, who: Who, token: Token, enrollment: Enrollment) -> StreamingResponse:
    require_member(who)
    return await enrollment.request_file(token, str(request_id), f"attachments/{file_id}")


@router.get(
    "/backoffice/requests/{request_id}/attachments/{file_id}",
    response_class=StreamingResponse,
    summary="Télécharger une pièce jointe",
    tags=["back office"],
    responses=FILE,
)
async def backoffice_file(request_id: RequestId, file_id: FileId, who: Who, token: Token, enrollment: Enrollment) -> StreamingResponse:
    operator(who)
    return await enrollment.request_file(token, str(request_id), f"attachments/{file_id}", backoffice=True)


@router.get(
    "/employer/requests/{request_id}/termination-pack",
    response_class=StreamingResponse,
    summary="Attestation de radiation d'un salarié",
    tags=["employer portal"],
    responses=PACK,
)
async def employer_pack(request_id: RequestId, who: Who, token: Token, enrollment: Enrollment) -> StreamingResponse:
    """The PDF to hand to the employee once the termination is accepted: last day covered, reason, end of the
    contributions, and what the employee keeps (portability, loi Évin), on the mutuelle's letterhead."""
    correspondent(who)
    return await enrollment.request_file(token, str(request_id), "termination-pack")


@router.get(
    "/backoffice/requests/{request_id}/termination-pack",
    response_class=StreamingResponse,
    summary="Attestation de radiation d'un salarié",
    tags=["back office"],
    responses=PACK,
)
async def backoffice_pack(request_id: RequestId, who: Who, token: Token, enrollment: Enrollment) -> StreamingResponse:
    operator(who)
    return await enrollment.request_file(token, str(request_id), "termination-pack", backoffice=True)


# --- the employee invited to enrol online: through the link (no account), the affiliation's supporting documents ----

# The link's token and its refusals, as the online enrollment's other routes declare them.


@router.post(
    "/online-enrollment/attachments",
    status_code=201,
    response_model=RequestDetail,
    summary="Affiliation en ligne : joindre une pièce justificative",
    tags=["online enrollment"],
    responses={
        **LINK,
        409: _problem("Lien pas encore ouvert, ou affiliation déjà envoyée"),
        413: _problem("Fichier trop volumineux (plus de 4 Mo)"),
        415: _problem("Le corps n'est pas un formulaire multipart"),
    },
    openapi_extra={"requestBody": ATTACHMENT_FORM},
)
async def link_attach(request: Request, enrollment: Enrollment, link: LinkToken) -> RequestDetail:
    """One file (field `file`) added to the affiliation the link opens, checked as the correspondent's are (PDF, PNG,
    JPG or JPEG told by its content, 4 MB at most, 10 files)."""
    return await enrollment.invitation_attach(link, await request.body(), _form_type(request))


@router.delete(
    "/online-enrollment/attachments/{file_id}",
    response_model=RequestDetail,
    summary="Affiliation en ligne : retirer une pièce",
    tags=["online enrollment"],
    responses={**LINK, 409: _problem("Affiliation déjà envoyée")},
)
async def link_detach(file_id: FileId, enrollment: Enrollment, link: LinkToken) -> RequestDetail:
    return await enrollment.invitation_detach(link, str(file_id))


@router.get(
    "/online-enrollment/attachments",
    response_model=AttachmentList,
    summary="Affiliation en ligne : mes pièces jointes",
    tags=["online enrollment"],
    responses={**LINK, 409: _problem("Lien pas encore ouvert")},
)
async def link_files(enrollment: Enrollment, link: LinkToken) -> AttachmentList:
    """The files joined so far to the affiliation the link opens (each `file_id`, `name`, `media_type`, `size`,
    `uploaded_at`); another invitation's are never listed."""
    return await enrollment.invitation_files(link)


@router.get(
    "/online-enrollment/attachments/{file_id}",
    response_class=StreamingResponse,
    summary="Affiliation en ligne : télécharger une pièce jointe",
    tags=["online enrollment"],
    responses={200: FILE[200], **LINK, 409: _problem("Lien pas encore ouvert")},
)
async def link_file(file_id: FileId, enrollment: Enrollment, link: LinkToken) -> StreamingResponse:
    """One of those files, served with the type it was checked as (PDF, PNG or JPEG); a file of another invitation,
    or of no one, is not found."""
    return await enrollment.invitation_file(link, str(file_id))
