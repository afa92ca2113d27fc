-- Cluster quality: profile.silhouette, profile.davies_bouldin and
-- profile.calinski_harabasz over (features, cluster), for any clustering.
-- Expected values are worked by hand in the comments, recomputed in plain
-- SQL, and compared with scikit-learn's on the same rows and labels.
\set VERBOSITY terse
SET extra_float_digits = 0;
CREATE SCHEMA cm_test;

-- ---- hand-worked cases ----
-- 1-D: cluster 1 = {0, 1}, cluster 2 = {4, 6}.
--   silhouette s = (b - a) / max(a, b), a = mean distance within the own
--   cluster, b = mean distance to the nearest other cluster:
--     0: a = 1, b = (4 + 6)/2 = 5,   s = 4/5
--     1: a = 1, b = (3 + 5)/2 = 4,   s = 3/4
--     4: a = 2, b = (4 + 3)/2 = 3.5, s = 1.5/3.5 = 3/7
--     6: a = 2, b = (6 + 5)/2 = 5.5, s = 3.5/5.5 = 7/11
--     mean (4/5 + 3/4 + 3/7 + 7/11) / 4 = 0.653733766
--   Davies-Bouldin: centroids 0.5 and 5, spreads (mean distance to the
--     centroid) 0.5 and 1, so both clusters score (0.5 + 1) / 4.5 = 1/3
--   Calinski-Harabasz: mean 2.75; between B = 2 * 2.25^2 + 2 * 2.25^2 = 20.25,
--     within W = 0.25 + 0.25 + 1 + 1 = 2.5; [B / (k-1)] / [W / (n-k)] =
--     20.25 / 1.25 = 16.2
SELECT round(profile.silhouette(ARRAY[x], c)::numeric, 9) AS silhouette,
       round(((4/5.0 + 3/4.0 + 3/7.0 + 7/11.0) / 4), 9) AS by_hand,
       round(profile.davies_bouldin(ARRAY[x], c)::numeric, 9) AS davies_bouldin,
       round(profile.calinski_harabasz(ARRAY[x], c)::numeric, 9) AS calinski_harabasz
FROM (VALUES (0.0::float8, 1), (1, 1), (4, 2), (6, 2)) v(x, c);

-- 2-D: cluster 1 = {(0,0), (0,2)}, cluster 2 = {(3,0), (3,2)}.  Every
-- point has a = 2 and b = (3 + sqrt(13)) / 2, so s = 1 - 4 / (3 + sqrt(13))
-- = 4 - sqrt(13) = 0.394448725.  Centroids (0,1) and (3,1) are 3 apart,
-- spreads 1 and 1: Davies-Bouldin 2/3.  Mean (1.5, 1): B = 4 * 1.5^2 = 9,
-- W = 4: Calinski-Harabasz (9 / 1) / (4 / 2) = 4.5.
-- Adding a singleton cluster 7 = {(10,1)}: its s is 0 (scikit-learn's
-- rule), the others keep theirs (their nearest cluster is still 1 or 2):
-- silhouette 4/5 (4 - sqrt(13)) = 0.315558980.  Davies-Bouldin: clusters 1
-- and 2 still score 2/3; cluster 7 (spread 0) scores max(1/10, 1/7) = 1/7;
-- (2/3 + 2/3 + 1/7) / 3 = 31/63 = 0.492063492.  Calinski-Harabasz: mean
-- (3.2, 1); B = 2 * 3.2^2 + 2 * 0.2^2 + 6.8^2 = 66.8, W = 4:
-- (66.8 / 2) / (4 / 2) = 16.7.
SELECT singleton, round(profile.silhouette(ARRAY[x, y], c)::numeric, 9) AS silhouette,
       round(profile.davies_bouldin(ARRAY[x, y], c)::numeric, 9) AS davies_bouldin,
       round(profile.calinski_harabasz(ARRAY[x, y], c)::numeric, 9) AS calinski_harabasz
FROM (VALUES (false, 0.0::float8, 0.0::float8, 1), (false, 0, 2, 1), (false, 3, 0, 2), (false, 3, 2, 2),
             (true, 0, 0, 1), (true, 0, 2, 1), (true, 3, 0, 2), (true, 3, 2, 2), (true, 10, 1, 7)) v(singleton, x, y, c)
