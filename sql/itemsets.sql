-- Frequent itemsets and association rules: hand-worked counts and
-- measures, the three algorithms against each other, closed and maximal
-- itemsets and every rule measure against their definitions in plain SQL,
-- input forms, limits and bad input.
\set VERBOSITY terse
SET extra_float_digits = 0;
CREATE SCHEMA fi_test;

-- ---- the textbook example ----
-- Tan, Steinbach & Kumar, Introduction to Data Mining, table 6.1:
--   1 {bread, milk}  2 {bread, diaper, beer, eggs}  3 {milk, diaper, beer, cola}
--   4 {bread, milk, diaper, beer}  5 {bread, milk, diaper, cola}
-- Counts: bread, milk, diaper 4; beer 3; cola 2; eggs 1.  Pairs: bread+milk
-- (1, 4, 5) 3, bread+diaper (2, 4, 5) 3, milk+diaper (3, 4, 5) 3,
-- diaper+beer (2, 3, 4) 3, bread+beer (2, 4) 2, milk+beer (3, 4) 2,
-- diaper+cola (3, 5) 2, milk+cola (3, 5) 2, bread+cola (5) 1, beer+cola
-- (3) 1.  Triples of count 2: bread+milk+diaper (4, 5), bread+diaper+beer
-- (2, 4), milk+diaper+beer (3, 4), milk+diaper+cola (3, 5).  At
-- min_support 0.4 (2 of 5 baskets): 5 + 8 + 4 = 17 itemsets.
CREATE TABLE fi_test.tx (tid integer, item text);
INSERT INTO fi_test.tx VALUES
    (1, 'bread'), (1, 'milk'),
    (2, 'bread'), (2, 'diaper'), (2, 'beer'), (2, 'eggs'),
    (3, 'milk'), (3, 'diaper'), (3, 'beer'), (3, 'cola'),
    (4, 'bread'), (4, 'milk'), (4, 'diaper'), (4, 'beer'),
    (5, 'bread'), (5, 'milk'), (5, 'diaper'), (5, 'cola');
SELECT * FROM profile.frequent_itemsets('SELECT tid, item FROM fi_test.tx', 0.4);
-- the same from Apriori in memory and from the scan path
SELECT a.algorithm, count(*) AS itemsets,
       (SELECT count(*) FROM ((SELECT * FROM profile.frequent_itemsets('SELECT tid, item FROM fi_test.tx', 0.4))
                              EXCEPT (SELECT * FROM profile.frequent_itemsets('SELECT tid, item FROM fi_test.tx', 0.4,
                                                                               algorithm => a.algorithm))) d) AS differences
FROM unnest(ARRAY['apriori', 'apriori-scan']) a(algorithm),
     LATERAL profile.frequent_itemsets('SELECT tid, item FROM fi_test.tx', 0.4, algorithm => a.algorithm)
GROUP BY a.algorithm ORDER BY 1;
-- support 0.6 is 3 of 5 (3 / 5 = 0.6 exactly as a double); max_len 1
SELECT * FROM profile.frequent_itemsets('SELECT tid, item FROM fi_test.tx', 0.6);
SELECT * FROM profile.frequent_itemsets('SELECT tid, item FROM fi_test.tx', 0.4, max_len => 1);
-- min_count is an absolute floor on top of min_support
SELECT count(*) FROM profile.frequent_itemsets('SELECT tid, item FROM fi_test.tx', 0.01, min_count => 3);
-- closed: beer (3) is not (beer+diaper has 3), cola (2) is not (milk+diaper+cola 2)
SELECT items, count FROM profile.frequent_itemsets('SELECT tid, item FROM fi_test.tx', 0.4, target => 'closed');
SELECT items, count FROM profile.frequent_itemsets('SELECT tid, item FROM fi_test.tx', 0.4, target => 'maximal');

-- ---- rules of the example, by hand ----
-- diaper => beer: count 3, antecedent 4, consequent 3: confidence 3/4,
-- lift 0.75 / 0.6 = 1.25, leverage 0.6 - 0.8 * 0.6 = 0.12, conviction
-- 0.4 / 0.25 = 1.6, Zhang 0.12 / max(0.6 * 0.2, 0.8 * 0) = 1, Jaccard
-- 0.6 / (0.8 + 0.6 - 0.6) = 0.75, certainty 0.15 / 0.4 = 0.375,
-- Kulczynski (0.75 + 1) / 2 = 0.875.  beer => diaper has confidence 1:
-- conviction Infinity.
SELECT antecedent, consequent, antecedent_support, consequent_support, support, confidence,
       round(lift::numeric, 12) AS lift, round(leverage::numeric, 12) AS leverage,
       conviction, round(zhangs_metric::numeric, 12) AS zhang, round(jaccard::numeric, 12) AS jaccard,
       round(certainty::numeric, 12) AS certainty, round(kulczynski::numeric, 12) AS kulczynski,
       antecedent_count, consequent_count, count
