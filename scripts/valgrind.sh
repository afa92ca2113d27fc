#!/usr/bin/env bash
# scripts/valgrind.sh: the regression suite under valgrind (reliability
# suite, part 8).  Not part of scripts/test.sh: on 2 cores it takes about
# 11 minutes against Debian's stock server and 12 to 16 against a server
# built with --enable-cassert and USE_VALGRIND (the same suite takes about
# 10 s without valgrind).
#
# Installs what is missing (apt-get, as root, plus valgrind), builds and
# installs the extension (-g, -DUSE_ASSERT_CHECKING), starts a throw-away
# PostgreSQL 15 whose postmaster runs under valgrind memcheck
# (--trace-children=yes, so every backend and parallel worker is checked;
# jit = off: LLVM's generated code is not ours, and slow to build here;
# --leak-check=no; scripts/valgrind.supp hides the stock server's
# padding writes, plus the server's own src/tools/valgrind.supp when it
# was built from source), runs pg_regress on sql/ + expected/ (make
# installcheck) against it, stops it, and reads the per-process valgrind
# logs.  It prints the valgrind errors in total and those in our code (a
# frame in profile.so or in this tree's src/), shows each of the latter
# (logs kept in build/valgrind), and exits non-zero when there is one,
# when a server process crashed or failed an assertion, when a cassert
# server's memory context checks warned, or when pg_regress cannot run at
# all (a test whose output differs under valgrind, e.g. timing, is
# reported but is not a memory error).
#
# What it catches: reads of uninitialised memory that decide a branch or
# reach a system call, reads and writes outside malloc'd blocks (palloc
# requests above 8 kB get a block of their own, so overruns of large
# arrays are seen), use of freed malloc'd blocks, bad free()s, all in
# profile.so, LAPACK/BLAS called from it, and in the server.
#
# Which server:
# - default: Debian's stock build (/usr/lib/postgresql/15/bin).  Memcheck
#   does not know palloc's chunks there: an overrun or a use-after-pfree
#   inside an AllocSet block (small pallocs), and uninitialised bytes
#   copied into a palloc'd chunk of a block already written, go unseen;
#   nor does the server check its own assertions (our code does).
# - PROFILE_PG_BIN=DIR/bin: a PostgreSQL 15 built from source, configured
#   with --enable-cassert --enable-debug CFLAGS='-Og -g'
#   CPPFLAGS='-DUSE_VALGRIND' (README, "Long checks").  Its palloc tells
#   memcheck of every chunk, so writes one byte past a small chunk, reads
#   of a pfree'd chunk and of uninitialised palloc'd bytes are seen too,
#   and the server checks its assertions and its memory contexts.  The
#   source tree (for its valgrind.supp) is read from pg_config's
#   Makefile.global; PROFILE_PG_SRC=DIR overrides it.
# Either way it sees only code paths the regression suite reaches.
#
# Usage: [PROFILE_PG_BIN=DIR/bin] scripts/valgrind.sh [--tests "kmeans rfm ..."]
#        (default: all tests, against the stock server)

source "$(dirname "$0")/lib.sh"
cd "$PROFILE_ROOT"

tests=""
while [ $# -gt 0 ]; do
    case "$1" in
        --tests) tests=$2; shift 2 ;;
        -h|--help) sed -n '2,/^$/p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "unknown option $1 (see --help)" >&2; exit 2 ;;
    esac
done

PROFILE_PACKAGES+=(valgrind)
server_kind="$("$PG_CONFIG" --version)"
"$PG_CONFIG" --configure | grep -q -- '--enable-cassert' && server_kind+=", --enable-cassert"
"$PG_CONFIG" --cppflags | grep -q -- '-DUSE_VALGRIND' && server_kind+=", USE_VALGRIND"
say "server: $PG_BIN ($server_kind)"
install_deps
build_install "-g -DUSE_ASSERT_CHECKING"
start_cluster
started=$(date +%s)

# Restart the postmaster under valgrind
as_pg "$PG_BIN/pg_ctl" -D "$PROFILE_PGTMP/data" -w stop >/dev/null
VGDIR=$PROFILE_PGTMP/valgrind
mkdir -p "$VGDIR"
cp scripts/valgrind.supp "$PROFILE_PGTMP/valgrind.supp"
# A server built from source (PROFILE_PG_BIN) needs its own tree's
# src/tools/valgrind.supp: pg_config's Makefile.global names that tree
# (PROFILE_PG_SRC overrides it)
pg_src=${PROFILE_PG_SRC:-$(sed -n 's/^abs_top_srcdir *= *//p' "$(dirname "$("$PG_CONFIG" --pgxs)")/../Makefile.global" 2>/dev/null || true)}
if [ -n "$pg_src" ] && [ -f "$pg_src/src/tools/valgrind.supp" ]; then
    cat "$pg_src/src/tools/valgrind.supp" >> "$PROFILE_PGTMP/valgrind.supp"
    say "with the server's suppressions, $pg_src/src/tools/valgrind.supp"
