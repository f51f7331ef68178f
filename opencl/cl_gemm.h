/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* cl_gemm.h: the GPU kernel family's convolution (conv_gpu.cl): which tile
 * and how many K splits each layer gets, chosen by measuring at load on
 * GPUs and remembered per device in the cache directory. */
#ifndef YV7_CL_GEMM_H
#define YV7_CL_GEMM_H

#include "clrt.h"

typedef struct {
  int N, C, H, W, OC, OH, OW, KH, KW, SH, SW, PH, PW, DH, DW, G;
} yv7_conv_shape;

typedef struct {
  int tile;    /* index into the tile table */
  int split;   /* K splits, 1 = none */
} yv7_gemm_plan;

typedef struct {
  cl_mem x, w, ktab, bias, y, part;
  cl_uint xo, wo, bo, yo;
  int has_bias, act;
  float alpha;
} yv7_gemm_args;

/* The choice without measuring: the tile that wastes least and fills the
 * compute units best, then enough K splits to fill them.
 * YV7_GPU_TILE=l|m|t|s and YV7_GPU_SPLIT=N force either. */
yv7_gemm_plan yv7_gemm_heuristic (const yv7_cl *cl, const yv7_conv_shape *s);

/* Bytes of partial sums a plan needs (0 without split K). */
size_t yv7_gemm_part_bytes (const yv7_conv_shape *s, yv7_gemm_plan p);

/* The most any candidate that yv7_gemm_tune tries can need. */
size_t yv7_gemm_tune_part_bytes (const yv7_cl *cl, const yv7_conv_shape *s);

/* Time every candidate plan on the device with the layer's own buffers
 * (a->part must hold yv7_gemm_tune_part_bytes) and return the fastest.
 * Candidates the device refuses to launch are skipped; an error only when
 * none runs. */
yv7_status yv7_gemm_tune (yv7_cl *cl, const yv7_conv_shape *s, const yv7_gemm_args *a,
    yv7_gemm_plan *best);

yv7_status yv7_gemm_enqueue (yv7_cl *cl, const yv7_conv_shape *s, yv7_gemm_plan p,
    const yv7_gemm_args *a);

/* The layer's im2col table for the kernels (int2 per K element), malloc'd;
 * NULL when out of memory or the geometry does not fit its fields. */
int *yv7_gemm_ktable (const yv7_conv_shape *s, size_t *bytes);

/* Plans measured before, one line per layer shape, in the cache directory
 * next to the program binaries (file named by the device and kernels). */
typedef struct {
  struct { yv7_conv_shape s; yv7_gemm_plan p; } *e;
  int n, cap;
} yv7_gemm_cache;

void yv7_gemm_cache_load (yv7_gemm_cache *c, const yv7_cl *cl);
bool yv7_gemm_cache_find (const yv7_gemm_cache *c, const yv7_conv_shape *s, yv7_gemm_plan *p);
void yv7_gemm_cache_add (yv7_gemm_cache *c, const yv7_cl *cl, const yv7_conv_shape *s,
    yv7_gemm_plan p);
void yv7_gemm_cache_clear (yv7_gemm_cache *c);

#endif
