/*-------------------------------------------------------------------------
 *
 * pca.c
 *	  Principal component analysis: a combinable aggregate over feature
 *	  vectors, and the projection of a vector onto its components.
 *
 * profile.pca(features, n_components) keeps the running mean and the sums
 * of centred cross products (M2 = sum over rows of (x - mean)(x - mean)^T)
 * of the rows of a group, and its final function takes the eigenvalues and
 * eigenvectors of the sample covariance M2 / (n - 1) through LAPACK
 * (linalg.c).  Definitions (README: PCA):
 *	- features are centred, not scaled: scale them first when their units
 *	  differ (log of monetary values, z-scores);
 *	- explained_variance is an eigenvalue of the sample covariance (n - 1
 *	  denominator, as scikit-learn), largest first; tiny negative ones left
 *	  by rounding are reported as 0.  explained_variance_ratio divides by
 *	  the total variance, the trace of the covariance (the sum of the
 *	  features' sample variances), and is NULL when that is 0;
 *	- components are unit vectors, rows of an n_components x d array; the
 *	  sign of each is fixed so that its entry of largest absolute value is
 *	  positive (of entries equal to within 1e-6 relatively, the first);
 *	- one row: n and means, the other fields NULL (a covariance needs two
 *	  rows); constant data (covariance exactly 0): components are the unit
 *	  vectors of the first n_components axes, explained variance 0, ratio
 *	  NULL.  Components of equal variance are any orthonormal basis of
 *	  their space.
 *
 * The state is a float8[] (DESIGN.md: not internal, so parallel query and
 * Citus can split the aggregate, and its text form round-trips exactly):
 *
 *		[n, d, k, mean[0..d-1], M2 upper triangle by rows (d(d+1)/2)]
 *
 * with n the row count, d the number of features and k n_components.
 * Rows are added with Welford's update (B. P. Welford, "Note on a method
 * for calculating corrected sums of squares and products",
 * Technometrics 4 (1962)) and states combined with the pairwise formula of
 * Chan, Golub and LeVeque ("Updating formulae and a pairwise algorithm
 * for computing sample variances", 1979), so neither a large mean nor the
 * order of rows and partial states costs precision the way sum(x^2) -
 * n mean^2 would.  A state from outside (a combine input, a hand-made
 * argument of the final function) is checked in full before use: its
 * length, header and finiteness; a state that fails is refused with 22P03.
 *
 * Limits: d <= PCA_MAX_FEATURES (1000), so that the state stays below 4MB
 * and the eigen-decomposition, which cannot be cancelled, takes about a
 * second at worst.  The state and the final function's matrices are
 * reserved against profile.memory_budget.  Each row costs O(d^2), the final
 * function O(d^3).
 *
 * IDENTIFICATION
 *	  src/pca.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "fmgr.h"
#include "funcapi.h"
#include "utils/array.h"
#include "utils/memutils.h"

#include "linalg.h"
#include "profile.h"

/* At most this many features: the covariance matrix is d x d */
#define PCA_MAX_FEATURES	1000

/* Rows are counted in a double: exact up to 2^53 */
#define PCA_MAX_ROWS		9007199254740992.0

/* State layout */
#define PCA_HEADER			3
#define PCA_N				0
#define PCA_D				1
#define PCA_K				2
#define PCA_M2_LEN(d)		((Size) (d) * ((d) + 1) / 2)
#define PCA_STATE_LEN(d)	(PCA_HEADER + (Size) (d) + PCA_M2_LEN(d))

/* Entries within this relative distance of the largest count as equal */
#define PCA_SIGN_TOLERANCE	1e-6

static void bad_state(const char *why) pg_attribute_noreturn();

/* ---- arrays ---- */

/*
 * The elements of a float8[] (ARR_DATA_PTR mixes signed and unsigned
 * operands, which -Wextra refuses).
 */
static inline double *
array_data(ArrayType *array)
{
	Size		offset = ARR_HASNULL(array) ? (Size) array->dataoffset
		: ARR_OVERHEAD_NONULLS(ARR_NDIM(array));

	return (double *) ((char *) array + offset);
}

/*
 * A new float8 array with the given dimensions (lower bounds 1), filled
 * from values or with zeros, in the current memory context.
 */
static ArrayType *
float8_array(int ndim, const int *dims, const double *values)
{
	int			nitems = ArrayGetNItems(ndim, dims);
	Size		nbytes = ARR_OVERHEAD_NONULLS(ndim) + sizeof(double) * (Size) nitems;
	ArrayType  *array = palloc0(nbytes);

	SET_VARSIZE(array, nbytes);
	array->ndim = ndim;
	array->dataoffset = 0;
	array->elemtype = FLOAT8OID;
	for (int i = 0; i < ndim; i++)
	{
		ARR_DIMS(array)[i] = dims[i];
		ARR_LBOUND(array)[i] = 1;
	}
	if (values != NULL)
		memcpy(array_data(array), values, sizeof(double) * (Size) nitems);
	return array;
}

