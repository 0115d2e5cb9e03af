"""Events exchanged between the legacy management system and the platform's services.

Every event is a pydantic model (`Event`) carried in a CloudEvents-style envelope whose
attributes travel in Kafka headers (`Envelope`); `catalogue` lists them all.
"""

from extranet_contracts.base import Event
from extranet_contracts.catalogue import CATALOGUE, UnknownEventType, lookup
from extranet_contracts.envelope import Envelope, EnvelopeError

__all__ = ["CATALOGUE", "Envelope", "EnvelopeError", "Event", "UnknownEventType", "lookup"]
