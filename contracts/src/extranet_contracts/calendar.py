"""The insurer's calendar: its business day is the date in Paris, whatever the machine's time zone (between 22:00
and midnight UTC, or 23:00 in winter, France is already on the next day)."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

PARIS = ZoneInfo("Europe/Paris")


def today_in_france() -> date:
    """The date in Paris now."""
    return datetime.now(PARIS).date()
