/*-------------------------------------------------------------------------
 *
 * rules_model.c
 *	  Stored rule models and cross-sell recommendations.
 *
 *	- profile.rules_fit(name, query, ...): mines rules as association_rules
 *	  does and stores them under a name (kind 'rules');
 *	- profile.rules_model_rules(body): a model's rules as rows, behind the
 *	  view profile.rules;
 *	- profile.recommend(model, basket, n, by): the n best items not in the
 *	  basket, each with the rule that recommends it;
 *	- profile.recommend_customers(model, query, n, by): the same for every
 *	  customer of a (customer_id, item) query, in one call.
 *
 * Rules with one item on the right recommend: A => {x} fires when all of
 * A is in the basket and x is not.  (A rule A => {x, y} says how often x
 * and y come together; its lift is not x's, so it is stored and shown, not
 * used to recommend.)  An item's score is the best
 * value of the chosen measure among the rules recommending it (ties: the
 * higher confidence, then the higher support, then the earlier rule);
 * items are returned by score, then in value order.
 *
 * Body (format 1, network byte order): int8 item kind, int64 baskets,
 * int32 items, then per item an int64 (integer items) or an int32 length
 * and the bytes, and the int64 count of baskets holding it; int32 rules, then per rule int8 antecedent size, int8
 * consequent size, int64 counts of antecedent, consequent and both, and
 * the item numbers of each side, ascending.  Items are numbered in value
 * order.  A body is untrusted when read: everything is checked (XX001).
 *
 * The decoded model (cached per backend by model.c) indexes rules by the
 * antecedent item of least support, so a basket visits only rules whose
 * rarest antecedent item it holds; per-call state lives in scratch arrays of the model
 * stamped with a call number, so a call allocates nothing per rule.
 *
 * The privacy floor (profile.min_group_size, privacy.c): recommendations
 * and the rows of rules_model_rules leave out the stored rules held by
 * fewer baskets than the floor of the session that reads them, so a model
 * fitted under a lower floor shows no more than one fitted under it.
 *
 * IDENTIFICATION
 *	  src/rules_model.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "funcapi.h"
#include "libpq/pqformat.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/float.h"
#include "utils/json.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/uuid.h"

#include "itemsets.h"

#define RULES_MODEL_KIND	"rules"
#define RULES_MODEL_FORMAT	1
#define RECOMMEND_MAX_N		10000

typedef struct RuleModel
{
	ItemDict   *dict;			/* item numbers = ids, in value order */
	int64		nbaskets;
	int32		nrules;
	int32	   *start;			/* nrules + 1: each rule's items */
	int32	   *items;			/* antecedent, then consequent */
	uint8	   *na;
	uint8	   *nc;
	int64	   *count_a;
	int64	   *count_c;
	int64	   *count_ac;
	int64	   *support;		/* baskets holding each item */
	int32	   *by_key_start;	/* items + 1: rules by their key item */
	int32	   *by_key;			/* (an antecedent item of least support) */
	/* per-call scratch, valid where stamped with the current call */
	uint32		call;
	uint32	   *in_basket;
	uint32	   *seen;
	double	   *best;
	int32	   *best_rule;
	int32	   *touched;
} RuleModel;

/* ---- body ---- */

static void corrupt_rules(const char *name, const char *why) pg_attribute_noreturn();

static void
corrupt_rules(const char *name, const char *why)
{
	ereport(ERROR,
			(errcode(ERRCODE_DATA_CORRUPTED),
			 errmsg("rule model \"%s\" is corrupted: %s", name, why),
			 errhint("Mine it again with profile.rules_fit.")));
}

/*
 * Encode the rules of a mining result, in output order.  Items are those
 * the rules use, numbered in value order.
 */
