/*-------------------------------------------------------------------------
 *
 * profile.c
 *	  Module magic, initialisation and settings of the profile extension.
 *
 * Settings (all user-settable, like work_mem):
 *	  profile.memory_budget	the memory one training run may use (kB);
 *								see check.c for how it is enforced.
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

	MarkGUCPrefixReserved("profile");

	model_init();
}
