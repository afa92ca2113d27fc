-- Shared C helpers: input checks, memory budget, PRNG, inner queries.
-- The helpers have no SQL API of their own; the test binds its hooks
-- (src/selftest.c) to a schema of its own.
\set VERBOSITY terse
SET client_min_messages = warning;
CREATE SCHEMA profile_test;
CREATE FUNCTION profile_test.check_finite(float8) RETURNS boolean
    STRICT LANGUAGE C AS '$libdir/profile', 'profile_selftest_check_finite';
CREATE FUNCTION profile_test.check_int_range(int8, int8, int8) RETURNS boolean
    STRICT LANGUAGE C AS '$libdir/profile', 'profile_selftest_check_int_range';
CREATE FUNCTION profile_test.check_float_range(float8, float8, float8) RETURNS boolean
    STRICT LANGUAGE C AS '$libdir/profile', 'profile_selftest_check_float_range';
CREATE FUNCTION profile_test.check_not_null(int4) RETURNS int4
    LANGUAGE C AS '$libdir/profile', 'profile_selftest_check_not_null';
CREATE FUNCTION profile_test.budget(int8[], int8) RETURNS int8
    STRICT LANGUAGE C AS '$libdir/profile', 'profile_selftest_budget';
CREATE FUNCTION profile_test.prng_raw(int8, int8, int8, int8, int4) RETURNS text[]
    STRICT LANGUAGE C AS '$libdir/profile', 'profile_selftest_prng_raw';
CREATE FUNCTION profile_test.splitmix(int8, int4) RETURNS text[]
    STRICT LANGUAGE C AS '$libdir/profile', 'profile_selftest_splitmix';
CREATE FUNCTION profile_test.prng(int8, int8, text, int4) RETURNS float8[]
    STRICT LANGUAGE C AS '$libdir/profile', 'profile_selftest_prng';
CREATE FUNCTION profile_test.run_query(text, text[],
    OUT rows int8, OUT batches int8, OUT types text[], OUT number_sum float8,
    OUT time_sum float8, OUT array_elements int8, OUT nulls int8)
    STRICT LANGUAGE C AS '$libdir/profile', 'profile_selftest_query';
RESET client_min_messages;

-- ---- input checks ----
SELECT profile_test.check_finite(1.5);
SELECT profile_test.check_finite(-1e308);
SELECT profile_test.check_finite('NaN');                    -- 22000
SELECT profile_test.check_finite('Infinity');               -- 22000
SELECT profile_test.check_finite('-Infinity');              -- 22000
SELECT profile_test.check_int_range(1, 1, 1000);
SELECT profile_test.check_int_range(1000, 1, 1000);
SELECT profile_test.check_int_range(0, 1, 1000);            -- 22023
SELECT profile_test.check_int_range(1001, 1, 1000);         -- 22023
SELECT profile_test.check_int_range(-9223372036854775808, 1, 1000);  -- 22023
SELECT profile_test.check_float_range(0.5, 0, 1);
SELECT profile_test.check_float_range(1, 0, 1);
SELECT profile_test.check_float_range(1.0000001, 0, 1);     -- 22023
SELECT profile_test.check_float_range('NaN', 0, 1);         -- 22023
SELECT profile_test.check_float_range('-Infinity', 0, 1);   -- 22023
SELECT profile_test.check_not_null(5);
SELECT profile_test.check_not_null(NULL);                   -- 22004