static bytea *
rules_model_encode(const MiningResult *result, const RuleSet *rules,
				   const int64 *order, MemoryBudget *budget)
{
	const ItemsetTable *table = result->table;
	int32		nranks = result->input->nitems;
	int32	   *number;			/* per rank: model item number, or -1 */
	int32	   *by_value;		/* value order position -> rank */
	int32		nused = 0;
	StringInfoData buf;
	const ItemDict *dict = result->baskets->items;

	budget_reserve_array(budget, (Size) nranks + 1, 2 * sizeof(int32), "the rule model");
	number = palloc_extended(((Size) nranks + 1) * sizeof(int32), MCXT_ALLOC_HUGE);
	by_value = palloc_extended(((Size) nranks + 1) * sizeof(int32), MCXT_ALLOC_HUGE);
	for (int32 r = 0; r < nranks; r++)
	{
		number[r] = -1;
		by_value[result->value_order[r]] = r;
	}
	for (int64 i = 0; i < rules->n; i++)
	{
		const int64 sides[2] = {rules->antecedent[i], rules->consequent[i]};

		for (int s = 0; s < 2; s++)
			for (int j = 0; j < table->size[sides[s]]; j++)
				number[itemset_items(table, sides[s])[j]] = 0;
	}
	for (int32 v = 0; v < nranks; v++)
		if (number[by_value[v]] == 0)
			number[by_value[v]] = ++nused;	/* 1-based for now */

	pq_begintypsend(&buf);
	pq_sendbyte(&buf, (uint8) dict->kind);
	pq_sendint64(&buf, result->input->nbaskets);
	pq_sendint32(&buf, nused);
	for (int32 v = 0; v < nranks; v++)
	{
		int32		r = by_value[v];
		int32		id;

		if (number[r] <= 0)
			continue;
		number[r]--;
		id = result->input->item_of_rank[r];
		if (dict->kind == ITEM_INTEGER)
			pq_sendint64(&buf, dict->ints[id]);
		else
		{
			pq_sendint32(&buf, dict->lengths[id]);
			pq_sendbytes(&buf, dict->bytes + dict->offsets[id], dict->lengths[id]);
		}
		pq_sendint64(&buf, result->input->rank_count[r]);
	}
	pq_sendint32(&buf, (int32) rules->n);
	for (int64 o = 0; o < rules->n; o++)
	{
		int64		i = order[o];
		const int64 sides[2] = {rules->antecedent[i], rules->consequent[i]};

		pq_sendbyte(&buf, (uint8) table->size[sides[0]]);
		pq_sendbyte(&buf, (uint8) table->size[sides[1]]);
		pq_sendint64(&buf, table->count[sides[0]]);
		pq_sendint64(&buf, table->count[sides[1]]);
		pq_sendint64(&buf, table->count[rules->both[i]]);
		for (int s = 0; s < 2; s++)
		{
			int32		nums[ITEMSETS_MAX_LEN];
			int			k = table->size[sides[s]];

			/* ascending item numbers: insertion sort */
			for (int j = 0; j < k; j++)
			{
				int32		v = number[itemset_items(table, sides[s])[j]];
				int			p = j;

				while (p > 0 && nums[p - 1] > v)
				{
					nums[p] = nums[p - 1];
					p--;
				}
				nums[p] = v;
			}
			for (int j = 0; j < k; j++)
				pq_sendint32(&buf, nums[j]);
		}
	}
	pfree(number);
	pfree(by_value);
	return pq_endtypsend(&buf);
}

/* Read n bytes, or fail: the body is too short */
static void
body_need(const char *name, StringInfo buf, Size n)
{
	if ((Size) (buf->len - buf->cursor) < n)
		corrupt_rules(name, "body too short");
}

