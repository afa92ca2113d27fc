-- profile--1.0.sql
\echo Use "CREATE EXTENSION profile" to load this file. \quit

-- Everyone may call the functions of the extension; what they read is
-- governed by their rights on their own tables and on profile.models.
GRANT USAGE ON SCHEMA profile TO PUBLIC;

-- Model catalog

CREATE TABLE profile.models (
    name        text PRIMARY KEY
                CONSTRAINT models_name_check
                CHECK (name OPERATOR(pg_catalog.~) '^[A-Za-z0-9_.:-]{1,63}$'),
    kind        text NOT NULL,
    format      integer NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT pg_catalog.now(),
    created_by  name NOT NULL DEFAULT CURRENT_USER,
    params      jsonb NOT NULL DEFAULT '{}'::pg_catalog.jsonb,
    summary     jsonb NOT NULL DEFAULT '{}'::pg_catalog.jsonb,
    body        bytea
);

COMMENT ON TABLE profile.models IS
    'Named models (RFM boundaries, k-means centroids, rule sets, CLV fits): one row each';
COMMENT ON COLUMN profile.models.name IS 'Model name: 1 to 63 letters, digits, _ . - :';
COMMENT ON COLUMN profile.models.kind IS 'What trained the model: rfm, kmeans, rules, clv, ...';
COMMENT ON COLUMN profile.models.format IS 'Version of the body format, checked when the model is read';
COMMENT ON COLUMN profile.models.params IS 'Parameters the model was trained with';
COMMENT ON COLUMN profile.models.summary IS 'Fit summary (sizes, quality measures)';
COMMENT ON COLUMN profile.models.body IS 'The model itself, in the kind''s versioned binary format';

-- pg_dump keeps user models
SELECT pg_catalog.pg_extension_config_dump('profile.models', '');

-- Readers may use every model; training needs INSERT and UPDATE on this
-- table, which the DBA grants (README: Privileges).
GRANT SELECT ON profile.models TO PUBLIC;

CREATE FUNCTION profile.models_changed()
    RETURNS trigger
    LANGUAGE C
    AS 'MODULE_PATHNAME', 'profile_models_changed';

COMMENT ON FUNCTION profile.models_changed() IS
    'Internal: trigger telling every session to drop its cached models';

CREATE TRIGGER models_changed
    AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON profile.models
    FOR EACH STATEMENT
    EXECUTE FUNCTION profile.models_changed();

-- RFM

-- What profile.rfm_summary returns for one customer (README: RFM)
CREATE TYPE profile.rfm_summary AS (
    recency_days    integer,
    frequency       bigint,
    monetary        double precision,
    first_order_at  timestamptz,
    last_order_at   timestamptz,
    tenure_days     integer,
    avg_order_value double precision
);

COMMENT ON TYPE profile.rfm_summary IS
    'One customer''s recency, frequency and monetary value, as profile.rfm_summary() returns them';

-- What a stored RFM model gives one customer
CREATE TYPE profile.rfm_scores AS (
    r_score  integer,
    f_score  integer,
    m_score  integer,
    rfm_cell text,
    segment  text
);

COMMENT ON TYPE profile.rfm_scores IS
    'Scores, RFM cell and segment of one customer under a stored RFM model';

CREATE FUNCTION profile.rfm_summary_transfn(bytea, timestamptz, double precision, timestamptz)
    RETURNS bytea
    LANGUAGE C CALLED ON NULL INPUT IMMUTABLE PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'profile_rfm_summary_transfn';

CREATE FUNCTION profile.rfm_summary_transfn(bytea, timestamptz, double precision, timestamptz, bigint)
    RETURNS bytea
    LANGUAGE C CALLED ON NULL INPUT IMMUTABLE PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'profile_rfm_summary_transfn_int8';

CREATE FUNCTION profile.rfm_summary_transfn(bytea, timestamptz, double precision, timestamptz, text)
    RETURNS bytea
    LANGUAGE C CALLED ON NULL INPUT IMMUTABLE PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'profile_rfm_summary_transfn_text';

CREATE FUNCTION profile.rfm_summary_transfn(bytea, timestamptz, double precision, timestamptz, uuid)
    RETURNS bytea
    LANGUAGE C CALLED ON NULL INPUT IMMUTABLE PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'profile_rfm_summary_transfn_uuid';

CREATE FUNCTION profile.rfm_summary_combinefn(bytea, bytea)
    RETURNS bytea
    LANGUAGE C CALLED ON NULL INPUT IMMUTABLE PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'profile_rfm_summary_combinefn';

-- STABLE: days are counted in the session's time zone
CREATE FUNCTION profile.rfm_summary_finalfn(bytea)
    RETURNS profile.rfm_summary
    LANGUAGE C STRICT STABLE PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'profile_rfm_summary_finalfn';

COMMENT ON FUNCTION profile.rfm_summary_transfn(bytea, timestamptz, double precision, timestamptz) IS
    'Internal: transition function of profile.rfm_summary';
COMMENT ON FUNCTION profile.rfm_summary_transfn(bytea, timestamptz, double precision, timestamptz, bigint) IS
    'Internal: transition function of profile.rfm_summary';
COMMENT ON FUNCTION profile.rfm_summary_transfn(bytea, timestamptz, double precision, timestamptz, text) IS
    'Internal: transition function of profile.rfm_summary';
COMMENT ON FUNCTION profile.rfm_summary_transfn(bytea, timestamptz, double precision, timestamptz, uuid) IS
    'Internal: transition function of profile.rfm_summary';
COMMENT ON FUNCTION profile.rfm_summary_combinefn(bytea, bytea) IS
    'Internal: combine function of profile.rfm_summary';
COMMENT ON FUNCTION profile.rfm_summary_finalfn(bytea) IS
    'Internal: final function of profile.rfm_summary';

CREATE AGGREGATE profile.rfm_summary(ordered_at timestamptz, amount double precision,
                                     as_of timestamptz) (
    SFUNC = profile.rfm_summary_transfn,
    STYPE = bytea,
    COMBINEFUNC = profile.rfm_summary_combinefn,
    FINALFUNC = profile.rfm_summary_finalfn,
    PARALLEL = SAFE
);

CREATE AGGREGATE profile.rfm_summary(ordered_at timestamptz, amount double precision,
                                     as_of timestamptz, order_id bigint) (
    SFUNC = profile.rfm_summary_transfn,
    STYPE = bytea,
    COMBINEFUNC = profile.rfm_summary_combinefn,
    FINALFUNC = profile.rfm_summary_finalfn,
    PARALLEL = SAFE
);

CREATE AGGREGATE profile.rfm_summary(ordered_at timestamptz, amount double precision,
                                     as_of timestamptz, order_id text) (
    SFUNC = profile.rfm_summary_transfn,
    STYPE = bytea,
    COMBINEFUNC = profile.rfm_summary_combinefn,
    FINALFUNC = profile.rfm_summary_finalfn,
    PARALLEL = SAFE
);

CREATE AGGREGATE profile.rfm_summary(ordered_at timestamptz, amount double precision,
                                     as_of timestamptz, order_id uuid) (
    SFUNC = profile.rfm_summary_transfn,
    STYPE = bytea,
    COMBINEFUNC = profile.rfm_summary_combinefn,
    FINALFUNC = profile.rfm_summary_finalfn,
    PARALLEL = SAFE
);

COMMENT ON AGGREGATE profile.rfm_summary(timestamptz, double precision, timestamptz) IS
    'Recency, frequency (rows) and monetary value of the rows of a group, as of a date';
COMMENT ON AGGREGATE profile.rfm_summary(timestamptz, double precision, timestamptz, bigint) IS
    'Recency, frequency (distinct orders) and monetary value of the rows of a group, as of a date';
COMMENT ON AGGREGATE profile.rfm_summary(timestamptz, double precision, timestamptz, text) IS
    'Recency, frequency (distinct orders) and monetary value of the rows of a group, as of a date';
COMMENT ON AGGREGATE profile.rfm_summary(timestamptz, double precision, timestamptz, uuid) IS
    'Recency, frequency (distinct orders) and monetary value of the rows of a group, as of a date';

CREATE FUNCTION profile.quantile_score(value double precision, bins integer,
                                       descending boolean DEFAULT false)
    RETURNS integer
    LANGUAGE C WINDOW CALLED ON NULL INPUT IMMUTABLE PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'profile_quantile_score';

COMMENT ON FUNCTION profile.quantile_score(double precision, integer, boolean) IS
    'Window function: tie-aware score 1..bins, 1 + floor(bins * share of the partition strictly worse)';

-- Segment maps: named rules from scores to segments (README: Segment maps)

CREATE TABLE profile.rfm_segment_maps (
    name            text PRIMARY KEY
                    CONSTRAINT rfm_segment_maps_name_check
                    CHECK (name OPERATOR(pg_catalog.~) '^[A-Za-z0-9_.:-]{1,63}$'),
    bins            integer NOT NULL DEFAULT 5
                    CONSTRAINT rfm_segment_maps_bins_check
                    CHECK (bins OPERATOR(pg_catalog.>=) 2 AND bins OPERATOR(pg_catalog.<=) 9),
    default_segment text
                    CONSTRAINT rfm_segment_maps_default_check
                    CHECK (default_segment OPERATOR(pg_catalog.<>) ''),
    description     text,
    builtin         boolean NOT NULL DEFAULT false
);

COMMENT ON TABLE profile.rfm_segment_maps IS
    'Named segment maps: which segment each (R, F, M) score cell belongs to';
COMMENT ON COLUMN profile.rfm_segment_maps.bins IS 'Number of scores per dimension the map is written for';
COMMENT ON COLUMN profile.rfm_segment_maps.default_segment IS
    'Segment of cells no rule covers; NULL means every cell must be covered';
COMMENT ON COLUMN profile.rfm_segment_maps.builtin IS 'Shipped with the extension; read-only';

CREATE TABLE profile.rfm_segment_rules (
    segment_map text NOT NULL
                REFERENCES profile.rfm_segment_maps (name) ON UPDATE CASCADE ON DELETE CASCADE,
    priority    integer NOT NULL
                CONSTRAINT rfm_segment_rules_priority_check CHECK (priority OPERATOR(pg_catalog.>=) 1),
    segment     text NOT NULL
                CONSTRAINT rfm_segment_rules_segment_check CHECK (segment OPERATOR(pg_catalog.<>) ''),
    r_min       integer,
    r_max       integer,
    f_min       integer,
    f_max       integer,
    m_min       integer,
    m_max       integer,
    PRIMARY KEY (segment_map, priority, segment)
);

COMMENT ON TABLE profile.rfm_segment_rules IS
    'Rules of segment maps: a box of scores (NULL bound = any) and its segment; the lowest priority number that matches wins';

-- Only user maps are dumped; the built-in ones come with the extension.
SELECT pg_catalog.pg_extension_config_dump('profile.rfm_segment_maps', 'WHERE NOT builtin');
SELECT pg_catalog.pg_extension_config_dump('profile.rfm_segment_rules',
    'WHERE segment_map NOT IN (''r_rfm'', ''rf_grid'')');

GRANT SELECT ON profile.rfm_segment_maps, profile.rfm_segment_rules TO PUBLIC;

CREATE FUNCTION profile.rfm_segment_rules_guard()
    RETURNS trigger
    LANGUAGE C
    AS 'MODULE_PATHNAME', 'profile_rfm_segment_rules_guard';

CREATE FUNCTION profile.rfm_segment_rules_check()
    RETURNS trigger
    LANGUAGE C
    AS 'MODULE_PATHNAME', 'profile_rfm_segment_rules_check';

COMMENT ON FUNCTION profile.rfm_segment_rules_guard() IS
    'Internal: trigger keeping built-in segment maps read-only';
COMMENT ON FUNCTION profile.rfm_segment_rules_check() IS
    'Internal: trigger validating a segment map when its transaction commits';

CREATE TRIGGER rfm_segment_maps_guard
    BEFORE INSERT OR UPDATE OR DELETE ON profile.rfm_segment_maps
    FOR EACH ROW EXECUTE FUNCTION profile.rfm_segment_rules_guard();

CREATE TRIGGER rfm_segment_rules_guard
    BEFORE INSERT OR UPDATE OR DELETE ON profile.rfm_segment_rules
    FOR EACH ROW EXECUTE FUNCTION profile.rfm_segment_rules_guard();

CREATE CONSTRAINT TRIGGER rfm_segment_maps_check
    AFTER UPDATE ON profile.rfm_segment_maps
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION profile.rfm_segment_rules_check();

CREATE CONSTRAINT TRIGGER rfm_segment_rules_check
    AFTER INSERT OR UPDATE OR DELETE ON profile.rfm_segment_rules
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION profile.rfm_segment_rules_check();

