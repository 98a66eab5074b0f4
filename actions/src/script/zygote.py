# A warm interpreter for runbook-actions' Python runner: the bootstrap is loaded and boto3
# imported once, then each step runs in a child forked from this process, which starts from
# this state and nothing a previous step did.
#
# Started as `python3 -B -u -c <bootstrap.py + this file>`, with no request, its standard
# input a socket to the runner and its standard output a pipe. Orders come on standard input,
# one line each; answers go to standard output, one JSON line each. The first line written is
# {"ready": true}. When standard input closes, this process ends.
#   b"spare\n"  forks a spare child
#     -> {"failed": "..."} when no child could be forked
#   and for every child that ends: {"exited": PID, "status": WAIT_STATUS}
#
# A spare child is forked before the step it will run is known, so that a step waits neither
# for the fork nor for anything that does not depend on the step. Its standard output,
# standard error and lifeline are three socket pairs made here before the fork; this process
# hands the runner's ends of the three to the runner on its standard input, with the child's
# pid as the message ("PID\n"). Meanwhile the child leads its own process group, touches what
# a step touches (see _rehearse) and waits for its step on the lifeline, one JSON line:
#   {"dir": DIR, "env": {...}, "remove": [...], "request": <the bootstrap's request>}
# then watches the lifeline (on a thread when the script's AWS calls go over it, otherwise by
# the SIGIO its closing sends: a second thread makes each page the step copies dearer), moves
# to DIR, sets its environment and runs the bootstrap's run().


def _serve():
    # Before anything imported below registers what a fork runs in the child.
    hooks = _record_fork_hooks()

    import json as _json
    import select
    import signal

    # What every step imports, imported once here: the bootstrap's own modules, and boto3.
    import base64  # noqa: F401
    import binascii  # noqa: F401
    import datetime  # noqa: F401
    import fcntl  # noqa: F401
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
    fork, after_fork = _choose_fork(hooks)
    # Objects that exist now are never collected, so that the collector does not touch, and
    # copy, the pages children share with this process.
    gc.freeze()
    _collapse_memory()

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

    def spare():
        """Forks a child with its streams, hands their other ends to the runner and lets the
        child get ready for its step."""
        for stream in (sys.stdout, sys.stderr):
            stream.flush()
        try:
            # Made here rather than in the child, which would copy the memory that takes.
            pairs = [socket.socketpair() for _ in range(3)]
            pid = fork()
        except OSError as error:
            say({"failed": "no child could be forked: {}".format(error)})
            return
        if pid != 0:
            try:
                # Also done by the child: whichever comes first, the runner never sees it in
                # this process's group.
                os.setpgid(pid, pid)
            except OSError:
                pass
            fds = array.array("i", [theirs.fileno() for _, theirs in pairs])
            try:
                runner.sendmsg(
                    [str(pid).encode("ascii") + b"\n"],
                    [(socket.SOL_SOCKET, socket.SCM_RIGHTS, fds)],
                )
            except OSError:
                # The runner has gone: so will this process, once its standard input closes.
                pass
            for ours, theirs in pairs:
                ours.close()
                theirs.close()
            return
        after_fork()
        try:
            global _PAIRS
            _PAIRS = pairs
            runner.close()
            signal.set_wakeup_fd(-1)
            signal.signal(signal.SIGCHLD, signal.SIG_DFL)
            os.close(wake_read)
            os.close(wake_write)
            os.setpgid(0, 0)
            _wait_for_step()
        except BaseException:
            try:
                traceback.print_exc()
                sys.stderr.flush()
            except BaseException:
                pass
        os._exit(70)

    import array

    # Standard input, to hand the runner each child's streams on.
    runner = socket.socket(fileno=os.dup(0))
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
        try:
            chunk = os.read(0, 65536)
        except OSError:
            # The runner has gone, maybe before reading all it was sent.
            chunk = b""
        if not chunk:
            os._exit(0)
        pending += chunk
        while b"\n" in pending:
            _, pending = pending.split(b"\n", 1)
            spare()


def _wait_for_step():
    import io

    _adopt_orphans()
    _rehearse()
    for fd, (ours, theirs) in zip((1, 2, 0), _PAIRS):
        theirs.close()
        os.dup2(ours.fileno(), fd)
        ours.close()
    sys.stdout = io.TextIOWrapper(
        io.FileIO(1, "w", closefd=False), encoding="utf-8", write_through=True
    )
    sys.stderr = io.TextIOWrapper(
        io.FileIO(2, "w", closefd=False), encoding="utf-8", write_through=True
    )
    sys.stdin = open(os.devnull, encoding="utf-8")
    lifeline = _watch_lifeline(watch=False)
    if lifeline is None:
        os._exit(70)
    order = lifeline.first()
    if order is None:
        # The runner has gone before giving this child a step.
        os._exit(0)
    if order["request"].get("bridge"):
        # The script's AWS calls go to the runner on the lifeline: a thread hands the replies.
        lifeline.start_watching()
    else:
        lifeline.watch_by_signal()
    os.chdir(order["dir"])
    for name in order.get("remove", []):
        os.environ.pop(name, None)
    os.environ.update(order.get("env", {}))
    global _SAY_END_BEFORE_EXIT
    _SAY_END_BEFORE_EXIT = True
    run(order["request"], lifeline)


# The modules whose registrations for os.fork() matter to a child (see `_choose_fork`).
_FORK_HOOKED = ("threading", "random", "logging", "concurrent.futures.thread")


