/*-------------------------------------------------------------------------
 *
 * kmeans_model.c
 *	  k-means models: the one-call trainer, the stored body, assignment and
 *	  the rows BI tools read.
 *
 *	- profile.kmeans_fit(name, query, k, ...): reads (id, features) rows
 *	  from the inner query into a matrix, fits (kmeans.c) and stores the
 *	  model under the name (kind 'kmeans');
 *	- profile.kmeans_assign(model, features): the cluster (1 .. k) of a
 *	  point, by model name (cached per backend by model.c, invalidated when
 *	  the model changes) or by model value (bytea);
 *	- profile.kmeans_assign_detail(...): cluster, distance and the label an
 *	  analyst set in profile.kmeans_labels;
 *	- profile.kmeans_model_centroids(body): centroids as rows, in original
 *	  units, behind the view profile.kmeans_centroids.
 *
 * Clusters are numbered 1 .. k in SQL (0 .. k-1 inside).
 *
 * Body (format 1, network byte order, pq_send*): int32 k, int32 d,
 * int8 scaling, int64 n, float8 inertia, int32 iterations, int8 converged,
 * int32 n_init, int64 seed, d x float8 shift, d x float8 scale,
 * k x d x float8 centroids (scaled space), k x int64 sizes.  A body is
 * untrusted when read: every size and value is checked (XX001).
 *
 * IDENTIFICATION
 *	  src/kmeans_model.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "funcapi.h"
#include "libpq/pqformat.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/float.h"
#include "utils/json.h"
#include "utils/memutils.h"

#include "points.h"
#include "profile.h"

#define KMEANS_MODEL_KIND	"kmeans"
#define KMEANS_MODEL_FORMAT	1

/* ---- features ---- */

/*
 * features_values: the elements of a feature vector, checked (shape:
 * check_features; every value finite, 22000), d of them when d > 0.
 * Returns a pointer into the array.
 */
static const double *
features_values(ArrayType *array, int d, int *length)
{
	const double *values = check_features(array, d, length);

	for (int j = 0; j < *length; j++)
		if (unlikely(!isfinite(values[j])))
			check_finite(values[j], "every feature");
	return values;
}

/* ---- body ---- */

static void corrupt_model(const char *name, const char *why) pg_attribute_noreturn();

static void
corrupt_model(const char *name, const char *why)
{
	ereport(ERROR,
			(errcode(ERRCODE_DATA_CORRUPTED),
			 errmsg("k-means model \"%s\" is corrupted: %s", name, why),
			 errhint("Fit it again with profile.kmeans_fit.")));
}

bytea *
kmeans_model_encode(const KmeansModel *model)
{
	StringInfoData buf;
	int			k = model->k,
				d = model->d;

	pq_begintypsend(&buf);
	pq_sendint32(&buf, k);
	pq_sendint32(&buf, d);
	pq_sendbyte(&buf, (uint8) model->scaling);
	pq_sendint64(&buf, model->n);
	pq_sendfloat8(&buf, model->inertia);
	pq_sendint32(&buf, model->iterations);
	pq_sendbyte(&buf, model->converged ? 1 : 0);
	pq_sendint32(&buf, model->n_init);
	pq_sendint64(&buf, (int64) model->seed);
	for (int j = 0; j < d; j++)
		pq_sendfloat8(&buf, model->shift[j]);
	for (int j = 0; j < d; j++)
		pq_sendfloat8(&buf, model->scale[j]);
	for (int i = 0; i < k * d; i++)
		pq_sendfloat8(&buf, model->centroids[i]);
	for (int c = 0; c < k; c++)
		pq_sendint64(&buf, model->sizes[c]);
	return pq_endtypsend(&buf);
}

