/*-------------------------------------------------------------------------
 *
 * clv_gammagamma.c
 *	  The Gamma-Gamma model of spend per purchase (Fader, Hardie & Lee
 *	  2005, "RFM and CLV: Using Iso-Value Curves for Customer Base
 *	  Analysis", Journal of Marketing Research 42(4); the note "The
 *	  Gamma-Gamma Model of Monetary Value", Fader & Hardie 2013), and
 *	  customer lifetime value with BG/NBD.
 *
 * A customer's purchases have amounts z_i ~ Gamma(p, nu), nu ~ Gamma(q, v)
 * across customers.  Fitted on repeat customers (x > 0) from x and m, the
 * mean amount of their repeat purchases; the log-likelihood of one is
 *	lgamma(p x + q) - lgamma(p x) - lgamma(q) + q log v
 *	  + (p x - 1) log m + p x log x - (p x + q) log(x m + v)
 * (lifetimes' form).  Fit: BFGS on log(p, q, v) (clv_optim.c) of
 * -LL / n + penalizer * (p^2 + q^2 + v^2), with the analytic gradient,
 * on the rows in a canonical order (same doubles serial or parallel).
 * Repeat customers with m <= 0 cannot come from the model: they are left
 * out and counted.
 *
 * The model assumes spend does not depend on frequency; the fit reports
 * the Pearson correlation of x and m and warns from |0.3| on.
 *
 * Conditional expected average order value (paper, eq. 5):
 *	E[Z | x, m] = p (v + x m) / (p x + q - 1)
 * which for x = 0 is the population mean p v / (q - 1), defined for q > 1.
 *
 * CLV (lifetimes' customer_lifetime_value): over `months` months, the
 * expected purchases of each month (BG/NBD, clv_predict.c) times the
 * expected order value, discounted by (1 + discount_rate)^month.  A month
 * is 30 days, 4.345 weeks or 1 month of the model's time unit, as there.
 *
 * IDENTIFICATION
 *	  src/clv_gammagamma.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "access/htup_details.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/float.h"

#include "clv.h"
#include "points.h"
#include "profile.h"

#define GG_GTOL				1e-9
#define GG_MIN_CUSTOMERS	3
#define GG_MAX_PENALIZER	1e6
#define CLV_MAX_MONTHS		1200

StaticAssertDecl(sizeof(ClvSpend) == 2 * sizeof(double), "a spend row is 2 doubles");

/* clv_gammagamma_check: p, q and v finite and positive (22023) */
void
clv_gammagamma_check(const ClvGammaGamma *m)
{
	if (!(isfinite(m->p) && m->p > 0 && isfinite(m->q) && m->q > 0 &&
		  isfinite(m->v) && m->v > 0))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("a Gamma-Gamma model needs finite, positive p, q and v"),
				 errdetail("The model has p = %g, q = %g, v = %g.", m->p, m->q, m->v)));
}

/* months 1..1200 and a monthly discount rate 0..10 (22023) */
void
clv_check_horizon(int months, double discount_rate)
{
	check_int_range(months, 1, CLV_MAX_MONTHS, "months");
	check_float_range(discount_rate, 0.0, 10.0, "discount_rate");
}

/* ---- the fit ---- */

typedef struct GgData
{
	const ClvSpend *rows;		/* sorted by x, then m */
	int64		n;
	int64		ngroups;
	int64	   *group_start;	/* ngroups + 1 */
	double		penalizer;
	double		loglik;
} GgData;

static double
gg_loglik(GgData *data, const ClvGammaGamma *m, double *grad)
{
	double		p = m->p,
				q = m->q,
				v = m->v;
	double		ll = 0.0;
	double		gp = 0.0,
				gq = 0.0,
				gv = 0.0;
	double		log_v = log(v);

	for (int64 gi = 0; gi < data->ngroups; gi++)
	{
		double		x = data->rows[data->group_start[gi]].x;
		double		px = p * x;
		double		base = lgamma(px + q) - lgamma(px);
		double		d1 = clv_digamma(px + q);
		double		d0 = clv_digamma(px);
		double		log_x = log(x);

		if ((gi & 0xff) == 0)
			CHECK_FOR_INTERRUPTS();
		for (int64 i = data->group_start[gi]; i < data->group_start[gi + 1]; i++)
		{
			double		mm = data->rows[i].m;
			double		log_m = log(mm);
			double		xmv = x * mm + v;
			double		log_xmv = log(xmv);

			ll += base + (px - 1.0) * log_m + px * log_x - (px + q) * log_xmv;
			gp += x * (d1 - d0 + log_m + log_x - log_xmv);
			gq += d1 - log_xmv;
			gv -= (px + q) / xmv;
		}
	}
	ll += data->n * (-lgamma(q) + q * log_v);
	gq += data->n * (-clv_digamma(q) + log_v);
	gv += data->n * q / v;
	grad[0] = gp;
	grad[1] = gq;
	grad[2] = gv;
	return ll;
}

