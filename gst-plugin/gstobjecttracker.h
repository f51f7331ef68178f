/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gst/base/gstbasetransform.h>

G_BEGIN_DECLS
#define GST_TYPE_OBJECT_TRACKER (gst_object_tracker_get_type ())
G_DECLARE_FINAL_TYPE (GstObjectTracker, gst_object_tracker, GST, OBJECT_TRACKER, GstBaseTransform)
GST_ELEMENT_REGISTER_DECLARE (objecttracker);
G_END_DECLS
