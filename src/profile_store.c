/*-------------------------------------------------------------------------
 *
 * profile_store.c
 *	  Stored, incrementally refreshed customer profiles.
 *
 * profile.profiles_create(name, query, ...) keeps the definition (the query
 * and the options of profile.customer_profiles) in
 * profile.profile_definitions, every customer's behaviour state in
 * profile.profile_states and the profile rows in profile.profiles.
 * profile.profiles_refresh(name) reads only the rows of the customers with
 * lines dated at or after the last refresh's latest line (or of the
 * customers named, for updates and deletes), rebuilds their states from
 * those rows, and recomputes every profile from the stored states: the
 * population shares and the tags' relative thresholds move with the new
 * rows, so a refresh equals a full rebuild.  Everything happens in the
 * caller's transaction, with the definition row locked: concurrent
 * readers see the old profiles or the new ones, and a second refresh of
 * the same profile waits.
 *
 * IDENTIFICATION
 *	  src/profile_store.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/datum.h"
#include "utils/fmgroids.h"
#include "utils/lsyscache.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"

#include "customer_profiles.h"
#include "profile.h"

#define STORE_CALLER	"profile.profiles_refresh"
#define CREATE_CALLER	"profile.profiles_create"

/* A stored definition, read with its row locked */
typedef struct Definition
{
	char	   *name;
	char	   *query;
	char	   *query_columns;
	bool		has_latest;
	TimestampTz latest;
	ProfileOptions opts;
} Definition;

static char *
spi_text_or_null(HeapTuple tuple, TupleDesc desc, const char *column)
{
	int			col = SPI_fnumber(desc, column);
	char	   *s = SPI_getvalue(tuple, desc, col);

	return s ? pstrdup(s) : NULL;
}

static Datum
spi_datum(HeapTuple tuple, TupleDesc desc, const char *column, bool *isnull)
{
	return SPI_getbinval(tuple, desc, SPI_fnumber(desc, column), isnull);
}

static void
check_profile_name(const char *name)
{
	int			len = strlen(name);

	if (len == 0 || len > 63 || !(name[0] >= 'a' && name[0] <= 'z') ||
		strspn(name, "abcdefghijklmnopqrstuvwxyz0123456789_") != (size_t) len)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid profile name \"%s\"", name),
				 errhint("A profile name is 1 to 63 characters of a-z, 0-9 and _, starting with a letter.")));
}

/* A definition from its row, in the current memory context */
static void
definition_from_tuple(const char *name, HeapTuple tuple, TupleDesc desc, Definition *def)
{
	bool		isnull;
	Datum		d;

	memset(def, 0, sizeof(*def));
	def->name = pstrdup(name);
	def->query = spi_text_or_null(tuple, desc, "query");
	def->query_columns = spi_text_or_null(tuple, desc, "query_columns");
	d = spi_datum(tuple, desc, "latest", &isnull);
	def->has_latest = !isnull;
	def->latest = isnull ? 0 : DatumGetTimestampTz(d);
	d = spi_datum(tuple, desc, "as_of", &isnull);
	def->opts.has_as_of = !isnull;
	def->opts.as_of = isnull ? 0 : DatumGetTimestampTz(d);
	def->opts.period_days = DatumGetInt32(spi_datum(tuple, desc, "period_days", &isnull));
	def->opts.rfm_model = spi_text_or_null(tuple, desc, "rfm_model");
	def->opts.kmeans_model = spi_text_or_null(tuple, desc, "kmeans_model");
	d = spi_datum(tuple, desc, "kmeans_features", &isnull);
	def->opts.kmeans_features = isnull ? NULL : DatumGetArrayTypePCopy(d);
	def->opts.clv_model = spi_text_or_null(tuple, desc, "clv_model");
	def->opts.months = DatumGetInt32(spi_datum(tuple, desc, "months", &isnull));
	def->opts.discount_rate = DatumGetFloat8(spi_datum(tuple, desc, "discount_rate", &isnull));
	d = spi_datum(tuple, desc, "tags", &isnull);
	def->opts.tags = isnull ? NULL : DatumGetArrayTypePCopy(d);
}

