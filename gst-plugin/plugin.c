/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* plugin.c: registers the plugin's four elements. */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <gst/gst.h>

#include "gstyolov7.h"
#include "gstobjecttracker.h"
#include "gstdetectionoverlay.h"
#include "gstdetectionjson.h"

static gboolean
plugin_init (GstPlugin * plugin)
{
  gboolean ret = FALSE;

  ret |= GST_ELEMENT_REGISTER (yolov7, plugin);
  ret |= GST_ELEMENT_REGISTER (objecttracker, plugin);
  ret |= GST_ELEMENT_REGISTER (detectionoverlay, plugin);
  ret |= GST_ELEMENT_REGISTER (detectionjson, plugin);
  return ret;
}

GST_PLUGIN_DEFINE (GST_VERSION_MAJOR, GST_VERSION_MINOR, yolov7,
    "YOLOv7 object detection on OpenCL, tracking, overlay and JSON export",
    plugin_init, PACKAGE_VERSION, "LGPL", "yolov7-opencl",
    "https://www.gnu.org/licenses/lgpl-2.1.html")
