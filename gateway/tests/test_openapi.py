"""The gateway's OpenAPI (its /docs) lists every route a portal calls, with its request and response
bodies: each entry of identity's public API, the broker dashboard, and nothing else."""

from __future__ import annotations

import re
import typing

import pytest

from extranet_plumbing.auth import TokenVerifier
from gateway.bootstrap import bootstrap
from gateway.settings import GatewaySettings
from identity.api import PUBLIC_ROUTES, Route

# Portal routes the gateway serves itself (composed from the services' read models).
OWN_ROUTES = {
    ("GET", "/api/broker/dashboard"): "BrokerDashboard",
    ("GET", "/api/broker/companies"): "CompanyList",
    ("GET", "/api/broker/companies/{company_code}"): "CompanyDetail",
    ("GET", "/api/broker/contracts/{contract_number}/guarantees"): "GuaranteeList",
    ("GET", "/api/broker/contracts/{contract_number}/insured"): "InsuredList",
    ("GET", "/api/broker/insured"): "InsuredList",
    **{
        route: model
        for tab in ("productions", "radiations")
        for route, model in {
            ("GET", f"/api/broker/{tab}"): "CompanyList",
            ("GET", f"/api/broker/{tab}/{{company_code}}"): "CompanyDetail",
            ("GET", f"/api/broker/{tab}/contracts/{{contract_number}}/insured"): "InsuredList",
        }.items()
    },
}
# The broker's profile: (method, path) -> (success status, model).
PROFILE_ROUTES = {
    ("GET", "/api/broker/profile"): ("200", "BrokerProfile"),
    ("POST", "/api/broker/address-change"): ("202", "AddressChangeAccepted"),
    ("POST", "/api/broker/contact-change"): ("201", "RequestDetail"),
}
# Exports of the broker's lists: a file, Excel or PDF.
EXPORT_ROUTES = {
    ("GET", f"/api/broker/exports/{path}")
    for path in (
        "companies",
        "productions",
        "radiations",
        "insured",
        "contracts/{contract_number}/insured",
        "productions/contracts/{contract_number}/insured",
        "radiations/contracts/{contract_number}/insured",
        "contracts/{contract_number}/guarantees",
    )
}
# The member's reimbursements (claims): (method, path) -> model.
MEMBER_ROUTES = {
    ("GET", "/api/member/reimbursements"): "ReimbursementList",
    ("GET", "/api/member/reimbursements/latest"): "LatestReimbursements",
    ("GET", "/api/member/reimbursements/third-party"): "ReimbursementList",
    ("GET", "/api/member/reimbursements/{reference}"): "ReimbursementDetail",
}
MEMBER_ROUTES |= {
    ("GET", "/api/member/contract"): "MemberContract",
    ("GET", "/api/member/beneficiaries"): "Beneficiaries",
    ("GET", "/api/member/preferences"): "CommunicationPreferences",
    ("GET", "/api/member/statements"): "OnlineStatements",
    ("GET", "/api/member/news"): "News",
    ("GET", "/api/member/faq"): "Faq",
    ("GET", "/api/member/contact"): "Contact",
    ("GET", "/api/member/legal-notices"): "LegalNotices",
}
MEMBER_DOWNLOADS = {
    ("GET", "/api/member/statements/archive"): "application/zip",
    ("GET", "/api/member/statements/{reference}"): "application/pdf",
    ("GET", "/api/member/contract/benefits-table"): "application/pdf",
}
# The requests of every portal (enrollment, issue 11): (method, path) -> (success status, response model).
STEPS = ("family", "address", "contact", "coverage", "bank")
REQUEST_ROUTES = {
    ("GET", "/api/broker/requests"): ("200", "RequestList"),
    ("GET", "/api/broker/requests/{request_id}"): ("200", "RequestDetail"),
    ("GET", "/api/member/requests"): ("200", "RequestList"),
    ("GET", "/api/member/requests/{request_id}"): ("200", "RequestDetail"),
    ("GET", "/api/employer/requests"): ("200", "RequestList"),
    ("GET", "/api/employer/requests/forms/employee-termination"): ("200", "RequestForm"),
    ("POST", "/api/employer/requests/employee-termination"): ("201", "RequestDetail"),
    ("GET", "/api/employer/requests/{request_id}"): ("200", "RequestDetail"),
    ("POST", "/api/employer/requests/{request_id}/submit"): ("200", "RequestDetail"),
    ("POST", "/api/employer/requests/{request_id}/cancel"): ("200", "RequestDetail"),
    ("GET", "/api/employer/requests/forms/affiliation"): ("200", "RequestForm"),
    ("POST", "/api/employer/requests/affiliation"): ("201", "RequestDetail"),
    **{("PUT", f"/api/employer/requests/{{request_id}}/steps/{step}"): ("200", "RequestDetail") for step in STEPS},
    ("POST", "/api/employer/requests/tp-card"): ("201", "RequestDetail"),
    ("POST", "/api/employer/requests/add-beneficiary"): ("201", "RequestDetail"),
    ("GET", "/api/employer/requests/forms/add-beneficiary"): ("200", "RequestForm"),
    ("POST", "/api/member/requests/tp-card"): ("201", "RequestDetail"),
    ("POST", "/api/member/requests/paperless"): ("201", "RequestDetail"),
    ("POST", "/api/member/requests/message"): ("201", "RequestDetail"),
    ("POST", "/api/member/requests/add-beneficiary"): ("201", "RequestDetail"),
    ("GET", "/api/member/requests/forms/message"): ("200", "RequestForm"),
    ("GET", "/api/member/requests/forms/add-beneficiary"): ("200", "RequestForm"),
    ("POST", "/api/member/requests/benefits-iban"): ("201", "RequestDetail"),
    ("GET", "/api/member/requests/forms/benefits-iban"): ("200", "RequestForm"),
    ("POST", "/api/member/requests/contribution-iban"): ("201", "RequestDetail"),
    ("GET", "/api/member/requests/forms/contribution-iban"): ("200", "RequestForm"),
    ("POST", "/api/member/requests/debit-day"): ("201", "RequestDetail"),
    ("GET", "/api/member/requests/forms/debit-day"): ("200", "RequestForm"),
    ("POST", "/api/member/requests/remove-beneficiary"): ("201", "RequestDetail"),
    ("GET", "/api/member/requests/forms/remove-beneficiary"): ("200", "RequestForm"),
    ("POST", "/api/member/requests/change-guarantee"): ("201", "RequestDetail"),
    ("GET", "/api/member/requests/forms/change-guarantee"): ("200", "RequestForm"),
    ("POST", "/api/member/requests/contribution-payment"): ("201", "RequestDetail"),
    ("GET", "/api/member/requests/contribution-payment"): ("200", "ContributionDue"),
    ("POST", "/api/member/requests/address"): ("201", "RequestDetail"),
    ("GET", "/api/member/requests/forms/address"): ("200", "RequestForm"),
    ("POST", "/api/member/requests/contact-details"): ("201", "RequestDetail"),
    ("GET", "/api/member/requests/forms/contact-details"): ("200", "RequestForm"),
    ("POST", "/api/member/requests/communication-choices"): ("201", "RequestDetail"),
    ("GET", "/api/member/requests/forms/communication-choices"): ("200", "RequestForm"),
    ("POST", "/api/member/requests/sponsorship"): ("201", "RequestDetail"),
    ("GET", "/api/backoffice/requests"): ("200", "BackofficeList"),
    ("GET", "/api/backoffice/requests/{request_id}"): ("200", "RequestDetail"),
    ("POST", "/api/backoffice/requests/{request_id}/decision"): ("200", "RequestDetail"),
}
# The online enrollment (enrollment, issue 11): the correspondent's routes (401/403) and the employee's, by the link's token.
INVITATION_ROUTES = {
    ("POST", "/api/employer/invitations"): ("201", "InvitationList"),
    ("POST", "/api/employer/invitations/import"): ("201", "InvitationList"),
    ("GET", "/api/employer/invitations"): ("200", "InvitationList"),
    ("POST", "/api/employer/invitations/remind-all"): ("200", "InvitationList"),
    ("GET", "/api/employer/invitations/{invitation_id}"): ("200", "InvitationDetail"),
    ("POST", "/api/employer/invitations/{invitation_id}/remind"): ("200", "InvitationDetail"),
    ("POST", "/api/employer/invitations/{invitation_id}/close"): ("200", "InvitationDetail"),
}
INVITATION_OTHERS = {("GET", "/api/employer/invitations/export"), ("DELETE", "/api/employer/invitations/{invitation_id}")}
LINK_ROUTES = {
    ("GET", "/api/online-enrollment"): ("200", "InvitationView"),
    ("POST", "/api/online-enrollment/submit"): ("200", "RequestDetail"),
    **{("PUT", f"/api/online-enrollment/steps/{step}"): ("200", "RequestDetail") for step in STEPS},
}
# The employer portal's reads (portfolio, issue 12): (method, path) -> model; and the list's download.
EMPLOYER_ROUTES = {
    ("GET", "/api/employer/contracts"): "EmployerContracts",
    ("GET", "/api/employer/contracts/{contract_number}/groups/{insured_group}/sheet"): "CompanySheet",
    ("GET", "/api/employer/contracts/{contract_number}/groups/{insured_group}/contributions"): "Contributions",
    ("POST", "/api/employer/employees/search"): "EmployeeSearchResult",
    ("GET", "/api/employer/employees"): "EmployeeList",
    ("GET", "/api/employer/employees/{membership_id}"): "EmployeeDetail",
}
EMPLOYER_DOWNLOADS = {("GET", "/api/employer/exports/employees")}
# A request's files (issue 11): (method, path) -> the types of its success answer.
FILE_TYPES = {"application/pdf", "image/png", "image/jpeg"}
ATTACHMENT_ROUTES = {
    ("POST", "/api/employer/requests/{request_id}/attachments"): {"application/json"},
    ("DELETE", "/api/employer/requests/{request_id}/attachments/{file_id}"): {"application/json"},
    ("GET", "/api/employer/requests/{request_id}/attachments/{file_id}"): FILE_TYPES,
    ("GET", "/api/member/requests/{request_id}/attachments/{file_id}"): FILE_TYPES,
    ("GET", "/api/backoffice/requests/{request_id}/attachments/{file_id}"): FILE_TYPES,
    ("GET", "/api/employer/requests/{request_id}/termination-pack"): {"application/pdf"},
    ("GET", "/api/backoffice/requests/{request_id}/termination-pack"): {"application/pdf"},
    # The employer's documents (issue 12): the list and each file.
    ("GET", "/api/employer/documents"): {"application/json"},
    ("GET", "/api/employer/documents/{document_id}"): FILE_TYPES,
    # A product's brochure (« Fiche » of the company sheet, issue 12).
    ("GET", "/api/employer/contracts/{contract_number}/products/{guarantee_code}/brochure"): {"application/pdf"},
}
# A member's file for « Écrivez-nous », sent before the message that names it (issue 11).
UPLOAD_ROUTES = {("POST", "/api/member/uploads"), ("POST", "/api/online-enrollment/attachments")}
LINK_FILE_ROUTES = {
    ("DELETE", "/api/online-enrollment/attachments/{file_id}"),
    ("GET", "/api/online-enrollment/attachments"),
    ("GET", "/api/online-enrollment/attachments/{file_id}"),
}
OPERATIONS = {"/health/live", "/health/ready", "/metrics"}


