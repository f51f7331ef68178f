/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* print-detections.c: the starting point of an application that reads the
 * detections of the yolov7 plugin.
 *
 * It runs a pipeline that ends in an appsink named "sink", pulls each frame
 * and prints one line per object found in the frame's metadata, using only
 * the public GStreamer API (no header of the plugin):
 *
 *   print-detections --model yolov7-tiny.onnx
 *   print-detections --pipeline "filesrc location=in.mp4 ! decodebin ! \
 *       videoconvert ! yolov7 model=m.onnx ! objecttracker ! appsink name=sink"
 *
 * Each object is a GstVideoRegionOfInterestMeta (box in frame pixels) with
 * a "detection" param (confidence, label, label_id, normalised box) and,
 * once objecttracker tracks it, an "object_id" param { id }.  Output:
 *
 *   pts=0:00:00.033333333 label=person conf=0.871 box=12,30,100x200 track=3
 *
 * Ctrl-C sends EOS so the pipeline drains and the program ends normally. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>

#include <gst/app/gstappsink.h>
#include <gst/gst.h>
#include <gst/video/video.h>

/* Poll period of the pull loop: how soon a bus error or Ctrl-C is seen. */
#define PULL_TIMEOUT (100 * GST_MSECOND)

static volatile sig_atomic_t interrupted;

static void
on_sigint (int sig)
{
  interrupted = 1;
}

/* Quote a value for gst_parse_launch: "..." with " and \ escaped. */
static gchar *
parse_quote (const gchar * s)
{
  GString *q = g_string_new ("\"");

  for (; *s; s++) {
    if (*s == '"' || *s == '\\')
      g_string_append_c (q, '\\');
    g_string_append_c (q, *s);
  }
  g_string_append_c (q, '"');
  return g_string_free (q, FALSE);
}

/* Print the objects of one frame; returns how many there were. */
static guint
print_frame (GstBuffer * buf)
{
  gpointer state = NULL;
  GstMeta *meta;
  guint n = 0;

  while ((meta = gst_buffer_iterate_meta_filtered (buf, &state,
              GST_VIDEO_REGION_OF_INTEREST_META_API_TYPE))) {
    GstVideoRegionOfInterestMeta *roi = (GstVideoRegionOfInterestMeta *) meta;
    GstStructure *det = gst_video_region_of_interest_meta_get_param (roi,
        "detection");
    GstStructure *obj = gst_video_region_of_interest_meta_get_param (roi,
        "object_id");
    GstStructure *trk = gst_video_region_of_interest_meta_get_param (roi,
        "tracking");
    const gchar *label = NULL;
    gdouble conf = -1.0;
    gint track = -1;
    gboolean predicted = FALSE;

    /* Another element's ROI metas (face areas, encoder hints) carry no
     * "detection" param: they are shown with the roi_type as label. */
    if (det) {
      label = gst_structure_get_string (det, "label");
      gst_structure_get_double (det, "confidence", &conf);
    }
    if (!label)
      label = g_quark_to_string (roi->roi_type);
    if (obj)
      gst_structure_get_int (obj, "id", &track);
    if (trk)
      gst_structure_get_boolean (trk, "predicted", &predicted);

    g_print ("pts=%" GST_TIME_FORMAT " label=%s conf=%.3f box=%u,%u,%ux%u",
        GST_TIME_ARGS (GST_BUFFER_PTS (buf)), label ? label : "?", conf,
        roi->x, roi->y, roi->w, roi->h);
    if (track >= 0)
      g_print (" track=%d", track);
    else
      g_print (" track=-");
    g_print ("%s\n", predicted ? " predicted" : "");
    n++;
  }
  return n;
}

/* Print an ERROR message of the bus the way gst-launch-1.0 does. */
static void
print_error (GstMessage * msg)
{
  GError *err = NULL;
  gchar *debug = NULL;

  gst_message_parse_error (msg, &err, &debug);
  g_printerr ("ERROR from element %s: %s\n", GST_OBJECT_NAME (msg->src),
      err->message);
  if (debug)
    g_printerr ("Debugging information: %s\n", debug);
  g_clear_error (&err);
  g_free (debug);
}

