"""The termination pack (« attestation de radiation »): the document an employer gets once the legacy
system has accepted an employee's termination, to hand to the employee. On the tenant's letterhead: the
company and its collective contract, the employee and its member number, the last day covered and the
reason, the date from which contributions stop, and what the employee keeps after it:

- a dismissal, the end of a fixed-term contract (or any end that opens a right to unemployment
  benefits, the legacy system checking it): the portability of the cover (article L911-8 of the Code
  de la sécurité sociale), free of charge, for as long as the last contract lasted, 12 months at most;
- retirement: the individual continuation of the cover (article 4 of the loi Évin), asked within six
  months;
- death: the beneficiaries' continuation of the cover, asked within six months;
- resignation, transfer: nothing kept by right (a resignation the unemployment insurance recognises as
  legitimate opens the portability: the legacy system tells).

`termination_pack` is blocking (reportlab): the route runs it through `extranet_plumbing.exports.in_thread`.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from extranet_plumbing.tenants import UnknownTenant, tenant

INK = colors.HexColor("#1F2A44")
_TEXT = ParagraphStyle("pack-text", fontName="Helvetica", fontSize=10, leading=14, textColor=INK, spaceAfter=2 * mm)
_TITLE = ParagraphStyle("pack-title", fontName="Helvetica-Bold", fontSize=14, leading=18, textColor=INK, spaceAfter=5 * mm)
_HEAD = ParagraphStyle("pack-head", fontName="Helvetica-Bold", fontSize=11, leading=15, textColor=INK, spaceBefore=4 * mm)

PORTABILITY = frozenset({"LICENCIEMENT", "FIN DE CONTRAT"})
WHAT_IS_KEPT = {
    "portability": (
        "Maintien des garanties au titre de la portabilité",
        "Le salarié bénéficie, s'il est pris en charge par l'assurance chômage, du maintien gratuit de ses garanties "
        "(article L911-8 du Code de la sécurité sociale) à compter du lendemain de la fin de son contrat de travail, pour une "
        "durée égale à celle de son dernier contrat, dans la limite de 12 mois. Il justifie de sa prise en charge auprès de la "
        "mutuelle à l'ouverture puis au cours de la période de maintien.",
    ),
    "retirement": (
        "Maintien individuel des garanties (loi Évin)",
        "Le salarié peut demander, dans les six mois qui suivent la fin de son contrat de travail, le maintien de ses garanties à "
        "titre individuel (article 4 de la loi n° 89-1009 du 31 décembre 1989), sans questionnaire ni délai d'attente.",
    ),
    "death": (
        "Maintien des garanties des ayants droit",
        "Les ayants droit du salarié peuvent demander, dans les six mois qui suivent le décès, le maintien des garanties à titre "
        "individuel pendant au moins 12 mois (article 4 de la loi n° 89-1009 du 31 décembre 1989).",
    ),
    "none": (
        "Fin des garanties",
        "Le motif de radiation n'ouvre pas de droit au maintien des garanties. Si l'assurance chômage reconnaît la démission "
        "comme légitime, le salarié peut bénéficier de la portabilité : il en justifie auprès de la mutuelle.",
    ),
}


@dataclass(frozen=True)
class Letterhead:
    """The tenant as its documents print it (the registry's name and website; the address, colour and legal
    notice its statements print, `[<tenant>.claims]`)."""

    name: str
    address: tuple[str, ...] = ()
    website: str | None = None
    colour: str = "#1F2A44"
    legal_notice: str | None = None

    @classmethod
    def of(cls, code: str) -> Letterhead:
        try:
            registered = tenant(code)
        except UnknownTenant:
            return cls(name=code)
        printed = registered.section("claims")
        return cls(
            name=registered.name,
            address=tuple(printed.get("address", ())),
            website=registered.website,
            colour=printed.get("colour", cls.colour),
            legal_notice=printed.get("legal_notice"),
        )


@dataclass(frozen=True)
class Termination:
    """What the pack says: an accepted termination of an employee."""

    request_id: str
    company_name: str
    company_code: str
    contract_number: str
    employee: str  # "NAME First (member number)"
    member_number: str
    last_day: date
    reason_code: str
    reason: str
    decided_at: datetime

    @property
    def kept(self) -> str:
        if self.reason_code in PORTABILITY:
            return "portability"
        return {"RETRAITE": "retirement", "DECES": "death"}.get(self.reason_code, "none")


def filename(termination: Termination) -> str:
    return f"attestation-radiation-{termination.member_number}.pdf"


def termination_pack(termination: Termination, letterhead: Letterhead, issued_on: date) -> bytes:
    """The pack as a PDF (blocking)."""
    out = io.BytesIO()
    page = SimpleDocTemplate(
        out,
        pagesize=A4,
        leftMargin=20 * mm,
        rightMargin=20 * mm,
        topMargin=45 * mm,
        bottomMargin=25 * mm,
        title="Attestation de radiation",
        author=letterhead.name,
        creator="Extranet",
    )

    def head(canvas, _document) -> None:
        width, height = A4
        canvas.saveState()
        canvas.setFillColor(colors.HexColor(letterhead.colour))
        canvas.rect(0, height - 12 * mm, width, 12 * mm, stroke=0, fill=1)
        canvas.setFillColor(INK)
        canvas.setFont("Helvetica-Bold", 15)
        canvas.drawString(20 * mm, height - 22 * mm, letterhead.name)
        canvas.setFont("Helvetica", 8.5)
        for i, line in enumerate(line for line in (*letterhead.address, letterhead.website) if line):
            canvas.drawString(20 * mm, height - (27 + 4 * i) * mm, line)
        canvas.drawRightString(width - 20 * mm, height - 22 * mm, f"Édité le {issued_on:%d/%m/%Y}")
        canvas.setFont("Helvetica", 6.5)
        if letterhead.legal_notice:
            canvas.drawString(20 * mm, 12 * mm, letterhead.legal_notice[:180])
        canvas.restoreState()

    def text(value: str) -> Paragraph:
        return Paragraph(escape(value), _TEXT)

    stops = termination.last_day + timedelta(days=1)
    facts = Table(
        [
            [text("Entreprise"), text(f"{termination.company_name} ({termination.company_code})")],
            [text("Contrat collectif"), text(termination.contract_number)],
            [text("Salarié"), text(termination.employee)],
            [text("Date de radiation"), text(f"{termination.last_day:%d/%m/%Y} (dernier jour couvert)")],
            [text("Motif"), text(termination.reason)],
            [text("Fin des cotisations"), text(f"Les cotisations cessent d'être dues à compter du {stops:%d/%m/%Y}.")],
        ],
        colWidths=[45 * mm, 125 * mm],
    )
    facts.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("LINEBELOW", (0, 0), (-1, -1), 0.3, colors.HexColor("#9AA5B8"))]))
    title, explanation = WHAT_IS_KEPT[termination.kept]
    story = [
        Paragraph("Attestation de radiation", _TITLE),
        text(
            f"{letterhead.name} atteste que le salarié désigné ci-dessous est radié du contrat collectif de son entreprise, "
            f"à la demande de l'employeur acceptée le {termination.decided_at:%d/%m/%Y}."
        ),
        Spacer(1, 3 * mm),
        facts,
        Paragraph(escape(title), _HEAD),
        text(explanation),
        Spacer(1, 4 * mm),
        text(f"Référence de la demande : {termination.request_id}"),
        text("Document à remettre au salarié."),
    ]
    page.build(story, onFirstPage=head, onLaterPages=head)
    return out.getvalue()
