"""Start and stop a real Chroma server (`chroma run`) on 127.0.0.1 for tests."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class ChromaServer:
    """`chroma run --path DATA` on a free loopback port; `stop()` and `start()` again keep the data."""

    def __init__(self, data: Path, port: int | None = None) -> None:
        self.data = data
        self.port = port or free_port()
        self._process: subprocess.Popen[bytes] | None = None

    @staticmethod
    def executable() -> str | None:
        candidate = Path(sys.executable).parent / "chroma"
        return str(candidate) if candidate.exists() else None

    def start(self, timeout: float = 60.0) -> None:
        executable = self.executable()
        assert executable, "the chroma command (chromadb package) is not installed"
        self._process = subprocess.Popen(
            [executable, "run", "--path", str(self.data), "--host", "127.0.0.1", "--port", str(self.port)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env={**os.environ, "ANONYMIZED_TELEMETRY": "False"},
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{self.port}/api/v2/heartbeat", timeout=1)
                return
            except OSError:
                if self._process.poll() is not None:
                    raise RuntimeError(f"chroma run exited with {self._process.returncode}") from None
                time.sleep(0.2)
        self.stop()
        raise RuntimeError("chroma run did not answer its heartbeat in time")

    def stop(self) -> None:
        if self._process is not None:
            self._process.terminate()
            try:
                self._process.wait(15)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
            self._process = None
