/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* cl_backend.c: the OpenCL backend.  Owns device memory: constants each in
 * their own buffer (conv weights packed at load), every run-time value in
 * one arena whose offsets are planned from value lifetimes, with Concat
 * inputs written straight into their slice of the output and reshapes
 * sharing their input's storage.  Nodes are enqueued on one in-order queue
 * with no waiting between them. */
#include "backend.h"
#include "clrt.h"
#include "cl_preprocess.h"
#include "cl_gemm.h"
#include "op.h"
#include "ops/ops-common.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ALIGN 256

typedef struct {
  cl_mem mem;        /* arena or a constant's own buffer; NULL if none */
  size_t off;        /* byte offset in mem */
  int parent;        /* value whose storage holds this one (alias, concat slice) */
  size_t poff;       /* byte offset inside the parent */
} dev_value;

typedef struct {
  cl_mem packed;     /* Conv: packed weights; BN: scale; Resize: index tables */
  cl_mem aux;        /* Conv, GPU kernels, fp16 weights: their half copy; BN: shift */
  bool runtime_pack; /* Conv with non-constant weights: pack at every run */
  bool wino;         /* Conv: Winograd F(4x4,3x3); packed holds U */
  int col_rows;      /* Conv: output rows per im2col band, 0 = direct kernel */
  bool *skip;        /* Concat: inputs already written in place */
  bool resize2x;     /* Resize: nearest by exactly 2 in H and W, N and C kept */
  yv7_conv_shape shape;  /* Conv: geometry, set once in prepare_conv */
  yv7_gemm_plan gplan;   /* Conv, GPU kernels: tile and K splits */
} dev_node;

typedef struct {
  yv7_backend base;
  yv7_cl cl;
  cl_mem arena;
  size_t arena_size;
  size_t const_bytes;        /* constants and packed weights */
  size_t unplanned_bytes;    /* run-time values, each in its own buffer */
  dev_value *vals;
  dev_node *nodes;
  int n_vals, n_nodes;
  cl_event done;
  cl_mem scratch;            /* Winograd V and M or an im2col band, shared */
  size_t scratch_size, scratch_m;   /* bytes; M's byte offset in scratch */
  size_t col_size;           /* bytes of the largest im2col band */
  cl_mem gpart;              /* GPU kernels: split-K partial sums, shared */
  size_t gpart_size;
  yv7_gemm_cache gcache;     /* GPU kernels: plans measured on this device */
  double *prof_ms;           /* YV7_PROFILE set: wall ms per node, summed */
  char (*prof_kernel)[96];   /* and the kernels each node launched */
  const yv7_graph *prof_graph;
  int prof_runs, prof_first;
  bool prof_dropped;         /* the first run's times were discarded */
} cl_backend;

static const char *const alias_ops[] = {
  "Reshape", "Flatten", "Squeeze", "Unsqueeze", "Identity", NULL
};

static bool
is_op (const yv7_node *n, const char *const *list)
{
  for (; *list; list++)
    if (strcmp (n->op_type, *list) == 0)
      return true;
  return false;
}

static const yv7_tensor *
T (const yv7_graph *g, int v)
{
  return &g->values[v].t;
}

static bool
all_float (const yv7_graph *g, const yv7_node *n, int n_in)
{
  for (int k = 0; k < n_in && k < n->n_inputs; k++)
    if (n->inputs[k] >= 0 && T (g, n->inputs[k])->dtype != YV7_DT_FLOAT)
      return false;
  return true;
}

static bool
fits_int (const yv7_tensor *t)
{
  return yv7_tensor_numel (t) < INT32_MAX;
}

/* ---- supports_op ---- */

static bool
cl_supports (yv7_backend *b, const yv7_graph *g, const yv7_node *n)
{
  const char *op = n->op_type;
  const yv7_tensor *x = n->inputs[0] >= 0 ? T (g, n->inputs[0]) : NULL;

  if (!x || n->outputs[0] < 0 || !fits_int (T (g, n->outputs[0])) || !fits_int (x))
    return false;
  if (strcmp (op, YV7_OP_GRID_DECODE) == 0)
    return true;   /* made by a pass for this backend, shapes checked there */
  if (strcmp (op, "Conv") == 0) {
    const yv7_tensor *w = T (g, n->inputs[1]);
    const char *pad = yv7_attr_string (n, "auto_pad", "NOTSET");
    return all_float (g, n, 3) && (x->rank == 4 || x->rank == 3)
        && w->rank == x->rank && strcmp (pad, "NOTSET") == 0;
  }
  if (!strcmp (op, "Add") || !strcmp (op, "Sub") || !strcmp (op, "Mul")
      || !strcmp (op, "Div") || !strcmp (op, "Pow"))
    return all_float (g, n, 2) && T (g, n->outputs[0])->dtype == YV7_DT_FLOAT;
  if (!strcmp (op, "Sigmoid") || !strcmp (op, "LeakyRelu") || !strcmp (op, "Relu"))
    return x->dtype == YV7_DT_FLOAT;
  if (!strcmp (op, "MaxPool")) {
    const char *pad = yv7_attr_string (n, "auto_pad", "NOTSET");
    return x->dtype == YV7_DT_FLOAT && x->rank == 4 && n->n_outputs == 1
        && strcmp (pad, "NOTSET") == 0;
  }
  if (!strcmp (op, "Resize")) {
    /* tables from known scales/sizes; extrapolation stays on the host */
    for (int k = 1; k < n->n_inputs; k++)
      if (n->inputs[k] >= 0 && !g->values[n->inputs[k]].is_const)
        return false;
    return x->dtype == YV7_DT_FLOAT && x->rank == 4
        && !strcmp (yv7_attr_string (n, "mode", "nearest"), "nearest")
        && strcmp (yv7_attr_string (n, "coordinate_transformation_mode", ""),
            "tf_crop_and_resize") != 0;
  }
  if (is_op (n, alias_ops) || !strcmp (op, "Transpose") || !strcmp (op, "Concat")
      || !strcmp (op, "Split") || !strcmp (op, "Slice")) {
    size_t es = yv7_dtype_size (x->dtype);
    for (int k = 1; k < n->n_inputs; k++)   /* shape-like inputs must be known */
      if (n->inputs[k] >= 0 && !g->values[n->inputs[k]].is_const
          && strcmp (op, "Concat") != 0)
        return false;
    return (es == 4 || es == 8) && x->rank <= 8;
  }
  if (!strcmp (op, "MatMul")) {
    const yv7_tensor *bt = T (g, n->inputs[1]);
    if (!all_float (g, n, 2) || x->rank < 2 || bt->rank < 2)
      return false;
    /* batch dims: B plain 2-D, or both with the same batch shape */
    if (bt->rank == 2)
      return true;
    if (x->rank != bt->rank)
      return false;
    for (int d = 0; d < x->rank - 2; d++)
      if (x->dims[d] != bt->dims[d])
        return false;
    return true;
  }
  if (!strcmp (op, "ReduceMax") || !strcmp (op, "ArgMax")) {
    if (x->dtype != YV7_DT_FLOAT || x->rank < 1)
      return false;
    if (!strcmp (op, "ReduceMax")) {
      /* one axis, given as an attribute or a known input */
      const int64_t *axes;
      size_t na = yv7_attr_ints (n, "axes", &axes);
      if (n->n_inputs > 1 && n->inputs[1] >= 0)
        return g->values[n->inputs[1]].is_const
            && yv7_tensor_numel (T (g, n->inputs[1])) == 1;
      return na == 1;
    }
    return true;
  }
  if (!strcmp (op, "Cast")) {
    yv7_dtype to = (yv7_dtype) yv7_attr_int (n, "to", 0);
    return (x->dtype == YV7_DT_FLOAT || x->dtype == YV7_DT_INT64)
        && (to == YV7_DT_FLOAT || to == YV7_DT_INT64);
  }
  if (!strcmp (op, "BatchNormalization")) {
    for (int k = 1; k < 5; k++)
      if (!g->values[n->inputs[k]].is_const || T (g, n->inputs[k])->dtype != YV7_DT_FLOAT)
        return false;
    return x->dtype == YV7_DT_FLOAT && x->rank >= 2 && n->n_outputs == 1;
  }
  return false;
}

/* ---- memory ---- */

static yv7_status
make_buffer (cl_backend *be, const void *data, size_t size, cl_mem *out,
    const char *what, yv7_error *err)
{
  cl_int rc;
  cl_mem_flags fl = CL_MEM_READ_WRITE | (data ? CL_MEM_COPY_HOST_PTR : 0);
  be->const_bytes += size;   /* the arena subtracts itself */
  *out = yv7_cl_buffer (&be->cl, fl, size ? size : 4, size ? (void *) data : NULL, &rc);
  if (rc != CL_SUCCESS) {
    *out = NULL;
    return yv7_cl_check (rc, what, err);
  }
  return YV7_OK;
}

/* Bytes of n Conv weights on the device: fp32, or fp16 with the
 * fp16-weights option. */
static size_t
weight_bytes (const cl_backend *be, size_t n)
{
  return n * (be->cl.half_weights ? 2 : sizeof (float));
}

/* n fp32 Conv weights from the host in a new buffer of the program's
 * weight type: as they are, or uploaded and converted to fp16 on the device
 * (vstore_half_rte: round to nearest even). */
static yv7_status
make_weights (cl_backend *be, const float *data, size_t n, cl_mem *out, const char *what,
    yv7_error *err)
{
  cl_mem tmp;
  uint off = 0, un = (uint) n;
  yv7_status s;
  if (!be->cl.half_weights)
    return make_buffer (be, data, n * sizeof (float), out, what, err);
  if (n > UINT32_MAX)
    return yv7_set_error (err, YV7_E_UNSUPPORTED, "%s: %zu weights are too many", what, n);
  if ((s = make_buffer (be, data, n * sizeof (float), &tmp, what, err)) != YV7_OK)
    return s;
  be->const_bytes -= n * sizeof (float);   /* released below */
  s = make_buffer (be, NULL, weight_bytes (be, n), out, what, err);
  if (s == YV7_OK
      && (s = yv7_cl_launch (&be->cl, "weights_from_f32", 1, &n, YV7_CL_ARG (tmp),
              YV7_CL_ARG (off), YV7_CL_ARG (*out), YV7_CL_ARG (un), YV7_CL_END)) != YV7_OK)
    yv7_set_error (err, s, "%s: converting the weights to fp16 failed", what);
  clReleaseMemObject (tmp);   /* freed once the conversion has run */
  return s;
}

static size_t
value_bytes (const yv7_graph *g, int v)
{
  return yv7_tensor_nbytes (T (g, v));
}

/* The value's constant in a buffer of its own (uploaded once). */
static yv7_status
const_buffer (cl_backend *be, const yv7_graph *g, int v, yv7_error *err)
{
  if (be->vals[v].mem)
    return YV7_OK;
  be->vals[v].off = 0;
  return make_buffer (be, T (g, v)->data, value_bytes (g, v), &be->vals[v].mem,
      "uploading a constant", err);
}

static int
root_of (cl_backend *be, int v, size_t *off)
{
  size_t o = 0;
  int guard = 0;
  while (be->vals[v].parent >= 0 && guard++ < 100000) {
    o += be->vals[v].poff;
    v = be->vals[v].parent;
  }
  *off = o;
  return v;
}

static bool
elidable_concat_input (cl_backend *be, const yv7_graph *g, const yv7_node *c, int k,
    const bool *claimed)
{
  int u = c->inputs[k], p;
  if (u < 0 || g->values[u].is_const || g->values[u].is_input || claimed[u])
    return false;
  p = g->values[u].producer;
  if (p < 0 || g->nodes[p].on_host || g->nodes[p].dead || is_op (&g->nodes[p], alias_ops))
    return false;
  if (be->vals[u].parent >= 0)
    return false;
  for (int j = 0; j < c->n_inputs; j++)
    if (j != k && c->inputs[j] == u)
      return false;
  return T (g, u)->dtype == T (g, c->outputs[0])->dtype;
}

