# scripts/lib.sh: what the demo, the tests and the benchmarks share.
#
# Sourced, not run.  Provides:
#   install_deps        apt-get what is missing (root), never starts a server
#   install_optional    the same for packages a run can do without
#   build_install       build the extension (and the data generator), install it
#   start_cluster       a throw-away PostgreSQL 15 on 127.0.0.1 and a free port,
#                       run as the postgres OS user, stopped by a trap on exit
#   generate_retail     the deterministic retail data set, loaded by psql
#   deb_stage           build the Debian package from a clean copy of the
#                       tree, install it into the system PostgreSQL 15 and
#                       run pg_regress against it (scripts/test.sh's last stage)
# and exports PGHOST/PGPORT/PGUSER for psql, pg_regress and pg_prove, and
# PROFILE_PYTHON for scripts/report.py.

set -euo pipefail

PROFILE_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# PROFILE_PG_BIN: another (relocated) PostgreSQL 15, e.g. for parallel work
PG_BIN=${PROFILE_PG_BIN:-/usr/lib/postgresql/15/bin}
export PROFILE_PG_BIN=$PG_BIN
PG_CONFIG=$PG_BIN/pg_config
export PG_CONFIG

# Debian packages everything here needs
PROFILE_PACKAGES=(
    postgresql-15 postgresql-server-dev-15 postgresql-15-pgtap
    libtap-parser-sourcehandler-pgtap-perl perl
    liblapack-dev libblas-dev make gcc libc6-dev
    python3 python3-psycopg2
)
# and what the test command adds (scripts/test.sh): test/jdbc.pl runs the
# README's dashboard queries as a BI tool does, through Java and the
# PostgreSQL JDBC driver
PROFILE_TEST_PACKAGES=(default-jdk-headless libpostgresql-jdbc-java)
# and, when it can: a browser to render the HTML report (test/report.pl,
# which skips without it)
PROFILE_BROWSER_PACKAGES=(chromium fonts-dejavu-core)
# the Python that has python3-psycopg2 (Debian's, not one first on PATH)
export PROFILE_PYTHON=${PROFILE_PYTHON:-/usr/bin/python3}

# What building the Debian package needs besides PROFILE_PACKAGES (debian/
# control's Build-Depends, and build-essential, which dpkg-buildpackage
# always requires): the scripts that build it add these
PROFILE_DEB_PACKAGES=(build-essential debhelper dpkg-dev fakeroot postgresql-server-dev-all)
SYSTEM_PG_BIN=/usr/lib/postgresql/15/bin

say() { printf '\n==> %s\n' "$*"; }

