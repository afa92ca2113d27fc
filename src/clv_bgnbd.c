/*-------------------------------------------------------------------------
 *
 * clv_bgnbd.c
 *	  The BG/NBD model of repeat purchases (Fader, Hardie & Lee 2005,
 *	  "Counting Your Customers the Easy Way: An Alternative to the
 *	  Pareto/NBD Model", Marketing Science 24(2)): likelihood, fit,
 *	  predictions, and a simulator.
 *
 * A customer buys at Poisson rate lambda ~ Gamma(r, alpha) while alive,
 * and after each purchase drops out with probability p ~ Beta(a, b).  A
 * customer's data are x (repeat purchases), t_x (time of the last one)
 * and T (time since the first purchase), in one time unit.
 *
 * Log-likelihood of one customer (paper, eq. 6), in the form of the
 * Python package lifetimes, every term in log space:
 *	A1 = lgamma(r + x) - lgamma(r) + r log(alpha)
 *	A2 = lgamma(a + b) + lgamma(b + x) - lgamma(b) - lgamma(a + b + x)
 *	A3 = -(r + x) log(alpha + T)
 *	A4 = log(a) - log(b + x - 1) - (r + x) log(alpha + t_x)	 (x > 0 only)
 *	LL = A1 + A2 + log(exp(A3) + [x > 0] exp(A4))
 * the last term by log-sum-exp, so no term overflows however large x is
 * (the a / (b + x - 1) overflow of lifetimes#332).  The gradient and
 * Hessian are analytic (digamma and trigamma, below).
 *
 * Fit: maximum likelihood on log(r, alpha, a, b) by Newton's method with
 * the analytic Hessian (clv_optim.c; trigamma below),
 * minimising -LL / n + penalizer * (r^2 + alpha^2 + a^2 + b^2), lifetimes'
 * objective.  Equal (x, t_x, T) triples are compressed into one with a
 * weight, and the x-dependent special functions are computed once per
 * distinct x.  The rows are first put in a canonical order (sorted), so
 * the fit is the same doubles whatever order the rows came in: serial,
 * parallel or distributed.
 *
 *	- profile.clv_bgnbd(frequency, recency, t [, penalizer]): the fit as
 *	  an aggregate (a point-buffer state, points.c), returning the
 *	  profile.clv_bgnbd composite;
 *	- profile.clv_bgnbd_loglik(frequency, recency, t, params): the scan
 *	  path's pass, a double precision[] aggregate (DESIGN.md) of the
 *	  log-likelihood, its gradient and Hessian at params = {r, alpha, a, b};
 *	- profile.clv_bgnbd_fit_scan(query, penalizer, max_iter): Newton whose
 *	  every evaluation is one such pass over the query;
 *	- profile.clv_bgnbd_simulate: customers drawn from the model.
 * Predictions are in clv_predict.c.
 *
 * IDENTIFICATION
 *	  src/clv_bgnbd.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <float.h>
#include <math.h>

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/float.h"
#include "utils/lsyscache.h"
#include "utils/typcache.h"

#include "clv.h"
#include "points.h"
#include "prng.h"
#include "profile.h"

#define CLV_GTOL			1e-9	/* on the gradient of -LL / n */
#define CLV_MIN_CUSTOMERS	4		/* as many as parameters */
#define CLV_MAX_PENALIZER	1e6

StaticAssertDecl(sizeof(ClvTriple) == 3 * sizeof(double), "a triple is a row of 3 doubles");

/* ---- special functions ---- */

/*
 * clv_digamma: psi(x) for x > 0, by the recurrence psi(x) = psi(x + 1) -
 * 1 / x up to x >= 6 and the asymptotic series there (error below 1e-13).
 */
double
clv_digamma(double x)
{
	double		result = 0.0;
	double		f;

	while (x < 6.0)
	{
		result -= 1.0 / x;
		x += 1.0;
	}
	f = 1.0 / (x * x);
	return result + log(x) - 0.5 / x
		- f * (1.0 / 12 - f * (1.0 / 120 - f * (1.0 / 252 - f * (1.0 / 240 - f * (1.0 / 132)))));
}

/*
 * clv_trigamma: psi'(x) for x > 0, by the recurrence psi'(x) = psi'(x + 1)
 * + 1 / x^2 up to x >= 10 and the asymptotic series there (relative error
 * below 1e-13; it only steers Newton's method).
 */
static double
clv_trigamma(double x)
{
	double		result = 0.0;
	double		f;

	while (x < 10.0)
	{
		result += 1.0 / (x * x);
		x += 1.0;
	}
	f = 1.0 / (x * x);
	return result + 1.0 / x + f / 2.0 +
		f / x * (1.0 / 6 - f * (1.0 / 30 - f * (1.0 / 42 - f * (1.0 / 30 - f * (5.0 / 66)))));
}

/* ---- checks ---- */

/*
 * clv_check_summary_fail: the error of a summary that clv_check_summary
 * (clv.h) refused: not finite (22000), a frequency that is not a whole
 * number >= 0, recency < 0 or > T, or recency > 0 at frequency 0 (22023).
 */
void
clv_check_summary_fail(double frequency, double recency, double T)
{
	check_finite(frequency, "frequency");
	check_finite(recency, "recency");
	check_finite(T, "t");
	if (frequency < 0 || frequency != floor(frequency))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("frequency must be a whole number of repeat purchases, 0 or more, not %g",
						frequency)));
	if (recency < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("recency must not be negative, not %g", recency)));
	if (recency > T)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("recency (%g) must not be greater than t (%g)", recency, T),
				 errdetail("Recency is the age of the customer at the last purchase, t the age now.")));
	if (frequency == 0 && recency != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("recency must be 0 when frequency is 0, not %g", recency),
				 errdetail("A customer without repeat purchases was last seen at the first purchase.")));
	elog(ERROR, "a customer summary was refused without a reason");
}

/* clv_bgnbd_check: every parameter finite and positive (22023) */
void
clv_bgnbd_check(const ClvBgnbd *m)
{
	if (!(isfinite(m->r) && m->r > 0 && isfinite(m->alpha) && m->alpha > 0 &&
		  isfinite(m->a) && m->a > 0 && isfinite(m->b) && m->b > 0))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("a BG/NBD model needs finite, positive r, alpha, a and b"),
				 errdetail("The model has r = %g, alpha = %g, a = %g, b = %g.",
						   m->r, m->alpha, m->a, m->b)));
}

/* ---- the likelihood ---- */

