"""How a failed attempt is classified (temporary: retried later; permanent: never retried), and
what happens next: another attempt after a backoff with jitter, or the end with a reason."""

from __future__ import annotations

import re
from dataclasses import dataclass

from extranet_plumbing.redaction import redact_text
from extranet_plumbing.retry import RetryPolicy

_NUMBERS = re.compile(r"\+?\d[\d .()-]{4,}\d")


def safe_reason(text: str, limit: int = 480) -> str:
    """A provider's or server's message made fit for an event and a log line: no address, no number."""
    return _NUMBERS.sub("[number]", redact_text(" ".join(str(text).split())))[:limit]


class DeliveryFailure(Exception):
    """An attempt that did not deliver; `reason` is safe to log and to publish."""

    permanent: bool = False

    def __init__(self, reason: str, *, maybe_sent: bool = False) -> None:
        super().__init__(reason)
        self.reason = safe_reason(reason)
        # The request may have reached the provider before the failure (a timeout waiting for the
        # answer): before another attempt, ask the provider whether it has the message.
        self.maybe_sent = maybe_sent


class TemporaryFailure(DeliveryFailure):
    """Worth another attempt later: SMTP 4xx, connection refused or lost, SMS API 5xx or 429."""


class PermanentFailure(DeliveryFailure):
    """Another attempt would fail the same way: SMTP 5xx, invalid or non-mobile number, SMS API 4xx."""

    permanent = True


class UncertainDelivery(Exception):
    """The email was handed to the SMTP server but its answer never came (connection lost, timeout):
    it may or may not have been accepted. See `service_layer.sender` for the rule applied."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = safe_reason(reason)


def smtp_failure(code: int, message: str, stage: str) -> DeliveryFailure:
    """An SMTP reply code other than success: 4xx temporary, 5xx permanent (RFC 5321 §4.2.1)."""
    reason = f"SMTP {code} at {stage}: {message}"
    return TemporaryFailure(reason) if 400 <= code < 500 else PermanentFailure(reason)


def sms_api_failure(status: int, code: int | None, message: str) -> DeliveryFailure:
    """An SMS API error answer: 429 and 5xx temporary, other 4xx permanent (e.g. 21211 invalid number)."""
    reason = f"SMS API HTTP {status}" + (f" error {code}" if code else "") + (f": {message}" if message else "")
    return TemporaryFailure(reason) if status == 429 or status >= 500 else PermanentFailure(reason)


@dataclass(frozen=True)
class Retry:
    delay: float
    reason: str
    check_provider: bool


@dataclass(frozen=True)
class GiveUp:
    reason: str
    permanent: bool


def after_failure(failure: DeliveryFailure, attempts: int, policy: RetryPolicy) -> Retry | GiveUp:
    """What follows the `attempts`-th failed attempt (1-based)."""
    if failure.permanent:
        return GiveUp(failure.reason, permanent=True)
    if attempts >= policy.attempts:
        return GiveUp(f"gave up after {attempts} attempts: {failure.reason}"[:500], permanent=False)
    return Retry(policy.delay(attempts), failure.reason, failure.maybe_sent)
