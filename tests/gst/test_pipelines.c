/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test_pipelines.c: the plugin's elements in real pipelines with the
 * system's GStreamer plugins: a test video encoded to MP4 with its JSON
 * Lines, both read back, and an RTSP loopback (gst-rtsp-server on
 * 127.0.0.1) into the detector.  TEST_MODEL has random weights: the tests
 * check the plumbing and the consistency of what comes out, not what is
 * found.  The RTSP test is built only with -DHAVE_GST_RTSP_SERVER (it needs
 * libgstrtspserver).  Missing system elements skip the binary (exit 77). */
#include <math.h>
#include <string.h>

#include <glib/gstdio.h>
#include <gst/check/gstcheck.h>
#include <gst/video/video.h>
#include <json-glib/json-glib.h>
#ifdef HAVE_GST_RTSP_SERVER
#include <gst/rtsp-server/rtsp-server.h>
#endif

#define WIDTH 385
#define HEIGHT 289
#define N_FRAMES 20
#define CONF_THRESHOLD 0.05
#define N_CLASSES 3             /* of TEST_MODEL */
/* Every wait is bounded well under the suite's CK_DEFAULT_TIMEOUT. */
#define RUN_TIMEOUT (60 * GST_SECOND)

static gchar *tmpdir;

static void
setup (void)
{
  tmpdir = g_dir_make_tmp ("pipelines-XXXXXX", NULL);
  fail_unless (tmpdir != NULL);
}

static void
teardown (void)
{
  GDir *d = g_dir_open (tmpdir, 0, NULL);
  const gchar *name;

  while (d && (name = g_dir_read_name (d))) {
    gchar *p = g_build_filename (tmpdir, name, NULL);
    g_unlink (p);
    g_free (p);
  }
  if (d)
    g_dir_close (d);
  g_rmdir (tmpdir);
  g_clear_pointer (&tmpdir, g_free);
}

/* A file in the test's own directory. */
static gchar *
tmp_path (const gchar * name)
{
  return g_build_filename (tmpdir, name, NULL);
}

/* Run @pipeline to EOS within RUN_TIMEOUT, fail on any error. */
static void
run_to_eos (GstElement * pipeline)
{
  GstBus *bus = gst_element_get_bus (pipeline);
  GstMessage *msg;

  fail_if (gst_element_set_state (pipeline, GST_STATE_PLAYING) ==
      GST_STATE_CHANGE_FAILURE, "pipeline did not start");
  msg = gst_bus_timed_pop_filtered (bus, RUN_TIMEOUT,
      GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
  fail_unless (msg != NULL, "no EOS within %" GST_TIME_FORMAT,
      GST_TIME_ARGS (RUN_TIMEOUT));
  if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ERROR) {
    GError *err = NULL;
    gchar *debug = NULL;

    gst_message_parse_error (msg, &err, &debug);
    fail ("error from %s: %s (%s)", GST_OBJECT_NAME (msg->src), err->message,
        debug ? debug : "");
  }
  gst_message_unref (msg);
  fail_unless_equals_int (gst_element_set_state (pipeline, GST_STATE_NULL),
      GST_STATE_CHANGE_SUCCESS);
  gst_object_unref (bus);
}

static GstElement *
parse (const gchar * desc)
{
  GError *err = NULL;
  GstElement *p = gst_parse_launch_full (desc, NULL,
      GST_PARSE_FLAG_FATAL_ERRORS, &err);

  fail_unless (p != NULL, "cannot build '%s': %s", desc,
      err ? err->message : "?");
  return p;
}

static GstPadProbeReturn
count_buffer (GstPad * pad, GstPadProbeInfo * info, gpointer count)
{
  g_atomic_int_inc ((gint *) count);
  return GST_PAD_PROBE_OK;
}

