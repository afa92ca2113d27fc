-- profile--1.0--1.1.sql: what release 1.1 adds to 1.0
--
-- A fresh CREATE EXTENSION profile runs profile--1.0.sql and then this
-- script; ALTER EXTENSION profile UPDATE runs this script alone.  Both must
-- give the same catalog (test/upgrade.pl).  Released scripts are never
-- edited: 1.2 will add profile--1.1--1.2.sql.

\echo Use "ALTER EXTENSION profile UPDATE TO '1.1'" to load this file. \quit

-- Progress of long work (src/progress.c)

CREATE FUNCTION profile.progress(
    OUT pid integer, OUT function text, OUT phase text, OUT done bigint, OUT total bigint,
    OUT unit text, OUT rows_read bigint, OUT started_at timestamptz,
    OUT phase_started_at timestamptz, OUT updated_at timestamptz)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'profile_progress'
LANGUAGE c VOLATILE STRICT PARALLEL RESTRICTED SECURITY INVOKER;
COMMENT ON FUNCTION profile.progress() IS
    'The long profile work of every backend (function, phase, units done, rows read); needs the library in shared_preload_libraries';

-- pg_dump keeps the position of the identity sequence of profile.tag_rules
-- (1.0 dumped the user rules but not it: a rule added after a restore took
-- a rule_id a restored rule had)
SELECT pg_catalog.pg_extension_config_dump('profile.tag_rules_rule_id_seq', '');

-- Behaviour states are compressed with lz4 where the server has it: with
-- pglz, compressing and decompressing them was most of a stored profile's
-- build (2M order lines: 3.2 s of 7.0 s) and a third of its refresh
DO $$
BEGIN
    IF EXISTS (SELECT FROM pg_catalog.pg_settings AS s
               WHERE s.name OPERATOR(pg_catalog.=) 'default_toast_compression'
                 AND 'lz4'::text OPERATOR(pg_catalog.=) ANY (s.enumvals)) THEN
        ALTER TABLE profile.profile_states ALTER COLUMN behaviour SET COMPRESSION lz4;
    END IF;
END
$$;
-- The privacy floor of shared outputs (privacy.c; README "Privacy floor"):
-- the setting profile.min_group_size, and a function's min_group_size
-- argument, which can only raise it

CREATE FUNCTION profile.privacy_floor(min_group_size integer DEFAULT NULL)
    RETURNS integer
    LANGUAGE C CALLED ON NULL INPUT STABLE PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'profile_privacy_floor';

COMMENT ON FUNCTION profile.privacy_floor(integer) IS
    'The privacy floor a call with this min_group_size applies: the larger of it and profile.min_group_size (NULL: the setting)';

-- Segment snapshots and their dynamics (segment_dynamics.c)

CREATE TABLE profile.segment_snapshots (
    snapshot    text NOT NULL
                CONSTRAINT segment_snapshots_snapshot_check
                CHECK (snapshot OPERATOR(pg_catalog.~) '^[A-Za-z0-9_.:-]{1,63}$'),
    customer_id text NOT NULL,
    segment     text NOT NULL
                CONSTRAINT segment_snapshots_segment_check
                CHECK (segment OPERATOR(pg_catalog.<>) ALL ('{(new),(lost)}'::pg_catalog.text[])),
    taken_at    timestamptz NOT NULL DEFAULT pg_catalog.now(),
    PRIMARY KEY (snapshot, customer_id)
);

COMMENT ON TABLE profile.segment_snapshots IS
    'Segment snapshots: every customer''s segment (RFM segment, k-means cluster, any label) under a snapshot name, compared by profile.segment_migration and profile.segment_flows';
COMMENT ON COLUMN profile.segment_snapshots.snapshot IS 'Snapshot name: 1 to 63 letters, digits, _ . - :';
COMMENT ON COLUMN profile.segment_snapshots.customer_id IS 'The customer id as text (the canonical output of its type)';
COMMENT ON COLUMN profile.segment_snapshots.segment IS 'The segment as text; (none) for a NULL segment; (new) and (lost) are reserved';
COMMENT ON COLUMN profile.segment_snapshots.taken_at IS 'When the segments held (the taken_at argument)';

