/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* rtsp-reconnect.c: detections of an RTSP camera that keep coming when the
 * camera, its server or the network goes away for a while.
 *
 *   rtsp-reconnect --model yolov7-tiny.onnx --input rtsp://cam/stream \
 *       [--json detections.jsonl] [--output annotated.mkv]
 *
 * The pipeline has two parts.  The source bin
 *
 *   [ rtspsrc location=IN ! decodebin ! videoconvert ]
 *
 * is torn down and built again whenever the stream stops; the rest
 *
 *   queue ! videoscale ! capsfilter ! yolov7 model=M [OPTIONS] ! objecttracker !
 *   detectionjson location=JSON ! fakesink
 *   (--output: ... detectionjson ! detectionoverlay ! videoconvert ! x264enc !
 *    matroskamux ! filesink location=OUT)
 *
 * keeps running, so the model stays loaded and the JSON Lines file (stdout
 * by default) and the video file are written on without a break.
 *
 * A probe on the source bin's output notes the arrival of each frame.  The
 * source is restarted when it posts an error, when its stream ends, when no
 * frame came for --stall-timeout ms, or when none came within
 * CONNECT_TIMEOUT_MS of a start.  Attempts are spaced by a delay that
 * starts at MIN_RETRY_MS and doubles up to --max-retry-delay ms, back to the
 * start once frames flow again.
 *
 * The probe also makes the pieces one stream for the downstream part: only
 * the first stream-start and segment go through (a TIME segment from 0);
 * each frame's PTS is the source's running time moved so that a source's
 * first frame is stamped with the pipeline clock's running time at its
 * arrival: timestamps keep increasing across reconnects and the gap in them
 * is the outage.  The first frame after a reconnect is marked DISCONT.
 * objecttracker is not flushed: an object still in view after a short
 * outage keeps its track id.
 * Every connection is scaled to the frame size of the first one, so the
 * encoder and the muxer never see a size change.
 *
 * Log lines go to stderr.  SIGINT or SIGTERM stops the source and sends EOS
 * through the rest, so the files are complete; a second signal quits at
 * once. */
#include <stdlib.h>
#include <string.h>

#include <glib-unix.h>
#include <gst/gst.h>

#define DEFAULT_LATENCY 200
#define DEFAULT_PROTOCOLS "tcp"
#define DEFAULT_STALL_TIMEOUT 2000
#define DEFAULT_MAX_RETRY_DELAY 2000
#define MIN_RETRY_MS 500
/* a start that gives no frame within this is given up (a black-holed
 * connection would otherwise wait for rtspsrc's own 20 s TCP timeout) */
#define CONNECT_TIMEOUT_MS 5000
#define WATCHDOG_PERIOD_MS 200
/* how long the downstream part may take to finish after a stop */
#define EOS_TIMEOUT_S 10

typedef struct
{
  /* settings */
  gchar *location;
  gchar *protocols;
  guint latency;
  guint stall_timeout;
  guint max_retry_delay;

  GstElement *pipeline;
  GstClock *clock;
  GstPad *head;                 /* where the source bin links: the queue's sink */
  GstElement *size_filter;
  GMainLoop *loop;
  int exit_code;

  /* main thread only */
  GstElement *source;           /* the current source bin, NULL between attempts */
  guint n_sources;
  gint64 source_started;        /* monotonic us */
  gint64 outage_since;          /* last frame before the outage, 0: none */
  guint retry_delay;
  guint attempts;
  guint retry_id, watchdog_id;
  gboolean stopping;

  /* shared with the source's streaming thread, under lock */
  GMutex lock;
  gint64 last_frame;            /* monotonic us, 0: none yet from this source */
  GstSegment segment;           /* the current source's segment */
  GstClockTimeDiff offset;      /* source running time -> output PTS */
  gboolean offset_set;
  GstClockTime last_pts;        /* of the last frame sent on */
  gboolean started;             /* stream-start and segment went downstream */
  gboolean size_fixed;
  gboolean reconnected;         /* the current source is not the first one */
} App;

static void source_lost (App * app, const gchar * why);

