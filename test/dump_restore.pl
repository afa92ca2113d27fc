#!/usr/bin/perl
# pg_dump / pg_restore keeps user models: a model stored in one database
# comes back identical in a fresh one, and is readable through the model
# cache there.  Segment snapshots come back too.  Needs the running cluster of scripts/test.sh (PGHOST, PGPORT).
use strict;
use warnings;
use Test::More;

plan skip_all => 'no server (PGHOST/PGPORT unset)' unless $ENV{PGHOST} && $ENV{PGPORT};

$ENV{PGOPTIONS} = '-c client_min_messages=warning';
my $bin = $ENV{PROFILE_PG_BIN} // '/usr/lib/postgresql/15/bin';
my ($src, $dst) = ('profile_dump_src', 'profile_dump_dst');
my $dumpfile = "/tmp/profile_dump_$$.dump";

sub psql {
    my ($db, $sql) = @_;
    open my $fh, '-|', "$bin/psql", '-X', '-q', '-A', '-t', '-v', 'ON_ERROR_STOP=1', '-d', $db, '-c', $sql
      or die "psql: $!";
    local $/;
    my $out = <$fh>;
    close $fh;
    die "psql failed on: $sql\n" if $?;
    $out =~ s{\n+\z}{};
    return $out;
}

psql('postgres', "DROP DATABASE IF EXISTS $_") for ($src, $dst);
psql('postgres', "CREATE DATABASE $src");
psql($src, 'CREATE EXTENSION profile');
psql($src, <<'SQL');
CREATE SCHEMA dumptest;
CREATE FUNCTION dumptest.get(text, text) RETURNS text
    STRICT LANGUAGE C AS '$libdir/profile', 'profile_selftest_model_get';
INSERT INTO profile.models (name, kind, format, params, summary, body) VALUES
    ('segments_2025', 'selftest', 1, '{"k": 6, "scaling": "log"}', '{"inertia": 12.5}',
     '\x50524f46'::bytea || convert_to('centroids go here', 'UTF8')),
    ('rules:weekly', 'selftest', 1, '{}', '{}', '\x50524f46'::bytea || '\x00ff10'::bytea);
-- a segment map of one's own and an RFM model that uses it
INSERT INTO profile.rfm_segment_maps (name, bins, default_segment) VALUES ('vip2', 2, 'Rest');
INSERT INTO profile.rfm_segment_rules (segment_map, priority, segment, r_min, f_min, m_min)
    VALUES ('vip2', 1, 'VIP', 2, 2, 2);
SELECT profile.rfm_fit('rfm_dump',
    'SELECT g % 10, timestamptz ''2025-01-01'' + g * interval ''1 day'', g FROM generate_series(1, 100) g',
    as_of => '2025-06-01', bins => 2, segment_map => 'vip2');
-- one model of each trained kind: k-means (with a label), rules, CLV
SELECT profile.kmeans_fit('km_dump',
    'SELECT g, ARRAY[g]::float8[] FROM unnest(ARRAY[0, 1, 2, 10, 11, 12]) g', 2, scaling => 'none');
INSERT INTO profile.kmeans_labels (model, cluster, label) VALUES ('km_dump', 1, 'small');
SELECT profile.rules_fit('rules_dump',
    $$SELECT b, i FROM (VALUES (1, 'bread'), (1, 'butter'), (2, 'bread'), (2, 'butter'),
                               (3, 'bread'), (3, 'butter'), (4, 'bread'), (4, 'jam')) v(b, i)$$,
    0.2, 0.2);
SELECT profile.clv_fit('clv_dump',
    'SELECT g, g % 5, CASE WHEN g % 5 = 0 THEN 0 ELSE 20 + g % 30 END, 60, 10 + g % 7 FROM generate_series(1, 200) g',
    penalizer => 0.01);