-- pg_dump keeps the snapshots; everyone may read them, taking snapshots
-- needs INSERT and DELETE, which the DBA grants (README: Privileges)
SELECT pg_catalog.pg_extension_config_dump('profile.segment_snapshots', '');
GRANT SELECT ON profile.segment_snapshots TO PUBLIC;

CREATE FUNCTION profile.segment_snapshot(
    snapshot text,
    query text,
    taken_at timestamptz DEFAULT pg_catalog.now(),
    OUT snapshot text,
    OUT customers bigint,
    OUT segments integer)
    RETURNS record
    LANGUAGE C CALLED ON NULL INPUT VOLATILE PARALLEL UNSAFE
    AS 'MODULE_PATHNAME', 'profile_segment_snapshot';

COMMENT ON FUNCTION profile.segment_snapshot(text, text, timestamptz) IS
    'Store the (customer_id, segment) rows of a query as a named segment snapshot, replacing an earlier one of that name';

CREATE FUNCTION profile.segment_dynamics_check(
    from_snapshot text,
    to_snapshot text,
    min_group_size integer)
    RETURNS integer
    LANGUAGE C CALLED ON NULL INPUT STABLE PARALLEL RESTRICTED
    AS 'MODULE_PATHNAME', 'profile_segment_dynamics_check';

COMMENT ON FUNCTION profile.segment_dynamics_check(text, text, integer) IS
    'Internal: the argument checks of segment_migration and segment_flows (NULL 22004, unknown snapshot 42704, min_group_size 22023); returns the privacy floor';

CREATE FUNCTION profile.segment_migration(
    from_snapshot text,
    to_snapshot text,
    min_group_size integer DEFAULT NULL,
    OUT from_segment text,
    OUT to_segment text,
    OUT customers bigint,
    OUT share_of_from double precision,
    OUT share_of_to double precision,
    OUT suppressed boolean)
    RETURNS SETOF record
    LANGUAGE sql STABLE PARALLEL RESTRICTED
    BEGIN ATOMIC
        SELECT profile.segment_dynamics_check(segment_migration.from_snapshot,
                                              segment_migration.to_snapshot,
                                              segment_migration.min_group_size);
        WITH a AS (
            SELECT s.customer_id, s.segment FROM profile.segment_snapshots s
            WHERE s.snapshot OPERATOR(pg_catalog.=) segment_migration.from_snapshot),
        b AS (
            SELECT s.customer_id, s.segment FROM profile.segment_snapshots s
            WHERE s.snapshot OPERATOR(pg_catalog.=) segment_migration.to_snapshot),
        p AS (
            SELECT COALESCE(a.segment, '(new)') AS from_segment,
                   COALESCE(b.segment, '(lost)') AS to_segment,
                   pg_catalog.count(*) AS customers
            FROM a FULL JOIN b ON a.customer_id OPERATOR(pg_catalog.=) b.customer_id
            GROUP BY 1, 2),
        t AS (
            SELECT p.from_segment, p.to_segment, p.customers,
                   pg_catalog.sum(p.customers) OVER (PARTITION BY p.from_segment) AS from_total,
                   pg_catalog.sum(p.customers) OVER (PARTITION BY p.to_segment) AS to_total,
                   p.customers OPERATOR(pg_catalog.<)
                       profile.privacy_floor(segment_migration.min_group_size) AS small
            FROM p)
        SELECT t.from_segment, t.to_segment,
               CASE WHEN NOT t.small THEN t.customers END,
               CASE WHEN NOT t.small
                    THEN t.customers::double precision OPERATOR(pg_catalog./) t.from_total::double precision END,
               CASE WHEN NOT t.small
                    THEN t.customers::double precision OPERATOR(pg_catalog./) t.to_total::double precision END,
               t.small
        FROM t
        ORDER BY t.from_segment OPERATOR(pg_catalog.<>) '(new)', t.from_segment,
                 t.to_segment OPERATOR(pg_catalog.=) '(lost)', t.to_segment;
    END;

COMMENT ON FUNCTION profile.segment_migration(text, text, integer) IS
    'The transition matrix between two segment snapshots: customers per (from, to) segment pair and their shares; (new) and (lost) for customers in one snapshot only; pairs under the privacy floor suppressed';

