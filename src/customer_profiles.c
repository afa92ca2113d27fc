/*-------------------------------------------------------------------------
 *
 * customer_profiles.c
 *	  profile.customer_profiles(query, ...): one typed row per customer
 *	  with behavioural features, the population-relative ones (discount
 *	  lift, category affinity, price percentile), the scores of the stored
 *	  models named (RFM, k-means, CLV), the purchase cycle and the tags of
 *	  profile.tag_rules.
 *
 * The rows of the inner query (customer_id, ordered_at, amount, category
 * [, list_amount [, channel [, order_id [, quantity]]]]) are folded into
 * one profile.behaviour state per customer (behaviour.c), so the one-call
 * function and the aggregate compute the same features.  Then, over all
 * customers: population shares, per-category price ranks, model scores,
 * tag thresholds relative to the population, and the tags.
 *
 * IDENTIFICATION
 *	  src/customer_profiles.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "nodes/value.h"
#include "parser/parse_func.h"
#include "utils/array.h"
#include "lib/stringinfo.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/timestamp.h"

#include "behaviour.h"
#include "clv.h"
#include "itemsets.h"
#include "profile.h"
#include "tags.h"
#include "customer_profiles.h"

static const InnerColumn profile_columns[PROFILE_QUERY_COLUMNS] = {
	{"customer_id", INNER_KEY, false},
	{"ordered_at", INNER_TIME, false},
	{"amount", INNER_NUMBER, false},
	{"category", INNER_KEY, false},
	{"list_amount", INNER_NUMBER, true},
	{"channel", INNER_KEY, true},
	{"order_id", INNER_KEY, true},
	{"quantity", INNER_NUMBER, true},	/* 1.1 */
};

/* Everything computed for one customer */
typedef struct Profile
{
	BehaviourFeatures f;
	double		values[TAG_NNUMERIC];	/* numeric features, NaN: NULL */
	const char *texts[TAG_NTEXT];	/* text features by id - TAG_NNUMERIC */
	DateADT		next_purchase;
	bool		has_next_purchase;
} Profile;

#define PROFILE_TEXT(p, id)	((p)->texts[(id) - TAG_NNUMERIC])

/* The models a run scores with */
typedef struct Models
{
	bool		has[TAG_NMODELS];
	RfmScorer	rfm;
	KmeansModel *kmeans;
	char	  **labels;
	int		   *kmeans_features;	/* feature ids, kmeans->d of them */
	ClvTimeUnit unit;
	ClvBgnbd	bg;
	ClvPredictor *predictor;	/* the BG/NBD model's cached predictions */
	bool		has_spend;
	ClvGammaGamma gg;
	int			months;
	double		discount_rate;
} Models;

/* The run: customers, their states, and the population */
struct ProfileRun
{
	MemoryBudget budget;
	ItemDict   *customers;
	BehaviourState **states;
	int32		nstates;
	Size		states_capacity;
	uint8		columns;
	int64		skipped_no_customer;
	int64		skipped_null;
	uint64		rows_read;
	TimestampTz latest;
	/* population */
	ItemDict   *categories;		/* all categories, by name */
	double	   *category_spend; /* per category */
	double		spend;
	double		list_spend;
	double		discount_spend;
	int64		list_below_paid;
	/* the options and what is computed */
	const char *caller;
	char	   *query_columns;	/* the types of the query's columns, for a shape check */
	Models		models;
	TagSet	   *tags;
	int			period_days;
	TimestampTz as_of;
	Profile    *profiles;
	int32	   *sorted;			/* customers in id order */
	int32	   *order;			/* scratch: a state's groups */
	int32	   *days;			/* scratch: a state's purchase days */
	double	   *amounts;
};

/*
 * Add a customer's state under an id key; the id must be new.  The state
 * is copied, or with owned taken as it is (its memory already reserved).
 * Returns false for a key already there.
 */
static bool
add_state(ProfileRun *run, const ItemKey *key, BehaviourState *s, bool owned)
{
	int32		id;

	/*
	 * One query gives states of one kind; stored states of both kinds in
	 * one profile can only come from an edited profile.profile_states.
	 * Unit prices and mean line amounts cannot be ranked together.
	 */
	if (run->nstates > 0 &&
		((run->columns ^ s->columns) & BEHAVIOUR_HAS_QUANTITY) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("cannot profile behaviour states with and without quantities together"),
				 errhint("Rebuild the stored profile: profile.profiles_refresh(name, rebuild => true).")));
	id = itemdict_intern(run->customers, key);
	if (id != run->nstates)
		return false;
	run->states = items_grow(run->states, &run->states_capacity, (Size) id + 1,
							 sizeof(BehaviourState *), &run->budget, "customer states");
	if (owned)
		run->states[id] = s;
	else
	{
		budget_reserve(&run->budget, VARSIZE(s), "customer states");
		run->states[id] = palloc(VARSIZE(s));
		memcpy(run->states[id], s, VARSIZE(s));
	}
	run->nstates++;
	run->columns = s->columns;
	for (uint32 i = 0; i < s->order_capacity; i++)
	{
		const BehaviourOrder *o = &behaviour_orders(s)[i];

		if (o->lines + o->returns > 0 && o->at > run->latest)
			run->latest = o->at;
	}
	return true;
}

/*
 * The type names of a profile query's columns ("bigint, timestamp with
 * time zone, ..."), which a stored profile keeps to notice a change of
 * shape; types[] (the declared types of ncols columns) become base types.
 */
static char *
shape_text(Oid *types, int ncols)
{
	StringInfoData buf;

	initStringInfo(&buf);
	for (int c = 0; c < ncols; c++)
	{
		appendStringInfo(&buf, "%s%s", c > 0 ? ", " : "", format_type_be(types[c]));
		types[c] = getBaseType(types[c]);
	}
	return buf.data;
}

/*
 * profile_query_shape: check a profile query (the columns of
 * profile.customer_profiles) as every inner query is, without reading a
 * row; its columns' base types into types (PROFILE_QUERY_COLUMNS of room),
 * their number, and their type names (shape_text).
 */
char *
profile_query_shape(const char *caller, const char *sql, Oid *types, int *ncols)
{
	*ncols = inner_query_shape(caller, sql, profile_columns, lengthof(profile_columns), types);
	return shape_text(types, *ncols);
}

/*
 * The quantity column is 1.1's: a database whose extension is still at 1.0
 * (the 1.1 module, before ALTER EXTENSION UPDATE) documents 4 to 7 columns,
 * so it is told to update rather than given a column it does not list.
 * The 1.1 forms of the profile.behaviour aggregate mark the update.
 */
