"""Safe runs: a run never deletes, mixes or loses anything outside its own folder.

Every test works on a throwaway copy of the project (notebooks, pyproject.toml, the demo register and a
fake .git), with HOME pointed at a throwaway home holding a user's file, and compares every byte of the
places a command must not touch before and after.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import DEMO, ROOT

ANALYSIS = str(Path(sys.executable).with_name("analysis"))


def tree(folder: Path) -> dict[str, str]:
    """Every file and folder under ``folder`` with the hash of its bytes (folders: 'dir')."""
    out = {}
    for p in sorted(folder.rglob("*")):
        rel = p.relative_to(folder).as_posix()
        if p.is_symlink():
            out[rel] = "link:" + os.readlink(p)
        elif p.is_dir():
            out[rel] = "dir"
        else:
            out[rel] = hashlib.sha256(p.read_bytes()).hexdigest()
    return out


@pytest.fixture
def project(tmp_path):
    """A throwaway copy of the project: what `analysis run` needs, plus a fake .git and a user's file."""
    copy = tmp_path / "proj"
    shutil.copytree(ROOT / "notebooks", copy / "notebooks")
    shutil.copy(ROOT / "pyproject.toml", copy / "pyproject.toml")
    (copy / "data" / "raw").mkdir(parents=True)
    shutil.copy(DEMO, copy / "data" / "raw" / "demo_register.csv")
    (copy / ".git").mkdir()
    (copy / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
    (copy / "src").mkdir()
    (copy / "src" / "mine.py").write_text("print('a user file')\n")
    home = tmp_path / "home"
    home.mkdir()
    (home / "thesis.tex").write_text("\\documentclass{article}\n")
    return copy


def env_for(project: Path) -> dict:
    env = dict(os.environ)
    env["HOME"] = str(project.parent / "home")
    env.pop("JUPYTER_RUNTIME_DIR", None)
    return env


def cli(project: Path, *args, timeout=600, **kw) -> subprocess.CompletedProcess:
    return subprocess.run(
        [ANALYSIS, *args],
        cwd=kw.pop("cwd", project),
        env=env_for(project),
        capture_output=True,
        text=True,
        timeout=timeout,
        **kw,
    )


def one_line(done: subprocess.CompletedProcess) -> str:
    assert done.returncode not in (0, None), (done.stdout, done.stderr)
    assert "Traceback" not in done.stderr, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    return lines[0]


def make_run_folder(folder: Path, extra: dict[str, str] | None = None) -> Path:
    """A run folder as the toolkit writes it (marked manifest listing its files), plus ``extra``."""
    (folder / "tables").mkdir(parents=True)
    (folder / "tables" / "t.csv").write_text("a\n1\n")
    manifest = {
        "made_by": "analysis run",
        "run": folder.name,
        "files": ["tables/t.csv", "manifest.json"],
    }
    (folder / "manifest.json").write_text(json.dumps(manifest))
    for name, text in (extra or {}).items():
        (folder / name).write_text(text)
    return folder


# --- --out that must be refused, every byte left as it was ------------------------------------------

OUT_CASES = {
    "the project": lambda p: str(p),
    "dot": lambda p: ".",
    "empty": lambda p: "",
    "root": lambda p: "/",
    "home": lambda p: str(p.parent / "home"),
    "data/raw": lambda p: "data/raw",
    "inside data/raw": lambda p: "data/raw/run",
    "inside src": lambda p: "src/run",
    "the parent of the project": lambda p: str(p.parent),
    "a folder with a user file": lambda p: "mine",
    "an existing file": lambda p: "notes.txt",
    "a symbolic link to a folder": lambda p: "linked",
    "a run folder holding a user file": lambda p: "reports/annotated",
    "inside a run folder": lambda p: "reports/clean/sub",
    "a .failed folder that is not a run's": lambda p: "reports/x",
}


@pytest.mark.notebook
@pytest.mark.parametrize("case", list(OUT_CASES))
def test_run_refuses_an_out_it_may_not_replace_and_touches_nothing(project, case):
    (project / "mine").mkdir()
    (project / "mine" / "draft.docx").write_bytes(b"my draft")
    (project / "notes.txt").write_text("my notes")
    (project / "linked").symlink_to(project / "mine")
    make_run_folder(project / "reports" / "annotated", {"my_comments.txt": "keep me"})
    make_run_folder(project / "reports" / "clean")
    (project / "reports" / "x.failed").mkdir()
    (project / "reports" / "x.failed" / "mine.txt").write_text("not a run")
    before = tree(project.parent)
    t0 = time.monotonic()
    done = cli(project, "run", "--out", OUT_CASES[case](project))
    line = one_line(done)
    assert done.returncode == 2 and line.startswith("analysis run: error:"), line
    assert time.monotonic() - t0 < 30
    assert tree(project.parent) == before, "a refused run changed files"


@pytest.mark.batch
def test_batch_refuses_unsafe_parents_and_grid_names_that_leave_the_folder(project):
    grid = project / "g.yaml"
    grid.write_text("name: ../../escape\nbase: {bootstrap_reps: 99}\n", encoding="utf-8")
    before = tree(project.parent)
    line = one_line(cli(project, "batch", "--grid", str(grid), "--out", "reports"))
    assert "plain folder name" in line
    grid.write_text("name: ok\n", encoding="utf-8")
    before = tree(project.parent)
    for out in (".", str(project), "/", str(project.parent / "home"), "g.yaml"):
        line = one_line(cli(project, "batch", "--grid", str(grid), "--out", out))
        assert "nothing was touched" in line, line
    assert tree(project.parent) == before


@pytest.mark.notebook
def test_an_earlier_run_folder_is_replaced_only_on_success(project, tmp_path):
    """A marked run folder is replaced by a good run; a failing run leaves it byte for byte."""
    out = tmp_path / "runs" / "r"
    slice_ = tmp_path / "slice.csv"
    lines = DEMO.read_text(encoding="utf-8-sig").splitlines(keepends=True)
    slice_.write_text(lines[0] + "".join(lines[1::7]), encoding="utf-8-sig")

    def run01(register):
        return cli(project, "run", "--out", str(out), "--notebook", "01_clean",
                   "-p", "raw_paths", json.dumps([str(register)]))  # fmt: skip

    good = run01(slice_)
    assert good.returncode == 0, good.stderr
    assert str(out) in good.stdout  # the success line prints the absolute path
    before = tree(out)
    bad_register = tmp_path / "bad.csv"
    bad_register.write_text("a,b\n1,2\n", encoding="utf-8")
    line = one_line(run01(bad_register))
    assert "01_clean" in line and "bad.csv" in line
    assert tree(out) == before
    assert (tmp_path / "runs" / "r.failed" / "manifest.json").is_file()
    again = run01(slice_)
    assert again.returncode == 0, again.stderr
    assert not (tmp_path / "runs" / "r.failed").exists(), "a good run removes its failed run"
    assert sorted(p.name for p in (tmp_path / "runs").iterdir()) == ["r"]
    mask = os.umask(0)
    os.umask(mask)
    for p in out.rglob("*"):
        want = (0o777 if p.is_dir() else 0o666) & ~mask
        assert stat.S_IMODE(p.stat().st_mode) == want, p


# --- parameter values refused before any kernel starts ----------------------------------------------

BAD_VALUES = {
    "lang": '"fr"',
    "interval": '"bootstrap-t"',
    "base_year": "1990",
    "sensitivity_year": "2031",
    "bootstrap_reps": "-5",
    "wild_reps": "10",
    "cluster": '"nonexistent_column"',
    "reconcile_threshold": "2",
    "cpb_high": "0",
    "cpb_high=inf": "Infinity",
    "seed": "99999999999999999999999",
    "encoding=hex": '"hex"',
    "raw_paths=not a register": '["data/raw/README.md"]',
    "encoding": '"klingon-8"',
    "aliases_path": '"no_such_aliases.csv"',
    "raw_paths": '["no_such_register.csv"]',
    "raw_paths=[1]": "[1]",
    "raw_paths=[]": "[]",
    "raw_paths=device": '["/dev/zero"]',
    "tables_dir": '"/tmp/elsewhere/tables"',
}


@pytest.mark.slow
@pytest.mark.parametrize("case", list(BAD_VALUES))
def test_a_bad_parameter_value_is_refused_before_any_kernel_starts(project, tmp_path, case):
    name = case.split("=")[0]
    out = tmp_path / "r"
    t0 = time.monotonic()
    done = cli(project, "run", "--out", str(out), "-p", name, BAD_VALUES[case])
    line = one_line(done)
    assert time.monotonic() - t0 < 10, "checked before any kernel started"
    assert name in line, line
    assert not out.exists() and not list(tmp_path.glob(".r.*")), "nothing made"


def test_parameter_constraints_are_written_once_and_shown_by_papermill_and_the_readme():
    import papermill as pm

    from analysis.run.parameters import CHECKS, constraint_of

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for path in sorted((ROOT / "notebooks").glob("*.ipynb")):
        for name, spec in pm.inspect_notebook(str(path)).items():
            rule = constraint_of(spec["help"])
            if spec["inferred_type_name"] == "bool":
                continue
            assert rule is not None and rule[0] in CHECKS, (path.stem, name)
            text = f"[{rule[0]}: {rule[1]}]" if rule[1] else f"[{rule[0]}]"
            assert f"`{name}`" in readme and text in readme, (name, text)


# --- one run at a time per folder; runs never share data; a killed run leaves no debris -------------


def _slices(tmp_path: Path) -> tuple[Path, Path]:
    lines = DEMO.read_text(encoding="utf-8-sig").splitlines(keepends=True)
    a, b = tmp_path / "register_a.csv", tmp_path / "register_b.csv"
    a.write_text(lines[0] + "".join(lines[1::3]), encoding="utf-8-sig")
    b.write_text(lines[0] + "".join(lines[2::5]), encoding="utf-8-sig")
    return a, b


def _run_args(out: Path, register: Path) -> list[str]:
    return [
        "run", "--out", str(out), "--notebook", "01_clean", "--notebook", "02_cost_per_beneficiary",
        "-p", "raw_paths", json.dumps([str(register)]), "-p", "bootstrap_reps", "99",
    ]  # fmt: skip


def _tables(out: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted((out / "tables").glob("*.csv"))}


@pytest.mark.notebook
def test_two_runs_at_once_on_different_registers_equal_the_same_runs_done_alone(project, tmp_path):
    a, b = _slices(tmp_path)
    for name, register in (("alone_a", a), ("alone_b", b)):
        done = cli(project, *_run_args(tmp_path / name, register))
        assert done.returncode == 0, done.stderr
    procs = [
        subprocess.Popen([ANALYSIS, *_run_args(tmp_path / name, reg)], cwd=project,
                         env=env_for(project), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        for name, reg in (("both_a", a), ("both_b", b))
    ]  # fmt: skip
    for p in procs:
        _, err = p.communicate(timeout=600)
        assert p.returncode == 0, err.decode()
    assert _tables(tmp_path / "both_a") == _tables(tmp_path / "alone_a")
    assert _tables(tmp_path / "both_b") == _tables(tmp_path / "alone_b")
    assert _tables(tmp_path / "alone_a") != _tables(tmp_path / "alone_b")
    for name in ("both_a", "alone_a"):
        report = json.loads((tmp_path / name / "processed" / "cleaning_report.json").read_text())
        assert report["by_file"] and "register_a.csv" in json.dumps(report["by_file"])
    assert not (project / "data" / "processed").exists(), "runs never write data/processed"


@pytest.mark.notebook
def test_a_second_run_to_the_same_out_stops_at_once_naming_the_first(project, tmp_path):
    a, _ = _slices(tmp_path)
    out = tmp_path / "shared"
    first = subprocess.Popen([ANALYSIS, *_run_args(out, a)], cwd=project, env=env_for(project),
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)  # fmt: skip
    deadline = time.monotonic() + 120
    while not list(tmp_path.glob(".shared.building-*")) and time.monotonic() < deadline:
        time.sleep(0.1)
    t0 = time.monotonic()
    second = cli(project, *_run_args(out, a))
    line = one_line(second)
    assert time.monotonic() - t0 < 15
    assert f"process {first.pid}" in line, line
    _, err = first.communicate(timeout=600)
    assert first.returncode == 0, err.decode()
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["status"] == "succeeded"
    for rel in manifest["files"]:
        assert (out / rel).is_file(), rel
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".shared")) == []


