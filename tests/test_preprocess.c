/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test_preprocess.c: frame -> model input on the real OpenCL device against
 * the host reference, for every pixel format with odd sizes and padded
 * strides, plus values worked out by hand. */
#include "cl_preprocess.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int n_pass, n_fail;

static void
check (bool ok, const char *what, const char *fmt, ...)
    __attribute__ ((format (printf, 3, 4)));

static void
check (bool ok, const char *what, const char *fmt, ...)
{
  va_list ap;

  printf ("%s: %s", ok ? "PASS" : "FAIL", what);
  if (fmt && (!ok || fmt[0] == '['))
    {
      printf (" (");
      va_start (ap, fmt);
      vprintf (fmt, ap);
      va_end (ap);
      printf (")");
    }
  printf ("\n");
  if (ok)
    n_pass++;
  else
    n_fail++;
}

static const char *const format_names[] = {
  "RGB", "BGR", "RGBx", "BGRx", "xRGB", "xBGR", "RGBA", "BGRA", "ARGB", "ABGR",
  "NV12", "I420"
};

/* A frame whose planes are allocated to exactly the bytes a reader may touch
 * ((rows - 1) * stride + row bytes), so an over-read shows under ASan. */
typedef struct {
  yv7_frame f;
  uint8_t *mem[3];
} test_frame;

static uint32_t rng_state = 12345;

static uint8_t
rnd (void)
{
  rng_state ^= rng_state << 13;
  rng_state ^= rng_state >> 17;
  rng_state ^= rng_state << 5;
  return (uint8_t) (rng_state >> 11);
}

static int
plane_count (yv7_pixel_format fmt)
{
  return fmt == YV7_PIX_NV12 ? 2 : fmt == YV7_PIX_I420 ? 3 : 1;
}

/* Row bytes and rows of plane i. */
static void
plane_geometry (yv7_pixel_format fmt, int w, int h, int i, int *row, int *rows)
{
  yv7_packed_layout pl;
  int cw = (w + 1) / 2, ch = (h + 1) / 2;

  if (yv7_packed_layout_get (fmt, &pl)) {
    *row = w * pl.bpp;
    *rows = h;
  } else if (i == 0) {
    *row = w;
    *rows = h;
  } else {
    *row = fmt == YV7_PIX_NV12 ? 2 * cw : cw;
    *rows = ch;
  }
}

/* Random bytes everywhere, stride padding included. */
static void
frame_make (test_frame *t, yv7_pixel_format fmt, int w, int h, int extra)
{
  memset (t, 0, sizeof *t);
  t->f.format = fmt;
  t->f.width = w;
  t->f.height = h;
  for (int i = 0; i < plane_count (fmt); i++) {
    int row, rows;
    size_t size;
    plane_geometry (fmt, w, h, i, &row, &rows);
    t->f.strides[i] = row + extra;
    size = (size_t) (rows - 1) * (size_t) t->f.strides[i] + (size_t) row;
    t->mem[i] = malloc (size);
    if (!t->mem[i]) {
      printf ("out of memory\n");
      exit (1);
    }
    for (size_t k = 0; k < size; k++)
      t->mem[i][k] = rnd ();
    t->f.planes[i] = t->mem[i];
  }
}

static void
frame_free (test_frame *t)
{
  for (int i = 0; i < 3; i++)
    free (t->mem[i]);
  memset (t, 0, sizeof *t);
}

/* Every pixel of a packed frame set to (r, g, b); filler bytes stay random. */
static void
frame_fill_rgb (test_frame *t, uint8_t r, uint8_t g, uint8_t b)
{
  yv7_packed_layout pl;

  yv7_packed_layout_get (t->f.format, &pl);
  for (int y = 0; y < t->f.height; y++)
    for (int x = 0; x < t->f.width; x++) {
      uint8_t *p = t->mem[0] + (size_t) y * t->f.strides[0] + (size_t) x * pl.bpp;
      p[pl.r] = r;
      p[pl.g] = g;
      p[pl.b] = b;
    }
}

