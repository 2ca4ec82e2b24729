"""The ``sam`` command line: subcommand registry, show/check, one-line errors."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from sam import cli, dot
from test_graph import matmul_ikj, spmv_ij

DATA = Path(__file__).parent / "data"
REPO = Path(__file__).resolve().parents[1]

BAD_GV = """digraph SAM {
    comment="x=s0"
    1 [type="flubber"]
    2 [type="mul"]
    2 -> 7 [type="val"]
}
"""


def run(capsys, *argv):
    rc = cli.main(list(argv))
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    return rc, out, err


def test_version(capsys):
    with pytest.raises(SystemExit) as ei:
        cli.main(["--version"])
    assert ei.value.code == 0
    assert capsys.readouterr().out.startswith("sam ")


def test_no_command_prints_help(capsys):
    rc, out, err = run(capsys)
    assert rc == 2 and "COMMAND" in err
    for name, *_ in cli.COMMANDS:
        assert name in err


def test_show_summary_and_conversions(capsys, tmp_path):
    j, d, p = tmp_path / "g.json", tmp_path / "g.gv", tmp_path / "g.png"
    args = ["show", str(DATA / "mat_vecmul_ij.gv"), "--json", str(j), "--dot", str(d)]
    from sam import render
    try:
        render.find_dot()
        args += ["--png", str(p)]
    except render.RenderError:
        p = None
    rc, out, err = run(capsys, *args)
    assert rc == 0, err
    assert out.splitlines()[0] == "mat_vecmul_ij: 13 nodes, 16 edges"
    assert "tensors: x (output, s0), B (input, ss01), c (input, s0)" in out
    assert "nodes: fiberlookup 3" in out
    assert json.loads(j.read_text())["format"] == "sam-graph"
    assert spmv_ij().differences(dot.load(d)) == []
    if p is not None:
        assert p.read_bytes()[:4] == b"\x89PNG"
    # and back from JSON, listing edges with ports
    rc, out, err = run(capsys, "show", str(j), "--edges")
    assert rc == 0 and "7.crd -> 6.crd_B (crd)" in out


def test_show_warns_on_stderr(capsys):
    rc, out, err = run(capsys, "show", str(DATA / "mat_vecmul_ji.gv"))
    assert rc == 0
    assert "sam: warning: " in err and "node 3 is declared more than once" in err


def test_check_ok(capsys, tmp_path):
    f = tmp_path / "ikj.gv"
    dot.dump(matmul_ikj(), f)
    rc, out, err = run(capsys, "check", str(f))
    assert rc == 0 and out.strip() == f"{f}: ok (20 nodes, 28 edges)"


def test_check_lists_every_problem(capsys, tmp_path):
    f = tmp_path / "bad.gv"
    f.write_text(BAD_GV)
    rc, out, err = run(capsys, "check", str(f))
    assert rc == 2
    lines = err.splitlines()
    assert lines[0] == f"sam: error: {f}: 2 problems:"
    assert "node 1: unknown node type 'flubber'" in lines[1]
    assert "edge 2 -> 7 names missing node 7" in lines[2]


def test_check_semantic_problems(capsys, tmp_path):
    g = spmv_ij()
    g.edges = [e for e in g.edges if e.dst != 0]
    f = tmp_path / "cut.json"
    g.save(f)
    rc, out, err = run(capsys, "check", str(f))
    assert rc == 2
    assert err.startswith(f"sam: error: {f}: node 0 (fiberwrite tensor=x mode=vals): "
                          "input port 'val' is not connected")


def test_check_several_files(capsys, tmp_path):
    bad = tmp_path / "bad.gv"
    bad.write_text(BAD_GV)
    rc, out, err = run(capsys, "check", str(DATA / "mat_vecmul_ij.gv"), str(bad))
    assert rc == 2
    assert "mat_vecmul_ij.gv: ok" in out and f"sam: error: {bad}: 2 problems:" in err


def test_missing_file_is_one_line(capsys):
    rc, out, err = run(capsys, "show", "/nonexistent/g.gv")
    assert rc == 2
    assert err == "sam: error: /nonexistent/g.gv: cannot read: No such file or directory\n"


@pytest.mark.parametrize("name", ["bin.gv", "bin.json", "bin.graph"])
def test_binary_graph_file_is_one_line(capsys, tmp_path, name):
    f = tmp_path / name
    f.write_bytes(b"\x7fELF\x02\x01\x01\x00\xd0\xff\xfe")
    rc, out, err = run(capsys, "check", str(f))
    assert rc == 2 and err.startswith(f"sam: error: {f}: not a text file (")
    assert len(err.splitlines()) == 1


def test_syntax_error_is_one_line(capsys, tmp_path):
    f = tmp_path / "syn.gv"
    f.write_text("digraph SAM {\n  1 -> \n")
    rc, out, err = run(capsys, "check", str(f))
    assert rc == 2 and len(err.splitlines()) == 1
    assert err.startswith(f"sam: error: {f}: line ")


def test_debug_shows_the_exception(tmp_path):
    f = tmp_path / "bad.gv"
    f.write_text(BAD_GV)
    from sam.graph import GraphError
    with pytest.raises(GraphError):
        cli.main(["--debug", "check", str(f)])


def test_debug_after_the_command_belongs_to_the_command(capsys, tmp_path):
    f = tmp_path / "bad.gv"
    f.write_text(BAD_GV)
    with pytest.raises(SystemExit) as ei:      # `check` has no --debug option
        cli.main(["check", str(f), "--debug"])
    assert ei.value.code == 2
    assert "unrecognized arguments: --debug" in capsys.readouterr().err


def test_argparse_errors_exit_2(capsys):
    with pytest.raises(SystemExit) as ei:
        cli.main(["show"])
    assert ei.value.code == 2
    assert "sam show: error:" in capsys.readouterr().err


# --------------------------------------------------------------------------
# Registry: one line per command, lazy import

FAKE = '''
from sam.errors import UserError

def add_fake_parser(sub):
    p = sub.add_parser("fake", description="a test command")
    p.add_argument("what")
    p.set_defaults(func=run)

def run(args):
    if args.what == "user":
        raise UserError("bad input: fix it")
    if args.what == "os":
        raise PermissionError(13, "Permission denied", "/root/x")
    if args.what == "multi":
        from sam.graph import GraphError
        raise GraphError(["first problem", "second problem"], "g.gv")
    if args.what == "bug":
        raise RuntimeError("a real bug")
    print("fake ran", args.what)
    return 3
'''


@pytest.fixture
def fake_commands(monkeypatch, tmp_path):
    (tmp_path / "fake_cmd_mod.py").write_text(textwrap.dedent(FAKE))
    (tmp_path / "broken_cmd_mod.py").write_text("raise ImportError('half written')\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr(cli, "COMMANDS", cli.COMMANDS + [
        ("fake", "fake_cmd_mod", "add_fake_parser", "a test command"),
        ("broken", "broken_cmd_mod", "add_broken_parser", "never imports"),
        ("nohandler", "fake_cmd_mod", "missing_function", "names a missing function"),
    ])
    yield
    sys.modules.pop("fake_cmd_mod", None)
    sys.modules.pop("broken_cmd_mod", None)


def test_registered_command_runs_and_returns_status(capsys, fake_commands):
    rc, out, err = run(capsys, "fake", "hello")
    assert rc == 3 and out == "fake ran hello\n"
    assert "broken_cmd_mod" not in sys.modules     # only the selected module is imported


def test_other_commands_survive_a_broken_one(capsys, fake_commands):
    rc, out, err = run(capsys, "show", str(DATA / "mat_vecmul_ij.gv"))
    assert rc == 0
    rc, out, err = run(capsys, "broken")
    assert rc == 2
    assert err == ("sam: error: the 'broken' command is not available "
                   "(broken_cmd_mod.add_broken_parser: half written)\n")
    rc, out, err = run(capsys, "nohandler")
    assert rc == 2 and "the 'nohandler' command is not available" in err


@pytest.mark.parametrize("what, want", [
    ("user", "sam: error: bad input: fix it\n"),
    ("os", "sam: error: /root/x: Permission denied\n"),
    ("multi", "sam: error: g.gv: 2 problems:\n  first problem\n  second problem\n"),
])
def test_library_errors_print_one_line(capsys, fake_commands, what, want):
    rc, out, err = run(capsys, "fake", what)
    assert rc == 2 and err == want


def test_bugs_are_not_hidden(fake_commands):
    with pytest.raises(RuntimeError, match="a real bug"):
        cli.main(["fake", "bug"])


def test_help_lists_unimported_commands(capsys, fake_commands):
    with pytest.raises(SystemExit):
        cli.main(["--help"])
    out = capsys.readouterr().out
    assert "fake" in out and "never imports" in out
    assert "broken_cmd_mod" not in sys.modules


# --------------------------------------------------------------------------
# The installed entry points

def test_python_dash_m_sam(tmp_path):
    f = tmp_path / "bad.gv"
    f.write_text(BAD_GV)
    res = subprocess.run([sys.executable, "-m", "sam", "check", str(f)], cwd=REPO,
                         capture_output=True, text=True, timeout=60)
    assert res.returncode == 2
    assert res.stderr.startswith(f"sam: error: {f}: 2 problems:")
    assert "Traceback" not in res.stderr
