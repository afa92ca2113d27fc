-- k-means: catalogue facts (labels as documented, combinable aggregates
-- with non-internal states) and the planted customer groups of the
-- generated retail data (schema retail) recovered by clustering.
BEGIN;
SET LOCAL client_min_messages = warning;
SELECT plan(9);

SELECT is((SELECT count(*) FROM pg_aggregate a JOIN pg_proc p ON p.oid = a.aggfnoid
           WHERE p.pronamespace = 'profile'::regnamespace
             AND p.proname IN ('kmeans_step', 'kmeans_scaling_stats')
             AND a.aggcombinefn <> 0 AND a.aggtranstype = 'double precision[]'::regtype
             AND p.proparallel = 's'),
          2::bigint, 'the scan-path aggregates combine, ship as double precision[] and are parallel safe');
SELECT is((SELECT provolatile::text || proparallel::text FROM pg_proc
           WHERE oid = 'profile.kmeans_fit(text, text, integer, text, integer, integer, double precision, bigint, double precision[])'::regprocedure),
          'vu', 'kmeans_fit writes a model: volatile, parallel unsafe');
SELECT is((SELECT provolatile::text || proparallel::text || proisstrict::text FROM pg_proc
           WHERE oid = 'profile.kmeans_assign(text, double precision[])'::regprocedure),
          'sstrue', 'kmeans_assign by name reads the catalog: stable, parallel safe, strict');
SELECT is((SELECT provolatile::text || proparallel::text || proisstrict::text FROM pg_proc
           WHERE oid = 'profile.kmeans_assign(bytea, double precision[])'::regprocedure),
          'istrue', 'kmeans_assign by value is immutable, parallel safe, strict');
SELECT ok(has_table_privilege('public', 'profile.kmeans_labels', 'SELECT')
          AND NOT has_table_privilege('public', 'profile.kmeans_labels', 'INSERT'),
          'PUBLIC reads cluster labels, and does not write them');

-- customers of the retail set on recency, frequency and spend
CREATE TEMP TABLE feat AS
SELECT customer_id::bigint AS id, ARRAY[recency_days, frequency, greatest(monetary, 0)]::float8[] AS f
FROM profile.rfm('SELECT o.customer_id, o.ordered_at, l.quantity * l.unit_price, o.order_id
                  FROM retail.orders o JOIN retail.order_lines l USING (order_id)', as_of => '2026-01-01');
SELECT is((SELECT points FROM profile.kmeans_fit('tap_km', 'SELECT id, f FROM feat', 7, scaling => 'log', n_init => 10)),
          1500::bigint, 'kmeans_fit clusters the 1500 customers');

-- adjusted Rand index against the planted groups (docs/retail-data.md)
CREATE TEMP VIEW ari AS
WITH cont AS (
    SELECT c.planted_group, profile.kmeans_assign('tap_km', f.f) AS cluster, count(*) AS n
    FROM feat f JOIN retail.customers c ON c.customer_id = f.id GROUP BY 1, 2),
pairs AS (
    SELECT (SELECT sum(n * (n - 1) / 2.0) FROM cont) AS both_same,
           (SELECT sum(a * (a - 1) / 2.0) FROM (SELECT sum(n) AS a FROM cont GROUP BY planted_group) x) AS same_group,
           (SELECT sum(b * (b - 1) / 2.0) FROM (SELECT sum(n) AS b FROM cont GROUP BY cluster) y) AS same_cluster,
           (SELECT sum(n) * (sum(n) - 1) / 2.0 FROM cont) AS all_pairs)
SELECT (both_same - same_group * same_cluster / all_pairs)
       / ((same_group + same_cluster) / 2 - same_group * same_cluster / all_pairs) AS value
FROM pairs;
SELECT cmp_ok((SELECT value FROM ari), '>=', 0.6, 'the clusters recover the planted groups: adjusted Rand index at least 0.6');

-- the scan path gives the same model on the same data
SELECT is((SELECT sizes FROM profile.kmeans_fit_scan('tap_km_scan', 'SELECT id, f FROM feat', 7, scaling => 'log')),
          (SELECT sizes FROM profile.kmeans_fit('tap_km_mem', 'SELECT id, f FROM feat', 7, scaling => 'log', n_init => 1)),
          'the scan path and the in-memory path agree (same seeds, every row sampled)');

-- assignment by value equals assignment by name
SELECT is((SELECT count(*) FROM feat
           WHERE profile.kmeans_assign('tap_km', f)
                 <> profile.kmeans_assign((SELECT body FROM profile.models WHERE name = 'tap_km'), f)),
          0::bigint, 'kmeans_assign by model value equals by model name');

SELECT * FROM finish();
ROLLBACK;
