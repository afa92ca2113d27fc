#!/usr/bin/env bash
# scripts/test.sh: every test of the extension, from nothing.
#
# Installs what is missing (apt-get, as root), builds with warnings as
# errors, installs, starts a throw-away cluster on 127.0.0.1, then runs
#   1. pg_regress  (sql/ + expected/, make installcheck)
#   2. isolation   (specs/ + expected/, pg_isolation_regress, make installcheck)
#   3. TAP tests   (test/*.sql through pgTAP, test/*.pl through Perl;
#                   test/jdbc.pl compiles and runs a Java JDBC client)
#   4. the Debian package: built from a clean copy of the tree with
#      dpkg-buildpackage, installed into the system PostgreSQL 15 with
#      apt-get, pg_regress (sql/) against it, removed (lib.sh's deb_stage);
#      skipped, with the reason printed, when PROFILE_PG_BIN is another
#      PostgreSQL or when not root
# and prints their summaries and one line "N passed, N failed" (skipped TAP
# tests count as neither and are counted on a line of their own).  Exits
# non-zero when any test fails; prints regression.diffs when pg_regress or
# pg_isolation_regress fails.
#
# Usage: scripts/test.sh

source "$(dirname "$0")/lib.sh"
cd "$PROFILE_ROOT"

PROFILE_PACKAGES+=("${PROFILE_TEST_PACKAGES[@]}")
deb_skip=$(deb_skip_reason)
[ -z "$deb_skip" ] && PROFILE_PACKAGES+=("${PROFILE_DEB_PACKAGES[@]}")
install_deps
install_optional "${PROFILE_BROWSER_PACKAGES[@]}"
build_install "-Wall -Wextra -Werror -Wno-unused-parameter -DUSE_ASSERT_CHECKING"
start_cluster

LOGDIR=$PROFILE_PGTMP/logs
mkdir -p "$LOGDIR"

# make installcheck runs both suites, but stops at the first that fails:
# run them one at a time (an empty REGRESS or ISOLATION skips that suite)
say "pg_regress"
rm -f regression.diffs regression.out
set +e
make -s installcheck PG_CONFIG="$PG_CONFIG" ISOLATION= 2>&1 | tee "$LOGDIR/regress.log"
regress_rc=${PIPESTATUS[0]}
set -e
if [ "$regress_rc" -ne 0 ] && [ -f regression.diffs ]; then
    say "regression.diffs"
    cat regression.diffs
fi

say "pg_isolation_regress"
rm -rf output_iso
set +e
make -s installcheck PG_CONFIG="$PG_CONFIG" REGRESS= 2>&1 | tee "$LOGDIR/isolation.log"
isolation_rc=${PIPESTATUS[0]}
set -e
if [ "$isolation_rc" -ne 0 ] && [ -f output_iso/regression.diffs ]; then
    say "output_iso/regression.diffs"
    cat output_iso/regression.diffs
fi

say "TAP tests (pgTAP and Perl)"
psql -X -q -d postgres -c "CREATE DATABASE profile_tap"
psql -X -q -d profile_tap -c "CREATE EXTENSION pgtap; CREATE EXTENSION profile;"
# the generator's planted-structure tests read this small data set
generate_retail profile_tap retail --customers 1500 --days 730 --products 200 --seed 42
export PROFILE_TAP_DB=profile_tap
set +e
prove -v --norc --timer \
    --source pgTAP --pgtap-option dbname=profile_tap \
    --pgtap-option host="$PGHOST" --pgtap-option port="$PGPORT" \
    --pgtap-option username="$PGUSER" --pgtap-option psql="$PG_BIN/psql" \
    --source Perl --ext .sql --ext .pl test/ 2>&1 | tee "$LOGDIR/tap.log"
tap_rc=${PIPESTATUS[0]}
set -e

say "Debian package (postgresql-15-profile)"
deb_rc=0
if [ -n "$deb_skip" ]; then
    echo "$deb_skip" | tee "$LOGDIR/deb.log"