static void
check_quantity_forms(const char *caller)
{
	Oid			argtypes[8] = {BYTEAOID, TIMESTAMPTZOID, FLOAT8OID, TEXTOID, FLOAT8OID,
	TEXTOID, INT8OID, FLOAT8OID};

	if (!OidIsValid(LookupFuncName(list_make2(makeString("profile"),
											  makeString("behaviour_transfn")),
								   lengthof(argtypes), argtypes, true)))
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("the quantity column of the query given to %s needs extension profile 1.1",
						caller),
				 errhint("Update the extension: ALTER EXTENSION profile UPDATE.")));
}

/* What a cast of an inner query column to the aggregate's argument reads */
static const char *
order_cast(Oid typid)
{
	switch (typid)
	{
		case INT2OID:
		case INT4OID:
		case INT8OID:
			return "pg_catalog.int8";
		default:
			return "pg_catalog.text";
	}
}

/*
 * read_by_aggregate (profile.behaviour_reader = aggregate): the
 * customers' states from a query run inside
 *   SELECT c1, profile.behaviour(c2, c3, c4 [, c5 [, c6 [, c7 [, c8]]]])
 *   FROM (<query>) AS q(c1, ...) GROUP BY c1
 * so the executor folds the rows into the aggregate's states and only one
 * row per customer comes back.  With text_ids the customers are keyed by
 * the text of their id (stored profiles).
 */
static void
read_by_aggregate(ProfileRun *run, const char *sql, bool text_ids)
{
	MemoryContext cxt = CurrentMemoryContext;
	int			ncols;
	Oid			types[PROFILE_QUERY_COLUMNS];
	StringInfoData agg;
	ItemKind	kind;
	bool		ok;
	Oid			outfunc = InvalidOid;
	bool		isvarlena;
	SPIPlanPtr	plan;
	Portal		portal;
	int			guc_level;

	run->query_columns = profile_query_shape(run->caller, sql, types, &ncols);
	if (ncols >= 8)
		check_quantity_forms(run->caller);

	kind = text_ids ? ITEM_TEXT : item_kind_of_type(types[0], &ok);
	if (text_ids)
		getTypeOutputInfo(types[0], &outfunc, &isvarlena);
	if (run->customers == NULL)
		run->customers = itemdict_create(kind, &run->budget);

	initStringInfo(&agg);
	appendStringInfoString(&agg, "SELECT q.c1, profile.behaviour(q.c2::pg_catalog.timestamptz, "
						   "q.c3::pg_catalog.float8, q.c4::pg_catalog.text");
	if (ncols >= 5)
		appendStringInfoString(&agg, ", q.c5::pg_catalog.float8");
	if (ncols >= 6)
		appendStringInfoString(&agg, ", q.c6::pg_catalog.text");
	if (ncols >= 7)
		appendStringInfo(&agg, ", q.c7::%s", order_cast(types[6]));
	if (ncols >= 8)
		appendStringInfoString(&agg, ", q.c8::pg_catalog.float8");
	appendStringInfo(&agg, ") FROM (\n%s\n) AS q(c1", sql);
	for (int c = 2; c <= ncols; c++)
		appendStringInfo(&agg, ", c%d", c);
	appendStringInfoString(&agg, ") GROUP BY q.c1");

	/*
	 * The executor's hash table of states may use the memory budget (as
	 * work_mem, for this query only): below work_mem's usual few MB it
	 * would spill to disk and read the rows again.
	 */
	guc_level = NewGUCNestLevel();
	(void) set_config_option("work_mem", psprintf("%d", profile_memory_budget_kb),
							 PGC_USERSET, PGC_S_SESSION, GUC_ACTION_SAVE, true, 0, false);
	(void) set_config_option("hash_mem_multiplier", "1", PGC_USERSET, PGC_S_SESSION,
							 GUC_ACTION_SAVE, true, 0, false);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	plan = SPI_prepare(agg.data, 0, NULL);
	if (plan == NULL)
		elog(ERROR, "SPI_prepare failed: %s", SPI_result_code_string(SPI_result));
	portal = SPI_cursor_open(NULL, plan, NULL, NULL, true);
	progress_phase("reading the query into per-customer states", "customers", 0);
	for (;;)
	{
		SPI_cursor_fetch(portal, true, 1024);
		if (SPI_processed == 0)
			break;
		for (uint64 r = 0; r < SPI_processed; r++)
		{
			HeapTuple	tuple = SPI_tuptable->vals[r];
			TupleDesc	desc = SPI_tuptable->tupdesc;
			bool		id_null,
						state_null;
			Datum		id = SPI_getbinval(tuple, desc, 1, &id_null);
			Datum		state = SPI_getbinval(tuple, desc, 2, &state_null);
			MemoryContext spicxt = MemoryContextSwitchTo(cxt);
			BehaviourState *s;
			ItemKey		key;

			if (state_null)
			{
				MemoryContextSwitchTo(spicxt);
				continue;
			}
			s = behaviour_check(state);
			run->rows_read += s->lines + s->return_lines + s->skipped;
			if (id_null)
				run->skipped_no_customer += s->lines + s->return_lines + s->skipped;
			else
			{
				run->skipped_null += s->skipped;
				if (text_ids)
				{
					key.ival = 0;
					key.bytes = OidOutputFunctionCall(outfunc, id);
					key.len = strlen(key.bytes);
				}
				else
					item_key_from_datum(kind, id, types[0], &key);
				if (!add_state(run, &key, s, false))
					elog(ERROR, "a customer came back twice from GROUP BY");
			}
			MemoryContextSwitchTo(spicxt);
		}
		SPI_freetuptable(SPI_tuptable);
		CHECK_FOR_INTERRUPTS();
		progress_done(run->nstates);
		progress_rows(run->rows_read);
	}
	SPI_cursor_close(portal);
	SPI_finish();
	AtEOXact_GUC(true, guc_level);
}

/*
 * profile_run_read: the customers' states from a query (the columns of
 * profile.customer_profiles), folded by behaviour_fold.c: the states are
 * those the profile.behaviour aggregate would give with GROUP BY
 * customer_id, built a buffer of rows at a time, clustered by customer;
 * or with profile.behaviour_reader = aggregate by that GROUP BY itself.
 * With text_ids the customers are keyed by the text of their id (stored
 * profiles).
 */
