/*-------------------------------------------------------------------------
 *
 * retailgen.c
 *	  Deterministic retail data generator for the profile extension.
 *
 * Writes to stdout a psql script that creates and loads four tables
 * (customers, products, orders, order_lines) in one transaction.  The data
 * contains planted structure (customer groups with known behaviour,
 * behavioural traits independent of the groups, product associations with
 * known lift, seasonality, returns, guests) that is documented in
 * docs/retail-data.md, so that tests and the demo can check that the
 * analytics find it.
 *
 * All randomness comes from src/prng.h, independent streams per customer,
 * per customer's traits, per customer order, per guest order and per
 * product, so the output is byte-identical for identical arguments.
 *
 * Build (from the repository root):
 *	  cc -O2 -Wall -Wextra -Werror -o build/retailgen scripts/retailgen.c -lm
 *
 * IDENTIFICATION
 *	  scripts/retailgen.c
 *
 *-------------------------------------------------------------------------
 */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../src/prng.h"

/* Stream tags: customers use stream = customer_id (< 2^27) */
#define STREAM_ORDER	(UINT64_C(1) << 60) /* | customer_id << 24 | ordinal */
#define STREAM_GUEST	(UINT64_C(2) << 60) /* | guest number */
#define STREAM_PRODUCT	(UINT64_C(3) << 60) /* | product_id */
#define STREAM_PERMUTE	(UINT64_C(4) << 60) /* popularity permutation */
#define STREAM_TRAIT	(UINT64_C(5) << 60) /* | customer_id */

#define MAX_CUSTOMERS	100000000L	/* customer_id must fit in 27 bits */
#define MAX_DAYS		36500L
#define MAX_PRODUCTS	10000000L
#define MAX_ORDINAL		((UINT32_C(1) << 24) - 1)
#define SECS_PER_DAY	86400
#define SIGNUP_LEAD		30		/* signup up to 30 days before first order */
#define MAX_DAY_WEIGHT	2.4		/* December (1.6) x Saturday (1.5) */
#define N_PLANTED		7		/* products 1..7 carry the associations */
#define PLANTED_RANK	50		/* their popularity = Zipf rank 50 */

/* ---------- fixed parameters of the planted structure ---------- */

enum
{
	G_CHAMPION, G_LOYAL, G_REGULAR, G_NEW, G_AT_RISK, G_CHURNED, G_ONE_TIMER,
	N_GROUPS
};

static const struct
{
	const char *name;
	int			share_permille;
	double		gap_days;		/* mean days between orders while active */
	double		spend_median;	/* median of the spend multiplier m */
	double		lines_mean;		/* regular lines = 1 + Poisson(lines_mean) */
}			groups[N_GROUPS] =
{
	{"champion", 80, 9.0, 2.0, 3.5},
	{"loyal", 170, 20.0, 1.2, 2.5},
	{"regular", 250, 45.0, 1.0, 2.5},
	{"new", 100, 15.0, 1.0, 2.5},
	{"at_risk", 80, 10.0, 2.0, 2.5},
	{"churned", 170, 30.0, 0.8, 2.5},
	{"one_timer", 150, 0.0, 1.0, 2.5},
};

static const char *const regions[5] = {"north", "south", "east", "west", "central"};

#define N_CATEGORIES 12
static const char *const categories[N_CATEGORIES] = {
	"grocery", "dairy", "bakery", "produce", "beverages", "baby",
	"beauty", "household", "electronics", "toys", "sports", "books"
};
static const double category_base[N_CATEGORIES] = {
	3.0, 2.5, 2.0, 2.0, 3.0, 12.0, 15.0, 8.0, 80.0, 25.0, 35.0, 14.0
};

static const char *const channels[3] = {"store", "web", "app"};

/*
 * Planted traits: behaviours independent of the groups, each drawn with
 * probability 0.10 per customer (guests have none) from the customer's
 * trait stream.  Bit i of Customer.traits is trait_names[i].
 */
enum
{
	T_WEEKEND, T_NIGHT, T_DISCOUNT, T_LOYALIST, T_PREMIUM,
	N_TRAITS
};

#define TRAIT(t)		(1u << (t))
#define TRAIT_P			0.10	/* chance of each trait, independently */
#define WEEKEND_MOVE	0.90	/* weekend shopper: weekday order moved to Sat/Sun */
#define NIGHT_MOVE		0.80	/* night owl: time of day redrawn at night */
#define SEEKER_RATE		0.80	/* discount seeker: share of lines discounted */
#define LOYAL_SHARE		0.85	/* loyalist: line drawn from the loyal category */
#define PREMIUM_SHARE	0.90	/* premium: line moved to the category's top tier */
#define PREMIUM_TIER	6		/* top tier: the dearest ceil(n / 6) of n products */

static const char *const trait_names[N_TRAITS] = {
	"weekend_shopper", "night_owl", "discount_seeker", "category_loyalist",
	"premium_buyer"
};

/* Night owls' hours 22, 23, 00, 01, 02, 03, 04, 05 (night = 22:00-05:59) */
static const int night_hour[8] = {22, 23, 0, 1, 2, 3, 4, 5};
static const int night_weight[8] = {30, 30, 20, 10, 4, 2, 2, 2};

/*
 * Time-of-day weights per hour 00..23: peaks at 12-13 and 19-20, almost
 * nothing at 01-06.  Integer weights so the draw is exact.
 */
static const int hour_weight[24] = {
	10, 3, 1, 1, 1, 2, 4, 15, 35, 50, 60, 75,
	110, 105, 70, 60, 65, 80, 90, 110, 100, 60, 30, 15
};

