/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test_engine.c: engine-level behaviour on a small generated model (the
 * official tiny grid structure): device memory planning, several engines in
 * one process, the submit/poll/collect cycle, and the OpenCL detections
 * agreeing with the host reference path on the same frame; with the same
 * model exported with a symbolic batch dim, one batched run with different
 * detection parameters per frame giving each frame what a run of its own
 * gives.
 *
 *   test-engine MODEL.onnx [DYNAMIC-BATCH-MODEL.onnx] */
#include <yolov7/yolov7.h>

#include "check.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* A 385x289 frame (odd size: catches stride bugs) with smooth content;
 * variants v > 0 have other sizes and patterns. */
static unsigned char *
make_frame_v (yv7_frame *f, int v)
{
  int w = 385 - 64 * v, h = 289 + 32 * v, stride = w * 3 + 5;
  unsigned char *px = malloc ((size_t) stride * h);
  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++) {
      unsigned char *p = px + (size_t) y * stride + x * 3;
      p[0] = (unsigned char) (x * 255 / w);
      p[1] = (unsigned char) (y * 255 / h);
      p[2] = (unsigned char) ((((x + 13 * v) / (40 - 8 * v) + y / 40) & 1) ? 220 : 30);
    }
  memset (f, 0, sizeof *f);
  f->format = YV7_PIX_RGB;
  f->width = w;
  f->height = h;
  f->planes[0] = px;
  f->strides[0] = stride;
  return px;
}

static unsigned char *
make_frame (yv7_frame *f)
{
  return make_frame_v (f, 0);
}

/* Detections of one frame as equal as two runs of the same weights give:
 * same count, classes and order, boxes within 0.01 px, scores within 1e-4. */
static int
same_detections (const yv7_detection *a, int na, const yv7_detection *b, int nb,
    float *worst)
{
  *worst = 0.f;
  if (na != nb)
    return 0;
  for (int i = 0; i < na; i++) {
    float d = fabsf (a[i].x0 - b[i].x0) + fabsf (a[i].y0 - b[i].y0)
        + fabsf (a[i].x1 - b[i].x1) + fabsf (a[i].y1 - b[i].y1);
    if (d > *worst)
      *worst = d;
    if (a[i].class_id != b[i].class_id || fabsf (a[i].score - b[i].score) >= 1e-4f)
      return 0;
  }
  return *worst < 0.01f;
}

/* Three different frames in one run of a batch-3 engine, each with its own
 * thresholds and classes, against the batch-1 engine `one` on each frame
 * alone with the same parameters. */
static void
test_batched_params (yv7_engine *one, const char *dyn_path)
{
  static const int only1[] = { 1 };
  yv7_options opt;
  yv7_error err;
  yv7_engine *batched;
  yv7_frame frames[3];
  unsigned char *px[3];
  yv7_detect_params p[3];
  char msg[256];

  yv7_options_init (&opt);
  opt.batch = 3;
  batched = yv7_engine_load (dyn_path, &opt, &err);
  check (batched && yv7_engine_batch (batched) == 3, "a symbolic batch dim takes batch 3",
      batched ? NULL : err.message);
  if (!batched)
    return;
  for (int i = 0; i < 3; i++) {
    px[i] = make_frame_v (&frames[i], i);
    yv7_detect_params_init (&p[i]);
  }
  p[0].conf_threshold = 0.05f;
  p[1].conf_threshold = 0.05f;
  p[1].classes = only1;
  p[1].n_classes = 1;
  p[2].conf_threshold = 0.02f;
  p[2].iou_threshold = 0.3f;
  p[2].max_detections = 4;
  check (yv7_engine_submit_each (batched, frames, 3, p, &err) == YV7_OK
      && yv7_engine_collect (batched, &err) == YV7_OK, "a batch of 3 with per-frame "
      "parameters runs", NULL);
  for (int i = 0; i < 3; i++) {
    const yv7_detection *db, *d1;
    int nb = 0, n1 = 0, ok, classes_ok = 1;
    float worst;
    db = yv7_engine_detections (batched, i, &nb);
    ok = yv7_engine_detect (one, &frames[i], &p[i], &d1, &n1, &err) == YV7_OK;
    ok = ok && n1 > 0 && same_detections (db, nb, d1, n1, &worst);
    for (int k = 0; k < nb; k++)
      classes_ok = classes_ok && (i != 1 || db[k].class_id == 1);
    snprintf (msg, sizeof msg, "frame %d: %d batched vs %d alone, largest box "
        "difference %.5f px", i, nb, n1, ok ? worst : -1.f);
    check (ok && classes_ok && (i != 2 || nb == 4), "each frame of the batch gets "
        "what its own run with its own parameters gets", msg);
  }
  for (int i = 0; i < 3; i++)
    free (px[i]);
  yv7_engine_free (batched);
}

