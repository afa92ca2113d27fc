#!/usr/bin/env bash
# bench/kmeans.sh: profile.kmeans_fit against scikit-learn, plain SQL and a C floor.
#
# Installs what is missing (apt-get, as root), builds and installs the
# extension, starts a throw-away PostgreSQL 15 on 127.0.0.1 (stopped on
# exit), generates pts(id bigint, features float8[]) with --rows points in
# 8 overlapping blobs for each dimension in --dims, and runs k-means with
# k = 8 from the same initial centroids (the features of ids 1..8) for the
# same number of iterations (--iter N, tol 0), single thread, side by side:
#
#   profile   SELECT * FROM profile.kmeans_fit('bench_km_fit', 'SELECT id,
#             features FROM pts', 8, scaling => 'none', max_iter => M,
#             tol => 0, init => ...) with M = 1, N and N + 1; per iteration
#             (t(N + 1) - t(1)) / N, so reading the table and setup cancel out
#   sklearn   bench/kmeans_sklearn.py: psycopg2 into NumPy, then KMeans(8,
#             init=..., n_init=1, max_iter=N, tol=0, algorithm='lloyd'),
#             Debian's /usr/bin/python3, OMP/OpenBLAS threads 1; read, fit,
#             read + fit, and its per iteration from max_iter 1 and N + 1
#   SQL       one Lloyd iteration in plain SQL: a LATERAL over the centroids
#             ORDER BY squared distance LIMIT 1, then GROUP BY cluster avg()s
#   floor     bench/kmeans_floor.c (cc -O2): one plain C pass over the same
#             matrix (binary COPY) computing one Lloyd iteration; median of 5
#   assign    SELECT count(profile.kmeans_assign('bench_km', features)) FROM pts
#   sum scan  SELECT sum(features[1]) FROM pts
#   step      SELECT profile.kmeans_step(features, model) FROM pts: one pass
#             of the scan path against the model value of bench_km (or the
#             initial centroids, if its second argument is float8[]); and
#             its driver kmeans_fit_scan with max_iter 1 and N + 1, for the
#             scan path's per iteration (each only when it exists)
#
# Server-side times are the "Execution Time" of EXPLAIN (ANALYZE, TIMING OFF,
# SUMMARY ON, FORMAT JSON), max_parallel_workers_per_gather = 0, each in a
# new session that has loaded the library.  scikit-learn and the floor time
# themselves (perf_counter, clock_gettime).  A sanity pass first (it is
# also the warm-up), then --repeat rounds interleaved (fits, SQL, assign,
# sum, step, scan fits, the max_iter 1 and N + 1 fits again, floor,
# scikit-learn; next round), medians reported.  Always exits 0 when the
# runs succeed: it measures, it does not test.
#
# Usage: bench/kmeans.sh [--dims 3,16] [--rows N] [--iter N] [--repeat N]
#                        [--set NAME=VALUE]... [--db CONNINFO]
#   --dims LIST      feature counts, one data set each (default 3,16)
#   --rows N         points per data set (default 1000000)
#   --iter N         Lloyd iterations of the end-to-end fits (default 20)
#   --repeat N       timed rounds (default 3)
#   --set NAME=VALUE SET this in every timed session (and scikit-learn's),
#                    e.g. --set jit=off (default: the server's)
#   --db CONNINFO    use this database instead of a throw-away cluster.  The
#                    extension must be installable there; the benchmark
#                    creates it if missing and touches nothing but the
#                    schemas bench_km_* (dropped and recreated, then dropped)
#                    and the models bench_km, bench_km_fit (deleted at the end).

# shellcheck source=scripts/lib.sh
source "$(dirname "$0")/../scripts/lib.sh"
cd "$PROFILE_ROOT" || exit 1

