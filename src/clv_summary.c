/*-------------------------------------------------------------------------
 *
 * clv_summary.c
 *	  From transactions to the per-customer summaries CLV models read.
 *
 *	- profile.clv_summary(ordered_at, amount, observation_end
 *	  [, time_unit]): frequency, recency, T and monetary of a group (GROUP
 *	  BY customer_id), as the Python package lifetimes'
 *	  summary_data_from_transaction_data computes them with freq 'D' and a
 *	  freq_multiplier of 1, 7 or 30.4375;
 *	- profile.clv_holdout(ordered_at, amount, calibration_end,
 *	  observation_end [, time_unit]): the same on the calibration period,
 *	  and the purchases of the holdout period after it (lifetimes'
 *	  calibration_and_holdout_data), to validate a model.
 *
 * Definitions (README: Lifetime value):
 *	- purchases are grouped by calendar day in the session's time zone: a
 *	  day with several rows is one purchase, whose amount is their sum;
 *	- a row with a NULL ordered_at or amount is skipped; so is a row with a
 *	  negative amount (a return: net returns into their orders first if
 *	  they should lower spend) and a row dated after observation_end (the
 *	  summary is as of that day);
 *	- frequency = purchase days - 1 (repeat purchases); recency = days from
 *	  the first to the last purchase day; T = days from the first purchase
 *	  day to observation_end's day; both divided by the days of time_unit
 *	  (day 1, week 7, month 30.4375); monetary = mean amount of the repeat
 *	  purchase days (0 without one), as lifetimes has it.
 *
 * The state (shared with purchase cycles, clv_cycle.c) is the set of
 * purchase days with their amounts: an open-addressing hash map in a
 * bytea (DESIGN.md: combinable, not internal).  It grows with the distinct
 * days of one group, a few thousand at most for a customer.  Its bytes are
 * its text form (bytea hex) on Citus; a state from outside is checked in
 * full before use.
 *
 * IDENTIFICATION
 *	  src/clv_summary.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "access/htup_details.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/date.h"
#include "utils/timestamp.h"

#include "clv.h"
#include "prng.h"
#include "profile.h"

#define CLV_DAYS_FORMAT		1
#define CLV_DAYS_INITIAL	8
#define CLV_DAYS_MAX		(1 << 24)	/* slots: 16M days, far above any history */
#define CLV_EMPTY_DAY		PG_INT32_MIN

/* ---- time units ---- */

ClvTimeUnit
clv_time_unit_from_name(const char *name)
{
	if (strcmp(name, "day") == 0)
		return CLV_UNIT_DAY;
	if (strcmp(name, "week") == 0)
		return CLV_UNIT_WEEK;
	if (strcmp(name, "month") == 0)
		return CLV_UNIT_MONTH;
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("unknown time unit \"%s\"", name),
			 errhint("The time units are day, week and month.")));
	return CLV_UNIT_DAY;		/* keep the compiler quiet */
}

const char *
clv_time_unit_name(ClvTimeUnit unit)
{
	switch (unit)
	{
		case CLV_UNIT_DAY:
			return "day";
		case CLV_UNIT_WEEK:
			return "week";
		case CLV_UNIT_MONTH:
			return "month";
	}
	return "?";
}

/* Days in one unit: a month is the mean Gregorian month */
double
clv_time_unit_days(ClvTimeUnit unit)
{
	switch (unit)
	{
		case CLV_UNIT_DAY:
			return 1.0;
		case CLV_UNIT_WEEK:
			return 7.0;
		case CLV_UNIT_MONTH:
			return 365.25 / 12.0;
	}
	return 1.0;
}

/*
 * Units in one month, for CLV's monthly discounting: lifetimes'
 * customer_lifetime_value factors (D 30, W 4.345, M 1), so that the same
 * model gives the same CLV as there.
 */
double
clv_time_unit_per_month(ClvTimeUnit unit)
{
	switch (unit)
	{
		case CLV_UNIT_DAY:
			return 30.0;
		case CLV_UNIT_WEEK:
			return 4.345;
		case CLV_UNIT_MONTH:
			return 1.0;
	}
	return 1.0;
}

/* ---- the purchase-day state ---- */

/*
 * Layout: the header, capacity doubles (amounts), then capacity int32 days
 * (CLV_EMPTY_DAY marks a free slot).  Every field has a fixed width.
 */
