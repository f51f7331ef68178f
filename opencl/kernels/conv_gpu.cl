/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* conv_gpu.cl: convolution for GPUs, an implicit GEMM (output channels x
 * output pixels, K = ICg*KH*KW) in the classic shape: a work-group of
 * LX x LY work-items owns a BM x BN output tile, stages GK-deep (16 or 32) slices of
 * the weights and of the (never materialised) im2col matrix in __local
 * memory, and each work-item accumulates a TM x TN register tile read from
 * __local as float4s (a quarter of the shared-memory instructions of scalar
 * reads; the FMAs, not the loads, set the pace).  The next slice is fetched
 * into registers while the current one is multiplied.  Weights are read in
 * their ONNX layout [OC][ICg][KH][KW]; the im2col element k of an output
 * pixel comes from a per-layer table kt[k] = (offset of (ic, ky*DH, kx*DW),
 * ky*DH << 16 | kx*DW), so no work-item divides.  Bias and activation are
 * applied in the store.  Four tiles; the host picks one per layer.
 *
 * Split K: with S > 1 the work-groups along dimension 2 also take one of S
 * contiguous ranges of K each and write their raw partial sums to
 * part[s][N][OC][P]; conv_splitk_reduce then adds them up with bias and
 * activation.  Layers with small maps and deep K (20x20 maps, K = 4608)
 * otherwise leave most of a GPU idle.
 * global: (ceil (OH*OW / BN) * LX, ceil (OCg / BM) * LY, N*G*S), local (LX, LY) */

/* Registers ra/rb <- the weight and im2col elements of the slice at ks that
 * this work-item stages (zero outside the matrices). */
#define GEMM_FETCH(ks) do { \
    for (int i = 0; i < NA; i++) { \
      int m = am + i * (NT / GK), k = (ks) + ak; \
      ra[i] = m0 + m < OCg && k < kend ? wg[(size_t) m * K + k] : 0.0f; \
    } \
    for (int i = 0; i < NB; i++) { \
      int k = (ks) + bk + i * KB; \
      float v = 0.0f; \
      if (p_ok && k < kend) { \
        int2 e = kt[k]; \
        int iy = iy0 + (e.y >> 16), ix = ix0 + (e.y & 0xffff); \
        if (iy >= 0 && iy < H && ix >= 0 && ix < W) \
          v = xg[e.x + pbase]; \
      } \
      rb[i] = v; \
    } \
  } while (0)

