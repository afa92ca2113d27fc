/*-------------------------------------------------------------------------
 *
 * fpgrowth.c
 *	  FP-growth (Han, Pei & Yin, "Mining frequent patterns without candidate
 *	  generation", SIGMOD 2000): every frequent itemset of at most max_len
 *	  items, into an ItemsetTable.
 *
 * The FP-tree stores the transactions (frequent items by rank, most
 * frequent first) as shared prefixes with counts; every node of an item is
 * linked from that item's header.  Mining takes the items from the least
 * frequent up: an item's itemset is emitted, then its conditional pattern
 * base (the paths above its nodes) becomes a smaller tree over the items
 * that are frequent in it, mined the same way with the item as suffix.
 * A conditional tree that is a single path is not mined further: every
 * combination of its nodes is emitted directly, with the count of the
 * deepest.
 *
 * Layout: nodes are columns of int32 arrays (item, parent, first child,
 * next sibling, next node of the same item) and an int64 count, so walking
 * up a path touches only the parent and item columns.  The root's children
 * are indexed directly by item.  One tree per recursion depth is kept and
 * reused for every conditional tree at that depth, so the recursion
 * allocates only when a tree outgrows its predecessors (and reserves that
 * against the memory budget first).  Depth is at most max_len.
 *
 * Cancellation: CHECK_FOR_INTERRUPTS() once per item of every tree.
 *
 * IDENTIFICATION
 *	  src/fpgrowth.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "miscadmin.h"

#include "itemsets.h"

/*
 * What walking up a path and along an item's nodes reads, in one 16-byte
 * node, so each step costs one cache line.  Counts fit int32: they never
 * exceed the number of baskets.
 */
typedef struct FpNode
{
	int32		item;
	int32		parent;
	int32		next;			/* next node of the same item, or -1 */
	int32		count;
} FpNode;

typedef struct FpTree
{
	/* items: local numbers 0 .. nitems-1, ordered as their global ranks */
	int32		nitems;
	Size		items_capacity;
	int32	   *global;			/* global rank of each local item */
	int64	   *support;		/* count of each local item in this tree */
	int32	   *head;			/* first node of each local item, or -1 */
	int32	   *root_child;		/* the root's child of each local item */
	int64	   *scratch;		/* conditional counts, zero between uses */
	int32	   *map;			/* local item -> item of the conditional */

	/* nodes: 0 is the root */
	int32		nnodes;
	Size		nodes_capacity;
	FpNode	   *node;
	int32	   *child;			/* first child, or -1 */
	int32	   *sibling;		/* next child of the same parent, or -1 */
} FpTree;

typedef struct FpState
{
	int			max_len;
	int64		min_count;
	ItemsetTable *table;
	MemoryBudget *budget;
	FpTree		trees[ITEMSETS_MAX_LEN + 1];
	int32		prefix[ITEMSETS_MAX_LEN];	/* global ranks */
	int32	   *path;			/* scratch: one path, local items */
	Size		path_capacity;
	int32	   *paths;			/* scratch: the pattern base, as walked */
	Size		paths_capacity;
	int32		max_depth_seen; /* longest path copied so far */
	int32	   *single_global;	/* scratch: a single-path tree */
	int64	   *single_count;
	Size		single_capacity;
} FpState;

/* Make room for needed nodes */
static void
fptree_grow_nodes(FpState *state, FpTree *tree, Size needed)
{
	void	  **const columns[] = {(void **) &tree->node, (void **) &tree->child,
	(void **) &tree->sibling};
	static const Size sizes[] = {sizeof(FpNode), sizeof(int32), sizeof(int32)};

	items_grow_columns(&tree->nodes_capacity, needed, state->budget, "the FP-trees",
					   3, columns, sizes);
}

/* Make room for nitems items, and reset the tree to its root */
static void
fptree_reset(FpState *state, FpTree *tree, int32 nitems)
{
	if ((Size) nitems > tree->items_capacity)
	{
		void	  **const columns[] = {(void **) &tree->global, (void **) &tree->support,
			(void **) &tree->head, (void **) &tree->root_child, (void **) &tree->map,
		(void **) &tree->scratch};
		static const Size sizes[] = {sizeof(int32), sizeof(int64), sizeof(int32),
		sizeof(int32), sizeof(int32), sizeof(int64)};
		Size		old = tree->items_capacity;

		items_grow_columns(&tree->items_capacity, nitems, state->budget, "the FP-trees",
						   6, columns, sizes);
		/* the conditional counts are zero between uses */
		memset(tree->scratch + old, 0, (tree->items_capacity - old) * sizeof(int64));
	}
	tree->nitems = nitems;
	for (int32 i = 0; i < nitems; i++)
	{
		tree->head[i] = -1;
		tree->root_child[i] = -1;
	}
	fptree_grow_nodes(state, tree, 1024);
	tree->nnodes = 1;
	tree->node[0].item = -1;
	tree->node[0].parent = -1;
	tree->node[0].next = -1;
	tree->node[0].count = 0;
	tree->child[0] = -1;
	tree->sibling[0] = -1;
}

