"""Phone numbers as SMS providers want them: E.164, and only numbers that can receive an SMS."""

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
    """The number cannot receive an SMS; the message says why, without the number itself."""


def mobile_e164(raw: str, region: str = "FR") -> str:
    """`raw` as written on file ("06 12 34 56 78", "+33612345678", "0033 6...") in E.164, if it is a
    valid number that can receive an SMS; else UnusablePhoneNumber with the reason."""
    try:
        number = phonenumbers.parse(raw, region)
    except NumberParseException as exc:
        raise UnusablePhoneNumber(f"the phone number cannot be read ({_PARSE_ERRORS.get(exc.error_type, 'unknown form')})") from None
    if not phonenumbers.is_valid_number(number):
        raise UnusablePhoneNumber("the phone number is not a valid number")
    kind = phonenumbers.number_type(number)
    if kind not in _SMS_CAPABLE:
        raise UnusablePhoneNumber(f"the phone number is not a mobile number (it is a {_TYPE_NAMES.get(kind, 'other')} number)")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def can_receive_sms(raw: str | None, region: str = "FR") -> bool:
    if not raw:
        return False
    try:
        mobile_e164(raw, region)
    except UnusablePhoneNumber:
        return False
    return True
