/* SPDX-License-Identifier: LGPL-2.1-or-later */
/**
 * SECTION:element-detectionjson
 * @title: detectionjson
 *
 * A pass-through element that writes the detections of each frame as one
 * JSON object per line (JSON Lines) to a file or to stdout, in the shape
 * DL Streamer's gvametaconvert/gvametapublish write, so existing consumers
 * parse it:
 *
 * |[
 * {"timestamp":40000000,"resolution":{"width":640,"height":480},
 *  "objects":[{"x":12,"y":30,"w":100,"h":200,"roi_type":"person","id":3,
 *    "detection":{"bounding_box":{"x_min":0.01875,"y_min":0.0625,
 *                                 "x_max":0.175,"y_max":0.479166},
 *                 "confidence":0.91,"label":"person","label_id":0}}]}
 * ]|
 *
 * (shown folded; each object is on one line in the output). `timestamp` is
 * the buffer PTS in nanoseconds (left out when the buffer has none); x, y, w,
 * h are the box in frame pixels and bounding_box the same box normalised to
 * 0-1; `id` is the track id, present only on objects that objecttracker
 * tracked; `confidence`, `label` and `label_id` come from the detector.
 * Every frame gives a line, an empty `objects` array when nothing was found.
 *
 * Each line is flushed as soon as it is written, so a reader following the
 * file sees every frame and nothing is lost at EOS or on a crash later.
 * The file is opened (and truncated) when the element goes to PAUSED and
 * closed when it goes back to READY.
 *
 * With #GstDetectionJson:mqtt-uri set, each line (without its newline) is
 * also published as one MQTT message, QoS 1 by default, to the topic the URI
 * names; without a #GstDetectionJson:location it then writes no file. A
 * thread of the element's own holds the connection: the streaming thread
 * only appends to a bounded queue (#GstDetectionJson:mqtt-queue-size) and
 * never waits on the network. A message leaves the queue when the broker
 * acknowledges it; while the broker is unreachable (also when it is down
 * when the element starts, which is a warning, not an error) messages
 * queue, and the connection is retried 0.5 s after a failure, the delay
 * doubling up to 8 s. After a reconnect the unacknowledged messages are
 * published again, oldest first: delivery is at least once, so a message
 * whose acknowledgement was lost with the connection can arrive twice, but
 * never out of the order of first arrival. When the queue is full new
 * messages are dropped, with a warning on the bus that counts them (one
 * when the dropping starts, then at most one every 10 s). EOS waits up to
 * 2 s for the queue to be acknowledged, and so does going back to READY,
 * which then disconnects; what is still unacknowledged after that is lost,
 * with a warning. Only mqtt:// (no TLS) is supported; a
 * user[:password]@ in the URI is sent as the MQTT user name and password.
 *
 * The buffers pass unchanged, so the element can sit anywhere after the
 * detector, or at the end of a tee branch:
 *
 * ## Example launch line
 * |[
 * gst-launch-1.0 filesrc location=in.mp4 ! decodebin ! videoconvert ! \
 *     yolov7 model=yolov7-tiny.onnx ! objecttracker ! \
 *     detectionjson location=detections.jsonl ! fakesink
 * ]|
 * |[
 * gst-launch-1.0 v4l2src ! videoconvert ! yolov7 model=yolov7-tiny.onnx ! \
 *     tee name=t ! queue ! detectionoverlay ! videoconvert ! autovideosink \
 *     t. ! queue ! detectionjson location=- ! fakesink
 * ]|
 * |[
 * gst-launch-1.0 -e rtspsrc location=rtsp://cam1.local/stream ! decodebin ! \
 *     videoconvert ! yolov7 model=yolov7-tiny.onnx ! objecttracker ! \
 *     detectionjson mqtt-uri=mqtt://broker.local/site1/cam1/detections ! \
 *     fakesink
 * ]|
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstdetectionjson.h"
#include "gstdetectionmeta.h"
#include "mqttpublisher.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <glib/gstdio.h>
#include <gst/video/video.h>
#include <json-glib/json-glib.h>

GST_DEBUG_CATEGORY_STATIC (gst_detection_json_debug);
#define GST_CAT_DEFAULT gst_detection_json_debug

/* NULL: stdout, or no file when publishing to MQTT; "-" or "": stdout */
#define DEFAULT_LOCATION NULL
#define DEFAULT_MQTT_URI NULL
#define DEFAULT_MQTT_QOS 1
#define DEFAULT_MQTT_QUEUE_SIZE 1000
#define MAX_MQTT_QUEUE_SIZE 1000000
#define DEFAULT_MQTT_CLIENT_ID NULL

