/*-------------------------------------------------------------------------
 *
 * baskets.c
 *	  Baskets read from an inner query, and the item dictionary.
 *
 * The inner query of the itemset and rule functions returns
 * (basket_id, item) rows, or (basket_id, items[]) rows.  Basket ids and
 * items may be smallint, integer, bigint, text, varchar or uuid; an item
 * array is an array of one of those.  A row (or array element) with a NULL
 * is skipped and counted; an item listed twice in a basket counts once; a
 * basket exists when it has at least one item.
 *
 * Items and basket ids are dictionary-encoded exactly (no hashing away of
 * collisions): integers as int64, text and uuid as their bytes in one
 * arena.  Ids are dense, in order of first appearance.
 *
 * Memory: everything is allocated in the caller's context and reserved
 * against the run's MemoryBudget first.  Arrays grow by doubling through
 * items_grow(), which allows allocations past 1 GB when the budget does.
 *
 * IDENTIFICATION
 *	  src/baskets.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "common/hashfn.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/uuid.h"

#include "itemsets.h"

/*
 * items_grow: make array hold at least needed elements, doubling; the
 * growth is reserved against the budget first.
 */
void *
items_grow(void *array, Size *capacity, Size needed, Size elemsize,
		   MemoryBudget *budget, const char *purpose)
{
	Size		newcap;

	if (needed <= *capacity)
		return array;
	newcap = Max(*capacity, 64);
	while (newcap < needed)
		newcap = budget_mul(newcap, 2, budget->what);
	budget_reserve_array(budget, newcap - *capacity, elemsize, purpose);
	if (array == NULL)
		array = palloc_extended(budget_mul(newcap, elemsize, budget->what),
								MCXT_ALLOC_HUGE);
	else
		array = repalloc_huge(array, budget_mul(newcap, elemsize, budget->what));
	*capacity = newcap;
	return array;
}

/*
 * items_grow_columns: grow ncolumns arrays that share one capacity (the
 * columns of a table: *columns[i] has elemsizes[i]-byte elements) to hold
 * at least needed rows.
 */
void
items_grow_columns(Size *capacity, Size needed, MemoryBudget *budget,
				   const char *purpose, int ncolumns, void **const *columns,
				   const Size *elemsizes)
{
	Size		cap = *capacity;

	if (needed <= *capacity)
		return;
	for (int i = 0; i < ncolumns; i++)
	{
		cap = *capacity;
		*columns[i] = items_grow(*columns[i], &cap, needed, elemsizes[i], budget, purpose);
	}
	*capacity = cap;
}

/* ---- the item dictionary ---- */

/* The kind of dictionary a column (or array element) type calls for */
ItemKind
item_kind_of_type(Oid typid, bool *ok)
{
	*ok = true;
	switch (typid)
	{
		case INT2OID:
		case INT4OID:
		case INT8OID:
			return ITEM_INTEGER;
		case TEXTOID:
		case VARCHAROID:
		case BPCHAROID:
			return ITEM_TEXT;
		case UUIDOID:
			return ITEM_UUID;
	}
	*ok = false;
	return ITEM_TEXT;
}

ItemDict *
itemdict_create(ItemKind kind, MemoryBudget *budget)
{
	ItemDict   *dict = palloc0(sizeof(ItemDict));

	dict->kind = kind;
	dict->budget = budget;
	return dict;
}

/*
 * item_key_from_datum: the key of a value of type typid for a dictionary
 * of this kind; false when the type does not belong to the kind.  Text
 * keys point into the datum.
 */
bool
item_key_from_datum(ItemKind kind, Datum value, Oid typid, ItemKey *key)
{
	switch (typid)
	{
		case INT2OID:
			key->ival = DatumGetInt16(value);
			return kind == ITEM_INTEGER;
		case INT4OID:
			key->ival = DatumGetInt32(value);
			return kind == ITEM_INTEGER;
		case INT8OID:
			key->ival = DatumGetInt64(value);
			return kind == ITEM_INTEGER;
		case TEXTOID:
		case VARCHAROID:
		case BPCHAROID:
			key->bytes = VARDATA_ANY(DatumGetPointer(value));
			key->len = VARSIZE_ANY_EXHDR(DatumGetPointer(value));
			return kind == ITEM_TEXT;
		case UUIDOID:
			key->bytes = (const char *) DatumGetPointer(value);
			key->len = UUID_LEN;
			return kind == ITEM_UUID;
	}
	return false;
}

static int
hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * item_key_from_text: the key of an item written as text (constraints,
 * baskets of another type); false when the text cannot be such an item
 * (then it matches nothing).  uuidbuf holds UUID_LEN bytes for a uuid.
 */
