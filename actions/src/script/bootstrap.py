# Runs one aws:executeScript handler for runbook-actions' Python runner.
#
# Started as `python3 -B -u -c <this file> REQUEST`. REQUEST is a JSON file written by the
# runner (a child of the warm interpreter, zygote.py, gets it on its lifeline instead and calls
# run()): {"step", "handler", "source": {"kind", "path", "display"}, "paths": [...], "payload",
# "result", "hide": [[prefix, shown_as], ...], "lifeline": bool, "bridge": bool}. "paths" go first on sys.path
# (a .zip of libraries that comes with an inline script). The outcome goes to the file named by
# "result", never to stdout, so whatever the script prints cannot corrupt it:
#   {"ok": true, "payload": <the handler's return value>}
#   {"ok": false, "kind": "exception" | "invalid_input", "message": "..."}
#
# With "lifeline", standard input is a lifeline: the runner closes it to stop the script (or the
# operating system closes it when the runner dies). When it closes, the whole process group,
# which this process leads, is killed, so the script's children go too.
#
# With "bridge" (a run on mocks; the lifeline is then a socket), every botocore call goes to the
# runner as a JSON line on the lifeline, and the runner answers it as it answers the runbook's
# own calls (see bridge.rs); so do the waits of botocore's waiters, on the run's clock. On a real
# run that records its calls (RUNBOOK_SCRIPT_AWS=observe), botocore reaches AWS itself and each
# call, with its answer, is only reported on the lifeline.
#
# Keep this file runnable on every Python the service has offered (3.6 and later).

import json
import os
import sys


class _Lifeline(object):
    """Standard input as the runner gave it: it closes when the script must stop, and on a run
    that uses mocks it also carries the script's AWS calls to the runner, one JSON line each
    way."""

    def __init__(self, fd):
        import threading

        self.fd = fd
        self.asking = threading.Lock()
        self.arrived = threading.Condition()
        self.replies = []
        self.closed = False
        self.pending = b""
        # Set once the step has said it ended (see `_say_end`): the lifeline's closing then
        # needs nothing done, since this process is already on its way out.
        self.ending = False

    def first(self):
        """Reads the first line the runner sends, as JSON, before anything watches the
        lifeline; `None` when the lifeline closes first."""
        line = b""
        try:
            while b"\n" not in line:
                chunk = os.read(self.fd, 65536)
                if not chunk:
                    return None
                line += chunk
        except OSError:
            return None
        line, _, self.pending = line.partition(b"\n")
        return json.loads(line.decode("utf-8"))

    def watch(self):
        pending = self.pending
        try:
            while True:
                chunk = os.read(self.fd, 65536)
                if not chunk:
                    break
                pending += chunk
                while b"\n" in pending:
                    line, pending = pending.split(b"\n", 1)
                    with self.arrived:
                        self.replies.append(line)
                        self.arrived.notify_all()
        except OSError:
            pass
        if self.ending:
            return
        with self.arrived:
            self.closed = True
            self.arrived.notify_all()
        self.cut()

    def cut(self):
        """The runner has cut the lifeline: ends the script, and all it started."""
        import signal

        _end_descendants()
        try:
            os.killpg(os.getpgrp(), signal.SIGKILL)
        except (AttributeError, OSError):
            os._exit(137)

    def start_watching(self):
        """Watches the lifeline on a thread of its own, which also hands the runner's replies
        to `ask`."""
        # A bare thread, not a `threading.Thread`: the script's `threading.enumerate()` lists
        # only its own threads.
        import _thread

        _thread.start_new_thread(self.watch, ())

    def watch_by_signal(self):
        """Watches the lifeline without a thread, for a step that sends nothing on it: its
        closing sends this process SIGIO, on which the script is ended as `watch` ends it. A
        process with a second thread pays more for every page of memory it copies from the
        warm interpreter (the other processor's view of its memory must be flushed each time),
        and a step copies hundreds. Where the signal cannot be had, a thread watches. A script
        that takes SIGIO for itself is still stopped by the runner, which kills the process
        group a moment after cutting the lifeline."""
        import fcntl
        import signal

        try:
            signal.signal(signal.SIGIO, self._signalled)
            fcntl.fcntl(self.fd, fcntl.F_SETOWN, os.getpid())
            flags = fcntl.fcntl(self.fd, fcntl.F_GETFL)
            fcntl.fcntl(self.fd, fcntl.F_SETFL, flags | os.O_NONBLOCK | os.O_ASYNC)
        except (AttributeError, OSError, ValueError):
            try:
                signal.signal(signal.SIGIO, signal.SIG_DFL)
            except (AttributeError, OSError, ValueError):
                pass
            self.start_watching()
            return
        # A lifeline cut before the signal was asked for sends none.
        self._signalled(signal.SIGIO, None)

    def _signalled(self, number, frame):
        if self.ending:
            return
        while True:
            try:
                chunk = os.read(self.fd, 65536)
            except (BlockingIOError, InterruptedError):
                # Still open.
                return
            except OSError:
                break
            if not chunk:
                break
            # Nothing is sent on this lifeline but its closing; whatever comes is dropped.
        self.cut()

    def tell(self, report):
        """Sends `report`, which has no reply; whether it was sent."""
        line = (json.dumps(report, ensure_ascii=False) + "\n").encode("utf-8")
        with self.asking:
            try:
                while line:
                    line = line[os.write(self.fd, line):]
            except OSError:
                return False
        return True

    def ask(self, request):
        """Sends `request` and waits for its reply; `None` when the runner has gone."""
        line = (json.dumps(request, ensure_ascii=False) + "\n").encode("utf-8")
        with self.asking:
            try:
                while line:
                    line = line[os.write(self.fd, line):]
            except OSError:
                return None
            with self.arrived:
                while not self.replies and not self.closed:
                    self.arrived.wait()
                if not self.replies:
                    return None
                return json.loads(self.replies.pop(0).decode("utf-8"))


