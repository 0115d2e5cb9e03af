"""SMS out through Twilio's REST API with the twilio library (its asynchronous client).

The API's base URL comes from the settings, so that the embedded stack and the tests use a server
on loopback that speaks the same API (devstack.smsbox). Errors: 429 and 5xx temporary, other 4xx
permanent (e.g. 21211 invalid number); a refused connection is temporary and nothing was sent; a
timeout or a lost connection is temporary but the message may have been created, so the provider
is asked before the next attempt (`find_sent`).
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime

import aiohttp
from twilio.base.exceptions import TwilioRestException, TwilioServiceException
from twilio.http.async_http_client import AsyncTwilioHttpClient
from twilio.rest import Client

from notifications.domain.failures import TemporaryFailure, sms_api_failure
from notifications.settings import NotificationsSettings

# The twilio library logs every request's parameters (numbers, texts) at INFO: keep it quiet.
_quiet = logging.getLogger("notifications.twilio")
_quiet.setLevel(logging.WARNING)


class TwilioSms:
    def __init__(self, settings: NotificationsSettings) -> None:
        self._settings = settings
        self._http: AsyncTwilioHttpClient | None = None
        self._client: Client | None = None

    @property
    def configured(self) -> bool:
        return self._settings.sms_configured

    def _messages(self):
        if self._client is None:
            s = self._settings
            self._http = AsyncTwilioHttpClient(logger=_quiet)  # opened in the running loop
            self._client = Client(s.twilio_account_sid, s.twilio_auth_token.get_secret_value(), http_client=self._http)
            self._client.api.base_url = s.sms_api_base_url.rstrip("/")
        return self._client.api.v2010.account.messages

    async def close(self) -> None:
        if self._http is not None:
            await self._http.close()
            self._http = self._client = None

    async def send(self, to: str, body: str, sender: str) -> str:
        """Create the message; return the provider's sid."""
        if not self.configured:
            raise TemporaryFailure("the SMS provider is not configured (EXTRANET_TWILIO_ACCOUNT_SID / _AUTH_TOKEN)")
        try:
            async with asyncio.timeout(self._settings.sms_timeout):
                message = await self._messages().create_async(to=to, from_=sender, body=body)
        except TwilioRestException as exc:
            raise sms_api_failure(exc.status, exc.code, exc.msg) from None
        except TwilioServiceException as exc:
            raise sms_api_failure(exc.status, exc.code, exc.title) from None
        except aiohttp.ClientConnectorError as exc:
            raise TemporaryFailure(f"SMS API unreachable: {type(exc).__name__}") from None
        except (TimeoutError, aiohttp.ClientError, OSError) as exc:
            raise TemporaryFailure(f"SMS API did not answer: {type(exc).__name__}", maybe_sent=True) from None
        return message.sid

    async def find_sent(self, to: str, body: str, since: datetime) -> list[str]:
        """The sids of the messages with this text sent to `to` since `since`, oldest first: an earlier
        attempt that did reach the provider. Raises TemporaryFailure if the provider cannot say."""
        if not self.configured:
            raise TemporaryFailure("the SMS provider is not configured")
        try:
            async with asyncio.timeout(self._settings.sms_timeout):
                # Newest first; date_sent may be empty while queued, so the creation time is compared.
                recent = await self._messages().list_async(to=to, limit=200, page_size=100)
        except (TwilioRestException, TwilioServiceException, TimeoutError, aiohttp.ClientError, OSError) as exc:
            raise TemporaryFailure(f"SMS API could not list messages: {type(exc).__name__}") from None
        return [m.sid for m in reversed(recent) if m.body == body and (m.date_created is None or m.date_created >= since)]
