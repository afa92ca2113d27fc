-- profile--1.0--1.1.sql: what release 1.1 adds to 1.0
--
-- A fresh CREATE EXTENSION profile runs profile--1.0.sql and then this
-- script; ALTER EXTENSION profile UPDATE runs this script alone.  Both must
-- give the same catalog (test/upgrade.pl).  Released scripts are never
-- edited: 1.2 will add profile--1.1--1.2.sql.

\echo Use "ALTER EXTENSION profile UPDATE TO '1.1'" to load this file. \quit

-- Progress of long work (src/progress.c)

CREATE FUNCTION profile.progress(
    OUT pid integer, OUT function text, OUT phase text, OUT done bigint, OUT total bigint,
    OUT unit text, OUT rows_read bigint, OUT started_at timestamptz,
    OUT phase_started_at timestamptz, OUT updated_at timestamptz)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'profile_progress'
LANGUAGE c VOLATILE STRICT PARALLEL RESTRICTED SECURITY INVOKER;
COMMENT ON FUNCTION profile.progress() IS
    'The long profile work of every backend (function, phase, units done, rows read); needs the library in shared_preload_libraries';

-- pg_dump keeps the position of the identity sequence of profile.tag_rules
-- (1.0 dumped the user rules but not it: a rule added after a restore took
-- a rule_id a restored rule had)
SELECT pg_catalog.pg_extension_config_dump('profile.tag_rules_rule_id_seq', '');

-- Behaviour states are compressed with lz4 where the server has it: with
-- pglz, compressing and decompressing them was most of a stored profile's
-- build (2M order lines: 3.2 s of 7.0 s) and a third of its refresh
DO $$
BEGIN
    IF EXISTS (SELECT FROM pg_catalog.pg_settings AS s
               WHERE s.name OPERATOR(pg_catalog.=) 'default_toast_compression'
                 AND 'lz4'::text OPERATOR(pg_catalog.=) ANY (s.enumvals)) THEN
        ALTER TABLE profile.profile_states ALTER COLUMN behaviour SET COMPRESSION lz4;
    END IF;
END
$$;