/* Check one JSON object of an "objects" array against the frame size. */
static void
check_json_object (JsonObject * o, gint line)
{
  JsonObject *det, *bb;
  gint64 x, y, w, h, label_id;
  gdouble x0, y0, x1, y1, conf;
  gchar *want_label;

  fail_unless (json_object_has_member (o, "x") && json_object_has_member (o,
          "detection"), "line %d: object without x or detection", line);
  x = json_object_get_int_member (o, "x");
  y = json_object_get_int_member (o, "y");
  w = json_object_get_int_member (o, "w");
  h = json_object_get_int_member (o, "h");
  fail_unless (x >= 0 && y >= 0 && w >= 0 && h >= 0, "line %d: negative box",
      line);
  fail_unless (x + w <= WIDTH && y + h <= HEIGHT,
      "line %d: box %" G_GINT64_FORMAT ",%" G_GINT64_FORMAT " %" G_GINT64_FORMAT
      "x%" G_GINT64_FORMAT " outside the frame", line, x, y, w, h);

  det = json_object_get_object_member (o, "detection");
  bb = json_object_get_object_member (det, "bounding_box");
  fail_unless (bb != NULL, "line %d: no bounding_box", line);
  x0 = json_object_get_double_member (bb, "x_min");
  y0 = json_object_get_double_member (bb, "y_min");
  x1 = json_object_get_double_member (bb, "x_max");
  y1 = json_object_get_double_member (bb, "y_max");
  fail_unless (0.0 <= x0 && x0 <= x1 && x1 <= 1.0 && 0.0 <= y0 && y0 <= y1
      && y1 <= 1.0, "line %d: bounding_box not normalised", line);
  /* the pixel box is the normalised one rounded outwards */
  fail_unless (fabs (x0 * WIDTH - x) < 1.0 + 1e-6
      && fabs (y0 * HEIGHT - y) < 1.0 + 1e-6
      && fabs (x1 * WIDTH - (x + w)) < 1.0 + 1e-6
      && fabs (y1 * HEIGHT - (y + h)) < 1.0 + 1e-6,
      "line %d: pixel box and bounding_box disagree", line);

  conf = json_object_get_double_member (det, "confidence");
  fail_unless (conf >= CONF_THRESHOLD - 1e-6 && conf <= 1.0,
      "line %d: confidence %f", line, conf);
  label_id = json_object_get_int_member (det, "label_id");
  fail_unless (label_id >= 0 && label_id < N_CLASSES, "line %d: label_id %"
      G_GINT64_FORMAT, line, label_id);
  /* a 3-class model without a labels file is labelled class<N> */
  want_label = g_strdup_printf ("class%" G_GINT64_FORMAT, label_id);
  fail_unless_equals_string (json_object_get_string_member (det, "label"),
      want_label);
  g_free (want_label);
  if (json_object_has_member (o, "id"))
    fail_unless (json_object_get_int_member (o, "id") >= 1,
        "line %d: track id < 1", line);
}

/* The whole chain into an MP4 file; the MP4 re-demuxes to every frame and
 * the JSON Lines parse back to one consistent line per frame. */
GST_START_TEST (test_file_pipeline)
{
  gchar *mp4 = tmp_path ("out.mp4"), *jsonl = tmp_path ("out.jsonl");
  gchar *desc, *contents = NULL, **lines;
  GstElement *pipeline, *sink;
  GstPad *pad;
  GStatBuf st;
  gint n_lines = 0, n_objects = 0, n_au = 0;
  gint64 last_ts = -1;
  gsize len;

  /* Detector, tracker, JSON and overlay all see the odd 385x289 frames;
   * only the encoder gets them scaled to even sizes, the least x264 takes
   * in 4:2:0. */
  desc = g_strdup_printf ("videotestsrc num-buffers=%d pattern=ball ! "
      "video/x-raw,width=%d,height=%d,framerate=25/1 ! videoconvert ! "
      "yolov7 model=\"%s\" conf-threshold=%g ! objecttracker ! "
      "detectionjson location=\"%s\" ! detectionoverlay ! videoconvert ! "
      "videoscale ! video/x-raw,format=I420,width=%d,height=%d ! "
      "x264enc speed-preset=ultrafast ! mp4mux ! filesink location=\"%s\"",
      N_FRAMES, WIDTH, HEIGHT, TEST_MODEL, CONF_THRESHOLD, jsonl,
      WIDTH & ~1, HEIGHT & ~1, mp4);
  pipeline = parse (desc);
  run_to_eos (pipeline);
  gst_object_unref (pipeline);
  g_free (desc);

  fail_unless (g_stat (mp4, &st) == 0, "no %s", mp4);
  fail_unless (st.st_size > 0, "empty MP4");

  desc = g_strdup_printf ("filesrc location=\"%s\" ! qtdemux ! h264parse ! "
      "fakesink name=sink", mp4);
  pipeline = parse (desc);
  sink = gst_bin_get_by_name (GST_BIN (pipeline), "sink");
  pad = gst_element_get_static_pad (sink, "sink");
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, count_buffer, &n_au,
      NULL);
  run_to_eos (pipeline);
  fail_unless_equals_int (g_atomic_int_get (&n_au), N_FRAMES);
  gst_object_unref (pad);
  gst_object_unref (sink);
  gst_object_unref (pipeline);
  g_free (desc);

  fail_unless (g_file_get_contents (jsonl, &contents, &len, NULL));
  fail_unless (len > 0 && contents[len - 1] == '\n', "last line unfinished");
  lines = g_strsplit (contents, "\n", -1);
  for (gint i = 0; lines[i] && lines[i][0]; i++) {
    JsonParser *parser = json_parser_new ();
    GError *err = NULL;
    JsonObject *root, *res;
    JsonArray *objects;
    gint64 ts;

    fail_unless (json_parser_load_from_data (parser, lines[i], -1, &err),
        "line %d: %s", i + 1, err ? err->message : "?");
    root = json_node_get_object (json_parser_get_root (parser));
    fail_unless (root != NULL, "line %d is not an object", i + 1);
    ts = json_object_get_int_member (root, "timestamp");
    fail_unless (ts > last_ts, "line %d: timestamp %" G_GINT64_FORMAT
        " not after %" G_GINT64_FORMAT, i + 1, ts, last_ts);
    last_ts = ts;
    res = json_object_get_object_member (root, "resolution");
    fail_unless_equals_int (json_object_get_int_member (res, "width"), WIDTH);
    fail_unless_equals_int (json_object_get_int_member (res, "height"),
        HEIGHT);
    objects = json_object_get_array_member (root, "objects");
    fail_unless (objects != NULL, "line %d: no objects array", i + 1);
    for (guint j = 0; j < json_array_get_length (objects); j++)
      check_json_object (json_array_get_object_element (objects, j), i + 1);
    n_objects += json_array_get_length (objects);
    n_lines++;
    g_object_unref (parser);
  }
  fail_unless_equals_int (n_lines, N_FRAMES);
  /* at this threshold the random-weight model finds boxes on every frame:
   * the checks above were not vacuous */
  fail_unless (n_objects > 0, "no objects in the JSON");

  g_strfreev (lines);
  g_free (contents);
  g_free (mp4);
  g_free (jsonl);
}

