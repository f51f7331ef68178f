/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* tensor.h: host tensor helpers and error reporting shared by the engine. */
#ifndef YV7_TENSOR_H
#define YV7_TENSOR_H

#include <stdbool.h>
#include "yolov7/yolov7.h"

/* Set err (if not NULL) and return code. printf-style message. */
yv7_status yv7_set_error (yv7_error *err, yv7_status code, const char *fmt, ...)
    __attribute__ ((format (printf, 3, 4)));

/* Element count of a shape; returns false on a negative dim or overflow. */
bool yv7_shape_numel (int rank, const int64_t *dims, int64_t *numel);
int64_t yv7_tensor_numel (const yv7_tensor *t);   /* dims assumed valid */
size_t yv7_tensor_nbytes (const yv7_tensor *t);

/* x rounded to the nearest fp16 value (ties to even; 65520 and up to
 * infinity; subnormals kept), returned as a float. */
float yv7_round_half (float x);

/* Set dtype and shape (rank <= YV7_MAX_RANK) and make data hold the elements,
 * reusing the owned buffer when big enough.  Zero-filled.  Checks overflow. */
yv7_status yv7_tensor_alloc (yv7_tensor *t, yv7_dtype dt, int rank,
    const int64_t *dims, yv7_error *err);
/* Release owned data and reset to an empty tensor. */
void yv7_tensor_clear (yv7_tensor *t);
/* Deep copy (dst becomes owner). */
yv7_status yv7_tensor_copy (yv7_tensor *dst, const yv7_tensor *src, yv7_error *err);

/* Read element i of an integer tensor (INT64, INT32, ...) as int64. */
int64_t yv7_tensor_get_int (const yv7_tensor *t, int64_t i);
/* Read element i of a numeric tensor as double. */
double yv7_tensor_get_f64 (const yv7_tensor *t, int64_t i);

/* Format a shape as "[1,3,640,640]" into buf. */
const char *yv7_shape_str (int rank, const int64_t *dims, char *buf, size_t size);

#endif
