/*-------------------------------------------------------------------------
 *
 * rfm.c
 *	  RFM in one call, and stored RFM models.
 *
 *	- profile.rfm(query, as_of, bins, segment_map): runs the inner query
 *	  (customer_id, ordered_at, amount [, order_id]), summarises every
 *	  customer (rfm_summary.c), scores recency (descending: recent is
 *	  better), frequency and monetary with the tie-aware rule of quantile.c,
 *	  and names segments by a segment map (segment_map.c);
 *	- profile.rfm_fit(name, query, ...): the same run, whose score
 *	  boundaries are stored as a model of kind 'rfm';
 *	- profile.rfm_score(model, recency_days, frequency, monetary): scores a
 *	  customer with a stored model's boundaries, so that new or changed
 *	  customers are scored like the ones it was fitted on;
 *	- profile.rfm_model_boundaries(body): a model body as rows, behind the
 *	  view profile.rfm_boundaries that BI tools read.
 *
 * Customers are those with at least one purchase (amount >= 0); customers
 * with returns only are left out and counted in a NOTICE, like rows with a
 * NULL customer id or a NULL value.  as_of defaults to the latest row.
 *
 * Model body (format 1, network byte order, pq_send*):
 *	  int32 bins, int64 customers,
 *	  3 x (int8 descending, (bins - 1) x float8 boundary, bins x int64
 *		  customers per score), for recency, frequency, monetary;
 *	  int8 has_segment_map, then when 1 the map's name as int32 length and
 *	  bytes.
 *
 * IDENTIFICATION
 *	  src/rfm.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "fmgr.h"
#include "funcapi.h"
#include "lib/stringinfo.h"
#include "libpq/pqformat.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/json.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/timestamp.h"

#include "profile.h"

#define RFM_MODEL_KIND		"rfm"
#define RFM_MODEL_FORMAT	1

static const char *const dimension_names[3] = {"recency", "frequency", "monetary"};

/* Recency scores high for recent customers: its scores are reversed */
static const bool dimension_descending[3] = {true, false, false};

/* The customers of one run over an inner query */
typedef struct RfmRun
{
	RfmCustomers *customers;
	Oid			customer_type;	/* base type of the customer id column */
	int32		n;				/* customers with a purchase */
	int32	   *index;			/* their index in customers */
	int32	   *recency_days;
	int32	   *tenure_days;
	int64	   *frequency;
	double	   *monetary;
	double	   *dims[3];		/* recency, frequency, monetary as float8 */
	TimestampTz as_of;
	uint64		rows_read;
	int64		skipped_no_customer;
	int64		skipped_null;
	int32		returns_only;
} RfmRun;

static const InnerColumn rfm_columns[4] = {
	{"customer_id", INNER_KEY, false},
	{"ordered_at", INNER_TIME, false},
	{"amount", INNER_NUMBER, false},
	{"order_id", INNER_KEY, true},
};

static bool
is_integer_type(Oid typid)
{
	return typid == INT2OID || typid == INT4OID || typid == INT8OID;
}

/*
 * rfm_run: read the query and summarise its customers.  as_of NULL (not
 * given) means the latest row of the input.
 */