static int32
fptree_new_node(FpState *state, FpTree *tree, int32 item, int32 parent)
{
	int32		node = tree->nnodes;

	if ((Size) node + 1 > tree->nodes_capacity)
	{
		if (node == PG_INT32_MAX - 1)
			ereport(ERROR,
					(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
					 errmsg("an FP-tree needs more than %d nodes", PG_INT32_MAX - 1),
					 errhint("Raise min_support.")));
		fptree_grow_nodes(state, tree, (Size) node + 1);
	}
	tree->node[node].item = item;
	tree->node[node].parent = parent;
	tree->node[node].count = 0;
	tree->child[node] = -1;
	if (parent == 0)
	{
		tree->sibling[node] = -1;
		tree->root_child[item] = node;
	}
	else
	{
		tree->sibling[node] = tree->child[parent];
		tree->child[parent] = node;
	}
	tree->node[node].next = tree->head[item];
	tree->head[item] = node;
	tree->nnodes++;
	return node;
}

/* Add a path of local items (ascending) with a count */
static void
fptree_insert(FpState *state, FpTree *tree, const int32 *path, int n, int64 count)
{
	int32		node = 0;

	for (int i = 0; i < n; i++)
	{
		int32		item = path[i];
		int32		c;

		if (node == 0)
			c = tree->root_child[item];
		else
		{
			/* the child just created is first: sorted input finds it at once */
			c = tree->child[node];
			while (c >= 0 && tree->node[c].item != item)
				c = tree->sibling[c];
		}
		if (c < 0)
			c = fptree_new_node(state, tree, item, node);
		tree->node[c].count += (int32) count;
		node = c;
	}
}

static void
fp_emit(FpState *state, int size, int64 count)
{
	itemset_table_add(state->table, state->prefix, size, count);
}

/*
 * Build the conditional tree of local item j of tree into cond; false when
 * no item is frequent in j's conditional pattern base.
 */
static bool
fptree_conditional(FpState *state, FpTree *tree, int32 j, FpTree *cond)
{
	int64	   *counts = tree->scratch;
	int32		nfrequent = 0;
	Size		used = 0;

	/*
	 * Pass 1: the support of each item in the pattern base.  Each path is
	 * also copied, as [count (two int32), length, items bottom up], so that
	 * pass 2 reads it sequentially instead of walking the tree again.
	 */
	for (int32 v = tree->head[j]; v >= 0; v = tree->node[v].next)
	{
		int64		c = tree->node[v].count;
		Size		at = used;
		int32		n = 0;

		if (used + 3 + (Size) state->max_depth_seen > state->paths_capacity)
			state->paths = items_grow(state->paths, &state->paths_capacity,
									  used + 3 + (Size) state->max_depth_seen, sizeof(int32),
									  state->budget, "the FP-trees");
		used += 3;
		for (int32 u = tree->node[v].parent; u > 0; u = tree->node[u].parent)
		{
			int32		item = tree->node[u].item;

			counts[item] += c;
			if (used + 1 > state->paths_capacity)
				state->paths = items_grow(state->paths, &state->paths_capacity, used + 1,
										  sizeof(int32), state->budget, "the FP-trees");
			state->paths[used++] = item;
			n++;
		}
		memcpy(&state->paths[at], &c, sizeof(int64));
		state->paths[at + 2] = n;
		if (n > state->max_depth_seen)
			state->max_depth_seen = n;
	}
	for (int32 i = 0; i < j; i++)
	{
		if (counts[i] >= state->min_count)
			tree->map[i] = nfrequent++;
		else
			tree->map[i] = -1;
	}
	if (nfrequent == 0)
	{
		for (int32 i = 0; i < j; i++)
			counts[i] = 0;
		return false;
	}

	fptree_reset(state, cond, nfrequent);
	for (int32 i = 0; i < j; i++)
	{
		if (tree->map[i] >= 0)
		{
			cond->global[tree->map[i]] = tree->global[i];
			cond->support[tree->map[i]] = counts[i];
		}
		counts[i] = 0;
	}

	/* pass 2: insert each path, filtered, top down */
	for (Size at = 0; at < used;)
	{
		int64		c;
		int32		len = state->paths[at + 2];
		const int32 *items = &state->paths[at + 3];
		int			n = 0;

		memcpy(&c, &state->paths[at], sizeof(int64));
		at += 3 + len;
		if ((Size) len > state->path_capacity)
			state->path = items_grow(state->path, &state->path_capacity, len,
									 sizeof(int32), state->budget, "the FP-trees");
		/* the walk went bottom up: read backwards */
		for (int32 i = len - 1; i >= 0; i--)
		{
			int32		m = tree->map[items[i]];

			if (m >= 0)
				state->path[n++] = m;
		}
		if (n > 0)
			fptree_insert(state, cond, state->path, n, c);
	}
	return true;
}

