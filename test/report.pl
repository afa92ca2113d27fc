#!/usr/bin/perl
# The HTML report (scripts/report.py): on a small generated data set with
# an RFM, a k-means, a rules and a CLV model (and two segment snapshots
# when profile.segment_migration is installed), the report is one
# self-contained file (no script, no network, no external font or image);
# headless Chromium renders it; in the DOM Chromium built, every chart is
# there with the marks it should have (a bar per segment, 25 score cells,
# a point per customer, a row and a bar per rule, 15 histogram bins, a cell
# per migration pair), and in Chromium's screenshot every chart's area is
# drawn (enough non-white and coloured pixels).  The figures are checked
# against plain SQL on the same data: segment sizes and revenue shares
# (scores recomputed from the tie-aware quantile rule and the segment map's
# rules), score cell counts, customers per cluster, rule lifts, histogram
# bin counts and migration counts.  The privacy floor (--min-group-size,
# and profile.min_group_size when installed) greys out small groups as
# "suppressed".  Needs the running cluster of scripts/test.sh (PGHOST,
# PGPORT) and Chromium, which scripts/test.sh installs; skips without
# Chromium.
use strict;
use warnings;
use Test::More;
use FindBin;
use Compress::Zlib;
use File::Temp qw(tempdir);
use List::Util qw(sum max min);
use POSIX qw(floor log10);

plan skip_all => 'no server (PGHOST/PGPORT unset)' unless $ENV{PGHOST} && $ENV{PGPORT};
my ($chromium) = grep { -x } map { my $b = $_; map { "$_/$b" } split /:/, $ENV{PATH} } qw(chromium chromium-browser);
plan skip_all => 'chromium is not installed (scripts/test.sh installs the Debian package chromium when it can)'
  unless $chromium;

$ENV{PGOPTIONS} = '-c client_min_messages=warning';
my $root = "$FindBin::Bin/..";
my $bin = $ENV{PROFILE_PG_BIN} // '/usr/lib/postgresql/15/bin';
my $python = $ENV{PROFILE_PYTHON} // '/usr/bin/python3';
my $db = 'profile_report';
my $dir = tempdir('profile_report_XXXXXX', TMPDIR => 1, CLEANUP => 1);
chmod 0755, $dir;    # chromium may run as another user's sandbox; harmless otherwise

sub psql {
    my ($sql, $d) = @_;
    open my $fh, '-|', "$bin/psql", '-X', '-q', '-A', '-t', '-F', '|', '-v', 'ON_ERROR_STOP=1',
      '-d', $d // $db, '-c', $sql
      or die "psql: $!";
    local $/;
    my $out = <$fh>;
    close $fh;
    die "psql failed on: $sql\n" if $?;
    $out =~ s{\n+\z}{};
    return $out;
}

sub rows { my $out = psql(@_); return map { [split /\|/, $_, -1] } grep { length } split /\n/, $out }

# ---------------------------------------------------------------- data and models
psql("DROP DATABASE IF EXISTS $db", 'postgres');
psql("CREATE DATABASE $db", 'postgres');
psql('CREATE EXTENSION profile');
my $gen = "$root/build/retailgen";
-x $gen or BAIL_OUT("$gen is missing (scripts/test.sh builds it)");
system("$gen --schema shop --customers 700 --days 365 --products 80 --seed 11 | $bin/psql -X -q -v ON_ERROR_STOP=1 -d $db >/dev/null") == 0
  or BAIL_OUT('loading the generated data failed');

my $orders = 'SELECT o.customer_id, o.ordered_at, l.quantity * l.unit_price, o.order_id '
  . 'FROM shop.orders o JOIN shop.order_lines l USING (order_id)';
