"""Statements (relevés de prestations) as PDF documents: one payment on the tenant's letterhead, its acts
laid out as the legacy print lays them out (beneficiary, care pathway, nature, date, quantity, expense,
the mandatory scheme's base/rate/amount, the mutuelle's, and here what remains for the member), the
payment (date, to whom, the masked IBAN), the amount paid in words and, where the tenant keeps it, in
francs; then each act explained in plain French.

`write_statement` is blocking (reportlab): callers run it through `extranet_plumbing.exports.in_thread`.
`write_archive` puts the statements of a period in one zip, one PDF at a time, so that memory holds one
statement whatever the period.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import AsyncIterable
from datetime import datetime
from typing import IO
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import KeepTogether, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from claims.domain.explanation import PATHWAY_LABELS, explain, summary
from claims.domain.french import day, euros, francs, iban, percent, quantity
from claims.domain.payments import ZERO, Payment
from claims.tenancy import ClaimsTenant
from extranet_plumbing.exports import in_thread

_FONT, _BOLD = "Helvetica", "Helvetica-Bold"
_INK = colors.HexColor("#1F2A44")
_RULE = colors.HexColor("#9AA5B8")
_SHADE = colors.HexColor("#EEF1F6")
_MARGIN = 15 * mm
_TOP = 42 * mm  # the letterhead's band
# Nature, date, quantity, expense, R.O. base/rate/amount, mutuelle base/rate/amount, what remains.
_WIDTHS = [w * mm for w in (42, 15, 8, 14, 14, 10, 15, 14, 10, 15, 15)]  # 172 mm: within the frame and its padding
_CELL = ParagraphStyle("cell", fontName=_FONT, fontSize=7.5, leading=9, textColor=_INK)
_TEXT = ParagraphStyle("text", fontName=_FONT, fontSize=9, leading=12, textColor=_INK)
_SMALL = ParagraphStyle("small", parent=_TEXT, fontSize=8, leading=10)
_TITLE = ParagraphStyle("title", fontName=_BOLD, fontSize=13, leading=16, textColor=_INK, spaceAfter=2 * mm)
_HEADING = ParagraphStyle("heading", fontName=_BOLD, fontSize=10, leading=13, textColor=_INK, spaceBefore=4 * mm, spaceAfter=1.5 * mm)


def filename(payment: Payment) -> str:
    return f"releve-{payment.reference}.pdf"


def _amount(value) -> str:
    """An amount in a table cell, as the legacy print writes it: '16,10' (the columns say euros)."""
    return euros(value).removesuffix("\u00a0€")


def _rate(value) -> str:
    return percent(value).removesuffix("\u00a0%").replace("\u00a0", "")


class _Letterhead:
    """The tenant's letterhead at the top of every page, its legal notice and the page at the bottom."""

    def __init__(self, tenant: ClaimsTenant, payment: Payment, issued_at: datetime) -> None:
        self.tenant, self.payment, self.issued_at = tenant, payment, issued_at

    def __call__(self, canvas, document) -> None:
        tenant = self.tenant
        width, height = A4
        canvas.saveState()
        canvas.setFillColor(colors.HexColor(tenant.colour))
        canvas.rect(_MARGIN, height - _MARGIN - 2 * mm, 4 * mm, -22 * mm, stroke=0, fill=1)
        canvas.setFont(_BOLD, 14)
        canvas.drawString(_MARGIN + 7 * mm, height - _MARGIN - 7 * mm, tenant.name)
        canvas.setFillColor(_INK)
        canvas.setFont(_FONT, 8.5)
        y = height - _MARGIN - 12 * mm
        for line in [*tenant.address, tenant.phone and f"Tél. {tenant.phone}", tenant.website]:
            if line:
                canvas.drawString(_MARGIN + 7 * mm, y, line)
                y -= 3.6 * mm
        canvas.setFont(_BOLD, 11)
        canvas.drawRightString(width - _MARGIN, height - _MARGIN - 7 * mm, "Relevé de prestations")
        canvas.setFont(_FONT, 8.5)
        canvas.drawRightString(width - _MARGIN, height - _MARGIN - 12 * mm, f"Adhérent n° {self.payment.member_number}")
        canvas.drawRightString(width - _MARGIN, height - _MARGIN - 15.6 * mm, f"Édité le {self.issued_at:%d/%m/%Y}")
        canvas.setStrokeColor(_RULE)
        canvas.setLineWidth(0.5)
        canvas.line(_MARGIN, height - _TOP + 4 * mm, width - _MARGIN, height - _TOP + 4 * mm)
        canvas.line(_MARGIN, _MARGIN + 8 * mm, width - _MARGIN, _MARGIN + 8 * mm)
        canvas.setFont(_FONT, 6.5)
        if tenant.legal_notice:
            canvas.drawString(_MARGIN, _MARGIN + 4 * mm, tenant.legal_notice[:170])
        canvas.drawRightString(width - _MARGIN, _MARGIN, f"Décompte {self.payment.reference} - page {document.page}")
        canvas.restoreState()


