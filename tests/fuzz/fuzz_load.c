/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fuzz_load.c: libFuzzer target for the model loader.
 *
 * Each input is taken as an ONNX file and loaded from memory on the
 * "reference" device (plain C, no OpenCL).  A model that loads runs once on
 * zero inputs, and once more through the detection path when it looks like a
 * YOLOv7 export, as long as the work it would take stays under the caps below
 * (so that no input can make one execution take seconds).  Every failure must
 * carry its status and a message; anything else aborts, which libFuzzer and
 * the replay test report as a crash. */
#include "fuzz_load.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine-private.h"

/* Inputs larger than this are not loaded (-max_len keeps libFuzzer below). */
#define MAX_MODEL_BYTES ((size_t) 8 << 20)
/* Caps on a run: graph inputs, nodes, live tensor bytes, multiply-adds. */
#define MAX_RUN_INPUT_BYTES ((int64_t) 4 << 20)
#define MAX_RUN_NODES 4096
#define MAX_RUN_TENSOR_BYTES ((int64_t) 128 << 20)
#define MAX_RUN_WORK ((int64_t) 200 * 1000 * 1000)
/* Symbolic spatial dims of the input resolve to this (the default is 640). */
#define FUZZ_INPUT_SIZE 64
#define FRAME_SIZE 24

yv7_fuzz_outcome yv7_fuzz_last_outcome;

/* A failed call must say why. */
static void
require_message (yv7_status s, const yv7_error *err, const char *what)
{
  if (s != YV7_OK && err->code == s && err->message[0] != '\0')
    return;
  fprintf (stderr, "fuzz_load: %s failed with %s (error code %s, message '%s')\n",
      what, yv7_status_name (s), yv7_status_name (err->code), err->message);
  abort ();
}

/* a * b, saturating at INT64_MAX (both >= 0). */
static int64_t
sat_mul (int64_t a, int64_t b)
{
  if (a != 0 && b > INT64_MAX / a)
    return INT64_MAX;
  return a * b;
}

static int64_t
sat_add (int64_t a, int64_t b)
{
  return a > INT64_MAX - b ? INT64_MAX : a + b;
}

/* Elements of a value whose shape is known at load, else -1. */
static int64_t
value_numel (const yv7_graph *g, int v)
{
  int64_t n;
  if (v < 0 || g->values[v].dynamic
      || !yv7_shape_numel (g->values[v].t.rank, g->values[v].t.dims, &n))
    return -1;
  return n;
}

/* Multiply-adds (roughly) of one node, INT64_MAX when unbounded. */
static int64_t
node_work (const yv7_graph *g, const yv7_node *n)
{
  int64_t io = 0, out = 0, per = 1;

  for (int k = 0; k < n->n_inputs; k++)
    if (n->inputs[k] >= 0)
      io = sat_add (io, value_numel (g, n->inputs[k]) < 0 ? 0 : value_numel (g, n->inputs[k]));
  for (int k = 0; k < n->n_outputs; k++) {
    int64_t m = value_numel (g, n->outputs[k]);
    if (n->outputs[k] >= 0 && m < 0)
      m = io;   /* after NonMaxSuppression: bounded by what flows in */
    out = sat_add (out, m < 0 ? 0 : m);
  }
  if (strcmp (n->op_type, "Conv") == 0 && n->n_inputs > 1 && n->inputs[1] >= 0) {
    const yv7_tensor *w = &g->values[n->inputs[1]].t;
    int64_t wn = value_numel (g, n->inputs[1]);
    if (wn < 0 || w->rank < 1 || w->dims[0] <= 0)
      return INT64_MAX;
    per = wn / w->dims[0];
  } else if (strcmp (n->op_type, "MatMul") == 0 && n->inputs[0] >= 0) {
    const yv7_tensor *a = &g->values[n->inputs[0]].t;
    per = a->rank > 0 ? a->dims[a->rank - 1] : 1;
  } else if (strcmp (n->op_type, "MaxPool") == 0) {
    const int64_t *ks;
    size_t nk = yv7_attr_ints (n, "kernel_shape", &ks);
    for (size_t i = 0; i < nk; i++)
      per = sat_mul (per, ks[i] > 0 ? ks[i] : 1);
  } else if (strcmp (n->op_type, "NonMaxSuppression") == 0) {
    per = io;   /* every box against every other */
  }
  return sat_add (sat_mul (out, per < 1 ? 1 : per), io);
}

