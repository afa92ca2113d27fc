-- Customer profiles: profile.behaviour, profile.behaviour_features,
-- profile.customer_profiles and tags, each checked against a plain-SQL
-- computation of the same definition.
SET TimeZone = 'UTC';
SET extra_float_digits = 0;

-- Order lines of 60 customers over a year, built by arithmetic (no
-- random()): several lines per order, returns, discounts, NULL categories
-- and channels, customers with one order.
CREATE TABLE lines AS
SELECT c AS customer_id,
       o + c * 1000 AS order_id,
       timestamptz '2025-01-01 00:00+00'
         + ((c * 37 + o * 53) % 360) * interval '1 day'
         + ((c * 7 + o * 11) % 24) * interval '1 hour' AS ordered_at,
       CASE WHEN (c + o + l) % 17 = 0 THEN -((c + l) % 9 + 1)::float8
            ELSE ((c * 13 + o * 7 + l * 5) % 40 + 1)::float8 * (1 + (c % 4)) END AS amount,
       CASE WHEN (c + l) % 23 = 0 THEN NULL
            ELSE (ARRAY['grocery','baby','toys','books','beauty'])[1 + (c * l + o) % (2 + c % 4)] END AS category,
       CASE WHEN (o + l) % 5 = 0 THEN NULL
            ELSE ((c * 13 + o * 7 + l * 5) % 40 + 1)::float8 * (1 + (c % 4)) * (1 + ((c + o) % 3) * 0.25) END AS list_amount,
       CASE WHEN (c * o) % 19 = 0 THEN NULL
            ELSE (ARRAY['store','web','app'])[1 + (c % 2) * ((o + l) % 3)] END AS channel
FROM generate_series(1, 60) c,
     generate_series(1, 1 + c % 9) o,
     generate_series(1, 1 + (c + o) % 4) l;

-- ---------------------------------------------------------------
-- profile.behaviour_features against plain SQL
-- ---------------------------------------------------------------

CREATE TABLE bf AS
SELECT customer_id,
       (profile.behaviour_features(
            profile.behaviour(ordered_at, amount, category, list_amount, channel, order_id),
            timestamptz '2026-01-01 00:00+00', 90)).*
FROM lines GROUP BY customer_id;

CREATE TABLE orders_sql AS
SELECT customer_id, order_id, min(ordered_at) AS at,
       sum(amount) FILTER (WHERE amount >= 0) AS spend,
       count(*) FILTER (WHERE amount >= 0) AS lines
FROM lines GROUP BY customer_id, order_id;

CREATE TABLE sql_features AS
WITH p AS (SELECT * FROM orders_sql WHERE lines > 0),
per_order AS (
  SELECT customer_id,
         count(*) AS orders,
         min(at) AS first_order_at, max(at) AS last_order_at,
         avg((extract(isodow FROM at) IN (6, 7))::int) AS weekend_share,
         avg((extract(hour FROM at) >= 22 OR extract(hour FROM at) < 6)::int) AS night_share,
         avg((extract(hour FROM at) >= 6 AND extract(hour FROM at) < 12)::int) AS morning_share,
         avg((extract(hour FROM at) >= 12 AND extract(hour FROM at) < 17)::int) AS afternoon_share,
         avg((extract(hour FROM at) >= 17 AND extract(hour FROM at) < 22)::int) AS evening_share,
         sum(spend) FILTER (WHERE at > timestamptz '2026-01-01 00:00+00' - interval '90 days') AS recent,
         sum(spend) FILTER (WHERE at <= timestamptz '2026-01-01 00:00+00' - interval '90 days'
                              AND at > timestamptz '2026-01-01 00:00+00' - interval '180 days') AS previous
  FROM p GROUP BY customer_id),
wd AS (
  SELECT DISTINCT ON (customer_id) customer_id, extract(isodow FROM at)::int AS top_weekday
  FROM p GROUP BY customer_id, extract(isodow FROM at)
  ORDER BY customer_id, count(*) DESC, extract(isodow FROM at)),
hr AS (
  SELECT DISTINCT ON (customer_id) customer_id, extract(hour FROM at)::int AS top_hour
  FROM p GROUP BY customer_id, extract(hour FROM at)
  ORDER BY customer_id, count(*) DESC, extract(hour FROM at)),
ln AS (
  SELECT customer_id,
         count(*) FILTER (WHERE amount >= 0) AS lines,
         coalesce(sum(amount) FILTER (WHERE amount >= 0), 0) AS spend,
         coalesce(-sum(amount) FILTER (WHERE amount < 0), 0) AS returned,
         count(*) FILTER (WHERE amount < 0)::float8 / count(*) AS return_rate,
         sum(amount) FILTER (WHERE amount >= 0 AND list_amount IS NOT NULL AND amount < list_amount)
           / nullif(sum(amount) FILTER (WHERE amount >= 0 AND list_amount IS NOT NULL), 0) AS discount_share
  FROM lines GROUP BY customer_id),
cat AS (
  SELECT customer_id,
         array_agg(category ORDER BY s DESC, category COLLATE "C") AS categories,
         array_agg(round((s / total)::numeric, 12) ORDER BY s DESC, category COLLATE "C") AS category_shares
  FROM (SELECT customer_id, coalesce(category, 'unknown') AS category, sum(amount) AS s,
               sum(sum(amount)) OVER (PARTITION BY customer_id) AS total
        FROM lines WHERE amount >= 0 GROUP BY 1, 2) x
  GROUP BY customer_id),
