# scripts/lib.sh: what the demo, the tests and the benchmarks share.
#
# Sourced, not run.  Provides:
#   install_deps        apt-get what is missing (root), never starts a server
#   build_install       build the extension (and the data generator), install it
#   start_cluster       a throw-away PostgreSQL 15 on 127.0.0.1 and a free port,
#                       run as the postgres OS user, stopped by a trap on exit
#   generate_retail     the deterministic retail data set, loaded by psql
# and exports PGHOST/PGPORT/PGUSER for psql, pg_regress and pg_prove.

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
)
# and what the test command adds (scripts/test.sh): test/jdbc.pl runs the
# README's dashboard queries as a BI tool does, through Java and the
# PostgreSQL JDBC driver
PROFILE_TEST_PACKAGES=(default-jdk-headless libpostgresql-jdbc-java)

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
