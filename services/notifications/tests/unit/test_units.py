"""Unit tests of the rules (no Kafka, no database): channel choice, phone numbers, failure
classification, templates (StrictUndefined), the MIME form of an email."""

from __future__ import annotations

import re
from email import message_from_bytes, policy
from pathlib import Path

import pytest

from extranet_contracts.notifications import Channel
from extranet_plumbing.retry import RetryPolicy
from notifications.adapters.mime import build_email
from notifications.adapters.templates import TemplateProblem, Templates, load_tenants
from notifications.domain.channels import choose_channel
from notifications.domain.failures import (
    GiveUp,
    PermanentFailure,
    Retry,
    TemporaryFailure,
    after_failure,
    safe_reason,
    sms_api_failure,
    smtp_failure,
)
from notifications.domain.phone import UnusablePhoneNumber, can_receive_sms, mobile_e164
from notifications.settings import NotificationsSettings

EMAIL, SMS = Channel.EMAIL, Channel.SMS
README = Path(__file__).resolve().parents[2] / "README.md"

# Sample data of every template; the optional variables may be left out.
SAMPLES = {
    "broker_activation": {
        "broker_code": "M12345",
        "link": "https://courtier.mutuelle-mbtp.com/activation/t0k3n",
        "guide_link": "https://courtier.mutuelle-mbtp.com/guide.pdf",
    },
    "member_activation_code": {"code": "482913", "expires_in_minutes": 5},
    "member_activation_link": {"link": "https://espace.mutuelle-marseille.com/activation/t0k3n", "expires_in_hours": 48},
    "password_reset": {"link": "https://courtier.mutuelle-mbtp.com/reset/t0k3n", "expires_in_minutes": 30, "identifier": "M12345"},
    "account_locked": {"link": "https://assure.mutuelle-mbtp.com/reset/t0k3n", "identifier": "73000042", "minutes": 15},
    "correspondent_invitation": {
        "identifier": "RH-DUPONT",
        "company_name": "BTP Rhône Construction",
        "link": "https://entreprise.mgen.fr/activation/t0k3n",
        "expires_in_hours": 48,
    },
    "enrollment_invitation": {
        "company_name": "BTP Rhône Construction",
        "link": "https://entreprise.mgen.fr/affiliation/t0k3n",
        "expires_on": "2026-12-31",
    },
    "enrollment_reminder": {
        "company_name": "BTP Rhône Construction",
        "link": "https://entreprise.mgen.fr/affiliation/t0k3n",
        "expires_on": "2026-12-31",
    },
    "affiliation_recap": {
        "company_name": "BTP Rhône Construction",
        "contract_number": "M1000304",
        "product": "SANTE ESSENTIEL",
        "effective_date": "2027-01-01",
        "beneficiaries": [
            {"first_name": "Vincent", "last_name": "Marcel", "role": "assuré principal"},
            {"first_name": "Isalyne", "last_name": "Marcel", "role": "enfant"},
        ],
    },
    "affiliation_accepted": {
        "company_name": "BTP Rhône Construction",
        "contract_number": "W1-000123",
        "product": "Santé base niveau 2",
        "effective_date": "2027-01-01",
        "beneficiaries": [
            {"first_name": "Marc", "last_name": "Petit", "role": "assuré principal"},
            {"first_name": "Hugo", "last_name": "Petit", "role": "enfant"},
        ],
    },
    "document_available": {"document_title": "Relevé de prestations", "document_date": "2026-11-20"},
    "email_change_confirmation": {"link": "https://courtier.mutuelle-mbtp.com/confirmer-adresse-email?token=t0k3n", "expires_in_hours": 24},
    "email_changed_notice": {"identifier": "M12345"},
}
OPTIONAL = {
    "broker_activation": {"guide_link"},
    "password_reset": {"expires_in_minutes", "identifier"},
    "account_locked": {"identifier", "minutes"},
    "correspondent_invitation": {"expires_in_hours"},
    "email_changed_notice": {"identifier"},
}
RECIPIENT = {"display_name": "Léa Durand", "reference": "member:73000042"}


@pytest.fixture(scope="module")
def templates() -> Templates:
    return Templates()


# --- channel choice ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("allowed", "preferred", "reachable", "supported", "chosen"),
    [
        ([EMAIL, SMS], SMS, {EMAIL, SMS}, {EMAIL, SMS}, SMS),  # the person's preference, allowed
        ([EMAIL, SMS], None, {EMAIL, SMS}, {EMAIL, SMS}, EMAIL),  # no preference: the requester's order
        ([SMS, EMAIL], None, {EMAIL, SMS}, {EMAIL, SMS}, SMS),
        ([EMAIL], SMS, {EMAIL, SMS}, {EMAIL, SMS}, EMAIL),  # preference not allowed by the request
        ([EMAIL, SMS], SMS, {EMAIL}, {EMAIL, SMS}, EMAIL),  # no mobile number on file
        ([EMAIL, SMS], SMS, {EMAIL, SMS}, {EMAIL}, EMAIL),  # the template has no SMS version
        ([SMS], None, {EMAIL}, {EMAIL, SMS}, None),  # nothing usable
    ],
)
def test_channel_choice(allowed, preferred, reachable, supported, chosen):
    assert choose_channel(allowed, preferred, reachable=reachable, supported=supported) == chosen