(my $orders_lit = $orders) =~ s/'/''/g;
psql(<<"SQL");
SELECT profile.rfm_fit('report_rfm', '$orders_lit', as_of => '2026-01-01');
CREATE TABLE shop.features AS
SELECT customer_id::bigint AS customer_id, ARRAY[recency_days, frequency, greatest(monetary, 0)]::float8[] AS features
FROM profile.rfm('$orders_lit', as_of => '2026-01-01');
SELECT profile.kmeans_fit('report_km', 'SELECT customer_id, features FROM shop.features', k => 4, scaling => 'log');
INSERT INTO profile.kmeans_labels (model, cluster, label) VALUES ('report_km', 1, 'first cluster');
SELECT profile.rules_fit('report_rules', 'SELECT order_id, product_id FROM shop.order_lines WHERE quantity > 0', 0.01, 0.1);
CREATE TABLE shop.clv_customers AS
SELECT o.customer_id, (profile.clv_summary(o.ordered_at, t.amount, '2026-01-01', 'week')).*
FROM shop.orders o
JOIN (SELECT order_id, sum(quantity * unit_price)::float8 AS amount FROM shop.order_lines GROUP BY order_id) t USING (order_id)
WHERE o.customer_id IS NOT NULL GROUP BY o.customer_id;
SELECT profile.clv_fit('report_clv', 'SELECT customer_id, frequency, recency, t, monetary FROM shop.clv_customers',
                       time_unit => 'week', penalizer => 0.001);
SQL

my $has_migration = psql(q{SELECT to_regprocedure('profile.segment_migration(text, text, integer)') IS NOT NULL}) eq 't';
if ($has_migration) {
    psql(<<"SQL");
SELECT * FROM profile.segment_snapshot('report_before',
    \$s\$SELECT customer_id, segment FROM profile.rfm('$orders_lit WHERE o.ordered_at < ''2025-09-01''', as_of => '2025-09-01')\$s\$,
    taken_at => '2025-09-01');
SELECT * FROM profile.segment_snapshot('report_after',
    \$s\$SELECT customer_id, segment FROM profile.rfm('$orders_lit', as_of => '2026-01-01')\$s\$,
    taken_at => '2026-01-01');
SQL
}

my @report_args = (
    '--orders', $orders, '--rfm-model', 'report_rfm',
    '--kmeans-model', 'report_km', '--features', 'SELECT customer_id, features FROM shop.features',
    '--feature-names', 'recency,orders,spend',
    '--rules-model', 'report_rules', '--items', 'SELECT product_id, name FROM shop.products', '--top-rules', '12',
    '--clv-model', 'report_clv', '--clv-customers', 'SELECT customer_id, frequency, recency, t, monetary FROM shop.clv_customers',
    '--migration', 'report_before', 'report_after');

sub quote { my $s = shift; $s =~ s/'/'\\''/g; return "'$s'" }

# report.py's exit status, standard output and error
sub report {
    my ($out, @args) = @_;
    my $said = `${\ join ' ', map { quote($_) } $python, "$root/scripts/report.py", '--db', "dbname=$db", '--out', $out, @args} 2>$dir/stderr`;
    return ($? >> 8, $said, slurp("$dir/stderr"));
}

sub slurp { my ($f) = @_; open my $fh, '<:raw', $f or die "$f: $!"; local $/; my $s = <$fh>; close $fh; return $s }

sub unescape {
    my ($s) = @_;
    $s =~ s/&quot;/"/g; $s =~ s/&#x27;|&#39;/'/g; $s =~ s/&lt;/</g; $s =~ s/&gt;/>/g; $s =~ s/&amp;/&/g;
    return $s;
}

# the figures of a page: id => {class, html}
sub figures {
    my ($page) = @_;
    my %f;
    while ($page =~ m{<figure class="([^"]*)" id="([^"]+)">(.*?)</figure>}sg) {
        $f{$2} = { class => $1, html => $3 };
    }
    return \%f;
}

# the elements <tag ...> of some html whose class attribute has every word of $class
sub marks {
    my ($html, $tag, $class) = @_;
    my @out;
    while ($html =~ m{<$tag\b([^>]*)>}g) {
        my $attrs = $1;
        my %a;
        $a{$1} = unescape($2) while $attrs =~ m{([\w:-]+)="([^"]*)"}g;
        my %has = map { $_ => 1 } split ' ', $a{class} // '';
        push @out, \%a unless grep { !$has{$_} } split ' ', $class // '';
    }
    return @out;
}

# ---------------------------------------------------------------- the report
my $html_file = "$dir/report.html";
my ($rc, $said) = report($html_file, @report_args);
is($rc, 0, 'report.py succeeds');
like($said, qr{\Q$html_file\E \(\d+ bytes\)}, 'report.py prints the path and size of the report');
my $html = slurp($html_file);
ok(length($html) > 10000, 'the report is written (' . length($html) . ' bytes)');

