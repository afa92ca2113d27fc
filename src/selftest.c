/*-------------------------------------------------------------------------
 *
 * selftest.c
 *	  SQL-callable hooks into the shared helpers, for the regression tests.
 *
 * The install script does not create these functions: the tests that need
 * them (sql/helpers.sql, sql/model.sql) bind them to a schema of their own
 * with CREATE FUNCTION ... AS 'MODULE_PATHNAME', 'profile_selftest_...',
 * which only a superuser can do.  They let the tests exercise the helpers
 * directly: checks, memory budget, PRNG reference vectors, inner queries
 * and the model cache.
 *
 * IDENTIFICATION
 *	  src/selftest.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "funcapi.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"

#include "prng.h"
#include "profile.h"

/* check_finite(value, 'value') */
PG_FUNCTION_INFO_V1(profile_selftest_check_finite);
Datum
profile_selftest_check_finite(PG_FUNCTION_ARGS)
{
	check_finite(PG_GETARG_FLOAT8(0), "value");
	PG_RETURN_BOOL(true);
}

/* check_int_range(value, min, max, 'k') */
PG_FUNCTION_INFO_V1(profile_selftest_check_int_range);
Datum
profile_selftest_check_int_range(PG_FUNCTION_ARGS)
{
	check_int_range(PG_GETARG_INT64(0), PG_GETARG_INT64(1), PG_GETARG_INT64(2), "k");
	PG_RETURN_BOOL(true);
}

/* check_float_range(value, min, max, 'min_support') */
PG_FUNCTION_INFO_V1(profile_selftest_check_float_range);
Datum
profile_selftest_check_float_range(PG_FUNCTION_ARGS)
{
	check_float_range(PG_GETARG_FLOAT8(0), PG_GETARG_FLOAT8(1), PG_GETARG_FLOAT8(2),
					  "min_support");
	PG_RETURN_BOOL(true);
}

/* check_arg_not_null on argument 0, a non-STRICT function */
PG_FUNCTION_INFO_V1(profile_selftest_check_not_null);
Datum
profile_selftest_check_not_null(PG_FUNCTION_ARGS)
{
	check_arg_not_null(fcinfo, 0, "bins");
	PG_RETURN_INT32(PG_GETARG_INT32(0));
}

/*
 * Reserve each element of an int8[] (bytes) against the budget, as
 * count x element size when a second array of sizes is given; returns the
 * bytes reserved in all.
 */
PG_FUNCTION_INFO_V1(profile_selftest_budget);
Datum
profile_selftest_budget(PG_FUNCTION_ARGS)
{
	ArrayType  *counts = PG_GETARG_ARRAYTYPE_P(0);
	int64		elemsize = PG_GETARG_INT64(1);
	Datum	   *values;
	bool	   *nulls;
	int			n;
	MemoryBudget budget;

	deconstruct_array(counts, INT8OID, 8, true, TYPALIGN_DOUBLE, &values, &nulls, &n);
	budget_init(&budget, "the self-test");
	for (int i = 0; i < n; i++)
	{
		if (nulls[i] || DatumGetInt64(values[i]) < 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("counts must be non-negative")));
		budget_reserve_array(&budget, (Size) DatumGetInt64(values[i]), (Size) elemsize,
							 "test arrays");
	}
	PG_RETURN_INT64((int64) budget.used);
}

/* n >= 1 unsigned 64-bit values as a text[] (SQL has no such type) */
static ArrayType *
uint64_text_array(const uint64 *values, int n)
{
	Datum	   *out = palloc(sizeof(Datum) * n);

	for (int i = 0; i < n; i++)
	{
		char		buf[32];

		snprintf(buf, sizeof(buf), UINT64_FORMAT, values[i]);
		out[i] = CStringGetTextDatum(buf);
	}
	return construct_array(out, n, TEXTOID, -1, false, TYPALIGN_INT);
}

static int
check_count(int n)
{
	if (n < 1 || n > 1000)
		ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE), errmsg("n must be between 1 and 1000")));
	return n;
}

/* The first n outputs of xoshiro256** from the raw state s0..s3, as text */
PG_FUNCTION_INFO_V1(profile_selftest_prng_raw);
Datum
profile_selftest_prng_raw(PG_FUNCTION_ARGS)
{
	ProfilePrng rng;
	int			n = check_count(PG_GETARG_INT32(4));
	uint64	   *values = palloc(sizeof(uint64) * n);

	for (int i = 0; i < 4; i++)
		rng.s[i] = (uint64_t) PG_GETARG_INT64(i);
	for (int i = 0; i < n; i++)
		values[i] = prng_next(&rng);
	PG_RETURN_ARRAYTYPE_P(uint64_text_array(values, n));
}

