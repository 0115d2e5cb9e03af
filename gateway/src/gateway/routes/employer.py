"""The employer portal's API (espace entreprise): a primary correspondent's secondary correspondents,
declared from identity's public API; and the company's requests (« Suivi »: history by year and type),
among them an employee's termination (« Radier salarié ») and the affiliation wizard (« Affiliation par
l'employeur », saved step by step and resumable), each made as a draft, then sent to the back office; and
the online enrollment (« Affiliation en ligne »): the employees invited, the tracking table and its actions,
and the employee's own wizard through the link of the mail (no account: the link's token, sent in the
`X-Invitation-Token` header, is the only ticket).

The correspondent is the token's: enrollment checks again that the employee and the contract are the
company's and that the contract is granted to this correspondent."""

# No `from __future__ import annotations`: FastAPI must resolve the Annotated aliases.
import uuid
from typing import Annotated

from fastapi import APIRouter, Header, Path, Query, Request, Response
from fastapi.responses import StreamingResponse

from enrollment.api import (
    AddressStep,
    BankStep,
    ContactStep,
    CoverageStep,
    EmployeeBeneficiaryAddition,
    EmployeeTpCard,
    FamilyStep,
    InvitationBatch,
    InvitationDetail,
    InvitationImportQuery,
    InvitationList,
    InvitationView,
    NewAffiliation,
    RequestDetail,
    RequestForm,
    RequestList,
    RequestQuery,
    TerminationForm,
)
from enrollment.domain.access import correspondent
from extranet_plumbing.dependencies import Token, Who
from gateway.dependencies import Enrollment
from gateway.errors import Problem, problem_responses
from gateway.routes.declared import declare_identity_routes

router = APIRouter(prefix="/api", tags=["employer portal"])
declare_identity_routes(router, "employer")


def _problem(description: str) -> dict:
    return {"model": Problem, "description": description, "content": {"application/problem+json": {}}}


LISTED = problem_responses(authenticated=True, validated=True)
FOUND = {**LISTED, 404: _problem("Aucune demande de votre entreprise sous cet identifiant")}
CHANGED = {**FOUND, 409: _problem("La demande n'est plus un brouillon")}
RequestId = Annotated[uuid.UUID, Path(description="The request's id")]
CONTRACT_PATTERN = r"^[A-Z0-9][A-Z0-9-]{3,19}$"


@router.get("/employer/requests", response_model=RequestList, summary="Historique des demandes", responses=LISTED)
async def requests(who: Who, token: Token, enrollment: Enrollment, query: Annotated[RequestQuery, Query()]) -> RequestList:
    """The company's requests on the contracts granted to the correspondent, newest first, of a year and a type if asked."""
    correspondent(who)
    return await enrollment.my_requests(token, query.params())


@router.get(
    "/employer/requests/forms/employee-termination",
    response_model=RequestForm,
    summary="Radier un salarié : dates possibles et motifs",
    responses=problem_responses(authenticated=True, validated=False),
)
async def termination_form(who: Who, token: Token, enrollment: Enrollment) -> RequestForm:
    """What the form shows before a termination is made: the window of radiation dates the mutuelle allows today and its reasons."""
    correspondent(who)
    return await enrollment.form(token, "employee_termination")


@router.post(
    "/employer/requests/employee-termination",
    status_code=201,
    response_model=RequestDetail,
    summary="Radier un salarié (brouillon)",
    responses={
        **LISTED,
        404: _problem("Aucun salarié de votre entreprise sous ce numéro sur ce contrat"),
        409: _problem("Une radiation de ce salarié est déjà en cours"),
    },
)
async def draft_termination(who: Who, token: Token, enrollment: Enrollment, body: TerminationForm) -> RequestDetail:
    """The employee (member number, contract), the radiation date (within the window) and the reason (from the
    list), checked and kept as a draft: `submit` sends it to the back office."""
    correspondent(who)
    return await enrollment.draft_termination(token, body.model_dump(mode="json"))


@router.post(
    "/employer/requests/tp-card",
    status_code=201,
    response_model=RequestDetail,
    summary="Commander la carte de tiers payant d'un salarié",
    responses={
        **LISTED,
        404: _problem("Aucun salarié de votre entreprise sous ce numéro sur ce contrat"),
        409: _problem("Une demande de carte est déjà en cours pour ce salarié"),
    },
)
async def tp_card(who: Who, token: Token, enrollment: Enrollment, body: EmployeeTpCard) -> RequestDetail:
    """Sent to the back office at once: the card goes to the employee by post."""
    correspondent(who)
    return await enrollment.order_tp_card(token, body.model_dump(mode="json"))


