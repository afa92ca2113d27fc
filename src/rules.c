/*-------------------------------------------------------------------------
 *
 * rules.c
 *	  Association rules: their measures, their generation from frequent
 *	  itemsets, and profile.association_rules().
 *
 * A rule A => C splits a frequent itemset Z into a non-empty antecedent A
 * and a non-empty consequent C.  Mining counts three numbers per rule, the
 * baskets holding A, C and Z (with n, the baskets); every measure is
 * derived from those four counts (rule_measures), so stored models keep
 * counts only.  With sA = count(A) / n, sC = count(C) / n, s = count(Z) / n
 * and c = s / sA:
 *
 *	support s; confidence c; lift c / sC; leverage s - sA sC;
 *	conviction (1 - sC) / (1 - c), +Infinity when c = 1;
 *	Zhang's metric leverage / max(s (1 - sA), sA (sC - s)), 0 when that is 0;
 *	Jaccard s / (sA + sC - s); certainty (c - sC) / (1 - sC), 0 when sC = 1;
 *	Kulczynski (s / sA + s / sC) / 2.
 *
 * These are mlxtend's definitions (mlxtend.frequent_patterns.association_rules),
 * edge cases included.
 *
 * Generation enumerates, for every frequent itemset, its splits, and keeps
 * those that pass (in this order) the size limits, the item constraints,
 * min_confidence, min_lift and the thresholds, and, when asked, the
 * redundancy test: a rule A => C is redundant when a rule A' => C with A'
 * a proper subset of A has at least its confidence (compared exactly, as
 * products of counts).  max_rules is enforced as rules are kept.
 *
 * IDENTIFICATION
 *	  src/rules.c
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
#include "utils/float.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"

#include "itemsets.h"

const char *const rule_measure_names[RULE_NMEASURES] = {
	"support", "confidence", "lift", "leverage", "conviction",
	"zhangs_metric", "jaccard", "certainty", "kulczynski",
	"antecedent_support", "consequent_support"
};

/* The measure of this name; 22023 naming the parameter otherwise */
RuleMeasure
rule_measure_from_name(const char *name, const char *param)
{
	for (int m = 0; m < RULE_NMEASURES; m++)
		if (strcmp(name, rule_measure_names[m]) == 0)
			return (RuleMeasure) m;
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("unknown rule measure \"%s\" in %s", name, param),
			 errhint("The measures are support, confidence, lift, leverage, conviction, zhangs_metric, jaccard, certainty, kulczynski, antecedent_support and consequent_support.")));
	return MEASURE_SUPPORT;		/* keep the compiler quiet */
}

/* Every measure of a rule from its counts (README, "Rule measures") */
void
rule_measures(int64 n, int64 antecedent, int64 consequent, int64 both,
			  double *out)
{
	double		sa = (double) antecedent / (double) n;
	double		sc = (double) consequent / (double) n;
	double		s = (double) both / (double) n;
	double		c = (double) both / (double) antecedent;
	double		leverage = s - sa * sc;
	double		zhang_den = Max(s * (1.0 - sa), sa * (sc - s));

	out[MEASURE_SUPPORT] = s;
	out[MEASURE_CONFIDENCE] = c;
	out[MEASURE_LIFT] = c / sc;
	out[MEASURE_LEVERAGE] = leverage;
	out[MEASURE_CONVICTION] = both == antecedent ? get_float8_infinity() : (1.0 - sc) / (1.0 - c);
	out[MEASURE_ZHANG] = zhang_den == 0.0 ? 0.0 : leverage / zhang_den;
	out[MEASURE_JACCARD] = s / (sa + sc - s);
	out[MEASURE_CERTAINTY] = consequent == n ? 0.0 : (c - sc) / (1.0 - sc);
	out[MEASURE_KULCZYNSKI] = (s / sa + s / sc) / 2.0;
	out[MEASURE_ANTECEDENT_SUPPORT] = sa;
	out[MEASURE_CONSEQUENT_SUPPORT] = sc;
}