else
    deb_stage "$LOGDIR/deb.log" || deb_rc=$?
    # removing the package took the extension's files with it: put this
    # tree's build back, as build_install left it
    make -s PG_CONFIG="$PG_CONFIG" install >/dev/null
fi

# Counts: pg_regress and isolation tests, and TAP assertions (a run or a
# TAP file that failed without a failing test counts as one failure)
regress_passed=$(grep -cE '^(ok|test|     ) .*\.\.\. ok' "$LOGDIR/regress.log" || true)
regress_failed=$(grep -cE '\.\.\. FAILED' "$LOGDIR/regress.log" || true)
if [ "$regress_rc" -ne 0 ] && [ "$regress_failed" -eq 0 ]; then regress_failed=1; fi
isolation_passed=$(grep -cE '^(ok|test|     ) .*\.\.\. ok' "$LOGDIR/isolation.log" || true)
isolation_failed=$(grep -cE '\.\.\. FAILED' "$LOGDIR/isolation.log" || true)
if [ "$isolation_rc" -ne 0 ] && [ "$isolation_failed" -eq 0 ]; then isolation_failed=1; fi
# a skipped test (ok N # skip: what it needs is absent, the reason given)
# and a TODO test (a known gap, named in its test) are neither passed nor
# failed; skips are counted on their own
tap_passed=$(grep -E '^ok [0-9]' "$LOGDIR/tap.log" | grep -vic '# skip' || true)
tap_skipped=$(grep -E '^ok [0-9]' "$LOGDIR/tap.log" | grep -ic '# skip' || true)
tap_failed=$(grep -E '^not ok [0-9]' "$LOGDIR/tap.log" | grep -vc '# TODO' || true)
if [ "$tap_rc" -ne 0 ] && [ "$tap_failed" -eq 0 ]; then tap_failed=1; fi
deb_passed=$(grep -cE '^(ok|test|     ) .*\.\.\. ok' "$LOGDIR/deb.log" || true)
deb_failed=$(grep -cE '\.\.\. FAILED' "$LOGDIR/deb.log" || true)
if [ "$deb_rc" -ne 0 ] && [ "$deb_failed" -eq 0 ]; then deb_failed=1; fi

say "summary"
echo "pg_regress:"
grep -B1 -A1 -E '^ *(All [0-9]+ tests passed|[0-9]+ of [0-9]+ tests (failed|passed))' "$LOGDIR/regress.log" || echo " pg_regress did not finish"
echo "pg_isolation_regress:"
grep -B1 -A1 -E '^ *(All [0-9]+ tests passed|[0-9]+ of [0-9]+ tests (failed|passed))' "$LOGDIR/isolation.log" || echo " pg_isolation_regress did not finish"
echo "TAP:"
sed -n '/^Test Summary Report/,$p; /^All tests successful/,$p' "$LOGDIR/tap.log"
echo "Debian package (pg_regress against the installed .deb):"
if [ -n "$deb_skip" ]; then
    echo " $deb_skip"
else
    grep -E '^(package|Depends):' "$LOGDIR/deb.log" | sed 's/^/ /' || true
    grep -B1 -A1 -E '^ *(All [0-9]+ tests passed|[0-9]+ of [0-9]+ tests (failed|passed))' "$LOGDIR/deb.log" || echo " the package stage did not finish"
    grep -E '^package build' "$LOGDIR/deb.log" | sed 's/^/ /' || true
fi
echo
[ "$tap_skipped" -gt 0 ] && echo "TAP: $tap_skipped skipped (see the # skip lines above for why)"
echo "$((regress_passed + isolation_passed + tap_passed + deb_passed)) passed, $((regress_failed + isolation_failed + tap_failed + deb_failed)) failed"

[ "$regress_rc" -eq 0 ] && [ "$isolation_rc" -eq 0 ] && [ "$tap_rc" -eq 0 ] && [ "$deb_rc" -eq 0 ]
