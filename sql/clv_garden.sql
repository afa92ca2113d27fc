-- Named garden cases of customer lifetime value: odd inputs, each pinned to
-- the SQLSTATE the README documents ('ok' when the call returns).
SET client_min_messages = warning;
CREATE SCHEMA clv_garden;
CREATE FUNCTION clv_garden.try(sql text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE sql;
    RETURN 'ok';
EXCEPTION WHEN OTHERS THEN
    RETURN SQLSTATE;
END $$;
CREATE TABLE clv_garden.c AS
SELECT customer_id, frequency::float8 AS frequency, recency, t, 10.0 + customer_id % 17 AS monetary
FROM profile.clv_bgnbd_simulate(500, 0.5, 8, 0.8, 2.5, 30, 90);
SELECT count(*) FROM profile.clv_fit('clv_garden_m', 'SELECT customer_id, frequency, recency, t, monetary FROM clv_garden.c');
SELECT count(*) FROM profile.clv_save('clv_garden_nospend', (SELECT profile.clv_bgnbd(frequency, recency, t) FROM clv_garden.c), NULL, 'day');
SELECT count(*) FROM profile.kmeans_fit('clv_garden_km', 'SELECT g, ARRAY[g % 7, g % 5]::float8[] FROM generate_series(1, 60) g', 3);
SET client_min_messages = error;

SELECT n, name, clv_garden.try(sql) AS sqlstate FROM (VALUES
    -- summaries from transactions
    (1, 'clv_summary: unknown time unit', $$SELECT profile.clv_summary(now(), 1, now(), 'fortnight')$$),
    (2, 'clv_summary: NULL time unit', $$SELECT profile.clv_summary(now(), 1, now(), NULL)$$),
    (3, 'clv_summary: NULL observation_end', $$SELECT profile.clv_summary(now(), 1, NULL)$$),
    (4, 'clv_summary: infinite observation_end', $$SELECT profile.clv_summary(now(), 1, 'infinity')$$),
    (5, 'clv_summary: NaN amount', $$SELECT profile.clv_summary(now(), 'NaN', now())$$),
    (6, 'clv_summary: infinite ordered_at', $$SELECT profile.clv_summary('-infinity', 1, now())$$),
    (7, 'clv_summary: NULL row', $$SELECT profile.clv_summary(NULL, 1, now())$$),
    (8, 'clv_summary: observation_end differs', $$SELECT profile.clv_summary(now(), 1, e) FROM (VALUES (timestamptz '2025-01-01'), ('2025-02-01')) v(e)$$),
    (9, 'clv_summary_finalfn: garbage', $$SELECT profile.clv_summary_finalfn('\x0102'::bytea)$$),
    (10, 'clv_summary_transfn: outside an aggregate', $$SELECT profile.clv_summary_transfn(NULL, now(), 1, now())$$),
    (11, 'clv_holdout: calibration_end after observation_end', $$SELECT profile.clv_holdout(now(), 1, '2025-02-01', '2025-01-01')$$),
    (12, 'clv_holdout: NULL calibration_end', $$SELECT profile.clv_holdout(now(), 1, NULL, '2025-01-01')$$),
    (13, 'purchase_cycle: NULL as_of', $$SELECT profile.purchase_cycle(now(), NULL)$$),
    (14, 'purchase_cycle_finalfn: garbage', $$SELECT profile.purchase_cycle_finalfn('\x00'::bytea)$$),
    -- BG/NBD fit
    (15, 'clv_bgnbd: recency above t', $$SELECT profile.clv_bgnbd(2, 6, 5)$$),
    (16, 'clv_bgnbd: negative frequency', $$SELECT profile.clv_bgnbd(-1, 0, 5)$$),
    (17, 'clv_bgnbd: frequency 0, recency above 0', $$SELECT profile.clv_bgnbd(0, 2, 5)$$),
    (18, 'clv_bgnbd: fractional frequency', $$SELECT profile.clv_bgnbd(1.5, 2, 5)$$),
    (19, 'clv_bgnbd: negative recency', $$SELECT profile.clv_bgnbd(1, -2, 5)$$),
    (20, 'clv_bgnbd: NaN frequency', $$SELECT profile.clv_bgnbd('NaN', 0, 5)$$),
    (21, 'clv_bgnbd: Infinity t', $$SELECT profile.clv_bgnbd(1, 2, 'Infinity')$$),
    (22, 'clv_bgnbd: too few customers', $$SELECT profile.clv_bgnbd(1, 2, 5)$$),
    (23, 'clv_bgnbd: no repeat buyers', $$SELECT profile.clv_bgnbd(0, 0, g) FROM generate_series(1, 10) g$$),
    (24, 'clv_bgnbd: no rows', $$SELECT profile.clv_bgnbd(1, 2, 5) WHERE false$$),
    (25, 'clv_bgnbd: NULL rows only', $$SELECT profile.clv_bgnbd(NULL, 2, 5)$$),
    (26, 'clv_bgnbd: negative penalizer', $$SELECT profile.clv_bgnbd(1, 2, 5, -1)$$),
    (27, 'clv_bgnbd: NULL penalizer', $$SELECT profile.clv_bgnbd(1, 2, 5, NULL)$$),
    (28, 'clv_bgnbd_finalfn: garbage', $$SELECT profile.clv_bgnbd_finalfn('\x00'::bytea)$$),
    (29, 'clv_bgnbd: memory budget', $$SET LOCAL profile.memory_budget = '1MB'; SELECT profile.clv_bgnbd(g % 3, g % 3, 10) FROM generate_series(1, 100000) g$$),
    -- the scan path
    (30, 'clv_bgnbd_loglik: NULL params', $$SELECT profile.clv_bgnbd_loglik(1, 2, 5, NULL)$$),
    (31, 'clv_bgnbd_loglik: negative parameter', $$SELECT profile.clv_bgnbd_loglik(1, 2, 5, '{1,-1,1,1}')$$),
    (32, 'clv_bgnbd_loglik: three parameters', $$SELECT profile.clv_bgnbd_loglik(1, 2, 5, '{1,1,1}')$$),
    (33, 'clv_bgnbd_loglik_combinefn: outside an aggregate', $$SELECT profile.clv_bgnbd_loglik_combinefn('{1}', '{1}')$$),
    (34, 'clv_bgnbd_fit_scan: NULL query', $$SELECT profile.clv_bgnbd_fit_scan(NULL)$$),
    (35, 'clv_bgnbd_fit_scan: one column', $$SELECT profile.clv_bgnbd_fit_scan('SELECT 1')$$),
    (36, 'clv_bgnbd_fit_scan: DML', $$SELECT profile.clv_bgnbd_fit_scan('DELETE FROM clv_garden.c RETURNING 1, 1.0, 1.0, 1.0')$$),
    (37, 'clv_bgnbd_fit_scan: max_iter 0', $$SELECT profile.clv_bgnbd_fit_scan('SELECT customer_id, frequency, recency, t FROM clv_garden.c', max_iter => 0)$$),
    (38, 'clv_bgnbd_fit_scan: no convergence (WARNING)', $$SELECT profile.clv_bgnbd_fit_scan('SELECT customer_id, frequency, recency, t FROM clv_garden.c', max_iter => 1)$$),
    (39, 'clv_bgnbd_fit_scan: no rows', $$SELECT profile.clv_bgnbd_fit_scan('SELECT 1, 1.0, 1.0, 1.0 WHERE false')$$),
    -- predictions
    (40, 'clv_p_alive: recency above t', $$SELECT profile.clv_p_alive('clv_garden_m', 2, 6, 5)$$),
    (41, 'clv_p_alive: alpha 0', $$SELECT profile.clv_p_alive(ROW(1, 0, 1, 1, 0, 0, 0, true, 0)::profile.clv_bgnbd, 1, 1, 2)$$),
    (42, 'clv_p_alive: NULL r in the model', $$SELECT profile.clv_p_alive(ROW(NULL, 1, 1, 1, 0, 0, 0, true, 0)::profile.clv_bgnbd, 1, 1, 2)$$),
    (43, 'clv_p_alive: unknown model', $$SELECT profile.clv_p_alive('nope', 1, 1, 2)$$),
    (44, 'clv_p_alive: a k-means model', $$SELECT profile.clv_p_alive('clv_garden_km', 1, 1, 2)$$),
    (45, 'clv_expected_purchases: negative horizon', $$SELECT profile.clv_expected_purchases('clv_garden_m', 1, 1, 2, -1)$$),
    (46, 'clv_expected_purchases: NaN horizon', $$SELECT profile.clv_expected_purchases('clv_garden_m', 'NaN')$$),
    (47, 'clv_expected_purchases: frequency 10^6', $$SELECT profile.clv_expected_purchases('clv_garden_m', 1000000, 50, 50, 10)$$),
    -- Gamma-Gamma and CLV
    (48, 'clv_gammagamma: too few customers', $$SELECT profile.clv_gammagamma(1, 10)$$),
    (49, 'clv_gammagamma: NaN monetary', $$SELECT profile.clv_gammagamma(1, 'NaN')$$),
    (50, 'clv_gammagamma: fractional frequency', $$SELECT profile.clv_gammagamma(1.5, 10)$$),
    (51, 'clv_gammagamma: all monetary <= 0', $$SELECT profile.clv_gammagamma(1, -g) FROM generate_series(1, 10) g$$),
    (52, 'clv_gammagamma_finalfn: garbage', $$SELECT profile.clv_gammagamma_finalfn('\x00'::bytea)$$),
    (53, 'clv_expected_aov: q <= 1 (NULL)', $$SELECT profile.clv_expected_aov(ROW(1, 0.5, 1, 0, 0, 0, 0, true, 0, 0)::profile.clv_gammagamma, 0, 0)$$),
    (54, 'clv_value: months 0', $$SELECT profile.clv_value('clv_garden_m', 1, 1, 2, 10, 0)$$),
    (55, 'clv_value: negative discount rate', $$SELECT profile.clv_value('clv_garden_m', 1, 1, 2, 10, 12, -0.1)$$),
    (56, 'clv_value: unknown time unit', $$SELECT profile.clv_value(profile.clv_bgnbd(frequency, recency, t), profile.clv_gammagamma(frequency, monetary), 1, 1, 2, 10, 'year') FROM clv_garden.c$$),
    (57, 'clv_value: model without spend', $$SELECT profile.clv_value('clv_garden_nospend', 1, 1, 2, 10)$$),
    -- named models and scoring
    (58, 'clv_fit: bad name', $$SELECT profile.clv_fit('a b', 'SELECT customer_id, frequency, recency, t FROM clv_garden.c')$$),
    (59, 'clv_fit: unknown time unit', $$SELECT profile.clv_fit('g', 'SELECT customer_id, frequency, recency, t FROM clv_garden.c', 'year')$$),
    (60, 'clv_fit: text frequency', $$SELECT profile.clv_fit('g', 'SELECT 1, ''1''::text, 1.0, 2.0')$$),
    (61, 'clv_fit: recency above t', $$SELECT profile.clv_fit('g', 'SELECT 1, 1, 3.0, 2.0')$$),
    (62, 'clv_fit: too few customers', $$SELECT profile.clv_fit('g', 'SELECT 1, 1, 1.0, 2.0')$$),
    (63, 'clv_fit: no rows', $$SELECT profile.clv_fit('g', 'SELECT 1, 1, 1.0, 2.0 WHERE false')$$),
    (64, 'clv_fit: memory budget', $$SET LOCAL profile.memory_budget = '1MB'; SELECT profile.clv_fit('g', 'SELECT g, g % 3, g % 3, 10 FROM generate_series(1, 100000) g')$$),
    (65, 'clv_fit: name of a k-means model', $$SELECT profile.clv_fit('clv_garden_km', 'SELECT customer_id, frequency, recency, t FROM clv_garden.c')$$),
    (66, 'clv_save: NULL bgnbd', $$SELECT profile.clv_save('g', NULL, NULL, 'day')$$),
    (67, 'clv_score: NULL query', $$SELECT * FROM profile.clv_score('clv_garden_m', NULL)$$),
    (68, 'clv_score: months 0', $$SELECT * FROM profile.clv_score('clv_garden_m', 'SELECT customer_id, frequency, recency, t FROM clv_garden.c', 0)$$),
    (69, 'clv_score: NaN monetary', $$SELECT * FROM profile.clv_score('clv_garden_m', 'SELECT 1, 1, 1.0, 2.0, ''NaN''::float8')$$),
    (70, 'clv_model_parameters: garbage', $$SELECT * FROM profile.clv_model_parameters('\x01'::bytea)$$),
    (71, 'clv_bgnbd_simulate: negative count', $$SELECT * FROM profile.clv_bgnbd_simulate(-1, 1, 1, 1, 1, 1, 2)$$),
    (72, 'clv_bgnbd_simulate: t_min above t_max', $$SELECT * FROM profile.clv_bgnbd_simulate(1, 1, 1, 1, 1, 3, 2)$$)
) AS cases(n, name, sql)
ORDER BY n;
RESET client_min_messages;

DELETE FROM profile.models WHERE name LIKE 'clv\_garden\_%';
DROP SCHEMA clv_garden CASCADE;
