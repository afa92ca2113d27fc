/*-------------------------------------------------------------------------
 *
 * rfm_summary.c
 *	  Summarising sales rows per customer: recency, frequency, monetary.
 *
 * Two ways in, one arithmetic:
 *
 *	- the aggregate profile.rfm_summary(ordered_at, amount, as_of
 *	  [, order_id]), used with GROUP BY customer_id.  Its state is a bytea
 *	  (DESIGN.md: combinable, not internal, so parallel query and Citus can
 *	  split it) laid out as RfmStateData below;
 *	- RfmCustomers, the per-customer table the one-call profile.rfm() fills
 *	  straight from its inner query's batches.
 *
 * Definitions (README: RFM):
 *	- a row with a NULL ordered_at, amount or order id is skipped;
 *	- a purchase is a row with amount >= 0; a return (amount < 0) lowers
 *	  monetary and counts for nothing else, so a return never makes a
 *	  customer recent or frequent;
 *	- frequency counts distinct order ids among purchases when an order id
 *	  is given, else purchase rows.  Integer ids are compared exactly; text
 *	  and uuid ids by a 64-bit hash (for a customer with 10^4 orders, the
 *	  chance that two collide is below 10^-11);
 *	- monetary is the net sum, accumulated with Neumaier's compensated
 *	  summation so that row order changes it by a few ulps at most;
 *	- days are calendar days in the session's time zone (so DST days of 23
 *	  or 25 hours count as one day); a row dated after as_of's day is an
 *	  error (22023) rather than a negative recency.
 *
 * The set of order ids lives inside the state, as an open-addressing hash
 * set (linear probing, load at most 1/2).  The transition function updates
 * the state in place, as aggregate support functions may; when the set must
 * grow it returns a new, larger state and nodeAgg frees the old one.
 *
 * IDENTIFICATION
 *	  src/rfm_summary.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "access/htup_details.h"
#include "common/hashfn.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/date.h"
#include "utils/lsyscache.h"
#include "utils/timestamp.h"
#include "utils/uuid.h"

#include "prng.h"
#include "profile.h"

#define RFM_STATE_FORMAT	1
#define RFM_KEYS_INITIAL	8

/*
 * The aggregate state.  Its bytes are its text form (bytea hex) on Citus,
 * so every field has a fixed width; rfm_state_check() validates a state
 * that comes from outside before anything reads it.
 */
typedef struct RfmStateData
{
	int32		vl_len_;		/* varlena header */
	uint8		format;			/* RFM_STATE_FORMAT */
	uint8		keyed;			/* 1: frequency counts distinct keys */
	uint8		has_zero;		/* key 0 is in the set (0 marks empty slots) */
	uint8		unused;
	uint32		capacity;		/* slots in keys[]: 0, or a power of 2 */
	uint32		nkeys;			/* non-zero keys in keys[] */
	uint32		unused2;
	TimestampTz as_of;
	TimestampTz latest;			/* latest row, purchase or return */
	RfmAccum	accum;
	uint64		keys[FLEXIBLE_ARRAY_MEMBER];
} RfmStateData;

static void bad_state(const char *why) pg_attribute_noreturn();

#define RFM_STATE_SIZE(capacity) \
	(offsetof(RfmStateData, keys) + sizeof(uint64) * (Size) (capacity))

/* ---- arithmetic shared by the aggregate and the one-call path ---- */

void
rfm_accum_init(RfmAccum *accum)
{
	memset(accum, 0, sizeof(RfmAccum));
	accum->first_order = DT_NOEND;
	accum->last_order = DT_NOBEGIN;
}

/* Neumaier's compensated addition: the sum is monetary + compensation */
static inline void
compensated_add(double *sum, double *compensation, double x)
{
	double		t = *sum + x;

	if (fabs(*sum) >= fabs(x))
		*compensation += (*sum - t) + x;
	else
		*compensation += (x - t) + *sum;
	*sum = t;
}

