/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* conv.cl: 2-D convolution (1-D as H = 1).  Weights are packed once into
 * [G][OCB][ICg][KH][KW][8] (8 output channels side by side, zero-padded) so
 * each work-item computes an 8 output-channel x 16 or 32 output register
 * tile with float16 FMAs.  Bias and activation are applied in the store. */

__kernel void
conv_pack_weights (__global const float *w, uint w_off, __global WTYPE *p,
    int OCg, int ICg, int KH, int KW, int G)
{
  /* one work-item per packed element */
  int OCB = (OCg + 7) / 8;
  size_t i = get_global_id (0);
  int lane = (int) (i % 8);
  size_t t = i / 8;
  int kx = (int) (t % KW); t /= KW;
  int ky = (int) (t % KH); t /= KH;
  int ic = (int) (t % ICg); t /= ICg;
  int ocb = (int) (t % OCB); t /= OCB;
  int g = (int) t;
  int oc = ocb * 8 + lane;
  float v = 0.0f;
  if (oc < OCg)
    v = w[w_off + ((((size_t) (g * OCg + oc) * ICg + ic) * KH + ky) * KW + kx)];
  WSTORE (v, p, i);
}

/* The wide tile: 8 output channels x 16 outputs, float16 accumulators
 * acc0..acc7 (16 registers on AVX2, 8 on AVX-512).  FMA8_TO is one input
 * channel and tap: the 8 packed weights at wv times the 16 inputs xv; FMA8
 * accumulates into a0..a7; FMA8_LD reads the weights with LD (FLOAD: fp32
 * whatever the weight type, for Winograd's U).  The weights are read one
 * by one, not as a float8, so that the compiler broadcasts each straight
 * from memory (a float8 load costs a shuffle per weight on the FMA ports). */
#define FMA8_LD(acc, xv, wv, LD) do { \
    acc##0 = fma ((float16) LD (wv, 0), (xv), acc##0); \
    acc##1 = fma ((float16) LD (wv, 1), (xv), acc##1); \
    acc##2 = fma ((float16) LD (wv, 2), (xv), acc##2); \
    acc##3 = fma ((float16) LD (wv, 3), (xv), acc##3); \
    acc##4 = fma ((float16) LD (wv, 4), (xv), acc##4); \
    acc##5 = fma ((float16) LD (wv, 5), (xv), acc##5); \
    acc##6 = fma ((float16) LD (wv, 6), (xv), acc##6); \
    acc##7 = fma ((float16) LD (wv, 7), (xv), acc##7); \
  } while (0)
#define FLOAD(p, i) ((p)[i])
#ifdef YV7_HALF_WEIGHTS
/* fp16: one 8-wide conversion (vcvtph2ps) and a lane pick per weight beat
 * eight scalar conversions */
#define W8LANE(p, i) ((p).s##i)
#define FMA8_TO(acc, xv, wv) do { \
    float8 w8_ = vload_half8 (0, (wv)); \
    FMA8_LD (acc, xv, w8_, W8LANE); \
  } while (0)
#else
#define FMA8_TO(acc, xv, wv) FMA8_LD (acc, xv, wv, WLOAD)
#endif
#define FMA8(xv, wv) FMA8_TO (a, xv, wv)

/* The 16 floats p[c.s0], ..., p[c.sf]. */
#define GATHER16(p, c) ((float16) ((p)[(c).s0], (p)[(c).s1], (p)[(c).s2], (p)[(c).s3], \
    (p)[(c).s4], (p)[(c).s5], (p)[(c).s6], (p)[(c).s7], (p)[(c).s8], (p)[(c).s9], \
    (p)[(c).sa], (p)[(c).sb], (p)[(c).sc], (p)[(c).sd], (p)[(c).se], (p)[(c).sf]))

/* Store accumulators acc0..acc7 (8 channels x 16 outputs) at yp (channel
 * stride cs), n valid outputs. */
