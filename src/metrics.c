/*-------------------------------------------------------------------------
 *
 * metrics.c
 *	  Cluster quality metrics for any clustering: silhouette, Davies-Bouldin
 *	  and Calinski-Harabasz, as C functions on plain arrays and as the
 *	  aggregates profile.silhouette, profile.davies_bouldin and
 *	  profile.calinski_harabasz over (features float8[], cluster integer).
 *
 * Definitions are scikit-learn's (1.2), Euclidean distance throughout,
 * so that the same points and labels give the same numbers:
 *
 *	- silhouette (Rousseeuw 1987): the mean over points of
 *	  s = (b - a) / max(a, b), where a is the mean distance to the other
 *	  points of the point's cluster and b the smallest mean distance to the
 *	  points of another cluster; s = 0 for a point alone in its cluster, and
 *	  where a = b = 0.  In [-1, 1], higher is better.  O(n^2 d).
 *	- Davies-Bouldin (Davies & Bouldin 1979): the mean over clusters i of
 *	  max over j != i of (s_i + s_j) / d(c_i, c_j), where c are centroids
 *	  and s_i the mean distance of cluster i's points to c_i.  >= 0, lower
 *	  is better.  As scikit-learn: a pair of clusters with the same
 *	  centroid is left out, and the score is 0 when every s_i is 0 or every
 *	  centroid is the same (scikit-learn tests "within 1e-8 of 0", we test
 *	  exactly 0, so that the result does not depend on the features' unit).
 *	  O(n d + k^2 d).
 *	- Calinski-Harabasz (Calinski & Harabasz 1974): [B / (k - 1)] /
 *	  [W / (n - k)], B = sum over clusters of n_i |c_i - c|^2 around the
 *	  overall mean c, W = sum over points of |x - c_i|^2.  Higher is
 *	  better.  As scikit-learn: 1 when W = 0.  O(n d).
 *
 * Each is undefined for fewer than 2 clusters or as many clusters as
 * points (scikit-learn raises ValueError); the aggregates return NULL.
 * Features so large that squared distances overflow give a result that is
 * not finite (NaN where a comparison would hide the overflow), which the
 * aggregates report as 22003.
 *
 * The silhouette is exact up to METRICS_SILHOUETTE_EXACT_MAX (10,000)
 * rows, or up to sample_size rows in the four-argument form.  Above that,
 * as scikit-learn's silhouette_score(sample_size=...) does, it is the
 * silhouette of a uniform sample of sample_size rows drawn without
 * replacement (Knuth's selection sampling, Algorithm S) by the seeded PRNG
 * of prng.h from the rows in canonical order, so the same rows and seed
 * give the same sample whatever the order they came in.  Its cost is
 * O(sample_size^2 d) whatever n; with 10,000 rows its standard error is
 * about 0.003 for typical data.
 *
 * The aggregates keep their rows in a point buffer (points.c): one bytea
 * state for all three with the two-argument forms, so a query asking for
 * the three metrics keeps one copy of the rows.  The final functions sort
 * the rows into the canonical order and compute in that order: the same
 * rows in any order, serial or parallel, give the same double.
 *
 * IDENTIFICATION
 *	  src/metrics.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "fmgr.h"
#include "miscadmin.h"
#include "utils/float.h"
#include "utils/memutils.h"

#include "points.h"
#include "prng.h"
#include "profile.h"

/* PRNG stream of the silhouette sample ("silh") */
#define SILHOUETTE_STREAM	UINT64_C(0x73696c68)

/* Euclidean distance between two rows of dim doubles */
static inline double
distance(const double *x, const double *y, int32 dim)
{
	return sqrt(squared_distance(x, y, dim));
}

/* Rows per label (labels are 0..k-1), reserved and allocated here */
static int64 *
cluster_sizes(const int32 *labels, int64 n, int32 k, MemoryBudget *budget)
{
	int64	   *sizes;

	budget_reserve_array(budget, (Size) k, sizeof(int64), "cluster sizes");
	sizes = palloc0(sizeof(int64) * (Size) k);
	for (int64 i = 0; i < n; i++)
	{
		Assert(labels[i] >= 0 && labels[i] < k);
		sizes[labels[i]]++;
	}
	return sizes;
}

