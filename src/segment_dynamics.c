/*-------------------------------------------------------------------------
 *
 * segment_dynamics.c
 *	  Segment snapshots: profile.segment_snapshot(snapshot, query,
 *	  taken_at) keeps every customer's segment (an RFM segment, a k-means
 *	  cluster, any label) under a name, so that two snapshots can be
 *	  compared later: profile.segment_migration (the transition matrix)
 *	  and profile.segment_flows (inflow and outflow per segment), plain SQL
 *	  functions over profile.segment_snapshots (profile--1.0--1.1.sql).
 *
 * The inner query returns (customer_id, segment): ids of the id types,
 * kept as their text; segments of the same types (an integer cluster, a
 * text segment), kept as text.  It runs through a read-only cursor inside
 *   SELECT q.c1::text, count(*), min(q.c2::text), count(q.c2)
 *   FROM (<query>) AS q(c1, c2) GROUP BY q.c1
 * so that a customer who comes twice is noticed (21000: a snapshot holds
 * one segment per customer).  Rows with a NULL customer_id are left out
 * and counted in a NOTICE; a NULL segment is kept as '(none)', so that the
 * customer still counts in a migration.  '(new)' and '(lost)' are what a
 * migration calls customers missing from one side, so no segment may have
 * those names (22023; the table's CHECK says the same).
 *
 * The rows are written in batches of SNAPSHOT_BATCH_ROWS through one
 * prepared INSERT ... SELECT FROM unnest($3, $4), after the earlier
 * snapshot of that name is deleted; the table is locked against other
 * snapshot writers first (SHARE ROW EXCLUSIVE: readers go on), so two
 * sessions taking the same snapshot do not collide on its key.  Empty
 * input stores nothing and keeps the earlier snapshot, as rfm_fit keeps a
 * model.
 *
 * profile.segment_dynamics_check(from, to, min_group_size) checks the
 * arguments of the two SQL functions (22004, 42704, 22023) and returns the
 * floor they apply (privacy.c).
 *
 * IDENTIFICATION
 *	  src/segment_dynamics.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"

#include "profile.h"

#define SNAPSHOT_CALLER			"profile.segment_snapshot"
#define SNAPSHOT_BATCH_ROWS		8192
#define SEGMENT_NONE			"(none)"

static const InnerColumn snapshot_columns[] = {
	{"customer_id", INNER_KEY, false},
	{"segment", INNER_KEY, false},
};

/* Run a statement of the snapshot writer; SPI is connected */
static void
snapshot_exec(const char *sql, int nargs, Oid *argtypes, Datum *args, int expected)
{
	int			rc = SPI_execute_with_args(sql, nargs, argtypes, args, NULL, false, 0);

	if (rc != expected)
		elog(ERROR, "\"%s\" failed: %s", sql, SPI_result_code_string(rc));
}

/*
 * The first rows are about to be written: lock out other snapshot writers
 * and delete the earlier snapshot of that name.
 */
static void
snapshot_replace(Datum name)
{
	Oid			argtypes[1] = {TEXTOID};
	Datum		args[1] = {name};

	snapshot_exec("LOCK TABLE profile.segment_snapshots IN SHARE ROW EXCLUSIVE MODE",
				  0, NULL, NULL, SPI_OK_UTILITY);
	snapshot_exec("DELETE FROM profile.segment_snapshots "
				  "WHERE snapshot OPERATOR(pg_catalog.=) $1",
				  1, argtypes, args, SPI_OK_DELETE);
}

PG_FUNCTION_INFO_V1(profile_segment_snapshot);

/*
 * profile.segment_snapshot(snapshot text, query text, taken_at timestamptz)
 * returns (snapshot text, customers bigint, segments integer).  NULL
 * arguments are errors (22004).
 */
