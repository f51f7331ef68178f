/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* layout.cl: data movement: strided N-d copies (Transpose, Slice, Split,
 * Concat), nearest Resize by per-axis index tables, MaxPool, MatMul and the
 * reductions over one axis. */

/* Add to element offsets xi, yi the offsets of outer index r over `rank`
 * dims (innermost last) with strides xs, ys. */
#define DECODE_OUTER(r, rank, dims, xs, ys, xi, yi) do { \
    int d_[8], sx_[8], sy_[8]; \
    vstore8 ((dims), 0, d_); \
    vstore8 ((xs), 0, sx_); \
    vstore8 ((ys), 0, sy_); \
    for (int k_ = (rank) - 1; k_ >= 0; k_--) { \
      long q_ = (long) ((r) % (size_t) d_[k_]); \
      (r) /= (size_t) d_[k_]; \
      (xi) += q_ * sx_[k_]; \
      (yi) += q_ * sy_[k_]; \
    } \
  } while (0)

/* global (inner, outer): dim 0 walks the innermost dim (strides ixs, iys),
 * dim 1 the other `rank` dims, decoded from their sizes. */
#define COPY_ND(NAME, T) \
__kernel void \
NAME (__global const T *x, int x_off, __global T *y, uint y_off, int rank, \
    int8 dims, int8 xs, int8 ys, int ixs, int iys) \
{ \
  size_t i = get_global_id (0), r = get_global_id (1); \
  long xi = x_off + (long) i * ixs, yi = y_off + (long) i * iys; \
  DECODE_OUTER (r, rank, dims, xs, ys, xi, yi); \
  y[yi] = x[xi]; \
}

/* One work-item a row of the innermost dim (many short rows: the YOLO head's
 * transposes and last-axis splits and concats).  global: (outer) */
#define COPY_ROWS(NAME, T) \
__kernel void \
NAME (__global const T *x, int x_off, __global T *y, uint y_off, int rank, \
    int8 dims, int8 xs, int8 ys, int ixs, int iys, int inner) \
{ \
  size_t r = get_global_id (0); \
  long xi = x_off, yi = y_off; \
  DECODE_OUTER (r, rank, dims, xs, ys, xi, yi); \
  if (ixs == 1 && iys == 1) \
    for (int i = 0; i < inner; i++) \
      y[yi + i] = x[xi + i]; \
  else \
    for (int i = 0; i < inner; i++) \
      y[yi + (long) i * iys] = x[xi + (long) i * ixs]; \
}

COPY_ROWS (copy_rows_4, uint)
COPY_ROWS (copy_rows_8, ulong)

/* Long rows with unit strides and 4-byte elements (channel concats and
 * splits at batch > 1, where a row is a whole image's slice): 64 elements
 * a work-item as uint16 vectors, the outer index decoded once.
 * global: (ceil (inner / 64), outer) */
__kernel void
copy_long_rows_4 (__global const uint *x, int x_off, __global uint *y, uint y_off, int rank,
    int8 dims, int8 xs, int8 ys, int inner)
{
  size_t r = get_global_id (1);
  int i0 = (int) get_global_id (0) * 64, n = min (64, inner - i0);
  long xi = x_off + i0, yi = y_off + i0;
  DECODE_OUTER (r, rank, dims, xs, ys, xi, yi);
  if (n == 64) {
    for (int k = 0; k < 4; k++)
      vstore16 (vload16 (k, x + xi), k, y + yi);
  } else {
    for (int k = 0; k < n; k++)
      y[yi + k] = x[xi + k];
  }
}

COPY_ND (copy_nd_4, uint)
COPY_ND (copy_nd_8, ulong)

/* out[n,c,h,w] = in[tn[n], tc[c], th[h], tw[w]]: the tables hold the ONNX
 * nearest-mode source index of every output coordinate, computed on the host. */
__kernel void
resize_nearest_f32 (__global const float *x, uint x_off, __global float *y, uint y_off,
    __global const int *tab, int4 idims, int4 odims)
{
  size_t i = get_global_id (0), r = i;
  int w = (int) (r % (size_t) odims.s3); r /= (size_t) odims.s3;
  int h = (int) (r % (size_t) odims.s2); r /= (size_t) odims.s2;
  int c = (int) (r % (size_t) odims.s1); r /= (size_t) odims.s1;
  int n = (int) r;
  int sn = tab[n];
  int sc = tab[odims.s0 + c];
  int sh = tab[odims.s0 + odims.s1 + h];
  int sw = tab[odims.s0 + odims.s1 + odims.s2 + w];
  y[y_off + i] = x[x_off + (((size_t) sn * idims.s1 + sc) * idims.s2 + sh) * idims.s3 + sw];
}

