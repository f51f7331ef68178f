/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* backend.h: the small private interface between the engine core and a
 * device backend (OpenCL in opencl/).  The core decides what runs where; the
 * backend owns device memory, weights and kernels. */
#ifndef YV7_BACKEND_H
#define YV7_BACKEND_H

#include "graph.h"
#include "postprocess.h"

typedef struct yv7_backend yv7_backend;

typedef struct {
  /* Can node n run on the device, given the shapes and constants known? */
  bool (*supports_op) (yv7_backend *b, const yv7_graph *g, const yv7_node *n);
  /* After placement: upload constants, pack weights, plan and allocate the
   * memory of every value with on_device set. */
  yv7_status (*prepare) (yv7_backend *b, yv7_graph *g, yv7_error *err);
  /* Host <-> device copies of a value (whole tensor, blocking). */
  yv7_status (*write) (yv7_backend *b, const yv7_graph *g, int value,
      const void *data, yv7_error *err);
  yv7_status (*read) (yv7_backend *b, const yv7_graph *g, int value,
      void *data, yv7_error *err);
  /* Enqueue node `node` (no waiting). */
  yv7_status (*enqueue) (yv7_backend *b, const yv7_graph *g, int node,
      yv7_error *err);
  /* Letterbox frame f into batch item `index` of input value `value`. */
  yv7_status (*preprocess) (yv7_backend *b, const yv7_graph *g, int value,
      int index, const yv7_frame *f, const yv7_letterbox *lb, yv7_error *err);
  /* Submit what was enqueued and mark its end; poll says whether it is done. */
  yv7_status (*flush) (yv7_backend *b, yv7_error *err);
  int (*poll) (yv7_backend *b);
  const char *(*name) (yv7_backend *b);
  /* Bytes of the arena, of constants, and of the run-time values unplanned. */
  void (*memory) (yv7_backend *b, size_t *arena, size_t *constants,
      size_t *unplanned);
  void (*free) (yv7_backend *b);
} yv7_backend_ops;

struct yv7_backend {
  const yv7_backend_ops *ops;
};

/* The OpenCL backend on the device named by spec. */
yv7_backend *yv7_cl_backend_new (const char *spec, bool half_weights, yv7_error *err);

#endif
