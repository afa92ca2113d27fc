-- Customer lifetime value: summaries, purchase cycles, BG/NBD, Gamma-Gamma,
-- CLV and named models.  Oracles: hand-worked cases in comments, a second
-- implementation of the closed forms in plain SQL, values computed offline
-- with SciPy, and parameter recovery on data simulated from known
-- parameters.  (The published CDNOW fit is checked in test/clv.sql, which
-- needs the data set outside the project.)
\set VERBOSITY terse
SET timezone = 'UTC';
SET extra_float_digits = 0;
CREATE SCHEMA clv_test;

-- ---- summaries from transactions ----
-- customer 1: 2025-01-01 (two rows: one purchase of 30), 01-08 (5), 01-22
-- (10), a return on 01-25 (left out), a NULL amount (skipped), and a row
-- after observation_end 2025-01-29 (left out).  Days from the first: 0, 7,
-- 21; T = 28 days.  frequency 2, recency 21 days = 3 weeks, T 4 weeks,
-- monetary (5 + 10) / 2 = 7.5.  Customer 2 bought once: 0, 0, T, 0.
-- Customer 3 bought only after the end: no summary (NULL).
CREATE TABLE clv_test.sales (customer_id int, ordered_at timestamptz, amount numeric);
INSERT INTO clv_test.sales VALUES
    (1, '2025-01-01 09:00', 10), (1, '2025-01-01 18:00', 20), (1, '2025-01-08', 5),
    (1, '2025-01-22', 10), (1, '2025-01-25', -10), (1, '2025-01-26', NULL), (1, '2025-02-10', 99),
    (2, '2025-01-15', 42), (3, '2025-03-01', 7);
SELECT customer_id, (s).* FROM (
    SELECT customer_id, profile.clv_summary(ordered_at, amount::float8, '2025-01-29', 'week') AS s
    FROM clv_test.sales GROUP BY customer_id) t ORDER BY customer_id;
SELECT customer_id, (s).* FROM (
    SELECT customer_id, profile.clv_summary(ordered_at, amount::float8, '2025-01-29') AS s
    FROM clv_test.sales GROUP BY customer_id) t ORDER BY customer_id;
SELECT customer_id, round((s).recency::numeric, 6) AS recency, round((s).t::numeric, 6) AS t
FROM (SELECT customer_id, profile.clv_summary(ordered_at, amount::float8, '2025-01-29', 'month') AS s
      FROM clv_test.sales GROUP BY customer_id) t ORDER BY customer_id;
-- calibration up to 01-10, holdout to 02-10: customer 1 has days 0, 7 in
-- calibration (frequency 1, recency 1 week, T 9 days = 1.285714 weeks,
-- monetary 5) and 01-22 and 02-10 in the holdout (2 purchases, mean 54.5,
-- 31 days = 4.428571 weeks); customer 2 first bought after calibration_end
SELECT customer_id, frequency_cal, round(recency_cal::numeric, 6) AS recency_cal,
       round(t_cal::numeric, 6) AS t_cal, monetary_cal, frequency_holdout, monetary_holdout,
       round(duration_holdout::numeric, 6) AS duration_holdout
FROM (SELECT customer_id, (profile.clv_holdout(ordered_at, amount::float8, '2025-01-10', '2025-02-10', 'week')).*
      FROM clv_test.sales GROUP BY customer_id) t ORDER BY customer_id;
SELECT profile.clv_summary(ordered_at, amount::float8, '2025-01-29') FROM clv_test.sales WHERE false;