def _watch_lifeline(watch=True):
    """Takes standard input as the lifeline and, with `watch`, watches it on a thread of its
    own; without, the caller reads its first line with `first()` and then watches it."""
    # Only a process leading its own group may take the group down: anything else would kill
    # whoever started it.
    if not hasattr(os, "getpgrp") or os.getpgrp() != os.getpid():
        return None
    try:
        # `os.dup` makes a descriptor the script's own child processes do not inherit.
        fd = os.dup(0)
        quiet = os.open(os.devnull, os.O_RDONLY)
        os.dup2(quiet, 0)
        os.close(quiet)
    except OSError:
        return None
    lifeline = _Lifeline(fd)
    if watch:
        lifeline.start_watching()
    return lifeline


class UnansweredAwsCall(BaseException):
    """An AWS call made by a script that nothing in the run answers. It derives from
    BaseException so that a script's `except Exception` cannot hide it."""


def _patch_on_import(patches):
    # Patch botocore only if the script imports it, so that scripts which never call AWS pay
    # nothing and boto3 need not be installed.
    import importlib.abc

    class PatchingLoader(importlib.abc.Loader):
        def __init__(self, inner, patch):
            self.inner = inner
            self.patch = patch

        def __getattr__(self, name):
            return getattr(self.inner, name)

        def create_module(self, spec):
            return self.inner.create_module(spec)

        def exec_module(self, module):
            self.inner.exec_module(module)
            self.patch(module)

    class Finder(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path=None, target=None):
            patch = patches.get(name)
            if patch is None:
                return None
            for finder in sys.meta_path:
                if finder is self or not hasattr(finder, "find_spec"):
                    continue
                spec = finder.find_spec(name, path, target)
                if spec is not None and spec.loader is not None:
                    spec.loader = PatchingLoader(spec.loader, patch)
                    return spec
            return None

    sys.meta_path.insert(0, Finder())
    # In a warm interpreter, botocore may be imported already.
    for name, patch in patches.items():
        if name in sys.modules:
            patch(sys.modules[name])