/*
 * Read and lock the definition (FOR UPDATE: a concurrent refresh of the
 * same profile waits, or fails under lock_timeout).  In the caller's
 * memory context; SPI must be connected.
 */
static void
definition_read(const char *name, Definition *def, MemoryContext cxt)
{
	Oid			argtypes[1] = {TEXTOID};
	Datum		args[1] = {CStringGetTextDatum(name)};
	MemoryContext spicxt;

	if (SPI_execute_with_args("SELECT * FROM profile.profile_definitions "
							  "WHERE name OPERATOR(pg_catalog.=) $1 FOR UPDATE",
							  1, argtypes, args, NULL, false, 1) != SPI_OK_SELECT)
		elog(ERROR, "reading profile.profile_definitions failed");
	if (SPI_processed == 0)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("stored profile \"%s\" does not exist", name),
				 errhint("Create it with profile.profiles_create; SELECT name FROM profile.profile_definitions lists them.")));
	spicxt = MemoryContextSwitchTo(cxt);
	definition_from_tuple(name, SPI_tuptable->vals[0], SPI_tuptable->tupdesc, def);
	MemoryContextSwitchTo(spicxt);
}

/* 42804 when the query no longer returns what it did at creation */
static void
check_shape(const Definition *def, const ProfileRun *run)
{
	const char *now = profile_run_query_columns(run);

	if (now != NULL && strcmp(now, def->query_columns) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_DATATYPE_MISMATCH),
				 errmsg("the query of stored profile \"%s\" now returns (%s), not (%s)",
						def->name, now, def->query_columns),
				 errhint("Rebuild it: delete its row from profile.profile_definitions and call profile.profiles_create again.")));
}

/* The query restricted by an extra condition on its positional columns */
static char *
filtered_query(const char *query, const char *condition)
{
	inner_query_check(STORE_CALLER, query);
	return psprintf("SELECT q.* FROM (\n%s\n) AS q(c1, c2) WHERE %s", query, condition);
}

/* The type of the customer column (the first of the query's columns) */
static char *
customer_type_name(const Definition *def)
{
	const char *comma = strchr(def->query_columns, ',');

	return comma ? pnstrdup(def->query_columns, comma - def->query_columns) :
		pstrdup(def->query_columns);
}

/* An array literal of customer ids (array_out text) cast to their type */
static char *
ids_array_literal(const char *array_text, const char *type_name)
{
	return psprintf("%s::%s[]", quote_literal_cstr(array_text), type_name);
}

/*
 * The customers with rows dated at or after since, as an array literal of
 * the customer column's type, and how many.
 */
static char *
customers_since(const Definition *def, TimestampTz since, int64 *count)
{
	char	   *sql = psprintf("SELECT pg_catalog.array_agg(DISTINCT c) FROM ("
							   "SELECT q.c1 AS c FROM (\n%s\n) AS q(c1, c2) "
							   "WHERE q.c2 OPERATOR(pg_catalog.>=) $1) s",
							   def->query);
	Oid			argtypes[1] = {TIMESTAMPTZOID};
	Datum		args[1] = {TimestampTzGetDatum(since)};
	bool		isnull;
	Datum		d;

	inner_query_check(STORE_CALLER, def->query);
	if (SPI_execute_with_args(sql, 1, argtypes, args, NULL, true, 0) != SPI_OK_SELECT)
		elog(ERROR, "finding the changed customers failed");
	d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
	if (isnull)
	{
		*count = 0;
		return NULL;
	}
	*count = ArrayGetNItems(ARR_NDIM(DatumGetArrayTypeP(d)), ARR_DIMS(DatumGetArrayTypeP(d)));
	return ids_array_literal(SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1),
							 customer_type_name(def));
}

/* Run one statement with a profile name ($1) and an optional text[] ($2) */
static uint64
exec_named(const char *sql, const char *name, Datum ids, bool has_ids, int expected)
{
	Oid			argtypes[2] = {TEXTOID, TEXTARRAYOID};
	Datum		args[2] = {CStringGetTextDatum(name), ids};
	int			rc = SPI_execute_with_args(sql, has_ids ? 2 : 1, argtypes, args, NULL, false, 0);

	if (rc != expected)
		elog(ERROR, "\"%s\" failed: %s", sql, SPI_result_code_string(rc));
	return SPI_processed;
}