-- ---- purchase cycles ----
-- customer 1 buys product 1 on days 0, 10, 20, 40 (as_of day 70):
-- intervals 10, 10, 20: median 10, mean 13.333333, sample sd 5.773503, CV
-- 0.433013; next due day 50, 30 days since the last, 20 days overdue,
-- score 3.  Product 2: once (no intervals).  Customer 2: days 0 and 5,
-- as_of day 70: median 5, next day 10, 65 since, 60 overdue, score 13.
CREATE TABLE clv_test.lines (customer_id int, product_id int, ordered_at timestamptz);
INSERT INTO clv_test.lines
SELECT 1, 1, timestamptz '2025-01-01' + d * interval '1 day' FROM unnest(ARRAY[0, 10, 20, 40, 40]) d
UNION ALL SELECT 1, 2, '2025-01-03'
UNION ALL SELECT 2, 1, '2025-01-01' UNION ALL SELECT 2, 1, '2025-01-06 23:00'
UNION ALL SELECT 2, 1, NULL;
SELECT customer_id, product_id, (c).purchases, (c).last_purchase, (c).interval_median,
       round((c).interval_mean::numeric, 6) AS interval_mean, round((c).interval_cv::numeric, 6) AS interval_cv,
       (c).expected_next, (c).days_since_last, (c).days_overdue, (c).overdue_score
FROM (SELECT customer_id, product_id, profile.purchase_cycle(ordered_at, '2025-03-12') AS c
      FROM clv_test.lines GROUP BY customer_id, product_id) t
ORDER BY customer_id, product_id;

-- ---- BG/NBD closed forms against a plain-SQL implementation ----
-- P(alive) = 1 / (1 + a / (b + x - 1) * ((alpha + T) / (alpha + t_x))^(r + x)), x > 0
-- E[Y(t)] = (a + b + x - 1) / (a - 1) * (1 - ((alpha + T) / (alpha + T + t))^(r + x)
--           * 2F1(r + x, b + x; a + b + x - 1; t / (alpha + T + t))) * P(alive)
-- with 2F1 summed term by term in a recursive CTE (400 terms).
CREATE TABLE clv_test.cases (n int, x float8, tx float8, tt float8, h float8);
INSERT INTO clv_test.cases VALUES
    (1, 0, 0, 38.86, 39), (2, 2, 30.43, 38.86, 39), (3, 5, 20, 38.86, 39),
    (4, 29, 38, 38.86, 39), (5, 1, 1, 10, 5), (6, 3, 8, 52, 104), (7, 0, 0, 0, 52);
CREATE TABLE clv_test.model AS
SELECT ROW(0.243, 4.414, 0.793, 2.426, NULL, NULL, NULL, NULL, NULL)::profile.clv_bgnbd AS m;
CREATE VIEW clv_test.sql_oracle AS
WITH RECURSIVE p AS (SELECT 0.243::float8 AS r, 4.414::float8 AS al, 0.793::float8 AS a, 2.426::float8 AS b),
terms AS (
    SELECT c.n, 0 AS k, 1.0::float8 AS term, 1.0::float8 AS total FROM clv_test.cases c
    UNION ALL
    SELECT t.n, t.k + 1, t.term * (p.r + c.x + t.k) * (p.b + c.x + t.k) / ((p.a + p.b + c.x - 1 + t.k) * (t.k + 1))
                  * (c.h / (p.al + c.tt + c.h)),
           t.total + t.term * (p.r + c.x + t.k) * (p.b + c.x + t.k) / ((p.a + p.b + c.x - 1 + t.k) * (t.k + 1))
                  * (c.h / (p.al + c.tt + c.h))
    FROM terms t JOIN clv_test.cases c USING (n), p WHERE t.k < 400),
hyp AS (SELECT n, total AS f FROM terms WHERE k = 400)
SELECT c.n,
       CASE WHEN c.x = 0 THEN 1.0
            ELSE 1 / (1 + p.a / (p.b + c.x - 1) * ((p.al + c.tt) / (p.al + c.tx)) ^ (p.r + c.x)) END AS p_alive,
       (p.a + p.b + c.x - 1) / (p.a - 1)
       * (1 - ((p.al + c.tt) / (p.al + c.tt + c.h)) ^ (p.r + c.x) * hyp.f)
       * CASE WHEN c.x = 0 THEN 1.0
              ELSE 1 / (1 + p.a / (p.b + c.x - 1) * ((p.al + c.tt) / (p.al + c.tx)) ^ (p.r + c.x)) END AS expected
