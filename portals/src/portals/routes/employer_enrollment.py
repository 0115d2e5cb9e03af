"""The employer portal's online enrollment (guide 003, « Affiliation en ligne », « Inscription de salariés »).

The correspondent adds employees one by one (civility, name, first name, email) or imports a .csv file of four
columns without a header (each wrong line said as the API says it, nothing imported then); each receives a mail
with a link. The tracking table (« Suivi de la saisie par les salariés »): each invitation's status and whether
its mail was delivered, and its actions (view, close, remind, remove), remind all, export.

The employee opens the link of the mail (`/affiliation-en-ligne?token=...`, no account): the token is kept in the
portal's session at once and the address loses it (it never stays in the browser's history or goes to another
site); then the wizard's steps of the correspondent's affiliation (`employer_requests`), a recap and the sending."""

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends
from fastapi.responses import Response, StreamingResponse

from enrollment.api import InvitationDetail, InvitationList, InvitationView, RequestDetail, RequestForm
from portals.adapters.gateway import GatewayProblem
from portals.routes.employer_requests import (
    CIVILITIES,
    MAX_UPLOAD,
    ROLES,
    STEPS,
    TO_CORRECT,
    Wizard,
    contracts_of,
    field_errors,
    recap_page,
    save_step_page,
    step_page,
    submit_page,
)
from portals.web import NotFound, Page, Visit, field_values, missing, only

router = APIRouter()
Employer = Annotated[Visit, Depends(only("employer"))]
INVITEE_FIELDS = ("civility", "last_name", "first_name", "email")
MAX_ROWS = 50
MAX_FILE = 1_000_000
OPEN = {"pending", "in_progress", "error"}  # the link works: remind, close
REMINDABLE = OPEN | {"expired"}
LEGEND = (
    ("En attente", "Adhésion incomplète : le salarié n'a pas cliqué sur le lien d'affiliation."),
    ("En cours", "Le salarié a commencé son affiliation."),
    ("Terminée", "Adhésion terminée : la demande est transmise à la gestion."),
    ("Refusée", "La gestion a refusé l'affiliation."),
    ("Expirée", "Le lien a expiré (1 mois de validité)."),
    ("En erreur", "Le message n'a pas pu être remis : vérifiez l'adresse e-mail."),
    ("Clôturée", "Dossier clôturé par l'entreprise."),
)


# --- the correspondent: invite, follow ----------------------------------------------------------------------------


def _rows(form: Any) -> tuple[list[dict[str, str]], str]:
    """The employees typed (rows `employees-<i>-<field>`), with one more or one less as the button pressed asks."""
    count = str(form.get("rows") or "1")
    rows = [
        {name: str(form.get(f"employees-{index}-{name}") or "").strip() for name in INVITEE_FIELDS}
        for index in range(min(int(count) if count.isdigit() else 1, MAX_ROWS))
    ]
    action = str(form.get("action") or "")
    if action == "ajouter" and len(rows) < MAX_ROWS:
        rows.append(dict.fromkeys(INVITEE_FIELDS, ""))
    if action.startswith("retirer-") and action[8:].isdigit() and int(action[8:]) < len(rows) and len(rows) > 1:
        del rows[int(action[8:])]
    return rows or [dict.fromkeys(INVITEE_FIELDS, "")], action


async def _page(visit: Visit, status: int = 200, **context: Any) -> Response:
    try:
        listed = await visit.api("GET", "/api/employer/invitations", model=InvitationList, with_tenant=False)
    except GatewayProblem as problem:
        if problem.status != 404:
            raise
        # The mutuelle does not offer it yet (MGEN): « bientôt disponible »
        return await visit.render("employer_enrollment_soon.html", title="Affiliation en ligne", active="inscription", text=problem.message)
    context.setdefault("rows", [dict.fromkeys(INVITEE_FIELDS, "")])
    return await visit.render(
        "employer_enrollment.html",
        status,
        title="Inscription de salariés",
        active="inscription",
        contracts=await contracts_of(visit),
        invitations=listed.items,
        civilities=CIVILITIES,
        legend=LEGEND,
        open_statuses=OPEN,
        remindable=REMINDABLE,
        **context,
    )


@router.get("/inscription-salaries")
async def enrollment_page(visit: Employer) -> Response:
    return await _page(visit)


