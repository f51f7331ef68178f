/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* passes.c: load-time graph passes: shape inference with constant folding,
 * BatchNormalization folding, activation fusion, the --grid head decode
 * fused into one node, dead-code removal. */
#include "engine-private.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_IO 64

static void
collect_io (yv7_graph *g, const yv7_node *n, const yv7_tensor **in, yv7_tensor **out)
{
  for (int k = 0; k < n->n_inputs; k++)
    in[k] = n->inputs[k] >= 0 ? &g->values[n->inputs[k]].t : NULL;
  for (int k = 0; k < n->n_outputs; k++)
    out[k] = n->outputs[k] >= 0 ? &g->values[n->outputs[k]].t : NULL;
}

/* Results larger than this are not computed at load: a few hundred bytes
 * of model (a Resize of a constant by 8000) would otherwise make the load
 * itself allocate gigabytes.  Such a node runs with the graph instead, where
 * its size shows in the shapes.  Real exports fold only small shape
 * arithmetic and grids. */
#define MAX_FOLD_ELEMENTS ((int64_t) 1 << 24)

/* Would folding node n at load produce at most MAX_FOLD_ELEMENTS?  Unknown
 * (an error, or a shape that depends on the data) counts as small: the run
 * then reports the error, or bounds the result by its inputs. */
static bool
fold_is_small (const yv7_node *n, const yv7_tensor *const *in, yv7_tensor *const *out)
{
  yv7_error scratch = { 0 };
  int64_t total = 0;

  if (n->def->infer (n, in, out, &scratch) != YV7_OK)
    return true;
  for (int k = 0; k < n->n_outputs; k++) {
    int64_t numel;
    if (!out[k])
      continue;
    if (!yv7_shape_numel (out[k]->rank, out[k]->dims, &numel))
      return true;
    total += numel;
    if (total > MAX_FOLD_ELEMENTS)
      return false;
  }
  return true;
}

/* Shapes for every value; nodes whose inputs are all known at load are run
 * now on the host (this resolves the Shape/Gather/Concat subgraphs of the
 * dynamic-batch exports).  Shapes that depend on run-time data (after
 * NonMaxSuppression) stay dynamic. */
yv7_status
yv7_pass_infer (yv7_graph *g, yv7_error *err)
{
  for (int i = 0; i < g->n_nodes; i++) {
    yv7_node *n = &g->nodes[i];
    const yv7_tensor *in[MAX_IO];
    yv7_tensor *out[MAX_IO];
    bool all_const = true, dynamic = false;
    yv7_status s;

    if (n->dead)
      continue;
    for (int k = 0; k < n->n_inputs; k++) {
      int v = n->inputs[k];
      if (v < 0)
        continue;
      if (!g->values[v].is_const)
        all_const = false;
      if (g->values[v].dynamic)
        dynamic = true;
    }
    collect_io (g, n, in, out);
    /* Shape reads only its input's shape: known at load unless dynamic */
    if (!dynamic && strcmp (n->op_type, "Shape") == 0)
      all_const = true;
    if (all_const && !fold_is_small (n, in, out))
      all_const = false;
    if (all_const) {
      s = n->def->run (n, in, out, err);
      if (s != YV7_OK)
        goto failed;
      for (int k = 0; k < n->n_outputs; k++)
        if (n->outputs[k] >= 0)
          g->values[n->outputs[k]].is_const = true;
      n->dead = true;   /* folded */
      continue;
    }
    s = dynamic ? YV7_E_DYNAMIC : n->def->infer (n, in, out, err);
    if (s == YV7_E_DYNAMIC) {
      for (int k = 0; k < n->n_outputs; k++)
        if (n->outputs[k] >= 0)
          g->values[n->outputs[k]].dynamic = true;
      continue;
    }
    if (s != YV7_OK)
      goto failed;
    for (int k = 0; k < n->n_outputs; k++) {
      int64_t numel;
      yv7_tensor *t = out[k];
      if (t && !yv7_shape_numel (t->rank, t->dims, &numel))
        return yv7_set_error (err, YV7_E_SHAPE, "%s node '%s': invalid output shape",
            n->op_type, n->name);
    }
    continue;

failed:
    if (err && err->code == s && !strstr (err->message, n->name)) {
      char msg[YV7_ERROR_MESSAGE_SIZE];
      snprintf (msg, sizeof msg, "%s node '%.100s': %.380s", n->op_type, n->name, err->message);
      memcpy (err->message, msg, sizeof msg);
    }
    return s;
  }
  return YV7_OK;
}

