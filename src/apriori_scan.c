/*-------------------------------------------------------------------------
 *
 * apriori_scan.c
 *	  Apriori's scan path: every counting pass is one combinable aggregate,
 *	  so a distributed engine (Citus) can run it on its workers.
 *
 *	- profile.itemset_counts(basket text[], candidates text[][]): how many
 *	  baskets (rows) hold each candidate itemset (one candidate per row of
 *	  the two-dimensional array), as bigint[] in candidate order.  The state
 *	  is that bigint[]; the combine function adds two of them.
 *	- frequent_itemsets(..., algorithm => 'apriori-scan') drives it: one
 *	  query counts the items (level 1), then each level k + 1 is one
 *	  aggregate query over the baskets (grouped from the inner query)
 *	  against the candidates of level k, passed as a parameter.
 *
 * Items travel as text (their text form) between the driver and the
 * aggregate; the driver keeps them typed for ordering and output, so the
 * results equal the in-memory miners' exactly.
 *
 * IDENTIFICATION
 *	  src/apriori_scan.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/datum.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"

#include "apriori.h"
#include "itemsets.h"

/* ---- the counting aggregate ---- */

/* The parsed candidates, cached across the rows of one aggregate */
typedef struct CountCache
{
	Pointer		source;			/* the candidates array last parsed ... */
	Size		source_len;
	char	   *source_copy;	/* ... and a copy, to recognise it */
	int64		ncandidates;
	int			k;
	ItemDict   *dict;			/* candidate items (text) -> ids */
	CandidateTrie *trie;
	int32	   *ids;			/* scratch: a basket's ids */
	Size		ids_capacity;
	MemoryBudget budget;
} CountCache;

typedef struct CandidateSortContext
{
	const int32 *items;
	int			k;
} CandidateSortContext;

static int
compare_candidates(const void *a, const void *b, void *arg)
{
	CandidateSortContext *cxt = (CandidateSortContext *) arg;
	const int32 *x = cxt->items + *(const int64 *) a * cxt->k;
	const int32 *y = cxt->items + *(const int64 *) b * cxt->k;

	for (int i = 0; i < cxt->k; i++)
		if (x[i] != y[i])
			return x[i] < y[i] ? -1 : 1;
	return 0;
}

static int
compare_int32_values(const void *a, const void *b)
{
	int32		x = *(const int32 *) a;
	int32		y = *(const int32 *) b;

	return (x > y) - (x < y);
}

/* Parse and check a candidates array into the cache's trie */
static void
count_cache_parse(CountCache *cache, ArrayType *candidates)
{
	Datum	   *elems;
	bool	   *nulls;
	int			nelems;
	int32	   *items;
	int64	   *order;
	int32	   *sorted;
	CandidateSortContext cxt;

	if (ARR_NDIM(candidates) != 2)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("candidates must be a two-dimensional array, one itemset per row, not %d-dimensional",
						ARR_NDIM(candidates))));
	cache->ncandidates = ARR_DIMS(candidates)[0];
	cache->k = ARR_DIMS(candidates)[1];
	if (cache->k > ITEMSETS_MAX_LEN)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("candidates have %d items, more than %d", cache->k, ITEMSETS_MAX_LEN)));
	deconstruct_array(candidates, TEXTOID, -1, false, TYPALIGN_INT, &elems, &nulls, &nelems);
	budget_init(&cache->budget, "itemset counting");
	cache->dict = itemdict_create(ITEM_TEXT, &cache->budget);
	budget_reserve_array(&cache->budget, (Size) nelems + 1, 2 * sizeof(int32) + sizeof(int64),
						 "the candidates");
	items = palloc_extended(((Size) nelems + 1) * sizeof(int32), MCXT_ALLOC_HUGE);
	sorted = palloc_extended(((Size) nelems + 1) * sizeof(int32), MCXT_ALLOC_HUGE);
	order = palloc_extended(((Size) cache->ncandidates + 1) * sizeof(int64), MCXT_ALLOC_HUGE);
	for (int i = 0; i < nelems; i++)
	{
		ItemKey		key;

		if (nulls[i])
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("candidates must not contain NULL elements")));
		key.bytes = VARDATA_ANY(DatumGetPointer(elems[i]));
		key.len = VARSIZE_ANY_EXHDR(DatumGetPointer(elems[i]));
		items[i] = itemdict_intern(cache->dict, &key);
	}
	for (int64 c = 0; c < cache->ncandidates; c++)
	{
		int32	   *cand = items + c * cache->k;

		qsort(cand, cache->k, sizeof(int32), compare_int32_values);
		for (int j = 1; j < cache->k; j++)
			if (cand[j] == cand[j - 1])
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("candidate " INT64_FORMAT " lists an item twice", c + 1)));
		order[c] = c;
	}
	cxt.items = items;
	cxt.k = cache->k;
	qsort_arg(order, cache->ncandidates, sizeof(int64), compare_candidates, &cxt);
	for (int64 i = 0; i < cache->ncandidates; i++)
	{
		if (i > 0 && compare_candidates(&order[i - 1], &order[i], &cxt) == 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("candidates " INT64_FORMAT " and " INT64_FORMAT " are the same itemset",
							Min(order[i - 1], order[i]) + 1, Max(order[i - 1], order[i]) + 1)));
		memcpy(sorted + i * cache->k, items + order[i] * cache->k, cache->k * sizeof(int32));
	}
	cache->trie = candidate_trie_build(sorted, cache->ncandidates, cache->k,
									   cache->dict->count, order, &cache->budget);
}

