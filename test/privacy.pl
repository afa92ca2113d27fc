#!/usr/bin/perl
# The privacy floor for a dashboard role (README "Privacy floor"): a
# superuser gives a login role a floor with ALTER ROLE ... SET
# profile.min_group_size; in the role's own sessions (new connections, so
# that the setting is applied at login, before the library is loaded) the
# floor holds against SET, SET LOCAL, a lower min_group_size argument and a
# connection option (PGOPTIONS), and the role cannot change its stored
# value.  A database-and-role value takes precedence over the role's, as in
# PostgreSQL.  Needs the running cluster of scripts/test.sh (PGHOST, PGPORT).
use strict;
use warnings;
use Test::More;

plan skip_all => 'no server (PGHOST/PGPORT unset)' unless $ENV{PGHOST} && $ENV{PGPORT};

my $bin = $ENV{PROFILE_PG_BIN} // '/usr/lib/postgresql/15/bin';
my $db = 'profile_privacy';
my $role = 'profile_tap_dashboard';

# Run SQL as a user in a new session; returns (ok, output with errors)
sub psql_as {
    my ($user, $sql, $options) = @_;
    local $ENV{PGOPTIONS} = $options // '-c client_min_messages=warning';
    my $out = `"$bin/psql" -X -q -A -t -v ON_ERROR_STOP=1 -U $user -d $db -f - 2>&1 <<'PROFILE_SQL_END'
$sql
PROFILE_SQL_END`;
    my $ok = $? == 0;
    $out =~ s{\n+\z}{};
    return ($ok, $out);
}

my $admin = $ENV{PGUSER} // 'postgres';
system("$bin/psql", '-X', '-q', '-d', 'postgres', '-c', "DROP DATABASE IF EXISTS $db") == 0 or BAIL_OUT('drop');
system("$bin/psql", '-X', '-q', '-d', 'postgres', '-c', "DROP ROLE IF EXISTS $role") == 0 or BAIL_OUT('drop role');
system("$bin/psql", '-X', '-q', '-d', 'postgres', '-c', "CREATE DATABASE $db") == 0 or BAIL_OUT('create');

# Two snapshots: segment a has 10 customers who all stay; b has 3, of whom
# 2 stay and 1 moves to a
my ($ok, $out) = psql_as($admin, <<"SQL");
CREATE EXTENSION profile;
SELECT customers FROM profile.segment_snapshot('p1', 'SELECT g, CASE WHEN g <= 10 THEN ''a'' ELSE ''b'' END FROM generate_series(1, 13) g');
SELECT customers FROM profile.segment_snapshot('p2', 'SELECT g, CASE WHEN g <= 11 THEN ''a'' ELSE ''b'' END FROM generate_series(1, 13) g');
CREATE ROLE $role LOGIN;
ALTER ROLE $role SET profile.min_group_size = 4;
SQL
ok($ok, 'set-up: two snapshots, a login role with ALTER ROLE ... SET profile.min_group_size = 4') or diag($out);

my $matrix = q{SELECT string_agg(from_segment || '>' || to_segment || ':' || coalesce(customers::text, 'x'), ' '
                                 ORDER BY from_segment, to_segment)
               FROM profile.segment_migration('p1', 'p2')};
($ok, $out) = psql_as($admin, "SELECT profile.privacy_floor(); $matrix;");
is($out, "1\na>a:10 b>a:1 b>b:2", 'the superuser sees every group (floor 1)');

($ok, $out) = psql_as($role, "SELECT profile.privacy_floor(); $matrix;");
is($out, "4\na>a:10 b>a:x b>b:x", 'the role gets floor 4 at login: groups of 1 and 2 suppressed');

# before the library is loaded, PostgreSQL keeps a SET as a placeholder
# and refuses it (WARNING) when the library loads; after, SET is an error
($ok, $out) = psql_as($role, "SET profile.min_group_size = 1; SELECT profile.privacy_floor();",
                      '-c client_min_messages=error');
is($out, '4', 'a SET before the library is loaded is dropped when it loads');
($ok, $out) = psql_as($role, "SELECT profile.privacy_floor(); SET profile.min_group_size = 1;");
ok(!$ok && $out =~ /permission denied to set parameter/, 'a SET after is refused (42501)') or diag($out);
($ok, $out) = psql_as($role, "SELECT profile.privacy_floor(); BEGIN; SET LOCAL profile.min_group_size = 1;");
ok(!$ok && $out =~ /permission denied to set parameter/, 'so is SET LOCAL') or diag($out);

($ok, $out) = psql_as($role, "SELECT count(*) FROM profile.segment_migration('p1', 'p2', min_group_size => 1) WHERE suppressed");
is($out, '2', 'a lower min_group_size argument does not lower the floor');
($ok, $out) = psql_as($role, "SELECT count(*) FROM profile.segment_migration('p1', 'p2', min_group_size => 11) WHERE suppressed");
is($out, '3', 'a higher one raises it');

# a value given at connection for a setting whose library is not loaded yet
# replaces the stored one in PostgreSQL, and is refused when the library
# loads: the floor must still be the stored 4
($ok, $out) = psql_as($role, "SELECT profile.privacy_floor(); $matrix;", '-c client_min_messages=error -c profile.min_group_size=1');
is($out, "4\na>a:10 b>a:x b>b:x", 'a connection option (PGOPTIONS) does not lower it either');

($ok, $out) = psql_as($role, "ALTER ROLE $role SET profile.min_group_size = 1");
ok(!$ok && $out =~ /permission denied/, 'the role cannot change its stored value') or diag($out);

# rules: a rule model of 20 baskets where {x, y} is in 2 and {x, z} in 10
($ok, $out) = psql_as($admin, q{SELECT rules FROM profile.rules_fit('priv_rules',
    'SELECT b, i FROM generate_series(1, 20) b, LATERAL (VALUES (''x''), (CASE WHEN b <= 2 THEN ''y'' WHEN b <= 12 THEN ''z'' END)) v(i) WHERE i IS NOT NULL',
    0.01, 0.01)});
ok($ok, 'set-up: a rule model') or diag($out);
($ok, $out) = psql_as($role, q{SELECT string_agg(item, ',' ORDER BY item) FROM profile.recommend('priv_rules', ARRAY['x'])});
is($out, 'z', 'recommend uses only the rules of at least 4 baskets for the role');

# database-and-role value over the role's
($ok, $out) = psql_as($admin, "ALTER ROLE $role IN DATABASE $db SET profile.min_group_size = 12");
ok($ok, 'ALTER ROLE ... IN DATABASE ... SET profile.min_group_size = 12') or diag($out);
($ok, $out) = psql_as($role, "SELECT profile.privacy_floor()", '-c client_min_messages=error -c profile.min_group_size=1');
is($out, '12', 'the database-and-role value takes precedence, also against a connection option');

system("$bin/psql", '-X', '-q', '-d', 'postgres', '-c', "DROP DATABASE $db");
system("$bin/psql", '-X', '-q', '-d', 'postgres', '-c', "DROP ROLE $role");
done_testing();
