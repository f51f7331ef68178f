/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* preprocess.c: letterbox geometry, frame checks and the host reference for
 * turning a video frame into the model's input.  opencl/kernels/preprocess.cl
 * evaluates the very same float expressions in the same order, so the two
 * agree to rounding; keep them in step when changing either. */
#include "postprocess.h"

#include <math.h>
#include <stdint.h>
#include <string.h>

/* Larger frames are refused so that every offset and size below fits easily
 * in 64 bits and every coordinate is exact in float. */
#define FRAME_MAX_DIM 65536

/* Python's round(): half to even.  Spelled out rather than left to rint()
 * so a caller's fesetround() cannot change the letterbox; the official code
 * works in doubles, so do we. */
static int
py_round (double v)
{
  double f = floor (v), d = v - f;

  if (d > 0.5 || (d == 0.5 && fmod (f, 2.0) != 0.0))
    f += 1.0;
  return (int) f;
}

void
yv7_letterbox_compute (int src_w, int src_h, int dst_w, int dst_h,
    yv7_letterbox *lb)
{
  double r, dw, dh;

  memset (lb, 0, sizeof *lb);
  if (src_w <= 0 || src_h <= 0 || dst_w <= 0 || dst_h <= 0)
    return;
  r = fmin ((double) dst_h / src_h, (double) dst_w / src_w);
  lb->src_w = src_w;
  lb->src_h = src_h;
  lb->dst_w = dst_w;
  lb->dst_h = dst_h;
  lb->new_w = py_round (src_w * r);
  lb->new_h = py_round (src_h * r);
  /* a 5000x1 frame would shrink to zero rows: keep one so it stays visible */
  if (lb->new_w < 1)
    lb->new_w = 1;
  if (lb->new_h < 1)
    lb->new_h = 1;
  if (lb->new_w > dst_w)
    lb->new_w = dst_w;
  if (lb->new_h > dst_h)
    lb->new_h = dst_h;
  dw = (dst_w - lb->new_w) / 2.0;
  dh = (dst_h - lb->new_h) / 2.0;
  /* the -0.1 puts the odd pixel of padding at the right / bottom */
  lb->pad_x = py_round (dw - 0.1);
  lb->pad_y = py_round (dh - 0.1);
  lb->scale_x = (float) lb->new_w / (float) src_w;
  lb->scale_y = (float) lb->new_h / (float) src_h;
}

bool
yv7_packed_layout_get (yv7_pixel_format fmt, yv7_packed_layout *l)
{
  static const yv7_packed_layout layouts[] = {
    [YV7_PIX_RGB] = { 3, 0, 1, 2 },
    [YV7_PIX_BGR] = { 3, 2, 1, 0 },
    [YV7_PIX_RGBX] = { 4, 0, 1, 2 },
    [YV7_PIX_BGRX] = { 4, 2, 1, 0 },
    [YV7_PIX_XRGB] = { 4, 1, 2, 3 },
    [YV7_PIX_XBGR] = { 4, 3, 2, 1 },
    [YV7_PIX_RGBA] = { 4, 0, 1, 2 },
    [YV7_PIX_BGRA] = { 4, 2, 1, 0 },
    [YV7_PIX_ARGB] = { 4, 1, 2, 3 },
    [YV7_PIX_ABGR] = { 4, 3, 2, 1 },
  };
  if ((unsigned) fmt > YV7_PIX_ABGR)
    return false;
  *l = layouts[fmt];
  return true;
}

void
yv7_yuv_coeffs_get (yv7_yuv_matrix matrix, int full_range, yv7_yuv_coeffs *c)
{
  /* R'G'B' from Y'PbPr: R = Y + 2(1-Kr) Pr, B = Y + 2(1-Kb) Pb,
   * G = Y - (2 Kb (1-Kb) Pb + 2 Kr (1-Kr) Pr) / Kg, scaled to 0..255 from the
   * 219/224 steps of video range or the 255 of full range. */
  double kr = matrix == YV7_YUV_BT709 ? 0.2126 : 0.299;
  double kb = matrix == YV7_YUV_BT709 ? 0.0722 : 0.114;
  double kg = 1.0 - kr - kb;
  double ys = full_range ? 1.0 : 255.0 / 219.0;
  double cs = full_range ? 1.0 : 255.0 / 224.0;

  c->y_off = full_range ? 0.0f : 16.0f;
  c->y_scale = (float) ys;
  c->rv = (float) (2.0 * (1.0 - kr) * cs);
  c->gu = (float) (-2.0 * kb * (1.0 - kb) / kg * cs);
  c->gv = (float) (-2.0 * kr * (1.0 - kr) / kg * cs);
  c->bu = (float) (2.0 * (1.0 - kb) * cs);
}