/* Decode and check a body; allocated in the current memory context */
KmeansModel *
kmeans_model_decode(const char *name, const bytea *body)
{
	KmeansModel *model = palloc0(sizeof(KmeansModel));
	StringInfoData buf;
	Size		len = VARSIZE_ANY_EXHDR(body);
	int			scaling;
	int64		total = 0;
	Size		expected;

	buf.data = (char *) VARDATA_ANY(body);
	buf.len = (int) len;
	buf.maxlen = (int) len;
	buf.cursor = 0;
	if (len < 9)
		corrupt_model(name, "body too short");
	model->k = pq_getmsgint(&buf, 4);
	model->d = pq_getmsgint(&buf, 4);
	if (model->k < 1 || model->k > PROFILE_MAX_CLUSTERS ||
		model->d < 1 || model->d > PROFILE_MAX_DIMENSIONS)
		corrupt_model(name, "bad k or dimension");
	expected = 4 + 4 + 1 + 8 + 8 + 4 + 1 + 4 + 8 +
		8 * (Size) model->d * 2 + 8 * (Size) model->k * model->d + 8 * (Size) model->k;
	if (len != expected)
		corrupt_model(name, "wrong size");
	scaling = pq_getmsgbyte(&buf);
	if (scaling < KMEANS_SCALE_NONE || scaling > KMEANS_SCALE_MINMAX)
		corrupt_model(name, "unknown scaling");
	model->scaling = (KmeansScaling) scaling;
	model->n = pq_getmsgint64(&buf);
	model->inertia = pq_getmsgfloat8(&buf);
	model->iterations = pq_getmsgint(&buf, 4);
	model->converged = pq_getmsgbyte(&buf) != 0;
	model->n_init = pq_getmsgint(&buf, 4);
	model->seed = (uint64) pq_getmsgint64(&buf);
	if (model->n < model->k || !isfinite(model->inertia) || model->inertia < 0)
		corrupt_model(name, "bad summary");
	model->shift = palloc(sizeof(double) * model->d);
	model->scale = palloc(sizeof(double) * model->d);
	model->centroids = palloc(sizeof(double) * model->k * model->d);
	model->sizes = palloc(sizeof(int64) * model->k);
	for (int j = 0; j < model->d; j++)
	{
		model->shift[j] = pq_getmsgfloat8(&buf);
		if (!isfinite(model->shift[j]))
			corrupt_model(name, "bad scaling");
	}
	for (int j = 0; j < model->d; j++)
	{
		model->scale[j] = pq_getmsgfloat8(&buf);
		if (!isfinite(model->scale[j]) || !(model->scale[j] > 0))
			corrupt_model(name, "bad scaling");
	}
	for (int i = 0; i < model->k * model->d; i++)
	{
		model->centroids[i] = pq_getmsgfloat8(&buf);
		if (!isfinite(model->centroids[i]))
			corrupt_model(name, "bad centroid");
	}
	for (int c = 0; c < model->k; c++)
	{
		model->sizes[c] = pq_getmsgint64(&buf);
		if (model->sizes[c] < 0 || model->sizes[c] > model->n)
			corrupt_model(name, "bad cluster sizes");
		total += model->sizes[c];
	}
	if (total != model->n)
		corrupt_model(name, "bad cluster sizes");
	return model;
}

/* kmeans_model_decode as model_get() calls it */
static void *
kmeans_model_decode_cached(const char *name, const bytea *body)
{
	return kmeans_model_decode(name, body);
}

/* ---- quality of a fit ---- */

typedef struct FitQuality
{
	bool		has_silhouette;
	bool		has_davies_bouldin;
	bool		has_calinski_harabasz;
	double		silhouette;
	double		davies_bouldin;
	double		calinski_harabasz;
} FitQuality;

/*
 * The quality of labels[n] (0 .. k-1) on points (scaled, the space k-means
 * works in).  Empty clusters are left out.  The silhouette is exact up to
 * METRICS_SILHOUETTE_EXACT_MAX points and sampled (seeded) above; the
 * other two only when all is asked.
 */
