/*-------------------------------------------------------------------------
 *
 * clv_model.c
 *	  Named CLV models: fit and store (BG/NBD and Gamma-Gamma together),
 *	  predict by name, and score every customer of a query in one call.
 *
 *	- profile.clv_fit(name, query, time_unit, penalizer, spend_penalizer,
 *	  max_iter): reads the inner query (customer_id, frequency, recency, t
 *	  [, monetary]), fits BG/NBD on every customer and, given monetary,
 *	  Gamma-Gamma on the repeat customers, and stores the model (kind
 *	  'clv');
 *	- profile.clv_save(name, bgnbd, gammagamma, time_unit): stores model
 *	  values from the aggregates or the scan path;
 *	- profile.clv_p_alive / clv_expected_purchases / clv_expected_aov /
 *	  clv_value with a model name;
 *	- profile.clv_score(model, query, months, discount_rate): every
 *	  customer of a query with p_alive, expected purchases over the
 *	  horizon, expected order value and CLV, for dashboards;
 *	- profile.clv_model_parameters(body), behind the view profile.clv_models.
 *
 * Rows of the inner query with a NULL frequency, recency or t are skipped
 * and counted (NOTICE); a NULL monetary leaves the row out of the spend
 * model only.
 *
 * Model body (format 1, network byte order, pq_send*):
 *	  int8 time unit, 4 x float8 (r, alpha, a, b), int8 has_spend_model,
 *	  then when 1: 3 x float8 (p, q, v).
 * Fit statistics are in the row's summary (jsonb), not in the body.
 *
 * IDENTIFICATION
 *	  src/clv_model.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "fmgr.h"
#include "funcapi.h"
#include "libpq/pqformat.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/float.h"
#include "utils/json.h"
#include "utils/lsyscache.h"

#include "clv.h"
#include "profile.h"

#define CLV_MODEL_KIND		"clv"
#define CLV_MODEL_FORMAT	1

typedef struct ClvModel
{
	ClvTimeUnit unit;
	ClvBgnbd	bg;
	bool		has_spend;
	ClvGammaGamma gg;
} ClvModel;

static const InnerColumn fit_columns[5] = {
	{"customer_id", INNER_KEY, false},
	{"frequency", INNER_NUMBER, false},
	{"recency", INNER_NUMBER, false},
	{"t", INNER_NUMBER, false},
	{"monetary", INNER_NUMBER, true},
};

/* ---- body ---- */

static void corrupt_model(const char *name, const char *why) pg_attribute_noreturn();

static void
corrupt_model(const char *name, const char *why)
{
	ereport(ERROR,
			(errcode(ERRCODE_DATA_CORRUPTED),
			 errmsg("CLV model \"%s\" is corrupted: %s", name, why),
			 errhint("Fit it again with profile.clv_fit.")));
}

static bytea *
clv_model_encode(const ClvModel *model)
{
	StringInfoData buf;

	pq_begintypsend(&buf);
	pq_sendbyte(&buf, (uint8) model->unit);
	pq_sendfloat8(&buf, model->bg.r);
	pq_sendfloat8(&buf, model->bg.alpha);
	pq_sendfloat8(&buf, model->bg.a);
	pq_sendfloat8(&buf, model->bg.b);
	pq_sendbyte(&buf, model->has_spend ? 1 : 0);
	if (model->has_spend)
	{
		pq_sendfloat8(&buf, model->gg.p);
		pq_sendfloat8(&buf, model->gg.q);
		pq_sendfloat8(&buf, model->gg.v);
	}
	return pq_endtypsend(&buf);
}

static bool
positive_finite(double x)
{
	return isfinite(x) && x > 0;
}