def _plain(value):
    """`value` (botocore call parameters) as JSON can hold it."""
    import base64
    import datetime

    if isinstance(value, dict):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [_plain(item) for item in value]
    if isinstance(value, (datetime.datetime, datetime.date)):
        return value.isoformat()
    if isinstance(value, (bytes, bytearray)):
        return base64.b64encode(bytes(value)).decode("ascii")
    if hasattr(value, "read"):
        # A file given as a body is read where it stands and put back there, for the call
        # itself to read.
        try:
            start = value.tell()
        except Exception:
            start = None
        data = value.read()
        if start is not None:
            try:
                value.seek(start)
            except Exception:
                pass
        if isinstance(data, str):
            data = data.encode("utf-8")
        return base64.b64encode(data).decode("ascii")
    if value is None or isinstance(value, (str, bool, int, float)):
        return value
    return str(value)


def _shaped(value, shape):
    """`value` (an answer in the API's JSON form) as botocore's parsers give it: timestamps as
    datetimes and blobs as bytes where the model says so."""
    if shape is None:
        return value
    kind = shape.type_name
    if kind == "structure" and isinstance(value, dict):
        members = shape.members
        return {key: _shaped(item, members.get(key)) for key, item in value.items()}
    if kind == "list" and isinstance(value, list):
        return [_shaped(item, shape.member) for item in value]
    if kind == "map" and isinstance(value, dict):
        return {key: _shaped(item, shape.value) for key, item in value.items()}
    if kind == "timestamp" and isinstance(value, (str, int, float)) and not isinstance(value, bool):
        from botocore.utils import parse_timestamp

        try:
            return parse_timestamp(value)
        except (ValueError, TypeError):
            return value
    if kind == "blob" and isinstance(value, str):
        import base64
        import binascii

        try:
            data = base64.b64decode(value, validate=True)
        except (ValueError, binascii.Error):
            data = value.encode("utf-8")
        if shape.serialization.get("streaming"):
            # A streaming body (S3's GetObject `Body`) is read as botocore gives it.
            import io

            from botocore.response import StreamingBody

            return StreamingBody(io.BytesIO(data), len(data))
        return data
    return value


def _metadata(status):
    return {"RequestId": "", "HTTPStatusCode": status, "HTTPHeaders": {}, "RetryAttempts": 0}


def _bridge_aws_calls(step, lifeline):
    # Nothing reaches AWS: whatever credentials and profile the shell has stay out of the run.
    # The runner has already sealed the environment (an endpoint that refuses connections,
    # empty configuration files), which the script's own child processes inherit.
    for name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN"):
        os.environ.pop(name, None)
    os.environ["AWS_ACCESS_KEY_ID"] = "AKIAIOSFODNN7EXAMPLE"
    os.environ["AWS_SECRET_ACCESS_KEY"] = "mock"
    os.environ["AWS_CONFIG_FILE"] = os.devnull
    os.environ["AWS_SHARED_CREDENTIALS_FILE"] = os.devnull
    # Clients need a region to be created, which botocore reads from AWS_DEFAULT_REGION; the
    # runner gives the run's in both variables.
    if not os.environ.get("AWS_DEFAULT_REGION"):
        os.environ["AWS_DEFAULT_REGION"] = os.environ.get("AWS_REGION") or "us-east-1"

    def ask(request):
        return lifeline.ask(request) if lifeline is not None else None

    def make_api_call(client, operation_name, api_params):
        service_model = client.meta.service_model
        service = service_model.service_name
        call = "{}.{}".format(service, operation_name)
        # botocore checks parameters against its model before anything is sent; a call the real
        # service would never see must not be answered by the mocks either.
        if getattr(client.meta.config, "parameter_validation", True):
            from botocore.validate import validate_parameters

            input_shape = service_model.operation_model(operation_name).input_shape
            if input_shape is not None:
                validate_parameters(api_params, input_shape)
        reply = ask(
            {"call": {"service": service, "api": operation_name, "params": _plain(api_params)}}
        )
        if reply is None:
            raise UnansweredAwsCall(
                "{} made by step {} was not answered: the run is not reachable".format(call, step)
            )
        if "ok" in reply:
            response = reply["ok"]
            try:
                shape = service_model.operation_model(operation_name).output_shape
            except Exception:
                shape = None
            response = _shaped(response, shape)
            if isinstance(response, dict):
                response.setdefault("ResponseMetadata", _metadata(200))
            return response
        if "error" in reply:
            error = reply["error"]
            code = error.get("code") or "Unknown"
            response = {
                "Error": {"Code": code, "Message": error.get("message") or ""},
                "ResponseMetadata": _metadata(error.get("status") or 400),
            }
            raise client.exceptions.from_code(code)(response, operation_name)
        raise UnansweredAwsCall(
            "{} made by step {} was not answered: {}".format(call, step, reply.get("unanswered"))
        )

    def patch_client(module):
        module.BaseClient._make_api_call = make_api_call

    class RunClock(object):
        """The `time` module as botocore's waiters see it: their waits are on the run's clock."""

        def sleep(self, seconds):
            if ask({"sleep": seconds}) is None:
                raise UnansweredAwsCall(
                    "a waiter of step {} could not wait: the run is not reachable".format(step)
                )

        def __getattr__(self, name):
            import time

            return getattr(time, name)

    def patch_waiter(module):
        module.time = RunClock()

    _patch_on_import({"botocore.client": patch_client, "botocore.waiter": patch_waiter})


