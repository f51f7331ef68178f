/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* winograd.cl: 3x3 stride-1 convolution as Winograd F(4x4, 3x3) (Lavin and
 * Gray, "Fast Algorithms for Convolutional Neural Networks", 2016): each
 * 4x4 output tile is A^T [(G g G^T) . (B^T d B)] A over a 6x6 input tile d.
 * The weights' transform U = G g G^T is done once at load (on the host),
 * packed [36][OCB][C][8].  A run is three kernels:
 *   wino_input:  V[n][36][C][Tp] = B^T d B for every tile (Tp = tiles
 *                rounded up to 16 or 32), 16 tiles a work-item,
 *   wino_gemm:   M[n][k] = U[k] x V[n][k] for each of the 36 positions k,
 *                the same 8x32 register tile as conv1x1_w32,
 *   wino_output: y = A^T M A + bias, activation, for the tiles' valid
 *                pixels, 16 tiles a work-item.
 * 36 multiplies per 16 outputs and channel instead of 144. */

/* B^T x for one 6-vector (of float16: 16 tiles at once) */
#define BT6(d0, d1, d2, d3, d4, d5, r0, r1, r2, r3, r4, r5) do { \
    r0 = 4.0f * (d0) - 5.0f * (d2) + (d4); \
    r1 = -4.0f * ((d1) + (d2)) + (d3) + (d4); \
    r2 = 4.0f * ((d1) - (d2)) - (d3) + (d4); \
    r3 = 2.0f * ((d3) - (d1)) - (d2) + (d4); \
    r4 = 2.0f * ((d1) - (d3)) - (d2) + (d4); \
    r5 = 4.0f * (d1) - 5.0f * (d3) + (d5); \
  } while (0)

/* Lanes l0..l1-1 of d (one tile a lane) from one run of consecutive tiles
 * of a tile row: lane l's 6x6 patch is x[iy0 + i][base + 4 l + j], zero
 * outside the map.  Each patch row of all 16 lanes is one stride-4
 * sequence per column j: four vector loads from base and four from base
 * + 4, split by even/odd shuffles (the loads run past the lanes' last
 * column, into the next row, and must stay inside the buffer; else, and
 * at the buffer's start, lane by lane). */
