/*-------------------------------------------------------------------------
 *
 * query.c
 *	  Running the inner query a one-call function is given as text.
 *
 * One-call functions take their input as a query, in the style pgRouting
 * made familiar: profile.rfm('SELECT customer_id, ordered_at, amount FROM
 * sales', ...).  This file is the only place that runs such a query:
 *
 *	- the text must be exactly one SELECT (or VALUES, or WITH ... SELECT)
 *	  statement, without INTO; anything else is rejected (22023) before it
 *	  is planned;
 *	- it runs through a read-only SPI cursor, so with the caller's own
 *	  privileges and snapshot, and a data-modifying CTE or FOR UPDATE fails;
 *	- its columns are checked against what the caller expects, by position,
 *	  with 42804 naming the column, its name and the accepted types;
 *	- rows are fetched in batches of INNER_QUERY_BATCH_ROWS.  A batch goes
 *	  through our own DestReceiver, which converts each value straight into
 *	  column arrays (numbers to float8, times to timestamptz), so no tuple is
 *	  copied; by-reference values live in a context reset at each fetch.
 *	  Numerics are decoded without the detour through text where that is
 *	  exact (numeric_to_double).
 *
 * Memory: the InnerQuery and its arrays live in the caller's current memory
 * context at open time; every SPI call's change of CurrentMemoryContext is
 * undone here, so the caller keeps allocating where it was.
 *
 * The portal is closed by inner_query_close(); on error, transaction (or
 * subtransaction) abort drops it with the SPI connection.
 *
 * IDENTIFICATION
 *	  src/query.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/tupdesc.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "executor/tuptable.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "nodes/parsenodes.h"
#include "parser/parser.h"
#include "tcop/dest.h"
#include "tcop/pquery.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/date.h"
#include "utils/datum.h"
#include "utils/float.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/portal.h"
#include "utils/timestamp.h"

#include "profile.h"

/* How a fetched value is converted, decided once per column at open */
typedef enum ConvertKind
{
	CONV_INT2_FLOAT8,
	CONV_INT4_FLOAT8,
	CONV_INT8_FLOAT8,
	CONV_FLOAT4_FLOAT8,
	CONV_FLOAT8,
	CONV_NUMERIC_FLOAT8,
	CONV_TIMESTAMPTZ,
	CONV_TIMESTAMP_TZ,
	CONV_DATE_TZ,
	CONV_BYVAL,					/* keep the Datum as it is */
	CONV_VARLENA_COPY,			/* detoast into the batch context */
	CONV_FIXED_COPY				/* fixed-length by reference (uuid) */
} ConvertKind;

typedef struct BatchReceiver
{
	DestReceiver pub;
	InnerQuery *query;
} BatchReceiver;

struct InnerQuery
{
	const char *caller;
	MemoryContext callercxt;	/* where the caller allocates */
	MemoryContext batchcxt;		/* by-reference values of the current batch */
	Portal		portal;
	int			ncolumns;
	Oid		   *types;			/* actual column types, as the query has them */
	ConvertKind *convert;
	int16	   *typlen;
	InnerBatch	batch;
	BatchReceiver receiver;
	InnerRowFunction row_function;	/* inner_query_each: rows go here */
	void	   *row_arg;
	Datum	   *row_values;
	bool	   *row_nulls;
	uint64		rows_read;
	bool		done;
	bool		own_progress;	/* the query is all the work there is */
};

static bool batch_receive(TupleTableSlot *slot, DestReceiver *self);
static void batch_startup(DestReceiver *self, int operation, TupleDesc typeinfo);
static void batch_shutdown(DestReceiver *self);
static void batch_destroy(DestReceiver *self);

/* Describe the accepted types of a column kind, for messages */
static const char *
kind_types(InnerColumnKind kind)
{
	switch (kind)
	{
		case INNER_KEY:
			return "integer, bigint, smallint, text, varchar or uuid";
		case INNER_NUMBER:
			return "a number (integer, bigint, smallint, numeric, real or double precision)";
		case INNER_TIME:
			return "timestamp with time zone, timestamp or date";
		case INNER_FLOAT8_ARRAY:
			return "double precision[]";
		case INNER_ITEMS:
			return "integer, bigint, smallint, text, varchar or uuid, or an array of one of them";
	}
	return "?";
}

