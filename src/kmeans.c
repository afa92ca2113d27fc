/*-------------------------------------------------------------------------
 *
 * kmeans.c
 *	  k-means on an in-memory matrix: canonical order, scaling, greedy
 *	  k-means++ seeding, Lloyd iterations, restarts.
 *
 * Lloyd's algorithm (Lloyd 1982) as scikit-learn runs it, so that from the
 * same initial centroids both give the same assignments and inertia:
 *	- each iteration assigns every point to its nearest centroid (ties go to
 *	  the lower cluster number) and moves each centroid to the mean of its
 *	  points;
 *	- a cluster left empty takes the point farthest from its centroid (ties:
 *	  the earlier point), which leaves its old cluster: deterministic, and
 *	  reported once per fit with a NOTICE;
 *	- it stops when the assignments repeat, or when the summed squared
 *	  movement of the centroids is at most tol times the mean variance of
 *	  the features, or after max_iter iterations; without a repeat, a last
 *	  assignment pass makes labels and centroids agree.
 * Seeding is greedy k-means++ (Arthur & Vassilvitskii 2007, with
 * 2 + floor(ln k) local trials per centroid as scikit-learn does), from
 * the seeded PRNG of prng.h, stream r for restart r.
 *
 * Determinism: points are first put in a canonical order (by a hash of
 * their values, then lexicographically), so the same rows in any order,
 * serial or parallel, give bit-identical models.  Restarts keep the lowest
 * inertia (the earlier restart on ties).
 *
 * Scaling happens here too (options->scaling) and is kept in the model, so
 * that assignment scales new points the same way and centroids can be
 * reported in original units.  A feature with no spread gets scale 1.
 *
 * Cost: O(n k d) per iteration; CHECK_FOR_INTERRUPTS every 16384 points.
 * XXX Elkan/Hamerly bounds would skip most distance computations once the
 * centroids settle; measure before adding them.
 *
 * IDENTIFICATION
 *	  src/kmeans.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "common/hashfn.h"
#include "miscadmin.h"
#include "utils/float.h"

#include "prng.h"
#include "profile.h"

#define INTERRUPT_EVERY	16384

static const char *const scaling_names[] = {"none", "zscore", "log", "robust", "minmax"};

KmeansScaling
kmeans_scaling_from_name(const char *name)
{
	for (int i = 0; i < (int) lengthof(scaling_names); i++)
		if (strcmp(name, scaling_names[i]) == 0)
			return (KmeansScaling) i;
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("unknown scaling \"%s\"", name),
			 errhint("Use one of zscore, log, robust, minmax or none.")));
	return KMEANS_SCALE_NONE;	/* not reached */
}

const char *
kmeans_scaling_name(KmeansScaling scaling)
{
	if ((int) scaling < 0 || (int) scaling >= (int) lengthof(scaling_names))
		return "?";
	return scaling_names[scaling];
}

void
kmeans_check_options(const KmeansOptions *options, int d)
{
	check_int_range(options->k, 1, PROFILE_MAX_CLUSTERS, "k");
	check_int_range(options->n_init, 1, 1000, "n_init");
	check_int_range(options->max_iter, 1, 100000, "max_iter");
	check_float_range(options->tol, 0, 1, "tol");
	check_int_range(d, 1, PROFILE_MAX_DIMENSIONS, "the number of features");
}

/* ---- canonical order ---- */

typedef struct RowKey
{
	uint64		hash;
	int64		index;
} RowKey;

/* qsort_arg comparator context */
typedef struct RowOrder
{
	const double *points;
	int			d;
} RowOrder;

static int
compare_rows(const void *a, const void *b, void *arg)
{
	const RowKey *x = a;
	const RowKey *y = b;
	const RowOrder *order = arg;

	if (x->hash != y->hash)
		return x->hash < y->hash ? -1 : 1;
	for (int j = 0; j < order->d; j++)
	{
		double		u = order->points[x->index * order->d + j];
		double		v = order->points[y->index * order->d + j];

		if (u != v)
			return u < v ? -1 : 1;
	}
	return 0;
}

/*
 * Put the rows in canonical order, in place; returns the number of
 * distinct rows.  -0.0 becomes 0.0 so that equal values hash equally.
 */
