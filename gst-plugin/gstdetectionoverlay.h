/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gst/video/gstvideofilter.h>

G_BEGIN_DECLS
#define GST_TYPE_DETECTION_OVERLAY (gst_detection_overlay_get_type ())
G_DECLARE_FINAL_TYPE (GstDetectionOverlay, gst_detection_overlay, GST, DETECTION_OVERLAY, GstVideoFilter)
GST_ELEMENT_REGISTER_DECLARE (detectionoverlay);
G_END_DECLS