/* Decode and check a body; the result is allocated in the current context */
static RuleModel *
rules_model_decode(const char *name, const bytea *body)
{
	RuleModel  *model = palloc0(sizeof(RuleModel));
	StringInfoData buf;
	MemoryBudget *budget = palloc(sizeof(MemoryBudget));
	int			kind;
	int32		nitems;

	budget_init(budget, "a rule model");
	buf.data = (char *) VARDATA_ANY(body);
	buf.len = (int) VARSIZE_ANY_EXHDR(body);
	buf.maxlen = buf.len;
	buf.cursor = 0;

	body_need(name, &buf, 1 + 8 + 4);
	kind = pq_getmsgbyte(&buf);
	if (kind != ITEM_INTEGER && kind != ITEM_TEXT && kind != ITEM_UUID)
		corrupt_rules(name, "unknown item kind");
	model->nbaskets = pq_getmsgint64(&buf);
	nitems = pq_getmsgint(&buf, 4);
	if (model->nbaskets < 0 || nitems < 0 || nitems > buf.len)
		corrupt_rules(name, "bad sizes");
	model->dict = itemdict_create((ItemKind) kind, budget);
	for (int32 i = 0; i < nitems; i++)
	{
		ItemKey		key;

		if (kind == ITEM_INTEGER)
		{
			body_need(name, &buf, 8);
			key.ival = pq_getmsgint64(&buf);
		}
		else
		{
			body_need(name, &buf, 4);
			key.len = pq_getmsgint(&buf, 4);
			if (key.len < 0 || (kind == ITEM_UUID && key.len != UUID_LEN))
				corrupt_rules(name, "bad item length");
			body_need(name, &buf, key.len);
			key.bytes = pq_getmsgbytes(&buf, key.len);
		}
		if (itemdict_intern(model->dict, &key) != i)
			corrupt_rules(name, "an item is listed twice");
		body_need(name, &buf, 8);
		model->support = i == 0 ? palloc(sizeof(int64) * ((Size) nitems + 1)) : model->support;
		model->support[i] = pq_getmsgint64(&buf);
		if (model->support[i] < 1 || model->support[i] > model->nbaskets)
			corrupt_rules(name, "bad item support");
		if (i > 0 && itemdict_compare(model->dict, i - 1, i) >= 0)
			corrupt_rules(name, "items out of order");
	}

	body_need(name, &buf, 4);
	model->nrules = pq_getmsgint(&buf, 4);
	if (model->nrules < 0 || model->nrules > (buf.len - buf.cursor) / 34 ||
		(model->nrules > 0 && model->nbaskets == 0))
		corrupt_rules(name, "bad rule count");
	model->start = palloc(sizeof(int32) * ((Size) model->nrules + 1));
	model->na = palloc(Max(model->nrules, 1));
	model->nc = palloc(Max(model->nrules, 1));
	model->count_a = palloc(sizeof(int64) * Max(model->nrules, 1));
	model->count_c = palloc(sizeof(int64) * Max(model->nrules, 1));
	model->count_ac = palloc(sizeof(int64) * Max(model->nrules, 1));
	model->items = palloc(sizeof(int32) * ((Size) (buf.len - buf.cursor) / 4 + 1));
	model->start[0] = 0;
	for (int32 r = 0; r < model->nrules; r++)
	{
		int			na,
					nc;
		int32	   *items = model->items + model->start[r];

		body_need(name, &buf, 2 + 3 * 8);
		na = pq_getmsgbyte(&buf);
		nc = pq_getmsgbyte(&buf);
		if (na < 1 || nc < 1 || na + nc > ITEMSETS_MAX_LEN)
			corrupt_rules(name, "bad rule size");
		model->na[r] = (uint8) na;
		model->nc[r] = (uint8) nc;
		model->count_a[r] = pq_getmsgint64(&buf);
		model->count_c[r] = pq_getmsgint64(&buf);
		model->count_ac[r] = pq_getmsgint64(&buf);
		if (model->count_ac[r] < 1 || model->count_ac[r] > model->count_a[r] ||
			model->count_ac[r] > model->count_c[r] ||
			model->count_a[r] > model->nbaskets || model->count_c[r] > model->nbaskets)
			corrupt_rules(name, "inconsistent counts");
		body_need(name, &buf, (Size) 4 * (na + nc));
		for (int j = 0; j < na + nc; j++)
		{
			items[j] = pq_getmsgint(&buf, 4);
			if (items[j] < 0 || items[j] >= nitems)
				corrupt_rules(name, "unknown item");
			if (j != 0 && j != na && items[j] <= items[j - 1])
				corrupt_rules(name, "rule items out of order");
		}
		/* the sides are disjoint: merge the two ascending lists */
		for (int a = 0, c = na; a < na && c < na + nc;)
		{
			if (items[a] == items[c])
				corrupt_rules(name, "an item on both sides of a rule");
			if (items[a] < items[c])
				a++;
			else
				c++;
		}
		model->start[r + 1] = model->start[r] + na + nc;
	}
	if (buf.cursor != buf.len)
		corrupt_rules(name, "trailing bytes");

	/*
	 * Rules by their key: the antecedent item of least support (the one
	 * fewest baskets hold), so a basket visits few rules that cannot fire.
	 * A counting sort.
	 */
	{
		int32	   *key = palloc(sizeof(int32) * Max(model->nrules, 1));

		model->by_key_start = palloc0(sizeof(int32) * ((Size) nitems + 2));
		model->by_key = palloc(sizeof(int32) * Max(model->nrules, 1));
		for (int32 r = 0; r < model->nrules; r++)
		{
			const int32 *items = model->items + model->start[r];

			key[r] = -1;
			if (model->nc[r] != 1)
				continue;		/* does not recommend */
			key[r] = items[0];
			for (int j = 1; j < model->na[r]; j++)
				if (model->support[items[j]] < model->support[key[r]])
					key[r] = items[j];
			model->by_key_start[key[r] + 2]++;
		}
		for (int32 i = 0; i < nitems; i++)
			model->by_key_start[i + 2] += model->by_key_start[i + 1];
		for (int32 r = 0; r < model->nrules; r++)
			if (key[r] >= 0)
				model->by_key[model->by_key_start[key[r] + 1]++] = r;
		pfree(key);
	}

	model->in_basket = palloc0(sizeof(uint32) * ((Size) nitems + 1));
	model->seen = palloc0(sizeof(uint32) * ((Size) nitems + 1));
	model->best = palloc(sizeof(double) * ((Size) nitems + 1));
	model->best_rule = palloc(sizeof(int32) * ((Size) nitems + 1));
	model->touched = palloc(sizeof(int32) * ((Size) nitems + 1));
	return model;
}