static void
rfm_run(RfmRun *run, const char *caller, const char *sql, bool has_as_of,
		TimestampTz as_of, MemoryBudget *budget)
{
	InnerQuery *query;
	const InnerBatch *batch;
	Oid			order_type = InvalidOid;
	bool		keyed;
	int32		count;
	DateADT		as_of_day = 0;

	memset(run, 0, sizeof(RfmRun));
	if (has_as_of && TIMESTAMP_NOT_FINITE(as_of))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("as_of must be a finite timestamp")));

	query = inner_query_open(caller, sql, rfm_columns, lengthof(rfm_columns));
	run->customer_type = getBaseType(inner_query_column_type(query, 0));
	keyed = inner_query_ncolumns(query) == 4;
	if (keyed)
		order_type = getBaseType(inner_query_column_type(query, 3));
	run->customers = rfm_customers_create(budget, is_integer_type(run->customer_type), keyed);

	while ((batch = inner_query_fetch(query)) != NULL)
		rfm_customers_add_batch(run->customers, batch, run->customer_type, order_type,
								&run->skipped_no_customer, &run->skipped_null);
	run->rows_read = inner_query_rows_read(query);
	inner_query_close(query);

	count = rfm_customers_count(run->customers);
	run->as_of = has_as_of ? as_of : rfm_customers_latest(run->customers);

	budget_reserve_array(budget, count, sizeof(int32) * 3 + sizeof(int64) + sizeof(double) * 4,
						 "scores");
	run->index = palloc(sizeof(int32) * Max(count, 1));
	run->recency_days = palloc(sizeof(int32) * Max(count, 1));
	run->tenure_days = palloc(sizeof(int32) * Max(count, 1));
	run->frequency = palloc(sizeof(int64) * Max(count, 1));
	run->monetary = palloc(sizeof(double) * Max(count, 1));
	for (int d = 0; d < 3; d++)
		run->dims[d] = palloc(sizeof(double) * Max(count, 1));

	if (count > 0)
		as_of_day = rfm_as_of_day(run->as_of, rfm_customers_latest(run->customers));
	for (int32 i = 0; i < count; i++)
	{
		const RfmAccum *accum = rfm_customers_accum(run->customers, i);
		int32		n = run->n;

		if (accum->purchases == 0)
		{
			run->returns_only++;
			continue;
		}
		run->index[n] = i;
		rfm_accum_days(accum, as_of_day, &run->recency_days[n], &run->tenure_days[n]);
		run->frequency[n] = rfm_customers_frequency(run->customers, i);
		run->monetary[n] = rfm_accum_monetary(accum);
		run->dims[0][n] = run->recency_days[n];
		run->dims[1][n] = (double) run->frequency[n];
		run->dims[2][n] = run->monetary[n];
		run->n++;
	}

	if (run->skipped_no_customer > 0 || run->skipped_null > 0 || run->returns_only > 0)
		ereport(NOTICE,
				(errmsg("%s left out " INT64_FORMAT " of " UINT64_FORMAT " rows and %d customers",
						caller, run->skipped_no_customer + run->skipped_null,
						run->rows_read, run->returns_only),
				 errdetail(INT64_FORMAT " rows have a NULL customer_id, " INT64_FORMAT
						   " a NULL ordered_at, amount or order_id; %d customers have returns only.",
						   run->skipped_no_customer, run->skipped_null, run->returns_only)));
}

/* bins and segment map of a call; the map is NULL when none was asked */
static SegmentMap *
rfm_check_params(FunctionCallInfo fcinfo, int bins_arg, int map_arg, int *bins)
{
	SegmentMap *map = NULL;

	check_arg_not_null(fcinfo, bins_arg, "bins");
	*bins = PG_GETARG_INT32(bins_arg);
	check_int_range(*bins, 2, RFM_MAX_BINS, "bins");
	if (!PG_ARGISNULL(map_arg))
	{
		map = segment_map_load(text_to_cstring(PG_GETARG_TEXT_PP(map_arg)));
		if (map->bins != *bins)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("segment map \"%s\" is written for %d bins, not %d",
							map->name, map->bins, *bins),
					 errhint("Pass bins => %d, a map written for %d bins, or segment_map => NULL.",
							 map->bins, *bins)));
	}
	return map;
}

static void
format_cell(char *cell, const int32 *scores)
{
	cell[0] = '0' + scores[0];
	cell[1] = '0' + scores[1];
	cell[2] = '0' + scores[2];
	cell[3] = '\0';
}

/*
 * profile.rfm(query, as_of, bins, segment_map): one row per customer.
 */
