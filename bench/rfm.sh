#!/usr/bin/env bash
# bench/rfm.sh: profile.rfm against the SQL a DBA writes by hand, and a floor.
#
# Installs what is missing (apt-get, as root), builds and installs the
# extension, starts a throw-away PostgreSQL 15 on 127.0.0.1 (stopped on
# exit), generates retail data and times three contenders on the same flat
# table sales(customer_id, order_id, ordered_at, amount):
#
#   profile  SELECT * FROM profile.rfm('SELECT ... FROM sales', as_of, 5, 'rf_grid')
#   hand     GROUP BY customer_id, ntile(5) windows and the rf_grid CASE:
#            the same columns, written by hand
#   floor    SELECT customer_id, max(ordered_at), count(*), sum(amount)
#            FROM sales GROUP BY customer_id: the least any RFM must do
#
# Times are the server's "Execution Time" of EXPLAIN (ANALYZE, TIMING OFF,
# SUMMARY ON, FORMAT JSON): no planning, no transfer to the client.  One
# warm-up run of each, then --repeat rounds interleaved (profile, hand,
# floor, profile, ...), medians reported; once at the server's parallel
# settings and once with max_parallel_workers_per_gather = 0.  Always exits
# 0 when the runs succeed: it measures, it does not test.
#
# Usage: bench/rfm.sh [--sizes 1M,10M] [--repeat N] [--no-uci]
#                     [--uci-file PATH] [--set NAME=VALUE]... [--db CONNINFO]
#   --sizes LIST     generated data sets, <n>M = about n million order lines
#                    (retailgen --customers n*8770); default 1M,10M
#   --repeat N       timed rounds per setting (default 5)
#   --no-uci         skip UCI Online Retail (run by default when the file exists)
#   --uci-file PATH  default ../shared/data/online_retail.csv.gz next to the repo
#   --set NAME=VALUE SET this in every timed session of every contender, e.g.
#                    --set work_mem=256MB --set jit=off (default: the server's)
#   --db CONNINFO    use this database instead of a throw-away cluster.  The
#                    extension must be installable there; the benchmark
#                    creates it if missing and touches nothing but the
#                    schemas bench_rfm_* (dropped and recreated, then dropped).

# shellcheck source=scripts/lib.sh
source "$(dirname "$0")/../scripts/lib.sh"
cd "$PROFILE_ROOT" || exit 1

sizes=1M,10M repeat=5 conninfo="" uci=1 settings=()
uci_file=$(cd "$PROFILE_ROOT/.." && pwd)/shared/data/online_retail.csv.gz
while [ $# -gt 0 ]; do
    case "$1" in
        --sizes) sizes=$2; shift 2 ;;
        --repeat) repeat=$2; shift 2 ;;
        --no-uci) uci=0; shift ;;
        --uci-file) uci_file=$2; shift 2 ;;
        --set) settings+=("$2"); shift 2 ;;
        --db) conninfo=$2; shift 2 ;;
        -h|--help) sed -n '2,34p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "unknown option $1 (see --help)" >&2; exit 2 ;;
    esac
done
if ! [[ $repeat =~ ^[1-9][0-9]*$ ]]; then
    echo "--repeat must be a positive integer" >&2; exit 2
fi
IFS=, read -r -a size_list <<< "$sizes"
for s in "${size_list[@]}"; do
    if ! [[ $s =~ ^[1-9][0-9]*M$ ]]; then
        echo "--sizes takes a comma-separated list like 1M,10M, not '$s'" >&2; exit 2
    fi
done
set_commands=()
for kv in ${settings[@]+"${settings[@]}"}; do
    if ! [[ $kv =~ ^([a-z_][a-z0-9_.]*)=([A-Za-z0-9_.+-]+)$ ]]; then
        echo "--set takes NAME=VALUE like work_mem=256MB, not '$kv'" >&2; exit 2
    fi
    set_commands+=(-c "SET ${BASH_REMATCH[1]} = '${BASH_REMATCH[2]}'")
done

install_deps
build_install ""
if [ -z "$conninfo" ]; then
    start_cluster
    psql -X -q -d postgres -c "CREATE DATABASE profile_bench"
    conninfo="dbname=profile_bench"