/* One measure of a rule: as rule_measures() computes it */
double
rule_measure(int64 n, int64 antecedent, int64 consequent, int64 both,
			 RuleMeasure measure)
{
	double		out[RULE_NMEASURES];

	switch (measure)
	{
		case MEASURE_SUPPORT:
			return (double) both / (double) n;
		case MEASURE_CONFIDENCE:
			return (double) both / (double) antecedent;
		case MEASURE_LIFT:
			return ((double) both / (double) antecedent) / ((double) consequent / (double) n);
		default:
			rule_measures(n, antecedent, consequent, both, out);
			return out[measure];
	}
}

/* ---- options ---- */

void
rule_options_init(RuleOptions *options)
{
	memset(options, 0, sizeof(RuleOptions));
	options->min_confidence = 0.0;
	for (int m = 0; m < RULE_NMEASURES; m++)
		options->min_threshold[m] = -get_float8_infinity();
	options->max_antecedent = ITEMSETS_MAX_LEN;
	options->max_consequent = ITEMSETS_MAX_LEN;
	options->max_rules = PG_INT64_MAX;
}

/* Minimums on any measure, from a jsonb object {"lift": 2, ...} */
static void
thresholds_from_jsonb(RuleOptions *options, Jsonb *jb)
{
	JsonbIterator *it;
	JsonbValue	v;
	JsonbIteratorToken tok;
	char	   *key = NULL;

	if (!JB_ROOT_IS_OBJECT(jb))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("thresholds must be a JSON object of measure names and minimums"),
				 errhint("For example '{\"lift\": 2, \"conviction\": 1.2}'.")));
	it = JsonbIteratorInit(&jb->root);
	while ((tok = JsonbIteratorNext(&it, &v, true)) != WJB_DONE)
	{
		if (tok == WJB_KEY)
			key = pnstrdup(v.val.string.val, v.val.string.len);
		else if (tok == WJB_VALUE)
		{
			RuleMeasure m = rule_measure_from_name(key, "thresholds");
			double		value;

			if (v.type != jbvNumeric)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("the threshold of \"%s\" must be a number", key)));
			value = DatumGetFloat8(DirectFunctionCall1(numeric_float8,
													   NumericGetDatum(v.val.numeric)));
			check_finite(value, "a threshold");
			options->min_threshold[m] = Max(options->min_threshold[m], value);
		}
	}
}

/*
 * Item constraints: the ranks an item list names.  Items that never occur
 * in the baskets are counted for a NOTICE; rare ones (below min_support)
 * cannot be in any rule anyway.
 */
static bool *
items_to_ranks(const MiningResult *result, ArrayType *array, const char *param,
			   MemoryBudget *budget)
{
	bool	   *flags;
	Datum	   *elems;
	bool	   *nulls;
	int			nelems;
	int			unknown = 0;

	if (ARR_NDIM(array) > 1)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("%s must be a one-dimensional array", param)));
	budget_reserve(budget, (Size) result->input->nitems + 1, "the item constraints");
	flags = palloc0((Size) result->input->nitems + 1);
	deconstruct_array(array, TEXTOID, -1, false, TYPALIGN_INT, &elems, &nulls, &nelems);
	for (int i = 0; i < nelems; i++)
	{
		ItemKey		key;
		char		uuidbuf[16];
		int32		id;

		if (nulls[i])
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("%s must not contain NULL elements", param)));
		if (!item_key_from_text(result->baskets->items->kind,
								TextDatumGetCString(elems[i]), &key, uuidbuf) ||
			(id = itemdict_find(result->baskets->items, &key)) < 0)
		{
			unknown++;
			continue;
		}
		if (result->input->rank_of_item[id] >= 0)
			flags[result->input->rank_of_item[id]] = true;
	}
	if (unknown > 0)
		ereport(NOTICE,
				(errmsg("%d of the %d items in %s do not occur in the baskets", unknown, nelems, param),
				 errdetail("They match no rule.")));
	return flags;
}

/*
 * rule_options_from_args: the rule arguments of association_rules and
 * rules_fit, starting at first (min_confidence): min_confidence, max_len
 * (skipped here), min_lift, thresholds, antecedent_in, antecedent_has,
 * consequent_in, consequent_has, max_antecedent, max_consequent,
 * prune_redundant, algorithm (skipped), max_itemsets (skipped), max_rules.
 */