PG_FUNCTION_INFO_V1(profile_rfm);
Datum
profile_rfm(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	MemoryBudget budget;
	RfmRun		run;
	SegmentMap *map;
	int			bins;
	int32	   *scores[3];
	MemoryContext workcxt;
	MemoryContext oldcxt;

	check_arg_not_null(fcinfo, 0, "query");
	map = rfm_check_params(fcinfo, 2, 3, &bins);
	InitMaterializedSRF(fcinfo, 0);

	workcxt = AllocSetContextCreate(CurrentMemoryContext, "profile rfm",
									ALLOCSET_DEFAULT_SIZES);
	oldcxt = MemoryContextSwitchTo(workcxt);
	budget_init(&budget, "profile.rfm");
	rfm_run(&run, "profile.rfm", text_to_cstring(PG_GETARG_TEXT_PP(0)),
			!PG_ARGISNULL(1), PG_ARGISNULL(1) ? 0 : PG_GETARG_TIMESTAMPTZ(1), &budget);

	for (int d = 0; d < 3; d++)
	{
		scores[d] = palloc(sizeof(int32) * Max(run.n, 1));
		if (run.n > 0)
			quantile_scores(run.dims[d], run.n, bins, dimension_descending[d],
							scores[d], &budget);
	}

	for (int32 i = 0; i < run.n; i++)
	{
		const RfmAccum *accum = rfm_customers_accum(run.customers, run.index[i]);
		Datum		values[13];
		bool		nulls[13] = {false};
		int32		cell_scores[3] = {scores[0][i], scores[1][i], scores[2][i]};
		char		cell[4];

		if ((i & 0xffff) == 0)
			CHECK_FOR_INTERRUPTS();
		format_cell(cell, cell_scores);
		values[0] = CStringGetTextDatum(rfm_customers_id_text(run.customers, run.index[i],
															  run.customer_type));
		values[1] = Int32GetDatum(run.recency_days[i]);
		values[2] = Int64GetDatum(run.frequency[i]);
		values[3] = Float8GetDatum(run.monetary[i]);
		values[4] = TimestampTzGetDatum(accum->first_order);
		values[5] = TimestampTzGetDatum(accum->last_order);
		values[6] = Int32GetDatum(run.tenure_days[i]);
		values[7] = Float8GetDatum(run.monetary[i] / (double) run.frequency[i]);
		values[8] = Int32GetDatum(scores[0][i]);
		values[9] = Int32GetDatum(scores[1][i]);
		values[10] = Int32GetDatum(scores[2][i]);
		values[11] = CStringGetTextDatum(cell);
		if (map)
			values[12] = CStringGetTextDatum(segment_map_lookup(map, scores[0][i],
																scores[1][i], scores[2][i]));
		else
			nulls[12] = true;
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
		pfree(DatumGetPointer(values[0]));
	}

	MemoryContextSwitchTo(oldcxt);
	MemoryContextDelete(workcxt);
	return (Datum) 0;
}

/* ---- stored models ---- */

typedef struct RfmModel
{
	int			bins;
	int64		customers;
	bool		descending[3];
	double		boundaries[3][RFM_MAX_BINS - 1];
	int64		counts[3][RFM_MAX_BINS];
	char	   *segment_map;	/* NULL: none */
} RfmModel;

static void corrupt_model(const char *name, const char *why) pg_attribute_noreturn();

static void
corrupt_model(const char *name, const char *why)
{
	ereport(ERROR,
			(errcode(ERRCODE_DATA_CORRUPTED),
			 errmsg("RFM model \"%s\" is corrupted: %s", name, why),
			 errhint("Fit it again with profile.rfm_fit.")));
}

static bytea *
rfm_model_encode(const RfmModel *model)
{
	StringInfoData buf;

	pq_begintypsend(&buf);
	pq_sendint32(&buf, model->bins);
	pq_sendint64(&buf, model->customers);
	for (int d = 0; d < 3; d++)
	{
		pq_sendbyte(&buf, model->descending[d] ? 1 : 0);
		for (int j = 0; j < model->bins - 1; j++)
			pq_sendfloat8(&buf, model->boundaries[d][j]);
		for (int s = 0; s < model->bins; s++)
			pq_sendint64(&buf, model->counts[d][s]);
	}
	/* counted bytes, not pq_sendstring: no client encoding conversion */
	pq_sendbyte(&buf, model->segment_map ? 1 : 0);
	if (model->segment_map)
	{
		pq_sendint32(&buf, (int32) strlen(model->segment_map));
		pq_sendbytes(&buf, model->segment_map, strlen(model->segment_map));
	}
	return pq_endtypsend(&buf);
}

