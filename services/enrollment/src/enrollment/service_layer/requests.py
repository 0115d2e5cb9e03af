"""Use cases of the portals and of the back office: draft, submit and cancel a request, decide one the
legacy system left to an advisor. Each opens its unit of work, checks, changes the request, records its
transition and, when the request must reach the legacy system, writes its event to the outbox in the
same transaction."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from enrollment.adapters.requests import GroupScope
from enrollment.domain import affiliation, kinds
from enrollment.domain.access import NOT_ACTIVE_GROUP, NOT_YOUR_CATEGORY, Requester
from enrollment.domain.requests import Actor, NotAllowed, Request, Status, Transition, cancel, decide_as_advisor, submit
from enrollment.service_layer.errors import Refused
from enrollment.service_layer.unit_of_work import EnrollmentUnitOfWork
from extranet_contracts.requests import (
    AdvisorDecisionRecorded,
    AffiliationRequested,
    DocumentReference,
    EmployeeTerminationRequested,
    TpCardOrdered,
)
from extranet_contracts.requests import Requester as EventRequester

NOT_FOUND = "Demande introuvable."
MEMBER_NOT_FOUND = "Aucun salarié de votre entreprise sous ce numéro d'adhérent sur ce contrat."


async def draft_termination(
    uow: EnrollmentUnitOfWork,
    who: Requester,
    *,
    contract_number: str,
    member_number: str,
    effective_date: date,
    reason: str,
    today: date,
    now: datetime,
) -> Request:
    async with uow:
        payload = {"member_number": member_number, "effective_date": effective_date.isoformat(), "reason": reason}
        request = new_request(who, kinds.EMPLOYEE_TERMINATION, Status.DRAFT, now, contract_number=contract_number, payload=payload)
        await _check_termination(uow, who, request, today)
        await uow.requests.add(request, origin="enrollment")
        await uow.commit()
        return request


async def submit_request(uow: EnrollmentUnitOfWork, who: Requester, request_id: uuid.UUID, *, today: date, now: datetime) -> Request:
    """Checked again (the window moves with the days), then on its way: its event is in the outbox."""
    async with uow:
        request = await _own(uow, who, request_id)
        if request.status != Status.DRAFT:
            _conflict(lambda: submit(request, now, who.account))  # refused: already on its way
        event = await _PREPARED[request.kind](uow, who, request, today)
        _conflict(lambda: submit(request, now, who.account))
        await uow.requests.save(request)
        await uow.publish(event, tenant=who.tenant)
        await uow.commit()
        return request


async def _termination_event(uow: EnrollmentUnitOfWork, who: Requester, request: Request, today: date) -> EmployeeTerminationRequested:
    membership_id = await _check_termination(uow, who, request, today)
    return EmployeeTerminationRequested(
        request_id=request.id,
        requested_by=EventRequester(portal="employer", account=who.account, reference=who.reference),
        company_code=who.reference,
        contract_number=request.contract_number,
        membership_id=membership_id,
        member_number=request.payload["member_number"],
        effective_date=date.fromisoformat(request.payload["effective_date"]),
        reason=request.payload["reason"],
    )


async def _affiliation_event(uow: EnrollmentUnitOfWork, who: Requester, request: Request, today: date) -> AffiliationRequested:
    missing = affiliation.missing_steps(request.payload)
    if missing:
        labels = ", ".join(affiliation.STEP_LABELS[step] for step in missing)
        raise Refused(422, f"Complétez d'abord ces étapes : {labels}.", "steps")
    coverage = request.payload["coverage"]
    await _check_coverage(uow, who, request, coverage["guarantee_code"], date.fromisoformat(coverage["effective_date"]), today)
    family, bank = request.payload["family"], request.payload["bank"]
    _check_ages(who.tenant, family["dependants"], date.fromisoformat(coverage["effective_date"]))
    return AffiliationRequested(
        request_id=request.id,
        requested_by=EventRequester(portal="employer", account=who.account, reference=who.reference),
        company_code=who.reference,
        contract_number=request.contract_number,
        guarantee_code=coverage["guarantee_code"],
        effective_date=coverage["effective_date"],
        primary={k: family[k] for k in ("civility", "last_name", "first_name", "birth_date", "nir")},
        social_scheme=family["social_scheme"],
        dependants=family["dependants"],
        address=request.payload["address"],
        email=request.payload["contact"]["email"],
        bank={**bank, "debit_day": int(bank["debit_day"])},
        attachments=[
            DocumentReference(file_id=a["file_id"], media_type=a["media_type"], size=a["size"], sha256=a["sha256"])
            for a in request.attachments
        ],
    )


def _check_ages(tenant: str, dependants: list[dict], effective_date: date) -> None:
    """Each dependant of age for their role on the date of effect (the family step before the coverage: today)."""
    limit = kinds.child_age_limit(tenant)
    for index, person in enumerate(dependants):
        refusal = affiliation.age_refusal(person["role"], date.fromisoformat(person["birth_date"]), effective_date, limit)
        if refusal:
            raise Refused(422, refusal, f"dependants.{index}.birth_date")


_PREPARED = {kinds.EMPLOYEE_TERMINATION: _termination_event, kinds.AFFILIATION: _affiliation_event}


# --- the third-party payment card ---------------------------------------------------------------------------------


async def order_tp_card(
    uow: EnrollmentUnitOfWork, who: Requester, member_number: str | None, contract_number: str | None, *, today: date, now: datetime
) -> Request:
    """A member's own card, or an employee's (a member of the company on a contract granted to the correspondent,
    not radiated): sent to the legacy system at once, unless one is on its way already."""
    if who.portal not in kinds.CREATED_HERE[kinds.TP_CARD]:
        raise Refused(403, "Cette demande est réservée aux adhérents et aux correspondants d'entreprise.")
    subject = None
    async with uow:
        if who.portal == "member":
            member_number, contract_number = who.reference, None
        else:
            if member_number is None or contract_number is None:
                raise Refused(
                    422, "Indiquez le salarié et son contrat collectif.", "member_number" if member_number is None else "contract_number"
                )
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
            subject = f"{membership.last_name.upper()} {membership.first_name} ({membership.member_number})"
        if await uow.requests.open_of_kind(who.tenant, kinds.TP_CARD, who.portal, who.reference, member_number):
            raise Refused(409, "Une demande de carte est déjà en cours pour cet adhérent.")
        request = new_request(
            who, kinds.TP_CARD, Status.SUBMITTED, now, contract_number=contract_number, payload={"member_number": member_number}
        )
        request.subject = subject
        await uow.requests.add(request, origin="enrollment")
        await uow.publish(
            TpCardOrdered(
                request_id=request.id,
                requested_by=EventRequester(portal=who.portal, account=who.account, reference=who.reference),
                member_number=member_number,
                contract_number=contract_number,
            ),
            tenant=who.tenant,
        )
        await uow.commit()
        return request


# --- the affiliation wizard ----------------------------------------------------------------------------------


async def draft_affiliation(uow: EnrollmentUnitOfWork, who: Requester, *, contract_number: str, today: date, now: datetime) -> Request:
    """A new affiliation on one of the company's contracts granted to the correspondent, its steps to fill."""
    if not who.may_see(contract_number):
        raise Refused(403, "Ce contrat collectif ne vous est pas attribué.", "contract_number")
    if not who.may_affiliate(contract_number):
        raise Refused(403, NOT_ACTIVE_GROUP, "contract_number")
    async with uow:
        if await uow.contracts.of_company(who.tenant, who.reference, contract_number) is None:
            raise Refused(404, "Aucun contrat collectif de votre entreprise sous ce numéro.", "contract_number")
        await check_category(uow, who, contract_number)
        window = kinds.rules(who.tenant, kinds.AFFILIATION).window(today)
        request = new_request(who, kinds.AFFILIATION, Status.DRAFT, now, contract_number=contract_number, payload={})
        request.effective_window = (window.earliest, window.latest)
        await uow.requests.add(request, origin="enrollment")
        await uow.commit()
        return request


