"""One `switchboard up` per SWITCHBOARD_HOME: the lock, taken by real processes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from hub import run_lock
from hub.supervisor import up

HOLD = "import sys; from pathlib import Path; from hub import run_lock; run_lock.take(Path(sys.argv[1])); print('held', flush=True); sys.stdin.read()"  # noqa: E501


@pytest.fixture
def holder(tmp_path: Path) -> Iterator[subprocess.Popen[str]]:
    """Another process holding the lock on tmp_path/var until the test ends."""
    process = subprocess.Popen([sys.executable, "-c", HOLD, str(tmp_path / "var")], stdin=subprocess.PIPE,
                               stdout=subprocess.PIPE, text=True)  # fmt: skip
    assert process.stdout is not None and process.stdout.readline() == "held\n"
    yield process
    process.kill()
    process.wait()


def test_a_second_process_is_refused_the_lock_and_told_the_holders_pid(
    tmp_path: Path, holder: subprocess.Popen[str]
) -> None:
    with pytest.raises(run_lock.AlreadyRunning) as refused:
        run_lock.take(tmp_path / "var")
    assert refused.value.pid == holder.pid


def test_a_holder_killed_outright_leaves_no_stale_lock(tmp_path: Path, holder: subprocess.Popen[str]) -> None:
    os.kill(holder.pid, signal.SIGKILL)
    holder.wait()
    run_lock.take(tmp_path / "var").release()


def test_up_on_a_home_another_up_holds_refuses_saying_which_pid_and_what_to_do(
    tmp_path: Path, holder: subprocess.Popen[str]
) -> None:
    result = CliRunner().invoke(up, env={"SWITCHBOARD_HOME": str(tmp_path / "var"), "REDIS_URL": None})
    assert result.exit_code == 1
    assert f"another `switchboard up` (pid {holder.pid}) is running" in result.output
    assert f"kill {holder.pid}" in result.output and "another SWITCHBOARD_HOME" in result.output
