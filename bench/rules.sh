#!/usr/bin/env bash
# bench/rules.sh: profile's frequent itemsets against hand-written SQL, Weka,
# Borgelt's fpgrowth and a floor; profile.recommend through pgbench.
#
# Installs what is missing (apt-get, as root; Debian's weka and a JDK for
# the Weka side), builds and installs the extension, starts a throw-away
# PostgreSQL 15 on 127.0.0.1 (stopped on exit) and loads each data set as
# t(tid bigint, item bigint), one row per item of a basket, with
# synchronous_commit = on, then VACUUM ANALYZE (all pages all-visible):
#
#   retail   FIMI retail.dat.gz (88,162 baskets) at 1%, 0.5%, 0.1%, 0.05%
#   T10      FIMI T10I4D100K.dat.gz (100,000 baskets) at 1%, 0.1%
#   gen      about --lines order lines from build/retailgen (retailgen
#            --customers lines * 8770 / 1M, as bench/rfm.sh), (order_id,
#            product_id) of all order_lines, at 1% and 0.1%
#
# (a FIMI set whose file is absent from --data is skipped with a message).
# For each data set and support s, with thr = the smallest count c with
# c / baskets >= s (profile's own rule), side by side:
#
#   FP-growth  SELECT count(*) FROM profile.frequent_itemsets('SELECT tid,
#              item FROM t', s): all lengths up to the default max_len 10
#   Apriori    the same with algorithm => 'apriori'
#   hand pre   the frequent pairs as a DBA writes them: frequent items first
#              (GROUP BY item HAVING count(*) >= thr, a CTE), then the
#              self-join of their rows ON a.tid = b.tid AND a.item < b.item,
#              GROUP BY a.item, b.item HAVING count(*) >= thr
#   hand plain the same self-join on all of t, without the prefilter
#              The baseline "hand-written SQL" is the faster of the two
#              (medians); the summary says which.  Pairs only.
#   floors     SELECT count(*) FROM t (the read) and SELECT item, count(*)
#              FROM t GROUP BY item (the read and the item counts, FP-growth's
#              first pass), and profile's own read: frequent_itemsets at
#              min_support 1, which reads and counts and finds (almost)
#              nothing to mine
#   Weka       Debian's weka 3.6 on a sparse ARFF file (one binary
#              attribute {0,1} per item) written from the same baskets:
#              java -cp weka.jar weka.associations.FPGrowth -t FILE -S
#              -M thr -I 10 -C 1.1 -N 1 (-S: all itemsets at the lower
#              support bound -M, an absolute count, no iterative support
#              search; -I 10 as profile's max_len; -C 1.1: no rule passes,
#              so nothing is printed, though Weka still enumerates the rule
#              candidates of every itemset), timed around the JVM; its
#              "Elapsed time" (buildAssociations) is reported too.  Also
#              bench/rules_weka.java: the same Weka calls up to the
#              itemsets only (its ARFF load and mining times, its itemset
#              count, max size and sum of counts: the check that Weka mines
#              the same itemsets)
#   Borgelt    with --borgelt PATH only: Christian Borgelt's fpgrowth (the
#              code behind R arules and PyFIM), PATH -s-thr -n10 FILE.dat
#              /dev/null, on the same .dat file, timed around the process,
#              with its own times; its read floor is the same run at -s100
#              (no item is in every basket: it reads, counts and stops)
#
# Server-side times are the "Execution Time" of EXPLAIN (ANALYZE, TIMING
# OFF, SUMMARY ON, FORMAT JSON), max_parallel_workers_per_gather = 0, each
# in a new session that has loaded the library.  First a sanity pass (it is
# also the warm-up): FP-growth and Apriori must find the same itemsets
# (count, sum of counts, and an md5 of all (items, count)), the hand-written
# SQL the same number of pairs as FP-growth's itemsets of size 2, Weka and
# Borgelt the same number of itemsets and sum of counts (OK, or a loud
# MISMATCH line).  Then --repeat rounds interleaved (FP-growth, Apriori,
# hand pre, hand plain, floors, Weka, Borgelt; next round), medians
# reported, with the ratios and their goals:
#   hand-written SQL (pairs) / FP-growth (all lengths) >= 20 at 0.1%
#   Weka (JVM run) / FP-growth > 1 at every support
#   profile mining / Borgelt mining <= 2, where mining excludes the read:
#   FP-growth - profile's own read (min_support 1) against Borgelt's wall
#   time - its -s100 run (also shown: FP-growth - the GROUP BY floor, and
#   Borgelt's own reported times without "reading")
#
# Then profile.recommend with a model of about 100,000 rules, fitted with
# profile.rules_fit on retail (or the generated lines when retail is
# absent), through pgbench -M prepared -n, 1 client (-j 1) and 8 clients
# (-j 2), --pgbench-time seconds each: a random basket of t per call
# (\set tid random(1, baskets), the basket as (SELECT array_agg(item) FROM
# t WHERE tid = :tid), with an index on t(tid)), a constant basket (the
# three most frequent items), and the floors SELECT 1 and the basket
# subquery alone (the four at 1 client, then the four at 8).  calls/s per core = TPS / min(clients, cores); goal >=
# 5,000.  pgbench runs on the same cores.  Always exits 0 when the runs
# succeed: it measures, it does not test.
#
# Usage: bench/rules.sh [--data DIR] [--repeat N] [--borgelt PATH]
#                       [--skip-weka] [--skip-recommend] [--quick]
#                       [--lines N] [--pgbench-time S] [--set NAME=VALUE]...
#                       [--db CONNINFO]
#   --data DIR       where retail.dat.gz and T10I4D100K.dat.gz are
#                    (default ../shared/data next to the repository)
#   --repeat N       timed rounds (default 3)
#   --borgelt PATH   an fpgrowth binary built from Borgelt's sources (never
#                    built or fetched by this script); timed when given
#   --skip-weka      no Weka (and no weka/JDK packages installed)
#   --skip-recommend no profile.recommend / pgbench part
#   --quick          for development: retail at 1% and 0.1%, T10 and the
#                    generated lines at 1%, pgbench 5 s per run
#   --lines N        generated order lines, like 1M or 200k (default 1M)
#   --pgbench-time S seconds per pgbench run (default 15)
#   --set NAME=VALUE SET this in every timed session, e.g. --set jit=off
#   --db CONNINFO    use this database instead of a throw-away cluster.  The
#                    extension must be installable there; the benchmark
#                    creates it if missing and touches nothing but the
#                    schemas bench_rules_* (dropped and recreated, then
#                    dropped) and the model bench_rec (dropped at the end).