/* Decode and check a body (untrusted: every size and value is checked) */
static RfmModel *
rfm_model_decode_body(const char *name, const bytea *body)
{
	RfmModel   *model = palloc0(sizeof(RfmModel));
	StringInfoData buf;
	Size		len = VARSIZE_ANY_EXHDR(body);
	Size		fixed;

	buf.data = (char *) VARDATA_ANY(body);
	buf.len = (int) len;
	buf.maxlen = (int) len;
	buf.cursor = 0;
	if (len < 12)
		corrupt_model(name, "body too short");
	model->bins = pq_getmsgint(&buf, 4);
	if (model->bins < 2 || model->bins > RFM_MAX_BINS)
		corrupt_model(name, "bad number of bins");
	model->customers = pq_getmsgint64(&buf);
	fixed = 12 + 3 * (1 + 8 * (Size) (model->bins - 1) + 8 * (Size) model->bins) + 1;
	if (len < fixed)
		corrupt_model(name, "body too short");
	for (int d = 0; d < 3; d++)
	{
		int64		total = 0;
		int			flag = pq_getmsgbyte(&buf);

		if (flag != (dimension_descending[d] ? 1 : 0))
			corrupt_model(name, "bad direction");
		model->descending[d] = flag == 1;
		for (int j = 0; j < model->bins - 1; j++)
		{
			model->boundaries[d][j] = pq_getmsgfloat8(&buf);
			if (!isfinite(model->boundaries[d][j]) ||
				(j > 0 && (model->descending[d] ?
						   model->boundaries[d][j] > model->boundaries[d][j - 1] :
						   model->boundaries[d][j] < model->boundaries[d][j - 1])))
				corrupt_model(name, "boundaries out of order");
		}
		for (int s = 0; s < model->bins; s++)
		{
			model->counts[d][s] = pq_getmsgint64(&buf);
			if (model->counts[d][s] < 0 || model->counts[d][s] > model->customers)
				corrupt_model(name, "bad counts");
			total += model->counts[d][s];
		}
		if (total != model->customers)
			corrupt_model(name, "bad counts");
	}
	switch (pq_getmsgbyte(&buf))
	{
		case 0:
			break;
		case 1:
			{
				int32		maplen;
				const char *map;

				if (buf.len - buf.cursor < 4)
					corrupt_model(name, "body too short");
				maplen = pq_getmsgint(&buf, 4);
				if (maplen < 1 || maplen > NAMEDATALEN || maplen > buf.len - buf.cursor)
					corrupt_model(name, "bad segment map name");
				map = pq_getmsgbytes(&buf, maplen);
				if (memchr(map, '\0', maplen) != NULL)
					corrupt_model(name, "bad segment map name");
				model->segment_map = pnstrdup(map, maplen);
				break;
			}
		default:
			corrupt_model(name, "bad segment map flag");
	}
	if (buf.cursor != buf.len)
		corrupt_model(name, "trailing bytes");
	return model;
}

/* rfm_model_decode_body as model_get() calls it */
static void *
rfm_model_decode_cached(const char *name, const bytea *body)
{
	return rfm_model_decode_body(name, body);
}

/*
 * profile.rfm_fit(name, query, as_of, bins, segment_map): fit and store.
 * Empty input stores nothing and returns model NULL.
 */
