-- Inner queries run with the caller's rights: a role without SELECT gets
-- 42501, row-level security is honoured, and model tables accept writes
-- only from roles granted them.
BEGIN;
SET LOCAL client_min_messages = warning;
SELECT plan(10);

CREATE ROLE profile_tap_analyst;
CREATE ROLE profile_tap_outsider;
CREATE SCHEMA priv_test;
GRANT USAGE ON SCHEMA priv_test TO profile_tap_analyst, profile_tap_outsider;
CREATE TABLE priv_test.sales AS
SELECT g % 50 AS customer_id, timestamptz '2025-01-01' + g * interval '1 hour' AS ordered_at,
       (g % 17)::numeric AS amount, g AS order_id, CASE WHEN g % 3 = 0 THEN 'north' ELSE 'south' END AS region
FROM generate_series(1, 1000) g;
GRANT SELECT ON priv_test.sales TO profile_tap_analyst;
ALTER TABLE priv_test.sales ENABLE ROW LEVEL SECURITY;
CREATE POLICY north_only ON priv_test.sales FOR SELECT TO profile_tap_analyst USING (region = 'north');

SET LOCAL ROLE profile_tap_outsider;
SELECT throws_ok($$SELECT count(*) FROM profile.rfm('SELECT customer_id, ordered_at, amount, order_id FROM priv_test.sales', '2026-01-01')$$,
                 '42501', NULL, 'a role without SELECT on the table cannot read it through profile.rfm');
SELECT throws_ok($$SELECT * FROM profile.kmeans_fit('priv_km', 'SELECT order_id, ARRAY[amount]::float8[] FROM priv_test.sales', 2)$$,
                 '42501', NULL, 'nor through profile.kmeans_fit');
SELECT throws_ok($$SELECT count(*) FROM profile.frequent_itemsets('SELECT order_id, customer_id FROM priv_test.sales', 0.5)$$,
                 '42501', NULL, 'nor through profile.frequent_itemsets');
RESET ROLE;

SET LOCAL ROLE profile_tap_analyst;
SELECT is((SELECT sum(frequency) FROM profile.rfm('SELECT customer_id, ordered_at, amount, order_id FROM priv_test.sales', '2026-01-01')),
          (SELECT count(*) FROM priv_test.sales WHERE amount >= 0)::numeric,
          'row-level security: profile.rfm sees exactly the rows the role sees');
SELECT is((SELECT count(*) FROM priv_test.sales), 333::bigint, 'the policy leaves the analyst the north rows only');
SELECT is((SELECT sum(count) FROM profile.frequent_itemsets('SELECT order_id, customer_id FROM priv_test.sales', 0.001)),
          333::numeric, 'row-level security: frequent_itemsets counts the 333 baskets the role sees');
SELECT throws_ok($$SELECT * FROM profile.kmeans_fit_scan('priv_scan', 'SELECT order_id, ARRAY[amount]::float8[] FROM priv_test.sales', 2)$$,
                 '42501', NULL, 'without write rights on profile.models no model is stored');
RESET ROLE;
SELECT ok(NOT has_table_privilege('profile_tap_analyst', 'profile.models', 'INSERT'),
          'the analyst has not been granted model writes');

-- once granted, the same role trains; its inner query still sees its rows only
GRANT INSERT, UPDATE ON profile.models TO profile_tap_analyst;
SET LOCAL ROLE profile_tap_analyst;
SELECT is((SELECT points FROM profile.kmeans_fit('priv_km', 'SELECT order_id, ARRAY[amount]::float8[] FROM priv_test.sales', 2)),
          333::bigint, 'a granted role trains on the rows its policy lets it see');
RESET ROLE;
SELECT is((SELECT created_by::text FROM profile.models WHERE name = 'priv_km'), 'profile_tap_analyst',
          'the model records who trained it');

SELECT * FROM finish();
ROLLBACK;