static void
fit_quality(const double *points, int64 n, int d, const int32 *labels, int k,
			int64 seed, bool all, MemoryBudget *budget, FitQuality *quality)
{
	int32	   *remap = palloc(sizeof(int32) * k);
	int32	   *dense = palloc(sizeof(int32) * n);
	int			present = 0;

	memset(quality, 0, sizeof(FitQuality));
	for (int c = 0; c < k; c++)
		remap[c] = -1;
	for (int64 i = 0; i < n; i++)
		if (remap[labels[i]] < 0)
			remap[labels[i]] = 0;
	for (int c = 0; c < k; c++)
		if (remap[c] == 0)
			remap[c] = present++;
	for (int64 i = 0; i < n; i++)
		dense[i] = remap[labels[i]];

	if (n <= METRICS_SILHOUETTE_EXACT_MAX)
		quality->has_silhouette = metrics_silhouette(points, dense, n, d, present, budget,
													 &quality->silhouette);
	else
		quality->has_silhouette = metrics_silhouette_sampled(points, dense, n, d, present,
															 METRICS_SILHOUETTE_EXACT_MAX, seed,
															 budget, &quality->silhouette);
	if (all)
	{
		quality->has_davies_bouldin = metrics_davies_bouldin(points, dense, n, d, present, budget,
															 &quality->davies_bouldin);
		quality->has_calinski_harabasz = metrics_calinski_harabasz(points, dense, n, d, present, budget,
																   &quality->calinski_harabasz);
	}
	pfree(remap);
	pfree(dense);
}

/* ---- the one-call trainer ---- */

static const InnerColumn kmeans_columns[2] = {
	{"id", INNER_KEY, false},
	{"features", INNER_FLOAT8_ARRAY, false},
};

/*
 * Read the features of the inner query into a matrix (huge allocation,
 * reserved against the budget as it grows).  NULL feature rows are
 * skipped and counted.
 */
static double *
read_matrix(const char *caller, const char *sql, int64 *n_out, int *d_out,
			uint64 *rows_read, int64 *skipped, MemoryBudget *budget)
{
	InnerQuery *query = inner_query_open(caller, sql, kmeans_columns, lengthof(kmeans_columns));
	const InnerBatch *batch;
	double	   *points = NULL;
	int64		n = 0;
	int64		capacity = 0;
	int			d = 0;

	*skipped = 0;
	while ((batch = inner_query_fetch(query)) != NULL)
	{
		for (int row = 0; row < batch->nrows; row++)
		{
			const double *values;
			int			length;

			if (batch->nulls[1][row])
			{
				(*skipped)++;
				continue;
			}
			values = features_values(DatumGetArrayTypeP(batch->values[1][row]), d, &length);
			if (d == 0)
			{
				check_int_range(length, 1, PROFILE_MAX_DIMENSIONS, "the number of features");
				d = length;
			}
			if (n == capacity)
			{
				int64		grow = capacity == 0 ? 1024 : capacity;

				budget_reserve(budget, budget_mul(budget_mul(grow, d, "k-means"), sizeof(double), "k-means"),
							   "the points");
				capacity += grow;
				points = points == NULL ?
					MemoryContextAllocHuge(CurrentMemoryContext, sizeof(double) * capacity * d) :
					repalloc_huge(points, sizeof(double) * capacity * d);
			}
			memcpy(points + n * d, values, sizeof(double) * d);
			n++;
		}
	}
	*rows_read = inner_query_rows_read(query);
	inner_query_close(query);
	*n_out = n;
	*d_out = d;
	return points;
}

/* init => float8[] (k x d, 2-D, or k*d flat): checked and flattened */
static double *
read_init(ArrayType *array, int k, int d)
{
	int			nelems = ArrayGetNItems(ARR_NDIM(array), ARR_DIMS(array));
	double	   *init;

	if (ARR_HASNULL(array) && array_contains_nulls(array))
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("initial centroids must not contain NULL elements")));
	if (ARR_NDIM(array) > 2 ||
		(ARR_NDIM(array) == 2 && (ARR_DIMS(array)[0] != k || ARR_DIMS(array)[1] != d)) ||
		nelems != k * d)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("initial centroids must be a %d x %d array, not %d elements", k, d, nelems)));
	init = palloc(sizeof(double) * nelems);
	memcpy(init, float8_array_values(array), sizeof(double) * nelems);
	for (int i = 0; i < nelems; i++)
		check_finite(init[i], "every initial centroid value");
	return init;
}