/* Decide how a column of base type basetype is converted, or fail */
static bool
choose_conversion(InnerColumnKind kind, Oid basetype, ConvertKind *conv)
{
	switch (kind)
	{
		case INNER_KEY:
			switch (basetype)
			{
				case INT2OID:
				case INT4OID:
				case INT8OID:
					*conv = CONV_BYVAL;
					return true;
				case TEXTOID:
				case VARCHAROID:
				case BPCHAROID:
					*conv = CONV_VARLENA_COPY;
					return true;
				case UUIDOID:
					*conv = CONV_FIXED_COPY;
					return true;
			}
			return false;
		case INNER_NUMBER:
			switch (basetype)
			{
				case INT2OID:
					*conv = CONV_INT2_FLOAT8;
					return true;
				case INT4OID:
					*conv = CONV_INT4_FLOAT8;
					return true;
				case INT8OID:
					*conv = CONV_INT8_FLOAT8;
					return true;
				case FLOAT4OID:
					*conv = CONV_FLOAT4_FLOAT8;
					return true;
				case FLOAT8OID:
					*conv = CONV_FLOAT8;
					return true;
				case NUMERICOID:
					*conv = CONV_NUMERIC_FLOAT8;
					return true;
			}
			return false;
		case INNER_TIME:
			switch (basetype)
			{
				case TIMESTAMPTZOID:
					*conv = CONV_TIMESTAMPTZ;
					return true;
				case TIMESTAMPOID:
					*conv = CONV_TIMESTAMP_TZ;
					return true;
				case DATEOID:
					*conv = CONV_DATE_TZ;
					return true;
			}
			return false;
		case INNER_FLOAT8_ARRAY:
			if (basetype == FLOAT8ARRAYOID)
			{
				*conv = CONV_VARLENA_COPY;
				return true;
			}
			return false;
		case INNER_ITEMS:
			switch (basetype)
			{
				case INT2ARRAYOID:
				case INT4ARRAYOID:
				case INT8ARRAYOID:
				case TEXTARRAYOID:
				case VARCHARARRAYOID:
				case BPCHARARRAYOID:
				case UUIDARRAYOID:
					*conv = CONV_VARLENA_COPY;
					return true;
			}
			return choose_conversion(INNER_KEY, basetype, conv);
	}
	return false;
}

/* "customer_id, ordered_at, amount [, order_id]" for messages */
static char *
describe_columns(const InnerColumn *columns, int ncolumns)
{
	StringInfoData buf;

	initStringInfo(&buf);
	for (int i = 0; i < ncolumns; i++)
	{
		if (columns[i].optional)
			appendStringInfo(&buf, "%s[%s%s", i > 0 ? " " : "", i > 0 ? ", " : "", columns[i].name);
		else
			appendStringInfo(&buf, "%s%s", i > 0 ? ", " : "", columns[i].name);
	}
	for (int i = 0; i < ncolumns; i++)
		if (columns[i].optional)
			appendStringInfoChar(&buf, ']');
	return buf.data;
}

/*
 * inner_query_check: reject anything but one plain SELECT before planning
 * it: a second statement, DML, DDL, utility commands and SELECT INTO.
 * Callers that embed the text in a query of their own (the scan paths:
 * "SELECT agg(q.f) FROM (\n<text>\n) AS q(id, f)") call it first, so the
 * text cannot close the parenthesis and add statements or clauses.
 */
