/*-------------------------------------------------------------------------
 *
 * clv_predict.c
 *	  BG/NBD predictions: P(alive), expected purchases, and the predictor
 *	  that scoring functions keep per query so that a customer costs a few
 *	  dozen floating-point operations.
 *
 * Predictions (Fader, Hardie & Lee 2005, eq. 10 and appendix; the
 * formulas of the Python package lifetimes):
 *	P(alive) = 1 / (1 + [x > 0] a / (b + x - 1) ((alpha + T) / (alpha + t_x))^(r + x))
 *	E[Y(t) | x, t_x, T] = (a + b + x - 1) / (a - 1)
 *		* (1 - ((alpha + T) / (alpha + T + t))^(r + x) 2F1(r + x, b + x; a + b + x - 1; z))
 *		* P(alive),  z = t / (alpha + T + t)
 * and the unconditional curve E[X(t)] is the same with x = t_x = T = 0.
 * P(alive) uses log((alpha + T) / (alpha + t_x)) = log1p((T - t_x) / (alpha
 * + t_x)), exact when t_x is close to T however large r + x.  How E is
 * summed: clv_bgnbd_expected_alive below.
 *
 * The predictor (ClvPredictor): E / P(alive) = c z Q_x(z) where Q_x
 * depends only on the model and x, so for each x it is replaced, lazily,
 * by polynomial interpolants of degree CLV_PIECE_TERMS - 1 on pieces of q
 * = 1 - z = s / (s + t): octave j (q in [2^-(j+1), 2^-j]) cut in
 * CLV_SUBPIECES equal parts.  Q_x is analytic except for a branch point at
 * z = 1 (q = 0), at least 8 piece widths away from every piece, so the
 * Chebyshev coefficients fall by a factor of at least 34 (the Bernstein
 * ellipse through q = 0) and 12 terms leave an error below 1e-16, under
 * the rounding of the exact sum (checked against 40-digit mpmath in
 * development: relative error of E below 1e-13 except where the exact
 * sum itself has more, with tens of thousands of terms).  A piece is
 * built from 12 exact sums at its Chebyshev points the first time a
 * customer falls in it; afterwards a month of a customer costs one
 * division and a polynomial of degree 11 instead of a series of up to
 * ~100 terms with a division each.  Customers with x >= CLV_PREDICT_X, or
 * horizons beyond the last octave (t > 2^40 (alpha + T)), use the exact
 * sum.
 *
 * SQL functions here: profile.clv_p_alive and clv_expected_purchases
 * with a model value (by name: clv_model.c).
 *
 * IDENTIFICATION
 *	  src/clv_predict.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <float.h>
#include <math.h>

#include "access/htup_details.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "utils/memutils.h"

#include "clv.h"
#include "profile.h"

#define HYP2F1_MAX_TERMS	1000000
#define CLV_PREDICT_X		1024	/* x with cached terms: 0 .. 1023 */
#define CLV_OCTAVES			40		/* pieces down to q = 2^-40 */
#define CLV_SUBPIECE_BITS	3
#define CLV_SUBPIECES		(1 << CLV_SUBPIECE_BITS)	/* pieces per octave */
#define CLV_PIECES			(CLV_OCTAVES * CLV_SUBPIECES)
#define CLV_PIECE_TERMS		12		/* polynomial coefficients per piece */
#define CLV_S_OCTAVES		64		/* CLV pieces: s from alpha to 2^64 alpha */
#define CLV_S_PIECES		(CLV_S_OCTAVES * CLV_SUBPIECES)

/* ---- exact values ---- */

/* log P(alive) odds inverse: P(alive) = 1 / (1 + e^log_div) */
static inline double
p_alive_from(double log_odds, double rx, double alpha, double tx, double T)
{
	double		log_div = rx * log1p((T - tx) / (alpha + tx)) + log_odds;

	/* 1 / (1 + e^log_div), without overflow */
	if (log_div > 0)
	{
		double		e = exp(-log_div);

		return e / (1.0 + e);
	}
	return 1.0 / (1.0 + exp(log_div));
}

/* log(a / (b + x - 1)), x > 0 */
static inline double
p_alive_log_odds(const ClvBgnbd *m, double x)
{
	return log(m->a) - log(m->b + x - 1);
}

