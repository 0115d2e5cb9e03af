"""Email out through one SMTP relay, over a few connections that stay open and are reused.

Each connection carries one message at a time (MAIL, RCPT, DATA); a broken one is closed and
opened again for the next message. TLS (implicit or STARTTLS) and credentials come from the
settings. Reply codes decide the failure's kind: 4xx temporary, 5xx permanent; a refused or lost
connection is temporary. Just before the content is handed over (DATA), `before_handover` runs:
the caller records that from then on the outcome may be uncertain.
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import aiosmtplib

from extranet_plumbing.logging import get_logger
from notifications.domain.failures import PermanentFailure, TemporaryFailure, UncertainDelivery, smtp_failure
from notifications.settings import NotificationsSettings

log = get_logger(__name__)


@dataclass(frozen=True)
class OutgoingEmail:
    envelope_from: str
    envelope_to: str
    content: bytes
    message_id: str


def _quoted(address: str) -> bytes:
    """`<address>` for MAIL FROM / RCPT TO. The addresses were validated at intake (and the tenants'
    are ours), so the generic RFC 5322 parsing of aiosmtplib's `mail()`/`rcpt()` is skipped."""
    return b"<" + address.encode("utf-8") + b">"


_DISCONNECTED = (aiosmtplib.SMTPServerDisconnected, aiosmtplib.SMTPTimeoutError, ConnectionError, OSError)


class SmtpRelay:
    """A small pool of reused SMTP connections to the configured relay."""

    def __init__(self, settings: NotificationsSettings) -> None:
        self._settings = settings
        # Last in, first out: the connection used last (open) carries the next message; more connections
        # are opened only when messages are sent at the same time.
        self._idle: asyncio.LifoQueue[aiosmtplib.SMTP] = asyncio.LifoQueue()
        for _ in range(max(1, settings.smtp_connections)):
            self._idle.put_nowait(self._new_client())

    def _new_client(self) -> aiosmtplib.SMTP:
        s = self._settings
        tls_context = None
        if s.smtp_tls != "none" and s.smtp_ca_file:
            tls_context = ssl.create_default_context(cafile=s.smtp_ca_file)
        return aiosmtplib.SMTP(
            hostname=s.smtp_host,
            port=s.smtp_port,
            username=s.smtp_username or None,
            password=s.smtp_password.get_secret_value() if s.smtp_password else None,
            use_tls=s.smtp_tls == "tls",
            start_tls=s.smtp_tls == "starttls",
            tls_context=tls_context,
            timeout=s.smtp_timeout,
            local_hostname=s.smtp_local_hostname,
        )

    async def close(self) -> None:
        while not self._idle.empty():
            client = self._idle.get_nowait()
            if client.is_connected:
                try:
                    await asyncio.wait_for(client.quit(), 2)
                except (aiosmtplib.SMTPException, OSError, TimeoutError):
                    client.close()

    async def _connect(self, client: aiosmtplib.SMTP) -> None:
        try:
            await client.connect()  # TLS and AUTH as configured
            if client.is_ehlo_or_helo_needed:
                try:
                    await client.ehlo()
                except aiosmtplib.SMTPHeloError:
                    await client.helo()
        except aiosmtplib.SMTPAuthenticationError as exc:
            # The relay's configuration, not the message: worth retrying once it is fixed.
            raise TemporaryFailure(f"SMTP authentication failed ({exc.code})") from None
        except aiosmtplib.SMTPResponseException as exc:
            client.close()
            raise TemporaryFailure(f"SMTP {exc.code} at connection: {exc.message}") from None
        except (aiosmtplib.SMTPException, OSError) as exc:
            client.close()
            raise TemporaryFailure(f"SMTP relay unreachable: {type(exc).__name__}") from None

    async def send(self, email: OutgoingEmail, before_handover: Callable[[], Awaitable[None]]) -> str:
        """Send `email`; return its Message-ID once the relay accepted it. Raises TemporaryFailure,
        PermanentFailure, or UncertainDelivery (handed over, no answer)."""
        client = await self._idle.get()
        try:
            return await self._send(client, email, before_handover)
        finally:
            self._idle.put_nowait(client)

    async def _send(self, client: aiosmtplib.SMTP, email: OutgoingEmail, before_handover: Callable[[], Awaitable[None]]) -> str:
        utf8 = not (email.envelope_from.isascii() and email.envelope_to.isascii())
        for fresh in (False, True):
            reused = client.is_connected
            if not reused:
                await self._connect(client)
            if utf8 and not client.supports_extension("smtputf8"):
                raise PermanentFailure("the address needs SMTPUTF8, which the relay does not offer")
            try:
                reply = await client.execute_command(b"MAIL", b"FROM:" + _quoted(email.envelope_from), *([b"SMTPUTF8"] if utf8 else []))
            except _DISCONNECTED as exc:
                client.close()
                if reused and not fresh:
                    continue  # the relay dropped an idle connection: once more on a new one
                raise TemporaryFailure(f"SMTP connection lost at MAIL FROM: {type(exc).__name__}") from None
            if reply.code != 250:
                await self._reset(client)
                raise smtp_failure(reply.code, reply.message, "MAIL FROM")
            break
        try:
            reply = await client.execute_command(b"RCPT", b"TO:" + _quoted(email.envelope_to))
        except _DISCONNECTED as exc:
            client.close()
            raise TemporaryFailure(f"SMTP connection lost at RCPT TO: {type(exc).__name__}") from None
        if reply.code not in (250, 251):
            await self._reset(client)
            raise smtp_failure(reply.code, reply.message, "RCPT TO")
        try:
            await before_handover()
        except BaseException:
            await self._reset(client)
            raise
        try:
            await client.data(email.content)
        except aiosmtplib.SMTPDataError as exc:
            # An explicit refusal, at DATA or after the content: the relay did not take it.
            await self._reset(client)
            raise smtp_failure(exc.code, exc.message, "DATA") from None
        except _DISCONNECTED as exc:
            client.close()
            raise UncertainDelivery(f"SMTP connection lost during DATA: {type(exc).__name__}") from None
        except asyncio.CancelledError:
            client.close()
            raise
        return email.message_id

    @staticmethod
    async def _reset(client: aiosmtplib.SMTP) -> None:
        """Abandon the transaction so that the connection can carry the next message."""
        if not client.is_connected:
            return
        try:
            await client.rset()
        except (aiosmtplib.SMTPException, OSError):
            client.close()
