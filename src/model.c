/*-------------------------------------------------------------------------
 *
 * model.c
 *	  The named model catalog: stored models and their per-backend cache.
 *
 * A model (RFM boundaries, k-means centroids, a rule set, a CLV fit) is one
 * row of profile.models: name, kind, body format version, parameters and
 * summary as jsonb, and a binary body.  Kinds add readable views and label
 * tables of their own; this file only stores and loads rows.
 *
 * Storing is an upsert by name within the caller's transaction, with the
 * caller's privileges (INSERT and UPDATE on profile.models).  A name keeps
 * its kind: replacing a model by one of another kind is refused.
 *
 * Reading goes through a cache per backend: model_get() decodes a row once
 * with the kind's decode function and keeps the result in a memory context
 * of its own under CacheMemoryContext.  Plain DML sends no invalidation, so
 * a statement trigger on profile.models (profile.models_changed) empties
 * this backend's cache and sends a relcache invalidation of the table.
 *
 * Other backends empty their caches when they read that invalidation.  One
 * read between transactions (at the start of one) takes effect at once.
 * One read inside a transaction (on any lock taken) is deferred to the end
 * of that transaction, for two reasons: the transaction keeps the models it
 * has already used, so one statement never mixes an old model with a new
 * one; and a model loaded in that transaction may come from a snapshot
 * older than the change (REPEATABLE READ, or a statement whose snapshot
 * predates the lock), so it must not outlive the transaction.  So a
 * transaction sees each model whole, as it was when the transaction first
 * used it (or as its own writes left it), and the next transaction after a
 * commit sees the new model.  specs/model_*.spec test this.
 *
 * A stored row is untrusted input: decode functions check everything.
 *
 * IDENTIFICATION
 *	  src/model.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "commands/trigger.h"
#include "executor/spi.h"
#include "utils/builtins.h"
#include "utils/hsearch.h"
#include "utils/json.h"
#include "utils/inval.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/syscache.h"

#include "profile.h"

#define MODEL_NAME_MAXLEN	63

typedef struct ModelCacheEntry
{
	char		name[MODEL_NAME_MAXLEN + 1];	/* hash key */
	char	   *kind;
	ModelDecodeFn decode;
	MemoryContext cxt;			/* holds kind and model */
	void	   *model;
} ModelCacheEntry;

static HTAB *model_cache = NULL;
static MemoryContext model_cache_cxt = NULL;
static Oid	models_relid = InvalidOid;
static uint64 model_loads = 0;
static uint64 model_generation = 1;	/* changes whenever the cache is reset */
static bool model_reset_at_eoxact = false;	/* invalidated inside this xact */

static void model_relcache_callback(Datum arg, Oid relid);
static void model_xact_callback(XactEvent event, void *arg);

/* Called once from _PG_init */
void
model_init(void)
{
	CacheRegisterRelcacheCallback(model_relcache_callback, (Datum) 0);
	RegisterXactCallback(model_xact_callback, NULL);
}

/*
 * An invalidation of profile.models (or of every relation).  Outside a
 * transaction, forget the cache now; inside one, at its end (see the file
 * header).  Before the first load we do not know the table's OID, and
 * cannot look it up here: any relation then counts, which costs at most a
 * reload in the next transaction.
 */
static void
model_relcache_callback(Datum arg, Oid relid)
{
	if (relid != InvalidOid && OidIsValid(models_relid) && relid != models_relid)
		return;
	if (IsTransactionState())
		model_reset_at_eoxact = true;
	else
		model_cache_reset();
}

static void
model_xact_callback(XactEvent event, void *arg)
{
	switch (event)
	{
		case XACT_EVENT_COMMIT:
		case XACT_EVENT_PARALLEL_COMMIT:
		case XACT_EVENT_ABORT:
		case XACT_EVENT_PARALLEL_ABORT:
		case XACT_EVENT_PREPARE:
			if (model_reset_at_eoxact)
				model_cache_reset();
			model_reset_at_eoxact = false;
			break;
		default:
			break;
	}
}

/* Forget every cached model */
void
model_cache_reset(void)
{
	if (model_cache_cxt != NULL)
		MemoryContextDelete(model_cache_cxt);
	model_cache_cxt = NULL;
	model_cache = NULL;
	models_relid = InvalidOid;
	model_generation++;
}

/*
 * model_cache_generation: changes whenever cached models may have been
 * freed; a caller keeping a pointer from model_get() across calls (in
 * fn_extra) must look the model up again when it has changed.
 */
uint64
model_cache_generation(void)
{
	return model_generation;
}