FROM clv_test.cases c JOIN hyp USING (n), p;
SELECT c.n, round(profile.clv_p_alive(m.m, c.x, c.tx, c.tt)::numeric, 10) AS p_alive,
       round(profile.clv_expected_purchases(m.m, c.x, c.tx, c.tt, c.h)::numeric, 10) AS expected,
       abs(profile.clv_p_alive(m.m, c.x, c.tx, c.tt) - o.p_alive) < 1e-12 AS p_alive_as_sql,
       abs(profile.clv_expected_purchases(m.m, c.x, c.tx, c.tt, c.h) - o.expected) < 1e-10 AS expected_as_sql
FROM clv_test.cases c JOIN clv_test.sql_oracle o USING (n), clv_test.model m ORDER BY c.n;
-- SciPy (lifetimes' formulas, scipy.special.hyp2f1 and expit, computed
-- offline with /usr/bin/python3): r 0.243, alpha 4.414, a 0.793, b 2.426,
-- case (x 29, t_x 38, T 38.86, t 39): 19.452293843156642, P(alive)
-- 0.955221721241626; case (1000, 30, 38.86): P(alive) 3.8484227646420233e-97;
-- the unconditional curve at 39: 1.1967231933207985
SELECT abs(profile.clv_expected_purchases(m, 29, 38, 38.86, 39) / 19.452293843156642 - 1) < 1e-12 AS cond_as_scipy,
       abs(profile.clv_p_alive(m, 29, 38, 38.86) / 0.955221721241626 - 1) < 1e-12 AS p_alive_as_scipy,
       abs(profile.clv_p_alive(m, 1000, 30, 38.86) / 3.8484227646420233e-97 - 1) < 1e-10 AS large_frequency_as_scipy,
       abs(profile.clv_expected_purchases(m, 39) / 1.1967231933207985 - 1) < 1e-12 AS curve_as_scipy,
       profile.clv_expected_purchases(m, 0, 0, 0, 39) = profile.clv_expected_purchases(m, 39) AS curve_is_x0_t0
