/*-------------------------------------------------------------------------
 *
 * tags.c
 *	  Tags as data.  A tag (profile.tags) is the AND of its rules
 *	  (profile.tag_rules); a rule compares one profile feature with an
 *	  absolute threshold (value), a threshold relative to the population
 *	  (percentile: the feature's percentile_disc over the customers of the
 *	  call), or a text (text features).  Rules are validated when written
 *	  (profile.tag_rule_check in a CHECK constraint) and read as data: no
 *	  SQL text from the tables is ever run.
 *
 * IDENTIFICATION
 *	  src/tags.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "catalog/pg_type.h"
#include "commands/extension.h"
#include "commands/trigger.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "utils/array.h"
#include "utils/builtins.h"

#include "profile.h"
#include "tags.h"

const TagFeatureInfo tag_features[TAG_NFEATURES] = {
	[TAG_ORDERS] = {"orders", false, TAG_MODEL_NONE},
	[TAG_LINES] = {"lines", false, TAG_MODEL_NONE},
	[TAG_SPEND] = {"spend", false, TAG_MODEL_NONE},
	[TAG_RETURNED] = {"returned", false, TAG_MODEL_NONE},
	[TAG_NET_SPEND] = {"net_spend", false, TAG_MODEL_NONE},
	[TAG_RECENCY_DAYS] = {"recency_days", false, TAG_MODEL_NONE},
	[TAG_TENURE_DAYS] = {"tenure_days", false, TAG_MODEL_NONE},
	[TAG_WEEKEND_SHARE] = {"weekend_share", false, TAG_MODEL_NONE},
	[TAG_NIGHT_SHARE] = {"night_share", false, TAG_MODEL_NONE},
	[TAG_MORNING_SHARE] = {"morning_share", false, TAG_MODEL_NONE},
	[TAG_AFTERNOON_SHARE] = {"afternoon_share", false, TAG_MODEL_NONE},
	[TAG_EVENING_SHARE] = {"evening_share", false, TAG_MODEL_NONE},
	[TAG_TOP_WEEKDAY] = {"top_weekday", false, TAG_MODEL_NONE},
	[TAG_TOP_HOUR] = {"top_hour", false, TAG_MODEL_NONE},
	[TAG_AVG_ORDER_VALUE] = {"avg_order_value", false, TAG_MODEL_NONE},
	[TAG_LINES_PER_ORDER] = {"lines_per_order", false, TAG_MODEL_NONE},
	[TAG_RETURN_RATE] = {"return_rate", false, TAG_MODEL_NONE},
	[TAG_DISCOUNT_SHARE] = {"discount_share", false, TAG_MODEL_NONE},
	[TAG_DISCOUNT_LIFT] = {"discount_lift", false, TAG_MODEL_NONE},
	[TAG_TOP_CATEGORY_SHARE] = {"top_category_share", false, TAG_MODEL_NONE},
	[TAG_CATEGORY_LINE_SHARE] = {"category_line_share", false, TAG_MODEL_NONE},
	[TAG_PRICE_PERCENTILE] = {"price_percentile", false, TAG_MODEL_NONE},
	[TAG_CHANNEL_COUNT] = {"channel_count", false, TAG_MODEL_NONE},
	[TAG_SPEND_RECENT] = {"spend_recent", false, TAG_MODEL_NONE},
	[TAG_SPEND_PREVIOUS] = {"spend_previous", false, TAG_MODEL_NONE},
	[TAG_OVERDUE_SCORE] = {"overdue_score", false, TAG_MODEL_NONE},
	[TAG_R_SCORE] = {"r_score", false, TAG_MODEL_RFM},
	[TAG_F_SCORE] = {"f_score", false, TAG_MODEL_RFM},
	[TAG_M_SCORE] = {"m_score", false, TAG_MODEL_RFM},
	[TAG_CLUSTER] = {"cluster", false, TAG_MODEL_KMEANS},
	[TAG_P_ALIVE] = {"p_alive", false, TAG_MODEL_CLV},
	[TAG_CHURN_RISK] = {"churn_risk", false, TAG_MODEL_CLV},
	[TAG_EXPECTED_PURCHASES] = {"expected_purchases", false, TAG_MODEL_CLV},
	[TAG_CLV] = {"clv", false, TAG_MODEL_CLV},
	[TAG_CATEGORY_SHARE] = {"category_share", true, TAG_MODEL_NONE},
	[TAG_CATEGORY_AFFINITY] = {"category_affinity", true, TAG_MODEL_NONE},
	[TAG_TREND] = {"trend", false, TAG_MODEL_NONE},
	[TAG_TOP_CATEGORY] = {"top_category", false, TAG_MODEL_NONE},
	[TAG_TOP_AFFINITY_CATEGORY] = {"top_affinity_category", false, TAG_MODEL_NONE},
	[TAG_TOP_CHANNEL] = {"top_channel", false, TAG_MODEL_NONE},
	[TAG_SEGMENT] = {"segment", false, TAG_MODEL_RFM},
	[TAG_CLUSTER_LABEL] = {"cluster_label", false, TAG_MODEL_KMEANS},
};

/* The argument of profile.customer_profiles that gives each model */
const char *const tag_model_args[TAG_NMODELS] = {
	[TAG_MODEL_NONE] = NULL,
	[TAG_MODEL_RFM] = "rfm_model",
	[TAG_MODEL_KMEANS] = "kmeans_model",
	[TAG_MODEL_CLV] = "clv_model",
};