-- The 10-segment map of the documentation of the R package rfm
-- (rfm_segment(): first matching rule in listed order, else "Others").
-- New Customers and Promising lie inside Potential Loyalist, so under
-- first-match they never match, exactly as in R.
INSERT INTO profile.rfm_segment_maps (name, bins, default_segment, description, builtin) VALUES
    ('r_rfm', 5, 'Others', '10 segments of the R package rfm documentation (first match in order wins)', true),
    ('rf_grid', 5, NULL, 'The widely copied recency x frequency grid of 10 segments (monetary ignored)', true);

INSERT INTO profile.rfm_segment_rules (segment_map, priority, segment, r_min, r_max, f_min, f_max, m_min, m_max) VALUES
    ('r_rfm',  1, 'Champions',          4, 5, 4, 5, 4, 5),
    ('r_rfm',  2, 'Loyal Customers',    2, 5, 3, 5, 3, 5),
    ('r_rfm',  3, 'Potential Loyalist', 3, 5, 1, 3, 1, 3),
    ('r_rfm',  4, 'New Customers',      4, 5, 1, 1, 1, 1),
    ('r_rfm',  5, 'Promising',          3, 4, 1, 1, 1, 1),
    ('r_rfm',  6, 'Need Attention',     2, 3, 2, 3, 2, 3),
    ('r_rfm',  7, 'About To Sleep',     2, 3, 1, 2, 1, 2),
    ('r_rfm',  8, 'At Risk',            1, 2, 2, 5, 2, 5),
    ('r_rfm',  9, 'Can''t Lose Them',   1, 1, 4, 5, 4, 5),
    ('r_rfm', 10, 'Lost',               1, 2, 1, 2, 1, 2),
    -- a partition of the 5 x 5 R x F grid: one priority, no overlaps
    ('rf_grid', 1, 'Hibernating',         1, 2, 1, 2, NULL, NULL),
    ('rf_grid', 1, 'At Risk',             1, 2, 3, 4, NULL, NULL),
    ('rf_grid', 1, 'Can''t Lose',         1, 2, 5, 5, NULL, NULL),
    ('rf_grid', 1, 'About to Sleep',      3, 3, 1, 2, NULL, NULL),
    ('rf_grid', 1, 'Need Attention',      3, 3, 3, 3, NULL, NULL),
    ('rf_grid', 1, 'Loyal',               3, 4, 4, 5, NULL, NULL),
    ('rf_grid', 1, 'Promising',           4, 4, 1, 1, NULL, NULL),
    ('rf_grid', 1, 'New Customers',       5, 5, 1, 1, NULL, NULL),
    ('rf_grid', 1, 'Potential Loyalists', 4, 5, 2, 3, NULL, NULL),
    ('rf_grid', 1, 'Champions',           5, 5, 4, 5, NULL, NULL);

CREATE FUNCTION profile.rfm_segment(segment_map text, r_score integer, f_score integer, m_score integer)
    RETURNS text
    LANGUAGE C STRICT STABLE PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'profile_rfm_segment';

COMMENT ON FUNCTION profile.rfm_segment(text, integer, integer, integer) IS
    'Segment of an (R, F, M) score cell under a segment map';

-- One call: from sales rows to scored, segmented customers

CREATE FUNCTION profile.rfm(
    query text,
    as_of timestamptz DEFAULT NULL,
    bins integer DEFAULT 5,
    segment_map text DEFAULT 'rf_grid',
    OUT customer_id text,
    OUT recency_days integer,
    OUT frequency bigint,
    OUT monetary double precision,
    OUT first_order_at timestamptz,
    OUT last_order_at timestamptz,
    OUT tenure_days integer,
    OUT avg_order_value double precision,
    OUT r_score integer,
    OUT f_score integer,
    OUT m_score integer,
    OUT rfm_cell text,
    OUT segment text)
    RETURNS SETOF record
    LANGUAGE C CALLED ON NULL INPUT VOLATILE PARALLEL RESTRICTED
    AS 'MODULE_PATHNAME', 'profile_rfm';

COMMENT ON FUNCTION profile.rfm(text, timestamptz, integer, text) IS
    'RFM summary, scores, cell and segment of every customer of a query (customer_id, ordered_at, amount [, order_id])';

CREATE FUNCTION profile.rfm_fit(
    name text,
    query text,
    as_of timestamptz DEFAULT NULL,
    bins integer DEFAULT 5,
    segment_map text DEFAULT 'rf_grid',
    OUT model text,
    OUT customers bigint,
    OUT rows_read bigint,
    OUT as_of_used timestamptz)
    RETURNS record
    LANGUAGE C CALLED ON NULL INPUT VOLATILE PARALLEL UNSAFE
    AS 'MODULE_PATHNAME', 'profile_rfm_fit';

COMMENT ON FUNCTION profile.rfm_fit(text, text, timestamptz, integer, text) IS
    'Fit RFM score boundaries on a query''s customers and store them as a named model';

CREATE FUNCTION profile.rfm_score(model text, recency_days integer, frequency bigint,
                                  monetary double precision)
    RETURNS profile.rfm_scores
    LANGUAGE C STRICT STABLE PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'profile_rfm_score';

COMMENT ON FUNCTION profile.rfm_score(text, integer, bigint, double precision) IS
    'Scores, cell and segment of one customer under a stored RFM model';

CREATE FUNCTION profile.rfm_model_boundaries(body bytea,
    OUT dimension text, OUT score integer, OUT lower_bound double precision,
    OUT upper_bound double precision, OUT customers bigint)
    RETURNS SETOF record
    LANGUAGE C STRICT IMMUTABLE PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'profile_rfm_model_boundaries';

COMMENT ON FUNCTION profile.rfm_model_boundaries(bytea) IS
    'Internal: the score ranges of a stored RFM model body, as rows';

CREATE VIEW profile.rfm_boundaries AS
    SELECT m.name AS model, b.dimension, b.score, b.lower_bound, b.upper_bound, b.customers
    FROM profile.models m
         CROSS JOIN LATERAL profile.rfm_model_boundaries(m.body) b
    WHERE m.kind OPERATOR(pg_catalog.=) 'rfm';

COMMENT ON VIEW profile.rfm_boundaries IS
    'Score ranges of every stored RFM model: a value scores s when lower_bound < value <= upper_bound (recency: reversed)';

GRANT SELECT ON profile.rfm_boundaries TO PUBLIC;

CREATE FUNCTION profile.rfm_segment_summary(
    query text,
    as_of timestamptz DEFAULT NULL,
    bins integer DEFAULT 5,
    segment_map text DEFAULT 'rf_grid',
    OUT segment text,
    OUT customers bigint,
    OUT customer_share double precision,
    OUT avg_recency_days double precision,
    OUT avg_frequency double precision,
    OUT avg_monetary double precision,
    OUT revenue double precision,
    OUT revenue_share double precision)
    RETURNS SETOF record
    LANGUAGE sql VOLATILE PARALLEL RESTRICTED
    BEGIN ATOMIC
        SELECT r.segment,
               pg_catalog.count(*),
               pg_catalog.count(*)::double precision OPERATOR(pg_catalog./)
                   pg_catalog.sum(pg_catalog.count(*)) OVER (),
               pg_catalog.avg(r.recency_days)::double precision,
               pg_catalog.avg(r.frequency)::double precision,
               pg_catalog.avg(r.monetary),
               pg_catalog.sum(r.monetary),
               pg_catalog.sum(r.monetary) OPERATOR(pg_catalog./)
                   NULLIF(pg_catalog.sum(pg_catalog.sum(r.monetary)) OVER (), 0::double precision)
        FROM profile.rfm(query, as_of, bins, segment_map) r
        GROUP BY r.segment
        ORDER BY pg_catalog.count(*) DESC, r.segment;
    END;

COMMENT ON FUNCTION profile.rfm_segment_summary(text, timestamptz, integer, text) IS
    'Dashboard view of RFM segments: size, share, average R/F/M and revenue share per segment';

-- k-means

CREATE FUNCTION profile.kmeans_fit(
    name text,
    query text,
    k integer,
    scaling text DEFAULT 'zscore',
    n_init integer DEFAULT 3,
    max_iter integer DEFAULT 300,
    tol double precision DEFAULT 0.0001,
    seed bigint DEFAULT 42,
    init double precision[] DEFAULT NULL,
    OUT model text,
    OUT clusters integer,
    OUT points bigint,
    OUT inertia double precision,
    OUT iterations integer,
    OUT converged boolean,
    OUT sizes bigint[],
    OUT features integer,
    OUT silhouette double precision)
    RETURNS record
    LANGUAGE C CALLED ON NULL INPUT VOLATILE PARALLEL UNSAFE
    AS 'MODULE_PATHNAME', 'profile_kmeans_fit';

COMMENT ON FUNCTION profile.kmeans_fit(text, text, integer, text, integer, integer, double precision, bigint, double precision[]) IS
    'Fit k-means on a query''s (id, features) rows and store the model under a name';

CREATE FUNCTION profile.kmeans_assign(model text, features double precision[])
    RETURNS integer
    LANGUAGE C STRICT STABLE PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'profile_kmeans_assign';

COMMENT ON FUNCTION profile.kmeans_assign(text, double precision[]) IS
    'The cluster (1 .. k) of a point under a stored k-means model';

CREATE FUNCTION profile.kmeans_assign(model bytea, features double precision[])
    RETURNS integer
    LANGUAGE C STRICT IMMUTABLE PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'profile_kmeans_assign_value';

COMMENT ON FUNCTION profile.kmeans_assign(bytea, double precision[]) IS
    'The cluster (1 .. k) of a point under a k-means model value';

CREATE FUNCTION profile.kmeans_assign_detail(model text, features double precision[],
    OUT cluster integer, OUT distance double precision, OUT label text)
    RETURNS record
    LANGUAGE C STRICT STABLE PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'profile_kmeans_assign_detail';

COMMENT ON FUNCTION profile.kmeans_assign_detail(text, double precision[]) IS
    'Cluster, distance to its centroid (scaled space) and label of a point under a stored k-means model';

-- Labels analysts give to clusters; they survive retraining under the same name
CREATE TABLE profile.kmeans_labels (
    model   text NOT NULL REFERENCES profile.models (name) ON UPDATE CASCADE ON DELETE CASCADE,
    cluster integer NOT NULL
            CONSTRAINT kmeans_labels_cluster_check CHECK (cluster OPERATOR(pg_catalog.>=) 1),
    label   text NOT NULL,
    PRIMARY KEY (model, cluster)
);

COMMENT ON TABLE profile.kmeans_labels IS 'Human labels of k-means clusters, by model and cluster number';

SELECT pg_catalog.pg_extension_config_dump('profile.kmeans_labels', '');
GRANT SELECT ON profile.kmeans_labels TO PUBLIC;

CREATE FUNCTION profile.kmeans_model_centroids(body bytea,
    OUT cluster integer, OUT size bigint, OUT centroid double precision[],
    OUT centroid_scaled double precision[])
    RETURNS SETOF record
    LANGUAGE C STRICT IMMUTABLE PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'profile_kmeans_model_centroids';

COMMENT ON FUNCTION profile.kmeans_model_centroids(bytea) IS
    'Internal: the centroids of a k-means model body, as rows';

CREATE VIEW profile.kmeans_centroids AS
    SELECT m.name AS model, c.cluster, l.label, c.size, c.centroid, c.centroid_scaled
    FROM profile.models m
         CROSS JOIN LATERAL profile.kmeans_model_centroids(m.body) c
         LEFT JOIN profile.kmeans_labels l
                ON l.model OPERATOR(pg_catalog.=) m.name AND l.cluster OPERATOR(pg_catalog.=) c.cluster
    WHERE m.kind OPERATOR(pg_catalog.=) 'kmeans';

COMMENT ON VIEW profile.kmeans_centroids IS
    'Centroids of every stored k-means model, in original units and in the scaled space, with labels';

GRANT SELECT ON profile.kmeans_centroids TO PUBLIC;

-- k-means, scan path: each pass over the data is one combinable aggregate

CREATE FUNCTION profile.kmeans_scaling_stats_transfn(double precision[], double precision[], boolean)
    RETURNS double precision[]
    LANGUAGE C CALLED ON NULL INPUT IMMUTABLE PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'profile_kmeans_scaling_stats_transfn';

CREATE FUNCTION profile.kmeans_scaling_stats_combinefn(double precision[], double precision[])
    RETURNS double precision[]
    LANGUAGE C CALLED ON NULL INPUT IMMUTABLE PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'profile_kmeans_scaling_stats_combinefn';

COMMENT ON FUNCTION profile.kmeans_scaling_stats_transfn(double precision[], double precision[], boolean) IS
    'Internal: transition function of profile.kmeans_scaling_stats';
COMMENT ON FUNCTION profile.kmeans_scaling_stats_combinefn(double precision[], double precision[]) IS
    'Internal: combine function of profile.kmeans_scaling_stats';

CREATE AGGREGATE profile.kmeans_scaling_stats(features double precision[], log boolean) (
    SFUNC = profile.kmeans_scaling_stats_transfn,
    STYPE = double precision[],
    COMBINEFUNC = profile.kmeans_scaling_stats_combinefn,
    PARALLEL = SAFE
);

