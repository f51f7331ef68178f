/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* unsqueeze.c: Unsqueeze; axes (of the output) from the attribute
 * (opset < 13) or the input (opset 13+). */
#include "ops-common.h"

#include <string.h>

static const char *const unsqueeze_attrs[] = { "axes", NULL };

static yv7_status
unsqueeze_check (const yv7_node *n, yv7_error *err)
{
  yv7_status s = yv7_op_attr_type (n, "axes", YV7_ATTR_INTS, err);
  if (s != YV7_OK)
    return s;
  if (n->opset >= 13) {
    if ((s = yv7_op_attr_absent (n, "axes", "axes is an input since opset 13", err)) != YV7_OK)
      return s;
  } else {
    const int64_t *v;
    if (n->n_inputs > 1)
      return yv7_op_error (n, err, YV7_E_PARSE,
          "the axes input needs opset 13 or later (model has opset %d)", n->opset);
    if (!yv7_node_attr (n, "axes") || yv7_attr_ints (n, "axes", &v) == 0)
      return yv7_op_error (n, err, YV7_E_PARSE, "attribute axes is required");
  }
  return YV7_OK;
}

static yv7_status
unsqueeze_infer (const yv7_node *n, const yv7_tensor *const *in,
    yv7_tensor *const *out, yv7_error *err)
{
  int64_t axes[YV7_MAX_RANK], dims[YV7_MAX_RANK];
  int na = 0, rank, j = 0;
  unsigned mask = 0;
  yv7_status s = yv7_op_input (n, in, 0, err);

  if (s != YV7_OK)
    return s;
  if (n->opset >= 13 && !yv7_op_in (in, 1, n))
    return yv7_op_error (n, err, YV7_E_PARSE, "input axes is required");
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
  rank = in[0]->rank + na;
  if (rank > YV7_MAX_RANK)
    return yv7_op_error (n, err, YV7_E_UNSUPPORTED,
        "output rank %d is not supported (at most %d)", rank, YV7_MAX_RANK);
  if ((s = yv7_op_axes (n, axes, na, rank, "axes", &mask, err)) != YV7_OK)
    return s;
  for (int i = 0; i < rank; i++)
    dims[i] = (mask >> i) & 1 ? 1 : in[0]->dims[j++];
  yv7_op_set_shape (out[0], in[0]->dtype, rank, dims);
  return YV7_OK;
}

static yv7_status
unsqueeze_run (const yv7_node *n, const yv7_tensor *const *in,
    yv7_tensor *const *out, yv7_error *err)
{
  return yv7_op_run_same_data (unsqueeze_infer, n, in, out, err);
}

const yv7_op_def yv7_op_unsqueeze = {
  .name = "Unsqueeze",
  .attrs = unsqueeze_attrs,
  .min_inputs = 1, .max_inputs = 2,
  .min_outputs = 1, .max_outputs = 1,
  .check = unsqueeze_check,
  .infer = unsqueeze_infer,
  .run = unsqueeze_run,
};
