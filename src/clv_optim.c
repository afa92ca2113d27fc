/*-------------------------------------------------------------------------
 *
 * clv_optim.c
 *	  Minimisation of a smooth function of a few parameters, for the
 *	  maximum-likelihood fits of CLV models (on log-parameters, so every
 *	  point is a valid model): Newton's method where the objective gives its
 *	  Hessian (BG/NBD), BFGS where it does not (Gamma-Gamma).
 *
 * BFGS: Nocedal & Wright, "Numerical Optimization" (2nd ed.), algorithm
 * 6.1: the inverse Hessian approximation H starts as the identity, is
 * scaled by y's/y'y before the first update (6.20), and is updated only
 * when the curvature s'y is positive.
 *
 * Newton: the direction solves (H + mu I) d = -g by Cholesky, mu = 0
 * while the Hessian is positive definite, else the smallest of mu = 1e-8,
 * 1e-7, ... times its largest diagonal element that makes it so (a
 * modified Newton method, Nocedal & Wright 3.4).  From the start of a
 * BG/NBD fit it takes 8 to 12 evaluations where BFGS took 25 to 40: on
 * the scan path each evaluation is a pass over the data.
 *
 * Both take the step from a backtracking line search with the Armijo
 * condition (c1 = 1e-4) and a strict decrease, halving the step, and a
 * cap on the step length in parameter space (CLV_MAX_STEP), so that a bad
 * direction cannot send exp(theta) to overflow.  A trial point where the
 * objective is not finite is treated as too long a step.  When the step
 * fails, the steepest descent is tried once before giving up.
 *
 * The objective is a sum over many customers, known only to its rounding
 * noise (CLV_NOISE_ULPS units in the last place of f).  Once a step can
 * only lower f by less than that noise (-step g'd below it), comparing
 * values of f says nothing: such a step is taken only when it lowers the
 * largest gradient component and leaves f within the noise, at most
 * CLV_NOISE_STEPS times; and the line search stops halving there instead
 * of evaluating ever smaller steps.  Near the optimum, a trial point whose
 * gradient meets gtol is taken even if f rose, by at most
 * CLV_STATIONARY_RTOL of |f|: the rounding of a sum over a million
 * customers, added in parallel, reaches some thousands of units in the
 * last place.
 *
 * Stops when the largest gradient component is at most gtol (converged),
 * when no step decreases the objective even along the steepest descent
 * (converged if the gradient is within CLV_GTOL_LOOSE, the precision
 * limit of a sum over many customers), or after max_iter iterations (not
 * converged).  theta always holds the best point found, never NaN.
 *
 * IDENTIFICATION
 *	  src/clv_optim.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <float.h>
#include <math.h>

#include "miscadmin.h"

#include "clv.h"

#define CLV_MAX_STEP		4.0		/* largest move of one log-parameter */
#define CLV_GTOL_LOOSE		1e-5	/* a stalled search this close is at the optimum */
#define CLV_LINE_SEARCH_MAX	60
#define CLV_NOISE_ULPS		16		/* rounding noise of f, in units of |f| eps */
#define CLV_NOISE_STEPS		4		/* steps judged by the gradient alone */
#define CLV_STATIONARY_RTOL	1e-12	/* f of a stationary point, within rounding */

static double
max_abs(const double *v, int n)
{
	double		m = 0.0;

	for (int i = 0; i < n; i++)
		m = Max(m, fabs(v[i]));
	return m;
}

/* The rounding noise of an objective value */
static double
noise_of(double f)
{
	return CLV_NOISE_ULPS * DBL_EPSILON * Max(fabs(f), DBL_MIN);
}

/*
 * Solves (A + mu I) x = b for symmetric A (n x n, row-major) by Cholesky;
 * false if A + mu I is not positive definite.
 */
