#!/usr/bin/perl
# Cancellation: every function that can run long, on input large enough to
# take seconds, stops with 57014 under statement_timeout and after
# pg_cancel_backend from a second session, and the session is usable
# afterwards.  How long the stop took is printed (diag), never asserted:
# timings do not go into tests.  Needs the running cluster of
# scripts/test.sh (PGHOST, PGPORT).
use strict;
use warnings;
use Test::More;
use Time::HiRes qw(time sleep);

plan skip_all => 'no server (PGHOST/PGPORT unset)' unless $ENV{PGHOST} && $ENV{PGPORT};

$ENV{PGOPTIONS} = '-c client_min_messages=warning';
my $bin = $ENV{PROFILE_PG_BIN} // '/usr/lib/postgresql/15/bin';
my $db = 'profile_cancel';

sub psql_run {
    my ($sql) = @_;
    my $out = `"$bin/psql" -X -q -A -t -v VERBOSITY=verbose -d $db -f - 2>&1 <<'PROFILE_SQL_END'
$sql
PROFILE_SQL_END`;
    return $out;
}

system("$bin/psql", '-X', '-q', '-d', 'postgres', '-c', "DROP DATABASE IF EXISTS $db") == 0 or BAIL_OUT('drop');
system("$bin/psql", '-X', '-q', '-d', 'postgres', '-c', "CREATE DATABASE $db") == 0 or BAIL_OUT('create');
my $setup = psql_run(<<'SQL');
\set ON_ERROR_STOP on
CREATE EXTENSION profile;
CREATE TABLE sales AS
SELECT g % 200000 AS customer_id, timestamptz '2024-01-01' + (g % 700) * interval '1 day' AS ordered_at,
       (g % 97)::numeric AS amount, g AS order_id
FROM generate_series(1, 3000000) g;
CREATE TABLE pts AS
SELECT g AS id, ARRAY[(g::bigint * 7919) % 1000, (g::bigint * 104729) % 997, g % 13]::float8[] AS f
FROM generate_series(1, 300000) g;
SELECT profile.rules_fit('setup_rules', 'SELECT customer_id % 1000, (amount)::int % 20 FROM sales WHERE customer_id < 5000', 0.1, 0.1, 2);
CREATE TABLE clvsum AS
SELECT customer_id, frequency, recency, t, 10.0 + customer_id % 17 AS monetary
FROM profile.clv_bgnbd_simulate(1000000, 0.5, 8, 0.8, 2.5, 30, 90);
ANALYZE sales;
ANALYZE pts;
ANALYZE clvsum;
SQL
ok($setup !~ /ERROR/, 'set-up: 3M sales rows, 300k points, 1M customer summaries') or diag($setup);