def _processes_mentioning(text: str) -> list[int]:
    import psutil

    found = []
    for proc in psutil.process_iter(["pid", "cmdline", "environ"]):
        try:
            blob = " ".join(proc.info["cmdline"] or []) + json.dumps(proc.info["environ"] or {})
        except (psutil.Error, TypeError):
            continue
        if text in blob and proc.info["pid"] != os.getpid():
            found.append(proc.info["pid"])
    return found


@pytest.mark.notebook
def test_a_killed_run_leaves_nothing_running_and_the_next_run_cleans_up(project, tmp_path):
    a, _ = _slices(tmp_path)
    out = tmp_path / "killed"
    args = ["run", "--out", str(out), "-p", "raw_paths", json.dumps([str(a)]),
            "-p", "bootstrap_reps", "99", "-p", "wild_reps", "99"]  # fmt: skip
    proc = subprocess.Popen([ANALYSIS, *args], cwd=project, env=env_for(project),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)  # fmt: skip
    deadline = time.monotonic() + 300
    workers: list[Path] = []
    while not workers and time.monotonic() < deadline and proc.poll() is None:
        workers = list(tmp_path.glob(".killed.building-*/.worker-*"))
        time.sleep(0.1)
    assert workers, "the run reached its parallel stage (02 and 03 in worker processes)"
    time.sleep(1.0)  # the kernels are running cells
    building = workers[0].parent
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    deadline = time.monotonic() + 20
    while _processes_mentioning(str(building)) and time.monotonic() < deadline:
        time.sleep(0.25)
    assert _processes_mentioning(str(building)) == [], "workers and kernels ended with the run"
    assert building.exists(), "the killed run's folder is there for the next run to clean"
    done = cli(project, "run", "--out", str(out), "--notebook", "01_clean",
               "-p", "raw_paths", json.dumps([str(a)]))  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert sorted(p.name for p in tmp_path.iterdir() if "killed" in p.name) == ["killed"]
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["status"] == "succeeded" and set(manifest["notebooks"]) == {"01_clean"}
    runtime = Path(
        os.environ.get("JUPYTER_RUNTIME_DIR", Path.home() / ".local/share/jupyter/runtime")
    )
    stray = [p for p in runtime.glob("kernel-*.json") if str(building) in p.read_text()]
    assert stray == []