# --- phone numbers -------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("raw", "e164"),
    [
        ("06 12 34 56 78", "+33612345678"),
        ("0612345678", "+33612345678"),
        ("+33 6 12 34 56 78", "+33612345678"),
        ("0033 7 81 22 33 44", "+33781223344"),
        ("07.81.22.33.44", "+33781223344"),
        ("+32 470 12 34 56", "+32470123456"),
        ("+1 415 555 2671", "+14155552671"),  # fixed line or mobile: cannot tell, accepted
    ],
)
def test_mobile_numbers_are_normalised_to_e164(raw, e164):
    assert mobile_e164(raw) == e164 and can_receive_sms(raw)


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("04 91 23 41 16", "the phone number is not a mobile number (it is a fixed line number)"),
        ("0800 123 456", "the phone number is not a mobile number (it is a toll free number)"),
        ("09 70 12 34 56", "the phone number is not a mobile number (it is a voip number)"),
        ("06 12 34", "the phone number is not a valid number"),
        ("pas de numéro", "the phone number cannot be read (not a number)"),
    ],
)
def test_numbers_that_cannot_take_an_sms_are_refused_with_a_reason(raw, reason):
    with pytest.raises(UnusablePhoneNumber) as refused:
        mobile_e164(raw)
    assert str(refused.value) == reason and not can_receive_sms(raw)


# --- failures ------------------------------------------------------------------------------------------
def test_failure_classification():
    assert isinstance(smtp_failure(421, "4.3.2 Try later", "MAIL FROM"), TemporaryFailure)
    assert isinstance(smtp_failure(451, "4.7.1 Greylisted", "RCPT TO"), TemporaryFailure)
    assert isinstance(smtp_failure(550, "5.1.1 No such user", "RCPT TO"), PermanentFailure)
    assert isinstance(smtp_failure(554, "5.7.1 Rejected", "DATA"), PermanentFailure)
    assert isinstance(sms_api_failure(429, 20429, "Too Many Requests"), TemporaryFailure)
    assert isinstance(sms_api_failure(503, None, ""), TemporaryFailure)
    assert isinstance(sms_api_failure(400, 21211, "invalid"), PermanentFailure)
    assert isinstance(sms_api_failure(401, 20003, "Authenticate"), PermanentFailure)


def test_what_follows_a_failure():
    policy = RetryPolicy(attempts=4, base_delay=1.0, max_delay=5.0)
    assert after_failure(PermanentFailure("SMTP 550"), 1, policy) == GiveUp("SMTP 550", permanent=True)
    retry = after_failure(TemporaryFailure("SMTP 451", maybe_sent=True), 3, policy)
    assert isinstance(retry, Retry) and 0 <= retry.delay <= 4.0 and retry.check_provider
    assert [after_failure(TemporaryFailure("x"), 3, policy).delay <= 4.0 for _ in range(50)] == [True] * 50  # jitter, capped
    assert after_failure(TemporaryFailure("SMTP 451"), 4, policy) == GiveUp("gave up after 4 attempts: SMTP 451", permanent=False)


def test_by_default_a_message_waits_at_most_a_minute_between_attempts_for_about_ten_minutes():
    # After a relay's or a provider's outage, what waits goes out within a minute of its return (a code, a link).
    settings = NotificationsSettings()
    policy = RetryPolicy(attempts=settings.max_attempts, base_delay=settings.retry_base_delay, max_delay=settings.retry_max_delay)
    waits = [min(policy.max_delay, policy.base_delay * 2 ** (attempt - 1)) for attempt in range(1, policy.attempts)]
    assert max(waits) == 60.0 and all(policy.delay(attempt) <= 60.0 for attempt in range(1, policy.attempts) for _ in range(20))
    assert 9 * 60 <= sum(waits) / 2 <= 12 * 60  # full jitter: half of each cap on average


def test_reasons_carry_no_address_nor_number():
    reason = safe_reason("SMTP 550 at RCPT TO: 5.1.1 <lea.durand@example.fr>: unknown; SMS to +33 6 12 34 56 78 refused")
    assert "lea.durand" not in reason and "12 34" not in reason and reason.startswith("SMTP 550 at RCPT TO: 5.1.1")


# --- templates -----------------------------------------------------------------------------------------
def test_every_template_renders_in_every_channel_for_every_tenant(templates):
    assert set(templates.names()) == set(SAMPLES)
    for tenant in load_tenants():
        for name, data in SAMPLES.items():
            for channel in templates.channels(name, tenant):
                templates.check(name, channel, tenant, data, RECIPIENT)


