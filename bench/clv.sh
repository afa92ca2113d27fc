#!/usr/bin/env bash
# bench/clv.sh: BG/NBD fit in the database vs SciPy, and CLV scoring
# throughput vs a plain scan.  See bench/README.md.
#
# Data: the CDNOW sample of Fader, Hardie & Lee (2005) from ../shared/data
# (2,357 customers, 39 weeks to 1997-09-30, weeks), the same rows
# replicated 10 times (23,570), and 1,000,000 customers simulated from
# r 0.243, alpha 4.414, a 0.793, b 2.426 over 20 to 80 weeks (seeded),
# with a float8 monetary value as profile.clv_summary gives.
# Needs /usr/bin/python3 with numpy, scipy and psycopg2 (Debian
# python3-numpy python3-scipy python3-psycopg2).
#
# Usage: bench/clv.sh        (PROFILE_PG_BIN selects another PostgreSQL 15)
source "$(dirname "$0")/../scripts/lib.sh"
cd "$PROFILE_ROOT"

data=${PROFILE_DATA:-$PROFILE_ROOT/../shared/data}/cdnow_sample.txt.gz
[ -f "$data" ] || { echo "CDNOW sample not found: $data" >&2; exit 1; }

install_deps
build_install "-O2"
start_cluster
psql -X -q -d postgres -c "CREATE DATABASE profile_bench"
q() { psql -X -q -v ON_ERROR_STOP=1 -d profile_bench "$@"; }

say "loading: CDNOW sample, x 10, 1M simulated customers"
q <<SQL
SET client_min_messages = warning;
CREATE EXTENSION profile;
CREATE TABLE cdnow_tx (customer_id int, sample_id int, ordered_at date, cds int, amount numeric);
\copy cdnow_tx FROM PROGRAM 'zcat $data | awk ''{print \$1","\$2","\$3","\$4","\$5}''' CSV
CREATE TABLE cdnow AS
SELECT customer_id, (s).frequency::float8 AS frequency, (s).recency, (s).t, (s).monetary
FROM (SELECT customer_id, profile.clv_summary(ordered_at, amount::float8, '1997-09-30', 'week') AS s
      FROM cdnow_tx GROUP BY customer_id) x;
CREATE TABLE cdnow10 AS SELECT c.customer_id * 10 + k AS customer_id, frequency, recency, t, monetary
FROM cdnow c, generate_series(0, 9) k;
CREATE TABLE sim1m AS
SELECT customer_id, frequency::float8 AS frequency, recency, t, (10 + (customer_id * 7919) % 50)::float8 AS monetary
FROM profile.clv_bgnbd_simulate(1000000, 0.243, 4.414, 0.793, 2.426, 20, 80, seed => 42);
VACUUM (FREEZE, ANALYZE) cdnow, cdnow10, sim1m;
SELECT model FROM profile.clv_fit('bench_clv', 'SELECT customer_id, frequency, recency, t, monetary FROM cdnow', 'week');
SQL

say "fits and scoring"
PGDATABASE=profile_bench /usr/bin/python3 bench/clv_scipy.py
