/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test_postprocess.c: letterbox geometry, the three output decodings, NMS and
 * the mapping back to frame pixels, against numbers worked out by hand. */
#include "postprocess.h"

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
  if (!ok && fmt) {
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

static bool
near (float a, float b, float tol)
{
  return fabsf (a - b) <= tol;
}

static void
params_default (yv7_detect_params *p)
{
  memset (p, 0, sizeof *p);
  p->conf_threshold = 0.25f;
  p->iou_threshold = 0.45f;
  p->max_detections = 300;
}

static bool
box_is (const yv7_detection *d, float x0, float y0, float x1, float y1,
    float tol)
{
  return near (d->x0, x0, tol) && near (d->y0, y0, tol)
      && near (d->x1, x1, tol) && near (d->y1, y1, tol);
}

static void
letterbox_case (const char *name, int sw, int sh, int dw, int dh, int nw,
    int nh, int px, int py)
{
  yv7_letterbox lb;

  yv7_letterbox_compute (sw, sh, dw, dh, &lb);
  check (lb.new_w == nw && lb.new_h == nh && lb.pad_x == px && lb.pad_y == py
      && lb.src_w == sw && lb.src_h == sh && lb.dst_w == dw && lb.dst_h == dh
      && near (lb.scale_x, (float) nw / sw, 1e-7f)
      && near (lb.scale_y, (float) nh / sh, 1e-7f),
      name, "got new %dx%d pad (%d,%d) scale %g,%g", lb.new_w, lb.new_h,
      lb.pad_x, lb.pad_y, lb.scale_x, lb.scale_y);
}

static void
test_letterbox (void)
{
  yv7_letterbox lb;

  /* r = 0.5: 640x360, (640-360)/2 = 140 rows above */
  letterbox_case ("letterbox 1280x720 -> 640x640", 1280, 720, 640, 640, 640,
      360, 0, 140);
  letterbox_case ("letterbox 720x1280 (portrait) -> 640x640", 720, 1280, 640,
      640, 360, 640, 140, 0);
  /* r = 320/385: 289 * r = 240.21 -> 240, pad (320-240)/2 = 40 */
  letterbox_case ("letterbox 385x289 -> 320x320", 385, 289, 320, 320, 320,
      240, 0, 40);
  /* r = min(320/385, 320/289) = 320/385: 289 * r = 240.21 -> 240 wide,
   * pad_x 40 */
  letterbox_case ("letterbox 289x385 (portrait) -> 320x320", 289, 385, 320,
      320, 240, 320, 40, 0);
  /* r = 0.64: 999 * 0.64 = 639.36 -> 639; dh = 0.5 -> top round(0.4) = 0,
   * the odd row goes to the bottom */
  letterbox_case ("letterbox 1000x999 -> 640 (odd pad at bottom)", 1000, 999,
      640, 640, 640, 639, 0, 0);
  /* 5x10 -> 10x5: r = 0.5, 5 * 0.5 = 2.5 rounds half to even -> 2;
   * dw = 4 -> left round(3.9) = 4 */
  letterbox_case ("letterbox rounds 2.5 to even (5x10 -> 10x5)", 5, 10, 10, 5,
      2, 5, 4, 0);
  /* 7x10 -> 10x5: 3.5 -> 4 (even), dw = 3 -> left round(2.9) = 3 */
  letterbox_case ("letterbox rounds 3.5 to even (7x10 -> 10x5)", 7, 10, 10, 5,
      4, 5, 3, 0);
  /* upscale: 320x180 -> 640x640 r = 2, 640x360, pad 140 */
  letterbox_case ("letterbox upscales 320x180 -> 640x640", 320, 180, 640, 640,
      640, 360, 0, 140);
  letterbox_case ("letterbox identity 37x23 -> 37x23", 37, 23, 37, 23, 37, 23,
      0, 0);
  /* 5000x2 -> 640: 2 * 0.128 = 0.256 rounds to 0: kept at one row;
   * dh = 319.5 -> top round(319.4) = 319 */
  letterbox_case ("letterbox keeps a vanishing side at 1 pixel", 5000, 2, 640,
      640, 640, 1, 0, 319);
  yv7_letterbox_compute (0, 10, 640, 640, &lb);
  check (lb.new_w == 0 && lb.dst_w == 0, "letterbox of a 0-wide frame is empty",
      "new_w %d", lb.new_w);
}

/* A box placed in a 1280x720 frame, letterboxed into 640x640, written by hand
 * as a grid-form output row, comes back where it was. */
static void
test_grid_roundtrip (void)
{
  yv7_letterbox lb;
  yv7_detect_params p;
  yv7_det_list l = { 0 };
  yv7_error err;
  yv7_status s;
  /* frame box (200,100)-(400,300) -> input x = x/2, y = y/2 + 140:
   * (100,190)-(200,290): cx 150, cy 240, w 100, h 100 */
  const float rows[4][8] = {
    { 150, 240, 100, 100, 0.20f, 0.9f, 0.9f, 0.9f },  /* obj <= conf */
    { 150, 240, 100, 100, 0.90f, 0.1f, 0.8f, 0.3f },  /* class 1, 0.72 */
    { 300, 300, 20, 20, 0.50f, 0.4f, 0.4f, 0.1f },    /* 0.2 <= conf */
    /* reaches into the top padding: y0 = 100 - 60 = 40 < 140 -> clipped */
    { 400, 100, 40, 120, 0.60f, 0.0f, 0.0f, 1.0f },   /* class 2, 0.6 */
  };

  params_default (&p);
  yv7_letterbox_compute (1280, 720, 640, 640, &lb);
  s = yv7_decode_grid (&rows[0][0], 4, 8, &p, &l, &err);
  check (s == YV7_OK && l.n == 2, "grid decode keeps obj > conf and obj*cls > conf",
      "status %d n %d", s, l.n);
  if (l.n == 2) {
    check (l.d[0].class_id == 1 && near (l.d[0].score, 0.72f, 1e-6f)
        && box_is (&l.d[0], 100, 190, 200, 290, 1e-4f),
        "grid decode: class, score and xyxy box", "class %d score %g box %g,%g,%g,%g",
        l.d[0].class_id, l.d[0].score, l.d[0].x0, l.d[0].y0, l.d[0].x1, l.d[0].y1);
    yv7_unletterbox (&l, &lb);
    check (box_is (&l.d[0], 200, 100, 400, 300, 1e-3f),
        "box comes back at its place in the 1280x720 frame",
        "box %g,%g,%g,%g", l.d[0].x0, l.d[0].y0, l.d[0].x1, l.d[0].y1);
    /* (380,40)-(420,160) -> x (760..840), y (-200 -> 0 .. 40) */
    check (box_is (&l.d[1], 760, 0, 840, 40, 1e-3f),
        "box reaching into the padding is clipped to the frame",
        "box %g,%g,%g,%g", l.d[1].x0, l.d[1].y0, l.d[1].x1, l.d[1].y1);
  }
  yv7_det_list_free (&l);

  /* Non-square odd frame: 385x289 -> 320x320 is 320x240 at pad_y 40, scales
   * 320/385 and 240/289 (the rounded height).  Frame box (77,57.8)-
   * (308,231.2) -> x * 320/385: 64..256; y * 240/289: 48..192, +40: 88..232;
   * so cx 160, cy 160, w 192, h 144 */
  {
    const float row[6] = { 160.0f, 160.0f, 192.0f, 144.0f, 0.9f, 0.9f };
    yv7_letterbox_compute (385, 289, 320, 320, &lb);
    s = yv7_decode_grid (row, 1, 6, &p, &l, &err);
    check (s == YV7_OK && l.n == 1, "grid decode, one class", "status %d n %d",
        s, l.n);
    if (l.n == 1) {
      yv7_unletterbox (&l, &lb);
      check (box_is (&l.d[0], 77, 57.8f, 308, 231.2f, 2e-3f),
          "box comes back at its place in a 385x289 frame",
          "box %g,%g,%g,%g", l.d[0].x0, l.d[0].y0, l.d[0].x1, l.d[0].y1);
    }
    yv7_det_list_free (&l);
  }

  /* classes filter */
  {
    const int only2[1] = { 2 };
    p.classes = only2;
    p.n_classes = 1;
    s = yv7_decode_grid (&rows[0][0], 4, 8, &p, &l, &err);
    check (s == YV7_OK && l.n == 1 && l.d[0].class_id == 2,
        "classes filter keeps only the listed class", "n %d", l.n);
    yv7_det_list_free (&l);
  }

  s = yv7_decode_grid (&rows[0][0], 4, 5, &p, &l, &err);
  check (s == YV7_E_SHAPE, "grid rows of 5 values are refused", "status %d", s);
}

static void
test_raw (void)
{
  /* head 0: [2,3,2,2,7] at stride 8 (input 16x16), head 1: [2,3,1,1,7] at
   * stride 16; nc = 2 */
  enum { NO = 7 };
  float h0[2 * 3 * 2 * 2 * NO], h1[2 * 3 * 1 * 1 * NO];
  const float anchors[12] = { 10, 13, 16, 30, 33, 23, 30, 61, 62, 45, 59, 119 };
  yv7_tensor heads[2];
  yv7_detect_params p;
  yv7_det_list l = { 0 };
  yv7_error err;
  yv7_status s;
  float *c;

  for (size_t i = 0; i < sizeof h0 / sizeof h0[0]; i++)
    h0[i] = -10.0f;
  for (size_t i = 0; i < sizeof h1 / sizeof h1[0]; i++)
    h1[i] = -10.0f;
  /* batch 1, anchor 1, gy 1, gx 0 of head 0 */
  c = h0 + ((((1 * 3 + 1) * 2 + 1) * 2 + 0) * NO);
  c[0] = 0.0f;              /* s 0.5: cx = (1 - 0.5 + 0) * 8 = 4 */
  c[1] = 0.0f;              /* cy = (1 - 0.5 + 1) * 8 = 12 */
  c[2] = 0.0f;              /* (2 * 0.5)^2 * 16 = 16 */
  c[3] = logf (3.0f);       /* s 0.75: (1.5)^2 * 30 = 67.5 */
  c[4] = 2.0f;              /* obj sigmoid(2) = 0.880797 */
  c[5] = -1.0f;
  c[6] = 3.0f;              /* class 1: sigmoid(3) = 0.952574 */
  /* batch 1, anchor 2 of head 1 (anchor 59x119): logits 0 ->
   * cx = cy = (2 * 0.5 - 0.5 + 0) * 16 = 8, w = (2 * 0.5)^2 * 59 = 59,
   * h = 119, obj 0.5; class 0 from its logit 0.1 */
  c = h1 + (((1 * 3 + 2) * 1 * 1) * NO);
  for (int k = 0; k < NO; k++)
    c[k] = 0.0f;
  c[5] = 0.1f;              /* class 0: sigmoid(0.1) = 0.524979, * 0.5 */

  memset (heads, 0, sizeof heads);
  heads[0].dtype = heads[1].dtype = YV7_DT_FLOAT;
  heads[0].rank = heads[1].rank = 5;
  heads[0].dims[0] = 2; heads[0].dims[1] = 3; heads[0].dims[2] = 2;
  heads[0].dims[3] = 2; heads[0].dims[4] = NO;
  heads[1].dims[0] = 2; heads[1].dims[1] = 3; heads[1].dims[2] = 1;
  heads[1].dims[3] = 1; heads[1].dims[4] = NO;
  heads[0].data = h0;
  heads[1].data = h1;

  params_default (&p);
  s = yv7_decode_raw (heads, 2, 1, 16, 16, anchors, &p, &l, &err);
  check (s == YV7_OK && l.n == 2, "raw decode finds the two hand-set cells",
      "status %d n %d: %s", s, l.n, s ? err.message : "");
  if (l.n == 2) {
    check (l.d[0].class_id == 1
        && near (l.d[0].score, 0.880797f * 0.952574f, 1e-5f)
        && box_is (&l.d[0], 4 - 8, 12 - 33.75f, 4 + 8, 12 + 33.75f, 1e-4f),
        "raw decode: sigmoid, grid, stride and anchor give the box",
        "class %d score %g box %g,%g,%g,%g", l.d[0].class_id, l.d[0].score,
        l.d[0].x0, l.d[0].y0, l.d[0].x1, l.d[0].y1);
    check (l.d[1].class_id == 0 && near (l.d[1].score, 0.5f * 0.524979f, 1e-5f)
        && box_is (&l.d[1], 8 - 29.5f, 8 - 59.5f, 8 + 29.5f, 8 + 59.5f, 1e-4f),
        "raw decode: second head uses stride 16 and its own anchors",
        "class %d score %g box %g,%g,%g,%g", l.d[1].class_id, l.d[1].score,
        l.d[1].x0, l.d[1].y0, l.d[1].x1, l.d[1].y1);
  }
  yv7_det_list_free (&l);

  s = yv7_decode_raw (heads, 2, 0, 16, 16, anchors, &p, &l, &err);
  check (s == YV7_OK && l.n == 0, "raw decode of batch 0 finds nothing",
      "status %d n %d", s, l.n);
  s = yv7_decode_raw (heads, 2, 0, 16, 24, anchors, &p, &l, &err);
  check (s == YV7_E_SHAPE, "raw decode refuses a width that disagrees with the stride",
      "status %d", s);
  s = yv7_decode_raw (heads, 2, 2, 16, 16, anchors, &p, &l, &err);
  check (s == YV7_E_INVALID_ARG, "raw decode refuses an image outside the batch",
      "status %d", s);
  yv7_det_list_free (&l);

  check (yv7_default_anchors (3) && yv7_default_anchors (3)[0] == 12
      && yv7_default_anchors (3)[17] == 401,
      "default anchors for 3 heads are yolov7.yaml's", NULL);
  check (yv7_default_anchors (4) && yv7_default_anchors (4)[0] == 19
      && yv7_default_anchors (4)[23] == 792,
      "default anchors for 4 heads are yolov7-w6.yaml's", NULL);
  check (!yv7_default_anchors (2) && !yv7_default_anchors (5),
      "no default anchors for other head counts", NULL);
}

static void
push (yv7_det_list *l, float x0, float y0, float x1, float y1, float score,
    int cls)
{
  if (l->n == l->cap) {
    l->cap = l->cap ? l->cap * 2 : 16;
    l->d = realloc (l->d, sizeof *l->d * (size_t) l->cap);
    if (!l->d) {
      printf ("out of memory\n");
      exit (1);
    }
  }
  l->d[l->n++] = (yv7_detection) { x0, y0, x1, y1, score, cls };
}

static void
test_nms (void)
{
  yv7_det_list l = { 0 };

  /* B overlaps A with IoU 90/110 = 0.82; C is B's box in another class */
  push (&l, 1, 0, 11, 10, 0.8f, 0);     /* B */
  push (&l, 0, 0, 10, 10, 0.9f, 0);     /* A */
  push (&l, 1, 0, 11, 10, 0.7f, 1);     /* C */
  yv7_nms (&l, 0.45f, 300);
  check (l.n == 2 && l.d[0].score == 0.9f && l.d[1].score == 0.7f
      && l.d[1].class_id == 1,
      "NMS drops an overlapping box of the same class, keeps another class's",
      "n %d", l.n);
  yv7_det_list_free (&l);

  /* IoU exactly 50/100 = 0.5 */
  push (&l, 0, 0, 10, 10, 0.9f, 3);
  push (&l, 0, 0, 10, 5, 0.8f, 3);
  yv7_nms (&l, 0.5f, 300);
  check (l.n == 2, "NMS keeps a box whose IoU equals the threshold", "n %d", l.n);
  yv7_nms (&l, 0.49f, 300);
  check (l.n == 1 && l.d[0].score == 0.9f,
      "NMS drops it when the threshold is just below", "n %d", l.n);
  yv7_det_list_free (&l);

  /* equal scores keep their order (stable sort); disjoint boxes */
  for (int i = 0; i < 10; i++)
    push (&l, 20.0f * i, 0, 20.0f * i + 10, 10, i == 7 ? 0.95f : 0.5f, i);
  yv7_nms (&l, 0.45f, 300);
  {
    bool ok = l.n == 10 && l.d[0].class_id == 7;
    for (int i = 1, want = 0; ok && i < 10; i++, want++) {
      if (want == 7)
        want++;
      ok = l.d[i].class_id == want;
    }
    check (ok, "NMS sorts by score, equal scores in input order", "n %d", l.n);
  }
  yv7_nms (&l, 0.45f, 3);
  check (l.n == 3 && l.d[0].class_id == 7 && l.d[1].class_id == 0
      && l.d[2].class_id == 1, "NMS keeps at most max_det", "n %d", l.n);
  yv7_det_list_free (&l);

  /* only the best 30000 take part: 30005 disjoint boxes, the 5 worst go */
  for (int i = 0; i < 30005; i++)
    push (&l, 0, 20.0f * i, 10, 20.0f * i + 10, 1.0f - (float) i * 1e-5f,
        i % 80);
  push (&l, 0, 0, 10, 10, 0.0f, 0);   /* worst of all, one more */
  yv7_nms (&l, 0.45f, 0);
  check (l.n == 30000 && l.d[29999].y0 == 20.0f * 29999,
      "NMS considers only the best 30000 candidates", "n %d", l.n);
  yv7_det_list_free (&l);

  yv7_nms (&l, 0.45f, 300);
  check (l.n == 0, "NMS of an empty list", NULL);
}

static void
test_end2end (void)
{
  const float rows[5][7] = {
    { 0, 10, 10, 20, 20, 1, 0.90f },
    { 1, 30, 30, 60, 50, 2, 0.80f },
    { 1, 5, 5, 9, 9, 0, 0.20f },      /* score <= conf */
    { 1, 70, 80, 90, 100, 5, 0.40f },
    { 2, 1, 1, 2, 2, 2, 0.99f },
  };
  const int cls2[1] = { 2 };
  yv7_detect_params p;
  yv7_det_list l = { 0 };
  yv7_error err;
  yv7_status s;

  params_default (&p);
  s = yv7_decode_end2end (&rows[0][0], 5, 1, &p, &l, &err);
  check (s == YV7_OK && l.n == 2 && box_is (&l.d[0], 30, 30, 60, 50, 0)
      && l.d[0].class_id == 2 && l.d[0].score == 0.8f && l.d[1].class_id == 5,
      "end2end keeps the rows of its batch above conf", "status %d n %d", s, l.n);
  yv7_det_list_free (&l);
  p.classes = cls2;
  p.n_classes = 1;
  s = yv7_decode_end2end (&rows[0][0], 5, 1, &p, &l, &err);
  check (s == YV7_OK && l.n == 1 && l.d[0].class_id == 2,
      "end2end applies the classes filter", "n %d", l.n);
  yv7_det_list_free (&l);
  s = yv7_decode_end2end (NULL, 0, 0, &p, &l, &err);
  check (s == YV7_OK && l.n == 0, "end2end with no rows", NULL);
}

int
main (void)
{
  test_letterbox ();
  test_grid_roundtrip ();
  test_raw ();
  test_nms ();
  test_end2end ();
  printf ("%d passed, %d failed\n", n_pass, n_fail);
  return n_fail ? 1 : 0;
}
