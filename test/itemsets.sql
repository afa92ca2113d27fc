-- Frequent itemsets and rules on the generated retail data (schema retail,
-- docs/retail-data.md): the three algorithms agree; pairs and triples equal
-- what plain SQL counts; closed and maximal itemsets meet their
-- definitions; the planted product sets are found with the lifts the
-- generator documents; the catalogue is what Citus needs.
BEGIN;
SET LOCAL client_min_messages = warning;
SELECT plan(16);

CREATE TEMP TABLE lines AS
SELECT DISTINCT l.order_id, l.product_id
FROM retail.order_lines l WHERE l.quantity > 0;
CREATE TEMP TABLE fp AS
SELECT * FROM profile.frequent_itemsets('SELECT order_id, product_id FROM lines', 0.002);
CREATE TEMP TABLE ap AS
SELECT * FROM profile.frequent_itemsets('SELECT order_id, product_id FROM lines', 0.002, algorithm => 'apriori');
CREATE TEMP TABLE sc AS
SELECT * FROM profile.frequent_itemsets('SELECT order_id, product_id FROM lines', 0.002, algorithm => 'apriori-scan');

SELECT cmp_ok((SELECT count(*) FROM fp), '>', 100::bigint, 'FP-growth finds more than 100 itemsets at support 0.2%');
SELECT is((SELECT count(*) FROM ((TABLE fp EXCEPT TABLE ap) UNION ALL (TABLE ap EXCEPT TABLE fp)) d),
          0::bigint, 'Apriori finds exactly the itemsets and counts FP-growth finds');
SELECT is((SELECT count(*) FROM ((TABLE fp EXCEPT TABLE sc) UNION ALL (TABLE sc EXCEPT TABLE fp)) d),
          0::bigint, 'the scan path (itemset_counts passes) finds exactly the same');

-- plain SQL, an independent count: every pair and triple above the threshold
CREATE TEMP TABLE threshold AS
SELECT ceil(0.002 * count(DISTINCT order_id))::bigint AS c FROM lines;
SELECT set_eq($$SELECT ARRAY[a.product_id::text, b.product_id::text], count(*)
               FROM lines a JOIN lines b ON a.order_id = b.order_id AND a.product_id < b.product_id
               GROUP BY a.product_id, b.product_id HAVING count(*) >= (SELECT c FROM threshold)$$,
              $$SELECT items, count FROM fp WHERE size = 2$$,
              'every frequent pair and its count equal a self-join with GROUP BY and HAVING');
SELECT set_eq($$SELECT ARRAY[a.product_id::text, b.product_id::text, c.product_id::text], count(*)
               FROM lines a JOIN lines b ON a.order_id = b.order_id AND a.product_id < b.product_id
                            JOIN lines c ON c.order_id = a.order_id AND b.product_id < c.product_id
               WHERE a.product_id IN (SELECT (items[1])::int FROM fp WHERE size = 1)
                 AND b.product_id IN (SELECT (items[1])::int FROM fp WHERE size = 1)
                 AND c.product_id IN (SELECT (items[1])::int FROM fp WHERE size = 1)
               GROUP BY 1 HAVING count(*) >= (SELECT c FROM threshold)$$,
              $$SELECT items, count FROM fp WHERE size = 3$$,
              'every frequent triple and its count equal a three-way self-join');
SELECT is((SELECT count(*) FROM fp f WHERE count <> (SELECT count(*) FROM lines l WHERE l.product_id = (f.items[1])::int)
           AND size = 1), 0::bigint, 'every single item''s count equals count(*) of its lines');

-- closed and maximal, against their definitions over the full set
SELECT set_eq($$SELECT items FROM profile.frequent_itemsets('SELECT order_id, product_id FROM lines', 0.002, target => 'closed')$$,
              $$SELECT f.items FROM fp f WHERE NOT EXISTS (
                    SELECT 1 FROM fp g WHERE g.items @> f.items AND g.size > f.size AND g.count = f.count)$$,
              'closed itemsets: no proper superset has the same count');
SELECT set_eq($$SELECT items FROM profile.frequent_itemsets('SELECT order_id, product_id FROM lines', 0.002, target => 'maximal')$$,
              $$SELECT f.items FROM fp f WHERE NOT EXISTS (
                    SELECT 1 FROM fp g WHERE g.items @> f.items AND g.size > f.size)$$,
              'maximal itemsets: no proper superset is frequent');

-- the planted sets (docs/retail-data.md: lift {1,2} 9-15, {3,4} 13-23, {5,6,7} > 100)
CREATE TEMP TABLE rules AS
SELECT * FROM profile.association_rules('SELECT order_id, product_id FROM lines', 0.005, 0.3);
SELECT ok((SELECT lift BETWEEN 9 AND 15 FROM rules WHERE antecedent = '{1}' AND consequent = '{2}'),
          'the planted pair {1,2} is a rule with lift 9-15');
SELECT ok((SELECT lift BETWEEN 13 AND 23 FROM rules WHERE antecedent = '{3}' AND consequent = '{4}'),
          'the planted pair {3,4} is a rule with lift 13-23');
SELECT ok((SELECT f3.support / (f5.support * f6.support * f7.support) > 100
           FROM fp f3, fp f5, fp f6, fp f7
           WHERE f3.items = '{5,6,7}' AND f5.items = '{5}' AND f6.items = '{6}' AND f7.items = '{7}'),
          'the planted triple {5,6,7} is frequent with lift over 100');
SELECT is((SELECT count(*) FROM rules
           WHERE lift > 3 AND NOT (consequent && '{1,2,3,4,5,6,7}' AND antecedent && '{1,2,3,4,5,6,7}')),
          0::bigint, 'every rule with lift above 3 has planted products on both sides');

-- recommendations come from the planted rules
SELECT lives_ok($$SELECT profile.rules_fit('tap_cross_sell', 'SELECT order_id, product_id FROM lines', 0.005, 0.3)$$,
                'a rule model is stored');
SELECT is((SELECT item FROM profile.recommend('tap_cross_sell', ARRAY[5, 6]) WHERE rank = 1),
          '7', 'a basket with 5 and 6 gets 7 first');

-- the catalogue: a counting pass Citus can split
SELECT is((SELECT count(*) FROM pg_aggregate a JOIN pg_proc p ON p.oid = a.aggfnoid
           WHERE p.oid = 'profile.itemset_counts(text[], text[])'::regprocedure
             AND a.aggcombinefn = 'profile.itemset_counts_combinefn'::regproc
             AND a.aggtranstype = 'bigint[]'::regtype AND p.proparallel = 's'),
          1::bigint, 'itemset_counts has a combine function, a bigint[] state and is parallel safe');
SELECT is((SELECT provolatile::text || proparallel::text || proisstrict::text FROM pg_proc
           WHERE oid = 'profile.recommend(text, anyarray, integer, text)'::regprocedure),
          'sstrue', 'recommend is stable, parallel safe and strict');

SELECT * FROM finish();
ROLLBACK;