CREATE FUNCTION profile.segment_flows(
    from_snapshot text,
    to_snapshot text,
    min_group_size integer DEFAULT NULL,
    OUT segment text,
    OUT customers_before bigint,
    OUT customers_after bigint,
    OUT stayed bigint,
    OUT inflow bigint,
    OUT outflow bigint,
    OUT net_change bigint,
    OUT retention double precision,
    OUT suppressed boolean)
    RETURNS SETOF record
    LANGUAGE sql STABLE PARALLEL RESTRICTED
    BEGIN ATOMIC
        SELECT profile.segment_dynamics_check(segment_flows.from_snapshot,
                                              segment_flows.to_snapshot,
                                              segment_flows.min_group_size);
        WITH a AS (
            SELECT s.customer_id, s.segment FROM profile.segment_snapshots s
            WHERE s.snapshot OPERATOR(pg_catalog.=) segment_flows.from_snapshot),
        b AS (
            SELECT s.customer_id, s.segment FROM profile.segment_snapshots s
            WHERE s.snapshot OPERATOR(pg_catalog.=) segment_flows.to_snapshot),
        f AS (
            SELECT a.segment, pg_catalog.count(*) AS customers,
                   pg_catalog.count(*) FILTER (WHERE b.segment OPERATOR(pg_catalog.=) a.segment) AS stayed
            FROM a LEFT JOIN b ON a.customer_id OPERATOR(pg_catalog.=) b.customer_id
            GROUP BY a.segment),
        g AS (
            SELECT b.segment, pg_catalog.count(*) AS customers FROM b GROUP BY b.segment),
        t AS (
            SELECT COALESCE(f.segment, g.segment) AS segment,
                   COALESCE(f.customers, 0) AS before,
                   COALESCE(g.customers, 0) AS after,
                   COALESCE(f.stayed, 0) AS stayed
            FROM f FULL JOIN g ON f.segment OPERATOR(pg_catalog.=) g.segment),
        u AS (
            SELECT t.segment, t.before, t.after, t.stayed,
                   t.after OPERATOR(pg_catalog.-) t.stayed AS inflow,
                   t.before OPERATOR(pg_catalog.-) t.stayed AS outflow,
                   profile.privacy_floor(segment_flows.min_group_size) AS floor
            FROM t),
        v AS (
            SELECT u.*,
                   (SELECT COALESCE(pg_catalog.bool_or(c OPERATOR(pg_catalog.>) 0
                                                       AND c OPERATOR(pg_catalog.<) u.floor), false)
                    FROM pg_catalog.unnest(ARRAY[u.before, u.after, u.stayed, u.inflow, u.outflow]) AS c) AS small
            FROM u)
        SELECT v.segment,
               CASE WHEN NOT v.small THEN v.before END,
               CASE WHEN NOT v.small THEN v.after END,
               CASE WHEN NOT v.small THEN v.stayed END,
               CASE WHEN NOT v.small THEN v.inflow END,
               CASE WHEN NOT v.small THEN v.outflow END,
               CASE WHEN NOT v.small THEN v.after OPERATOR(pg_catalog.-) v.before END,
               CASE WHEN NOT v.small
                    THEN v.stayed::double precision OPERATOR(pg_catalog./)
                         NULLIF(v.before, 0)::double precision END,
               v.small
        FROM v
        ORDER BY v.segment;
    END;

COMMENT ON FUNCTION profile.segment_flows(text, text, integer) IS
    'Per segment between two snapshots: customers before and after, stayed, inflow, outflow, net change and retention; segments with a figure under the privacy floor suppressed';

-- Cohort tables (cohorts.c)

CREATE FUNCTION profile.cohorts(
    query text,
    months integer DEFAULT 12,
    min_group_size integer DEFAULT NULL,
    OUT cohort date,
    OUT months_since integer,
    OUT cohort_customers bigint,
    OUT active_customers bigint,
    OUT retention double precision,
    OUT revenue double precision,
    OUT revenue_per_customer double precision,
    OUT suppressed boolean)
    RETURNS SETOF record
    LANGUAGE C CALLED ON NULL INPUT VOLATILE PARALLEL RESTRICTED
    AS 'MODULE_PATHNAME', 'profile_cohorts';

COMMENT ON FUNCTION profile.cohorts(text, integer, integer) IS
    'Cohort table of a query (customer_id, ordered_at, amount): customers by month of first purchase x months since, with retention and revenue; cells under the privacy floor suppressed';

