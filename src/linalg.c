/*-------------------------------------------------------------------------
 *
 * linalg.c
 *	  The only file that declares and calls LAPACK and BLAS.
 *
 * Wrappers over:
 *	- dsyevr (LAPACK): eigenvalues and eigenvectors of a real symmetric
 *	  matrix (Householder tridiagonal reduction, then the MRRR algorithm of
 *	  Dhillon and Parlett, "Multiple representations to compute orthogonal
 *	  eigenvectors of symmetric tridiagonal matrices", Linear Algebra Appl.
 *	  387 (2004), or bisection and inverse iteration for a subset).  Used by
 *	  PCA on the covariance matrix;
 *	- dgemm (BLAS): C = alpha op(A) op(B) + beta C.
 *
 * Matrices are column-major (linalg.h).  Every dimension is checked before
 * the call: the reference implementations report an illegal argument
 * through XERBLA, which prints and stops the process.  info < 0 is thus
 * our bug (elog); info > 0 is a data problem (ereport 22000, the detail
 * naming the routine).  Workspace sizes are queried with lwork = -1 and
 * the workspace is palloc'd, so an error or a cancel leaks nothing.
 *
 * Fortran calling convention: arguments by reference; each CHARACTER
 * argument has a hidden length, passed by value after the last argument
 * (gfortran: size_t).  We pass them: leaving them out works with most
 * builds but not with code gfortran >= 9 compiled to use them in tail
 * calls.  Integers are 32-bit (the LP64 interface of Debian's liblapack3
 * and libblas3, and of OpenBLAS's default build).
 *
 * Limits: a call cannot be cancelled (CHECK_FOR_INTERRUPTS cannot run
 * inside Fortran), so callers bound n; dsyevr on n = 1000 takes about a
 * second with the reference BLAS.  A multi-threaded BLAS (OpenBLAS) starts
 * threads inside the backend; README says how to keep it to one.
 *
 * IDENTIFICATION
 *	  src/linalg.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <float.h>
#include <limits.h>
#include <math.h>

#include "linalg.h"

/* ---- Fortran prototypes (LAPACK 3.x, BLAS level 3) ---- */

extern void dsyevr_(const char *jobz, const char *range, const char *uplo,
					const int *n, double *a, const int *lda,
					const double *vl, const double *vu,
					const int *il, const int *iu, const double *abstol,
					int *m, double *w, double *z, const int *ldz,
					int *isuppz, double *work, const int *lwork,
					int *iwork, const int *liwork, int *info,
					size_t jobz_len, size_t range_len, size_t uplo_len);

extern void dgemm_(const char *transa, const char *transb,
				   const int *m, const int *n, const int *k,
				   const double *alpha, const double *a, const int *lda,
				   const double *b, const int *ldb,
				   const double *beta, double *c, const int *ldc,
				   size_t transa_len, size_t transb_len);

/*
 * A workspace size LAPACK returned from a query, as an int: at least
 * minimum, and refused (our bug) when it does not fit.
 */
static int
workspace_size(double reported, int minimum, const char *routine)
{
	if (!(reported >= 0.0) || reported > (double) (INT_MAX / 2))
		elog(ERROR, "%s: workspace query returned %g", routine, reported);
	return Max((int) ceil(reported), minimum);
}

/*
 * sym_eigen: eigenpairs il..iu (1-based, in ascending order of the
 * eigenvalues) of the symmetric n x n matrix a (upper triangle read,
 * contents destroyed).  Writes the iu - il + 1 eigenvalues, ascending, to
 * w_asc and their eigenvectors to the columns of z (n x (iu - il + 1),
 * leading dimension n).
 */
