/*-------------------------------------------------------------------------
 *
 * progress.c
 *	  Progress of long one-call work: which function, which phase, how far
 *	  (iterations, passes, itemsets, customers) and how many rows read.
 *
 * Two channels, both documented in the README ("Progress of long work"):
 *
 *	  - messages: with profile.progress = notice (to the client) or log (to
 *		the server log), a line at most every profile.progress_interval
 *		and at every change of phase;
 *	  - shared memory: when the library is in shared_preload_libraries,
 *		every backend keeps its progress in its own slot of an array of
 *		MaxBackends slots, and profile.progress() shows them to another
 *		session (a role sees its own work unless it has pg_read_all_stats,
 *		as in pg_stat_activity).
 *
 * A slot is written only by its backend, with the st_changecount protocol of
 * PgBackendStatus: the count is odd while the slot is being written, and a
 * reader copies until it sees the same even count before and after.
 *
 * Work begins with progress_begin(function) and ends with progress_end();
 * calls nest (kmeans_select_k runs fits; a trainer reads an inner query), and
 * only the outermost names the work.  The end of the transaction, or an error
 * (a subtransaction abort too), ends all of it: callbacks clear the slot.
 *
 * IDENTIFICATION
 *	  src/progress.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/pg_authid.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "port/atomics.h"
#include "storage/backendid.h"
#include "storage/ipc.h"
#include "storage/lwlock.h"
#include "storage/shmem.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/timestamp.h"

#include "profile.h"

#define PROGRESS_NAME_LEN	64

typedef struct ProgressSlot
{
	uint32		changecount;	/* odd while being written */
	int			pid;			/* 0: no work */
	Oid			roleid;
	char		function[PROGRESS_NAME_LEN];
	char		phase[PROGRESS_NAME_LEN];
	char		unit[16];
	int64		done;			/* units of the phase done */
	int64		total;			/* planned units, 0 when not known */
	int64		rows;			/* rows read from the inner query */
	TimestampTz started;
	TimestampTz phase_started;
	TimestampTz updated;
} ProgressSlot;

/* Settings (profile.c) */
int			profile_progress_mode = PROGRESS_MESSAGES_OFF;
int			profile_progress_interval_ms = 1000;

static shmem_request_hook_type prev_shmem_request_hook = NULL;
static shmem_startup_hook_type prev_shmem_startup_hook = NULL;

/* The shared array (NULL unless preloaded) */
static ProgressSlot *progress_slots = NULL;

/* This backend's progress: the local copy, and the depth of nested work */
static ProgressSlot local;
static int	depth = 0;
static TimestampTz last_message = 0;

static Size
progress_shmem_size(void)
{
	return mul_size(MaxBackends, sizeof(ProgressSlot));
}

static void
progress_shmem_request(void)
{
	if (prev_shmem_request_hook)
		prev_shmem_request_hook();
	RequestAddinShmemSpace(progress_shmem_size());
}

static void
progress_shmem_startup(void)
{
	bool		found;

	if (prev_shmem_startup_hook)
		prev_shmem_startup_hook();
	LWLockAcquire(AddinShmemInitLock, LW_EXCLUSIVE);
	progress_slots = ShmemInitStruct("profile progress", progress_shmem_size(), &found);
	if (!found)
		memset(progress_slots, 0, progress_shmem_size());
	LWLockRelease(AddinShmemInitLock);
}

/* This backend's slot, or NULL (not preloaded, or not a regular backend) */
static ProgressSlot *
own_slot(void)
{
	if (progress_slots == NULL || MyBackendId < 1 || MyBackendId > MaxBackends)
		return NULL;
	return &progress_slots[MyBackendId - 1];
}

/* Copy the local progress to shared memory */
static void
publish(void)
{
	volatile ProgressSlot *slot = own_slot();
	uint32		count;

	if (slot == NULL)
		return;
	count = slot->changecount;
	slot->changecount = count + 1;
	pg_write_barrier();
	slot->pid = local.pid;
	slot->roleid = local.roleid;
	memcpy((char *) slot->function, local.function, PROGRESS_NAME_LEN);
	memcpy((char *) slot->phase, local.phase, PROGRESS_NAME_LEN);
	memcpy((char *) slot->unit, local.unit, sizeof(local.unit));
	slot->done = local.done;
	slot->total = local.total;
	slot->rows = local.rows;
	slot->started = local.started;
	slot->phase_started = local.phase_started;
	slot->updated = local.updated;
	pg_write_barrier();
	slot->changecount = count + 2;
}

/* Forget all work (end of the outermost call, or an abort) */
static void
progress_clear(void)
{
	depth = 0;
	if (local.pid == 0)
		return;
	memset(&local, 0, sizeof(local));
	publish();
}

static void
progress_xact_callback(XactEvent event, void *arg)
{
	/* work runs inside a transaction: at its end, the work is over */
	if (event == XACT_EVENT_ABORT || event == XACT_EVENT_PARALLEL_ABORT ||
		event == XACT_EVENT_COMMIT || event == XACT_EVENT_PARALLEL_COMMIT ||
		event == XACT_EVENT_PREPARE)
		progress_clear();
}

static void
progress_subxact_callback(SubXactEvent event, SubTransactionId mySubid,
						  SubTransactionId parentSubid, void *arg)
{
	if (event == SUBXACT_EVENT_ABORT_SUB)
		progress_clear();
}

/*
 * progress_init: from _PG_init.  Shared memory only when preloaded.
 */
