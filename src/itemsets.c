/*-------------------------------------------------------------------------
 *
 * itemsets.c
 *	  profile.frequent_itemsets(): frequent itemsets of an inner query's
 *	  baskets, by FP-growth or Apriori; and what both miners share: the
 *	  support threshold, ranked and deduplicated transactions, and the
 *	  table of itemsets they fill.
 *
 * Support: an itemset's count is the number of baskets that hold all its
 * items; its support is count / baskets.  It is frequent when support >=
 * min_support (as a fraction, compared the way the ratio is computed) and
 * count >= min_count.
 *
 * Limits, checked while mining (never after): max_len items per itemset,
 * max_itemsets itemsets (54000 naming the parameter), profile.memory_budget
 * (54000 naming the setting).
 *
 * Targets: 'all' frequent itemsets; 'closed' ones (no proper superset has
 * the same count); 'maximal' ones (no proper superset is frequent).  Both
 * are judged among the itemsets of at most max_len items; an immediate
 * superset suffices to decide, because counts only shrink as itemsets grow.
 *
 * Output: items as text[] in value order (numeric for integer items,
 * bytewise otherwise), rows ordered by count descending, then size, then
 * items.
 *
 * IDENTIFICATION
 *	  src/itemsets.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "catalog/pg_type.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/memutils.h"

#include "itemsets.h"

/*
 * itemsets_min_count: the smallest count that is frequent: count / nbaskets
 * >= min_support, computed as that double (as mlxtend and arules do, so
 * 3 of 30 baskets meet 0.1), and count >= min_count; at least 1.
 */
int64
itemsets_min_count(double min_support, int64 min_count, int64 nbaskets)
{
	int64		c;

	if (nbaskets <= 0)
		return Max(min_count, 1);
	c = (int64) floor(min_support * (double) nbaskets);
	while (c > 0 && (double) (c - 1) / (double) nbaskets >= min_support)
		c--;
	while ((double) c / (double) nbaskets < min_support)
		c++;
	return Max(Max(c, min_count), 1);
}

/* ---- ranked, deduplicated transactions ---- */

typedef struct RankSortContext
{
	const Baskets *baskets;
} RankSortContext;

/* Items by support descending, then by value */
static int
compare_by_support(const void *a, const void *b, void *arg)
{
	const Baskets *baskets = ((RankSortContext *) arg)->baskets;
	int32		x = *(const int32 *) a;
	int32		y = *(const int32 *) b;

	if (baskets->support[x] != baskets->support[y])
		return baskets->support[x] > baskets->support[y] ? -1 : 1;
	return itemdict_compare(baskets->items, x, y);
}

/* Items by value */
static int
compare_item_values(const void *a, const void *b, void *arg)
{
	const Baskets *baskets = ((RankSortContext *) arg)->baskets;

	return itemdict_compare(baskets->items, *(const int32 *) a, *(const int32 *) b);
}

typedef struct TransSortContext
{
	const int32 *start;
	const int32 *items;
} TransSortContext;

/*
 * A transaction's sort key: its first three ranks + 1 (0 when shorter),
 * 21 bits each, so that most comparisons need not look at the items.
 */
typedef struct TransKey
{
	uint64		key;
	int32		t;
} TransKey;

#define TRANS_KEY_BITS	21
#define TRANS_KEY_MAX	((1 << TRANS_KEY_BITS) - 1)

/* Transactions in lexicographic order of their ranks */
static int
compare_transactions(const void *a, const void *b, void *arg)
{
	TransSortContext *cxt = (TransSortContext *) arg;
	int32		x = *(const int32 *) a;
	int32		y = *(const int32 *) b;
	const int32 *p = cxt->items + cxt->start[x];
	const int32 *q = cxt->items + cxt->start[y];
	int32		np = cxt->start[x + 1] - cxt->start[x];
	int32		nq = cxt->start[y + 1] - cxt->start[y];

	for (int32 i = 0; i < np && i < nq; i++)
		if (p[i] != q[i])
			return p[i] < q[i] ? -1 : 1;
	return (np > nq) - (np < nq);
}

static int
compare_trans_keys(const void *a, const void *b, void *arg)
{
	const TransKey *x = a;
	const TransKey *y = b;

	if (x->key != y->key)
		return x->key < y->key ? -1 : 1;
	return compare_transactions(&x->t, &y->t, arg);
}

