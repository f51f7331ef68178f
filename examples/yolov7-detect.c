/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* yolov7-detect: run the detection API on still images and write one JSON
 * line per image plus, optionally, a copy of each image with its boxes drawn.
 *
 *   yolov7-detect --model M.onnx [--device SPEC] [--conf 0.25] [--iou 0.45]
 *       [--labels FILE] [--json OUT.jsonl] [--annotate DIR] IMAGE.ppm...
 *
 * Images are binary PPM (P6, 8-bit): convert JPEGs with `djpeg -pnm`.  This
 * is the smallest complete use of the library: letterbox on the device,
 * submit, collect, detections in the image's own pixel coordinates. */
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

static void
usage (void)
{
  fprintf (stderr, "usage: yolov7-detect --model M.onnx [--device SPEC] [--conf F] "
      "[--iou F] [--labels FILE] [--json OUT.jsonl] [--annotate DIR] IMAGE.ppm...\n");
}

int
main (int argc, char **argv)
{
  const char *model = NULL, *device = "auto", *json = NULL, *annotate = NULL, *labels = NULL;
  yv7_detect_params params;
  yv7_options opt;
  yv7_error err;
  yv7_engine *e;
  FILE *jf = stdout;
  char **names = NULL;
  int n_names = 0, first = 0, rc = 0;

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
    else if (!strcmp (a, "--conf")) params.conf_threshold = strtof (argv[++i], NULL);
    else if (!strcmp (a, "--iou")) params.iou_threshold = strtof (argv[++i], NULL);
    else {
      usage ();
      return 2;
    }
  }
  if (!model || !first) {
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
  if (annotate)
    mkdir (annotate, 0755);
  for (int i = first; i < argc; i++) {
    image im = { 0 };
    yv7_frame fr = { 0 };
    const yv7_detection *d;
    int n;

    if (read_ppm (argv[i], &im) != 0) {
      fprintf (stderr, "yolov7-detect: '%s' is not a readable binary PPM\n", argv[i]);
      rc = 1;
      continue;
    }
    fr.format = YV7_PIX_RGB;
    fr.width = im.w;
    fr.height = im.h;
    fr.planes[0] = im.rgb;
    fr.strides[0] = im.w * 3;
    if (yv7_engine_detect (e, &fr, &params, &d, &n, &err) != YV7_OK) {
      fprintf (stderr, "yolov7-detect: %s: %s\n", argv[i], err.message);
      free (im.rgb);
      rc = 1;
      continue;
    }
    fprintf (jf, "{\"image\":");
    json_string (jf, argv[i]);
    fprintf (jf, ",\"width\":%d,\"height\":%d,\"detections\":[", im.w, im.h);
    for (int k = 0; k < n; k++) {
      static const unsigned char palette[6][3] = {
        { 255, 56, 56 }, { 56, 255, 56 }, { 56, 56, 255 },
        { 255, 200, 0 }, { 255, 0, 200 }, { 0, 200, 255 }
      };
      fprintf (jf, "%s{\"class_id\":%d,\"label\":", k ? "," : "", d[k].class_id);
      json_string (jf, d[k].class_id < n_names ? names[d[k].class_id] : "");
      fprintf (jf, ",\"confidence\":%.4f,\"box\":[%.1f,%.1f,%.1f,%.1f]}",
          d[k].score, d[k].x0, d[k].y0, d[k].x1, d[k].y1);
      draw_box (&im, &d[k], palette[d[k].class_id % 6]);
    }
    fprintf (jf, "]}\n");
    if (annotate) {
      const char *base = strrchr (argv[i], '/');
      char out[4096];
      snprintf (out, sizeof out, "%s/%s", annotate, base ? base + 1 : argv[i]);
      if (write_ppm (out, &im) != 0) {
        fprintf (stderr, "yolov7-detect: cannot write '%s'\n", out);
        rc = 1;
      }
    }
    free (im.rgb);
  }
  if (jf != stdout)
    fclose (jf);
  for (int k = 0; k < n_names; k++)
    free (names[k]);
  free (names);
  yv7_engine_free (e);
  return rc;
}