void
rule_options_from_args(RuleOptions *options, FunctionCallInfo fcinfo, int first,
					   const MiningResult *result, MemoryBudget *budget)
{
	static const char *const params[] = {"antecedent_in", "antecedent_has",
	"consequent_in", "consequent_has"};
	bool	  **lists[4];

	rule_options_init(options);
	options->min_confidence = PG_GETARG_FLOAT8(first);
	options->min_threshold[MEASURE_LIFT] = PG_GETARG_FLOAT8(first + 2);
	if (!PG_ARGISNULL(first + 3))
		thresholds_from_jsonb(options, PG_GETARG_JSONB_P(first + 3));
	lists[0] = &options->antecedent_in;
	lists[1] = &options->antecedent_has;
	lists[2] = &options->consequent_in;
	lists[3] = &options->consequent_has;
	for (int i = 0; i < 4; i++)
		if (!PG_ARGISNULL(first + 4 + i))
			*lists[i] = items_to_ranks(result, PG_GETARG_ARRAYTYPE_P(first + 4 + i),
									   params[i], budget);
	if (!PG_ARGISNULL(first + 8))
		options->max_antecedent = PG_GETARG_INT32(first + 8);
	if (!PG_ARGISNULL(first + 9))
		options->max_consequent = PG_GETARG_INT32(first + 9);
	options->prune_redundant = PG_GETARG_BOOL(first + 10);
	options->max_rules = PG_GETARG_INT64(first + 13);
}

/*
 * rule_arguments_check: the checks of the rule arguments that need no
 * data, done before mining so that a bad call fails fast.
 */
void
rule_arguments_check(FunctionCallInfo fcinfo, int first)
{
	double		min_confidence = PG_GETARG_FLOAT8(first);
	double		min_lift = PG_GETARG_FLOAT8(first + 2);

	if (!(min_confidence >= 0.0 && min_confidence <= 1.0))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("min_confidence must be between 0 and 1, not %g", min_confidence)));
	if (isnan(min_lift) || min_lift < 0.0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("min_lift must be 0 or more, not %g", min_lift)));
	if (!PG_ARGISNULL(first + 8))
		check_int_range(PG_GETARG_INT32(first + 8), 1, ITEMSETS_MAX_LEN, "max_antecedent");
	if (!PG_ARGISNULL(first + 9))
		check_int_range(PG_GETARG_INT32(first + 9), 1, ITEMSETS_MAX_LEN, "max_consequent");
	check_int_range(PG_GETARG_INT64(first + 13), 1, PG_INT64_MAX, "max_rules");
}

/* ---- generation ---- */

static void
rule_set_add(RuleSet *rules, int64 antecedent, int64 consequent, int64 both,
			 int64 max_rules)
{
	if (rules->n >= max_rules)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("more than max_rules (" INT64_FORMAT ") association rules", max_rules),
				 errdetail("Rule generation stopped when the limit was reached."),
				 errhint("Raise min_support or min_confidence, constrain the items, or raise max_rules.")));
	if ((Size) rules->n + 1 > rules->capacity)
	{
		void	  **const columns[] = {(void **) &rules->antecedent,
		(void **) &rules->consequent, (void **) &rules->both};
		static const Size sizes[] = {sizeof(int64), sizeof(int64), sizeof(int64)};

		items_grow_columns(&rules->capacity, rules->n + 1, rules->budget,
						   "the association rules", 3, columns, sizes);
	}
	rules->antecedent[rules->n] = antecedent;
	rules->consequent[rules->n] = consequent;
	rules->both[rules->n] = both;
	rules->n++;
}

/* Whether a side passes its "in" (all items listed) and "has" (one item) lists */
static bool
side_allowed(const int32 *items, int n, const bool *in, const bool *has)
{
	bool		found = (has == NULL);

	for (int i = 0; i < n; i++)
	{
		if (in != NULL && !in[items[i]])
			return false;
		if (has != NULL && has[items[i]])
			found = true;
	}
	return found;
}

/* The ranks of z (k items) selected by mask, ascending */
static int
split_items(const int32 *z, int k, uint32 mask, int32 *out)
{
	int			n = 0;

	for (int i = 0; i < k; i++)
		if (mask & ((uint32) 1 << i))
			out[n++] = z[i];
	return n;
}