/*
 * The data of a fit: distinct triples with weights, grouped by x (the rows
 * are sorted by x first).
 */
typedef struct BgnbdData
{
	int64		n;				/* distinct triples */
	ClvTriple  *rows;
	double	   *weights;
	int64		ngroups;		/* distinct x */
	int64	   *group_start;	/* ngroups + 1 offsets into rows */
	double		total;			/* sum of weights: customers */
	double		penalizer;
	double		loglik;			/* of the last evaluation */
} BgnbdData;

/*
 * The Hessian of the log-likelihood in the natural parameters (r, alpha,
 * a, b), by its upper triangle: rr, r alpha, r a, r b, alpha alpha, alpha
 * a, alpha b, aa, ab, bb.
 */
#define BGNBD_HESS	10

/*
 * The terms of the log-likelihood and its natural gradient and Hessian
 * that depend on the parameters only, computed once per evaluation (or
 * per pass).
 */
typedef struct BgnbdConst
{
	ClvBgnbd	m;
	double		ll;				/* r log(alpha) */
	double		grad[4];		/* log(alpha), r / alpha, 0, 0 */
	double		hess[BGNBD_HESS];
	double		log_a;
} BgnbdConst;

/*
 * ... and those that depend on x too: once per distinct x.  With D[f](y)
 * = f(y + x) - f(y):
 */
typedef struct BgnbdXTerms
{
	double		ll;				/* D[lgamma](r) + D[lgamma](b) - D[lgamma](a + b) */
	double		pr;				/* D[psi](r) */
	double		pab;			/* D[psi](a + b) */
	double		pb_pab;			/* D[psi](b) - D[psi](a + b) */
	double		tr;				/* D[psi'](r) */
	double		tab;			/* D[psi'](a + b) */
	double		tb_tab;			/* D[psi'](b) - D[psi'](a + b) */
	double		log_bx;			/* log(b + x - 1), x > 0 */
	double		inv_bx;			/* 1 / (b + x - 1), x > 0 */
} BgnbdXTerms;

/*
 * Sums over customers of one x (weights w) of the terms that vary by row.
 * With w3, w4 the weights of the two branches of log-sum-exp (w4 = 0 at x
 * = 0), u = 1 / (alpha + T), v = 1 / (alpha + t_x), and the gradient
 * difference of the branches d = (log(alpha + t_x) - log(alpha + T), (r +
 * x) (v - u), -1 / a, 1 / (b + x - 1)), whose last two are the same for
 * every row of one x.
 */
typedef struct BgnbdRowSums
{
	double		w;				/* customers */
	double		lse;			/* log(e^A3 + [x > 0] e^A4) */
	double		r;				/* d lse / d r */
	double		al;				/* d lse / d alpha, over r + x */
	double		w4;				/* w4 */
	double		uv;				/* w3 u + w4 v */
	double		uv2;			/* w3 u^2 + w4 v^2 */
	double		k;				/* w3 w4 */
	double		k0;				/* w3 w4 d0 */
	double		k1;				/* w3 w4 d1 */
	double		k00;			/* w3 w4 d0^2 */
	double		k01;			/* w3 w4 d0 d1 */
	double		k11;			/* w3 w4 d1^2 */
} BgnbdRowSums;

static void
bgnbd_const(const ClvBgnbd *m, BgnbdConst *c)
{
	double		log_al = log(m->alpha);

	c->m = *m;
	c->ll = m->r * log_al;
	c->grad[0] = log_al;
	c->grad[1] = m->r / m->alpha;
	c->grad[2] = 0.0;
	c->grad[3] = 0.0;
	memset(c->hess, 0, sizeof(c->hess));
	c->hess[1] = 1.0 / m->alpha;	/* r alpha */
	c->hess[4] = -m->r / (m->alpha * m->alpha);	/* alpha alpha */
	c->log_a = log(m->a);
}

/*
 * The terms of x: differences such as lgamma(b + x) - lgamma(b), which
 * for a whole x are sums over k < x of log(b + k), 1 / (b + k) and 1 / (b
 * + k)^2.  Summed up to BGNBD_X_SUMS: exact where the difference of two
 * lgamma of huge arguments would lose every digit (a and b run off to
 * 1e8 and more when the data are best fit by a drop-out probability that
 * does not vary across customers); beyond, from the special functions.
 */
#define BGNBD_X_SUMS	1024

/* The sums over k < n of the x terms, grown one k at a time */
typedef struct BgnbdXSums
{
	int			n;
	double		lr,
				lb,
				lab;			/* log(r + k), log(b + k), log(a + b + k) */
	double		pr,
				pb,
				pab;			/* 1 / (r + k), ... */
	double		tr,
				tb,
				tab;			/* 1 / (r + k)^2, ... */
} BgnbdXSums;

static void
bgnbd_x_sums_grow(const ClvBgnbd *m, BgnbdXSums *sums, int n)
{
	double		ab = m->a + m->b;

	for (int k = sums->n; k < n; k++)
	{
		double		ir = 1.0 / (m->r + k),
					ib = 1.0 / (m->b + k),
					iab = 1.0 / (ab + k);

		sums->lr += log(m->r + k);
		sums->lb += log(m->b + k);
		sums->lab += log(ab + k);
		sums->pr += ir;
		sums->pb += ib;
		sums->pab += iab;
		sums->tr += ir * ir;
		sums->tb += ib * ib;
		sums->tab += iab * iab;
	}
	sums->n = Max(sums->n, n);
}

/*
 * The terms of x.  sums: NULL, or the sums of a smaller x of the same
 * parameters to grow (rows in ascending x), the same doubles as from 0.
 */
static void
bgnbd_x_terms(const ClvBgnbd *m, double x, BgnbdXSums *sums, BgnbdXTerms *t)
{
	double		r = m->r,
				b = m->b,
				ab = m->a + m->b;

	if (x < BGNBD_X_SUMS)
	{
		BgnbdXSums	local;

		if (sums == NULL || sums->n > (int) x)
		{
			memset(&local, 0, sizeof(local));
			sums = &local;
		}
		bgnbd_x_sums_grow(m, sums, (int) x);
		t->ll = sums->lr + sums->lb - sums->lab;
		t->pr = sums->pr;
		t->pab = sums->pab;
		t->pb_pab = sums->pb - sums->pab;
		t->tr = -sums->tr;
		t->tab = -sums->tab;
		t->tb_tab = -sums->tb + sums->tab;
	}
	else
	{
		t->ll = (lgamma(r + x) - lgamma(r)) + (lgamma(b + x) - lgamma(b)) -
			(lgamma(ab + x) - lgamma(ab));
		t->pr = clv_digamma(r + x) - clv_digamma(r);
		t->pab = clv_digamma(ab + x) - clv_digamma(ab);
		t->pb_pab = clv_digamma(b + x) - clv_digamma(b) - t->pab;
		t->tr = clv_trigamma(r + x) - clv_trigamma(r);
		t->tab = clv_trigamma(ab + x) - clv_trigamma(ab);
		t->tb_tab = clv_trigamma(b + x) - clv_trigamma(b) - t->tab;
	}
	t->log_bx = x > 0 ? log(b + x - 1) : 0.0;
	t->inv_bx = x > 0 ? 1.0 / (b + x - 1) : 0.0;
}

