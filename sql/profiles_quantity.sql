-- Unit prices (1.1): the optional quantity column of profile.behaviour
-- (after order_id) and of profile.customer_profiles / profiles_create.
-- With it, price_percentile ranks the customer's mean unit price per
-- category (spend / units); without it everything is as in 1.0.  Each
-- figure is checked against plain SQL or a hand-worked case.
SET TimeZone = 'UTC';
SET extra_float_digits = 0;
-- a schema of its own: sql/profiles.sql leaves tables of these names
CREATE SCHEMA pq;
SET search_path = pq;
CREATE FUNCTION q_try(sql text) RETURNS text LANGUAGE plpgsql AS $f$
BEGIN
    EXECUTE sql;
    RETURN 'ok';
EXCEPTION WHEN OTHERS THEN
    RETURN SQLSTATE || ': ' || SQLERRM;
END $f$;

-- ---------------------------------------------------------------
-- Without quantities: the state is the bytes 1.0 wrote
-- ---------------------------------------------------------------
-- The rows of sql/profiles.sql's hand-worked case, and the states the
-- code of release 1.0 (tag v1.0) made of them with the 6 and 3 column
-- forms (little-endian, as the state's fixed-width fields are stored)
CREATE TABLE tiny (c int, at timestamptz, amt float8, cat text, lst float8, ch text, oid bigint);
INSERT INTO tiny VALUES
 (1, '2025-01-04 10:00+00', 10, 'baby', 12, 'web', 1),
 (1, '2025-01-04 10:00+00', 5, 'toys', 5, 'web', 1),
 (1, '2025-03-05 23:30+00', 20, 'baby', 20, 'store', 2),
 (1, '2025-03-10 12:00+00', -5, 'toys', 5, 'store', 3),
 (1, NULL, 7, 'x', NULL, NULL, 5);
CREATE TABLE v10 AS SELECT
  decode(
    '010700000800000003000000040000000400000010000000100000000100000000000000030000000000000001000000'
    '000000000300000000000000000000000000000000000000008041400000000000001440000000000080414000000000'
    '000024400000000004000000000000000000000002000000000000000000000000003e40040000000300000001000000'
    '0000000002000000000000000000000000002e4007000000040000000000000000000000010000000000000000000000'
    '000014400b0000000500000001000000000000000100000000000000000000000000344062616279776562746f797373'
    '746f7265030000000000000000b0f57afad2020000000000000000000000000001000000000000000000000000000000'
    '0000000000000000000000000000000000000000020000000000000000ae62899fd20200000000000000344001000000'
    '000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000'
    '0000000000000000000000000000000000000000010000000000000000081f3addcd02000000000000002e4002000000'
    '000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000'
    '0000000000000000000000000000000000000000', 'hex') AS six,
  decode(
    '010000000800000003000000020000000200000008000000080000000100000000000000030000000000000001000000'
    '000000000000000000000000000000000000000000000000008041400000000000001440000000000000000000000000'
    '000000000000000004000000000000000000000002000000000000000000000000003e40040000000400000000000000'
    '000000000100000000000000000000000000144062616279746f79730000000000000000000000000000000000000000'
    '00000000000000000000000000ae62899fd2020000ae62899fd202000000000000003440010000000000000000000000'
    '000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000'
    '000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000'
    '0000000000000000000000000000000000000000000000000000000000081f3addcd020000081f3addcd020000000000'
    '00002e40020000000000000000b0f57afad2020000b0f57afad2020000000000000000000000000001000000', 'hex') AS three;
SELECT profile.behaviour(at, amt, cat, lst, ch, oid) = (SELECT six FROM v10) AS six_columns_as_1_0,
       profile.behaviour(at, amt, cat) = (SELECT three FROM v10) AS three_columns_as_1_0
FROM tiny;
-- a 1.0 state is read as before: no units, and it merges with new
-- states without quantities (the merge equals the state of all rows)
SELECT * FROM profile.behaviour_categories((SELECT six FROM v10)) ORDER BY category;
SELECT (SELECT profile.behaviour_features(profile.behaviour_merge(s), '2025-04-01')::text
        FROM (SELECT six AS s FROM v10
              UNION ALL SELECT profile.behaviour(at, amt, cat, lst, ch, oid) FROM tiny) x)
     = (SELECT profile.behaviour_features(profile.behaviour(at, amt, cat, lst, ch, oid), '2025-04-01')::text
        FROM (SELECT * FROM tiny UNION ALL SELECT * FROM tiny) y) AS merged_with_1_0_state;
-- with quantities the state is format 2 (first byte), 1.0's formats stay 1
SELECT get_byte(profile.behaviour(at, amt, cat, lst, ch, oid, 1), 0) AS format_with_quantity,
       get_byte(profile.behaviour(at, amt, cat, lst, ch, oid), 0) AS format_without
FROM tiny;

-- ---------------------------------------------------------------
-- Hand-worked: three customers, two categories
-- ---------------------------------------------------------------
-- customer 1: tea 2 x 4.00 and 1 x 6.00 (14.00 for 3 units, 4.6667 a unit),
--             cups 1 x 10.00; also a tea line of 100.00 with a NULL
--             quantity (spend, not unit prices) and two returns
-- customer 2: tea 10 x 3.00 (a bulk buyer: the largest line, the lowest
--             unit price), cups 4 x 5.00
-- customer 3: tea 0.5 and 1.5 units at 5.00 (fractions)
CREATE TABLE hand (customer_id int, ordered_at timestamptz, amount float8, category text,
                   list_amount float8, channel text, order_id bigint, quantity numeric);
INSERT INTO hand VALUES
 (1, '2025-02-01 10:00+00', 8, 'tea', 8, 'web', 11, 2),
 (1, '2025-02-01 10:00+00', 6, 'tea', 6, 'web', 11, 1),
 (1, '2025-03-01 10:00+00', 10, 'cups', 12, 'web', 12, 1),
 (1, '2025-03-01 10:00+00', 100, 'tea', 100, 'web', 12, NULL),
 (1, '2025-03-05 10:00+00', -4, 'tea', -4, 'web', 13, -1),
 (1, '2025-03-06 10:00+00', -6, 'tea', -6, 'web', 14, 1),
 (2, '2025-02-02 10:00+00', 30, 'tea', 30, 'store', 21, 10),
 (2, '2025-02-03 10:00+00', 20, 'cups', 20, 'store', 22, 4),
 (3, '2025-02-04 10:00+00', 2.5, 'tea', 2.5, 'app', 31, 0.5),
 (3, '2025-02-05 10:00+00', 7.5, 'tea', 7.5, 'app', 32, 1.5);
-- units and unit prices per category: customer 1's tea has 3 units for
-- 14.00 (the NULL-quantity line and the returns are not in them)
SELECT h.customer_id, c.category, c.lines, c.spend, c.units, round(c.unit_price::numeric, 6) AS unit_price
FROM (SELECT customer_id, profile.behaviour(ordered_at, amount, category, list_amount, channel, order_id, quantity) AS b
      FROM hand GROUP BY customer_id) h, profile.behaviour_categories(h.b) c
ORDER BY 1, 2;
-- price percentile by unit prices: tea ranks 2 (3.00) < 1 (4.667) < 3
-- (5.00), percent_rank 0, 0.5, 1; cups 2 (5.00) < 1 (10.00), 0 and 1.
-- Weighted by units: customer 1: (3 x 0.5 + 1 x 1) / 4 = 0.625; 2: 0; 3: 1.
-- By mean line amounts (no quantity column, 1.0's rule) the bulk buyer
-- and the 100.00 line look dear: tea 3 (5.00) < 2 (30.00) < 1 (114 / 3 =
-- 38.00): 0, 0.5, 1; cups 1 (10) < 2 (20): 0, 1.  Customer 1:
-- (114 x 1 + 10 x 0) / 124 = 0.919355; 2: (30 x 0.5 + 20 x 1) / 50 = 0.7;
-- 3: 0.
SELECT u.customer_id, u.spend, round(u.price_percentile::numeric, 6) AS by_unit_price,
       round(l.price_percentile::numeric, 6) AS by_line_amount
FROM profile.customer_profiles('SELECT * FROM hand', as_of => '2025-04-01') u
JOIN profile.customer_profiles('SELECT customer_id, ordered_at, amount, category, list_amount, channel, order_id FROM hand',
                               as_of => '2025-04-01') l USING (customer_id)
ORDER BY 1;

-- ---------------------------------------------------------------
-- Order lines of 40 customers by arithmetic: unit prices, quantities
-- (some NULL), returns with negative quantities, NULL categories
-- ---------------------------------------------------------------
CREATE TABLE qlines AS
SELECT c AS customer_id, o + c * 1000 AS order_id,
       timestamptz '2025-01-01 00:00+00' + ((c * 37 + o * 53) % 360) * interval '1 day'
         + ((c * 7 + o * 11) % 24) * interval '1 hour' AS ordered_at,
       CASE WHEN (c + o + l) % 13 = 0 THEN -1 ELSE 1 END * q * price AS amount,
       CASE WHEN (c + l) % 17 = 0 THEN NULL
            ELSE (ARRAY['grocery', 'baby', 'toys', 'books'])[1 + (c * l + o) % 4] END AS category,
       q * price * 1.25 AS list_amount,
       (ARRAY['store', 'web', 'app'])[1 + (c + o) % 3] AS channel,
       CASE WHEN (c * l + o) % 29 = 0 THEN NULL
            WHEN (c + o + l) % 13 = 0 THEN -q ELSE q END AS quantity
FROM generate_series(1, 40) c,
     generate_series(1, 1 + c % 7) o,
     generate_series(1, 1 + (c + o) % 4) l,
     LATERAL (SELECT (1 + (c * o + l) % 5)::int AS q,
                     ((c * 3 + o * 5 + l * 7) % 16 + 1) * 0.5 * (1 + (c % 3) * 0.5) AS price) x;
SELECT count(*) AS lines, count(*) FILTER (WHERE quantity IS NULL) AS null_quantity,
       count(*) FILTER (WHERE amount < 0) AS returns, count(DISTINCT customer_id) AS customers
FROM qlines;

CREATE TABLE cpq AS
SELECT * FROM profile.customer_profiles(
    'SELECT customer_id, ordered_at, amount, category, list_amount, channel, order_id, quantity FROM qlines',
    as_of => '2026-01-01 00:00+00');
CREATE TABLE cpn AS
SELECT * FROM profile.customer_profiles(
    'SELECT customer_id, ordered_at, amount, category, list_amount, channel, order_id FROM qlines',
    as_of => '2026-01-01 00:00+00');

-- price percentile against plain SQL: per category, the percent_rank of
-- the customer's spend / units over the purchase lines with a quantity,
-- averaged weighted by those units
WITH per_cat AS (
  SELECT customer_id, coalesce(category, 'unknown') AS category,
         sum(quantity) AS s, sum(amount) / sum(quantity) AS unit_price
  FROM qlines WHERE amount >= 0 AND quantity IS NOT NULL GROUP BY 1, 2),
ranked AS (
  SELECT *, percent_rank() OVER (PARTITION BY category ORDER BY unit_price) AS pr FROM per_cat)
SELECT count(*) AS customers,
       count(*) FILTER (WHERE x.pp > 0.5) AS above_half,
       count(*) FILTER (WHERE round(cpq.price_percentile::numeric, 10) IS DISTINCT FROM round(x.pp::numeric, 10)) AS differing
FROM (SELECT customer_id::text AS customer_id, sum(s * pr) / sum(s) AS pp FROM ranked GROUP BY 1) x
     FULL JOIN cpq USING (customer_id);
-- the units and unit prices of the states against plain SQL
SELECT count(*) AS customer_categories,
       count(*) FILTER (WHERE (b.lines, b.spend, b.units, round(b.unit_price::numeric, 10))
                              IS DISTINCT FROM (s.lines, s.spend, s.units, round(s.unit_price::numeric, 10))) AS differing
FROM (SELECT t.customer_id, c.*
      FROM (SELECT customer_id, profile.behaviour(ordered_at, amount, category, list_amount, channel, order_id, quantity) AS b
            FROM qlines GROUP BY customer_id) t, profile.behaviour_categories(t.b) c) b
FULL JOIN (SELECT customer_id, coalesce(category, 'unknown') AS category, count(*) AS lines, sum(amount) AS spend,
                  coalesce(sum(quantity), 0)::float8 AS units,
                  sum(amount) FILTER (WHERE quantity IS NOT NULL) / sum(quantity) AS unit_price
           FROM qlines WHERE amount >= 0 GROUP BY 1, 2) s USING (customer_id, category);
-- every other column is what it is without the quantity column
SELECT count(*) AS customers,
       count(*) FILTER (WHERE (q.orders, q.lines, q.spend, q.returned, q.net_spend, q.recency_days, q.tenure_days,
                               q.weekend_share, q.night_share, q.top_weekday, q.top_hour, q.avg_order_value,
                               q.lines_per_order, q.return_rate, q.discount_share, q.discount_lift, q.categories,
                               q.category_shares, q.category_affinity, q.top_category, q.top_category_share,
                               q.category_line_share, q.top_affinity_category, q.channels, q.channel_shares,
                               q.top_channel, q.cross_channel, q.spend_recent, q.spend_previous, q.trend,
                               q.next_purchase_on, q.overdue_score)
                              IS NOT DISTINCT FROM
                              (n.orders, n.lines, n.spend, n.returned, n.net_spend, n.recency_days, n.tenure_days,
                               n.weekend_share, n.night_share, n.top_weekday, n.top_hour, n.avg_order_value,
                               n.lines_per_order, n.return_rate, n.discount_share, n.discount_lift, n.categories,
                               n.category_shares, n.category_affinity, n.top_category, n.top_category_share,
                               n.category_line_share, n.top_affinity_category, n.channels, n.channel_shares,
                               n.top_channel, n.cross_channel, n.spend_recent, n.spend_previous, n.trend,
                               n.next_purchase_on, n.overdue_score)) AS same,
       count(*) FILTER (WHERE q.price_percentile IS DISTINCT FROM n.price_percentile) AS other_price_percentile
FROM cpq q JOIN cpn n USING (customer_id);
-- the form with text order ids, and integer quantities, give the same
-- features and units
CREATE FUNCTION q_summary(b bytea) RETURNS text LANGUAGE sql AS $$
  SELECT profile.behaviour_features(b, '2026-01-01')::text || ' '
         || (SELECT string_agg(c::text, ',' ORDER BY c.category) FROM profile.behaviour_categories(b) c)
$$;
SELECT count(*) AS customers, count(*) FILTER (WHERE a.s IS DISTINCT FROM b.s) AS differing
FROM (SELECT customer_id, q_summary(profile.behaviour(ordered_at, amount, category, list_amount, channel,
                                                      order_id, quantity::float8)) AS s
      FROM qlines GROUP BY 1) a
JOIN (SELECT customer_id, q_summary(profile.behaviour(ordered_at, amount, category, list_amount, channel,
                                                      order_id::text, quantity::int)) AS s
      FROM qlines GROUP BY 1) b USING (customer_id);

-- ---------------------------------------------------------------
-- Merged states equal the state of all rows; the two kinds do not mix
-- ---------------------------------------------------------------
SELECT count(*) AS differing FROM (
  SELECT customer_id, c.category, c.lines, c.spend, c.units, round(c.unit_price::numeric, 10) AS unit_price
  FROM (SELECT customer_id, profile.behaviour_merge(s) AS s
        FROM (SELECT customer_id, order_id % 3 AS part,
                     profile.behaviour(ordered_at, amount, category, list_amount, channel, order_id, quantity) AS s
              FROM qlines GROUP BY 1, 2) parts
        GROUP BY customer_id) m, profile.behaviour_categories(m.s) c
  EXCEPT
  SELECT customer_id, c.category, c.lines, c.spend, c.units, round(c.unit_price::numeric, 10)
  FROM (SELECT customer_id, profile.behaviour(ordered_at, amount, category, list_amount, channel, order_id, quantity) AS s
        FROM qlines GROUP BY customer_id) w, profile.behaviour_categories(w.s) c) d;
SELECT count(*) AS differing FROM (
  SELECT customer_id, profile.behaviour_features(s, '2026-01-01')::text AS f
  FROM (SELECT customer_id, profile.behaviour_merge(s) AS s
        FROM (SELECT customer_id, order_id % 3 AS part,
                     profile.behaviour(ordered_at, amount, category, list_amount, channel, order_id, quantity) AS s
              FROM qlines GROUP BY 1, 2) parts
        GROUP BY customer_id) m
  EXCEPT
  SELECT customer_id, profile.behaviour_features(
           profile.behaviour(ordered_at, amount, category, list_amount, channel, order_id), '2026-01-01')::text
  FROM qlines GROUP BY customer_id) d;
SELECT n, q_try(sql) AS result FROM (VALUES
    (1, $$SELECT profile.behaviour_merge(s) FROM (
            SELECT profile.behaviour(at, amt, cat, lst, ch, oid) AS s FROM tiny
            UNION ALL SELECT profile.behaviour(at, amt, cat, lst, ch, oid, 1) FROM tiny) x$$),
    (2, $$SELECT profile.behaviour_merge(s) FROM (
            SELECT six AS s FROM v10
            UNION ALL SELECT profile.behaviour(at, amt, cat, lst, ch, oid, 1) FROM tiny) x$$),
    (3, $$SELECT profile.behaviour_merge(s) FROM (
            SELECT profile.behaviour(at, amt, cat, lst, ch, oid, 1) AS s FROM tiny
            UNION ALL SELECT six FROM v10) x$$)) v(n, sql) ORDER BY n;

-- ---------------------------------------------------------------
-- Bad quantities
-- ---------------------------------------------------------------
-- on a purchase line (amount >= 0) a quantity must be finite and > 0; a
-- return ignores it (any sign); NULL leaves the line out of unit prices
SELECT n, q_try(sql) AS result FROM (VALUES
    (1, $$SELECT profile.behaviour(now(), 10, 'x', NULL, NULL, 1, 0)$$),
    (2, $$SELECT profile.behaviour(now(), 10, 'x', NULL, NULL, 1, -2)$$),
    (3, $$SELECT profile.behaviour(now(), 0, 'x', NULL, NULL, 1, 0)$$),
    (4, $$SELECT profile.behaviour(now(), 10, 'x', NULL, NULL, 1, 'NaN')$$),
    (5, $$SELECT profile.behaviour(now(), 10, 'x', NULL, NULL, 1, 'Infinity')$$),
    (6, $$SELECT profile.behaviour(now(), -10, 'x', NULL, NULL, 1, -2)$$),
    (7, $$SELECT profile.behaviour(now(), -10, 'x', NULL, NULL, 1, 0)$$),
    (8, $$SELECT profile.behaviour(now(), -10, 'x', NULL, NULL, 1, '-Infinity')$$),
    (9, $$SELECT profile.behaviour(now(), 10, 'x', NULL, NULL, 1, NULL)$$),
    (10, $$SELECT profile.behaviour(now(), 0, 'x', NULL, NULL, 1, 0.001)$$),
    (11, $$SELECT * FROM profile.customer_profiles('SELECT customer_id, ordered_at, amount, category, list_amount, channel, order_id, 0 FROM hand')$$),
    (12, $$SELECT * FROM profile.customer_profiles('SELECT customer_id, ordered_at, amount, category, list_amount, channel, order_id, ''NaN''::numeric FROM hand')$$),
    (13, $$SELECT * FROM profile.customer_profiles('SELECT customer_id, ordered_at, amount, category, list_amount, channel, order_id, quantity::text FROM hand')$$),
    (14, $$SELECT * FROM profile.customer_profiles('SELECT customer_id, ordered_at, amount, category, list_amount, channel, order_id, quantity, 1 FROM hand')$$),
    (15, $$SELECT * FROM profile.customer_profiles('SELECT customer_id, ordered_at, amount, category, list_amount, channel, order_id, quantity::bigint FROM hand WHERE quantity >= 1 OR amount < 0')$$),
    (16, $$SELECT profile.behaviour_transfn(NULL, now(), 1, 'x', NULL, NULL, 1::bigint, 1)$$),
    (17, $$SELECT * FROM profile.behaviour_categories('\x00'::bytea)$$)) v(n, sql) ORDER BY n;
-- the units of a line with a NULL quantity: none; a category without
-- units has no unit price, and a customer without any no price percentile
SELECT c.* FROM profile.behaviour_categories(
    (SELECT profile.behaviour(at, amt, cat, lst, ch, oid, CASE WHEN cat = 'baby' THEN 2 END) FROM tiny)) c
ORDER BY category;
SELECT customer_id, spend, price_percentile FROM profile.customer_profiles(
    'SELECT customer_id, ordered_at, amount, category, list_amount, channel, order_id, CASE WHEN customer_id <> 3 THEN quantity END FROM hand',
    as_of => '2025-04-01')
ORDER BY customer_id;
-- forged states: format 2 without the quantity flag, the flag in format
-- 1, and every byte of a state with units flipped in turn: refused
-- (22023) or harmless
CREATE FUNCTION q_state_ok(s bytea) RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN
  PERFORM profile.behaviour_features(s, '2026-01-01');
  PERFORM count(*) FROM profile.behaviour_categories(s);
  RETURN true;
EXCEPTION WHEN invalid_parameter_value THEN
  RETURN false;
END $$;
SELECT q_state_ok(set_byte(six, 0, 2)) AS format_2_without_units,
       q_state_ok(set_byte(six, 1, get_byte(six, 1) | 8)) AS flag_in_format_1
FROM v10;
SELECT count(*) FILTER (WHERE ok) AS accepted, count(*) FILTER (WHERE NOT ok) AS refused
FROM (SELECT i, q_state_ok(set_byte(s, i, 255 - get_byte(s, i))) AS ok
      FROM (SELECT profile.behaviour(at, amt, cat, lst, ch, oid, 1.5) AS s FROM tiny) x,
           generate_series(0, length(s) - 1) i) y;

-- ---------------------------------------------------------------
-- Stored profiles with quantities: refresh equals the one-call function
-- ---------------------------------------------------------------
CREATE TABLE store_q AS SELECT * FROM qlines;
CREATE FUNCTION store_q_differences() RETURNS bigint LANGUAGE sql
SET extra_float_digits = -3 AS $$
  WITH one_call AS (
    SELECT p::text AS r FROM profile.customer_profiles(
        'SELECT customer_id, ordered_at, amount, category, list_amount, channel, order_id, quantity FROM store_q') p),
  kept AS (SELECT (p.customer_id, p.orders, p.lines, p.spend, p.returned, p.net_spend, p.first_order_at, p.last_order_at,
                   p.recency_days, p.tenure_days, p.weekend_share, p.night_share, p.morning_share, p.afternoon_share,
                   p.evening_share, p.top_weekday, p.top_hour, p.avg_order_value, p.lines_per_order, p.return_rate,
                   p.discount_share, p.discount_lift, p.categories, p.category_shares, p.category_affinity, p.top_category,
                   p.top_category_share, p.category_line_share, p.top_affinity_category, p.price_percentile, p.channels,
                   p.channel_shares, p.top_channel, p.cross_channel, p.spend_recent, p.spend_previous, p.trend,
                   p.next_purchase_on, p.overdue_score, p.r_score, p.f_score, p.m_score, p.segment, p.cluster,
                   p.cluster_label, p.p_alive, p.expected_purchases, p.clv, p.tags)::text AS r
           FROM profile.profiles p WHERE p.profile = 'qty')
  SELECT (SELECT count(*) FROM (SELECT r FROM one_call EXCEPT SELECT r FROM kept) a)
       + (SELECT count(*) FROM (SELECT r FROM kept EXCEPT SELECT r FROM one_call) b)
$$;
SET client_min_messages = warning;
SELECT profile, profiles, recomputed, rows_read FROM profile.profiles_create('qty',
    'SELECT customer_id, ordered_at, amount, category, list_amount, channel, order_id, quantity FROM store_q');
SELECT query_columns FROM profile.profile_definitions WHERE name = 'qty';
SELECT store_q_differences() AS differences_after_create;
-- new orders: a bulk line of 20 units, and a new customer whose only
-- line has a NULL quantity (no price percentile)
INSERT INTO store_q VALUES
    (3, 90001, '2026-01-02 10:00+00', 40, 'toys', 50, 'web', 20),
    (11, 90002, '2026-01-03 21:00+00', 12, 'books', 15, 'app', 1),
    (41, 90003, '2026-01-04 08:00+00', 9, 'baby', 10, 'store', NULL);
SELECT profile, profiles, recomputed FROM profile.profiles_refresh('qty');
SELECT store_q_differences() AS differences_after_inserts;
UPDATE store_q SET quantity = quantity * 2 WHERE customer_id = 5 AND amount >= 0;
SELECT profile, profiles, recomputed FROM profile.profiles_refresh('qty', customers => ARRAY['5']);
SELECT store_q_differences() AS differences_after_update;
-- a stored state without quantities among states with them (an edited
-- table): refused; a rebuild repairs it
UPDATE profile.profile_states SET behaviour = (SELECT six FROM v10) WHERE profile = 'qty' AND customer_id = '1';
SELECT q_try($$SELECT count(*) FROM profile.profiles_compute('qty')$$) AS mixed_states;
SELECT profile, profiles FROM profile.profiles_refresh('qty', rebuild => true);
SELECT store_q_differences() AS differences_after_rebuild;
-- another quantity type is another shape: the refresh is refused
ALTER TABLE store_q ALTER COLUMN quantity TYPE numeric;
SELECT q_try($$SELECT * FROM profile.profiles_refresh('qty')$$) AS other_shape;
DELETE FROM profile.profile_definitions WHERE name = 'qty';
DROP SCHEMA pq CASCADE;
RESET client_min_messages;
RESET search_path;