# shellcheck source=scripts/lib.sh
source "$(dirname "$0")/../scripts/lib.sh"
cd "$PROFILE_ROOT" || exit 1

data_dir=$(cd "$PROFILE_ROOT/.." && pwd)/shared/data
repeat=3 conninfo="" borgelt="" weka=1 recommend=1 quick=0 lines=1M pg_time="" settings=()
max_len=10
while [ $# -gt 0 ]; do
    case "$1" in
        --data) data_dir=$2; shift 2 ;;
        --repeat) repeat=$2; shift 2 ;;
        --borgelt) borgelt=$2; shift 2 ;;
        --skip-weka) weka=0; shift ;;
        --skip-recommend) recommend=0; shift ;;
        --quick) quick=1; shift ;;
        --lines) lines=$2; shift 2 ;;
        --pgbench-time) pg_time=$2; shift 2 ;;
        --set) settings+=("$2"); shift 2 ;;
        --db) conninfo=$2; shift 2 ;;
        -h|--help) sed -n '2,103p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "unknown option $1 (see --help)" >&2; exit 2 ;;
    esac
done
if ! [[ $repeat =~ ^[1-9][0-9]*$ ]]; then
    echo "--repeat must be a positive integer" >&2; exit 2
fi
[ -n "$pg_time" ] || pg_time=$([ "$quick" = 1 ] && echo 5 || echo 15)
if ! [[ $pg_time =~ ^[1-9][0-9]*$ ]]; then
    echo "--pgbench-time must be a positive integer (seconds)" >&2; exit 2
fi
if [[ $lines =~ ^([1-9][0-9]*)([kKmM]?)$ ]]; then
    case "${BASH_REMATCH[2]}" in
        k|K) n_lines=$(( BASH_REMATCH[1] * 1000 )) ;;
        m|M) n_lines=$(( BASH_REMATCH[1] * 1000000 )) ;;
        *) n_lines=${BASH_REMATCH[1]} ;;
    esac
else
    echo "--lines takes a count like 1M, 200k or 50000, not '$lines'" >&2; exit 2
fi
gen_customers=$(( n_lines * 8770 / 1000000 ))
if [ "$gen_customers" -lt 10 ]; then
    echo "--lines must be at least 2000" >&2; exit 2
fi
if [ -n "$borgelt" ]; then
    if ! [ -x "$borgelt" ] || [ -d "$borgelt" ]; then
        echo "--borgelt: $borgelt is not an executable file" >&2; exit 2
    fi
    borgelt=$(cd "$(dirname "$borgelt")" && pwd)/$(basename "$borgelt")
fi
set_commands=() pg_options=""
for kv in ${settings[@]+"${settings[@]}"}; do
    if ! [[ $kv =~ ^([a-z_][a-z0-9_.]*)=([A-Za-z0-9_.+-]+)$ ]]; then
        echo "--set takes NAME=VALUE like jit=off, not '$kv'" >&2; exit 2
    fi
    set_commands+=(-c "SET ${BASH_REMATCH[1]} = '${BASH_REMATCH[2]}'")
    pg_options+=" -c ${BASH_REMATCH[1]}=${BASH_REMATCH[2]}"
done

install_deps
# The Weka side: Debian's weka, a JDK to compile bench/rules_weka.java;
# Python (for the ARFF file and EXPLAIN's JSON) is Debian's python3
PY=/usr/bin/python3
extra=(python3)
[ "$weka" = 1 ] && extra+=(weka default-jdk-headless)
missing=()
for p in "${extra[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    if [ "$(id -u)" -ne 0 ]; then
        echo "missing Debian packages: ${missing[*]}; run as root, or install them first" >&2
        exit 1
    fi
    say "installing ${missing[*]}"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
WEKA_JAR=/usr/share/java/weka.jar
build_install ""

workdir=$(mktemp -d /tmp/profile-bench-rules.XXXXXX)
chmod 755 "$workdir"
results=$workdir/results
rec_results=$workdir/rec_results
: > "$results"
: > "$rec_results"
mismatches=()
trap 'rm -rf "$workdir"; stop_cluster' EXIT
if [ "$weka" = 1 ]; then
    javac -nowarn -cp "$WEKA_JAR" -d "$workdir" bench/rules_weka.java
fi

if [ -z "$conninfo" ]; then
    start_cluster
    trap 'rm -rf "$workdir"; stop_cluster' EXIT
    psql -X -q -d postgres -c "CREATE DATABASE profile_bench"
    conninfo="dbname=profile_bench"
fi

export PGOPTIONS="-c client_min_messages=warning"
q() { psql -X -q -v ON_ERROR_STOP=1 -P pager=off -d "$conninfo" "$@"; }
qa() { psql -X -q -At -v ON_ERROR_STOP=1 -d "$conninfo" "$@"; }
now_ns() { date +%s%N; }
now_ms() { echo $(( $(now_ns) / 1000000 )); }

