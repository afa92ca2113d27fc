#!/usr/bin/env bash
# scripts/sqlsmith.sh: random queries from sqlsmith against the extension
# (reliability suite, part 8).  Not part of scripts/test.sh: it takes the
# --time given (default 600 s) plus about 30 s of setup and a minute of
# counting.
#
# Installs what is missing (apt-get, as root, plus Debian's sqlsmith),
# builds and installs the extension (-g, -DUSE_ASSERT_CHECKING: our
# assertions are checked), starts a throw-away PostgreSQL 15 on 127.0.0.1
# (track_functions = 'all'), creates a database with the extension, the
# retail data set (300 customers) and fixture tables (customer features,
# baskets, CLV summaries), four stored models (profile.rfm_fit,
# kmeans_fit, rules_fit, clv_fit), and a role smith that can only log in,
# read the fixtures and use schema profile (no write on the model tables;
# statement_timeout 5 s).  Then it runs, as smith,
#   timeout --time sqlsmith --target=... --exclude-catalog --verbose
#           --dump-all-queries --seed=--seed
# and checks the server log for crashes (a backend terminated by a signal,
# PANIC, TRAP: a failed assertion).  It prints the queries generated, the
# queries that mention a profile object (from the dump) and the calls of
# profile functions the server counted (pg_stat_user_functions), the
# queries that failed (sqlsmith's error ranking), and exits non-zero on a
# crash or when sqlsmith could not run at all.
#
# What it cannot catch: sqlsmith draws functions at random from the whole
# catalog (about 3,000 built-ins beside our ~70), so it reaches our
# functions with random, mostly ill-typed arguments in a small share of
# its queries; wrong results and memory errors that do not crash the
# server go unseen (scripts/valgrind.sh looks for those).
#
# Usage: scripts/sqlsmith.sh [--time S] [--seed N]
# (the logs and the dumped queries, gzipped, are kept in build/sqlsmith)

source "$(dirname "$0")/lib.sh"
cd "$PROFILE_ROOT"

duration=600 seed=42
while [ $# -gt 0 ]; do
    case "$1" in
        --time) duration=$2; shift 2 ;;
        --seed) seed=$2; shift 2 ;;
        -h|--help) sed -n '2,31p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "unknown option $1 (see --help)" >&2; exit 2 ;;
    esac
done

PROFILE_PACKAGES+=(sqlsmith)
install_deps
build_install "-g -DUSE_ASSERT_CHECKING"
start_cluster
db=profile_smith
psql -X -q -d postgres -c "ALTER SYSTEM SET track_functions = 'all'" \
    -c "ALTER SYSTEM SET log_error_verbosity = 'verbose'" \
    -c "ALTER SYSTEM SET log_line_prefix = '%m [%p] %e '" -c "SELECT pg_reload_conf()" >/dev/null
psql -X -q -d postgres -c "CREATE DATABASE $db"
q() { psql -X -q -v ON_ERROR_STOP=1 -P pager=off -d "$db" "$@"; }

say "fixtures and models"
q -c "CREATE EXTENSION profile"
generate_retail "$db" retail --customers 300 --days 730 --products 100 --seed 42
q <<'SQL'
CREATE TABLE public.sales AS
SELECT o.order_id, o.customer_id, o.ordered_at, l.product_id, l.quantity * l.unit_price AS amount
FROM retail.orders o JOIN retail.order_lines l USING (order_id)
WHERE o.customer_id IS NOT NULL;
CREATE TABLE public.features AS
SELECT customer_id, ARRAY[(r).recency_days, (r).frequency, (r).monetary]::float8[] AS features
FROM (SELECT customer_id, profile.rfm_summary(ordered_at, amount, '2026-01-01', order_id) AS r
      FROM public.sales GROUP BY customer_id) s
WHERE (r).monetary > 0;
CREATE TABLE public.baskets AS
SELECT order_id, array_agg(product_id) AS basket FROM public.sales GROUP BY order_id;
CREATE TABLE public.clv_input AS
SELECT customer_id, (s).frequency, (s).recency, (s).t, (s).monetary
FROM (SELECT customer_id, profile.clv_summary(ordered_at, amount, '2026-01-01', 'week') AS s
      FROM public.sales GROUP BY customer_id) c
