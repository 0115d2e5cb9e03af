"""French formats of what the pages show (dates, months, numbers, amounts), and the terms of use's
light Markdown as HTML (headings, lists, paragraphs; every text escaped)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from markupsafe import Markup, escape

PARIS = ZoneInfo("Europe/Paris")
MONTHS = ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre", "novembre", "décembre")
NARROW_NBSP = "\u202f"  # the thousands separator of French typography


def french_date(value: date | datetime | str | None) -> str:
    """21/11/2019 (a time is shown in France's time zone)."""
    if value in (None, ""):
        return ""
    if isinstance(value, str):
        value = datetime.fromisoformat(value) if "T" in value else date.fromisoformat(value)
    if isinstance(value, datetime):
        value = value.astimezone(PARIS) if value.tzinfo else value
    return value.strftime("%d/%m/%Y")


def french_long_date(value: date | str | None) -> str:
    """14 octobre 2019 (as guide 003 dates a document; the 1st: « 1er »)."""
    if value in (None, ""):
        return ""
    if isinstance(value, str):
        value = date.fromisoformat(value[:10])
    day = "1er" if value.day == 1 else str(value.day)
    return f"{day} {MONTHS[value.month - 1]} {value.year}"


def french_datetime(value: datetime | str | None) -> str:
    """le 21/11/2019 à 14 h 05 (France's time zone)."""
    if value in (None, ""):
        return ""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    local = value.astimezone(PARIS) if value.tzinfo else value
    return f"le {local:%d/%m/%Y} à {local:%H} h {local:%M}"


def parse_french_date(text: str) -> date | None:
    """JJ/MM/AAAA (as a French user types a date; also with - or . between), else None."""
    parts = text.strip().replace("-", "/").replace(".", "/").split("/")
    if len(parts) != 3 or not all(part.isdigit() for part in parts) or len(parts[2]) != 4:
        return None
    try:
        return date(int(parts[2]), int(parts[1]), int(parts[0]))
    except ValueError:
        return None


def month_label(month: str) -> str:
    """`2026-11` -> novembre 2026."""
    year, number = month.split("-")
    return f"{MONTHS[int(number) - 1]} {year}"


def french_number(value: int | float | Decimal | None, decimals: int = 0) -> str:
    """1 234 or 1 234,56 (narrow no-break space between thousands, decimal comma)."""
    if value is None:
        return ""
    text = f"{value:,.{decimals}f}"
    return text.replace(",", NARROW_NBSP).replace(".", ",")


def french_amount(value: int | float | Decimal | None) -> str:
    return "" if value is None else f"{french_number(value, 2)}\u00a0€"


def previous_months(current: str, count: int) -> list[str]:
    """`current` (YYYY-MM) and the `count - 1` months before it, newest first."""
    year, month = (int(part) for part in current.split("-"))
    months = []
    for _ in range(count):
        months.append(f"{year:04d}-{month:02d}")
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return months


def markdown_light(text: str, heading_offset: int = 1) -> Markup:
    """Headings (#), bulleted lists (- ) and paragraphs; nothing else is interpreted."""
    html: list[str] = []
    paragraph: list[str] = []
    in_list = False

    def close_paragraph() -> None:
        if paragraph:
            html.append(f"<p>{escape(' '.join(paragraph))}</p>")
            paragraph.clear()

    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith("- "):
            close_paragraph()
            if not in_list:
                html.append("<ul>")
                in_list = True
            html.append(f"<li>{escape(stripped[2:])}</li>")
            continue
        if in_list:
            html.append("</ul>")
            in_list = False
        if stripped.startswith("#"):
            close_paragraph()
            level = min(len(stripped) - len(stripped.lstrip("#")) + heading_offset, 6)
            html.append(f"<h{level}>{escape(stripped.lstrip('#').strip())}</h{level}>")
        elif stripped:
            paragraph.append(stripped)
        else:
            close_paragraph()
    close_paragraph()
    if in_list:
        html.append("</ul>")
    return Markup("\n".join(html))
