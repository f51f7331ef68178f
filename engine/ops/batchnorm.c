/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* batchnorm.c: BatchNormalization, inference form only:
 * y = (x - mean) / sqrt(var + epsilon) * scale + bias, per channel (dim 1). */
#include "ops-common.h"

#include <math.h>

static const char *const batch_normalization_attrs[] = {
  "epsilon", "momentum", "training_mode", NULL
};

static yv7_status
batch_normalization_check (const yv7_node *n, yv7_error *err)
{
  yv7_status s;
  int64_t tm;

  if ((s = yv7_op_attr_type (n, "epsilon", YV7_ATTR_FLOAT, err)) != YV7_OK
      || (s = yv7_op_attr_type (n, "momentum", YV7_ATTR_FLOAT, err)) != YV7_OK
      || (s = yv7_op_attr_type (n, "training_mode", YV7_ATTR_INT, err)) != YV7_OK)
    return s;
  tm = yv7_attr_int (n, "training_mode", 0);
  if (tm != 0)
    return yv7_op_error (n, err, YV7_E_UNSUPPORTED,
        "attribute training_mode=%lld is not supported (only inference, 0)",
        (long long) tm);
  /* Before opset 14 the statistics outputs alone select training. */
  for (int i = 1; i < n->n_outputs; i++)
    if (n->outputs[i] >= 0)
      return yv7_op_error (n, err, YV7_E_UNSUPPORTED,
          "output %d (training statistics) is not supported", i);
  return YV7_OK;
}

static yv7_status
batch_normalization_infer (const yv7_node *n, const yv7_tensor *const *in,
    yv7_tensor *const *out, yv7_error *err)
{
  static const char *const names[] = { "X", "scale", "B", "input_mean", "input_var" };
  char b1[160];
  yv7_status s;

  for (int i = 0; i < 5; i++) {
    if ((s = yv7_op_input (n, in, i, err)) != YV7_OK)
      return s;
    if (in[i]->dtype != YV7_DT_FLOAT)
      return yv7_op_error (n, err, YV7_E_UNSUPPORTED,
          "input %s has data type %s (only float32 is supported)", names[i],
          yv7_dtype_name (in[i]->dtype));
  }
  if (in[0]->rank < 2)
    return yv7_op_error (n, err, YV7_E_SHAPE, "input X must have rank >= 2");
  for (int i = 1; i < 5; i++)
    if (in[i]->rank != 1 || in[i]->dims[0] != in[0]->dims[1])
      return yv7_op_error (n, err, YV7_E_SHAPE,
          "input %s shape %s does not match %lld channels", names[i],
          yv7_shape_str (in[i]->rank, in[i]->dims, b1, sizeof b1),
          (long long) in[0]->dims[1]);
  for (int i = 1; i < n->n_outputs; i++)
    if (out[i])
      return yv7_op_error (n, err, YV7_E_UNSUPPORTED,
          "output %d (training statistics) is not supported", i);
  yv7_op_set_shape (out[0], YV7_DT_FLOAT, in[0]->rank, in[0]->dims);
  return YV7_OK;
}

static yv7_status
batch_normalization_run (const yv7_node *n, const yv7_tensor *const *in,
    yv7_tensor *const *out, yv7_error *err)
{
  float eps = yv7_attr_float (n, "epsilon", 1e-5f);
  const float *x, *sc, *b, *mean, *var;
  float *y;
  int64_t batch, ch, inner = 1;
  yv7_status s = batch_normalization_infer (n, in, out, err);

  if (s != YV7_OK || !out[0])
    return s;
  if ((s = yv7_op_alloc_outputs (n, out, err)) != YV7_OK)
    return s;
  x = in[0]->data;
  sc = in[1]->data;
  b = in[2]->data;
  mean = in[3]->data;
  var = in[4]->data;
  y = out[0]->data;
  batch = in[0]->dims[0];
  ch = in[0]->dims[1];
  for (int i = 2; i < in[0]->rank; i++)
    inner *= in[0]->dims[i];
  for (int64_t nb = 0; nb < batch; nb++)
    for (int64_t c = 0; c < ch; c++) {
      float m = mean[c], d = sqrtf (var[c] + eps), g = sc[c], bb = b[c];
      const float *xp = x + (nb * ch + c) * inner;
      float *yp = y + (nb * ch + c) * inner;
      for (int64_t i = 0; i < inner; i++)
        yp[i] = (xp[i] - m) / d * g + bb;
    }
  return YV7_OK;
}

const yv7_op_def yv7_op_batch_normalization = {
  .name = "BatchNormalization",
  .attrs = batch_normalization_attrs,
  .min_inputs = 5, .max_inputs = 5,
  .min_outputs = 1, .max_outputs = 5,
  .check = batch_normalization_check,
  .infer = batch_normalization_infer,
  .run = batch_normalization_run,
};
