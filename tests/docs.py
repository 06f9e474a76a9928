"""The project's documents as a reader sees them: the code blocks they tell people to paste, for tests to run."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from hub.config import Settings

ROOT = Path(__file__).resolve().parents[1]


def fenced(document: str, heading: str, language: str) -> list[str]:
    """The fenced blocks in `language` ("" for none) of `document`'s section `heading`, up to its next heading
    of the same or a higher level. Fails the test when there are none, so a renamed section is noticed."""
    found: list[str] = []
    level: int | None = None  # the section's, once inside it
    fence: str | None = None  # the language of the block being read
    body: list[str] = []
    for line in (ROOT / document).read_text().splitlines(keepends=True):
        if line.startswith("```"):
            if fence is None:
                fence, body = line[3:].strip(), []
            else:
                if level is not None and fence == language:
                    found.append("".join(body))
                fence = None
        elif fence is not None:
            body.append(line)  # a "# comment" in a block is not a heading
        elif match := re.match(r"(#+) (.+)", line):
            if match.group(2).strip() == heading:
                level = len(match.group(1))
            elif level is not None and len(match.group(1)) <= level:
                break
    assert found, f"{document} has no section {heading!r} with a {language or 'plain'} block"
    return found


def run_as_printed(script: str, settings: Settings, cwd: Path, **extra_env: str) -> str:
    """A reader's shell: `switchboard` on the PATH, pointed at this test's database.

    The timeout only stops a hung script: a walk of a dozen commands, each a fresh interpreter, took
    107 s of the former 120 s with four test processes on two busy cores; how fast it runs is not what is tested."""
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}",
           "SWITCHBOARD_HOME": str(settings.home), "DATABASE_URL": settings.database_url, **extra_env}  # fmt: skip
    done = subprocess.run(["/bin/sh", "-ec", script], env=env, cwd=cwd, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    return done.stdout