/* Centroids (k x dim, the mean of each cluster's rows) */
static double *
cluster_centroids(const double *x, const int32 *labels, int64 n, int32 dim,
				  int32 k, const int64 *sizes, MemoryBudget *budget)
{
	double	   *centroids;

	budget_reserve_array(budget, (Size) k, sizeof(double) * (Size) dim, "centroids");
	centroids = palloc0(sizeof(double) * (Size) k * dim);
	for (int64 i = 0; i < n; i++)
	{
		double	   *c = centroids + (Size) labels[i] * dim;
		const double *row = x + (Size) i * dim;

		for (int32 j = 0; j < dim; j++)
			c[j] += row[j];
	}
	for (int32 c = 0; c < k; c++)
		for (int32 j = 0; j < dim; j++)
			centroids[(Size) c * dim + j] /= (double) sizes[c];
	return centroids;
}

/*
 * metrics_silhouette: the exact mean silhouette, O(n^2 d); cancellable
 * between points.
 */
bool
metrics_silhouette(const double *x, const int32 *labels, int64 n, int32 dim,
				   int32 k, MemoryBudget *budget, double *result)
{
	int64	   *sizes;
	double	   *sums;
	double		total = 0.0;

	if (k < 2 || k >= n)
		return false;
	sizes = cluster_sizes(labels, n, k, budget);
	budget_reserve_array(budget, (Size) k, sizeof(double), "distance sums");
	sums = palloc(sizeof(double) * (Size) k);

	for (int64 i = 0; i < n; i++)
	{
		const double *xi = x + (Size) i * dim;
		int32		own = labels[i];
		double		a;
		double		b = get_float8_infinity();
		double		larger;

		CHECK_FOR_INTERRUPTS();
		if (sizes[own] == 1)
			continue;			/* alone in its cluster: s = 0 */

		memset(sums, 0, sizeof(double) * (Size) k);
		for (int64 j = 0; j < n; j++)
			if (j != i)
				sums[labels[j]] += distance(xi, x + (Size) j * dim, dim);

		a = sums[own] / (double) (sizes[own] - 1);
		for (int32 c = 0; c < k; c++)
			if (c != own && sums[c] / (double) sizes[c] < b)
				b = sums[c] / (double) sizes[c];
		larger = Max(a, b);
		if (larger > 0.0)
			total += (b - a) / larger;
		/* a = b = 0 (duplicates across clusters): s = 0, as scikit-learn */
	}
	pfree(sums);
	pfree(sizes);
	*result = total / (double) n;
	return true;
}

/*
 * metrics_silhouette_sampled: the exact silhouette when n <= sample_size,
 * else the silhouette of sample_size rows drawn without replacement with
 * the PRNG seeded by seed (Knuth's Algorithm S: one pass, rows kept in
 * their order).  Clusters absent from the sample are absent from its
 * silhouette; a sample with fewer than 2 clusters, or with every row in a
 * cluster of its own, gives false.
 */
bool
metrics_silhouette_sampled(const double *x, const int32 *labels, int64 n,
						   int32 dim, int32 k, int64 sample_size, int64 seed,
						   MemoryBudget *budget, double *result)
{
	ProfilePrng rng;
	double	   *sx;
	int32	   *slabels;
	int32	   *relabel;
	int64		m = 0;
	int32		sk = 0;
	bool		ok;

	if (n <= sample_size)
		return metrics_silhouette(x, labels, n, dim, k, budget, result);
	if (k < 2)
		return false;

	budget_reserve_array(budget, (Size) sample_size,
						 sizeof(double) * (Size) dim + sizeof(int32), "the sample");
	budget_reserve_array(budget, (Size) k, sizeof(int32), "the sample's clusters");
	sx = palloc(sizeof(double) * (Size) sample_size * dim);
	slabels = palloc(sizeof(int32) * (Size) sample_size);
	relabel = palloc(sizeof(int32) * (Size) k);
	for (int32 c = 0; c < k; c++)
		relabel[c] = -1;

	prng_seed_stream(&rng, (uint64) seed, SILHOUETTE_STREAM);
	for (int64 i = 0; i < n && m < sample_size; i++)
	{
		/* keep row i with probability (rows still wanted) / (rows left) */
		if ((int64) prng_below(&rng, (uint64) (n - i)) < sample_size - m)
		{
			memcpy(sx + (Size) m * dim, x + (Size) i * dim, sizeof(double) * dim);
			slabels[m] = labels[i];
			relabel[labels[i]] = 0;
			m++;
		}
	}
	Assert(m == sample_size);

	/* the sample's clusters, numbered 0..sk-1 in the order of the labels */
	for (int32 c = 0; c < k; c++)
		if (relabel[c] == 0)
			relabel[c] = sk++;
		else
			relabel[c] = -1;
	for (int64 i = 0; i < m; i++)
		slabels[i] = relabel[slabels[i]];

	ok = metrics_silhouette(sx, slabels, m, dim, sk, budget, result);
	pfree(relabel);
	pfree(slabels);
	pfree(sx);
	return ok;
}

