-- RFM: catalogue facts (labels as documented, combinable aggregates) and
-- the planted customer groups of the generated retail data (schema retail,
-- docs/retail-data.md) landing in the segments one expects.
BEGIN;
SET LOCAL client_min_messages = warning;
SELECT plan(22);

-- aggregates: combinable, with a state Citus can ship (not internal)
SELECT is((SELECT count(*) FROM pg_aggregate a JOIN pg_proc p ON p.oid = a.aggfnoid
           WHERE p.pronamespace = 'profile'::regnamespace AND p.proname = 'rfm_summary'),
          4::bigint, 'rfm_summary has four forms (no order id, bigint, text, uuid order ids)');
SELECT is((SELECT count(*) FROM pg_aggregate a JOIN pg_proc p ON p.oid = a.aggfnoid
           WHERE p.proname = 'rfm_summary' AND p.pronamespace = 'profile'::regnamespace
             AND a.aggcombinefn <> 0 AND a.aggtranstype = 'bytea'::regtype
             AND p.proparallel = 's'),
          4::bigint, 'every rfm_summary has a combine function, a bytea state and is parallel safe');

-- labels
SELECT is((SELECT prokind::text || provolatile::text || proparallel::text FROM pg_proc
           WHERE oid = 'profile.quantile_score(double precision, integer, boolean)'::regprocedure),
          'wis', 'quantile_score is an immutable, parallel safe window function');
SELECT is((SELECT provolatile::text || proparallel::text FROM pg_proc
           WHERE oid = 'profile.rfm(text, timestamptz, integer, text)'::regprocedure),
          'vr', 'rfm runs a given query: volatile, parallel restricted');
SELECT is((SELECT provolatile::text || proparallel::text FROM pg_proc
           WHERE oid = 'profile.rfm_fit(text, text, timestamptz, integer, text)'::regprocedure),
          'vu', 'rfm_fit writes a model: volatile, parallel unsafe');
SELECT is((SELECT provolatile::text || proisstrict::text FROM pg_proc
           WHERE oid = 'profile.rfm_score(text, integer, bigint, double precision)'::regprocedure),
          'strue', 'rfm_score reads a model: stable and strict');
SELECT is((SELECT provolatile::text FROM pg_proc
           WHERE oid = 'profile.rfm_summary_finalfn(bytea)'::regprocedure),
          's', 'the summary final function is stable (days in the session time zone)');

-- segment map tables: readable by all, written by the DBA's grants, dumped
SELECT ok(has_table_privilege('public', 'profile.rfm_segment_maps', 'SELECT')
          AND has_table_privilege('public', 'profile.rfm_segment_rules', 'SELECT'),
          'PUBLIC may read segment maps');
SELECT ok(NOT has_table_privilege('public', 'profile.rfm_segment_rules', 'INSERT, UPDATE, DELETE'),
          'PUBLIC may not write segment maps');
SELECT ok((SELECT 'profile.rfm_segment_rules'::regclass::oid = ANY (extconfig)
                  AND 'profile.rfm_segment_maps'::regclass::oid = ANY (extconfig)
           FROM pg_extension WHERE extname = 'profile'),
          'user segment maps are dumped by pg_dump');
SELECT is((SELECT count(*) FROM profile.rfm_segment_rules WHERE segment_map = 'rf_grid'), 10::bigint,
          'rf_grid has its 10 segments');
SELECT throws_ok($$UPDATE profile.rfm_segment_maps SET bins = 4 WHERE name = 'rf_grid'$$,
                 '42501', NULL, 'built-in maps are read-only');

-- planted groups in the rf_grid segments (thresholds leave room for the
-- generator's randomness; docs/retail-data.md describes the groups)
CREATE TEMP TABLE seg AS
SELECT c.planted_group, r.*
FROM profile.rfm('SELECT o.customer_id, o.ordered_at, l.quantity * l.unit_price, o.order_id
                  FROM retail.orders o JOIN retail.order_lines l USING (order_id)',
                 as_of => '2026-01-01') r
JOIN retail.customers c ON c.customer_id = r.customer_id::bigint;
CREATE TEMP VIEW share AS
SELECT planted_group, segment, count(*)::float8 / sum(count(*)) OVER (PARTITION BY planted_group) AS share
FROM seg GROUP BY planted_group, segment;

SELECT is((SELECT count(*) FROM seg), 1500::bigint, 'every generated customer is scored (guests are not)');
SELECT cmp_ok((SELECT sum(share) FROM share WHERE planted_group = 'champion' AND segment IN ('Champions', 'Loyal')),
              '>=', 0.9::float8, 'champions: at least 90% Champions or Loyal');
SELECT cmp_ok((SELECT sum(share) FROM share WHERE planted_group = 'loyal' AND segment IN ('Champions', 'Loyal')),
              '>=', 0.9::float8, 'loyal: at least 90% Champions or Loyal');
SELECT cmp_ok((SELECT sum(share) FROM share WHERE planted_group = 'one_timer' AND segment = 'Hibernating'),
              '>=', 0.9::float8, 'one-timers: at least 90% Hibernating');
SELECT cmp_ok((SELECT sum(share) FROM share WHERE planted_group = 'churned' AND segment IN ('Hibernating', 'At Risk')),
              '>=', 0.9::float8, 'churned: at least 90% Hibernating or At Risk');
SELECT cmp_ok((SELECT sum(share) FROM share WHERE planted_group = 'at_risk' AND segment IN ('Can''t Lose', 'At Risk')),
              '>=', 0.7::float8, 'at risk: at least 70% Can''t Lose or At Risk');
SELECT cmp_ok((SELECT sum(share) FROM share WHERE planted_group = 'new'
               AND segment IN ('New Customers', 'Promising', 'Potential Loyalists', 'About to Sleep')),
              '>=', 0.9::float8, 'new: at least 90% New Customers, Promising, Potential Loyalists or About to Sleep');

-- the one call equals its building blocks on the same data
SELECT is((SELECT count(*) FROM (
    SELECT r.customer_id, r.r_score, r.f_score, r.m_score FROM seg r
    EXCEPT
    SELECT customer_id::text,
           profile.quantile_score(recency_days, 5, true) OVER (),
           profile.quantile_score(frequency, 5) OVER (),
           profile.quantile_score(monetary, 5) OVER ()
    FROM (SELECT o.customer_id, (profile.rfm_summary(o.ordered_at, l.quantity * l.unit_price,
                                                     '2026-01-01', o.order_id)).*
          FROM retail.orders o JOIN retail.order_lines l USING (order_id)
          WHERE o.customer_id IS NOT NULL GROUP BY o.customer_id) s) d),
    0::bigint, 'rfm() scores equal quantile_score over rfm_summary on the retail data');

-- a stored model scores the same customers the same way
SELECT is((SELECT customers FROM profile.rfm_fit('tap_rfm',
               'SELECT o.customer_id, o.ordered_at, l.quantity * l.unit_price, o.order_id
                FROM retail.orders o JOIN retail.order_lines l USING (order_id)', '2026-01-01')),
          1500::bigint, 'rfm_fit stores a model of the 1500 customers');
SELECT is((SELECT count(*) FROM seg r
           WHERE (profile.rfm_score('tap_rfm', r.recency_days, r.frequency, r.monetary)).segment
                 IS DISTINCT FROM r.segment),
          0::bigint, 'rfm_score with the stored boundaries gives every customer its rfm() segment');

SELECT * FROM finish();
ROLLBACK;