static int
sole_consumer (const yv7_graph *g, int v)
{
  int found = -1;
  if (g->values[v].n_consumers != 1 || g->values[v].is_output)
    return -1;
  for (int i = 0; i < g->n_nodes; i++) {
    const yv7_node *n = &g->nodes[i];
    if (n->dead)
      continue;
    for (int k = 0; k < n->n_inputs; k++)
      if (n->inputs[k] == v)
        found = i;
  }
  return found;
}

/* Conv -> BatchNormalization with constant parameters becomes one Conv with
 * new constant weights (the originals may be shared, so they are copied). */
yv7_status
yv7_pass_fold_batchnorm (yv7_graph *g, yv7_error *err)
{
  for (int i = 0; i < g->n_nodes; i++) {
    yv7_node *bn = &g->nodes[i], *conv;
    int x, c, bnc, wv, bv, nw, nb;
    const yv7_tensor *sc, *sh, *mean, *var, *w, *b;
    float eps;
    int64_t oc, per;
    yv7_status s;

    if (bn->dead || strcmp (bn->op_type, "BatchNormalization") != 0 || bn->n_outputs != 1)
      continue;
    x = bn->inputs[0];
    c = g->values[x].producer;
    if (c < 0 || g->nodes[c].dead || strcmp (g->nodes[c].op_type, "Conv") != 0)
      continue;
    conv = &g->nodes[c];
    if (sole_consumer (g, x) != i || conv->fused_act)
      continue;
    for (int k = 1; k < 5; k++)
      if (bn->inputs[k] < 0 || !g->values[bn->inputs[k]].is_const)
        goto next;
    wv = conv->inputs[1];
    bv = conv->n_inputs > 2 ? conv->inputs[2] : -1;
    if (!g->values[wv].is_const || (bv >= 0 && !g->values[bv].is_const))
      continue;
    sc = &g->values[bn->inputs[1]].t; sh = &g->values[bn->inputs[2]].t;
    mean = &g->values[bn->inputs[3]].t; var = &g->values[bn->inputs[4]].t;
    w = &g->values[wv].t;
    b = bv >= 0 ? &g->values[bv].t : NULL;
    if (w->dtype != YV7_DT_FLOAT || w->rank < 3)
      continue;
    oc = w->dims[0];
    per = oc ? yv7_tensor_numel (w) / oc : 0;
    if (sc->dtype != YV7_DT_FLOAT || yv7_tensor_numel (sc) != oc
        || yv7_tensor_numel (sh) != oc || yv7_tensor_numel (mean) != oc
        || yv7_tensor_numel (var) != oc || (b && yv7_tensor_numel (b) != oc))
      continue;
    eps = yv7_attr_float (bn, "epsilon", 1e-5f);
    {
      char name[300];
      snprintf (name, sizeof name, "%s/bn_folded_W", bn->name);
      if ((nw = yv7_graph_add_value (g, name, err)) < 0)
        return err ? err->code : YV7_E_NOMEM;
      snprintf (name, sizeof name, "%s/bn_folded_B", bn->name);
      if ((nb = yv7_graph_add_value (g, name, err)) < 0)
        return err ? err->code : YV7_E_NOMEM;
    }
    /* add_value may have moved the table: re-read pointers */
    bn = &g->nodes[i]; conv = &g->nodes[c];
    sc = &g->values[bn->inputs[1]].t; sh = &g->values[bn->inputs[2]].t;
    mean = &g->values[bn->inputs[3]].t; var = &g->values[bn->inputs[4]].t;
    w = &g->values[wv].t;
    b = bv >= 0 ? &g->values[bv].t : NULL;
    if ((s = yv7_tensor_copy (&g->values[nw].t, w, err)) != YV7_OK)
      return s;
    if ((s = yv7_tensor_alloc (&g->values[nb].t, YV7_DT_FLOAT, 1, &oc, err)) != YV7_OK)
      return s;
    for (int64_t o = 0; o < oc; o++) {
      float f = ((const float *) sc->data)[o]
          / sqrtf (((const float *) var->data)[o] + eps);
      float *wo = (float *) g->values[nw].t.data + o * per;
      float bias = b ? ((const float *) b->data)[o] : 0.f;
      for (int64_t k = 0; k < per; k++)
        wo[k] *= f;
      ((float *) g->values[nb].t.data)[o] =
          (bias - ((const float *) mean->data)[o]) * f + ((const float *) sh->data)[o];
    }
    g->values[nw].is_const = g->values[nb].is_const = true;
    g->values[nw].n_consumers = g->values[nb].n_consumers = 1;
    g->values[wv].n_consumers--;
    if (bv >= 0)
      g->values[bv].n_consumers--;
    conv->inputs[1] = nw;
    if (conv->n_inputs > 2)
      conv->inputs[2] = nb;
    else {
      int *ni = realloc (conv->inputs, sizeof (int) * 3);
      if (!ni)
        return yv7_set_error (err, YV7_E_NOMEM, "out of memory");
      conv->inputs = ni;
      conv->inputs[2] = nb;
      conv->n_inputs = 3;
    }
    bnc = bn->outputs[0];
    conv->outputs[0] = bnc;
    g->values[bnc].producer = c;
    g->values[x].n_consumers = 0;
    for (int k = 1; k < 5; k++)
      g->values[bn->inputs[k]].n_consumers--;
    bn->dead = true;
next:
    ;
  }
  return YV7_OK;
}