async def save_step(uow: EnrollmentUnitOfWork, who: Requester, request_id: uuid.UUID, step: str, data: dict, *, today: date) -> Request:
    """One step of the wizard, checked and kept: the draft can be resumed from there."""
    async with uow:
        request = await _own(uow, who, request_id)
        if request.kind != kinds.AFFILIATION:
            raise Refused(404, NOT_FOUND)
        if request.status != Status.DRAFT:
            raise Refused(409, "Cette demande a déjà été envoyée.")
        rules = kinds.rules(who.tenant, kinds.AFFILIATION)
        if step == "family":
            _check_choice(rules, "social_scheme", data["social_scheme"])
            for where, person in (("", data), *((f"dependants.{i}.", d) for i, d in enumerate(data["dependants"]))):
                refusal = affiliation.nir_disagreement(person["nir"], date.fromisoformat(person["birth_date"]), person["civility"])
                if refusal:
                    raise Refused(422, refusal, f"{where}nir")
            coverage = request.payload.get("coverage")
            _check_ages(who.tenant, data["dependants"], date.fromisoformat(coverage["effective_date"]) if coverage else today)
            request.subject = f"{data['last_name'].upper()} {data['first_name']}"
        elif step == "coverage":
            await _check_coverage(uow, who, request, data["guarantee_code"], date.fromisoformat(data["effective_date"]), today)
        elif step == "bank":
            _check_choice(rules, "frequency", data["frequency"])
            _check_choice(rules, "debit_day", str(data["debit_day"]))
        request.payload = {**request.payload, step: data}
        await uow.requests.save(request)
        await uow.commit()
        return request