/* Add one row (ordered_at finite, amount finite); true for a purchase */
static inline bool
rfm_accum_add(RfmAccum *accum, TimestampTz ordered_at, double amount)
{
	compensated_add(&accum->monetary, &accum->compensation, amount);
	if (amount < 0)
	{
		accum->returns++;
		return false;
	}
	accum->purchases++;
	if (ordered_at < accum->first_order)
		accum->first_order = ordered_at;
	if (ordered_at > accum->last_order)
		accum->last_order = ordered_at;
	return true;
}

void
rfm_accum_merge(RfmAccum *into, const RfmAccum *from)
{
	compensated_add(&into->monetary, &into->compensation, from->monetary);
	compensated_add(&into->monetary, &into->compensation, from->compensation);
	into->purchases += from->purchases;
	into->returns += from->returns;
	if (from->first_order < into->first_order)
		into->first_order = from->first_order;
	if (from->last_order > into->last_order)
		into->last_order = from->last_order;
}

/* The row checks every entry point shares */
static inline void
check_row_values(TimestampTz ordered_at, double amount)
{
	if (TIMESTAMP_NOT_FINITE(ordered_at))
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("ordered_at must be a finite timestamp, not %s",
						TIMESTAMP_IS_NOBEGIN(ordered_at) ? "-infinity" : "infinity")));
	check_finite(amount, "amount");
}

/* as_of must be given and finite */
static void
check_as_of(TimestampTz as_of)
{
	if (TIMESTAMP_NOT_FINITE(as_of))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("as_of must be a finite timestamp")));
}

/* Calendar day of a timestamp in the session's time zone */
static DateADT
day_of(TimestampTz ts)
{
	return DatumGetDateADT(DirectFunctionCall1(timestamptz_date,
											   TimestampTzGetDatum(ts)));
}

/*
 * rfm_as_of_day: the calendar day of as_of, after checking that no row
 * (latest: the latest of them) is dated after it (22023).
 */
DateADT
rfm_as_of_day(TimestampTz as_of, TimestampTz latest)
{
	DateADT		as_of_day = day_of(as_of);

	if (day_of(latest) > as_of_day)
	{
		/* timestamptz_to_str returns a static buffer */
		char	   *latest_str = pstrdup(timestamptz_to_str(latest));
		char	   *as_of_str = pstrdup(timestamptz_to_str(as_of));

		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("a row is dated %s, after as_of (%s)",
						latest_str, as_of_str),
				 errhint("Choose a later as_of, or keep only earlier rows with WHERE ordered_at < as_of.")));
	}
	return as_of_day;
}

/*
 * rfm_accum_days: recency and tenure in calendar days as of as_of_day.
 * Only for customers with at least one purchase.
 */
void
rfm_accum_days(const RfmAccum *accum, DateADT as_of_day,
			   int32 *recency_days, int32 *tenure_days)
{
	Assert(accum->purchases > 0);
	*recency_days = as_of_day - day_of(accum->last_order);
	*tenure_days = as_of_day - day_of(accum->first_order);
}

/* The net monetary value, with an overflow reported rather than returned */
double
rfm_accum_monetary(const RfmAccum *accum)
{
	double		monetary = accum->monetary + accum->compensation;

	if (!isfinite(monetary))
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("monetary value out of range for double precision")));
	return monetary;
}

/* ---- sets of order keys (open addressing, 0 marks an empty slot) ---- */

static void
bad_state(const char *why)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
			 errmsg("invalid profile.rfm_summary state: %s", why),
			 errhint("States come from profile.rfm_summary_transfn; do not build them by hand.")));
}