__kernel void
maxpool2d_f32 (__global const float *x, uint x_off, __global float *y, uint y_off,
    int H, int W, int OH, int OW, int KH, int KW, int SH, int SW, int PH, int PW,
    int DH, int DW)
{
  int ox = get_global_id (0), oy = get_global_id (1), nc = get_global_id (2);
  __global const float *xc = x + x_off + (size_t) nc * H * W;
  float m = -INFINITY;
  for (int ky = 0; ky < KH; ky++) {
    int iy = oy * SH - PH + ky * DH;
    if (iy < 0 || iy >= H)
      continue;
    for (int kx = 0; kx < KW; kx++) {
      int ix = ox * SW - PW + kx * DW;
      if (ix >= 0 && ix < W)
        m = fmax (m, xc[(size_t) iy * W + ix]);
    }
  }
  y[y_off + ((size_t) nc * OH + oy) * OW + ox] = m;
}

/* Stride 1, dilation 1 (the SPP pools): one work-item walks a column of
 * outputs, keeping the last KH row maxima in a ring, so each output costs
 * KW + KH comparisons instead of KW * KH.  global: (OW, N*C); KH <= 32. */
__kernel void
maxpool2d_s1_f32 (__global const float *x, uint x_off, __global float *y, uint y_off,
    int H, int W, int OH, int OW, int KH, int KW, int PH, int PW)
{
  int ox = get_global_id (0), nc = get_global_id (1);
  __global const float *xc = x + x_off + (size_t) nc * H * W;
  __global float *yc = y + y_off + (size_t) nc * OH * OW + ox;
  int kx0 = max (0, PW - ox), kx1 = min (KW, W + PW - ox);
  float ring[32];
  for (int r = 0; r < KH; r++) {
    int iy = r - PH;
    float m = -INFINITY;
    if (iy >= 0 && iy < H)
      for (int kx = kx0; kx < kx1; kx++)
        m = fmax (m, xc[(size_t) iy * W + ox - PW + kx]);
    ring[r] = m;
  }
  for (int oy = 0; oy < OH; oy++) {
    float m = -INFINITY;
    if (oy > 0) {
      int iy = oy - PH + KH - 1;
      float v = -INFINITY;
      if (iy >= 0 && iy < H)
        for (int kx = kx0; kx < kx1; kx++)
          v = fmax (v, xc[(size_t) iy * W + ox - PW + kx]);
      ring[(oy + KH - 1) % KH] = v;
    }
    for (int r = 0; r < KH; r++)
      m = fmax (m, ring[r]);
    yc[(size_t) oy * OW] = m;
  }
}

/* The maximum over columns base + kx (kx < KW) of input row iy, for 16
 * output columns, -inf for padding: each tap one vector load (running
 * into the neighbouring rows, whose lanes are then set to -inf, when the
 * load stays inside the buffer x; a gather at the plane's ends). */
