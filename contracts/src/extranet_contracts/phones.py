"""Phone numbers, one rule for every service: parsed with `phonenumbers` as people type them
("06 09 26 78 12", "+33 6 09 26 78 12", "0033 6 09..."), stored and compared in E.164, and only
numbers that can take an SMS where an SMS is meant."""

from __future__ import annotations

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumberType

# FIXED_LINE_OR_MOBILE: countries (US, Canada...) whose numbering does not tell; refusing them would
# refuse every number there, so they are accepted. French numbers are always one or the other.
_SMS_CAPABLE = {PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE_OR_MOBILE}
_TYPE_NAMES = {value: name.lower().replace("_", " ") for name, value in vars(PhoneNumberType).items() if isinstance(value, int)}
_PARSE_ERRORS = {
    value: name.lower().replace("_", " ") for name, value in vars(NumberParseException).items() if name.isupper() and isinstance(value, int)
}


class UnusablePhoneNumber(ValueError):
    """The number cannot be used; the message says why, without the number itself."""


def _parse(raw: str, region: str) -> phonenumbers.PhoneNumber:
    try:
        number = phonenumbers.parse(raw, region)
    except NumberParseException as exc:
        raise UnusablePhoneNumber(f"the phone number cannot be read ({_PARSE_ERRORS.get(exc.error_type, 'unknown form')})") from None
    if not phonenumbers.is_valid_number(number):
        raise UnusablePhoneNumber("the phone number is not a valid number")
    return number


def phone_e164(raw: str, region: str = "FR") -> str:
    """`raw`, any valid number (landline or mobile), in E.164; else UnusablePhoneNumber."""
    return phonenumbers.format_number(_parse(raw, region), phonenumbers.PhoneNumberFormat.E164)


def mobile_e164(raw: str, region: str = "FR") -> str:
    """`raw` in E.164, if it is a valid number that can receive an SMS; else UnusablePhoneNumber with the reason."""
    number = _parse(raw, region)
    kind = phonenumbers.number_type(number)
    if kind not in _SMS_CAPABLE:
        raise UnusablePhoneNumber(f"the phone number is not a mobile number (it is a {_TYPE_NAMES.get(kind, 'other')} number)")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def mobile_or_none(raw: str | None, region: str = "FR") -> str | None:
    """The E.164 form of a mobile number on file, or None when there is none or it cannot take an SMS."""
    if not raw:
        return None
    try:
        return mobile_e164(raw, region)
    except UnusablePhoneNumber:
        return None


def can_receive_sms(raw: str | None, region: str = "FR") -> bool:
    return mobile_or_none(raw, region) is not None