int
model_cache_entries(void)
{
	return model_cache ? (int) hash_get_num_entries(model_cache) : 0;
}

uint64
model_cache_loads(void)
{
	return model_loads;
}

/*
 * catalog_check_name: a name of the catalog (a model, a snapshot): 1 to 63
 * characters among letters, digits, '_', '.', '-' and ':', so that names
 * read well in messages and never need quoting.  kind names it in messages.
 */
void
catalog_check_name(const char *name, const char *kind)
{
	size_t		len = strlen(name);

	if (len == 0 || len > MODEL_NAME_MAXLEN)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s name must have 1 to %d characters, not %zu",
						kind, MODEL_NAME_MAXLEN, len)));
	for (const char *p = name; *p; p++)
	{
		unsigned char c = (unsigned char) *p;

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			  (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-' || c == ':'))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("%s name \"%s\" contains the character \"%c\"", kind, name, c),
					 errhint("%c%s names use letters, digits and the characters _ . - : only.",
							 pg_toupper((unsigned char) kind[0]), kind + 1)));
	}
}

/* model_check_name: a model's name (catalog_check_name) */
void
model_check_name(const char *name)
{
	catalog_check_name(name, "model");
}

static void
ensure_cache(void)
{
	HASHCTL		ctl;

	if (model_cache != NULL)
		return;
	model_cache_cxt = AllocSetContextCreate(CacheMemoryContext,
											"profile model cache",
											ALLOCSET_SMALL_SIZES);
	memset(&ctl, 0, sizeof(ctl));
	ctl.keysize = MODEL_NAME_MAXLEN + 1;
	ctl.entrysize = sizeof(ModelCacheEntry);
	ctl.hcxt = model_cache_cxt;
	model_cache = hash_create("profile model cache", 16, &ctl,
							  HASH_ELEM | HASH_STRINGS | HASH_CONTEXT);
}

/* The OID of profile.models, remembered for the invalidation callback */
static Oid
lookup_models_relid(void)
{
	Oid			nspid = get_namespace_oid("profile", false);
	Oid			relid = get_relname_relid("models", nspid);

	if (!OidIsValid(relid))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("table profile.models does not exist"),
				 errhint("Reinstall the extension: DROP EXTENSION profile; CREATE EXTENSION profile;")));
	return relid;
}

static Datum
copy_or_null(Datum value, bool isnull)
{
	return isnull ? (Datum) 0 : PointerGetDatum(PG_DETOAST_DATUM_COPY(value));
}

/*
 * Read the row of a model through SPI, with the caller's privileges and
 * snapshot.  Returns false when no such model exists.  The row is copied
 * into the current memory context.
 */
static bool
model_read_row(const char *name, ModelRow *row)
{
	MemoryContext cxt = CurrentMemoryContext;
	Oid			argtypes[1] = {TEXTOID};
	Datum		args[1];
	bool		found = false;
	int			rc;

	args[0] = CStringGetTextDatum(name);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	rc = SPI_execute_with_args("SELECT kind, format, params, summary, body "
							   "FROM profile.models "
							   "WHERE name OPERATOR(pg_catalog.=) $1",
							   1, argtypes, args, NULL, true, 2);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "reading profile.models failed: %s", SPI_result_code_string(rc));
	if (SPI_processed == 1)
	{
		HeapTuple	tuple = SPI_tuptable->vals[0];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		bool		isnull;
		Datum		value;
		MemoryContext spicxt = MemoryContextSwitchTo(cxt);

		row->name = pstrdup(name);
		value = SPI_getbinval(tuple, desc, 1, &isnull);
		row->kind = isnull ? pstrdup("") : TextDatumGetCString(value);
		value = SPI_getbinval(tuple, desc, 2, &isnull);
		row->format = isnull ? 0 : DatumGetInt32(value);
		value = SPI_getbinval(tuple, desc, 3, &isnull);
		row->params = (Jsonb *) DatumGetPointer(copy_or_null(value, isnull));
		value = SPI_getbinval(tuple, desc, 4, &isnull);
		row->summary = (Jsonb *) DatumGetPointer(copy_or_null(value, isnull));
		value = SPI_getbinval(tuple, desc, 5, &isnull);
		row->body = (bytea *) DatumGetPointer(copy_or_null(value, isnull));
		MemoryContextSwitchTo(spicxt);
		found = true;
	}
	SPI_finish();
	MemoryContextSwitchTo(cxt);
	return found;
}