/* Insert key into slots[capacity]; true when it was new.  Needs a free slot. */
static inline bool
keyset_insert(uint64 *slots, uint32 capacity, uint8 *has_zero, uint64 key)
{
	uint32		mask = capacity - 1;
	uint32		i;

	if (key == 0)
	{
		bool		was_new = !*has_zero;

		*has_zero = 1;
		return was_new;
	}
	i = (uint32) prng_mix64(key) & mask;
	for (uint32 probes = 0; probes < capacity; probes++, i = (i + 1) & mask)
	{
		if (slots[i] == key)
			return false;
		if (slots[i] == 0)
		{
			slots[i] = key;
			return true;
		}
	}
	/* only a forged state can be full: ours keep half the slots free */
	bad_state("full key set");
	return false;
}

/* Re-insert the keys of old[oldcap] into slots[capacity] (zeroed) */
static void
keyset_rehash(uint64 *slots, uint32 capacity, const uint64 *old, uint32 oldcap)
{
	uint8		dummy = 0;

	for (uint32 i = 0; i < oldcap; i++)
		if (old[i] != 0)
			keyset_insert(slots, capacity, &dummy, old[i]);
}

/* The key of an order id Datum of type typid (int2/int4/int8/text/uuid) */
uint64
rfm_order_key(Datum value, Oid typid)
{
	switch (typid)
	{
		case INT2OID:
			return (uint64) (int64) DatumGetInt16(value);
		case INT4OID:
			return (uint64) (int64) DatumGetInt32(value);
		case INT8OID:
			return (uint64) DatumGetInt64(value);
		case UUIDOID:
			return DatumGetUInt64(hash_any_extended(DatumGetUUIDP(value)->data,
													UUID_LEN, 0));
		default:
			{
				text	   *t = DatumGetTextPP(value);

				return DatumGetUInt64(hash_any_extended((unsigned char *) VARDATA_ANY(t),
														VARSIZE_ANY_EXHDR(t), 0));
			}
	}
}

/* ---- the aggregate ---- */

static RfmStateData *
rfm_state_new(uint32 capacity, bool keyed, TimestampTz as_of)
{
	RfmStateData *state = palloc0(RFM_STATE_SIZE(capacity));

	SET_VARSIZE(state, RFM_STATE_SIZE(capacity));
	state->format = RFM_STATE_FORMAT;
	state->keyed = keyed ? 1 : 0;
	state->capacity = capacity;
	state->as_of = as_of;
	state->latest = DT_NOBEGIN;
	rfm_accum_init(&state->accum);
	return state;
}

/*
 * A state handed in from outside (a combine input, a final function
 * argument a user may call by hand): detoasted, aligned, validated.
 */
static RfmStateData *
rfm_state_check(Datum datum, bool copy)
{
	bytea	   *raw = DatumGetByteaP(datum);
	RfmStateData *state;
	Size		size = VARSIZE(raw);
	uint32		nonzero = 0;

	if (size < offsetof(RfmStateData, keys))
		bad_state("too short");
	if (copy || ((uintptr_t) raw % MAXIMUM_ALIGNOF) != 0)
	{
		state = palloc(size);
		memcpy(state, raw, size);
	}
	else
		state = (RfmStateData *) raw;

	if (state->format != RFM_STATE_FORMAT)
		bad_state("unknown format");
	if (state->keyed > 1 || state->has_zero > 1)
		bad_state("bad flags");
	if (size != RFM_STATE_SIZE(state->capacity))
		bad_state("size does not match capacity");
	if (state->capacity != 0 &&
		((state->capacity & (state->capacity - 1)) != 0 || !state->keyed))
		bad_state("bad capacity");
	if (state->keyed && state->capacity == 0)
		bad_state("bad capacity");
	for (uint32 i = 0; i < state->capacity; i++)
		nonzero += (state->keys[i] != 0);
	if (nonzero != state->nkeys || (Size) state->nkeys * 2 > state->capacity)
		bad_state("key count does not match");
	if (state->accum.purchases < 0 || state->accum.returns < 0 ||
		state->accum.purchases + state->accum.returns == 0 ||
		(state->keyed && (state->nkeys + state->has_zero) > (uint64) state->accum.purchases))
		bad_state("bad counts");
	if (TIMESTAMP_NOT_FINITE(state->as_of) || TIMESTAMP_NOT_FINITE(state->latest) ||
		(state->accum.purchases > 0 &&
		 (TIMESTAMP_NOT_FINITE(state->accum.first_order) ||
		  state->accum.first_order > state->accum.last_order ||
		  state->accum.last_order > state->latest)))
		bad_state("bad timestamps");
	if (isnan(state->accum.monetary) || isnan(state->accum.compensation))
		bad_state("bad monetary value");
	return state;
}

