/*-------------------------------------------------------------------------
 *
 * behaviour.c
 *	  A customer's buying behaviour from order lines: the combinable state
 *	  of the aggregate profile.behaviour(ordered_at, amount, category
 *	  [, list_amount [, channel [, order_id [, quantity]]]]), used with
 *	  GROUP BY customer_id, and the features profile.behaviour_features
 *	  and profile.behaviour_categories compute from it.
 *	  profile.customer_profiles builds the same states.
 *
 * The state keeps what the features need and nothing per line: one entry
 * per order (its time, spend and lines: time of week, basket, trend and
 * purchase days are per order), one per category and channel (lines and
 * spend: shares, affinity, price tier; with a quantity column also the
 * units, for unit prices), and sums (spend, returns, spend at a discount).
 * Its size grows with the customer's orders and categories, never with
 * lines.
 *
 * Quantity (1.1): on a purchase line (amount >= 0) it must be finite and
 * greater than zero (fractions are fine: 0.5 kg); a NULL quantity leaves
 * the line out of the units and unit prices only.  Returns (amount < 0)
 * ignore it, whatever its sign.  States with quantities are format 2;
 * without, format 1, the bytes 1.0 wrote.  Timestamps are kept in UTC; local days, weekdays and
 * hours are taken in the session's time zone when features are computed.
 *
 * An order is the set of lines with one order id, or without an order id
 * column the lines with one timestamp.  A purchase order has at least one
 * line with amount >= 0; negative lines are returns.
 *
 * IDENTIFICATION
 *	  src/behaviour.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "pgtime.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/datetime.h"
#include "utils/lsyscache.h"
#include "utils/timestamp.h"

#include "behaviour.h"
#include "prng.h"
#include "profile.h"

#define INITIAL_ORDERS	8
#define INITIAL_GROUPS	4
#define INITIAL_NAMES	64
#define MAX_ORDER_CAPACITY	(UINT32_C(1) << 28)
#define MAX_GROUPS		(UINT32_C(1) << 20)

static void bad_state(const char *why) pg_attribute_noreturn();

static void
bad_state(const char *why)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("invalid profile.behaviour state: %s", why),
			 errhint("Pass a value made by the profile.behaviour aggregate.")));
}

static void
too_big(void)
{
	ereport(ERROR,
			(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
			 errmsg("the behaviour of one customer is too large for profile.behaviour"),
			 errdetail("A customer may have at most %u orders, %u categories and channels, and 1 GB of state.",
					   MAX_ORDER_CAPACITY / 2, MAX_GROUPS)));
}

static inline uint32
order_slot(int64 key, uint32 capacity)
{
	return (uint32) prng_mix64((uint64) key) & (capacity - 1);
}

static inline bool
order_used(const BehaviourOrder *order)
{
	return order->lines + order->returns > 0;
}

/*
 * A zeroed state with the given capacities, header fields from "like"
 * (columns from there too, else those given)
 */
static BehaviourState *
state_alloc(const BehaviourState *like, uint8 columns, uint32 oc, uint32 gc, uint32 nc)
{
	Size		size;
	BehaviourState *state;

	if (like != NULL)
		columns = like->columns;
	size = BEHAVIOUR_SIZE(columns, oc, gc, nc);
	if (oc > MAX_ORDER_CAPACITY || gc > MAX_GROUPS || !AllocSizeIsValid(size))
		too_big();
	state = palloc0(size);
	if (like != NULL)
		memcpy(state, like, BEHAVIOUR_HEADER);
	state->columns = columns;
	SET_VARSIZE(state, size);
	state->order_capacity = oc;
	state->group_capacity = gc;
	state->name_capacity = nc;
	return state;
}

BehaviourState *
behaviour_new(uint8 columns)
{
	BehaviourState *state = state_alloc(NULL, columns, INITIAL_ORDERS, INITIAL_GROUPS,
										INITIAL_NAMES);

	state->format = behaviour_format_of(columns);
	return state;
}

/* Place an order in a table with room for it (no key already there) */
static void
order_place(BehaviourOrder *orders, uint32 capacity, const BehaviourOrder *order)
{
	uint32		i = order_slot(order->key, capacity);

	while (order_used(&orders[i]))
		i = (i + 1) & (capacity - 1);
	orders[i] = *order;
}

/*
 * A copy of the state with at least these capacities.  The old state is
 * left alone: an aggregate's executor frees it (see behaviour_add).
 */
static BehaviourState *
state_resize(const BehaviourState *old, uint32 oc, uint32 gc, uint32 nc)
{
	BehaviourState *state = state_alloc(old, 0, oc, gc, nc);
	const BehaviourOrder *old_orders = behaviour_orders(old);

	if (oc == old->order_capacity)
		memcpy(behaviour_orders(state), old_orders, sizeof(BehaviourOrder) * (Size) oc);
	else
		for (uint32 i = 0; i < old->order_capacity; i++)
			if (order_used(&old_orders[i]))
				order_place(behaviour_orders(state), oc, &old_orders[i]);
	memcpy(behaviour_groups(state), behaviour_groups(old),
		   sizeof(BehaviourGroup) * (Size) old->ngroups);
	if (old->columns & BEHAVIOUR_HAS_QUANTITY)
		memcpy(behaviour_units(state), behaviour_units(old),
			   sizeof(BehaviourUnits) * (Size) old->ngroups);
	memcpy(behaviour_names(state), behaviour_names(old), old->name_used);
	return state;
}