FROM profile.association_rules('SELECT tid, item FROM fi_test.tx', 0.4, 0.5)
WHERE (antecedent = '{diaper}' AND consequent = '{beer}') OR (antecedent = '{beer}' AND consequent = '{diaper}');
-- every rule of every split, and no other: 4 itemsets of 3 give 6 rules
-- each, 8 pairs 2 each: 40 rules at min_confidence 0
SELECT count(*) AS rules FROM profile.association_rules('SELECT tid, item FROM fi_test.tx', 0.4, 0);

-- every measure of every rule against its formula, from the counts the
-- function reports and the counts plain SQL finds
CREATE TABLE fi_test.baskets AS SELECT tid, array_agg(item) AS items FROM fi_test.tx GROUP BY tid;
CREATE FUNCTION fi_test.count_of(items text[]) RETURNS bigint LANGUAGE sql STABLE AS
    $$SELECT count(*) FROM fi_test.baskets WHERE items @> $1$$;
WITH r AS (SELECT * FROM profile.association_rules('SELECT tid, item FROM fi_test.tx', 0.4, 0)),
     f AS (SELECT r.*, 5.0::float8 AS n,
                  fi_test.count_of(antecedent)::float8 AS a, fi_test.count_of(consequent)::float8 AS c,
                  fi_test.count_of(antecedent || consequent)::float8 AS z
           FROM r)
SELECT count(*) AS rules,
       count(*) FILTER (WHERE antecedent_count = a AND consequent_count = c AND count = z) AS counts_right,
       count(*) FILTER (WHERE abs(support - z / n) < 1e-12
                          AND abs(confidence - z / a) < 1e-12
                          AND abs(lift - (z / a) / (c / n)) < 1e-12
                          AND abs(leverage - (z / n - (a / n) * (c / n))) < 1e-12
                          AND (conviction = (CASE WHEN z = a THEN 'Infinity'::float8 END)
                               OR abs(conviction - (1 - c / n) / (1 - z / a)) < 1e-12)
                          AND abs(zhangs_metric - CASE WHEN greatest(z / n * (1 - a / n), a / n * (c / n - z / n)) = 0 THEN 0
                                                       ELSE (z / n - (a / n) * (c / n)) / greatest(z / n * (1 - a / n), a / n * (c / n - z / n)) END) < 1e-12
                          AND abs(jaccard - z / (a + c - z)) < 1e-12
                          AND abs(certainty - CASE WHEN c = n THEN 0 ELSE (z / a - c / n) / (1 - c / n) END) < 1e-12
                          AND abs(kulczynski - (z / a + z / c) / 2) < 1e-12
                          AND abs(antecedent_support - a / n) < 1e-12
                          AND abs(consequent_support - c / n) < 1e-12) AS measures_right
FROM f;

-- filters: min_lift, thresholds on any measure, side sizes
SELECT antecedent, consequent, round(lift::numeric, 6) AS lift
FROM profile.association_rules('SELECT tid, item FROM fi_test.tx', 0.4, 0.5, min_lift => 1.2);
SELECT antecedent, consequent
FROM profile.association_rules('SELECT tid, item FROM fi_test.tx', 0.4, 0, thresholds => '{"zhangs_metric": 0.6, "support": 0.4}');
SELECT max(cardinality(antecedent)) AS max_a, max(cardinality(consequent)) AS max_c, count(*)
FROM profile.association_rules('SELECT tid, item FROM fi_test.tx', 0.4, 0, max_antecedent => 1);
SELECT max(cardinality(antecedent)) AS max_a, max(cardinality(consequent)) AS max_c, count(*)
FROM profile.association_rules('SELECT tid, item FROM fi_test.tx', 0.4, 0, max_consequent => 1);
-- item constraints: consequent only beer or cola; antecedent must hold milk
SELECT antecedent, consequent
FROM profile.association_rules('SELECT tid, item FROM fi_test.tx', 0.4, 0,
                               consequent_in => '{beer,cola}', antecedent_has => '{milk}');
