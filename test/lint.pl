#!/usr/bin/perl
# Script safety lint for the install and upgrade scripts (profile--*.sql).
#
# A script runs with the installing user's rights and a search_path an
# attacker may have prepared (a look-alike operator in a pre-existing
# schema, a function in public).  So the scripts must have:
#   - no SECURITY DEFINER, no OR REPLACE, no IF NOT EXISTS;
#   - no @extschema@ inside a quoted string;
#   - in SQL function bodies, CHECK and DEFAULT expressions, no unqualified
#     function call and no operator outside OPERATOR(pg_catalog.x).
# The lint first proves it can fail, on test/fixtures/lint_bad.sql, and
# passes test/fixtures/lint_good.sql, then checks the real scripts.
use strict;
use warnings;
use FindBin;
use Test::More;

my $root = "$FindBin::Bin/..";

# SQL words that may stand before '(' without being a function call
my %KEYWORD = map { $_ => 1 } qw(
  and or not in exists any all some values over filter within cast coalesce
  nullif greatest least row array as from select where on using join operator
  extract position substring trim overlay case when then else returns table
  return partition by order group having limit into set update insert delete
  distinct union intersect except lateral with recursive check default
  references primary key unique numeric decimal varchar char character
  timestamp timestamptz time interval bit float is atomic begin end rows
  range groups window grouping sets cube rollup xmlelement collate
  current_user current_date current_timestamp
);

sub strip_sql {
    my ($s) = @_;
    $s =~ s{/\*.*?\*/}{ }gs;
    $s =~ s{--[^\n]*}{ }g;
    $s =~ s{'(?:[^']|'')*'}{''}g;    # string literals keep their place, not their text
    return $s;
}

# Problems in one expression or body (already stripped)
sub check_fragment {
    my ($frag, $where) = @_;
    my @problems;
    my $f = $frag;
    # qualified operators are fine: remove them
    $f =~ s{OPERATOR\s*\(\s*[a-z_]+\s*\.\s*[^)\s]+\s*\)}{ }gi;
    # quoted identifiers are names, not operators
    $f =~ s{"(?:[^"]|"")*"}{x}g;
    while ($f =~ /(?<![\w.\$"])([A-Za-z_][A-Za-z0-9_]*)\s*\(/g) {
        my $name = lc $1;
        next if $KEYWORD{$name};
        push @problems, "$where: unqualified function call $1()";
    }
    # casts, named arguments and assignment are not operators
    $f =~ s{::|=>|:=}{ }g;
    # '*' in select lists and count(*), and '.*'
    $f =~ s{(\(|,|\bselect|\.)\s*\*}{$1 }gi;
    while ($f =~ m{([-+*/<>=~!@#%^&|`?]+)}g) {
        push @problems, "$where: unqualified operator $1";
    }
    return @problems;
}

# Balanced-parenthesis expression starting at the '(' at position $pos
sub paren_expr {
    my ($s, $pos) = @_;
    my $depth = 0;
    for (my $i = $pos; $i < length $s; $i++) {
        my $c = substr($s, $i, 1);
        $depth++ if $c eq '(';
        $depth-- if $c eq ')';
        return substr($s, $pos + 1, $i - $pos - 1) if $depth == 0;
    }
    return substr($s, $pos);
}

sub lint_text {
    my ($text, $file) = @_;
    my @problems;

    # @extschema@ inside a literal (check before literals are blanked)
    my $nocomments = $text;
    $nocomments =~ s{/\*.*?\*/}{ }gs;
    $nocomments =~ s{--[^\n]*}{ }g;
    while ($nocomments =~ /'((?:[^']|'')*)'/g) {
        push @problems, "$file: \@extschema\@ inside a quoted string" if $1 =~ /\@extschema\@/;
    }

    # dollar-quoted bodies are checked apart; the rest is the script itself
    my @bodies;
    my $script = '';
    my $rest = $nocomments;
    while ($rest =~ /\G(.*?)(\$([A-Za-z_]*)\$)(.*?)\2/gcs) {
        $script .= $1 . ' $body$ ';
        push @bodies, $4;
    }
    $script .= substr($rest, pos($rest) // 0);
    $script = strip_sql($script);

    push @problems, "$file: SECURITY DEFINER" if $script =~ /\bSECURITY\s+DEFINER\b/i;
    push @problems, "$file: OR REPLACE" if $script =~ /\bOR\s+REPLACE\b/i;
    push @problems, "$file: IF NOT EXISTS" if $script =~ /\bIF\s+NOT\s+EXISTS\b/i;

    for my $i (0 .. $#bodies) {
        push @problems, check_fragment(strip_sql($bodies[$i]), "$file: body " . ($i + 1));
    }
    # BEGIN ATOMIC ... END bodies
    while ($script =~ /\bBEGIN\s+ATOMIC\b(.*?)\bEND\b/gis) {
        push @problems, check_fragment($1, "$file: BEGIN ATOMIC body");
    }
    # CHECK (...) and DEFAULT expr
    while ($script =~ /\bCHECK\s*\(/gi) {
        my $start = pos($script) - 1;
        push @problems, check_fragment(paren_expr($script, $start), "$file: CHECK");
    }
    while ($script =~ /\bDEFAULT\s+([^,\n]+)/gi) {
        push @problems, check_fragment($1, "$file: DEFAULT");
    }
    return @problems;
}

sub lint_file {
    my ($path) = @_;
    open my $fh, '<', $path or die "$path: $!";
    local $/;
    my $text = <$fh>;
    close $fh;
    (my $short = $path) =~ s{.*/}{};
    return lint_text($text, $short);
}

# 1. the lint fails where it must
my @bad = lint_file("$root/test/fixtures/lint_bad.sql");
my %found;
for my $p (@bad) {
    $found{$1}++ if $p =~ /(SECURITY DEFINER|OR REPLACE|IF NOT EXISTS|\@extschema\@|unqualified function call|unqualified operator)/;
}
is($found{'SECURITY DEFINER'}, 1, 'lint finds SECURITY DEFINER');
is($found{'OR REPLACE'}, 1, 'lint finds OR REPLACE');
is($found{'IF NOT EXISTS'}, 1, 'lint finds IF NOT EXISTS');
is($found{'@extschema@'}, 1, 'lint finds @extschema@ inside quotes');
is($found{'unqualified function call'}, 3, 'lint finds the 3 unqualified function calls');
is($found{'unqualified operator'}, 4, 'lint finds the 4 unqualified operators');

# 2. and passes what is right
my @good = lint_file("$root/test/fixtures/lint_good.sql");
is_deeply(\@good, [], 'lint accepts qualified names, casts, named arguments and select *')
  or diag(join("\n", @good));

# 3. the real scripts
my @scripts = sort glob("$root/profile--*.sql");
ok(@scripts >= 1, 'there is an install script');
for my $script (@scripts) {
    my @problems = lint_file($script);
    (my $short = $script) =~ s{.*/}{};
    is_deeply(\@problems, [], "$short passes the script safety lint") or diag(join("\n", @problems));
}

done_testing();
