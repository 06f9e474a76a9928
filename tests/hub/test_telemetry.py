"""Log lines name their process and request; the metrics folder for several processes starts empty."""

from __future__ import annotations

import io
import logging
from pathlib import Path

from hub import telemetry


def test_log_lines_carry_the_process_and_the_current_request_id() -> None:
    stream = io.StringIO()
    logger = logging.getLogger("switchboard.test_telemetry")
    logger.addHandler(telemetry.log_handler("web", stream))
    logger.propagate = False
    token = telemetry.request_id.set("abc123")
    try:
        logger.warning("database busy")
    finally:
        telemetry.request_id.reset(token)
    logger.warning("after the request")
    first, second = stream.getvalue().splitlines()
    assert "level=WARNING process=web" in first and "request_id=abc123 msg=database busy" in first
    assert "request_id=- msg=after the request" in second


def test_the_metrics_folder_is_emptied_for_a_new_run_and_a_given_one_is_kept(tmp_path: Path) -> None:
    stale = tmp_path / "metrics" / "histogram_123.db"
    stale.parent.mkdir()
    stale.write_bytes(b"old")
    env: dict[str, str] = {}
    telemetry.prepare_multiprocess_dir(tmp_path, env)
    assert env[telemetry.MULTIPROC_ENV] == str(tmp_path / "metrics") and not stale.exists()
    given = {telemetry.MULTIPROC_ENV: "/elsewhere"}
    telemetry.prepare_multiprocess_dir(tmp_path, given)
    assert given[telemetry.MULTIPROC_ENV] == "/elsewhere"
