#!/usr/bin/env bash
# bench/profiles.sh: profile.customer_profiles against the SQL a DBA writes
# by hand and a floor, and profile.profiles_refresh against a full rebuild.
#
# Installs what is missing (apt-get, as root), builds and installs the
# extension, starts a throw-away PostgreSQL 15 on 127.0.0.1 (stopped on
# exit), generates retail data and flattens it into one table
#   lines(customer_id, order_id, ordered_at, amount, category, list_amount, channel,
#         quantity)
# (indexed on customer_id and ordered_at), then times, interleaved, with
# the median of --repeat rounds:
#
#   profile  SELECT count(*) FROM profile.customer_profiles('SELECT ... FROM lines')
#   hand     the same main features in plain SQL: per order, per customer
#            and per category GROUP BYs with FILTER clauses; windows for the
#            population shares (affinity) and percent_rank of the mean unit
#            price (price tier)
#   floor    SELECT customer_id, sum(amount), count(*) FROM lines GROUP BY 1
#
# Each is counted as SELECT count(*) FROM (...) x WHERE x IS NOT NULL: the
# whole-row test uses every column, so the planner cannot drop the columns
# a bare count(*) never reads (before 1.1 it did: the floor was a count of
# groups without sum or count, and the hand-written SQL lost its window
# functions, so both were timed doing less than they say).
#
# and, on a stored profile of the same rows: 1% of the customers get a new
# order, then profiles_refresh(name) against profiles_refresh(name,
# rebuild => true).  Times are the server's "Execution Time" of EXPLAIN
# (ANALYZE, TIMING OFF, SUMMARY ON, FORMAT JSON).  Parallel query is off
# (max_parallel_workers_per_gather = 0) so that every contender uses one
# core.  It measures; it does not test.
#
# Usage: bench/profiles.sh [--size 10M] [--repeat N]
#   --size <n>M   about n million order lines (retailgen --customers n*8770);
#                 default 10M
#   --repeat N    timed rounds (default 3)

# shellcheck source=scripts/lib.sh
source "$(dirname "$0")/../scripts/lib.sh"
cd "$PROFILE_ROOT" || exit 1

size=10M repeat=3
while [ $# -gt 0 ]; do
    case "$1" in
        --size) size=$2; shift 2 ;;
        --repeat) repeat=$2; shift 2 ;;
        -h|--help) sed -n '2,36p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "unknown option $1 (see --help)" >&2; exit 2 ;;
    esac
done
[[ $repeat =~ ^[1-9][0-9]*$ ]] || { echo "--repeat must be a positive integer" >&2; exit 2; }
[[ $size =~ ^([1-9][0-9]*)M$ ]] || { echo "--size takes <n>M, not '$size'" >&2; exit 2; }
customers=$(( ${BASH_REMATCH[1]} * 8770 ))

install_deps
build_install "-O2"
start_cluster
psql -X -q -d postgres -c "CREATE DATABASE profile_bench"
export PGOPTIONS="-c client_min_messages=warning -c max_parallel_workers_per_gather=0 -c TimeZone=UTC"
q() { psql -X -q -v ON_ERROR_STOP=1 -d profile_bench "$@"; }

say "data: $size order lines ($customers customers)"
q -c "CREATE EXTENSION profile"
generate_retail profile_bench retail --customers "$customers" --seed 42
q <<'SQL'
CREATE TABLE lines AS
SELECT o.customer_id, o.order_id, o.ordered_at, (l.quantity * l.unit_price)::float8 AS amount,
       p.category, (l.quantity * l.list_price)::float8 AS list_amount, o.channel, l.quantity
FROM retail.orders o JOIN retail.order_lines l USING (order_id) JOIN retail.products p USING (product_id)
WHERE o.customer_id IS NOT NULL
ORDER BY o.order_id, l.line_no;
CREATE INDEX ON lines (customer_id);
CREATE INDEX ON lines (ordered_at);
VACUUM (FREEZE, ANALYZE) lines;
SELECT count(*) AS lines, count(DISTINCT customer_id) AS customers FROM lines;
SQL

profile_sql="SELECT count(*) FROM profile.customer_profiles(
  'SELECT customer_id, ordered_at, amount, category, list_amount, channel, order_id, quantity FROM lines') p
