"""Identity's business rules, tested directly: phone numbers, names, the email cases of the legacy
match, contact details, the account's notification address."""

from __future__ import annotations

import uuid
from datetime import date

import pytest

from extranet_contracts.phones import UnusablePhoneNumber, mobile_e164, phone_e164
from identity.domain.accounts import Account
from identity.domain.contacts import InvalidContact, canonical_email, canonical_phone
from identity.domain.members import EmailCase, legacy_email_case, read_access_until, same_name


@pytest.mark.parametrize(
    "typed", ["06 09 26 78 12", "0609267812", "+33 6 09 26 78 12", "0033 6 09 26 78 12", "06.09.26.78.12", "+33609267812"]
)
def test_french_mobile_numbers_as_people_type_them_have_one_form(typed):
    assert mobile_e164(typed) == "+33609267812"
    assert canonical_phone(typed, mobile=True) == "+33609267812"


def test_a_landline_is_a_phone_but_not_a_mobile_and_errors_never_repeat_the_number():
    assert phone_e164("04 91 00 00 00") == "+33491000000"
    with pytest.raises(UnusablePhoneNumber) as refused:
        mobile_e164("04 91 00 00 00")
    assert "0491" not in str(refused.value)
    with pytest.raises(InvalidContact):
        canonical_phone("06 12", mobile=True)


def test_names_compare_without_accents_case_or_hyphens():
    assert same_name("LEFÈVRE-D'ARC", "Lefevre d arc")
    assert same_name("Durand", "DURAND")
    assert not same_name("Durand", "Dupont")
    assert not same_name("", "")


@pytest.mark.parametrize(
    ("on_file", "given", "case"),
    [
        (None, "lea@orange.fr", EmailCase.NONE_ON_FILE),
        ("", "lea@orange.fr", EmailCase.NONE_ON_FILE),
        ("Lea@Orange.fr", " lea@orange.fr", EmailCase.SAME_AS_ON_FILE),
        ("lea@orange.fr", "lea.nouvelle@gmail.com", EmailCase.OTHER_THAN_ON_FILE),
    ],
)
def test_the_three_email_cases_of_the_legacy_match(on_file, given, case):
    assert legacy_email_case(on_file, given) is case


def test_emails_are_checked_and_lower_cased():
    assert canonical_email(" Lea.Durand@Orange.FR ") == "lea.durand@orange.fr"
    for wrong in ("lea.durand@", "lea durand@orange.fr", "lea@durand.fr."):
        with pytest.raises(InvalidContact):
            canonical_email(wrong)


def test_read_access_after_radiation_lasts_the_configured_months():
    assert read_access_until(date(2026, 3, 31), 12) == date(2027, 3, 31)
    assert read_access_until(date(2026, 1, 31), 1) == date(2026, 2, 28)
    assert read_access_until(date(2026, 11, 15), 2) == date(2027, 1, 15)


def test_notifications_go_to_the_notification_email_when_one_is_set():
    account = Account(id=uuid.uuid4(), tenant="mgen", kind="correspondent", identifier="rg.paie", email="m.petit@rive-gauche.fr")
    assert account.notification_address == "m.petit@rive-gauche.fr"
    account.notification_email = "paie@rive-gauche.fr"
    assert account.notification_address == "paie@rive-gauche.fr"


def test_a_radiated_member_reads_for_the_configured_months_then_nothing():
    from identity.domain.members import Access, MemberOnFile, member_access

    member = MemberOnFile("mbtp", "73000042", "DURAND", "Léa", [date(1985, 5, 12)])
    assert member_access(member, date(2026, 11, 23), 12) is Access.FULL
    member.radiated_on = date(2026, 11, 30)  # notice given: covered until then
    assert member_access(member, date(2026, 11, 23), 12) is Access.FULL
    member.radiated_on = date(2026, 10, 31)
    assert member_access(member, date(2026, 11, 23), 12) is Access.READ_ONLY
    assert member_access(member, date(2027, 10, 31), 12) is Access.READ_ONLY
    assert member_access(member, date(2027, 11, 1), 12) is Access.NONE
    assert member_access(member, date(2026, 12, 1), 1) is Access.NONE


def test_a_contact_change_asks_only_for_what_differs_and_is_carried_when_the_legacy_values_equal_it():
    from datetime import UTC, datetime

    from identity.domain.contact_changes import carried_by, pending_change

    at = datetime(2026, 11, 23, tzinfo=UTC)
    assert pending_change("a@x.fr", "+33609267812", "a@x.fr", "+33609267812", at) is None
    change = pending_change("a@x.fr", "+33609267812", "b@x.fr", None, at)
    assert (change["email"], change["phone"]) == ("b@x.fr", None)
    assert not carried_by(change, "a@x.fr", "+33609267812")
    assert carried_by(change, "b@x.fr", "+33600000000")
    assert not carried_by(None, "b@x.fr", None)