static void
sym_eigen(int n, double *a, int il, int iu, double *w_asc, double *z)
{
	const char *jobz = "V";
	const char *range = (il == 1 && iu == n) ? "A" : "I";
	const char *uplo = "U";
	int			lda = n;
	int			ldz = n;
	int			m = 0;
	int			want = iu - il + 1;
	double		vl = 0.0;
	double		vu = 0.0;
	double		abstol = DBL_MIN;	/* DLAMCH('S'): the most accurate */
	double	   *w;
	int		   *isuppz;
	double		work_query = 0.0;
	int			iwork_query = 0;
	int			lwork = -1;
	int			liwork = -1;
	double	   *work;
	int		   *iwork;
	int			info = 0;

	/* dimensions, before anything reaches LAPACK */
	if (n < 1 || n > LINALG_MAX_DIM)
		elog(ERROR, "linalg_sym_eigen: matrix order %d out of range", n);
	if (il < 1 || iu < il || iu > n)
		elog(ERROR, "linalg_sym_eigen: eigenvalue range %d..%d out of 1..%d", il, iu, n);
	for (int j = 0; j < n; j++)
		for (int i = 0; i <= j; i++)
			if (!isfinite(a[i + (Size) j * lda]))
				elog(ERROR, "linalg_sym_eigen: matrix element (%d, %d) is not finite", i, j);

	/* W has n elements even when fewer eigenvalues are asked for */
	w = palloc(sizeof(double) * n);
	isuppz = palloc(sizeof(int) * 2 * Max(1, want));

	/* workspace query */
	dsyevr_(jobz, range, uplo, &n, a, &lda, &vl, &vu, &il, &iu, &abstol,
			&m, w, z, &ldz, isuppz, &work_query, &lwork, &iwork_query, &liwork,
			&info, 1, 1, 1);
	if (info != 0)
		elog(ERROR, "dsyevr workspace query failed: info = %d", info);
	lwork = workspace_size(work_query, Max(1, 26 * n), "dsyevr");
	liwork = Max(iwork_query, Max(1, 10 * n));
	work = palloc(sizeof(double) * lwork);
	iwork = palloc(sizeof(int) * liwork);

	dsyevr_(jobz, range, uplo, &n, a, &lda, &vl, &vu, &il, &iu, &abstol,
			&m, w, z, &ldz, isuppz, work, &lwork, iwork, &liwork,
			&info, 1, 1, 1);
	if (info < 0)
		elog(ERROR, "dsyevr: argument %d had an illegal value", -info);
	if (info > 0 || m != want)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("eigen-decomposition of a %d x %d matrix failed", n, n),
				 errdetail("LAPACK routine dsyevr returned info = %d and %d of %d eigenvalues.",
						   info, m, want)));

	memcpy(w_asc, w, sizeof(double) * want);
	pfree(work);
	pfree(iwork);
	pfree(isuppz);
	pfree(w);
}

/*
 * linalg_sym_eigen: all eigenvalues and eigenvectors of the symmetric
 * n x n matrix a (column-major, leading dimension n, upper triangle read).
 * On return w[0..n-1] holds the eigenvalues in ascending order and column
 * j of a the unit eigenvector of w[j].  Workspace is palloc'd in the
 * current memory context and freed.
 */
void
linalg_sym_eigen(int n, double *a, double *w)
{
	double	   *z;

	if (n < 1 || n > LINALG_MAX_DIM)
		elog(ERROR, "linalg_sym_eigen: matrix order %d out of range", n);
	z = palloc(sizeof(double) * (Size) n * n);
	sym_eigen(n, a, 1, n, w, z);
	memcpy(a, z, sizeof(double) * (Size) n * n);
	pfree(z);
}

/*
 * linalg_sym_eigen_top: the k largest eigenvalues of the symmetric n x n
 * matrix a (column-major, leading dimension n, upper triangle read;
 * destroyed) in descending order in w[0..k-1], and their unit
 * eigenvectors in the columns of z (n x k, leading dimension n): column j
 * belongs to w[j].  Eigenvectors of equal eigenvalues are any orthonormal
 * basis of their space; signs are LAPACK's (callers fix them).
 */
void
linalg_sym_eigen_top(int n, int k, double *a, double *w, double *z)
{
	double	   *w_asc;
	double	   *z_asc;

	if (n < 1 || n > LINALG_MAX_DIM || k < 1 || k > n)
		elog(ERROR, "linalg_sym_eigen_top: %d eigenpairs of a matrix of order %d asked for", k, n);
	w_asc = palloc(sizeof(double) * k);
	z_asc = palloc(sizeof(double) * (Size) n * k);
	sym_eigen(n, a, n - k + 1, n, w_asc, z_asc);

	/* LAPACK gives them ascending; we want the largest first */
	for (int j = 0; j < k; j++)
	{
		w[j] = w_asc[k - 1 - j];
		memcpy(z + (Size) j * n, z_asc + (Size) (k - 1 - j) * n, sizeof(double) * n);
	}
	pfree(z_asc);
	pfree(w_asc);
}

/*
 * linalg_gemm: C = alpha op(A) op(B) + beta C, with op(X) = X or its
 * transpose; op(A) is m x k, op(B) k x n, C m x n, all column-major with
 * the given leading dimensions.  When beta is 0, C need not be
 * initialised.
 */
void
linalg_gemm(bool trans_a, bool trans_b, int m, int n, int k,
			double alpha, const double *a, int lda,
			const double *b, int ldb,
			double beta, double *c, int ldc)
{
	const char *ta = trans_a ? "T" : "N";
	const char *tb = trans_b ? "T" : "N";

	/* the checks DGEMM would report through XERBLA */
	if (m < 0 || n < 0 || k < 0)
		elog(ERROR, "linalg_gemm: negative dimension (%d, %d, %d)", m, n, k);
	if (lda < Max(1, trans_a ? k : m) || ldb < Max(1, trans_b ? n : k) ||
		ldc < Max(1, m))
		elog(ERROR, "linalg_gemm: leading dimension too small (%d, %d, %d for %d x %d x %d)",
			 lda, ldb, ldc, m, n, k);
	if (m == 0 || n == 0)
		return;

	dgemm_(ta, tb, &m, &n, &k, &alpha, a, &lda, b, &ldb, &beta, c, &ldc, 1, 1);
}
