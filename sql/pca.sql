-- PCA: the combinable aggregate profile.pca, its result and
-- profile.pca_project.  Expected values are worked by hand in the comments
-- and cross-checked against a plain-SQL covariance matrix (covar_samp per
-- pair of features) whose eigenpairs come from a second method: the 2 x 2
-- closed form, and Jacobi rotations written in PL/pgSQL.
\set VERBOSITY terse
SET extra_float_digits = 0;
CREATE SCHEMA pca_test;

-- every element of a 1-D or 2-D float8 array rounded to 6 digits
CREATE FUNCTION pca_test.r(a float8[]) RETURNS numeric[]
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT CASE array_ndims(a)
        WHEN 1 THEN ARRAY(SELECT round(x::numeric, 6) FROM unnest(a) WITH ORDINALITY u(x, i) ORDER BY i)
        ELSE ARRAY(SELECT ARRAY(SELECT round(a[i][j]::numeric, 6)
                                FROM generate_series(1, array_length(a, 2)) j ORDER BY j)
                   FROM generate_series(1, array_length(a, 1)) i ORDER BY i)
    END
$$;
-- a profile.pca result, rounded
CREATE FUNCTION pca_test.show(p profile.pca_result,
    OUT n bigint, OUT means numeric[], OUT components numeric[],
    OUT explained_variance numeric[], OUT explained_variance_ratio numeric[])
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT p.n, pca_test.r(p.means), pca_test.r(p.components),
           pca_test.r(p.explained_variance), pca_test.r(p.explained_variance_ratio)
$$;

-- ---- hand-worked cases ----

-- A: (3,1), (1,3), (-3,-1), (-1,-3).  Means 0.  Sample covariance
-- (n - 1 = 3): var x = var y = (9+1+9+1)/3 = 20/3, cov = (3+3+3+3)/3 = 4.
-- Eigenvalues 20/3 +- 4: 32/3 = 10.666667 along (1,1)/sqrt 2 and
-- 8/3 = 2.666667 along (1,-1)/sqrt 2 (0.707107); ratios 32/40 = 0.8 and 0.2.
-- The second component's entries are equal in size: the first is positive.
CREATE TABLE pca_test.a (id int, x float8, y float8);
INSERT INTO pca_test.a VALUES (1, 3, 1), (2, 1, 3), (3, -3, -1), (4, -1, -3);
SELECT (pca_test.show(profile.pca(ARRAY[x, y], 2))).* FROM pca_test.a;
-- n_components 1: the first component only; the ratio is still of the total
SELECT (pca_test.show(profile.pca(ARRAY[x, y], 1))).* FROM pca_test.a;
-- without n_components: all of them
SELECT (pca_test.show(profile.pca(ARRAY[x, y]))).* FROM pca_test.a;
-- scores: (3,1) -> ((3+1)/sqrt 2, (3-1)/sqrt 2) = (2.828427, 1.414214);
-- the scores of the four points have variances 32/3 and 8/3
SELECT id, pca_test.r(profile.pca_project(ARRAY[x, y], p)) AS scores
FROM pca_test.a, (SELECT profile.pca(ARRAY[x, y], 2) AS p FROM pca_test.a) m
ORDER BY id;
SELECT round(var_samp(s[1])::numeric, 6) AS var_1, round(var_samp(s[2])::numeric, 6) AS var_2,
       round(covar_samp(s[1], s[2])::numeric, 6) AS covar_12
FROM (SELECT profile.pca_project(ARRAY[x, y], (p).means, (p).components) AS s
      FROM pca_test.a, (SELECT profile.pca(ARRAY[x, y], 2) AS p FROM pca_test.a) m) t;

-- B: points on a line, (g, g) for g = 1..4: means (2.5, 2.5), first
-- component (1,1)/sqrt 2 with variance 2 var(1..4) = 2 * 5/3 = 3.333333,
-- second (1,-1)/sqrt 2 with variance 0; ratios 1 and 0
SELECT (pca_test.show(profile.pca(ARRAY[g, g]::float8[], 2))).* FROM generate_series(1, 4) g;