# Each runs for seconds when left alone
my @long = (
    ['profile.rfm', q{SELECT count(*) FROM profile.rfm('SELECT customer_id, ordered_at, amount, order_id FROM sales', '2026-01-01')}],
    ['profile.rfm_summary', q{SELECT count(*) FROM (SELECT customer_id, profile.rfm_summary(ordered_at, amount, '2026-01-01', order_id::bigint) FROM sales GROUP BY 1) t}],
    ['profile.behaviour', q{SELECT count(*) FROM (SELECT customer_id, profile.behaviour(ordered_at, amount::float8, (amount % 7)::text) FROM sales GROUP BY 1) t}],
    ['profile.customer_profiles', q{SELECT count(*) FROM profile.customer_profiles('SELECT customer_id, ordered_at, amount, (amount % 7)::text, amount + 1, NULL::text, order_id FROM sales')}],
    ['profile.quantile_score', q{SELECT max(s) FROM (SELECT profile.quantile_score(amount, 5) OVER () AS s FROM sales) t}],
    ['profile.kmeans_fit', q{SELECT * FROM profile.kmeans_fit('cancel_km', 'SELECT id, f FROM pts', 60, n_init => 10)}],
    ['profile.kmeans_fit_scan', q{SELECT * FROM profile.kmeans_fit_scan('cancel_km_scan', 'SELECT id, f FROM pts', 60)}],
    ['profile.kmeans_select_k', q{SELECT * FROM profile.kmeans_select_k('SELECT id, f FROM pts', ARRAY[20, 40, 60])}],
    ['profile.kmeans (aggregate)', q{SELECT length(profile.kmeans(f, 60, '{"n_init": 10}')) FROM pts}],
    ['profile.silhouette', q{SELECT profile.silhouette(f, (id % 5)::int, 300000, 1) FROM pts}],
    ['profile.pca', q{SELECT (profile.pca(f || f || f, 2)).n FROM pts, generate_series(1, 10)}],
    ['profile.clv_summary', q{SELECT count(*) FROM (SELECT customer_id, profile.clv_summary(ordered_at, amount::float8, '2026-01-01', 'week') FROM sales GROUP BY 1) t}],
    ['profile.purchase_cycle', q{SELECT count(*) FROM (SELECT customer_id, profile.purchase_cycle(ordered_at, '2026-01-01') FROM sales GROUP BY 1) t}],
    ['profile.clv_bgnbd (aggregate)', q{SELECT (profile.clv_bgnbd(frequency, recency, t)).r FROM clvsum, generate_series(1, 3)}],
    ['profile.clv_bgnbd_fit_scan', q{SELECT (profile.clv_bgnbd_fit_scan('SELECT customer_id, frequency, recency, t FROM clvsum')).r}],
    ['profile.clv_gammagamma', q{SELECT (profile.clv_gammagamma(frequency, monetary)).p FROM clvsum, generate_series(1, 5)}],
    ['profile.clv_fit', q{SELECT * FROM profile.clv_fit('cancel_clv', 'SELECT customer_id, frequency, recency, t, monetary FROM clvsum')}],
    # 2,000 identical baskets of 40 items: 2^40 itemsets, so mining (not
    # reading) is what runs; the budget is raised so no limit stops it first
    ['profile.frequent_itemsets (FP-growth)', q{SET profile.memory_budget = '4GB'; SELECT count(*) FROM profile.frequent_itemsets('SELECT b, i FROM generate_series(1, 2000) b, generate_series(1, 40) i', 0.5, 32, max_itemsets => 1000000000000)}],
    ['profile.frequent_itemsets (Apriori)', q{SET profile.memory_budget = '4GB'; SELECT count(*) FROM profile.frequent_itemsets('SELECT b, i FROM generate_series(1, 2000) b, generate_series(1, 40) i', 0.5, 32, algorithm => 'apriori', max_itemsets => 1000000000000)}],
    ['profile.frequent_itemsets (Apriori scan path)', q{SELECT count(*) FROM profile.frequent_itemsets('SELECT customer_id, (amount)::int FROM sales', 0.01, algorithm => 'apriori-scan')}],
    ['profile.association_rules', q{SET profile.memory_budget = '4GB'; SELECT count(*) FROM profile.association_rules('SELECT b, i FROM generate_series(1, 2000) b, generate_series(1, 22) i', 0.5, 0, 32, max_itemsets => 1000000000000, max_rules => 1000000000000)}],
    ['profile.rules_fit', q{SET profile.memory_budget = '4GB'; SELECT * FROM profile.rules_fit('cancel_rules2', 'SELECT b, i FROM generate_series(1, 2000) b, generate_series(1, 22) i', 0.5, 0, 32, max_itemsets => 1000000000000, max_rules => 1000000000000)}],
    ['profile.recommend_customers', q{SELECT count(*) FROM profile.recommend_customers('setup_rules', 'SELECT customer_id, (amount)::int % 20 FROM sales')}],
    ['profile.cohorts', q{SELECT count(*) FROM profile.cohorts('SELECT customer_id, ordered_at, amount FROM sales')}],
    ['profile.segment_snapshot', q{SELECT * FROM profile.segment_snapshot('cancel_snapshot', 'SELECT order_id, customer_id % 7 FROM sales')}],
    ['profile.clv_bgnbd_simulate', q{SELECT count(*) FROM profile.clv_bgnbd_simulate(20000000, 0.5, 8, 0.8, 2.5, 30, 90)}],
);

for my $case (@long) {
    my ($name, $sql) = @$case;
    my $start = time;
    my $out = psql_run("SET statement_timeout = '100ms';\n$sql;\nRESET statement_timeout;\nSELECT 'alive';");
    my $elapsed = time - $start;
    ok($out =~ /ERROR:\s+57014/ && $out =~ /alive/, "$name stops with 57014 at statement_timeout (100 ms), the session goes on")
      or diag($out);
    diag(sprintf('%s: statement_timeout 100 ms, stopped after %.0f ms (psql round trip included)', $name, 1000 * $elapsed));
}

# pg_cancel_backend from a second session
{
    my $start = time;
    my $pid = open(my $fh, '-|');
    die "fork: $!" unless defined $pid;
    if ($pid == 0) {
        exec("$bin/psql", '-X', '-q', '-A', '-t', '-v', 'VERBOSITY=verbose', '-d', $db,
             '-c', "SET application_name = 'profile_cancel_me'",
             '-c', "SELECT * FROM profile.kmeans_fit('cancel_km2', 'SELECT id, f FROM pts', 60, n_init => 20)",
             '-c', "SELECT 'alive'")
          or die "exec: $!";
    }
    my $cancelled = '';
    for (1 .. 100) {
        sleep 0.1;
        $cancelled = `"$bin/psql" -X -q -A -t -d $db -c "SELECT pg_cancel_backend(pid) FROM pg_stat_activity WHERE application_name = 'profile_cancel_me' AND state = 'active'"`;
        last if $cancelled =~ /t/;
    }
    local $/;
    my $out = <$fh> // '';
    close $fh;
    my $elapsed = time - $start;
    ok($cancelled =~ /t/, 'a second session found the fit running and cancelled it');
    # psql prints the error on stderr, which this pipe does not capture;
    # the fit must not have completed, and the session must go on
    ok($out !~ /cancel_km2/ && $out =~ /alive/, 'the fit stopped and the session answered afterwards') or diag($out);
    diag(sprintf('pg_cancel_backend: whole round %.0f ms', 1000 * $elapsed));
}

is(`"$bin/psql" -X -q -A -t -d $db -c "SELECT count(*) FROM profile.models WHERE name LIKE 'cancel%'"` =~ s/\s+//gr,
   '0', 'no cancelled fit stored a model');

is(`"$bin/psql" -X -q -A -t -d $db -c "SELECT count(*) FROM profile.segment_snapshots"` =~ s/\s+//gr,
   '0', 'no cancelled snapshot stored a row');

system("$bin/psql", '-X', '-q', '-d', 'postgres', '-c', "DROP DATABASE $db");
done_testing();
