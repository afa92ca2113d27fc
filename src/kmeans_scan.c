/*-------------------------------------------------------------------------
 *
 * kmeans_scan.c
 *	  The scan path of k-means: every pass over the data is one combinable
 *	  aggregate, so data larger than the memory budget (or spread over the
 *	  nodes of a distributed PostgreSQL) can be clustered.
 *
 *	- profile.kmeans_scaling_stats(features, log): one pass of per-feature
 *	  count, mean, M2 (Chan et al.'s pairwise update), min and max, of
 *	  log1p(x) when log;
 *	- profile.kmeans_step(features, model): one Lloyd pass against the
 *	  centroids of a model value: per cluster the count and the sums of the
 *	  scaled points, the inertia, and the k points farthest from their
 *	  centroids (to reseed empty clusters);
 *	- profile.kmeans_fit_scan(name, query, k, ...): the driver.  A first
 *	  pass over the inner query computes the scaling and keeps a sample
 *	  (the sample_size rows of smallest hash: the same rows whatever their
 *	  order); k-means++ on the sample gives the initial centroids (or init
 *	  does); then one kmeans_step query per iteration, each free to run in
 *	  parallel, until the centroids stop moving (tol as in kmeans.c) or
 *	  max_iter.  From the same initial centroids it follows the same path as
 *	  the in-memory kmeans_fit, up to the order of floating-point sums.
 *
 * Both states are double precision[] (Citus ships them as text).  Robust
 * scaling needs medians, which no combinable pass gives exactly: it is
 * refused here (0A000).
 *
 * IDENTIFICATION
 *	  src/kmeans_scan.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "common/hashfn.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/float.h"
#include "utils/json.h"
#include "utils/memutils.h"

#include "profile.h"

/* The inner query's columns, as profile.kmeans_fit has them */
static const InnerColumn scan_columns[2] = {
	{"id", INNER_KEY, false},
	{"features", INNER_FLOAT8_ARRAY, false},
};

/* ---- double precision[] states ---- */

static ArrayType *
new_state(int length)
{
	return flat_array_create(FLOAT8OID, sizeof(double), length);
}

static double *
state_values(ArrayType *array)
{
	return (double *) flat_array_data(array);
}

/* A state handed in from outside: one dimension, no NULLs, given length */
static ArrayType *
check_state(Datum datum, int min_length, const char *what)
{
	ArrayType  *array = DatumGetArrayTypeP(datum);

	if (ARR_NDIM(array) != 1 || ARR_HASNULL(array) || ARR_ELEMTYPE(array) != FLOAT8OID ||
		ARR_DIMS(array)[0] < min_length)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("invalid %s state", what)));
	return array;
}

/* The elements of a feature vector, checked, d of them if d > 0 */
static const double *
row_values(ArrayType *array, int d, int *length)
{
	const double *values = check_features(array, d, length);

	for (int j = 0; j < *length; j++)
		if (unlikely(!isfinite(values[j])))
			check_finite(values[j], "every feature");
	return values;
}

/* ---- kmeans_scaling_stats: [d, n, mean(d), m2(d), min(d), max(d)] ---- */

#define STATS_LENGTH(d)		(2 + 4 * (d))

