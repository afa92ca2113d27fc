-- Model catalog: stored models, kinds, the per-backend cache and privileges.
-- The catalog has no kind of its own yet; the test stores 'selftest' models
-- through the hooks of src/selftest.c (body = the bytes 'PROF' + text).
\set VERBOSITY terse
SET client_min_messages = warning;
CREATE SCHEMA profile_mtest;
CREATE FUNCTION profile_mtest.store(text, text, jsonb) RETURNS void
    LANGUAGE C AS '$libdir/profile', 'profile_selftest_model_store';
CREATE FUNCTION profile_mtest.get(text, text) RETURNS text
    STRICT LANGUAGE C AS '$libdir/profile', 'profile_selftest_model_get';
CREATE FUNCTION profile_mtest.cache(OUT entries int4, OUT loads int8)
    LANGUAGE C AS '$libdir/profile', 'profile_selftest_model_cache';
RESET client_min_messages;

-- the catalog table, as a BI tool sees it
SELECT attname, format_type(atttypid, atttypmod) AS type, attnotnull
FROM pg_attribute WHERE attrelid = 'profile.models'::regclass AND attnum > 0
ORDER BY attnum;

-- round trip: what is stored is what is read back
SELECT profile_mtest.store('segments_2025', 'hello, model', '{"k": 3}');
SELECT name, kind, format, params, summary, length(body) AS body_bytes,
       created_by = current_user AS created_by_me
FROM profile.models ORDER BY name;
SELECT profile_mtest.get('segments_2025', 'selftest');

-- the second read comes from the cache: no new entry, no new load
SELECT entries AS entries_before, loads AS loads_before FROM profile_mtest.cache() \gset
SELECT profile_mtest.get('segments_2025', 'selftest');
SELECT entries - :entries_before AS new_entries, loads - :loads_before AS new_loads
FROM profile_mtest.cache();

-- retraining (storing again under the name) replaces the model, and the
-- cache notices: the next read loads the new body
SELECT profile_mtest.store('segments_2025', 'retrained', '{"k": 4}');
SELECT profile_mtest.get('segments_2025', 'selftest');
SELECT loads - :loads_before AS loads_since FROM profile_mtest.cache();
SELECT count(*) AS rows_for_name, max(params ->> 'k') AS k
FROM profile.models WHERE name = 'segments_2025';

-- plain DML invalidates too (analysts edit the table directly)
UPDATE profile.models SET body = '\x50524f46'::bytea || convert_to('edited by hand', 'UTF8')
WHERE name = 'segments_2025';
SELECT profile_mtest.get('segments_2025', 'selftest');

-- a model of another kind under the same name is refused (42710)
INSERT INTO profile.models (name, kind, format) VALUES ('rfm_2025', 'rfm', 1);
\set VERBOSITY default
SELECT profile_mtest.store('rfm_2025', 'not replaced', NULL);
\echo :LAST_ERROR_SQLSTATE
\set VERBOSITY terse
SELECT kind, body IS NULL AS no_body FROM profile.models WHERE name = 'rfm_2025';

-- reading: unknown model (42704), other kind (42809), bad names (22023)
\set VERBOSITY default
SELECT profile_mtest.get('no_such_model', 'selftest');
\echo :LAST_ERROR_SQLSTATE
SELECT profile_mtest.get('rfm_2025', 'selftest');
\echo :LAST_ERROR_SQLSTATE
SELECT profile_mtest.get('bad name', 'selftest');
\echo :LAST_ERROR_SQLSTATE
\set VERBOSITY terse
SELECT profile_mtest.get('', 'selftest');
SELECT profile_mtest.get(repeat('m', 64), 'selftest');
SELECT profile_mtest.get('x''; DROP TABLE profile.models; --', 'selftest');
SELECT profile_mtest.store(repeat('m', 64), 'too long', NULL);
-- the table refuses such names from plain SQL too
INSERT INTO profile.models (name, kind, format) VALUES ('a b', 'selftest', 1);
INSERT INTO profile.models (name, kind, format) VALUES (repeat('m', 64), 'selftest', 1);

-- a forged or damaged body is rejected (XX001 data_corrupted), never a crash
INSERT INTO profile.models (name, kind, format, body) VALUES
    ('forged_magic', 'selftest', 1, '\xdeadbeef41'),
    ('forged_short', 'selftest', 1, '\x50'),
    ('forged_null', 'selftest', 1, NULL),
    ('forged_format', 'selftest', 99, '\x50524f4641');
\set VERBOSITY default
SELECT profile_mtest.get('forged_magic', 'selftest');
\echo :LAST_ERROR_SQLSTATE
\set VERBOSITY terse
SELECT profile_mtest.get('forged_short', 'selftest');
SELECT profile_mtest.get('forged_null', 'selftest');
SELECT profile_mtest.get('forged_format', 'selftest');
-- a failed decode leaves nothing behind in the cache
SELECT entries AS entries_now FROM profile_mtest.cache() \gset
SELECT profile_mtest.get('forged_magic', 'selftest');
SELECT entries - :entries_now AS leaked_entries FROM profile_mtest.cache();

-- deleting a model: readers get 42704 at once
DELETE FROM profile.models WHERE name = 'segments_2025';
SELECT profile_mtest.get('segments_2025', 'selftest');
-- a rolled-back retrain is invisible
BEGIN;
SELECT profile_mtest.store('segments_2025', 'never committed', NULL);
SELECT profile_mtest.get('segments_2025', 'selftest');
ROLLBACK;
SELECT profile_mtest.get('segments_2025', 'selftest');

-- privileges: everyone reads, only granted roles train
CREATE ROLE profile_mtest_reader;
CREATE ROLE profile_mtest_trainer;
GRANT USAGE ON SCHEMA profile_mtest TO profile_mtest_reader, profile_mtest_trainer;
GRANT INSERT, UPDATE, DELETE ON profile.models TO profile_mtest_trainer;
SELECT profile_mtest.store('shared', 'for everyone', NULL);
SET ROLE profile_mtest_reader;
SELECT profile_mtest.get('shared', 'selftest');
SELECT profile_mtest.store('mine', 'denied', NULL);               -- 42501
DELETE FROM profile.models WHERE name = 'shared';                  -- 42501
RESET ROLE;
SET ROLE profile_mtest_trainer;
SELECT profile_mtest.store('trained_by_trainer', 'allowed', NULL);
RESET ROLE;
SELECT name, created_by FROM profile.models WHERE name IN ('shared', 'trained_by_trainer') ORDER BY name;

-- the catalog tables (and the identity sequence of tag_rules) are registered for pg_dump
SELECT c.relname, cfg.ext_condition
FROM pg_extension e, unnest(e.extconfig) WITH ORDINALITY AS cfg_oid(oid, n)
JOIN pg_class c ON c.oid = cfg_oid.oid
LEFT JOIN LATERAL (SELECT (e.extcondition)[cfg_oid.n] AS ext_condition) cfg ON true
WHERE e.extname = 'profile' ORDER BY 1;

-- the trigger function is not callable by itself
SELECT profile.models_changed();

DELETE FROM profile.models;
REVOKE ALL ON profile.models FROM profile_mtest_trainer;
DROP OWNED BY profile_mtest_reader, profile_mtest_trainer;
DROP ROLE profile_mtest_reader;
DROP ROLE profile_mtest_trainer;