dims=3,16 rows=1000000 iter=20 repeat=3 conninfo="" settings=()
k=8
while [ $# -gt 0 ]; do
    case "$1" in
        --dims) dims=$2; shift 2 ;;
        --rows) rows=$2; shift 2 ;;
        --iter) iter=$2; shift 2 ;;
        --repeat) repeat=$2; shift 2 ;;
        --set) settings+=("$2"); shift 2 ;;
        --db) conninfo=$2; shift 2 ;;
        -h|--help) sed -n '2,51p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "unknown option $1 (see --help)" >&2; exit 2 ;;
    esac
done
for v in repeat iter rows; do
    if ! [[ ${!v} =~ ^[1-9][0-9]*$ ]]; then
        echo "--$v must be a positive integer" >&2; exit 2
    fi
done
if [ "$rows" -lt 1000 ]; then
    echo "--rows must be at least 1000" >&2; exit 2
fi
IFS=, read -r -a dim_list <<< "$dims"
for d in "${dim_list[@]}"; do
    if ! [[ $d =~ ^[1-9][0-9]*$ ]] || [ "$d" -gt 1000 ]; then
        echo "--dims takes a comma-separated list of feature counts like 3,16, not '$d'" >&2; exit 2
    fi
done
set_commands=() py_options=""
for kv in ${settings[@]+"${settings[@]}"}; do
    if ! [[ $kv =~ ^([a-z_][a-z0-9_.]*)=([A-Za-z0-9_.+-]+)$ ]]; then
        echo "--set takes NAME=VALUE like jit=off, not '$kv'" >&2; exit 2
    fi
    set_commands+=(-c "SET ${BASH_REMATCH[1]} = '${BASH_REMATCH[2]}'")
    py_options+=" -c ${BASH_REMATCH[1]}=${BASH_REMATCH[2]}"
done

