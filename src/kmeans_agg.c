/*-------------------------------------------------------------------------
 *
 * kmeans_agg.c
 *	  k-means as an aggregate: profile.kmeans(features, k [, options])
 *	  returns a model value (bytea), one per group (GROUP BY store), and
 *	  profile.kmeans_save(name, model) keeps such a value by name.
 *
 * The state is a point buffer (points.c): every row, as a bytea, so the
 * aggregate is combinable and not internal (parallel query and Citus split
 * it).  The final function sorts the rows into the canonical order and
 * fits with kmeans.c, so the same rows in any order give the same model.
 * The options are kept in the buffer as its int64 parameters:
 *	  0: k;
 *	  1: scaling | n_init << 8 | max_iter << 24;
 *	  2: seed;
 *	  3: tol, the bits of the double.
 *
 * IDENTIFICATION
 *	  src/kmeans_agg.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "fmgr.h"
#include "utils/builtins.h"
#include "utils/float.h"
#include "utils/json.h"
#include "utils/jsonb.h"
#include "utils/numeric.h"

#include "points.h"
#include "profile.h"

static const char *const kmeans_param_names[] = {"k", "options", "seed", "tol"};

static const PointsSpec kmeans_spec = {
	.what = "profile.kmeans",
	.transfn = "profile.kmeans_transfn",
	.combinefn = "profile.kmeans_combinefn",
	.labelled = false,
	.nparams = 4,
	.param_names = kmeans_param_names,
};

/* Default options, as profile.kmeans_fit has them */
static void
default_options(KmeansOptions *options, int k)
{
	memset(options, 0, sizeof(KmeansOptions));
	options->k = k;
	options->scaling = KMEANS_SCALE_ZSCORE;
	options->n_init = 3;
	options->max_iter = 300;
	options->tol = 1e-4;
	options->seed = 42;
}

/* Read the options object: keys scaling, n_init, max_iter, tol, seed */
static void
read_options(Jsonb *jsonb, KmeansOptions *options)
{
	JsonbIterator *it;
	JsonbValue	v;
	JsonbIteratorToken token;
	char	   *key = NULL;

	if (!JB_ROOT_IS_OBJECT(jsonb))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("k-means options must be a JSON object")));
	it = JsonbIteratorInit(&jsonb->root);
	while ((token = JsonbIteratorNext(&it, &v, true)) != WJB_DONE)
	{
		if (token == WJB_KEY)
			key = pnstrdup(v.val.string.val, v.val.string.len);
		else if (token == WJB_VALUE && key != NULL)
		{
			if (strcmp(key, "scaling") == 0 && v.type == jbvString)
				options->scaling = kmeans_scaling_from_name(pnstrdup(v.val.string.val, v.val.string.len));
			else if (strcmp(key, "tol") == 0 && v.type == jbvNumeric)
				options->tol = DatumGetFloat8(DirectFunctionCall1(numeric_float8,
																  NumericGetDatum(v.val.numeric)));
			else if ((strcmp(key, "n_init") == 0 || strcmp(key, "max_iter") == 0 ||
					  strcmp(key, "seed") == 0) && v.type == jbvNumeric)
			{
				int64		number = DatumGetInt64(DirectFunctionCall1(numeric_int8,
																	   NumericGetDatum(v.val.numeric)));

				if (strcmp(key, "seed") == 0)
					options->seed = number;
				else
				{
					check_int_range(number, 1, 100000, key);
					if (strcmp(key, "n_init") == 0)
						options->n_init = (int) number;
					else
						options->max_iter = (int) number;
				}
			}
			else
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("unknown or ill-typed k-means option \"%s\"", key),
						 errhint("Options are scaling (text), n_init, max_iter, seed (integers) and tol (number).")));
			key = NULL;
		}
	}
}

static void
pack_options(const KmeansOptions *options, int64 *params)
{
	params[0] = options->k;
	params[1] = (int64) options->scaling | ((int64) options->n_init << 8) |
		((int64) options->max_iter << 24);
	params[2] = options->seed;
	memcpy(&params[3], &options->tol, sizeof(double));
}