static int32
group_find(const BehaviourState *state, uint32 kind, const char *name, uint32 len)
{
	const BehaviourGroup *groups = behaviour_groups(state);
	const char *names = behaviour_names(state);

	for (uint32 i = 0; i < state->ngroups; i++)
		if (groups[i].name_len == len && groups[i].kind == kind &&
			(len == 0 || names[groups[i].name_off] == name[0]) &&
			memcmp(names + groups[i].name_off, name, len) == 0)
			return (int32) i;
	return -1;
}

/* The group's index, added when new; *statep may be replaced */
static int32
group_get(BehaviourState **statep, uint32 kind, const char *name, uint32 len)
{
	BehaviourState *state = *statep;
	int32		i = group_find(state, kind, name, len);
	BehaviourGroup *group;

	if (i >= 0)
		return i;
	if (state->ngroups == state->group_capacity ||
		(Size) state->name_used + len > state->name_capacity)
	{
		/* a compacted state may have no spare room at all: start small */
		Size		nc = Max(state->name_capacity, INITIAL_NAMES);
		uint32		gc = state->group_capacity;

		while (nc < (Size) state->name_used + len)
			nc *= 2;
		if (nc > MaxAllocSize)
			too_big();
		if (state->ngroups == gc)
			gc = Max(gc * 2, INITIAL_GROUPS);
		state = *statep = state_resize(state, state->order_capacity, gc, (uint32) nc);
	}
	group = &behaviour_groups(state)[state->ngroups];
	group->name_off = state->name_used;
	group->name_len = len;
	group->kind = kind;
	memcpy(behaviour_names(state) + state->name_used, name, len);
	state->name_used += len;
	return (int32) state->ngroups++;
}

/* The order's slot, added (empty) when new; *statep may be replaced */
static BehaviourOrder *
order_get(BehaviourState **statep, int64 key, TimestampTz at)
{
	BehaviourState *state = *statep;
	BehaviourOrder *orders;
	uint32		i;

	if ((Size) (state->norders + 1) * 2 > state->order_capacity)
		state = *statep = state_resize(state, state->order_capacity * 2,
									   state->group_capacity, state->name_capacity);
	orders = behaviour_orders(state);
	for (i = order_slot(key, state->order_capacity);
		 order_used(&orders[i]);
		 i = (i + 1) & (state->order_capacity - 1))
		if (orders[i].key == key)
		{
			if (at < orders[i].at)
				orders[i].at = at;
			return &orders[i];
		}
	orders[i].key = key;
	orders[i].at = at;
	state->norders++;
	return &orders[i];
}

void
behaviour_check_row(const BehaviourRow *row)
{
	if (TIMESTAMP_NOT_FINITE(row->ordered_at))
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("ordered_at must be a finite timestamp, not %s",
						TIMESTAMP_IS_NOBEGIN(row->ordered_at) ? "-infinity" : "infinity")));
	check_finite(row->amount, "amount");
	if (row->has_list)
		check_finite(row->list_amount, "list_amount");
	if (row->has_quantity)
	{
		check_finite(row->quantity, "quantity");
		if (row->amount >= 0 && row->quantity <= 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("quantity must be greater than zero on a purchase line, not %g",
							row->quantity),
					 errdetail("The line has amount %g; lines with a negative amount are returns, whose quantity is not used.",
							   row->amount),
					 errhint("Give the units bought (a fraction such as 0.5 is fine), or NULL to leave the line out of unit prices.")));
	}
}

/* Add a line to its order and groups, found already (channel -1: none) */
static inline void
apply_line(BehaviourState *state, const BehaviourRow *row, BehaviourOrder *order,
		   int32 category, int32 channel)
{
	BehaviourGroup *groups = behaviour_groups(state);

	if (row->amount < 0)
	{
		state->return_lines++;
		state->returned -= row->amount;
		order->returns++;
		return;
	}
	state->lines++;
	state->spend += row->amount;
	order->lines++;
	order->spend += row->amount;
	groups[category].lines++;
	groups[category].spend += row->amount;
	if (row->has_quantity && (state->columns & BEHAVIOUR_HAS_QUANTITY))
	{
		BehaviourUnits *units = &behaviour_units(state)[category];

		units->units += row->quantity;
		units->spend += row->amount;
	}
	if (channel >= 0)
	{
		groups[channel].lines++;
		groups[channel].spend += row->amount;
	}
	if (row->has_list)
	{
		state->list_lines++;
		state->list_spend += row->amount;
		if (row->amount < row->list_amount)
			state->discount_spend += row->amount;
		else if (row->amount > row->list_amount)
			state->list_below_paid++;
	}
}

/* The group of a line's category or channel name (NULL: unknown) */
static inline int32
line_group(BehaviourState **statep, uint32 kind, const char *name, int len)
{
	return name ? group_get(statep, kind, name, (uint32) len) :
		group_get(statep, kind, BEHAVIOUR_UNKNOWN, strlen(BEHAVIOUR_UNKNOWN));
}

/*
 * behaviour_add: one order line.  Returns the state, or a larger copy of it
 * (the caller frees the old one, unless an aggregate's executor does).
 */