static GstElement *
make (const gchar * factory, GError ** err)
{
  GstElement *e = gst_element_factory_make (factory, NULL);

  if (!e)
    g_set_error (err, GST_CORE_ERROR, GST_CORE_ERROR_MISSING_PLUGIN,
        "GStreamer element '%s' not found (is its plugin installed?)",
        factory);
  return e;
}

/* Set a property from its string form ("conf-threshold=0.4"), with an error
 * naming what is wrong instead of a silent g_warning. */
static gboolean
set_from_string (GstElement * e, const gchar * name, const gchar * value,
    GError ** err)
{
  GParamSpec *pspec =
      g_object_class_find_property (G_OBJECT_GET_CLASS (e), name);
  GValue v = G_VALUE_INIT;
  const gchar *what = GST_OBJECT_NAME (gst_element_get_factory (e));

  if (!pspec || !(pspec->flags & G_PARAM_WRITABLE))
    goto no_property;
  g_value_init (&v, pspec->value_type);
  if (!gst_value_deserialize (&v, value))
    goto bad_value;
  g_object_set_property (G_OBJECT (e), name, &v);
  g_value_unset (&v);
  return TRUE;

  /* ERRORS */
no_property:
  {
    g_set_error (err, GST_CORE_ERROR, GST_CORE_ERROR_FAILED,
        "%s has no writable property '%s'", what, name);
    return FALSE;
  }
bad_value:
  {
    g_set_error (err, GST_CORE_ERROR, GST_CORE_ERROR_FAILED,
        "bad value '%s' for %s's %s (a %s)", value, what, name,
        g_type_name (pspec->value_type));
    g_value_unset (&v);
    return FALSE;
  }
}

/* "name=value name=value ..." */
static gboolean
set_options (GstElement * e, const gchar * options, GError ** err)
{
  gchar **items = g_strsplit_set (options, " \t", -1);
  gboolean ok = TRUE;

  for (gint i = 0; ok && items[i]; i++) {
    gchar *eq = strchr (items[i], '=');

    if (!items[i][0])
      continue;
    if (!eq || eq == items[i]) {
      g_set_error (err, GST_CORE_ERROR, GST_CORE_ERROR_FAILED,
          "'%s' is not name=value", items[i]);
      ok = FALSE;
      break;
    }
    *eq = '\0';
    ok = set_from_string (e, items[i], eq + 1, err);
  }
  g_strfreev (items);
  return ok;
}

static GstClockTime
running_time_now (App * app)
{
  GstClockTime now = gst_clock_get_time (app->clock);
  GstClockTime base = gst_element_get_base_time (app->pipeline);

  return now > base ? now - base : 0;
}

static void
post_to_app (GstElement * bin, const gchar * what)
{
  gst_element_post_message (bin, gst_message_new_application (GST_OBJECT
          (bin), gst_structure_new_empty (what)));
}

/* The first frame size is kept for every later connection. */
static void
fix_size (App * app, GstEvent * event)
{
  GstCaps *caps, *fixed;
  GstStructure *s;
  gint w, h, par_n = 1, par_d = 1;

  gst_event_parse_caps (event, &caps);
  s = gst_caps_get_structure (caps, 0);
  if (!gst_structure_get_int (s, "width", &w)
      || !gst_structure_get_int (s, "height", &h))
    return;
  gst_structure_get_fraction (s, "pixel-aspect-ratio", &par_n, &par_d);
  fixed = gst_caps_new_simple ("video/x-raw", "width", G_TYPE_INT, w,
      "height", G_TYPE_INT, h, "pixel-aspect-ratio", GST_TYPE_FRACTION, par_n,
      par_d, NULL);
  g_object_set (app->size_filter, "caps", fixed, NULL);
  gst_caps_unref (fixed);
  app->size_fixed = TRUE;
}