static uint64
transaction_key(const int32 *items, int32 n)
{
	uint64		key = 0;

	for (int i = 0; i < 3; i++)
	{
		uint64		v = i < n ? Min((uint64) items[i] + 1, TRANS_KEY_MAX) : 0;

		key = (key << TRANS_KEY_BITS) | v;
	}
	return key;
}

/*
 * Sort transactions: a radix sort on the packed keys (16 bits a pass, a
 * pass skipped when all its digits agree), then the full comparison only
 * within runs of equal keys, which are short.
 */
static void
sort_transactions(TransKey *keys, int32 n, TransSortContext *cxt, MemoryBudget *budget)
{
	TransKey   *tmp;
	uint32	   *count;

	budget_reserve_array(budget, (Size) n + 1, sizeof(TransKey), "the transactions");
	tmp = palloc_extended(((Size) n + 1) * sizeof(TransKey), MCXT_ALLOC_HUGE);
	count = palloc(sizeof(uint32) * 65536);
	for (int shift = 0; shift < 64; shift += 16)
	{
		uint32		sum = 0;

		CHECK_FOR_INTERRUPTS();
		memset(count, 0, sizeof(uint32) * 65536);
		for (int32 i = 0; i < n; i++)
			count[(keys[i].key >> shift) & 0xFFFF]++;
		if (n > 0 && count[(keys[0].key >> shift) & 0xFFFF] == (uint32) n)
			continue;			/* one digit everywhere: nothing to move */
		for (int d = 0; d < 65536; d++)
		{
			uint32		c = count[d];

			count[d] = sum;
			sum += c;
		}
		for (int32 i = 0; i < n; i++)
			tmp[count[(keys[i].key >> shift) & 0xFFFF]++] = keys[i];
		memcpy(keys, tmp, (Size) n * sizeof(TransKey));
	}
	for (int32 a = 0; a < n;)
	{
		int32		b = a + 1;

		while (b < n && keys[b].key == keys[a].key)
			b++;
		if (b - a > 1)
			qsort_arg(keys + a, b - a, sizeof(TransKey), compare_trans_keys, cxt);
		a = b;
	}
	pfree(tmp);
	pfree(count);
	budget_release(budget, ((Size) n + 1) * sizeof(TransKey));
}

/*
 * mining_input_build: the frequent items ranked, and each basket reduced
 * to its frequent items by rank; identical transactions are merged with a
 * weight (both miners then do the work once).
 */
