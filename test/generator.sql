-- The retail data generator's planted structure (docs/retail-data.md),
-- checked with plain SQL on the set scripts/test.sh loads into schema
-- retail: --customers 1500 --days 730 --products 200 --seed 42, window
-- [2024-01-01, 2026-01-01) UTC (the tests run with TimeZone UTC).
BEGIN;
SET LOCAL TimeZone = 'UTC';
SELECT plan(34);

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

-- planted traits (docs/retail-data.md, "Planted traits"): each with
-- probability 0.10, independent of the groups and of each other
SELECT is((SELECT count(*) FROM retail.customers
           WHERE NOT planted_traits <@ '{weekend_shopper,night_owl,discount_seeker,category_loyalist,premium_buyer}'
              OR cardinality(planted_traits) <> (SELECT count(DISTINCT t) FROM unnest(planted_traits) t)
              OR (loyal_category IS NOT NULL) <> ('category_loyalist' = ANY (planted_traits))
              OR loyal_category NOT IN (SELECT category FROM retail.products)),
          0::bigint, 'planted_traits holds distinct known traits; loyal_category is a category exactly for loyalists');
SELECT ok((SELECT bool_and(n BETWEEN 0.07 * 1500 AND 0.13 * 1500)
           FROM (SELECT t, count(*) AS n FROM retail.customers, unnest(planted_traits) t GROUP BY t) s)
          AND (SELECT count(DISTINCT t) FROM retail.customers, unnest(planted_traits) t) = 5,
          'each trait is planted in 7% to 13% of the customers');

-- recovery by plain-SQL rules among customers with at least 3 purchase
-- orders (orders without a return line)
CREATE TEMP TABLE purchase AS
SELECT o.order_id, o.customer_id, o.ordered_at FROM retail.orders o
WHERE o.customer_id IS NOT NULL
  AND NOT EXISTS (SELECT 1 FROM retail.order_lines l WHERE l.order_id = o.order_id AND l.quantity < 0);
CREATE TEMP TABLE purchase_lines AS
SELECT p.customer_id, pr.category, l.unit_price, l.list_price
FROM purchase p JOIN retail.order_lines l USING (order_id) JOIN retail.products pr USING (product_id);
-- per customer and category: share of the customer's lines, and the
-- percentile (percent_rank) of the customer's mean list price among all
-- customers who bought in the category
CREATE TEMP TABLE customer_category AS
SELECT customer_id, category, count(*) AS lines,
       count(*)::float8 / sum(count(*)) OVER (PARTITION BY customer_id) AS share,
       percent_rank() OVER (PARTITION BY category ORDER BY avg(list_price)) AS price_pct
FROM purchase_lines GROUP BY 1, 2;
CREATE TEMP TABLE observed AS
SELECT c.customer_id, c.planted_traits, c.loyal_category, o.weekend, o.night, l.discounted,
       k.top_category, k.top_share, k.price_pct
FROM retail.customers c
JOIN (SELECT customer_id, count(*) AS orders,
             avg((extract(isodow FROM ordered_at) >= 6)::int) AS weekend,
             avg((extract(hour FROM ordered_at) >= 22 OR extract(hour FROM ordered_at) < 6)::int) AS night
      FROM purchase GROUP BY 1) o USING (customer_id)
JOIN (SELECT customer_id, avg((unit_price < list_price)::int) AS discounted
      FROM purchase_lines GROUP BY 1) l USING (customer_id)
JOIN (SELECT customer_id, (array_agg(category ORDER BY share DESC, category))[1] AS top_category,
             max(share) AS top_share, sum(price_pct * lines) / sum(lines) AS price_pct
      FROM customer_category GROUP BY 1) k USING (customer_id)
WHERE o.orders >= 3;
CREATE TEMP TABLE recovery AS
SELECT trait,
       (count(*) FILTER (WHERE planted AND found))::numeric / nullif(count(*) FILTER (WHERE found), 0) AS precision,
       (count(*) FILTER (WHERE planted AND found))::numeric / nullif(count(*) FILTER (WHERE planted), 0) AS recall
