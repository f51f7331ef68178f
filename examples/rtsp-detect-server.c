/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* rtsp-detect-server.c: serve an annotated RTSP stream of the detections of
 * an RTSP camera (or of any source pipeline) with gst-rtsp-server.
 *
 *   rtsp-detect-server --model yolov7-tiny.onnx --input rtsp://cam/stream
 *   rtsp-detect-server --model m.onnx --source "videotestsrc is-live=true"
 *
 * then play rtsp://127.0.0.1:8554/detect.  Each client connection runs
 *
 *   ( SOURCE ! decodebin ! videoconvert ! yolov7 model=M [OPTIONS] !
 *     objecttracker ! detectionoverlay ! videoconvert !
 *     x264enc tune=zerolatency ! rtph264pay name=pay0 pt=96 )
 *
 * where SOURCE is "rtspsrc location=IN latency=200" for --input; clients
 * share one pipeline (one decode and one inference for any number of
 * viewers).  SIGINT or SIGTERM closes the clients and stops the server. */
#include <stdlib.h>
#include <string.h>

#include <glib-unix.h>
#include <gst/gst.h>
#include <gst/rtsp-server/rtsp-server.h>

#define DEFAULT_ADDRESS "127.0.0.1"
#define DEFAULT_PORT 8554
#define DEFAULT_MOUNT "/detect"
#define DEFAULT_LATENCY 200

/* A GstRTSPMedia that also prints the errors of its pipeline: without it a
 * bad model or an unreachable camera only shows as a client failing. */
#define DETECT_TYPE_MEDIA (detect_media_get_type ())
G_DECLARE_FINAL_TYPE (DetectMedia, detect_media, DETECT, MEDIA, GstRTSPMedia);

struct _DetectMedia
{
  GstRTSPMedia parent;
};

G_DEFINE_TYPE (DetectMedia, detect_media, GST_TYPE_RTSP_MEDIA);

static gboolean
detect_media_handle_message (GstRTSPMedia * media, GstMessage * msg)
{
  if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ERROR) {
    GError *err = NULL;
    gchar *debug = NULL;

    gst_message_parse_error (msg, &err, &debug);
    g_printerr ("stream error from %s: %s\n%s%s", GST_OBJECT_NAME (msg->src),
        err->message, debug ? debug : "", debug ? "\n" : "");
    g_clear_error (&err);
    g_free (debug);
  }
  return GST_RTSP_MEDIA_CLASS (detect_media_parent_class)->handle_message
      (media, msg);
}

static void
detect_media_class_init (DetectMediaClass * klass)
{
  GST_RTSP_MEDIA_CLASS (klass)->handle_message = detect_media_handle_message;
}

static void
detect_media_init (DetectMedia * self)
{
}

/* Quote a value for gst_parse_launch: "..." with " and \ escaped. */
static void
append_quoted (GString * s, const gchar * v)
{
  g_string_append_c (s, '"');
  for (; *v; v++) {
    if (*v == '"' || *v == '\\')
      g_string_append_c (s, '\\');
    g_string_append_c (s, *v);
  }
  g_string_append_c (s, '"');
}

static GstRTSPFilterResult
close_client (GstRTSPServer * server, GstRTSPClient * client, gpointer data)
{
  return GST_RTSP_FILTER_REMOVE;
}

static gboolean
on_signal (gpointer loop)
{
  g_printerr ("stopping\n");
  g_main_loop_quit (loop);
  return G_SOURCE_CONTINUE;
}