void
progress_init(void)
{
	if (process_shared_preload_libraries_in_progress)
	{
		prev_shmem_request_hook = shmem_request_hook;
		shmem_request_hook = progress_shmem_request;
		prev_shmem_startup_hook = shmem_startup_hook;
		shmem_startup_hook = progress_shmem_startup;
	}
	RegisterXactCallback(progress_xact_callback, NULL);
	RegisterSubXactCallback(progress_subxact_callback, NULL);
}

/* Send a message when the settings ask for one */
static void
progress_message(bool force)
{
	TimestampTz now = local.updated;
	StringInfoData msg;

	if (profile_progress_mode == PROGRESS_MESSAGES_OFF)
		return;
	if (!force && !TimestampDifferenceExceeds(last_message, now, profile_progress_interval_ms))
		return;
	last_message = now;

	initStringInfo(&msg);
	appendStringInfo(&msg, "%s: %s", local.function, local.phase);
	if (local.unit[0] != '\0' && (local.done > 0 || local.total > 0))
	{
		appendStringInfo(&msg, ", " INT64_FORMAT, local.done);
		if (local.total > 0)
			appendStringInfo(&msg, " of " INT64_FORMAT, local.total);
		appendStringInfo(&msg, " %s", local.unit);
	}
	if (local.rows > 0)
		appendStringInfo(&msg, ", " INT64_FORMAT " rows read", local.rows);
	ereport(profile_progress_mode == PROGRESS_MESSAGES_LOG ? LOG : NOTICE,
			(errmsg_internal("%s", msg.data),
			 errdetail_internal("%.1f s since the start, %.1f s in this phase",
								(now - local.started) / 1e6,
								(now - local.phase_started) / 1e6),
			 errhidestmt(true)));
	pfree(msg.data);
}

/*
 * progress_begin: work of a function begins.  Inside other work, it only
 * counts the nesting.
 */
void
progress_begin(const char *function)
{
	if (depth++ > 0)
		return;
	memset(&local, 0, sizeof(local));
	local.pid = MyProcPid;
	local.roleid = GetUserId();
	strlcpy(local.function, function, PROGRESS_NAME_LEN);
	strlcpy(local.phase, "starting", PROGRESS_NAME_LEN);
	local.started = local.phase_started = local.updated = GetCurrentTimestamp();
	last_message = 0;
	publish();
}

/* progress_end: the work of the matching progress_begin is done */
void
progress_end(void)
{
	if (depth == 0)
		return;
	if (--depth == 0)
		progress_clear();
}

/* progress_active: inside some work */
bool
progress_active(void)
{
	return depth > 0;
}

/*
 * progress_phase: a new phase, counted in `unit` ("iterations", "passes",
 * "itemsets", "customers"; NULL: none) up to total (0: not known).  The
 * rows read stay.
 */
void
progress_phase(const char *phase, const char *unit, int64 total)
{
	if (depth == 0)
		return;
	strlcpy(local.phase, phase, PROGRESS_NAME_LEN);
	strlcpy(local.unit, unit ? unit : "", sizeof(local.unit));
	local.done = 0;
	local.total = total;
	local.phase_started = local.updated = GetCurrentTimestamp();
	publish();
	progress_message(true);
}

/* progress_done: units of the phase done so far */
void
progress_done(int64 done)
{
	if (depth == 0 || done == local.done)
		return;
	local.done = done;
	local.updated = GetCurrentTimestamp();
	publish();
	progress_message(false);
}

/* progress_rows: rows read so far (query.c calls it once per batch) */
void
progress_rows(int64 rows)
{
	if (depth == 0 || rows == local.rows)
		return;
	local.rows = rows;
	local.updated = GetCurrentTimestamp();
	publish();
	if (rows > 0)
		progress_message(false);
}

/*
 * profile.progress(): the work of every backend, when preloaded.
 */
PG_FUNCTION_INFO_V1(profile_progress);
Datum
profile_progress(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	bool		all_roles;

	if (progress_slots == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("profile.progress() needs the profile library preloaded"),
				 errhint("Add profile to shared_preload_libraries and restart the server; "
						 "or SET profile.progress = notice in the session doing the work.")));

	InitMaterializedSRF(fcinfo, 0);
	all_roles = has_privs_of_role(GetUserId(), ROLE_PG_READ_ALL_STATS);

	for (int i = 0; i < MaxBackends; i++)
	{
		volatile ProgressSlot *slot = &progress_slots[i];
		ProgressSlot copy;
		Datum		values[10];
		bool		nulls[10] = {0};

		for (;;)
		{
			uint32		before = slot->changecount;

			pg_read_barrier();
			memcpy(&copy, (const ProgressSlot *) slot, sizeof(copy));
			pg_read_barrier();
			if (before == slot->changecount && (before & 1) == 0)
				break;
			CHECK_FOR_INTERRUPTS();
		}
		if (copy.pid == 0)
			continue;
		if (!all_roles && !has_privs_of_role(GetUserId(), copy.roleid))
			continue;
		copy.function[PROGRESS_NAME_LEN - 1] = '\0';
		copy.phase[PROGRESS_NAME_LEN - 1] = '\0';
		copy.unit[sizeof(copy.unit) - 1] = '\0';

		values[0] = Int32GetDatum(copy.pid);
		values[1] = CStringGetTextDatum(copy.function);
		values[2] = CStringGetTextDatum(copy.phase);
		values[3] = Int64GetDatum(copy.done);
		values[4] = Int64GetDatum(copy.total);
		nulls[4] = copy.total <= 0;
		values[5] = CStringGetTextDatum(copy.unit);
		nulls[5] = copy.unit[0] == '\0';
		values[6] = Int64GetDatum(copy.rows);
		values[7] = TimestampTzGetDatum(copy.started);
		values[8] = TimestampTzGetDatum(copy.phase_started);
		values[9] = TimestampTzGetDatum(copy.updated);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}
