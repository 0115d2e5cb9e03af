"""How names are searched: case- and accent-insensitive. `fold` is SQL's `fold()` (migrations 003 and 013) in
Python, for the consumer to write a membership's search columns itself; both are tested to agree."""

from __future__ import annotations

import re

# translate(value, _ACCENTED, _PLAIN) in SQL; a character listed twice keeps its first replacement.
_ACCENTED = "àÀáÁâÂãÃäÄåÅāĀçÇćĆčČďĎèÈéÉêÊëËēĒėĖęĘěĚìÌíÍîÎïÏīĪįĮłŁñÑńŃňŇòÒóÓôÔõÕöÖøØōŌřŘśŚšŠťŤùÙúÚûÛüÜūŪůŮýÝÿŸžŽźŹżŻ'’-"
_PLAIN = "aAaAaAaAaAaAaAcCcCcCdDeEeEeEeEeEeEeEeEiIiIiIiIiIiIlLnNnNnNoOoOoOoOoOoOoOrRsSsStTuUuUuUuUuUuUyYyYzZzZzZ   "
_ASCII_LOWER = {ord(c): c.lower() for c in map(chr, range(ord("A"), ord("Z") + 1))}


def _table() -> dict[int, str]:
    table: dict[int, str] = dict(_ASCII_LOWER)
    for accented, plain in zip(_ACCENTED, _PLAIN, strict=True):
        table.setdefault(ord(accented), plain.lower())  # lower() sees ASCII only (COLLATE "C")
    table.update({ord("œ"): "oe", ord("æ"): "ae", ord("Œ"): "oe", ord("Æ"): "ae"})
    return table


_TABLE = _table()
_SPACES = re.compile(r"[ \t\n\v\f\r]+")  # `\s` of a C-collated regular expression: ASCII white space only


def fold(value: str | None) -> str | None:
    """A name as searched: accents and case folded, apostrophes and hyphens as spaces, runs of spaces as one."""
    if value is None:
        return None
    return _SPACES.sub(" ", value.translate(_TABLE))


def name_key(last_name: str | None, first_name: str | None) -> str:
    """A membership's `search_name`: its folded last and first names (what lists sort by)."""
    return _SPACES.sub(" ", f"{last_name or ''} {first_name or ''}".translate(_TABLE))