/* Make room for one more key; may return a new (larger) state */
static RfmStateData *
rfm_state_reserve_key(RfmStateData *state)
{
	RfmStateData *bigger;

	if ((Size) (state->nkeys + 1) * 2 <= state->capacity)
		return state;
	if (state->capacity >= (UINT32_C(1) << 30))
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("too many distinct orders for one customer in profile.rfm_summary")));

	/* per-call context, like the first state (see rfm_summary_trans) */
	bigger = rfm_state_new(state->capacity * 2, true, state->as_of);
	bigger->has_zero = state->has_zero;
	bigger->nkeys = state->nkeys;
	bigger->latest = state->latest;
	bigger->accum = state->accum;
	keyset_rehash(bigger->keys, bigger->capacity, state->keys, state->capacity);
	return bigger;
}

/*
 * The transition functions: (state, ordered_at, amount, as_of [, order_id]).
 */
static Datum
rfm_summary_trans(FunctionCallInfo fcinfo, bool keyed, Oid keytype)
{
	RfmStateData *state;
	TimestampTz ordered_at;
	TimestampTz as_of;
	double		amount;

	check_aggregate_call(fcinfo, "profile.rfm_summary_transfn");
	check_arg_not_null(fcinfo, 3, "as_of");
	as_of = PG_GETARG_TIMESTAMPTZ(3);

	/* a row with a NULL value is skipped */
	if (PG_ARGISNULL(1) || PG_ARGISNULL(2) || (keyed && PG_ARGISNULL(4)))
	{
		if (PG_ARGISNULL(0))
			PG_RETURN_NULL();
		PG_RETURN_DATUM(PG_GETARG_DATUM(0));
	}
	ordered_at = PG_GETARG_TIMESTAMPTZ(1);
	amount = PG_GETARG_FLOAT8(2);
	check_row_values(ordered_at, amount);

	if (PG_ARGISNULL(0))
	{
		/*
		 * Allocated in the per-call context: a by-reference state the
		 * transition function returns anew is copied into the aggregate
		 * context by the executor (ExecAggTransReparent), which also frees
		 * the state it replaces.  Later calls get that copy and update it in
		 * place.
		 */
		check_as_of(as_of);
		state = rfm_state_new(keyed ? RFM_KEYS_INITIAL : 0, keyed, as_of);
	}
	else
	{
		/*
		 * Our own state, in the aggregate context: updated in place.  The
		 * checks cost O(1); they keep a hand-made INITCOND of an aggregate
		 * built on this function from reading out of bounds.
		 */
		state = (RfmStateData *) PG_GETARG_POINTER(0);
		if (VARATT_IS_EXTENDED(state) ||
			((uintptr_t) state % MAXIMUM_ALIGNOF) != 0 ||
			VARSIZE(state) < offsetof(RfmStateData, keys) ||
			state->format != RFM_STATE_FORMAT ||
			state->keyed != (keyed ? 1 : 0) ||
			VARSIZE(state) != RFM_STATE_SIZE(state->capacity) ||
			(keyed && (state->capacity == 0 ||
					   (state->capacity & (state->capacity - 1)) != 0)) ||
			(Size) state->nkeys * 2 > state->capacity)
			bad_state("not made by this function");
		if (state->as_of != as_of)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("as_of must be the same for every row of a group")));
	}

	if (ordered_at > state->latest)
		state->latest = ordered_at;
	if (rfm_accum_add(&state->accum, ordered_at, amount) && keyed)
	{
		uint64		key = rfm_order_key(PG_GETARG_DATUM(4), keytype);

		if (key != 0)
			state = rfm_state_reserve_key(state);
		if (keyset_insert(state->keys, state->capacity, &state->has_zero, key) && key != 0)
			state->nkeys++;
	}
	PG_RETURN_BYTEA_P(state);
}