install_deps
# scikit-learn's side: Debian's packages for Debian's python3
PY=/usr/bin/python3
py_missing=()
for p in python3 python3-numpy python3-sklearn python3-psycopg2; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || py_missing+=("$p")
done
if [ ${#py_missing[@]} -gt 0 ]; then
    if [ "$(id -u)" -ne 0 ]; then
        echo "missing Debian packages: ${py_missing[*]}; run as root, or install them first" >&2
        exit 1
    fi
    say "installing ${py_missing[*]}"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${py_missing[@]}" >/dev/null
fi
build_install ""

workdir=$(mktemp -d /tmp/profile-bench-kmeans.XXXXXX)
results=$workdir/results
mismatches=()
trap 'rm -rf "$workdir"; stop_cluster' EXIT
floor_bin=$workdir/kmeans_floor
cc -O2 -o "$floor_bin" bench/kmeans_floor.c

if [ -z "$conninfo" ]; then
    start_cluster
    trap 'rm -rf "$workdir"; stop_cluster' EXIT
    psql -X -q -d postgres -c "CREATE DATABASE profile_bench"
    conninfo="dbname=profile_bench"
fi

export PGOPTIONS="-c client_min_messages=warning"
q() { psql -X -q -v ON_ERROR_STOP=1 -P pager=off -d "$conninfo" "$@"; }
qa() { psql -X -q -At -v ON_ERROR_STOP=1 -d "$conninfo" "$@"; }
now_ms() { echo $(( $(date +%s%N) / 1000000 )); }

q -c "CREATE EXTENSION IF NOT EXISTS profile"
# The scan path, when it exists: the aggregate kmeans_step(features, model
# bytea, or centroids float8[]) and its driver kmeans_fit_scan
step_args=$(qa -c "SELECT pg_get_function_identity_arguments(p.oid) FROM pg_proc p
                   JOIN pg_namespace n ON n.oid = p.pronamespace
                   WHERE n.nspname = 'profile' AND p.proname = 'kmeans_step' LIMIT 1")
has_fit_scan=$(qa -c "SELECT count(*) > 0 FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
                      WHERE n.nspname = 'profile' AND p.proname = 'kmeans_fit_scan'")

# ---- the contenders ----

# fit_sql SCHEMA MAX_ITER INIT [NAME [FUNCTION]]
fit_sql() {
    cat <<SQL
SELECT * FROM profile.${5:-kmeans_fit}('${4:-bench_km_fit}', 'SELECT id, features FROM $1.pts', $k,
                                 scaling => 'none', max_iter => $2, tol => 0, init => '$3')
SQL
}

# sql_iteration SCHEMA D: one Lloyd iteration from the centroids in $centroid_values
sql_iteration() {
    local schema=$1 d=$2 j dist="" avgs=""
    for j in $(seq 1 "$d"); do
        dist+="${dist:+ + }(p.features[$j] - c.centroid[$j])^2"
        avgs+=", avg(p.features[$j])"
    done
    cat <<SQL
WITH c(cluster, centroid) AS (VALUES $centroid_values)
SELECT n.cluster, count(*) AS size$avgs
FROM $schema.pts p
CROSS JOIN LATERAL (SELECT c.cluster FROM c ORDER BY $dist, c.cluster LIMIT 1) n
GROUP BY n.cluster
ORDER BY n.cluster
SQL
}

assign_sql() { echo "SELECT count(profile.kmeans_assign('bench_km', features)) FROM $1.pts"; }
sum_sql() { echo "SELECT sum(features[1]) FROM $1.pts"; }
# step_sql SCHEMA INIT: one pass of the scan path, against the model bench_km
# (a model value, read once by an InitPlan) or the initial centroids
step_sql() {
    if [[ $step_args == *bytea* ]]; then
        echo "SELECT profile.kmeans_step(features, (SELECT body FROM profile.models WHERE name = 'bench_km')) FROM $1.pts"
    else
        echo "SELECT profile.kmeans_step(features, '$2'::float8[]) FROM $1.pts"
    fi
}

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
        python3 -c "$PARSE_EXPLAIN"
}

# run_floor SCHEMA INIT ITER: "n d median min max inertia counts..."
run_floor() {
    qa -c "COPY (SELECT features FROM $1.pts) TO STDOUT (FORMAT binary)" |
        "$floor_bin" --k "$k" --init "$2" --reps 5 --iter "$3"
}

# run_sklearn SCHEMA INIT: one JSON line
run_sklearn() {
    OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1 \
    PGOPTIONS="-c client_min_messages=warning -c max_parallel_workers_per_gather=0$py_options" \
        "$PY" bench/kmeans_sklearn.py --dsn "$conninfo" --table "$1.pts" --k "$k" \
        --iter "$iter" --init "$2" --per-iteration
}

# json_get JSON KEY...: the values, space-separated
json_get() {
    local json=$1
    shift
    "$PY" -c 'import json, sys
d = json.loads(sys.argv[1])
print(" ".join(" ".join(map(str, d[k])) if isinstance(d[k], list) else str(d[k]) for k in sys.argv[2:]))' "$json" "$@"
}

# stats VALUES...: "median min max"
stats() {
    printf '%s\n' "$@" | sort -g | awk '
        { v[NR] = $1 }
        END {
            m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
            printf "%.2f %.2f %.2f\n", m, v[1], v[NR]
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
# rel_ok A B: OK when |A/B - 1| < 1e-6
rel_ok() {
    if awk -v a="$1" -v b="$2" 'BEGIN { r = (b != 0 ? a / b - 1 : a - b); exit !(r < 1e-6 && r > -1e-6) }'; then
        echo OK
    else
        echo MISMATCH
    fi
}
rel_diff() { awk -v a="$1" -v b="$2" 'BEGIN { r = (b != 0 ? a / b - 1 : a - b); printf "%.1e", (r < 0 ? -r : r) }'; }

# ---- one data set ----

# bench_dim D
bench_dim() {
    local d=$1
    local schema="bench_km_d$d" name="d=$d"
    local start
    say "$name: generating $rows points x $d features in 8 blobs into $schema.pts"
    start=$(now_ms)
    # Blob i % 8; its centre's coordinates uniform in [0, 10 sqrt(3/d)] (the
    # same typical distance between centres in any d), plus noise 3 x the
    # sum of four uniforms minus 2 (std 1.73) per coordinate: overlapping
    # blobs, so Lloyd keeps moving for many iterations.  Uniforms come from
    # hashint8extended, not random(): the same table on every run.
    # synchronous_commit on for the load: under the throw-away cluster's
    # synchronous_commit = off, VACUUM right after the INSERT cannot set hint
    # bits (the commit is not flushed yet) and leaves no page all-visible,
    # so every scan would check every tuple's visibility; a table that has
    # been there a while is all-visible.
    q <<SQL
SET synchronous_commit = on;
DROP SCHEMA IF EXISTS $schema CASCADE;
CREATE SCHEMA $schema;
CREATE TABLE $schema.pts (id bigint, features float8[]);
INSERT INTO $schema.pts
SELECT i, ARRAY(
    SELECT 10 * sqrt(3.0 / $d)::float8 * ((hashint8extended(i % 8 * 1024 + j, 7) & 1023)::float8 / 1023)
           + 3 * (((h & 65535) + ((h >> 16) & 65535) + ((h >> 32) & 65535) + ((h >> 48) & 65535))::float8
                  / 65536 - 2)
    FROM generate_series(1, $d) j, LATERAL (SELECT hashint8extended(i * 1024 + j, 42) AS h) x
    ORDER BY j)
FROM generate_series(1, $rows) i;
VACUUM ANALYZE $schema.pts;
SQL
    echo "generated in $(( $(now_ms) - start )) ms: $(qa -c "SELECT pg_size_pretty(pg_table_size('$schema.pts')) || ', '
        || relpages || ' pages, ' || relallvisible || ' all-visible' FROM pg_class WHERE oid = '$schema.pts'::regclass")"

    # the initial centroids: the features of ids 1..8, one per blob
    local init_rows init
    init_rows=$(qa -c "SELECT features FROM $schema.pts WHERE id <= $k ORDER BY id")
    init="{$(paste -sd, <<< "$init_rows")}"
    centroid_values=$(awk '{ printf "%s(%d, '"'"'%s'"'"'::float8[])", (NR > 1 ? ", " : ""), NR, $0 }' <<< "$init_rows")

    say "$name: sanity check (k = $k, N = $iter iterations, tol 0, the same initial centroids); also the warm-up"
    local ours_it ours_inertia ours_conv ours_sizes it1 itn1
    IFS='|' read -r ours_it ours_inertia ours_conv ours_sizes < <(qa -c \
        "SELECT iterations, inertia, converged, sizes FROM ($(fit_sql "$schema" "$iter" "$init" bench_km)) f")
    it1=$(qa -c "SELECT iterations FROM ($(fit_sql "$schema" 1 "$init")) f")
    itn1=$(qa -c "SELECT iterations FROM ($(fit_sql "$schema" $(( iter + 1 )) "$init")) f")
    local sk sk_it sk_inertia sk_it1 sk_itn1 sk_sizes sk_threads
    sk=$(run_sklearn "$schema" "$init")
    read -r sk_it sk_inertia sk_it1 sk_itn1 < <(json_get "$sk" n_iter inertia n_iter_1 n_iter_n1)
    sk_sizes=$(json_get "$sk" sizes)
    sk_threads=$("$PY" -c 'import json, sys; print(json.loads(sys.argv[1])["threads"])' "$sk")
    local fl fl_inertia fl_counts
    fl=$(run_floor "$schema" "$init" "$iter")
    read -r _ _ _ _ _ fl_inertia fl_counts <<< "$fl"
    local sql_counts
    sql_counts=$(qa -F ' ' -c "SELECT string_agg(size::text, ' ' ORDER BY cluster) FROM ($(sql_iteration "$schema" "$d")) s")

    local ok
    printf '  iterations run: profile %s (max_iter %s), %s (max_iter 1), %s (max_iter %s); scikit-learn %s, %s, %s\n' \
        "$ours_it" "$iter" "$it1" "$itn1" $(( iter + 1 )) "$sk_it" "$sk_it1" "$sk_itn1"
    ok=OK
    if [ "$ours_it" != "$sk_it" ] || [ "$it1" != "$sk_it1" ] || [ "$itn1" != "$sk_itn1" ]; then
        ok=MISMATCH; mismatches+=("$name iterations")
    fi
    echo "  iterations agree: $ok"
    if [ "$itn1" -le "$it1" ] || [ "$ours_it" != "$iter" ] || [ "$itn1" != $(( iter + 1 )) ]; then
        echo "  (labels repeated before the last iteration: the per-iteration time uses the iterations actually run)"
    fi
    echo "  profile converged (labels repeated) within $iter iterations: $ours_conv"
    ok=$(rel_ok "$ours_inertia" "$sk_inertia")
    [ "$ok" = OK ] || mismatches+=("$name inertia vs scikit-learn")
    printf '  inertia after %s iterations: profile %s, scikit-learn %s (relative difference %s)  %s\n' \
        "$iter" "$ours_inertia" "$sk_inertia" "$(rel_diff "$ours_inertia" "$sk_inertia")" "$ok"
    ok=$(rel_ok "$ours_inertia" "$fl_inertia")
    [ "$ok" = OK ] || mismatches+=("$name inertia vs floor")
    printf '  inertia after %s iterations: profile %s, C floor %s (relative difference %s)  %s\n' \
        "$iter" "$ours_inertia" "$fl_inertia" "$(rel_diff "$ours_inertia" "$fl_inertia")" "$ok"
    local ours_sizes_sp=${ours_sizes//[\{\}]/}
    ours_sizes_sp=${ours_sizes_sp//,/ }
    printf '  cluster sizes: profile %s; scikit-learn %s  %s\n' "$ours_sizes_sp" "$sk_sizes" \
        "$([ "$ours_sizes_sp" = "$sk_sizes" ] && echo same || echo "differ (points at near-ties)")"
    ok=OK; [ "$sql_counts" = "$fl_counts" ] || { ok=MISMATCH; mismatches+=("$name SQL iteration sizes"); }
    printf '  sizes after one iteration: plain SQL %s; C floor %s  %s\n' "$sql_counts" "$fl_counts" "$ok"
    echo "  scikit-learn's thread pools: $sk_threads"

    local step=0 scan=0
    if [ -n "$step_args" ]; then
        local out
        if out=$(qa -c "SELECT length(($(step_sql "$schema" "$init"))::text)" 2>&1); then
            step=1
            echo "  profile.kmeans_step($step_args): one pass runs (a state of $out characters as text)"
        else
            echo "  profile.kmeans_step($step_args) exists but fails here, not timed: $out"
        fi
    else
        echo "  profile.kmeans_step does not exist: scan path not timed"
    fi
    local sc_it sc_inertia sc1 scn1
    if [ "$has_fit_scan" = t ]; then
        scan=1
        IFS='|' read -r sc_it sc_inertia < <(qa -c \
            "SELECT iterations, inertia FROM ($(fit_sql "$schema" "$iter" "$init" bench_km_fit kmeans_fit_scan)) f")
        sc1=$(qa -c "SELECT iterations FROM ($(fit_sql "$schema" 1 "$init" bench_km_fit kmeans_fit_scan)) f")
        scn1=$(qa -c "SELECT iterations FROM ($(fit_sql "$schema" $(( iter + 1 )) "$init" bench_km_fit kmeans_fit_scan)) f")
        ok=OK
        [ "$sc_it" = "$ours_it" ] && [ "$sc1" = "$it1" ] && [ "$scn1" = "$itn1" ] || ok=MISMATCH
        [ "$(rel_ok "$sc_inertia" "$ours_inertia")" = OK ] || ok=MISMATCH
        [ "$ok" = OK ] || mismatches+=("$name scan path")
        printf '  scan path kmeans_fit_scan: iterations %s, %s, %s; inertia %s (relative difference to kmeans_fit %s)  %s\n' \
            "$sc_it" "$sc1" "$scn1" "$sc_inertia" "$(rel_diff "$sc_inertia" "$ours_inertia")" "$ok"
    fi

    # warm-up of the EXPLAIN contenders not run above
    time_one "$(assign_sql "$schema")" >/dev/null
    time_one "$(sum_sql "$schema")" >/dev/null

    # fit1, fitn1 twice per round: the per-iteration time is a difference of
    # two noisy times, so it gets twice the samples (each pair in a round)
    local contenders=(fit1 fitn fitn1 sql assign sum)
    [ "$step" = 1 ] && contenders+=(step)
    [ "$scan" = 1 ] && contenders+=(scan1 scann1)
    contenders+=(fit1 fitn1)
    declare -A times=()
    local r c ms last1="" lastscan1=""
    say "$name: $repeat rounds (serial; ms; per-iteration = (max_iter $(( iter + 1 )) - max_iter 1) / $(( itn1 - it1 )) in each pair)"
    for r in $(seq 1 "$repeat"); do
        printf '  round %d:' "$r"
        for c in "${contenders[@]}"; do
            case "$c" in
                fit1) ms=$(time_one "$(fit_sql "$schema" 1 "$init")"); last1=$ms ;;
                fitn) ms=$(time_one "$(fit_sql "$schema" "$iter" "$init")") ;;
                fitn1) ms=$(time_one "$(fit_sql "$schema" $(( iter + 1 )) "$init")") ;;
                sql) ms=$(time_one "$(sql_iteration "$schema" "$d")") ;;
                assign) ms=$(time_one "$(assign_sql "$schema")") ;;
                sum) ms=$(time_one "$(sum_sql "$schema")") ;;
                step) ms=$(time_one "$(step_sql "$schema" "$init")") ;;
                scan1) ms=$(time_one "$(fit_sql "$schema" 1 "$init" bench_km_fit kmeans_fit_scan)"); lastscan1=$ms ;;
                scann1) ms=$(time_one "$(fit_sql "$schema" $(( iter + 1 )) "$init" bench_km_fit kmeans_fit_scan)") ;;
            esac
            times[$c]="${times[$c]:-} $ms"
            printf ' %s %.0f' "$c" "$ms"
            # per iteration, from the pair just run
            if [ "$c" = fitn1 ]; then
                ms=$(awk -v a="$last1" -v b="$ms" -v n=$(( itn1 - it1 )) 'BEGIN { printf "%.3f", (n > 0 ? (b - a) / n : 0) }')
                times[iter]="${times[iter]:-} $ms"
                printf ' (%.1f/iteration)' "$ms"
            elif [ "$c" = scann1 ]; then
                ms=$(awk -v a="$lastscan1" -v b="$ms" -v n=$(( scn1 - sc1 )) 'BEGIN { printf "%.3f", (n > 0 ? (b - a) / n : 0) }')
                times[scaniter]="${times[scaniter]:-} $ms"
                printf ' (%.1f/iteration)' "$ms"
            fi
        done

        read -r _ _ ms _ _ _ <<< "$(run_floor "$schema" "$init" 1)"
        times[floor]="${times[floor]:-} $ms"
        printf ' floor %.1f' "$ms"

        sk=$(run_sklearn "$schema" "$init")
        local sk_read sk_fit sk_total sk_f1 sk_fn1
        read -r sk_read sk_fit sk_total sk_f1 sk_fn1 < <(json_get "$sk" read_s fit_s total_s fit1_s fit_n1_s)
        times[skread]="${times[skread]:-} $(awk -v v="$sk_read" 'BEGIN { printf "%.3f", v * 1000 }')"
        times[skfit]="${times[skfit]:-} $(awk -v v="$sk_fit" 'BEGIN { printf "%.3f", v * 1000 }')"
        times[sktotal]="${times[sktotal]:-} $(awk -v v="$sk_total" 'BEGIN { printf "%.3f", v * 1000 }')"
        ms=$(awk -v a="$sk_f1" -v b="$sk_fn1" -v n=$(( sk_itn1 - sk_it1 )) 'BEGIN { printf "%.3f", (n > 0 ? (b - a) * 1000 / n : 0) }')
        times[skiter]="${times[skiter]:-} $ms"
        printf ' sklearn read %.0f fit %.0f per-iteration %.1f\n' \
            "$(awk -v v="$sk_read" 'BEGIN { print v * 1000 }')" "$(awk -v v="$sk_fit" 'BEGIN { print v * 1000 }')" "$ms"
    done

    declare -A label=(
        [fit1]="profile fit, max_iter 1"
        [fitn]="profile fit, max_iter $iter (end to end)"
        [fitn1]="profile fit, max_iter $(( iter + 1 ))"
        [iter]="profile per iteration (2 pairs a round)"
        [floor]="floor: one iteration, C -O2"
        [skread]="scikit-learn: read (psycopg2, NumPy)"
        [skfit]="scikit-learn: fit, $iter iterations"
        [sktotal]="scikit-learn: read + fit"
        [skiter]="scikit-learn per iteration"
        [sql]="plain SQL: one iteration"
        [assign]="kmeans_assign over all rows"
        [sum]="sum(features[1]) scan"
        [step]="kmeans_step: one scan pass"
        [scan1]="kmeans_fit_scan, max_iter 1"
        [scann1]="kmeans_fit_scan, max_iter $(( iter + 1 ))"
        [scaniter]="kmeans_fit_scan per iteration"
    )
    local order=(fit1 fitn fitn1 iter floor skread skfit sktotal skiter sql assign sum)
    [ "$step" = 1 ] && order+=(step)
    [ "$scan" = 1 ] && order+=(scan1 scann1 scaniter)
    declare -A med=()
    local med_ms min_ms max_ms
    echo
    echo "  $name: $rows points x $d features, k = $k, N = $iter (median of $repeat rounds)"
    printf '  %-40s %11s %10s %10s\n' contender "median ms" "min ms" "max ms"
    for c in "${order[@]}"; do
        # shellcheck disable=SC2086
        read -r med_ms min_ms max_ms < <(stats ${times[$c]})
        med[$c]=$med_ms
        printf '  %-40s %11s %10s %10s\n' "${label[$c]}" "$med_ms" "$min_ms" "$max_ms"
    done
    med[step]=${med[step]:-} med[scaniter]=${med[scaniter]:-}

    local r_floor r_sk r_sk_noread r_sql r_assign r_step="" r_iter_sk r_scan=""
    r_floor=$(ratio "${med[iter]}" "${med[floor]}")
    r_sk=$(ratio "${med[sktotal]}" "${med[fitn]}")
    r_sk_noread=$(ratio "${med[skfit]}" "${med[fitn]}")
    r_iter_sk=$(ratio "${med[iter]}" "${med[skiter]}")
    r_sql=$(ratio "${med[sql]}" "${med[iter]}")
    r_assign=$(ratio "${med[assign]}" "${med[sum]}")
    printf '  profile/floor per iteration      = %s (goal <= 1.5: %s)\n' "$r_floor" "$(goal "$r_floor" '<=' 1.5)"
    printf '  scikit-learn (read + fit)/profile = %s: profile end to end is %sx faster (goal >= 2: %s)\n' \
        "$r_sk" "$r_sk" "$(goal "$r_sk" '>=' 2)"
    printf '  scikit-learn (fit only)/profile   = %s (no goal; the read is what the user pays)\n' "$r_sk_noread"
    printf '  profile/scikit-learn per iteration = %s (no goal)\n' "$r_iter_sk"
    printf '  plain SQL iteration/profile iteration = %s (no goal)\n' "$r_sql"
    printf '  assign/sum scan                  = %s (goal <= 2: %s)\n' "$r_assign" "$(goal "$r_assign" '<=' 2)"
    if [ "$step" = 1 ]; then
        r_step=$(ratio "${med[step]}" "${med[sum]}")
        printf '  kmeans_step/sum scan             = %s (goal <= 2: %s)\n' "$r_step" "$(goal "$r_step" '<=' 2)"
    fi
    if [ "$scan" = 1 ]; then
        r_scan=$(ratio "${med[scaniter]}" "${med[sum]}")
        printf '  kmeans_fit_scan per iteration/sum scan = %s (no goal; a pass plus the driver'"'"'s work)\n' "$r_scan"
    fi
    local fields=("$name" "$rows" "${med[iter]}" "${med[floor]}" "$r_floor"
        "${med[fitn]}" "${med[skread]}" "${med[skfit]}" "${med[sktotal]}" "$r_sk"
        "${med[skiter]}" "${med[sql]}" "${med[assign]}" "${med[sum]}" "$r_assign"
        "${med[step]:--}" "${r_step:--}" "${med[scaniter]:--}" "${r_scan:--}")
    (IFS=$'\t'; echo "${fields[*]}") >> "$results"
    unset times med label
    q -c "DROP SCHEMA $schema CASCADE"
}