/*
 * Adds a customer (x, t_x, T) of weight w to the sums of its x.  With
 * d = A4 - A3 and e = exp(-|d|), log-sum-exp is max(A3, A4) + log1p(e)
 * and the branch weights are 1 / (1 + e) and e / (1 + e): one exp and one
 * log1p per customer, and nothing overflows.
 */
static inline void
bgnbd_add_row(const BgnbdConst *c, const BgnbdXTerms *xt, double x, double tx,
			  double T, double w, BgnbdRowSums *s)
{
	double		al = c->m.alpha;
	double		rx = c->m.r + x;
	double		la = log(al + T);
	double		u = 1.0 / (al + T);
	double		A3 = -rx * la;

	if (x > 0)
	{
		double		lb = log(al + tx);
		double		v = 1.0 / (al + tx);
		double		A4 = c->log_a - xt->log_bx - rx * lb;
		double		d = A4 - A3;
		double		e = exp(-fabs(d));
		double		q = 1.0 / (1.0 + e);
		double		w3,
					w4,
					k,
					d0,
					d1;

		if (d > 0)
		{
			s->lse += w * (A4 + log1p(e));
			w4 = q;
			w3 = e * q;
		}
		else
		{
			s->lse += w * (A3 + log1p(e));
			w3 = q;
			w4 = e * q;
		}
		s->r -= w * (w3 * la + w4 * lb);
		s->al -= w * (w3 * u + w4 * v);
		s->w4 += w * w4;
		s->uv += w * (w3 * u + w4 * v);
		s->uv2 += w * (w3 * u * u + w4 * v * v);
		k = w * w3 * w4;
		d0 = lb - la;
		d1 = rx * (v - u);
		s->k += k;
		s->k0 += k * d0;
		s->k1 += k * d1;
		s->k00 += k * d0 * d0;
		s->k01 += k * d0 * d1;
		s->k11 += k * d1 * d1;
	}
	else
	{
		s->lse += w * A3;
		s->r -= w * la;
		s->al -= w * u;
		s->uv += w * u;
		s->uv2 += w * u * u;
	}
	s->w += w;
}

/*
 * Adds the sums of one x to the log-likelihood, natural gradient and
 * Hessian (without the parameter-only terms: bgnbd_add_const).  The
 * Hessian of log-sum-exp is w3 H(A3) + w4 H(A4) + w3 w4 d d'.
 */
static inline void
bgnbd_add_x(const BgnbdConst *c, const BgnbdXTerms *xt, double x,
			const BgnbdRowSums *s, double *ll, double *grad, double *hess)
{
	double		rx = c->m.r + x;
	double		d2 = -1.0 / c->m.a;
	double		d3 = xt->inv_bx;

	*ll += s->w * xt->ll + s->lse;
	grad[0] += s->w * xt->pr + s->r;
	grad[1] += rx * s->al;
	grad[2] += -s->w * xt->pab + s->w4 / c->m.a;
	grad[3] += s->w * xt->pb_pab - s->w4 * xt->inv_bx;
	hess[0] += s->w * xt->tr + s->k00;
	hess[1] += -s->uv + s->k01;
	hess[2] += s->k0 * d2;
	hess[3] += s->k0 * d3;
	hess[4] += rx * s->uv2 + s->k11;
	hess[5] += s->k1 * d2;
	hess[6] += s->k1 * d3;
	hess[7] += -s->w * xt->tab - s->w4 * d2 * d2 + s->k * d2 * d2;
	hess[8] += -s->w * xt->tab + s->k * d2 * d3;
	hess[9] += s->w * xt->tb_tab + s->w4 * d3 * d3 + s->k * d3 * d3;
}

/* Adds the parameter-only terms of w customers */
static inline void
bgnbd_add_const(const BgnbdConst *c, double w, double *ll, double *grad, double *hess)
{
	*ll += w * c->ll;
	for (int j = 0; j < 4; j++)
		grad[j] += w * c->grad[j];
	for (int j = 0; j < BGNBD_HESS; j++)
		hess[j] += w * c->hess[j];
}

/*
 * Log-likelihood, natural gradient and Hessian of the whole data set: the
 * special functions of the parameters once, of x once per group.
 */
static double
bgnbd_loglik(BgnbdData *data, const ClvBgnbd *m, double *grad, double *hess)
{
	BgnbdConst	c;
	double		ll = 0.0;
	double		g[4] = {0, 0, 0, 0};
	double		h[BGNBD_HESS] = {0};
	BgnbdXSums	sums;

	bgnbd_const(m, &c);
	memset(&sums, 0, sizeof(sums));
	for (int64 gi = 0; gi < data->ngroups; gi++)
	{
		double		x = data->rows[data->group_start[gi]].x;
		BgnbdXTerms xt;
		BgnbdRowSums s;

		if ((gi & 0xff) == 0)
			CHECK_FOR_INTERRUPTS();
		memset(&s, 0, sizeof(s));
		bgnbd_x_terms(m, x, &sums, &xt);
		for (int64 i = data->group_start[gi]; i < data->group_start[gi + 1]; i++)
			bgnbd_add_row(&c, &xt, x, data->rows[i].tx, data->rows[i].T,
						  data->weights[i], &s);
		bgnbd_add_x(&c, &xt, x, &s, &ll, g, h);
	}
	bgnbd_add_const(&c, data->total, &ll, g, h);
	memcpy(grad, g, sizeof(g));
	memcpy(hess, h, sizeof(h));
	return ll;
}

static void
params_from_theta(const double *theta, ClvBgnbd *m)
{
	m->r = exp(theta[0]);
	m->alpha = exp(theta[1]);
	m->a = exp(theta[2]);
	m->b = exp(theta[3]);
}