q -c "CREATE EXTENSION IF NOT EXISTS profile"
has_fn() {
    qa -c "SELECT count(*) > 0 FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
           WHERE n.nspname = 'profile' AND p.proname = '$1'"
}
has_fi=$(has_fn frequent_itemsets)
has_fit=$(has_fn rules_fit)
has_rec=$(has_fn recommend)
[ "$has_fi" = t ] || say "profile.frequent_itemsets does not exist here: its contenders are skipped"

# ---- the contenders ----

fp_sql() {  # fp_sql SCHEMA S [ALGORITHM]
    # shellcheck disable=SC2016
    echo "SELECT count(*) FROM profile.frequent_itemsets('SELECT tid, item FROM $1.t', $2${3:+, algorithm => '$3'})"
}
# The frequent pairs as a DBA writes them; count(*) counts baskets because
# t has one row per (tid, item): these data sets repeat no item in a basket
hand_plain_sql() {  # SCHEMA THR
    cat <<SQL
SELECT count(*) FROM (
    SELECT a.item, b.item, count(*)
    FROM $1.t a JOIN $1.t b ON a.tid = b.tid AND a.item < b.item
    GROUP BY a.item, b.item
    HAVING count(*) >= $2) p
SQL
}
hand_pre_sql() {  # SCHEMA THR
    cat <<SQL
WITH f AS (SELECT item FROM $1.t GROUP BY item HAVING count(*) >= $2),
     tf AS (SELECT tid, item FROM $1.t WHERE item IN (SELECT item FROM f))
SELECT count(*) FROM (
    SELECT a.item, b.item, count(*)
    FROM tf a JOIN tf b ON a.tid = b.tid AND a.item < b.item
    GROUP BY a.item, b.item
    HAVING count(*) >= $2) p
SQL
}
count_sql() { echo "SELECT count(*) FROM $1.t"; }
group_sql() { echo "SELECT count(*) FROM (SELECT item, count(*) FROM $1.t GROUP BY item) g"; }

PARSE_EXPLAIN='
import json, sys
print("%.3f" % json.loads(sys.stdin.read())[0]["Execution Time"])
'

# time_one SQL: the server's execution ms, serial, in a new session that has
# loaded profile's library (as any session that has used it has)
time_one() {
    qa ${set_commands[@]+"${set_commands[@]}"} \
        -c "SET max_parallel_workers_per_gather = 0" \
        -c "DO \$\$BEGIN PERFORM profile.rfm_segment('rf_grid', 1, 1, 1); END\$\$" \
        -c "EXPLAIN (ANALYZE, TIMING OFF, SUMMARY ON, FORMAT JSON) $1" |
        "$PY" -c "$PARSE_EXPLAIN"
}

# weka_cli ARFF THR: "wall_ms elapsed_ms" of the stock command line run
weka_cli() {
    local t0 t1 out elapsed
    t0=$(now_ns)
    out=$(java -cp "$WEKA_JAR" weka.associations.FPGrowth -t "$1" -S -M "$2" -I "$max_len" -C 1.1 -N 1 2>&1)
    t1=$(now_ns)
    elapsed=$(sed -n 's/^Elapsed time: \([0-9.]*\)s.*/\1/p' <<< "$out")
    if [ -z "$elapsed" ]; then
        echo "Weka failed on $1:" >&2
        echo "$out" >&2
        exit 1
    fi
    awk -v a="$t0" -v b="$t1" -v e="$elapsed" 'BEGIN { printf "%.3f %.3f\n", (b - a) / 1e6, e * 1000 }'
}

# weka_items ARFF THR: "itemsets max_size sum transactions load_ms mine_ms wall_ms"
weka_items() {
    local t0 t1 out
    t0=$(now_ns)
    out=$(java -cp "$WEKA_JAR:$workdir" RulesWeka "$1" "$2" "$max_len")
    t1=$(now_ns)
    echo "$out $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", (b - a) / 1e6 }')"
}

# borgelt_run DAT SUPPORT_OPTION OUT: "wall_ms read_ms mine_ms sets" (its
# own times are in 10 ms steps; "mine" is every step after "reading")
borgelt_run() {
    local t0 t1 err rc=0
    t0=$(now_ns)
    err=$("$borgelt" "$2" -n"$max_len" "${@:4}" "$1" "$3" 2>&1 >/dev/null) || rc=$?
    t1=$(now_ns)
    # exit status 15: no frequent item (the floor run)
    if [ "$rc" -ne 0 ] && ! grep -q 'no (frequent) items' <<< "$err"; then
        echo "Borgelt's fpgrowth failed ($rc) on $1:" >&2
        echo "$err" >&2
        exit 1
    fi
    awk -v a="$t0" -v b="$t1" '
        /done \[[0-9.]+s\]/ {
            match($0, /done \[[0-9.]+s\]/); t = substr($0, RSTART + 6, RLENGTH - 8) * 1000
            if ($1 == "reading") r += t; else m += t
        }
        /set\(s\)\]/ { match($0, /\[[0-9]+ set/); n = substr($0, RSTART + 1, RLENGTH - 5) }
        END { printf "%.3f %.1f %.1f %d\n", (b - a) / 1e6, r, m, n }' <<< "$err"
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
diff_ms() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", a - b }'; }
goal() {    # goal VALUE OP LIMIT
    if awk -v v="$1" -v l="$3" -v op="$2" 'BEGIN { exit !(op == ">=" ? v >= l : op == ">" ? v > l : v <= l) }'; then
        echo "goal met"
    else
        echo "goal missed"
    fi
}
pct() { awk -v s="$1" 'BEGIN { printf "%g%%", s * 100 }'; }

# ---- data ----

# load_dat NAME FILE.gz: t(tid, item) from a FIMI file (tid = line number)
load_dat() {
    local schema=bench_rules_${1,,}
    q <<SQL
DROP SCHEMA IF EXISTS $schema CASCADE;
CREATE SCHEMA $schema;
CREATE TABLE $schema.t (tid bigint, item bigint);
SQL
    # synchronous_commit on: under the throw-away cluster's
    # synchronous_commit = off, VACUUM right after the load cannot set hint
    # bits (the commit is not flushed yet) and leaves no page all-visible
    zcat "$2" | awk '{ for (i = 1; i <= NF; i++) print NR "\t" $i }' |
        PGOPTIONS="$PGOPTIONS -c synchronous_commit=on" q -c "\\copy $schema.t FROM pstdin"
    q -c "SET synchronous_commit = on" -c "VACUUM ANALYZE $schema.t"
    zcat "$2" > "$workdir/$1.dat"
}

# load_gen NAME: t(order_id, product_id) of retailgen's order_lines
load_gen() {
    local schema=bench_rules_${1,,}
    q -c "DROP SCHEMA IF EXISTS $schema CASCADE"
    generate_retail "$conninfo" "$schema" --customers "$gen_customers"
    q <<SQL
SET synchronous_commit = on;
CREATE TABLE $schema.t (tid bigint, item bigint);
INSERT INTO $schema.t SELECT order_id, product_id FROM $schema.order_lines ORDER BY order_id, line_no;
DROP TABLE $schema.order_lines, $schema.orders, $schema.customers, $schema.products;
SQL
    q -c "SET synchronous_commit = on" -c "VACUUM ANALYZE $schema.t"
    qa -c "COPY (SELECT string_agg(item::text, ' ' ORDER BY item) FROM $schema.t
                 GROUP BY tid ORDER BY tid) TO STDOUT" > "$workdir/$1.dat"
}

