-- k-means: the one-call trainer, stored models, assignment, labels.
-- Expected values are worked by hand, or come from scikit-learn (see the
-- command in the comment), or from plain SQL over the assignments.
\set VERBOSITY terse
SET extra_float_digits = 0;
CREATE SCHEMA km_test;

-- ---- hand-worked 1-D case ----
-- 1, 2, 3, 10, 11, 12 and k = 2: centroids 2 and 11, inertia
-- 1 + 0 + 1 + 1 + 0 + 1 = 4; from k-means++ the first assignment pass
-- already separates them, the second repeats it (2 iterations)
SELECT model, clusters, points, inertia, iterations, converged, sizes, features
FROM profile.kmeans_fit('km_hand', 'SELECT g, ARRAY[v]::float8[] FROM unnest(ARRAY[1, 2, 3, 10, 11, 12]) WITH ORDINALITY u(v, g)',
                        2, scaling => 'none');
SELECT cluster, size, centroid FROM profile.kmeans_centroids WHERE model = 'km_hand' ORDER BY cluster;
SELECT v, profile.kmeans_assign('km_hand', ARRAY[v]) AS cluster FROM unnest(ARRAY[0, 6, 6.5, 7, 100]::float8[]) v ORDER BY v;
SELECT cluster, distance FROM profile.kmeans_assign_detail('km_hand', ARRAY[4.0]);
-- quality by hand.  Silhouette: point 1 has a = (1 + 2) / 2 = 1.5 and
-- b = (9 + 10 + 11) / 3 = 10, s = 0.85; point 2: a = 1, b = 9, s = 8/9;
-- point 3: a = 1.5, b = 8, s = 0.8125; the other cluster mirrors them:
-- mean 0.850463.  Davies-Bouldin: scatter 2/3 each, centroids 9 apart:
-- (2/3 + 2/3) / 9 = 0.148148.  Calinski-Harabasz: between 3 * 4.5^2 * 2 =
-- 121.5 over 1, within 4 over 6 - 2 = 4: 121.5.
SELECT round(silhouette::numeric, 6) AS silhouette
FROM profile.kmeans_fit('km_hand', 'SELECT g, ARRAY[v]::float8[] FROM unnest(ARRAY[1, 2, 3, 10, 11, 12]) WITH ORDINALITY u(v, g)',
                        2, scaling => 'none');
SELECT k, round(inertia::numeric, 6) AS inertia, round(silhouette::numeric, 6) AS silhouette,
       round(davies_bouldin::numeric, 6) AS davies_bouldin, round(calinski_harabasz::numeric, 6) AS calinski_harabasz,
       selected
FROM profile.kmeans_select_k('SELECT g, ARRAY[v]::float8[] FROM unnest(ARRAY[1, 2, 3, 10, 11, 12]) WITH ORDINALITY u(v, g)',
                             ARRAY[1, 2, 3], scaling => 'none')
ORDER BY k;

-- ---- the aggregate: a model value per group, equal to kmeans_fit ----
SELECT g % 2 AS grp, profile.kmeans_assign(profile.kmeans(ARRAY[v]::float8[], 2, '{"scaling": "none"}'), ARRAY[5.0]) AS cluster_of_5
FROM unnest(ARRAY[1, 2, 3, 10, 11, 12, 1, 2, 4, 20, 21, 22]) WITH ORDINALITY u(v, g)
GROUP BY g % 2 ORDER BY 1;

-- ---- against scikit-learn's Lloyd from the same initial centroids ----
-- 300 points in 3-D.  Oracle (Debian python3-sklearn 1.2.1):
--   psql -c "COPY (SELECT g, a[1], a[2], a[3] FROM km_test.pts ORDER BY g) TO STDOUT CSV" > pts.csv
--   /usr/bin/python3 -c "import csv, numpy as np; from sklearn.cluster import KMeans;
--     X = np.array([[float(v) for v in r[1:]] for r in csv.reader(open('pts.csv'))]);
--     km = KMeans(4, init=np.array([[0,0,0],[1,1,1],[2,2,0],[5,5,1]], float), n_init=1,
--                 max_iter=300, tol=1e-4, algorithm='lloyd').fit(X);
--     print(km.inertia_, km.n_iter_, km.cluster_centers_, ''.join(str(l + 1) for l in km.labels_))"
-- gave inertia 643.8481357222422, 7 iterations, the centroids and labels below.
SET extra_float_digits = 3;
CREATE TABLE km_test.pts AS
SELECT g, ARRAY[(g % 4) * 3.0 + ((g * 7919) % 997) / 997.0 * 2,
                (g % 4 / 2) * 4.0 + ((g * 104729) % 991) / 991.0 * 3,
                ((g * 1299709) % 983) / 983.0]::float8[] AS a
