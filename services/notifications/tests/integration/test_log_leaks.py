"""A send that fails in a way nobody planned (a library's surprise, a bug) is logged by its class and where it was
raised, never its message, which may quote the number, the address or the text with its code; the delivery is tried
again and goes out once (issue 14's audit)."""

from __future__ import annotations

import json

from extranet_plumbing.testing import logging_configured

CODE, PHONE, EMAIL = "739201", "+33612345678", "lea.durand@example.fr"


class SurprisedOnce:
    """The real SMS adapter, whose first send fails with an error quoting what it was given."""

    def __init__(self, sms) -> None:
        self._sms = sms
        self.surprised = False

    async def send(self, to: str, body: str, sender: str) -> str:
        if not self.surprised:
            self.surprised = True
            raise RuntimeError(f"unexpected answer sending {body!r} to {to} for {EMAIL}")
        return await self._sms.send(to, body, sender)

    def __getattr__(self, name: str):
        return getattr(self._sms, name)


async def test_an_unexpected_send_failure_is_logged_without_the_number_the_address_or_the_code(start_service, kit, smsbox, capsys):
    with logging_configured():
        service = await start_service(wrap_sms=SurprisedOnce)
        envelope = await kit.request(
            kit.notification(
                "member_activation_code", email=EMAIL, phone="06 12 34 56 78", channels=("sms",), code=CODE, expires_in_minutes=5
            )
        )
        row = await kit.wait_status(service, envelope.id, "delivered")
    assert row["attempts"] == 2 and [sms["to"] for sms in smsbox.messages] == [PHONE]
    out = capsys.readouterr().out
    logged = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
    [failed] = [line for line in logged if line["event"] == "unexpected error while sending"]
    assert failed["error_class"] == "RuntimeError" and failed["error_at"].endswith(" in send"), failed
    [retried] = [line for line in logged if line["event"] == "notification will be retried"]
    assert retried["reason"] == "unexpected RuntimeError"
    for value in (CODE, PHONE, "0612345678", "06 12 34 56 78", EMAIL, "lea.durand", "unexpected answer"):
        assert value not in out, value