/* Conv + LeakyRelu and Conv + Sigmoid + Mul (SiLU) on the device become one
 * kernel: the activation is applied in the convolution's store. */
void
yv7_pass_fuse_activations (yv7_graph *g)
{
  for (int i = 0; i < g->n_nodes; i++) {
    yv7_node *conv = &g->nodes[i];
    int y, a;

    if (conv->dead || conv->on_host || strcmp (conv->op_type, "Conv") != 0
        || conv->fused_act)
      continue;
    y = conv->outputs[0];
    if (g->values[y].is_output)
      continue;
    if (g->values[y].n_consumers == 1) {
      a = sole_consumer (g, y);
      if (a >= 0 && !g->nodes[a].on_host
          && strcmp (g->nodes[a].op_type, "LeakyRelu") == 0) {
        conv->fused_act = YV7_ACT_LEAKY;
        conv->fused_alpha = yv7_attr_float (&g->nodes[a], "alpha", 0.01f);
        conv->outputs[0] = g->nodes[a].outputs[0];
        g->values[conv->outputs[0]].producer = i;
        g->values[y].n_consumers = 0;
        g->nodes[a].dead = true;
      }
    } else if (g->values[y].n_consumers == 2) {
      int sig = -1, mul = -1;
      for (int j = i + 1; j < g->n_nodes; j++) {
        yv7_node *m = &g->nodes[j];
        if (m->dead)
          continue;
        for (int k = 0; k < m->n_inputs; k++) {
          if (m->inputs[k] != y)
            continue;
          if (strcmp (m->op_type, "Sigmoid") == 0)
            sig = j;
          else if (strcmp (m->op_type, "Mul") == 0)
            mul = j;
        }
      }
      if (sig < 0 || mul < 0 || g->nodes[sig].on_host || g->nodes[mul].on_host)
        continue;
      {
        int s = g->nodes[sig].outputs[0];
        yv7_node *m = &g->nodes[mul];
        bool pair = (m->inputs[0] == y && m->inputs[1] == s)
            || (m->inputs[0] == s && m->inputs[1] == y);
        if (!pair || sole_consumer (g, s) != mul)
          continue;
        conv->fused_act = YV7_ACT_SILU;
        conv->outputs[0] = m->outputs[0];
        g->values[conv->outputs[0]].producer = i;
        g->values[y].n_consumers = 0;
        g->values[s].n_consumers = 0;
        g->nodes[sig].dead = true;
        m->dead = true;
      }
    }
  }
}

/* Drop nodes none of whose outputs reach a graph output. */
void
yv7_pass_dead_code (yv7_graph *g)
{
  bool *needed = calloc ((size_t) g->n_values + 1, 1);
  if (!needed)
    return;   /* keeping dead nodes is only slower */
  for (int k = 0; k < g->n_outputs; k++)
    needed[g->outputs[k]] = true;
  for (int i = g->n_nodes - 1; i >= 0; i--) {
    yv7_node *n = &g->nodes[i];
    bool use = false;
    if (n->dead)
      continue;
    for (int k = 0; k < n->n_outputs; k++)
      if (n->outputs[k] >= 0 && needed[n->outputs[k]])
        use = true;
    if (!use) {
      n->dead = true;
      continue;
    }
    for (int k = 0; k < n->n_inputs; k++)
      if (n->inputs[k] >= 0)
        needed[n->inputs[k]] = true;
  }
  free (needed);
  /* consumer counts of the live graph, for the passes that follow */
  for (int v = 0; v < g->n_values; v++)
    g->values[v].n_consumers = 0;
  for (int i = 0; i < g->n_nodes; i++)
    if (!g->nodes[i].dead)
      for (int k = 0; k < g->nodes[i].n_inputs; k++)
        if (g->nodes[i].inputs[k] >= 0)
          g->values[g->nodes[i].inputs[k]].n_consumers++;
}

