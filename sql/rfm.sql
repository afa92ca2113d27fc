-- RFM: the per-customer summary aggregate, tie-aware quantile scores,
-- segment maps, the one call and stored models.  Expected values are
-- worked by hand in the comments and cross-checked against plain SQL.
\set VERBOSITY terse
SET timezone = 'UTC';
SET extra_float_digits = 0;
CREATE SCHEMA rfm_test;

-- Hand-worked data, as_of 2025-01-31.  Per customer (purchases only count
-- for recency and frequency; returns lower monetary):
--   1: orders 101 (Jan 30: 10 + 20) and 102 (Jan 10: 30)
--      recency 1, frequency 2, monetary 60, first Jan 10, tenure 21, aov 30
--   2: 201 (Dec 1: 100), 202 (Jan 20: 50), return 203 (Jan 25: -20)
--      recency 11, frequency 2, monetary 130, tenure 61, aov 65
--   3: 301 (Nov 1: 5): recency 91, frequency 1, monetary 5, tenure 91
--   4: 401 and 402 (both Jan 30: 40 each): recency 1, frequency 2, monetary 80, tenure 1
--   5: 501 (2024-06-15: 1000): recency 230, frequency 1, monetary 1000
--   6: return 601 only (Jan 5: -15): frequency 0, monetary -15, no recency
--   7: 701 (Jan 31 08:00: 7) and 702 with a NULL amount (skipped):
--      recency 0, frequency 1, monetary 7
--   guests (NULL customer): 901 and 902
CREATE TABLE rfm_test.sales (customer_id int, order_id int, ordered_at timestamptz, amount numeric);
INSERT INTO rfm_test.sales VALUES
    (1, 101, '2025-01-30 10:00', 10), (1, 101, '2025-01-30 10:00', 20),
    (1, 102, '2025-01-10 09:00', 30),
    (2, 201, '2024-12-01 12:00', 100), (2, 202, '2025-01-20 18:30', 50),
    (2, 203, '2025-01-25 11:00', -20),
    (3, 301, '2024-11-01 23:59', 5),
    (4, 401, '2025-01-30 08:00', 40), (4, 402, '2025-01-30 17:00', 40),
    (5, 501, '2024-06-15 00:00', 1000),
    (6, 601, '2025-01-05 10:00', -15),
    (7, 701, '2025-01-31 08:00', 7), (7, 702, '2025-01-31 09:00', NULL),
    (NULL, 901, '2025-01-02 10:00', 12), (NULL, 902, '2025-01-03 10:00', 13);

-- ---- the summary aggregate ----
SELECT customer_id, (s).*
FROM (SELECT customer_id, profile.rfm_summary(ordered_at, amount, '2025-01-31', order_id::bigint) AS s
      FROM rfm_test.sales WHERE customer_id IS NOT NULL GROUP BY customer_id) t
ORDER BY customer_id;

-- without order ids, frequency counts purchase rows: customer 1 has 3
SELECT customer_id, (profile.rfm_summary(ordered_at, amount, '2025-01-31')).frequency
FROM rfm_test.sales WHERE customer_id IN (1, 2, 4) GROUP BY customer_id ORDER BY customer_id;

-- the same definition in plain SQL gives the same rows (no difference either way)
CREATE VIEW rfm_test.summary_oracle AS
SELECT customer_id,
       date '2025-01-31' - (max(ordered_at) FILTER (WHERE amount >= 0))::date AS recency_days,
       count(DISTINCT order_id) FILTER (WHERE amount >= 0) AS frequency,
       sum(amount)::float8 AS monetary,
       min(ordered_at) FILTER (WHERE amount >= 0) AS first_order_at,
       max(ordered_at) FILTER (WHERE amount >= 0) AS last_order_at,
       date '2025-01-31' - (min(ordered_at) FILTER (WHERE amount >= 0))::date AS tenure_days,
       sum(amount)::float8 / NULLIF(count(DISTINCT order_id) FILTER (WHERE amount >= 0), 0) AS avg_order_value
FROM rfm_test.sales
WHERE customer_id IS NOT NULL AND amount IS NOT NULL AND ordered_at IS NOT NULL
GROUP BY customer_id;
CREATE VIEW rfm_test.summary_ours AS
SELECT customer_id, (s).*
FROM (SELECT customer_id, profile.rfm_summary(ordered_at, amount, '2025-01-31', order_id::bigint) AS s
      FROM rfm_test.sales WHERE customer_id IS NOT NULL GROUP BY customer_id) t;