#define STORE8(acc, yp, cs, n, ocb, OCg, goc0, bias, b_off, has_bias, act, alpha) do { \
    float16 accs_[8] = { acc##0, acc##1, acc##2, acc##3, acc##4, acc##5, acc##6, acc##7 }; \
    for (int j_ = 0; j_ < 8; j_++) { \
      int oc_ = (ocb) * 8 + j_; \
      if (oc_ >= (OCg)) \
        break; \
      float b_ = (has_bias) ? (bias)[(b_off) + (goc0) + oc_] : 0.0f; \
      float16 v_ = yv7_act16 (accs_[j_] + b_, (act), (alpha)); \
      __global float *yr_ = (yp) + (size_t) oc_ * (cs); \
      if ((n) == 16) { \
        vstore16 (v_, 0, yr_); \
      } else { \
        float r_[16]; \
        vstore16 (v_, 0, r_); \
        for (int l_ = 0; l_ < (n); l_++) \
          yr_[l_] = r_[l_]; \
      } \
    } \
  } while (0)

/* The GEMM kernels' input channels 0..icv-1 whose TW pixels from p0 can be
 * read as whole vectors: all of them when the block is full; for a partial
 * block (the map's last pixels), those whose read, running past the row
 * into the next channels' rows, stays inside this image's group of input
 * channels (the extra lanes compute values that are never stored), so only
 * the last channel or two need a gather (10x10 maps: 1 block in 4 is
 * partial). */
#define GEMM_VEC_CHANNELS(TW) \
  (ICg * HW - p0 - (TW) < 0 ? 0 : min (ICg, (ICg * HW - p0 - (TW)) / HW + 1))

/* The part the 1x1 GEMM kernels share: the work-item's ids (its first
 * output channel block ocb of CB, fastest), its first pixel p0 and valid
 * count np for a block of TW pixels, its input panel xp and weights wc. */
#define GEMM_SETUP(TW, CB) \
  int pb = get_global_id (1), z = get_global_id (0); \
  int OCg = OC / G, ICg = C / G, OCB = (OCg + 7) / 8, OCP = (OCB + (CB) - 1) / (CB); \
  int ocb = z % OCP * (CB), t = z / OCP, g = t % G, n = t / G; \
  int p0 = pb * (TW), np = min ((TW), HW - p0); \
  __global const float *xp = x + x_off + (size_t) (n * C + g * ICg) * HW + p0; \
  __global const WTYPE *wc = wp + (size_t) (g * OCB + ocb) * ICg * 8

/* 1x1, stride 1, no padding: a GEMM over the flattened pixels, so small
 * feature maps waste no lanes on row ends.  The outputs' channel stride is
 * ys (HW for a 1x1 conv; the whole map's size when the GEMM computes one
 * band of a conv's im2col matrix).  The output channel block is
 * the fastest id, so the work-items that read the same input panel run one
 * after another on a core and find it in cache.
 * global: (N*G*OCB, ceil (HW / 16)) */