static Datum
int64_array(const int64 *values, int n)
{
	Datum	   *elems = palloc(sizeof(Datum) * n);

	for (int i = 0; i < n; i++)
		elems[i] = Int64GetDatum(values[i]);
	return PointerGetDatum(construct_array(elems, n, INT8OID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
}

/*
 * profile.kmeans_fit(name, query, k, scaling, n_init, max_iter, tol, seed,
 * init): fit and store; returns the summary.  Empty input stores nothing
 * and returns model NULL.
 */
PG_FUNCTION_INFO_V1(profile_kmeans_fit);
Datum
profile_kmeans_fit(PG_FUNCTION_ARGS)
{
	const char *const argnames[] = {"name", "query", "k", "scaling", "n_init",
	"max_iter", "tol", "seed"};
	KmeansOptions options;
	MemoryBudget budget;
	char	   *name;
	double	   *points;
	int64		n;
	int			d;
	uint64		rows_read;
	int64		skipped;
	TupleDesc	tupdesc;
	Datum		values[9];
	bool		nulls[9] = {false};
	MemoryContext workcxt;
	MemoryContext oldcxt;

	for (int i = 0; i < (int) lengthof(argnames); i++)
		check_arg_not_null(fcinfo, i, argnames[i]);
	name = text_to_cstring(PG_GETARG_TEXT_PP(0));
	model_check_name(name);
	memset(&options, 0, sizeof(options));
	options.k = PG_GETARG_INT32(2);
	options.scaling = kmeans_scaling_from_name(text_to_cstring(PG_GETARG_TEXT_PP(3)));
	options.n_init = PG_GETARG_INT32(4);
	options.max_iter = PG_GETARG_INT32(5);
	options.tol = PG_GETARG_FLOAT8(6);
	options.seed = PG_GETARG_INT64(7);
	kmeans_check_options(&options, 1);
	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");
	tupdesc = BlessTupleDesc(tupdesc);

	workcxt = AllocSetContextCreate(CurrentMemoryContext, "profile kmeans",
									ALLOCSET_DEFAULT_SIZES);
	oldcxt = MemoryContextSwitchTo(workcxt);
	budget_init(&budget, "profile.kmeans_fit");
	progress_begin("profile.kmeans_fit");
	points = read_matrix("profile.kmeans_fit", text_to_cstring(PG_GETARG_TEXT_PP(1)),
						 &n, &d, &rows_read, &skipped, &budget);
	if (skipped > 0)
		ereport(NOTICE,
				(errmsg("profile.kmeans_fit skipped " INT64_FORMAT " of " UINT64_FORMAT " rows with NULL features",
						skipped, rows_read)));

	if (n > 0)
	{
		KmeansModel *model;
		StringInfoData params;
		StringInfoData summary;
		int32	   *labels;
		FitQuality	quality;

		if (!PG_ARGISNULL(8))
			options.init = read_init(PG_GETARG_ARRAYTYPE_P(8), options.k, d);
		budget_reserve_array(&budget, n, sizeof(int32), "labels");
		labels = palloc(sizeof(int32) * n);
		model = kmeans_fit(points, n, d, &options, labels, &budget);
		progress_phase("measuring the fit (silhouette)", NULL, 0);
		fit_quality(points, n, d, labels, model->k, options.seed, false, &budget, &quality);
		progress_phase("storing the model", NULL, 0);

		model_json_begin(&params);
		model_json_key(&params, "k");
		appendStringInfo(&params, "%d", model->k);
		model_json_key(&params, "scaling");
		escape_json(&params, kmeans_scaling_name(model->scaling));
		model_json_key(&params, "n_init");
		appendStringInfo(&params, "%d", model->n_init);
		model_json_key(&params, "max_iter");
		appendStringInfo(&params, "%d", options.max_iter);
		model_json_key(&params, "tol");
		appendStringInfoString(&params, float8out_internal(options.tol));
		model_json_key(&params, "seed");
		appendStringInfo(&params, INT64_FORMAT, options.seed);
		model_json_key(&params, "init");
		appendStringInfoString(&params, options.init ? "\"given\"" : "\"k-means++\"");

		model_json_begin(&summary);
		model_json_key(&summary, "points");
		appendStringInfo(&summary, INT64_FORMAT, model->n);
		model_json_key(&summary, "features");
		appendStringInfo(&summary, "%d", model->d);
		model_json_key(&summary, "inertia");
		appendStringInfoString(&summary, float8out_internal(model->inertia));
		model_json_key(&summary, "iterations");
		appendStringInfo(&summary, "%d", model->iterations);
		model_json_key(&summary, "converged");
		appendStringInfoString(&summary, model->converged ? "true" : "false");
		model_json_key(&summary, "rows_skipped");
		appendStringInfo(&summary, INT64_FORMAT, skipped);
		model_json_key(&summary, "silhouette");
		appendStringInfoString(&summary, quality.has_silhouette && isfinite(quality.silhouette) ?
							   float8out_internal(quality.silhouette) : "null");

		model_store(name, KMEANS_MODEL_KIND, KMEANS_MODEL_FORMAT,
					model_json_finish(&params), model_json_finish(&summary),
					kmeans_model_encode(model));

		MemoryContextSwitchTo(oldcxt);
		values[0] = CStringGetTextDatum(name);
		values[1] = Int32GetDatum(model->k);
		values[2] = Int64GetDatum(model->n);
		values[3] = Float8GetDatum(model->inertia);
		values[4] = Int32GetDatum(model->iterations);
		values[5] = BoolGetDatum(model->converged);
		values[6] = int64_array(model->sizes, model->k);
		values[7] = Int32GetDatum(d);
		values[8] = Float8GetDatum(quality.silhouette);
		nulls[8] = !quality.has_silhouette || !isfinite(quality.silhouette);
	}
	else
	{
		MemoryContextSwitchTo(oldcxt);
		for (int i = 0; i < 9; i++)
			nulls[i] = true;
		values[2] = Int64GetDatum(0);
		nulls[2] = false;
	}
	{
		HeapTuple	tuple = heap_form_tuple(tupdesc, values, nulls);

		MemoryContextDelete(workcxt);
		progress_end();
		PG_RETURN_DATUM(HeapTupleGetDatum(tuple));
	}
}

/*
 * profile.kmeans_select_k(query, ks, scaling, n_init, max_iter, tol, seed):
 * one fit per k over the same rows, and per k the inertia, silhouette,
 * Davies-Bouldin and Calinski-Harabasz index; selected marks the k of the
 * highest silhouette (the smaller k on ties; none when no silhouette is
 * defined, as with k = 1 only).
 */
PG_FUNCTION_INFO_V1(profile_kmeans_select_k);
Datum
profile_kmeans_select_k(PG_FUNCTION_ARGS)
{
	const char *const argnames[] = {"query", "ks", "scaling", "n_init", "max_iter", "tol", "seed"};
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	ArrayType  *ks_array;
	Datum	   *ks_datums;
	bool	   *ks_nulls;
	int			nks;
	KmeansOptions options;
	MemoryBudget budget;
	double	   *points;
	double	   *work;
	int32	   *labels;
	int64		n;
	int			d;
	uint64		rows_read;
	int64		skipped;
	int			best = -1;
	double		best_silhouette = 0;
	double	   *inertia;
	FitQuality *quality;
	MemoryContext workcxt;
	MemoryContext oldcxt;

	for (int i = 0; i < (int) lengthof(argnames); i++)
		check_arg_not_null(fcinfo, i, argnames[i]);
	ks_array = PG_GETARG_ARRAYTYPE_P(1);
	if (ARR_NDIM(ks_array) > 1)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("ks must be a one-dimensional array")));
	deconstruct_array(ks_array, INT4OID, 4, true, TYPALIGN_INT, &ks_datums, &ks_nulls, &nks);
	check_int_range(nks, 1, 100, "the number of k values");
	memset(&options, 0, sizeof(options));
	options.scaling = kmeans_scaling_from_name(text_to_cstring(PG_GETARG_TEXT_PP(2)));
	options.n_init = PG_GETARG_INT32(3);
	options.max_iter = PG_GETARG_INT32(4);
	options.tol = PG_GETARG_FLOAT8(5);
	options.seed = PG_GETARG_INT64(6);
	for (int i = 0; i < nks; i++)
	{
		if (ks_nulls[i])
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("ks must not contain NULL")));
		options.k = DatumGetInt32(ks_datums[i]);
		kmeans_check_options(&options, 1);
	}
	InitMaterializedSRF(fcinfo, 0);

	workcxt = AllocSetContextCreate(CurrentMemoryContext, "profile kmeans select k",
									ALLOCSET_DEFAULT_SIZES);
	oldcxt = MemoryContextSwitchTo(workcxt);
	budget_init(&budget, "profile.kmeans_select_k");
	progress_begin("profile.kmeans_select_k");
	points = read_matrix("profile.kmeans_select_k", text_to_cstring(PG_GETARG_TEXT_PP(0)),
						 &n, &d, &rows_read, &skipped, &budget);
	if (n == 0)
	{
		MemoryContextSwitchTo(oldcxt);
		MemoryContextDelete(workcxt);
		progress_end();
		return (Datum) 0;
	}
	budget_reserve(&budget, budget_mul(budget_mul(n, d, "k-means"), sizeof(double), "k-means"),
				   "a copy of the points per fit");
	budget_reserve_array(&budget, n, sizeof(int32), "labels");
	work = MemoryContextAllocHuge(workcxt, sizeof(double) * n * d);
	labels = palloc(sizeof(int32) * n);
	inertia = palloc(sizeof(double) * nks);
	quality = palloc(sizeof(FitQuality) * nks);
	for (int i = 0; i < nks; i++)
	{
		KmeansModel *model;

		CHECK_FOR_INTERRUPTS();
		options.k = DatumGetInt32(ks_datums[i]);
		memcpy(work, points, sizeof(double) * n * d);
		model = kmeans_fit(work, n, d, &options, labels, &budget);
		inertia[i] = model->inertia;
		progress_phase(psprintf("k = %d: measuring the fit", options.k), NULL, 0);
		fit_quality(work, n, d, labels, model->k, options.seed, true, &budget, &quality[i]);
		if (quality[i].has_silhouette && isfinite(quality[i].silhouette) &&
			(best < 0 || quality[i].silhouette > best_silhouette ||
			 (quality[i].silhouette == best_silhouette && options.k < DatumGetInt32(ks_datums[best]))))
		{
			best = i;
			best_silhouette = quality[i].silhouette;
		}
	}
	MemoryContextSwitchTo(oldcxt);
	for (int i = 0; i < nks; i++)
	{
		Datum		values[6];
		bool		nulls[6] = {false};

		values[0] = ks_datums[i];
		values[1] = Float8GetDatum(inertia[i]);
		values[2] = Float8GetDatum(quality[i].silhouette);
		nulls[2] = !quality[i].has_silhouette || !isfinite(quality[i].silhouette);
		values[3] = Float8GetDatum(quality[i].davies_bouldin);
		nulls[3] = !quality[i].has_davies_bouldin || !isfinite(quality[i].davies_bouldin);
		values[4] = Float8GetDatum(quality[i].calinski_harabasz);
		nulls[4] = !quality[i].has_calinski_harabasz || !isfinite(quality[i].calinski_harabasz);
		values[5] = BoolGetDatum(i == best);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	MemoryContextDelete(workcxt);
	progress_end();
	return (Datum) 0;
}