-- C: the sign convention.  Points t (-1, 2) for t = 1, -1, 2, -2: the
-- direction is +-(-1, 2)/sqrt 5 = +-(-0.447214, 0.894427); the entry of
-- largest size, the second, is made positive.  Variance 5 var(t) =
-- 5 (1+1+4+4)/3 = 16.666667.
SELECT (pca_test.show(profile.pca(ARRAY[-t, 2 * t]::float8[], 1))).*
FROM unnest(ARRAY[1, -1, 2, -2]) t;

-- D: a constant feature: (g, 5) for g = 1..4.  First component (1, 0)
-- with var(1..4) = 1.666667, second (0, 1) with 0; ratios 1 and 0
SELECT (pca_test.show(profile.pca(ARRAY[g, 5]::float8[], 2))).* FROM generate_series(1, 4) g;

-- ---- edge cases ----
-- no rows, NULL rows only: NULL
SELECT profile.pca(ARRAY[x, y], 2) IS NULL AS no_rows FROM pca_test.a WHERE false;
SELECT profile.pca(NULL::float8[], 2) IS NULL AS null_rows_only FROM generate_series(1, 3);
-- NULL rows are skipped: A with two NULL rows is A
SELECT (pca_test.show(profile.pca(f, 2))).*
FROM (SELECT ARRAY[x, y] AS f FROM pca_test.a UNION ALL VALUES (NULL::float8[]), (NULL)) t;
-- one row: n and means, no covariance and so no components
SELECT (profile.pca(ARRAY[1.5, -2]::float8[], 2)).*;
-- equal rows (covariance exactly 0): the axes as components, variance 0,
-- ratio NULL
SELECT (pca_test.show(profile.pca(ARRAY[1.5, -2, 7]::float8[], 2))).* FROM generate_series(1, 3);
-- duplicates count as rows: A twice has M2 twice A's (64 along (1,1) and
-- 16 along (1,-1)) over n - 1 = 7: 64/7 = 9.142857, 16/7 = 2.285714
SELECT (pca_test.show(profile.pca(ARRAY[x, y], 2))).* FROM pca_test.a, generate_series(1, 2);
-- the lower bound of the array does not matter
SELECT (pca_test.show(profile.pca(f, 2))).*
FROM (SELECT ('[0:1]={' || x || ',' || y || '}')::float8[] AS f FROM pca_test.a) t;
-- far from the origin (A + 10^9): centring as rows arrive keeps the
-- variances to 6 places (sum(x^2) - n mean^2 would lose every digit: x^2
-- is 10^18, whose ulp is 128)
SELECT (pca_test.show(profile.pca(ARRAY[x + 1e9, y - 1e9], 2))).* FROM pca_test.a;
-- GROUP BY: one PCA per group (A, and A scaled by 2: variances times 4)
SELECT s, (pca_test.show(profile.pca(ARRAY[x * s, y * s], 1))).*
FROM pca_test.a, (VALUES (1), (2)) v(s) GROUP BY s ORDER BY s;

-- ---- against a plain-SQL covariance and a second eigen-solver ----
-- 300 rows of 4 correlated features from arithmetic on g
CREATE TABLE pca_test.d4 AS
SELECT g, ARRAY[g % 7, (g * g) % 11 + 0.5 * (g % 7), ((g * 5) % 13) - 0.25 * ((g * g) % 11),
                (g % 3) * 2 + (g % 5)]::float8[] AS f
FROM generate_series(1, 300) g;
CREATE TABLE pca_test.fit AS SELECT profile.pca(f) AS p FROM pca_test.d4;
-- the sample covariance matrix in plain SQL, as a 4 x 4 array
CREATE TABLE pca_test.cov AS
SELECT ARRAY(SELECT ARRAY(SELECT (SELECT covar_samp(f[i], f[j]) FROM pca_test.d4)
                          FROM generate_series(1, 4) j ORDER BY j)
             FROM generate_series(1, 4) i ORDER BY i) AS c;

-- the means are avg() of each feature
SELECT i, round((p).means[i]::numeric, 6) AS ours,
       round((SELECT avg(f[i]) FROM pca_test.d4)::numeric, 6) AS plain_sql
FROM pca_test.fit, generate_series(1, 4) i ORDER BY i;