@pytest.fixture(scope="module")
def openapi() -> dict:
    settings = GatewaySettings(gateway_credential="unused: nothing is called here")
    return bootstrap(settings, verifier=TokenVerifier("unused: nothing is verified here")).app.openapi()


def ref(name: str) -> str:
    return f"#/components/schemas/{name}"


def operation(openapi: dict, method: str, path: str) -> dict:
    assert path in openapi["paths"], f"{method} {path} is not in the gateway's OpenAPI"
    assert method.lower() in openapi["paths"][path], f"{method} {path} is not in the gateway's OpenAPI"
    return openapi["paths"][path][method.lower()]


def response_schema(model) -> dict:
    if typing.get_origin(model) is list:
        return {"type": "array", "items": {"$ref": ref(typing.get_args(model)[0].__name__)}}
    return {"$ref": ref(model.__name__)}


@pytest.mark.parametrize("route", PUBLIC_ROUTES, ids=lambda r: f"{r.method} {r.path}")
def test_every_public_route_of_identity_is_declared_with_its_bodies(openapi, route: Route):
    op = operation(openapi, route.method, "/api" + route.path)
    if route.request is None:
        assert "requestBody" not in op
    else:
        body = op["requestBody"]
        assert body["required"] is True
        assert body["content"]["application/json"]["schema"] == {"$ref": ref(route.request.__name__)}
    answers = {status: r for status, r in op["responses"].items() if status.startswith("2")}
    assert list(answers) == [str(route.status)]
    if route.response is None:
        assert "content" not in answers[str(route.status)]
    else:
        schema = answers[str(route.status)]["content"]["application/json"]["schema"]
        assert {k: v for k, v in schema.items() if k != "title"} == response_schema(route.response)
    parameters = {p["name"]: p for p in op.get("parameters", [])}
    for name in re.findall(r"\{(\w+)\}", route.path):
        assert parameters[name]["in"] == "path" and parameters[name]["required"] is True
        assert "pattern" in parameters[name]["schema"], f"path parameter {name} must be validated by a pattern"
    assert ("tenant" in parameters) is route.tenant
    if route.summary:
        assert op["summary"] == route.summary
    if route.authenticated:
        assert "401" in op["responses"]


