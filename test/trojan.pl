#!/usr/bin/perl
# A "trojan" install: hostile look-alikes of the built-in functions and
# operators the extension uses are planted in schema public (first on the
# search_path) before CREATE EXTENSION, and in pg_temp; they raise when
# called.  The
# install, and a run of every capability, must call none of them.  Needs
# the running cluster of scripts/test.sh (PGHOST, PGPORT).
use strict;
use warnings;
use Test::More;

plan skip_all => 'no server (PGHOST/PGPORT unset)' unless $ENV{PGHOST} && $ENV{PGPORT};

$ENV{PGOPTIONS} = '-c client_min_messages=warning';
my $bin = $ENV{PROFILE_PG_BIN} // '/usr/lib/postgresql/15/bin';
my $db = 'profile_trojan';

sub psql {
    my ($d, $sql) = @_;
    my $out = `"$bin/psql" -X -q -A -t -v ON_ERROR_STOP=1 -d $d -c "SET search_path = public, pg_catalog" -f - 2>&1 <<'PROFILE_SQL_END'
$sql
PROFILE_SQL_END`;
    my $ok = $? == 0;
    $out =~ s{\n+\z}{};
    return ($ok, $out);
}

system("$bin/psql", '-X', '-q', '-d', 'postgres', '-c', "DROP DATABASE IF EXISTS $db") == 0 or BAIL_OUT('drop');
system("$bin/psql", '-X', '-q', '-d', 'postgres', '-c', "CREATE DATABASE $db") == 0 or BAIL_OUT('create');

# Look-alikes with exact argument types, so they would win over the
# built-ins for unqualified calls on a search_path that puts public first
my ($ok, $out) = psql($db, <<'SQL');
CREATE FUNCTION public.trap() RETURNS boolean LANGUAGE plpgsql AS
$$BEGIN RAISE EXCEPTION 'trojan called'; END$$;
CREATE FUNCTION public.textequal(text, text) RETURNS boolean LANGUAGE sql AS 'SELECT public.trap()';
CREATE OPERATOR public.= (LEFTARG = text, RIGHTARG = text, FUNCTION = public.textequal);
CREATE FUNCTION public.regexeq(text, text) RETURNS boolean LANGUAGE sql AS 'SELECT public.trap()';
CREATE OPERATOR public.~ (LEFTARG = text, RIGHTARG = text, FUNCTION = public.regexeq);
CREATE FUNCTION public.int4ge(integer, integer) RETURNS boolean LANGUAGE sql AS 'SELECT public.trap()';
CREATE OPERATOR public.>= (LEFTARG = integer, RIGHTARG = integer, FUNCTION = public.int4ge);
CREATE FUNCTION public.int4le(integer, integer) RETURNS boolean LANGUAGE sql AS 'SELECT public.trap()';
CREATE OPERATOR public.<= (LEFTARG = integer, RIGHTARG = integer, FUNCTION = public.int4le);
CREATE FUNCTION public.textne(text, text) RETURNS boolean LANGUAGE sql AS 'SELECT public.trap()';
CREATE OPERATOR public.<> (LEFTARG = text, RIGHTARG = text, FUNCTION = public.textne);
CREATE FUNCTION public.now() RETURNS timestamptz LANGUAGE sql AS 'SELECT CASE WHEN public.trap() THEN now() END';
CREATE FUNCTION public.count(bigint) RETURNS bigint LANGUAGE sql AS 'SELECT CASE WHEN public.trap() THEN 1::bigint END';
CREATE FUNCTION public.sum(double precision) RETURNS double precision LANGUAGE sql AS 'SELECT CASE WHEN public.trap() THEN 1::float8 END';
CREATE FUNCTION public.avg(double precision) RETURNS double precision LANGUAGE sql AS 'SELECT CASE WHEN public.trap() THEN 1::float8 END';
CREATE FUNCTION public.float8div(double precision, double precision) RETURNS double precision LANGUAGE sql AS 'SELECT CASE WHEN public.trap() THEN 1::float8 END';
CREATE OPERATOR public./ (LEFTARG = double precision, RIGHTARG = double precision, FUNCTION = public.float8div);
SQL
ok($ok, 'hostile look-alikes planted in public') or diag($out);

# the planted operators really are picked by unqualified SQL
($ok, $out) = psql($db, "SELECT 'a'::text = 'a'::text");
ok(!$ok && $out =~ /trojan called/, 'an unqualified = on text reaches the trap') or diag($out);