/* rules_model_decode as model_get() calls it */
static void *
rules_model_decode_cached(const char *name, const bytea *body)
{
	return rules_model_decode(name, body);
}

/* The side of rule r as text[] */
static Datum
rule_side_array(const RuleModel *model, int32 r, bool consequent)
{
	int			from = model->start[r] + (consequent ? model->na[r] : 0);
	int			n = consequent ? model->nc[r] : model->na[r];
	Datum		elems[ITEMSETS_MAX_LEN];

	for (int j = 0; j < n; j++)
		elems[j] = itemdict_text(model->dict, model->items[from + j]);
	return PointerGetDatum(construct_array(elems, n, TEXTOID, -1, false, TYPALIGN_INT));
}

/* ---- recommending ---- */

typedef struct Recommendation
{
	int32		item;
	int32		rule;
	double		score;
} Recommendation;

/* Whether rule a beats rule b for the same item at equal score */
static bool
rule_beats(const RuleModel *model, int32 a, int32 b)
{
	int128		ca = (int128) model->count_ac[a] * model->count_a[b];
	int128		cb = (int128) model->count_ac[b] * model->count_a[a];

	if (ca != cb)
		return ca > cb;			/* confidence */
	if (model->count_ac[a] != model->count_ac[b])
		return model->count_ac[a] > model->count_ac[b];
	return a < b;
}

static int
compare_recommendations(const void *pa, const void *pb)
{
	const Recommendation *a = pa;
	const Recommendation *b = pb;

	if (a->score != b->score)
		return a->score > b->score ? -1 : 1;
	return (a->item > b->item) - (a->item < b->item);
}

/*
 * recommend_items: the best n items for a basket of model item numbers
 * (any order, repeats allowed); returns how many were written to out
 * (room for n).
 */