static GstPadProbeReturn
source_event (App * app, GstPad * pad, GstPadProbeInfo * info)
{
  GstEvent *event = GST_PAD_PROBE_INFO_EVENT (info);
  GstElement *bin = GST_ELEMENT (GST_OBJECT_PARENT (pad));
  GstPadProbeReturn ret = GST_PAD_PROBE_OK;
  const GstSegment *segment;
  GstSegment out;

  g_mutex_lock (&app->lock);
  switch (GST_EVENT_TYPE (event)) {
    case GST_EVENT_STREAM_START:
      if (app->started)
        ret = GST_PAD_PROBE_DROP;
      break;
    case GST_EVENT_CAPS:
      if (!app->size_fixed)
        fix_size (app, event);
      break;
    case GST_EVENT_SEGMENT:
      gst_event_parse_segment (event, &segment);
      if (segment->format == GST_FORMAT_TIME)
        gst_segment_copy_into (segment, &app->segment);
      else
        gst_segment_init (&app->segment, GST_FORMAT_TIME);
      if (app->started) {
        ret = GST_PAD_PROBE_DROP;
        break;
      }
      /* PTS become running time: the one segment downstream is from 0 */
      gst_segment_init (&out, GST_FORMAT_TIME);
      gst_event_unref (event);
      GST_PAD_PROBE_INFO_DATA (info) = gst_event_new_segment (&out);
      app->started = TRUE;
      break;
    case GST_EVENT_EOS:
      post_to_app (bin, "source-ended");
      ret = GST_PAD_PROBE_DROP;
      break;
    case GST_EVENT_FLUSH_START:
    case GST_EVENT_FLUSH_STOP:
    case GST_EVENT_GAP:
      /* the downstream part keeps its queue and its segment */
      ret = GST_PAD_PROBE_DROP;
      break;
    default:
      break;
  }
  g_mutex_unlock (&app->lock);
  return ret;
}

static GstPadProbeReturn
source_buffer (App * app, GstPad * pad, GstPadProbeInfo * info)
{
  GstBuffer *buf = GST_PAD_PROBE_INFO_BUFFER (info);
  GstElement *bin = GST_ELEMENT (GST_OBJECT_PARENT (pad));
  GstClockTime now = running_time_now (app);
  GstClockTime rt = GST_CLOCK_TIME_NONE, pts;
  gboolean first;

  g_mutex_lock (&app->lock);
  first = app->last_frame == 0;
  app->last_frame = g_get_monotonic_time ();
  if (GST_BUFFER_PTS_IS_VALID (buf))
    rt = gst_segment_to_running_time (&app->segment, GST_FORMAT_TIME,
        GST_BUFFER_PTS (buf));
  if (GST_CLOCK_TIME_IS_VALID (rt) && app->offset_set) {
    pts = (GstClockTime) ((GstClockTimeDiff) rt + app->offset);
  } else {
    /* stamped with the clock, after everything already sent; the frames
     * after it keep the source's own spacing */
    pts = now;
    if (GST_CLOCK_TIME_IS_VALID (app->last_pts) && pts <= app->last_pts)
      pts = app->last_pts + GST_MSECOND;
    if (GST_CLOCK_TIME_IS_VALID (rt)) {
      app->offset = GST_CLOCK_DIFF (rt, pts);
      app->offset_set = TRUE;
    }
  }
  if (GST_CLOCK_TIME_IS_VALID (app->last_pts) && pts <= app->last_pts) {
    /* never two lines for one time: a frame that goes back is dropped */
    g_mutex_unlock (&app->lock);
    return GST_PAD_PROBE_DROP;
  }
  app->last_pts = pts;

  buf = gst_buffer_make_writable (buf);
  GST_BUFFER_PTS (buf) = pts;
  GST_BUFFER_DTS (buf) = GST_CLOCK_TIME_NONE;
  if (first && app->reconnected)
    GST_BUFFER_FLAG_SET (buf, GST_BUFFER_FLAG_DISCONT);
  GST_PAD_PROBE_INFO_DATA (info) = buf;
  g_mutex_unlock (&app->lock);

  if (first)
    post_to_app (bin, "source-flowing");
  return GST_PAD_PROBE_OK;
}

static GstPadProbeReturn
source_probe (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  if (info->type & GST_PAD_PROBE_TYPE_BUFFER)
    return source_buffer (user_data, pad, info);
  return source_event (user_data, pad, info);
}

/* rtspsrc: set up only the video streams (no pads left unlinked) */
static gboolean
on_select_stream (GstElement * src, guint num, GstCaps * caps, gpointer data)
{
  const GstStructure *s = gst_caps_get_structure (caps, 0);

  return g_strcmp0 (gst_structure_get_string (s, "media"), "video") == 0;
}