/* how long EOS and stop() wait for the broker's acknowledgements */
#define MQTT_FLUSH_TIMEOUT (2 * G_USEC_PER_SEC)
/* drop warnings after the first of an outage come at most this often */
#define MQTT_DROP_WARNING_INTERVAL (10 * G_USEC_PER_SEC)

enum
{
  PROP_0,
  PROP_LOCATION,
  PROP_MQTT_URI,
  PROP_MQTT_QOS,
  PROP_MQTT_QUEUE_SIZE,
  PROP_MQTT_CLIENT_ID,
};

struct _GstDetectionJson
{
  GstBaseTransform parent;

  /* properties, under the object lock */
  gchar *location;
  gchar *mqtt_uri;
  gint mqtt_qos;
  guint mqtt_queue_size;
  gchar *mqtt_client_id;

  /* stream state, streaming thread (and start/stop) only */
  FILE *file;                   /* NULL when only publishing to MQTT */
  gboolean is_stdout;
  gchar *path;                  /* the location the file was opened from */
  gint width, height;
  JsonGenerator *generator;
#ifdef HAVE_MOSQUITTO
  MqttPublisher *mqtt;
  gchar *broker;                /* host:port, for messages */
  guint queue_size;
  guint drop_connections;       /* connections made by the last drop */
  guint64 dropped;              /* messages dropped since then */
  gint64 drop_warned_at;        /* the last drop warning, 0: none yet */
#endif
};

static GstStaticPadTemplate sink_template = GST_STATIC_PAD_TEMPLATE ("sink",
    GST_PAD_SINK, GST_PAD_ALWAYS, GST_STATIC_CAPS ("video/x-raw(ANY)"));
static GstStaticPadTemplate src_template = GST_STATIC_PAD_TEMPLATE ("src",
    GST_PAD_SRC, GST_PAD_ALWAYS, GST_STATIC_CAPS ("video/x-raw(ANY)"));

G_DEFINE_TYPE (GstDetectionJson, gst_detection_json, GST_TYPE_BASE_TRANSFORM);
GST_ELEMENT_REGISTER_DEFINE (detectionjson, "detectionjson",
    GST_RANK_NONE, GST_TYPE_DETECTION_JSON);

static gboolean
location_is_stdout (const gchar * location)
{
  return !location || !*location || g_strcmp0 (location, "-") == 0;
}

/* The MQTT properties, like the file, only take effect at start. */
static gboolean
mutable_now (GstDetectionJson * self, GParamSpec * pspec)
{
  if (GST_STATE (self) <= GST_STATE_READY)
    return TRUE;
  GST_WARNING_OBJECT (self, "%s can only be changed in the NULL or READY "
      "state", pspec->name);
  return FALSE;
}

