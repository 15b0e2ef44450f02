"""SIGTERM stops every process cleanly, in the documented order."""

import json
import signal

from tools.suite import Suite


def test_sigterm_stops_each_process_cleanly(mongodb_uri: str, database: str) -> None:
    suite = Suite(env={"CDP_MONGODB_DATABASE": database})
    suite.start_services(mongodb_uri)
    children = {child.name: child for child in suite.children}
    for child in reversed(suite.children):
        child.popen.send_signal(signal.SIGTERM)
        assert child.popen.wait(15) == 0, "\n".join(child.tail)
    for name in ("ingest", "segmentation", "profile"):
        events = [e for line in children[name].tail if line.startswith("{") if (e := json.loads(line).get("event"))]
        assert events[-2:] == ["stopping", "stopped"], (name, list(children[name].tail))
    assert suite.stop() == {name: 0 for name in children}