static bool
params_usable(const ClvBgnbd *m)
{
	return isfinite(m->r) && m->r > 0 && isfinite(m->alpha) && m->alpha > 0 &&
		isfinite(m->a) && m->a > 0 && isfinite(m->b) && m->b > 0;
}

/*
 * The objective on log-parameters, -LL / n + penalizer * sum of squared
 * parameters, its gradient and (hess not NULL) Hessian, from the
 * log-likelihood and natural gradient and Hessian at the point: with p_j =
 * exp(theta_j) and F the objective in p,
 *	d/dtheta_j = p_j dF/dp_j,  d2/dtheta_j dtheta_k = p_j p_k d2F/dp_j dp_k + [j = k] p_j dF/dp_j.
 */
static double
objective_from(double ll, const double *natural, const double *natural_hess,
			   double total, double penalizer, const ClvBgnbd *m, double *grad,
			   double *hess)
{
	double		p[4] = {m->r, m->alpha, m->a, m->b};
	double		f = -ll / total;
	double		dF[4];

	for (int j = 0; j < 4; j++)
	{
		f += penalizer * p[j] * p[j];
		dF[j] = -natural[j] / total + 2.0 * penalizer * p[j];
		grad[j] = dF[j] * p[j];
	}
	if (hess != NULL)
	{
		int			e = 0;

		for (int j = 0; j < 4; j++)
			for (int k = j; k < 4; k++, e++)
			{
				double		h = p[j] * p[k] * (-natural_hess[e] / total +
											   (j == k ? 2.0 * penalizer : 0.0));

				if (j == k)
					h += p[j] * dF[j];
				hess[j * 4 + k] = hess[k * 4 + j] = h;
			}
	}
	return f;
}

static double
bgnbd_objective(void *arg, const double *theta, double *grad, double *hess)
{
	BgnbdData  *data = (BgnbdData *) arg;
	ClvBgnbd	m;
	double		natural[4];
	double		natural_hess[BGNBD_HESS];

	params_from_theta(theta, &m);
	if (!params_usable(&m))
		return get_float8_nan();
	data->loglik = bgnbd_loglik(data, &m, natural, natural_hess);
	return objective_from(data->loglik, natural, natural_hess, data->total, data->penalizer,
						  &m, grad, hess);
}

/* The starting point: r = a = b = 1, alpha from the mean purchase rate */
static void
bgnbd_start(double mean_x, double mean_T, double *theta)
{
	double		alpha = mean_T / Max(mean_x, 1e-3);

	if (!(alpha > 1e-4))
		alpha = 1e-4;
	if (alpha > 1e8)
		alpha = 1e8;
	theta[0] = 0.0;
	theta[1] = log(alpha);
	theta[2] = 0.0;
	theta[3] = 0.0;
}

static int
compare_triples(const void *a, const void *b)
{
	const double *x = (const double *) a;
	const double *y = (const double *) b;

	for (int c = 0; c < 3; c++)
		if (x[c] != y[c])
			return x[c] < y[c] ? -1 : 1;
	return 0;
}

/* Fails (22000) unless the data can identify the four parameters */
static void
check_enough(int64 customers, int64 repeat_buyers)
{
	if (customers < CLV_MIN_CUSTOMERS)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("a BG/NBD fit needs at least %d customers, not " INT64_FORMAT,
						CLV_MIN_CUSTOMERS, customers)));
	if (repeat_buyers == 0)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("a BG/NBD fit needs repeat buyers, but none of the " INT64_FORMAT " customers has a frequency above 0",
						customers),
				 errdetail("Without repeat purchases the drop-out probability cannot be estimated.")));
}

static void
warn_not_converged(const char *model, int iterations, double gradient)
{
	ereport(WARNING,
			(errcode(ERRCODE_WARNING),
			 errmsg("the %s fit did not converge (stopped after %d iterations)", model, iterations),
			 errdetail("The largest gradient component is %g; the parameters are the best point found.",
					   gradient),
			 errhint("Raise max_iter, add a small penalizer, or check the time unit of the data.")));
}

/*
 * clv_bgnbd_fit_triples: the maximum-likelihood fit of n customers (rows
 * are checked summaries; sorted: already in the canonical order, else
 * sorted here in place).  Fails (22000) with too few customers or no
 * repeat buyer.  Scratch memory is reserved against budget.
 */
void
clv_bgnbd_fit_triples(ClvTriple *rows, int64 n, bool sorted, double penalizer,
					  int max_iter, MemoryBudget *budget, ClvBgnbdFit *fit)
{
	BgnbdData	data;
	int64		repeat = 0;
	double		sum_x = 0.0,
				sum_T = 0.0;
	double		theta[4];
	double		grad[4];
	double		hess[BGNBD_HESS];
	ClvOptimResult result;
	int64		distinct = 0;

	/* sums in the canonical order: the same start whatever the row order */
	if (!sorted)
		points_sort_rows((double *) rows, n, 3);
	for (int64 i = 0; i < n; i++)
	{
		repeat += rows[i].x > 0;
		sum_x += rows[i].x;
		sum_T += rows[i].T;
	}
	check_enough(n, repeat);

	/* compress equal triples (adjacent once sorted), in place */
	budget_reserve_array(budget, n, sizeof(double) + sizeof(int64), "weights and groups");
	data.weights = palloc(sizeof(double) * n);
	data.group_start = palloc(sizeof(int64) * (n + 1));
	data.ngroups = 0;
	for (int64 i = 0; i < n; i++)
	{
		if (distinct > 0 && compare_triples(&rows[i], &rows[distinct - 1]) == 0)
		{
			data.weights[distinct - 1] += 1.0;
			continue;
		}
		if (distinct == 0 || rows[i].x != rows[distinct - 1].x)
			data.group_start[data.ngroups++] = distinct;
		rows[distinct] = rows[i];
		data.weights[distinct] = 1.0;
		distinct++;
	}
	data.group_start[data.ngroups] = distinct;
	data.n = distinct;
	data.rows = rows;
	data.total = (double) n;
	data.penalizer = penalizer;

	bgnbd_start(sum_x / n, sum_T / n, theta);
	clv_minimize(bgnbd_objective, &data, 4, true, theta, max_iter, CLV_GTOL, &result);

	/* the log-likelihood at the result, without the penalty */
	params_from_theta(theta, &fit->params);
	fit->loglik = bgnbd_loglik(&data, &fit->params, grad, hess);
	fit->customers = n;
	fit->iterations = result.iterations;
	fit->converged = result.converged;
	fit->penalizer = penalizer;
	if (!result.converged)
		warn_not_converged("BG/NBD", result.iterations, result.gradient_norm);
	pfree(data.weights);
	pfree(data.group_start);
}