void
profile_run_read(ProfileRun *run, const char *sql, bool text_ids)
{
	InnerQuery *query;
	BehaviourFold *fold;
	const ItemDict *dict;
	int			ncols;
	Oid			types[PROFILE_QUERY_COLUMNS];
	bool		ok;

	if (profile_behaviour_reader == BEHAVIOUR_READER_AGGREGATE)
	{
		read_by_aggregate(run, sql, text_ids);
		return;
	}
	query = inner_query_open(run->caller, sql, profile_columns, lengthof(profile_columns));
	ncols = inner_query_ncolumns(query);
	for (int c = 0; c < ncols; c++)
		types[c] = inner_query_column_type(query, c);
	run->query_columns = shape_text(types, ncols);
	if (ncols >= 8)
		check_quantity_forms(run->caller);
	fold = behaviour_fold_create(ncols, types[0], ncols >= 7 ? types[6] : InvalidOid,
								 &run->budget);
	progress_phase("reading the query into per-customer states", "customers", 0);
	inner_query_each(query, behaviour_fold_row, fold);
	run->rows_read += inner_query_rows_read(query);
	inner_query_close(query);
	behaviour_fold_finish(fold);

	run->skipped_no_customer += behaviour_fold_skipped_no_customer(fold);
	if (run->customers == NULL)
		run->customers = itemdict_create(text_ids ? ITEM_TEXT :
										 item_kind_of_type(types[0], &ok), &run->budget);
	dict = behaviour_fold_dict(fold);
	for (int32 c = 0; c < behaviour_fold_customers(fold); c++)
	{
		BehaviourState *s = behaviour_fold_take(fold, c);
		ItemKey		key;

		run->skipped_null += s->skipped;
		if (text_ids)
		{
			text	   *id = DatumGetTextPP(itemdict_text(dict, c));

			key.ival = 0;
			key.bytes = VARDATA_ANY(id);
			key.len = VARSIZE_ANY_EXHDR(id);
		}
		else
			itemdict_key(dict, c, &key);
		if (!add_state(run, &key, s, true))
			elog(ERROR, "customer %d came twice out of the fold", c);
	}
}

/*
 * profile_run_add_state: a stored customer's state (text id), in the
 * current memory context.  A state stored compressed (most are) comes out
 * of behaviour_check as a fresh copy, which the run keeps as it is rather
 * than copying it once more.
 */
void
profile_run_add_state(ProfileRun *run, const char *customer_id, Datum state)
{
	ItemKey		key;
	BehaviourState *s = behaviour_check(state);
	bool		fresh = (Pointer) s != DatumGetPointer(state);

	if (run->customers == NULL)
		run->customers = itemdict_create(ITEM_TEXT, &run->budget);
	key.ival = 0;
	key.bytes = customer_id;
	key.len = strlen(customer_id);
	if (fresh)
		budget_reserve(&run->budget, VARSIZE(s), "customer states");
	if (!add_state(run, &key, s, fresh))
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("customer \"%s\" is stored twice", customer_id)));
}

/* ---- population ---- */

typedef struct PriceEntry
{
	int32		category;		/* the category's rank by name */
	int32		position;		/* the customer's, in id order */
	int32		customer;
	double		price;			/* the customer's mean unit price or line amount in it */
	double		weight;			/* the spend priced, or the units with a
								 * quantity column */
} PriceEntry;

static inline int
compare_price(const PriceEntry *pa, const PriceEntry *pb)
{
	if (pa->category != pb->category)
		return pa->category < pb->category ? -1 : 1;
	if (pa->price != pb->price)
		return pa->price < pb->price ? -1 : 1;
	return (pa->position > pb->position) - (pa->position < pb->position);
}

/* sort_prices(entries, n): pg_qsort's algorithm, the comparison inlined */
#define ST_SORT sort_prices
#define ST_ELEMENT_TYPE PriceEntry
#define ST_COMPARE(a, b) compare_price(a, b)
#define ST_SCOPE static
#define ST_CHECK_FOR_INTERRUPTS
#define ST_DEFINE
#include "lib/sort_template.h"

static const ItemDict *sort_categories;

static int
compare_category_names(const void *a, const void *b)
{
	return itemdict_compare(sort_categories, *(const int32 *) a, *(const int32 *) b);
}

static int32
category_id(ItemDict *dict, const BehaviourState *state, const BehaviourGroup *g, bool add)
{
	ItemKey		key;

	key.ival = 0;
	key.bytes = behaviour_names(state) + g->name_off;
	key.len = (int) g->name_len;
	return add ? itemdict_intern(dict, &key) : itemdict_find(dict, &key);
}

/*
 * Population sums, and each customer's price percentile: the weighted
 * mean, over the customer's categories, of the percent_rank of the
 * customer's price among the customers buying in the category.  The price
 * is the customer's mean line amount in the category (spend / lines,
 * weighted by spend), or with a quantity column (1.1) the mean unit price
 * (spend / units, of the lines with a quantity, weighted by those units);
 * a category without units then has no price.  Customers are visited in id order and
 * categories in name order, so that the floating-point sums do not depend
 * on the order rows or states came in.
 */
