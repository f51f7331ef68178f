/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* clrt.h: a thin OpenCL runtime wrapper: device choice, one context, one
 * in-order queue, the embedded program built once, kernels by name.  Every
 * failure returns a status with a message; nothing aborts. */
#ifndef YV7_CLRT_H
#define YV7_CLRT_H

#include <CL/cl.h>
#include "tensor.h"

#define YV7_CL_MAX_KERNELS 64

typedef struct {
  cl_platform_id platform;
  cl_device_id device;
  cl_device_type type;
  cl_context ctx;
  cl_command_queue queue;
  cl_program program;
  char name[256];            /* "device (platform)" */
  size_t max_wg;             /* CL_DEVICE_MAX_WORK_GROUP_SIZE */
  cl_ulong global_mem;
  cl_ulong max_alloc;
  cl_uint compute_units;     /* CL_DEVICE_MAX_COMPUTE_UNITS */
  bool gpu_kernels;          /* GPU-shaped kernels (work-groups, __local
                              * tiles): GPU devices, or YV7_KERNELS=gpu */
  bool half_weights;         /* the program reads Conv weights as fp16 */
  struct { const char *name; cl_kernel k; } kernels[YV7_CL_MAX_KERNELS];
  int n_kernels;
  /* staging buffer for uploading video frames (preprocessing) */
  cl_mem staging;
  size_t staging_size;
  cl_int launch_error;       /* OpenCL code of the last failed launch */
  /* with trace set (YV7_PROFILE), the kernels launched since the caller
   * last cleared n_launched (distinct, the first YV7_CL_TRACE) */
#define YV7_CL_TRACE 4
  bool trace;
  const char *launched[YV7_CL_TRACE];
  int n_launched;
} yv7_cl;

/* Open the device named by spec ("auto", a name substring, "P:D") and build
 * the embedded kernels for it; with half_weights the Conv kernels read
 * their weights as fp16 (YV7_HALF_WEIGHTS defined in the program). */
yv7_status yv7_cl_open (yv7_cl *cl, const char *spec, bool half_weights, yv7_error *err);
void yv7_cl_close (yv7_cl *cl);

/* A kernel of the embedded program, created on first use and cached. */
cl_kernel yv7_cl_kernel (yv7_cl *cl, const char *name, yv7_error *err);

/* YV7_OK when rc is CL_SUCCESS, else a YV7_E_DEVICE (or YV7_E_NOMEM) error
 * naming `what` and the OpenCL error. */
yv7_status yv7_cl_check (cl_int rc, const char *what, yv7_error *err);
const char *yv7_cl_strerror (cl_int rc);

/* Set kernel args from (size_t size, const void *ptr) pairs ended by
 * YV7_CL_END, then enqueue an N-dimensional range with the given local size
 * (NULL: the driver's choice). */
yv7_status yv7_cl_launch_local (yv7_cl *cl, const char *kernel, int work_dim,
    const size_t *global, const size_t *local, ...);
#define yv7_cl_launch(cl, kernel, work_dim, global, ...) \
  yv7_cl_launch_local (cl, kernel, work_dim, global, NULL, __VA_ARGS__)
#define YV7_CL_ARG(x) sizeof (x), (const void *) &(x)
#define YV7_CL_END ((size_t) 0)

/* A file in the cache directory ($YV7_CACHE_DIR, $XDG_CACHE_HOME/yolov7-opencl
 * or ~/.cache/yolov7-opencl) named by the device, its driver and the kernels'
 * source, ending in suffix; false when the cache is off (YV7_CACHE_DIR=off)
 * or has no home.  dir receives the directory. */
bool yv7_cl_cache_file (const yv7_cl *cl, const char *suffix, char *path, size_t size,
    char *dir, size_t dsize);
/* mkdir -p, errors ignored (a cache that cannot be written is no error). */
void yv7_cl_mkdirs (const char *dir);

/* clCreateBuffer through the fault hook below. */
cl_mem yv7_cl_buffer (yv7_cl *cl, cl_mem_flags flags, size_t size, void *host,
    cl_int *rc);

/* ---- fault injection, for tests ----
 *
 * YV7_CL_FAULT=<kind>[:N] makes this layer fail as if the driver had
 * returned the error, so the engine's and the elements' real error paths
 * run:
 *   build    clBuildProgram (from source and from a cached binary, so the
 *            program cache cannot hide it): CL_BUILD_PROGRAM_FAILURE
 *   enqueue  kernel launches (yv7_cl_launch*): CL_OUT_OF_RESOURCES
 *   alloc    device buffers (yv7_cl_buffer, the frame staging buffer):
 *            CL_MEM_OBJECT_ALLOCATION_FAILURE
 * Without N every such call fails; with N only the Nth one, counted from
 * the first call that saw the variable's current value.  The variable is
 * read on every call: a test may set or clear it between frames, while no
 * other thread streams (setenv is not thread-safe). */
typedef enum {
  YV7_CL_FAULT_BUILD,
  YV7_CL_FAULT_ENQUEUE,
  YV7_CL_FAULT_ALLOC,
} yv7_cl_fault_site;

/* CL_SUCCESS, or the error YV7_CL_FAULT injects into this call at site. */
cl_int yv7_cl_fault (yv7_cl_fault_site site);

/* A monotonic clock in milliseconds (profiling and kernel timing). */
double yv7_cl_now_ms (void);

/* Make sure cl->staging holds at least size bytes. */
yv7_status yv7_cl_staging (yv7_cl *cl, size_t size, yv7_error *err);

#endif