# write_arff NAME: the baskets of NAME.dat as a sparse ARFF file, one
# binary attribute {0,1} per item (in item order), "{index 1, ...}" per basket
write_arff() {
    "$PY" - "$workdir/$1.dat" "$workdir/$1.arff" <<'PY'
import sys
src, dst = sys.argv[1], sys.argv[2]
baskets, items = [], set()
with open(src) as f:
    for line in f:
        b = sorted(set(int(x) for x in line.split()))
        baskets.append(b)
        items.update(b)
order = sorted(items)
index = {item: i for i, item in enumerate(order)}
with open(dst, "w") as out:
    out.write("@relation baskets\n\n")
    for item in order:
        out.write("@attribute i%d {0,1}\n" % item)
    out.write("\n@data\n")
    for b in baskets:
        out.write("{" + ",".join("%d 1" % index[x] for x in b) + "}\n")
PY
}

# ---- one data set at one support ----

# bench_support NAME S BASKETS
bench_support() {
    local name=$1 s=$2 n=$3
    local schema=bench_rules_${name,,} label thr
    label="$name $(pct "$s")"
    # profile's rule (src/itemsets.c): the smallest count c with c / n >= s
    # as doubles
    thr=$(qa -c "SELECT c FROM generate_series(greatest(floor($s::float8 * $n)::bigint - 2, 1),
                                             floor($s::float8 * $n)::bigint + 2) c
                 WHERE c::float8 / $n >= $s::float8 ORDER BY c LIMIT 1")

    say "$label (at least $thr of $n baskets): sanity check, also the warm-up"
    local fp_n="-" fp_max="-" fp_sum="-" fp_pairs="-" fp_min="-" fp_md5="-" ok
    local ap_n="-" ap_sum="-" ap_md5="-"
    local check_sql="SELECT count(*), coalesce(max(size), 0), coalesce(sum(count), 0),
                            count(*) FILTER (WHERE size = 2), coalesce(min(count), 0),
                            md5(coalesce(string_agg((SELECT string_agg(x, ' ' ORDER BY x) FROM unnest(items) x)
                                                    || ':' || count, ',' ORDER BY 1), ''))"
    if [ "$has_fi" = t ]; then
        read -r fp_n fp_max fp_sum fp_pairs fp_min fp_md5 < <(qa -F ' ' -c "$check_sql
            FROM profile.frequent_itemsets('SELECT tid, item FROM $schema.t', $s)")
        read -r ap_n _ ap_sum _ _ ap_md5 < <(qa -F ' ' -c "$check_sql
            FROM profile.frequent_itemsets('SELECT tid, item FROM $schema.t', $s, algorithm => 'apriori')")
        ok=OK
        if [ "$fp_n" != "$ap_n" ] || [ "$fp_sum" != "$ap_sum" ] || [ "$fp_md5" != "$ap_md5" ]; then
            ok=MISMATCH; mismatches+=("$label FP-growth/Apriori")
        fi
        printf '  itemsets: FP-growth %s (max size %s, sum of counts %s), Apriori %s (sum of counts %s); same (items, count): %s  %s\n' \
            "$fp_n" "$fp_max" "$fp_sum" "$ap_n" "$ap_sum" "$([ "$fp_md5" = "$ap_md5" ] && echo yes || echo no)" "$ok"
        [ "$ok" = OK ] || echo "  !!! MISMATCH: FP-growth and Apriori differ on $label !!!"
        if [ "$fp_n" -gt 0 ] && [ "$fp_min" -lt "$thr" ]; then
            mismatches+=("$label threshold")
            echo "  !!! MISMATCH: FP-growth returned an itemset with count $fp_min < $thr !!!"
        fi
        [ "$fp_max" -ge "$max_len" ] && echo "  (itemsets reach max_len $max_len: longer ones are cut off, in every contender alike)"
    fi
    local hp hn
    hp=$(qa -c "$(hand_pre_sql "$schema" "$thr")")
    hn=$(qa -c "$(hand_plain_sql "$schema" "$thr")")
    ok=OK
    if [ "$hp" != "$hn" ] || { [ "$has_fi" = t ] && [ "$hp" != "$fp_pairs" ]; }; then
        ok=MISMATCH; mismatches+=("$label pairs")
    fi
    printf '  frequent pairs: FP-growth %s; hand-written SQL %s (prefiltered), %s (plain)  %s\n' "$fp_pairs" "$hp" "$hn" "$ok"
    [ "$ok" = OK ] || echo "  !!! MISMATCH: the pairs differ on $label !!!"

    local do_weka=$weka wk_n="-" wk_max wk_sum wk_tx
    if [ "$do_weka" = 1 ] && [ "$thr" -lt 2 ]; then
        echo "  Weka: skipped (-M $thr would mean a fraction)"; do_weka=0
    fi
    if [ "$do_weka" = 1 ]; then
        read -r wk_n wk_max wk_sum wk_tx _ < <(weka_items "$workdir/$name.arff" "$thr")
        weka_cli "$workdir/$name.arff" "$thr" >/dev/null
        ok=OK
        if [ "$wk_tx" != "$n" ] || { [ "$has_fi" = t ] && { [ "$wk_n" != "$fp_n" ] || [ "$wk_sum" != "$fp_sum" ]; }; }; then
            ok=MISMATCH; mismatches+=("$label Weka")
        fi
        printf '  Weka FPGrowth (-S -M %s -I %s): %s itemsets (max size %s, sum of counts %s) in %s transactions  %s\n' \
            "$thr" "$max_len" "$wk_n" "$wk_max" "$wk_sum" "$wk_tx" "$ok"
        [ "$ok" = OK ] || echo "  !!! MISMATCH: Weka's itemsets differ from FP-growth's on $label !!!"
    fi
    local bg_n="-" bg_sum bg_max
    if [ -n "$borgelt" ]; then
        read -r bg_n bg_sum bg_max < <("$borgelt" -s-"$thr" -n"$max_len" -v' %a' "$workdir/$name.dat" - 2>/dev/null |
            awk '{ n++; s += $NF; if (NF - 1 > m) m = NF - 1 } END { printf "%d %d %d\n", n, s, m }')
        borgelt_run "$workdir/$name.dat" -s100 /dev/null >/dev/null
        ok=OK
        if [ "$has_fi" = t ] && { [ "$bg_n" != "$fp_n" ] || [ "$bg_sum" != "$fp_sum" ]; }; then
            ok=MISMATCH; mismatches+=("$label Borgelt")
        fi
        printf '  Borgelt fpgrowth (-s-%s -n%s): %s itemsets (max size %s, sum of counts %s)  %s\n' \
            "$thr" "$max_len" "$bg_n" "$bg_max" "$bg_sum" "$ok"
        [ "$ok" = OK ] || echo "  !!! MISMATCH: Borgelt's itemsets differ from FP-growth's on $label !!!"
    fi
    # warm-up of the EXPLAIN contenders not run above
    time_one "$(count_sql "$schema")" >/dev/null
    time_one "$(group_sql "$schema")" >/dev/null
    [ "$has_fi" = t ] && time_one "$(fp_sql "$schema" 1)" >/dev/null

    local contenders=()
    [ "$has_fi" = t ] && contenders+=(fp ap)
    contenders+=(hpre hplain count group)
    [ "$has_fi" = t ] && contenders+=(read1)
    [ "$do_weka" = 1 ] && contenders+=(weka wekaitems)
    [ -n "$borgelt" ] && contenders+=(borgelt borgelt0)
    declare -A times=()
    local r c ms a b
    say "$label: $repeat rounds (serial; ms)"
    for r in $(seq 1 "$repeat"); do
        printf '  round %d:' "$r"
        for c in "${contenders[@]}"; do
            case "$c" in
                fp) ms=$(time_one "$(fp_sql "$schema" "$s")") ;;
                ap) ms=$(time_one "$(fp_sql "$schema" "$s" apriori)") ;;
                hpre) ms=$(time_one "$(hand_pre_sql "$schema" "$thr")") ;;
                hplain) ms=$(time_one "$(hand_plain_sql "$schema" "$thr")") ;;
                count) ms=$(time_one "$(count_sql "$schema")") ;;
                group) ms=$(time_one "$(group_sql "$schema")") ;;
                read1) ms=$(time_one "$(fp_sql "$schema" 1)") ;;
                weka)
                    read -r ms a < <(weka_cli "$workdir/$name.arff" "$thr")
                    times[wekaelapsed]="${times[wekaelapsed]:-} $a" ;;
                wekaitems)
                    read -r _ _ _ _ a b ms < <(weka_items "$workdir/$name.arff" "$thr")
                    times[wekaload]="${times[wekaload]:-} $a"
                    times[wekamine]="${times[wekamine]:-} $b" ;;
                borgelt)
                    read -r ms a b _ < <(borgelt_run "$workdir/$name.dat" -s-"$thr" /dev/null)
                    times[borgeltread]="${times[borgeltread]:-} $a"
                    times[borgeltmine]="${times[borgeltmine]:-} $b" ;;
                borgelt0)
                    read -r ms _ _ _ < <(borgelt_run "$workdir/$name.dat" -s100 /dev/null) ;;
            esac
            times[$c]="${times[$c]:-} $ms"
            printf ' %s %.0f' "$c" "$ms"
        done
        echo
    done

    declare -A label_of=(
        [fp]="profile FP-growth (all lengths)"
        [ap]="profile Apriori (all lengths)"
        [hpre]="hand-written SQL pairs, prefiltered"
        [hplain]="hand-written SQL pairs, plain"
        [count]="floor: SELECT count(*) FROM t"
        [group]="floor: GROUP BY item (read + count)"
        [read1]="profile read: min_support 1"
        [weka]="Weka FPGrowth, JVM run"
        [wekaelapsed]="Weka FPGrowth, its Elapsed time"
        [wekaitems]="Weka itemsets only, JVM run"
        [wekaload]="Weka itemsets only: ARFF load"
        [wekamine]="Weka itemsets only: mining"
        [borgelt]="Borgelt fpgrowth, process"
        [borgeltread]="Borgelt: its reading time"
        [borgeltmine]="Borgelt: its other times"
        [borgelt0]="Borgelt floor: -s100, process"
    )
    local order=()
    [ "$has_fi" = t ] && order+=(fp ap)
    order+=(hpre hplain count group)
    [ "$has_fi" = t ] && order+=(read1)
    [ "$do_weka" = 1 ] && order+=(weka wekaelapsed wekaitems wekaload wekamine)
    [ -n "$borgelt" ] && order+=(borgelt borgeltread borgeltmine borgelt0)
    declare -A med=()
    local med_ms min_ms max_ms
    echo
    echo "  $label: at least $thr of $n baskets (median of $repeat rounds)"
    printf '  %-38s %11s %10s %10s\n' contender "median ms" "min ms" "max ms"
    for c in "${order[@]}"; do
        # shellcheck disable=SC2086
        read -r med_ms min_ms max_ms < <(stats ${times[$c]})
        med[$c]=$med_ms
        printf '  %-38s %11s %10s %10s\n' "${label_of[$c]}" "$med_ms" "$min_ms" "$max_ms"
    done

    # the hand-written baseline: the faster form
    local hand hand_form
    if awk -v a="${med[hpre]}" -v b="${med[hplain]}" 'BEGIN { exit !(a <= b) }'; then
        hand=${med[hpre]} hand_form=prefiltered
    else
        hand=${med[hplain]} hand_form=plain
    fi
    local r_hand="-" r_ap="-" r_weka="-" r_wekae="-" mine="-" mine_g="-" r_floor="-" bmine="-" r_b="-" r_b2="-"
    local is_goal_support
    is_goal_support=$(awk -v s="$s" 'BEGIN { print (s == 0.001) ? 1 : 0 }')
    if [ "$has_fi" = t ]; then
        r_hand=$(ratio "$hand" "${med[fp]}")
        r_ap=$(ratio "${med[ap]}" "${med[fp]}")
        r_floor=$(ratio "${med[fp]}" "${med[group]}")
        mine=$(diff_ms "${med[fp]}" "${med[read1]}")
        mine_g=$(diff_ms "${med[fp]}" "${med[group]}")
        if [ "$is_goal_support" = 1 ]; then
            printf '  hand-written SQL (%s, pairs only) / FP-growth (all lengths) = %s (goal >= 20 at 0.1%%: %s)\n' \
                "$hand_form" "$r_hand" "$(goal "$r_hand" '>=' 20)"
        else
            printf '  hand-written SQL (%s, pairs only) / FP-growth (all lengths) = %s (the goal >= 20 is at 0.1%%)\n' \
                "$hand_form" "$r_hand"
        fi
        printf '  Apriori / FP-growth = %s (no goal)\n' "$r_ap"
        printf '  FP-growth / GROUP BY floor = %s (no goal)\n' "$r_floor"
        printf '  FP-growth mining without the read: %s ms (FP-growth - its min_support 1 run), %s ms (FP-growth - GROUP BY floor)\n' \
            "$mine" "$mine_g"
        if [ "$do_weka" = 1 ]; then
            r_weka=$(ratio "${med[weka]}" "${med[fp]}")
            r_wekae=$(ratio "${med[wekaelapsed]}" "${med[fp]}")
            printf '  Weka (JVM run) / FP-growth = %s (goal > 1: %s); Weka (its Elapsed time) / FP-growth = %s\n' \
                "$r_weka" "$(goal "$r_weka" '>' 1)" "$r_wekae"
        fi
        if [ -n "$borgelt" ]; then
            bmine=$(diff_ms "${med[borgelt]}" "${med[borgelt0]}")
            r_b=$(ratio "$mine" "$bmine")
            r_b2=$(ratio "$mine" "${med[borgeltmine]}")
            printf '  Borgelt mining without the read: %s ms (process - its -s100 run), %s ms (its own times after reading, 10 ms steps)\n' \
                "$bmine" "${med[borgeltmine]}"
            printf '  profile mining / Borgelt mining = %s (goal <= 2: %s); against its own times %s\n' \
                "$r_b" "$(goal "$r_b" '<=' 2)" "$r_b2"
        fi
    fi
    local fields=("$name" "$(pct "$s")" "$thr" "$fp_n" "$fp_max" "${med[fp]:--}" "${med[ap]:--}"
        "$hand" "$hand_form" "$r_hand" "${med[weka]:--}" "$r_weka" "${med[group]}" "${med[read1]:--}"
        "$mine" "$bmine" "$r_b" "$is_goal_support")
    (IFS=$'\t'; echo "${fields[*]}") >> "$results"
    unset times med label_of
}