/* metrics_davies_bouldin: scikit-learn's davies_bouldin_score, O(n d + k^2 d) */
bool
metrics_davies_bouldin(const double *x, const int32 *labels, int64 n, int32 dim,
					   int32 k, MemoryBudget *budget, double *result)
{
	int64	   *sizes;
	double	   *centroids;
	double	   *spread;
	bool		any_spread = false;
	bool		any_apart = false;
	bool		overflowed = false;
	double		total = 0.0;

	if (k < 2 || k >= n)
		return false;
	sizes = cluster_sizes(labels, n, k, budget);
	centroids = cluster_centroids(x, labels, n, dim, k, sizes, budget);

	/* s_i: mean distance of cluster i's rows to its centroid */
	budget_reserve_array(budget, (Size) k, sizeof(double), "cluster spreads");
	spread = palloc0(sizeof(double) * (Size) k);
	for (int64 i = 0; i < n; i++)
		spread[labels[i]] += distance(x + (Size) i * dim,
									  centroids + (Size) labels[i] * dim, dim);
	for (int32 c = 0; c < k; c++)
	{
		spread[c] /= (double) sizes[c];
		if (spread[c] != 0.0)
			any_spread = true;
		if (!isfinite(spread[c]))
			overflowed = true;
	}

	for (int32 c = 0; c < k; c++)
	{
		double		worst = 0.0;

		CHECK_FOR_INTERRUPTS();
		for (int32 o = 0; o < k; o++)
		{
			double		apart;

			if (o == c)
				continue;
			apart = distance(centroids + (Size) c * dim, centroids + (Size) o * dim, dim);
			if (!isfinite(apart))
				overflowed = true;
			if (apart == 0.0)
				continue;		/* same centroid: left out, as scikit-learn */
			any_apart = true;
			if ((spread[c] + spread[o]) / apart > worst)
				worst = (spread[c] + spread[o]) / apart;
		}
		total += worst;
	}
	/* an overflow must not hide behind NaN comparisons: the caller reports it */
	if (overflowed)
		*result = get_float8_nan();
	else
		*result = (any_spread && any_apart) ? total / (double) k : 0.0;
	pfree(spread);
	pfree(centroids);
	pfree(sizes);
	return true;
}

/* metrics_calinski_harabasz: scikit-learn's calinski_harabasz_score, O(n d) */
bool
metrics_calinski_harabasz(const double *x, const int32 *labels, int64 n, int32 dim,
						  int32 k, MemoryBudget *budget, double *result)
{
	int64	   *sizes;
	double	   *centroids;
	double	   *mean;
	double		between = 0.0;
	double		within = 0.0;

	if (k < 2 || k >= n)
		return false;
	sizes = cluster_sizes(labels, n, k, budget);
	centroids = cluster_centroids(x, labels, n, dim, k, sizes, budget);

	budget_reserve_array(budget, (Size) dim, sizeof(double), "the mean");
	mean = palloc0(sizeof(double) * (Size) dim);
	for (int64 i = 0; i < n; i++)
		for (int32 j = 0; j < dim; j++)
			mean[j] += x[(Size) i * dim + j];
	for (int32 j = 0; j < dim; j++)
		mean[j] /= (double) n;

	for (int32 c = 0; c < k; c++)
		between += (double) sizes[c] * squared_distance(centroids + (Size) c * dim, mean, dim);
	for (int64 i = 0; i < n; i++)
		within += squared_distance(x + (Size) i * dim, centroids + (Size) labels[i] * dim, dim);

	*result = (within == 0.0) ? 1.0 :
		between * (double) (n - k) / (within * (double) (k - 1));
	pfree(mean);
	pfree(centroids);
	pfree(sizes);
	return true;
}

/* ---- the aggregates ---- */

static const char *const silhouette_param_names[] = {"sample_size", "seed"};

/* The two-argument forms of all three share this state */
static const PointsSpec cluster_points_spec = {
	.what = "cluster quality metric",
	.transfn = "profile.cluster_points_transfn",
	.combinefn = "profile.cluster_points_combinefn",
	.labelled = true,
	.nparams = 0,
	.param_names = NULL
};

/* profile.silhouette(features, cluster, sample_size, seed) */
static const PointsSpec silhouette_spec = {
	.what = "profile.silhouette",
	.transfn = "profile.silhouette_transfn",
	.combinefn = "profile.cluster_points_combinefn",
	.labelled = true,
	.nparams = 2,
	.param_names = silhouette_param_names
};

typedef enum ClusterMetric
{
	METRIC_SILHOUETTE,
	METRIC_DAVIES_BOULDIN,
	METRIC_CALINSKI_HARABASZ
} ClusterMetric;