bool
item_key_from_text(ItemKind kind, const char *text, ItemKey *key, char *uuidbuf)
{
	switch (kind)
	{
		case ITEM_INTEGER:
			{
				char	   *end;
				long long	v;

				errno = 0;
				v = strtoll(text, &end, 10);
				if (errno != 0 || end == text || *end != '\0')
					return false;
				key->ival = (int64) v;
				return true;
			}
		case ITEM_TEXT:
			key->bytes = text;
			key->len = strlen(text);
			return true;
		case ITEM_UUID:
			{
				int			n = 0;
				const char *p = text;

				if (*p == '{')
					p++;
				while (*p && n < 2 * UUID_LEN)
				{
					int			hi,
								lo;

					if (*p == '-' && n > 0 && n % 4 == 0)
						p++;
					hi = hex_value(p[0]);
					lo = hi < 0 ? -1 : hex_value(p[1]);
					if (hi < 0 || lo < 0)
						return false;
					uuidbuf[n / 2] = (char) (hi * 16 + lo);
					n += 2;
					p += 2;
				}
				if (*p == '}' && text[0] == '{')
					p++;
				if (n != 2 * UUID_LEN || *p != '\0')
					return false;
				key->bytes = uuidbuf;
				key->len = UUID_LEN;
				return true;
			}
	}
	return false;
}

static uint32
item_key_hash(ItemKind kind, const ItemKey *key)
{
	if (kind == ITEM_INTEGER)
		return (uint32) hash_bytes_uint32_extended((uint32) key->ival,
												   (uint64) (key->ival >> 32));
	return hash_bytes((const unsigned char *) key->bytes, key->len);
}

static bool
item_key_equal(const ItemDict *dict, int32 id, const ItemKey *key)
{
	if (dict->kind == ITEM_INTEGER)
		return dict->ints[id] == key->ival;
	return dict->lengths[id] == key->len &&
		memcmp(dict->bytes + dict->offsets[id], key->bytes, key->len) == 0;
}

/*
 * itemdict_key: the key of entry id, to look it up in another dictionary
 * of the same kind (its bytes stay the dictionary's)
 */
void
itemdict_key(const ItemDict *dict, int32 id, ItemKey *key)
{
	key->ival = dict->kind == ITEM_INTEGER ? dict->ints[id] : 0;
	key->bytes = dict->kind == ITEM_INTEGER ? NULL : dict->bytes + dict->offsets[id];
	key->len = dict->kind == ITEM_INTEGER ? 0 : dict->lengths[id];
}

/* Rebuild the slots at twice the size (or the first time) */
static void
itemdict_rehash(ItemDict *dict)
{
	uint32		nslots = dict->mask == 0 ? 1024 : (dict->mask + 1) * 2;

	if (nslots == 0 || nslots > (uint32) (MaxAllocHugeSize / sizeof(int32)))
		elog(ERROR, "item dictionary too large");
	budget_reserve_array(dict->budget, nslots, sizeof(int32), "the item dictionary");
	if (dict->slots != NULL)
	{
		budget_release(dict->budget, (Size) (dict->mask + 1) * sizeof(int32));
		pfree(dict->slots);
	}
	dict->slots = palloc_extended((Size) nslots * sizeof(int32),
								  MCXT_ALLOC_HUGE | MCXT_ALLOC_ZERO);
	dict->mask = nslots - 1;
	for (int32 id = 0; id < dict->count; id++)
	{
		uint32		slot = dict->hashes[id] & dict->mask;

		while (dict->slots[slot] != 0)
			slot = (slot + 1) & dict->mask;
		dict->slots[slot] = id + 1;
	}
}

int32
itemdict_find(const ItemDict *dict, const ItemKey *key)
{
	uint32		hash;
	uint32		slot;

	if (dict->count == 0)
		return -1;
	if (dict->direct != NULL && key->ival >= 0 && key->ival < ITEMDICT_DIRECT)
		return dict->direct[key->ival] - 1;
	hash = item_key_hash(dict->kind, key);
	for (slot = hash & dict->mask; dict->slots[slot] != 0; slot = (slot + 1) & dict->mask)
	{
		int32		id = dict->slots[slot] - 1;

		if (dict->hashes[id] == hash && item_key_equal(dict, id, key))
			return id;
	}
	return -1;
}