ch AS (
  SELECT customer_id,
         array_agg(channel ORDER BY s DESC, channel COLLATE "C") AS channels,
         count(*) > 1 AS cross_channel
  FROM (SELECT customer_id, coalesce(channel, 'unknown') AS channel, sum(amount) AS s
        FROM lines WHERE amount >= 0 GROUP BY 1, 2) x
  GROUP BY customer_id)
SELECT o.customer_id, o.orders, ln.lines, ln.spend, ln.returned,
       o.first_order_at, o.last_order_at,
       date '2026-01-01' - o.last_order_at::date AS recency_days,
       date '2026-01-01' - o.first_order_at::date AS tenure_days,
       round(o.weekend_share, 12) AS weekend_share,
       round(o.night_share, 12) AS night_share, round(o.morning_share, 12) AS morning_share,
       round(o.afternoon_share, 12) AS afternoon_share, round(o.evening_share, 12) AS evening_share,
       wd.top_weekday, hr.top_hour,
       round((ln.spend / o.orders)::numeric, 9) AS avg_order_value,
       round((ln.lines::float8 / o.orders)::numeric, 12) AS lines_per_order,
       round(ln.return_rate::numeric, 12) AS return_rate,
       round(ln.discount_share::numeric, 12) AS discount_share,
       cat.categories, cat.category_shares, ch.channels, ch.cross_channel,
       coalesce(o.recent, 0) AS spend_recent, coalesce(o.previous, 0) AS spend_previous,
       CASE WHEN o.orders < 2 OR (coalesce(o.recent, 0) = 0 AND coalesce(o.previous, 0) = 0) THEN NULL
            WHEN coalesce(o.previous, 0) = 0 OR o.recent / o.previous >= 1.25 THEN 'rising'
            WHEN o.recent IS NULL OR o.recent / o.previous <= 0.8 THEN 'declining'
            ELSE 'stable' END AS trend
FROM per_order o JOIN wd USING (customer_id) JOIN hr USING (customer_id)
     JOIN ln USING (customer_id) JOIN cat USING (customer_id) JOIN ch USING (customer_id);

CREATE VIEW bf_rounded AS
SELECT customer_id, orders, lines, spend, returned, first_order_at, last_order_at,
       recency_days, tenure_days,
       round(weekend_share::numeric, 12) AS weekend_share,
       round(night_share::numeric, 12) AS night_share, round(morning_share::numeric, 12) AS morning_share,
       round(afternoon_share::numeric, 12) AS afternoon_share, round(evening_share::numeric, 12) AS evening_share,
       top_weekday, top_hour,
       round(avg_order_value::numeric, 9) AS avg_order_value,
       round(lines_per_order::numeric, 12) AS lines_per_order,
       round(return_rate::numeric, 12) AS return_rate,
       round(discount_share::numeric, 12) AS discount_share,
       categories,
       (SELECT array_agg(round(x::numeric, 12) ORDER BY i) FROM unnest(category_shares) WITH ORDINALITY u(x, i)) AS category_shares,
       channels, cross_channel, spend_recent, spend_previous, trend
FROM bf;

-- every customer, every feature: no difference either way
SELECT count(*) AS customers, count(*) FILTER (WHERE trend IS NOT NULL) AS with_trend,
       count(DISTINCT trend) AS trends, count(*) FILTER (WHERE orders = 1) AS one_order
FROM sql_features;
SELECT * FROM (SELECT * FROM bf_rounded EXCEPT SELECT * FROM sql_features) d;
SELECT * FROM (SELECT * FROM sql_features EXCEPT SELECT * FROM bf_rounded) d;

-- the same in a zone with daylight saving time (local hours and days move)
SET TimeZone = 'America/New_York';
SELECT count(*) AS differing FROM (
  SELECT customer_id, (f).weekend_share::numeric(20, 12), (f).night_share::numeric(20, 12), (f).top_weekday, (f).top_hour
  FROM (SELECT customer_id, profile.behaviour_features(
          profile.behaviour(ordered_at, amount, category, list_amount, channel, order_id),
          timestamptz '2026-01-01 00:00+00') AS f
        FROM lines GROUP BY customer_id) b
  EXCEPT
  SELECT o.customer_id,
         avg((extract(isodow FROM at) IN (6, 7))::int)::numeric(20, 12),
         avg((extract(hour FROM at) >= 22 OR extract(hour FROM at) < 6)::int)::numeric(20, 12),
         (SELECT extract(isodow FROM at)::int FROM orders_sql x WHERE x.customer_id = o.customer_id AND x.lines > 0
          GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1),
         (SELECT extract(hour FROM at)::int FROM orders_sql x WHERE x.customer_id = o.customer_id AND x.lines > 0
          GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1)
  FROM orders_sql o WHERE lines > 0 GROUP BY o.customer_id) d;
SET TimeZone = 'UTC';

-- Without order ids an order is the lines of one timestamp; with three
-- columns there are no discounts or channels
SELECT (f).orders, (f).lines, (f).discount_share, (f).channels, (f).cross_channel
FROM (SELECT profile.behaviour_features(profile.behaviour(ordered_at, amount, category),
                                        timestamptz '2026-01-01') AS f
      FROM lines WHERE customer_id = 7) x;
SELECT count(DISTINCT ordered_at) FILTER (WHERE amount >= 0) AS orders,
       count(*) FILTER (WHERE amount >= 0) AS lines
FROM lines WHERE customer_id = 7;