BehaviourState *
behaviour_add(BehaviourState *state, const BehaviourRow *row)
{
	int64		key = (state->columns & BEHAVIOUR_HAS_ORDER) ? row->order_key :
		(int64) row->ordered_at;
	BehaviourOrder *order;
	int32		category;
	int32		channel = -1;

	category = line_group(&state, BEHAVIOUR_CATEGORY, row->category, row->category_len);
	if (state->columns & BEHAVIOUR_HAS_CHANNEL)
		channel = line_group(&state, BEHAVIOUR_CHANNEL, row->channel, row->channel_len);
	order = order_get(&state, key, row->ordered_at);
	apply_line(state, row, order, category, channel);
	return state;
}

#define NAME_MEMO	64

/*
 * After a step that may have grown the state: a copy grown earlier in the
 * same behaviour_add_rows call is freed; the state given to it is the
 * caller's to free.
 */
static inline void
release_grown(BehaviourState *now, BehaviourState *before, const BehaviourState *given)
{
	if (now != before && before != given)
		pfree(before);
}

/*
 * behaviour_add_rows: n lines of one customer, in order: the state n calls
 * of behaviour_add would give, byte for byte, faster when the names are
 * interned (one name, one address: behaviour_fold.c).  A name seen before
 * in the call skips the search of the groups, and a line of the same
 * order as the line before skips the order table (unless that table is
 * due to grow, as behaviour_add would grow it).
 */
BehaviourState *
behaviour_add_rows(BehaviourState *state, const BehaviourRow *rows, int n)
{
	const char *memo_name[NAME_MEMO];
	uint32		memo_kind[NAME_MEMO];
	int32		memo_group[NAME_MEMO];
	int			nmemo = 0;
	bool		has_order = (state->columns & BEHAVIOUR_HAS_ORDER) != 0;
	bool		has_channel = (state->columns & BEHAVIOUR_HAS_CHANNEL) != 0;
	int64		last_key = 0;
	int64		last_slot = -1;
	uint32		last_kind = has_channel ? BEHAVIOUR_CHANNEL : BEHAVIOUR_CATEGORY;
	BehaviourState *given = state;

	for (int i = 0; i < n; i++)
	{
		const BehaviourRow *row = &rows[i];
		int64		key = has_order ? row->order_key : (int64) row->ordered_at;
		int32		group[2] = {0, -1};
		BehaviourOrder *order;

		for (uint32 kind = BEHAVIOUR_CATEGORY; kind <= last_kind; kind++)
		{
			const char *name = kind == BEHAVIOUR_CATEGORY ? row->category : row->channel;
			int			len = kind == BEHAVIOUR_CATEGORY ? row->category_len : row->channel_len;
			int			m;

			for (m = 0; m < nmemo; m++)
				if (memo_name[m] == name && memo_kind[m] == kind)
					break;
			if (m < nmemo)
				group[kind] = memo_group[m];
			else
			{
				BehaviourState *before = state;

				group[kind] = line_group(&state, kind, name, len);
				release_grown(state, before, given);
				if (nmemo < NAME_MEMO)
				{
					memo_name[nmemo] = name;
					memo_kind[nmemo] = kind;
					memo_group[nmemo++] = group[kind];
				}
			}
		}
		if (last_slot >= 0 && key == last_key &&
			(Size) (state->norders + 1) * 2 <= state->order_capacity)
		{
			/* growing for a group copies the order table as it is: the slot holds */
			order = &behaviour_orders(state)[last_slot];
			if (row->ordered_at < order->at)
				order->at = row->ordered_at;
		}
		else
		{
			BehaviourState *before = state;

			order = order_get(&state, key, row->ordered_at);
			release_grown(state, before, given);
			last_slot = order - behaviour_orders(state);
			last_key = key;
		}
		apply_line(state, row, order, group[BEHAVIOUR_CATEGORY], group[BEHAVIOUR_CHANNEL]);
	}
	return state;
}

/*
 * behaviour_merge: add "from" into "into" (the combine function, and
 * profile.behaviour_merge).  Returns into or a larger copy of it.
 */
BehaviourState *
behaviour_merge(BehaviourState *into, const BehaviourState *from)
{
	const BehaviourGroup *fgroups = behaviour_groups(from);
	const char *fnames = behaviour_names(from);

	if ((into->columns & BEHAVIOUR_HAS_ORDER) != (from->columns & BEHAVIOUR_HAS_ORDER))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("cannot merge profile.behaviour states with and without order ids"),
				 errhint("Build every state with the same columns.")));

	/*
	 * A state without quantities has spend without units: merged into one
	 * with quantities it would make its unit prices wrong, silently.
	 */
	if ((into->columns & BEHAVIOUR_HAS_QUANTITY) != (from->columns & BEHAVIOUR_HAS_QUANTITY))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("cannot merge profile.behaviour states with and without quantities"),
				 errhint("Build every state with the same columns: rebuild the states without quantities from their order lines.")));
	into->columns |= from->columns;
	for (uint32 g = 0; g < from->ngroups; g++)
	{
		int32		i = group_get(&into, fgroups[g].kind, fnames + fgroups[g].name_off,
								  fgroups[g].name_len);
		BehaviourGroup *group = &behaviour_groups(into)[i];

		group->lines += fgroups[g].lines;
		group->spend += fgroups[g].spend;
		if (into->columns & BEHAVIOUR_HAS_QUANTITY)
		{
			BehaviourUnits *units = &behaviour_units(into)[i];

			units->units += behaviour_units(from)[g].units;
			units->spend += behaviour_units(from)[g].spend;
		}
	}
	for (uint32 o = 0; o < from->order_capacity; o++)
	{
		const BehaviourOrder *src = &behaviour_orders(from)[o];
		BehaviourOrder *order;

		if (!order_used(src))
			continue;
		order = order_get(&into, src->key, src->at);
		order->lines += src->lines;
		order->returns += src->returns;
		order->spend += src->spend;
	}
	into->skipped += from->skipped;
	into->lines += from->lines;
	into->return_lines += from->return_lines;
	into->list_lines += from->list_lines;
	into->list_below_paid += from->list_below_paid;
	into->spend += from->spend;
	into->returned += from->returned;
	into->list_spend += from->list_spend;
	into->discount_spend += from->discount_spend;
	return into;
}

