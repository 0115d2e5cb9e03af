"""The legacy system's side of the portals' requests: it reads `portal.requests`, decides each request
(accept, refuse with a reason, or leave it to an advisor, by kind, after a delay if asked), publishes the
decision on `legacy.decisions` and, for an accepted request, what it would publish in real life on its own
streams (an accepted termination: `MemberRadiated`, an accepted affiliation: `MemberAffiliated`, on
legacy.memberships, the new member numbered by the legacy system; an accepted paperless option: the
household's `CommunicationPreferencesRecorded` on legacy.households, its other choices as the legacy system
last published them, which it follows on that stream; an accepted change of the member's file: the household's
`HouseholdBeneficiariesRecorded` with the new IBAN for benefits, address, phones or email, or without the dependant
removed, or with the dependant added (an adult dependant too: ADULTE), and, for a dependant added to an employee's cover,
the employee's `MemberAffiliated` with him on legacy.memberships, which it follows too; the member's `MemberContractRecorded` with the new guarantee, or with a contribution paid online as the
last payment and nothing due: no payment provider, the legacy system collects it; an accepted broker contact change:
the office's `BrokerRegistered` on legacy.brokers, which it follows too, with the new contact). What the file it follows
rules out is
refused whatever the policy, as the legacy system would: a dependant the household does not hold, a guarantee held
already, a debit day or debit account for contributions that are not debited from a bank account, a payment of
anything but the amount due. An advisor's decision made in the back office
(`AdvisorDecisionRecorded`) is applied the same way to the request it names. Given `files` (`request_files`), the
files a request names by reference are fetched from enrollment and checked against the event before it is decided:
a file it cannot read gets the request refused.

    legacy-simulator decide --policy accept                          # every request accepted
    legacy-simulator decide --policy EmployeeTerminationRequested=advisor --policy refuse --reason "Pièce manquante"

Delivery is at least once: the offsets are committed after the decisions are acknowledged, so a crash may
publish a decision twice, which the platform ignores. The requests left to an advisor are remembered (in
`--state`, a JSON file, if given) until the advisor's decision comes.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import phonenumbers
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from extranet_contracts import Envelope, EnvelopeError, Event, UnknownEventType, lookup
from extranet_contracts.decisions import RequestAccepted, RequestReferredToAdvisor, RequestRefused
from extranet_contracts.households import (
    HOUSEHOLDS,
    BeneficiaryRole,
    BenefitsBankAccount,
    CommunicationPreferencesRecorded,
    ContributionPayment,
    GuaranteePeriod,
    HouseholdBeneficiariesRecorded,
    HouseholdBeneficiary,
    MemberContractRecorded,
    PaymentMode,
    beneficiary_id,
)
from extranet_contracts.legacy import BROKERS, MEMBERSHIPS, BrokerRegistered, Dependant, MemberAffiliated, MemberRadiated
from extranet_contracts.requests import (
    PORTAL_REQUESTS,
    AdvisorDecisionRecorded,
    AffiliationRequested,
    BeneficiaryAdditionRequested,
    BeneficiaryRemovalRequested,
    BenefitsIbanChangeRequested,
    BrokerContactChangeRequested,
    CommunicationChoicesChangeRequested,
    ContributionIbanChangeRequested,
    ContributionPaymentRequested,
    DebitDayChangeRequested,
    EmployeeTerminationRequested,
    GuaranteeChangeRequested,
    MemberAddressChangeRequested,
    MemberContactDetailsChangeRequested,
    PaperlessOptionRequested,
)
from extranet_plumbing.kafka import client_kwargs
from extranet_plumbing.logging import get_logger
from legacy_simulator.request_files import RequestFiles

log = get_logger(__name__)

OUTCOMES = ("accept", "refuse", "advisor")
GROUP = "legacy-simulator-decisions"
SOURCE = "urn:extranet:legacy:simulator"
DEFAULT_REASON = "Votre demande ne peut pas être acceptée en l'état : contactez votre conseiller."
NOT_A_BENEFICIARY = "Cette personne n'est pas bénéficiaire de votre contrat."
ALREADY_HELD = "Cette garantie est déjà la vôtre."
NOT_DUE = "Ce montant ne correspond pas à la cotisation due : contactez votre conseiller."
NOT_DEBITED = "Vos cotisations ne sont pas prélevées sur un compte bancaire : contactez votre conseiller."


@dataclass(frozen=True)
class Policy:
    """How the simulated back office decides: `default` for every request, `by_type` for some event types."""

    default: str = "accept"
    by_type: dict[str, str] = field(default_factory=dict)
    reason: str = DEFAULT_REASON
    delay_seconds: float = 0.0

    def __post_init__(self) -> None:
        for outcome in (self.default, *self.by_type.values()):
            if outcome not in OUTCOMES:
                raise ValueError(f"unknown outcome {outcome!r}: one of {', '.join(OUTCOMES)}")

    @classmethod
    def parse(cls, rules: Iterable[str], *, reason: str = DEFAULT_REASON, delay_seconds: float = 0.0) -> Policy:
        """`accept`, `refuse`, `advisor`, or `<EventType>=<outcome>` for one kind of request."""
        default, by_type = "accept", {}
        for rule in rules:
            kind, sep, outcome = rule.partition("=")
            if sep:
                by_type[kind.strip()] = outcome.strip()
            else:
                default = rule.strip()
        return cls(default, by_type, reason, delay_seconds)

    def outcome(self, event_type: str) -> str:
        return self.by_type.get(event_type, self.default)


def request_id_of(event: Event, envelope: Envelope):
    """The request a decision names: its own id, or the event's for a request without one."""
    return getattr(event, "request_id", None) or envelope.id


