-- Cluster quality metrics: catalogue facts (combinable aggregates with a
-- state Citus can ship, labels as documented), errors by SQLSTATE, and on
-- the generated retail data (schema retail, docs/retail-data.md) the
-- planted customer groups scoring far better than an arbitrary labelling
-- of the same customers.
BEGIN;
SET LOCAL client_min_messages = warning;
SELECT plan(16);

-- aggregates: combinable, bytea state (not internal), parallel safe,
-- final functions that leave the state alone
SELECT is((SELECT count(*) FROM pg_aggregate a JOIN pg_proc p ON p.oid = a.aggfnoid
           WHERE p.pronamespace = 'profile'::regnamespace
             AND p.proname IN ('silhouette', 'davies_bouldin', 'calinski_harabasz')),
          4::bigint, 'silhouette (two forms), davies_bouldin and calinski_harabasz exist');
SELECT is((SELECT count(*) FROM pg_aggregate a JOIN pg_proc p ON p.oid = a.aggfnoid
           WHERE p.pronamespace = 'profile'::regnamespace
             AND p.proname IN ('silhouette', 'davies_bouldin', 'calinski_harabasz')
             AND a.aggcombinefn <> 0 AND a.aggtranstype = 'bytea'::regtype
             AND p.proparallel = 's' AND a.aggfinalmodify = 'r'),
          4::bigint, 'each has a combine function, a bytea state, is parallel safe and has a read-only final function');
SELECT is((SELECT count(DISTINCT a.aggtransfn) FROM pg_aggregate a JOIN pg_proc p ON p.oid = a.aggfnoid
           WHERE p.pronamespace = 'profile'::regnamespace
             AND p.proname IN ('silhouette', 'davies_bouldin', 'calinski_harabasz') AND p.pronargs = 2),
          1::bigint, 'the two-argument forms share one transition function (one state for all three)');
SELECT is((SELECT count(*) FROM pg_proc p
           WHERE p.pronamespace = 'profile'::regnamespace
             AND p.proname IN ('silhouette', 'davies_bouldin', 'calinski_harabasz')
             AND pg_catalog.obj_description(p.oid, 'pg_proc') NOT LIKE 'Internal:%'),
          4::bigint, 'each aggregate has a user-facing comment');

-- support functions: immutable, parallel safe, commented as internal;
-- final functions strict
SELECT is((SELECT count(*) FROM pg_proc
           WHERE pronamespace = 'profile'::regnamespace
             AND proname IN ('cluster_points_transfn', 'silhouette_transfn', 'cluster_points_combinefn',
                             'silhouette_finalfn', 'davies_bouldin_finalfn', 'calinski_harabasz_finalfn')
             AND provolatile = 'i' AND proparallel = 's' AND NOT prosecdef
             AND pg_catalog.obj_description(oid, 'pg_proc') LIKE 'Internal: %'),
          6::bigint, 'the six support functions are immutable, parallel safe and commented as internal');
SELECT is((SELECT count(*) FROM pg_proc
           WHERE pronamespace = 'profile'::regnamespace
             AND proname IN ('silhouette_finalfn', 'davies_bouldin_finalfn', 'calinski_harabasz_finalfn')
             AND proisstrict),
          3::bigint, 'the final functions are strict (no rows: NULL)');

-- errors
SELECT throws_ok($$SELECT profile.silhouette(ARRAY[1, 'NaN']::float8[], 1)$$, '22000', NULL,
                 'NaN features are refused');
SELECT throws_ok($$SELECT profile.davies_bouldin(ARRAY[[1, 2]]::float8[], 1)$$, '2202E', NULL,
                 'multi-dimensional feature arrays are refused');
SELECT throws_ok($$SELECT profile.calinski_harabasz(f, 1) FROM (VALUES ('{1}'::float8[]), ('{1,2}')) v(f)$$,
                 '22000', NULL, 'rows of different widths are refused');
SELECT throws_ok($$SELECT profile.silhouette(ARRAY[1]::float8[], 1, 1, 0)$$, '22023', NULL,
                 'sample_size below 2 is refused');
SELECT throws_ok($$SELECT profile.silhouette_finalfn('\x01'::bytea)$$, '22P03', NULL,
                 'a malformed state is refused');

-- the planted groups of the retail data, on z-scored recency, log
-- frequency and log monetary value, against customer_id % 7
CREATE TEMP TABLE cm_rfm AS
SELECT c.customer_id, c.planted_group,
       ARRAY[(s).recency_days, ln(1 + (s).frequency), ln(1 + greatest((s).monetary, 0))]::float8[] AS f
FROM (SELECT o.customer_id, profile.rfm_summary(o.ordered_at, l.quantity * l.unit_price, '2026-01-01', o.order_id) AS s
      FROM retail.orders o JOIN retail.order_lines l USING (order_id)
      WHERE o.customer_id IS NOT NULL GROUP BY o.customer_id) t
JOIN retail.customers c USING (customer_id);
CREATE TEMP TABLE cm_scores AS
SELECT labelling, profile.silhouette(z, cluster) AS silhouette,
       profile.davies_bouldin(z, cluster) AS davies_bouldin,
       profile.calinski_harabasz(z, cluster) AS calinski_harabasz
FROM (SELECT ARRAY[(f[1] - m1) / s1, (f[2] - m2) / s2, (f[3] - m3) / s3] AS z,
             l.labelling, l.cluster
      FROM cm_rfm,
           (SELECT avg(f[1]) AS m1, stddev(f[1]) AS s1, avg(f[2]) AS m2, stddev(f[2]) AS s2,
                   avg(f[3]) AS m3, stddev(f[3]) AS s3 FROM cm_rfm) st,
           LATERAL (VALUES ('planted', pg_catalog.hashtext(planted_group)),
                           ('arbitrary', (customer_id % 7)::int)) l(labelling, cluster)) t
GROUP BY labelling;
SELECT cmp_ok((SELECT silhouette FROM cm_scores WHERE labelling = 'planted'), '>', 0.3::float8,
              'planted groups: silhouette above 0.3');
SELECT cmp_ok((SELECT silhouette FROM cm_scores WHERE labelling = 'arbitrary'), '<', 0.05::float8,
              'an arbitrary labelling: silhouette near or below 0');
SELECT ok((SELECT p.davies_bouldin * 10 < a.davies_bouldin
           FROM cm_scores p, cm_scores a WHERE p.labelling = 'planted' AND a.labelling = 'arbitrary'),
          'planted groups: Davies-Bouldin a tenth of the arbitrary labelling''s or less');
SELECT ok((SELECT p.calinski_harabasz > 100 * a.calinski_harabasz
           FROM cm_scores p, cm_scores a WHERE p.labelling = 'planted' AND a.labelling = 'arbitrary'),
          'planted groups: Calinski-Harabasz a hundred times the arbitrary labelling''s or more');
SELECT results_eq(
    $$SELECT profile.silhouette(f, pg_catalog.hashtext(planted_group) ORDER BY customer_id DESC),
             profile.davies_bouldin(f, pg_catalog.hashtext(planted_group) ORDER BY customer_id DESC)
      FROM cm_rfm$$,
    $$SELECT profile.silhouette(f, pg_catalog.hashtext(planted_group) ORDER BY pg_catalog.md5(customer_id::text)),
             profile.davies_bouldin(f, pg_catalog.hashtext(planted_group) ORDER BY pg_catalog.md5(customer_id::text))
      FROM cm_rfm$$,
    'the same customers in another order give the same doubles');

SELECT * FROM finish();
ROLLBACK;