static bool
finite_nonneg(double x)
{
	return isfinite(x) && x >= 0.0;
}

/*
 * behaviour_check: a state from outside (a combine input, a value a user
 * passes), detoasted, aligned and validated so that nothing reads out of
 * bounds or loops for ever.
 */
BehaviourState *
behaviour_check(Datum datum)
{
	bytea	   *raw = DatumGetByteaPP(datum);
	Size		size = VARSIZE_ANY_EXHDR(raw) + VARHDRSZ;
	BehaviourState *state;
	const BehaviourGroup *groups;
	uint32		used = 0;
	int64		lines = 0,
				returns = 0;

	if (size < BEHAVIOUR_HEADER)
		bad_state("too short");
	if (VARATT_IS_SHORT(raw) || ((uintptr_t) raw % MAXIMUM_ALIGNOF) != 0)
	{
		state = palloc(size);
		memcpy(VARDATA(state), VARDATA_ANY(raw), size - VARHDRSZ);
		SET_VARSIZE(state, size);
	}
	else
		state = (BehaviourState *) raw;

	if (state->format != BEHAVIOUR_FORMAT && state->format != BEHAVIOUR_FORMAT_UNITS)
		bad_state("unknown format");
	if ((state->columns & ~BEHAVIOUR_ALL_COLUMNS) != 0 ||
		state->format != behaviour_format_of(state->columns))
		bad_state("bad columns");
	if (state->order_capacity < INITIAL_ORDERS || state->order_capacity > MAX_ORDER_CAPACITY ||
		(state->order_capacity & (state->order_capacity - 1)) != 0 ||
		state->group_capacity > MAX_GROUPS || state->name_capacity > MaxAllocSize ||
		state->name_capacity % 8 != 0 ||
		size != BEHAVIOUR_SIZE(state->columns, state->order_capacity, state->group_capacity,
							   state->name_capacity))
		bad_state("size does not match capacities");
	if ((Size) state->norders * 2 > state->order_capacity ||
		state->ngroups > state->group_capacity || state->name_used > state->name_capacity)
		bad_state("counts above capacities");
	for (uint32 i = 0; i < state->order_capacity; i++)
	{
		const BehaviourOrder *o = &behaviour_orders(state)[i];

		if (o->lines < 0 || o->returns < 0 || !finite_nonneg(o->spend))
			bad_state("bad order");
		if (!order_used(o))
			continue;
		if (TIMESTAMP_NOT_FINITE(o->at))
			bad_state("bad order time");
		used++;
		lines += o->lines;
		returns += o->returns;
	}
	if (used != state->norders || lines != state->lines || returns != state->return_lines)
		bad_state("order counts do not add up");
	groups = behaviour_groups(state);
	for (uint32 g = 0; g < state->ngroups; g++)
		if (groups[g].kind > BEHAVIOUR_CHANNEL ||
			groups[g].name_off > state->name_used ||
			groups[g].name_len > state->name_used - groups[g].name_off ||
			groups[g].lines < 0 || groups[g].lines > state->lines ||
			!finite_nonneg(groups[g].spend))
			bad_state("bad category or channel");
	if (state->columns & BEHAVIOUR_HAS_QUANTITY)
	{
		const BehaviourUnits *units = behaviour_units(state);

		for (uint32 g = 0; g < state->ngroups; g++)
			if (!finite_nonneg(units[g].units) || !finite_nonneg(units[g].spend) ||
				(units[g].units == 0 && units[g].spend != 0) ||
				(groups[g].kind != BEHAVIOUR_CATEGORY && units[g].units != 0) ||
				(groups[g].lines == 0 && units[g].units != 0))
				bad_state("bad units");
	}
	if (state->skipped < 0 || state->list_lines < 0 || state->list_lines > state->lines ||
		state->list_below_paid < 0 || state->list_below_paid > state->list_lines ||
		!finite_nonneg(state->spend) || !finite_nonneg(state->returned) ||
		!finite_nonneg(state->list_spend) || !finite_nonneg(state->discount_spend))
		bad_state("bad totals");
	return state;
}

/* The state without spare capacity (what the aggregate returns) */
bytea *
behaviour_compact(const BehaviourState *state)
{
	uint32		oc = INITIAL_ORDERS;
	BehaviourState *out;

	while ((Size) oc < (Size) state->norders * 2)
		oc *= 2;
	out = state_resize(state, oc, state->ngroups, TYPEALIGN(8, state->name_used));
	return (bytea *) out;
}

/* ---- local time ---- */

typedef struct LocalClock
{
	bool		fixed;			/* the session's zone has one UTC offset */
	long		gmtoff;			/* seconds east of UTC */
} LocalClock;

static void
local_clock_init(LocalClock *clock)
{
	clock->fixed = pg_get_timezone_offset(session_timezone, &clock->gmtoff);
}