/* P(alive | x, t_x, T); 1 for a customer without repeat purchases */
double
clv_bgnbd_p_alive(const ClvBgnbd *m, double x, double tx, double T)
{
	if (x == 0)
		return 1.0;
	return p_alive_from(p_alive_log_odds(m, x), m->r + x, m->alpha, tx, T);
}

/*
 * Sums the Gauss series of 2F1(p1, p2; c; z) from its second term (n = 1)
 * with the given first term, up to a bound on the tail below DBL_EPSILON /
 * 8 of the sum.  For m >= n with c + m > 0, |ratio| of consecutive terms <= z
 * max(1, |(p1 + n) / (n + 1)|) max(1, |(p2 + n) / (c + n)|) bounds the tail
 * geometrically (|f(m)| for f = (p + m) / (q + m), q + m > 0, is at most 1
 * or decreasing).  Sum and term are rescaled by 2^-600 whenever they pass
 * 2^600 (*logscale counts it).  Fails (22000) if the series has not
 * converged after HYP2F1_MAX_TERMS terms (z very close to 1).
 */
static double
hyp2f1_tail(double p1, double p2, double c, double z, double first, double *logscale)
{
	double		term = first;
	double		sum = first;
	int			n;

	*logscale = 0.0;
	for (n = 1; n < HYP2F1_MAX_TERMS; n++)
	{
		if (term == 0.0)
			break;
		if (c + n > 0)
		{
			double		bound = z * Max(1.0, fabs((p1 + n) / (n + 1.0))) *
				Max(1.0, fabs((p2 + n) / (c + n)));

			if (bound < 1.0 &&
				fabs(term) * bound <= (1.0 - bound) * (DBL_EPSILON * 0.125) * fabs(sum))
				break;
		}
		if ((n & 0xffff) == 0)
			CHECK_FOR_INTERRUPTS();
		term *= (p1 + n) * (p2 + n) / ((c + n) * (n + 1.0)) * z;
		sum += term;
		if (unlikely(fabs(sum) > 0x1p600))
		{
			sum *= 0x1p-600;
			term *= 0x1p-600;
			*logscale += 600 * M_LN2;
		}
	}
	if (n >= HYP2F1_MAX_TERMS || !isfinite(sum) || !isfinite(term))
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("the expected number of purchases cannot be computed for this customer"),
				 errdetail("The hypergeometric series did not converge in %d terms.", HYP2F1_MAX_TERMS),
				 errhint("Ask for a shorter horizon.")));
	return sum;
}

/*
 * D(z) = E[Y(t) | x, T, alive at T] / c at z = t / (alpha + T + t), with L
 * = log(1 - z) (see clv_bgnbd_expected_alive).
 */
static double
bgnbd_D(const ClvBgnbd *m, double x, double z, double L)
{
	double		a = m->a;
	double		am1 = a - 1.0;
	double		k = m->r + x;
	double		c = a + m->b + x - 1.0;
	double		logscale;
	double		sum;

	if (k >= fabs(am1))
	{
		/* Euler's form: 2F1(A, a - 1; c; z) / (a - 1), A = a + b - 1 - r */
		double		A = a + m->b - 1.0 - m->r;
		double		em = expm1(am1 * L);

		sum = hyp2f1_tail(A, a - 1.0, c, z, A / c * z, &logscale);
		if (logscale == 0.0)
			return -(am1 == 0.0 ? L : em / am1) - (1.0 + em) * sum;
		/* (1 - z)^(a - 1) |sum| 2^(600 j), in logs */
		return -(am1 == 0.0 ? L : em / am1) -
			(sum > 0 ? 1.0 : -1.0) * exp(am1 * L + log(fabs(sum)) + logscale);
	}
	else
	{
		/* Gauss's: (1 - (1 - z)^(r + x) 2F1(r + x, b + x; c; z)) / (a - 1) */
		double		beta = m->b + x;
		double		e;

		sum = hyp2f1_tail(k, beta, c, z, k * beta / c * z, &logscale);
		/* log 2F1 = log1p(sum of the terms after the first), exact for small z */
		if (logscale == 0.0 && sum > -1.0)
			return -expm1(k * L + log1p(sum)) / am1;
		if (logscale == 0.0)
			sum += 1.0;			/* else 1 is below the rounding of sum */
		if (sum == 0.0)
			return 1.0 / am1;
		e = k * L + log(fabs(sum)) + logscale;
		return (sum > 0 ? -expm1(e) : 1.0 + exp(e)) / am1;
	}
}

