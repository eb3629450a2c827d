"""The short version of bench/load.py: a few sessions for a few seconds, no errors."""

from __future__ import annotations

from bench import load
from tests.server_process import free_port


def test_a_few_sessions_rerunning_every_second(capsys):
    rc = load.main(["--sessions", "4", "--seconds", "4", "--starts", "200", "--steps", "100", "--port", str(free_port())])
    out = capsys.readouterr().out
    assert rc == 0, out
    assert "errors 0" in out
    finished = int(out.split("finished ")[1].split(",")[0])
    assert finished >= 8, out