-- The floor on the 1.0 dashboard summaries: both are dropped and created
-- again (their bodies change; rfm_segment_summary also gains the argument
-- min_group_size and the column suppressed)

DROP FUNCTION profile.rfm_segment_summary(text, timestamptz, integer, text);

CREATE FUNCTION profile.rfm_segment_summary(
    query text,
    as_of timestamptz DEFAULT NULL,
    bins integer DEFAULT 5,
    segment_map text DEFAULT 'rf_grid',
    min_group_size integer DEFAULT NULL,
    OUT segment text,
    OUT customers bigint,
    OUT customer_share double precision,
    OUT avg_recency_days double precision,
    OUT avg_frequency double precision,
    OUT avg_monetary double precision,
    OUT revenue double precision,
    OUT revenue_share double precision,
    OUT suppressed boolean)
    RETURNS SETOF record
    LANGUAGE sql VOLATILE PARALLEL RESTRICTED
    BEGIN ATOMIC
        SELECT profile.privacy_floor(rfm_segment_summary.min_group_size);
        WITH g AS (
            SELECT r.segment,
                   pg_catalog.count(*) AS customers,
                   pg_catalog.count(*)::double precision OPERATOR(pg_catalog./)
                       pg_catalog.sum(pg_catalog.count(*)) OVER () AS customer_share,
                   pg_catalog.avg(r.recency_days)::double precision AS avg_recency_days,
                   pg_catalog.avg(r.frequency)::double precision AS avg_frequency,
                   pg_catalog.avg(r.monetary) AS avg_monetary,
                   pg_catalog.sum(r.monetary) AS revenue,
                   pg_catalog.sum(r.monetary) OPERATOR(pg_catalog./)
                       NULLIF(pg_catalog.sum(pg_catalog.sum(r.monetary)) OVER (), 0::double precision) AS revenue_share,
                   pg_catalog.count(*) OPERATOR(pg_catalog.<)
                       profile.privacy_floor(rfm_segment_summary.min_group_size) AS small
            FROM profile.rfm(rfm_segment_summary.query, rfm_segment_summary.as_of,
                             rfm_segment_summary.bins, rfm_segment_summary.segment_map) r
            GROUP BY r.segment)
        SELECT g.segment,
               CASE WHEN NOT g.small THEN g.customers END,
               CASE WHEN NOT g.small THEN g.customer_share END,
               CASE WHEN NOT g.small THEN g.avg_recency_days END,
               CASE WHEN NOT g.small THEN g.avg_frequency END,
               CASE WHEN NOT g.small THEN g.avg_monetary END,
               CASE WHEN NOT g.small THEN g.revenue END,
               CASE WHEN NOT g.small THEN g.revenue_share END,
               g.small
        FROM g
        ORDER BY g.small, CASE WHEN NOT g.small THEN g.customers END DESC, g.segment;
    END;

COMMENT ON FUNCTION profile.rfm_segment_summary(text, timestamptz, integer, text, integer) IS
    'Dashboard view of RFM segments: size, share, average R/F/M and revenue share per segment; segments under the privacy floor suppressed';

DROP FUNCTION profile.audience_summary(text, text[], text[], text[], integer);

CREATE FUNCTION profile.audience_summary(
    profile text,
    tags text[] DEFAULT NULL,
    segments text[] DEFAULT NULL,
    exclude text[] DEFAULT NULL,
    min_customers integer DEFAULT 10,
    OUT action text,
    OUT customers bigint,
    OUT revenue_share double precision,
    OUT avg_clv double precision,
    OUT suppressed boolean)
    RETURNS SETOF record
    LANGUAGE sql STABLE PARALLEL RESTRICTED
    BEGIN ATOMIC
        WITH a AS (
            SELECT COALESCE(x.action, 'none') AS action, x.net_spend, x.clv
            FROM profile.audience(audience_summary.profile, audience_summary.tags,
                                  audience_summary.segments, audience_summary.exclude) x),
        total AS (
            SELECT pg_catalog.sum(p.net_spend) AS revenue FROM profile.profiles p
            WHERE p.profile OPERATOR(pg_catalog.=) audience_summary.profile),
        g AS (
            SELECT a.action, pg_catalog.count(*) AS customers, pg_catalog.sum(a.net_spend) AS revenue,
                   pg_catalog.avg(a.clv) AS avg_clv,
                   pg_catalog.count(*) OPERATOR(pg_catalog.<)
                       GREATEST(audience_summary.min_customers, profile.privacy_floor()) AS small
            FROM a GROUP BY a.action)
        SELECT g.action,
               CASE WHEN NOT g.small THEN g.customers END,
               CASE WHEN NOT g.small
                    THEN g.revenue OPERATOR(pg_catalog./) NULLIF(total.revenue, 0::double precision) END,
               CASE WHEN NOT g.small THEN g.avg_clv END,
               g.small
        FROM g CROSS JOIN total
        ORDER BY profile.action_priority(g.action), g.action;
    END;

