/*-------------------------------------------------------------------------
 *
 * segment_map.c
 *	  Named segment maps: from (R, F, M) scores to segment names.
 *
 * A map is a row of profile.rfm_segment_maps (its bins and an optional
 * default segment) and rows of profile.rfm_segment_rules, each a box of
 * scores (a NULL bound means "any") with a priority and a segment.  A cell
 * belongs to the matching rule with the lowest priority number.  Loading a
 * map resolves it into a cube of bins^3 cells and validates it:
 *	- every bound lies in 1 .. bins;
 *	- two rules of the same priority and different segments never share a
 *	  cell (that would leave the winner undefined): "overlap";
 *	- without a default segment, every cell is covered: "gap".
 * Errors name the rule or the cell (22023).  The same validation runs when
 * a transaction that changed a map commits (a deferred constraint
 * trigger), so a broken map is refused at creation; and once more when a
 * map is loaded for scoring.  Built-in maps are read-only outside the
 * extension's own scripts.
 *
 * IDENTIFICATION
 *	  src/segment_map.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "commands/extension.h"
#include "commands/trigger.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "utils/builtins.h"
#include "utils/memutils.h"
#include "utils/rel.h"

#include "profile.h"

#define CELL_UNCLAIMED	(-2)
#define CELL_DEFAULT	(-1)

static int
segment_index(SegmentMap *map, const char *segment, MemoryContext cxt)
{
	for (int i = 0; i < map->nsegments; i++)
		if (strcmp(map->segments[i], segment) == 0)
			return i;
	map->segments[map->nsegments] = MemoryContextStrdup(cxt, segment);
	return map->nsegments++;
}

static int
spi_int(int row, int col, bool *isnull)
{
	Datum		d = SPI_getbinval(SPI_tuptable->vals[row], SPI_tuptable->tupdesc, col, isnull);

	return *isnull ? 0 : DatumGetInt32(d);
}

/*
 * load_map: read, validate and resolve a map; NULL when it does not exist
 * and missing_ok.  The result lives in the caller's memory context.
 * read_only reads with the current snapshot, as a STABLE function must;
 * the deferred check trigger needs the changes of its own statement too.
 */