PG_FUNCTION_INFO_V1(profile_rfm_summary_transfn);
Datum
profile_rfm_summary_transfn(PG_FUNCTION_ARGS)
{
	return rfm_summary_trans(fcinfo, false, InvalidOid);
}

PG_FUNCTION_INFO_V1(profile_rfm_summary_transfn_int8);
Datum
profile_rfm_summary_transfn_int8(PG_FUNCTION_ARGS)
{
	return rfm_summary_trans(fcinfo, true, INT8OID);
}

PG_FUNCTION_INFO_V1(profile_rfm_summary_transfn_text);
Datum
profile_rfm_summary_transfn_text(PG_FUNCTION_ARGS)
{
	return rfm_summary_trans(fcinfo, true, TEXTOID);
}

PG_FUNCTION_INFO_V1(profile_rfm_summary_transfn_uuid);
Datum
profile_rfm_summary_transfn_uuid(PG_FUNCTION_ARGS)
{
	return rfm_summary_trans(fcinfo, true, UUIDOID);
}

/*
 * Combine: merges the second state into the first (in place, or into a
 * new state when the key set must grow).
 */
PG_FUNCTION_INFO_V1(profile_rfm_summary_combinefn);
Datum
profile_rfm_summary_combinefn(PG_FUNCTION_ARGS)
{
	RfmStateData *state;
	RfmStateData *other;

	check_aggregate_call(fcinfo, "profile.rfm_summary_combinefn");
	if (PG_ARGISNULL(1))
	{
		if (PG_ARGISNULL(0))
			PG_RETURN_NULL();
		PG_RETURN_DATUM(PG_GETARG_DATUM(0));
	}
	if (PG_ARGISNULL(0))
	{
		/* the executor copies it into the aggregate context */
		PG_RETURN_BYTEA_P(rfm_state_check(PG_GETARG_DATUM(1), false));
	}

	state = rfm_state_check(PG_GETARG_DATUM(0), false);
	other = rfm_state_check(PG_GETARG_DATUM(1), false);
	if (state->as_of != other->as_of)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("as_of must be the same for every row of a group")));
	if (state->keyed != other->keyed)
		bad_state("cannot combine states with and without order ids");

	rfm_accum_merge(&state->accum, &other->accum);
	if (other->latest > state->latest)
		state->latest = other->latest;
	if (other->has_zero)
		state->has_zero = 1;
	for (uint32 i = 0; i < other->capacity; i++)
	{
		if (other->keys[i] == 0)
			continue;
		state = rfm_state_reserve_key(state);
		if (keyset_insert(state->keys, state->capacity, &state->has_zero, other->keys[i]))
			state->nkeys++;
	}
	PG_RETURN_BYTEA_P(state);
}

/*
 * The final function: the profile.rfm_summary composite.  Leaves the state
 * alone.  A group of returns only has a frequency of 0 and NULL recency,
 * dates, tenure and average.
 */
