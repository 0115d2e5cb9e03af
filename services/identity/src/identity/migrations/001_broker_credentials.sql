-- Broker credentials, created by an operator command until the activation flow exists.
CREATE TABLE broker_credentials (
    tenant         text NOT NULL,
    broker_code    text NOT NULL,
    password_hash  text NOT NULL,
    created_at     timestamptz NOT NULL DEFAULT now(),
    last_login_at  timestamptz,
    PRIMARY KEY (tenant, broker_code)
);
