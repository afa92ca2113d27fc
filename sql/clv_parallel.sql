-- CLV aggregates under parallel query and partitionwise aggregation: the
-- plan splits them into partial states that the combine functions merge,
-- and the result equals the serial one (the BG/NBD and Gamma-Gamma fits
-- to the bit, since their rows are put in a canonical order; the
-- log-likelihood pass, a plain sum, to a relative 1e-12).
\set VERBOSITY terse
SET timezone = 'UTC';
CREATE SCHEMA clv_par;

-- 300 customers, 60000 lines spread over the table so that workers see
-- parts of the same customers and days
CREATE TABLE clv_par.sales AS
SELECT g % 300 AS customer_id, (g % 7) AS product_id,
       timestamptz '2024-01-01' + ((g::bigint * 7919) % 700) * interval '1 day' + (g % 5) * interval '3 hours' AS ordered_at,
       round(((g::bigint * 104729) % 10000) / 100.0, 2) AS amount
FROM generate_series(1, 60000) g;
ALTER TABLE clv_par.sales SET (parallel_workers = 2);
ANALYZE clv_par.sales;

CREATE VIEW clv_par.summaries AS
SELECT customer_id, (s).frequency, round((s).recency::numeric, 6) AS recency, round((s).t::numeric, 6) AS t,
       round((s).monetary::numeric, 6) AS monetary,
       (h).frequency_cal, (h).frequency_holdout, round((h).monetary_holdout::numeric, 6) AS monetary_holdout,
       (c).purchases, (c).interval_median, round((c).interval_cv::numeric, 9) AS interval_cv, (c).days_overdue
FROM (SELECT customer_id,
             profile.clv_summary(ordered_at, amount::float8, '2025-12-31', 'week') AS s,
             profile.clv_holdout(ordered_at, amount::float8, '2025-06-30', '2025-12-31', 'week') AS h,
             profile.purchase_cycle(ordered_at, '2025-12-31') AS c
      FROM clv_par.sales GROUP BY customer_id) t;

-- 30000 simulated customers for the fits
CREATE TABLE clv_par.customers AS
SELECT * FROM profile.clv_bgnbd_simulate(30000, 0.5, 8, 0.8, 2.5, 30, 90, seed => 11) s,
     LATERAL (SELECT 10 + (s.customer_id * 7919) % 50 AS monetary) m;
ALTER TABLE clv_par.customers SET (parallel_workers = 2);
ANALYZE clv_par.customers;

CREATE VIEW clv_par.fits AS
SELECT profile.clv_bgnbd(frequency::float8, recency, t) AS bg,
       profile.clv_gammagamma(frequency::float8, monetary) AS gg,
       profile.clv_bgnbd_loglik(frequency::float8, recency, t, '{0.5, 10, 0.8, 2.5}') AS ll
FROM clv_par.customers;

-- serial
SET max_parallel_workers_per_gather = 0;
CREATE TABLE clv_par.serial AS SELECT * FROM clv_par.summaries;
CREATE TABLE clv_par.fits_serial AS SELECT * FROM clv_par.fits;

-- parallel: the plans have a Partial Aggregate under a Gather
SET max_parallel_workers_per_gather = 2;
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET parallel_leader_participation = off;
SET enable_hashagg = off;
EXPLAIN (COSTS OFF) SELECT * FROM clv_par.summaries;
CREATE TABLE clv_par.parallel AS SELECT * FROM clv_par.summaries;
RESET enable_hashagg;
SELECT (SELECT count(*) FROM clv_par.serial) AS customers,
       (SELECT count(*) FROM (TABLE clv_par.serial EXCEPT TABLE clv_par.parallel) a) +
       (SELECT count(*) FROM (TABLE clv_par.parallel EXCEPT TABLE clv_par.serial) b) AS differences;
EXPLAIN (COSTS OFF) SELECT * FROM clv_par.fits;
SET client_min_messages = warning;
SELECT p.bg = s.bg AS same_bgnbd, p.gg = s.gg AS same_gammagamma, (p.bg).converged,
       (SELECT bool_and(abs(p.ll[i] - s.ll[i]) <= 1e-12 * abs(s.ll[i])) FROM generate_series(1, 10) i) AS same_loglik
FROM clv_par.fits p, clv_par.fits_serial s;
RESET client_min_messages;
RESET max_parallel_workers_per_gather;
RESET parallel_setup_cost;
RESET parallel_tuple_cost;
RESET min_parallel_table_scan_size;
RESET parallel_leader_participation;

-- partitionwise aggregation: partitions by product, grouped by customer,
-- so each partition yields partial states of the same customers and days
CREATE TABLE clv_par.parts (LIKE clv_par.sales) PARTITION BY LIST (product_id);
CREATE TABLE clv_par.parts_a PARTITION OF clv_par.parts FOR VALUES IN (0, 1, 2);
CREATE TABLE clv_par.parts_b PARTITION OF clv_par.parts FOR VALUES IN (3, 4, 5, 6);
INSERT INTO clv_par.parts SELECT * FROM clv_par.sales;
ANALYZE clv_par.parts;
SET enable_partitionwise_aggregate = on;
SET max_parallel_workers_per_gather = 0;
CREATE VIEW clv_par.parts_summaries AS
SELECT customer_id, (s).frequency, round((s).recency::numeric, 6) AS recency, round((s).t::numeric, 6) AS t,
       round((s).monetary::numeric, 6) AS monetary,
       (h).frequency_cal, (h).frequency_holdout, round((h).monetary_holdout::numeric, 6) AS monetary_holdout,
       (c).purchases, (c).interval_median, round((c).interval_cv::numeric, 9) AS interval_cv, (c).days_overdue
FROM (SELECT customer_id,
             profile.clv_summary(ordered_at, amount::float8, '2025-12-31', 'week') AS s,
             profile.clv_holdout(ordered_at, amount::float8, '2025-06-30', '2025-12-31', 'week') AS h,
             profile.purchase_cycle(ordered_at, '2025-12-31') AS c
      FROM clv_par.parts GROUP BY customer_id) t;
EXPLAIN (COSTS OFF) SELECT * FROM clv_par.parts_summaries;
SELECT (SELECT count(*) FROM (TABLE clv_par.serial EXCEPT TABLE clv_par.parts_summaries) a) +
       (SELECT count(*) FROM (TABLE clv_par.parts_summaries EXCEPT TABLE clv_par.serial) b) AS differences;
RESET enable_partitionwise_aggregate;
RESET max_parallel_workers_per_gather;

DROP SCHEMA clv_par CASCADE;
