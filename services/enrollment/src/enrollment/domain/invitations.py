"""Online enrollment (guide 003, « Affiliation en ligne »): a correspondent invites employees (civility, names,
email), typed one by one or imported from a CSV file; each receives a link, valid one month, to fill the
affiliation wizard themselves, without an account. Plain rules, no framework.

    pending ──link opened──▶ in_progress ──sent──▶ completed ──(legacy refuses)──▶ refused
       │  └─mail bounced/failed─▶ error          │
       └──────────(the link's month is over)─────┴──▶ expired        (any open one) ──close──▶ closed

A reminder sends a new link (the token is kept only as its digest: the old link cannot be sent again), valid
one month from then; it reopens an expired invitation that was never sent. The tenant's schedule
(`[<tenant>.enrollment.online_enrollment]`) says how long a link lives and when reminders go automatically:

    [mbtp.enrollment.online_enrollment]
    link_days = 31                 # how long a link is valid
    reminder_every_days = 7        # an automatic reminder when the last mail is this old (0: none)
    max_reminders = 3              # automatic reminders at most
    enabled = true                 # false: the tenant shows it as « bientôt disponible » (MGEN)
"""

from __future__ import annotations

import csv
import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from pydantic import TypeAdapter, ValidationError

from extranet_contracts.types import Email
from extranet_plumbing.tenants import tenant as registry_tenant

PENDING, IN_PROGRESS, COMPLETED, REFUSED, EXPIRED, ERROR, CLOSED = (
    "pending",
    "in_progress",
    "completed",
    "refused",
    "expired",
    "error",
    "closed",
)
STATUS_LABELS = {
    PENDING: "En attente",
    IN_PROGRESS: "En cours",
    COMPLETED: "Terminée",
    REFUSED: "Refusée",
    EXPIRED: "Expirée",
    ERROR: "En erreur",
    CLOSED: "Clôturée",
}
STATUS_HELP = {
    PENDING: "Adhésion incomplète : le salarié n'a pas cliqué sur le lien d'affiliation.",
    IN_PROGRESS: "Le salarié a commencé son affiliation.",
    COMPLETED: "Adhésion terminée : la demande est transmise à la gestion.",
    REFUSED: "La gestion a refusé l'affiliation.",
    EXPIRED: "Le lien a expiré (1 mois de validité).",
    ERROR: "Le message n'a pas pu être remis : vérifiez l'adresse e-mail.",
    CLOSED: "Dossier clôturé par l'entreprise.",
}
MAIL_LABELS = {"requested": "Envoi en cours", "delivered": "Remis", "bounced": "Rejeté par le destinataire", "failed": "Échec d'envoi"}
# The link works in these statuses; reminders and expiry apply to them.
OPEN = frozenset({PENDING, IN_PROGRESS, ERROR})
REMINDABLE = OPEN | {EXPIRED}
CIVILITIES = {"M": "M", "MR": "M", "MONSIEUR": "M", "MME": "MME", "MADAME": "MME"}
CIVILITY_LABELS = {"M": "Monsieur", "MME": "Madame"}
MAX_BATCH = 500
_EMAIL = TypeAdapter(Email)


@dataclass(frozen=True)
class Schedule:
    link_days: int = 31
    reminder_every_days: int = 7
    max_reminders: int = 3
    enabled: bool = True

    @property
    def link_lifetime(self) -> timedelta:
        return timedelta(days=self.link_days)


def schedule(tenant: str) -> Schedule:
    own = registry_tenant(tenant).section("enrollment").get("online_enrollment", {})
    numbers = {k: int(v) for k, v in own.items() if k in ("link_days", "reminder_every_days", "max_reminders")}
    found = Schedule(**numbers, enabled=bool(own.get("enabled", True)))
    if found.link_days < 1 or found.reminder_every_days < 0 or found.max_reminders < 0:
        raise ValueError(f"tenant {tenant}: enrollment.online_enrollment: link_days >= 1, reminder_every_days and max_reminders >= 0")
    return found


@dataclass
class Invitation:
    id: uuid.UUID
    tenant: str
    company_code: str
    contract_number: str
    account: str
    civility: str
    last_name: str
    first_name: str
    email: str
    status: str
    mail_status: str
    request_id: uuid.UUID | None
    created_at: datetime
    expires_at: datetime
    last_mailed_at: datetime
    reminders: int
    request_status: str | None = None  # the affiliation's, when the employee opened the link
    category: str | None = None  # the contract's population category when it was made (None: not known then)

    @property
    def display_name(self) -> str:
        return f"{self.first_name} {self.last_name}"

    def link_works(self, now: datetime) -> bool:
        return self.status in OPEN and now < self.expires_at


@dataclass(frozen=True)
class Invitee:
    civility: str
    last_name: str
    first_name: str
    email: str


def new_token() -> str:
    return secrets.token_urlsafe(32)


def digest(token: str) -> bytes:
    """What is kept of a link's token: its SHA-256 (a token has 256 random bits: no key stretching needed)."""
    return hashlib.sha256(token.encode()).digest()


def invitee(civility: str, last_name: str, first_name: str, email: str) -> tuple[Invitee | None, str | None, str | None]:
    """The employee as typed, normalised, or (None, the field at fault, why in French)."""
    code = CIVILITIES.get(civility.strip().upper().rstrip("."))
    if code is None:
        return None, "civility", "La civilité doit être M ou MME."
    for field, value in (("last_name", last_name), ("first_name", first_name)):
        value = value.strip()
        if not value or len(value) > 80:
            return None, field, "Le nom et le prénom sont obligatoires (80 caractères au plus)."
        if any(ord(c) < 32 or c in '<>;="' for c in value):
            return None, field, "Le nom et le prénom ne peuvent contenir de caractères spéciaux."
    try:
        address = str(_EMAIL.validate_python(email.strip()))
    except ValidationError:
        return None, "email", "L'adresse e-mail n'est pas valide."
    return Invitee(code, last_name.strip(), first_name.strip(), address), None, None


def parse_csv(content: bytes) -> tuple[list[Invitee], list[tuple[int, str]]]:
    """The employees of a file of exactly four columns (civility, last name, first name, email), without a
    header, `;` or `,` separated; or every line's refusal (line number, French message), to import nothing."""
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = content.decode("cp1252", errors="replace")
    lines = text.splitlines()
    if not any(line.strip() for line in lines):
        return [], [(0, "Le fichier est vide.")]
    delimiter = ";" if any(";" in line for line in lines) else ","
    found, errors = [], []
    for number, row in enumerate(csv.reader(lines, delimiter=delimiter), start=1):
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != 4:
            errors.append((number, f"{len(row)} colonne(s) au lieu de 4 (civilité, nom, prénom, adresse e-mail)."))
            continue
        person, _field, why = invitee(*row)
        if person is None:
            errors.append((number, why))
        else:
            found.append(person)
    if len(found) + len(errors) > MAX_BATCH:
        return [], [(0, f"Le fichier contient plus de {MAX_BATCH} salariés.")]
    if not found and not errors:
        errors.append((0, "Le fichier ne contient aucun salarié."))
    return found, errors


def status_after_request(request_status: str) -> str | None:
    """The invitation's status from its affiliation's (None: unchanged)."""
    return {"submitted": COMPLETED, "sent": COMPLETED, "accepted": COMPLETED, "refused": REFUSED}.get(request_status)
