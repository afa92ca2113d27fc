-- Segment dynamics, cohorts and the privacy floor: segment snapshots, the
-- migration matrix and flows between two of them, cohort tables, and the
-- floor (profile.min_group_size, min_group_size arguments) on these, on
-- rfm_segment_summary, audience_summary and the rule outputs.  Expected
-- values are worked by hand in the comments and cross-checked against
-- plain-SQL computations of the same definitions (EXCEPT both ways).
\set VERBOSITY terse
SET TimeZone = 'UTC';
SET DateStyle = 'ISO, YMD';
SET extra_float_digits = 0;
CREATE SCHEMA dyn;
CREATE FUNCTION dyn.try(sql text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE sql;
    RETURN 'ok';
EXCEPTION WHEN OTHERS THEN
    RETURN SQLSTATE;
END $$;

-- ---- segment snapshots: hand-worked ----
-- January: 1-4 and 10 A, 5-7 B, 8 C, 9 a NULL segment (kept as '(none)'),
-- and a row without a customer (left out, NOTICE).
-- February: 1-3, 7, 10 and 12 (new) A; 4-6 B; 9 and 11 (new) C; 8 is gone.
CREATE TABLE dyn.jan (customer_id integer, segment text);
INSERT INTO dyn.jan VALUES (1, 'A'), (2, 'A'), (3, 'A'), (4, 'A'), (5, 'B'), (6, 'B'),
    (7, 'B'), (8, 'C'), (9, NULL), (10, 'A'), (NULL, 'Z');
CREATE TABLE dyn.feb (customer_id integer, segment text);
INSERT INTO dyn.feb VALUES (1, 'A'), (2, 'A'), (3, 'A'), (4, 'B'), (5, 'B'), (6, 'B'),
    (7, 'A'), (9, 'C'), (10, 'A'), (11, 'C'), (12, 'A');
SELECT * FROM profile.segment_snapshot('2026-01', 'SELECT customer_id, segment FROM dyn.jan', '2026-01-31');
SELECT * FROM profile.segment_snapshot('2026-02', 'SELECT customer_id, segment FROM dyn.feb', '2026-02-28');
SELECT snapshot, customer_id, segment, taken_at FROM profile.segment_snapshots
WHERE snapshot = '2026-01' ORDER BY customer_id::int;

-- The matrix, by hand: from A (5: 1-4, 10): 4 stay (1, 2, 3, 10), 1 to B
-- (4); from B (3: 5-7): 2 stay, 1 to A (7); C (8) lost; (none) (9) to C;
-- (new) 11 to C, 12 to A.  To A: 4 + 1 + 1 = 6; to B: 1 + 2 = 3; to C 2.
--   (new)  A   1  1/2  1/6     (new)  C   1  1/2  1/2
--   (none) C   1  1    1/2     A      A   4  4/5  4/6
--   A      B   1  1/5  1/3     B      A   1  1/3  1/6
--   B      B   2  2/3  2/3     C   (lost) 1  1    1
SELECT from_segment, to_segment, customers, round(share_of_from::numeric, 6) AS share_of_from,
       round(share_of_to::numeric, 6) AS share_of_to, suppressed
FROM profile.segment_migration('2026-01', '2026-02');

-- Flows, by hand (before, after, stayed, inflow, outflow, net, retention):
--   (none) 1 0 0 0 1 -1 0;  A 5 6 4 2 1 1 0.8;  B 3 3 2 1 1 0 2/3;  C 1 2 0 2 1 1 0
SELECT segment, customers_before, customers_after, stayed, inflow, outflow, net_change,
       round(retention::numeric, 6) AS retention, suppressed
FROM profile.segment_flows('2026-01', '2026-02');

-- the same snapshot twice: everyone stays
SELECT from_segment, to_segment, customers, share_of_from, share_of_to, suppressed
FROM profile.segment_migration('2026-02', '2026-02');
SELECT segment, customers_before, customers_after, stayed, inflow, outflow, net_change, retention
FROM profile.segment_flows('2026-02', '2026-02');

-- ---- the privacy floor on the hand-worked snapshots ----
-- floor 2 (argument): pairs of 1 customer keep their keys, figures NULL
SELECT from_segment, to_segment, customers, round(share_of_from::numeric, 6) AS share_of_from,
       round(share_of_to::numeric, 6) AS share_of_to, suppressed
FROM profile.segment_migration('2026-01', '2026-02', min_group_size => 2);
-- flows: every segment has a count of 1 somewhere (A's outflow, B's inflow
-- and outflow, C's before, (none)'s before and outflow): all suppressed
SELECT * FROM profile.segment_flows('2026-01', '2026-02', 2);
-- floor 3 from the setting; an argument below it does not lower it
SET profile.min_group_size = 3;
SHOW profile.min_group_size;
SELECT profile.privacy_floor() AS floor, profile.privacy_floor(2) AS floor_arg_2,
       profile.privacy_floor(5) AS floor_arg_5;
SELECT from_segment, to_segment, customers, suppressed
FROM profile.segment_migration('2026-01', '2026-02', min_group_size => 1);
-- the same snapshot twice at floor 3: A (6) and B (3) shown, C (2) not
SELECT segment, customers_before, stayed, suppressed FROM profile.segment_flows('2026-02', '2026-02');
RESET profile.min_group_size;
-- a role that is not a superuser cannot lower (or raise) the setting; it
-- may read snapshots and compare them, not take them without a grant
CREATE ROLE dyn_dashboard;
GRANT USAGE ON SCHEMA dyn TO dyn_dashboard;
GRANT SELECT ON dyn.feb TO dyn_dashboard;
SET ROLE dyn_dashboard;
SET profile.min_group_size = 1;
\echo :LAST_ERROR_SQLSTATE
SELECT count(*) AS pairs FROM profile.segment_migration('2026-01', '2026-02');
SELECT * FROM profile.segment_snapshot('dash', 'SELECT customer_id, segment FROM dyn.feb');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM profile.cohorts('SELECT customer_id, now(), 1 FROM dyn.jan');
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;
GRANT INSERT, DELETE ON profile.segment_snapshots TO dyn_dashboard;
SET ROLE dyn_dashboard;
SELECT * FROM profile.segment_snapshot('dash', 'SELECT customer_id, segment FROM dyn.feb');
DELETE FROM profile.segment_snapshots WHERE snapshot = 'dash';
RESET ROLE;
REVOKE ALL ON profile.segment_snapshots FROM dyn_dashboard;
REVOKE ALL ON SCHEMA dyn FROM dyn_dashboard;
REVOKE ALL ON dyn.feb FROM dyn_dashboard;
DROP ROLE dyn_dashboard;

-- ---- migration and flows against plain SQL, on generated snapshots ----
-- 500 customers with text ids in a k-means-like integer cluster, then 450
-- of them (51 .. 500) and 100 new ones (501 .. 600) in another.
SELECT * FROM profile.segment_snapshot('gen-1',
    $$SELECT 'c' || g, (g * 7) % 5 + 1 FROM generate_series(1, 500) g$$, '2025-06-30');
SELECT * FROM profile.segment_snapshot('gen-2',
    $$SELECT 'c' || g, CASE WHEN g % 4 = 0 THEN (g * 7) % 5 + 1 ELSE (g * 11) % 6 + 1 END
      FROM generate_series(51, 600) g$$, '2025-12-31');
CREATE VIEW dyn.migration_oracle AS
WITH a AS (SELECT customer_id, segment FROM profile.segment_snapshots WHERE snapshot = 'gen-1'),
     b AS (SELECT customer_id, segment FROM profile.segment_snapshots WHERE snapshot = 'gen-2'),
     moves AS (SELECT a.segment AS f, b.segment AS t FROM a JOIN b USING (customer_id)
               UNION ALL SELECT a.segment, '(lost)' FROM a WHERE customer_id NOT IN (SELECT customer_id FROM b)
               UNION ALL SELECT '(new)', b.segment FROM b WHERE customer_id NOT IN (SELECT customer_id FROM a)),
     cells AS (SELECT f, t, count(*) AS n FROM moves GROUP BY f, t)
SELECT f, t, n,
       round(n::numeric / (SELECT count(*) FROM moves m WHERE m.f = cells.f), 6) AS share_of_from,
       round(n::numeric / (SELECT count(*) FROM moves m WHERE m.t = cells.t), 6) AS share_of_to
FROM cells;
CREATE VIEW dyn.migration_result AS
SELECT from_segment, to_segment, customers, round(share_of_from::numeric, 6) AS share_of_from,
       round(share_of_to::numeric, 6) AS share_of_to
FROM profile.segment_migration('gen-1', 'gen-2');
SELECT (SELECT count(*) FROM dyn.migration_oracle) AS cells,
       (SELECT count(*) FROM (SELECT * FROM dyn.migration_oracle EXCEPT SELECT * FROM dyn.migration_result) x) AS missing,
       (SELECT count(*) FROM (SELECT * FROM dyn.migration_result EXCEPT SELECT * FROM dyn.migration_oracle) x) AS extra,
       (SELECT sum(customers) FROM dyn.migration_result) AS customers;

CREATE VIEW dyn.flows_oracle AS
WITH a AS (SELECT customer_id, segment FROM profile.segment_snapshots WHERE snapshot = 'gen-1'),
     b AS (SELECT customer_id, segment FROM profile.segment_snapshots WHERE snapshot = 'gen-2'),
     s AS (SELECT segment FROM a UNION SELECT segment FROM b)
SELECT s.segment,
       (SELECT count(*) FROM a WHERE a.segment = s.segment) AS before,
       (SELECT count(*) FROM b WHERE b.segment = s.segment) AS after,
       (SELECT count(*) FROM a JOIN b USING (customer_id) WHERE a.segment = s.segment AND b.segment = s.segment) AS stayed,
       (SELECT count(*) FROM b LEFT JOIN a USING (customer_id)
        WHERE b.segment = s.segment AND a.segment IS DISTINCT FROM s.segment) AS inflow,
       (SELECT count(*) FROM a LEFT JOIN b USING (customer_id)
        WHERE a.segment = s.segment AND b.segment IS DISTINCT FROM s.segment) AS outflow
FROM s;
CREATE VIEW dyn.flows_result AS
SELECT segment, customers_before, customers_after, stayed, inflow, outflow, net_change,
       round(retention::numeric, 6) AS retention
FROM profile.segment_flows('gen-1', 'gen-2');
SELECT (SELECT count(*) FROM dyn.flows_oracle) AS segments,
       (SELECT count(*) FROM (SELECT segment, before, after, stayed, inflow, outflow, after - before,
                                     round(stayed::numeric / nullif(before, 0), 6) FROM dyn.flows_oracle
                              EXCEPT SELECT * FROM dyn.flows_result) x) AS missing,
       (SELECT count(*) FROM (SELECT * FROM dyn.flows_result
                              EXCEPT SELECT segment, before, after, stayed, inflow, outflow, after - before,
                                     round(stayed::numeric / nullif(before, 0), 6) FROM dyn.flows_oracle) x) AS extra;

-- suppression against the oracle, floor 15 by argument and by setting:
-- exactly the cells under 15 are suppressed, with all figures NULL
SELECT (SELECT count(*) FROM dyn.migration_oracle WHERE n < 15) AS small_cells,
       (SELECT count(*) FROM profile.segment_migration('gen-1', 'gen-2', 15) r
        JOIN dyn.migration_oracle o ON o.f = r.from_segment AND o.t = r.to_segment
        WHERE r.suppressed = (o.n < 15)
          AND CASE WHEN r.suppressed THEN r.customers IS NULL AND r.share_of_from IS NULL AND r.share_of_to IS NULL
                   ELSE r.customers = o.n END) AS agreeing,
       (SELECT count(*) FROM dyn.migration_oracle) AS cells;
SET profile.min_group_size = 15;
SELECT count(*) FILTER (WHERE suppressed) AS suppressed, count(*) FILTER (WHERE NOT suppressed) AS shown,
       min(customers) AS smallest_shown
FROM profile.segment_migration('gen-1', 'gen-2');
-- flows: a segment is suppressed when any of its counts is 1 .. floor - 1;
-- at floor 31, segments 1 and 3 (30 stayed), not 5 (31 stayed) nor 6
-- (new: 0 before, 0 stayed, 0 outflow)
SET profile.min_group_size = 31;
SELECT * FROM profile.segment_flows('gen-1', 'gen-2');
SELECT count(*) AS agreeing
FROM profile.segment_flows('gen-1', 'gen-2') r JOIN dyn.flows_oracle o USING (segment)
WHERE r.suppressed = EXISTS (SELECT FROM unnest(ARRAY[o.before, o.after, o.stayed, o.inflow, o.outflow]) c
                             WHERE c BETWEEN 1 AND 30)
  AND (NOT r.suppressed OR num_nulls(r.customers_before, r.customers_after, r.stayed, r.inflow,
                                     r.outflow, r.net_change, r.retention) = 7);
RESET profile.min_group_size;

-- ---- cohorts: hand-worked ----
-- 1: Jan 15 10, Feb 10 20, Apr 1 5            -> cohort Jan
-- 2: Jan 31 23:30 30, Mar 5 return -10         -> cohort Jan
-- 3: Feb 1 return -5, Feb 20 40, Mar 1 15, Mar 2 NULL amount -> cohort Feb
--    (the return is in the cohort month, so it counts: Feb revenue 35)
-- 4: Feb 14 return -7 only                     -> left out
-- 5: Mar 10 8                                  -> cohort Mar
-- a row without a customer, and 6 with a NULL ordered_at: left out
-- The latest month with a line is April, so January has months 0 .. 3,
-- February 0 .. 2, March 0 .. 1:
--   Jan 0: 2 active (1, 2), 40    Jan 1: 1 (1), 20    Jan 2: 0, -10 (2's return)
--   Jan 3: 1 (1), 5               Feb 0: 1, 35        Feb 1: 1, 15     Feb 2: 0, 0
--   Mar 0: 1, 8                   Mar 1: 0, 0
CREATE TABLE dyn.sales (customer_id integer, ordered_at timestamptz, amount numeric);
INSERT INTO dyn.sales VALUES
    (1, '2025-01-15 10:00', 10), (1, '2025-02-10 10:00', 20), (1, '2025-04-01 00:00', 5),
    (2, '2025-01-31 23:30', 30), (2, '2025-03-05 12:00', -10),
    (3, '2025-02-01 09:00', -5), (3, '2025-02-20 09:00', 40), (3, '2025-03-01 09:00', 15),
    (3, '2025-03-02 09:00', NULL),
    (4, '2025-02-14 09:00', -7),
    (5, '2025-03-10 09:00', 8),
    (NULL, '2025-01-05 09:00', 99),
    (6, NULL, 12);
SELECT cohort, months_since, cohort_customers, active_customers, round(retention::numeric, 6) AS retention,
       revenue, revenue_per_customer, suppressed
FROM profile.cohorts('SELECT customer_id, ordered_at, amount FROM dyn.sales');
-- months => 1 cuts each cohort after its month 1; months => 0 gives the sizes
SELECT cohort, months_since, cohort_customers, active_customers
FROM profile.cohorts('SELECT customer_id, ordered_at, amount FROM dyn.sales', months => 1);
SELECT cohort, months_since, cohort_customers
FROM profile.cohorts('SELECT customer_id, ordered_at, amount FROM dyn.sales', 0);
-- floor 2: the one-customer cohorts and Jan 1 .. 3 (1 active, or 1 with a line)
SELECT cohort, months_since, cohort_customers, active_customers, retention, revenue, suppressed
FROM profile.cohorts('SELECT customer_id, ordered_at, amount FROM dyn.sales', min_group_size => 2);
-- months are the session's: 2025-02-01 02:00 UTC is still January in New York
SELECT cohort FROM profile.cohorts($$SELECT 1, timestamptz '2025-02-01 02:00+00', 1.0$$);
SET TimeZone = 'America/New_York';
SELECT cohort FROM profile.cohorts($$SELECT 1, timestamptz '2025-02-01 02:00+00', 1.0$$);
SET TimeZone = 'UTC';
-- dates and timestamps without time zone, text and uuid ids
SELECT cohort, months_since, active_customers FROM profile.cohorts(
    $$VALUES ('a'::text, date '2025-01-31', 1), ('a', date '2025-02-01', 1), ('b', date '2025-02-28', 1)$$);
SELECT cohort, months_since, active_customers FROM profile.cohorts(
    $$VALUES ('a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'::uuid, timestamp '2025-03-01 00:00', 2.5::real)$$);

-- ---- cohorts against plain SQL, on generated sales ----
-- 400 customers, 6,000 rows over 18 months, some returns (customers 391
-- to 400 have returns only), some guests
CREATE TABLE dyn.gen_sales AS
SELECT CASE WHEN g % 97 = 0 THEN NULL ELSE g % 400 + 1 END AS customer_id,
       timestamptz '2024-01-01' + ((g * 37) % 540) * interval '1 day' + (g % 24) * interval '1 hour' AS ordered_at,
       CASE WHEN g % 400 >= 390 THEN -3 ELSE (g * 13) % 47 - 5 END::numeric AS amount
FROM generate_series(1, 6000) g;
CREATE FUNCTION dyn.cohorts_oracle(months integer, floor integer)
RETURNS TABLE (cohort date, months_since integer, cohort_customers bigint, active_customers bigint,
               retention numeric, revenue numeric, revenue_per_customer numeric, suppressed boolean)
LANGUAGE sql AS $$
    WITH l AS (SELECT customer_id, date_trunc('month', ordered_at)::date AS month, amount
               FROM dyn.gen_sales
               WHERE customer_id IS NOT NULL AND ordered_at IS NOT NULL AND amount IS NOT NULL),
         firsts AS (SELECT customer_id, min(month) AS cohort FROM l WHERE amount >= 0 GROUP BY customer_id),
         used AS (SELECT f.cohort, l.customer_id, l.amount,
                         ((extract(year FROM l.month) - extract(year FROM f.cohort)) * 12
                          + extract(month FROM l.month) - extract(month FROM f.cohort))::int AS k
                  FROM l JOIN firsts f USING (customer_id) WHERE l.month >= f.cohort),
         sizes AS (SELECT cohort, count(*) AS n FROM firsts GROUP BY cohort),
         grid AS (SELECT s.cohort, k, s.n FROM sizes s, generate_series(0, months) k
                  WHERE s.cohort + k * interval '1 month' <= (SELECT max(u.cohort + u.k * interval '1 month') FROM used u)),
         cells AS (SELECT g.cohort, g.k, g.n,
                          count(DISTINCT u.customer_id) FILTER (WHERE u.amount >= 0) AS active,
                          count(DISTINCT u.customer_id) AS with_lines,
                          coalesce(sum(u.amount), 0) AS revenue
                   FROM grid g LEFT JOIN used u USING (cohort, k)
                   GROUP BY g.cohort, g.k, g.n)
    SELECT cohort, k,
           CASE WHEN NOT small THEN n END, CASE WHEN NOT small THEN active END,
           CASE WHEN NOT small THEN round(active::numeric / n, 6) END,
           CASE WHEN NOT small THEN round(revenue, 6) END,
           CASE WHEN NOT small THEN round(revenue / n, 6) END, small
    FROM (SELECT c.*, n < floor OR active BETWEEN 1 AND floor - 1 OR with_lines BETWEEN 1 AND floor - 1 AS small
          FROM cells c) x
$$;
CREATE FUNCTION dyn.cohorts_result(months integer, floor integer)
RETURNS TABLE (cohort date, months_since integer, cohort_customers bigint, active_customers bigint,
               retention numeric, revenue numeric, revenue_per_customer numeric, suppressed boolean)
LANGUAGE sql AS $$
    SELECT cohort, months_since, cohort_customers, active_customers, round(retention::numeric, 6),
           round(revenue::numeric, 6), round(revenue_per_customer::numeric, 6), suppressed
    FROM profile.cohorts('SELECT customer_id, ordered_at, amount FROM dyn.gen_sales', months, floor)
$$;
SET client_min_messages = warning;
SELECT months, floor,
       (SELECT count(*) FROM dyn.cohorts_oracle(months, floor)) AS cells,
       (SELECT count(*) FROM dyn.cohorts_oracle(months, floor) WHERE suppressed) AS suppressed,
       (SELECT count(*) FROM (SELECT * FROM dyn.cohorts_oracle(months, floor)
                              EXCEPT SELECT * FROM dyn.cohorts_result(months, floor)) x) AS missing,
       (SELECT count(*) FROM (SELECT * FROM dyn.cohorts_result(months, floor)
                              EXCEPT SELECT * FROM dyn.cohorts_oracle(months, floor)) x) AS extra
FROM (VALUES (12, 1), (3, 1), (24, 1), (0, 1), (12, 5), (12, 12)) v(months, floor);
-- the same with the floor from the setting, in another time zone
SET TimeZone = 'Asia/Tokyo';
SET profile.min_group_size = 12;
SELECT (SELECT count(*) FROM dyn.cohorts_oracle(12, 12)) AS cells,
       (SELECT count(*) FROM dyn.cohorts_oracle(12, 12) WHERE suppressed) AS suppressed,
       (SELECT count(*) FROM (SELECT * FROM dyn.cohorts_oracle(12, 12)
                              EXCEPT SELECT * FROM dyn.cohorts_result(12, NULL)) x) AS missing,
       (SELECT count(*) FROM (SELECT * FROM dyn.cohorts_result(12, NULL)
                              EXCEPT SELECT * FROM dyn.cohorts_oracle(12, 12)) x) AS extra;
RESET profile.min_group_size;
SET TimeZone = 'UTC';
RESET client_min_messages;
-- the NOTICE's counts, against plain SQL: guest rows, returns before the
-- month of a customer's first purchase (or of a customer without one), and
-- customers without a purchase
SELECT count(*) FROM profile.cohorts('SELECT customer_id, ordered_at, amount FROM dyn.gen_sales');
WITH firsts AS (SELECT customer_id, min(date_trunc('month', ordered_at)) FILTER (WHERE amount >= 0) AS cohort
                FROM dyn.gen_sales WHERE customer_id IS NOT NULL GROUP BY customer_id)
SELECT count(*) FILTER (WHERE s.customer_id IS NULL) AS guest_rows,
       count(*) FILTER (WHERE s.customer_id IS NOT NULL
                          AND (f.cohort IS NULL OR date_trunc('month', s.ordered_at) < f.cohort)) AS early_returns,
       (SELECT count(*) FROM firsts WHERE cohort IS NULL) AS without_purchase
FROM dyn.gen_sales s LEFT JOIN firsts f USING (customer_id);

-- ---- the floor on rfm_segment_summary ----
-- its 1.0 columns as before, plus suppressed; segments under the floor
-- keep their row with NULL figures, after the others: at floor 8,
-- Promising (7 customers)
CREATE VIEW dyn.rfm_oracle AS
SELECT segment, count(*) AS customers, round(count(*)::numeric / sum(count(*)) OVER (), 6) AS customer_share,
       round(avg(monetary)::numeric, 6) AS avg_monetary, round(sum(monetary)::numeric, 6) AS revenue
FROM profile.rfm($$SELECT g % 40, timestamptz '2025-01-01' + ((g * 7) % 300) * interval '1 day', g % 13 + 1, g
                  FROM generate_series(1, 400) g$$, '2026-01-01')
GROUP BY segment;
SELECT segment, customers FROM dyn.rfm_oracle ORDER BY customers DESC, segment;
SELECT segment, customers, round(customer_share::numeric, 6) AS customer_share,
       round(avg_monetary::numeric, 6) AS avg_monetary, round(revenue::numeric, 6) AS revenue, suppressed
FROM profile.rfm_segment_summary($$SELECT g % 40, timestamptz '2025-01-01' + ((g * 7) % 300) * interval '1 day', g % 13 + 1, g
                                   FROM generate_series(1, 400) g$$, '2026-01-01', min_group_size => 8);
SET profile.min_group_size = 8;
SELECT (SELECT count(*) FROM dyn.rfm_oracle) AS segments,
       count(*) FILTER (WHERE s.suppressed = (o.customers < 8)
                          AND CASE WHEN s.suppressed
                                   THEN num_nulls(s.customers, s.customer_share, s.avg_recency_days, s.avg_frequency,
                                                  s.avg_monetary, s.revenue, s.revenue_share) = 7
                                   ELSE s.customers = o.customers AND round(s.revenue::numeric, 6) = o.revenue END) AS agreeing
FROM profile.rfm_segment_summary($$SELECT g % 40, timestamptz '2025-01-01' + ((g * 7) % 300) * interval '1 day', g % 13 + 1, g
                                   FROM generate_series(1, 400) g$$, '2026-01-01') s
JOIN dyn.rfm_oracle o USING (segment);
RESET profile.min_group_size;

-- ---- the floor on audience_summary: the larger of min_customers and the setting ----
SET client_min_messages = warning;
SELECT profile FROM profile.profiles_create('dyn_audience',
    $$SELECT g % 30, timestamptz '2025-01-01' + ((g * 11) % 360) * interval '1 day', (g % 17) + 1.0, 'cat' || g % 3
      FROM generate_series(1, 600) g$$, as_of => '2026-01-01');
RESET client_min_messages;
CREATE VIEW dyn.audience_oracle AS
SELECT coalesce(action, 'none') AS action, count(*) AS customers FROM profile.audience('dyn_audience') GROUP BY 1;
SELECT * FROM dyn.audience_oracle ORDER BY action;
SELECT action, customers, suppressed FROM profile.audience_summary('dyn_audience', min_customers => 1);
-- 30 customers: shown at a floor of 30, not at 31 (as before 1.1: min_customers alone)
SELECT action, customers, suppressed FROM profile.audience_summary('dyn_audience', min_customers => 30);
SELECT action, customers, suppressed FROM profile.audience_summary('dyn_audience', min_customers => 31);
SET profile.min_group_size = 31;
SELECT action, customers, revenue_share, avg_clv, suppressed
FROM profile.audience_summary('dyn_audience', min_customers => 1);
RESET profile.min_group_size;
-- min_customers NULL: the setting alone
SELECT action, customers, suppressed FROM profile.audience_summary('dyn_audience', min_customers => NULL);

-- ---- the floor on rules: a minimum count of baskets ----
-- The textbook baskets (sql/itemsets.sql): bread, milk, diaper 4, beer 3,
-- cola 2, eggs 1; bread+milk, bread+diaper, milk+diaper, diaper+beer 3.
-- At floor 3 only those 8 itemsets are frequent, whatever min_support.
CREATE TABLE dyn.tx (tid integer, item text);
INSERT INTO dyn.tx VALUES
    (1, 'bread'), (1, 'milk'),
    (2, 'bread'), (2, 'diaper'), (2, 'beer'), (2, 'eggs'),
    (3, 'milk'), (3, 'diaper'), (3, 'beer'), (3, 'cola'),
    (4, 'bread'), (4, 'milk'), (4, 'diaper'), (4, 'beer'),
    (5, 'bread'), (5, 'milk'), (5, 'diaper'), (5, 'cola');
SET profile.min_group_size = 3;
SELECT * FROM profile.frequent_itemsets('SELECT tid, item FROM dyn.tx', 0.2);
-- no NOTICE when min_count or min_support already ask for as much
SELECT count(*) FROM profile.frequent_itemsets('SELECT tid, item FROM dyn.tx', 0.2, min_count => 3);
SELECT count(*) FROM profile.frequent_itemsets('SELECT tid, item FROM dyn.tx', 0.6);
-- every algorithm, itemsets and rules: those under the floor are those
-- without it whose count reaches 3
RESET profile.min_group_size;
CREATE TABLE dyn.unfloored_itemsets AS
SELECT * FROM profile.frequent_itemsets('SELECT tid, item FROM dyn.tx', 0.2);
CREATE TABLE dyn.unfloored_rules AS
SELECT * FROM profile.association_rules('SELECT tid, item FROM dyn.tx', 0.2, 0.1);
SET profile.min_group_size = 3;
SET client_min_messages = warning;
SELECT algorithm,
       (SELECT count(*) FROM profile.frequent_itemsets('SELECT tid, item FROM dyn.tx', 0.2, algorithm => algorithm)) AS itemsets,
       (SELECT count(*) FROM (
            SELECT * FROM profile.frequent_itemsets('SELECT tid, item FROM dyn.tx', 0.2, algorithm => algorithm)
            EXCEPT SELECT * FROM dyn.unfloored_itemsets WHERE count >= 3) x) AS extra,
       (SELECT count(*) FROM (
            SELECT * FROM dyn.unfloored_itemsets WHERE count >= 3
            EXCEPT SELECT * FROM profile.frequent_itemsets('SELECT tid, item FROM dyn.tx', 0.2, algorithm => algorithm)) x) AS missing
FROM (VALUES ('fpgrowth'), ('apriori'), ('apriori-scan')) v(algorithm);
SELECT (SELECT count(*) FROM dyn.unfloored_rules) AS rules_without_floor,
       (SELECT count(*) FROM profile.association_rules('SELECT tid, item FROM dyn.tx', 0.2, 0.1)) AS rules,
       (SELECT count(*) FROM (SELECT * FROM profile.association_rules('SELECT tid, item FROM dyn.tx', 0.2, 0.1)
                              EXCEPT SELECT * FROM dyn.unfloored_rules WHERE count >= 3) x) AS extra,
       (SELECT count(*) FROM (SELECT * FROM dyn.unfloored_rules WHERE count >= 3
                              EXCEPT SELECT * FROM profile.association_rules('SELECT tid, item FROM dyn.tx', 0.2, 0.1)) x) AS missing;
-- a stored model keeps the raised minimum count in its parameters
SELECT model, rules FROM profile.rules_fit('dyn_rules_floored', 'SELECT tid, item FROM dyn.tx', 0.2, 0.1);
SELECT params->'min_count' AS min_count FROM profile.models WHERE name = 'dyn_rules_floored';
RESET client_min_messages;
RESET profile.min_group_size;
-- a model fitted without the floor: recommend and the view profile.rules
-- leave out its rules held by fewer baskets than the floor of the reader
SELECT model, rules FROM profile.rules_fit('dyn_rules', 'SELECT tid, item FROM dyn.tx', 0.2, 0.1);
SELECT count(*) AS rules, count(*) FILTER (WHERE count >= 3) AS rules_of_3
FROM profile.rules WHERE model = 'dyn_rules';
SELECT rank, item, antecedent, round(confidence::numeric, 6) AS confidence
FROM profile.recommend('dyn_rules', ARRAY['bread'], n => 10);
SET profile.min_group_size = 3;
SELECT count(*) AS rules FROM profile.rules WHERE model = 'dyn_rules';
SELECT rank, item, antecedent, round(confidence::numeric, 6) AS confidence
FROM profile.recommend('dyn_rules', ARRAY['bread'], n => 10);
-- recommendations equal those of the model's rules of 3 baskets or more:
-- the best confidence per item among rules A => {item} with A in the basket
SELECT (SELECT array_agg(item ORDER BY item) FROM profile.recommend('dyn_rules', ARRAY['bread', 'diaper'], n => 10)) AS recommended,
       (SELECT array_agg(DISTINCT consequent[1] ORDER BY consequent[1]) FROM dyn.unfloored_rules
        WHERE count >= 3 AND cardinality(consequent) = 1 AND antecedent <@ ARRAY['bread', 'diaper']
          AND NOT consequent[1] = ANY (ARRAY['bread', 'diaper'])) AS oracle;
RESET profile.min_group_size;

-- ---- bad input, each with its SQLSTATE ----
SELECT n, name, dyn.try(sql) AS sqlstate FROM (VALUES
    (1, 'snapshot: NULL snapshot', $$SELECT * FROM profile.segment_snapshot(NULL, 'SELECT 1, 1')$$),
    (2, 'snapshot: NULL query', $$SELECT * FROM profile.segment_snapshot('x', NULL)$$),
    (3, 'snapshot: NULL taken_at', $$SELECT * FROM profile.segment_snapshot('x', 'SELECT 1, 1', NULL)$$),
    (4, 'snapshot: empty name', $$SELECT * FROM profile.segment_snapshot('', 'SELECT 1, 1')$$),
    (5, 'snapshot: name with a space', $$SELECT * FROM profile.segment_snapshot('a b', 'SELECT 1, 1')$$),
    (6, 'snapshot: name of 64 characters', $$SELECT * FROM profile.segment_snapshot(repeat('x', 64), 'SELECT 1, 1')$$),
    (7, 'snapshot: duplicate customer', $$SELECT * FROM profile.segment_snapshot('x', 'VALUES (1, 1), (2, 1), (1, 2)')$$),
    (8, 'snapshot: duplicate with one segment', $$SELECT * FROM profile.segment_snapshot('x', 'VALUES (1, 1), (1, 1)')$$),
    (9, 'snapshot: segment (new)', $$SELECT * FROM profile.segment_snapshot('x', 'SELECT 1, ''(new)''')$$),
    (10, 'snapshot: segment (lost)', $$SELECT * FROM profile.segment_snapshot('x', 'SELECT 1, ''(lost)''')$$),
    (11, 'snapshot: one column', $$SELECT * FROM profile.segment_snapshot('x', 'SELECT 1')$$),
    (12, 'snapshot: three columns', $$SELECT * FROM profile.segment_snapshot('x', 'SELECT 1, 1, 1')$$),
    (13, 'snapshot: numeric segment', $$SELECT * FROM profile.segment_snapshot('x', 'SELECT 1, 1.5')$$),
    (14, 'snapshot: float customer', $$SELECT * FROM profile.segment_snapshot('x', 'SELECT 1.5::float8, 1')$$),
    (15, 'snapshot: DML', $$SELECT * FROM profile.segment_snapshot('x', 'DELETE FROM dyn.jan RETURNING customer_id, segment')$$),
    (16, 'snapshot: two statements', $$SELECT * FROM profile.segment_snapshot('x', 'SELECT 1, 1; SELECT 2, 2')$$),
    (17, 'snapshot: syntax error', $$SELECT * FROM profile.segment_snapshot('x', 'SELEKT 1, 1')$$),
    (18, 'snapshot: no rows', $$SELECT * FROM profile.segment_snapshot('x', 'SELECT 1, 1 WHERE false')$$),
    (19, 'migration: NULL from', $$SELECT * FROM profile.segment_migration(NULL, '2026-01')$$),
    (20, 'migration: NULL to', $$SELECT * FROM profile.segment_migration('2026-01', NULL)$$),
    (21, 'migration: unknown from', $$SELECT * FROM profile.segment_migration('nope', '2026-01')$$),
    (22, 'migration: unknown to', $$SELECT * FROM profile.segment_migration('2026-01', 'nope')$$),
    (23, 'migration: min_group_size 0', $$SELECT * FROM profile.segment_migration('2026-01', '2026-02', 0)$$),
    (24, 'migration: min_group_size -1', $$SELECT * FROM profile.segment_migration('2026-01', '2026-02', -1)$$),
    (25, 'migration: min_group_size 1000001', $$SELECT * FROM profile.segment_migration('2026-01', '2026-02', 1000001)$$),
    (26, 'migration: from = to', $$SELECT * FROM profile.segment_migration('2026-01', '2026-01')$$),
    (27, 'flows: NULL from', $$SELECT * FROM profile.segment_flows(NULL, '2026-01')$$),
    (28, 'flows: unknown to', $$SELECT * FROM profile.segment_flows('2026-01', 'nope')$$),
    (29, 'flows: min_group_size 0', $$SELECT * FROM profile.segment_flows('2026-01', '2026-02', 0)$$),
    (30, 'cohorts: NULL query', $$SELECT * FROM profile.cohorts(NULL)$$),
    (31, 'cohorts: NULL months', $$SELECT * FROM profile.cohorts('SELECT 1, now(), 1', NULL)$$),
    (32, 'cohorts: months -1', $$SELECT * FROM profile.cohorts('SELECT 1, now(), 1', -1)$$),
    (33, 'cohorts: months 1201', $$SELECT * FROM profile.cohorts('SELECT 1, now(), 1', 1201)$$),
    (34, 'cohorts: months 1200', $$SELECT * FROM profile.cohorts('SELECT 1, now(), 1', 1200)$$),
    (35, 'cohorts: min_group_size 0', $$SELECT * FROM profile.cohorts('SELECT 1, now(), 1', 12, 0)$$),
    (36, 'cohorts: two columns', $$SELECT * FROM profile.cohorts('SELECT 1, now()')$$),
    (37, 'cohorts: text amount', $$SELECT * FROM profile.cohorts('SELECT 1, now(), ''1''::text')$$),
    (38, 'cohorts: integer ordered_at', $$SELECT * FROM profile.cohorts('SELECT 1, 2, 3')$$),
    (39, 'cohorts: NaN amount', $$SELECT * FROM profile.cohorts('SELECT 1, now(), ''NaN''::float8')$$),
    (40, 'cohorts: -Infinity amount', $$SELECT * FROM profile.cohorts('VALUES (1, now(), 5.0), (1, now(), ''-Infinity''::numeric)')$$),
    (41, 'cohorts: infinite ordered_at', $$SELECT * FROM profile.cohorts('SELECT 1, ''infinity''::timestamptz, 1')$$),
    (42, 'cohorts: DML', $$SELECT * FROM profile.cohorts('DELETE FROM dyn.sales RETURNING customer_id, ordered_at, amount')$$),
    (43, 'cohorts: no rows', $$SELECT * FROM profile.cohorts('SELECT 1, now(), 1 WHERE false')$$),
    (44, 'cohorts: revenue overflow', $$SELECT * FROM profile.cohorts('VALUES (1, now(), 1e308::float8), (2, now(), 1e308::float8)')$$),
    (45, 'privacy_floor: 0', $$SELECT profile.privacy_floor(0)$$),
    (46, 'privacy_floor: 1000000', $$SELECT profile.privacy_floor(1000000)$$),
    (47, 'rfm_segment_summary: min_group_size 0', $$SELECT * FROM profile.rfm_segment_summary('SELECT 1, now(), 1', min_group_size => 0)$$),
    (48, 'setting: 0', $$SET profile.min_group_size = 0$$),
    (49, 'setting: 1000001', $$SET profile.min_group_size = 1000001$$)
) v(n, name, sql) ORDER BY n;
-- no rows: nothing stored, the earlier snapshot of that name kept
SELECT * FROM profile.segment_snapshot('2026-01', 'SELECT customer_id, segment FROM dyn.jan WHERE false');
SELECT count(*) FROM profile.segment_snapshots WHERE snapshot = '2026-01';
-- empty input gives no rows
SELECT count(*) FROM profile.cohorts('SELECT 1, now(), 1 WHERE false');
-- a snapshot taken again replaces the earlier one of its name
SELECT * FROM profile.segment_snapshot('2026-01', 'SELECT customer_id, segment FROM dyn.feb WHERE customer_id < 5');
SELECT customer_id, segment FROM profile.segment_snapshots WHERE snapshot = '2026-01' ORDER BY customer_id;

-- ---- clean up ----
DELETE FROM profile.segment_snapshots WHERE snapshot IN ('2026-01', '2026-02', 'gen-1', 'gen-2');
DELETE FROM profile.models WHERE name IN ('dyn_rules', 'dyn_rules_floored');
DELETE FROM profile.profile_definitions WHERE name = 'dyn_audience';
DROP SCHEMA dyn CASCADE;