GST_END_TEST;

#ifdef HAVE_GST_RTSP_SERVER

#define RTSP_WIDTH 320
#define RTSP_HEIGHT 240
#define RTSP_WANT_FRAMES 10
#define RTSP_SERVER_FRAMES 300  /* 10 s at 30/1: the client stops first */
#define RTSP_TIMEOUT_S 60

/* The server runs its own main context on a thread, so that the client's
 * blocking calls can never stall it. */
typedef struct
{
  GstRTSPServer *server;
  GMainContext *context;
  GMainLoop *loop;
  GThread *thread;
  guint source_id;
  gint port;
} LoopbackServer;

typedef struct
{
  GMainLoop *loop;
  gint frames;                  /* all frames the appsink got */
  gint inferred;                /* of them, frames the detector ran on */
  gint with_rois;               /* of them, frames with ROI metas */
  gint bad_rois;                /* ROI metas outside the frame */
  gchar *error;                 /* bus error, NULL when none */
  gboolean timed_out;
  gboolean eos;
} LoopbackClient;

static gpointer
server_thread (gpointer data)
{
  LoopbackServer *s = data;

  g_main_context_push_thread_default (s->context);
  g_main_loop_run (s->loop);
  g_main_context_pop_thread_default (s->context);
  return NULL;
}

static void
server_start (LoopbackServer * s)
{
  GstRTSPMountPoints *mounts;
  GstRTSPMediaFactory *factory;
  gchar *launch;

  s->server = gst_rtsp_server_new ();
  gst_rtsp_server_set_address (s->server, "127.0.0.1");
  gst_rtsp_server_set_service (s->server, "0");       /* any free port */

  /* Constrained baseline: any H.264 decoder decodebin may pick takes it. */
  launch = g_strdup_printf ("( videotestsrc is-live=true num-buffers=%d "
      "pattern=ball ! video/x-raw,width=%d,height=%d,framerate=30/1 ! "
      "x264enc tune=zerolatency speed-preset=ultrafast ! "
      "video/x-h264,profile=constrained-baseline ! rtph264pay name=pay0 "
      "pt=96 )", RTSP_SERVER_FRAMES, RTSP_WIDTH, RTSP_HEIGHT);
  factory = gst_rtsp_media_factory_new ();
  gst_rtsp_media_factory_set_launch (factory, launch);
  g_free (launch);
  mounts = gst_rtsp_server_get_mount_points (s->server);
  gst_rtsp_mount_points_add_factory (mounts, "/test", factory);
  g_object_unref (mounts);

  s->context = g_main_context_new ();
  s->loop = g_main_loop_new (s->context, FALSE);
  s->source_id = gst_rtsp_server_attach (s->server, s->context);
  fail_unless (s->source_id != 0, "the RTSP server cannot listen");
  s->port = gst_rtsp_server_get_bound_port (s->server);
  fail_unless (s->port > 0);
  s->thread = g_thread_new ("rtsp-server", server_thread, s);
}

