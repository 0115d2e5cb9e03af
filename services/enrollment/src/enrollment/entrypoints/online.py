"""Internal HTTP API of the online enrollment (guide 003, « Affiliation en ligne »). A correspondent's routes take
the user's token, checked again here: the company's invitations on the contracts granted to the correspondent,
another's not found alike. The employee's routes take no account: the link's token (header `X-Invitation-Token`,
never in a path or a query, which logs keep) is the only ticket, and it opens one affiliation only."""

# No `from __future__ import annotations`: FastAPI must resolve the local Annotated aliases.
import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Header, HTTPException, Path, Query, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import StreamingResponse

from enrollment.api import (
    STEP_PATTERN,
    InvitationBatch,
    InvitationDetail,
    InvitationList,
    InvitationView,
    RequestDetail,
)
from enrollment.api_files import ATTACHMENT_FORM, FILE_FIELD, AttachmentList
from enrollment.domain import access, kinds
from enrollment.domain import invitations as rules
from enrollment.domain.invitations import Invitation
from enrollment.entrypoints.attachments import NOT_A_FORM, FileId
from enrollment.entrypoints.attachments import _served as served
from enrollment.entrypoints.dependencies import Now, Sealing, Store, Today, UoW
from enrollment.entrypoints.http import detail, form_of, refusals, step_data
from enrollment.service_layer import attachments
from enrollment.service_layer import invitations as use_cases
from enrollment.service_layer import requests as request_cases
from extranet_contracts.types import ContractNumber
from extranet_plumbing.dependencies import Who
from extranet_plumbing.storage import read_form

router = APIRouter(prefix="/internal")
SOON = "L'affiliation en ligne de vos salariés sera bientôt disponible."

InvitationId = Annotated[uuid.UUID, Path(description="The invitation's id")]
LinkToken = Annotated[str, Header(alias="X-Invitation-Token", pattern=r"^[A-Za-z0-9_-]{20,100}$", description="The link's token")]


# --- the correspondent: invite, follow ------------------------------------------------------------------------


@router.post("/invitations", response_model=InvitationList, status_code=201)
async def invite(body: InvitationBatch, who: Who, uow: UoW, sealer: Sealing, now: Now) -> dict:
    """Employees typed one by one, each mailed a link valid one month."""
    me = _correspondent(who)
    people = []
    for i, typed in enumerate(body.employees):
        person, field, why = rules.invitee(typed.civility.value, typed.last_name, typed.first_name, str(typed.email))
        if person is None:
            raise RequestValidationError([{"loc": ("body", "employees", i, field), "msg": why, "type": "value_error"}])
        people.append(person)
    with refusals():
        made = await use_cases.invite(uow, sealer, me, body.contract_number, people, now=now())
    return {"items": [row(i) for i in made]}


@router.post("/invitations/import", response_model=InvitationList, status_code=201)
async def import_file(
    request: Request,
    who: Who,
    uow: UoW,
    sealer: Sealing,
    now: Now,
    contract_number: Annotated[ContractNumber, Query(description="The collective contract the file's employees join")],
) -> dict:
    """A CSV file of exactly four columns (civility M or MME, last name, first name, email) without a header: every
    line's mistake is said (field `file.<line>`), and nothing is imported unless every line is right."""
    me = _correspondent(who)
    people, errors = rules.parse_csv(await request.body())
    if errors:
        raise RequestValidationError(
            [
                {"loc": ("body", "file", line), "msg": (f"Ligne {line} : {why}" if line else why), "type": "value_error"}
                for line, why in errors
            ]
        )
    with refusals():
        made = await use_cases.invite(uow, sealer, me, contract_number, people, now=now())
    return {"items": [row(i) for i in made]}


@router.get("/invitations", response_model=InvitationList)
async def tracking(who: Who, uow: UoW) -> dict:
    """The tracking table: the company's invitations on the contracts granted, oldest first."""
    me = _correspondent(who)
    return {"items": [row(i) for i in await use_cases.tracking(uow, me)]}


@router.get("/invitations/export", response_class=Response, responses={200: {"content": {"text/csv": {}}}})
async def export(who: Who, uow: UoW) -> Response:
    """The tracking table as a CSV file (« Exporter »)."""
    me = _correspondent(who)
    content = use_cases.export(await use_cases.tracking(uow, me))
    return Response(
        content.encode("utf-8-sig"),
        media_type="text/csv; charset=utf-8",
        headers={"content-disposition": 'attachment; filename="suivi-affiliations-en-ligne.csv"'},
    )


@router.post("/invitations/remind-all", response_model=InvitationList)
async def remind_all(who: Who, uow: UoW, sealer: Sealing, now: Now) -> dict:
    """« Relancer tous les salariés »: a new link to each employee who has not finished; the reminded ones."""
    me = _correspondent(who)
    return {"items": [row(i) for i in await use_cases.remind_all(uow, sealer, me, now=now())]}


@router.get("/invitations/{invitation_id}", response_model=InvitationDetail)
async def view(invitation_id: InvitationId, who: Who, uow: UoW) -> dict:
    me = _correspondent(who)
    with refusals():
        invitation, request = await use_cases.view(uow, me, invitation_id)
    return {**row(invitation), "request": detail(request) if request else None}


@router.post("/invitations/{invitation_id}/remind", response_model=InvitationDetail)
async def remind(invitation_id: InvitationId, who: Who, uow: UoW, sealer: Sealing, now: Now) -> dict:
    me = _correspondent(who)
    with refusals():
        invitation = await use_cases.remind(uow, sealer, me, invitation_id, now=now())
    return {**row(invitation), "request": None}