# self-contained: nothing to fetch, nothing to run
unlike($html, qr{\b(?:https?|ftp|file|data):|//[\w.-]+\.\w+/}i, 'no URL in the report');
unlike($html, qr{<script|<link|<img|<iframe|<object|<embed|<image|<use\b}i, 'no script, link, image or embedded object');
unlike($html, qr{url\(|\@import|\@font-face|\bsrc=|\bhref=}i, 'no url(), \@import, \@font-face, src or href');
like($html, qr{\A<!DOCTYPE html>\n<html lang="en">.*<style>.*</style>.*</html>\n\z}s, 'one HTML document with its CSS inline');

# ---------------------------------------------------------------- render in Chromium
my $probe = <<'JS';
<script>
const out = [];
for (const f of document.querySelectorAll('figure.chart')) {
  const body = f.querySelector('svg, table, p.note');
  const r = body.getBoundingClientRect();
  out.push([f.id, r.left, r.top, r.width, r.height].map(v => typeof v === 'number' ? Math.round(v) : v).join(','));
}
document.body.setAttribute('data-layout', out.join(';'));
document.body.setAttribute('data-height', Math.ceil(document.documentElement.scrollHeight));
</script>
JS
(my $probed = $html) =~ s{</body>}{$probe</body>} or die 'no </body>';
open my $ph, '>:raw', "$dir/probe.html" or die $!;
print $ph $probed;
close $ph;

my @chrome = ($chromium, '--headless=new', '--no-sandbox', '--disable-gpu', '--hide-scrollbars',
              '--no-first-run', '--disable-extensions', '--force-device-scale-factor=1',
              "--user-data-dir=$dir/chromium");

sub chrome {
    my (@args) = @_;
    my $cmd = join ' ', map { quote($_) } @chrome, @args;
    my $out = `$cmd 2>/dev/null`;
    return ($? >> 8, $out);
}

my ($crc, $dom) = chrome('--window-size=1280,1000', '--dump-dom', "file://$dir/probe.html");
is($crc, 0, 'chromium --dump-dom runs');
my ($height) = $dom =~ /data-height="(\d+)"/;
my ($layout) = $dom =~ /data-layout="([^"]*)"/;
ok($height && $layout, "the page is laid out (height $height px)") or BAIL_OUT('no layout from chromium');
my %box = map { my @v = split /,/; ($v[0] => [@v[1 .. 4]]) } split /;/, $layout;

my $png_file = "$dir/report.png";
($crc) = chrome("--window-size=1280,$height", "--screenshot=$png_file", "file://$dir/probe.html");
ok($crc == 0 && -s $png_file, 'chromium --screenshot writes a PNG');
if ($ENV{PROFILE_REPORT_SHOT}) {    # keep the screenshot to look at
    system('cp', $png_file, $ENV{PROFILE_REPORT_SHOT}) == 0 or diag("cannot copy the screenshot to $ENV{PROFILE_REPORT_SHOT}");
}
my $img = read_png($png_file);
is_deeply([$img->{width}, $img->{height}], [1280, $height], 'the screenshot is the whole page');

# pixels of a box, every other row and column: how many, how many differ
# from white, how many are coloured (channels far apart: not white, grey
# or black text)
sub ink {
    my ($x, $y, $w, $h) = @_;
    my ($n, $ink, $colour) = (0, 0, 0);
    my $bpp = $img->{bpp};
    for (my $row = max($y, 0); $row <= min($y + $h - 1, $img->{height} - 1); $row += 2) {
        my @p = unpack('C*', substr($img->{rows}[$row], $x * $bpp, $w * $bpp));
        for (my $i = 0; $i + 2 < @p; $i += 2 * $bpp) {
            my ($r, $g, $b) = @p[$i .. $i + 2];
            $n++;
            $ink++ if $r < 235 || $g < 235 || $b < 235;
            $colour++ if max($r, $g, $b) - min($r, $g, $b) > 40;
        }
    }
    return ($n, $ink, $colour);
}

my $fig = figures($dom);
my @charts = qw(segments rf-heatmap pca-scatter clv-histogram rules-lift rules-table);
push @charts, 'migration' if $has_migration;
for my $id (@charts) {
    ok($fig->{$id} && $fig->{$id}{class} =~ /\bchart\b/ && $fig->{$id}{class} !~ /unavailable/,
       "chart $id is in the DOM");
    like($fig->{$id}{html} // '', qr{<h2>[^<]+</h2>\s*<p class="caption">[^<]{20,}</p>}, "chart $id has a title and a caption");
    my ($n, $ink, $colour) = $box{$id} ? ink(@{ $box{$id} }) : (0, 0, 0);
    # the table is text on white; the scatter's points are sparse
    my ($min_ink, $min_colour) = $id eq 'rules-table' ? (0.05, 0) : $id eq 'pca-scatter' ? (0.03, 500) : (0.08, 500);
    ok($n > 5000 && $ink / $n > $min_ink && $colour >= $min_colour,
       sprintf('chart %s is drawn in the screenshot (%d x %d px, %.1f%% ink, %d coloured pixels)',
               $id, @{ $box{$id} // [0, 0, 0, 0] }[2, 3], $n ? 100 * $ink / $n : 0, $colour));
}
if (!$has_migration) {
    like($fig->{migration}{html} // '', qr{migration: profile\.segment_migration not available},
         'without profile.segment_migration the migration chart says so');
}
# the probe itself: a blank strip of the page is not counted as drawn
my ($bn, $bink) = ink(0, 0, 12, $height);
ok($bn > 0 && $bink / $bn < 0.01, 'the page margin is blank in the screenshot');

# ---------------------------------------------------------------- figures against plain SQL
# RFM scores by the tie-aware rule (1 + floor(5 * strictly worse / n)) and
# the segment map's rules, in plain SQL
my $plain_rfm = <<"SQL";
WITH lines AS (
    SELECT o.customer_id, o.ordered_at, l.quantity * l.unit_price AS amount, o.order_id
    FROM shop.orders o JOIN shop.order_lines l USING (order_id) WHERE o.customer_id IS NOT NULL),
c AS (
    SELECT customer_id, date '2026-01-01' - max(ordered_at) FILTER (WHERE amount >= 0)::date AS recency,
           count(DISTINCT order_id) FILTER (WHERE amount >= 0) AS frequency, sum(amount) AS monetary
    FROM lines GROUP BY customer_id HAVING count(*) FILTER (WHERE amount >= 0) > 0),
s AS (
    SELECT customer_id, monetary,
           1 + floor(5.0 * (rank() OVER (ORDER BY recency DESC) - 1) / count(*) OVER ())::int AS r,
           1 + floor(5.0 * (rank() OVER (ORDER BY frequency) - 1) / count(*) OVER ())::int AS f
    FROM c),
seg AS (
    SELECT DISTINCT ON (s.customer_id) s.*, m.segment
    FROM s JOIN profile.rfm_segment_rules m ON m.segment_map = 'rf_grid'
        AND s.r BETWEEN coalesce(m.r_min, 1) AND coalesce(m.r_max, 5)
        AND s.f BETWEEN coalesce(m.f_min, 1) AND coalesce(m.f_max, 5)
    ORDER BY s.customer_id, m.priority)
SQL

my %seg_sql = map { $_->[0] => [$_->[1], $_->[2]] } rows($plain_rfm
  . 'SELECT segment, count(*), sum(monetary) / (SELECT sum(monetary) FROM seg) FROM seg GROUP BY segment');
my @cust_bars = marks($fig->{segments}{html}, 'rect', 'bar customers');
my @rev_bars = marks($fig->{segments}{html}, 'rect', 'bar revenue');
is(scalar(@cust_bars) . '/' . scalar(@rev_bars), scalar(keys %seg_sql) . '/' . scalar(keys %seg_sql),
   'segments: a customers bar and a revenue bar per segment');
is_deeply({ map { $_->{'data-segment'} => $_->{'data-customers'} } @cust_bars },
          { map { $_ => $seg_sql{$_}[0] } keys %seg_sql }, 'segments: customers per segment as plain SQL counts them');
my @bad = grep { abs($_->{'data-share'} - ($seg_sql{ $_->{'data-segment'} }[1] // -1)) > 1e-5 } @rev_bars;
is(scalar(@bad), 0, 'segments: revenue shares as plain SQL sums them');

my %cell_sql = map { ("$_->[0],$_->[1]" => $_->[2]) } rows($plain_rfm . 'SELECT r, f, count(*) FROM seg GROUP BY r, f');
my @cells = marks($fig->{'rf-heatmap'}{html}, 'rect', 'cell');
is(scalar(@cells), 25, 'score grid: 25 cells');
is_deeply({ map { ("$_->{'data-r'},$_->{'data-f'}" => $_->{'data-customers'}) } @cells },
          { map { my ($r, $f) = (int($_ / 5) + 1, $_ % 5 + 1); ("$r,$f" => $cell_sql{"$r,$f"} // 0) } 0 .. 24 },
          'score grid: customers per cell as plain SQL counts them');
my $customers = psql('SELECT count(*) FROM shop.features');
like($dom, qr{<span class="v">\Q${\ commify($customers)}\E</span><span class="k">customers</span>},
     'the customers figure at the top');

my %per_cluster;
while ($fig->{'pca-scatter'}{html} =~ m{<g class="pts k(\d+)"[^>]*>(.*?)</g>}sg) {
    my ($c, $body) = ($1, $2);
    $per_cluster{$c} = () = $body =~ /<circle cx="[-\d.]+" cy="[-\d.]+"/g;
}
is(sum(values %per_cluster) // 0, $customers, "scatter: a point per customer ($customers)");
is_deeply(\%per_cluster, { map { $_->[0] => $_->[1] } rows(
    q{SELECT profile.kmeans_assign('report_km', features), count(*) FROM shop.features GROUP BY 1}) },
    'scatter: points per cluster as k-means assigns them');
like($fig->{'pca-scatter'}{html}, qr{>1 \xC2\xB7 first cluster \(\d+\)<.*>cluster 2 \(\d+\)<}s, 'scatter: the legend has the cluster labels');

my @lifts = map { $_->[0] } rows(
    q{SELECT round(lift::numeric, 6) FROM profile.rules WHERE model = 'report_rules' ORDER BY lift DESC, confidence DESC LIMIT 12});
my @rule_rows = marks($fig->{'rules-table'}{html}, 'tr', 'rule');
my @lift_bars = marks($fig->{'rules-lift'}{html}, 'rect', 'bar lift');
is(scalar(@rule_rows) . '/' . scalar(@lift_bars), '12/12', 'rules: 12 rows in the table and 12 bars');
is_deeply([map { sprintf '%.6f', $_->{'data-lift'} } @rule_rows], [map { sprintf '%.6f', $_ } @lifts],
          'rules: the highest lifts, in order, as in profile.rules');
is_deeply([map { $_->{'data-lift'} } @lift_bars], [map { $_->{'data-lift'} } @rule_rows], 'rules: the chart has the table\'s rules');
like($fig->{'rules-table'}{html}, qr{<td title="\d+">[^<]* item \d+</td>}, 'rules: items by their names');

# CLV bins: 0, then the 1-2-5 values below the first one above the largest CLV
my ($clv_n, $clv_max) = @{ (rows(q{SELECT count(clv), max(clv) FROM profile.clv_score('report_clv',
    'SELECT customer_id, frequency, recency, t, monetary FROM shop.clv_customers')}))[0] };
my @edges;
{
    my $e = 10**floor(log10($clv_max));
    my ($top) = grep { $_ > $clv_max } map { $_ * $e } 1, 2, 5, 10;
    my @seq = ($top);
    while (@seq < 15) {
        my $v = $seq[-1];
        my $m = sprintf('%.0f', $v / 10**floor(log10($v) + 1e-9));
        push @seq, $m == 5 ? $v * 0.4 : $v / 2;
    }
    @edges = (0, reverse @seq);
}
my $bins_sql = join(', ', map { sprintf 'count(*) FILTER (WHERE clv >= %.10g AND clv < %.10g)', $edges[$_], $edges[$_ + 1] } 0 .. 14);
my @bin_sql = @{ (rows("SELECT $bins_sql FROM profile.clv_score('report_clv', "
    . "'SELECT customer_id, frequency, recency, t, monetary FROM shop.clv_customers')"))[0] };
my @bins = marks($fig->{'clv-histogram'}{html}, 'rect', 'bin');
is(scalar(@bins), 15, 'CLV: 15 bins');
is_deeply([map { $_->{'data-count'} } @bins], \@bin_sql, 'CLV: customers per bin as plain SQL counts them');
is_deeply([map { sprintf '%.6g', $_->{'data-lo'} } @bins], [map { sprintf '%.6g', $_ } @edges[0 .. 14]],
          'CLV: the bins start at 0 and step 1-2-5');
is(sum(map { $_->{'data-count'} } @bins), $clv_n, "CLV: the bins hold every customer with an estimate ($clv_n)");

my $plain_migration = <<'SQL';
SELECT coalesce(a.segment, '(new)'), coalesce(b.segment, '(lost)'), count(*)
FROM (SELECT customer_id, segment FROM profile.segment_snapshots WHERE snapshot = 'report_before') a
FULL JOIN (SELECT customer_id, segment FROM profile.segment_snapshots WHERE snapshot = 'report_after') b USING (customer_id)
GROUP BY 1, 2
SQL
if ($has_migration) {
    my %mig_sql = map { ("$_->[0]>$_->[1]" => $_->[2]) } rows($plain_migration);
    my @mcells = marks($fig->{migration}{html}, 'rect', 'cell');
    my %from = map { $_->{'data-from'} => 1 } @mcells;
    my %to = map { $_->{'data-to'} => 1 } @mcells;
    is(scalar(@mcells), keys(%from) * keys(%to), 'migration: a cell per pair of segments');
    is_deeply({ map { ("$_->{'data-from'}>$_->{'data-to'}" => $_->{'data-customers'}) } grep { $_->{'data-customers'} } @mcells },
              \%mig_sql, 'migration: customers per pair as plain SQL joins the snapshots');
}

# ---------------------------------------------------------------- the privacy floor
my $floor = 40;
($rc) = report("$dir/floor.html", @report_args, '--min-group-size', $floor);
is($rc, 0, "report.py --min-group-size $floor succeeds");
my $ff = figures(slurp("$dir/floor.html"));
my @small = grep { $seg_sql{$_}[0] < $floor } keys %seg_sql;
my @supp = marks($ff->{segments}{html}, 'rect', 'suppressed');
ok(@small > 0, 'some segments are under the floor (' . join(', ', sort @small) . ')');
is_deeply([sort map { $_->{'data-segment'} } @supp], [sort @small], 'segments under the floor are suppressed');
ok(!grep({ defined $_->{'data-customers'} } @supp) && $ff->{segments}{html} =~ />suppressed</,
   'suppressed segments show no figures, and say "suppressed"');
my @small_cells = grep { $cell_sql{$_} < $floor } keys %cell_sql;
is_deeply([sort map { "$_->{'data-r'},$_->{'data-f'}" } marks($ff->{'rf-heatmap'}{html}, 'rect', 'cell suppressed')],
          [sort @small_cells], 'score cells under the floor are suppressed');
is(scalar(marks($ff->{'clv-histogram'}{html}, 'rect', 'bin suppressed')), scalar(grep { $_ > 0 && $_ < $floor } @bin_sql),
   'histogram bins under the floor are suppressed');
my @big_bars = grep { $seg_sql{$_}[0] >= $floor } keys %seg_sql;
is_deeply([sort map { $_->{'data-segment'} } marks($ff->{segments}{html}, 'rect', 'bar customers')], [sort @big_bars],
          'the other segments keep their bars');
if ($has_migration) {
    my %mig_sql = map { ("$_->[0]>$_->[1]" => $_->[2]) } rows($plain_migration);
    is_deeply([sort map { "$_->{'data-from'}>$_->{'data-to'}" } marks($ff->{migration}{html}, 'rect', 'cell suppressed')],
              [sort grep { $mig_sql{$_} < $floor } keys %mig_sql], 'migration cells under the floor are suppressed');
    # the setting alone (a superuser's) gives the same floor
    local $ENV{PGOPTIONS} = "-c client_min_messages=warning -c profile.min_group_size=$floor";
    ($rc) = report("$dir/setting.html", @report_args);
    my $sf = figures(slurp("$dir/setting.html"));
    is_deeply([sort map { "$_->{'data-from'}>$_->{'data-to'}" } marks($sf->{migration}{html}, 'rect', 'cell suppressed')],
              [sort grep { $mig_sql{$_} < $floor } keys %mig_sql], 'profile.min_group_size alone suppresses the same cells');
    is_deeply([sort map { $_->{'data-segment'} } marks($sf->{segments}{html}, 'rect', 'suppressed')], [sort @small],
              'and the same segments');
}

# ---------------------------------------------------------------- nothing to chart
($rc) = report("$dir/empty.html");
is($rc, 0, 'report.py with nothing to chart succeeds');
my $ef = figures(slurp("$dir/empty.html"));
is(scalar(grep { $ef->{$_} && $ef->{$_}{class} =~ /unavailable/ && $ef->{$_}{html} =~ /class="note"/ }
          qw(segments rf-heatmap pca-scatter clv-histogram rules-lift rules-table migration)), 7,
   'every chart says it has no input');
my $err;
($rc, undef, $err) = report("$dir/bad.html", '--kmeans-model', 'no_such_model', '--features', 'SELECT customer_id, features FROM shop.features');
isnt($rc, 0, 'an unknown model is an error');
like($err, qr{^report\.py: model "no_such_model" does not exist}, 'which report.py names');
ok(!-e "$dir/bad.html", 'and writes no report');

psql("DROP DATABASE $db", 'postgres');
done_testing();

sub commify { my $n = reverse shift; $n =~ s/(\d{3})(?=\d)/$1,/g; return scalar reverse $n }

# ---------------------------------------------------------------- PNG
# An 8-bit RGB or RGBA, non-interlaced PNG (what Chromium writes) to rows
# of raw pixels.  The Up filter adds 8 bytes at a time (SWAR); rows equal
# to the one above are copied.
sub read_png {
    my ($file) = @_;
    my $d = slurp($file);
    substr($d, 0, 8) eq "\x89PNG\r\n\x1a\n" or die "$file: not a PNG";
    my ($pos, $idat, $w, $h, $depth, $ctype, $interlace) = (8, '');
    while ($pos < length $d) {
        my ($len, $type) = unpack('N a4', substr($d, $pos, 8));
        my $data = substr($d, $pos + 8, $len);
        if ($type eq 'IHDR') { ($w, $h, $depth, $ctype, undef, undef, $interlace) = unpack('N N C C C C C', $data) }
        elsif ($type eq 'IDAT') { $idat .= $data }
        last if $type eq 'IEND';
        $pos += 12 + $len;
    }
    die "$file: only 8-bit RGB or RGBA, not interlaced" unless $depth == 8 && ($ctype == 2 || $ctype == 6) && !$interlace;
    my $bpp = $ctype == 6 ? 4 : 3;
    my $raw = uncompress($idat) // die "$file: bad zlib data";
    my $stride = $w * $bpp;
    die "$file: image data of the wrong size" unless length($raw) == $h * ($stride + 1);
    my $pad = "\0" x ((8 - $stride % 8) % 8);
    my ($lo, $hi) = do { no warnings 'portable'; (hex('7f7f7f7f7f7f7f7f'), hex('8080808080808080')) };
    my @rows;
    my $prev = "\0" x $stride;
    for my $y (0 .. $h - 1) {
        my $ft = ord substr($raw, $y * ($stride + 1), 1);
        my $line = substr($raw, $y * ($stride + 1) + 1, $stride);
        my $cur;
        if ($ft == 0) {
            $cur = $line;
        } elsif ($ft == 2 && $line !~ /[^\0]/) {
            $cur = $prev;
        } elsif ($ft == 2) {
            my @a = unpack('Q<*', $line . $pad);
            my @b = unpack('Q<*', $prev . $pad);
            $cur = substr(pack('Q<*', map { ((($a[$_] & $lo) + ($b[$_] & $lo)) ^ (($a[$_] ^ $b[$_]) & $hi)) } 0 .. $#a),
                          0, $stride);
        } else {
            my @c = unpack('C*', $line);
            my @p = unpack('C*', $prev);
            if ($ft == 1) {
                $c[$_] = ($c[$_] + $c[$_ - $bpp]) & 255 for $bpp .. $#c;
            } elsif ($ft == 3) {
                for my $i (0 .. $#c) { $c[$i] = ($c[$i] + (($i >= $bpp ? $c[$i - $bpp] : 0) + $p[$i] >> 1)) & 255 }
            } elsif ($ft == 4) {
                for my $i (0 .. $#c) {
                    my ($a, $b, $cc) = $i >= $bpp ? ($c[$i - $bpp], $p[$i], $p[$i - $bpp]) : (0, $p[$i], 0);
                    my $pp = $a + $b - $cc;
                    my ($pa, $pb, $pc) = (abs($pp - $a), abs($pp - $b), abs($pp - $cc));
                    $c[$i] = ($c[$i] + ($pa <= $pb && $pa <= $pc ? $a : $pb <= $pc ? $b : $cc)) & 255;
                }
            } else {
                die "$file: unknown filter $ft";
            }
            $cur = pack('C*', @c);
        }
        push @rows, $cur;
        $prev = $cur;
    }
    return { width => $w, height => $h, bpp => $bpp, rows => \@rows };
}