# bench_data NAME KIND FILE SUPPORTS...
bench_data() {
    local name=$1 kind=$2 file=$3
    shift 3
    local schema=bench_rules_${name,,} start
    if [ "$kind" = fimi ]; then
        if ! [ -r "$file" ]; then
            say "$name: $file not found, skipped"
            return 0
        fi
        say "$name: loading $file into $schema.t"
        start=$(now_ms)
        load_dat "$name" "$file"
    else
        say "$name: generating about $n_lines order lines (retailgen --customers $gen_customers) into $schema.t"
        start=$(now_ms)
        load_gen "$name"
    fi
    local n rows items
    read -r n rows items < <(qa -F ' ' -c "SELECT count(DISTINCT tid), count(*), count(DISTINCT item) FROM $schema.t")
    echo "loaded in $(( $(now_ms) - start )) ms: $n baskets, $rows rows, $items items, $(qa -c "SELECT pg_size_pretty(pg_table_size('$schema.t')) || ', '
        || relpages || ' pages, ' || relallvisible || ' all-visible' FROM pg_class WHERE oid = '$schema.t'::regclass")"
    if [ "$weka" = 1 ]; then
        start=$(now_ms)
        write_arff "$name"
        echo "sparse ARFF for Weka written in $(( $(now_ms) - start )) ms ($(du -h "$workdir/$name.arff" | cut -f1))"
    fi
    local s
    for s in "$@"; do
        bench_support "$name" "$s" "$n"
    done
    rec_data=${rec_data:-$name}
}