PG_FUNCTION_INFO_V1(profile_kmeans_scaling_stats_transfn);
Datum
profile_kmeans_scaling_stats_transfn(PG_FUNCTION_ARGS)
{
	ArrayType  *state;
	double	   *s;
	const double *x;
	int			d;
	double		n;
	bool		use_log;

	check_aggregate_call(fcinfo, "profile.kmeans_scaling_stats_transfn");
	check_arg_not_null(fcinfo, 2, "log");
	use_log = PG_GETARG_BOOL(2);
	if (PG_ARGISNULL(1))
	{
		if (PG_ARGISNULL(0))
			PG_RETURN_NULL();
		PG_RETURN_DATUM(PG_GETARG_DATUM(0));
	}
	if (PG_ARGISNULL(0))
	{
		x = row_values(PG_GETARG_ARRAYTYPE_P(1), 0, &d);
		check_int_range(d, 1, PROFILE_MAX_DIMENSIONS, "the number of features");
		state = new_state(STATS_LENGTH(d));	/* copied by the executor */
		s = state_values(state);
		s[0] = d;
		for (int j = 0; j < d; j++)
		{
			s[2 + 2 * d + j] = get_float8_infinity();
			s[2 + 3 * d + j] = -get_float8_infinity();
		}
	}
	else
	{
		state = check_state(PG_GETARG_DATUM(0), 2, "kmeans_scaling_stats");
		s = state_values(state);
		d = (int) s[0];
		if (d < 1 || d > PROFILE_MAX_DIMENSIONS || ARR_DIMS(state)[0] != STATS_LENGTH(d))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
					 errmsg("invalid kmeans_scaling_stats state")));
		x = row_values(PG_GETARG_ARRAYTYPE_P(1), d, &d);
	}
	n = s[1] + 1;
	s[1] = n;
	for (int j = 0; j < d; j++)
	{
		double		v = x[j];
		double		delta;

		if (use_log)
		{
			if (!(v > -1.0))
				ereport(ERROR,
						(errcode(ERRCODE_DATA_EXCEPTION),
						 errmsg("log scaling needs every value above -1, but feature %d has %g",
								j + 1, v)));
			v = log1p(v);
		}
		delta = v - s[2 + j];
		s[2 + j] += delta / n;
		s[2 + d + j] += delta * (v - s[2 + j]);
		s[2 + 2 * d + j] = Min(s[2 + 2 * d + j], v);
		s[2 + 3 * d + j] = Max(s[2 + 3 * d + j], v);
	}
	PG_RETURN_ARRAYTYPE_P(state);
}

PG_FUNCTION_INFO_V1(profile_kmeans_scaling_stats_combinefn);
Datum
profile_kmeans_scaling_stats_combinefn(PG_FUNCTION_ARGS)
{
	ArrayType  *a;
	ArrayType  *b;
	double	   *s;
	double	   *t;
	int			d;
	double		n;

	check_aggregate_call(fcinfo, "profile.kmeans_scaling_stats_combinefn");
	if (PG_ARGISNULL(1))
	{
		if (PG_ARGISNULL(0))
			PG_RETURN_NULL();
		PG_RETURN_DATUM(PG_GETARG_DATUM(0));
	}
	b = check_state(PG_GETARG_DATUM(1), 2, "kmeans_scaling_stats");
	t = state_values(b);
	d = (int) t[0];
	if (d < 1 || d > PROFILE_MAX_DIMENSIONS || ARR_DIMS(b)[0] != STATS_LENGTH(d))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("invalid kmeans_scaling_stats state")));
	if (PG_ARGISNULL(0))
		PG_RETURN_ARRAYTYPE_P(b);	/* copied by the executor */
	a = check_state(PG_GETARG_DATUM(0), 2, "kmeans_scaling_stats");
	s = state_values(a);
	if ((int) s[0] != d || ARR_DIMS(a)[0] != STATS_LENGTH(d))
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("features have %d elements in one part and %d in another", (int) s[0], d)));
	n = s[1] + t[1];
	for (int j = 0; j < d; j++)
	{
		double		delta = t[2 + j] - s[2 + j];

		s[2 + d + j] += t[2 + d + j] + delta * delta * s[1] * t[1] / n;
		s[2 + j] += delta * t[1] / n;
		s[2 + 2 * d + j] = Min(s[2 + 2 * d + j], t[2 + 2 * d + j]);
		s[2 + 3 * d + j] = Max(s[2 + 3 * d + j], t[2 + 3 * d + j]);
	}
	s[1] = n;
	PG_RETURN_ARRAYTYPE_P(a);
}

/* ---- kmeans_step: [k, d, n, inertia, counts(k), sums(k d), far(k), far points(k d)] ---- */

#define STEP_LENGTH(k, d)	(4 + (k) + (k) * (d) + (k) + (k) * (d))
#define STEP_COUNTS(s)		((s) + 4)
#define STEP_SUMS(s, k)		((s) + 4 + (k))
#define STEP_FAR(s, k, d)	((s) + 4 + (k) + (k) * (d))
#define STEP_FARPTS(s, k, d) ((s) + 4 + 2 * (k) + (k) * (d))

/* Keep the k farthest points, farthest first (ties: the earlier kept) */
static void
keep_far(double *far, double *farpts, int k, int d, double dist, const double *x)
{
	int			pos = k;

	if (!(dist > far[k - 1]))
		return;
	while (pos > 0 && dist > far[pos - 1])
		pos--;
	memmove(far + pos + 1, far + pos, sizeof(double) * (k - pos - 1));
	memmove(farpts + (Size) (pos + 1) * d, farpts + (Size) pos * d, sizeof(double) * (k - pos - 1) * d);
	far[pos] = dist;
	memcpy(farpts + (Size) pos * d, x, sizeof(double) * d);
}

