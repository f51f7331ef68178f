/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gst/video/gstvideofilter.h>

G_BEGIN_DECLS
#define GST_TYPE_YOLOV7 (gst_yolov7_get_type ())
G_DECLARE_FINAL_TYPE (GstYolov7, gst_yolov7, GST, YOLOV7, GstVideoFilter)
GST_ELEMENT_REGISTER_DECLARE (yolov7);
G_END_DECLS