def test_stale_debris_of_a_killed_run_is_cleaned_and_a_half_replaced_folder_restored(tmp_path):
    from analysis.locks import RunLock
    from analysis.run.folders import BUILDING_MARK, clean_debris

    out = tmp_path / "r"
    stale = tmp_path / ".r.building-999999"
    (stale / "tables").mkdir(parents=True)
    (stale / BUILDING_MARK).write_text("{}")
    not_ours = tmp_path / ".r.building-notes"
    not_ours.mkdir()
    (not_ours / "mine.txt").write_text("a user's folder that only looks like ours")
    make_run_folder(tmp_path / ".r.previous-999999")
    with RunLock(out):
        done = clean_debris(out)
    assert len(done) == 2
    assert not stale.exists() and (not_ours / "mine.txt").is_file()
    assert (out / "manifest.json").is_file(), "the interrupted replacement was put back"
    assert not (tmp_path / ".r.lock").exists()


# --- hostile input: bounded in time and memory, one line ---------------------------------------------


_PEAK = (
    "import resource, subprocess, sys\n"
    "done = subprocess.run(sys.argv[2:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)\n"
    "open(sys.argv[1], 'w').write(str(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss))\n"
    "sys.stderr.buffer.write(done.stderr)\n"
    "sys.exit(done.returncode)\n"
)