/* splitmix64 outputs from state x, as text (reference: Vigna's splitmix64.c) */
PG_FUNCTION_INFO_V1(profile_selftest_splitmix);
Datum
profile_selftest_splitmix(PG_FUNCTION_ARGS)
{
	uint64_t	x = (uint64_t) PG_GETARG_INT64(0);
	int			n = check_count(PG_GETARG_INT32(1));
	uint64	   *values = palloc(sizeof(uint64) * n);

	for (int i = 0; i < n; i++)
		values[i] = prng_splitmix64(&x);
	PG_RETURN_ARRAYTYPE_P(uint64_text_array(values, n));
}

/*
 * n draws of a distribution from stream (seed, stream): 'uniform',
 * 'normal', 'exponential' (mean 1), 'poisson' (mean 3) or 'below' (an
 * integer in [0, 10)).
 */
PG_FUNCTION_INFO_V1(profile_selftest_prng);
Datum
profile_selftest_prng(PG_FUNCTION_ARGS)
{
	int64		seed = PG_GETARG_INT64(0);
	int64		stream = PG_GETARG_INT64(1);
	char	   *dist = text_to_cstring(PG_GETARG_TEXT_PP(2));
	int			n = PG_GETARG_INT32(3);
	ProfilePrng rng;
	Datum	   *out;

	if (n < 1 || n > 10000000)
		ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE), errmsg("n out of range")));
	prng_seed_stream(&rng, (uint64_t) seed, (uint64_t) stream);
	out = palloc(sizeof(Datum) * n);
	for (int i = 0; i < n; i++)
	{
		double		v;

		if (strcmp(dist, "uniform") == 0)
			v = prng_uniform(&rng);
		else if (strcmp(dist, "normal") == 0)
			v = prng_normal(&rng);
		else if (strcmp(dist, "exponential") == 0)
			v = prng_exponential(&rng, 1.0);
		else if (strcmp(dist, "poisson") == 0)
			v = prng_poisson(&rng, 3.0);
		else if (strcmp(dist, "below") == 0)
			v = (double) prng_below(&rng, 10);
		else
			ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
							errmsg("unknown distribution \"%s\"", dist)));
		out[i] = Float8GetDatum(v);
	}
	PG_RETURN_ARRAYTYPE_P(construct_array(out, n, FLOAT8OID, 8, true, TYPALIGN_DOUBLE));
}

/*
 * Run an inner query whose columns are described by kinds ('key',
 * 'number', 'time', 'float8[]', with a '?' suffix for optional ones) and
 * report what the helper saw: rows, batches, the column types, the sum of
 * all number columns, of all time columns (as epoch seconds) and of the
 * lengths of all float8[] values, and the number of NULLs seen.
 */
PG_FUNCTION_INFO_V1(profile_selftest_query);
Datum
profile_selftest_query(PG_FUNCTION_ARGS)
{
	char	   *sql = text_to_cstring(PG_GETARG_TEXT_PP(0));
	ArrayType  *kinds = PG_GETARG_ARRAYTYPE_P(1);
	Datum	   *kindvals;
	bool	   *kindnulls;
	int			nkinds;
	InnerColumn *columns;
	InnerQuery *query;
	const InnerBatch *batch;
	int64		batches = 0;
	int64		nulls = 0;
	double		numbersum = 0.0;
	double		timesum = 0.0;
	int64		arraylen = 0;
	TupleDesc	tupdesc;
	Datum		result[7];
	bool		resultnulls[7] = {false, false, false, false, false, false, false};
	Datum	   *typenames;
	int			ncolumns;

	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");

	deconstruct_array(kinds, TEXTOID, -1, false, TYPALIGN_INT, &kindvals, &kindnulls, &nkinds);
	columns = palloc0(sizeof(InnerColumn) * (nkinds > 0 ? nkinds : 1));
	for (int i = 0; i < nkinds; i++)
	{
		char	   *k = TextDatumGetCString(kindvals[i]);
		size_t		len = strlen(k);

		columns[i].optional = (len > 0 && k[len - 1] == '?');
		if (columns[i].optional)
			k[len - 1] = '\0';
		columns[i].name = psprintf("col%d", i + 1);
		if (strcmp(k, "key") == 0)
			columns[i].kind = INNER_KEY;
		else if (strcmp(k, "number") == 0)
			columns[i].kind = INNER_NUMBER;
		else if (strcmp(k, "time") == 0)
			columns[i].kind = INNER_TIME;
		else if (strcmp(k, "float8[]") == 0)
			columns[i].kind = INNER_FLOAT8_ARRAY;
		else
			ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
							errmsg("unknown column kind \"%s\"", k)));
	}

	query = inner_query_open("profile_test.run_query", sql, columns, nkinds);
	ncolumns = inner_query_ncolumns(query);
	while ((batch = inner_query_fetch(query)) != NULL)
	{
		batches++;
		for (int col = 0; col < ncolumns; col++)
		{
			for (int row = 0; row < batch->nrows; row++)
			{
				Datum		v = batch->values[col][row];

				if (batch->nulls[col][row])
				{
					nulls++;
					continue;
				}
				switch (columns[col].kind)
				{
					case INNER_NUMBER:
						numbersum += DatumGetFloat8(v);
						break;
					case INNER_TIME:
						timesum += (double) DatumGetTimestampTz(v) / USECS_PER_SEC +
							(double) ((POSTGRES_EPOCH_JDATE - UNIX_EPOCH_JDATE) * SECS_PER_DAY);
						break;
					case INNER_FLOAT8_ARRAY:
						arraylen += ArrayGetNItems(ARR_NDIM(DatumGetArrayTypeP(v)),
												   ARR_DIMS(DatumGetArrayTypeP(v)));
						break;
					case INNER_KEY:
					case INNER_ITEMS:
						break;
				}
			}
		}
	}

	typenames = palloc(sizeof(Datum) * (ncolumns > 0 ? ncolumns : 1));
	for (int col = 0; col < ncolumns; col++)
		typenames[col] = CStringGetTextDatum(format_type_be(inner_query_column_type(query, col)));
	result[0] = Int64GetDatum((int64) inner_query_rows_read(query));
	result[1] = Int64GetDatum(batches);
	result[2] = PointerGetDatum(construct_array(typenames, ncolumns, TEXTOID, -1, false, TYPALIGN_INT));
	result[3] = Float8GetDatum(numbersum);
	result[4] = Float8GetDatum(timesum);
	result[5] = Int64GetDatum(arraylen);
	result[6] = Int64GetDatum(nulls);
	inner_query_close(query);
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(BlessTupleDesc(tupdesc), result, resultnulls)));
}

