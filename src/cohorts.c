/*-------------------------------------------------------------------------
 *
 * cohorts.c
 *	  profile.cohorts(query, months, min_group_size): the cohort table of
 *	  BI tools.  Customers are grouped by the calendar month of their first
 *	  purchase (their cohort); for each cohort and each month since it
 *	  (0 .. months), how many of them bought (retention) and what they
 *	  spent (revenue).
 *
 * Definitions (README "Segment dynamics and cohorts"):
 *	- months are calendar months in the session's TimeZone, as
 *	  date_trunc('month', ordered_at) gives them;
 *	- a purchase is a row with amount >= 0; a return (amount < 0) lowers
 *	  the revenue of its month and makes nobody active, as in RFM;
 *	- a customer's cohort is the month of their first purchase; returns
 *	  dated before it, and customers without a purchase, are left out;
 *	- active_customers: cohort customers with a purchase in the month;
 *	  retention = active_customers / cohort_customers;
 *	- revenue: the sum of the amounts of the cohort's customers in the
 *	  month (returns included); revenue_per_customer = revenue /
 *	  cohort_customers, so that its running sum is the revenue per
 *	  acquired customer;
 *	- a cohort has rows for months 0 .. min(months, the months from it to
 *	  the latest month with a line), so the table is the usual triangle
 *	  and never shows a month that has not been observed as empty.
 *
 * The inner query (customer_id, ordered_at, amount) runs inside one query
 * that folds it per customer and month, finds each customer's cohort with
 * a window, and groups by (cohort, month), so only one row per cell comes
 * back, through a read-only cursor.  Rows with a NULL customer_id,
 * ordered_at or amount are left out and counted in a NOTICE; NaN and
 * infinite amounts of the rows used, and infinite times, are errors
 * (22000); a revenue out of range for double precision is 22003 (from
 * PostgreSQL's float8 sum).
 *
 * The privacy floor (privacy.c): a cell is suppressed (figures NULL,
 * suppressed = true) when its cohort has fewer customers than the floor,
 * or when the customers active in the month, or those with a line in it,
 * are more than 0 and fewer than the floor.
 *
 * IDENTIFICATION
 *	  src/cohorts.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "catalog/pg_type.h"
#include "datatype/timestamp.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/date.h"
#include "utils/guc.h"
#include "utils/datetime.h"
#include "utils/memutils.h"

#include "profile.h"

#define COHORTS_CALLER		"profile.cohorts"
#define COHORTS_MAX_MONTHS	1200

static const InnerColumn cohort_columns[] = {
	{"customer_id", INNER_KEY, false},
	{"ordered_at", INNER_TIME, false},
	{"amount", INNER_NUMBER, false},
};

/* One cell of the table: a cohort (month number) and the months since it */
typedef struct CohortCell
{
	int32		cohort;			/* year * 12 + month - 1 */
	int32		months_since;
	int64		active;			/* customers with a purchase */
	int64		with_lines;		/* customers with a line */
	double		revenue;
} CohortCell;

/* The months of a date (the first of a month): year * 12 + month - 1 */
static int32
month_number(DateADT date)
{
	int			year,
				month,
				day;

	if (DATE_NOT_FINITE(date))
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("ordered_at must be a finite timestamp, not %s",
						DATE_IS_NOBEGIN(date) ? "-infinity" : "infinity")));
	j2date(date + POSTGRES_EPOCH_JDATE, &year, &month, &day);
	return year * 12 + month - 1;
}

/* The first day of a month number */
static DateADT
month_date(int32 number)
{
	int			year = number / 12;
	int			month = number % 12 + 1;

	/* before year 0 (1 BC): floor division */
	if (number < 0)
	{
		year = -((-number + 11) / 12);
		month = number - year * 12 + 1;
	}
	return date2j(year, month, 1) - POSTGRES_EPOCH_JDATE;
}