/* Every pixel of a YUV frame set to (y, u, v). */
static void
frame_fill_yuv (test_frame *t, uint8_t yv, uint8_t u, uint8_t v)
{
  int cw = (t->f.width + 1) / 2, ch = (t->f.height + 1) / 2;

  for (int y = 0; y < t->f.height; y++)
    memset (t->mem[0] + (size_t) y * t->f.strides[0], yv, (size_t) t->f.width);
  for (int y = 0; y < ch; y++)
    for (int x = 0; x < cw; x++) {
      if (t->f.format == YV7_PIX_NV12) {
        t->mem[1][(size_t) y * t->f.strides[1] + 2 * x] = u;
        t->mem[1][(size_t) y * t->f.strides[1] + 2 * x + 1] = v;
      } else {
        t->mem[1][(size_t) y * t->f.strides[1] + x] = u;
        t->mem[2][(size_t) y * t->f.strides[2] + x] = v;
      }
    }
}

static yv7_cl cl;

/* Preprocess on the device into a fresh buffer and read it back. */
static yv7_status
run_device (const yv7_frame *f, const yv7_letterbox *lb, float *out,
    yv7_error *err)
{
  size_t n = (size_t) 3 * lb->dst_w * lb->dst_h;
  cl_int rc;
  cl_mem buf = clCreateBuffer (cl.ctx, CL_MEM_READ_WRITE, n * sizeof (float),
      NULL, &rc);
  yv7_status s;

  if ((s = yv7_cl_check (rc, "clCreateBuffer", err)) != YV7_OK)
    return s;
  s = yv7_cl_preprocess (&cl, f, lb, buf, 0, err);
  if (s == YV7_OK) {
    rc = clEnqueueReadBuffer (cl.queue, buf, CL_TRUE, 0, n * sizeof (float),
        out, 0, NULL, NULL);
    s = yv7_cl_check (rc, "clEnqueueReadBuffer", err);
  }
  clReleaseMemObject (buf);
  return s;
}

static float
max_diff (const float *a, const float *b, size_t n)
{
  float m = 0.0f;
  for (size_t i = 0; i < n; i++) {
    float d = fabsf (a[i] - b[i]);
    if (!(d <= m))
      m = d;
  }
  return m;
}

/* Device against host for one frame and one model input size. */
static void
compare (const char *label, const yv7_frame *f, int dst_w, int dst_h)
{
  yv7_letterbox lb;
  size_t n = (size_t) 3 * dst_w * dst_h;
  float *host = malloc (n * sizeof (float)), *dev = malloc (n * sizeof (float));
  yv7_error err = { 0 };
  yv7_status s1, s2 = YV7_OK;
  char what[160];
  float d = 0.0f;

  snprintf (what, sizeof what, "%s %dx%d stride %d -> %dx%d: device = host",
      label, f->width, f->height, f->strides[0], dst_w, dst_h);
  yv7_letterbox_compute (f->width, f->height, dst_w, dst_h, &lb);
  s1 = yv7_preprocess_host (f, &lb, host, &err);
  if (s1 == YV7_OK)
    s2 = run_device (f, &lb, dev, &err);
  if (s1 == YV7_OK && s2 == YV7_OK)
    d = max_diff (host, dev, n);
  check (s1 == YV7_OK && s2 == YV7_OK && d <= 1e-5f, what,
      "[max diff %g; %s]", d, s1 || s2 ? err.message : "ok");
  free (host);
  free (dev);
}