/*
 * clv_bgnbd_expected_alive: E[purchases in (T, T + t] | x, T, alive at T],
 * that is E[Y(t) | x, t_x, T] / P(alive); with x = T = 0, the
 * unconditional E[X(t)].  Exact up to rounding (the predictor's
 * interpolants are built from it).
 *
 * With s = alpha + T, z = t / (s + t), c = a + b + x - 1, L = log(1 - z)
 * = -log1p(t / s) and h = (1 - z)^(r + x) 2F1(r + x, b + x; c; z), E /
 * P(alive) = c D with D = (1 - h) / (a - 1), summed in one of two forms:
 *
 * Gauss's series of 2F1(r + x, b + x; c; z), whose terms behave like n^(r
 * + x - a) z^n and which loses about log10(c / |a - 1|) digits to the
 * cancellation in 1 - h; or, by Euler's transformation 2F1(a, b; c; z) =
 * (1 - z)^(c - a - b) 2F1(c - a, c - b; c; z) (Abramowitz & Stegun
 * 15.3.3), h = (1 - z)^(a - 1) 2F1(A, a - 1; c; z) with A = a + b - 1 - r,
 * so that
 *	D = -expm1((a - 1) L) / (a - 1) - (1 - z)^(a - 1) sum_{n >= 1} u_n z^n
 * with u_n = (A)_n (a)_(n-1) / ((c)_n n!): terms like n^(a - 2 - r - x)
 * z^n, about log10(c / (r + x)) digits lost, and no division by a - 1.
 * The Euler form is used when r + x >= |a - 1|, the Gauss form otherwise:
 * then both the terms fall at least like z^n / n and the loss is the
 * smaller one, whatever x (a frequent customer made the plain series grow
 * like n^(r + x - a) z^n first, and a near 1 cost digits: the error
 * against 50-digit mpmath is now about 1e-14, against 1e-11 and 1e-5 at a
 * = 1.0000001 before) and whatever a (a and b of 1e5 and more, the fit of
 * a drop-out probability that does not vary across customers, made the
 * Euler series grow like n^(a - 2) z^n).
 */
double
clv_bgnbd_expected_alive(const ClvBgnbd *m, double x, double T, double t)
{
	double		s = m->alpha + T;

	if (t == 0)
		return 0.0;
	return (m->a + m->b + x - 1.0) * bgnbd_D(m, x, t / (s + t), -log1p(t / s));
}

/* E[purchases in (T, T + t] | x, t_x, T] */
double
clv_bgnbd_expected(const ClvBgnbd *m, double x, double tx, double T, double t)
{
	if (t == 0)
		return 0.0;
	return clv_bgnbd_expected_alive(m, x, T, t) * clv_bgnbd_p_alive(m, x, tx, T);
}

/* ---- the predictor ---- */

/* What the predictor keeps for one x */
typedef struct ClvPredictX
{
	bool		have;
	double		c;				/* a + b + x - 1 */
	double		log_odds;		/* p_alive_log_odds, x > 0 */
	double	  **pieces;			/* CLV_PIECES, NULL until one is built */
} ClvPredictX;

struct ClvPredictor
{
	ClvBgnbd	m;
	MemoryContext cxt;			/* holds the predictor and its pieces */
	ClvPredictX *xs;			/* CLV_PREDICT_X, NULL until needed */

	/* CLV sums (clv_predict_clv) over one horizon at a time */
	bool		have_horizon;
	int			months;
	double		rate;
	double		step;
	int			s_exp0;			/* biased exponent of alpha: octave 0 of s */
	MemoryContext clv_cxt;		/* the pieces below, reset with the horizon */
	double	 ***clv_pieces;		/* [x][CLV_S_PIECES], NULL until needed */
};

/*
 * clv_predictor_create: a predictor of model m (checked by the caller) in
 * a new memory context under parent, which deleting frees it all.
 */
