# Runs one aws:executeScript handler for runbook-actions' Python runner.
#
# Started as `python3 -B -u -c <this file> REQUEST`. REQUEST is a JSON file written by the
# runner: {"step", "handler", "source": {"kind", "path", "display"}, "paths": [...], "payload",
# "result", "hide": [[prefix, shown_as], ...], "lifeline": bool}. "paths" go first on sys.path
# (a .zip of libraries that comes with an inline script). The outcome goes to the file named by
# "result", never to stdout, so whatever the script prints cannot corrupt it:
#   {"ok": true, "payload": <the handler's return value>}
#   {"ok": false, "kind": "exception" | "invalid_input", "message": "..."}
#
# With "lifeline", standard input is a lifeline: the runner never writes to it and closes it to
# stop the script (or the operating system closes it when the runner dies). When it closes, the
# whole process group, which this process leads, is killed, so the script's children go too.
#
# Keep this file runnable on every Python the service has offered (3.6 and later).

import json
import os
import sys


def _watch_lifeline():
    import signal
    import threading

    # Only a process leading its own group may take the group down: anything else would kill
    # whoever started it.
    if not hasattr(os, "getpgrp") or os.getpgrp() != os.getpid():
        return
    try:
        lifeline = os.dup(0)
        quiet = os.open(os.devnull, os.O_RDONLY)
        os.dup2(quiet, 0)
        os.close(quiet)
    except OSError:
        return

    def watch():
        try:
            while os.read(lifeline, 4096):
                pass
        except OSError:
            pass
        try:
            os.killpg(os.getpgrp(), signal.SIGKILL)
        except (AttributeError, OSError):
            os._exit(137)

    threading.Thread(target=watch, name="runbook-lifeline", daemon=True).start()


class AwsCallUnavailable(Exception):
    """An AWS API call made by a script while the run uses mocks."""


def _refuse_aws_calls(step):
    # Patch botocore only if the script imports it, so that scripts which never call AWS pay
    # nothing and boto3 need not be installed.
    import importlib.abc

    def refuse(client, operation_name, api_params):
        try:
            service = client.meta.service_model.service_name
        except Exception:
            service = "aws"
        raise AwsCallUnavailable(
            "{}.{} was called by step {}, but AWS calls from scripts are not available when "
            "the run uses mocks; give the step a stand-in result in the mock file "
            "(scripts: {{{}: {{returns: ...}}}}) or run against an emulator or AWS".format(
                service, operation_name, step, step
            )
        )

    class PatchingLoader(importlib.abc.Loader):
        def __init__(self, inner):
            self.inner = inner

        def __getattr__(self, name):
            return getattr(self.inner, name)

        def create_module(self, spec):
            return self.inner.create_module(spec)

        def exec_module(self, module):
            self.inner.exec_module(module)
            module.BaseClient._make_api_call = refuse

    class Finder(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path=None, target=None):
            if name != "botocore.client":
                return None
            for finder in sys.meta_path:
                if finder is self or not hasattr(finder, "find_spec"):
                    continue
                spec = finder.find_spec(name, path, target)
                if spec is not None and spec.loader is not None:
                    spec.loader = PatchingLoader(spec.loader)
                    return spec
            return None

    sys.meta_path.insert(0, Finder())
    # Clients need a region to be created; the refusal should come from the call itself.
    if not os.environ.get("AWS_REGION") and not os.environ.get("AWS_DEFAULT_REGION"):
        os.environ["AWS_DEFAULT_REGION"] = "us-east-1"


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


def _write(path, text):
    with open(path, "w", encoding="utf-8") as file:
        file.write(text)


def main():
    with open(sys.argv[1], encoding="utf-8") as file:
        request = json.load(file)
    if request.get("lifeline"):
        _watch_lifeline()
    result = request["result"]
    hide = request.get("hide", [])
    if os.environ.pop("RUNBOOK_SCRIPT_AWS", "") == "mock":
        _refuse_aws_calls(request["step"])
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
        try:
            payload = json.dumps(returned, allow_nan=False, ensure_ascii=False)
        except (TypeError, ValueError, RecursionError) as error:
            outcome = {
                "ok": False,
                "kind": "exception",
                "message": "the handler's return value cannot be written as JSON: {}".format(
                    error
                ),
            }
        else:
            outcome = None
            _write(result, '{"ok": true, "payload": ' + payload + "}")
    if outcome is not None:
        _write(result, json.dumps(outcome, ensure_ascii=False))

    # Leave at once, as the service does when the handler returns: threads the script left
    # running must not hold the step open.
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except Exception:
            pass
    os._exit(0)


main()