def test_the_models_in_the_document_are_the_services_declared_models(openapi):
    schemas = openapi["components"]["schemas"]
    for route in PUBLIC_ROUTES:
        for model in (route.request, route.response):
            if model is None:
                continue
            model = typing.get_args(model)[0] if typing.get_origin(model) is list else model
            assert set(schemas[model.__name__]["properties"]) == set(model.model_json_schema()["properties"]), model.__name__


def test_the_broker_dashboard_is_declared(openapi):
    for (method, path), model in OWN_ROUTES.items():
        op = operation(openapi, method, path)
        assert op["responses"]["200"]["content"]["application/json"]["schema"] == {"$ref": ref(model)}
        assert "401" in op["responses"] and "403" in op["responses"]


def test_nothing_but_declared_portal_routes(openapi):
    declared = {(r.method, "/api" + r.path) for r in PUBLIC_ROUTES} | set(OWN_ROUTES) | set(PROFILE_ROUTES) | EXPORT_ROUTES
    declared |= set(MEMBER_ROUTES) | set(MEMBER_DOWNLOADS) | set(REQUEST_ROUTES) | set(EMPLOYER_ROUTES) | EMPLOYER_DOWNLOADS
    declared |= set(INVITATION_ROUTES) | INVITATION_OTHERS | set(LINK_ROUTES) | set(ATTACHMENT_ROUTES) | UPLOAD_ROUTES | LINK_FILE_ROUTES
    documented = {(method.upper(), path) for path, ops in openapi["paths"].items() for method in ops if path not in OPERATIONS}
    assert documented == declared