typedef struct { int root; size_t size; int start, end; size_t off; } block;

static int
cmp_block (const void *a, const void *b)
{
  const block *x = a, *y = b;
  if (x->size != y->size)
    return x->size < y->size ? 1 : -1;
  return x->start - y->start;
}

/* Plan where every run-time device value lives.  Greedy by size: each root
 * goes at the lowest offset that does not overlap a root alive at the same
 * time, so the arena stays near the largest live set. */
static yv7_status
plan_memory (cl_backend *be, yv7_graph *g, yv7_error *err)
{
  int nv = g->n_values;
  bool *claimed = calloc ((size_t) nv + 1, 1);
  int *start = malloc (sizeof (int) * ((size_t) nv + 1));
  int *end = malloc (sizeof (int) * ((size_t) nv + 1));
  block *blocks = malloc (sizeof (block) * ((size_t) nv + 1));
  int nb = 0;
  size_t arena = 0;
  yv7_status s = YV7_OK;

  if (!claimed || !start || !end || !blocks) {
    s = yv7_set_error (err, YV7_E_NOMEM, "out of memory planning device memory");
    goto done;
  }
  /* Concat elimination, last concat first so nested ones resolve */
  for (int i = g->n_nodes - 1; i >= 0; i--) {
    yv7_node *c = &g->nodes[i];
    const yv7_tensor *o;
    int axis;
    int64_t outer = 1, inner = 1, pos = 0;
    if (c->dead || c->on_host || strcmp (c->op_type, "Concat") != 0)
      continue;
    o = T (g, c->outputs[0]);
    if (!yv7_norm_axis (yv7_attr_int (c, "axis", 0), o->rank, &axis))
      continue;
    for (int d = 0; d < axis; d++)
      outer *= o->dims[d];
    for (int d = axis + 1; d < o->rank; d++)
      inner *= o->dims[d];
    if (outer != 1)
      continue;   /* slices would not be contiguous */
    for (int k = 0; k < c->n_inputs; k++) {
      int u = c->inputs[k];
      if (u < 0)
        continue;
      if (elidable_concat_input (be, g, c, k, claimed)) {
        be->vals[u].parent = c->outputs[0];
        be->vals[u].poff = (size_t) (pos * inner) * yv7_dtype_size (o->dtype);
        be->nodes[i].skip[k] = true;
        claimed[u] = true;
      }
      pos += T (g, u)->dims[axis];
    }
  }
  /* reshapes share their input's storage */
  for (int i = 0; i < g->n_nodes; i++) {
    yv7_node *n = &g->nodes[i];
    int in = n->inputs[0];
    if (n->dead || n->on_host || !is_op (n, alias_ops) || g->values[in].is_const)
      continue;
    be->vals[n->outputs[0]].parent = in;
    be->vals[n->outputs[0]].poff = 0;
  }
  /* lifetimes of roots */
  for (int v = 0; v < nv; v++) {
    start[v] = INT32_MAX;
    end[v] = -1;
  }
  for (int v = 0; v < nv; v++) {
    size_t off;
    int r;
    const yv7_value *val = &g->values[v];
    if (!val->on_device || val->is_const)
      continue;
    r = root_of (be, v, &off);
    {
      int st = val->producer >= 0 ? val->producer : -1;
      if (st < start[r])
        start[r] = st;
      if (val->is_output || val->is_input)
        end[r] = INT32_MAX - 1;
    }
  }
  for (int i = 0; i < g->n_nodes; i++) {
    const yv7_node *n = &g->nodes[i];
    if (n->dead)
      continue;
    for (int k = 0; k < n->n_inputs; k++) {
      int v = n->inputs[k];
      size_t off;
      int r;
      if (v < 0 || !g->values[v].on_device || g->values[v].is_const)
        continue;
      r = root_of (be, v, &off);
      if (i > end[r])
        end[r] = i;
    }
    for (int k = 0; k < n->n_outputs; k++) {
      int v = n->outputs[k];
      size_t off;
      int r;
      if (v < 0 || !g->values[v].on_device)
        continue;
      r = root_of (be, v, &off);
      if (i > end[r])
        end[r] = i;   /* written even if never read */
    }
  }
  for (int v = 0; v < nv; v++) {
    if (!g->values[v].on_device || g->values[v].is_const || be->vals[v].parent >= 0)
      continue;
    blocks[nb].root = v;
    blocks[nb].size = (value_bytes (g, v) + ALIGN - 1) / ALIGN * ALIGN;
    blocks[nb].start = start[v] == INT32_MAX ? -1 : start[v];
    blocks[nb].end = end[v] < 0 ? blocks[nb].start : end[v];
    nb++;
  }
  qsort (blocks, (size_t) nb, sizeof (block), cmp_block);
  for (int i = 0; i < nb; i++) {
    size_t off = 0;
    bool moved = true;
    while (moved) {
      moved = false;
      for (int j = 0; j < i; j++) {
        if (blocks[j].end < blocks[i].start || blocks[i].end < blocks[j].start)
          continue;   /* never alive together */
        if (off < blocks[j].off + blocks[j].size && blocks[j].off < off + blocks[i].size) {
          off = blocks[j].off + blocks[j].size;
          moved = true;
        }
      }
    }
    blocks[i].off = off;
    if (off + blocks[i].size > arena)
      arena = off + blocks[i].size;
  }
  if (arena > be->cl.max_alloc && be->cl.max_alloc) {
    s = yv7_set_error (err, YV7_E_NOMEM, "the model needs %zu MiB of device "
        "memory in one buffer; %s allows %llu MiB", arena >> 20, be->cl.name,
        (unsigned long long) (be->cl.max_alloc >> 20));
    goto done;
  }
  if ((s = make_buffer (be, NULL, arena, &be->arena, "allocating the tensor arena", err)) != YV7_OK)
    goto done;
  be->arena_size = arena;
  be->const_bytes -= arena;
  /* for comparison: every run-time value but reshapes in its own buffer */
  for (int v = 0; v < nv; v++) {
    int p = g->values[v].producer;
    if (g->values[v].on_device && !g->values[v].is_const
        && (p < 0 || !is_op (&g->nodes[p], alias_ops)))
      be->unplanned_bytes += value_bytes (g, v);
  }
  for (int i = 0; i < nb; i++) {
    be->vals[blocks[i].root].mem = be->arena;
    be->vals[blocks[i].root].off = blocks[i].off;
  }
  for (int v = 0; v < nv; v++) {
    size_t off;
    int r;
    if (!g->values[v].on_device || g->values[v].is_const || be->vals[v].parent < 0)
      continue;
    r = root_of (be, v, &off);
    be->vals[v].mem = be->arena;
    be->vals[v].off = be->vals[r].off + off;
  }

done:
  free (claimed);
  free (start);
  free (end);
  free (blocks);
  return s;
}

/* ---- per-node preparation ---- */

/* Winograd F(4x4,3x3) for 3x3, stride 1, dilation 1, ungrouped Convs with
 * constant weights whose maps are big enough for the transforms to pay.
 * YV7_WINOGRAD=0 turns it off (for comparisons). */
static bool
use_winograd (const cl_backend *be, const yv7_graph *g, const yv7_node *n)
{
  const yv7_tensor *x = T (g, n->inputs[0]), *w = T (g, n->inputs[1]), *y = T (g, n->outputs[0]);
  const int64_t *st, *dil;
  size_t nst = yv7_attr_ints (n, "strides", &st), ndl = yv7_attr_ints (n, "dilations", &dil);
  const char *env = getenv ("YV7_WINOGRAD");
  int64_t tiles;
  if (env && !strcmp (env, "0"))
    return false;
  if (be->cl.gpu_kernels)
    return false;   /* the GPU GEMM has no Winograd form yet */
  if (x->rank != 4 || w->dims[2] != 3 || w->dims[3] != 3 || yv7_attr_int (n, "group", 1) != 1
      || !g->values[n->inputs[1]].is_const)
    return false;
  for (size_t k = 0; k < nst; k++)
    if (st[k] != 1)
      return false;
  for (size_t k = 0; k < ndl; k++)
    if (dil[k] != 1)
      return false;
  tiles = ((y->dims[2] + 3) / 4) * ((y->dims[3] + 3) / 4);
  /* measured on PoCL (YV7_PROFILE node times and interleaved runs of whole
   * networks): with transforms that work on 16 tiles at once, Winograd
   * wins from 64 channels: 128->128 at 80x80 12.4 -> 6-7 ms, 64->64 at
   * 80x80 3.5 -> 2.1-2.8 (yolov7-tiny 416 -20%, 640 -9%, 320 -6% against
   * the earlier rule: 128+ channels on maps up to 60x60); on bigger maps
   * only when done in bands that keep V and M in the cache (wino_tp):
   * yolov7's 64->64 at 160x160 13.2-15.7 -> 8.4-10.6 ms, at 320x320
   * 46-55 -> 37-47 ms, where the whole map at once ran no faster than
   * the direct kernel.  With 32 channels the transforms cost what they
   * save. */
  return w->dims[1] >= 64 && w->dims[0] >= 64 && tiles >= 8;
}

/* Winograd scratch row length: the OH x OW map's 4x4 tiles, rounded up to
 * wino_gemm's 32 tiles a work-item, or to wino_gemm16's 16 where there are
 * at most 16 (a 10x10 map has 9 tiles: 28% of 32 lanes busy, 56% of 16);
 * on big maps a band of the tiles, at most WINO_BAND floats (1 MB) of V
 * for C input channels, so that V and M stay in the cache between the
 * three kernels: the map is then done a band at a time (yolov7 at 640,
 * YV7_PROFILE: 1 MB bands beat 2 and 4 MB ones on every such layer;
 * 128->128 at 80x80 in 13 bands of 32 tiles 6.4-8.8 -> 5.7-7.1 ms). */
#define WINO_BAND (1 << 18)
static size_t
wino_tp (int64_t OH, int64_t OW, int64_t C)
{
  size_t tiles = (size_t) (((OH + 3) / 4) * ((OW + 3) / 4));
  size_t band = (size_t) WINO_BAND / (36 * (size_t) C) / 32 * 32;
  size_t tp = tiles <= 16 ? 16 : (tiles + 31) / 32 * 32, nb;
  if (band < 32 || tp <= band)
    return tp;
  nb = (tiles + band - 1) / band;   /* bands of equal size: 100 tiles in 2 x 64, not 96 + 4 */
  return ((tiles + nb - 1) / nb + 31) / 32 * 32;
}

/* Whether conv2d_w32 (32 outputs a work-item) runs a direct Conv: where
 * that adds no idle lanes over 16 and each output sums enough products
 * (measured: slower for the 3-channel input conv, faster from 32 channels). */
static bool
conv2d_wide (const yv7_conv_shape *c)
{
  return c->OW >= 32 && (c->OW + 31) / 32 * 2 == (c->OW + 15) / 16
      && c->C / c->G * c->KH * c->KW >= 64;
}

