/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* common.cl: activations shared by the kernels.  Offsets are element
 * offsets into the buffers, so one arena can hold many tensors. */

/* Conv weights: fp32, or fp16 storage read into fp32 (YV7_HALF_WEIGHTS,
 * the fp16-weights option); vload_half/vstore_half need no extension. */
#ifdef YV7_HALF_WEIGHTS
#define WTYPE half
#define WLOAD(p, i) vload_half ((i), (p))
#define WSTORE(v, p, i) vstore_half_rte ((v), (i), (p))
#else
#define WTYPE float
#define WLOAD(p, i) ((p)[i])
#define WSTORE(v, p, i) ((p)[i] = (v))
#endif

/* n weights from src (fp32, at element offset off) into the weight type. */
__kernel void
weights_from_f32 (__global const float *src, uint off, __global WTYPE *dst, uint n)
{
  size_t i = get_global_id (0);
  if (i < n)
    WSTORE (src[off + i], dst, i);
}

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