static void
population(ProfileRun *run, Profile *profiles, const int32 *sorted, int32 n)
{
	Size		nentries = 0,
				e = 0;
	PriceEntry *entries;
	double	   *weighted;
	double	   *weights;
	int32	   *by_name;
	int32	   *name_rank;
	Size		cap = 0;
	bool		unit_prices;

	run->categories = itemdict_create(ITEM_TEXT, &run->budget);
	for (int32 i = 0; i < n; i++)
	{
		const BehaviourState *s = run->states[sorted[i]];
		const BehaviourGroup *groups = behaviour_groups(s);

		for (uint32 g = 0; g < s->ngroups; g++)
		{
			int32		id;

			if (groups[g].kind != BEHAVIOUR_CATEGORY || groups[g].lines == 0)
				continue;
			id = category_id(run->categories, s, &groups[g], true);
			if ((Size) id >= cap)
			{
				Size		old = cap;

				run->category_spend = items_grow(run->category_spend, &cap, (Size) id + 1,
												 sizeof(double), &run->budget, "categories");
				memset(run->category_spend + old, 0, sizeof(double) * (cap - old));
			}
			run->category_spend[id] += groups[g].spend;
			nentries++;
		}
		run->spend += s->spend;
		run->list_spend += s->list_spend;
		run->discount_spend += s->discount_spend;
		run->list_below_paid += s->list_below_paid;
	}

	by_name = palloc(sizeof(int32) * Max(run->categories->count, 1));
	name_rank = palloc(sizeof(int32) * Max(run->categories->count, 1));
	for (int32 i = 0; i < run->categories->count; i++)
		by_name[i] = i;
	sort_categories = run->categories;
	qsort(by_name, run->categories->count, sizeof(int32), compare_category_names);
	for (int32 i = 0; i < run->categories->count; i++)
		name_rank[by_name[i]] = i;

	budget_reserve_array(&run->budget, nentries, sizeof(PriceEntry), "price ranks");
	entries = palloc(sizeof(PriceEntry) * Max(nentries, 1));
	for (int32 i = 0; i < n; i++)
	{
		int32		c = sorted[i];
		const BehaviourState *s = run->states[c];
		const BehaviourGroup *groups = behaviour_groups(s);
		const BehaviourUnits *units = behaviour_units(s);

		for (uint32 g = 0; g < s->ngroups; g++)
		{
			if (groups[g].kind != BEHAVIOUR_CATEGORY || groups[g].lines == 0)
				continue;
			if (units != NULL && units[g].units == 0)
				continue;		/* no line of it had a quantity */
			entries[e].category = name_rank[category_id(run->categories, s, &groups[g], false)];
			entries[e].position = i;
			entries[e].customer = c;
			if (units != NULL)
			{
				/*
				 * weighted by units, not spend: spend grows with price, so
				 * spend weights lift everyone's percentile toward their
				 * dearest category (premium_buyer precision 0.86 instead of
				 * 0.96 on the generated data)
				 */
				entries[e].price = units[g].spend / units[g].units;
				entries[e].weight = units[g].units;
			}
			else
			{
				entries[e].price = groups[g].spend / groups[g].lines;
				entries[e].weight = groups[g].spend;
			}
			e++;
		}
	}
	unit_prices = (run->columns & BEHAVIOUR_HAS_QUANTITY) != 0;
	Assert(e <= nentries);
	nentries = e;
	sort_prices(entries, nentries);
	weighted = palloc0(sizeof(double) * Max(n, 1));
	weights = palloc0(sizeof(double) * Max(n, 1));

	/*
	 * Ties share the lowest rank (percent_rank).  Unit prices tie often
	 * (one product, one price) but come out of sums whose last bits hang on
	 * the order of the lines (3 x 4.99 / 3 is not 4.99 in binary): equal to
	 * 9 significant digits counts as equal, as in the rankings by spend.
	 * Mean line amounts keep 1.0's exact rule.
	 */
	for (Size start = 0; start < nentries;)
	{
		Size		end = start;
		Size		tie = start;

		while (end < nentries && entries[end].category == entries[start].category)
			end++;
		for (Size i = start; i < end; i++)
		{
			double		rank;

			if (unit_prices ? !behaviour_nearly_equal(entries[i].price, entries[tie].price) :
				entries[i].price != entries[tie].price)
				tie = i;
			rank = end - start > 1 ? (double) (tie - start) / (double) (end - start - 1) : 0.0;
			weighted[entries[i].customer] += entries[i].weight * rank;
			weights[entries[i].customer] += entries[i].weight;
		}
		start = end;
	}
	for (int32 c = 0; c < n; c++)
		profiles[c].values[TAG_PRICE_PERCENTILE] = weights[c] > 0 ? weighted[c] / weights[c] : NAN;
	pfree(entries);
	pfree(weighted);
	pfree(weights);
	pfree(by_name);
	pfree(name_rank);
}

/*
 * A customer's share of spend in a group, and its affinity (the share over
 * the population's share).  Zero spend (free items only) gives 0, never
 * NaN.
 */
static inline double
spend_share(double part, double whole)
{
	return whole > 0 ? part / whole : 0.0;
}

static double
affinity_of(const ProfileRun *run, int32 category, double share)
{
	double		population = spend_share(run->category_spend[category], run->spend);

	return population > 0 ? share / population : 0.0;
}

/* ---- models ---- */


static char *
optional_text(FunctionCallInfo fcinfo, int argno)
{
	return PG_ARGISNULL(argno) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(argno));
}

/* The k-means features: profile columns by name (default RFM) */
static void
kmeans_features(Models *models, const char *name, ArrayType *names)
{
	Datum	   *elems;
	bool	   *enulls;
	int			n;
	static const char *const rfm_names[] = {"recency_days", "orders", "net_spend"};

	if (names == NULL)
	{
		if (models->kmeans->d != 3)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("k-means model \"%s\" has %d features, so kmeans_features must name them",
							name, models->kmeans->d),
					 errhint("Pass kmeans_features => ARRAY['recency_days', 'orders', ...] in the order the model was fitted with.")));
		models->kmeans_features = palloc(sizeof(int) * 3);
		for (int j = 0; j < 3; j++)
			models->kmeans_features[j] = tag_feature_from_name(rfm_names[j]);
		return;
	}
	deconstruct_array(names, TEXTOID, -1, false, TYPALIGN_INT, &elems, &enulls, &n);
	if (n != models->kmeans->d)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("kmeans_features names %d features, but k-means model \"%s\" has %d",
						n, name, models->kmeans->d)));
	models->kmeans_features = palloc(sizeof(int) * n);
	for (int j = 0; j < n; j++)
	{
		char	   *f;
		int			id;

		if (enulls[j])
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("kmeans_features must not contain NULL")));
		f = TextDatumGetCString(elems[j]);
		id = tag_feature_from_name(f);
		if (id < 0 || id >= TAG_NNUMERIC || tag_features[id].per_category ||
			tag_features[id].model == TAG_MODEL_KMEANS)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("\"%s\" is not a numeric profile feature k-means can use", f)));
		if (!models->has[tag_features[id].model])
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("k-means feature %s needs %s", f, tag_model_args[tag_features[id].model])));
		models->kmeans_features[j] = id;
	}
}

/* ---- per customer ---- */

/*
 * Share and affinity of a category for a customer: 0 when the customer
 * did not buy in it, NaN (never matches) when no customer did.
 */
static void
category_measures(const ProfileRun *run, const BehaviourState *s, const char *name,
				  double *share, double *affinity)
{
	const BehaviourGroup *groups = behaviour_groups(s);
	Size		len = strlen(name);
	ItemKey		key;

	key.ival = 0;
	key.bytes = name;
	key.len = (int) len;
	if (itemdict_find(run->categories, &key) < 0)
	{
		*share = *affinity = NAN;
		return;
	}
	*share = 0.0;
	*affinity = 0.0;
	for (uint32 g = 0; g < s->ngroups; g++)
		if (groups[g].kind == BEHAVIOUR_CATEGORY && groups[g].lines > 0 &&
			groups[g].name_len == len &&
			memcmp(behaviour_names(s) + groups[g].name_off, name, len) == 0)
		{
			int32		id = category_id(run->categories, s, &groups[g], false);

			*share = spend_share(groups[g].spend, s->spend);
			*affinity = affinity_of(run, id, *share);
			return;
		}
}

