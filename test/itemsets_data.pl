#!/usr/bin/perl
# Frequent itemsets and rules on the real data sets of ../shared/data
# (data/SOURCES.md), each skipped cleanly when its file is absent:
#   - FP-growth and Apriori find the same itemsets and counts (an md5 over
#     all of them) at several supports, and so does the scan path where it
#     is quick;
#   - published or reference figures: arules on Groceries finds 5,668 rules
#     at support 0.001 and confidence 0.5 (Hahsler et al., the arules
#     vignette) and 463 at 0.006 and 0.25 with minlen 2 (Lantz, "Machine
#     Learning with R", ch. 8); Christian Borgelt's fpgrowth finds 7,589
#     itemsets in FIMI retail at 0.1% (89 baskets; bench/rules.sh checks
#     the same against Weka), 27,532 in T10I4D100K at 0.1%, and 2,735 and
#     53,583 in mushroom at 30% and 20% (fpgrowth -s-2438 and -s-1625,
#     built outside the project, run by hand).
# Needs the running cluster of scripts/test.sh (PGHOST, PGPORT).
use strict;
use warnings;
use Test::More;
use File::Basename qw(dirname);
use Cwd qw(abs_path);

plan skip_all => 'no server (PGHOST/PGPORT unset)' unless $ENV{PGHOST} && $ENV{PGPORT};

my $bin = $ENV{PROFILE_PG_BIN} // '/usr/lib/postgresql/15/bin';
my $root = abs_path(dirname(__FILE__) . '/..');
my $data = $ENV{PROFILE_DATA} // "$root/../shared/data";
my $db = 'profile_itemsets_data';
$ENV{PGOPTIONS} = '-c client_min_messages=warning';

sub psql {
    my ($sql) = @_;
    my $out = `"$bin/psql" -X -q -A -t -v ON_ERROR_STOP=1 -d $db -f - 2>&1 <<'PROFILE_SQL_END'
$sql
PROFILE_SQL_END`;
    return ($? == 0, $out =~ s/\s+$//r);
}

system("$bin/psql", '-X', '-q', '-d', 'postgres', '-c', "DROP DATABASE IF EXISTS $db") == 0 or BAIL_OUT('drop');
system("$bin/psql", '-X', '-q', '-d', 'postgres', '-c', "CREATE DATABASE $db") == 0 or BAIL_OUT('create');
my ($ok, $out) = psql('CREATE EXTENSION profile;');
ok($ok, 'extension created') or diag($out);

# name => [file, awk field separator, item type, [supports], scan-path support]
my @sets = (
    ['retail', 'retail.dat.gz', ' ', 'bigint', [0.01, 0.001], 0.01],
    ['t10', 'T10I4D100K.dat.gz', ' ', 'bigint', [0.01, 0.001], 0.01],
    ['mushroom', 'mushroom.dat.gz', ' ', 'bigint', [0.5, 0.3, 0.2], 0.5],
    ['groceries', 'groceries.csv.gz', ',', 'text', [0.01, 0.005, 0.001], 0.01],
);

my %loaded;
for my $set (@sets) {
    my ($name, $file, $sep, $type, $supports, $scan) = @$set;
    SKIP: {
        skip("$data/$file is absent", 2 + @$supports) unless -f "$data/$file";
        my $fs = $sep eq ' ' ? '' : "-F$sep";
        ($ok, $out) = psql(<<"SQL");
CREATE TABLE $name (tid integer, item $type);
\\copy $name FROM PROGRAM 'zcat "$data/$file" | awk $fs ''{for (i = 1; i <= NF; i++) if (\$i != "") print NR "\\t" \$i}''' 
ANALYZE $name;
SELECT count(DISTINCT tid) FROM $name;
SQL
        ok($ok && $out =~ /^\d+$/ && $out > 0, "$name loaded: $out baskets") or diag($out);
        $loaded{$name} = 1;
        for my $s (@$supports) {
            my $q = "SELECT tid, item FROM $name";
            my $sig = "count(*) || ' ' || coalesce(sum(count), 0) || ' ' || coalesce(md5(string_agg(items::text || ':' || count, ',' ORDER BY items::text)), '')";
            ($ok, $out) = psql(<<"SQL");
SELECT (SELECT $sig FROM profile.frequent_itemsets('$q', $s, 32)) = (SELECT $sig FROM profile.frequent_itemsets('$q', $s, 32, algorithm => 'apriori')),
       (SELECT count(*) FROM profile.frequent_itemsets('$q', $s, 32));
SQL
            ok($ok && $out =~ /^t\|(\d+)$/, "$name at $s: Apriori finds the itemsets and counts FP-growth finds" . ($ok && $out =~ /\|(\d+)$/ ? " ($1)" : ''))
              or diag($out);
        }
        ($ok, $out) = psql(<<"SQL");
SELECT (SELECT count(*) FROM (
            (SELECT * FROM profile.frequent_itemsets('SELECT tid, item FROM $name', $scan))
            EXCEPT (SELECT * FROM profile.frequent_itemsets('SELECT tid, item FROM $name', $scan, algorithm => 'apriori-scan'))) d),
       (SELECT count(*) FROM profile.frequent_itemsets('SELECT tid, item FROM $name', $scan, algorithm => 'apriori-scan'));
SQL
        ok($ok && $out =~ /^0\|\d+$/, "$name at $scan: the scan path finds the same") or diag($out);
    }
}

# reference figures
my @reference = (
    ['groceries', "SELECT count(*) FROM profile.association_rules('SELECT tid, item FROM groceries', 0.001, 0.5, max_consequent => 1)",
     5668, 'Groceries, support 0.001, confidence 0.5: the 5,668 rules of arules'],
    ['groceries', "SELECT count(*) FROM profile.association_rules('SELECT tid, item FROM groceries', 0.006, 0.25, max_consequent => 1)",
     463, 'Groceries, support 0.006, confidence 0.25: the 463 rules of arules (minlen 2)'],
    ['retail', "SELECT count(*) FROM profile.frequent_itemsets('SELECT tid, item FROM retail', 0.001)",
     7589, 'retail at 0.1%: the 7,589 itemsets of Borgelt\'s fpgrowth'],
    ['t10', "SELECT count(*) FROM profile.frequent_itemsets('SELECT tid, item FROM t10', 0.001)",
     27532, 'T10I4D100K at 0.1%: the 27,532 itemsets of Borgelt\'s fpgrowth'],
    ['mushroom', "SELECT count(*) FROM profile.frequent_itemsets('SELECT tid, item FROM mushroom', 0.3, 32)",
     2735, 'mushroom at 30%: the 2,735 itemsets of Borgelt\'s fpgrowth'],
    ['mushroom', "SELECT count(*) FROM profile.frequent_itemsets('SELECT tid, item FROM mushroom', 0.2, 32)",
     53583, 'mushroom at 20%: the 53,583 itemsets of Borgelt\'s fpgrowth'],
);
for my $r (@reference) {
    my ($name, $sql, $want, $what) = @$r;
    SKIP: {
        skip("$name is absent", 1) unless $loaded{$name};
        ($ok, $out) = psql("$sql;");
        is($out, $want, $what);
    }
}

system("$bin/psql", '-X', '-q', '-d', 'postgres', '-c', "DROP DATABASE $db");
done_testing();
