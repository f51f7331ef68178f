/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* slice.c: Slice (opset 10+ form: starts, ends, axes, steps inputs), with
 * negative steps and ONNX clamping; any fixed-size data type. */
#include "ops-common.h"

#include <string.h>

static const char *const slice_attrs[] = { NULL };

typedef struct {
  int rank;
  int64_t dims[YV7_MAX_RANK];
  int64_t start[YV7_MAX_RANK];
  int64_t step[YV7_MAX_RANK];
} slice_plan;

static yv7_status
slice_plan_make (const yv7_node *n, const yv7_tensor *const *in,
    slice_plan *p, yv7_error *err)
{
  const yv7_tensor *x = in[0];
  int64_t starts[YV7_MAX_RANK], ends[YV7_MAX_RANK], axes[YV7_MAX_RANK];
  int64_t steps[YV7_MAX_RANK];
  int ns = 0, ne = 0, na, nst;
  unsigned mask;
  yv7_status s;

  if ((s = yv7_op_input (n, in, 0, err)) != YV7_OK
      || (s = yv7_op_input (n, in, 1, err)) != YV7_OK
      || (s = yv7_op_input (n, in, 2, err)) != YV7_OK)
    return s;
  for (int i = 3; i < 5; i++)
    if (yv7_op_in (in, i, n) && (s = yv7_op_input (n, in, i, err)) != YV7_OK)
      return s;
  /* Read every index input, so that a bad one is reported even when
   * another is not known yet. */
  {
    yv7_status s1 = yv7_op_read_ints (n, in[1], "starts", starts, YV7_MAX_RANK, &ns, err);
    if (s1 != YV7_OK && s1 != YV7_E_DYNAMIC)
      return s1;
    s = yv7_op_read_ints (n, in[2], "ends", ends, YV7_MAX_RANK, &ne, err);
    if (s != YV7_OK && s != YV7_E_DYNAMIC)
      return s;
    if (s1 == YV7_E_DYNAMIC || s == YV7_E_DYNAMIC)
      return YV7_E_DYNAMIC;
  }
  if (ns != ne)
    return yv7_op_error (n, err, YV7_E_SHAPE,
        "starts has %d values, ends has %d", ns, ne);
  na = nst = ns;
  if (yv7_op_in (in, 3, n)) {
    if ((s = yv7_op_read_ints (n, in[3], "axes", axes, YV7_MAX_RANK, &na, err)) != YV7_OK)
      return s;
  } else {
    for (int i = 0; i < ns; i++)
      axes[i] = i;
  }
  if (yv7_op_in (in, 4, n)) {
    if ((s = yv7_op_read_ints (n, in[4], "steps", steps, YV7_MAX_RANK, &nst, err)) != YV7_OK)
      return s;
  } else {
    for (int i = 0; i < ns; i++)
      steps[i] = 1;
  }
  if (na != ns || nst != ns)
    return yv7_op_error (n, err, YV7_E_SHAPE,
        "starts, ends, axes and steps have %d, %d, %d and %d values", ns, ne,
        na, nst);
  if ((s = yv7_op_axes (n, axes, na, x->rank, "axes", &mask, err)) != YV7_OK)
    return s;

  p->rank = x->rank;
  for (int d = 0; d < x->rank; d++) {
    p->dims[d] = x->dims[d];
    p->start[d] = 0;
    p->step[d] = 1;
  }
  for (int i = 0; i < ns; i++) {
    int a;
    int64_t dim, st, en, step = steps[i], cnt;

    yv7_norm_axis (axes[i], x->rank, &a);
    dim = x->dims[a];
    if (step == 0)
      return yv7_op_error (n, err, YV7_E_SHAPE, "step 0 on axis %d", a);
    if (step < -INT64_MAX)
      step = -INT64_MAX;       /* same result, and negation is safe */
    st = starts[i];
    en = ends[i];
    if (st < 0)
      st += dim;               /* st < 0 <= dim: no overflow */
    if (en < 0)
      en += dim;
    if (step > 0) {
      st = st < 0 ? 0 : st > dim ? dim : st;
      en = en < 0 ? 0 : en > dim ? dim : en;
      cnt = en > st ? (en - st - 1) / step + 1 : 0;
    } else {
      st = st < 0 ? 0 : st > dim - 1 ? dim - 1 : st;
      en = en < -1 ? -1 : en > dim - 1 ? dim - 1 : en;
      cnt = st > en ? (st - en - 1) / -step + 1 : 0;
    }
    p->dims[a] = cnt;
    p->start[a] = cnt > 0 ? st : 0;
    p->step[a] = step;
  }
  return yv7_op_check_shape (n, p->rank, p->dims, err);
}

static yv7_status
slice_infer (const yv7_node *n, const yv7_tensor *const *in,
    yv7_tensor *const *out, yv7_error *err)
{
  slice_plan p;
  yv7_status s = slice_plan_make (n, in, &p, err);

  if (s == YV7_OK)
    yv7_op_set_shape (out[0], in[0]->dtype, p.rank, p.dims);
  return s;
}

static yv7_status
slice_run (const yv7_node *n, const yv7_tensor *const *in,
    yv7_tensor *const *out, yv7_error *err)
{
  slice_plan p;
  int64_t istr[YV7_MAX_RANK], strides[YV7_MAX_RANK], offset = 0;
  yv7_status s = slice_plan_make (n, in, &p, err);

  if (s != YV7_OK || !out[0])
    return s;
  yv7_op_set_shape (out[0], in[0]->dtype, p.rank, p.dims);
  if ((s = yv7_op_alloc_outputs (n, out, err)) != YV7_OK)
    return s;
  if (yv7_tensor_numel (out[0]) == 0)
    return YV7_OK;
  yv7_op_strides (p.rank, in[0]->dims, istr);
  for (int d = 0; d < p.rank; d++) {
    /* |step| may be huge when the count is 1: the stride is then unused */
    strides[d] = p.dims[d] > 1 ? p.step[d] * istr[d] : 0;
    offset += p.start[d] * istr[d];
  }
  yv7_op_strided_copy (out[0]->data, in[0]->data, yv7_dtype_size (in[0]->dtype),
      p.rank, p.dims, strides, offset);
  return YV7_OK;
}

const yv7_op_def yv7_op_slice = {
  .name = "Slice",
  .attrs = slice_attrs,
  .min_inputs = 3, .max_inputs = 5,
  .min_outputs = 1, .max_outputs = 1,
  .infer = slice_infer,
  .run = slice_run,
};