/* Store the states of a run (all of its customers) */
static void
store_states(const char *name, ProfileRun *run)
{
	SPIPlanPtr	plan;
	Oid			argtypes[3] = {TEXTOID, TEXTOID, BYTEAOID};

	plan = SPI_prepare("INSERT INTO profile.profile_states (profile, customer_id, behaviour) "
					   "VALUES ($1, $2, $3)", 3, argtypes);
	if (plan == NULL)
		elog(ERROR, "SPI_prepare failed: %s", SPI_result_code_string(SPI_result));
	progress_phase("writing the states", "customers", profile_run_customers(run));
	for (int32 c = 0; c < profile_run_customers(run); c++)
	{
		Datum		args[3];
		int			rc;

		args[0] = CStringGetTextDatum(name);
		args[1] = profile_run_customer_id(run, c);
		args[2] = PointerGetDatum(behaviour_compact(profile_run_state(run, c)));
		rc = SPI_execute_plan(plan, args, NULL, false, 0);
		if (rc != SPI_OK_INSERT)
			elog(ERROR, "storing a behaviour state failed: %s", SPI_result_code_string(rc));
		pfree(DatumGetPointer(args[2]));
		if ((c & 255) == 0)
		{
			CHECK_FOR_INTERRUPTS();
			progress_done(c);
		}
	}
	SPI_freeplan(plan);
}

/*
 * Rebuild the profile rows from the stored states, and record the refresh
 * in the definition.  Returns the number of profiles.
 */
static int64
rebuild_rows(const Definition *def, TimestampTz latest)
{
	Oid			argtypes[2] = {TEXTOID, TIMESTAMPTZOID};
	Datum		args[2] = {CStringGetTextDatum(def->name), TimestampTzGetDatum(latest)};
	char		nulls[2] = {' ', latest == DT_NOBEGIN ? 'n' : ' '};
	int64		n;

	progress_phase("writing the profiles", NULL, 0);
	exec_named("DELETE FROM profile.profiles WHERE profile OPERATOR(pg_catalog.=) $1",
			   def->name, (Datum) 0, false, SPI_OK_DELETE);
	if (SPI_execute_with_args("INSERT INTO profile.profiles "
							  "SELECT $1, p.* FROM profile.profiles_compute($1) AS p",
							  1, argtypes, args, NULL, false, 0) != SPI_OK_INSERT)
		elog(ERROR, "writing profile.profiles failed");
	n = (int64) SPI_processed;
	if (SPI_execute_with_args("UPDATE profile.profile_definitions "
							  "SET latest = $2, refreshed_at = pg_catalog.now(), "
							  "customers = (SELECT pg_catalog.count(*) FROM profile.profiles "
							  "WHERE profile OPERATOR(pg_catalog.=) $1) "
							  "WHERE name OPERATOR(pg_catalog.=) $1",
							  2, argtypes, args, nulls, false, 0) != SPI_OK_UPDATE)
		elog(ERROR, "updating profile.profile_definitions failed");
	return n;
}

static Datum
result_row(FunctionCallInfo fcinfo, const char *name, int64 customers, int64 recomputed,
		   uint64 rows_read, const Definition *def, TimestampTz latest)
{
	TupleDesc	tupdesc;
	Datum		values[5];
	bool		nulls[5] = {false};

	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");
	tupdesc = BlessTupleDesc(tupdesc);
	values[0] = CStringGetTextDatum(name);
	values[1] = Int64GetDatum(customers);
	values[2] = Int64GetDatum(recomputed);
	values[3] = Int64GetDatum((int64) rows_read);
	if (def->opts.has_as_of)
		values[4] = TimestampTzGetDatum(def->opts.as_of);
	else if (latest != DT_NOBEGIN)
		values[4] = TimestampTzGetDatum(latest);
	else
		nulls[4] = true;
	return HeapTupleGetDatum(heap_form_tuple(tupdesc, values, nulls));
}

