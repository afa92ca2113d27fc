#!/usr/bin/perl
# Garden test, generated from the catalog: every function and aggregate of
# the extension (pg_proc joined to pg_depend, so a new function is covered
# without editing this file) is called with odd inputs, one argument at a
# time (the others normal) and all NULL.  Each call runs in its own
# transaction; it must return or raise an SQLSTATE other than XX000, and the
# server must stay up.  Needs the running cluster of scripts/test.sh
# (PGHOST, PGPORT).
use strict;
use warnings;
use Test::More;
use POSIX qw(:sys_wait_h);
use Time::HiRes qw(sleep time);

plan skip_all => 'no server (PGHOST/PGPORT unset)' unless $ENV{PGHOST} && $ENV{PGPORT};

$ENV{PGOPTIONS} = '-c client_min_messages=warning';
$ENV{PGAPPNAME} = 'profile_garden';
my $bin = $ENV{PROFILE_PG_BIN} // '/usr/lib/postgresql/15/bin';
my $db = 'profile_garden';
my $tmp = "/tmp/profile_garden_$$";
my $hang_after = 30;    # seconds without progress: a call ignored statement_timeout

sub psql {
    my ($d, $sql) = @_;
    open my $fh, '-|', "$bin/psql", '-X', '-q', '-A', '-t', '-v', 'ON_ERROR_STOP=1', '-d', $d, '-c', $sql
      or die "psql: $!";
    local $/;
    my $out = <$fh>;
    close $fh;
    die "psql failed on: $sql\n" if $?;
    $out =~ s{\n+\z}{};
    return $out;
}

# The same, '' when the statement fails (its error is not shown)
sub psql_try {
    my ($d, $sql) = @_;
    open my $sf, '>', "$tmp.q" or die "$tmp.q: $!";
    print $sf "$sql;\n";
    close $sf;
    my $out = `"$bin/psql" -X -q -A -t -v ON_ERROR_STOP=1 -d $d -f $tmp.q 2>/dev/null`;
    return '' if $?;
    $out =~ s{\n+\z}{};
    return $out;
}

sub server_up {
    my ($wait) = @_;
    my $until = time + $wait;
    while (1) {
        my $out = `"$bin/psql" -X -A -t -d $db -c 'SELECT 1' 2>/dev/null`;
        return 1 if defined $out && $out =~ /^1$/m;
        return 0 if time > $until;
        sleep 0.5;
    }
}

