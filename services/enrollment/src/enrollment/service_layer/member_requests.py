"""The member's online services (guide 004, « Services en ligne »; product.md, member portal): the paperless
option switched on or off, a message to the mutuelle (« Écrivez-nous ») and a beneficiary added. Each is the
household's request, checked here and sent to the legacy system at once (its event in the outbox, in the same
transaction); its status follows in « Mes demandes ».

A message's files are uploaded first (`upload`: checked by their bytes, kept in the document store, one row of
`uploads` each, the household's) and then named by their ids in the message: each must be one of the household's
uploads not used yet (else 422 naming `attachments.<i>`). Joined, a file is one of the request's attachments, read
back as every request's files are (the household, an operator). An upload no message took is forgotten a day
later: each new upload of the tenant sweeps the stale ones first (no scheduler needed for a file nobody may read)."""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta
from typing import Any

from enrollment.adapters.uploads import Uploads
from enrollment.api_files import FILE_FIELD
from enrollment.domain import affiliation, kinds
from enrollment.domain.access import Requester
from enrollment.domain.requests import Request, Status
from enrollment.service_layer.errors import Refused
from enrollment.service_layer.requests import MEMBER_NOT_FOUND, check_category, new_request
from enrollment.service_layer.unit_of_work import EnrollmentUnitOfWork
from extranet_contracts.requests import (
    BeneficiaryAdditionRequested,
    DocumentReference,
    MessageSent,
    NewBeneficiary,
    PaperlessOptionRequested,
)
from extranet_contracts.requests import Requester as EventRequester
from extranet_plumbing.storage import DocumentRefused, DocumentStore, check_document

NIR_REQUIRED = {
    "CONJOINT": "Le numéro de sécurité sociale du conjoint est obligatoire.",
    "ADULTE": "Le numéro de sécurité sociale de l'adulte à charge est obligatoire.",
}
COLLECTIVE = "Votre contrat est un contrat collectif souscrit par votre employeur : adressez-vous à lui pour ajouter un bénéficiaire."
_ALLOWED_CONTROLS = {"\n", "\r", "\t"}


def _member(who: Requester) -> None:
    if who.portal != "member":
        raise Refused(403, "Cette demande est réservée aux adhérents.")


async def request_paperless(uow: EnrollmentUnitOfWork, who: Requester, paperless: bool, *, now: datetime) -> Request:
    """The option as asked, unless a change of it is on its way already."""
    _member(who)
    async with uow:
        if await uow.requests.open_of_kind(who.tenant, kinds.PAPERLESS, who.portal, who.reference, who.reference):
            raise Refused(409, "Une demande de changement de l'option zéro papier est déjà en cours.")
        request = new_request(
            who,
            kinds.PAPERLESS,
            Status.SUBMITTED,
            now,
            contract_number=None,
            payload={"member_number": who.reference, "paperless": paperless},
        )
        request.subject = "Activer l'option zéro papier" if paperless else "Recevoir à nouveau les relevés papier"
        await uow.requests.add(request, origin="enrollment")
        event = PaperlessOptionRequested(request_id=request.id, requested_by=_by(who), member_number=who.reference, paperless=paperless)
        await uow.publish(event, tenant=who.tenant)
        await uow.commit()
        return request


async def write_to_us(
    uow: EnrollmentUnitOfWork,
    who: Requester,
    *,
    subject: str,
    message: str,
    reply_email: str,
    attachments: list[uuid.UUID],
    now: datetime,
) -> Request:
    """A message on a subject of the tenant's list (its text may hold health data: kept and sent, never logged), with
    the household's uploads named (each used once)."""
    _member(who)
    subjects = kinds.rules(who.tenant, kinds.MESSAGE).choices.get("subject", {})
    if subject not in subjects:
        raise Refused(422, "Choisissez un sujet dans la liste.", "subject")
    if any(ord(c) < 32 and c not in _ALLOWED_CONTROLS for c in message):
        raise Refused(422, "Le message contient des caractères non autorisés.", "message")
    async with uow:
        payload = {"member_number": who.reference, "subject": subject, "message": message, "reply_email": reply_email}
        request = new_request(who, kinds.MESSAGE, Status.SUBMITTED, now, contract_number=None, payload=payload)
        request.subject = subjects[subject]
        request.attachments = await _take_uploads(uow, who, attachments)
        await uow.requests.add(request, origin="enrollment")
        await Uploads(uow.connection).use(who.tenant, attachments, request.id)
        await uow.publish(
            MessageSent(
                request_id=request.id,
                requested_by=_by(who),
                member_number=who.reference,
                subject=subject,
                message=message,
                reply_email=reply_email,
                attachments=[DocumentReference(**{k: a[k] for k in DocumentReference.model_fields}) for a in request.attachments],
            ),
            tenant=who.tenant,
        )
        await uow.commit()
        return request


