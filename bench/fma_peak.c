/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fma_peak.c: the machine's fp32 FMA peak, to put the benchmark's GFLOP/s in
 * scale: T threads each run 12 independent chains of 512-bit (or, with
 * -DAVX2, 256-bit) FMAs.
 *
 *   cc -O2 -mavx512f -mfma -pthread bench/fma_peak.c -o fma_peak && ./fma_peak 2
 *   cc -O2 -mavx2 -mfma -DAVX2 -pthread bench/fma_peak.c -o fma_peak && ./fma_peak 2 */
#include <immintrin.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#ifdef AVX2
typedef __m256 vec;
#define FMA _mm256_fmadd_ps
#define SET _mm256_set1_ps
#define LANES 8
#else
typedef __m512 vec;
#define FMA _mm512_fmadd_ps
#define SET _mm512_set1_ps
#define LANES 16
#endif
#define ITERS 200000000L
#define MAX_THREADS 64

static volatile float sink;

static void *
run (void *arg)
{
  vec a0 = SET (0), a1 = SET (1), a2 = SET (2), a3 = SET (3), a4 = SET (4), a5 = SET (5);
  vec a6 = SET (6), a7 = SET (7), a8 = SET (8), a9 = SET (9), a10 = SET (10), a11 = SET (11);
  vec b = SET (1.0001f), c = SET (0.999f);
  (void) arg;
  for (long i = 0; i < ITERS; i++) {
    a0 = FMA (a0, b, c); a1 = FMA (a1, b, c); a2 = FMA (a2, b, c); a3 = FMA (a3, b, c);
    a4 = FMA (a4, b, c); a5 = FMA (a5, b, c); a6 = FMA (a6, b, c); a7 = FMA (a7, b, c);
    a8 = FMA (a8, b, c); a9 = FMA (a9, b, c); a10 = FMA (a10, b, c); a11 = FMA (a11, b, c);
  }
  {
    vec s = a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7 + a8 + a9 + a10 + a11;
    sink = s[0];
  }
  return NULL;
}

int
main (int argc, char **argv)
{
  int n = argc > 1 ? atoi (argv[1]) : 1;
  pthread_t th[MAX_THREADS];
  struct timespec t0, t1;
  double s;
  if (n < 1 || n > MAX_THREADS) {
    fprintf (stderr, "usage: fma_peak [THREADS (1-%d)]\n", MAX_THREADS);
    return 2;
  }
  clock_gettime (CLOCK_MONOTONIC, &t0);
  for (int i = 0; i < n; i++)
    pthread_create (&th[i], NULL, run, NULL);
  for (int i = 0; i < n; i++)
    pthread_join (th[i], NULL);
  clock_gettime (CLOCK_MONOTONIC, &t1);
  s = (double) (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) * 1e-9;
  printf ("%d thread(s), %d-bit FMAs: %.1f GFLOP/s\n", n, LANES * 32,
      2.0 * 12 * LANES * ITERS * n / s / 1e9);
  return 0;
}