/* Local day, weekday (0 Sunday) and hour of a timestamp */
static void
local_fields(const LocalClock *clock, TimestampTz ts, DateADT *day, int *wday, int *hour)
{
	if (clock->fixed)
	{
		int64		local = ts + (int64) clock->gmtoff * USECS_PER_SEC;
		int64		d = local / USECS_PER_DAY;

		if (local % USECS_PER_DAY < 0)
			d--;
		*day = (DateADT) d;
		*hour = (int) ((local - d * USECS_PER_DAY) / USECS_PER_HOUR);
		*wday = (int) (((d + 6) % 7 + 7) % 7);	/* 2000-01-01 was a Saturday */
	}
	else
	{
		struct pg_tm tm;
		fsec_t		fsec;
		int			tz;
		int			j;

		if (timestamp2tm(ts, &tz, &tm, &fsec, NULL, NULL) != 0)
			ereport(ERROR,
					(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
					 errmsg("timestamp out of range")));
		j = date2j(tm.tm_year, tm.tm_mon, tm.tm_mday);
		*day = (DateADT) (j - POSTGRES_EPOCH_JDATE);
		*hour = tm.tm_hour;
		*wday = j2day(j);
	}
}

static DateADT
local_day(TimestampTz ts)
{
	LocalClock	clock;
	DateADT		day;
	int			wday,
				hour;

	local_clock_init(&clock);
	local_fields(&clock, ts, &day, &wday, &hour);
	return day;
}

static int
daypart_of(int hour)
{
	if (hour < 6 || hour >= 22)
		return BEHAVIOUR_NIGHT;
	if (hour < 12)
		return BEHAVIOUR_MORNING;
	if (hour < 17)
		return BEHAVIOUR_AFTERNOON;
	return BEHAVIOUR_EVENING;
}

/* ---- features ---- */

/*
 * behaviour_features: the features of a state as of a time (trend windows
 * of period_days end there; no line may be on a later local day: 22023).
 */
void
behaviour_features(const BehaviourState *state, TimestampTz as_of, int period_days,
				   BehaviourFeatures *f)
{
	LocalClock	clock;
	int64		weekday_orders[7] = {0};
	int64		hour_orders[24] = {0};
	int64		daypart_orders[BEHAVIOUR_NDAYPARTS] = {0};
	int64		weekend = 0;
	TimestampTz latest = DT_NOBEGIN;
	TimestampTz recent_from = as_of - (int64) period_days * USECS_PER_DAY;
	TimestampTz previous_from = as_of - 2 * (int64) period_days * USECS_PER_DAY;
	int			wday,
				hour;

	memset(f, 0, sizeof(*f));
	local_clock_init(&clock);
	f->first_at = DT_NOEND;
	f->last_at = DT_NOBEGIN;
	for (uint32 i = 0; i < state->order_capacity; i++)
	{
		const BehaviourOrder *o = &behaviour_orders(state)[i];
		DateADT		day;

		if (!order_used(o))
			continue;
		if (o->at > latest)
			latest = o->at;
		if (o->lines == 0)
			continue;
		f->orders++;
		if (o->at < f->first_at)
			f->first_at = o->at;
		if (o->at > f->last_at)
			f->last_at = o->at;
		local_fields(&clock, o->at, &day, &wday, &hour);
		weekday_orders[wday]++;
		hour_orders[hour]++;
		daypart_orders[daypart_of(hour)]++;
		weekend += (wday == 0 || wday == 6);
		if (o->at > recent_from && o->at <= as_of)
			f->spend_recent += o->spend;
		else if (o->at > previous_from && o->at <= recent_from)
			f->spend_previous += o->spend;
	}

	local_fields(&clock, as_of, &f->as_of_day, &wday, &hour);
	if (latest != DT_NOBEGIN && local_day(latest) > f->as_of_day)
	{
		char	   *latest_str = pstrdup(timestamptz_to_str(latest));
		char	   *as_of_str = pstrdup(timestamptz_to_str(as_of));

		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("a row is dated %s, after as_of (%s)", latest_str, as_of_str),
				 errhint("Choose a later as_of, or keep only earlier rows with WHERE ordered_at < as_of.")));
	}

	f->lines = state->lines;
	f->return_lines = state->return_lines;
	f->spend = state->spend;
	f->returned = state->returned;
	f->has_discount = (state->columns & BEHAVIOUR_HAS_LIST) != 0 && state->list_spend > 0;
	if (f->has_discount)
		f->discount_share = state->discount_spend / state->list_spend;
	if (f->orders == 0)
		return;

	local_fields(&clock, f->first_at, &f->first_day, &wday, &hour);
	local_fields(&clock, f->last_at, &f->last_day, &wday, &hour);
	f->weekend_share = (double) weekend / f->orders;
	for (int p = 0; p < BEHAVIOUR_NDAYPARTS; p++)
		f->daypart_share[p] = (double) daypart_orders[p] / f->orders;
	/* ties go to the earliest ISO weekday (Monday first) and hour */
	f->top_weekday = 1;
	for (int iso = 2; iso <= 7; iso++)
		if (weekday_orders[iso % 7] > weekday_orders[f->top_weekday % 7])
			f->top_weekday = iso;
	f->top_hour = 0;
	for (int h = 1; h < 24; h++)
		if (hour_orders[h] > hour_orders[f->top_hour])
			f->top_hour = h;

	if (f->orders >= 2 && (f->spend_recent > 0 || f->spend_previous > 0))
	{
		double		ratio = f->spend_previous > 0 ?
			f->spend_recent / f->spend_previous : INFINITY;

		f->trend = ratio >= BEHAVIOUR_TREND_RISING ? "rising" :
			ratio <= BEHAVIOUR_TREND_DECLINING ? "declining" : "stable";
	}
}

