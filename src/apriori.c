/*-------------------------------------------------------------------------
 *
 * apriori.c
 *	  Apriori (Agrawal & Srikant, "Fast algorithms for mining association
 *	  rules", VLDB 1994): frequent itemsets level by level, into an
 *	  ItemsetTable.
 *
 * Level 1 is the frequent items.  Level 2 counts every pair of frequent
 * items in a triangular array when that fits a quarter of the memory
 * budget (one pass, no candidates), else like the higher levels.  Level
 * k + 1 joins the itemsets of level k that share their first k - 1 items,
 * keeps the candidates whose every k-subset is frequent, and counts them
 * in one pass over the transactions with a candidate trie (candidate_trie_*
 * below, also behind the combinable counting aggregate of the scan path).
 *
 * Candidates are reserved against profile.memory_budget before they are
 * made, so an explosion stops with 54000 rather than exhausting memory;
 * itemsets count against max_itemsets as they are found.
 *
 * Cancellation: CHECK_FOR_INTERRUPTS() every 1,024 transactions of every
 * pass and every 1,024 candidates generated.
 *
 * IDENTIFICATION
 *	  src/apriori.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "miscadmin.h"

#include "apriori.h"
#include "itemsets.h"

/* ---- the candidate trie ---- */

/*
 * Build the trie of n sorted candidates of k items each (items: n * k
 * ranks, each candidate ascending, candidates in lexicographic order);
 * nitems bounds the items.  The counts of candidate i go to position
 * leaf_index[i] (i when leaf_index is NULL).  Candidates must be distinct.
 */
CandidateTrie *
candidate_trie_build(const int32 *items, int64 n, int k, int32 nitems,
					 const int64 *leaf_index, MemoryBudget *budget)
{
	CandidateTrie *trie = palloc0(sizeof(CandidateTrie));
	Size		mark = budget->used;
	Size		nodes_capacity = 0;
	Size		edges_capacity = 0;
	int64	   *lo;
	int64	   *hi;
	int32	   *node_of;
	int64	   *next_lo;
	int64	   *next_hi;
	int32	   *next_node_of;
	int64		nlevel;
	void	  **const edge_columns[] = {(void **) &trie->edge_item, (void **) &trie->edge_child};
	static const Size edge_sizes[] = {sizeof(int32), sizeof(int64)};
	void	  **const node_columns[] = {(void **) &trie->node_first, (void **) &trie->node_count};
	static const Size node_sizes[] = {sizeof(int64), sizeof(int32)};

	trie->k = k;
	trie->ncandidates = n;
	budget_reserve_array(budget, (Size) nitems + 1, sizeof(int32), "the candidate trie");
	trie->root_edge = palloc_extended(((Size) nitems + 1) * sizeof(int32), MCXT_ALLOC_HUGE);
	for (int32 i = 0; i <= nitems; i++)
		trie->root_edge[i] = -1;
	trie->nitems = nitems;

	/*
	 * Breadth first: the ranges of candidates under each node of the current
	 * depth; a node's edges are the distinct items at that depth in its
	 * range.  Node 0 is the root.
	 */
	budget_reserve_array(budget, (Size) n + 1, 2 * (2 * sizeof(int64) + sizeof(int32)),
						 "the candidate trie");
	lo = palloc_extended(((Size) n + 1) * sizeof(int64), MCXT_ALLOC_HUGE);
	hi = palloc_extended(((Size) n + 1) * sizeof(int64), MCXT_ALLOC_HUGE);
	node_of = palloc_extended(((Size) n + 1) * sizeof(int32), MCXT_ALLOC_HUGE);
	next_lo = palloc_extended(((Size) n + 1) * sizeof(int64), MCXT_ALLOC_HUGE);
	next_hi = palloc_extended(((Size) n + 1) * sizeof(int64), MCXT_ALLOC_HUGE);
	next_node_of = palloc_extended(((Size) n + 1) * sizeof(int32), MCXT_ALLOC_HUGE);
	lo[0] = 0;
	hi[0] = n;
	node_of[0] = 0;
	nlevel = n > 0 ? 1 : 0;
	items_grow_columns(&nodes_capacity, 1, budget, "the candidate trie",
					   2, node_columns, node_sizes);
	trie->node_first[0] = 0;
	trie->node_count[0] = 0;
	trie->nnodes = 1;
	trie->nedges = 0;

	for (int depth = 0; depth < k; depth++)
	{
		int64		nnext = 0;

		CHECK_FOR_INTERRUPTS();
		for (int64 r = 0; r < nlevel; r++)
		{
			int32		node = node_of[r];
			int64		a = lo[r];

			trie->node_first[node] = trie->nedges;
			while (a < hi[r])
			{
				int32		item = items[a * k + depth];
				int64		b = a + 1;
				int64		edge = trie->nedges;

				while (b < hi[r] && items[b * k + depth] == item)
					b++;
				items_grow_columns(&edges_capacity, edge + 1, budget, "the candidate trie",
								   2, edge_columns, edge_sizes);
				trie->edge_item[edge] = item;
				if (depth == 0)
					trie->root_edge[item] = (int32) edge;
				if (depth == k - 1)		/* the candidate */
					trie->edge_child[edge] = leaf_index ? leaf_index[a] : a;
				else
				{
					int32		child = trie->nnodes++;

					items_grow_columns(&nodes_capacity, child + 1, budget, "the candidate trie",
									   2, node_columns, node_sizes);
					trie->node_count[child] = 0;
					trie->edge_child[edge] = child;
					next_lo[nnext] = a;
					next_hi[nnext] = b;
					next_node_of[nnext] = child;
					nnext++;
				}
				trie->nedges++;
				trie->node_count[node]++;
				a = b;
			}
		}
		/* the next depth's ranges become the current ones */
		{
			int64	   *t64;
			int32	   *t32;

			t64 = lo, lo = next_lo, next_lo = t64;
			t64 = hi, hi = next_hi, next_hi = t64;
			t32 = node_of, node_of = next_node_of, next_node_of = t32;
		}
		nlevel = nnext;
	}
	pfree(lo);
	pfree(hi);
	pfree(node_of);
	pfree(next_lo);
	pfree(next_hi);
	pfree(next_node_of);
	budget_release(budget, ((Size) n + 1) * 2 * (2 * sizeof(int64) + sizeof(int32)));
	trie->reserved = budget->used - mark;
	return trie;
}

