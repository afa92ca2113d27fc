#!/usr/bin/perl
# README's Getting started, run: every statement of that section on the
# demo's data (the generator with the demo's sizes and seed), and its output
# compared with the output block printed under it in the README.  So the
# README shows what the extension really prints, and cannot drift from it.
use strict;
use warnings;
use FindBin;
use Test::More;

plan skip_all => 'no server (PGHOST/PGPORT unset)' unless $ENV{PGHOST} && $ENV{PGPORT};
my $root = "$FindBin::Bin/..";
my $gen = "$root/build/retailgen";
plan skip_all => "no $gen (scripts/test.sh builds it)" unless -x $gen;

my $bin = $ENV{PROFILE_PG_BIN} // '/usr/lib/postgresql/15/bin';
my $db = 'profile_readme';
$ENV{PGOPTIONS} = '-c client_min_messages=warning';

open(my $fh, '<', "$root/README.md") or die "README.md: $!";
my $readme = do { local $/; <$fh> };
close $fh;
my ($section) = $readme =~ /^## Getting started\n(.*?)^## /ms or BAIL_OUT('no Getting started section');

# the set-up block (CREATE EXTENSION, CREATE VIEW), then pairs of an sql
# block and the output block right after it
my @blocks;
while ($section =~ /^```(sql)?\n(.*?)^```\n/msg) {
    push @blocks, [$1 // '', $2];
}
my $setup = shift @blocks;
ok($setup && $setup->[0] eq 'sql' && $setup->[1] =~ /CREATE VIEW sales/, 'the set-up block creates the view sales');
my @steps;
while (@blocks) {
    my $sql = shift @blocks;
    my $out = shift @blocks;
    BAIL_OUT('an sql block without its output') unless $sql->[0] eq 'sql' && $out && $out->[0] eq '';
    push @steps, [$sql->[1], $out->[1]];
}
is(scalar(@steps), 5, 'five steps');

system("$bin/psql", '-X', '-q', '-d', 'postgres', '-c', "DROP DATABASE IF EXISTS $db") == 0 or BAIL_OUT('drop');
system("$bin/psql", '-X', '-q', '-d', 'postgres', '-c', "CREATE DATABASE $db") == 0 or BAIL_OUT('create');
# the demo's data: scripts/demo.sh's defaults
system("$gen --schema retail --customers 5000 --days 730 --products 500 --seed 42 | "
       . "\"$bin/psql\" -X -q -v ON_ERROR_STOP=1 -d $db >/dev/null 2>&1") == 0 or BAIL_OUT('generate');

sub psql_out {
    my ($sql) = @_;
    my $out = `PGOPTIONS='-c search_path=retail,public -c client_min_messages=warning' "$bin/psql" -X -v ON_ERROR_STOP=1 -d $db -f - 2>&1 <<'PROFILE_SQL_END'
$sql
PROFILE_SQL_END`;
    return $out;
}

my $s = psql_out($setup->[1]);
unlike($s, qr/ERROR/, 'set-up') or diag($s);
my $n = 0;
for my $step (@steps) {
    $n++;
    my $got = psql_out($step->[0]);
    # psql separates the results of two statements with a blank line, as the README does
    $got =~ s/\n+\z/\n/;
    is($got, $step->[1], "step $n prints what the README shows");
}

system("$bin/psql", '-X', '-q', '-d', 'postgres', '-c', "DROP DATABASE $db");
done_testing();