PG_FUNCTION_INFO_V1(profile_kmeans_step_transfn);
Datum
profile_kmeans_step_transfn(PG_FUNCTION_ARGS)
{
	ArrayType  *state;
	double	   *s;
	KmeansModel *model;
	double	   *scratch;
	const double *x;
	const double *scaled;
	int			k,
				d,
				length;
	double		dist;
	int			c;

	check_aggregate_call(fcinfo, "profile.kmeans_step_transfn");
	check_arg_not_null(fcinfo, 2, "model");
	model = kmeans_model_from_arg(fcinfo, 2, &scratch);
	k = model->k;
	d = model->d;
	if (PG_ARGISNULL(1))
	{
		if (PG_ARGISNULL(0))
			PG_RETURN_NULL();
		PG_RETURN_DATUM(PG_GETARG_DATUM(0));
	}
	if (PG_ARGISNULL(0))
	{
		state = new_state(STEP_LENGTH(k, d));	/* copied by the executor */
		s = state_values(state);
		s[0] = k;
		s[1] = d;
		for (int c2 = 0; c2 < k; c2++)
			STEP_FAR(s, k, d)[c2] = -1.0;
	}
	else
	{
		state = (ArrayType *) PG_GETARG_POINTER(0);
		if (VARATT_IS_EXTENDED(state) || ARR_NDIM(state) != 1 || ARR_HASNULL(state) ||
			ARR_DIMS(state)[0] != STEP_LENGTH(k, d))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
					 errmsg("invalid kmeans_step state")));
		s = state_values(state);
		if ((int) s[0] != k || (int) s[1] != d)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("the model must be the same for every row of a kmeans_step")));
	}
	x = row_values(PG_GETARG_ARRAYTYPE_P(1), d, &length);
	if (model->scaling == KMEANS_SCALE_LOG)
		for (int j = 0; j < d; j++)
			if (!(x[j] > -1.0))
				ereport(ERROR,
						(errcode(ERRCODE_DATA_EXCEPTION),
						 errmsg("log scaling needs every value above -1, but feature %d has %g",
								j + 1, x[j])));
	if (model->scaling == KMEANS_SCALE_NONE)
		scaled = x;				/* nothing to compute */
	else
	{
		kmeans_scale_point(model, x, scratch);
		scaled = scratch;
	}
	c = kmeans_nearest(model, scaled, &dist);
	s[2] += 1;
	s[3] += dist;
	STEP_COUNTS(s)[c] += 1;
	for (int j = 0; j < d; j++)
		STEP_SUMS(s, k)[(Size) c * d + j] += scaled[j];
	keep_far(STEP_FAR(s, k, d), STEP_FARPTS(s, k, d), k, d, dist, scaled);
	PG_RETURN_ARRAYTYPE_P(state);
}

PG_FUNCTION_INFO_V1(profile_kmeans_step_combinefn);
Datum
profile_kmeans_step_combinefn(PG_FUNCTION_ARGS)
{
	ArrayType  *a;
	ArrayType  *b;
	double	   *s;
	double	   *t;
	int			k,
				d;

	check_aggregate_call(fcinfo, "profile.kmeans_step_combinefn");
	if (PG_ARGISNULL(1))
	{
		if (PG_ARGISNULL(0))
			PG_RETURN_NULL();
		PG_RETURN_DATUM(PG_GETARG_DATUM(0));
	}
	b = check_state(PG_GETARG_DATUM(1), 4, "kmeans_step");
	t = state_values(b);
	k = (int) t[0];
	d = (int) t[1];
	if (k < 1 || k > PROFILE_MAX_CLUSTERS || d < 1 || d > PROFILE_MAX_DIMENSIONS ||
		ARR_DIMS(b)[0] != STEP_LENGTH(k, d))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("invalid kmeans_step state")));
	if (PG_ARGISNULL(0))
		PG_RETURN_ARRAYTYPE_P(b);	/* copied by the executor */
	a = check_state(PG_GETARG_DATUM(0), 4, "kmeans_step");
	s = state_values(a);
	if ((int) s[0] != k || (int) s[1] != d || ARR_DIMS(a)[0] != STEP_LENGTH(k, d))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("cannot combine kmeans_step states of different models")));
	s[2] += t[2];
	s[3] += t[3];
	for (int c = 0; c < k; c++)
		STEP_COUNTS(s)[c] += STEP_COUNTS(t)[c];
	for (int i = 0; i < k * d; i++)
		STEP_SUMS(s, k)[i] += STEP_SUMS(t, k)[i];
	for (int c = 0; c < k; c++)
		if (STEP_FAR(t, k, d)[c] >= 0)
			keep_far(STEP_FAR(s, k, d), STEP_FARPTS(s, k, d), k, d,
					 STEP_FAR(t, k, d)[c], STEP_FARPTS(t, k, d) + (Size) c * d);
	PG_RETURN_ARRAYTYPE_P(a);
}