/* ---- model values: the profile.clv_bgnbd composite ---- */

Datum
clv_bgnbd_fit_datum(const ClvBgnbdFit *fit, TupleDesc tupdesc)
{
	Datum		values[9];
	bool		nulls[9] = {false};

	values[0] = Float8GetDatum(fit->params.r);
	values[1] = Float8GetDatum(fit->params.alpha);
	values[2] = Float8GetDatum(fit->params.a);
	values[3] = Float8GetDatum(fit->params.b);
	values[4] = Float8GetDatum(fit->loglik);
	values[5] = Int64GetDatum(fit->customers);
	values[6] = Int32GetDatum(fit->iterations);
	values[7] = BoolGetDatum(fit->converged);
	values[8] = Float8GetDatum(fit->penalizer);
	return HeapTupleGetDatum(heap_form_tuple(tupdesc, values, nulls));
}

/* Field i (1-based) of a composite, a float8 that must not be NULL */
static double
float8_field(HeapTupleHeader tuple, int i, const char *what, const char *name)
{
	bool		isnull;
	Datum		value = GetAttributeByNum(tuple, i, &isnull);

	if (isnull)
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("the %s model has a NULL %s", what, name)));
	return DatumGetFloat8(value);
}

/*
 * clv_bgnbd_from_datum: r, alpha, a and b of a profile.clv_bgnbd value,
 * checked (22004 for a NULL one, 22023 for a bad one).
 */
void
clv_bgnbd_from_datum(Datum composite, ClvBgnbd *model)
{
	HeapTupleHeader tuple = DatumGetHeapTupleHeader(composite);

	model->r = float8_field(tuple, 1, "BG/NBD", "r");
	model->alpha = float8_field(tuple, 2, "BG/NBD", "alpha");
	model->a = float8_field(tuple, 3, "BG/NBD", "a");
	model->b = float8_field(tuple, 4, "BG/NBD", "b");
	clv_bgnbd_check(model);
}

/* ---- the aggregate profile.clv_bgnbd ---- */

static const char *const penalizer_names[1] = {"penalizer"};

static const PointsSpec bgnbd_spec = {
	.what = "profile.clv_bgnbd",
	.transfn = "profile.clv_bgnbd_transfn",
	.combinefn = "profile.clv_bgnbd_combinefn",
	.labelled = false,
	.nparams = 0,
	.param_names = NULL,
};

static const PointsSpec bgnbd_penalized_spec = {
	.what = "profile.clv_bgnbd",
	.transfn = "profile.clv_bgnbd_transfn",
	.combinefn = "profile.clv_bgnbd_combinefn",
	.labelled = false,
	.nparams = 1,
	.param_names = penalizer_names,
};

/* The penalizer as an int64 parameter of a point buffer: its bits */
static int64
penalizer_bits(double penalizer)
{
	int64		bits;

	penalizer += 0.0;			/* -0 is 0 */
	memcpy(&bits, &penalizer, sizeof(bits));
	return bits;
}

static double
penalizer_of_bits(int64 bits)
{
	double		penalizer;

	memcpy(&penalizer, &bits, sizeof(bits));
	return penalizer;
}

static void
check_penalizer(double penalizer)
{
	check_float_range(penalizer, 0.0, CLV_MAX_PENALIZER, "penalizer");
}

/*
 * Transition: (state, frequency, recency, t [, penalizer]).  A row with a
 * NULL frequency, recency or t is skipped; others are checked
 * (clv_check_summary) and kept in the point buffer.
 */
PG_FUNCTION_INFO_V1(profile_clv_bgnbd_transfn);
Datum
profile_clv_bgnbd_transfn(PG_FUNCTION_ARGS)
{
	bool		penalized = PG_NARGS() > 4;
	int64		params[1] = {0};
	double		row[3];

	check_aggregate_call(fcinfo, "profile.clv_bgnbd_transfn");
	if (penalized)
	{
		check_arg_not_null(fcinfo, 4, "penalizer");
		check_penalizer(PG_GETARG_FLOAT8(4));
		params[0] = penalizer_bits(PG_GETARG_FLOAT8(4));
	}
	if (PG_ARGISNULL(1) || PG_ARGISNULL(2) || PG_ARGISNULL(3))
	{
		if (PG_ARGISNULL(0))
			PG_RETURN_NULL();
		PG_RETURN_DATUM(PG_GETARG_DATUM(0));
	}
	row[0] = PG_GETARG_FLOAT8(1);
	row[1] = PG_GETARG_FLOAT8(2);
	row[2] = PG_GETARG_FLOAT8(3);
	clv_check_summary(row[0], row[1], row[2]);
	return points_append_row(fcinfo, penalized ? &bgnbd_penalized_spec : &bgnbd_spec,
							 row, 3, 0, params);
}

PG_FUNCTION_INFO_V1(profile_clv_bgnbd_combinefn);
Datum
profile_clv_bgnbd_combinefn(PG_FUNCTION_ARGS)
{
	return points_combinefn(fcinfo, &bgnbd_spec);
}

/* Final: the fit of the group's customers, a profile.clv_bgnbd value */
PG_FUNCTION_INFO_V1(profile_clv_bgnbd_finalfn);
Datum
profile_clv_bgnbd_finalfn(PG_FUNCTION_ARGS)
{
	PointsData *points = points_check(PG_GETARG_DATUM(0), &bgnbd_spec);
	PointsSorted *sorted;
	MemoryBudget budget;
	ClvBgnbdFit fit;
	double		penalizer = 0.0;
	ClvTriple  *rows;
	TupleDesc	tupdesc;

	if (points_dim(points) != 3 || points_nparams(points) > 1)
		points_bad_state(&bgnbd_spec, "not a BG/NBD state");
	if (points_nparams(points) == 1)
	{
		penalizer = penalizer_of_bits(points_param(points, 0));
		if (!(penalizer >= 0.0 && penalizer <= CLV_MAX_PENALIZER))
			points_bad_state(&bgnbd_spec, "bad penalizer");
	}
	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");
	tupdesc = BlessTupleDesc(tupdesc);
	budget_init(&budget, "profile.clv_bgnbd");
	sorted = points_sort(points, &budget);
	rows = (ClvTriple *) sorted->rows;
	/* a state from outside may hold anything: check the rows again */
	for (int64 i = 0; i < sorted->n; i++)
	{
		if ((i & 0xffff) == 0)
			CHECK_FOR_INTERRUPTS();
		clv_check_summary(rows[i].x, rows[i].tx, rows[i].T);
	}
	clv_bgnbd_fit_triples(rows, sorted->n, true, penalizer, CLV_DEFAULT_MAX_ITER,
						  &budget, &fit);
	PG_RETURN_DATUM(clv_bgnbd_fit_datum(&fit, tupdesc));
}