SELECT count(*) AS differences FROM (
    (TABLE rfm_test.summary_ours EXCEPT TABLE rfm_test.summary_oracle)
    UNION ALL
    (TABLE rfm_test.summary_oracle EXCEPT TABLE rfm_test.summary_ours)) d;

-- text and uuid order ids count the same distinct orders
SELECT customer_id,
       (profile.rfm_summary(ordered_at, amount, '2025-01-31', order_id::text)).frequency AS by_text,
       (profile.rfm_summary(ordered_at, amount, '2025-01-31',
            md5(order_id::text)::uuid)).frequency AS by_uuid
FROM rfm_test.sales WHERE customer_id IS NOT NULL GROUP BY customer_id ORDER BY customer_id;

-- order id 0 is an order like any other
SELECT (profile.rfm_summary(t, 1, '2025-01-31', id)).frequency
FROM (VALUES (timestamptz '2025-01-01', 0::bigint), ('2025-01-02', 0), ('2025-01-03', 5)) v(t, id);

-- many orders of one customer: the order set grows past its first size.
-- 10000 hourly rows, two per order, from 2024-01-01 to 2025-02-20 15:00:
-- 5000 orders, monetary 10000, recency Feb 20 -> Mar 1 = 9 days, tenure
-- 2024-01-01 -> 2025-03-01 = 366 + 59 = 425 days
SELECT (s).frequency, (s).monetary, (s).recency_days, (s).tenure_days
FROM (SELECT profile.rfm_summary(timestamptz '2024-01-01' + g * interval '1 hour', 1,
                                 '2025-03-01', (g / 2)::bigint) AS s
      FROM generate_series(0, 9999) g) t;

-- edge cases
SELECT profile.rfm_summary(ordered_at, amount, '2025-01-31') IS NULL AS no_rows
FROM rfm_test.sales WHERE false;
SELECT (profile.rfm_summary(NULL::timestamptz, 1, '2025-01-31')) IS NULL AS null_rows_only;
SELECT (profile.rfm_summary(ordered_at, amount::float8, '2025-01-31')).*
FROM (VALUES (timestamptz '2025-01-31 23:59:59', 1.5)) v(ordered_at, amount);  -- same day: recency 0
SELECT profile.rfm_summary(now(), 'NaN', '2025-01-31');          -- 22000
\echo :LAST_ERROR_SQLSTATE
SELECT profile.rfm_summary(now(), '-Infinity', '2025-01-31');    -- 22000
\echo :LAST_ERROR_SQLSTATE
SELECT profile.rfm_summary('infinity', 1, '2025-01-31');          -- 22000
\echo :LAST_ERROR_SQLSTATE
SELECT profile.rfm_summary('2025-01-01', 1, NULL);                -- 22004
\echo :LAST_ERROR_SQLSTATE
SELECT profile.rfm_summary('2025-01-01', 1, 'infinity');          -- 22023
\echo :LAST_ERROR_SQLSTATE
SELECT profile.rfm_summary(t, 1, a)                                 -- 22023: as_of differs
FROM (VALUES (timestamptz '2025-01-01', timestamptz '2025-01-31'), ('2025-01-02', '2025-02-01')) v(t, a);
\echo :LAST_ERROR_SQLSTATE
SELECT profile.rfm_summary(t, 1, '2025-01-31')                      -- 22023: a row after as_of
FROM (VALUES (timestamptz '2025-01-01'), ('2025-02-01 00:00')) v(t);
\echo :LAST_ERROR_SQLSTATE
SELECT profile.rfm_summary(t, -1, '2025-01-31')                     -- a return after as_of too
FROM (VALUES (timestamptz '2025-02-02')) v(t);
\echo :LAST_ERROR_SQLSTATE
SELECT (profile.rfm_summary('2025-01-01', 1e308, '2025-01-31')).monetary  -- 22003
FROM generate_series(1, 2);
\echo :LAST_ERROR_SQLSTATE

-- days are calendar days in the session's time zone: across the spring DST
-- change in Berlin (2025-03-30 has 23 hours) an order 47 hours before
-- as_of is 2 days back, and one at 23:30 is on its own day
SET timezone = 'Europe/Berlin';
SELECT (s).recency_days, (s).tenure_days
FROM (SELECT profile.rfm_summary(t, 1, '2025-03-31 00:00') AS s
      FROM (VALUES (timestamptz '2025-03-29 00:00'), ('2025-03-29 00:00')) v(t)) x;