static double
gg_objective(void *arg, const double *theta, double *grad, double *hess)
{
	GgData	   *data = (GgData *) arg;
	ClvGammaGamma m = {exp(theta[0]), exp(theta[1]), exp(theta[2])};
	double		natural[3];
	double		params[3] = {m.p, m.q, m.v};
	double		f;

	if (!(isfinite(m.p) && m.p > 0 && isfinite(m.q) && m.q > 0 && isfinite(m.v) && m.v > 0))
		return get_float8_nan();
	data->loglik = gg_loglik(data, &m, natural);
	f = -data->loglik / data->n;
	for (int j = 0; j < 3; j++)
	{
		f += data->penalizer * params[j] * params[j];
		grad[j] = (-natural[j] / data->n + 2.0 * data->penalizer * params[j]) * params[j];
	}
	return f;
}

/*
 * clv_gammagamma_fit_rows: the fit of n repeat customers with m > 0
 * (checked by the caller); excluded is the count of those left out with m
 * <= 0, for the result.  Sorts rows in place unless sorted.  Fails (22000)
 * with fewer than 3 customers.
 */
void
clv_gammagamma_fit_rows(ClvSpend *rows, int64 n, bool sorted, int64 excluded,
						double penalizer, int max_iter, MemoryBudget *budget,
						ClvGammaGammaFit *fit)
{
	GgData		data;
	double		theta[3];
	double		grad[3];
	double		sx = 0.0,
				sm = 0.0,
				sxx = 0.0,
				smm = 0.0,
				sxm = 0.0;
	ClvOptimResult result;

	if (n < GG_MIN_CUSTOMERS)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("a Gamma-Gamma fit needs at least %d repeat customers with a positive monetary value, not " INT64_FORMAT,
						GG_MIN_CUSTOMERS, n),
				 excluded > 0 ? errdetail(INT64_FORMAT " repeat customers were left out for a monetary value of 0 or less.",
										  excluded) : 0));
	if (!sorted)
		points_sort_rows((double *) rows, n, 2);
	budget_reserve_array(budget, n + 1, sizeof(int64), "groups");
	data.group_start = palloc(sizeof(int64) * (n + 1));
	data.ngroups = 0;
	for (int64 i = 0; i < n; i++)
	{
		if (i == 0 || rows[i].x != rows[i - 1].x)
			data.group_start[data.ngroups++] = i;
		sx += rows[i].x;
		sm += rows[i].m;
	}
	data.group_start[data.ngroups] = n;
	data.rows = rows;
	data.n = n;
	data.penalizer = penalizer;

	/* Pearson correlation of frequency and monetary, two-pass */
	sx /= n;
	sm /= n;
	for (int64 i = 0; i < n; i++)
	{
		double		dx = rows[i].x - sx,
					dm = rows[i].m - sm;

		sxx += dx * dx;
		smm += dm * dm;
		sxm += dx * dm;
	}
	fit->correlation = (sxx > 0 && smm > 0) ? sxm / sqrt(sxx * smm) : get_float8_nan();

	/* start: p = 1, q = 2, so that the mean spend p v / (q - 1) is v */
	theta[0] = 0.0;
	theta[1] = log(2.0);
	theta[2] = log(Max(sm, 1e-300));
	clv_minimize(gg_objective, &data, 3, false, theta, max_iter, GG_GTOL, &result);

	fit->params.p = exp(theta[0]);
	fit->params.q = exp(theta[1]);
	fit->params.v = exp(theta[2]);
	fit->loglik = gg_loglik(&data, &fit->params, grad);
	fit->customers = n;
	fit->excluded = excluded;
	fit->iterations = result.iterations;
	fit->converged = result.converged;
	fit->penalizer = penalizer;
	if (!result.converged)
		ereport(WARNING,
				(errcode(ERRCODE_WARNING),
				 errmsg("the Gamma-Gamma fit did not converge (stopped after %d iterations)", result.iterations),
				 errdetail("The largest gradient component is %g; the parameters are the best point found.",
						   result.gradient_norm),
				 errhint("Raise max_iter or add a small penalizer.")));
	if (isfinite(fit->correlation) && fabs(fit->correlation) >= CLV_GG_CORRELATION_WARN)
		ereport(WARNING,
				(errcode(ERRCODE_WARNING),
				 errmsg("frequency and monetary value are correlated (%.3f): the Gamma-Gamma model assumes they are not",
						fit->correlation),
				 errdetail("Expected order values and CLV may be biased for frequent customers.")));
	if (excluded > 0)
		ereport(NOTICE,
				(errmsg("the Gamma-Gamma fit left out " INT64_FORMAT " repeat customers with a monetary value of 0 or less",
						excluded)));
	pfree(data.group_start);
}