/* ---- the --grid head decode in one node ---- */

static yv7_status
grid_decode_on_host (const yv7_node *n, const yv7_tensor *const *in,
    yv7_tensor *const *out, yv7_error *err)
{
  (void) in;
  (void) out;
  return yv7_set_error (err, YV7_E_STATE, "node '%s': the fused head decode runs "
      "only on a device", n->name);
}

/* Only yv7_pass_fuse_grid_decode makes this node, after placement, for a
 * device backend; it never reaches the host interpreter. */
static const yv7_op_def grid_decode_def = {
  .name = YV7_OP_GRID_DECODE,
  .min_inputs = 3, .max_inputs = 3, .min_outputs = 1, .max_outputs = 1,
  .infer = grid_decode_on_host,
  .run = grid_decode_on_host,
};

static bool
is_dev (const yv7_graph *g, int i, const char *op)
{
  return i >= 0 && !g->nodes[i].dead && !g->nodes[i].on_host
      && strcmp (g->nodes[i].op_type, op) == 0;
}

/* The constant operand of a two-input node whose other input is v, or -1. */
static int
other_const (const yv7_graph *g, const yv7_node *n, int v)
{
  int o;
  if (n->n_inputs != 2 || (n->inputs[0] != v && n->inputs[1] != v))
    return -1;
  o = n->inputs[0] == v ? n->inputs[1] : n->inputs[0];
  return o >= 0 && g->values[o].is_const && g->values[o].t.dtype == YV7_DT_FLOAT ? o : -1;
}

static bool
dims_are (const yv7_tensor *t, int rank, const int64_t *d)
{
  if (t->rank != rank)
    return false;
  for (int k = 0; k < rank; k++)
    if (t->dims[k] != d[k])
      return false;
  return true;
}

/* One head of the official --grid export on the device,
 *   x [N, na*no, H, W] -> Reshape [N, na, no, H, W] -> Transpose (0,1,3,4,2)
 *   -> Sigmoid -> Split axis 4 (2, 2, no-4) -> xy * s + grid, wh^2 * anchors, conf
 *   -> Concat axis 4 [-> Reshape [N, na*H*W, no]],
 * becomes one YV7_OP_GRID_DECODE node (inputs x, grid, anchors; the xy
 * scale s in fused_alpha) that one kernel runs.  Anything that differs from
 * that shape stays as it is. */