SELECT (profile.rfm_summary(timestamptz '2025-03-30 23:30', 1, timestamptz '2025-03-31 00:10')).recency_days;
SET timezone = 'UTC';

-- the support functions cannot be abused from SQL
SELECT profile.rfm_summary_transfn(NULL, now(), 1, now());         -- 0A000
\echo :LAST_ERROR_SQLSTATE
SELECT profile.rfm_summary_finalfn('\x0102'::bytea);                -- 22P03
\echo :LAST_ERROR_SQLSTATE
SELECT profile.rfm_summary_finalfn(decode(repeat('00', 100), 'hex'));  -- 22P03
\echo :LAST_ERROR_SQLSTATE
-- a hand-made initial state is refused, not trusted
CREATE AGGREGATE rfm_test.forged(timestamptz, float8, timestamptz, bigint) (
    SFUNC = profile.rfm_summary_transfn, STYPE = bytea, INITCOND = '\x0101');
SELECT rfm_test.forged(now(), 1, now(), 1);                          -- 22P03
\echo :LAST_ERROR_SQLSTATE

-- ---- tie-aware quantile scores ----
-- score = 1 + floor(bins * (values strictly worse) / n).  Values
-- 1,1,1,2,2,3,4,5,5,9 with 5 bins: below(1) = 0 -> 1; below(2) = 3 -> 2;
-- below(3) = 5 -> 3; below(4) = 6 -> 4; below(5) = 7 -> 4; below(9) = 9 -> 5.
-- ntile(5) gives the three 1s two different scores; quantile_score never.
SELECT v, ntile(5) OVER (ORDER BY v) AS ntile,
       profile.quantile_score(v, 5) OVER () AS score,
       profile.quantile_score(v, 5, descending => true) OVER () AS score_desc
FROM unnest(ARRAY[1, 1, 1, 2, 2, 3, 4, 5, 5, 9]) v ORDER BY v, ntile;

-- one value filling several bins takes the lowest of them: 6 of 10 equal
SELECT v, profile.quantile_score(v, 5) OVER () AS score, count(*)
FROM unnest(ARRAY[1, 1, 1, 1, 1, 1, 2, 2, 3, 4]) v GROUP BY v ORDER BY v;

-- against plain SQL (rank() - 1 counts the values strictly below) on 1000
-- values with many ties, per partition, ascending and descending
CREATE TABLE rfm_test.values AS
SELECT g % 3 AS part, ((g * 7919) % 101) / 4.0 AS v FROM generate_series(1, 1000) g;
INSERT INTO rfm_test.values VALUES (0, NULL), (1, NULL);
SELECT count(*) AS rows_compared,
       count(*) FILTER (WHERE score IS DISTINCT FROM oracle) AS asc_differences,
       count(*) FILTER (WHERE score_desc IS DISTINCT FROM oracle_desc) AS desc_differences
FROM (SELECT profile.quantile_score(v, 7) OVER w AS score,
             profile.quantile_score(v, 7, true) OVER w AS score_desc,
             CASE WHEN v IS NOT NULL THEN
                 1 + (7 * (rank() OVER (PARTITION BY part, v IS NULL ORDER BY v) - 1))
                     / count(v) OVER w END AS oracle,
             CASE WHEN v IS NOT NULL THEN
                 1 + (7 * (rank() OVER (PARTITION BY part, v IS NULL ORDER BY v DESC) - 1))
                     / count(v) OVER w END AS oracle_desc
      FROM rfm_test.values WINDOW w AS (PARTITION BY part)) s;

-- NULL values score NULL and do not count; a single value scores 1
SELECT v, profile.quantile_score(v, 5) OVER () FROM (VALUES (NULL::float8), (3), (NULL)) t(v) ORDER BY v;
SELECT profile.quantile_score(42, 5) OVER ();
SELECT profile.quantile_score(v, 1) OVER () FROM (VALUES (1.0)) t(v);       -- 22023
\echo :LAST_ERROR_SQLSTATE
SELECT profile.quantile_score(v, 1001) OVER () FROM (VALUES (1.0)) t(v);    -- 22023
\echo :LAST_ERROR_SQLSTATE
SELECT profile.quantile_score(v, NULL) OVER () FROM (VALUES (1.0)) t(v);    -- 22004
\echo :LAST_ERROR_SQLSTATE
SELECT profile.quantile_score(v, 5, NULL) OVER () FROM (VALUES (1.0)) t(v); -- 22004
\echo :LAST_ERROR_SQLSTATE
SELECT profile.quantile_score(v, 5) OVER () FROM (VALUES (1.0), ('NaN')) t(v);  -- 22000
\echo :LAST_ERROR_SQLSTATE
SELECT profile.quantile_score(v, 5) OVER () FROM (VALUES (1.0), ('Infinity')) t(v);  -- 22000
\echo :LAST_ERROR_SQLSTATE