static bool
cholesky_solve(const double *A, double mu, int n, const double *b, double *x)
{
	double		L[CLV_MAX_PARAMS * CLV_MAX_PARAMS];

	for (int i = 0; i < n; i++)
	{
		for (int j = 0; j <= i; j++)
		{
			double		sum = A[i * n + j] + (i == j ? mu : 0.0);

			for (int k = 0; k < j; k++)
				sum -= L[i * n + k] * L[j * n + k];
			if (i == j)
			{
				if (!(sum > 0.0) || !isfinite(sum))
					return false;
				L[i * n + i] = sqrt(sum);
			}
			else
				L[i * n + j] = sum / L[j * n + j];
		}
	}
	/* L y = b, then L' x = y */
	for (int i = 0; i < n; i++)
	{
		double		sum = b[i];

		for (int k = 0; k < i; k++)
			sum -= L[i * n + k] * x[k];
		x[i] = sum / L[i * n + i];
	}
	for (int i = n - 1; i >= 0; i--)
	{
		double		sum = x[i];

		for (int k = i + 1; k < n; k++)
			sum -= L[k * n + i] * x[k];
		x[i] = sum / L[i * n + i];
	}
	return true;
}

/*
 * The modified Newton direction d = -(Hess + mu I)^-1 g (see the file
 * header); false if no mu up to 1e30 times the largest diagonal element
 * makes Hess + mu I positive definite (a Hessian with NaN).
 */
static bool
newton_direction(const double *hess, const double *g, int n, double *d)
{
	double		scale = 0.0;
	double		minus_g[CLV_MAX_PARAMS];

	for (int i = 0; i < n; i++)
	{
		scale = Max(scale, fabs(hess[i * n + i]));
		minus_g[i] = -g[i];
	}
	if (cholesky_solve(hess, 0.0, n, minus_g, d))
		return true;
	if (!(scale > 0.0) || !isfinite(scale))
		scale = 1.0;
	for (double mu = 1e-8 * scale; mu <= 1e30 * scale; mu *= 10.0)
		if (cholesky_solve(hess, mu, n, minus_g, d))
			return true;
	return false;
}

static void
set_identity(double *H, int n, double scale)
{
	for (int i = 0; i < n; i++)
		for (int j = 0; j < n; j++)
			H[i * n + j] = (i == j) ? scale : 0.0;
}