/*
 * Find item among the edges [first, first + n) (sorted): linear for few
 * edges, binary search otherwise; -1 when absent.
 */
static inline int64
trie_find_edge(const CandidateTrie *trie, int64 first, int32 n, int32 item)
{
	int64		a = first;
	int64		b = first + n;

	while (b - a > 8)
	{
		int64		m = a + (b - a) / 2;

		if (trie->edge_item[m] < item)
			a = m + 1;
		else
			b = m;
	}
	for (; a < first + n; a++)
	{
		if (trie->edge_item[a] == item)
			return a;
		if (trie->edge_item[a] > item)
			return -1;
	}
	return -1;
}

static void
trie_count_from(const CandidateTrie *trie, int32 node, int depth,
				const int32 *t, int n, int p, int64 weight, int64 *counts)
{
	int64		first = trie->node_first[node];
	int32		nedges = trie->node_count[node];
	int			last = n - (trie->k - depth);	/* last usable position */

	for (int q = p; q <= last; q++)
	{
		int64		e = trie_find_edge(trie, first, nedges, t[q]);

		if (e < 0)
			continue;
		if (depth == trie->k - 1)
			counts[trie->edge_child[e]] += weight;
		else
			trie_count_from(trie, (int32) trie->edge_child[e], depth + 1, t, n, q + 1,
							weight, counts);
	}
}

/*
 * candidate_trie_count: add weight to the count of every candidate that
 * the transaction t (n ranks, ascending, all < nitems) contains.
 */
void
candidate_trie_count(const CandidateTrie *trie, const int32 *t, int n,
					 int64 weight, int64 *counts)
{
	int			k = trie->k;

	if (n < k || trie->ncandidates == 0)
		return;
	for (int q = 0; q <= n - k; q++)
	{
		int32		e = trie->root_edge[t[q]];

		if (e < 0)
			continue;
		if (k == 1)
			counts[trie->edge_child[e]] += weight;
		else
			trie_count_from(trie, (int32) trie->edge_child[e], 1, t, n, q + 1, weight, counts);
	}
}

/* ---- Apriori ---- */

static uint64
level_hash(const int32 *items, int k)
{
	uint64		h = 0xC2B2AE3D27D4EB4FULL;

	for (int i = 0; i < k; i++)
	{
		h ^= (uint64) (uint32) items[i];
		h *= 0x9E3779B97F4A7C15ULL;
		h ^= h >> 29;
	}
	return h;
}