/* rtspsrc or decodebin gave a pad: link the first fitting one to PEER */
static void
on_pad_added (GstElement * e, GstPad * pad, gpointer peer_element)
{
  GstPad *peer = gst_element_get_static_pad (peer_element, "sink");
  GstCaps *caps = gst_pad_get_current_caps (pad);
  const gchar *media;

  if (!caps)
    caps = gst_pad_query_caps (pad, NULL);
  if (gst_caps_is_empty (caps)) {
    gst_caps_unref (caps);
    gst_object_unref (peer);
    return;
  }
  media = gst_structure_get_name (gst_caps_get_structure (caps, 0));
  /* rtspsrc gives application/x-rtp, decodebin the decoded video */
  if ((g_str_equal (media, "application/x-rtp")
          || g_str_equal (media, "video/x-raw")) && !gst_pad_is_linked (peer)
      && GST_PAD_LINK_FAILED (gst_pad_link (pad, peer)))
    g_printerr ("cannot link %s:%s (%s)\n", GST_DEBUG_PAD_NAME (pad), media);
  gst_caps_unref (caps);
  gst_object_unref (peer);
}

static GstElement *
build_source (App * app, GError ** err)
{
  GstElement *bin, *src = NULL, *dec = NULL, *conv = NULL;
  GstPad *pad, *ghost;
  gchar *name;

  if (!(src = make ("rtspsrc", err)) || !(dec = make ("decodebin", err))
      || !(conv = make ("videoconvert", err)))
    goto missing;
  g_object_set (src, "location", app->location, "latency", app->latency,
      NULL);
  if (!set_from_string (src, "protocols", app->protocols, err))
    goto missing;
  g_signal_connect (src, "select-stream", G_CALLBACK (on_select_stream),
      NULL);
  g_signal_connect (src, "pad-added", G_CALLBACK (on_pad_added), dec);
  g_signal_connect (dec, "pad-added", G_CALLBACK (on_pad_added), conv);

  name = g_strdup_printf ("source%u", app->n_sources++);
  bin = gst_bin_new (name);
  g_free (name);
  /* decodebin prerolls asynchronously: without this a source that never
   * prerolls would leave the whole pipeline in PAUSED, and the next source
   * would start there and never play */
  g_object_set (bin, "async-handling", TRUE, NULL);
  gst_bin_add_many (GST_BIN (bin), src, dec, conv, NULL);
  pad = gst_element_get_static_pad (conv, "src");
  ghost = gst_ghost_pad_new ("src", pad);
  gst_object_unref (pad);
  gst_pad_add_probe (ghost, GST_PAD_PROBE_TYPE_BUFFER |
      GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM, source_probe, app, NULL);
  gst_element_add_pad (bin, ghost);
  return bin;

  /* ERRORS */
missing:
  {
    g_clear_object (&src);
    g_clear_object (&dec);
    g_clear_object (&conv);
    return NULL;
  }
}

static gboolean
start_source (App * app, GError ** err)
{
  GstElement *bin = build_source (app, err);
  GstPad *pad;
  GstPadLinkReturn link;

  if (!bin)
    return FALSE;
  g_mutex_lock (&app->lock);
  app->last_frame = 0;
  app->offset_set = FALSE;
  gst_segment_init (&app->segment, GST_FORMAT_TIME);
  app->reconnected = app->started;
  g_mutex_unlock (&app->lock);

  gst_bin_add (GST_BIN (app->pipeline), bin);
  pad = gst_element_get_static_pad (bin, "src");
  link = gst_pad_link (pad, app->head);
  gst_object_unref (pad);
  if (GST_PAD_LINK_FAILED (link))
    goto link_failed;
  app->source = bin;
  app->source_started = g_get_monotonic_time ();
  /* a failed start posts an error: the bus handler retries */
  gst_element_set_state (bin, GST_STATE_PLAYING);
  return TRUE;

  /* ERRORS */
link_failed:
  {
    g_set_error (err, GST_CORE_ERROR, GST_CORE_ERROR_NEGOTIATION,
        "cannot link the source bin (%s)", gst_pad_link_get_name (link));
    gst_bin_remove (GST_BIN (app->pipeline), bin);
    return FALSE;
  }
}