FROM generate_series(1, 300) g;
SELECT abs(inertia / 643.8481357222422 - 1) < 1e-9 AS inertia_matches, iterations, sizes
FROM profile.kmeans_fit('km_sk', 'SELECT g, a FROM km_test.pts', 4, scaling => 'none',
                        init => '{{0,0,0},{1,1,1},{2,2,0},{5,5,1}}');
SELECT string_agg(profile.kmeans_assign('km_sk', a)::text, '' ORDER BY g) =
       '344234413441344234423441344134423441344134423442344134413442344234413442344234413441344234423441344134423441344134423442344134413442344234413442344234413441344234423441344234423441344134423442344134413442344234413442344234413441344234423441344234423441344134423442344134423442344134413442344234413441'
       AS labels_match
FROM km_test.pts;
SELECT c.cluster, round(max(abs(c.centroid[i] - s.centroid[i]))::numeric, 9) AS max_difference
FROM profile.kmeans_centroids c
JOIN (VALUES (1, ARRAY[1.104145770645, 0.717541204171, 0.502147620662]),
             (2, ARRAY[0.942056940051, 2.213071489560, 0.543626261836]),
             (3, ARRAY[4.016221999331, 1.494127144299, 0.498555442523]),
             (4, ARRAY[8.531374122367, 5.494672048436, 0.491135978298])) s(cluster, centroid)
     ON s.cluster = c.cluster
CROSS JOIN generate_series(1, 3) i
WHERE c.model = 'km_sk' GROUP BY c.cluster ORDER BY c.cluster;
SET extra_float_digits = 0;

-- the fit's silhouette and select_k's metrics equal the quality aggregates
-- over the model's own assignments (on unscaled points)
SELECT count(*) AS fits FROM profile.kmeans_fit('km_sil', 'SELECT g, a FROM km_test.pts', 4, scaling => 'none');
SELECT round((f.summary ->> 'silhouette')::numeric, 12) = round(m.silhouette::numeric, 12) AS fit_silhouette,
       round(k.silhouette::numeric, 12) = round(m.silhouette::numeric, 12) AS same_silhouette,
       round(k.davies_bouldin::numeric, 12) = round(m.davies_bouldin::numeric, 12) AS same_davies_bouldin,
       round(k.calinski_harabasz::numeric, 9) = round(m.calinski_harabasz::numeric, 9) AS same_calinski_harabasz
FROM profile.models f,
     profile.kmeans_select_k('SELECT g, a FROM km_test.pts', ARRAY[4], scaling => 'none') k,
     (SELECT profile.silhouette(a, profile.kmeans_assign('km_sil', a)) AS silhouette,
             profile.davies_bouldin(a, profile.kmeans_assign('km_sil', a)) AS davies_bouldin,
             profile.calinski_harabasz(a, profile.kmeans_assign('km_sil', a)) AS calinski_harabasz
      FROM km_test.pts) m
WHERE f.name = 'km_sil';

-- the aggregate gives the very model kmeans_fit gives with the same options
SELECT profile.kmeans_save('km_agg', profile.kmeans(a, 4, '{"n_init": 1, "seed": 7}')) FROM km_test.pts;
SELECT count(*) FROM profile.kmeans_fit('km_agg_fit', 'SELECT g, a FROM km_test.pts', 4, n_init => 1, seed => 7);
SELECT count(*) AS clusters, bool_and(a.size = b.size AND a.centroid = b.centroid) AS identical
FROM profile.kmeans_centroids a JOIN profile.kmeans_centroids b USING (cluster)
WHERE a.model = 'km_agg' AND b.model = 'km_agg_fit';
SELECT length(profile.kmeans(a, 2)) > 0 AS has_model FROM km_test.pts WHERE false;  -- no rows: NULL
SELECT profile.kmeans(a, 2, '{"nope": 1}') FROM km_test.pts;       -- 22023
\echo :LAST_ERROR_SQLSTATE
SELECT profile.kmeans(a, 2, '[1]') FROM km_test.pts;               -- 22023
\echo :LAST_ERROR_SQLSTATE
SELECT profile.kmeans(a, g) FROM km_test.pts;                      -- 22023: k differs by row
\echo :LAST_ERROR_SQLSTATE
SELECT profile.kmeans_save('km_bad', '\x00'::bytea);               -- XX001
\echo :LAST_ERROR_SQLSTATE

