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