GROUP BY singleton ORDER BY singleton;
SELECT round((4 - sqrt(13))::numeric, 9) AS s_by_hand, round((0.8 * (4 - sqrt(13)))::numeric, 9) AS s_singleton_by_hand,
       round(31 / 63.0, 9) AS db_singleton_by_hand;

-- ---- data sets for the oracles (deterministic arithmetic, no random()) ----
-- a: 2-D, 400 rows, 4 well-separated blobs of integer points, every 37th
--    row labelled with the next cluster; cluster ids 10, 20, 30, 40
CREATE VIEW cm_test.a AS
SELECT g AS id,
       ARRAY[(g % 4 / 2) * 40 + (g * 7919) % 31 - 15,
             (g % 2) * 40 + (g * 104729) % 29 - 14]::float8[] AS features,
       CASE WHEN g % 37 = 0 THEN ((g + 1) % 4 + 1) * 10 ELSE (g % 4 + 1) * 10 END AS cluster
FROM generate_series(1, 400) g;
-- b: 3-D, 1500 rows, overlapping clusters of non-integer points, ids
--    -5, 0, 7, 42, 1000 and a singleton cluster 2147483647
CREATE VIEW cm_test.b AS
SELECT g AS id,
       ARRAY[(g % 5) * 3 + ((g * 7919) % 1000) / 250.0 - 2,
             (g % 5 / 3) * 4 + ((g * 6007) % 1000) / 200.0 - 2.5,
             ((g * 104729) % 997) / 300.0]::float8[] AS features,
       CASE WHEN g = 777 THEN 2147483647 ELSE (ARRAY[-5, 0, 7, 42, 1000])[g % 5 + 1] END AS cluster
FROM generate_series(1, 1500) g;
-- c: 1-D, 200 rows, values 0..6 with labels unrelated to them: duplicates
--    across clusters, centroids close together, silhouette below 0
CREATE VIEW cm_test.c AS
SELECT g AS id, ARRAY[g % 7]::float8[] AS features, g % 3 AS cluster
FROM generate_series(1, 200) g;
-- e: 2-D, 12000 rows (above the 10,000 of the exact silhouette), 5 blobs
CREATE VIEW cm_test.e AS
SELECT g AS id,
       ARRAY[(g % 5) * 25 + (g * 7919) % 41 - 20,
             (g % 5 % 2) * 30 + (g * 104729) % 37 - 18]::float8[] AS features,
       g % 5 AS cluster
FROM generate_series(1, 12000) g;
CREATE VIEW cm_test.all_sets AS
SELECT 'a' AS data_set, * FROM cm_test.a UNION ALL SELECT 'b', * FROM cm_test.b
UNION ALL SELECT 'c', * FROM cm_test.c UNION ALL SELECT 'e', * FROM cm_test.e;

-- ---- oracle 1: scikit-learn ----
-- silhouette_score, davies_bouldin_score and calinski_harabasz_score of
-- scikit-learn 1.2.1 (numpy 1.24.2, Debian 12 package python3-sklearn),
-- on the rows of the views above, produced by (with the statements of this
-- file up to here run in database DB):
--   for v in a b c e; do
--     psql -XAt -d DB -c "COPY (SELECT array_to_string(features || cluster::float8, ',')
--                               FROM cm_test.$v ORDER BY id) TO STDOUT" |
--     /usr/bin/python3 -c 'import sys, numpy as np; from sklearn import metrics as m
--   a = np.loadtxt(sys.stdin, delimiter=",", ndmin=2); X, y = a[:, :-1], a[:, -1].astype(int)
--   print(repr(m.silhouette_score(X, y)), repr(m.davies_bouldin_score(X, y)), repr(m.calinski_harabasz_score(X, y)))'
--   done
-- which printed
--   a: 0.5082681821915158 0.6682751922070448 453.20058691792235
--   b: 0.1073331697101574 1.3464800152647907 1504.7981481943118
--   c: -0.02101060649231948 93.9119553746018 0.03485129104458819
--   e: 0.42087778187678554 0.7647785544832525 17306.23194080157
-- Ours must agree to 1e-9 relative.  For e, sample_size => 12000 makes the
-- silhouette exact, as scikit-learn's is without sample_size.
CREATE TABLE cm_test.sklearn (data_set text, metric text, value float8);
INSERT INTO cm_test.sklearn VALUES
    ('a', 'silhouette', 0.5082681821915158), ('a', 'davies_bouldin', 0.6682751922070448),
    ('a', 'calinski_harabasz', 453.20058691792235),
    ('b', 'silhouette', 0.1073331697101574), ('b', 'davies_bouldin', 1.3464800152647907),
    ('b', 'calinski_harabasz', 1504.7981481943118),
    ('c', 'silhouette', -0.02101060649231948), ('c', 'davies_bouldin', 93.9119553746018),
    ('c', 'calinski_harabasz', 0.03485129104458819),
    ('e', 'silhouette', 0.42087778187678554), ('e', 'davies_bouldin', 0.7647785544832525),
    ('e', 'calinski_harabasz', 17306.23194080157);
