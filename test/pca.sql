-- PCA: catalogue facts (labels as documented, a combinable aggregate with a
-- state Citus can ship) and the planted customer groups of the generated
-- retail data (schema retail, docs/retail-data.md) on the plane of the
-- first two components.
BEGIN;
SET LOCAL client_min_messages = warning;
SELECT plan(13);

-- the aggregate: two forms, combinable, float8[] state, parallel safe
SELECT is((SELECT count(*) FROM pg_aggregate a JOIN pg_proc p ON p.oid = a.aggfnoid
           WHERE p.pronamespace = 'profile'::regnamespace AND p.proname = 'pca'),
          2::bigint, 'pca has two forms (with and without n_components)');
SELECT is((SELECT count(*) FROM pg_aggregate a JOIN pg_proc p ON p.oid = a.aggfnoid
           WHERE p.pronamespace = 'profile'::regnamespace AND p.proname = 'pca'
             AND a.aggcombinefn = 'profile.pca_combinefn'::regproc
             AND a.aggtranstype = 'double precision[]'::regtype
             AND a.aggserialfn = 0 AND p.proparallel = 's'),
          2::bigint, 'every pca has the combine function, a float8[] state (not internal) and is parallel safe');

-- labels
SELECT is((SELECT provolatile::text || proparallel::text || proisstrict::text FROM pg_proc
           WHERE oid = 'profile.pca_project(double precision[], double precision[], double precision[])'::regprocedure),
          'istrue', 'pca_project is immutable, parallel safe and strict');
SELECT is((SELECT provolatile::text || proparallel::text || proisstrict::text FROM pg_proc
           WHERE oid = 'profile.pca_project(double precision[], profile.pca_result)'::regprocedure),
          'istrue', 'pca_project on a pca_result is immutable, parallel safe and strict');
SELECT is((SELECT count(*) FROM pg_proc
           WHERE pronamespace = 'profile'::regnamespace
             AND proname IN ('pca_transfn', 'pca_combinefn', 'pca_finalfn')
             AND obj_description(oid, 'pg_proc') LIKE 'Internal: %'),
          4::bigint, 'the four support functions are commented as internal');
SELECT is((SELECT count(*) FROM pg_proc
           WHERE pronamespace = 'profile'::regnamespace AND proname IN ('pca', 'pca_project')
             AND obj_description(oid, 'pg_proc') IS NULL),
          0::bigint, 'pca and pca_project are commented');

-- errors
SELECT throws_ok($$SELECT profile.pca(ARRAY[1, 'NaN']::float8[], 1)$$, '22000', NULL,
                 'NaN in features is a data exception');
SELECT throws_ok($$SELECT profile.pca_combinefn(NULL, '{1,1,1,0,0}')$$, '0A000', NULL,
                 'the combine function refuses to run outside an aggregate');

-- the retail customers on the plane of two components: features are
-- log(1 + recency_days), log(frequency) and log(1 + monetary)
CREATE TEMP TABLE pca_customers AS
SELECT c.customer_id, c.planted_group,
       ARRAY[ln(1 + (s).recency_days), ln((s).frequency), ln(1 + greatest((s).monetary, 0))]::float8[] AS f
FROM (SELECT o.customer_id,
             profile.rfm_summary(o.ordered_at, l.quantity * l.unit_price, '2026-01-01', o.order_id) AS s
      FROM retail.orders o JOIN retail.order_lines l USING (order_id)
      WHERE o.customer_id IS NOT NULL GROUP BY o.customer_id) r
JOIN retail.customers c USING (customer_id)
WHERE (s).frequency > 0;
CREATE TEMP TABLE pca_fit AS SELECT profile.pca(f, 2) AS p FROM pca_customers;
CREATE TEMP TABLE pca_scores AS
SELECT customer_id, planted_group, profile.pca_project(f, (SELECT p FROM pca_fit)) AS s
FROM pca_customers;

SELECT cmp_ok((SELECT (p).explained_variance_ratio[1] + (p).explained_variance_ratio[2] FROM pca_fit),
              '>=', 0.9::float8, 'two components explain at least 90% of the variance');
-- (whichever way the sign convention turns the first component)
SELECT ok((SELECT max(s[1]) FROM pca_scores WHERE planted_group = 'champion') <
          (SELECT min(s[1]) FROM pca_scores WHERE planted_group IN ('churned', 'one_timer'))
          OR (SELECT min(s[1]) FROM pca_scores WHERE planted_group = 'champion') >
          (SELECT max(s[1]) FROM pca_scores WHERE planted_group IN ('churned', 'one_timer')),
          'on the first component every champion lies on the other side of every churned customer and one-timer');
SELECT ok((SELECT bool_and(abs(var_samp - (SELECT (p).explained_variance[k] FROM pca_fit))
                           < 1e-9 * (SELECT (p).explained_variance[k] FROM pca_fit))
           FROM (SELECT k, var_samp(s[k]) FROM pca_scores, generate_series(1, 2) k GROUP BY k) v),
          'the scores have the explained variances');
-- each component solves C v = l v for the covariance computed by covar_samp
CREATE TEMP TABLE pca_cov AS
SELECT i, j, covar_samp(f[i], f[j]) AS c
FROM pca_customers, generate_series(1, 3) i, generate_series(1, 3) j GROUP BY i, j;
SELECT ok((SELECT max(abs(cv - (SELECT (p).explained_variance[k] * (p).components[k][i] FROM pca_fit))) < 1e-9
           FROM (SELECT k, i, sum(c * (SELECT (p).components[k][j] FROM pca_fit)) AS cv
                 FROM pca_cov, generate_series(1, 2) k GROUP BY k, i) e),
          'the components are eigenvectors of the plain-SQL covariance');
-- the row order does not matter
SELECT is((SELECT array_agg(round(x::numeric, 9) ORDER BY n)
           FROM (SELECT profile.pca(f, 2 ORDER BY customer_id DESC) AS q FROM pca_customers) t,
                unnest((q).components) WITH ORDINALITY u(x, n)),
          (SELECT array_agg(round(x::numeric, 9) ORDER BY n)
           FROM pca_fit, unnest((p).components) WITH ORDINALITY u(x, n)),
          'the row order does not change the components');

SELECT * FROM finish();
ROLLBACK;
