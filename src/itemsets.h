/*-------------------------------------------------------------------------
 *
 * itemsets.h
 *	  Baskets, the item dictionary, frequent itemsets and association rules:
 *	  what baskets.c, itemsets.c, fpgrowth.c, apriori.c, rules.c and
 *	  rules_model.c share.
 *
 * Items are the user's values (integers, text or uuid) and are
 * dictionary-encoded: a dictionary id is the order of first appearance.
 * Mining works on ranks instead: the frequent items sorted by support,
 * most frequent first (ties by value), so results never depend on the
 * order in which rows arrive.
 *
 * IDENTIFICATION
 *	  src/itemsets.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef PROFILE_ITEMSETS_H
#define PROFILE_ITEMSETS_H

#include "profile.h"

/* Limits and defaults (documented in README, "Frequent itemsets") */
#define ITEMSETS_MAX_LEN		32		/* hard upper bound of max_len */
#define ITEMSETS_MAX_BASKETS	PG_INT32_MAX

/* ---- growable arrays under the memory budget (baskets.c) ---- */

extern void *items_grow(void *array, Size *capacity, Size needed,
						Size elemsize, MemoryBudget *budget,
						const char *purpose);
extern void items_grow_columns(Size *capacity, Size needed,
							   MemoryBudget *budget, const char *purpose,
							   int ncolumns, void **const *columns,
							   const Size *elemsizes);

/* ---- the item dictionary (baskets.c) ---- */

typedef enum ItemKind
{
	ITEM_INTEGER,				/* smallint, integer, bigint: kept as int64 */
	ITEM_TEXT,					/* text, varchar, char: the bytes */
	ITEM_UUID					/* uuid: the 16 bytes */
} ItemKind;

typedef struct ItemDict
{
	ItemKind	kind;
	int32		count;			/* ids 0 .. count-1 */
	Size		capacity;
	int64	   *ints;			/* ITEM_INTEGER: the value of each id */
	Size	   *offsets;		/* other kinds: where each id's bytes start */
	int32	   *lengths;		/* ... and how many */
	char	   *bytes;
	Size		bytes_used;
	Size		bytes_capacity;
	uint32	   *hashes;			/* per id */
	int32	   *slots;			/* open addressing: id + 1, 0 = empty */
	uint32		mask;			/* slots - 1 */
	int32	   *direct;			/* integers 0 .. ITEMDICT_DIRECT-1: id + 1 */
	MemoryBudget *budget;
} ItemDict;

#define ITEMDICT_DIRECT		(1 << 20)

/* A value to look up: ival for ITEM_INTEGER, bytes/len otherwise */
typedef struct ItemKey
{
	int64		ival;
	const char *bytes;
	int			len;
} ItemKey;

extern ItemKind item_kind_of_type(Oid typid, bool *ok);
extern ItemDict *itemdict_create(ItemKind kind, MemoryBudget *budget);
extern bool item_key_from_datum(ItemKind kind, Datum value, Oid typid,
								ItemKey *key);
extern bool item_key_from_text(ItemKind kind, const char *text, ItemKey *key,
							   char *uuidbuf);
extern int32 itemdict_intern(ItemDict *dict, const ItemKey *key);
extern int32 itemdict_find(const ItemDict *dict, const ItemKey *key);
extern Datum itemdict_text(const ItemDict *dict, int32 id);
extern void itemdict_key(const ItemDict *dict, int32 id, ItemKey *key);
extern int	itemdict_compare(const ItemDict *dict, int32 a, int32 b);

/* ---- baskets read from an inner query (baskets.c) ---- */

typedef struct Baskets
{
	ItemDict   *items;
	ItemDict   *ids;			/* basket ids, in the basket column's kind */
	int32		nbaskets;		/* baskets with at least one item */
	int32	   *start;			/* nbaskets + 1 offsets into members */
	int32	   *members;		/* item ids, ascending, once per basket */
	int32	   *support;		/* per item id: baskets that hold it */
	int64		rows;			/* rows the query returned */
	int64		skipped_nulls;	/* rows or array elements with a NULL */
} Baskets;

extern Baskets *baskets_load(const char *caller, const char *sql,
							 MemoryBudget *budget);

/* ---- what a miner gets: frequent items by rank, weighted transactions ---- */

typedef struct MiningInput
{
	int64		nbaskets;		/* the support denominator */
	int64		min_count;		/* an itemset is frequent from this count */
	int32		nitems;			/* frequent items: ranks 0 .. nitems-1 */
	int32	   *item_of_rank;	/* dictionary id of each rank */
	int32	   *rank_of_item;	/* rank of each dictionary id, -1: rare */
	int64	   *rank_count;		/* support count of each rank */
	int32		ntrans;			/* distinct transactions of frequent items */
	int32	   *tstart;			/* ntrans + 1 offsets into titems */
	int32	   *titems;			/* ranks, ascending within a transaction */
	int64	   *tweight;		/* baskets with exactly this transaction */
} MiningInput;

