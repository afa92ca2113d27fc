#!/usr/bin/env bash
# scripts/demo.sh: the main job, from nothing to results.
#
# Installs what is missing (apt-get, as root), builds and installs the
# extension, starts a throw-away PostgreSQL 15 on 127.0.0.1 (stopped on
# exit), generates a retail data set with planted structure, loads it and
# runs the whole pipeline that exists so far, printing the results.  Last,
# it writes an HTML report of the results (scripts/report.py) and prints
# its path and size.
#
# Usage: scripts/demo.sh [--customers N] [--days D] [--products P] [--seed S]
#                        [--db CONNINFO] [--report PATH]
#   --db CONNINFO   use this database instead of a throw-away cluster.  The
#                   extension must be installable there; the demo creates it
#                   if missing and touches nothing but schema profile_demo
#                   (dropped and recreated) and the models and segment
#                   snapshots it names demo_*.
#   --report PATH   where to write the report (default build/report.html)

caller_dir=$PWD
source "$(dirname "$0")/lib.sh"
cd "$PROFILE_ROOT"

customers=5000 days=730 products=500 seed=42 conninfo="" report=$PROFILE_ROOT/build/report.html
while [ $# -gt 0 ]; do
    case "$1" in
        --customers) customers=$2; shift 2 ;;
        --days) days=$2; shift 2 ;;
        --products) products=$2; shift 2 ;;
        --seed) seed=$2; shift 2 ;;
        --db) conninfo=$2; shift 2 ;;
        --report) report=$2; shift 2 ;;
        -h|--help) sed -n '2,18p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "unknown option $1 (see --help)" >&2; exit 2 ;;
    esac