-- ---- determinism: the same rows in any order give the same model ----
-- (k-means++ from the default seed; points are put in a canonical order)
SELECT count(*) AS fits FROM unnest(ARRAY['g', 'g DESC', 'md5(g::text)', 'a[3], g']) WITH ORDINALITY o(ord, i),
     LATERAL profile.kmeans_fit('km_order_' || i, format('SELECT g, a FROM km_test.pts ORDER BY %s', ord), 4) f;
SELECT count(DISTINCT body) AS distinct_bodies, count(*) AS models
FROM profile.models WHERE name LIKE 'km\_order\_%';

-- ---- centroids in original units equal the means of their points ----
-- (z-score, robust and min-max are affine: the mean of the scaled points,
-- unscaled, is the mean of the points; log: expm1 of the mean of log1p)
SELECT count(*) AS fits FROM unnest(ARRAY['zscore', 'robust', 'minmax', 'none', 'log']) scaling,
     LATERAL profile.kmeans_fit('km_' || scaling, 'SELECT g, a FROM km_test.pts', 3, scaling => scaling) f;
SELECT m.scaling, max(abs(c.centroid[i] - o.mean)) < 1e-9 AS centroids_are_means
FROM unnest(ARRAY['zscore', 'robust', 'minmax', 'none']) m(scaling)
JOIN profile.kmeans_centroids c ON c.model = 'km_' || m.scaling
CROSS JOIN generate_series(1, 3) i
JOIN LATERAL (SELECT avg(p.a[i]) AS mean FROM km_test.pts p
              WHERE profile.kmeans_assign('km_' || m.scaling, p.a) = c.cluster) o ON true
GROUP BY m.scaling ORDER BY m.scaling;
SELECT max(abs(c.centroid[i] - o.mean)) < 1e-9 AS log_centroids_are_expm1_mean_log1p
FROM profile.kmeans_centroids c
CROSS JOIN generate_series(1, 3) i
JOIN LATERAL (SELECT exp(avg(ln(1 + p.a[i]))) - 1 AS mean FROM km_test.pts p
              WHERE profile.kmeans_assign('km_log', p.a) = c.cluster) o ON true
WHERE c.model = 'km_log';

-- a feature without spread under z-scaling: scale 1, no division by zero
SELECT clusters, sizes FROM profile.kmeans_fit('km_flat', 'SELECT g, ARRAY[g % 2 * 10, 5]::float8[] FROM generate_series(1, 10) g', 2);
SELECT cluster, centroid FROM profile.kmeans_centroids WHERE model = 'km_flat' ORDER BY cluster;

-- one point, k = 1; identical points, k = 1
SELECT clusters, points, inertia, sizes FROM profile.kmeans_fit('km_one', 'SELECT 1, ARRAY[3.5]::float8[]', 1);
SELECT clusters, points, inertia, sizes FROM profile.kmeans_fit('km_same', 'SELECT g, ARRAY[1, 2]::float8[] FROM generate_series(1, 5) g', 1);

-- an empty cluster is reseeded with the farthest point (NOTICE).  Points
-- 1..6 from centroids 1 and 100: all go to 1, so 6 (the farthest) moves to
-- cluster 2: centroids 3 and 6; then {1..4} and {5, 6}: 2.5 and 5.5; then 4
-- is as far from both and stays with the lower cluster: the same labels
-- again.  Inertia 1.5^2 + 0.5^2 + 0.5^2 + 1.5^2 + 0.5^2 + 0.5^2 = 5.5
SELECT inertia, sizes FROM profile.kmeans_fit('km_empty', 'SELECT g, ARRAY[g]::float8[] FROM generate_series(1, 6) g', 2,
                                              scaling => 'none', init => '{{1}, {100}}');

-- ---- the scan path: one aggregate query per pass ----
-- from the same initial centroids, and from k-means++ when the sample holds
-- every row, it follows the in-memory path (sums in another order: equal to
-- 1e-9)
SELECT count(*) AS fits FROM (VALUES
    (profile.kmeans_fit_scan('km_scan_init', 'SELECT g, a FROM km_test.pts', 4, scaling => 'none',
                             init => '{{0,0,0},{1,1,1},{2,2,0},{5,5,1}}')),
    (profile.kmeans_fit('km_mem_pp', 'SELECT g, a FROM km_test.pts', 4, n_init => 1)),
    (profile.kmeans_fit_scan('km_scan_pp', 'SELECT g, a FROM km_test.pts', 4)),
    (profile.kmeans_fit_scan('km_scan_log', 'SELECT g, a FROM km_test.pts', 3, scaling => 'log')),
    (profile.kmeans_fit('km_mem_log', 'SELECT g, a FROM km_test.pts', 3, scaling => 'log', n_init => 1))) f(r);
