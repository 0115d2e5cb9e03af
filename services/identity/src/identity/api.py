"""The identity service's public API, declared once: the request and response models of every route a
portal calls, and the table of those routes. Identity's routers implement them; the gateway declares
one route per entry (with these models, so that its /docs shows them) and checks what it receives.
No route reaches identity that is not in `PUBLIC_ROUTES`."""

from dataclasses import dataclass
from datetime import date, datetime
from typing import Annotated, Literal

from email_validator import EmailNotValidError, validate_email
from pydantic import AfterValidator, BaseModel, Field
from pydantic_core import PydanticCustomError

from extranet_contracts.phones import UnusablePhoneNumber, phone_e164


def _email(value: str) -> str:
    """An address email-validator accepts (syntax only); the value is kept as typed, the use cases canonicalise it."""
    try:
        validate_email(value.strip(), check_deliverability=False)
    except EmailNotValidError:
        raise PydanticCustomError("email", "Adresse e-mail invalide.") from None
    return value


def _phone(value: str | None) -> str | None:
    """A number the platform's phone rule reads (French when written without a country code); blank means none."""
    if value is None or not value.strip():
        return value
    try:
        phone_e164(value, "FR")
    except UnusablePhoneNumber:
        raise PydanticCustomError("phone", "Numéro de téléphone invalide.") from None
    return value


def _contact(value: str) -> str:
    return _email(value) if "@" in value else _phone(value)


Email = Annotated[str, Field(min_length=3, max_length=254), AfterValidator(_email)]
Phone = Annotated[str | None, Field(max_length=30), AfterValidator(_phone)]

PORTAL_KINDS = {"member": "member", "broker": "broker", "employer": "correspondent", "backoffice": "operator"}


class Login(BaseModel):
    portal: Literal["member", "broker", "employer", "backoffice"] = "broker"
    identifier: str = Field(min_length=1, max_length=80)
    password: str = Field(min_length=1, max_length=256)
    email: Annotated[str, AfterValidator(_email)] | None = Field(
        default=None, max_length=254, description="Required where the tenant logs in with identifier + email"
    )
    captcha: str | None = Field(
        default=None, max_length=4000, description="Asked (a problem on the field `captcha`) after repeated failures from the address"
    )


class Refresh(BaseModel):
    refresh_token: str = Field(min_length=10, max_length=200)


class TokenAnswer(BaseModel):
    access_token: str
    refresh_token: str
    token_type: str = "Bearer"
    expires_in: int
    terms_pending: bool


class TermsAcceptance(BaseModel):
    version: str
    health_data_consent: bool = False


class ResetRequest(BaseModel):
    email: Email
    captcha: str | None = Field(default=None, max_length=4000)


class NewPassword(BaseModel):
    token: str = Field(min_length=10, max_length=200)
    password: str = Field(min_length=1, max_length=256)
    password_confirmation: str = Field(min_length=1, max_length=256)


class ActivationStart(BaseModel):
    member_number: str | None = Field(default=None, max_length=20, description="Absent: activation without identifier")
    contact: Annotated[str, AfterValidator(_contact)] = Field(min_length=3, max_length=254, description="Email or mobile phone on file")
    birth_date: date | None = Field(default=None, description="Required without identifier")
    captcha: str | None = Field(default=None, max_length=4000)


class CodeCheck(BaseModel):
    code: str = Field(min_length=4, max_length=10)


class ActivationCompletion(BaseModel):
    ticket: str = Field(min_length=10, max_length=200)
    email: Email
    email_confirmation: Email
    phone: Phone = None
    password: str = Field(min_length=1, max_length=256)
    password_confirmation: str = Field(min_length=1, max_length=256)
    mail_preference: Literal["post", "email", "sms"]


class ActivationLinkRequest(BaseModel):
    member_number: str = Field(min_length=1, max_length=20)
    last_name: str = Field(min_length=1, max_length=80)
    birth_date: date
    email: Email
    captcha: str | None = Field(default=None, max_length=4000)