def _report_aws_calls(lifeline):
    # A real run that records its calls: botocore still makes each call itself, and each call
    # with the answer the script got goes to the runner once made, as `_plain` JSON (datetimes
    # as ISO 8601, blobs as base64: what `_shaped` turns back on a replay).
    def streams_read(response):
        """`response` as reported. A streaming body can be read once: it is read for the report
        and given back to the script as a body over what was read."""
        import io

        from botocore.response import StreamingBody

        reported = dict(response)
        for key, value in response.items():
            if isinstance(value, StreamingBody):
                data = value.read()
                response[key] = StreamingBody(io.BytesIO(data), len(data))
                reported[key] = data
        return reported

    def report(client, operation_name, params, answer):
        call = {
            "service": client.meta.service_model.service_name,
            "api": operation_name,
            "params": params,
        }
        call.update(answer)
        lifeline.tell({"observed": call})

    def patch_client(module):
        make_call = module.BaseClient._make_api_call

        def make_api_call(client, operation_name, api_params):
            from botocore.exceptions import ClientError

            # Before the call, which reads a file given as a body to its end.
            params = _plain(api_params)
            try:
                response = make_call(client, operation_name, api_params)
            except ClientError as error:
                answer = error.response or {}
                details = answer.get("Error") or {}
                status = (answer.get("ResponseMetadata") or {}).get("HTTPStatusCode")
                report(
                    client,
                    operation_name,
                    params,
                    {
                        "error": {
                            "code": details.get("Code") or "Unknown",
                            "message": details.get("Message") or "",
                            "status": status,
                        }
                    },
                )
                raise
            reported = streams_read(response) if isinstance(response, dict) else {}
            report(client, operation_name, params, {"ok": _plain(reported)})
            return response

        module.BaseClient._make_api_call = make_api_call

    _patch_on_import({"botocore.client": patch_client})


def _context():
    text = os.environ.pop("RUNBOOK_SCRIPT_CONTEXT", "")
    context = {}
    if text:
        try:
            given = json.loads(text)
        except ValueError:
            given = None
        if isinstance(given, dict):
            context.update(given)
    region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")
    if region and "global:REGION" not in context:
        context["global:REGION"] = region
    return context


class InvalidInput(Exception):
    pass