/* ---- predictions ---- */

/*
 * clv_gammagamma_aov: the conditional expected average order value of a
 * customer; false when it is undefined (a repeat customer with monetary <=
 * 0, or a mean that does not exist: q <= 1 for a new customer).
 */
bool
clv_gammagamma_aov(const ClvGammaGamma *m, double x, double monetary, double *aov)
{
	double		den = m->p * x + m->q - 1.0;

	if ((x > 0 && !(monetary > 0)) || !(den > 0))
		return false;
	*aov = m->p * (m->v + (x > 0 ? x * monetary : 0.0)) / den;
	return isfinite(*aov);
}

/*
 * clv_value: CLV over months months (see the file header); false when the
 * expected order value is undefined.  The expected purchases of the
 * months come from the predictor (clv_predict_clv): the same as summing
 * profile.clv_expected_purchases month by month, to rounding.
 */
bool
clv_value(ClvPredictor *bg, const ClvGammaGamma *gg, ClvTimeUnit unit,
		  double x, double tx, double T, double monetary, int months,
		  double discount_rate, double *value)
{
	double		aov;

	if (!clv_gammagamma_aov(gg, x, monetary, &aov))
		return false;
	*value = aov * clv_predict_p_alive(bg, x, tx, T) *
		clv_predict_clv(bg, x, T, months, discount_rate, clv_time_unit_per_month(unit));
	return isfinite(*value);
}

/* ---- model values: the profile.clv_gammagamma composite ---- */

Datum
clv_gammagamma_fit_datum(const ClvGammaGammaFit *fit, TupleDesc tupdesc)
{
	Datum		values[10];
	bool		nulls[10] = {false};

	values[0] = Float8GetDatum(fit->params.p);
	values[1] = Float8GetDatum(fit->params.q);
	values[2] = Float8GetDatum(fit->params.v);
	values[3] = Float8GetDatum(fit->loglik);
	values[4] = Int64GetDatum(fit->customers);
	values[5] = Int64GetDatum(fit->excluded);
	values[6] = Int32GetDatum(fit->iterations);
	values[7] = BoolGetDatum(fit->converged);
	values[8] = Float8GetDatum(fit->penalizer);
	values[9] = Float8GetDatum(fit->correlation);
	nulls[9] = !isfinite(fit->correlation);
	return HeapTupleGetDatum(heap_form_tuple(tupdesc, values, nulls));
}

static double
gg_field(HeapTupleHeader tuple, int i, const char *name)
{
	bool		isnull;
	Datum		value = GetAttributeByNum(tuple, i, &isnull);

	if (isnull)
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("the Gamma-Gamma model has a NULL %s", name)));
	return DatumGetFloat8(value);
}

void
clv_gammagamma_from_datum(Datum composite, ClvGammaGamma *model)
{
	HeapTupleHeader tuple = DatumGetHeapTupleHeader(composite);

	model->p = gg_field(tuple, 1, "p");
	model->q = gg_field(tuple, 2, "q");
	model->v = gg_field(tuple, 3, "v");
	clv_gammagamma_check(model);
}