static const char *const op_names[] = {"<", "<=", ">", ">=", "=", "<>"};

int
tag_feature_from_name(const char *name)
{
	for (int i = 0; i < TAG_NFEATURES; i++)
		if (strcmp(tag_features[i].name, name) == 0)
			return i;
	return -1;
}

static TagOp
op_from_name(const char *name)
{
	for (int i = 0; i < (int) lengthof(op_names); i++)
		if (strcmp(op_names[i], name) == 0)
			return (TagOp) i;
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("unknown comparison \"%s\" in a tag rule", name),
			 errhint("Use one of <, <=, >, >=, =, <>.")));
}

static void
bad_rule(const char *feature, const char *why, const char *hint)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("invalid tag rule on feature \"%s\": %s", feature, why),
			 hint ? errhint("%s", hint) : 0));
}

/*
 * Check one rule (feature, category, op, value, percentile, text_value);
 * the names are C strings, NULL when SQL NULL.  Returns the feature id.
 */
static int
rule_check(const char *feature, const char *category, const char *op,
		   bool has_value, double value, bool has_percentile, double percentile,
		   const char *text)
{
	int			id;
	TagOp		o;

	if (feature == NULL)
		bad_rule("(null)", "the feature is NULL", NULL);
	id = tag_feature_from_name(feature);
	if (id < 0)
		bad_rule(feature, "unknown feature",
				 "See the README's list of profile features (\"Tags\").");
	if (op == NULL)
		bad_rule(feature, "the comparison is NULL", NULL);
	o = op_from_name(op);
	if (tag_features[id].per_category != (category != NULL))
		bad_rule(feature, tag_features[id].per_category ?
				 "this feature needs a category" : "this feature takes no category", NULL);
	if (id >= TAG_NNUMERIC)
	{
		if (text == NULL || has_value || has_percentile)
			bad_rule(feature, "a text feature is compared with text_value only", NULL);
		if (o != TAG_OP_EQ && o != TAG_OP_NE)
			bad_rule(feature, "a text feature is compared with = or <> only", NULL);
		return id;
	}
	if (text != NULL)
		bad_rule(feature, "a numeric feature takes value or percentile, not text_value", NULL);
	if (has_value == has_percentile)
		bad_rule(feature, "give exactly one of value and percentile", NULL);
	if (has_value && !isfinite(value))
		bad_rule(feature, "the value must be finite", NULL);
	if (has_percentile && !(percentile >= 0.0 && percentile <= 1.0))
		bad_rule(feature, "the percentile must be between 0 and 1", NULL);
	return id;
}