FROM clv_test.model;
-- large frequencies (lifetimes#332): finite, no overflow
SELECT profile.clv_p_alive(m, 100000, 38, 38.86) AS p_alive_recent_heavy,
       profile.clv_p_alive(m, 100000, 1, 38.86) AS p_alive_lapsed_heavy,
       round(profile.clv_expected_purchases(m, 500, 38.8, 38.86, 1)::numeric, 3) AS heavy_next_week
FROM clv_test.model;

-- ---- fitting ----
-- parameter recovery: 20,000 customers simulated from r 0.5, alpha 8,
-- a 0.8, b 2.5, observed 30 to 90 time units; stated tolerance: each
-- parameter within 15% (the sampling error at this size is a few %)
CREATE TABLE clv_test.sim AS
SELECT * FROM profile.clv_bgnbd_simulate(20000, 0.5, 8, 0.8, 2.5, 30, 90, seed => 7);
SELECT count(*), sum(frequency), count(*) FILTER (WHERE frequency > 0) AS repeat_buyers FROM clv_test.sim;
CREATE TABLE clv_test.fit AS
SELECT profile.clv_bgnbd(frequency, recency, t) AS f FROM clv_test.sim;
SELECT (f).customers, (f).converged, round((f).r::numeric, 3) AS r, round((f).alpha::numeric, 2) AS alpha,
       round((f).a::numeric, 3) AS a, round((f).b::numeric, 3) AS b,
       abs((f).r / 0.5 - 1) < 0.15 AND abs((f).alpha / 8 - 1) < 0.15
       AND abs((f).a / 0.8 - 1) < 0.15 AND abs((f).b / 2.5 - 1) < 0.15 AS recovered
FROM clv_test.fit;
-- the same rows in another order give the same doubles (canonical order)
SELECT (SELECT profile.clv_bgnbd(frequency, recency, t ORDER BY customer_id DESC) FROM clv_test.sim)
       = (SELECT f FROM clv_test.fit) AS order_independent;
-- the scan path reaches the same optimum
SELECT abs((s).r / (f).r - 1) < 1e-6 AND abs((s).alpha / (f).alpha - 1) < 1e-6
       AND abs((s).a / (f).a - 1) < 1e-6 AND abs((s).b / (f).b - 1) < 1e-6
       AND abs((s).loglik - (f).loglik) < 1e-6 AS scan_equals_aggregate, (s).converged
FROM (SELECT profile.clv_bgnbd_fit_scan('SELECT customer_id, frequency, recency, t FROM clv_test.sim') AS s) a,
     clv_test.fit;
-- the log-likelihood pass at the fit: its gradient vanishes there
SELECT l[1] AS customers, l[2] AS skipped, l[3] AS repeat_buyers,
       abs(l[6] - (f).loglik) < 1e-6 AS loglik_as_fit,
       greatest(abs(l[7] * (f).r), abs(l[8] * (f).alpha), abs(l[9] * (f).a), abs(l[10] * (f).b)) / l[1] < 1e-6 AS gradient_zero
FROM (SELECT profile.clv_bgnbd_loglik(frequency, recency, t, ARRAY[(f).r, (f).alpha, (f).a, (f).b])
             FILTER (WHERE true) AS l
      FROM clv_test.sim, clv_test.fit GROUP BY f) x, clv_test.fit;
-- its Hessian (entries 11 to 20: rr, r alpha, r a, r b, alpha alpha,
-- alpha a, alpha b, aa, ab, bb) against central differences of its
-- gradient, steps of 1e-5 of each parameter (stated tolerance: 1e-6 of
-- the largest entry)
WITH p(p) AS (VALUES (ARRAY[0.3, 4.1, 0.7, 2.3]::float8[])),
base AS (SELECT profile.clv_bgnbd_loglik(frequency, recency, t, p) AS s FROM clv_test.sim, p GROUP BY p),
shifted AS (
    SELECT j, p[j] AS pj,
           (SELECT profile.clv_bgnbd_loglik(frequency, recency, t, p[:j - 1] || p[j] * (1 + 1e-5) || p[j + 1:])
            FROM clv_test.sim) AS sp,
           (SELECT profile.clv_bgnbd_loglik(frequency, recency, t, p[:j - 1] || p[j] * (1 - 1e-5) || p[j + 1:])
            FROM clv_test.sim) AS sm
    FROM p, generate_series(1, 4) j),
idx(i, j, e) AS (VALUES (1, 1, 11), (1, 2, 12), (1, 3, 13), (1, 4, 14), (2, 2, 15), (2, 3, 16), (2, 4, 17),
                        (3, 3, 18), (3, 4, 19), (4, 4, 20), (2, 1, 12), (3, 1, 13), (4, 1, 14), (3, 2, 16),
                        (4, 2, 17), (4, 3, 19))
SELECT max(abs((sh.sp[6 + i] - sh.sm[6 + i]) / (2e-5 * sh.pj) - b.s[e]))
       / (SELECT max(abs(h)) FROM base, unnest(s[11:20]) h) < 1e-6 AS hessian_as_differences
FROM shifted sh JOIN idx USING (j), base b;
-- NULL rows are skipped (and counted by the scan pass).  The state at
-- {1, 1, 1, 1} of (1, 2, 5) and (0, 0, 3): log-likelihood, gradient and
-- Hessian as 40-digit mpmath differentiates lifetimes' formula (computed
-- offline): -4.0535225677; -1.623536086, 1.15, 0.3, -0.3; -0.9231275178,
-- 1.41303215, 0.1109035489, -0.1109035489, -1.730833333, -0.05333333333,
-- 0.05333333333, -0.39, 0.09, 0.21
SELECT (profile.clv_bgnbd(f, r, t)).customers
FROM (VALUES (1.0, 2.0, 5.0), (0, 0, 3), (NULL, 1, 2), (2, 3, 4), (0, 0, 9), (1, 1, 1)) v(f, r, t);
SELECT array(SELECT round(e::numeric, 9) FROM unnest(profile.clv_bgnbd_loglik(f, r, t, '{1,1,1,1}')) e) AS state
FROM (VALUES (1.0, 2.0, 5.0), (0, 0, 3), (NULL, 1, 2)) v(f, r, t);
-- an L2 penalizer shrinks the parameters
SELECT (profile.clv_bgnbd(frequency, recency, t, 0.1)).r < (SELECT (f).r FROM clv_test.fit) AS penalized_r_smaller
FROM clv_test.sim;
-- no convergence: a result, converged false, a WARNING, no NaN
SELECT (f).converged, (f).iterations, (f).r > 0 AND (f).alpha > 0 AND (f).a > 0 AND (f).b > 0 AS finite_positive
FROM (SELECT profile.clv_bgnbd_fit_scan('SELECT customer_id, frequency, recency, t FROM clv_test.sim', max_iter => 2) AS f) s;
SELECT profile.clv_bgnbd(f, r, t) FROM (VALUES (1.0, 2.0, 5.0)) v(f, r, t) WHERE false;

