"""Starting and stopping the real server processes tests talk to."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

VENV_BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_http(url: str, process: subprocess.Popen[bytes], timeout: float = 120) -> None:
    """Poll `url` until it answers 200; fail early if the process died."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            output = process.stdout.read().decode(errors="replace") if process.stdout else ""
            raise RuntimeError(f"server exited with {process.returncode} before {url} answered:\n{output[-3000:]}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.2)
    raise TimeoutError(f"{url} did not answer within {timeout} s")


def stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def aisle_env(**settings: str) -> dict[str, str]:
    """The environment for an `aisle` subprocess: this one minus AISLE_*, plus `settings`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AISLE_")}
    env.update({f"AISLE_{key.upper()}": value for key, value in settings.items()})
    env.update(HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1")
    return env


def add_staff(env: dict[str, str], username: str, password: str) -> None:
    """Create a staff account in the data folder `env` points at, as a store owner would."""
    subprocess.run(
        [str(VENV_BIN / "aisle"), "staff", "add", username, "--password-stdin"],
        input=password + "\n",
        env=env,
        text=True,
        check=True,
        capture_output=True,
    )


def start_aisle(
    env: dict[str, str], timeout: float = 240, command: tuple[str, ...] = ("serve",), health: str = "/api/health"
) -> tuple[subprocess.Popen[bytes], str]:
    """`aisle serve` (or another serving `command`) on a free port with `env`; returns the
    process and its URL once `health` answers.

    Its output goes to `serve.log` (`COMMAND.log`) in its data folder: a pipe nobody reads would fill up
    with access-log lines and stall the server.
    """
    port = free_port()
    log_path = Path(env.get("AISLE_DATA_DIR", ".")) / f"{command[0]}.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [str(VENV_BIN / "aisle"), *command, "--port", str(port)],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for_http(f"{url}{health}", process, timeout=timeout)
    except RuntimeError as exc:
        raise RuntimeError(f"{exc}\n{log_path.read_text(errors='replace')[-3000:]}") from exc
    except BaseException:
        stop(process)
        raise
    return process, url


@contextlib.contextmanager
def serving(env: dict[str, str], timeout: float = 180) -> Iterator[str]:
    """`aisle serve` with `env` for the length of the block; yields its URL."""
    process, url = start_aisle(env, timeout=timeout)
    try:
        yield url
    finally:
        stop(process)