/* ---- assignment ---- */

/* The nearest cluster (0-based) of features under model, and its distance */
static int
assign(const KmeansModel *model, ArrayType *features, double *distance)
{
	int			length;
	const double *x = features_values(features, model->d, &length);
	double		dist_sq;
	int			cluster = kmeans_model_nearest(model, x, &dist_sq);

	*distance = sqrt(dist_sq);
	return cluster;
}

/* The model a call names (cached in fn_extra by model_get_by_arg) */
static KmeansModel *
model_by_name(FunctionCallInfo fcinfo)
{
	return (KmeansModel *) model_get_by_arg(fcinfo, 0, KMEANS_MODEL_KIND,
											KMEANS_MODEL_FORMAT, kmeans_model_decode_cached);
}

/* A model value (bytea) decoded once per query and argument value */
typedef struct ValueCache
{
	bytea	   *body;
	KmeansModel *model;
	double	   *scratch;		/* d doubles for the caller */
} ValueCache;

/*
 * kmeans_model_from_arg: the model value of argument argno, decoded once
 * per query and value (kept in fn_extra), with d doubles of scratch space
 * in *scratch when asked.  A constant or parameter is the same value on
 * every call of the query: then it is not even detoasted again.
 */
KmeansModel *
kmeans_model_from_arg(FunctionCallInfo fcinfo, int argno, double **scratch)
{
	ValueCache *cache = fcinfo->flinfo->fn_extra;
	bytea	   *body;

	if (cache == NULL || !get_fn_expr_arg_stable(fcinfo->flinfo, argno))
	{
		body = PG_GETARG_BYTEA_PP(argno);
		if (cache == NULL || VARSIZE_ANY(cache->body) != VARSIZE_ANY(body) ||
			memcmp(cache->body, body, VARSIZE_ANY(body)) != 0)
		{
			MemoryContext oldcxt = MemoryContextSwitchTo(fcinfo->flinfo->fn_mcxt);

			if (cache == NULL)
				cache = fcinfo->flinfo->fn_extra = palloc0(sizeof(ValueCache));
			cache->model = kmeans_model_decode("(value)", body);
			cache->body = palloc(VARSIZE_ANY(body));
			memcpy(cache->body, body, VARSIZE_ANY(body));
			cache->scratch = palloc(sizeof(double) * cache->model->d);
			MemoryContextSwitchTo(oldcxt);
		}
	}
	if (scratch)
		*scratch = cache->scratch;
	return cache->model;
}