-- bad summaries (SQLSTATEs in sql/clv_garden.sql)
SELECT profile.clv_bgnbd(f, r, t) FROM (VALUES (1.0, 6.0, 5.0)) v(f, r, t);
SELECT profile.clv_bgnbd(f, r, t) FROM (VALUES (-1.0, 0.0, 5.0)) v(f, r, t);
SELECT profile.clv_bgnbd(f, r, t) FROM (VALUES (0.0, 2.0, 5.0)) v(f, r, t);
SELECT profile.clv_bgnbd(f, r, t) FROM (VALUES (1.5, 2.0, 5.0)) v(f, r, t);
SELECT profile.clv_bgnbd(f, r, t) FROM (VALUES ('NaN'::float8, 2.0, 5.0)) v(f, r, t);
SELECT profile.clv_bgnbd(f, r, t) FROM (VALUES (1.0, 2.0, 'Infinity'::float8)) v(f, r, t);
SELECT profile.clv_bgnbd(f, r, t) FROM (VALUES (1.0, 2.0, 5.0), (0, 0, 5)) v(f, r, t);
SELECT profile.clv_bgnbd(f, r, t) FROM (VALUES (0.0, 0.0, 5.0), (0, 0, 5), (0, 0, 7), (0, 0, 2)) v(f, r, t);
SELECT profile.clv_bgnbd(f, r, t, -1) FROM (VALUES (1.0, 2.0, 5.0)) v(f, r, t);
SELECT profile.clv_summary(now(), 1, now(), 'fortnight');
SELECT profile.clv_p_alive(ROW(0, 1, 1, 1, NULL, NULL, NULL, NULL, NULL)::profile.clv_bgnbd, 1, 1, 2);