CREATE TABLE cm_test.ours AS
SELECT data_set, m.metric, m.value
FROM (SELECT data_set,
             profile.silhouette(features, cluster, 12000, 0) AS silhouette,
             profile.davies_bouldin(features, cluster) AS davies_bouldin,
             profile.calinski_harabasz(features, cluster) AS calinski_harabasz
      FROM cm_test.all_sets GROUP BY data_set) t,
     LATERAL (VALUES ('silhouette', silhouette), ('davies_bouldin', davies_bouldin),
                     ('calinski_harabasz', calinski_harabasz)) m(metric, value);
SELECT o.data_set, o.metric, round(o.value::numeric, 6) AS ours,
       abs(o.value - s.value) <= 1e-9 * abs(s.value) AS matches_sklearn
FROM cm_test.ours o JOIN cm_test.sklearn s USING (data_set, metric)
ORDER BY o.data_set, o.metric;

-- ---- oracle 2: the definitions in plain SQL, on data set a ----
CREATE VIEW cm_test.plain_sql AS
WITH p AS (SELECT id, features AS f, cluster FROM cm_test.a),
sizes AS (SELECT cluster, count(*) AS n FROM p GROUP BY cluster),
sums AS (SELECT x.id, x.cluster AS own, y.cluster AS other,
                sum(sqrt((x.f[1] - y.f[1]) ^ 2 + (x.f[2] - y.f[2]) ^ 2)) AS total
         FROM p x JOIN p y ON x.id <> y.id GROUP BY x.id, x.cluster, y.cluster),
ab AS (SELECT s.id, max(s.total / (z.n - 1)) FILTER (WHERE s.own = s.other) AS a,
              min(s.total / z.n) FILTER (WHERE s.own <> s.other) AS b
       FROM sums s JOIN sizes z ON z.cluster = s.other GROUP BY s.id),
centroids AS (SELECT cluster, avg(f[1]) AS c1, avg(f[2]) AS c2, count(*) AS n FROM p GROUP BY cluster),
spreads AS (SELECT cluster, avg(sqrt((f[1] - c1) ^ 2 + (f[2] - c2) ^ 2)) AS s
            FROM p JOIN centroids USING (cluster) GROUP BY cluster),
db AS (SELECT i.cluster, max((si.s + sj.s) / sqrt((i.c1 - j.c1) ^ 2 + (i.c2 - j.c2) ^ 2)) AS worst
       FROM centroids i JOIN centroids j ON i.cluster <> j.cluster
       JOIN spreads si ON si.cluster = i.cluster JOIN spreads sj ON sj.cluster = j.cluster
       GROUP BY i.cluster),
mean AS (SELECT avg(f[1]) AS m1, avg(f[2]) AS m2, count(*) AS rows FROM p)
SELECT (SELECT avg(CASE WHEN a IS NULL THEN 0 ELSE (b - a) / greatest(a, b) END) FROM ab) AS silhouette,
       (SELECT avg(worst) FROM db) AS davies_bouldin,
       (SELECT sum(n * ((c1 - m1) ^ 2 + (c2 - m2) ^ 2)) FROM centroids, mean) / (count(DISTINCT cluster) - 1) /
       ((SELECT sum((f[1] - c1) ^ 2 + (f[2] - c2) ^ 2) FROM p JOIN centroids USING (cluster)) /
        ((SELECT rows FROM mean) - count(DISTINCT cluster))) AS calinski_harabasz