PG_FUNCTION_INFO_V1(profile_rfm_fit);
Datum
profile_rfm_fit(PG_FUNCTION_ARGS)
{
	MemoryBudget budget;
	RfmRun		run;
	SegmentMap *map;
	int			bins;
	char	   *name;
	TupleDesc	tupdesc;
	Datum		values[4];
	bool		nulls[4] = {false};

	check_arg_not_null(fcinfo, 0, "name");
	check_arg_not_null(fcinfo, 1, "query");
	name = text_to_cstring(PG_GETARG_TEXT_PP(0));
	model_check_name(name);
	map = rfm_check_params(fcinfo, 3, 4, &bins);
	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");
	tupdesc = BlessTupleDesc(tupdesc);

	budget_init(&budget, "profile.rfm_fit");
	rfm_run(&run, "profile.rfm_fit", text_to_cstring(PG_GETARG_TEXT_PP(1)),
			!PG_ARGISNULL(2), PG_ARGISNULL(2) ? 0 : PG_GETARG_TIMESTAMPTZ(2), &budget);

	if (run.n > 0)
	{
		RfmModel	model;
		StringInfoData params;
		StringInfoData summary;
		int32	   *scores = palloc(sizeof(int32) * run.n);

		memset(&model, 0, sizeof(model));
		model.bins = bins;
		model.customers = run.n;
		model.segment_map = map ? map->name : NULL;
		for (int d = 0; d < 3; d++)
		{
			model.descending[d] = dimension_descending[d];
			quantile_boundaries(run.dims[d], run.n, bins, model.descending[d],
								model.boundaries[d], &budget);
			quantile_scores(run.dims[d], run.n, bins, model.descending[d], scores, &budget);
			for (int32 i = 0; i < run.n; i++)
				model.counts[d][scores[i] - 1]++;
		}

		model_json_begin(&params);
		model_json_key(&params, "bins");
		appendStringInfo(&params, "%d", bins);
		model_json_key(&params, "segment_map");
		if (map)
			escape_json(&params, map->name);
		else
			appendStringInfoString(&params, "null");
		model_json_key(&params, "as_of");
		escape_json(&params, timestamptz_to_str(run.as_of));

		model_json_begin(&summary);
		model_json_key(&summary, "customers");
		appendStringInfo(&summary, "%d", run.n);
		model_json_key(&summary, "rows_read");
		appendStringInfo(&summary, UINT64_FORMAT, run.rows_read);
		model_json_key(&summary, "rows_left_out");
		appendStringInfo(&summary, INT64_FORMAT, run.skipped_no_customer + run.skipped_null);
		model_json_key(&summary, "customers_with_returns_only");
		appendStringInfo(&summary, "%d", run.returns_only);

		model_store(name, RFM_MODEL_KIND, RFM_MODEL_FORMAT, model_json_finish(&params),
					model_json_finish(&summary), rfm_model_encode(&model));
		values[0] = CStringGetTextDatum(name);
		values[3] = TimestampTzGetDatum(run.as_of);
	}
	else
		nulls[0] = nulls[3] = true;
	values[1] = Int64GetDatum(run.n);
	values[2] = Int64GetDatum((int64) run.rows_read);
	rfm_customers_free(run.customers);
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(tupdesc, values, nulls)));
}

/* What profile.rfm_score keeps between calls of one query */
typedef struct RfmScoreCache
{
	char	   *map_name;
	SegmentMap *map;
} RfmScoreCache;

/*
 * profile.rfm_score(model, recency_days, frequency, monetary).
 */
PG_FUNCTION_INFO_V1(profile_rfm_score);
Datum
profile_rfm_score(PG_FUNCTION_ARGS)
{
	char	   *name = text_to_cstring(PG_GETARG_TEXT_PP(0));
	int32		recency_days = PG_GETARG_INT32(1);
	int64		frequency = PG_GETARG_INT64(2);
	double		monetary = PG_GETARG_FLOAT8(3);
	RfmModel   *model = model_get(name, RFM_MODEL_KIND, RFM_MODEL_FORMAT, rfm_model_decode_cached);
	RfmScoreCache *cache = fcinfo->flinfo->fn_extra;
	double		dims[3];
	int32		scores[3];
	char		cell[4];
	TupleDesc	tupdesc;
	Datum		values[5];
	bool		nulls[5] = {false};

	if (recency_days < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("recency_days must not be negative, not %d", recency_days)));
	if (frequency < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("frequency must not be negative, not " INT64_FORMAT, frequency)));
	check_finite(monetary, "monetary");
	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");
	tupdesc = BlessTupleDesc(tupdesc);

	dims[0] = recency_days;
	dims[1] = (double) frequency;
	dims[2] = monetary;
	for (int d = 0; d < 3; d++)
		scores[d] = quantile_score_of(dims[d], model->boundaries[d], model->bins,
									  model->descending[d]);
	format_cell(cell, scores);
	values[0] = Int32GetDatum(scores[0]);
	values[1] = Int32GetDatum(scores[1]);
	values[2] = Int32GetDatum(scores[2]);
	values[3] = CStringGetTextDatum(cell);

	if (model->segment_map == NULL)
		nulls[4] = true;
	else
	{
		/* the map is read once per query (the function is STABLE) */
		if (cache == NULL)
			cache = fcinfo->flinfo->fn_extra =
				MemoryContextAllocZero(fcinfo->flinfo->fn_mcxt, sizeof(RfmScoreCache));
		if (cache->map_name == NULL || strcmp(cache->map_name, model->segment_map) != 0)
		{
			MemoryContext oldcxt = MemoryContextSwitchTo(fcinfo->flinfo->fn_mcxt);

			cache->map = segment_map_load(model->segment_map);
			cache->map_name = pstrdup(model->segment_map);
			MemoryContextSwitchTo(oldcxt);
		}
		if (cache->map->bins != model->bins)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("segment map \"%s\" is now written for %d bins, but model \"%s\" has %d",
							cache->map->name, cache->map->bins, name, model->bins)));
		values[4] = CStringGetTextDatum(segment_map_lookup(cache->map, scores[0],
														   scores[1], scores[2]));
	}
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(tupdesc, values, nulls)));
}