psql('postgres', "DROP DATABASE IF EXISTS $db");
psql('postgres', "CREATE DATABASE $db");
psql($db, 'CREATE EXTENSION profile');
psql($db, <<'SQL');
SELECT profile.kmeans_fit('garden_km', 'SELECT g, ARRAY[g, g % 3]::float8[] FROM generate_series(1, 50) g', 3);
SELECT profile.rfm_fit('garden_rfm', 'SELECT g % 10, now() - g * interval ''1 day'', g, g FROM generate_series(1, 100) g');
SELECT profile.clv_fit('garden_clv', 'SELECT customer_id, frequency, recency, t, 10.0 + customer_id % 7
                                      FROM profile.clv_bgnbd_simulate(500, 0.5, 8, 0.8, 2.5, 30, 90)');
SELECT profile.rules_fit('garden_rules', 'SELECT g % 40, g % 7 FROM generate_series(1, 400) g', 0.1, 0.1, 2);
SQL

# --- the values -------------------------------------------------------------

my $km_query  = q{'SELECT g, ARRAY[g, g % 3]::float8[] FROM generate_series(1, 50) g'};
my $rfm_query = q{'SELECT g % 10, now() - g * interval ''1 day'', g, g FROM generate_series(1, 100) g'};
my $km_body   = q{(SELECT body FROM profile.models WHERE name = 'garden_km')};
my $rfm_body  = q{(SELECT body FROM profile.models WHERE name = 'garden_rfm')};
my $pca_value = q{(SELECT profile.pca(ARRAY[g, g * g % 7]::float8[], 1) FROM generate_series(1, 20) g)};

my %odd = (
    'integer'  => ['NULL', '0', '-1', '1', '2147483647', '5'],
    'bigint'   => ['NULL', '0', '-1', '1', '9223372036854775807', '5'],
    'double precision' => ['NULL', q{'NaN'}, q{'Infinity'}, q{'-Infinity'}, '0', '-1', '1e308', '1.5'],
    'double precision[]' => ['NULL', q{'{}'}, q{'{NULL}'}, q{'{1,NULL}'}, q{'{{1,2},{3,4}}'}, q{'{NaN}'},
                             q{'{1,2,3}'}, q{'{1}'}, 'array_fill(1.0::float8, ARRAY[2000])'],
    'text'     => ['NULL', q{''}, q{'no_such_model'}, q{repeat('x', 1000)}],
    'bytea'    => ['NULL', q{'\x'}, q{'\x00'}, q{'\x0000000100000001'}, $km_body, $rfm_body],
    'timestamp with time zone' => ['NULL', q{'infinity'}, q{'-infinity'}, q{'2025-01-01'}],
    'boolean'  => ['NULL', 'true'],
    'jsonb'    => ['NULL', q{'{}'}, q{'[]'}, q{'{"k": "x"}'}, q{'{"n_init": 0}'}],
    'integer[]' => ['NULL', q{'{}'}, q{'{0}'}, q{'{2,3}'}, q{'{NULL}'}],
    'uuid'     => ['NULL', q{'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'}],
    'profile.pca_result' => ['NULL', $pca_value, 'ROW(NULL, NULL, NULL, NULL, NULL)',
                             q{ROW(1, '{1,2}', '{{1}}', '{1}', '{1}')}, q{ROW(-1, '{NaN,1}', '{1,0}', '{}', '{}')}],
);
my @odd_queries = map { "'" . s/'/''/gr . "'" } (
    'SELECT 1', 'SELECT 1, now(), 1.0', 'SELECT 1, ARRAY[1.0]::float8[]', 'DELETE FROM profile.models',
    'SELECT 1; SELECT 2', 'SELECT 1 WHERE false', q{SELECT 'x'::text, 'y'::text, 'z'::text});

# The normal value of an argument; $row (0 .. 3) for the rows of an aggregate
# or window call, where some columns differ from row to row.
sub normal {
    my ($fn, $name, $type, $row) = @_;
    $name //= '';
    $row //= 0;
    my $rfm = $fn =~ /rfm/;
    if ($type eq 'text') {
        return $rfm ? $rfm_query : $km_query if $name eq 'query';
        if ($name eq 'model') {
            return q{'garden_clv'} if $fn =~ /^clv_/;
            return q{'garden_rules'} if $fn =~ /^recommend/;
            return $rfm ? q{'garden_rfm'} : q{'garden_km'};
        }
        return q{'garden_new'} if $name eq 'name';
        return q{'zscore'} if $name eq 'scaling';
        return q{'rf_grid'} if $name eq 'segment_map';
        return "'c$row'" if $name eq 'order_id';
        return q{'week'} if $name eq 'time_unit';
        return q{'x'};
    }
    if ($type eq 'integer') {
        my %n = (k => 3, bins => 5, n_init => 2, max_iter => 50, sample_size => 100, n_components => 1,
                 r_score => 3, f_score => 2, m_score => 4, recency_days => 10, cluster => $row % 2);
        return $n{$name} // 3;
    }
    if ($type eq 'bigint') {
        my %n = (seed => 42, frequency => 3, order_id => $row + 1);
        return $n{$name} // 1;
    }
    if ($type eq 'double precision') {
        my %n = (tol => '0.0001', monetary => 100, amount => 10 * ($row + 1), value => (3, 1, 4, 1)[$row],
                 frequency => $row % 3, recency => 2 * ($row % 3), t => 10 + $row, penalizer => 0);
        return $n{$name} // '1.5';
    }
    if ($type eq 'double precision[]') {
        return (q{'{1,2}'}, q{'{3,4}'}, q{'{5,1}'}, q{'{8,8}'})[$row] if $name eq 'features';
        return q{'{0,0}'} if $name eq 'means';
        return q{'{0.5,8,0.8,2.5}'} if $name eq 'params';
        return q{'{{1,0}}'} if $name eq 'components';
        return 'NULL' if $name eq 'init' || $name eq '';    # init, or a support function's state
        return q{'{1,2}'};
    }
    if ($type eq 'timestamp with time zone') {
        return "'2025-01-0" . ($row + 1) . "'" if $name eq 'ordered_at';
        return 'NULL' if $name eq 'as_of' && $fn !~ /rfm_summary|purchase_cycle/;    # the functions that run a query
        return q{'2025-01-03'} if $name eq 'calibration_end';
        return q{'2025-06-01'};
    }
    if ($type eq 'bytea') {
        return 'NULL' if $name eq '';    # a support function's state
        return $rfm ? $rfm_body : $km_body;
    }
    return 'false' if $type eq 'boolean';
    return q{'{}'} if $type eq 'jsonb';
    return q{'{2,3}'} if $type eq 'integer[]';
    return (q{'{a,b,c}'}, q{'{b,a}'}, q{'{c,a,a}'}, q{'{b,c}'})[$row] if $type eq 'text[]' && $name eq 'basket';
    return q{'{{a,b},{b,c}}'} if $type eq 'text[]' && $name eq 'candidates';
    return q{'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a1} . $row . q{'} if $type eq 'uuid';
    return $pca_value if $type eq 'profile.pca_result';
    return 'NULL';
}

sub odd_values {
    my ($name, $type) = @_;
    my @v = @{ $odd{$type} // ['NULL'] };
    push @v, @odd_queries if $type eq 'text' && ($name // '') eq 'query';
    return @v;
}

# --- the calls ----------------------------------------------------------------

my $fns = psql($db, <<'SQL');
SELECT p.oid, p.oid::regprocedure, p.proname, p.prokind, p.proretset,
       coalesce((SELECT string_agg(format_type(t, NULL), ',' ORDER BY i)
                 FROM unnest(p.proargtypes) WITH ORDINALITY a(t, i)), ''),
       coalesce((SELECT string_agg(coalesce(n, ''), ',' ORDER BY i)
                 FROM unnest(p.proargnames, coalesce(p.proargmodes, array_fill('i'::"char", ARRAY[coalesce(cardinality(p.proargnames), 0)])))
                      WITH ORDINALITY a(n, m, i)
                 WHERE m IN ('i', 'b', 'v')), '')
FROM pg_proc p
JOIN pg_depend d ON d.classid = 'pg_proc'::regclass AND d.objid = p.oid
                AND d.refclassid = 'pg_extension'::regclass AND d.deptype = 'e'
JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = 'profile'
WHERE p.prorettype <> 'trigger'::regtype
ORDER BY p.oid::regprocedure::text
SQL

# the SQL of one call: $vals->[row][arg]; rows only for aggregates and windows
sub call_sql {
    my ($f, $rows, $where) = @_;
    my @types = @{ $f->{types} };
    my $n = @types;
    my $fq = $f->{qname};
    if ($f->{kind} eq 'a' || $f->{kind} eq 'w') {
        my @cols = map { "a$_" } 1 .. $n;
        my $values = join(', ', map {
            my $r = $_;
            '(' . join(', ', map { "($r->[$_])::$types[$_]" } 0 .. $n - 1) . ')'
        } @$rows);
        my $call = "$fq(" . join(', ', @cols) . ')';
        $call .= ' OVER ()' if $f->{kind} eq 'w';
        return "SELECT $call FROM (VALUES $values) v(" . join(', ', @cols) . ")$where";
    }
    my $args = join(', ', map { "($rows->[0][$_])::$types[$_]" } 0 .. $n - 1);
    return $f->{retset} ? "SELECT * FROM $fq($args)" : "SELECT $fq($args)";
}

sub cases_of {
    my ($f) = @_;
    my @types = @{ $f->{types} };
    my @names = @{ $f->{names} };
    my $n = @types;
    my $multi = $f->{kind} eq 'a' || $f->{kind} eq 'w';
    my $nrows = $multi ? 4 : 1;
    my @normal = map { my $r = $_; [map { normal($f->{name}, $names[$_], $types[$_], $r) } 0 .. $n - 1] } 0 .. $nrows - 1;
    my (@sql, %seen);
    my $add = sub { my $s = shift; push @sql, $s unless $seen{$s}++ };
    $add->(call_sql($f, \@normal, ''));
    $add->(call_sql($f, [[('NULL') x $n]], '')) if $n;
    if ($multi) {
        $add->(call_sql($f, \@normal, ' WHERE false'));
        $add->(call_sql($f, [[('NULL') x $n], [('NULL') x $n]], ''));
    }
    for my $i (0 .. $n - 1) {
        for my $v (odd_values($names[$i], $types[$i])) {
            my @all = map { my @r = @$_; $r[$i] = $v; \@r } @normal;    # in every row
            $add->(call_sql($f, \@all, ''));
            if ($multi) {
                my @first = map { [@$_] } @normal;                        # in the first row only
                $first[0][$i] = $v;
                $add->(call_sql($f, \@first, ''));
            }
        }
    }
    return @sql;
}

my %outcomes;    # SQLSTATE (00000: returned) => cases

# Runs the cases in one psql session, a new one after a crash or a hang.
# Returns the failures as [sql, why].
sub run_cases {
    my @cases = @_;
    my @fail;
    my $next = 0;
    while ($next < @cases) {
        open my $sf, '>', "$tmp.sql" or die "$tmp.sql: $!";
        print $sf "\\o /dev/null\n";
        for my $i ($next .. $#cases) {
            print $sf "\\echo \@\@S $i\n",
                      "BEGIN;\nSET LOCAL statement_timeout = '5s';\n",
                      "$cases[$i];\n",
                      "\\if :ERROR\n\\echo \@\@E $i :SQLSTATE :LAST_ERROR_MESSAGE\n\\else\n\\echo \@\@O $i\n\\endif\n",
                      "ROLLBACK;\n";
        }
        close $sf;
        my $pid = fork // die "fork: $!";
        if (!$pid) {
            open STDOUT, '>', "$tmp.out" or die;
            open STDERR, '>', "$tmp.err" or die;
            exec "$bin/psql", '-X', '-q', '-A', '-t', '-v', 'ON_ERROR_STOP=0', '-d', $db, '-f', "$tmp.sql";
            die "exec psql: $!";
        }
        my ($last_size, $last_change, $hung) = (-1, time, 0);
        while (waitpid($pid, WNOHANG) == 0) {
            my $size = -s "$tmp.out" // 0;
            ($last_size, $last_change) = ($size, time) if $size != $last_size;
            if (time - $last_change > $hang_after) {
                $hung = 1;
                `"$bin/psql" -X -q -d postgres -c "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'profile_garden' AND pid <> pg_backend_pid()" 2>&1`;
                kill 'TERM', $pid;
                waitpid($pid, 0);
                last;
            }
            sleep 0.05;
        }
        open my $of, '<', "$tmp.out" or die "$tmp.out: $!";
        my ($started, %done);
        while (my $line = <$of>) {
            chomp $line;
            if ($line =~ /^\@\@S (\d+)$/) { $started = $1 }
            elsif ($line =~ /^\@\@O (\d+)$/) { $done{$1} = 1; $outcomes{'00000'}++ }
            elsif ($line =~ /^\@\@E (\d+) (\S+) ?(.*)$/) {
                $done{$1} = 1;
                $outcomes{$2}++;
                diag("normal call refused: $cases[$1]\n    => $2: $3") if ($1 == 0 && $ENV{GARDEN_VERBOSE}) || ($ENV{GARDEN_VERBOSE} // 0) > 1;
                push @fail, [$cases[$1], "$2: $3"] if $2 eq 'XX000';
            }
        }
        close $of;
        last if !defined $started;    # psql could not even start
        if ($done{$started}) {
            last if $started == $#cases;
            $next = $started + 1;     # psql ended early without a crash mid-call: go on
            next;
        }
        my $err = do { local (@ARGV, $/) = "$tmp.err"; <> } // '';
        my @lines = grep { /\S/ } split /\n/, $err;
        @lines = @lines[-3 .. -1] if @lines > 3;
        my $why = $hung ? "no answer after ${hang_after}s despite statement_timeout 5s"
                        : 'connection lost: ' . join(' | ', @lines);
        push @fail, [$cases[$started], $why];
        server_up(60) or BAIL_OUT("server did not come back after: $cases[$started]");
        $next = $started + 1;
    }
    return @fail;
}

my $total = 0;
for my $line (split /\n/, $fns) {
    my ($oid, $sig, $name, $kind, $retset, $types, $names) = split /\|/, $line, -1;
    my @types = length $types ? split(/,/, $types, -1) : ();
    my @names = split(/,/, $names, -1);
    $#names = $#types;
    (my $qname = $sig) =~ s/\(.*//s;
    my $f = { name => $name, qname => $qname, kind => $kind, retset => $retset eq 't',
              types => \@types, names => \@names };
    my @cases = cases_of($f);
    $total += @cases;
    my $started = time;
    my @fail = run_cases(@cases);
    ok(!@fail, "$sig: " . scalar(@cases) . ' cases, none internal error or crash');
    my $took = time - $started;
    diag(sprintf('  %s took %.1f s (slow odd inputs are worth a look)', $sig, $took)) if $took > 2;
    diag("  $_->[0]\n    => $_->[1]") for @fail;
}

# --- aggregate states, as a distributed engine ships them ----------------------
# (reliability suite, part 4)  Every aggregate's state type is a plain type
# (not internal, not polymorphic) with a combine function.  A clone with the
# same transition function and no final function yields the state of the
# normal rows; that state's text, read back, prints the same text, and the
# final function of the state read back gives the aggregate's own result:
# what Citus does when it ships partial states between nodes as text.
my $aggs = psql($db, <<'SQL');
SELECT p.oid::regprocedure, p.proname, a.aggtransfn::regproc, format_type(a.aggtranstype, NULL),
       a.aggtranstype IN ('internal'::regtype, 'anyelement'::regtype, 'anyarray'::regtype,
                          'anycompatible'::regtype, 'anycompatiblearray'::regtype),
       a.aggcombinefn <> 0, a.aggfinalfn::regproc, a.aggfinalfn <> 0 AND NOT a.aggfinalextra,
       coalesce((SELECT string_agg(format_type(t, NULL), ',' ORDER BY i)
                 FROM unnest(p.proargtypes) WITH ORDINALITY x(t, i)), ''),
       coalesce(array_to_string(p.proargnames, ',', ''), '')
FROM pg_aggregate a JOIN pg_proc p ON p.oid = a.aggfnoid
WHERE p.pronamespace = 'profile'::regnamespace AND a.aggkind = 'n'
ORDER BY 1
SQL
psql($db, 'CREATE SCHEMA garden_states');
my ($nstates, $nfinal) = (0, 0);
for my $line (split /\n/, $aggs) {
    my ($sig, $name, $transfn, $stype, $bad, $combine, $finalfn, $check_final, $types, $names) = split /\|/, $line, -1;
    ok($bad eq 'f' && $combine eq 't', "$sig: state $stype, not internal or polymorphic, with a combine function");
    my @types = split /,/, $types, -1;
    my @names = split /,/, $names, -1;
    $#names = $#types;
    my $clone = "garden_states.s$nstates" . "_$name";
    psql($db, "CREATE AGGREGATE $clone(" . join(', ', @types) . ") (SFUNC = $transfn, STYPE = $stype)");
    my $f = { name => $name, qname => $clone, kind => 'a', types => \@types, names => \@names };
    my @rows = map { my $r = $_; [map { normal($name, $names[$_], $types[$_], $r) } 0 .. $#types] } 0 .. 3;
    my $state = psql_try($db, "SELECT s::text FROM (" . call_sql($f, \@rows, '') . ") x(s)");
    next if $state eq '';    # the normal rows give no state (NULL, or an error): nothing to ship
    $nstates++;
    (my $lit = $state) =~ s/'/''/g;
    my $again = psql($db, "SELECT ('$lit'::$stype)::text = '$lit'");
    is($again =~ s/\s+//gr, 't', "$sig: its state's text reads back to the same state");
    next unless $check_final eq 't';
    my $orig = { %$f, qname => $sig =~ s/\(.*//sr };
    my $same = psql_try($db, "SELECT $finalfn('$lit'::$stype) IS NOT DISTINCT FROM (" . call_sql($orig, \@rows, '') . ")");
    next if $same eq '';    # a final function that needs the aggregate context
    $nfinal++;
    is($same =~ s/\s+//gr, 't', "$sig: its final function on the state read back gives the aggregate's result");
}
diag("$nstates aggregate states read back from text, $nfinal final results compared");

# --- memory: 10,000 calls of each scalar function ------------------------------
# (reliability suite, part 5)  Each scalar function whose normal call
# succeeds is called 10,000 times in one session, each call a statement of
# its own (PERFORM in a loop), after the same loop once as warm-up (caches
# filled, and the measurements taken in the same state).
# The backend's lasting memory must grow by less than 64 kB: every context
# of pg_backend_memory_contexts (TopMemoryContext, CacheMemoryContext and
# all their children) but those of the current message, portal and
# transaction, which depend on the measuring statement itself.
my $memory_sql = q{WITH RECURSIVE transient(name) AS (
        VALUES ('MessageContext'), ('PortalContext'), ('TopPortalContext'),
               ('TopTransactionContext'), ('ErrorContext')
        UNION SELECT c.name FROM pg_backend_memory_contexts c JOIN transient t ON c.parent = t.name)
    SELECT sum(total_bytes) FROM pg_backend_memory_contexts WHERE name NOT IN (SELECT name FROM transient)};
my $nmemory = 0;
for my $line (split /\n/, $fns) {
    my ($oid, $sig, $name, $kind, $retset, $types, $names) = split /\|/, $line, -1;
    next unless $kind eq 'f' && $retset eq 'f';
    my @types = length $types ? split(/,/, $types, -1) : ();
    my @names = split(/,/, $names, -1);
    $#names = $#types;
    (my $qname = $sig) =~ s/\(.*//s;
    next if $qname =~ /_(transfn|combinefn|finalfn)$/;    # support functions need an aggregate
    my $call = "$qname(" . join(', ', map { "(" . normal($name, $names[$_], $types[$_], 0) . ")::$types[$_]" } 0 .. $#types) . ')';
    next if psql_try($db, "SELECT $call") eq '' && psql_try($db, "SELECT ($call) IS NULL") eq '';
    my $out = psql_try($db, <<"SQL");
DO \$mem\$ BEGIN FOR i IN 1 .. 10000 LOOP PERFORM $call; END LOOP; END \$mem\$;
SELECT 'before ' || ($memory_sql);
DO \$mem\$ BEGIN FOR i IN 1 .. 10000 LOOP PERFORM $call; END LOOP; END \$mem\$;
SELECT 'after ' || ($memory_sql);
SQL
    my ($before) = $out =~ /before (\d+)/;
    my ($after) = $out =~ /after (\d+)/;
    next unless defined $before && defined $after;
    $nmemory++;
    ok($after - $before < 65536, "$sig: 10,000 calls grow the backend's memory by " . ($after - $before) . ' bytes (limit 64 kB)');
}
diag("$nmemory scalar functions called 10,000 times each");

ok(server_up(60), 'the server answers after all calls');
diag("$total (function, input) cases run; outcomes: "
     . join(', ', map { "$_ $outcomes{$_}" } sort keys %outcomes));

unlink "$tmp.sql", "$tmp.out", "$tmp.err", "$tmp.q";
psql('postgres', "DROP DATABASE $db");
done_testing();