-- ---- segment maps ----
SELECT name, bins, default_segment, builtin FROM profile.rfm_segment_maps ORDER BY name;

-- rf_grid against the grid written as a CASE (no cell differs, M ignored)
SELECT count(*) AS cells, count(*) FILTER (WHERE profile.rfm_segment('rf_grid', r, f, m) <> CASE
         WHEN r <= 2 AND f <= 2 THEN 'Hibernating'
         WHEN r <= 2 AND f <= 4 THEN 'At Risk'
         WHEN r <= 2 THEN 'Can''t Lose'
         WHEN r = 3 AND f <= 2 THEN 'About to Sleep'
         WHEN r = 3 AND f = 3 THEN 'Need Attention'
         WHEN r IN (3, 4) AND f >= 4 THEN 'Loyal'
         WHEN r = 4 AND f = 1 THEN 'Promising'
         WHEN r = 5 AND f = 1 THEN 'New Customers'
         WHEN f IN (2, 3) THEN 'Potential Loyalists'
         ELSE 'Champions' END) AS differences
FROM generate_series(1, 5) r, generate_series(1, 5) f, generate_series(1, 5) m;

-- r_rfm against R's rfm_segment(): first match in the documented order, else Others
SELECT count(*) AS cells, count(*) FILTER (WHERE profile.rfm_segment('r_rfm', r, f, m) <> CASE
         WHEN r BETWEEN 4 AND 5 AND f BETWEEN 4 AND 5 AND m BETWEEN 4 AND 5 THEN 'Champions'
         WHEN r BETWEEN 2 AND 5 AND f BETWEEN 3 AND 5 AND m BETWEEN 3 AND 5 THEN 'Loyal Customers'
         WHEN r BETWEEN 3 AND 5 AND f BETWEEN 1 AND 3 AND m BETWEEN 1 AND 3 THEN 'Potential Loyalist'
         WHEN r BETWEEN 4 AND 5 AND f = 1 AND m = 1 THEN 'New Customers'
         WHEN r BETWEEN 3 AND 4 AND f = 1 AND m = 1 THEN 'Promising'
         WHEN r BETWEEN 2 AND 3 AND f BETWEEN 2 AND 3 AND m BETWEEN 2 AND 3 THEN 'Need Attention'
         WHEN r BETWEEN 2 AND 3 AND f BETWEEN 1 AND 2 AND m BETWEEN 1 AND 2 THEN 'About To Sleep'
         WHEN r BETWEEN 1 AND 2 AND f BETWEEN 2 AND 5 AND m BETWEEN 2 AND 5 THEN 'At Risk'
         WHEN r = 1 AND f BETWEEN 4 AND 5 AND m BETWEEN 4 AND 5 THEN 'Can''t Lose Them'
         WHEN r BETWEEN 1 AND 2 AND f BETWEEN 1 AND 2 AND m BETWEEN 1 AND 2 THEN 'Lost'
         ELSE 'Others' END) AS differences,
       count(*) FILTER (WHERE profile.rfm_segment('r_rfm', r, f, m) IN ('New Customers', 'Promising')) AS shadowed
FROM generate_series(1, 5) r, generate_series(1, 5) f, generate_series(1, 5) m;
SELECT profile.rfm_segment('r_rfm', 4, 1, 1), profile.rfm_segment('r_rfm', 3, 5, 1),
       profile.rfm_segment('rf_grid', 5, 1, 3);

-- a map of one's own: three rules and a default; Whales override the rest
BEGIN;
INSERT INTO profile.rfm_segment_maps (name, bins, default_segment) VALUES ('simple3', 3, 'Other');
INSERT INTO profile.rfm_segment_rules (segment_map, priority, segment, r_min, r_max, f_min, f_max, m_min, m_max) VALUES
    ('simple3', 1, 'Whales', NULL, NULL, NULL, NULL, 3, 3),
    ('simple3', 2, 'Active', 2, 3, NULL, NULL, NULL, NULL),
    ('simple3', 2, 'Sleeping', 1, 1, 2, 3, NULL, NULL);
