/*
 * bench/kmeans_floor.c: the floor for one Lloyd iteration, for bench/kmeans.sh.
 *
 * Reads a matrix of n points x d features from standard input as
 * PostgreSQL's binary COPY of one float8[] column, e.g.
 *
 *   psql -c "COPY (SELECT features FROM pts) TO STDOUT (FORMAT binary)" |
 *       kmeans_floor --k 8 --init '{{...},...}' --reps 5 --iter 20
 *
 * then times one Lloyd iteration from the given k x d initial centroids,
 * --reps times (every repetition starts from the same centroids), with
 * clock_gettime(CLOCK_MONOTONIC): one plain pass over the points that
 * finds each point's nearest centroid (squared Euclidean distance, ties to
 * the lower cluster) and adds it to its cluster's sums and count, then the
 * k means.  That is the least work one iteration can do; no labels are
 * kept, nothing is vectorised by hand, d is a run-time value.
 *
 * It also runs --iter iterations from the same centroids and a last
 * assignment pass, for the benchmark's cross-check of the inertia (a
 * cluster that empties keeps its centroid; it says so: scikit-learn and
 * profile would reseed it, so the inertias could then differ).
 *
 * Output, one line, space-separated:
 *   n d median_ms min_ms max_ms inertia_after_iter counts_after_one_iteration...
 *
 * Build: cc -O2 -o kmeans_floor bench/kmeans_floor.c
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static void
die(const char *msg)
{
	fprintf(stderr, "kmeans_floor: %s\n", msg);
	exit(1);
}

/* ---- reading binary COPY ---- */

static void
read_exact(void *buf, size_t len)
{
	if (len > 0 && fread(buf, 1, len, stdin) != len)
		die("unexpected end of input");
}

static uint32_t
read_u32(void)
{
	unsigned char b[4];

	read_exact(b, 4);
	return ((uint32_t) b[0] << 24) | ((uint32_t) b[1] << 16) | ((uint32_t) b[2] << 8) | b[3];
}

static int16_t
read_i16(void)
{
	unsigned char b[2];

	read_exact(b, 2);
	return (int16_t) (((uint16_t) b[0] << 8) | b[1]);
}

static double
read_f64(void)
{
	unsigned char b[8];
	uint64_t	bits = 0;
	double		v;

	read_exact(b, 8);
	for (int i = 0; i < 8; i++)
		bits = (bits << 8) | b[i];
	memcpy(&v, &bits, sizeof(v));
	return v;
}

/* All rows; *d_out is the length of the first array, every row must match */
static double *
read_matrix(long *n_out, int *d_out)
{
	static const char signature[11] = "PGCOPY\n\377\r\n";
	char		header[11];
	uint32_t	ext;
	double	   *points = NULL;
	long		n = 0,
				capacity = 0;
	int			d = 0;

	read_exact(header, 11);
	if (memcmp(header, signature, 11) != 0)
		die("input is not PostgreSQL binary COPY");
	(void) read_u32();			/* flags */
	ext = read_u32();
	for (uint32_t i = 0; i < ext; i++)
		(void) getchar();

	for (;;)
	{
		int16_t		fields = read_i16();
		int32_t		len;
		int32_t		ndim;
		int32_t		length;

		if (fields == -1)
			break;
		if (fields != 1)
			die("expected one column (features float8[])");
		len = (int32_t) read_u32();
		if (len < 0)
			die("NULL features");
		ndim = (int32_t) read_u32();
		(void) read_u32();		/* has nulls */
		if (read_u32() != 701)
			die("features must be float8[]");
		if (ndim != 1)
			die("features must be a 1-D array");
		length = (int32_t) read_u32();
		(void) read_u32();		/* lower bound */
		if (d == 0)
		{
			if (length < 1)
				die("empty features");
			d = length;
		}
		if (length != d)
			die("rows of different lengths");
		if (n == capacity)
		{
			capacity = capacity ? capacity * 2 : 65536;
			points = realloc(points, sizeof(double) * (size_t) capacity * d);
			if (!points)
				die("out of memory");
		}
		for (int j = 0; j < d; j++)
		{
			if ((int32_t) read_u32() != 8)
				die("NULL or odd element");
			points[n * d + j] = read_f64();
		}
		n++;
	}
	*n_out = n;
	*d_out = d;
	return points;
}

/* '{{1,2},{3,4}}' -> k*d doubles */
static double *
parse_init(const char *text, int k, int d)
{
	double	   *init = malloc(sizeof(double) * (size_t) k * d);
	const char *p = text;
	int			count = 0;

	if (!init)
		die("out of memory");
	while (*p)
	{
		char	   *end;
		double		v;

		if (*p == '{' || *p == '}' || *p == ',' || *p == ' ')
		{
			p++;
			continue;
		}
		errno = 0;
		v = strtod(p, &end);
		if (end == p || errno != 0)
			die("bad --init");
		if (count >= k * d)
			die("--init has more than k x d values");
		init[count++] = v;
		p = end;
	}
	if (count != k * d)
		die("--init must have k x d values");
	return init;
}

/* ---- one Lloyd iteration ---- */

