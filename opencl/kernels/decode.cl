/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* decode.cl: the official --grid head decode in one pass (the graph's
 * Reshape, Transpose, Sigmoid, Split, Mul, Add, Pow, Mul and Concat):
 *   v = sigmoid (x[n][a*no + c][p])
 *   c < 2: v * scale + grid[p][c]    c < 4: v^2 * anchors[a][c - 2]    else v
 * written to y[n][a][p][c], the layout of the head's [N, na*H*W, no] rows.
 * global: (no, H*W, N*na): writes are contiguous (measured faster on PoCL
 * than contiguous reads) */
__kernel void
yolo_grid_decode (__global const float *x, uint x_off, __global const float *grid,
    uint g_off, __global const float *anchors, uint a_off, __global float *y,
    uint y_off, int no, int HW, int na, float scale)
{
  int c = get_global_id (0), p = get_global_id (1), z = get_global_id (2);
  float v = yv7_sigmoid (x[x_off + ((size_t) z * no + c) * HW + p]);
  if (c < 2)
    v = v * scale + grid[g_off + (size_t) p * 2 + c];
  else if (c < 4)
    v = v * v * anchors[a_off + (z % na) * 2 + c - 2];
  y[y_off + ((size_t) z * HW + p) * no + c] = v;
}

/* The sigmoid of the 8 floats at p; the 8 values v stored down channel c
 * of the 8 rows at ys (row stride no). */
#define DECODE_SIG8(p) (1.0f / (1.0f + native_exp (-vload8 (0, (p)))))
#define DECODE_COL8(v, c) do { \
    ys[(c)] = (v).s0; ys[no + (c)] = (v).s1; ys[2 * no + (c)] = (v).s2; \
    ys[3 * no + (c)] = (v).s3; ys[4 * no + (c)] = (v).s4; ys[5 * no + (c)] = (v).s5; \
    ys[6 * no + (c)] = (v).s6; ys[7 * no + (c)] = (v).s7; \
  } while (0)

/* The same decode for CPU devices: one work-item a run of 8 pixels of one
 * anchor, reading each channel's 8 values as one vector (contiguous) and
 * writing them into the 8 rows, which stay in L1 until all `no` channels
 * are in: the box's 4 channel by channel, the scores (sigmoid only) 8
 * channels at a time, transposed in registers so that each row gets one
 * 8-float store (the store of a lane at a time was most of the kernel's
 * time); the per-element kernel above gathers with a stride of H*W floats
 * for every lane.  global: (ceil (HW / 8), N*na) */
__kernel void
yolo_grid_decode_rows (__global const float *x, uint x_off, __global const float *grid,
    uint g_off, __global const float *anchors, uint a_off, __global float *y,
    uint y_off, int no, int HW, int na, float scale)
{
  int p0 = (int) get_global_id (0) * 8, z = get_global_id (1), n = min (8, HW - p0);
  __global const float *xs = x + x_off + (size_t) z * no * HW + p0;
  __global const float *gr = grid + g_off + (size_t) p0 * 2;
  __global const float *an = anchors + a_off + (z % na) * 2;
  __global float *ys = y + y_off + ((size_t) z * HW + p0) * no;
  if (n == 8) {
    float16 g = vload16 (0, gr);   /* x0 y0 x1 y1 ... x7 y7 */
    int c;
    for (c = 0; c < 4; c++) {
      float8 v = DECODE_SIG8 (xs + (size_t) c * HW);
      if (c == 0)
        v = v * scale + g.even;
      else if (c == 1)
        v = v * scale + g.odd;
      else
        v = v * v * an[c - 2];
      DECODE_COL8 (v, c);
    }
    for (; c + 8 <= no; c += 8) {
      __global const float *xc = xs + (size_t) c * HW;
      float8 r0 = DECODE_SIG8 (xc), r1 = DECODE_SIG8 (xc + HW);
      float8 r2 = DECODE_SIG8 (xc + 2 * HW), r3 = DECODE_SIG8 (xc + 3 * HW);
      float8 r4 = DECODE_SIG8 (xc + 4 * HW), r5 = DECODE_SIG8 (xc + 5 * HW);
      float8 r6 = DECODE_SIG8 (xc + 6 * HW), r7 = DECODE_SIG8 (xc + 7 * HW);
      vstore8 ((float8) (r0.s0, r1.s0, r2.s0, r3.s0, r4.s0, r5.s0, r6.s0, r7.s0), 0, ys + c);
      vstore8 ((float8) (r0.s1, r1.s1, r2.s1, r3.s1, r4.s1, r5.s1, r6.s1, r7.s1), 0, ys + no + c);
      vstore8 ((float8) (r0.s2, r1.s2, r2.s2, r3.s2, r4.s2, r5.s2, r6.s2, r7.s2), 0,
          ys + 2 * no + c);
      vstore8 ((float8) (r0.s3, r1.s3, r2.s3, r3.s3, r4.s3, r5.s3, r6.s3, r7.s3), 0,
          ys + 3 * no + c);
      vstore8 ((float8) (r0.s4, r1.s4, r2.s4, r3.s4, r4.s4, r5.s4, r6.s4, r7.s4), 0,
          ys + 4 * no + c);
      vstore8 ((float8) (r0.s5, r1.s5, r2.s5, r3.s5, r4.s5, r5.s5, r6.s5, r7.s5), 0,
          ys + 5 * no + c);
      vstore8 ((float8) (r0.s6, r1.s6, r2.s6, r3.s6, r4.s6, r5.s6, r6.s6, r7.s6), 0,
          ys + 6 * no + c);
      vstore8 ((float8) (r0.s7, r1.s7, r2.s7, r3.s7, r4.s7, r5.s7, r6.s7, r7.s7), 0,
          ys + 7 * no + c);
    }
    for (; c < no; c++) {
      float8 v = DECODE_SIG8 (xs + (size_t) c * HW);
      DECODE_COL8 (v, c);
    }
  } else {
    for (int c = 0; c < no; c++)
      for (int i = 0; i < n; i++) {
        float v = yv7_sigmoid (xs[(size_t) c * HW + i]);
        if (c < 2)
          v = v * scale + gr[i * 2 + c];
        else if (c < 4)
          v = v * v * an[c - 2];
        ys[(size_t) i * no + c] = v;
      }
  }
}
