/*-------------------------------------------------------------------------
 *
 * behaviour_fold.c
 *	  Folding the rows of a profile query into one behaviour state per
 *	  customer, a buffer of rows at a time, clustered by customer.
 *
 * A sales table comes in the order of its orders, so consecutive rows
 * belong to different customers, and adding a row to its customer's state
 * (a few kB: groups, names, an order table) is a few cache misses: with
 * the executor's GROUP BY and the profile.behaviour aggregate, that is
 * most of the time profile.customer_profiles takes.  Here rows are first
 * appended to a buffer, their customer, category and channel interned as
 * small integers; when the buffer is full they are scattered by customer
 * (a stable counting sort) and folded one customer at a time, so each
 * state is fetched once per buffer for all of its rows.  Within a customer
 * the rows keep the query's order, so every sum is exactly the one the
 * aggregate computes over the same rows.
 *
 * Rows are checked as the aggregate checks them (behaviour_check_row),
 * when they arrive.  A row with a NULL customer id is counted, not kept;
 * one with a NULL ordered_at, amount or order id counts in its customer's
 * skipped rows, as in the aggregate.
 *
 * Memory: the states, the dictionaries and the buffer are reserved in the
 * caller's budget; the buffer's two copies (rows as they come, rows by
 * customer) take at most a quarter of it (1.2M rows with the default
 * 512MB) and hold at most 2M rows: the more rows a buffer holds, the more
 * of a customer's rows share one fetch of its state.
 *
 * IDENTIFICATION
 *	  src/behaviour_fold.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "miscadmin.h"

#include "behaviour.h"
#include "itemsets.h"
#include "profile.h"

#define FOLD_MIN_ROWS	1024
#define FOLD_MAX_ROWS	(1 << 21)
#define FOLD_CHUNK		256		/* lines handed to behaviour_add_rows at once */

/* A row waiting in the buffer */
typedef struct PendingLine
{
	TimestampTz ordered_at;
	double		amount;
	double		list_amount;
	double		quantity;
	int64		order_key;
	int32		customer;
	int32		category;		/* in names; -1: NULL (unknown) */
	int32		channel;		/* in names; -1: NULL (unknown) or no column */
	bool		has_list;
	bool		has_quantity;
} PendingLine;

/*
 * A direct-mapped cache in front of the names' dictionary: most rows name
 * one of a few categories and channels, and a cheap hash of the bytes and
 * one comparison beat the dictionary's full hash and probe.
 */
#define NAME_CACHE	256

typedef struct NameCacheEntry
{
	int32		id;				/* -1: empty */
	int32		len;
} NameCacheEntry;

struct BehaviourFold
{
	int			ncolumns;		/* of the query: 4 to 8 */
	uint8		columns;		/* BEHAVIOUR_HAS_* */
	Oid			customer_type;	/* base types */
	Oid			order_type;
	MemoryBudget *budget;
	ItemDict   *customers;
	ItemDict   *names;			/* categories and channels */
	BehaviourState **states;	/* by customer */
	Size		states_capacity;
	int64		skipped_no_customer;
	PendingLine *pending;
	PendingLine *sorted;
	int32		npending;
	int32		capacity;
	int32	   *starts;			/* counting sort: per customer */
	Size		starts_capacity;
	NameCacheEntry name_cache[NAME_CACHE];
	int32		last_customer;	/* of the row before; -1: none */
};

/*
 * behaviour_fold_create: a fold of the rows of a query with ncolumns
 * columns (customer_id, ordered_at, amount, category [, list_amount
 * [, channel [, order_id [, quantity]]]]) whose customer and order id
 * columns have these base types.
 */