read -r jit_used < <(qa ${set_commands[@]+"${set_commands[@]}"} -c \
    "SELECT CASE WHEN current_setting('jit')::bool AND pg_jit_available() THEN 'on' ELSE 'off' END")
say "settings: max_parallel_workers_per_gather = 0, jit = $jit_used, rows = $rows, k = $k, N = $iter, repeat = $repeat${settings[0]+ (--set ${settings[*]})}"

for d in "${dim_list[@]}"; do
    bench_dim "$d"
done
q -c "DELETE FROM profile.models WHERE name IN ('bench_km', 'bench_km_fit')"

say "summary (median ms, serial; goals: profile/floor per iteration <= 1.5, scikit-learn read+fit / profile fit >= 2, assign/sum <= 2, kmeans_step/sum <= 2)"
printf '%-5s %8s | %9s %9s %7s | %9s %9s %9s %9s %7s | %9s %9s | %8s %8s %7s | %8s %7s | %9s %7s\n' \
    data rows "iter ms" "floor ms" ratio "fit ms" "sk read" "sk fit" "sk total" ratio \
    "sk iter" "SQL iter" "assign" "sum" ratio "step" ratio "scan iter" ratio
while IFS=$'\t' read -r name nrows it fl rf fit skr skf skt rsk ski sql asg sm ra st rst sci rsc; do
    printf '%-5s %8s | %9s %9s %7s | %9s %9s %9s %9s %7s | %9s %9s | %8s %8s %7s | %8s %7s | %9s %7s\n' \
        "$name" "$nrows" "$it" "$fl" "$rf" "$fit" "$skr" "$skf" "$skt" "$rsk" "$ski" "$sql" "$asg" "$sm" "$ra" \
        "$st" "$rst" "$sci" "$rsc"
    printf '      profile/floor per iteration %s (<= 1.5: %s); sk read+fit/profile fit %s (>= 2: %s); assign/sum %s (<= 2: %s)' \
        "$rf" "$(goal "$rf" '<=' 1.5)" "$rsk" "$(goal "$rsk" '>=' 2)" "$ra" "$(goal "$ra" '<=' 2)"
    if [ "$rst" != - ]; then
        printf '; step/sum %s (<= 2: %s)' "$rst" "$(goal "$rst" '<=' 2)"
    fi
    echo
done < "$results"
[ -n "$step_args" ] || echo "profile.kmeans_step does not exist: the scan-path goal was not measured"
if [ ${#mismatches[@]} -eq 0 ]; then
    echo "sanity checks (iterations, inertia vs scikit-learn and floor, SQL iteration sizes): all OK"
else
    echo "sanity checks: MISMATCH in ${mismatches[*]}"
fi
exit 0