/* Output rows per im2col band for a Conv that the CPU kernels run as
 * im2col + GEMM, 0 for the direct kernel.  Measured on PoCL (single-conv
 * models, YV7_PROFILE): the direct kernel reaches 115-135 GFLOP/s only with
 * full 32-output rows at stride 1; on narrower rows (80, 104), at stride 2
 * (an even-lane shuffle a tap) and with long reductions on small maps (its
 * ICg x 3-row input and ICg x 9 x 8 weight panels fall out of L1) it drops
 * to 45-90, where the GEMM over flattened pixels runs at 100-140 including
 * the copy (512->512 3x3 stride 2 at 20x20: 42 -> 15 ms).  Short reductions
 * (the 3-channel input conv) stay direct, except on maps whose width is
 * not a multiple of 16, where the direct kernel's last tile in each row
 * idles lanes (20x20, 26x26, 40x40, 52x52): there, from 32 input and 64
 * output channels, the GEMM wins while its whole matrix fits one band
 * (64->64 3x3 at 20x20: 0.46 -> 0.24 ms, at 26x26 0.85 -> 0.58; whole
 * network -1 to -2% at 320, 416 and 640 in interleaved runs).  With 32
 * outputs the copy costs more than the idle lanes (32->32 3x3 at 40x40:
 * GEMM 0.46, direct 0.29 ms; at 52x52 the same).  YV7_IM2COL=0 turns it off.
 * Bands keep the matrix under COL_BUDGET floats. */
#define COL_BUDGET (1 << 21)
static int
im2col_rows (const yv7_conv_shape *c)
{
  int64_t K = (int64_t) c->C * c->KH * c->KW, rows;
  const char *env = getenv ("YV7_IM2COL");
  bool ragged = c->OW % 16 && K >= 288 && c->OC >= 64 && K * c->OH * c->OW <= COL_BUDGET;
  if ((env && !strcmp (env, "0")) || c->G != 1
      || (!ragged && (K < 576 || (K < 1152 && c->OC < 128)))
      || (c->KH == 1 && c->KW == 1 && c->SH == 1 && c->SW == 1 && c->PH == 0
          && c->PW == 0 && c->OH == c->H && c->OW == c->W)
      || (c->SH == 1 && c->SW == 1 && conv2d_wide (c)))
    return 0;
  rows = COL_BUDGET / (K * c->OW);
  return (int) (rows < 1 ? 1 : rows > c->OH ? c->OH : rows);
}

/* U[k][ocb][ic][8] = (G g G^T)[k] for the 3x3 kernel g of (oc, ic); with
 * half, g's weights rounded to fp16 first (U itself stays fp32, so the
 * layer computes the same network as the other fp16-weight paths). */
static float *
winograd_weights (const yv7_tensor *w, bool half, size_t *bytes)
{
  static const double G[6][3] = {
    { 1.0 / 4, 0, 0 }, { -1.0 / 6, -1.0 / 6, -1.0 / 6 }, { -1.0 / 6, 1.0 / 6, -1.0 / 6 },
    { 1.0 / 24, 1.0 / 12, 1.0 / 6 }, { 1.0 / 24, -1.0 / 12, 1.0 / 6 }, { 0, 0, 1 }
  };
  int64_t OC = w->dims[0], C = w->dims[1], OCB = (OC + 7) / 8;
  const float *src = w->data;
  float *u;
  *bytes = (size_t) (36 * OCB * C * 8) * sizeof (float);
  u = calloc (*bytes / sizeof (float), sizeof (float));
  if (!u)
    return NULL;
  for (int64_t oc = 0; oc < OC; oc++)
    for (int64_t ic = 0; ic < C; ic++) {
      const float *g3 = src + (size_t) (oc * C + ic) * 9;
      float k3[9];
      double t[6][3];
      for (int k = 0; k < 9; k++)
        k3[k] = half ? yv7_round_half (g3[k]) : g3[k];
      for (int i = 0; i < 6; i++)
        for (int j = 0; j < 3; j++)
          t[i][j] = G[i][0] * k3[j] + G[i][1] * k3[3 + j] + G[i][2] * k3[6 + j];
      for (int i = 0; i < 6; i++)
        for (int j = 0; j < 6; j++) {
          double v = t[i][0] * G[j][0] + t[i][1] * G[j][1] + t[i][2] * G[j][2];
          u[((size_t) ((i * 6 + j) * OCB + oc / 8) * (size_t) C + (size_t) ic) * 8 + (size_t) (oc % 8)] = (float) v;
        }
    }
  return u;
}

/* A Conv node's geometry (1-D convs as H = 1). */
static void
conv_geometry (const yv7_graph *g, const yv7_node *n, yv7_conv_shape *s)
{
  const yv7_tensor *x = T (g, n->inputs[0]), *w = T (g, n->inputs[1]), *y = T (g, n->outputs[0]);
  int two = x->rank == 4;
  const int64_t *st, *pads, *dil;
  size_t nst = yv7_attr_ints (n, "strides", &st);
  size_t npd = yv7_attr_ints (n, "pads", &pads);
  size_t ndl = yv7_attr_ints (n, "dilations", &dil);
  s->N = (int) x->dims[0];
  s->G = (int) yv7_attr_int (n, "group", 1);
  s->C = (int) x->dims[1], s->H = two ? (int) x->dims[2] : 1, s->W = (int) x->dims[x->rank - 1];
  s->OC = (int) y->dims[1], s->OH = two ? (int) y->dims[2] : 1, s->OW = (int) y->dims[y->rank - 1];
  s->KH = two ? (int) w->dims[2] : 1, s->KW = (int) w->dims[w->rank - 1];
  s->SH = two && nst == 2 ? (int) st[0] : 1, s->SW = nst ? (int) st[nst - 1] : 1;
  s->PH = two && npd == 4 ? (int) pads[0] : 0, s->PW = npd ? (int) pads[two ? 1 : 0] : 0;
  s->DH = two && ndl == 2 ? (int) dil[0] : 1, s->DW = ndl ? (int) dil[ndl - 1] : 1;
}

static yv7_status
prepare_conv (cl_backend *be, const yv7_graph *g, int i, yv7_error *err)
{
  const yv7_node *n = &g->nodes[i];
  const yv7_tensor *w = T (g, n->inputs[1]);
  int G = (int) yv7_attr_int (n, "group", 1);
  int64_t OC = w->dims[0], ICg = w->dims[1];
  int64_t KH = w->rank == 4 ? w->dims[2] : 1, KW = w->dims[w->rank - 1];
  int64_t OCg = G > 0 ? OC / G : 0, OCB = (OCg + 7) / 8;
  size_t packed = (size_t) (G * OCB * ICg * KH * KW * 8);   /* weights, zero-padded */
  dev_node *dn = &be->nodes[i];
  bool wino;
  yv7_status s;

  conv_geometry (g, n, &dn->shape);
  if (n->n_inputs > 2 && n->inputs[2] >= 0) {
    if (g->values[n->inputs[2]].is_const
        && (s = const_buffer (be, g, n->inputs[2], err)) != YV7_OK)
      return s;
  }
  if (be->cl.gpu_kernels) {
    /* the GPU GEMM reads the weights in the ONNX layout as they are, and
     * the layer's im2col table */
    size_t tb;
    int *kt;
    if (!(kt = yv7_gemm_ktable (&dn->shape, &tb)))
      return yv7_set_error (err, YV7_E_NOMEM, "Conv node '%s': out of memory for "
          "its im2col table (or dilation past 65535)", n->name);
    s = make_buffer (be, kt, tb, &dn->packed, "uploading an im2col table", err);
    free (kt);
    if (s != YV7_OK)
      return s;
    if (!be->cl.half_weights)
      return g->values[n->inputs[1]].is_const ? const_buffer (be, g, n->inputs[1], err)
          : YV7_OK;
    /* fp16 weights: a half copy in aux (converted at each run when the
     * weights are computed) */
    if (g->values[n->inputs[1]].is_const)
      return make_weights (be, w->data, yv7_tensor_numel (w), &dn->aux,
          "uploading fp16 Conv weights", err);
    return make_buffer (be, NULL, weight_bytes (be, yv7_tensor_numel (w)), &dn->aux,
        "allocating fp16 Conv weights", err);
  }
  dn->runtime_pack = !g->values[n->inputs[1]].is_const;
  if (dn->runtime_pack)
    return make_buffer (be, NULL, weight_bytes (be, packed), &dn->packed,
        "allocating packed weights", err);
  wino = use_winograd (be, g, n);
  if ((dn->col_rows = wino ? 0 : im2col_rows (&dn->shape)) > 0) {
    const yv7_conv_shape *c = &dn->shape;
    size_t cb = (size_t) c->C * c->KH * c->KW * (size_t) dn->col_rows * c->OW * sizeof (float);
    if (cb > be->col_size)
      be->col_size = cb;
  }
  if (wino) {
    const yv7_tensor *x = T (g, n->inputs[0]), *y = T (g, n->outputs[0]);
    size_t ub, tp = wino_tp (y->dims[2], y->dims[3], x->dims[1]);
    size_t vb = (size_t) x->dims[0] * 36 * (size_t) x->dims[1] * tp * sizeof (float);
    size_t mb = (size_t) y->dims[0] * 36 * (size_t) y->dims[1] * tp * sizeof (float);
    float *u = winograd_weights (w, be->cl.half_weights, &ub);
    if (!u)
      return yv7_set_error (err, YV7_E_NOMEM, "out of memory transforming the weights "
          "of Conv node '%s'", n->name);
    s = make_buffer (be, u, ub, &dn->packed, "uploading Winograd weights", err);
    free (u);
    vb = (vb + ALIGN - 1) / ALIGN * ALIGN;
    if (vb > be->scratch_m)
      be->scratch_m = vb;
    if (mb > be->scratch_size)
      be->scratch_size = mb;   /* M's size for now; the total is set in cl_prepare */
    dn->wino = s == YV7_OK;
    return s;
  }
  {
    /* constant weights: packed on the host, the same layout as the
     * conv_pack_weights kernel that packs run-time weights */
    float *p = calloc (packed + 1, sizeof (float));
    const float *src = w->data;
    size_t taps = (size_t) (ICg * KH * KW);
    if (!p)
      return yv7_set_error (err, YV7_E_NOMEM, "out of memory packing the weights "
          "of Conv node '%s'", n->name);
    for (int64_t gi = 0; gi < G; gi++)
      for (int64_t oc = 0; oc < OCg; oc++) {
        const float *ws = src + (size_t) (gi * OCg + oc) * taps;
        float *pd = p + (size_t) ((gi * OCB + oc / 8) * (int64_t) taps) * 8 + oc % 8;
        for (size_t t = 0; t < taps; t++)
          pd[t * 8] = ws[t];
      }
    s = make_weights (be, p, packed, &dn->packed, "uploading packed weights", err);
    free (p);
    return s;
  }
}

/* ONNX Resize nearest: the source index of each output coordinate per axis,
 * from the reference op's own mapping so both paths agree exactly. */
static yv7_status
prepare_resize (cl_backend *be, const yv7_graph *g, int i, yv7_error *err)
{
  const yv7_node *n = &g->nodes[i];
  const yv7_tensor *in[8] = { NULL };
  yv7_tensor out = { 0 };
  int64_t *storage = NULL, *tables[YV7_MAX_RANK], len[4];
  size_t total = 0, pos = 0;
  int *tab;
  bool empty;
  yv7_status s;

  for (int k = 0; k < n->n_inputs && k < 8; k++)
    in[k] = n->inputs[k] >= 0 ? T (g, n->inputs[k]) : NULL;
  if ((s = yv7_op_resize_tables (n, in, &out, &storage, tables, err)) != YV7_OK)
    return s;
  empty = yv7_tensor_numel (&out) == 0;   /* no table entries (and no work) */
  for (int d = 0; d < 4; d++)
    total += (size_t) (len[d] = empty ? 0 : out.dims[d]);
  tab = malloc (sizeof (int) * (total ? total : 1));
  if (!tab) {
    free (storage);
    return yv7_set_error (err, YV7_E_NOMEM, "out of memory");
  }
  for (int d = 0; d < 4; d++)
    for (int64_t o = 0; o < len[d]; o++)
      tab[pos++] = (int) tables[d][o];   /* >= 0: extrapolation stays on the host */
  /* the tables of a plain 2x upsample: the CPU kernels' vector copy */
  be->nodes[i].resize2x = in[0]->rank == 4 && out.rank == 4 && !empty;
  for (int d = 0; d < 4 && be->nodes[i].resize2x; d++) {
    int f = d < 2 ? 1 : 2;
    be->nodes[i].resize2x = out.dims[d] == in[0]->dims[d] * f;
    for (int64_t o = 0; o < out.dims[d] && be->nodes[i].resize2x; o++)
      be->nodes[i].resize2x = tables[d][o] == o / f;
  }
  free (storage);
  s = make_buffer (be, tab, sizeof (int) * (total ? total : 1),
      &be->nodes[i].packed, "uploading resize tables", err);
  free (tab);
  return s;
}

