/*-------------------------------------------------------------------------
 *
 * clv.h
 *	  Customer lifetime value: shared declarations of the clv_* files.
 *
 *	- clv_summary.c: per-customer summaries from transactions (frequency,
 *	  recency, T, monetary), the calibration/holdout split, and the
 *	  purchase-day state that they and purchase cycles (clv_cycle.c) share;
 *	- clv_optim.c: Newton (BG/NBD) and BFGS (Gamma-Gamma) on log-parameters;
 *	- clv_bgnbd.c: the BG/NBD model (Fader, Hardie & Lee 2005, "Counting
 *	  Your Customers the Easy Way"): likelihood, gradient, fit, scan path
 *	  and a simulator;
 *	- clv_predict.c: BG/NBD predictions, and the predictor that caches
 *	  them per model for scoring;
 *	- clv_gammagamma.c: the Gamma-Gamma spend model (Fader, Hardie & Lee
 *	  2005, "RFM and CLV") and CLV with monthly discounting;
 *	- clv_model.c: named CLV models in profile.models and scoring.
 *
 * IDENTIFICATION
 *	  src/clv.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef PROFILE_CLV_H
#define PROFILE_CLV_H

#include <math.h>

#include "fmgr.h"
#include "access/tupdesc.h"

#include "profile.h"

/* ---- time units (clv_summary.c) ---- */

typedef enum ClvTimeUnit
{
	CLV_UNIT_DAY = 1,
	CLV_UNIT_WEEK = 2,
	CLV_UNIT_MONTH = 3
} ClvTimeUnit;

extern ClvTimeUnit clv_time_unit_from_name(const char *name);
extern const char *clv_time_unit_name(ClvTimeUnit unit);
extern double clv_time_unit_days(ClvTimeUnit unit);
extern double clv_time_unit_per_month(ClvTimeUnit unit);

/* ---- purchase days: the state of clv_summary, clv_holdout, purchase_cycle ---- */

/* What a purchase-day state summarises for (its final function) */
typedef enum ClvDaysKind
{
	CLV_DAYS_SUMMARY = 1,
	CLV_DAYS_HOLDOUT = 2,
	CLV_DAYS_CYCLE = 3
} ClvDaysKind;

typedef struct ClvDaysData ClvDaysData;

/* The purchase days of a checked state, ascending, with their amounts */
typedef struct ClvDays
{
	ClvDaysKind kind;
	ClvTimeUnit unit;
	int32		end_day;		/* observation end (as_of for cycles) */
	int32		split_day;		/* calibration end (holdout only) */
	int32		count;
	int32	   *days;
	double	   *amounts;		/* sum of the day's amounts */
} ClvDays;

extern Datum clv_days_transfn(FunctionCallInfo fcinfo, ClvDaysKind kind,
							  TimestampTz ordered_at, double amount,
							  TimestampTz end, TimestampTz split,
							  ClvTimeUnit unit);
extern ClvDays *clv_days_read(Datum state, ClvDaysKind kind);

/* A purchase cycle (clv_cycle.c) */
typedef struct ClvCycle
{
	int32		purchases;		/* distinct purchase days */
	DateADT		last;
	int32		days_since_last;
	bool		has_intervals;	/* two days or more: median, mean, next */
	double		median;
	double		mean;
	bool		has_cv;			/* three days or more */
	double		cv;
	DateADT		expected_next;
	int32		days_overdue;
	bool		has_overdue_score;	/* median > 0 */
	double		overdue_score;
} ClvCycle;

extern void clv_cycle_compute(const int32 *days, int32 n, int32 end_day, ClvCycle *c);

/* ---- optimiser (clv_optim.c) ---- */

#define CLV_MAX_PARAMS	4

/*
 * Objective: returns f(theta) and fills grad, and hess (n x n, row-major)
 * when it is not NULL; may return NaN or Infinity
 */
typedef double (*ClvObjective) (void *arg, const double *theta, double *grad,
								double *hess);

typedef struct ClvOptimResult
{
	double		value;			/* objective at theta */
	double		gradient_norm;	/* max |gradient| at theta */
	int			iterations;
	bool		converged;
} ClvOptimResult;

extern void clv_minimize(ClvObjective fn, void *arg, int n, bool newton,
						 double *theta, int max_iter, double gtol,
						 ClvOptimResult *result);

/* ---- BG/NBD (clv_bgnbd.c) ---- */

extern double clv_digamma(double x);

typedef struct ClvBgnbd
{
	double		r;
	double		alpha;
	double		a;
	double		b;
} ClvBgnbd;

typedef struct ClvBgnbdFit
{
	ClvBgnbd	params;
	double		loglik;			/* sum over customers, without penalty */
	int64		customers;
	int32		iterations;
	bool		converged;
	double		penalizer;
} ClvBgnbdFit;

/* One customer's summary: a row of a BG/NBD data set */
typedef struct ClvTriple
{
	double		x;				/* frequency: repeat purchases */
	double		tx;				/* recency: time of the last one */
	double		T;				/* age: time since the first purchase */
} ClvTriple;