static void
gst_detection_json_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec)
{
  GstDetectionJson *self = GST_DETECTION_JSON (object);

  switch (prop_id) {
    case PROP_LOCATION:
      GST_OBJECT_LOCK (self);
      /* the file is opened in start: a new name only takes effect then */
      if (mutable_now (self, pspec)) {
        g_free (self->location);
        self->location = g_value_dup_string (value);
      }
      GST_OBJECT_UNLOCK (self);
      break;
    case PROP_MQTT_URI:
      GST_OBJECT_LOCK (self);
      if (mutable_now (self, pspec)) {
        g_free (self->mqtt_uri);
        self->mqtt_uri = g_value_dup_string (value);
      }
      GST_OBJECT_UNLOCK (self);
      break;
    case PROP_MQTT_QOS:
      GST_OBJECT_LOCK (self);
      if (mutable_now (self, pspec))
        self->mqtt_qos = g_value_get_int (value);
      GST_OBJECT_UNLOCK (self);
      break;
    case PROP_MQTT_QUEUE_SIZE:
      GST_OBJECT_LOCK (self);
      if (mutable_now (self, pspec))
        self->mqtt_queue_size = g_value_get_uint (value);
      GST_OBJECT_UNLOCK (self);
      break;
    case PROP_MQTT_CLIENT_ID:
      GST_OBJECT_LOCK (self);
      if (mutable_now (self, pspec)) {
        g_free (self->mqtt_client_id);
        self->mqtt_client_id = g_value_dup_string (value);
      }
      GST_OBJECT_UNLOCK (self);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
}

static void
gst_detection_json_get_property (GObject * object, guint prop_id,
    GValue * value, GParamSpec * pspec)
{
  GstDetectionJson *self = GST_DETECTION_JSON (object);

  switch (prop_id) {
    case PROP_LOCATION:
      GST_OBJECT_LOCK (self);
      g_value_set_string (value, self->location);
      GST_OBJECT_UNLOCK (self);
      break;
    case PROP_MQTT_URI:
      GST_OBJECT_LOCK (self);
      g_value_set_string (value, self->mqtt_uri);
      GST_OBJECT_UNLOCK (self);
      break;
    case PROP_MQTT_QOS:
      GST_OBJECT_LOCK (self);
      g_value_set_int (value, self->mqtt_qos);
      GST_OBJECT_UNLOCK (self);
      break;
    case PROP_MQTT_QUEUE_SIZE:
      GST_OBJECT_LOCK (self);
      g_value_set_uint (value, self->mqtt_queue_size);
      GST_OBJECT_UNLOCK (self);
      break;
    case PROP_MQTT_CLIENT_ID:
      GST_OBJECT_LOCK (self);
      g_value_set_string (value, self->mqtt_client_id);
      GST_OBJECT_UNLOCK (self);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
}

static void
gst_detection_json_finalize (GObject * object)
{
  GstDetectionJson *self = GST_DETECTION_JSON (object);

  g_free (self->location);
  g_free (self->mqtt_uri);
  g_free (self->mqtt_client_id);
  G_OBJECT_CLASS (gst_detection_json_parent_class)->finalize (object);
}

#ifdef HAVE_MOSQUITTO
/* Runs on the publisher's thread: tells the application about outages. */
static void
gst_detection_json_mqtt_notify (MqttEvent event, const gchar * detail,
    gpointer user_data)
{
  GstDetectionJson *self = GST_DETECTION_JSON (user_data);

  switch (event) {
    case MQTT_EVENT_CONNECTED:
      GST_INFO_OBJECT (self, "connected to the MQTT broker %s", self->broker);
      break;
    case MQTT_EVENT_CONNECT_FAILED:
      GST_ELEMENT_WARNING (self, RESOURCE, OPEN_WRITE,
          ("Could not connect to the MQTT broker %s; queueing up to %u "
              "messages and retrying.", self->broker, self->queue_size),
          ("%s", detail));
      break;
    case MQTT_EVENT_CONNECTION_LOST:
      GST_ELEMENT_WARNING (self, RESOURCE, WRITE,
          ("Lost the connection to the MQTT broker %s; queueing up to %u "
              "messages and reconnecting.", self->broker, self->queue_size),
          ("%s", detail));
      break;
  }
}

static gboolean
gst_detection_json_start_mqtt (GstDetectionJson * self, const MqttUri * uri,
    const gchar * client_id, gint qos, guint queue_size)
{
  gchar *id = client_id && *client_id ? g_strdup (client_id) :
      g_strdup_printf ("detectionjson-%08x", g_random_int ());

  /* read by the publisher's thread, so set before it starts */
  self->broker = g_strdup_printf ("%s:%d", uri->host, uri->port);
  self->queue_size = queue_size;
  self->drop_connections = 0;
  self->dropped = 0;
  self->drop_warned_at = 0;
  self->mqtt = mqtt_publisher_new (uri, id, qos, queue_size,
      gst_detection_json_mqtt_notify, self);
  if (!self->mqtt)
    goto no_publisher;
  GST_DEBUG_OBJECT (self, "publishing to %s topic %s as %s, QoS %d",
      self->broker, uri->topic, id, qos);
  g_free (id);
  return TRUE;

  /* ERRORS */
no_publisher:
  {
    GST_ELEMENT_ERROR (self, LIBRARY, INIT,
        ("Could not start the MQTT publisher thread."), (NULL));
    g_clear_pointer (&self->broker, g_free);
    g_free (id);
    return FALSE;
  }
}

/* Queues one frame's message; counts and reports what a full queue drops. */
static void
gst_detection_json_publish (GstDetectionJson * self, gchar * line)
{
  guint connections;
  gint64 now;

  if (mqtt_publisher_push (self->mqtt, line))
    return;
  /* a connection accepted since the last drop: a new outage */
  connections = mqtt_publisher_connections (self->mqtt);
  if (connections != self->drop_connections) {
    self->drop_connections = connections;
    self->dropped = 0;
    self->drop_warned_at = 0;
  }
  self->dropped++;
  now = g_get_monotonic_time ();
  if (self->drop_warned_at == 0
      || now - self->drop_warned_at >= MQTT_DROP_WARNING_INTERVAL) {
    self->drop_warned_at = now;
    GST_ELEMENT_WARNING (self, RESOURCE, WRITE,
        ("The MQTT queue is full (%u messages wait for the broker %s): "
            "%" G_GUINT64_FORMAT " message(s) dropped in this outage so far.",
            self->queue_size, self->broker, self->dropped), (NULL));
  }
}
#endif /* HAVE_MOSQUITTO */

static gboolean
gst_detection_json_start (GstBaseTransform * trans)
{
  GstDetectionJson *self = GST_DETECTION_JSON (trans);
  gchar *location, *mqtt_uri, *client_id, *problem = NULL;
  MqttUri uri = { NULL, 0, NULL, NULL, NULL };
  gint qos;
  guint queue_size;
  gboolean ok = FALSE;

  GST_OBJECT_LOCK (self);
  location = g_strdup (self->location);
  mqtt_uri = g_strdup (self->mqtt_uri);
  client_id = g_strdup (self->mqtt_client_id);
  qos = self->mqtt_qos;
  queue_size = self->mqtt_queue_size;
  GST_OBJECT_UNLOCK (self);

  /* checked before the file is truncated */
  if (mqtt_uri && !mqtt_uri_parse (mqtt_uri, &uri, &problem))
    goto bad_uri;
#ifndef HAVE_MOSQUITTO
  if (mqtt_uri)
    goto no_mqtt;
#endif

  /* The sink pad takes buffers as soon as it is active, before this runs:
   * hold the streaming thread off until the file and generator exist. */
  GST_PAD_STREAM_LOCK (trans->sinkpad);
  if (mqtt_uri && !location) {
    self->file = NULL;
    self->is_stdout = FALSE;
  } else if (location_is_stdout (location)) {
    self->file = stdout;
    self->is_stdout = TRUE;
    self->path = g_strdup ("stdout");
  } else {
    self->file = g_fopen (location, "wb");
    if (!self->file)
      goto open_failed;
    self->is_stdout = FALSE;
    self->path = g_strdup (location);
  }
#ifdef HAVE_MOSQUITTO
  if (mqtt_uri && !gst_detection_json_start_mqtt (self, &uri, client_id, qos,
          queue_size))
    goto mqtt_failed;
#else
  (void) qos;
  (void) queue_size;
#endif
  self->width = self->height = 0;
  self->generator = json_generator_new ();
  GST_PAD_STREAM_UNLOCK (trans->sinkpad);
  GST_DEBUG_OBJECT (self, "writing to %s%s%s", self->path ? self->path :
      "no file", mqtt_uri ? ", publishing to " : "", mqtt_uri ? mqtt_uri : "");
  ok = TRUE;

done:
  mqtt_uri_clear (&uri);
  g_free (location);
  g_free (mqtt_uri);
  g_free (client_id);
  g_free (problem);
  return ok;

  /* ERRORS */
bad_uri:
  {
    GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS,
        ("Invalid mqtt-uri: %s.", problem), (NULL));
    goto done;
  }
#ifndef HAVE_MOSQUITTO
no_mqtt:
  {
    GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS,
        ("mqtt-uri is set, but this detectionjson was built without MQTT "
            "support (libmosquitto)."), (NULL));
    goto done;
  }
#else
mqtt_failed:
  {
    if (self->file && !self->is_stdout)
      fclose (self->file);
    self->file = NULL;
    self->is_stdout = FALSE;
    g_clear_pointer (&self->path, g_free);
    GST_PAD_STREAM_UNLOCK (trans->sinkpad);
    goto done;
  }
#endif
open_failed:
  {
    GST_PAD_STREAM_UNLOCK (trans->sinkpad);
    GST_ELEMENT_ERROR (self, RESOURCE, OPEN_WRITE,
        ("Could not open file \"%s\" for writing.", location),
        GST_ERROR_SYSTEM);
    goto done;
  }
}