static inline float16
maxpool_row16 (__global const float *x, __global const float *xc, int iy, int H, int W,
    int base, int KW, int nx)
{
  int16 l = (int16) (0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
  float16 m = -INFINITY;
  if (iy < 0 || iy >= H)
    return m;
  __global const float *row = xc + (size_t) iy * W;
  ptrdiff_t back = row - x;
  int room = (H - iy) * W;
  for (int kx = 0; kx < KW; kx++, base++) {
    int16 ix = base + l;
    float16 v;
    if (base >= -back && base + 16 <= room) {
      v = vload16 (0, row + base);
      if (base < 0 || base + nx > W)
        v = select (v, (float16) -INFINITY, (ix < 0) | (ix >= W));
    } else {
      int16 ok = (ix >= 0) & (ix < W) & (l < nx), c = select ((int16) 0, ix, ok);
      v = (float16) (row[c.s0], row[c.s1], row[c.s2], row[c.s3], row[c.s4], row[c.s5],
          row[c.s6], row[c.s7], row[c.s8], row[c.s9], row[c.sa], row[c.sb], row[c.sc],
          row[c.sd], row[c.se], row[c.sf]);
      v = select ((float16) -INFINITY, v, ok);
    }
    m = fmax (m, v);
  }
  return m;
}

/* Stride 1, dilation 1 (the SPP pools) on CPU devices: one work-item a
 * column strip of 16 outputs, walking down the map with the last KH row
 * maxima (maxpool_row16) in a ring: KW + KH vector steps an output row.
 * The column kernel above does the same with scalar loads, one column a
 * work-item, which PoCL did not vectorise.  global: (ceil (OW / 16), N*C);
 * KH <= 16. */
__kernel void
maxpool2d_s1_w16 (__global const float *x, uint x_off, __global float *y, uint y_off,
    int H, int W, int OH, int OW, int KH, int KW, int PH, int PW)
{
  int ox0 = (int) get_global_id (0) * 16, nc = get_global_id (1);
  int nx = min (16, OW - ox0), base = ox0 - PW;
  __global const float *xc = x + x_off + (size_t) nc * H * W;
  __global float *yc = y + y_off + (size_t) nc * OH * OW + ox0;
  float16 ring[16];
  for (int r = 0; r < KH - 1; r++)
    ring[r] = maxpool_row16 (x, xc, r - PH, H, W, base, KW, nx);
  for (int oy = 0; oy < OH; oy++) {
    float16 m;
    ring[(oy + KH - 1) % KH] = maxpool_row16 (x, xc, oy - PH + KH - 1, H, W, base, KW, nx);
    m = ring[0];
    for (int r = 1; r < KH; r++)
      m = fmax (m, ring[r]);
    if (nx == 16) {
      vstore16 (m, 0, yc + (size_t) oy * OW);
    } else {
      float o[16];
      vstore16 (m, 0, o);
      for (int i = 0; i < nx; i++)
        yc[(size_t) oy * OW + i] = o[i];
    }
  }
}

/* C[b] = A[b] (MxK) x B[b] (KxN); a zero batch stride broadcasts. */
__kernel void
matmul_f32 (__global const float *a, uint a_off, __global const float *b, uint b_off,
    __global float *c, uint c_off, int M, int N, int K, int a_bs, int b_bs)
{
  int j = get_global_id (0), i = get_global_id (1), z = get_global_id (2);
  __global const float *ar = a + a_off + (size_t) z * a_bs + (size_t) i * K;
  __global const float *bc = b + b_off + (size_t) z * b_bs + j;
  float s = 0.0f;
  for (int k = 0; k < K; k++)
    s = fma (ar[k], bc[(size_t) k * N], s);
  c[c_off + ((size_t) z * M + i) * N + j] = s;
}

/* [outer, R, inner] -> [outer, inner] */
__kernel void
reduce_max_f32 (__global const float *x, uint x_off, __global float *y, uint y_off,
    int R, int inner)
{
  int in = get_global_id (0), o = get_global_id (1);
  __global const float *p = x + x_off + (size_t) o * R * inner + in;
  float m = -INFINITY;
  for (int r = 0; r < R; r++) {
    float v = p[(size_t) r * inner];
    m = (v > m || isnan (v)) ? v : m;
  }
  y[y_off + (size_t) o * inner + in] = m;
}

__kernel void
argmax_f32 (__global const float *x, uint x_off, __global long *y, uint y_off,
    int R, int inner, int select_last)
{
  int in = get_global_id (0), o = get_global_id (1);
  __global const float *p = x + x_off + (size_t) o * R * inner + in;
  float m = p[0];
  long best = 0;
  for (int r = 1; r < R; r++) {
    float v = p[(size_t) r * inner];
    if (v > m || (select_last && v == m)) {
      m = v;
      best = r;
    }
  }
  y[y_off + (size_t) o * inner + in] = best;
}

/* Nearest Resize by exactly 2 in H and W, N and C kept (the YOLO necks'
 * upsampling), for CPU devices: one work-item reads 8 values of an input row
 * and writes them twice each into both output rows, as vectors.
 * global: (ceil (W / 8), H, N*C) */
__kernel void
resize_nearest2x_f32 (__global const float *x, uint x_off, __global float *y, uint y_off,
    int H, int W)
{
  int x0 = (int) get_global_id (0) * 8, iy = get_global_id (1), nc = get_global_id (2);
  int n = min (8, W - x0);
  __global const float *xr = x + x_off + ((size_t) nc * H + iy) * W + x0;
  __global float *y0 = y + y_off + ((size_t) nc * 2 * H + 2 * iy) * 2 * W + 2 * x0;
  __global float *y1 = y0 + 2 * W;
  if (n == 8) {
    float8 v = vload8 (0, xr);
    float16 d = (float16) (v.s0, v.s0, v.s1, v.s1, v.s2, v.s2, v.s3, v.s3,
        v.s4, v.s4, v.s5, v.s5, v.s6, v.s6, v.s7, v.s7);
    vstore16 (d, 0, y0);
    vstore16 (d, 0, y1);
  } else {
    for (int i = 0; i < n; i++) {
      float v = xr[i];
      y0[2 * i] = y0[2 * i + 1] = y1[2 * i] = y1[2 * i + 1] = v;
    }
  }
}

/* MaxPool 2x2, stride 2, no padding, H and W even (the YOLO MP blocks), for
 * CPU devices: one work-item makes 8 outputs of a row from two 16-value
 * input rows, pairs taken by even/odd lanes.  global: (ceil (OW / 8), OH, N*C) */
__kernel void
maxpool2x2_f32 (__global const float *x, uint x_off, __global float *y, uint y_off,
    int OH, int OW)
{
  int ox0 = (int) get_global_id (0) * 8, oy = get_global_id (1), nc = get_global_id (2);
  int n = min (8, OW - ox0), W = 2 * OW;
  __global const float *r0 = x + x_off + ((size_t) nc * 2 * OH + 2 * oy) * W + 2 * ox0;
  __global const float *r1 = r0 + W;
  __global float *yr = y + y_off + ((size_t) nc * OH + oy) * OW + ox0;
  if (n == 8) {
    float16 m = fmax (vload16 (0, r0), vload16 (0, r1));
    vstore8 (fmax (m.even, m.odd), 0, yr);
  } else {
    for (int i = 0; i < n; i++)
      yr[i] = fmax (fmax (r0[2 * i], r0[2 * i + 1]), fmax (r1[2 * i], r1[2 * i + 1]));
  }
}