def _measured(args: list[str], cwd: Path, timeout: float = 30) -> tuple[int, str, float, int]:
    """Run the command under a small wrapper that reads its peak memory (its only child's);
    return (exit code, stderr, seconds, peak memory in bytes)."""
    peak_file = cwd / ".peak"
    t0 = time.monotonic()
    proc = subprocess.Popen(
        [sys.executable, "-c", _PEAK, str(peak_file), *args],
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        _, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        subprocess.run(["pkill", "-f", str(args[-1])], check=False)
        pytest.fail(f"{args} did not end within {timeout} s")
    seconds = time.monotonic() - t0
    peak = int(peak_file.read_text()) * 1024
    peak_file.unlink()
    return proc.returncode, err.decode("utf-8", "replace"), seconds, peak


def _hostile(tmp: Path) -> dict[str, Path]:
    import hostile

    cases = {
        "far cell XFD1048576": hostile.far_cell_xlsx(tmp / "far.xlsx"),
        "far cell ZZ200000": hostile.far_cell_xlsx(tmp / "zz.xlsx", "ZZ200000"),
        "far cell under a lying dimension": hostile.far_cell_xlsx(
            tmp / "lie.xlsx", dimension="A1:E2"
        ),
        "shared-strings bomb": hostile.shared_strings_bomb(tmp / "bomb.xlsx"),
    }
    fifo = tmp / "pipe.csv"
    os.mkfifo(fifo)
    cases["FIFO"] = fifo
    cases["/dev/zero"] = Path("/dev/zero")
    link = tmp / "zero.csv"
    link.symlink_to("/dev/zero")
    cases["a link to /dev/zero"] = link
    odd = Path(os.fsdecode(bytes(tmp) + b"/\xff\xfe register.csv"))
    odd.write_bytes(b"\x00\x01 not a register")
    cases["non-UTF-8 file name"] = odd
    cases["far cell, odd quoting"] = hostile.odd_reference_xlsx(tmp / "quotes.xlsx")
    cases["cells without references"] = hostile.cells_without_references_xlsx(tmp / "norefs.xlsx")
    cases["huge inline string"] = hostile.huge_inline_string_xlsx(tmp / "inline.xlsx")
    cases["parts named in another case"] = hostile.renamed_parts_xlsx(tmp / "case.xlsx")
    cases["a row of millions of fields"] = hostile.wide_csv(tmp / "wide.csv")
    cases["a sparse 2 GiB file"] = hostile.sparse_csv(tmp / "sparse.csv")
    return cases


@pytest.fixture(scope="module")
def hostile_files(tmp_path_factory):
    return _hostile(tmp_path_factory.mktemp("hostile"))


@pytest.mark.slow
@pytest.mark.parametrize(
    "case",
    ["far cell XFD1048576", "far cell ZZ200000", "far cell under a lying dimension",
     "shared-strings bomb", "FIFO", "/dev/zero", "a link to /dev/zero", "non-UTF-8 file name",
     "far cell, odd quoting", "cells without references", "huge inline string",
     "parts named in another case", "a row of millions of fields", "a sparse 2 GiB file"],
)  # fmt: skip
@pytest.mark.parametrize("command", ["clean", "inspect"])
@pytest.mark.xdist_group("hostile")  # one worker: the hostile files are made once
def test_hostile_input_ends_quickly_in_one_line_with_little_memory(
    hostile_files, tmp_path, case, command
):
    path = hostile_files[case]
    args = [ANALYSIS, command, os.fsdecode(path)]
    if command == "clean":
        args += ["--out", str(tmp_path / "out")]
    code, err, seconds, peak = _measured(args, tmp_path)
    assert code == 2, err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1, err
    assert seconds < 30 and peak < 1 << 30, (seconds, peak)
    if case == "non-UTF-8 file name":
        assert "\\xff\\xfe register.csv" in err
    assert not (tmp_path / "out").exists()


@pytest.mark.slow
def test_a_register_with_a_non_utf8_name_is_cleaned_and_its_name_kept_readable(tmp_path):
    import pandas as pd

    odd = Path(os.fsdecode(bytes(tmp_path) + b"/reg\xff.csv"))
    lines = DEMO.read_text(encoding="utf-8-sig").splitlines(keepends=True)
    odd.write_text(lines[0] + "".join(lines[1:50]), encoding="utf-8")
    done = subprocess.run([ANALYSIS, "clean", os.fsdecode(odd), "--out", str(tmp_path / "out")],
                          capture_output=True, text=True)  # fmt: skip
    assert done.returncode == 0, done.stderr
    data = pd.read_parquet(tmp_path / "out" / "projects.parquet")
    assert data["source_file"].str.endswith("reg\\xff.csv").all()


@pytest.mark.slow
def test_a_workbook_within_the_limits_is_read_and_the_limits_are_options(tmp_path):
    import hostile

    ok = hostile.write_xlsx(tmp_path / "ok.xlsx", hostile.sheet_xml(hostile.REGISTER_ROWS))
    done = subprocess.run([ANALYSIS, "clean", str(ok), "--out", str(tmp_path / "o")],
                          capture_output=True, text=True)  # fmt: skip
    assert done.returncode == 0, done.stderr
    done = subprocess.run([ANALYSIS, "clean", str(ok), "--out", str(tmp_path / "o2"), "--max-cells", "5"],
                          capture_output=True, text=True)  # fmt: skip
    assert done.returncode == 2 and "A1:E2 (10 cells; the limit is 5)" in done.stderr


# --- every other error path: one line, exit != 0, no traceback --------------------------------------


def _mount_tmpfs(where: Path, options: str) -> bool:
    where.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(where)],
                          capture_output=True)  # fmt: skip
    return done.returncode == 0