COMMENT ON AGGREGATE profile.kmeans_scaling_stats(double precision[], boolean) IS
    'Per feature count, mean, M2, min and max (of log1p when log): the first pass of the k-means scan path';

CREATE FUNCTION profile.kmeans_step_transfn(double precision[], double precision[], bytea)
    RETURNS double precision[]
    LANGUAGE C CALLED ON NULL INPUT IMMUTABLE PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'profile_kmeans_step_transfn';

CREATE FUNCTION profile.kmeans_step_combinefn(double precision[], double precision[])
    RETURNS double precision[]
    LANGUAGE C CALLED ON NULL INPUT IMMUTABLE PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'profile_kmeans_step_combinefn';

COMMENT ON FUNCTION profile.kmeans_step_transfn(double precision[], double precision[], bytea) IS
    'Internal: transition function of profile.kmeans_step';
COMMENT ON FUNCTION profile.kmeans_step_combinefn(double precision[], double precision[]) IS
    'Internal: combine function of profile.kmeans_step';

CREATE AGGREGATE profile.kmeans_step(features double precision[], model bytea) (
    SFUNC = profile.kmeans_step_transfn,
    STYPE = double precision[],
    COMBINEFUNC = profile.kmeans_step_combinefn,
    PARALLEL = SAFE
);

COMMENT ON AGGREGATE profile.kmeans_step(double precision[], bytea) IS
    'One Lloyd pass against a k-means model value: [k, d, n, inertia, counts(k), sums(k*d), far(k), far points(k*d)]';

CREATE FUNCTION profile.kmeans_fit_scan(
    name text,
    query text,
    k integer,
    scaling text DEFAULT 'zscore',
    max_iter integer DEFAULT 300,
    tol double precision DEFAULT 0.0001,
    seed bigint DEFAULT 42,
    init double precision[] DEFAULT NULL,
    sample_size integer DEFAULT 100000,
    OUT model text,
    OUT clusters integer,
    OUT points bigint,
    OUT inertia double precision,
    OUT iterations integer,
    OUT converged boolean,
    OUT sizes bigint[],
    OUT features integer)
    RETURNS record
    LANGUAGE C CALLED ON NULL INPUT VOLATILE PARALLEL UNSAFE
    AS 'MODULE_PATHNAME', 'profile_kmeans_fit_scan';

COMMENT ON FUNCTION profile.kmeans_fit_scan(text, text, integer, text, integer, double precision, bigint, double precision[], integer) IS
    'Fit k-means with one aggregate query per pass (data larger than the memory budget, distributed tables)';

-- PCA

-- What profile.pca returns (README: PCA)
CREATE TYPE profile.pca_result AS (
    n                        bigint,
    means                    double precision[],
    components               double precision[],
    explained_variance       double precision[],
    explained_variance_ratio double precision[]
);

COMMENT ON TYPE profile.pca_result IS
    'A PCA: row count, feature means, components (n_components x d, rows are unit vectors), explained variance and its share';

CREATE FUNCTION profile.pca_transfn(double precision[], double precision[], integer)
    RETURNS double precision[]
    LANGUAGE C CALLED ON NULL INPUT IMMUTABLE PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'profile_pca_transfn';

CREATE FUNCTION profile.pca_transfn(double precision[], double precision[])
    RETURNS double precision[]
    LANGUAGE C CALLED ON NULL INPUT IMMUTABLE PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'profile_pca_transfn_all';

CREATE FUNCTION profile.pca_combinefn(double precision[], double precision[])
    RETURNS double precision[]
    LANGUAGE C CALLED ON NULL INPUT IMMUTABLE PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'profile_pca_combinefn';

CREATE FUNCTION profile.pca_finalfn(double precision[])
    RETURNS profile.pca_result
    LANGUAGE C STRICT IMMUTABLE PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'profile_pca_finalfn';

COMMENT ON FUNCTION profile.pca_transfn(double precision[], double precision[], integer) IS
    'Internal: transition function of profile.pca';
COMMENT ON FUNCTION profile.pca_transfn(double precision[], double precision[]) IS
    'Internal: transition function of profile.pca';
COMMENT ON FUNCTION profile.pca_combinefn(double precision[], double precision[]) IS
    'Internal: combine function of profile.pca';
COMMENT ON FUNCTION profile.pca_finalfn(double precision[]) IS
    'Internal: final function of profile.pca';

-- The state is [n, d, n_components, means, upper triangle of the centred
-- cross products]: float8[], so that parallel query and Citus split it.
CREATE AGGREGATE profile.pca(features double precision[], n_components integer) (
    SFUNC = profile.pca_transfn,
    STYPE = double precision[],
    COMBINEFUNC = profile.pca_combinefn,
    FINALFUNC = profile.pca_finalfn,
    PARALLEL = SAFE
);

CREATE AGGREGATE profile.pca(features double precision[]) (
    SFUNC = profile.pca_transfn,
    STYPE = double precision[],
    COMBINEFUNC = profile.pca_combinefn,
    FINALFUNC = profile.pca_finalfn,
    PARALLEL = SAFE
);

COMMENT ON AGGREGATE profile.pca(double precision[], integer) IS
    'PCA of the feature vectors of a group: the first n_components principal components of their sample covariance';
COMMENT ON AGGREGATE profile.pca(double precision[]) IS
    'PCA of the feature vectors of a group: all principal components of their sample covariance';

CREATE FUNCTION profile.pca_project(features double precision[], means double precision[],
                                    components double precision[])
    RETURNS double precision[]
    LANGUAGE C STRICT IMMUTABLE PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'profile_pca_project';

COMMENT ON FUNCTION profile.pca_project(double precision[], double precision[], double precision[]) IS
    'Scores of a feature vector on principal components: components x (features - means)';

CREATE FUNCTION profile.pca_project(features double precision[], pca profile.pca_result)
    RETURNS double precision[]
    LANGUAGE sql STRICT IMMUTABLE PARALLEL SAFE
    BEGIN ATOMIC
        SELECT profile.pca_project(features, (pca).means, (pca).components);
    END;

COMMENT ON FUNCTION profile.pca_project(double precision[], profile.pca_result) IS
    'Scores of a feature vector on the components of a profile.pca result (NULL when it has none)';

-- k-means: choosing k, and the aggregate form

CREATE FUNCTION profile.kmeans_select_k(
    query text,
    ks integer[],
    scaling text DEFAULT 'zscore',
    n_init integer DEFAULT 3,
    max_iter integer DEFAULT 300,
    tol double precision DEFAULT 0.0001,
    seed bigint DEFAULT 42,
    OUT k integer,
    OUT inertia double precision,
    OUT silhouette double precision,
    OUT davies_bouldin double precision,
    OUT calinski_harabasz double precision,
    OUT selected boolean)
    RETURNS SETOF record
    LANGUAGE C CALLED ON NULL INPUT VOLATILE PARALLEL RESTRICTED
    AS 'MODULE_PATHNAME', 'profile_kmeans_select_k';

COMMENT ON FUNCTION profile.kmeans_select_k(text, integer[], text, integer, integer, double precision, bigint) IS
    'Fit k-means for each k and report inertia, silhouette, Davies-Bouldin, Calinski-Harabasz; selected = best silhouette';

CREATE FUNCTION profile.kmeans_transfn(bytea, double precision[], integer)
    RETURNS bytea
    LANGUAGE C CALLED ON NULL INPUT IMMUTABLE PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'profile_kmeans_transfn';

CREATE FUNCTION profile.kmeans_transfn(bytea, double precision[], integer, jsonb)
    RETURNS bytea
    LANGUAGE C CALLED ON NULL INPUT IMMUTABLE PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'profile_kmeans_transfn';

CREATE FUNCTION profile.kmeans_combinefn(bytea, bytea)
    RETURNS bytea
    LANGUAGE C CALLED ON NULL INPUT IMMUTABLE PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'profile_kmeans_combinefn';

CREATE FUNCTION profile.kmeans_finalfn(bytea)
    RETURNS bytea
    LANGUAGE C CALLED ON NULL INPUT IMMUTABLE PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'profile_kmeans_finalfn';

COMMENT ON FUNCTION profile.kmeans_transfn(bytea, double precision[], integer) IS
    'Internal: transition function of profile.kmeans';
COMMENT ON FUNCTION profile.kmeans_transfn(bytea, double precision[], integer, jsonb) IS
    'Internal: transition function of profile.kmeans';
COMMENT ON FUNCTION profile.kmeans_combinefn(bytea, bytea) IS
    'Internal: combine function of profile.kmeans';
COMMENT ON FUNCTION profile.kmeans_finalfn(bytea) IS
    'Internal: final function of profile.kmeans';

CREATE AGGREGATE profile.kmeans(features double precision[], k integer) (
    SFUNC = profile.kmeans_transfn,
    STYPE = bytea,
    COMBINEFUNC = profile.kmeans_combinefn,
    FINALFUNC = profile.kmeans_finalfn,
    PARALLEL = SAFE
);

CREATE AGGREGATE profile.kmeans(features double precision[], k integer, options jsonb) (
    SFUNC = profile.kmeans_transfn,
    STYPE = bytea,
    COMBINEFUNC = profile.kmeans_combinefn,
    FINALFUNC = profile.kmeans_finalfn,
    PARALLEL = SAFE
);

COMMENT ON AGGREGATE profile.kmeans(double precision[], integer) IS
    'k-means of the rows of a group: a model value (bytea) for kmeans_assign and kmeans_save';
COMMENT ON AGGREGATE profile.kmeans(double precision[], integer, jsonb) IS
    'k-means of the rows of a group with options {scaling, n_init, max_iter, tol, seed}: a model value';

CREATE FUNCTION profile.kmeans_save(name text, model bytea)
    RETURNS text
    LANGUAGE C CALLED ON NULL INPUT VOLATILE PARALLEL UNSAFE
    AS 'MODULE_PATHNAME', 'profile_kmeans_save';

COMMENT ON FUNCTION profile.kmeans_save(text, bytea) IS
    'Store a k-means model value (from profile.kmeans) under a name';

-- Cluster quality: silhouette, Davies-Bouldin, Calinski-Harabasz
-- (README: Cluster quality).  One bytea point-buffer state (src/points.c),
-- shared by the two-argument forms, so that asking for the three metrics
-- in one query keeps one copy of the rows.

CREATE FUNCTION profile.cluster_points_transfn(bytea, double precision[], integer)
    RETURNS bytea
    LANGUAGE C CALLED ON NULL INPUT IMMUTABLE PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'profile_cluster_points_transfn';

CREATE FUNCTION profile.silhouette_transfn(bytea, double precision[], integer, integer, bigint)
    RETURNS bytea
    LANGUAGE C CALLED ON NULL INPUT IMMUTABLE PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'profile_silhouette_transfn';

CREATE FUNCTION profile.cluster_points_combinefn(bytea, bytea)
    RETURNS bytea
    LANGUAGE C CALLED ON NULL INPUT IMMUTABLE PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'profile_cluster_points_combinefn';

CREATE FUNCTION profile.silhouette_finalfn(bytea)
    RETURNS double precision
    LANGUAGE C STRICT IMMUTABLE PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'profile_silhouette_finalfn';

CREATE FUNCTION profile.davies_bouldin_finalfn(bytea)
    RETURNS double precision
    LANGUAGE C STRICT IMMUTABLE PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'profile_davies_bouldin_finalfn';

CREATE FUNCTION profile.calinski_harabasz_finalfn(bytea)
    RETURNS double precision
    LANGUAGE C STRICT IMMUTABLE PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'profile_calinski_harabasz_finalfn';

COMMENT ON FUNCTION profile.cluster_points_transfn(bytea, double precision[], integer) IS
    'Internal: transition function of profile.silhouette, profile.davies_bouldin and profile.calinski_harabasz';
COMMENT ON FUNCTION profile.silhouette_transfn(bytea, double precision[], integer, integer, bigint) IS
    'Internal: transition function of profile.silhouette with sample_size and seed';
COMMENT ON FUNCTION profile.cluster_points_combinefn(bytea, bytea) IS
    'Internal: combine function of profile.silhouette, profile.davies_bouldin and profile.calinski_harabasz';
COMMENT ON FUNCTION profile.silhouette_finalfn(bytea) IS
    'Internal: final function of profile.silhouette';
COMMENT ON FUNCTION profile.davies_bouldin_finalfn(bytea) IS
    'Internal: final function of profile.davies_bouldin';
COMMENT ON FUNCTION profile.calinski_harabasz_finalfn(bytea) IS
    'Internal: final function of profile.calinski_harabasz';

CREATE AGGREGATE profile.silhouette(features double precision[], cluster integer) (
    SFUNC = profile.cluster_points_transfn,
    STYPE = bytea,
    SSPACE = 1048576,
    COMBINEFUNC = profile.cluster_points_combinefn,
    FINALFUNC = profile.silhouette_finalfn,
    FINALFUNC_MODIFY = READ_ONLY,
    PARALLEL = SAFE
);