/* The id of key, added when new */
int32
itemdict_intern(ItemDict *dict, const ItemKey *key)
{
	uint32		hash;
	uint32		slot;
	int32		id;

	/*
	 * Small non-negative integers (product ids, mostly) are looked up in a
	 * direct table once there are many: no hashing, one access.
	 */
	if (dict->direct != NULL && key->ival >= 0 && key->ival < ITEMDICT_DIRECT &&
		dict->direct[key->ival] != 0)
		return dict->direct[key->ival] - 1;
	hash = item_key_hash(dict->kind, key);
	if (dict->slots != NULL)
	{
		for (slot = hash & dict->mask; dict->slots[slot] != 0; slot = (slot + 1) & dict->mask)
		{
			id = dict->slots[slot] - 1;
			if (dict->hashes[id] == hash && item_key_equal(dict, id, key))
				return id;
		}
	}

	if (dict->count == PG_INT32_MAX - 1)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("more than %d distinct values", PG_INT32_MAX - 1)));
	id = dict->count;
	if ((Size) id + 1 > dict->capacity)
	{
		/* integers keep their value; other kinds where their bytes are */
		void	  **const int_columns[] = {(void **) &dict->hashes, (void **) &dict->ints};
		static const Size int_sizes[] = {sizeof(uint32), sizeof(int64)};
		void	  **const byte_columns[] = {(void **) &dict->hashes, (void **) &dict->offsets,
		(void **) &dict->lengths};
		static const Size byte_sizes[] = {sizeof(uint32), sizeof(Size), sizeof(int32)};

		if (dict->kind == ITEM_INTEGER)
			items_grow_columns(&dict->capacity, id + 1, dict->budget, "the item dictionary",
							   2, int_columns, int_sizes);
		else
			items_grow_columns(&dict->capacity, id + 1, dict->budget, "the item dictionary",
							   3, byte_columns, byte_sizes);
	}

	if (dict->kind == ITEM_INTEGER)
		dict->ints[id] = key->ival;
	else
	{
		dict->bytes = items_grow(dict->bytes, &dict->bytes_capacity,
								 dict->bytes_used + key->len, 1,
								 dict->budget, "the item dictionary");
		memcpy(dict->bytes + dict->bytes_used, key->bytes, key->len);
		dict->offsets[id] = dict->bytes_used;
		dict->lengths[id] = key->len;
		dict->bytes_used += key->len;
	}
	dict->hashes[id] = hash;
	dict->count++;
	if (dict->kind == ITEM_INTEGER && dict->direct == NULL && dict->count == 1024)
	{
		budget_reserve_array(dict->budget, ITEMDICT_DIRECT, sizeof(int32), "the item dictionary");
		dict->direct = palloc_extended(ITEMDICT_DIRECT * sizeof(int32),
									   MCXT_ALLOC_HUGE | MCXT_ALLOC_ZERO);
		for (int32 i = 0; i < dict->count; i++)
			if (dict->ints[i] >= 0 && dict->ints[i] < ITEMDICT_DIRECT)
				dict->direct[dict->ints[i]] = i + 1;
	}
	else if (dict->direct != NULL && key->ival >= 0 && key->ival < ITEMDICT_DIRECT)
		dict->direct[key->ival] = id + 1;

	/* keep the load factor at most 1/2 */
	if (dict->slots == NULL || (uint32) dict->count > (dict->mask + 1) / 2)
		itemdict_rehash(dict);
	else
	{
		for (slot = hash & dict->mask; dict->slots[slot] != 0; slot = (slot + 1) & dict->mask)
			;
		dict->slots[slot] = id + 1;
	}
	return id;
}

/* The text form of an item: what results show */
Datum
itemdict_text(const ItemDict *dict, int32 id)
{
	switch (dict->kind)
	{
		case ITEM_INTEGER:
			{
				char		buf[32];

				snprintf(buf, sizeof(buf), INT64_FORMAT, dict->ints[id]);
				return PointerGetDatum(cstring_to_text(buf));
			}
		case ITEM_TEXT:
			return PointerGetDatum(cstring_to_text_with_len(dict->bytes + dict->offsets[id],
															dict->lengths[id]));
		case ITEM_UUID:
			{
				static const char hex[] = "0123456789abcdef";
				const unsigned char *u = (const unsigned char *) dict->bytes + dict->offsets[id];
				char		buf[2 * UUID_LEN + 5];
				int			p = 0;

				for (int i = 0; i < UUID_LEN; i++)
				{
					if (i == 4 || i == 6 || i == 8 || i == 10)
						buf[p++] = '-';
					buf[p++] = hex[u[i] >> 4];
					buf[p++] = hex[u[i] & 15];
				}
				buf[p] = '\0';
				return PointerGetDatum(cstring_to_text(buf));
			}
	}
	return (Datum) 0;
}

