"""Contact details as people type them: emails checked with email-validator, phone numbers with the
platform's phone rule (`extranet_contracts.phones`), both kept in one canonical form."""

from __future__ import annotations

from email_validator import EmailNotValidError, validate_email

from extranet_contracts.phones import UnusablePhoneNumber, mobile_e164, phone_e164


class InvalidContact(ValueError):
    """An email or phone number that cannot be used; the message never repeats it."""


def canonical_email(raw: str) -> str:
    """The address, checked (syntax only: no DNS lookup), lower-cased."""
    try:
        return validate_email(raw.strip(), check_deliverability=False).normalized.lower()
    except EmailNotValidError:
        raise InvalidContact("invalid email address") from None


def canonical_phone(raw: str, region: str = "FR", *, mobile: bool = False) -> str:
    """The number in E.164 (a mobile number if `mobile`)."""
    try:
        return mobile_e164(raw, region) if mobile else phone_e164(raw, region)
    except UnusablePhoneNumber as exc:
        raise InvalidContact(str(exc)) from None


def looks_like_email(contact: str) -> bool:
    return "@" in contact