fi
[ "$(id -u)" -eq 0 ] && chown -R postgres: "$VGDIR" "$PROFILE_PGTMP/valgrind.supp"
say "starting the postmaster under valgrind"
as_pg valgrind --quiet --tool=memcheck --trace-children=yes --leak-check=no \
    --error-exitcode=128 --num-callers=40 --read-var-info=no --fullpath-after= \
    --suppressions="$PROFILE_PGTMP/valgrind.supp" \
    --log-file="$VGDIR/%p.log" \
    "$PG_BIN/postgres" -D "$PROFILE_PGTMP/data" -c jit=off > "$PROFILE_PGTMP/server.log" 2>&1 &
for _ in $(seq 1 300); do
    "$PG_BIN/pg_isready" -q -h "$PGHOST" -p "$PGPORT" && break
    sleep 1
done
"$PG_BIN/pg_isready" -h "$PGHOST" -p "$PGPORT"

say "pg_regress under valgrind${tests:+: $tests}"
rm -f regression.diffs regression.out
set +e
if [ -n "$tests" ]; then
    make -s installcheck PG_CONFIG="$PG_CONFIG" ISOLATION= REGRESS="$tests" 2>&1 | tee "$PROFILE_PGTMP/regress.log"
else
    make -s installcheck PG_CONFIG="$PG_CONFIG" ISOLATION= 2>&1 | tee "$PROFILE_PGTMP/regress.log"
fi
regress_rc=${PIPESTATUS[0]}
set -e
[ -f regression.diffs ] && cp regression.diffs "$PROFILE_PGTMP/regression.diffs"

say "stopping the server (valgrind writes its logs)"
as_pg "$PG_BIN/pg_ctl" -D "$PROFILE_PGTMP/data" -m fast -t 600 -w stop >/dev/null || true
wait || true
elapsed=$(( $(date +%s) - started ))

# Each error block in a log starts with a line "==PID== <description>"
# after a blank "==PID== " line, and ends with the next blank one.  It is
# ours when a frame is in profile.so or, as the extension is built with
# -g and valgrind then names source files instead (full paths:
# --fullpath-after=), in this tree's src/.
report=$PROFILE_PGTMP/valgrind-profile.txt
: > "$report"
total=0 ours=0
for f in "$VGDIR"/*.log; do
    [ -s "$f" ] || continue
    counts=$(awk -v report="$report" -v file="$(basename "$f")" -v src="$PROFILE_ROOT/src/" '
        /^==[0-9]+== *$/ { if (block != "") flush(); next }
        /^==[0-9]+== / { block = block $0 "\n"; next }
        END { if (block != "") flush(); print n, m }
        function flush() {
            if (block ~ /(Invalid|uninitialised|Uninitialised|unaddressable|Mismatched|overlap|free)/) {
                n++
                if (block ~ /profile\.so/ || index(block, src) > 0) { m++; printf "--- %s\n%s", file, block >> report }
            }
            block = ""
        }
        BEGIN { n = 0; m = 0 }' "$f")
    total=$((total + ${counts% *}))
    ours=$((ours + ${counts#* }))
done

# keep the logs: the cluster's directory goes on exit
keep=$PROFILE_ROOT/build/valgrind
rm -rf "$keep"; mkdir -p "$keep"
cp -r "$VGDIR" "$report" "$PROFILE_PGTMP/server.log" "$PROFILE_PGTMP/regress.log" "$keep/"
[ -f "$PROFILE_PGTMP/regression.diffs" ] && cp "$PROFILE_PGTMP/regression.diffs" "$keep/"

say "summary"
grep -E '^ *(All [0-9]+ tests passed|[0-9]+ of [0-9]+ tests (failed|passed))' "$PROFILE_PGTMP/regress.log" || echo "pg_regress did not finish"
if [ "$regress_rc" -ne 0 ] && [ -f "$PROFILE_PGTMP/regression.diffs" ]; then
    echo "(output differences under valgrind, first lines:)"
    head -40 "$PROFILE_PGTMP/regression.diffs"
fi
echo "processes checked: $(ls "$VGDIR" | wc -l)"
crashes=$(grep -cE 'terminated by signal|was terminated|PANIC|TRAP:' "$PROFILE_PGTMP/server.log" || true)
echo "server crashes and failed assertions: $crashes"
# a server built with --enable-cassert checks its memory contexts (writes
# past a chunk's end, among others) and warns
ctxwarn=$(grep -ciE 'problem in (alloc set|generation|slab)' "$PROFILE_PGTMP/server.log" || true)
echo "memory context check warnings: $ctxwarn"
if [ "$ours" -gt 0 ]; then
    cat "$report"
fi
echo "valgrind errors: $total in all, $ours in our code; $elapsed s (logs in build/valgrind)"
[ "$ours" -eq 0 ] && [ "$crashes" -eq 0 ] && [ "$ctxwarn" -eq 0 ] && grep -qE 'tests (passed|failed)|All [0-9]+ tests passed' "$PROFILE_PGTMP/regress.log"