def _acts_table(payment: Payment) -> Table:
    def cell(text: str) -> Paragraph:
        return Paragraph(escape(text), _CELL)

    rows: list[list] = [
        ["", "", "", "", "Remboursement R.O.", "", "", "Remboursement Mutuelle", "", "", ""],
        ["Nature de la prestation", "Date", "Qté", "Dépense", "Base", "Taux", "Montant", "Base", "Taux", "Montant", "Reste à\ncharge"],
    ]
    spans: list[tuple] = [("SPAN", (4, 0), (6, 0)), ("SPAN", (7, 0), (9, 0))]
    shaded: list[int] = []
    current: tuple[str, str | None] | None = None
    for act in payment.acts:
        group = (act.beneficiary.id, act.care_pathway)
        if group != current:
            if current is None or group[0] != current[0]:
                person = f"{act.beneficiary.first_name} {act.beneficiary.last_name}"
                rows.append([cell(f"Bénéficiaire des prestations : {person}")] + [""] * 10)
                spans.append(("SPAN", (0, len(rows) - 1), (-1, len(rows) - 1)))
                shaded.append(len(rows) - 1)
            if act.care_pathway:
                rows.append([cell(f"Parcours de soins : {PATHWAY_LABELS.get(act.care_pathway, act.care_pathway)}")] + [""] * 10)
                spans.append(("SPAN", (0, len(rows) - 1), (-1, len(rows) - 1)))
            current = group
        rows.append(
            [
                cell(act.nature),
                day(act.act_date),
                quantity(act.quantity),
                _amount(act.expense),
                _amount(act.mandatory_base),
                _rate(act.mandatory_rate),
                _amount(act.mandatory_amount),
                _amount(act.mutuelle_base),
                _rate(act.mutuelle_rate),
                _amount(act.mutuelle_amount),
                _amount(act.remaining),
            ]
        )
        if act.mandatory_deductible > ZERO:
            withheld = (
                f"dont participation forfaitaire ou franchise médicale retenue par l'Assurance Maladie : {euros(act.mandatory_deductible)}"
            )
            rows.append([cell(withheld)] + [""] * 10)
            spans.append(("SPAN", (0, len(rows) - 1), (-1, len(rows) - 1)))
    totals = payment.totals
    rows.append(
        [
            "Total",
            "",
            "",
            _amount(totals.expense),
            "",
            "",
            _amount(totals.mandatory),
            "",
            "",
            _amount(totals.mutuelle),
            _amount(totals.remaining),
        ]
    )
    style = TableStyle(
        [
            ("FONT", (0, 0), (-1, -1), _FONT, 7.5, 9),
            ("FONT", (0, 0), (-1, 1), _BOLD, 7.5, 9),
            ("FONT", (0, -1), (-1, -1), _BOLD, 7.5, 9),
            ("TEXTCOLOR", (0, 0), (-1, -1), _INK),
            ("ALIGN", (1, 0), (-1, -1), "RIGHT"),
            ("ALIGN", (4, 0), (9, 0), "CENTER"),
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ("BACKGROUND", (0, 0), (-1, 1), _SHADE),
            ("LINEBELOW", (0, 1), (-1, 1), 0.75, _INK),
            ("LINEABOVE", (0, -1), (-1, -1), 0.75, _INK),
            ("LEFTPADDING", (0, 0), (-1, -1), 2),
            ("RIGHTPADDING", (0, 0), (-1, -1), 2),
            *spans,
            *[("BACKGROUND", (0, row), (-1, row), _SHADE) for row in shaded],
        ]
    )
    return Table(rows, colWidths=_WIDTHS, style=style, repeatRows=2)