MiningInput *
mining_input_build(const Baskets *baskets, int64 min_count, MemoryBudget *budget)
{
	MiningInput *input = palloc0(sizeof(MiningInput));
	int32		nall = baskets->items->count;
	int32		nfrequent = 0;
	int32	   *order;
	int32	   *tstart;
	int32	   *titems;
	TransKey   *sorted;
	int32		ntrans = 0;
	Size		nlines = 0;
	RankSortContext rcxt;
	TransSortContext tcxt;

	input->nbaskets = baskets->nbaskets;
	input->min_count = min_count;

	budget_reserve_array(budget, (Size) nall + 1, 2 * sizeof(int32) + sizeof(int64), "the item ranks");
	input->rank_of_item = palloc_extended(((Size) nall + 1) * sizeof(int32), MCXT_ALLOC_HUGE);
	order = palloc_extended(((Size) nall + 1) * sizeof(int32), MCXT_ALLOC_HUGE);
	for (int32 id = 0; id < nall; id++)
	{
		input->rank_of_item[id] = -1;
		if (baskets->support[id] >= min_count)
			order[nfrequent++] = id;
	}
	rcxt.baskets = baskets;
	qsort_arg(order, nfrequent, sizeof(int32), compare_by_support, &rcxt);
	input->nitems = nfrequent;
	input->item_of_rank = order;
	input->rank_count = palloc_extended(((Size) nfrequent + 1) * sizeof(int64), MCXT_ALLOC_HUGE);
	for (int32 r = 0; r < nfrequent; r++)
	{
		input->rank_of_item[order[r]] = r;
		input->rank_count[r] = baskets->support[order[r]];
	}

	/* each basket as ranks */
	budget_reserve_array(budget, (Size) baskets->nbaskets + 1, sizeof(int32) + sizeof(TransKey),
						 "the transactions");
	tstart = palloc_extended(((Size) baskets->nbaskets + 1) * sizeof(int32), MCXT_ALLOC_HUGE);
	sorted = palloc_extended(((Size) baskets->nbaskets + 1) * sizeof(TransKey), MCXT_ALLOC_HUGE);
	budget_reserve_array(budget, (Size) baskets->start[baskets->nbaskets] + 1, sizeof(int32),
						 "the transactions");
	titems = palloc_extended(((Size) baskets->start[baskets->nbaskets] + 1) * sizeof(int32),
							 MCXT_ALLOC_HUGE);
	for (int32 b = 0; b < baskets->nbaskets; b++)
	{
		Size		from = nlines;

		if ((b & 4095) == 0)
			CHECK_FOR_INTERRUPTS();
		for (int32 i = baskets->start[b]; i < baskets->start[b + 1]; i++)
		{
			int32		rank = input->rank_of_item[baskets->members[i]];

			if (rank >= 0)
				titems[nlines++] = rank;
		}
		if (nlines == from)
			continue;
		/* ranks ascending: insertion sort, baskets are short */
		for (Size i = from + 1; i < nlines; i++)
		{
			int32		v = titems[i];
			Size		j = i;

			while (j > from && titems[j - 1] > v)
			{
				titems[j] = titems[j - 1];
				j--;
			}
			titems[j] = v;
		}
		tstart[ntrans] = (int32) from;
		sorted[ntrans].key = transaction_key(titems + from, (int32) (nlines - from));
		sorted[ntrans].t = ntrans;
		ntrans++;
	}
	tstart[ntrans] = (int32) nlines;

	/* merge identical transactions */
	tcxt.start = tstart;
	tcxt.items = titems;
	sort_transactions(sorted, ntrans, &tcxt, budget);
	budget_reserve_array(budget, (Size) ntrans + 1, sizeof(int32) + sizeof(int64), "the transactions");
	input->tstart = palloc_extended(((Size) ntrans + 1) * sizeof(int32), MCXT_ALLOC_HUGE);
	input->tweight = palloc_extended(((Size) ntrans + 1) * sizeof(int64), MCXT_ALLOC_HUGE);
	input->titems = palloc_extended((nlines + 1) * sizeof(int32), MCXT_ALLOC_HUGE);
	input->ntrans = 0;
	nlines = 0;
	for (int32 i = 0; i < ntrans; i++)
	{
		int32		t = sorted[i].t;
		int32		len = tstart[t + 1] - tstart[t];

		if (i > 0 && compare_trans_keys(&sorted[i - 1], &sorted[i], &tcxt) == 0)
		{
			input->tweight[input->ntrans - 1]++;
			continue;
		}
		input->tstart[input->ntrans] = (int32) nlines;
		input->tweight[input->ntrans] = 1;
		memcpy(input->titems + nlines, titems + tstart[t], len * sizeof(int32));
		nlines += len;
		input->ntrans++;
	}
	input->tstart[input->ntrans] = (int32) nlines;
	pfree(tstart);
	pfree(titems);
	pfree(sorted);
	return input;
}

/* ---- the itemset table ---- */

ItemsetTable *
itemset_table_create(int64 limit, MemoryBudget *budget)
{
	ItemsetTable *table = palloc0(sizeof(ItemsetTable));

	table->limit = limit;
	table->budget = budget;
	return table;
}

/*
 * itemset_table_add: store an itemset (ranks in any order; they are
 * sorted here).  The max_itemsets limit is enforced here, so while mining.
 */
void
itemset_table_add(ItemsetTable *table, const int32 *ranks, int size, int64 count)
{
	int32	   *dst;

	/* the miners' inner loops all end here: a good place to be cancelled */
	if ((table->n & 4095) == 0)
	{
		CHECK_FOR_INTERRUPTS();
		progress_done(table->n);
	}
	if (table->n >= table->limit)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("more than max_itemsets (" INT64_FORMAT ") frequent itemsets", table->limit),
				 errdetail("Mining stopped when the limit was reached."),
				 errhint("Raise min_support or lower max_len to find fewer itemsets, or raise max_itemsets.")));
	if ((Size) table->n + 1 > table->capacity)
	{
		void	  **const columns[] = {(void **) &table->start, (void **) &table->size,
		(void **) &table->count};
		static const Size sizes[] = {sizeof(Size), sizeof(int32), sizeof(int64)};

		items_grow_columns(&table->capacity, table->n + 1, table->budget,
						   "the frequent itemsets", 3, columns, sizes);
	}
	table->items = items_grow(table->items, &table->items_capacity,
							  table->items_used + size, sizeof(int32),
							  table->budget, "the frequent itemsets");
	dst = table->items + table->items_used;
	for (int i = 0; i < size; i++)
	{
		int32		v = ranks[i];
		int			j = i;

		while (j > 0 && dst[j - 1] > v)
		{
			dst[j] = dst[j - 1];
			j--;
		}
		dst[j] = v;
	}
	table->start[table->n] = table->items_used;
	table->size[table->n] = size;
	table->count[table->n] = count;
	table->items_used += size;
	table->n++;
}

