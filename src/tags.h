/*-------------------------------------------------------------------------
 *
 * tags.h
 *	  Tags as data: the profile features a tag rule may test, and the rules
 *	  of profile.tag_rules read for one call.
 *
 * IDENTIFICATION
 *	  src/tags.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef PROFILE_TAGS_H
#define PROFILE_TAGS_H

#include "postgres.h"

#include "utils/array.h"

/* Profile features by id: numeric ones first, then the text ones */
typedef enum TagFeature
{
	TAG_ORDERS,
	TAG_LINES,
	TAG_SPEND,
	TAG_RETURNED,
	TAG_NET_SPEND,
	TAG_RECENCY_DAYS,
	TAG_TENURE_DAYS,
	TAG_WEEKEND_SHARE,
	TAG_NIGHT_SHARE,
	TAG_MORNING_SHARE,
	TAG_AFTERNOON_SHARE,
	TAG_EVENING_SHARE,
	TAG_TOP_WEEKDAY,
	TAG_TOP_HOUR,
	TAG_AVG_ORDER_VALUE,
	TAG_LINES_PER_ORDER,
	TAG_RETURN_RATE,
	TAG_DISCOUNT_SHARE,
	TAG_DISCOUNT_LIFT,
	TAG_TOP_CATEGORY_SHARE,
	TAG_CATEGORY_LINE_SHARE,
	TAG_PRICE_PERCENTILE,
	TAG_CHANNEL_COUNT,
	TAG_SPEND_RECENT,
	TAG_SPEND_PREVIOUS,
	TAG_OVERDUE_SCORE,
	TAG_R_SCORE,
	TAG_F_SCORE,
	TAG_M_SCORE,
	TAG_CLUSTER,
	TAG_P_ALIVE,
	TAG_CHURN_RISK,
	TAG_EXPECTED_PURCHASES,
	TAG_CLV,
	TAG_CATEGORY_SHARE,			/* per category */
	TAG_CATEGORY_AFFINITY,		/* per category */
	TAG_NNUMERIC,
	TAG_TREND = TAG_NNUMERIC,
	TAG_TOP_CATEGORY,
	TAG_TOP_AFFINITY_CATEGORY,
	TAG_TOP_CHANNEL,
	TAG_SEGMENT,
	TAG_CLUSTER_LABEL,
	TAG_NFEATURES
} TagFeature;

#define TAG_NTEXT	(TAG_NFEATURES - TAG_NNUMERIC)

/* The model a feature comes from */
typedef enum TagModel
{
	TAG_MODEL_NONE,
	TAG_MODEL_RFM,
	TAG_MODEL_KMEANS,
	TAG_MODEL_CLV,
	TAG_NMODELS
} TagModel;

typedef struct TagFeatureInfo
{
	const char *name;
	bool		per_category;
	TagModel	model;
} TagFeatureInfo;

extern const TagFeatureInfo tag_features[TAG_NFEATURES];
extern const char *const tag_model_args[TAG_NMODELS];

typedef enum TagOp
{
	TAG_OP_LT,
	TAG_OP_LE,
	TAG_OP_GT,
	TAG_OP_GE,
	TAG_OP_EQ,
	TAG_OP_NE
} TagOp;

typedef struct TagRule
{
	int			feature;		/* TagFeature */
	TagOp		op;
	char	   *category;		/* per-category features */
	double		value;			/* absolute threshold */
	bool		relative;		/* threshold = the population's percentile */
	double		percentile;
	char	   *text;			/* text features */
	double		threshold;		/* resolved (value, or the percentile's) */
} TagRule;

typedef struct Tag
{
	char	   *name;
	int			nrules;
	TagRule    *rules;
} Tag;

typedef struct TagSet
{
	int			ntags;
	Tag		   *tags;
} TagSet;

extern int	tag_feature_from_name(const char *name);
extern TagSet *tags_load(ArrayType *names, const bool *has_model);
extern bool tag_rule_compare(const TagRule *rule, double value, const char *text);

#endif							/* PROFILE_TAGS_H */