/*
 * A full build: every row of the query into fresh states.  Returns the
 * run (for its latest row and counts).
 */
static ProfileRun *
build_all(const char *caller, const Definition *def, uint64 *rows_read)
{
	ProfileRun *run = profile_run_create(caller, &def->opts);

	profile_run_read(run, def->query, true);
	check_shape(def, run);
	exec_named("DELETE FROM profile.profile_states WHERE profile OPERATOR(pg_catalog.=) $1",
			   def->name, (Datum) 0, false, SPI_OK_DELETE);
	store_states(def->name, run);
	*rows_read = profile_run_rows_read(run);
	return run;
}

/*
 * profile.profiles_create(name, query, as_of, period_days, rfm_model,
 * kmeans_model, kmeans_features, clv_model, months, discount_rate, tags)
 */
PG_FUNCTION_INFO_V1(profile_profiles_create);
Datum
profile_profiles_create(PG_FUNCTION_ARGS)
{
	MemoryContext cxt = CurrentMemoryContext;
	ProfileOptions opts;
	Definition	def;
	char	   *name;
	char	   *query;
	uint64		rows_read = 0;
	ProfileRun *run;
	int64		n;
	Oid			argtypes[11] = {TEXTOID, TEXTOID, TEXTOID, TIMESTAMPTZOID, INT4OID, TEXTOID,
	TEXTOID, TEXTARRAYOID, TEXTOID, INT4OID, FLOAT8OID};
	Datum		args[11];
	char		nulls[11];
	TimestampTz latest;
	Datum		result;

	check_arg_not_null(fcinfo, 0, "name");
	check_arg_not_null(fcinfo, 1, "query");
	name = text_to_cstring(PG_GETARG_TEXT_PP(0));
	progress_begin(CREATE_CALLER);
	query = text_to_cstring(PG_GETARG_TEXT_PP(1));
	check_profile_name(name);
	profile_options_from_args(fcinfo, 2, &opts);
	/* the options and the query's shape, checked before anything is written */
	(void) profile_run_create(CREATE_CALLER, &opts);

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	{
		Oid			types[PROFILE_QUERY_COLUMNS];
		int			ncols;
		char	   *shape = profile_query_shape(CREATE_CALLER, query, types, &ncols);

		memset(nulls, ' ', sizeof(nulls));
		args[0] = CStringGetTextDatum(name);
		args[1] = CStringGetTextDatum(query);
		args[2] = CStringGetTextDatum(shape);
		args[3] = TimestampTzGetDatum(opts.as_of);
		nulls[3] = opts.has_as_of ? ' ' : 'n';
		args[4] = Int32GetDatum(opts.period_days);
		args[5] = opts.rfm_model ? CStringGetTextDatum(opts.rfm_model) : (Datum) 0;
		nulls[5] = opts.rfm_model ? ' ' : 'n';
		args[6] = opts.kmeans_model ? CStringGetTextDatum(opts.kmeans_model) : (Datum) 0;
		nulls[6] = opts.kmeans_model ? ' ' : 'n';
		args[7] = PointerGetDatum(opts.kmeans_features);
		nulls[7] = opts.kmeans_features ? ' ' : 'n';
		args[8] = opts.clv_model ? CStringGetTextDatum(opts.clv_model) : (Datum) 0;
		nulls[8] = opts.clv_model ? ' ' : 'n';
		args[9] = Int32GetDatum(opts.months);
		args[10] = Float8GetDatum(opts.discount_rate);
		if (SPI_execute_with_args("INSERT INTO profile.profile_definitions "
								  "(name, query, query_columns, as_of, period_days, rfm_model, "
								  "kmeans_model, kmeans_features, clv_model, months, discount_rate, tags) "
								  "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, NULL)",
								  11, argtypes, args, nulls, false, 0) != SPI_OK_INSERT)
			elog(ERROR, "writing profile.profile_definitions failed");
		if (opts.tags != NULL)
		{
			Oid			t2[2] = {TEXTOID, TEXTARRAYOID};
			Datum		a2[2] = {args[0], PointerGetDatum(opts.tags)};

			if (SPI_execute_with_args("UPDATE profile.profile_definitions SET tags = $2 "
									  "WHERE name OPERATOR(pg_catalog.=) $1",
									  2, t2, a2, NULL, false, 0) != SPI_OK_UPDATE)
				elog(ERROR, "writing profile.profile_definitions failed");
		}
	}
	definition_read(name, &def, cxt);
	run = build_all(CREATE_CALLER, &def, &rows_read);
	latest = profile_run_latest(run);
	n = rebuild_rows(&def, latest);
	SPI_finish();
	result = result_row(fcinfo, name, n, n, rows_read, &def, latest);
	progress_end();
	PG_RETURN_DATUM(result);
}