PG_FUNCTION_INFO_V1(profile_rfm_summary_finalfn);
Datum
profile_rfm_summary_finalfn(PG_FUNCTION_ARGS)
{
	RfmStateData *state = rfm_state_check(PG_GETARG_DATUM(0), false);
	TupleDesc	tupdesc;
	Datum		values[7];
	bool		nulls[7] = {false};
	int64		frequency;
	DateADT		as_of_day;

	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");
	tupdesc = BlessTupleDesc(tupdesc);

	frequency = state->keyed ? (int64) state->nkeys + state->has_zero
		: state->accum.purchases;
	as_of_day = rfm_as_of_day(state->as_of, state->latest);
	values[1] = Int64GetDatum(frequency);
	values[2] = Float8GetDatum(rfm_accum_monetary(&state->accum));
	if (frequency > 0)
	{
		int32		recency_days;
		int32		tenure_days;

		rfm_accum_days(&state->accum, as_of_day, &recency_days, &tenure_days);
		values[0] = Int32GetDatum(recency_days);
		values[3] = TimestampTzGetDatum(state->accum.first_order);
		values[4] = TimestampTzGetDatum(state->accum.last_order);
		values[5] = Int32GetDatum(tenure_days);
		values[6] = Float8GetDatum(DatumGetFloat8(values[2]) / (double) frequency);
	}
	else
	{
		/* returns only: no purchase to be recent, tenured or averaged */
		nulls[0] = nulls[3] = nulls[4] = nulls[5] = nulls[6] = true;
	}
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(tupdesc, values, nulls)));
}

/* ---- the per-customer table of the one-call path ---- */

typedef struct CustomerSlot
{
	uint64		hash;
	int32		index;			/* -1: empty */
} CustomerSlot;

struct RfmCustomers
{
	MemoryContext cxt;			/* everything below lives here */
	MemoryBudget *budget;
	bool		byvalue;		/* customer ids are integers (else bytes) */
	bool		keyed;			/* order ids given */
	CustomerSlot *slots;
	uint32		nslots;			/* power of 2 */
	int32		count;
	int32		allocated;
	int64	   *int_ids;		/* byvalue: the ids */
	Datum	   *byte_ids;		/* else: copies of the text/uuid Datums */
	RfmAccum   *accum;
	RfmKeySet  *keys;
	TimestampTz latest;
};

RfmCustomers *
rfm_customers_create(MemoryBudget *budget, bool byvalue, bool keyed)
{
	MemoryContext cxt = AllocSetContextCreate(CurrentMemoryContext, "profile rfm customers",
											  ALLOCSET_DEFAULT_SIZES);
	RfmCustomers *customers = MemoryContextAllocZero(cxt, sizeof(RfmCustomers));

	customers->cxt = cxt;
	customers->budget = budget;
	customers->byvalue = byvalue;
	customers->keyed = keyed;
	customers->nslots = 1024;
	budget_reserve_array(budget, customers->nslots, sizeof(CustomerSlot), "customer table");
	customers->slots = MemoryContextAlloc(cxt, sizeof(CustomerSlot) * customers->nslots);
	memset(customers->slots, 0xff, sizeof(CustomerSlot) * customers->nslots);
	customers->latest = DT_NOBEGIN;
	return customers;
}

static uint64
customer_hash(RfmCustomers *customers, Datum id, Oid typid)
{
	if (customers->byvalue)
		return prng_mix64((uint64) (typid == INT8OID ? DatumGetInt64(id) :
									typid == INT4OID ? (int64) DatumGetInt32(id) :
									(int64) DatumGetInt16(id)));
	return rfm_order_key(id, typid);
}

static bool
customer_equal(RfmCustomers *customers, int32 index, Datum id, Oid typid)
{
	if (customers->byvalue)
		return customers->int_ids[index] ==
			(typid == INT8OID ? DatumGetInt64(id) :
			 typid == INT4OID ? (int64) DatumGetInt32(id) : (int64) DatumGetInt16(id));
	if (typid == UUIDOID)
		return memcmp(DatumGetPointer(customers->byte_ids[index]),
					  DatumGetPointer(id), UUID_LEN) == 0;
	else
	{
		text	   *a = (text *) DatumGetPointer(customers->byte_ids[index]);
		text	   *b = DatumGetTextPP(id);

		return VARSIZE_ANY_EXHDR(a) == VARSIZE_ANY_EXHDR(b) &&
			memcmp(VARDATA_ANY(a), VARDATA_ANY(b), VARSIZE_ANY_EXHDR(a)) == 0;
	}
}

