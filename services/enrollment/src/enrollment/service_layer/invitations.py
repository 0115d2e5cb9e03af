"""Use cases of the online enrollment: a correspondent invites employees and follows them (tracking table: view,
close, remind, remove, remind all, export); an employee fills the affiliation wizard through the link's token,
the only ticket; the service's own loop expires links and sends the tenant's automatic reminders; the mails'
outcomes (notifications.outcomes) say whether each invitation reached its employee.

The link's token never lies anywhere in clear: sealed for the notifications service in the mail's request, kept
here as its digest. The affiliation the employee fills is the company's request (its correspondent follows it in
« Suivi »), made on the invitation's contract; its status says when the invitation is completed or refused."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import date, datetime, timedelta

from enrollment.domain import invitations as rules
from enrollment.domain import kinds
from enrollment.domain.access import NOT_ACTIVE_GROUP, NOT_YOUR_CATEGORY, Requester
from enrollment.domain.invitations import Invitation, Invitee
from enrollment.domain.requests import Request, Status, cancel
from enrollment.service_layer import requests as request_cases
from enrollment.service_layer.errors import Refused
from enrollment.service_layer.unit_of_work import EnrollmentUnitOfWork
from extranet_contracts import Envelope
from extranet_contracts.notifications import Channel, NotificationDelivered, NotificationFailed, NotificationRequested, Recipient
from extranet_plumbing.logging import get_logger
from extranet_plumbing.sealing import Sealer
from extranet_plumbing.tenants import tenant as registry_tenant

log = get_logger(__name__)

NOT_FOUND = "Aucune invitation de votre entreprise sous cet identifiant."
LINK_GONE = "Ce lien d'affiliation n'est plus valable : demandez à votre employeur de vous en renvoyer un."
INVITATION, REMINDER = "enrollment_invitation", "enrollment_reminder"
LINK_PATH = "affiliation-en-ligne"


def effective_status(invitation: Invitation) -> str:
    """Completed or refused follow the affiliation the employee sent; otherwise the invitation's own status."""
    if invitation.status != rules.CLOSED and invitation.request_status:
        return rules.status_after_request(invitation.request_status) or invitation.status
    return invitation.status


# --- the correspondent --------------------------------------------------------------------------------------


async def invite(
    uow: EnrollmentUnitOfWork, sealer: Sealer, who: Requester, contract_number: str, people: list[Invitee], *, now: datetime
) -> list[Invitation]:
    """Every employee invited on one of the company's contracts granted to the correspondent, of a population category
    it manages, each mailed a link; all or none. The invitation carries the contract and its category."""
    if not who.may_see(contract_number):
        raise Refused(403, "Ce contrat collectif ne vous est pas attribué.", "contract_number")
    if not who.may_affiliate(contract_number):
        raise Refused(403, NOT_ACTIVE_GROUP, "contract_number")
    lifetime = rules.schedule(who.tenant).link_lifetime
    async with uow:
        known, category = await uow.contracts.category(who.tenant, who.reference, contract_number)
        if not known:
            raise Refused(404, "Aucun contrat collectif de votre entreprise sous ce numéro.", "contract_number")
        if not who.may_invite(contract_number, category):
            raise Refused(403, NOT_YOUR_CATEGORY, "contract_number")
        company = await company_name(uow, who.tenant, who.reference)
        made = []
        for person in people:
            invitation = Invitation(
                id=uuid.uuid4(),
                tenant=who.tenant,
                company_code=who.reference,
                contract_number=contract_number,
                account=who.account,
                civility=person.civility,
                last_name=person.last_name,
                first_name=person.first_name,
                email=person.email,
                status=rules.PENDING,
                mail_status="requested",
                request_id=None,
                created_at=now,
                expires_at=now + lifetime,
                last_mailed_at=now,
                reminders=0,
                category=category,
            )
            token = rules.new_token()
            await uow.invitations.add(invitation, rules.digest(token))
            await _mail(uow, sealer, invitation, token, INVITATION, company, now)
            made.append(invitation)
        await uow.commit()
    log.info("employees invited", invitations=len(made))
    return made