-- an unknown item matches nothing (a NOTICE says so)
SELECT count(*) FROM profile.association_rules('SELECT tid, item FROM fi_test.tx', 0.4, 0, consequent_in => '{caviar}');

-- redundancy pruning against its definition: a rule A => C is dropped
-- exactly when some A' => C, A' a proper non-empty subset of A, has at
-- least its confidence
WITH allr AS (SELECT antecedent, consequent, confidence
              FROM profile.association_rules('SELECT tid, item FROM fi_test.tx', 0.4, 0)),
     kept AS (SELECT antecedent, consequent
              FROM profile.association_rules('SELECT tid, item FROM fi_test.tx', 0.4, 0, prune_redundant => true)),
     expected AS (SELECT r.antecedent, r.consequent FROM allr r
                  WHERE NOT EXISTS (SELECT 1 FROM allr g
                                    WHERE g.consequent = r.consequent AND g.antecedent <@ r.antecedent
                                      AND cardinality(g.antecedent) < cardinality(r.antecedent)
                                      AND g.confidence >= r.confidence - 1e-15))
SELECT (SELECT count(*) FROM allr) AS rules, (SELECT count(*) FROM kept) AS kept,
       (SELECT count(*) FROM ((TABLE kept EXCEPT TABLE expected) UNION ALL (TABLE expected EXCEPT TABLE kept)) d) AS differences;