CREATE AGGREGATE profile.silhouette(features double precision[], cluster integer,
                                    sample_size integer, seed bigint) (
    SFUNC = profile.silhouette_transfn,
    STYPE = bytea,
    SSPACE = 1048576,
    COMBINEFUNC = profile.cluster_points_combinefn,
    FINALFUNC = profile.silhouette_finalfn,
    FINALFUNC_MODIFY = READ_ONLY,
    PARALLEL = SAFE
);

CREATE AGGREGATE profile.davies_bouldin(features double precision[], cluster integer) (
    SFUNC = profile.cluster_points_transfn,
    STYPE = bytea,
    SSPACE = 1048576,
    COMBINEFUNC = profile.cluster_points_combinefn,
    FINALFUNC = profile.davies_bouldin_finalfn,
    FINALFUNC_MODIFY = READ_ONLY,
    PARALLEL = SAFE
);

CREATE AGGREGATE profile.calinski_harabasz(features double precision[], cluster integer) (
    SFUNC = profile.cluster_points_transfn,
    STYPE = bytea,
    SSPACE = 1048576,
    COMBINEFUNC = profile.cluster_points_combinefn,
    FINALFUNC = profile.calinski_harabasz_finalfn,
    FINALFUNC_MODIFY = READ_ONLY,
    PARALLEL = SAFE
);

COMMENT ON AGGREGATE profile.silhouette(double precision[], integer) IS
    'Mean silhouette (-1 to 1, higher is better) of the rows'' clusters; exact up to 10,000 rows, else on a seeded sample of 10,000';
COMMENT ON AGGREGATE profile.silhouette(double precision[], integer, integer, bigint) IS
    'Mean silhouette (-1 to 1, higher is better); exact up to sample_size rows, else on a sample of sample_size rows drawn with seed';
COMMENT ON AGGREGATE profile.davies_bouldin(double precision[], integer) IS
    'Davies-Bouldin index (0 or more, lower is better) of the rows'' clusters';
COMMENT ON AGGREGATE profile.calinski_harabasz(double precision[], integer) IS
    'Calinski-Harabasz index (variance ratio, higher is better) of the rows'' clusters';

-- frequent itemsets and association rules

CREATE FUNCTION profile.frequent_itemsets(
    query text,
    min_support double precision,
    max_len integer DEFAULT 10,
    algorithm text DEFAULT 'fpgrowth',
    target text DEFAULT 'all',
    max_itemsets bigint DEFAULT 1000000,
    min_count bigint DEFAULT 1)
    RETURNS TABLE (items text[], size integer, count bigint, support double precision)
    LANGUAGE C CALLED ON NULL INPUT VOLATILE PARALLEL RESTRICTED
    AS 'MODULE_PATHNAME', 'profile_frequent_itemsets';

COMMENT ON FUNCTION profile.frequent_itemsets(text, double precision, integer, text, text, bigint, bigint) IS
    'Frequent itemsets of a query''s (basket_id, item) or (basket_id, items[]) rows, by FP-growth or Apriori';

CREATE FUNCTION profile.association_rules(
    query text,
    min_support double precision,
    min_confidence double precision DEFAULT 0.5,
    max_len integer DEFAULT 10,
    min_lift double precision DEFAULT 0,
    thresholds jsonb DEFAULT NULL,
    antecedent_in text[] DEFAULT NULL,
    antecedent_has text[] DEFAULT NULL,
    consequent_in text[] DEFAULT NULL,
    consequent_has text[] DEFAULT NULL,
    max_antecedent integer DEFAULT NULL,
    max_consequent integer DEFAULT NULL,
    prune_redundant boolean DEFAULT false,
    algorithm text DEFAULT 'fpgrowth',
    max_itemsets bigint DEFAULT 1000000,
    max_rules bigint DEFAULT 1000000,
    min_count bigint DEFAULT 1)
    RETURNS TABLE (antecedent text[], consequent text[],
                   antecedent_support double precision, consequent_support double precision,
                   support double precision, confidence double precision, lift double precision,
                   leverage double precision, conviction double precision,
                   zhangs_metric double precision, jaccard double precision,
                   certainty double precision, kulczynski double precision,
                   antecedent_count bigint, consequent_count bigint, count bigint)
    LANGUAGE C CALLED ON NULL INPUT VOLATILE PARALLEL RESTRICTED
    AS 'MODULE_PATHNAME', 'profile_association_rules';

COMMENT ON FUNCTION profile.association_rules(text, double precision, double precision, integer, double precision, jsonb, text[], text[], text[], text[], integer, integer, boolean, text, bigint, bigint, bigint) IS
    'Association rules of a query''s (basket_id, item) or (basket_id, items[]) rows, with eleven measures, item constraints and redundancy pruning';

-- Stored rule models and recommendations

CREATE FUNCTION profile.rules_fit(
    name text,
    query text,
    min_support double precision,
    min_confidence double precision DEFAULT 0.5,
    max_len integer DEFAULT 10,
    min_lift double precision DEFAULT 0,
    thresholds jsonb DEFAULT NULL,
    antecedent_in text[] DEFAULT NULL,
    antecedent_has text[] DEFAULT NULL,
    consequent_in text[] DEFAULT NULL,
    consequent_has text[] DEFAULT NULL,
    max_antecedent integer DEFAULT NULL,
    max_consequent integer DEFAULT NULL,
    prune_redundant boolean DEFAULT false,
    algorithm text DEFAULT 'fpgrowth',
    max_itemsets bigint DEFAULT 1000000,
    max_rules bigint DEFAULT 1000000,
    min_count bigint DEFAULT 1,
    OUT model text,
    OUT baskets bigint,
    OUT items integer,
    OUT itemsets bigint,
    OUT rules bigint)
    RETURNS record
    LANGUAGE C CALLED ON NULL INPUT VOLATILE PARALLEL UNSAFE
    AS 'MODULE_PATHNAME', 'profile_rules_fit';

COMMENT ON FUNCTION profile.rules_fit(text, text, double precision, double precision, integer, double precision, jsonb, text[], text[], text[], text[], integer, integer, boolean, text, bigint, bigint, bigint) IS
    'Mine association rules as profile.association_rules does and store them under a name, for profile.recommend';

CREATE FUNCTION profile.rules_model_rules(body bytea,
    OUT rule integer, OUT antecedent text[], OUT consequent text[],
    OUT antecedent_support double precision, OUT consequent_support double precision,
    OUT support double precision, OUT confidence double precision, OUT lift double precision,
    OUT leverage double precision, OUT conviction double precision,
    OUT zhangs_metric double precision, OUT jaccard double precision,
    OUT certainty double precision, OUT kulczynski double precision,
    OUT antecedent_count bigint, OUT consequent_count bigint, OUT count bigint)
    RETURNS SETOF record
    LANGUAGE C STRICT IMMUTABLE PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'profile_rules_model_rules';

COMMENT ON FUNCTION profile.rules_model_rules(bytea) IS
    'Internal: the rules of a rule model body, as rows';

CREATE VIEW profile.rules AS
    SELECT m.name AS model, r.rule, r.antecedent, r.consequent,
           r.antecedent_support, r.consequent_support, r.support, r.confidence, r.lift,
           r.leverage, r.conviction, r.zhangs_metric, r.jaccard, r.certainty, r.kulczynski,
           r.antecedent_count, r.consequent_count, r.count
    FROM profile.models m
         CROSS JOIN LATERAL profile.rules_model_rules(m.body) r
    WHERE m.kind OPERATOR(pg_catalog.=) 'rules';

COMMENT ON VIEW profile.rules IS
    'The rules of every stored rule model, with their measures, in the order they were mined';

GRANT SELECT ON profile.rules TO PUBLIC;

CREATE FUNCTION profile.recommend(model text, basket anyarray, n integer DEFAULT 5,
    by text DEFAULT 'confidence')
    RETURNS TABLE (rank integer, item text, score double precision,
                   antecedent text[], consequent text[],
                   support double precision, confidence double precision, lift double precision)
    LANGUAGE C STRICT STABLE PARALLEL SAFE
    ROWS 5
    AS 'MODULE_PATHNAME', 'profile_recommend';

COMMENT ON FUNCTION profile.recommend(text, anyarray, integer, text) IS
    'The n items a stored rule model recommends for a basket, best first, each with the rule that fired';

CREATE FUNCTION profile.recommend_customers(model text, query text, n integer DEFAULT 5,
    by text DEFAULT 'confidence')
    RETURNS TABLE (customer_id text, rank integer, item text, score double precision,
                   antecedent text[], consequent text[],
                   support double precision, confidence double precision, lift double precision)
    LANGUAGE C STRICT VOLATILE PARALLEL RESTRICTED
    AS 'MODULE_PATHNAME', 'profile_recommend_customers';

COMMENT ON FUNCTION profile.recommend_customers(text, text, integer, text) IS
    'Recommendations for every customer of a query''s (customer_id, item) or (customer_id, items[]) purchase history';

-- Apriori's scan path: the counting pass as a combinable aggregate

CREATE FUNCTION profile.itemset_counts_transfn(bigint[], text[], text[])
    RETURNS bigint[]
    LANGUAGE C CALLED ON NULL INPUT IMMUTABLE PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'profile_itemset_counts_transfn';
CREATE FUNCTION profile.itemset_counts_combinefn(bigint[], bigint[])
    RETURNS bigint[]
    LANGUAGE C CALLED ON NULL INPUT IMMUTABLE PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'profile_itemset_counts_combinefn';
COMMENT ON FUNCTION profile.itemset_counts_transfn(bigint[], text[], text[]) IS
    'Internal: transition function of profile.itemset_counts';
COMMENT ON FUNCTION profile.itemset_counts_combinefn(bigint[], bigint[]) IS
    'Internal: combine function of profile.itemset_counts';