/*
 * model_get: the decoded model of this name, which must be of this kind
 * and body format.  Errors: 22023 for a bad name, 42704 when no such model
 * exists, 42809 when it has another kind, XX001 for another body format or
 * no body, and whatever decode raises for a bad body.
 * The result lives in the cache until the next invalidation: callers use
 * it within the current statement and never free it.
 */
void *
model_get(const char *name, const char *kind, int32 format, ModelDecodeFn decode)
{
	ModelCacheEntry *entry;
	ModelRow	row;
	MemoryContext cxt;
	MemoryContext oldcxt;
	bool		found;
	void	   *model;

	model_check_name(name);

	/*
	 * A cached model is used as is, unless this transaction has seen an
	 * invalidation and profile.models itself is gone (the extension was
	 * dropped, perhaps recreated, in this transaction).
	 */
	if (model_cache != NULL && model_reset_at_eoxact &&
		!SearchSysCacheExists1(RELOID, ObjectIdGetDatum(models_relid)))
		model_cache_reset();
	if (model_cache != NULL)
	{
		entry = hash_search(model_cache, name, HASH_FIND, NULL);
		if (entry != NULL && entry->decode == decode && strcmp(entry->kind, kind) == 0)
			return entry->model;
	}

	/*
	 * Decode in a context that dies with the current one on error, and move
	 * it under the cache only once the model is complete.
	 */
	cxt = AllocSetContextCreate(CurrentMemoryContext, "profile model",
								ALLOCSET_SMALL_SIZES);
	oldcxt = MemoryContextSwitchTo(cxt);
	found = model_read_row(name, &row);
	if (!found)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("model \"%s\" does not exist", name),
				 errhint("SELECT name, kind FROM profile.models lists the stored models.")));
	if (strcmp(row.kind, kind) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("model \"%s\" is a %s model, not a %s model",
						name, row.kind, kind)));
	if (row.format != format)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("model \"%s\" has body format %d, expected %d", name, row.format, format),
				 errhint("Train it again under this version of the extension.")));
	if (row.body == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("model \"%s\" has no body", name),
				 errhint("Train it again.")));
	model = decode(name, row.body);
	MemoryContextSwitchTo(oldcxt);

	/* the OID may be new (first use, or the extension was recreated) */
	if (!OidIsValid(models_relid))
	{
		model_cache_reset();
		models_relid = lookup_models_relid();
	}
	ensure_cache();
	entry = hash_search(model_cache, name, HASH_ENTER, &found);
	if (found)
		MemoryContextDelete(entry->cxt);
	MemoryContextSetParent(cxt, model_cache_cxt);
	entry->cxt = cxt;
	entry->kind = row.kind;
	entry->decode = decode;
	entry->model = model;
	model_loads++;
	return model;
}

/*
 * model_get_by_arg: model_get() for the model named by text argument argno
 * of a function called once per row.  The name and the model are kept in
 * fn_extra (a ModelCallCache) between the calls of a query and looked up
 * again only when the name differs or the model cache was reset
 * (model_cache_generation), so a row costs a compare.  The caller may keep
 * data of its own that depends on the model in cache->extra: it is reset
 * to NULL whenever the model is looked up again, and the memory context
 * cache->extra_cxt, if the caller set one, is deleted then.
 */
void *
model_get_by_arg(FunctionCallInfo fcinfo, int argno, const char *kind,
				 int32 format, ModelDecodeFn decode)
{
	text	   *name = PG_GETARG_TEXT_PP(argno);
	int			len = VARSIZE_ANY_EXHDR(name);
	ModelCallCache *cache = fcinfo->flinfo->fn_extra;

	if (cache == NULL)
		cache = fcinfo->flinfo->fn_extra =
			MemoryContextAllocZero(fcinfo->flinfo->fn_mcxt, sizeof(ModelCallCache));
	if (cache->model == NULL || cache->generation != model_cache_generation() ||
		cache->len != len || memcmp(cache->name, VARDATA_ANY(name), len) != 0)
	{
		char	   *cname = text_to_cstring(name);

		cache->model = NULL;
		cache->extra = NULL;
		if (cache->extra_cxt != NULL)
		{
			MemoryContextDelete(cache->extra_cxt);
			cache->extra_cxt = NULL;
		}
		cache->model = model_get(cname, kind, format, decode);
		cache->generation = model_cache_generation();
		if (cache->name)
			pfree(cache->name);
		cache->name = MemoryContextStrdup(fcinfo->flinfo->fn_mcxt, cname);
		cache->len = len;
		pfree(cname);
	}
	return cache->model;
}

