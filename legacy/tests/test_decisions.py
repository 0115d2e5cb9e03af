"""The simulated back office deciding the portals' requests: by policy, with the consequences the legacy
system would publish, an advisor's decision applied to the request it names, and the whole loop on Kafka."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, date, datetime

import pytest
from aiokafka.errors import KafkaConnectionError

from extranet_contracts.decisions import DECISIONS, RequestAccepted, RequestReferredToAdvisor, RequestRefused
from extranet_contracts.envelope import Envelope
from extranet_contracts.legacy import MEMBERSHIPS, MemberRadiated
from extranet_contracts.requests import PORTAL_REQUESTS, AdvisorDecisionRecorded, ContactChangeRequested
from extranet_contracts.testing import employee_termination_requested
from extranet_plumbing.kafka import ensure_topics
from extranet_plumbing.testing import publish_event, read_topic
from legacy_simulator.cli import main
from legacy_simulator.decisions import Decider, Policy, deciding, run

NOW = datetime(2026, 12, 2, 10, tzinfo=UTC)
TERMINATION = employee_termination_requested()


def envelope_of(event) -> Envelope:
    return Envelope(type=event.TYPE, version=event.VERSION, source="urn:extranet:enrollment", tenant="mbtp", key=event.key())


def decider(*rules: str, **options) -> Decider:
    return Decider(Policy.parse(rules, **options), clock=lambda: NOW)


def test_an_accepted_termination_is_followed_by_the_radiation():
    accepted, radiated = decider("accept").decide(envelope_of(TERMINATION), TERMINATION)
    assert isinstance(accepted, RequestAccepted) and accepted.request_id == TERMINATION.request_id and accepted.decided_at == NOW
    assert isinstance(radiated, MemberRadiated)
    assert (radiated.membership_id, radiated.member_number, radiated.contract_number, radiated.effective_date, radiated.reason) == (
        "ADH-0000042",
        "73000042",
        "W1-000123",
        TERMINATION.effective_date,
        "DEMISSION",
    )
    assert radiated.revision > 2  # above the generator's radiations


def test_a_refusal_gives_the_configured_reason_and_changes_nothing_else():
    [refused] = decider("EmployeeTerminationRequested=refuse", reason="Pièce justificative manquante").decide(
        envelope_of(TERMINATION), TERMINATION
    )
    assert isinstance(refused, RequestRefused) and refused.reason == "Pièce justificative manquante"


def test_a_request_without_an_id_of_its_own_is_named_by_its_event():
    change = ContactChangeRequested(requester_kind="member", reference="73000042", phone="+33612345678")
    envelope = envelope_of(change)
    [accepted] = decider("accept").decide(envelope, change)  # nothing else: the next snapshot carries the new phone
    assert accepted.request_id == envelope.id


def test_an_accepted_paperless_option_republishes_the_households_preferences_with_it():
    from extranet_contracts.households import CommunicationPreferencesRecorded, Consent
    from extranet_contracts.requests import PaperlessOptionRequested

    simulator = decider("accept")
    known = CommunicationPreferencesRecorded(member_number="73000042", technical={"email": Consent.ACCEPTED}, revision=7)
    simulator.observe(envelope_of(known), known)
    simulator.observe(envelope_of(known), known.model_copy(update={"revision": 3}))  # an older snapshot is not kept
    by = {"portal": "member", "account": "m-1", "reference": "73000042"}
    on = PaperlessOptionRequested(request_id=uuid.uuid4(), requested_by=by, member_number="73000042", paperless=True)
    accepted, recorded = simulator.decide(envelope_of(on), on)
    assert isinstance(accepted, RequestAccepted) and isinstance(recorded, CommunicationPreferencesRecorded)
    assert (recorded.paperless, recorded.paperless_since, recorded.technical.email) == (True, NOW.date(), Consent.ACCEPTED)
    assert recorded.revision > 7
    off = on.model_copy(update={"request_id": uuid.uuid4(), "paperless": False})
    _, back = simulator.decide(envelope_of(off), off)
    assert (back.paperless, back.paperless_since, back.technical.email) == (
        False,
        None,
        Consent.ACCEPTED,
    ) and back.revision > recorded.revision


def test_an_advisors_decision_is_applied_to_the_request_left_to_an_advisor(tmp_path):
    state = tmp_path / "awaiting.json"
    [referred] = Decider(Policy.parse(["advisor"]), state=state, clock=lambda: NOW).decide(envelope_of(TERMINATION), TERMINATION)
    assert isinstance(referred, RequestReferredToAdvisor)
    restarted = Decider(Policy.parse(["advisor"]), state=state, clock=lambda: NOW)  # kept across a restart
    advice = AdvisorDecisionRecorded(request_id=TERMINATION.request_id, requester_reference="12345678", operator="op-1", accepted=True)
    accepted, radiated = restarted.decide(envelope_of(advice), advice)
    assert isinstance(accepted, RequestAccepted) and isinstance(radiated, MemberRadiated)
    refusal = AdvisorDecisionRecorded(
        request_id=uuid.uuid4(), requester_reference="12345678", operator="op-1", accepted=False, reason="Hors délai"
    )
    [refused] = restarted.decide(envelope_of(refusal), refusal)
    assert isinstance(refused, RequestRefused) and refused.reason == "Hors délai"
    assert restarted.awaiting == {}


def test_an_unknown_outcome_is_refused_at_the_command_line(capsys):
    assert main(["decide", "--policy", "EmployeeTerminationRequested=maybe"]) == 2
    assert "unknown outcome" in capsys.readouterr().err


async def test_the_simulator_decides_what_it_reads_on_kafka(infra, kafka_settings, topic_prefix, kafka_producer):
    await ensure_topics(kafka_settings, [topic_prefix + t for t in (PORTAL_REQUESTS, DECISIONS, MEMBERSHIPS)], with_dlq=False)
    stop = asyncio.Event()
    running = asyncio.create_task(
        run(Decider(Policy.parse(["accept"])), bootstrap=infra.kafka_bootstrap, topic_prefix=topic_prefix, stop=stop)
    )
    await publish_event(kafka_producer, topic_prefix + PORTAL_REQUESTS, TERMINATION)
    [decision] = await read_topic(infra.kafka_bootstrap, topic_prefix + DECISIONS, expected=1)
    [radiation] = await read_topic(infra.kafka_bootstrap, topic_prefix + MEMBERSHIPS, expected=1)
    stop.set()
    assert await running == 1
    assert RequestAccepted.model_validate_json(decision.value).request_id == TERMINATION.request_id
    assert decision.key.decode() == str(TERMINATION.request_id) and dict(decision.headers)["ce_tenant"] == b"mbtp"
    assert MemberRadiated.model_validate_json(radiation.value).member_number == "73000042"


async def test_deciding_runs_the_simulator_with_its_rules_for_the_block_only(infra, kafka_settings, topic_prefix, kafka_producer):
    await ensure_topics(kafka_settings, [topic_prefix + t for t in (PORTAL_REQUESTS, DECISIONS, MEMBERSHIPS)], with_dlq=False)
    contact = ContactChangeRequested(requester_kind="member", reference="73000042", phone="+33612345678")
    requests = topic_prefix + PORTAL_REQUESTS
    rules = ("EmployeeTerminationRequested=advisor", "refuse")
    async with deciding(*rules, reason="Pièce manquante", bootstrap=infra.kafka_bootstrap, topic_prefix=topic_prefix) as simulator:
        await publish_event(kafka_producer, requests, TERMINATION)
        await publish_event(kafka_producer, requests, contact)
        decisions = {
            dict(r.headers)["ce_type"].decode(): r.value
            for r in await read_topic(infra.kafka_bootstrap, topic_prefix + DECISIONS, expected=2)
        }
        assert list(simulator.awaiting) == [str(TERMINATION.request_id)]
    assert RequestReferredToAdvisor.model_validate_json(decisions["RequestReferredToAdvisor"]).request_id == TERMINATION.request_id
    assert RequestRefused.model_validate_json(decisions["RequestRefused"]).reason == "Pièce manquante"
    await publish_event(kafka_producer, requests, employee_termination_requested(request_id=uuid.uuid4()))
    assert len(await read_topic(infra.kafka_bootstrap, topic_prefix + DECISIONS, expected=3, timeout=3)) == 2  # stopped with the block


async def test_deciding_raises_what_stopped_the_simulator(topic_prefix):
    with pytest.raises(KafkaConnectionError):
        async with deciding(bootstrap="127.0.0.1:9", topic_prefix=topic_prefix):
            await asyncio.sleep(0.1)


def test_an_accepted_affiliation_is_followed_by_the_new_members_affiliation():
    from extranet_contracts.legacy import MemberAffiliated
    from extranet_contracts.testing import affiliation_requested

    request = affiliation_requested()
    accepted, affiliated = decider("accept").decide(envelope_of(request), request)
    assert isinstance(accepted, RequestAccepted) and isinstance(affiliated, MemberAffiliated)
    assert (affiliated.contract_number, affiliated.company_code, affiliated.effective_date, affiliated.primary.nir) == (
        "W1-000123",
        "12345678",
        request.effective_date,
        "184056912345690",
    )
    assert [d.first_name for d in affiliated.dependants] == ["Hugo"] and affiliated.email == "marc.petit@example.org"
    again = decider("accept").decide(envelope_of(request), request)[1]
    assert (again.member_number, again.membership_id) == (affiliated.member_number, affiliated.membership_id)  # numbered once


def test_a_paperless_option_for_a_household_not_seen_yet_is_published_all_the_same():
    from extranet_contracts.households import Consent
    from extranet_contracts.requests import PaperlessOptionRequested

    by = {"portal": "member", "account": "m-1", "reference": "73000077"}
    on = PaperlessOptionRequested(request_id=uuid.uuid4(), requested_by=by, member_number="73000077", paperless=True)
    _, recorded = decider("accept").decide(envelope_of(on), on)
    assert (recorded.member_number, recorded.paperless, recorded.technical.email) == ("73000077", True, Consent.UNDEFINED)


# --- the member's situation changes: the household's file republished with the change ------------------------------

MEMBER = {"portal": "member", "account": "m-1", "reference": "73000042"}


def _following_lea():
    from extranet_contracts.testing import household_beneficiaries_recorded, member_contract_recorded

    simulator = decider("accept")
    for snapshot in (household_beneficiaries_recorded(revision=3), member_contract_recorded(revision=2)):
        simulator.observe(envelope_of(snapshot), snapshot)
    return simulator


def _change(model, **values):
    return model(request_id=uuid.uuid4(), requested_by=MEMBER, member_number="73000042", effective_date="2027-01-01", **values)


def test_an_accepted_benefits_iban_is_in_the_households_next_beneficiaries():
    from extranet_contracts.households import HouseholdBeneficiariesRecorded
    from extranet_contracts.requests import BenefitsIbanChangeRequested

    change = _change(BenefitsIbanChangeRequested, account={"iban": "DE89370400440532013000", "bic": "COBADEFFXXX", "holder": "Léa Durand"})
    accepted, recorded = _following_lea().decide(envelope_of(change), change)
    assert isinstance(accepted, RequestAccepted) and isinstance(recorded, HouseholdBeneficiariesRecorded)
    lea, hugo = recorded.beneficiaries
    assert (lea.benefits_account.iban, lea.benefits_account.bic, lea.benefits_account.holder) == (
        "DE89370400440532013000",
        "COBADEFFXXX",
        "Léa Durand",
    )
    assert lea.email == "lea.durand@orange.fr" and hugo.first_name == "Hugo"  # the rest of the file kept
    assert recorded.revision > 3 and recorded.key() == "73000042"


def test_an_accepted_move_takes_those_who_lived_there_and_contact_details_change_only_what_is_given():
    from extranet_contracts.requests import MemberAddressChangeRequested, MemberContactDetailsChangeRequested

    simulator = _following_lea()
    moved = _change(MemberAddressChangeRequested, address={"line1": "3 rue Longue", "postal_code": "13400", "city": "Aubagne"})
    _, recorded = simulator.decide(envelope_of(moved), moved)
    assert [b.home_address.city for b in recorded.beneficiaries] == ["Aubagne", "Aubagne"]  # Hugo lived with his mother
    office = {"line1": "1 quai du Port", "postal_code": "13002", "city": "Marseille"}
    at_work = _change(MemberAddressChangeRequested, address=office, address_kind="WORK")
    _, recorded = simulator.decide(envelope_of(at_work), at_work)
    assert (recorded.beneficiaries[0].work_address.city, recorded.beneficiaries[0].home_address.city) == ("Marseille", "Aubagne")
    assert recorded.beneficiaries[1].work_address is None
    contact = _change(MemberContactDetailsChangeRequested, work_phone="+33491234116")
    _, again = simulator.decide(envelope_of(contact), contact)
    lea = again.beneficiaries[0]
    assert (lea.work_phone, lea.mobile_phone, lea.home_address.city) == ("+33491234116", "06 12 34 56 78", "Aubagne")
    assert again.revision > recorded.revision


def test_a_dependant_removed_leaves_the_household_and_one_it_does_not_hold_is_refused():
    from extranet_contracts.requests import BeneficiaryRemovalRequested

    simulator = _following_lea()
    hugo = {"role": "ENFANT", "last_name": "Durand", "first_name": "hugo", "birth_date": "2015-03-02"}
    stranger = _change(BeneficiaryRemovalRequested, beneficiary={**hugo, "first_name": "Jules"}, reason="AUTRE")
    [refused] = simulator.decide(envelope_of(stranger), stranger)
    assert isinstance(refused, RequestRefused) and refused.reason == "Cette personne n'est pas bénéficiaire de votre contrat."
    removal = _change(BeneficiaryRemovalRequested, beneficiary=hugo, reason="AUTRE_MUTUELLE")
    accepted, recorded = simulator.decide(envelope_of(removal), removal)
    assert isinstance(accepted, RequestAccepted) and [b.first_name for b in recorded.beneficiaries] == ["Léa"]


def test_a_dependant_named_by_the_households_id_is_found_by_it_whatever_the_names_say():
    from extranet_contracts.households import beneficiary_id
    from extranet_contracts.requests import BeneficiaryRemovalRequested

    simulator = _following_lea()
    hugo = {"role": "ENFANT", "last_name": "Durand", "first_name": "Hugo", "birth_date": "2015-03-02"}
    guessed = {**hugo, "beneficiary_id": beneficiary_id("73000099", "Hugo", date(2015, 3, 2))}  # another household's Hugo
    [refused] = simulator.decide(
        envelope_of(guessed_removal := _change(BeneficiaryRemovalRequested, beneficiary=guessed, reason="AUTRE")), guessed_removal
    )
    assert isinstance(refused, RequestRefused)
    named = {**hugo, "beneficiary_id": beneficiary_id("73000042", "Hugo", date(2015, 3, 2))}
    removal = _change(BeneficiaryRemovalRequested, beneficiary=named, reason="AUTRE")
    accepted, recorded = simulator.decide(envelope_of(removal), removal)
    assert isinstance(accepted, RequestAccepted) and [b.first_name for b in recorded.beneficiaries] == ["Léa"]


def test_a_contribution_paid_online_is_the_last_payment_and_nothing_is_due_any_more():
    from extranet_contracts.households import MemberContractRecorded
    from extranet_contracts.requests import ContributionPaymentRequested
    from extranet_contracts.testing import member_contract_recorded

    simulator = decider("accept")
    due = member_contract_recorded(
        revision=2, contribution={"payment_mode": "PRELEVEMENT", "frequency": "MENSUELLE", "amount_due": "58.40", "due_date": "2026-12-01"}
    )
    simulator.observe(envelope_of(due), due)

    def payment(amount: str) -> ContributionPaymentRequested:
        values = {"contract_number": "W1-000123", "amount": amount, "payment_reference": "COT-0123456789AB"}
        return _change(ContributionPaymentRequested, **values)

    [refused] = simulator.decide(envelope_of(wrong := payment("50.00")), wrong)
    assert isinstance(refused, RequestRefused) and "ne correspond pas à la cotisation due" in refused.reason
    accepted, recorded = simulator.decide(envelope_of(paid := payment("58.40")), paid)
    assert isinstance(accepted, RequestAccepted) and isinstance(recorded, MemberContractRecorded)
    contribution = recorded.contribution
    assert (str(contribution.last_payment.amount), contribution.last_payment.paid_on, contribution.amount_due) == (
        "58.40",
        NOW.date(),
        None,
    )
    assert recorded.revision > 2 and recorded.guarantees == due.guarantees


def test_an_accepted_guarantee_change_closes_the_current_one_the_day_before():
    from extranet_contracts.households import MemberContractRecorded
    from extranet_contracts.requests import GuaranteeChangeRequested

    change = _change(GuaranteeChangeRequested, guarantee_code="IND-CONFORT", guarantee_name="Santé Confort")
    _, recorded = _following_lea().decide(envelope_of(change), change)
    assert isinstance(recorded, MemberContractRecorded)
    assert [(g.guarantee_code, str(g.start_date), str(g.end_date)) for g in recorded.guarantees] == [
        ("SANTE-SOCLE", "2024-01-01", "2025-12-31"),
        ("SANTE-SOCLE-2026", "2026-01-01", "2026-12-31"),
        ("IND-CONFORT", "2027-01-01", "None"),
    ]


def test_a_change_for_a_household_not_followed_yet_is_accepted_without_a_snapshot():
    from extranet_contracts.requests import DebitDayChangeRequested, MemberAddressChangeRequested

    moved = _change(MemberAddressChangeRequested, address={"line1": "3 rue Longue", "postal_code": "13400", "city": "Aubagne"})
    debit = _change(DebitDayChangeRequested, debit_day=10)
    for change in (moved, debit):
        [accepted] = decider("accept").decide(envelope_of(change), change)
        assert isinstance(accepted, RequestAccepted) and accepted.request_id == change.request_id


def test_accepted_communication_choices_change_only_the_cells_chosen_and_keep_the_paperless_option():
    from extranet_contracts.households import CommunicationPreferencesRecorded, Consent
    from extranet_contracts.requests import CommunicationChoicesChangeRequested, SponsorshipProposed
    from extranet_contracts.testing import communication_preferences_recorded

    simulator = decider("accept")
    known = communication_preferences_recorded(paperless=True, paperless_since="2026-01-05", revision=5)
    simulator.observe(envelope_of(known), known)
    change = _change(CommunicationChoicesChangeRequested, commercial={"email": "ACCEPTE"}, partners={"sms": "ACCEPTE", "post": "REFUSE"})
    accepted, recorded = simulator.decide(envelope_of(change), change)
    assert isinstance(accepted, RequestAccepted) and isinstance(recorded, CommunicationPreferencesRecorded)
    assert (recorded.commercial.email, recorded.commercial.sms, recorded.partners.sms, recorded.partners.post) == (
        Consent.ACCEPTED,
        Consent.REFUSED,  # as it was
        Consent.ACCEPTED,
        Consent.REFUSED,
    )
    assert (recorded.technical, recorded.paperless, str(recorded.paperless_since)) == (known.technical, True, "2026-01-05")
    assert recorded.revision > 5
    friend = _change(SponsorshipProposed, civility="MME", last_name="Martin", first_name="Sophie", email="sophie.martin@example.org")
    [only] = simulator.decide(envelope_of(friend), friend)  # the mutuelle calls her: nothing the platform follows changes
    assert isinstance(only, RequestAccepted)


def test_what_the_members_file_rules_out_is_refused_whatever_the_policy():
    from extranet_contracts.requests import ContributionIbanChangeRequested, DebitDayChangeRequested, GuaranteeChangeRequested

    simulator = _following_lea()  # her contributions are taken from her salary; SANTE SOCLE 2026 is hers
    held = _change(GuaranteeChangeRequested, guarantee_code="SANTE-SOCLE-2026", guarantee_name="SANTE SOCLE 2026")
    debit = _change(DebitDayChangeRequested, debit_day=10)
    account = _change(
        ContributionIbanChangeRequested, account={"iban": "FR7630006000011234567890189", "bic": "AGRIFRPP882", "holder": "Léa"}
    )
    reasons = [simulator.decide(envelope_of(r), r)[0].reason for r in (held, debit, account)]
    assert reasons == [
        "Cette garantie est déjà la vôtre.",
        "Vos cotisations ne sont pas prélevées sur un compte bancaire : contactez votre conseiller.",
        "Vos cotisations ne sont pas prélevées sur un compte bancaire : contactez votre conseiller.",
    ]
    from extranet_contracts.testing import member_contract_recorded

    debited = member_contract_recorded(contribution={"payment_mode": "PRELEVEMENT", "frequency": "MENSUELLE"}, revision=9)
    simulator.observe(envelope_of(debited), debited)
    assert isinstance(simulator.decide(envelope_of(debit), debit)[0], RequestAccepted)


MARCEL = {"role": "ADULTE", "civility": "M", "last_name": "Durand", "first_name": "Marcel", "birth_date": "1958-04-10"}
MARCEL_NIR = "158047505612337"


def test_an_accepted_adult_dependant_joins_the_household_and_the_employees_membership_once():
    """An adult dependant (ADULTE, guide 003: « Conjoint, Adulte, Enfant ») added by the employer: the household's
    beneficiaries (member portal) and the employee's membership (employer portal) hold him; decided again, nothing new."""
    from extranet_contracts.households import BeneficiaryRole, HouseholdBeneficiariesRecorded
    from extranet_contracts.legacy import MemberAffiliated
    from extranet_contracts.requests import BeneficiaryAdditionRequested
    from extranet_contracts.testing import member_affiliated

    simulator = _following_lea()
    lea = member_affiliated(insured_group="P")
    simulator.observe(envelope_of(lea), lea)
    employer = {"portal": "employer", "account": "c-1", "reference": "12345678"}
    addition = BeneficiaryAdditionRequested(
        request_id=uuid.uuid4(),
        requested_by=employer,
        member_number="73000042",
        contract_number="W1-000123",
        beneficiary={**MARCEL, "nir": MARCEL_NIR},
        effective_date="2027-01-01",
    )
    accepted, household, membership = simulator.decide(envelope_of(addition), addition)
    assert isinstance(accepted, RequestAccepted) and isinstance(household, HouseholdBeneficiariesRecorded)
    assert [(b.first_name, b.role) for b in household.beneficiaries] == [
        ("Léa", BeneficiaryRole.PRIMARY),
        ("Hugo", BeneficiaryRole.CHILD),
        ("Marcel", BeneficiaryRole.ADULT),
    ]
    assert (
        household.beneficiaries[2].nir == MARCEL_NIR and household.beneficiaries[2].home_address == household.beneficiaries[0].home_address
    )
    assert isinstance(membership, MemberAffiliated) and membership.revision > lea.revision
    assert [(d.first_name, d.role.value, d.nir) for d in membership.dependants] == [
        ("Hugo", "ENFANT", "115037800608494"),
        ("Marcel", "ADULTE", MARCEL_NIR),
    ]
    assert membership.model_dump(exclude={"dependants", "revision", "recorded_on"}) == lea.model_dump(
        exclude={"dependants", "revision", "recorded_on"}
    )
    [again] = simulator.decide(envelope_of(addition), addition)
    assert isinstance(again, RequestAccepted)  # in the file already: nothing republished


def test_a_members_own_addition_changes_the_household_only():
    from extranet_contracts.requests import BeneficiaryAdditionRequested

    addition = _change(BeneficiaryAdditionRequested, beneficiary={**MARCEL, "nir": MARCEL_NIR})
    accepted, household = _following_lea().decide(envelope_of(addition), addition)
    assert household.beneficiaries[-1].role.value == "ADULTE" and household.revision > 3