/* ---- the driver ---- */

/* Run "SELECT agg(q.f[, $1]) FROM (\n<sql>\n) AS q(id, f)" and copy the array */
static ArrayType *
run_pass(const char *aggcall, const char *sql, bytea *model, bool use_log)
{
	StringInfoData query;
	Oid			argtypes[1];
	Datum		args[1];
	bool		isnull;
	Datum		result;
	ArrayType  *copy = NULL;
	MemoryContext cxt = CurrentMemoryContext;

	initStringInfo(&query);
	appendStringInfo(&query, "SELECT %s FROM (\n%s\n) AS q(id, f)", aggcall, sql);
	if (model)
	{
		argtypes[0] = BYTEAOID;
		args[0] = PointerGetDatum(model);
	}
	else
	{
		argtypes[0] = BOOLOID;
		args[0] = BoolGetDatum(use_log);
	}
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	if (SPI_execute_with_args(query.data, 1, argtypes, args, NULL, true, 1) != SPI_OK_SELECT)
		elog(ERROR, "k-means pass failed");
	result = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
	if (!isnull)
	{
		MemoryContext spicxt = MemoryContextSwitchTo(cxt);

		copy = DatumGetArrayTypePCopy(result);
		MemoryContextSwitchTo(spicxt);
	}
	SPI_finish();
	MemoryContextSwitchTo(cxt);
	return copy;
}

/* A row's hash, for the order-independent sample */
static uint64
row_hash(const double *x, int d)
{
	double		buf[PROFILE_MAX_DIMENSIONS];

	for (int j = 0; j < d; j++)
		buf[j] = x[j] + 0.0;	/* -0.0 hashes as 0.0 */
	return DatumGetUInt64(hash_any_extended((const unsigned char *) buf, sizeof(double) * d, 0));
}

typedef struct SampleRow
{
	uint64		hash;
	int64		index;			/* row slot in the sample matrix */
} SampleRow;

/* max-heap on hash: the root is the largest hash kept */
static void
sift_down(SampleRow *heap, int64 size, int64 i)
{
	for (;;)
	{
		int64		l = 2 * i + 1,
					r = l + 1,
					m = i;

		if (l < size && heap[l].hash > heap[m].hash)
			m = l;
		if (r < size && heap[r].hash > heap[m].hash)
			m = r;
		if (m == i)
			return;
		{
			SampleRow	tmp = heap[i];

			heap[i] = heap[m];
			heap[m] = tmp;
		}
		i = m;
	}
}

static void
sift_up(SampleRow *heap, int64 i)
{
	while (i > 0)
	{
		int64		p = (i - 1) / 2;

		if (heap[p].hash >= heap[i].hash)
			return;
		{
			SampleRow	tmp = heap[i];

			heap[i] = heap[p];
			heap[p] = tmp;
		}
		i = p;
	}
}

/*
 * The sample pass: the rows with the sample_size smallest hashes (the same
 * rows whatever the order), in original units.
 */
