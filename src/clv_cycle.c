/*-------------------------------------------------------------------------
 *
 * clv_cycle.c
 *	  Purchase cycles: how regularly a customer buys, when the next
 *	  purchase is due, and how overdue it is.
 *
 * profile.purchase_cycle(ordered_at, as_of) is an aggregate, so that
 * GROUP BY customer_id gives a customer's cycle and GROUP BY customer_id,
 * product_id (or category) the cycle of each thing they buy again.
 *
 * Definitions (README: Purchase cycles): purchases are calendar days in
 * the session's time zone (several rows on one day are one purchase); rows
 * with a NULL ordered_at, and rows dated after as_of's day, are left out.
 * The intervals are the day differences between consecutive purchases:
 *	- interval_median, interval_mean (days); interval_cv: sample standard
 *	  deviation / mean, NULL with fewer than 2 intervals;
 *	- expected_next: the last purchase day + the median interval, rounded
 *	  to whole days (half away from zero);
 *	- days_since_last: as_of's day - the last purchase day;
 *	- days_overdue: as_of's day - expected_next (negative: not due yet);
 *	- overdue_score: days_since_last / interval_median: 1 is one usual
 *	  cycle since the last purchase, 2 twice as long as usual.  NULL when
 *	  the median is 0 (cannot happen with distinct days) or undefined.
 * With a single purchase, every interval statistic is NULL.
 *
 * The state is the purchase-day set of clv_summary.c.
 *
 * IDENTIFICATION
 *	  src/clv_cycle.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "access/htup_details.h"
#include "fmgr.h"
#include "funcapi.h"
#include "utils/builtins.h"
#include "utils/date.h"
#include "utils/timestamp.h"

#include "clv.h"
#include "profile.h"

/* Transition: (state, ordered_at, as_of) */
PG_FUNCTION_INFO_V1(profile_purchase_cycle_transfn);
Datum
profile_purchase_cycle_transfn(PG_FUNCTION_ARGS)
{
	check_aggregate_call(fcinfo, "profile.purchase_cycle_transfn");
	check_arg_not_null(fcinfo, 2, "as_of");
	if (PG_ARGISNULL(1))
	{
		if (PG_ARGISNULL(0))
			PG_RETURN_NULL();
		PG_RETURN_DATUM(PG_GETARG_DATUM(0));
	}
	return clv_days_transfn(fcinfo, CLV_DAYS_CYCLE, PG_GETARG_TIMESTAMPTZ(1), 0.0,
							PG_GETARG_TIMESTAMPTZ(2), 0, CLV_UNIT_DAY);
}

static int
compare_int32(const void *a, const void *b)
{
	int32		x = *(const int32 *) a;
	int32		y = *(const int32 *) b;

	return x < y ? -1 : x > y ? 1 : 0;
}

/*
 * clv_cycle_compute: the purchase cycle of n distinct purchase days
 * (ascending) as of end_day.  Intervals need two days; their CV three.
 */
void
clv_cycle_compute(const int32 *days, int32 n, int32 end_day, ClvCycle *c)
{
	memset(c, 0, sizeof(*c));
	c->purchases = n;
	if (n == 0)
		return;
	c->last = days[n - 1];
	c->days_since_last = end_day - c->last;
	if (n >= 2)
	{
		int32	   *intervals = palloc(sizeof(int32) * (n - 1));
		double		mean = 0.0;
		int64		next;

		for (int32 i = 1; i < n; i++)
		{
			intervals[i - 1] = days[i] - days[i - 1];
			mean += intervals[i - 1];
		}
		mean /= (n - 1);
		qsort(intervals, n - 1, sizeof(int32), compare_int32);
		c->has_intervals = true;
		c->median = (n - 1) % 2 == 1 ? intervals[(n - 1) / 2] :
			(intervals[(n - 1) / 2 - 1] + (double) intervals[(n - 1) / 2]) / 2.0;
		c->mean = mean;
		if (n >= 3)
		{
			double		ss = 0.0;

			for (int32 i = 0; i < n - 1; i++)
				ss += (intervals[i] - mean) * (intervals[i] - mean);
			c->has_cv = true;
			c->cv = sqrt(ss / (n - 2)) / mean;
		}
		pfree(intervals);
		next = (int64) c->last + (int64) round(c->median);
		if (next > PG_INT32_MAX - 1 || !IS_VALID_DATE((DateADT) next))
			ereport(ERROR,
					(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
					 errmsg("the expected next purchase is out of the range of dates")));
		c->expected_next = (DateADT) next;
		c->days_overdue = (int32) (end_day - next);
		c->has_overdue_score = c->median > 0;
		if (c->has_overdue_score)
			c->overdue_score = (end_day - c->last) / c->median;
	}
}

PG_FUNCTION_INFO_V1(profile_purchase_cycle_finalfn);
Datum
profile_purchase_cycle_finalfn(PG_FUNCTION_ARGS)
{
	ClvDays    *d = clv_days_read(PG_GETARG_DATUM(0), CLV_DAYS_CYCLE);
	ClvCycle	c;
	TupleDesc	tupdesc;
	Datum		values[9];
	bool		nulls[9] = {false};

	if (d->count == 0)
		PG_RETURN_NULL();
	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");
	tupdesc = BlessTupleDesc(tupdesc);
	clv_cycle_compute(d->days, d->count, d->end_day, &c);
	values[0] = Int32GetDatum(c.purchases);
	values[1] = DateADTGetDatum(c.last);
	values[2] = Float8GetDatum(c.median);
	values[3] = Float8GetDatum(c.mean);
	values[4] = Float8GetDatum(c.cv);
	values[5] = DateADTGetDatum(c.expected_next);
	values[6] = Int32GetDatum(c.days_since_last);
	values[7] = Int32GetDatum(c.days_overdue);
	values[8] = Float8GetDatum(c.overdue_score);
	nulls[2] = nulls[3] = nulls[5] = nulls[7] = !c.has_intervals;
	nulls[4] = !c.has_cv;
	nulls[8] = !c.has_overdue_score;
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(tupdesc, values, nulls)));
}
