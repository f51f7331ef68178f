/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* engine-private.h: the engine object and the load-time passes. */
#ifndef YV7_ENGINE_PRIVATE_H
#define YV7_ENGINE_PRIVATE_H

#include "backend.h"
#include "op.h"

#define YV7_MAX_HEADS 8

struct yv7_engine {
  yv7_graph g;
  yv7_backend *be;           /* NULL: reference path, everything on the host */
  yv7_tensor *rt;            /* per value: host copy at run time */
  bool *host_valid;          /* per value: rt (or the constant) is current */
  int input;                 /* the image input value for detections, or -1 */
  yv7_model_form form;
  int nc;
  int n_heads;
  int heads[YV7_MAX_HEADS];  /* raw form: output values, finest stride first */
  float anchors[YV7_MAX_HEADS * 6];
  /* a submission in flight */
  bool pending;
  int resume;                /* node index where collect continues */
  int n_frames;
  yv7_letterbox lb[64];
  yv7_detect_params params[64];  /* per frame, class lists in classes */
  int *classes;
  yv7_det_list *dets;        /* per batch item */
  int dets_n;
};

/* passes.c */
yv7_status yv7_pass_infer (yv7_graph *g, yv7_error *err);
yv7_status yv7_pass_fold_batchnorm (yv7_graph *g, yv7_error *err);
void yv7_pass_fuse_activations (yv7_graph *g);
void yv7_pass_dead_code (yv7_graph *g);
void yv7_pass_fuse_grid_decode (yv7_graph *g);
void yv7_pass_chain_maxpools (yv7_graph *g);

#endif
