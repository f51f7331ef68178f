# SPDX-License-Identifier: LGPL-2.1-or-later
"""RTSP resilience of examples/rtsp-reconnect against a real gst-rtsp-server.

The test server (rtsp-test-server, a live H.264 test stream on 127.0.0.1) is
killed with SIGKILL while the example reads it, so the client sees the
connection vanish, and started again on the same port 10 s later; five
times.  After each restart the example must write JSON Lines of frames with
detections (a non-empty "objects" array: the small random-weight model finds
a few dozen boxes on every frame of the test pattern at the default
threshold) within 5 s.  At the end the example is stopped with SIGINT and
must exit 0 with a JSON Lines file in which every line is a complete JSON
object and the frame timestamps strictly increase (no frame written twice),
with a gap of at least the outage at each reconnect.

  test_rtsp_reconnect.py --example rtsp-reconnect --server rtsp-test-server \\
      --model tiny-grid-64.onnx --workdir DIR [--stall | --bad-args]

With --stall the server is frozen (SIGSTOP) for 8 s instead: its connection
stays open and silent, so only the example's watchdog can notice; frames
with detections must come again within 5 s of the server resuming.  With
--bad-args it checks instead that bad arguments, a missing or corrupt
model and bad detector options end the example with a clear message and
exit status, not a crash.
"""
import argparse
import json
import os
import select
import shutil
import signal
import subprocess
import sys
import time

OUTAGE_S = 10.0          # the server stays dead this long
RECOVERY_LIMIT_S = 5.0   # frames with detections again within this of a restart
CYCLES = 5
STREAM_S = 2.0           # streaming between two kills
STALL_S = 8.0            # the server stays frozen this long
START_TIMEOUT_S = 60.0   # first frames, model load and first connection included
STOP_TIMEOUT_S = 30.0


class Failure(Exception):
    pass


def check(cond, msg):
    if not cond:
        raise Failure(msg)


class JsonlFollower:
    """Reads the complete lines the example appended since the last call."""

    def __init__(self, path):
        self.path = path
        self.offset = 0
        self.lines = []

    def poll(self):
        try:
            with open(self.path, 'rb') as f:
                f.seek(self.offset)
                data = f.read()
        except FileNotFoundError:
            return []
        end = data.rfind(b'\n')
        if end < 0:
            return []
        self.offset += end + 1
        try:
            new = [json.loads(line) for line in data[:end].split(b'\n')]
        except ValueError as e:
            raise Failure('a line that is not JSON (%s)' % e)
        self.lines.extend(new)
        return new


def start_server(exe, port, log):
    proc = subprocess.Popen([exe, '--port', str(port)], stdout=subprocess.PIPE,
                            stderr=log)
    ready, _, _ = select.select([proc.stdout], [], [], 20)
    check(ready, 'the RTSP test server did not start within 20 s')
    line = proc.stdout.readline().decode().split()
    check(len(line) == 2 and line[0] == 'port',
          'unexpected first line of the test server: %r' % line)
    bound = int(line[1])
    check(port == 0 or bound == port,
          'the test server listens on %d, not on %d' % (bound, port))
    return proc, bound


def kill(proc, sig):
    if proc and proc.poll() is None:
        proc.send_signal(sig)
        proc.wait(timeout=STOP_TIMEOUT_S)


def wait_for_detections(follower, example, deadline, what):
    """Polls until a line with detections comes; returns its arrival time."""
    while time.monotonic() < deadline:
        check(example.poll() is None,
              'the example exited (status %s) %s' % (example.returncode, what))
        for line in follower.poll():
            if line.get('objects'):
                return time.monotonic()
        time.sleep(0.05)
    raise Failure('no frame with detections %s' % what)


# The system elements the server and the example use, and their Debian packages.
NEEDED = [('videotestsrc', 'gstreamer1.0-plugins-base'),
          ('x264enc', 'gstreamer1.0-plugins-ugly'),
          ('rtph264pay', 'gstreamer1.0-plugins-good'),
          ('rtspsrc', 'gstreamer1.0-plugins-good'),
          ('decodebin', 'gstreamer1.0-plugins-base')]
H264_DECODERS = ['openh264dec', 'avdec_h264']