async def affiliation_choices(
    uow: EnrollmentUnitOfWork, who: Requester, contract_number: str | None, today: date
) -> dict[str, dict[str, str]]:
    """The guarantees a contract offers today and after (the `guarantee` choices of the coverage step)."""
    if contract_number is None or not who.may_see(contract_number):
        return {}
    async with uow:
        if await uow.contracts.of_company(who.tenant, who.reference, contract_number) is None:
            return {}
        offered = await uow.contracts.guarantees(who.tenant, contract_number)
    return {"guarantee": {g.code: g.name for g in offered if g.end_date is None or g.end_date >= today}}


async def _check_coverage(uow, who: Requester, request: Request, guarantee_code: str, effective: date, today: date) -> None:
    window = kinds.rules(who.tenant, kinds.AFFILIATION).window(today)
    request.effective_window = (window.earliest, window.latest)
    if effective not in window:
        raise Refused(
            422, f"La date d'effet doit être comprise entre le {window.earliest:%d/%m/%Y} et le {window.latest:%d/%m/%Y}.", "effective_date"
        )
    start = await uow.contracts.of_company(who.tenant, who.reference, request.contract_number)
    if start is None or effective < start:
        raise Refused(422, "La date d'effet précède celle du contrat collectif.", "effective_date")
    offered = {g.code: g for g in await uow.contracts.guarantees(who.tenant, request.contract_number)}
    if guarantee_code not in offered or not offered[guarantee_code].covers(effective):
        raise Refused(422, "Choisissez une garantie du contrat ouverte à cette date.", "guarantee_code")


def new_request(who: Requester, kind: str, status: Status, now: datetime, *, contract_number: str | None, payload: dict) -> Request:
    """A new request of `who`, in `status` (a draft, or submitted at once), its first step in its history."""
    return Request(
        id=uuid.uuid4(),
        tenant=who.tenant,
        kind=kind,
        portal=who.portal,
        account=who.account,
        reference=who.reference,
        subject=None,
        company_code=who.reference if who.portal == "employer" else None,
        contract_number=contract_number,
        payload=payload,
        attachments=[],
        status=status,
        created_at=now,
        submitted_at=now if status == Status.SUBMITTED else None,
        history=[Transition(now, Actor.REQUESTER, who.account, status)],
    )


def _check_choice(rules: kinds.KindRules, field: str, value: str) -> None:
    if value not in rules.choices.get(field, {}):
        raise Refused(422, "Choisissez une valeur dans la liste.", field)


async def cancel_request(uow: EnrollmentUnitOfWork, who: Requester, request_id: uuid.UUID, *, now: datetime) -> Request:
    async with uow:
        request = await _own(uow, who, request_id)
        _conflict(lambda: cancel(request, now, who.account))
        await uow.requests.save(request)
        await uow.commit()
        return request