Datum
profile_segment_snapshot(PG_FUNCTION_ARGS)
{
	MemoryContext callercxt = CurrentMemoryContext;
	MemoryContext batchcxt;
	char	   *name;
	char	   *sql;
	Oid			types[lengthof(snapshot_columns)];
	TupleDesc	tupdesc;
	Datum		name_datum;
	Datum		taken_at;
	SPIPlanPtr	select_plan;
	SPIPlanPtr	insert_plan;
	Portal		portal;
	Oid			insert_types[4] = {TEXTOID, TIMESTAMPTZOID, TEXTARRAYOID, TEXTARRAYOID};
	Datum	   *ids;
	Datum	   *segments;
	int64		customers = 0;
	int64		skipped_rows = 0;
	int64		no_segment = 0;
	int32		nsegments = 0;
	Datum		values[3];
	bool		nulls[3] = {false, false, false};

	check_arg_not_null(fcinfo, 0, "snapshot");
	check_arg_not_null(fcinfo, 1, "query");
	check_arg_not_null(fcinfo, 2, "taken_at");
	name = text_to_cstring(PG_GETARG_TEXT_PP(0));
	/* as a model name ('2026-01', 'rfm:2026q1') */
	catalog_check_name(name, "snapshot");
	sql = text_to_cstring(PG_GETARG_TEXT_PP(1));
	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");
	tupdesc = BlessTupleDesc(tupdesc);

	progress_begin(SNAPSHOT_CALLER);
	inner_query_shape(SNAPSHOT_CALLER, sql, snapshot_columns,
					  lengthof(snapshot_columns), types);

	name_datum = CStringGetTextDatum(name);
	taken_at = PG_GETARG_DATUM(2);
	ids = palloc(sizeof(Datum) * SNAPSHOT_BATCH_ROWS);
	segments = palloc(sizeof(Datum) * SNAPSHOT_BATCH_ROWS);
	batchcxt = AllocSetContextCreate(callercxt, "profile segment_snapshot batch",
									 ALLOCSET_DEFAULT_SIZES);

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	select_plan = SPI_prepare(psprintf("SELECT q.c1::pg_catalog.text, pg_catalog.count(*), "
									   "pg_catalog.min(q.c2::pg_catalog.text), pg_catalog.count(q.c2) "
									   "FROM (\n%s\n) AS q(c1, c2) GROUP BY q.c1", sql),
							  0, NULL);
	if (select_plan == NULL)
		elog(ERROR, "SPI_prepare failed: %s", SPI_result_code_string(SPI_result));
	insert_plan = SPI_prepare("INSERT INTO profile.segment_snapshots "
							  "(snapshot, customer_id, segment, taken_at) "
							  "SELECT $1, u.customer_id, u.segment, $2 "
							  "FROM ROWS FROM (pg_catalog.unnest($3), pg_catalog.unnest($4)) AS u(customer_id, segment)",
							  4, insert_types);
	if (insert_plan == NULL)
		elog(ERROR, "SPI_prepare failed: %s", SPI_result_code_string(SPI_result));
	portal = SPI_cursor_open(NULL, select_plan, NULL, NULL, true);
	progress_phase("reading the query and storing the snapshot", NULL, 0);

	for (;;)
	{
		int			n = 0;
		uint64		fetched;
		MemoryContext spicxt;

		CHECK_FOR_INTERRUPTS();
		SPI_cursor_fetch(portal, true, SNAPSHOT_BATCH_ROWS);
		fetched = SPI_processed;
		if (fetched == 0)
			break;
		spicxt = MemoryContextSwitchTo(batchcxt);
		for (uint64 r = 0; r < fetched; r++)
		{
			HeapTuple	tuple = SPI_tuptable->vals[r];
			TupleDesc	desc = SPI_tuptable->tupdesc;
			bool		id_null,
						isnull,
						segment_null;
			Datum		id = SPI_getbinval(tuple, desc, 1, &id_null);
			int64		rows = DatumGetInt64(SPI_getbinval(tuple, desc, 2, &isnull));
			Datum		segment = SPI_getbinval(tuple, desc, 3, &segment_null);

			if (id_null)
			{
				skipped_rows += rows;
				continue;
			}
			if (rows > 1)
				ereport(ERROR,
						(errcode(ERRCODE_CARDINALITY_VIOLATION),
						 errmsg("customer_id \"%s\" comes " INT64_FORMAT " times in the query given to %s",
								TextDatumGetCString(id), rows, SNAPSHOT_CALLER),
						 errdetail("A snapshot holds one segment per customer."),
						 errhint("Return one row per customer, for example with SELECT DISTINCT ON (customer_id).")));
			if (segment_null)
			{
				segment = CStringGetTextDatum(SEGMENT_NONE);
				no_segment++;
			}
			else
			{
				char	   *s = TextDatumGetCString(segment);

				if (strcmp(s, "(new)") == 0 || strcmp(s, "(lost)") == 0)
					ereport(ERROR,
							(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
							 errmsg("segment \"%s\" of customer_id \"%s\" is a reserved name",
									s, TextDatumGetCString(id)),
							 errdetail("A migration names customers missing from one snapshot \"(new)\" or \"(lost)\".")));
			}
			ids[n] = id;
			segments[n] = segment;
			n++;
		}

		if (n > 0)
		{
			ArrayType  *id_array = construct_array(ids, n, TEXTOID, -1, false, TYPALIGN_INT);
			ArrayType  *segment_array = construct_array(segments, n, TEXTOID, -1, false, TYPALIGN_INT);
			Datum		args[4];
			int			rc;

			SPI_freetuptable(SPI_tuptable);
			if (customers == 0)
				snapshot_replace(name_datum);
			args[0] = name_datum;
			args[1] = taken_at;
			args[2] = PointerGetDatum(id_array);
			args[3] = PointerGetDatum(segment_array);
			rc = SPI_execute_plan(insert_plan, args, NULL, false, 0);
			if (rc != SPI_OK_INSERT)
				elog(ERROR, "writing profile.segment_snapshots failed: %s",
					 SPI_result_code_string(rc));
			customers += n;
		}
		else
			SPI_freetuptable(SPI_tuptable);
		MemoryContextSwitchTo(spicxt);
		MemoryContextReset(batchcxt);
	}
	SPI_cursor_close(portal);

	if (customers > 0)
	{
		Oid			argtypes[1] = {TEXTOID};
		Datum		args[1] = {name_datum};
		bool		isnull;

		if (SPI_execute_with_args("SELECT pg_catalog.count(DISTINCT s.segment)::pg_catalog.int4 "
								  "FROM profile.segment_snapshots s "
								  "WHERE s.snapshot OPERATOR(pg_catalog.=) $1",
								  1, argtypes, args, NULL, false, 1) != SPI_OK_SELECT)
			elog(ERROR, "counting the segments of a snapshot failed");
		nsegments = DatumGetInt32(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc,
												1, &isnull));
	}
	SPI_finish();
	MemoryContextSwitchTo(callercxt);
	MemoryContextDelete(batchcxt);

	if (skipped_rows > 0 || no_segment > 0)
		ereport(NOTICE,
				(errmsg("%s left out " INT64_FORMAT " rows with a NULL customer_id; "
						INT64_FORMAT " customers with a NULL segment are kept as '%s'",
						SNAPSHOT_CALLER, skipped_rows, no_segment, SEGMENT_NONE)));

	if (customers > 0)
		values[0] = name_datum;
	else
		nulls[0] = true;		/* nothing stored; the earlier snapshot stays */
	values[1] = Int64GetDatum(customers);
	values[2] = Int32GetDatum(nsegments);
	progress_end();
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(tupdesc, values, nulls)));
}