/*
 * profile.profiles_refresh(name, since, customers, rebuild): bring a stored
 * profile up to date.
 */
PG_FUNCTION_INFO_V1(profile_profiles_refresh);
Datum
profile_profiles_refresh(PG_FUNCTION_ARGS)
{
	MemoryContext cxt = CurrentMemoryContext;
	Definition	def;
	char	   *name;
	bool		full;
	uint64		rows_read = 0;
	int64		recomputed = 0;
	ProfileRun *run;
	TimestampTz latest;
	int64		n;
	Datum		result;

	check_arg_not_null(fcinfo, 0, "name");
	check_arg_not_null(fcinfo, 3, "rebuild");
	name = text_to_cstring(PG_GETARG_TEXT_PP(0));
	progress_begin("profile.profiles_refresh");
	full = PG_GETARG_BOOL(3);
	if (!PG_ARGISNULL(1) && TIMESTAMP_NOT_FINITE(PG_GETARG_TIMESTAMPTZ(1)))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("since must be a finite timestamp")));
	if (full && (!PG_ARGISNULL(1) || !PG_ARGISNULL(2)))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("a rebuild takes neither since nor customers")));
	if (!PG_ARGISNULL(2) && array_contains_nulls(PG_GETARG_ARRAYTYPE_P(2)))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("customers must not contain NULL")));

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	definition_read(name, &def, cxt);

	/*
	 * A refresh that waited for another one's lock must read what that one
	 * committed: in READ COMMITTED, a snapshot taken now (the inner queries
	 * are read-only, so they would use the statement's, older one).
	 */
	PushActiveSnapshot(GetTransactionSnapshot());
	if (full || !def.has_latest)
	{
		run = build_all(STORE_CALLER, &def, &rows_read);
		recomputed = profile_run_customers(run);
		latest = profile_run_latest(run);
	}
	else
	{
		char	   *ids_literal = NULL;
		int64		nids = 0;
		Datum		changed;
		TupleDesc	desc;
		bool		isnull;

		/* the changed customers: named, or with rows since the last refresh */
		if (!PG_ARGISNULL(2))
		{
			ArrayType  *named = PG_GETARG_ARRAYTYPE_P(2);

			nids = ArrayGetNItems(ARR_NDIM(named), ARR_DIMS(named));
			if (nids > 0)
				ids_literal = ids_array_literal(OidOutputFunctionCall(F_ARRAY_OUT,
																	  PointerGetDatum(named)),
												customer_type_name(&def));
		}
		else
			ids_literal = customers_since(&def, PG_ARGISNULL(1) ? def.latest :
										  PG_GETARG_TIMESTAMPTZ(1), &nids);

		run = profile_run_create(STORE_CALLER, &def.opts);
		if (ids_literal != NULL)
		{
			profile_run_read(run, filtered_query(def.query,
												 psprintf("q.c1 OPERATOR(pg_catalog.=) ANY (%s)",
														  ids_literal)),
							 true);
			check_shape(&def, run);
			rows_read = profile_run_rows_read(run);
		}
		recomputed = profile_run_customers(run);

		/* replace the states of the changed customers (absent now: deleted) */
		if (ids_literal != NULL)
		{
			if (SPI_execute(psprintf("SELECT pg_catalog.array_agg(c::text) FROM pg_catalog.unnest(%s) AS c",
									 ids_literal), true, 0) != SPI_OK_SELECT)
				elog(ERROR, "reading customers failed");
			desc = SPI_tuptable->tupdesc;
			changed = SPI_getbinval(SPI_tuptable->vals[0], desc, 1, &isnull);
			changed = datumCopy(changed, false, -1);
			exec_named("DELETE FROM profile.profile_states WHERE profile OPERATOR(pg_catalog.=) $1 "
					   "AND customer_id OPERATOR(pg_catalog.=) ANY ($2)",
					   def.name, changed, true, SPI_OK_DELETE);
			store_states(def.name, run);
		}
		latest = profile_run_latest(run);
		if (def.has_latest && def.latest > latest)
			latest = def.latest;
	}
	n = rebuild_rows(&def, latest);
	PopActiveSnapshot();
	SPI_finish();
	result = result_row(fcinfo, name, n, recomputed, rows_read, &def, latest);
	progress_end();
	PG_RETURN_DATUM(result);
}