static void
customers_grow_slots(RfmCustomers *customers)
{
	uint32		newcount = customers->nslots * 2;
	CustomerSlot *slots;
	uint32		mask = newcount - 1;

	budget_reserve_array(customers->budget, customers->nslots, sizeof(CustomerSlot),
						 "customer table");
	slots = MemoryContextAlloc(customers->cxt, sizeof(CustomerSlot) * newcount);
	memset(slots, 0xff, sizeof(CustomerSlot) * newcount);
	for (uint32 i = 0; i < customers->nslots; i++)
	{
		uint32		j;

		if (customers->slots[i].index < 0)
			continue;
		for (j = (uint32) customers->slots[i].hash & mask; slots[j].index >= 0; j = (j + 1) & mask)
			;
		slots[j] = customers->slots[i];
	}
	pfree(customers->slots);
	customers->slots = slots;
	customers->nslots = newcount;
}

static void
customers_grow_arrays(RfmCustomers *customers)
{
	int32		newcount = customers->allocated == 0 ? 1024 : customers->allocated * 2;
	Size		per = sizeof(RfmAccum) + (customers->keyed ? sizeof(RfmKeySet) : 0) +
		(customers->byvalue ? sizeof(int64) : sizeof(Datum));
	MemoryContext oldcxt;

	if (customers->allocated >= PG_INT32_MAX / 2)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("too many customers for profile.rfm")));
	budget_reserve_array(customers->budget, newcount - customers->allocated, per, "customers");
	oldcxt = MemoryContextSwitchTo(customers->cxt);
	if (customers->allocated == 0)
	{
		customers->accum = palloc(sizeof(RfmAccum) * newcount);
		if (customers->keyed)
			customers->keys = palloc(sizeof(RfmKeySet) * newcount);
		if (customers->byvalue)
			customers->int_ids = palloc(sizeof(int64) * newcount);
		else
			customers->byte_ids = palloc(sizeof(Datum) * newcount);
	}
	else
	{
		customers->accum = repalloc(customers->accum, sizeof(RfmAccum) * newcount);
		if (customers->keyed)
			customers->keys = repalloc(customers->keys, sizeof(RfmKeySet) * newcount);
		if (customers->byvalue)
			customers->int_ids = repalloc(customers->int_ids, sizeof(int64) * newcount);
		else
			customers->byte_ids = repalloc(customers->byte_ids, sizeof(Datum) * newcount);
	}
	MemoryContextSwitchTo(oldcxt);
	customers->allocated = newcount;
}

/* Find or add the customer with this id; returns its index */
static int32
customer_lookup(RfmCustomers *customers, Datum id, Oid typid)
{
	uint64		hash = customer_hash(customers, id, typid);
	uint32		mask = customers->nslots - 1;
	uint32		i;
	int32		index;

	for (i = (uint32) hash & mask; customers->slots[i].index >= 0; i = (i + 1) & mask)
	{
		if (customers->slots[i].hash == hash &&
			customer_equal(customers, customers->slots[i].index, id, typid))
			return customers->slots[i].index;
	}

	/* a new customer */
	if (customers->count == customers->allocated)
		customers_grow_arrays(customers);
	index = customers->count++;
	customers->slots[i].hash = hash;
	customers->slots[i].index = index;
	rfm_accum_init(&customers->accum[index]);
	if (customers->keyed)
		memset(&customers->keys[index], 0, sizeof(RfmKeySet));
	if (customers->byvalue)
		customers->int_ids[index] = typid == INT8OID ? DatumGetInt64(id) :
			typid == INT4OID ? (int64) DatumGetInt32(id) : (int64) DatumGetInt16(id);
	else
	{
		Size		len = typid == UUIDOID ? UUID_LEN : VARSIZE_ANY(DatumGetPointer(id));

		budget_reserve(customers->budget, len, "customer ids");
		customers->byte_ids[index] = PointerGetDatum(MemoryContextAlloc(customers->cxt, len));
		memcpy(DatumGetPointer(customers->byte_ids[index]), DatumGetPointer(id), len);
	}
	if ((Size) customers->count * 2 > customers->nslots)
		customers_grow_slots(customers);
	return index;
}

