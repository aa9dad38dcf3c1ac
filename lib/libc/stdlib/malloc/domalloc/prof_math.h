/*
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * prof_math.h: the natural logarithm and exponential the profiler needs
 * (sampling intervals, unsampling weights), without libm, which the
 * library does not link.  Accurate to about 1e-15 relative, far more
 * than sampling noise needs.  Pure functions; no state.
 */
#ifndef PROF_MATH_H
#define	PROF_MATH_H

#include <stdint.h>
#include <string.h>

#define	PROF_LN2	0.6931471805599453094

/* ln(x) for x > 0 (finite). */
static inline double
prof_ln(double x)
{
	uint64_t bits;
	double m, t, t2, s, term;
	int e, k;

	memcpy(&bits, &x, sizeof(bits));
	e = (int)((bits >> 52) & 0x7ff) - 1023;
	bits = (bits & ~((uint64_t)0x7ff << 52)) | ((uint64_t)1023 << 52);
	memcpy(&m, &bits, sizeof(m));		/* m in [1, 2) */
	if (m > 1.4142135623730951) {
		m /= 2;
		e++;
	}
	/* ln(m) = 2 atanh(t), t = (m - 1) / (m + 1), |t| < 0.172. */
	t = (m - 1) / (m + 1);
	t2 = t * t;
	s = 0;
	term = t;
	for (k = 1; k < 40; k += 2) {
		s += term / k;
		term *= t2;
	}
	return (2 * s + e * PROF_LN2);
}

/*
 * ln(1 - x) for 0 <= x <= 1/2: by its series when x is small, where
 * 1 - x would round to 1 (x = 2^-lg_prof_sample below 2^-53 does).
 */
static inline double
prof_ln1m(double x)
{
	double sum, term;
	int k;

	if (x >= 1.0 / 64)
		return (prof_ln(1 - x));
	/* -(x + x^2/2 + ...): x^11 < 2^-66, so ten terms are enough. */
	sum = 0;
	term = x;
	for (k = 1; k <= 10; k++) {
		sum -= term / k;
		term *= x;
	}
	return (sum);
}

/* exp(x); x below -700 gives 0. */
static inline double
prof_exp(double x)
{
	double r, sum, term, scale;
	uint64_t bits;
	int k, i;

	if (x < -700)
		return (0);
	k = (int)(x / PROF_LN2 + (x < 0 ? -0.5 : 0.5));
	r = x - k * PROF_LN2;			/* |r| <= ln2 / 2 */
	sum = 1;
	term = 1;
	for (i = 1; i < 20; i++) {
		term *= r / i;
		sum += term;
	}
	bits = (uint64_t)(k + 1023) << 52;
	memcpy(&scale, &bits, sizeof(scale));
	return (sum * scale);
}

/* 1 - exp(x) for x <= 0, without cancellation for small |x|. */
static inline double
prof_one_minus_exp(double x)
{
	double sum, term;
	int i;

	if (x < -0.5)
		return (1 - prof_exp(x));
	sum = 0;
	term = 1;
	for (i = 1; i < 24; i++) {
		term *= x / i;
		sum -= term;
	}
	return (sum);
}

#endif /* !PROF_MATH_H */
