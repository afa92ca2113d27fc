-- Named garden cases: odd inputs to every capability, each pinned to the
-- SQLSTATE the README documents ('ok' when the call returns).  test/garden.pl
-- calls every function of the catalog with odd inputs and only checks that
-- nothing is an internal error; this file pins what each named case gives.
SET client_min_messages = warning;
CREATE SCHEMA garden;
CREATE FUNCTION garden.try(sql text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE sql;
    RETURN 'ok';
EXCEPTION WHEN OTHERS THEN
    RETURN SQLSTATE;
END $$;
SELECT count(*) FROM profile.kmeans_fit('garden_km', 'SELECT g, ARRAY[g % 7, g % 5]::float8[] FROM generate_series(1, 60) g', 3);
SELECT count(*) FROM profile.rfm_fit('garden_rfm', 'SELECT g % 10, timestamptz ''2025-01-01'' + g * interval ''1 day'', g, g FROM generate_series(1, 100) g', '2026-01-01');
RESET client_min_messages;

SELECT n, name, garden.try(sql) AS sqlstate FROM (VALUES
    -- RFM one call
    (1, 'rfm: NULL query', $$SELECT * FROM profile.rfm(NULL)$$),
    (2, 'rfm: empty query text', $$SELECT * FROM profile.rfm('')$$),
    (3, 'rfm: two statements', $$SELECT * FROM profile.rfm('SELECT 1, now(), 1.0; SELECT 1, now(), 1.0')$$),
    (4, 'rfm: DML', $$SELECT * FROM profile.rfm('DELETE FROM profile.models RETURNING 1, now(), 1.0')$$),
    (5, 'rfm: SELECT INTO', $$SELECT * FROM profile.rfm('SELECT 1, now(), 1.0 INTO garden.x')$$),
    (6, 'rfm: FOR UPDATE', $$SELECT * FROM profile.rfm('SELECT 1, now(), 1.0 FROM profile.models FOR UPDATE')$$),
    (7, 'rfm: two columns', $$SELECT * FROM profile.rfm('SELECT 1, now()')$$),
    (8, 'rfm: text amount', $$SELECT * FROM profile.rfm('SELECT 1, now(), ''1''::text')$$),
    (9, 'rfm: numeric customer id', $$SELECT * FROM profile.rfm('SELECT 1.5, now(), 1.0')$$),
    (10, 'rfm: NaN amount', $$SELECT * FROM profile.rfm('SELECT 1, now(), ''NaN''::float8')$$),
    (11, 'rfm: Infinity amount', $$SELECT * FROM profile.rfm('SELECT 1, now(), ''Infinity''::float8')$$),
    (12, 'rfm: infinite timestamp', $$SELECT * FROM profile.rfm('SELECT 1, ''infinity''::timestamptz, 1.0')$$),
    (13, 'rfm: bins 1', $$SELECT * FROM profile.rfm('SELECT 1, now(), 1.0', bins => 1)$$),
    (14, 'rfm: bins 10', $$SELECT * FROM profile.rfm('SELECT 1, now(), 1.0', bins => 10)$$),
    (15, 'rfm: bins -1', $$SELECT * FROM profile.rfm('SELECT 1, now(), 1.0', bins => -1)$$),
    (16, 'rfm: NULL bins', $$SELECT * FROM profile.rfm('SELECT 1, now(), 1.0', bins => NULL)$$),
    (17, 'rfm: unknown segment map', $$SELECT * FROM profile.rfm('SELECT 1, now(), 1.0', segment_map => 'nope')$$),
    (18, 'rfm: map of other bins', $$SELECT * FROM profile.rfm('SELECT 1, now(), 1.0', bins => 3)$$),
    (19, 'rfm: row after as_of', $$SELECT * FROM profile.rfm('SELECT 1, timestamptz ''2030-01-01'', 1.0', as_of => '2026-01-01')$$),
    (20, 'rfm: infinite as_of', $$SELECT * FROM profile.rfm('SELECT 1, now(), 1.0', as_of => 'infinity')$$),
    (21, 'rfm: no rows', $$SELECT * FROM profile.rfm('SELECT 1, now(), 1.0 WHERE false')$$),
    (22, 'rfm: NULL customer only', $$SELECT * FROM profile.rfm('SELECT NULL::int, now(), 1.0')$$),
    (23, 'rfm: syntax error', $$SELECT * FROM profile.rfm('SELEC 1')$$),
    (24, 'rfm: missing table', $$SELECT * FROM profile.rfm('SELECT 1, now(), 1.0 FROM garden.nothing')$$),
    -- RFM building blocks
    (25, 'rfm_summary: NULL as_of', $$SELECT profile.rfm_summary(now(), 1, NULL)$$),
    (26, 'rfm_summary: NaN amount', $$SELECT profile.rfm_summary(now(), 'NaN', now())$$),
    (27, 'rfm_summary_finalfn: garbage', $$SELECT profile.rfm_summary_finalfn('\x01'::bytea)$$),
    (28, 'rfm_summary_transfn: outside an aggregate', $$SELECT profile.rfm_summary_transfn(NULL, now(), 1, now())$$),
    (29, 'quantile_score: bins 0', $$SELECT profile.quantile_score(1, 0) OVER ()$$),
    (30, 'quantile_score: NaN value', $$SELECT profile.quantile_score('NaN', 5) OVER ()$$),
    (31, 'quantile_score: NULL value', $$SELECT profile.quantile_score(NULL, 5) OVER ()$$),
    (32, 'rfm_segment: score 0', $$SELECT profile.rfm_segment('rf_grid', 0, 1, 1)$$),
    (33, 'rfm_segment: unknown map', $$SELECT profile.rfm_segment('nope', 1, 1, 1)$$),
    (34, 'rfm_score: unknown model', $$SELECT profile.rfm_score('nope', 1, 1, 1)$$),
    (35, 'rfm_score: k-means model', $$SELECT profile.rfm_score('garden_km', 1, 1, 1)$$),
    (36, 'rfm_score: negative recency', $$SELECT profile.rfm_score('garden_rfm', -5, 1, 1)$$),
    (37, 'rfm_score: Infinity monetary', $$SELECT profile.rfm_score('garden_rfm', 5, 1, 'Infinity')$$),
    (38, 'rfm_model_boundaries: garbage', $$SELECT * FROM profile.rfm_model_boundaries('\x00'::bytea)$$),
    (39, 'rfm_fit: bad name', $$SELECT * FROM profile.rfm_fit('a b', 'SELECT 1, now(), 1.0')$$),
    (40, 'rfm_fit: name too long', $$SELECT * FROM profile.rfm_fit(repeat('a', 64), 'SELECT 1, now(), 1.0')$$),
    -- k-means
    (41, 'kmeans_fit: k 0', $$SELECT * FROM profile.kmeans_fit('g', 'SELECT 1, ARRAY[1.0]::float8[]', 0)$$),
    (42, 'kmeans_fit: k 1001', $$SELECT * FROM profile.kmeans_fit('g', 'SELECT 1, ARRAY[1.0]::float8[]', 1001)$$),
    (43, 'kmeans_fit: k above points', $$SELECT * FROM profile.kmeans_fit('g', 'SELECT 1, ARRAY[1.0]::float8[]', 2)$$),
    (44, 'kmeans_fit: NULL element', $$SELECT * FROM profile.kmeans_fit('g', 'SELECT 1, ARRAY[NULL]::float8[]', 1)$$),
    (45, 'kmeans_fit: NaN feature', $$SELECT * FROM profile.kmeans_fit('g', 'SELECT 1, ARRAY[''NaN'']::float8[]', 1)$$),
    (46, 'kmeans_fit: empty features', $$SELECT * FROM profile.kmeans_fit('g', 'SELECT 1, ''{}''::float8[]', 1)$$),
    (47, 'kmeans_fit: 2-D features', $$SELECT * FROM profile.kmeans_fit('g', 'SELECT 1, ''{{1},{2}}''::float8[]', 1)$$),
    (48, 'kmeans_fit: ragged rows', $$SELECT * FROM profile.kmeans_fit('g', 'SELECT g, array_fill(1.0::float8, ARRAY[g]) FROM generate_series(1, 2) g', 1)$$),
    (49, 'kmeans_fit: 1001 features', $$SELECT * FROM profile.kmeans_fit('g', 'SELECT 1, array_fill(1.0::float8, ARRAY[1001])', 1)$$),
    (50, 'kmeans_fit: integer features', $$SELECT * FROM profile.kmeans_fit('g', 'SELECT 1, ARRAY[1]', 1)$$),
    (51, 'kmeans_fit: unknown scaling', $$SELECT * FROM profile.kmeans_fit('g', 'SELECT 1, ARRAY[1.0]::float8[]', 1, scaling => 'x')$$),
    (52, 'kmeans_fit: log of -2', $$SELECT * FROM profile.kmeans_fit('g', 'SELECT 1, ARRAY[-2.0]::float8[]', 1, scaling => 'log')$$),
    (53, 'kmeans_fit: init of wrong shape', $$SELECT * FROM profile.kmeans_fit('g', 'SELECT 1, ARRAY[1.0]::float8[]', 1, init => '{1,2}')$$),
    (54, 'kmeans_fit: tol 2', $$SELECT * FROM profile.kmeans_fit('g', 'SELECT 1, ARRAY[1.0]::float8[]', 1, tol => 2)$$),
    (55, 'kmeans_fit: no rows', $$SELECT * FROM profile.kmeans_fit('g', 'SELECT 1, ARRAY[1.0]::float8[] WHERE false', 1)$$),
    (56, 'kmeans_fit_scan: robust', $$SELECT * FROM profile.kmeans_fit_scan('g', 'SELECT 1, ARRAY[1.0]::float8[]', 1, scaling => 'robust')$$),
    (57, 'kmeans_fit_scan: one column', $$SELECT * FROM profile.kmeans_fit_scan('g', 'SELECT 1', 1)$$),
    (58, 'kmeans_select_k: NULL in ks', $$SELECT * FROM profile.kmeans_select_k('SELECT 1, ARRAY[1.0]::float8[]', ARRAY[1, NULL])$$),
    (59, 'kmeans_select_k: empty ks', $$SELECT * FROM profile.kmeans_select_k('SELECT 1, ARRAY[1.0]::float8[]', '{}')$$),
    (60, 'kmeans: unknown option', $$SELECT profile.kmeans(ARRAY[1.0]::float8[], 1, '{"x": 1}')$$),
    (61, 'kmeans_assign: wrong length', $$SELECT profile.kmeans_assign('garden_km', ARRAY[1.0])$$),
    (62, 'kmeans_assign: RFM model', $$SELECT profile.kmeans_assign('garden_rfm', ARRAY[1.0, 2.0])$$),
    (63, 'kmeans_assign: forged value', $$SELECT profile.kmeans_assign('\x0000'::bytea, ARRAY[1.0])$$),
    (64, 'kmeans_save: forged value', $$SELECT profile.kmeans_save('g', '\x0000'::bytea)$$),
    (65, 'kmeans_step: forged model', $$SELECT profile.kmeans_step(ARRAY[1.0]::float8[], '\x00'::bytea)$$),
    (66, 'kmeans_step_combinefn: outside an aggregate', $$SELECT profile.kmeans_step_combinefn('{1}', '{1}')$$),
    -- quality and PCA
    (67, 'silhouette: one cluster', $$SELECT profile.silhouette(ARRAY[g]::float8[], 1) FROM generate_series(1, 5) g$$),
    (68, 'silhouette: sample_size 1', $$SELECT profile.silhouette(ARRAY[g]::float8[], g % 2, 1, 0) FROM generate_series(1, 5) g$$),
    (69, 'davies_bouldin: NaN feature', $$SELECT profile.davies_bouldin(ARRAY['NaN'::float8], 1)$$),
    (70, 'pca: n_components 0', $$SELECT profile.pca(ARRAY[1.0, 2.0]::float8[], 0)$$),
    (71, 'pca: n_components above d', $$SELECT profile.pca(ARRAY[1.0, 2.0]::float8[], 3)$$),
    (72, 'pca: 1001 features', $$SELECT profile.pca(array_fill(1.0::float8, ARRAY[1001]), 1)$$),
    (73, 'pca_project: wrong lengths', $$SELECT profile.pca_project(ARRAY[1.0], ARRAY[1.0, 2.0], '{{1,0}}')$$),
    (74, 'quantile_score: NULL bins', $$SELECT profile.quantile_score(1, NULL) OVER ()$$),
    -- the catalog
    (75, 'segment maps: built-in is read-only', $$DELETE FROM profile.rfm_segment_rules WHERE segment_map = 'rf_grid'$$)
) AS cases(n, name, sql)
ORDER BY n;

DELETE FROM profile.models WHERE name LIKE 'garden\_%';
DROP SCHEMA garden CASCADE;
