#!/usr/bin/perl
# The upgrade path, from the released 1.0 to the version in development.
#
# A database at 1.0 (CREATE EXTENSION profile VERSION '1.0') gets models of
# every kind (RFM with a segment map of its own, k-means with a label, rules,
# CLV), a tag of its own, an action map entry and a stored profile, and
# records what they answer.  After ALTER EXTENSION profile UPDATE:
#   - extversion is the control file's default_version;
#   - the user's rows (those pg_dump dumps) of every 1.0 extension table,
#     by its 1.0 columns, are unchanged, and the models answer exactly as
#     before; the shipped rows (presets) are a fresh install's;
#   - the catalog equals a fresh install's in another database: functions
#     (signature, result, labels, C symbol or SQL body, ACL), aggregates,
#     relations, columns, constraints, triggers, types, comments, extension
#     membership, initial privileges and the config-dump registration;
#   - pg_dump of the upgraded database restores into a fresh database,
#     with the same rows and answers.
# And every C symbol named by any profile--*.sql (released scripts included:
# an old version's functions must keep working against the current module)
# is defined in the installed module, with its pg_finfo_ record.
#
# Needs the running cluster of scripts/test.sh (PGHOST, PGPORT) and the
# extension installed in its server (PROFILE_PG_BIN).  Assumes nothing about
# what profile--1.0--1.1.sql contains.
use strict;
use warnings;
use FindBin;
use Test::More;

plan skip_all => 'no server (PGHOST/PGPORT unset)' unless $ENV{PGHOST} && $ENV{PGPORT};

$ENV{PGOPTIONS} = '-c client_min_messages=warning';
my $bin = $ENV{PROFILE_PG_BIN} // '/usr/lib/postgresql/15/bin';
my $root = "$FindBin::Bin/..";
my ($old, $fresh, $restored) = ('profile_upgrade_old', 'profile_upgrade_fresh', 'profile_upgrade_restored');
my $tmp = "/tmp/profile_upgrade_$$";

# psql: one statement (or several, as one script) with its output, rows
# joined by newlines; dies when a statement fails
sub psql {
    my ($db, $sql) = @_;
    open my $sf, '>', "$tmp.sql" or die "$tmp.sql: $!";
    print $sf $sql, "\n";
    close $sf;
    open my $fh, '-|', "$bin/psql", '-X', '-q', '-A', '-t', '-v', 'ON_ERROR_STOP=1', '-d', $db, '-f', "$tmp.sql"
      or die "psql: $!";
    local $/;
    my $out = <$fh>;
    close $fh;
    die "psql failed on: $sql\n" if $?;
    $out //= '';
    $out =~ s{\n+\z}{};
    return $out;
}

sub slurp {
    my ($path) = @_;
    open my $fh, '<', $path or die "$path: $!";
    local $/;
    return scalar <$fh>;
}

# ---------------------------------------------------------------------
# C symbols: every one a script names is in the installed module
# ---------------------------------------------------------------------

my $pkglibdir = `"$bin/pg_config" --pkglibdir`;
chomp $pkglibdir;
my $module = "$pkglibdir/profile.so";
ok(-f $module, "the module is installed ($module)");
my %defined;
for (`nm -D --defined-only "$module"`) {
    $defined{$1} = 1 if /^\S*\s+[TtWi]\s+(\S+)$/;
}
cmp_ok(scalar keys %defined, '>', 100, 'nm -D lists the functions the module defines');

my @scripts = sort glob("$root/profile--*.sql");
ok(scalar(grep { m{/profile--1\.0\.sql$} } @scripts), 'the released install script profile--1.0.sql is there');
for my $script (@scripts) {
    my $text = slurp($script);
    $text =~ s{--[^\n]*}{}g;    # comments
    my $c_functions = () = $text =~ /\bLANGUAGE\s+c\b/gi;
    my @symbols = $text =~ /\bAS\s+'(?:MODULE_PATHNAME|\$libdir\/profile)'\s*,\s*'([A-Za-z_][A-Za-z0-9_]*)'/gi;
    my $name = $script =~ s{.*/}{}r;
    is(scalar @symbols, $c_functions, "$name: each of its $c_functions C functions names its symbol");
    my @missing = grep { !$defined{$_} || !$defined{"pg_finfo_$_"} } @symbols;
    is_deeply(\@missing, [], "$name: the module defines all " . scalar(@symbols) . ' symbols it names, each with its pg_finfo_ record');
}