struct ClvDaysData
{
	int32		vl_len_;		/* varlena header */
	uint8		format;			/* CLV_DAYS_FORMAT */
	uint8		kind;			/* ClvDaysKind */
	uint8		unit;			/* ClvTimeUnit */
	uint8		unused;
	uint32		capacity;		/* slots, a power of 2 */
	uint32		count;			/* days held, at most capacity / 2 */
	int32		end_day;		/* observation end (as_of) */
	int32		split_day;		/* calibration end; 0 unless a holdout */
	double		amounts[FLEXIBLE_ARRAY_MEMBER];
};

StaticAssertDecl(offsetof(ClvDaysData, amounts) % MAXIMUM_ALIGNOF == 0,
				 "amounts must be aligned");

#define CLV_DAYS_SIZE(capacity) \
	(offsetof(ClvDaysData, amounts) + (sizeof(double) + sizeof(int32)) * (Size) (capacity))

static inline int32 *
days_of(ClvDaysData *state)
{
	return (int32 *) (state->amounts + state->capacity);
}

static const char *
kind_name(ClvDaysKind kind)
{
	switch (kind)
	{
		case CLV_DAYS_SUMMARY:
			return "profile.clv_summary";
		case CLV_DAYS_HOLDOUT:
			return "profile.clv_holdout";
		case CLV_DAYS_CYCLE:
			return "profile.purchase_cycle";
	}
	return "?";
}

static void bad_state(const char *why) pg_attribute_noreturn();

static void
bad_state(const char *why)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
			 errmsg("invalid purchase-day state: %s", why),
			 errhint("States come from the transition functions of profile.clv_summary, profile.clv_holdout and profile.purchase_cycle; do not build them by hand.")));
}

static ClvDaysData *
days_new(uint32 capacity, ClvDaysKind kind, ClvTimeUnit unit, int32 end_day, int32 split_day)
{
	ClvDaysData *state = palloc(CLV_DAYS_SIZE(capacity));
	int32	   *days;

	memset(state, 0, offsetof(ClvDaysData, amounts));
	SET_VARSIZE(state, CLV_DAYS_SIZE(capacity));
	state->format = CLV_DAYS_FORMAT;
	state->kind = (uint8) kind;
	state->unit = (uint8) unit;
	state->capacity = capacity;
	state->count = 0;
	state->end_day = end_day;
	state->split_day = split_day;
	memset(state->amounts, 0, sizeof(double) * capacity);
	days = days_of(state);
	for (uint32 i = 0; i < capacity; i++)
		days[i] = CLV_EMPTY_DAY;
	return state;
}

/* Add amount to day; needs a free slot (count < capacity / 2) */
static inline void
days_add(ClvDaysData *state, int32 day, double amount)
{
	int32	   *days = days_of(state);
	uint32		mask = state->capacity - 1;
	uint32		i = (uint32) prng_mix64((uint64) (uint32) day) & mask;

	for (uint32 probes = 0; probes < state->capacity; probes++, i = (i + 1) & mask)
	{
		if (days[i] == day)
		{
			state->amounts[i] += amount;
			return;
		}
		if (days[i] == CLV_EMPTY_DAY)
		{
			days[i] = day;
			state->amounts[i] = amount;
			state->count++;
			return;
		}
	}
	bad_state("full day set");	/* only a forged state can be full */
}

/* The state, or a copy twice as large when one more day may not fit */
static ClvDaysData *
days_reserve(ClvDaysData *state, uint32 extra)
{
	ClvDaysData *bigger;
	uint32		capacity = state->capacity;
	int32	   *days = days_of(state);

	if ((Size) (state->count + extra) * 2 <= capacity)
		return state;
	while ((Size) (state->count + extra) * 2 > capacity)
	{
		if (capacity >= CLV_DAYS_MAX)
			ereport(ERROR,
					(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
					 errmsg("too many distinct purchase days in one group (more than %d)",
							CLV_DAYS_MAX / 2)));
		capacity *= 2;
	}
	/* per-call context: the executor copies it into the aggregate context */
	bigger = days_new(capacity, state->kind, state->unit, state->end_day, state->split_day);
	for (uint32 i = 0; i < state->capacity; i++)
		if (days[i] != CLV_EMPTY_DAY)
			days_add(bigger, days[i], state->amounts[i]);
	return bigger;
}

/*
 * A state handed in from outside (a combine input, a final function
 * argument a user may call by hand): detoasted, aligned and checked in
 * full.  Returns a pointer usable in place, or an aligned copy.
 */
