/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* onnx_loader.h: ONNX protobuf -> graph IR. */
#ifndef YV7_ONNX_LOADER_H
#define YV7_ONNX_LOADER_H

#include "graph.h"

/* Parse a model.  base_dir is the folder of the model file, for external
 * data; NULL refuses external data.  Node inputs must be produced earlier
 * (ONNX requires topological order).  Constant nodes become constant values. */
yv7_status yv7_onnx_load (const uint8_t *data, size_t size, const char *base_dir,
    yv7_graph *g, yv7_error *err);

/* Read a serialized TensorProto file (the ONNX test-data .pb format). */
yv7_status yv7_onnx_read_tensor_file (const char *path, yv7_tensor *t,
    yv7_error *err);

/* Whole file into memory (malloc'ed). */
yv7_status yv7_read_file (const char *path, uint8_t **data, size_t *size,
    yv7_error *err);

#endif