static yv7_status
prepare_bn (cl_backend *be, const yv7_graph *g, int i, yv7_error *err)
{
  const yv7_node *n = &g->nodes[i];
  const yv7_tensor *sc = T (g, n->inputs[1]), *sh = T (g, n->inputs[2]);
  const yv7_tensor *mean = T (g, n->inputs[3]), *var = T (g, n->inputs[4]);
  int64_t C = T (g, n->inputs[0])->dims[1];
  float eps = yv7_attr_float (n, "epsilon", 1e-5f);
  float *a, *b;
  yv7_status s;

  if (yv7_tensor_numel (sc) != C || yv7_tensor_numel (sh) != C
      || yv7_tensor_numel (mean) != C || yv7_tensor_numel (var) != C)
    return yv7_set_error (err, YV7_E_SHAPE, "BatchNormalization node '%s': "
        "parameters do not match %lld channels", n->name, (long long) C);
  a = malloc (sizeof (float) * (size_t) (C + 1));
  b = malloc (sizeof (float) * (size_t) (C + 1));
  if (!a || !b) {
    free (a);
    free (b);
    return yv7_set_error (err, YV7_E_NOMEM, "out of memory");
  }
  for (int64_t c = 0; c < C; c++) {
    a[c] = ((const float *) sc->data)[c] / sqrtf (((const float *) var->data)[c] + eps);
    b[c] = ((const float *) sh->data)[c] - ((const float *) mean->data)[c] * a[c];
  }
  s = make_buffer (be, a, sizeof (float) * (size_t) C, &be->nodes[i].packed, "BN", err);
  if (s == YV7_OK)
    s = make_buffer (be, b, sizeof (float) * (size_t) C, &be->nodes[i].aux, "BN", err);
  free (a);
  free (b);
  return s;
}

static yv7_status plan_gpu_convs (cl_backend *be, const yv7_graph *g, yv7_error *err);

static yv7_status
cl_prepare (yv7_backend *b, yv7_graph *g, yv7_error *err)
{
  cl_backend *be = (cl_backend *) b;
  yv7_status s;

  be->n_vals = g->n_values;
  be->n_nodes = g->n_nodes;
  be->vals = calloc ((size_t) g->n_values + 1, sizeof (dev_value));
  be->nodes = calloc ((size_t) g->n_nodes + 1, sizeof (dev_node));
  if (!be->vals || !be->nodes)
    return yv7_set_error (err, YV7_E_NOMEM, "out of memory");
  for (int v = 0; v < g->n_values; v++)
    be->vals[v].parent = -1;
  if (getenv ("YV7_PROFILE") && *getenv ("YV7_PROFILE")) {
    be->prof_ms = calloc ((size_t) g->n_nodes + 1, sizeof (double));
    be->prof_kernel = calloc ((size_t) g->n_nodes + 1, sizeof *be->prof_kernel);
    be->cl.trace = be->prof_kernel != NULL;
    be->prof_graph = g;
    be->prof_first = -1;
  }
  for (int i = 0; i < g->n_nodes; i++) {
    yv7_node *n = &g->nodes[i];
    if (n->dead || n->on_host)
      continue;
    if (!strcmp (n->op_type, "Concat")) {
      be->nodes[i].skip = calloc ((size_t) n->n_inputs + 1, sizeof (bool));
      if (!be->nodes[i].skip)
        return yv7_set_error (err, YV7_E_NOMEM, "out of memory");
    }
    if (!strcmp (n->op_type, "Conv"))
      s = prepare_conv (be, g, i, err);
    else if (!strcmp (n->op_type, "Resize"))
      s = prepare_resize (be, g, i, err);
    else if (!strcmp (n->op_type, "BatchNormalization"))
      s = prepare_bn (be, g, i, err);
    else
      s = YV7_OK;
    if (s != YV7_OK)
      return s;
    /* data inputs that are constants live in buffers of their own */
    if (strcmp (n->op_type, "Conv") && strcmp (n->op_type, "BatchNormalization")) {
      int n_data = !strcmp (n->op_type, "Concat") || !strcmp (n->op_type, YV7_OP_GRID_DECODE)
          ? n->n_inputs
          : (!strcmp (n->op_type, "Add") || !strcmp (n->op_type, "Sub")
             || !strcmp (n->op_type, "Mul") || !strcmp (n->op_type, "Div")
             || !strcmp (n->op_type, "Pow") || !strcmp (n->op_type, "MatMul")) ? 2 : 1;
      for (int k = 0; k < n_data && k < n->n_inputs; k++) {
        int v = n->inputs[k];
        if (v >= 0 && g->values[v].is_const && (s = const_buffer (be, g, v, err)) != YV7_OK)
          return s;
      }
    }
  }
  if (be->scratch_m || be->col_size) {
    be->scratch_size += be->scratch_m;
    if (be->col_size > be->scratch_size)
      be->scratch_size = be->col_size;
    if ((s = make_buffer (be, NULL, be->scratch_size, &be->scratch,
             "allocating the convolution scratch buffer", err)) != YV7_OK)
      return s;
    be->const_bytes -= be->scratch_size;
  }
  if ((s = plan_memory (be, g, err)) != YV7_OK)
    return s;
  return be->cl.gpu_kernels ? plan_gpu_convs (be, g, err) : YV7_OK;
}

/* ---- enqueue ---- */

#define ARG(x) YV7_CL_ARG (x)

static uint
eoff (const cl_backend *be, const yv7_graph *g, int v)
{
  return (uint) (be->vals[v].off / yv7_dtype_size (T (g, v)->dtype));
}

static void
contiguous_strides (const yv7_tensor *t, int64_t *st)
{
  int64_t s = 1;
  for (int d = t->rank - 1; d >= 0; d--) {
    st[d] = s;
    s *= t->dims[d];
  }
}

static yv7_status
enq_copy (cl_backend *be, const yv7_graph *g, int xv, int64_t x_off, int yv,
    int64_t y_off, int rank, const int64_t *dims, const int64_t *xs, const int64_t *ys)
{
  cl_int8 d8 = { { 1, 1, 1, 1, 1, 1, 1, 1 } }, xs8 = { { 0 } }, ys8 = { { 0 } };
  int64_t md[YV7_MAX_RANK], mx[YV7_MAX_RANK], my[YV7_MAX_RANK];
  size_t es = yv7_dtype_size (T (g, yv)->dtype), total = 1, gsz[2];
  int xo, r = 0;
  uint yo;
  /* drop unit dims and merge neighbours that are contiguous in both tensors,
   * so the kernel does as few index divisions as the layout allows */
  for (int k = 0; k < rank; k++) {
    if (dims[k] == 1)
      continue;
    if (r > 0 && mx[r - 1] == xs[k] * dims[k] && my[r - 1] == ys[k] * dims[k]) {
      md[r - 1] *= dims[k];
      mx[r - 1] = xs[k];
      my[r - 1] = ys[k];
      continue;
    }
    md[r] = dims[k];
    mx[r] = xs[k];
    my[r] = ys[k];
    r++;
  }
  if (r == 0) {
    md[0] = 1;
    mx[0] = my[0] = 1;
    r = 1;
  }
  for (int k = 0; k < r - 1; k++) {
    d8.s[k] = (cl_int) md[k];
    xs8.s[k] = (cl_int) mx[k];
    ys8.s[k] = (cl_int) my[k];
    total *= (size_t) md[k];
  }
  xo = (int) (eoff (be, g, xv) + x_off);
  yo = (uint) (eoff (be, g, yv) + y_off);
  /* dim 0 of the launch walks the innermost merged dim, dim 1 the rest */
  {
    int inner = (int) md[r - 1], ixs = (int) mx[r - 1], iys = (int) my[r - 1], outer_rank = r - 1;
    if (inner <= 256 && total >= 64) {
      /* many short rows: a work-item a row */
      return yv7_cl_launch (&be->cl, es == 8 ? "copy_rows_8" : "copy_rows_4", 1, &total,
          ARG (be->vals[xv].mem), ARG (xo), ARG (be->vals[yv].mem), ARG (yo),
          ARG (outer_rank), ARG (d8), ARG (xs8), ARG (ys8), ARG (ixs), ARG (iys),
          ARG (inner), YV7_CL_END);
    }
    if (es == 4 && ixs == 1 && iys == 1 && inner > 256) {
      /* few long contiguous rows (a channel concat at batch > 1): 64
       * elements a work-item (an element each was 3.6 GB/s) */
      gsz[0] = (size_t) (inner + 63) / 64;
      gsz[1] = total;
      return yv7_cl_launch (&be->cl, "copy_long_rows_4", 2, gsz,
          ARG (be->vals[xv].mem), ARG (xo), ARG (be->vals[yv].mem), ARG (yo),
          ARG (outer_rank), ARG (d8), ARG (xs8), ARG (ys8), ARG (inner), YV7_CL_END);
    }
    gsz[0] = (size_t) inner;
    gsz[1] = total;
    return yv7_cl_launch (&be->cl, es == 8 ? "copy_nd_8" : "copy_nd_4", 2, gsz,
        ARG (be->vals[xv].mem), ARG (xo), ARG (be->vals[yv].mem), ARG (yo),
        ARG (outer_rank), ARG (d8), ARG (xs8), ARG (ys8), ARG (ixs), ARG (iys), YV7_CL_END);
  }
}

static void
gemm_args (cl_backend *be, const yv7_graph *g, const yv7_node *n, yv7_gemm_args *a)
{
  a->x = be->vals[n->inputs[0]].mem;
  a->xo = eoff (be, g, n->inputs[0]);
  a->w = be->vals[n->inputs[1]].mem;
  a->wo = eoff (be, g, n->inputs[1]);
  if (be->nodes[n - g->nodes].aux) {   /* fp16 weights */
    a->w = be->nodes[n - g->nodes].aux;
    a->wo = 0;
  }
  a->has_bias = n->n_inputs > 2 && n->inputs[2] >= 0;
  a->bias = a->has_bias ? be->vals[n->inputs[2]].mem : NULL;
  a->bo = a->has_bias ? eoff (be, g, n->inputs[2]) : 0;
  a->y = be->vals[n->outputs[0]].mem;
  a->yo = eoff (be, g, n->outputs[0]);
  a->act = n->fused_act;
  a->alpha = n->fused_alpha;
  a->part = be->gpart;
  a->ktab = be->nodes[n - g->nodes].packed;
}

static bool
env_set (const char *name)
{
  const char *v = getenv (name);
  return v && *v;
}

/* Each Conv's tile and K splits for the GPU kernels.  On GPUs every layer
 * shape not measured before on this device is timed with each candidate
 * (its own buffers, before the first run) and the winner remembered in
 * the cache directory; elsewhere, or with YV7_GPU_TUNE=0, the heuristic
 * decides.  YV7_GPU_TILE / YV7_GPU_SPLIT force a plan (for measuring). */
