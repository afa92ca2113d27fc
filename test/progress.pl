#!/usr/bin/perl
# Progress in shared memory: profile.progress() seen from another session.
#
# Needs the library in shared_preload_libraries, so this test starts a
# cluster of its own (initdb in a temporary directory, a free port, the
# same server binaries as scripts/test.sh: PROFILE_PG_BIN), runs a k-means
# scan fit that takes seconds in one session, and watches it from others:
# the function, the phase, passes that only go up, the pid of the working
# session; nothing for a role that may not see it (as pg_stat_activity),
# the same for one with pg_read_all_stats; nothing once the work is done,
# cancelled, or failed.  sql/progress.sql covers the messages.
use strict;
use warnings;
use Test::More;
use File::Temp qw(tempdir);
use IO::Socket::INET;
use Time::HiRes qw(time sleep);

my $bin = $ENV{PROFILE_PG_BIN} // '/usr/lib/postgresql/15/bin';
plan skip_all => "no initdb in $bin" unless -x "$bin/initdb";

my $root = $> == 0;
my $dir = tempdir('profile-progress-XXXXXX', TMPDIR => 1, CLEANUP => 1);
chmod 0755, $dir;
if ($root) {
    my (undef, undef, $uid, $gid) = getpwnam('postgres') or BAIL_OUT('no postgres user');
    chown $uid, $gid, $dir;
}

sub as_pg {
    my @cmd = @_;
    return $root ? ('runuser', '-u', 'postgres', '--', @cmd) : @cmd;
}

# run a command with its standard output thrown away; its exit status
sub quiet {
    my @cmd = @_;
    my $pid = fork();
    die "fork: $!" unless defined $pid;
    if ($pid == 0) {
        open(STDOUT, '>', '/dev/null');
        exec(@cmd) or exit 127;
    }
    waitpid($pid, 0);
    return $?;
}

# a free port: one nobody listens on
my $port;
for my $try (1 .. 50) {
    my $p = 20000 + int(rand(20000));
    my $s = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => $p, Listen => 1, ReuseAddr => 0);
    if ($s) { close $s; $port = $p; last; }
}
BAIL_OUT('no free port') unless $port;

quiet(as_pg("$bin/initdb", '-D', "$dir/data", '-U', 'postgres', '-A', 'trust',
            '--encoding=UTF8', '--locale=C', '--no-sync')) == 0 or BAIL_OUT('initdb');
open(my $conf, '>>', "$dir/data/postgresql.conf") or BAIL_OUT("conf: $!");
print $conf <<"EOF";
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$dir'
fsync = off
shared_preload_libraries = 'profile'
max_parallel_workers_per_gather = 0
EOF
close $conf;
system(as_pg("$bin/pg_ctl", '-D', "$dir/data", '-l', "$dir/server.log", '-w', '-s', 'start')) == 0
  or BAIL_OUT('pg_ctl start: ' . `cat $dir/server.log`);
END {
    system(as_pg("$bin/pg_ctl", '-D', "$dir/data", '-m', 'immediate', '-s', 'stop')) if $dir && -d "$dir/data";
}

my @conn = ('-h', '127.0.0.1', '-p', $port, '-d', 'postgres');

sub psql {
    my ($sql, $user) = @_;
    my $out = `"$bin/psql" -X -q -A -t -F '|' -h 127.0.0.1 -p $port -U ${\($user // 'postgres')} -d postgres -c "$sql" 2>&1`;
    chomp $out;
    return $out;
}

is(psql(q{CREATE EXTENSION profile; SELECT count(*) FROM profile.progress()}), '0',
   'preloaded: profile.progress() works and nothing runs');
psql(q{CREATE TABLE pts AS SELECT g AS id, ARRAY[(g * 7919) % 1000, (g * 104729) % 997]::float8[] AS f
       FROM generate_series(1, 2000) g});
psql(q{CREATE ROLE watcher LOGIN});

# A fit of some seconds: every pass reads the points slowly
my $fit = q{SELECT iterations FROM profile.kmeans_fit_scan('slow', 'SELECT id, f FROM pts, LATERAL pg_catalog.pg_sleep(CASE WHEN id % 200 = 0 THEN 0.03 ELSE 0 END) s', 8, max_iter => 12, tol => 0)};

