/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* passes.c: load-time graph passes: shape inference with constant folding,
 * BatchNormalization folding, activation fusion, dead-code removal. */
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
