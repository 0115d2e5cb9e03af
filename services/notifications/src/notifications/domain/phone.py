"""Phone numbers as SMS providers want them: the platform's one rule, kept in `extranet_contracts.phones`
(identity applies the same one); re-exported here for the notifications service's modules."""

from __future__ import annotations

from extranet_contracts.phones import UnusablePhoneNumber, can_receive_sms, mobile_e164

__all__ = ["UnusablePhoneNumber", "can_receive_sms", "mobile_e164"]
