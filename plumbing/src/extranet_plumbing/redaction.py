"""Removes personal data (NIR, IBAN, email, phone, codes, passwords, tokens) from log events.

Two nets: values under sensitive key names are replaced whole, and any other string is scanned
for things that look like a NIR, an IBAN, an email address or a French phone number.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

REDACTED = "[REDACTED]"

_SENSITIVE_KEY = re.compile(
    r"(nir|ssn|social_security|iban|bic|bank|email|e_mail|mail|phone|mobile|telephone|password|passwd|"
    r"secret|token|otp|one_time|code_otp|activation_code|verification_code|authorization|cookie|captcha|birth|"
    r"member_number|membership_id|adherent)",
    re.IGNORECASE,
)
# Keys that look sensitive by name but are business identifiers safe to log.
_SAFE_KEYS = frozenset({"broker_code", "company_code", "event_type", "status_code", "exit_code", "error_code"})

_PATTERNS = [
    # NIR: 13 digits + 2-digit key, optionally spaced (Corsica 2A/2B included).
    re.compile(r"\b[12][\s.]?\d{2}[\s.]?(?:0[1-9]|1[0-2]|[2-9]\d)[\s.]?(?:\d{2}|2[AB])[\s.]?\d{3}[\s.]?\d{3}[\s.]?\d{2}\b", re.I),
    # IBAN: country code, 2 check digits, 11 to 30 alphanumerics, optionally grouped by 4.
    re.compile(r"\b[A-Z]{2}\d{2}(?:[\s]?[A-Z0-9]{4}){2,7}(?:[\s]?[A-Z0-9]{1,4})?\b"),
    # Email addresses.
    re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}"),
    # French phone numbers: 0X XX XX XX XX or +33 X XX XX XX XX.
    re.compile(r"(?:\+33[\s.]?|\b0)[1-9](?:[\s.-]?\d{2}){4}\b"),
]


def redact_text(text: str) -> str:
    for pattern in _PATTERNS:
        text = pattern.sub(REDACTED, text)
    return text


# Any run of 6 digits or more: a member number, a NIR without its key, a code. Too broad for logs
# (company codes, SIRETs and contract numbers are fine there), right for error texts that are
# published or shown, where no value at all should appear.
_DIGIT_RUNS = re.compile(r"\d{6,}")


def redact_values(text: str) -> str:
    """An error text with every personal-looking value removed: the patterns above, and digit runs."""
    return _DIGIT_RUNS.sub(REDACTED, redact_text(text))


_SENSITIVE_EXACT_KEYS = frozenset({"code", "pin", "key"})


def _is_sensitive_key(key: str) -> bool:
    if key in _SAFE_KEYS:
        return False
    return key.lower() in _SENSITIVE_EXACT_KEYS or bool(_SENSITIVE_KEY.search(key))


def redact(value: Any, key: str | None = None) -> Any:
    if key is not None and _is_sensitive_key(key):
        return REDACTED if value not in (None, "", [], {}) else value
    if isinstance(value, str):
        return redact_text(value)
    if isinstance(value, Mapping):
        return {k: redact(v, str(k)) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [redact(v) for v in value]
    return value


def redaction_processor(_logger: Any, _method: str, event_dict: dict[str, Any]) -> dict[str, Any]:
    """structlog processor: the last line of defence before a log line is written."""
    return {
        key: (value if key in ("timestamp", "level", "logger", "trace_id", "span_id") else redact(value, key if key != "event" else None))
        for key, value in event_dict.items()
    }