COMMENT ON FUNCTION profile.audience_summary(text, text[], text[], text[], integer) IS
    'Size, revenue share and average CLV of an audience per suggested action; groups under the larger of min_customers and profile.min_group_size are suppressed (NULL figures, suppressed = true)';

-- Unit prices (behaviour.c, customer_profiles.c): an optional quantity
-- column after order_id.  profile.behaviour gets two forms with it (order
-- ids bigint or text); their states are format 2 (units per category),
-- states without it stay format 1, as 1.0 wrote them.  The price percentile
-- ranks mean unit prices when the quantity is given.

CREATE FUNCTION profile.behaviour_transfn(bytea, timestamptz, double precision, text,
                                          double precision, text, bigint, double precision)
    RETURNS bytea
    LANGUAGE C CALLED ON NULL INPUT IMMUTABLE PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'profile_behaviour_transfn';

CREATE FUNCTION profile.behaviour_transfn(bytea, timestamptz, double precision, text,
                                          double precision, text, text, double precision)
    RETURNS bytea
    LANGUAGE C CALLED ON NULL INPUT IMMUTABLE PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'profile_behaviour_transfn';

COMMENT ON FUNCTION profile.behaviour_transfn(bytea, timestamptz, double precision, text, double precision, text, bigint, double precision) IS
    'Internal: transition function of profile.behaviour';
COMMENT ON FUNCTION profile.behaviour_transfn(bytea, timestamptz, double precision, text, double precision, text, text, double precision) IS
    'Internal: transition function of profile.behaviour';

CREATE AGGREGATE profile.behaviour(ordered_at timestamptz, amount double precision, category text,
                                   list_amount double precision, channel text, order_id bigint,
                                   quantity double precision) (
    SFUNC = profile.behaviour_transfn,
    STYPE = bytea,
    SSPACE = 2048,
    COMBINEFUNC = profile.behaviour_combinefn,
    FINALFUNC = profile.behaviour_finalfn,
    PARALLEL = SAFE
);

CREATE AGGREGATE profile.behaviour(ordered_at timestamptz, amount double precision, category text,
                                   list_amount double precision, channel text, order_id text,
                                   quantity double precision) (
    SFUNC = profile.behaviour_transfn,
    STYPE = bytea,
    SSPACE = 2048,
    COMBINEFUNC = profile.behaviour_combinefn,
    FINALFUNC = profile.behaviour_finalfn,
    PARALLEL = SAFE
);

COMMENT ON AGGREGATE profile.behaviour(timestamptz, double precision, text, double precision, text, bigint, double precision) IS
    'A customer''s behaviour from order lines with list amounts, channels, order ids and quantities (unit prices)';
COMMENT ON AGGREGATE profile.behaviour(timestamptz, double precision, text, double precision, text, text, double precision) IS
    'A customer''s behaviour from order lines with list amounts, channels, order ids and quantities (unit prices)';

CREATE FUNCTION profile.behaviour_categories(behaviour bytea,
    OUT category text, OUT lines bigint, OUT spend double precision,
    OUT units double precision, OUT unit_price double precision)
    RETURNS SETOF record
    LANGUAGE C STRICT IMMUTABLE PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'profile_behaviour_categories';

COMMENT ON FUNCTION profile.behaviour_categories(bytea) IS
    'The categories of a profile.behaviour state by spend: lines, spend, and with quantities the units and the mean unit price';

COMMENT ON FUNCTION profile.customer_profiles(text, timestamptz, integer, text, text, text[], text, integer, double precision, text[]) IS
    'One row per customer of a query (customer_id, ordered_at, amount, category [, list_amount [, channel [, order_id [, quantity]]]]): behaviour, population-relative features, model scores and tags';