/* Decode and check a body (untrusted: every size and value is checked) */
static ClvModel *
clv_model_decode_body(const char *name, const bytea *body)
{
	ClvModel   *model = palloc0(sizeof(ClvModel));
	StringInfoData buf;
	Size		len = VARSIZE_ANY_EXHDR(body);
	int			unit;
	int			flag;

	buf.data = (char *) VARDATA_ANY(body);
	buf.len = (int) len;
	buf.maxlen = (int) len;
	buf.cursor = 0;
	if (len != 1 + 4 * 8 + 1 && len != 1 + 4 * 8 + 1 + 3 * 8)
		corrupt_model(name, "wrong size");
	unit = pq_getmsgbyte(&buf);
	if (unit < CLV_UNIT_DAY || unit > CLV_UNIT_MONTH)
		corrupt_model(name, "unknown time unit");
	model->unit = (ClvTimeUnit) unit;
	model->bg.r = pq_getmsgfloat8(&buf);
	model->bg.alpha = pq_getmsgfloat8(&buf);
	model->bg.a = pq_getmsgfloat8(&buf);
	model->bg.b = pq_getmsgfloat8(&buf);
	if (!positive_finite(model->bg.r) || !positive_finite(model->bg.alpha) ||
		!positive_finite(model->bg.a) || !positive_finite(model->bg.b))
		corrupt_model(name, "bad BG/NBD parameters");
	flag = pq_getmsgbyte(&buf);
	if (flag != 0 && flag != 1)
		corrupt_model(name, "bad spend model flag");
	model->has_spend = flag == 1;
	if (model->has_spend)
	{
		if (buf.len - buf.cursor != 3 * 8)
			corrupt_model(name, "wrong size");
		model->gg.p = pq_getmsgfloat8(&buf);
		model->gg.q = pq_getmsgfloat8(&buf);
		model->gg.v = pq_getmsgfloat8(&buf);
		if (!positive_finite(model->gg.p) || !positive_finite(model->gg.q) ||
			!positive_finite(model->gg.v))
			corrupt_model(name, "bad Gamma-Gamma parameters");
	}
	if (buf.cursor != buf.len)
		corrupt_model(name, "trailing bytes");
	return model;
}

/* clv_model_decode_body as model_get() calls it */
static void *
clv_model_decode_cached(const char *name, const bytea *body)
{
	return clv_model_decode_body(name, body);
}

/* ---- storing ---- */

static void
json_float(StringInfo buf, const char *key, double value)
{
	model_json_key(buf, key);
	appendStringInfoString(buf, isfinite(value) ? float8out_internal(value) : "null");
}

static void
store_model(const char *name, const ClvModel *model, const ClvBgnbdFit *bg,
			const ClvGammaGammaFit *gg, int64 rows_skipped, int max_iter)
{
	StringInfoData params;
	StringInfoData summary;

	model_json_begin(&params);
	model_json_key(&params, "time_unit");
	escape_json(&params, clv_time_unit_name(model->unit));
	if (bg)
		json_float(&params, "penalizer", bg->penalizer);
	if (gg)
		json_float(&params, "spend_penalizer", gg->penalizer);
	if (max_iter > 0)
	{
		model_json_key(&params, "max_iter");
		appendStringInfo(&params, "%d", max_iter);
	}

	model_json_begin(&summary);
	json_float(&summary, "r", model->bg.r);
	json_float(&summary, "alpha", model->bg.alpha);
	json_float(&summary, "a", model->bg.a);
	json_float(&summary, "b", model->bg.b);
	if (bg)
	{
		model_json_key(&summary, "customers");
		appendStringInfo(&summary, INT64_FORMAT, bg->customers);
		json_float(&summary, "loglik", bg->loglik);
		model_json_key(&summary, "iterations");
		appendStringInfo(&summary, "%d", bg->iterations);
		model_json_key(&summary, "converged");
		appendStringInfoString(&summary, bg->converged ? "true" : "false");
	}
	if (rows_skipped >= 0)
	{
		model_json_key(&summary, "rows_skipped");
		appendStringInfo(&summary, INT64_FORMAT, rows_skipped);
	}
	if (model->has_spend)
	{
		json_float(&summary, "p", model->gg.p);
		json_float(&summary, "q", model->gg.q);
		json_float(&summary, "v", model->gg.v);
	}
	if (gg)
	{
		model_json_key(&summary, "spend_customers");
		appendStringInfo(&summary, INT64_FORMAT, gg->customers);
		model_json_key(&summary, "spend_excluded");
		appendStringInfo(&summary, INT64_FORMAT, gg->excluded);
		json_float(&summary, "spend_loglik", gg->loglik);
		model_json_key(&summary, "spend_converged");
		appendStringInfoString(&summary, gg->converged ? "true" : "false");
		json_float(&summary, "correlation", gg->correlation);
	}
	model_store(name, CLV_MODEL_KIND, CLV_MODEL_FORMAT, model_json_finish(&params),
				model_json_finish(&summary), clv_model_encode(model));
}