install_deps() {
    local missing=()
    local p
    for p in "${PROFILE_PACKAGES[@]}"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$p")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    if [ "$(id -u)" -ne 0 ]; then
        echo "missing Debian packages: ${missing[*]}; run as root, or install them first" >&2
        exit 1
    fi
    say "installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    # Installing postgresql-15 would also create and start a 'main' cluster
    # on 5432; we only ever run throw-away clusters.  So, as Debian's own
    # PostgreSQL images do, install postgresql-common first and turn that
    # off before the server package arrives.
    if ! dpkg-query -W -f='${Status}' postgresql-15 2>/dev/null | grep -q 'ok installed'; then
        apt-get install -y -qq --no-install-recommends postgresql-common >/dev/null
        sed -ri 's/^#?[[:space:]]*create_main_cluster[[:space:]]*=.*/create_main_cluster = false/' \
            /etc/postgresql-common/createcluster.conf
    fi
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# install_optional PACKAGE...: apt-get what is missing when root and
# possible; says so and carries on when not
install_optional() {
    local missing=()
    local p
    for p in "$@"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$p")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    if [ "$(id -u)" -eq 0 ]; then
        say "installing ${missing[*]}"
        export DEBIAN_FRONTEND=noninteractive
        if apt-get update -qq && apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null; then
            return 0
        fi
    fi
    echo "could not install ${missing[*]}: the tests that need them skip" >&2
}

# Build flags: warnings are errors in the test run (and so in CI)
build_install() {
    local cflags=${1:-}
    say "building and installing the extension"
    # make does not see a change of flags: objects built without -Werror
    # would hide warnings from the test build.  Nor a change of server
    # (PROFILE_PG_BIN): its headers differ (a cassert build's, say).
    # Rebuild when either changes.
    local key="$PG_CONFIG $cflags"
    mkdir -p "$PROFILE_ROOT/build"
    if [ "$(cat "$PROFILE_ROOT/build/.cflags" 2>/dev/null)" != "$key" ]; then
        make -C "$PROFILE_ROOT" -s PG_CONFIG="$PG_CONFIG" clean >/dev/null
        mkdir -p "$PROFILE_ROOT/build"
        printf '%s' "$key" > "$PROFILE_ROOT/build/.cflags"
    fi
    make -C "$PROFILE_ROOT" -s -j2 PG_CONFIG="$PG_CONFIG" PG_CFLAGS="$cflags" all build/retailgen
    make -C "$PROFILE_ROOT" -s PG_CONFIG="$PG_CONFIG" install >/dev/null
}

# Run a command as the postgres OS user when we are root
as_pg() {
    if [ "$(id -u)" -eq 0 ]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

free_port() {
    perl -MIO::Socket::INET -e \
        'my $s = IO::Socket::INET->new(Listen => 1, LocalAddr => "127.0.0.1", LocalPort => 0) or die; print $s->sockport'
}

PROFILE_PGTMP=""

stop_cluster() {
    if [ -n "$PROFILE_PGTMP" ] && [ -d "$PROFILE_PGTMP/data" ]; then
        as_pg "$PG_BIN/pg_ctl" -D "$PROFILE_PGTMP/data" -m immediate -w stop >/dev/null 2>&1 || true
    fi
    [ -n "$PROFILE_PGTMP" ] && rm -rf "$PROFILE_PGTMP"
    PROFILE_PGTMP=""
}

start_cluster() {
    if [ "$(id -u)" -eq 0 ] && ! id postgres >/dev/null 2>&1; then
        useradd --system --user-group --home-dir /var/lib/postgresql --shell /bin/bash postgres
    fi
    PROFILE_PGTMP=$(mktemp -d /tmp/profile-pg.XXXXXX)
    chmod 755 "$PROFILE_PGTMP"
    [ "$(id -u)" -eq 0 ] && chown postgres: "$PROFILE_PGTMP"
    trap stop_cluster EXIT
    trap 'exit 130' INT TERM

    local port
    port=$(free_port)
    as_pg "$PG_BIN/initdb" -D "$PROFILE_PGTMP/data" -U postgres -A trust \
        --encoding=UTF8 --locale=C --no-sync >/dev/null
    cat >> "$PROFILE_PGTMP/data/postgresql.conf" <<EOF
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$PROFILE_PGTMP'
fsync = off
synchronous_commit = off
full_page_writes = off
timezone = 'UTC'
shared_buffers = '256MB'
max_wal_size = '4GB'
EOF
    as_pg "$PG_BIN/pg_ctl" -D "$PROFILE_PGTMP/data" -l "$PROFILE_PGTMP/server.log" -w start >/dev/null
    export PGHOST=127.0.0.1 PGPORT=$port PGUSER=postgres
    say "throw-away PostgreSQL 15 running on 127.0.0.1:$port (data in $PROFILE_PGTMP)"
}

# generate_retail DB SCHEMA [retailgen options...]
generate_retail() {
    local db=$1 schema=$2
    shift 2
    "$PROFILE_ROOT/build/retailgen" --schema "$schema" "$@" |
        psql -X -q -v ON_ERROR_STOP=1 -d "$db" >/dev/null
}

# Why the Debian package stage cannot run here (nothing when it can).  The
# package installs into the system PostgreSQL 15 only, with apt-get.
deb_skip_reason() {
    if [ "$(readlink -f "$PG_BIN")" != "$(readlink -f "$SYSTEM_PG_BIN")" ]; then
        echo "skipped: PROFILE_PG_BIN=$PG_BIN is not the system PostgreSQL ($SYSTEM_PG_BIN), and the package installs into the system server only"
    elif [ "$(id -u)" -ne 0 ]; then
        echo "skipped: installing the package takes apt-get as root"
    fi
}

# deb_build DIR: build postgresql-15-profile_VERSION_ARCH.deb in DIR from a
# clean copy of the tree in DIR/profile-VERSION: the files git knows and the
# untracked ones it does not ignore, as they are in the work tree (so
# uncommitted changes are built too), or, outside a git checkout, the whole
# tree less what make clean removes.  The build writes nothing into the work
# tree or its parent.  Sets DEB_SRC and DEB_FILE; the log is DIR/build.log.
deb_build() {
    local dir=$1 version
    version=$(cd "$PROFILE_ROOT" && dpkg-parsechangelog -S Version)
    DEB_SRC=$dir/profile-$version
    rm -rf "$DEB_SRC"
    mkdir -p "$DEB_SRC"
    if git -C "$PROFILE_ROOT" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
        (cd "$PROFILE_ROOT" && git ls-files -z --cached --others --exclude-standard |
            while IFS= read -r -d '' f; do [ -e "$f" ] && printf '%s\0' "$f"; done |
            tar --null -T - -cf -) | tar -xf - -C "$DEB_SRC"
    else
        cp -a "$PROFILE_ROOT"/. "$DEB_SRC"
        make -C "$DEB_SRC" -s PG_CONFIG="$SYSTEM_PG_BIN/pg_config" clean >/dev/null
    fi
    if ! (cd "$DEB_SRC" && dpkg-buildpackage -us -uc -b -j2) >"$dir/build.log" 2>&1; then
        tail -n 40 "$dir/build.log"
        echo "dpkg-buildpackage failed (log: $dir/build.log)" >&2
        return 1
    fi
    DEB_FILE=$(ls "$dir"/postgresql-15-profile_"$version"_*.deb)
}

# deb_remove: remove the package if it is installed (its files go with it)
deb_remove() {
    if dpkg-query -W -f='${Status}' postgresql-15-profile 2>/dev/null | grep -q 'ok installed'; then
        dpkg -r postgresql-15-profile >/dev/null
    fi
}

# deb_stage LOG: the Debian package test, its output also in LOG.  Builds
# the package (deb_build), installs it with apt-get into the system server
# (which resolves its Depends; an installed profile package is removed first,
# as apt would keep one of the same version), checks with dpkg --verify that
# the server's files are the package's, and runs the sql/ suite (make
# installcheck with the Makefile's REGRESS and REGRESS_OPTS, no isolation
# tests) from the clean copy against the running cluster (PGHOST, PGPORT).
# The package is removed at the end.  Returns non-zero when a step fails.
deb_stage() {
    local log=$1 dir rc
    dir=$(mktemp -d /tmp/profile-deb.XXXXXX)
    set +e
    deb_stage_run "$dir" 2>&1 | tee "$log"
    rc=${PIPESTATUS[0]}
    set -e
    rm -rf "$dir"
    return "$rc"
}

deb_stage_run() {
    local dir=$1 rc=0 t0=$SECONDS t1
    echo "building the package from a clean copy in $dir"
    deb_build "$dir" || return 1
    t1=$SECONDS
    echo "built in $((t1 - t0)) s:"
    ls -l "$DEB_FILE"
    echo "package: $(basename "$DEB_FILE"), $(stat -c %s "$DEB_FILE") bytes"
    dpkg-deb -f "$DEB_FILE" Package Version Architecture Installed-Size Depends
    deb_remove
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$DEB_FILE" >"$dir/apt.log" 2>&1 || rc=1
    grep -E '^(Selecting|Setting up|E:)' "$dir/apt.log"
    if [ "$rc" -ne 0 ] || ! dpkg --verify postgresql-15-profile; then
        cat "$dir/apt.log"
        echo "the package did not install"
        deb_remove
        return 1
    fi
    echo "installed: $(dpkg -L postgresql-15-profile | grep -cE '\.(so|sql|control)$') files (.so, .sql, .control) in $(dirname "$SYSTEM_PG_BIN") and /usr/share/postgresql/15, as packaged (dpkg --verify)"
    echo "pg_regress against the installed package"
    make -C "$DEB_SRC" -s installcheck PG_CONFIG="$SYSTEM_PG_BIN/pg_config" ISOLATION= || rc=1
    if [ "$rc" -ne 0 ] && [ -f "$DEB_SRC/regression.diffs" ]; then
        echo "== regression.diffs"
        cat "$DEB_SRC/regression.diffs"
    fi
    deb_remove
    echo "package build $((t1 - t0)) s, whole stage $((SECONDS - t0)) s"
    return "$rc"
}