@pytest.fixture
def small_disk(tmp_path):
    where = tmp_path / "small"
    if not _mount_tmpfs(where, "size=160k"):
        pytest.skip("cannot mount a small tmpfs here (needs root)")
    yield where
    subprocess.run(["umount", "-l", str(where)], check=False)


@pytest.fixture
def read_only(tmp_path):
    where = tmp_path / "ro"
    if not _mount_tmpfs(where, "ro,size=64k"):
        pytest.skip("cannot mount a read-only tmpfs here (needs root)")
    yield where
    subprocess.run(["umount", "-l", str(where)], check=False)


@pytest.mark.notebook
def test_a_full_disk_ends_in_one_line_and_leaves_nothing_behind(project, small_disk):
    done = cli(project, "clean", str(DEMO), "--out", str(small_disk / "clean"))
    line = one_line(done)
    assert "No space left on device" in line
    assert not list(small_disk.rglob("*.parquet")) and not list(small_disk.rglob(".staging*"))
    done = cli(project, "run", "--out", str(small_disk / "run"), "--notebook", "01_clean")
    line = one_line(done)
    assert "No space left on device" in line or "disk is full" in line, line
    assert [p.name for p in small_disk.iterdir()] in ([], ["clean"]), list(small_disk.rglob("*"))


@pytest.mark.notebook
def test_a_read_only_folder_ends_in_one_line(project, read_only):
    for args in (["clean", str(DEMO), "--out", str(read_only / "c")],
                 ["run", "--out", str(read_only / "r"), "--notebook", "01_clean"],
                 ["demo-data", "--out", str(read_only / "d")]):  # fmt: skip
        line = one_line(cli(project, *args))
        assert "Read-only file system" in line, line


@pytest.mark.slow
def test_error_paths_of_every_command_are_one_line(project, tmp_path):
    a_file = tmp_path / "a_file.txt"
    a_file.write_text("mine")
    fifo = tmp_path / "params.fifo"
    os.mkfifo(fifo)
    grid = tmp_path / "g.yaml"
    grid.write_text("name: g\nnotebooks: [01_clean]\n", encoding="utf-8")
    cases = [
        ["clean", str(DEMO), "--out", str(a_file)],
        ["demo-data", "--out", str(a_file)],
        ["run", "--out", str(a_file)],
        ["run", "--params", str(tmp_path / "missing.yaml"), "--out", str(tmp_path / "r")],
        ["run", "--params", str(fifo), "--out", str(tmp_path / "r")],
        ["run", "-p", "raw_paths", "[1]", "--out", str(tmp_path / "r")],
        ["run", "--notebook", "05_nothing", "--out", str(tmp_path / "r")],
        ["inspect", str(fifo)],
        ["clean", str(DEMO), "--out", str(tmp_path / "o"), "--max-cells", "0"],
        ["batch", "--grid", str(grid), "--out", str(tmp_path), "--scheduler", "not a url"],
        ["batch", "--grid", str(grid), "--out", str(tmp_path), "--scheduler", "tcp://127.0.0.1:1",
         "--connect-timeout", "2"],
        ["batch", "--grid", str(tmp_path / "missing.yaml"), "--out", str(tmp_path)],
    ]  # fmt: skip
    for args in cases:
        t0 = time.monotonic()
        line = one_line(cli(project, *args, timeout=60))
        assert line.startswith(f"analysis {args[0]}: error:"), (args, line)
        assert time.monotonic() - t0 < 30, args
    assert a_file.read_text() == "mine"
    assert not (tmp_path / "r").exists() and not (tmp_path / "g").exists()


