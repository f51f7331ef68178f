/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* cl_preprocess.h: letterboxing a video frame into the model input on the
 * OpenCL device. */
#ifndef YV7_CL_PREPROCESS_H
#define YV7_CL_PREPROCESS_H

#include "clrt.h"
#include "postprocess.h"

/* Upload f into cl->staging (blocking, so the caller may reuse its memory at
 * once) and enqueue one kernel writing the same [3][dst_h][dst_w] floats as
 * yv7_preprocess_host() at element offset dst_off of dst.  Does not wait for
 * the kernel. */
yv7_status yv7_cl_preprocess (yv7_cl *cl, const yv7_frame *f,
    const yv7_letterbox *lb, cl_mem dst, size_t dst_off, yv7_error *err);

#endif
