/*-------------------------------------------------------------------------
 *
 * points.c
 *	  Point buffers: the growing bytea state of aggregates that need every
 *	  row at the end (cluster quality metrics; a k-means aggregate).
 *
 * A buffer holds n rows of d doubles, row-major, and, when labelled, an
 * int32 label per row, plus up to POINTS_MAX_PARAMS int64 aggregate
 * parameters that every row of a group must repeat (a sample size, a
 * seed).  points.h says how an aggregate uses it.
 *
 * The state is a bytea (DESIGN.md: combinable and not internal, so that
 * parallel query and Citus can split the aggregate; Citus ships it as bytea
 * hex text, which round-trips exactly).  As in rfm_summary.c, the buffer is
 * the C struct PointsData: every field has a fixed width, and a state that
 * comes from outside (combine input, final function argument) is checked
 * in full by points_check() before anything reads it.  Like every bytea
 * state of this extension, its bytes are in the server's byte order.
 *
 * Growth: the transition function appends in place while there is room;
 * when there is none it returns a buffer of twice the capacity, allocated
 * in the per-call context, which the executor copies into the aggregate
 * context (freeing the old one), so that appending n rows costs O(n) in
 * all.  Before growing, it reserves the new buffer and the sorted working
 * copy points_sort() will need against profile.memory_budget, so a group
 * too large fails while its rows are read (54000); a buffer is also kept
 * below the 1 GB limit of a PostgreSQL value (54000).  XXX While it grows,
 * the old buffer and the executor's copy of the new one exist together for
 * a moment, which the budget does not count.
 *
 * Canonical order (points_sort): rows sorted by label, then by features
 * lexicographically.  Equal rows are interchangeable, so the sorted rows
 * are the same bytes whatever order the rows came in, and metrics
 * computed on them in a fixed order are the same doubles.  -0 is stored
 * as 0 so that equal rows are equal bytes.
 *
 * IDENTIFICATION
 *	  src/points.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "catalog/pg_type.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/memutils.h"

#include "points.h"
#include "profile.h"

#define POINTS_FORMAT			1
#define POINTS_FLAG_LABELLED	0x01
#define POINTS_INITIAL_CAPACITY	16

/*
 * The buffer.  data[] holds capacity x dim doubles (rows 0..count-1 in
 * use), followed, when labelled, by capacity int32 labels.
 */
struct PointsData
{
	int32		vl_len_;		/* varlena header */
	uint8		format;			/* POINTS_FORMAT */
	uint8		flags;			/* POINTS_FLAG_LABELLED */
	uint8		nparams;		/* params[] in use */
	uint8		unused;
	int32		dim;			/* doubles per row, >= 1 */
	int32		unused2;
	int64		count;			/* rows in use, >= 1 */
	int64		capacity;		/* rows there is room for, >= count */
	int64		params[POINTS_MAX_PARAMS];
	double		data[FLEXIBLE_ARRAY_MEMBER];
};

#define POINTS_HEADER_SIZE	offsetof(PointsData, data)

StaticAssertDecl(offsetof(PointsData, data) % MAXIMUM_ALIGNOF == 0,
				 "point rows must be aligned");

/* Bytes one row takes in the buffer */
static inline Size
row_bytes(int32 dim, bool labelled)
{
	return sizeof(double) * (Size) dim + (labelled ? sizeof(int32) : 0);
}

/*
 * Bytes one row takes in points_sort()'s working copy: the row, its label,
 * its place in the permutation, and at worst one label id and offset.
 */
static inline Size
work_row_bytes(int32 dim, bool labelled)
{
	return sizeof(double) * (Size) dim + sizeof(int32) +
		(labelled ? sizeof(int32) * 2 + sizeof(int64) : 0);
}

/* Most rows a buffer of this width can hold under the 1 GB value limit */
static inline int64
max_rows_varlena(int32 dim, bool labelled)
{
	return (int64) ((MaxAllocSize - POINTS_HEADER_SIZE) / row_bytes(dim, labelled));
}