static SegmentMap *
load_map(const char *name, bool missing_ok, bool read_only)
{
	MemoryContext cxt = CurrentMemoryContext;
	SegmentMap *map;
	Oid			argtypes[1] = {TEXTOID};
	Datum		args[1];
	int			ret;
	bool		isnull;
	int			ncells;
	int		   *claimed_by;		/* priority that claimed each cell */
	uint64		nrules;

	args[0] = CStringGetTextDatum(name);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");

	ret = SPI_execute_with_args("SELECT bins, default_segment FROM profile.rfm_segment_maps "
								"WHERE name OPERATOR(pg_catalog.=) $1",
								1, argtypes, args, NULL, read_only, 1);
	if (ret != SPI_OK_SELECT)
		elog(ERROR, "reading profile.rfm_segment_maps failed: %d", ret);
	if (SPI_processed == 0)
	{
		SPI_finish();
		if (missing_ok)
			return NULL;
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("segment map \"%s\" does not exist", name),
				 errhint("Segment maps are the rows of profile.rfm_segment_maps; built in are \"rf_grid\" and \"r_rfm\".")));
	}

	map = MemoryContextAllocZero(cxt, sizeof(SegmentMap));
	map->name = MemoryContextStrdup(cxt, name);
	map->bins = spi_int(0, 1, &isnull);
	if (isnull || map->bins < 2 || map->bins > RFM_MAX_BINS)
		elog(ERROR, "segment map \"%s\" has bad bins", name);	/* CHECK prevents it */
	{
		char	   *def = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2);

		map->default_segment = def ? MemoryContextStrdup(cxt, def) : NULL;
	}

	ret = SPI_execute_with_args("SELECT priority, segment, r_min, r_max, f_min, f_max, m_min, m_max "
								"FROM profile.rfm_segment_rules "
								"WHERE segment_map OPERATOR(pg_catalog.=) $1 "
								"ORDER BY priority, segment COLLATE \"C\"",
								1, argtypes, args, NULL, read_only, 0);
	if (ret != SPI_OK_SELECT)
		elog(ERROR, "reading profile.rfm_segment_rules failed: %d", ret);
	nrules = SPI_processed;

	ncells = map->bins * map->bins * map->bins;
	map->cells = MemoryContextAlloc(cxt, sizeof(int16) * ncells);
	map->segments = MemoryContextAlloc(cxt, sizeof(char *) * (nrules + 1));
	claimed_by = palloc(sizeof(int) * ncells);
	for (int c = 0; c < ncells; c++)
		map->cells[c] = CELL_UNCLAIMED;

	for (uint64 r = 0; r < nrules; r++)
	{
		int			priority = spi_int(r, 1, &isnull);
		char	   *segment = SPI_getvalue(SPI_tuptable->vals[r], SPI_tuptable->tupdesc, 2);
		int			lo[3],
					hi[3];
		static const char *const bound_names[6] =
		{"r_min", "r_max", "f_min", "f_max", "m_min", "m_max"};
		int			index;

		for (int d = 0; d < 3; d++)
		{
			int			v;

			v = spi_int(r, 3 + 2 * d, &isnull);
			lo[d] = isnull ? 1 : v;
			v = spi_int(r, 4 + 2 * d, &isnull);
			hi[d] = isnull ? map->bins : v;
			for (int b = 0; b < 2; b++)
			{
				int			bound = b == 0 ? lo[d] : hi[d];

				if (bound < 1 || bound > map->bins)
					ereport(ERROR,
							(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
							 errmsg("rule \"%s\" (priority %d) of segment map \"%s\": %s = %d is outside the scores 1 to %d",
									segment, priority, name, bound_names[2 * d + b], bound,
									map->bins)));
			}
			if (lo[d] > hi[d])
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("rule \"%s\" (priority %d) of segment map \"%s\": %s = %d is above %s = %d",
								segment, priority, name, bound_names[2 * d], lo[d],
								bound_names[2 * d + 1], hi[d])));
		}

		index = segment_index(map, segment, cxt);
		for (int rs = lo[0]; rs <= hi[0]; rs++)
			for (int fs = lo[1]; fs <= hi[1]; fs++)
				for (int ms = lo[2]; ms <= hi[2]; ms++)
				{
					int			c = ((rs - 1) * map->bins + fs - 1) * map->bins + ms - 1;

					if (map->cells[c] == CELL_UNCLAIMED)
					{
						map->cells[c] = index;
						claimed_by[c] = priority;
					}
					else if (claimed_by[c] == priority && map->cells[c] != index)
						ereport(ERROR,
								(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
								 errmsg("rules \"%s\" and \"%s\" of segment map \"%s\" have the same priority %d and overlap at R=%d F=%d M=%d",
										map->segments[map->cells[c]], segment, name,
										priority, rs, fs, ms),
								 errhint("Give one of them a lower priority number, which then wins, or make them disjoint.")));
				}
	}

	for (int c = 0; c < ncells; c++)
	{
		if (map->cells[c] != CELL_UNCLAIMED)
			continue;
		if (map->default_segment == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("segment map \"%s\" leaves the cell R=%d F=%d M=%d without a segment",
							name, c / (map->bins * map->bins) + 1,
							(c / map->bins) % map->bins + 1, c % map->bins + 1),
					 errhint("Add a rule covering it, or set default_segment of the map.")));
		map->cells[c] = CELL_DEFAULT;
	}

	pfree(claimed_by);
	SPI_finish();
	return map;
}

/*
 * segment_map_load: the named map, validated; error 42704 when unknown.
 * Allocated in the current memory context.
 */
SegmentMap *
segment_map_load(const char *name)
{
	return load_map(name, false, true);
}

/* The segment of a cell (scores already checked to be in 1 .. bins) */
const char *
segment_map_lookup(const SegmentMap *map, int r, int f, int m)
{
	int16		index;

	Assert(r >= 1 && r <= map->bins && f >= 1 && f <= map->bins &&
		   m >= 1 && m <= map->bins);
	index = map->cells[((r - 1) * map->bins + f - 1) * map->bins + m - 1];
	return index >= 0 ? map->segments[index] : map->default_segment;
}

/* ---- triggers ---- */

/* The text value of column colname of tuple, or NULL */
static char *
tuple_text(TriggerData *trigdata, HeapTuple tuple, const char *colname)
{
	TupleDesc	tupdesc = RelationGetDescr(trigdata->tg_relation);
	int			col = SPI_fnumber(tupdesc, colname);

	if (col <= 0)
		elog(ERROR, "column \"%s\" not found", colname);
	return SPI_getvalue(tuple, tupdesc, col);
}

static bool
is_maps_table(TriggerData *trigdata)
{
	return SPI_fnumber(RelationGetDescr(trigdata->tg_relation), "builtin") > 0;
}

