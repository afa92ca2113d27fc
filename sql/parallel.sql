-- Aggregates under parallel query and partitionwise aggregation: the plan
-- splits them into partial states that the combine function merges, and
-- the result equals the serial one.
\set VERBOSITY terse
SET timezone = 'UTC';
CREATE SCHEMA par_test;

-- 200 customers, 60000 lines; every order has several lines spread over
-- the table so that workers see parts of the same orders and customers
CREATE TABLE par_test.sales AS
SELECT g % 200 AS customer_id, (g % 5000)::bigint AS order_id,
       timestamptz '2024-01-01' + (g % 5000) * interval '3 hours' AS ordered_at,
       round(((g::bigint * 7919) % 10000) / 100.0 - 10, 2) AS amount
FROM generate_series(1, 60000) g;
ALTER TABLE par_test.sales SET (parallel_workers = 2);
ANALYZE par_test.sales;

CREATE VIEW par_test.summary AS
SELECT customer_id, (s).recency_days, (s).frequency, round((s).monetary::numeric, 6) AS monetary,
       (s).first_order_at, (s).last_order_at, (s).tenure_days,
       round((s).avg_order_value::numeric, 6) AS avg_order_value
FROM (SELECT customer_id, profile.rfm_summary(ordered_at, amount, '2026-01-01', order_id) AS s
      FROM par_test.sales GROUP BY customer_id) t;

-- serial
SET max_parallel_workers_per_gather = 0;
CREATE TABLE par_test.serial AS SELECT * FROM par_test.summary;

-- parallel: the plan has a Partial Aggregate under a Gather
SET max_parallel_workers_per_gather = 2;
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET parallel_leader_participation = off;
SET enable_hashagg = off;
EXPLAIN (COSTS OFF) SELECT * FROM par_test.summary;
CREATE TABLE par_test.parallel AS SELECT * FROM par_test.summary;
RESET enable_hashagg;
SELECT (SELECT count(*) FROM par_test.serial) AS customers,
       (SELECT count(*) FROM (TABLE par_test.serial EXCEPT TABLE par_test.parallel) a) +
       (SELECT count(*) FROM (TABLE par_test.parallel EXCEPT TABLE par_test.serial) b) AS differences;

-- the states really were combined: the frequencies equal count(DISTINCT)
SELECT count(*) AS customers_checked
FROM par_test.parallel p
JOIN (SELECT customer_id, count(DISTINCT order_id) FILTER (WHERE amount >= 0) AS f
      FROM par_test.sales GROUP BY customer_id) o USING (customer_id)
WHERE p.frequency = o.f;
RESET max_parallel_workers_per_gather;
RESET parallel_setup_cost;
RESET parallel_tuple_cost;
RESET min_parallel_table_scan_size;
RESET parallel_leader_participation;

-- partitionwise aggregation: partitions by order, grouped by customer, so
-- each partition yields partial states of the same customers
CREATE TABLE par_test.parts (LIKE par_test.sales) PARTITION BY HASH (order_id);
CREATE TABLE par_test.parts_0 PARTITION OF par_test.parts FOR VALUES WITH (MODULUS 3, REMAINDER 0);
CREATE TABLE par_test.parts_1 PARTITION OF par_test.parts FOR VALUES WITH (MODULUS 3, REMAINDER 1);
CREATE TABLE par_test.parts_2 PARTITION OF par_test.parts FOR VALUES WITH (MODULUS 3, REMAINDER 2);
INSERT INTO par_test.parts SELECT * FROM par_test.sales;
ANALYZE par_test.parts;
SET enable_partitionwise_aggregate = on;
SET max_parallel_workers_per_gather = 0;
CREATE VIEW par_test.parts_summary AS
SELECT customer_id, (s).recency_days, (s).frequency, round((s).monetary::numeric, 6) AS monetary,
       (s).first_order_at, (s).last_order_at, (s).tenure_days,
       round((s).avg_order_value::numeric, 6) AS avg_order_value