/* Buffer size; capacity <= max_rows_varlena(), so this cannot overflow */
static inline Size
points_size(int64 capacity, int32 dim, bool labelled)
{
	return POINTS_HEADER_SIZE + (Size) capacity * row_bytes(dim, labelled);
}

static inline bool
is_labelled(const PointsData *points)
{
	return (points->flags & POINTS_FLAG_LABELLED) != 0;
}

static inline int32 *
labels_of(const PointsData *points)
{
	return (int32 *) ((char *) points->data +
					  sizeof(double) * (Size) points->capacity * points->dim);
}

void
points_bad_state(const PointsSpec *spec, const char *why)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
			 errmsg("invalid %s state: %s", spec->what, why),
			 errhint("States come from %s; do not build them by hand.",
					 spec->transfn)));
}

/*
 * Fail (54000) unless a buffer of capacity rows, and the working copy of
 * that many rows, fit: below the 1 GB value limit and within
 * profile.memory_budget.
 */
static void
points_reserve(const PointsSpec *spec, int64 capacity, int32 dim, bool labelled)
{
	MemoryBudget budget;

	if (capacity > max_rows_varlena(dim, labelled))
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("%s cannot hold more than " INT64_FORMAT " rows of %d features",
						spec->what, max_rows_varlena(dim, labelled), dim),
				 errdetail("The rows of one group are kept in one value, and a value is limited to 1 GB."),
				 errhint("Aggregate fewer rows per group, for example a sample of them.")));
	budget_init(&budget, spec->what);
	budget_reserve(&budget, points_size(capacity, dim, labelled), "the point buffer");
	budget_reserve_array(&budget, (Size) capacity, work_row_bytes(dim, labelled),
						 "its sorted copy");
}

/* Most rows the memory budget and the value limit allow */
static int64
points_max_rows(int32 dim, bool labelled)
{
	Size		limit = (Size) profile_memory_budget_kb * 1024;
	Size		per_row = row_bytes(dim, labelled) + work_row_bytes(dim, labelled);
	int64		rows;

	if (limit <= POINTS_HEADER_SIZE)
		return 0;
	rows = (int64) ((limit - POINTS_HEADER_SIZE) / per_row);
	return Min(rows, max_rows_varlena(dim, labelled));
}

/*
 * A new, empty buffer with room for capacity rows, in the current memory
 * context (the per-call context in a transition function: see above).
 */
static PointsData *
points_new(const PointsSpec *spec, int64 capacity, int32 dim, bool labelled,
		   int nparams, const int64 *params)
{
	PointsData *points;
	Size		size;

	points_reserve(spec, capacity, dim, labelled);
	size = points_size(capacity, dim, labelled);
	points = palloc0(size);
	SET_VARSIZE(points, size);
	points->format = POINTS_FORMAT;
	points->flags = labelled ? POINTS_FLAG_LABELLED : 0;
	points->nparams = (uint8) nparams;
	points->dim = dim;
	points->count = 0;
	points->capacity = capacity;
	for (int i = 0; i < nparams; i++)
		points->params[i] = params[i];
	return points;
}

/*
 * Make room for extra more rows: the same buffer when it has room, else a
 * new one (current context) of about twice the capacity, within the limits.
 */
static PointsData *
points_make_room(const PointsSpec *spec, PointsData *points, int64 extra)
{
	bool		labelled = is_labelled(points);
	int64		needed = points->count + extra;
	int64		want;
	int64		most;
	PointsData *bigger;

	if (needed <= points->capacity)
		return points;
	want = Max(needed, Max(points->capacity * 2, POINTS_INITIAL_CAPACITY));
	most = points_max_rows(points->dim, labelled);
	if (want > most)
		want = Max(most, needed);	/* needed > most fails in points_new */

	bigger = points_new(spec, want, points->dim, labelled, points->nparams,
						points->params);
	bigger->count = points->count;
	memcpy(bigger->data, points->data,
		   sizeof(double) * (Size) points->count * points->dim);
	if (labelled)
		memcpy(labels_of(bigger), labels_of(points), sizeof(int32) * (Size) points->count);
	return bigger;
}