static void
test_formats (void)
{
  static const int sizes[][2] = { { 64, 48 }, { 20, 20 }, { 37, 23 } };
  test_frame t;

  for (int fmt = YV7_PIX_RGB; fmt <= YV7_PIX_I420; fmt++) {
    int n_var = fmt >= YV7_PIX_NV12 ? 4 : 1;
    for (int v = 0; v < n_var; v++) {
      char label[64];
      frame_make (&t, (yv7_pixel_format) fmt, 37, 23, 7);
      t.f.matrix = v & 1 ? YV7_YUV_BT709 : YV7_YUV_BT601;
      t.f.full_range = v >> 1;
      if (fmt >= YV7_PIX_NV12)
        snprintf (label, sizeof label, "%s %s %s range", format_names[fmt],
            v & 1 ? "BT.709" : "BT.601", v >> 1 ? "full" : "video");
      else
        snprintf (label, sizeof label, "%s", format_names[fmt]);
      for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++)
        compare (label, &t.f, sizes[k][0], sizes[k][1]);
      frame_free (&t);
    }
  }
  /* the 385x289 frame of the GStreamer tests, odd strides */
  frame_make (&t, YV7_PIX_RGBA, 385, 289, 3);
  compare ("RGBA", &t.f, 320, 320);
  frame_free (&t);
  frame_make (&t, YV7_PIX_NV12, 385, 289, 3);
  compare ("NV12", &t.f, 320, 320);
  frame_free (&t);
  frame_make (&t, YV7_PIX_I420, 385, 289, 5);
  t.f.matrix = YV7_YUV_BT709;
  compare ("I420 BT.709", &t.f, 320, 320);
  frame_free (&t);
  frame_make (&t, YV7_PIX_BGR, 289, 385, 1);
  compare ("BGR portrait", &t.f, 320, 256);
  frame_free (&t);
}

/* All three channels of out match c[] inside the letterbox and 114/255 in
 * the padding.  Returns the largest error. */
static float
uniform_error (const float *out, const yv7_letterbox *lb, const float c[3])
{
  size_t plane = (size_t) lb->dst_w * lb->dst_h;
  float m = 0.0f;

  for (int ch = 0; ch < 3; ch++)
    for (int y = 0; y < lb->dst_h; y++)
      for (int x = 0; x < lb->dst_w; x++) {
        bool in = x >= lb->pad_x && x < lb->pad_x + lb->new_w
            && y >= lb->pad_y && y < lb->pad_y + lb->new_h;
        float want = in ? c[ch] : 114.0f / 255.0f;
        float d = fabsf (out[ch * plane + (size_t) y * lb->dst_w + x] - want);
        if (!(d <= m))
          m = d;
      }
  return m;
}

/* host and device both give c[] (0..1) on a uniform frame letterboxed into
 * 64x64 (37x23 -> 64x40 at pad_y 12: resized, with padding above and below) */
static void
check_uniform (const char *what, const yv7_frame *f, const float c[3],
    float tol)
{
  yv7_letterbox lb;
  float host[3 * 64 * 64], dev[3 * 64 * 64];
  yv7_error err = { 0 };
  yv7_status s1, s2 = YV7_OK;
  float e1 = 0.0f, e2 = 0.0f;

  yv7_letterbox_compute (f->width, f->height, 64, 64, &lb);
  s1 = yv7_preprocess_host (f, &lb, host, &err);
  if (s1 == YV7_OK)
    s2 = run_device (f, &lb, dev, &err);
  if (s1 == YV7_OK && s2 == YV7_OK) {
    e1 = uniform_error (host, &lb, c);
    e2 = uniform_error (dev, &lb, c);
  }
  check (s1 == YV7_OK && s2 == YV7_OK && e1 <= tol && e2 <= tol, what,
      "[host error %g, device error %g; %s]", e1, e2,
      s1 || s2 ? err.message : "ok");
}

