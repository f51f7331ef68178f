/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* shape.c: Shape (opset 15 start/end, clamped), an int64 1-D output.
 * run() reads only the input's shape, never its data. */
#include "ops-common.h"

static const char *const shape_attrs[] = { "end", "start", NULL };

static yv7_status
shape_check (const yv7_node *n, yv7_error *err)
{
  yv7_status s;

  if ((s = yv7_op_attr_type (n, "start", YV7_ATTR_INT, err)) != YV7_OK
      || (s = yv7_op_attr_type (n, "end", YV7_ATTR_INT, err)) != YV7_OK)
    return s;
  if (n->opset < 15
      && ((s = yv7_op_attr_absent (n, "start", "added in opset 15", err)) != YV7_OK
          || (s = yv7_op_attr_absent (n, "end", "added in opset 15", err)) != YV7_OK))
    return s;
  return YV7_OK;
}

static int64_t
shape_clamp (int64_t v, int rank)
{
  if (v < 0)
    v = v < -(int64_t) rank ? 0 : v + rank;
  return v > rank ? rank : v;
}

static yv7_status
shape_range (const yv7_node *n, const yv7_tensor *const *in, int64_t *start,
    int64_t *end, yv7_error *err)
{
  const yv7_tensor *x = yv7_op_in (in, 0, n);
  int r;

  if (!x)
    return yv7_op_error (n, err, YV7_E_PARSE, "input 0 is required");
  if (x->rank < 0 || x->rank > YV7_MAX_RANK)
    return yv7_op_error (n, err, YV7_E_UNSUPPORTED, "input rank %d is invalid",
        x->rank);
  r = x->rank;
  *start = shape_clamp (yv7_attr_int (n, "start", 0), r);
  *end = yv7_node_attr (n, "end") ? shape_clamp (yv7_attr_int (n, "end", r), r) : r;
  if (*end < *start)
    *end = *start;
  return YV7_OK;
}

static yv7_status
shape_infer (const yv7_node *n, const yv7_tensor *const *in,
    yv7_tensor *const *out, yv7_error *err)
{
  int64_t start = 0, end = 0, len;   /* set by shape_range (GCC -O3 cannot see it) */
  yv7_status s = shape_range (n, in, &start, &end, err);

  if (s != YV7_OK)
    return s;
  len = end - start;
  yv7_op_set_shape (out[0], YV7_DT_INT64, 1, &len);
  return YV7_OK;
}

static yv7_status
shape_run (const yv7_node *n, const yv7_tensor *const *in,
    yv7_tensor *const *out, yv7_error *err)
{
  int64_t start = 0, end = 0, *y;
  yv7_status s;

  if ((s = shape_infer (n, in, out, err)) != YV7_OK || !out[0])
    return s;
  shape_range (n, in, &start, &end, NULL);
  for (int64_t i = start; i < end; i++)
    if (in[0]->dims[i] < 0)
      return yv7_op_error (n, err, YV7_E_SHAPE,
          "dim %lld of the input is not known", (long long) i);
  if ((s = yv7_op_alloc_outputs (n, out, err)) != YV7_OK)
    return s;
  y = out[0]->data;
  for (int64_t i = start; i < end; i++)
    y[i - start] = in[0]->dims[i];
  return YV7_OK;
}

const yv7_op_def yv7_op_shape = {
  .name = "Shape",
  .attrs = shape_attrs,
  .min_inputs = 1, .max_inputs = 1,
  .min_outputs = 1, .max_outputs = 1,
  .check = shape_check,
  .infer = shape_infer,
  .run = shape_run,
};