static gboolean
gst_detection_json_stop (GstBaseTransform * trans)
{
  GstDetectionJson *self = GST_DETECTION_JSON (trans);
  gboolean ret = TRUE;

#ifdef HAVE_MOSQUITTO
  if (self->mqtt) {
    guint left;

    /* a bounded wait for what the broker has not acknowledged yet */
    mqtt_publisher_flush (self->mqtt, MQTT_FLUSH_TIMEOUT);
    left = mqtt_publisher_free (self->mqtt);
    self->mqtt = NULL;
    if (left > 0)
      GST_ELEMENT_WARNING (self, RESOURCE, WRITE,
          ("%u MQTT message(s) were not acknowledged by the broker %s "
              "within %d s of stopping and are lost.", left, self->broker,
              (gint) (MQTT_FLUSH_TIMEOUT / G_USEC_PER_SEC)), (NULL));
    g_clear_pointer (&self->broker, g_free);
  }
#endif
  if (self->file && !self->is_stdout && fclose (self->file) != 0) {
    GST_ELEMENT_ERROR (self, RESOURCE, CLOSE,
        ("Could not close file \"%s\".", self->path), GST_ERROR_SYSTEM);
    ret = FALSE;
  } else if (self->file && self->is_stdout) {
    fflush (self->file);
  }
  self->file = NULL;
  self->is_stdout = FALSE;
  g_clear_pointer (&self->path, g_free);
  g_clear_object (&self->generator);
  return ret;
}

