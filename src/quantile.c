/*-------------------------------------------------------------------------
 *
 * quantile.c
 *	  Tie-aware quantile scores: the window function
 *	  profile.quantile_score(value, bins [, descending]) and the boundaries
 *	  a stored RFM model keeps.
 *
 * ntile(5) splits tied values across scores: of two customers with three
 * orders each, one may get F = 2 and the other F = 3.  Here a value's score
 * depends on the value alone:
 *
 *	  score = 1 + floor(bins * below / n)
 *
 * where n counts the non-NULL values of the partition and below those
 * strictly worse than this one (smaller; larger when descending).  So:
 *	- equal values always share a score;
 *	- the worst value always scores 1, the best at most bins;
 *	- when one value fills several bins (60% of customers bought once), its
 *	  rows all take the lowest of those bins and the bins above it stay
 *	  empty: one-time buyers score F = 1, not 3.  (R's rfm package gives them
 *	  the highest of the bins instead; README: RFM explains the choice.)
 *
 * The same rule as value boundaries (for scoring new customers with a
 * stored model): with m_j = ceil(j * n / bins), j = 1 .. bins-1, the j-th
 * boundary is the m_j-th smallest value (largest when descending), and
 *
 *	  score(x) = 1 + #{ j : boundary_j < x }	(descending: > x)
 *
 * which gives every training value its window-function score back, and
 * places new values by the same cut points.  (below >= m_j if and only if
 * the m_j-th smallest value is < x.)
 *
 * IDENTIFICATION
 *	  src/quantile.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "fmgr.h"
#include "miscadmin.h"
#include "windowapi.h"

#include "profile.h"

/* Number of elements of sorted[n] that are < value */
static int64
count_below(const double *sorted, int64 n, double value)
{
	int64		lo = 0,
				hi = n;

	while (lo < hi)
	{
		int64		mid = lo + (hi - lo) / 2;

		if (sorted[mid] < value)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Number of elements of sorted[n] that are > value */
static int64
count_above(const double *sorted, int64 n, double value)
{
	int64		lo = 0,
				hi = n;

	while (lo < hi)
	{
		int64		mid = lo + (hi - lo) / 2;

		if (sorted[mid] <= value)
			lo = mid + 1;
		else
			hi = mid;
	}
	return n - lo;
}

static inline int32
score_from_rank(int64 worse, int64 n, int bins)
{
	/* worse < n and bins <= PROFILE_MAX_BINS: no overflow below 2^53 */
	return (int32) (1 + ((int64) bins * worse) / n);
}

static void
check_bins(int bins, int max)
{
	check_int_range(bins, 2, max, "bins");
}

/* A sorted copy of values[n] (finite, checked by the caller) */
static double *
sorted_copy(const double *values, int64 n, MemoryBudget *budget)
{
	double	   *sorted;

	budget_reserve_array(budget, n, sizeof(double), "sorting scores");
	sorted = palloc(sizeof(double) * n);
	memcpy(sorted, values, sizeof(double) * n);
	qsort(sorted, n, sizeof(double), compare_float8);
	return sorted;
}

/*
 * quantile_scores: scores[i] of values[i] (n > 0, all finite).
 */
void
quantile_scores(const double *values, int64 n, int bins, bool descending,
				int32 *scores, MemoryBudget *budget)
{
	double	   *sorted;

	check_bins(bins, PROFILE_MAX_BINS);
	Assert(n > 0);
	sorted = sorted_copy(values, n, budget);
	for (int64 i = 0; i < n; i++)
	{
		int64		worse = descending ? count_above(sorted, n, values[i])
			: count_below(sorted, n, values[i]);

		if ((i & 0xffff) == 0)
			CHECK_FOR_INTERRUPTS();
		scores[i] = score_from_rank(worse, n, bins);
	}
	pfree(sorted);
	budget_release(budget, sizeof(double) * n);
}

/*
 * quantile_boundaries: the bins - 1 boundaries of values[n] (n > 0).
 */
void
quantile_boundaries(const double *values, int64 n, int bins, bool descending,
					double *boundaries, MemoryBudget *budget)
{
	double	   *sorted;

	check_bins(bins, PROFILE_MAX_BINS);
	Assert(n > 0);
	sorted = sorted_copy(values, n, budget);
	for (int j = 1; j < bins; j++)
	{
		int64		m = ((int64) j * n + bins - 1) / bins;	/* ceil(j n / bins) */

		Assert(m >= 1 && m <= n);
		boundaries[j - 1] = descending ? sorted[n - m] : sorted[m - 1];
	}
	pfree(sorted);
	budget_release(budget, sizeof(double) * n);
}

/* quantile_score_of: the score of value under boundaries[bins - 1] */
int32
quantile_score_of(double value, const double *boundaries, int bins,
				  bool descending)
{
	int32		score = 1;

	for (int j = 0; j < bins - 1; j++)
		score += descending ? (boundaries[j] > value) : (boundaries[j] < value);
	return score;
}

/* ---- the window function ---- */

/* Per partition: the sorted non-NULL values, read at the first row */
typedef struct QuantilePartition
{
	bool		ready;
	int64		n;
	double		sorted[FLEXIBLE_ARRAY_MEMBER];
} QuantilePartition;

static void
read_partition(WindowObject winobj, QuantilePartition *part, int64 rows)
{
	for (int64 i = 0; i < rows; i++)
	{
		bool		isnull;
		bool		isout;
		Datum		value;

		if ((i & 0xffff) == 0)
			CHECK_FOR_INTERRUPTS();
		value = WinGetFuncArgInPartition(winobj, 0, i, WINDOW_SEEK_HEAD, false,
										 &isnull, &isout);
		if (isnull || isout)
			continue;
		check_finite(DatumGetFloat8(value), "value");
		part->sorted[part->n++] = DatumGetFloat8(value);
	}
	qsort(part->sorted, part->n, sizeof(double), compare_float8);
	part->ready = true;
}

/*
 * profile.quantile_score(value, bins, descending): NULL for a NULL value;
 * bins and descending must not be NULL; NaN and infinities are rejected.
 */
PG_FUNCTION_INFO_V1(profile_quantile_score);
Datum
profile_quantile_score(PG_FUNCTION_ARGS)
{
	WindowObject winobj = PG_WINDOW_OBJECT();
	QuantilePartition *part;
	int64		rows;
	bool		isnull;
	Datum		value;
	int32		bins;
	bool		descending;
	int64		worse;

	bins = DatumGetInt32(WinGetFuncArgCurrent(winobj, 1, &isnull));
	if (isnull)
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("parameter \"bins\" must not be NULL")));
	check_bins(bins, PROFILE_MAX_BINS);
	descending = DatumGetBool(WinGetFuncArgCurrent(winobj, 2, &isnull));
	if (isnull)
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("parameter \"descending\" must not be NULL")));

	rows = WinGetPartitionRowCount(winobj);
	{
		MemoryBudget budget;

		budget_init(&budget, "profile.quantile_score");
		budget_reserve_array(&budget, rows, sizeof(double), "the partition's values");
	}
	part = (QuantilePartition *)
		WinGetPartitionLocalMemory(winobj,
								   offsetof(QuantilePartition, sorted) + sizeof(double) * rows);
	if (!part->ready)
		read_partition(winobj, part, rows);

	value = WinGetFuncArgCurrent(winobj, 0, &isnull);
	if (isnull)
		PG_RETURN_NULL();
	worse = descending ? count_above(part->sorted, part->n, DatumGetFloat8(value))
		: count_below(part->sorted, part->n, DatumGetFloat8(value));
	PG_RETURN_INT32(score_from_rank(worse, part->n, bins));
}