/*
 * The elements of a user's float8 array: ndim dimensions (2202E
 * otherwise), no NULL element and no NaN or Infinity (22000).  *dims gets
 * the dimensions.  what names the array in messages.
 */
static const double *
user_array(ArrayType *array, int ndim, int *dims, const char *what)
{
	const double *values;
	int			nitems;

	if (ARR_ELEMTYPE(array) != FLOAT8OID)
		elog(ERROR, "%s: expected a double precision array", what);
	if (ARR_NDIM(array) == 0)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("%s must not be an empty array", what)));
	if (ARR_NDIM(array) != ndim)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("%s must be a %s array, not one of %d dimensions",
						what, ndim == 1 ? "one-dimensional" : "two-dimensional",
						ARR_NDIM(array))));
	if (ARR_HASNULL(array) && array_contains_nulls(array))
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("%s must not contain NULL elements", what)));
	nitems = ArrayGetNItems(ndim, ARR_DIMS(array));
	values = array_data(array);
	for (int i = 0; i < nitems; i++)
		if (unlikely(!isfinite(values[i])))
			check_finite(values[i], psprintf("element %d of %s", i + 1, what));
	memcpy(dims, ARR_DIMS(array), sizeof(int) * ndim);
	return values;
}

/* ---- states ---- */

static void
bad_state(const char *why)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
			 errmsg("invalid profile.pca state: %s", why),
			 errhint("States come from profile.pca_transfn; do not build them by hand.")));
}

/* A zeroed state for d features and k components, in the current context */
static ArrayType *
state_new(int d, int k)
{
	int			len = (int) PCA_STATE_LEN(d);
	ArrayType  *state = float8_array(1, &len, NULL);
	double	   *s = array_data(state);

	s[PCA_D] = d;
	s[PCA_K] = k;
	return state;
}

/*
 * state_header: the elements of a state after the O(1) checks that make
 * reading it safe (shape, header, length); *d and *k get its sizes.
 */
static double *
state_header(ArrayType *state, int *d, int *k)
{
	double	   *s;
	double		dd;
	double		kk;

	if (ARR_ELEMTYPE(state) != FLOAT8OID)
		elog(ERROR, "profile.pca state: expected a double precision array");
	if (ARR_NDIM(state) != 1)
		bad_state("not a one-dimensional array");
	if (ARR_HASNULL(state) && array_contains_nulls(state))
		bad_state("NULL elements");
	if (ARR_DIMS(state)[0] < PCA_HEADER)
		bad_state("too short");
	s = array_data(state);
	dd = s[PCA_D];
	kk = s[PCA_K];
	if (!(s[PCA_N] >= 0 && s[PCA_N] <= PCA_MAX_ROWS && s[PCA_N] == floor(s[PCA_N])))
		bad_state("bad row count");
	if (!(dd >= 1 && dd <= PCA_MAX_FEATURES && dd == floor(dd)))
		bad_state("bad number of features");
	if (!(kk >= 1 && kk <= dd && kk == floor(kk)))
		bad_state("bad number of components");
	if ((Size) ARR_DIMS(state)[0] != PCA_STATE_LEN((int) dd))
		bad_state("length does not match the number of features");
	*d = (int) dd;
	*k = (int) kk;
	return s;
}

/*
 * state_check: a state from outside, checked in full (header, row count,
 * finiteness, non-negative variances).  Returns its elements.
 */
static double *
state_check(ArrayType *state, int *d, int *k)
{
	double	   *s = state_header(state, d, k);
	double		n = s[PCA_N];
	Size		len = PCA_STATE_LEN(*d);
	const double *m2 = s + PCA_HEADER + *d;
	Size		diag = 0;

	if (n < 1)
		bad_state("bad row count");
	for (Size i = PCA_HEADER; i < len; i++)
		if (!isfinite(s[i]))
			bad_state("values not finite");
	/* the diagonal of M2 holds sums of squares */
	for (int i = 0; i < *d; i++)
	{
		if (m2[diag] < 0)
			bad_state("negative sum of squares");
		diag += *d - i;
	}
	return s;
}

/* Overflow of the sums: the features are too large for double precision */
static void
sums_out_of_range(void)
{
	ereport(ERROR,
			(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
			 errmsg("PCA sums out of range for double precision"),
			 errhint("Scale the features down.")));
}

