/*-------------------------------------------------------------------------
 *
 * customer_profiles.h
 *	  A run of profile.customer_profiles: customers' behaviour states (from
 *	  a query, or stored), their profiles and tags.  Shared by the one-call
 *	  function and the stored, refreshed profiles (profile_store.c).
 *
 * IDENTIFICATION
 *	  src/customer_profiles.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef PROFILE_CUSTOMER_PROFILES_H
#define PROFILE_CUSTOMER_PROFILES_H

#include "fmgr.h"
#include "datatype/timestamp.h"
#include "utils/array.h"

#include "behaviour.h"

/* columns of a profile query: customer_id .. order_id, quantity (1.1) */
#define PROFILE_QUERY_COLUMNS 8

/* columns of profile.customer_profile: customer_id, 47 features, tags */
#define PROFILE_NCOLUMNS 49

/* The options of a run (the arguments of profile.customer_profiles) */
typedef struct ProfileOptions
{
	bool		has_as_of;
	TimestampTz as_of;
	int			period_days;
	char	   *rfm_model;		/* NULL: none */
	char	   *kmeans_model;
	ArrayType  *kmeans_features;
	char	   *clv_model;
	int			months;
	double		discount_rate;
	ArrayType  *tags;			/* NULL: every tag whose models are given */
} ProfileOptions;

typedef struct ProfileRun ProfileRun;

extern void profile_options_from_args(FunctionCallInfo fcinfo, int first,
									  ProfileOptions *opts);
extern char *profile_query_shape(const char *caller, const char *sql, Oid *types,
								 int *ncols);
extern ProfileRun *profile_run_create(const char *caller, const ProfileOptions *opts);
extern void profile_run_read(ProfileRun *run, const char *sql, bool text_ids);
extern void profile_run_add_state(ProfileRun *run, const char *customer_id, Datum state);
extern void profile_run_compute(ProfileRun *run);
extern bool profile_run_row(ProfileRun *run, int32 c, Datum *values, bool *nulls);
extern int32 *profile_run_sorted(const ProfileRun *run);
extern void profile_run_emit(ProfileRun *run, FunctionCallInfo fcinfo);
extern int32 profile_run_customers(const ProfileRun *run);
extern const BehaviourState *profile_run_state(const ProfileRun *run, int32 c);
extern Datum profile_run_customer_id(const ProfileRun *run, int32 c);
extern TimestampTz profile_run_latest(const ProfileRun *run);
extern const char *profile_run_query_columns(const ProfileRun *run);
extern uint64 profile_run_rows_read(const ProfileRun *run);

#endif							/* PROFILE_CUSTOMER_PROFILES_H */