static char *
text_arg(FunctionCallInfo fcinfo, int argno)
{
	return PG_ARGISNULL(argno) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(argno));
}

/*
 * profile.tag_rule_check(feature, category, op, value, percentile,
 * text_value): true, or 22023 naming what is wrong (the CHECK constraint
 * of profile.tag_rules).
 */
PG_FUNCTION_INFO_V1(profile_tag_rule_check);
Datum
profile_tag_rule_check(PG_FUNCTION_ARGS)
{
	rule_check(text_arg(fcinfo, 0), text_arg(fcinfo, 1), text_arg(fcinfo, 2),
			   !PG_ARGISNULL(3), PG_ARGISNULL(3) ? 0.0 : PG_GETARG_FLOAT8(3),
			   !PG_ARGISNULL(4), PG_ARGISNULL(4) ? 0.0 : PG_GETARG_FLOAT8(4),
			   text_arg(fcinfo, 5));
	PG_RETURN_BOOL(true);
}

static char *
spi_text(HeapTuple tuple, TupleDesc desc, int col)
{
	char	   *s = SPI_getvalue(tuple, desc, col);

	return s ? pstrdup(s) : NULL;
}

static double
spi_float(HeapTuple tuple, TupleDesc desc, int col, bool *has)
{
	bool		isnull;
	Datum		d = SPI_getbinval(tuple, desc, col, &isnull);

	*has = !isnull;
	return isnull ? 0.0 : DatumGetFloat8(d);
}

/*
 * tags_load: the rules of the tags named (NULL: every tag whose models
 * are given), in tag name order.  A named tag that does not exist, or
 * whose rule needs a model not given, is an error (22023); unnamed tags
 * needing a missing model are left out.
 */
