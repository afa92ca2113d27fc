/*-------------------------------------------------------------------------
 *
 * prng.h
 *	  The seeded pseudo-random number generator every part of profile uses.
 *
 * DESIGN.md: randomness comes from a seed parameter, never from random() or
 * the clock, so that the same rows and parameters give the same result.
 * This header is self-contained (stdint and math only, no PostgreSQL
 * headers) so that the extension and the retail data generator under
 * scripts/ share one generator and one stream definition.
 *
 * Generator: xoshiro256** 1.0 (Blackman & Vigna, "Scrambled linear
 * pseudorandom number generators", ACM TOMS 2021), seeded through
 * splitmix64 as its authors recommend.  Bounded integers use Lemire's
 * multiply-and-reject method ("Fast random integer generation in an
 * interval", ACM TOMACS 2019), so they are unbiased.
 *
 * Streams: prng_seed_stream(state, seed, stream) gives an independent
 * stream per (seed, stream) pair, e.g. one per customer or per restart,
 * so results do not depend on the order in which streams are consumed.
 *
 * IDENTIFICATION
 *	  src/prng.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef PROFILE_PRNG_H
#define PROFILE_PRNG_H

#include <math.h>
#include <stdint.h>

typedef struct ProfilePrng
{
	uint64_t	s[4];
} ProfilePrng;

/* splitmix64 finaliser: a strong 64-bit mix, also used to hash keys */
static inline uint64_t
prng_mix64(uint64_t z)
{
	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	return z ^ (z >> 31);
}

static inline uint64_t
prng_splitmix64(uint64_t *x)
{
	*x += UINT64_C(0x9e3779b97f4a7c15);
	return prng_mix64(*x);
}

/* Seed one stream: the state is filled from splitmix64(seed, stream) */
static inline void
prng_seed_stream(ProfilePrng *rng, uint64_t seed, uint64_t stream)
{
	uint64_t	x = prng_mix64(seed ^ prng_mix64(stream + UINT64_C(0x632be59bd9b4e019)));

	rng->s[0] = prng_splitmix64(&x);
	rng->s[1] = prng_splitmix64(&x);
	rng->s[2] = prng_splitmix64(&x);
	rng->s[3] = prng_splitmix64(&x);
	/* splitmix64 never yields four zero words in a row, but be certain */
	if ((rng->s[0] | rng->s[1] | rng->s[2] | rng->s[3]) == 0)
		rng->s[0] = 1;
}

static inline void
prng_seed(ProfilePrng *rng, uint64_t seed)
{
	prng_seed_stream(rng, seed, 0);
}

static inline uint64_t
prng_rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

/* Next 64 random bits (xoshiro256**) */
static inline uint64_t
prng_next(ProfilePrng *rng)
{
	uint64_t   *s = rng->s;
	uint64_t	result = prng_rotl(s[1] * 5, 7) * 9;
	uint64_t	t = s[1] << 17;

	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = prng_rotl(s[3], 45);
	return result;
}

/* Uniform double in [0, 1) with 53 random bits */
static inline double
prng_uniform(ProfilePrng *rng)
{
	return (double) (prng_next(rng) >> 11) * (1.0 / 9007199254740992.0);
}

/* Uniform double in (0, 1): safe to take the logarithm of */
static inline double
prng_uniform_pos(ProfilePrng *rng)
{
	return ((double) (prng_next(rng) >> 11) + 0.5) * (1.0 / 9007199254740992.0);
}

/* Unbiased integer in [0, n); n must be > 0 (Lemire 2019) */
static inline uint64_t
prng_below(ProfilePrng *rng, uint64_t n)
{
	unsigned __int128 m = (unsigned __int128) prng_next(rng) * n;
	uint64_t	low = (uint64_t) m;

	if (low < n)
	{
		uint64_t	threshold = (0 - n) % n;

		while (low < threshold)
		{
			m = (unsigned __int128) prng_next(rng) * n;
			low = (uint64_t) m;
		}
	}
	return (uint64_t) (m >> 64);
}

/* Standard normal deviate (Marsaglia polar method, one value per call) */
static inline double
prng_normal(ProfilePrng *rng)
{
	double		u,
				v,
				s;

	do
	{
		u = 2.0 * prng_uniform(rng) - 1.0;
		v = 2.0 * prng_uniform(rng) - 1.0;
		s = u * u + v * v;
	} while (s >= 1.0 || s == 0.0);
	return u * sqrt(-2.0 * log(s) / s);
}

/* Exponential deviate with the given mean */
static inline double
prng_exponential(ProfilePrng *rng, double mean)
{
	return -mean * log(prng_uniform_pos(rng));
}

/* Poisson deviate; fine for the small means the generator uses (< 50) */
static inline int
prng_poisson(ProfilePrng *rng, double mean)
{
	double		limit = exp(-mean);
	double		p = prng_uniform_pos(rng);
	int			k = 0;

	while (p > limit && k < 1000)
	{
		p *= prng_uniform_pos(rng);
		k++;
	}
	return k;
}

#endif							/* PROFILE_PRNG_H */