static double *
sample_pass(const char *sql, int64 sample_size, int64 *n_sample, int *d_out,
			MemoryBudget *budget)
{
	InnerQuery *query = inner_query_open("profile.kmeans_fit_scan", sql, scan_columns, 2);
	const InnerBatch *batch;
	SampleRow  *heap;
	double	   *rows;
	int64		size = 0;
	int			d = 0;

	budget_reserve_array(budget, sample_size, sizeof(SampleRow), "the sample");
	heap = palloc(sizeof(SampleRow) * sample_size);
	rows = NULL;
	while ((batch = inner_query_fetch(query)) != NULL)
	{
		for (int r = 0; r < batch->nrows; r++)
		{
			const double *x;
			int			length;
			uint64		hash;

			if (batch->nulls[1][r])
				continue;
			x = row_values(DatumGetArrayTypeP(batch->values[1][r]), d, &length);
			if (d == 0)
			{
				check_int_range(length, 1, PROFILE_MAX_DIMENSIONS, "the number of features");
				d = length;
				budget_reserve(budget, budget_mul(budget_mul(sample_size, d, "k-means"),
												  sizeof(double), "k-means"), "the sample");
				rows = MemoryContextAllocHuge(CurrentMemoryContext, sizeof(double) * sample_size * d);
			}
			hash = row_hash(x, d);
			if (size < sample_size)
			{
				heap[size].hash = hash;
				heap[size].index = size;
				memcpy(rows + size * d, x, sizeof(double) * d);
				sift_up(heap, size);
				size++;
			}
			else if (hash < heap[0].hash)
			{
				memcpy(rows + heap[0].index * d, x, sizeof(double) * d);
				heap[0].hash = hash;
				sift_down(heap, size, 0);
			}
		}
	}
	inner_query_close(query);
	pfree(heap);
	*n_sample = size;
	*d_out = d;
	return rows;
}

/*
 * profile.kmeans_fit_scan(name, query, k, scaling, max_iter, tol, seed,
 * init, sample_size): the scan path; stores a model like kmeans_fit.
 */
