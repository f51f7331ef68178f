/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* preprocess.cl: video frame -> letterboxed planar RGB float model input.
 * Mirrors yv7_preprocess_host() in engine/preprocess.c expression for
 * expression, so the two agree to float rounding; change them together. */

/* values of `kind` */
#define YV7PP_PACKED 0
#define YV7PP_NV12 1
#define YV7PP_I420 2

/* One source pixel as RGB in 0..255.  The frame sits tightly packed in src:
 * plane i starts at off_i with rows of pitch_i bytes. */
float3
yv7pp_fetch (__global const uchar *src, int kind, int4 lay,
    ulong off0, int pitch0, ulong off1, int pitch1, ulong off2, int pitch2,
    float8 yc, int x, int y)
{
  /* lay = (bytes per pixel, offset of R, of G, of B) for packed formats;
   * yc = (y_off, y_scale, rv, gu, gv, bu, -, -) for YUV ones */
#pragma OPENCL FP_CONTRACT OFF
  float yy, u, v;
  ulong p;

  if (kind == YV7PP_PACKED) {
    p = off0 + (ulong) y * (ulong) pitch0 + (ulong) x * (ulong) lay.s0;
    return (float3) ((float) src[p + lay.s1], (float) src[p + lay.s2],
        (float) src[p + lay.s3]);
  }
  yy = (float) src[off0 + (ulong) y * (ulong) pitch0 + (ulong) x];
  if (kind == YV7PP_NV12) {
    p = off1 + (ulong) (y / 2) * (ulong) pitch1 + (ulong) (x / 2) * 2;
    u = (float) src[p];
    v = (float) src[p + 1];
  } else {
    u = (float) src[off1 + (ulong) (y / 2) * (ulong) pitch1 + (ulong) (x / 2)];
    v = (float) src[off2 + (ulong) (y / 2) * (ulong) pitch2 + (ulong) (x / 2)];
  }
  yy = (yy - yc.s0) * yc.s1;
  u = u - 128.0f;
  v = v - 128.0f;
  return (float3) (fmin (fmax (yy + yc.s2 * v, 0.0f), 255.0f),
      fmin (fmax (yy + yc.s3 * u + yc.s4 * v, 0.0f), 255.0f),
      fmin (fmax (yy + yc.s5 * u, 0.0f), 255.0f));
}

/* cv2 INTER_LINEAR tap: source index in .s0, its neighbour in .s1, and the
 * neighbour's weight returned. */
float
yv7pp_tap (int d, float scale, int src_n, int2 *s01)
{
#pragma OPENCL FP_CONTRACT OFF
  float fs = ((float) d + 0.5f) * scale - 0.5f;
  int s = (int) floor (fs);

  fs -= (float) s;
  if (s < 0) {
    s = 0;
    fs = 0.0f;
  }
  if (s >= src_n - 1) {
    s = src_n - 1;
    fs = 0.0f;
  }
  *s01 = (int2) (s, s + 1 < src_n ? s + 1 : s);
  return fs;
}

/* One work-item per output pixel: global size (dst_w, dst_h).
 * geo = (pad_x, pad_y, new_w, new_h), src_size = (src_w, src_h),
 * scale = (src_w / new_w, src_h / new_h); writes dst[dst_off + c*H*W + y*W + x]. */
__kernel void
yv7_preprocess (__global const uchar *src, int kind, int4 lay,
    ulong off0, int pitch0, ulong off1, int pitch1, ulong off2, int pitch2,
    float8 yc, int2 src_size, int4 geo, float2 scale,
    __global float *dst, ulong dst_off)
{
  /* the host reference is compiled without fused multiply-adds (here and in
   * the helpers above); the same rounding keeps the two equal */
#pragma OPENCL FP_CONTRACT OFF
  int x = get_global_id (0), y = get_global_id (1);
  int dst_w = get_global_size (0), dst_h = get_global_size (1);
  int dx = x - geo.s0, dy = y - geo.s1;
  ulong plane = (ulong) dst_w * (ulong) dst_h;
  __global float *o = dst + dst_off + (ulong) y * (ulong) dst_w + (ulong) x;
  float3 p00, p01, p10, p11, top, bot, val;
  int2 sx, sy;
  float fx, fy;

  if (dx < 0 || dx >= geo.s2 || dy < 0 || dy >= geo.s3) {
    o[0] = o[plane] = o[2 * plane] = 114.0f / 255.0f;
    return;
  }
  fy = yv7pp_tap (dy, scale.s1, src_size.s1, &sy);
  fx = yv7pp_tap (dx, scale.s0, src_size.s0, &sx);
  p00 = yv7pp_fetch (src, kind, lay, off0, pitch0, off1, pitch1, off2, pitch2,
      yc, sx.s0, sy.s0);
  p01 = yv7pp_fetch (src, kind, lay, off0, pitch0, off1, pitch1, off2, pitch2,
      yc, sx.s1, sy.s0);
  p10 = yv7pp_fetch (src, kind, lay, off0, pitch0, off1, pitch1, off2, pitch2,
      yc, sx.s0, sy.s1);
  p11 = yv7pp_fetch (src, kind, lay, off0, pitch0, off1, pitch1, off2, pitch2,
      yc, sx.s1, sy.s1);
  top = p00 * (1.0f - fx) + p01 * fx;
  bot = p10 * (1.0f - fx) + p11 * fx;
  val = (top * (1.0f - fy) + bot * fy) / 255.0f;
  o[0] = val.s0;
  o[plane] = val.s1;
  o[2 * plane] = val.s2;
}