/* NULL first: once it returns, no streaming thread of the bin is left */
static void
stop_source (App * app)
{
  GstElement *bin = app->source;
  GstPad *pad;

  app->source = NULL;
  gst_element_set_state (bin, GST_STATE_NULL);
  pad = gst_element_get_static_pad (bin, "src");
  gst_pad_unlink (pad, app->head);
  gst_object_unref (pad);
  gst_bin_remove (GST_BIN (app->pipeline), bin);
}

static gboolean
retry_source (gpointer data)
{
  App *app = data;
  GError *err = NULL;

  app->retry_id = 0;
  app->attempts++;
  if (!start_source (app, &err)) {
    g_printerr ("error: %s\n", err->message);
    g_clear_error (&err);
    app->exit_code = 1;
    g_main_loop_quit (app->loop);
  }
  return G_SOURCE_REMOVE;
}

static void
source_lost (App * app, const gchar * why)
{
  gint64 now = g_get_monotonic_time (), last;

  if (app->stopping || !app->source)
    return;
  g_mutex_lock (&app->lock);
  last = app->last_frame;
  g_mutex_unlock (&app->lock);
  stop_source (app);
  if (last > 0) {
    /* frames were flowing: a new outage, back-off from the start */
    app->outage_since = last;
    app->attempts = 0;
    app->retry_delay = MIN_RETRY_MS;
    g_printerr ("stream lost: %s (last frame %.1f s ago)\n", why,
        (now - last) / 1e6);
  } else {
    g_printerr ("attempt %u failed: %s\n", app->attempts, why);
  }
  g_printerr ("retrying in %.1f s\n", app->retry_delay / 1000.0);
  app->retry_id = g_timeout_add (app->retry_delay, retry_source, app);
  app->retry_delay = MIN (app->retry_delay * 2, app->max_retry_delay);
}

static void
source_flowing (App * app)
{
  gint64 now = g_get_monotonic_time ();

  if (app->outage_since)
    g_printerr ("reconnected after %.1f s without frames (%u attempts)\n",
        (now - app->outage_since) / 1e6, app->attempts);
  else
    g_printerr ("streaming from %s\n", app->location);
  app->outage_since = 0;
  app->attempts = 0;
  app->retry_delay = MIN_RETRY_MS;
}

static gboolean
watchdog (gpointer data)
{
  App *app = data;
  gint64 now = g_get_monotonic_time (), last;
  gchar *why;

  if (!app->source)
    return G_SOURCE_CONTINUE;
  g_mutex_lock (&app->lock);
  last = app->last_frame;
  g_mutex_unlock (&app->lock);
  if (last > 0 && now - last > (gint64) app->stall_timeout * 1000) {
    why = g_strdup_printf ("no frame for %.1f s", (now - last) / 1e6);
    source_lost (app, why);
    g_free (why);
  } else if (last == 0
      && now - app->source_started > (gint64) CONNECT_TIMEOUT_MS * 1000) {
    source_lost (app, "no frame since the start");
  }
  return G_SOURCE_CONTINUE;
}

/* Errors retrying cannot cure. */
static gboolean
is_permanent (const GError * err)
{
  return g_error_matches (err, GST_CORE_ERROR, GST_CORE_ERROR_MISSING_PLUGIN)
      || g_error_matches (err, GST_STREAM_ERROR,
      GST_STREAM_ERROR_CODEC_NOT_FOUND)
      || g_error_matches (err, GST_RESOURCE_ERROR,
      GST_RESOURCE_ERROR_NOT_AUTHORIZED);
}

static void
on_error (App * app, GstMessage * msg)
{
  GError *err = NULL;
  gchar *debug = NULL;
  gboolean from_source = app->source
      && gst_object_has_as_ancestor (msg->src, GST_OBJECT (app->source));

  /* an element of a source bin already removed: that one is handled */
  if (!from_source
      && !gst_object_has_as_ancestor (msg->src, GST_OBJECT (app->pipeline)))
    return;
  gst_message_parse_error (msg, &err, &debug);
  if (from_source && !is_permanent (err)) {
    source_lost (app, err->message);
  } else {
    g_printerr ("error from %s: %s\n%s%s", GST_OBJECT_NAME (msg->src),
        err->message, debug ? debug : "", debug ? "\n" : "");
    app->exit_code = 1;
    g_main_loop_quit (app->loop);
  }
  g_clear_error (&err);
  g_free (debug);
}

