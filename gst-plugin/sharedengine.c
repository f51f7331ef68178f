/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* sharedengine.c: the process-wide registry of loaded YOLOv7 engines and
 * each instance's batching thread (see sharedengine.h). */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "sharedengine.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

GST_DEBUG_CATEGORY_STATIC (shared_engine_debug);
#define GST_CAT_DEFAULT shared_engine_debug

struct _GstSharedEngine
{
  gchar *key;
  guint users;                  /* under registry_lock */

  /* what it was loaded with, for instance-id conflicts */
  gchar *model;                 /* canonical path */
  gchar *device;
  gboolean fp16_weights;
  guint batch_size;
  guint timeout_ms;

  /* set at load, then read-only */
  gint capacity;                /* frames the engine takes a submission */
  gint n_classes;
  GstClockTime run_time;
  gchar *device_name;

  yv7_engine *engine;           /* the thread's alone once it runs */
  GThread *thread;

  /* requests, under lock; cond wakes the thread and the waiting users */
  GMutex lock;
  GCond cond;
  GQueue queue;                 /* of Request, oldest first */
  GList *members;               /* of GstSharedEngineUser */
  guint n_active;               /* members that may queue a frame soon */
  gboolean stop;
};

struct _GstSharedEngineUser
{
  GstSharedEngine *se;
  gboolean active;              /* under se->lock */
};

typedef struct
{
  GstSharedEngineUser *user;
  const yv7_frame *frame;
  const yv7_detect_params *params;
  gint64 queued;                /* monotonic µs */
  gboolean done;
  yv7_error err;                /* code YV7_OK unless its run failed */
  yv7_detection *dets;
  gint n;
} Request;

static GMutex registry_lock;
static GHashTable *registry;    /* key -> GstSharedEngine */

static yv7_status
set_error (yv7_error * err, yv7_status code, const gchar * format, ...)
    G_GNUC_PRINTF (3, 4);

static yv7_status
set_error (yv7_error * err, yv7_status code, const gchar * format, ...)
{
  va_list args;

  if (err) {
    err->code = code;
    va_start (args, format);
    g_vsnprintf (err->message, sizeof err->message, format, args);
    va_end (args);
  }
  return code;
}

/* ---- the batching thread ---- */

/* Runs `n` requests in submissions of at most the engine's batch and fills
 * in each one's result (not yet marked done). */
static void
run_batch (GstSharedEngine * se, Request ** reqs, gint n)
{
  yv7_frame frames[64];
  yv7_detect_params params[64];

  for (gint first = 0; first < n; first += se->capacity) {
    gint k = MIN (se->capacity, n - first);
    yv7_error err = { 0 };
    yv7_status s;

    for (gint i = 0; i < k; i++) {
      frames[i] = *reqs[first + i]->frame;
      params[i] = *reqs[first + i]->params;
    }
    s = yv7_engine_submit_each (se->engine, frames, k, params, &err);
    if (s == YV7_OK)
      s = yv7_engine_collect (se->engine, &err);
    for (gint i = 0; i < k; i++) {
      Request *r = reqs[first + i];
      const yv7_detection *d;

      if (s != YV7_OK) {
        r->err = err;
        continue;
      }
      d = yv7_engine_detections (se->engine, i, &r->n);
      r->dets = r->n > 0 ? g_memdup2 (d, sizeof (yv7_detection) * (gsize) r->n) : NULL;
    }
  }
}

/* After a batch timed out: the members with no frame queued are not waited
 * for again until they queue one (a stalled stream costs the others one
 * timeout, not one a frame).  Call with lock held. */
static void
mark_late_members (GstSharedEngine * se)
{
  for (GList * l = se->members; l; l = l->next) {
    GstSharedEngineUser *user = l->data;
    gboolean queued = FALSE;

    if (!user->active)
      continue;
    for (GList * q = se->queue.head; q && !queued; q = q->next)
      queued = ((Request *) q->data)->user == user;
    if (!queued) {
      GST_DEBUG ("%s: not waiting for %p until its next frame", se->key, user);
      user->active = FALSE;
      se->n_active--;
    }
  }
}

