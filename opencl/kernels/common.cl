/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* common.cl: activations shared by the kernels.  Offsets are element
 * offsets into the buffers, so one arena can hold many tensors. */

#define ACT_NONE 0
#define ACT_LEAKY 1
#define ACT_SILU 2
#define ACT_SIGMOID 3

inline float
yv7_sigmoid (float x)
{
  return 1.0f / (1.0f + exp (-x));
}

inline float
yv7_act (float v, int act, float alpha)
{
  switch (act) {
    case ACT_LEAKY: return v >= 0.0f ? v : v * alpha;
    case ACT_SILU: return v * yv7_sigmoid (v);
    case ACT_SIGMOID: return yv7_sigmoid (v);
    default: return v;
  }
}

inline float16
yv7_act16 (float16 v, int act, float alpha)
{
  switch (act) {
    case ACT_LEAKY: return select (v * alpha, v, v >= 0.0f);
    case ACT_SILU: return v / (1.0f + exp (-v));
    case ACT_SIGMOID: return 1.0f / (1.0f + exp (-v));
    default: return v;
  }
}