static yv7_status
plan_gpu_convs (cl_backend *be, const yv7_graph *g, yv7_error *err)
{
  const char *env = getenv ("YV7_GPU_TUNE");
  bool tune = env && *env ? strcmp (env, "0") != 0 : (be->cl.type & CL_DEVICE_TYPE_GPU) != 0;
  size_t need = 0, final = 0;
  yv7_status s;

  if (env_set ("YV7_GPU_TILE") || env_set ("YV7_GPU_SPLIT"))
    tune = false;
  if (tune) {
    yv7_gemm_cache_load (&be->gcache, &be->cl);
    for (int i = 0; i < g->n_nodes; i++) {
      const yv7_conv_shape *cs = &be->nodes[i].shape;
      yv7_gemm_plan p;
      size_t b;
      if (g->nodes[i].dead || g->nodes[i].on_host || strcmp (g->nodes[i].op_type, "Conv"))
        continue;
      if (!yv7_gemm_cache_find (&be->gcache, cs, &p)
          && (b = yv7_gemm_tune_part_bytes (&be->cl, cs)) > need)
        need = b;
    }
  }
  if (need) {
    if ((s = make_buffer (be, NULL, need, &be->gpart, "allocating split-K scratch", err)) != YV7_OK)
      return s;
    be->const_bytes -= need;
  }
  for (int i = 0; i < g->n_nodes; i++) {
    const yv7_node *n = &g->nodes[i];
    const yv7_conv_shape *cs = &be->nodes[i].shape;
    yv7_gemm_plan *p = &be->nodes[i].gplan;
    if (n->dead || n->on_host || strcmp (n->op_type, "Conv"))
      continue;
    if (!tune)
      *p = yv7_gemm_heuristic (&be->cl, cs);
    else if (!yv7_gemm_cache_find (&be->gcache, cs, p)) {
      yv7_gemm_args a;
      gemm_args (be, g, n, &a);
      if ((s = yv7_gemm_tune (&be->cl, cs, &a, p)) != YV7_OK)
        return yv7_set_error (err, s, "Conv node '%s': timing its GPU kernels on %s "
            "failed (%s)", n->name, be->cl.name, yv7_status_name (s));
      yv7_gemm_cache_add (&be->gcache, &be->cl, cs, *p);
    }
    if (yv7_gemm_part_bytes (cs, *p) > final)
      final = yv7_gemm_part_bytes (cs, *p);
  }
  yv7_gemm_cache_clear (&be->gcache);
  if (final != need) {   /* keep only what the chosen plans use */
    if (be->gpart)
      clReleaseMemObject (be->gpart);
    be->gpart = NULL;
    if (final) {
      if ((s = make_buffer (be, NULL, final, &be->gpart, "allocating split-K scratch", err)) != YV7_OK)
        return s;
      be->const_bytes -= final;
    }
  }
  be->gpart_size = final;
  return YV7_OK;
}

/* The local size of the CPU family's conv kernels (global dim 0 = output
 * channel blocks): up to 16 channel blocks by 1 (by 1), so a launch has
 * many small work-groups for PoCL's threads to share.  With the driver's
 * choice (NULL) some layer shapes got a few big groups; measured in
 * interleaved A/B runs: yolov7-tiny 320 -14%, 416 -10 to -20%, 640 -6 to
 * -12%, yolov7 640 -4 to -14% (one run of three +16%). */
static size_t *
cpu_local (const cl_backend *be, size_t *loc, const size_t *g, int dims)
{
  size_t d = g[0] < 16 ? g[0] : 16;
  if (be->cl.max_wg > 0 && d > be->cl.max_wg)
    d = be->cl.max_wg;
  while (d > 1 && g[0] % d)
    d--;
  loc[0] = d;
  for (int i = 1; i < dims; i++)
    loc[i] = 1;
  return loc;
}

/* The GEMM kernel for a 1x1 conv (or an im2col band) of P pixels, OCg
 * output channels and reductions of K, and its global size g for zb
 * images x groups x 8-channel blocks.  Pixel lanes unless channel lanes
 * (conv1x1_oc32) keep at least 15% more lanes busy and K is long enough to
 * pay for them.  Measured in wall time on 20 chained 1x1 convs: 512
 * channels at 10x10 7.5 -> 6.1 ms (100 of 128 pixel lanes busy, all
 * channel lanes), 256 at 10x10 2.5 -> 1.9; no gain with 128 channels at
 * 10x10 or any at 13x13, and 25% slower on 8x8 (64 pixels: every pixel
 * lane busy).  With pixel lanes, 16 channels x 16 pixels (conv1x1_c16)
 * where there are two channel blocks (one input vector for 16 FMAs, as in
 * conv2d_c16): against conv1x1_w32's 8 x 32, 64 channels at 160x160 -11%,
 * 256 at 20x20 and 512 at 13x13 -5%, 128 at 80x80 -3%, 40x40 maps even;
 * whole runs tiny 640 -2%, 416 -4 to -5%, 320 even.  Else conv1x1_w32, or
 * conv1x1_w16 under 32 pixels. */
static const char *
gemm_kernel (int P, int OCg, int K, size_t *g, int zb)
{
  int pw = P >= 32 ? 32 : 16, OCB = (OCg + 7) / 8;
  double pix = (double) P / ((P + pw - 1) / pw * pw);
  double chn = (double) P / ((P + 9) / 10 * 10) * OCg / ((OCg + 31) / 32 * 32);
  if (P >= 10 && K >= 256 && chn >= 1.15 * pix) {
    g[0] = (size_t) zb / OCB * ((OCB + 3) / 4);
    g[1] = (size_t) (P + 9) / 10;
    return "conv1x1_oc32";
  }
  if (OCB >= 2) {
    g[0] = (size_t) zb / OCB * ((OCB + 1) / 2);
    g[1] = (size_t) (P + 15) / 16;
    return "conv1x1_c16";
  }
  g[0] = (size_t) zb;
  g[1] = (size_t) (P + pw - 1) / pw;
  return pw == 32 ? "conv1x1_w32" : "conv1x1_w16";
}

/* A Conv as im2col + GEMM, band by band (see im2col_rows): each band of
 * output rows is copied into the scratch buffer as a K x (rows * OW)
 * matrix and multiplied by the packed weights straight into the output. */
static yv7_status
enq_conv_im2col (cl_backend *be, const yv7_node *n, dev_node *dn, uint xo, uint yo,
    cl_mem bias, uint bo, int has_bias)
{
  const yv7_conv_shape *c = &dn->shape;
  int K = c->C * c->KH * c->KW, OCB = (c->OC + 7) / 8, G = 1, act = n->fused_act;
  int HWo = c->OH * c->OW;
  float alpha = n->fused_alpha;
  cl_mem x = be->vals[n->inputs[0]].mem, y = be->vals[n->outputs[0]].mem;
  yv7_status s = YV7_OK;
  size_t lc[2];

  for (int im = 0; im < c->N && s == YV7_OK; im++) {
    uint xi = xo + (uint) ((size_t) im * c->C * c->H * c->W);
    for (int oy0 = 0; oy0 < c->OH && s == YV7_OK; oy0 += dn->col_rows) {
      int rows = c->OH - oy0 < dn->col_rows ? c->OH - oy0 : dn->col_rows;
      int P = rows * c->OW;
      uint yb = yo + (uint) ((size_t) im * c->OC * HWo + (size_t) oy0 * c->OW);
      size_t gc[3] = { (size_t) (c->OW + 15) / 16, (size_t) rows, (size_t) K };
      size_t gm[2];
      const char *kn = gemm_kernel (P, c->OC, K, gm, OCB);
      uint zero = 0;
      s = yv7_cl_launch (&be->cl, "conv_im2col", 3, gc, ARG (x), ARG (xi), ARG (be->scratch),
          ARG (c->H), ARG (c->W), ARG (c->OW), ARG (c->KH), ARG (c->KW), ARG (c->SH),
          ARG (c->SW), ARG (c->PH), ARG (c->PW), ARG (c->DH), ARG (c->DW), ARG (oy0),
          ARG (rows), YV7_CL_END);
      if (s == YV7_OK)
        s = yv7_cl_launch_local (&be->cl, kn, 2, gm,
            cpu_local (be, lc, gm, 2),
            ARG (be->scratch), ARG (zero), ARG (dn->packed), ARG (bias), ARG (bo),
            ARG (has_bias), ARG (y), ARG (yb), ARG (K), ARG (P), ARG (HWo), ARG (c->OC),
            ARG (G), ARG (act), ARG (alpha), YV7_CL_END);
    }
  }
  return s;
}

