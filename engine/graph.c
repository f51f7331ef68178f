/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* graph.c: graph IR bookkeeping and attribute lookup. */
#include "graph.h"

#include <stdlib.h>
#include <string.h>

const yv7_attr *
yv7_node_attr (const yv7_node *n, const char *name)
{
  for (int i = 0; i < n->n_attrs; i++)
    if (strcmp (n->attrs[i].name, name) == 0)
      return &n->attrs[i];
  return NULL;
}

int64_t
yv7_attr_int (const yv7_node *n, const char *name, int64_t def)
{
  const yv7_attr *a = yv7_node_attr (n, name);
  return a && a->type == YV7_ATTR_INT ? a->i : def;
}

float
yv7_attr_float (const yv7_node *n, const char *name, float def)
{
  const yv7_attr *a = yv7_node_attr (n, name);
  return a && a->type == YV7_ATTR_FLOAT ? a->f : def;
}

const char *
yv7_attr_string (const yv7_node *n, const char *name, const char *def)
{
  const yv7_attr *a = yv7_node_attr (n, name);
  return a && a->type == YV7_ATTR_STRING && a->s ? a->s : def;
}

size_t
yv7_attr_ints (const yv7_node *n, const char *name, const int64_t **ints)
{
  const yv7_attr *a = yv7_node_attr (n, name);
  if (!a || a->type != YV7_ATTR_INTS) {
    *ints = NULL;
    return 0;
  }
  *ints = a->ints;
  return a->n;
}

static void
attr_free (yv7_attr *a)
{
  free (a->name);
  free (a->s);
  free (a->floats);
  free (a->ints);
  yv7_tensor_clear (&a->t);
}

void
yv7_graph_free (yv7_graph *g)
{
  for (int i = 0; i < g->n_nodes; i++) {
    yv7_node *n = &g->nodes[i];
    for (int k = 0; k < n->n_attrs; k++)
      attr_free (&n->attrs[k]);
    free (n->attrs);
    free (n->inputs);
    free (n->outputs);
    free (n->op_type);
    free (n->name);
  }
  for (int i = 0; i < g->n_values; i++) {
    free (g->values[i].name);
    yv7_tensor_clear (&g->values[i].t);
  }
  free (g->nodes);
  free (g->values);
  free (g->inputs);
  free (g->outputs);
  free (g->hash);
  memset (g, 0, sizeof *g);
}

static uint32_t
hash_str (const char *s)
{
  uint32_t h = 2166136261u;
  for (; *s; s++)
    h = (h ^ (uint8_t) *s) * 16777619u;
  return h;
}

int
yv7_graph_find (const yv7_graph *g, const char *name)
{
  if (!g->hash_size)
    return -1;
  for (uint32_t i = hash_str (name) & (g->hash_size - 1);; i = (i + 1) & (g->hash_size - 1)) {
    int v = g->hash[i];
    if (v < 0)
      return -1;
    if (strcmp (g->values[v].name, name) == 0)
      return v;
  }
}

static bool
rehash (yv7_graph *g, uint32_t size)
{
  int *h = malloc (sizeof (int) * size);
  if (!h)
    return false;
  for (uint32_t i = 0; i < size; i++)
    h[i] = -1;
  for (int v = 0; v < g->n_values; v++) {
    uint32_t i = hash_str (g->values[v].name) & (size - 1);
    while (h[i] >= 0)
      i = (i + 1) & (size - 1);
    h[i] = v;
  }
  free (g->hash);
  g->hash = h;
  g->hash_size = size;
  return true;
}

int
yv7_graph_add_value (yv7_graph *g, const char *name, yv7_error *err)
{
  yv7_value *v;

  if (g->n_values == g->cap_values) {
    int cap = g->cap_values ? g->cap_values * 2 : 64;
    yv7_value *nv;
    if (cap > (1 << 24)) {
      yv7_set_error (err, YV7_E_PARSE, "too many tensors in the graph");
      return -1;
    }
    nv = realloc (g->values, sizeof (yv7_value) * (size_t) cap);
    if (!nv)
      goto oom;
    g->values = nv;
    g->cap_values = cap;
  }
  if ((uint32_t) (g->n_values + 1) * 2 > g->hash_size
      && !rehash (g, g->hash_size ? g->hash_size * 2 : 128))
    goto oom;
  v = &g->values[g->n_values];
  memset (v, 0, sizeof *v);
  v->name = strdup (name);
  if (!v->name)
    goto oom;
  v->producer = -1;
  v->alias_of = -1;
  v->dev_offset = -1;
  g->n_values++;
  {
    uint32_t i = hash_str (name) & (g->hash_size - 1);
    while (g->hash[i] >= 0)
      i = (i + 1) & (g->hash_size - 1);
    g->hash[i] = g->n_values - 1;
  }
  return g->n_values - 1;

  /* ERRORS */
oom:
  yv7_set_error (err, YV7_E_NOMEM, "out of memory building the graph");
  return -1;
}

yv7_node *
yv7_graph_add_node (yv7_graph *g, yv7_error *err)
{
  if (g->n_nodes == g->cap_nodes) {
    int cap = g->cap_nodes ? g->cap_nodes * 2 : 64;
    yv7_node *nn;
    if (cap > (1 << 24)) {
      yv7_set_error (err, YV7_E_PARSE, "too many nodes in the graph");
      return NULL;
    }
    nn = realloc (g->nodes, sizeof (yv7_node) * (size_t) cap);
    if (!nn) {
      yv7_set_error (err, YV7_E_NOMEM, "out of memory building the graph");
      return NULL;
    }
    g->nodes = nn;
    g->cap_nodes = cap;
  }
  memset (&g->nodes[g->n_nodes], 0, sizeof (yv7_node));
  return &g->nodes[g->n_nodes++];
}
