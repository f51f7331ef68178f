/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* argmax.c: ArgMax along one axis (keepdims, select_last_index); the
 * output is int64. */
#include "ops-common.h"

static const char *const arg_max_attrs[] = {
  "axis", "keepdims", "select_last_index", NULL
};
static const yv7_dtype arg_max_types[] = {
  YV7_DT_FLOAT, YV7_DT_DOUBLE, YV7_DT_INT32, YV7_DT_INT64, YV7_DT_UINT8,
  YV7_DT_INT8, YV7_DT_UNDEFINED
};

static yv7_status
arg_max_check (const yv7_node *n, yv7_error *err)
{
  yv7_status s;

  if ((s = yv7_op_attr_type (n, "axis", YV7_ATTR_INT, err)) != YV7_OK
      || (s = yv7_op_attr_type (n, "keepdims", YV7_ATTR_INT, err)) != YV7_OK
      || (s = yv7_op_attr_type (n, "select_last_index", YV7_ATTR_INT, err)) != YV7_OK)
    return s;
  if (n->opset < 12)
    return yv7_op_attr_absent (n, "select_last_index", "added in opset 12", err);
  return YV7_OK;
}

static yv7_status
arg_max_shape (const yv7_node *n, const yv7_tensor *const *in, int *axis,
    int *rank, int64_t *dims, yv7_error *err)
{
  bool keep = yv7_attr_int (n, "keepdims", 1) != 0;
  yv7_status s;

  if ((s = yv7_op_input (n, in, 0, err)) != YV7_OK
      || (s = yv7_op_dtype (n, in[0], 0, arg_max_types, err)) != YV7_OK)
    return s;
  if (!yv7_norm_axis (yv7_attr_int (n, "axis", 0), in[0]->rank, axis))
    return yv7_op_error (n, err, YV7_E_SHAPE,
        "attribute axis=%lld is out of range for rank %d",
        (long long) yv7_attr_int (n, "axis", 0), in[0]->rank);
  if (in[0]->dims[*axis] == 0)
    return yv7_op_error (n, err, YV7_E_SHAPE, "axis %d is empty", *axis);
  *rank = 0;
  for (int i = 0; i < in[0]->rank; i++) {
    if (i != *axis)
      dims[(*rank)++] = in[0]->dims[i];
    else if (keep)
      dims[(*rank)++] = 1;
  }
  return YV7_OK;
}

static yv7_status
arg_max_infer (const yv7_node *n, const yv7_tensor *const *in,
    yv7_tensor *const *out, yv7_error *err)
{
  int axis = 0, rank = 0;   /* set by arg_max_shape; GCC -O3 cannot see it */
  int64_t dims[YV7_MAX_RANK];
  yv7_status s = arg_max_shape (n, in, &axis, &rank, dims, err);

  if (s == YV7_OK)
    yv7_op_set_shape (out[0], YV7_DT_INT64, rank, dims);
  return s;
}

#define ARG_MAX_LOOP(T) do { \
    const T *x = in[0]->data; \
    for (int64_t o = 0; o < outer; o++) \
      for (int64_t j = 0; j < inner; j++) { \
        const T *p = x + o * dim * inner + j; \
        T best = p[0]; \
        int64_t bi = 0; \
        for (int64_t k = 1; k < dim; k++) { \
          T v = p[k * inner]; \
          if (last ? v >= best : v > best) { \
            best = v; \
            bi = k; \
          } \
        } \
        y[o * inner + j] = bi; \
      } \
  } while (0)

static yv7_status
arg_max_run (const yv7_node *n, const yv7_tensor *const *in,
    yv7_tensor *const *out, yv7_error *err)
{
  int axis = 0, rank = 0;   /* set by arg_max_shape; GCC -O3 cannot see it */
  int64_t dims[YV7_MAX_RANK], outer = 1, inner = 1, dim, *y;
  bool last = yv7_attr_int (n, "select_last_index", 0) != 0;
  yv7_status s = arg_max_shape (n, in, &axis, &rank, dims, err);

  if (s != YV7_OK || !out[0])
    return s;
  yv7_op_set_shape (out[0], YV7_DT_INT64, rank, dims);
  if ((s = yv7_op_alloc_outputs (n, out, err)) != YV7_OK)
    return s;
  for (int i = 0; i < axis; i++)
    outer *= in[0]->dims[i];
  for (int i = axis + 1; i < in[0]->rank; i++)
    inner *= in[0]->dims[i];
  dim = in[0]->dims[axis];
  y = out[0]->data;
  switch (in[0]->dtype) {
    case YV7_DT_FLOAT: ARG_MAX_LOOP (float); break;
    case YV7_DT_DOUBLE: ARG_MAX_LOOP (double); break;
    case YV7_DT_INT32: ARG_MAX_LOOP (int32_t); break;
    case YV7_DT_INT64: ARG_MAX_LOOP (int64_t); break;
    case YV7_DT_UINT8: ARG_MAX_LOOP (uint8_t); break;
    default: ARG_MAX_LOOP (int8_t); break;
  }
  return YV7_OK;
}

const yv7_op_def yv7_op_arg_max = {
  .name = "ArgMax",
  .attrs = arg_max_attrs,
  .min_inputs = 1, .max_inputs = 1,
  .min_outputs = 1, .max_outputs = 1,
  .check = arg_max_check,
  .infer = arg_max_infer,
  .run = arg_max_run,
};