/* ---------- data ---------- */

typedef struct Line
{
	int32_t		product_id;
	int32_t		quantity;		/* negative on return lines */
	int32_t		unit_cents;
	int32_t		list_cents;
} Line;

typedef struct Order
{
	int64_t		t;				/* seconds since window start (UTC) */
	uint32_t	customer_id;	/* 0 = guest (NULL) */
	uint32_t	ordinal;		/* per-customer ordinal or guest number */
	uint8_t		kind;			/* 0 purchase, 1 return */
	uint8_t		channel;
	uint16_t	nlines;
	uint32_t	pad;
	uint64_t	line_off;
} Order;

typedef struct Customer
{
	int32_t		signup_day;		/* day index relative to window start */
	uint8_t		region;
	uint8_t		group;
	uint8_t		traits;			/* TRAIT() bits */
	uint8_t		loyal_category; /* meaningful with T_LOYALIST */
} Customer;

/* Products of one category by id, and its top price tier */
typedef struct Category
{
	int32_t    *ids;
	double	   *cum;			/* cumulative popularity over ids */
	long		n;
	int32_t    *top_ids;
	double	   *top_cum;
	long		n_top;
} Category;

static long opt_customers = 5000;
static long opt_days = 730;
static long opt_products = 500;
static uint64_t opt_seed = 42;
static int	end_y = 2026,
			end_m = 1,
			end_d = 1;
static const char *opt_schema = "public";

static double *day_weight;		/* [0, days) */
static uint8_t *weekday;		/* [0, days): 0 = Sunday .. 6 = Saturday */
static char *date_text;			/* [-SIGNUP_LEAD, days) x 10 chars */
static double *pop_cum;			/* cumulative popularity, [0, products) */
static int32_t *list_cents;		/* [1, products] */
static Category cats[N_CATEGORIES];
static int	hour_total;
static int	night_total;

static Order *orders;
static size_t n_orders,
			cap_orders;
static Line *lines;
static size_t n_lines,
			cap_lines;

/* ---------- small helpers ---------- */

static void
usage(FILE *f)
{
	fprintf(f,
			"Usage: retailgen [--customers N] [--days D] [--products P] [--seed S]\n"
			"                 [--end YYYY-MM-DD] [--schema NAME]\n"
			"Writes a psql script loading a deterministic retail data set to stdout.\n"
			"  --customers N   number of customers (default 5000, 1..%ld)\n"
			"  --days D        window length in days, ending at --end (default 730, 1..%ld)\n"
			"  --products P    number of products (default 500, 20..%ld)\n"
			"  --seed S        PRNG seed, unsigned 64-bit (default 42)\n"
			"  --end DATE      exclusive end of the window, UTC (default 2026-01-01)\n"
			"  --schema NAME   target schema, [a-z_][a-z0-9_]* (default public)\n"
			"  --help          show this help\n",
			MAX_CUSTOMERS, MAX_DAYS, MAX_PRODUCTS);
}

static void
die_usage(const char *msg, const char *arg)
{
	fprintf(stderr, "retailgen: %s%s%s\n", msg, arg ? ": " : "", arg ? arg : "");
	usage(stderr);
	exit(2);
}

static void *
xrealloc(void *p, size_t n)
{
	void	   *q = realloc(p, n ? n : 1);

	if (q == NULL)
	{
		fprintf(stderr, "retailgen: out of memory\n");
		exit(1);
	}
	return q;
}

static long
parse_long(const char *s, const char *opt, long lo, long hi)
{
	char	   *end;
	long		v;

	if (s == NULL)
		die_usage("missing value for", opt);
	if (*s < '0' || *s > '9')
		die_usage("not a positive integer", s);
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < lo || v > hi)
		die_usage("value out of range or not an integer", s);
	return v;
}

static uint64_t
parse_u64(const char *s, const char *opt)
{
	char	   *end;
	unsigned long long v;

	if (s == NULL)
		die_usage("missing value for", opt);
	if (*s < '0' || *s > '9')
		die_usage("not a non-negative integer", s);
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0 || *end != '\0')
		die_usage("not a 64-bit unsigned integer", s);
	return (uint64_t) v;
}

static int
is_leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int
days_in_month(int y, int m)
{
	static const int dm[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

	return m == 2 && is_leap(y) ? 29 : dm[m - 1];
}

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant) */
static long
days_from_civil(int y, int m, int d)
{
	long		yy = y - (m <= 2);
	long		era = (yy >= 0 ? yy : yy - 399) / 400;
	long		yoe = yy - era * 400;
	long		doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	long		doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;

	return era * 146097 + doe - 719468;
}

static void
civil_from_days(long z, int *y, int *m, int *d)
{
	long		era,
				doe,
				yoe,
				doy,
				mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = (int) (doy - (153 * mp + 2) / 5 + 1);
	*m = (int) (mp < 10 ? mp + 3 : mp - 9);
	*y = (int) (yoe + era * 400 + (*m <= 2));
}

static void
parse_date(const char *s)
{
	int			y,
				m,
				d;

	if (s == NULL)
		die_usage("missing value for", "--end");
	if (strlen(s) != 10 || s[4] != '-' || s[7] != '-')
		die_usage("date must be YYYY-MM-DD", s);
	for (int i = 0; i < 10; i++)
		if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9'))
			die_usage("date must be YYYY-MM-DD", s);
	y = atoi(s);
	m = atoi(s + 5);
	d = atoi(s + 8);
	if (y < 1900 || m < 1 || m > 12 || d < 1 || d > days_in_month(y, m))
		die_usage("invalid date (year 1900..9999)", s);
	end_y = y;
	end_m = m;
	end_d = d;
}

