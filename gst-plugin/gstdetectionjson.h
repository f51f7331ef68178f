/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gst/base/gstbasetransform.h>

G_BEGIN_DECLS
#define GST_TYPE_DETECTION_JSON (gst_detection_json_get_type ())
G_DECLARE_FINAL_TYPE (GstDetectionJson, gst_detection_json, GST, DETECTION_JSON, GstBaseTransform)
GST_ELEMENT_REGISTER_DECLARE (detectionjson);
G_END_DECLS