-- Jacobi's method (cyclic sweeps of plane rotations until the
-- off-diagonal part vanishes): eigenvalues and unit eigenvectors of a
-- symmetric matrix, largest first
CREATE FUNCTION pca_test.jacobi(m float8[])
RETURNS TABLE (rank int, eigenvalue float8, eigenvector float8[])
LANGUAGE plpgsql IMMUTABLE STRICT AS $$
DECLARE
    n int := array_length(m, 1);
    a float8[] := m;
    v float8[] := array_fill(0::float8, ARRAY[n, n]);
    off float8;
    theta float8; t float8; c float8; s float8; x float8; y float8;
BEGIN
    FOR i IN 1..n LOOP v[i][i] := 1; END LOOP;
    FOR sweep IN 1..100 LOOP
        off := 0;
        FOR p IN 1..n - 1 LOOP FOR q IN p + 1..n LOOP off := off + a[p][q] ^ 2; END LOOP; END LOOP;
        EXIT WHEN off < 1e-30;
        FOR p IN 1..n - 1 LOOP
            FOR q IN p + 1..n LOOP
                CONTINUE WHEN a[p][q] = 0;
                theta := (a[q][q] - a[p][p]) / (2 * a[p][q]);
                t := (CASE WHEN theta >= 0 THEN 1 ELSE -1 END) / (abs(theta) + sqrt(theta ^ 2 + 1));
                c := 1 / sqrt(t ^ 2 + 1);
                s := t * c;
                FOR k IN 1..n LOOP      -- columns p and q
                    x := a[k][p]; y := a[k][q];
                    a[k][p] := c * x - s * y; a[k][q] := s * x + c * y;
                END LOOP;
                FOR k IN 1..n LOOP      -- rows p and q
                    x := a[p][k]; y := a[q][k];
                    a[p][k] := c * x - s * y; a[q][k] := s * x + c * y;
                END LOOP;
                FOR k IN 1..n LOOP
                    x := v[k][p]; y := v[k][q];
                    v[k][p] := c * x - s * y; v[k][q] := s * x + c * y;
                END LOOP;
            END LOOP;
        END LOOP;
    END LOOP;
    RETURN QUERY
        SELECT (row_number() OVER (ORDER BY a[j][j] DESC))::int, a[j][j],
               ARRAY(SELECT v[i][j] FROM generate_series(1, n) i ORDER BY i)
        FROM generate_series(1, n) j;
END
$$;
-- the solver itself, on A's covariance: 10.666667 and 2.666667
SELECT rank, round(eigenvalue::numeric, 6) AS eigenvalue
FROM pca_test.jacobi('{{6.666666666666667,4},{4,6.666666666666667}}') ORDER BY rank;

-- explained variance equals Jacobi's eigenvalues of the plain-SQL
-- covariance, and each component is Jacobi's eigenvector up to its sign
SELECT j.rank, round((f.p).explained_variance[j.rank]::numeric, 6) AS ours,
       round(j.eigenvalue::numeric, 6) AS jacobi,
       abs(abs((SELECT sum((f.p).components[j.rank][i] * j.eigenvector[i])
                FROM generate_series(1, 4) i)) - 1) < 1e-9 AS same_direction
FROM pca_test.fit f, pca_test.cov c, pca_test.jacobi(c.c) j
ORDER BY j.rank;

-- each component v with variance l solves C v = l v for the plain-SQL C
SELECT k, (SELECT max(abs((SELECT sum(c.c[i][l] * (f.p).components[k][l]) FROM generate_series(1, 4) l)
                          - (f.p).explained_variance[k] * (f.p).components[k][i]))
           FROM generate_series(1, 4) i) < 1e-9 AS eigenpair
FROM pca_test.fit f, pca_test.cov c, generate_series(1, 4) k ORDER BY k;

-- the components are orthonormal: V V^T = I
SELECT k, l, round((SELECT sum((p).components[k][i] * (p).components[l][i])
                    FROM generate_series(1, 4) i)::numeric, 9) AS dot
FROM pca_test.fit, generate_series(1, 4) k, generate_series(1, 4) l
WHERE k <= l ORDER BY k, l;

