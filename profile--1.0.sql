-- profile--1.0.sql
\echo Use "CREATE EXTENSION profile" to load this file. \quit

-- Everyone may call the functions of the extension; what they read is
-- governed by their rights on their own tables and on profile.models.
GRANT USAGE ON SCHEMA profile TO PUBLIC;

-- Model catalog

CREATE TABLE profile.models (
    name        text PRIMARY KEY
                CONSTRAINT models_name_check
                CHECK (name OPERATOR(pg_catalog.~) '^[A-Za-z0-9_.:-]{1,63}$'),
    kind        text NOT NULL,
    format      integer NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT pg_catalog.now(),
    created_by  name NOT NULL DEFAULT CURRENT_USER,
    params      jsonb NOT NULL DEFAULT '{}'::pg_catalog.jsonb,
    summary     jsonb NOT NULL DEFAULT '{}'::pg_catalog.jsonb,
    body        bytea
);

COMMENT ON TABLE profile.models IS
    'Named models (RFM boundaries, k-means centroids, rule sets, CLV fits): one row each';
COMMENT ON COLUMN profile.models.name IS 'Model name: 1 to 63 letters, digits, _ . - :';
COMMENT ON COLUMN profile.models.kind IS 'What trained the model: rfm, kmeans, rules, clv, ...';
COMMENT ON COLUMN profile.models.format IS 'Version of the body format, checked when the model is read';
COMMENT ON COLUMN profile.models.params IS 'Parameters the model was trained with';
COMMENT ON COLUMN profile.models.summary IS 'Fit summary (sizes, quality measures)';
COMMENT ON COLUMN profile.models.body IS 'The model itself, in the kind''s versioned binary format';

-- pg_dump keeps user models
SELECT pg_catalog.pg_extension_config_dump('profile.models', '');

-- Readers may use every model; training needs INSERT and UPDATE on this
-- table, which the DBA grants (README: Privileges).
GRANT SELECT ON profile.models TO PUBLIC;

CREATE FUNCTION profile.models_changed()
    RETURNS trigger
    LANGUAGE C
    AS 'MODULE_PATHNAME', 'profile_models_changed';

COMMENT ON FUNCTION profile.models_changed() IS
    'Internal: trigger telling every session to drop its cached models';

CREATE TRIGGER models_changed
    AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON profile.models
    FOR EACH STATEMENT
    EXECUTE FUNCTION profile.models_changed();