/* Add an order key to a customer's key set */
static void
customer_add_key(RfmCustomers *customers, RfmKeySet *set, uint64 key)
{
	if (key != 0 && (Size) (set->count + 1) * 2 > set->capacity)
	{
		uint32		newcap = set->capacity == 0 ? RFM_KEYS_INITIAL : set->capacity * 2;
		uint64	   *slots;

		if (set->capacity >= (UINT32_C(1) << 30))
			ereport(ERROR,
					(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
					 errmsg("too many distinct orders for one customer in profile.rfm")));
		budget_reserve_array(customers->budget, newcap - set->capacity, sizeof(uint64),
							 "order ids");
		slots = MemoryContextAllocZero(customers->cxt, sizeof(uint64) * newcap);
		if (set->capacity > 0)
		{
			keyset_rehash(slots, newcap, set->slots, set->capacity);
			pfree(set->slots);
		}
		set->slots = slots;
		set->capacity = newcap;
	}
	if (keyset_insert(set->slots, set->capacity, &set->has_zero, key) && key != 0)
		set->count++;
}

/*
 * rfm_customers_add_batch: add the rows of a batch whose columns are
 * customer_id, ordered_at (TimestampTz), amount (float8) and, when keyed,
 * order_id.  Rows with a NULL customer id, or a NULL elsewhere, are
 * counted in *skipped_no_customer and *skipped_null.
 */
void
rfm_customers_add_batch(RfmCustomers *customers, const InnerBatch *batch,
						Oid customer_type, Oid order_type,
						int64 *skipped_no_customer, int64 *skipped_null)
{
	for (int row = 0; row < batch->nrows; row++)
	{
		TimestampTz ordered_at;
		double		amount;
		int32		index;

		if (batch->nulls[0][row])
		{
			(*skipped_no_customer)++;
			continue;
		}
		if (batch->nulls[1][row] || batch->nulls[2][row] ||
			(customers->keyed && batch->nulls[3][row]))
		{
			(*skipped_null)++;
			continue;
		}
		ordered_at = DatumGetTimestampTz(batch->values[1][row]);
		amount = DatumGetFloat8(batch->values[2][row]);
		check_row_values(ordered_at, amount);

		index = customer_lookup(customers, batch->values[0][row], customer_type);
		if (ordered_at > customers->latest)
			customers->latest = ordered_at;
		if (rfm_accum_add(&customers->accum[index], ordered_at, amount) && customers->keyed)
			customer_add_key(customers, &customers->keys[index],
							 rfm_order_key(batch->values[3][row], order_type));
	}
}

int32
rfm_customers_count(RfmCustomers *customers)
{
	return customers->count;
}

TimestampTz
rfm_customers_latest(RfmCustomers *customers)
{
	return customers->latest;
}

const RfmAccum *
rfm_customers_accum(RfmCustomers *customers, int32 index)
{
	return &customers->accum[index];
}

int64
rfm_customers_frequency(RfmCustomers *customers, int32 index)
{
	if (customers->keyed)
		return (int64) customers->keys[index].count + customers->keys[index].has_zero;
	return customers->accum[index].purchases;
}

/* The customer id as text (the one-call output), in the current context */
char *
rfm_customers_id_text(RfmCustomers *customers, int32 index, Oid customer_type)
{
	Oid			outfunc;
	bool		isvarlena;

	if (customers->byvalue)
	{
		char		buf[MAXINT8LEN + 1];

		pg_lltoa(customers->int_ids[index], buf);
		return pstrdup(buf);
	}
	getTypeOutputInfo(customer_type, &outfunc, &isvarlena);
	return OidOutputFunctionCall(outfunc, customers->byte_ids[index]);
}

void
rfm_customers_free(RfmCustomers *customers)
{
	MemoryContextDelete(customers->cxt);
}