/* frequency and monetary of a prediction: finite, frequency a whole >= 0 */
static void
check_spend(double x, double monetary)
{
	check_finite(x, "frequency");
	check_finite(monetary, "monetary");
	if (x < 0 || x != floor(x))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("frequency must be a whole number of repeat purchases, 0 or more, not %g", x)));
}

/*
 * The models of a clv_value or clv_expected_aov call, decoded once per
 * query when constant (the BG/NBD predictor: clv_predictor_arg)
 */
typedef struct ValueArgCache
{
	bool		valid;
	ClvModelArg bg;
	ClvGammaGamma gg;
	ClvTimeUnit unit;
} ValueArgCache;

/* profile.clv_expected_aov(model clv_gammagamma, frequency, monetary); NULL if undefined */
PG_FUNCTION_INFO_V1(profile_clv_expected_aov);
Datum
profile_clv_expected_aov(PG_FUNCTION_ARGS)
{
	ValueArgCache *cache = fcinfo->flinfo->fn_extra;
	double		x = PG_GETARG_FLOAT8(1);
	double		monetary = PG_GETARG_FLOAT8(2);
	double		aov;

	if (cache == NULL)
		cache = fcinfo->flinfo->fn_extra =
			MemoryContextAllocZero(fcinfo->flinfo->fn_mcxt, sizeof(ValueArgCache));
	if (!cache->valid || !get_fn_expr_arg_stable(fcinfo->flinfo, 0))
	{
		cache->valid = false;
		clv_gammagamma_from_datum(PG_GETARG_DATUM(0), &cache->gg);
		cache->valid = true;
	}
	check_spend(x, monetary);
	if (!clv_gammagamma_aov(&cache->gg, x, monetary, &aov))
		PG_RETURN_NULL();
	PG_RETURN_FLOAT8(aov);
}

/*
 * profile.clv_value(bgnbd, gammagamma, frequency, recency, t, monetary,
 * time_unit, months, discount_rate); NULL where the order value is
 * undefined.
 */
PG_FUNCTION_INFO_V1(profile_clv_value);
Datum
profile_clv_value(PG_FUNCTION_ARGS)
{
	ValueArgCache *cache = fcinfo->flinfo->fn_extra;
	double		x = PG_GETARG_FLOAT8(2),
				tx = PG_GETARG_FLOAT8(3),
				T = PG_GETARG_FLOAT8(4),
				monetary = PG_GETARG_FLOAT8(5);
	int32		months = PG_GETARG_INT32(7);
	double		discount_rate = PG_GETARG_FLOAT8(8);
	double		value;
	ClvPredictor *bg;

	if (cache == NULL)
		cache = fcinfo->flinfo->fn_extra =
			MemoryContextAllocZero(fcinfo->flinfo->fn_mcxt, sizeof(ValueArgCache));
	bg = clv_predictor_arg(fcinfo, 0, &cache->bg);
	if (!cache->valid || !get_fn_expr_arg_stable(fcinfo->flinfo, 1) ||
		!get_fn_expr_arg_stable(fcinfo->flinfo, 6))
	{
		cache->valid = false;
		clv_gammagamma_from_datum(PG_GETARG_DATUM(1), &cache->gg);
		cache->unit = clv_time_unit_from_name(text_to_cstring(PG_GETARG_TEXT_PP(6)));
		cache->valid = true;
	}
	clv_check_summary(x, tx, T);
	check_finite(monetary, "monetary");
	clv_check_horizon(months, discount_rate);
	if (!clv_value(bg, &cache->gg, cache->unit, x, tx, T, monetary, months,
				   discount_rate, &value))
		PG_RETURN_NULL();
	PG_RETURN_FLOAT8(value);
}

/* ---- the aggregate profile.clv_gammagamma ---- */

static const char *const penalizer_names[1] = {"penalizer"};

static const PointsSpec gg_spec = {
	.what = "profile.clv_gammagamma",
	.transfn = "profile.clv_gammagamma_transfn",
	.combinefn = "profile.clv_gammagamma_combinefn",
	.labelled = false,
	.nparams = 0,
	.param_names = NULL,
};

static const PointsSpec gg_penalized_spec = {
	.what = "profile.clv_gammagamma",
	.transfn = "profile.clv_gammagamma_transfn",
	.combinefn = "profile.clv_gammagamma_combinefn",
	.labelled = false,
	.nparams = 1,
	.param_names = penalizer_names,
};

