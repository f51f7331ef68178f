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
      ra[i] = m0 + m < OCg && k < kend ? WLOAD (wg, (size_t) m * K + k) : 0.0f; \
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

/* Store row i of the work-item's tile, its TN values in r[0..TN-1]: raw to
 * the split-K partials, or with bias and activation to y.  Row i is tile
 * row (i / 4) * 4 * LY + ty * 4 + i % 4, value j column (j / 4) * 4 * LX +
 * tx * 4 + j % 4 (the order the float4 reads of __local put them in). */
#define GEMM_STORE_ROW(i, r) do { \
    int m_ = m0 + ((i) / 4) * 4 * LY + ty * 4 + (i) % 4; \
    if (m_ < OCg) { \
      __global float *yr_; \
      float bv_ = 0.0f; \
      bool raw_ = S > 1; \
      if (raw_) \
        yr_ = part + ((size_t) (s * (int) (get_global_size (2) / S / G) + n) * OC \
            + g * OCg + m_) * P; \
      else { \
        bv_ = has_bias ? bias[b_off + g * OCg + m_] : 0.0f; \
        yr_ = y + y_off + (size_t) (n * OC + g * OCg + m_) * P; \
      } \
      for (int j_ = 0; j_ < TN; j_++) { \
        int q_ = p0 + (j_ / 4) * 4 * LX + tx * 4 + j_ % 4; \
        if (q_ < P) \
          yr_[q_] = raw_ ? (r)[j_] : yv7_act ((r)[j_] + bv_, act, alpha); \
      } \
    } \
  } while (0)

/* The accumulators: ACC_array keeps them in a TM x TN array and relies on
 * the compiler unrolling every loop over it; ACC_vec names them c0..c7
 * (float8 rows; only the first TM rows and TN lanes are used) so no
 * indexing can push them out of registers.  NVIDIA's compiler put the
 * array in stack memory (the PTX's __local_depot); which is faster on a
 * given GPU is what the load-time measurement decides. */
#define ACC_array_DECL float acc[TM][TN]; \
  for (int i = 0; i < TM; i++) \
    for (int j = 0; j < TN; j++) \
      acc[i][j] = 0.0f;
#define ACC_array_MAC(kk) do { \
    float a[TM], b[TN]; \
    for (int v = 0; v < TM / 4; v++) \
      vstore4 (As4[(kk) * RA / 4 + v * LY + ty], 0, a + 4 * v); \
    for (int v = 0; v < TN / 4; v++) \
      vstore4 (Bs4[(kk) * BN / 4 + v * LX + tx], 0, b + 4 * v); \
    for (int i = 0; i < TM; i++) \
      for (int j = 0; j < TN; j++) \
        acc[i][j] = fma (a[i], b[j], acc[i][j]); \
  } while (0)
#define ACC_array_STORE do { \
    for (int i = 0; i < TM; i++) \
      GEMM_STORE_ROW (i, acc[i]); \
  } while (0)

#define ACC_vec_DECL float8 c0 = 0, c1 = 0, c2 = 0, c3 = 0, c4 = 0, c5 = 0, c6 = 0, c7 = 0;
#define ACC_vec_MAC(kk) do { \
    float4 alo = As4[(kk) * RA / 4 + ty]; \
    float4 ahi = TM > 4 ? As4[(kk) * RA / 4 + LY + ty] : (float4) 0.0f; \
    float4 blo = Bs4[(kk) * BN / 4 + tx]; \
    float4 bhi = TN > 4 ? Bs4[(kk) * BN / 4 + LX + tx] : (float4) 0.0f; \
    float8 bv = (float8) (blo, bhi); \
    c0 = fma ((float8) alo.s0, bv, c0); \
    c1 = fma ((float8) alo.s1, bv, c1); \
    c2 = fma ((float8) alo.s2, bv, c2); \
    c3 = fma ((float8) alo.s3, bv, c3); \
    if (TM > 4) { \
      c4 = fma ((float8) ahi.s0, bv, c4); \
      c5 = fma ((float8) ahi.s1, bv, c5); \
      c6 = fma ((float8) ahi.s2, bv, c6); \
      c7 = fma ((float8) ahi.s3, bv, c7); \
    } \
  } while (0)
#define ACC_vec_ROW(i, cv) do { \
    float r_[8]; \
    vstore8 (cv, 0, r_); \
    GEMM_STORE_ROW (i, r_); \
  } while (0)
#define ACC_vec_STORE do { \
    ACC_vec_ROW (0, c0); ACC_vec_ROW (1, c1); ACC_vec_ROW (2, c2); ACC_vec_ROW (3, c3); \
    if (TM > 4) { \
      ACC_vec_ROW (4, c4); ACC_vec_ROW (5, c5); ACC_vec_ROW (6, c6); ACC_vec_ROW (7, c7); \
    } \
  } while (0)

#define CONV_GEMM(NAME, BMV, BNV, TMV, TNV, GKV, ACC) \
__kernel __attribute__ ((reqd_work_group_size (BNV / TNV, BMV / TMV, 1))) void \
NAME (__global const float *x, uint x_off, __global const WTYPE *w, uint w_off, \
    __global const int2 *kt, __global const float *bias, uint b_off, int has_bias, \
    __global float *y, uint y_off, \
    int C, int H, int W, int OC, int OH, int OW, int SH, int SW, int PH, int PW, \
    int KK, int G, int act, float alpha, int S, __global float *part) \
{ \
  enum { BM = BMV, BN = BNV, TM = TMV, TN = TNV, GK = GKV, \
    LX = BN / TN, LY = BM / TM, NT = LX * LY, RA = BM + 4, \
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
  __global const WTYPE *wg = w + w_off + (size_t) (g * OCg + m0) * K; \
  float ra[NA], rb[NB]; \
  ACC##_DECL \
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
    for (int kk = 0; kk < GK; kk++) \
      ACC##_MAC (kk); \
    barrier (CLK_LOCAL_MEM_FENCE); \
  } \
  ACC##_STORE; \
}

/* BM x BN outputs, TM x TN a work-item (4 or 8), GK-deep slices, accumulators */
CONV_GEMM (conv_gemm_l, 128, 128, 8, 8, 16, ACC_array)
CONV_GEMM (conv_gemm_m, 64, 128, 4, 8, 16, ACC_array)
CONV_GEMM (conv_gemm_t, 32, 128, 4, 8, 16, ACC_array)
CONV_GEMM (conv_gemm_s, 64, 64, 4, 4, 16, ACC_array)
CONV_GEMM (conv_gemm_l32, 128, 128, 8, 8, 32, ACC_array)
CONV_GEMM (conv_gemm_m32, 64, 128, 4, 8, 32, ACC_array)
CONV_GEMM (conv_gemm_lv, 128, 128, 8, 8, 16, ACC_vec)
CONV_GEMM (conv_gemm_mv, 64, 128, 4, 8, 16, ACC_vec)
CONV_GEMM (conv_gemm_sv, 64, 64, 4, 4, 16, ACC_vec)
CONV_GEMM (conv_gemm_lv32, 128, 128, 8, 8, 32, ACC_vec)

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
