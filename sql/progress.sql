--
-- Progress of long work: messages (profile.progress = notice) and the
-- shared-memory view (profile.progress(), which needs the library preloaded:
-- test/progress.pl covers it on a preloaded cluster).
--
-- With profile.progress_interval = 0 every step is reported, so the
-- messages are deterministic.  Oracles: the last iteration a fit reports is
-- the number of iterations its result gives; the rows reported are the
-- rows of the query; the messages name the function called, also after an
-- earlier call failed half-way (the abort clears the work).
--
\set VERBOSITY terse
CREATE SCHEMA progress_t;
CREATE TABLE progress_t.pts AS
SELECT i AS id, ARRAY[(i * 7) % 17, i % 5]::float8[] AS f FROM generate_series(1, 20000) i;

-- off by default: no message
SELECT clusters, points FROM profile.kmeans_fit('progress_km', 'SELECT id, f FROM progress_t.pts', 3, n_init => 1);
SHOW profile.progress;
SHOW profile.progress_interval;

SET profile.progress = notice;
SET profile.progress_interval = 0;
-- every iteration; the last one is the fit's iteration count
SELECT clusters, points, iterations FROM profile.kmeans_fit('progress_km', 'SELECT id, f FROM progress_t.pts', 3, n_init => 2);
-- reading alone (rfm): batches of 8192 rows
SELECT count(*) FROM profile.rfm('SELECT id % 100, timestamptz ''2020-01-01'' + id * interval ''1 hour'', 1 FROM progress_t.pts');
-- Newton's method of the CLV fit: the last iteration reported is the result's
SELECT (profile.clv_bgnbd_fit_scan($$SELECT i, (i % 5)::float8, (i % 5) * 3::float8, 30::float8
                                      FROM generate_series(1, 2000) i$$)).iterations;
-- mining and rules
SELECT count(*) FROM profile.association_rules('SELECT i / 3, i % 7 FROM generate_series(1, 3000) i', 0.1);

-- cohorts and snapshots fold their query in one SQL pass: phases only
SELECT count(*) FROM profile.cohorts('SELECT id % 100, timestamptz ''2020-01-01'' + id * interval ''1 hour'', 1 FROM progress_t.pts');
SELECT customers FROM profile.segment_snapshot('progress_s', 'SELECT id, id % 3 FROM progress_t.pts');
DELETE FROM profile.segment_snapshots WHERE snapshot = 'progress_s';

-- an error half-way (k above the number of points) ends the work: the next
-- call reports under its own name
SELECT * FROM profile.kmeans_fit('progress_km2', 'SELECT id, f FROM progress_t.pts WHERE id <= 2', 3);
SELECT count(*) FROM profile.rfm('SELECT 1, timestamptz ''2020-01-01'', 1');
-- so does an error caught in a subtransaction
DO $$
BEGIN
    PERFORM * FROM profile.kmeans_fit('progress_km2', 'SELECT id, f FROM progress_t.pts WHERE id <= 2', 3);
EXCEPTION WHEN invalid_parameter_value THEN
    RAISE NOTICE 'caught';
END $$;
SELECT count(*) FROM profile.rfm('SELECT 1, timestamptz ''2020-01-01'', 1');

-- the interval: a long one reports the phases only
SET profile.progress_interval = '1h';
SELECT clusters FROM profile.kmeans_fit('progress_km', 'SELECT id, f FROM progress_t.pts', 3, n_init => 1);

-- bad settings
SET profile.progress = loud;            -- 22023 (off, notice or log)
SET profile.progress_interval = -1;     -- 22023
SET profile.progress_interval = '2h';   -- 22023

-- the shared-memory view needs the library preloaded: 55000 with a hint
\set VERBOSITY default
SELECT * FROM profile.progress();
\set VERBOSITY terse

RESET profile.progress;
RESET profile.progress_interval;
DELETE FROM profile.models WHERE name LIKE 'progress\_%';
DROP SCHEMA progress_t CASCADE;