done
case "$report" in /*) ;; *) report=$caller_dir/$report ;; esac

install_deps
build_install ""
if [ -z "$conninfo" ]; then
    start_cluster
    psql -X -q -d postgres -c "CREATE DATABASE profile_demo"
    conninfo="dbname=profile_demo"
fi

export PGOPTIONS="-c client_min_messages=warning"
q() { psql -X -q -v ON_ERROR_STOP=1 -P pager=off -d "$conninfo" "$@"; }

q -c "CREATE EXTENSION IF NOT EXISTS profile"
say "generating and loading retail data: $customers customers, $days days, $products products, seed $seed"
start=$(date +%s%N)
q -c "DROP SCHEMA IF EXISTS profile_demo CASCADE"
generate_retail "$conninfo" profile_demo --customers "$customers" --days "$days" \
    --products "$products" --seed "$seed"
echo "generated and loaded in $(( ($(date +%s%N) - start) / 1000000 )) ms"

say "the data"
q <<'SQL'
SELECT 'customers' AS "table", count(*) AS rows FROM profile_demo.customers
UNION ALL SELECT 'products', count(*) FROM profile_demo.products
UNION ALL SELECT 'orders', count(*) FROM profile_demo.orders
UNION ALL SELECT 'order_lines', count(*) FROM profile_demo.order_lines;

SELECT min(ordered_at)::date AS first_order, max(ordered_at)::date AS last_order,
       round(sum(l.quantity * l.unit_price)) AS revenue,
       round(100.0 * avg((o.customer_id IS NULL)::int), 1) AS guest_order_pct
FROM profile_demo.orders o JOIN profile_demo.order_lines l USING (order_id);
SQL

say "planted structure (docs/retail-data.md), as plain SQL sees it"
q <<'SQL'
-- customer groups: how recent, how often, how much
SELECT c.planted_group AS "group", count(*) AS customers,
       round(avg(s.days_since_last)) AS avg_days_since_last,
       round(avg(s.orders), 1) AS avg_orders,
       round(percentile_cont(0.5) WITHIN GROUP (ORDER BY s.spend)) AS median_spend,
       round(avg(s.spend)) AS mean_spend
FROM profile_demo.customers c
JOIN (SELECT o.customer_id,
             extract(day FROM timestamptz '2026-01-01 00:00+00' - max(o.ordered_at)) AS days_since_last,
             count(DISTINCT o.order_id) AS orders,
             sum(l.quantity * l.unit_price) AS spend
      FROM profile_demo.orders o JOIN profile_demo.order_lines l USING (order_id)
      GROUP BY o.customer_id) s USING (customer_id)
GROUP BY c.planted_group ORDER BY median_spend DESC;

-- products bought together: the planted sets against their lift
WITH baskets AS (
    SELECT order_id, array_agg(DISTINCT product_id) AS items
    FROM profile_demo.order_lines WHERE quantity > 0 GROUP BY order_id
), n AS (SELECT count(*)::float8 AS n FROM baskets),
support AS (
    SELECT p, count(*) / n.n AS s FROM baskets, unnest(items) p, n GROUP BY p, n.n
)
SELECT set_name AS "planted set", sets.items,
       round((count(*) FILTER (WHERE b.items @> sets.items) / n.n
              / (SELECT exp(sum(ln(s))) FROM support WHERE p = ANY (sets.items)))::numeric, 1) AS lift
FROM (VALUES ('pair A', ARRAY[1, 2]), ('pair B', ARRAY[3, 4]), ('triple T', ARRAY[5, 6, 7])) AS sets(set_name, items),
     baskets b, n
GROUP BY set_name, sets.items, n.n ORDER BY set_name;

-- weekly rhythm
SELECT to_char(ordered_at, 'Dy') AS weekday, count(*) AS orders
FROM profile_demo.orders GROUP BY extract(isodow FROM ordered_at), 1 ORDER BY extract(isodow FROM ordered_at);
SQL

say "RFM: recency, frequency, monetary scores and segments (profile.rfm, map rf_grid)"
q <<'SQL'
-- the dashboard summary, in one call
SELECT segment, customers, round(100 * customer_share) AS "customers %",
       round(avg_recency_days) AS avg_recency_days, round(avg_frequency::numeric, 1) AS avg_orders,
       round(avg_monetary) AS avg_spend, round(100 * revenue_share) AS "revenue %"
FROM profile.rfm_segment_summary(
    'SELECT o.customer_id, o.ordered_at, l.quantity * l.unit_price, o.order_id
     FROM profile_demo.orders o JOIN profile_demo.order_lines l USING (order_id)',
    as_of => '2026-01-01');

-- where the planted groups land (docs/retail-data.md): champions and loyal
-- in Champions/Loyal, at_risk in Can't Lose/At Risk, churned and
-- one-timers in Hibernating, new in New Customers/Promising/Potential
-- Loyalists
SELECT "group", string_agg(segment || ' ' || n, ', ' ORDER BY n DESC, segment) AS segments
FROM (SELECT c.planted_group AS "group", r.segment, count(*) AS n
      FROM profile.rfm('SELECT o.customer_id, o.ordered_at, l.quantity * l.unit_price, o.order_id
                        FROM profile_demo.orders o JOIN profile_demo.order_lines l USING (order_id)',
                       as_of => '2026-01-01') r
      JOIN profile_demo.customers c ON c.customer_id = r.customer_id::bigint
      GROUP BY 1, 2) s
GROUP BY "group" ORDER BY "group";

-- fit once, store the boundaries by name, score anyone later with them
SELECT * FROM profile.rfm_fit('demo_rfm',
    'SELECT o.customer_id, o.ordered_at, l.quantity * l.unit_price, o.order_id
     FROM profile_demo.orders o JOIN profile_demo.order_lines l USING (order_id)',
    as_of => '2026-01-01');
SELECT dimension, score, lower_bound, upper_bound, customers
FROM profile.rfm_boundaries WHERE model = 'demo_rfm' ORDER BY dimension, score;
SELECT (profile.rfm_score('demo_rfm', recency_days => 3, frequency => 12, monetary => 2500)).*;
SQL

say "k-means: customers clustered on recency, frequency and spend (log scaling, k = 7)"
q <<'SQL'
CREATE TABLE profile_demo.customer_features AS
SELECT customer_id::bigint AS customer_id,
       ARRAY[recency_days, frequency, greatest(monetary, 0)]::float8[] AS features
FROM profile.rfm('SELECT o.customer_id, o.ordered_at, l.quantity * l.unit_price, o.order_id
                  FROM profile_demo.orders o JOIN profile_demo.order_lines l USING (order_id)',
                 as_of => '2026-01-01');

SELECT model, clusters, points, round(inertia::numeric, 1) AS inertia, iterations, converged, sizes
FROM profile.kmeans_fit('demo_segments', 'SELECT customer_id, features FROM profile_demo.customer_features',
                        k => 7, scaling => 'log', n_init => 10);

-- suggested labels from the centroids (original units), stored for assignment
DELETE FROM profile.kmeans_labels WHERE model = 'demo_segments';
INSERT INTO profile.kmeans_labels (model, cluster, label)
SELECT model, cluster,
       CASE WHEN centroid[1] <= 14 THEN 'active' WHEN centroid[1] <= 60 THEN 'recent'
            WHEN centroid[1] <= 180 THEN 'lapsing' ELSE 'gone' END || ', ' ||
       CASE WHEN centroid[2] >= 50 THEN 'very frequent' WHEN centroid[2] >= 15 THEN 'frequent'
            WHEN centroid[2] >= 3 THEN 'occasional' ELSE 'one-off' END || ', ' ||
       CASE WHEN centroid[3] >= 5000 THEN 'big spend' WHEN centroid[3] >= 1000 THEN 'mid spend' ELSE 'small spend' END
FROM profile.kmeans_centroids WHERE model = 'demo_segments';
SELECT cluster, label, size, round(centroid[1]) AS recency_days, round(centroid[2]) AS orders,
       round(centroid[3]) AS spend
FROM profile.kmeans_centroids WHERE model = 'demo_segments' ORDER BY spend DESC;

-- the planted groups against the clusters, and the adjusted Rand index
-- (1 = the same partition, 0 = chance)
WITH assigned AS (
    SELECT c.planted_group, (profile.kmeans_assign_detail('demo_segments', f.features)).*
    FROM profile_demo.customer_features f JOIN profile_demo.customers c USING (customer_id)),
cont AS (SELECT planted_group, cluster, count(*) AS n FROM assigned GROUP BY 1, 2),
pairs AS (
    SELECT (SELECT sum(n * (n - 1) / 2.0) FROM cont) AS both_same,
           (SELECT sum(a * (a - 1) / 2.0) FROM (SELECT sum(n) AS a FROM cont GROUP BY planted_group) x) AS same_group,
           (SELECT sum(b * (b - 1) / 2.0) FROM (SELECT sum(n) AS b FROM cont GROUP BY cluster) y) AS same_cluster,
           (SELECT sum(n) * (sum(n) - 1) / 2.0 FROM cont) AS all_pairs)
SELECT round((both_same - same_group * same_cluster / all_pairs)
             / ((same_group + same_cluster) / 2 - same_group * same_cluster / all_pairs), 3) AS adjusted_rand_index
FROM pairs;
SELECT planted_group AS "group", string_agg(label || ' ' || n, ', ' ORDER BY n DESC) AS clusters
FROM (SELECT c.planted_group, (profile.kmeans_assign_detail('demo_segments', f.features)).label, count(*) AS n
      FROM profile_demo.customer_features f JOIN profile_demo.customers c USING (customer_id)
      GROUP BY 1, 2) s
GROUP BY planted_group ORDER BY 1;
SQL

say "PCA: the customers on a 2-D plane (log recency, log orders, log spend)"
q <<'SQL'
CREATE TABLE profile_demo.customer_pca AS
SELECT profile.pca(ARRAY[ln(1 + features[1]), ln(features[2]), ln(1 + features[3])], 2) AS pca
FROM profile_demo.customer_features;
SELECT (pca).n, (pca).explained_variance_ratio AS explained_share, (pca).components
FROM profile_demo.customer_pca;
-- where the planted groups sit on the plane, with their k-means cluster
SELECT c.planted_group AS "group", count(*) AS customers,
       round(avg(xy[1])::numeric, 2) AS x, round(avg(xy[2])::numeric, 2) AS y,
       mode() WITHIN GROUP (ORDER BY profile.kmeans_assign('demo_segments', f.features)) AS usual_cluster
FROM (SELECT customer_id, features,
             profile.pca_project(ARRAY[ln(1 + features[1]), ln(features[2]), ln(1 + features[3])],
                                 (SELECT pca FROM profile_demo.customer_pca)) AS xy
      FROM profile_demo.customer_features) f
JOIN profile_demo.customers c USING (customer_id)
GROUP BY 1 ORDER BY x;
SQL

say "lifetime value: BG/NBD purchases and churn, Gamma-Gamma spend, CLV (profile.clv_*)"
q <<'SQL'
-- per customer: repeat purchases, recency and age in weeks, mean repeat spend
CREATE TABLE profile_demo.clv_customers AS
SELECT o.customer_id, (profile.clv_summary(o.ordered_at, t.amount, '2026-01-01', 'week')).*
FROM profile_demo.orders o
JOIN (SELECT order_id, sum(quantity * unit_price)::float8 AS amount
      FROM profile_demo.order_lines GROUP BY order_id) t USING (order_id)
WHERE o.customer_id IS NOT NULL
GROUP BY o.customer_id;

-- fit and store both models; the parameters.  The generator's customers
-- do not drop out the BG/NBD way (a Beta-distributed chance after each
-- purchase): without a penalizer the fit drives a and b up together (a
-- drop-out chance of a / (a + b), about 1% per purchase, for everyone) and
-- stops with a WARNING and converged = false.  A small L2 penalizer, as
-- lifetimes users add, keeps them finite; the fit converges and separates
-- the planted groups below.
SELECT model, customers, round(r::numeric, 3) AS r, round(alpha::numeric, 3) AS alpha,
       round(a::numeric, 3) AS a, round(b::numeric, 3) AS b, converged,
       round(p::numeric, 3) AS p, round(q::numeric, 3) AS q, round(v::numeric, 3) AS v,
       round(correlation::numeric, 2) AS freq_spend_corr
FROM profile.clv_fit('demo_clv', 'SELECT customer_id, frequency, recency, t, monetary FROM profile_demo.clv_customers',
                     time_unit => 'week', penalizer => 0.001);

CREATE TABLE profile_demo.clv_scores AS
SELECT * FROM profile.clv_score('demo_clv',
    'SELECT customer_id, frequency, recency, t, monetary FROM profile_demo.clv_customers');

-- top customers by CLV (12 months, 1% a month discount)
SELECT s.customer_id, c.planted_group AS "group", s.frequency AS repeat_orders, round(s.p_alive::numeric, 3) AS p_alive,
       round(s.expected_purchases::numeric, 1) AS orders_next_12m, round(s.expected_aov::numeric) AS aov,
       round(s.clv::numeric) AS clv
FROM profile_demo.clv_scores s JOIN profile_demo.customers c ON c.customer_id = s.customer_id::bigint
ORDER BY s.clv DESC NULLS LAST LIMIT 8;

-- most at risk: valuable so far (repeat orders x spend), now unlikely to be active
SELECT s.customer_id, c.planted_group AS "group", s.frequency AS repeat_orders, round(s.monetary::numeric) AS spend_per_order,
       round(s.t - s.recency) AS weeks_silent, round(s.p_alive::numeric, 3) AS p_alive
FROM profile_demo.clv_scores s JOIN profile_demo.customers c ON c.customer_id = s.customer_id::bigint
WHERE s.frequency >= 3
ORDER BY (1 - s.p_alive) * s.frequency * s.monetary DESC LIMIT 8;

-- the planted groups (docs/retail-data.md): churned and at_risk have a low P(alive)
SELECT c.planted_group AS "group", count(*) AS repeat_customers, round(avg(s.p_alive)::numeric, 3) AS mean_p_alive,
       round(avg(s.clv)::numeric) AS mean_clv
FROM profile_demo.clv_scores s JOIN profile_demo.customers c ON c.customer_id = s.customer_id::bigint
WHERE s.frequency > 0
GROUP BY 1 ORDER BY 3;

-- purchase cycles: regular customers most overdue for their next order
SELECT customer_id, (c).purchases, (c).interval_median AS usual_gap_days, (c).expected_next,
       (c).days_overdue, round((c).overdue_score::numeric, 1) AS cycles_since_last
FROM (SELECT customer_id, profile.purchase_cycle(ordered_at, '2026-01-01') AS c
      FROM profile_demo.orders WHERE customer_id IS NOT NULL GROUP BY customer_id) s
WHERE (c).purchases >= 8 AND (c).interval_cv < 1
ORDER BY (c).overdue_score DESC LIMIT 5;
SQL

say "cross-sell: frequent itemsets and association rules (FP-growth), recommendations"
q <<'SQL'
-- one basket per purchase order; the planted sets {1,2}, {3,4}, {5,6,7}
-- were planted with lifts of about 11.8, 17.4 and 650 (docs/retail-data.md)
\timing on
SELECT count(*) AS itemsets, max(size) AS longest
FROM profile.frequent_itemsets('SELECT order_id, product_id FROM profile_demo.order_lines WHERE quantity > 0', 0.001);
\timing off
WITH f AS (SELECT * FROM profile.frequent_itemsets(
               'SELECT order_id, product_id FROM profile_demo.order_lines WHERE quantity > 0', 0.005, 3))
SELECT p.items AS planted_set, p.support::numeric(6, 4) AS support,
       (p.support / (SELECT exp(sum(ln(s.support))) FROM f s
                     WHERE s.size = 1 AND s.items[1] = ANY (p.items)))::numeric(8, 1) AS lift
FROM f p WHERE p.items IN ('{1,2}', '{3,4}', '{5,6,7}') ORDER BY p.items;

SELECT antecedent, consequent, support::numeric(6, 4), confidence::numeric(5, 3),
       lift::numeric(7, 2), conviction::numeric(7, 2)
FROM profile.association_rules('SELECT order_id, product_id FROM profile_demo.order_lines WHERE quantity > 0',
                               0.005, 0.2, max_consequent => 1)
ORDER BY lift DESC, confidence DESC LIMIT 8;

SELECT * FROM profile.rules_fit('demo_cross_sell',
    'SELECT order_id, product_id FROM profile_demo.order_lines WHERE quantity > 0', 0.002, 0.1);

-- at checkout: baskets holding part of a planted set get the rest first
SELECT b.basket, r.rank, r.item AS recommended, r.antecedent AS because,
       r.confidence::numeric(5, 3), r.lift::numeric(7, 2)
FROM (VALUES (ARRAY[1]), (ARRAY[5, 6]), (ARRAY[3, 96])) b(basket),
     LATERAL profile.recommend('demo_cross_sell', b.basket, 2, by => 'lift') r;

-- and for every customer in one call (here the last baskets of the first
-- six; most hold no planted product, so popular items come first)
SELECT r.customer_id, r.rank, r.item AS recommended, r.antecedent AS because,
       r.confidence::numeric(5, 3), r.lift::numeric(7, 2)
FROM profile.recommend_customers('demo_cross_sell',
    'SELECT o.customer_id, l.product_id
     FROM profile_demo.order_lines l
     JOIN (SELECT DISTINCT ON (customer_id) customer_id, order_id FROM profile_demo.orders
           WHERE customer_id <= 6 ORDER BY customer_id, ordered_at DESC) o USING (order_id)
     WHERE l.quantity > 0', 2, by => 'lift') r
ORDER BY r.customer_id::int, r.rank;

-- category-level rules: the item is the category (a join in the inner query)
SELECT antecedent, consequent, confidence::numeric(5, 3), lift::numeric(5, 2)
FROM profile.association_rules(
    'SELECT l.order_id, p.category FROM profile_demo.order_lines l JOIN profile_demo.products p USING (product_id)
     WHERE l.quantity > 0', 0.02, 0.3, max_len => 2)
ORDER BY lift DESC LIMIT 5;
SQL

say "customer profiles: behaviour, tags, models in one row per customer (profile.profiles_*)"
q <<'SQL'
-- one stored profile from the order lines, with the RFM, k-means and CLV
-- models above; refreshed later by profile.profiles_refresh('demo').  The
-- last column, the quantity, makes price_percentile (and premium_buyer)
-- rank unit prices rather than line amounts.  The demo's own profile is
-- made anew when the demo runs again with --db
DELETE FROM profile.profile_definitions WHERE name = 'demo';
\timing on
SELECT profile, profiles, rows_read, as_of_used
FROM profile.profiles_create('demo',
    $$SELECT o.customer_id, o.ordered_at, l.quantity * l.unit_price, p.category,
             l.quantity * l.list_price, o.channel, o.order_id, l.quantity
      FROM profile_demo.orders o JOIN profile_demo.order_lines l USING (order_id)
           JOIN profile_demo.products p USING (product_id)
      WHERE o.customer_id IS NOT NULL$$,
    as_of => '2026-01-01', rfm_model => 'demo_rfm', kmeans_model => 'demo_segments',
    clv_model => 'demo_clv');
\timing off

-- how many customers carry each tag
SELECT tag, count(*) AS customers, round(100.0 * count(*) / (SELECT count(*) FROM profile.profiles WHERE profile = 'demo'), 1) AS pct
FROM profile.profiles, unnest(tags) AS tag WHERE profile = 'demo'
GROUP BY tag ORDER BY customers DESC;

-- three example profiles: the highest CLV, a lapsing champion, the most tags
\x on
SELECT customer_id, orders, round(net_spend) AS net_spend, recency_days, round(weekend_share::numeric, 2) AS weekend,
       round(night_share::numeric, 2) AS night, round(discount_share::numeric, 2) AS discount,
       top_category, top_affinity_category, round(price_percentile::numeric, 2) AS price_pct, top_channel,
       trend, next_purchase_on, round(overdue_score::numeric, 1) AS overdue, segment, cluster_label,
       round(p_alive::numeric, 3) AS p_alive, round(clv::numeric) AS clv, tags
FROM profile.profiles
WHERE profile = 'demo' AND customer_id IN (
    (SELECT customer_id FROM profile.profiles WHERE profile = 'demo' ORDER BY clv DESC NULLS LAST LIMIT 1),
    (SELECT customer_id FROM profile.profiles WHERE profile = 'demo' AND 'lapsing_champion' = ANY (tags)
     ORDER BY net_spend DESC LIMIT 1),
    (SELECT customer_id FROM profile.profiles WHERE profile = 'demo'
     ORDER BY cardinality(tags) DESC, customer_id::bigint LIMIT 1))
ORDER BY clv DESC NULLS LAST;
\x off

-- the planted behaviours (docs/retail-data.md) against their tags, among
-- customers with 3 orders or more
SELECT t.trait, count(*) FILTER (WHERE t.planted AND t.tagged) AS both,
       count(*) FILTER (WHERE t.tagged) AS tagged, count(*) FILTER (WHERE t.planted) AS planted,
       round(count(*) FILTER (WHERE t.planted AND t.tagged)::numeric / nullif(count(*) FILTER (WHERE t.tagged), 0), 3) AS precision,
       round(count(*) FILTER (WHERE t.planted AND t.tagged)::numeric / nullif(count(*) FILTER (WHERE t.planted), 0), 3) AS recall
FROM (SELECT tr.trait, tr.trait = ANY (c.planted_traits) AS planted, tr.trait = ANY (p.tags) AS tagged
      FROM profile.profiles p
      JOIN profile_demo.customers c ON c.customer_id = p.customer_id::bigint
      CROSS JOIN unnest(ARRAY['weekend_shopper', 'night_owl', 'discount_seeker', 'category_loyalist',
                              'premium_buyer']) AS tr(trait)
      WHERE p.profile = 'demo' AND p.orders >= 3) t
GROUP BY t.trait ORDER BY t.trait;

-- a win-back campaign: lapsing champions and churn risks, not new customers
SELECT * FROM profile.audience_summary('demo', ARRAY['lapsing_champion', 'churn_risk'],
                                       exclude => ARRAY['new_customer']);
SELECT customer_id, matched_tags, action, round(clv::numeric) AS clv, round(p_alive::numeric, 3) AS p_alive
FROM profile.audience('demo', ARRAY['lapsing_champion', 'churn_risk'], exclude => ARRAY['new_customer'])
LIMIT 5;
SQL

say "model catalog"
q -c "SELECT name, kind, format, created_at::date, created_by FROM profile.models ORDER BY name"

say "segment dynamics and cohorts (profile.segment_*, profile.cohorts), then the HTML report (scripts/report.py)"
# the RFM segments 180 days before the end of the data (scored on the
# orders before then) and at the end, kept as snapshots whose migration
# matrix the report draws
if [ "$(q -At -c "SELECT to_regprocedure('profile.segment_snapshot(text, text, timestamptz)') IS NOT NULL")" = t ]; then
    q <<'SQL'
SELECT * FROM profile.segment_snapshot('demo_rfm_2025_07_05',
    $s$SELECT customer_id, segment FROM profile.rfm(
           'SELECT o.customer_id, o.ordered_at, l.quantity * l.unit_price, o.order_id
            FROM profile_demo.orders o JOIN profile_demo.order_lines l USING (order_id)
            WHERE o.ordered_at < ''2025-07-05''', as_of => '2025-07-05')$s$,
    taken_at => '2025-07-05');
SELECT * FROM profile.segment_snapshot('demo_rfm_2026_01_01',
    $s$SELECT customer_id, segment FROM profile.rfm(
           'SELECT o.customer_id, o.ordered_at, l.quantity * l.unit_price, o.order_id
            FROM profile_demo.orders o JOIN profile_demo.order_lines l USING (order_id)',
           as_of => '2026-01-01')$s$,
    taken_at => '2026-01-01');
-- where each segment's customers came from and went to in those six months
SELECT segment, customers_before AS before, customers_after AS after, stayed, inflow, outflow,
       net_change, round(retention::numeric, 2) AS retention
FROM profile.segment_flows('demo_rfm_2025_07_05', 'demo_rfm_2026_01_01')
ORDER BY customers_after DESC NULLS LAST;
-- cohorts: customers by month of first purchase, the share still buying
-- 1, 3, 6 and 12 months later, and revenue per cohort customer
SELECT cohort, max(cohort_customers) AS customers,
       round(max(retention) FILTER (WHERE months_since = 1)::numeric, 2) AS m1,
       round(max(retention) FILTER (WHERE months_since = 3)::numeric, 2) AS m3,
       round(max(retention) FILTER (WHERE months_since = 6)::numeric, 2) AS m6,
       round(max(retention) FILTER (WHERE months_since = 12)::numeric, 2) AS m12,
       round(sum(revenue_per_customer)::numeric) AS revenue_per_customer
FROM profile.cohorts('SELECT o.customer_id, o.ordered_at, l.quantity * l.unit_price
                      FROM profile_demo.orders o JOIN profile_demo.order_lines l USING (order_id)')
GROUP BY cohort ORDER BY cohort LIMIT 12;
SQL
else
    echo "profile.segment_snapshot is not installed: the report's migration chart says so"
fi
mkdir -p "$(dirname "$report")"
"$PROFILE_PYTHON" scripts/report.py --db "$conninfo" --out "$report" --title "Customer report (profile demo)" \
    --orders 'SELECT o.customer_id, o.ordered_at, l.quantity * l.unit_price, o.order_id
              FROM profile_demo.orders o JOIN profile_demo.order_lines l USING (order_id)' \
    --rfm-model demo_rfm \
    --kmeans-model demo_segments --features 'SELECT customer_id, features FROM profile_demo.customer_features' \
    --feature-names recency_days,orders,spend \
    --clv-model demo_clv \
    --clv-customers 'SELECT customer_id, frequency, recency, t, monetary FROM profile_demo.clv_customers' \
    --rules-model demo_cross_sell --items 'SELECT product_id, name FROM profile_demo.products' \
    --rules-max-items 2 \
    --migration demo_rfm_2025_07_05 demo_rfm_2026_01_01 >/dev/null
report=$(cd "$(dirname "$report")" && pwd)/$(basename "$report")
say "done; the report: $report ($(stat -c %s "$report") bytes)"