-- Combine: states merged in any grouping equal the state of all rows
SELECT count(*) AS differing FROM (
  SELECT customer_id, profile.behaviour_features(s, '2026-01-01')::text AS f
  FROM (SELECT customer_id, profile.behaviour_merge(s) AS s
        FROM (SELECT customer_id, order_id % 3 AS part,
                     profile.behaviour(ordered_at, amount, category, list_amount, channel, order_id) AS s
              FROM lines GROUP BY 1, 2) parts
        GROUP BY customer_id) m
  EXCEPT
  SELECT customer_id, profile.behaviour_features(
           profile.behaviour(ordered_at, amount, category, list_amount, channel, order_id), '2026-01-01')::text
  FROM lines GROUP BY customer_id) d;

-- Hand-worked: two orders of customer 1 (a Saturday morning with a
-- discount, a Wednesday night), a return-only order, a NULL row
CREATE TABLE tiny (c int, at timestamptz, amt float8, cat text, lst float8, ch text, oid bigint);
INSERT INTO tiny VALUES
 (1, '2025-01-04 10:00+00', 10, 'baby', 12, 'web', 1),
 (1, '2025-01-04 10:00+00', 5, 'toys', 5, 'web', 1),
 (1, '2025-03-05 23:30+00', 20, 'baby', 20, 'store', 2),
 (1, '2025-03-10 12:00+00', -5, 'toys', 5, 'store', 3),
 (1, NULL, 7, 'x', NULL, NULL, 5);
SELECT (profile.behaviour_features(profile.behaviour(at, amt, cat, lst, ch, oid), '2025-04-01')).*
FROM tiny;

-- ---------------------------------------------------------------
-- Bad input
-- ---------------------------------------------------------------
CREATE FUNCTION pt_try(sql text) RETURNS text LANGUAGE plpgsql AS $f$
BEGIN
    EXECUTE sql;
    RETURN 'ok';
EXCEPTION WHEN OTHERS THEN
    RETURN SQLSTATE || ': ' || SQLERRM;
END $f$;
SELECT n, pt_try(sql) AS result FROM (VALUES
    (1, $$SELECT profile.behaviour(at, 'NaN', 'x') FROM tiny$$),
    (2, $$SELECT profile.behaviour('infinity', 1, 'x')$$),
    (3, $$SELECT profile.behaviour(at, amt, cat, 'Infinity') FROM tiny$$),
    (4, $$SELECT profile.behaviour_features('\x00'::bytea, now())$$),
    (5, $$SELECT profile.behaviour_features(profile.behaviour(at, amt, cat), NULL) FROM tiny$$),
    (6, $$SELECT profile.behaviour_features(profile.behaviour(at, amt, cat), '2025-03-01') FROM tiny$$),
    (7, $$SELECT profile.behaviour_features(profile.behaviour(at, amt, cat), '2025-04-01', 0) FROM tiny$$),
    (8, $$SELECT profile.behaviour_features(profile.behaviour(at, amt, cat), 'infinity') FROM tiny$$),
    (9, $$SELECT profile.behaviour_transfn(NULL, now(), 1, 'x')$$),
    (10, $$SELECT profile.behaviour_merge(s) FROM ( SELECT profile.behaviour(at, amt, cat) AS s FROM tiny UNION ALL SELECT profile.behaviour(at, amt, cat, lst, ch, oid) FROM tiny) x$$)) v(n, sql) ORDER BY n;
CREATE FUNCTION profile_test_state_ok(s bytea) RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN
  PERFORM profile.behaviour_features(s, '2026-01-01');
  RETURN true;
EXCEPTION WHEN invalid_parameter_value THEN
  RETURN false;
END $$;
-- a corrupted state: every byte flipped in turn is refused or harmless
SELECT count(*) FILTER (WHERE ok) AS accepted, count(*) FILTER (WHERE NOT ok) AS refused
FROM (SELECT i, profile_test_state_ok(set_byte(s, i, 255 - get_byte(s, i))) AS ok
      FROM (SELECT profile.behaviour(at, amt, cat, lst, ch, oid) AS s FROM tiny) x,
           generate_series(4, 103) i) y;
-- a state of NULL rows only (no category, no spare room once compacted)
-- merged with another
SELECT (f).orders, (f).lines, (f).categories
FROM (SELECT profile.behaviour_features(profile.behaviour_merge(s), '2026-01-01') AS f
      FROM (SELECT profile.behaviour(NULL::timestamptz, 1, 'x') AS s
            UNION ALL SELECT profile.behaviour('2025-06-01', 2, 'toys')) x) y;
-- empty input: no state; features of no state are NULL
SELECT profile.behaviour(at, amt, cat) IS NULL AS no_state FROM tiny WHERE false;
SELECT profile.behaviour_features(NULL, now()) IS NULL AS no_features;

-- ---------------------------------------------------------------
-- profile.customer_profiles against plain SQL
-- ---------------------------------------------------------------

CREATE TABLE cp AS
SELECT * FROM profile.customer_profiles(
    'SELECT customer_id, ordered_at, amount, category, list_amount, channel, order_id FROM lines',
    as_of => '2026-01-01 00:00+00');

-- the customer's own features are those of profile.behaviour_features
SELECT count(*) AS customers,
       count(*) FILTER (WHERE (b.orders, b.lines, b.spend, b.returned, b.recency_days, b.tenure_days,
                               b.weekend_share, b.night_share, b.top_weekday, b.top_hour,
                               b.avg_order_value, b.lines_per_order, b.return_rate, b.discount_share,
                               b.categories, b.category_shares, b.channels, b.channel_shares,
                               b.cross_channel, b.spend_recent, b.spend_previous, b.trend)
                              IS NOT DISTINCT FROM
                              (c.orders, c.lines, c.spend, c.returned, c.recency_days, c.tenure_days,
                               c.weekend_share, c.night_share, c.top_weekday, c.top_hour,
                               c.avg_order_value, c.lines_per_order, c.return_rate, c.discount_share,
                               c.categories, c.category_shares, c.channels, c.channel_shares,
                               c.cross_channel, c.spend_recent, c.spend_previous, c.trend)) AS same