static gpointer
batch_thread (gpointer data)
{
  GstSharedEngine *se = data;
  Request *reqs[64];

  g_mutex_lock (&se->lock);
  for (;;) {
    gint64 deadline;
    guint want, n = 0;

    while (!se->stop && g_queue_is_empty (&se->queue))
      g_cond_wait (&se->cond, &se->lock);
    if (se->stop)
      break;

    /* wait for the users that are streaming, not longer than the timeout
     * counted from the oldest frame */
    deadline = ((Request *) g_queue_peek_head (&se->queue))->queued
        + (gint64) se->timeout_ms * G_TIME_SPAN_MILLISECOND;
    for (;;) {
      want = MIN (se->batch_size, MAX (se->n_active, 1));
      if (se->stop || g_queue_get_length (&se->queue) >= want)
        break;
      if (!g_cond_wait_until (&se->cond, &se->lock, deadline)) {
        mark_late_members (se);
        break;
      }
    }
    while (n < se->batch_size && !g_queue_is_empty (&se->queue))
      reqs[n++] = g_queue_pop_head (&se->queue);
    g_mutex_unlock (&se->lock);

    GST_LOG ("%s: a batch of %u frames", se->key, n);
    run_batch (se, reqs, (gint) n);

    g_mutex_lock (&se->lock);
    for (guint i = 0; i < n; i++)
      reqs[i]->done = TRUE;
    g_cond_broadcast (&se->cond);
  }
  g_mutex_unlock (&se->lock);
  return NULL;
}

/* ---- loading ---- */

/* Runs the model twice on a grey frame at its input size: the first run
 * includes one-time work (kernel builds), the second gives the time of a
 * run. */
static gboolean
warm_up (yv7_engine * engine, GstClockTime * time, yv7_error * err)
{
  yv7_frame f = { 0 };
  const yv7_detection *dets;
  gint h, w, n;
  guint8 *pixels;
  gint64 t0 = 0;
  gboolean ok = TRUE;

  yv7_engine_input_size (engine, &h, &w);
  if (h <= 0 || w <= 0)
    h = w = 64;
  pixels = g_malloc ((gsize) h * w * 3);
  memset (pixels, 114, (gsize) h * w * 3);
  f.format = YV7_PIX_RGB;
  f.width = w;
  f.height = h;
  f.planes[0] = pixels;
  f.strides[0] = w * 3;
  for (gint i = 0; i < 2 && ok; i++) {
    t0 = g_get_monotonic_time ();
    ok = yv7_engine_detect (engine, &f, NULL, &dets, &n, err) == YV7_OK;
  }
  *time = (GstClockTime) (g_get_monotonic_time () - t0) * GST_USECOND;
  g_free (pixels);
  return ok;
}

static void
shared_engine_free (GstSharedEngine * se)
{
  if (se->thread) {
    g_mutex_lock (&se->lock);
    se->stop = TRUE;
    g_cond_broadcast (&se->cond);
    g_mutex_unlock (&se->lock);
    g_thread_join (se->thread);
  }
  yv7_engine_free (se->engine);
  g_mutex_clear (&se->lock);
  g_cond_clear (&se->cond);
  g_free (se->key);
  g_free (se->model);
  g_free (se->device);
  g_free (se->device_name);
  g_free (se);
}

