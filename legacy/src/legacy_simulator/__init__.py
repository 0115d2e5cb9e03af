"""Simulator of the insurer's legacy management system ("Promut 2000"): publishes its events on Kafka."""

from legacy_simulator.generator import SOURCE, broker_codes, generate
from legacy_simulator.publisher import publish
from legacy_simulator.sizes import PRESETS, SizeSpec

__all__ = ["PRESETS", "SOURCE", "SizeSpec", "broker_codes", "generate", "publish"]