ClvPredictor *
clv_predictor_create(MemoryContext parent, const ClvBgnbd *m)
{
	MemoryContext cxt = AllocSetContextCreate(parent, "profile clv predictor",
											  ALLOCSET_SMALL_SIZES);
	ClvPredictor *p = MemoryContextAllocZero(cxt, sizeof(ClvPredictor));

	p->m = *m;
	p->cxt = cxt;
	p->clv_cxt = AllocSetContextCreate(cxt, "profile clv sums", ALLOCSET_SMALL_SIZES);
	return p;
}

void
clv_predictor_free(ClvPredictor *p)
{
	MemoryContextDelete(p->cxt);
}

MemoryContext
clv_predictor_context(const ClvPredictor *p)
{
	return p->cxt;
}

const ClvBgnbd *
clv_predictor_model(const ClvPredictor *p)
{
	return &p->m;
}

/* The terms of x (x < CLV_PREDICT_X, a whole number) */
static ClvPredictX *
predict_x(ClvPredictor *p, double x)
{
	ClvPredictX *xe;

	if (p->xs == NULL)
		p->xs = MemoryContextAllocZero(p->cxt, sizeof(ClvPredictX) * CLV_PREDICT_X);
	xe = &p->xs[(int) x];
	if (!xe->have)
	{
		xe->c = p->m.a + p->m.b + x - 1.0;
		xe->log_odds = x > 0 ? p_alive_log_odds(&p->m, x) : 0.0;
		xe->have = true;
	}
	return xe;
}

double
clv_predict_p_alive(ClvPredictor *p, double x, double tx, double T)
{
	if (x == 0)
		return 1.0;
	if (x >= CLV_PREDICT_X)
		return clv_bgnbd_p_alive(&p->m, x, tx, T);
	return p_alive_from(predict_x(p, x)->log_odds, p->m.r + x, p->m.alpha, tx, T);
}

/* Piece (octave j, part k) of q: its lower end and half width */
static inline void
piece_bounds(int j, int k, double *lo, double *half)
{
	*lo = ldexp(1.0 + (double) k / CLV_SUBPIECES, -(j + 1));
	*half = ldexp(0.5 / CLV_SUBPIECES, -(j + 1));
}

/*
 * The Chebyshev points of [mid - half, mid + half]: the nodes of a piece
 */
static inline double
piece_node(double mid, double half, int i)
{
	return mid + half * cos(M_PI * (i + 0.5) / CLV_PIECE_TERMS);
}

/*
 * A piece from the values of a function at its nodes: {mid, 1 / half
 * (half a power of 2), then the coefficients of the polynomial in v = (y -
 * mid) / half, v in [-1, 1], that interpolates them}.  The Chebyshev
 * coefficients of our pieces fall by a factor of at least 34 per degree,
 * so they are converted to the monomial basis without loss (the
 * coefficients of T_k grow far slower than that), for Estrin's scheme
 * (piece_eval).  Allocated in cxt.
 */
static double *
fit_piece(MemoryContext cxt, double mid, double half, const double *values)
{
	const int	N = CLV_PIECE_TERMS;
	double	   *piece = MemoryContextAlloc(cxt, sizeof(double) * (2 + N));
	double		cheb[CLV_PIECE_TERMS];
	double		t_prev[CLV_PIECE_TERMS] = {0},
				t_cur[CLV_PIECE_TERMS] = {0},
				t_next[CLV_PIECE_TERMS];
	double	   *mono = piece + 2;

	for (int n = 0; n < N; n++)
	{
		double		sum = 0.0;

		for (int i = 0; i < N; i++)
			sum += values[i] * cos(M_PI * n * (i + 0.5) / N);
		cheb[n] = (n == 0 ? 1.0 : 2.0) * sum / N;
	}
	/* monomial coefficients: sum of cheb[n] T_n(v), T_(n+1) = 2 v T_n - T_(n-1) */
	memset(mono, 0, sizeof(double) * N);
	t_prev[0] = 1.0;			/* T_0 */
	t_cur[1] = 1.0;				/* T_1 */
	mono[0] = cheb[0];
	mono[1] = cheb[1];
	for (int n = 2; n < N; n++)
	{
		for (int i = 0; i < N; i++)
			t_next[i] = (i > 0 ? 2.0 * t_cur[i - 1] : 0.0) - t_prev[i];
		for (int i = 0; i < N; i++)
		{
			mono[i] += cheb[n] * t_next[i];
			t_prev[i] = t_cur[i];
			t_cur[i] = t_next[i];
		}
	}
	piece[0] = mid;
	piece[1] = 1.0 / half;
	return piece;
}