/*
 * The O(1) checks a transition function makes on the state it is handed:
 * normally its own buffer, in the aggregate context, updated in place; they
 * keep a hand-made INITCOND of an aggregate built on the function from
 * making it write out of bounds.
 */
static PointsData *
points_own_state(const PointsSpec *spec, Datum datum)
{
	PointsData *points = (PointsData *) DatumGetPointer(datum);

	if (VARATT_IS_EXTENDED(points) ||
		((uintptr_t) points % MAXIMUM_ALIGNOF) != 0 ||
		VARSIZE(points) < POINTS_HEADER_SIZE ||
		points->format != POINTS_FORMAT ||
		points->flags != (spec->labelled ? POINTS_FLAG_LABELLED : 0) ||
		points->nparams != spec->nparams ||
		points->dim < 1 ||
		points->capacity < 1 ||
		points->capacity > max_rows_varlena(points->dim, spec->labelled) ||
		points->count < 0 || points->count > points->capacity ||
		VARSIZE(points) != points_size(points->capacity, points->dim, spec->labelled))
		points_bad_state(spec, "not made by this function");
	return points;
}

/* The parameters of a buffer must be the ones of this row (22023) */
static void
check_same_params(const PointsSpec *spec, const PointsData *points,
				  const int64 *params)
{
	for (int i = 0; i < spec->nparams; i++)
		if (points->params[i] != params[i])
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("%s must be the same for every row of a group",
							spec->param_names[i]),
					 errdetail("It is " INT64_FORMAT " in one row and " INT64_FORMAT " in another.",
							   points->params[i], params[i])));
}

/*
 * points_append_row: the transition step of an aggregate whose row is not
 * one float8[] argument (a few scalars, say): appends values[0..dim-1]
 * (and label, when the spec is labelled) to the state in argument 0 (NULL
 * for the first row).  The caller has checked the call context and its
 * parameters and skipped NULL rows.  Returns the state: the same buffer
 * updated in place, or a larger copy.
 */
Datum
points_append_row(FunctionCallInfo fcinfo, const PointsSpec *spec,
				  const double *values, int32 dim, int32 label,
				  const int64 *params)
{
	PointsData *points;
	double	   *row;

	if (PG_ARGISNULL(0))
	{
		/*
		 * The first row.  Allocated in the per-call context: the executor
		 * copies a by-reference state the transition function returns anew
		 * into the aggregate context (ExecAggTransReparent) and frees the
		 * one it replaces; later calls update that copy in place.
		 */
		int64		capacity = Min(POINTS_INITIAL_CAPACITY,
								   points_max_rows(dim, spec->labelled));

		/* a capacity of 0 here fails in points_new with the right message */
		points = points_new(spec, Max(capacity, 1), dim, spec->labelled,
							spec->nparams, params);
	}
	else
	{
		points = points_own_state(spec, PG_GETARG_DATUM(0));
		check_same_params(spec, points, params);
		if (dim != points->dim)
			ereport(ERROR,
					(errcode(ERRCODE_DATA_EXCEPTION),
					 errmsg("features has %d elements, but earlier rows have %d",
							dim, points->dim),
					 errhint("Every row of a group must have the same number of features.")));
		points = points_make_room(spec, points, 1);
	}

	/* check every value before the row counts */
	row = points->data + (Size) points->count * dim;
	for (int32 j = 0; j < dim; j++)
	{
		double		v = values[j];

		if (unlikely(!isfinite(v)))
		{
			char		what[32];

			snprintf(what, sizeof(what), "features[%d]", j + 1);
			check_finite(v, what);
		}
		row[j] = (v == 0.0) ? 0.0 : v;	/* -0 becomes 0: equal rows, equal bytes */
	}
	if (spec->labelled)
		labels_of(points)[points->count] = label;
	points->count++;

	Assert(points->count <= points->capacity);
	PG_RETURN_POINTER(points);
}