/* ---- the scan path: profile.clv_bgnbd_loglik and its driver ---- */

/*
 * State, double precision[20]: customers, rows skipped (a NULL value),
 * repeat buyers, sum of frequency, sum of t, log-likelihood, its gradient
 * by r, alpha, a and b (natural parameters), and its Hessian by its upper
 * triangle (rr, r alpha, r a, r b, alpha alpha, alpha a, alpha b, aa, ab,
 * bb).  The first row fixes
 * the parameters; the state does not keep them (every row of a pass has
 * the same, a constant of the query).
 */
#define LOGLIK_LENGTH	20

static ArrayType *
loglik_state_new(void)
{
	return flat_array_create(FLOAT8OID, sizeof(double), LOGLIK_LENGTH);
}

/* A state from outside: one dimension, no NULL, LOGLIK_LENGTH doubles */
static double *
loglik_state_values(ArrayType *array)
{
	if (ARR_NDIM(array) != 1 || ARR_HASNULL(array) || ARR_ELEMTYPE(array) != FLOAT8OID ||
		ARR_DIMS(array)[0] != LOGLIK_LENGTH)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("invalid profile.clv_bgnbd_loglik state"),
				 errhint("States come from profile.clv_bgnbd_loglik_transfn; do not build them by hand.")));
	return (double *) flat_array_data(array);
}

/* The parameters {r, alpha, a, b} of a pass, checked (22023) */
static void
loglik_params(ArrayType *array, ClvBgnbd *m)
{
	int			length;
	const double *p = check_features(array, 4, &length);

	m->r = p[0];
	m->alpha = p[1];
	m->a = p[2];
	m->b = p[3];
	clv_bgnbd_check(m);
}

/*
 * What a pass keeps between rows (fn_extra): the parameters of the last
 * row, their terms, and the terms of each x below LOGLIK_X_CACHE, computed
 * when first seen.  A row whose parameters are the same doubles (every row
 * of a pass) checks nothing and computes no special function of x twice.
 */
#define LOGLIK_X_CACHE	1024

typedef struct LoglikCache
{
	bool		valid;
	double		params[4];
	BgnbdConst	c;
	bool		have[LOGLIK_X_CACHE];
	BgnbdXTerms xt[LOGLIK_X_CACHE];
} LoglikCache;

static LoglikCache *
loglik_cache(FunctionCallInfo fcinfo, ArrayType *params)
{
	LoglikCache *cache = fcinfo->flinfo->fn_extra;
	ClvBgnbd	m;

	if (cache == NULL)
		cache = fcinfo->flinfo->fn_extra =
			MemoryContextAllocZero(fcinfo->flinfo->fn_mcxt, sizeof(LoglikCache));
	if (cache->valid && ARR_NDIM(params) == 1 && !ARR_HASNULL(params) &&
		ARR_ELEMTYPE(params) == FLOAT8OID && ARR_DIMS(params)[0] == 4 &&
		memcmp(flat_array_data(params), cache->params, sizeof(cache->params)) == 0)
		return cache;
	cache->valid = false;
	loglik_params(params, &m);
	cache->params[0] = m.r;
	cache->params[1] = m.alpha;
	cache->params[2] = m.a;
	cache->params[3] = m.b;
	bgnbd_const(&m, &cache->c);
	memset(cache->have, 0, sizeof(cache->have));
	cache->valid = true;
	return cache;
}

/* Transition: (state, frequency, recency, t, params) */
PG_FUNCTION_INFO_V1(profile_clv_bgnbd_loglik_transfn);
Datum
profile_clv_bgnbd_loglik_transfn(PG_FUNCTION_ARGS)
{
	ArrayType  *state;
	double	   *s;
	LoglikCache *cache;
	BgnbdXTerms xt_local;
	const BgnbdXTerms *xt;
	BgnbdRowSums sums;
	double		ll = 0.0;
	double		g[4] = {0, 0, 0, 0};
	double		h[BGNBD_HESS] = {0};
	double		x,
				tx,
				T;

	check_aggregate_call(fcinfo, "profile.clv_bgnbd_loglik_transfn");
	check_arg_not_null(fcinfo, 4, "params");
	if (PG_ARGISNULL(0))
		state = loglik_state_new();	/* copied by the executor */
	else
	{
		state = (ArrayType *) PG_GETARG_POINTER(0);
		if (VARATT_IS_EXTENDED(state))
			state = DatumGetArrayTypeP(PG_GETARG_DATUM(0));
	}
	s = loglik_state_values(state);
	if (PG_ARGISNULL(1) || PG_ARGISNULL(2) || PG_ARGISNULL(3))
	{
		s[1] += 1;
		PG_RETURN_ARRAYTYPE_P(state);
	}
	cache = loglik_cache(fcinfo, PG_GETARG_ARRAYTYPE_P(4));
	x = PG_GETARG_FLOAT8(1);
	tx = PG_GETARG_FLOAT8(2);
	T = PG_GETARG_FLOAT8(3);
	clv_check_summary(x, tx, T);
	if (x < LOGLIK_X_CACHE)
	{
		int			i = (int) x;

		if (!cache->have[i])
		{
			bgnbd_x_terms(&cache->c.m, x, NULL, &cache->xt[i]);
			cache->have[i] = true;
		}
		xt = &cache->xt[i];
	}
	else
	{
		bgnbd_x_terms(&cache->c.m, x, NULL, &xt_local);
		xt = &xt_local;
	}
	s[0] += 1;
	s[2] += x > 0;
	s[3] += x;
	s[4] += T;
	memset(&sums, 0, sizeof(sums));
	bgnbd_add_row(&cache->c, xt, x, tx, T, 1.0, &sums);
	bgnbd_add_x(&cache->c, xt, x, &sums, &ll, g, h);
	bgnbd_add_const(&cache->c, 1.0, &ll, g, h);
	s[5] += ll;
	for (int j = 0; j < 4; j++)
		s[6 + j] += g[j];
	for (int j = 0; j < BGNBD_HESS; j++)
		s[10 + j] += h[j];
	PG_RETURN_ARRAYTYPE_P(state);
}