int
main (int argc, char **argv)
{
  yv7_options opt;
  yv7_error err;
  yv7_engine *a, *b, *ref;
  yv7_frame frame;
  yv7_detect_params p;
  unsigned char *px;
  char msg[256];

  if (argc < 2) {
    fprintf (stderr, "usage: test-engine MODEL.onnx\n");
    return 2;
  }
  yv7_options_init (&opt);
  a = yv7_engine_load (argv[1], &opt, &err);
  b = a ? yv7_engine_load (argv[1], &opt, &err) : NULL;
  opt.device = "reference";
  ref = b ? yv7_engine_load (argv[1], &opt, &err) : NULL;
  check (a && b && ref, "two OpenCL engines and a reference engine load", a && b && ref ? NULL : err.message);
  if (!ref)
    goto out;

  {
    size_t arena, consts, unplanned;
    yv7_engine_memory (a, &arena, &consts, &unplanned);
    snprintf (msg, sizeof msg, "arena %zu bytes, %zu unplanned", arena, unplanned);
    /* reuse by lifetime must beat one buffer per tensor by far */
    check (arena > 0 && arena * 3 < unplanned, "memory plan reuses storage", msg);
    check (consts > 0, "constants are on the device", NULL);
  }

  px = make_frame (&frame);
  yv7_detect_params_init (&p);
  p.conf_threshold = 0.05f;   /* random weights: keep some candidates */
  {
    int na = 0, nb = 0, nr = 0, waited_ms = 0;
    const struct timespec ms1 = { 0, 1000000 };
    const yv7_detection *da, *db, *dr;
    yv7_status s1 = yv7_engine_submit (a, &frame, 1, &p, &err);
    yv7_status s2 = yv7_engine_submit (b, &frame, 1, &p, &err);
    check (s1 == YV7_OK && s2 == YV7_OK, "two engines have work in flight at once", NULL);
    /* a bound on the wait, not a timing check: the first run on a cold
     * PoCL kernel cache compiles its kernels for seconds */
    while (!yv7_engine_poll (a) && waited_ms < 300000) {
      nanosleep (&ms1, NULL);
      waited_ms++;
    }
    check (yv7_engine_poll (a), "poll reports the device work finished", NULL);
    check (yv7_engine_collect (a, &err) == YV7_OK && yv7_engine_collect (b, &err) == YV7_OK,
        "collect both", NULL);
    check (yv7_engine_collect (a, &err) == YV7_E_STATE, "collect without submit is a state error", NULL);
    da = yv7_engine_detections (a, 0, &na);
    db = yv7_engine_detections (b, 0, &nb);
    check (yv7_engine_detect (ref, &frame, &p, &dr, &nr, &err) == YV7_OK,
        "reference path detects", NULL);
    snprintf (msg, sizeof msg, "%d, %d and %d detections", na, nb, nr);
    check (na > 0 && na == nb && na == nr, "both engines and the reference agree on the count", msg);
    {
      int same = na == nb && na == nr;
      float worst = 0.f;
      for (int i = 0; same && i < na; i++) {
        float d = fabsf (da[i].x0 - dr[i].x0) + fabsf (da[i].y0 - dr[i].y0)
            + fabsf (da[i].x1 - dr[i].x1) + fabsf (da[i].y1 - dr[i].y1);
        same = same && memcmp (&da[i], &db[i], sizeof da[i]) == 0
            && da[i].class_id == dr[i].class_id && fabsf (da[i].score - dr[i].score) < 1e-4f;
        if (d > worst)
          worst = d;
        /* boxes are in frame pixels, inside the frame */
        same = same && da[i].x0 >= 0 && da[i].y0 >= 0 && da[i].x1 <= frame.width
            && da[i].y1 <= frame.height && da[i].x0 <= da[i].x1 && da[i].y0 <= da[i].y1;
      }
      snprintf (msg, sizeof msg, "largest box difference to the reference %.5f px", worst);
      check (same && worst < 0.01f, "the same boxes from both engines and the reference", msg);
    }
  }
  free (px);

  if (argc > 2) {
    test_batched_params (a, argv[2]);
    /* a fixed batch-1 model asked for 3: an error, or batch 1 when flexible */
    yv7_options_init (&opt);
    opt.batch = 3;
    yv7_engine_free (b);
    b = yv7_engine_load (argv[1], &opt, &err);
    check (!b && err.code == YV7_E_SHAPE, "a fixed batch refuses another", b ? NULL : err.message);
    opt.batch_flexible = 1;
    b = yv7_engine_load (argv[1], &opt, &err);
    check (b && yv7_engine_batch (b) == 1, "batch_flexible keeps the model's fixed batch",
        b ? NULL : err.message);
  }

out:
  yv7_engine_free (a);
  yv7_engine_free (b);
  yv7_engine_free (ref);
  return check_summary ();
}
