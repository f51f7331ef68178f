/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* relu.c: Relu, y = max(x, 0). */
#include "ops-common.h"

static const char *const relu_attrs[] = { NULL };
static const yv7_dtype relu_types[] = {
  YV7_DT_FLOAT, YV7_DT_DOUBLE, YV7_DT_INT8, YV7_DT_INT32, YV7_DT_INT64,
  YV7_DT_UNDEFINED
};

static yv7_status
relu_infer (const yv7_node *n, const yv7_tensor *const *in,
    yv7_tensor *const *out, yv7_error *err)
{
  yv7_status s = yv7_op_input (n, in, 0, err);
  if (s == YV7_OK)
    s = yv7_op_dtype (n, in[0], 0, relu_types, err);
  if (s == YV7_OK)
    yv7_op_set_shape (out[0], in[0]->dtype, in[0]->rank, in[0]->dims);
  return s;
}

#define RELU_LOOP(T, zero) do { \
    const T *x = in[0]->data; \
    T *y = out[0]->data; \
    for (int64_t i = 0; i < numel; i++) \
      y[i] = x[i] > (zero) ? x[i] : (zero); \
  } while (0)

static yv7_status
relu_run (const yv7_node *n, const yv7_tensor *const *in,
    yv7_tensor *const *out, yv7_error *err)
{
  yv7_status s = relu_infer (n, in, out, err);
  int64_t numel;

  if (s != YV7_OK || !out[0]
      || (s = yv7_op_alloc_outputs (n, out, err)) != YV7_OK)
    return s;
  numel = yv7_tensor_numel (in[0]);
  switch (in[0]->dtype) {
    case YV7_DT_FLOAT: RELU_LOOP (float, 0.0f); break;
    case YV7_DT_DOUBLE: RELU_LOOP (double, 0.0); break;
    case YV7_DT_INT8: RELU_LOOP (int8_t, 0); break;
    case YV7_DT_INT32: RELU_LOOP (int32_t, 0); break;
    default: RELU_LOOP (int64_t, 0); break;
  }
  return YV7_OK;
}

const yv7_op_def yv7_op_relu = {
  .name = "Relu",
  .attrs = relu_attrs,
  .min_inputs = 1, .max_inputs = 1,
  .min_outputs = 1, .max_outputs = 1,
  .infer = relu_infer,
  .run = relu_run,
};