PG_FUNCTION_INFO_V1(profile_kmeans_assign);
Datum
profile_kmeans_assign(PG_FUNCTION_ARGS)
{
	double		distance;

	PG_RETURN_INT32(assign(model_by_name(fcinfo), PG_GETARG_ARRAYTYPE_P(1), &distance) + 1);
}

PG_FUNCTION_INFO_V1(profile_kmeans_assign_value);
Datum
profile_kmeans_assign_value(PG_FUNCTION_ARGS)
{
	double		distance;

	PG_RETURN_INT32(assign(kmeans_model_from_arg(fcinfo, 0, NULL), PG_GETARG_ARRAYTYPE_P(1), &distance) + 1);
}

/*
 * The labels of a model (NULL where a cluster has none), allocated in cxt:
 * profile.kmeans_labels read as the caller.
 */
static char **
read_labels(const char *name, int k, MemoryContext cxt)
{
	Oid			argtypes[1] = {TEXTOID};
	Datum		args[1];
	char	  **labels = MemoryContextAllocZero(cxt, sizeof(char *) * k);

	args[0] = CStringGetTextDatum(name);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	if (SPI_execute_with_args("SELECT cluster, label FROM profile.kmeans_labels "
							  "WHERE model OPERATOR(pg_catalog.=) $1",
							  1, argtypes, args, NULL, true, 0) != SPI_OK_SELECT)
		elog(ERROR, "reading profile.kmeans_labels failed");
	for (uint64 r = 0; r < SPI_processed; r++)
	{
		bool		isnull;
		int			cluster = DatumGetInt32(SPI_getbinval(SPI_tuptable->vals[r],
														  SPI_tuptable->tupdesc, 1, &isnull));
		char	   *label = SPI_getvalue(SPI_tuptable->vals[r], SPI_tuptable->tupdesc, 2);

		if (!isnull && cluster >= 1 && cluster <= k && label)
			labels[cluster - 1] = MemoryContextStrdup(cxt, label);
	}
	SPI_finish();
	return labels;
}