CREATE AGGREGATE profile.itemset_counts(basket text[], candidates text[]) (
    SFUNC = profile.itemset_counts_transfn,
    STYPE = bigint[],
    COMBINEFUNC = profile.itemset_counts_combinefn,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE profile.itemset_counts(text[], text[]) IS
    'Apriori counting pass: how many rows'' baskets hold each candidate itemset (one per row of a two-dimensional text[]), in candidate order';

-- ---- customer lifetime value (clv_*) ----
-- Summaries from transactions, BG/NBD (purchases and churn), Gamma-Gamma
-- (spend), CLV, purchase cycles and named CLV models (README: Lifetime
-- value and churn).

-- What profile.clv_summary returns for one customer
CREATE TYPE profile.clv_summary AS (
    frequency bigint,
    recency   double precision,
    t         double precision,
    monetary  double precision
);

COMMENT ON TYPE profile.clv_summary IS
    'One customer''s repeat purchases (frequency), age at the last (recency) and now (t, T in the papers), and mean repeat spend';

-- What profile.clv_holdout returns for one customer
CREATE TYPE profile.clv_holdout AS (
    frequency_cal    bigint,
    recency_cal      double precision,
    t_cal            double precision,
    monetary_cal     double precision,
    frequency_holdout bigint,
    monetary_holdout double precision,
    duration_holdout double precision
);

COMMENT ON TYPE profile.clv_holdout IS
    'One customer''s summary on a calibration period and purchases in the holdout period after it';

-- A fitted BG/NBD model (the value of profile.clv_bgnbd)
CREATE TYPE profile.clv_bgnbd AS (
    r          double precision,
    alpha      double precision,
    a          double precision,
    b          double precision,
    loglik     double precision,
    customers  bigint,
    iterations integer,
    converged  boolean,
    penalizer  double precision
);

COMMENT ON TYPE profile.clv_bgnbd IS
    'A BG/NBD model: purchase rate Gamma(r, alpha), drop-out Beta(a, b), log-likelihood of the fit';

-- A fitted Gamma-Gamma model (the value of profile.clv_gammagamma)
CREATE TYPE profile.clv_gammagamma AS (
    p           double precision,
    q           double precision,
    v           double precision,
    loglik      double precision,
    customers   bigint,
    excluded    bigint,
    iterations  integer,
    converged   boolean,
    penalizer   double precision,
    correlation double precision
);

COMMENT ON TYPE profile.clv_gammagamma IS
    'A Gamma-Gamma spend model: p, q, v, the fit, customers left out for monetary <= 0, and the frequency/monetary correlation';

-- What profile.purchase_cycle returns for one group
CREATE TYPE profile.purchase_cycle AS (
    purchases       integer,
    last_purchase   date,
    interval_median double precision,
    interval_mean   double precision,
    interval_cv     double precision,
    expected_next   date,
    days_since_last integer,
    days_overdue    integer,
    overdue_score   double precision
);

COMMENT ON TYPE profile.purchase_cycle IS
    'Purchase days, intervals between them (days), the expected next purchase and how overdue it is';

-- Summaries: one purchase-day state (bytea) for three aggregates.
-- STABLE: days are calendar days in the session's time zone.

CREATE FUNCTION profile.clv_summary_transfn(bytea, timestamptz, double precision, timestamptz)
    RETURNS bytea
    LANGUAGE C CALLED ON NULL INPUT STABLE PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'profile_clv_summary_transfn';

CREATE FUNCTION profile.clv_summary_transfn(bytea, timestamptz, double precision, timestamptz, text)
    RETURNS bytea
    LANGUAGE C CALLED ON NULL INPUT STABLE PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'profile_clv_summary_transfn';

CREATE FUNCTION profile.clv_holdout_transfn(bytea, timestamptz, double precision, timestamptz, timestamptz)
    RETURNS bytea
    LANGUAGE C CALLED ON NULL INPUT STABLE PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'profile_clv_holdout_transfn';

CREATE FUNCTION profile.clv_holdout_transfn(bytea, timestamptz, double precision, timestamptz, timestamptz, text)
    RETURNS bytea
    LANGUAGE C CALLED ON NULL INPUT STABLE PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'profile_clv_holdout_transfn';

CREATE FUNCTION profile.purchase_cycle_transfn(bytea, timestamptz, timestamptz)
    RETURNS bytea
    LANGUAGE C CALLED ON NULL INPUT STABLE PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'profile_purchase_cycle_transfn';

CREATE FUNCTION profile.clv_days_combinefn(bytea, bytea)
    RETURNS bytea
    LANGUAGE C CALLED ON NULL INPUT IMMUTABLE PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'profile_clv_days_combinefn';

CREATE FUNCTION profile.clv_summary_finalfn(bytea)
    RETURNS profile.clv_summary
    LANGUAGE C STRICT IMMUTABLE PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'profile_clv_summary_finalfn';

CREATE FUNCTION profile.clv_holdout_finalfn(bytea)
    RETURNS profile.clv_holdout
    LANGUAGE C STRICT IMMUTABLE PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'profile_clv_holdout_finalfn';

CREATE FUNCTION profile.purchase_cycle_finalfn(bytea)
    RETURNS profile.purchase_cycle
    LANGUAGE C STRICT IMMUTABLE PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'profile_purchase_cycle_finalfn';

COMMENT ON FUNCTION profile.clv_summary_transfn(bytea, timestamptz, double precision, timestamptz) IS
    'Internal: transition function of profile.clv_summary';
COMMENT ON FUNCTION profile.clv_summary_transfn(bytea, timestamptz, double precision, timestamptz, text) IS
    'Internal: transition function of profile.clv_summary';
COMMENT ON FUNCTION profile.clv_holdout_transfn(bytea, timestamptz, double precision, timestamptz, timestamptz) IS
    'Internal: transition function of profile.clv_holdout';
COMMENT ON FUNCTION profile.clv_holdout_transfn(bytea, timestamptz, double precision, timestamptz, timestamptz, text) IS
    'Internal: transition function of profile.clv_holdout';
COMMENT ON FUNCTION profile.purchase_cycle_transfn(bytea, timestamptz, timestamptz) IS
    'Internal: transition function of profile.purchase_cycle';
COMMENT ON FUNCTION profile.clv_days_combinefn(bytea, bytea) IS
    'Internal: combine function of profile.clv_summary, profile.clv_holdout and profile.purchase_cycle';
COMMENT ON FUNCTION profile.clv_summary_finalfn(bytea) IS
    'Internal: final function of profile.clv_summary';
COMMENT ON FUNCTION profile.clv_holdout_finalfn(bytea) IS
    'Internal: final function of profile.clv_holdout';
COMMENT ON FUNCTION profile.purchase_cycle_finalfn(bytea) IS
    'Internal: final function of profile.purchase_cycle';

CREATE AGGREGATE profile.clv_summary(ordered_at timestamptz, amount double precision,
                                     observation_end timestamptz) (
    SFUNC = profile.clv_summary_transfn,
    STYPE = bytea,
    COMBINEFUNC = profile.clv_days_combinefn,
    FINALFUNC = profile.clv_summary_finalfn,
    PARALLEL = SAFE
);

CREATE AGGREGATE profile.clv_summary(ordered_at timestamptz, amount double precision,
                                     observation_end timestamptz, time_unit text) (
    SFUNC = profile.clv_summary_transfn,
    STYPE = bytea,
    COMBINEFUNC = profile.clv_days_combinefn,
    FINALFUNC = profile.clv_summary_finalfn,
    PARALLEL = SAFE
);

CREATE AGGREGATE profile.clv_holdout(ordered_at timestamptz, amount double precision,
                                     calibration_end timestamptz, observation_end timestamptz) (
    SFUNC = profile.clv_holdout_transfn,
    STYPE = bytea,
    COMBINEFUNC = profile.clv_days_combinefn,
    FINALFUNC = profile.clv_holdout_finalfn,
    PARALLEL = SAFE
);

CREATE AGGREGATE profile.clv_holdout(ordered_at timestamptz, amount double precision,
                                     calibration_end timestamptz, observation_end timestamptz,
                                     time_unit text) (
    SFUNC = profile.clv_holdout_transfn,
    STYPE = bytea,
    COMBINEFUNC = profile.clv_days_combinefn,
    FINALFUNC = profile.clv_holdout_finalfn,
    PARALLEL = SAFE
);

CREATE AGGREGATE profile.purchase_cycle(ordered_at timestamptz, as_of timestamptz) (
    SFUNC = profile.purchase_cycle_transfn,
    STYPE = bytea,
    COMBINEFUNC = profile.clv_days_combinefn,
    FINALFUNC = profile.purchase_cycle_finalfn,
    PARALLEL = SAFE
);

COMMENT ON AGGREGATE profile.clv_summary(timestamptz, double precision, timestamptz) IS
    'Frequency, recency, T (days) and mean repeat spend of a customer''s rows up to observation_end';
COMMENT ON AGGREGATE profile.clv_summary(timestamptz, double precision, timestamptz, text) IS
    'Frequency, recency, T (in time_unit: day, week or month) and mean repeat spend up to observation_end';
COMMENT ON AGGREGATE profile.clv_holdout(timestamptz, double precision, timestamptz, timestamptz) IS
    'Calibration summary up to calibration_end and holdout purchases up to observation_end (days)';
COMMENT ON AGGREGATE profile.clv_holdout(timestamptz, double precision, timestamptz, timestamptz, text) IS
    'Calibration summary up to calibration_end and holdout purchases up to observation_end (in time_unit)';
COMMENT ON AGGREGATE profile.purchase_cycle(timestamptz, timestamptz) IS
    'Purchase cycle of a group (customer, or customer and product): interval median/mean/CV, expected next purchase, overdue';

-- BG/NBD: the fit as an aggregate (point-buffer state, canonical order)

CREATE FUNCTION profile.clv_bgnbd_transfn(bytea, double precision, double precision, double precision)
    RETURNS bytea
    LANGUAGE C CALLED ON NULL INPUT IMMUTABLE PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'profile_clv_bgnbd_transfn';

CREATE FUNCTION profile.clv_bgnbd_transfn(bytea, double precision, double precision, double precision,
                                          double precision)
    RETURNS bytea
    LANGUAGE C CALLED ON NULL INPUT IMMUTABLE PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'profile_clv_bgnbd_transfn';

CREATE FUNCTION profile.clv_bgnbd_combinefn(bytea, bytea)
    RETURNS bytea
    LANGUAGE C CALLED ON NULL INPUT IMMUTABLE PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'profile_clv_bgnbd_combinefn';

CREATE FUNCTION profile.clv_bgnbd_finalfn(bytea)
    RETURNS profile.clv_bgnbd
    LANGUAGE C STRICT IMMUTABLE PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'profile_clv_bgnbd_finalfn';

COMMENT ON FUNCTION profile.clv_bgnbd_transfn(bytea, double precision, double precision, double precision) IS
    'Internal: transition function of profile.clv_bgnbd';
COMMENT ON FUNCTION profile.clv_bgnbd_transfn(bytea, double precision, double precision, double precision, double precision) IS
    'Internal: transition function of profile.clv_bgnbd';
COMMENT ON FUNCTION profile.clv_bgnbd_combinefn(bytea, bytea) IS
    'Internal: combine function of profile.clv_bgnbd';
COMMENT ON FUNCTION profile.clv_bgnbd_finalfn(bytea) IS
    'Internal: final function of profile.clv_bgnbd';

CREATE AGGREGATE profile.clv_bgnbd(frequency double precision, recency double precision,
                                   t double precision) (
    SFUNC = profile.clv_bgnbd_transfn,
    STYPE = bytea,
    SSPACE = 1048576,
    COMBINEFUNC = profile.clv_bgnbd_combinefn,
    FINALFUNC = profile.clv_bgnbd_finalfn,
    FINALFUNC_MODIFY = READ_ONLY,
    PARALLEL = SAFE
);

CREATE AGGREGATE profile.clv_bgnbd(frequency double precision, recency double precision,
                                   t double precision, penalizer double precision) (
    SFUNC = profile.clv_bgnbd_transfn,
    STYPE = bytea,
    SSPACE = 1048576,
    COMBINEFUNC = profile.clv_bgnbd_combinefn,
    FINALFUNC = profile.clv_bgnbd_finalfn,
    FINALFUNC_MODIFY = READ_ONLY,
    PARALLEL = SAFE
);

COMMENT ON AGGREGATE profile.clv_bgnbd(double precision, double precision, double precision) IS
    'Fit a BG/NBD model (maximum likelihood) to customers'' frequency, recency and T';
COMMENT ON AGGREGATE profile.clv_bgnbd(double precision, double precision, double precision, double precision) IS
    'Fit a BG/NBD model with an L2 penalizer on r, alpha, a and b';

-- BG/NBD scan path: the log-likelihood, gradient and Hessian as a double
-- precision[] aggregate [customers, skipped, repeat buyers, sum frequency,
-- sum t, loglik, d/dr, d/dalpha, d/da, d/db, then the Hessian's upper
-- triangle rr, r alpha, r a, r b, alpha alpha, alpha a, alpha b, aa, ab,
-- bb], and the Newton driver over it

CREATE FUNCTION profile.clv_bgnbd_loglik_transfn(double precision[], double precision, double precision,
                                                 double precision, double precision[])
    RETURNS double precision[]
    LANGUAGE C CALLED ON NULL INPUT IMMUTABLE PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'profile_clv_bgnbd_loglik_transfn';

CREATE FUNCTION profile.clv_bgnbd_loglik_combinefn(double precision[], double precision[])
    RETURNS double precision[]
    LANGUAGE C CALLED ON NULL INPUT IMMUTABLE PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'profile_clv_bgnbd_loglik_combinefn';

COMMENT ON FUNCTION profile.clv_bgnbd_loglik_transfn(double precision[], double precision, double precision, double precision, double precision[]) IS
    'Internal: transition function of profile.clv_bgnbd_loglik';
COMMENT ON FUNCTION profile.clv_bgnbd_loglik_combinefn(double precision[], double precision[]) IS
    'Internal: combine function of profile.clv_bgnbd_loglik';

CREATE AGGREGATE profile.clv_bgnbd_loglik(frequency double precision, recency double precision,
                                          t double precision, params double precision[]) (
    SFUNC = profile.clv_bgnbd_loglik_transfn,
    STYPE = double precision[],
    COMBINEFUNC = profile.clv_bgnbd_loglik_combinefn,
    PARALLEL = SAFE
);

COMMENT ON AGGREGATE profile.clv_bgnbd_loglik(double precision, double precision, double precision, double precision[]) IS
    'BG/NBD log-likelihood, gradient and Hessian at params {r, alpha, a, b}: [customers, skipped, repeat buyers, sum frequency, sum t, loglik, d/dr, d/dalpha, d/da, d/db, d2/dr2, d2/dr dalpha, d2/dr da, d2/dr db, d2/dalpha2, d2/dalpha da, d2/dalpha db, d2/da2, d2/da db, d2/db2]';

CREATE FUNCTION profile.clv_bgnbd_fit_scan(
    query text,
    penalizer double precision DEFAULT 0,
    max_iter integer DEFAULT 500)
    RETURNS profile.clv_bgnbd
    LANGUAGE C CALLED ON NULL INPUT VOLATILE PARALLEL RESTRICTED
    AS 'MODULE_PATHNAME', 'profile_clv_bgnbd_fit_scan';

COMMENT ON FUNCTION profile.clv_bgnbd_fit_scan(text, double precision, integer) IS
    'Fit BG/NBD with one clv_bgnbd_loglik aggregate query per evaluation (customer_id, frequency, recency, t [, monetary])';

-- BG/NBD predictions from a model value

CREATE FUNCTION profile.clv_p_alive(model profile.clv_bgnbd, frequency double precision,
                                    recency double precision, t double precision)
    RETURNS double precision
    LANGUAGE C STRICT IMMUTABLE PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'profile_clv_p_alive';

CREATE FUNCTION profile.clv_expected_purchases(model profile.clv_bgnbd, frequency double precision,
                                               recency double precision, t double precision,
                                               horizon double precision)
    RETURNS double precision
    LANGUAGE C STRICT IMMUTABLE PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'profile_clv_expected_purchases';

CREATE FUNCTION profile.clv_expected_purchases(model profile.clv_bgnbd, horizon double precision)
    RETURNS double precision
    LANGUAGE C STRICT IMMUTABLE PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'profile_clv_expected_purchases_new';

COMMENT ON FUNCTION profile.clv_p_alive(profile.clv_bgnbd, double precision, double precision, double precision) IS
    'Probability that a customer (frequency, recency, t) is still active under a BG/NBD model; churn risk is 1 - p_alive';
COMMENT ON FUNCTION profile.clv_expected_purchases(profile.clv_bgnbd, double precision, double precision, double precision, double precision) IS
    'Expected purchases of a customer in the next horizon time units under a BG/NBD model';
COMMENT ON FUNCTION profile.clv_expected_purchases(profile.clv_bgnbd, double precision) IS
    'Expected repeat purchases of a new customer within horizon time units of the first (the unconditional curve)';

CREATE FUNCTION profile.clv_bgnbd_simulate(
    customers bigint,
    r double precision,
    alpha double precision,
    a double precision,
    b double precision,
    t_min double precision,
    t_max double precision,
    seed bigint DEFAULT 42,
    OUT customer_id bigint,
    OUT frequency bigint,
    OUT recency double precision,
    OUT t double precision)
    RETURNS SETOF record
    LANGUAGE C STRICT IMMUTABLE PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'profile_clv_bgnbd_simulate';

COMMENT ON FUNCTION profile.clv_bgnbd_simulate(bigint, double precision, double precision, double precision, double precision, double precision, double precision, bigint) IS
    'Customers drawn from a BG/NBD model, observed for T uniform in [t_min, t_max] (seeded: same seed, same rows)';

-- Gamma-Gamma

CREATE FUNCTION profile.clv_gammagamma_transfn(bytea, double precision, double precision)
    RETURNS bytea
    LANGUAGE C CALLED ON NULL INPUT IMMUTABLE PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'profile_clv_gammagamma_transfn';

CREATE FUNCTION profile.clv_gammagamma_transfn(bytea, double precision, double precision, double precision)
    RETURNS bytea
    LANGUAGE C CALLED ON NULL INPUT IMMUTABLE PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'profile_clv_gammagamma_transfn';

CREATE FUNCTION profile.clv_gammagamma_combinefn(bytea, bytea)
    RETURNS bytea
    LANGUAGE C CALLED ON NULL INPUT IMMUTABLE PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'profile_clv_gammagamma_combinefn';

CREATE FUNCTION profile.clv_gammagamma_finalfn(bytea)
    RETURNS profile.clv_gammagamma
    LANGUAGE C STRICT IMMUTABLE PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'profile_clv_gammagamma_finalfn';

COMMENT ON FUNCTION profile.clv_gammagamma_transfn(bytea, double precision, double precision) IS
    'Internal: transition function of profile.clv_gammagamma';
COMMENT ON FUNCTION profile.clv_gammagamma_transfn(bytea, double precision, double precision, double precision) IS
    'Internal: transition function of profile.clv_gammagamma';
COMMENT ON FUNCTION profile.clv_gammagamma_combinefn(bytea, bytea) IS
    'Internal: combine function of profile.clv_gammagamma';
COMMENT ON FUNCTION profile.clv_gammagamma_finalfn(bytea) IS
    'Internal: final function of profile.clv_gammagamma';

CREATE AGGREGATE profile.clv_gammagamma(frequency double precision, monetary double precision) (
    SFUNC = profile.clv_gammagamma_transfn,
    STYPE = bytea,
    SSPACE = 1048576,
    COMBINEFUNC = profile.clv_gammagamma_combinefn,
    FINALFUNC = profile.clv_gammagamma_finalfn,
    FINALFUNC_MODIFY = READ_ONLY,
    PARALLEL = SAFE
);

CREATE AGGREGATE profile.clv_gammagamma(frequency double precision, monetary double precision,
                                        penalizer double precision) (
    SFUNC = profile.clv_gammagamma_transfn,
    STYPE = bytea,
    SSPACE = 1048576,
    COMBINEFUNC = profile.clv_gammagamma_combinefn,
    FINALFUNC = profile.clv_gammagamma_finalfn,
    FINALFUNC_MODIFY = READ_ONLY,
    PARALLEL = SAFE
);

COMMENT ON AGGREGATE profile.clv_gammagamma(double precision, double precision) IS
    'Fit a Gamma-Gamma spend model to repeat customers'' frequency and mean repeat spend (monetary <= 0 left out, counted)';
COMMENT ON AGGREGATE profile.clv_gammagamma(double precision, double precision, double precision) IS
    'Fit a Gamma-Gamma spend model with an L2 penalizer on p, q and v';

CREATE FUNCTION profile.clv_expected_aov(model profile.clv_gammagamma, frequency double precision,
                                         monetary double precision)
    RETURNS double precision
    LANGUAGE C STRICT IMMUTABLE PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'profile_clv_expected_aov';

COMMENT ON FUNCTION profile.clv_expected_aov(profile.clv_gammagamma, double precision, double precision) IS
    'Expected average order value of a customer under a Gamma-Gamma model (NULL where undefined)';

CREATE FUNCTION profile.clv_value(
    bgnbd profile.clv_bgnbd,
    gammagamma profile.clv_gammagamma,
    frequency double precision,
    recency double precision,
    t double precision,
    monetary double precision,
    time_unit text DEFAULT 'day',
    months integer DEFAULT 12,
    discount_rate double precision DEFAULT 0.01)
    RETURNS double precision
    LANGUAGE C STRICT IMMUTABLE PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'profile_clv_value';

COMMENT ON FUNCTION profile.clv_value(profile.clv_bgnbd, profile.clv_gammagamma, double precision, double precision, double precision, double precision, text, integer, double precision) IS
    'Customer lifetime value over months months, discounted monthly at discount_rate (lifetimes'' definition)';

-- Purchase-cycle and summary helpers are above; named CLV models follow

CREATE FUNCTION profile.clv_fit(
    name text,
    query text,
    time_unit text DEFAULT 'day',
    penalizer double precision DEFAULT 0,
    spend_penalizer double precision DEFAULT 0,
    max_iter integer DEFAULT 500,
    OUT model text,
    OUT customers bigint,
    OUT rows_skipped bigint,
    OUT r double precision,
    OUT alpha double precision,
    OUT a double precision,
    OUT b double precision,
    OUT loglik double precision,
    OUT converged boolean,
    OUT p double precision,
    OUT q double precision,
    OUT v double precision,
    OUT spend_customers bigint,
    OUT spend_excluded bigint,
    OUT correlation double precision,
    OUT spend_converged boolean)
    RETURNS record
    LANGUAGE C CALLED ON NULL INPUT VOLATILE PARALLEL UNSAFE
    AS 'MODULE_PATHNAME', 'profile_clv_fit';

COMMENT ON FUNCTION profile.clv_fit(text, text, text, double precision, double precision, integer) IS
    'Fit BG/NBD (and Gamma-Gamma when monetary is given) on a query (customer_id, frequency, recency, t [, monetary]) and store the model';

CREATE FUNCTION profile.clv_save(name text, bgnbd profile.clv_bgnbd,
                                 gammagamma profile.clv_gammagamma, time_unit text)
    RETURNS text
    LANGUAGE C CALLED ON NULL INPUT VOLATILE PARALLEL UNSAFE
    AS 'MODULE_PATHNAME', 'profile_clv_save';

COMMENT ON FUNCTION profile.clv_save(text, profile.clv_bgnbd, profile.clv_gammagamma, text) IS
    'Store BG/NBD and Gamma-Gamma model values (gammagamma may be NULL) as a named CLV model';

CREATE FUNCTION profile.clv_p_alive(model text, frequency double precision,
                                    recency double precision, t double precision)
    RETURNS double precision
    LANGUAGE C STRICT STABLE PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'profile_clv_p_alive_by_name';

CREATE FUNCTION profile.clv_expected_purchases(model text, frequency double precision,
                                               recency double precision, t double precision,
                                               horizon double precision)
    RETURNS double precision
    LANGUAGE C STRICT STABLE PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'profile_clv_expected_purchases_by_name';

CREATE FUNCTION profile.clv_expected_purchases(model text, horizon double precision)
    RETURNS double precision
    LANGUAGE C STRICT STABLE PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'profile_clv_expected_purchases_new_by_name';

CREATE FUNCTION profile.clv_expected_aov(model text, frequency double precision,
                                         monetary double precision)
    RETURNS double precision
    LANGUAGE C STRICT STABLE PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'profile_clv_expected_aov_by_name';

CREATE FUNCTION profile.clv_value(model text, frequency double precision,
                                  recency double precision, t double precision,
                                  monetary double precision, months integer DEFAULT 12,
                                  discount_rate double precision DEFAULT 0.01)
    RETURNS double precision
    LANGUAGE C STRICT STABLE PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'profile_clv_value_by_name';

COMMENT ON FUNCTION profile.clv_p_alive(text, double precision, double precision, double precision) IS
    'Probability that a customer is still active under a stored CLV model';
COMMENT ON FUNCTION profile.clv_expected_purchases(text, double precision, double precision, double precision, double precision) IS
    'Expected purchases of a customer in the next horizon time units under a stored CLV model';
COMMENT ON FUNCTION profile.clv_expected_purchases(text, double precision) IS
    'Expected repeat purchases of a new customer within horizon time units, under a stored CLV model';
COMMENT ON FUNCTION profile.clv_expected_aov(text, double precision, double precision) IS
    'Expected average order value of a customer under a stored CLV model (NULL where undefined)';
COMMENT ON FUNCTION profile.clv_value(text, double precision, double precision, double precision, double precision, integer, double precision) IS
    'Customer lifetime value over months months under a stored CLV model, discounted monthly';

CREATE FUNCTION profile.clv_score(
    model text,
    query text,
    months integer DEFAULT 12,
    discount_rate double precision DEFAULT 0.01,
    OUT customer_id text,
    OUT frequency double precision,
    OUT recency double precision,
    OUT t double precision,
    OUT monetary double precision,
    OUT p_alive double precision,
    OUT expected_purchases double precision,
    OUT expected_aov double precision,
    OUT clv double precision)
    RETURNS SETOF record
    LANGUAGE C CALLED ON NULL INPUT VOLATILE PARALLEL RESTRICTED
    AS 'MODULE_PATHNAME', 'profile_clv_score';

COMMENT ON FUNCTION profile.clv_score(text, text, integer, double precision) IS
    'Every customer of a query (customer_id, frequency, recency, t [, monetary]) with p_alive, expected purchases over months, expected order value and CLV';

CREATE FUNCTION profile.clv_model_parameters(body bytea,
    OUT time_unit text, OUT r double precision, OUT alpha double precision,
    OUT a double precision, OUT b double precision, OUT p double precision,
    OUT q double precision, OUT v double precision)
    RETURNS record
    LANGUAGE C STRICT IMMUTABLE PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'profile_clv_model_parameters';

COMMENT ON FUNCTION profile.clv_model_parameters(bytea) IS
    'Internal: the parameters of a stored CLV model body, as a row';

CREATE VIEW profile.clv_models AS
    SELECT m.name AS model, c.time_unit, c.r, c.alpha, c.a, c.b, c.p, c.q, c.v,
           m.summary, m.created_at
    FROM profile.models m
         CROSS JOIN LATERAL profile.clv_model_parameters(m.body) c
    WHERE m.kind OPERATOR(pg_catalog.=) 'clv';

COMMENT ON VIEW profile.clv_models IS
    'Parameters of every stored CLV model (BG/NBD r, alpha, a, b; Gamma-Gamma p, q, v) and its fit summary';

GRANT SELECT ON profile.clv_models TO PUBLIC;

-- Customer behaviour (behaviour.c): one combinable state per customer from
-- order lines, and the features computed from it

CREATE TYPE profile.behaviour_features AS (
    orders          bigint,
    lines           bigint,
    spend           double precision,
    returned        double precision,
    first_order_at  timestamptz,
    last_order_at   timestamptz,
    recency_days    integer,
    tenure_days     integer,
    weekend_share   double precision,
    night_share     double precision,
    morning_share   double precision,
    afternoon_share double precision,
    evening_share   double precision,
    top_weekday     integer,
    top_hour        integer,
    avg_order_value double precision,
    lines_per_order double precision,
    return_rate     double precision,
    discount_share  double precision,
    categories      text[],
    category_shares double precision[],
    channels        text[],
    channel_shares  double precision[],
    cross_channel   boolean,
    spend_recent    double precision,
    spend_previous  double precision,
    trend           text
);

COMMENT ON TYPE profile.behaviour_features IS
    'A customer''s own behavioural features: orders, spend, time of week, basket, returns, discounts, categories, channels, trend';

CREATE FUNCTION profile.behaviour_transfn(bytea, timestamptz, double precision, text)
    RETURNS bytea
    LANGUAGE C CALLED ON NULL INPUT IMMUTABLE PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'profile_behaviour_transfn';

CREATE FUNCTION profile.behaviour_transfn(bytea, timestamptz, double precision, text,
                                          double precision)
    RETURNS bytea
    LANGUAGE C CALLED ON NULL INPUT IMMUTABLE PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'profile_behaviour_transfn';

CREATE FUNCTION profile.behaviour_transfn(bytea, timestamptz, double precision, text,
                                          double precision, text)
    RETURNS bytea
    LANGUAGE C CALLED ON NULL INPUT IMMUTABLE PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'profile_behaviour_transfn';

CREATE FUNCTION profile.behaviour_transfn(bytea, timestamptz, double precision, text,
                                          double precision, text, bigint)
    RETURNS bytea
    LANGUAGE C CALLED ON NULL INPUT IMMUTABLE PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'profile_behaviour_transfn';

CREATE FUNCTION profile.behaviour_transfn(bytea, timestamptz, double precision, text,
                                          double precision, text, text)
    RETURNS bytea
    LANGUAGE C CALLED ON NULL INPUT IMMUTABLE PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'profile_behaviour_transfn';

CREATE FUNCTION profile.behaviour_combinefn(bytea, bytea)
    RETURNS bytea
    LANGUAGE C CALLED ON NULL INPUT IMMUTABLE PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'profile_behaviour_combinefn';

CREATE FUNCTION profile.behaviour_finalfn(bytea)
    RETURNS bytea
    LANGUAGE C CALLED ON NULL INPUT IMMUTABLE PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'profile_behaviour_finalfn';

COMMENT ON FUNCTION profile.behaviour_transfn(bytea, timestamptz, double precision, text) IS
    'Internal: transition function of profile.behaviour';
COMMENT ON FUNCTION profile.behaviour_transfn(bytea, timestamptz, double precision, text, double precision) IS
    'Internal: transition function of profile.behaviour';
COMMENT ON FUNCTION profile.behaviour_transfn(bytea, timestamptz, double precision, text, double precision, text) IS
    'Internal: transition function of profile.behaviour';
COMMENT ON FUNCTION profile.behaviour_transfn(bytea, timestamptz, double precision, text, double precision, text, bigint) IS
    'Internal: transition function of profile.behaviour';
COMMENT ON FUNCTION profile.behaviour_transfn(bytea, timestamptz, double precision, text, double precision, text, text) IS
    'Internal: transition function of profile.behaviour';
COMMENT ON FUNCTION profile.behaviour_combinefn(bytea, bytea) IS
    'Internal: combine function of profile.behaviour, transition function of profile.behaviour_merge';
COMMENT ON FUNCTION profile.behaviour_finalfn(bytea) IS
    'Internal: final function of profile.behaviour and profile.behaviour_merge (drops spare capacity)';

CREATE AGGREGATE profile.behaviour(ordered_at timestamptz, amount double precision, category text) (
    SFUNC = profile.behaviour_transfn,
    STYPE = bytea,
    SSPACE = 2048,
    COMBINEFUNC = profile.behaviour_combinefn,
    FINALFUNC = profile.behaviour_finalfn,
    PARALLEL = SAFE
);

CREATE AGGREGATE profile.behaviour(ordered_at timestamptz, amount double precision, category text,
                                   list_amount double precision) (
    SFUNC = profile.behaviour_transfn,
    STYPE = bytea,
    SSPACE = 2048,
    COMBINEFUNC = profile.behaviour_combinefn,
    FINALFUNC = profile.behaviour_finalfn,
    PARALLEL = SAFE
);

CREATE AGGREGATE profile.behaviour(ordered_at timestamptz, amount double precision, category text,
                                   list_amount double precision, channel text) (
    SFUNC = profile.behaviour_transfn,
    STYPE = bytea,
    SSPACE = 2048,
    COMBINEFUNC = profile.behaviour_combinefn,
    FINALFUNC = profile.behaviour_finalfn,
    PARALLEL = SAFE
);

CREATE AGGREGATE profile.behaviour(ordered_at timestamptz, amount double precision, category text,
                                   list_amount double precision, channel text, order_id bigint) (
    SFUNC = profile.behaviour_transfn,
    STYPE = bytea,
    SSPACE = 2048,
    COMBINEFUNC = profile.behaviour_combinefn,
    FINALFUNC = profile.behaviour_finalfn,
    PARALLEL = SAFE
);

CREATE AGGREGATE profile.behaviour(ordered_at timestamptz, amount double precision, category text,
                                   list_amount double precision, channel text, order_id text) (
    SFUNC = profile.behaviour_transfn,
    STYPE = bytea,
    SSPACE = 2048,
    COMBINEFUNC = profile.behaviour_combinefn,
    FINALFUNC = profile.behaviour_finalfn,
    PARALLEL = SAFE
);

CREATE AGGREGATE profile.behaviour_merge(behaviour bytea) (
    SFUNC = profile.behaviour_combinefn,
    STYPE = bytea,
    COMBINEFUNC = profile.behaviour_combinefn,
    FINALFUNC = profile.behaviour_finalfn,
    PARALLEL = SAFE
);

COMMENT ON AGGREGATE profile.behaviour(timestamptz, double precision, text) IS
    'A customer''s behaviour (a bytea state) from order lines (ordered_at, amount, category); see profile.behaviour_features';
COMMENT ON AGGREGATE profile.behaviour(timestamptz, double precision, text, double precision) IS
    'A customer''s behaviour from order lines with list amounts (discounts)';
COMMENT ON AGGREGATE profile.behaviour(timestamptz, double precision, text, double precision, text) IS
    'A customer''s behaviour from order lines with list amounts and channels';
COMMENT ON AGGREGATE profile.behaviour(timestamptz, double precision, text, double precision, text, bigint) IS
    'A customer''s behaviour from order lines with list amounts, channels and order ids';
COMMENT ON AGGREGATE profile.behaviour(timestamptz, double precision, text, double precision, text, text) IS
    'A customer''s behaviour from order lines with list amounts, channels and order ids';
COMMENT ON AGGREGATE profile.behaviour_merge(bytea) IS
    'Merge behaviour states (for example stored ones with the state of new rows)';

CREATE FUNCTION profile.behaviour_features(behaviour bytea, as_of timestamptz,
                                           period_days integer DEFAULT 90)
    RETURNS profile.behaviour_features
    LANGUAGE C CALLED ON NULL INPUT STABLE PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'profile_behaviour_features';

COMMENT ON FUNCTION profile.behaviour_features(bytea, timestamptz, integer) IS
    'A customer''s own features from a profile.behaviour state as of a time (local days and hours in the session''s time zone)';

-- Tags as data (tags.c): a tag is the AND of its rules; each rule compares
-- one profile feature with a value, a population percentile or a text

CREATE TABLE profile.tags (
    tag         text PRIMARY KEY
                CONSTRAINT tags_tag_check
                CHECK (tag OPERATOR(pg_catalog.~) '^[a-z][a-z0-9_]{0,62}$'),
    description text NOT NULL DEFAULT '',
    action      text
                CONSTRAINT tags_action_check
                CHECK (action OPERATOR(pg_catalog.=) ANY (ARRAY['win_back', 'upsell', 'convert', 'retain', 'cross_sell'])),
    preset      boolean NOT NULL DEFAULT false,
    UNIQUE (tag, preset)
);

COMMENT ON TABLE profile.tags IS
    'Tags profile.customer_profiles gives customers: each is the AND of its rules in profile.tag_rules';
COMMENT ON COLUMN profile.tags.action IS 'Suggested campaign action for customers with the tag';
COMMENT ON COLUMN profile.tags.preset IS 'Shipped with the extension; read-only';

CREATE FUNCTION profile.tag_rule_check(feature text, category text, op text,
                                       value double precision, percentile double precision,
                                       text_value text)
    RETURNS boolean
    LANGUAGE C CALLED ON NULL INPUT IMMUTABLE PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'profile_tag_rule_check';

COMMENT ON FUNCTION profile.tag_rule_check(text, text, text, double precision, double precision, text) IS
    'True for a valid tag rule; otherwise an error naming the feature and what is wrong';

CREATE TABLE profile.tag_rules (
    rule_id     integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tag         text NOT NULL,
    feature     text NOT NULL,
    category    text,
    op          text NOT NULL,
    value       double precision,
    percentile  double precision,
    text_value  text,
    preset      boolean NOT NULL DEFAULT false,
    FOREIGN KEY (tag, preset) REFERENCES profile.tags (tag, preset)
        ON UPDATE CASCADE ON DELETE CASCADE,
    CONSTRAINT tag_rules_valid
        CHECK (profile.tag_rule_check(feature, category, op, value, percentile, text_value))
);

COMMENT ON TABLE profile.tag_rules IS
    'Rules of tags: feature op value (absolute), feature op percentile (the population''s percentile_disc), or feature op text_value';

SELECT pg_catalog.pg_extension_config_dump('profile.tags', 'WHERE NOT preset');
SELECT pg_catalog.pg_extension_config_dump('profile.tag_rules', 'WHERE NOT preset');
GRANT SELECT ON profile.tags, profile.tag_rules TO PUBLIC;

INSERT INTO profile.tags (tag, description, action, preset) VALUES
    ('weekend_shopper', 'Four orders in five on Saturday or Sunday', NULL, true),
    ('night_owl', 'Half the orders at night (22:00 to 06:00 local time)', NULL, true),
    ('discount_seeker', 'Buys mostly at a discount: half the spend or more, at least twice the population''s share', 'upsell', true),
    ('baby_prospect', 'Spends on baby products at least twice as much, as a share, as the average customer', 'cross_sell', true),
    ('premium_buyer', 'Buys the dearer products of its categories (price percentile 0.75 or more)', 'upsell', true),
    ('new_customer', 'First order within the last 60 days', 'convert', true),
    ('loyal', 'Five orders or more, the last within 60 days', 'retain', true),
    ('big_basket', 'Top 20% by lines per order', 'cross_sell', true),
    ('returner', 'Returns at least one line in five', NULL, true),
    ('category_loyalist', 'Three orders or more, 60% of the lines in one category', 'cross_sell', true),
    ('lapsing_champion', 'Top 20% by net spend, now past 1.5x the usual gap between purchases', 'win_back', true),
    ('churn_risk', 'BG/NBD probability of being alive below 0.5 (needs clv_model)', 'win_back', true);

INSERT INTO profile.tag_rules (tag, feature, category, op, value, percentile, text_value, preset) VALUES
    ('weekend_shopper', 'weekend_share', NULL, '>=', 0.8, NULL, NULL, true),
    ('weekend_shopper', 'orders', NULL, '>=', 3, NULL, NULL, true),
    ('night_owl', 'night_share', NULL, '>=', 0.5, NULL, NULL, true),
    ('night_owl', 'orders', NULL, '>=', 3, NULL, NULL, true),
    ('discount_seeker', 'discount_share', NULL, '>=', 0.5, NULL, NULL, true),
    ('discount_seeker', 'discount_lift', NULL, '>=', 2, NULL, NULL, true),
    ('discount_seeker', 'orders', NULL, '>=', 3, NULL, NULL, true),
    ('baby_prospect', 'category_affinity', 'baby', '>=', 2, NULL, NULL, true),
    ('premium_buyer', 'price_percentile', NULL, '>=', 0.75, NULL, NULL, true),
    ('premium_buyer', 'orders', NULL, '>=', 3, NULL, NULL, true),
    ('new_customer', 'tenure_days', NULL, '<=', 60, NULL, NULL, true),
    ('loyal', 'orders', NULL, '>=', 5, NULL, NULL, true),
    ('loyal', 'recency_days', NULL, '<=', 60, NULL, NULL, true),
    ('big_basket', 'lines_per_order', NULL, '>=', NULL, 0.8, NULL, true),
    ('returner', 'return_rate', NULL, '>=', 0.2, NULL, NULL, true),
    ('category_loyalist', 'category_line_share', NULL, '>=', 0.6, NULL, NULL, true),
    ('category_loyalist', 'orders', NULL, '>=', 3, NULL, NULL, true),
    ('lapsing_champion', 'net_spend', NULL, '>=', NULL, 0.8, NULL, true),
    ('lapsing_champion', 'overdue_score', NULL, '>=', 1.5, NULL, NULL, true),
    ('churn_risk', 'churn_risk', NULL, '>', 0.5, NULL, NULL, true);

CREATE FUNCTION profile.tags_guard()
    RETURNS trigger
    LANGUAGE C
    AS 'MODULE_PATHNAME', 'profile_tags_guard';

COMMENT ON FUNCTION profile.tags_guard() IS
    'Internal: trigger keeping preset tags read-only';

CREATE TRIGGER tags_guard_new BEFORE INSERT ON profile.tags
    FOR EACH ROW WHEN (NEW.preset) EXECUTE FUNCTION profile.tags_guard();
CREATE TRIGGER tags_guard_old BEFORE UPDATE OR DELETE ON profile.tags
    FOR EACH ROW WHEN (OLD.preset) EXECUTE FUNCTION profile.tags_guard();
CREATE TRIGGER tag_rules_guard_new BEFORE INSERT ON profile.tag_rules
    FOR EACH ROW WHEN (NEW.preset) EXECUTE FUNCTION profile.tags_guard();
CREATE TRIGGER tag_rules_guard_old BEFORE UPDATE OR DELETE ON profile.tag_rules
    FOR EACH ROW WHEN (OLD.preset) EXECUTE FUNCTION profile.tags_guard();

-- The 360-degree view in one call (customer_profiles.c)

CREATE TYPE profile.customer_profile AS (
    customer_id           text,
    orders                bigint,
    lines                 bigint,
    spend                 double precision,
    returned              double precision,
    net_spend             double precision,
    first_order_at        timestamptz,
    last_order_at         timestamptz,
    recency_days          integer,
    tenure_days           integer,
    weekend_share         double precision,
    night_share           double precision,
    morning_share         double precision,
    afternoon_share       double precision,
    evening_share         double precision,
    top_weekday           integer,
    top_hour              integer,
    avg_order_value       double precision,
    lines_per_order       double precision,
    return_rate           double precision,
    discount_share        double precision,
    discount_lift         double precision,
    categories            text[],
    category_shares       double precision[],
    category_affinity     double precision[],
    top_category          text,
    top_category_share    double precision,
    category_line_share   double precision,
    top_affinity_category text,
    price_percentile      double precision,
    channels              text[],
    channel_shares        double precision[],
    top_channel           text,
    cross_channel         boolean,
    spend_recent          double precision,
    spend_previous        double precision,
    trend                 text,
    next_purchase_on      date,
    overdue_score         double precision,
    r_score               integer,
    f_score               integer,
    m_score               integer,
    segment               text,
    cluster               integer,
    cluster_label         text,
    p_alive               double precision,
    expected_purchases    double precision,
    clv                   double precision,
    tags                  text[]
);

COMMENT ON TYPE profile.customer_profile IS
    'One customer''s profile: behaviour, population-relative features, purchase cycle, model scores and tags';

CREATE FUNCTION profile.customer_profiles(
    query text,
    as_of timestamptz DEFAULT NULL,
    period_days integer DEFAULT 90,
    rfm_model text DEFAULT NULL,
    kmeans_model text DEFAULT NULL,
    kmeans_features text[] DEFAULT NULL,
    clv_model text DEFAULT NULL,
    months integer DEFAULT 12,
    discount_rate double precision DEFAULT 0.01,
    tags text[] DEFAULT NULL)
    RETURNS SETOF profile.customer_profile
    LANGUAGE C CALLED ON NULL INPUT VOLATILE PARALLEL RESTRICTED
    AS 'MODULE_PATHNAME', 'profile_customer_profiles';

COMMENT ON FUNCTION profile.customer_profiles(text, timestamptz, integer, text, text, text[], text, integer, double precision, text[]) IS
    'One row per customer of a query (customer_id, ordered_at, amount, category [, list_amount [, channel [, order_id]]]): behaviour, population-relative features, model scores and tags';

-- Stored, incrementally refreshed profiles (profile_store.c)

CREATE TABLE profile.profile_definitions (
    name            text PRIMARY KEY
                    CONSTRAINT profile_definitions_name_check
                    CHECK (name OPERATOR(pg_catalog.~) '^[a-z][a-z0-9_]{0,62}$'),
    query           text NOT NULL,
    query_columns   text NOT NULL,
    as_of           timestamptz,
    period_days     integer NOT NULL,
    rfm_model       text,
    kmeans_model    text,
    kmeans_features text[],
    clv_model       text,
    months          integer NOT NULL,
    discount_rate   double precision NOT NULL,
    tags            text[],
    latest          timestamptz,
    created_by      name NOT NULL DEFAULT CURRENT_USER,
    created_at      timestamptz NOT NULL DEFAULT pg_catalog.now(),
    refreshed_at    timestamptz,
    customers       bigint
);

COMMENT ON TABLE profile.profile_definitions IS
    'Stored profiles: the query and options of profile.customer_profiles, the latest line read and the last refresh';
COMMENT ON COLUMN profile.profile_definitions.query_columns IS
    'The types of the query''s columns when the profile was created; a refresh refuses a query of another shape';
COMMENT ON COLUMN profile.profile_definitions.latest IS
    'The latest line read: the default as_of, and where the next refresh looks for new lines';

CREATE TABLE profile.profile_states (
    profile     text NOT NULL REFERENCES profile.profile_definitions (name)
                ON UPDATE CASCADE ON DELETE CASCADE,
    customer_id text NOT NULL,
    behaviour   bytea NOT NULL,
    PRIMARY KEY (profile, customer_id)
);

COMMENT ON TABLE profile.profile_states IS
    'Every stored profile''s customers and their profile.behaviour states';

CREATE TABLE profile.profiles (
    profile text NOT NULL REFERENCES profile.profile_definitions (name)
            ON UPDATE CASCADE ON DELETE CASCADE,
    LIKE profile.customer_profile,
    PRIMARY KEY (profile, customer_id)
);

COMMENT ON TABLE profile.profiles IS
    'Stored profiles: one row per profile and customer, as profile.customer_profiles returns it';

SELECT pg_catalog.pg_extension_config_dump('profile.profile_definitions', '');
SELECT pg_catalog.pg_extension_config_dump('profile.profile_states', '');
SELECT pg_catalog.pg_extension_config_dump('profile.profiles', '');
GRANT SELECT ON profile.profile_definitions, profile.profile_states, profile.profiles TO PUBLIC;

CREATE FUNCTION profile.profiles_create(
    name text,
    query text,
    as_of timestamptz DEFAULT NULL,
    period_days integer DEFAULT 90,
    rfm_model text DEFAULT NULL,
    kmeans_model text DEFAULT NULL,
    kmeans_features text[] DEFAULT NULL,
    clv_model text DEFAULT NULL,
    months integer DEFAULT 12,
    discount_rate double precision DEFAULT 0.01,
    tags text[] DEFAULT NULL,
    OUT profile text,
    OUT profiles bigint,
    OUT recomputed bigint,
    OUT rows_read bigint,
    OUT as_of_used timestamptz)
    RETURNS record
    LANGUAGE C CALLED ON NULL INPUT VOLATILE PARALLEL UNSAFE
    AS 'MODULE_PATHNAME', 'profile_profiles_create';

COMMENT ON FUNCTION profile.profiles_create(text, text, timestamptz, integer, text, text, text[], text, integer, double precision, text[]) IS
    'Create a stored profile: the customer_profiles of a query, kept in profile.profiles and refreshed by profile.profiles_refresh';

CREATE FUNCTION profile.profiles_refresh(
    name text,
    since timestamptz DEFAULT NULL,
    customers text[] DEFAULT NULL,
    rebuild boolean DEFAULT false,
    OUT profile text,
    OUT profiles bigint,
    OUT recomputed bigint,
    OUT rows_read bigint,
    OUT as_of_used timestamptz)
    RETURNS record
    LANGUAGE C CALLED ON NULL INPUT VOLATILE PARALLEL UNSAFE
    AS 'MODULE_PATHNAME', 'profile_profiles_refresh';

COMMENT ON FUNCTION profile.profiles_refresh(text, timestamptz, text[], boolean) IS
    'Bring a stored profile up to date: recompute the customers with lines since the last refresh (or since, or the customers named), then every profile from the stored states';

CREATE FUNCTION profile.profiles_compute(name text)
    RETURNS SETOF profile.customer_profile
    LANGUAGE C CALLED ON NULL INPUT STABLE PARALLEL RESTRICTED
    AS 'MODULE_PATHNAME', 'profile_profiles_compute';

COMMENT ON FUNCTION profile.profiles_compute(text) IS
    'The profiles of a stored profile''s states as they are now (what profiles_refresh writes)';

-- Audiences for campaigns: customers of a stored profile picked by tags and
-- segments, with a suggested action and cross-sell items

CREATE TABLE profile.tag_actions (
    tag      text PRIMARY KEY REFERENCES profile.tags (tag) ON UPDATE CASCADE ON DELETE CASCADE,
    action   text NOT NULL
             CONSTRAINT tag_actions_action_check
             CHECK (action OPERATOR(pg_catalog.=) ANY (ARRAY['win_back', 'upsell', 'convert', 'retain', 'cross_sell'])),
    priority integer NOT NULL DEFAULT 100
);

COMMENT ON TABLE profile.tag_actions IS
    'Your action map: the action (and priority, lowest first) of a tag, over the action in profile.tags';

SELECT pg_catalog.pg_extension_config_dump('profile.tag_actions', '');
GRANT SELECT ON profile.tag_actions TO PUBLIC;

-- the default priority of an action: win back first, then retain, convert,
-- upsell, cross-sell
CREATE FUNCTION profile.action_priority(action text)
    RETURNS integer
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN CASE action WHEN 'win_back' THEN 10 WHEN 'retain' THEN 20 WHEN 'convert' THEN 30
                       WHEN 'upsell' THEN 40 WHEN 'cross_sell' THEN 50 ELSE 100 END;

COMMENT ON FUNCTION profile.action_priority(text) IS
    'Default priority of a campaign action (lower first): win_back 10, retain 20, convert 30, upsell 40, cross_sell 50';

CREATE FUNCTION profile.audience(
    profile text,
    tags text[] DEFAULT NULL,
    segments text[] DEFAULT NULL,
    exclude text[] DEFAULT NULL,
    rules_model text DEFAULT NULL,
    n integer DEFAULT 3,
    OUT customer_id text,
    OUT matched_tags text[],
    OUT segment text,
    OUT action text,
    OUT action_tag text,
    OUT net_spend double precision,
    OUT clv double precision,
    OUT p_alive double precision,
    OUT recommendations text[])
    RETURNS SETOF record
    LANGUAGE sql STABLE PARALLEL RESTRICTED
    BEGIN ATOMIC
        SELECT p.customer_id,
               ARRAY(SELECT u FROM pg_catalog.unnest(p.tags) AS u
                     WHERE audience.tags IS NULL OR u OPERATOR(pg_catalog.=) ANY (audience.tags)
                     ORDER BY u),
               p.segment,
               a.action,
               a.tag,
               p.net_spend,
               p.clv,
               p.p_alive,
               CASE WHEN audience.rules_model IS NOT NULL THEN
                   ARRAY(SELECT r.item FROM profile.recommend(audience.rules_model, p.categories, audience.n) r
                         ORDER BY r.rank)
               END
        FROM profile.profiles p
        LEFT JOIN LATERAL (
            SELECT u AS tag, COALESCE(x.action, g.action) AS action
            FROM pg_catalog.unnest(p.tags) AS u
                 JOIN profile.tags g ON g.tag OPERATOR(pg_catalog.=) u
                 LEFT JOIN profile.tag_actions x ON x.tag OPERATOR(pg_catalog.=) u
            WHERE (audience.tags IS NULL OR u OPERATOR(pg_catalog.=) ANY (audience.tags))
              AND (x.action IS NOT NULL OR g.action IS NOT NULL)
            ORDER BY COALESCE(x.priority, profile.action_priority(g.action)), u
            LIMIT 1) a ON true
        WHERE p.profile OPERATOR(pg_catalog.=) audience.profile
          AND (audience.tags IS NULL OR p.tags OPERATOR(pg_catalog.&&) audience.tags)
          AND (audience.segments IS NULL OR p.segment OPERATOR(pg_catalog.=) ANY (audience.segments))
          AND (audience.exclude IS NULL OR NOT p.tags OPERATOR(pg_catalog.&&) audience.exclude)
        ORDER BY p.clv DESC NULLS LAST, p.net_spend DESC, p.customer_id;
    END;

COMMENT ON FUNCTION profile.audience(text, text[], text[], text[], text, integer) IS
    'Customers of a stored profile with any of the tags (and in the segments, without the excluded tags), their suggested action and cross-sell items';

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
                   pg_catalog.avg(a.clv) AS avg_clv
            FROM a GROUP BY a.action)
        SELECT g.action,
               CASE WHEN g.customers OPERATOR(pg_catalog.>=) audience_summary.min_customers THEN g.customers END,
               CASE WHEN g.customers OPERATOR(pg_catalog.>=) audience_summary.min_customers
                    THEN g.revenue OPERATOR(pg_catalog./) NULLIF(total.revenue, 0::double precision) END,
               CASE WHEN g.customers OPERATOR(pg_catalog.>=) audience_summary.min_customers THEN g.avg_clv END,
               g.customers OPERATOR(pg_catalog.<) audience_summary.min_customers
        FROM g CROSS JOIN total
        ORDER BY profile.action_priority(g.action), g.action;
    END;

COMMENT ON FUNCTION profile.audience_summary(text, text[], text[], text[], integer) IS
    'Size, revenue share and average CLV of an audience per suggested action; groups under min_customers are suppressed (NULL figures, suppressed = true)';