/* The cache for this candidates array: parsed once per aggregate */
static CountCache *
count_cache_get(FunctionCallInfo fcinfo, ArrayType *candidates)
{
	CountCache *cache = (CountCache *) fcinfo->flinfo->fn_extra;
	Size		len = VARSIZE(candidates);
	MemoryContext oldcxt;

	if (cache != NULL &&
		(cache->source == (Pointer) candidates ||
		 (cache->source_len == len && memcmp(cache->source_copy, candidates, len) == 0)))
	{
		cache->source = (Pointer) candidates;
		return cache;
	}
	if (cache != NULL)
		MemoryContextDelete(GetMemoryChunkContext(cache));

	oldcxt = MemoryContextSwitchTo(AllocSetContextCreate(fcinfo->flinfo->fn_mcxt,
														 "profile.itemset_counts",
														 ALLOCSET_DEFAULT_SIZES));
	cache = palloc0(sizeof(CountCache));
	fcinfo->flinfo->fn_extra = NULL;	/* until complete */
	count_cache_parse(cache, candidates);
	cache->source = (Pointer) candidates;
	cache->source_len = len;
	cache->source_copy = palloc_extended(len, MCXT_ALLOC_HUGE);
	memcpy(cache->source_copy, candidates, len);
	MemoryContextSwitchTo(oldcxt);
	fcinfo->flinfo->fn_extra = cache;
	return cache;
}

static int64 *
counts_values(ArrayType *array)
{
	return (int64 *) flat_array_data(array);
}

/* A state from outside: bigint[], one dimension, no NULLs, n elements */
static ArrayType *
check_counts(Datum datum, int64 n)
{
	ArrayType  *array = DatumGetArrayTypeP(datum);

	if (ARR_NDIM(array) != 1 || ARR_HASNULL(array) || ARR_ELEMTYPE(array) != INT8OID ||
		(n >= 0 && ARR_DIMS(array)[0] != n))
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("an itemset_counts state must be a bigint[] of one count per candidate"),
				 errhint("Pass the same candidates to every row of one aggregate.")));
	return array;
}

PG_FUNCTION_INFO_V1(profile_itemset_counts_transfn);

