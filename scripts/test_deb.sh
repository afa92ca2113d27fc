#!/usr/bin/env bash
# scripts/test_deb.sh: the Debian package test of scripts/test.sh alone.
#
# As root, on Debian 12: installs what is missing (the build dependencies
# of debian/control too), starts a throw-away cluster of the system
# PostgreSQL 15, builds postgresql-15-profile_VERSION_ARCH.deb from a clean
# copy of the tree (dpkg-buildpackage -us -uc -b, in a temporary directory),
# installs it with apt-get, runs pg_regress (sql/) against it and removes
# the package again.  The extension files that a make install had put into
# the system server go with the package: run make install (or
# scripts/test.sh, which puts them back) to have them again.
#
# Usage: scripts/test_deb.sh

source "$(dirname "$0")/lib.sh"
cd "$PROFILE_ROOT"

deb_skip=$(deb_skip_reason)
if [ -n "$deb_skip" ]; then
    echo "$deb_skip"
    exit 0
fi
PROFILE_PACKAGES+=("${PROFILE_DEB_PACKAGES[@]}")
install_deps
start_cluster
say "Debian package (postgresql-15-profile)"
log=$(mktemp /tmp/profile-deb-log.XXXXXX)
rc=0
deb_stage "$log" || rc=$?
passed=$(grep -cE '^(ok|test|     ) .*\.\.\. ok' "$log" || true)
failed=$(grep -cE '\.\.\. FAILED' "$log" || true)
if [ "$rc" -ne 0 ] && [ "$failed" -eq 0 ]; then failed=1; fi
rm -f "$log"
echo
echo "$passed passed, $failed failed"
exit "$rc"