@router.post("/inscription-salaries")
async def invite(visit: Employer) -> Response:
    form = await visit.form()
    rows, action = _rows(form)
    values = field_values(form, "contract_number")
    if action != "valider":
        return await _page(visit, rows=rows, values=values)
    errors = missing(values, "contract_number")
    for index, row in enumerate(rows):
        errors.update({f"employees-{index}-{name}": message for name, message in missing(row, *INVITEE_FIELDS).items()})
    if not errors:
        try:
            invited = await visit.api(
                "POST", "/api/employer/invitations", json={**values, "employees": rows}, model=InvitationList, with_tenant=False
            )
            count = len(invited.items)
            await visit.flash(
                f"{_employees(count, 'invité')} : un mail contenant un lien d'affiliation (valable un mois) "
                f"{'leur' if count > 1 else 'lui'} est envoyé."
            )
            return visit.redirect("/inscription-salaries")
        except GatewayProblem as problem:
            if problem.status not in (404, 422):
                raise
            errors = field_errors(problem)
            if problem.status == 404:
                errors = {"contract_number": problem.detail or problem.message}
    return await _page(visit, 422, rows=rows, values=values, errors=errors, message=TO_CORRECT)


@router.post("/inscription-salaries/import")
async def import_file(visit: Employer) -> Response:
    form = await visit.form()
    values = field_values(form, "import_contract_number")
    upload = form.get("file")
    errors = missing(values, "import_contract_number")
    content = b""
    if upload is None or isinstance(upload, str) or not upload.filename:
        errors["file"] = "Choisissez le fichier à importer."
    elif not upload.filename.lower().endswith(".csv"):
        errors["file"] = "Le format de fichier accepté est : .csv"
    else:
        content = await upload.read(MAX_FILE + 1)
        if len(content) > MAX_FILE:
            errors["file"] = "Le fichier est trop volumineux (1 Mo au plus)."
    lines: list[str] = []
    if not errors:
        try:
            invited = await visit.api(
                "POST",
                "/api/employer/invitations/import",
                params={"contract_number": values["import_contract_number"]},
                content=content,
                headers={"content-type": "text/csv"},
                model=InvitationList,
                with_tenant=False,
            )
            count = len(invited.items)
            await visit.flash(f"Fichier importé : {_employees(count, 'invité')}.")
            return visit.redirect("/inscription-salaries")
        except GatewayProblem as problem:
            if problem.status not in (404, 422):
                raise
            if problem.status == 404:
                errors = {"import_contract_number": problem.detail or problem.message}
            else:  # each wrong line of the file, in the file's order: nothing was imported
                lines = [message for path, message in sorted(problem.paths.items(), key=_line) if path.startswith("file")]
                errors = {"file": "Aucun salarié n'a été importé : corrigez ces lignes du fichier, puis importez-le de nouveau."}
                errors.update(field_errors(problem, {"contract_number": "import_contract_number"}))
                errors.pop("file-0", None)
    return await _page(visit, 422, values=values, errors=errors, file_lines=lines, message=TO_CORRECT, opened="import")


def _employees(count: int, done: str) -> str:
    plural = "s" if count > 1 else ""
    return f"{count} salarié{plural} {done}{plural}"


def _line(item: tuple[str, str]) -> int:
    number = item[0].rpartition(".")[2]
    return int(number) if number.isdigit() else 0


async def _invitation(visit: Visit, invitation_id: uuid.UUID) -> InvitationDetail:
    try:
        return await visit.api("GET", f"/api/employer/invitations/{invitation_id}", model=InvitationDetail, with_tenant=False)
    except GatewayProblem as problem:
        if problem.status in (404, 422):
            raise NotFound() from None
        raise


@router.get("/inscription-salaries/export")
async def export(visit: Employer) -> Response:
    return await visit.download_or_back("/api/employer/invitations/export", {}, "/inscription-salaries", "L'export n'a pas abouti")


@router.post("/inscription-salaries/relancer-tous")
async def remind_all(visit: Employer) -> Response:
    await visit.form()
    reminded = await visit.api("POST", "/api/employer/invitations/remind-all", model=InvitationList, with_tenant=False)
    count = len(reminded.items)
    await visit.flash(f"{_employees(count, 'relancé')} : un nouveau lien {'leur' if count > 1 else 'lui'} est envoyé par mail.")
    return visit.redirect("/inscription-salaries")


@router.get("/inscription-salaries/{invitation_id}")
async def invitation(visit: Employer, invitation_id: uuid.UUID) -> Response:
    found = await _invitation(visit, invitation_id)
    form = None
    if found.request is not None:
        params = {"contract_number": found.contract_number}
        form = await visit.api("GET", "/api/employer/requests/forms/affiliation", params=params, model=RequestForm, with_tenant=False)
    labels = {name: {c.code: c.label for c in choices} for name, choices in (form.choices.items() if form else ())}
    return await visit.render(
        "employer_enrollment_view.html",
        title=f"Inscription de {found.first_name} {found.last_name}",
        active="inscription",
        invitation=found,
        demand=found.request,
        labels=labels,
        steps=STEPS,
        civilities=dict(CIVILITIES),
        roles=dict(ROLES),
        open_statuses=OPEN,
        remindable=REMINDABLE,
    )