# --- the files a member sends with a message ----------------------------------------------------------------------

UPLOAD_LABEL = "Le fichier"
UPLOAD_LIFETIME = timedelta(days=1)
MAX_WAITING_UPLOADS = 10
NOT_AN_UPLOAD = "Ce fichier n'est pas l'un de ceux que vous avez envoyés, ou il a expiré : envoyez-le à nouveau."
UPLOAD_USED = "Ce fichier est déjà joint à une autre demande : envoyez-le à nouveau."


async def upload(
    uow: EnrollmentUnitOfWork, store: DocumentStore, who: Requester, name: str | None, data: bytes, *, max_bytes: int, now: datetime
) -> dict[str, Any]:
    """A file the household will join to a message (checked by its bytes, kept in the store): what it is, with the
    `file_id` the message names. The tenant's stale uploads are forgotten first."""
    _member(who)
    try:
        document = check_document(FILE_FIELD, UPLOAD_LABEL, name, data, max_bytes=max_bytes)
    except DocumentRefused as refused:
        raise Refused(422, refused.message, refused.field) from None
    await forget_stale_uploads(uow, store, who.tenant, now=now)
    key = await store.put(who.tenant, document.data)
    kept = {
        "file_id": str(key),
        "name": document.name,
        "media_type": document.media_type,
        "size": document.size,
        "sha256": document.sha256,
        "uploaded_at": now.isoformat(),
    }
    try:
        async with uow:
            uploads = Uploads(uow.connection)
            if await uploads.waiting(who.tenant, who.portal, who.reference) >= MAX_WAITING_UPLOADS:
                raise Refused(422, f"Vous avez déjà {MAX_WAITING_UPLOADS} fichiers en attente d'envoi : envoyez votre message.", FILE_FIELD)
            await uploads.add(who.tenant, who.portal, who.reference, who.account, kept, now)
            await uow.commit()
    except BaseException:
        await store.delete(who.tenant, key)
        raise
    return kept


async def forget_stale_uploads(uow: EnrollmentUnitOfWork, store: DocumentStore, tenant: str, *, now: datetime) -> int:
    """The tenant's uploads no message took within `UPLOAD_LIFETIME`, out of the table and then of the store."""
    async with uow:
        stale = await Uploads(uow.connection).forget_unused(tenant, now - UPLOAD_LIFETIME)
        await uow.commit()
    for key in stale:
        await store.delete(tenant, key)
    return len(stale)


async def _take_uploads(uow: EnrollmentUnitOfWork, who: Requester, file_ids: list[uuid.UUID]) -> list[dict[str, Any]]:
    """The household's uploads named, locked, each not used yet nor named twice; else 422 naming `attachments.<i>`."""
    if not file_ids:
        return []
    found = await Uploads(uow.connection).locked(who.tenant, file_ids)
    taken: list[dict[str, Any]] = []
    for index, file_id in enumerate(file_ids):
        row = found.get(file_id)
        field = f"attachments.{index}"
        if row is None or row["portal"] != who.portal or row["reference"] != who.reference:
            raise Refused(422, NOT_AN_UPLOAD, field)
        if row["used_by"] is not None or file_id in file_ids[:index]:
            raise Refused(422, UPLOAD_USED, field)
        taken.append(
            {
                "file_id": str(file_id),
                "name": row["name"],
                "media_type": row["media_type"],
                "size": row["size"],
                "sha256": row["sha256"],
                "uploaded_at": row["uploaded_at"].isoformat(),
            }
        )
    return taken


