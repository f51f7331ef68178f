/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* identity.c: Identity, a copy of its input. */
#include "ops-common.h"

#include <string.h>

static const char *const identity_attrs[] = { NULL };

static yv7_status
identity_infer (const yv7_node *n, const yv7_tensor *const *in,
    yv7_tensor *const *out, yv7_error *err)
{
  yv7_status s = yv7_op_input (n, in, 0, err);
  if (s == YV7_OK)
    yv7_op_set_shape (out[0], in[0]->dtype, in[0]->rank, in[0]->dims);
  return s;
}

static yv7_status
identity_run (const yv7_node *n, const yv7_tensor *const *in,
    yv7_tensor *const *out, yv7_error *err)
{
  yv7_status s = identity_infer (n, in, out, err);

  if (s != YV7_OK || !out[0]
      || (s = yv7_op_alloc_outputs (n, out, err)) != YV7_OK)
    return s;
  memcpy (out[0]->data, in[0]->data, yv7_tensor_nbytes (in[0]));
  return YV7_OK;
}

const yv7_op_def yv7_op_identity = {
  .name = "Identity",
  .attrs = identity_attrs,
  .min_inputs = 1, .max_inputs = 1,
  .min_outputs = 1, .max_outputs = 1,
  .infer = identity_infer,
  .run = identity_run,
};