@router.get(
    "/employer/requests/forms/add-beneficiary",
    response_model=RequestForm,
    summary="Ajouter un bénéficiaire à un salarié : dates d'effet possibles",
    responses=problem_responses(authenticated=True, validated=False),
)
async def employee_beneficiary_form(who: Who, token: Token, enrollment: Enrollment) -> RequestForm:
    correspondent(who)
    return await enrollment.form(token, "add_beneficiary")


@router.post(
    "/employer/requests/add-beneficiary",
    status_code=201,
    response_model=RequestDetail,
    summary="Ajouter un bénéficiaire à un salarié",
    responses={**LISTED, 404: _problem("Aucun salarié de votre entreprise sous ce numéro sur ce contrat")},
)
async def employee_beneficiary(who: Who, token: Token, enrollment: Enrollment, body: EmployeeBeneficiaryAddition) -> RequestDetail:
    """A spouse (NIR required) or child of the employee, the NIR agreeing with the birth date and sex, covered from a
    date within the window; sent to the back office at once."""
    correspondent(who)
    return await enrollment.employee_beneficiary(token, body.model_dump(mode="json"))


# --- the affiliation wizard (« Affiliation par l'employeur »): a draft, its steps saved one by one, then sent ---

STEP_SAVED = {**CHANGED, 422: _problem("Étape invalide : les champs en erreur sont dans `errors` (NIR, IBAN, listes, dates)")}


@router.get(
    "/employer/requests/forms/affiliation",
    response_model=RequestForm,
    summary="Affilier un salarié : dates d'effet, garanties du contrat et listes",
    responses=LISTED,
)
async def affiliation_form(
    who: Who,
    token: Token,
    enrollment: Enrollment,
    contract_number: Annotated[str | None, Query(pattern=CONTRACT_PATTERN, description="The contract whose guarantees are offered")] = None,
) -> RequestForm:
    correspondent(who)
    return await enrollment.form(token, "affiliation", {"contract_number": contract_number} if contract_number else None)


@router.post(
    "/employer/requests/affiliation",
    status_code=201,
    response_model=RequestDetail,
    summary="Affilier un salarié : commencer",
    responses={**LISTED, 404: _problem("Aucun contrat collectif de votre entreprise sous ce numéro")},
)
async def draft_affiliation(who: Who, token: Token, enrollment: Enrollment, body: NewAffiliation) -> RequestDetail:
    """A draft on one of the company's contracts granted to the correspondent; `missing_steps` lists what to fill."""
    correspondent(who)
    return await enrollment.draft_affiliation(token, body.model_dump(mode="json"))


@router.put(
    "/employer/requests/{request_id}/steps/family", response_model=RequestDetail, summary="Affiliation : famille", responses=STEP_SAVED
)
async def family_step(who: Who, token: Token, enrollment: Enrollment, request_id: RequestId, body: FamilyStep) -> RequestDetail:
    """The primary insured (civility, names, social scheme, birth date, NIR agreeing with them) and the beneficiaries."""
    correspondent(who)
    return await enrollment.save_step(token, str(request_id), "family", body.model_dump(mode="json"))


@router.put(
    "/employer/requests/{request_id}/steps/address", response_model=RequestDetail, summary="Affiliation : adresse", responses=STEP_SAVED
)
async def address_step(who: Who, token: Token, enrollment: Enrollment, request_id: RequestId, body: AddressStep) -> RequestDetail:
    correspondent(who)
    return await enrollment.save_step(token, str(request_id), "address", body.model_dump(mode="json"))


@router.put(
    "/employer/requests/{request_id}/steps/contact", response_model=RequestDetail, summary="Affiliation : coordonnées", responses=STEP_SAVED
)
async def contact_step(who: Who, token: Token, enrollment: Enrollment, request_id: RequestId, body: ContactStep) -> RequestDetail:
    correspondent(who)
    return await enrollment.save_step(token, str(request_id), "contact", body.model_dump(mode="json"))


@router.put(
    "/employer/requests/{request_id}/steps/coverage", response_model=RequestDetail, summary="Affiliation : couverture", responses=STEP_SAVED
)
async def coverage_step(who: Who, token: Token, enrollment: Enrollment, request_id: RequestId, body: CoverageStep) -> RequestDetail:
    """A guarantee of the contract open on the effective date, within the mutuelle's window."""
    correspondent(who)
    return await enrollment.save_step(token, str(request_id), "coverage", body.model_dump(mode="json"))


