/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* ops-common.h: private helpers shared by the host reference ops. */
#ifndef YV7_OPS_COMMON_H
#define YV7_OPS_COMMON_H

#include <stdint.h>
#include "op.h"

/* The op definitions, one per file in this directory. */
extern const yv7_op_def yv7_op_add;
extern const yv7_op_def yv7_op_arg_max;
extern const yv7_op_def yv7_op_batch_normalization;
extern const yv7_op_def yv7_op_cast;
extern const yv7_op_def yv7_op_concat;
extern const yv7_op_def yv7_op_conv;
extern const yv7_op_def yv7_op_div;
extern const yv7_op_def yv7_op_flatten;
extern const yv7_op_def yv7_op_gather;
extern const yv7_op_def yv7_op_identity;
extern const yv7_op_def yv7_op_leaky_relu;
extern const yv7_op_def yv7_op_mat_mul;
extern const yv7_op_def yv7_op_max_pool;
extern const yv7_op_def yv7_op_mul;
extern const yv7_op_def yv7_op_non_max_suppression;
extern const yv7_op_def yv7_op_pow;
extern const yv7_op_def yv7_op_reduce_max;
extern const yv7_op_def yv7_op_relu;
extern const yv7_op_def yv7_op_reshape;
extern const yv7_op_def yv7_op_resize;
extern const yv7_op_def yv7_op_shape;
extern const yv7_op_def yv7_op_sigmoid;
extern const yv7_op_def yv7_op_slice;
extern const yv7_op_def yv7_op_split;
extern const yv7_op_def yv7_op_squeeze;
extern const yv7_op_def yv7_op_sub;
extern const yv7_op_def yv7_op_transpose;
extern const yv7_op_def yv7_op_unsqueeze;

/* Most elements one op will produce; keeps hostile constant folding from
 * asking for absurd allocations before yv7_tensor_alloc() would. */
#define YV7_OP_MAX_ELEMENTS ((int64_t) 1 << 31)

/* Set err to "<op> node '<name>': <message>" and return code. */
yv7_status yv7_op_error (const yv7_node *n, yv7_error *err, yv7_status code,
    const char *fmt, ...) __attribute__ ((format (printf, 4, 5)));

/* An attribute, when present, must have this type. */
yv7_status yv7_op_attr_type (const yv7_node *n, const char *name,
    yv7_attr_type type, yv7_error *err);
/* An attribute must be absent (it belongs to another opset's form). */
yv7_status yv7_op_attr_absent (const yv7_node *n, const char *name,
    const char *why, yv7_error *err);

/* Input idx must be present with a valid shape.  A negative dim (not known
 * yet) gives YV7_E_DYNAMIC without an error. */
yv7_status yv7_op_input (const yv7_node *n, const yv7_tensor *const *in,
    int idx, yv7_error *err);
/* Input idx, or NULL when omitted (or beyond the node's inputs). */
static inline const yv7_tensor *
yv7_op_in (const yv7_tensor *const *in, int idx, const yv7_node *n)
{
  return idx < n->n_inputs ? in[idx] : NULL;
}

/* The data type of input idx must be one of the UNDEFINED-terminated list. */
yv7_status yv7_op_dtype (const yv7_node *n, const yv7_tensor *t, int idx,
    const yv7_dtype *allowed, yv7_error *err);
bool yv7_dtype_is_float (yv7_dtype dt);
bool yv7_dtype_is_int (yv7_dtype dt);     /* integer types, bool excluded */

/* Read a 0-D or 1-D integer tensor (int32/int64) of at most max values.
 * YV7_E_DYNAMIC (no error) when its data is not known. */
yv7_status yv7_op_read_ints (const yv7_node *n, const yv7_tensor *t,
    const char *what, int64_t *vals, int max, int *count, yv7_error *err);
/* Read a one-element float tensor. */
yv7_status yv7_op_read_scalar_f (const yv7_node *n, const yv7_tensor *t,
    const char *what, double *val, yv7_error *err);

/* Set an output's type and shape without touching its data. */
void yv7_op_set_shape (yv7_tensor *t, yv7_dtype dt, int rank,
    const int64_t *dims);
/* Check an output shape (dims >= 0, element count bounded). */
yv7_status yv7_op_check_shape (const yv7_node *n, int rank,
    const int64_t *dims, yv7_error *err);
/* yv7_tensor_alloc() each present output with the type and shape infer gave
 * it. */
