/*-------------------------------------------------------------------------
 *
 * behaviour.h
 *	  A customer's buying behaviour: the state of profile.behaviour, and
 *	  the features computed from it (time of week, discounts, categories,
 *	  channels, basket, returns, trend, unit prices).
 *
 * IDENTIFICATION
 *	  src/behaviour.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef PROFILE_BEHAVIOUR_H
#define PROFILE_BEHAVIOUR_H

#include "postgres.h"

#include <math.h>

#include "datatype/timestamp.h"
#include "utils/date.h"

/*
 * State formats: 1 is the layout of release 1.0 (states stored by 1.0 are
 * read as they are); 2, added in 1.1, is 1 with the units of each category
 * (BehaviourUnits) after the groups, and is used exactly when the rows had
 * a quantity column.  A state without quantities is still written in
 * format 1, byte for byte as 1.0 wrote it.
 */
#define BEHAVIOUR_FORMAT		1
#define BEHAVIOUR_FORMAT_UNITS	2

/* which optional columns the rows had */
#define BEHAVIOUR_HAS_LIST		0x01
#define BEHAVIOUR_HAS_CHANNEL	0x02
#define BEHAVIOUR_HAS_ORDER		0x04
#define BEHAVIOUR_HAS_QUANTITY	0x08	/* format 2 */
#define BEHAVIOUR_ALL_COLUMNS	0x0f

/* group kinds */
#define BEHAVIOUR_CATEGORY		0
#define BEHAVIOUR_CHANNEL		1

/* what a NULL category or channel counts as */
#define BEHAVIOUR_UNKNOWN		"unknown"

/* dayparts, local hours: night [22, 6), morning [6, 12), afternoon [12, 17), evening [17, 22) */
#define BEHAVIOUR_NIGHT			0
#define BEHAVIOUR_MORNING		1
#define BEHAVIOUR_AFTERNOON		2
#define BEHAVIOUR_EVENING		3
#define BEHAVIOUR_NDAYPARTS		4

/* trend: recent / previous spend at or above RISING is rising, at or below DECLINING declining */
#define BEHAVIOUR_TREND_RISING		1.25
#define BEHAVIOUR_TREND_DECLINING	0.8
#define BEHAVIOUR_DEFAULT_PERIOD	90	/* days */

/*
 * One order in the state's open-addressing table (a slot is empty while
 * lines + returns == 0).  key: the order id's key, or the timestamp when
 * there is no order id.
 */
typedef struct BehaviourOrder
{
	int64		key;
	TimestampTz at;				/* its earliest line */
	double		spend;			/* sum of its non-negative line amounts */
	int32		lines;			/* non-negative lines */
	int32		returns;		/* negative lines */
} BehaviourOrder;

/* A category or a channel the customer bought in */
typedef struct BehaviourGroup
{
	uint32		name_off;		/* into the name pool */
	uint32		name_len;
	uint32		kind;			/* BEHAVIOUR_CATEGORY or _CHANNEL */
	uint32		unused;
	int64		lines;			/* non-negative lines */
	double		spend;			/* their amounts */
} BehaviourGroup;

/*
 * The units bought in a category (format 2 only, one per group; zero for
 * channels): the quantities of its purchase lines that had one, and the
 * amounts of those lines.  Their ratio is the customer's mean unit price
 * in the category.  Lines with a NULL quantity count in the group's lines
 * and spend but not here.
 */
typedef struct BehaviourUnits
{
	double		units;			/* sum of the quantities */
	double		spend;			/* sum of those lines' amounts */
} BehaviourUnits;

/*
 * The state: a bytea whose bytes are its text form on Citus (fixed-width
 * fields), followed by groups[group_capacity], in format 2 (quantities)
 * units[group_capacity], the name pool (name_capacity bytes, a multiple of
 * 8) and orders[order_capacity].
 * Unused capacity is zeroed.  The groups and names come first, next to the
 * header: every row looks its category and channel up there, so they
 * share a few cache lines; the order table is probed once per row.
 */
typedef struct BehaviourState
{
	int32		vl_len_;		/* varlena header */
	uint8		format;			/* BEHAVIOUR_FORMAT or _FORMAT_UNITS */
	uint8		columns;		/* BEHAVIOUR_HAS_* of the rows seen */
	uint16		unused;
	uint32		order_capacity; /* a power of 2, >= 8 */
	uint32		norders;		/* used order slots */
	uint32		group_capacity;
	uint32		ngroups;
	uint32		name_capacity;
	uint32		name_used;
	int64		skipped;		/* rows with a NULL ordered_at, amount or order id */
	int64		lines;			/* non-negative lines */
	int64		return_lines;	/* negative lines */
	int64		list_lines;		/* non-negative lines with a list amount */
	int64		list_below_paid;	/* of those, lines whose list is below the amount */
	double		spend;			/* sum of non-negative amounts */
	double		returned;		/* minus the sum of negative amounts */
	double		list_spend;		/* amounts of the list_lines */
	double		discount_spend; /* of those, amounts paid below list */
	int64		data[FLEXIBLE_ARRAY_MEMBER];	/* groups, names, orders */
} BehaviourState;

#define BEHAVIOUR_HEADER	offsetof(BehaviourState, data)
#define BEHAVIOUR_UNITS_SIZE(columns, gc) \
	(((columns) & BEHAVIOUR_HAS_QUANTITY) ? sizeof(BehaviourUnits) * (Size) (gc) : 0)