#define CONV_GEMM(NAME, BM, BN, TM, TN, GKV) \
__kernel __attribute__ ((reqd_work_group_size (BN / TN, BM / TM, 1))) void \
NAME (__global const float *x, uint x_off, __global const float *w, uint w_off, \
    __global const int2 *kt, __global const float *bias, uint b_off, int has_bias, \
    __global float *y, uint y_off, \
    int C, int H, int W, int OC, int OH, int OW, int SH, int SW, int PH, int PW, \
    int KK, int G, int act, float alpha, int S, __global float *part) \
{ \
  enum { GK = GKV, LX = BN / TN, LY = BM / TM, NT = LX * LY, RA = BM + 4, \
    NA = BM * GK / NT, NB = BN * GK / NT, KB = NT / BN }; \
  __local float4 As4[GK * RA / 4];   /* row kk at As4[kk * RA / 4]; +4: fewer store conflicts */ \
  __local float4 Bs4[GK * BN / 4]; \
  __local float *As = (__local float *) As4, *Bs = (__local float *) Bs4; \
  int tx = get_local_id (0), ty = get_local_id (1), tid = ty * LX + tx; \
  int z = get_global_id (2), s = z % S; \
  int OCg = OC / G, ICg = C / G, g = (z / S) % G, n = z / S / G; \
  int P = OH * OW, K = ICg * KK; \
  int kc = ((K + GK - 1) / GK + S - 1) / S * GK;   /* K per split, whole slices */ \
  int kbeg = s * kc, kend = min (K, kbeg + kc); \
  int m0 = get_group_id (1) * BM, p0 = get_group_id (0) * BN; \
  /* this work-item's im2col column and its input origin */ \
  int bn = tid % BN, bk = tid / BN, p = p0 + bn; \
  bool p_ok = p < P; \
  int oy = p_ok ? p / OW : 0, ox = p_ok ? p - oy * OW : 0; \
  int iy0 = oy * SH - PH, ix0 = ox * SW - PW, pbase = iy0 * W + ix0; \
  /* this work-item's weight column and rows */ \
  int ak = tid % GK, am = tid / GK; \
  __global const float *xg = x + x_off + (size_t) (n * C + g * ICg) * H * W; \
  __global const float *wg = w + w_off + (size_t) (g * OCg + m0) * K; \
  float acc[TM][TN], ra[NA], rb[NB]; \
  for (int i = 0; i < TM; i++) \
    for (int j = 0; j < TN; j++) \
      acc[i][j] = 0.0f; \
  for (int k0 = kbeg; k0 < kend; k0 += GK) { \
    /* fetch the slice k0 (the first time; later ones were prefetched) */ \
    if (k0 == kbeg) \
      GEMM_FETCH (k0); \
    for (int i = 0; i < NA; i++) \
      As[ak * RA + am + i * (NT / GK)] = ra[i]; \
    for (int i = 0; i < NB; i++) \
      Bs[(bk + i * KB) * BN + bn] = rb[i]; \
    barrier (CLK_LOCAL_MEM_FENCE); \
    if (k0 + GK < kend) \
      GEMM_FETCH (k0 + GK); \
    for (int kk = 0; kk < GK; kk++) { \
      float a[TM], b[TN]; \
      for (int v = 0; v < TM / 4; v++) \
        vstore4 (As4[kk * RA / 4 + v * LY + ty], 0, a + 4 * v); \
      for (int v = 0; v < TN / 4; v++) \
        vstore4 (Bs4[kk * BN / 4 + v * LX + tx], 0, b + 4 * v); \
      for (int i = 0; i < TM; i++) \
        for (int j = 0; j < TN; j++) \
          acc[i][j] = fma (a[i], b[j], acc[i][j]); \
    } \
    barrier (CLK_LOCAL_MEM_FENCE); \
  } \
  /* a[i] is row (i / 4) * 4 * LY + ty * 4 + i % 4 of the tile, b[j] likewise */ \
  for (int i = 0; i < TM; i++) { \
    int m = m0 + (i / 4) * 4 * LY + ty * 4 + i % 4; \
    float bv; \
    __global float *yr; \
    if (m >= OCg) \
      continue; \
    if (S > 1) { \
      int NG_ = get_global_size (2) / S;   /* N*G */ \
      yr = part + ((size_t) (s * (NG_ / G) + n) * OC + g * OCg + m) * P; \
      for (int j = 0; j < TN; j++) { \
        int q = p0 + (j / 4) * 4 * LX + tx * 4 + j % 4; \
        if (q < P) \
          yr[q] = acc[i][j]; \
      } \
      continue; \
    } \
    bv = has_bias ? bias[b_off + g * OCg + m] : 0.0f; \
    yr = y + y_off + (size_t) (n * OC + g * OCg + m) * P; \
    for (int j = 0; j < TN; j++) { \
      int q = p0 + (j / 4) * 4 * LX + tx * 4 + j % 4; \
      if (q < P) \
        yr[q] = yv7_act (acc[i][j] + bv, act, alpha); \
    } \
  } \
}

/* BM x BN outputs, TM x TN a work-item (multiples of 4), GK-deep slices */
CONV_GEMM (conv_gemm_l, 128, 128, 8, 8, 16)
CONV_GEMM (conv_gemm_m, 64, 128, 4, 8, 16)
CONV_GEMM (conv_gemm_t, 32, 128, 4, 8, 16)
CONV_GEMM (conv_gemm_s, 64, 64, 4, 4, 16)
CONV_GEMM (conv_gemm_l32, 128, 128, 8, 8, 32)
CONV_GEMM (conv_gemm_m32, 64, 128, 4, 8, 32)

/* Sum the S partial results of a split-K conv, add bias, activate.
 * global: (N*OC*P) */
__kernel void
conv_splitk_reduce (__global const float *part, int S, __global const float *bias,
    uint b_off, int has_bias, __global float *y, uint y_off, int OC, int P, int act,
    float alpha)
{
  size_t i = get_global_id (0), total = get_global_size (0);
  int oc = (int) ((i / (size_t) P) % (size_t) OC);
  float v = has_bias ? bias[b_off + oc] : 0.0f;
  for (int s = 0; s < S; s++)
    v += part[(size_t) s * total + i];
  y[y_off + i] = yv7_act (v, act, alpha);
}