static bool
map_is_builtin(const char *name)
{
	Oid			argtypes[1] = {TEXTOID};
	Datum		args[1] = {CStringGetTextDatum(name)};
	bool		builtin = false;

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	if (SPI_execute_with_args("SELECT builtin FROM profile.rfm_segment_maps "
							  "WHERE name OPERATOR(pg_catalog.=) $1",
							  1, argtypes, args, NULL, true, 1) != SPI_OK_SELECT)
		elog(ERROR, "reading profile.rfm_segment_maps failed");
	if (SPI_processed == 1)
	{
		bool		isnull;
		Datum		d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);

		builtin = !isnull && DatumGetBool(d);
	}
	SPI_finish();
	return builtin;
}

static void
refuse_builtin(const char *name)
{
	ereport(ERROR,
			(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
			 errmsg("segment map \"%s\" is built in and cannot be changed", name),
			 errhint("Copy it under a new name and change the copy (README: Segment maps).")));
}

/*
 * BEFORE ROW trigger on both tables: built-in maps and their rules change
 * only while the extension's own scripts run.
 */
PG_FUNCTION_INFO_V1(profile_rfm_segment_rules_guard);
Datum
profile_rfm_segment_rules_guard(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata = (TriggerData *) fcinfo->context;
	HeapTuple	oldtuple = NULL;
	HeapTuple	newtuple = NULL;

	if (!CALLED_AS_TRIGGER(fcinfo))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("%s can only be called as a trigger", __func__)));
	if (TRIGGER_FIRED_BY_INSERT(trigdata->tg_event))
		newtuple = trigdata->tg_trigtuple;
	else if (TRIGGER_FIRED_BY_UPDATE(trigdata->tg_event))
	{
		oldtuple = trigdata->tg_trigtuple;
		newtuple = trigdata->tg_newtuple;
	}
	else
		oldtuple = trigdata->tg_trigtuple;

	if (!creating_extension)
	{
		HeapTuple	tuples[2] = {oldtuple, newtuple};

		for (int i = 0; i < 2; i++)
		{
			if (tuples[i] == NULL)
				continue;
			if (is_maps_table(trigdata))
			{
				char	   *builtin = tuple_text(trigdata, tuples[i], "builtin");

				if (builtin && strcmp(builtin, "t") == 0)
					refuse_builtin(tuple_text(trigdata, tuples[i], "name"));
			}
			else
			{
				char	   *name = tuple_text(trigdata, tuples[i], "segment_map");

				if (name && map_is_builtin(name))
					refuse_builtin(name);
			}
		}
	}
	return PointerGetDatum(newtuple ? newtuple : oldtuple);
}

/*
 * Deferred constraint trigger: when the transaction that changed a map
 * commits, the map (old and new name) must load without error.
 */
PG_FUNCTION_INFO_V1(profile_rfm_segment_rules_check);
Datum
profile_rfm_segment_rules_check(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata = (TriggerData *) fcinfo->context;
	const char *column;
	HeapTuple	tuples[2];

	if (!CALLED_AS_TRIGGER(fcinfo))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("%s can only be called as a trigger", __func__)));
	column = is_maps_table(trigdata) ? "name" : "segment_map";
	tuples[0] = trigdata->tg_trigtuple;
	tuples[1] = TRIGGER_FIRED_BY_UPDATE(trigdata->tg_event) ? trigdata->tg_newtuple : NULL;
	for (int i = 0; i < 2; i++)
	{
		char	   *name;

		if (tuples[i] == NULL)
			continue;
		name = tuple_text(trigdata, tuples[i], column);
		if (name)
			(void) load_map(name, true, false);
	}
	return PointerGetDatum(NULL);
}

/* ---- profile.rfm_segment(segment_map, r, f, m) ---- */

PG_FUNCTION_INFO_V1(profile_rfm_segment);
Datum
profile_rfm_segment(PG_FUNCTION_ARGS)
{
	char	   *name = text_to_cstring(PG_GETARG_TEXT_PP(0));
	SegmentMap *map = (SegmentMap *) fcinfo->flinfo->fn_extra;
	int			scores[3];
	static const char *const names[3] = {"r_score", "f_score", "m_score"};
	const char *segment;

	/* one load per query and map name: the function is STABLE */
	if (map == NULL || strcmp(map->name, name) != 0)
	{
		MemoryContext oldcxt = MemoryContextSwitchTo(fcinfo->flinfo->fn_mcxt);

		map = segment_map_load(name);
		MemoryContextSwitchTo(oldcxt);
		fcinfo->flinfo->fn_extra = map;
	}
	for (int d = 0; d < 3; d++)
	{
		scores[d] = PG_GETARG_INT32(d + 1);
		check_int_range(scores[d], 1, map->bins, names[d]);
	}
	segment = segment_map_lookup(map, scores[0], scores[1], scores[2]);
	PG_RETURN_TEXT_P(cstring_to_text(segment));
}