@router.put("/employer/requests/{request_id}/steps/bank", response_model=RequestDetail, summary="Affiliation : RIB", responses=STEP_SAVED)
async def bank_step(who: Who, token: Token, enrollment: Enrollment, request_id: RequestId, body: BankStep) -> RequestDetail:
    """The IBAN (checked), BIC and holder, the frequency and the debit day of the contributions."""
    correspondent(who)
    return await enrollment.save_step(token, str(request_id), "bank", body.model_dump(mode="json"))


@router.get("/employer/requests/{request_id}", response_model=RequestDetail, summary="Une demande et son historique", responses=FOUND)
async def request(who: Who, token: Token, enrollment: Enrollment, request_id: RequestId) -> RequestDetail:
    correspondent(who)
    return await enrollment.my_request(token, str(request_id))


@router.post("/employer/requests/{request_id}/submit", response_model=RequestDetail, summary="Envoyer la demande", responses=CHANGED)
async def submit(who: Who, token: Token, enrollment: Enrollment, request_id: RequestId) -> RequestDetail:
    """Checked again, then sent to the back office; its status follows in the history."""
    correspondent(who)
    return await enrollment.transition(token, str(request_id), "submit")


@router.post("/employer/requests/{request_id}/cancel", response_model=RequestDetail, summary="Abandonner le brouillon", responses=CHANGED)
async def cancel(who: Who, token: Token, enrollment: Enrollment, request_id: RequestId) -> RequestDetail:
    correspondent(who)
    return await enrollment.transition(token, str(request_id), "cancel")


# --- online enrollment (« Affiliation en ligne »): the correspondent invites and follows ---------------------

INVITATION_FOUND = {**LISTED, 404: _problem("Aucune invitation de votre entreprise sous cet identifiant")}
InvitationId = Annotated[uuid.UUID, Path(description="The invitation's id")]
CSV_BODY = {"required": True, "content": {"text/csv": {"schema": {"type": "string", "format": "binary"}}}}


@router.post(
    "/employer/invitations",
    status_code=201,
    response_model=InvitationList,
    summary="Inscription de salariés : ajouter des salariés",
    responses={**LISTED, 404: _problem("Aucun contrat collectif de votre entreprise sous ce numéro")},
)
async def invite(who: Who, token: Token, enrollment: Enrollment, body: InvitationBatch) -> InvitationList:
    """Employees typed one by one (civility, last name, first name, email) on a contract granted to you: each
    receives an email with a link valid one month to fill their affiliation. All or none."""
    correspondent(who)
    return await enrollment.invite(token, body.model_dump(mode="json"))


@router.post(
    "/employer/invitations/import",
    status_code=201,
    response_model=InvitationList,
    summary="Inscription de salariés : importer un fichier",
    responses={**LISTED, 404: _problem("Aucun contrat collectif de votre entreprise sous ce numéro")},
    openapi_extra={"requestBody": CSV_BODY},
)
async def import_invitations(
    request: Request, who: Who, token: Token, enrollment: Enrollment, query: Annotated[InvitationImportQuery, Query()]
) -> InvitationList:
    """A .csv file of four columns (civility M or MME, last name, first name, email), without a header line: every
    wrong line is said in `errors` (field `file.<line>`), and nothing is imported unless every line is right."""
    correspondent(who)
    return await enrollment.import_invitations(token, query.contract_number, await request.body())


@router.get("/employer/invitations", response_model=InvitationList, summary="Suivi de la saisie par les salariés", responses=LISTED)
async def invitations(who: Who, token: Token, enrollment: Enrollment) -> InvitationList:
    """The tracking table: each invitation's status (pending, in progress, completed, refused, expired, in error,
    closed) and whether its mail was delivered."""
    correspondent(who)
    return await enrollment.invitations(token)


@router.get(
    "/employer/invitations/export",
    summary="Suivi de la saisie : exporter",
    response_class=StreamingResponse,
    responses={**LISTED, 200: {"description": "Le tableau de suivi (CSV)", "content": {"text/csv": {}}}},
)
async def export_invitations(who: Who, token: Token, enrollment: Enrollment) -> StreamingResponse:
    correspondent(who)
    return await enrollment.export_invitations(token)