/* Growing arrays of the rows of a fit, reserved against the budget */
typedef struct FitRows
{
	ClvTriple  *triples;
	int64		ntriples;
	ClvSpend   *spend;
	int64		nspend;
	int64		excluded;		/* repeat customers with monetary <= 0 */
	int64		allocated;
	int64		skipped;
} FitRows;

static void
fit_rows_grow(FitRows *rows, MemoryBudget *budget)
{
	int64		newcount = rows->allocated == 0 ? 8192 : rows->allocated * 2;

	budget_reserve_array(budget, newcount - rows->allocated,
						 sizeof(ClvTriple) + sizeof(ClvSpend), "customers");
	if (rows->allocated == 0)
	{
		rows->triples = palloc(sizeof(ClvTriple) * newcount);
		rows->spend = palloc(sizeof(ClvSpend) * newcount);
	}
	else
	{
		rows->triples = repalloc_huge(rows->triples, sizeof(ClvTriple) * newcount);
		rows->spend = repalloc_huge(rows->spend, sizeof(ClvSpend) * newcount);
	}
	rows->allocated = newcount;
}

static void
read_fit_rows(const char *caller, const char *sql, FitRows *rows, bool *has_monetary,
			  MemoryBudget *budget)
{
	InnerQuery *query = inner_query_open(caller, sql, fit_columns, lengthof(fit_columns));
	const InnerBatch *batch;

	memset(rows, 0, sizeof(FitRows));
	*has_monetary = inner_query_ncolumns(query) == 5;
	while ((batch = inner_query_fetch(query)) != NULL)
	{
		for (int i = 0; i < batch->nrows; i++)
		{
			ClvTriple  *t;

			if (batch->nulls[1][i] || batch->nulls[2][i] || batch->nulls[3][i])
			{
				rows->skipped++;
				continue;
			}
			if (rows->ntriples == rows->allocated)
				fit_rows_grow(rows, budget);
			t = &rows->triples[rows->ntriples];
			t->x = DatumGetFloat8(batch->values[1][i]);
			t->tx = DatumGetFloat8(batch->values[2][i]);
			t->T = DatumGetFloat8(batch->values[3][i]);
			clv_check_summary(t->x, t->tx, t->T);
			t->x += 0.0;		/* -0 is 0: equal rows, equal bytes */
			t->tx += 0.0;
			t->T += 0.0;
			rows->ntriples++;
			if (*has_monetary && !batch->nulls[4][i] && t->x > 0)
			{
				double		m = DatumGetFloat8(batch->values[4][i]);

				check_finite(m, "monetary");
				if (m > 0)
				{
					rows->spend[rows->nspend].x = t->x;
					rows->spend[rows->nspend].m = m;
					rows->nspend++;
				}
				else
					rows->excluded++;
			}
		}
	}
	inner_query_close(query);
}

/*
 * profile.clv_fit(name, query, time_unit, penalizer, spend_penalizer,
 * max_iter): fit and store.  A query without rows stores nothing and
 * returns model NULL.
 */
