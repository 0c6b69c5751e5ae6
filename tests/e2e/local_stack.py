"""Start `python -m infra.local` as `make run` does, on a free loopback port, and talk to it over
real HTTP (urllib only). Used by the e2e and browser tests' session fixtures."""

from __future__ import annotations

import email
import email.policy
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[2]
READY_TIMEOUT_SECONDS = 90


@dataclass
class Answer:
    status: int
    headers: Any
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def text(self) -> str:
        return self.body.decode()


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


_opener = urllib.request.build_opener(_NoRedirects)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def unique_address(label: str) -> str:
    return f"{label}-{uuid.uuid4().hex[:10]}@example.org"


class LocalStack:
    """One running local stack, started as a subprocess."""

    def __init__(self, process: subprocess.Popen[bytes], port: int, log_path: Path) -> None:
        self.process = process
        self.port = port
        self.base_url = f"http://127.0.0.1:{port}"
        self.log_path = log_path

    # --- HTTP ---------------------------------------------------------------------------------

    def request(
        self,
        method: str,
        path: str,
        *,
        json_body: Any = None,
        data: bytes | None = None,
        headers: dict[str, str] | None = None,
        timeout: float = 30,
    ) -> Answer:
        all_headers = {"Accept": "application/json", **(headers or {})}
        if json_body is not None:
            data = json.dumps(json_body).encode()
            all_headers.setdefault("Content-Type", "application/json")
        request = urllib.request.Request(self.base_url + path, data=data, headers=all_headers, method=method)
        try:
            with _opener.open(request, timeout=timeout) as response:
                return Answer(response.status, response.headers, response.read())
        except urllib.error.HTTPError as error:
            return Answer(error.code, error.headers, error.read())

    def get(self, path: str, **kwargs: Any) -> Answer:
        return self.request("GET", path, **kwargs)

    def invoke(self, function_id: str, event: dict[str, Any]) -> Any:
        answer = self.request("POST", f"/_local/invoke/{function_id}", json_body=event)
        assert answer.status == 200, answer.text
        return answer.json()

    def create_event(
        self, title: str, *, starts_in: timedelta, capacity: int | None = None
    ) -> dict[str, Any]:
        """An event made through AdminFunction, starting `starts_in` from now (London time)."""
        from zoneinfo import ZoneInfo

        starts = (datetime.now(UTC) + starts_in).astimezone(ZoneInfo("Europe/London"))
        request: dict[str, Any] = {
            "action": "create_event",
            "title": title,
            "description": "An end-to-end test of the local stack.",
            "starts_at": starts.replace(tzinfo=None, minute=0, second=0, microsecond=0).isoformat(),
            "timezone": "Europe/London",
            "duration_minutes": 90,
            "zoom_join_url": "https://zoom.us/j/0000000099",
            "zoom_meeting_id": "000 0000 0099",
            "zoom_passcode": "e2e99",
            "zoom_dial_in": "+44 20 7946 0000",
        }
        if capacity is not None:
            request["capacity"] = capacity
        answer = self.invoke("AdminFunction", request)
        assert answer.get("ok") is True, answer
        return answer["event"]  # type: ignore[no-any-return]

    # --- the outbox ---------------------------------------------------------------------------

    def outbox(self) -> list[dict[str, Any]]:
        answer = self.get("/_local/outbox")
        assert answer.status == 200, answer.text
        return answer.json()["messages"]  # type: ignore[no-any-return]

    def emails_to(self, address: str, *, at_least: int = 1, timeout: float = 15) -> list[EmailMessage]:
        """The emails sent to `address`, waiting (bounded) until there are `at_least` of them:
        some are sent by the queue pump, a moment after the request that queued them."""
        deadline = time.monotonic() + timeout
        while True:
            found = [m for m in self.outbox() if address.lower() in (a.lower() for a in m["to"])]
            if len(found) >= at_least or time.monotonic() > deadline:
                return [
                    email.message_from_string(m["raw"], policy=email.policy.default)  # type: ignore[misc]
                    for m in found
                ]
            time.sleep(0.2)

    # --- the queue ----------------------------------------------------------------------------

    def moto_endpoint(self) -> str:
        """Where the stack's moto server listens (the stack prints it once it is ready)."""
        match = re.search(r"AWS \(moto\) at (http://[\d.]+:\d+)", self.log_path.read_text(errors="replace"))
        assert match, f"the stack did not print its moto endpoint:\n{self.log_tail()}"
        return match.group(1)

    def moto_keys(self) -> dict[str, str]:
        """Credentials moto answers: the local user's (from the file the stack names, when its
        permissions are enforced), else any."""
        import configparser

        match = re.search(
            r"moto credentials +(\S+) \(profile local-stack\)", self.log_path.read_text(errors="replace")
        )
        if not match:
            return {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}
        profile = configparser.ConfigParser()
        profile.read(match.group(1))
        return dict(profile["local-stack"])

    def wait_until_the_outbound_queue_is_empty(self, timeout: float = 15) -> None:
        """Wait (bounded) until the outbound queue holds no message, visible or in flight. The
        queue pump deletes a message only after the function handled it, so from then on
        everything queued before has been handled: there is nothing left that could still send."""
        import boto3

        sqs = boto3.client(
            "sqs", endpoint_url=self.moto_endpoint(), region_name="eu-west-2", **self.moto_keys()
        )
        queue_url = sqs.get_queue_url(QueueName="local-OutboundQueue")["QueueUrl"]
        names = ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
        deadline = time.monotonic() + timeout
        while True:
            attributes = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=names)["Attributes"]
            if all(attributes[name] == "0" for name in names) or time.monotonic() > deadline:
                assert all(attributes[name] == "0" for name in names), f"still queued: {attributes}"
                return
            time.sleep(0.1)

    # --- life cycle ---------------------------------------------------------------------------

    def log_tail(self, lines: int = 60) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    def stop(self, timeout: float = 15) -> int:
        """Ctrl-C, as a developer would; killed if it does not stop in time. Returns the exit code."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)
        return int(self.process.returncode)


def _default_sigint() -> None:
    """A shell starts background jobs with SIGINT ignored, and children inherit that (so would
    the stack, when the tests run as one): restore the default, so that `stop()` is Ctrl-C in a
    developer's terminal."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def start_local_stack(
    log_dir: Path, *, seed: bool = True, extra_env: dict[str, str] | None = None
) -> LocalStack:
    """`python -m infra.local` on a free port, each function under its own role's permissions
    (`IAM=on`); returns once `GET /events` answers 200."""
    port = free_port()
    log_path = log_dir / f"local-stack-{port}.log"
    env = {**os.environ, "PORT": str(port), "SEED": "1" if seed else "0", "PYTHONUNBUFFERED": "1"}
    env["IAM"] = "on"
    env.update(extra_env or {})
    log = log_path.open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "infra.local"],
        cwd=REPO_ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        preexec_fn=_default_sigint,
    )
    stack = LocalStack(process, port, log_path)
    deadline = time.monotonic() + READY_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(
                f"the local stack exited ({process.returncode}) before it was ready:\n{stack.log_tail()}"
            )
        try:
            if stack.get("/events", timeout=5).status == 200:
                return stack
        except OSError:
            pass
        time.sleep(0.25)
    stack.stop()
    raise RuntimeError(f"the local stack was not ready within {READY_TIMEOUT_SECONDS} s:\n{stack.log_tail()}")