void
yv7_pass_fuse_grid_decode (yv7_graph *g)
{
  for (int i = 0; i < g->n_nodes; i++) {
    yv7_node *sg = &g->nodes[i];
    int t, r1, sp, m1, ad, pw, m2, ct, r2, x, sv, xy, wh, cf, scv, grv, exv, anv, fin;
    const yv7_tensor *X, *O;
    int64_t N, na, no, H, W;
    int *ni;

    if (!is_dev (g, i, "Sigmoid") || sg->n_inputs != 1)
      continue;
    t = g->values[sg->inputs[0]].producer;
    if (!is_dev (g, t, "Transpose") || sole_consumer (g, sg->inputs[0]) != i)
      continue;
    r1 = g->values[g->nodes[t].inputs[0]].producer;
    if (!is_dev (g, r1, "Reshape") || sole_consumer (g, g->nodes[t].inputs[0]) != t)
      continue;
    x = g->nodes[r1].inputs[0];
    X = &g->values[x].t;
    O = &g->values[g->nodes[r1].outputs[0]].t;
    if (X->dtype != YV7_DT_FLOAT || X->rank != 4 || O->rank != 5 || g->values[x].is_const)
      continue;
    N = O->dims[0], na = O->dims[1], no = O->dims[2], H = O->dims[3], W = O->dims[4];
    {
      const int64_t *perm;
      int64_t want[5] = { N, na * no, H, W, 0 }, p5[5] = { 0, 1, 3, 4, 2 }, tr[5] = { N, na, H, W, no };
      if (no < 5 || !dims_are (X, 4, want) || yv7_attr_ints (&g->nodes[t], "perm", &perm) != 5)
        continue;
      if (memcmp (perm, p5, sizeof p5) != 0
          || !dims_are (&g->values[g->nodes[t].outputs[0]].t, 5, tr))
        continue;
    }
    sv = sg->outputs[0];
    sp = sole_consumer (g, sv);
    if (!is_dev (g, sp, "Split") || g->nodes[sp].n_outputs != 3)
      continue;
    {
      int ax;
      if (!yv7_norm_axis (yv7_attr_int (&g->nodes[sp], "axis", 0), 5, &ax) || ax != 4)
        continue;
    }
    xy = g->nodes[sp].outputs[0], wh = g->nodes[sp].outputs[1], cf = g->nodes[sp].outputs[2];
    if (xy < 0 || wh < 0 || cf < 0 || g->values[xy].t.dims[4] != 2
        || g->values[wh].t.dims[4] != 2 || g->values[cf].t.dims[4] != no - 4)
      continue;
    /* xy * s + grid */
    m1 = sole_consumer (g, xy);
    if (!is_dev (g, m1, "Mul") || (scv = other_const (g, &g->nodes[m1], xy)) < 0
        || yv7_tensor_numel (&g->values[scv].t) != 1)
      continue;
    ad = sole_consumer (g, g->nodes[m1].outputs[0]);
    if (!is_dev (g, ad, "Add") || (grv = other_const (g, &g->nodes[ad], g->nodes[m1].outputs[0])) < 0)
      continue;
    {
      int64_t gd[5] = { 1, 1, H, W, 2 };
      if (!dims_are (&g->values[grv].t, 5, gd))
        continue;
    }
    /* wh^2 * anchors */
    pw = sole_consumer (g, wh);
    if (!is_dev (g, pw, "Pow") || g->nodes[pw].inputs[0] != wh
        || (exv = other_const (g, &g->nodes[pw], wh)) < 0
        || yv7_tensor_numel (&g->values[exv].t) != 1
        || ((const float *) g->values[exv].t.data)[0] != 2.0f)
      continue;
    m2 = sole_consumer (g, g->nodes[pw].outputs[0]);
    if (!is_dev (g, m2, "Mul") || (anv = other_const (g, &g->nodes[m2], g->nodes[pw].outputs[0])) < 0)
      continue;
    {
      int64_t adm[5] = { 1, na, 1, 1, 2 };
      if (!dims_are (&g->values[anv].t, 5, adm))
        continue;
    }
    /* Concat (xy, wh, conf) on axis 4, then maybe the Reshape to rows */
    ct = sole_consumer (g, cf);
    if (!is_dev (g, ct, "Concat") || g->nodes[ct].n_inputs != 3
        || g->nodes[ct].inputs[0] != g->nodes[ad].outputs[0]
        || g->nodes[ct].inputs[1] != g->nodes[m2].outputs[0] || g->nodes[ct].inputs[2] != cf
        || sole_consumer (g, g->nodes[ad].outputs[0]) != ct
        || sole_consumer (g, g->nodes[m2].outputs[0]) != ct)
      continue;
    {
      int ax;
      if (!yv7_norm_axis (yv7_attr_int (&g->nodes[ct], "axis", 0), 5, &ax) || ax != 4)
        continue;
    }
    fin = g->nodes[ct].outputs[0];
    r2 = sole_consumer (g, fin);
    if (is_dev (g, r2, "Reshape")) {
      int64_t rows[3] = { N, na * H * W, no };
      if (dims_are (&g->values[g->nodes[r2].outputs[0]].t, 3, rows))
        fin = g->nodes[r2].outputs[0];
      else
        r2 = -1;
    } else
      r2 = -1;
    if (g->values[fin].t.dtype != YV7_DT_FLOAT)
      continue;
    /* rewrite the Sigmoid node as the fused one */
    {
      char *op = strdup (YV7_OP_GRID_DECODE);
      if (!op || !(ni = realloc (sg->inputs, sizeof (int) * 3))) {
        free (op);
        continue;   /* out of memory: the unfused graph still runs */
      }
      free (sg->op_type);
      sg->op_type = op;
    }
    sg->inputs = ni;
    sg->inputs[0] = x;
    sg->inputs[1] = grv;
    sg->inputs[2] = anv;
    sg->n_inputs = 3;
    sg->outputs[0] = fin;
    sg->def = &grid_decode_def;
    sg->fused_alpha = ((const float *) g->values[scv].t.data)[0];
    g->values[fin].producer = i;
    {
      int gone[] = { r1, t, sp, m1, ad, pw, m2, ct, r2 };
      for (size_t k = 0; k < sizeof gone / sizeof gone[0]; k++)
        if (gone[k] >= 0)
          g->nodes[gone[k]].dead = true;
    }
  }
}