static void
test_hand_values (void)
{
  test_frame t;
  char what[128];

  /* pure red in every packed format; the filler byte stays random */
  for (int fmt = YV7_PIX_RGB; fmt <= YV7_PIX_ABGR; fmt++) {
    const float red[3] = { 1.0f, 0.0f, 0.0f };
    frame_make (&t, (yv7_pixel_format) fmt, 37, 23, 7);
    frame_fill_rgb (&t, 255, 0, 0);
    snprintf (what, sizeof what, "%s red (255,0,0) -> 1,0,0 and 114/255 padding",
        format_names[fmt]);
    check_uniform (what, &t.f, red, 1e-6f);
    frame_free (&t);
  }
  for (int fmt = YV7_PIX_NV12; fmt <= YV7_PIX_I420; fmt++) {
    /* Y=126, U=V=128 in video range: (126 - 16) / 219 on every channel */
    const float grey[3] = { 110.0f / 219.0f, 110.0f / 219.0f, 110.0f / 219.0f };
    const float grey_full[3] = { 126.0f / 255.0f, 126.0f / 255.0f,
      126.0f / 255.0f };
    /* BT.601 video range, textbook coefficients: Y=81 U=90 V=240:
     * R = 1.164383 * 65 + 1.596027 * 112 = 254.440, G = 75.685 + 0.391762 * 38
     * - 0.812968 * 112 = -0.480 -> 0, B = 75.685 - 2.017232 * 38 = -0.970 -> 0 */
    const float red601[3] = { (float) ((1.164383 * 65 + 1.596027 * 112) / 255),
      0.0f, 0.0f };
    /* BT.709 video range: Y=100 U=150 V=90: y' = 1.164383 * 84,
     * R = y' + 1.792741 * -38, G = y' - 0.213249 * 22 + 0.532909 * 38,
     * B = y' + 2.112402 * 22 */
    const double y709 = 1.164383 * 84;
    const float c709[3] = { (float) ((y709 - 1.792741 * 38) / 255),
      (float) ((y709 - 0.213249 * 22 + 0.532909 * 38) / 255),
      (float) ((y709 + 2.112402 * 22) / 255) };
    /* BT.601 full range (JFIF): R = Y + 1.402 V, G = Y - 0.344136 U
     * - 0.714136 V, B = Y + 1.772 U; with Y=100 U=150 V=90 */
    const float c601f[3] = { (float) ((100 - 1.402 * 38) / 255),
      (float) ((100 - 0.344136 * 22 + 0.714136 * 38) / 255),
      (float) ((100 + 1.772 * 22) / 255) };
    /* BT.709 full range: R = Y + 1.5748 V, G = Y - 0.187324 U - 0.468124 V,
     * B = Y + 1.8556 U */
    const float c709f[3] = { (float) ((100 - 1.5748 * 38) / 255),
      (float) ((100 - 0.187324 * 22 + 0.468124 * 38) / 255),
      (float) ((100 + 1.8556 * 22) / 255) };

    frame_make (&t, (yv7_pixel_format) fmt, 37, 23, 7);
    frame_fill_yuv (&t, 126, 128, 128);
    snprintf (what, sizeof what, "%s grey Y=126 U=V=128 video range -> 110/219",
        format_names[fmt]);
    check_uniform (what, &t.f, grey, 1e-6f);
    t.f.full_range = 1;
    snprintf (what, sizeof what, "%s grey Y=126 full range -> 126/255",
        format_names[fmt]);
    check_uniform (what, &t.f, grey_full, 1e-6f);
    t.f.full_range = 0;
    frame_fill_yuv (&t, 81, 90, 240);
    snprintf (what, sizeof what, "%s BT.601 video Y=81 U=90 V=240 -> red, G and B "
        "clamped to 0", format_names[fmt]);
    check_uniform (what, &t.f, red601, 1e-5f);
    frame_fill_yuv (&t, 100, 150, 90);
    t.f.matrix = YV7_YUV_BT709;
    snprintf (what, sizeof what, "%s BT.709 video Y=100 U=150 V=90",
        format_names[fmt]);
    check_uniform (what, &t.f, c709, 1e-5f);
    t.f.full_range = 1;
    snprintf (what, sizeof what, "%s BT.709 full Y=100 U=150 V=90",
        format_names[fmt]);
    check_uniform (what, &t.f, c709f, 1e-5f);
    t.f.matrix = YV7_YUV_BT601;
    snprintf (what, sizeof what, "%s BT.601 full Y=100 U=150 V=90",
        format_names[fmt]);
    check_uniform (what, &t.f, c601f, 1e-5f);
    frame_free (&t);
  }
}