/*
 * Chan, Golub and LeVeque: merge into state s (d features) a part of no
 * rows with means mean_o and centred cross products m2_o (upper triangle;
 * NULL for a single row, whose are 0).  With delta = mean_o - mean_s and
 * n = n_s + n_o:
 *	mean = mean_s + delta n_o / n;  M2 = M2_s + M2_o + delta delta^T n_s n_o / n
 * For one row this is Welford's update, which keeps M2 exactly symmetric
 * in rounding.
 */
static void
state_merge_part(double *s, int d, const double *mean_o, const double *m2_o, double no)
{
	double		delta[PCA_MAX_FEATURES];
	double		ns = s[PCA_N];
	double		n = ns + no;
	double		f = (ns / n) * no;
	double	   *mean = s + PCA_HEADER;
	double	   *m2 = mean + d;
	bool		finite = true;

	if (n > PCA_MAX_ROWS)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("profile.pca counts at most 2^53 rows")));
	for (int i = 0; i < d; i++)
	{
		delta[i] = mean_o[i] - mean[i];
		mean[i] += delta[i] * no / n;
		finite &= isfinite(mean[i]) && isfinite(delta[i]);
	}
	for (int i = 0; i < d; i++)
	{
		double		di = delta[i] * f;

		for (int j = i; j < d; j++)
		{
			*m2 += (m2_o ? *m2_o++ : 0.0) + di * delta[j];
			finite &= isfinite(*m2);
			m2++;
		}
	}
	if (!finite)
		sums_out_of_range();
	s[PCA_N] = n;
}

/* Add row x to state s of d features */
static void
state_add_row(double *s, int d, const double *x)
{
	state_merge_part(s, d, x, NULL, 1.0);
}

/* Merge state o into state s, both of d features */
static void
state_merge(double *s, const double *o, int d)
{
	state_merge_part(s, d, o + PCA_HEADER, o + PCA_HEADER + d, o[PCA_N]);
}

/* ---- the aggregate ---- */

/*
 * The transition functions: (state, features [, n_components]).  A NULL
 * features row is skipped; a NULL n_components is an error (22004).
 */
static Datum
pca_trans(FunctionCallInfo fcinfo, bool with_k)
{
	ArrayType  *features;
	ArrayType  *state;
	const double *x;
	double	   *s;
	int			d;
	int			k = 0;

	check_aggregate_call(fcinfo, "profile.pca_transfn");
	if (with_k)
	{
		check_arg_not_null(fcinfo, 2, "n_components");
		k = PG_GETARG_INT32(2);
		check_int_range(k, 1, PCA_MAX_FEATURES, "n_components");
	}

	/* a NULL row is skipped */
	if (PG_ARGISNULL(1))
	{
		if (PG_ARGISNULL(0))
			PG_RETURN_NULL();
		PG_RETURN_DATUM(PG_GETARG_DATUM(0));
	}
	features = PG_GETARG_ARRAYTYPE_P(1);
	x = user_array(features, 1, &d, "features");

	if (PG_ARGISNULL(0))
	{
		MemoryBudget budget;

		if (d > PCA_MAX_FEATURES)
			ereport(ERROR,
					(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
					 errmsg("profile.pca accepts at most %d features, not %d",
							PCA_MAX_FEATURES, d),
					 errdetail("The covariance matrix has one row and one column per feature.")));
		if (!with_k)
			k = d;
		check_int_range(k, 1, d, "n_components");
		budget_init(&budget, "PCA");
		budget_reserve_array(&budget, PCA_STATE_LEN(d), sizeof(double),
							 "the covariance sums");

		/*
		 * Allocated in the per-call context: the executor copies a new
		 * by-reference state into the aggregate context (and later calls
		 * update that copy in place), so allocating it there ourselves
		 * would leave a second copy behind.
		 */
		state = state_new(d, k);
		s = array_data(state);
	}
	else
	{
		int			sd;
		int			sk;

		/*
		 * Our own state, in the aggregate context: updated in place.  The
		 * O(1) checks keep a hand-made INITCOND from reading out of bounds;
		 * the final function checks the rest.
		 */
		state = PG_GETARG_ARRAYTYPE_P(0);
		s = state_header(state, &sd, &sk);
		if (d != sd)
			ereport(ERROR,
					(errcode(ERRCODE_DATA_EXCEPTION),
					 errmsg("feature vectors must all have the same length"),
					 errdetail("Earlier rows have %d features, this one has %d.", sd, d)));
		if (with_k && k != sk)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("n_components must be the same for every row of a group")));
	}

	state_add_row(s, d, x);
	PG_RETURN_ARRAYTYPE_P(state);
}