FROM cp c JOIN bf b ON b.customer_id::text = c.customer_id;

-- discount lift: the customer's share over the population's
WITH pop AS (
  SELECT sum(amount) FILTER (WHERE amount < list_amount) / sum(amount) AS share
  FROM lines WHERE amount >= 0 AND list_amount IS NOT NULL)
SELECT count(*) AS differing FROM cp, pop
WHERE round(cp.discount_lift::numeric, 12) IS DISTINCT FROM round((cp.discount_share / pop.share)::numeric, 12);

-- category affinity (customer share / population share), top categories
CREATE TABLE cat_sql AS
WITH cs AS (
  SELECT customer_id::text AS customer_id, coalesce(category, 'unknown') AS category, sum(amount) AS s,
         sum(sum(amount)) OVER (PARTITION BY customer_id) AS total,
         sum(sum(amount)) OVER (PARTITION BY coalesce(category, 'unknown')) AS cat_total,
         sum(sum(amount)) OVER () AS all_total
  FROM lines WHERE amount >= 0 GROUP BY customer_id, coalesce(category, 'unknown'))
SELECT customer_id,
       array_agg(round(((s / total) / (cat_total / all_total))::numeric, 10)
                 ORDER BY s DESC, category COLLATE "C") AS affinity,
       (array_agg(category ORDER BY s DESC, category COLLATE "C"))[1] AS top_category,
       (array_agg(category ORDER BY (s / total) / (cat_total / all_total) DESC, s DESC,
                  category COLLATE "C"))[1] AS top_affinity_category
FROM cs GROUP BY customer_id;
SELECT count(*) AS differing FROM cp JOIN cat_sql s USING (customer_id)
WHERE (SELECT array_agg(round(x::numeric, 10) ORDER BY i) FROM unnest(cp.category_affinity) WITH ORDINALITY u(x, i))
        IS DISTINCT FROM s.affinity
   OR cp.top_category IS DISTINCT FROM s.top_category
   OR cp.top_affinity_category IS DISTINCT FROM s.top_affinity_category;

-- price percentile: the spend-weighted mean of percent_rank of the
-- customer's mean line amount within each category
WITH per_cat AS (
  SELECT customer_id, coalesce(category, 'unknown') AS category, sum(amount) AS s,
         avg(amount) AS mean_price
  FROM lines WHERE amount >= 0 GROUP BY 1, 2),
ranked AS (
  SELECT *, percent_rank() OVER (PARTITION BY category ORDER BY mean_price) AS pr FROM per_cat)
SELECT count(*) AS customers,
       count(*) FILTER (WHERE x.pp > 0.5) AS above_half,
       count(*) FILTER (WHERE round(cp.price_percentile::numeric, 10) IS DISTINCT FROM round(x.pp::numeric, 10)) AS differing
FROM (SELECT customer_id::text AS customer_id, sum(s * pr) / sum(s) AS pp FROM ranked GROUP BY 1) x
     JOIN cp USING (customer_id);

-- purchase cycle: as profile.purchase_cycle over the purchase orders
SELECT count(*) AS differing FROM cp JOIN (
  SELECT customer_id::text AS customer_id, (profile.purchase_cycle(at, '2026-01-01 00:00+00')).*
  FROM orders_sql WHERE lines > 0 GROUP BY customer_id) pc USING (customer_id)
WHERE cp.next_purchase_on IS DISTINCT FROM pc.expected_next
   OR round(cp.overdue_score::numeric, 12) IS DISTINCT FROM round(pc.overdue_score::numeric, 12);

-- no model named: the model columns are NULL
SELECT count(*) FILTER (WHERE r_score IS NOT NULL OR segment IS NOT NULL OR cluster IS NOT NULL
                         OR p_alive IS NOT NULL OR clv IS NOT NULL) AS with_model_columns
FROM cp;

-- with models: the columns equal the models' own scoring functions
SELECT customers FROM profile.rfm_fit('cp_rfm',
    'SELECT customer_id, ordered_at, amount, order_id FROM lines', as_of => '2026-01-01 00:00+00');
SELECT clusters FROM profile.kmeans_fit('cp_km',
    $q$SELECT customer_id, ARRAY[recency_days, orders, net_spend]::float8[] FROM cp$q$, 3);
INSERT INTO profile.kmeans_labels (model, cluster, label) VALUES ('cp_km', 1, 'first');
SELECT customers FROM profile.clv_fit('cp_clv',
    $q$SELECT customer_id, (s).frequency, (s).recency, (s).t, (s).monetary
       FROM (SELECT customer_id, profile.clv_summary(at, spend, '2026-01-01 00:00+00') AS s
             FROM orders_sql WHERE lines > 0 GROUP BY customer_id) x$q$, penalizer => 0.01);

CREATE TABLE cpm AS
SELECT * FROM profile.customer_profiles(
    'SELECT customer_id, ordered_at, amount, category, list_amount, channel, order_id FROM lines',
    as_of => '2026-01-01 00:00+00', rfm_model => 'cp_rfm', kmeans_model => 'cp_km',
    clv_model => 'cp_clv', months => 6);