/* Whether no node of the tree has two children */
static bool
fptree_is_single_path(const FpTree *tree)
{
	int32		nroot = 0;

	for (int32 i = 0; i < tree->nitems; i++)
		if (tree->root_child[i] >= 0)
			nroot++;
	if (nroot > 1)
		return false;
	for (int32 v = 1; v < tree->nnodes; v++)
		if (tree->child[v] >= 0 && tree->sibling[tree->child[v]] >= 0)
			return false;
	return true;
}

/* Emit prefix + every combination of path[from ..] */
static void
fp_emit_path(FpState *state, const int32 *global, const int64 *count, int n,
			 int from, int depth)
{
	for (int i = from; i < n; i++)
	{
		state->prefix[depth] = global[i];
		fp_emit(state, depth + 1, count[i]);
		if (depth + 1 < state->max_len)
			fp_emit_path(state, global, count, n, i + 1, depth + 1);
	}
}

static void
fp_mine_tree(FpState *state, int depth)
{
	FpTree	   *tree = &state->trees[depth];

	check_stack_depth();
	for (int32 j = tree->nitems - 1; j >= 0; j--)
	{
		FpTree	   *cond = &state->trees[depth + 1];

		CHECK_FOR_INTERRUPTS();
		state->prefix[depth] = tree->global[j];
		fp_emit(state, depth + 1, tree->support[j]);
		if (depth + 1 >= state->max_len || j == 0)
			continue;
		if (!fptree_conditional(state, tree, j, cond))
			continue;
		if (fptree_is_single_path(cond))
		{
			void	  **const columns[] = {(void **) &state->single_global,
			(void **) &state->single_count};
			static const Size sizes[] = {sizeof(int32), sizeof(int64)};
			int			n = 0;

			items_grow_columns(&state->single_capacity, cond->nnodes, state->budget,
							   "the FP-trees", 2, columns, sizes);
			for (int32 i = 0; i < cond->nitems; i++)
			{
				if (cond->root_child[i] >= 0)
				{
					for (int32 v = cond->root_child[i]; v >= 0; v = cond->child[v])
					{
						state->single_global[n] = cond->global[cond->node[v].item];
						state->single_count[n] = cond->node[v].count;
						n++;
					}
					break;
				}
			}
			fp_emit_path(state, state->single_global, state->single_count, n, 0, depth + 1);
		}
		else
			fp_mine_tree(state, depth + 1);
	}
}

/*
 * fpgrowth_mine: every frequent itemset of input with at most max_len
 * items, into table.
 */
void
fpgrowth_mine(const MiningInput *input, int max_len, ItemsetTable *table,
			  MemoryBudget *budget)
{
	FpState    *state = palloc0(sizeof(FpState));
	FpTree	   *tree = &state->trees[0];

	Assert(max_len >= 1 && max_len <= ITEMSETS_MAX_LEN);
	state->max_len = max_len;
	state->min_count = input->min_count;
	state->table = table;
	state->budget = budget;
	if (input->nitems == 0)
		return;

	fptree_reset(state, tree, input->nitems);
	for (int32 r = 0; r < input->nitems; r++)
	{
		tree->global[r] = r;
		tree->support[r] = input->rank_count[r];
	}
	for (int32 t = 0; t < input->ntrans; t++)
	{
		if ((t & 4095) == 0)
			CHECK_FOR_INTERRUPTS();
		fptree_insert(state, tree, input->titems + input->tstart[t],
					  input->tstart[t + 1] - input->tstart[t], input->tweight[t]);
	}
	fp_mine_tree(state, 0);
}
