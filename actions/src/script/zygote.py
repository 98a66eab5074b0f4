# A warm interpreter for runbook-actions' Python runner: the bootstrap is loaded and boto3
# imported once, then each step runs in a child forked from this process, which starts from
# this state and nothing a previous step did.
#
# Started as `python3 -B -u -c <bootstrap.py + this file>`, with no request. Orders come on
# standard input, one JSON line each; answers go to standard output, one JSON line each:
#   {"id": N, "socket": PATH, "dir": DIR, "request": PATH, "env": {...}, "remove": [...]}
#     -> {"forked": N, "pid": PID}, later {"exited": PID, "status": WAIT_STATUS}
#     -> {"failed": N, "message": "..."} when no child could be forked
# The first line written is {"ready": true}. When standard input closes, this process ends.
#
# Each child is forked before its order comes (one spare waits at a time, on a pipe of its own),
# so that a step does not wait for the fork. A child leads its own process group, connects
# three times to the order's socket (sending b"o", b"e", then b"l", each followed by its pid and
# a newline) to make its standard output, standard error and lifeline, moves to the order's
# folder, sets its environment and runs the bootstrap's main().


def _serve():
    import json as _json
    import select
    import signal

    # What every step imports, imported once here: the bootstrap's own modules, and boto3.
    import base64  # noqa: F401
    import binascii  # noqa: F401
    import datetime  # noqa: F401
    import gc
    import importlib.abc  # noqa: F401
    import importlib.util  # noqa: F401
    import io  # noqa: F401
    import socket  # noqa: F401
    import threading  # noqa: F401
    import traceback  # noqa: F401

    try:
        import boto3  # noqa: F401
        import botocore.exceptions  # noqa: F401
        import botocore.utils  # noqa: F401
        import botocore.waiter  # noqa: F401
    except Exception:
        pass
    # Objects that exist now are never collected, so that the collector does not touch, and
    # copy, the pages children share with this process.
    gc.freeze()

    wake_read, wake_write = os.pipe()
    os.set_blocking(wake_write, False)
    signal.set_wakeup_fd(wake_write)
    signal.signal(signal.SIGCHLD, lambda number, frame: None)

    def say(answer):
        line = (_json.dumps(answer) + "\n").encode("utf-8")
        while line:
            line = line[os.write(1, line):]

    def reap():
        while True:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            say({"exited": pid, "status": status})

    def child(order):
        import io
        import socket

        try:
            streams = []
            for tag in (b"o", b"e", b"l"):
                stream = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                stream.connect(order["socket"])
                stream.sendall(tag + str(os.getpid()).encode("ascii") + b"\n")
                streams.append(stream)
            for fd, stream in zip((1, 2, 0), streams):
                os.dup2(stream.fileno(), fd)
                stream.close()
            sys.stdout = io.TextIOWrapper(
                io.FileIO(1, "w", closefd=False), encoding="utf-8", write_through=True
            )
            sys.stderr = io.TextIOWrapper(
                io.FileIO(2, "w", closefd=False), encoding="utf-8", write_through=True
            )
            sys.stdin = open(os.devnull, encoding="utf-8")
            os.chdir(order["dir"])
            for name in order.get("remove", []):
                os.environ.pop(name, None)
            os.environ.update(order.get("env", {}))
            global _SAY_END_BEFORE_EXIT
            _SAY_END_BEFORE_EXIT = True
            main(order["request"])
        except BaseException:
            import traceback

            try:
                traceback.print_exc()
                sys.stderr.flush()
            except BaseException:
                pass
        os._exit(70)

    def spare():
        """Forks the child that runs the next order, so that the step that sends it does not
        wait for the fork: the child waits for its order on a pipe of its own. Returns its
        pid and the pipe's end to write the order to, or None when it cannot be forked."""
        for stream in (sys.stdout, sys.stderr):
            stream.flush()
        try:
            read_end, write_end = os.pipe()
        except OSError:
            return None
        try:
            pid = os.fork()
        except OSError:
            os.close(read_end)
            os.close(write_end)
            return None
        if pid == 0:
            try:
                signal.set_wakeup_fd(-1)
                signal.signal(signal.SIGCHLD, signal.SIG_DFL)
                os.close(wake_read)
                os.close(wake_write)
                os.close(write_end)
                os.setpgid(0, 0)
                line = b""
                while not line.endswith(b"\n"):
                    chunk = os.read(read_end, 65536)
                    if not chunk:
                        # This process ended without an order for it.
                        os._exit(0)
                    line += chunk
                os.close(read_end)
                order = _json.loads(line.decode("utf-8"))
            except BaseException:
                os._exit(70)
            child(order)
        os.close(read_end)
        return pid, write_end

    def hand_over(waiting, order):
        """Sends `order` to the spare child `waiting`; its pid, or None when it has gone."""
        pid, write_end = waiting
        line = (_json.dumps(order) + "\n").encode("utf-8")
        try:
            while line:
                line = line[os.write(write_end, line):]
        except OSError:
            return None
        finally:
            os.close(write_end)
        return pid

    waiting = spare()
    say({"ready": True})
    pending = b""
    while True:
        try:
            ready, _, _ = select.select([0, wake_read], [], [])
        except InterruptedError:
            continue
        if wake_read in ready:
            try:
                os.read(wake_read, 4096)
            except BlockingIOError:
                pass
            reap()
        if 0 not in ready:
            continue
        chunk = os.read(0, 65536)
        if not chunk:
            os._exit(0)
        pending += chunk
        while b"\n" in pending:
            line, pending = pending.split(b"\n", 1)
            order = _json.loads(line.decode("utf-8"))
            pid = hand_over(waiting, order) if waiting is not None else None
            if pid is None:
                # No spare (it could not be forked, or it died): fork one for this order now.
                waiting = spare()
                pid = hand_over(waiting, order) if waiting is not None else None
            waiting = None
            if pid is None:
                say({"failed": order["id"], "message": "no child could be forked"})
            else:
                say({"forked": order["id"], "pid": pid})
            # The next step's child is forked while this one runs.
            waiting = spare()


_serve()