#define BEHAVIOUR_SIZE(columns, oc, gc, nc) \
	(BEHAVIOUR_HEADER + sizeof(BehaviourGroup) * (Size) (gc) + \
	 BEHAVIOUR_UNITS_SIZE(columns, gc) + (Size) (nc) + \
	 sizeof(BehaviourOrder) * (Size) (oc))

/* The format of a state with these columns */
static inline uint8
behaviour_format_of(uint8 columns)
{
	return (columns & BEHAVIOUR_HAS_QUANTITY) ? BEHAVIOUR_FORMAT_UNITS : BEHAVIOUR_FORMAT;
}

static inline BehaviourGroup *
behaviour_groups(const BehaviourState *state)
{
	return (BehaviourGroup *) state->data;
}

/* units[group_capacity], or NULL without quantities (format 1) */
static inline BehaviourUnits *
behaviour_units(const BehaviourState *state)
{
	if (!(state->columns & BEHAVIOUR_HAS_QUANTITY))
		return NULL;
	return (BehaviourUnits *) (behaviour_groups(state) + state->group_capacity);
}

static inline char *
behaviour_names(const BehaviourState *state)
{
	return (char *) (behaviour_groups(state) + state->group_capacity) +
		BEHAVIOUR_UNITS_SIZE(state->columns, state->group_capacity);
}

static inline BehaviourOrder *
behaviour_orders(const BehaviourState *state)
{
	return (BehaviourOrder *) (behaviour_names(state) + state->name_capacity);
}

/* One row, as the aggregate and the one-call function read it */
typedef struct BehaviourRow
{
	TimestampTz ordered_at;
	double		amount;
	const char *category;		/* NULL: unknown */
	int			category_len;
	bool		has_list;
	double		list_amount;
	const char *channel;		/* NULL: unknown (or no channel column) */
	int			channel_len;
	int64		order_key;		/* when columns has BEHAVIOUR_HAS_ORDER */
	bool		has_quantity;	/* a quantity was given (not NULL) */
	double		quantity;
} BehaviourRow;

/* The features of one customer as of a time */
typedef struct BehaviourFeatures
{
	int64		orders;			/* purchase orders: with a non-negative line */
	int64		lines;
	int64		return_lines;
	double		spend;
	double		returned;
	TimestampTz first_at;		/* first and last purchase order */
	TimestampTz last_at;
	DateADT		first_day;		/* their local days */
	DateADT		last_day;
	DateADT		as_of_day;
	int32		purchase_days;	/* distinct local days with a purchase order */
	double		weekend_share;
	double		daypart_share[BEHAVIOUR_NDAYPARTS];
	int32		top_weekday;	/* ISO: 1 Monday .. 7 Sunday */
	int32		top_hour;
	bool		has_discount;	/* list amounts were given */
	double		discount_share;
	double		spend_recent;	/* (as_of - period, as_of] */
	double		spend_previous; /* (as_of - 2 period, as_of - period] */
	const char *trend;			/* NULL: undefined */
} BehaviourFeatures;

/* Equal to 9 significant digits: the tie rule of rankings by sums */
static inline bool
behaviour_nearly_equal(double a, double b)
{
	return fabs(a - b) <= 1e-9 * Max(fabs(a), fabs(b));
}

extern BehaviourState *behaviour_new(uint8 columns);
extern BehaviourState *behaviour_add(BehaviourState *state, const BehaviourRow *row);
extern BehaviourState *behaviour_add_rows(BehaviourState *state, const BehaviourRow *rows,
										  int n);
extern BehaviourState *behaviour_merge(BehaviourState *into, const BehaviourState *from);
extern BehaviourState *behaviour_check(Datum datum);
extern bytea *behaviour_compact(const BehaviourState *state);
extern void behaviour_features(const BehaviourState *state, TimestampTz as_of,
							   int period_days, BehaviourFeatures *f);
extern int	behaviour_sorted_groups(const BehaviourState *state, uint32 kind,
									int32 *order);
extern int	behaviour_group_arrays(const BehaviourState *state, uint32 kind, int32 *order,
								   Datum *names, Datum *shares);
extern int32 behaviour_purchase_days(const BehaviourState *state, int32 *days,
									 double *amounts);
extern void behaviour_check_row(const BehaviourRow *row);
extern int	behaviour_check_period(int period_days);

/* Folding a profile query's rows into states, by customer (behaviour_fold.c) */
typedef struct BehaviourFold BehaviourFold;
struct ItemDict;
struct MemoryBudget;

extern BehaviourFold *behaviour_fold_create(int ncolumns, Oid customer_type, Oid order_type,
											struct MemoryBudget *budget);
extern void behaviour_fold_row(const Datum *values, const bool *nulls, void *arg);
extern void behaviour_fold_finish(BehaviourFold *fold);
extern int32 behaviour_fold_customers(const BehaviourFold *fold);
extern const struct ItemDict *behaviour_fold_dict(const BehaviourFold *fold);
extern BehaviourState *behaviour_fold_take(BehaviourFold *fold, int32 c);
extern int64 behaviour_fold_skipped_no_customer(const BehaviourFold *fold);

#endif							/* PROFILE_BEHAVIOUR_H */