COMMIT;
SELECT r, f, m, profile.rfm_segment('simple3', r, f, m)
FROM (VALUES (1, 1, 3), (3, 3, 3), (3, 1, 1), (1, 2, 2), (1, 1, 1)) c(r, f, m) ORDER BY r, f, m;
SELECT profile.rfm_segment('simple3', 4, 1, 1);                     -- 22023
\echo :LAST_ERROR_SQLSTATE
SELECT profile.rfm_segment('no_such_map', 1, 1, 1);                 -- 42704
\echo :LAST_ERROR_SQLSTATE

-- validation when the transaction commits: a gap without a default ...
BEGIN;
INSERT INTO profile.rfm_segment_maps (name, bins) VALUES ('gappy', 2);
INSERT INTO profile.rfm_segment_rules (segment_map, priority, segment, r_min, r_max) VALUES
    ('gappy', 1, 'Recent', 2, 2);
COMMIT;                                                             -- 22023
\echo :LAST_ERROR_SQLSTATE
-- ... two segments of the same priority sharing cells ...
BEGIN;
INSERT INTO profile.rfm_segment_maps (name, bins, default_segment) VALUES ('overlapping', 2, 'Other');
INSERT INTO profile.rfm_segment_rules (segment_map, priority, segment, r_min, f_min) VALUES
    ('overlapping', 1, 'A', 1, 1), ('overlapping', 1, 'B', 2, 2);
COMMIT;                                                             -- 22023
\echo :LAST_ERROR_SQLSTATE
-- ... a bound outside the scores ...
BEGIN;
INSERT INTO profile.rfm_segment_maps (name, bins, default_segment) VALUES ('outside', 2, 'Other');
INSERT INTO profile.rfm_segment_rules (segment_map, priority, segment, f_max) VALUES ('outside', 1, 'A', 3);
COMMIT;                                                             -- 22023
\echo :LAST_ERROR_SQLSTATE
-- ... and a later change that opens a gap (the map stays as it was)
UPDATE profile.rfm_segment_maps SET default_segment = NULL WHERE name = 'simple3';  -- 22023
\echo :LAST_ERROR_SQLSTATE
SELECT default_segment FROM profile.rfm_segment_maps WHERE name = 'simple3';
UPDATE profile.rfm_segment_maps SET default_segment = 'Others' WHERE name = 'simple3';
SELECT profile.rfm_segment('simple3', 1, 1, 1);
SELECT name FROM profile.rfm_segment_maps WHERE name IN ('gappy', 'overlapping', 'outside');
-- built-in maps are read-only
UPDATE profile.rfm_segment_rules SET segment = 'Lapsed' WHERE segment_map = 'rf_grid' AND segment = 'Hibernating';  -- 42501
\echo :LAST_ERROR_SQLSTATE
DELETE FROM profile.rfm_segment_maps WHERE name = 'r_rfm';          -- 42501
\echo :LAST_ERROR_SQLSTATE
INSERT INTO profile.rfm_segment_maps (name, builtin) VALUES ('fake', true);  -- 42501
\echo :LAST_ERROR_SQLSTATE

-- ---- one call ----
-- Six customers score (customer 6 has returns only and is left out;
-- guests and the NULL amount are counted in the NOTICE).  Worked by hand:
--   recency (descending) 0,1,1,11,91,230: strictly greater 5,3,3,2,1,0
--     -> 1 + floor(5 * k / 6) = 5,3,3,2,1,1
--   frequency 1,1,1,2,2,2: below 0 or 3 -> 1 or 3
--   monetary 5,7,60,80,130,1000: below 0..5 -> 1,1,2,3,4,5
--   cells: 1 '332' Need Attention, 2 '234' At Risk, 3 '111' Hibernating,
--   4 '333' Need Attention, 5 '115' Hibernating, 7 '511' New Customers
SELECT * FROM profile.rfm('SELECT customer_id, ordered_at, amount, order_id FROM rfm_test.sales',
                          as_of => '2025-01-31')
ORDER BY customer_id;

-- the one call equals its building blocks: aggregate, window function, map
CREATE VIEW rfm_test.blocks AS
SELECT customer_id::text, recency_days, frequency, monetary, first_order_at, last_order_at,
       tenure_days, avg_order_value, r, f, m, r::text || f::text || m::text AS cell,
       profile.rfm_segment('rf_grid', r, f, m) AS segment