void
inner_query_check(const char *caller, const char *sql)
{
	List	   *parsetree;
	RawStmt    *raw;
	Node	   *stmt;

	parsetree = raw_parser(sql, RAW_PARSE_DEFAULT);
	if (list_length(parsetree) != 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("the query given to %s must be one SELECT statement, not %d statements",
						caller, list_length(parsetree)),
				 errhint("Pass a single SELECT; put preparatory steps in a WITH clause or a view.")));

	raw = linitial_node(RawStmt, parsetree);
	stmt = raw->stmt;
	if (!IsA(stmt, SelectStmt) || ((SelectStmt *) stmt)->intoClause != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("the query given to %s must be a SELECT statement", caller),
				 errdetail("Inner queries are read-only: INSERT, UPDATE, DELETE, SELECT INTO and utility commands are not accepted.")));

	/*
	 * The read-only cursor would refuse these too, but with a message about
	 * non-volatile functions that would puzzle the caller.  (Data-modifying
	 * WITH is only allowed at the top level, so looking there suffices.)
	 */
	if (((SelectStmt *) stmt)->lockingClause != NIL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("the query given to %s must not lock rows (FOR UPDATE or FOR SHARE)", caller)));
	if (((SelectStmt *) stmt)->withClause != NULL)
	{
		ListCell   *lc;

		foreach(lc, ((SelectStmt *) stmt)->withClause->ctes)
		{
			CommonTableExpr *cte = lfirst_node(CommonTableExpr, lc);

			if (!IsA(cte->ctequery, SelectStmt))
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("the query given to %s must not modify data", caller),
						 errdetail("WITH query \"%s\" is not a SELECT.", cte->ctename)));
		}
	}
}

/*
 * inner_query_open: check and open the query; columns describes what each
 * position must hold.  Optional columns must come last.  Connects to SPI
 * (the connection is ended by inner_query_close).
 */
InnerQuery *
inner_query_open(const char *caller, const char *sql,
				 const InnerColumn *columns, int ncolumns)
{
	MemoryContext callercxt = CurrentMemoryContext;
	InnerQuery *query;
	SPIParseOpenOptions options;
	TupleDesc	tupdesc;
	int			nrequired = 0;

	for (int i = 0; i < ncolumns; i++)
		if (!columns[i].optional)
			nrequired = i + 1;

	inner_query_check(caller, sql);

	query = palloc0(sizeof(InnerQuery));
	query->caller = caller;
	/* a reader's work is reported under its caller's name (progress.c) */
	query->own_progress = !progress_active();
	if (query->own_progress)
		progress_begin(caller);
	progress_rows(0);
	progress_phase("reading the query", NULL, 0);
	query->callercxt = callercxt;
	query->batchcxt = AllocSetContextCreate(callercxt, "profile inner query batch",
											ALLOCSET_DEFAULT_SIZES);

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");

	memset(&options, 0, sizeof(options));
	options.cursorOptions = CURSOR_OPT_NO_SCROLL;
	options.read_only = true;
	query->portal = SPI_cursor_parse_open(NULL, sql, &options);
	MemoryContextSwitchTo(callercxt);

	tupdesc = query->portal->tupDesc;
	if (tupdesc == NULL || tupdesc->natts < nrequired || tupdesc->natts > ncolumns)
	{
		int			natts = tupdesc ? tupdesc->natts : 0;

		ereport(ERROR,
				(errcode(ERRCODE_DATATYPE_MISMATCH),
				 nrequired == ncolumns ?
				 errmsg("the query given to %s must return %d columns, not %d",
						caller, ncolumns, natts) :
				 errmsg("the query given to %s must return %d to %d columns, not %d",
						caller, nrequired, ncolumns, natts),
				 errdetail("The columns are, by position: %s.",
						   describe_columns(columns, ncolumns))));
	}

	query->ncolumns = tupdesc->natts;
	query->types = palloc(sizeof(Oid) * query->ncolumns);
	query->convert = palloc(sizeof(ConvertKind) * query->ncolumns);
	query->typlen = palloc(sizeof(int16) * query->ncolumns);
	for (int i = 0; i < query->ncolumns; i++)
	{
		Form_pg_attribute att = TupleDescAttr(tupdesc, i);
		Oid			basetype = getBaseType(att->atttypid);

		if (!choose_conversion(columns[i].kind, basetype, &query->convert[i]))
			ereport(ERROR,
					(errcode(ERRCODE_DATATYPE_MISMATCH),
					 errmsg("column %d (%s) of the query given to %s must be %s, not %s",
							i + 1, columns[i].name, caller,
							kind_types(columns[i].kind),
							format_type_be(att->atttypid)),
					 errdetail("The columns are, by position: %s.",
							   describe_columns(columns, ncolumns)),
					 errhint("Cast the column in the query, for example %s::%s.",
							 NameStr(att->attname),
							 columns[i].kind == INNER_KEY ? "bigint" :
							 columns[i].kind == INNER_ITEMS ? "text" :
							 columns[i].kind == INNER_NUMBER ? "numeric" :
							 columns[i].kind == INNER_TIME ? "timestamptz" : "float8[]")));
		query->types[i] = att->atttypid;
		query->typlen[i] = att->attlen;
	}

	query->batch.values = palloc(sizeof(Datum *) * query->ncolumns);
	query->batch.nulls = palloc(sizeof(bool *) * query->ncolumns);
	for (int i = 0; i < query->ncolumns; i++)
	{
		query->batch.values[i] = palloc(sizeof(Datum) * INNER_QUERY_BATCH_ROWS);
		query->batch.nulls[i] = palloc(sizeof(bool) * INNER_QUERY_BATCH_ROWS);
	}

	query->receiver.pub.receiveSlot = batch_receive;
	query->receiver.pub.rStartup = batch_startup;
	query->receiver.pub.rShutdown = batch_shutdown;
	query->receiver.pub.rDestroy = batch_destroy;
	query->receiver.pub.mydest = DestNone;
	query->receiver.query = query;

	return query;
}