-- ---- Gamma-Gamma and CLV ----
-- parameter recovery: spend drawn from the Gamma-Gamma model itself with
-- p 2, q 3, v 40 (integer shapes, so each Gamma deviate is a sum of
-- exponentials of a hash-based uniform): nu = Gamma(3) / 40 per customer,
-- m = Gamma(2 x) / (nu x); stated tolerance 10% per parameter.  Then one
-- repeat customer gets monetary 0 and one -5: left out and counted.
CREATE FUNCTION clv_test.unif(c bigint, j bigint) RETURNS float8 LANGUAGE sql IMMUTABLE AS
$$ SELECT (('x' || substr(md5(c || ':' || j), 1, 8))::bit(32)::bigint + 0.5) / 4294967296.0 $$;
CREATE TABLE clv_test.spend AS
SELECT s.customer_id, s.frequency, s.recency, s.t,
       CASE WHEN s.frequency = 0 THEN 0 ELSE
       (SELECT sum(-ln(clv_test.unif(s.customer_id, j))) FROM generate_series(1, 2 * s.frequency) j)
       / (s.frequency * (SELECT sum(-ln(clv_test.unif(s.customer_id, -j))) FROM generate_series(1, 3) j) / 40)
       END AS monetary
FROM clv_test.sim s;
SELECT (g).customers, (g).excluded, (g).converged, round((g).p::numeric, 3) AS p, round((g).q::numeric, 3) AS q,
       round((g).v::numeric, 3) AS v, round((g).correlation::numeric, 4) AS correlation,
       abs((g).p / 2 - 1) < 0.1 AND abs((g).q / 3 - 1) < 0.1 AND abs((g).v / 40 - 1) < 0.1 AS recovered
FROM (SELECT profile.clv_gammagamma(frequency, monetary) AS g FROM clv_test.spend) s;
UPDATE clv_test.spend SET monetary = 0 WHERE customer_id = (SELECT min(customer_id) FROM clv_test.spend WHERE frequency > 0);
UPDATE clv_test.spend SET monetary = -5 WHERE customer_id = (SELECT max(customer_id) FROM clv_test.spend WHERE frequency > 0);
SELECT (g).customers, (g).excluded, (g).converged
FROM (SELECT profile.clv_gammagamma(frequency, monetary) AS g FROM clv_test.spend) s;
-- serial and in another order: the same value
SELECT (SELECT profile.clv_gammagamma(frequency, monetary ORDER BY customer_id DESC) FROM clv_test.spend)
       = (SELECT profile.clv_gammagamma(frequency, monetary) FROM clv_test.spend) AS order_independent;
-- expected order value, hand-checked: p (v + x m) / (p x + q - 1);
-- p 6.25, q 3.74, v 15.44, x 2, m 30: 6.25 * 75.44 / 15.24 = 30.938320
SELECT round(profile.clv_expected_aov(ROW(6.25, 3.74, 15.44, NULL, NULL, NULL, NULL, NULL, NULL, NULL)::profile.clv_gammagamma, 2, 30)::numeric, 6) AS aov,
       round(profile.clv_expected_aov(ROW(6.25, 3.74, 15.44, NULL, NULL, NULL, NULL, NULL, NULL, NULL)::profile.clv_gammagamma, 0, 0)::numeric, 6) AS new_customer_aov,
       profile.clv_expected_aov(ROW(6.25, 0.5, 15.44, NULL, NULL, NULL, NULL, NULL, NULL, NULL)::profile.clv_gammagamma, 0, 0) AS undefined_mean,
       profile.clv_expected_aov(ROW(6.25, 3.74, 15.44, NULL, NULL, NULL, NULL, NULL, NULL, NULL)::profile.clv_gammagamma, 2, -1) AS negative_spend;
-- CLV: lifetimes' definition, written out in plain SQL over 12 months of
-- 4.345 weeks, discount 1% a month
SELECT abs(profile.clv_value(b.m, g, 3, 20, 38.86, 30, 'week', 12, 0.01)
           - (SELECT sum(profile.clv_expected_aov(g, 3, 30)
                         * (profile.clv_expected_purchases(b.m, 3, 20, 38.86, i * 4.345)
                            - profile.clv_expected_purchases(b.m, 3, 20, 38.86, (i - 1) * 4.345))
                         / 1.01 ^ i) FROM generate_series(1, 12) i)) < 1e-9 AS clv_as_sql,
       round(profile.clv_value(b.m, g, 3, 20, 38.86, 30, 'week')::numeric, 4) AS clv_daily_units