class LegacyMatchRequest(BaseModel):
    identifier: str = Field(min_length=1, max_length=20)
    contract_number: str = Field(min_length=1, max_length=30)
    last_name: str = Field(min_length=1, max_length=80)
    birth_date: date
    postal_code: str = Field(pattern=r"^\d{5}$")
    email: Email
    captcha: str | None = Field(default=None, max_length=4000)


class PasswordChange(BaseModel):
    old_password: str = Field(min_length=1, max_length=256)
    new_password: str = Field(min_length=1, max_length=256)
    new_password_confirmation: str = Field(min_length=1, max_length=256)


class ContactChange(BaseModel):
    email: Email
    email_confirmation: Email
    phone: Phone = None
    current_password: str | None = Field(
        default=None, max_length=256, description="Required to change the email, which a link sent to the new address then confirms"
    )


class EmailChangeConfirmation(BaseModel):
    token: str = Field(min_length=10, max_length=200, description="The token of the link sent to the new address")


class NotificationEmail(BaseModel):
    email: Email
    email_confirmation: Email


class Grant(BaseModel):
    """What a secondary correspondent sees of its company (guide 003: « rattaché en fonction du contrat », filtered by
    the population it manages)."""

    contracts: list[str] = Field(min_length=1, max_length=50, description="Collective contracts the correspondent may see")
    contract_groups: dict[str, list[Literal["A", "P", "E", "M"]]] = Field(
        default_factory=dict,
        max_length=50,
        description="Per contract granted, the insured groups (A Actif, P Portabilité, E Evin, M Maintien) the correspondent manages; "
        "a contract not named: all its groups",
    )
    categories: list[Annotated[str, Field(min_length=1, max_length=40)]] = Field(
        default_factory=list,
        max_length=20,
        description="The population categories (the contracts' categories, e.g. CADRES) it manages; none, or all of them: no limit",
    )


class NewCorrespondent(Grant):
    identifier: str = Field(pattern=r"^[A-Za-z0-9._-]{3,40}$")
    last_name: str = Field(min_length=1, max_length=80)
    first_name: str = Field(min_length=1, max_length=80)
    email: Email


class GrantChange(Grant):
    identifier: str = Field(pattern=r"^[A-Za-z0-9._-]{3,40}$", description="The secondary correspondent's identifier")


class Message(BaseModel):
    """A sentence for the user, in French."""

    message: str


class PasswordSet(Message):
    identifier: str
    kind: str


class IdentifierHelp(BaseModel):
    portal: str
    text: str


class Terms(BaseModel):
    version: str
    text: str
    health_data_consent_required: bool
    accepted: bool


class ActivationStarted(Message):
    activation_id: str


class CodeVerified(BaseModel):
    ticket: str
    member_number: str


class ActivationCompleted(Message):
    identifier: str


class PendingContact(BaseModel):
    email: str | None
    phone: str | None
    requested_at: datetime


class Profile(BaseModel):
    identifier: str
    kind: str
    tenant: str
    email: str | None
    phone: str | None
    display_name: str | None
    mail_preference: str | None
    notification_email: str | None
    last_login_at: datetime | None = Field(description="The login before this session's")
    activated_at: datetime | None
    pending_contact: PendingContact | None = Field(
        default=None, description="A contact change sent to the management system, shown until it carries it (brokers, members)"
    )
    activation_mail_status: Literal["requested", "delivered", "failed"] | None = Field(
        default=None, description="What became of the account's activation or invitation email"
    )


class CorrespondentCreated(BaseModel):
    identifier: str


class Correspondent(BaseModel):
    identifier: str
    display_name: str | None
    email: str | None
    last_login_at: datetime | None
    activated: bool
    contracts: list[str] | str | None
    contract_groups: dict[str, list[str]] = Field(default_factory=dict, description="Contracts limited to some insured groups")
    categories: list[str] = Field(default_factory=list, description="The population categories it is limited to (none: all)")
    invitation_status: Literal["requested", "delivered", "failed"] | None = Field(
        default=None, description="What became of the invitation email"
    )