static uint64
itemset_hash(const int32 *ranks, int size)
{
	uint64		h = 0x9E3779B97F4A7C15ULL ^ (uint64) size;

	for (int i = 0; i < size; i++)
	{
		h ^= (uint64) (uint32) ranks[i];
		h *= 0xFF51AFD7ED558CCDULL;
		h ^= h >> 32;
	}
	return h;
}

/* Build the hash index that itemset_table_find() uses */
void
itemset_table_index(ItemsetTable *table)
{
	uint64		nslots = 16;

	while (nslots < (uint64) table->n * 2)
		nslots *= 2;
	budget_reserve_array(table->budget, nslots, sizeof(int64), "the itemset index");
	table->slots = palloc_extended(nslots * sizeof(int64), MCXT_ALLOC_HUGE | MCXT_ALLOC_ZERO);
	table->mask = nslots - 1;
	for (int64 i = 0; i < table->n; i++)
	{
		uint64		slot = itemset_hash(itemset_items(table, i), table->size[i]) & table->mask;

		if ((i & 65535) == 0)
			CHECK_FOR_INTERRUPTS();
		while (table->slots[slot] != 0)
			slot = (slot + 1) & table->mask;
		table->slots[slot] = i + 1;
	}
}

/* The index of an itemset (ranks ascending), or -1 */
int64
itemset_table_find(const ItemsetTable *table, const int32 *ranks, int size)
{
	uint64		slot = itemset_hash(ranks, size) & table->mask;

	for (; table->slots[slot] != 0; slot = (slot + 1) & table->mask)
	{
		int64		i = table->slots[slot] - 1;

		if (table->size[i] == size &&
			memcmp(itemset_items(table, i), ranks, size * sizeof(int32)) == 0)
			return i;
	}
	return -1;
}

/* ---- mining, shared with association_rules ---- */

static void
check_mining_parameters(double min_support, int64 min_count, int max_len,
						int64 max_itemsets)
{
	if (!(min_support > 0.0 && min_support <= 1.0))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("min_support must be greater than 0 and at most 1, not %g", min_support),
				 errhint("min_support is a fraction of the baskets; for an absolute count, use min_count.")));
	check_int_range(min_count, 1, PG_INT64_MAX, "min_count");
	check_int_range(max_len, 1, ITEMSETS_MAX_LEN, "max_len");
	check_int_range(max_itemsets, 1, PG_INT64_MAX, "max_itemsets");
}

/*
 * itemsets_mine: read the baskets, rank the frequent items and mine every
 * frequent itemset of at most max_len items with the named algorithm.
 */