static gboolean
on_bus (GstBus * bus, GstMessage * msg, gpointer data)
{
  App *app = data;
  GError *err = NULL;
  const gchar *what;

  switch (GST_MESSAGE_TYPE (msg)) {
    case GST_MESSAGE_ERROR:
      on_error (app, msg);
      break;
    case GST_MESSAGE_WARNING:
      if (app->source
          && gst_object_has_as_ancestor (msg->src, GST_OBJECT (app->source))) {
        gst_message_parse_warning (msg, &err, NULL);
        g_printerr ("warning from %s: %s\n", GST_OBJECT_NAME (msg->src),
            err->message);
        g_clear_error (&err);
      }
      break;
    case GST_MESSAGE_APPLICATION:
      /* from a bin already replaced: stale */
      if (GST_MESSAGE_SRC (msg) != GST_OBJECT (app->source))
        break;
      what = gst_structure_get_name (gst_message_get_structure (msg));
      if (g_str_equal (what, "source-flowing"))
        source_flowing (app);
      else if (g_str_equal (what, "source-ended"))
        source_lost (app, "end of stream");
      break;
    case GST_MESSAGE_LATENCY:
      gst_bin_recalculate_latency (GST_BIN (app->pipeline));
      break;
    case GST_MESSAGE_EOS:
      /* only the EOS of a stop gets through the probe */
      g_printerr ("done\n");
      g_main_loop_quit (app->loop);
      break;
    default:
      break;
  }
  return G_SOURCE_CONTINUE;
}

static gboolean
on_eos_timeout (gpointer data)
{
  App *app = data;

  g_printerr ("the pipeline did not finish in %d s: quitting\n",
      EOS_TIMEOUT_S);
  app->exit_code = 1;
  g_main_loop_quit (app->loop);
  return G_SOURCE_REMOVE;
}

static gboolean
on_signal (gpointer data)
{
  App *app = data;
  gboolean started;

  if (app->stopping) {
    g_printerr ("second signal: quitting without finishing the files\n");
    app->exit_code = 1;
    g_main_loop_quit (app->loop);
    return G_SOURCE_CONTINUE;
  }
  app->stopping = TRUE;
  if (app->retry_id)
    g_source_remove (app->retry_id);
  app->retry_id = 0;
  if (app->source)
    stop_source (app);
  g_mutex_lock (&app->lock);
  started = app->started;
  g_mutex_unlock (&app->lock);
  if (!started) {
    /* nothing was written: nothing to finish */
    g_main_loop_quit (app->loop);
    return G_SOURCE_CONTINUE;
  }
  g_printerr ("stopping: finishing the output\n");
  gst_pad_send_event (app->head, gst_event_new_eos ());
  g_timeout_add_seconds (EOS_TIMEOUT_S, on_eos_timeout, app);
  return G_SOURCE_CONTINUE;
}

/* The part that keeps running; the first six elements are the same with
 * and without --output. */
static const gchar *const plain_chain[] = { "queue", "videoscale",
  "capsfilter", "yolov7", "objecttracker", "detectionjson", "fakesink", NULL
};

static const gchar *const video_chain[] = { "queue", "videoscale",
  "capsfilter", "yolov7", "objecttracker", "detectionjson",
  "detectionoverlay", "videoconvert", "x264enc", "matroskamux", "filesink",
  NULL
};

enum
{ QUEUE, SCALE, SIZE_FILTER, DETECTOR, TRACKER, JSON, MAX_CHAIN = 11 };