@pytest.mark.slow
def test_paths_typed_are_taken_from_the_working_directory(project, tmp_path):
    """A second folder sharing the same installed package reads and writes its own files."""
    work = tmp_path / "elsewhere"
    work.mkdir()
    lines = DEMO.read_text(encoding="utf-8-sig").splitlines(keepends=True)
    (work / "mine.csv").write_text(lines[0] + "".join(lines[1:40]), encoding="utf-8-sig")
    done = cli(project, "clean", "mine.csv", "--out", "cleaned", cwd=work)
    assert done.returncode == 0, done.stderr
    assert (work / "cleaned" / "projects.parquet").is_file()
    assert str(work / "cleaned") in done.stdout
    assert not (ROOT / "cleaned").exists() and not (ROOT / "mine.csv").exists()


def test_run_finds_the_project_from_the_working_directory_not_the_install(project, tmp_path):
    from analysis.paths import find_project

    assert find_project(project / "notebooks") == project
    assert find_project(project / "data" / "raw") == project
    assert find_project(tmp_path / "home") is None
    done = cli(project, "run", "--out", "r", "-p", "lang", '"fr"', cwd=tmp_path / "home")
    line = one_line(done)
    assert "no project folder" in line


def test_a_register_larger_than_the_memory_available_is_refused_before_it_is_read(
    tmp_path, monkeypatch
):
    import analysis.registers.read as reading
    from analysis.errors import RegisterError

    reg = tmp_path / "reg.csv"
    reg.write_bytes(DEMO.read_bytes())
    monkeypatch.setattr(reading, "available_memory", lambda: 5 * reg.stat().st_size)
    monkeypatch.setattr(
        reading, "read_csv_register", lambda *a, **k: pytest.fail("the file was read")
    )
    with pytest.raises(RegisterError, match="needs about .* GiB of memory and .* is available"):
        reading.read_register(reg)