void
apriori_level_add(AprioriLevel *level, const int32 *items, int64 count, MemoryBudget *budget)
{
	int			k = level->k;

	if ((Size) level->n + 1 > level->capacity)
	{
		Size		newcap = Max(level->capacity * 2, 64);
		Size		itembytes = budget_mul(newcap, k * sizeof(int32), budget->what);

		budget_reserve_array(budget, newcap - level->capacity,
							 k * sizeof(int32) + sizeof(int64), "the Apriori levels");
		if (level->items == NULL)
		{
			level->items = palloc_extended(itembytes, MCXT_ALLOC_HUGE);
			level->count = palloc_extended(newcap * sizeof(int64), MCXT_ALLOC_HUGE);
		}
		else
		{
			level->items = repalloc_huge(level->items, itembytes);
			level->count = repalloc_huge(level->count, newcap * sizeof(int64));
		}
		level->capacity = newcap;
	}
	memcpy(level->items + level->n * k, items, k * sizeof(int32));
	level->count[level->n] = count;
	level->n++;
}

static void
level_index(AprioriLevel *level, MemoryBudget *budget)
{
	uint64		nslots = 16;

	while (nslots < (uint64) level->n * 2)
		nslots *= 2;
	budget_reserve_array(budget, nslots, sizeof(int64), "the Apriori levels");
	level->slots = palloc_extended(nslots * sizeof(int64), MCXT_ALLOC_HUGE | MCXT_ALLOC_ZERO);
	level->mask = nslots - 1;
	for (int64 i = 0; i < level->n; i++)
	{
		uint64		s = level_hash(level->items + i * level->k, level->k) & level->mask;

		while (level->slots[s] != 0)
			s = (s + 1) & level->mask;
		level->slots[s] = i + 1;
	}
}

static bool
level_contains(const AprioriLevel *level, const int32 *items)
{
	uint64		s = level_hash(items, level->k) & level->mask;

	for (; level->slots[s] != 0; s = (s + 1) & level->mask)
	{
		int64		i = level->slots[s] - 1;

		if (memcmp(level->items + i * level->k, items, level->k * sizeof(int32)) == 0)
			return true;
	}
	return false;
}

void
apriori_level_free(AprioriLevel *level, MemoryBudget *budget)
{
	budget_release(budget, level->capacity * (level->k * sizeof(int32) + sizeof(int64)));
	if (level->slots)
		budget_release(budget, (level->mask + 1) * sizeof(int64));
	if (level->items)
		pfree(level->items);
	if (level->count)
		pfree(level->count);
	if (level->slots)
		pfree(level->slots);
	memset(level, 0, sizeof(AprioriLevel));
}

/*
 * The candidates of level k + 1 from level k: join on the first k - 1
 * items, prune by the k-subsets.  Sorted, as the trie needs.
 */
int64
apriori_candidates(AprioriLevel *level, int32 **out, Size *out_capacity,
				   MemoryBudget *budget)
{
	int			k = level->k;
	int32	   *cand = NULL;
	Size		capacity = 0;
	int64		n = 0;
	int32		buf[ITEMSETS_MAX_LEN + 1];
	int32		sub[ITEMSETS_MAX_LEN];
	uint64		steps = 0;

	level_index(level, budget);
	for (int64 i = 0; i < level->n; i++)
	{
		const int32 *a = level->items + i * k;

		for (int64 j = i + 1; j < level->n; j++)
		{
			const int32 *b = level->items + j * k;
			bool		keep = true;

			if ((++steps & 1023) == 0)
				CHECK_FOR_INTERRUPTS();
			if (memcmp(a, b, (k - 1) * sizeof(int32)) != 0)
				break;
			memcpy(buf, a, k * sizeof(int32));
			buf[k] = b[k - 1];
			/* the subsets without item d, for d < k - 1 (the other two are a, b) */
			for (int d = 0; d < k - 1 && keep; d++)
			{
				int			m = 0;

				for (int x = 0; x <= k; x++)
					if (x != d)
						sub[m++] = buf[x];
				keep = level_contains(level, sub);
			}
			if (!keep)
				continue;
			cand = items_grow(cand, &capacity, (Size) (n + 1) * (k + 1), sizeof(int32),
							  budget, "the Apriori candidates");
			memcpy(cand + n * (k + 1), buf, (k + 1) * sizeof(int32));
			n++;
		}
	}
	*out = cand;
	*out_capacity = capacity;
	return n;
}