/* No resize: every value is exactly byte / 255 on the host, and equal to
 * that on the device. */
static void
test_identity (void)
{
  static const yv7_pixel_format fmts[] = { YV7_PIX_RGB, YV7_PIX_XBGR };
  enum { W = 37, H = 23 };
  float host[3 * W * H], dev[3 * W * H];

  for (size_t k = 0; k < 2; k++) {
    test_frame t;
    yv7_letterbox lb;
    yv7_packed_layout pl;
    yv7_error err = { 0 };
    float eh = 0.0f, ed = 0.0f;
    yv7_status s1, s2 = YV7_OK;
    char what[96];

    frame_make (&t, fmts[k], W, H, 7);
    yv7_packed_layout_get (fmts[k], &pl);
    yv7_letterbox_compute (W, H, W, H, &lb);
    s1 = yv7_preprocess_host (&t.f, &lb, host, &err);
    if (s1 == YV7_OK)
      s2 = run_device (&t.f, &lb, dev, &err);
    for (int y = 0; s1 == YV7_OK && s2 == YV7_OK && y < H; y++)
      for (int x = 0; x < W; x++) {
        const uint8_t *p = t.mem[0] + (size_t) y * t.f.strides[0] + (size_t) x * pl.bpp;
        const int off[3] = { pl.r, pl.g, pl.b };
        for (int ch = 0; ch < 3; ch++) {
          float want = (float) p[off[ch]] / 255.0f;
          float h = host[ch * W * H + y * W + x], d = dev[ch * W * H + y * W + x];
          if (fabsf (h - want) > eh)
            eh = fabsf (h - want);
          if (fabsf (d - want) > ed)
            ed = fabsf (d - want);
        }
      }
    snprintf (what, sizeof what, "%s 37x23 -> 37x23 is an exact copy",
        format_names[fmts[k]]);
    check (s1 == YV7_OK && s2 == YV7_OK && eh == 0.0f && ed <= 1e-7f, what,
        "[host error %g, device error %g]", eh, ed);
    frame_free (&t);
  }
}

/* Chroma of odd-sized frames: pixel (x, y) takes chroma (x/2, y/2), the last
 * column and row included. */
static void
test_chroma_siting (void)
{
  for (int fmt = YV7_PIX_NV12; fmt <= YV7_PIX_I420; fmt++) {
    test_frame t;
    yv7_letterbox lb;
    float host[3 * 9], dev[3 * 9];
    yv7_error err = { 0 };
    yv7_status s1, s2 = YV7_OK;
    /* y' = 110 * 255/219; R = y' + 1.596027 * (200 - 128) */
    const float red = (float) ((110 * 255.0 / 219 + 1.596027 * 72) / 255);
    const float grey = 110.0f / 219.0f;
    bool ok = true;
    char what[96];

    frame_make (&t, (yv7_pixel_format) fmt, 3, 3, 1);
    frame_fill_yuv (&t, 126, 128, 128);
    /* chroma (1,1): only pixel (2,2) of a 3x3 frame uses it */
    if (fmt == YV7_PIX_NV12)
      t.mem[1][t.f.strides[1] + 3] = 200;
    else
      t.mem[2][t.f.strides[2] + 1] = 200;
    yv7_letterbox_compute (3, 3, 3, 3, &lb);
    s1 = yv7_preprocess_host (&t.f, &lb, host, &err);
    if (s1 == YV7_OK)
      s2 = run_device (&t.f, &lb, dev, &err);
    for (int i = 0; i < 9 && s1 == YV7_OK && s2 == YV7_OK; i++) {
      float want = i == 8 ? red : grey;
      ok = ok && fabsf (host[i] - want) <= 1e-5f && fabsf (dev[i] - want) <= 1e-5f;
    }
    snprintf (what, sizeof what, "%s 3x3: the last pixel takes the last chroma "
        "sample", format_names[fmt]);
    check (s1 == YV7_OK && s2 == YV7_OK && ok, what, "[R of (2,2): host %g "
        "device %g want %g]", host[8], dev[8], red);
    frame_free (&t);
  }
}