void
clv_minimize(ClvObjective fn, void *arg, int n, bool newton, double *theta,
			 int max_iter, double gtol, ClvOptimResult *result)
{
	double		H[CLV_MAX_PARAMS * CLV_MAX_PARAMS];
	double		hess[CLV_MAX_PARAMS * CLV_MAX_PARAMS],
				hess_new[CLV_MAX_PARAMS * CLV_MAX_PARAMS];
	double		g[CLV_MAX_PARAMS],
				g_new[CLV_MAX_PARAMS],
				d[CLV_MAX_PARAMS],
				s[CLV_MAX_PARAMS],
				y[CLV_MAX_PARAMS],
				Hy[CLV_MAX_PARAMS],
				trial[CLV_MAX_PARAMS];
	double		f;
	bool		fresh = true;	/* steepest descent (H is a scaled identity) */
	bool		scaled = false; /* the first-update scaling was done */
	bool		steepest = false;	/* Newton: the next direction is -g */
	int			noise_steps = 0;	/* steps taken at the rounding limit */
	int			iter;

	Assert(n >= 1 && n <= CLV_MAX_PARAMS);
	result->converged = false;
	f = fn(arg, theta, g, newton ? hess : NULL);
	if (!isfinite(f) || !isfinite(max_abs(g, n)))
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("the likelihood is not finite at the starting point"),
				 errdetail("The data have values too extreme to fit.")));
	set_identity(H, n, 1.0);

	for (iter = 0; iter < max_iter; iter++)
	{
		double		dg = 0.0;
		double		dmax;
		double		step = 1.0;
		double		f_new = 0.0;
		double		sy = 0.0,
					yHy = 0.0,
					yy = 0.0;
		bool		accepted = false;
		bool		have_d = false;

		CHECK_FOR_INTERRUPTS();
		if (max_abs(g, n) <= gtol)
		{
			result->converged = true;
			break;
		}
		progress_done(iter + 1);	/* the caller names the phase */

		/* direction: Newton's, -H g (BFGS), or steepest descent */
		if (newton)
		{
			fresh = steepest;
			if (!steepest && newton_direction(hess, g, n, d))
			{
				for (int i = 0; i < n; i++)
					dg += d[i] * g[i];
				have_d = true;
			}
			steepest = false;
		}
		else
		{
			for (int i = 0; i < n; i++)
			{
				d[i] = 0.0;
				for (int j = 0; j < n; j++)
					d[i] -= H[i * n + j] * g[j];
				dg += d[i] * g[i];
			}
			have_d = true;
		}
		if (!have_d || !(dg < 0.0))
		{
			set_identity(H, n, 1.0);
			fresh = true;
			dg = 0.0;
			for (int i = 0; i < n; i++)
			{
				d[i] = -g[i];
				dg -= g[i] * g[i];
			}
		}
		dmax = max_abs(d, n);
		if (dmax > CLV_MAX_STEP)
			step = CLV_MAX_STEP / dmax;

		if (-step * dg <= noise_of(f))
		{
			/*
			 * At the rounding limit of f: one step, kept if it lowers the
			 * gradient without raising f beyond the noise.
			 */
			if (noise_steps < CLV_NOISE_STEPS)
			{
				noise_steps++;
				for (int i = 0; i < n; i++)
					trial[i] = theta[i] + step * d[i];
				f_new = fn(arg, trial, g_new, newton ? hess_new : NULL);
				accepted = isfinite(f_new) && f_new <= f + noise_of(f) &&
					max_abs(g_new, n) < max_abs(g, n);
			}
		}
		else
		{
			for (int ls = 0; ls < CLV_LINE_SEARCH_MAX; ls++)
			{
				for (int i = 0; i < n; i++)
					trial[i] = theta[i] + step * d[i];
				f_new = fn(arg, trial, g_new, newton ? hess_new : NULL);
				/* strictly lower: at the rounding limit, no step is accepted */
				if (isfinite(f_new) && isfinite(max_abs(g_new, n)) &&
					f_new <= f + 1e-4 * step * dg && f_new < f)
				{
					accepted = true;
					break;
				}
				/* ... unless it is the optimum, and f differs by rounding only */
				if (isfinite(f_new) && max_abs(g_new, n) <= gtol &&
					max_abs(g, n) <= CLV_GTOL_LOOSE &&
					f_new <= f + CLV_STATIONARY_RTOL * fabs(f))
				{
					accepted = true;
					break;
				}
				step *= 0.5;
				/* a decrease this small could not be told from noise */
				if (-step * dg <= noise_of(f))
					break;
			}
		}
		if (!accepted)
		{
			if (!fresh)
			{
				/* the (quasi-)Newton direction failed: retry steepest descent */
				set_identity(H, n, 1.0);
				fresh = true;
				steepest = true;
				continue;
			}
			/* no decrease possible: at the precision limit, or stuck */
			result->converged = max_abs(g, n) <= CLV_GTOL_LOOSE;
			break;
		}

		if (!newton)
		{
			for (int i = 0; i < n; i++)
			{
				s[i] = trial[i] - theta[i];
				y[i] = g_new[i] - g[i];
				sy += s[i] * y[i];
				yy += y[i] * y[i];
			}
			if (sy > 1e-12 * sqrt(yy) * max_abs(s, n))
			{
				double		rho = 1.0 / sy;

				if (!scaled)
				{
					set_identity(H, n, sy / yy);
					scaled = true;
				}
				/* H += (1 + y'Hy/sy) ss'/sy - (H y s' + s y'H)/sy */
				for (int i = 0; i < n; i++)
				{
					Hy[i] = 0.0;
					for (int j = 0; j < n; j++)
						Hy[i] += H[i * n + j] * y[j];
					yHy += y[i] * Hy[i];
				}
				for (int i = 0; i < n; i++)
					for (int j = 0; j < n; j++)
						H[i * n + j] += (1.0 + yHy * rho) * s[i] * s[j] * rho
							- (Hy[i] * s[j] + s[i] * Hy[j]) * rho;
				fresh = false;
			}
		}
		else
			memcpy(hess, hess_new, sizeof(double) * n * n);
		memcpy(theta, trial, sizeof(double) * n);
		memcpy(g, g_new, sizeof(double) * n);
		f = f_new;
	}
	if (iter >= max_iter && max_abs(g, n) <= gtol)
		result->converged = true;
	result->value = f;
	result->gradient_norm = max_abs(g, n);
	result->iterations = iter;
}