SELECT count(*) AS customers,
       count(*) FILTER (WHERE (m.r_score, m.f_score, m.m_score, m.segment)
                              IS NOT DISTINCT FROM (s.r_score, s.f_score, s.m_score, s.segment)) AS same_rfm,
       count(*) FILTER (WHERE m.cluster = profile.kmeans_assign('cp_km', ARRAY[m.recency_days, m.orders, m.net_spend]::float8[])
                          AND m.cluster_label IS NOT DISTINCT FROM
                              (profile.kmeans_assign_detail('cp_km', ARRAY[m.recency_days, m.orders, m.net_spend]::float8[])).label) AS same_cluster,
       count(*) FILTER (WHERE m.cluster_label = 'first') > 0 AS labels_shown
FROM cpm m, LATERAL profile.rfm_score('cp_rfm', m.recency_days, m.orders, m.net_spend) s;

SELECT count(*) AS customers,
       count(*) FILTER (WHERE round(m.p_alive::numeric, 12) = round(profile.clv_p_alive('cp_clv', (s).frequency, (s).recency, (s).t)::numeric, 12)) AS same_p_alive,
       count(*) FILTER (WHERE round(m.expected_purchases::numeric, 12) =
                              round(profile.clv_expected_purchases('cp_clv', (s).frequency, (s).recency, (s).t, 6 * 30)::numeric, 12)) AS same_expected,
       count(*) FILTER (WHERE m.clv IS NOT DISTINCT FROM
                              CASE WHEN (s).frequency > 0 THEN profile.clv_value('cp_clv', (s).frequency, (s).recency, (s).t, (s).monetary, 6, 0.01) END) AS same_clv
FROM cpm m JOIN (SELECT customer_id::text AS customer_id, profile.clv_summary(at, spend, '2026-01-01 00:00+00') AS s
                 FROM orders_sql WHERE lines > 0 GROUP BY customer_id) x USING (customer_id);

-- ---------------------------------------------------------------
-- Tags
-- ---------------------------------------------------------------

-- a relative threshold is the population's percentile_disc
INSERT INTO profile.tags (tag, description) VALUES ('t_spender', 'top 30% by spend, weekend share 0.3+'),
                                                 ('t_baby', 'baby affinity 1.5+'),
                                                 ('t_rising', 'trend rising');
INSERT INTO profile.tag_rules (tag, feature, category, op, value, percentile, text_value) VALUES
    ('t_spender', 'spend', NULL, '>=', NULL, 0.7, NULL),
    ('t_spender', 'weekend_share', NULL, '>=', 0.3, NULL, NULL),
    ('t_baby', 'category_affinity', 'baby', '>=', 1.5, NULL, NULL),
    ('t_rising', 'trend', NULL, '=', NULL, NULL, 'rising');

CREATE TABLE cpt AS
SELECT * FROM profile.customer_profiles(
    'SELECT customer_id, ordered_at, amount, category, list_amount, channel, order_id FROM lines',
    as_of => '2026-01-01 00:00+00', tags => ARRAY['t_spender', 't_baby', 't_rising']);

WITH th AS (SELECT percentile_disc(0.7) WITHIN GROUP (ORDER BY spend) AS spend70 FROM cpt),
baby AS (SELECT c.customer_id, a.x AS affinity
         FROM cpt c, unnest(c.categories, c.category_affinity) a(cat, x) WHERE a.cat = 'baby'),
expected AS (
  SELECT c.customer_id,
         array_remove(ARRAY[
           CASE WHEN coalesce(b.affinity, 0) >= 1.5 THEN 't_baby' END,
           CASE WHEN c.trend = 'rising' THEN 't_rising' END,
           CASE WHEN c.spend >= th.spend70 AND c.weekend_share >= 0.3 THEN 't_spender' END], NULL) AS tags
  FROM cpt c CROSS JOIN th LEFT JOIN baby b USING (customer_id))
SELECT count(*) AS customers,
       count(*) FILTER (WHERE 't_spender' = ANY (e.tags)) AS spenders,
       count(*) FILTER (WHERE 't_baby' = ANY (e.tags)) AS baby,
       count(*) FILTER (WHERE 't_rising' = ANY (e.tags)) AS rising,
       count(*) FILTER (WHERE c.tags IS DISTINCT FROM e.tags) AS differing
FROM cpt c JOIN expected e USING (customer_id);

-- presets: without models, every preset but churn_risk is evaluated;
-- weekend_shopper and big_basket as plain SQL
WITH th AS (SELECT percentile_disc(0.8) WITHIN GROUP (ORDER BY lines_per_order) AS lpo80 FROM cp)
SELECT count(*) FILTER (WHERE ('weekend_shopper' = ANY (tags)) IS DISTINCT FROM
                              (weekend_share >= 0.8 AND orders >= 3)) AS weekend_differing,
       count(*) FILTER (WHERE ('big_basket' = ANY (tags)) IS DISTINCT FROM
                              (lines_per_order >= th.lpo80)) AS big_basket_differing,
       count(*) FILTER (WHERE 'churn_risk' = ANY (tags)) AS churn_risk_without_model
FROM cp, th;
SELECT count(*) FILTER (WHERE ('churn_risk' = ANY (tags)) IS DISTINCT FROM (1 - p_alive > 0.5)) AS churn_differing
FROM cpm;