static gboolean
build_downstream (App * app, const gchar * model, const gchar * options,
    const gchar * json, const gchar * output, GError ** err)
{
  const gchar *const *names = output ? video_chain : plain_chain;
  GstElement *e[MAX_CHAIN] = { NULL };
  guint n, i;

  /* added at once: the pipeline frees them on any error below */
  for (n = 0; names[n]; n++) {
    if (!(e[n] = make (names[n], err)))
      return FALSE;
    gst_bin_add (GST_BIN (app->pipeline), e[n]);
  }
  g_object_set (e[SCALE], "add-borders", TRUE, NULL);
  app->size_filter = e[SIZE_FILTER];
  g_object_set (e[DETECTOR], "model", model, NULL);
  if (options && !set_options (e[DETECTOR], options, err))
    return FALSE;
  g_object_set (e[JSON], "location", json ? json : "-", NULL);
  if (output) {
    gst_util_set_object_arg (G_OBJECT (e[n - 3]), "tune", "zerolatency");
    gst_util_set_object_arg (G_OBJECT (e[n - 3]), "speed-preset", "veryfast");
    g_object_set (e[n - 1], "location", output, NULL);
  }
  /* frames go on as they come: the source is live, the sink waits for none */
  g_object_set (e[n - 1], "sync", FALSE, "async", FALSE, NULL);
  for (i = 0; i + 1 < n; i++)
    if (!gst_element_link (e[i], e[i + 1]))
      goto link_failed;
  app->head = gst_element_get_static_pad (e[QUEUE], "sink");
  return TRUE;

  /* ERRORS */
link_failed:
  {
    g_set_error (err, GST_CORE_ERROR, GST_CORE_ERROR_NEGOTIATION,
        "cannot link %s to %s", names[i], names[i + 1]);
    return FALSE;
  }
}

static gboolean
valid_input (const gchar * input)
{
  gchar *protocol = gst_uri_get_protocol (input);
  gboolean ok = protocol && g_str_has_prefix (protocol, "rtsp")
      && gst_uri_protocol_is_supported (GST_URI_SRC, protocol);

  g_free (protocol);
  return ok;
}

/* The first error of a failed start, from the bus. */
static void
print_start_error (App * app)
{
  GstBus *bus = gst_element_get_bus (app->pipeline);
  GstMessage *msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR);
  GError *err = NULL;

  if (msg) {
    gst_message_parse_error (msg, &err, NULL);
    g_printerr ("cannot start: %s\n", err->message);
    g_clear_error (&err);
    gst_message_unref (msg);
  } else {
    g_printerr ("cannot start the pipeline\n");
  }
  gst_object_unref (bus);
}