-- ---- input forms ----
-- (basket, items[]) equals (basket, item); repeats count once; NULLs skipped
SELECT count(*) AS differences FROM (
    (SELECT * FROM profile.frequent_itemsets('SELECT tid, item FROM fi_test.tx', 0.2))
    EXCEPT
    (SELECT * FROM profile.frequent_itemsets('SELECT tid, items || items || ARRAY[NULL::text] FROM fi_test.baskets
                                              UNION ALL SELECT NULL, ARRAY[''ghost'']
                                              UNION ALL SELECT 9, ARRAY[]::text[]', 0.2))) d;
-- integer items come back in numeric order; bigint baskets; smallint items
SELECT items, count FROM profile.frequent_itemsets(
    'SELECT b::bigint, i::smallint FROM (VALUES (1, 10), (1, 9), (1, 100), (2, 9), (2, 100), (3, 10)) v(b, i)', 0.6);
-- uuid items and text baskets
SELECT items, count FROM profile.frequent_itemsets(
    'SELECT b, i::uuid FROM (VALUES (''x'', ''a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11''), (''x'', ''00000000-0000-0000-0000-000000000001''),
                                    (''y'', ''A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11'')) v(b, i)', 0.5);
-- empty input, one basket, all baskets identical
SELECT count(*) FROM profile.frequent_itemsets('SELECT 1, ''a'' WHERE false', 0.5);
SELECT count(*) FROM profile.association_rules('SELECT 1, ''a'' WHERE false', 0.5);
SELECT items, count, support FROM profile.frequent_itemsets('SELECT 1, i FROM unnest(ARRAY[''a'', ''b'']) i', 1);
SELECT antecedent, consequent, confidence, lift, conviction, zhangs_metric, certainty
FROM profile.association_rules('SELECT b, i FROM generate_series(1, 4) b, unnest(ARRAY[''a'', ''b'']) i', 1, 0);

-- ---- stored models and recommendations ----
SELECT * FROM profile.rules_fit('fi_rules', 'SELECT tid, item FROM fi_test.tx', 0.4, 0.5);
-- the view shows exactly what association_rules returns, in its order
SELECT count(*) AS rules,
       count(*) FILTER (WHERE v.antecedent = r.antecedent AND v.consequent = r.consequent
                          AND v.confidence = r.confidence AND v.lift = r.lift AND v.count = r.count) AS same
FROM (SELECT *, row_number() OVER () AS rule FROM profile.association_rules('SELECT tid, item FROM fi_test.tx', 0.4, 0.5)) r
JOIN profile.rules v ON v.model = 'fi_rules' AND v.rule = r.rule;
-- beer in the basket: beer => diaper (confidence 1) recommends diaper;
-- beer => bread and beer => milk (2/3) bread and milk.  Rules with two
-- items on the right (beer => bread+diaper) do not recommend.
SELECT * FROM profile.recommend('fi_rules', ARRAY['beer']);
SELECT rank, item, round(score::numeric, 6) AS score, antecedent, consequent
FROM profile.recommend('fi_rules', ARRAY['beer', 'milk', 'nonsense'], 2, by => 'lift');
-- nothing fires, or everything is in the basket already
SELECT count(*) FROM profile.recommend('fi_rules', ARRAY['eggs']);
SELECT count(*) FROM profile.recommend('fi_rules', ARRAY['bread', 'milk', 'diaper', 'beer', 'cola']);
-- recommend against its definition over the view: for each item not in
-- the basket, the best confidence among the rules A => {item} with A in
-- the basket
WITH b AS (SELECT tid, items FROM fi_test.baskets),
     expected AS (SELECT b.tid, v.consequent[1] AS item, max(v.confidence) AS score
                  FROM b JOIN profile.rules v ON v.model = 'fi_rules' AND v.antecedent <@ b.items
                                             AND cardinality(v.consequent) = 1
                                             AND NOT v.consequent[1] = ANY (b.items)
                  GROUP BY b.tid, v.consequent[1]),
     got AS (SELECT b.tid, r.item, r.score FROM b CROSS JOIN LATERAL profile.recommend('fi_rules', b.items, 100) r)
SELECT (SELECT count(*) FROM expected) AS expected,
       (SELECT count(*) FROM ((TABLE got EXCEPT TABLE expected) UNION ALL (TABLE expected EXCEPT TABLE got)) d) AS differences;
-- the per-customer form equals recommend per customer
SELECT count(*) AS rows,
       (SELECT count(*) FROM (
           (SELECT customer_id::int, rank, item, score FROM profile.recommend_customers('fi_rules', 'SELECT tid, item FROM fi_test.tx', 3))
           EXCEPT
           (SELECT b.tid, r.rank, r.item, r.score FROM fi_test.baskets b CROSS JOIN LATERAL profile.recommend('fi_rules', b.items, 3) r)) d) AS differences
FROM profile.recommend_customers('fi_rules', 'SELECT tid, item FROM fi_test.tx', 3);
-- integer items: the basket may be int[], bigint[] or text[]
SELECT * FROM profile.rules_fit('fi_rules_int', 'SELECT b, i FROM (VALUES (1, 1), (1, 2), (2, 1), (2, 2), (3, 1)) v(b, i)', 0.5, 0.5);
SELECT (SELECT array_agg(item) FROM profile.recommend('fi_rules_int', ARRAY[2])) AS from_int,
       (SELECT array_agg(item) FROM profile.recommend('fi_rules_int', ARRAY[2]::bigint[])) AS from_bigint,
       (SELECT array_agg(item) FROM profile.recommend('fi_rules_int', ARRAY['2'])) AS from_text;
-- a retrain is seen at once; the model catalog records the run
SELECT rules FROM profile.rules_fit('fi_rules', 'SELECT tid, item FROM fi_test.tx', 0.4, 0.9);
SELECT count(*) FROM profile.recommend('fi_rules', ARRAY['milk']);
SELECT kind, summary->'baskets' AS baskets, summary->'rules' AS rules, params->'min_confidence' AS min_confidence
FROM profile.models WHERE name = 'fi_rules';

-- ---- the counting aggregate of the scan path ----
-- {a,b} in rows 1, 2; {b,c} in row 1; {a,c} in rows 1, 3 (repeats count once)
SELECT profile.itemset_counts(items, '{{a,b},{b,c},{a,c}}')
FROM (VALUES ('{a,b,c}'::text[]), ('{b,a}'), ('{c,a,a,NULL}'), (NULL), ('{}')) v(items);
SELECT profile.itemset_counts(items, '{{a,b}}') FROM (VALUES ('{a}'::text[])) v(items) WHERE false;

-- ---- limits ----
-- 2,000 identical baskets of 40 items have 2^40 - 1 frequent itemsets
SELECT count(*) FROM profile.frequent_itemsets('SELECT b, i FROM generate_series(1, 2000) b, generate_series(1, 40) i', 0.5, 32);
\echo :LAST_ERROR_SQLSTATE
SELECT count(*) FROM profile.frequent_itemsets('SELECT b, i FROM generate_series(1, 2000) b, generate_series(1, 40) i', 0.5, 32,
                                               algorithm => 'apriori', max_itemsets => 5000);
\echo :LAST_ERROR_SQLSTATE
SET profile.memory_budget = '10MB';
SELECT count(*) FROM profile.frequent_itemsets('SELECT b, i FROM generate_series(1, 2000) b, generate_series(1, 40) i', 0.5, 32,
                                               max_itemsets => 100000000);
\echo :LAST_ERROR_SQLSTATE
RESET profile.memory_budget;
SELECT count(*) FROM profile.association_rules('SELECT tid, item FROM fi_test.tx', 0.4, 0, max_rules => 39);
\echo :LAST_ERROR_SQLSTATE
-- the limits hold in max_len too: 40 items, max_len 2, 40 + 780 itemsets
SELECT count(*) FROM profile.frequent_itemsets('SELECT b, i FROM generate_series(1, 20) b, generate_series(1, 40) i', 0.5, 2);
-- one basket of 5,000 items: 5,000 singletons at max_len 1; pairs hit the limit
SELECT count(*) FROM profile.frequent_itemsets('SELECT 1, i FROM generate_series(1, 5000) i', 1, 1);
SELECT count(*) FROM profile.frequent_itemsets('SELECT 1, i FROM generate_series(1, 5000) i', 1, 2);
\echo :LAST_ERROR_SQLSTATE

-- ---- bad input ----
CREATE FUNCTION fi_test.try(sql text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE sql;
    RETURN 'ok';
EXCEPTION WHEN OTHERS THEN
    RETURN SQLSTATE;
END $$;
SET client_min_messages = warning;
SELECT clusters FROM profile.kmeans_fit('fi_km', 'SELECT 1, ARRAY[1.0]::float8[]', 1);
SELECT n, name, fi_test.try(sql) AS sqlstate FROM (VALUES
    (1, 'min_support 0', $$SELECT * FROM profile.frequent_itemsets('SELECT 1, 1', 0)$$),
    (2, 'min_support above 1', $$SELECT * FROM profile.frequent_itemsets('SELECT 1, 1', 1.5)$$),
    (3, 'min_support NaN', $$SELECT * FROM profile.frequent_itemsets('SELECT 1, 1', 'NaN')$$),
    (4, 'min_support NULL', $$SELECT * FROM profile.frequent_itemsets('SELECT 1, 1', NULL)$$),
    (5, 'max_len 0', $$SELECT * FROM profile.frequent_itemsets('SELECT 1, 1', 0.5, 0)$$),
    (6, 'max_len 33', $$SELECT * FROM profile.frequent_itemsets('SELECT 1, 1', 0.5, 33)$$),
    (7, 'unknown algorithm', $$SELECT * FROM profile.frequent_itemsets('SELECT 1, 1', 0.5, algorithm => 'eclat')$$),
    (8, 'unknown target', $$SELECT * FROM profile.frequent_itemsets('SELECT 1, 1', 0.5, target => 'free')$$),
    (9, 'max_itemsets 0', $$SELECT * FROM profile.frequent_itemsets('SELECT 1, 1', 0.5, max_itemsets => 0)$$),
    (10, 'min_count 0', $$SELECT * FROM profile.frequent_itemsets('SELECT 1, 1', 0.5, min_count => 0)$$),
    (11, 'float item', $$SELECT * FROM profile.frequent_itemsets('SELECT 1, 1.5::float8', 0.5)$$),
    (12, 'numeric basket', $$SELECT * FROM profile.frequent_itemsets('SELECT 1.5, 1', 0.5)$$),
    (13, 'one column', $$SELECT * FROM profile.frequent_itemsets('SELECT 1', 0.5)$$),
    (14, 'float[] items', $$SELECT * FROM profile.frequent_itemsets('SELECT 1, ARRAY[1.5]::float8[]', 0.5)$$),
    (15, 'two statements', $$SELECT * FROM profile.frequent_itemsets('SELECT 1, 1; SELECT 1, 1', 0.5)$$),
    (16, 'DML', $$SELECT * FROM profile.frequent_itemsets('DELETE FROM profile.models RETURNING 1, 1', 0.5)$$),
    (17, 'scan path: float item', $$SELECT * FROM profile.frequent_itemsets('SELECT 1, 1.5::float8', 0.5, algorithm => 'apriori-scan')$$),
    (18, 'scan path: two statements', $$SELECT * FROM profile.frequent_itemsets('SELECT 1, 1; SELECT 1, 1', 0.5, algorithm => 'apriori-scan')$$),
    (19, 'min_confidence above 1', $$SELECT * FROM profile.association_rules('SELECT 1, 1', 0.5, 1.5)$$),
    (20, 'min_confidence -0.1', $$SELECT * FROM profile.association_rules('SELECT 1, 1', 0.5, -0.1)$$),
    (21, 'min_confidence NaN', $$SELECT * FROM profile.association_rules('SELECT 1, 1', 0.5, 'NaN')$$),
    (22, 'min_lift -1', $$SELECT * FROM profile.association_rules('SELECT 1, 1', 0.5, min_lift => -1)$$),
    (23, 'thresholds not an object', $$SELECT * FROM profile.association_rules('SELECT 1, 1', 0.5, thresholds => '[1]')$$),
    (24, 'thresholds: unknown measure', $$SELECT * FROM profile.association_rules('SELECT 1, 1', 0.5, thresholds => '{"luck": 1}')$$),
    (25, 'thresholds: text value', $$SELECT * FROM profile.association_rules('SELECT 1, 1', 0.5, thresholds => '{"lift": "high"}')$$),
    (26, 'constraint with NULL', $$SELECT * FROM profile.association_rules('SELECT 1, 1', 0.5, consequent_in => ARRAY[NULL])$$),
    (27, 'constraint 2-D', $$SELECT * FROM profile.association_rules('SELECT 1, 1', 0.5, consequent_in => '{{1},{2}}')$$),
    (28, 'max_antecedent 0', $$SELECT * FROM profile.association_rules('SELECT 1, 1', 0.5, max_antecedent => 0)$$),
    (29, 'max_consequent 0', $$SELECT * FROM profile.association_rules('SELECT 1, 1', 0.5, max_consequent => 0)$$),
    (30, 'max_rules 0', $$SELECT * FROM profile.association_rules('SELECT 1, 1', 0.5, max_rules => 0)$$),
    (31, 'rules: NULL query', $$SELECT * FROM profile.association_rules(NULL, 0.5)$$),
    (32, 'rules_fit: bad name', $$SELECT * FROM profile.rules_fit('', 'SELECT 1, 1', 0.5)$$),
    (33, 'rules_fit: NULL name', $$SELECT * FROM profile.rules_fit(NULL, 'SELECT 1, 1', 0.5)$$),
    (34, 'rules_fit: over a k-means name', $$SELECT * FROM profile.rules_fit('fi_km', 'SELECT 1, 1', 0.5)$$),
    (35, 'recommend: unknown model', $$SELECT * FROM profile.recommend('nope', ARRAY[1])$$),
    (36, 'recommend: model of another kind', $$SELECT * FROM profile.recommend('fi_km', ARRAY[1])$$),
    (37, 'recommend: float basket', $$SELECT * FROM profile.recommend('fi_rules', ARRAY[1.5])$$),
    (38, 'recommend: n 0', $$SELECT * FROM profile.recommend('fi_rules', ARRAY['beer'], 0)$$),
    (39, 'recommend: unknown measure', $$SELECT * FROM profile.recommend('fi_rules', ARRAY['beer'], by => 'luck')$$),
    (40, 'recommend: empty basket', $$SELECT * FROM profile.recommend('fi_rules', ARRAY[]::text[])$$),
    (41, 'recommend: NULL basket', $$SELECT * FROM profile.recommend('fi_rules', NULL::text[])$$),
    (42, 'recommend_customers: float items', $$SELECT * FROM profile.recommend_customers('fi_rules', 'SELECT 1, 1.5')$$),
    (43, 'model rules of a forged body', $$SELECT * FROM profile.rules_model_rules('\x0100'::bytea)$$),
    (44, 'model rules of a k-means body', $$SELECT r.* FROM profile.models m, profile.rules_model_rules(m.body) r WHERE m.name = 'fi_km'$$),
    (45, 'itemset_counts: 1-D candidates', $$SELECT profile.itemset_counts(ARRAY['a'], ARRAY['a'])$$),
    (46, 'itemset_counts: NULL candidate item', $$SELECT profile.itemset_counts(ARRAY['a'], '{{a,NULL}}')$$),
    (47, 'itemset_counts: repeated item', $$SELECT profile.itemset_counts(ARRAY['a'], '{{a,a}}')$$),
    (48, 'itemset_counts: repeated candidate', $$SELECT profile.itemset_counts(ARRAY['a'], '{{a,b},{b,a}}')$$),
    (49, 'itemset_counts: NULL candidates', $$SELECT profile.itemset_counts(ARRAY['a'], NULL)$$),
    (50, 'itemset_counts_transfn called directly', $$SELECT profile.itemset_counts_transfn(NULL, ARRAY['a'], '{{a}}')$$),
    (51, 'itemset_counts_combinefn of different lengths', $$SELECT profile.itemset_counts_combinefn('{1}', '{1,2}')$$)
) AS t(n, name, sql) ORDER BY n;
RESET client_min_messages;

DROP SCHEMA fi_test CASCADE;
DELETE FROM profile.models WHERE name LIKE 'fi\_%';