/* A piece's polynomial at y, by Estrin's scheme (4 multiply-adds deep) */
static inline double
piece_eval(const double *piece, double y)
{
	const double *a = piece + 2;
	double		v = (y - piece[0]) * piece[1];
	double		v2 = v * v;
	double		v4 = v2 * v2;

	StaticAssertStmt(CLV_PIECE_TERMS == 12, "Estrin's scheme below is of degree 11");
	return ((a[0] + a[1] * v) + (a[2] + a[3] * v) * v2) +
		((a[4] + a[5] * v) + (a[6] + a[7] * v) * v2) * v4 +
		((a[8] + a[9] * v) + (a[10] + a[11] * v) * v2) * (v4 * v4);
}

/* The interpolant of Q_x(z) = D(z) / z on piece (j, k) of q = 1 - z */
static double *
build_piece(ClvPredictor *p, double x, int j, int k)
{
	double		values[CLV_PIECE_TERMS];
	double		lo,
				half,
				mid;

	piece_bounds(j, k, &lo, &half);
	mid = lo + half;
	for (int i = 0; i < CLV_PIECE_TERMS; i++)
	{
		double		q = piece_node(mid, half, i);
		double		z = 1.0 - q;

		values[i] = bgnbd_D(&p->m, x, z, log(q)) / z;
	}
	return fit_piece(p->cxt, mid, half, values);
}

/*
 * E / P(alive) at t > 0 for a customer of x < CLV_PREDICT_X (its entry
 * xe) and s = alpha + T: the interpolant, or the exact sum beyond the last
 * octave.
 */
static inline double
expected_alive_at(ClvPredictor *p, ClvPredictX *xe, double x, double s, double t)
{
	double		inv = 1.0 / (s + t);
	double		q = s * inv;
	uint64		bits;
	int			j,
				k;
	const double *piece;

	/* octave and part from the exponent and the top mantissa bits of q */
	memcpy(&bits, &q, sizeof(bits));
	j = 1022 - (int) ((bits >> 52) & 0x7ff);
	k = (int) ((bits >> (52 - CLV_SUBPIECE_BITS)) & (CLV_SUBPIECES - 1));
	if (unlikely(j < 0))
	{
		/* q = 1: t too small to move s + t */
		j = 0;
		k = CLV_SUBPIECES - 1;
	}
	if (unlikely(j >= CLV_OCTAVES))
		return xe->c * bgnbd_D(&p->m, x, t * inv, -log1p(t / s));
	if (unlikely(xe->pieces == NULL))
		xe->pieces = MemoryContextAllocZero(p->cxt, sizeof(double *) * CLV_PIECES);
	piece = xe->pieces[j * CLV_SUBPIECES + k];
	if (unlikely(piece == NULL))
		piece = xe->pieces[j * CLV_SUBPIECES + k] = build_piece(p, x, j, k);
	return xe->c * (t * inv) * piece_eval(piece, q);
}

/*
 * clv_predict_expected_alive: clv_bgnbd_expected_alive through the
 * interpolants (see the file header).
 */
double
clv_predict_expected_alive(ClvPredictor *p, double x, double T, double t)
{
	if (t == 0)
		return 0.0;
	if (x >= CLV_PREDICT_X)
		return clv_bgnbd_expected_alive(&p->m, x, T, t);
	return expected_alive_at(p, predict_x(p, x), x, p->m.alpha + T, t);
}

/*
 * G_x(s) = sum_(i = 1 .. months) (A_i - A_(i-1)) / (1 + rate)^i where A_i
 * is E / P(alive) at t = i step for s = alpha + T (A_0 = 0), month by
 * month: CLV is aov P(alive) G_x(s).
 */
static double
clv_sum_months(ClvPredictor *p, double x, double s, int months, double rate, double step)
{
	ClvPredictX *xe = x < CLV_PREDICT_X ? predict_x(p, x) : NULL;
	double		c = p->m.a + p->m.b + x - 1.0;
	double		previous = 0.0;
	double		discount = 1.0;
	double		sum = 0.0;

	for (int i = 1; i <= months; i++)
	{
		double		t = i * step;
		double		A = xe != NULL ? expected_alive_at(p, xe, x, s, t) :
			c * bgnbd_D(&p->m, x, t / (s + t), -log1p(t / s));

		discount *= 1.0 + rate;
		sum += (A - previous) / discount;
		previous = A;
	}
	return sum;
}