int
main (int argc, char **argv)
{
  gchar *model = NULL, *input = NULL, *json = NULL, *output = NULL;
  gchar *options = NULL, *protocols = NULL;
  gint latency = DEFAULT_LATENCY, stall = DEFAULT_STALL_TIMEOUT;
  gint max_retry = DEFAULT_MAX_RETRY_DELAY;
  GOptionEntry entries[] = {
    {"model", 'm', 0, G_OPTION_ARG_FILENAME, &model,
        "YOLOv7 ONNX model (required)", "FILE"},
    {"input", 'i', 0, G_OPTION_ARG_STRING, &input,
        "RTSP URL of the camera (required)", "URL"},
    {"json", 'j', 0, G_OPTION_ARG_FILENAME, &json,
        "JSON Lines file of the detections (default: stdout)", "FILE"},
    {"output", 'o', 0, G_OPTION_ARG_FILENAME, &output,
        "Also write the annotated video to this Matroska file", "FILE"},
    {"detector-options", 'd', 0, G_OPTION_ARG_STRING, &options,
        "More yolov7 properties, e.g. \"conf-threshold=0.4 "
        "drop-when-busy=true\"", "PROPS"},
    {"latency", 0, 0, G_OPTION_ARG_INT, &latency,
        "rtspsrc jitter buffer in ms (default 200)", "MS"},
    {"protocols", 0, 0, G_OPTION_ARG_STRING, &protocols,
        "rtspsrc transports, e.g. tcp, udp, \"tcp+udp\" (default tcp)",
        "LIST"},
    {"stall-timeout", 0, 0, G_OPTION_ARG_INT, &stall,
        "Restart the source after this long without a frame (default 2000)",
        "MS"},
    {"max-retry-delay", 0, 0, G_OPTION_ARG_INT, &max_retry,
        "Longest wait between two attempts (default 2000; the first is "
        G_STRINGIFY (MIN_RETRY_MS) ", doubling)", "MS"},
    {NULL, 0, 0, G_OPTION_ARG_NONE, NULL, NULL, NULL}
  };
  GOptionContext *ctx;
  GError *err = NULL;
  GstBus *bus = NULL;
  App app = { 0 };

  ctx = g_option_context_new ("- detections of an RTSP stream, reconnecting");
  g_option_context_add_main_entries (ctx, entries, NULL);
  g_option_context_add_group (ctx, gst_init_get_option_group ());
  if (!g_option_context_parse (ctx, &argc, &argv, &err)) {
    g_printerr ("%s\n", err->message);
    g_clear_error (&err);
    g_option_context_free (ctx);
    return 2;
  }
  g_option_context_free (ctx);

  app.exit_code = 2;
  if (!model || !input || argc > 1) {
    g_printerr ("usage: %s --model MODEL.onnx --input rtsp://... "
        "[--json OUT.jsonl] [--output OUT.mkv]\n"
        "       (%s --help for all options)\n", argv[0], argv[0]);
    goto done;
  }
  if (latency < 0 || stall < 100 || max_retry < MIN_RETRY_MS) {
    g_printerr ("--latency must be >= 0, --stall-timeout >= 100 and "
        "--max-retry-delay >= %d\n", MIN_RETRY_MS);
    goto done;
  }
  if (!valid_input (input)) {
    g_printerr ("--input %s: not an RTSP URL (rtsp://host[:port]/path)\n",
        input);
    goto done;
  }
  app.exit_code = 1;
  if (!g_file_test (model, G_FILE_TEST_IS_REGULAR)) {
    g_printerr ("model %s: no such file\n", model);
    goto done;
  }

  app.location = input;
  app.protocols = protocols ? protocols : g_strdup (DEFAULT_PROTOCOLS);
  app.latency = latency;
  app.stall_timeout = stall;
  app.max_retry_delay = max_retry;
  app.retry_delay = MIN_RETRY_MS;
  app.last_pts = GST_CLOCK_TIME_NONE;
  g_mutex_init (&app.lock);
  gst_segment_init (&app.segment, GST_FORMAT_TIME);

  app.pipeline = gst_pipeline_new ("rtsp-reconnect");
  /* one clock for every source bin: running time goes on across restarts */
  app.clock = gst_system_clock_obtain ();
  gst_pipeline_use_clock (GST_PIPELINE (app.pipeline), app.clock);
  if (!build_downstream (&app, model, options, json, output, &err))
    goto failed;

  app.loop = g_main_loop_new (NULL, FALSE);
  bus = gst_element_get_bus (app.pipeline);
  /* loads the model: a bad one fails here, with its error on the bus */
  if (gst_element_set_state (app.pipeline, GST_STATE_PLAYING) ==
      GST_STATE_CHANGE_FAILURE) {
    print_start_error (&app);
    goto done;
  }
  gst_bus_add_watch (bus, on_bus, &app);
  if (!start_source (&app, &err))
    goto failed;
  app.watchdog_id = g_timeout_add (WATCHDOG_PERIOD_MS, watchdog, &app);
  g_unix_signal_add (SIGINT, on_signal, &app);
  g_unix_signal_add (SIGTERM, on_signal, &app);

  app.exit_code = 0;
  g_main_loop_run (app.loop);
  goto done;

failed:
  g_printerr ("error: %s\n", err->message);
  g_clear_error (&err);
done:
  if (app.pipeline) {
    gst_element_set_state (app.pipeline, GST_STATE_NULL);
    if (bus)
      gst_bus_remove_watch (bus);
    g_clear_object (&bus);
    g_clear_object (&app.head);
    gst_object_unref (app.pipeline);
    gst_object_unref (app.clock);
    g_mutex_clear (&app.lock);
  }
  if (app.loop)
    g_main_loop_unref (app.loop);
  g_free (model);
  g_free (input);
  g_free (json);
  g_free (output);
  g_free (options);
  g_free (app.protocols ? app.protocols : protocols);
  return app.exit_code;
}
