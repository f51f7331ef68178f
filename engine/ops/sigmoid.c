/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* sigmoid.c: Sigmoid, y = 1 / (1 + exp(-x)). */
#include "ops-common.h"

#include <math.h>

static const char *const sigmoid_attrs[] = { NULL };
static const yv7_dtype sigmoid_types[] = {
  YV7_DT_FLOAT, YV7_DT_DOUBLE, YV7_DT_UNDEFINED
};

static yv7_status
sigmoid_infer (const yv7_node *n, const yv7_tensor *const *in,
    yv7_tensor *const *out, yv7_error *err)
{
  yv7_status s = yv7_op_input (n, in, 0, err);
  if (s == YV7_OK)
    s = yv7_op_dtype (n, in[0], 0, sigmoid_types, err);
  if (s == YV7_OK)
    yv7_op_set_shape (out[0], in[0]->dtype, in[0]->rank, in[0]->dims);
  return s;
}

static yv7_status
sigmoid_run (const yv7_node *n, const yv7_tensor *const *in,
    yv7_tensor *const *out, yv7_error *err)
{
  yv7_status s = sigmoid_infer (n, in, out, err);
  int64_t numel;

  if (s != YV7_OK || !out[0]
      || (s = yv7_op_alloc_outputs (n, out, err)) != YV7_OK)
    return s;
  numel = yv7_tensor_numel (in[0]);
  if (in[0]->dtype == YV7_DT_FLOAT) {
    const float *x = in[0]->data;
    float *y = out[0]->data;
    for (int64_t i = 0; i < numel; i++)
      y[i] = 1.0f / (1.0f + expf (-x[i]));
  } else {
    const double *x = in[0]->data;
    double *y = out[0]->data;
    for (int64_t i = 0; i < numel; i++)
      y[i] = 1.0 / (1.0 + exp (-x[i]));
  }
  return YV7_OK;
}

const yv7_op_def yv7_op_sigmoid = {
  .name = "Sigmoid",
  .attrs = sigmoid_attrs,
  .min_inputs = 1, .max_inputs = 1,
  .min_outputs = 1, .max_outputs = 1,
  .infer = sigmoid_infer,
  .run = sigmoid_run,
};