#define CLV_DEFAULT_MAX_ITER	500

extern void clv_check_summary_fail(double frequency, double recency, double T) pg_attribute_noreturn();

/*
 * clv_check_summary: a customer summary must be finite (22000), with a
 * whole frequency >= 0, 0 <= recency <= T, and recency 0 when frequency is
 * 0 (22023).  Inline: it runs for every customer scored.
 */
static inline void
clv_check_summary(double frequency, double recency, double T)
{
	if (unlikely(!(isfinite(frequency) && isfinite(recency) && isfinite(T) &&
				   frequency >= 0 && frequency == floor(frequency) &&
				   recency >= 0 && recency <= T && (frequency != 0 || recency == 0))))
		clv_check_summary_fail(frequency, recency, T);
}
extern void clv_bgnbd_check(const ClvBgnbd *model);
extern void clv_bgnbd_fit_triples(ClvTriple *rows, int64 n, bool sorted,
								  double penalizer, int max_iter,
								  MemoryBudget *budget, ClvBgnbdFit *fit);
extern void clv_bgnbd_from_datum(Datum composite, ClvBgnbd *model);
extern Datum clv_bgnbd_fit_datum(const ClvBgnbdFit *fit, TupleDesc tupdesc);

/* ---- BG/NBD predictions (clv_predict.c) ---- */

extern double clv_bgnbd_p_alive(const ClvBgnbd *m, double x, double tx, double T);
extern double clv_bgnbd_expected(const ClvBgnbd *m, double x, double tx, double T,
								 double t);
extern double clv_bgnbd_expected_alive(const ClvBgnbd *m, double x, double T, double t);
extern void clv_check_horizon_t(double t);

/* A model's predictions with their per-x terms and interpolants cached */
typedef struct ClvPredictor ClvPredictor;

extern ClvPredictor *clv_predictor_create(MemoryContext parent, const ClvBgnbd *m);
extern void clv_predictor_free(ClvPredictor *p);
extern MemoryContext clv_predictor_context(const ClvPredictor *p);
extern const ClvBgnbd *clv_predictor_model(const ClvPredictor *p);
extern double clv_predict_p_alive(ClvPredictor *p, double x, double tx, double T);
extern double clv_predict_expected_alive(ClvPredictor *p, double x, double T, double t);
extern double clv_predict_clv(ClvPredictor *p, double x, double T, int months,
							  double rate, double step);
extern double clv_predict_expected(ClvPredictor *p, double x, double tx, double T,
								   double t);

/* A profile.clv_bgnbd argument's predictor, kept in fn_extra (zeroed at first) */
typedef struct ClvModelArg
{
	ClvPredictor *predictor;
	int			stable;			/* 0 unknown, 1 constant in the query, -1 not */
	Size		len;			/* the composite it was made from */
	char	   *bytes;
} ClvModelArg;

extern ClvPredictor *clv_predictor_arg(FunctionCallInfo fcinfo, int argno, ClvModelArg *arg);

/* ---- Gamma-Gamma and CLV (clv_gammagamma.c) ---- */

typedef struct ClvGammaGamma
{
	double		p;
	double		q;
	double		v;
} ClvGammaGamma;

typedef struct ClvGammaGammaFit
{
	ClvGammaGamma params;
	double		loglik;
	int64		customers;		/* repeat customers used */
	int64		excluded;		/* repeat customers with monetary <= 0 */
	int32		iterations;
	bool		converged;
	double		penalizer;
	double		correlation;	/* Pearson, frequency vs monetary; NaN: none */
} ClvGammaGammaFit;

/* |correlation| at or above this: the independence assumption is doubtful */
#define CLV_GG_CORRELATION_WARN	0.3

/* A row of a Gamma-Gamma data set: frequency and mean repeat spend */
typedef struct ClvSpend
{
	double		x;
	double		m;
} ClvSpend;

extern void clv_gammagamma_check(const ClvGammaGamma *model);
extern void clv_gammagamma_fit_rows(ClvSpend *rows, int64 n, bool sorted,
									int64 excluded, double penalizer,
									int max_iter, MemoryBudget *budget,
									ClvGammaGammaFit *fit);
extern bool clv_gammagamma_aov(const ClvGammaGamma *m, double x, double monetary,
							   double *aov);
extern bool clv_value(ClvPredictor *bg, const ClvGammaGamma *gg, ClvTimeUnit unit,
					  double x, double tx, double T, double monetary,
					  int months, double discount_rate, double *value);
extern void clv_gammagamma_from_datum(Datum composite, ClvGammaGamma *model);
extern Datum clv_gammagamma_fit_datum(const ClvGammaGammaFit *fit, TupleDesc tupdesc);
extern void clv_check_horizon(int months, double discount_rate);
extern void clv_model_lookup(const char *name, ClvTimeUnit *unit, ClvBgnbd *bg,
							 bool *has_spend, ClvGammaGamma *gg);

#endif							/* PROFILE_CLV_H */