MiningResult *
itemsets_mine(const char *caller, const char *sql, double min_support,
			  int64 min_count, int max_len, const char *algorithm,
			  int64 max_itemsets, MemoryBudget *budget)
{
	MiningResult *result;
	int32	   *by_value;

	check_mining_parameters(min_support, min_count, max_len, max_itemsets);
	progress_begin(caller);
	if (strcmp(algorithm, "apriori-scan") == 0)
	{
		progress_phase("mining (apriori-scan)", "itemsets", max_itemsets);
		result = apriori_scan_mine(caller, sql, min_support, min_count, max_len,
								   max_itemsets, budget);
	}
	else if (strcmp(algorithm, "fpgrowth") == 0 || strcmp(algorithm, "apriori") == 0)
	{
		int64		count;

		result = palloc0(sizeof(MiningResult));
		result->baskets = baskets_load(caller, sql, budget);
		count = itemsets_min_count(min_support, min_count, result->baskets->nbaskets);

		/* the privacy floor: nothing held by fewer baskets is produced */
		if (result->baskets->nbaskets > 0)
			count = privacy_min_count(caller, count);
		result->input = mining_input_build(result->baskets, count, budget);
		result->table = itemset_table_create(max_itemsets, budget);
		progress_phase(algorithm[0] == 'f' ? "mining (fpgrowth)" : "mining (apriori)",
					   "itemsets", max_itemsets);
		if (algorithm[0] == 'f')
			fpgrowth_mine(result->input, max_len, result->table, budget);
		else
			apriori_mine(result->input, max_len, result->table, budget);
	}
	else
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("unknown algorithm \"%s\"", algorithm),
				 errhint("Use 'fpgrowth', 'apriori' or 'apriori-scan'.")));

	/* where each rank stands in value order, for output */
	by_value = palloc_extended(((Size) result->input->nitems + 1) * sizeof(int32), MCXT_ALLOC_HUGE);
	result->value_order = palloc_extended(((Size) result->input->nitems + 1) * sizeof(int32),
										  MCXT_ALLOC_HUGE);
	for (int32 r = 0; r < result->input->nitems; r++)
		by_value[r] = result->input->item_of_rank[r];
	{
		RankSortContext cxt;

		cxt.baskets = result->baskets;
		qsort_arg(by_value, result->input->nitems, sizeof(int32), compare_item_values, &cxt);
	}
	for (int32 v = 0; v < result->input->nitems; v++)
		result->value_order[result->input->rank_of_item[by_value[v]]] = v;
	pfree(by_value);
	progress_end();
	return result;
}

/* Sort n ranks by their value order (n is small: max_len at most) */
static void
sort_by_value(const MiningResult *result, int32 *ranks, int n)
{
	for (int i = 1; i < n; i++)
	{
		int32		v = ranks[i];
		int			j = i - 1;

		while (j >= 0 && result->value_order[ranks[j]] > result->value_order[v])
		{
			ranks[j + 1] = ranks[j];
			j--;
		}
		ranks[j + 1] = v;
	}
}

/* Compare two itemsets (ranks in value order) as their value sequences */
int
itemsets_compare_values(const MiningResult *result, const int32 *a, int na,
						const int32 *b, int nb)
{
	for (int i = 0; i < na && i < nb; i++)
		if (a[i] != b[i])
			return result->value_order[a[i]] < result->value_order[b[i]] ? -1 : 1;
	return (na > nb) - (na < nb);
}

/* The items of ranks as text[], in value order */
Datum
itemsets_ranks_array(const MiningResult *result, const int32 *ranks, int n)
{
	Datum		elems[ITEMSETS_MAX_LEN];
	int32		sorted[ITEMSETS_MAX_LEN];

	Assert(n <= ITEMSETS_MAX_LEN);
	memcpy(sorted, ranks, n * sizeof(int32));
	sort_by_value(result, sorted, n);
	for (int i = 0; i < n; i++)
		elems[i] = itemdict_text(result->baskets->items,
								 result->input->item_of_rank[sorted[i]]);
	return PointerGetDatum(construct_array(elems, n, TEXTOID, -1, false, TYPALIGN_INT));
}

/* ---- profile.frequent_itemsets ---- */

typedef enum ItemsetTarget
{
	TARGET_ALL,
	TARGET_CLOSED,
	TARGET_MAXIMAL
} ItemsetTarget;

typedef struct OutputSortContext
{
	const MiningResult *result;
	int32	   *valued;			/* each itemset's ranks in value order */
} OutputSortContext;

/* count descending, then size, then items in value order */
static int
compare_output(const void *a, const void *b, void *arg)
{
	OutputSortContext *cxt = (OutputSortContext *) arg;
	const ItemsetTable *table = cxt->result->table;
	int64		x = *(const int64 *) a;
	int64		y = *(const int64 *) b;

	if (table->count[x] != table->count[y])
		return table->count[x] > table->count[y] ? -1 : 1;
	if (table->size[x] != table->size[y])
		return table->size[x] < table->size[y] ? -1 : 1;
	return itemsets_compare_values(cxt->result,
								   cxt->valued + table->start[x], table->size[x],
								   cxt->valued + table->start[y], table->size[y]);
}

/*
 * Mark the itemsets that are not closed (or not maximal): for each itemset,
 * look up its immediate subsets and mark them.
 */