/*
 * profile.profiles_compute(name): the profiles of a stored profile's
 * states as they are now (what profiles_refresh writes).
 */
PG_FUNCTION_INFO_V1(profile_profiles_compute);
Datum
profile_profiles_compute(PG_FUNCTION_ARGS)
{
	MemoryContext cxt = CurrentMemoryContext;
	Oid			argtypes[1] = {TEXTOID};
	Datum		args[1];
	ProfileRun *run;
	Definition	def;
	char	   *name;
	Portal		portal;
	SPIPlanPtr	plan;

	check_arg_not_null(fcinfo, 0, "name");
	name = text_to_cstring(PG_GETARG_TEXT_PP(0));
	progress_begin("profile.profiles_compute");
	args[0] = CStringGetTextDatum(name);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	{
		Oid			t1[1] = {TEXTOID};

		if (SPI_execute_with_args("SELECT * FROM profile.profile_definitions "
								  "WHERE name OPERATOR(pg_catalog.=) $1",
								  1, t1, args, NULL, true, 1) != SPI_OK_SELECT)
			elog(ERROR, "reading profile.profile_definitions failed");
		if (SPI_processed == 0)
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_OBJECT),
					 errmsg("stored profile \"%s\" does not exist", name)));
	}
	/* read without a lock: the reader of a refresh in progress sees the old states */
	{
		MemoryContext spicxt = MemoryContextSwitchTo(cxt);

		definition_from_tuple(name, SPI_tuptable->vals[0], SPI_tuptable->tupdesc, &def);
		MemoryContextSwitchTo(spicxt);
	}
	{
		/* the run outlives SPI: in the function's context */
		MemoryContext spicxt = MemoryContextSwitchTo(cxt);

		run = profile_run_create("profile.profiles_compute", &def.opts);
		MemoryContextSwitchTo(spicxt);
	}

	plan = SPI_prepare("SELECT customer_id, behaviour FROM profile.profile_states "
					   "WHERE profile OPERATOR(pg_catalog.=) $1", 1, argtypes);
	if (plan == NULL)
		elog(ERROR, "SPI_prepare failed");
	portal = SPI_cursor_open(NULL, plan, args, NULL, true);
	for (;;)
	{
		SPI_cursor_fetch(portal, true, 1000);
		if (SPI_processed == 0)
			break;
		for (uint64 r = 0; r < SPI_processed; r++)
		{
			bool		isnull;
			char	   *id = SPI_getvalue(SPI_tuptable->vals[r], SPI_tuptable->tupdesc, 1);
			Datum		state = SPI_getbinval(SPI_tuptable->vals[r], SPI_tuptable->tupdesc, 2, &isnull);
			MemoryContext spicxt = MemoryContextSwitchTo(cxt);

			profile_run_add_state(run, id, state);
			MemoryContextSwitchTo(spicxt);
		}
		SPI_freetuptable(SPI_tuptable);
		CHECK_FOR_INTERRUPTS();
	}
	SPI_cursor_close(portal);
	SPI_finish();

	profile_run_compute(run);
	profile_run_emit(run, fcinfo);
	progress_end();
	return (Datum) 0;
}