FROM (SELECT customer_id, profile.rfm_summary(ordered_at, amount, '2026-01-01', order_id) AS s
      FROM par_test.parts GROUP BY customer_id) t;
EXPLAIN (COSTS OFF) SELECT * FROM par_test.parts_summary;
SELECT (SELECT count(*) FROM (TABLE par_test.serial EXCEPT TABLE par_test.parts_summary) a) +
       (SELECT count(*) FROM (TABLE par_test.parts_summary EXCEPT TABLE par_test.serial) b) AS differences;
RESET enable_partitionwise_aggregate;
RESET max_parallel_workers_per_gather;

-- k-means as an aggregate: the model value (bytes) is the same serial
-- and in parallel, because the rows are put in a canonical
-- order before fitting
CREATE TABLE par_test.points AS
SELECT g, ARRAY[(g % 5) * 10 + (g * 7919) % 13, (g % 3) * 8 + (g * 104729) % 7]::float8[] AS a
FROM generate_series(1, 20000) g;
ALTER TABLE par_test.points SET (parallel_workers = 2);
ANALYZE par_test.points;
SET max_parallel_workers_per_gather = 0;
CREATE TABLE par_test.km_serial AS SELECT profile.kmeans(a, 4) AS model FROM par_test.points;
SET max_parallel_workers_per_gather = 2;
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET parallel_leader_participation = off;
EXPLAIN (COSTS OFF) SELECT profile.kmeans(a, 4) FROM par_test.points;
SELECT (SELECT profile.kmeans(a, 4) FROM par_test.points) = (SELECT model FROM par_test.km_serial) AS same_model_in_parallel;
RESET max_parallel_workers_per_gather;
RESET parallel_setup_cost;
RESET parallel_tuple_cost;
RESET min_parallel_table_scan_size;
RESET parallel_leader_participation;

-- Apriori's counting pass: the counts are the same serial and in parallel,
-- and they equal the baskets plain SQL finds holding each candidate
CREATE TABLE par_test.baskets AS
SELECT g AS basket, ARRAY(SELECT (((g::bigint * 7919 + i * 104729) % 23))::text
                          FROM generate_series(1, 1 + g % 6) i) AS items
FROM generate_series(1, 20000) g;
ALTER TABLE par_test.baskets SET (parallel_workers = 2);
ANALYZE par_test.baskets;
-- five pairs that occur, and one that cannot (items are 0 .. 22)
CREATE TABLE par_test.candidates AS
SELECT ARRAY(SELECT p FROM (SELECT DISTINCT ARRAY[items[1], items[2]] AS p FROM par_test.baskets
                            WHERE basket <= 50 AND cardinality(items) >= 2 AND items[1] <> items[2]) d
             ORDER BY p LIMIT 5) || ARRAY[ARRAY['13', '99']] AS c;
SET max_parallel_workers_per_gather = 0;
CREATE TABLE par_test.counts_serial AS
SELECT profile.itemset_counts(items, (SELECT c FROM par_test.candidates)) AS counts FROM par_test.baskets;
SELECT counts FROM par_test.counts_serial;
SET max_parallel_workers_per_gather = 2;
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET parallel_leader_participation = off;
EXPLAIN (COSTS OFF) SELECT profile.itemset_counts(items, '{{1,2}}') FROM par_test.baskets;
SELECT (SELECT profile.itemset_counts(items, (SELECT c FROM par_test.candidates)) FROM par_test.baskets)
       = (SELECT counts FROM par_test.counts_serial) AS same_counts_in_parallel,
       (SELECT counts FROM par_test.counts_serial)
       = ARRAY(SELECT (SELECT count(*) FROM par_test.baskets b WHERE b.items @> c.cand)
               FROM (SELECT ARRAY[c[i][1], c[i][2]] AS cand, i FROM par_test.candidates, generate_series(1, 6) i) c
               ORDER BY c.i) AS counts_equal_plain_sql;
RESET max_parallel_workers_per_gather;
RESET parallel_setup_cost;
RESET parallel_tuple_cost;
RESET min_parallel_table_scan_size;
RESET parallel_leader_participation;

