"""Settings of the notifications service (environment, prefix `EXTRANET_`)."""

from pathlib import Path
from typing import Literal

from pydantic import SecretStr

from extranet_plumbing.settings import ServiceSettings


class NotificationsSettings(ServiceSettings):
    service_name: str = "notifications"
    db_schema: str = "notifications"
    http_port: int = 8105

    # Email: one SMTP relay, connections kept open and reused.
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 25
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_tls: Literal["none", "starttls", "tls"] = "none"
    smtp_ca_file: str | None = None  # CA bundle that signs the relay's certificate (default: the system's)
    smtp_timeout: float = 30.0
    smtp_connections: int = 8  # connections in the pool, each carrying one message at a time
    smtp_local_hostname: str = "notifications.extranet.local"  # EHLO name (avoids a DNS look-up of our own name)

    # SMS: Twilio's REST API (or anything speaking it, such as the embedded stack's smsbox).
    sms_api_base_url: str = "https://api.twilio.com"
    twilio_account_sid: str | None = None
    twilio_auth_token: SecretStr | None = None
    sms_from: str = "EXTRANET"  # sender: a number in E.164 or an alphanumeric sender id; a tenant's own wins
    sms_timeout: float = 15.0
    phone_region: str = "FR"  # how numbers written without a country code are read

    # The private key that opens the sealed part of requests (codes, links); its public half goes to the requesters.
    seal_private_key_file: Path | None = None

    # Sending: bounded concurrency per channel, persisted retries with backoff and jitter.
    email_concurrency: int = 64
    sms_concurrency: int = 32
    claim_batch: int = 100
    # At most a minute between two attempts, so that a code or a link goes out within a minute of the relay's or the
    # provider's return (the fault suite saw 4 minutes with 15); attempts for about 10 minutes on average (full jitter).
    max_attempts: int = 24  # the first try included
    retry_base_delay: float = 5.0
    retry_max_delay: float = 60.0
    poll_interval: float = 0.5
    reconcile_interval: float = 10.0
    stop_grace: float = 10.0  # seconds in-flight messages get to finish when the service stops

    @property
    def sms_configured(self) -> bool:
        return bool(self.twilio_account_sid and self.twilio_auth_token and self.twilio_auth_token.get_secret_value())