int64
kmeans_canonical_order(double *points, int64 n, int d, MemoryBudget *budget)
{
	RowKey	   *keys;
	double	   *sorted;
	RowOrder	order = {points, d};
	int64		distinct = 0;
	Size		rowbytes = sizeof(double) * d;

	budget_reserve_array(budget, n, sizeof(RowKey) + rowbytes, "ordering the points");
	keys = palloc(sizeof(RowKey) * n);
	for (int64 i = 0; i < n; i++)
	{
		double	   *row = points + i * d;

		for (int j = 0; j < d; j++)
			row[j] += 0.0;		/* -0.0 + 0.0 is 0.0 */
		keys[i].hash = DatumGetUInt64(hash_any_extended((const unsigned char *) row,
														(int) rowbytes, 0));
		keys[i].index = i;
	}
	CHECK_FOR_INTERRUPTS();
	qsort_arg(keys, n, sizeof(RowKey), compare_rows, &order);
	CHECK_FOR_INTERRUPTS();

	sorted = palloc(rowbytes * n);
	for (int64 i = 0; i < n; i++)
	{
		memcpy(sorted + i * d, points + keys[i].index * d, rowbytes);
		if (i == 0 || compare_rows(&keys[i - 1], &keys[i], &order) != 0)
			distinct++;
	}
	memcpy(points, sorted, rowbytes * n);
	pfree(sorted);
	pfree(keys);
	budget_release(budget, (sizeof(RowKey) + rowbytes) * n);
	return distinct;
}

/* ---- scaling ---- */

/* Linear-interpolation quantile of sorted[n], as numpy's percentile */
static double
quantile_linear(const double *sorted, int64 n, double q)
{
	double		pos = q * (double) (n - 1);
	int64		lo = (int64) floor(pos);
	int64		hi = lo + 1 < n ? lo + 1 : lo;

	return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - (double) lo);
}

static inline double
transform(KmeansScaling scaling, double x)
{
	return scaling == KMEANS_SCALE_LOG ? log1p(x) : x;
}

/* Fit shift and scale per feature and scale the points in place */
static void
fit_scaling(KmeansModel *model, double *points, int64 n, MemoryBudget *budget)
{
	int			d = model->d;
	double	   *column = NULL;

	if (model->scaling == KMEANS_SCALE_ROBUST)
	{
		budget_reserve_array(budget, n, sizeof(double), "robust scaling");
		column = palloc(sizeof(double) * n);
	}
	for (int j = 0; j < d; j++)
	{
		double		shift = 0.0;
		double		scale = 1.0;

		if (model->scaling == KMEANS_SCALE_LOG)
		{
			for (int64 i = 0; i < n; i++)
			{
				if (!(points[i * d + j] > -1.0))
					ereport(ERROR,
							(errcode(ERRCODE_DATA_EXCEPTION),
							 errmsg("log scaling needs every value above -1, but feature %d has %g",
									j + 1, points[i * d + j]),
							 errhint("Use scaling => 'zscore' or 'robust' for features that can be negative.")));
				points[i * d + j] = log1p(points[i * d + j]);
			}
		}

		switch (model->scaling)
		{
			case KMEANS_SCALE_NONE:
				break;
			case KMEANS_SCALE_ZSCORE:
			case KMEANS_SCALE_LOG:
				{
					/* two passes: mean, then the spread around it */
					double		mean = 0.0;
					double		ss = 0.0;

					for (int64 i = 0; i < n; i++)
						mean += points[i * d + j];
					mean /= (double) n;
					for (int64 i = 0; i < n; i++)
					{
						double		dev = points[i * d + j] - mean;

						ss += dev * dev;
					}
					shift = mean;
					scale = sqrt(ss / (double) n);
					break;
				}
			case KMEANS_SCALE_ROBUST:
				for (int64 i = 0; i < n; i++)
					column[i] = points[i * d + j];
				qsort(column, n, sizeof(double), compare_float8);
				shift = quantile_linear(column, n, 0.5);
				scale = quantile_linear(column, n, 0.75) - quantile_linear(column, n, 0.25);
				break;
			case KMEANS_SCALE_MINMAX:
				{
					double		lo = points[j];
					double		hi = points[j];

					for (int64 i = 1; i < n; i++)
					{
						lo = Min(lo, points[i * d + j]);
						hi = Max(hi, points[i * d + j]);
					}
					shift = lo;
					scale = hi - lo;
					break;
				}
		}
		if (!(scale > 0.0) || !isfinite(scale))
			scale = 1.0;		/* no spread: the feature becomes constant */
		model->shift[j] = shift;
		model->scale[j] = scale;
		for (int64 i = 0; i < n; i++)
			points[i * d + j] = (points[i * d + j] - shift) / scale;
		CHECK_FOR_INTERRUPTS();
	}
	if (column)
		pfree(column);
}