static gboolean
gst_detection_json_sink_event (GstBaseTransform * trans, GstEvent * event)
{
#ifdef HAVE_MOSQUITTO
  GstDetectionJson *self = GST_DETECTION_JSON (trans);

  /* so that gst-launch-1.0 -e delivers the last frames before it exits */
  if (GST_EVENT_TYPE (event) == GST_EVENT_EOS && self->mqtt
      && !mqtt_publisher_flush (self->mqtt, MQTT_FLUSH_TIMEOUT))
    GST_WARNING_OBJECT (self, "EOS: MQTT messages still unacknowledged "
        "after %d s", (gint) (MQTT_FLUSH_TIMEOUT / G_USEC_PER_SEC));
#endif
  return GST_BASE_TRANSFORM_CLASS (gst_detection_json_parent_class)->sink_event
      (trans, event);
}

static gboolean
gst_detection_json_set_caps (GstBaseTransform * trans, GstCaps * incaps,
    GstCaps * outcaps)
{
  GstDetectionJson *self = GST_DETECTION_JSON (trans);
  GstStructure *s = gst_caps_get_structure (incaps, 0);
  gint w = 0, h = 0;

  (void) outcaps;
  /* only the size is needed: read it without requiring a known format */
  if (!gst_structure_get_int (s, "width", &w)
      || !gst_structure_get_int (s, "height", &h) || w <= 0 || h <= 0)
    goto no_size;
  self->width = w;
  self->height = h;
  return TRUE;

  /* ERRORS */
no_size:
  {
    GST_WARNING_OBJECT (self, "caps without a frame size: %" GST_PTR_FORMAT,
        incaps);
    return FALSE;
  }
}