@router.post("/invitations/{invitation_id}/close", response_model=InvitationDetail)
async def close(invitation_id: InvitationId, who: Who, uow: UoW, now: Now) -> dict:
    me = _correspondent(who)
    with refusals():
        invitation = await use_cases.close(uow, me, invitation_id, now=now())
    return {**row(invitation), "request": None}


@router.delete("/invitations/{invitation_id}", status_code=204, response_class=Response)
async def remove(invitation_id: InvitationId, who: Who, uow: UoW, now: Now) -> Response:
    me = _correspondent(who)
    with refusals():
        await use_cases.remove(uow, me, invitation_id, now=now())
    return Response(status_code=204)


# --- the employee, through the link ---------------------------------------------------------------------------


@router.get("/invitation", response_model=InvitationView)
async def open_link(token: LinkToken, uow: UoW, today: Today, now: Now) -> dict:
    """Who invites the employee, the wizard's form and the affiliation (begun at the first visit)."""
    with refusals():
        invitation, request, who = await use_cases.open_link(uow, token, today=today, now=now())
    async with uow:
        company = await use_cases.company_name(uow, invitation.tenant, invitation.company_code)
    return {
        "company_name": company,
        "contract_number": invitation.contract_number,
        "category": invitation.category,
        "civility": invitation.civility,
        "last_name": invitation.last_name,
        "first_name": invitation.first_name,
        "email": invitation.email,
        "expires_at": invitation.expires_at,
        "form": await form_of(uow, who, kinds.AFFILIATION, invitation.contract_number, today),
        "request": detail(request),
    }


@router.put("/invitation/steps/{step}", response_model=RequestDetail)
async def save_step(
    step: Annotated[str, Path(pattern=STEP_PATTERN)], body: dict[str, Any], token: LinkToken, uow: UoW, today: Today, now: Now
) -> dict:
    """One step of the wizard, checked as the correspondent's are."""
    data = step_data(step, body)
    with refusals():
        who, request_id = await use_cases.employee_requester(uow, token, now=now())
        return detail(await request_cases.save_step(uow, who, request_id, step, data, today=today))


@router.post("/invitation/submit", response_model=RequestDetail)
async def submit(token: LinkToken, uow: UoW, today: Today, now: Now) -> dict:
    """Checked again, then sent to the legacy system: the invitation is completed."""
    with refusals():
        who, request_id = await use_cases.employee_requester(uow, token, now=now())
        return detail(await request_cases.submit_request(uow, who, request_id, today=today, now=now()))


# The employee's supporting documents (issue 11): the link's affiliation takes files as the correspondent's draft does.
LINK_ATTACHMENTS_PATH = "/internal/invitation/attachments"


@router.post("/invitation/attachments", response_model=RequestDetail, status_code=201, openapi_extra={"requestBody": ATTACHMENT_FORM})
async def attach(request: Request, token: LinkToken, uow: UoW, store: Store, now: Now) -> dict:
    """A supporting document added to the link's affiliation (PDF, PNG or JPEG told by its bytes, within the size limit)."""
    form = await read_form(request.headers.get("content-type", ""), await request.body())
    if form is None:
        raise HTTPException(415, NOT_A_FORM)
    name, data = form[1].get(FILE_FIELD, (None, b""))
    with refusals():
        who, request_id = await use_cases.employee_requester(uow, token, now=now())
        changed = await attachments.attach(uow, store, who, request_id, name, data, max_bytes=uow.settings.documents_max_bytes, now=now())
    return detail(changed)


@router.delete("/invitation/attachments/{file_id}", response_model=RequestDetail)
async def detach(file_id: FileId, token: LinkToken, uow: UoW, store: Store, now: Now) -> dict:
    with refusals():
        who, request_id = await use_cases.employee_requester(uow, token, now=now())
        return detail(await attachments.detach(uow, store, who, request_id, file_id))


@router.get("/invitation/attachments", response_model=AttachmentList)
async def employees_files(token: LinkToken, uow: UoW, now: Now) -> dict:
    """The files joined so far to the link's affiliation (that invitation's only)."""
    with refusals():
        who, request_id = await use_cases.employee_requester(uow, token, now=now())
        return {"items": await attachments.requesters_attachments(uow, who, request_id)}


@router.get("/invitation/attachments/{file_id}", response_class=StreamingResponse)
async def employees_file(file_id: FileId, token: LinkToken, uow: UoW, store: Store, now: Now) -> StreamingResponse:
    with refusals():
        who, request_id = await use_cases.employee_requester(uow, token, now=now())
        found = await attachments.requesters_attachment(uow, who, request_id, file_id)
    return await served(store, who.tenant, found)


def _correspondent(who) -> access.Requester:
    """A correspondent of a tenant that offers the online enrollment (another shows it « bientôt disponible »)."""
    me = access.correspondent(who)
    if not rules.schedule(me.tenant).enabled:
        raise HTTPException(404, SOON)
    return me


def row(invitation: Invitation) -> dict:
    status = use_cases.effective_status(invitation)
    return {
        "id": str(invitation.id),
        "contract_number": invitation.contract_number,
        "category": invitation.category,
        "civility": invitation.civility,
        "civility_label": rules.CIVILITY_LABELS[invitation.civility],
        "last_name": invitation.last_name,
        "first_name": invitation.first_name,
        "email": invitation.email,
        "status": status,
        "status_label": rules.STATUS_LABELS[status],
        "status_help": rules.STATUS_HELP[status],
        "mail_status": invitation.mail_status,
        "mail_label": rules.MAIL_LABELS[invitation.mail_status],
        "invited_at": invitation.created_at,
        "expires_at": invitation.expires_at,
        "reminders": invitation.reminders,
        "request_id": str(invitation.request_id) if invitation.request_id else None,
    }
