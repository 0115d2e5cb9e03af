"""Settings of the identity service (environment, prefix `EXTRANET_`)."""

from pathlib import Path
from typing import Literal

from pydantic import SecretStr

from extranet_plumbing.settings import ServiceSettings


class IdentitySettings(ServiceSettings):
    service_name: str = "identity"
    db_schema: str = "identity"
    http_port: int = 8101
    jwt_private_key_file: Path | None = None
    # The notifications service's public sealing key: codes and links are sealed with it (never in clear on Kafka).
    notifications_seal_key_file: Path | None = None
    tenants_file: Path | None = None  # the tenant registry; default: EXTRANET_TENANTS_FILE, else the platform's
    access_token_ttl_seconds: int = 600
    refresh_token_ttl_seconds: int = 8 * 3600
    # Key of the digests of codes and tokens; derived from the signing key when not given.
    hash_key: SecretStr | None = None
    otp_ttl_seconds: int = 300
    otp_max_attempts: int = 5
    otp_max_sends: int = 3  # the first code and two new ones, per activation
    otp_resend_interval_seconds: int = 30
    activation_link_ttl_seconds: int = 48 * 3600
    password_reset_ttl_seconds: int = 3600
    email_change_ttl_seconds: int = 24 * 3600  # the link that confirms a new contact email
    activation_ticket_ttl_seconds: int = 900
    login_max_failures: int = 5
    lockout_seconds: int = 900
    throttle_per_address: int = 30  # attempts per address per window, for activation and reset
    throttle_window_seconds: int = 300
    # Logins from one address: failures are what count. Past the first figure the address must solve a
    # captcha, past the second it is refused; correct logins only meet the far higher ceiling (one NAT
    # can hide a whole company or an advisors' office).
    login_failures_before_captcha: int = 10
    login_failures_per_address: int = 100
    login_ceiling_per_address: int = 3000
    captcha_mode: Literal["friendlycaptcha", "test"] = "friendlycaptcha"
    captcha_secret: SecretStr | None = None
    captcha_sitekey: str | None = None
    captcha_api_url: str = "https://api.friendlycaptcha.com"
    phone_region: str = "FR"  # how numbers written without a country code are read
