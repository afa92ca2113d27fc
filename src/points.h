/*-------------------------------------------------------------------------
 *
 * points.h
 *	  Point buffers (an aggregate state holding rows of features) and the
 *	  cluster quality metrics computed on them.
 *
 * A point buffer is a bytea: n rows of d doubles, row-major, plus an int32
 * label per row when the buffer is "labelled" (cluster metrics; a k-means
 * aggregate keeps rows without labels).  It is the state of aggregates
 * that need every row at the end (DESIGN.md: combinable, not internal, so
 * parallel query and Citus can split it; its text form is bytea hex).
 *
 * Using it in an aggregate over (features float8[] [, label integer]
 * [, parameters ...]), as src/metrics.c does:
 *
 *	transition	points_transfn(fcinfo, &spec, params): skips a row with a
 *				NULL features or label; checks the row (1-D array else
 *				2202E; NULL element, NaN or Infinity 22000; a length other
 *				than the earlier rows' 22000) and that the parameters are the
 *				same as the earlier rows' (22023); appends in place or
 *				returns a larger buffer.  The caller checks its parameters
 *				for NULL and range first.
 *				An aggregate whose row is a few scalars calls
 *				points_append_row(fcinfo, &spec, values, dim, label, params)
 *				instead, after its own NULL and parameter checks.
 *	combine		points_combinefn(fcinfo, &spec): same width and parameters
 *				(22000/22023), else appends the second into the first.
 *	final		points_check(datum, &spec) validates a state that may come
 *				from outside (22P03), then points_sort() gives the rows in
 *				the canonical order.
 *
 * The canonical order sorts rows by label, then by features
 * lexicographically; identical rows are interchangeable, so whatever the
 * order the rows came in (serial, parallel workers, partitions, Citus
 * nodes), the sorted rows are the same bytes, and whatever is computed from
 * them in a fixed order is the same double.
 *
 * Size: the buffer, plus the sorted working copy the final function makes,
 * must fit in profile.memory_budget (54000 with both numbers otherwise),
 * and the buffer itself below the 1 GB limit of a PostgreSQL value (54000).
 * The transition function reserves for both as the buffer grows, so an
 * aggregate fails while reading rows rather than at the end.
 *
 * Cross-file declarations of points.c and metrics.c; every other module's
 * are in profile.h.
 *
 * IDENTIFICATION
 *	  src/points.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef PROFILE_POINTS_H
#define PROFILE_POINTS_H

#include "fmgr.h"

#include "profile.h"

/* ---- point buffers (points.c) ---- */

#define POINTS_MAX_PARAMS	4	/* int64 aggregate parameters kept in a buffer */

/*
 * What an aggregate built on point buffers is: names for messages, whether
 * rows carry a label (argument 2, integer), and the names of the int64
 * parameters that must be the same for every row of a group.  A buffer
 * records its parameter count; final functions of aggregates that share a
 * transition function may accept several counts (see metrics.c).
 */
typedef struct PointsSpec
{
	const char *what;			/* "profile.silhouette": memory budget and
								 * state messages */
	const char *transfn;		/* SQL names of the support functions */
	const char *combinefn;
	bool		labelled;		/* argument 2 is an integer label */
	int			nparams;		/* 0..POINTS_MAX_PARAMS */
	const char *const *param_names; /* nparams names, for messages */
} PointsSpec;

/* The buffer; opaque outside points.c (its layout is in points.c) */
typedef struct PointsData PointsData;

/*
 * The rows of a buffer in the canonical order (points_sort), in plain
 * arrays allocated in the caller's memory context.
 */
typedef struct PointsSorted
{
	int64		n;				/* rows */
	int32		dim;			/* doubles per row */
	double	   *rows;			/* n x dim, row-major */
	int32	   *labels;			/* labelled: 0..k-1 per row, else NULL */
	int32		k;				/* labelled: distinct labels, else 0 */
	int32	   *label_ids;		/* labelled: the k original labels, ascending */
	int64	   *starts;			/* labelled: k + 1 offsets; rows of label c are
								 * starts[c] .. starts[c+1]-1 */
} PointsSorted;

extern Datum points_transfn(FunctionCallInfo fcinfo, const PointsSpec *spec,
							const int64 *params);
extern Datum points_append_row(FunctionCallInfo fcinfo, const PointsSpec *spec,
							   const double *values, int32 dim, int32 label,
							   const int64 *params);
extern Datum points_combinefn(FunctionCallInfo fcinfo, const PointsSpec *spec);
extern PointsData *points_check(Datum datum, const PointsSpec *spec);
extern void points_bad_state(const PointsSpec *spec, const char *why) pg_attribute_noreturn();

extern int64 points_count(const PointsData *points);
extern int32 points_dim(const PointsData *points);
extern int	points_nparams(const PointsData *points);
extern int64 points_param(const PointsData *points, int i);

extern PointsSorted *points_sort(const PointsData *points, MemoryBudget *budget);
extern void points_sort_rows(double *rows, int64 n, int32 dim);

/* ---- cluster quality metrics (metrics.c) ---- */

/*
 * On plain arrays: x is n x dim, row-major, labels are 0..k-1 and every
 * label occurs.  Each returns false, leaving *result alone, where the
 * metric is undefined (fewer than 2 clusters, or k >= n: scikit-learn
 * raises there, we give SQL NULL).  Definitions and scikit-learn's edge
 * cases are in metrics.c.  A *result that is not finite (NaN or
 * Infinity) means squared distances overflowed.  Scratch memory is
 * reserved against budget and allocated in the current context.  The
 * result depends on the order of the rows only through floating-point
 * rounding; points_sort() fixes the order.
 */

/* Up to this many rows the silhouette is exact by default; above, sampled */
#define METRICS_SILHOUETTE_EXACT_MAX	10000
#define METRICS_SILHOUETTE_DEFAULT_SEED	0

extern bool metrics_silhouette(const double *x, const int32 *labels, int64 n,
							   int32 dim, int32 k, MemoryBudget *budget,
							   double *result);
extern bool metrics_silhouette_sampled(const double *x, const int32 *labels,
									   int64 n, int32 dim, int32 k,
									   int64 sample_size, int64 seed,
									   MemoryBudget *budget, double *result);
extern bool metrics_davies_bouldin(const double *x, const int32 *labels, int64 n,
								   int32 dim, int32 k, MemoryBudget *budget,
								   double *result);
extern bool metrics_calinski_harabasz(const double *x, const int32 *labels, int64 n,
									  int32 dim, int32 k, MemoryBudget *budget,
									  double *result);

#endif							/* PROFILE_POINTS_H */