PG_FUNCTION_INFO_V1(profile_pca_transfn);
Datum
profile_pca_transfn(PG_FUNCTION_ARGS)
{
	return pca_trans(fcinfo, true);
}

PG_FUNCTION_INFO_V1(profile_pca_transfn_all);
Datum
profile_pca_transfn_all(PG_FUNCTION_ARGS)
{
	return pca_trans(fcinfo, false);
}

/*
 * Combine: merges the second state into the first, in place.  Both are
 * checked in full: the second comes from a worker, a Citus node or a
 * user's own aggregate.
 */
PG_FUNCTION_INFO_V1(profile_pca_combinefn);
Datum
profile_pca_combinefn(PG_FUNCTION_ARGS)
{
	ArrayType  *state;
	ArrayType  *other;
	double	   *s;
	const double *o;
	int			d,
				k,
				od,
				ok;

	check_aggregate_call(fcinfo, "profile.pca_combinefn");
	if (PG_ARGISNULL(1))
	{
		if (PG_ARGISNULL(0))
			PG_RETURN_NULL();
		PG_RETURN_DATUM(PG_GETARG_DATUM(0));
	}
	other = PG_GETARG_ARRAYTYPE_P(1);
	o = state_check(other, &od, &ok);
	if (PG_ARGISNULL(0))
	{
		/* the executor copies it into the aggregate context */
		PG_RETURN_ARRAYTYPE_P(other);
	}

	state = PG_GETARG_ARRAYTYPE_P(0);
	s = state_check(state, &d, &k);
	if (d != od)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("feature vectors must all have the same length"),
				 errdetail("Cannot combine PCA states of %d and %d features.", d, od)));
	if (k != ok)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("n_components must be the same for every row of a group")));
	state_merge(s, o, d);
	PG_RETURN_ARRAYTYPE_P(state);
}

/*
 * Fix the sign of a unit vector v of d entries: its entry of largest
 * absolute value (the first of those within PCA_SIGN_TOLERANCE of it)
 * becomes positive.  The tolerance keeps vectors such as (1, -1)/sqrt(2),
 * whose two entries differ by rounding only, from flipping with the
 * rounding of one run (or with the precision lost to features far from
 * the origin: at 10^9, centred values keep about 8 significant digits).
 */
static void
fix_sign(double *v, int d)
{
	double		largest = 0.0;

	for (int i = 0; i < d; i++)
		largest = Max(largest, fabs(v[i]));
	for (int i = 0; i < d; i++)
	{
		if (fabs(v[i]) >= largest * (1.0 - PCA_SIGN_TOLERANCE))
		{
			if (v[i] < 0)
				for (int j = 0; j < d; j++)
					v[j] = -v[j];
			return;
		}
	}
}

/*
 * The final function: the profile.pca_result composite (n, means,
 * components, explained_variance, explained_variance_ratio), built in the
 * caller's memory context.  Leaves the state alone.  STRICT: no rows gives
 * NULL.
 */