/*
 * clv_predict_clv: CLV / (expected order value x P(alive)) of a customer
 * of x and T over months months of step time units, discounted by rate a
 * month: G_x(alpha + T) (clv_sum_months).
 *
 * For a given horizon G_x depends on s = alpha + T alone, and is analytic
 * in s but on the negative real axis (where t_i / (s + t_i) leaves [0,
 * 1)), so it is replaced like Q_x, lazily, by polynomial interpolants on
 * pieces of s: octave j above alpha's (s in [2^(e + j), 2^(e + j + 1)),
 * alpha in octave e) cut in CLV_SUBPIECES parts, every piece at least 8
 * widths from 0.  A customer then costs one polynomial whatever the
 * number of months.  The node values are sums of the month interpolants,
 * so CLV agrees with the sum of profile.clv_expected_purchases month by
 * month to about 1e-15, not to the last bit.  The pieces are kept for one
 * horizon (months, rate, step) at a time.  Customers of x >= CLV_PREDICT_X
 * or beyond the last octave are summed month by month.
 */
double
clv_predict_clv(ClvPredictor *p, double x, double T, int months, double rate, double step)
{
	double		s = p->m.alpha + T;
	uint64		bits;
	int			j,
				k;
	double	  **pieces;
	const double *piece;

	if (x >= CLV_PREDICT_X)
		return clv_sum_months(p, x, s, months, rate, step);
	if (!p->have_horizon || months != p->months || rate != p->rate || step != p->step)
	{
		MemoryContextReset(p->clv_cxt);
		p->clv_pieces = NULL;
		p->months = months;
		p->rate = rate;
		p->step = step;
		memcpy(&bits, &p->m.alpha, sizeof(bits));
		p->s_exp0 = (int) ((bits >> 52) & 0x7ff);
		p->have_horizon = true;
	}
	memcpy(&bits, &s, sizeof(bits));
	j = (int) ((bits >> 52) & 0x7ff) - p->s_exp0;
	k = (int) ((bits >> (52 - CLV_SUBPIECE_BITS)) & (CLV_SUBPIECES - 1));
	if (unlikely(j < 0 || j >= CLV_S_OCTAVES || p->s_exp0 == 0))
		return clv_sum_months(p, x, s, months, rate, step);
	if (unlikely(p->clv_pieces == NULL))
		p->clv_pieces = MemoryContextAllocZero(p->clv_cxt, sizeof(double **) * CLV_PREDICT_X);
	pieces = p->clv_pieces[(int) x];
	if (unlikely(pieces == NULL))
		pieces = p->clv_pieces[(int) x] =
			MemoryContextAllocZero(p->clv_cxt, sizeof(double *) * CLV_S_PIECES);
	piece = pieces[j * CLV_SUBPIECES + k];
	if (unlikely(piece == NULL))
	{
		double		values[CLV_PIECE_TERMS];
		int			e = p->s_exp0 - 1023 + j;
		double		lo = ldexp(1.0 + (double) k / CLV_SUBPIECES, e);
		double		half = ldexp(0.5 / CLV_SUBPIECES, e);

		for (int i = 0; i < CLV_PIECE_TERMS; i++)
			values[i] = clv_sum_months(p, x, piece_node(lo + half, half, i),
									   months, rate, step);
		piece = pieces[j * CLV_SUBPIECES + k] = fit_piece(p->clv_cxt, lo + half, half, values);
	}
	return piece_eval(piece, s);
}

double
clv_predict_expected(ClvPredictor *p, double x, double tx, double T, double t)
{
	if (t == 0)
		return 0.0;
	return clv_predict_expected_alive(p, x, T, t) * clv_predict_p_alive(p, x, tx, T);
}

/*
 * clv_predictor_arg: the predictor of the profile.clv_bgnbd value in
 * argument argno, kept in *arg (which the caller keeps in fn_extra, zeroed
 * at first).  The value is decoded again only when its bytes differ from
 * the last row's (a model from a subquery or a join is a new datum on
 * every row, but the same bytes), and the predictor is remade only when
 * the parameters differ.
 */