# ---------------------------------------------------------------------
# A 1.0 database with models of every kind
# ---------------------------------------------------------------------

psql('postgres', "DROP DATABASE IF EXISTS $_") for ($old, $fresh, $restored);
psql('postgres', "CREATE DATABASE $_") for ($old, $fresh);

# check_function_bodies makes CREATE FUNCTION look up each C symbol: 1.0
# installs only when the current module has every function it declares
psql($old, "SET check_function_bodies = on; CREATE EXTENSION profile VERSION '1.0'");
is(psql($old, q{SELECT extversion FROM pg_extension WHERE extname = 'profile'}), '1.0',
   "CREATE EXTENSION profile VERSION '1.0' against the current module (every 1.0 C symbol looked up)");
my $default_version = psql($old, q{SELECT default_version FROM pg_available_extensions WHERE name = 'profile'});
isnt($default_version, '1.0', "the control file's default_version ($default_version) is past 1.0");

psql($old, <<'SQL');
CREATE SCHEMA upg;
-- 60 customers, 1 to 6 orders each, one line an order, over two years
CREATE TABLE upg.lines AS
SELECT c AS customer_id, (c * 100 + o)::bigint AS order_id,
       timestamptz '2025-01-01 00:00+00' + ((c * 37 + o * 53) % 700) * interval '1 day'
           + ((c + o) % 24) * interval '1 hour' AS ordered_at,
       (5 + (c * 7 + o * 3) % 40)::float8 AS amount,
       (ARRAY['baby', 'books', 'grocery', 'toys'])[1 + (c + o) % 4] AS category,
       (5 + (c * 7 + o * 3) % 40 + o % 3)::float8 AS list_amount,
       (ARRAY['web', 'store', 'app'])[1 + (c * o) % 3] AS channel
FROM generate_series(1, 60) c, generate_series(1, 1 + c % 6) o;

-- a segment map of one's own, and an RFM model that uses it
INSERT INTO profile.rfm_segment_maps (name, bins, default_segment, description)
    VALUES ('upg_map', 3, 'Others', 'upgrade test');
INSERT INTO profile.rfm_segment_rules (segment_map, priority, segment, r_min, f_min, m_min)
    VALUES ('upg_map', 1, 'Best', 3, 3, 3), ('upg_map', 2, 'Recent', 3, NULL, NULL);
SELECT profile.rfm_fit('upg_rfm', 'SELECT customer_id, ordered_at, amount FROM upg.lines',
                       as_of => '2027-01-01', bins => 3, segment_map => 'upg_map');

-- k-means on the stored profile's default features, with a label
SELECT profile.kmeans_fit('upg_km',
    $$SELECT customer_id, ARRAY[date '2027-01-01' - max(ordered_at)::date, count(*), sum(amount)]::float8[]
      FROM upg.lines GROUP BY customer_id$$, 3);
INSERT INTO profile.kmeans_labels (model, cluster, label) VALUES ('upg_km', 1, 'first'), ('upg_km', 3, 'third');

-- rules over the categories each customer bought
SELECT profile.rules_fit('upg_rules', 'SELECT customer_id, category FROM upg.lines', 0.1, 0.3);

-- CLV (the warning that spend and frequency correlate is not the point here)
SET client_min_messages = error;
SELECT profile.clv_fit('upg_clv',
    $$SELECT customer_id, (s).frequency, (s).recency, (s).t, (s).monetary
      FROM (SELECT customer_id, profile.clv_summary(ordered_at, amount, '2027-01-01') AS s
            FROM upg.lines GROUP BY customer_id) x$$,
    penalizer => 0.01);
RESET client_min_messages;

