-- When this service last wrote a household's preferences and its beneficiaries (its own clock, not the legacy
-- event's time): the announcement sweep (service_layer.documents) looks at the households written lately, for a
-- statement that two concurrent transactions both missed (a payment and its household's file applied at once by
-- two lanes or two replicas, each not seeing the other's uncommitted row).
ALTER TABLE communication_preferences ADD COLUMN recorded_at timestamptz NOT NULL DEFAULT now();
ALTER TABLE household_beneficiaries ADD COLUMN recorded_at timestamptz NOT NULL DEFAULT now();
CREATE INDEX communication_preferences_recorded ON communication_preferences (recorded_at);
CREATE INDEX household_beneficiaries_recorded ON household_beneficiaries (recorded_at);
