/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* conv.cl: 2-D convolution (1-D as H = 1).  Weights are packed once into
 * [G][OCB][ICg][KH][KW][8] (8 output channels side by side, zero-padded) so
 * each work-item computes an 8 output-channel x 8 output-x register tile
 * with float8 FMAs.  Bias and activation are applied in the store. */

__kernel void
conv_pack_weights (__global const float *w, uint w_off, __global float *p,
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
  p[i] = v;
}

__kernel void
conv2d_packed (__global const float *x, uint x_off,
    __global const float *wp, __global const float *bias, uint b_off, int has_bias,
    __global float *y, uint y_off,
    int C, int H, int W, int OC, int OH, int OW,
    int KH, int KW, int SH, int SW, int PH, int PW, int DH, int DW, int G,
    int act, float alpha)
{
  int oxb = get_global_id (0), oy = get_global_id (1), z = get_global_id (2);
  int OCg = OC / G, ICg = C / G, OCB = (OCg + 7) / 8;
  int ocb = z % OCB, t = z / OCB, g = t % G, n = t / G;
  int ox0 = oxb * 8;
  float8 acc0 = 0, acc1 = 0, acc2 = 0, acc3 = 0, acc4 = 0, acc5 = 0, acc6 = 0, acc7 = 0;
  /* the 8 lanes' input x for kx = 0 */
  int8 ixs = (int8) (0, 1, 2, 3, 4, 5, 6, 7);
  int8 ix0 = (ox0 + ixs) * SW - PW;
  int8 lane_ok = (ox0 + ixs) < OW;
  bool fast = SW == 1 && ox0 + 8 <= OW;

  for (int ic = 0; ic < ICg; ic++) {
    __global const float *xc = x + x_off + ((size_t) (n * C + g * ICg + ic) * H) * W;
    __global const float *wc = wp + ((size_t) ((g * OCB + ocb) * ICg + ic) * KH) * KW * 8;
    for (int ky = 0; ky < KH; ky++) {
      int iy = oy * SH - PH + ky * DH;
      if (iy < 0 || iy >= H)
        continue;
      __global const float *row = xc + (size_t) iy * W;
      __global const float *wk = wc + (size_t) ky * KW * 8;
      for (int kx = 0; kx < KW; kx++) {
        float8 xv;
        int base = ox0 - PW + kx * DW;
        if (fast && base >= 0 && base + 8 <= W) {
          xv = vload8 (0, row + base);
        } else {
          int8 ix = ix0 + kx * DW;
          int8 ok = lane_ok & (ix >= 0) & (ix < W);
          int8 cl = select ((int8) 0, ix, ok);
          xv = (float8) (row[cl.s0], row[cl.s1], row[cl.s2], row[cl.s3],
              row[cl.s4], row[cl.s5], row[cl.s6], row[cl.s7]);
          xv = select ((float8) 0.0f, xv, ok);
        }
        float8 wv = vload8 (kx, wk);
        acc0 = fma ((float8) wv.s0, xv, acc0);
        acc1 = fma ((float8) wv.s1, xv, acc1);
        acc2 = fma ((float8) wv.s2, xv, acc2);
        acc3 = fma ((float8) wv.s3, xv, acc3);
        acc4 = fma ((float8) wv.s4, xv, acc4);
        acc5 = fma ((float8) wv.s5, xv, acc5);
        acc6 = fma ((float8) wv.s6, xv, acc6);
        acc7 = fma ((float8) wv.s7, xv, acc7);
      }
    }
  }

  float8 accs[8] = { acc0, acc1, acc2, acc3, acc4, acc5, acc6, acc7 };
  for (int j = 0; j < 8; j++) {
    int oc = ocb * 8 + j;
    if (oc >= OCg)
      break;
    int ocf = g * OCg + oc;
    float b = has_bias ? bias[b_off + ocf] : 0.0f;
    __global float *yr = y + y_off + ((size_t) (n * OC + ocf) * OH + oy) * OW;
    float8 v = accs[j] + b;
    float r[8];
    vstore8 (v, 0, r);
    for (int l = 0; l < 8; l++)
      if (ox0 + l < OW)
        yr[ox0 + l] = yv7_act (r[l], act, alpha);
  }
}