int
main (int argc, char **argv)
{
  gchar *model = NULL, *input = NULL, *source = NULL, *options = NULL;
  gchar *address = NULL, *mount = NULL;
  gint port = DEFAULT_PORT, latency = DEFAULT_LATENCY;
  GOptionEntry entries[] = {
    {"model", 'm', 0, G_OPTION_ARG_FILENAME, &model,
        "YOLOv7 ONNX model (required)", "FILE"},
    {"input", 'i', 0, G_OPTION_ARG_STRING, &input,
        "RTSP URL of the camera or stream to analyse", "URL"},
    {"source", 's', 0, G_OPTION_ARG_STRING, &source,
        "Any source pipeline instead of --input, e.g. "
        "\"videotestsrc is-live=true\"", "DESC"},
    {"detector-options", 'o', 0, G_OPTION_ARG_STRING, &options,
        "More yolov7 properties, e.g. \"conf-threshold=0.4 "
        "drop-when-busy=true\"", "PROPS"},
    {"address", 'a', 0, G_OPTION_ARG_STRING, &address,
        "Address to listen on (default " DEFAULT_ADDRESS "; 0.0.0.0: all)",
        "ADDR"},
    {"port", 'p', 0, G_OPTION_ARG_INT, &port,
        "Port to listen on (default 8554; 0: any free one)", "PORT"},
    {"mount", 0, 0, G_OPTION_ARG_STRING, &mount,
        "Path of the served stream (default " DEFAULT_MOUNT ")", "PATH"},
    {"latency", 0, 0, G_OPTION_ARG_INT, &latency,
        "rtspsrc jitter buffer of --input in ms (default 200)", "MS"},
    {NULL, 0, 0, G_OPTION_ARG_NONE, NULL, NULL, NULL}
  };
  GOptionContext *ctx;
  GError *err = NULL;
  GString *launch;
  GstElement *check = NULL;
  GstRTSPServer *server = NULL;
  GstRTSPMountPoints *mounts;
  GstRTSPMediaFactory *factory;
  GMainLoop *loop = NULL;
  gchar *service;
  guint server_id = 0;
  int ret = 1;

  ctx = g_option_context_new ("- serve the detections of a stream over RTSP");
  g_option_context_add_main_entries (ctx, entries, NULL);
  g_option_context_add_group (ctx, gst_init_get_option_group ());
  if (!g_option_context_parse (ctx, &argc, &argv, &err)) {
    g_printerr ("%s\n", err->message);
    g_clear_error (&err);
    g_option_context_free (ctx);
    return 2;
  }
  g_option_context_free (ctx);

  if (!model || (input != NULL) == (source != NULL) || port < 0 || port > 65535
      || latency < 0) {
    g_printerr ("usage: %s --model MODEL.onnx (--input rtsp://... | "
        "--source \"PIPELINE\") [--port N] [--address ADDR]\n"
        "       (%s --help for all options)\n", argv[0], argv[0]);
    goto done;
  }
  if (!g_file_test (model, G_FILE_TEST_IS_REGULAR)) {
    g_printerr ("model %s: no such file\n", model);
    goto done;
  }
  if (!address)
    address = g_strdup (DEFAULT_ADDRESS);
  if (!mount)
    mount = g_strdup (DEFAULT_MOUNT);
  if (mount[0] != '/') {
    g_printerr ("--mount must start with /\n");
    goto done;
  }

  launch = g_string_new ("( ");
  if (input) {
    g_string_append (launch, "rtspsrc location=");
    append_quoted (launch, input);
    g_string_append_printf (launch, " latency=%d", latency);
  } else {
    g_string_append (launch, source);
  }
  g_string_append (launch, " ! decodebin ! videoconvert ! yolov7 model=");
  append_quoted (launch, model);
  if (options)
    g_string_append_printf (launch, " %s", options);
  g_string_append (launch, " ! objecttracker ! detectionoverlay ! "
      "videoconvert ! x264enc tune=zerolatency ! rtph264pay name=pay0 pt=96 )");

  /* Build it once now, so that a typo or a missing element fails here and
   * not at the first client. */
  check = gst_parse_launch_full (launch->str, NULL,
      GST_PARSE_FLAG_FATAL_ERRORS, &err);
  if (!check) {
    g_printerr ("bad pipeline: %s\n  %s\n", err->message, launch->str);
    g_string_free (launch, TRUE);
    goto done;
  }
  gst_object_unref (check);

  server = gst_rtsp_server_new ();
  gst_rtsp_server_set_address (server, address);
  service = g_strdup_printf ("%d", port);
  gst_rtsp_server_set_service (server, service);
  g_free (service);

  factory = gst_rtsp_media_factory_new ();
  gst_rtsp_media_factory_set_launch (factory, launch->str);
  gst_rtsp_media_factory_set_shared (factory, TRUE);
  gst_rtsp_media_factory_set_media_gtype (factory, DETECT_TYPE_MEDIA);
  mounts = gst_rtsp_server_get_mount_points (server);
  gst_rtsp_mount_points_add_factory (mounts, mount, factory);
  g_object_unref (mounts);

  server_id = gst_rtsp_server_attach (server, NULL);
  if (server_id == 0) {
    g_printerr ("cannot listen on %s port %d\n", address, port);
    g_string_free (launch, TRUE);
    goto done;
  }

  loop = g_main_loop_new (NULL, FALSE);
  g_unix_signal_add (SIGINT, on_signal, loop);
  g_unix_signal_add (SIGTERM, on_signal, loop);

  g_print ("pipeline: %s\n", launch->str);
  g_print ("serving rtsp://%s:%d%s\n", address,
      gst_rtsp_server_get_bound_port (server), mount);
  g_string_free (launch, TRUE);
  g_main_loop_run (loop);

  /* Close the sessions (their pipelines stop), then stop listening. */
  gst_rtsp_server_client_filter (server, close_client, NULL);
  g_source_remove (server_id);
  ret = 0;

done:
  if (loop)
    g_main_loop_unref (loop);
  if (server)
    g_object_unref (server);
  gst_rtsp_thread_pool_cleanup ();
  g_clear_error (&err);
  g_free (model);
  g_free (input);
  g_free (source);
  g_free (options);
  g_free (address);
  g_free (mount);
  return ret;
}