void
kmeans_scale_point(const KmeansModel *model, const double *x, double *out)
{
	/* no scaling: shift 0 and scale 1, so nothing to compute */
	if (model->scaling == KMEANS_SCALE_NONE)
	{
		memcpy(out, x, sizeof(double) * model->d);
		return;
	}
	for (int j = 0; j < model->d; j++)
		out[j] = (transform(model->scaling, x[j]) - model->shift[j]) / model->scale[j];
}

void
kmeans_unscale_point(const KmeansModel *model, const double *x, double *out)
{
	for (int j = 0; j < model->d; j++)
	{
		double		v = x[j] * model->scale[j] + model->shift[j];

		out[j] = model->scaling == KMEANS_SCALE_LOG ? expm1(v) : v;
	}
}

/* ---- distances (squared_distance is in profile.h) ---- */

/* Nearest of k centroids; ties go to the lower cluster number */
static inline int
nearest(const double *x, const double *centroids, int k, int d, double *best_sq)
{
	int			best = 0;
	double		best_dist = squared_distance(x, centroids, d);

	for (int c = 1; c < k; c++)
	{
		double		dist = squared_distance(x, centroids + (Size) c * d, d);

		if (dist < best_dist)
		{
			best_dist = dist;
			best = c;
		}
	}
	*best_sq = best_dist;
	return best;
}

int
kmeans_nearest(const KmeansModel *model, const double *scaled, double *distance_sq)
{
	return nearest(scaled, model->centroids, model->k, model->d, distance_sq);
}

/* ---- seeding ---- */

/*
 * Greedy k-means++: the first centroid uniformly, then each next one the
 * best of 2 + floor(ln k) candidates drawn proportionally to the squared
 * distance to the nearest centroid so far.
 */
static void
seed_plusplus(const double *points, int64 n, int d, int k, ProfilePrng *rng,
			  double *centroids, double *closest, double *cumulative,
			  double *candidate_dist)
{
	int			trials = 2 + (int) log((double) k);
	int64		first = (int64) prng_below(rng, (uint64) n);
	double		potential = 0.0;

	memcpy(centroids, points + first * d, sizeof(double) * d);
	for (int64 i = 0; i < n; i++)
	{
		closest[i] = squared_distance(points + i * d, centroids, d);
		potential += closest[i];
	}

	for (int c = 1; c < k; c++)
	{
		int64		best_id = -1;
		double		best_potential = 0.0;
		double		running = 0.0;

		CHECK_FOR_INTERRUPTS();
		for (int64 i = 0; i < n; i++)
		{
			running += closest[i];
			cumulative[i] = running;
		}
		for (int t = 0; t < trials; t++)
		{
			double		target = prng_uniform(rng) * potential;
			int64		lo = 0,
						hi = n;
			double		candidate_potential = 0.0;
			const double *candidate;

			/* first index whose cumulative sum reaches the target */
			while (lo < hi)
			{
				int64		mid = lo + (hi - lo) / 2;

				if (cumulative[mid] < target)
					lo = mid + 1;
				else
					hi = mid;
			}
			if (lo >= n)
				lo = n - 1;
			candidate = points + lo * d;
			for (int64 i = 0; i < n; i++)
			{
				double		dist = squared_distance(points + i * d, candidate, d);

				if ((i % INTERRUPT_EVERY) == 0)
					CHECK_FOR_INTERRUPTS();
				candidate_potential += Min(dist, closest[i]);
			}
			if (best_id < 0 || candidate_potential < best_potential)
			{
				best_id = lo;
				best_potential = candidate_potential;
			}
		}
		memcpy(centroids + (Size) c * d, points + best_id * d, sizeof(double) * d);
		potential = 0.0;
		for (int64 i = 0; i < n; i++)
		{
			candidate_dist[i] = squared_distance(points + i * d, centroids + (Size) c * d, d);
			closest[i] = Min(closest[i], candidate_dist[i]);
			potential += closest[i];
		}
	}
}

/*
 * kmeans_seed: k-means++ centroids (k x d) for restart run, from points
 * already scaled and in canonical order.
 */
void
kmeans_seed(const double *points, int64 n, int d, int k, uint64 seed, int run,
			double *centroids, MemoryBudget *budget)
{
	ProfilePrng rng;
	double	   *closest;
	double	   *cumulative;
	double	   *candidate;

	budget_reserve_array(budget, n, 3 * sizeof(double), "k-means++ seeding");
	closest = palloc(sizeof(double) * n);
	cumulative = palloc(sizeof(double) * n);
	candidate = palloc(sizeof(double) * n);
	prng_seed_stream(&rng, seed, (uint64) run);
	seed_plusplus(points, n, d, k, &rng, centroids, closest, cumulative, candidate);
	pfree(closest);
	pfree(cumulative);
	pfree(candidate);
	budget_release(budget, 3 * sizeof(double) * n);
}

