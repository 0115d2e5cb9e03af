"""Settings of the portals process (environment, prefix `EXTRANET_`)."""

from pathlib import Path
from typing import Literal

from pydantic import Field

from extranet_plumbing.settings import ServiceSettings


class PortalsSettings(ServiceSettings):
    service_name: str = "portals"
    db_schema: str = "portals"  # the sessions: the tokens stay here, the browser has a cookie only
    http_port: int = 8010
    gateway_url: str = "http://127.0.0.1:8000"
    gateway_timeout_seconds: float = 10.0
    tenants_file: Path | None = None  # the tenant registry; default: EXTRANET_TENANTS_FILE, else the platform's
    session_idle_seconds: int = Field(default=30 * 60, description="A session unused this long ends")
    session_max_seconds: int = Field(default=8 * 3600, description="A session ends this long after its login, whatever happens")
    # auto: the cookie is Secure when the request came over https (as the proxies in front say, when trusted).
    cookie_secure: Literal["auto", "always", "never"] = "auto"
    # The anti-robot widget: FriendlyCaptcha's, or (demo stack, tests) a test widget that fills in the
    # solution identity's test verifier accepts; turned on explicitly only, as identity's.
    captcha_mode: Literal["friendlycaptcha", "test"] = "friendlycaptcha"
    captcha_sitekey: str = ""
    captcha_puzzle_endpoint: str = "https://api.friendlycaptcha.com/api/v1/puzzle"