PG_FUNCTION_INFO_V1(profile_clv_fit);
Datum
profile_clv_fit(PG_FUNCTION_ARGS)
{
	const char *const argnames[] = {"name", "query", "time_unit", "penalizer",
	"spend_penalizer", "max_iter"};
	char	   *name;
	char	   *sql;
	ClvModel	model;
	double		penalizer,
				spend_penalizer;
	int			max_iter;
	MemoryBudget budget;
	FitRows		rows;
	bool		has_monetary;
	ClvBgnbdFit bg;
	ClvGammaGammaFit gg;
	TupleDesc	tupdesc;
	Datum		values[16];
	bool		nulls[16] = {false};
	MemoryContext workcxt;
	MemoryContext oldcxt;

	for (int i = 0; i < (int) lengthof(argnames); i++)
		check_arg_not_null(fcinfo, i, argnames[i]);
	name = text_to_cstring(PG_GETARG_TEXT_PP(0));
	model_check_name(name);
	sql = text_to_cstring(PG_GETARG_TEXT_PP(1));
	memset(&model, 0, sizeof(model));
	model.unit = clv_time_unit_from_name(text_to_cstring(PG_GETARG_TEXT_PP(2)));
	penalizer = PG_GETARG_FLOAT8(3);
	spend_penalizer = PG_GETARG_FLOAT8(4);
	check_float_range(penalizer, 0.0, 1e6, "penalizer");
	check_float_range(spend_penalizer, 0.0, 1e6, "spend_penalizer");
	max_iter = PG_GETARG_INT32(5);
	check_int_range(max_iter, 1, 100000, "max_iter");
	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");
	tupdesc = BlessTupleDesc(tupdesc);

	workcxt = AllocSetContextCreate(CurrentMemoryContext, "profile clv fit",
									ALLOCSET_DEFAULT_SIZES);
	oldcxt = MemoryContextSwitchTo(workcxt);
	budget_init(&budget, "profile.clv_fit");
	progress_begin("profile.clv_fit");
	read_fit_rows("profile.clv_fit", sql, &rows, &has_monetary, &budget);
	if (rows.skipped > 0)
		ereport(NOTICE,
				(errmsg("profile.clv_fit skipped " INT64_FORMAT " rows with a NULL frequency, recency or t",
						rows.skipped)));

	if (rows.ntriples == 0)
	{
		MemoryContextSwitchTo(oldcxt);
		for (int i = 0; i < 16; i++)
			nulls[i] = true;
		values[1] = Int64GetDatum(0);
		nulls[1] = false;
		values[2] = Int64GetDatum(rows.skipped);
		nulls[2] = false;
		MemoryContextDelete(workcxt);
		progress_end();
		PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(tupdesc, values, nulls)));
	}

	progress_phase("fitting BG/NBD (Newton's method)", "iterations", max_iter);
	clv_bgnbd_fit_triples(rows.triples, rows.ntriples, false, penalizer, max_iter,
						  &budget, &bg);
	model.bg = bg.params;
	if (has_monetary)
	{
		progress_phase("fitting Gamma-Gamma", "iterations", max_iter);
		clv_gammagamma_fit_rows(rows.spend, rows.nspend, false, rows.excluded,
								spend_penalizer, max_iter, &budget, &gg);
		model.has_spend = true;
		model.gg = gg.params;
	}
	store_model(name, &model, &bg, has_monetary ? &gg : NULL, rows.skipped, max_iter);
	MemoryContextSwitchTo(oldcxt);

	values[0] = CStringGetTextDatum(name);
	values[1] = Int64GetDatum(bg.customers);
	values[2] = Int64GetDatum(rows.skipped);
	values[3] = Float8GetDatum(bg.params.r);
	values[4] = Float8GetDatum(bg.params.alpha);
	values[5] = Float8GetDatum(bg.params.a);
	values[6] = Float8GetDatum(bg.params.b);
	values[7] = Float8GetDatum(bg.loglik);
	values[8] = BoolGetDatum(bg.converged);
	if (has_monetary)
	{
		values[9] = Float8GetDatum(gg.params.p);
		values[10] = Float8GetDatum(gg.params.q);
		values[11] = Float8GetDatum(gg.params.v);
		values[12] = Int64GetDatum(gg.customers);
		values[13] = Int64GetDatum(gg.excluded);
		values[14] = Float8GetDatum(gg.correlation);
		nulls[14] = !isfinite(gg.correlation);
		values[15] = BoolGetDatum(gg.converged);
	}
	else
		for (int i = 9; i < 16; i++)
			nulls[i] = true;
	MemoryContextDelete(workcxt);
	progress_end();
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(tupdesc, values, nulls)));
}