static inline void
wino_segment (__global const float *x, __global const float *xc, int H, int W, int iy0,
    int base, int l0, int l1, float d[36][16])
{
  int16 l = (int16) (0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
  int16 inseg = (l >= l0) & (l < l1), col = base + 4 * l;
  int16 ok[6];
  for (int j = 0; j < 6; j++)
    ok[j] = inseg & (col + j >= 0) & (col + j < W);
  for (int i = 0; i < 6; i++) {
    int iy = iy0 + i;
    float16 c[6];
    if (iy < 0 || iy >= H)
      continue;   /* d's lanes stay zero */
    __global const float *r = xc + (size_t) iy * W;
    if ((r - x) + base >= 0 && (H - iy) * W - base >= 68) {
      __global const float *p = r + base;
      float16 v0 = vload16 (0, p), v1 = vload16 (1, p), v2 = vload16 (2, p), v3 = vload16 (3, p);
      float16 e = (float16) (v0.even, v1.even), e2 = (float16) (v2.even, v3.even);
      float16 o = (float16) (v0.odd, v1.odd), o2 = (float16) (v2.odd, v3.odd);
      float16 w0 = vload16 (0, p + 4), w1 = vload16 (1, p + 4);
      float16 w2 = vload16 (2, p + 4), w3 = vload16 (3, p + 4);
      float16 f = (float16) (w0.even, w1.even), f2 = (float16) (w2.even, w3.even);
      float16 h = (float16) (w0.odd, w1.odd), h2 = (float16) (w2.odd, w3.odd);
      c[0] = (float16) (e.even, e2.even);
      c[1] = (float16) (o.even, o2.even);
      c[2] = (float16) (e.odd, e2.odd);
      c[3] = (float16) (o.odd, o2.odd);
      c[4] = (float16) (f.even, f2.even);
      c[5] = (float16) (h.even, h2.even);
    } else {
      for (int j = 0; j < 6; j++) {
        int16 cj = select ((int16) 0, col + j, ok[j]);
        c[j] = GATHER16 (r, cj);
      }
    }
    for (int j = 0; j < 6; j++) {
      float16 old = vload16 (0, d[i * 6 + j]);
      vstore16 (select (old, c[j], ok[j]), 0, d[i * 6 + j]);
    }
  }
}

/* Each work-item transforms 16 consecutive tiles (in the flattened tile
 * order, so a block may span tile rows) of one channel, a tile a lane: the
 * 6x6 patches are read into d (zeros outside the input and past the last
 * tile: V's padding columns get zeros), as vectors by wino_segment on maps
 * of 8+ tiles a row (at most three segments a block; 10 chained 64-channel
 * layers at 80x80 -10%, 128 channels -5%), else lane by lane; both passes of the
 * transform run on whole float16 vectors and V's 36 rows are written with
 * vector stores.  One launch covers the band of Tp tiles from tile tband
 * (V holds that band only).  global: (Tp / 16, C, N) */
__kernel void
wino_input (__global const float *x, uint x_off, __global float *v,
    int C, int H, int W, int PH, int PW, int TX, int tband, int tiles, int Tp)
{
  int tb = get_global_id (0), c = get_global_id (1), n = get_global_id (2);
  int t0 = tband + tb * 16;
  __global const float *xc = x + x_off + (size_t) (n * C + c) * H * W;
  float d[36][16];

  if (TX >= 8) {
    /* rows of 8+ tiles: the block's lanes fall into at most three runs of
     * consecutive tiles of one tile row each (segments), and each segment's
     * patches are read as whole vectors */
    for (int k = 0; k < 36; k++)
      vstore16 ((float16) 0.0f, 0, d[k]);
    for (int l = 0, t = t0; l < 16 && t < tiles;) {
      int ty = t / TX, tx = t % TX, nl = min (min (16 - l, TX - tx), tiles - t);
      wino_segment (x, xc, H, W, ty * 4 - PH, (tx - l) * 4 - PW, l, l + nl, d);
      l += nl;
      t += nl;
    }
  } else {
    /* narrower rows: lane by lane */
    for (int l = 0; l < 16; l++) {
      int t = t0 + l, ty = t / TX, tx = t % TX;
      int iy0 = ty * 4 - PH, ix0 = tx * 4 - PW;
      if (t < tiles && iy0 >= 0 && ix0 >= 0 && iy0 + 6 <= H && ix0 + 6 <= W) {
        for (int i = 0; i < 6; i++) {
          __global const float *r = xc + (size_t) (iy0 + i) * W + ix0;
          for (int j = 0; j < 6; j++)
            d[i * 6 + j][l] = r[j];
        }
      } else {
        for (int i = 0; i < 6; i++)
          for (int j = 0; j < 6; j++) {
            int iy = iy0 + i, ix = ix0 + j;
            d[i * 6 + j][l] = (t < tiles && iy >= 0 && iy < H && ix >= 0 && ix < W)
                ? xc[(size_t) iy * W + ix] : 0.0f;
          }
      }
    }
  }
  /* rows: d = d B (in place, a row at a time) */
  for (int i = 0; i < 6; i++) {
    float16 e0 = vload16 (0, d[i * 6]), e1 = vload16 (0, d[i * 6 + 1]);
    float16 e2 = vload16 (0, d[i * 6 + 2]), e3 = vload16 (0, d[i * 6 + 3]);
    float16 e4 = vload16 (0, d[i * 6 + 4]), e5 = vload16 (0, d[i * 6 + 5]);
    float16 r0, r1, r2, r3, r4, r5;
    BT6 (e0, e1, e2, e3, e4, e5, r0, r1, r2, r3, r4, r5);
    vstore16 (r0, 0, d[i * 6]), vstore16 (r1, 0, d[i * 6 + 1]);
    vstore16 (r2, 0, d[i * 6 + 2]), vstore16 (r3, 0, d[i * 6 + 3]);
    vstore16 (r4, 0, d[i * 6 + 4]), vstore16 (r5, 0, d[i * 6 + 5]);
  }
  /* columns: V = B^T d, straight into V's rows k = i * 6 + j */
  {
    size_t ks = (size_t) C * Tp;
    __global float *vp = v + ((size_t) n * 36 * C + c) * Tp + tb * 16;
    for (int j = 0; j < 6; j++) {
      float16 e0 = vload16 (0, d[j]), e1 = vload16 (0, d[6 + j]);
      float16 e2 = vload16 (0, d[12 + j]), e3 = vload16 (0, d[18 + j]);
      float16 e4 = vload16 (0, d[24 + j]), e5 = vload16 (0, d[30 + j]);
      float16 r0, r1, r2, r3, r4, r5;
      BT6 (e0, e1, e2, e3, e4, e5, r0, r1, r2, r3, r4, r5);
      vstore16 (r0, 0, vp + (size_t) j * ks);
      vstore16 (r1, 0, vp + (size_t) (6 + j) * ks);
      vstore16 (r2, 0, vp + (size_t) (12 + j) * ks);
      vstore16 (r3, 0, vp + (size_t) (18 + j) * ks);
      vstore16 (r4, 0, vp + (size_t) (24 + j) * ks);
      vstore16 (r5, 0, vp + (size_t) (30 + j) * ks);
    }
  }
}

/* The GEMMs' point k and image n (z = n * 36 + k, their V and M rows):
 * global id 2 runs over the points, the images of a point next to each
 * other, so that at batch > 1 the work-items that read the same U[k] run
 * together and find it in cache (U is 4x the 3x3 weights: at 10x10 to
 * 20x20 maps the GEMMs wait on it). */
#define WINO_GEMM_POINT \
  int nimg_ = (int) get_global_size (2) / 36, k = (int) get_global_id (2) / nimg_; \
  int z = (int) get_global_id (2) % nimg_ * 36 + k

/* The work-item's place in wino_gemm and wino_gemm16 (TW tiles wide):
 * xp its V panel, wc its U panel, mp its first M row, nj its channels. */
#define WINO_GEMM_SETUP(TW) \
  int ocb = get_global_id (0), tb = get_global_id (1); \
  WINO_GEMM_POINT; \
  int OCB = (OC + 7) / 8, nj = min (8, OC - ocb * 8); \
  __global const float *xp = v + (size_t) z * C * Tp + tb * (TW); \
  __global const float *wc = u + ((size_t) k * OCB + ocb) * C * 8; \
  __global float *mp = m + m_off + ((size_t) z * OC + ocb * 8) * Tp + tb * (TW)

/* M[k] = U[k] V[k] for each of the 36 points k: 8 output channels x 32
 * tiles a work-item (as conv1x1_w32), the channel blocks fastest so the
 * work-items that share a V panel run one after another.
 * global: (OCB, Tp / 32, N * 36) */
__kernel void
wino_gemm (__global const float *v, __global const float *u, __global float *m,
    uint m_off, int C, int OC, int Tp)
{
  WINO_GEMM_SETUP (32);
  float16 a0 = 0, a1 = 0, a2 = 0, a3 = 0, a4 = 0, a5 = 0, a6 = 0, a7 = 0;
  float16 b0 = 0, b1 = 0, b2 = 0, b3 = 0, b4 = 0, b5 = 0, b6 = 0, b7 = 0;
  for (int ic = 0; ic < C; ic++) {
    __global const float *r = xp + (size_t) ic * Tp;
    float16 x0 = vload16 (0, r), x1 = vload16 (0, r + 16);
    __global const float *wv = wc + (size_t) ic * 8;
    FMA8_LD (a, x0, wv, FLOAD);   /* U stays fp32 */
    FMA8_LD (b, x1, wv, FLOAD);
  }
  {
    float16 as[8] = { a0, a1, a2, a3, a4, a5, a6, a7 };
    float16 bs[8] = { b0, b1, b2, b3, b4, b5, b6, b7 };
    for (int j = 0; j < nj; j++) {
      vstore16 (as[j], 0, mp + (size_t) j * Tp);
      vstore16 (bs[j], 0, mp + (size_t) j * Tp + 16);
    }
  }
}

/* wino_gemm with 16 tiles a work-item, for maps of at most 16 tiles (13x13
 * and smaller), where 32 would leave half the lanes or more idle.
 * global: (OCB, Tp / 16, N * 36) */
__kernel void
wino_gemm16 (__global const float *v, __global const float *u, __global float *m,
    uint m_off, int C, int OC, int Tp)
{
  WINO_GEMM_SETUP (16);
  float16 a0 = 0, a1 = 0, a2 = 0, a3 = 0, a4 = 0, a5 = 0, a6 = 0, a7 = 0;
  for (int ic = 0; ic < C; ic++) {
    float16 x0 = vload16 (0, xp + (size_t) ic * Tp);
    FMA8_LD (a, x0, wc + (size_t) ic * 8, FLOAD);
  }
  {
    float16 as[8] = { a0, a1, a2, a3, a4, a5, a6, a7 };
    for (int j = 0; j < nj; j++)
      vstore16 (as[j], 0, mp + (size_t) j * Tp);
  }
}

/* wino_gemm for maps of at most 9 tiles (3x3 tiles: maps of 9 to 12 pixels
 * a side), output channels in the lanes as in conv1x1_oc32: 32 output
 * channels x the map's 9 tiles a work-item, where wino_gemm16 would leave
 * 7 of its 16 lanes idle.  U's four 8-channel blocks are read as four
 * streams; M's rows get the 9 tiles only (wino_output's lanes past them
 * are not stored).  global: (ceil (OCB / 4), 1, N * 36) */
__kernel void
wino_gemm_oc32 (__global const float *v, __global const float *u, __global float *m,
    uint m_off, int C, int OC, int Tp)
{
  int q = get_global_id (0);
  WINO_GEMM_POINT;
  int OCB = (OC + 7) / 8, noc = min (32, OC - q * 32);
  __global const float *xp = v + (size_t) z * C * Tp;
  size_t panel = (size_t) C * 8;
  OC32_STREAMS (float, u + ((size_t) k * OCB + q * 4) * panel);
  __global float *mp = m + m_off + ((size_t) z * OC + q * 32) * Tp;
  float16 a0 = 0, a1 = 0, a2 = 0, a3 = 0, a4 = 0, a5 = 0, a6 = 0, a7 = 0, a8 = 0;
  float16 b0 = 0, b1 = 0, b2 = 0, b3 = 0, b4 = 0, b5 = 0, b6 = 0, b7 = 0, b8 = 0;
  for (int ic = 0; ic < C; ic++) {
    __global const float *r = xp + (size_t) ic * Tp;
    float16 wa = (float16) (vload8 (0, w0 + ic * 8), vload8 (0, w1 + ic * 8));
    float16 wb = (float16) (vload8 (0, w2 + ic * 8), vload8 (0, w3 + ic * 8));
    OC32_FMA (0); OC32_FMA (1); OC32_FMA (2); OC32_FMA (3); OC32_FMA (4);
    OC32_FMA (5); OC32_FMA (6); OC32_FMA (7); OC32_FMA (8);
  }
  {
    float16 as[9] = { a0, a1, a2, a3, a4, a5, a6, a7, a8 };
    float16 bs[9] = { b0, b1, b2, b3, b4, b5, b6, b7, b8 };
    for (int j = 0; j < 9; j++) {
      float o[32];
      vstore16 (as[j], 0, o);
      vstore16 (bs[j], 0, o + 16);
      for (int l = 0; l < noc; l++)
        mp[(size_t) l * Tp + j] = o[l];
    }
  }
}

/* A^T x for one 6-vector of float16 (16 tiles at once) */
#define AT6(m0, m1, m2, m3, m4, m5, o0, o1, o2, o3) do { \
    float16 s12_ = (m1) + (m2), d12_ = (m1) - (m2); \
    float16 s34_ = (m3) + (m4), d34_ = (m3) - (m4); \
    o0 = (m0) + s12_ + s34_; \
    o1 = d12_ + 2.0f * d34_; \
    o2 = s12_ + 4.0f * s34_; \
    o3 = d12_ + 8.0f * d34_ + (m5); \
  } while (0)