($ok, $out) = psql($db, 'CREATE EXTENSION profile');
ok($ok, 'CREATE EXTENSION calls none of them') or diag($out);

# every capability, run with public first on the search_path
my @runs = (
    ['RFM one call and segment summary', q{
        SELECT count(*) FROM profile.rfm('SELECT g % 20, timestamptz ''2025-01-01'' + g * interval ''1 day'', g::numeric, g FROM generate_series(1, 200) g', '2026-01-01');
        SELECT count(*) FROM profile.rfm_segment_summary('SELECT g % 20, timestamptz ''2025-01-01'' + g * interval ''1 day'', g::numeric, g FROM generate_series(1, 200) g', '2026-01-01');}],
    ['RFM models and segment maps', q{
        SELECT model FROM profile.rfm_fit('trojan_rfm', 'SELECT g % 20, timestamptz ''2025-01-01'' + g * interval ''1 day'', g::numeric, g FROM generate_series(1, 200) g', '2026-01-01');
        SELECT (profile.rfm_score('trojan_rfm', 3, 5, 100)).segment;
        SELECT count(*) FROM profile.rfm_boundaries;
        BEGIN;
        INSERT INTO profile.rfm_segment_maps (name, bins, default_segment) VALUES ('trojan_map', 2, 'rest');
        INSERT INTO profile.rfm_segment_rules (segment_map, priority, segment, r_min) VALUES ('trojan_map', 1, 'recent', 2);
        COMMIT;
        SELECT profile.rfm_segment('trojan_map', 2, 1, 1);}],
    ['RFM building blocks', q{
        SELECT (profile.rfm_summary(timestamptz '2025-01-01' + g * interval '1 day', g, '2026-01-01', g::bigint)).frequency FROM generate_series(1, 10) g;
        SELECT max(s) FROM (SELECT profile.quantile_score(g, 5) OVER () AS s FROM generate_series(1, 10) g) t;}],
    ['k-means', q{
        SELECT model FROM profile.kmeans_fit('trojan_km', 'SELECT g, ARRAY[g % 7, g % 5]::float8[] FROM generate_series(1, 100) g', 3);
        SELECT model FROM profile.kmeans_fit_scan('trojan_km_scan', 'SELECT g, ARRAY[g % 7, g % 5]::float8[] FROM generate_series(1, 100) g', 3);
        SELECT count(*) FROM profile.kmeans_select_k('SELECT g, ARRAY[g % 7, g % 5]::float8[] FROM generate_series(1, 100) g', ARRAY[2, 3]);
        INSERT INTO profile.kmeans_labels VALUES ('trojan_km', 1, 'one');
        SELECT (profile.kmeans_assign_detail('trojan_km', ARRAY[1.0, 2.0])).label;
        SELECT count(*) FROM profile.kmeans_centroids;
        SELECT profile.kmeans_save('trojan_km_agg', profile.kmeans(ARRAY[g % 7, g % 5]::float8[], 3)) FROM generate_series(1, 100) g;}],
    ['cluster quality and PCA', q{
        SELECT profile.silhouette(ARRAY[g % 7]::float8[], g % 2), profile.davies_bouldin(ARRAY[g % 7]::float8[], g % 2),
               profile.calinski_harabasz(ARRAY[g % 7]::float8[], g % 2) FROM generate_series(1, 50) g;
        SELECT profile.pca_project(ARRAY[1.0, 2.0], (SELECT profile.pca(ARRAY[g, g % 3]::float8[], 1) FROM generate_series(1, 20) g));}],
    ['frequent itemsets, rules and recommendations', q{
        SELECT count(*) FROM profile.frequent_itemsets('SELECT g % 40, (g % 7)::text FROM generate_series(1, 400) g', 0.1, target => 'closed');
        SELECT count(*) FROM profile.frequent_itemsets('SELECT g % 40, g % 7 FROM generate_series(1, 400) g', 0.1, algorithm => 'apriori');
        SELECT count(*) FROM profile.frequent_itemsets('SELECT g % 40, (g % 7)::text FROM generate_series(1, 400) g', 0.1, algorithm => 'apriori-scan');
        SELECT count(*) FROM profile.association_rules('SELECT g % 40, (g % 7)::text FROM generate_series(1, 400) g', 0.1, 0.1,
                                                       thresholds => '{"lift": 0}', consequent_in => '{1,2}', prune_redundant => true);
        SELECT rules FROM profile.rules_fit('trojan_rules', 'SELECT g % 40, (g % 7)::text FROM generate_series(1, 400) g', 0.1, 0.1);
        SELECT count(*) FROM profile.rules WHERE model OPERATOR(pg_catalog.=) 'trojan_rules';
        SELECT count(*) FROM profile.recommend('trojan_rules', ARRAY['1', '2']);
        SELECT count(*) FROM profile.recommend_customers('trojan_rules', 'SELECT g % 40, (g % 7)::text FROM generate_series(1, 400) g');
        SELECT profile.itemset_counts(ARRAY[(g % 7)::text, (g % 5)::text], '{{1,2},{3,4}}') FROM generate_series(1, 50) g;}],
    ['segment snapshots, migration, flows and cohorts, with a privacy floor', q{
        SELECT customers FROM profile.segment_snapshot('trojan-1', 'SELECT g, (g % 3)::text FROM generate_series(1, 100) g');
        SELECT customers FROM profile.segment_snapshot('trojan-2', 'SELECT g, (g % 4)::text FROM generate_series(20, 120) g');
        SELECT count(*) FROM profile.segment_migration('trojan-1', 'trojan-2', 5);
        SELECT count(*) FROM profile.segment_flows('trojan-1', 'trojan-2', 5);
        SELECT count(*) FROM profile.cohorts('SELECT g % 30, timestamptz ''2025-01-01'' + g * interval ''1 day'', g % 11 - 2 FROM generate_series(1, 300) g', 6, 3);
        SELECT count(*) FROM profile.rfm_segment_summary('SELECT g % 20, timestamptz ''2025-01-01'' + g * interval ''1 day'', g::numeric, g FROM generate_series(1, 200) g', '2026-01-01', min_group_size => 3);
        DELETE FROM profile.segment_snapshots WHERE snapshot OPERATOR(pg_catalog.~~) 'trojan%';}],
);
for my $run (@runs) {
    my ($name, $sql) = @$run;
    ($ok, $out) = psql($db, $sql);
    ok($ok && $out !~ /trojan called/, "$name calls none of them") or diag($out);
}