/* Transition: count the candidates one basket holds */
Datum
profile_itemset_counts_transfn(PG_FUNCTION_ARGS)
{
	ArrayType  *state;
	ArrayType  *basket;
	CountCache *cache;
	Datum	   *elems;
	bool	   *nulls;
	int			nelems;
	int			n = 0;

	check_aggregate_call(fcinfo, "profile.itemset_counts_transfn");
	check_arg_not_null(fcinfo, 2, "candidates");
	cache = count_cache_get(fcinfo, PG_GETARG_ARRAYTYPE_P(2));
	if (PG_ARGISNULL(0))
		state = flat_array_create(INT8OID, sizeof(int64), cache->ncandidates);	/* copied by the executor */
	else
	{
		state = PG_GETARG_ARRAYTYPE_P(0);
		if (VARATT_IS_EXTENDED(state))
			elog(ERROR, "itemset_counts state must not be toasted");
		check_counts(PointerGetDatum(state), cache->ncandidates);
	}
	if (PG_ARGISNULL(1))
		PG_RETURN_ARRAYTYPE_P(state);

	basket = PG_GETARG_ARRAYTYPE_P(1);
	deconstruct_array(basket, TEXTOID, -1, false, TYPALIGN_INT, &elems, &nulls, &nelems);
	if ((Size) nelems > cache->ids_capacity)
	{
		MemoryContext oldcxt = MemoryContextSwitchTo(GetMemoryChunkContext(cache));

		cache->ids = items_grow(cache->ids, &cache->ids_capacity, nelems, sizeof(int32),
								&cache->budget, "a basket");
		MemoryContextSwitchTo(oldcxt);
	}
	for (int i = 0; i < nelems; i++)
	{
		ItemKey		key;
		int32		id;

		if (nulls[i])
			continue;
		key.bytes = VARDATA_ANY(DatumGetPointer(elems[i]));
		key.len = VARSIZE_ANY_EXHDR(DatumGetPointer(elems[i]));
		id = itemdict_find(cache->dict, &key);
		if (id >= 0)
			cache->ids[n++] = id;
	}
	if (n >= cache->k)
	{
		int			m = 0;

		qsort(cache->ids, n, sizeof(int32), compare_int32_values);
		for (int i = 0; i < n; i++)
			if (m == 0 || cache->ids[m - 1] != cache->ids[i])
				cache->ids[m++] = cache->ids[i];
		candidate_trie_count(cache->trie, cache->ids, m, 1, counts_values(state));
	}
	PG_RETURN_ARRAYTYPE_P(state);
}

PG_FUNCTION_INFO_V1(profile_itemset_counts_combinefn);

/* Combine: add two count arrays of the same candidates */
Datum
profile_itemset_counts_combinefn(PG_FUNCTION_ARGS)
{
	ArrayType  *a;
	ArrayType  *b;
	int64	   *x;
	const int64 *y;
	int64		n;
	MemoryContext aggcxt = check_aggregate_call(fcinfo, "profile.itemset_counts_combinefn");

	if (PG_ARGISNULL(1))
	{
		if (PG_ARGISNULL(0))
			PG_RETURN_NULL();
		PG_RETURN_DATUM(PG_GETARG_DATUM(0));
	}
	b = check_counts(PG_GETARG_DATUM(1), -1);
	if (PG_ARGISNULL(0))
	{
		MemoryContext oldcxt = MemoryContextSwitchTo(aggcxt);

		a = DatumGetArrayTypePCopy(PointerGetDatum(b));
		MemoryContextSwitchTo(oldcxt);
		PG_RETURN_ARRAYTYPE_P(a);
	}
	a = PG_GETARG_ARRAYTYPE_P(0);
	n = ARR_DIMS(b)[0];
	check_counts(PointerGetDatum(a), n);
	x = counts_values(a);
	y = counts_values(b);
	for (int64 i = 0; i < n; i++)
		x[i] += y[i];
	PG_RETURN_ARRAYTYPE_P(a);
}

/* ---- the driver ---- */

/* "SELECT basket, item" rows of the inner query, arrays unnested */
static char *
rows_sql(const char *sql, bool is_array)
{
	StringInfoData buf;

	initStringInfo(&buf);
	if (is_array)
		appendStringInfo(&buf,
						 "SELECT q.basket, u.item FROM (\n%s\n) AS q(basket, items) "
						 "CROSS JOIN LATERAL pg_catalog.unnest(q.items) AS u(item)", sql);
	else
		appendStringInfo(&buf, "SELECT q.basket, q.item FROM (\n%s\n) AS q(basket, item)", sql);
	return buf.data;
}

/* Run a query returning one bigint[] (or NULL); copy it out */
static ArrayType *
run_count_pass(const char *query, ArrayType *candidates)
{
	Oid			argtypes[1] = {TEXTARRAYOID};
	Datum		args[1];
	bool		isnull;
	Datum		result;
	ArrayType  *copy = NULL;
	MemoryContext cxt = CurrentMemoryContext;

	args[0] = PointerGetDatum(candidates);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	if (SPI_execute_with_args(query, 1, argtypes, args, NULL, true, 1) != SPI_OK_SELECT)
		elog(ERROR, "itemset counting pass failed");
	result = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
	if (!isnull)
	{
		MemoryContext spicxt = MemoryContextSwitchTo(cxt);

		copy = DatumGetArrayTypePCopy(result);
		MemoryContextSwitchTo(spicxt);
	}
	SPI_finish();
	MemoryContextSwitchTo(cxt);
	return copy;
}