FROM p;
SELECT abs(q.silhouette - o.silhouette) <= 1e-9 * abs(q.silhouette) AS silhouette_matches,
       abs(q.davies_bouldin - o.davies_bouldin) <= 1e-9 * abs(q.davies_bouldin) AS davies_bouldin_matches,
       abs(q.calinski_harabasz - o.calinski_harabasz) <= 1e-9 * abs(q.calinski_harabasz) AS calinski_harabasz_matches
FROM cm_test.plain_sql q,
     (SELECT profile.silhouette(features, cluster) AS silhouette,
             profile.davies_bouldin(features, cluster) AS davies_bouldin,
             profile.calinski_harabasz(features, cluster) AS calinski_harabasz
      FROM cm_test.a) o;

-- ---- the sampled silhouette ----
-- e has 12000 rows: by default the silhouette is that of a sample of
-- 10,000 rows drawn with seed 0, the same on every run and equal to the
-- explicit form; another seed draws another sample; both are close to the
-- exact 0.420878 (their standard error is about 0.003)
SELECT round(profile.silhouette(features, cluster)::numeric, 6) AS default_sampled,
       profile.silhouette(features, cluster) = profile.silhouette(features, cluster, 10000, 0) AS same_as_explicit,
       profile.silhouette(features, cluster, 10000, 1) <> profile.silhouette(features, cluster, 10000, 0) AS other_seed_differs,
       abs(profile.silhouette(features, cluster) - 0.42087778187678554) < 0.005 AS close,
       abs(profile.silhouette(features, cluster, 10000, 1) - 0.42087778187678554) < 0.005 AS close_other_seed,
       abs(profile.silhouette(features, cluster, 1000, 42) - 0.42087778187678554) < 0.03 AS close_small_sample
FROM cm_test.e;
SELECT round(profile.silhouette(features, cluster)::numeric, 6) AS default_sampled_again FROM cm_test.e;
-- at most sample_size rows: exact, whatever the seed
SELECT profile.silhouette(features, cluster, 400, 1) = profile.silhouette(features, cluster, 400, 2) AS exact_at_n,
       profile.silhouette(features, cluster, 400, 1) = profile.silhouette(features, cluster) AS equals_default
FROM cm_test.a;
-- the sample is drawn from the canonical order: the row order does not move it
SELECT profile.silhouette(features, cluster, 500, 3 ORDER BY id) =
       profile.silhouette(features, cluster, 500, 3 ORDER BY md5(id::text)) AS sample_order_free
FROM cm_test.b;
-- a sample of 2 rows has fewer than 2 clusters or one per row: NULL
SELECT profile.silhouette(features, cluster, 2, 0) IS NULL AS tiny_sample_null FROM cm_test.a;

-- ---- the same rows in any order give the same doubles ----
SELECT profile.silhouette(features, cluster ORDER BY id) = profile.silhouette(features, cluster ORDER BY md5(id::text)) AS silhouette,
       profile.silhouette(features, cluster ORDER BY id) = profile.silhouette(features, cluster ORDER BY id DESC) AS silhouette_reversed,
       profile.davies_bouldin(features, cluster ORDER BY id) = profile.davies_bouldin(features, cluster ORDER BY md5(id::text)) AS davies_bouldin,
       profile.calinski_harabasz(features, cluster ORDER BY id) = profile.calinski_harabasz(features, cluster ORDER BY md5(id::text)) AS calinski_harabasz
FROM cm_test.b;

-- ---- NULL rows are skipped ----
SELECT profile.silhouette(features, cluster) = (SELECT profile.silhouette(features, cluster) FROM cm_test.a) AS silhouette,
       profile.davies_bouldin(features, cluster) = (SELECT profile.davies_bouldin(features, cluster) FROM cm_test.a) AS davies_bouldin,
       profile.calinski_harabasz(features, cluster) = (SELECT profile.calinski_harabasz(features, cluster) FROM cm_test.a) AS calinski_harabasz,
       profile.silhouette(features, cluster, 100, 5) IS NOT NULL AS sampled