/*
 * profile.clv_save(name, bgnbd, gammagamma, time_unit): store model values;
 * gammagamma may be NULL (a model without spend).  Returns the name.
 */
PG_FUNCTION_INFO_V1(profile_clv_save);
Datum
profile_clv_save(PG_FUNCTION_ARGS)
{
	char	   *name;
	ClvModel	model;

	check_arg_not_null(fcinfo, 0, "name");
	check_arg_not_null(fcinfo, 1, "bgnbd");
	check_arg_not_null(fcinfo, 3, "time_unit");
	name = text_to_cstring(PG_GETARG_TEXT_PP(0));
	model_check_name(name);
	memset(&model, 0, sizeof(model));
	model.unit = clv_time_unit_from_name(text_to_cstring(PG_GETARG_TEXT_PP(3)));
	clv_bgnbd_from_datum(PG_GETARG_DATUM(1), &model.bg);
	if (!PG_ARGISNULL(2))
	{
		clv_gammagamma_from_datum(PG_GETARG_DATUM(2), &model.gg);
		model.has_spend = true;
	}
	store_model(name, &model, NULL, NULL, -1, 0);
	PG_RETURN_TEXT_P(CStringGetTextDatum(name));
}

/* ---- by name ---- */

/*
 * The model a call names (cached in fn_extra by model_get_by_arg), and in
 * *predictor its BG/NBD predictor, kept with it (the cache's extra).
 */
static ClvModel *
model_by_name(FunctionCallInfo fcinfo, int argno, ClvPredictor **predictor)
{
	ClvModel   *model = model_get_by_arg(fcinfo, argno, CLV_MODEL_KIND, CLV_MODEL_FORMAT,
										 clv_model_decode_cached);
	ModelCallCache *cache = fcinfo->flinfo->fn_extra;

	if (cache->extra == NULL)
	{
		ClvPredictor *p = clv_predictor_create(fcinfo->flinfo->fn_mcxt, &model->bg);

		cache->extra = p;
		cache->extra_cxt = clv_predictor_context(p);
	}
	*predictor = (ClvPredictor *) cache->extra;
	return model;
}

/* The BG/NBD predictor of the model a call names */
static ClvPredictor *
predictor_by_name(FunctionCallInfo fcinfo, int argno)
{
	ClvPredictor *p;

	(void) model_by_name(fcinfo, argno, &p);
	return p;
}

static void
require_spend(const ClvModel *model, FunctionCallInfo fcinfo)
{
	if (!model->has_spend)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("CLV model \"%s\" has no spend model",
						text_to_cstring(PG_GETARG_TEXT_PP(0))),
				 errhint("Fit it with a monetary column in the query, or save it with a Gamma-Gamma value.")));
}

PG_FUNCTION_INFO_V1(profile_clv_p_alive_by_name);
Datum
profile_clv_p_alive_by_name(PG_FUNCTION_ARGS)
{
	ClvPredictor *p = predictor_by_name(fcinfo, 0);
	double		x = PG_GETARG_FLOAT8(1),
				tx = PG_GETARG_FLOAT8(2),
				T = PG_GETARG_FLOAT8(3);

	clv_check_summary(x, tx, T);
	PG_RETURN_FLOAT8(clv_predict_p_alive(p, x, tx, T));
}

PG_FUNCTION_INFO_V1(profile_clv_expected_purchases_by_name);
Datum
profile_clv_expected_purchases_by_name(PG_FUNCTION_ARGS)
{
	ClvPredictor *p = predictor_by_name(fcinfo, 0);
	double		x = PG_GETARG_FLOAT8(1),
				tx = PG_GETARG_FLOAT8(2),
				T = PG_GETARG_FLOAT8(3),
				t = PG_GETARG_FLOAT8(4);

	clv_check_summary(x, tx, T);
	clv_check_horizon_t(t);
	PG_RETURN_FLOAT8(clv_predict_expected(p, x, tx, T, t));
}

