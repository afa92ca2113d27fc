#!/usr/bin/perl
# Release metadata: META.json is valid against the PGXN Meta Spec 1.0.0
# (checked here rule by rule: required and allowed keys, terms, SemVer
# versions, licenses, prereq phases, relationships and version ranges,
# resources, tags), names files that exist, and agrees with the control
# file's default_version and debian/changelog; make dist builds
# profile-VERSION.zip with every file under profile-VERSION/.  Needs no
# server.
use strict;
use warnings;
use FindBin;
use JSON::PP;
use IO::Uncompress::Unzip qw($UnzipError);
use Test::More;

my $root = "$FindBin::Bin/..";

sub slurp {
    my ($path) = @_;
    open my $fh, '<', $path or die "$path: $!";
    local $/;
    return scalar <$fh>;
}

# ---------------------------------------------------------------------
# A validator for PGXN Meta Spec 1.0.0: validate(META) gives its problems
# ---------------------------------------------------------------------

my $SEMVER = qr/^(?:0|[1-9]\d*)\.(?:0|[1-9]\d*)\.(?:0|[1-9]\d*)
                (?:-(?:0|[1-9]\d*|\d*[A-Za-z-][0-9A-Za-z-]*)(?:\.(?:0|[1-9]\d*|\d*[A-Za-z-][0-9A-Za-z-]*))*)?
                (?:\+[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?$/x;
my $RANGE_PART = qr/(?:(?:[=!]=|[<>]=?)\s*)?(?:0|(?:0|[1-9]\d*)\.(?:0|[1-9]\d*)\.(?:0|[1-9]\d*)(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?)/;
my %LICENSE = map { $_ => 1 } qw(agpl_3 apache_1_1 apache_2_0 artistic_1 artistic_2 bsd freebsd gfdl_1_2
  gfdl_1_3 gpl_1 gpl_2 gpl_3 lgpl_2_1 lgpl_3_0 mit mozilla_1_0 mozilla_1_1 openssl perl_5 postgresql
  qpl_1_0 ssleay sun zlib open_source restricted unrestricted unknown);
my %PHASE = map { $_ => 1 } qw(configure build test runtime develop);
my %RELATION = map { $_ => 1 } qw(requires recommends suggests conflicts);

sub is_custom { return $_[0] =~ /^[xX]_./ }
sub is_string { my ($v) = @_; return defined $v && !ref $v && length $v > 0 }
sub is_term { my ($v) = @_; return is_string($v) && $v =~ /^[^\/\\\s\p{Cc}]{2,}$/ }
sub is_uri { my ($v) = @_; return is_string($v) && $v =~ m{^[A-Za-z][A-Za-z0-9+.-]*:[^\s]+$} }
sub is_path { my ($v) = @_; return is_string($v) && $v !~ m{^/} && $v !~ m{\\} && $v !~ m{(^|/)\.\.(/|$)} }
sub is_object { return ref $_[0] eq 'HASH' }

sub validate {
    my ($m) = @_;
    my @p;
    return ('the document is not an object') unless is_object($m);
    my %known = map { $_ => 1 } qw(name version abstract maintainer license provides meta-spec description
      generated_by tags no_index prereqs release_status resources);
    for my $k (qw(name version abstract maintainer license provides meta-spec)) {
        push @p, "missing required key $k" unless exists $m->{$k};
    }
    for my $k (sort keys %$m) {
        push @p, "unknown key $k" unless $known{$k} || is_custom($k);
    }
    push @p, 'name is not a term' if exists $m->{name} && !is_term($m->{name});
    push @p, 'version is not a SemVer' if exists $m->{version} && !(is_string($m->{version}) && $m->{version} =~ $SEMVER);
    for my $k (qw(abstract description generated_by)) {
        push @p, "$k is not a non-empty string" if exists $m->{$k} && !is_string($m->{$k});
    }
    if (exists $m->{maintainer}) {
        my $v = $m->{maintainer};
        push @p, 'maintainer is not a string or a non-empty array of strings'
          unless is_string($v) || (ref $v eq 'ARRAY' && @$v && !grep { !is_string($_) } @$v);
    }
    if (exists $m->{license}) {
        my $v = $m->{license};
        my $ok = (!ref $v && defined $v && $LICENSE{$v})
          || (ref $v eq 'ARRAY' && @$v && !grep { ref $_ || !$LICENSE{$_} } @$v)
          || (is_object($v) && %$v && !grep { !is_uri($_) } values %$v);
        push @p, 'license is not a known license, a list of them, or names with URIs' unless $ok;
    }
    if (exists $m->{provides}) {
        my $v = $m->{provides};
        if (!is_object($v) || !%$v) {
            push @p, 'provides is not a non-empty object';
        } else {
            for my $ext (sort keys %$v) {
                my $e = $v->{$ext};
                push @p, "provides: $ext is not a term" unless is_term($ext);
                if (!is_object($e)) { push @p, "provides.$ext is not an object"; next }
                push @p, "provides.$ext.file is missing or not a relative path" unless is_path($e->{file});
                push @p, "provides.$ext.version is missing or not a SemVer"
                  unless is_string($e->{version}) && $e->{version} =~ $SEMVER;
                push @p, "provides.$ext.abstract is not a non-empty string" if exists $e->{abstract} && !is_string($e->{abstract});
                push @p, "provides.$ext.docfile is not a relative path" if exists $e->{docfile} && !is_path($e->{docfile});
                for my $k (sort keys %$e) {
                    push @p, "provides.$ext: unknown key $k"
                      unless $k =~ /^(file|version|abstract|docfile)$/ || is_custom($k);
                }
            }
        }
    }
    if (exists $m->{'meta-spec'}) {
        my $v = $m->{'meta-spec'};
        if (!is_object($v)) {
            push @p, 'meta-spec is not an object';
        } else {
            push @p, 'meta-spec.version is not 1.0.x' unless is_string($v->{version}) && $v->{version} =~ /^1\.0\.\d+$/;
            push @p, 'meta-spec.url is not a URI' if exists $v->{url} && !is_uri($v->{url});
            push @p, "meta-spec: unknown key $_" for grep { !/^(version|url)$/ && !is_custom($_) } sort keys %$v;
        }
    }
    if (exists $m->{tags}) {
        my $v = $m->{tags};
        if (ref $v ne 'ARRAY' || !@$v) {
            push @p, 'tags is not a non-empty array';
        } else {
            for my $t (@$v) {
                push @p, 'a tag is not a string of 2 to 255 characters without slash, backslash or control characters'
                  unless is_string($t) && length $t <= 255 && $t =~ /^[^\/\\\p{Cc}]{2,}$/;
            }
        }
    }
    if (exists $m->{no_index}) {
        my $v = $m->{no_index};
        if (!is_object($v) || !%$v) {
            push @p, 'no_index is not a non-empty object';
        } else {
            for my $k (sort keys %$v) {
                next if is_custom($k);
                push @p, "no_index: unknown key $k" unless $k =~ /^(file|directory)$/;
                my $x = $v->{$k};
                push @p, "no_index.$k is not a path or a list of paths"
                  unless is_path($x) || (ref $x eq 'ARRAY' && @$x && !grep { !is_path($_) } @$x);
            }
        }
    }
    if (exists $m->{prereqs}) {
        my $v = $m->{prereqs};
        if (!is_object($v) || !%$v) {
            push @p, 'prereqs is not a non-empty object';
        } else {
            for my $phase (sort keys %$v) {
                next if is_custom($phase);
                push @p, "prereqs: unknown phase $phase" unless $PHASE{$phase};
                my $rels = $v->{$phase};
                if (!is_object($rels) || !%$rels) { push @p, "prereqs.$phase is not a non-empty object"; next }
                for my $rel (sort keys %$rels) {
                    next if is_custom($rel);
                    push @p, "prereqs.$phase: unknown relationship $rel" unless $RELATION{$rel};
                    my $deps = $rels->{$rel};
                    if (!is_object($deps) || !%$deps) { push @p, "prereqs.$phase.$rel is not a non-empty object"; next }
                    for my $dep (sort keys %$deps) {
                        my $range = $deps->{$dep};
                        push @p, "prereqs.$phase.$rel: $dep is not a term" unless is_term($dep);
                        push @p, "prereqs.$phase.$rel.$dep is not a version range"
                          unless defined $range && !ref $range && "$range" =~ /^$RANGE_PART(?:,\s*$RANGE_PART)*$/;
                    }
                }
            }
        }
    }
    if (exists $m->{release_status}) {
        push @p, 'release_status is not stable, testing or unstable'
          unless is_string($m->{release_status}) && $m->{release_status} =~ /^(stable|testing|unstable)$/;
    }
    if (exists $m->{resources}) {
        my $v = $m->{resources};
        if (!is_object($v) || !%$v) {
            push @p, 'resources is not a non-empty object';
        } else {
            for my $k (sort keys %$v) {
                next if is_custom($k);
                my $x = $v->{$k};
                if ($k eq 'homepage') {
                    push @p, 'resources.homepage is not a URI' unless is_uri($x);
                } elsif ($k eq 'bugtracker') {
                    if (!is_object($x) || !(exists $x->{web} || exists $x->{mailto})) {
                        push @p, 'resources.bugtracker is not an object with web or mailto';
                        next;
                    }
                    push @p, 'resources.bugtracker.web is not a URI' if exists $x->{web} && !is_uri($x->{web});
                    push @p, 'resources.bugtracker.mailto is not an email address'
                      if exists $x->{mailto} && !(is_string($x->{mailto}) && $x->{mailto} =~ /^[^@\s]+@[^@\s]+$/);
                    push @p, "resources.bugtracker: unknown key $_" for grep { !/^(web|mailto)$/ && !is_custom($_) } sort keys %$x;
                } elsif ($k eq 'repository') {
                    if (!is_object($x) || !(exists $x->{web} || (exists $x->{url} && exists $x->{type}))) {
                        push @p, 'resources.repository is not an object with web, or url and type';
                        next;
                    }
                    push @p, "resources.repository.$_ is not a URI" for grep { exists $x->{$_} && !is_uri($x->{$_}) } qw(url web);
                    push @p, 'resources.repository.type is not a lowercase word'
                      if exists $x->{type} && !(is_string($x->{type}) && $x->{type} =~ /^[a-z]+$/);
                    push @p, "resources.repository: unknown key $_" for grep { !/^(url|web|type)$/ && !is_custom($_) } sort keys %$x;
                } else {
                    push @p, "resources: unknown key $k";
                }
            }
        }
    }
    return @p;
}

# The validator fails where it must: a minimal valid document passes, and
# each broken copy of it is refused
my %minimal = (
    name => 'pair', version => '0.1.8', abstract => 'A key/value pair data type',
    maintainer => 'someone <someone@example.org>', license => 'postgresql',
    provides => { pair => { file => 'sql/pair.sql', version => '0.1.8' } },
    'meta-spec' => { version => '1.0.0' },
);
is_deeply([validate({%minimal})], [], 'the validator passes a minimal valid document');
my %broken = (
    'no version'              => sub { delete $_[0]{version} },
    'version 1.1'             => sub { $_[0]{version} = '1.1' },
    'version 01.1.0'          => sub { $_[0]{version} = '01.1.0' },
    'a one-letter name'       => sub { $_[0]{name} = 'p' },
    'a name with a space'     => sub { $_[0]{name} = 'my pair' },
    'license GPL'             => sub { $_[0]{license} = 'GPL' },
    'provides without file'   => sub { $_[0]{provides} = { pair => { version => '0.1.8' } } },
    'provides version 1.0'    => sub { $_[0]{provides} = { pair => { file => 'pair.sql', version => '1.0' } } },
    'an absolute file'        => sub { $_[0]{provides} = { pair => { file => '/pair.sql', version => '1.0.0' } } },
    'meta-spec 2.0.0'         => sub { $_[0]{'meta-spec'} = { version => '2.0.0' } },
    'an unknown key'          => sub { $_[0]{homepage} = 'https://example.org/' },
    'prereq phase "run"'      => sub { $_[0]{prereqs} = { run => { requires => { PostgreSQL => '15.0.0' } } } },
    'prereq range "15"'       => sub { $_[0]{prereqs} = { runtime => { requires => { PostgreSQL => '15' } } } },
    'release_status "beta"'   => sub { $_[0]{release_status} = 'beta' },
    'a tag with a slash'      => sub { $_[0]{tags} = ['a/b'] },
    'an empty tag list'       => sub { $_[0]{tags} = [] },
    'resources.homepage not a URI' => sub { $_[0]{resources} = { homepage => 'pgxn' } },
    'a repository without url type' => sub { $_[0]{resources} = { repository => { url => 'https://x.org/r.git' } } },
);
for my $case (sort keys %broken) {
    my $m = decode_json(encode_json({%minimal}));
    $broken{$case}->($m);
    ok(scalar(validate($m)) > 0, "the validator refuses $case");
}

# ---------------------------------------------------------------------
# This project's META.json
# ---------------------------------------------------------------------

my $meta = eval { decode_json(slurp("$root/META.json")) };
ok($meta, 'META.json is JSON') or diag($@);
$meta //= {};
my @problems = validate($meta);
is_deeply(\@problems, [], 'META.json is valid against the PGXN Meta Spec 1.0.0');

is($meta->{name}, 'profile', 'the distribution is profile');
is($meta->{license}, 'postgresql', 'under the PostgreSQL license');
is($meta->{'meta-spec'}{version}, '1.0.0', 'meta-spec 1.0.0');
my $ext = $meta->{provides}{profile} // {};
is($ext->{version}, $meta->{version}, 'it provides the profile extension at the distribution version');
for my $k (qw(file docfile)) {
    ok(defined $ext->{$k} && -f "$root/$ext->{$k}", "the extension's $k (" . ($ext->{$k} // 'none') . ') exists');
}
like($meta->{prereqs}{runtime}{requires}{PostgreSQL} // '', qr/^>= 15\.0\.0, < 16\.0\.0$/,
     'it requires PostgreSQL 15 at run time');
ok(ref $meta->{tags} eq 'ARRAY' && @{ $meta->{tags} } >= 3, 'it has tags');
ok(is_object($meta->{resources}), 'it names its resources');

# the versions agree: META.json's x.y.z is the control file's x.y, and
# debian/changelog's version
my ($default_version) = slurp("$root/profile.control") =~ /^\s*default_version\s*=\s*'([^']+)'/m;
my ($major_minor) = ($meta->{version} // '') =~ /^(\d+\.\d+)\.\d+/;
is($major_minor, $default_version, "META.json's version $meta->{version} is default_version $default_version");
my ($deb_version) = slurp("$root/debian/changelog") =~ /^profile \(([^)]+)\)/;
is($deb_version, $meta->{version}, "debian/changelog's version is META.json's");
ok(-f "$root/profile--$default_version.sql" || glob("$root/profile--*--$default_version.sql"),
   "a script installs or reaches $default_version");

# ---------------------------------------------------------------------
# make dist
# ---------------------------------------------------------------------

SKIP: {
    skip 'not a git checkout', 6
      unless system("git -C '$root' rev-parse --is-inside-work-tree >/dev/null 2>&1") == 0;
    my $bin = $ENV{PROFILE_PG_BIN} // '/usr/lib/postgresql/15/bin';
    my $zip = "/tmp/profile_dist_$$.zip";
    my $version = $meta->{version};
    is(system("make -s -C '$root' dist PG_CONFIG='$bin/pg_config' DISTFILE='$zip'"), 0, 'make dist');
    ok(-s $zip, 'make dist writes the archive');
    my @names;
    if (my $u = IO::Uncompress::Unzip->new($zip)) {
        my $status = 1;
        for (; $status > 0; $status = $u->nextStream) {
            push @names, $u->getHeaderInfo->{Name};
        }
        $u->close;
    } else {
        diag("unzip: $UnzipError");
    }
    is_deeply([grep { !m{^profile-\Q$version\E/} } @names], [], "every entry is under profile-$version/");
    my @committed = map { "profile-$version/$_" }
      grep { /^(META\.json|Makefile|profile\.control|profile--.*\.sql|README\.md)$/ }
      map { chomp; $_ } `git -C '$root' ls-tree -r --name-only HEAD`;
    my %in_zip = map { $_ => 1 } @names;
    cmp_ok(scalar @committed, '>=', 6, 'HEAD has META.json, Makefile, the control file, the scripts and README.md');
    is_deeply([grep { !$in_zip{$_} } @committed], [], 'the archive holds them');
    is(scalar(grep { m{/\.ci/} } @names), 0, 'the archive leaves out .ci/ (export-ignore)');
    unlink $zip;
}

done_testing();