@dataclass(frozen=True)
class Route:
    """One public route of identity: method, path under `/public`, bodies, and who may call it
    (`authenticated`: a bearer token; `tenant`: the portal's tenant, set by the gateway)."""

    method: str
    path: str
    request: type[BaseModel] | None
    response: type[BaseModel] | type[list] | None
    status: int = 200
    authenticated: bool = False
    tenant: bool = False
    client_ip: bool = False
    summary: str = ""


PUBLIC_ROUTES: tuple[Route, ...] = (
    Route("POST", "/auth/login", Login, TokenAnswer, tenant=True, client_ip=True, summary="Connexion"),
    Route("POST", "/auth/refresh", Refresh, TokenAnswer, summary="Renouveler la session"),
    Route("POST", "/auth/logout", None, None, 204, authenticated=True, summary="Déconnexion"),
    Route("GET", "/auth/identifier-help", None, IdentifierHelp, tenant=True, summary="Aide sur l'identifiant"),
    Route("GET", "/auth/terms", None, Terms, authenticated=True, summary="Conditions générales d'utilisation"),
    Route("POST", "/auth/terms/accept", TermsAcceptance, TokenAnswer, authenticated=True, summary="Accepter les CGU"),
    Route("POST", "/auth/terms/refuse", None, None, 204, authenticated=True, summary="Refuser les CGU"),
    Route("POST", "/auth/password-reset", ResetRequest, Message, 202, tenant=True, client_ip=True, summary="Mot de passe oublié"),
    Route("POST", "/auth/password", NewPassword, PasswordSet, summary="Définir le mot de passe (lien reçu par e-mail)"),
    Route(
        "POST",
        "/auth/email-change",
        EmailChangeConfirmation,
        Message,
        summary="Confirmer la nouvelle adresse e-mail (lien reçu à cette adresse)",
    ),
    Route(
        "POST",
        "/members/activation",
        ActivationStart,
        ActivationStarted,
        202,
        tenant=True,
        client_ip=True,
        summary="Première connexion : recevoir un code (e-mail ou SMS)",
    ),
    Route(
        "POST",
        "/members/activation/{activation_id}/code",
        None,
        Message,
        202,
        tenant=True,
        client_ip=True,
        summary="Générer un nouveau code",
    ),
    Route("POST", "/members/activation/{activation_id}/verify", CodeCheck, CodeVerified, tenant=True, summary="Vérifier le code reçu"),
    Route(
        "POST",
        "/members/activation/complete",
        ActivationCompletion,
        ActivationCompleted,
        tenant=True,
        summary="Terminer l'activation du compte",
    ),
    Route(
        "POST",
        "/members/activation-link",
        ActivationLinkRequest,
        Message,
        202,
        tenant=True,
        client_ip=True,
        summary="Première connexion : recevoir un lien d'activation",
    ),
    Route(
        "POST",
        "/members/activation-match",
        LegacyMatchRequest,
        Message,
        202,
        tenant=True,
        client_ip=True,
        summary="Première connexion ou mot de passe oublié (identification par le contrat)",
    ),
    Route("GET", "/me", None, Profile, authenticated=True, summary="Mon profil"),
    Route("POST", "/me/password", PasswordChange, None, 204, authenticated=True, summary="Changer mon mot de passe"),
    Route("PUT", "/me/contact", ContactChange, Message, 202, authenticated=True, summary="Modifier mes coordonnées"),
    Route("PUT", "/me/notification-email", NotificationEmail, None, 204, authenticated=True, summary="Modifier l'e-mail de notification"),
    Route("DELETE", "/me", None, None, 204, authenticated=True, summary="Supprimer mon compte"),
    Route(
        "POST",
        "/me/correspondents",
        NewCorrespondent,
        CorrespondentCreated,
        201,
        authenticated=True,
        summary="Créer un correspondant secondaire",
    ),
    Route("GET", "/me/correspondents", None, list[Correspondent], authenticated=True, summary="Mes correspondants secondaires"),
    Route(
        "PUT",
        "/me/correspondents/grant",
        GrantChange,
        Correspondent,
        authenticated=True,
        summary="Modifier les contrats, catégories et groupes d'assurés d'un correspondant secondaire",
    ),
)