-- ---------------------------------------------------------------
-- Bad input
-- ---------------------------------------------------------------
SELECT n, pt_try(sql) AS result FROM (VALUES
    (1, $$INSERT INTO profile.tag_rules (tag, feature, op, value) VALUES ('t_baby', 'wealth', '>', 1)$$),
    (2, $$INSERT INTO profile.tag_rules (tag, feature, op, percentile) VALUES ('t_baby', 'spend', '>', 1.5)$$),
    (3, $$INSERT INTO profile.tag_rules (tag, feature, op, value, percentile) VALUES ('t_baby', 'spend', '>', 1, 0.5)$$),
    (4, $$INSERT INTO profile.tag_rules (tag, feature, op, value) VALUES ('t_baby', 'spend', '~', 1)$$),
    (5, $$INSERT INTO profile.tag_rules (tag, feature, op, text_value) VALUES ('t_baby', 'trend', '>', 'x')$$),
    (6, $$INSERT INTO profile.tag_rules (tag, feature, op, value) VALUES ('t_baby', 'category_share', '>', 0.5)$$),
    (7, $$INSERT INTO profile.tag_rules (tag, feature, op, value) VALUES ('t_baby', 'spend', '>', 'NaN')$$),
    (8, $$UPDATE profile.tag_rules SET value = 0.9 WHERE tag = 'weekend_shopper' AND feature = 'weekend_share'$$),
    (9, $$DELETE FROM profile.tags WHERE tag = 'loyal'$$),
    (10, $$INSERT INTO profile.tags (tag, preset) VALUES ('mine', true)$$),
    (11, $$INSERT INTO profile.tags (tag) VALUES ('Bad Name')$$)) v(n, sql) ORDER BY n;
-- an unknown category never matches
INSERT INTO profile.tags (tag) VALUES ('t_none');
INSERT INTO profile.tag_rules (tag, feature, category, op, value) VALUES ('t_none', 'category_affinity', 'no such', '>=', 0);
SELECT count(*) FILTER (WHERE 't_none' = ANY (tags)) AS tagged, count(*) AS customers
FROM profile.customer_profiles('SELECT customer_id, ordered_at, amount, category FROM lines', tags => ARRAY['t_none']);

SELECT n, pt_try(sql) AS result FROM (VALUES
    (1, $$SELECT * FROM profile.customer_profiles('SELECT customer_id, ordered_at, amount, category FROM lines', tags => ARRAY['no_such_tag'])$$),
    (2, $$SELECT * FROM profile.customer_profiles('SELECT customer_id, ordered_at, amount, category FROM lines', tags => ARRAY['churn_risk'])$$),
    (3, $$SELECT * FROM profile.customer_profiles('SELECT customer_id, ordered_at, amount, category FROM lines', tags => ARRAY[NULL])$$),
    (4, $$SELECT * FROM profile.customer_profiles('SELECT customer_id, ordered_at, amount, category FROM lines', kmeans_model => 'cp_km', kmeans_features => ARRAY['orders'])$$),
    (5, $$SELECT * FROM profile.customer_profiles('SELECT customer_id, ordered_at, amount, category FROM lines', kmeans_model => 'cp_km', kmeans_features => ARRAY['orders', 'spend', 'segment'])$$),
    (6, $$SELECT * FROM profile.customer_profiles('SELECT customer_id, ordered_at, amount, category FROM lines', kmeans_features => ARRAY['orders'])$$),
    (7, $$SELECT * FROM profile.customer_profiles('SELECT customer_id, ordered_at, amount, category FROM lines', rfm_model => 'no_such_model')$$),
    (8, $$SELECT * FROM profile.customer_profiles('SELECT customer_id, ordered_at, amount, category FROM lines', clv_model => 'cp_rfm')$$),
    (9, $$SELECT * FROM profile.customer_profiles(NULL)$$),
    (10, $$SELECT * FROM profile.customer_profiles('SELECT customer_id, ordered_at, amount, category FROM lines', period_days => 0)$$),
    (11, $$SELECT * FROM profile.customer_profiles('SELECT customer_id, ordered_at, amount, category FROM lines', as_of => '2025-06-01')$$),
    (12, $$SELECT * FROM profile.customer_profiles('SELECT customer_id, ordered_at, amount FROM lines')$$),
    (13, $$SELECT * FROM profile.customer_profiles('SELECT customer_id, amount, ordered_at, category FROM lines')$$),
    (14, $$SELECT * FROM profile.customer_profiles('SELECT customer_id, ordered_at, ''NaN''::float8, category FROM lines')$$)) v(n, sql) ORDER BY n;
-- 11 names the latest row, whatever order rows come in
SELECT max(ordered_at) AS latest_row FROM lines;
-- empty input: no rows; NULL customers and categories
SELECT count(*) FROM profile.customer_profiles('SELECT customer_id, ordered_at, amount, category FROM lines WHERE false');
SELECT customer_id, categories, tags FROM profile.customer_profiles(
    $q$SELECT * FROM (VALUES (NULL::int, now(), 1.0, 'x'), (1, '2025-01-01', 2.0, NULL)) v$q$, as_of => '2025-02-01');

-- ---------------------------------------------------------------
-- Stored profiles: a refresh equals a full rebuild
-- ---------------------------------------------------------------
CREATE TABLE store_lines AS SELECT * FROM lines;
CREATE VIEW stored AS
SELECT customer_id, orders, lines, spend, returned, net_spend, first_order_at, last_order_at,
       recency_days, tenure_days, weekend_share, night_share, morning_share, afternoon_share,
       evening_share, top_weekday, top_hour, avg_order_value, lines_per_order, return_rate,
       discount_share, discount_lift, categories, category_shares, category_affinity, top_category,
       top_category_share, category_line_share, top_affinity_category, price_percentile, channels, channel_shares,
       top_channel, cross_channel, spend_recent, spend_previous, trend, next_purchase_on,
       overdue_score, r_score, f_score, m_score, segment, cluster, cluster_label, p_alive,
       expected_purchases, clv, tags