/* model_exists: whether a model of this name is visible to the caller */
bool
model_exists(const char *name)
{
	ModelRow	row;
	bool		found;
	MemoryContext cxt = AllocSetContextCreate(CurrentMemoryContext, "profile model check",
											  ALLOCSET_SMALL_SIZES);
	MemoryContext oldcxt = MemoryContextSwitchTo(cxt);

	found = model_read_row(name, &row);
	MemoryContextSwitchTo(oldcxt);
	MemoryContextDelete(cxt);
	return found;
}

/*
 * model_store: insert or replace the model of this name in the caller's
 * transaction.  Replacing a model of another kind is refused (42710).
 * params and summary may be NULL (stored as empty objects), body NULL.
 */
void
model_store(const char *name, const char *kind, int32 format,
			Jsonb *params, Jsonb *summary, bytea *body)
{
	MemoryContext cxt = CurrentMemoryContext;
	Oid			argtypes[6] = {TEXTOID, TEXTOID, INT4OID, JSONBOID, JSONBOID, BYTEAOID};
	Datum		args[6];
	char		nulls[6] = {' ', ' ', ' ', ' ', ' ', ' '};
	int			rc;

	model_check_name(name);

	args[0] = CStringGetTextDatum(name);
	args[1] = CStringGetTextDatum(kind);
	args[2] = Int32GetDatum(format);
	args[3] = params ? JsonbPGetDatum(params) : (Datum) 0;
	nulls[3] = params ? ' ' : 'n';
	args[4] = summary ? JsonbPGetDatum(summary) : (Datum) 0;
	nulls[4] = summary ? ' ' : 'n';
	args[5] = body ? PointerGetDatum(body) : (Datum) 0;
	nulls[5] = body ? ' ' : 'n';

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	rc = SPI_execute_with_args(
							   "INSERT INTO profile.models AS m (name, kind, format, params, summary, body) "
							   "VALUES ($1, $2, $3, "
							   "COALESCE($4, '{}'::pg_catalog.jsonb), "
							   "COALESCE($5, '{}'::pg_catalog.jsonb), $6) "
							   "ON CONFLICT (name) DO UPDATE SET "
							   "format = excluded.format, params = excluded.params, "
							   "summary = excluded.summary, body = excluded.body, "
							   "created_at = excluded.created_at, created_by = excluded.created_by "
							   "WHERE m.kind OPERATOR(pg_catalog.=) excluded.kind",
							   6, argtypes, args, nulls, false, 0);
	if (rc != SPI_OK_INSERT)
		elog(ERROR, "storing model \"%s\" failed: %s", name, SPI_result_code_string(rc));
	if (SPI_processed != 1)
		ereport(ERROR,
				(errcode(ERRCODE_DUPLICATE_OBJECT),
				 errmsg("model \"%s\" already exists with another kind than %s", name, kind),
				 errhint("Choose another name, or delete the old model first: DELETE FROM profile.models WHERE name = '%s'.",
						 name)));
	SPI_finish();
	MemoryContextSwitchTo(cxt);
}

/*
 * profile.models_changed(): statement trigger on the model tables.  DML
 * sends no cache invalidation by itself.  This backend forgets its cached
 * models now, so that its next statements see its own change, and again
 * at the end of the transaction (the change may roll back; the relcache
 * invalidation, processed here at the next command, sees to that).  The
 * other backends forget them at their first transaction after the commit.
 */
PG_FUNCTION_INFO_V1(profile_models_changed);
Datum
profile_models_changed(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata = (TriggerData *) fcinfo->context;

	if (!CALLED_AS_TRIGGER(fcinfo))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("profile.models_changed() can only be called as a trigger")));
	model_cache_reset();
	model_reset_at_eoxact = true;
	CacheInvalidateRelcache(trigdata->tg_relation);
	return PointerGetDatum(NULL);
}

/* ---- params and summaries: small JSON objects built in C ---- */

void
model_json_begin(StringInfo buf)
{
	initStringInfo(buf);
	appendStringInfoChar(buf, '{');
}

/* Starts a member: the value is appended by the caller */
void
model_json_key(StringInfo buf, const char *key)
{
	if (buf->len > 1)
		appendStringInfoString(buf, ", ");
	escape_json(buf, key);
	appendStringInfoString(buf, ": ");
}

/* Closes the object and parses it into a Jsonb */
Jsonb *
model_json_finish(StringInfo buf)
{
	appendStringInfoChar(buf, '}');
	return DatumGetJsonbP(DirectFunctionCall1(jsonb_in, CStringGetDatum(buf->data)));
}
