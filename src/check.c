/*-------------------------------------------------------------------------
 *
 * check.c
 *	  Input checks every module shares, and the memory budget.
 *
 * Checks raise the SQLSTATE the project's STYLE.md assigns to each cause:
 * NaN/Infinity 22000, out-of-range arguments 22023, NULL arguments 22004,
 * memory above the budget 54000.  Messages name the offending value.
 *
 * The memory budget is the one setting profile.memory_budget.  A trainer
 * creates a MemoryBudget, reserves the size of each large allocation before
 * making it and so fails early, before the server is short of memory, with
 * both numbers in the message and the setting in the hint.
 *
 * IDENTIFICATION
 *	  src/check.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "catalog/pg_type.h"
#include "fmgr.h"
#include "utils/array.h"
#include "utils/float.h"
#include "utils/memutils.h"

#include "profile.h"

/*
 * check_finite: error 22000 unless value is a finite number.
 */
void
check_finite(double value, const char *what)
{
	if (unlikely(isnan(value) || isinf(value)))
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("%s must be a finite number, not %s", what,
						isnan(value) ? "NaN" : (value > 0 ? "Infinity" : "-Infinity"))));
}

/*
 * check_int_range: error 22023 unless min <= value <= max.
 */
void
check_int_range(int64 value, int64 min, int64 max, const char *what)
{
	if (value < min || value > max)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must be between " INT64_FORMAT " and " INT64_FORMAT ", not " INT64_FORMAT,
						what, min, max, value)));
}

/*
 * check_float_range: error 22023 unless min <= value <= max; NaN and
 * infinities are out of every range.
 */
void
check_float_range(double value, double min, double max, const char *what)
{
	if (isnan(value) || !(value >= min && value <= max))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must be between %s and %s, not %s",
						what, float8out_internal(min), float8out_internal(max),
						float8out_internal(value))));
}

/*
 * check_arg_not_null: for non-STRICT functions, a NULL parameter is an
 * error (22004) rather than a silent NULL result (DESIGN.md).
 */
void
check_arg_not_null(FunctionCallInfo fcinfo, int argno, const char *argname)
{
	if (PG_ARGISNULL(argno))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("parameter \"%s\" must not be NULL", argname)));
}

/*
 * check_aggregate_call: support functions of aggregates update their state
 * in place, which is only safe inside an aggregate; called from plain SQL
 * they raise 0A000 (a user can do this, so not an elog).  Returns the
 * aggregate's memory context.
 */
MemoryContext
check_aggregate_call(FunctionCallInfo fcinfo, const char *fname)
{
	MemoryContext aggcxt;

	if (!AggCheckCallContext(fcinfo, &aggcxt))
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("%s can only be called by an aggregate", fname)));
	return aggcxt;
}

/*
 * float8_array_values: the elements of a double precision[] of any shape
 * (ARR_DATA_PTR, spelt out: the macro trips -Wsign-compare).  NULL
 * elements must have been ruled out by the caller.
 */
const double *
float8_array_values(ArrayType *array)
{
	return (const double *) ((const char *) array +
							 (ARR_HASNULL(array) ? (Size) array->dataoffset
							  : (Size) ARR_OVERHEAD_NONULLS(ARR_NDIM(array))));
}

/*
 * check_features: the elements of a feature vector (double precision[]),
 * after checking its shape: one dimension and not empty (2202E), no NULL
 * element (22000), and expected elements when expected > 0 (22000).
 * Values are not checked here: callers check finiteness as they read.
 * *length is set to the number of elements.
 */
const double *
check_features(ArrayType *array, int expected, int *length)
{
	if (ARR_ELEMTYPE(array) != FLOAT8OID)
		elog(ERROR, "features must be a double precision array");
	if (ARR_NDIM(array) != 1)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 ARR_NDIM(array) == 0 ?
				 errmsg("features must not be an empty array") :
				 errmsg("features must be a one-dimensional array, not %d-dimensional",
						ARR_NDIM(array))));
	if (ARR_HASNULL(array) && array_contains_nulls(array))
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("features must not contain NULL elements")));
	*length = ARR_DIMS(array)[0];
	if (expected > 0 && *length != expected)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("features have %d elements, but %d are expected", *length, expected)));
	return float8_array_values(array);
}