PG_FUNCTION_INFO_V1(profile_cluster_points_transfn);
Datum
profile_cluster_points_transfn(PG_FUNCTION_ARGS)
{
	return points_transfn(fcinfo, &cluster_points_spec, NULL);
}

PG_FUNCTION_INFO_V1(profile_silhouette_transfn);
Datum
profile_silhouette_transfn(PG_FUNCTION_ARGS)
{
	int64		params[2];

	check_aggregate_call(fcinfo, silhouette_spec.transfn);
	check_arg_not_null(fcinfo, 3, "sample_size");
	check_arg_not_null(fcinfo, 4, "seed");
	params[0] = PG_GETARG_INT32(3);
	params[1] = PG_GETARG_INT64(4);
	check_int_range(params[0], 2, PG_INT32_MAX, "sample_size");
	return points_transfn(fcinfo, &silhouette_spec, params);
}

PG_FUNCTION_INFO_V1(profile_cluster_points_combinefn);
Datum
profile_cluster_points_combinefn(PG_FUNCTION_ARGS)
{
	return points_combinefn(fcinfo, &cluster_points_spec);
}

/*
 * The final functions: the metric of the rows in the state, or NULL where
 * it is undefined.  They leave the state alone; the work happens in a
 * child context deleted before returning.
 */
static Datum
cluster_metric_final(FunctionCallInfo fcinfo, ClusterMetric metric)
{
	PointsData *points = points_check(PG_GETARG_DATUM(0), &cluster_points_spec);
	MemoryContext workcxt;
	MemoryContext oldcxt;
	MemoryBudget budget;
	PointsSorted *sorted;
	int64		sample_size = METRICS_SILHOUETTE_EXACT_MAX;
	int64		seed = METRICS_SILHOUETTE_DEFAULT_SEED;
	double		result = 0.0;
	bool		ok = false;

	if (points_nparams(points) == 2 && metric == METRIC_SILHOUETTE)
	{
		sample_size = points_param(points, 0);
		seed = points_param(points, 1);
		if (sample_size < 2 || sample_size > PG_INT32_MAX)
			points_bad_state(&cluster_points_spec, "bad sample_size");
	}
	else if (points_nparams(points) != 0)
		points_bad_state(&cluster_points_spec, "a state of another aggregate");

	workcxt = AllocSetContextCreate(CurrentMemoryContext, "profile cluster metrics",
									ALLOCSET_DEFAULT_SIZES);
	oldcxt = MemoryContextSwitchTo(workcxt);
	budget_init(&budget, metric == METRIC_SILHOUETTE ? "profile.silhouette" :
				metric == METRIC_DAVIES_BOULDIN ? "profile.davies_bouldin" :
				"profile.calinski_harabasz");
	sorted = points_sort(points, &budget);
	switch (metric)
	{
		case METRIC_SILHOUETTE:
			ok = metrics_silhouette_sampled(sorted->rows, sorted->labels, sorted->n,
											sorted->dim, sorted->k, sample_size, seed,
											&budget, &result);
			break;
		case METRIC_DAVIES_BOULDIN:
			ok = metrics_davies_bouldin(sorted->rows, sorted->labels, sorted->n,
										sorted->dim, sorted->k, &budget, &result);
			break;
		case METRIC_CALINSKI_HARABASZ:
			ok = metrics_calinski_harabasz(sorted->rows, sorted->labels, sorted->n,
										   sorted->dim, sorted->k, &budget, &result);
			break;
	}
	MemoryContextSwitchTo(oldcxt);
	MemoryContextDelete(workcxt);

	if (!ok)
		PG_RETURN_NULL();
	if (!isfinite(result))
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("%s is out of range for double precision", budget.what),
				 errhint("Features this large overflow squared distances; scale them first.")));
	PG_RETURN_FLOAT8(result);
}

PG_FUNCTION_INFO_V1(profile_silhouette_finalfn);
Datum
profile_silhouette_finalfn(PG_FUNCTION_ARGS)
{
	return cluster_metric_final(fcinfo, METRIC_SILHOUETTE);
}

PG_FUNCTION_INFO_V1(profile_davies_bouldin_finalfn);
Datum
profile_davies_bouldin_finalfn(PG_FUNCTION_ARGS)
{
	return cluster_metric_final(fcinfo, METRIC_DAVIES_BOULDIN);
}

PG_FUNCTION_INFO_V1(profile_calinski_harabasz_finalfn);
Datum
profile_calinski_harabasz_finalfn(PG_FUNCTION_ARGS)
{
	return cluster_metric_final(fcinfo, METRIC_CALINSKI_HARABASZ);
}
