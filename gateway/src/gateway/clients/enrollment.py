"""Typed client of the enrollment service (the request engine): answers validated against `enrollment.api`'s
models. The requester is the token's (enrollment checks it again): no route names a requester."""

from __future__ import annotations

from typing import Any

from fastapi.responses import StreamingResponse

from enrollment.api import (
    BackofficeList,
    ContributionDue,
    InvitationDetail,
    InvitationList,
    InvitationView,
    RequestDetail,
    RequestForm,
    RequestList,
    Upload,
)
from enrollment.api_files import SERVED_TYPES, AttachmentList
from gateway.clients.base import ServiceClient, segment

# The member's situation changes (guide 004, « Modifications »): enrollment's route of each.
MEMBER_CHANGES = (
    "benefits-iban",
    "contribution-iban",
    "debit-day",
    "remove-beneficiary",
    "change-guarantee",
    "address",
    "contact-details",
    "communication-choices",
    "sponsorship",
)
# « Paiement de cotisation en ligne » (guide 004, « Cotisation »): one tenant's, sent like the changes.
CONTRIBUTION_PAYMENT = "contribution-payment"


class EnrollmentClient(ServiceClient):
    # --- a requester's own requests (every portal) ---------------------------------------------------------

    async def my_requests(self, token: str, params: dict[str, Any]) -> RequestList:
        return await self.request(
            "GET", "/internal/requests", route="GET /internal/requests", model=RequestList, token=token, params=params
        )

    async def my_request(self, token: str, request_id: str) -> RequestDetail:
        return await self.request(
            "GET",
            f"/internal/requests/{segment(request_id)}",
            route="GET /internal/requests/{request_id}",
            model=RequestDetail,
            token=token,
        )

    async def form(self, token: str, kind: str, params: dict[str, Any] | None = None) -> RequestForm:
        return await self.request(
            "GET",
            f"/internal/requests/forms/{segment(kind)}",
            route="GET /internal/requests/forms/{kind}",
            model=RequestForm,
            token=token,
            params=params,
        )

    async def draft_termination(self, token: str, body: dict[str, Any]) -> RequestDetail:
        return await self.request(
            "POST",
            "/internal/requests/employee-termination",
            route="POST /internal/requests/employee-termination",
            model=RequestDetail,
            token=token,
            json_body=body,
        )

    async def draft_affiliation(self, token: str, body: dict[str, Any]) -> RequestDetail:
        return await self.request(
            "POST",
            "/internal/requests/affiliation",
            route="POST /internal/requests/affiliation",
            model=RequestDetail,
            token=token,
            json_body=body,
        )

    async def save_step(self, token: str, request_id: str, step: str, body: dict[str, Any]) -> RequestDetail:
        """One step of the affiliation wizard (`step`: family, address, contact, coverage, bank)."""
        return await self.request(
            "PUT",
            f"/internal/requests/{segment(request_id)}/steps/{segment(step)}",
            route="PUT /internal/requests/{request_id}/steps/{step}",
            model=RequestDetail,
            token=token,
            json_body=body,
        )

    async def order_tp_card(self, token: str, body: dict[str, Any]) -> RequestDetail:
        return await self.request(
            "POST", "/internal/requests/tp-card", route="POST /internal/requests/tp-card", model=RequestDetail, token=token, json_body=body
        )

    async def member_request(self, token: str, kind: str, body: dict[str, Any]) -> RequestDetail:
        """One of the member's online services sent at once (`kind`: paperless, message, add-beneficiary)."""
        if kind not in ("paperless", "message", "add-beneficiary"):
            raise ValueError(kind)
        return await self.request(
            "POST", f"/internal/requests/{kind}", route=f"POST /internal/requests/{kind}", model=RequestDetail, token=token, json_body=body
        )

    async def member_change(self, token: str, change: str, body: dict[str, Any]) -> RequestDetail:
        """One of the member's situation changes, sent at once (`change`: one of `MEMBER_CHANGES`)."""
        if change not in (*MEMBER_CHANGES, CONTRIBUTION_PAYMENT):
            raise ValueError(change)
        return await self.call("POST", f"/internal/requests/{change}", model=RequestDetail, token=token, json_body=body)

    async def contribution_due(self, token: str) -> ContributionDue:
        """What the household owes, for « Paiement de cotisation en ligne »."""
        return await self.call("GET", "/internal/requests/contribution-payment", model=ContributionDue, token=token)

    async def broker_contact_change(self, token: str, body: dict[str, Any]) -> RequestDetail:
        """The broker's office contact person, email and phone, sent to the legacy system as a request."""
        return await self.request(
            "POST",
            "/internal/requests/broker-contact",
            route="POST /internal/requests/broker-contact",
            model=RequestDetail,
            token=token,
            json_body=body,
        )

    async def employee_beneficiary(self, token: str, body: dict[str, Any]) -> RequestDetail:
        """A correspondent adds a beneficiary to an employee's cover."""
        return await self.request(
            "POST",
            "/internal/requests/employee-beneficiary",
            route="POST /internal/requests/employee-beneficiary",
            model=RequestDetail,
            token=token,
            json_body=body,
        )

    async def transition(self, token: str, request_id: str, action: str) -> RequestDetail:
        """`submit` or `cancel` one of the requester's requests."""
        if action not in ("submit", "cancel"):
            raise ValueError(action)
        return await self.request(
            "POST",
            f"/internal/requests/{segment(request_id)}/{action}",
            route=f"POST /internal/requests/{{request_id}}/{action}",
            model=RequestDetail,
            token=token,
        )

    # --- online enrollment: the correspondent's invitations -----------------------------------------------

    async def invite(self, token: str, body: dict[str, Any]) -> InvitationList:
        return await self.request(
            "POST", "/internal/invitations", route="POST /internal/invitations", model=InvitationList, token=token, json_body=body
        )

    async def import_invitations(self, token: str, contract_number: str, content: bytes) -> InvitationList:
        """A CSV file, passed as it is (enrollment reads and checks it line by line)."""
        return await self.request(
            "POST",
            "/internal/invitations/import",
            route="POST /internal/invitations/import",
            model=InvitationList,
            token=token,
            params={"contract_number": contract_number},
            headers={"content-type": "text/csv"},
            content=content,
        )

    async def invitations(self, token: str) -> InvitationList:
        return await self.request("GET", "/internal/invitations", route="GET /internal/invitations", model=InvitationList, token=token)

    async def export_invitations(self, token: str) -> StreamingResponse:
        return await self.file("/internal/invitations/export", token=token, media_types=frozenset({"text/csv"}))

    async def remind_all(self, token: str) -> InvitationList:
        return await self.request(
            "POST", "/internal/invitations/remind-all", route="POST /internal/invitations/remind-all", model=InvitationList, token=token
        )

    async def invitation(self, token: str, invitation_id: str) -> InvitationDetail:
        return await self.request(
            "GET",
            f"/internal/invitations/{segment(invitation_id)}",
            route="GET /internal/invitations/{invitation_id}",
            model=InvitationDetail,
            token=token,
        )

    async def invitation_action(self, token: str, invitation_id: str, action: str) -> InvitationDetail:
        """`remind` or `close` one of the company's invitations."""
        if action not in ("remind", "close"):
            raise ValueError(action)
        return await self.request(
            "POST",
            f"/internal/invitations/{segment(invitation_id)}/{action}",
            route=f"POST /internal/invitations/{{invitation_id}}/{action}",
            model=InvitationDetail,
            token=token,
        )

    async def remove_invitation(self, token: str, invitation_id: str) -> None:
        await self.request(
            "DELETE",
            f"/internal/invitations/{segment(invitation_id)}",
            route="DELETE /internal/invitations/{invitation_id}",
            model=None,
            token=token,
        )

    # --- online enrollment: the employee, through the link (its token is the only ticket) ----------------------

    async def open_invitation(self, link_token: str) -> InvitationView:
        return await self.request(
            "GET",
            "/internal/invitation",
            route="GET /internal/invitation",
            model=InvitationView,
            headers={"x-invitation-token": link_token},
        )

    async def invitation_step(self, link_token: str, step: str, body: dict[str, Any]) -> RequestDetail:
        return await self.request(
            "PUT",
            f"/internal/invitation/steps/{segment(step)}",
            route="PUT /internal/invitation/steps/{step}",
            model=RequestDetail,
            headers={"x-invitation-token": link_token},
            json_body=body,
        )

    async def invitation_submit(self, link_token: str) -> RequestDetail:
        return await self.request(
            "POST",
            "/internal/invitation/submit",
            route="POST /internal/invitation/submit",
            model=RequestDetail,
            headers={"x-invitation-token": link_token},
        )

    # --- the back office -----------------------------------------------------------------------------------

    async def backoffice_requests(self, token: str, params: dict[str, Any]) -> BackofficeList:
        return await self.request(
            "GET",
            "/internal/backoffice/requests",
            route="GET /internal/backoffice/requests",
            model=BackofficeList,
            token=token,
            params=params,
        )

    async def backoffice_request(self, token: str, request_id: str) -> RequestDetail:
        return await self.request(
            "GET",
            f"/internal/backoffice/requests/{segment(request_id)}",
            route="GET /internal/backoffice/requests/{request_id}",
            model=RequestDetail,
            token=token,
        )

    async def backoffice_decision(self, token: str, request_id: str, body: dict[str, Any]) -> RequestDetail:
        return await self.request(
            "POST",
            f"/internal/backoffice/requests/{segment(request_id)}/decision",
            route="POST /internal/backoffice/requests/{request_id}/decision",
            model=RequestDetail,
            token=token,
            json_body=body,
        )

    # --- a request's files (supporting documents, the termination pack) -------------------------------------

    async def attach(self, token: str, request_id: str, form: bytes, content_type: str) -> RequestDetail:
        """A file added to a draft: the form passed on as the user sent it (enrollment reads and checks it)."""
        return await self.request(
            "POST",
            f"/internal/requests/{segment(request_id)}/attachments",
            route="POST /internal/requests/{request_id}/attachments",
            model=RequestDetail,
            token=token,
            headers={"content-type": content_type},
            content=form,
        )

    async def detach(self, token: str, request_id: str, file_id: str) -> RequestDetail:
        return await self.call(
            "DELETE",
            "/internal/requests/{request_id}/attachments/{file_id}",
            model=RequestDetail,
            token=token,
            request_id=request_id,
            file_id=file_id,
        )

    async def request_file(self, token: str, request_id: str, what: str, *, backoffice: bool = False) -> StreamingResponse:
        """A file of a request (`what`: `attachments/<file id>` or `termination-pack`), the requester's or, for an
        operator, the back office's; streamed through with the type enrollment serves it as."""
        prefix = "/internal/backoffice/requests" if backoffice else "/internal/requests"
        route = "attachments/{file_id}" if what.startswith("attachments/") else what
        return await self.download(
            f"{prefix}/{segment(request_id)}/" + "/".join(segment(part) for part in what.split("/")),
            route=f"GET {prefix}/{{request_id}}/{route}",
            token=token,
            params=None,
            media_types=SERVED_TYPES,
        )

    async def member_upload(self, token: str, form: bytes, content_type: str) -> Upload:
        """A file the member will join to a message: the form passed on as the user sent it (enrollment reads and checks it)."""
        return await self.request(
            "POST",
            "/internal/member/uploads",
            route="POST /internal/member/uploads",
            model=Upload,
            token=token,
            headers={"content-type": content_type},
            content=form,
        )

    async def invitation_attach(self, link_token: str, form: bytes, content_type: str) -> RequestDetail:
        """A supporting document added by the employee to the link's affiliation (the form passed on as sent)."""
        return await self.request(
            "POST",
            "/internal/invitation/attachments",
            route="POST /internal/invitation/attachments",
            model=RequestDetail,
            headers={"x-invitation-token": link_token, "content-type": content_type},
            content=form,
        )

    async def invitation_detach(self, link_token: str, file_id: str) -> RequestDetail:
        return await self.request(
            "DELETE",
            f"/internal/invitation/attachments/{segment(file_id)}",
            route="DELETE /internal/invitation/attachments/{file_id}",
            model=RequestDetail,
            headers={"x-invitation-token": link_token},
        )

    async def invitation_files(self, link_token: str) -> AttachmentList:
        """The files the employee joined to the link's affiliation."""
        return await self.request(
            "GET",
            "/internal/invitation/attachments",
            route="GET /internal/invitation/attachments",
            model=AttachmentList,
            headers={"x-invitation-token": link_token},
        )

    async def invitation_file(self, link_token: str, file_id: str) -> StreamingResponse:
        """One of them, streamed with the type enrollment checked it as."""
        return await self.file(
            "/internal/invitation/attachments/{file_id}",
            file_id=file_id,
            media_types=SERVED_TYPES,
            headers={"x-invitation-token": link_token},
        )