static int
recommend_items(RuleModel *model, const int32 *basket, int nbasket, int n,
				RuleMeasure by, Recommendation *out)
{
	int32		ntouched = 0;
	Recommendation *all;
	int			nout;
	int64		floor = privacy_rule_floor();

	if (++model->call == 0)
	{
		/* the stamp wrapped around: clear the scratch */
		memset(model->in_basket, 0, sizeof(uint32) * (model->dict->count + 1));
		memset(model->seen, 0, sizeof(uint32) * (model->dict->count + 1));
		model->call = 1;
	}
	for (int i = 0; i < nbasket; i++)
		model->in_basket[basket[i]] = model->call;

	for (int i = 0; i < nbasket; i++)
	{
		int32		b = basket[i];

		if (i > 0 && basket[i - 1] == b)
			continue;
		for (int32 x = model->by_key_start[b]; x < model->by_key_start[b + 1]; x++)
		{
			int32		r = model->by_key[x];
			const int32 *items = model->items + model->start[r];
			bool		fires = true;
			double		score;
			int32		c;

			/* the privacy floor: a rule held by fewer baskets is not used */
			if (model->count_ac[r] < floor)
				continue;
			for (int j = 0; j < model->na[r] && fires; j++)
				fires = model->in_basket[items[j]] == model->call;
			if (!fires)
				continue;
			c = items[model->na[r]];
			if (model->in_basket[c] == model->call)
				continue;
			score = rule_measure(model->nbaskets, model->count_a[r], model->count_c[r],
								 model->count_ac[r], by);
			if (model->seen[c] != model->call)
			{
				model->seen[c] = model->call;
				model->best[c] = score;
				model->best_rule[c] = r;
				model->touched[ntouched++] = c;
			}
			else if (score > model->best[c] ||
					 (score == model->best[c] && rule_beats(model, r, model->best_rule[c])))
			{
				model->best[c] = score;
				model->best_rule[c] = r;
			}
		}
	}
	if (ntouched == 0)
		return 0;
	all = palloc(sizeof(Recommendation) * ntouched);
	for (int32 i = 0; i < ntouched; i++)
	{
		all[i].item = model->touched[i];
		all[i].rule = model->best_rule[model->touched[i]];
		all[i].score = model->best[model->touched[i]];
	}
	qsort(all, ntouched, sizeof(Recommendation), compare_recommendations);
	nout = Min(n, ntouched);
	memcpy(out, all, sizeof(Recommendation) * nout);
	pfree(all);
	return nout;
}

/* Model item number of a value of type typid, or -1 */
static int32
model_item_of_datum(const RuleModel *model, Datum value, Oid typid)
{
	ItemKey		key;
	char		uuidbuf[UUID_LEN];

	if (item_key_from_datum(model->dict->kind, value, typid, &key))
		return itemdict_find(model->dict, &key);
	else
	{
		Oid			outfn;
		bool		isvarlena;

		getTypeOutputInfo(typid, &outfn, &isvarlena);
		if (!item_key_from_text(model->dict->kind, OidOutputFunctionCall(outfn, value),
								&key, uuidbuf))
			return -1;
		return itemdict_find(model->dict, &key);
	}
}

static int
compare_int32_asc(const void *a, const void *b)
{
	int32		x = *(const int32 *) a;
	int32		y = *(const int32 *) b;

	return (x > y) - (x < y);
}

/* Put one recommendation row (rank, item, score, the rule) */
static void
put_recommendation(ReturnSetInfo *rsinfo, const RuleModel *model, Datum *prefix,
				   int nprefix, int rank, const Recommendation *rec)
{
	Datum		values[9];
	bool		nulls[9] = {0};
	double		m[RULE_NMEASURES];
	int			i = 0;

	for (; i < nprefix; i++)
		values[i] = prefix[i];
	rule_measures(model->nbaskets, model->count_a[rec->rule], model->count_c[rec->rule],
				  model->count_ac[rec->rule], m);
	values[i++] = Int32GetDatum(rank);
	values[i++] = itemdict_text(model->dict, rec->item);
	values[i++] = Float8GetDatum(rec->score);
	values[i++] = rule_side_array(model, rec->rule, false);
	values[i++] = rule_side_array(model, rec->rule, true);
	values[i++] = Float8GetDatum(m[MEASURE_SUPPORT]);
	values[i++] = Float8GetDatum(m[MEASURE_CONFIDENCE]);
	values[i++] = Float8GetDatum(m[MEASURE_LIFT]);
	tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
}

PG_FUNCTION_INFO_V1(profile_recommend);

/*
 * profile.recommend(model text, basket anyarray, n integer, by text)
 * returns table (rank, item, score, antecedent, consequent, support,
 * confidence, lift)
 */
