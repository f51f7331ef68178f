/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* conv_gpu.cl: convolution for GPUs, an implicit GEMM (output channels x
 * output pixels, K = ICg*KH*KW) in the classic shape: a work-group of
 * 16x16 work-items owns a BM x BN output tile, stages GK-deep slices of the
 * weights and of the (never materialised) im2col matrix in __local memory,
 * and each work-item accumulates a TM x TN register tile.  The next slice
 * is fetched into registers while the current one is multiplied.  Weights
 * are read in their ONNX layout [OC][ICg][KH][KW]; bias and activation are
 * applied in the store.  Three tile sizes; the host picks one per layer.
 * global: (ceil (OH*OW / BN) * 16, ceil (OCg / BM) * 16, N*G), local (16, 16) */

#define GK 16

/* Registers ra/rb <- the weight and im2col elements of the slice at ks that
 * this work-item stages (zero outside the matrices). */
#define GEMM_FETCH(ks) do { \
    for (int i = 0; i < NA; i++) { \
      int m = am + i * (NT / GK), k = (ks) + ak; \
      ra[i] = m0 + m < OCg && k < K ? wg[(size_t) m * K + k] : 0.0f; \
    } \
    for (int i = 0; i < NB; i++) { \
      int k = (ks) + bk + i * KB, ic = k / KK, r = k - ic * KK, ky = r / KW; \
      int iy = iy0 + ky * DH, ix = ix0 + (r - ky * KW) * DW; \
      rb[i] = p_ok && k < K && iy >= 0 && iy < H && ix >= 0 && ix < W \
          ? xg[((size_t) ic * H + iy) * W + ix] : 0.0f; \
    } \
  } while (0)

#define CONV_GEMM(NAME, BM, BN, TM, TN) \
__kernel __attribute__ ((reqd_work_group_size (BN / TN, BM / TM, 1))) void \
NAME (__global const float *x, uint x_off, __global const float *w, uint w_off, \
    __global const float *bias, uint b_off, int has_bias, \
    __global float *y, uint y_off, \
    int C, int H, int W, int OC, int OH, int OW, \
    int KH, int KW, int SH, int SW, int PH, int PW, int DH, int DW, int G, \
    int act, float alpha) \
{ \
  enum { LX = BN / TN, LY = BM / TM, NT = LX * LY, \
    NA = BM * GK / NT, NB = BN * GK / NT, KB = NT / BN }; \
  __local float As[GK][BM + 1];     /* +1: the column stores hit distinct banks */ \
  __local float Bs[GK][BN]; \
  int tx = get_local_id (0), ty = get_local_id (1), tid = ty * LX + tx; \
  int z = get_global_id (2); \
  int OCg = OC / G, ICg = C / G, g = z % G, n = z / G; \
  int P = OH * OW, KK = KH * KW, K = ICg * KK; \
  int m0 = get_group_id (1) * BM, p0 = get_group_id (0) * BN; \
  /* this work-item's im2col column and its input origin */ \
  int bn = tid % BN, bk = tid / BN, p = p0 + bn; \
  bool p_ok = p < P; \
  int oy = p_ok ? p / OW : 0, ox = p_ok ? p - oy * OW : 0; \
  int iy0 = oy * SH - PH, ix0 = ox * SW - PW; \
  /* this work-item's weight column and rows */ \
  int ak = tid % GK, am = tid / GK; \
  __global const float *xg = x + x_off + (size_t) (n * C + g * ICg) * H * W; \
  __global const float *wg = w + w_off + (size_t) (g * OCg + m0) * K; \
  float acc[TM][TN], ra[NA], rb[NB]; \
  for (int i = 0; i < TM; i++) \
    for (int j = 0; j < TN; j++) \
      acc[i][j] = 0.0f; \
  for (int k0 = 0; k0 < K; k0 += GK) { \
    /* fetch the slice k0 (the first time; later ones were prefetched) */ \
    if (k0 == 0) \
      GEMM_FETCH (k0); \
    for (int i = 0; i < NA; i++) \
      As[ak][am + i * (NT / GK)] = ra[i]; \
    for (int i = 0; i < NB; i++) \
      Bs[bk + i * KB][bn] = rb[i]; \
    barrier (CLK_LOCAL_MEM_FENCE); \
    if (k0 + GK < K) \
      GEMM_FETCH (k0 + GK); \
    for (int kk = 0; kk < GK; kk++) { \
      float a[TM], b[TN]; \
      for (int i = 0; i < TM; i++) \
        a[i] = As[kk][ty + i * LY]; \
      for (int j = 0; j < TN; j++) \
        b[j] = Bs[kk][tx + j * LX]; \
      for (int i = 0; i < TM; i++) \
        for (int j = 0; j < TN; j++) \
          acc[i][j] = fma (a[i], b[j], acc[i][j]); \
    } \
    barrier (CLK_LOCAL_MEM_FENCE); \
  } \
  for (int i = 0; i < TM; i++) { \
    int m = m0 + ty + i * LY; \
    float bv; \
    __global float *yr; \
    if (m >= OCg) \
      break; \
    bv = has_bias ? bias[b_off + g * OCg + m] : 0.0f; \
    yr = y + y_off + (size_t) (n * OC + g * OCg + m) * P; \
    for (int j = 0; j < TN; j++) { \
      int q = p0 + tx + j * LX; \
      if (q < P) \
        yr[q] = yv7_act (acc[i][j] + bv, act, alpha); \
    } \
  } \
}

CONV_GEMM (conv_gemm_s, 64, 64, 4, 4)
CONV_GEMM (conv_gemm_m, 64, 128, 4, 8)
CONV_GEMM (conv_gemm_l, 128, 128, 8, 8)
CONV_GEMM (conv_gemm_t, 32, 128, 2, 8)