/*
 * points_transfn: the whole transition function of an aggregate over
 * (state bytea, features float8[] [, label integer] [, parameters]).
 * params holds the spec->nparams parameters of this row, checked by the
 * caller.  Returns the state: the same buffer updated in place, a larger
 * copy, or the state unchanged for a row with a NULL features or label.
 */
Datum
points_transfn(FunctionCallInfo fcinfo, const PointsSpec *spec, const int64 *params)
{
	const double *values;
	int32		dim;

	check_aggregate_call(fcinfo, spec->transfn);

	/* a row with a NULL features or label is skipped */
	if (PG_ARGISNULL(1) || (spec->labelled && PG_ARGISNULL(2)))
	{
		if (PG_ARGISNULL(0))
			PG_RETURN_NULL();
		PG_RETURN_DATUM(PG_GETARG_DATUM(0));
	}

	values = check_features(PG_GETARG_ARRAYTYPE_P(1), 0, &dim);
	return points_append_row(fcinfo, spec, values, dim,
							 spec->labelled ? PG_GETARG_INT32(2) : 0, params);
}

/*
 * points_check: a state from outside (a combine input, a final function
 * argument a user may pass by hand), detoasted, aligned and checked in full
 * (22P03 when it is not a valid buffer of this kind).  Returns the value
 * itself when it is usable as it is, else an aligned copy.  O(n d).
 */
PointsData *
points_check(Datum datum, const PointsSpec *spec)
{
	bytea	   *raw = DatumGetByteaP(datum);
	PointsData *points;
	Size		size = VARSIZE(raw);
	Size		nvalues;

	if (size < POINTS_HEADER_SIZE)
		points_bad_state(spec, "too short");
	if (((uintptr_t) raw % MAXIMUM_ALIGNOF) != 0)
	{
		points = palloc(size);
		memcpy(points, raw, size);
	}
	else
		points = (PointsData *) raw;

	if (points->format != POINTS_FORMAT)
		points_bad_state(spec, "unknown format");
	if (points->flags != (spec->labelled ? POINTS_FLAG_LABELLED : 0))
		points_bad_state(spec, "bad flags");
	if (points->nparams > POINTS_MAX_PARAMS)
		points_bad_state(spec, "bad parameter count");
	if (points->dim < 1)
		points_bad_state(spec, "bad number of features");
	if (points->count < 1 || points->capacity < points->count ||
		points->capacity > max_rows_varlena(points->dim, spec->labelled))
		points_bad_state(spec, "bad row count");
	if (size != points_size(points->capacity, points->dim, spec->labelled))
		points_bad_state(spec, "size does not match row count");
	nvalues = (Size) points->count * points->dim;
	for (Size i = 0; i < nvalues; i++)
		if (!isfinite(points->data[i]))
			points_bad_state(spec, "a feature is not finite");
	return points;
}

/*
 * points_combinefn: the whole combine function.  Both states must have
 * the same width (22000), labels or not, and parameters (22023); the rows
 * of the second are appended to the first (in place, or in a larger copy).
 */
Datum
points_combinefn(FunctionCallInfo fcinfo, const PointsSpec *spec)
{
	PointsData *points;
	PointsData *other;

	check_aggregate_call(fcinfo, spec->combinefn);
	if (PG_ARGISNULL(1))
	{
		if (PG_ARGISNULL(0))
			PG_RETURN_NULL();
		PG_RETURN_DATUM(PG_GETARG_DATUM(0));
	}
	if (PG_ARGISNULL(0))
	{
		/* the executor copies it into the aggregate context */
		PG_RETURN_POINTER(points_check(PG_GETARG_DATUM(1), spec));
	}

	points = points_check(PG_GETARG_DATUM(0), spec);
	other = points_check(PG_GETARG_DATUM(1), spec);
	if (points->dim != other->dim)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("features have %d elements in some rows and %d in others",
						points->dim, other->dim),
				 errhint("Every row of a group must have the same number of features.")));
	if (points->nparams != other->nparams)
		points_bad_state(spec, "cannot combine states of different aggregates");
	for (int i = 0; i < points->nparams; i++)
		if (points->params[i] != other->params[i])
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("aggregate parameters must be the same for every row of a group"),
					 errdetail("Parameter %d is " INT64_FORMAT " in one part of the group and " INT64_FORMAT " in another.",
							   i + 1, points->params[i], other->params[i])));

	points = points_make_room(spec, points, other->count);
	memcpy(points->data + (Size) points->count * points->dim, other->data,
		   sizeof(double) * (Size) other->count * other->dim);
	if (is_labelled(points))
		memcpy(labels_of(points) + points->count, labels_of(other),
			   sizeof(int32) * (Size) other->count);
	points->count += other->count;
	PG_RETURN_POINTER(points);
}