/* Is one run of this graph cheap enough? */
static bool
run_is_bounded (const yv7_engine *e)
{
  const yv7_graph *g = &e->g;
  int64_t work = 0, bytes = 0;
  int live = 0;

  for (int i = 0; i < g->n_inputs; i++) {
    const yv7_tensor *t = &g->values[g->inputs[i]].t;
    int64_t n = value_numel (g, g->inputs[i]);
    if (n < 0 || sat_mul (n, (int64_t) yv7_dtype_size (t->dtype)) > MAX_RUN_INPUT_BYTES)
      return false;
  }
  for (int i = 0; i < g->n_nodes; i++) {
    const yv7_node *n = &g->nodes[i];
    if (n->dead)
      continue;
    if (++live > MAX_RUN_NODES)
      return false;
    work = sat_add (work, node_work (g, n));
  }
  for (int v = 0; v < g->n_values; v++) {
    int64_t n = value_numel (g, v);
    if (!g->values[v].is_const && n > 0)
      bytes = sat_add (bytes, sat_mul (n, (int64_t) yv7_dtype_size (g->values[v].t.dtype)));
  }
  return work <= MAX_RUN_WORK && bytes <= MAX_RUN_TENSOR_BYTES;
}

/* Every output of a successful run has its dims and its bytes. */
static void
check_outputs (const yv7_engine *e)
{
  volatile uint8_t sink = 0;

  for (int i = 0; i < yv7_engine_n_outputs (e); i++) {
    yv7_tensor out;
    int64_t n;
    if (yv7_engine_get_output (e, i, &out) != YV7_OK
        || !yv7_shape_numel (out.rank, out.dims, &n)
        || (n > 0 && yv7_dtype_size (out.dtype) > 0 && out.data == NULL)) {
      fprintf (stderr, "fuzz_load: output %d of a successful run is unusable\n", i);
      abort ();
    }
    /* touch every byte, so a sanitizer sees a buffer shorter than its dims */
    for (size_t b = 0; b < (size_t) n * yv7_dtype_size (out.dtype); b++)
      sink ^= ((const uint8_t *) out.data)[b];
  }
  (void) sink;
}

/* One run on zero inputs of the model's own shapes. */
static bool
run_once (yv7_engine *e)
{
  yv7_tensor in[64];
  yv7_error err = { 0 };
  int n_in = yv7_engine_n_inputs (e);
  yv7_status s = YV7_OK;

  if (n_in > 64)
    return false;
  memset (in, 0, sizeof in);
  for (int i = 0; i < n_in; i++) {
    int64_t n = 1;
    yv7_engine_input_info (e, i, &in[i]);
    yv7_shape_numel (in[i].rank, in[i].dims, &n);
    in[i].data = calloc ((size_t) n * yv7_dtype_size (in[i].dtype) + 1, 1);
    if (!in[i].data)
      goto out;
  }
  s = yv7_engine_run (e, in, n_in, &err);
  if (s != YV7_OK)
    require_message (s, &err, "yv7_engine_run");
  else
    check_outputs (e);
out:
  for (int i = 0; i < n_in; i++)
    free (in[i].data);
  return s == YV7_OK;
}

/* The detection path on a small grey frame, for the YOLOv7 forms. */
static void
detect_once (yv7_engine *e)
{
  static uint8_t pixels[FRAME_SIZE * FRAME_SIZE * 3];
  yv7_frame frame = { 0 };
  yv7_error err = { 0 };
  const yv7_detection *dets = NULL;
  volatile float sink = 0;
  int n = 0;
  yv7_status s;

  memset (pixels, 128, sizeof pixels);
  frame.format = YV7_PIX_RGB;
  frame.width = frame.height = FRAME_SIZE;
  frame.planes[0] = pixels;
  frame.strides[0] = FRAME_SIZE * 3;
  s = yv7_engine_detect (e, &frame, NULL, &dets, &n, &err);
  if (s != YV7_OK) {
    require_message (s, &err, "yv7_engine_detect");
    return;
  }
  /* boxes are whatever the (random) weights say; their count is bounded */
  if (n < 0 || n > 300 || (n > 0 && dets == NULL)) {
    fprintf (stderr, "fuzz_load: %d detections (at most 300 asked for)\n", n);
    abort ();
  }
  for (int i = 0; i < n; i++)
    sink += dets[i].score;
  (void) sink;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  yv7_options opt;
  yv7_error err = { 0 };
  yv7_engine *e;

  yv7_fuzz_last_outcome = YV7_FUZZ_REJECTED;
  if (size > MAX_MODEL_BYTES)
    return 0;
  yv7_options_init (&opt);
  opt.device = "reference";
  opt.input_height = FUZZ_INPUT_SIZE;
  opt.input_width = FUZZ_INPUT_SIZE;
  e = yv7_engine_load_memory (data, size, &opt, &err);
  if (!e) {
    require_message (err.code, &err, "yv7_engine_load_memory");
    return 0;
  }
  yv7_fuzz_last_outcome = YV7_FUZZ_LOADED;
  if (run_is_bounded (e)) {
    if (run_once (e))
      yv7_fuzz_last_outcome = YV7_FUZZ_RAN;
    if (yv7_engine_form (e) != YV7_FORM_OTHER)
      detect_once (e);
  }
  yv7_engine_free (e);
  return 0;
}