/*
 * Whether A => C (A = z by mask, C the rest) is redundant: some A' => C
 * with A' a proper, non-empty subset of A has confidence >= its own.
 */
static bool
rule_is_redundant(const ItemsetTable *table, const int32 *z, int k, uint32 mask,
				  int64 count_a, int64 count_z)
{
	uint32		full = (k == 32) ? ~(uint32) 0 : (((uint32) 1 << k) - 1);
	uint32		cmask = full & ~mask;
	int32		buf[ITEMSETS_MAX_LEN];

	for (uint32 sub = (mask - 1) & mask; sub != 0; sub = (sub - 1) & mask)
	{
		int			n;
		int64		a2,
					z2;

		n = split_items(z, k, sub, buf);
		a2 = itemset_table_find(table, buf, n);
		n = split_items(z, k, sub | cmask, buf);
		z2 = itemset_table_find(table, buf, n);
		if (a2 < 0 || z2 < 0)
			elog(ERROR, "a subset of a frequent itemset is missing");
		/* count(z2) / count(a2) >= count_z / count_a, exactly */
		if ((int128) table->count[z2] * count_a >= (int128) count_z * table->count[a2])
			return true;
	}
	return false;
}

/*
 * rules_generate: every rule of the result's itemsets that the options
 * keep.
 */
RuleSet *
rules_generate(const MiningResult *result, const RuleOptions *options,
			   MemoryBudget *budget)
{
	ItemsetTable *table = result->table;
	RuleSet    *rules = palloc0(sizeof(RuleSet));
	int64		n = result->input->nbaskets;
	int32		a[ITEMSETS_MAX_LEN];
	int32		c[ITEMSETS_MAX_LEN];
	uint64		steps = 0;

	rules->budget = budget;
	itemset_table_index(table);
	for (int64 z = 0; z < table->n; z++)
	{
		const int32 *items = itemset_items(table, z);
		int			k = table->size[z];
		uint32		full;

		if (k < 2)
			continue;
		full = (k == 32) ? ~(uint32) 0 : (((uint32) 1 << k) - 1);
		for (uint32 mask = 1; mask < full; mask++)
		{
			int			na,
						nc;
			int64		ia,
						ic;
			double		m[RULE_NMEASURES];
			bool		keep = true;

			if ((++steps & 4095) == 0)
				CHECK_FOR_INTERRUPTS();
			na = split_items(items, k, mask, a);
			nc = split_items(items, k, full & ~mask, c);
			if (na > options->max_antecedent || nc > options->max_consequent)
				continue;
			if (!side_allowed(a, na, options->antecedent_in, options->antecedent_has) ||
				!side_allowed(c, nc, options->consequent_in, options->consequent_has))
				continue;
			ia = itemset_table_find(table, a, na);
			ic = itemset_table_find(table, c, nc);
			if (ia < 0 || ic < 0)
				elog(ERROR, "a subset of a frequent itemset is missing");
			rule_measures(n, table->count[ia], table->count[ic], table->count[z], m);
			if (m[MEASURE_CONFIDENCE] < options->min_confidence)
				continue;
			for (int j = 0; j < RULE_NMEASURES && keep; j++)
				keep = m[j] >= options->min_threshold[j];
			if (!keep)
				continue;
			if (options->prune_redundant && na > 1 &&
				rule_is_redundant(table, items, k, mask, table->count[ia], table->count[z]))
				continue;
			rule_set_add(rules, ia, ic, z, options->max_rules);
		}
	}
	return rules;
}

/* ---- profile.association_rules ---- */

typedef struct RuleSortContext
{
	const MiningResult *result;
	const RuleSet *rules;
	const double *confidence;
	const double *lift;
	int32	   *valued;			/* itemsets' ranks in value order */
} RuleSortContext;