# ---- profile.recommend through pgbench ----

# pgbench_run NAME SCRIPT CLIENTS THREADS: "tps latency_ms failed"
pgbench_run() {
    local out rc=0
    out=$(PGOPTIONS="$PGOPTIONS$pg_options" "$PG_BIN/pgbench" -n -M prepared -c "$3" -j "$4" -T "$pg_time" \
        -f "$2" "$conninfo" 2>&1) || rc=$?
    if [ "$rc" -ne 0 ]; then
        echo "pgbench failed ($rc) on $1:" >&2
        echo "$out" >&2
        exit 1
    fi
    awk '/^tps = / && !t { t = $3 }
         /^latency average = / { l = $4 }
         /^number of failed transactions: / { f = $5 }
         END { printf "%s %s %s\n", t, l, (f == "" ? 0 : f) }' <<< "$out"
}

# bench_recommend NAME: a model of about 100,000 rules from NAME's t, then
# pgbench on profile.recommend and its floors
bench_recommend() {
    local name=$1
    local schema=bench_rules_${name,,}
    if [ "$has_fit" != t ] || [ "$has_rec" != t ]; then
        say "profile.rules_fit or profile.recommend does not exist here: recommend not measured"
        return 0
    fi
    say "profile.recommend: fitting a model of about 100,000 rules on $name (model bench_rec)"
    # (min_support, min_confidence) pairs giving more and more rules; the
    # first with at least 90,000 rules is used (retail: 0.0002, 0.3 gives
    # about 95,000 rules, with multi-item consequents)
    local pairs=("0.0002 0.3" "0.0002 0.25" "0.00015 0.5" "0.00015 0.3" "0.0001 0.5" "0.0001 0.3"
                 "0.00005 0.5" "0.00005 0.3")
    local p s c fit rules="" itemsets start ms
    for p in "${pairs[@]}"; do
        read -r s c <<< "$p"
        start=$(now_ms)
        if ! fit=$(qa -F ' ' -c "SELECT itemsets, rules FROM profile.rules_fit('bench_rec',
                        'SELECT tid, item FROM $schema.t', $s, $c)" 2>&1); then
            echo "  rules_fit(min_support $s, min_confidence $c) failed: $fit"
            break
        fi
        ms=$(( $(now_ms) - start ))
        read -r itemsets rules <<< "$fit"
        echo "  rules_fit(min_support $s, min_confidence $c): $itemsets itemsets, $rules rules in $ms ms"
        [ "$rules" -ge 90000 ] && break
    done
    if [ -z "$rules" ]; then
        echo "  no model: recommend not measured"
        return 0
    fi
    local model_rules
    model_rules=$(qa -c "SELECT count(*) FROM profile.rules WHERE model = 'bench_rec'")
    echo "  model bench_rec: $model_rules rules (profile.rules), min_support $s, min_confidence $c"

    # the basket subquery needs an index on tid, as any application has
    q -c "CREATE INDEX ON $schema.t (tid)" -c "ANALYZE $schema.t"
    local lo hi const
    read -r lo hi < <(qa -F ' ' -c "SELECT min(tid), max(tid) FROM $schema.t")
    const=$(qa -c "SELECT string_agg(item::text, ',') FROM (SELECT item FROM $schema.t GROUP BY item
                   ORDER BY count(*) DESC, item LIMIT 3) i")
    local basket="(SELECT pg_catalog.array_agg(item) FROM $schema.t WHERE tid = :tid)"
    printf 'SELECT 1;\n' > "$workdir/pg_select1.sql"
    printf '\\set tid random(%s, %s)\nSELECT %s;\n' "$lo" "$hi" "$basket" > "$workdir/pg_basket.sql"
    printf '\\set tid random(%s, %s)\nSELECT * FROM profile.recommend('"'"'bench_rec'"'"', %s, 5);\n' \
        "$lo" "$hi" "$basket" > "$workdir/pg_rec.sql"
    printf 'SELECT * FROM profile.recommend('"'"'bench_rec'"'"', ARRAY[%s]::bigint[], 5);\n' \
        "$const" > "$workdir/pg_rec_const.sql"
    chmod 644 "$workdir"/pg_*.sql

    echo "  the constant basket {$const} (the three most frequent items) gets:"
    q -c "SELECT rank, item, round(score::numeric, 4) AS score, antecedent, consequent,
                 round(lift::numeric, 2) AS lift
          FROM profile.recommend('bench_rec', ARRAY[$const]::bigint[], 5)" | sed 's/^/    /'
    local sample
    sample=$(qa -F ' ' -c "SELECT count(*), round(avg(n), 2), round(100.0 * avg((n > 0)::int), 1)
        FROM (SELECT (SELECT count(*) FROM profile.recommend('bench_rec', b.items, 5)) AS n
              FROM (SELECT tid, array_agg(item) AS items FROM $schema.t
                    WHERE tid % 97 = 0 GROUP BY tid) b) x")
    local a b
    read -r a b p <<< "$sample"
    echo "  on $a baskets of t (tid % 97 = 0): $b recommendations on average, $p% get at least one"

    local cores
    cores=$(nproc)
    declare -A lab=(
        [pg_select1]="floor: SELECT 1"
        [pg_basket]="floor: the basket subquery"
        [pg_rec]="recommend, random basket of t"
        [pg_rec_const]="recommend, constant basket"
    )
    local v cl j tps lat failed per_core
    say "profile.recommend through pgbench (-M prepared -n, $pg_time s per run, $cores cores)"
    printf '  %-32s %8s %12s %14s %15s\n' run clients TPS "latency ms" "calls/s/core"
    for cl in 1 8; do
        for v in pg_select1 pg_basket pg_rec pg_rec_const; do
            j=$([ "$cl" = 1 ] && echo 1 || echo 2)
            read -r tps lat failed < <(pgbench_run "$v" "$workdir/$v.sql" "$cl" "$j")
            per_core=$(awk -v t="$tps" -v c="$cl" -v n="$cores" 'BEGIN { printf "%.0f", t / (c < n ? c : n) }')
            printf '  %-32s %8s %12.0f %14s %15s\n' "${lab[$v]}" "$cl" "$tps" "$lat" "$per_core"
            [ "$failed" = 0 ] || echo "  ($failed failed transactions)"
            printf '%s\t%s\t%s\t%s\t%s\n' "${lab[$v]}" "$cl" "$tps" "$lat" "$per_core" >> "$rec_results"
        done
    done
    local r1 r8
    r1=$(awk -F'\t' '$1 ~ /random basket/ && $2 == 1 { print $5 }' "$rec_results")
    r8=$(awk -F'\t' '$1 ~ /random basket/ && $2 == 8 { print $5 }' "$rec_results")
    printf '  recommend, random basket: %s calls/s per core with 1 client (goal >= 5000: %s), %s with 8 clients (goal >= 5000: %s)\n' \
        "$r1" "$(goal "$r1" '>=' 5000)" "$r8" "$(goal "$r8" '>=' 5000)"
    echo "  (TPS / min(clients, cores); pgbench itself runs on the same cores, so every figure is a lower bound)"
    rec_model="model bench_rec on $name: $model_rules rules (min_support $s, min_confidence $c)"
    q -c "DELETE FROM profile.models WHERE name = 'bench_rec'"
}

read -r jit_used < <(qa ${set_commands[@]+"${set_commands[@]}"} -c \
    "SELECT CASE WHEN current_setting('jit')::bool AND pg_jit_available() THEN 'on' ELSE 'off' END")
say "settings: max_parallel_workers_per_gather = 0, jit = $jit_used, max_len = $max_len, repeat = $repeat, data = $data_dir${settings[0]+ (--set ${settings[*]})}"
echo "Weka: $([ "$weka" = 1 ] && readlink -f "$WEKA_JAR" || echo skipped); Borgelt: ${borgelt:-not given (--borgelt PATH)}; cores: $(nproc)"

rec_data="" rec_model=""
if [ "$quick" = 1 ]; then
    bench_data retail fimi "$data_dir/retail.dat.gz" 0.01 0.001
    bench_data T10I4D100K fimi "$data_dir/T10I4D100K.dat.gz" 0.01
    bench_data gen gen "" 0.01
else
    bench_data retail fimi "$data_dir/retail.dat.gz" 0.01 0.005 0.001 0.0005
    bench_data T10I4D100K fimi "$data_dir/T10I4D100K.dat.gz" 0.01 0.001
    bench_data gen gen "" 0.01 0.001
fi
if [ "$recommend" = 1 ] && [ -n "$rec_data" ]; then
    bench_recommend "$rec_data"
fi
for name in retail T10I4D100K gen; do
    q -c "DROP SCHEMA IF EXISTS bench_rules_${name,,} CASCADE"
done

say "summary (median ms, serial; goals: hand/FP >= 20 at 0.1%, Weka/FP > 1, profile mining/Borgelt mining <= 2)"
printf '%-11s %7s %6s %8s %4s | %9s %9s | %9s %-11s %8s | %9s %8s | %9s %9s | %9s %9s %8s\n' \
    data support thr itemsets max "FP ms" "Apriori" "hand ms" "(form)" hand/FP "Weka ms" Weka/FP \
    "GROUP BY" "read s=1" "FP mine" "Borgelt" ratio
# mark VALUE OP LIMIT: VALUE followed by + (goal met) or ! (goal missed)
mark() {
    if [ "$1" = - ]; then
        echo -
    else
        echo "$1$([ "$(goal "$1" "$2" "$3")" = "goal met" ] && echo + || echo !)"
    fi
}
while IFS=$'\t' read -r name sp thr n mx fp ap hand form rh wk rw grp rd mine bm rb goal_s; do
    [ "$goal_s" = 1 ] && rh=$(mark "$rh" '>=' 20)
    rw=$(mark "$rw" '>' 1)
    rb=$(mark "$rb" '<=' 2)
    printf '%-11s %7s %6s %8s %4s | %9s %9s | %9s %-11s %8s | %9s %8s | %9s %9s | %9s %9s %8s\n' \
        "$name" "$sp" "$thr" "$n" "$mx" "$fp" "$ap" "$hand" "($form)" "$rh" "$wk" "$rw" "$grp" "$rd" "$mine" "$bm" "$rb"
done < "$results"
echo "(+ goal met, ! goal missed; hand/FP has its goal at 0.1% only.  hand: the faster form, pairs only.  Weka: the"
echo " JVM run.  read s=1: FP-growth at min_support 1.  FP mine = FP - read s=1; Borgelt = its run - its -s100 run;"
echo " ratio = FP mine / Borgelt)"
if [ -s "$rec_results" ]; then
    echo
    echo "profile.recommend, $rec_model (goal >= 5000 calls/s per core)"
    printf '%-32s %8s %10s %12s %13s\n' run clients TPS "latency ms" "calls/s/core"
    while IFS=$'\t' read -r l cl tps lat pc; do
        printf '%-32s %8s %10.0f %12s %13s\n' "$l" "$cl" "$tps" "$lat" "$pc"
    done < "$rec_results"
fi
if [ ${#mismatches[@]} -eq 0 ]; then
    echo "sanity checks (FP-growth = Apriori, pairs = hand-written SQL, Weka and Borgelt itemsets): all OK"
else
    echo "sanity checks: MISMATCH in ${mismatches[*]}"
fi
exit 0