async def add_beneficiary(
    uow: EnrollmentUnitOfWork,
    who: Requester,
    beneficiary: NewBeneficiary,
    effective_date: date,
    *,
    today: date,
    now: datetime,
    employee: tuple[str, str] | None = None,
) -> Request:
    """A spouse or an adult dependant (each with a NIR; an adult of age on the date) or a child (a NIR, or covered under
    a parent's; younger than the tenant's limit on the date), born already, whose NIR agrees with them, covered from a
    date within the tenant's window; a member of a collective contract asks their employer,
    who names the employee (`employee`: member number and contract, one granted to the correspondent)."""
    if who.portal == "employer":
        if employee is None:
            raise Refused(422, "Indiquez le salarié et son contrat collectif.", "member_number")
    else:
        _member(who)
    if beneficiary.birth_date > today:
        raise Refused(422, "La date de naissance ne peut pas être dans le futur.", "beneficiary.birth_date")
    if beneficiary.nir is None and beneficiary.role.value in NIR_REQUIRED:
        raise Refused(422, NIR_REQUIRED[beneficiary.role.value], "beneficiary.nir")
    if beneficiary.nir is not None:
        refusal = affiliation.nir_disagreement(beneficiary.nir, beneficiary.birth_date, beneficiary.civility.value)
        if refusal:
            raise Refused(422, refusal, "beneficiary.nir")
    window = kinds.rules(who.tenant, kinds.ADD_BENEFICIARY).window(today)
    if effective_date not in window:
        raise Refused(
            422,
            f"La date d'effet doit être comprise entre le {window.earliest:%d/%m/%Y} et le {window.latest:%d/%m/%Y}.",
            "effective_date",
        )
    refusal = affiliation.age_refusal(beneficiary.role.value, beneficiary.birth_date, effective_date, kinds.child_age_limit(who.tenant))
    if refusal:
        raise Refused(422, refusal, "beneficiary.birth_date")
    async with uow:
        member_number, contract_number, subject = who.reference, None, f"{beneficiary.last_name.upper()} {beneficiary.first_name}"
        if employee is not None:
            member_number, contract_number = employee
            subject = f"{subject}, bénéficiaire de " + await _employee(uow, who, member_number, contract_number, today)
        elif await uow.memberships.collective_of_member(who.tenant, who.reference, today):
            raise Refused(409, COLLECTIVE)
        payload = {
            "member_number": member_number,
            "beneficiary": beneficiary.model_dump(mode="json"),
            "effective_date": effective_date.isoformat(),
        }
        request = new_request(who, kinds.ADD_BENEFICIARY, Status.SUBMITTED, now, contract_number=contract_number, payload=payload)
        request.subject = subject
        request.effective_window = (window.earliest, window.latest)
        await uow.requests.add(request, origin="enrollment")
        await uow.publish(
            BeneficiaryAdditionRequested(
                request_id=request.id,
                requested_by=_by(who),
                member_number=member_number,
                contract_number=contract_number,
                beneficiary=beneficiary,
                effective_date=effective_date,
            ),
            tenant=who.tenant,
        )
        await uow.commit()
        return request


async def _employee(uow: EnrollmentUnitOfWork, who: Requester, member_number: str, contract_number: str, today: date) -> str:
    """The employee as the correspondent reads them: one of the company's, on a contract granted, in a group it manages, not radiated."""
    if not who.may_see(contract_number):
        raise Refused(403, "Ce contrat collectif ne vous est pas attribué.", "contract_number")
    await check_category(uow, who, contract_number)
    membership = await uow.memberships.of_member(who.tenant, who.reference, member_number, contract_number)
    if (
        membership is None
        or (membership.end_date is not None and membership.end_date < today)
        or not who.may_act_on(contract_number, membership.insured_group)
    ):
        raise Refused(404, MEMBER_NOT_FOUND, "member_number")
    return f"{membership.last_name.upper()} {membership.first_name} ({membership.member_number})"


def _by(who: Requester) -> EventRequester:
    return EventRequester(portal=who.portal, account=who.account, reference=who.reference)