static char *
group_name(const BehaviourState *s, int32 g)
{
	const BehaviourGroup *group = &behaviour_groups(s)[g];

	return pnstrdup(behaviour_names(s) + group->name_off, group->name_len);
}

/* Everything about customer c, but the tags */
static void
profile_compute(const ProfileRun *run, Models *models, int32 c, TimestampTz as_of,
				int period_days, Profile *p, int32 *order, int32 *days, double *amounts)
{
	const BehaviourState *s = run->states[c];
	BehaviourFeatures *f = &p->f;
	double	   *v = p->values;
	const BehaviourGroup *groups = behaviour_groups(s);
	double		price = v[TAG_PRICE_PERCENTILE];
	double		best = -1.0;
	int			n;
	int32		ndays;
	ClvCycle	cycle;

	behaviour_features(s, as_of, period_days, f);
	for (int i = 0; i < TAG_NNUMERIC; i++)
		v[i] = NAN;
	memset(p->texts, 0, sizeof(p->texts));
	p->has_next_purchase = false;
	v[TAG_PRICE_PERCENTILE] = price;
	v[TAG_ORDERS] = (double) f->orders;
	v[TAG_LINES] = (double) f->lines;
	v[TAG_SPEND] = f->spend;
	v[TAG_RETURNED] = f->returned;
	v[TAG_NET_SPEND] = f->spend - f->returned;
	if (f->lines + f->return_lines > 0)
		v[TAG_RETURN_RATE] = (double) f->return_lines / (f->lines + f->return_lines);
	if (f->has_discount)
	{
		v[TAG_DISCOUNT_SHARE] = f->discount_share;
		if (run->discount_spend > 0)
			v[TAG_DISCOUNT_LIFT] = f->discount_share / (run->discount_spend / run->list_spend);
	}
	if (f->orders == 0)
		return;

	v[TAG_RECENCY_DAYS] = f->as_of_day - f->last_day;
	v[TAG_TENURE_DAYS] = f->as_of_day - f->first_day;
	v[TAG_WEEKEND_SHARE] = f->weekend_share;
	v[TAG_NIGHT_SHARE] = f->daypart_share[BEHAVIOUR_NIGHT];
	v[TAG_MORNING_SHARE] = f->daypart_share[BEHAVIOUR_MORNING];
	v[TAG_AFTERNOON_SHARE] = f->daypart_share[BEHAVIOUR_AFTERNOON];
	v[TAG_EVENING_SHARE] = f->daypart_share[BEHAVIOUR_EVENING];
	v[TAG_TOP_WEEKDAY] = f->top_weekday;
	v[TAG_TOP_HOUR] = f->top_hour;
	v[TAG_AVG_ORDER_VALUE] = f->spend / f->orders;
	v[TAG_LINES_PER_ORDER] = (double) f->lines / f->orders;
	v[TAG_SPEND_RECENT] = f->spend_recent;
	v[TAG_SPEND_PREVIOUS] = f->spend_previous;
	PROFILE_TEXT(p, TAG_TREND) = f->trend;

	/* categories: the top by spend, and by affinity (ties: the earlier) */
	n = behaviour_sorted_groups(s, BEHAVIOUR_CATEGORY, order);
	if (n > 0)
	{
		PROFILE_TEXT(p, TAG_TOP_CATEGORY) = group_name(s, order[0]);
		v[TAG_TOP_CATEGORY_SHARE] = spend_share(groups[order[0]].spend, s->spend);
		/* the most lines in one category, whatever their prices */
		v[TAG_CATEGORY_LINE_SHARE] = 0.0;
		for (int i = 0; i < n; i++)
			v[TAG_CATEGORY_LINE_SHARE] = Max(v[TAG_CATEGORY_LINE_SHARE],
											 (double) groups[order[i]].lines / s->lines);
	}
	for (int i = 0; i < n; i++)
	{
		int32		id = category_id(run->categories, s, &groups[order[i]], false);
		double		affinity = affinity_of(run, id, spend_share(groups[order[i]].spend, s->spend));

		if (affinity > best && !behaviour_nearly_equal(affinity, best))
		{
			best = affinity;
			PROFILE_TEXT(p, TAG_TOP_AFFINITY_CATEGORY) = group_name(s, order[i]);
		}
	}
	if (s->columns & BEHAVIOUR_HAS_CHANNEL)
	{
		n = behaviour_sorted_groups(s, BEHAVIOUR_CHANNEL, order);
		v[TAG_CHANNEL_COUNT] = n;
		if (n > 0)
			PROFILE_TEXT(p, TAG_TOP_CHANNEL) = group_name(s, order[0]);
	}

	/* purchase cycle */
	ndays = behaviour_purchase_days(s, days, amounts);
	clv_cycle_compute(days, ndays, f->as_of_day, &cycle);
	if (cycle.has_intervals)
	{
		p->has_next_purchase = true;
		p->next_purchase = cycle.expected_next;
	}
	if (cycle.has_overdue_score)
		v[TAG_OVERDUE_SCORE] = cycle.overdue_score;

	if (models->has[TAG_MODEL_RFM])
	{
		int32		scores[3];
		const char *segment;

		rfm_model_score(&models->rfm, (int32) v[TAG_RECENCY_DAYS], f->orders,
						v[TAG_NET_SPEND], scores, &segment);
		v[TAG_R_SCORE] = scores[0];
		v[TAG_F_SCORE] = scores[1];
		v[TAG_M_SCORE] = scores[2];
		PROFILE_TEXT(p, TAG_SEGMENT) = segment;
	}
	if (models->has[TAG_MODEL_CLV])
	{
		double		ud = clv_time_unit_days(models->unit);
		double		x = ndays - 1;
		double		tx = (days[ndays - 1] - days[0]) / ud;
		double		T = (f->as_of_day - days[0]) / ud;
		double		horizon = models->months * clv_time_unit_per_month(models->unit);
		double		value;

		v[TAG_P_ALIVE] = clv_predict_p_alive(models->predictor, x, tx, T);
		v[TAG_CHURN_RISK] = 1.0 - v[TAG_P_ALIVE];
		v[TAG_EXPECTED_PURCHASES] = clv_predict_expected(models->predictor, x, tx, T, horizon);
		if (models->has_spend && ndays >= 2)
		{
			double		monetary = 0.0;

			for (int32 i = 1; i < ndays; i++)
				monetary += amounts[i];
			monetary /= (ndays - 1);
			if (clv_value(models->predictor, &models->gg, models->unit, x, tx, T, monetary,
						  models->months, models->discount_rate, &value))
				v[TAG_CLV] = value;
		}
	}
	if (models->has[TAG_MODEL_KMEANS])
	{
		double		x[PROFILE_MAX_DIMENSIONS];
		double		dist_sq;
		int			cluster;

		for (int j = 0; j < models->kmeans->d; j++)
		{
			x[j] = v[models->kmeans_features[j]];
			/* a NULL feature, or one log scaling cannot take: no cluster */
			if (isnan(x[j]) || (models->kmeans->scaling == KMEANS_SCALE_LOG && !(x[j] > -1.0)))
				return;
		}
		cluster = kmeans_model_nearest(models->kmeans, x, &dist_sq);
		v[TAG_CLUSTER] = cluster + 1;
		PROFILE_TEXT(p, TAG_CLUSTER_LABEL) = models->labels[cluster];
	}
}