def test_a_requests_files_are_declared_with_their_types(openapi):
    for (method, path), types in ATTACHMENT_ROUTES.items():
        op = operation(openapi, method, path)
        success = next(code for code in op["responses"] if code.startswith("2"))
        assert set(op["responses"][success]["content"]) == types and "401" in op["responses"] and "404" in op["responses"]
    upload = operation(openapi, "POST", "/api/employer/requests/{request_id}/attachments")
    assert upload["requestBody"]["content"]["multipart/form-data"]["schema"]["required"] == ["file"]
    assert "413" in upload["responses"]
    for method, path in UPLOAD_ROUTES:
        op = operation(openapi, method, path)
        assert op["requestBody"]["content"]["multipart/form-data"]["schema"]["required"] == ["file"] and "413" in op["responses"]


def test_the_requests_routes_are_declared_with_their_models(openapi):
    for (method, path), (status, model) in REQUEST_ROUTES.items():
        op = operation(openapi, method, path)
        assert [code for code in op["responses"] if code.startswith("2")] == [status]
        assert op["responses"][status]["content"]["application/json"]["schema"] == {"$ref": ref(model)}
        assert "401" in op["responses"] and "403" in op["responses"] and op["summary"]


def test_the_online_enrollment_routes_are_declared_with_their_models(openapi):
    for routes, authenticated in ((INVITATION_ROUTES, True), (LINK_ROUTES, False)):
        for (method, path), (status, model) in routes.items():
            op = operation(openapi, method, path)
            assert [code for code in op["responses"] if code.startswith("2")] == [status]
            assert op["responses"][status]["content"]["application/json"]["schema"] == {"$ref": ref(model)}
            assert ("401" in op["responses"]) is authenticated and op["summary"]
            if not authenticated:  # the link's token, in a header (never in a path or a query, which logs keep)
                assert [(p["name"], p["in"]) for p in op["parameters"]] == [("X-Invitation-Token", "header")]
    upload = operation(openapi, "POST", "/api/employer/invitations/import")
    assert set(upload["requestBody"]["content"]) == {"text/csv"}
    assert set(operation(openapi, "GET", "/api/employer/invitations/export")["responses"]["200"]["content"]) == {"text/csv"}