Datum
profile_recommend(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	char	   *name = text_to_cstring(PG_GETARG_TEXT_PP(0));
	ArrayType  *basket = PG_GETARG_ARRAYTYPE_P(1);
	int32		n = PG_GETARG_INT32(2);
	RuleMeasure by = rule_measure_from_name(text_to_cstring(PG_GETARG_TEXT_PP(3)), "by");
	Oid			elemtype = ARR_ELEMTYPE(basket);
	RuleModel  *model;
	int			nelems;
	int32	   *ids;
	int			nids = 0;
	Recommendation *out;
	int			nout;
	bool		ok;
	int16		typlen;
	bool		typbyval;
	char		typalign;
	Datum	   *elems;
	bool	   *elem_nulls;

	check_int_range(n, 1, RECOMMEND_MAX_N, "n");
	item_kind_of_type(getBaseType(elemtype), &ok);
	if (!ok)
		ereport(ERROR,
				(errcode(ERRCODE_DATATYPE_MISMATCH),
				 errmsg("basket must be an array of integer, bigint, smallint, text, varchar or uuid, not %s",
						format_type_be(get_array_type(elemtype))),
				 errhint("Cast the basket, for example ARRAY[...]::bigint[].")));
	model = model_get(name, RULES_MODEL_KIND, RULES_MODEL_FORMAT, rules_model_decode_cached);

	InitMaterializedSRF(fcinfo, 0);
	get_typlenbyvalalign(elemtype, &typlen, &typbyval, &typalign);
	deconstruct_array(basket, elemtype, typlen, typbyval, typalign, &elems, &elem_nulls, &nelems);
	ids = palloc(sizeof(int32) * (nelems + 1));
	for (int i = 0; i < nelems; i++)
	{
		int32		id;

		if (elem_nulls[i])
			continue;
		id = model_item_of_datum(model, elems[i], getBaseType(elemtype));
		if (id >= 0)
			ids[nids++] = id;
	}
	qsort(ids, nids, sizeof(int32), compare_int32_asc);
	out = palloc(sizeof(Recommendation) * n);
	nout = recommend_items(model, ids, nids, n, by, out);
	for (int i = 0; i < nout; i++)
		put_recommendation(rsinfo, model, NULL, 0, i + 1, &out[i]);
	PG_RETURN_NULL();
}

PG_FUNCTION_INFO_V1(profile_recommend_customers);

/*
 * profile.recommend_customers(model text, query text, n integer, by text)
 * returns table (customer_id text, rank, item, score, antecedent,
 * consequent, support, confidence, lift): recommendations for every
 * customer of a (customer_id, item) or (customer_id, items[]) query.
 */