/* A rule's value for a customer (NaN or *text NULL: NULL) */
static double
rule_value(const ProfileRun *run, const Profile *p, int32 c, const TagRule *rule,
		   const char **text)
{
	double		share,
				affinity;

	*text = NULL;
	if (rule->feature >= TAG_NNUMERIC)
	{
		*text = PROFILE_TEXT(p, rule->feature);
		return NAN;
	}
	if (!tag_features[rule->feature].per_category)
		return p->values[rule->feature];
	if (p->f.orders == 0)
		return NAN;
	category_measures(run, run->states[c], rule->category, &share, &affinity);
	return rule->feature == TAG_CATEGORY_SHARE ? share : affinity;
}

static int
compare_double(const void *a, const void *b)
{
	double		x = *(const double *) a;
	double		y = *(const double *) b;

	return (x > y) - (x < y);
}

/*
 * Relative thresholds: percentile_disc(percentile) of the feature over
 * the customers where it is not NULL (no customer: the rule never passes).
 */
static void
resolve_thresholds(const ProfileRun *run, const Profile *profiles, int32 n, TagSet *tags)
{
	double	   *values = palloc(sizeof(double) * Max(n, 1));

	for (int t = 0; t < tags->ntags; t++)
		for (int r = 0; r < tags->tags[t].nrules; r++)
		{
			TagRule    *rule = &tags->tags[t].rules[r];
			int32		m = 0;
			const char *text;

			if (!rule->relative)
				continue;
			for (int32 c = 0; c < n; c++)
			{
				double		x = rule_value(run, &profiles[c], c, rule, &text);

				if (!isnan(x))
					values[m++] = x;
			}
			if (m == 0)
			{
				rule->threshold = NAN;
				continue;
			}
			qsort(values, m, sizeof(double), compare_double);
			rule->threshold = values[Max((int32) ceil(rule->percentile * m) - 1, 0)];
		}
	pfree(values);
}

static bool
tag_matches(const ProfileRun *run, const Profile *p, int32 c, const Tag *tag)
{
	for (int r = 0; r < tag->nrules; r++)
	{
		const char *text;
		double		x = rule_value(run, p, c, &tag->rules[r], &text);

		if (isnan(tag->rules[r].threshold) && tag->rules[r].relative)
			return false;
		if (!tag_rule_compare(&tag->rules[r], x, text))
			return false;
	}
	return tag->nrules > 0;
}

/* ---- output ---- */

/* Output column k, NULL for NaN (or a NULL string), and k moves on */
static void
put_float8(Datum *values, bool *nulls, int *k, double x)
{
	nulls[*k] = isnan(x);
	values[(*k)++] = Float8GetDatum(isnan(x) ? 0.0 : x);
}

static void
put_int4(Datum *values, bool *nulls, int *k, double x)
{
	nulls[*k] = isnan(x);
	values[(*k)++] = Int32GetDatum(isnan(x) ? 0 : (int32) x);
}

static void
put_text(Datum *values, bool *nulls, int *k, const char *s)
{
	nulls[*k] = s == NULL;
	values[(*k)++] = s ? CStringGetTextDatum(s) : (Datum) 0;
}

/* The affinities of the categories behaviour_group_arrays listed in order */
static Datum
affinity_array(const ProfileRun *run, const BehaviourState *s, const int32 *order, int n)
{
	const BehaviourGroup *groups = behaviour_groups(s);
	Datum	   *a = palloc(sizeof(Datum) * Max(n, 1));

	for (int i = 0; i < n; i++)
	{
		const BehaviourGroup *g = &groups[order[i]];

		a[i] = Float8GetDatum(affinity_of(run, category_id(run->categories, s, g, false),
										  spend_share(g->spend, s->spend)));
	}
	return PointerGetDatum(construct_array(a, n, FLOAT8OID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
}

/* ---- the run ---- */

/*
 * profile_options_from_args: the options of a call from its arguments
 * fcinfo[first ..] (as_of, period_days, rfm_model, kmeans_model,
 * kmeans_features, clv_model, months, discount_rate, tags).
 */
void
profile_options_from_args(FunctionCallInfo fcinfo, int first, ProfileOptions *opts)
{
	memset(opts, 0, sizeof(*opts));
	check_arg_not_null(fcinfo, first + 1, "period_days");
	check_arg_not_null(fcinfo, first + 6, "months");
	check_arg_not_null(fcinfo, first + 7, "discount_rate");
	opts->has_as_of = !PG_ARGISNULL(first);
	if (opts->has_as_of)
		opts->as_of = PG_GETARG_TIMESTAMPTZ(first);
	opts->period_days = PG_GETARG_INT32(first + 1);
	opts->rfm_model = optional_text(fcinfo, first + 2);
	opts->kmeans_model = optional_text(fcinfo, first + 3);
	opts->kmeans_features = PG_ARGISNULL(first + 4) ? NULL : PG_GETARG_ARRAYTYPE_P(first + 4);
	opts->clv_model = optional_text(fcinfo, first + 5);
	opts->months = PG_GETARG_INT32(first + 6);
	opts->discount_rate = PG_GETARG_FLOAT8(first + 7);
	opts->tags = PG_ARGISNULL(first + 8) ? NULL : PG_GETARG_ARRAYTYPE_P(first + 8);
}

/*
 * profile_run_create: a run with checked options.  The models and tags are
 * loaded first, so that a wrong name fails before any query runs.
 */
ProfileRun *
profile_run_create(const char *caller, const ProfileOptions *opts)
{
	ProfileRun *run = palloc0(sizeof(ProfileRun));
	Models	   *models = &run->models;

	run->caller = caller;
	run->latest = DT_NOBEGIN;
	budget_init(&run->budget, caller);
	run->period_days = behaviour_check_period(opts->period_days);
	run->as_of = DT_NOBEGIN;
	if (opts->has_as_of)
	{
		run->as_of = opts->as_of;
		if (TIMESTAMP_NOT_FINITE(run->as_of))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("as_of must be a finite timestamp")));
	}
	models->has[TAG_MODEL_NONE] = true;
	models->months = opts->months;
	models->discount_rate = opts->discount_rate;
	clv_check_horizon(models->months, models->discount_rate);
	if (opts->kmeans_features != NULL && opts->kmeans_model == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("kmeans_features is given without kmeans_model")));
	if (opts->rfm_model)
	{
		int32		scores[3];
		const char *segment;

		models->has[TAG_MODEL_RFM] = true;
		models->rfm.model = opts->rfm_model;
		rfm_model_score(&models->rfm, 0, 0, 0.0, scores, &segment);
	}
	if (opts->clv_model)
	{
		models->has[TAG_MODEL_CLV] = true;
		clv_model_lookup(opts->clv_model, &models->unit, &models->bg, &models->has_spend,
						 &models->gg);
		models->predictor = clv_predictor_create(CurrentMemoryContext, &models->bg);
	}
	if (opts->kmeans_model)
	{
		models->has[TAG_MODEL_KMEANS] = true;
		models->kmeans = kmeans_model_lookup(opts->kmeans_model, &models->labels);
		kmeans_features(models, opts->kmeans_model, opts->kmeans_features);
	}
	run->tags = tags_load(opts->tags, models->has);
	return run;
}