ACTIONS = {
    "relancer": ("POST", "remind", "{name} est relancé(e) : un nouveau lien, valable un mois, lui est envoyé par mail."),
    "cloturer": ("POST", "close", "Le dossier de {name} est clôturé : son lien ne fonctionne plus."),
    "retirer": ("DELETE", "", "{name} est retiré(e) du suivi."),
}


@router.post("/inscription-salaries/{invitation_id}/{action}")
async def act(visit: Employer, invitation_id: uuid.UUID, action: str) -> Response:
    """« Relancer le salarié », « Clôturer le dossier », « Retirer le suivi »."""
    if action not in ACTIONS:
        raise NotFound()
    await visit.form()
    method, verb, done = ACTIONS[action]
    found = await _invitation(visit, invitation_id)
    path = f"/api/employer/invitations/{invitation_id}" + (f"/{verb}" if verb else "")
    try:
        await visit.api(method, path, model=InvitationDetail if verb else None, with_tenant=False)
        await visit.flash(done.format(name=f"{found.first_name} {found.last_name}"))
    except GatewayProblem as problem:
        if problem.status not in (404, 409):
            raise
        await visit.flash(problem.message)
    return visit.redirect("/inscription-salaries")


# --- the employee, through the link of the mail ---------------------------------------------------------------------

LINK = "affiliation_en_ligne"  # the session's key of the link's token
LINK_HEADER = "X-Invitation-Token"


class EmployeeWizard(Wizard):
    """The wizard as the employee invited fills it: the link's token (kept in the session) is the only ticket."""

    def __init__(self, visit: Visit) -> None:
        self.visit, self.base, self.final = visit, "/affiliation-en-ligne", "pieces"
        self.view: InvitationView | None = None
        self.template_context = {"employee_side": True}

    @property
    def _headers(self) -> dict[str, str]:
        token = self.visit.recalled(LINK)
        if not token:
            raise NotFound()
        return {LINK_HEADER: token}

    async def open(self) -> InvitationView:
        if self.view is None:
            self.view = await self.visit.call("GET", "/api/online-enrollment", headers=self._headers, model=InvitationView)
            self.template_context = {"employee_side": True, "company_name": self.view.company_name, "invitation": self.view}
        return self.view

    async def load(self) -> tuple[RequestForm, RequestDetail]:
        view = await self.open()
        return view.form, view.request

    async def save(self, step: str, body: dict[str, Any]) -> RequestDetail:
        return await self.visit.call("PUT", f"/api/online-enrollment/steps/{step}", json=body, headers=self._headers, model=RequestDetail)

    async def submit(self) -> RequestDetail:
        return await self.visit.call("POST", "/api/online-enrollment/submit", headers=self._headers, model=RequestDetail)

    async def sent(self, request: RequestDetail) -> Response:
        view = await self.open()
        await self.visit.remember(**{LINK: None})  # the link no longer works
        return await self.visit.render(
            "enrollment_employee_done.html", title="Affiliation envoyée", company_name=view.company_name, email=view.email
        )


async def _employee_page(visit: Visit, show) -> Response:
    """A page of the employee's wizard, or why the link does not open it (unknown, expired, used, closed)."""
    if visit.site.portal != "employer":
        raise NotFound()
    wizard = EmployeeWizard(visit)
    if not visit.recalled(LINK):
        return await _link_refused(visit, "Ouvrez le lien reçu par e-mail pour compléter votre affiliation.")
    try:
        await wizard.open()
        return await show(wizard)
    except GatewayProblem as problem:
        # 404: unknown, expired, used or closed link; 422: no token of the right shape
        if problem.status == 404 or (problem.status == 422 and wizard.view is None):
            await visit.remember(**{LINK: None})
            known = problem.detail if problem.status == 404 and problem.detail else None
            return await _link_refused(visit, known or "Ce lien d'affiliation est inconnu, expiré ou déjà utilisé.")
        raise


async def _link_refused(visit: Visit, text: str) -> Response:
    return await visit.render("enrollment_employee_link.html", 404, title="Affiliation en ligne", text=text)