Datum
profile_recommend_customers(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	char	   *name = text_to_cstring(PG_GETARG_TEXT_PP(0));
	char	   *sql = text_to_cstring(PG_GETARG_TEXT_PP(1));
	int32		n = PG_GETARG_INT32(2);
	RuleMeasure by = rule_measure_from_name(text_to_cstring(PG_GETARG_TEXT_PP(3)), "by");
	RuleModel  *model;
	MemoryBudget budget;
	Baskets    *customers;
	int32	   *map;			/* customer items' dictionary id -> model number */
	int32	   *ids;
	Recommendation *out;
	MemoryContext loopcxt;

	check_int_range(n, 1, RECOMMEND_MAX_N, "n");
	model = model_get(name, RULES_MODEL_KIND, RULES_MODEL_FORMAT, rules_model_decode_cached);
	budget_init(&budget, "recommending");
	InitMaterializedSRF(fcinfo, 0);
	customers = baskets_load("profile.recommend_customers", sql, &budget);

	/* the model may have been dropped from the cache by the query: again */
	model = model_get(name, RULES_MODEL_KIND, RULES_MODEL_FORMAT, rules_model_decode_cached);

	budget_reserve_array(&budget, (Size) customers->items->count + 1, sizeof(int32), "the item map");
	map = palloc_extended(((Size) customers->items->count + 1) * sizeof(int32), MCXT_ALLOC_HUGE);
	for (int32 id = 0; id < customers->items->count; id++)
	{
		ItemKey		key;
		char		uuidbuf[UUID_LEN];

		if (customers->items->kind == model->dict->kind)
		{
			key.ival = customers->items->kind == ITEM_INTEGER ? customers->items->ints[id] : 0;
			if (customers->items->kind != ITEM_INTEGER)
			{
				key.bytes = customers->items->bytes + customers->items->offsets[id];
				key.len = customers->items->lengths[id];
			}
			map[id] = itemdict_find(model->dict, &key);
		}
		else if (item_key_from_text(model->dict->kind,
									TextDatumGetCString(itemdict_text(customers->items, id)),
									&key, uuidbuf))
			map[id] = itemdict_find(model->dict, &key);
		else
			map[id] = -1;
	}

	ids = palloc(sizeof(int32) * (customers->start[customers->nbaskets] + 1));
	out = palloc(sizeof(Recommendation) * n);
	loopcxt = AllocSetContextCreate(CurrentMemoryContext, "recommend_customers",
									ALLOCSET_DEFAULT_SIZES);
	for (int32 c = 0; c < customers->nbaskets; c++)
	{
		int			nids = 0;
		int			nout;
		MemoryContext oldcxt;
		Datum		customer;

		CHECK_FOR_INTERRUPTS();
		for (int32 i = customers->start[c]; i < customers->start[c + 1]; i++)
			if (map[customers->members[i]] >= 0)
				ids[nids++] = map[customers->members[i]];
		if (nids == 0)
			continue;
		oldcxt = MemoryContextSwitchTo(loopcxt);
		qsort(ids, nids, sizeof(int32), compare_int32_asc);
		nout = recommend_items(model, ids, nids, n, by, out);
		customer = itemdict_text(customers->ids, c);
		for (int i = 0; i < nout; i++)
			put_recommendation(rsinfo, model, &customer, 1, i + 1, &out[i]);
		MemoryContextSwitchTo(oldcxt);
		MemoryContextReset(loopcxt);
	}
	PG_RETURN_NULL();
}

/* ---- the stored rules as rows ---- */

PG_FUNCTION_INFO_V1(profile_rules_model_rules);

/*
 * profile.rules_model_rules(body bytea): a rule model's rules with their
 * measures, behind the view profile.rules.
 */