static const BehaviourState *sort_state;

static int
compare_groups(const void *a, const void *b)
{
	const BehaviourGroup *groups = behaviour_groups(sort_state);
	const char *names = behaviour_names(sort_state);
	const BehaviourGroup *ga = &groups[*(const int32 *) a];
	const BehaviourGroup *gb = &groups[*(const int32 *) b];
	int			c;

	if (!behaviour_nearly_equal(ga->spend, gb->spend))
		return ga->spend > gb->spend ? -1 : 1;
	c = memcmp(names + ga->name_off, names + gb->name_off, Min(ga->name_len, gb->name_len));
	if (c != 0)
		return c;
	return (ga->name_len > gb->name_len) - (ga->name_len < gb->name_len);
}

/*
 * behaviour_sorted_groups: indices of the categories (or channels) with a
 * purchase, by spend descending, then name; returns how many.  order must
 * hold ngroups entries.  Spends equal to 9 significant digits count as
 * equal, so that the order does not hang on the rounding of sums added up
 * in a different order (parallel workers, partitions).
 */
int
behaviour_sorted_groups(const BehaviourState *state, uint32 kind, int32 *order)
{
	const BehaviourGroup *groups = behaviour_groups(state);
	int			n = 0;

	for (uint32 g = 0; g < state->ngroups; g++)
		if (groups[g].kind == kind && groups[g].lines > 0)
			order[n++] = (int32) g;
	sort_state = state;
	qsort(order, n, sizeof(int32), compare_groups);
	return n;
}

typedef struct DaySpend
{
	int32		day;
	double		spend;
} DaySpend;

/* sort_day_spends(pairs, n): by day, pg_qsort's algorithm inlined */
#define ST_SORT sort_day_spends
#define ST_ELEMENT_TYPE DaySpend
#define ST_COMPARE(a, b) (((a)->day > (b)->day) - ((a)->day < (b)->day))
#define ST_SCOPE static
#define ST_DEFINE
#include "lib/sort_template.h"

/*
 * behaviour_purchase_days: the distinct local days with a purchase order,
 * ascending, and the spend of each (days and amounts hold norders).
 */
int32
behaviour_purchase_days(const BehaviourState *state, int32 *days, double *amounts)
{
	LocalClock	clock;
	DaySpend   *pairs = palloc(sizeof(DaySpend) * (Size) Max(state->norders, 1));
	int32		n = 0,
				out = 0;
	int			wday,
				hour;

	local_clock_init(&clock);
	for (uint32 i = 0; i < state->order_capacity; i++)
	{
		const BehaviourOrder *o = &behaviour_orders(state)[i];
		DateADT		day;

		if (!order_used(o) || o->lines == 0)
			continue;
		local_fields(&clock, o->at, &day, &wday, &hour);
		pairs[n].day = day;
		pairs[n].spend = o->spend;
		n++;
	}
	sort_day_spends(pairs, n);
	for (int32 i = 0; i < n; i++)
	{
		if (out > 0 && days[out - 1] == pairs[i].day)
			amounts[out - 1] += pairs[i].spend;
		else
		{
			days[out] = pairs[i].day;
			amounts[out] = pairs[i].spend;
			out++;
		}
	}
	pfree(pairs);
	return out;
}

/* ---- SQL: the aggregate ---- */

static text *
arg_text(FunctionCallInfo fcinfo, int argno, const char **data, int *len)
{
	text	   *t;

	if (PG_ARGISNULL(argno))
	{
		*data = NULL;
		*len = 0;
		return NULL;
	}
	t = PG_GETARG_TEXT_PP(argno);
	*data = VARDATA_ANY(t);
	*len = VARSIZE_ANY_EXHDR(t);
	return t;
}

/*
 * profile.behaviour transition: (state, ordered_at, amount, category
 * [, list_amount [, channel [, order_id bigint|text [, quantity]]]]).  The
 * form with quantity (8 arguments) is 1.1's; the 1.0 forms are unchanged.
 */