/* Each work-item finishes 16 consecutive tiles of one output channel, a
 * tile a lane (as wino_input): M's 36 rows read as vectors, both passes of
 * A^T M A, bias and activation on float16, then each lane's 4x4 outputs
 * stored a row of 4 at a time (element by element at the map's right and
 * bottom edges).  The band of Tp tiles from tband, as in wino_input.
 * global: (Tp / 16, OC, N) */
__kernel void
wino_output (__global const float *m, uint m_off, __global const float *bias, uint b_off,
    int has_bias, __global float *y, uint y_off, int OC, int OH, int OW, int TX,
    int tband, int tiles, int Tp, int act, float alpha)
{
  int tb = get_global_id (0), oc = get_global_id (1), n = get_global_id (2);
  int t0 = tband + tb * 16, nt = min (16, tiles - t0);
  size_t ks = (size_t) OC * Tp;
  __global const float *mp = m + m_off + ((size_t) n * 36 * OC + oc) * Tp + tb * 16;
  __global float *yc = y + y_off + (size_t) (n * OC + oc) * OH * OW;
  float b = has_bias ? bias[b_off + oc] : 0.0f;
  float p[4][6][16], o[4][16];

  /* columns: p = A^T M */
  for (int j = 0; j < 6; j++) {
    float16 q0 = vload16 (0, mp + (size_t) j * ks), q1 = vload16 (0, mp + (size_t) (6 + j) * ks);
    float16 q2 = vload16 (0, mp + (size_t) (12 + j) * ks);
    float16 q3 = vload16 (0, mp + (size_t) (18 + j) * ks);
    float16 q4 = vload16 (0, mp + (size_t) (24 + j) * ks);
    float16 q5 = vload16 (0, mp + (size_t) (30 + j) * ks);
    float16 r0, r1, r2, r3;
    AT6 (q0, q1, q2, q3, q4, q5, r0, r1, r2, r3);
    vstore16 (r0, 0, p[0][j]), vstore16 (r1, 0, p[1][j]);
    vstore16 (r2, 0, p[2][j]), vstore16 (r3, 0, p[3][j]);
  }
  for (int i = 0; i < 4; i++) {
    /* rows: the outputs o = p A of tile row i, then bias and activation */
    float16 r0, r1, r2, r3;
    AT6 (vload16 (0, p[i][0]), vload16 (0, p[i][1]), vload16 (0, p[i][2]),
        vload16 (0, p[i][3]), vload16 (0, p[i][4]), vload16 (0, p[i][5]), r0, r1, r2, r3);
    vstore16 (yv7_act16 (r0 + b, act, alpha), 0, o[0]);
    vstore16 (yv7_act16 (r1 + b, act, alpha), 0, o[1]);
    vstore16 (yv7_act16 (r2 + b, act, alpha), 0, o[2]);
    vstore16 (yv7_act16 (r3 + b, act, alpha), 0, o[3]);
    for (int l = 0; l < nt; l++) {
      int t = t0 + l, oy = t / TX * 4 + i, ox0 = t % TX * 4;
      __global float *yr = yc + (size_t) oy * OW + ox0;
      if (oy >= OH)
        continue;
      if (ox0 + 4 <= OW) {
        vstore4 ((float4) (o[0][l], o[1][l], o[2][l], o[3][l]), 0, yr);
      } else {
        for (int jj = 0; jj < 4 && ox0 + jj < OW; jj++)
          yr[jj] = o[jj][l];
      }
    }
  }
}
