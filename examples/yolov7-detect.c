/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* yolov7-detect: run the detection API on still images or a raw video and
 * write one JSON line per image or frame, plus, optionally, copies with the
 * boxes drawn.
 *
 *   yolov7-detect --model M.onnx [--device SPEC] [--conf 0.25] [--iou 0.45]
 *       [--labels FILE] [--json OUT.jsonl] [--annotate DIR] IMAGE.ppm...
 *   yolov7-detect --model M.onnx ... [--json OUT.jsonl] --video IN.y4m
 *       [--out-video OUT.y4m]
 *
 * Images are binary PPM (P6, 8-bit): convert JPEGs with `djpeg -pnm`.  Videos
 * are YUV4MPEG2 (4:2:0, what `ffmpeg -pix_fmt yuv420p out.y4m` and
 * GStreamer's y4menc write); frames go to the engine as I420, so the colour
 * conversion happens on the device.  While the device works on one frame the
 * previous one is written out: submit, then collect one frame later.  This is
 * the smallest complete use of the library's detection API. */
#include <yolov7/yolov7.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

typedef struct {
  int w, h;
  unsigned char *rgb;
} image;

static int
read_ppm (const char *path, image *im)
{
  FILE *f = fopen (path, "rb");
  int maxval, c;
  size_t n;

  if (!f)
    return -1;
  if (fgetc (f) != 'P' || fgetc (f) != '6')
    goto bad;
  /* width, height, maxval, skipping comments */
  for (int field = 0; field < 3; field++) {
    int v = 0, digits = 0;
    while ((c = fgetc (f)) != EOF) {
      if (c == '#') {
        while ((c = fgetc (f)) != EOF && c != '\n')
          ;
        continue;
      }
      if (c >= '0' && c <= '9')
        break;
      if (c != ' ' && c != '\t' && c != '\n' && c != '\r')
        goto bad;
    }
    for (; c >= '0' && c <= '9'; c = fgetc (f)) {
      if (v > 100000)
        goto bad;
      v = v * 10 + (c - '0');
      digits++;
    }
    if (!digits)
      goto bad;
    if (field == 0) im->w = v;
    else if (field == 1) im->h = v;
    else maxval = v;
  }
  if (im->w <= 0 || im->h <= 0 || maxval != 255)
    goto bad;
  n = (size_t) im->w * (size_t) im->h * 3;
  im->rgb = malloc (n);
  if (!im->rgb || fread (im->rgb, 1, n, f) != n)
    goto bad;
  fclose (f);
  return 0;

bad:
  free (im->rgb);
  im->rgb = NULL;
  fclose (f);
  return -2;
}

static int
write_ppm (const char *path, const image *im)
{
  FILE *f = fopen (path, "wb");
  size_t n = (size_t) im->w * (size_t) im->h * 3;
  int ok;
  if (!f)
    return -1;
  fprintf (f, "P6\n%d %d\n255\n", im->w, im->h);
  ok = fwrite (im->rgb, 1, n, f) == n;
  return fclose (f) == 0 && ok ? 0 : -1;
}

static void
draw_box (image *im, const yv7_detection *d, const unsigned char col[3])
{
  int x0 = (int) d->x0, y0 = (int) d->y0, x1 = (int) d->x1, y1 = (int) d->y1;
  for (int t = 0; t < 2; t++)
    for (int y = y0 + t; y <= y1 - t; y++)
      for (int x = x0 + t; x <= x1 - t; x++) {
        if (x < 0 || y < 0 || x >= im->w || y >= im->h)
          continue;
        if (y != y0 + t && y != y1 - t && x != x0 + t && x != x1 - t)
          continue;
        memcpy (im->rgb + ((size_t) y * im->w + x) * 3, col, 3);
      }
}

/* ---- YUV4MPEG2 ---- */

typedef struct {
  FILE *f;
  int w, h, full_range;
  char header[512];
} y4m;

static int
y4m_open (y4m *v, const char *path)
{
  char *tok, *save;
  memset (v, 0, sizeof *v);
  if (!(v->f = fopen (path, "rb")))
    return -1;
  if (!fgets (v->header, sizeof v->header, v->f) || strncmp (v->header, "YUV4MPEG2 ", 10))
    return -2;
  {
    char copy[512];
    memcpy (copy, v->header, sizeof copy);
    copy[strcspn (copy, "\n")] = '\0';
    for (tok = strtok_r (copy + 10, " ", &save); tok; tok = strtok_r (NULL, " ", &save)) {
      if (tok[0] == 'W')
        v->w = atoi (tok + 1);
      else if (tok[0] == 'H')
        v->h = atoi (tok + 1);
      else if (tok[0] == 'C' && strncmp (tok, "C420", 4) != 0)
        return -3;   /* only 4:2:0 */
      else if (!strcmp (tok, "XCOLORRANGE=FULL"))
        v->full_range = 1;
    }
  }
  if (v->w <= 0 || v->h <= 0 || v->w > 16384 || v->h > 16384)
    return -2;
  return 0;
}

/* One I420 frame into buf (w*h + 2*ceil(w/2)*ceil(h/2) bytes); 1 = got one. */
static int
y4m_read (y4m *v, unsigned char *buf, size_t size)
{
  char line[128];
  if (!fgets (line, sizeof line, v->f))
    return 0;
  if (strncmp (line, "FRAME", 5))
    return -1;
  return fread (buf, 1, size, v->f) == size ? 1 : -1;
}

static void
draw_box_i420 (unsigned char *buf, int w, int h, const yv7_detection *d,
    const unsigned char yuv[3])
{
  int cw = (w + 1) / 2, ch = (h + 1) / 2;
  unsigned char *Y = buf, *U = buf + (size_t) w * h, *V = U + (size_t) cw * ch;
  int x0 = (int) d->x0, y0 = (int) d->y0, x1 = (int) d->x1, y1 = (int) d->y1;
  for (int y = y0; y <= y1; y++)
    for (int x = x0; x <= x1; x++) {
      if (x < 0 || y < 0 || x >= w || y >= h)
        continue;
      if (y > y0 + 1 && y < y1 - 1 && x > x0 + 1 && x < x1 - 1)
        continue;
      Y[(size_t) y * w + x] = yuv[0];
      U[(size_t) (y / 2) * cw + x / 2] = yuv[1];
      V[(size_t) (y / 2) * cw + x / 2] = yuv[2];
    }
}

static char **
read_labels (const char *path, int *n)
{
  FILE *f = fopen (path, "r");
  char line[256], **names = NULL;
  *n = 0;
  if (!f)
    return NULL;
  while (fgets (line, sizeof line, f)) {
    char **nn;
    line[strcspn (line, "\r\n")] = '\0';
    nn = realloc (names, sizeof (char *) * (size_t) (*n + 1));
    if (!nn)
      break;
    names = nn;
    names[(*n)++] = strdup (line);
  }
  fclose (f);
  return names;
}

static void
json_string (FILE *f, const char *s)
{
  fputc ('"', f);
  for (; *s; s++) {
    if (*s == '"' || *s == '\\')
      fprintf (f, "\\%c", *s);
    else if ((unsigned char) *s < 0x20)
      fprintf (f, "\\u%04x", *s);
    else
      fputc (*s, f);
  }
  fputc ('"', f);
}

static const unsigned char palette[6][3] = {
  { 255, 56, 56 }, { 56, 255, 56 }, { 56, 56, 255 },
  { 255, 200, 0 }, { 255, 0, 200 }, { 0, 200, 255 }
};

/* One JSON line: the source (an image path, or a frame number), its size
 * and its detections. */
static void
write_json (FILE *jf, const char *source, long frame, int w, int h,
    const yv7_detection *d, int n, char **names, int n_names)
{
  if (source) {
    fprintf (jf, "{\"image\":");
    json_string (jf, source);
  } else {
    fprintf (jf, "{\"frame\":%ld", frame);
  }
  fprintf (jf, ",\"width\":%d,\"height\":%d,\"detections\":[", w, h);
  for (int k = 0; k < n; k++) {
    fprintf (jf, "%s{\"class_id\":%d,\"label\":", k ? "," : "", d[k].class_id);
    json_string (jf, d[k].class_id >= 0 && d[k].class_id < n_names ? names[d[k].class_id] : "");
    fprintf (jf, ",\"confidence\":%.6f,\"box\":[%.3f,%.3f,%.3f,%.3f]}",
        d[k].score, d[k].x0, d[k].y0, d[k].x1, d[k].y1);
  }
  fprintf (jf, "]}\n");
}

static int
run_images (yv7_engine *e, const yv7_detect_params *params, char **paths, int n_paths,
    const char *annotate, FILE *jf, char **names, int n_names)
{
  int rc = 0;
  yv7_error err;

  if (annotate)
    mkdir (annotate, 0755);
  for (int i = 0; i < n_paths; i++) {
    image im = { 0 };
    yv7_frame fr = { 0 };
    const yv7_detection *d;
    int n;

    if (read_ppm (paths[i], &im) != 0) {
      fprintf (stderr, "yolov7-detect: '%s' is not a readable binary PPM\n", paths[i]);
      rc = 1;
      continue;
    }
    fr.format = YV7_PIX_RGB;
    fr.width = im.w;
    fr.height = im.h;
    fr.planes[0] = im.rgb;
    fr.strides[0] = im.w * 3;
    if (yv7_engine_detect (e, &fr, params, &d, &n, &err) != YV7_OK) {
      fprintf (stderr, "yolov7-detect: %s: %s\n", paths[i], err.message);
      free (im.rgb);
      rc = 1;
      continue;
    }
    write_json (jf, paths[i], 0, im.w, im.h, d, n, names, n_names);
    for (int k = 0; k < n; k++)
      draw_box (&im, &d[k], palette[d[k].class_id % 6]);
    if (annotate) {
      const char *base = strrchr (paths[i], '/');
      char out[4096];
      snprintf (out, sizeof out, "%s/%s", annotate, base ? base + 1 : paths[i]);
      if (write_ppm (out, &im) != 0) {
        fprintf (stderr, "yolov7-detect: cannot write '%s'\n", out);
        rc = 1;
      }
    }
    free (im.rgb);
  }
  return rc;
}

/* Frames go in as I420; frame k is submitted before frame k-1's results are
 * collected and written, so the host works while the device does. */
static int
run_video (yv7_engine *e, const yv7_detect_params *params, const char *in,
    const char *out, FILE *jf, char **names, int n_names)
{
  y4m v;
  FILE *of = NULL;
  unsigned char *buf[2] = { NULL, NULL };
  size_t fsize;
  long frame = 0;
  int got, rc = 0, r = y4m_open (&v, in);
  yv7_error err;

  if (r != 0) {
    fprintf (stderr, "yolov7-detect: '%s' is not a readable 4:2:0 YUV4MPEG2 file\n", in);
    if (v.f)
      fclose (v.f);
    return 1;
  }
  fsize = (size_t) v.w * v.h + 2 * (size_t) ((v.w + 1) / 2) * ((v.h + 1) / 2);
  buf[0] = malloc (fsize);
  buf[1] = malloc (fsize);
  if (out && !(of = fopen (out, "wb"))) {
    fprintf (stderr, "yolov7-detect: cannot write '%s'\n", out);
    rc = 1;
    goto done;
  }
  if (of)
    fputs (v.header, of);
  for (;;) {
    unsigned char *cur = buf[frame & 1], *prev = buf[(frame + 1) & 1];
    yv7_frame fr = { 0 };
    got = buf[0] && buf[1] ? y4m_read (&v, cur, fsize) : -1;
    if (got < 0) {
      fprintf (stderr, "yolov7-detect: '%s': truncated frame %ld\n", in, frame);
      rc = 1;
    }
    if (got == 1) {
      fr.format = YV7_PIX_I420;
      fr.width = v.w;
      fr.height = v.h;
      fr.planes[0] = cur;
      fr.planes[1] = cur + (size_t) v.w * v.h;
      fr.planes[2] = fr.planes[1] + (size_t) ((v.w + 1) / 2) * ((v.h + 1) / 2);
      fr.strides[0] = v.w;
      fr.strides[1] = fr.strides[2] = (v.w + 1) / 2;
      fr.matrix = v.h > 576 ? YV7_YUV_BT709 : YV7_YUV_BT601;
      fr.full_range = v.full_range;
    }
    /* finish the previous frame while this one is read */
    if (frame > 0) {
      const yv7_detection *d;
      int n;
      if (yv7_engine_collect (e, &err) != YV7_OK) {
        fprintf (stderr, "yolov7-detect: frame %ld: %s\n", frame - 1, err.message);
        rc = 1;
        break;
      }
      d = yv7_engine_detections (e, 0, &n);
      write_json (jf, NULL, frame - 1, v.w, v.h, d, n, names, n_names);
      if (of) {
        for (int k = 0; k < n; k++) {
          const unsigned char *c = palette[d[k].class_id % 6];
          /* BT.601 video range, enough for drawing */
          unsigned char yuv[3] = {
            (unsigned char) (16 + (66 * c[0] + 129 * c[1] + 25 * c[2]) / 256),
            (unsigned char) (128 + (-38 * c[0] - 74 * c[1] + 112 * c[2]) / 256),
            (unsigned char) (128 + (112 * c[0] - 94 * c[1] - 18 * c[2]) / 256) };
          draw_box_i420 (prev, v.w, v.h, &d[k], yuv);
        }
        fputs ("FRAME\n", of);
        fwrite (prev, 1, fsize, of);
      }
    }
    if (got != 1)
      break;
    if (yv7_engine_submit (e, &fr, 1, params, &err) != YV7_OK) {
      fprintf (stderr, "yolov7-detect: frame %ld: %s\n", frame, err.message);
      rc = 1;
      break;
    }
    frame++;
  }
  fprintf (stderr, "yolov7-detect: %ld frames of %dx%d\n", frame, v.w, v.h);

done:
  if (of && fclose (of) != 0)
    rc = 1;
  fclose (v.f);
  free (buf[0]);
  free (buf[1]);
  return rc;
}

static void
usage (void)
{
  fprintf (stderr, "usage: yolov7-detect --model M.onnx [--device SPEC] [--conf F] "
      "[--iou F] [--labels FILE] [--json OUT.jsonl]\n"
      "         ([--annotate DIR] IMAGE.ppm... | --video IN.y4m [--out-video OUT.y4m])\n");
}

int
main (int argc, char **argv)
{
  const char *model = NULL, *device = "auto", *json = NULL, *annotate = NULL;
  const char *labels = NULL, *video = NULL, *out_video = NULL;
  yv7_detect_params params;
  yv7_options opt;
  yv7_error err;
  yv7_engine *e;
  FILE *jf = stdout;
  char **names = NULL;
  int n_names = 0, first = argc, rc;

  yv7_detect_params_init (&params);
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    if (!strcmp (a, "--help")) {
      usage ();
      return 0;
    }
    if (a[0] != '-' || a[1] != '-') {
      first = i;
      break;
    }
    if (i + 1 >= argc) {
      usage ();
      return 2;
    }
    if (!strcmp (a, "--model")) model = argv[++i];
    else if (!strcmp (a, "--device")) device = argv[++i];
    else if (!strcmp (a, "--json")) json = argv[++i];
    else if (!strcmp (a, "--annotate")) annotate = argv[++i];
    else if (!strcmp (a, "--labels")) labels = argv[++i];
    else if (!strcmp (a, "--video")) video = argv[++i];
    else if (!strcmp (a, "--out-video")) out_video = argv[++i];
    else if (!strcmp (a, "--conf")) params.conf_threshold = strtof (argv[++i], NULL);
    else if (!strcmp (a, "--iou")) params.iou_threshold = strtof (argv[++i], NULL);
    else {
      usage ();
      return 2;
    }
  }
  if (!model || (first == argc) == !video) {
    usage ();
    return 2;
  }
  if (labels && !(names = read_labels (labels, &n_names))) {
    fprintf (stderr, "yolov7-detect: cannot read labels '%s'\n", labels);
    return 1;
  }
  yv7_options_init (&opt);
  opt.device = device;
  e = yv7_engine_load (model, &opt, &err);
  if (!e) {
    fprintf (stderr, "yolov7-detect: %s\n", err.message);
    return 1;
  }
  if (json && !(jf = fopen (json, "w"))) {
    fprintf (stderr, "yolov7-detect: cannot write '%s': %s\n", json, strerror (errno));
    yv7_engine_free (e);
    return 1;
  }
  if (video)
    rc = run_video (e, &params, video, out_video, jf, names, n_names);
  else
    rc = run_images (e, &params, argv + first, argc - first, annotate, jf, names, n_names);
  if (jf != stdout && fclose (jf) != 0)
    rc = 1;
  for (int k = 0; k < n_names; k++)
    free (names[k]);
  free (names);
  yv7_engine_free (e);
  return rc;
}