static void
add_object (JsonBuilder * b, const GstDetectionEntry * e, gint fw, gint fh)
{
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "x");
  json_builder_add_int_value (b, e->x);
  json_builder_set_member_name (b, "y");
  json_builder_add_int_value (b, e->y);
  json_builder_set_member_name (b, "w");
  json_builder_add_int_value (b, e->w);
  json_builder_set_member_name (b, "h");
  json_builder_add_int_value (b, e->h);
  if (e->type) {
    json_builder_set_member_name (b, "roi_type");
    json_builder_add_string_value (b, e->type);
  }
  if (e->track_id >= 0) {
    json_builder_set_member_name (b, "id");
    json_builder_add_int_value (b, e->track_id);
  }

  json_builder_set_member_name (b, "detection");
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "bounding_box");
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "x_min");
  json_builder_add_double_value (b, (gdouble) e->x / fw);
  json_builder_set_member_name (b, "y_min");
  json_builder_add_double_value (b, (gdouble) e->y / fh);
  json_builder_set_member_name (b, "x_max");
  json_builder_add_double_value (b, ((gdouble) e->x + e->w) / fw);
  json_builder_set_member_name (b, "y_max");
  json_builder_add_double_value (b, ((gdouble) e->y + e->h) / fh);
  json_builder_end_object (b);
  if (e->has_detection) {
    json_builder_set_member_name (b, "confidence");
    json_builder_add_double_value (b, e->confidence);
  }
  if (e->label) {
    json_builder_set_member_name (b, "label");
    json_builder_add_string_value (b, e->label);
  }
  /* an ODMtd of another element has a type but no class index */
  if (e->has_detection && (e->roi || e->label_id >= 0)) {
    json_builder_set_member_name (b, "label_id");
    json_builder_add_int_value (b, e->label_id);
  }
  json_builder_end_object (b);

  json_builder_end_object (b);
}

static gchar *
gst_detection_json_frame_to_string (GstDetectionJson * self, GstBuffer * buf)
{
  JsonBuilder *b = json_builder_new ();
  JsonNode *root;
  GArray *entries = gst_detection_meta_collect (buf);
  gchar *line;
  gint fw = self->width > 0 ? self->width : 1;
  gint fh = self->height > 0 ? self->height : 1;

  json_builder_begin_object (b);
  if (GST_BUFFER_PTS_IS_VALID (buf)) {
    json_builder_set_member_name (b, "timestamp");
    json_builder_add_int_value (b, (gint64) GST_BUFFER_PTS (buf));
  }
  json_builder_set_member_name (b, "resolution");
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "width");
  json_builder_add_int_value (b, self->width);
  json_builder_set_member_name (b, "height");
  json_builder_add_int_value (b, self->height);
  json_builder_end_object (b);

  json_builder_set_member_name (b, "objects");
  json_builder_begin_array (b);
  for (guint i = 0; i < entries->len; i++)
    add_object (b, &g_array_index (entries, GstDetectionEntry, i), fw, fh);
  g_array_unref (entries);
  json_builder_end_array (b);
  json_builder_end_object (b);

  root = json_builder_get_root (b);
  json_generator_set_root (self->generator, root);
  line = json_generator_to_data (self->generator, NULL);
  json_generator_set_root (self->generator, NULL);
  json_node_unref (root);
  g_object_unref (b);
  return line;
}

