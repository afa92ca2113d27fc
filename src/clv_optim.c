/*-------------------------------------------------------------------------
 *
 * clv_optim.c
 *	  BFGS minimisation of a smooth function of a few parameters, for the
 *	  maximum-likelihood fits of CLV models (on log-parameters, so every
 *	  point is a valid model).
 *
 * Nocedal & Wright, "Numerical Optimization" (2nd ed.), algorithm 6.1:
 * the inverse Hessian approximation H starts as the identity, is scaled by
 * y's/y'y before the first update (6.20), and is updated only when the
 * curvature s'y is positive.  The step comes from a backtracking line
 * search with the Armijo condition (c1 = 1e-4) and a strict decrease,
 * halving the step, and a
 * cap on the step length in parameter space (CLV_MAX_STEP), so that a bad
 * direction cannot send exp(theta) to overflow.  A trial point where the
 * objective is not finite is treated as too long a step.
 *
 * The objective is a sum over many customers, known only to its rounding
 * noise (CLV_NOISE_ULPS units in the last place of f).  Once a step can
 * only lower f by less than that noise (-step g'd below it), comparing
 * values of f says nothing: such a step is taken only when it lowers the
 * largest gradient component and leaves f within the noise, at most
 * CLV_NOISE_STEPS times; and the line search stops halving there instead
 * of evaluating ever smaller steps.
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

static void
set_identity(double *H, int n, double scale)
{
	for (int i = 0; i < n; i++)
		for (int j = 0; j < n; j++)
			H[i * n + j] = (i == j) ? scale : 0.0;
}

void
clv_minimize(ClvObjective fn, void *arg, int n, double *theta, int max_iter,
			 double gtol, ClvOptimResult *result)
{
	double		H[CLV_MAX_PARAMS * CLV_MAX_PARAMS];
	double		g[CLV_MAX_PARAMS],
				g_new[CLV_MAX_PARAMS],
				d[CLV_MAX_PARAMS],
				s[CLV_MAX_PARAMS],
				y[CLV_MAX_PARAMS],
				Hy[CLV_MAX_PARAMS],
				trial[CLV_MAX_PARAMS];
	double		f;
	bool		fresh = true;	/* H is a (scaled) identity */
	bool		scaled = false; /* the first-update scaling was done */
	int			noise_steps = 0;	/* steps taken at the rounding limit */
	int			iter;

	Assert(n >= 1 && n <= CLV_MAX_PARAMS);
	result->converged = false;
	f = fn(arg, theta, g);
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

		CHECK_FOR_INTERRUPTS();
		if (max_abs(g, n) <= gtol)
		{
			result->converged = true;
			break;
		}

		/* direction d = -H g, a descent direction or steepest descent */
		for (int i = 0; i < n; i++)
		{
			d[i] = 0.0;
			for (int j = 0; j < n; j++)
				d[i] -= H[i * n + j] * g[j];
			dg += d[i] * g[i];
		}
		if (!(dg < 0.0))
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
				f_new = fn(arg, trial, g_new);
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
				f_new = fn(arg, trial, g_new);
				/* strictly lower: at the rounding limit, no step is accepted */
				if (isfinite(f_new) && isfinite(max_abs(g_new, n)) &&
					f_new <= f + 1e-4 * step * dg && f_new < f)
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
				/* the quasi-Newton direction failed: retry steepest descent */
				set_identity(H, n, 1.0);
				fresh = true;
				continue;
			}
			/* no decrease possible: at the precision limit, or stuck */
			result->converged = max_abs(g, n) <= CLV_GTOL_LOOSE;
			break;
		}

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