PG_FUNCTION_INFO_V1(profile_clv_bgnbd_loglik_combinefn);
Datum
profile_clv_bgnbd_loglik_combinefn(PG_FUNCTION_ARGS)
{
	ArrayType  *a;
	ArrayType  *b;
	double	   *s;
	double	   *t;

	check_aggregate_call(fcinfo, "profile.clv_bgnbd_loglik_combinefn");
	if (PG_ARGISNULL(1))
	{
		if (PG_ARGISNULL(0))
			PG_RETURN_NULL();
		PG_RETURN_DATUM(PG_GETARG_DATUM(0));
	}
	b = PG_GETARG_ARRAYTYPE_P(1);
	t = loglik_state_values(b);
	if (PG_ARGISNULL(0))
		PG_RETURN_ARRAYTYPE_P(b);	/* copied by the executor */
	a = PG_GETARG_ARRAYTYPE_P(0);
	s = loglik_state_values(a);
	for (int i = 0; i < LOGLIK_LENGTH; i++)
		s[i] += t[i];
	PG_RETURN_ARRAYTYPE_P(a);
}

/* The inner query of the scan path: as profile.clv_fit's */
static const InnerColumn scan_columns[5] = {
	{"customer_id", INNER_KEY, false},
	{"frequency", INNER_NUMBER, false},
	{"recency", INNER_NUMBER, false},
	{"t", INNER_NUMBER, false},
	{"monetary", INNER_NUMBER, true},
};

#define SCAN_HISTORY	64			/* evaluations remembered (scan_objective) */

typedef struct ScanData
{
	SPIPlanPtr	plan;			/* the pass, with $1 = params */
	MemoryContext pass_cxt;		/* reset after each pass */
	double		penalizer;
	double		customers;
	double		last[LOGLIK_LENGTH];
	/* the last evaluations: theta and log-likelihood, a ring */
	int			evaluations;
	double		history_theta[SCAN_HISTORY][4];
	double		history_loglik[SCAN_HISTORY];
} ScanData;

/* One pass: the state at m, copied into last (false: no rows) */
static bool
scan_pass(ScanData *scan, const ClvBgnbd *m)
{
	Datum		elems[4];
	Datum		args[1];
	bool		isnull;
	Datum		result;
	MemoryContext cxt = MemoryContextSwitchTo(scan->pass_cxt);
	bool		found = false;

	elems[0] = Float8GetDatum(m->r);
	elems[1] = Float8GetDatum(m->alpha);
	elems[2] = Float8GetDatum(m->a);
	elems[3] = Float8GetDatum(m->b);
	args[0] = PointerGetDatum(construct_array(elems, 4, FLOAT8OID, 8, FLOAT8PASSBYVAL,
											  TYPALIGN_DOUBLE));
	if (SPI_execute_plan(scan->plan, args, NULL, true, 1) != SPI_OK_SELECT ||
		SPI_processed != 1)
		elog(ERROR, "a BG/NBD pass failed");
	result = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
	if (!isnull)
	{
		double	   *s = loglik_state_values(DatumGetArrayTypeP(result));

		memcpy(scan->last, s, sizeof(scan->last));
		found = true;
	}
	SPI_freetuptable(SPI_tuptable);
	MemoryContextSwitchTo(cxt);
	MemoryContextReset(scan->pass_cxt);
	return found;
}

static double
scan_objective(void *arg, const double *theta, double *grad, double *hess)
{
	ScanData   *scan = (ScanData *) arg;
	ClvBgnbd	m;
	int			h;

	params_from_theta(theta, &m);
	if (!params_usable(&m))
		return get_float8_nan();
	if (!scan_pass(scan, &m) || scan->last[0] != scan->customers)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("the query given to profile.clv_bgnbd_fit_scan returned %.0f customers in one pass and %.0f in another",
						scan->last[0], scan->customers),
				 errhint("The query must return the same rows on every pass: avoid volatile functions and LIMIT without ORDER BY.")));
	h = scan->evaluations++ % SCAN_HISTORY;
	memcpy(scan->history_theta[h], theta, sizeof(scan->history_theta[h]));
	scan->history_loglik[h] = scan->last[5];
	return objective_from(scan->last[5], &scan->last[6], &scan->last[10], scan->customers,
						  scan->penalizer, &m, grad, hess);
}

/* The log-likelihood at theta: remembered, or one more pass */
static double
scan_loglik_at(ScanData *scan, const double *theta)
{
	double		grad[4];
	int			n = Min(scan->evaluations, SCAN_HISTORY);

	for (int i = 1; i <= n; i++)
	{
		int			h = (scan->evaluations - i) % SCAN_HISTORY;

		if (memcmp(scan->history_theta[h], theta, sizeof(scan->history_theta[h])) == 0)
			return scan->history_loglik[h];
	}
	scan_objective(scan, theta, grad, NULL);
	return scan->last[5];
}

/*
 * profile.clv_bgnbd_fit_scan(query, penalizer, max_iter): the BG/NBD fit
 * with one profile.clv_bgnbd_loglik pass over the query per evaluation
 * (data larger than the memory budget, distributed tables).  Equal to the
 * aggregate's fit up to the order of floating-point sums.  NULL for a
 * query without rows.
 */