FROM (SELECT *, profile.quantile_score(recency_days, 5, true) OVER () AS r,
                profile.quantile_score(frequency, 5) OVER () AS f,
                profile.quantile_score(monetary, 5) OVER () AS m
      FROM rfm_test.summary_ours WHERE frequency > 0) s;
SELECT count(*) AS differences FROM (
    (SELECT * FROM profile.rfm('SELECT customer_id, ordered_at, amount, order_id FROM rfm_test.sales', '2025-01-31')
     EXCEPT TABLE rfm_test.blocks)
    UNION ALL
    (TABLE rfm_test.blocks EXCEPT
     SELECT * FROM profile.rfm('SELECT customer_id, ordered_at, amount, order_id FROM rfm_test.sales', '2025-01-31'))) d;

-- on 3000 generated customers: the one call, the building blocks and plain
-- SQL (rank-based scores, the grid as a CASE) agree on every customer
CREATE TABLE rfm_test.big AS
SELECT (g % 3000) + 1 AS customer_id, g AS order_id,
       timestamptz '2024-01-01' + ((g * 7919) % 730) * interval '1 day' + (g % 24) * interval '1 hour' AS ordered_at,
       round(((g::bigint * 104729) % 5000) / 10.0 - 20, 2) AS amount
FROM generate_series(1, 30000) g
WHERE g % 7 <> 0 OR g % 3000 < 2000;
CREATE VIEW rfm_test.plain AS
WITH s AS (
    SELECT customer_id::text AS customer_id,
           date '2026-01-01' - (max(ordered_at) FILTER (WHERE amount >= 0))::date AS recency_days,
           count(DISTINCT order_id) FILTER (WHERE amount >= 0) AS frequency,
           sum(amount)::float8 AS monetary
    FROM rfm_test.big GROUP BY customer_id
    HAVING count(*) FILTER (WHERE amount >= 0) > 0),
sc AS (
    SELECT *, 1 + (5 * (rank() OVER (ORDER BY recency_days DESC) - 1)) / count(*) OVER () AS r,
              1 + (5 * (rank() OVER (ORDER BY frequency) - 1)) / count(*) OVER () AS f,
              1 + (5 * (rank() OVER (ORDER BY monetary) - 1)) / count(*) OVER () AS m
    FROM s)
SELECT customer_id, recency_days, frequency, round(monetary::numeric, 6) AS monetary, r, f, m,
       CASE WHEN r <= 2 AND f <= 2 THEN 'Hibernating'
            WHEN r <= 2 AND f <= 4 THEN 'At Risk'
            WHEN r <= 2 THEN 'Can''t Lose'
            WHEN r = 3 AND f <= 2 THEN 'About to Sleep'
            WHEN r = 3 AND f = 3 THEN 'Need Attention'
            WHEN r IN (3, 4) AND f >= 4 THEN 'Loyal'
            WHEN r = 4 AND f = 1 THEN 'Promising'
            WHEN r = 5 AND f = 1 THEN 'New Customers'
            WHEN f IN (2, 3) THEN 'Potential Loyalists'
            ELSE 'Champions' END AS segment
FROM sc;
CREATE TABLE rfm_test.one_call AS
SELECT customer_id, recency_days, frequency, round(monetary::numeric, 6) AS monetary,
       r_score AS r, f_score AS f, m_score AS m, segment
FROM profile.rfm('SELECT customer_id, ordered_at, amount, order_id FROM rfm_test.big', '2026-01-01');
SELECT (SELECT count(*) FROM rfm_test.one_call) AS customers,
       (SELECT count(*) FROM (TABLE rfm_test.one_call EXCEPT TABLE rfm_test.plain) a) +
       (SELECT count(*) FROM (TABLE rfm_test.plain EXCEPT TABLE rfm_test.one_call) b) AS differences,
       (SELECT count(DISTINCT segment) FROM rfm_test.one_call) AS segments;