FROM (SELECT t.trait, t.trait = ANY (planted_traits) AS planted, t.found
      FROM observed,
      LATERAL (VALUES ('weekend_shopper', weekend >= 0.8),
                      ('night_owl', night >= 0.5),
                      ('discount_seeker', discounted >= 0.5),
                      ('category_loyalist', top_share >= 0.5 AND top_category = coalesce(loyal_category, '')),
                      ('premium_buyer', price_pct >= 0.8)) t(trait, found)) s
GROUP BY trait;
SELECT cmp_ok((SELECT precision FROM recovery WHERE trait = 'weekend_shopper'), '>=', 0.9,
              'weekend shoppers: weekend share of orders >= 0.8 has precision >= 0.9');
SELECT cmp_ok((SELECT recall FROM recovery WHERE trait = 'weekend_shopper'), '>=', 0.9,
              'weekend shoppers: weekend share of orders >= 0.8 has recall >= 0.9');
SELECT cmp_ok((SELECT precision FROM recovery WHERE trait = 'night_owl'), '>=', 0.9,
              'night owls: share of orders at 22:00-05:59 >= 0.5 has precision >= 0.9');
SELECT cmp_ok((SELECT recall FROM recovery WHERE trait = 'night_owl'), '>=', 0.9,
              'night owls: share of orders at 22:00-05:59 >= 0.5 has recall >= 0.9');
SELECT cmp_ok((SELECT precision FROM recovery WHERE trait = 'discount_seeker'), '>=', 0.9,
              'discount seekers: share of discounted lines >= 0.5 has precision >= 0.9');
SELECT cmp_ok((SELECT recall FROM recovery WHERE trait = 'discount_seeker'), '>=', 0.9,
              'discount seekers: share of discounted lines >= 0.5 has recall >= 0.9');
SELECT cmp_ok((SELECT precision FROM recovery WHERE trait = 'category_loyalist'), '>=', 0.9,
              'category loyalists: top category (the loyal one) with >= 0.5 of the lines has precision >= 0.9');
SELECT cmp_ok((SELECT recall FROM recovery WHERE trait = 'category_loyalist'), '>=', 0.9,
              'category loyalists: top category (the loyal one) with >= 0.5 of the lines has recall >= 0.9');
SELECT cmp_ok((SELECT precision FROM recovery WHERE trait = 'premium_buyer'), '>=', 0.9,
              'premium buyers: mean price percentile within categories >= 0.8 has precision >= 0.9');
SELECT cmp_ok((SELECT recall FROM recovery WHERE trait = 'premium_buyer'), '>=', 0.9,
              'premium buyers: mean price percentile within categories >= 0.8 has recall >= 0.9');

-- the others stay ordinary
SELECT cmp_ok((SELECT avg((weekend < 0.5)::int) FROM observed WHERE NOT 'weekend_shopper' = ANY (planted_traits)),
              '>=', 0.8, 'customers who are not weekend shoppers: at least 80% have a weekend share below 0.5');
SELECT cmp_ok((SELECT avg((night < 0.25)::int) FROM observed WHERE NOT 'night_owl' = ANY (planted_traits)),
              '>=', 0.95, 'customers who are not night owls: at least 95% have a night share below 0.25');
SELECT cmp_ok((SELECT avg((discounted < 0.3)::int) FROM observed WHERE NOT 'discount_seeker' = ANY (planted_traits)),
              '>=', 0.95, 'customers who are not discount seekers: at least 95% have under 30% of their lines discounted');
SELECT cmp_ok((SELECT avg((top_share < 0.5)::int) FROM observed WHERE NOT 'category_loyalist' = ANY (planted_traits)),
              '>=', 0.95, 'customers who are not loyalists: at least 95% buy under half of their lines in one category');
SELECT cmp_ok((SELECT avg((price_pct < 0.7)::int) FROM observed WHERE NOT 'premium_buyer' = ANY (planted_traits)),
              '>=', 0.95, 'customers who are not premium buyers: at least 95% have a mean price percentile below 0.7');

SELECT * FROM finish();
ROLLBACK;
