-- The retail data generator's planted structure (docs/retail-data.md),
-- checked with plain SQL on the set scripts/test.sh loads into schema
-- retail: --customers 1500 --days 730 --products 200 --seed 42, window
-- [2024-01-01, 2026-01-01) UTC (the tests run with TimeZone UTC).
BEGIN;
SET LOCAL TimeZone = 'UTC';
SELECT plan(17);

-- exact facts
SELECT is((SELECT count(*) FROM retail.customers), 1500::bigint, 'customers: as many as asked');
SELECT is((SELECT count(*) FROM retail.products), 200::bigint, 'products: as many as asked');
SELECT is((SELECT count(*) FROM retail.customers c
           WHERE NOT EXISTS (SELECT 1 FROM retail.orders o WHERE o.customer_id = c.customer_id)),
          0::bigint, 'every customer has at least one order');
SELECT is((SELECT count(*) FROM retail.orders
           WHERE ordered_at < timestamptz '2024-01-01 00:00+00' OR ordered_at >= timestamptz '2026-01-01 00:00+00'),
          0::bigint, 'every order is inside the window');
SELECT is((SELECT count(*) FROM (
               SELECT ordered_at < lag(ordered_at) OVER (ORDER BY order_id) AS back
               FROM retail.orders) s WHERE back),
          0::bigint, 'order ids are chronological');
SELECT is((SELECT count(*) FROM retail.orders o JOIN retail.customers c USING (customer_id)
           WHERE c.planted_group = 'churned'
             AND o.ordered_at >= timestamptz '2026-01-01 00:00+00' - 0.55 * 730 * interval '1 day'),
          0::bigint, 'churned customers: no order in the last 55% of the window');
SELECT is((SELECT count(*) FROM (
               SELECT max(o.ordered_at) AS last_order FROM retail.orders o
               JOIN retail.customers c USING (customer_id)
               WHERE c.planted_group = 'at_risk' GROUP BY c.customer_id) s
           WHERE last_order < timestamptz '2026-01-01 00:00+00' - interval '180 days'
              OR last_order >= timestamptz '2026-01-01 00:00+00' - interval '90 days'),
          0::bigint, 'at-risk customers: last order 90 to 180 days before the end');
SELECT is((SELECT count(*) FROM (
               SELECT count(*) AS n FROM retail.orders o JOIN retail.customers c USING (customer_id)
               WHERE c.planted_group = 'one_timer' GROUP BY c.customer_id) s WHERE n <> 1),
          0::bigint, 'one-timers have exactly one order');
SELECT is((SELECT count(*) FROM retail.order_lines
           WHERE unit_price NOT IN (list_price, round(list_price * 0.9, 2),
                                    round(list_price * 0.8, 2), round(list_price * 0.7, 2))),
          0::bigint, 'unit prices are the list price or a 10/20/30% discount');

-- statistical facts, with the tolerances of docs/retail-data.md
-- the planted pair {1, 2}: lift = P(1 and 2) / (P(1) P(2)) over purchase orders
CREATE TEMP TABLE baskets AS
SELECT order_id, array_agg(DISTINCT product_id) AS items
FROM retail.order_lines WHERE quantity > 0 GROUP BY order_id;
CREATE TEMP TABLE item_support AS
SELECT p AS product_id, count(*)::float8 / (SELECT count(*) FROM baskets) AS support
FROM baskets, unnest(items) AS p GROUP BY p;
CREATE FUNCTION pg_temp.lift(int[]) RETURNS float8 LANGUAGE sql AS $$
    SELECT (SELECT count(*)::float8 / (SELECT count(*) FROM baskets) FROM baskets WHERE items @> $1)
         / (SELECT exp(sum(ln(support))) FROM item_support WHERE product_id = ANY ($1))
$$;
SELECT cmp_ok(pg_temp.lift('{1,2}'), '>', 5::float8, 'planted pair {1,2}: lift above 5');
SELECT cmp_ok(pg_temp.lift('{3,4}'), '>', 8::float8, 'planted pair {3,4}: lift above 8');
SELECT cmp_ok(pg_temp.lift('{5,6,7}'), '>', 100::float8, 'planted triple {5,6,7}: lift above 100');
-- the two most popular non-planted products are bought independently
SELECT ok((SELECT pg_temp.lift(array_agg(product_id)) BETWEEN 0.5 AND 2
           FROM (SELECT product_id FROM item_support WHERE product_id > 7
                 ORDER BY support DESC, product_id LIMIT 2) top),
          'the most popular non-planted pair: lift between 0.5 and 2');

-- spend: champions spend far more than regulars, with a heavy tail
CREATE TEMP TABLE monetary AS
SELECT c.planted_group, o.customer_id, sum(l.quantity * l.unit_price) AS spend
FROM retail.orders o JOIN retail.order_lines l USING (order_id)
JOIN retail.customers c USING (customer_id) GROUP BY 1, 2;
SELECT cmp_ok((SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY spend) FROM monetary WHERE planted_group = 'champion')
            / (SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY spend) FROM monetary WHERE planted_group = 'regular'),
              '>', 3::float8, 'champion median spend is over 3x the regular median');
SELECT cmp_ok((SELECT (avg(spend) / percentile_cont(0.5) WITHIN GROUP (ORDER BY spend))::float8
               FROM monetary WHERE planted_group = 'champion'),
              '>', 1.2::float8, 'champion spend is heavy-tailed: mean over 1.2x median');

-- rhythm: weekends weigh 1.5 (Sat) and 1.3 (Sun); weekend shoppers (a
-- planted trait, below) move most of their orders to weekends
SELECT ok((SELECT avg((extract(isodow FROM o.ordered_at) >= 6)::int) BETWEEN 0.33 AND 0.38
           FROM retail.orders o LEFT JOIN retail.customers c USING (customer_id)
           WHERE NOT coalesce('weekend_shopper' = ANY (c.planted_traits), false)),
          'weekend share of orders (guests and customers who are not weekend shoppers) between 33% and 38%');
-- guests (NULL customer ids) are about 3% of orders
SELECT ok((SELECT avg((customer_id IS NULL)::int) BETWEEN 0.02 AND 0.04 FROM retail.orders),
          'guest orders (NULL customer) between 2% and 4%');

SELECT * FROM finish();
ROLLBACK;
