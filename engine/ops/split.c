/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* split.c: Split along one axis.  The part sizes come from the `split`
 * attribute (opset < 13), the `split` input (opset 13+), or are equal
 * (num_outputs in opset 18: the last part may be smaller). */
#include "ops-common.h"

#include <stdlib.h>
#include <string.h>

static const char *const split_attrs[] = { "axis", "num_outputs", "split", NULL };

static yv7_status
split_check (const yv7_node *n, yv7_error *err)
{
  yv7_status s;

  if ((s = yv7_op_attr_type (n, "axis", YV7_ATTR_INT, err)) != YV7_OK
      || (s = yv7_op_attr_type (n, "split", YV7_ATTR_INTS, err)) != YV7_OK
      || (s = yv7_op_attr_type (n, "num_outputs", YV7_ATTR_INT, err)) != YV7_OK)
    return s;
  if (n->opset >= 13
      && (s = yv7_op_attr_absent (n, "split", "split is an input since opset 13",
              err)) != YV7_OK)
    return s;
  if (n->opset < 13 && n->n_inputs > 1)
    return yv7_op_error (n, err, YV7_E_PARSE,
        "the split input needs opset 13 or later (model has opset %d)", n->opset);
  if (n->opset < 18
      && (s = yv7_op_attr_absent (n, "num_outputs", "added in opset 18",
              err)) != YV7_OK)
    return s;
  if (yv7_node_attr (n, "num_outputs")) {
    int64_t k = yv7_attr_int (n, "num_outputs", 0);
    if (n->n_outputs && k != n->n_outputs)
      return yv7_op_error (n, err, YV7_E_PARSE,
          "attribute num_outputs=%lld does not match the node's %d outputs",
          (long long) k, n->n_outputs);
    if (n->n_inputs > 1 && n->inputs[1] >= 0)
      return yv7_op_error (n, err, YV7_E_PARSE,
          "attribute num_outputs and the split input are exclusive");
  }
  return YV7_OK;
}

/* Part sizes into parts[n->n_outputs]; the axis into *axis. */
static yv7_status
split_parts (const yv7_node *n, const yv7_tensor *const *in, int64_t *parts,
    int *axis, yv7_error *err)
{
  const yv7_tensor *x = in[0], *st = yv7_op_in (in, 1, n);
  int k = n->n_outputs;
  int64_t dim, sum = 0;
  yv7_status s;

  if ((s = yv7_op_input (n, in, 0, err)) != YV7_OK)
    return s;
  if (n->opset < 13 && st)
    return yv7_op_error (n, err, YV7_E_PARSE,
        "the split input needs opset 13 or later (model has opset %d)", n->opset);
  if (yv7_node_attr (n, "num_outputs")
      && yv7_attr_int (n, "num_outputs", 0) != n->n_outputs)
    return yv7_op_error (n, err, YV7_E_PARSE,
        "attribute num_outputs=%lld does not match the node's %d outputs",
        (long long) yv7_attr_int (n, "num_outputs", 0), n->n_outputs);
  if (!yv7_norm_axis (yv7_attr_int (n, "axis", 0), x->rank, axis))
    return yv7_op_error (n, err, YV7_E_SHAPE,
        "attribute axis=%lld is out of range for rank %d",
        (long long) yv7_attr_int (n, "axis", 0), x->rank);
  dim = x->dims[*axis];
  if (st || yv7_node_attr (n, "split")) {
    if (st) {
      int64_t numel;
      int cnt = 0;
      if ((s = yv7_op_input (n, in, 1, err)) != YV7_OK)
        return s;
      if (!yv7_shape_numel (st->rank, st->dims, &numel) || numel != k)
        return yv7_op_error (n, err, YV7_E_SHAPE,
            "split input has %lld values for %d outputs", (long long) numel, k);
      if ((s = yv7_op_read_ints (n, st, "split", parts, k, &cnt, err)) != YV7_OK)
        return s;
    } else {
      const int64_t *v;
      size_t cnt = yv7_attr_ints (n, "split", &v);
      if (cnt != (size_t) k)
        return yv7_op_error (n, err, YV7_E_SHAPE,
            "attribute split has %zu values for %d outputs", cnt, k);
      memcpy (parts, v, sizeof (int64_t) * (size_t) k);
    }
    for (int i = 0; i < k; i++) {
      if (parts[i] < 0 || !yv7_add_ok (sum, parts[i], &sum))
        return yv7_op_error (n, err, YV7_E_SHAPE,
            "split value %lld is invalid", (long long) parts[i]);
    }
    if (sum != dim)
      return yv7_op_error (n, err, YV7_E_SHAPE,
          "split sizes add up to %lld, axis %d has %lld", (long long) sum,
          *axis, (long long) dim);
    return YV7_OK;
  }
  if (k < 1)
    return yv7_op_error (n, err, YV7_E_PARSE, "needs at least one output");
  if (dim % k == 0) {
    for (int i = 0; i < k; i++)
      parts[i] = dim / k;
    return YV7_OK;
  }
  if (n->opset >= 18) {
    int64_t chunk = dim / k + 1;
    /* chunk * (k - 1) < dim + chunk: no overflow */
    if (chunk * (k - 1) > dim)
      return yv7_op_error (n, err, YV7_E_SHAPE,
          "axis %d of size %lld cannot be split into %d parts", *axis,
          (long long) dim, k);
    for (int i = 0; i < k - 1; i++)
      parts[i] = chunk;
    parts[k - 1] = dim - chunk * (k - 1);
    return YV7_OK;
  }
  return yv7_op_error (n, err, YV7_E_SHAPE,
      "axis %d of size %lld does not split into %d equal parts", *axis,
      (long long) dim, k);
}