PG_FUNCTION_INFO_V1(profile_kmeans_fit_scan);
Datum
profile_kmeans_fit_scan(PG_FUNCTION_ARGS)
{
	const char *const argnames[] = {"name", "query", "k", "scaling", "max_iter", "tol", "seed",
	"init", "sample_size"};
	KmeansOptions options;
	MemoryBudget budget;
	char	   *name;
	char	   *sql;
	int64		sample_size;
	double	   *sample;
	int64		n_sample;
	int			d;
	KmeansModel *model;
	ArrayType  *stats;
	double	   *st;
	double		tol = 0.0;
	int			k;
	TupleDesc	tupdesc;
	Datum		values[8];
	bool		nulls[8] = {false};
	int			reseeded = 0;
	double	   *old;

	for (int i = 0; i < (int) lengthof(argnames); i++)
		if (i != 7)
			check_arg_not_null(fcinfo, i, argnames[i]);
	name = text_to_cstring(PG_GETARG_TEXT_PP(0));
	model_check_name(name);
	sql = text_to_cstring(PG_GETARG_TEXT_PP(1));
	inner_query_check("profile.kmeans_fit_scan", sql);
	/* its columns, checked as every inner query's are (42804), before use */
	inner_query_close(inner_query_open("profile.kmeans_fit_scan", sql, scan_columns,
									   lengthof(scan_columns)));
	memset(&options, 0, sizeof(options));
	options.k = k = PG_GETARG_INT32(2);
	options.scaling = kmeans_scaling_from_name(text_to_cstring(PG_GETARG_TEXT_PP(3)));
	options.n_init = 1;
	options.max_iter = PG_GETARG_INT32(4);
	options.tol = PG_GETARG_FLOAT8(5);
	options.seed = PG_GETARG_INT64(6);
	sample_size = PG_GETARG_INT32(8);
	kmeans_check_options(&options, 1);
	check_int_range(sample_size, 1, 10000000, "sample_size");
	if (options.scaling == KMEANS_SCALE_ROBUST)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("robust scaling is not available on the scan path"),
				 errdetail("Medians and quartiles need every value at once, which a combinable pass cannot give exactly."),
				 errhint("Use profile.kmeans_fit, or scaling zscore, log, minmax or none.")));
	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");
	tupdesc = BlessTupleDesc(tupdesc);
	budget_init(&budget, "profile.kmeans_fit_scan");
	progress_begin("profile.kmeans_fit_scan");

	/* pass 1: scaling statistics (all rows), and a sample for seeding */
	progress_phase("scaling statistics (one pass)", NULL, 0);
	stats = run_pass("profile.kmeans_scaling_stats(q.f, $1)", sql, NULL,
					 options.scaling == KMEANS_SCALE_LOG);
	if (stats == NULL)
	{
		for (int i = 0; i < 8; i++)
			nulls[i] = true;
		values[2] = Int64GetDatum(0);
		nulls[2] = false;
		progress_end();
		PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(tupdesc, values, nulls)));
	}
	stats = check_state(PointerGetDatum(stats), 2, "kmeans_scaling_stats");
	st = state_values(stats);
	d = (int) st[0];
	if (d < 1 || d > PROFILE_MAX_DIMENSIONS || ARR_DIMS(stats)[0] != STATS_LENGTH(d))
		elog(ERROR, "bad scaling statistics");

	if (k > st[1])
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("k (%d) is more than the number of points (%.0f)", k, st[1])));

	/* the scaling of all rows, from the statistics */
	model = palloc0(sizeof(KmeansModel));
	model->k = k;
	model->d = d;
	model->scaling = options.scaling;
	model->n_init = 1;
	model->seed = (uint64) options.seed;
	model->shift = palloc(sizeof(double) * d);
	model->scale = palloc(sizeof(double) * d);
	model->centroids = palloc(sizeof(double) * k * d);
	model->sizes = palloc0(sizeof(int64) * k);
	for (int j = 0; j < d; j++)
	{
		double		mean = st[2 + j],
					var = st[2 + d + j] / st[1],
					lo = st[2 + 2 * d + j],
					hi = st[2 + 3 * d + j],
					shift = 0.0,
					scale = 1.0;

		if (options.scaling == KMEANS_SCALE_ZSCORE || options.scaling == KMEANS_SCALE_LOG)
		{
			shift = mean;
			scale = sqrt(var);
		}
		else if (options.scaling == KMEANS_SCALE_MINMAX)
		{
			shift = lo;
			scale = hi - lo;
		}
		if (!(scale > 0.0) || !isfinite(scale))
			scale = 1.0;
		model->shift[j] = shift;
		model->scale[j] = scale;
		/* tol is relative to the mean variance of the scaled features */
		tol += var / (scale * scale);
	}
	tol = tol / d * options.tol;

	/*
	 * The initial centroids: given, or k-means++ on the sample put in
	 * canonical order and scaled like all rows (with every row sampled,
	 * the seeds of kmeans_fit's first restart).
	 */
	if (!PG_ARGISNULL(7))
	{
		ArrayType  *init = PG_GETARG_ARRAYTYPE_P(7);
		int			nelems = ArrayGetNItems(ARR_NDIM(init), ARR_DIMS(init));
		const double *values;

		if (ARR_NDIM(init) > 2 || nelems != k * d || (ARR_HASNULL(init) && array_contains_nulls(init)))
			ereport(ERROR,
					(errcode(ERRCODE_DATA_EXCEPTION),
					 errmsg("initial centroids must be a %d x %d array without NULLs", k, d)));
		values = float8_array_values(init);
		for (int c = 0; c < k; c++)
		{
			for (int j = 0; j < d; j++)
			{
				check_finite(values[(Size) c * d + j], "every initial centroid value");
				if (options.scaling == KMEANS_SCALE_LOG && !(values[(Size) c * d + j] > -1.0))
					ereport(ERROR,
							(errcode(ERRCODE_DATA_EXCEPTION),
							 errmsg("log scaling needs initial centroids above -1")));
			}
			kmeans_scale_point(model, values + (Size) c * d, model->centroids + (Size) c * d);
		}
	}
	else
	{
		int64		distinct;

		sample = sample_pass(sql, sample_size, &n_sample, &d, &budget);
		distinct = kmeans_canonical_order(sample, n_sample, d, &budget);
		if (k > distinct)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("k (%d) is more than the %lld distinct points sampled", k, (long long) distinct),
					 errhint("Raise sample_size or lower k.")));
		for (int64 i = 0; i < n_sample; i++)
			kmeans_scale_point(model, sample + i * d, sample + i * d);
		kmeans_seed(sample, n_sample, d, k, (uint64) options.seed, 0, model->centroids, &budget);
	}

	/* Lloyd passes */
	old = palloc(sizeof(double) * k * d);
	model->converged = false;
	progress_phase("Lloyd passes over the query", "passes", options.max_iter + 1);
	for (model->iterations = 1; model->iterations <= options.max_iter + 1; model->iterations++)
	{
		ArrayType  *step;
		double	   *s;
		double		shift = 0.0;
		bool		last = model->iterations > options.max_iter;
		int			next_far = 0;

		CHECK_FOR_INTERRUPTS();
		progress_done(model->iterations);
		/* placeholders that make the value valid; the pass reads centroids */
		model->n = k;
		model->inertia = 0;
		for (int c = 0; c < k; c++)
			model->sizes[c] = 1;
		step = run_pass("profile.kmeans_step(q.f, $1)", sql, kmeans_model_encode(model), false);
		if (step == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_DATA_EXCEPTION),
					 errmsg("the query given to profile.kmeans_fit_scan returned no rows in pass %d",
							model->iterations),
					 errhint("The query must return the same rows on every pass; avoid volatile functions in it.")));
		step = check_state(PointerGetDatum(step), 4, "kmeans_step");
		s = state_values(step);
		model->n = (int64) s[2];
		model->inertia = s[3];
		for (int c = 0; c < k; c++)
			model->sizes[c] = (int64) STEP_COUNTS(s)[c];
		if (last || model->converged)
		{
			model->iterations--;
			break;
		}

		/* reseed empty clusters with the farthest points */
		memcpy(old, model->centroids, sizeof(double) * k * d);
		for (int c = 0; c < k; c++)
		{
			double	   *centroid = model->centroids + (Size) c * d;

			if (STEP_COUNTS(s)[c] > 0)
			{
				for (int j = 0; j < d; j++)
					centroid[j] = STEP_SUMS(s, k)[(Size) c * d + j] / STEP_COUNTS(s)[c];
			}
			else if (next_far < k && STEP_FAR(s, k, d)[next_far] >= 0)
			{
				memcpy(centroid, STEP_FARPTS(s, k, d) + (Size) next_far * d, sizeof(double) * d);
				next_far++;
				reseeded++;
			}
		}
		for (int i = 0; i < k * d; i++)
			shift += (model->centroids[i] - old[i]) * (model->centroids[i] - old[i]);
		if (shift <= tol || memcmp(old, model->centroids, sizeof(double) * k * d) == 0)
			model->converged = true;	/* one more pass for sizes and inertia */
	}
	if (reseeded > 0)
		ereport(NOTICE,
				(errmsg("k-means reseeded an empty cluster %d times with a point farthest from its centroid",
						reseeded)));

	{
		StringInfoData params;
		StringInfoData summary;
		Datum	   *sizes = palloc(sizeof(Datum) * k);

		model_json_begin(&params);
		model_json_key(&params, "k");
		appendStringInfo(&params, "%d", k);
		model_json_key(&params, "scaling");
		escape_json(&params, kmeans_scaling_name(model->scaling));
		model_json_key(&params, "path");
		escape_json(&params, "scan");
		model_json_key(&params, "sample_size");
		appendStringInfo(&params, INT64_FORMAT, sample_size);
		model_json_key(&params, "max_iter");
		appendStringInfo(&params, "%d", options.max_iter);
		model_json_key(&params, "tol");
		appendStringInfoString(&params, float8out_internal(options.tol));
		model_json_key(&params, "seed");
		appendStringInfo(&params, INT64_FORMAT, options.seed);
		model_json_begin(&summary);
		model_json_key(&summary, "points");
		appendStringInfo(&summary, INT64_FORMAT, model->n);
		model_json_key(&summary, "inertia");
		appendStringInfoString(&summary, float8out_internal(model->inertia));
		model_json_key(&summary, "iterations");
		appendStringInfo(&summary, "%d", model->iterations);
		model_json_key(&summary, "converged");
		appendStringInfoString(&summary, model->converged ? "true" : "false");
		model_store(name, "kmeans", 1, model_json_finish(&params), model_json_finish(&summary),
					kmeans_model_encode(model));

		for (int c = 0; c < k; c++)
			sizes[c] = Int64GetDatum(model->sizes[c]);
		values[0] = CStringGetTextDatum(name);
		values[1] = Int32GetDatum(k);
		values[2] = Int64GetDatum(model->n);
		values[3] = Float8GetDatum(model->inertia);
		values[4] = Int32GetDatum(model->iterations);
		values[5] = BoolGetDatum(model->converged);
		values[6] = PointerGetDatum(construct_array(sizes, k, INT8OID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
		values[7] = Int32GetDatum(d);
	}
	progress_end();
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(tupdesc, values, nulls)));
}