def test_subjects_and_wording_follow_the_guides(templates):
    activation = templates.email("broker_activation", "mbtp", SAMPLES["broker_activation"], RECIPIENT)
    assert activation.subject == "MBTP : Activation de votre compte courtier"
    assert "Nous avons le plaisir de vous envoyer l'email d'activation de votre nouvel espace courtier" in activation.text
    assert "votre identifiant : M12345" in activation.text and "guide d'utilisation" in activation.text
    assert (
        templates.email("member_activation_code", "mbtp", SAMPLES["member_activation_code"], RECIPIENT).subject
        == "ACTIVER VOTRE ESPACE PAR CODE EMAIL"
    )
    reset = templates.email("password_reset", "mbtp", SAMPLES["password_reset"], RECIPIENT)
    assert reset.subject == "Réinitialisation mot de passe" and reset.text.startswith("Bonjour Léa Durand,")
    assert "Vous avez demandé la réinitialisation du mot de passe de votre compte." in reset.text
    link = templates.email("member_activation_link", "marseille", SAMPLES["member_activation_link"], RECIPIENT)
    assert "durée de validité de 48 heures" in link.text
    sms = templates.sms("member_activation_code", "mbtp", SAMPLES["member_activation_code"], RECIPIENT)
    assert sms == "MBTP : votre code d'activation est 482913. Il est valable 5 minutes. Ne le communiquez à personne."
    assert len(sms) <= 160


def test_the_old_address_is_told_of_an_email_change_without_any_link(templates):
    notice = templates.email("email_changed_notice", "mbtp", SAMPLES["email_changed_notice"], RECIPIENT)
    assert notice.subject == "MBTP : demande de modification de l'adresse e-mail de votre compte"
    body = notice.text.split("Cordialement")[0]
    assert "M12345" in body and "http" not in body and "href" not in notice.html.split("Cordialement")[0]


def test_a_missing_variable_is_an_error_not_a_blank(templates):
    for name, data in SAMPLES.items():
        for key in set(data) - OPTIONAL.get(name, set()):
            partial = {k: v for k, v in data.items() if k != key}
            for channel in templates.channels(name, "mbtp"):
                with pytest.raises(TemplateProblem, match=rf"'{key}' is undefined"):
                    templates.check(name, channel, "mbtp", partial, RECIPIENT)
        for key in OPTIONAL.get(name, set()):
            templates.check(name, EMAIL, "mbtp", {k: v for k, v in data.items() if k != key}, RECIPIENT)
    with pytest.raises(TemplateProblem, match="has no attribute 'role'"):
        templates.check(
            "affiliation_recap",
            EMAIL,
            "mbtp",
            {**SAMPLES["affiliation_recap"], "beneficiaries": [{"first_name": "A", "last_name": "B"}]},
            RECIPIENT,
        )
    with pytest.raises(TemplateProblem, match="not an ISO date"):
        templates.check("enrollment_reminder", EMAIL, "mbtp", {**SAMPLES["enrollment_reminder"], "expires_on": "bientôt"}, RECIPIENT)


def test_data_is_escaped_in_html_only(templates):
    data = {**SAMPLES["correspondent_invitation"], "company_name": "Dupont & Fils <SARL>"}
    email = templates.email("correspondent_invitation", "mgen", data, RECIPIENT)
    assert "Dupont &amp; Fils &lt;SARL&gt;" in email.html and "Dupont & Fils <SARL>" in email.text


def test_the_readme_documents_every_template_with_its_required_variables(templates):
    rows = {}
    for line in README.read_text().splitlines():
        found = re.match(r"\|\s*`(\w+)`\s*\|([^|]*)\|([^|]*)\|([^|]*)\|", line)
        if found:
            rows[found[1]] = (
                set(re.findall(r"\w+", found[2])),
                set(re.findall(r"`(\w+)`", found[3])),
                set(re.findall(r"`(\w+)`", found[4])),
            )
    assert set(rows) == set(SAMPLES)
    for name, (channels, required, optional) in rows.items():
        assert channels == {c.value for c in templates.channels(name, "mbtp")}, name
        assert required == set(SAMPLES[name]) - OPTIONAL.get(name, set()), name
        assert optional == OPTIONAL.get(name, set()), name


# --- the email as sent ---------------------------------------------------------------------------------
def test_an_email_is_multipart_text_and_html_in_utf8(templates):
    rendered = templates.email("affiliation_recap", "mgen", SAMPLES["affiliation_recap"], RECIPIENT)
    raw = build_email(
        sender=("MGEN", "noreply@mgen.fr"),
        recipient=("Léa Durand", "lea.durand@example.fr"),
        subject=rendered.subject + " — été",
        text=rendered.text,
        html=rendered.html,
        message_id="<7d1c@mgen.fr>",
        reply_to="contact@mgen.fr",
    )
    assert raw.isascii() and b"\r\n.\r\n" not in raw
    message = message_from_bytes(raw, policy=policy.default)
    assert message["Subject"] == "MGEN : récapitulatif de votre affiliation — été"
    assert message["From"] == "MGEN <noreply@mgen.fr>" and message["To"] == "Léa Durand <lea.durand@example.fr>"
    assert message["Message-ID"] == "<7d1c@mgen.fr>" and message["Content-Language"] == "fr"
    assert message.get_body(preferencelist=("plain",)).get_content().replace("\r\n", "\n") == rendered.text
    assert message.get_body(preferencelist=("html",)).get_content().replace("\r\n", "\n") == rendered.html