-- Customer behaviour: states split by order across workers and partitions
-- give the same features as the serial ones (sums to 9 digits)
CREATE FUNCTION par_test.rounded(f profile.behaviour_features)
RETURNS TABLE (orders bigint, lines bigint, spend numeric, returned numeric, recency_days int,
               weekend_share float8, night_share float8, top_weekday int, top_hour int,
               discount_share numeric, categories text[], category_shares numeric[],
               channels text[], cross_channel boolean, trend text)
LANGUAGE sql AS $$
SELECT f.orders, f.lines, round(f.spend::numeric, 9), round(f.returned::numeric, 9), f.recency_days,
       f.weekend_share, f.night_share, f.top_weekday, f.top_hour,
       round(f.discount_share::numeric, 9), f.categories,
       ARRAY(SELECT round(x::numeric, 9) FROM unnest(f.category_shares) x),
       f.channels, f.cross_channel, f.trend
$$;
CREATE VIEW par_test.behaviour AS
SELECT customer_id, (par_test.rounded(profile.behaviour_features(b, '2026-01-01'))).*
FROM (SELECT customer_id,
             profile.behaviour(ordered_at, amount::float8, 'c' || (order_id % 7), amount::float8 + 1,
                               'ch' || (order_id % 3), order_id) AS b
      FROM par_test.sales GROUP BY customer_id) t;
SET max_parallel_workers_per_gather = 0;
CREATE TABLE par_test.bh_serial AS SELECT * FROM par_test.behaviour;
SET max_parallel_workers_per_gather = 2;
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET parallel_leader_participation = off;
SET enable_hashagg = off;
EXPLAIN (COSTS OFF) SELECT * FROM par_test.behaviour;
CREATE TABLE par_test.bh_parallel AS SELECT * FROM par_test.behaviour;
RESET enable_hashagg;
RESET max_parallel_workers_per_gather;
RESET parallel_setup_cost;
RESET parallel_tuple_cost;
RESET min_parallel_table_scan_size;
RESET parallel_leader_participation;
SET enable_partitionwise_aggregate = on;
SET max_parallel_workers_per_gather = 0;
CREATE TABLE par_test.bh_parts AS
SELECT customer_id, (par_test.rounded(profile.behaviour_features(b, '2026-01-01'))).*
FROM (SELECT customer_id,
             profile.behaviour(ordered_at, amount::float8, 'c' || (order_id % 7), amount::float8 + 1,
                               'ch' || (order_id % 3), order_id) AS b
      FROM par_test.parts GROUP BY customer_id) t;
RESET enable_partitionwise_aggregate;
RESET max_parallel_workers_per_gather;
SELECT (SELECT count(*) FROM par_test.bh_serial) AS customers,
       (SELECT sum(orders) FROM par_test.bh_serial) = (SELECT count(DISTINCT order_id) FROM par_test.sales WHERE amount >= 0) AS orders_add_up,
       (SELECT count(*) FROM (TABLE par_test.bh_serial EXCEPT TABLE par_test.bh_parallel) a) +
       (SELECT count(*) FROM (TABLE par_test.bh_parallel EXCEPT TABLE par_test.bh_serial) b) AS parallel_differences,
       (SELECT count(*) FROM (TABLE par_test.bh_serial EXCEPT TABLE par_test.bh_parts) a) +
       (SELECT count(*) FROM (TABLE par_test.bh_parts EXCEPT TABLE par_test.bh_serial) b) AS partitionwise_differences;

-- The form with quantities (1.1): the units and mean unit prices of each
-- category combine too (serial, parallel and partitionwise equal), and the
-- other features are those of the form without quantities
CREATE VIEW par_test.units AS
SELECT t.customer_id, u.category, u.lines, round(u.spend::numeric, 6) AS spend,
       round(u.units::numeric, 6) AS units, round(u.unit_price::numeric, 6) AS unit_price
