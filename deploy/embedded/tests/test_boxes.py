"""The local mail and SMS servers of the embedded stack: what they keep, what their pages show,
and the difficult behaviours the notifications tests ask of them."""

from __future__ import annotations

import asyncio
import json
import urllib.request

import aiosmtplib
import pytest
from twilio.base.exceptions import TwilioRestException
from twilio.http.async_http_client import AsyncTwilioHttpClient
from twilio.rest import Client

from devstack.mailbox import Mailbox
from devstack.smsbox import SmsBox

MAIL = (
    b"From: MBTP <noreply@mutuelle-mbtp.com>\r\nTo: lea@example.fr\r\nSubject: =?utf-8?q?R=C3=A9initialisation?=\r\n"
    b'Message-ID: <k1@mutuelle-mbtp.com>\r\nMIME-Version: 1.0\r\nContent-Type: multipart/alternative; boundary="b"\r\n\r\n'
    b"--b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nBonjour L\xc3\xa9a\r\n.un point en d\xc3\xa9but de ligne\r\n"
    b"--b\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<p>Bonjour <b>L\xc3\xa9a</b></p>\r\n--b--\r\n"
)


def get(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=5) as response:
        return response.read()


async def test_the_mailbox_keeps_eml_files_shows_them_and_refuses_on_demand(tmp_path):
    with Mailbox(tmp_path / "mail", http_port=0) as box:
        box.refuse("@nowhere.example", 550, "5.1.2 Bad destination")
        smtp = aiosmtplib.SMTP(hostname="127.0.0.1", port=box.smtp_port, start_tls=False, local_hostname="test")
        await smtp.connect()
        await smtp.sendmail("noreply@mutuelle-mbtp.com", ["lea@example.fr"], MAIL)
        with pytest.raises(aiosmtplib.SMTPRecipientsRefused):
            await smtp.sendmail("noreply@mutuelle-mbtp.com", ["x@nowhere.example"], MAIL)
        await smtp.quit()
        [mail] = box.messages
        assert (tmp_path / "mail" / mail.file).read_bytes() == MAIL
        assert mail.subject == "Réinitialisation" and mail.message_id == "<k1@mutuelle-mbtp.com>"
        web = f"http://127.0.0.1:{box.http_port}"
        assert "Réinitialisation" in get(web + "/").decode() and "lea@example.fr" in get(web + "/").decode()
        page = get(f"{web}/messages/{mail.id}").decode()
        assert "Bonjour Léa" in page and "&lt;b&gt;Léa&lt;/b&gt;" in page  # text part, and the HTML part in a sandbox
        assert get(f"{web}/messages/{mail.id}.eml") == MAIL
        assert json.loads(get(web + "/api/messages"))[0]["subject"] == "Réinitialisation"
        assert box.rcpt_attempts("x@nowhere.example") == 1

    # Down, then up again on the same port, with what it kept.
    again = Mailbox(tmp_path / "mail", smtp_port=box.smtp_port).start()
    try:
        assert [m.message_id for m in again.messages] == ["<k1@mutuelle-mbtp.com>"]
    finally:
        again.stop()


async def test_the_smsbox_speaks_twilio_keeps_messages_and_fails_on_demand(tmp_path):
    with SmsBox(tmp_path / "sms") as box:
        http = AsyncTwilioHttpClient()
        client = Client(box.account_sid, box.auth_token, http_client=http)
        client.api.base_url = box.base_url
        messages = client.api.v2010.account.messages
        try:
            sent = await messages.create_async(to="+33612345678", from_="MBTP", body="MBTP : votre code est 123456.")
            assert sent.sid.startswith("SM") and sent.status == "queued"
            box.fail_next(1, 503)
            with pytest.raises(TwilioRestException) as failed:
                await messages.create_async(to="+33612345678", from_="MBTP", body="again")
            assert failed.value.status == 503
            with pytest.raises(TwilioRestException) as invalid:
                await messages.create_async(to="0612345678", from_="MBTP", body="not E.164")
            assert invalid.value.code == 21211
            listed = await messages.list_async(to="+33612345678")
            assert [m.sid for m in listed] == [sent.sid]
            assert await messages.list_async(to="+33700000000") == []
            wrong = Client(box.account_sid, "wrong-token", http_client=http)
            wrong.api.base_url = box.base_url
            with pytest.raises(TwilioRestException) as refused:
                await wrong.api.v2010.account.messages.create_async(to="+33612345678", from_="MBTP", body="x")
            assert refused.value.status == 401
        finally:
            await http.close()
        assert box.create_calls == 4 and len(box.messages) == 1
        page = await asyncio.to_thread(get, box.base_url + "/")
        assert "MBTP : votre code est 123456." in page.decode()
    again = SmsBox(tmp_path / "sms").start()
    try:
        assert [m["sid"] for m in again.messages] == [sent.sid]  # kept in messages.jsonl
    finally:
        again.stop()