ClvPredictor *
clv_predictor_arg(FunctionCallInfo fcinfo, int argno, ClvModelArg *arg)
{
	HeapTupleHeader tuple;
	Size		len;
	ClvBgnbd	m;

	if (arg->predictor != NULL)
	{
		if (arg->stable == 0)
			arg->stable = get_fn_expr_arg_stable(fcinfo->flinfo, argno) ? 1 : -1;
		if (arg->stable > 0)
			return arg->predictor;
	}
	tuple = DatumGetHeapTupleHeader(PG_GETARG_DATUM(argno));
	len = HeapTupleHeaderGetDatumLength(tuple);
	if (arg->predictor != NULL && len == arg->len && memcmp(tuple, arg->bytes, len) == 0)
		return arg->predictor;

	clv_bgnbd_from_datum(PointerGetDatum(tuple), &m);
	if (arg->predictor == NULL || memcmp(&m, clv_predictor_model(arg->predictor), sizeof(m)) != 0)
	{
		if (arg->predictor != NULL)
			clv_predictor_free(arg->predictor);
		arg->predictor = NULL;
		arg->predictor = clv_predictor_create(fcinfo->flinfo->fn_mcxt, &m);
	}
	if (arg->bytes != NULL && arg->len < len)
	{
		pfree(arg->bytes);
		arg->bytes = NULL;
	}
	if (arg->bytes == NULL)
		arg->bytes = MemoryContextAlloc(fcinfo->flinfo->fn_mcxt, len);
	memcpy(arg->bytes, tuple, len);
	arg->len = len;
	return arg->predictor;
}

/* ---- SQL functions with a model value ---- */

static ClvPredictor *
predictor_of_arg0(FunctionCallInfo fcinfo)
{
	ClvModelArg *arg = fcinfo->flinfo->fn_extra;

	if (arg == NULL)
		arg = fcinfo->flinfo->fn_extra =
			MemoryContextAllocZero(fcinfo->flinfo->fn_mcxt, sizeof(ClvModelArg));
	return clv_predictor_arg(fcinfo, 0, arg);
}

/* A horizon must be finite and >= 0 (22000, 22023) */
void
clv_check_horizon_t(double t)
{
	check_finite(t, "horizon");
	if (t < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("horizon must not be negative, not %g", t)));
}

/* profile.clv_p_alive(model clv_bgnbd, frequency, recency, t) */
PG_FUNCTION_INFO_V1(profile_clv_p_alive);
Datum
profile_clv_p_alive(PG_FUNCTION_ARGS)
{
	ClvPredictor *p = predictor_of_arg0(fcinfo);
	double		x = PG_GETARG_FLOAT8(1),
				tx = PG_GETARG_FLOAT8(2),
				T = PG_GETARG_FLOAT8(3);

	clv_check_summary(x, tx, T);
	PG_RETURN_FLOAT8(clv_predict_p_alive(p, x, tx, T));
}

/* profile.clv_expected_purchases(model clv_bgnbd, frequency, recency, t, horizon) */
PG_FUNCTION_INFO_V1(profile_clv_expected_purchases);
Datum
profile_clv_expected_purchases(PG_FUNCTION_ARGS)
{
	ClvPredictor *p = predictor_of_arg0(fcinfo);
	double		x = PG_GETARG_FLOAT8(1),
				tx = PG_GETARG_FLOAT8(2),
				T = PG_GETARG_FLOAT8(3),
				t = PG_GETARG_FLOAT8(4);

	clv_check_summary(x, tx, T);
	clv_check_horizon_t(t);
	PG_RETURN_FLOAT8(clv_predict_expected(p, x, tx, T, t));
}

/* profile.clv_expected_purchases(model clv_bgnbd, horizon): a new customer's curve */
PG_FUNCTION_INFO_V1(profile_clv_expected_purchases_new);
Datum
profile_clv_expected_purchases_new(PG_FUNCTION_ARGS)
{
	ClvPredictor *p = predictor_of_arg0(fcinfo);
	double		t = PG_GETARG_FLOAT8(1);

	clv_check_horizon_t(t);
	PG_RETURN_FLOAT8(clv_predict_expected(p, 0, 0, 0, t));
}