/*
 * Transition: (state, frequency, monetary [, penalizer]).  Rows with a
 * NULL value, and customers without repeat purchases (frequency 0), are
 * skipped; repeat customers with monetary <= 0 are kept to be counted.
 */
PG_FUNCTION_INFO_V1(profile_clv_gammagamma_transfn);
Datum
profile_clv_gammagamma_transfn(PG_FUNCTION_ARGS)
{
	bool		penalized = PG_NARGS() > 3;
	int64		params[1] = {0};
	double		row[2];

	check_aggregate_call(fcinfo, "profile.clv_gammagamma_transfn");
	if (penalized)
	{
		double		penalizer;

		check_arg_not_null(fcinfo, 3, "penalizer");
		penalizer = PG_GETARG_FLOAT8(3);
		check_float_range(penalizer, 0.0, GG_MAX_PENALIZER, "penalizer");
		penalizer += 0.0;
		memcpy(&params[0], &penalizer, sizeof(double));
	}
	if (PG_ARGISNULL(1) || PG_ARGISNULL(2))
	{
		if (PG_ARGISNULL(0))
			PG_RETURN_NULL();
		PG_RETURN_DATUM(PG_GETARG_DATUM(0));
	}
	row[0] = PG_GETARG_FLOAT8(1);
	row[1] = PG_GETARG_FLOAT8(2);
	check_spend(row[0], row[1]);
	if (row[0] == 0)
	{
		if (PG_ARGISNULL(0))
			PG_RETURN_NULL();
		PG_RETURN_DATUM(PG_GETARG_DATUM(0));
	}
	return points_append_row(fcinfo, penalized ? &gg_penalized_spec : &gg_spec,
							 row, 2, 0, params);
}

PG_FUNCTION_INFO_V1(profile_clv_gammagamma_combinefn);
Datum
profile_clv_gammagamma_combinefn(PG_FUNCTION_ARGS)
{
	return points_combinefn(fcinfo, &gg_spec);
}

/*
 * Split sorted rows into those with m > 0 (moved to the front, order kept)
 * and count the others.  Rows must be checked.
 */
static int64
keep_positive(ClvSpend *rows, int64 n, int64 *excluded)
{
	int64		kept = 0;

	*excluded = 0;
	for (int64 i = 0; i < n; i++)
	{
		if (rows[i].m > 0)
			rows[kept++] = rows[i];
		else
			(*excluded)++;
	}
	return kept;
}

/* Final: the fit of the group's repeat customers, a profile.clv_gammagamma value */
PG_FUNCTION_INFO_V1(profile_clv_gammagamma_finalfn);
Datum
profile_clv_gammagamma_finalfn(PG_FUNCTION_ARGS)
{
	PointsData *points = points_check(PG_GETARG_DATUM(0), &gg_spec);
	PointsSorted *sorted;
	MemoryBudget budget;
	ClvGammaGammaFit fit;
	double		penalizer = 0.0;
	ClvSpend   *rows;
	int64		n;
	int64		excluded;
	TupleDesc	tupdesc;

	if (points_dim(points) != 2 || points_nparams(points) > 1)
		points_bad_state(&gg_spec, "not a Gamma-Gamma state");
	if (points_nparams(points) == 1)
	{
		int64		bits = points_param(points, 0);

		memcpy(&penalizer, &bits, sizeof(double));
		if (!(penalizer >= 0.0 && penalizer <= GG_MAX_PENALIZER))
			points_bad_state(&gg_spec, "bad penalizer");
	}
	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");
	tupdesc = BlessTupleDesc(tupdesc);
	budget_init(&budget, "profile.clv_gammagamma");
	sorted = points_sort(points, &budget);
	rows = (ClvSpend *) sorted->rows;
	for (int64 i = 0; i < sorted->n; i++)
	{
		check_spend(rows[i].x, rows[i].m);
		if (rows[i].x == 0)
			points_bad_state(&gg_spec, "a row without repeat purchases");
	}
	n = keep_positive(rows, sorted->n, &excluded);
	clv_gammagamma_fit_rows(rows, n, true, excluded, penalizer, CLV_DEFAULT_MAX_ITER,
							&budget, &fit);
	PG_RETURN_DATUM(clv_gammagamma_fit_datum(&fit, tupdesc));
}
