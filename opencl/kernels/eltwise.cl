/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* eltwise.cl: elementwise and channel-wise ops on float tensors. */

#define OP_ADD 0
#define OP_SUB 1
#define OP_MUL 2
#define OP_DIV 3
#define OP_POW 4

#define U_SIGMOID 0
#define U_LEAKY 1
#define U_RELU 2

inline float
yv7_binary (int op, float a, float b)
{
  switch (op) {
    case OP_ADD: return a + b;
    case OP_SUB: return a - b;
    case OP_MUL: return a * b;
    case OP_DIV: return a / b;
    default: return b == 2.0f ? a * a : pow (a, b);
  }
}

/* c = a (op) b with numpy broadcasting: dims of c, and a/b strides that are
 * 0 along broadcast axes (rank <= 8, row-major). */
__kernel void
binary_f32 (int op, __global const float *a, uint a_off, __global const float *b,
    uint b_off, __global float *c, uint c_off, int rank, int8 dims, int8 as, int8 bs)
{
  size_t i = get_global_id (0), r = i;
  size_t ai = 0, bi = 0;
  int d[8], sa[8], sb[8];
  vstore8 (dims, 0, d);
  vstore8 (as, 0, sa);
  vstore8 (bs, 0, sb);
  for (int k = rank - 1; k >= 0; k--) {
    size_t q = r % (size_t) d[k];
    r /= (size_t) d[k];
    ai += q * (size_t) sa[k];
    bi += q * (size_t) sb[k];
  }
  c[c_off + i] = yv7_binary (op, a[a_off + ai], b[b_off + bi]);
}

/* same-shape operands, or a scalar b (b_scalar = 1) */
__kernel void
binary_flat_f32 (int op, __global const float *a, uint a_off, __global const float *b,
    uint b_off, int b_scalar, __global float *c, uint c_off)
{
  size_t i = get_global_id (0);
  c[c_off + i] = yv7_binary (op, a[a_off + i], b[b_off + (b_scalar ? 0 : i)]);
}

__kernel void
unary_f32 (int op, float alpha, __global const float *x, uint x_off,
    __global float *y, uint y_off)
{
  size_t i = get_global_id (0);
  float v = x[x_off + i];
  switch (op) {
    case U_SIGMOID: v = yv7_sigmoid (v); break;
    case U_LEAKY: v = v >= 0.0f ? v : v * alpha; break;
    default: v = fmax (v, 0.0f); break;
  }
  y[y_off + i] = v;
}

/* y = x * scale[c] + shift[c] (BatchNormalization not folded into a Conv) */
__kernel void
affine_channel_f32 (__global const float *x, uint x_off, __global const float *scale,
    __global const float *shift, __global float *y, uint y_off, int C, int inner)
{
  size_t i = get_global_id (0);
  int c = (int) ((i / (size_t) inner) % (size_t) C);
  y[y_off + i] = x[x_off + i] * scale[c] + shift[c];
}

__kernel void
cast_f32_i64 (__global const float *x, uint x_off, __global long *y, uint y_off)
{
  size_t i = get_global_id (0);
  y[y_off + i] = (long) x[x_off + i];
}

__kernel void
cast_i64_f32 (__global const long *x, uint x_off, __global float *y, uint y_off)
{
  size_t i = get_global_id (0);
  y[y_off + i] = (float) x[x_off + i];
}