/* Loads and warms up an instance and starts its thread. */
static GstSharedEngine *
shared_engine_new (const GstSharedEngineConfig * cfg, const gchar * model,
    const gchar * key, GstObject * owner, GstSharedEngineFailure * failure,
    yv7_error * err)
{
  GstSharedEngine *se = g_new0 (GstSharedEngine, 1);
  yv7_options opt;

  g_mutex_init (&se->lock);
  g_cond_init (&se->cond);
  g_queue_init (&se->queue);
  se->key = g_strdup (key);
  se->model = g_strdup (model);
  se->device = g_strdup (cfg->device);
  se->fp16_weights = cfg->fp16_weights;
  se->batch_size = CLAMP (cfg->batch_size, 1, 64);
  se->timeout_ms = cfg->batch_timeout_ms;

  GST_CAT_INFO_OBJECT (shared_engine_debug, owner, "loading %s on device "
      "'%s' for %s", model, cfg->device, key);
  yv7_options_init (&opt);
  opt.device = cfg->device;
  opt.fp16_weights = cfg->fp16_weights;
  opt.batch = (gint) se->batch_size;
  opt.batch_flexible = 1;       /* a fixed batch runs frames one run each */
  se->engine = yv7_engine_load (cfg->model, &opt, err);
  if (!se->engine)
    goto load_failed;
  if (yv7_engine_form (se->engine) == YV7_FORM_OTHER)
    goto not_detector;
  if (!warm_up (se->engine, &se->run_time, err))
    goto warm_up_failed;
  se->capacity = MAX (yv7_engine_batch (se->engine), 1);
  se->n_classes = yv7_engine_num_classes (se->engine);
  se->device_name = g_strdup (yv7_engine_device_name (se->engine));
  se->thread = g_thread_new ("yolov7-batch", batch_thread, se);
  GST_CAT_INFO_OBJECT (shared_engine_debug, owner, "loaded on %s, %d "
      "classes, %d frames a run, batches of up to %u, run %" GST_TIME_FORMAT,
      se->device_name, se->n_classes, se->capacity, se->batch_size,
      GST_TIME_ARGS (se->run_time));
  return se;

  /* ERRORS */
load_failed:
  {
    *failure = GST_SHARED_ENGINE_LOAD_FAILED;
    goto failed;
  }
not_detector:
  {
    *failure = GST_SHARED_ENGINE_NOT_DETECTOR;
    goto failed;
  }
warm_up_failed:
  {
    *failure = GST_SHARED_ENGINE_WARM_UP_FAILED;
    goto failed;
  }
failed:
  {
    shared_engine_free (se);
    return NULL;
  }
}

/* realpath() where the file exists, so that two spellings of one file share */
static gchar *
canonical_model (const gchar * path)
{
  gchar *real = realpath (path, NULL);
  gchar *ret = g_strdup (real ? real : path);

  free (real);
  return ret;
}

GstSharedEngineUser *
gst_shared_engine_join (const GstSharedEngineConfig * cfg, GstObject * owner,
    GstSharedEngineFailure * failure, yv7_error * err)
{
  static gsize init = 0;
  gchar *model, *key;
  GstSharedEngine *se;
  GstSharedEngineUser *user = NULL;
  guint batch = CLAMP (cfg->batch_size, 1, 64);

  if (g_once_init_enter (&init)) {
    GST_DEBUG_CATEGORY_INIT (shared_engine_debug, "yolov7shared", 0,
        "YOLOv7 engines shared between elements");
    g_once_init_leave (&init, 1);
  }

  model = canonical_model (cfg->model);
  if (cfg->instance_id && *cfg->instance_id)
    key = g_strdup_printf ("model-instance-id \"%s\"", cfg->instance_id);
  else
    key = g_strdup_printf ("%s|%s|fp16=%d|batch=%u|timeout=%u", model,
        cfg->device, cfg->fp16_weights ? 1 : 0, batch, cfg->batch_timeout_ms);

  /* loading under the registry lock: an element starting meanwhile waits
   * rather than load the same model twice */
  g_mutex_lock (&registry_lock);
  if (!registry)
    registry = g_hash_table_new (g_str_hash, g_str_equal);
  se = g_hash_table_lookup (registry, key);
  if (se && (strcmp (se->model, model) || strcmp (se->device, cfg->device)
          || se->fp16_weights != cfg->fp16_weights || se->batch_size != batch
          || se->timeout_ms != cfg->batch_timeout_ms))
    goto conflict;
  if (!se) {
    se = shared_engine_new (cfg, model, key, owner, failure, err);
    if (!se)
      goto done;
    g_hash_table_insert (registry, se->key, se);
  } else {
    GST_CAT_INFO_OBJECT (shared_engine_debug, owner, "sharing %s with %u "
        "other element(s)", key, se->users);
  }
  se->users++;
  user = g_new0 (GstSharedEngineUser, 1);
  user->se = se;
  g_mutex_lock (&se->lock);
  user->active = TRUE;
  se->n_active++;
  se->members = g_list_prepend (se->members, user);
  g_mutex_unlock (&se->lock);
  goto done;

conflict:
  {
    *failure = GST_SHARED_ENGINE_CONFLICT;
    set_error (err, YV7_E_INVALID_ARG, "%s is in use with model %s on "
        "device '%s' (fp16-weights %s, batch-size %u, batch-timeout-ms %u); "
        "this element asks for %s on '%s' (fp16-weights %s, batch-size %u, "
        "batch-timeout-ms %u)", key, se->model, se->device,
        se->fp16_weights ? "on" : "off", se->batch_size, se->timeout_ms, model,
        cfg->device, cfg->fp16_weights ? "on" : "off", batch,
        cfg->batch_timeout_ms);
  }
done:
  g_mutex_unlock (&registry_lock);
  g_free (model);
  g_free (key);
  return user;
}