PG_FUNCTION_INFO_V1(profile_behaviour_transfn);
Datum
profile_behaviour_transfn(PG_FUNCTION_ARGS)
{
	int			nargs = PG_NARGS();
	uint8		columns = (nargs >= 5 ? BEHAVIOUR_HAS_LIST : 0) |
		(nargs >= 6 ? BEHAVIOUR_HAS_CHANNEL : 0) |
		(nargs >= 7 ? BEHAVIOUR_HAS_ORDER : 0) |
		(nargs >= 8 ? BEHAVIOUR_HAS_QUANTITY : 0);
	BehaviourState *state;
	BehaviourRow row;

	check_aggregate_call(fcinfo, "profile.behaviour_transfn");
	if (PG_ARGISNULL(0))
	{
		/*
		 * In the per-call context: the executor copies a new by-reference
		 * state into the aggregate context and frees the one it replaces;
		 * later calls update that copy in place.
		 */
		state = behaviour_new(columns);
	}
	else
	{
		state = (BehaviourState *) PG_GETARG_POINTER(0);
		if (VARATT_IS_EXTENDED(state) ||
			((uintptr_t) state % MAXIMUM_ALIGNOF) != 0 ||
			VARSIZE(state) < BEHAVIOUR_HEADER ||
			state->format != behaviour_format_of(columns) || state->columns != columns ||
			state->order_capacity < INITIAL_ORDERS ||
			(state->order_capacity & (state->order_capacity - 1)) != 0 ||
			(Size) state->norders * 2 > state->order_capacity ||
			state->ngroups > state->group_capacity ||
			state->name_used > state->name_capacity || state->name_capacity % 8 != 0 ||
			VARSIZE(state) != BEHAVIOUR_SIZE(columns, state->order_capacity,
											 state->group_capacity, state->name_capacity))
			bad_state("not made by this function");
	}

	if (PG_ARGISNULL(1) || PG_ARGISNULL(2) || (nargs >= 7 && PG_ARGISNULL(6)))
	{
		state->skipped++;
		PG_RETURN_BYTEA_P(state);
	}
	memset(&row, 0, sizeof(row));
	row.ordered_at = PG_GETARG_TIMESTAMPTZ(1);
	row.amount = PG_GETARG_FLOAT8(2);
	arg_text(fcinfo, 3, &row.category, &row.category_len);
	if (nargs >= 5 && !PG_ARGISNULL(4))
	{
		row.has_list = true;
		row.list_amount = PG_GETARG_FLOAT8(4);
	}
	if (nargs >= 6)
		arg_text(fcinfo, 5, &row.channel, &row.channel_len);
	if (nargs >= 7)
	{
		/* the order id's type, looked up once per query */
		if (fcinfo->flinfo->fn_extra == NULL)
		{
			Oid		   *type = MemoryContextAlloc(fcinfo->flinfo->fn_mcxt, sizeof(Oid));

			*type = get_fn_expr_argtype(fcinfo->flinfo, 6);
			fcinfo->flinfo->fn_extra = type;
		}
		row.order_key = (int64) rfm_order_key(PG_GETARG_DATUM(6),
											  *(Oid *) fcinfo->flinfo->fn_extra);
	}
	if (nargs >= 8 && !PG_ARGISNULL(7))
	{
		row.has_quantity = true;
		row.quantity = PG_GETARG_FLOAT8(7);
	}
	behaviour_check_row(&row);
	PG_RETURN_BYTEA_P(behaviour_add(state, &row));
}

/* Combine (and the transition of profile.behaviour_merge) */
PG_FUNCTION_INFO_V1(profile_behaviour_combinefn);
Datum
profile_behaviour_combinefn(PG_FUNCTION_ARGS)
{
	MemoryContext aggcxt = check_aggregate_call(fcinfo, "profile.behaviour_combinefn");
	BehaviourState *from;
	BehaviourState *into;

	if (PG_ARGISNULL(1))
	{
		if (PG_ARGISNULL(0))
			PG_RETURN_NULL();
		PG_RETURN_DATUM(PG_GETARG_DATUM(0));
	}
	from = behaviour_check(PG_GETARG_DATUM(1));
	if (PG_ARGISNULL(0))
	{
		/* a copy in the aggregate context, ours to update from now on */
		into = MemoryContextAlloc(aggcxt, VARSIZE(from));
		memcpy(into, from, VARSIZE(from));
		PG_RETURN_BYTEA_P(into);
	}
	into = (BehaviourState *) PG_GETARG_POINTER(0);
	if (VARATT_IS_EXTENDED(into) || ((uintptr_t) into % MAXIMUM_ALIGNOF) != 0)
		into = behaviour_check(PG_GETARG_DATUM(0));
	PG_RETURN_BYTEA_P(behaviour_merge(into, from));
}

PG_FUNCTION_INFO_V1(profile_behaviour_finalfn);
Datum
profile_behaviour_finalfn(PG_FUNCTION_ARGS)
{
	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	PG_RETURN_BYTEA_P(behaviour_compact(behaviour_check(PG_GETARG_DATUM(0))));
}

/* ---- SQL: features of one state ---- */

/*
 * behaviour_group_arrays: the categories (or channels) of a state, by
 * spend (behaviour_sorted_groups), as a text[] of names and a float8[] of
 * their shares of the state's spend (0 when it has none).  order must hold
 * ngroups entries; it is left holding the groups' indices.  Returns how
 * many.
 */
int
behaviour_group_arrays(const BehaviourState *state, uint32 kind, int32 *order,
					   Datum *names, Datum *shares)
{
	const BehaviourGroup *groups = behaviour_groups(state);
	const char *pool = behaviour_names(state);
	int			n = behaviour_sorted_groups(state, kind, order);
	Datum	   *a = palloc(sizeof(Datum) * Max(n, 1));
	Datum	   *b = palloc(sizeof(Datum) * Max(n, 1));

	for (int i = 0; i < n; i++)
	{
		const BehaviourGroup *g = &groups[order[i]];

		a[i] = PointerGetDatum(cstring_to_text_with_len(pool + g->name_off, g->name_len));
		b[i] = Float8GetDatum(state->spend > 0 ? g->spend / state->spend : 0.0);
	}
	*names = PointerGetDatum(construct_array(a, n, TEXTOID, -1, false, TYPALIGN_INT));
	*shares = PointerGetDatum(construct_array(b, n, FLOAT8OID, 8, FLOAT8PASSBYVAL,
											  TYPALIGN_DOUBLE));
	return n;
}

int
behaviour_check_period(int period_days)
{
	if (period_days < 1 || period_days > 36500)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("period_days must be between 1 and 36500, not %d", period_days)));
	return period_days;
}

