/*-------------------------------------------------------------------------
 *
 * profile.c
 *	  Module magic, initialisation and settings of the profile extension.
 *
 * Settings (all user-settable, like work_mem):
 *	  profile.memory_budget	the memory one training run may use (kB);
 *								see check.c for how it is enforced.
 *	  profile.progress			off, notice or log: progress messages
 *	  profile.progress_interval	least time between two of them (ms);
 *								see progress.c.
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

static const struct config_enum_entry progress_options[] = {
	{"off", PROGRESS_MESSAGES_OFF, false},
	{"notice", PROGRESS_MESSAGES_NOTICE, false},
	{"log", PROGRESS_MESSAGES_LOG, false},
	{NULL, 0, false}
};

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

	MarkGUCPrefixReserved("profile");

	progress_init();

	model_init();
}