static int
compare_cells(const void *a, const void *b)
{
	const CohortCell *x = (const CohortCell *) a;
	const CohortCell *y = (const CohortCell *) b;

	if (x->cohort != y->cohort)
		return (x->cohort > y->cohort) - (x->cohort < y->cohort);
	return (x->months_since > y->months_since) - (x->months_since < y->months_since);
}

/* Below the floor: more than nobody and fewer than the floor */
static inline bool
small_group(int64 count, int32 floor)
{
	return count > 0 && count < floor;
}

/*
 * The query that folds the inner query's rows into one row per cell:
 * (no customer, cohort, month, active, with lines, revenue, lines,
 * amounts, customers whose first row this cell holds).  The amount is
 * converted to float8 once per row, for the sum; a NaN or infinite amount
 * makes its cell's revenue NaN or infinite, which is how it is noticed.
 */
static char *
cohorts_sql(const char *sql)
{
	return psprintf(
		"WITH m AS (\n"
		"    SELECT q.c1 AS customer_id,\n"
		"           pg_catalog.date_trunc('month', q.c2::pg_catalog.timestamptz)::pg_catalog.date AS month,\n"
		"           pg_catalog.count(*) AS lines, pg_catalog.count(q.c3) AS amounts,\n"
		"           pg_catalog.count(*) FILTER (WHERE q.c3 OPERATOR(pg_catalog.>=) 0) AS purchases,\n"
		"           pg_catalog.sum(q.c3::pg_catalog.float8) AS revenue\n"
		"    FROM (\n%s\n) AS q(c1, c2, c3)\n"
		"    GROUP BY 1, 2),\n"
		"c AS (\n"
		"    SELECT m.*,\n"
		"           pg_catalog.min(m.month) FILTER (WHERE m.purchases OPERATOR(pg_catalog.>) 0) OVER w AS cohort,\n"
		"           pg_catalog.min(m.month) OVER w AS first_month\n"
		"    FROM m WINDOW w AS (PARTITION BY m.customer_id))\n"
		"SELECT c.customer_id IS NULL, c.cohort, c.month,\n"
		"       pg_catalog.count(*) FILTER (WHERE c.purchases OPERATOR(pg_catalog.>) 0),\n"
		"       pg_catalog.count(*) FILTER (WHERE c.amounts OPERATOR(pg_catalog.>) 0),\n"
		"       pg_catalog.sum(c.revenue), pg_catalog.sum(c.lines), pg_catalog.sum(c.amounts),\n"
		"       pg_catalog.count(*) FILTER (WHERE c.month OPERATOR(pg_catalog.=) c.first_month\n"
		"                                     OR (c.month IS NULL AND c.first_month IS NULL))\n"
		"FROM c GROUP BY 1, 2, 3",
		sql);
}

/* A numeric column of the folding query as int64 (sums of counts) */
static int64
get_count(HeapTuple tuple, TupleDesc desc, int column)
{
	bool		isnull;
	Datum		d = SPI_getbinval(tuple, desc, column, &isnull);

	if (isnull)
		return 0;
	if (TupleDescAttr(desc, column - 1)->atttypid == INT8OID)
		return DatumGetInt64(d);
	return DatumGetInt64(DirectFunctionCall1(numeric_int8, d));
}

PG_FUNCTION_INFO_V1(profile_cohorts);

/*
 * profile.cohorts(query text, months integer, min_group_size integer)
 * returns table (cohort date, months_since integer, cohort_customers
 * bigint, active_customers bigint, retention float8, revenue float8,
 * revenue_per_customer float8, suppressed boolean), by cohort and month.
 */