PG_FUNCTION_INFO_V1(profile_segment_dynamics_check);

/*
 * profile.segment_dynamics_check(from_snapshot text, to_snapshot text,
 * min_group_size integer) returns integer: the checks of segment_migration
 * and segment_flows (NULL snapshot names 22004, unknown ones 42704, a
 * min_group_size outside 1 .. 1000000 22023), and the floor they apply.
 * The same snapshot twice is allowed: every customer stays.
 */
Datum
profile_segment_dynamics_check(PG_FUNCTION_ARGS)
{
	static const char *const argnames[2] = {"from_snapshot", "to_snapshot"};
	int32		floor;

	check_arg_not_null(fcinfo, 0, argnames[0]);
	check_arg_not_null(fcinfo, 1, argnames[1]);
	floor = privacy_floor(fcinfo, 2);

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	for (int i = 0; i < 2; i++)
	{
		Oid			argtypes[1] = {TEXTOID};
		Datum		args[1] = {PG_GETARG_DATUM(i)};

		if (SPI_execute_with_args("SELECT 1 FROM profile.segment_snapshots s "
								  "WHERE s.snapshot OPERATOR(pg_catalog.=) $1 LIMIT 1",
								  1, argtypes, args, NULL, true, 1) != SPI_OK_SELECT)
			elog(ERROR, "looking up a segment snapshot failed");
		if (SPI_processed == 0)
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_OBJECT),
					 errmsg("segment snapshot \"%s\" does not exist",
							TextDatumGetCString(PG_GETARG_DATUM(i))),
					 errhint("Take it with profile.segment_snapshot; "
							 "SELECT DISTINCT snapshot FROM profile.segment_snapshots lists those there are.")));
	}
	SPI_finish();
	PG_RETURN_INT32(floor);
}
