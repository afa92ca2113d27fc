-- profile.customer_profiles and stored profiles read their query with
-- behaviour_fold.c: rows go to a buffer, are scattered by customer and
-- folded one customer at a time.  Oracle: the profile.behaviour aggregate
-- over the same rows (GROUP BY customer_id, hashed, so each customer's rows
-- are added in the table's order too): every stored state must be its
-- state, byte for byte.  A 2MB memory budget gives a buffer of 4681 rows,
-- so the 30,000 rows below take 7 buffers.
SET client_min_messages = warning;
SET profile.memory_budget = '2MB';
SET enable_sort = off;		-- the oracle's GROUP BY hashes: rows stay in table order

-- 400 customers whose orders interleave; amounts in tenths, so that the
-- order of the additions shows in the last bits; returns, NULL categories,
-- channels, list amounts and quantities; a few rows without a customer or
-- a time
CREATE TABLE fold_lines AS
SELECT CASE WHEN g % 997 = 0 THEN NULL ELSE ((g / 3) * 7919) % 400 END AS customer_id,
       g / 3 AS order_id,
       CASE WHEN g % 1009 = 0 THEN NULL
            ELSE timestamptz '2025-01-01 00:00+00' + ((g / 3) % 7000) * interval '37 minutes' END AS ordered_at,
       CASE WHEN g % 23 = 0 THEN -(g % 7) * 0.1 ELSE (g % 97) * 0.1 + 0.3 END AS amount,
       CASE WHEN g % 31 = 0 THEN NULL ELSE 'c' || (g % 13) END AS category,
       CASE WHEN g % 5 = 0 THEN NULL ELSE (g % 97) * 0.1 + 0.3 + (g % 3) * 0.7 END AS list_amount,
       CASE WHEN g % 29 = 0 THEN NULL ELSE (ARRAY['store', 'web', 'app'])[g % 3 + 1] END AS channel,
       CASE WHEN g % 11 = 0 THEN NULL ELSE 1 + g % 4 END AS quantity,
       g AS line_no
FROM generate_series(1, 30000) g;

-- all eight columns
SELECT profiles, rows_read FROM profile.profiles_create('fold8',
    'SELECT customer_id, ordered_at, amount, category, list_amount, channel, order_id, quantity FROM fold_lines');
WITH s AS (SELECT customer_id, behaviour FROM profile.profile_states WHERE profile = 'fold8'),
     a AS (SELECT customer_id::text, profile.behaviour(ordered_at, amount::float8, category,
                                                       list_amount::float8, channel, order_id::int8,
                                                       quantity::float8)
           FROM fold_lines WHERE customer_id IS NOT NULL GROUP BY customer_id)
SELECT (SELECT count(*) FROM s) AS stored, (SELECT count(*) FROM a) AS aggregated,
       (SELECT count(*) FROM (SELECT * FROM s EXCEPT SELECT * FROM a) d) AS stored_not_aggregated,
       (SELECT count(*) FROM (SELECT * FROM a EXCEPT SELECT * FROM s) d) AS aggregated_not_stored;

-- the four required columns (an order is the lines of one timestamp)
SELECT profiles, rows_read FROM profile.profiles_create('fold4',
    'SELECT customer_id, ordered_at, amount, category FROM fold_lines');
WITH s AS (SELECT customer_id, behaviour FROM profile.profile_states WHERE profile = 'fold4'),
     a AS (SELECT customer_id::text, profile.behaviour(ordered_at, amount::float8, category)
           FROM fold_lines WHERE customer_id IS NOT NULL GROUP BY customer_id)
SELECT (SELECT count(*) FROM s) AS stored, (SELECT count(*) FROM a) AS aggregated,
       (SELECT count(*) FROM (SELECT * FROM s EXCEPT SELECT * FROM a) d) AS stored_not_aggregated,
       (SELECT count(*) FROM (SELECT * FROM a EXCEPT SELECT * FROM s) d) AS aggregated_not_stored;

-- text ids and order ids, rows in another order: the same comparison
SELECT profiles FROM profile.profiles_create('fold_text',
    'SELECT ''c-'' || customer_id, ordered_at, amount, category, list_amount, channel, ''o-'' || order_id
     FROM fold_lines ORDER BY order_id % 17, line_no');
WITH s AS (SELECT customer_id, behaviour FROM profile.profile_states WHERE profile = 'fold_text'),
     a AS (SELECT c, profile.behaviour(ordered_at, amount::float8, category, list_amount::float8,
                                       channel, o)
           FROM (SELECT 'c-' || customer_id AS c, ordered_at, amount, category, list_amount, channel,
                        'o-' || order_id AS o
                 FROM fold_lines ORDER BY order_id % 17, line_no) r
           WHERE c IS NOT NULL GROUP BY c)
SELECT (SELECT count(*) FROM s) AS stored, (SELECT count(*) FROM a) AS aggregated,
       (SELECT count(*) FROM (SELECT * FROM s EXCEPT SELECT * FROM a) d) AS stored_not_aggregated,
       (SELECT count(*) FROM (SELECT * FROM a EXCEPT SELECT * FROM s) d) AS aggregated_not_stored;

-- the one-call function: the features of those states, and the rows it
-- left out (the NOTICE: 30 without a customer, 29 without a time)
SET client_min_messages = notice;
SELECT count(*) AS customers, sum(orders) AS orders, sum(lines) AS lines,
       round(sum(spend)::numeric, 6) AS spend
FROM profile.customer_profiles('SELECT customer_id, ordered_at, amount, category FROM fold_lines');
SET client_min_messages = warning;
SELECT count(*) AS customers, sum(f.orders) AS orders, sum(f.lines) AS lines,
       round(sum(f.spend)::numeric, 6) AS spend
FROM (SELECT customer_id, profile.behaviour(ordered_at, amount::float8, category) AS s
      FROM fold_lines WHERE customer_id IS NOT NULL GROUP BY customer_id) a,
     LATERAL profile.behaviour_features(a.s, '2025-12-31') f
WHERE f.orders > 0;
SELECT count(*) FILTER (WHERE customer_id IS NULL) AS without_customer,
       count(*) FILTER (WHERE customer_id IS NOT NULL AND ordered_at IS NULL) AS without_time
FROM fold_lines;

-- profile.behaviour_reader = aggregate reads by the executor's GROUP BY
-- with profile.behaviour (which Citus pushes down to its workers): the
-- same profiles, every column
CREATE TEMP TABLE by_fold AS SELECT * FROM profile.customer_profiles(
    'SELECT customer_id, ordered_at, amount, category, list_amount, channel, order_id, quantity FROM fold_lines');
SET profile.behaviour_reader = aggregate;
CREATE TEMP TABLE by_aggregate AS SELECT * FROM profile.customer_profiles(
    'SELECT customer_id, ordered_at, amount, category, list_amount, channel, order_id, quantity FROM fold_lines');
SELECT profiles FROM profile.profiles_create('fold_aggregate',
    'SELECT customer_id, ordered_at, amount, category, list_amount, channel, order_id, quantity FROM fold_lines');
RESET profile.behaviour_reader;
SELECT (SELECT count(*) FROM by_fold) AS by_fold, (SELECT count(*) FROM by_aggregate) AS by_aggregate,
       (SELECT count(*) FROM (SELECT * FROM by_fold EXCEPT SELECT * FROM by_aggregate) d) AS fold_only,
       (SELECT count(*) FROM (SELECT * FROM by_aggregate EXCEPT SELECT * FROM by_fold) d) AS aggregate_only,
       (SELECT count(*) FROM profile.profile_states a JOIN profile.profile_states f USING (customer_id)
        WHERE a.profile = 'fold_aggregate' AND f.profile = 'fold8' AND a.behaviour = f.behaviour) AS same_states;
SET profile.behaviour_reader = 'no_such_reader';

-- a memory budget too small for the states: 54000, not a crash
SET profile.memory_budget = '1MB';
DO $$
BEGIN
    PERFORM count(*) FROM profile.customer_profiles(
        'SELECT g % 20000, timestamptz ''2025-01-01'' + g * interval ''1 minute'', 1.0, ''x''
         FROM generate_series(1, 40000) g');
    RAISE EXCEPTION 'the budget was not enforced';
EXCEPTION WHEN program_limit_exceeded THEN
    RAISE WARNING 'over the memory budget: %', SQLSTATE;
END $$;

RESET profile.memory_budget;
RESET enable_sort;
DELETE FROM profile.profile_definitions WHERE name IN ('fold8', 'fold4', 'fold_text', 'fold_aggregate');
DROP TABLE fold_lines;