static ClvDaysData *
days_check(Datum datum)
{
	bytea	   *raw = DatumGetByteaP(datum);
	ClvDaysData *state;
	Size		size = VARSIZE(raw);
	int32	   *days;
	uint32		used = 0;

	if (size < offsetof(ClvDaysData, amounts))
		bad_state("too short");
	if (((uintptr_t) raw % MAXIMUM_ALIGNOF) != 0)
	{
		state = palloc(size);
		memcpy(state, raw, size);
	}
	else
		state = (ClvDaysData *) raw;
	if (state->format != CLV_DAYS_FORMAT)
		bad_state("unknown format");
	if (state->kind < CLV_DAYS_SUMMARY || state->kind > CLV_DAYS_CYCLE ||
		state->unit < CLV_UNIT_DAY || state->unit > CLV_UNIT_MONTH)
		bad_state("bad kind or time unit");
	if (state->capacity < CLV_DAYS_INITIAL || state->capacity > CLV_DAYS_MAX ||
		(state->capacity & (state->capacity - 1)) != 0)
		bad_state("bad capacity");
	if (size != CLV_DAYS_SIZE(state->capacity))
		bad_state("size does not match capacity");
	if ((Size) state->count * 2 > state->capacity)
		bad_state("bad count");
	if (state->end_day == CLV_EMPTY_DAY || state->end_day == PG_INT32_MAX ||
		(state->kind == CLV_DAYS_HOLDOUT && !(state->split_day < state->end_day)))
		bad_state("bad dates");
	days = days_of(state);
	for (uint32 i = 0; i < state->capacity; i++)
	{
		if (days[i] == CLV_EMPTY_DAY)
			continue;
		used++;
		if (days[i] > state->end_day || !isfinite(state->amounts[i]))
			bad_state("bad day");
	}
	if (used != state->count)
		bad_state("count does not match the days held");
	return state;
}

/* Calendar day of a timestamp in the session's time zone */
static int32
day_of(TimestampTz ts)
{
	return (int32) DatumGetDateADT(DirectFunctionCall1(timestamptz_date,
													   TimestampTzGetDatum(ts)));
}

static void
check_end(TimestampTz ts, const char *what)
{
	if (TIMESTAMP_NOT_FINITE(ts))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must be a finite timestamp", what)));
}

/*
 * clv_days_transfn: the transition step of the three aggregates, for a row
 * whose ordered_at and amount are not NULL (the caller skips those) and
 * parameters that are not NULL (the caller checks).  end is observation_end
 * (as_of for cycles), split the calibration end of a holdout.
 */
Datum
clv_days_transfn(FunctionCallInfo fcinfo, ClvDaysKind kind, TimestampTz ordered_at,
				 double amount, TimestampTz end, TimestampTz split, ClvTimeUnit unit)
{
	ClvDaysData *state;
	int32		day;

	if (TIMESTAMP_NOT_FINITE(ordered_at))
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("ordered_at must be a finite timestamp, not %s",
						TIMESTAMP_IS_NOBEGIN(ordered_at) ? "-infinity" : "infinity")));
	check_finite(amount, "amount");

	if (PG_ARGISNULL(0))
	{
		int32		end_day;
		int32		split_day = 0;

		check_end(end, kind == CLV_DAYS_CYCLE ? "as_of" : "observation_end");
		end_day = day_of(end);
		if (kind == CLV_DAYS_HOLDOUT)
		{
			check_end(split, "calibration_end");
			split_day = day_of(split);
			if (split_day >= end_day)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("calibration_end must be a day before observation_end")));
		}
		state = days_new(CLV_DAYS_INITIAL, kind, unit, end_day, split_day);
	}
	else
	{
		/* our own state, in the aggregate context: O(1) checks, then in place */
		state = (ClvDaysData *) PG_GETARG_POINTER(0);
		if (VARATT_IS_EXTENDED(state) ||
			((uintptr_t) state % MAXIMUM_ALIGNOF) != 0 ||
			VARSIZE(state) < offsetof(ClvDaysData, amounts) ||
			state->format != CLV_DAYS_FORMAT ||
			state->kind != (uint8) kind ||
			state->capacity < CLV_DAYS_INITIAL || state->capacity > CLV_DAYS_MAX ||
			(state->capacity & (state->capacity - 1)) != 0 ||
			VARSIZE(state) != CLV_DAYS_SIZE(state->capacity) ||
			(Size) state->count * 2 > state->capacity)
			bad_state("not made by this function");
		if (state->unit != (uint8) unit)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("time_unit must be the same for every row of a group")));
		if (state->end_day != day_of(end) ||
			(kind == CLV_DAYS_HOLDOUT && state->split_day != day_of(split)))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("%s must be the same for every row of a group",
							kind == CLV_DAYS_CYCLE ? "as_of" :
							kind == CLV_DAYS_HOLDOUT ? "calibration_end and observation_end" :
							"observation_end")));
	}

	/* returns, and rows after the end of the observation, count for nothing */
	if (amount < 0)
		PG_RETURN_BYTEA_P(state);
	day = day_of(ordered_at);
	if (day > state->end_day)
		PG_RETURN_BYTEA_P(state);

	state = days_reserve(state, 1);
	days_add(state, day, amount);
	PG_RETURN_BYTEA_P(state);
}