/* Level 2 by a triangular array of pair counts; false if it does not fit */
static bool
apriori_pairs(const MiningInput *input, AprioriLevel *next, ItemsetTable *table,
			  MemoryBudget *budget)
{
	int64		f = input->nitems;
	Size		npairs = (Size) (f * (f - 1) / 2);
	int64	   *counts;

	if (f > 3000000 || npairs * sizeof(int64) > budget->limit / 4)
		return false;
	budget_reserve_array(budget, npairs + 1, sizeof(int64), "the Apriori pair counts");
	counts = palloc_extended((npairs + 1) * sizeof(int64), MCXT_ALLOC_HUGE | MCXT_ALLOC_ZERO);
	for (int32 t = 0; t < input->ntrans; t++)
	{
		const int32 *items = input->titems + input->tstart[t];
		int			n = input->tstart[t + 1] - input->tstart[t];
		int64		w = input->tweight[t];

		if ((t & 1023) == 0)
			CHECK_FOR_INTERRUPTS();
		for (int a = 0; a < n; a++)
		{
			/* pair (i, j), i < j: row i starts at i * (2f - i - 1) / 2 */
			int64		row = (int64) items[a] * (2 * f - items[a] - 1) / 2 - items[a] - 1;

			for (int b = a + 1; b < n; b++)
				counts[row + items[b]] += w;
		}
	}
	for (int64 i = 0; i < f; i++)
	{
		int64		row = i * (2 * f - i - 1) / 2 - i - 1;

		CHECK_FOR_INTERRUPTS();
		for (int64 j = i + 1; j < f; j++)
		{
			if (counts[row + j] >= input->min_count)
			{
				int32		pair[2] = {(int32) i, (int32) j};

				apriori_level_add(next, pair, counts[row + j], budget);
				itemset_table_add(table, pair, 2, counts[row + j]);
			}
		}
	}
	pfree(counts);
	budget_release(budget, (npairs + 1) * sizeof(int64));
	return true;
}

void
apriori_mine(const MiningInput *input, int max_len, ItemsetTable *table,
			 MemoryBudget *budget)
{
	AprioriLevel level = {0};

	level.k = 1;
	for (int32 r = 0; r < input->nitems; r++)
	{
		apriori_level_add(&level, &r, input->rank_count[r], budget);
		itemset_table_add(table, &r, 1, input->rank_count[r]);
	}

	for (int k = 1; k < max_len && level.n > 1; k++)
	{
		AprioriLevel next = {0};
		int32	   *cand;
		int64		ncand;
		int64	   *counts;
		Size		cand_capacity;
		CandidateTrie *trie;

		next.k = k + 1;
		if (k == 1 && apriori_pairs(input, &next, table, budget))
		{
			apriori_level_free(&level, budget);
			level = next;
			continue;
		}
		ncand = apriori_candidates(&level, &cand, &cand_capacity, budget);
		if (ncand == 0)
		{
			if (cand != NULL)
				pfree(cand);
			break;
		}
		trie = candidate_trie_build(cand, ncand, k + 1, input->nitems, NULL, budget);
		budget_reserve_array(budget, (Size) ncand, sizeof(int64), "the Apriori counts");
		counts = palloc_extended((Size) ncand * sizeof(int64), MCXT_ALLOC_HUGE | MCXT_ALLOC_ZERO);
		for (int32 t = 0; t < input->ntrans; t++)
		{
			if ((t & 1023) == 0)
				CHECK_FOR_INTERRUPTS();
			candidate_trie_count(trie, input->titems + input->tstart[t],
								 input->tstart[t + 1] - input->tstart[t],
								 input->tweight[t], counts);
		}
		for (int64 c = 0; c < ncand; c++)
		{
			if (counts[c] >= input->min_count)
			{
				apriori_level_add(&next, cand + c * (k + 1), counts[c], budget);
				itemset_table_add(table, cand + c * (k + 1), k + 1, counts[c]);
			}
		}
		pfree(counts);
		budget_release(budget, (Size) ncand * sizeof(int64));
		pfree(cand);
		budget_release(budget, cand_capacity * sizeof(int32));
		candidate_trie_free(trie, budget);
		apriori_level_free(&level, budget);
		level = next;
	}
	apriori_level_free(&level, budget);
}

void
candidate_trie_free(CandidateTrie *trie, MemoryBudget *budget)
{
	budget_release(budget, trie->reserved);
	if (trie->root_edge)
		pfree(trie->root_edge);
	if (trie->node_first)
		pfree(trie->node_first);
	if (trie->node_count)
		pfree(trie->node_count);
	if (trie->edge_item)
		pfree(trie->edge_item);
	if (trie->edge_child)
		pfree(trie->edge_child);
	pfree(trie);
}