int
main (int argc, char **argv)
{
  gchar *model = NULL, *desc = NULL;
  gint num_buffers = 30;
  GOptionEntry entries[] = {
    {"model", 'm', 0, G_OPTION_ARG_FILENAME, &model,
        "YOLOv7 ONNX model of the default pipeline", "FILE"},
    {"pipeline", 'p', 0, G_OPTION_ARG_STRING, &desc,
        "Pipeline to run; it must end in an appsink named \"sink\"", "DESC"},
    {"num-buffers", 'n', 0, G_OPTION_ARG_INT, &num_buffers,
        "Frames of the default pipeline's videotestsrc (default 30)", "N"},
    {NULL, 0, 0, G_OPTION_ARG_NONE, NULL, NULL, NULL}
  };
  GOptionContext *ctx;
  GError *err = NULL;
  GstElement *pipeline = NULL, *sink = NULL;
  GstBus *bus = NULL;
  guint64 frames = 0, objects = 0;
  gboolean eos_sent = FALSE;
  int ret = 1;

  ctx = g_option_context_new ("- print the detections of a yolov7 pipeline");
  g_option_context_add_main_entries (ctx, entries, NULL);
  g_option_context_add_group (ctx, gst_init_get_option_group ());
  if (!g_option_context_parse (ctx, &argc, &argv, &err)) {
    g_printerr ("%s\n", err->message);
    g_clear_error (&err);
    g_option_context_free (ctx);
    return 2;
  }
  g_option_context_free (ctx);

  if (!desc) {
    gchar *q;

    if (!model || num_buffers < 1) {
      g_printerr ("usage: %s --model MODEL.onnx [--num-buffers N] | "
          "--pipeline \"... ! appsink name=sink\"\n", argv[0]);
      return 2;
    }
    q = parse_quote (model);
    desc = g_strdup_printf ("videotestsrc num-buffers=%d ! videoconvert ! "
        "yolov7 model=%s ! objecttracker ! appsink name=sink", num_buffers, q);
    g_free (q);
  }

  pipeline = gst_parse_launch (desc, &err);
  if (!pipeline) {
    g_printerr ("could not build the pipeline: %s\n", err->message);
    goto done;
  }
  /* Warnings such as an unknown property leave a usable pipeline. */
  if (err) {
    g_printerr ("warning: %s\n", err->message);
    g_clear_error (&err);
  }
  sink = gst_bin_get_by_name (GST_BIN (pipeline), "sink");
  if (!sink || !GST_IS_APP_SINK (sink)) {
    g_printerr ("the pipeline has no appsink named \"sink\"\n");
    goto done;
  }
  /* Every frame, as fast as it comes: no clock sync for a file. */
  g_object_set (sink, "sync", FALSE, NULL);

  signal (SIGINT, on_sigint);
  bus = gst_element_get_bus (pipeline);
  /* A failing state change (no model, bad model) posts the reason on the
   * bus, which the loop below prints. */
  gst_element_set_state (pipeline, GST_STATE_PLAYING);

  for (;;) {
    GstSample *sample;
    GstMessage *msg;

    if (interrupted && !eos_sent) {
      g_printerr ("interrupted: draining the pipeline\n");
      gst_element_send_event (pipeline, gst_event_new_eos ());
      eos_sent = TRUE;
    }

    msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR);
    if (msg) {
      print_error (msg);
      gst_message_unref (msg);
      goto done;
    }

    sample = gst_app_sink_try_pull_sample (GST_APP_SINK (sink), PULL_TIMEOUT);
    if (sample) {
      objects += print_frame (gst_sample_get_buffer (sample));
      frames++;
      gst_sample_unref (sample);
    } else if (gst_app_sink_is_eos (GST_APP_SINK (sink))) {
      break;
    }
  }

  g_printerr ("%" G_GUINT64_FORMAT " frames, %" G_GUINT64_FORMAT
      " objects\n", frames, objects);
  ret = 0;

done:
  if (pipeline)
    gst_element_set_state (pipeline, GST_STATE_NULL);
  g_clear_error (&err);
  if (bus)
    gst_object_unref (bus);
  if (sink)
    gst_object_unref (sink);
  if (pipeline)
    gst_object_unref (pipeline);
  g_free (desc);
  g_free (model);
  return ret;
}
