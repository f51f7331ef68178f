/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* matmul.c: MatMul with numpy semantics: 1-D operands get a dim prepended
 * (A) or appended (B) and removed again, batch dims broadcast.  Each output
 * element is the sum over k, in order, of a * b in the element type. */
#include "ops-common.h"

#include <string.h>

static const char *const mat_mul_attrs[] = { NULL };
static const yv7_dtype mat_mul_types[] = {
  YV7_DT_FLOAT, YV7_DT_DOUBLE, YV7_DT_INT32, YV7_DT_INT64, YV7_DT_UINT32,
  YV7_DT_UINT64, YV7_DT_UNDEFINED
};

typedef struct {
  int brank;                          /* broadcast batch rank */
  int64_t bdims[YV7_MAX_RANK];
  int64_t astr[YV7_MAX_RANK], bstr[YV7_MAX_RANK];   /* in matrices */
  int64_t m, k, n;
} mat_mul_plan;

static yv7_status
mat_mul_plan_make (const yv7_node *n, const yv7_tensor *const *in,
    mat_mul_plan *p, int *rank, int64_t *dims, yv7_error *err)
{
  const yv7_tensor *a = in[0], *b = in[1];
  yv7_tensor ab = { 0 }, bb = { 0 };
  int64_t ka, kb;
  char b1[160], b2[160];
  yv7_status s;

  if ((s = yv7_op_input (n, in, 0, err)) != YV7_OK
      || (s = yv7_op_input (n, in, 1, err)) != YV7_OK
      || (s = yv7_op_dtype (n, a, 0, mat_mul_types, err)) != YV7_OK)
    return s;
  if (a->dtype != b->dtype)
    return yv7_op_error (n, err, YV7_E_PARSE,
        "inputs have different data types (%s and %s)",
        yv7_dtype_name (a->dtype), yv7_dtype_name (b->dtype));
  if (a->rank < 1 || b->rank < 1)
    return yv7_op_error (n, err, YV7_E_SHAPE, "inputs must not be scalars");
  p->m = a->rank >= 2 ? a->dims[a->rank - 2] : 1;
  ka = a->dims[a->rank - 1];
  kb = b->rank >= 2 ? b->dims[b->rank - 2] : b->dims[0];
  p->n = b->rank >= 2 ? b->dims[b->rank - 1] : 1;
  if (ka != kb)
    goto mismatch;
  p->k = ka;
  /* batch dims as tensors, for the broadcast helper */
  ab.rank = a->rank > 2 ? a->rank - 2 : 0;
  memcpy (ab.dims, a->dims, sizeof (int64_t) * (size_t) ab.rank);
  bb.rank = b->rank > 2 ? b->rank - 2 : 0;
  memcpy (bb.dims, b->dims, sizeof (int64_t) * (size_t) bb.rank);
  if (!yv7_broadcast_shape (&ab, &bb, &p->brank, p->bdims))
    goto mismatch;
  {
    int64_t sa = 1, sb = 1;
    for (int i = p->brank - 1; i >= 0; i--) {
      int ia = i - (p->brank - ab.rank), ib = i - (p->brank - bb.rank);
      int64_t da = ia >= 0 ? ab.dims[ia] : 1, db = ib >= 0 ? bb.dims[ib] : 1;
      p->astr[i] = da == 1 ? 0 : sa;
      p->bstr[i] = db == 1 ? 0 : sb;
      sa *= da;
      sb *= db;
    }
  }
  *rank = 0;
  for (int i = 0; i < p->brank; i++)
    dims[(*rank)++] = p->bdims[i];
  if (a->rank >= 2)
    dims[(*rank)++] = p->m;
  if (b->rank >= 2)
    dims[(*rank)++] = p->n;
  if (*rank > YV7_MAX_RANK)
    return yv7_op_error (n, err, YV7_E_UNSUPPORTED, "output rank is too large");
  return yv7_op_check_shape (n, *rank, dims, err);

mismatch:
  return yv7_op_error (n, err, YV7_E_SHAPE, "shapes %s and %s do not fit",
      yv7_shape_str (a->rank, a->dims, b1, sizeof b1),
      yv7_shape_str (b->rank, b->dims, b2, sizeof b2));
}