SELECT a.model AS in_memory, b.model AS scan, count(DISTINCT a.cluster) AS clusters,
       bool_and(a.size = b.size) AS same_sizes,
       max(abs(a.centroid[i] - b.centroid[i])) < 1e-9 AS same_centroids,
       bool_and(abs((ma.summary ->> 'inertia')::float8 / (mb.summary ->> 'inertia')::float8 - 1) < 1e-9) AS same_inertia,
       bool_and(ma.summary -> 'iterations' = mb.summary -> 'iterations') AS same_iterations
FROM (VALUES ('km_sk', 'km_scan_init'), ('km_mem_pp', 'km_scan_pp'), ('km_mem_log', 'km_scan_log')) p(x, y)
JOIN profile.kmeans_centroids a ON a.model = p.x
JOIN profile.kmeans_centroids b ON b.model = p.y AND b.cluster = a.cluster
JOIN profile.models ma ON ma.name = p.x
JOIN profile.models mb ON mb.name = p.y
CROSS JOIN generate_series(1, 3) i
GROUP BY a.model, b.model ORDER BY 1;

-- one pass as a building block: the counts of a pass against the final
-- centroids are the cluster sizes
SELECT (s)[5:8] AS counts, (s)[3] AS points
FROM (SELECT profile.kmeans_step(a, (SELECT body FROM profile.models WHERE name = 'km_sk')) AS s
      FROM km_test.pts) t;
-- the same pass under parallel query: partial states, combined
ALTER TABLE km_test.pts SET (parallel_workers = 2);
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET parallel_leader_participation = off;
EXPLAIN (COSTS OFF)
SELECT profile.kmeans_step(a, (SELECT body FROM profile.models WHERE name = 'km_sk')) FROM km_test.pts;
SELECT (s)[5:8] AS counts, abs((s)[4] / (f.summary ->> 'inertia')::float8 - 1) < 1e-9 AS same_inertia
FROM (SELECT profile.kmeans_step(a, (SELECT body FROM profile.models WHERE name = 'km_sk')) AS s
      FROM km_test.pts) t, profile.models f WHERE f.name = 'km_sk';
RESET parallel_setup_cost;
RESET parallel_tuple_cost;
RESET min_parallel_table_scan_size;
RESET parallel_leader_participation;
SELECT * FROM profile.kmeans_fit_scan('km_bad', 'SELECT g, a FROM km_test.pts', 2, scaling => 'robust');  -- 0A000
\echo :LAST_ERROR_SQLSTATE
-- a query text cannot close the parenthesis it is wrapped in: refused as it is parsed alone
SELECT * FROM profile.kmeans_fit_scan('km_bad', 'SELECT g, a FROM km_test.pts) x; SELECT (1', 2);  -- 42601
\echo :LAST_ERROR_SQLSTATE
SELECT model, points FROM profile.kmeans_fit_scan('km_bad', 'SELECT g, a FROM km_test.pts WHERE false', 2);
SELECT * FROM profile.kmeans_fit_scan('km_bad', 'SELECT 1', 2);       -- 42804
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM profile.kmeans_fit_scan('km_bad', 'SELECT 1, now()', 2);  -- 42804
\echo :LAST_ERROR_SQLSTATE
SELECT profile.kmeans_step_combinefn('{1,2,3}', '{4}');           -- 0A000
\echo :LAST_ERROR_SQLSTATE

-- ---- labels ----
INSERT INTO profile.kmeans_labels VALUES ('km_hand', 1, 'small spenders'), ('km_hand', 2, 'big spenders');
SELECT cluster, label, size FROM profile.kmeans_centroids WHERE model = 'km_hand' ORDER BY cluster;
SELECT * FROM profile.kmeans_assign_detail('km_hand', ARRAY[12.5]);