-- the variances sum to the trace (the features' variances); the ratios
-- are their shares and sum to 1; their product is det C (Laplace
-- expansion of the plain-SQL matrix, in numeric)
CREATE FUNCTION pca_test.det(m numeric[]) RETURNS numeric
LANGUAGE plpgsql IMMUTABLE STRICT AS $$
DECLARE
    n int := array_length(m, 1);
    total numeric := 0;
    minor numeric[];
BEGIN
    IF n = 1 THEN RETURN m[1][1]; END IF;
    FOR j IN 1..n LOOP
        minor := ARRAY(SELECT ARRAY(SELECT m[r][c] FROM generate_series(1, n) c WHERE c <> j ORDER BY c)
                       FROM generate_series(2, n) r ORDER BY r);
        total := total + (CASE WHEN j % 2 = 1 THEN 1 ELSE -1 END) * m[1][j] * pca_test.det(minor);
    END LOOP;
    RETURN total;
END
$$;
SELECT round((SELECT sum(x) FROM unnest((p).explained_variance) x)::numeric, 6) AS sum_variance,
       round((SELECT sum(var_samp) FROM (SELECT var_samp(f[i]) FROM pca_test.d4, generate_series(1, 4) i
                                          GROUP BY i) v)::numeric, 6) AS trace,
       round((SELECT sum(x) FROM unnest((p).explained_variance_ratio) x)::numeric, 6) AS sum_ratio,
       round((SELECT exp(sum(ln(x))) FROM unnest((p).explained_variance) x)::numeric, 6) AS product,
       round(pca_test.det((SELECT c::numeric[] FROM pca_test.cov)), 6) AS det
FROM pca_test.fit;

-- the scores have the explained variances, mean 0 and no covariance
SELECT k, round(avg(s[k])::numeric, 6) AS mean, round(var_samp(s[k])::numeric, 6) AS variance,
       round((SELECT (p).explained_variance[k] FROM pca_test.fit)::numeric, 6) AS explained
FROM (SELECT profile.pca_project(f, (SELECT p FROM pca_test.fit)) AS s FROM pca_test.d4) t,
     generate_series(1, 4) k
GROUP BY k ORDER BY k;
SELECT k, l, round(covar_samp(s[k], s[l])::numeric, 6) AS covar
FROM (SELECT profile.pca_project(f, (SELECT p FROM pca_test.fit)) AS s FROM pca_test.d4) t,
     generate_series(1, 4) k, generate_series(1, 4) l
WHERE k < l GROUP BY k, l ORDER BY k, l;

-- two features: the closed form of a 2 x 2 symmetric matrix [[a, b], [b, c]],
-- (a + c)/2 +- sqrt(((a - c)/2)^2 + b^2), and the first direction
-- (b, l1 - a) normalised, against features 1 and 2
SELECT round(l1::numeric, 6) AS closed_l1, round(l2::numeric, 6) AS closed_l2,
       round((p).explained_variance[1]::numeric, 6) AS ours_l1,
       round((p).explained_variance[2]::numeric, 6) AS ours_l2,
       abs(abs((b * (p).components[1][1] + (l1 - a) * (p).components[1][2])
               / sqrt(b ^ 2 + (l1 - a) ^ 2)) - 1) < 1e-9 AS same_direction
FROM (SELECT a, b, c, (a + c) / 2 + sqrt(((a - c) / 2) ^ 2 + b ^ 2) AS l1,
             (a + c) / 2 - sqrt(((a - c) / 2) ^ 2 + b ^ 2) AS l2
      FROM (SELECT var_samp(f[1]) AS a, covar_samp(f[1], f[2]) AS b, var_samp(f[2]) AS c
            FROM pca_test.d4) m) cf,
     (SELECT profile.pca(f[1:2], 2) AS p FROM pca_test.d4) o;

-- n_components < d (LAPACK's subset path) gives the leading part of the
-- full result
SELECT pca_test.r((q).components) = pca_test.r((p).components[1:2][1:4]) AS same_components,
       pca_test.r((q).explained_variance) = pca_test.r((p).explained_variance[1:2]) AS same_variance,
       pca_test.r((q).explained_variance_ratio) = pca_test.r((p).explained_variance_ratio[1:2]) AS same_ratio
FROM pca_test.fit, (SELECT profile.pca(f, 2) AS q FROM pca_test.d4) t;

-- the row order does not matter
SELECT (SELECT pca_test.show(profile.pca(f ORDER BY g)) FROM pca_test.d4) =
       (SELECT pca_test.show(profile.pca(f ORDER BY g DESC)) FROM pca_test.d4) AS order_free;

-- 40 features (x_i = (g * (i + 2)) % (i + 7) + i (g % 3)): the trace, the
-- eigen-equations of the first five components against the plain-SQL
-- covariance, and the subset path against the full one
CREATE TABLE pca_test.d40 AS
SELECT g, ARRAY(SELECT ((g * (i + 2)) % (i + 7) + i * (g % 3))::float8
                FROM generate_series(1, 40) i ORDER BY i) AS f
FROM generate_series(1, 500) g;
CREATE TABLE pca_test.cov40 AS
SELECT i, j, covar_samp(f[i], f[j]) AS c
FROM pca_test.d40, generate_series(1, 40) i, generate_series(1, 40) j GROUP BY i, j;
CREATE TABLE pca_test.fit40 AS
SELECT profile.pca(f) AS p, profile.pca(f, 5) AS q FROM pca_test.d40;
SELECT round((SELECT sum(x) FROM unnest((p).explained_variance) x)::numeric, 6) AS sum_variance,
       round((SELECT sum(c) FROM pca_test.cov40 WHERE i = j)::numeric, 6) AS trace,
       (SELECT max(abs(r)) FROM (
            SELECT k, i, sum(c.c * (q).components[k][c.j]) - (q).explained_variance[k] * (q).components[k][i] AS r
            FROM pca_test.cov40 c, generate_series(1, 5) k GROUP BY k, i) e) < 1e-8 AS eigenpairs,
       pca_test.r((q).components) = pca_test.r((p).components[1:5][1:40]) AS subset_path
FROM pca_test.fit40;

-- ---- the state and the combine function ----
-- The raw state of A, through an aggregate without final function:
-- [n, d, k, means, M2 upper triangle by rows] = [4, 2, 2, 0, 0, 20, 12, 20]
-- (M2 = 3 x covariance)
CREATE AGGREGATE pca_test.state(float8[], integer) (
    SFUNC = profile.pca_transfn, STYPE = float8[]);
CREATE AGGREGATE pca_test.merged(float8[]) (
    SFUNC = profile.pca_combinefn, STYPE = float8[]);
SELECT pca_test.r(pca_test.state(ARRAY[x, y], 2)) FROM pca_test.a;
-- of d4: n, d, k, the means as avg(), and M2 as (n - 1) covar_samp
CREATE TABLE pca_test.states AS
SELECT g % 3 AS part, pca_test.state(f, 4) AS s FROM pca_test.d4 GROUP BY g % 3;
SELECT count(*) AS m2_entries_checked
FROM (SELECT pca_test.state(f, 4) AS s FROM pca_test.d4) st,
     generate_series(1, 4) i, generate_series(1, 4) j, pca_test.cov c
WHERE i <= j
  AND abs(st.s[3 + 4 + (i - 1) * 4 - (i - 1) * (i - 2) / 2 + (j - i + 1)] - 299 * c.c[i][j]) < 1e-8;
SELECT s[1] AS n, s[2] AS d, s[3] AS k,
       pca_test.r(s[4:7]) = (SELECT ARRAY(SELECT round(avg(f[i])::numeric, 6) FROM pca_test.d4,
                                                 generate_series(1, 4) i GROUP BY i ORDER BY i)) AS means
FROM (SELECT pca_test.state(f, 4) AS s FROM pca_test.d4) st;
-- the states of three parts, merged in any order, give the whole
SELECT pca_test.show(profile.pca_finalfn(pca_test.merged(s ORDER BY part))) =
           (SELECT pca_test.show(p) FROM pca_test.fit) AS merged_equals_whole,
       pca_test.show(profile.pca_finalfn(pca_test.merged(s ORDER BY part DESC))) =
           (SELECT pca_test.show(p) FROM pca_test.fit) AS other_order
FROM pca_test.states;
-- a state survives its text form exactly (Citus ships states as text)
-- with the default extra_float_digits (1: shortest exact output)
SET extra_float_digits = 1;
SELECT bool_and(s::text::float8[] = s) AS round_trip FROM pca_test.states;
SET extra_float_digits = 0;

-- parallel query: a Partial Aggregate under a Gather, same result as serial
CREATE TABLE pca_test.big AS
SELECT g, r % 4 AS grp, f FROM pca_test.d4, generate_series(0, 99) r;
ALTER TABLE pca_test.big SET (parallel_workers = 2);
ANALYZE pca_test.big;
CREATE VIEW pca_test.by_group AS
SELECT grp, (pca_test.show(profile.pca(f, 3))).* FROM pca_test.big GROUP BY grp;
SET max_parallel_workers_per_gather = 0;
CREATE TABLE pca_test.serial AS SELECT * FROM pca_test.by_group;
SET max_parallel_workers_per_gather = 2;
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET parallel_leader_participation = off;
SET enable_hashagg = off;
EXPLAIN (COSTS OFF) SELECT * FROM pca_test.by_group;
CREATE TABLE pca_test.parallel AS SELECT * FROM pca_test.by_group;
RESET enable_hashagg;
SELECT (SELECT count(*) FROM pca_test.serial) AS groups,
       (SELECT count(*) FROM (TABLE pca_test.serial EXCEPT TABLE pca_test.parallel) a) +
       (SELECT count(*) FROM (TABLE pca_test.parallel EXCEPT TABLE pca_test.serial) b) AS differences;
-- each group holds 25 copies of the 300 rows of d4: 7500 rows, and d4's
-- components
SELECT grp, n, components = (SELECT pca_test.r((p).components[1:3][1:4]) FROM pca_test.fit) AS d4_components
FROM pca_test.parallel ORDER BY grp;
RESET max_parallel_workers_per_gather;
RESET parallel_setup_cost;
RESET parallel_tuple_cost;
RESET min_parallel_table_scan_size;
RESET parallel_leader_participation;

-- partitionwise aggregation: partitions by g, grouped by grp, so every
-- partition yields partial states of every group
CREATE TABLE pca_test.parts (g int, grp int, f float8[]) PARTITION BY HASH (g);
CREATE TABLE pca_test.parts_0 PARTITION OF pca_test.parts FOR VALUES WITH (MODULUS 3, REMAINDER 0);
CREATE TABLE pca_test.parts_1 PARTITION OF pca_test.parts FOR VALUES WITH (MODULUS 3, REMAINDER 1);
CREATE TABLE pca_test.parts_2 PARTITION OF pca_test.parts FOR VALUES WITH (MODULUS 3, REMAINDER 2);
INSERT INTO pca_test.parts SELECT * FROM pca_test.big;
ANALYZE pca_test.parts;
SET enable_partitionwise_aggregate = on;
SET max_parallel_workers_per_gather = 0;
CREATE VIEW pca_test.parts_by_group AS
SELECT grp, (pca_test.show(profile.pca(f, 3))).* FROM pca_test.parts GROUP BY grp;
EXPLAIN (COSTS OFF) SELECT * FROM pca_test.parts_by_group;
SELECT (SELECT count(*) FROM (TABLE pca_test.serial EXCEPT TABLE pca_test.parts_by_group) a) +
       (SELECT count(*) FROM (TABLE pca_test.parts_by_group EXCEPT TABLE pca_test.serial) b) AS differences;
RESET enable_partitionwise_aggregate;
RESET max_parallel_workers_per_gather;

-- ---- bad input, one per line ----
SELECT profile.pca(ARRAY[1, 'NaN']::float8[], 1);                    -- 22000
\echo :LAST_ERROR_SQLSTATE
SELECT profile.pca(ARRAY[1, 'Infinity']::float8[], 1);               -- 22000
\echo :LAST_ERROR_SQLSTATE
SELECT profile.pca(ARRAY['-Infinity', 1]::float8[], 1);              -- 22000
\echo :LAST_ERROR_SQLSTATE
SELECT profile.pca(ARRAY[1, NULL]::float8[], 1);                     -- 22000
\echo :LAST_ERROR_SQLSTATE
SELECT profile.pca(f, 1) FROM (VALUES ('{1,2}'::float8[]), ('{1,2,3}')) v(f);  -- 22000
\echo :LAST_ERROR_SQLSTATE
SELECT profile.pca('{{1,2},{3,4}}'::float8[], 1);                    -- 2202E
\echo :LAST_ERROR_SQLSTATE
SELECT profile.pca('{}'::float8[], 1);                               -- 2202E
\echo :LAST_ERROR_SQLSTATE
SELECT profile.pca(ARRAY[1, 2]::float8[], 0);                        -- 22023
\echo :LAST_ERROR_SQLSTATE
SELECT profile.pca(ARRAY[1, 2]::float8[], -1);                       -- 22023
\echo :LAST_ERROR_SQLSTATE
SELECT profile.pca(ARRAY[1, 2]::float8[], 3);                        -- 22023: more than d
\echo :LAST_ERROR_SQLSTATE
SELECT profile.pca(ARRAY[1, 2]::float8[], NULL);                     -- 22004
\echo :LAST_ERROR_SQLSTATE
SELECT profile.pca(ARRAY[g, 1]::float8[], g) FROM generate_series(1, 2) g;  -- 22023: differs
\echo :LAST_ERROR_SQLSTATE
SELECT profile.pca(array_fill(1::float8, ARRAY[1001]), 1);          -- 54000: at most 1000
\echo :LAST_ERROR_SQLSTATE
SELECT profile.pca(ARRAY[s * 1e200, 1]::float8[], 1) FROM (VALUES (1), (-1)) v(s);  -- 22003
\echo :LAST_ERROR_SQLSTATE
-- the memory budget: the state of 600 features is 1.4MB, the matrices of
-- 400 features for the final step 1.3MB
SET profile.memory_budget = '1MB';
SELECT profile.pca(array_fill(g::float8, ARRAY[600]), 1) FROM generate_series(1, 2) g;  -- 54000
\echo :LAST_ERROR_SQLSTATE
SELECT profile.pca(array_fill(g::float8, ARRAY[400]), 1) FROM generate_series(1, 2) g;  -- 54000
\echo :LAST_ERROR_SQLSTATE
RESET profile.memory_budget;
-- 1000 features: accepted (rows on a line: one component of variance 1000 var(1, 2))
SELECT round((p).explained_variance[1]::numeric, 6) AS variance,
       round((p).components[1][1000]::numeric, 6) AS last_entry
FROM (SELECT profile.pca(array_fill(g::float8, ARRAY[1000]), 1) AS p FROM generate_series(1, 2) g) t;

-- the support functions cannot be abused from SQL
SELECT profile.pca_transfn(NULL, '{1,2}', 1);                        -- 0A000
\echo :LAST_ERROR_SQLSTATE
SELECT profile.pca_combinefn(NULL, '{1,2,1,0,0,0,0,0}');             -- 0A000
\echo :LAST_ERROR_SQLSTATE
-- states that are not ours: refused by the final and combine functions
SELECT profile.pca_finalfn('{1,2,1}');                               -- 22P03: too short for d = 2
\echo :LAST_ERROR_SQLSTATE
SELECT profile.pca_finalfn('{1,2}');                                 -- 22P03: no header
\echo :LAST_ERROR_SQLSTATE
SELECT profile.pca_finalfn('{}');                                    -- 22P03: empty
\echo :LAST_ERROR_SQLSTATE
SELECT profile.pca_finalfn('{{1,1,1},{0,0,0}}');                     -- 22P03: 2-D
\echo :LAST_ERROR_SQLSTATE
SELECT profile.pca_finalfn('{0,1,1,0,0}');                           -- 22P03: n = 0
\echo :LAST_ERROR_SQLSTATE
SELECT profile.pca_finalfn('{1.5,1,1,0,0}');                         -- 22P03: n not whole
\echo :LAST_ERROR_SQLSTATE
SELECT profile.pca_finalfn('{2,0,1}');                               -- 22P03: d = 0
\echo :LAST_ERROR_SQLSTATE
SELECT profile.pca_finalfn('{2,1001,1}');                            -- 22P03: d > 1000
\echo :LAST_ERROR_SQLSTATE
SELECT profile.pca_finalfn('{2,1,2,0,0}');                           -- 22P03: k > d
\echo :LAST_ERROR_SQLSTATE
SELECT profile.pca_finalfn('{2,1,1,NaN,1}');                         -- 22P03: NaN
\echo :LAST_ERROR_SQLSTATE
SELECT profile.pca_finalfn('{2,1,1,0,NULL}');                        -- 22P03: NULL
\echo :LAST_ERROR_SQLSTATE
SELECT profile.pca_finalfn('{2,1,1,0,-1}');                          -- 22P03: negative variance
\echo :LAST_ERROR_SQLSTATE
SELECT profile.pca_finalfn('{2,2,1,0,0,1,0}');                       -- 22P03: length
\echo :LAST_ERROR_SQLSTATE
-- a well-formed hand-made state is just data: x = (1, 3) has mean 2 and M2 2
SELECT (profile.pca_finalfn('{2,1,1,2,2}')).*;
SELECT pca_test.merged(s) FROM (VALUES ('{2,1,1,2,2}'::float8[]), ('{2,1}')) v(s);  -- 22P03
\echo :LAST_ERROR_SQLSTATE
SELECT pca_test.merged(s) FROM (VALUES ('{2,1,1,2,2}'::float8[]), ('{1,2,1,0,0,0,0,0}')) v(s);  -- 22000: widths
\echo :LAST_ERROR_SQLSTATE
SELECT pca_test.merged(s) FROM (VALUES ('{2,2,1,0,0,1,0,1}'::float8[]), ('{1,2,2,0,0,0,0,0}')) v(s);  -- 22023
\echo :LAST_ERROR_SQLSTATE
-- merging hand-made states of x = (1, 3) (n 2, mean 2, M2 2) and x = (5):
-- n 3, mean 3, M2 = 2 + 0 + (5 - 2)^2 (2 x 1 / 3) = 8 = 4 + 0 + 4
SELECT pca_test.r(pca_test.merged(s)) FROM (VALUES ('{2,1,1,2,2}'::float8[]), ('{1,1,1,5,0}')) v(s);
-- a hand-made initial state is checked, not trusted
CREATE AGGREGATE pca_test.forged(float8[], integer) (
    SFUNC = profile.pca_transfn, STYPE = float8[], INITCOND = '{0,5,1}');
SELECT pca_test.forged(ARRAY[1, 2]::float8[], 1);                    -- 22P03
\echo :LAST_ERROR_SQLSTATE
CREATE AGGREGATE pca_test.forged2(float8[], integer) (
    SFUNC = profile.pca_transfn, STYPE = float8[], INITCOND = '{0,2,1,0,0,0,0,0}');
SELECT pca_test.forged2(ARRAY[1, 2, 3]::float8[], 1);               -- 22000: width
\echo :LAST_ERROR_SQLSTATE

-- ---- pca_project ----
-- STRICT: NULL in, NULL out; a PCA of one row has no components: NULL
SELECT profile.pca_project(NULL, '{0,0}', '{{1,0}}') IS NULL AS null_features,
       profile.pca_project('{1,2}', (SELECT profile.pca(ARRAY[1, 2]::float8[], 1))) IS NULL AS one_row_pca;
-- one component, hand-worked: (1,1)/sqrt 2 . ((3, 5) - (1, 1)) = 6/sqrt 2 = 4.242641
SELECT pca_test.r(profile.pca_project('{3,5}', '{1,1}', ARRAY[[sqrt(0.5::float8), sqrt(0.5::float8)]]));
SELECT profile.pca_project('{1,2,3}', '{0,0}', '{{1,0}}');           -- 22000: means
\echo :LAST_ERROR_SQLSTATE
SELECT profile.pca_project('{1,2}', '{0,0}', '{{1,0,0}}');           -- 22000: components
\echo :LAST_ERROR_SQLSTATE
SELECT profile.pca_project('{1,2}', '{0,0}', '{1,0}');               -- 2202E: 1-D components
\echo :LAST_ERROR_SQLSTATE
SELECT profile.pca_project('{{1,2}}', '{0,0}', '{{1,0}}');           -- 2202E: 2-D features
\echo :LAST_ERROR_SQLSTATE
SELECT profile.pca_project('{}', '{0,0}', '{{1,0}}');                -- 2202E: empty
\echo :LAST_ERROR_SQLSTATE
SELECT profile.pca_project('{1,NaN}', '{0,0}', '{{1,0}}');           -- 22000
\echo :LAST_ERROR_SQLSTATE
SELECT profile.pca_project('{1,2}', '{0,Infinity}', '{{1,0}}');      -- 22000
\echo :LAST_ERROR_SQLSTATE
SELECT profile.pca_project('{1,2}', '{0,0}', '{{1,NULL}}');          -- 22000
\echo :LAST_ERROR_SQLSTATE
SELECT profile.pca_project('{1e308,0}', '{-1e308,0}', '{{1,0}}');    -- 22003
\echo :LAST_ERROR_SQLSTATE

DROP SCHEMA pca_test CASCADE;