static yv7_status
mat_mul_infer (const yv7_node *n, const yv7_tensor *const *in,
    yv7_tensor *const *out, yv7_error *err)
{
  mat_mul_plan p;
  int64_t dims[YV7_MAX_RANK + 2];
  int rank;
  yv7_status s = mat_mul_plan_make (n, in, &p, &rank, dims, err);

  if (s == YV7_OK)
    yv7_op_set_shape (out[0], in[0]->dtype, rank, dims);
  return s;
}

/* c[m][n] += a[m][k] * b[k][n], k outer to n so rows stay contiguous.  U is
 * the computation type (unsigned for integers, so products wrap). */
#define MAT_MUL_LOOP(T, U) do { \
    const T *A = (const T *) in[0]->data + ao * p.m * p.k; \
    const T *B = (const T *) in[1]->data + bo * p.k * p.n; \
    T *C = (T *) out[0]->data + bi * p.m * p.n; \
    for (int64_t i = 0; i < p.m; i++) { \
      T *c = C + i * p.n; \
      for (int64_t kk = 0; kk < p.k; kk++) { \
        U av = (U) A[i * p.k + kk]; \
        const T *brow = B + kk * p.n; \
        for (int64_t j = 0; j < p.n; j++) \
          c[j] = (T) ((U) c[j] + av * (U) brow[j]); \
      } \
    } \
  } while (0)

static yv7_status
mat_mul_run (const yv7_node *n, const yv7_tensor *const *in,
    yv7_tensor *const *out, yv7_error *err)
{
  mat_mul_plan p;
  int64_t dims[YV7_MAX_RANK + 2], nb = 1, idx[YV7_MAX_RANK] = { 0 };
  int rank;
  yv7_status s = mat_mul_plan_make (n, in, &p, &rank, dims, err);

  if (s != YV7_OK || !out[0])
    return s;
  yv7_op_set_shape (out[0], in[0]->dtype, rank, dims);
  if ((s = yv7_op_alloc_outputs (n, out, err)) != YV7_OK)
    return s;
  for (int i = 0; i < p.brank; i++)
    nb *= p.bdims[i];
  if (p.m * p.n == 0)
    return YV7_OK;
  for (int64_t bi = 0; bi < nb; bi++) {
    int64_t ao = 0, bo = 0;
    for (int i = 0; i < p.brank; i++) {
      ao += idx[i] * p.astr[i];
      bo += idx[i] * p.bstr[i];
    }
    switch (in[0]->dtype) {
      case YV7_DT_FLOAT: MAT_MUL_LOOP (float, float); break;
      case YV7_DT_DOUBLE: MAT_MUL_LOOP (double, double); break;
      case YV7_DT_INT32: MAT_MUL_LOOP (int32_t, uint32_t); break;
      case YV7_DT_UINT32: MAT_MUL_LOOP (uint32_t, uint32_t); break;
      case YV7_DT_INT64: MAT_MUL_LOOP (int64_t, uint64_t); break;
      default: MAT_MUL_LOOP (uint64_t, uint64_t); break;
    }
    for (int i = p.brank - 1; i >= 0; i--) {
      if (++idx[i] < p.bdims[i])
        break;
      idx[i] = 0;
    }
  }
  return YV7_OK;
}

const yv7_op_def yv7_op_mat_mul = {
  .name = "MatMul",
  .attrs = mat_mul_attrs,
  .min_inputs = 2, .max_inputs = 2,
  .min_outputs = 1, .max_outputs = 1,
  .infer = mat_mul_infer,
  .run = mat_mul_run,
};
