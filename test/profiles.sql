-- Customer profiles on the generated retail data (schema retail, 1500
-- customers, seed 42; docs/retail-data.md): the planted behaviours are
-- found by the preset tags, and the catalog labels of the new functions.
BEGIN;
SET LOCAL TimeZone = 'UTC';
SET LOCAL client_min_messages = warning;
SELECT plan(10);

CREATE TEMP TABLE cp AS
SELECT * FROM profile.customer_profiles(
    $$SELECT o.customer_id, o.ordered_at, l.quantity * l.unit_price, p.category,
             l.quantity * l.list_price, o.channel, o.order_id
      FROM retail.orders o JOIN retail.order_lines l USING (order_id)
           JOIN retail.products p USING (product_id)
      WHERE o.customer_id IS NOT NULL$$, as_of => '2026-01-01');

-- precision and recall of each trait's preset tag, among customers with
-- 3 purchase orders or more (how docs/retail-data.md judges recovery)
CREATE TEMP TABLE recovery AS
SELECT t.trait,
       count(*) FILTER (WHERE t.planted AND t.tagged)::float8 / nullif(count(*) FILTER (WHERE t.tagged), 0) AS precision,
       count(*) FILTER (WHERE t.planted AND t.tagged)::float8 / nullif(count(*) FILTER (WHERE t.planted), 0) AS recall
FROM (SELECT tr.trait, tr.trait = ANY (c.planted_traits) AS planted, tr.trait = ANY (p.tags) AS tagged
      FROM cp p JOIN retail.customers c ON c.customer_id = p.customer_id::bigint
      CROSS JOIN unnest(ARRAY['weekend_shopper', 'night_owl', 'discount_seeker', 'category_loyalist',
                              'premium_buyer']) AS tr(trait)
      WHERE p.orders >= 3) t
GROUP BY t.trait;

SELECT ok((SELECT precision >= 0.9 AND recall >= 0.9 FROM recovery WHERE trait = 'weekend_shopper'),
          'weekend_shopper: precision and recall >= 0.9');
SELECT ok((SELECT precision >= 0.9 AND recall >= 0.9 FROM recovery WHERE trait = 'night_owl'),
          'night_owl: precision and recall >= 0.9');
SELECT ok((SELECT precision >= 0.9 AND recall >= 0.9 FROM recovery WHERE trait = 'discount_seeker'),
          'discount_seeker: precision and recall >= 0.9');
SELECT ok((SELECT precision >= 0.9 AND recall >= 0.9 FROM recovery WHERE trait = 'category_loyalist'),
          'category_loyalist: precision and recall >= 0.9');
-- price_percentile ranks the customer's mean *line* amount, and the
-- generator's quantities carry each customer's spend multiplier: without a
-- quantity (or unit price) column the premium tier is not recovered
SELECT todo('premium_buyer needs unit prices: the inner query has no quantity column yet', 1);
SELECT ok((SELECT precision >= 0.9 AND recall >= 0.9 FROM recovery WHERE trait = 'premium_buyer'),
          'premium_buyer: precision and recall >= 0.9');

-- the planted groups: churned customers are lapsing (overdue) far more
-- often than champions
SELECT ok((SELECT avg((overdue_score > 2)::int) FROM cp p JOIN retail.customers c ON c.customer_id = p.customer_id::bigint
           WHERE c.planted_group = 'churned' AND p.orders >= 3)
          > 3 * (SELECT avg((overdue_score > 2)::int) FROM cp p JOIN retail.customers c ON c.customer_id = p.customer_id::bigint
                 WHERE c.planted_group = 'champion'),
          'churned customers are overdue far more often than champions');

-- labels that must be true
SELECT ok((SELECT bool_and(p.proisstrict = false AND p.provolatile = 'v' AND p.proparallel = 'r')
           FROM pg_proc p WHERE p.pronamespace = 'profile'::regnamespace
             AND p.proname IN ('customer_profiles')),
          'customer_profiles is volatile (it runs a query) and parallel restricted');
SELECT ok((SELECT bool_and(a.aggcombinefn <> 0 AND a.aggtranstype = 'bytea'::regtype AND p.proparallel = 's')
           FROM pg_aggregate a JOIN pg_proc p ON p.oid = a.aggfnoid
           WHERE p.pronamespace = 'profile'::regnamespace AND p.proname IN ('behaviour', 'behaviour_merge')),
          'behaviour and behaviour_merge have a combine function, a bytea state and are parallel safe');
SELECT is((SELECT count(*) FROM pg_aggregate a JOIN pg_proc p ON p.oid = a.aggfnoid
           WHERE p.pronamespace = 'profile'::regnamespace AND p.proname = 'behaviour'),
          5::bigint, 'behaviour has its five forms');
SELECT ok((SELECT bool_and(p.provolatile = 'v' AND p.proparallel = 'u')
           FROM pg_proc p WHERE p.pronamespace = 'profile'::regnamespace
             AND p.proname IN ('profiles_create', 'profiles_refresh')),
          'profiles_create and profiles_refresh write: volatile, parallel unsafe');

SELECT * FROM finish();
ROLLBACK;
