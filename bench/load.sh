#!/usr/bin/env bash
# bench/load.sh: serving stored models under load (reliability suite, part 7).
#
# Installs what is missing (apt-get, as root), builds and installs the
# extension, starts a throw-away PostgreSQL 15 on 127.0.0.1 (stopped on
# exit), generates the retail data set (--customers, default 5000), fits a
# k-means model (k = 7, log scaling, as the demo) and a rule model (order
# lines, support 0.002, confidence 0.1), then runs pgbench -M prepared with
# --clients clients (default 16, -j 2) for --time seconds (default 60) on a
# mix of:
#   assign     SELECT profile.kmeans_assign('load_segments', features) of a
#              random customer (weight 5)
#   recommend  SELECT * FROM profile.recommend('load_cross_sell', basket, 5)
#              of a random order (weight 5)
#   retrain    one client in --clients also retrains both models under the
#              same names every --retrain seconds (default 10), so readers
#              see models change under them
# and prints TPS, the failed transactions (pgbench counts errors as
# failures only with --max-tries; here any error aborts a client, which the
# script reports), and the latency percentiles p50, p99 and p99.9 from the
# per-transaction log.  It measures; it exits 0 when the runs succeed and
# no client failed.
#
# Usage: bench/load.sh [--clients N] [--time S] [--customers N] [--retrain S]

# shellcheck source=scripts/lib.sh
source "$(dirname "$0")/../scripts/lib.sh"
cd "$PROFILE_ROOT" || exit 1

clients=16 duration=60 customers=5000 retrain=10
while [ $# -gt 0 ]; do
    case "$1" in
        --clients) clients=$2; shift 2 ;;
        --time) duration=$2; shift 2 ;;
        --customers) customers=$2; shift 2 ;;
        --retrain) retrain=$2; shift 2 ;;
        -h|--help) sed -n '2,24p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "unknown option $1 (see --help)" >&2; exit 2 ;;
    esac
done

install_deps
build_install ""
start_cluster
psql -X -q -d postgres -c "CREATE DATABASE profile_load"
db=profile_load
q() { psql -X -q -v ON_ERROR_STOP=1 -P pager=off -d "$db" "$@"; }

say "data and models"
psql -X -q -d "$db" -c "CREATE EXTENSION profile"
generate_retail "$db" retail --customers "$customers" --days 730 --products 500 --seed 42
q <<'SQL'
CREATE TABLE load_features AS
SELECT customer_id, ARRAY[(r).recency_days, (r).frequency, (r).monetary]::float8[] AS features
FROM (SELECT o.customer_id, profile.rfm_summary(o.ordered_at, l.quantity * l.unit_price, '2026-01-01', o.order_id) AS r
      FROM retail.orders o JOIN retail.order_lines l USING (order_id)
      WHERE o.customer_id IS NOT NULL GROUP BY o.customer_id) s
WHERE (r).monetary > 0;
CREATE TABLE load_baskets AS
SELECT row_number() OVER (ORDER BY order_id) AS n, array_agg(product_id) AS basket
FROM retail.order_lines WHERE quantity > 0 GROUP BY order_id;
CREATE UNIQUE INDEX ON load_features (customer_id);
CREATE UNIQUE INDEX ON load_baskets (n);
ANALYZE load_features;
ANALYZE load_baskets;
SELECT model, clusters, points FROM profile.kmeans_fit('load_segments', 'SELECT customer_id, features FROM load_features', 7, scaling => 'log');
SELECT model, baskets, rules FROM profile.rules_fit('load_cross_sell', 'SELECT order_id, product_id FROM retail.order_lines WHERE quantity > 0', 0.002, 0.1);
SQL
ncust=$(psql -X -At -d "$db" -c "SELECT max(customer_id) FROM load_features")
nbask=$(psql -X -At -d "$db" -c "SELECT count(*) FROM load_baskets")

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"; stop_cluster' EXIT
cat > "$tmp/assign.sql" <<SQL
\\set c random(1, $ncust)
SELECT profile.kmeans_assign('load_segments', features) FROM load_features WHERE customer_id = :c;
SQL
cat > "$tmp/recommend.sql" <<SQL
\\set b random(1, $nbask)
SELECT count(*) FROM profile.recommend('load_cross_sell', (SELECT basket FROM load_baskets WHERE n = :b), 5);
SQL

say "retraining every $retrain s in the background"
(
    end=$(( $(date +%s) + duration ))
    i=0
    while [ "$(date +%s)" -lt "$end" ]; do
        sleep "$retrain"
        i=$((i + 1))
        psql -X -q -At -d "$db" -c "SELECT clusters FROM profile.kmeans_fit('load_segments', 'SELECT customer_id, features FROM load_features', 7, scaling => 'log', seed => $i)" \
             -c "SELECT rules FROM profile.rules_fit('load_cross_sell', 'SELECT order_id, product_id FROM retail.order_lines WHERE quantity > 0', 0.002, 0.1 + 0.01 * ($i % 5))" \
             > "$tmp/retrain.$i.log" 2>&1 || echo "retrain $i failed" >> "$tmp/retrain.errors"
    done
    echo "$i" > "$tmp/retrains"
) &
retrainer=$!

say "pgbench: $clients clients, $duration s, assign and recommend"
pgbench_bin=$PG_BIN/pgbench
(cd "$tmp" && "$pgbench_bin" -n -M prepared -c "$clients" -j 2 -T "$duration" -l \
    -f assign.sql@5 -f recommend.sql@5 "$db") > "$tmp/pgbench.out" 2>&1
rc=$?
wait "$retrainer"
cat "$tmp/pgbench.out"

say "latency (ms) from the per-transaction log"
cat "$tmp"/pgbench_log.* | awk '{print $3 / 1000.0}' | sort -n | awk '
    { v[NR] = $1 }
    END {
        if (NR == 0) { print "no transactions logged"; exit }
        printf "transactions %d  p50 %.3f  p99 %.3f  p99.9 %.3f  max %.3f\n",
               NR, v[int(NR * 0.5) + 1], v[int(NR * 0.99) + 1], v[int(NR * 0.999) + 1], v[NR]
    }'
retrain_failures=0
[ -f "$tmp/retrain.errors" ] && retrain_failures=$(wc -l < "$tmp/retrain.errors")
echo "model retrains during the run: $(cat "$tmp/retrains" 2>/dev/null || echo 0), failed: $retrain_failures"
aborted=$(grep -c "aborted" "$tmp/pgbench.out" || true)
failed=$(sed -n 's/^number of failed transactions: \([0-9]*\).*/\1/p' "$tmp/pgbench.out")
echo "clients aborted: $aborted; failed transactions: ${failed:-0}"
[ "$rc" -eq 0 ] && [ "$aborted" -eq 0 ] && [ "${failed:-0}" -eq 0 ] && [ ! -s "$tmp/retrain.errors" ]