def _payment_lines(payment: Payment, tenant: ClaimsTenant) -> list[Paragraph]:
    if payment.to_professional:
        to = f"Règlement au professionnel de santé (tiers payant) : {payment.professional_name}"
    else:
        to = "Règlement à l'assuré" + (f", sur le compte {iban(payment.masked_iban)}" if payment.masked_iban else "")
    paid = f"Réglé {euros(payment.amount)}" + (f" soit {francs(payment.amount)}" if tenant.francs else "")
    return [
        Paragraph(escape(f"Paiement : le {day(payment.paid_on)} - {to}"), _TEXT),
        Paragraph(f"<b>{escape(paid)}</b>", _TEXT),
    ]


def statement_story(payment: Payment, tenant: ClaimsTenant) -> list:
    """What a statement says, in order (flowables of reportlab)."""
    head = f"N° de référence {payment.reference} - Date de réception {day(payment.received_on)} - Date de règlement {day(payment.paid_on)}"
    story: list = [
        Paragraph("Détail de votre remboursement", _TITLE),
        Paragraph(escape(head), _TEXT),
        Spacer(1, 3 * mm),
        _acts_table(payment),
        Spacer(1, 3 * mm),
        KeepTogether(_payment_lines(payment, tenant)),
        Paragraph("Votre remboursement expliqué", _HEADING),
        Paragraph(escape(summary(payment)), _SMALL),
    ]
    for act in payment.acts:
        story += [Spacer(1, 1.5 * mm), Paragraph(escape(explain(act, payment)), _SMALL)]
    return story


def write_statement(out: IO[bytes], payment: Payment, tenant: ClaimsTenant, issued_at: datetime) -> None:
    """The statement of one payment, as a PDF, into `out` (blocking)."""
    letterhead = _Letterhead(tenant, payment, issued_at)
    document = SimpleDocTemplate(
        out,
        pagesize=A4,
        leftMargin=_MARGIN,
        rightMargin=_MARGIN,
        topMargin=_TOP,
        bottomMargin=_MARGIN + 12 * mm,
        title=f"Relevé de prestations {payment.reference}",
        author=tenant.name,
        creator="Extranet",
    )
    document.build(statement_story(payment, tenant), onFirstPage=letterhead, onLaterPages=letterhead)


def statement_pdf(payment: Payment, tenant: ClaimsTenant, issued_at: datetime) -> bytes:
    out = io.BytesIO()
    write_statement(out, payment, tenant, issued_at)
    return out.getvalue()


async def write_archive(out: IO[bytes], payments: AsyncIterable[Payment], tenant: ClaimsTenant, issued_at: datetime) -> int:
    """Every statement of `payments` in one zip written into `out`, one PDF laid out at a time in a worker
    thread; the number of statements. An empty period gives a zip with a note saying so."""
    count = 0
    archive = zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED)
    try:
        async for payment in payments:
            pdf = await in_thread(statement_pdf, payment, tenant, issued_at)
            await in_thread(archive.writestr, filename(payment), pdf)
            count += 1
        if not count:
            archive.writestr("aucun-releve.txt", "Aucun relevé de prestations sur cette période.\n")
    finally:
        archive.close()
    return count