/* ---- model catalog ---- */

#define SELFTEST_MAGIC	"PROF"		/* the body's first 4 bytes */

/*
 * Decode a 'selftest' model: the body must be 4 magic bytes then text.
 * Returns the text as a C string: what a kind's decoder does in small.
 */
static void *
selftest_decode(const char *name, const bytea *body)
{
	if (VARSIZE_ANY_EXHDR(body) < 4)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("model \"%s\" has a truncated body", name)));
	if (memcmp(VARDATA_ANY(body), SELFTEST_MAGIC, 4) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("model \"%s\" has a corrupted body", name)));
	return pnstrdup(VARDATA_ANY(body) + 4, VARSIZE_ANY_EXHDR(body) - 4);
}

/* model_store(name, 'selftest', 1, params, NULL, magic || text) */
PG_FUNCTION_INFO_V1(profile_selftest_model_store);
Datum
profile_selftest_model_store(PG_FUNCTION_ARGS)
{
	char	   *name = text_to_cstring(PG_GETARG_TEXT_PP(0));
	text	   *payload = PG_GETARG_TEXT_PP(1);
	Jsonb	   *params = PG_ARGISNULL(2) ? NULL : PG_GETARG_JSONB_P(2);
	int			len = VARSIZE_ANY_EXHDR(payload);
	bytea	   *body = palloc(VARHDRSZ + 4 + len);

	SET_VARSIZE(body, VARHDRSZ + 4 + len);
	memcpy(VARDATA(body), SELFTEST_MAGIC, 4);
	memcpy(VARDATA(body) + 4, VARDATA_ANY(payload), len);
	model_store(name, "selftest", 1, params, NULL, body);
	PG_RETURN_VOID();
}

/* The payload of a 'selftest' model, read through the cache */
PG_FUNCTION_INFO_V1(profile_selftest_model_get);
Datum
profile_selftest_model_get(PG_FUNCTION_ARGS)
{
	char	   *name = text_to_cstring(PG_GETARG_TEXT_PP(0));
	char	   *kind = text_to_cstring(PG_GETARG_TEXT_PP(1));
	const char *payload = model_get(name, kind, 1, selftest_decode);

	PG_RETURN_TEXT_P(cstring_to_text(payload));
}

/* Cache statistics: entries now, rows decoded since the backend started */
PG_FUNCTION_INFO_V1(profile_selftest_model_cache);
Datum
profile_selftest_model_cache(PG_FUNCTION_ARGS)
{
	TupleDesc	tupdesc;
	Datum		values[2];
	bool		nulls[2] = {false, false};

	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");
	values[0] = Int32GetDatum(model_cache_entries());
	values[1] = Int64GetDatum((int64) model_cache_loads());
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(BlessTupleDesc(tupdesc), values, nulls)));
}