/* The geometry of a MaxPool the chain pass can rewrite: square odd kernel
 * k, stride 1, dilation 1, "same" padding (k-1)/2 on every side, floor
 * mode, one output, 4-D.  Returns k, or 0. */
static int
same_maxpool_k (const yv7_graph *g, const yv7_node *n)
{
  const int64_t *ks, *v;
  size_t nk, nv;
  const char *pad = yv7_attr_string (n, "auto_pad", "NOTSET");

  if (n->dead || n->on_host || strcmp (n->op_type, "MaxPool") != 0
      || (n->n_outputs > 1 && n->outputs[1] >= 0) || strcmp (pad, "NOTSET") != 0
      || yv7_attr_int (n, "ceil_mode", 0) != 0 || g->values[n->inputs[0]].t.rank != 4)
    return 0;
  nk = yv7_attr_ints (n, "kernel_shape", &ks);
  if (nk != 2 || ks[0] != ks[1] || ks[0] < 3 || ks[0] % 2 == 0 || ks[0] > 65)
    return 0;
  if ((nv = yv7_attr_ints (n, "strides", &v)) && (nv != 2 || v[0] != 1 || v[1] != 1))
    return 0;
  if ((nv = yv7_attr_ints (n, "dilations", &v)) && (nv != 2 || v[0] != 1 || v[1] != 1))
    return 0;
  nv = yv7_attr_ints (n, "pads", &v);
  if (nv != 4)
    return 0;
  for (size_t k = 0; k < 4; k++)
    if (v[k] != ks[0] / 2)
      return 0;
  return (int) ks[0];
}

/* Sets a chain-rewritten MaxPool's kernel and pads to k x k, (k-1)/2. */
static void
set_maxpool_k (yv7_node *n, int k)
{
  for (int a = 0; a < n->n_attrs; a++) {
    yv7_attr *at = &n->attrs[a];
    if (strcmp (at->name, "kernel_shape") == 0 || strcmp (at->name, "pads") == 0)
      for (size_t j = 0; j < at->n; j++)
        at->ints[j] = strcmp (at->name, "pads") == 0 ? k / 2 : k;
  }
}

/* SPP blocks pool one map with k = 5, 9 and 13 side by side.  With stride
 * 1 and "same" padding (padding never wins a max), pooling by a then by b
 * is pooling by a + b - 1, exactly: so the 9 becomes the 5 applied to the
 * 5's output and the 13 the 5 applied to the 9's (5 + 5 + 5 comparisons
 * an output with the ring kernel instead of 5 + 9 + 13 rows of 5, 9, 13). */
void
yv7_pass_chain_maxpools (yv7_graph *g)
{
  for (int i = 0; i < g->n_nodes; i++) {
    int members[8], ks[8], n = 0, x;

    if (!same_maxpool_k (g, &g->nodes[i]))
      continue;
    x = g->nodes[i].inputs[0];
    for (int j = i; j < g->n_nodes && n < 8; j++)
      if (g->nodes[j].n_inputs > 0 && g->nodes[j].inputs[0] == x
          && (ks[n] = same_maxpool_k (g, &g->nodes[j])))
        members[n++] = j;
    if (n < 2)
      continue;
    /* by kernel size; the smallest is the link of the chain */
    for (int a = 1; a < n; a++)
      for (int b = a; b > 0 && ks[b] < ks[b - 1]; b--) {
        int tm = members[b], tk = ks[b];
        members[b] = members[b - 1];
        ks[b] = ks[b - 1];
        members[b - 1] = tm;
        ks[b - 1] = tk;
      }
    for (int a = 1; a < n; a++) {
      yv7_node *m = &g->nodes[members[a]];
      /* the previous pool must run first: node order is the run order */
      if (ks[a] != ks[a - 1] + ks[0] - 1 || members[a - 1] > members[a])
        break;
      m->inputs[0] = g->nodes[members[a - 1]].outputs[0];
      g->values[x].n_consumers--;
      g->values[m->inputs[0]].n_consumers++;
      set_maxpool_k (m, ks[0]);
    }
  }
}