int32
profile_run_customers(const ProfileRun *run)
{
	return run->nstates;
}

const BehaviourState *
profile_run_state(const ProfileRun *run, int32 c)
{
	return run->states[c];
}

Datum
profile_run_customer_id(const ProfileRun *run, int32 c)
{
	return itemdict_text(run->customers, c);
}

TimestampTz
profile_run_latest(const ProfileRun *run)
{
	return run->latest;
}

uint64
profile_run_rows_read(const ProfileRun *run)
{
	return run->rows_read;
}

const char *
profile_run_query_columns(const ProfileRun *run)
{
	return run->query_columns;
}

/*
 * profile_run_compute: population sums, every customer's profile, the
 * tags' relative thresholds.  as_of: the one given, else the latest row.
 */
void
profile_run_compute(ProfileRun *run)
{
	int32		n = run->nstates;
	uint32		max_groups = 1,
				max_orders = 1;

	if (run->as_of == DT_NOBEGIN)
		run->as_of = run->latest;
	/* a row after as_of: the latest is named, whatever order rows came in */
	if (run->latest != DT_NOBEGIN)
		(void) rfm_as_of_day(run->as_of, run->latest);
	if (run->skipped_no_customer > 0 || run->skipped_null > 0)
		ereport(NOTICE,
				(errmsg("%s left out " INT64_FORMAT " of " UINT64_FORMAT " rows", run->caller,
						run->skipped_no_customer + run->skipped_null, run->rows_read),
				 errdetail(INT64_FORMAT " rows have a NULL customer_id, " INT64_FORMAT
						   " a NULL ordered_at, amount or order_id.",
						   run->skipped_no_customer, run->skipped_null)));
	if (run->customers == NULL)
		run->customers = itemdict_create(ITEM_TEXT, &run->budget);

	budget_reserve_array(&run->budget, n, sizeof(Profile) + sizeof(int32), "profiles");
	run->profiles = palloc0(sizeof(Profile) * Max(n, 1));
	run->sorted = profile_run_sorted(run);
	population(run, run->profiles, run->sorted, n);
	if (run->list_below_paid > 0)
		ereport(NOTICE,
				(errmsg("%s counted " INT64_FORMAT " lines paid above their list amount as not discounted",
						run->caller, run->list_below_paid)));
	for (int32 c = 0; c < n; c++)
	{
		max_groups = Max(max_groups, run->states[c]->ngroups);
		max_orders = Max(max_orders, run->states[c]->norders);
	}
	run->order = palloc(sizeof(int32) * max_groups);
	run->days = palloc(sizeof(int32) * max_orders);
	run->amounts = palloc(sizeof(double) * max_orders);
	progress_phase("computing the profiles", "customers", n);
	for (int32 c = 0; c < n; c++)
	{
		profile_compute(run, &run->models, c, run->as_of, run->period_days, &run->profiles[c],
						run->order, run->days, run->amounts);
		if ((c & 1023) == 0)
		{
			CHECK_FOR_INTERRUPTS();
			progress_done(c);
		}
	}
	resolve_thresholds(run, run->profiles, n, run->tags);
}

/*
 * profile_run_row: customer c's output row (PROFILE_NCOLUMNS values, in
 * the current memory context); false for a customer with returns only.
 */