yv7_status
yv7_frame_validate (const yv7_frame *f, yv7_error *err)
{
  yv7_packed_layout pl;
  int64_t w, cw;
  int n_planes, i;
  int64_t need[3];

  if (!f)
    goto null_frame;
  if ((unsigned) f->format > YV7_PIX_I420)
    goto bad_format;
  if (f->width <= 0 || f->height <= 0)
    goto bad_size;
  if (f->width > FRAME_MAX_DIM || f->height > FRAME_MAX_DIM)
    goto too_large;
  w = f->width;
  cw = (w + 1) / 2;
  if (yv7_packed_layout_get (f->format, &pl)) {
    n_planes = 1;
    need[0] = w * pl.bpp;
  } else if (f->format == YV7_PIX_NV12) {
    n_planes = 2;
    need[0] = w;
    need[1] = 2 * cw;
  } else {
    n_planes = 3;
    need[0] = w;
    need[1] = cw;
    need[2] = cw;
  }
  for (i = 0; i < n_planes; i++) {
    if (!f->planes[i])
      goto null_plane;
    if (f->strides[i] < need[i])
      goto short_stride;
  }
  if ((f->format == YV7_PIX_NV12 || f->format == YV7_PIX_I420)
      && (unsigned) f->matrix > YV7_YUV_BT709)
    goto bad_matrix;
  return YV7_OK;

  /* ERRORS */
null_frame:
  return yv7_set_error (err, YV7_E_INVALID_ARG, "frame is NULL");
bad_format:
  return yv7_set_error (err, YV7_E_INVALID_ARG, "unknown pixel format %d",
      (int) f->format);
bad_size:
  return yv7_set_error (err, YV7_E_INVALID_ARG,
      "frame size %dx%d is not positive", f->width, f->height);
too_large:
  return yv7_set_error (err, YV7_E_INVALID_ARG,
      "frame size %dx%d is larger than %d on a side", f->width, f->height,
      FRAME_MAX_DIM);
null_plane:
  return yv7_set_error (err, YV7_E_INVALID_ARG,
      "plane %d of a %d-plane frame is NULL", i, n_planes);
short_stride:
  return yv7_set_error (err, YV7_E_INVALID_ARG,
      "stride %d of plane %d is shorter than a row of %lld bytes (frame %dx%d)",
      f->strides[i], i, (long long) need[i], f->width, f->height);
bad_matrix:
  return yv7_set_error (err, YV7_E_INVALID_ARG, "unknown YUV matrix %d",
      (int) f->matrix);
}

yv7_status
yv7_letterbox_check (const yv7_frame *f, const yv7_letterbox *lb,
    yv7_error *err)
{
  if (!lb)
    goto null_lb;
  if (lb->src_w != f->width || lb->src_h != f->height)
    goto other_frame;
  if (lb->dst_w <= 0 || lb->dst_h <= 0 || lb->new_w < 1 || lb->new_h < 1
      || lb->pad_x < 0 || lb->pad_y < 0 || lb->new_w > lb->dst_w - lb->pad_x
      || lb->new_h > lb->dst_h - lb->pad_y)
    goto inconsistent;
  return YV7_OK;

  /* ERRORS */
null_lb:
  return yv7_set_error (err, YV7_E_INVALID_ARG, "letterbox is NULL");
other_frame:
  return yv7_set_error (err, YV7_E_INVALID_ARG,
      "letterbox computed for a %dx%d frame, given a %dx%d one",
      lb->src_w, lb->src_h, f->width, f->height);
inconsistent:
  return yv7_set_error (err, YV7_E_INVALID_ARG,
      "inconsistent letterbox: %dx%d at (%d,%d) in %dx%d", lb->new_w,
      lb->new_h, lb->pad_x, lb->pad_y, lb->dst_w, lb->dst_h);
}