def test_the_brokers_profile_and_address_change_are_declared(openapi):
    for (method, path), (status, model) in PROFILE_ROUTES.items():
        op = operation(openapi, method, path)
        assert [code for code in op["responses"] if code.startswith("2")] == [status]
        assert op["responses"][status]["content"]["application/json"]["schema"] == {"$ref": ref(model)}
        assert "401" in op["responses"] and "403" in op["responses"]
    upload = operation(openapi, "POST", "/api/broker/address-change")
    form = upload["requestBody"]["content"]["multipart/form-data"]["schema"]
    assert upload["requestBody"]["required"] is True and "413" in upload["responses"]
    assert set(form["required"]) == {"line1", "postal_code", "city", "effective_date", "kbis"}
    assert set(form["properties"]) == {"line1", "line2", "locality", "postal_code", "city", "effective_date", "kbis"}
    assert form["properties"]["kbis"]["format"] == "binary"


def test_the_exports_are_declared_as_files(openapi):
    for method, path in EXPORT_ROUTES:
        op = operation(openapi, method, path)
        assert set(op["responses"]["200"]["content"]) == {
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "application/pdf",
        }
        assert {p["name"] for p in op["parameters"]} >= {"format", "as_of", "sort", "order"}
        assert "401" in op["responses"] and "403" in op["responses"] and "404" in op["responses"]


def test_the_members_reimbursements_are_declared(openapi):
    for (method, path), model in MEMBER_ROUTES.items():
        op = operation(openapi, method, path)
        assert op["responses"]["200"]["content"]["application/json"]["schema"] == {"$ref": ref(model)}
        assert "401" in op["responses"] and "403" in op["responses"]
        assert "member_number" not in {p["name"] for p in op.get("parameters", [])}  # the household is the token's
    for path in ("/api/member/reimbursements", "/api/member/reimbursements/third-party"):
        assert {p["name"] for p in operation(openapi, "GET", path)["parameters"]} == {"beneficiary", "from", "to", "page", "page_size"}
    detail = operation(openapi, "GET", "/api/member/reimbursements/{reference}")
    (reference,) = detail["parameters"]
    assert reference["in"] == "path" and reference["schema"]["pattern"] == r"^\d{6,12}$" and "404" in detail["responses"]


def test_the_members_statements_are_declared_as_files(openapi):
    for (method, path), media_type in MEMBER_DOWNLOADS.items():
        op = operation(openapi, method, path)
        assert set(op["responses"]["200"]["content"]) == {media_type}
        assert "401" in op["responses"] and "403" in op["responses"]
        assert "member_number" not in {p["name"] for p in op.get("parameters", [])}  # the household is the token's
    archive = operation(openapi, "GET", "/api/member/statements/archive")
    assert {p["name"] for p in archive["parameters"]} == {"beneficiary", "from", "to"}


def test_the_employer_reads_are_declared_with_their_models(openapi):
    for (method, path), model in EMPLOYER_ROUTES.items():
        op = operation(openapi, method, path)
        assert op["responses"]["200"]["content"]["application/json"]["schema"] == {"$ref": ref(model)}
        assert {"401", "403", "422"} <= set(op["responses"]) and op["summary"]
    for method, path in EMPLOYER_DOWNLOADS:
        op = operation(openapi, method, path)
        assert set(op["responses"]["200"]["content"]) == {"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "text/csv"}