-- two segment snapshots
SELECT profile.segment_snapshot('snap-1', 'SELECT g, (g % 3)::text FROM generate_series(1, 30) g', '2025-06-30');
SELECT profile.segment_snapshot('snap-2', 'SELECT g, (g % 4)::text FROM generate_series(5, 40) g', '2025-12-31');
SQL

my $listing = q{SELECT string_agg(concat_ws('|', name, kind, format, params, summary, encode(body, 'hex'), created_by), E'\n' ORDER BY name) FROM profile.models};
my $before = psql($src, $listing);
is(psql($src, q{SELECT dumptest.get('segments_2025', 'selftest')}), 'centroids go here',
   'the model reads back in the source database');

system("$bin/pg_dump", '-Fc', '-f', $dumpfile, $src) == 0 or BAIL_OUT('pg_dump failed');
ok(-s $dumpfile, 'pg_dump wrote a dump');
psql('postgres', "CREATE DATABASE $dst");
my $rc = system("$bin/pg_restore", '--exit-on-error', '-d', $dst, $dumpfile);
is($rc, 0, 'pg_restore into a fresh database succeeds');

is(psql($dst, $listing), $before, 'every model row is restored identically');
is(psql($dst, q{SELECT dumptest.get('segments_2025', 'selftest')}), 'centroids go here',
   'the restored model reads back through the model cache');
is(psql($dst, q{SELECT count(*) FROM pg_trigger WHERE tgrelid = 'profile.models'::regclass AND NOT tgisinternal}), '1',
   'the restored catalog has its invalidation trigger once');

my $maps = q{SELECT string_agg(concat_ws('|', m.name, m.bins, m.default_segment, m.builtin, r.priority, r.segment,
                                      r.r_min, r.r_max, r.f_min, r.f_max, r.m_min, r.m_max), E'\n'
                            ORDER BY m.name, r.priority, r.segment)
              FROM profile.rfm_segment_maps m JOIN profile.rfm_segment_rules r ON r.segment_map = m.name};
is(psql($dst, $maps), psql($src, $maps), 'segment maps come back once: built-in from the extension, user maps from the dump');
my $score = q{SELECT profile.rfm_score('rfm_dump', 10, 10, 600)::text};
is(psql($dst, $score), psql($src, $score), 'the restored RFM model scores as the original');

my %uses = (
    'the restored k-means model assigns as the original, with its label' =>
        q{SELECT string_agg(concat_ws('|', p, d.cluster, d.distance, d.label), ',' ORDER BY p)
          FROM unnest(ARRAY[0, 5, 10]) p, profile.kmeans_assign_detail('km_dump', ARRAY[p]::float8[]) d},
    'the restored rule model recommends as the original' =>
        q{SELECT string_agg(concat_ws('|', rank, item, score, confidence), ',' ORDER BY rank)
          FROM profile.recommend('rules_dump', ARRAY['bread'])},
    'the restored rule model lists the same rules' =>
        q{SELECT string_agg(concat_ws('|', rule, antecedent, consequent, support, confidence, lift), ',' ORDER BY rule)
          FROM profile.rules WHERE model = 'rules_dump'},
    'the restored segment snapshots give the same migration matrix' =>
        q{SELECT string_agg(concat_ws('|', from_segment, to_segment, customers, share_of_from, share_of_to), ','
                            ORDER BY from_segment, to_segment)
          FROM profile.segment_migration('snap-1', 'snap-2')},
    'the restored CLV model scores as the original' =>
        q{SELECT concat_ws('|', profile.clv_p_alive('clv_dump', 2, 10, 60),
                              profile.clv_expected_purchases('clv_dump', 2, 10, 60, 30),
                              profile.clv_expected_aov('clv_dump', 2, 12),
                              profile.clv_value('clv_dump', 2, 10, 60, 12))},
);
for my $name (sort keys %uses) {
    my $want = psql($src, $uses{$name});
    isnt($want, '', "$name (source answers)");
    is(psql($dst, $uses{$name}), $want, $name);
}

unlink $dumpfile;
psql('postgres', "DROP DATABASE $_") for ($src, $dst);
done_testing();
