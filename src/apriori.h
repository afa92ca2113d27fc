/*-------------------------------------------------------------------------
 *
 * apriori.h
 *	  The candidate trie Apriori counts with, in memory (apriori.c) and in
 *	  the combinable counting aggregate of the scan path (apriori_agg.c).
 *
 * IDENTIFICATION
 *	  src/apriori.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef PROFILE_APRIORI_H
#define PROFILE_APRIORI_H

#include "profile.h"

/*
 * Candidates of k items as a trie: a node's edges are sorted by item and
 * lead to a child node, or at depth k - 1 to a candidate index.  The
 * root's edges are also indexed directly by item.
 */
typedef struct CandidateTrie
{
	int			k;
	int64		ncandidates;
	int32		nitems;			/* items are 0 .. nitems-1 */
	int32	   *root_edge;		/* per item: the root's edge, or -1 */
	int32		nnodes;
	int64	   *node_first;		/* first edge of each node */
	int32	   *node_count;		/* and how many */
	int64		nedges;
	int32	   *edge_item;
	int64	   *edge_child;		/* child node, or candidate at depth k - 1 */
	Size		reserved;		/* bytes reserved against the budget */
} CandidateTrie;

extern CandidateTrie *candidate_trie_build(const int32 *items, int64 n, int k,
										   int32 nitems, const int64 *leaf_index,
										   MemoryBudget *budget);
extern void candidate_trie_count(const CandidateTrie *trie, const int32 *t,
								 int n, int64 weight, int64 *counts);
extern void candidate_trie_free(CandidateTrie *trie, MemoryBudget *budget);

/* One level: n itemsets of k items (sorted, lexicographic) and counts */
typedef struct AprioriLevel
{
	int			k;
	int64		n;
	Size		capacity;
	int32	   *items;
	int64	   *count;
	int64	   *slots;			/* hash index: itemset + 1, 0 empty */
	uint64		mask;
} AprioriLevel;

extern void apriori_level_add(AprioriLevel *level, const int32 *items, int64 count,
					  MemoryBudget *budget);
extern void apriori_level_free(AprioriLevel *level, MemoryBudget *budget);
extern int64 apriori_candidates(AprioriLevel *level, int32 **out,
								Size *out_capacity, MemoryBudget *budget);

#endif							/* PROFILE_APRIORI_H */