/* confidence, lift and count descending, then the sides in value order */
static int
compare_rules(const void *pa, const void *pb, void *arg)
{
	RuleSortContext *cxt = (RuleSortContext *) arg;
	const ItemsetTable *table = cxt->result->table;
	int64		x = *(const int64 *) pa;
	int64		y = *(const int64 *) pb;
	int64		ax = cxt->rules->antecedent[x],
				ay = cxt->rules->antecedent[y];
	int64		cx = cxt->rules->consequent[x],
				cy = cxt->rules->consequent[y];
	int			r;

	if (cxt->confidence[x] != cxt->confidence[y])
		return cxt->confidence[x] > cxt->confidence[y] ? -1 : 1;
	if (cxt->lift[x] != cxt->lift[y])
		return cxt->lift[x] > cxt->lift[y] ? -1 : 1;
	if (table->count[cxt->rules->both[x]] != table->count[cxt->rules->both[y]])
		return table->count[cxt->rules->both[x]] > table->count[cxt->rules->both[y]] ? -1 : 1;
	r = itemsets_compare_values(cxt->result, cxt->valued + table->start[ax], table->size[ax],
								cxt->valued + table->start[ay], table->size[ay]);
	if (r != 0)
		return r;
	return itemsets_compare_values(cxt->result, cxt->valued + table->start[cx], table->size[cx],
								   cxt->valued + table->start[cy], table->size[cy]);
}

/*
 * rules_output_order: the rules' indexes in output order (README: by
 * confidence, lift and count descending, then antecedent and consequent).
 */
int64 *
rules_output_order(const MiningResult *result, const RuleSet *rules,
				   MemoryBudget *budget)
{
	const ItemsetTable *table = result->table;
	int64	   *order;
	double	   *confidence;
	double	   *lift;
	RuleSortContext cxt;

	budget_reserve_array(budget, (Size) rules->n + 1, sizeof(int64) + 2 * sizeof(double),
						 "the rule order");
	order = palloc_extended(((Size) rules->n + 1) * sizeof(int64), MCXT_ALLOC_HUGE);
	confidence = palloc_extended(((Size) rules->n + 1) * sizeof(double), MCXT_ALLOC_HUGE);
	lift = palloc_extended(((Size) rules->n + 1) * sizeof(double), MCXT_ALLOC_HUGE);
	for (int64 i = 0; i < rules->n; i++)
	{
		order[i] = i;
		confidence[i] = rule_measure(result->input->nbaskets, table->count[rules->antecedent[i]],
									 table->count[rules->consequent[i]],
									 table->count[rules->both[i]], MEASURE_CONFIDENCE);
		lift[i] = rule_measure(result->input->nbaskets, table->count[rules->antecedent[i]],
							   table->count[rules->consequent[i]],
							   table->count[rules->both[i]], MEASURE_LIFT);
	}
	budget_reserve_array(budget, table->items_used + 1, sizeof(int32), "the rule order");
	cxt.valued = palloc_extended((table->items_used + 1) * sizeof(int32), MCXT_ALLOC_HUGE);
	for (int64 i = 0; i < table->n; i++)
	{
		int32	   *v = cxt.valued + table->start[i];
		const int32 *src = itemset_items(table, i);

		/* insertion sort by value order */
		for (int j = 0; j < table->size[i]; j++)
		{
			int			p = j;

			while (p > 0 && result->value_order[v[p - 1]] > result->value_order[src[j]])
			{
				v[p] = v[p - 1];
				p--;
			}
			v[p] = src[j];
		}
	}
	cxt.result = result;
	cxt.rules = rules;
	cxt.confidence = confidence;
	cxt.lift = lift;
	qsort_arg(order, rules->n, sizeof(int64), compare_rules, &cxt);
	pfree(confidence);
	pfree(lift);
	pfree(cxt.valued);
	return order;
}

/* Argument positions of association_rules, from query */
#define RULES_ARG_QUERY			0
#define RULES_ARG_MIN_SUPPORT	1
#define RULES_ARG_FIRST_RULE	2	/* min_confidence */
#define RULES_ARG_MAX_LEN		3
#define RULES_ARG_ALGORITHM		13
#define RULES_ARG_MAX_ITEMSETS	14
#define RULES_ARG_MIN_COUNT		16
#define RULES_NARGS				17

/*
 * rules_mine_from_args: check the arguments of association_rules (or of
 * rules_fit, whose arguments start one later), mine the itemsets, and
 * generate the rules.
 */