/* Value order: numeric for integers, bytewise (C collation) otherwise */
int
itemdict_compare(const ItemDict *dict, int32 a, int32 b)
{
	int			c;

	if (dict->kind == ITEM_INTEGER)
		return (dict->ints[a] > dict->ints[b]) - (dict->ints[a] < dict->ints[b]);
	c = memcmp(dict->bytes + dict->offsets[a], dict->bytes + dict->offsets[b],
			   Min(dict->lengths[a], dict->lengths[b]));
	if (c != 0)
		return c;
	return (dict->lengths[a] > dict->lengths[b]) - (dict->lengths[a] < dict->lengths[b]);
}

/* ---- baskets ---- */

/* (basket, item) pairs as they arrive */
typedef struct PairList
{
	int32	   *basket;
	int32	   *item;
	Size		n;
	Size		capacity;
	MemoryBudget *budget;
} PairList;

static void
pair_add(PairList *pairs, int32 basket, int32 item)
{
	if (pairs->n == pairs->capacity)
	{
		void	  **const columns[] = {(void **) &pairs->basket, (void **) &pairs->item};
		static const Size sizes[] = {sizeof(int32), sizeof(int32)};

		if (pairs->n >= (Size) PG_INT32_MAX)
			ereport(ERROR,
					(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
					 errmsg("more than %d (basket, item) pairs", PG_INT32_MAX),
					 errhint("Mine a sample, or group items into categories.")));
		items_grow_columns(&pairs->capacity, pairs->n + 1, pairs->budget,
						   "the basket lines", 2, columns, sizes);
	}
	pairs->basket[pairs->n] = basket;
	pairs->item[pairs->n] = item;
	pairs->n++;
}

static int
compare_int32(const void *a, const void *b)
{
	int32		x = *(const int32 *) a;
	int32		y = *(const int32 *) b;

	return (x > y) - (x < y);
}

/* Sort n ids ascending and drop repeats; returns how many remain */
static int32
sort_unique(int32 *ids, int32 n)
{
	int32		m = 0;

	if (n <= 16)
	{
		for (int32 i = 1; i < n; i++)
		{
			int32		v = ids[i];
			int32		j = i - 1;

			while (j >= 0 && ids[j] > v)
			{
				ids[j + 1] = ids[j];
				j--;
			}
			ids[j + 1] = v;
		}
	}
	else
		qsort(ids, n, sizeof(int32), compare_int32);
	for (int32 i = 0; i < n; i++)
		if (m == 0 || ids[m - 1] != ids[i])
			ids[m++] = ids[i];
	return m;
}

/*
 * baskets_load: read the inner query into baskets of unique item ids.
 * Errors: those of inner queries (42804 for a column of the wrong type),
 * 54000 past the memory budget.
 */