def check_elements():
    """A missing element fails here by name, not as a timeout later."""
    inspect = shutil.which('gst-inspect-1.0')
    if not inspect:
        return

    def exists(name):
        return subprocess.run([inspect, '--exists', name]).returncode == 0
    missing = ['%s (%s)' % (e, pkg) for e, pkg in NEEDED if not exists(e)]
    if not any(exists(d) for d in H264_DECODERS):
        missing.append('an H.264 decoder (openh264dec: gstreamer1.0-plugins-bad)')
    check(not missing, 'GStreamer elements missing: ' + ', '.join(missing))


class Session:
    """The test server and the example reading it, with their logs in the
    work directory; run(body) starts them, waits for the first detections,
    calls body(self), stops the example with SIGINT and checks the files."""

    def __init__(self, args, name):
        self.args = args
        self.dir = os.path.join(args.workdir, name)
        os.makedirs(self.dir, exist_ok=True)
        self.jsonl = os.path.join(self.dir, 'detections.jsonl')
        if os.path.exists(self.jsonl):
            os.remove(self.jsonl)
        self.follower = JsonlFollower(self.jsonl)
        self.server = self.example = None
        self.port = 0

    def start_server(self):
        self.server, self.port = start_server(self.args.server, self.port,
                                              self.server_log)

    def run(self, body):
        check_elements()
        self.server_log = open(os.path.join(self.dir, 'server.log'), 'w')
        example_log_path = os.path.join(self.dir, 'example.log')
        example_log = open(example_log_path, 'w')
        try:
            self.start_server()
            url = 'rtsp://127.0.0.1:%d/test' % self.port
            self.example = subprocess.Popen(
                [self.args.example, '--model', self.args.model, '--input', url,
                 '--json', self.jsonl], stdout=subprocess.DEVNULL,
                stderr=example_log)
            wait_for_detections(self.follower, self.example,
                                time.monotonic() + START_TIMEOUT_S,
                                'at the start')
            body(self)
            time.sleep(1)
            self.example.send_signal(signal.SIGINT)
            rc = self.example.wait(timeout=STOP_TIMEOUT_S)
            check(rc == 0, 'the example exited with %d after SIGINT' % rc)
            self.example = None
        finally:
            kill(self.example, signal.SIGKILL)
            if self.server and self.server.poll() is None:
                self.server.send_signal(signal.SIGCONT)
            kill(self.server, signal.SIGTERM)
            self.server_log.close()
            example_log.close()
            with open(example_log_path) as f:
                self.log = f.read()
            print('--- example log\n' + self.log, end='')
        check_jsonl(self.jsonl)


def kill_and_restart(session):
    """SIGKILL the server, restart it OUTAGE_S later on the same port,
    CYCLES times; frames with detections again within RECOVERY_LIMIT_S."""
    recoveries = []
    for cycle in range(1, CYCLES + 1):
        time.sleep(STREAM_S)
        kill(session.server, signal.SIGKILL)
        time.sleep(OUTAGE_S)
        # everything from before the kill is written by now
        session.follower.poll()
        before = len(session.follower.lines)
        restart = time.monotonic()
        session.start_server()
        back = wait_for_detections(
            session.follower, session.example, restart + RECOVERY_LIMIT_S,
            'within %.0f s of restart %d' % (RECOVERY_LIMIT_S, cycle))
        recoveries.append(back - restart)
        print('outage %d: frames with detections %.2f s after the restart'
              % (cycle, back - restart))
        lines = session.follower.lines
        gap = (lines[before]['timestamp'] - lines[before - 1]['timestamp']) / 1e9
        check(gap >= OUTAGE_S - 1,
              'outage %d: the timestamps jump by %.2f s across a %.0f s '
              'outage' % (cycle, gap, OUTAGE_S))
    session.recoveries = recoveries


def run_outages(args):
    session = Session(args, 'reconnect')
    session.run(kill_and_restart)
    n = session.log.count('reconnected after')
    check(n == CYCLES, 'the example logged %d reconnects, not %d' % (n, CYCLES))
    print('recovery times: %s s (limit %.0f s)'
          % (', '.join('%.2f' % r for r in session.recoveries),
             RECOVERY_LIMIT_S))