WHERE s IS NOT NULL;
ANALYZE;
SELECT model, customers FROM profile.rfm_fit('smith_rfm', 'SELECT customer_id, ordered_at, amount, order_id FROM public.sales', as_of => '2026-01-01');
SELECT model, clusters FROM profile.kmeans_fit('smith_kmeans', 'SELECT customer_id, features FROM public.features', 4, scaling => 'log');
SELECT model, rules FROM profile.rules_fit('smith_rules', 'SELECT order_id, product_id FROM public.sales', 0.01, 0.1);
SELECT model, customers FROM profile.clv_fit('smith_clv', 'SELECT customer_id, frequency, recency, t, monetary FROM public.clv_input', time_unit => 'week');
CREATE ROLE smith LOGIN;
ALTER ROLE smith SET statement_timeout = '5s';
GRANT USAGE ON SCHEMA retail, profile TO smith;
GRANT SELECT ON ALL TABLES IN SCHEMA retail, public TO smith;
SQL
q -c "SELECT pg_stat_reset()" >/dev/null

out=$PROFILE_ROOT/build/sqlsmith
rm -rf "$out"; mkdir -p "$out"
say "sqlsmith as smith for $duration s (seed $seed)"
started=$(date +%s)
set +e
timeout --signal=INT --kill-after=30 "$duration" sqlsmith \
    --target="host=$PGHOST port=$PGPORT dbname=$db user=smith" \
    --exclude-catalog --verbose --dump-all-queries --seed="$seed" \
    2> "$out/sqlsmith.log" | gzip -1 > "$out/queries.sql.gz"
smith_rc=${PIPESTATUS[0]}
set -e
elapsed=$(( $(date +%s) - started ))
cp "$PROFILE_PGTMP/server.log" "$out/server.log"

say "summary"
"$PG_BIN/pg_isready" -h "$PGHOST" -p "$PGPORT" || true
# sqlsmith's --verbose progress: one character per query, '.' ok, 'e' error,
# 'S' syntax error, 't' timeout, 'C' lost connection; then its rankings
tail -25 "$out/sqlsmith.log"
# progress characters: . ok, e error, S syntax error, t timeout, C connection lost
progress=$(grep -E '^[.eSCt]+$' "$out/sqlsmith.log" | tr -d '\n' || true)
ok=$(printf '%s' "$progress" | tr -cd '.' | wc -c)
failed=$(printf '%s' "$progress" | tr -cd 'eS' | wc -c)
timeouts=$(printf '%s' "$progress" | tr -cd 't' | wc -c)
lost=$(printf '%s' "$progress" | tr -cd 'C' | wc -c)
queries=$(zcat "$out/queries.sql.gz" | grep -c ';$' || true)
ours=$(zcat "$out/queries.sql.gz" | awk 'BEGIN { RS = ";\n" } /profile\.[a-z_0-9]+\(/ { n++ } END { print n + 0 }')
calls=$(psql -X -At -d "$db" -c "SELECT count(*) || ' functions, ' || coalesce(sum(calls), 0) || ' calls' FROM pg_stat_user_functions WHERE schemaname = 'profile'" 2>/dev/null || echo "unknown")
crashes=$(grep -cE 'terminated by signal|was terminated|PANIC|TRAP:' "$out/server.log" || true)
grep -E 'terminated by signal|was terminated|PANIC|TRAP:' -A2 "$out/server.log" | head -40 || true
# errors our C code raised (log_error_verbosity = verbose names the file)
ourfiles=$(cd src && ls ./*.c | sed 's|^\./||' | paste -sd'|')
awk -v files="^($ourfiles):" '
    /ERROR:/ { msg = $0; sub(/.*ERROR: +/, "", msg); next }
    /LOCATION:/ { split($0, w, "LOCATION: +"); split(w[2], loc, ", "); if (msg != "" && loc[2] ~ files) print msg; msg = "" }
' "$out/server.log" > "$out/profile_errors.txt"
echo "errors raised by our code: $(wc -l < "$out/profile_errors.txt"), by SQLSTATE and message (top 15):"
sort "$out/profile_errors.txt" | uniq -c | sort -rn | head -15
internal=$(grep -c '^XX000' "$out/profile_errors.txt" || true)
zcat "$out/queries.sql.gz" | grep -oE 'profile\.[a-z_0-9]+\(' | sort -u | wc -l | sed 's/^/distinct profile functions in the queries: /'
echo "queries generated: $queries in $elapsed s: $ok ok, $failed errors, $timeouts timeouts, $lost lost connections"
echo "queries calling a profile function: $ours"
echo "profile functions called, as counted by the server (pg_stat_user_functions, fixtures excluded): $calls"
echo "internal errors (XX000) raised by our code: $internal"
echo "server crashes: $crashes (logs and queries in build/sqlsmith)"
[ "$crashes" -eq 0 ] && [ "$lost" -eq 0 ] && [ "$queries" -gt 0 ]