FROM profile.profiles WHERE profile = 'main';
-- customers are summed in id order: text order for stored profiles,
-- numeric order here, so floating-point sums may differ in the last bits:
-- compared to 12 significant digits
CREATE FUNCTION store_differences() RETURNS bigint LANGUAGE sql
SET extra_float_digits = -3 AS $$
  WITH one_call AS (
    SELECT p::text AS r FROM profile.customer_profiles(
        'SELECT customer_id, ordered_at, amount, category, list_amount, channel, order_id FROM store_lines',
        rfm_model => 'cp_rfm', clv_model => 'cp_clv') p),
  kept AS (SELECT s::text AS r FROM stored s)
  SELECT (SELECT count(*) FROM (SELECT r FROM one_call EXCEPT SELECT r FROM kept) a)
       + (SELECT count(*) FROM (SELECT r FROM kept EXCEPT SELECT r FROM one_call) b)
$$;
SET client_min_messages = warning;
SELECT profile, profiles, recomputed, rows_read, as_of_used FROM profile.profiles_create('main',
    'SELECT customer_id, ordered_at, amount, category, list_amount, channel, order_id FROM store_lines',
    rfm_model => 'cp_rfm', clv_model => 'cp_clv');
SELECT store_differences() AS differences_after_create;

-- new orders for three customers and a new customer: only they are read again
INSERT INTO store_lines VALUES
    (3, 90001, '2026-01-02 10:00+00', 25, 'baby', 30, 'web'),
    (3, 90001, '2026-01-02 10:00+00', 5, 'toys', 5, 'web'),
    (11, 90002, '2026-01-03 21:00+00', 40, 'books', 40, 'app'),
    (42, 90003, '2026-01-04 08:00+00', 12, 'grocery', 15, NULL),
    (61, 90004, '2026-01-04 09:00+00', 9, 'beauty', 10, 'store');
SELECT profile, profiles, recomputed, as_of_used FROM profile.profiles_refresh('main');
SELECT store_differences() AS differences_after_inserts;

-- updates and deletes: the customers named are read again; a customer
-- whose lines are all gone leaves the profile
UPDATE store_lines SET amount = amount * 3 WHERE customer_id = 5;
DELETE FROM store_lines WHERE customer_id = 8 AND order_id % 2 = 0;
DELETE FROM store_lines WHERE customer_id = 61;
SELECT profile, profiles, recomputed FROM profile.profiles_refresh('main', customers => ARRAY['5', '8', '61']);
SELECT store_differences() AS differences_after_updates_and_deletes;
SELECT count(*) AS states, (SELECT customers FROM profile.profile_definitions WHERE name = 'main') AS recorded
FROM profile.profile_states WHERE profile = 'main';

-- since: the customers with lines dated from then
SELECT profile, recomputed FROM profile.profiles_refresh('main', since => '2025-12-01');
SELECT store_differences() AS differences_after_since;
CREATE TABLE refreshed AS SELECT * FROM stored;
SELECT profile, profiles, recomputed FROM profile.profiles_refresh('main', rebuild => true);
SELECT store_differences() AS differences_after_rebuild;
-- the refreshed profiles equal the rebuilt ones exactly
SELECT (SELECT count(*) FROM (TABLE refreshed EXCEPT TABLE stored) a)
     + (SELECT count(*) FROM (TABLE stored EXCEPT TABLE refreshed) b) AS refreshed_vs_rebuilt;
RESET client_min_messages;

-- ---------------------------------------------------------------
-- Audiences
-- ---------------------------------------------------------------
SELECT tag, count(*) AS customers FROM profile.profiles, unnest(tags) tag
WHERE profile = 'main' GROUP BY tag ORDER BY tag;

-- members: any of the tags, not excluded, in the segments; as plain SQL
SELECT count(*) AS members,
       (SELECT count(*) FROM profile.profiles WHERE profile = 'main'
          AND tags && ARRAY['big_basket', 'lapsing_champion'] AND NOT tags && ARRAY['new_customer']) AS plain_sql,
       (SELECT count(*) FROM (SELECT customer_id FROM profile.audience('main', ARRAY['big_basket', 'lapsing_champion'],
                                                               exclude => ARRAY['new_customer'])
                              EXCEPT SELECT customer_id FROM profile.profiles WHERE profile = 'main'
                                AND tags && ARRAY['big_basket', 'lapsing_champion'] AND NOT tags && ARRAY['new_customer']) d) AS differing
FROM profile.audience('main', ARRAY['big_basket', 'lapsing_champion'], exclude => ARRAY['new_customer']);
CREATE TABLE seg AS SELECT segment FROM profile.profiles WHERE profile = 'main' AND 'loyal' = ANY (tags)
GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1;
SELECT count(*) AS in_segment,
       (SELECT count(*) FROM profile.profiles WHERE profile = 'main' AND tags && ARRAY['loyal']
          AND segment = (TABLE seg)) AS plain_sql
FROM profile.audience('main', ARRAY['loyal'], segments => ARRAY[(TABLE seg)]);

-- the action: of the matched tag first by priority (retain 20 before
-- cross_sell 50), unless the action map says otherwise
SELECT action, action_tag, count(*),
       count(*) FILTER (WHERE matched_tags @> ARRAY['big_basket', 'loyal']) AS with_both
FROM profile.audience('main', ARRAY['big_basket', 'loyal'])
GROUP BY 1, 2 ORDER BY 1, 2;
INSERT INTO profile.tag_actions (tag, action, priority) VALUES ('big_basket', 'upsell', 1);
SELECT action, action_tag, count(*),
       count(*) FILTER (WHERE matched_tags @> ARRAY['big_basket', 'loyal']) AS with_both
