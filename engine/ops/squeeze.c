/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* squeeze.c: Squeeze; axes from the attribute (opset < 13) or the optional
 * input (opset 13+); without axes every dim of size 1 goes. */
#include "ops-common.h"

#include <string.h>

static const char *const squeeze_attrs[] = { "axes", NULL };

static yv7_status
squeeze_check (const yv7_node *n, yv7_error *err)
{
  yv7_status s = yv7_op_attr_type (n, "axes", YV7_ATTR_INTS, err);
  if (s == YV7_OK && n->opset >= 13)
    s = yv7_op_attr_absent (n, "axes", "axes is an input since opset 13", err);
  if (s == YV7_OK && n->opset < 13 && n->n_inputs > 1)
    return yv7_op_error (n, err, YV7_E_PARSE,
        "the axes input needs opset 13 or later (model has opset %d)", n->opset);
  return s;
}

static yv7_status
squeeze_infer (const yv7_node *n, const yv7_tensor *const *in,
    yv7_tensor *const *out, yv7_error *err)
{
  int64_t axes[YV7_MAX_RANK], dims[YV7_MAX_RANK];
  int na = 0, rank = 0;
  unsigned mask = 0;
  yv7_status s = yv7_op_input (n, in, 0, err);

  if (s != YV7_OK)
    return s;
  if (n->opset < 13 && yv7_op_in (in, 1, n))
    return yv7_op_error (n, err, YV7_E_PARSE,
        "the axes input needs opset 13 or later (model has opset %d)", n->opset);
  if (yv7_op_in (in, 1, n)) {
    if ((s = yv7_op_input (n, in, 1, err)) != YV7_OK
        || (s = yv7_op_read_ints (n, in[1], "axes", axes, YV7_MAX_RANK, &na, err)) != YV7_OK)
      return s;
  } else {
    const int64_t *v;
    size_t cnt = yv7_attr_ints (n, "axes", &v);
    if (cnt > YV7_MAX_RANK)
      return yv7_op_error (n, err, YV7_E_SHAPE, "too many axes (%zu)", cnt);
    na = (int) cnt;
    if (na)
      memcpy (axes, v, sizeof (int64_t) * (size_t) na);
  }
  if ((s = yv7_op_axes (n, axes, na, in[0]->rank, "axes", &mask, err)) != YV7_OK)
    return s;
  for (int i = 0; i < in[0]->rank; i++) {
    if (na == 0 ? in[0]->dims[i] == 1 : (mask >> i) & 1) {
      if (in[0]->dims[i] != 1)
        return yv7_op_error (n, err, YV7_E_SHAPE,
            "axis %d has size %lld, not 1", i, (long long) in[0]->dims[i]);
      continue;
    }
    dims[rank++] = in[0]->dims[i];
  }
  yv7_op_set_shape (out[0], in[0]->dtype, rank, dims);
  return YV7_OK;
}

static yv7_status
squeeze_run (const yv7_node *n, const yv7_tensor *const *in,
    yv7_tensor *const *out, yv7_error *err)
{
  return yv7_op_run_same_data (squeeze_infer, n, in, out, err);
}

const yv7_op_def yv7_op_squeeze = {
  .name = "Squeeze",
  .attrs = squeeze_attrs,
  .min_inputs = 1, .max_inputs = 2,
  .min_outputs = 1, .max_outputs = 1,
  .check = squeeze_check,
  .infer = squeeze_infer,
  .run = squeeze_run,
};