void
gst_shared_engine_leave (GstSharedEngineUser * user)
{
  GstSharedEngine *se;
  gboolean last;

  if (!user)
    return;
  se = user->se;
  g_mutex_lock (&se->lock);
  if (user->active)
    se->n_active--;
  se->members = g_list_remove (se->members, user);
  g_cond_broadcast (&se->cond); /* a batch may be waiting for this user */
  g_mutex_unlock (&se->lock);
  g_free (user);

  g_mutex_lock (&registry_lock);
  last = --se->users == 0;
  if (last)
    g_hash_table_remove (registry, se->key);
  g_mutex_unlock (&registry_lock);
  if (last) {
    GST_CAT_INFO (shared_engine_debug, "unloading %s", se->key);
    shared_engine_free (se);
  }
}

/* ---- users ---- */

yv7_status
gst_shared_engine_infer (GstSharedEngineUser * user, const yv7_frame * frame,
    const yv7_detect_params * params, yv7_detection ** dets, gint * n,
    yv7_error * err)
{
  GstSharedEngine *se = user->se;
  Request r = { 0 };

  r.user = user;
  r.frame = frame;
  r.params = params;
  g_mutex_lock (&se->lock);
  if (!user->active) {
    user->active = TRUE;
    se->n_active++;
  }
  r.queued = g_get_monotonic_time ();
  g_queue_push_tail (&se->queue, &r);
  g_cond_broadcast (&se->cond);
  while (!r.done)
    g_cond_wait (&se->cond, &se->lock);
  g_mutex_unlock (&se->lock);

  *dets = r.dets;
  *n = r.n;
  if (r.err.code != YV7_OK && err)
    *err = r.err;
  return r.err.code;
}

void
gst_shared_engine_idle (GstSharedEngineUser * user)
{
  GstSharedEngine *se = user->se;

  g_mutex_lock (&se->lock);
  if (user->active) {
    user->active = FALSE;
    se->n_active--;
    g_cond_broadcast (&se->cond);
  }
  g_mutex_unlock (&se->lock);
}

gint
gst_shared_engine_num_classes (GstSharedEngineUser * user)
{
  return user->se->n_classes;
}

const gchar *
gst_shared_engine_device_name (GstSharedEngineUser * user)
{
  return user->se->device_name;
}

GstClockTime
gst_shared_engine_run_time (GstSharedEngineUser * user)
{
  return user->se->run_time;
}

guint
gst_shared_engine_n_users (GstSharedEngineUser * user)
{
  guint n;

  g_mutex_lock (&registry_lock);
  n = user->se->users;
  g_mutex_unlock (&registry_lock);
  return n;
}