static GstFlowReturn
gst_detection_json_transform_ip (GstBaseTransform * trans, GstBuffer * buf)
{
  GstDetectionJson *self = GST_DETECTION_JSON (trans);
  gchar *line;
  gsize len;

  if (G_UNLIKELY (!self->generator)) {
    /* a buffer that raced start() on an activating pad: no line for it */
    GST_DEBUG_OBJECT (self, "not started yet, refusing %" GST_PTR_FORMAT, buf);
    return GST_FLOW_FLUSHING;
  }

  line = gst_detection_json_frame_to_string (self, buf);
  len = strlen (line);
  /* one line per frame, flushed at once: nothing waits for EOS */
  if (self->file && (fwrite (line, 1, len, self->file) != len
          || fputc ('\n', self->file) == EOF || fflush (self->file) != 0))
    goto write_failed;
#ifdef HAVE_MOSQUITTO
  /* the same line, without its newline, is the message */
  if (self->mqtt) {
    gst_detection_json_publish (self, line);
    line = NULL;
  }
#endif
  g_free (line);
  return GST_FLOW_OK;

  /* ERRORS */
write_failed:
  {
    g_free (line);
    GST_ELEMENT_ERROR (self, RESOURCE, WRITE,
        ("Could not write to file \"%s\".", self->path), GST_ERROR_SYSTEM);
    return GST_FLOW_ERROR;
  }
}