static yv7_status
enq_conv (cl_backend *be, const yv7_graph *g, const yv7_node *n, dev_node *dn)
{
  const yv7_conv_shape *cs = &dn->shape;
  int C, H, W, OC, OH, OW, KH, KW, SH, SW, PH, PW, DH, DW, G, OCg, OCB, N, wide;
  const char *kn;
  int has_bias = n->n_inputs > 2 && n->inputs[2] >= 0, act = n->fused_act;
  float alpha = n->fused_alpha;
  cl_mem bias = has_bias ? be->vals[n->inputs[2]].mem : dn->packed;
  uint bo = has_bias ? eoff (be, g, n->inputs[2]) : 0;
  uint xo = eoff (be, g, n->inputs[0]), yo = eoff (be, g, n->outputs[0]);
  size_t gsz[3], lsz[3];
  yv7_status s;

  if (be->cl.gpu_kernels) {
    yv7_gemm_args a;
    if (dn->aux && !g->values[n->inputs[1]].is_const) {   /* fp16 copy of computed weights */
      uint wo = eoff (be, g, n->inputs[1]);
      size_t nw = yv7_tensor_numel (T (g, n->inputs[1]));
      uint un = (uint) nw;
      s = yv7_cl_launch (&be->cl, "weights_from_f32", 1, &nw,
          ARG (be->vals[n->inputs[1]].mem), ARG (wo), ARG (dn->aux), ARG (un), YV7_CL_END);
      if (s != YV7_OK)
        return s;
    }
    gemm_args (be, g, n, &a);
    return yv7_gemm_enqueue (&be->cl, cs, dn->gplan, &a);
  }
  C = cs->C, H = cs->H, W = cs->W, OC = cs->OC, OH = cs->OH, OW = cs->OW, KH = cs->KH;
  KW = cs->KW, SH = cs->SH, SW = cs->SW, PH = cs->PH, PW = cs->PW, DH = cs->DH, DW = cs->DW;
  G = cs->G, N = cs->N;
  OCg = OC / G, OCB = (OCg + 7) / 8;
  if (dn->runtime_pack) {
    uint wo = eoff (be, g, n->inputs[1]);
    int icg = C / G;
    size_t psz = (size_t) G * OCB * icg * KH * KW * 8;
    s = yv7_cl_launch (&be->cl, "conv_pack_weights", 1, &psz,
        ARG (be->vals[n->inputs[1]].mem), ARG (wo), ARG (dn->packed), ARG (OCg),
        ARG (icg), ARG (KH), ARG (KW), ARG (G), YV7_CL_END);
    if (s != YV7_OK)
      return s;
  }
  if (dn->wino) {
    /* a band of Tp tiles at a time (all of them unless the map is big) */
    int TX = (OW + 3) / 4, tiles = TX * ((OH + 3) / 4), Tp = (int) wino_tp (OH, OW, C);
    uint mo = (uint) (be->scratch_m / sizeof (float));
    int tw = Tp == 16 ? 16 : 32;   /* wino_tp's choice of GEMM */
    /* output channels in the lanes on maps of at most 9 tiles (10x10), from
     * 256 channels (20 chained 3x3 convs at 10x10, 512 channels: 30.2 ->
     * 20.6 ms, 256: 12.3 -> 10.7, at 12x12 12.8 -> 11.0; 128: within noise) */
    int oc32 = tiles <= 9 && C >= 256;
    const char *gemm = oc32 ? "wino_gemm_oc32" : tw == 16 ? "wino_gemm16" : "wino_gemm";
    size_t gi[3] = { (size_t) Tp / 16, (size_t) C, (size_t) N };
    size_t gg[3] = { (size_t) OCB, (size_t) (Tp / tw), (size_t) N * 36 };
    size_t go[3] = { (size_t) Tp / 16, (size_t) OC, (size_t) N };
    cl_mem sc = be->scratch;
    size_t lg[3], li[3], lo[3];
    s = YV7_OK;
    /* explicit local sizes for the transforms too: PoCL's own choice
     * (8x128x4 for yolov7 at batch 4) gave a work-group 4096 work-items,
     * whose 2.3 KB private tile arrays overflowed its thread's stack */
    if (oc32)
      gg[0] = (size_t) (OCB + 3) / 4;
    cpu_local (be, li, gi, 3);
    cpu_local (be, lg, gg, 3);
    cpu_local (be, lo, go, 3);
    for (int t0 = 0; t0 < tiles && s == YV7_OK; t0 += Tp) {
      s = yv7_cl_launch_local (&be->cl, "wino_input", 3, gi, li, ARG (be->vals[n->inputs[0]].mem),
          ARG (xo), ARG (sc), ARG (C), ARG (H), ARG (W), ARG (PH), ARG (PW), ARG (TX),
          ARG (t0), ARG (tiles), ARG (Tp), YV7_CL_END);
      if (s == YV7_OK)
        s = yv7_cl_launch_local (&be->cl, gemm, 3, gg, lg,
            ARG (sc),
            ARG (dn->packed), ARG (sc), ARG (mo), ARG (C), ARG (OC), ARG (Tp), YV7_CL_END);
      if (s == YV7_OK)
        s = yv7_cl_launch_local (&be->cl, "wino_output", 3, go, lo, ARG (sc), ARG (mo), ARG (bias),
            ARG (bo), ARG (has_bias), ARG (be->vals[n->outputs[0]].mem), ARG (yo), ARG (OC),
            ARG (OH), ARG (OW), ARG (TX), ARG (t0), ARG (tiles), ARG (Tp), ARG (act),
            ARG (alpha), YV7_CL_END);
    }
    return s;
  }
  if (KH == 1 && KW == 1 && SH == 1 && SW == 1 && PH == 0 && PW == 0
      && OH == H && OW == W) {
    int HW = H * W;
    size_t g2[2], l2[2];
    kn = gemm_kernel (HW, OCg, C / G, g2, N * G * OCB);
    return yv7_cl_launch_local (&be->cl, kn, 2, g2,
        cpu_local (be, l2, g2, 2),
        ARG (be->vals[n->inputs[0]].mem), ARG (xo), ARG (dn->packed), ARG (bias),
        ARG (bo), ARG (has_bias), ARG (be->vals[n->outputs[0]].mem), ARG (yo),
        ARG (C), ARG (HW), ARG (HW), ARG (OC), ARG (G), ARG (act), ARG (alpha), YV7_CL_END);
  }
  if (dn->col_rows)
    return enq_conv_im2col (be, n, dn, xo, yo, bias, bo, has_bias);
  if (OCB >= 2) {
    /* conv2d_c16 where there are two channel blocks: measured against
     * conv2d_w16 and conv2d_w32 on single convs (YV7_PROFILE, interleaved runs):
     * 32->64 3x3 stride 2 at 160x160 -8 to -30%, at 80x80 -8%; 32->32
     * stride 1 at 80x80 -18%, at 160x160 -14 to -31%; the 3-channel input
     * conv at 320x320 -5 to -13%; whole runs: tiny 640 -5%, 416 -1 to -2%,
     * yolov7 -1.5% */
    kn = "conv2d_c16";
    gsz[0] = (size_t) N * G * ((OCB + 1) / 2), gsz[1] = (size_t) (OW + 15) / 16;
  } else {
    wide = conv2d_wide (cs);
    kn = wide ? "conv2d_w32" : "conv2d_w16";
    gsz[0] = (size_t) N * G * OCB, gsz[1] = (size_t) (OW + (wide ? 31 : 15)) / (wide ? 32 : 16);
  }
  gsz[2] = (size_t) OH;
  return yv7_cl_launch_local (&be->cl, kn, 3, gsz, cpu_local (be, lsz, gsz, 3),
      ARG (be->vals[n->inputs[0]].mem), ARG (xo), ARG (dn->packed), ARG (bias),
      ARG (bo), ARG (has_bias), ARG (be->vals[n->outputs[0]].mem), ARG (yo),
      ARG (C), ARG (H), ARG (W), ARG (OC), ARG (OH), ARG (OW), ARG (KH), ARG (KW),
      ARG (SH), ARG (SW), ARG (PH), ARG (PW), ARG (DH), ARG (DW), ARG (G),
      ARG (act), ARG (alpha), YV7_CL_END);
}

static yv7_status
enq_binary (cl_backend *be, const yv7_graph *g, const yv7_node *n)
{
  static const char *const names[] = { "Add", "Sub", "Mul", "Div", "Pow" };
  const yv7_tensor *a = T (g, n->inputs[0]), *b = T (g, n->inputs[1]), *c = T (g, n->outputs[0]);
  int op = 0;
  size_t total = (size_t) yv7_tensor_numel (c);
  uint ao = eoff (be, g, n->inputs[0]), bo = eoff (be, g, n->inputs[1]), co = eoff (be, g, n->outputs[0]);
  cl_mem am = be->vals[n->inputs[0]].mem, bm = be->vals[n->inputs[1]].mem, cm = be->vals[n->outputs[0]].mem;
  int64_t an = yv7_tensor_numel (a), bn = yv7_tensor_numel (b);
  cl_int8 d8 = { { 1, 1, 1, 1, 1, 1, 1, 1 } }, as8 = { { 0 } }, bs8 = { { 0 } };
  int rank = c->rank;

  for (int k = 0; k < 5; k++)
    if (!strcmp (n->op_type, names[k]))
      op = k;
  if (an == (int64_t) total && (bn == (int64_t) total || bn == 1)) {
    int scalar = bn == 1 && total != 1;
    return yv7_cl_launch (&be->cl, "binary_flat_f32", 1, &total, ARG (op),
        ARG (am), ARG (ao), ARG (bm), ARG (bo), ARG (scalar), ARG (cm), ARG (co), YV7_CL_END);
  }
  for (int d = 0; d < rank; d++) {
    int ad = d - (rank - a->rank), bd = d - (rank - b->rank);
    int64_t sa = 1, sb = 1;
    for (int k = ad + 1; ad >= 0 && k < a->rank; k++)
      sa *= a->dims[k];
    for (int k = bd + 1; bd >= 0 && k < b->rank; k++)
      sb *= b->dims[k];
    d8.s[d] = (cl_int) c->dims[d];
    as8.s[d] = ad >= 0 && a->dims[ad] != 1 ? (cl_int) sa : 0;
    bs8.s[d] = bd >= 0 && b->dims[bd] != 1 ? (cl_int) sb : 0;
  }
  return yv7_cl_launch (&be->cl, "binary_f32", 1, &total, ARG (op), ARG (am),
      ARG (ao), ARG (bm), ARG (bo), ARG (cm), ARG (co), ARG (rank), ARG (d8),
      ARG (as8), ARG (bs8), YV7_CL_END);
}

static yv7_status
enq_transpose (cl_backend *be, const yv7_graph *g, const yv7_node *n)
{
  const yv7_tensor *x = T (g, n->inputs[0]), *y = T (g, n->outputs[0]);
  const int64_t *perm;
  size_t np = yv7_attr_ints (n, "perm", &perm);
  int64_t xs[YV7_MAX_RANK], xs_p[YV7_MAX_RANK], ys[YV7_MAX_RANK];
  contiguous_strides (x, xs);
  contiguous_strides (y, ys);
  for (int d = 0; d < y->rank; d++)
    xs_p[d] = xs[np ? perm[d] : y->rank - 1 - d];
  return enq_copy (be, g, n->inputs[0], 0, n->outputs[0], 0, y->rank, y->dims, xs_p, ys);
}

/* Slice (opset 10+: inputs; opset < 10: attributes) as a strided copy. */
static yv7_status
enq_slice (cl_backend *be, const yv7_graph *g, const yv7_node *n)
{
  const yv7_tensor *x = T (g, n->inputs[0]), *y = T (g, n->outputs[0]);
  int64_t xs[YV7_MAX_RANK], ys[YV7_MAX_RANK], step[YV7_MAX_RANK], begin[YV7_MAX_RANK];
  int64_t off = 0;
  contiguous_strides (x, xs);
  contiguous_strides (y, ys);
  for (int d = 0; d < x->rank; d++) {
    begin[d] = 0;
    step[d] = 1;
  }
  {
    const yv7_tensor *st = NULL, *ax = NULL, *sp = NULL, *en = NULL;
    int64_t cnt;
    const int64_t *a_st = NULL, *a_en = NULL, *a_ax = NULL;
    size_t n_st = 0, n_ax = 0;
    if (n->opset >= 10) {
      st = T (g, n->inputs[1]);
      en = T (g, n->inputs[2]);
      ax = n->n_inputs > 3 && n->inputs[3] >= 0 ? T (g, n->inputs[3]) : NULL;
      sp = n->n_inputs > 4 && n->inputs[4] >= 0 ? T (g, n->inputs[4]) : NULL;
      cnt = yv7_tensor_numel (st);
    } else {
      n_st = yv7_attr_ints (n, "starts", &a_st);
      yv7_attr_ints (n, "ends", &a_en);
      n_ax = yv7_attr_ints (n, "axes", &a_ax);
      cnt = (int64_t) n_st;
    }
    for (int64_t k = 0; k < cnt; k++) {
      int64_t axis = ax ? yv7_tensor_get_int (ax, k) : (n_ax ? a_ax[k] : k);
      int64_t s0 = st ? yv7_tensor_get_int (st, k) : a_st[k];
      int64_t e0 = en ? yv7_tensor_get_int (en, k) : a_en[k];
      int64_t sv = sp ? yv7_tensor_get_int (sp, k) : 1, dim;
      int a;
      if (!yv7_norm_axis (axis, x->rank, &a))
        return YV7_E_SHAPE;
      dim = x->dims[a];
      if (s0 < 0)
        s0 += dim;
      if (e0 < 0)
        e0 += dim;
      if (sv > 0)
        s0 = s0 < 0 ? 0 : (s0 > dim ? dim : s0);
      else
        s0 = s0 < 0 ? 0 : (s0 > dim - 1 ? dim - 1 : s0);
      begin[a] = s0;
      step[a] = sv;
      (void) e0;
    }
  }
  for (int d = 0; d < x->rank; d++) {
    off += begin[d] * xs[d];
    xs[d] *= step[d];
  }
  return enq_copy (be, g, n->inputs[0], off, n->outputs[0], 0, y->rank, y->dims, xs, ys);
}

