-- Who else must know when the read model changes: the gateway keeps the answers it relayed while the
-- service says its read model has not moved (`extranet_plumbing.read_cache.ReadModelChanges`). Each change
-- of the count notifies the channel `read_model_version` with the schema's name, delivered at commit, so a
-- listener learns of a change exactly when the rows are visible. `epoch` tells one life of the read model
-- from another: a read model dropped and built again counts from 0 again, under a new epoch.
ALTER TABLE read_model_version ADD COLUMN epoch uuid NOT NULL DEFAULT gen_random_uuid();

CREATE FUNCTION read_model_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('read_model_version', TG_TABLE_SCHEMA);
    RETURN NULL;
END
$$;

CREATE TRIGGER read_model_changed AFTER UPDATE ON read_model_version FOR EACH ROW EXECUTE FUNCTION read_model_changed();
