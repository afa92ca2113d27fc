/*-------------------------------------------------------------------------
 *
 * profile.c
 *	  Module magic, initialisation and settings of the profile extension.
 *
 * Settings:
 *	  profile.memory_budget	the memory one training run may use (kB),
 *								user-settable like work_mem; see check.c
 *								for how it is enforced.
 *	  profile.progress			off, notice or log: progress messages
 *	  profile.progress_interval	least time between two of them (ms);
 *								user-settable; see progress.c.
 *	  profile.min_group_size	the privacy floor: the fewest customers a
 *								group of a shared output may have (segment
 *								migration, cohorts, segment summaries;
 *								the minimum count of itemsets and rules).
 *								Superuser-only (PGC_SUSET), so that a
 *								dashboard role cannot lower what ALTER
 *								ROLE ... SET gave it; see privacy.c.
 *
 * IDENTIFICATION
 *	  src/profile.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <limits.h>

#include "fmgr.h"
#include "utils/guc.h"

#include "profile.h"

PG_MODULE_MAGIC;

int			profile_memory_budget_kb = PROFILE_DEFAULT_MEMORY_BUDGET_KB;
int			profile_min_group_size = 1;

static const struct config_enum_entry progress_options[] = {
	{"off", PROGRESS_MESSAGES_OFF, false},
	{"notice", PROGRESS_MESSAGES_NOTICE, false},
	{"log", PROGRESS_MESSAGES_LOG, false},
	{NULL, 0, false}
};

static const struct config_enum_entry behaviour_reader_options[] = {
	{"fold", BEHAVIOUR_READER_FOLD, false},
	{"aggregate", BEHAVIOUR_READER_AGGREGATE, false},
	{NULL, 0, false}
};

int			profile_behaviour_reader = BEHAVIOUR_READER_FOLD;

void		_PG_init(void);

void
_PG_init(void)
{
	DefineCustomIntVariable("profile.memory_budget",
							"Memory one profile training run may use.",
							"Trainers reserve memory against this budget before "
							"allocating it and stop with an error when it would be exceeded.",
							&profile_memory_budget_kb,
							PROFILE_DEFAULT_MEMORY_BUDGET_KB,
							1024,	/* 1MB */
							MAX_KILOBYTES,
							PGC_USERSET,
							GUC_UNIT_KB,
							NULL, NULL, NULL);

	DefineCustomEnumVariable("profile.behaviour_reader",
							 "How customer profiles read their query.",
							 "fold: the rows are folded into per-customer states a buffer at a time; "
							 "aggregate: by GROUP BY customer_id with profile.behaviour, which Citus "
							 "can push down to its workers.",
							 &profile_behaviour_reader,
							 BEHAVIOUR_READER_FOLD,
							 behaviour_reader_options,
							 PGC_USERSET,
							 0,
							 NULL, NULL, NULL);

	DefineCustomEnumVariable("profile.progress",
							 "Where long profile work reports its progress.",
							 "off, notice (to the client) or log (to the server log).",
							 &profile_progress_mode,
							 PROGRESS_MESSAGES_OFF,
							 progress_options,
							 PGC_USERSET,
							 0,
							 NULL, NULL, NULL);

	DefineCustomIntVariable("profile.progress_interval",
							"Least time between two progress messages.",
							"A change of phase is always reported.",
							&profile_progress_interval_ms,
							1000,
							0,
							3600 * 1000,
							PGC_USERSET,
							GUC_UNIT_MS,
							NULL, NULL, NULL);

	DefineCustomIntVariable("profile.min_group_size",
							"Minimum number of customers in a group of a shared output.",
							"Segment migration, flows, cohorts and segment summaries "
							"show no figures for a group below it; itemsets and rules "
							"supported by fewer baskets are not produced.  A function's "
							"min_group_size argument can only raise it.",
							&profile_min_group_size,
							1,
							1,
							PROFILE_MAX_GROUP_SIZE,
							PGC_SUSET,
							0,
							NULL, NULL, NULL);

	MarkGUCPrefixReserved("profile");

	progress_init();

	model_init();
}