PG_FUNCTION_INFO_V1(profile_clv_expected_purchases_new_by_name);
Datum
profile_clv_expected_purchases_new_by_name(PG_FUNCTION_ARGS)
{
	ClvPredictor *p = predictor_by_name(fcinfo, 0);
	double		t = PG_GETARG_FLOAT8(1);

	clv_check_horizon_t(t);
	PG_RETURN_FLOAT8(clv_predict_expected(p, 0, 0, 0, t));
}

PG_FUNCTION_INFO_V1(profile_clv_expected_aov_by_name);
Datum
profile_clv_expected_aov_by_name(PG_FUNCTION_ARGS)
{
	ClvPredictor *p;
	ClvModel   *model = model_by_name(fcinfo, 0, &p);
	double		x = PG_GETARG_FLOAT8(1),
				monetary = PG_GETARG_FLOAT8(2);
	double		aov;

	require_spend(model, fcinfo);
	check_finite(x, "frequency");
	check_finite(monetary, "monetary");
	if (x < 0 || x != floor(x))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("frequency must be a whole number of repeat purchases, 0 or more, not %g", x)));
	if (!clv_gammagamma_aov(&model->gg, x, monetary, &aov))
		PG_RETURN_NULL();
	PG_RETURN_FLOAT8(aov);
}

PG_FUNCTION_INFO_V1(profile_clv_value_by_name);
Datum
profile_clv_value_by_name(PG_FUNCTION_ARGS)
{
	ClvPredictor *p;
	ClvModel   *model = model_by_name(fcinfo, 0, &p);
	double		x = PG_GETARG_FLOAT8(1),
				tx = PG_GETARG_FLOAT8(2),
				T = PG_GETARG_FLOAT8(3),
				monetary = PG_GETARG_FLOAT8(4);
	int32		months = PG_GETARG_INT32(5);
	double		discount_rate = PG_GETARG_FLOAT8(6);
	double		value;

	require_spend(model, fcinfo);
	clv_check_summary(x, tx, T);
	check_finite(monetary, "monetary");
	clv_check_horizon(months, discount_rate);
	if (!clv_value(p, &model->gg, model->unit, x, tx, T, monetary, months,
				   discount_rate, &value))
		PG_RETURN_NULL();
	PG_RETURN_FLOAT8(value);
}

/*
 * profile.clv_score(model, query, months, discount_rate): one row per
 * customer of the query (customer_id, frequency, recency, t [, monetary]):
 * p_alive, expected purchases over the horizon of months months, expected
 * order value and CLV (NULL without monetary or spend model, or where
 * undefined).  Rows with a NULL frequency, recency or t are skipped and
 * counted (NOTICE).
 */