/*
 * profile.behaviour_features(behaviour, as_of, period_days): the customer's
 * own features (no population shares: profile.customer_profiles adds those).
 */
PG_FUNCTION_INFO_V1(profile_behaviour_features);
Datum
profile_behaviour_features(PG_FUNCTION_ARGS)
{
	BehaviourState *state;
	BehaviourFeatures f;
	TupleDesc	tupdesc;
	TimestampTz as_of;
	int32	   *order;
	int			n;
	Datum		values[28];
	bool		nulls[28];
	int			c = 0;

	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	check_arg_not_null(fcinfo, 1, "as_of");
	check_arg_not_null(fcinfo, 2, "period_days");
	as_of = PG_GETARG_TIMESTAMPTZ(1);
	if (TIMESTAMP_NOT_FINITE(as_of))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("as_of must be a finite timestamp")));
	state = behaviour_check(PG_GETARG_DATUM(0));
	behaviour_features(state, as_of, behaviour_check_period(PG_GETARG_INT32(2)), &f);
	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");
	tupdesc = BlessTupleDesc(tupdesc);
	memset(nulls, f.orders == 0, sizeof(nulls));
	order = palloc(sizeof(int32) * Max(state->ngroups, 1));

	values[c] = Int64GetDatum(f.orders);
	nulls[c++] = false;
	values[c] = Int64GetDatum(f.lines);
	nulls[c++] = false;
	values[c] = Float8GetDatum(f.spend);
	nulls[c++] = false;
	values[c] = Float8GetDatum(f.returned);
	nulls[c++] = false;
	values[c++] = TimestampTzGetDatum(f.first_at);
	values[c++] = TimestampTzGetDatum(f.last_at);
	values[c++] = Int32GetDatum(f.as_of_day - f.last_day);
	values[c++] = Int32GetDatum(f.as_of_day - f.first_day);
	values[c++] = Float8GetDatum(f.weekend_share);
	for (int p = 0; p < BEHAVIOUR_NDAYPARTS; p++)
		values[c++] = Float8GetDatum(f.daypart_share[p]);
	values[c++] = Int32GetDatum(f.top_weekday);
	values[c++] = Int32GetDatum(f.top_hour);
	values[c++] = Float8GetDatum(f.orders > 0 ? f.spend / f.orders : 0.0);
	values[c++] = Float8GetDatum(f.orders > 0 ? (double) f.lines / f.orders : 0.0);
	values[c] = Float8GetDatum(f.lines + f.return_lines > 0 ?
							   (double) f.return_lines / (f.lines + f.return_lines) : 0.0);
	nulls[c] = f.lines + f.return_lines == 0;
	c++;
	values[c] = Float8GetDatum(f.discount_share);
	nulls[c++] = !f.has_discount;
	behaviour_group_arrays(state, BEHAVIOUR_CATEGORY, order, &values[c], &values[c + 1]);
	c += 2;
	n = behaviour_group_arrays(state, BEHAVIOUR_CHANNEL, order, &values[c], &values[c + 1]);
	nulls[c++] = f.orders == 0 || !(state->columns & BEHAVIOUR_HAS_CHANNEL);
	nulls[c++] = f.orders == 0 || !(state->columns & BEHAVIOUR_HAS_CHANNEL);
	values[c] = BoolGetDatum(n > 1);
	nulls[c++] = f.orders == 0 || !(state->columns & BEHAVIOUR_HAS_CHANNEL);
	values[c++] = Float8GetDatum(f.spend_recent);
	values[c++] = Float8GetDatum(f.spend_previous);
	values[c] = f.trend ? CStringGetTextDatum(f.trend) : (Datum) 0;
	nulls[c] = f.trend == NULL;
	c++;
	Assert(c == tupdesc->natts);
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(tupdesc, values, nulls)));
}

/*
 * profile.behaviour_categories(behaviour): one row per category of a state
 * with a purchase, by spend descending then name (as the categories of
 * behaviour_features): lines, spend, and with quantities (1.1) the units
 * and the mean unit price, the amounts of the lines with a quantity over
 * their units (NULL without quantities, or when no line of the category
 * had one).
 */
PG_FUNCTION_INFO_V1(profile_behaviour_categories);
Datum
profile_behaviour_categories(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	const BehaviourState *state = behaviour_check(PG_GETARG_DATUM(0));
	const BehaviourGroup *groups = behaviour_groups(state);
	const BehaviourUnits *units = behaviour_units(state);
	const char *pool = behaviour_names(state);
	int32	   *order = palloc(sizeof(int32) * Max(state->ngroups, 1));
	int			n;

	InitMaterializedSRF(fcinfo, 0);
	n = behaviour_sorted_groups(state, BEHAVIOUR_CATEGORY, order);
	for (int i = 0; i < n; i++)
	{
		const BehaviourGroup *g = &groups[order[i]];
		Datum		values[5];
		bool		nulls[5] = {false};

		values[0] = PointerGetDatum(cstring_to_text_with_len(pool + g->name_off, g->name_len));
		values[1] = Int64GetDatum(g->lines);
		values[2] = Float8GetDatum(g->spend);
		if (units == NULL)
			nulls[3] = nulls[4] = true;
		else
		{
			values[3] = Float8GetDatum(units[order[i]].units);
			values[4] = Float8GetDatum(units[order[i]].units > 0 ?
									   units[order[i]].spend / units[order[i]].units : 0.0);
			nulls[4] = units[order[i]].units == 0;
		}
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	pfree(order);
	return (Datum) 0;
}