-- customer ids of every accepted type come back as text that casts back
SELECT customer_id::bigint = 1 AS from_bigint
FROM profile.rfm('SELECT 1::bigint, now(), 1.0') ;
SELECT customer_id FROM profile.rfm($$SELECT 'ab c'::varchar, now(), 1.0$$);
SELECT customer_id::uuid FROM profile.rfm($$SELECT 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'::uuid, now(), 1$$);
SELECT customer_id, frequency FROM profile.rfm($$SELECT c, now(), 1, o FROM (VALUES ('x', 'o1'), ('x', 'o2'), ('x', 'o1')) v(c, o)$$);

-- numeric amounts are read exactly as numeric::float8 reads them (the inner
-- query decodes short numerics itself and passes the rest to PostgreSQL;
-- a zero purchase per customer keeps the negative ones in):
-- 20000 values of 1 to 9 digits at scales 0 to 11, negatives, and values
-- that take the long way (many digits, huge and tiny exponents)
CREATE TABLE rfm_test.nums AS
SELECT g, ((g::bigint * 7919) % 100000007)::numeric / (10::numeric ^ (g % 12)) * (CASE WHEN g % 5 = 0 THEN -1 ELSE 1 END) AS x
FROM generate_series(1, 20000) g
UNION ALL
SELECT 20000 + n, x FROM unnest(ARRAY[0, 0.1, 0.2, 0.3, -0.01, 99999999.99, 1e22, 1e23, 123456789012345678,
    9007199254740993, 9007199254740992.5, 1e-30, 12345678901234567890.12345, 1e300, -1e-300,
    0.000000000000000000001, 4503599627370497.5]::numeric[]) WITH ORDINALITY AS u(x, n);
SELECT count(*) AS values_compared, count(*) FILTER (WHERE r.monetary <> n.x::float8) AS differences
FROM rfm_test.nums n
JOIN profile.rfm('SELECT g, timestamptz ''2025-01-01'', x FROM rfm_test.nums
                  UNION ALL SELECT g, timestamptz ''2025-01-01'', 0 FROM rfm_test.nums', '2025-01-31') r
     ON r.customer_id::int = n.g;

-- edge cases
SELECT count(*) AS no_rows FROM profile.rfm('SELECT 1, now(), 1.0 WHERE false');
SELECT rfm_cell, segment FROM profile.rfm('SELECT 7, timestamptz ''2025-01-01'', 10.0', '2025-01-31');
SELECT count(*), min(rfm_cell), max(rfm_cell)                     -- all identical: all 111
FROM profile.rfm('SELECT g, timestamptz ''2025-01-01'', 10.0 FROM generate_series(1, 50) g', '2025-01-31');
SELECT customer_id, segment FROM profile.rfm('SELECT 1, now(), 1.0', segment_map => NULL);
SELECT customer_id, r_score, segment FROM profile.rfm('SELECT 1, now(), 1.0', bins => 3, segment_map => 'simple3');
SELECT * FROM profile.rfm('SELECT 1, now()');                        -- 42804
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM profile.rfm('SELECT 1, now(), 1, 2, 3');               -- 42804
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM profile.rfm('SELECT 1, ''x''::text, 1.0');              -- 42804
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM profile.rfm('SELECT 1.5, now(), 1.0');                 -- 42804
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM profile.rfm('SELECT 1, now(), ''1''::text');            -- 42804
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM profile.rfm('SELECT 1, now(), 1.0; SELECT 2, now(), 1.0');  -- 22023
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM profile.rfm('DELETE FROM rfm_test.sales RETURNING customer_id, ordered_at, amount');  -- 22023
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM profile.rfm('SELECT 1, now(), ''NaN''::float8');      -- 22000
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM profile.rfm('SELECT 1, now(), 1.0', bins => 1);         -- 22023
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM profile.rfm('SELECT 1, now(), 1.0', bins => 10);        -- 22023
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM profile.rfm('SELECT 1, now(), 1.0', bins => 4);         -- 22023: rf_grid is for 5
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM profile.rfm('SELECT 1, now(), 1.0', bins => NULL);      -- 22004
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM profile.rfm(NULL);                                       -- 22004
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM profile.rfm('SELECT 1, timestamptz ''2025-02-01'', 1.0', as_of => '2025-01-31');  -- 22023
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM profile.rfm('SELECT 1, now(), 1.0', segment_map => 'nope');  -- 42704
\echo :LAST_ERROR_SQLSTATE

-- the memory budget bounds the one call and the window function (54000)
SET profile.memory_budget = '1MB';
SELECT count(*) FROM profile.rfm('SELECT g, now(), 1.0 FROM generate_series(1, 200000) g');  -- 54000
\echo :LAST_ERROR_SQLSTATE
SELECT max(s) FROM (SELECT profile.quantile_score(g, 5) OVER () AS s FROM generate_series(1, 200000) g) t;  -- 54000
\echo :LAST_ERROR_SQLSTATE
RESET profile.memory_budget;

-- a long run stops at statement_timeout (57014) and the session goes on
SET statement_timeout = '200ms';
SELECT count(*) FROM profile.rfm(
    'SELECT g % 100000, timestamptz ''2025-01-01'' + g * interval ''1 second'', 1.0, g
     FROM generate_series(1, 100000000) g');                         -- 57014
\echo :LAST_ERROR_SQLSTATE
RESET statement_timeout;
SELECT count(*) FROM profile.rfm('SELECT 1, now(), 1.0');

-- ---- segment summary ----
SELECT segment, customers, round(customer_share::numeric, 4) AS customer_share,
       round(avg_recency_days::numeric, 2) AS avg_recency_days,
       round(avg_frequency::numeric, 2) AS avg_frequency, round(avg_monetary::numeric, 2) AS avg_monetary,
       revenue, round(revenue_share::numeric, 4) AS revenue_share
FROM profile.rfm_segment_summary('SELECT customer_id, ordered_at, amount, order_id FROM rfm_test.sales', '2025-01-31');

-- ---- stored models ----
-- Boundaries of the hand-worked data (m_j = ceil(j * 6 / 5) = 2, 3, 4, 5):
--   monetary (2nd..5th smallest) 7, 60, 80, 130; frequency 1, 1, 2, 2;
--   recency (2nd..5th largest) 91, 11, 1, 1
SELECT * FROM profile.rfm_fit('rfm_hand', 'SELECT customer_id, ordered_at, amount, order_id FROM rfm_test.sales', '2025-01-31');
SELECT kind, format, params, summary FROM profile.models WHERE name = 'rfm_hand';
SELECT dimension, score, lower_bound, upper_bound, customers
FROM profile.rfm_boundaries WHERE model = 'rfm_hand' ORDER BY dimension, score;

-- the model scores its own customers as the one call did
SELECT count(*) AS customers,
       count(*) FILTER (WHERE (s).r_score <> r.r_score OR (s).f_score <> r.f_score OR (s).m_score <> r.m_score
                        OR (s).rfm_cell <> r.rfm_cell OR (s).segment <> r.segment) AS differences
FROM (SELECT r.*, profile.rfm_score('rfm_hand', r.recency_days, r.frequency, r.monetary) AS s
      FROM profile.rfm('SELECT customer_id, ordered_at, amount, order_id FROM rfm_test.sales', '2025-01-31') r) r;
-- and on 3000 customers
SELECT * FROM profile.rfm_fit('rfm_big', 'SELECT customer_id, ordered_at, amount, order_id FROM rfm_test.big', '2026-01-01');
SELECT count(*) AS customers,
       count(*) FILTER (WHERE (s).r_score <> o.r OR (s).f_score <> o.f OR (s).m_score <> o.m
                        OR (s).segment <> o.segment) AS differences
FROM (SELECT o.*, profile.rfm_score('rfm_big', o.recency_days, o.frequency, o.monetary::float8) AS s
      FROM rfm_test.one_call o) o;
-- new customers are placed by the stored boundaries: a fresh big spender
-- who bought yesterday for the third time; a long-gone one-time buyer
SELECT (profile.rfm_score('rfm_hand', 1, 3, 5000)).*;
SELECT (profile.rfm_score('rfm_hand', 400, 1, 2)).*;
SELECT profile.rfm_score('rfm_hand', -1, 1, 1);                    -- 22023
\echo :LAST_ERROR_SQLSTATE
SELECT profile.rfm_score('rfm_hand', 1, 1, 'NaN');                 -- 22000
\echo :LAST_ERROR_SQLSTATE
SELECT profile.rfm_score('no_such_model', 1, 1, 1);                -- 42704
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM profile.rfm_fit('rfm_empty', 'SELECT 1, now(), 1.0 WHERE false');
SELECT count(*) AS stored FROM profile.models WHERE name = 'rfm_empty';
SELECT * FROM profile.rfm_fit('bad name!', 'SELECT 1, now(), 1.0');  -- 22023
\echo :LAST_ERROR_SQLSTATE
-- a corrupted body is reported, not trusted
UPDATE profile.models SET body = '\x00000005' WHERE name = 'rfm_big';
SELECT profile.rfm_score('rfm_big', 1, 1, 1);                      -- XX001
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM profile.rfm_model_boundaries('\x0000000200');       -- XX001
\echo :LAST_ERROR_SQLSTATE

DELETE FROM profile.models WHERE name LIKE 'rfm\_%';
DELETE FROM profile.rfm_segment_maps WHERE name = 'simple3';
SELECT count(*) AS rules_left FROM profile.rfm_segment_rules WHERE segment_map = 'simple3';
DROP SCHEMA rfm_test CASCADE;
