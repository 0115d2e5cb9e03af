"""The member's situation changes as plain rules: the checks a form's types cannot make, each refusal a French
sentence that never repeats what was typed, how a change is shown once sent (the IBAN masked), the tenant's lists."""

from __future__ import annotations

import uuid
from datetime import date

import pytest

from enrollment.domain import affiliation, kinds
from enrollment.domain import member_changes as rules
from enrollment.service_layer.member_changes import shown, subject_of
from extranet_contracts.requests import BenefitsIbanChangeRequested, MemberContactDetailsChangeRequested

IBAN = "FR7630006000011234567890189"
BY = {"portal": "member", "account": "m-1", "reference": "73000077"}


def test_an_iban_is_checked_by_python_stdnum_and_kept_compact():
    assert rules.checked_iban("fr76 3000 6000 0112 3456 7890 189") == IBAN
    assert rules.checked_iban("DE89 3704 0044 0532 0130 00") == "DE89370400440532013000"


@pytest.mark.parametrize("typed", ["FR7630006000011234567890188", "FR76300060000112345678901", "GB00 0000", "FR76-3000-6000"])
def test_a_wrong_iban_is_refused_without_repeating_it(typed):
    with pytest.raises(rules.Unacceptable) as refused:
        rules.checked_iban(typed)
    assert str(refused.value).startswith("Cet IBAN n'est pas valide") and typed[4:12] not in str(refused.value)


def test_a_bic_must_be_of_the_accounts_country():
    assert rules.checked_bic("agri frpp 882") == "AGRIFRPP882"
    assert rules.bic_disagreement("AGRIFRPP882", IBAN) is None
    assert rules.bic_disagreement("BDAFGPGP", IBAN) is None  # a bank of Guadeloupe holds French IBANs
    assert rules.bic_disagreement("DEUTDEFF", IBAN) == "Le code BIC ne correspond pas au pays de l'IBAN."
    with pytest.raises(rules.Unacceptable, match="8 ou 11 caractères"):
        rules.checked_bic("AGRIFRP")


def test_an_iban_is_shown_masked_once_sent():
    assert rules.masked_iban(IBAN) == "FR76 **** **** **** **** ***0 189"
    change = BenefitsIbanChangeRequested(
        request_id=uuid.uuid4(),
        requested_by=BY,
        member_number="73000077",
        effective_date=date(2026, 12, 15),
        account={"iban": IBAN, "bic": "AGRIFRPP882", "holder": "Paul Moreau"},
    )
    kept = shown(change)
    assert kept == {
        "member_number": "73000077",
        "effective_date": "2026-12-15",
        "account": {"iban": "FR76 **** **** **** **** ***0 189", "bic": "AGRIFRPP882", "holder": "Paul Moreau"},
    }
    assert change.account.iban == IBAN  # the event keeps it whole, for the legacy system
    assert subject_of(change, "mbtp") == "IBAN FR76 **** **** **** **** ***0 189"


def test_phones_are_read_as_people_type_them_and_a_mobile_must_take_an_sms():
    assert rules.checked_phone("04 91 23 41 16") == "+33491234116"
    assert rules.checked_mobile("06.12.34.56.78") == "+33612345678"
    with pytest.raises(rules.Unacceptable, match="portable valide"):
        rules.checked_mobile("04 91 23 41 16")
    with pytest.raises(rules.Unacceptable, match="n'est pas valide"):
        rules.checked_phone("12")


def test_a_contact_change_says_what_changes():
    change = MemberContactDetailsChangeRequested(
        request_id=uuid.uuid4(), requested_by=BY, member_number="73000077", effective_date=date(2026, 12, 1), work_phone="+33491234116"
    )
    assert subject_of(change, "mbtp") == "Téléphone professionnel"
    with pytest.raises(ValueError, match="at least one"):
        MemberContactDetailsChangeRequested(
            request_id=uuid.uuid4(), requested_by=BY, member_number="73000077", effective_date=date(2026, 12, 1)
        )


def test_addresses_names_and_emails_are_refused_in_french():
    assert rules.checked_postal_code(" 13400 ") == "13400"
    for check, typed, message in (
        (rules.checked_postal_code, "1340", "Le code postal doit compter 5 chiffres."),
        (rules.checked_city, "13", "Indiquez la ville en lettres."),
        (rules.checked_person_name, "J3", "Saisissez le nom en lettres."),
        (rules.checked_email, "paul@", "Cette adresse e-mail n'est pas valide."),
        (rules.checked_beneficiary_id, "Jules 2015-03-02", "Choisissez le bénéficiaire dans la liste de vos bénéficiaires."),
        (rules.checked_consent, "NON_DEFINI", "Choisissez « Accepté » ou « Refusé »."),
        (rules.checked_address_kind, "VACANCES", "Choisissez l'adresse personnelle ou l'adresse professionnelle."),
    ):
        with pytest.raises(rules.Unacceptable) as refused:
            check(typed)
        assert str(refused.value) == message
    assert rules.checked_person_name("Le Gall-Hervé") == "Le Gall-Hervé"


