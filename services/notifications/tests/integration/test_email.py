"""Email requests through real Kafka, PostgreSQL and an SMTP server on loopback."""

from __future__ import annotations

import ssl
from datetime import UTC, datetime, timedelta

from devstack.mailbox import Mailbox
from extranet_plumbing.testing import wait_until

LINK = "https://courtier.mutuelle-mbtp.com/activation?token=Zq8xT3kLmN"


async def test_a_request_sends_exactly_one_mail_with_subject_text_html_and_sender(start_service, kit, mailbox):
    service = await start_service()
    event = kit.notification(
        "broker_activation",
        email="cabinet.martin@example.fr",
        display_name="Cabinet Martin",
        reference="broker:M12345",
        broker_code="M12345",
        link=LINK,
    )
    envelope = await kit.request(event)
    await kit.request(event, envelope=envelope)  # the same request delivered twice

    await wait_until(lambda: mailbox.messages)
    [delivered] = await kit.outcomes(expected=1)
    assert delivered["type"] == "NotificationDelivered" and delivered["request_id"] == str(envelope.id)
    assert delivered["channel"] == "email" and delivered["attempts"] == 1

    [mail] = mailbox.messages
    assert mail.envelope_from == "noreply@mutuelle-mbtp.com" and mail.envelope_to == ["cabinet.martin@example.fr"]
    assert mail.message_id == f"<{envelope.id}@mutuelle-mbtp.com>" == delivered["provider_message_id"]
    message = mailbox.read(mail)
    assert message["Subject"] == "MBTP : Activation de votre compte courtier"
    assert message["From"] == "MBTP <noreply@mutuelle-mbtp.com>" and message["To"] == "Cabinet Martin <cabinet.martin@example.fr>"
    assert message.get_content_type() == "multipart/alternative"
    text = message.get_body(preferencelist=("plain",)).get_content()
    html = message.get_body(preferencelist=("html",)).get_content()
    assert "Cher partenaire" in text and "votre identifiant : M12345" in text and LINK in text
    assert "<strong>M12345</strong>" in html and f'href="{LINK}"' in html and "courtage@mutuelle-mbtp.com" in html

    row = await kit.row(service, envelope.id)
    assert row["status"] == "delivered" and row["data"] is None  # the link is not kept once sent
    assert len(mailbox.messages) == 1


async def test_mails_share_one_smtp_connection(start_service, kit, mailbox):
    await start_service(smtp_connections=1)
    for i in range(12):
        await kit.request(
            kit.notification("password_reset", email=f"adherent{i}@example.fr", link=f"https://assure.mutuelle-mbtp.com/reset/{i}")
        )
    await wait_until(lambda: len(mailbox.messages) == 12)
    assert mailbox.connections == 1
    assert {m.envelope_to[0] for m in mailbox.messages} == {f"adherent{i}@example.fr" for i in range(12)}
    message = mailbox.read(mailbox.messages[0])
    assert message["Subject"] == "Réinitialisation mot de passe"
    assert "Vous avez demandé la réinitialisation du mot de passe" in message.get_body(preferencelist=("plain",)).get_content()


def _self_signed(directory) -> tuple[str, str]:
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = directory / "relay.pem", directory / "relay.key"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    return str(cert_file), str(key_file)


async def test_starttls_and_credentials_come_from_the_settings(start_service, kit, tmp_path):
    cert, key = _self_signed(tmp_path)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    with Mailbox(tmp_path / "tls-mail", auth=("relay-user", "relay-secret"), tls_context=context) as relay:
        await start_service(
            smtp_host="127.0.0.1",
            smtp_port=relay.smtp_port,
            smtp_tls="starttls",
            smtp_ca_file=cert,
            smtp_username="relay-user",
            smtp_password="relay-secret",
        )
        envelope = await kit.request(kit.notification("member_activation_code", code="482913", expires_in_minutes=5))
        await wait_until(lambda: relay.messages)
        [mail] = relay.messages
        assert mail.message_id == f"<{envelope.id}@mutuelle-mbtp.com>"
        assert relay.read(mail)["Subject"] == "ACTIVER VOTRE ESPACE PAR CODE EMAIL"


async def test_a_tenant_gets_its_own_branding(start_service, kit, mailbox):
    await start_service()
    await kit.request(
        kit.notification(
            "enrollment_invitation",
            company_name="Lycée Jean Moulin",
            link="https://entreprise.mgen.fr/affiliation/abc",
            expires_on="2026-12-31",
        ),
        tenant="mgen",
    )
    await wait_until(lambda: mailbox.messages)
    message = mailbox.read(mailbox.messages[0])
    assert message["From"] == "MGEN <noreply@mgen.fr>"
    assert message["Subject"] == "MGEN : votre affiliation à la complémentaire santé de Lycée Jean Moulin"
    assert "valable jusqu'au 31/12/2026" in message.get_body(preferencelist=("plain",)).get_content()


async def test_a_slow_sms_provider_does_not_hold_up_email(start_service, kit, mailbox, smsbox):
    service = await start_service()
    smsbox.hold(after=0)  # every SMS kept but never answered
    try:
        await kit.request(
            kit.notification(
                "member_activation_code", email=None, phone="06 12 34 56 78", channels=("sms",), code="111111", expires_in_minutes=5
            )
        )
        await wait_until(lambda: smsbox.held == 1)
        envelope = await kit.request(kit.notification("password_reset", link="https://x.example/r/1"))
        await kit.wait_status(service, envelope.id, "delivered")
        assert len(mailbox.messages) == 1
    finally:
        smsbox.release()