static GstRTSPFilterResult
remove_client (GstRTSPServer * server, GstRTSPClient * client, gpointer data)
{
  return GST_RTSP_FILTER_REMOVE;
}

static void
server_stop (LoopbackServer * s)
{
  GSource *source;

  gst_rtsp_server_client_filter (s->server, remove_client, NULL);
  g_main_loop_quit (s->loop);
  g_thread_join (s->thread);
  source = g_main_context_find_source_by_id (s->context, s->source_id);
  if (source)
    g_source_destroy (source);
  g_object_unref (s->server);
  g_main_loop_unref (s->loop);
  g_main_context_unref (s->context);
  /* joins the threads that served the clients */
  gst_rtsp_thread_pool_cleanup ();
}

/* appsink "new-sample", on the client's streaming thread. */
static GstFlowReturn
on_new_sample (GstElement * appsink, gpointer data)
{
  LoopbackClient *c = data;
  GstSample *sample = NULL;
  GstBuffer *buf;
  GstVideoRegionOfInterestMeta *roi;
  gpointer state = NULL;
  gboolean rois = FALSE;

  g_signal_emit_by_name (appsink, "pull-sample", &sample);
  if (!sample)
    return GST_FLOW_EOS;
  buf = gst_sample_get_buffer (sample);
  while ((roi = (GstVideoRegionOfInterestMeta *)
          gst_buffer_iterate_meta_filtered (buf, &state,
              GST_VIDEO_REGION_OF_INTEREST_META_API_TYPE))) {
    if (roi->x + roi->w > RTSP_WIDTH || roi->y + roi->h > RTSP_HEIGHT)
      g_atomic_int_inc (&c->bad_rois);
    rois = TRUE;
  }
  g_atomic_int_inc (&c->frames);
  if (gst_buffer_get_custom_meta (buf, "GstDetectionInferenceMeta"))
    g_atomic_int_inc (&c->inferred);
  if (rois)
    g_atomic_int_inc (&c->with_rois);
  gst_sample_unref (sample);

  if (g_atomic_int_get (&c->inferred) >= RTSP_WANT_FRAMES)
    g_main_loop_quit (c->loop);
  return GST_FLOW_OK;
}

static gboolean
on_client_bus (GstBus * bus, GstMessage * msg, gpointer data)
{
  LoopbackClient *c = data;

  if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ERROR) {
    GError *err = NULL;

    gst_message_parse_error (msg, &err, NULL);
    if (!c->error)
      c->error = g_strdup_printf ("%s: %s", GST_OBJECT_NAME (msg->src),
          err->message);
    g_clear_error (&err);
    g_main_loop_quit (c->loop);
  } else if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_EOS) {
    c->eos = TRUE;
    g_main_loop_quit (c->loop);
  }
  return G_SOURCE_CONTINUE;
}

static gboolean
on_client_timeout (gpointer data)
{
  LoopbackClient *c = data;

  c->timed_out = TRUE;
  g_main_loop_quit (c->loop);
  return G_SOURCE_REMOVE;
}

/* A live H.264 stream served by gst-rtsp-server on 127.0.0.1 reaches the
 * detector through rtspsrc and decodebin; the frames come out analysed. */