fi

export PGOPTIONS="-c client_min_messages=warning"
q() { psql -X -q -v ON_ERROR_STOP=1 -P pager=off -d "$conninfo" "$@"; }
qa() { psql -X -q -At -v ON_ERROR_STOP=1 -d "$conninfo" "$@"; }
now_ms() { echo $(( $(date +%s%N) / 1000000 )); }

q -c "CREATE EXTENSION IF NOT EXISTS profile"

# ---- the three contenders ----

# profile_sql SCHEMA AS_OF
profile_sql() {
    cat <<SQL
SELECT * FROM profile.rfm('SELECT customer_id, ordered_at, amount, order_id FROM $1.sales',
                          as_of => '$2', bins => 5, segment_map => 'rf_grid')
SQL
}

# hand_sql SCHEMA AS_OF: the same rows as profile.rfm, in plain SQL.  A
# customer needs a purchase (amount >= 0); returns lower monetary only;
# ntile() splits tied values across scores where profile.rfm does not.
hand_sql() {
    cat <<SQL
WITH c AS (
    SELECT customer_id,
           count(DISTINCT order_id) FILTER (WHERE amount >= 0) AS frequency,
           sum(amount)::float8 AS monetary,
           min(ordered_at) FILTER (WHERE amount >= 0) AS first_order_at,
           max(ordered_at) FILTER (WHERE amount >= 0) AS last_order_at
    FROM $1.sales
    WHERE customer_id IS NOT NULL
    GROUP BY customer_id
    HAVING count(*) FILTER (WHERE amount >= 0) > 0
), d AS (
    SELECT c.*,
           (timestamptz '$2')::date - last_order_at::date AS recency_days,
           (timestamptz '$2')::date - first_order_at::date AS tenure_days
    FROM c
), s AS (
    SELECT d.*,
           ntile(5) OVER (ORDER BY recency_days DESC) AS r_score,
           ntile(5) OVER (ORDER BY frequency) AS f_score,
           ntile(5) OVER (ORDER BY monetary) AS m_score
    FROM d
)
SELECT customer_id::text AS customer_id, recency_days, frequency, monetary,
       first_order_at, last_order_at, tenure_days,
       monetary / frequency AS avg_order_value,
       r_score, f_score, m_score,
       r_score::text || f_score::text || m_score::text AS rfm_cell,
       CASE
           WHEN r_score <= 2 AND f_score <= 2 THEN 'Hibernating'
           WHEN r_score <= 2 AND f_score <= 4 THEN 'At Risk'
           WHEN r_score <= 2 THEN 'Can''t Lose'
           WHEN r_score = 3 AND f_score <= 2 THEN 'About to Sleep'
           WHEN r_score = 3 AND f_score = 3 THEN 'Need Attention'
           WHEN r_score <= 4 AND f_score >= 4 THEN 'Loyal'
           WHEN r_score = 4 AND f_score = 1 THEN 'Promising'
           WHEN r_score = 5 AND f_score = 1 THEN 'New Customers'
           WHEN f_score <= 3 THEN 'Potential Loyalists'
           ELSE 'Champions'
       END AS segment
FROM s
SQL
}

# floor_sql SCHEMA: one pass, one hash or sort, nothing else
floor_sql() {
    cat <<SQL
SELECT customer_id, max(ordered_at), count(*), sum(amount)
FROM $1.sales
GROUP BY customer_id
SQL
}

contenders=(profile hand floor)
declare -A label=([profile]="profile.rfm" [hand]="hand-written SQL" [floor]="floor (GROUP BY)")

contender_sql() {
    case "$1" in
        profile) profile_sql "$2" "$3" ;;
        hand) hand_sql "$2" "$3" ;;
        floor) floor_sql "$2" ;;
    esac
}

# From EXPLAIN's JSON: execution ms, workers launched (all nodes), functions
# JIT-compiled (TIMING OFF hides JIT's own time; it is inside Execution Time)
PARSE_EXPLAIN='
import json, sys
doc = json.loads(sys.stdin.read())[0]
def workers(node):
    return node.get("Workers Launched", 0) + sum(workers(c) for c in node.get("Plans", []))