static void
gst_detection_json_class_init (GstDetectionJsonClass * klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);
  GstBaseTransformClass *trans_class = GST_BASE_TRANSFORM_CLASS (klass);

  GST_DEBUG_CATEGORY_INIT (gst_detection_json_debug, "detectionjson", 0,
      "Writes detections as JSON Lines");

  gobject_class->set_property = gst_detection_json_set_property;
  gobject_class->get_property = gst_detection_json_get_property;
  gobject_class->finalize = gst_detection_json_finalize;

  /**
   * GstDetectionJson:location:
   *
   * The file the JSON Lines go to, truncated when the element starts; "-"
   * or an empty string write to stdout. NULL (the default) writes to stdout
   * too, unless #GstDetectionJson:mqtt-uri is set: then no file is written.
   * It can only be changed in the NULL or READY state.
   *
   * |[
   * gst-launch-1.0 videotestsrc num-buffers=50 ! videoconvert ! \
   *     yolov7 model=yolov7-tiny.onnx ! detectionjson location=out.jsonl ! \
   *     fakesink
   * ]|
   */
  g_object_class_install_property (gobject_class, PROP_LOCATION,
      g_param_spec_string ("location", "Location",
          "File to write the JSON Lines to (\"-\" for stdout; unset: stdout, "
          "or no file when mqtt-uri is set)",
          DEFAULT_LOCATION, G_PARAM_READWRITE | GST_PARAM_MUTABLE_READY |
          G_PARAM_STATIC_STRINGS));

  /**
   * GstDetectionJson:mqtt-uri:
   *
   * Publish each frame's JSON line (without the newline) as one MQTT
   * message: mqtt://[user[:password]@]host[:port]/topic, port 1883 when
   * left out, the topic being the path without its leading '/'. Another
   * scheme, an empty host or topic, a bad port or a wildcard ('+', '#') in
   * the topic fail the change to PAUSED with an error naming the problem.
   * NULL (the default) publishes nothing. An unreachable broker is not an
   * error: messages queue (#GstDetectionJson:mqtt-queue-size) and the
   * connection is retried. NULL or READY state only.
   *
   * |[
   * gst-launch-1.0 -e videotestsrc num-buffers=100 ! videoconvert ! \
   *     yolov7 model=yolov7-tiny.onnx ! objecttracker ! \
   *     detectionjson mqtt-uri=mqtt://127.0.0.1:1883/site1/cam1/detections ! \
   *     fakesink
   * ]|
   */
  g_object_class_install_property (gobject_class, PROP_MQTT_URI,
      g_param_spec_string ("mqtt-uri", "MQTT URI",
          "Also publish each line to mqtt://host[:port]/topic (NULL: off)",
          DEFAULT_MQTT_URI, G_PARAM_READWRITE | GST_PARAM_MUTABLE_READY |
          G_PARAM_STATIC_STRINGS));

  /**
   * GstDetectionJson:mqtt-qos:
   *
   * The MQTT quality of service of the messages: 0 sends each once and
   * forgets it (lost with a broken connection), 1 (the default) keeps it
   * until the broker's PUBACK and sends it again after a reconnect (at
   * least once), 2 keeps it until PUBCOMP. NULL or READY state only.
   *
   * |[
   * gst-launch-1.0 ... ! detectionjson mqtt-uri=mqtt://broker/cams/front \
   *     mqtt-qos=0 ! fakesink
   * ]|
   */
  g_object_class_install_property (gobject_class, PROP_MQTT_QOS,
      g_param_spec_int ("mqtt-qos", "MQTT QoS",
          "MQTT quality of service of the messages (0, 1 or 2)", 0, 2,
          DEFAULT_MQTT_QOS, G_PARAM_READWRITE | GST_PARAM_MUTABLE_READY |
          G_PARAM_STATIC_STRINGS));

  /**
   * GstDetectionJson:mqtt-queue-size:
   *
   * How many messages wait for the broker's acknowledgement at most, sent
   * or not (1-1000000). While the broker is away they queue; when the
   * queue is full each new message is dropped and a warning on the bus
   * counts them (at the first drop of an outage, then at most every 10 s).
   * The default, 1000, holds 40 s of a 25 fps camera. NULL or READY state
   * only.
   *
   * |[
   * gst-launch-1.0 ... ! detectionjson mqtt-uri=mqtt://broker/cams/front \
   *     mqtt-queue-size=10000 ! fakesink
   * ]|
   */
  g_object_class_install_property (gobject_class, PROP_MQTT_QUEUE_SIZE,
      g_param_spec_uint ("mqtt-queue-size", "MQTT queue size",
          "Most messages kept while the broker has not acknowledged them",
          1, MAX_MQTT_QUEUE_SIZE, DEFAULT_MQTT_QUEUE_SIZE,
          G_PARAM_READWRITE | GST_PARAM_MUTABLE_READY |
          G_PARAM_STATIC_STRINGS));

  /**
   * GstDetectionJson:mqtt-client-id:
   *
   * The MQTT client id; NULL or empty (the default) makes a random one,
   * "detectionjson-" and 8 hex digits, when the element starts. Two clients
   * with the same id throw each other off the broker: give each element
   * its own. NULL or READY state only.
   *
   * |[
   * gst-launch-1.0 ... ! detectionjson mqtt-uri=mqtt://broker/cams/front \
   *     mqtt-client-id=front-door ! fakesink
   * ]|
   */
  g_object_class_install_property (gobject_class, PROP_MQTT_CLIENT_ID,
      g_param_spec_string ("mqtt-client-id", "MQTT client id",
          "MQTT client id (NULL: a random one)", DEFAULT_MQTT_CLIENT_ID,
          G_PARAM_READWRITE | GST_PARAM_MUTABLE_READY |
          G_PARAM_STATIC_STRINGS));

  gst_element_class_add_static_pad_template (element_class, &sink_template);
  gst_element_class_add_static_pad_template (element_class, &src_template);
  gst_element_class_set_static_metadata (element_class,
      "Detection JSON writer", "Filter/Analyzer/Video",
      "Writes the detections of each frame as one JSON object per line "
      "(DL Streamer's gvametaconvert layout); buffers pass unchanged",
      "yolov7-opencl");

  trans_class->start = GST_DEBUG_FUNCPTR (gst_detection_json_start);
  trans_class->stop = GST_DEBUG_FUNCPTR (gst_detection_json_stop);
  trans_class->set_caps = GST_DEBUG_FUNCPTR (gst_detection_json_set_caps);
  trans_class->sink_event = GST_DEBUG_FUNCPTR (gst_detection_json_sink_event);
  trans_class->transform_ip =
      GST_DEBUG_FUNCPTR (gst_detection_json_transform_ip);
  trans_class->transform_ip_on_passthrough = TRUE;
}

static void
gst_detection_json_init (GstDetectionJson * self)
{
  self->location = g_strdup (DEFAULT_LOCATION);
  self->mqtt_uri = g_strdup (DEFAULT_MQTT_URI);
  self->mqtt_qos = DEFAULT_MQTT_QOS;
  self->mqtt_queue_size = DEFAULT_MQTT_QUEUE_SIZE;
  self->mqtt_client_id = g_strdup (DEFAULT_MQTT_CLIENT_ID);
  gst_base_transform_set_passthrough (GST_BASE_TRANSFORM (self), TRUE);
  gst_base_transform_set_in_place (GST_BASE_TRANSFORM (self), TRUE);
}
