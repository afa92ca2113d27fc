/*-------------------------------------------------------------------------
 *
 * profile.h
 *	  Limits, shared types and cross-file declarations of the profile
 *	  extension.
 *
 * Every module uses the helpers declared here rather than its own:
 * input checks and the memory budget (check.c), inner-query execution
 * (query.c), the model catalog (model.c) and the seeded PRNG (prng.h).
 *
 * IDENTIFICATION
 *	  src/profile.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef PROFILE_H
#define PROFILE_H

#include "fmgr.h"
#include "utils/array.h"
#include "lib/stringinfo.h"
#include "utils/date.h"
#include "utils/jsonb.h"
#include "utils/timestamp.h"

/* ---- settings (profile.c) ---- */

/* profile.memory_budget, in kilobytes */
extern int	profile_memory_budget_kb;

/* profile.progress and profile.progress_interval (milliseconds) */
typedef enum ProgressMessages
{
	PROGRESS_MESSAGES_OFF,
	PROGRESS_MESSAGES_NOTICE,
	PROGRESS_MESSAGES_LOG
} ProgressMessages;
extern int	profile_progress_mode;
extern int	profile_progress_interval_ms;

/* profile.behaviour_reader: how customer profiles read their query */
#define BEHAVIOUR_READER_FOLD		0
#define BEHAVIOUR_READER_AGGREGATE	1
extern int	profile_behaviour_reader;

#define PROFILE_DEFAULT_MEMORY_BUDGET_KB	(512 * 1024)	/* 512MB */

/* profile.min_group_size: the privacy floor of shared outputs (privacy.c) */
extern int	profile_min_group_size;

#define PROFILE_MAX_GROUP_SIZE	1000000

/* ---- input checks (check.c) ---- */

extern void check_finite(double value, const char *what);
extern void check_int_range(int64 value, int64 min, int64 max,
							const char *what);
extern void check_float_range(double value, double min, double max,
							  const char *what);
extern void check_arg_not_null(FunctionCallInfo fcinfo, int argno,
							   const char *argname);
extern MemoryContext check_aggregate_call(FunctionCallInfo fcinfo,
										  const char *fname);
extern const double *check_features(ArrayType *array, int expected,
									int *length);
extern const double *float8_array_values(ArrayType *array);
extern int	compare_float8(const void *a, const void *b);
extern ArrayType *flat_array_create(Oid elemtype, Size elemsize, int64 length);
extern void *flat_array_data(ArrayType *array);

/* Squared Euclidean distance of two rows of d doubles (k-means, metrics) */
static inline double
squared_distance(const double *a, const double *b, int d)
{
	double		sum = 0.0;

	for (int j = 0; j < d; j++)
	{
		double		diff = a[j] - b[j];

		sum += diff * diff;
	}
	return sum;
}

/* ---- memory budget (check.c) ---- */

/*
 * Bytes a training run has reserved against profile.memory_budget.  A run
 * reserves before it allocates; budget_reserve() fails early with
 * program_limit_exceeded (54000), naming both numbers and the setting.
 */
typedef struct MemoryBudget
{
	const char *what;			/* "k-means", for messages */
	Size		limit;			/* bytes, from profile.memory_budget */
	Size		used;			/* bytes reserved so far */
} MemoryBudget;

extern void budget_init(MemoryBudget *budget, const char *what);
extern void budget_reserve(MemoryBudget *budget, Size bytes,
						   const char *purpose);
extern void budget_reserve_array(MemoryBudget *budget, Size count,
								 Size elemsize, const char *purpose);
extern void budget_release(MemoryBudget *budget, Size bytes);
extern Size budget_mul(Size a, Size b, const char *what);

/* ---- progress of long work (progress.c) ---- */

extern void progress_init(void);
extern void progress_begin(const char *function);
extern void progress_end(void);
extern bool progress_active(void);
extern void progress_phase(const char *phase, const char *unit, int64 total);
extern void progress_done(int64 done);
extern void progress_rows(int64 rows);

/* ---- inner queries (query.c) ---- */

/*
 * What a column of an inner query may be, and what the batch holds for it.
 */
typedef enum InnerColumnKind
{
	INNER_KEY,					/* int2/int4/int8/text/varchar/uuid: an id,
								 * kept as the original Datum */
	INNER_NUMBER,				/* any integer, float or numeric type: a
								 * float8 Datum */
	INNER_TIME,					/* timestamptz, timestamp (session time zone)
								 * or date: a TimestampTz Datum */
	INNER_FLOAT8_ARRAY,			/* float8[]: the detoasted array, copied */
	INNER_ITEMS					/* an INNER_KEY type, or an array of one:
								 * the detoasted array, copied */
} InnerColumnKind;

typedef struct InnerColumn
{
	const char *name;			/* "customer_id", for messages */
	InnerColumnKind kind;
	bool		optional;		/* may be left out (trailing columns only) */
} InnerColumn;

/* One batch of rows, by column: values[col][row], nulls[col][row] */
typedef struct InnerBatch
{
	int			nrows;
	Datum	  **values;
	bool	  **nulls;
} InnerBatch;