/* The labels of the named model, read once per query and model */
static char **
load_labels(FunctionCallInfo fcinfo, const char *name, int k)
{
	ModelCallCache *cache = fcinfo->flinfo->fn_extra;

	Assert(cache != NULL);
	if (cache->extra == NULL)
		cache->extra = read_labels(name, k, fcinfo->flinfo->fn_mcxt);
	return (char **) cache->extra;
}

/* profile.kmeans_assign_detail(model, features): cluster, distance, label */
PG_FUNCTION_INFO_V1(profile_kmeans_assign_detail);
Datum
profile_kmeans_assign_detail(PG_FUNCTION_ARGS)
{
	char	   *name = text_to_cstring(PG_GETARG_TEXT_PP(0));
	KmeansModel *model = model_by_name(fcinfo);
	double		distance;
	int			cluster = assign(model, PG_GETARG_ARRAYTYPE_P(1), &distance);
	char	  **labels = load_labels(fcinfo, name, model->k);
	TupleDesc	tupdesc;
	Datum		values[3];
	bool		nulls[3] = {false};

	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");
	tupdesc = BlessTupleDesc(tupdesc);
	values[0] = Int32GetDatum(cluster + 1);
	values[1] = Float8GetDatum(distance);
	if (labels[cluster])
		values[2] = CStringGetTextDatum(labels[cluster]);
	else
		nulls[2] = true;
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(tupdesc, values, nulls)));
}