async def tracking(uow: EnrollmentUnitOfWork, who: Requester) -> list[Invitation]:
    """The tracking table: the company's invitations the correspondent manages (contracts, categories, active group)."""
    async with uow:
        found = await uow.invitations.of_company(who.tenant, who.reference, who.contracts)
    return [i for i in found if who.may_invite(i.contract_number, i.category)]


async def view(uow: EnrollmentUnitOfWork, who: Requester, invitation_id: uuid.UUID) -> tuple[Invitation, Request | None]:
    """An invitation and the affiliation its employee fills (if the link was opened)."""
    async with uow:
        invitation = await _own(uow, who, invitation_id)
        request = await uow.requests.get(invitation.request_id, tenant=who.tenant) if invitation.request_id else None
        return invitation, request


async def close(uow: EnrollmentUnitOfWork, who: Requester, invitation_id: uuid.UUID, *, now: datetime) -> Invitation:
    """« Clôturer le dossier »: the link no longer works, and the affiliation begun (a draft) is abandoned."""
    async with uow:
        invitation = await _own(uow, who, invitation_id)
        if effective_status(invitation) not in rules.REMINDABLE:
            raise Refused(409, "Ce dossier est déjà terminé ou clôturé.")
        invitation.status = rules.CLOSED
        await _abandon_draft(uow, invitation, now)
        await uow.invitations.save(invitation)
        await uow.commit()
        return invitation


async def remove(uow: EnrollmentUnitOfWork, who: Requester, invitation_id: uuid.UUID, *, now: datetime) -> None:
    """« Retirer le suivi »: out of the tracking table, its link dead (an affiliation sent already goes on)."""
    async with uow:
        invitation = await _own(uow, who, invitation_id)
        await _abandon_draft(uow, invitation, now)
        await uow.invitations.remove(invitation.id, now)
        await uow.commit()


async def remind(uow: EnrollmentUnitOfWork, sealer: Sealer, who: Requester, invitation_id: uuid.UUID, *, now: datetime) -> Invitation:
    async with uow:
        invitation = await _own(uow, who, invitation_id)
        if effective_status(invitation) not in rules.REMINDABLE:
            raise Refused(409, "Ce salarié a terminé son affiliation, ou son dossier est clôturé : il n'y a plus rien à relancer.")
        await _remind(uow, sealer, invitation, now, await company_name(uow, who.tenant, who.reference))
        await uow.commit()
        return invitation


async def remind_all(uow: EnrollmentUnitOfWork, sealer: Sealer, who: Requester, *, now: datetime) -> list[Invitation]:
    """« Relancer tous les salariés »: every invitation not completed, refused nor closed."""
    async with uow:
        company = await company_name(uow, who.tenant, who.reference)
        reminded = []
        for invitation in await uow.invitations.of_company(who.tenant, who.reference, who.contracts, for_update=True):
            if who.may_invite(invitation.contract_number, invitation.category) and effective_status(invitation) in rules.REMINDABLE:
                await _remind(uow, sealer, invitation, now, company)
                reminded.append(invitation)
        await uow.commit()
        return reminded


EXPORT_HEADER = (
    "Civilité",
    "Nom",
    "Prénom",
    "Adresse e-mail",
    "Contrat",
    "Inscription",
    "Message",
    "Invité le",
    "Lien valable jusqu'au",
    "Catégorie",
)


