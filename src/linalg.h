/*-------------------------------------------------------------------------
 *
 * linalg.h
 *	  Dense linear algebra for the profile extension: the only interface to
 *	  LAPACK and BLAS.
 *
 * Other files call these wrappers on plain double arrays and never declare
 * a LAPACK or BLAS routine themselves (STYLE.md).  Matrices are
 * column-major: element (i, j) of a matrix with leading dimension ld is
 * a[i + j * ld].  A row-major k x d C array (a PostgreSQL 2-D array, rows
 * first) is the column-major d x k matrix whose columns are its rows.
 *
 * A LAPACK or BLAS call cannot be cancelled: callers bound the sizes they
 * pass (PCA: at most 1000 features) so that one call takes a fraction of
 * the time a user would wait.  The wrappers check every dimension before
 * the call, since a routine that finds an illegal argument may end the
 * process; such a finding is our bug and raises a plain elog(ERROR).
 *
 * IDENTIFICATION
 *	  src/linalg.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef LINALG_H
#define LINALG_H

/*
 * Largest order of a matrix the wrappers accept: n * n elements must fit
 * an int (LAPACK's integer), with room to spare.  Callers set their own,
 * much smaller, limits for cancellation and memory.
 */
#define LINALG_MAX_DIM	40000

extern void linalg_sym_eigen(int n, double *a, double *w);
extern void linalg_sym_eigen_top(int n, int k, double *a, double *w,
								 double *z);
extern void linalg_gemm(bool trans_a, bool trans_b, int m, int n, int k,
						double alpha, const double *a, int lda,
						const double *b, int ldb,
						double beta, double *c, int ldc);

#endif							/* LINALG_H */
