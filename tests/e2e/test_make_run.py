"""What a newcomer does: start the suite as `make run` does, paste the printed curl lines, press Ctrl-C."""

import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import urllib.request
from pathlib import Path

from tools.suite import ROOT


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_run_prints_curl_lines_that_work_and_ctrl_c_stops_all(tmp_path: Path, database: str) -> None:
    env = {
        **os.environ,
        "CDP_STORE_PATH": str(tmp_path / "store.sqlite3"),
        "CDP_MONGODB_DATABASE": database,
        **{f"CDP_{name}_PORT": str(_free_port()) for name in ("STORE", "INGEST", "SEGMENTATION", "PROFILE", "GATEWAY",
                                                               "INGEST_METRICS", "SEGMENTATION_METRICS",
                                                               "PROFILE_METRICS")},
    }
    env.pop("MONGODB_URI", None)
    run = subprocess.Popen([sys.executable, "-m", "tools.run"], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, text=True)
    output: list[str] = []
    up = threading.Event()

    def read() -> None:
        assert run.stdout is not None
        for line in run.stdout:
            output.append(line)
            if "Ctrl-C stops everything" in line:
                up.set()

    threading.Thread(target=read, daemon=True).start()
    try:
        assert up.wait(90), "".join(output)
        printed = "".join(output)
        block = printed.split("Try it:\n", 1)[1].split("\nCtrl-C", 1)[0]
        commands = [c.strip() for c in re.split(r"\n(?=  curl)", block.replace("\\\n", " ")) if c.strip()]
        assert len(commands) == 2, block
        identify = json.loads(subprocess.run(commands[0], shell=True, capture_output=True, text=True, check=True).stdout)
        assert identify["success"] is True
        profile = json.loads(subprocess.run(commands[1], shell=True, capture_output=True, text=True, check=True).stdout)
        assert profile["email"] == "joe.bloggs@intilery.com" and profile["audiences"] == []
        # The banner names every process's metrics, on the ports asked for, and each answers.
        metrics = re.findall(r"http://\S+/metrics", printed.split("Try it:", 1)[0])
        assert metrics[1:] == [f"http://127.0.0.1:{env[f'CDP_{name}_METRICS_PORT']}/metrics"
                               for name in ("INGEST", "SEGMENTATION", "PROFILE")], printed
        for url in metrics:
            with urllib.request.urlopen(url, timeout=10) as reply:
                assert b"process_cpu_seconds_total" in reply.read()
        run.send_signal(signal.SIGINT)
        assert run.wait(60) == 0, "".join(output)
        assert "stopped: {'gateway': 0, 'profile': 0, 'segmentation': 0, 'ingest': 0, 'store': 0}" in "".join(output)
    finally:
        if run.poll() is None:
            run.kill()
            run.wait()