static bool *
itemsets_not_in_target(ItemsetTable *table, ItemsetTarget target)
{
	bool	   *excluded = palloc_extended((Size) table->n + 1, MCXT_ALLOC_HUGE | MCXT_ALLOC_ZERO);
	int32		subset[ITEMSETS_MAX_LEN];

	budget_reserve(table->budget, (Size) table->n + 1, "the closed or maximal itemsets");
	itemset_table_index(table);
	for (int64 i = 0; i < table->n; i++)
	{
		const int32 *items = itemset_items(table, i);
		int			size = table->size[i];

		if ((i & 4095) == 0)
			CHECK_FOR_INTERRUPTS();
		if (size < 2)
			continue;
		for (int drop = 0; drop < size; drop++)
		{
			int			k = 0;
			int64		s;

			for (int j = 0; j < size; j++)
				if (j != drop)
					subset[k++] = items[j];
			s = itemset_table_find(table, subset, size - 1);
			if (s < 0)
				elog(ERROR, "a subset of a frequent itemset is missing");
			if (target == TARGET_MAXIMAL || table->count[s] == table->count[i])
				excluded[s] = true;
		}
	}
	return excluded;
}

PG_FUNCTION_INFO_V1(profile_frequent_itemsets);

/*
 * profile.frequent_itemsets(query, min_support, max_len, algorithm, target,
 * max_itemsets, min_count) returns table (items text[], size, count,
 * support)
 */
Datum
profile_frequent_itemsets(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	MemoryBudget budget;
	MiningResult *result;
	ItemsetTable *table;
	char	   *target_name;
	ItemsetTarget target;
	bool	   *excluded = NULL;
	int64	   *order;
	int64		nout = 0;
	OutputSortContext cxt;

	static const char *const argnames[] = {"query", "min_support", "max_len",
	"algorithm", "target", "max_itemsets", "min_count"};

	for (int i = 0; i < (int) lengthof(argnames); i++)
		check_arg_not_null(fcinfo, i, argnames[i]);

	target_name = text_to_cstring(PG_GETARG_TEXT_PP(4));
	if (strcmp(target_name, "all") == 0)
		target = TARGET_ALL;
	else if (strcmp(target_name, "closed") == 0)
		target = TARGET_CLOSED;
	else if (strcmp(target_name, "maximal") == 0)
		target = TARGET_MAXIMAL;
	else
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("unknown target \"%s\"", target_name),
				 errhint("Use 'all', 'closed' or 'maximal'.")));

	InitMaterializedSRF(fcinfo, 0);
	budget_init(&budget, "frequent itemset mining");
	result = itemsets_mine("profile.frequent_itemsets",
						   text_to_cstring(PG_GETARG_TEXT_PP(0)),
						   PG_GETARG_FLOAT8(1), PG_GETARG_INT64(6),
						   PG_GETARG_INT32(2), text_to_cstring(PG_GETARG_TEXT_PP(3)),
						   PG_GETARG_INT64(5), &budget);
	table = result->table;
	if (target != TARGET_ALL)
		excluded = itemsets_not_in_target(table, target);

	/* the output order */
	budget_reserve_array(&budget, (Size) table->n + 1, sizeof(int64), "the output order");
	order = palloc_extended(((Size) table->n + 1) * sizeof(int64), MCXT_ALLOC_HUGE);
	for (int64 i = 0; i < table->n; i++)
		if (excluded == NULL || !excluded[i])
			order[nout++] = i;
	budget_reserve_array(&budget, table->items_used + 1, sizeof(int32), "the output order");
	cxt.result = result;
	cxt.valued = palloc_extended((table->items_used + 1) * sizeof(int32), MCXT_ALLOC_HUGE);
	memcpy(cxt.valued, table->items, table->items_used * sizeof(int32));
	for (int64 i = 0; i < table->n; i++)
		sort_by_value(result, cxt.valued + table->start[i], table->size[i]);
	qsort_arg(order, nout, sizeof(int64), compare_output, &cxt);

	for (int64 o = 0; o < nout; o++)
	{
		int64		i = order[o];
		Datum		values[4];
		bool		nulls[4] = {false, false, false, false};

		if ((o & 1023) == 0)
			CHECK_FOR_INTERRUPTS();
		values[0] = itemsets_ranks_array(result, itemset_items(table, i), table->size[i]);
		values[1] = Int32GetDatum(table->size[i]);
		values[2] = Int64GetDatum(table->count[i]);
		values[3] = Float8GetDatum((double) table->count[i] / (double) result->input->nbaskets);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
		pfree(DatumGetPointer(values[0]));
	}
	PG_RETURN_NULL();
}
