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

/* The same decode for CPU devices: one work-item a run of 8 pixels of one
 * anchor, reading each channel's 8 values as one vector (contiguous) and
 * writing them into the 8 rows, which stay in L1 until all `no` channels
 * are in; the per-element kernel above gathers with a stride of H*W floats
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
    for (int c = 0; c < no; c++) {
      float8 v = 1.0f / (1.0f + native_exp (-vload8 (0, xs + (size_t) c * HW)));
      if (c == 0)
        v = v * scale + g.even;
      else if (c == 1)
        v = v * scale + g.odd;
      else if (c < 4)
        v = v * v * an[c - 2];
      ys[c] = v.s0;
      ys[no + c] = v.s1;
      ys[2 * no + c] = v.s2;
      ys[3 * no + c] = v.s3;
      ys[4 * no + c] = v.s4;
      ys[5 * no + c] = v.s5;
      ys[6 * no + c] = v.s6;
      ys[7 * no + c] = v.s7;
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