GST_START_TEST (test_rtsp_loopback)
{
  LoopbackServer server = { 0 };
  LoopbackClient client = { 0 };
  GstElement *pipeline, *sink;
  GstBus *bus;
  gchar *desc;
  guint bus_id, timeout_id;

  server_start (&server);

  /* TCP-interleaved RTP: no UDP ports, nothing lost on a loaded machine */
  desc = g_strdup_printf ("rtspsrc location=rtsp://127.0.0.1:%d/test "
      "protocols=tcp latency=100 ! decodebin ! videoconvert ! "
      "yolov7 model=\"%s\" conf-threshold=%g ! "
      "appsink name=sink emit-signals=true sync=false max-buffers=8",
      server.port, TEST_MODEL, CONF_THRESHOLD);
  pipeline = parse (desc);
  g_free (desc);
  sink = gst_bin_get_by_name (GST_BIN (pipeline), "sink");
  g_signal_connect (sink, "new-sample", G_CALLBACK (on_new_sample), &client);

  client.loop = g_main_loop_new (NULL, FALSE);
  bus = gst_element_get_bus (pipeline);
  bus_id = gst_bus_add_watch (bus, on_client_bus, &client);
  timeout_id = g_timeout_add_seconds (RTSP_TIMEOUT_S, on_client_timeout,
      &client);

  fail_if (gst_element_set_state (pipeline, GST_STATE_PLAYING) ==
      GST_STATE_CHANGE_FAILURE);
  g_main_loop_run (client.loop);

  gst_element_set_state (pipeline, GST_STATE_NULL);
  if (!client.timed_out)
    g_source_remove (timeout_id);
  g_source_remove (bus_id);
  gst_object_unref (bus);
  gst_object_unref (sink);
  gst_object_unref (pipeline);
  g_main_loop_unref (client.loop);
  server_stop (&server);

  fail_if (client.error != NULL, "client: %s", client.error);
  fail_unless_equals_int (client.bad_rois, 0);
  fail_if (client.timed_out, "%d analysed frames of %d within %d s",
      client.inferred, client.frames, RTSP_TIMEOUT_S);
  fail_if (client.eos, "stream ended after %d analysed frames",
      client.inferred);
  fail_unless (client.inferred >= RTSP_WANT_FRAMES);
  /* every frame ran through the detector (no drop-when-busy) */
  fail_unless_equals_int (client.inferred, client.frames);
  fail_unless (client.with_rois > 0, "no frame carried detections");
}

GST_END_TEST;

#endif /* HAVE_GST_RTSP_SERVER */

static Suite *
pipelines_suite (void)
{
  Suite *s = suite_create ("pipelines");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_checked_fixture (tc, setup, teardown);
  tcase_add_test (tc, test_file_pipeline);
#ifdef HAVE_GST_RTSP_SERVER
  tcase_add_test (tc, test_rtsp_loopback);
#endif
  return s;
}

/* The elements of the system's plugin packages the pipelines use; without
 * them the tests cannot run at all, which is a skip, not a failure. */
static const gchar *const needed[] = {
  "yolov7", "objecttracker", "detectionjson", "detectionoverlay",
  "videotestsrc", "videoconvert", "videoscale", "x264enc", "mp4mux",
  "qtdemux", "h264parse", "filesink", "fakesink",
#ifdef HAVE_GST_RTSP_SERVER
  "rtph264pay", "rtspsrc", "rtph264depay", "decodebin", "appsink",
#endif
  NULL
};

#ifdef HAVE_GST_RTSP_SERVER
/* Whether decodebin finds an H.264 decoder (avdec_h264, openh264dec...). */
static gboolean
have_h264_decoder (void)
{
  GList *all = gst_element_factory_list_get_elements
      (GST_ELEMENT_FACTORY_TYPE_DECODER | GST_ELEMENT_FACTORY_TYPE_MEDIA_VIDEO,
      GST_RANK_MARGINAL);
  GstCaps *caps = gst_caps_from_string ("video/x-h264,"
      "stream-format=byte-stream,alignment=au,profile=constrained-baseline");
  GList *dec = gst_element_factory_list_filter (all, caps, GST_PAD_SINK,
      FALSE);
  gboolean found = dec != NULL;

  gst_plugin_feature_list_free (dec);
  gst_plugin_feature_list_free (all);
  gst_caps_unref (caps);
  return found;
}
#endif

int
main (int argc, char **argv)
{
  GString *missing = g_string_new (NULL);

  gst_check_init (&argc, &argv);
  for (gint i = 0; needed[i]; i++) {
    GstElementFactory *f = gst_element_factory_find (needed[i]);

    if (f)
      gst_object_unref (f);
    else
      g_string_append_printf (missing, " %s", needed[i]);
  }
#ifdef HAVE_GST_RTSP_SERVER
  if (!have_h264_decoder ())
    g_string_append (missing, " (an H.264 decoder)");
#endif
  if (missing->len > 0) {
    g_print ("SKIP: elements not installed:%s\n", missing->str);
    g_string_free (missing, TRUE);
    return 77;
  }
  g_string_free (missing, TRUE);
  return gst_check_run_suite (pipelines_suite (), "pipelines", __FILE__);
}