/* One source pixel as RGB floats in 0..255. */
static void
fetch_rgb (const yv7_frame *f, const yv7_packed_layout *pl,
    const yv7_yuv_coeffs *c, int x, int y, float rgb[3])
{
  float yy, u, v;
  const uint8_t *p;

  if (pl) {
    p = f->planes[0] + (size_t) y * (size_t) f->strides[0] + (size_t) x * pl->bpp;
    rgb[0] = p[pl->r];
    rgb[1] = p[pl->g];
    rgb[2] = p[pl->b];
    return;
  }
  yy = f->planes[0][(size_t) y * (size_t) f->strides[0] + (size_t) x];
  if (f->format == YV7_PIX_NV12) {
    p = f->planes[1] + (size_t) (y / 2) * (size_t) f->strides[1] + (size_t) (x / 2) * 2;
    u = p[0];
    v = p[1];
  } else {
    size_t off1 = (size_t) (y / 2) * (size_t) f->strides[1] + (size_t) (x / 2);
    size_t off2 = (size_t) (y / 2) * (size_t) f->strides[2] + (size_t) (x / 2);
    u = f->planes[1][off1];
    v = f->planes[2][off2];
  }
  yy = (yy - c->y_off) * c->y_scale;
  u = u - 128.0f;
  v = v - 128.0f;
  rgb[0] = fminf (fmaxf (yy + c->rv * v, 0.0f), 255.0f);
  rgb[1] = fminf (fmaxf (yy + c->gu * u + c->gv * v, 0.0f), 255.0f);
  rgb[2] = fminf (fmaxf (yy + c->bu * u, 0.0f), 255.0f);
}

/* cv2 INTER_LINEAR tap for destination index d: source index s0, its right
 * (lower) neighbour s1 and the weight of s1, clamped at the edges. */
static void
linear_tap (int d, float scale, int src_n, int *s0, int *s1, float *w)
{
  float fs = ((float) d + 0.5f) * scale - 0.5f;
  int s = (int) floorf (fs);

  fs -= (float) s;
  if (s < 0) {
    s = 0;
    fs = 0.0f;
  }
  if (s >= src_n - 1) {
    s = src_n - 1;
    fs = 0.0f;
  }
  *s0 = s;
  *s1 = s + 1 < src_n ? s + 1 : s;
  *w = fs;
}

yv7_status
yv7_preprocess_host (const yv7_frame *f, const yv7_letterbox *lb, float *dst,
    yv7_error *err)
{
  yv7_packed_layout layout, *pl = NULL;
  yv7_yuv_coeffs c;
  yv7_status s;
  size_t plane;
  float scale_x, scale_y;
  const float pad = 114.0f / 255.0f;

  if ((s = yv7_frame_validate (f, err)) != YV7_OK)
    return s;
  if ((s = yv7_letterbox_check (f, lb, err)) != YV7_OK)
    return s;
  if (!dst)
    goto null_dst;
  if (yv7_packed_layout_get (f->format, &layout))
    pl = &layout;
  yv7_yuv_coeffs_get (f->matrix, f->full_range, &c);
  plane = (size_t) lb->dst_w * (size_t) lb->dst_h;
  /* cv2.resize maps with the inverse of the applied scale */
  scale_x = (float) f->width / (float) lb->new_w;
  scale_y = (float) f->height / (float) lb->new_h;

  for (int y = 0; y < lb->dst_h; y++) {
    float *row = dst + (size_t) y * (size_t) lb->dst_w;
    int dy = y - lb->pad_y, sy0 = 0, sy1 = 0;
    float fy = 0.0f;
    bool in_y = dy >= 0 && dy < lb->new_h;

    if (in_y)
      linear_tap (dy, scale_y, f->height, &sy0, &sy1, &fy);
    for (int x = 0; x < lb->dst_w; x++) {
      int dx = x - lb->pad_x, sx0, sx1;
      float fx, p00[3], p01[3], p10[3], p11[3];

      if (!in_y || dx < 0 || dx >= lb->new_w) {
        row[x] = row[plane + x] = row[2 * plane + x] = pad;
        continue;
      }
      linear_tap (dx, scale_x, f->width, &sx0, &sx1, &fx);
      fetch_rgb (f, pl, &c, sx0, sy0, p00);
      fetch_rgb (f, pl, &c, sx1, sy0, p01);
      fetch_rgb (f, pl, &c, sx0, sy1, p10);
      fetch_rgb (f, pl, &c, sx1, sy1, p11);
      for (int ch = 0; ch < 3; ch++) {
        float top = p00[ch] * (1.0f - fx) + p01[ch] * fx;
        float bot = p10[ch] * (1.0f - fx) + p11[ch] * fx;
        float v = top * (1.0f - fy) + bot * fy;
        row[(size_t) ch * plane + x] = v / 255.0f;
      }
    }
  }
  return YV7_OK;

  /* ERRORS */
null_dst:
  return yv7_set_error (err, YV7_E_INVALID_ARG, "destination is NULL");
}