PG_FUNCTION_INFO_V1(profile_pca_finalfn);
Datum
profile_pca_finalfn(PG_FUNCTION_ARGS)
{
	ArrayType  *state = PG_GETARG_ARRAYTYPE_P(0);
	const double *s;
	const double *mean;
	const double *m2;
	int			d,
				k;
	double		n;
	TupleDesc	tupdesc;
	Datum		values[5];
	bool		nulls[5] = {false};
	MemoryContext callercxt = CurrentMemoryContext;
	MemoryContext workcxt;
	MemoryBudget budget;
	double	   *cov;
	double	   *w;
	double	   *z;
	double		total = 0.0;
	bool		all_zero = true;
	int			dims[2];

	s = state_check(state, &d, &k);
	n = s[PCA_N];
	mean = s + PCA_HEADER;
	m2 = mean + d;

	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");
	tupdesc = BlessTupleDesc(tupdesc);

	values[0] = Int64GetDatum((int64) n);
	values[1] = PointerGetDatum(float8_array(1, &d, mean));
	if (n < 2)
	{
		/* one row: no covariance, so no components */
		nulls[2] = nulls[3] = nulls[4] = true;
		PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(tupdesc, values, nulls)));
	}

	/*
	 * The covariance (d x d), eigenvalues and eigenvectors (d x k, twice:
	 * ours and LAPACK's) and LAPACK's workspace (below 40 d).
	 */
	budget_init(&budget, "PCA");
	budget_reserve_array(&budget, budget_mul(d, d + 2 * k + 40, "PCA"), sizeof(double),
						 "the covariance matrix and its eigenvectors");
	workcxt = AllocSetContextCreate(CurrentMemoryContext, "profile pca",
									ALLOCSET_DEFAULT_SIZES);
	MemoryContextSwitchTo(workcxt);
	cov = palloc(sizeof(double) * (Size) d * d);
	w = palloc(sizeof(double) * k);
	z = palloc0(sizeof(double) * (Size) d * k);

	/* column-major and symmetric: (i, j) and (j, i) are the same value */
	for (int i = 0; i < d; i++)
	{
		for (int j = i; j < d; j++)
		{
			double		c = *m2++ / (n - 1);

			cov[i + (Size) j * d] = c;
			cov[j + (Size) i * d] = c;
			all_zero &= (c == 0.0);
		}
		total += cov[i + (Size) i * d];
	}

	if (all_zero)
	{
		/* constant data: every direction has variance 0; take the axes */
		for (int j = 0; j < k; j++)
		{
			w[j] = 0.0;
			z[j + (Size) j * d] = 1.0;
		}
	}
	else if (k == d)
	{
		/* all of them: LAPACK gives them ascending, we want largest first */
		double	   *w_asc = palloc(sizeof(double) * d);

		linalg_sym_eigen(d, cov, w_asc);
		for (int j = 0; j < d; j++)
		{
			w[j] = w_asc[d - 1 - j];
			memcpy(z + (Size) j * d, cov + (Size) (d - 1 - j) * d, sizeof(double) * d);
		}
	}
	else
		linalg_sym_eigen_top(d, k, cov, w, z);

	for (int j = 0; j < k; j++)
	{
		/* rounding can leave an eigenvalue of 0 slightly negative */
		if (w[j] < 0)
			w[j] = 0.0;
		fix_sign(z + (Size) j * d, d);
	}

	MemoryContextSwitchTo(callercxt);
	/* column j of z (d x k, column-major) is row j of a k x d array */
	dims[0] = k;
	dims[1] = d;
	values[2] = PointerGetDatum(float8_array(2, dims, z));
	values[3] = PointerGetDatum(float8_array(1, &k, w));
	if (total > 0)
	{
		ArrayType  *ratio = float8_array(1, &k, w);
		double	   *r = array_data(ratio);

		for (int j = 0; j < k; j++)
			r[j] /= total;
		values[4] = PointerGetDatum(ratio);
	}
	else
		nulls[4] = true;

	MemoryContextDelete(workcxt);
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(tupdesc, values, nulls)));
}

/* ---- projection ---- */

/*
 * profile.pca_project(features, means, components): the scores
 * components (features - means), one per component (row of components).
 * STRICT.  Dimensions must agree (22000); arrays of the wrong shape are
 * 2202E; NULL elements, NaN and Infinity 22000.  The result is built in
 * the caller's context.
 */
PG_FUNCTION_INFO_V1(profile_pca_project);
Datum
profile_pca_project(PG_FUNCTION_ARGS)
{
	ArrayType  *features = PG_GETARG_ARRAYTYPE_P(0);
	ArrayType  *means = PG_GETARG_ARRAYTYPE_P(1);
	ArrayType  *components = PG_GETARG_ARRAYTYPE_P(2);
	const double *x;
	const double *mu;
	const double *v;
	int			d,
				dm;
	int			dims[2];
	double	   *centred;
	ArrayType  *result;
	double	   *scores;

	x = user_array(features, 1, &d, "features");
	mu = user_array(means, 1, &dm, "means");
	v = user_array(components, 2, dims, "components");
	if (dm != d)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("features and means must have the same length"),
				 errdetail("features has %d elements, means has %d.", d, dm)));
	if (dims[1] != d)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("components must have one column per feature"),
				 errdetail("features has %d elements, the rows of components have %d.",
						   d, dims[1])));

	centred = palloc(sizeof(double) * d);
	for (int i = 0; i < d; i++)
	{
		centred[i] = x[i] - mu[i];
		if (!isfinite(centred[i]))
			ereport(ERROR,
					(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
					 errmsg("value out of range: overflow")));
	}

	/*
	 * The k x d rows-first array is the column-major d x k matrix V whose
	 * columns are the components: scores = V^T centred.
	 */
	result = float8_array(1, &dims[0], NULL);
	scores = array_data(result);
	linalg_gemm(true, false, dims[0], 1, d, 1.0, v, d, centred, d, 0.0, scores, dims[0]);
	for (int j = 0; j < dims[0]; j++)
		if (!isfinite(scores[j]))
			ereport(ERROR,
					(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
					 errmsg("value out of range: overflow")));
	pfree(centred);
	PG_RETURN_ARRAYTYPE_P(result);
}