/* ---- rows for BI tools ---- */

static Datum
float8_array(const double *values, int n)
{
	Datum	   *elems = palloc(sizeof(Datum) * n);

	for (int i = 0; i < n; i++)
		elems[i] = Float8GetDatum(values[i]);
	return PointerGetDatum(construct_array(elems, n, FLOAT8OID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
}

/*
 * profile.kmeans_model_centroids(body): cluster, size, centroid in
 * original units, centroid in the scaled space.
 */
PG_FUNCTION_INFO_V1(profile_kmeans_model_centroids);
Datum
profile_kmeans_model_centroids(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	KmeansModel *model = kmeans_model_decode("(body)", PG_GETARG_BYTEA_PP(0));
	double	   *original = palloc(sizeof(double) * model->d);

	InitMaterializedSRF(fcinfo, 0);
	for (int c = 0; c < model->k; c++)
	{
		Datum		values[4];
		bool		nulls[4] = {false};
		const double *centroid = model->centroids + (Size) c * model->d;

		kmeans_unscale_point(model, centroid, original);
		values[0] = Int32GetDatum(c + 1);
		values[1] = Int64GetDatum(model->sizes[c]);
		values[2] = float8_array(original, model->d);
		values[3] = float8_array(centroid, model->d);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}

/*
 * kmeans_model_lookup: a stored k-means model and its labels (NULL where a
 * cluster has none), for profile.customer_profiles.
 */
KmeansModel *
kmeans_model_lookup(const char *name, char ***labels)
{
	KmeansModel *model = model_get(name, KMEANS_MODEL_KIND, KMEANS_MODEL_FORMAT,
								   kmeans_model_decode_cached);

	*labels = read_labels(name, model->k, CurrentMemoryContext);
	return model;
}

/*
 * kmeans_model_nearest: the nearest centroid (0 .. k-1) of a point in
 * original units, and its squared distance in the scaled space.
 */
int
kmeans_model_nearest(const KmeansModel *model, const double *x, double *dist_sq)
{
	double		scaled[PROFILE_MAX_DIMENSIONS];

	for (int j = 0; j < model->d; j++)
		if (model->scaling == KMEANS_SCALE_LOG && !(x[j] > -1.0))
			ereport(ERROR,
					(errcode(ERRCODE_DATA_EXCEPTION),
					 errmsg("the model uses log scaling, which needs features above -1, but feature %d is %g",
							j + 1, x[j])));
	if (model->scaling == KMEANS_SCALE_NONE)
		return kmeans_nearest(model, x, dist_sq);	/* nothing to scale */
	kmeans_scale_point(model, x, scaled);
	return kmeans_nearest(model, scaled, dist_sq);
}
