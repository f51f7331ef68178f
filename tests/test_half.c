/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test_half.c: yv7_round_half, the host's fp16 rounding (Winograd weights
 * with --fp16-weights), against values worked out by hand from the fp16
 * format: 10 mantissa bits, exponent -14..15, subnormal step 2^-24.
 *
 *   test-half */
#include "tensor.h"

#include "check.h"

#include <math.h>
#include <stdio.h>

static void
expect (float in, float want, const char *what)
{
  float got = yv7_round_half (in);
  char msg[128];
  snprintf (msg, sizeof msg, "%.9g -> %.9g, want %.9g", in, got, want);
  check ((got == want && signbit (got) == signbit (want)) || (isnan (got) && isnan (want)),
      what, msg);
}

int
main (void)
{
  const float ulp1 = 1.0f / 1024;   /* fp16 spacing in [1, 2) */
  expect (1.0f, 1.0f, "1 is exact");
  expect (-2.5f, -2.5f, "a short negative value is exact");
  expect (1.0f + ulp1 / 4, 1.0f, "a quarter step rounds down");
  expect (1.0f + ulp1 * 3 / 4, 1.0f + ulp1, "three quarters of a step round up");
  expect (1.0f + ulp1 / 2, 1.0f, "a tie rounds to the even mantissa (down)");
  expect (1.0f + ulp1 * 3 / 2, 1.0f + 2 * ulp1, "a tie rounds to the even mantissa (up)");
  expect (0.1f, 0.0999755859375f, "0.1 -> 1638/16384");
  expect (2047.5f, 2048.0f, "a carry into the exponent");
  expect (65504.0f, 65504.0f, "the largest fp16 value is exact");
  expect (65519.0f, 65504.0f, "just below the overflow tie stays finite");
  expect (65520.0f, INFINITY, "the overflow tie goes to infinity");
  expect (-1e6f, -INFINITY, "large negatives overflow to -infinity");
  expect (6.103515625e-05f, 6.103515625e-05f, "the smallest normal (2^-14) is exact");
  expect (5.9604644775390625e-08f, 5.9604644775390625e-08f, "the smallest subnormal (2^-24)");
  expect (2.98023223876953125e-08f, 0.0f, "half the smallest subnormal ties to zero");
  expect (4.5e-08f, 5.9604644775390625e-08f, "three quarters of 2^-24 round up to it");
  expect (1.0e-09f, 0.0f, "tiny values flush to zero");
  expect (-1.0e-09f, -0.0f, "and keep their sign");
  expect (INFINITY, INFINITY, "infinity stays");
  expect (NAN, NAN, "NaN stays NaN");
  return check_summary ();
}