def export(invitations: list[Invitation]) -> str:
    """The tracking table as a CSV file (`;`, as French spreadsheets read it)."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(EXPORT_HEADER)
    for i in invitations:
        writer.writerow(
            (
                rules.CIVILITY_LABELS[i.civility],
                _cell(i.last_name),
                _cell(i.first_name),
                _cell(i.email),
                i.contract_number,
                rules.STATUS_LABELS[effective_status(i)],
                rules.MAIL_LABELS[i.mail_status],
                f"{i.created_at:%d/%m/%Y}",
                f"{i.expires_at:%d/%m/%Y}",
                i.category or "",
            )
        )
    return out.getvalue()


def _cell(value: str) -> str:
    """A value a spreadsheet will not read as a formula."""
    return "'" + value if value[:1] in ("=", "+", "-", "@") else value


# --- the employee, through the link ---------------------------------------------------------------------------


async def open_link(uow: EnrollmentUnitOfWork, token: str, *, today: date, now: datetime) -> tuple[Invitation, Request, Requester]:
    """The invitation behind a working link, and its affiliation (begun at the first visit: the invitation is then in progress)."""
    async with uow:
        invitation = await _by_token(uow, token, now)
        who = _as_company(invitation)
        request = await uow.requests.get(invitation.request_id, tenant=invitation.tenant) if invitation.request_id else None
        if request is None or request.status == Status.CANCELLED:
            window = kinds.rules(invitation.tenant, kinds.AFFILIATION).window(today)
            request = request_cases.new_request(
                who, kinds.AFFILIATION, Status.DRAFT, now, contract_number=invitation.contract_number, payload={}
            )
            request.effective_window = (window.earliest, window.latest)
            request.subject = f"{invitation.last_name.upper()} {invitation.first_name}"
            await uow.requests.add(request, origin="enrollment")
            invitation.request_id, invitation.status = request.id, rules.IN_PROGRESS
            await uow.invitations.save(invitation)
        await uow.commit()
        return invitation, request, who


async def employee_requester(uow: EnrollmentUnitOfWork, token: str, *, now: datetime) -> tuple[Requester, uuid.UUID]:
    """Who the employee acts as (the company, on the invitation's contract alone) and the affiliation they fill."""
    async with uow:
        invitation = await _by_token(uow, token, now)
        if invitation.request_id is None:
            raise Refused(409, "Ouvrez d'abord votre lien d'affiliation.")
        return _as_company(invitation), invitation.request_id


# --- the service's own loop: expiry and automatic reminders -------------------------------------------------------


async def sweep(uow: EnrollmentUnitOfWork, sealer: Sealer, *, now: datetime) -> tuple[int, int]:
    """Links whose month is over expire; open invitations whose last mail is older than the tenant's schedule are
    reminded (a new link), up to its number of reminders. Returns (expired, reminded)."""
    expired = reminded = 0
    async with uow:
        for tenant in await uow.invitations.tenants_open():
            schedule = rules.schedule(tenant)
            remind_before = now - timedelta(days=schedule.reminder_every_days) if schedule.reminder_every_days else None
            for invitation in await uow.invitations.due(now, remind_before, schedule.max_reminders, tenant):
                if effective_status(invitation) not in rules.OPEN:
                    continue  # the employee sent the affiliation: nothing to expire or remind
                if invitation.expires_at <= now:
                    invitation.status = rules.EXPIRED
                    await uow.invitations.save(invitation)
                    expired += 1
                else:
                    company = await company_name(uow, tenant, invitation.company_code)
                    await _remind(uow, sealer, invitation, now, company, automatic=True)
                    reminded += 1
        await uow.commit()
    if expired or reminded:
        log.info("online enrollment swept", expired=expired, reminded=reminded)
    return expired, reminded


# --- the mails' outcomes (a handler of the consumer: it never commits) ------------------------------------------


async def mail_outcome(event: NotificationDelivered | NotificationFailed, envelope: Envelope, uow: EnrollmentUnitOfWork) -> None:
    """Whether an invitation's latest mail was delivered, bounced (refused for good) or failed; an undelivered
    invitation nobody opened is in error (the address was mistyped, most often)."""
    try:
        notification_id = uuid.UUID(event.request_id)
    except ValueError:
        return  # not one of ours (our mails' ids are UUIDs)
    found = await uow.invitations.by_mail(notification_id)
    if found is None:
        return  # another service's mail
    invitation, latest = found
    if not latest:
        return  # an older mail's outcome: a reminder has been sent since
    if isinstance(event, NotificationDelivered):
        invitation.mail_status = "delivered"
        if invitation.status == rules.ERROR:
            invitation.status = rules.PENDING
    else:
        invitation.mail_status = "bounced" if event.permanent else "failed"
        if invitation.status == rules.PENDING:
            invitation.status = rules.ERROR
    await uow.invitations.save(invitation)


# --- helpers -----------------------------------------------------------------------------------------------------


async def _own(uow: EnrollmentUnitOfWork, who: Requester, invitation_id: uuid.UUID) -> Invitation:
    """The company's invitation on a contract and category the correspondent manages (another's: not found alike)."""
    invitation = await uow.invitations.get(who.tenant, invitation_id)
    if (
        invitation is None
        or invitation.company_code != who.reference
        or not who.may_invite(invitation.contract_number, invitation.category)
    ):
        raise Refused(404, NOT_FOUND)
    return invitation


async def _by_token(uow: EnrollmentUnitOfWork, token: str, now: datetime) -> Invitation:
    invitation = await uow.invitations.by_token(rules.digest(token))
    if invitation is None or not invitation.link_works(now) or effective_status(invitation) not in rules.OPEN:
        raise Refused(404, LINK_GONE)
    return invitation


def _as_company(invitation: Invitation) -> Requester:
    return Requester(invitation.tenant, "employer", invitation.account, invitation.company_code, (invitation.contract_number,))


async def _abandon_draft(uow: EnrollmentUnitOfWork, invitation: Invitation, now: datetime) -> None:
    if invitation.request_id is None:
        return
    request = await uow.requests.get(invitation.request_id, tenant=invitation.tenant, for_update=True)
    if request is not None and request.status == Status.DRAFT:
        cancel(request, now, invitation.account)
        await uow.requests.save(request)


async def _remind(
    uow: EnrollmentUnitOfWork, sealer: Sealer, invitation: Invitation, now: datetime, company: str, *, automatic: bool = False
) -> None:
    """A new link, valid a whole period from now (the old one dies), mailed; an expired invitation reopens."""
    token = rules.new_token()
    invitation.expires_at = now + rules.schedule(invitation.tenant).link_lifetime
    invitation.last_mailed_at, invitation.mail_status = now, "requested"
    invitation.reminders += 1 if automatic else 0
    if invitation.status in (rules.EXPIRED, rules.ERROR):
        invitation.status = rules.IN_PROGRESS if invitation.request_id and invitation.request_status == "draft" else rules.PENDING
    await uow.invitations.save(invitation, token_digest=rules.digest(token))
    await _mail(uow, sealer, invitation, token, REMINDER, company, now)


async def _mail(uow: EnrollmentUnitOfWork, sealer: Sealer, invitation: Invitation, token: str, template: str, company: str, now) -> None:
    link = registry_tenant(invitation.tenant).portal_url("employer", f"{LINK_PATH}?token={token}")
    request = NotificationRequested(
        recipient=Recipient(reference=f"invitation:{invitation.id}", email=invitation.email, display_name=invitation.display_name),
        channels=[Channel.EMAIL],
        template=template,
        data={"company_name": company, "expires_on": invitation.expires_at.date().isoformat()},
    )
    request = request.model_copy(update={"sealed_data": sealer.seal({"link": link}, context=request.seal_context())})
    envelope = await uow.publish(request, tenant=invitation.tenant)
    await uow.invitations.record_mail(envelope.id, invitation.id, template, now)


async def company_name(uow: EnrollmentUnitOfWork, tenant: str, company_code: str) -> str:
    return await uow.invitations.company_name(tenant, company_code) or f"l'entreprise {company_code}"