static void
unpack_options(const PointsData *points, KmeansOptions *options)
{
	int64		packed = points_param(points, 1);
	int64		tolbits = points_param(points, 3);

	memset(options, 0, sizeof(KmeansOptions));
	options->k = (int) points_param(points, 0);
	options->scaling = (KmeansScaling) (packed & 0xff);
	options->n_init = (int) ((packed >> 8) & 0xffff);
	options->max_iter = (int) ((packed >> 24) & 0x7fffffff);
	options->seed = points_param(points, 2);
	memcpy(&options->tol, &tolbits, sizeof(double));
	if ((int) options->scaling < KMEANS_SCALE_NONE || options->scaling > KMEANS_SCALE_MINMAX)
		points_bad_state(&kmeans_spec, "bad options");
	kmeans_check_options(options, 1);
}

/*
 * Transition: (state, features, k [, options]).  NULL features skip the
 * row; NULL k or options are errors.
 */
PG_FUNCTION_INFO_V1(profile_kmeans_transfn);
Datum
profile_kmeans_transfn(PG_FUNCTION_ARGS)
{
	KmeansOptions options;
	int64		params[4];

	check_arg_not_null(fcinfo, 2, "k");
	default_options(&options, PG_GETARG_INT32(2));
	if (PG_NARGS() > 3)
	{
		check_arg_not_null(fcinfo, 3, "options");
		read_options(PG_GETARG_JSONB_P(3), &options);
	}
	kmeans_check_options(&options, 1);
	pack_options(&options, params);
	return points_transfn(fcinfo, &kmeans_spec, params);
}

PG_FUNCTION_INFO_V1(profile_kmeans_combinefn);
Datum
profile_kmeans_combinefn(PG_FUNCTION_ARGS)
{
	return points_combinefn(fcinfo, &kmeans_spec);
}

/* Final: fit on the canonical rows; the model value, NULL for no rows */
PG_FUNCTION_INFO_V1(profile_kmeans_finalfn);
Datum
profile_kmeans_finalfn(PG_FUNCTION_ARGS)
{
	PointsData *points;
	PointsSorted *sorted;
	KmeansOptions options;
	MemoryBudget budget;
	KmeansModel *model;

	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	points = points_check(PG_GETARG_DATUM(0), &kmeans_spec);
	unpack_options(points, &options);
	budget_init(&budget, "profile.kmeans");
	sorted = points_sort(points, &budget);
	if (sorted->n == 0)
		PG_RETURN_NULL();
	model = kmeans_fit(sorted->rows, sorted->n, sorted->dim, &options, NULL, &budget);
	PG_RETURN_BYTEA_P(kmeans_model_encode(model));
}

/*
 * profile.kmeans_save(name, model): store a model value under a name, so
 * that kmeans_assign(name, ...) and the catalog views see it.
 */
PG_FUNCTION_INFO_V1(profile_kmeans_save);
Datum
profile_kmeans_save(PG_FUNCTION_ARGS)
{
	char	   *name;
	bytea	   *body;
	KmeansModel *model;
	StringInfoData params;
	StringInfoData summary;

	check_arg_not_null(fcinfo, 0, "name");
	check_arg_not_null(fcinfo, 1, "model");
	name = text_to_cstring(PG_GETARG_TEXT_PP(0));
	model_check_name(name);
	body = PG_GETARG_BYTEA_PP(1);
	model = kmeans_model_decode("(value)", body);	/* checked before stored */

	model_json_begin(&params);
	model_json_key(&params, "k");
	appendStringInfo(&params, "%d", model->k);
	model_json_key(&params, "scaling");
	escape_json(&params, kmeans_scaling_name(model->scaling));
	model_json_key(&params, "source");
	escape_json(&params, "profile.kmeans aggregate");
	model_json_begin(&summary);
	model_json_key(&summary, "points");
	appendStringInfo(&summary, INT64_FORMAT, model->n);
	model_json_key(&summary, "inertia");
	appendStringInfoString(&summary, float8out_internal(model->inertia));
	model_json_key(&summary, "iterations");
	appendStringInfo(&summary, "%d", model->iterations);
	model_store(name, "kmeans", 1, model_json_finish(&params), model_json_finish(&summary),
				kmeans_model_encode(model));
	PG_RETURN_TEXT_P(cstring_to_text(name));
}