def freeze_and_thaw(session):
    """SIGSTOP the server: its connection stays open but silent, which only
    the example's watchdog can notice.  SIGCONT it STALL_S later."""
    time.sleep(STREAM_S)
    session.server.send_signal(signal.SIGSTOP)
    time.sleep(STALL_S)
    session.follower.poll()
    thaw = time.monotonic()
    session.server.send_signal(signal.SIGCONT)
    back = wait_for_detections(
        session.follower, session.example, thaw + RECOVERY_LIMIT_S,
        'within %.0f s of the server resuming' % RECOVERY_LIMIT_S)
    print('stall: frames with detections %.2f s after the server resumed'
          % (back - thaw))


def run_stall(args):
    session = Session(args, 'stall')
    session.run(freeze_and_thaw)
    # the watchdog, not an error or an EOS, ended the frozen connection
    check('stream lost: no frame for' in session.log,
          'the example did not notice the silent connection')
    check(session.log.count('reconnected after') == 1,
          'the example did not log one reconnect')


def check_jsonl(path):
    with open(path, 'rb') as f:
        data = f.read()
    check(data.endswith(b'\n'), 'the JSON Lines file ends in a torn line')
    last = None
    n = 0
    for i, raw in enumerate(data[:-1].split(b'\n'), 1):
        try:
            line = json.loads(raw)
        except ValueError as e:
            raise Failure('line %d is not JSON (%s): %r' % (i, e, raw[:200]))
        check(isinstance(line, dict) and isinstance(line.get('timestamp'), int)
              and isinstance(line.get('objects'), list)
              and line.get('resolution') == {'width': 320, 'height': 240},
              'line %d is not a whole frame: %r' % (i, raw[:200]))
        if last is not None and line['timestamp'] <= last:
            raise Failure('line %d: timestamp %d after %d (a frame written '
                          'twice or out of order)' % (i, line['timestamp'], last))
        last = line['timestamp']
        n += 1
    print('%d JSON lines, all whole, timestamps strictly increasing' % n)


def run_bad_args(args):
    os.makedirs(args.workdir, exist_ok=True)
    corrupt = os.path.join(args.workdir, 'corrupt.onnx')
    with open(corrupt, 'wb') as f:
        f.write(b'\x08\x07not an onnx model' * 10)
    url = 'rtsp://127.0.0.1:9/none'
    m = ['--model', args.model, '--input', url]
    cases = [
        ([], 2, 'usage:'),
        (['--model', args.model], 2, 'usage:'),
        (['--input', url], 2, 'usage:'),
        (['--no-such-option'], 2, 'Unknown option'),
        (['--model', args.model, '--input', 'http://127.0.0.1/x'], 2,
         'not an RTSP URL'),
        (m + ['--stall-timeout', '5'], 2, '--stall-timeout'),
        (['--model', os.path.join(args.workdir, 'missing.onnx'), '--input', url],
         1, 'missing.onnx: no such file'),
        (['--model', corrupt, '--input', url], 1, 'Could not load model'),
        (m + ['--detector-options', 'no-such-property=1'], 1,
         "yolov7 has no writable property 'no-such-property'"),
        (m + ['--detector-options', 'conf-threshold=high'], 1,
         "bad value 'high' for yolov7's conf-threshold"),
        (m + ['--protocols', 'carrier-pigeon'], 1,
         "bad value 'carrier-pigeon' for rtspsrc's protocols"),
        (m + ['--json', os.path.join(args.workdir, 'no-dir', 'x.jsonl')], 1,
         'Could not open file'),
    ]
    for argv, want_rc, want_msg in cases:
        p = subprocess.run([args.example] + argv, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, timeout=60)
        err = p.stderr.decode(errors='replace')
        check(p.returncode == want_rc and want_msg in err,
              '%s: exit %d (want %d), stderr %r (want %r)'
              % (argv, p.returncode, want_rc, err, want_msg))
        print('ok: %s -> %d: %s' % (' '.join(argv) or '(no arguments)',
                                     p.returncode, err.strip().splitlines()[0]))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--example', required=True)
    ap.add_argument('--server', default=None)
    ap.add_argument('--model', required=True)
    ap.add_argument('--workdir', required=True)
    ap.add_argument('--bad-args', action='store_true')
    ap.add_argument('--stall', action='store_true')
    args = ap.parse_args()
    try:
        if args.bad_args:
            run_bad_args(args)
        elif args.stall:
            run_stall(args)
        else:
            run_outages(args)
    except (Failure, subprocess.TimeoutExpired) as e:
        print('FAIL: %s' % e)
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