yv7_status yv7_op_alloc_outputs (const yv7_node *n, yv7_tensor *const *out,
    yv7_error *err);

/* Normalise a list of axes against rank: each in [-rank, rank), no repeats.
 * mask gets bit i set for axis i. */
yv7_status yv7_op_axes (const yv7_node *n, const int64_t *axes, int count,
    int rank, const char *what, unsigned *mask, yv7_error *err);

/* Copy a strided view of src into contiguous dst: element (i0..ik) of dst
 * comes from src element offset + sum(i_j * strides[j]). */
void yv7_op_strided_copy (void *dst, const void *src, size_t esize, int rank,
    const int64_t *dims, const int64_t *strides, int64_t offset);
/* Row-major element strides of a shape. */
void yv7_op_strides (int rank, const int64_t *dims, int64_t *strides);

/* Broadcasting walker for elementwise binary ops: calls fn once per
 * contiguous output row with element strides sa, sb (0 or 1) of a and b. */
typedef bool (*yv7_op_row_fn) (void *ctx, void *o, const void *a,
    const void *b, int64_t len, int64_t sa, int64_t sb);
bool yv7_op_broadcast_apply (const yv7_tensor *a, const yv7_tensor *b,
    yv7_tensor *o, yv7_op_row_fn fn, void *ctx);

/* Same-typed elementwise binary op (Add, Sub, Mul, Div). */
typedef struct {
  yv7_dtype dtype;
  yv7_op_row_fn fn;
} yv7_op_binary_kernel;
yv7_status yv7_op_binary_infer (const yv7_node *n, const yv7_tensor *const *in,
    yv7_tensor *const *out, const yv7_op_binary_kernel *kernels, yv7_error *err);
yv7_status yv7_op_binary_run (const yv7_node *n, const yv7_tensor *const *in,
    yv7_tensor *const *out, const yv7_op_binary_kernel *kernels, yv7_error *err);

/* float -> integer conversions that never invoke undefined behaviour:
 * truncate toward zero, saturate, NaN -> 0. */
int64_t yv7_f64_to_i64 (double v);
uint64_t yv7_f64_to_u64 (double v);

/* Checked arithmetic on shape values. */
static inline bool
yv7_add_ok (int64_t a, int64_t b, int64_t *r)
{
  return !__builtin_add_overflow (a, b, r);
}
static inline bool
yv7_mul_ok (int64_t a, int64_t b, int64_t *r)
{
  return !__builtin_mul_overflow (a, b, r);
}

/* Sliding-window geometry of Conv and MaxPool, up to 3 spatial dims. */
typedef struct {
  int nsp;                        /* number of spatial dims */
  int64_t in[3], k[3];            /* set by the caller */
  int64_t s[3], d[3], pb[3], pe[3], out[3];
} yv7_op_window;
/* Check the types and ranges of the kernel_shape, strides, dilations, pads
 * and auto_pad attributes (at load, before shapes are known). */
yv7_status yv7_op_window_check (const yv7_node *n, yv7_error *err);
/* Read those attributes and compute the output sizes for w->in and w->k. */
yv7_status yv7_op_window_setup (const yv7_node *n, yv7_op_window *w,
    bool ceil_mode, yv7_error *err);

/* Resize (mode nearest), for backends that want the reference's exact
 * mapping: sets out's type and shape, and for each axis a, tables[a][o] is
 * the source index of output index o along a, or -1 where
 * tf_crop_and_resize takes extrapolation_value; for an output without
 * elements the tables have no entries (nothing may read them).  The tables
 * live in one malloc'ed *block, which the caller frees.  Needs the scales/sizes/roi data
 * (YV7_E_DYNAMIC otherwise). */
yv7_status yv7_op_resize_tables (const yv7_node *n, const yv7_tensor *const *in,
    yv7_tensor *out, int64_t **block, int64_t **tables, yv7_error *err);

/* Ops that only change the shape (Reshape, Flatten, Squeeze, ...): infer,
 * allocate, copy the input's bytes unchanged. */
yv7_status yv7_op_run_same_data (yv7_status (*infer) (const yv7_node *,
        const yv7_tensor *const *, yv7_tensor *const *, yv7_error *),
    const yv7_node *n, const yv7_tensor *const *in, yv7_tensor *const *out,
    yv7_error *err);

/* The fused activation a pass may have folded into a Conv node. */
float yv7_op_activate (int act, float alpha, float x);

#endif