/* ---- Lloyd ---- */

typedef struct LloydWork
{
	double	   *sums;			/* k x d */
	int64	   *counts;			/* k */
	int32	   *labels_old;		/* n */
	double	   *distance;		/* n: squared distance to the own centroid */
	int64	   *far;			/* points by decreasing distance (reseeding) */
	int			reseeded;		/* clusters reseeded in this fit */
} LloydWork;

/* Indices of the m farthest points, farthest first, ties: earlier point */
static void
farthest_points(const double *distance, int64 n, int m, int64 *out)
{
	for (int r = 0; r < m; r++)
		out[r] = -1;
	for (int64 i = 0; i < n; i++)
	{
		int			pos = m;

		while (pos > 0 && (out[pos - 1] < 0 || distance[i] > distance[out[pos - 1]]))
			pos--;
		if (pos < m)
		{
			memmove(out + pos + 1, out + pos, sizeof(int64) * (m - pos - 1));
			out[pos] = i;
		}
	}
}

/* Assign every point; returns the inertia */
static double
assign_all(const double *points, int64 n, int d, const double *centroids, int k,
		   int32 *labels, double *distance)
{
	double		inertia = 0.0;

	for (int64 i = 0; i < n; i++)
	{
		double		dist;

		if ((i % INTERRUPT_EVERY) == 0)
			CHECK_FOR_INTERRUPTS();
		labels[i] = nearest(points + i * d, centroids, k, d, &dist);
		distance[i] = dist;
		inertia += dist;
	}
	return inertia;
}

/*
 * One run of Lloyd's iterations from centroids (k x d, updated).  Returns
 * the inertia; labels[n] ends consistent with the centroids.
 */
static double
lloyd(const double *points, int64 n, int d, int k, int max_iter, double tol,
	  double *centroids, int32 *labels, LloydWork *work, int *iterations,
	  bool *converged)
{
	bool		strict = false;
	int			iter;

	*converged = false;
	for (iter = 0; iter < max_iter; iter++)
	{
		double		shift = 0.0;
		int			empty = 0;

		CHECK_FOR_INTERRUPTS();
		progress_done(iter + 1);
		assign_all(points, n, d, centroids, k, labels, work->distance);

		memset(work->sums, 0, sizeof(double) * k * d);
		memset(work->counts, 0, sizeof(int64) * k);
		for (int64 i = 0; i < n; i++)
		{
			double	   *sum = work->sums + (Size) labels[i] * d;
			const double *x = points + i * d;

			for (int j = 0; j < d; j++)
				sum[j] += x[j];
			work->counts[labels[i]]++;
		}

		for (int c = 0; c < k; c++)
			empty += (work->counts[c] == 0);
		if (empty > 0)
		{
			int			next = 0;

			farthest_points(work->distance, n, empty, work->far);
			for (int c = 0; c < k; c++)
			{
				int64		p;
				int			old;

				if (work->counts[c] != 0)
					continue;
				p = work->far[next++];
				old = labels[p];
				for (int j = 0; j < d; j++)
				{
					work->sums[(Size) old * d + j] -= points[p * d + j];
					work->sums[(Size) c * d + j] = points[p * d + j];
				}
				work->counts[old]--;
				work->counts[c] = 1;
				work->reseeded++;
			}
		}

		for (int c = 0; c < k; c++)
		{
			double	   *centroid = centroids + (Size) c * d;

			if (work->counts[c] == 0)
				continue;		/* emptied by a reseed: keep it */
			for (int j = 0; j < d; j++)
			{
				double		moved = work->sums[(Size) c * d + j] / (double) work->counts[c];
				double		diff = moved - centroid[j];

				shift += diff * diff;
				centroid[j] = moved;
			}
		}

		if (iter > 0 && memcmp(labels, work->labels_old, sizeof(int32) * n) == 0)
		{
			strict = true;
			*converged = true;
			break;
		}
		if (shift <= tol)
		{
			*converged = true;
			break;
		}
		memcpy(work->labels_old, labels, sizeof(int32) * n);
	}
	*iterations = Min(iter + 1, max_iter);

	/* labels for the final centroids, and the inertia */
	if (strict)
	{
		double		inertia = 0.0;

		for (int64 i = 0; i < n; i++)
			inertia += squared_distance(points + i * d, centroids + (Size) labels[i] * d, d);
		return inertia;
	}
	return assign_all(points, n, d, centroids, k, labels, work->distance);
}