int64
points_count(const PointsData *points)
{
	return points->count;
}

int32
points_dim(const PointsData *points)
{
	return points->dim;
}

int
points_nparams(const PointsData *points)
{
	return points->nparams;
}

int64
points_param(const PointsData *points, int i)
{
	Assert(i >= 0 && i < points->nparams);
	return points->params[i];
}

/* qsort_arg context and comparator of the canonical order */
typedef struct SortContext
{
	const double *data;
	const int32 *labels;		/* NULL: unlabelled */
	int32		dim;
} SortContext;

static int
compare_rows(const void *a, const void *b, void *arg)
{
	const SortContext *cxt = (const SortContext *) arg;
	int32		i = *(const int32 *) a;
	int32		j = *(const int32 *) b;
	const double *x;
	const double *y;

	/* a sort of 10^8 rows takes seconds: stay cancellable (a flag test) */
	CHECK_FOR_INTERRUPTS();
	if (cxt->labels != NULL && cxt->labels[i] != cxt->labels[j])
		return cxt->labels[i] < cxt->labels[j] ? -1 : 1;
	x = cxt->data + (Size) i * cxt->dim;
	y = cxt->data + (Size) j * cxt->dim;
	for (int32 c = 0; c < cxt->dim; c++)
		if (x[c] != y[c])
			return x[c] < y[c] ? -1 : 1;
	return 0;
}

/*
 * Rows of 2 and 3 doubles (the CLV aggregates) sorted in place, with the
 * comparison inlined (lib/sort_template.h): several times faster than a
 * permutation sorted through a comparison function, whose every call
 * reads two rows far apart in memory.
 */
typedef struct PointsRow2
{
	double		v[2];
} PointsRow2;

typedef struct PointsRow3
{
	double		v[3];
} PointsRow3;

static inline int
compare_row2(const PointsRow2 *x, const PointsRow2 *y)
{
	CHECK_FOR_INTERRUPTS();
	if (x->v[0] != y->v[0])
		return x->v[0] < y->v[0] ? -1 : 1;
	if (x->v[1] != y->v[1])
		return x->v[1] < y->v[1] ? -1 : 1;
	return 0;
}

static inline int
compare_row3(const PointsRow3 *x, const PointsRow3 *y)
{
	CHECK_FOR_INTERRUPTS();
	if (x->v[0] != y->v[0])
		return x->v[0] < y->v[0] ? -1 : 1;
	if (x->v[1] != y->v[1])
		return x->v[1] < y->v[1] ? -1 : 1;
	if (x->v[2] != y->v[2])
		return x->v[2] < y->v[2] ? -1 : 1;
	return 0;
}

#define ST_SORT sort_rows2
#define ST_ELEMENT_TYPE PointsRow2
#define ST_COMPARE(a, b) compare_row2(a, b)
#define ST_SCOPE static
#define ST_DEFINE
#include "lib/sort_template.h"

#define ST_SORT sort_rows3
#define ST_ELEMENT_TYPE PointsRow3
#define ST_COMPARE(a, b) compare_row3(a, b)
#define ST_SCOPE static
#define ST_DEFINE
#include "lib/sort_template.h"