-- error codes, as a client sees them (psql's LAST_ERROR_SQLSTATE)
\set VERBOSITY default
SELECT profile_test.check_finite('NaN');
\echo :LAST_ERROR_SQLSTATE
SELECT profile_test.check_int_range(0, 1, 1000);
\echo :LAST_ERROR_SQLSTATE
SELECT profile_test.check_not_null(NULL);
\echo :LAST_ERROR_SQLSTATE
\set VERBOSITY terse

-- ---- memory budget ----
SHOW profile.memory_budget;
-- 3 x 1000 x 8 bytes = 24000 bytes reserved
SELECT profile_test.budget('{1000,1000,1000}', 8);
SET profile.memory_budget = '1MB';
-- exactly 1 MB = 1048576 bytes fits
SELECT profile_test.budget('{131072}', 8);
-- one byte more does not: 54000, with both numbers and the setting
\set VERBOSITY default
SELECT profile_test.budget('{1048576,1}', 1);
\echo :LAST_ERROR_SQLSTATE
-- overflowing multiplication is a limit, not a wrap-around
SELECT profile_test.budget('{4611686018427387904}', 8);
\echo :LAST_ERROR_SQLSTATE
\set VERBOSITY terse
SET profile.memory_budget = '512kB';                          -- below the 1MB minimum
SET profile.memory_budget = 'lots';
RESET profile.memory_budget;
SHOW profile.memory_budget;
-- the prefix is reserved: a typo is an error, not a silent new setting
SET profile.memory_budjet = '1GB';

-- ---- PRNG ----
-- xoshiro256** from the state {1, 2, 3, 4}, by hand:
--   1st output rotl(2 * 5, 7) * 9 = 1280 * 9 = 11520;
--   the state becomes {7, 0, 262146, rotl(6, 45)}, so the 2nd is rotl(0, 7) * 9 = 0;
--   then {7 ^ rotl(6, 45), 262149, 262149, 6 << 26}, so the 3rd is
--   rotl(262149 * 5, 7) * 9 = 1310745 * 128 * 9 = 1509978240.
SELECT profile_test.prng_raw(1, 2, 3, 4, 3) = '{11520,0,1509978240}' AS xoshiro_reference;
-- splitmix64 from 0: the published first output 0xe220a8397b1dcdaf
SELECT (profile_test.splitmix(0, 1))[1] = '16294208416658607535' AS splitmix_reference;
-- the same (seed, stream) gives the same numbers, another stream others
SELECT profile_test.prng(42, 7, 'uniform', 1000) = profile_test.prng(42, 7, 'uniform', 1000) AS same_stream,
       profile_test.prng(42, 7, 'uniform', 1000) <> profile_test.prng(42, 8, 'uniform', 1000) AS other_stream,
       profile_test.prng(42, 7, 'uniform', 1000) <> profile_test.prng(43, 7, 'uniform', 1000) AS other_seed;
-- moments of 200,000 draws against the distributions' own: uniform mean 1/2
-- and variance 1/12, normal 0 and 1, exponential 1 and 1, Poisson 3 and 3;
-- the standard error of each mean is below 0.005 (so 4 sigma < 0.02)
WITH d AS (
    SELECT dist, v
    FROM unnest(ARRAY['uniform', 'normal', 'exponential', 'poisson']) AS dist,
         LATERAL unnest(profile_test.prng(2024, 1, dist, 200000)) AS v
)
SELECT dist,
       round(avg(v)::numeric, 2) AS mean,
       round(var_pop(v)::numeric, 2) AS variance,
       min(v) >= 0 OR dist = 'normal' AS nonnegative
FROM d GROUP BY dist ORDER BY dist;
-- uniform draws stay in [0, 1)
SELECT min(v) >= 0 AND max(v) < 1 AS uniform_in_range
FROM unnest(profile_test.prng(1, 1, 'uniform', 100000)) AS v;
-- integers below 10: all ten values, each near 10,000 of 100,000
-- (chi-square with 9 degrees of freedom below 27.9, its 0.999 quantile)
WITH c AS (
    SELECT v, count(*) AS n FROM unnest(profile_test.prng(5, 5, 'below', 100000)) AS v GROUP BY v
)
SELECT count(*) AS values_seen, min(v) AS lo, max(v) AS hi,
       sum((n - 10000.0) ^ 2 / 10000.0) < 27.9 AS chi_square_ok
FROM c;

-- ---- inner queries ----
CREATE TABLE sales (customer_id int, ordered_at timestamptz, amount numeric(10,2), tag text);
INSERT INTO sales
SELECT i % 97, timestamptz '2024-01-01 00:00:00+00' + i * interval '1 hour',
       (i % 1000) / 10.0, CASE WHEN i % 10 = 0 THEN NULL ELSE 'x' END
FROM generate_series(1, 20000) AS i;
-- 20,000 rows come in 3 batches of at most 8,192; the sums equal plain SQL
SELECT rows, batches, types, number_sum = (SELECT sum(amount)::float8 FROM sales) AS sums_match,
       time_sum = (SELECT sum(extract(epoch FROM ordered_at))::float8 FROM sales) AS times_match,
       nulls
FROM profile_test.run_query('SELECT customer_id, ordered_at, amount FROM sales',
                            '{key,time,number}');
-- the optional fourth column may be given or left out
SELECT rows, types FROM profile_test.run_query(
    'SELECT customer_id, ordered_at, amount, customer_id::bigint FROM sales WHERE customer_id = 3',
    '{key,time,number,key?}');
SELECT rows, types FROM profile_test.run_query(
    'SELECT customer_id, ordered_at, amount FROM sales WHERE customer_id = 3',
    '{key,time,number,key?}');
-- every accepted type of a column kind: ids, numbers, times
SELECT types, number_sum, nulls FROM profile_test.run_query(
    $$SELECT 1::int2, 2::int4, 3::int8, 'a'::text, 'b'::varchar, 'c'::char(2),
             'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'::uuid$$,
    '{key,key,key,key,key,key,key}');
SELECT types, number_sum FROM profile_test.run_query(
    'SELECT 1::int2, 2::int4, 3::int8, 0.5::float4, 0.25::float8, 0.125::numeric',
    '{number,number,number,number,number,number}');
-- timestamp and date are taken in the session time zone
SET timezone = 'UTC';
SELECT time_sum FROM profile_test.run_query(
    $$SELECT timestamptz '2024-01-01 00:00:00+00', timestamp '2024-01-01 00:00:00', date '2024-01-01'$$,
    '{time,time,time}');
SELECT 3 * extract(epoch FROM timestamptz '2024-01-01 00:00:00+00') AS expected_time_sum;
-- in New York, midnight is 05:00 UTC in winter and 04:00 in summer (DST)
SET timezone = 'America/New_York';
SELECT time_sum - extract(epoch FROM timestamptz '2024-01-01 00:00:00+00')
                - extract(epoch FROM timestamptz '2024-07-01 00:00:00+00') AS seconds_after_utc_midnights
FROM profile_test.run_query($$SELECT timestamp '2024-01-01 00:00:00', date '2024-07-01'$$, '{time,time}');
SELECT (5 + 4) * 3600 AS expected_seconds;
SET timezone = 'UTC';
-- numeric special values arrive as they are, for the caller to check
SELECT number_sum FROM profile_test.run_query($$SELECT 'NaN'::numeric$$, '{number}');
SELECT number_sum FROM profile_test.run_query($$SELECT 'Infinity'::numeric$$, '{number}');
-- float8[] values, and NULLs counted
SELECT array_elements, nulls FROM profile_test.run_query(
    $$SELECT ARRAY[1, 2, 3]::float8[] UNION ALL SELECT ARRAY[4]::float8[] UNION ALL SELECT NULL$$,
    '{float8[]}');
-- domains over accepted types are accepted
CREATE DOMAIN money_amount AS numeric CHECK (VALUE >= 0);
SELECT types, number_sum FROM profile_test.run_query('SELECT 2.5::money_amount', '{number}');
-- empty input: no rows, no batch, no error
SELECT rows, batches FROM profile_test.run_query('SELECT customer_id, ordered_at, amount FROM sales WHERE false',
                                                 '{key,time,number}');
-- VALUES and WITH ... SELECT are SELECT statements
SELECT rows FROM profile_test.run_query('VALUES (1), (2)', '{key}');
SELECT rows FROM profile_test.run_query('WITH t AS (SELECT 1 AS a) SELECT a FROM t', '{key}');

-- wrong column count or types: 42804 naming the column and what it must be
\set VERBOSITY default
SELECT * FROM profile_test.run_query('SELECT customer_id, ordered_at FROM sales', '{key,time,number}');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM profile_test.run_query('SELECT customer_id, ordered_at, amount, 1, 2 FROM sales', '{key,time,number,key?}');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM profile_test.run_query('SELECT customer_id, tag, amount FROM sales', '{key,time,number}');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM profile_test.run_query('SELECT customer_id, ordered_at, tag FROM sales', '{key,time,number}');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM profile_test.run_query('SELECT 1.5::float8', '{key}');
\echo :LAST_ERROR_SQLSTATE
\set VERBOSITY terse
-- not one SELECT: rejected before it runs (22023)
SELECT * FROM profile_test.run_query('SELECT 1; SELECT 2', '{key}');
SELECT * FROM profile_test.run_query('', '{key}');
SELECT * FROM profile_test.run_query('DELETE FROM sales RETURNING customer_id', '{key}');
SELECT * FROM profile_test.run_query('DROP TABLE sales', '{key}');
SELECT * FROM profile_test.run_query('SELECT customer_id INTO sales_copy FROM sales', '{key}');
SELECT * FROM profile_test.run_query('SELECT 1 FROM sales; DROP TABLE sales', '{key}');
-- read-only: a data-modifying CTE and row locks are rejected too
SELECT * FROM profile_test.run_query('WITH d AS (DELETE FROM sales RETURNING customer_id) SELECT customer_id FROM d', '{key}');
SELECT * FROM profile_test.run_query('SELECT customer_id FROM sales FOR UPDATE', '{key}');
-- deeper down, the read-only cursor still refuses them (0A000)
SELECT * FROM profile_test.run_query('SELECT * FROM (SELECT customer_id FROM sales FOR SHARE) s', '{key}');
-- syntax errors and missing tables keep their own codes
SELECT * FROM profile_test.run_query('SELEC 1', '{key}');
SELECT * FROM profile_test.run_query('SELECT a FROM no_such_table', '{key}');
-- nothing was deleted or dropped
SELECT count(*) FROM sales;
SELECT to_regclass('sales_copy') IS NULL AS no_copy;
-- runtime errors in the query surface unchanged, and the session goes on
SELECT * FROM profile_test.run_query('SELECT 1 / (customer_id - 5) FROM sales', '{key}');
SELECT rows FROM profile_test.run_query('SELECT customer_id FROM sales WHERE customer_id = 5', '{key}');

-- the query runs with the caller's privileges
CREATE ROLE profile_test_reader;
GRANT USAGE ON SCHEMA profile_test TO profile_test_reader;
SET ROLE profile_test_reader;
SELECT * FROM profile_test.run_query('SELECT customer_id FROM sales', '{key}');  -- 42501
RESET ROLE;
-- and sees row-level security as the caller does
ALTER TABLE sales ENABLE ROW LEVEL SECURITY;
CREATE POLICY only_three ON sales FOR SELECT TO profile_test_reader USING (customer_id = 3);
GRANT SELECT ON sales TO profile_test_reader;
SET ROLE profile_test_reader;
SELECT rows = (SELECT count(*) FROM sales) AS rls_honoured, rows
FROM profile_test.run_query('SELECT customer_id FROM sales', '{key}');
RESET ROLE;

-- cancellation: a long inner query stops at statement_timeout (57014)
SET statement_timeout = '100ms';
SELECT * FROM profile_test.run_query('SELECT i FROM generate_series(1, 1000000000) AS i', '{key}');
RESET statement_timeout;
SELECT rows FROM profile_test.run_query('VALUES (1)', '{key}');

DROP OWNED BY profile_test_reader;
DROP ROLE profile_test_reader;