typedef struct InnerQuery InnerQuery;

extern void inner_query_check(const char *caller, const char *sql);
extern InnerQuery *inner_query_open(const char *caller, const char *sql,
									const InnerColumn *columns, int ncolumns);
extern int	inner_query_ncolumns(InnerQuery *query);
extern Oid	inner_query_column_type(InnerQuery *query, int column);
extern int	inner_query_shape(const char *caller, const char *sql,
							  const InnerColumn *columns, int ncolumns,
							  Oid *types);
extern const InnerBatch *inner_query_fetch(InnerQuery *query);

typedef void (*InnerRowFunction) (const Datum *values, const bool *nulls, void *arg);
extern void inner_query_each(InnerQuery *query, InnerRowFunction fn, void *arg);
extern uint64 inner_query_rows_read(InnerQuery *query);
extern void inner_query_close(InnerQuery *query);

#define INNER_QUERY_BATCH_ROWS	8192

/* ---- the privacy floor (privacy.c) ---- */

extern int32 privacy_floor(FunctionCallInfo fcinfo, int argno);
extern int64 privacy_min_count(const char *caller, int64 min_count);
extern int64 privacy_rule_floor(void);

/* ---- RFM: per-customer summaries (rfm_summary.c) ---- */

/* What rows of one customer add up to (see rfm_summary.c for the rules) */
typedef struct RfmAccum
{
	int64		purchases;		/* rows with amount >= 0 */
	int64		returns;		/* rows with amount < 0 */
	double		monetary;		/* net sum ... */
	double		compensation;	/* ... plus this (Neumaier summation) */
	TimestampTz first_order;	/* first and last purchase; DT_NOEND and */
	TimestampTz last_order;		/* DT_NOBEGIN while there is none */
} RfmAccum;

/* A set of order keys: open addressing, 0 marks an empty slot */
typedef struct RfmKeySet
{
	uint32		capacity;		/* 0 or a power of 2 */
	uint32		count;			/* non-zero keys held */
	uint8		has_zero;		/* key 0 is in the set */
	uint64	   *slots;
} RfmKeySet;

typedef struct RfmCustomers RfmCustomers;

extern void rfm_accum_init(RfmAccum *accum);
extern void rfm_accum_merge(RfmAccum *into, const RfmAccum *from);
extern DateADT rfm_as_of_day(TimestampTz as_of, TimestampTz latest);
extern void rfm_accum_days(const RfmAccum *accum, DateADT as_of_day,
						   int32 *recency_days, int32 *tenure_days);
extern double rfm_accum_monetary(const RfmAccum *accum);
extern uint64 rfm_order_key(Datum value, Oid typid);

extern RfmCustomers *rfm_customers_create(MemoryBudget *budget, bool byvalue,
										  bool keyed);
extern void rfm_customers_add_batch(RfmCustomers *customers,
									const InnerBatch *batch,
									Oid customer_type, Oid order_type,
									int64 *skipped_no_customer,
									int64 *skipped_null);
extern int32 rfm_customers_count(RfmCustomers *customers);
extern TimestampTz rfm_customers_latest(RfmCustomers *customers);
extern const RfmAccum *rfm_customers_accum(RfmCustomers *customers, int32 index);
extern int64 rfm_customers_frequency(RfmCustomers *customers, int32 index);
extern char *rfm_customers_id_text(RfmCustomers *customers, int32 index,
								   Oid customer_type);
extern void rfm_customers_free(RfmCustomers *customers);

/* ---- tie-aware quantile scores (quantile.c) ---- */

#define PROFILE_MAX_BINS	1000

extern void quantile_scores(const double *values, int64 n, int bins,
							bool descending, int32 *scores,
							MemoryBudget *budget);
extern void quantile_boundaries(const double *values, int64 n, int bins,
								bool descending, double *boundaries,
								MemoryBudget *budget);
extern int32 quantile_score_of(double value, const double *boundaries,
							   int bins, bool descending);

/* ---- RFM segment maps (segment_map.c) ---- */

#define RFM_MAX_BINS	9		/* scores are single digits in the RFM cell */

/* A segment map resolved to a cube: cells[((r-1)*bins + f-1)*bins + m-1] */
typedef struct SegmentMap
{
	char	   *name;
	int			bins;
	int			nsegments;
	char	  **segments;		/* segment names, by index */
	int16	   *cells;			/* segment index per cell; -1: the default */
	char	   *default_segment;	/* NULL: every cell is covered */
} SegmentMap;

extern SegmentMap *segment_map_load(const char *name);
extern const char *segment_map_lookup(const SegmentMap *map, int r, int f, int m);

/* Scoring customers with a stored RFM model (rfm.c) */
typedef struct RfmScorer
{
	const char *model;			/* its name */
	SegmentMap *map;			/* loaded on first use */
} RfmScorer;

extern void rfm_model_score(RfmScorer *scorer, int32 recency_days, int64 frequency,
							double monetary, int32 *scores, const char **segment);

