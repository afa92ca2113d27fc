/*-------------------------------------------------------------------------
 *
 * privacy.c
 *	  The privacy floor of shared outputs: profile.min_group_size.
 *
 * Dashboards show groups, and a group of one or two customers shows
 * individuals.  The setting profile.min_group_size (profile.c; default 1,
 * no suppression) is the fewest customers a group of a shared output may
 * have:
 *
 *	- segment_migration, segment_flows, cohorts, rfm_segment_summary and
 *	  audience_summary keep the row of a smaller group, with its keys, and
 *	  NULL figures and suppressed = true (their SQL or C reads the floor
 *	  through privacy_floor() or profile.privacy_floor());
 *	- frequent itemsets and rules count baskets: an itemset or rule held
 *	  by fewer baskets than the floor is never produced (the minimum count
 *	  of mining is raised to it, with a NOTICE), and recommendations and
 *	  the view profile.rules skip stored rules below it.
 *
 * A function's own min_group_size argument can only raise the floor: the
 * setting is superuser-only (PGC_SUSET), so a dashboard role given a floor
 * by ALTER ROLE ... SET cannot lower it with SET.  One gap remains in
 * PostgreSQL itself: a value given at connection (PGOPTIONS='-c ...') for
 * a setting whose library is not loaded yet replaces the ALTER ROLE value,
 * and is then refused when the library loads, which leaves the default.
 * So for a role that is not a superuser, the floor is also at least the
 * value ALTER ROLE / ALTER DATABASE ... SET stored for its session
 * (pg_db_role_setting, read once per session, in PostgreSQL's order of
 * precedence).  A floor in postgresql.conf has the same gap; loading the
 * library with shared_preload_libraries closes it (README "Privacy
 * floor").
 *
 * IDENTIFICATION
 *	  src/privacy.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/parallel.h"
#include "access/table.h"
#include "access/xact.h"
#include "catalog/pg_db_role_setting.h"
#include "catalog/pg_type.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/guc.h"
#include "utils/rel.h"

#include "profile.h"

#define MIN_GROUP_SIZE_NAME		"profile.min_group_size"

static bool stored_known = false;
static int	stored_floor = 1;

/* The value of our setting in one pg_db_role_setting row, or 0 */
static int
stored_value(Relation rel, Oid database, Oid role)
{
	ScanKeyData keys[2];
	SysScanDesc scan;
	HeapTuple	tuple;
	int			result = 0;

	ScanKeyInit(&keys[0], Anum_pg_db_role_setting_setdatabase, BTEqualStrategyNumber,
				F_OIDEQ, ObjectIdGetDatum(database));
	ScanKeyInit(&keys[1], Anum_pg_db_role_setting_setrole, BTEqualStrategyNumber,
				F_OIDEQ, ObjectIdGetDatum(role));
	scan = systable_beginscan(rel, DbRoleSettingDatidRolidIndexId, true, NULL, 2, keys);
	while (HeapTupleIsValid(tuple = systable_getnext(scan)))
	{
		bool		isnull;
		Datum		config = heap_getattr(tuple, Anum_pg_db_role_setting_setconfig,
										  RelationGetDescr(rel), &isnull);
		Datum	   *items;
		bool	   *nulls;
		int			n;

		if (isnull)
			continue;
		deconstruct_array(DatumGetArrayTypeP(config), TEXTOID, -1, false, TYPALIGN_INT,
						  &items, &nulls, &n);
		for (int i = 0; i < n; i++)
		{
			char	   *name;
			char	   *value;
			int			parsed;

			if (nulls[i])
				continue;
			ParseLongOption(TextDatumGetCString(items[i]), &name, &value);
			if (value != NULL && pg_strcasecmp(name, MIN_GROUP_SIZE_NAME) == 0 &&
				parse_int(value, &parsed, 0, NULL) &&
				parsed >= 1 && parsed <= PROFILE_MAX_GROUP_SIZE)
				result = parsed;
		}
	}
	systable_endscan(scan);
	return result;
}

/*
 * privacy_setting: profile.min_group_size, and for a role that is not a
 * superuser at least the value stored for its session by ALTER ROLE /
 * ALTER DATABASE ... SET (see the header).
 */
static int
privacy_setting(void)
{
	if (!stored_known && IsTransactionState() && OidIsValid(MyDatabaseId))
	{
		Relation	rel = table_open(DbRoleSettingRelationId, AccessShareLock);
		Oid			role = GetSessionUserId();
		int			value;

		/* PostgreSQL's precedence: database and role, role, database, all */
		value = stored_value(rel, MyDatabaseId, role);
		if (value == 0)
			value = stored_value(rel, InvalidOid, role);
		if (value == 0)
			value = stored_value(rel, MyDatabaseId, InvalidOid);
		if (value == 0)
			value = stored_value(rel, InvalidOid, InvalidOid);
		table_close(rel, AccessShareLock);
		stored_floor = Max(value, 1);
		stored_known = true;
	}
	if (stored_known && stored_floor > profile_min_group_size && !superuser())
		return stored_floor;
	return profile_min_group_size;
}

/*
 * privacy_floor: the effective floor of a call whose argument argno is its
 * min_group_size: the setting when the argument is NULL, else the larger
 * of both.  An argument outside 1 .. PROFILE_MAX_GROUP_SIZE is an error
 * (22023).
 */
int32
privacy_floor(FunctionCallInfo fcinfo, int argno)
{
	int32		requested;

	if (PG_ARGISNULL(argno))
		return privacy_setting();
	requested = PG_GETARG_INT32(argno);
	check_int_range(requested, 1, PROFILE_MAX_GROUP_SIZE, "min_group_size");
	return Max(requested, privacy_setting());
}

/*
 * privacy_min_count: the minimum count of a mining run (baskets an itemset
 * must be in), raised to the floor when the floor is higher, with a NOTICE
 * saying so: an itemset or rule held by fewer baskets is never produced.
 */
int64
privacy_min_count(const char *caller, int64 min_count)
{
	int			floor = privacy_setting();

	if (floor <= min_count)
		return min_count;
	ereport(NOTICE,
			(errmsg("%s raised the minimum count from " INT64_FORMAT " to %d baskets (profile.min_group_size)",
					caller, min_count, floor),
			 errdetail("Itemsets and rules held by fewer than %d baskets are not produced.",
					   floor)));
	return floor;
}

/* privacy_rule_floor: the fewest baskets a stored rule shown must have */
int64
privacy_rule_floor(void)
{
	return privacy_setting();
}

PG_FUNCTION_INFO_V1(profile_privacy_floor);

/*
 * profile.privacy_floor(min_group_size integer DEFAULT NULL) returns
 * integer: the floor a call with that argument uses.  The SQL functions
 * that apply the floor call it.
 */
Datum
profile_privacy_floor(PG_FUNCTION_ARGS)
{
	PG_RETURN_INT32(privacy_floor(fcinfo, 0));
}