MiningResult *
rules_mine_from_args(FunctionCallInfo fcinfo, int base, const char *caller,
					 RuleSet **rules_out, MemoryBudget *budget)
{
	static const char *const names[RULES_NARGS] = {
		"query", "min_support", "min_confidence", "max_len", "min_lift", NULL,
		NULL, NULL, NULL, NULL, NULL, NULL, "prune_redundant", "algorithm",
		"max_itemsets", "max_rules", "min_count"
	};
	MiningResult *result;
	RuleOptions options;

	for (int i = 0; i < RULES_NARGS; i++)
		if (names[i] != NULL)
			check_arg_not_null(fcinfo, base + i, names[i]);
	rule_arguments_check(fcinfo, base + RULES_ARG_FIRST_RULE);

	progress_begin(caller);
	result = itemsets_mine(caller, text_to_cstring(PG_GETARG_TEXT_PP(base + RULES_ARG_QUERY)),
						   PG_GETARG_FLOAT8(base + RULES_ARG_MIN_SUPPORT),
						   PG_GETARG_INT64(base + RULES_ARG_MIN_COUNT),
						   PG_GETARG_INT32(base + RULES_ARG_MAX_LEN),
						   text_to_cstring(PG_GETARG_TEXT_PP(base + RULES_ARG_ALGORITHM)),
						   PG_GETARG_INT64(base + RULES_ARG_MAX_ITEMSETS), budget);
	rule_options_from_args(&options, fcinfo, base + RULES_ARG_FIRST_RULE, result, budget);
	progress_phase("generating rules", NULL, 0);
	*rules_out = rules_generate(result, &options, budget);
	progress_end();
	return result;
}

PG_FUNCTION_INFO_V1(profile_association_rules);

/*
 * profile.association_rules(query, min_support, min_confidence, max_len,
 * min_lift, thresholds, antecedent_in, antecedent_has, consequent_in,
 * consequent_has, max_antecedent, max_consequent, prune_redundant,
 * algorithm, max_itemsets, max_rules, min_count)
 */
Datum
profile_association_rules(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	MemoryBudget budget;
	MiningResult *result;
	RuleSet    *rules;
	int64	   *order;
	const ItemsetTable *table;

	budget_init(&budget, "association rule mining");
	result = rules_mine_from_args(fcinfo, 0, "profile.association_rules", &rules, &budget);
	table = result->table;
	order = rules_output_order(result, rules, &budget);

	InitMaterializedSRF(fcinfo, 0);
	for (int64 o = 0; o < rules->n; o++)
	{
		int64		r = order[o];
		int64		ia = rules->antecedent[r];
		int64		ic = rules->consequent[r];
		int64		iz = rules->both[r];
		double		m[RULE_NMEASURES];
		Datum		values[16];
		bool		nulls[16] = {0};

		if ((o & 1023) == 0)
			CHECK_FOR_INTERRUPTS();
		rule_measures(result->input->nbaskets, table->count[ia], table->count[ic],
					  table->count[iz], m);
		values[0] = itemsets_ranks_array(result, itemset_items(table, ia), table->size[ia]);
		values[1] = itemsets_ranks_array(result, itemset_items(table, ic), table->size[ic]);
		values[2] = Float8GetDatum(m[MEASURE_ANTECEDENT_SUPPORT]);
		values[3] = Float8GetDatum(m[MEASURE_CONSEQUENT_SUPPORT]);
		values[4] = Float8GetDatum(m[MEASURE_SUPPORT]);
		values[5] = Float8GetDatum(m[MEASURE_CONFIDENCE]);
		values[6] = Float8GetDatum(m[MEASURE_LIFT]);
		values[7] = Float8GetDatum(m[MEASURE_LEVERAGE]);
		values[8] = Float8GetDatum(m[MEASURE_CONVICTION]);
		values[9] = Float8GetDatum(m[MEASURE_ZHANG]);
		values[10] = Float8GetDatum(m[MEASURE_JACCARD]);
		values[11] = Float8GetDatum(m[MEASURE_CERTAINTY]);
		values[12] = Float8GetDatum(m[MEASURE_KULCZYNSKI]);
		values[13] = Int64GetDatum(table->count[ia]);
		values[14] = Int64GetDatum(table->count[ic]);
		values[15] = Int64GetDatum(table->count[iz]);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
		pfree(DatumGetPointer(values[0]));
		pfree(DatumGetPointer(values[1]));
	}
	PG_RETURN_NULL();
}
