/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* graph.h: the engine's graph IR, built by the ONNX loader. */
#ifndef YV7_GRAPH_H
#define YV7_GRAPH_H

#include "tensor.h"

/* Attribute types: the values of ONNX AttributeProto.AttributeType. */
typedef enum {
  YV7_ATTR_UNDEFINED = 0,
  YV7_ATTR_FLOAT = 1, YV7_ATTR_INT = 2, YV7_ATTR_STRING = 3, YV7_ATTR_TENSOR = 4,
  YV7_ATTR_GRAPH = 5, YV7_ATTR_FLOATS = 6, YV7_ATTR_INTS = 7, YV7_ATTR_STRINGS = 8,
  YV7_ATTR_TENSORS = 9, YV7_ATTR_GRAPHS = 10
} yv7_attr_type;

typedef struct {
  char *name;
  yv7_attr_type type;
  float f;
  int64_t i;
  char *s;               /* NUL-terminated copy of a STRING attribute */
  float *floats;         /* FLOATS */
  int64_t *ints;         /* INTS */
  size_t n;              /* count of floats or ints */
  yv7_tensor t;          /* TENSOR */
} yv7_attr;

struct yv7_op_def;

typedef struct {
  char *op_type;
  char *name;            /* node name, or "<op_type>#<index>" when unnamed */
  int opset;             /* the model's default-domain opset version */
  int *inputs;           /* value indices; -1 for an omitted optional input */
  int n_inputs;
  int *outputs;          /* value indices; -1 for an omitted optional output */
  int n_outputs;
  yv7_attr *attrs;
  int n_attrs;
  const struct yv7_op_def *def;
  /* Set by passes: a fused activation folded into this node (Conv). */
  int fused_act;         /* YV7_ACT_* */
  float fused_alpha;
  bool dead;             /* removed by a pass */
  bool on_host;          /* planned to run on the host */
} yv7_node;

/* The op type of a --grid head decode fused by a pass (not an ONNX op;
 * fused_alpha holds its xy scale). */
#define YV7_OP_GRID_DECODE "yv7.GridDecode"

enum { YV7_ACT_NONE = 0, YV7_ACT_LEAKY, YV7_ACT_SILU, YV7_ACT_SIGMOID };

typedef struct {
  char *name;
  yv7_tensor t;          /* dtype, shape; data when constant */
  bool is_const;         /* data known at load (initializer, Constant, folded) */
  bool is_input;         /* a graph input fed at run time */
  bool is_output;
  bool dynamic;          /* shape known only at run time */
  int producer;          /* node index or -1 */
  int n_consumers;
  /* planning (device) */
  int last_use;          /* last node index reading it; INT32_MAX for outputs */
  int alias_of;          /* value index whose storage this one shares, or -1 */
  int64_t dev_offset;    /* element offset in its device arena, -1 if none */
  bool on_device;
} yv7_value;

typedef struct {
  yv7_value *values;
  int n_values, cap_values;
  yv7_node *nodes;
  int n_nodes, cap_nodes;
  int *inputs;  int n_inputs;    /* runtime graph inputs (not initializers) */
  int *outputs; int n_outputs;
  int opset;
  int *hash;                     /* open-addressing name -> value index */
  uint32_t hash_size;
} yv7_graph;

/* Value index by name, or -1. */
int yv7_graph_find (const yv7_graph *g, const char *name);
/* Append a value; returns its index, or -1 with err set. */
int yv7_graph_add_value (yv7_graph *g, const char *name, yv7_error *err);
/* Append a zeroed node; NULL with err set. */
yv7_node *yv7_graph_add_node (yv7_graph *g, yv7_error *err);

/* Attribute lookup: NULL when absent. */
const yv7_attr *yv7_node_attr (const yv7_node *n, const char *name);
int64_t yv7_attr_int (const yv7_node *n, const char *name, int64_t def);
float yv7_attr_float (const yv7_node *n, const char *name, float def);
/* Returns def when absent; the string is owned by the node. */
const char *yv7_attr_string (const yv7_node *n, const char *name, const char *def);
/* INTS attribute: returns count (0 when absent) and sets *ints. */
size_t yv7_attr_ints (const yv7_node *n, const char *name, const int64_t **ints);

void yv7_graph_free (yv7_graph *g);

#endif