__kernel void
conv1x1_w16 (__global const float *x, uint x_off,
    __global const WTYPE *wp, __global const float *bias, uint b_off, int has_bias,
    __global float *y, uint y_off, int C, int HW, int ys, int OC, int G, int act,
    float alpha)
{
  GEMM_SETUP (16, 1);
  float16 a0 = 0, a1 = 0, a2 = 0, a3 = 0, a4 = 0, a5 = 0, a6 = 0, a7 = 0;

  {
    int16 l = (int16) (0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
    int16 li = select ((int16) 0, l, l < np);
    int ic = 0, icv = GEMM_VEC_CHANNELS (16);
    for (; ic < icv; ic++) {
      float16 xv = vload16 (0, xp + (size_t) ic * HW);
      __global const WTYPE *wv = wc + (size_t) ic * 8;
      FMA8 (xv, wv);
    }
    for (; ic < ICg; ic++) {
      __global const float *r = xp + (size_t) ic * HW;
      float16 xv = GATHER16 (r, li);
      __global const WTYPE *wv = wc + (size_t) ic * 8;
      FMA8 (xv, wv);
    }
  }
  STORE8 (a, y + y_off + (size_t) (n * OC + g * OCg) * ys + p0, ys, np, ocb, OCg,
      g * OCg, bias, b_off, has_bias, act, alpha);
}

/* The 16 inputs of one tap for the output lanes whose input columns are
 * ix (ix.s0 = base): one contiguous (stride 1) or even-lane (stride 2)
 * vector load when the load stays inside the buffer (back elements before
 * the row start, room from the row start to the plane end), with the lanes
 * that read padding (columns before 0 or from W on, where the load ran
 * into the neighbouring rows) set to zero; lanes past the tile's valid
 * outputs (the first span / SW + 1) compute values that are never stored.
 * Else, only at a plane's last row, a gather with bounds checks.  The
 * tiles at a row's ends used to gather on every tap that read padding: a
 * tenth of all taps on a 104-wide map, at ten times the cost. */
/* tap16's back for a row of the buffer buf: the elements before the row
 * start, capped at 64 (a tap reaching further left into the padding is
 * rare and takes the gather). */
#define ROW_BACK(row, buf) ((int) min ((row) - (buf), (ptrdiff_t) 64))

static inline __attribute__ ((always_inline)) float16
tap16 (__global const float *row, int base, int span, int back, int room, int W, int SW,
    int16 ix, int16 lane_ok)
{
  int16 ok, c;
  if ((SW == 1 || SW == 2) && base >= -back && base + 16 * SW <= room) {
    float16 v;
    if (SW == 1) {
      v = vload16 (0, row + base);
    } else {
      float16 lo = vload16 (0, row + base), hi = vload16 (1, row + base);
      v = (float16) (lo.even, hi.even);
    }
    if (base >= 0 && base + span < W)
      return v;
    return select (v, (float16) 0.0f, (ix < 0) | (ix >= W));
  }
  ok = lane_ok & (ix >= 0) & (ix < W);
  c = select ((int16) 0, ix, ok);
  return select ((float16) 0.0f, GATHER16 (row, c), ok);
}

/* The part the direct kernels share: the work-item's ids (its first
 * output channel block ocb of CB, fastest, so the work-items that read the
 * same input rows run one after another), its first output column ox0 and
 * valid count nx for a tile of TW outputs, and the kernel rows ky0..ky1
 * that fall inside the input. */
#define CONV2D_SETUP(TW, CB) \
  int z = get_global_id (0), oxb = get_global_id (1), oy = get_global_id (2); \
  int OCg = OC / G, ICg = C / G, OCB = (OCg + 7) / 8, OCP = (OCB + (CB) - 1) / (CB); \
  int ocb = z % OCP * (CB), t = z / OCP, g = t % G, n = t / G; \
  int ox0 = oxb * (TW), nx = min ((TW), OW - ox0); \
  int ix0 = ox0 * SW - PW, iy0 = oy * SH - PH; \
  int ky0 = 0, ky1 = KH; \
  __global const float *xg = x + x_off + (size_t) (n * C + g * ICg) * H * W; \
  __global const WTYPE *wg = wp + (size_t) (g * OCB + ocb) * ICg * KH * KW * 8; \
  size_t plane = (size_t) H * W; \
  int16 l = (int16) (0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15); \
  while (ky0 < KH && iy0 + ky0 * DH < 0) \
    ky0++; \
  while (ky1 > ky0 && iy0 + (ky1 - 1) * DH >= H) \
    ky1--

/* Runs BODY for each input channel ic and kernel tap (ky, kx) inside the
 * input, with row the input row, base its first column for the tile, room
 * the elements from the row start to the plane end and wk + kx * 8 the
 * tap's 8 packed weights. */
#define CONV2D_FOR_TAPS(BODY) \
  for (int ic = 0; ic < ICg; ic++) { \
    __global const float *xc = xg + ic * plane; \
    __global const WTYPE *wc = wg + (size_t) ic * KH * KW * 8; \
    for (int ky = ky0; ky < ky1; ky++) { \
      int iy = iy0 + ky * DH; \
      __global const float *row = xc + (size_t) iy * W; \
      __global const WTYPE *wk = wc + ky * KW * 8; \
      int room = (H - iy) * W, back = ROW_BACK (row, x); \
      for (int kx = 0; kx < KW; kx++) { \
        int base = ix0 + kx * DW; \
        BODY \
      } \
    } \
  }

/* Any kernel size, stride and dilation: 8 output channels x 16 outputs of
 * one row.  The rows the tile overlaps are found once, so no tap tests its
 * row.  global: (N*G*OCB, ceil (OW / 16), OH) */
__kernel void
conv2d_w16 (__global const float *x, uint x_off,
    __global const WTYPE *wp, __global const float *bias, uint b_off, int has_bias,
    __global float *y, uint y_off,
    int C, int H, int W, int OC, int OH, int OW,
    int KH, int KW, int SH, int SW, int PH, int PW, int DH, int DW, int G,
    int act, float alpha)
{
  CONV2D_SETUP (16, 1);
  int span = (nx - 1) * SW;
  int16 ixl = ix0 + l * SW, lane_ok = l < nx;
  float16 a0 = 0, a1 = 0, a2 = 0, a3 = 0, a4 = 0, a5 = 0, a6 = 0, a7 = 0;

  CONV2D_FOR_TAPS ({
    float16 xv = tap16 (row, base, span, back, room, W, SW, ixl + kx * DW, lane_ok);
    FMA8 (xv, wk + kx * 8);
  });
  STORE8 (a, y + y_off + ((size_t) (n * OC + g * OCg) * OH + oy) * OW + ox0,
      (size_t) OH * OW, nx, ocb, OCg, g * OCg, bias, b_off, has_bias, act, alpha);
}

/* conv2d_w16 with 16 output channels (two packed 8-channel blocks) x 16
 * outputs a work-item: each tap's input vector feeds 16 FMAs, not 8, which
 * halves the cost of stride 2's even-lane shuffle per FMA.  An odd last
 * block reads the block before again (its lanes are not stored).
 * global: (N*G*ceil (OCB / 2), ceil (OW / 16), OH) */
__kernel void
conv2d_c16 (__global const float *x, uint x_off,
    __global const WTYPE *wp, __global const float *bias, uint b_off, int has_bias,
    __global float *y, uint y_off,
    int C, int H, int W, int OC, int OH, int OW,
    int KH, int KW, int SH, int SW, int PH, int PW, int DH, int DW, int G,
    int act, float alpha)
{
  CONV2D_SETUP (16, 2);
  size_t wpanel = ocb + 1 < OCB ? (size_t) ICg * KH * KW * 8 : 0;
  int span = (nx - 1) * SW;
  int16 ixl = ix0 + l * SW, lane_ok = l < nx;
  float16 a0 = 0, a1 = 0, a2 = 0, a3 = 0, a4 = 0, a5 = 0, a6 = 0, a7 = 0;
  float16 b0 = 0, b1 = 0, b2 = 0, b3 = 0, b4 = 0, b5 = 0, b6 = 0, b7 = 0;

  CONV2D_FOR_TAPS ({
    float16 xv = tap16 (row, base, span, back, room, W, SW, ixl + kx * DW, lane_ok);
    FMA8_TO (a, xv, wk + kx * 8);
    FMA8_TO (b, xv, wk + wpanel + kx * 8);
  });
  {
    __global float *yp = y + y_off + ((size_t) (n * OC + g * OCg) * OH + oy) * OW + ox0;
    STORE8 (a, yp, (size_t) OH * OW, nx, ocb, OCg, g * OCg, bias, b_off, has_bias, act, alpha);
    if (ocb + 1 < OCB)
      STORE8 (b, yp, (size_t) OH * OW, nx, ocb + 1, OCg, g * OCg, bias, b_off, has_bias,
          act, alpha);
  }
}

/* conv2d_w16 with 32 outputs of the row a work-item, as two 16-lane halves
 * that share each weight broadcast: twice the FMAs per weight load, for
 * rows where 32-wide tiles waste no more lanes than 16-wide ones.
 * global: (N*G*OCB, ceil (OW / 32), OH) */
__kernel void
conv2d_w32 (__global const float *x, uint x_off,
    __global const WTYPE *wp, __global const float *bias, uint b_off, int has_bias,
    __global float *y, uint y_off,
    int C, int H, int W, int OC, int OH, int OW,
    int KH, int KW, int SH, int SW, int PH, int PW, int DH, int DW, int G,
    int act, float alpha)
{
  CONV2D_SETUP (32, 1);
  int n0 = min (16, nx), n1 = nx - n0;   /* valid lanes of each half */
  int span0 = (n0 - 1) * SW, span1 = max (n1 - 1, 0) * SW;
  int16 ixl0 = ix0 + l * SW, ixl1 = ixl0 + 16 * SW;
  int16 ok0 = l < n0, ok1 = l < n1;
  float16 a0 = 0, a1 = 0, a2 = 0, a3 = 0, a4 = 0, a5 = 0, a6 = 0, a7 = 0;
  float16 b0 = 0, b1 = 0, b2 = 0, b3 = 0, b4 = 0, b5 = 0, b6 = 0, b7 = 0;

  CONV2D_FOR_TAPS ({
    float16 x0 = tap16 (row, base, span0, back, room, W, SW, ixl0 + kx * DW, ok0);
    float16 x1 = tap16 (row, base + 16 * SW, span1, back, room, W, SW, ixl1 + kx * DW, ok1);
    FMA8_TO (a, x0, wk + kx * 8);
    FMA8_TO (b, x1, wk + kx * 8);
  });
  {
    __global float *yp = y + y_off + ((size_t) (n * OC + g * OCg) * OH + oy) * OW + ox0;
    STORE8 (a, yp, (size_t) OH * OW, n0, ocb, OCg, g * OCg, bias, b_off, has_bias, act, alpha);
    if (n1 > 0)
      STORE8 (b, yp + 16, (size_t) OH * OW, n1, ocb, OCg, g * OCg, bias, b_off, has_bias,
          act, alpha);
  }
}

/* 1x1 GEMM, 8 channels x 32 pixels (two float16 rows of accumulators): twice
 * the FMAs per weight broadcast of conv1x1_w16, for maps of 32+ pixels.
 * global: (N*G*OCB, ceil (HW / 32)) */
__kernel void
conv1x1_w32 (__global const float *x, uint x_off,
    __global const WTYPE *wp, __global const float *bias, uint b_off, int has_bias,
    __global float *y, uint y_off, int C, int HW, int ys, int OC, int G, int act,
    float alpha)
{
  GEMM_SETUP (32, 1);
  float16 a0 = 0, a1 = 0, a2 = 0, a3 = 0, a4 = 0, a5 = 0, a6 = 0, a7 = 0;
  float16 b0 = 0, b1 = 0, b2 = 0, b3 = 0, b4 = 0, b5 = 0, b6 = 0, b7 = 0;
  {
    int16 l = (int16) (0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
    int16 c0 = select ((int16) 0, l, l < np), c1 = select ((int16) 0, l + 16, l + 16 < np);
    int ic = 0, icv = GEMM_VEC_CHANNELS (32);
    for (; ic < icv; ic++) {
      __global const float *r = xp + (size_t) ic * HW;
      float16 x0 = vload16 (0, r), x1 = vload16 (0, r + 16);
      __global const WTYPE *wv = wc + (size_t) ic * 8;
      FMA8_TO (a, x0, wv);
      FMA8_TO (b, x1, wv);
    }
    for (; ic < ICg; ic++) {
      __global const float *r = xp + (size_t) ic * HW;
      float16 x0 = GATHER16 (r, c0), x1 = GATHER16 (r, c1);
      __global const WTYPE *wv = wc + (size_t) ic * 8;
      FMA8_TO (a, x0, wv);
      FMA8_TO (b, x1, wv);
    }
  }
  {
    __global float *yp = y + y_off + (size_t) (n * OC + g * OCg) * ys + p0;
    int n0 = min (16, np), n1 = np - n0;
    STORE8 (a, yp, ys, n0, ocb, OCg, g * OCg, bias, b_off, has_bias, act, alpha);
    if (n1 > 0)
      STORE8 (b, yp + 16, ys, n1, ocb, OCg, g * OCg, bias, b_off, has_bias, act, alpha);
  }
}

/* conv1x1_w16 with 16 output channels (two packed blocks) x 16 pixels a
 * work-item, as conv2d_c16: each input vector feeds 16 FMAs.  An odd last
 * block reads the block before again (not stored).
 * global: (N*G*ceil (OCB / 2), ceil (HW / 16)) */
__kernel void
conv1x1_c16 (__global const float *x, uint x_off,
    __global const WTYPE *wp, __global const float *bias, uint b_off, int has_bias,
    __global float *y, uint y_off, int C, int HW, int ys, int OC, int G, int act,
    float alpha)
{
  GEMM_SETUP (16, 2);
  float16 a0 = 0, a1 = 0, a2 = 0, a3 = 0, a4 = 0, a5 = 0, a6 = 0, a7 = 0;
  float16 b0 = 0, b1 = 0, b2 = 0, b3 = 0, b4 = 0, b5 = 0, b6 = 0, b7 = 0;
  size_t wpanel = ocb + 1 < OCB ? (size_t) ICg * 8 : 0;
  {
    int16 l = (int16) (0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
    int16 li = select ((int16) 0, l, l < np);
    int ic = 0, icv = GEMM_VEC_CHANNELS (16);
    for (; ic < icv; ic++) {
      float16 xv = vload16 (0, xp + (size_t) ic * HW);
      __global const WTYPE *wv = wc + (size_t) ic * 8;
      FMA8_TO (a, xv, wv);
      FMA8_TO (b, xv, wv + wpanel);
    }
    for (; ic < ICg; ic++) {
      __global const float *r = xp + (size_t) ic * HW;
      float16 xv = GATHER16 (r, li);
      __global const WTYPE *wv = wc + (size_t) ic * 8;
      FMA8_TO (a, xv, wv);
      FMA8_TO (b, xv, wv + wpanel);
    }
  }
  {
    __global float *yp = y + y_off + (size_t) (n * OC + g * OCg) * ys + p0;
    STORE8 (a, yp, ys, np, ocb, OCg, g * OCg, bias, b_off, has_bias, act, alpha);
    if (ocb + 1 < OCB)
      STORE8 (b, yp, ys, np, ocb + 1, OCg, g * OCg, bias, b_off, has_bias, act, alpha);
  }
}

/* 8 packed weights at p as a float8, fp32 whatever the weight type. */
#ifdef YV7_HALF_WEIGHTS
#define W8LOAD(p) vload_half8 (0, (p))
#else
#define W8LOAD(p) vload8 (0, (p))
#endif

/* The four 8-channel blocks of packed weights (TYPE) of the 32 output
 * channels from block q * 4, w0 at first: w0..w3, panel elements apart;
 * blocks past the last one (fewer than 32 channels left) read the last
 * block again, and their lanes are not stored. */
#define OC32_STREAMS(TYPE, first) \
  __global const TYPE *w0 = (first); \
  __global const TYPE *w1 = w0 + min (1, OCB - 1 - q * 4) * panel; \
  __global const TYPE *w2 = w0 + min (2, OCB - 1 - q * 4) * panel; \
  __global const TYPE *w3 = w0 + min (3, OCB - 1 - q * 4) * panel

/* One input pixel's value r[j] times the 32 output channels' weights
 * (wa, wb) into pixel j's accumulators. */
#define OC32_FMA(j) do { \
    float16 xj_ = (float16) r[j]; \
    a##j = fma (wa, xj_, a##j); \
    b##j = fma (wb, xj_, b##j); \
  } while (0)

/* Pixel j's 32 output channels (a##j: the first 16, b##j: the next 16)
 * stored with bias and activation, lane by lane (channel stride cs). */
#define OC32_STORE(j) do { \
    float16 va_ = yv7_act16 (a##j + ba, act, alpha), vb_ = yv7_act16 (b##j + bb, act, alpha); \
    float o_[32]; \
    vstore16 (va_, 0, o_); \
    vstore16 (vb_, 0, o_ + 16); \
    for (int l_ = 0; l_ < noc; l_++) \
      yp[(size_t) l_ * cs + (j)] = o_[l_]; \
  } while (0)

/* 1x1 GEMM for small maps, output channels in the lanes: a work-item 32
 * output channels (two float16 accumulators) x 10 pixels, each input
 * value broadcast once for 32 channels.  The pixel-lane kernels above
 * idle lanes where the map is not a multiple of 32 pixels (10x10: 100 of
 * 128); here every lane works when the channels are a multiple of 32 (255:
 * 255 of 256).  The last block of a map is moved back to end at the map's
 * end (it recomputes, and stores again with the same values, pixels of
 * the block before), so no lane reads past the map: HW >= 10.  The 32
 * channels are four 8-channel blocks of the packed weights, read as four
 * streams.  global: (N*G*ceil (OCB / 4), ceil (HW / 10)) */
__kernel void
conv1x1_oc32 (__global const float *x, uint x_off,
    __global const WTYPE *wp, __global const float *bias, uint b_off, int has_bias,
    __global float *y, uint y_off, int C, int HW, int ys, int OC, int G, int act,
    float alpha)
{
  int pb = get_global_id (1), z = get_global_id (0);
  int OCg = OC / G, ICg = C / G, OCB = (OCg + 7) / 8, OCQ = (OCB + 3) / 4;
  int q = z % OCQ, t = z / OCQ, g = t % G, n = t / G;
  int p0 = min (pb * 10, HW - 10), noc = min (32, OCg - q * 32);
  __global const float *xp = x + x_off + (size_t) (n * C + g * ICg) * HW + p0;
  size_t panel = (size_t) ICg * 8;
  OC32_STREAMS (WTYPE, wp + (size_t) (g * OCB + q * 4) * panel);
  float16 a0 = 0, a1 = 0, a2 = 0, a3 = 0, a4 = 0, a5 = 0, a6 = 0, a7 = 0, a8 = 0, a9 = 0;
  float16 b0 = 0, b1 = 0, b2 = 0, b3 = 0, b4 = 0, b5 = 0, b6 = 0, b7 = 0, b8 = 0, b9 = 0;

  for (int ic = 0; ic < ICg; ic++) {
    __global const float *r = xp + (size_t) ic * HW;
    float16 wa = (float16) (W8LOAD (w0 + ic * 8), W8LOAD (w1 + ic * 8));
    float16 wb = (float16) (W8LOAD (w2 + ic * 8), W8LOAD (w3 + ic * 8));
    OC32_FMA (0); OC32_FMA (1); OC32_FMA (2); OC32_FMA (3); OC32_FMA (4);
    OC32_FMA (5); OC32_FMA (6); OC32_FMA (7); OC32_FMA (8); OC32_FMA (9);
  }
  {
    int oc0 = g * OCg + q * 32;
    float16 ba = 0.0f, bb = 0.0f;
    size_t cs = (size_t) ys;
    __global float *yp = y + y_off + (size_t) (n * OC + oc0) * ys + p0;
    if (has_bias) {
      float bl[32];
      for (int l = 0; l < 32; l++)
        bl[l] = l < noc ? bias[b_off + oc0 + l] : 0.0f;
      ba = vload16 (0, bl);
      bb = vload16 (0, bl + 16);
    }
    OC32_STORE (0); OC32_STORE (1); OC32_STORE (2); OC32_STORE (3); OC32_STORE (4);
    OC32_STORE (5); OC32_STORE (6); OC32_STORE (7); OC32_STORE (8); OC32_STORE (9);
  }
}

/* One band of a conv's im2col matrix (one image, G = 1): col[k][r * OW + ox]
 * for k = (ic * KH + ky) * KW + kx, the band's output rows oy0 + r and all
 * columns ox, zero where the tap reads padding, so that conv1x1_w32 with
 * C = ICg * KH * KW computes the band.  Rows are in the packed weights'
 * tap order.  global: (ceil (OW / 16), rows, ICg * KH * KW) */
__kernel void
conv_im2col (__global const float *x, uint x_off, __global float *col,
    int H, int W, int OW, int KH, int KW, int SH, int SW, int PH, int PW,
    int DH, int DW, int oy0, int rows)
{
  int xb = get_global_id (0), r = get_global_id (1), k = get_global_id (2);
  int kx = k % KW, t = k / KW, ky = t % KH, ic = t / KH;
  int ox0 = xb * 16, nx = min (16, OW - ox0);
  int iy = (oy0 + r) * SH - PH + ky * DH;
  int base = ox0 * SW - PW + kx * DW;
  int16 l = (int16) (0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
  float16 v = 0.0f;
  __global float *cr = col + ((size_t) k * rows + r) * OW + ox0;
  if (iy >= 0 && iy < H) {
    __global const float *row = x + x_off + ((size_t) ic * H + iy) * W;
    v = tap16 (row, base, (nx - 1) * SW, ROW_BACK (row, x), (H - iy) * W, W, SW,
        base + l * SW, l < nx);
  }
  if (nx == 16) {
    vstore16 (v, 0, cr);
  } else {
    float o[16];
    vstore16 (v, 0, o);
    for (int i = 0; i < nx; i++)
      cr[i] = o[i];
  }
}