# the same look-alikes in pg_temp, named first on the search_path of the
# session that then runs the capabilities.  (PostgreSQL never looks up
# functions and operators in pg_temp unless they are qualified; this shows
# that nothing in the extension qualifies them so, nor trips on a temporary
# look-alike.)
my $temp_traps = <<'SQL';
SET search_path = pg_temp, public, pg_catalog;
CREATE FUNCTION pg_temp.trap() RETURNS boolean LANGUAGE plpgsql AS
$$BEGIN RAISE EXCEPTION 'trojan called'; END$$;
CREATE FUNCTION pg_temp.texteq2(text, text) RETURNS boolean LANGUAGE sql AS 'SELECT pg_temp.trap()';
CREATE OPERATOR pg_temp.= (LEFTARG = text, RIGHTARG = text, FUNCTION = pg_temp.texteq2);
CREATE FUNCTION pg_temp.now() RETURNS timestamptz LANGUAGE sql AS 'SELECT CASE WHEN pg_temp.trap() THEN now() END';
CREATE FUNCTION pg_temp.count(bigint) RETURNS bigint LANGUAGE sql AS 'SELECT CASE WHEN pg_temp.trap() THEN 1::bigint END';
SQL
($ok, $out) = psql($db, $temp_traps . "SELECT 'a'::text OPERATOR(pg_temp.=) 'a'::text;");
ok(!$ok && $out =~ /trojan called/, 'a look-alike in pg_temp is callable in its session') or diag($out);
# (the objects the first round created are removed first, with qualified
# operators: this session's unqualified = is the trap)
my $cleanup = q{
    DELETE FROM profile.rfm_segment_maps WHERE name OPERATOR(pg_catalog.=) 'trojan_map';
    DELETE FROM profile.models WHERE name OPERATOR(pg_catalog.~~) 'trojan%';};
($ok, $out) = psql($db, $temp_traps . $cleanup . $runs[0][1] . $runs[1][1] . $runs[3][1]);
ok($ok && $out !~ /trojan called/, 'RFM, models, maps and k-means call none of the pg_temp look-alikes') or diag($out);

system("$bin/psql", '-X', '-q', '-d', 'postgres', '-c', "DROP DATABASE $db");
done_testing();