FROM (SELECT features, cluster FROM cm_test.a
      UNION ALL VALUES (NULL::float8[], 10), (ARRAY[1000, 1000]::float8[], NULL), (NULL, NULL)) t;

-- ---- edge cases: undefined metrics are NULL ----
SELECT profile.silhouette(features, cluster) IS NULL AS no_rows FROM cm_test.a WHERE false;
SELECT profile.davies_bouldin(NULL::float8[], 1) IS NULL AS null_rows_only;
SELECT profile.silhouette(ARRAY[x], 1) IS NULL AS one_cluster,                    -- k = 1
       profile.davies_bouldin(ARRAY[x], 1) IS NULL AS one_cluster_db,
       profile.calinski_harabasz(ARRAY[x], 1) IS NULL AS one_cluster_ch
FROM generate_series(1, 5) x;
SELECT profile.silhouette(ARRAY[x], x::int) IS NULL AS one_row_per_cluster,       -- k = n
       profile.davies_bouldin(ARRAY[x], x::int) IS NULL AS one_row_per_cluster_db,
       profile.calinski_harabasz(ARRAY[x], x::int) IS NULL AS one_row_per_cluster_ch
FROM generate_series(1, 5) x;
SELECT profile.silhouette(ARRAY[x], c) IS NULL AS two_rows_two_clusters
FROM (VALUES (1.0::float8, 1), (2, 2)) v(x, c);
-- three rows, two clusters {0, 1} and {5}: 0 has a = 1, b = 5, s = 4/5;
-- 1 has a = 1, b = 4, s = 3/4; 5 is alone, s = 0; mean 1.55 / 3
SELECT round(profile.silhouette(ARRAY[x], c)::numeric, 9) AS three_rows,
       round(1.55 / 3, 9) AS by_hand