FROM clv_test.model b,
     (SELECT ROW(6.25, 3.74, 15.44, NULL, NULL, NULL, NULL, NULL, NULL, NULL)::profile.clv_gammagamma AS g) gg;
-- frequency and monetary correlated: a WARNING, and the correlation
SELECT round((g).correlation::numeric, 3) AS correlation
FROM (SELECT profile.clv_gammagamma(frequency, 10 + 5 * frequency + (customer_id % 3)) AS g
      FROM clv_test.sim WHERE frequency > 0) s;
SELECT profile.clv_gammagamma(f, m) FROM (VALUES (1.0, 5.0), (2, 0)) v(f, m);

-- ---- named models ----
SET client_min_messages = warning;
SELECT model, customers, rows_skipped, converged, spend_customers, spend_excluded, spend_converged,
       abs(r / (SELECT (f).r FROM clv_test.fit) - 1) < 1e-9 AS same_r_as_aggregate
FROM profile.clv_fit('clv_test_model', 'SELECT customer_id, frequency, recency, t, monetary FROM clv_test.spend
                                        UNION ALL SELECT NULL, NULL, 1, 2, 3', time_unit => 'week');
RESET client_min_messages;
SELECT model, time_unit, round(r::numeric, 3) AS r, round(p::numeric, 3) AS p, summary->'customers' AS customers,
       summary->'spend_excluded' AS excluded
FROM profile.clv_models WHERE model = 'clv_test_model';
-- by name equals by value
SELECT count(*) AS customers,
       count(*) FILTER (WHERE profile.clv_p_alive('clv_test_model', frequency, recency, t)
                        = profile.clv_p_alive(f, frequency, recency, t)) AS same_p_alive,
       count(*) FILTER (WHERE profile.clv_expected_purchases('clv_test_model', frequency, recency, t, 10)
                        = profile.clv_expected_purchases(f, frequency, recency, t, 10)) AS same_expected
FROM clv_test.sim, clv_test.fit;
-- one call scores every customer, as the scalar functions do
SELECT count(*) AS scored,
       count(*) FILTER (WHERE s.p_alive = profile.clv_p_alive('clv_test_model', s.frequency, s.recency, s.t)) AS same_p_alive,
       count(*) FILTER (WHERE s.expected_purchases = profile.clv_expected_purchases('clv_test_model', s.frequency, s.recency, s.t, 12 * 4.345)) AS same_expected,
       count(*) FILTER (WHERE s.clv IS NOT DISTINCT FROM profile.clv_value('clv_test_model', s.frequency, s.recency, s.t, s.monetary)) AS same_clv,
       count(*) FILTER (WHERE s.clv IS NULL) AS undefined_clv
FROM profile.clv_score('clv_test_model', 'SELECT customer_id, frequency, recency, t, monetary FROM clv_test.spend') s;
SELECT round(profile.clv_expected_purchases('clv_test_model', 52)::numeric, 4)
       = round(profile.clv_expected_purchases((SELECT f FROM clv_test.fit), 52)::numeric, 4) AS curve_by_name;
-- a model without spend: value functions refuse, scoring gives NULL CLV
SELECT profile.clv_save('clv_test_nospend', f, NULL, 'week') FROM clv_test.fit;
SELECT profile.clv_value('clv_test_nospend', 1, 1, 2, 10);
SELECT count(*), count(clv) FROM profile.clv_score('clv_test_nospend', 'SELECT customer_id, frequency, recency, t FROM clv_test.sim LIMIT 10');
SELECT profile.clv_fit('clv_test_empty', 'SELECT 1, 1.0, 1.0, 1.0 WHERE false');
SELECT profile.clv_p_alive('clv_test_nothing', 1, 1, 2);

DELETE FROM profile.models WHERE name LIKE 'clv\_test\_%';
DROP SCHEMA clv_test CASCADE;