sub start_fit {
    my ($sql, $name) = @_;
    my $pid = fork();
    die "fork: $!" unless defined $pid;
    if ($pid == 0) {
        $ENV{PGAPPNAME} = $name;
        exec($bin . '/psql', '-X', '-q', '-A', '-t', @conn, '-U', 'postgres', '-o', "$dir/$name.out", '-c', $sql);
        exit 1;
    }
    return $pid;
}

sub backend_of {
    my ($name) = @_;
    for (1 .. 100) {
        my $b = psql("SELECT pid FROM pg_stat_activity WHERE application_name = '$name' AND state = 'active'");
        return $b if $b =~ /^\d+$/;
        sleep 0.05;
    }
    return '';
}

my $child = start_fit($fit, 'progress_fit');
my $backend = backend_of('progress_fit');
ok($backend, "the fit runs in backend $backend");

my @samples;
my ($hidden, $shown);
my $t0 = time;
while (time - $t0 < 60) {
    my $row = psql(q{SELECT pid, function, phase, done, total, unit, rows_read, updated_at >= started_at
                     FROM profile.progress()});
    last if $row eq '' && @samples;
    push @samples, $row if $row ne '';
    if (!defined $hidden && $row =~ /Lloyd passes/) {
        $hidden = psql(q{SELECT count(*) FROM profile.progress()}, 'watcher');
        psql(q{GRANT pg_read_all_stats TO watcher});
        $shown = psql(q{SELECT function FROM profile.progress()}, 'watcher');
    }
    sleep 0.1;
}
waitpid($child, 0);
is($?, 0, 'the fit finished');
my $iterations = `cat $dir/progress_fit.out`;
$iterations =~ s/\s+//g;
diag(scalar(@samples) . " samples over " . sprintf('%.1f', time - $t0) . " s; the fit made $iterations passes");

my @lloyd = grep { /\|Lloyd passes over the query\|/ } @samples;
ok(@lloyd >= 3, 'several samples during the Lloyd passes') or diag(join("\n", @samples));
ok((grep { /^\Q$backend\E\|profile\.kmeans_fit_scan\|/ } @samples) == @samples,
   'every sample names the working backend and profile.kmeans_fit_scan') or diag(join("\n", @samples));
my @done = map { (split /\|/)[3] } @lloyd;
my $monotone = 1;
for my $i (1 .. $#done) { $monotone = 0 if $done[$i] < $done[$i - 1]; }
ok($monotone && $done[-1] > $done[0], 'passes done only go up: ' . join(' ', @done));
ok((grep { (split /\|/)[4] == 13 && (split /\|/)[5] eq 'passes' } @lloyd) == @lloyd,
   'planned: max_iter + 1 passes');
# the scan makes one more pass than its iterations: the last one measures
# the final centroids (sizes, inertia)
ok($done[-1] <= $iterations + 1,
   "the last pass seen ($done[-1]) is at most the iterations made ($iterations) + 1");
ok((grep { (split /\|/)[7] eq 't' } @samples) == @samples, 'updated_at >= started_at');
is($hidden, '0', 'a role without pg_read_all_stats does not see the work of another role');
is($shown, 'profile.kmeans_fit_scan', 'with pg_read_all_stats it does');
is(psql(q{SELECT count(*) FROM profile.progress()}), '0', 'nothing once the fit is done');

# cancelled work leaves nothing behind
$child = start_fit($fit, 'progress_cancel');
$backend = backend_of('progress_cancel');
my $seen = '';
for (1 .. 100) {
    $seen = psql("SELECT phase FROM profile.progress() WHERE pid = $backend");
    last if $seen =~ /Lloyd/;
    sleep 0.1;
}
like($seen, qr/Lloyd/, 'a second fit is seen');
psql("SELECT pg_cancel_backend($backend)");
waitpid($child, 0);
is(psql(q{SELECT count(*) FROM profile.progress()}), '0', 'nothing once it is cancelled');

# a failed call in a session that stays: nothing, and the next call names itself
is(psql(q{SELECT count(*) FROM profile.kmeans_fit('bad', 'SELECT 1, ARRAY[1]::float8[]', 3)}) =~ /ERROR/ ? 'error' : 'no error',
   'error', 'a failing fit');
is(psql(q{SELECT count(*) FROM profile.progress()}), '0', 'nothing after it failed');

done_testing();
