#!/usr/bin/perl
# A real BI client: README's "Use from BI tools" dashboard queries through
# the PostgreSQL JDBC driver (Debian's libpostgresql-jdbc-java, the driver
# Metabase, Tableau and DBeaver use), as a read-only role made by README's
# role block, server-side prepared with bound parameters; column names and
# types as the driver reports them, values against plain SQL, bad
# parameters, cursor mode.  test/jdbc/DashboardQueries.java does the work
# and prints TAP; this file compiles it into build/jdbc and passes its
# output through.  Needs the running cluster and the TAP database of
# scripts/test.sh (PGHOST, PGPORT, PROFILE_TAP_DB: the retail data set in
# schema retail) and the Debian packages default-jdk-headless and
# libpostgresql-jdbc-java, which scripts/test.sh installs.
use strict;
use warnings;
use File::Basename qw(dirname);
use File::Path qw(make_path);
use Cwd qw(abs_path);

$| = 1;
my $root = abs_path(dirname(__FILE__) . '/..');
my $jar = '/usr/share/java/postgresql.jar';

sub skip_all { print "1..0 # SKIP $_[0]\n"; exit 0; }
sub fail_all { print "1..1\nnot ok 1 - $_[0]\n"; exit 1; }

skip_all('no server (PGHOST/PGPORT unset)') unless $ENV{PGHOST} && $ENV{PGPORT};
skip_all('no TAP database (PROFILE_TAP_DB unset: run scripts/test.sh)') unless $ENV{PROFILE_TAP_DB};
skip_all("JDBC connects over TCP; PGHOST=$ENV{PGHOST} is a socket directory") if $ENV{PGHOST} =~ m{^/};

# scripts/test.sh installs these: missing, they are a broken setup, not a skip
for my $need ([$jar, 'libpostgresql-jdbc-java'], ['javac', 'default-jdk-headless'], ['java', 'default-jdk-headless']) {
    my ($what, $pkg) = @$need;
    my $found = $what =~ m{/} ? -f $what : grep { -x "$_/$what" } split /:/, $ENV{PATH};
    fail_all("$what is missing: apt-get install $pkg") unless $found;
}

my $build = "$root/build/jdbc";
make_path($build);
system('javac', '-Xlint:all', '-Werror', '-encoding', 'UTF-8', '-d', $build, '-cp', $jar,
       "$root/test/jdbc/DashboardQueries.java") == 0
    or fail_all('javac test/jdbc/DashboardQueries.java');
exec('java', '-cp', "$build:$jar", 'DashboardQueries', "$root/README.md")
    or fail_all("java: $!");