FROM (VALUES (0.0::float8, 1), (1, 1), (5, 2)) v(x, c);
-- every point the same: a = b = 0 gives s = 0; every spread 0 gives
-- Davies-Bouldin 0; W = 0 gives Calinski-Harabasz 1 (scikit-learn's values)
SELECT profile.silhouette(ARRAY[1, 1]::float8[], c) AS silhouette,
       profile.davies_bouldin(ARRAY[1, 1]::float8[], c) AS davies_bouldin,
       profile.calinski_harabasz(ARRAY[1, 1]::float8[], c) AS calinski_harabasz
FROM (VALUES (1), (1), (2), (2)) v(c);
-- two clusters with the same centroid: scikit-learn leaves the pair out, 0
SELECT profile.davies_bouldin(ARRAY[x], c) AS same_centroids
FROM (VALUES (0.0::float8, 1), (2, 1), (1, 2), (1, 2)) v(x, c);
-- two tight clusters apart: W = 0, Calinski-Harabasz 1 as scikit-learn;
-- silhouette 1; Davies-Bouldin 0
SELECT profile.silhouette(ARRAY[x], c) AS silhouette, profile.davies_bouldin(ARRAY[x], c) AS davies_bouldin,
       profile.calinski_harabasz(ARRAY[x], c) AS calinski_harabasz
FROM (VALUES (0.0::float8, 1), (0, 1), (5, 2), (5, 2)) v(x, c);
-- -0 and 0 are the same feature
SELECT profile.silhouette(ARRAY[x], c) = 1 AS minus_zero
FROM (VALUES ('-0'::float8, 1), (0, 1), (5, 2), (5, 2)) v(x, c);
-- arrays with other lower bounds are read in order
SELECT profile.calinski_harabasz(f, c) = profile.calinski_harabasz(f[5:6], c) AS lower_bounds
FROM (SELECT '[5:6]={1,2}'::float8[] AS f, 1 AS c UNION ALL SELECT '[5:6]={3,5}', 1
      UNION ALL SELECT '[5:6]={9,9}', 2 UNION ALL SELECT '[5:6]={8,9}', 2) t;
-- many features, many clusters, GROUP BY: one metric per group
-- (scikit-learn's calinski_harabasz_score on each group: 0.007603907926923657,
-- 0.008123813011467473, 0.007106719194024342)
SELECT g % 3 AS grp, round(profile.calinski_harabasz(ARRAY[g % 11, g % 13, g % 17, g % 19, g % 23, g % 29, g % 31, g % 37], g % 9)::numeric, 6) AS ch
FROM generate_series(1, 3000) g GROUP BY g % 3 ORDER BY grp;

-- ---- bad input ----
SELECT profile.silhouette(ARRAY[[1, 2], [3, 4]]::float8[], 1);            -- 2202E
\echo :LAST_ERROR_SQLSTATE
SELECT profile.silhouette('{}'::float8[], 1);                              -- 2202E
\echo :LAST_ERROR_SQLSTATE
SELECT profile.davies_bouldin(ARRAY[1, NULL]::float8[], 1);                -- 22000
\echo :LAST_ERROR_SQLSTATE
SELECT profile.davies_bouldin(ARRAY[1, 'NaN']::float8[], 1);               -- 22000
\echo :LAST_ERROR_SQLSTATE
SELECT profile.calinski_harabasz(ARRAY['Infinity', 1]::float8[], 1);       -- 22000
\echo :LAST_ERROR_SQLSTATE
SELECT profile.calinski_harabasz(ARRAY[1, '-Infinity']::float8[], 1);      -- 22000
\echo :LAST_ERROR_SQLSTATE
SELECT profile.silhouette(f, 1)                                            -- 22000: 2 then 3
FROM (VALUES (ARRAY[1, 2]::float8[]), (ARRAY[1, 2, 3])) v(f);
\echo :LAST_ERROR_SQLSTATE
SELECT profile.silhouette(ARRAY[1]::float8[], 1, NULL, 0);                 -- 22004
\echo :LAST_ERROR_SQLSTATE
SELECT profile.silhouette(ARRAY[1]::float8[], 1, 100, NULL);               -- 22004
\echo :LAST_ERROR_SQLSTATE
SELECT profile.silhouette(NULL::float8[], NULL, NULL, 0);                  -- 22004 even on a NULL row
\echo :LAST_ERROR_SQLSTATE
SELECT profile.silhouette(ARRAY[1]::float8[], 1, 1, 0);                    -- 22023
\echo :LAST_ERROR_SQLSTATE
SELECT profile.silhouette(ARRAY[1]::float8[], 1, -5, 0);                   -- 22023
\echo :LAST_ERROR_SQLSTATE
SELECT profile.silhouette(ARRAY[x], 1, x::int + 10, 0)                     -- 22023: sample_size differs
FROM generate_series(1, 2) x;
\echo :LAST_ERROR_SQLSTATE
SELECT profile.silhouette(ARRAY[x], 1, 100, x::bigint)                     -- 22023: seed differs
FROM generate_series(1, 2) x;
\echo :LAST_ERROR_SQLSTATE
SELECT profile.silhouette(ARRAY[x], c)                                     -- 22003: squares overflow
FROM (VALUES (1e200::float8, 1), (2e200, 1), (-1e200, 2), (-3e200, 2), (0, 2)) v(x, c);
\echo :LAST_ERROR_SQLSTATE
SELECT profile.davies_bouldin(ARRAY[x], c)                                 -- 22003
FROM (VALUES (1e200::float8, 1), (2e200, 1), (-1e200, 2), (-3e200, 2), (0, 2)) v(x, c);
\echo :LAST_ERROR_SQLSTATE
SELECT profile.calinski_harabasz(ARRAY[x], c)                              -- 22003
FROM (VALUES (1e200::float8, 1), (2e200, 1), (-1e200, 2), (-3e200, 2), (0, 2)) v(x, c);
\echo :LAST_ERROR_SQLSTATE

-- the memory budget bounds the point buffer (and its sorted copy): 54000
-- while the rows are read, not at the end
SET profile.memory_budget = '1MB';
SELECT profile.davies_bouldin(ARRAY[g, g], g % 2) FROM generate_series(1, 50000) g;  -- 54000
\echo :LAST_ERROR_SQLSTATE
SELECT round(profile.davies_bouldin(ARRAY[g % 100, g % 7], g % 2)::numeric, 6) AS fits
FROM generate_series(1, 10000) g;
RESET profile.memory_budget;

-- the exact silhouette of 60000 rows (3.6e9 distances) stops within the
-- statement timeout: 57014
SET statement_timeout = '1s';
SELECT profile.silhouette(ARRAY[g % 1000, g % 7], g % 5, 2147483647, 0) FROM generate_series(1, 60000) g;
\echo :LAST_ERROR_SQLSTATE
RESET statement_timeout;

-- ---- states from outside: parallel query, partitions, Citus ----
-- Citus ships a state as text and combines on the coordinator.  The same
-- with two helper aggregates: partial states per id % 3, through text and
-- back, combined, finished; equal to the direct result
CREATE AGGREGATE cm_test.points(float8[], integer) (
    SFUNC = profile.cluster_points_transfn, STYPE = bytea);
CREATE AGGREGATE cm_test.points(float8[], integer, integer, bigint) (
    SFUNC = profile.silhouette_transfn, STYPE = bytea);
CREATE AGGREGATE cm_test.merge(bytea) (
    SFUNC = profile.cluster_points_combinefn, STYPE = bytea);
CREATE VIEW cm_test.shipped AS
SELECT cm_test.merge(s::text::bytea ORDER BY part DESC) AS state,
       cm_test.merge(s2::text::bytea ORDER BY part DESC) AS state2
FROM (SELECT id % 3 AS part, cm_test.points(features, cluster) AS s,
             cm_test.points(features, cluster, 500, 9) AS s2
      FROM cm_test.b GROUP BY id % 3) p;
SELECT profile.silhouette_finalfn(state) = (SELECT profile.silhouette(features, cluster) FROM cm_test.b) AS silhouette,
       profile.silhouette_finalfn(state2) = (SELECT profile.silhouette(features, cluster, 500, 9) FROM cm_test.b) AS silhouette_sampled,
       profile.davies_bouldin_finalfn(state) = (SELECT profile.davies_bouldin(features, cluster) FROM cm_test.b) AS davies_bouldin,
       profile.calinski_harabasz_finalfn(state) = (SELECT profile.calinski_harabasz(features, cluster) FROM cm_test.b) AS calinski_harabasz
FROM cm_test.shipped;
-- states of different widths or parameters do not combine
SELECT cm_test.merge(s ORDER BY i)                                           -- 22000
FROM (SELECT i, cm_test.points(array_fill(1::float8, ARRAY[i]), 1) AS s
      FROM generate_series(1, 2) i GROUP BY i) p;
\echo :LAST_ERROR_SQLSTATE
SELECT cm_test.merge(s ORDER BY i)                                           -- 22023
FROM (SELECT i, cm_test.points(ARRAY[1::float8], 1, 100, i) AS s
      FROM generate_series(1, 2) i GROUP BY i) p;
\echo :LAST_ERROR_SQLSTATE
-- the support functions cannot be abused from SQL
SELECT profile.cluster_points_transfn(NULL, ARRAY[1]::float8[], 1);          -- 0A000
\echo :LAST_ERROR_SQLSTATE
SELECT profile.cluster_points_combinefn(NULL, NULL);                          -- 0A000
\echo :LAST_ERROR_SQLSTATE
SELECT profile.silhouette_finalfn('\x01'::bytea);                            -- 22P03
\echo :LAST_ERROR_SQLSTATE
SELECT profile.davies_bouldin_finalfn(decode(repeat('00', 100), 'hex'));      -- 22P03
\echo :LAST_ERROR_SQLSTATE
SELECT profile.calinski_harabasz_finalfn(substr(state, 1, 200)) FROM cm_test.shipped;  -- 22P03: truncated
\echo :LAST_ERROR_SQLSTATE
-- a NaN written over the first feature of a valid state (bytes 61..68:
-- 60 bytes of header follow the length word, which bytea does not show)
SELECT profile.calinski_harabasz_finalfn(overlay(state PLACING '\x000000000000f87f'::bytea FROM 61))
FROM cm_test.shipped;                                                          -- 22P03
\echo :LAST_ERROR_SQLSTATE
SELECT profile.davies_bouldin_finalfn(state2) FROM cm_test.shipped;          -- 22P03: another aggregate's
\echo :LAST_ERROR_SQLSTATE
-- a hand-made initial state is refused, not trusted
CREATE AGGREGATE cm_test.forged(float8[], integer) (
    SFUNC = profile.cluster_points_transfn, STYPE = bytea, INITCOND = '\x01');
SELECT cm_test.forged(ARRAY[1]::float8[], 1);                                -- 22P03
\echo :LAST_ERROR_SQLSTATE

-- parallel query: Partial Aggregate in workers, combined in the leader;
-- the same doubles as the serial plan
CREATE TABLE cm_test.big AS
SELECT g AS id,
       ARRAY[(g % 6) * 10 + (g * 7919) % 23 - 11, (g % 6 / 2) * 12 + (g::bigint * 104729) % 19 - 9,
             ((g * 6007) % 1000) / 100.0]::float8[] AS features,
       g % 6 AS cluster
FROM generate_series(1, 30000) g;
ALTER TABLE cm_test.big SET (parallel_workers = 2);
ANALYZE cm_test.big;
CREATE VIEW cm_test.big_metrics AS
SELECT profile.silhouette(features, cluster, 1500, 4) AS silhouette,
       profile.davies_bouldin(features, cluster) AS davies_bouldin,
       profile.calinski_harabasz(features, cluster) AS calinski_harabasz
FROM cm_test.big;
SET max_parallel_workers_per_gather = 0;
CREATE TABLE cm_test.serial AS SELECT * FROM cm_test.big_metrics;
SET max_parallel_workers_per_gather = 2;
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET parallel_leader_participation = off;
EXPLAIN (COSTS OFF) SELECT * FROM cm_test.big_metrics;
CREATE TABLE cm_test.parallel AS SELECT * FROM cm_test.big_metrics;
SELECT s.silhouette = p.silhouette AS silhouette, s.davies_bouldin = p.davies_bouldin AS davies_bouldin,
       s.calinski_harabasz = p.calinski_harabasz AS calinski_harabasz
FROM cm_test.serial s, cm_test.parallel p;
RESET max_parallel_workers_per_gather;
RESET parallel_setup_cost;
RESET parallel_tuple_cost;
RESET min_parallel_table_scan_size;
RESET parallel_leader_participation;

-- partitionwise aggregation: partitions by id, groups by cluster pair, so
-- each partition yields partial states of every group
CREATE TABLE cm_test.parts (id int, features float8[], cluster int) PARTITION BY HASH (id);
CREATE TABLE cm_test.parts_0 PARTITION OF cm_test.parts FOR VALUES WITH (MODULUS 3, REMAINDER 0);
CREATE TABLE cm_test.parts_1 PARTITION OF cm_test.parts FOR VALUES WITH (MODULUS 3, REMAINDER 1);
CREATE TABLE cm_test.parts_2 PARTITION OF cm_test.parts FOR VALUES WITH (MODULUS 3, REMAINDER 2);
INSERT INTO cm_test.parts SELECT * FROM cm_test.big;
ANALYZE cm_test.parts;
CREATE VIEW cm_test.grouped AS
SELECT cluster / 2 AS grp, profile.silhouette(features, cluster, 1000, 1) AS silhouette,
       profile.davies_bouldin(features, cluster) AS davies_bouldin,
       profile.calinski_harabasz(features, cluster) AS calinski_harabasz
FROM cm_test.parts GROUP BY cluster / 2;
SET max_parallel_workers_per_gather = 0;
CREATE TABLE cm_test.grouped_serial AS SELECT * FROM cm_test.grouped;
SET enable_partitionwise_aggregate = on;
EXPLAIN (COSTS OFF) SELECT * FROM cm_test.grouped;
SELECT grp, s.silhouette = p.silhouette AS silhouette, s.davies_bouldin = p.davies_bouldin AS davies_bouldin,
       s.calinski_harabasz = p.calinski_harabasz AS calinski_harabasz
FROM cm_test.grouped_serial s JOIN cm_test.grouped p USING (grp) ORDER BY grp;
RESET enable_partitionwise_aggregate;
RESET max_parallel_workers_per_gather;

DROP SCHEMA cm_test CASCADE;