FROM profile.audience('main', ARRAY['big_basket', 'loyal'])
GROUP BY 1, 2 ORDER BY 1, 2;
DELETE FROM profile.tag_actions;

-- cross-sell items from a rule model mined on categories: the customer's
-- categories are the basket
SELECT rules > 0 AS has_rules FROM profile.rules_fit('cp_cat_rules',
    $q$SELECT order_id, coalesce(category, 'unknown') FROM store_lines WHERE amount >= 0$q$, 0.05, 0.1);
SELECT count(*) AS customers,
       count(*) FILTER (WHERE a.recommendations = ARRAY(SELECT r.item FROM profile.recommend('cp_cat_rules', p.categories, 2) r ORDER BY r.rank)) AS same_as_recommend,
       count(*) FILTER (WHERE cardinality(a.recommendations) > 0) AS with_items,
       count(*) FILTER (WHERE a.recommendations && p.categories) AS recommending_bought
FROM profile.audience('main', ARRAY['big_basket', 'lapsing_champion'], rules_model => 'cp_cat_rules', n => 2) a
JOIN profile.profiles p ON p.profile = 'main' AND p.customer_id = a.customer_id;

-- the summary per action, with the privacy floor: groups under
-- min_customers show no figures
WITH a AS (SELECT * FROM profile.audience('main', ARRAY['big_basket', 'lapsing_champion', 'returner']))
SELECT s.action, s.customers, s.suppressed,
       round(s.revenue_share::numeric, 9) = round((SELECT sum(net_spend) FROM a WHERE coalesce(a.action, 'none') = s.action)::numeric
             / (SELECT sum(net_spend) FROM profile.profiles WHERE profile = 'main')::numeric, 9) AS revenue_share_ok,
       (SELECT count(*) FROM a WHERE coalesce(a.action, 'none') = s.action) AS actual
FROM profile.audience_summary('main', ARRAY['big_basket', 'lapsing_champion', 'returner'], min_customers => 5) s;
SELECT action, customers, revenue_share, suppressed
FROM profile.audience_summary('main', ARRAY['big_basket', 'lapsing_champion', 'returner'], min_customers => 1000);
SELECT count(*) AS nobody FROM profile.audience('no_such_profile');
DELETE FROM profile.models WHERE name = 'cp_cat_rules';

-- the stored rows are what profiles_compute gives for the stored states
SELECT count(*) AS differing FROM (SELECT * FROM stored EXCEPT SELECT * FROM profile.profiles_compute('main')) d;

-- bad input
CREATE TABLE shape_lines (customer_id int, ordered_at timestamptz, amount float8, category text);
INSERT INTO shape_lines VALUES (1, '2025-01-01', 10, 'a');
SELECT profiles FROM profile.profiles_create('shape', 'SELECT * FROM shape_lines');
ALTER TABLE shape_lines ALTER COLUMN amount TYPE numeric;
SELECT n, pt_try(sql) AS result FROM (VALUES
    (1, $$SELECT * FROM profile.profiles_refresh('shape', rebuild => true)$$),
    (2, $$SELECT * FROM profile.profiles_refresh('no_such_profile')$$),
    (3, $$SELECT * FROM profile.profiles_create('Bad-Name', 'SELECT * FROM shape_lines')$$),
    (4, $$SELECT * FROM profile.profiles_create('main', 'SELECT * FROM shape_lines')$$),
    (5, $$SELECT * FROM profile.profiles_create('p2', 'SELECT 1')$$),
    (6, $$SELECT * FROM profile.profiles_create('p2', 'SELECT * FROM shape_lines; SELECT 1')$$),
    (7, $$SELECT * FROM profile.profiles_create('p2', 'SELECT * FROM shape_lines', rfm_model => 'nope')$$),
    (8, $$SELECT * FROM profile.profiles_create(NULL, 'SELECT * FROM shape_lines')$$),
    (9, $$SELECT * FROM profile.profiles_refresh('main', customers => ARRAY[NULL])$$),
    (10, $$SELECT * FROM profile.profiles_refresh('main', since => '2025-01-01', rebuild => true)$$),
    (11, $$SELECT * FROM profile.profiles_refresh('main', since => 'infinity')$$),
    (12, $$SELECT * FROM profile.profiles_compute('no_such_profile')$$),
    (13, $$UPDATE profile.profile_states SET behaviour = '\x00' WHERE profile = 'shape'$$),
    (14, $$SELECT count(*) FROM profile.profiles_compute('shape')$$)
) v(n, sql) ORDER BY n;
DELETE FROM profile.profile_definitions WHERE name IN ('main', 'shape');
SELECT count(*) AS rows_left FROM profile.profiles;

-- the memory budget: 20,000 customers' states do not fit in 1MB
SET profile.memory_budget = '1MB';
SELECT pt_try($$SELECT count(*) FROM profile.customer_profiles(
    'SELECT g, timestamptz ''2025-01-01'' + g * interval ''1 minute'', 1.0, ''x'' FROM generate_series(1, 20000) g')$$) AS result;
RESET profile.memory_budget;

-- clean up what later files could see
DELETE FROM profile.models WHERE name IN ('cp_rfm', 'cp_km', 'cp_clv');
DELETE FROM profile.tags WHERE NOT preset;

-- free items only (zero spend): shares and affinities 0, price percentile
-- NULL, never NaN
SELECT customer_id, spend, category_shares, category_affinity, price_percentile, avg_order_value
FROM profile.customer_profiles($q$SELECT * FROM (VALUES (1, timestamptz '2025-01-01', 0.0, 'x'),
                                                      (2, timestamptz '2025-01-02', 5.0, 'y')) v$q$)
ORDER BY customer_id;