/* Merge two states of the same aggregate and parameters */
PG_FUNCTION_INFO_V1(profile_clv_days_combinefn);
Datum
profile_clv_days_combinefn(PG_FUNCTION_ARGS)
{
	ClvDaysData *state;
	ClvDaysData *other;
	int32	   *days;

	check_aggregate_call(fcinfo, "profile.clv_days_combinefn");
	if (PG_ARGISNULL(1))
	{
		if (PG_ARGISNULL(0))
			PG_RETURN_NULL();
		PG_RETURN_DATUM(PG_GETARG_DATUM(0));
	}
	if (PG_ARGISNULL(0))
		PG_RETURN_BYTEA_P(days_check(PG_GETARG_DATUM(1)));	/* copied by the executor */
	state = days_check(PG_GETARG_DATUM(0));
	other = days_check(PG_GETARG_DATUM(1));
	if (state->kind != other->kind || state->unit != other->unit)
		bad_state("cannot combine states of different aggregates");
	if (state->end_day != other->end_day || state->split_day != other->split_day)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("the end dates must be the same for every row of a group")));
	state = days_reserve(state, other->count);
	days = days_of(other);
	for (uint32 i = 0; i < other->capacity; i++)
		if (days[i] != CLV_EMPTY_DAY)
			days_add(state, days[i], other->amounts[i]);
	PG_RETURN_BYTEA_P(state);
}

typedef struct DayAmount
{
	int32		day;
	double		amount;
} DayAmount;

static int
compare_day_amount(const void *a, const void *b)
{
	int32		x = ((const DayAmount *) a)->day;
	int32		y = ((const DayAmount *) b)->day;

	return x < y ? -1 : x > y ? 1 : 0;
}

/*
 * clv_days_read: the days of a state from outside (checked in full), in
 * ascending order, in the current memory context.  The state must be of
 * this kind (22P03 otherwise).
 */
ClvDays *
clv_days_read(Datum datum, ClvDaysKind kind)
{
	ClvDaysData *state = days_check(datum);
	ClvDays    *result = palloc(sizeof(ClvDays));
	DayAmount  *pairs;
	int32	   *days = days_of(state);
	int32		n = 0;

	if (state->kind != (uint8) kind)
		bad_state(psprintf("a state of another aggregate than %s", kind_name(kind)));
	pairs = palloc(sizeof(DayAmount) * Max(state->count, 1));
	for (uint32 i = 0; i < state->capacity; i++)
		if (days[i] != CLV_EMPTY_DAY)
		{
			pairs[n].day = days[i];
			pairs[n].amount = state->amounts[i];
			n++;
		}
	qsort(pairs, n, sizeof(DayAmount), compare_day_amount);
	result->kind = kind;
	result->unit = (ClvTimeUnit) state->unit;
	result->end_day = state->end_day;
	result->split_day = state->split_day;
	result->count = n;
	result->days = palloc(sizeof(int32) * Max(n, 1));
	result->amounts = palloc(sizeof(double) * Max(n, 1));
	for (int32 i = 0; i < n; i++)
	{
		result->days[i] = pairs[i].day;
		result->amounts[i] = pairs[i].amount;
	}
	pfree(pairs);
	return result;
}

/* ---- clv_summary ---- */

static ClvTimeUnit
unit_arg(FunctionCallInfo fcinfo, int argno)
{
	if (PG_NARGS() <= argno)
		return CLV_UNIT_DAY;
	check_arg_not_null(fcinfo, argno, "time_unit");
	return clv_time_unit_from_name(text_to_cstring(PG_GETARG_TEXT_PP(argno)));
}

/*
 * Transition: (state, ordered_at, amount, observation_end [, time_unit]).
 * STABLE: days are calendar days of the session's time zone.
 */
PG_FUNCTION_INFO_V1(profile_clv_summary_transfn);
Datum
profile_clv_summary_transfn(PG_FUNCTION_ARGS)
{
	ClvTimeUnit unit;

	check_aggregate_call(fcinfo, "profile.clv_summary_transfn");
	check_arg_not_null(fcinfo, 3, "observation_end");
	unit = unit_arg(fcinfo, 4);
	if (PG_ARGISNULL(1) || PG_ARGISNULL(2))
	{
		if (PG_ARGISNULL(0))
			PG_RETURN_NULL();
		PG_RETURN_DATUM(PG_GETARG_DATUM(0));
	}
	return clv_days_transfn(fcinfo, CLV_DAYS_SUMMARY, PG_GETARG_TIMESTAMPTZ(1),
							PG_GETARG_FLOAT8(2), PG_GETARG_TIMESTAMPTZ(3), 0, unit);
}