/* ---- k-means (kmeans.c) ---- */

#define PROFILE_MAX_CLUSTERS	1000
#define PROFILE_MAX_DIMENSIONS	1000

typedef enum KmeansScaling
{
	KMEANS_SCALE_NONE = 0,
	KMEANS_SCALE_ZSCORE = 1,	/* (x - mean) / std, population std */
	KMEANS_SCALE_LOG = 2,		/* z-score of log1p(x); x must be > -1 */
	KMEANS_SCALE_ROBUST = 3,	/* (x - median) / IQR */
	KMEANS_SCALE_MINMAX = 4		/* (x - min) / (max - min) */
} KmeansScaling;

typedef struct KmeansOptions
{
	int			k;
	int			n_init;			/* restarts; the best inertia wins */
	int			max_iter;
	double		tol;			/* relative to the mean feature variance */
	int64		seed;
	KmeansScaling scaling;
	const double *init;			/* k x d initial centroids in original
								 * units, or NULL for k-means++ */
} KmeansOptions;

/* A fitted model; centroids live in the scaled space */
typedef struct KmeansModel
{
	int			k;
	int			d;
	KmeansScaling scaling;
	double	   *shift;			/* d: subtracted after the transform */
	double	   *scale;			/* d: then divided by (never 0) */
	double	   *centroids;		/* k x d, row-major, scaled space */
	int64	   *sizes;			/* k */
	int64		n;				/* points fitted */
	double		inertia;		/* sum of squared distances, scaled space */
	int			iterations;		/* of the best run */
	bool		converged;
	int			n_init;
	uint64		seed;
} KmeansModel;

extern KmeansScaling kmeans_scaling_from_name(const char *name);
extern const char *kmeans_scaling_name(KmeansScaling scaling);
extern void kmeans_check_options(const KmeansOptions *options, int d);
extern KmeansModel *kmeans_fit(double *points, int64 n, int d,
							   const KmeansOptions *options,
							   int32 *labels, MemoryBudget *budget);
extern int64 kmeans_canonical_order(double *points, int64 n, int d,
									MemoryBudget *budget);
extern void kmeans_seed(const double *points, int64 n, int d, int k,
						uint64 seed, int run, double *centroids,
						MemoryBudget *budget);
extern void kmeans_scale_point(const KmeansModel *model, const double *x,
							   double *out);
extern void kmeans_unscale_point(const KmeansModel *model, const double *x,
								 double *out);
extern KmeansModel *kmeans_model_lookup(const char *name, char ***labels);
extern int	kmeans_model_nearest(const KmeansModel *model, const double *x,
								 double *dist_sq);
extern int	kmeans_nearest(const KmeansModel *model, const double *scaled,
						   double *distance_sq);

/* k-means models (kmeans_model.c) */
extern bytea *kmeans_model_encode(const KmeansModel *model);
extern KmeansModel *kmeans_model_decode(const char *name, const bytea *body);
extern KmeansModel *kmeans_model_from_arg(FunctionCallInfo fcinfo, int argno,
										  double **scratch);

/* ---- model catalog (model.c) ---- */

/* A model row as stored in profile.models */
typedef struct ModelRow
{
	char	   *name;
	char	   *kind;
	int32		format;
	Jsonb	   *params;
	Jsonb	   *summary;
	bytea	   *body;			/* NULL when the model keeps no body */
} ModelRow;

/*
 * Turns a stored body into the in-memory model a kind works with.
 * model_get() has checked the kind and the body's format and that there is
 * a body.  Runs in the cache entry's own memory context; must check
 * everything it reads (a stored model is untrusted input) and ereport on a
 * bad one.
 */
typedef void *(*ModelDecodeFn) (const char *name, const bytea *body);

/* What model_get_by_arg() keeps in fn_extra */
typedef struct ModelCallCache
{
	char	   *name;			/* NUL-terminated */
	int			len;
	uint64		generation;
	void	   *model;
	void	   *extra;			/* the caller's, reset with the model */
	MemoryContext extra_cxt;	/* if set, deleted when extra is reset */
} ModelCallCache;

extern void model_init(void);
extern void model_store(const char *name, const char *kind, int32 format,
						Jsonb *params, Jsonb *summary, bytea *body);
extern void *model_get(const char *name, const char *kind, int32 format,
					   ModelDecodeFn decode);
extern void *model_get_by_arg(FunctionCallInfo fcinfo, int argno,
							  const char *kind, int32 format,
							  ModelDecodeFn decode);
extern bool model_exists(const char *name);
extern void catalog_check_name(const char *name, const char *kind);
extern void model_check_name(const char *name);
extern void model_cache_reset(void);
extern int	model_cache_entries(void);
extern uint64 model_cache_loads(void);
extern uint64 model_cache_generation(void);

/* params and summary objects: begin, then key + appended value, finish */
extern void model_json_begin(StringInfo buf);
extern void model_json_key(StringInfo buf, const char *key);
extern Jsonb *model_json_finish(StringInfo buf);

#endif							/* PROFILE_H */