/*
 * inner_query_shape: check a query that a caller will embed in a query of
 * its own (SELECT ... FROM (<sql>) AS q(c1, ...) GROUP BY ...) as every
 * inner query is checked (one SELECT: 22023; its columns by position:
 * 42804), without reading a row.  The columns' types as the query has them
 * (domains too) go into types (ncolumns of room); returns how many columns
 * the query has.
 */
int
inner_query_shape(const char *caller, const char *sql,
				  const InnerColumn *columns, int ncolumns, Oid *types)
{
	InnerQuery *shape;
	int			n;

	inner_query_check(caller, sql);
	shape = inner_query_open(caller, psprintf("SELECT * FROM (\n%s\n) AS q LIMIT 0", sql),
							 columns, ncolumns);
	n = shape->ncolumns;
	for (int c = 0; c < n; c++)
		types[c] = shape->types[c];
	inner_query_close(shape);
	return n;
}

int
inner_query_ncolumns(InnerQuery *query)
{
	return query->ncolumns;
}

Oid
inner_query_column_type(InnerQuery *query, int column)
{
	Assert(column >= 0 && column < query->ncolumns);
	return query->types[column];
}

uint64
inner_query_rows_read(InnerQuery *query)
{
	return query->rows_read;
}

static void
batch_startup(DestReceiver *self, int operation, TupleDesc typeinfo)
{
}

static void
batch_shutdown(DestReceiver *self)
{
}

static void
batch_destroy(DestReceiver *self)
{
}

/*
 * numeric_to_double: a numeric as float8, equal to numeric_float8()'s.
 *
 * PostgreSQL converts through text (numeric_out, then strtod), which the
 * RFM benchmark found to be 15% of a run.  The common case is decoded
 * here instead: at most 4 base-10000 digits whose integer value M is below
 * 2^53, scaled by 10^e with |e| <= 22.  M and 10^|e| are then exact
 * doubles, and one IEEE multiplication or division rounds their exact
 * product or quotient correctly: the very double strtod returns for the
 * decimal text.  Anything else takes PostgreSQL's own path.  The layout
 * read here is numeric's on-disk format (numeric.c), which pg_upgrade
 * keeps stable.
 */
#define NUMERIC_FLAG_MASK	0xC000
#define NUMERIC_FLAG_NEG	0x4000
#define NUMERIC_FLAG_SHORT	0x8000
#define NUMERIC_FLAG_SPECIAL 0xC000
#define NUMERIC_VALUE_NAN	0xC000
#define NUMERIC_VALUE_PINF	0xD000
#define NUMERIC_SHORT_NEG	0x2000
#define NUMERIC_SHORT_WEIGHT_NEG	0x0040
#define NUMERIC_SHORT_WEIGHT_BITS	0x003F