-- ---- bad input ----
SELECT model, points FROM profile.kmeans_fit('km_none', 'SELECT 1, ARRAY[1.0]::float8[] WHERE false', 2);
SELECT points FROM profile.kmeans_fit('km_nullrow', 'SELECT g, CASE WHEN g > 3 THEN ARRAY[g]::float8[] END FROM generate_series(1, 6) g', 2);
SELECT * FROM profile.kmeans_fit('km_bad', 'SELECT 1, ARRAY[1, NULL]::float8[]', 1);        -- 22000
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM profile.kmeans_fit('km_bad', 'SELECT 1, ARRAY[''NaN'']::float8[]', 1);         -- 22000
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM profile.kmeans_fit('km_bad', 'SELECT 1, ARRAY[''-Infinity'']::float8[]', 1);   -- 22000
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM profile.kmeans_fit('km_bad', 'SELECT g, CASE g WHEN 1 THEN ARRAY[1.0] ELSE ARRAY[1.0, 2.0] END::float8[] FROM generate_series(1, 2) g', 1);  -- 22000
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM profile.kmeans_fit('km_bad', 'SELECT 1, ''{{1,2},{3,4}}''::float8[]', 1);      -- 2202E
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM profile.kmeans_fit('km_bad', 'SELECT 1, ''{}''::float8[]', 1);                 -- 2202E
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM profile.kmeans_fit('km_bad', 'SELECT 1, ARRAY[1.0]::float8[]', 0);             -- 22023
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM profile.kmeans_fit('km_bad', 'SELECT 1, ARRAY[1.0]::float8[]', 1001);          -- 22023
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM profile.kmeans_fit('km_bad', 'SELECT 1, ARRAY[1.0]::float8[]', 2);             -- 22023: k > n
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM profile.kmeans_fit('km_bad', 'SELECT g, ARRAY[g % 2]::float8[] FROM generate_series(1, 10) g', 3);  -- 22023: 2 distinct
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM profile.kmeans_fit('km_bad', 'SELECT 1, ARRAY[-2.0]::float8[]', 1, scaling => 'log');  -- 22000
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM profile.kmeans_fit('km_bad', 'SELECT 1, ARRAY[1.0]::float8[]', 1, scaling => 'pareto');  -- 22023
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM profile.kmeans_fit('km_bad', 'SELECT 1, ARRAY[1.0]::float8[]', 1, init => '{1, 2}');  -- 22000
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM profile.kmeans_fit('km_bad', 'SELECT 1, ARRAY[1.0]::float8[]', 1, n_init => 0);  -- 22023
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM profile.kmeans_fit('km_bad', 'SELECT 1, ARRAY[1.0]::float8[]', 1, tol => -1);  -- 22023
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM profile.kmeans_fit('km_bad', 'SELECT 1, ARRAY[1.0]::float8[]', NULL);          -- 22004
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM profile.kmeans_fit('km_bad', 'SELECT 1, array_fill(1.0::float8, ARRAY[1001])', 1);  -- 22023
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM profile.kmeans_fit('km_bad', 'SELECT 1, 2', 1);                                -- 42804
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM profile.kmeans_fit('km_bad', 'SELECT 1, ARRAY[1.0]::float8[]; SELECT 2', 1);   -- 22023
\echo :LAST_ERROR_SQLSTATE
SET profile.memory_budget = '1MB';
SELECT * FROM profile.kmeans_fit('km_bad', 'SELECT g, ARRAY[g, g, g, g]::float8[] FROM generate_series(1, 100000) g', 2);  -- 54000
\echo :LAST_ERROR_SQLSTATE
RESET profile.memory_budget;
SET statement_timeout = '200ms';
SELECT * FROM profile.kmeans_fit('km_bad', 'SELECT g, ARRAY[g % 1000, g % 777]::float8[] FROM generate_series(1, 3000000) g', 50);  -- 57014
\echo :LAST_ERROR_SQLSTATE
RESET statement_timeout;
SELECT count(*) AS failed_fits_stored FROM profile.models WHERE name = 'km_bad';

SELECT profile.kmeans_assign('km_hand', ARRAY[1.0, 2.0]);          -- 22000
\echo :LAST_ERROR_SQLSTATE
SELECT profile.kmeans_assign('km_hand', ARRAY['NaN'::float8]);      -- 22000
\echo :LAST_ERROR_SQLSTATE
SELECT profile.kmeans_assign('km_log', ARRAY[-5.0, 1, 1]);          -- 22000
\echo :LAST_ERROR_SQLSTATE
SELECT profile.kmeans_assign('no_such_model', ARRAY[1.0]);          -- 42704
\echo :LAST_ERROR_SQLSTATE
SELECT profile.kmeans_assign('km_hand', NULL) IS NULL AS null_features_null_cluster;
-- a forged or damaged model is refused, never trusted
SELECT profile.kmeans_assign('\x000000020000000101'::bytea, ARRAY[1.0]);  -- XX001
\echo :LAST_ERROR_SQLSTATE
UPDATE profile.models SET body = substr(body, 1, length(body) - 8) WHERE name = 'km_one';
SELECT profile.kmeans_assign('km_one', ARRAY[1.0]);                 -- XX001
\echo :LAST_ERROR_SQLSTATE

-- deleting a model deletes its labels
DELETE FROM profile.models WHERE name LIKE 'km\_%';
SELECT count(*) AS labels_left FROM profile.kmeans_labels;
DROP SCHEMA km_test CASCADE;