/* Concat or Split: one strided copy per part along the axis. */
static yv7_status
enq_parts (cl_backend *be, const yv7_graph *g, const yv7_node *n, const bool *skip,
    bool split)
{
  int big = split ? n->inputs[0] : n->outputs[0];
  const yv7_tensor *B = T (g, big);
  int axis;
  int64_t pos = 0, bs[YV7_MAX_RANK];
  int nparts = split ? n->n_outputs : n->n_inputs;
  yv7_status s;

  if (!yv7_norm_axis (yv7_attr_int (n, "axis", split ? 0 : 0), B->rank, &axis))
    return YV7_E_SHAPE;
  contiguous_strides (B, bs);
  for (int k = 0; k < nparts; k++) {
    int v = split ? n->outputs[k] : n->inputs[k];
    const yv7_tensor *p;
    int64_t ps[YV7_MAX_RANK];
    if (v < 0)
      continue;
    p = T (g, v);
    contiguous_strides (p, ps);
    if (!(skip && skip[k]) && yv7_tensor_numel (p) > 0) {
      if (split)
        s = enq_copy (be, g, big, pos * bs[axis], v, 0, p->rank, p->dims, bs, ps);
      else
        s = enq_copy (be, g, v, 0, big, pos * bs[axis], p->rank, p->dims, ps, bs);
      if (s != YV7_OK)
        return s;
    }
    pos += p->dims[axis];
  }
  return YV7_OK;
}

static yv7_status
enq_reduce (cl_backend *be, const yv7_graph *g, const yv7_node *n, bool arg)
{
  const yv7_tensor *x = T (g, n->inputs[0]);
  int64_t axis;
  int a, R, inner = 1, outer = 1, last = (int) yv7_attr_int (n, "select_last_index", 0);
  uint xo = eoff (be, g, n->inputs[0]), yo = eoff (be, g, n->outputs[0]);
  size_t gsz[2];

  if (arg)
    axis = yv7_attr_int (n, "axis", 0);
  else if (n->n_inputs > 1 && n->inputs[1] >= 0)
    axis = yv7_tensor_get_int (T (g, n->inputs[1]), 0);
  else {
    const int64_t *axes;
    yv7_attr_ints (n, "axes", &axes);
    axis = axes[0];
  }
  if (!yv7_norm_axis (axis, x->rank, &a))
    return YV7_E_SHAPE;
  R = (int) x->dims[a];
  for (int d = 0; d < a; d++)
    outer *= (int) x->dims[d];
  for (int d = a + 1; d < x->rank; d++)
    inner *= (int) x->dims[d];
  gsz[0] = (size_t) inner;
  gsz[1] = (size_t) outer;
  if (arg)
    return yv7_cl_launch (&be->cl, "argmax_f32", 2, gsz, ARG (be->vals[n->inputs[0]].mem),
        ARG (xo), ARG (be->vals[n->outputs[0]].mem), ARG (yo), ARG (R), ARG (inner), ARG (last), YV7_CL_END);
  return yv7_cl_launch (&be->cl, "reduce_max_f32", 2, gsz, ARG (be->vals[n->inputs[0]].mem),
      ARG (xo), ARG (be->vals[n->outputs[0]].mem), ARG (yo), ARG (R), ARG (inner), YV7_CL_END);
}

static yv7_status
enq_node (cl_backend *be, const yv7_graph *g, int i)
{
  const yv7_node *n = &g->nodes[i];
  dev_node *dn = &be->nodes[i];
  const char *op = n->op_type;
  int xv = n->inputs[0], yv = n->outputs[0];
  const yv7_tensor *x = T (g, xv), *y = T (g, yv);
  uint xo = eoff (be, g, xv), yo = eoff (be, g, yv);
  cl_mem xm = be->vals[xv].mem, ym = be->vals[yv].mem;
  size_t total = (size_t) yv7_tensor_numel (y);

  if (!strcmp (op, "Conv"))
    return enq_conv (be, g, n, dn);
  if (!strcmp (op, "Add") || !strcmp (op, "Sub") || !strcmp (op, "Mul")
      || !strcmp (op, "Div") || !strcmp (op, "Pow"))
    return enq_binary (be, g, n);
  if (!strcmp (op, "Sigmoid") || !strcmp (op, "LeakyRelu") || !strcmp (op, "Relu")) {
    int u = !strcmp (op, "Sigmoid") ? 0 : !strcmp (op, "LeakyRelu") ? 1 : 2;
    float alpha = yv7_attr_float (n, "alpha", 0.01f);
    return yv7_cl_launch (&be->cl, "unary_f32", 1, &total, ARG (u), ARG (alpha),
        ARG (xm), ARG (xo), ARG (ym), ARG (yo), YV7_CL_END);
  }
  if (is_op (n, alias_ops)) {
    int64_t st[YV7_MAX_RANK];
    if (be->vals[yv].parent == xv)
      return YV7_OK;   /* shares its input's storage */
    contiguous_strides (y, st);
    {
      int64_t one = (int64_t) total;
      int64_t unit = 1;
      (void) st;
      return enq_copy (be, g, xv, 0, yv, 0, 1, &one, &unit, &unit);
    }
  }
  if (!strcmp (op, "Transpose"))
    return enq_transpose (be, g, n);
  if (!strcmp (op, "Slice"))
    return enq_slice (be, g, n);
  if (!strcmp (op, "Concat"))
    return enq_parts (be, g, n, dn->skip, false);
  if (!strcmp (op, "Split"))
    return enq_parts (be, g, n, NULL, true);
  if (!strcmp (op, "MaxPool")) {
    const int64_t *ks, *st, *pads, *dil;
    size_t nst = yv7_attr_ints (n, "strides", &st), npd = yv7_attr_ints (n, "pads", &pads);
    size_t ndl = yv7_attr_ints (n, "dilations", &dil);
    int KH, KW, SH = nst == 2 ? (int) st[0] : 1, SW = nst == 2 ? (int) st[1] : 1;
    int PH = npd == 4 ? (int) pads[0] : 0, PW = npd == 4 ? (int) pads[1] : 0;
    int DH = ndl == 2 ? (int) dil[0] : 1, DW = ndl == 2 ? (int) dil[1] : 1;
    int H = (int) x->dims[2], W = (int) x->dims[3], OH = (int) y->dims[2], OW = (int) y->dims[3];
    size_t gsz[3] = { (size_t) OW, (size_t) OH, (size_t) (y->dims[0] * y->dims[1]) };
    yv7_attr_ints (n, "kernel_shape", &ks);
    KH = (int) ks[0];
    KW = (int) ks[1];
    if (KH == 2 && KW == 2 && SH == 2 && SW == 2 && PH == 0 && PW == 0 && DH == 1
        && DW == 1 && H == 2 * OH && W == 2 * OW && !be->cl.gpu_kernels) {
      size_t g3[3] = { (size_t) (OW + 7) / 8, (size_t) OH, (size_t) (y->dims[0] * y->dims[1]) };
      return yv7_cl_launch (&be->cl, "maxpool2x2_f32", 3, g3, ARG (xm), ARG (xo),
          ARG (ym), ARG (yo), ARG (OH), ARG (OW), YV7_CL_END);
    }
    /* the SPP pools: maxpool2d_s1_w16 on CPU devices (30 chained 5x5 pools,
     * 256 channels at 10x10: 0.14 -> 0.09 ms a pool, at 20x20 0.52 -> 0.23) */
    if (SH == 1 && SW == 1 && DH == 1 && DW == 1 && KH <= 16 && !be->cl.gpu_kernels) {
      size_t g2[2] = { (size_t) (OW + 15) / 16, (size_t) (y->dims[0] * y->dims[1]) };
      return yv7_cl_launch (&be->cl, "maxpool2d_s1_w16", 2, g2, ARG (xm), ARG (xo),
          ARG (ym), ARG (yo), ARG (H), ARG (W), ARG (OH), ARG (OW), ARG (KH), ARG (KW),
          ARG (PH), ARG (PW), YV7_CL_END);
    }
    if (SH == 1 && SW == 1 && DH == 1 && DW == 1 && KH <= 32) {
      size_t g2[2] = { (size_t) OW, (size_t) (y->dims[0] * y->dims[1]) };
      return yv7_cl_launch (&be->cl, "maxpool2d_s1_f32", 2, g2, ARG (xm), ARG (xo),
          ARG (ym), ARG (yo), ARG (H), ARG (W), ARG (OH), ARG (OW), ARG (KH), ARG (KW),
          ARG (PH), ARG (PW), YV7_CL_END);
    }
    return yv7_cl_launch (&be->cl, "maxpool2d_f32", 3, gsz, ARG (xm), ARG (xo),
        ARG (ym), ARG (yo), ARG (H), ARG (W), ARG (OH), ARG (OW), ARG (KH), ARG (KW),
        ARG (SH), ARG (SW), ARG (PH), ARG (PW), ARG (DH), ARG (DW), YV7_CL_END);
  }
  if (!strcmp (op, "Resize")) {
    cl_int4 id = { { (cl_int) x->dims[0], (cl_int) x->dims[1], (cl_int) x->dims[2], (cl_int) x->dims[3] } };
    cl_int4 od = { { (cl_int) y->dims[0], (cl_int) y->dims[1], (cl_int) y->dims[2], (cl_int) y->dims[3] } };
    if (dn->resize2x && !be->cl.gpu_kernels) {
      int H = (int) x->dims[2], W = (int) x->dims[3];
      size_t g3[3] = { (size_t) (W + 7) / 8, (size_t) H, (size_t) (x->dims[0] * x->dims[1]) };
      return yv7_cl_launch (&be->cl, "resize_nearest2x_f32", 3, g3, ARG (xm), ARG (xo),
          ARG (ym), ARG (yo), ARG (H), ARG (W), YV7_CL_END);
    }
    return yv7_cl_launch (&be->cl, "resize_nearest_f32", 1, &total, ARG (xm), ARG (xo),
        ARG (ym), ARG (yo), ARG (dn->packed), ARG (id), ARG (od), YV7_CL_END);
  }
  if (!strcmp (op, "MatMul")) {
    const yv7_tensor *b = T (g, n->inputs[1]);
    int M = (int) x->dims[x->rank - 2], K = (int) x->dims[x->rank - 1];
    int N = (int) b->dims[b->rank - 1];
    int batch = (int) (total / ((size_t) M * (size_t) N));
    int a_bs = M * K, b_bs = b->rank == 2 ? 0 : K * N;
    uint bo = eoff (be, g, n->inputs[1]);
    size_t gsz[3] = { (size_t) N, (size_t) M, (size_t) batch };
    if (x->rank == 2)
      a_bs = 0;
    return yv7_cl_launch (&be->cl, "matmul_f32", 3, gsz, ARG (xm), ARG (xo),
        ARG (be->vals[n->inputs[1]].mem), ARG (bo), ARG (ym), ARG (yo), ARG (M),
        ARG (N), ARG (K), ARG (a_bs), ARG (b_bs), YV7_CL_END);
  }
  if (!strcmp (op, YV7_OP_GRID_DECODE)) {
    const yv7_tensor *an = T (g, n->inputs[2]);
    int na = (int) an->dims[1], no = (int) (x->dims[1] / na), HW = (int) (x->dims[2] * x->dims[3]);
    size_t gsz[3] = { (size_t) no, (size_t) HW, (size_t) (x->dims[0] * na) };
    size_t grows[2] = { (size_t) (HW + 7) / 8, (size_t) (x->dims[0] * na) };
    uint go = eoff (be, g, n->inputs[1]), ao = eoff (be, g, n->inputs[2]);
    float scale = n->fused_alpha;
    if (!be->cl.gpu_kernels)
      return yv7_cl_launch (&be->cl, "yolo_grid_decode_rows", 2, grows, ARG (xm), ARG (xo),
          ARG (be->vals[n->inputs[1]].mem), ARG (go), ARG (be->vals[n->inputs[2]].mem),
          ARG (ao), ARG (ym), ARG (yo), ARG (no), ARG (HW), ARG (na), ARG (scale), YV7_CL_END);
    return yv7_cl_launch (&be->cl, "yolo_grid_decode", 3, gsz, ARG (xm), ARG (xo),
        ARG (be->vals[n->inputs[1]].mem), ARG (go), ARG (be->vals[n->inputs[2]].mem),
        ARG (ao), ARG (ym), ARG (yo), ARG (no), ARG (HW), ARG (na), ARG (scale), YV7_CL_END);
  }
  if (!strcmp (op, "ReduceMax"))
    return enq_reduce (be, g, n, false);
  if (!strcmp (op, "ArgMax"))
    return enq_reduce (be, g, n, true);
  if (!strcmp (op, "Cast")) {
    int64_t one = (int64_t) total, unit = 1;
    if (x->dtype == y->dtype)
      return enq_copy (be, g, xv, 0, yv, 0, 1, &one, &unit, &unit);
    return yv7_cl_launch (&be->cl, x->dtype == YV7_DT_FLOAT ? "cast_f32_i64" : "cast_i64_f32",
        1, &total, ARG (xm), ARG (xo), ARG (ym), ARG (yo), YV7_CL_END);
  }
  if (!strcmp (op, "BatchNormalization")) {
    int C = (int) x->dims[1], inner = (int) (total / ((size_t) x->dims[0] * (size_t) C));
    return yv7_cl_launch (&be->cl, "affine_channel_f32", 1, &total, ARG (xm), ARG (xo),
        ARG (dn->packed), ARG (dn->aux), ARG (ym), ARG (yo), ARG (C), ARG (inner), YV7_CL_END);
  }
  return YV7_E_UNSUPPORTED;
}