@pytest.mark.notebook
def test_a_non_editable_install_runs_on_a_clone(project, tmp_path):
    """The package copied into another folder, as `pip install .` copies it into site-packages (no
    link back to the clone), still finds the notebooks of the project it is run from."""
    target = tmp_path / "site"
    shutil.copytree(ROOT / "src" / "analysis", target / "analysis")
    env = env_for(project) | {"PYTHONPATH": str(target)}
    where = subprocess.run([sys.executable, "-c", "import analysis; print(analysis.__file__)"],
                           env=env, capture_output=True, text=True, cwd=project)  # fmt: skip
    assert where.stdout.startswith(str(target)), where.stdout
    lines = DEMO.read_text(encoding="utf-8-sig").splitlines(keepends=True)
    (project / "data" / "raw" / "demo_register.csv").write_text(
        lines[0] + "".join(lines[1::9]), encoding="utf-8-sig"
    )
    done = subprocess.run(
        [sys.executable, "-m", "analysis.run.cli", "run", "--out", "reports/r", "--notebook", "01_clean"],
        env=env, capture_output=True, text=True, cwd=project,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    manifest = json.loads((project / "reports" / "r" / "manifest.json").read_text())
    assert list(manifest["inputs"]) == [str(project / "data" / "raw" / "demo_register.csv")]


# --- attacks found in review: each once broke a promise ---------------------------------------------


@pytest.mark.slow
def test_the_lock_never_follows_a_link_or_touches_a_users_file(project, tmp_path):
    folder = tmp_path / "L"
    folder.mkdir()
    (folder / "precious.txt").write_text("notes")
    (folder / ".r2.lock").symlink_to("precious.txt")
    (folder / ".r3.lock").write_text("my own file that happens to have this name")
    before = tree(folder)
    for name in ("r2", "r3"):
        line = one_line(cli(project, "run", "--out", str(folder / name), "--notebook", "01_clean"))
        assert "not a lock file of this toolkit" in line
    assert tree(folder) == before


def test_a_name_with_glob_characters_cleans_only_its_own_debris(tmp_path):
    from analysis.locks import RunLock
    from analysis.run.folders import BUILDING_MARK, clean_debris

    live = tmp_path / f".a.building-{os.getpid()}"
    live.mkdir()
    (live / BUILDING_MARK).write_text("{}")
    stale_discard = tmp_path / ".*.discard-1-2"
    stale_discard.mkdir()
    users = tmp_path / ".*.discard-notes"
    users.mkdir()
    with RunLock(tmp_path / "*"):
        clean_debris(tmp_path / "*")
    assert live.is_dir(), "another run's building folder was touched"
    assert not stale_discard.exists() and users.is_dir()


def test_a_failed_run_folder_with_a_users_note_is_refused_not_deleted(project, tmp_path):
    failed = make_run_folder(tmp_path / "f.failed", {"NOTES.md": "my diagnosis"})
    manifest = json.loads((failed / "manifest.json").read_text())
    manifest["run"] = "f"
    (failed / "manifest.json").write_text(json.dumps(manifest))
    line = one_line(cli(project, "run", "--out", str(tmp_path / "f"), "--notebook", "01_clean"))
    assert "NOTES.md" in line
    assert (failed / "NOTES.md").read_text() == "my diagnosis"


@pytest.mark.slow
@pytest.mark.parametrize(
    "manifest",
    [
        {"made_by": "analysis run"},  # marked, but no list of files
        {"made_by": "analysis run", "files": [{"a": 1}]},  # a list that is not of names
        {"run": "old", "versions": {"analysis": "0.1"}, "outputs": {}, "notebooks": {}},  # legacy
    ],
)
def test_a_run_folder_whose_manifest_does_not_list_a_file_is_refused(project, tmp_path, manifest):
    old = tmp_path / "old"
    (old / "tables").mkdir(parents=True)
    (old / "tables" / "my_thesis_table.xlsx").write_bytes(b"mine")
    (old / "manifest.json").write_text(json.dumps(manifest))
    before = tree(tmp_path)
    line = one_line(cli(project, "run", "--out", str(old), "--notebook", "01_clean"))
    assert "nothing was touched" in line
    assert tree(tmp_path) == before


def test_a_linked_data_raw_is_still_protected(project, tmp_path):
    shared = tmp_path / "shared_raw"
    shutil.move(project / "data" / "raw", shared)
    (project / "data" / "raw").symlink_to(shared)
    line = one_line(cli(project, "run", "--out", "data/raw/results", "--notebook", "01_clean"))
    assert "data/raw" in line and not (shared / "results").exists()


@pytest.mark.slow
def test_clean_never_removes_a_users_folder_that_looks_like_staging(tmp_path):
    out = tmp_path / "out"
    backup = out / ".staging-999999-my-backup"
    backup.mkdir(parents=True)
    (backup / "keep.txt").write_text("mine")
    lines = DEMO.read_text(encoding="utf-8-sig").splitlines(keepends=True)
    reg = tmp_path / "r.csv"
    reg.write_text(lines[0] + "".join(lines[1:30]), encoding="utf-8-sig")
    done = subprocess.run(
        [ANALYSIS, "clean", str(reg), "--out", str(out)], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert (backup / "keep.txt").read_text() == "mine"
    assert sorted(p.name for p in out.iterdir() if p.name.startswith(".staging")) == [backup.name]


def test_demo_data_overwrites_only_the_demo(tmp_path):
    mine = tmp_path / "demo_register.csv"
    mine.write_text("id,method,source\n1,simulated annealing,real field data\n", encoding="utf-8")
    done = subprocess.run(
        [ANALYSIS, "demo-data", "--out", str(tmp_path)], capture_output=True, text=True
    )
    assert done.returncode == 2 and "not overwritten" in done.stderr
    assert mine.read_text(encoding="utf-8").startswith("id,method")


def test_a_worker_whose_run_died_before_it_started_ends_at_once(tmp_path):
    """The run's pid is passed to the worker: a worker that starts after its parent died (its parent
    is then init, or a subreaper) ends instead of waiting on the wrong parent forever."""
    code = (
        "import sys, time\n"
        "from analysis.run.kernels import worker_init\n"
        "worker_init(sys.argv[1], 999999999)\n"
        "time.sleep(30)\n"
    )
    (tmp_path / ".runtime").mkdir()
    t0 = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-c", code, str(tmp_path)], capture_output=True, timeout=60
    )
    assert done.returncode == 1 and time.monotonic() - t0 < 10
    assert done.stderr == b"", done.stderr  # an import error would end it with 1 too, but loudly
    assert len(list(tmp_path.glob(".worker-*"))) == 1  # the worker did start and record itself


def test_an_out_name_that_is_not_utf8_is_refused_in_one_line(project, tmp_path):
    odd = os.fsdecode(bytes(tmp_path) + b"/\xffrun")
    line = one_line(cli(project, "run", "--out", odd, "--notebook", "01_clean"))
    assert "UTF-8" in line and not list(tmp_path.glob(".*"))


@pytest.mark.slow
def test_usage_errors_and_yaml_bombs_are_one_line(project, tmp_path):
    laugh = tmp_path / "laugh.yaml"
    laugh.write_text(
        "a: &a [1,1,1,1,1,1,1,1,1]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nbootstrap_reps: *b\n"
    )
    numeric = tmp_path / "numeric.yaml"
    numeric.write_text("1: 2\n")
    for args in (
        ["run", "--out"],
        ["run", "-p", "lang"],
        ["clean"],
        ["clean", str(DEMO), "--out", str(tmp_path / "o"), "--max-cells", "abc"],
        ["demo-data", "--seed", "-1", "--out", str(tmp_path / "d")],
        ["run", "--params", str(laugh), "--out", str(tmp_path / "r")],
        ["run", "--params", str(numeric), "--out", str(tmp_path / "r")],
        ["run", "--out", str(tmp_path / "r"), "--notebook", "02_cost_per_beneficiary"],
    ):
        t0 = time.monotonic()
        one_line(cli(project, *args, timeout=60))
        assert time.monotonic() - t0 < 20, args


def test_another_runs_failed_or_hidden_folder_is_never_an_out(project, tmp_path):
    failed = make_run_folder(tmp_path / "r.failed")
    before = tree(tmp_path)
    for name in ("r.failed", ".r.building-1"):
        line = one_line(
            cli(project, "run", "--out", str(tmp_path / name), "--notebook", "01_clean")
        )
        assert "keeps for its own" in line
    assert tree(tmp_path) == before and failed.is_dir()


# --- removals, renames and replacements touch only the toolkit's own ----------------------------


def test_a_file_put_into_the_old_run_folder_during_a_run_stops_the_replacement(tmp_path):
    """The user saves a note into the old run folder while a run works: the old folder stays, note
    included, and the new run is refused with one line."""
    from analysis.errors import ParameterError
    from analysis.run.folders import new_building, replace_with

    out = make_run_folder(tmp_path / "run")
    building = new_building(out)
    (building / "manifest.json").write_text("{}")
    (out / "my_note.txt").write_text("keep me")  # appears after the run's first check
    with pytest.raises(ParameterError, match="gained files the run did not write.*my_note.txt"):
        replace_with(building, out)
    assert (out / "my_note.txt").read_text() == "keep me"
    assert (out / "tables" / "t.csv").is_file()
    assert not list(tmp_path.glob(".run.previous-*")) and not list(tmp_path.glob(".run.discard-*"))


def test_a_moved_aside_run_folder_holding_a_users_file_is_kept_by_the_clean_up(tmp_path):
    from analysis.run.folders import clean_debris

    out = make_run_folder(tmp_path / "run")
    previous = make_run_folder(tmp_path / ".run.previous-99999999", {"my_note.txt": "keep me"})
    done = clean_debris(out)
    assert (previous / "my_note.txt").read_text() == "keep me"
    assert any("kept" in line for line in done)


def test_an_earlier_failed_run_is_removed_through_a_discard_name_the_clean_up_finishes(tmp_path):
    """remove_failed renames before removing, so a kill in the middle leaves a name that the next
    run's clean-up recognises as its own; a discard folder of another run folder is not touched."""
    from analysis.run.folders import clean_debris, remove_failed

    failed = make_run_folder(tmp_path / "run.failed")
    manifest = json.loads((failed / "manifest.json").read_text())
    (failed / "manifest.json").write_text(json.dumps({**manifest, "run": "run"}))
    assert remove_failed(failed) and not failed.exists()
    assert not [p for p in tmp_path.iterdir()]  # nothing left beside it
    half = tmp_path / ".run.discard-123-456"  # what a kill during the removal leaves
    (half / "tables").mkdir(parents=True)
    other = tmp_path / ".runx.discard-123-456"
    other.mkdir()
    clean_debris(tmp_path / "run")
    assert not half.exists() and other.exists()


def test_saving_a_figure_never_takes_a_users_file_of_the_old_temporary_name(tmp_path):
    import matplotlib.pyplot as plt

    from analysis.outputs import save_figure

    users = tmp_path / ".fig.tmp.png"  # the fixed temporary name of earlier versions
    users.write_text("mine")
    fig, ax = plt.subplots()
    ax.plot([0, 1])
    paths = save_figure(fig, tmp_path, "fig", formats=("png",))
    plt.close(fig)
    assert users.read_text() == "mine"
    assert paths["png"].read_bytes().startswith(b"\x89PNG")
    assert sorted(p.name for p in tmp_path.iterdir()) == [".fig.tmp.png", "fig.png"]


def test_a_text_written_over_a_folder_fails_and_leaves_no_temporary_file(tmp_path):
    from analysis.outputs import write_text

    (tmp_path / "table.csv").mkdir()  # a folder where the file should go
    with pytest.raises(OSError):
        write_text("a\n", tmp_path / "table.csv")
    assert [p.name for p in tmp_path.iterdir()] == ["table.csv"]


def test_the_cleaning_outputs_written_from_a_notebook_never_replace_a_users_files(
    tmp_path, demo_clean
):
    """01_clean in the lab calls write_clean_outputs directly: the same check as `analysis clean`."""
    from analysis.errors import RegisterError
    from analysis.outputs import write_clean_outputs

    (tmp_path / "projects.parquet").write_bytes(b"my own table")
    with pytest.raises(RegisterError, match="not written by `analysis clean`"):
        write_clean_outputs(demo_clean, tmp_path)
    assert (tmp_path / "projects.parquet").read_bytes() == b"my own table"


@pytest.mark.parametrize("name", ["../outside", "sub/fig", ".hidden", ""])
def test_a_figure_name_that_is_not_a_plain_file_name_is_refused(tmp_path, name):
    import matplotlib.pyplot as plt

    from analysis.errors import ParameterError
    from analysis.outputs import save_figure

    fig, _ = plt.subplots()
    with pytest.raises(ParameterError, match="plain file name"):
        save_figure(fig, tmp_path / "figs", name)
    plt.close(fig)
    assert not any(tmp_path.rglob("*"))