Datum
profile_cohorts(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	MemoryContext callercxt = CurrentMemoryContext;
	MemoryBudget budget;
	char	   *sql;
	int32		months;
	int32		floor;
	Oid			types[lengthof(cohort_columns)];
	SPIPlanPtr	plan;
	Portal		portal;
	int			guc_level;
	CohortCell *cells = NULL;
	Size		ncells = 0;
	Size		capacity = 0;
	int32		latest = PG_INT32_MIN;
	int64		rows_read = 0;
	int64		skipped_no_customer = 0;
	int64		skipped_null = 0;
	int64		skipped_returns = 0;
	int64		no_purchase = 0;

	check_arg_not_null(fcinfo, 0, "query");
	check_arg_not_null(fcinfo, 1, "months");
	sql = text_to_cstring(PG_GETARG_TEXT_PP(0));
	months = PG_GETARG_INT32(1);
	check_int_range(months, 0, COHORTS_MAX_MONTHS, "months");
	floor = privacy_floor(fcinfo, 2);

	progress_begin(COHORTS_CALLER);
	inner_query_shape(COHORTS_CALLER, sql, cohort_columns, lengthof(cohort_columns), types);
	InitMaterializedSRF(fcinfo, 0);
	budget_init(&budget, COHORTS_CALLER);

	/*
	 * The executor's sorts and hash tables may use the memory budget (as
	 * work_mem, for this query only), as profile_run_read's do: below
	 * work_mem's usual few MB they spill to disk.
	 */
	guc_level = NewGUCNestLevel();
	(void) set_config_option("work_mem", psprintf("%d", profile_memory_budget_kb),
							 PGC_USERSET, PGC_S_SESSION, GUC_ACTION_SAVE, true, 0, false);
	(void) set_config_option("hash_mem_multiplier", "1", PGC_USERSET, PGC_S_SESSION,
							 GUC_ACTION_SAVE, true, 0, false);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	plan = SPI_prepare(cohorts_sql(sql), 0, NULL);
	if (plan == NULL)
		elog(ERROR, "SPI_prepare failed: %s", SPI_result_code_string(SPI_result));
	portal = SPI_cursor_open(NULL, plan, NULL, NULL, true);
	progress_phase("folding the query by customer and month", NULL, 0);
	for (;;)
	{
		CHECK_FOR_INTERRUPTS();
		SPI_cursor_fetch(portal, true, 1024);
		if (SPI_processed == 0)
			break;
		for (uint64 r = 0; r < SPI_processed; r++)
		{
			HeapTuple	tuple = SPI_tuptable->vals[r];
			TupleDesc	desc = SPI_tuptable->tupdesc;
			bool		isnull,
						cohort_null,
						month_null;
			bool		no_customer = DatumGetBool(SPI_getbinval(tuple, desc, 1, &isnull));
			Datum		cohort = SPI_getbinval(tuple, desc, 2, &cohort_null);
			Datum		month = SPI_getbinval(tuple, desc, 3, &month_null);
			int64		active = get_count(tuple, desc, 4);
			int64		with_lines = get_count(tuple, desc, 5);
			Datum		revenue_d = SPI_getbinval(tuple, desc, 6, &isnull);
			double		revenue = isnull ? 0.0 : DatumGetFloat8(revenue_d);
			int64		lines = get_count(tuple, desc, 7);
			int64		amounts = get_count(tuple, desc, 8);
			int64		first_rows = get_count(tuple, desc, 9);
			int32		cohort_index,
						month_index;
			CohortCell *cell;

			rows_read += lines;
			if (no_customer)
			{
				skipped_no_customer += lines;
				continue;
			}
			if (month_null)
			{
				skipped_null += lines;
				if (cohort_null)
					no_purchase += first_rows;
				continue;
			}
			month_index = month_number(DatumGetDateADT(month));
			skipped_null += lines - amounts;
			if (cohort_null)
			{
				skipped_returns += amounts;
				no_purchase += first_rows;
				continue;
			}
			cohort_index = month_number(DatumGetDateADT(cohort));
			if (month_index < cohort_index)
			{
				skipped_returns += amounts;
				continue;
			}
			if (!isfinite(revenue))
				ereport(ERROR,
						(errcode(ERRCODE_DATA_EXCEPTION),
						 errmsg("amount must be a finite number"),
						 errdetail("The revenue of the customers of cohort %s in month %s is %s: "
								   "the query given to %s has a NaN or infinite amount.",
								   DatumGetCString(DirectFunctionCall1(date_out, cohort)),
								   DatumGetCString(DirectFunctionCall1(date_out, month)),
								   isnan(revenue) ? "NaN" : "infinite", COHORTS_CALLER)));
			latest = Max(latest, month_index);
			if (month_index - cohort_index > months)
				continue;
			if (ncells == capacity)
			{
				MemoryContext old = MemoryContextSwitchTo(callercxt);
				Size		grown = Max(capacity * 2, 64);

				budget_reserve_array(&budget, grown - capacity, sizeof(CohortCell), "cohort cells");
				cells = cells ? repalloc_huge(cells, grown * sizeof(CohortCell))
					: palloc_extended(grown * sizeof(CohortCell), MCXT_ALLOC_HUGE);
				capacity = grown;
				MemoryContextSwitchTo(old);
			}
			cell = &cells[ncells++];
			cell->cohort = cohort_index;
			cell->months_since = month_index - cohort_index;
			cell->active = active;
			cell->with_lines = with_lines;
			cell->revenue = revenue;
		}
		SPI_freetuptable(SPI_tuptable);
	}
	SPI_cursor_close(portal);
	SPI_finish();
	AtEOXact_GUC(true, guc_level);
	MemoryContextSwitchTo(callercxt);

	if (skipped_no_customer + skipped_null + skipped_returns + no_purchase > 0)
		ereport(NOTICE,
				(errmsg("%s left out " INT64_FORMAT " of " INT64_FORMAT " rows and " INT64_FORMAT " customers",
						COHORTS_CALLER, skipped_no_customer + skipped_null + skipped_returns,
						rows_read, no_purchase),
				 errdetail(INT64_FORMAT " rows have a NULL customer_id, " INT64_FORMAT
						   " a NULL ordered_at or amount; " INT64_FORMAT
						   " are returns dated before the customer's first purchase or of a customer without one; "
						   INT64_FORMAT " customers have no purchase.",
						   skipped_no_customer, skipped_null, skipped_returns, no_purchase)));

	progress_end();
	if (ncells == 0)
		PG_RETURN_NULL();
	qsort(cells, ncells, sizeof(CohortCell), compare_cells);

	/* every cohort's months 0 .. min(months, latest - cohort), empty ones too */
	for (Size i = 0; i < ncells;)
	{
		int32		cohort = cells[i].cohort;
		int64		size = cells[i].months_since == 0 ? cells[i].active : 0;
		int32		last = (int32) Min((int64) months, (int64) latest - cohort);
		DateADT		cohort_date = month_date(cohort);

		CHECK_FOR_INTERRUPTS();
		Assert(cells[i].months_since == 0);
		for (int32 m = 0; m <= last; m++)
		{
			Datum		values[8];
			bool		nulls[8] = {false};
			int64		active = 0;
			int64		with_lines = 0;
			double		revenue = 0.0;

			if (i < ncells && cells[i].cohort == cohort && cells[i].months_since == m)
			{
				active = cells[i].active;
				with_lines = cells[i].with_lines;
				revenue = cells[i].revenue;
				i++;
			}
			values[0] = DateADTGetDatum(cohort_date);
			values[1] = Int32GetDatum(m);
			if (size < floor || small_group(active, floor) || small_group(with_lines, floor))
			{
				for (int c = 2; c < 7; c++)
					nulls[c] = true;
				values[7] = BoolGetDatum(true);
			}
			else
			{
				values[2] = Int64GetDatum(size);
				values[3] = Int64GetDatum(active);
				values[4] = Float8GetDatum((double) active / (double) size);
				values[5] = Float8GetDatum(revenue);
				values[6] = Float8GetDatum(revenue / (double) size);
				values[7] = BoolGetDatum(false);
			}
			tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
		}
		/* cells past the last month cannot be: latest bounds them */
		Assert(i >= ncells || cells[i].cohort != cohort);
		while (i < ncells && cells[i].cohort == cohort)
			i++;
	}
	PG_RETURN_NULL();
}