/*
 * kmeans_fit: fit a model to points (n x d, row-major, original units,
 * finite).  On return points holds the scaled points in canonical order
 * and labels[i] (if not NULL) the cluster of points[i].  The model is
 * allocated in the current memory context.
 */
KmeansModel *
kmeans_fit(double *points, int64 n, int d, const KmeansOptions *options,
		   int32 *labels, MemoryBudget *budget)
{
	KmeansModel *model;
	int			k = options->k;
	int64		distinct;
	double		tol;
	double	   *centroids;
	int32	   *run_labels;
	LloydWork	work;
	int			n_init = options->init ? 1 : options->n_init;

	kmeans_check_options(options, d);
	Assert(n > 0);
	if (k > n)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("k (%d) is more than the number of points (" INT64_FORMAT ")", k, n)));

	distinct = kmeans_canonical_order(points, n, d, budget);
	if (k > distinct)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("k (%d) is more than the number of distinct points (" INT64_FORMAT ")",
						k, distinct),
				 errhint("Lower k: identical points always share a cluster.")));

	model = palloc0(sizeof(KmeansModel));
	model->k = k;
	model->d = d;
	model->scaling = options->scaling;
	model->n = n;
	model->n_init = n_init;
	model->seed = (uint64) options->seed;
	model->shift = palloc(sizeof(double) * d);
	model->scale = palloc(sizeof(double) * d);
	model->centroids = palloc(sizeof(double) * k * d);
	model->sizes = palloc0(sizeof(int64) * k);
	fit_scaling(model, points, n, budget);

	/* tol is relative to the mean variance of the (scaled) features */
	tol = 0.0;
	if (options->tol > 0)
	{
		for (int j = 0; j < d; j++)
		{
			double		mean = 0.0,
						ss = 0.0;

			for (int64 i = 0; i < n; i++)
				mean += points[i * d + j];
			mean /= (double) n;
			for (int64 i = 0; i < n; i++)
				ss += (points[i * d + j] - mean) * (points[i * d + j] - mean);
			tol += ss / (double) n;
		}
		tol = tol / d * options->tol;
	}

	budget_reserve_array(budget, n, sizeof(int32) * 3 + sizeof(double) * 4, "k-means work arrays");
	centroids = palloc(sizeof(double) * k * d);
	run_labels = palloc(sizeof(int32) * n);
	work.sums = palloc(sizeof(double) * k * d);
	work.counts = palloc(sizeof(int64) * k);
	work.labels_old = palloc(sizeof(int32) * n);
	work.distance = palloc(sizeof(double) * n);
	work.far = palloc(sizeof(int64) * k);
	work.reseeded = 0;

	model->inertia = get_float8_infinity();
	for (int r = 0; r < n_init; r++)
	{
		double		inertia;
		int			iterations;
		bool		converged;

		if (options->init)
		{
			for (int c = 0; c < k; c++)
			{
				for (int j = 0; j < d; j++)
				{
					double		v = options->init[(Size) c * d + j];

					if (options->scaling == KMEANS_SCALE_LOG && !(v > -1.0))
						ereport(ERROR,
								(errcode(ERRCODE_DATA_EXCEPTION),
								 errmsg("log scaling needs initial centroids above -1")));
				}
				kmeans_scale_point(model, options->init + (Size) c * d, centroids + (Size) c * d);
			}
		}
		else
			kmeans_seed(points, n, d, k, (uint64) options->seed, r, centroids, budget);

		progress_phase(psprintf("k = %d: Lloyd iterations, run %d of %d", k, r + 1, n_init),
					   "iterations", options->max_iter);
		inertia = lloyd(points, n, d, k, options->max_iter, tol, centroids, run_labels,
						&work, &iterations, &converged);
		if (inertia < model->inertia)
		{
			model->inertia = inertia;
			model->iterations = iterations;
			model->converged = converged;
			memcpy(model->centroids, centroids, sizeof(double) * k * d);
			if (labels)
				memcpy(labels, run_labels, sizeof(int32) * n);
			memset(model->sizes, 0, sizeof(int64) * k);
			for (int64 i = 0; i < n; i++)
				model->sizes[run_labels[i]]++;
		}
	}
	if (work.reseeded > 0)
		ereport(NOTICE,
				(errmsg("k-means reseeded an empty cluster %d times with the point farthest from its centroid",
						work.reseeded)));

	pfree(centroids);
	pfree(run_labels);
	pfree(work.sums);
	pfree(work.counts);
	pfree(work.labels_old);
	pfree(work.distance);
	pfree(work.far);
	budget_release(budget, (sizeof(int32) * 3 + sizeof(double) * 4) * n);
	return model;
}