static double
numeric_to_double(Datum value)
{
	static const double powers_of_ten[23] = {
		1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
		1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22
	};
	struct varlena *packed = (struct varlena *) PG_DETOAST_DATUM_PACKED(value);
	const char *data = VARDATA_ANY(packed);
	Size		len = VARSIZE_ANY_EXHDR(packed);
	uint16		header;
	const char *digits;
	int			ndigits;
	int			weight;
	bool		negative;
	uint64		mantissa = 0;
	int			exponent;
	double		result;

	if (len < sizeof(uint16))
		goto fallback;
	memcpy(&header, data, sizeof(uint16));
	if ((header & NUMERIC_FLAG_MASK) == NUMERIC_FLAG_SPECIAL)
	{
		if (header == NUMERIC_VALUE_NAN)
			return get_float8_nan();
		return header == NUMERIC_VALUE_PINF ? get_float8_infinity() : -get_float8_infinity();
	}
	if (header & NUMERIC_FLAG_SHORT)
	{
		negative = (header & NUMERIC_SHORT_NEG) != 0;
		weight = (header & NUMERIC_SHORT_WEIGHT_BITS);
		if (header & NUMERIC_SHORT_WEIGHT_NEG)
			weight |= ~NUMERIC_SHORT_WEIGHT_BITS;
		digits = data + sizeof(uint16);
		ndigits = (len - sizeof(uint16)) / sizeof(int16);
	}
	else
	{
		int16		w;

		if (len < 2 * sizeof(uint16))
			goto fallback;
		negative = (header & NUMERIC_FLAG_MASK) == NUMERIC_FLAG_NEG;
		memcpy(&w, data + sizeof(uint16), sizeof(int16));
		weight = w;
		digits = data + 2 * sizeof(uint16);
		ndigits = (len - 2 * sizeof(uint16)) / sizeof(int16);
	}
	if (ndigits == 0)
		return 0.0;
	if (ndigits > 4)
		goto fallback;
	for (int i = 0; i < ndigits; i++)
	{
		int16		digit;

		memcpy(&digit, digits + i * sizeof(int16), sizeof(int16));
		if (digit < 0 || digit >= 10000)
			goto fallback;
		mantissa = mantissa * 10000 + (uint64) digit;
	}
	if (mantissa >= (UINT64_C(1) << 53))
		goto fallback;
	exponent = 4 * (weight - ndigits + 1);
	if (exponent > 22 || exponent < -22)
		goto fallback;
	result = exponent >= 0 ? (double) mantissa * powers_of_ten[exponent]
		: (double) mantissa / powers_of_ten[-exponent];
	return negative ? -result : result;

fallback:
	return DatumGetFloat8(DirectFunctionCall1(numeric_float8_no_overflow, value));
}

/* Convert one value; runs in the batch context */
static Datum
convert_value(InnerQuery *query, int col, Datum value)
{
	switch (query->convert[col])
	{
		case CONV_INT2_FLOAT8:
			return Float8GetDatum((double) DatumGetInt16(value));
		case CONV_INT4_FLOAT8:
			return Float8GetDatum((double) DatumGetInt32(value));
		case CONV_INT8_FLOAT8:
			return Float8GetDatum((double) DatumGetInt64(value));
		case CONV_FLOAT4_FLOAT8:
			return Float8GetDatum((double) DatumGetFloat4(value));
		case CONV_FLOAT8:
			return value;
		case CONV_NUMERIC_FLOAT8:
			return Float8GetDatum(numeric_to_double(value));
		case CONV_TIMESTAMPTZ:
			return value;
		case CONV_TIMESTAMP_TZ:
			return DirectFunctionCall1(timestamp_timestamptz, value);
		case CONV_DATE_TZ:
			return DirectFunctionCall1(date_timestamptz, value);
		case CONV_BYVAL:
			return value;
		case CONV_VARLENA_COPY:
			return PointerGetDatum(PG_DETOAST_DATUM_COPY(value));
		case CONV_FIXED_COPY:
			return datumCopy(value, false, query->typlen[col]);
	}
	return value;
}

/*
 * A row for inner_query_each: converted as for a batch, but a varlena is
 * only detoasted (into the batch context) when it is toasted; otherwise the
 * function sees the value in the tuple, valid during its call.
 */
