"""Identity serves exactly the public routes it declares in `identity.api` (the gateway declares the
same ones), with the declared status codes."""

from __future__ import annotations

from pydantic import SecretStr

from extranet_plumbing.auth import TokenVerifier
from identity.adapters.captcha import TestCaptchaVerifier
from identity.api import PUBLIC_ROUTES
from identity.bootstrap import bootstrap
from identity.settings import IdentitySettings


def test_identity_serves_every_declared_public_route_and_no_other(jwt_keys, seal_keys):
    settings = IdentitySettings(
        jwt_private_key_file=jwt_keys.private_file,
        notifications_seal_key_file=seal_keys.public_file,
        database_url=SecretStr("postgresql://unused@127.0.0.1:1/x"),
    )
    app = bootstrap(settings, verifier=TokenVerifier(jwt_keys.public_pem), captcha=TestCaptchaVerifier()).app
    served = {
        (method.upper(), path): int(next(code for code in operation["responses"] if code.startswith("2")))
        for path, operations in app.openapi()["paths"].items()
        if path.startswith("/public")
        for method, operation in operations.items()
    }
    declared = {(r.method, "/public" + r.path): r.status for r in PUBLIC_ROUTES}
    assert served == declared


def test_every_public_route_says_in_french_what_it_is_for():
    """The gateway's /docs shows these summaries to whoever builds a portal."""
    assert all(route.summary for route in PUBLIC_ROUTES)