BehaviourFold *
behaviour_fold_create(int ncolumns, Oid customer_type, Oid order_type, MemoryBudget *budget)
{
	BehaviourFold *fold = palloc0(sizeof(BehaviourFold));
	bool		ok;
	Size		rows;

	Assert(ncolumns >= 4 && ncolumns <= 8);
	fold->ncolumns = ncolumns;
	fold->columns = (ncolumns >= 5 ? BEHAVIOUR_HAS_LIST : 0) |
		(ncolumns >= 6 ? BEHAVIOUR_HAS_CHANNEL : 0) |
		(ncolumns >= 7 ? BEHAVIOUR_HAS_ORDER : 0) |
		(ncolumns >= 8 ? BEHAVIOUR_HAS_QUANTITY : 0);
	fold->customer_type = customer_type;
	fold->order_type = order_type;
	fold->budget = budget;
	fold->customers = itemdict_create(item_kind_of_type(customer_type, &ok), budget);
	Assert(ok);
	fold->names = itemdict_create(ITEM_TEXT, budget);
	for (int i = 0; i < NAME_CACHE; i++)
		fold->name_cache[i].id = -1;
	fold->last_customer = -1;

	rows = budget->limit / (4 * 2 * sizeof(PendingLine));
	rows = Max(rows, FOLD_MIN_ROWS);
	rows = Min(rows, FOLD_MAX_ROWS);
	budget_reserve_array(budget, 2 * rows, sizeof(PendingLine), "the row buffer");
	fold->capacity = (int32) rows;
	fold->pending = palloc(sizeof(PendingLine) * rows);
	fold->sorted = palloc(sizeof(PendingLine) * rows);
	return fold;
}

/* The customer's index, with a new empty state when new */
static int32
fold_customer(BehaviourFold *fold, Datum id)
{
	ItemKey		key;
	int32		known = fold->customers->count;
	int32		c;

	key.ival = 0;
	key.bytes = NULL;
	key.len = 0;
	item_key_from_datum(fold->customers->kind, id, fold->customer_type, &key);
	/* the lines of an order come together: the customer of the line before */
	if (fold->last_customer >= 0 && fold->customers->kind == ITEM_INTEGER &&
		key.ival == fold->customers->ints[fold->last_customer])
		return fold->last_customer;
	c = itemdict_intern(fold->customers, &key);
	fold->last_customer = c;
	if (c == known)
	{
		fold->states = items_grow(fold->states, &fold->states_capacity, (Size) c + 1,
								  sizeof(BehaviourState *), fold->budget, "customer states");
		fold->states[c] = behaviour_new(fold->columns);
		budget_reserve(fold->budget, VARSIZE(fold->states[c]), "customer states");
	}
	return c;
}

/* The first and last 8 bytes and the length, mixed */
static inline uint32
name_hash(const char *bytes, int len)
{
	uint64		head = 0,
				tail = 0;

	memcpy(&head, bytes, Min(len, 8));
	if (len > 8)
		memcpy(&tail, bytes + len - Min(len - 8, 8), Min(len - 8, 8));
	return (uint32) ((head * UINT64CONST(0x9E3779B97F4A7C15) ^
					  (tail + (uint64) len) * UINT64CONST(0xC2B2AE3D27D4EB4F)) >> 40);
}

static int32
fold_name(BehaviourFold *fold, Datum value)
{
	ItemKey		key;
	NameCacheEntry *entry;

	key.ival = 0;
	key.bytes = VARDATA_ANY(DatumGetPointer(value));
	key.len = VARSIZE_ANY_EXHDR(DatumGetPointer(value));
	entry = &fold->name_cache[name_hash(key.bytes, key.len) % NAME_CACHE];
	if (entry->id >= 0 && entry->len == key.len &&
		memcmp(fold->names->bytes + fold->names->offsets[entry->id], key.bytes, key.len) == 0)
		return entry->id;
	entry->id = itemdict_intern(fold->names, &key);
	entry->len = key.len;
	return entry->id;
}

static void
name_of(const BehaviourFold *fold, int32 id, const char **name, int *len)
{
	if (id < 0)
	{
		*name = NULL;
		*len = 0;
		return;
	}
	*name = fold->names->bytes + fold->names->offsets[id];
	*len = fold->names->lengths[id];
}