/*
 * flat_array_create: a zeroed one-dimensional array without NULLs of
 * length elements of elemsize bytes: the float8[] and bigint[] aggregate
 * states of the scan paths, updated in place through flat_array_data().
 */
ArrayType *
flat_array_create(Oid elemtype, Size elemsize, int64 length)
{
	Size		bytes;
	ArrayType  *array;

	if (length < 0 || length > (int64) ((MaxAllocSize - ARR_OVERHEAD_NONULLS(1)) / elemsize))
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("an array of " INT64_FORMAT " elements is too large", length)));
	bytes = ARR_OVERHEAD_NONULLS(1) + elemsize * (Size) length;
	array = palloc0(bytes);
	SET_VARSIZE(array, bytes);
	array->ndim = 1;
	array->dataoffset = 0;
	array->elemtype = elemtype;
	ARR_DIMS(array)[0] = (int) length;
	ARR_LBOUND(array)[0] = 1;
	return array;
}

/* The elements of an array made by flat_array_create (or checked alike) */
void *
flat_array_data(ArrayType *array)
{
	return (char *) array + ARR_OVERHEAD_NONULLS(1);
}

/* qsort comparator of doubles, ascending (the values are finite) */
int
compare_float8(const void *a, const void *b)
{
	double		x = *(const double *) a;
	double		y = *(const double *) b;

	return (x > y) - (x < y);
}

/* ---- memory budget ---- */

/* Format a byte count the way pg_size_pretty does, into buf */
static void
format_bytes(char *buf, size_t buflen, Size bytes)
{
	static const char *const units[] = {"bytes", "kB", "MB", "GB", "TB", "PB"};
	double		value = (double) bytes;
	int			unit = 0;

	while (value >= 10240.0 && unit < (int) lengthof(units) - 1)
	{
		value /= 1024.0;
		unit++;
	}
	snprintf(buf, buflen, "%.0f %s", value, units[unit]);
}

void
budget_init(MemoryBudget *budget, const char *what)
{
	budget->what = what;
	budget->limit = (Size) profile_memory_budget_kb * 1024;
	budget->used = 0;
}

/*
 * budget_reserve: account for bytes about to be allocated; error 54000
 * when the total would pass profile.memory_budget.
 */
void
budget_reserve(MemoryBudget *budget, Size bytes, const char *purpose)
{
	if (bytes > budget->limit || budget->used > budget->limit - bytes)
	{
		char		need[64];
		char		limit[64];
		Size		total = (bytes > SIZE_MAX - budget->used) ? SIZE_MAX : budget->used + bytes;

		format_bytes(need, sizeof(need), total);
		format_bytes(limit, sizeof(limit), budget->limit);
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("%s needs %s of memory, more than profile.memory_budget (%s)",
						budget->what, need, limit),
				 errdetail("Reserving %zu bytes for %s on top of %zu bytes already reserved would exceed the limit of %zu bytes.",
						   bytes, purpose, budget->used, budget->limit),
				 errhint("Raise profile.memory_budget (for example SET profile.memory_budget = '2GB') or reduce the input.")));
	}
	budget->used += bytes;
}

/* Reserve count * elemsize bytes, the multiplication checked for overflow */
void
budget_reserve_array(MemoryBudget *budget, Size count, Size elemsize,
					 const char *purpose)
{
	budget_reserve(budget, budget_mul(count, elemsize, budget->what), purpose);
}

void
budget_release(MemoryBudget *budget, Size bytes)
{
	budget->used = (bytes > budget->used) ? 0 : budget->used - bytes;
}

/*
 * budget_mul: a * b in bytes, with an overflow reported as a memory limit
 * (54000) rather than wrapped around.
 */
Size
budget_mul(Size a, Size b, const char *what)
{
	if (b != 0 && a > SIZE_MAX / b)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("%s needs more memory than can be addressed", what),
				 errhint("Reduce the input.")));
	return a * b;
}
