/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* leakyrelu.c: LeakyRelu, y = x >= 0 ? x : alpha * x. */
#include "ops-common.h"

static const char *const leaky_relu_attrs[] = { "alpha", NULL };
static const yv7_dtype leaky_relu_types[] = {
  YV7_DT_FLOAT, YV7_DT_DOUBLE, YV7_DT_UNDEFINED
};

static yv7_status
leaky_relu_check (const yv7_node *n, yv7_error *err)
{
  return yv7_op_attr_type (n, "alpha", YV7_ATTR_FLOAT, err);
}

static yv7_status
leaky_relu_infer (const yv7_node *n, const yv7_tensor *const *in,
    yv7_tensor *const *out, yv7_error *err)
{
  yv7_status s = yv7_op_input (n, in, 0, err);
  if (s == YV7_OK)
    s = yv7_op_dtype (n, in[0], 0, leaky_relu_types, err);
  if (s == YV7_OK)
    yv7_op_set_shape (out[0], in[0]->dtype, in[0]->rank, in[0]->dims);
  return s;
}

static yv7_status
leaky_relu_run (const yv7_node *n, const yv7_tensor *const *in,
    yv7_tensor *const *out, yv7_error *err)
{
  float alpha = yv7_attr_float (n, "alpha", 0.01f);
  yv7_status s = leaky_relu_infer (n, in, out, err);
  int64_t numel;

  if (s != YV7_OK || !out[0]
      || (s = yv7_op_alloc_outputs (n, out, err)) != YV7_OK)
    return s;
  numel = yv7_tensor_numel (in[0]);
  if (in[0]->dtype == YV7_DT_FLOAT) {
    const float *x = in[0]->data;
    float *y = out[0]->data;
    for (int64_t i = 0; i < numel; i++)
      y[i] = x[i] >= 0.0f ? x[i] : x[i] * alpha;
  } else {
    const double *x = in[0]->data;
    double *y = out[0]->data;
    for (int64_t i = 0; i < numel; i++)
      y[i] = x[i] >= 0.0 ? x[i] : x[i] * (double) alpha;
  }
  return YV7_OK;
}

const yv7_op_def yv7_op_leaky_relu = {
  .name = "LeakyRelu",
  .attrs = leaky_relu_attrs,
  .min_inputs = 1, .max_inputs = 1,
  .min_outputs = 1, .max_outputs = 1,
  .check = leaky_relu_check,
  .infer = leaky_relu_infer,
  .run = leaky_relu_run,
};