extern int64 itemsets_min_count(double min_support, int64 min_count,
								int64 nbaskets);
extern MiningInput *mining_input_build(const Baskets *baskets, int64 min_count,
									   MemoryBudget *budget);

/* ---- frequent itemsets, as the miners produce them (itemsets.c) ---- */

typedef struct ItemsetTable
{
	int64		n;
	Size		capacity;
	Size	   *start;			/* where each itemset's ranks start */
	int32	   *size;
	int64	   *count;
	int32	   *items;			/* ranks, ascending within an itemset */
	Size		items_used;
	Size		items_capacity;
	int64		limit;			/* max_itemsets */
	int64	   *slots;			/* hash index (itemset + 1), or NULL */
	uint64		mask;
	MemoryBudget *budget;
} ItemsetTable;

extern ItemsetTable *itemset_table_create(int64 limit, MemoryBudget *budget);
extern void itemset_table_add(ItemsetTable *table, const int32 *ranks,
							  int size, int64 count);
extern void itemset_table_index(ItemsetTable *table);
extern int64 itemset_table_find(const ItemsetTable *table, const int32 *ranks,
								int size);

static inline const int32 *
itemset_items(const ItemsetTable *table, int64 i)
{
	return table->items + table->start[i];
}

/* The miners: every frequent itemset of 1 .. max_len items into table */
extern void fpgrowth_mine(const MiningInput *input, int max_len,
						  ItemsetTable *table, MemoryBudget *budget);
extern void apriori_mine(const MiningInput *input, int max_len,
						 ItemsetTable *table, MemoryBudget *budget);

/* Shared by frequent_itemsets and association_rules (itemsets.c) */
typedef struct MiningResult
{
	Baskets    *baskets;
	MiningInput *input;
	ItemsetTable *table;
	int32	   *value_order;	/* per rank: its place in value order */
} MiningResult;

extern MiningResult *itemsets_mine(const char *caller, const char *sql,
								   double min_support, int64 min_count,
								   int max_len, const char *algorithm,
								   int64 max_itemsets, MemoryBudget *budget);
extern MiningResult *apriori_scan_mine(const char *caller, const char *sql,
									   double min_support, int64 min_count,
									   int max_len, int64 max_itemsets,
									   MemoryBudget *budget);
extern int	itemsets_compare_values(const MiningResult *result,
									const int32 *a, int na,
									const int32 *b, int nb);
extern Datum itemsets_ranks_array(const MiningResult *result,
								  const int32 *ranks, int n);

/* ---- rule measures (rules.c) ---- */

typedef enum RuleMeasure
{
	MEASURE_SUPPORT,
	MEASURE_CONFIDENCE,
	MEASURE_LIFT,
	MEASURE_LEVERAGE,
	MEASURE_CONVICTION,
	MEASURE_ZHANG,
	MEASURE_JACCARD,
	MEASURE_CERTAINTY,
	MEASURE_KULCZYNSKI,
	MEASURE_ANTECEDENT_SUPPORT,
	MEASURE_CONSEQUENT_SUPPORT,
	RULE_NMEASURES
} RuleMeasure;

extern const char *const rule_measure_names[RULE_NMEASURES];
extern RuleMeasure rule_measure_from_name(const char *name, const char *param);
extern void rule_measures(int64 n, int64 antecedent, int64 consequent,
						  int64 both, double *out);
extern double rule_measure(int64 n, int64 antecedent, int64 consequent,
						   int64 both, RuleMeasure measure);

/* Mined rules over an ItemsetTable: itemsets by index */
typedef struct RuleOptions
{
	double		min_confidence;
	double		min_threshold[RULE_NMEASURES];	/* -Infinity: none */
	int			max_antecedent;
	int			max_consequent;
	bool		prune_redundant;
	int64		max_rules;
	/* per rank, or NULL: side constraints (README, "Item constraints") */
	bool	   *antecedent_in;
	bool	   *antecedent_has;
	bool	   *consequent_in;
	bool	   *consequent_has;
} RuleOptions;

typedef struct RuleSet
{
	int64		n;
	Size		capacity;
	int64	   *antecedent;		/* itemset index of each side */
	int64	   *consequent;
	int64	   *both;
	MemoryBudget *budget;
} RuleSet;

extern void rule_options_init(RuleOptions *options);
extern void rule_arguments_check(FunctionCallInfo fcinfo, int first);
extern void rule_options_from_args(RuleOptions *options, FunctionCallInfo fcinfo,
								   int first, const MiningResult *result,
								   MemoryBudget *budget);
extern RuleSet *rules_generate(const MiningResult *result,
							   const RuleOptions *options,
							   MemoryBudget *budget);
extern int64 *rules_output_order(const MiningResult *result,
								 const RuleSet *rules, MemoryBudget *budget);
extern MiningResult *rules_mine_from_args(FunctionCallInfo fcinfo, int base,
										  const char *caller,
										  RuleSet **rules_out,
										  MemoryBudget *budget);

#endif							/* PROFILE_ITEMSETS_H */