async def decide_as_operator(
    uow: EnrollmentUnitOfWork, tenant: str, operator: str, request_id: uuid.UUID, *, accepted: bool, reason: str | None, now: datetime
) -> Request:
    """The advisor's decision goes to the legacy system, which applies it and publishes the outcome."""
    if not accepted and not reason:
        raise Refused(422, "Indiquez le motif du refus : il sera communiqué au demandeur.", "reason")
    async with uow:
        request = await uow.requests.get(request_id, tenant=tenant, for_update=True)
        if request is None:
            raise Refused(404, NOT_FOUND)
        _conflict(lambda: decide_as_advisor(request, accepted, reason if not accepted else None, now, operator))
        await uow.requests.save(request)
        await uow.publish(
            AdvisorDecisionRecorded(
                request_id=request.id,
                requester_reference=request.reference,
                operator=operator,
                accepted=accepted,
                reason=reason if not accepted else None,
            ),
            tenant=tenant,
        )
        await uow.commit()
        return request


async def own_request(uow: EnrollmentUnitOfWork, who: Requester, request_id: uuid.UUID) -> Request:
    async with uow:
        return await _own(uow, who, request_id, lock=False)


async def check_category(uow: EnrollmentUnitOfWork, who: Requester, contract_number: str) -> None:
    """A secondary correspondent limited to population categories acts only on the contracts of its categories (403
    naming the contract otherwise), as it sees only their requests."""
    if who.scope is None or who.scope.categories is None:
        return
    _, category = await uow.contracts.category(who.tenant, who.reference, contract_number)
    if not who.manages_category(category):
        raise Refused(403, NOT_YOUR_CATEGORY, "contract_number")


async def _own(uow: EnrollmentUnitOfWork, who: Requester, request_id: uuid.UUID, *, lock: bool = True) -> Request:
    """The requester's request (another's, one on a contract not granted, or, for a secondary correspondent, one outside
    the insured groups and population categories it manages, as its history filters them: not found alike)."""
    request = await uow.requests.get(request_id, tenant=who.tenant, for_update=lock)
    if request is None or request.portal != who.portal or request.reference != who.reference or not who.may_see(request.contract_number):
        raise Refused(404, NOT_FOUND)
    scope = GroupScope.of(who.scope)
    if scope.limits and not await uow.requests.in_scope(request.id, scope):
        raise Refused(404, NOT_FOUND)
    return request


async def _check_termination(uow: EnrollmentUnitOfWork, who: Requester, request: Request, today: date) -> str:
    """The membership ended by the request (its id), once every rule holds; the request's window and subject set."""
    contract, payload = request.contract_number, request.payload
    if not who.may_see(contract):
        raise Refused(403, "Ce contrat collectif ne vous est pas attribué.", "contract_number")
    await check_category(uow, who, contract)
    rules = kinds.rules(who.tenant, kinds.EMPLOYEE_TERMINATION)
    if payload["reason"] not in rules.choices["reason"]:
        raise Refused(422, "Choisissez un motif de radiation dans la liste.", "reason")
    membership = await uow.memberships.of_member(who.tenant, who.reference, payload["member_number"], contract)
    if membership is None or not who.may_act_on(contract, membership.insured_group):
        raise Refused(404, MEMBER_NOT_FOUND, "member_number")
    effective = date.fromisoformat(payload["effective_date"])
    window = rules.window(today)
    request.effective_window = (window.earliest, window.latest)
    if effective not in window:
        raise Refused(
            422,
            f"La date de radiation doit être comprise entre le {window.earliest:%d/%m/%Y} et le {window.latest:%d/%m/%Y}.",
            "effective_date",
        )
    if effective < membership.start_date:
        raise Refused(422, f"La date de radiation précède l'affiliation du salarié ({membership.start_date:%d/%m/%Y}).", "effective_date")
    if membership.end_date is not None and membership.end_date <= effective:
        raise Refused(422, f"Ce salarié est déjà radié au {membership.end_date:%d/%m/%Y}.", "effective_date")
    if await uow.requests.open_termination(who.tenant, who.reference, membership.membership_id):
        raise Refused(409, "Une demande de radiation de ce salarié est déjà en cours.")
    request.subject = f"{membership.last_name.upper()} {membership.first_name} ({membership.member_number})"
    request.payload = {**payload, "membership_id": membership.membership_id}
    return membership.membership_id


def _conflict(transition) -> None:
    try:
        transition()
    except NotAllowed as refused:
        raise Refused(409, str(refused)) from None