def _load_handler(request):
    import importlib
    import importlib.util

    source = request["source"]
    handler = request.get("handler") or ""
    kind = source["kind"]
    display = source["display"]
    if not handler:
        raise InvalidInput("no handler: a Python script needs `Handler`, the function to call")

    if kind == "zip":
        if "." not in handler:
            raise InvalidInput(
                "handler `{}` names no module: with a .zip attachment the handler is "
                "`file.function`".format(handler)
            )
        module_name, function_name = handler.rsplit(".", 1)
        sys.path.insert(0, source["path"])
        try:
            module = importlib.import_module(module_name)
        except ImportError as error:
            if getattr(error, "name", None) in _prefixes(module_name):
                raise InvalidInput(
                    "handler `{}` names module `{}`, which attachment {} does not hold".format(
                        handler, module_name, display
                    )
                )
            raise
    else:
        path = source["path"]
        module_name = os.path.splitext(os.path.basename(path))[0]
        function_name = handler
        if kind == "file" and "." in handler:
            wanted, function_name = handler.rsplit(".", 1)
            if wanted != module_name:
                raise InvalidInput(
                    "handler `{}` names module `{}`, but the attachment is {}".format(
                        handler, wanted, display
                    )
                )
        sys.path.insert(0, os.path.dirname(path))
        spec = importlib.util.spec_from_file_location(module_name, path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[module_name] = module
        spec.loader.exec_module(module)

    function = getattr(module, function_name, None)
    if function is None:
        where = "the script" if kind == "inline" else display
        hint = ""
        if kind == "inline" and "." in handler:
            hint = "; `file.function` handlers need an attachment"
        raise InvalidInput(
            "handler `{}` is not defined by {}{}".format(handler, where, hint)
        )
    if not callable(function):
        raise InvalidInput("handler `{}` is not a function".format(handler))
    return function


def _prefixes(dotted):
    parts = dotted.split(".")
    return {".".join(parts[: index + 1]) for index in range(len(parts))}


def _describe(error, hide):
    import traceback

    # Frames of this file ("<string>") and of the import machinery are not the script's.
    frames = [
        frame
        for frame in traceback.extract_tb(error.__traceback__)
        if frame.filename != "<string>" and not frame.filename.startswith("<frozen importlib")
    ]
    summary = "{} - {}".format(type(error).__name__, error)
    if frames:
        text = (
            "Traceback (most recent call last):\n"
            + "".join(traceback.format_list(frames))
            + "\n"
            + summary
        )
    else:
        text = summary
    for prefix, shown in hide:
        text = text.replace(prefix, shown)
    return text


# The runner reads at most twice the service's 100 KB limit of a result: a payload larger than
# that is reported by its size alone, and a failure's message is cut to fit in a third of it.
_MAX_ITEMS = 100
_MAX_RESULT_PAYLOAD = 2 * 100 * 1024
_MAX_FAILURE = 64 * 1024


def _bounded(outcome):
    text = json.dumps(outcome, ensure_ascii=False)
    message = outcome.get("message") or ""
    while len(text.encode("utf-8")) > _MAX_FAILURE and message:
        message = message[: len(message) // 2]
        outcome = dict(outcome, message=message + "\n... (cut)")
        text = json.dumps(outcome, ensure_ascii=False)
    return text


# Set by the warm interpreter (zygote.py) in the children it forks: tearing down the memory such a
# child shares with its parent takes milliseconds, and the runner knows the step has ended only
# when the child's streams close, which exiting does after the teardown.
_SAY_END_BEFORE_EXIT = False


def _say_end(lifeline):
    """Closes this process's side of its standard output, standard error and lifeline, as
    exiting would: its streams become /dev/null, and the lifeline is shut for writing. What
    watches the lifeline is told first, so that the runner's cutting it then takes nothing
    down: this process is already on its way out."""
    try:
        quiet = os.open(os.devnull, os.O_WRONLY)
        os.dup2(quiet, 1)
        os.dup2(quiet, 2)
        os.close(quiet)
    except OSError:
        pass
    if lifeline is None:
        return
    lifeline.ending = True
    import socket

    try:
        fd = os.dup(lifeline.fd)
    except OSError:
        return
    try:
        stream = socket.socket(fileno=fd)
    except OSError:
        os.close(fd)
        return
    try:
        stream.shutdown(socket.SHUT_WR)
    except OSError:
        pass
    stream.close()


def _yield_teardown():
    """Gives every thread of this process the lowest priority: once its step has ended, the
    milliseconds its memory takes to tear down are spent only when a processor has nothing
    better to do, not taken from the step that may already run after it."""
    if not hasattr(os, "setpriority"):
        return
    try:
        threads = [int(tid) for tid in os.listdir("/proc/self/task")]
    except (OSError, ValueError):
        threads = [0]
    for tid in threads:
        try:
            # On Linux a thread's priority is its own: each is lowered.
            os.setpriority(os.PRIO_PROCESS, tid, 19)
        except OSError:
            pass


def _write(path, text):
    # Only the owner may read the result, which can hold secrets.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with open(fd, "w", encoding="utf-8") as file:
        file.write(text)


def _find_prctl():
    if not sys.platform.startswith("linux"):
        return None
    try:
        import ctypes

        return ctypes.CDLL(None, use_errno=True).prctl
    except Exception:
        return None


# Found when this file is loaded: once for all the children of a warm interpreter.
_PRCTL = _find_prctl()


def _adopt_orphans():
    """Makes this process the reaper of every process the script starts (Linux), so that one
    that leaves its process group or session (a daemon, `start_new_session=True`) still
    becomes this process's child when its parent ends, and `_end_descendants` finds it."""
    if _PRCTL is not None:
        PR_SET_CHILD_SUBREAPER = 36
        try:
            _PRCTL(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
        except Exception:
            pass


def _children():
    """The pids of this process's children, living or not yet reaped (Linux)."""
    pids = []
    try:
        tasks = os.listdir("/proc/self/task")
    except OSError:
        return pids
    for task in tasks:
        try:
            with open("/proc/self/task/{}/children".format(task)) as file:
                pids.extend(int(pid) for pid in file.read().split())
        except (OSError, ValueError):
            pass
    return pids


def _end_descendants():
    """Kills every process the script started, wherever it went, before this one ends. A child
    is killed and reaped before its pid could be reused; its own children then come to this
    process, the reaper, and go in the next round."""
    import signal

    try:
        os.waitpid(-1, os.WNOHANG)
    except ChildProcessError:
        # No child, living or not reaped: since this process is the reaper of everything the
        # script started, nothing it started is left.
        return
    except OSError:
        pass
    for _ in range(10000):
        children = _children()
        if not children:
            return
        for pid in children:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        for pid in children:
            try:
                os.waitpid(pid, 0)
            except OSError:
                pass


def main(request_path):
    with open(request_path, encoding="utf-8") as file:
        request = json.load(file)
    lifeline = _watch_lifeline() if request.get("lifeline") else None
    _adopt_orphans()
    run(request, lifeline)


def run(request, lifeline):
    """Runs the step of `request` in this process, which watches `lifeline`, and ends it."""
    result = request["result"]
    hide = request.get("hide", [])
    aws = os.environ.pop("RUNBOOK_SCRIPT_AWS", "")
    if aws == "mock":
        _bridge_aws_calls(request["step"], lifeline if request.get("bridge") else None)
    elif aws == "observe" and lifeline is not None and request.get("bridge"):
        _report_aws_calls(lifeline)
    context = _context()
    sys.argv = [request["source"]["path"]]
    for path in reversed(request.get("paths", [])):
        sys.path.insert(0, path)

    try:
        handler = _load_handler(request)
        returned = handler(request["payload"], context)
    except InvalidInput as error:
        outcome = {"ok": False, "kind": "invalid_input", "message": str(error)}
    except BaseException as error:
        outcome = {"ok": False, "kind": "exception", "message": _describe(error, hide)}
    else:
        # The service keeps the first 100 items of a list; the runner warns with the count.
        items = None
        if isinstance(returned, list) and len(returned) > _MAX_ITEMS:
            items = len(returned)
            returned = returned[:_MAX_ITEMS]
        try:
            payload = json.dumps(
                returned, allow_nan=False, ensure_ascii=False, separators=(",", ":")
            )
        except (TypeError, ValueError, RecursionError) as error:
            outcome = {
                "ok": False,
                "kind": "exception",
                "message": "the handler's return value cannot be written as JSON: {}".format(
                    error
                ),
            }
        else:
            size = len(payload.encode("utf-8"))
            if size > _MAX_RESULT_PAYLOAD:
                outcome = {"ok": False, "kind": "output_too_large", "size": size}
            else:
                outcome = None
                counted = '"items": {}, '.format(items) if items is not None else ""
                _write(result, '{"ok": true, ' + counted + '"payload": ' + payload + "}")
    if outcome is not None:
        _write(result, _bounded(outcome))

    # Leave at once, as the service does when the handler returns: threads the script left
    # running must not hold the step open, nor processes it started outlive it.
    _end_descendants()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except Exception:
            pass
    if _SAY_END_BEFORE_EXIT:
        _say_end(lifeline)
        _yield_teardown()
    os._exit(0)


# Started with a request, run it; a warm interpreter (zygote.py) calls run() in each child it
# forks instead, with the request its runner sent on the lifeline.
if len(sys.argv) > 1:
    main(sys.argv[1])