PG_FUNCTION_INFO_V1(profile_clv_bgnbd_fit_scan);
Datum
profile_clv_bgnbd_fit_scan(PG_FUNCTION_ARGS)
{
	const char *const argnames[] = {"query", "penalizer", "max_iter"};
	char	   *sql;
	ScanData	scan;
	StringInfoData pass;
	Oid			argtypes[1] = {FLOAT8ARRAYOID};
	ClvBgnbd	start = {1.0, 1.0, 1.0, 1.0};
	ClvBgnbdFit fit;
	ClvOptimResult result;
	double		theta[4];
	double		penalizer;
	int			max_iter;
	TupleDesc	tupdesc;
	MemoryContext cxt;

	for (int i = 0; i < (int) lengthof(argnames); i++)
		check_arg_not_null(fcinfo, i, argnames[i]);
	sql = text_to_cstring(PG_GETARG_TEXT_PP(0));
	penalizer = PG_GETARG_FLOAT8(1);
	check_penalizer(penalizer);
	max_iter = PG_GETARG_INT32(2);
	check_int_range(max_iter, 1, 100000, "max_iter");
	inner_query_check("profile.clv_bgnbd_fit_scan", sql);
	/* its columns, checked as every inner query's are (42804), before use */
	inner_query_close(inner_query_open("profile.clv_bgnbd_fit_scan", sql, scan_columns,
									   lengthof(scan_columns)));
	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");
	tupdesc = BlessTupleDesc(tupdesc);

	initStringInfo(&pass);
	appendStringInfo(&pass,
					 "SELECT profile.clv_bgnbd_loglik(q.f::pg_catalog.float8, q.r::pg_catalog.float8, "
					 "q.t::pg_catalog.float8, $1) FROM (\n%s\n) AS q(id, f, r, t)", sql);

	/*
	 * One connection and one generic plan for every pass (the parameters
	 * do not change the plan): planned once, not once per pass.  The plan
	 * lives in SPI's memory, so an error frees it.
	 */
	cxt = CurrentMemoryContext;
	memset(&scan, 0, sizeof(scan));
	scan.penalizer = penalizer;
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	scan.pass_cxt = AllocSetContextCreate(CurrentMemoryContext, "profile clv pass",
										  ALLOCSET_SMALL_SIZES);
	scan.plan = SPI_prepare_cursor(pass.data, 1, argtypes,
								   CURSOR_OPT_PARALLEL_OK | CURSOR_OPT_GENERIC_PLAN);
	if (scan.plan == NULL)
		elog(ERROR, "a BG/NBD pass could not be planned: %s", SPI_result_code_string(SPI_result));

	/* a first pass counts the customers and gives the starting point */
	progress_begin("profile.clv_bgnbd_fit_scan");
	progress_phase("counting the customers (one pass)", NULL, 0);
	if (!scan_pass(&scan, &start) || scan.last[0] == 0)
	{
		SPI_finish();
		MemoryContextSwitchTo(cxt);
		progress_end();
		PG_RETURN_NULL();
	}
	scan.customers = scan.last[0];
	check_enough((int64) scan.customers, (int64) scan.last[2]);
	if (scan.last[1] > 0)
		ereport(NOTICE,
				(errmsg("profile.clv_bgnbd_fit_scan skipped %.0f rows with a NULL frequency, recency or t",
						scan.last[1])));
	bgnbd_start(scan.last[3] / scan.customers, scan.last[4] / scan.customers, theta);
	progress_phase("Newton's method, one pass over the query per iteration", "iterations", max_iter);
	clv_minimize(scan_objective, &scan, 4, true, theta, max_iter, CLV_GTOL, &result);

	/* the log-likelihood at the result, without the penalty */
	params_from_theta(theta, &fit.params);
	fit.loglik = scan_loglik_at(&scan, theta);
	SPI_finish();
	MemoryContextSwitchTo(cxt);
	fit.customers = (int64) scan.customers;
	fit.iterations = result.iterations;
	fit.converged = result.converged;
	fit.penalizer = penalizer;
	if (!result.converged)
		warn_not_converged("BG/NBD", result.iterations, result.gradient_norm);
	progress_end();
	PG_RETURN_DATUM(clv_bgnbd_fit_datum(&fit, tupdesc));
}

/* ---- simulation ---- */

/* Gamma(shape, 1) deviate: Marsaglia & Tsang (2000), boosted below shape 1 */
static double
gamma_deviate(ProfilePrng *rng, double shape)
{
	double		boost = 1.0;
	double		d,
				c;

	if (shape < 1.0)
	{
		boost = pow(prng_uniform_pos(rng), 1.0 / shape);
		shape += 1.0;
	}
	d = shape - 1.0 / 3.0;
	c = 1.0 / sqrt(9.0 * d);
	for (;;)
	{
		double		x = prng_normal(rng);
		double		v = 1.0 + c * x;
		double		u;

		if (v <= 0)
			continue;
		v = v * v * v;
		u = prng_uniform_pos(rng);
		if (log(u) < 0.5 * x * x + d - d * v + d * log(v))
			return boost * d * v;
	}
}

/*
 * profile.clv_bgnbd_simulate(customers, r, alpha, a, b, t_min, t_max,
 * seed): customers drawn from the BG/NBD model, each observed for T drawn
 * uniformly in [t_min, t_max] after a first purchase at time 0.  Customer
 * i uses its own PRNG stream (seed, i), so the rows do not depend on how
 * many are asked for.  Rows: customer_id, frequency, recency, t.
 */
PG_FUNCTION_INFO_V1(profile_clv_bgnbd_simulate);
Datum
profile_clv_bgnbd_simulate(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	int64		n = PG_GETARG_INT64(0);
	ClvBgnbd	m;
	double		t_min = PG_GETARG_FLOAT8(5),
				t_max = PG_GETARG_FLOAT8(6);
	int64		seed = PG_GETARG_INT64(7);

	m.r = PG_GETARG_FLOAT8(1);
	m.alpha = PG_GETARG_FLOAT8(2);
	m.a = PG_GETARG_FLOAT8(3);
	m.b = PG_GETARG_FLOAT8(4);
	check_int_range(n, 0, 100000000, "customers");
	clv_bgnbd_check(&m);
	check_finite(t_min, "t_min");
	check_finite(t_max, "t_max");
	if (!(t_min >= 0 && t_max >= t_min))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("t_min and t_max must satisfy 0 <= t_min <= t_max, not %g and %g",
						t_min, t_max)));
	InitMaterializedSRF(fcinfo, 0);
	for (int64 i = 1; i <= n; i++)
	{
		ProfilePrng rng;
		double		T,
					lambda,
					p,
					ga,
					gb,
					now = 0.0,
					tx = 0.0;
		int64		x = 0;
		Datum		values[4];
		bool		nulls[4] = {false};

		if ((i & 0xfff) == 0)
			CHECK_FOR_INTERRUPTS();
		prng_seed_stream(&rng, (uint64) seed, (uint64) i);
		T = t_min + (t_max - t_min) * prng_uniform(&rng);
		lambda = gamma_deviate(&rng, m.r) / m.alpha;
		ga = gamma_deviate(&rng, m.a);
		gb = gamma_deviate(&rng, m.b);
		p = ga / (ga + gb);
		if (lambda > 0 && isfinite(lambda))
		{
			for (;;)
			{
				now += prng_exponential(&rng, 1.0 / lambda);
				if (now > T)
					break;
				x++;
				tx = now;
				if ((x & 0xfffff) == 0)
					CHECK_FOR_INTERRUPTS();
				if (prng_uniform(&rng) < p)
					break;		/* dropped out after this purchase */
			}
		}
		values[0] = Int64GetDatum(i);
		values[1] = Int64GetDatum(x);
		values[2] = Float8GetDatum(tx);
		values[3] = Float8GetDatum(T);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}