-- a tag of one's own, an action map entry, a stored profile using them all
INSERT INTO profile.tags (tag, description, action) VALUES ('upg_big', 'top 30% by spend', 'upsell');
INSERT INTO profile.tag_rules (tag, feature, op, percentile) VALUES ('upg_big', 'spend', '>=', 0.7);
INSERT INTO profile.tag_actions (tag, action, priority) VALUES ('loyal', 'upsell', 5);
SELECT profile.profiles_create('upg_profile',
    'SELECT customer_id, ordered_at, amount, category, list_amount, channel, order_id FROM upg.lines',
    as_of => '2027-01-01', rfm_model => 'upg_rfm', kmeans_model => 'upg_km', clv_model => 'upg_clv',
    tags => ARRAY['upg_big', 'loyal', 'big_basket', 'churn_risk']);
SQL

is(psql($old, q{SELECT string_agg(kind, ',' ORDER BY kind) FROM profile.models WHERE name LIKE 'upg\_%'}),
   'clv,kmeans,rfm,rules', 'the 1.0 database has an RFM, a k-means, a rule and a CLV model');
is(psql($old, q{SELECT count(*) > 0 FROM profile.rules WHERE model = 'upg_rules'}), 't', 'the rule model has rules');

# The rows of the extension's tables, by the columns they have at 1.0: the
# user's (what pg_dump dumps: extcondition) and the shipped ones (presets,
# built-in maps: the rest)
my $ext_oid = q{(SELECT oid FROM pg_extension WHERE extname = 'profile')};
my %table_columns = map { split /\t/, $_, 2 } split /\n/, psql($old, <<"SQL");
SELECT c.oid::regclass::text || E'\\t' ||
       string_agg(quote_ident(a.attname), ', ' ORDER BY a.attnum)
FROM pg_depend d
JOIN pg_class c ON c.oid = d.objid AND d.classid = 'pg_class'::regclass
JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
WHERE d.refclassid = 'pg_extension'::regclass AND d.refobjid = $ext_oid AND d.deptype = 'e'
  AND c.relkind = 'r'
GROUP BY c.oid
SQL
cmp_ok(scalar keys %table_columns, '>=', 10, 'the 1.0 extension has its tables (' . join(', ', sort keys %table_columns) . ')');
# the filter of a table's user rows: its extcondition (TRUE when empty,
# FALSE for a table pg_dump does not dump)
my %user_filter = map { $_ => 'false' } keys %table_columns;
for (split /\n/, psql($old, qq{SELECT c::regclass::text || E'\\t' || cond
                               FROM pg_extension, unnest(extconfig, extcondition) u(c, cond)
                               WHERE extname = 'profile'})) {
    my ($t, $cond) = split /\t/, $_, 2;
    $cond //= '';
    $cond =~ s/^\s*WHERE\s+//i;
    $user_filter{$t} = $cond eq '' ? 'true' : "($cond)";
}