TagSet *
tags_load(ArrayType *names, const bool *has_model)
{
	MemoryContext cxt = CurrentMemoryContext;
	TagSet	   *set = palloc0(sizeof(TagSet));
	Datum		args[1];
	Oid			argtypes[1] = {TEXTARRAYOID};
	char		nulls[1] = {' '};
	int			ntuples;

	if (names != NULL && array_contains_nulls(names))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("tags must not contain NULL")));
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	if (names != NULL)
	{
		args[0] = PointerGetDatum(names);
		if (SPI_execute_with_args("SELECT n.tag FROM pg_catalog.unnest($1) AS n(tag) "
								  "WHERE NOT EXISTS (SELECT FROM profile.tags t "
								  "WHERE t.tag OPERATOR(pg_catalog.=) n.tag) LIMIT 1",
								  1, argtypes, args, nulls, true, 0) != SPI_OK_SELECT)
			elog(ERROR, "reading profile.tags failed");
		if (SPI_processed > 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("tag \"%s\" does not exist",
							SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1)),
					 errhint("The tags are the rows of profile.tags.")));
	}
	else
		nulls[0] = 'n';
	if (SPI_execute_with_args("SELECT r.tag, r.feature, r.category, r.op, r.value, r.percentile, r.text_value "
							  "FROM profile.tag_rules r "
							  "WHERE $1 IS NULL OR r.tag OPERATOR(pg_catalog.=) ANY ($1) "
							  "ORDER BY r.tag COLLATE \"C\", r.feature COLLATE \"C\", r.rule_id",
							  1, argtypes, args, nulls, true, 0) != SPI_OK_SELECT)
		elog(ERROR, "reading profile.tag_rules failed");
	ntuples = (int) SPI_processed;

	{
		MemoryContext spicxt = MemoryContextSwitchTo(cxt);
		TupleDesc	desc = SPI_tuptable->tupdesc;
		Tag		   *tag = NULL;
		bool		skip = false;

		set->tags = palloc0(sizeof(Tag) * Max(ntuples, 1));
		for (int r = 0; r < ntuples; r++)
		{
			HeapTuple	tuple = SPI_tuptable->vals[r];
			char	   *name = spi_text(tuple, desc, 1);
			char	   *feature = spi_text(tuple, desc, 2);
			TagRule    *rule;
			bool		has_value,
						has_percentile;
			double		value = spi_float(tuple, desc, 5, &has_value);
			double		percentile = spi_float(tuple, desc, 6, &has_percentile);
			char	   *category = spi_text(tuple, desc, 3);
			char	   *op = spi_text(tuple, desc, 4);
			char	   *text = spi_text(tuple, desc, 7);
			int			id;

			if (tag == NULL || strcmp(tag->name, name) != 0)
			{
				if (tag != NULL && skip)
					set->ntags--;
				tag = &set->tags[set->ntags++];
				tag->name = name;
				tag->nrules = 0;
				tag->rules = palloc0(sizeof(TagRule) * (ntuples - r));
				skip = false;
			}
			/* checked when written; checked again: the table is data */
			id = rule_check(feature, category, op, has_value, value, has_percentile,
							percentile, text);
			if (!has_model[tag_features[id].model])
			{
				if (names != NULL)
					ereport(ERROR,
							(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
							 errmsg("tag \"%s\" tests %s, which needs %s",
									name, feature, tag_model_args[tag_features[id].model]),
							 errhint("Name a model in %s, or leave tag \"%s\" out.",
									 tag_model_args[tag_features[id].model], name)));
				skip = true;
			}
			rule = &tag->rules[tag->nrules++];
			rule->feature = id;
			rule->op = op_from_name(op);
			rule->category = category;
			rule->value = value;
			rule->relative = has_percentile;
			rule->percentile = percentile;
			rule->text = text;
			rule->threshold = value;
		}
		if (tag != NULL && skip)
			set->ntags--;
		MemoryContextSwitchTo(spicxt);
	}
	SPI_finish();
	return set;
}

/* Does a value (NaN: NULL) or text (NULL) pass the rule?  NULL never does. */
bool
tag_rule_compare(const TagRule *rule, double value, const char *text)
{
	if (rule->feature >= TAG_NNUMERIC)
	{
		if (text == NULL)
			return false;
		return (strcmp(text, rule->text) == 0) == (rule->op == TAG_OP_EQ);
	}
	if (isnan(value))
		return false;
	switch (rule->op)
	{
		case TAG_OP_LT:
			return value < rule->threshold;
		case TAG_OP_LE:
			return value <= rule->threshold;
		case TAG_OP_GT:
			return value > rule->threshold;
		case TAG_OP_GE:
			return value >= rule->threshold;
		case TAG_OP_EQ:
			return value == rule->threshold;
		case TAG_OP_NE:
			return value != rule->threshold;
	}
	return false;
}

/*
 * BEFORE ROW trigger on profile.tags and profile.tag_rules, fired (WHEN
 * clauses) for rows of preset tags: they change only while the
 * extension's own scripts run, so that pg_dump, which keeps the user's
 * tags only, loses nothing.
 */
PG_FUNCTION_INFO_V1(profile_tags_guard);
Datum
profile_tags_guard(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata = (TriggerData *) fcinfo->context;

	if (!CALLED_AS_TRIGGER(fcinfo))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("%s can only be called as a trigger", __func__)));
	if (!creating_extension)
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("preset tags are built in and cannot be changed"),
				 errhint("Insert a tag of your own (preset = false), for example a copy of the preset under a new name (README: Tags).")));
	return PointerGetDatum(TRIGGER_FIRED_BY_UPDATE(trigdata->tg_event) ?
						   trigdata->tg_newtuple : trigdata->tg_trigtuple);
}
