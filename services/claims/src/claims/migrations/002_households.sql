-- Read model of the households' files as the legacy system holds them (legacy.households): the member's
-- contract with its guarantee history and contribution block, the beneficiaries and their details, the
-- communication preferences with the paperless option. Each is a snapshot per household: a newer revision
-- replaces the row, an older or equal one changes nothing. Documents are kept as JSON, as the member
-- portal reads them; the beneficiaries' NIR and IBAN only masked (the full ones are never stored here).
CREATE TABLE member_contracts (
    tenant        text NOT NULL,
    member_number text NOT NULL,
    contract      jsonb NOT NULL,
    revision      integer NOT NULL,
    changed_at    timestamptz NOT NULL,
    PRIMARY KEY (tenant, member_number)
);

CREATE TABLE household_beneficiaries (
    tenant        text NOT NULL,
    member_number text NOT NULL,
    beneficiaries jsonb NOT NULL,           -- masked NIR and IBAN only
    revision      integer NOT NULL,
    changed_at    timestamptz NOT NULL,
    PRIMARY KEY (tenant, member_number)
);

CREATE TABLE communication_preferences (
    tenant          text NOT NULL,
    member_number   text NOT NULL,
    matrix          jsonb NOT NULL,         -- {technical|commercial|partners|other: {email|post|sms: ACCEPTE|REFUSE|NON_DEFINI}}
    paperless       boolean NOT NULL,       -- no paper statements at home: a year of statements online instead of the last ten
    paperless_since date,
    revision        integer NOT NULL,
    changed_at      timestamptz NOT NULL,
    PRIMARY KEY (tenant, member_number)
);