@router.get("/affiliation-en-ligne")
async def employee_welcome(visit: Page, token: str = "") -> Response:
    if token:  # from the mail: kept in the session, and out of the address at once
        if visit.site.portal != "employer":
            raise NotFound()
        await visit.remember(**{LINK: token})
        return await visit.render("link_opened.html", title="Affiliation en ligne", target="/affiliation-en-ligne")

    async def show(wizard: EmployeeWizard) -> Response:
        view = await wizard.open()
        return await visit.render("enrollment_employee.html", title="Votre affiliation en ligne", invitation=view, steps=STEPS)

    return await _employee_page(visit, show)


@router.get("/affiliation-en-ligne/recapitulatif")
async def employee_recap(visit: Page) -> Response:
    return await _employee_page(visit, recap_page)


@router.post("/affiliation-en-ligne/envoyer")
async def employee_submit(visit: Page) -> Response:
    return await _employee_page(visit, submit_page)


# The employee's supporting documents (issue 11): one file a time through the link, checked by the gateway; declared
# before the steps' pages, whose address would take « pieces » for a step.


async def _employee_documents(wizard: EmployeeWizard, status: int = 200, **context: Any) -> Response:
    view = await wizard.open()
    return await wizard.visit.render(
        "enrollment_employee_documents.html",
        status,
        title="Votre affiliation : pièces justificatives",
        wizard=wizard,
        steps=STEPS,
        step="documents",
        demand=view.request,
        **wizard.template_context,
        **context,
    )


@router.get("/affiliation-en-ligne/pieces")
async def employee_documents(visit: Page) -> Response:
    return await _employee_page(visit, _employee_documents)


@router.post("/affiliation-en-ligne/pieces")
async def employee_attach(visit: Page) -> Response:
    async def attach(wizard: EmployeeWizard) -> Response:
        upload = (await visit.form()).get("file")
        if upload is None or isinstance(upload, str) or not upload.filename:
            return await _employee_documents(wizard, 422, errors={"file": "Choisissez le fichier à joindre."}, message=TO_CORRECT)
        content = await upload.read(MAX_UPLOAD)
        files = {"file": (upload.filename, content, upload.content_type or "application/octet-stream")}
        try:
            await visit.call("POST", "/api/online-enrollment/attachments", files=files, headers=wizard._headers, model=RequestDetail)
        except GatewayProblem as problem:
            if problem.status not in (409, 413, 415, 422) or (problem.status == 422 and "file" not in problem.fields):
                raise
            said = problem.fields.get("file") or problem.detail or problem.message
            return await _employee_documents(wizard, 422, errors={"file": said}, message=TO_CORRECT)
        await visit.flash(f"La pièce « {upload.filename} » est jointe à votre affiliation.")
        return visit.redirect("/affiliation-en-ligne/pieces")

    return await _employee_page(visit, attach)


@router.post("/affiliation-en-ligne/pieces/{file_id}/retirer")
async def employee_detach(visit: Page, file_id: uuid.UUID) -> Response:
    async def detach(wizard: EmployeeWizard) -> Response:
        await visit.form()
        try:
            await visit.call("DELETE", f"/api/online-enrollment/attachments/{file_id}", headers=wizard._headers, model=RequestDetail)
        except GatewayProblem as problem:
            if problem.status != 404 or wizard.view is None:
                raise
            raise NotFound() from None
        await visit.flash("La pièce est retirée de votre affiliation.")
        return visit.redirect("/affiliation-en-ligne/pieces")

    return await _employee_page(visit, detach)


@router.get("/affiliation-en-ligne/pieces/{file_id}")
async def employee_file(visit: Page, file_id: uuid.UUID) -> Response:
    """One of the employee's own files, read back through the link (the type it was checked as, its name)."""

    async def download(wizard: EmployeeWizard) -> Response:
        try:
            file = await visit.gateway.download(
                f"/api/online-enrollment/attachments/{file_id}", params={"tenant": visit.site.tenant}, token=None, headers=wizard._headers
            )
        except GatewayProblem as problem:
            if problem.status != 404:
                raise
            raise NotFound() from None
        headers = {"content-disposition": file.disposition, "cache-control": "no-store"}
        return visit.finish(StreamingResponse(file.body(), media_type=file.media_type, headers=headers))

    return await _employee_page(visit, download)


@router.get("/affiliation-en-ligne/{slug}")
async def employee_step(visit: Page, slug: str) -> Response:
    return await _employee_page(visit, lambda wizard: step_page(wizard, slug))


@router.post("/affiliation-en-ligne/{slug}")
async def employee_save_step(visit: Page, slug: str) -> Response:
    return await _employee_page(visit, lambda wizard: save_step_page(wizard, slug))