jit = doc.get("JIT", {}).get("Functions", 0)
print("%.3f %d %d" % (doc["Execution Time"], workers(doc["Plan"]), jit))
'

# time_one SERIAL(0|1) SQL: prints "ms workers jit_functions".  Every run is a new
# session; the DO block loads profile's library first, so that no contender
# pays for loading it (a long-lived session has it loaded).
time_one() {
    local serial=$1 sql=$2
    local sets=()
    [ "$serial" = 1 ] && sets+=(-c "SET max_parallel_workers_per_gather = 0")
    qa ${set_commands[@]+"${set_commands[@]}"} ${sets[@]+"${sets[@]}"} \
        -c "DO \$\$BEGIN PERFORM profile.rfm_segment('rf_grid', 1, 1, 1); END\$\$" \
        -c "EXPLAIN (ANALYZE, TIMING OFF, SUMMARY ON, FORMAT JSON) $sql" |
        python3 -c "$PARSE_EXPLAIN"
}

# stats VALUES...: "median min max"
stats() {
    printf '%s\n' "$@" | sort -g | awk '
        { v[NR] = $1 }
        END {
            m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
            printf "%.1f %.1f %.1f\n", m, v[1], v[NR]
        }'
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }'; }
goal() {    # goal VALUE OP LIMIT
    if awk -v v="$1" -v l="$3" -v op="$2" 'BEGIN { exit !(op == ">=" ? v >= l : v <= l) }'; then
        echo "goal met"
    else
        echo "goal missed"
    fi
}

results=$(mktemp /tmp/profile-bench-rfm.XXXXXX)
mismatches=()
trap 'rm -f "$results"; stop_cluster' EXIT