Datum
profile_rules_model_rules(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	RuleModel  *model = rules_model_decode("(value)", PG_GETARG_BYTEA_PP(0));
	int32		hidden = 0;
	int64		floor = privacy_rule_floor();

	InitMaterializedSRF(fcinfo, 0);
	for (int32 r = 0; r < model->nrules; r++)
	{
		Datum		values[17];
		bool		nulls[17] = {0};
		double		m[RULE_NMEASURES];

		if ((r & 1023) == 0)
			CHECK_FOR_INTERRUPTS();
		/* the privacy floor: a rule held by fewer baskets is not shown */
		if (model->count_ac[r] < floor)
		{
			hidden++;
			continue;
		}
		rule_measures(model->nbaskets, model->count_a[r], model->count_c[r],
					  model->count_ac[r], m);
		values[0] = Int32GetDatum(r + 1);
		values[1] = rule_side_array(model, r, false);
		values[2] = rule_side_array(model, r, true);
		values[3] = Float8GetDatum(m[MEASURE_ANTECEDENT_SUPPORT]);
		values[4] = Float8GetDatum(m[MEASURE_CONSEQUENT_SUPPORT]);
		values[5] = Float8GetDatum(m[MEASURE_SUPPORT]);
		values[6] = Float8GetDatum(m[MEASURE_CONFIDENCE]);
		values[7] = Float8GetDatum(m[MEASURE_LIFT]);
		values[8] = Float8GetDatum(m[MEASURE_LEVERAGE]);
		values[9] = Float8GetDatum(m[MEASURE_CONVICTION]);
		values[10] = Float8GetDatum(m[MEASURE_ZHANG]);
		values[11] = Float8GetDatum(m[MEASURE_JACCARD]);
		values[12] = Float8GetDatum(m[MEASURE_CERTAINTY]);
		values[13] = Float8GetDatum(m[MEASURE_KULCZYNSKI]);
		values[14] = Int64GetDatum(model->count_a[r]);
		values[15] = Int64GetDatum(model->count_c[r]);
		values[16] = Int64GetDatum(model->count_ac[r]);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	if (hidden > 0)
		ereport(NOTICE,
				(errmsg("%d of %d rules are held by fewer than " INT64_FORMAT " baskets and not shown (profile.min_group_size)",
						hidden, model->nrules, floor)));
	PG_RETURN_NULL();
}

/* ---- training ---- */

PG_FUNCTION_INFO_V1(profile_rules_fit);

/*
 * profile.rules_fit(name, query, min_support, ... as association_rules)
 * returns (model, baskets, items, itemsets, rules)
 */
Datum
profile_rules_fit(PG_FUNCTION_ARGS)
{
	TupleDesc	tupdesc;
	char	   *name;
	MemoryBudget budget;
	MiningResult *result;
	RuleSet    *rules;
	int64	   *order;
	StringInfoData params;
	StringInfoData summary;
	Datum		values[5];
	bool		nulls[5] = {0};
	MemoryContext workcxt;
	MemoryContext oldcxt;

	check_arg_not_null(fcinfo, 0, "name");
	name = text_to_cstring(PG_GETARG_TEXT_PP(0));
	model_check_name(name);
	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");

	workcxt = AllocSetContextCreate(CurrentMemoryContext, "profile.rules_fit",
									ALLOCSET_DEFAULT_SIZES);
	oldcxt = MemoryContextSwitchTo(workcxt);
	budget_init(&budget, "association rule mining");
	result = rules_mine_from_args(fcinfo, 1, "profile.rules_fit", &rules, &budget);
	order = rules_output_order(result, rules, &budget);

	model_json_begin(&params);
	model_json_key(&params, "min_support");
	appendStringInfoString(&params, float8out_internal(PG_GETARG_FLOAT8(2)));
	model_json_key(&params, "min_count");
	appendStringInfo(&params, INT64_FORMAT, result->input->min_count);
	model_json_key(&params, "min_confidence");
	appendStringInfoString(&params, float8out_internal(PG_GETARG_FLOAT8(3)));
	model_json_key(&params, "max_len");
	appendStringInfo(&params, "%d", PG_GETARG_INT32(4));
	model_json_key(&params, "min_lift");
	appendStringInfoString(&params, float8out_internal(PG_GETARG_FLOAT8(5)));
	model_json_key(&params, "prune_redundant");
	appendStringInfoString(&params, PG_GETARG_BOOL(13) ? "true" : "false");
	model_json_key(&params, "algorithm");
	escape_json(&params, text_to_cstring(PG_GETARG_TEXT_PP(14)));
	model_json_key(&params, "thresholds");
	appendStringInfoString(&params, PG_ARGISNULL(6) ? "null" :
						   JsonbToCString(NULL, &PG_GETARG_JSONB_P(6)->root, 0));
	model_json_key(&params, "item_constraints");
	appendStringInfoString(&params,
						   (PG_ARGISNULL(7) && PG_ARGISNULL(8) && PG_ARGISNULL(9) &&
							PG_ARGISNULL(10)) ? "false" : "true");

	model_json_begin(&summary);
	model_json_key(&summary, "baskets");
	appendStringInfo(&summary, INT64_FORMAT, result->input->nbaskets);
	model_json_key(&summary, "items");
	appendStringInfo(&summary, "%d", result->input->nitems);
	model_json_key(&summary, "itemsets");
	appendStringInfo(&summary, INT64_FORMAT, result->table->n);
	model_json_key(&summary, "rules");
	appendStringInfo(&summary, INT64_FORMAT, rules->n);
	model_json_key(&summary, "rows_skipped");
	appendStringInfo(&summary, INT64_FORMAT, result->baskets->skipped_nulls);

	model_store(name, RULES_MODEL_KIND, RULES_MODEL_FORMAT,
				model_json_finish(&params), model_json_finish(&summary),
				rules_model_encode(result, rules, order, &budget));

	MemoryContextSwitchTo(oldcxt);
	values[0] = CStringGetTextDatum(name);
	values[1] = Int64GetDatum(result->input->nbaskets);
	values[2] = Int32GetDatum(result->input->nitems);
	values[3] = Int64GetDatum(result->table->n);
	values[4] = Int64GetDatum(rules->n);
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(tupdesc, values, nulls)));
}