static int
valid_identifier(const char *s)
{
	if (!((*s >= 'a' && *s <= 'z') || *s == '_'))
		return 0;
	for (const char *p = s + 1; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_'))
			return 0;
	return strlen(s) <= 63;
}

/* ---------- output buffer ---------- */

#define OUTBUF_SIZE (1 << 20)
static char outbuf[OUTBUF_SIZE];
static size_t outlen;

static void
out_flush(void)
{
	if (outlen > 0 && fwrite(outbuf, 1, outlen, stdout) != outlen)
	{
		perror("retailgen: write");
		exit(1);
	}
	outlen = 0;
}

/* Reserve n bytes (n <= 4096) and return where to write them */
static inline char *
out_reserve(size_t n)
{
	if (outlen + n > OUTBUF_SIZE)
		out_flush();
	return outbuf + outlen;
}

static inline void
out_mem(const char *s, size_t n)
{
	if (n > 4096)
	{
		out_flush();
		if (fwrite(s, 1, n, stdout) != n)
		{
			perror("retailgen: write");
			exit(1);
		}
		return;
	}
	memcpy(out_reserve(n), s, n);
	outlen += n;
}

static inline void
out_str(const char *s)
{
	out_mem(s, strlen(s));
}

static inline void
out_char(char c)
{
	*out_reserve(1) = c;
	outlen++;
}

static inline void
out_i64(int64_t v)
{
	char		tmp[24];
	int			n = 0;
	uint64_t	u;
	char	   *p = out_reserve(24);

	if (v < 0)
	{
		*p++ = '-';
		outlen++;
		u = (uint64_t) 0 - (uint64_t) v;
	}
	else
		u = (uint64_t) v;
	do
	{
		tmp[n++] = (char) ('0' + u % 10);
		u /= 10;
	} while (u);
	while (n)
		*p++ = tmp[--n];
	outlen = (size_t) (p - outbuf);
}

/* Non-negative amount in cents as D.CC */
static inline void
out_cents(int64_t c)
{
	out_i64(c / 100);
	char	   *p = out_reserve(3);

	p[0] = '.';
	p[1] = (char) ('0' + (c % 100) / 10);
	p[2] = (char) ('0' + c % 10);
	outlen += 3;
}

static inline void
out_date(int day)
{
	out_mem(date_text + (size_t) (day + SIGNUP_LEAD) * 10, 10);
}

static inline void
out_2(char *p, int v)
{
	p[0] = (char) ('0' + v / 10);
	p[1] = (char) ('0' + v % 10);
}

/* Timestamp t seconds after window start: YYYY-MM-DD HH:MM:SS+00 */
static inline void
out_ts(int64_t t)
{
	int			day = (int) (t / SECS_PER_DAY);
	int			s = (int) (t % SECS_PER_DAY);
	char	   *p;

	out_date(day);
	p = out_reserve(12);
	p[0] = ' ';
	out_2(p + 1, s / 3600);
	p[3] = ':';
	out_2(p + 4, s / 60 % 60);
	p[6] = ':';
	out_2(p + 7, s % 60);
	p[9] = '+';
	p[10] = '0';
	p[11] = '0';
	outlen += 12;
}

static void
out_table(const char *table)
{
	out_str(opt_schema);
	out_char('.');
	out_str(table);
}

/* ---------- generation ---------- */

static Order *
new_order(void)
{
	if (n_orders == cap_orders)
	{
		cap_orders = cap_orders ? cap_orders * 2 : 65536;
		orders = xrealloc(orders, cap_orders * sizeof(Order));
	}
	memset(&orders[n_orders], 0, sizeof(Order));
	return &orders[n_orders++];
}

static Line *
new_line(void)
{
	if (n_lines == cap_lines)
	{
		cap_lines = cap_lines ? cap_lines * 2 : 262144;
		lines = xrealloc(lines, cap_lines * sizeof(Line));
	}
	return &lines[n_lines++];
}

/* Seconds into the day: hour from hour_weight, minute and second uniform */
static int64_t
draw_time_of_day(ProfilePrng *rng)
{
	int			r = (int) prng_below(rng, (uint64_t) hour_total);
	int			h = 0;

	while (r >= hour_weight[h])
		r -= hour_weight[h++];
	return (int64_t) h * 3600 + (int64_t) prng_below(rng, 3600);
}

/* A day in [lo, hi) drawn with probability proportional to day_weight */
static int
draw_weighted_day(ProfilePrng *rng, int lo, int hi)
{
	for (;;)
	{
		int			d = lo + (int) prng_below(rng, (uint64_t) (hi - lo));

		if (prng_uniform(rng) * MAX_DAY_WEIGHT < day_weight[d])
			return d;
	}
}

/* Night owl: seconds into the day, hour from night_weight */
static int64_t
draw_night_time(ProfilePrng *rng)
{
	int			r = (int) prng_below(rng, (uint64_t) night_total);
	int			i = 0;

	while (r >= night_weight[i])
		r -= night_weight[i++];
	return (int64_t) night_hour[i] * 3600 + (int64_t) prng_below(rng, 3600);
}

/* Index drawn with probability proportional to the increments of cum[0..n) */
static long
draw_cum(ProfilePrng *rng, const double *cum, long n)
{
	double		u = prng_uniform(rng) * cum[n - 1];
	long		lo = 0,
				hi = n - 1;

	while (lo < hi)
	{
		long		mid = lo + (hi - lo) / 2;

		if (cum[mid] > u)
			hi = mid;
		else
			lo = mid + 1;
	}
	return lo;
}

static int32_t
draw_product(ProfilePrng *rng)
{
	return (int32_t) (draw_cum(rng, pop_cum, opt_products) + 1);
}

/* A product of category c by popularity; top: from its top price tier */
static int32_t
draw_in_category(ProfilePrng *rng, int c, int top)
{
	const Category *k = &cats[c];

	if (top)
		return k->top_ids[draw_cum(rng, k->top_cum, k->n_top)];
	return k->ids[draw_cum(rng, k->cum, k->n)];
}

static inline int
category_of(int32_t product)
{
	return (int) ((product - 1) % N_CATEGORIES);
}

static int
basket_has(const Line *first, int n, int32_t product)
{
	for (int i = 0; i < n; i++)
		if (first[i].product_id == product)
			return 1;
	return 0;
}

static void
basket_add(Order *o, int32_t product)
{
	Line	   *l = new_line();

	l->product_id = product;
	l->quantity = 0;
	l->unit_cents = l->list_cents = list_cents[product];
	o->nlines++;
}

static void
add_planted(ProfilePrng *rng, Order *o, double p, int first, int count)
{
	if (prng_uniform(rng) < p)
		for (int id = first; id < first + count; id++)
			if (!basket_has(&lines[o->line_off], o->nlines, id))
				basket_add(o, id);
}

/*
 * Fill order o (whose t and identity are set) from its own stream: channel,
 * regular lines, planted associations, quantities and discounts.  The
 * customer's traits (0 for guests) steer the products and discounts; a
 * customer without traits makes exactly the draws it made before traits.
 */
static void
gen_basket(ProfilePrng *rng, Order *o, double m, double lines_mean,
		   unsigned traits, int loyal_category)
{
	int			u = (int) prng_below(rng, 10);
	int			nreg;
	double		qmean;

	o->channel = (uint8_t) (u < 6 ? 0 : u < 9 ? 1 : 2);
	o->line_off = n_lines;
	o->nlines = 0;

	nreg = 1 + prng_poisson(rng, lines_mean);
	if (nreg > opt_products / 2)
		nreg = (int) (opt_products / 2);
	while (o->nlines < nreg)
	{
		int32_t		p;

		if ((traits & TRAIT(T_LOYALIST)) && prng_uniform(rng) < LOYAL_SHARE)
			p = draw_in_category(rng, loyal_category, 0);
		else
			p = draw_product(rng);
		if ((traits & TRAIT(T_PREMIUM)) && prng_uniform(rng) < PREMIUM_SHARE)
			p = draw_in_category(rng, category_of(p), 1);

		if (!basket_has(&lines[o->line_off], o->nlines, p))
			basket_add(o, p);
	}
	add_planted(rng, o, 0.06, 1, 2);	/* pair A {1,2} */
	add_planted(rng, o, 0.03, 3, 2);	/* pair B {3,4} */
	add_planted(rng, o, 0.02, 5, 3);	/* triple T {5,6,7} */

	qmean = 0.3 + 0.7 * fmax(0.0, m - 1.0);
	if (qmean > 45.0)
		qmean = 45.0;			/* prng_poisson is meant for means < 50 */
	for (int i = 0; i < o->nlines; i++)
	{
		Line	   *l = &lines[o->line_off + i];
		int			q = 1 + prng_poisson(rng, qmean);

		l->quantity = q > 50 ? 50 : q;
		if (traits & TRAIT(T_DISCOUNT))
		{
			/* discount seeker: 20% or 30% off on most lines */
			if (prng_uniform(rng) < SEEKER_RATE)
			{
				int			pct = 10 * (2 + (int) prng_below(rng, 2));

				l->unit_cents = (int32_t) (((int64_t) l->list_cents * (100 - pct) + 50) / 100);
			}
		}
		else if (prng_uniform(rng) < 0.15)
		{
			int			pct = 10 * (1 + (int) prng_below(rng, 3));

			l->unit_cents = (int32_t) (((int64_t) l->list_cents * (100 - pct) + 50) / 100);
		}
	}
}

static void
setup_calendar(long start_epoch_day)
{
	day_weight = xrealloc(NULL, (size_t) opt_days * sizeof(double));
	weekday = xrealloc(NULL, (size_t) opt_days);
	date_text = xrealloc(NULL, (size_t) (opt_days + SIGNUP_LEAD) * 10 + 1);
	for (long i = -SIGNUP_LEAD; i < opt_days; i++)
	{
		long		z = start_epoch_day + i;
		int			y,
					m,
					d;

		civil_from_days(z, &y, &m, &d);
		snprintf(date_text + (size_t) (i + SIGNUP_LEAD) * 10, 11, "%04d-%02d-%02d", y, m, d);
		if (i >= 0)
		{
			/* 1970-01-01 was a Thursday; 0 = Sunday .. 6 = Saturday */
			int			wd = (int) (((z % 7) + 7 + 4) % 7);
			double		mw = m == 12 ? 1.6 : m == 11 ? 1.2 : m == 1 ? 0.8 : 1.0;
			double		ww = wd == 6 ? 1.5 : wd == 0 ? 1.3 : 1.0;

			day_weight[i] = mw * ww;
			weekday[i] = (uint8_t) wd;
		}
	}
	for (int h = 0; h < 24; h++)
		hour_total += hour_weight[h];
	for (int i = 0; i < 8; i++)
		night_total += night_weight[i];
}

/* Dearer first, then by id */
static int
price_desc_cmp(const void *a, const void *b)
{
	int32_t		x = *(const int32_t *) a;
	int32_t		y = *(const int32_t *) b;

	if (list_cents[x] != list_cents[y])
		return list_cents[x] > list_cents[y] ? -1 : 1;
	return x < y ? -1 : x > y;
}

static int
id_cmp(const void *a, const void *b)
{
	int32_t		x = *(const int32_t *) a;
	int32_t		y = *(const int32_t *) b;

	return x < y ? -1 : x > y;
}

/*
 * Per category: its products in id order with their cumulative popularity,
 * and its top price tier in id order with their cumulative popularity.  The
 * tier is the ceil(m / PREMIUM_TIER) dearest by list price (ties by id) of
 * the category's m products other than the planted 1..N_PLANTED, so that
 * premium buyers do not shift the planted associations (m >= 1 since
 * P >= 20).
 */
static void
setup_categories(const double *pop)
{
	for (int c = 0; c < N_CATEGORIES; c++)
	{
		Category   *k = &cats[c];
		int32_t    *by_price;
		long		m;

		k->n = (opt_products - c + N_CATEGORIES - 1) / N_CATEGORIES;
		k->ids = xrealloc(NULL, (size_t) k->n * sizeof(int32_t));
		k->cum = xrealloc(NULL, (size_t) k->n * sizeof(double));
		for (long j = 0; j < k->n; j++)
		{
			k->ids[j] = (int32_t) (c + 1 + j * N_CATEGORIES);
			k->cum[j] = (j ? k->cum[j - 1] : 0.0) + pop[k->ids[j] - 1];
		}
		by_price = xrealloc(NULL, (size_t) k->n * sizeof(int32_t));
		m = 0;
		for (long j = 0; j < k->n; j++)
			if (k->ids[j] > N_PLANTED)
				by_price[m++] = k->ids[j];
		qsort(by_price, (size_t) m, sizeof(int32_t), price_desc_cmp);
		k->n_top = (m + PREMIUM_TIER - 1) / PREMIUM_TIER;
		qsort(by_price, (size_t) k->n_top, sizeof(int32_t), id_cmp);
		k->top_ids = by_price;
		k->top_cum = xrealloc(NULL, (size_t) k->n_top * sizeof(double));
		for (long j = 0; j < k->n_top; j++)
			k->top_cum[j] = (j ? k->top_cum[j - 1] : 0.0) + pop[k->top_ids[j] - 1];
	}
}

static void
setup_products(void)
{
	long		P = opt_products;
	long		nz = P - N_PLANTED;
	int32_t    *perm = xrealloc(NULL, (size_t) nz * sizeof(int32_t));
	double	   *pop = xrealloc(NULL, (size_t) P * sizeof(double));
	ProfilePrng rng;

	list_cents = xrealloc(NULL, (size_t) (P + 1) * sizeof(int32_t));
	pop_cum = xrealloc(NULL, (size_t) P * sizeof(double));
	list_cents[0] = 0;
	for (long id = 1; id <= P; id++)
	{
		double		price;
		int64_t		c;

		prng_seed_stream(&rng, opt_seed, STREAM_PRODUCT | (uint64_t) id);
		price = category_base[(id - 1) % N_CATEGORIES] * exp(0.5 * prng_normal(&rng));
		c = (int64_t) llround(price * 100.0);
		if (c < 50)
			c = 50;
		if (c > 99999999)
			c = 99999999;		/* numeric(10,2) */
		list_cents[id] = (int32_t) c;
	}

	/* Zipf(1) over a seeded permutation of products 8..P */
	for (long i = 0; i < nz; i++)
		perm[i] = (int32_t) (N_PLANTED + 1 + i);
	prng_seed_stream(&rng, opt_seed, STREAM_PERMUTE);
	for (long i = nz - 1; i > 0; i--)
	{
		long		j = (long) prng_below(&rng, (uint64_t) i + 1);
		int32_t		t = perm[i];

		perm[i] = perm[j];
		perm[j] = t;
	}
	for (long id = 1; id <= N_PLANTED; id++)
		pop[id - 1] = 1.0 / PLANTED_RANK;
	for (long r = 1; r <= nz; r++)
		pop[perm[r - 1] - 1] = 1.0 / (double) r;
	for (long i = 0; i < P; i++)
		pop_cum[i] = (i ? pop_cum[i - 1] : 0.0) + pop[i];
	setup_categories(pop);
	free(perm);
	free(pop);
}

static int
clampi(long v, long lo, long hi)
{
	return (int) (v < lo ? lo : v > hi ? hi : v);
}

/*
 * Weekend shopper: a weekday d is moved, with probability WEEKEND_MOVE, to
 * the Saturday or the Sunday within 3 days of it (Saturday with chance
 * 1.5/2.8, the ratio of their day weights), or to the other one when the
 * first is outside [lo, hi); it stays when both are.  Weekend days stay.
 */
static int
weekend_shift(ProfilePrng *rng, int d, int lo, int hi)
{
	int			wd = weekday[d];
	int			sat,
				sun,
				first,
				second;

	if (wd == 0 || wd == 6 || prng_uniform(rng) >= WEEKEND_MOVE)
		return d;
	sat = wd >= 3 ? d + 6 - wd : d - wd - 1;
	sun = wd >= 4 ? d + 7 - wd : d - wd;
	if (prng_uniform(rng) * 2.8 < 1.5)
		first = sat, second = sun;
	else
		first = sun, second = sat;
	if (first >= lo && first < hi)
		return first;
	if (second >= lo && second < hi)
		return second;
	return d;
}

/*
 * One customer: group, region, spend multiplier and order times from the
 * customer's stream; traits, the loyal category and the traits' moves of
 * order times from the customer's trait stream; each order's contents from
 * its own order stream.  Returns the number of purchase orders.
 */
static long
gen_customer(uint32_t cid, Customer *cust)
{
	ProfilePrng rng;
	ProfilePrng trng;
	unsigned	traits = 0;
	int			D = (int) opt_days;
	int			one_hi = clampi((long) floor(0.8 * D), 1, D);
	int			g,
				active_lo = 0,
				active_hi = D,	/* process runs on days [lo, hi) */
				stop_day = -1,	/* at_risk/churned: day of the last order */
				first_day = INT_MAX,
				r;
	double		m,
				pgap;
	int64_t		limit;			/* no order (incl. returns) at or after */
	size_t		first_order = n_orders;
	uint32_t	norders;

	prng_seed_stream(&trng, opt_seed, STREAM_TRAIT | cid);
	for (int t = 0; t < N_TRAITS; t++)
		if (prng_uniform(&trng) < TRAIT_P)
			traits |= TRAIT(t);
	cust->traits = (uint8_t) traits;
	cust->loyal_category = (uint8_t) prng_below(&trng, N_CATEGORIES);

	prng_seed_stream(&rng, opt_seed, cid);
	r = (int) prng_below(&rng, 1000);
	for (g = 0; r >= groups[g].share_permille; g++)
		r -= groups[g].share_permille;
	cust->group = (uint8_t) g;
	cust->region = (uint8_t) prng_below(&rng, 5);
	m = groups[g].spend_median * exp(0.8 * prng_normal(&rng));

	switch (g)
	{
		case G_NEW:
			active_lo = D > 60 ? D - 60 : 0;
			break;
		case G_AT_RISK:
			{
				int			lo = clampi(D - 180, 0, D - 1);
				int			hi = clampi(D - 90, lo + 1, D);

				stop_day = lo + (int) prng_below(&rng, (uint64_t) (hi - lo));
				if (traits & TRAIT(T_WEEKEND))
					stop_day = weekend_shift(&trng, stop_day, lo, hi);
				active_hi = stop_day;
			}
			break;
		case G_CHURNED:
			{
				int			lo = clampi((long) floor(0.15 * D), 0, D - 1);
				int			hi = clampi((long) floor(0.45 * D), lo + 1, D);

				stop_day = lo + (int) prng_below(&rng, (uint64_t) (hi - lo));
				if (traits & TRAIT(T_WEEKEND))
					stop_day = weekend_shift(&trng, stop_day, lo, hi);
				active_hi = stop_day;
			}
			break;
		default:
			break;
	}
	limit = (int64_t) (stop_day >= 0 ? stop_day + 1 : D) * SECS_PER_DAY;

	/* Order times (stored in the order array; contents filled below) */
	if (g == G_ONE_TIMER)
	{
		int			d = draw_weighted_day(&rng, 0, one_hi);

		new_order()->t = (int64_t) d * SECS_PER_DAY + draw_time_of_day(&rng);
	}
	else
	{
		/* Thinned Poisson process: proposals at rate MAX/gap, random phase */
		pgap = groups[g].gap_days / MAX_DAY_WEIGHT;
		for (double t = active_lo + prng_uniform(&rng) * pgap;
			 t < active_hi && n_orders - first_order < MAX_ORDINAL - 1;
			 t += prng_exponential(&rng, pgap))
		{
			int			d = (int) t;

			if (prng_uniform(&rng) * MAX_DAY_WEIGHT < day_weight[d])
				new_order()->t = (int64_t) d * SECS_PER_DAY + draw_time_of_day(&rng);
		}
		if (stop_day >= 0)		/* lapsing: the last visit is the stop day */
			new_order()->t = (int64_t) stop_day * SECS_PER_DAY + draw_time_of_day(&rng);
		else if (n_orders == first_order)	/* at least one order */
		{
			int			d = draw_weighted_day(&rng, active_lo, active_hi);

			new_order()->t = (int64_t) d * SECS_PER_DAY + draw_time_of_day(&rng);
		}
	}
	norders = (uint32_t) (n_orders - first_order);

	/*
	 * Traits that move order times.  Weekend shoppers' days stay in the
	 * active period ([0, one_hi) for one-timers); the stop-day order of a
	 * lapsing customer keeps its day (the stop day itself was moved above).
	 * Night owls keep the day and get a night time.
	 */
	if (traits & (TRAIT(T_WEEKEND) | TRAIT(T_NIGHT)))
	{
		int			lo = g == G_ONE_TIMER ? 0 : active_lo;
		int			hi = g == G_ONE_TIMER ? one_hi : active_hi;

		for (uint32_t k = 0; k < norders; k++)
		{
			Order	   *o = &orders[first_order + k];
			int			d = (int) (o->t / SECS_PER_DAY);
			int64_t		tod = o->t % SECS_PER_DAY;

			if ((traits & TRAIT(T_WEEKEND)) && !(stop_day >= 0 && k == norders - 1))
				d = weekend_shift(&trng, d, lo, hi);
			if ((traits & TRAIT(T_NIGHT)) && prng_uniform(&trng) < NIGHT_MOVE)
				tod = draw_night_time(&trng);
			o->t = (int64_t) d * SECS_PER_DAY + tod;
		}
	}

	for (uint32_t k = 0; k < norders; k++)
	{
		int			d = (int) (orders[first_order + k].t / SECS_PER_DAY);

		if (d < first_day)
			first_day = d;
	}
	cust->signup_day = first_day - (int) prng_below(&rng, SIGNUP_LEAD + 1);

	/* Contents and returns, each order from its own stream */
	for (uint32_t k = 0; k < norders; k++)
	{
		ProfilePrng orng;
		Order	   *o = &orders[first_order + k];
		int			has_return;
		uint32_t	ret_idx;
		int64_t		ret_t;
		Line	   *src;
		Line	   *dst;
		int			units;

		prng_seed_stream(&orng, opt_seed,
						 STREAM_ORDER | ((uint64_t) cid << 24) | k);
		o->customer_id = cid;
		o->ordinal = k;
		o->kind = 0;
		gen_basket(&orng, o, m, groups[g].lines_mean, traits, cust->loyal_category);

		/* 4% of orders: one line returned 1..30 days later */
		has_return = prng_uniform(&orng) < 0.04;
		ret_idx = (uint32_t) prng_below(&orng, o->nlines);
		ret_t = o->t + SECS_PER_DAY + (int64_t) prng_below(&orng, 29 * SECS_PER_DAY + 1);
		src = &lines[o->line_off + ret_idx];
		units = 1 + (int) prng_below(&orng, (uint64_t) src->quantity);
		if (!has_return || ret_t >= limit || g == G_ONE_TIMER)
			continue;

		{
			Order		ro = *o;	/* o may move when orders grows */
			Line		sl = *src;
			Order	   *rp = new_order();

			rp->t = ret_t;
			rp->customer_id = cid;
			rp->ordinal = ro.ordinal;
			rp->kind = 1;
			rp->channel = ro.channel;
			rp->line_off = n_lines;
			rp->nlines = 1;
			dst = new_line();
			*dst = sl;
			dst->quantity = -units;
		}
	}
	return (long) norders;
}

static void
gen_guest(uint32_t gno)
{
	ProfilePrng rng;
	Order	   *o = new_order();
	int			d;

	prng_seed_stream(&rng, opt_seed, STREAM_GUEST | gno);
	d = draw_weighted_day(&rng, 0, (int) opt_days);
	o->t = (int64_t) d * SECS_PER_DAY + draw_time_of_day(&rng);
	o->customer_id = 0;
	o->ordinal = gno;
	o->kind = 0;
	gen_basket(&rng, o, 1.0, groups[G_REGULAR].lines_mean, 0, 0);
}

static int
order_cmp(const void *a, const void *b)
{
	const Order *x = a;
	const Order *y = b;

	if (x->t != y->t)
		return x->t < y->t ? -1 : 1;
	if (x->customer_id != y->customer_id)
		return x->customer_id < y->customer_id ? -1 : 1;
	if (x->kind != y->kind)
		return x->kind < y->kind ? -1 : 1;
	if (x->ordinal != y->ordinal)
		return x->ordinal < y->ordinal ? -1 : 1;
	return 0;
}

/* ---------- main ---------- */

int
main(int argc, char **argv)
{
	long		end_epoch_day;
	Customer   *cust;
	long		purchase_orders = 0;
	long		n_guests;

	for (int i = 1; i < argc; i++)
	{
		const char *a = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0)
		{
			usage(stdout);
			return 0;
		}
		else if (strcmp(a, "--customers") == 0)
			opt_customers = parse_long(v, a, 1, MAX_CUSTOMERS), i++;
		else if (strcmp(a, "--days") == 0)
			opt_days = parse_long(v, a, 1, MAX_DAYS), i++;
		else if (strcmp(a, "--products") == 0)
			opt_products = parse_long(v, a, 20, MAX_PRODUCTS), i++;
		else if (strcmp(a, "--seed") == 0)
			opt_seed = parse_u64(v, a), i++;
		else if (strcmp(a, "--end") == 0)
			parse_date(v), i++;
		else if (strcmp(a, "--schema") == 0)
		{
			if (v == NULL)
				die_usage("missing value for", a);
			if (!valid_identifier(v))
				die_usage("schema must match [a-z_][a-z0-9_]* (max 63 chars)", v);
			opt_schema = v;
			i++;
		}
		else
			die_usage("unknown argument", a);
	}

	end_epoch_day = days_from_civil(end_y, end_m, end_d);
	setup_calendar(end_epoch_day - opt_days);
	setup_products();

	/* Customers and their orders (including returns) */
	cust = xrealloc(NULL, (size_t) (opt_customers + 1) * sizeof(Customer));
	for (long c = 1; c <= opt_customers; c++)
		purchase_orders += gen_customer((uint32_t) c, &cust[c]);

	/* Guests: 3% of the customers' purchase orders */
	n_guests = (long) floor(0.03 * (double) purchase_orders + 0.5);
	for (long gno = 1; gno <= n_guests; gno++)
		gen_guest((uint32_t) gno);

	/* Chronological order ids */
	qsort(orders, n_orders, sizeof(Order), order_cmp);

	/* ---- the script ---- */
	setvbuf(stdout, NULL, _IOFBF, OUTBUF_SIZE);
	out_str("-- generated by scripts/retailgen");
	{
		char		hdr[256];

		snprintf(hdr, sizeof(hdr),
				 " --customers %ld --days %ld --products %ld --seed %llu"
				 " --end %04d-%02d-%02d --schema %s\n",
				 opt_customers, opt_days, opt_products,
				 (unsigned long long) opt_seed, end_y, end_m, end_d, opt_schema);
		out_str(hdr);
	}
	out_str("\\set ON_ERROR_STOP on\nBEGIN;\n");
	if (strcmp(opt_schema, "public") != 0)
	{
		out_str("CREATE SCHEMA IF NOT EXISTS ");
		out_str(opt_schema);
		out_str(";\n");
	}
	out_str("DROP TABLE IF EXISTS ");
	out_table("order_lines");
	out_str(", ");
	out_table("orders");
	out_str(", ");
	out_table("products");
	out_str(", ");
	out_table("customers");
	out_str(";\nCREATE TABLE ");
	out_table("customers");
	out_str(" (customer_id bigint NOT NULL, signup_date date NOT NULL, region text NOT NULL, planted_group text NOT NULL, planted_traits text[] NOT NULL, loyal_category text);\nCREATE TABLE ");
	out_table("products");
	out_str(" (product_id integer NOT NULL, name text NOT NULL, category text NOT NULL, list_price numeric(10,2) NOT NULL);\nCREATE TABLE ");
	out_table("orders");
	out_str(" (order_id bigint NOT NULL, customer_id bigint, ordered_at timestamptz NOT NULL, channel text NOT NULL);\nCREATE TABLE ");
	out_table("order_lines");
	out_str(" (order_id bigint NOT NULL, line_no integer NOT NULL, product_id integer NOT NULL, quantity integer NOT NULL, unit_price numeric(10,2) NOT NULL, list_price numeric(10,2) NOT NULL);\n");

	out_str("COPY ");
	out_table("customers");
	out_str(" FROM stdin;\n");
	for (long c = 1; c <= opt_customers; c++)
	{
		out_i64(c);
		out_char('\t');
		out_date(cust[c].signup_day);
		out_char('\t');
		out_str(regions[cust[c].region]);
		out_char('\t');
		out_str(groups[cust[c].group].name);
		out_str("\t{");
		for (int t = 0, n = 0; t < N_TRAITS; t++)
			if (cust[c].traits & TRAIT(t))
			{
				if (n++)
					out_char(',');
				out_str(trait_names[t]);
			}
		out_str("}\t");
		if (cust[c].traits & TRAIT(T_LOYALIST))
			out_str(categories[cust[c].loyal_category]);
		else
			out_mem("\\N", 2);
		out_char('\n');
	}
	out_str("\\.\n");

	out_str("COPY ");
	out_table("products");
	out_str(" FROM stdin;\n");
	for (long p = 1; p <= opt_products; p++)
	{
		const char *cat = categories[(p - 1) % N_CATEGORIES];

		out_i64(p);
		out_char('\t');
		out_str(cat);
		out_str(" item ");
		out_i64(p);
		out_char('\t');
		out_str(cat);
		out_char('\t');
		out_cents(list_cents[p]);
		out_char('\n');
	}
	out_str("\\.\n");

	out_str("COPY ");
	out_table("orders");
	out_str(" FROM stdin;\n");
	for (size_t i = 0; i < n_orders; i++)
	{
		const Order *o = &orders[i];

		out_i64((int64_t) i + 1);
		out_char('\t');
		if (o->customer_id)
			out_i64(o->customer_id);
		else
			out_mem("\\N", 2);
		out_char('\t');
		out_ts(o->t);
		out_char('\t');
		out_str(channels[o->channel]);
		out_char('\n');
	}
	out_str("\\.\n");

	out_str("COPY ");
	out_table("order_lines");
	out_str(" FROM stdin;\n");
	for (size_t i = 0; i < n_orders; i++)
	{
		const Order *o = &orders[i];

		for (int j = 0; j < o->nlines; j++)
		{
			const Line *l = &lines[o->line_off + j];

			out_i64((int64_t) i + 1);
			out_char('\t');
			out_i64(j + 1);
			out_char('\t');
			out_i64(l->product_id);
			out_char('\t');
			out_i64(l->quantity);
			out_char('\t');
			out_cents(l->unit_cents);
			out_char('\t');
			out_cents(l->list_cents);
			out_char('\n');
		}
	}
	out_str("\\.\n");

	out_str("ALTER TABLE ");
	out_table("customers");
	out_str(" ADD PRIMARY KEY (customer_id);\nALTER TABLE ");
	out_table("products");
	out_str(" ADD PRIMARY KEY (product_id);\nALTER TABLE ");
	out_table("orders");
	out_str(" ADD PRIMARY KEY (order_id);\nALTER TABLE ");
	out_table("order_lines");
	out_str(" ADD PRIMARY KEY (order_id, line_no);\nCREATE INDEX ON ");
	out_table("orders");
	out_str(" (customer_id);\nCREATE INDEX ON ");
	out_table("order_lines");
	out_str(" (product_id);\nCOMMIT;\n");
	{
		static const char *const t[4] = {"customers", "products", "orders", "order_lines"};

		for (int i = 0; i < 4; i++)
		{
			out_str("ANALYZE ");
			out_table(t[i]);
			out_str(";\n");
		}
	}
	out_flush();
	if (fflush(stdout) != 0 || ferror(stdout))
	{
		perror("retailgen: write");
		return 1;
	}
	free(cust);
	free(orders);
	free(lines);
	return 0;
}