static yv7_status
split_shapes (const yv7_node *n, const yv7_tensor *const *in,
    yv7_tensor *const *out, int64_t *parts, int *axis, yv7_error *err)
{
  yv7_status s = split_parts (n, in, parts, axis, err);

  if (s != YV7_OK)
    return s;
  for (int i = 0; i < n->n_outputs; i++) {
    int64_t dims[YV7_MAX_RANK];
    memcpy (dims, in[0]->dims, sizeof (int64_t) * (size_t) in[0]->rank);
    dims[*axis] = parts[i];
    yv7_op_set_shape (out[i], in[0]->dtype, in[0]->rank, dims);
  }
  return YV7_OK;
}

static yv7_status
split_infer (const yv7_node *n, const yv7_tensor *const *in,
    yv7_tensor *const *out, yv7_error *err)
{
  int64_t *parts;
  int axis;
  yv7_status s;

  if (n->n_outputs < 1)
    return yv7_op_error (n, err, YV7_E_PARSE, "needs at least one output");
  parts = malloc (sizeof (int64_t) * (size_t) n->n_outputs);
  if (!parts)
    return yv7_op_error (n, err, YV7_E_NOMEM, "out of memory");
  s = split_shapes (n, in, out, parts, &axis, err);
  free (parts);
  return s;
}

static yv7_status
split_run (const yv7_node *n, const yv7_tensor *const *in,
    yv7_tensor *const *out, yv7_error *err)
{
  int64_t *parts, outer = 1, inner = 1, total;
  int axis;
  size_t esize;
  yv7_status s;

  if (n->n_outputs < 1)
    return yv7_op_error (n, err, YV7_E_PARSE, "needs at least one output");
  parts = malloc (sizeof (int64_t) * (size_t) n->n_outputs);
  if (!parts)
    return yv7_op_error (n, err, YV7_E_NOMEM, "out of memory");
  if ((s = split_shapes (n, in, out, parts, &axis, err)) != YV7_OK
      || (s = yv7_op_alloc_outputs (n, out, err)) != YV7_OK) {
    free (parts);
    return s;
  }
  for (int d = 0; d < axis; d++)
    outer *= in[0]->dims[d];
  for (int d = axis + 1; d < in[0]->rank; d++)
    inner *= in[0]->dims[d];
  total = in[0]->dims[axis];
  esize = yv7_dtype_size (in[0]->dtype);
  for (int64_t o = 0, off = 0; o < outer; o++) {
    off = o * total;
    for (int i = 0; i < n->n_outputs; i++) {
      size_t blk = (size_t) (parts[i] * inner) * esize;
      if (out[i] && blk)
        memcpy ((uint8_t *) out[i]->data + (size_t) o * blk,
            (const uint8_t *) in[0]->data + (size_t) (off * inner) * esize, blk);
      off += parts[i];
    }
  }
  free (parts);
  return YV7_OK;
}

const yv7_op_def yv7_op_split = {
  .name = "Split",
  .attrs = split_attrs,
  .min_inputs = 1, .max_inputs = 2,
  .min_outputs = 1, .max_outputs = 1 << 20,
  .check = split_check,
  .infer = split_infer,
  .run = split_run,
};