def test_each_kind_has_the_tenants_window_and_lists():
    window = kinds.rules("mbtp", kinds.ADDRESS_CHANGE).window(date(2026, 12, 1))
    assert (window.earliest, window.latest) == (date(2026, 10, 31), date(2027, 3, 3))
    assert rules.window_refusal(window, date(2026, 10, 30)) == "La date d'effet doit être comprise entre le 31/10/2026 et le 03/03/2027."
    assert rules.window_refusal(window, date(2026, 10, 31)) is None
    assert rules.debit_days("mbtp") == {"5": "Le 5 du mois", "10": "Le 10 du mois", "15": "Le 15 du mois"}  # the affiliation's days
    # Each tenant's own individual range (tenants.toml), the former placeholder range nowhere.
    ranges = {
        tenant: kinds.rules(tenant, kinds.CHANGE_GUARANTEE).choices["guarantee_code"] for tenant in ("mbtp", "marseille", "solimut", "mgen")
    }
    assert ranges["mbtp"]["BTP-SANTE-CONFORT"] == "BTP Santé Confort" and "SOL-INTEGRAL" in ranges["solimut"]
    assert len({frozenset(r) for r in ranges.values()}) == 4 and not [c for r in ranges.values() for c in r if c.startswith("IND-")]
    assert [t for t in ("mbtp", "marseille", "solimut", "mgen") if kinds.rules(t, kinds.CONTRIBUTION_PAYMENT).options["enabled"]] == [
        "solimut"
    ]
    assert kinds.rules("solimut", kinds.CONTRIBUTION_PAYMENT).options["mutuelles"] == ["700"]  # the Mutuelle de France Plus
    assert kinds.child_age_limit("mbtp") == 28
    assert "DIVORCE" in rules.choices("mbtp", kinds.REMOVE_BENEFICIARY)["reason"]
    for kind in rules.CONTRACT_CHANGES | rules.ONE_AT_A_TIME:
        assert kinds.CREATED_HERE[kind] == {"member"} and kind in kinds.KIND_LABELS


def test_a_dependant_is_the_same_person_by_id_else_by_first_name_and_birth_date():
    jules = {"role": "ENFANT", "last_name": "Moreau", "first_name": "Jules", "birth_date": "2015-03-02"}
    assert rules.same_person(jules, {**jules, "first_name": "JULES", "last_name": "Moreau-Petit"})
    assert not rules.same_person(jules, {**jules, "birth_date": "2015-03-03"})
    assert not rules.same_person({**jules, "beneficiary_id": "0123456789ab"}, {**jules, "beneficiary_id": "ba9876543210"})
    assert rules.same_person({**jules, "beneficiary_id": "0123456789ab"}, {**jules, "first_name": "Jul", "beneficiary_id": "0123456789ab"})


def test_an_adult_dependant_is_of_age_and_a_child_younger_than_the_limit_on_the_date():
    effective = date(2026, 12, 1)
    assert affiliation.age_refusal("ADULTE", date(2008, 12, 1), effective, 28) is None  # 18 that day
    assert "au moins 18 ans" in affiliation.age_refusal("ADULTE", date(2008, 12, 2), effective, 28)
    assert affiliation.age_refusal("ENFANT", date(1998, 12, 2), effective, 28) is None  # 28 the day after
    assert "moins de 28 ans" in affiliation.age_refusal("ENFANT", date(1998, 12, 1), effective, 28)
    assert "moins de 21 ans" in affiliation.age_refusal("ENFANT", date(2005, 1, 1), effective, 21)  # a tenant's own limit
    assert affiliation.age_refusal("CONJOINT", date(2008, 12, 2), effective, 28) is None


def test_communication_choices_and_a_sponsorship_say_what_they_are_about():
    from extranet_contracts.requests import CommunicationChoicesChangeRequested, SponsorshipProposed

    base = {"request_id": uuid.uuid4(), "requested_by": BY, "member_number": "73000077", "effective_date": date(2026, 12, 1)}
    choices = CommunicationChoicesChangeRequested(**base, other={"sms": "REFUSE"}, technical={"email": "ACCEPTE"})
    assert subject_of(choices, "mbtp") == "Informations techniques, Autres informations"
    assert shown(choices)["other"] == {"sms": "REFUSE"}  # only the cells chosen
    with pytest.raises(ValueError, match="at least one choice"):
        CommunicationChoicesChangeRequested(**base, technical={})
    friend = SponsorshipProposed(**base, civility="M", last_name="Petit", first_name="Marc", phone="+33612345678")
    assert subject_of(friend, "mbtp") == "PETIT Marc"
    with pytest.raises(ValueError, match="an email or a phone"):
        SponsorshipProposed(**base, civility="M", last_name="Petit", first_name="Marc")


def test_an_address_change_says_which_address():
    from extranet_contracts.requests import MemberAddressChangeRequested

    base = {"request_id": uuid.uuid4(), "requested_by": BY, "member_number": "73000077", "effective_date": date(2026, 12, 1)}
    office = {"line1": "1 quai du Port", "postal_code": "13002", "city": "Marseille"}
    assert subject_of(MemberAddressChangeRequested(**base, address=office), "mbtp") == "13002 MARSEILLE"
    at_work = MemberAddressChangeRequested(**base, address=office, address_kind="WORK")
    assert subject_of(at_work, "mbtp") == "Adresse professionnelle : 13002 MARSEILLE"