bool
profile_run_row(ProfileRun *run, int32 c, Datum *values, bool *nulls)
{
	const Profile *p = &run->profiles[c];
	const BehaviourState *s = run->states[c];
	const double *v = p->values;
	const TagSet *tags = run->tags;
	Datum	   *tagnames;
	int			ntagged = 0;
	int			k = 0;
	bool		has_channel = (s->columns & BEHAVIOUR_HAS_CHANNEL) != 0 && p->f.orders > 0;
	int32	   *order = run->order;
	int			n;

	if (p->f.orders == 0)
		return false;
	memset(nulls, 0, sizeof(bool) * PROFILE_NCOLUMNS);
	values[k++] = itemdict_text(run->customers, c);
	values[k++] = Int64GetDatum(p->f.orders);
	values[k++] = Int64GetDatum(p->f.lines);
	values[k++] = Float8GetDatum(p->f.spend);
	values[k++] = Float8GetDatum(p->f.returned);
	values[k++] = Float8GetDatum(v[TAG_NET_SPEND]);
	values[k++] = TimestampTzGetDatum(p->f.first_at);
	values[k++] = TimestampTzGetDatum(p->f.last_at);
	put_int4(values, nulls, &k, v[TAG_RECENCY_DAYS]);
	put_int4(values, nulls, &k, v[TAG_TENURE_DAYS]);
	put_float8(values, nulls, &k, v[TAG_WEEKEND_SHARE]);
	put_float8(values, nulls, &k, v[TAG_NIGHT_SHARE]);
	put_float8(values, nulls, &k, v[TAG_MORNING_SHARE]);
	put_float8(values, nulls, &k, v[TAG_AFTERNOON_SHARE]);
	put_float8(values, nulls, &k, v[TAG_EVENING_SHARE]);
	put_int4(values, nulls, &k, v[TAG_TOP_WEEKDAY]);
	put_int4(values, nulls, &k, v[TAG_TOP_HOUR]);
	put_float8(values, nulls, &k, v[TAG_AVG_ORDER_VALUE]);
	put_float8(values, nulls, &k, v[TAG_LINES_PER_ORDER]);
	put_float8(values, nulls, &k, v[TAG_RETURN_RATE]);
	put_float8(values, nulls, &k, v[TAG_DISCOUNT_SHARE]);
	put_float8(values, nulls, &k, v[TAG_DISCOUNT_LIFT]);
	n = behaviour_group_arrays(s, BEHAVIOUR_CATEGORY, order, &values[k], &values[k + 1]);
	values[k + 2] = affinity_array(run, s, order, n);
	k += 3;
	put_text(values, nulls, &k, PROFILE_TEXT(p, TAG_TOP_CATEGORY));
	put_float8(values, nulls, &k, v[TAG_TOP_CATEGORY_SHARE]);
	put_float8(values, nulls, &k, v[TAG_CATEGORY_LINE_SHARE]);
	put_text(values, nulls, &k, PROFILE_TEXT(p, TAG_TOP_AFFINITY_CATEGORY));
	put_float8(values, nulls, &k, v[TAG_PRICE_PERCENTILE]);
	if (has_channel)
		behaviour_group_arrays(s, BEHAVIOUR_CHANNEL, order, &values[k], &values[k + 1]);
	nulls[k++] = !has_channel;
	nulls[k++] = !has_channel;
	put_text(values, nulls, &k, PROFILE_TEXT(p, TAG_TOP_CHANNEL));
	values[k] = BoolGetDatum(v[TAG_CHANNEL_COUNT] > 1);
	nulls[k++] = !has_channel;
	put_float8(values, nulls, &k, v[TAG_SPEND_RECENT]);
	put_float8(values, nulls, &k, v[TAG_SPEND_PREVIOUS]);
	put_text(values, nulls, &k, PROFILE_TEXT(p, TAG_TREND));
	values[k] = DateADTGetDatum(p->next_purchase);
	nulls[k++] = !p->has_next_purchase;
	put_float8(values, nulls, &k, v[TAG_OVERDUE_SCORE]);
	put_int4(values, nulls, &k, v[TAG_R_SCORE]);
	put_int4(values, nulls, &k, v[TAG_F_SCORE]);
	put_int4(values, nulls, &k, v[TAG_M_SCORE]);
	put_text(values, nulls, &k, PROFILE_TEXT(p, TAG_SEGMENT));
	put_int4(values, nulls, &k, v[TAG_CLUSTER]);
	put_text(values, nulls, &k, PROFILE_TEXT(p, TAG_CLUSTER_LABEL));
	put_float8(values, nulls, &k, v[TAG_P_ALIVE]);
	put_float8(values, nulls, &k, v[TAG_EXPECTED_PURCHASES]);
	put_float8(values, nulls, &k, v[TAG_CLV]);

	tagnames = palloc(sizeof(Datum) * Max(tags->ntags, 1));
	for (int t = 0; t < tags->ntags; t++)
		if (tag_matches(run, p, c, &tags->tags[t]))
			tagnames[ntagged++] = CStringGetTextDatum(tags->tags[t].name);
	values[k++] = PointerGetDatum(construct_array(tagnames, ntagged, TEXTOID, -1, false,
												  TYPALIGN_INT));
	Assert(k == PROFILE_NCOLUMNS);
	return true;
}

static const ItemDict *sort_dict;

static int
compare_customers(const void *a, const void *b)
{
	return itemdict_compare(sort_dict, *(const int32 *) a, *(const int32 *) b);
}

/* The customers in id order (numeric for integer ids, else bytewise) */
int32 *
profile_run_sorted(const ProfileRun *run)
{
	int32	   *sorted;

	if (run->sorted != NULL)
		return run->sorted;
	sorted = palloc(sizeof(int32) * Max(run->nstates, 1));

	for (int32 c = 0; c < run->nstates; c++)
		sorted[c] = c;
	sort_dict = run->customers;
	qsort(sorted, run->nstates, sizeof(int32), compare_customers);
	return sorted;
}

/*
 * profile_run_emit: every computed profile, in customer id order, as the
 * rows of a set-returning function (materialized mode).
 */
void
profile_run_emit(ProfileRun *run, FunctionCallInfo fcinfo)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	int32	   *sorted = profile_run_sorted(run);
	MemoryContext rowcxt;

	InitMaterializedSRF(fcinfo, 0);
	rowcxt = AllocSetContextCreate(CurrentMemoryContext, "profile output row",
								   ALLOCSET_DEFAULT_SIZES);
	for (int32 i = 0; i < run->nstates; i++)
	{
		Datum		values[PROFILE_NCOLUMNS];
		bool		nulls[PROFILE_NCOLUMNS];
		MemoryContext oldcxt = MemoryContextSwitchTo(rowcxt);

		if (profile_run_row(run, sorted[i], values, nulls))
		{
			MemoryContextSwitchTo(oldcxt);
			tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
		}
		MemoryContextSwitchTo(oldcxt);
		MemoryContextReset(rowcxt);
		if ((i & 1023) == 0)
			CHECK_FOR_INTERRUPTS();
	}
	MemoryContextDelete(rowcxt);
}

/*
 * profile.customer_profiles(query, as_of, period_days, rfm_model,
 * kmeans_model, kmeans_features, clv_model, months, discount_rate, tags).
 */
PG_FUNCTION_INFO_V1(profile_customer_profiles);
Datum
profile_customer_profiles(PG_FUNCTION_ARGS)
{
	ProfileOptions opts;
	ProfileRun *run;

	check_arg_not_null(fcinfo, 0, "query");
	profile_options_from_args(fcinfo, 1, &opts);
	progress_begin("profile.customer_profiles");
	run = profile_run_create("profile.customer_profiles", &opts);
	profile_run_read(run, text_to_cstring(PG_GETARG_TEXT_PP(0)), false);
	profile_run_compute(run);
	profile_run_emit(run, fcinfo);
	progress_end();
	return (Datum) 0;
}