typedef struct ScanRankContext
{
	const ItemDict *dict;
	const int64 *count;
} ScanRankContext;

static int
compare_scan_items(const void *a, const void *b, void *arg)
{
	ScanRankContext *cxt = (ScanRankContext *) arg;
	int32		x = *(const int32 *) a;
	int32		y = *(const int32 *) b;

	if (cxt->count[x] != cxt->count[y])
		return cxt->count[x] > cxt->count[y] ? -1 : 1;
	return itemdict_compare(cxt->dict, x, y);
}

/*
 * apriori_scan_mine: frequent itemsets of an inner query by SQL passes:
 * the baskets and items first, then one itemset_counts pass per level.
 */
MiningResult *
apriori_scan_mine(const char *caller, const char *sql, double min_support,
				  int64 min_count, int max_len, int64 max_itemsets,
				  MemoryBudget *budget)
{
	static const InnerColumn columns[] = {
		{"basket_id", INNER_KEY, false},
		{"item", INNER_ITEMS, false},
	};
	MiningResult *result = palloc0(sizeof(MiningResult));
	MiningInput *input = palloc0(sizeof(MiningInput));
	Baskets    *baskets = palloc0(sizeof(Baskets));
	MemoryContext cxt = CurrentMemoryContext;
	InnerQuery *probe;
	Oid			item_type;
	bool		is_array;
	bool		ok;
	char	   *rows;
	StringInfoData query;
	int64	   *all_count;
	Datum	   *all_text;
	int32	   *order;
	int32		nall;
	int32		nfrequent = 0;
	Datum	   *rank_text;
	AprioriLevel level = {0};

	/* the checks and the column types of inner queries */
	probe = inner_query_open(caller, sql, columns, lengthof(columns));
	item_type = getBaseType(inner_query_column_type(probe, 1));
	inner_query_close(probe);
	is_array = OidIsValid(get_element_type(item_type));
	if (is_array)
		item_type = get_element_type(item_type);
	rows = rows_sql(sql, is_array);

	/* the baskets, and the items with their counts */
	baskets->items = itemdict_create(item_kind_of_type(item_type, &ok), budget);
	initStringInfo(&query);
	appendStringInfo(&query,
					 "SELECT r.item, r.item::pg_catalog.text, pg_catalog.count(DISTINCT r.basket) "
					 "FROM (%s) AS r(basket, item) "
					 "WHERE r.basket IS NOT NULL AND r.item IS NOT NULL GROUP BY r.item", rows);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	if (SPI_execute(query.data, true, 0) != SPI_OK_SELECT)
		elog(ERROR, "item counting pass failed");
	MemoryContextSwitchTo(cxt);
	nall = (int32) SPI_processed;
	budget_reserve_array(budget, (Size) nall + 1, sizeof(int64) + sizeof(Datum) + 3 * sizeof(int32),
						 "the items");
	all_count = palloc(((Size) nall + 1) * sizeof(int64));
	all_text = palloc(((Size) nall + 1) * sizeof(Datum));
	for (int32 i = 0; i < nall; i++)
	{
		HeapTuple	tuple = SPI_tuptable->vals[i];
		bool		isnull;
		ItemKey		key;
		int32		id;

		item_key_from_datum(baskets->items->kind,
							SPI_getbinval(tuple, SPI_tuptable->tupdesc, 1, &isnull),
							item_type, &key);
		id = itemdict_intern(baskets->items, &key);
		Assert(id == i);
		all_text[id] = datumCopy(SPI_getbinval(tuple, SPI_tuptable->tupdesc, 2, &isnull), false, -1);
		all_count[id] = DatumGetInt64(SPI_getbinval(tuple, SPI_tuptable->tupdesc, 3, &isnull));
	}
	SPI_finish();
	MemoryContextSwitchTo(cxt);

	resetStringInfo(&query);
	appendStringInfo(&query,
					 "SELECT pg_catalog.count(DISTINCT r.basket) FROM (%s) AS r(basket, item) "
					 "WHERE r.basket IS NOT NULL AND r.item IS NOT NULL", rows);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	if (SPI_execute(query.data, true, 1) != SPI_OK_SELECT)
		elog(ERROR, "basket counting pass failed");
	{
		bool		isnull;

		input->nbaskets = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0],
													  SPI_tuptable->tupdesc, 1, &isnull));
	}
	SPI_finish();
	MemoryContextSwitchTo(cxt);
	baskets->nbaskets = (int32) input->nbaskets;

	/* rank the frequent items */
	input->min_count = itemsets_min_count(min_support, min_count, input->nbaskets);
	if (input->nbaskets > 0)
		input->min_count = privacy_min_count(caller, input->min_count);
	order = palloc(((Size) nall + 1) * sizeof(int32));
	input->rank_of_item = palloc(((Size) nall + 1) * sizeof(int32));
	for (int32 id = 0; id < nall; id++)
	{
		input->rank_of_item[id] = -1;
		if (all_count[id] >= input->min_count)
			order[nfrequent++] = id;
	}
	{
		ScanRankContext rcxt = {baskets->items, all_count};

		qsort_arg(order, nfrequent, sizeof(int32), compare_scan_items, &rcxt);
	}
	input->nitems = nfrequent;
	input->item_of_rank = order;
	input->rank_count = palloc(((Size) nfrequent + 1) * sizeof(int64));
	rank_text = palloc(((Size) nfrequent + 1) * sizeof(Datum));
	result->baskets = baskets;
	result->input = input;
	result->table = itemset_table_create(max_itemsets, budget);

	level.k = 1;
	for (int32 r = 0; r < nfrequent; r++)
	{
		input->rank_of_item[order[r]] = r;
		input->rank_count[r] = all_count[order[r]];
		rank_text[r] = all_text[order[r]];
		apriori_level_add(&level, &r, input->rank_count[r], budget);
		itemset_table_add(result->table, &r, 1, input->rank_count[r]);
	}

	resetStringInfo(&query);
	appendStringInfo(&query,
					 "SELECT profile.itemset_counts(b.items, $1) FROM ("
					 "SELECT pg_catalog.array_agg(r.item::pg_catalog.text) AS items "
					 "FROM (%s) AS r(basket, item) "
					 "WHERE r.basket IS NOT NULL AND r.item IS NOT NULL GROUP BY r.basket) AS b", rows);
	for (int k = 1; k < max_len && level.n > 1; k++)
	{
		AprioriLevel next = {0};
		int32	   *cand;
		Size		cand_capacity;
		int64		ncand;
		Datum	   *elems;
		int			dims[2];
		int			lbs[2] = {1, 1};
		ArrayType  *param;
		ArrayType  *counts;

		CHECK_FOR_INTERRUPTS();
		next.k = k + 1;
		ncand = apriori_candidates(&level, &cand, &cand_capacity, budget);
		if (ncand == 0)
			break;
		if ((Size) ncand * (k + 1) > MaxAllocSize / sizeof(Datum))
			ereport(ERROR,
					(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
					 errmsg("Apriori's scan path has " INT64_FORMAT " candidates of %d items, too many for one pass",
							ncand, k + 1),
					 errhint("Raise min_support or use algorithm => 'fpgrowth'.")));
		budget_reserve_array(budget, (Size) ncand * (k + 1), sizeof(Datum) + 16, "the candidates");
		elems = palloc((Size) ncand * (k + 1) * sizeof(Datum));
		for (int64 i = 0; i < ncand * (k + 1); i++)
			elems[i] = rank_text[cand[i]];
		dims[0] = (int) ncand;
		dims[1] = k + 1;
		param = construct_md_array(elems, NULL, 2, dims, lbs, TEXTOID, -1, false, TYPALIGN_INT);
		pfree(elems);
		counts = run_count_pass(query.data, param);
		if (counts != NULL)
		{
			const int64 *c = counts_values(check_counts(PointerGetDatum(counts), ncand));

			for (int64 i = 0; i < ncand; i++)
			{
				if (c[i] >= input->min_count)
				{
					apriori_level_add(&next, cand + i * (k + 1), c[i], budget);
					itemset_table_add(result->table, cand + i * (k + 1), k + 1, c[i]);
				}
			}
			pfree(counts);
		}
		pfree(param);
		pfree(cand);
		budget_release(budget, cand_capacity * sizeof(int32) +
					   (Size) ncand * (k + 1) * (sizeof(Datum) + 16));
		apriori_level_free(&level, budget);
		level = next;
	}
	apriori_level_free(&level, budget);
	return result;
}