/* qsort_arg comparator of rows of any width, in place (context: the width) */
static int
compare_row_values(const void *a, const void *b, void *arg)
{
	int32		dim = *(const int32 *) arg;
	const double *x = (const double *) a;
	const double *y = (const double *) b;

	CHECK_FOR_INTERRUPTS();
	for (int32 c = 0; c < dim; c++)
		if (x[c] != y[c])
			return x[c] < y[c] ? -1 : 1;
	return 0;
}

/*
 * points_sort_rows: n rows of dim doubles (no NaN), in place, in the
 * canonical order: lexicographically.  Cancellable.
 */
void
points_sort_rows(double *rows, int64 n, int32 dim)
{
	if (dim == 2)
		sort_rows2((PointsRow2 *) rows, (size_t) n);
	else if (dim == 3)
		sort_rows3((PointsRow3 *) rows, (size_t) n);
	else
		qsort_arg(rows, (size_t) n, sizeof(double) * dim, compare_row_values, &dim);
}

/*
 * points_sort: the rows of a checked buffer in the canonical order (by
 * label, then features), labels mapped to 0..k-1 in ascending order of the
 * original labels.  Reserves the buffer it reads and everything it
 * allocates against budget; the result is in the current memory context.
 * O(n log n) comparisons.
 */
PointsSorted *
points_sort(const PointsData *points, MemoryBudget *budget)
{
	bool		labelled = is_labelled(points);
	int64		n = points->count;
	int32		dim = points->dim;
	PointsSorted *sorted;
	SortContext cxt;
	int32	   *order;

	/* n < 2^31: a buffer holds at most 1 GB of rows of 8 bytes or more */
	Assert(n <= PG_INT32_MAX);
	budget_reserve(budget, VARSIZE(points), "the point buffer");
	budget_reserve_array(budget, (Size) n, work_row_bytes(dim, labelled), "its sorted copy");

	if (!labelled && (dim == 2 || dim == 3))
	{
		/* the rows themselves, sorted in place */
		sorted = palloc0(sizeof(PointsSorted));
		sorted->n = n;
		sorted->dim = dim;
		sorted->rows = palloc(sizeof(double) * (Size) n * dim);
		memcpy(sorted->rows, points->data, sizeof(double) * (Size) n * dim);
		points_sort_rows(sorted->rows, n, dim);
		return sorted;
	}

	order = palloc(sizeof(int32) * (Size) n);
	for (int64 i = 0; i < n; i++)
		order[i] = (int32) i;
	cxt.data = points->data;
	cxt.labels = labelled ? labels_of(points) : NULL;
	cxt.dim = dim;
	qsort_arg(order, (size_t) n, sizeof(int32), compare_rows, &cxt);

	sorted = palloc0(sizeof(PointsSorted));
	sorted->n = n;
	sorted->dim = dim;
	sorted->rows = palloc(sizeof(double) * (Size) n * dim);
	for (int64 i = 0; i < n; i++)
		memcpy(sorted->rows + (Size) i * dim, points->data + (Size) order[i] * dim,
			   sizeof(double) * dim);

	if (labelled)
	{
		const int32 *labels = labels_of(points);
		int32		k = 0;

		sorted->labels = palloc(sizeof(int32) * (Size) n);
		for (int64 i = 0; i < n; i++)
			if (i == 0 || labels[order[i]] != labels[order[i - 1]])
				k++;
		sorted->k = k;
		sorted->label_ids = palloc(sizeof(int32) * (Size) k);
		sorted->starts = palloc(sizeof(int64) * ((Size) k + 1));
		k = -1;
		for (int64 i = 0; i < n; i++)
		{
			if (i == 0 || labels[order[i]] != labels[order[i - 1]])
			{
				k++;
				sorted->label_ids[k] = labels[order[i]];
				sorted->starts[k] = i;
			}
			sorted->labels[i] = k;
		}
		sorted->starts[sorted->k] = n;
	}
	pfree(order);
	return sorted;
}