/*
 * profile.rfm_model_boundaries(body): one row per dimension and score.
 * Frequency and monetary score s for lower_bound < value <= upper_bound;
 * recency (reversed) for lower_bound <= value < upper_bound; NULL bounds
 * are open.
 */
PG_FUNCTION_INFO_V1(profile_rfm_model_boundaries);
Datum
profile_rfm_model_boundaries(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	RfmModel   *model = rfm_model_decode_body("(body)", PG_GETARG_BYTEA_PP(0));

	InitMaterializedSRF(fcinfo, 0);
	for (int d = 0; d < 3; d++)
	{
		for (int s = 1; s <= model->bins; s++)
		{
			Datum		values[5];
			bool		nulls[5] = {false};
			bool		has_lower;
			bool		has_upper;
			double		lower;
			double		upper;

			if (model->descending[d])
			{
				has_lower = s < model->bins;
				lower = has_lower ? model->boundaries[d][s - 1] : 0;
				has_upper = s > 1;
				upper = has_upper ? model->boundaries[d][s - 2] : 0;
			}
			else
			{
				has_lower = s > 1;
				lower = has_lower ? model->boundaries[d][s - 2] : 0;
				has_upper = s < model->bins;
				upper = has_upper ? model->boundaries[d][s - 1] : 0;
			}
			values[0] = CStringGetTextDatum(dimension_names[d]);
			values[1] = Int32GetDatum(s);
			values[2] = Float8GetDatum(lower);
			nulls[2] = !has_lower;
			values[3] = Float8GetDatum(upper);
			nulls[3] = !has_upper;
			values[4] = Int64GetDatum(model->counts[d][s - 1]);
			tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
		}
	}
	return (Datum) 0;
}

/*
 * rfm_model_scorer: a stored RFM model's scores of one customer, and the
 * segment under its map (NULL without one).  The map is loaded once per
 * scorer; pass a zeroed scorer the first time.
 */
void
rfm_model_score(RfmScorer *scorer, int32 recency_days, int64 frequency, double monetary,
				int32 *scores, const char **segment)
{
	RfmModel   *model = model_get(scorer->model, RFM_MODEL_KIND, RFM_MODEL_FORMAT,
								  rfm_model_decode_cached);
	double		dims[3];

	dims[0] = recency_days;
	dims[1] = (double) frequency;
	dims[2] = monetary;
	for (int d = 0; d < 3; d++)
		scores[d] = quantile_score_of(dims[d], model->boundaries[d], model->bins,
									  model->descending[d]);
	*segment = NULL;
	if (model->segment_map == NULL)
		return;
	if (scorer->map == NULL || strcmp(scorer->map->name, model->segment_map) != 0)
		scorer->map = segment_map_load(model->segment_map);
	if (scorer->map->bins != model->bins)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("segment map \"%s\" is now written for %d bins, but model \"%s\" has %d",
						scorer->map->name, scorer->map->bins, scorer->model, model->bins)));
	*segment = segment_map_lookup(scorer->map, scores[0], scores[1], scores[2]);
}