static void
row_receive(InnerQuery *query, TupleTableSlot *slot)
{
	MemoryContext oldcxt = MemoryContextSwitchTo(query->batchcxt);

	for (int col = 0; col < query->ncolumns; col++)
	{
		bool		isnull = slot->tts_isnull[col];
		Datum		value = slot->tts_values[col];

		query->row_nulls[col] = isnull;
		if (isnull)
			query->row_values[col] = (Datum) 0;
		else if (query->convert[col] == CONV_VARLENA_COPY)
			query->row_values[col] = PointerGetDatum(PG_DETOAST_DATUM_PACKED(value));
		else if (query->convert[col] == CONV_FIXED_COPY)
			query->row_values[col] = value;
		else
			query->row_values[col] = convert_value(query, col, value);
	}
	/* the function allocates where its caller does, not in the executor's context */
	MemoryContextSwitchTo(query->callercxt);
	query->row_function(query->row_values, query->row_nulls, query->row_arg);
	MemoryContextSwitchTo(oldcxt);
}

static bool
batch_receive(TupleTableSlot *slot, DestReceiver *self)
{
	InnerQuery *query = ((BatchReceiver *) self)->query;
	InnerBatch *batch = &query->batch;
	int			row = batch->nrows;
	MemoryContext oldcxt;

	if (query->row_function != NULL)
	{
		slot_getallattrs(slot);
		row_receive(query, slot);
		batch->nrows++;
		return true;
	}

	Assert(row < INNER_QUERY_BATCH_ROWS);
	slot_getallattrs(slot);
	oldcxt = MemoryContextSwitchTo(query->batchcxt);
	for (int col = 0; col < query->ncolumns; col++)
	{
		bool		isnull = slot->tts_isnull[col];

		batch->nulls[col][row] = isnull;
		batch->values[col][row] = isnull ? (Datum) 0 :
			convert_value(query, col, slot->tts_values[col]);
	}
	MemoryContextSwitchTo(oldcxt);
	batch->nrows++;
	return true;
}

/*
 * inner_query_fetch: the next batch, or NULL at the end.  The batch and its
 * by-reference values stay valid until the next fetch or close.
 */
const InnerBatch *
inner_query_fetch(InnerQuery *query)
{
	uint64		nfetched;

	CHECK_FOR_INTERRUPTS();
	if (query->done)
		return NULL;

	MemoryContextReset(query->batchcxt);
	query->batch.nrows = 0;
	nfetched = PortalRunFetch(query->portal, FETCH_FORWARD,
							  INNER_QUERY_BATCH_ROWS,
							  (DestReceiver *) &query->receiver);
	MemoryContextSwitchTo(query->callercxt);

	Assert(nfetched == (uint64) query->batch.nrows);
	if (nfetched < INNER_QUERY_BATCH_ROWS)
		query->done = true;
	if (nfetched == 0)
		return NULL;
	query->rows_read += nfetched;
	progress_rows(query->rows_read);
	return &query->batch;
}

/*
 * inner_query_each: every remaining row, one call of fn(values, nulls, arg)
 * each, with the values converted as in a batch (values[col], nulls[col]).
 * By-reference values are valid during the call only: for readers that
 * fold rows into summaries as they come, without a batch's copies.  fn
 * runs in the memory context that was current when the query was opened.
 */
void
inner_query_each(InnerQuery *query, InnerRowFunction fn, void *arg)
{
	query->row_function = fn;
	query->row_arg = arg;
	query->row_values = palloc(sizeof(Datum) * query->ncolumns);
	query->row_nulls = palloc(sizeof(bool) * query->ncolumns);
	while (inner_query_fetch(query) != NULL)
		;
	query->row_function = NULL;
	pfree(query->row_values);
	pfree(query->row_nulls);
}

/*
 * inner_query_close: close the portal, end the SPI connection and free the
 * query's memory.  The caller's memory context is current afterwards.
 */
void
inner_query_close(InnerQuery *query)
{
	MemoryContext callercxt = query->callercxt;

	if (query->own_progress)
		progress_end();
	SPI_cursor_close(query->portal);
	if (SPI_finish() != SPI_OK_FINISH)
		elog(ERROR, "SPI_finish failed");
	MemoryContextSwitchTo(callercxt);
	MemoryContextDelete(query->batchcxt);
	for (int i = 0; i < query->ncolumns; i++)
	{
		pfree(query->batch.values[i]);
		pfree(query->batch.nulls[i]);
	}
	pfree(query->batch.values);
	pfree(query->batch.nulls);
	pfree(query->types);
	pfree(query->convert);
	pfree(query->typlen);
	pfree(query);
}