PG_FUNCTION_INFO_V1(profile_clv_score);
Datum
profile_clv_score(PG_FUNCTION_ARGS)
{
	const char *const argnames[] = {"model", "query", "months", "discount_rate"};
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	ClvModel   *model;
	ClvPredictor *p;
	char	   *sql;
	int32		months;
	double		discount_rate;
	double		horizon;
	InnerQuery *query;
	const InnerBatch *batch;
	bool		has_monetary;
	Oid			id_type;
	Oid			outfunc;
	bool		isvarlena;
	int64		skipped = 0;
	MemoryContext rowcxt;
	MemoryContext oldcxt;

	for (int i = 0; i < (int) lengthof(argnames); i++)
		check_arg_not_null(fcinfo, i, argnames[i]);
	model = model_by_name(fcinfo, 0, &p);
	sql = text_to_cstring(PG_GETARG_TEXT_PP(1));
	months = PG_GETARG_INT32(2);
	discount_rate = PG_GETARG_FLOAT8(3);
	clv_check_horizon(months, discount_rate);
	horizon = months * clv_time_unit_per_month(model->unit);
	InitMaterializedSRF(fcinfo, 0);

	query = inner_query_open("profile.clv_score", sql, fit_columns, lengthof(fit_columns));
	has_monetary = inner_query_ncolumns(query) == 5;
	id_type = inner_query_column_type(query, 0);
	getTypeOutputInfo(id_type, &outfunc, &isvarlena);
	rowcxt = AllocSetContextCreate(CurrentMemoryContext, "profile clv score row",
								   ALLOCSET_SMALL_SIZES);
	while ((batch = inner_query_fetch(query)) != NULL)
	{
		for (int i = 0; i < batch->nrows; i++)
		{
			Datum		values[9];
			bool		nulls[9] = {false};
			double		x,
						tx,
						T;

			if (batch->nulls[1][i] || batch->nulls[2][i] || batch->nulls[3][i])
			{
				skipped++;
				continue;
			}
			x = DatumGetFloat8(batch->values[1][i]);
			tx = DatumGetFloat8(batch->values[2][i]);
			T = DatumGetFloat8(batch->values[3][i]);
			clv_check_summary(x, tx, T);
			oldcxt = MemoryContextSwitchTo(rowcxt);
			if (batch->nulls[0][i])
				nulls[0] = true;
			else
				values[0] = CStringGetTextDatum(OidOutputFunctionCall(outfunc, batch->values[0][i]));
			values[1] = Float8GetDatum(x);
			values[2] = Float8GetDatum(tx);
			values[3] = Float8GetDatum(T);
			values[5] = Float8GetDatum(clv_predict_p_alive(p, x, tx, T));
			values[6] = Float8GetDatum(clv_predict_expected(p, x, tx, T, horizon));
			nulls[4] = nulls[7] = nulls[8] = true;
			if (has_monetary && !batch->nulls[4][i])
			{
				double		m = DatumGetFloat8(batch->values[4][i]);
				double		aov;
				double		value;

				check_finite(m, "monetary");
				values[4] = Float8GetDatum(m);
				nulls[4] = false;
				if (model->has_spend && clv_gammagamma_aov(&model->gg, x, m, &aov))
				{
					values[7] = Float8GetDatum(aov);
					nulls[7] = false;
					if (clv_value(p, &model->gg, model->unit, x, tx, T, m,
								  months, discount_rate, &value))
					{
						values[8] = Float8GetDatum(value);
						nulls[8] = false;
					}
				}
			}
			MemoryContextSwitchTo(oldcxt);
			tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
			MemoryContextReset(rowcxt);
		}
	}
	inner_query_close(query);
	MemoryContextDelete(rowcxt);
	if (skipped > 0)
		ereport(NOTICE,
				(errmsg("profile.clv_score skipped " INT64_FORMAT " rows with a NULL frequency, recency or t",
						skipped)));
	return (Datum) 0;
}

/*
 * profile.clv_model_parameters(body): the parameters of a stored CLV model
 * body as one row (behind the view profile.clv_models).
 */
PG_FUNCTION_INFO_V1(profile_clv_model_parameters);
Datum
profile_clv_model_parameters(PG_FUNCTION_ARGS)
{
	ClvModel   *model = clv_model_decode_body("(body)", PG_GETARG_BYTEA_PP(0));
	TupleDesc	tupdesc;
	Datum		values[8];
	bool		nulls[8] = {false};

	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");
	tupdesc = BlessTupleDesc(tupdesc);
	values[0] = CStringGetTextDatum(clv_time_unit_name(model->unit));
	values[1] = Float8GetDatum(model->bg.r);
	values[2] = Float8GetDatum(model->bg.alpha);
	values[3] = Float8GetDatum(model->bg.a);
	values[4] = Float8GetDatum(model->bg.b);
	values[5] = Float8GetDatum(model->gg.p);
	values[6] = Float8GetDatum(model->gg.q);
	values[7] = Float8GetDatum(model->gg.v);
	nulls[5] = nulls[6] = nulls[7] = !model->has_spend;
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(tupdesc, values, nulls)));
}

/*
 * clv_model_lookup: the parts of a stored CLV model (for
 * profile.customer_profiles); has_spend says whether gg is set.
 */
void
clv_model_lookup(const char *name, ClvTimeUnit *unit, ClvBgnbd *bg,
				 bool *has_spend, ClvGammaGamma *gg)
{
	ClvModel   *model = model_get(name, CLV_MODEL_KIND, CLV_MODEL_FORMAT,
								  clv_model_decode_cached);

	*unit = model->unit;
	*bg = model->bg;
	*has_spend = model->has_spend;
	*gg = model->gg;
}