@router.post("/employer/invitations/remind-all", response_model=InvitationList, summary="Relancer tous les salariés", responses=LISTED)
async def remind_all(who: Who, token: Token, enrollment: Enrollment) -> InvitationList:
    """A new link to every employee who has not finished (the previous links no longer work); the reminded ones."""
    correspondent(who)
    return await enrollment.remind_all(token)


@router.get(
    "/employer/invitations/{invitation_id}",
    response_model=InvitationDetail,
    summary="Consulter une inscription",
    responses=INVITATION_FOUND,
)
async def invitation(who: Who, token: Token, enrollment: Enrollment, invitation_id: InvitationId) -> InvitationDetail:
    correspondent(who)
    return await enrollment.invitation(token, str(invitation_id))


@router.post(
    "/employer/invitations/{invitation_id}/remind",
    response_model=InvitationDetail,
    summary="Relancer le salarié",
    responses={**INVITATION_FOUND, 409: _problem("Affiliation terminée ou dossier clôturé")},
)
async def remind(who: Who, token: Token, enrollment: Enrollment, invitation_id: InvitationId) -> InvitationDetail:
    """A new link, valid one month from now (the previous one no longer works)."""
    correspondent(who)
    return await enrollment.invitation_action(token, str(invitation_id), "remind")


@router.post(
    "/employer/invitations/{invitation_id}/close",
    response_model=InvitationDetail,
    summary="Clôturer le dossier",
    responses={**INVITATION_FOUND, 409: _problem("Affiliation terminée ou dossier clôturé")},
)
async def close(who: Who, token: Token, enrollment: Enrollment, invitation_id: InvitationId) -> InvitationDetail:
    """The link no longer works; the affiliation begun is abandoned."""
    correspondent(who)
    return await enrollment.invitation_action(token, str(invitation_id), "close")


@router.delete(
    "/employer/invitations/{invitation_id}",
    status_code=204,
    response_class=Response,
    summary="Retirer le suivi",
    responses=INVITATION_FOUND,
)
async def remove(who: Who, token: Token, enrollment: Enrollment, invitation_id: InvitationId) -> Response:
    correspondent(who)
    await enrollment.remove_invitation(token, str(invitation_id))
    return Response(status_code=204)


# --- online enrollment: the employee, through the link of the mail (no account) ----------------------------------

LinkToken = Annotated[
    str, Header(alias="X-Invitation-Token", pattern=r"^[A-Za-z0-9_-]{20,100}$", description="The token of the link received by email")
]
LINK = {**problem_responses(authenticated=False, validated=True), 404: _problem("Lien d'affiliation inconnu, expiré ou déjà utilisé")}


@router.get(
    "/online-enrollment",
    response_model=InvitationView,
    summary="Affiliation en ligne : ouvrir le lien",
    tags=["online enrollment"],
    responses=LINK,
)
async def open_invitation(enrollment: Enrollment, link: LinkToken) -> InvitationView:
    """Who invites the employee, the wizard's form (dates, lists, the contract's guarantees) and their affiliation."""
    return await enrollment.open_invitation(link)


def _employee_step(step: str, model):
    async def save(enrollment: Enrollment, link: LinkToken, body: model) -> RequestDetail:  # type: ignore[valid-type]
        return await enrollment.invitation_step(link, step, body.model_dump(mode="json"))

    save.__name__ = f"online_enrollment_{step}"
    return save


for _step, _model, _label in (
    ("family", FamilyStep, "famille"),
    ("address", AddressStep, "adresse"),
    ("contact", ContactStep, "coordonnées"),
    ("coverage", CoverageStep, "couverture"),
    ("bank", BankStep, "RIB"),
):
    router.put(
        f"/online-enrollment/steps/{_step}",
        response_model=RequestDetail,
        summary=f"Affiliation en ligne : {_label}",
        tags=["online enrollment"],
        responses={**LINK, 409: _problem("Lien pas encore ouvert")},
    )(_employee_step(_step, _model))


@router.post(
    "/online-enrollment/submit",
    response_model=RequestDetail,
    summary="Affiliation en ligne : envoyer",
    tags=["online enrollment"],
    responses={**LINK, 409: _problem("Lien pas encore ouvert")},
)
async def submit_invitation(enrollment: Enrollment, link: LinkToken) -> RequestDetail:
    """Checked again, then sent to the back office: the link no longer works afterwards."""
    return await enrollment.invitation_submit(link)