Baskets *
baskets_load(const char *caller, const char *sql, MemoryBudget *budget)
{
	static const InnerColumn columns[] = {
		{"basket_id", INNER_KEY, false},
		{"item", INNER_ITEMS, false},
	};
	InnerQuery *query;
	const InnerBatch *batch;
	Oid			basket_type;
	Oid			item_type;
	Oid			elem_type;
	bool		is_array;
	bool		ok;
	int16		elem_len;
	bool		elem_byval;
	char		elem_align;
	Baskets    *baskets = palloc0(sizeof(Baskets));
	PairList	pairs = {0};
	int32		last_basket = -1;	/* rows of a basket usually come together */
	int64		last_ival = 0;
	int32		nids;
	MemoryContext arraycxt = NULL;
	int32	   *start;
	int32	   *members;
	int32		nbaskets = 0;
	Size		nmembers = 0;

	query = inner_query_open(caller, sql, columns, lengthof(columns));
	basket_type = getBaseType(inner_query_column_type(query, 0));
	item_type = getBaseType(inner_query_column_type(query, 1));
	elem_type = get_element_type(item_type);
	is_array = OidIsValid(elem_type);
	if (!is_array)
		elem_type = item_type;
	get_typlenbyvalalign(elem_type, &elem_len, &elem_byval, &elem_align);
	if (is_array)
		arraycxt = AllocSetContextCreate(CurrentMemoryContext, "profile basket arrays",
										 ALLOCSET_SMALL_SIZES);

	baskets->ids = itemdict_create(item_kind_of_type(basket_type, &ok), budget);
	Assert(ok);
	baskets->items = itemdict_create(item_kind_of_type(elem_type, &ok), budget);
	Assert(ok);
	pairs.budget = budget;

	while ((batch = inner_query_fetch(query)) != NULL)
	{
		for (int r = 0; r < batch->nrows; r++)
		{
			ItemKey		key;
			int32		basket = -1;

			CHECK_FOR_INTERRUPTS();
			baskets->rows++;
			if (batch->nulls[0][r] || batch->nulls[1][r])
			{
				baskets->skipped_nulls++;
				continue;
			}
			if (!is_array)
			{
				item_key_from_datum(baskets->ids->kind, batch->values[0][r], basket_type, &key);
				if (baskets->ids->kind == ITEM_INTEGER && last_basket >= 0 && key.ival == last_ival)
					basket = last_basket;
				else
				{
					basket = itemdict_intern(baskets->ids, &key);
					last_basket = basket;
					last_ival = key.ival;
				}
				item_key_from_datum(baskets->items->kind, batch->values[1][r], elem_type, &key);
				pair_add(&pairs, basket, itemdict_intern(baskets->items, &key));
			}
			else
			{
				ArrayType  *array = DatumGetArrayTypeP(batch->values[1][r]);
				Datum	   *elems;
				bool	   *elem_nulls;
				int			nelems;

				MemoryContext oldcxt = MemoryContextSwitchTo(arraycxt);

				/* in a context of its own, reset after each row */
				deconstruct_array(array, elem_type, elem_len, elem_byval, elem_align,
								  &elems, &elem_nulls, &nelems);
				MemoryContextSwitchTo(oldcxt);
				for (int i = 0; i < nelems; i++)
				{
					Datum		value = elems[i];

					if (elem_nulls[i])
					{
						baskets->skipped_nulls++;
						continue;
					}
					/* a basket exists once it has an item */
					if (basket < 0)
					{
						ItemKey		bkey;

						item_key_from_datum(baskets->ids->kind, batch->values[0][r],
											basket_type, &bkey);
						basket = itemdict_intern(baskets->ids, &bkey);
					}
					item_key_from_datum(baskets->items->kind, value, elem_type, &key);
					pair_add(&pairs, basket, itemdict_intern(baskets->items, &key));
				}
				MemoryContextReset(arraycxt);
			}
		}
	}
	inner_query_close(query);
	if (arraycxt != NULL)
		MemoryContextDelete(arraycxt);

	/* group the pairs by basket: a counting sort */
	nids = baskets->ids->count;
	budget_reserve_array(budget, (Size) nids + 1, sizeof(int32), "the baskets");
	start = palloc_extended(((Size) nids + 1) * sizeof(int32), MCXT_ALLOC_HUGE | MCXT_ALLOC_ZERO);
	budget_reserve_array(budget, pairs.n + 1, sizeof(int32), "the baskets");
	members = palloc_extended((pairs.n + 1) * sizeof(int32), MCXT_ALLOC_HUGE);
	for (Size i = 0; i < pairs.n; i++)
		start[pairs.basket[i] + 1]++;
	for (int32 b = 0; b < nids; b++)
		start[b + 1] += start[b];
	for (Size i = 0; i < pairs.n; i++)
		members[start[pairs.basket[i]]++] = pairs.item[i];
	/* start[b] now holds the end of basket b; shift back */
	for (int32 b = nids; b > 0; b--)
		start[b] = start[b - 1];
	start[0] = 0;
	if (pairs.basket != NULL)
	{
		pfree(pairs.basket);
		pfree(pairs.item);
		budget_release(budget, pairs.capacity * 2 * sizeof(int32));
	}

	/* sort and deduplicate each basket in place, compacting */
	for (int32 b = 0; b < nids; b++)
	{
		int32		from = start[b];
		int32		n = start[b + 1] - from;
		int32		m;

		if ((b & 1023) == 0)
			CHECK_FOR_INTERRUPTS();
		m = sort_unique(members + from, n);
		memmove(members + nmembers, members + from, m * sizeof(int32));
		start[nbaskets] = (int32) nmembers;
		nmembers += m;
		nbaskets++;
	}
	start[nbaskets] = (int32) nmembers;

	baskets->nbaskets = nbaskets;
	baskets->start = start;
	baskets->members = members;

	budget_reserve_array(budget, (Size) baskets->items->count + 1, sizeof(int32), "item supports");
	baskets->support = palloc_extended(((Size) baskets->items->count + 1) * sizeof(int32),
									   MCXT_ALLOC_HUGE | MCXT_ALLOC_ZERO);
	for (Size i = 0; i < nmembers; i++)
		baskets->support[members[i]]++;
	return baskets;
}
