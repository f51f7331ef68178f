# SPDX-License-Identifier: LGPL-2.1-or-later
"""examples/camera-group.py against a real mosquitto broker.

Two generated H.264 clips are the cameras of one group; the launcher runs
them in one gst-launch-1.0 process with the random-weight test model, and
mosquitto_sub (started, and checked to be subscribed, before the launcher)
must receive messages on both SITE/CAMERA/detections topics, each a JSON
line of the clip's frame size.  The files end, so the launcher restarts the
pipeline: at least two starts are checked.  SIGTERM must stop it with
status 0.  Then --dry-run: a good list prints the command line, each bad
line gives status 2 and a message with the file and line number.

  test_camera_group.py --launcher camera-group.py --model tiny-grid-64.onnx \\
      --mosquitto /usr/sbin/mosquitto --workdir DIR
"""
import argparse
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time

SITE = 'testsite'
FRAMES = 50
MESSAGES_EACH = 60        # more than one run of a clip: a restart happened


class Failure(Exception):
    pass


def check(cond, msg):
    if not cond:
        raise Failure(msg)


def free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def wait_port(port, timeout=10.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        try:
            socket.create_connection(('127.0.0.1', port), 0.5).close()
            return
        except OSError:
            time.sleep(0.05)
    raise Failure('no broker on port %d' % port)


def make_clip(path):
    subprocess.run(['gst-launch-1.0', '-q', 'videotestsrc', 'num-buffers=%d' % FRAMES,
                    'pattern=ball', '!', 'video/x-raw,width=160,height=120,framerate=25/1',
                    '!', 'videoconvert', '!', 'video/x-raw,format=I420',   # 4:2:0, decodable
                    '!', 'x264enc', '!', 'mp4mux', '!', 'filesink', 'location=%s' % path],
                   check=True)


def messages(path):
    """{topic: [payload]} of mosquitto_sub -v's output so far."""
    out = {}
    try:
        with open(path, encoding='utf-8') as f:
            for line in f:
                topic, _, payload = line.rstrip('\n').partition(' ')
                out.setdefault(topic, []).append(payload)
    except FileNotFoundError:
        pass
    return out


def run_group(args, work):
    port = free_port()
    conf = os.path.join(work, 'broker.conf')
    with open(conf, 'w') as f:
        f.write('listener %d 127.0.0.1\nallow_anonymous true\npersistence false\n' % port)
    procs = []
    try:
        broker = subprocess.Popen([args.mosquitto, '-c', conf],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        procs.append(broker)
        wait_port(port)
        sub_out = os.path.join(work, 'sub.txt')
        with open(sub_out, 'w') as f:
            sub = subprocess.Popen(['mosquitto_sub', '-h', '127.0.0.1', '-p', str(port),
                                    '-t', SITE + '/#', '-q', '1', '-v'], stdout=f)
        procs.append(sub)
        end = time.monotonic() + 10
        while 'probe' not in ''.join(messages(sub_out).get(SITE + '/probe', [])):
            check(time.monotonic() < end, 'the subscriber never got the probe')
            subprocess.run(['mosquitto_pub', '-h', '127.0.0.1', '-p', str(port),
                            '-t', SITE + '/probe', '-m', 'probe', '-q', '1'], check=True)
            time.sleep(0.2)

        for n in ('a', 'b'):
            make_clip(os.path.join(work, n + '.mp4'))
        cams = os.path.join(work, 'group.cameras')
        with open(cams, 'w') as f:
            f.write('# two cameras of the test site\n'
                    'cam-a  a.mp4      # a path, relative to this list\n\n'
                    'cam-b  file://%s\n' % os.path.join(work, 'b.mp4'))
        log = open(os.path.join(work, 'launcher.log'), 'w')
        launcher = subprocess.Popen(
            [sys.executable, args.launcher, '--model', args.model,
             '--broker', '127.0.0.1:%d' % port, '--site', SITE, cams],
            stdout=log, stderr=subprocess.STDOUT)
        procs.append(launcher)
        topics = ['%s/cam-%s/detections' % (SITE, n) for n in ('a', 'b')]
        end = time.monotonic() + 90
        while True:
            got = messages(sub_out)
            if all(len(got.get(t, [])) >= MESSAGES_EACH for t in topics):
                break
            check(launcher.poll() is None, 'the launcher exited (%s)' % launcher.returncode)
            check(time.monotonic() < end, 'messages so far: %s'
                  % {t: len(got.get(t, [])) for t in topics})
            time.sleep(0.2)
        for t in topics:
            for payload in got[t]:
                frame = json.loads(payload)
                check(frame['resolution'] == {'width': 160, 'height': 120},
                      '%s: %s' % (t, payload[:200]))
                check(isinstance(frame['objects'], list), payload[:200])
        launcher.send_signal(signal.SIGTERM)
        rc = launcher.wait(timeout=30)
        log.close()
        with open(os.path.join(work, 'launcher.log')) as f:
            text = f.read()
        check(rc == 0, 'the launcher exited with %d after SIGTERM:\n%s' % (rc, text))
        check(text.count('started gst-launch-1.0') >= 2, 'no restart:\n' + text)
        print('camera group: %s messages, %d starts'
              % ({t: len(got[t]) for t in topics}, text.count('started gst-launch-1.0')))
    finally:
        for p in reversed(procs):
            if p.poll() is None:
                p.kill()
                p.wait()


def dry_runs(args, work):
    clip = os.path.join(work, 'c.mp4')
    open(clip, 'wb').close()

    def dry(text, *extra):
        path = os.path.join(work, 'dry.cameras')
        with open(path, 'w') as f:
            f.write(text)
        r = subprocess.run([sys.executable, args.launcher, '--dry-run', '--model', 'm.onnx',
                            '--broker', 'broker.example:1884', '--site', 's1', *extra, path],
                           capture_output=True, text=True)
        return r.returncode, r.stdout + r.stderr, path

    rc, out, _ = dry('# cams\n cam-1 rtsp://10.0.0.1/s  # a comment\ncam_2 c.mp4\n')
    check(rc == 0, out)
    check('mqtt-uri=mqtt://broker.example:1884/s1/cam-1/detections' in out, out)
    check('mqtt-uri=mqtt://broker.example:1884/s1/cam_2/detections' in out, out)
    check('uri="rtsp://10.0.0.1/s"' in out and 'uri="file://%s"' % clip in out, out)
    bad = [
        ('cam-1 rtsp://a/s\n\ncam-2\n', 3, 'expected "NAME URI"'),
        ('cam-1 rtsp://a/s extra\n', 1, 'expected "NAME URI"'),
        ('# c\ncam/1 rtsp://a/s\n', 2, 'bad camera name'),
        ('cam+1 rtsp://a/s\n', 1, 'bad camera name'),
        ('cam-1 rtsp://a/s\ncam-2 rtsp://b/s\ncam-1 rtsp://c/s\n', 3, 'already on line 1'),
        ('cam-1 no-such-file.mp4\n', 1, 'neither a URI nor an existing file'),
    ]
    for text, line, what in bad:
        rc, out, path = dry(text)
        check(rc == 2, 'status %d for %r: %s' % (rc, text, out))
        check('%s:%d:' % (path, line) in out and what in out,
              'for %r expected line %d, "%s": %s' % (text, line, what, out))
    rc, out, _ = dry('# nothing\n')
    check(rc == 2 and 'no cameras' in out, out)
    rc, out, _ = dry('cam-1 rtsp://a/s\n', '--site', 'a/b')
    check(rc == 2 and 'bad or missing site' in out, out)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--launcher', required=True)
    ap.add_argument('--model', required=True)
    ap.add_argument('--mosquitto', required=True)
    ap.add_argument('--workdir', required=True)
    args = ap.parse_args()
    shutil.rmtree(args.workdir, ignore_errors=True)
    os.makedirs(args.workdir)
    try:
        dry_runs(args, args.workdir)
        run_group(args, args.workdir)
    except Failure as e:
        print('FAIL: %s' % e)
        return 1
    print('OK')
    return 0


if __name__ == '__main__':
    sys.exit(main())