# The settings every timed session runs with (before the serial switch)
read -r default_workers work_mem_used jit_used < <(qa -F ' ' ${set_commands[@]+"${set_commands[@]}"} -c \
    "SELECT current_setting('max_parallel_workers_per_gather'), current_setting('work_mem'),
            CASE WHEN current_setting('jit')::bool AND pg_jit_available() THEN 'on' ELSE 'off' END")

# bench_data NAME SCHEMA AS_OF: check, then time the contenders in both modes
bench_data() {
    local name=$1 schema=$2 as_of=$3
    local lines customers
    lines=$(qa -c "SELECT count(*) FROM $schema.sales")

    say "$name: sanity check (as_of $as_of)"
    local check
    check=$(qa -F ' ' <<SQL
WITH p AS ($(profile_sql "$schema" "$as_of")),
     h AS ($(hand_sql "$schema" "$as_of")),
     f AS ($(floor_sql "$schema"))
SELECT (SELECT count(*) FROM p), (SELECT count(*) FROM h),
       (SELECT count(*) FROM f), (SELECT count(*) FROM f WHERE customer_id IS NULL),
       (SELECT sum(frequency) FROM p), (SELECT sum(frequency) FROM h),
       (SELECT sum(round(monetary::numeric, 2)) FROM p), (SELECT sum(round(monetary::numeric, 2)) FROM h),
       (SELECT sum(recency_days) FROM p), (SELECT sum(recency_days) FROM h),
       (SELECT round(100.0 * avg((p.r_score = h.r_score)::int), 1) || ' '
               || round(100.0 * avg((p.f_score = h.f_score)::int), 1) || ' '
               || round(100.0 * avg((p.m_score = h.m_score)::int), 1) || ' '
               || round(100.0 * avg((p.segment = h.segment)::int), 1)
        FROM p JOIN h USING (customer_id))
SQL
)
    local pc hc fc fnull pf hf pm hm pr hr ar af am aseg
    read -r pc hc fc fnull pf hf pm hm pr hr ar af am aseg <<< "$check"
    customers=$pc
    local ok=OK
    [ "$pc" = "$hc" ] || { ok=MISMATCH; mismatches+=("$name customers"); }
    printf '  customers: profile %s, hand-written %s  %s\n' "$pc" "$hc" "$ok"
    printf '  floor groups: %s = %s customers + %s NULL customer_id group (guests) + %s customers with returns only\n' \
        "$fc" "$pc" "$fnull" "$(( fc - pc - fnull ))"
    echo "  (the floor neither skips guests nor drops customers without a purchase)"
    ok=OK; [ "$pf" = "$hf" ] || { ok=MISMATCH; mismatches+=("$name frequency"); }
    printf '  sum(frequency): profile %s, hand-written %s  %s\n' "$pf" "$hf" "$ok"
    ok=OK; [ "$pm" = "$hm" ] || { ok=MISMATCH; mismatches+=("$name monetary"); }
    printf '  sum(monetary), to the cent: profile %s, hand-written %s  %s\n' "$pm" "$hm" "$ok"
    ok=OK; [ "$pr" = "$hr" ] || { ok=MISMATCH; mismatches+=("$name recency"); }
    printf '  sum(recency_days): profile %s, hand-written %s  %s\n' "$pr" "$hr" "$ok"
    printf '  same score as hand-written: r %s%%, f %s%%, m %s%%; same segment %s%%\n' \
        "$ar" "$af" "$am" "$aseg"
    echo "  (ntile() cuts tied values into different scores; profile.rfm gives ties one score)"

    local serial mode c r ms w j med_ms min_ms max_ms
    for serial in 0 1; do
        if [ "$serial" = 0 ]; then
            mode=parallel
            say "$name: timing at the server's parallel settings (max_parallel_workers_per_gather = $default_workers), $repeat rounds"
        else
            mode=serial
            say "$name: timing serial (max_parallel_workers_per_gather = 0), $repeat rounds"
        fi
        declare -A times=() workers=() jit=()
        printf '  warm-up:'
        for c in "${contenders[@]}"; do
            time_one "$serial" "$(contender_sql "$c" "$schema" "$as_of")" >/dev/null
            printf ' %s' "$c"
        done
        echo
        for r in $(seq 1 "$repeat"); do
            printf '  round %d:' "$r"
            for c in "${contenders[@]}"; do
                read -r ms w j < <(time_one "$serial" "$(contender_sql "$c" "$schema" "$as_of")")
                times[$c]="${times[$c]:-} $ms"
                workers[$c]=$w
                jit[$c]=$j
                printf ' %s %.0f ms' "$c" "$ms"
            done
            echo
        done

        local -A med=()
        echo
        echo "  $name, $mode ($lines lines, $customers customers)"
        printf '  %-18s %11s %10s %10s %8s %8s\n' contender "median ms" "min ms" "max ms" workers "JIT fns"
        for c in "${contenders[@]}"; do
            # shellcheck disable=SC2086
            read -r med_ms min_ms max_ms < <(stats ${times[$c]})
            med[$c]=$med_ms
            printf '  %-18s %11s %10s %10s %8s %8s\n' "${label[$c]}" "$med_ms" "$min_ms" "$max_ms" \
                "${workers[$c]}" "${jit[$c]}"
        done
        local hp pf
        hp=$(ratio "${med[hand]}" "${med[profile]}")
        pf=$(ratio "${med[profile]}" "${med[floor]}")
        if awk -v v="$hp" 'BEGIN { exit !(v >= 1) }'; then
            printf '  hand/profile  = %s: profile is %sx faster than hand-written SQL (goal >= 1.5: %s)\n' \
                "$hp" "$hp" "$(goal "$hp" '>=' 1.5)"
        else
            printf '  hand/profile  = %s: profile is %sx slower than hand-written SQL (goal >= 1.5: %s)\n' \
                "$hp" "$(ratio "${med[profile]}" "${med[hand]}")" "$(goal "$hp" '>=' 1.5)"
        fi
        printf '  profile/floor = %s: profile takes %sx the floor'"'"'s time (goal <= 1.3: %s)\n' \
            "$pf" "$pf" "$(goal "$pf" '<=' 1.3)"
        echo "  (workers, JIT fns: parallel workers launched and functions JIT-compiled in the last run's"
        echo "   outer plan; profile.rfm's inner query runs inside its Function Scan and is not shown)"
        printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$name" "$lines" "$customers" \
            "${med[profile]}" "${med[hand]}" "${med[floor]}" "$hp" "$pf" "$mode" >> "$results"
        unset times workers jit
    done
}

say "settings: max_parallel_workers_per_gather = $default_workers, work_mem = $work_mem_used, jit = $jit_used, repeat = $repeat${settings[0]+ (--set ${settings[*]})}"

for size in "${size_list[@]}"; do
    n=${size%M}
    customers=$(( n * 8770 ))
    schema="bench_rfm_${size,,}"
    say "$size: generating and loading retail data ($customers customers) into schema $schema"
    start=$(now_ms)
    q -c "DROP SCHEMA IF EXISTS $schema CASCADE"
    generate_retail "$conninfo" "$schema" --customers "$customers"
    echo "generated and loaded in $(( $(now_ms) - start )) ms"
    say "$size: building $schema.sales (orders JOIN order_lines, guests kept)"
    start=$(now_ms)
    # synchronous_commit on: under the throw-away cluster's
    # synchronous_commit = off, VACUUM right after the INSERT cannot set hint
    # bits (the commit is not flushed yet) and leaves no page all-visible,
    # so every scan would check every tuple's visibility
    q <<SQL
SET synchronous_commit = on;
CREATE TABLE $schema.sales (
    customer_id bigint,
    order_id bigint,
    ordered_at timestamptz,
    amount numeric(12,2)
);
INSERT INTO $schema.sales
SELECT o.customer_id, o.order_id, o.ordered_at, l.quantity * l.unit_price
FROM $schema.orders o JOIN $schema.order_lines l USING (order_id)
ORDER BY l.order_id, l.line_no;
VACUUM ANALYZE $schema.sales;
SQL
    echo "built in $(( $(now_ms) - start )) ms: $(qa -c "SELECT count(*) || ' lines, ' || count(*) FILTER (WHERE customer_id IS NULL) || ' guest lines, ' || pg_size_pretty(pg_table_size('$schema.sales')) FROM $schema.sales")"
    bench_data "$size" "$schema" "2026-01-01 00:00:00+00"
    q -c "DROP SCHEMA $schema CASCADE"
done

if [ "$uci" = 1 ]; then
    if [ -r "$uci_file" ]; then
        schema=bench_rfm_uci
        say "UCI Online Retail: loading $uci_file"
        start=$(now_ms)
        q <<SQL
DROP SCHEMA IF EXISTS $schema CASCADE;
CREATE SCHEMA $schema;
CREATE TABLE $schema.raw (
    invoice_no text, stock_code text, description text, quantity integer,
    invoice_date timestamp, unit_price numeric, customer_id bigint, country text
);
SQL
        zcat "$uci_file" | q -c "\\copy $schema.raw FROM pstdin CSV HEADER"
        q <<SQL
SET synchronous_commit = on;
CREATE TABLE $schema.sales (
    customer_id bigint,
    order_id text,
    ordered_at timestamptz,
    amount numeric
);
INSERT INTO $schema.sales
SELECT customer_id, invoice_no, invoice_date, quantity * unit_price FROM $schema.raw;
VACUUM ANALYZE $schema.sales;
SQL
        echo "loaded in $(( $(now_ms) - start )) ms: $(qa -c "SELECT count(*) || ' lines, ' || count(*) FILTER (WHERE customer_id IS NULL) || ' without a customer' FROM $schema.sales")"
        bench_data UCI "$schema" "2011-12-10 00:00:00"
        q -c "DROP SCHEMA $schema CASCADE"
    else
        say "UCI Online Retail: $uci_file not found, skipped"
    fi
fi

say "summary (median ms; ratios from the medians; goals: hand/profile >= 1.5, profile/floor <= 1.3)"
printf '%-8s %10s %10s %11s %9s %9s %13s %14s  %s\n' \
    data lines customers "profile ms" "hand ms" "floor ms" hand/profile profile/floor mode
while IFS=$'\t' read -r name lines customers pm hm fm hp pf mode; do
    printf '%-8s %10s %10s %11s %9s %9s %13s %14s  %s\n' \
        "$name" "$lines" "$customers" "$pm" "$hm" "$fm" "$hp" "$pf" "$mode"
done < "$results"
if [ ${#mismatches[@]} -eq 0 ]; then
    echo "sanity checks (customers, sum of frequency, monetary and recency): all OK"
else
    echo "sanity checks: MISMATCH in ${mismatches[*]}"
fi
exit 0