/* Scatter the buffer by customer and fold it into the states */
static void
fold_flush(BehaviourFold *fold)
{
	int32		ncustomers = fold->customers->count;
	int32	   *starts;
	int32		total = 0;
	uint32		chunks = 0;

	if (fold->npending == 0)
		return;
	fold->starts = items_grow(fold->starts, &fold->starts_capacity, (Size) ncustomers,
							  sizeof(int32), fold->budget, "customer states");
	starts = fold->starts;
	memset(starts, 0, sizeof(int32) * ncustomers);
	for (int32 i = 0; i < fold->npending; i++)
		starts[fold->pending[i].customer]++;
	for (int32 c = 0; c < ncustomers; c++)
	{
		int32		n = starts[c];

		starts[c] = total;
		total += n;
	}
	for (int32 i = 0; i < fold->npending; i++)
		fold->sorted[starts[fold->pending[i].customer]++] = fold->pending[i];

	/* each customer's lines, FOLD_CHUNK at a time */
	for (int32 i = 0; i < fold->npending;)
	{
		int32		c = fold->sorted[i].customer;
		BehaviourState *state = fold->states[c];
		BehaviourState *grown;
		BehaviourRow rows[FOLD_CHUNK];
		int			n = 0;

		for (; i < fold->npending && fold->sorted[i].customer == c && n < FOLD_CHUNK; i++, n++)
		{
			const PendingLine *p = &fold->sorted[i];
			BehaviourRow *row = &rows[n];

			row->ordered_at = p->ordered_at;
			row->amount = p->amount;
			name_of(fold, p->category, &row->category, &row->category_len);
			row->has_list = p->has_list;
			row->list_amount = p->list_amount;
			name_of(fold, p->channel, &row->channel, &row->channel_len);
			row->order_key = p->order_key;
			row->has_quantity = p->has_quantity;
			row->quantity = p->quantity;
		}
		grown = behaviour_add_rows(state, rows, n);
		if (grown != state)
		{
			/* grown (behaviour_add_rows freed any copy between) */
			budget_reserve(fold->budget, VARSIZE(grown), "customer states");
			budget_release(fold->budget, VARSIZE(state));
			pfree(state);
			fold->states[c] = grown;
		}
		if ((++chunks & 1023) == 0)
			CHECK_FOR_INTERRUPTS();
	}
	fold->npending = 0;
	progress_done(ncustomers);
}

/*
 * behaviour_fold_row: one row of the query (an InnerRowFunction: values
 * and nulls by column, arg the fold)
 */
void
behaviour_fold_row(const Datum *values, const bool *nulls, void *arg)
{
	BehaviourFold *fold = (BehaviourFold *) arg;
	PendingLine *p = &fold->pending[fold->npending];
	bool		has_order = (fold->columns & BEHAVIOUR_HAS_ORDER) != 0;
	bool		null_value = nulls[1] || nulls[2] || (has_order && nulls[6]);
	BehaviourRow row;
	int32		c;

	if (!null_value)
	{
		/* checked as the aggregate checks, whatever the customer */
		memset(&row, 0, sizeof(row));
		row.ordered_at = DatumGetTimestampTz(values[1]);
		row.amount = DatumGetFloat8(values[2]);
		row.has_list = fold->ncolumns >= 5 && !nulls[4];
		row.list_amount = row.has_list ? DatumGetFloat8(values[4]) : 0.0;
		row.has_quantity = fold->ncolumns >= 8 && !nulls[7];
		row.quantity = row.has_quantity ? DatumGetFloat8(values[7]) : 0.0;
		behaviour_check_row(&row);
	}
	if (nulls[0])
	{
		fold->skipped_no_customer++;
		return;
	}
	c = fold_customer(fold, values[0]);
	if (null_value)
	{
		fold->states[c]->skipped++;
		return;
	}
	p->ordered_at = row.ordered_at;
	p->amount = row.amount;
	p->has_list = row.has_list;
	p->list_amount = row.list_amount;
	p->has_quantity = row.has_quantity;
	p->quantity = row.quantity;
	p->order_key = has_order ? (int64) rfm_order_key(values[6], fold->order_type) : 0;
	p->customer = c;
	p->category = nulls[3] ? -1 : fold_name(fold, values[3]);
	p->channel = (fold->ncolumns >= 6 && !nulls[5]) ? fold_name(fold, values[5]) : -1;
	if (++fold->npending == fold->capacity)
		fold_flush(fold);
}

/* behaviour_fold_finish: fold what the buffer still holds, and free it */
void
behaviour_fold_finish(BehaviourFold *fold)
{
	fold_flush(fold);
	pfree(fold->pending);
	pfree(fold->sorted);
	fold->pending = fold->sorted = NULL;
	budget_release(fold->budget, sizeof(PendingLine) * 2 * (Size) fold->capacity);
	fold->capacity = 0;
}

int32
behaviour_fold_customers(const BehaviourFold *fold)
{
	return fold->customers->count;
}

const ItemDict *
behaviour_fold_dict(const BehaviourFold *fold)
{
	return fold->customers;
}

/* Customer c's state; the caller owns it from now on */
BehaviourState *
behaviour_fold_take(BehaviourFold *fold, int32 c)
{
	BehaviourState *state = fold->states[c];

	fold->states[c] = NULL;
	return state;
}

int64
behaviour_fold_skipped_no_customer(const BehaviourFold *fold)
{
	return fold->skipped_no_customer;
}
