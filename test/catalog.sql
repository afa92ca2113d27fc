-- Catalogue facts of the installed extension: what DBAs rely on.
BEGIN;
SELECT plan(17);

SELECT has_schema('profile', 'schema profile exists');
SELECT is((SELECT extrelocatable FROM pg_extension WHERE extname = 'profile'), false,
          'the extension is not relocatable');
SELECT is((SELECT n.nspname::text FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
           WHERE e.extname = 'profile'), 'profile', 'the extension lives in schema profile');

-- no SECURITY DEFINER anywhere, and nothing of ours outside schema profile
SELECT is((SELECT count(*) FROM pg_proc p JOIN pg_depend d ON d.objid = p.oid AND d.classid = 'pg_proc'::regclass
           JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = 'profile'
           WHERE p.prosecdef), 0::bigint, 'no function of the extension is SECURITY DEFINER');
SELECT is((SELECT count(*) FROM pg_depend d JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = 'profile'
           JOIN pg_class c ON d.classid = 'pg_class'::regclass AND c.oid = d.objid
           WHERE c.relnamespace <> 'profile'::regnamespace), 0::bigint,
          'every relation of the extension is in schema profile');

-- the model catalog
SELECT has_table('profile', 'models', 'profile.models exists');
SELECT col_is_pk('profile', 'models', 'name', 'models are named uniquely');
SELECT ok((SELECT 'profile.models'::regclass::oid = ANY (extconfig) FROM pg_extension WHERE extname = 'profile'),
          'profile.models is dumped by pg_dump (pg_extension_config_dump)');
SELECT ok(has_table_privilege('public', 'profile.models', 'SELECT'), 'PUBLIC may read models');
SELECT ok(NOT has_table_privilege('public', 'profile.models', 'INSERT, UPDATE, DELETE, TRUNCATE'),
          'PUBLIC may not write models');
SELECT has_trigger('profile', 'models', 'models_changed', 'model changes invalidate caches');

-- the one setting, with its documented default (settings of a library
-- exist once it is loaded, which any profile function call does)
LOAD 'profile';
SELECT is(current_setting('profile.memory_budget'), '512MB', 'profile.memory_budget defaults to 512MB');
SELECT is(current_setting('profile.min_group_size'), '1', 'profile.min_group_size defaults to 1 (no suppression)');
SELECT is((SELECT context FROM pg_settings WHERE name = 'profile.min_group_size'), 'superuser',
          'profile.min_group_size is superuser-only, so a dashboard role cannot lower it');

-- segment snapshots (1.1)
SELECT col_is_pk('profile', 'segment_snapshots', ARRAY['snapshot', 'customer_id'], 'one segment per customer and snapshot');
SELECT ok((SELECT 'profile.segment_snapshots'::regclass::oid = ANY (extconfig) FROM pg_extension WHERE extname = 'profile'),
          'profile.segment_snapshots is dumped by pg_dump');
SELECT ok(has_table_privilege('public', 'profile.segment_snapshots', 'SELECT')
          AND NOT has_table_privilege('public', 'profile.segment_snapshots', 'INSERT, UPDATE, DELETE, TRUNCATE'),
          'PUBLIC may read segment snapshots, not write them');

SELECT * FROM finish();
ROLLBACK;