# rows_of(DB, 'user' or 'shipped'): table => its count and rows as text
sub rows_of {
    my ($db, $which) = @_;
    my %rows;
    for my $t (sort keys %table_columns) {
        my $where = $which eq 'user' ? $user_filter{$t} : "$user_filter{$t} IS NOT TRUE";
        $rows{$t} = psql($db, "SELECT count(*) || E'\\n' || coalesce(string_agg(r::text, E'\\n' ORDER BY r::text), '')
                               FROM (SELECT $table_columns{$t} FROM $t WHERE $where) r");
    }
    return \%rows;
}

# What the models answer
my %answers = (
    'RFM scores' => q{SELECT string_agg(concat_ws('|', r, f, m, s.r_score, s.f_score, s.m_score, s.rfm_cell, s.segment), ',' ORDER BY r, f, m)
        FROM (VALUES (5, 6, 200.0), (200, 1, 10.0), (60, 3, 80.0)) v(r, f, m), profile.rfm_score('upg_rfm', r, f, m) s},
    'RFM boundaries' => q{SELECT string_agg(concat_ws('|', dimension, score, lower_bound, upper_bound, customers), ',' ORDER BY dimension, score)
        FROM profile.rfm_boundaries WHERE model = 'upg_rfm'},
    'k-means assignments' => q{SELECT string_agg(concat_ws('|', p, d.cluster, d.distance, d.label), ',' ORDER BY p)
        FROM unnest(ARRAY[10, 100, 400]) p, profile.kmeans_assign_detail('upg_km', ARRAY[p, 3, p]::float8[]) d},
    'k-means centroids' => q{SELECT string_agg(concat_ws('|', cluster, label, size, centroid, centroid_scaled), ',' ORDER BY cluster)
        FROM profile.kmeans_centroids WHERE model = 'upg_km'},
    'recommendations' => q{SELECT string_agg(concat_ws('|', b, r.rank, r.item, r.score, r.confidence, r.lift), ',' ORDER BY b, r.rank)
        FROM unnest(ARRAY['baby', 'books', 'toys']) b, profile.recommend('upg_rules', ARRAY[b]) r},
    'rules' => q{SELECT string_agg(concat_ws('|', rule, antecedent, consequent, support, confidence, lift, conviction), ',' ORDER BY rule)
        FROM profile.rules WHERE model = 'upg_rules'},
    'CLV' => q{SELECT string_agg(concat_ws('|', f, profile.clv_p_alive('upg_clv', f, 300, 600),
                                           profile.clv_expected_purchases('upg_clv', f, 300, 600, 90),
                                           profile.clv_expected_aov('upg_clv', f, 25),
                                           profile.clv_value('upg_clv', f, 300, 600, 25, 12)), ',' ORDER BY f)
        FROM unnest(ARRAY[1, 3, 5]) f},
    'CLV models view' => q{SELECT string_agg(concat_ws('|', model, time_unit, r, alpha, a, b, p, q, v), ',' ORDER BY model)
        FROM profile.clv_models WHERE model = 'upg_clv'},
    'profiles computed from the stored states' => q{SELECT count(*) || ':' || md5(string_agg(p::text, E'\n' ORDER BY p.customer_id))
        FROM profile.profiles_compute('upg_profile') p},
    'profiles in one call' => q{SELECT count(*) || ':' || md5(string_agg(p::text, E'\n' ORDER BY p.customer_id))
        FROM profile.customer_profiles('SELECT customer_id, ordered_at, amount, category, list_amount, channel, order_id FROM upg.lines',
            as_of => '2027-01-01', rfm_model => 'upg_rfm', kmeans_model => 'upg_km', clv_model => 'upg_clv',
            tags => ARRAY['upg_big', 'loyal', 'big_basket', 'churn_risk']) p},
    'audience' => q{SELECT string_agg(concat_ws('|', customer_id, matched_tags, segment, action, action_tag, clv, recommendations), ',' ORDER BY customer_id)
        FROM profile.audience('upg_profile', ARRAY['upg_big', 'loyal'], rules_model => 'upg_rules')},
);

sub answers {
    my ($db) = @_;
    return { map { $_ => psql($db, $answers{$_}) } keys %answers };
}

my $rows_10 = rows_of($old, 'user');
my $shipped_10 = rows_of($old, 'shipped');
is_deeply([grep { $rows_10->{$_} =~ /^0\n/ } sort keys %table_columns], [],
          'every table of 1.0 holds rows of the user\'s before the update');
my $answers_10 = answers($old);
for my $name (sort keys %answers) {
    isnt($answers_10->{$name}, '', "1.0 answers: $name");
}
like($answers_10->{audience}, qr/upg_big/, 'the stored profile carries the tag of one\'s own');

# A column 1.1 adds to the profile queries (quantity): a database still at
# 1.0 has not the aggregate forms it needs, and says so (55000) rather than
# failing on a function not found
my $quantity_query = q{SELECT count(*) FROM profile.customer_profiles('SELECT customer_id, ordered_at, amount, category, list_amount, channel, order_id, 1 FROM upg.lines')};
my $quantity_10 = `"$bin/psql" -X -q -A -t -v ON_ERROR_STOP=1 -v VERBOSITY=verbose -d $old -c "$quantity_query" 2>&1`;
like($quantity_10, qr/55000: the quantity column of the query given to profile\.customer_profiles needs extension profile 1\.1/,
     'at 1.0, a profile query with a quantity column asks for the update (55000)');

# ---------------------------------------------------------------------
# ALTER EXTENSION profile UPDATE
# ---------------------------------------------------------------------

psql($old, 'ALTER EXTENSION profile UPDATE');
is(psql($old, q{SELECT extversion FROM pg_extension WHERE extname = 'profile'}), $default_version,
   "ALTER EXTENSION profile UPDATE brings 1.0 to $default_version");

my $rows_up = rows_of($old, 'user');
for my $t (sort keys %table_columns) {
    is($rows_up->{$t}, $rows_10->{$t}, "after the update, $t keeps the user's rows");
}
my $answers_up = answers($old);
for my $name (sort keys %answers) {
    is($answers_up->{$name}, $answers_10->{$name}, "after the update, the same $name");
}
is(psql($old, $quantity_query), '60', 'after the update, the quantity column is accepted');

# ---------------------------------------------------------------------
# The upgraded catalog equals a fresh install's
# ---------------------------------------------------------------------

psql($fresh, 'CREATE EXTENSION profile');
is(psql($fresh, q{SELECT extversion FROM pg_extension WHERE extname = 'profile'}), $default_version,
   "a fresh CREATE EXTENSION profile installs $default_version");

my $in_schema = q{'profile'::regnamespace};
my $members = qq{(SELECT objid FROM pg_depend WHERE refclassid = 'pg_extension'::regclass
                  AND refobjid = $ext_oid AND deptype = 'e' AND classid = %s)};
my %catalog = (
    'functions (signature, result, arguments and defaults, kind, volatility, strictness, parallel, security definer, leakproof, cost, rows, language, C symbol, settings, support, ACL, SQL body)' => qq{
        SELECT concat_ws(' | ', p.oid::regprocedure, p.prokind, pg_get_function_result(p.oid),
                         pg_get_function_arguments(p.oid), p.provolatile, p.proisstrict, p.proparallel,
                         p.prosecdef, p.proleakproof, p.proretset, p.procost, p.prorows, l.lanname,
                         CASE WHEN l.lanname = 'c' THEN p.prosrc END, p.probin, p.proconfig,
                         p.prosupport::regprocedure, p.proacl,
                         CASE WHEN p.prokind <> 'a' AND l.lanname <> 'c' THEN pg_get_functiondef(p.oid) END)
        FROM pg_proc p JOIN pg_language l ON l.oid = p.prolang
        WHERE p.pronamespace = $in_schema},
    'aggregates (support functions, state types, initial values)' => qq{
        SELECT concat_ws(' | ', a.aggfnoid::regprocedure, a.aggkind, a.aggnumdirectargs,
                         a.aggtransfn::oid::regprocedure, a.aggfinalfn::oid::regprocedure,
                         a.aggcombinefn::oid::regprocedure, a.aggserialfn::oid::regprocedure,
                         a.aggdeserialfn::oid::regprocedure, a.aggmtransfn::oid::regprocedure,
                         a.aggminvtransfn::oid::regprocedure, a.aggmfinalfn::oid::regprocedure,
                         a.aggfinalextra, a.aggmfinalextra, a.aggfinalmodify, a.aggmfinalmodify,
                         a.aggsortop::regoperator, a.aggtranstype::regtype, a.aggtransspace,
                         a.aggmtranstype::regtype, a.aggmtransspace, a.agginitval, a.aggminitval)
        FROM pg_aggregate a JOIN pg_proc p ON p.oid = a.aggfnoid
        WHERE p.pronamespace = $in_schema},
    'relations (tables, views and their definitions, composite types, indexes, sequences)' => qq{
        SELECT concat_ws(' | ', c.relname, c.relkind, c.relpersistence, c.relrowsecurity, c.relforcerowsecurity,
                         c.reloptions, c.relacl, c.reloftype::regtype, c.relreplident,
                         CASE WHEN c.relkind IN ('v', 'm') THEN pg_get_viewdef(c.oid) END,
                         CASE WHEN c.relkind = 'i' THEN pg_get_indexdef(c.oid) END,
                         (SELECT concat_ws(',', s.seqtypid::regtype, s.seqstart, s.seqincrement, s.seqmin, s.seqmax, s.seqcycle)
                          FROM pg_sequence s WHERE s.seqrelid = c.oid))
        FROM pg_class c WHERE c.relnamespace = $in_schema},
    'columns (position, name, type, not null, default, identity, generated, collation, ACL)' => qq{
        SELECT concat_ws(' | ', c.relname,
                         row_number() OVER (PARTITION BY c.oid ORDER BY a.attnum), a.attname,
                         format_type(a.atttypid, a.atttypmod), a.attnotnull, pg_get_expr(d.adbin, d.adrelid),
                         a.attidentity, a.attgenerated, a.attcollation::regcollation, a.attacl)
        FROM pg_class c
        JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
        LEFT JOIN pg_attrdef d ON d.adrelid = c.oid AND d.adnum = a.attnum
        WHERE c.relnamespace = $in_schema},
    'constraints' => qq{
        SELECT concat_ws(' | ', coalesce(c.conrelid::regclass::text, c.contypid::regtype::text), c.conname,
                         c.contype, c.condeferrable, c.convalidated, pg_get_constraintdef(c.oid))
        FROM pg_constraint c WHERE c.connamespace = $in_schema},
    'triggers' => qq{
        SELECT concat_ws(' | ', t.tgrelid::regclass, t.tgname, t.tgenabled, pg_get_triggerdef(t.oid))
        FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
        WHERE c.relnamespace = $in_schema AND NOT t.tgisinternal},
    'types' => qq{
        SELECT concat_ws(' | ', t.oid::regtype, t.typtype, t.typlen, t.typbyval, t.typcategory, t.typdelim,
                         (SELECT relkind FROM pg_class WHERE oid = t.typrelid), t.typelem::regtype, t.typarray::regtype,
                         t.typinput::oid::regprocedure, t.typoutput::oid::regprocedure,
                         t.typreceive::oid::regprocedure, t.typsend::oid::regprocedure,
                         t.typmodin::oid::regprocedure, t.typmodout::oid::regprocedure,
                         t.typanalyze::oid::regprocedure, t.typalign, t.typstorage, t.typnotnull,
                         t.typbasetype::regtype, t.typtypmod, t.typndims, t.typcollation::regcollation,
                         t.typdefault, t.typacl,
                         (SELECT string_agg(e.enumlabel, ',' ORDER BY e.enumsortorder) FROM pg_enum e WHERE e.enumtypid = t.oid))
        FROM pg_type t WHERE t.typnamespace = $in_schema},
    'operators, casts and other objects of the schema or extension' => qq{
        SELECT concat_ws(' | ', o.oid::regoperator, o.oprcode::oid::regprocedure, o.oprcom::regoperator,
                         o.oprnegate::regoperator, o.oprrest, o.oprjoin, o.oprcanmerge, o.oprcanhash)
        FROM pg_operator o WHERE o.oprnamespace = $in_schema
        UNION ALL
        SELECT concat_ws(' | ', 'cast', c.castsource::regtype, c.casttarget::regtype,
                         c.castfunc::regprocedure, c.castcontext, c.castmethod)
        FROM pg_cast c WHERE c.oid IN } . sprintf($members, q{'pg_cast'::regclass}),
    'comments (pg_description)' => qq{
        SELECT concat_ws(' | ', pg_describe_object(d.classoid, d.objoid, d.objsubid), d.description)
        FROM pg_description d
        WHERE (pg_identify_object(d.classoid, d.objoid, 0)).schema = 'profile'
           OR (d.classoid = 'pg_extension'::regclass AND d.objoid = $ext_oid)
           OR (d.classoid = 'pg_namespace'::regclass AND d.objoid = $in_schema)},
    'extension membership (pg_depend)' => qq{
        SELECT pg_describe_object(d.classid, d.objid, d.objsubid)
        FROM pg_depend d
        WHERE d.refclassid = 'pg_extension'::regclass AND d.refobjid = $ext_oid AND d.deptype = 'e'},
    'initial privileges (pg_init_privs)' => qq{
        SELECT concat_ws(' | ', pg_describe_object(i.classoid, i.objoid, i.objsubid), i.privtype, i.initprivs)
        FROM pg_init_privs i
        WHERE (pg_identify_object(i.classoid, i.objoid, 0)).schema = 'profile'
           OR (i.classoid = 'pg_namespace'::regclass AND i.objoid = $in_schema)},
    'extension, schema and config-dump registration (extconfig, extcondition)' => qq{
        SELECT concat_ws(' | ', e.extname, e.extversion, e.extrelocatable, e.extnamespace::regnamespace,
                         e.extconfig::regclass[], e.extcondition, n.nspacl)
        FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
        WHERE e.extname = 'profile'},
);

for my $name (sort keys %catalog) {
    my $sql = "SELECT count(*) || E'\\n' || coalesce(string_agg(x, E'\\n' ORDER BY x), '') FROM ($catalog{$name}) s(x)";
    my $want = psql($fresh, $sql);
    my $got = psql($old, $sql);
    my ($n) = $want =~ /^(\d+)/;
    if ($got eq $want) {
        pass("the upgraded catalog equals a fresh install's: $name ($n rows)");
    } else {
        # say which lines differ, not the whole listing
        my %w = map { $_ => 1 } split /\n/, $want;
        my %g = map { $_ => 1 } split /\n/, $got;
        fail("the upgraded catalog equals a fresh install's: $name");
        diag("only after the update: $_") for grep { !$w{$_} } sort keys %g;
        diag("only in a fresh install: $_") for grep { !$g{$_} } sort keys %w;
    }
}
# the shipped rows (presets, built-in segment maps) are the fresh install's:
# what the update script changes in them, it changes alike
my $shipped_fresh = rows_of($fresh, 'shipped');
my $shipped_up = rows_of($old, 'shipped');
for my $t (sort keys %table_columns) {
    is($shipped_up->{$t}, $shipped_fresh->{$t}, "after the update, the shipped rows of $t are a fresh install's");
}
cmp_ok((psql($fresh, "SELECT count(*) FROM pg_proc WHERE pronamespace = $in_schema")), '>', 100,
       'the listings see the extension (over 100 functions)');

# ---------------------------------------------------------------------
# pg_dump of the upgraded database restores into a fresh one
# ---------------------------------------------------------------------

my $dumpfile = "$tmp.dump";
is(system("$bin/pg_dump", '-Fc', '-f', $dumpfile, $old), 0, 'pg_dump of the upgraded database');
psql('postgres', "CREATE DATABASE $restored");
is(system("$bin/pg_restore", '--exit-on-error', '-d', $restored, $dumpfile), 0,
   'pg_restore into a fresh database succeeds');
is(psql($restored, q{SELECT extversion FROM pg_extension WHERE extname = 'profile'}), $default_version,
   "the restored database has the extension at $default_version");
my $rows_restored = rows_of($restored, 'user');
for my $t (sort keys %table_columns) {
    is($rows_restored->{$t}, $rows_10->{$t}, "restored, $t has the user's rows");
}
my $shipped_restored = rows_of($restored, 'shipped');
is_deeply($shipped_restored, $shipped_fresh, 'restored, the shipped rows are a fresh install\'s, each once');
my $answers_restored = answers($restored);
for my $name (sort keys %answers) {
    is($answers_restored->{$name}, $answers_10->{$name}, "restored, the same $name");
}
# a rule added after the restore does not take a restored rule's rule_id
# (the identity sequence's position is dumped)
my $added = eval {
    psql($restored, q{INSERT INTO profile.tags (tag) VALUES ('upg_after');
                      INSERT INTO profile.tag_rules (tag, feature, op, value) VALUES ('upg_after', 'orders', '>=', 2)
                      RETURNING rule_id > (SELECT max(rule_id) FROM profile.tag_rules WHERE tag <> 'upg_after')});
};
is($added, 't', 'restored, a tag rule added after the restore gets a new rule_id');

psql('postgres', "DROP DATABASE $_") for ($old, $fresh, $restored);
done_testing();

END { unlink "$tmp.sql", "$tmp.dump" }
