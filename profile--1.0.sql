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