FROM (SELECT customer_id,
             profile.behaviour(ordered_at, amount::float8, 'c' || (order_id % 7), amount::float8 + 1,
                               'ch' || (order_id % 3), order_id, 1 + (order_id % 4) * 0.5) AS b
      FROM par_test.sales GROUP BY customer_id) t,
     profile.behaviour_categories(t.b) u;
CREATE VIEW par_test.behaviour_q AS
SELECT customer_id, (par_test.rounded(profile.behaviour_features(b, '2026-01-01'))).*
FROM (SELECT customer_id,
             profile.behaviour(ordered_at, amount::float8, 'c' || (order_id % 7), amount::float8 + 1,
                               'ch' || (order_id % 3), order_id, 1 + (order_id % 4) * 0.5) AS b
      FROM par_test.sales GROUP BY customer_id) t;
SET max_parallel_workers_per_gather = 0;
CREATE TABLE par_test.q_serial AS SELECT * FROM par_test.units;
CREATE TABLE par_test.qf_serial AS SELECT * FROM par_test.behaviour_q;
SET max_parallel_workers_per_gather = 2;
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET parallel_leader_participation = off;
SET enable_hashagg = off;
EXPLAIN (COSTS OFF) SELECT * FROM par_test.units;
CREATE TABLE par_test.q_parallel AS SELECT * FROM par_test.units;
RESET enable_hashagg;
RESET max_parallel_workers_per_gather;
RESET parallel_setup_cost;
RESET parallel_tuple_cost;
RESET min_parallel_table_scan_size;
RESET parallel_leader_participation;
SET enable_partitionwise_aggregate = on;
SET max_parallel_workers_per_gather = 0;
CREATE TABLE par_test.q_parts AS
SELECT t.customer_id, u.category, u.lines, round(u.spend::numeric, 6) AS spend,
       round(u.units::numeric, 6) AS units, round(u.unit_price::numeric, 6) AS unit_price
FROM (SELECT customer_id,
             profile.behaviour(ordered_at, amount::float8, 'c' || (order_id % 7), amount::float8 + 1,
                               'ch' || (order_id % 3), order_id, 1 + (order_id % 4) * 0.5) AS b
      FROM par_test.parts GROUP BY customer_id) t,
     profile.behaviour_categories(t.b) u;
RESET enable_partitionwise_aggregate;
RESET max_parallel_workers_per_gather;
-- plain SQL: units and unit prices of the purchase lines per customer and category
CREATE TABLE par_test.q_sql AS
SELECT customer_id, 'c' || (order_id % 7) AS category, count(*) AS lines,
       round(sum(amount::float8)::numeric, 6) AS spend, round(sum(1 + (order_id % 4) * 0.5), 6) AS units,
       round((sum(amount::float8) / sum(1 + (order_id % 4) * 0.5))::numeric, 6) AS unit_price
FROM par_test.sales WHERE amount >= 0 GROUP BY 1, 2;
SELECT (SELECT count(*) FROM par_test.q_serial) AS customer_categories,
       (SELECT count(*) FROM (TABLE par_test.q_serial EXCEPT TABLE par_test.q_sql) a) +
       (SELECT count(*) FROM (TABLE par_test.q_sql EXCEPT TABLE par_test.q_serial) b) AS serial_vs_plain_sql,
       (SELECT count(*) FROM (TABLE par_test.q_serial EXCEPT TABLE par_test.q_parallel) a) +
       (SELECT count(*) FROM (TABLE par_test.q_parallel EXCEPT TABLE par_test.q_serial) b) AS parallel_differences,
       (SELECT count(*) FROM (TABLE par_test.q_serial EXCEPT TABLE par_test.q_parts) a) +
       (SELECT count(*) FROM (TABLE par_test.q_parts EXCEPT TABLE par_test.q_serial) b) AS partitionwise_differences,
       (SELECT count(*) FROM (TABLE par_test.qf_serial EXCEPT TABLE par_test.bh_serial) a) +
       (SELECT count(*) FROM (TABLE par_test.bh_serial EXCEPT TABLE par_test.qf_serial) b) AS features_differ_from_without_quantity;

DROP SCHEMA par_test CASCADE;