class Decider:
    """Decisions and consequences for the requests read; what is left to an advisor is remembered."""

    def __init__(self, policy: Policy, *, state: Path | None = None, clock=lambda: datetime.now(UTC)) -> None:
        self.policy = policy
        self._tenant = ""  # the tenant of the request being decided
        self._state = state
        self._clock = clock
        self.awaiting: dict[str, dict[str, Any]] = json.loads(state.read_text()) if state and state.exists() else {}
        # The households' communication preferences as last published (tenant, member number): the snapshot an
        # accepted paperless option is applied to.
        self.preferences: dict[tuple[str, str], CommunicationPreferencesRecorded] = {}
        # Likewise the households' beneficiaries and the members' contracts, which the member's changes apply to.
        self.beneficiaries: dict[tuple[str, str], HouseholdBeneficiariesRecorded] = {}
        self.contracts: dict[tuple[str, str], MemberContractRecorded] = {}
        # The brokerage offices as last published (tenant, broker code), which a broker's contact change applies to.
        self.brokers: dict[tuple[str, str], BrokerRegistered] = {}
        # The employees' memberships as last published (tenant, member number, contract), which a dependant added by the
        # employer (or the member) on a collective contract joins.
        self.memberships: dict[tuple[str, str, str], MemberAffiliated] = {}

    def observe(self, envelope: Envelope, event: Event) -> None:
        """An event of the legacy system's own streams: the latest snapshot of each part of a household's file is kept."""
        kept_by_type = {
            CommunicationPreferencesRecorded: self.preferences,
            HouseholdBeneficiariesRecorded: self.beneficiaries,
            MemberContractRecorded: self.contracts,
            BrokerRegistered: self.brokers,
        }
        if isinstance(event, MemberAffiliated):
            key = (envelope.tenant, event.member_number, event.contract_number)
            if key not in self.memberships or self.memberships[key].revision < event.revision:
                self.memberships[key] = event
            return
        store = kept_by_type.get(type(event))
        if store is not None:
            key = (envelope.tenant, event.broker_code if isinstance(event, BrokerRegistered) else event.member_number)
            kept = store.get(key)
            if kept is None or kept.revision < event.revision:
                store[key] = event

    def decide(self, envelope: Envelope, event: Event, *, unreadable: str | None = None) -> list[Event]:
        """What the legacy system publishes after reading this request (in order). `unreadable`: why its files could
        not be read (`request_files`), a refusal whatever the policy."""
        if isinstance(event, AdvisorDecisionRecorded):
            return self._advisor_decided(event)
        self._tenant = envelope.tenant
        request_id = request_id_of(event, envelope)
        outcome = self.policy.outcome(envelope.type)
        now = self._clock()
        if outcome == "refuse":
            return [RequestRefused(request_id=request_id, decided_at=now, reason=self.policy.reason)]
        refusal = unreadable or self._refusal(event)
        if refusal is not None:
            return [RequestRefused(request_id=request_id, decided_at=now, reason=refusal)]
        if outcome == "advisor":
            self.awaiting[str(request_id)] = {"type": envelope.type, "version": envelope.version, "value": event.model_dump(mode="json")}
            self._save()
            return [RequestReferredToAdvisor(request_id=request_id, decided_at=now, note="À examiner par un conseiller")]
        return [RequestAccepted(request_id=request_id, decided_at=now), *self._consequences(event, now)]

    def _advisor_decided(self, event: AdvisorDecisionRecorded) -> list[Event]:
        now = self._clock()
        kept = self.awaiting.pop(str(event.request_id), None)
        self._save()
        if not event.accepted:
            return [RequestRefused(request_id=event.request_id, decided_at=now, reason=event.reason)]
        if kept is None:  # not referred by this simulator (or forgotten): accepted, without consequences to publish
            log.warning("advisor decision for a request not awaiting one", request_id=str(event.request_id))
            return [RequestAccepted(request_id=event.request_id, decided_at=now)]
        request = lookup(kept["type"], kept["version"]).model_validate(kept["value"])
        return [RequestAccepted(request_id=event.request_id, decided_at=now), *self._consequences(request, now)]

    def _consequences(self, request: Event, now: datetime) -> list[Event]:
        if isinstance(request, EmployeeTerminationRequested):
            return [
                MemberRadiated(
                    membership_id=request.membership_id,
                    member_number=request.member_number,
                    contract_number=request.contract_number,
                    company_code=request.company_code,
                    effective_date=request.effective_date,
                    reason=request.reason,
                    recorded_on=now.date(),
                    # The legacy system's revisions only grow: minutes since 1970, above any the generator gave.
                    revision=int(time.time() // 60),
                )
            ]
        if isinstance(request, AffiliationRequested):
            number = request.request_id.int % 10**7  # the legacy system numbers the new member (stable for a request)
            return [
                MemberAffiliated(
                    membership_id=f"ADH-{number:07d}",
                    member_number=f"9{number:07d}",
                    contract_number=request.contract_number,
                    company_code=request.company_code,
                    primary=request.primary.model_dump(),
                    dependants=[d.model_dump() for d in request.dependants],
                    email=request.email,
                    address=request.address,
                    effective_date=request.effective_date,
                    recorded_on=now.date(),
                    revision=1,
                )
            ]
        if isinstance(request, PaperlessOptionRequested):

            def paperless(kept: CommunicationPreferencesRecorded) -> dict[str, Any]:
                since = (kept.paperless_since or now.date()) if request.paperless else None
                return {"paperless": request.paperless, "paperless_since": since}

            return self._preferences_changed(request.member_number, paperless)
        if isinstance(request, CommunicationChoicesChangeRequested):
            return self._preferences_changed(request.member_number, lambda kept: _choices_applied(kept, request))
        if isinstance(request, GuaranteeChangeRequested):
            return self._new_guarantee(request)
        if isinstance(request, BrokerContactChangeRequested):
            return self._broker_contact_changed(request)
        if isinstance(request, ContributionPaymentRequested):
            return self._contribution_paid(request, now)
        if isinstance(
            request,
            BenefitsIbanChangeRequested | MemberAddressChangeRequested | MemberContactDetailsChangeRequested | BeneficiaryRemovalRequested,
        ):
            return self._beneficiaries_changed(request)
        if isinstance(request, BeneficiaryAdditionRequested):
            return [*self._beneficiaries_changed(request), *self._dependant_affiliated(request, now)]
        # A contact change of an account, an address change of a broker, a message, a debit day or account of the contributions:
        # nothing the platform follows shows them (the next snapshot of the broker or member carries what it holds).
        return []

    def _preferences_changed(self, member_number: str, changes) -> list[Event]:
        """The household's preferences as last published (a household not followed yet: nothing defined, paper
        statements), with `changes(kept)` applied, republished."""
        key = (self._tenant, member_number)
        kept = self.preferences.get(key) or CommunicationPreferencesRecorded(member_number=member_number, revision=1)
        updated = CommunicationPreferencesRecorded.model_validate(
            {**kept.model_dump(), **changes(kept), "revision": _next_revision(kept.revision)}
        )
        self.preferences[key] = updated
        return [updated]

    # --- the member's file (legacy.households) --------------------------------------------------------------------

    def _refusal(self, request: Event) -> str | None:
        """Why the legacy system refuses a member's change whatever the policy, from the file it holds (a household or
        contract not followed yet: no reason)."""
        if isinstance(request, BeneficiaryRemovalRequested) and self._dependant(request) is None:
            return NOT_A_BENEFICIARY
        contract = self.contracts.get((self._tenant, getattr(request, "member_number", "")))
        if contract is None:
            return None
        if isinstance(request, GuaranteeChangeRequested):
            held = [g.guarantee_code for g in contract.guarantees if g.end_date is None or g.end_date >= request.effective_date]
            return ALREADY_HELD if request.guarantee_code in held else None
        if isinstance(request, ContributionPaymentRequested):
            return None if contract.contribution.amount_due == request.amount else NOT_DUE
        if isinstance(request, DebitDayChangeRequested | ContributionIbanChangeRequested):
            return None if contract.contribution.payment_mode is PaymentMode.DIRECT_DEBIT else NOT_DEBITED
        return None

    def _dependant(self, request: BeneficiaryRemovalRequested) -> int | None:
        """The index of the dependant to remove in the household followed; a household not followed yet: -1 (the
        legacy system knows it, the simulator does not: accepted without a snapshot to publish)."""
        household = self.beneficiaries.get((self._tenant, request.member_number))
        if household is None:
            return -1
        named = request.beneficiary
        for index, person in enumerate(household.beneficiaries):
            if person.role is BeneficiaryRole.PRIMARY:
                continue
            if named.beneficiary_id is not None:  # the household's id of the person (earlier requests: names and birth date)
                if person.identifier(request.member_number) == named.beneficiary_id:
                    return index
            elif person.birth_date == named.birth_date and person.first_name.casefold() == named.first_name.casefold():
                return index
        return None

    def _beneficiaries_changed(self, request) -> list[Event]:
        """The household's beneficiaries with the change applied to the primary insured (and, for an address, to those
        who lived at the former one), or without the dependant removed; nothing for a household not followed yet."""
        key = (self._tenant, request.member_number)
        household = self.beneficiaries.get(key)
        if household is None:
            log.info("household not followed: no snapshot to publish", request_id=str(request.request_id))
            return []
        people = list(household.beneficiaries)
        primary_index = next(i for i, p in enumerate(people) if p.role is BeneficiaryRole.PRIMARY)
        primary = people[primary_index]
        if isinstance(request, BeneficiaryRemovalRequested):
            index = self._dependant(request)
            if index is None or index < 0:
                return []
            del people[index]
        elif isinstance(request, BeneficiaryAdditionRequested):
            added = request.beneficiary
            if any(p.identifier(request.member_number) == _identifier(request) for p in people):
                return []  # in the household already (a request decided again): nothing new to publish
            people.append(
                HouseholdBeneficiary(
                    role=BeneficiaryRole(added.role.value),
                    civility=added.civility,
                    last_name=added.last_name,
                    first_name=added.first_name,
                    birth_date=added.birth_date,
                    nir=added.nir,
                    home_address=primary.home_address,
                )
            )
        elif isinstance(request, BenefitsIbanChangeRequested):
            account = BenefitsBankAccount(**request.account.model_dump())  # the bank's name: the legacy system's own directory
            people[primary_index] = primary.model_copy(update={"benefits_account": account})
        elif isinstance(request, MemberAddressChangeRequested) and request.address_kind == "WORK":
            people[primary_index] = primary.model_copy(update={"work_address": request.address})
        elif isinstance(request, MemberAddressChangeRequested):
            former = primary.home_address
            people = [
                p.model_copy(update={"home_address": request.address})
                if p.role is BeneficiaryRole.PRIMARY or p.home_address in (None, former)
                else p
                for p in people
            ]
        else:
            given = {name: getattr(request, name) for name in ("mobile_phone", "home_phone", "work_phone", "email")}
            people[primary_index] = primary.model_copy(update={name: value for name, value in given.items() if value is not None})
        updated = HouseholdBeneficiariesRecorded.model_validate(
            {**household.model_dump(), "beneficiaries": [p.model_dump() for p in people], "revision": _next_revision(household.revision)}
        )
        self.beneficiaries[key] = updated
        return [updated]

    def _dependant_affiliated(self, request: BeneficiaryAdditionRequested, now: datetime) -> list[Event]:
        """An employee's membership (a collective contract named by the request) with the dependant added, republished
        on legacy.memberships as the employer portal's employee sheet reads it; nothing for a membership not followed
        yet, or one that holds the person already."""
        if request.contract_number is None:
            return []
        key = (self._tenant, request.member_number, request.contract_number)
        kept = self.memberships.get(key)
        if kept is None:
            log.info("membership not followed: no snapshot to publish", request_id=str(request.request_id))
            return []
        if any(beneficiary_id(kept.member_number, d.first_name, d.birth_date) == _identifier(request) for d in kept.dependants):
            return []
        added = request.beneficiary.model_dump()
        # A child may be covered under a parent's NIR: the membership records the primary insured's then.
        dependant = Dependant.model_validate({**added, "nir": added["nir"] or kept.primary.nir})
        updated = kept.model_copy(
            update={"dependants": [*kept.dependants, dependant], "recorded_on": now.date(), "revision": _next_revision(kept.revision)}
        )
        updated = MemberAffiliated.model_validate(updated.model_dump())
        self.memberships[key] = updated
        return [updated]

    def _new_guarantee(self, request: GuaranteeChangeRequested) -> list[Event]:
        """The member's contract with the guarantee held until the day before the change, and the new one from then."""
        key = (self._tenant, request.member_number)
        contract = self.contracts.get(key)
        if contract is None:
            log.info("contract not followed: no snapshot to publish", request_id=str(request.request_id))
            return []
        start = request.effective_date
        periods = []
        for period in contract.guarantees:
            if period.start_date >= start:
                continue  # replaced before it began
            if period.end_date is None or period.end_date >= start:
                period = period.model_copy(update={"end_date": start - timedelta(days=1)})
            periods.append(period)
        periods.append(GuaranteePeriod(guarantee_code=request.guarantee_code, name=request.guarantee_name, start_date=start))
        updated = MemberContractRecorded.model_validate(
            {**contract.model_dump(), "guarantees": [p.model_dump() for p in periods], "revision": _next_revision(contract.revision)}
        )
        self.contracts[key] = updated
        return [updated]

    def _contribution_paid(self, request: ContributionPaymentRequested, now: datetime) -> list[Event]:
        """The member's contract with the contribution paid online as the last payment, and nothing due any more."""
        key = (self._tenant, request.member_number)
        contract = self.contracts.get(key)
        if contract is None:
            log.info("contract not followed: no snapshot to publish", request_id=str(request.request_id))
            return []
        paid = ContributionPayment(paid_on=now.date(), amount=request.amount)
        contribution = contract.contribution.model_copy(update={"last_payment": paid, "amount_due": None, "due_date": None})
        updated = MemberContractRecorded.model_validate(
            {**contract.model_dump(), "contribution": contribution.model_dump(), "revision": _next_revision(contract.revision)}
        )
        self.contracts[key] = updated
        return [updated]

    def _broker_contact_changed(self, request: BrokerContactChangeRequested) -> list[Event]:
        """The office as last published, with its new contact person, email and phone (written as the legacy system
        writes phones, « 04 78 12 34 56 »); nothing for an office not followed yet."""
        key = (self._tenant, request.broker_code)
        office = self.brokers.get(key)
        if office is None:
            log.info("brokerage office not followed: no snapshot to publish", request_id=str(request.request_id))
            return []
        changes: dict[str, Any] = {
            "contact_last_name": request.contact_last_name,
            "contact_first_name": request.contact_first_name,
            "email": request.email,
        }
        if request.phone is not None:
            changes["phone"] = phonenumbers.format_number(phonenumbers.parse(request.phone), phonenumbers.PhoneNumberFormat.NATIONAL)
        updated = BrokerRegistered.model_validate({**office.model_dump(), **changes, "revision": _next_revision(office.revision)})
        self.brokers[key] = updated
        return [updated]

    def _save(self) -> None:
        if self._state is not None:
            self._state.write_text(json.dumps(self.awaiting, ensure_ascii=False))


def _choices_applied(kept: CommunicationPreferencesRecorded, request: CommunicationChoicesChangeRequested) -> dict[str, Any]:
    """The matrix with the cells the member chose (the others as they were)."""
    changed = {}
    for kind in ("technical", "commercial", "partners", "other"):
        chosen = getattr(request, kind)
        if chosen is not None:
            changed[kind] = {**getattr(kept, kind).model_dump(), **chosen.model_dump(exclude_none=True)}
    return changed


def _identifier(request: BeneficiaryAdditionRequested) -> str:
    """The household's id of the person added (as the household's file and the portals name them)."""
    return beneficiary_id(request.member_number, request.beneficiary.first_name, request.beneficiary.birth_date)


def _next_revision(kept: int) -> int:
    """The legacy system's revisions only grow: minutes since 1970, above any the generator gave."""
    return max(kept + 1, int(time.time() // 60))


async def run(
    decider: Decider,
    *,
    bootstrap: str,
    topic_prefix: str = "",
    stop: asyncio.Event | None = None,
    group: str = GROUP,
    files: RequestFiles | None = None,
) -> int:
    """Decide every request of `portal.requests` until `stop` is set (or forever); the number of requests read.
    `legacy.households` is followed too: the preferences an accepted paperless option changes. `files`: where the
    requests' files are fetched from and checked before they are decided (None: not fetched)."""
    followed = (topic_prefix + HOUSEHOLDS, topic_prefix + BROKERS, topic_prefix + MEMBERSHIPS)  # the files the requests are applied to
    consumer = AIOKafkaConsumer(
        topic_prefix + PORTAL_REQUESTS,
        *followed,
        **client_kwargs(bootstrap),
        group_id=topic_prefix + group,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
    )
    producer = AIOKafkaProducer(**client_kwargs(bootstrap), acks="all", enable_idempotence=True)
    for topic in followed:
        await _catch_up(decider, bootstrap, topic)
    await consumer.start()
    await producer.start()
    read = 0
    stop = stop or asyncio.Event()
    try:
        while not stop.is_set():
            batches = await consumer.getmany(timeout_ms=200)
            # The households' news first: a request decided in the same batch sees them.
            for partition, records in sorted(batches.items(), key=lambda item: item[0].topic not in followed):
                for record in records:
                    if partition.topic in followed:
                        _observed(decider, record)
                        continue
                    read += 1
                    for event in await _decided(decider, record, files):
                        if decider.policy.delay_seconds:
                            await asyncio.sleep(decider.policy.delay_seconds)
                        await _publish(producer, topic_prefix, event, _tenant(record))
            if batches:
                await consumer.commit()
    finally:
        await consumer.stop()
        await producer.stop()
    return read


@contextlib.asynccontextmanager
async def deciding(
    *rules: str,
    bootstrap: str,
    topic_prefix: str = "",
    reason: str = DEFAULT_REASON,
    state: Path | None = None,
    files: RequestFiles | None = None,
) -> AsyncIterator[Decider]:
    """The simulated legacy system deciding in the background while the block runs (a test's): `rules` and `reason`
    as `legacy-simulator decide --policy ... --reason ...` takes them (none: every request accepted). It yields the
    `Decider` (what it leaves to an advisor, the files it follows); leaving the block stops it, and raises what made
    it fail if it did. `files`: the requests' files fetched and checked before each is decided (`request_files`)."""
    decider = Decider(Policy.parse(rules, reason=reason), state=state)
    stop = asyncio.Event()
    task = asyncio.create_task(run(decider, bootstrap=bootstrap, topic_prefix=topic_prefix, stop=stop, files=files))
    try:
        yield decider
    finally:
        stop.set()
        await task


async def _decided(decider: Decider, record: Any, files: RequestFiles | None) -> list[Event]:
    try:
        envelope = Envelope.from_headers(record.headers)
        event = lookup(envelope.type, envelope.version).model_validate_json(record.value)
    except (EnvelopeError, UnknownEventType, ValueError) as exc:
        log.warning("request unreadable: left aside", error_class=type(exc).__name__, offset=record.offset)
        return []
    unreadable = None
    if files is not None and not isinstance(event, AdvisorDecisionRecorded):
        unreadable = await files.refusal(envelope.tenant, str(request_id_of(event, envelope)), event)
    return decider.decide(envelope, event, unreadable=unreadable)


async def _catch_up(decider: Decider, bootstrap: str, topic: str) -> None:
    """Everything already on the households' stream, observed before the first request is decided (the group's
    committed offsets would otherwise skip what came before a restart)."""
    consumer = AIOKafkaConsumer(**client_kwargs(bootstrap), group_id=None, enable_auto_commit=False)
    await consumer.start()
    try:
        await consumer.topics()  # the cluster's metadata, so that the topic's partitions are known
        partitions = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic) or ()]
        if not partitions:
            return
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        ends = await consumer.end_offsets(partitions)
        while [tp for tp in partitions if await consumer.position(tp) < ends[tp]]:
            for records in (await consumer.getmany(timeout_ms=500)).values():
                for record in records:
                    _observed(decider, record)
    finally:
        await consumer.stop()


def _observed(decider: Decider, record: Any) -> None:
    try:
        envelope = Envelope.from_headers(record.headers)
        decider.observe(envelope, lookup(envelope.type, envelope.version).model_validate_json(record.value))
    except (EnvelopeError, UnknownEventType, ValueError):
        return  # not one the simulator follows


def _tenant(record: Any) -> str:
    return dict(record.headers).get("ce_tenant", b"").decode()


async def _publish(producer: AIOKafkaProducer, topic_prefix: str, event: Event, tenant: str) -> None:
    envelope = Envelope(type=event.TYPE, version=event.VERSION, source=SOURCE, tenant=tenant, key=event.key())
    await producer.send_and_wait(
        topic_prefix + event.STREAM, value=event.model_dump_json().encode(), key=envelope.key.encode(), headers=envelope.to_headers()
    )