/* YV7_PROFILE=1: every node is waited for and timed (slower overall); at
 * the end the nodes' mean times over all runs but the first are printed to
 * stderr, slowest first, with the Convs' GFLOP/s.  A development aid, not
 * for production. */
static void
prof_report (cl_backend *be, const yv7_graph *g)
{
  int *idx = malloc (sizeof (int) * (size_t) g->n_nodes);
  double total = 0;
  int m = 0;
  if (!idx || be->prof_runs == 0)
    goto out;
  for (int i = 0; i < g->n_nodes; i++)
    if (be->prof_ms[i] > 0) {
      idx[m++] = i;
      total += be->prof_ms[i];
    }
  for (int a = 1; a < m; a++)
    for (int b = a; b > 0 && be->prof_ms[idx[b]] > be->prof_ms[idx[b - 1]]; b--) {
      int t = idx[b]; idx[b] = idx[b - 1]; idx[b - 1] = t;
    }
  fprintf (stderr, "yv7 profile: %d runs, %.3f ms a run in %d nodes\n",
      be->prof_runs, total / be->prof_runs, m);
  for (int k = 0; k < m; k++) {
    const yv7_node *n = &g->nodes[idx[k]];
    double ms = be->prof_ms[idx[k]] / be->prof_runs, gf = 0;
    char shape[96] = "";
    if (!strcmp (n->op_type, "Conv")) {
      const yv7_tensor *w = T (g, n->inputs[1]), *y = T (g, n->outputs[0]);
      double flops = 2.0 * (double) yv7_tensor_numel (y) * (double) (yv7_tensor_numel (w) / w->dims[0]);
      gf = flops / (ms * 1e6);
      const int64_t *st;
      size_t nst = yv7_attr_ints (n, "strides", &st);
      snprintf (shape, sizeof shape, "w %dx%dx%dx%d y %dx%d stride %d",
          (int) w->dims[0], (int) w->dims[1], (int) w->dims[2], (int) w->dims[3],
          (int) y->dims[2], (int) y->dims[3], nst ? (int) st[nst - 1] : 1);
    } else if (!strcmp (n->op_type, "MaxPool")) {
      const int64_t *ks, *st;
      size_t nks = yv7_attr_ints (n, "kernel_shape", &ks), nst = yv7_attr_ints (n, "strides", &st);
      if (nks == 2)
        snprintf (shape, sizeof shape, "k %dx%d stride %d", (int) ks[0], (int) ks[1],
            nst ? (int) st[nst - 1] : 1);
    }
    fprintf (stderr, "  %8.3f ms %5.1f%% %-10s %-28s %s", ms, 100 * ms * be->prof_runs / total,
        n->op_type, n->name, shape);
    if (gf > 0)
      fprintf (stderr, " %.1f GFLOP/s", gf);
    if (be->prof_kernel && be->prof_kernel[idx[k]][0])
      fprintf (stderr, " [%s]", be->prof_kernel[idx[k]]);
    fprintf (stderr, "\n");
  }
out:
  free (idx);
}

static yv7_status
cl_enqueue (yv7_backend *b, const yv7_graph *g, int node, yv7_error *err)
{
  cl_backend *be = (cl_backend *) b;
  yv7_status s;
  double t0 = 0;
  if (be->prof_ms) {
    clFinish (be->cl.queue);
    t0 = yv7_cl_now_ms ();
    if (be->prof_first < 0)
      be->prof_first = node;
    be->prof_runs += node == be->prof_first;
    if (node == be->prof_first && be->prof_runs == 2 && !be->prof_dropped) {
      /* drop the first run: it includes compiling kernels on first use */
      memset (be->prof_ms, 0, sizeof (double) * (size_t) g->n_nodes);
      be->prof_runs = 1;
      be->prof_dropped = true;
    }
  }
  be->cl.launch_error = CL_SUCCESS;
  be->cl.n_launched = 0;   /* the node's kernels, when tracing */
  s = enq_node (be, g, node);
  if (be->prof_ms) {
    clFinish (be->cl.queue);
    be->prof_ms[node] += yv7_cl_now_ms () - t0;
    if (be->prof_kernel) {
      char *kn = be->prof_kernel[node];
      kn[0] = '\0';
      for (int i = 0; i < be->cl.n_launched; i++)
        snprintf (kn + strlen (kn), sizeof *be->prof_kernel - strlen (kn), "%s%s",
            i ? " " : "", be->cl.launched[i]);
    }
  }
  if (s != YV7_OK)
    return yv7_set_error (err, s, "%s node '%s': enqueueing its OpenCL kernel on "
        "%s failed: %s (%s)", g->nodes[node].op_type, g->nodes[node].name, be->cl.name,
        be->cl.launch_error != CL_SUCCESS ? yv7_cl_strerror (be->cl.launch_error)
        : "no OpenCL code", yv7_status_name (s));
  return YV7_OK;
}

static yv7_status
cl_write (yv7_backend *b, const yv7_graph *g, int v, const void *data, yv7_error *err)
{
  cl_backend *be = (cl_backend *) b;
  size_t n = value_bytes (g, v);
  if (!be->vals[v].mem)
    return yv7_set_error (err, YV7_E_STATE, "value '%s' has no device storage",
        g->values[v].name);
  if (n == 0)
    return YV7_OK;
  return yv7_cl_check (clEnqueueWriteBuffer (be->cl.queue, be->vals[v].mem, CL_TRUE,
      be->vals[v].off, n, data, 0, NULL, NULL), "writing to the device", err);
}

static yv7_status
cl_read (yv7_backend *b, const yv7_graph *g, int v, void *data, yv7_error *err)
{
  cl_backend *be = (cl_backend *) b;
  size_t n = value_bytes (g, v);
  if (!be->vals[v].mem)
    return yv7_set_error (err, YV7_E_STATE, "value '%s' has no device storage",
        g->values[v].name);
  if (n == 0)
    return YV7_OK;
  return yv7_cl_check (clEnqueueReadBuffer (be->cl.queue, be->vals[v].mem, CL_TRUE,
      be->vals[v].off, n, data, 0, NULL, NULL), "reading from the device", err);
}

static yv7_status
cl_pre (yv7_backend *b, const yv7_graph *g, int v, int index, const yv7_frame *f,
    const yv7_letterbox *lb, yv7_error *err)
{
  cl_backend *be = (cl_backend *) b;
  const yv7_tensor *t = T (g, v);
  size_t plane = (size_t) (t->dims[1] * t->dims[2] * t->dims[3]);
  return yv7_cl_preprocess (&be->cl, f, lb, be->vals[v].mem,
      eoff (be, g, v) + plane * (size_t) index, err);
}

static yv7_status
cl_flush (yv7_backend *b, yv7_error *err)
{
  cl_backend *be = (cl_backend *) b;
  cl_int rc;
  if (be->done)
    clReleaseEvent (be->done);
  be->done = NULL;
  rc = clEnqueueMarkerWithWaitList (be->cl.queue, 0, NULL, &be->done);
  if (rc == CL_SUCCESS)
    rc = clFlush (be->cl.queue);
  return yv7_cl_check (rc, "submitting work to the device", err);
}

static int
cl_poll (yv7_backend *b)
{
  cl_backend *be = (cl_backend *) b;
  cl_int st = CL_COMPLETE;
  if (!be->done)
    return 1;
  if (clGetEventInfo (be->done, CL_EVENT_COMMAND_EXECUTION_STATUS, sizeof st, &st, NULL) != CL_SUCCESS)
    return 1;
  return st == CL_COMPLETE || st < 0;
}

static const char *
cl_name (yv7_backend *b)
{
  return ((cl_backend *) b)->cl.name;
}

static void
cl_memory (yv7_backend *b, size_t *arena, size_t *constants, size_t *unplanned)
{
  cl_backend *be = (cl_backend *) b;
  /* the Winograd and split-K scratch are run-time data too */
  *arena = be->arena_size + be->scratch_size + be->gpart_size;
  *constants = be->const_bytes;
  *unplanned = be->unplanned_bytes;
}

static void
cl_free (yv7_backend *b)
{
  cl_backend *be = (cl_backend *) b;
  if (be->cl.queue)
    clFinish (be->cl.queue);
  if (be->prof_ms && be->prof_graph)
    prof_report (be, be->prof_graph);
  free (be->prof_ms);
  free (be->prof_kernel);
  if (be->done)
    clReleaseEvent (be->done);
  if (be->vals)
    for (int v = 0; v < be->n_vals; v++)
      if (be->vals[v].mem && be->vals[v].mem != be->arena)
        clReleaseMemObject (be->vals[v].mem);
  if (be->nodes)
    for (int i = 0; i < be->n_nodes; i++) {
      if (be->nodes[i].packed)
        clReleaseMemObject (be->nodes[i].packed);
      if (be->nodes[i].aux)
        clReleaseMemObject (be->nodes[i].aux);
      free (be->nodes[i].skip);
    }
  if (be->arena)
    clReleaseMemObject (be->arena);
  if (be->scratch)
    clReleaseMemObject (be->scratch);
  if (be->gpart)
    clReleaseMemObject (be->gpart);
  yv7_gemm_cache_clear (&be->gcache);
  free (be->vals);
  free (be->nodes);
  yv7_cl_close (&be->cl);
  free (be);
}

static const yv7_backend_ops cl_ops = {
  .supports_op = cl_supports,
  .prepare = cl_prepare,
  .write = cl_write,
  .read = cl_read,
  .enqueue = cl_enqueue,
  .preprocess = cl_pre,
  .flush = cl_flush,
  .poll = cl_poll,
  .name = cl_name,
  .memory = cl_memory,
  .free = cl_free,
};

yv7_backend *
yv7_cl_backend_new (const char *spec, bool half_weights, yv7_error *err)
{
  cl_backend *be = calloc (1, sizeof *be);
  if (!be) {
    yv7_set_error (err, YV7_E_NOMEM, "out of memory");
    return NULL;
  }
  be->base.ops = &cl_ops;
  if (yv7_cl_open (&be->cl, spec, half_weights, err) != YV7_OK) {
    free (be);
    return NULL;
  }
  return &be->base;
}
