/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* op.h: the host reference op interface.  One file per op in engine/ops/,
 * found through the name table in engine/ops/registry.c. */
#ifndef YV7_OP_H
#define YV7_OP_H

#include "graph.h"

/* Input tensors arrive as in[i] (NULL for an omitted optional input); output
 * tensors as out[i] (NULL for an omitted optional output). */
typedef struct yv7_op_def {
  const char *name;
  /* NULL-terminated names of the attributes the op accepts; any other
   * attribute fails the load, naming op, node and attribute. */
  const char *const *attrs;
  int min_inputs, max_inputs;
  int min_outputs, max_outputs;
  /* Validate attribute values at load (e.g. Resize mode "linear" is refused
   * with a message naming the attribute).  May be NULL. */
  yv7_status (*check) (const yv7_node *n, yv7_error *err);
  /* Set each output's dtype and shape (data untouched).  Input data is
   * available (non-NULL) only for values known at load; when an output shape
   * depends on unknown data, return YV7_E_DYNAMIC without setting an error. */
  yv7_status (*infer) (const yv7_node *n, const yv7_tensor *const *in,
      yv7_tensor *const *out, yv7_error *err);
  /* Compute on the host: every present input has data; the op sets each
   * output's dtype/shape and allocates it with yv7_tensor_alloc(). */
  yv7_status (*run) (const yv7_node *n, const yv7_tensor *const *in,
      yv7_tensor *const *out, yv7_error *err);
} yv7_op_def;

/* NULL when the op is not supported. */
const yv7_op_def *yv7_op_lookup (const char *op_type);

/* Normalise an axis in [-rank, rank) to [0, rank); false if out of range. */
bool yv7_norm_axis (int64_t axis, int rank, int *out);

/* Numpy-style broadcast of two shapes; false if incompatible. */
bool yv7_broadcast_shape (const yv7_tensor *a, const yv7_tensor *b,
    int *rank, int64_t *dims);

#endif
