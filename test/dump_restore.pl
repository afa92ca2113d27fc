#!/usr/bin/perl
# pg_dump / pg_restore keeps user models: a model stored in one database
# comes back identical in a fresh one, and is readable through the model
# cache there.  Needs the running cluster of scripts/test.sh (PGHOST, PGPORT).
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

unlink $dumpfile;
psql('postgres', "DROP DATABASE $_") for ($src, $dst);
done_testing();