static inline int
nearest(const double *x, const double *centroids, int k, int d, double *best_sq)
{
	int			best = 0;
	double		best_dist = 0.0;

	for (int c = 0; c < k; c++)
	{
		const double *m = centroids + (size_t) c * d;
		double		dist = 0.0;

		for (int j = 0; j < d; j++)
		{
			double		diff = x[j] - m[j];

			dist += diff * diff;
		}
		if (c == 0 || dist < best_dist)
		{
			best_dist = dist;
			best = c;
		}
	}
	*best_sq = best_dist;
	return best;
}

/*
 * Assign every point, accumulate, move the centroids to the means (in
 * place); returns the inertia before the move.  Returns the number of
 * clusters left empty in *empty.
 */
static double
lloyd_iteration(const double *points, long n, int d, int k, double *centroids,
				double *sums, long *counts, int *empty)
{
	double		inertia = 0.0;

	memset(sums, 0, sizeof(double) * (size_t) k * d);
	memset(counts, 0, sizeof(long) * (size_t) k);
	for (long i = 0; i < n; i++)
	{
		const double *x = points + (size_t) i * d;
		double		dist;
		int			c = nearest(x, centroids, k, d, &dist);
		double	   *sum = sums + (size_t) c * d;

		for (int j = 0; j < d; j++)
			sum[j] += x[j];
		counts[c]++;
		inertia += dist;
	}
	*empty = 0;
	for (int c = 0; c < k; c++)
	{
		if (counts[c] == 0)
		{
			(*empty)++;
			continue;
		}
		for (int j = 0; j < d; j++)
			centroids[(size_t) c * d + j] = sums[(size_t) c * d + j] / (double) counts[c];
	}
	return inertia;
}

static double
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000.0 + ts.tv_nsec / 1e6;
}

static int
compare_double(const void *a, const void *b)
{
	double		x = *(const double *) a;
	double		y = *(const double *) b;

	return (x > y) - (x < y);
}

int
main(int argc, char **argv)
{
	int			k = 0,
				reps = 5,
				iter = 20,
				d,
				empty,
				emptied = 0;
	const char *init_text = NULL;
	long		n;
	double	   *points,
			   *init,
			   *centroids,
			   *sums,
			   *times;
	long	   *counts,
			   *first_counts;
	double		inertia = 0.0,
				sink = 0.0;

	for (int i = 1; i < argc; i++)
	{
		if (i + 1 < argc && strcmp(argv[i], "--k") == 0)
			k = atoi(argv[++i]);
		else if (i + 1 < argc && strcmp(argv[i], "--init") == 0)
			init_text = argv[++i];
		else if (i + 1 < argc && strcmp(argv[i], "--reps") == 0)
			reps = atoi(argv[++i]);
		else if (i + 1 < argc && strcmp(argv[i], "--iter") == 0)
			iter = atoi(argv[++i]);
		else
			die("usage: kmeans_floor --k K --init '{{...}}' [--reps R] [--iter N] < binary COPY");
	}
	if (k < 1 || reps < 1 || iter < 1 || !init_text)
		die("--k, --init, --reps and --iter must be given and positive");

	points = read_matrix(&n, &d);
	if (n < k)
		die("fewer points than clusters");
	init = parse_init(init_text, k, d);
	centroids = malloc(sizeof(double) * (size_t) k * d);
	sums = malloc(sizeof(double) * (size_t) k * d);
	counts = malloc(sizeof(long) * (size_t) k);
	first_counts = malloc(sizeof(long) * (size_t) k);
	times = malloc(sizeof(double) * (size_t) reps);
	if (!centroids || !sums || !counts || !first_counts || !times)
		die("out of memory");

	/* timed: one iteration from the initial centroids, reps times */
	for (int r = 0; r < reps; r++)
	{
		double		start;

		memcpy(centroids, init, sizeof(double) * (size_t) k * d);
		start = now_ms();
		sink += lloyd_iteration(points, n, d, k, centroids, sums, counts, &empty);
		times[r] = now_ms() - start;
		sink += centroids[0];
	}
	memcpy(first_counts, counts, sizeof(long) * (size_t) k);
	qsort(times, reps, sizeof(double), compare_double);

	/* untimed: iter iterations and a last assignment, for the inertia */
	memcpy(centroids, init, sizeof(double) * (size_t) k * d);
	for (int t = 0; t < iter; t++)
	{
		(void) lloyd_iteration(points, n, d, k, centroids, sums, counts, &empty);
		emptied += empty;
	}
	inertia = lloyd_iteration(points, n, d, k, centroids, sums, counts, &empty);
	if (emptied > 0)
		fprintf(stderr, "kmeans_floor: a cluster emptied (%d times); it kept its centroid\n", emptied);

	printf("%ld %d %.3f %.3f %.3f %.17g", n, d,
		   (reps % 2) ? times[reps / 2] : (times[reps / 2 - 1] + times[reps / 2]) / 2,
		   times[0], times[reps - 1], inertia);
	for (int c = 0; c < k; c++)
		printf(" %ld", first_counts[c]);
	printf("\n");
	/* keep the timed work observable */
	if (sink == 42.4242)
		fprintf(stderr, "%g\n", sink);
	return 0;
}