WHERE p IS NOT NULL"
hand_sql=$(cat <<'SQL'
WITH ord AS (
  SELECT customer_id, order_id, min(ordered_at) AS at,
         sum(amount) FILTER (WHERE amount >= 0) AS spend, count(*) FILTER (WHERE amount >= 0) AS n
  FROM lines GROUP BY customer_id, order_id),
asof AS (SELECT max(ordered_at) AS t FROM lines),
per_order AS (
  SELECT customer_id, count(*) AS orders, min(at) AS first_at, max(at) AS last_at,
         avg((extract(isodow FROM at) IN (6, 7))::int) AS weekend_share,
         avg((extract(hour FROM at) >= 22 OR extract(hour FROM at) < 6)::int) AS night_share,
         avg((extract(hour FROM at) >= 6 AND extract(hour FROM at) < 12)::int) AS morning_share,
         avg((extract(hour FROM at) >= 12 AND extract(hour FROM at) < 17)::int) AS afternoon_share,
         avg((extract(hour FROM at) >= 17 AND extract(hour FROM at) < 22)::int) AS evening_share,
         avg(n) AS lines_per_order, avg(spend) AS avg_order_value,
         sum(spend) FILTER (WHERE at > (SELECT t FROM asof) - interval '90 days') AS recent,
         sum(spend) FILTER (WHERE at <= (SELECT t FROM asof) - interval '90 days'
                              AND at > (SELECT t FROM asof) - interval '180 days') AS previous
  FROM ord WHERE n > 0 GROUP BY customer_id),
per_line AS (
  SELECT customer_id, sum(amount) FILTER (WHERE amount >= 0) AS spend,
         -sum(amount) FILTER (WHERE amount < 0) AS returned,
         count(*) FILTER (WHERE amount < 0)::float8 / count(*) AS return_rate,
         sum(amount) FILTER (WHERE amount >= 0 AND amount < list_amount)
           / nullif(sum(amount) FILTER (WHERE amount >= 0 AND list_amount IS NOT NULL), 0) AS discount_share,
         count(DISTINCT channel) > 1 AS cross_channel
  FROM lines GROUP BY customer_id),
cat AS (
  SELECT customer_id, category, sum(amount) AS s, sum(amount) / sum(quantity) AS mean_price
  FROM lines WHERE amount >= 0 GROUP BY customer_id, category),
cat_rel AS (
  SELECT customer_id, category, s,
         (s / sum(s) OVER (PARTITION BY customer_id))
           / (sum(s) OVER (PARTITION BY category) / sum(s) OVER ()) AS affinity,
         percent_rank() OVER (PARTITION BY category ORDER BY mean_price) AS pr
  FROM cat),
per_cat AS (
  SELECT customer_id, (array_agg(category ORDER BY s DESC))[1] AS top_category,
         (array_agg(category ORDER BY affinity DESC))[1] AS top_affinity_category,
         sum(s * pr) / sum(s) AS price_percentile
  FROM cat_rel GROUP BY customer_id),
pop AS (SELECT sum(amount) FILTER (WHERE amount < list_amount) / sum(amount) AS discount_share
        FROM lines WHERE amount >= 0 AND list_amount IS NOT NULL)
SELECT count(*) FROM (
  SELECT o.*, l.spend, l.returned, l.return_rate, l.discount_share,
         l.discount_share / pop.discount_share AS discount_lift, l.cross_channel,
         c.top_category, c.top_affinity_category, c.price_percentile,
         CASE WHEN o.orders < 2 THEN NULL
              WHEN coalesce(o.previous, 0) = 0 OR o.recent / o.previous >= 1.25 THEN 'rising'
              WHEN o.recent IS NULL OR o.recent / o.previous <= 0.8 THEN 'declining'
              ELSE 'stable' END AS trend
  FROM per_order o JOIN per_line l USING (customer_id) JOIN per_cat c USING (customer_id)
  CROSS JOIN pop) x
WHERE x IS NOT NULL
SQL
)
floor_sql="SELECT count(*) FROM (SELECT customer_id, sum(amount), count(*) FROM lines GROUP BY customer_id) x
WHERE x IS NOT NULL"

# Execution time (ms) of a statement, from EXPLAIN ANALYZE
exec_ms() {
    q -At -c "EXPLAIN (ANALYZE, TIMING OFF, SUMMARY ON, FORMAT JSON) $1" |
        sed -n 's/.*"Execution Time": \([0-9.]*\).*/\1/p'
}
median() { sort -g | awk '{a[NR] = $1} END {print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", a / b}'; }

say "one call vs hand-written SQL vs floor ($repeat rounds, after a warm-up)"
exec_ms "$profile_sql" >/dev/null; exec_ms "$hand_sql" >/dev/null; exec_ms "$floor_sql" >/dev/null
p=() h=() f=()
for ((i = 1; i <= repeat; i++)); do
    p+=("$(exec_ms "$profile_sql")"); h+=("$(exec_ms "$hand_sql")"); f+=("$(exec_ms "$floor_sql")")
    echo "round $i: profile ${p[-1]} ms, hand ${h[-1]} ms, floor ${f[-1]} ms"
done
pm=$(printf '%s\n' "${p[@]}" | median); hm=$(printf '%s\n' "${h[@]}" | median); fm=$(printf '%s\n' "${f[@]}" | median)

say "stored profile: refresh after 1% of customers order again vs full rebuild"
q -At -c "SELECT profiles FROM profile.profiles_create('bench',
  'SELECT customer_id, ordered_at, amount, category, list_amount, channel, order_id, quantity FROM lines')" >/dev/null
r=() b=()
for ((i = 1; i <= repeat; i++)); do
    # 1% of the customers, a different 1% each round, order once more after the latest line
    q <<SQL
INSERT INTO lines
SELECT c.customer_id, 900000000 + $i * 1000000 + c.customer_id, t.latest + interval '1 hour',
       12.5, 'grocery', 14.0, 'web', 5
FROM (SELECT DISTINCT customer_id FROM lines WHERE customer_id % 100 = $i) c,
     (SELECT max(ordered_at) AS latest FROM lines) t;
ANALYZE lines;
SQL
    r+=("$(exec_ms "SELECT * FROM profile.profiles_refresh('bench')")")
    b+=("$(exec_ms "SELECT * FROM profile.profiles_refresh('bench', rebuild => true)")")
    echo "round $i: refresh ${r[-1]} ms, rebuild ${b[-1]} ms"
done
rm_=$(printf '%s\n' "${r[@]}" | median); bm=$(printf '%s\n' "${b[@]}" | median)
q -c "SELECT recomputed FROM profile.profiles_refresh('bench')" >/dev/null

say "summary ($size order lines, medians of $repeat rounds, one core)"
echo "hand-written SQL / profile.customer_profiles: $(ratio "$hm" "$pm")   (goal >= 2)"
echo "profile.customer_profiles / floor:            $(ratio "$pm" "$fm")   (goal <= 1.5)"
echo "full rebuild / refresh after 1% new orders:   $(ratio "$bm" "$rm_")   (goal >= 20)"