/* Two frames into one batch buffer at element offsets, collected by one
 * read: the staging buffer is reused at once and nothing else is written. */
static void
test_batch_offsets (void)
{
  enum { W = 40, H = 32, N = 3 * W * H, LEAD = 5 };
  static float buf[LEAD + 2 * N], host[2][N];
  test_frame a, b;
  yv7_letterbox lb;
  yv7_error err = { 0 };
  yv7_status s;
  cl_int rc;
  cl_mem mem = NULL;
  bool lead_ok = true;
  float d0 = 1.0f, d1 = 1.0f;

  frame_make (&a, YV7_PIX_I420, 37, 23, 7);
  frame_make (&b, YV7_PIX_BGR, 37, 23, 7);
  yv7_letterbox_compute (37, 23, W, H, &lb);
  s = yv7_preprocess_host (&a.f, &lb, host[0], &err);
  if (s == YV7_OK)
    s = yv7_preprocess_host (&b.f, &lb, host[1], &err);
  for (size_t i = 0; i < sizeof buf / sizeof buf[0]; i++)
    buf[i] = -7.0f;
  if (s == YV7_OK) {
    mem = clCreateBuffer (cl.ctx, CL_MEM_READ_WRITE | CL_MEM_COPY_HOST_PTR,
        sizeof buf, buf, &rc);
    s = yv7_cl_check (rc, "clCreateBuffer", &err);
  }
  if (s == YV7_OK)
    s = yv7_cl_preprocess (&cl, &a.f, &lb, mem, LEAD, &err);
  /* the caller may reuse its memory as soon as the call returns */
  for (int i = 0; i < 3; i++)
    memset (a.mem[i], 0, (size_t) (i ? 11 : 22) * a.f.strides[i] + (i ? 19 : 37));
  if (s == YV7_OK)
    s = yv7_cl_preprocess (&cl, &b.f, &lb, mem, LEAD + N, &err);
  if (s == YV7_OK)
    s = yv7_cl_check (clEnqueueReadBuffer (cl.queue, mem, CL_TRUE, 0,
        sizeof buf, buf, 0, NULL, NULL), "clEnqueueReadBuffer", &err);
  if (s == YV7_OK) {
    for (int i = 0; i < LEAD; i++)
      lead_ok = lead_ok && buf[i] == -7.0f;
    d0 = max_diff (buf + LEAD, host[0], N);
    d1 = max_diff (buf + LEAD + N, host[1], N);
  }
  check (s == YV7_OK && lead_ok && d0 <= 1e-5f && d1 <= 1e-5f,
      "two frames at element offsets 5 and 5+3HW of one buffer, caller memory "
      "wiped between calls", "[lead untouched %d, max diff %g / %g; %s]",
      lead_ok, d0, d1, s ? err.message : "ok");

  /* a buffer one float short */
  if (s == YV7_OK) {
    s = yv7_cl_preprocess (&cl, &b.f, &lb, mem, LEAD + N + 1, &err);
    check (s == YV7_E_INVALID_ARG, "a destination too small is refused",
        "[status %d]", s);
  }
  frame_free (&a);
  frame_free (&b);
  if (mem)
    clReleaseMemObject (mem);
}