/* Mean of amounts[from..to-1], 0 when empty */
static double
mean_amount(const double *amounts, int32 from, int32 to)
{
	double		sum = 0.0;

	if (to <= from)
		return 0.0;
	for (int32 i = from; i < to; i++)
		sum += amounts[i];
	if (!isfinite(sum))
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("monetary value out of range for double precision")));
	return sum / (to - from);
}

/*
 * Final: profile.clv_summary (frequency, recency, t, monetary), or NULL when
 * the group has no purchase on or before observation_end.
 */
PG_FUNCTION_INFO_V1(profile_clv_summary_finalfn);
Datum
profile_clv_summary_finalfn(PG_FUNCTION_ARGS)
{
	ClvDays    *d = clv_days_read(PG_GETARG_DATUM(0), CLV_DAYS_SUMMARY);
	double		unit_days = clv_time_unit_days(d->unit);
	TupleDesc	tupdesc;
	Datum		values[4];
	bool		nulls[4] = {false};

	if (d->count == 0)
		PG_RETURN_NULL();
	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");
	tupdesc = BlessTupleDesc(tupdesc);
	values[0] = Int64GetDatum(d->count - 1);
	values[1] = Float8GetDatum((d->days[d->count - 1] - d->days[0]) / unit_days);
	values[2] = Float8GetDatum(((double) d->end_day - d->days[0]) / unit_days);
	values[3] = Float8GetDatum(mean_amount(d->amounts, 1, d->count));
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(tupdesc, values, nulls)));
}

/* ---- clv_holdout ---- */

/* Transition: (state, ordered_at, amount, calibration_end, observation_end [, time_unit]) */
PG_FUNCTION_INFO_V1(profile_clv_holdout_transfn);
Datum
profile_clv_holdout_transfn(PG_FUNCTION_ARGS)
{
	ClvTimeUnit unit;

	check_aggregate_call(fcinfo, "profile.clv_holdout_transfn");
	check_arg_not_null(fcinfo, 3, "calibration_end");
	check_arg_not_null(fcinfo, 4, "observation_end");
	unit = unit_arg(fcinfo, 5);
	if (PG_ARGISNULL(1) || PG_ARGISNULL(2))
	{
		if (PG_ARGISNULL(0))
			PG_RETURN_NULL();
		PG_RETURN_DATUM(PG_GETARG_DATUM(0));
	}
	return clv_days_transfn(fcinfo, CLV_DAYS_HOLDOUT, PG_GETARG_TIMESTAMPTZ(1),
							PG_GETARG_FLOAT8(2), PG_GETARG_TIMESTAMPTZ(4),
							PG_GETARG_TIMESTAMPTZ(3), unit);
}

/*
 * Final: profile.clv_holdout, or NULL when the group has no purchase in the
 * calibration period (lifetimes leaves such customers out too).
 */
PG_FUNCTION_INFO_V1(profile_clv_holdout_finalfn);
Datum
profile_clv_holdout_finalfn(PG_FUNCTION_ARGS)
{
	ClvDays    *d = clv_days_read(PG_GETARG_DATUM(0), CLV_DAYS_HOLDOUT);
	double		unit_days = clv_time_unit_days(d->unit);
	int32		ncal = 0;
	TupleDesc	tupdesc;
	Datum		values[7];
	bool		nulls[7] = {false};

	while (ncal < d->count && d->days[ncal] <= d->split_day)
		ncal++;
	if (ncal == 0)
		PG_RETURN_NULL();
	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");
	tupdesc = BlessTupleDesc(tupdesc);
	values[0] = Int64GetDatum(ncal - 1);
	values[1] = Float8GetDatum((d->days[ncal - 1] - d->days[0]) / unit_days);
	values[2] = Float8GetDatum(((double) d->split_day - d->days[0]) / unit_days);
	values[3] = Float8GetDatum(mean_amount(d->amounts, 1, ncal));
	values[4] = Int64GetDatum(d->count - ncal);
	values[5] = Float8GetDatum(mean_amount(d->amounts, ncal, d->count));
	values[6] = Float8GetDatum(((double) d->end_day - d->split_day) / unit_days);
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(tupdesc, values, nulls)));
}