def _record_fork_hooks():
    """Starts recording what modules register to run in the child of os.fork(); `None` when a
    module that registers something is imported already, since what it registered is not
    known. `_choose_fork` ends the recording."""
    register = getattr(os, "register_at_fork", None)
    if register is None or any(name in sys.modules for name in _FORK_HOOKED):
        return None
    hooks = []

    def recording(**kwargs):
        if kwargs.get("after_in_child") is not None:
            hooks.append(kwargs["after_in_child"])
        return register(**kwargs)

    os.register_at_fork = recording
    return (register, hooks)


def _choose_fork(recorded):
    """How this process forks its children: a function that forks and returns the child's pid
    (0 in the child), and what the child runs next.

    os.fork() runs, in the child, everything modules registered, most of which resets what
    another thread might have held while the process forked (threading's bookkeeping of its
    threads, logging's locks), of which this process has none: in a child of a process with
    boto3 imported that copies a few hundred pages of the memory it shares, about a third of
    all a child copies before its step. Where it is known to be safe, on Linux with CPython and
    its interpreter lock, when this process has no other thread and what was registered is
    known, the C library's fork is called instead, the lock held, and the child runs what was
    registered but those resets itself (which reseeds `random`, for one)."""
    if recorded is None:
        return os.fork, lambda: None
    register, hooks = recorded
    os.register_at_fork = register
    import threading

    threads_hook = getattr(threading, "_after_fork", None)
    if (
        not sys.platform.startswith("linux")
        or sys.implementation.name != "cpython"
        or not getattr(sys, "_is_gil_enabled", lambda: True)()
        or threading.active_count() != 1
        or not any(hook is threads_hook for hook in hooks)
    ):
        return os.fork, lambda: None
    try:
        import ctypes

        c_fork = ctypes.PyDLL(None, use_errno=True).fork
        c_fork.argtypes = []
        c_fork.restype = ctypes.c_int
    except Exception:
        return os.fork, lambda: None
    logging_hook = getattr(sys.modules.get("logging"), "_after_at_fork_child_reinit_locks", None)

    def resets_locks(hook):
        return (
            hook is threads_hook
            or hook is logging_hook
            or getattr(hook, "__name__", None) == "_at_fork_reinit"
        )

    others = [hook for hook in hooks if not resets_locks(hook)]
    main = threading.main_thread()

    def fork():
        pid = c_fork()
        if pid < 0:
            number = ctypes.get_errno()
            raise OSError(number, os.strerror(number))
        return pid

    def after_fork():
        for hook in others:
            try:
                hook()
            except Exception:
                pass
        # What threading's part would have corrected: the thread's id in the system.
        if hasattr(main, "_set_native_id"):
            main._set_native_id()

    return fork, after_fork


def _collapse_memory():
    """Has the system back this process's private memory with huge pages where it can (Linux
    6.1 and later). Forking a child copies, and its exit drops, one entry per page of that
    memory, which with boto3 imported is thousands of entries each way; a huge page is one
    entry, or a run of entries handled at once once a child has written to it. Elsewhere, or
    when refused, nothing changes."""
    if not sys.platform.startswith("linux"):
        return
    try:
        import ctypes

        with open("/sys/kernel/mm/transparent_hugepage/hpage_pmd_size") as file:
            huge = int(file.read())
        with open("/proc/self/maps") as file:
            maps = file.read().splitlines()
        madvise = ctypes.CDLL(None, use_errno=True).madvise
        madvise.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int]
        madvise.restype = ctypes.c_int
    except Exception:
        return
    MADV_COLLAPSE = 25
    for line in maps:
        fields = line.split()
        # Private writable memory that is no file's: the heap and the interpreter's arenas.
        if len(fields) < 5 or not fields[1].startswith("rw") or fields[1][3] != "p":
            continue
        if len(fields) > 5 and fields[5] != "[heap]":
            continue
        start, end = (int(bound, 16) for bound in fields[0].split("-"))
        # Only whole huge pages, aligned, inside the range.
        start = (start + huge - 1) // huge * huge
        end = end // huge * huge
        if end > start:
            # Refused on a kernel without it, or without memory to spare: nothing to do.
            madvise(start, end - start, MADV_COLLAPSE)


def _rehearse():
    """Does, on made-up data, the work of a trivial step that does not depend on the step:
    reading a request, compiling and calling a handler, writing its result. A child shares its
    memory with the warm interpreter until it writes to it, and even reading an object writes
    its reference count: the pages such work writes are copied now, while the child waits,
    rather than during its step. Nothing of this is left where a script could see it."""
    import importlib.machinery
    import importlib.util

    request = json.loads(
        json.dumps({"step": "s", "source": {"kind": "inline", "path": "/s.py"}, "payload": {}})
    )
    code = compile("def h(events, context):\n    return {'n': 1}\n", "/s.py", "exec")
    space = {}
    exec(code, space)
    returned = space["h"](request["payload"], {})
    json.dumps(returned, allow_nan=False, ensure_ascii=False, separators=(",", ":"))
    # A module loaded from an empty file, which is not listed in sys.modules.
    loader = importlib.machinery.SourceFileLoader("s", os.devnull)
    spec = importlib.util.spec_from_file_location("s", os.devnull, loader=loader)
    spec.loader.exec_module(importlib.util.module_from_spec(spec))
    os.path.splitext(os.path.basename(request["source"]["path"]))
    with open(os.devnull, "w", encoding="utf-8") as file:
        file.write("{}")


_serve()