/* The staging upload holds the planes' pixels only, not their strides. */
static void
test_staging_size (void)
{
  test_frame t;
  yv7_letterbox lb;
  float out[3 * 16 * 16];
  yv7_error err = { 0 };
  yv7_status s;
  yv7_cl fresh;

  s = yv7_cl_open (&fresh, "auto", false, &err);
  if (s == YV7_OK) {
    yv7_cl saved = cl;
    cl = fresh;
    frame_make (&t, YV7_PIX_I420, 37, 23, 100);
    yv7_letterbox_compute (37, 23, 16, 16, &lb);
    s = run_device (&t.f, &lb, out, &err);
    frame_free (&t);
    fresh = cl;
    cl = saved;
  }
  /* 37x23 luma + two 19x12 chroma planes */
  check (s == YV7_OK && fresh.staging_size == 37 * 23 + 2 * 19 * 12,
      "staging holds the tight planes of an I420 frame with wide strides",
      "[staging %zu bytes; %s]", fresh.staging_size, s ? err.message : "ok");
  if (fresh.ctx)
    yv7_cl_close (&fresh);
}

static void
test_invalid (void)
{
  test_frame t;
  yv7_letterbox lb, other;
  float out[3 * 16 * 16];
  yv7_error err = { 0 };
  yv7_status s;
  const uint8_t *keep;

  frame_make (&t, YV7_PIX_NV12, 37, 23, 0);
  yv7_letterbox_compute (37, 23, 16, 16, &lb);
  s = yv7_frame_validate (&t.f, &err);
  check (s == YV7_OK, "a tight NV12 frame is valid", "%s", err.message);
  t.f.strides[1] = 37;
  s = yv7_frame_validate (&t.f, &err);
  check (s == YV7_E_INVALID_ARG, "NV12 UV stride 37 < 2*19 is refused",
      "[status %d: %s]", s, err.message);
  t.f.strides[1] = 38;
  keep = t.f.planes[1];
  t.f.planes[1] = NULL;
  s = yv7_cl_preprocess (&cl, &t.f, &lb, NULL, 0, &err);
  check (s == YV7_E_INVALID_ARG, "device preprocessing refuses bad arguments",
      "[status %d]", s);
  s = yv7_preprocess_host (&t.f, &lb, out, &err);
  check (s == YV7_E_INVALID_ARG, "a NULL UV plane is refused",
      "[status %d: %s]", s, err.message);
  t.f.planes[1] = keep;
  t.f.format = (yv7_pixel_format) 99;
  s = yv7_frame_validate (&t.f, &err);
  check (s == YV7_E_INVALID_ARG, "an unknown format is refused", "[status %d]", s);
  t.f.format = YV7_PIX_NV12;
  t.f.width = 0;
  s = yv7_frame_validate (&t.f, &err);
  check (s == YV7_E_INVALID_ARG, "a 0-wide frame is refused", "[status %d]", s);
  t.f.width = 37;
  yv7_letterbox_compute (36, 23, 16, 16, &other);
  s = yv7_preprocess_host (&t.f, &other, out, &err);
  check (s == YV7_E_INVALID_ARG, "a letterbox of another frame size is refused",
      "[status %d: %s]", s, err.message);
  frame_free (&t);
  frame_make (&t, YV7_PIX_XRGB, 5, 5, 0);
  t.f.strides[0] = 19;
  s = yv7_frame_validate (&t.f, &err);
  check (s == YV7_E_INVALID_ARG, "xRGB stride 19 < 5*4 is refused", "[status %d]", s);
  frame_free (&t);
}

int
main (void)
{
  yv7_error err = { 0 };
  yv7_status s;

  s = yv7_cl_open (&cl, "auto", false, &err);
  check (s == YV7_OK, "open the OpenCL device", "[%s]", s ? err.message : cl.name);
  if (s != YV7_OK) {
    printf ("%d passed, %d failed\n", n_pass, n_fail);
    return 1;
  }
  test_formats ();
  test_hand_values ();
  test_identity ();
  test_chroma_siting ();
  test_batch_offsets ();
  test_staging_size ();
  test_invalid ();
  yv7_cl_close (&cl);
  printf ("%d passed, %d failed\n", n_pass, n_fail);
  return n_fail ? 1 : 0;
}
