"""emergence.threads: the CPUs a process may use (affinity and cgroup quota) and the thread variables."""

import os
import subprocess
import sys

import pytest

from emergence import threads


def cgroup_tree(tmp_path, files, proc_lines):
    for relative, text in files.items():
        path = tmp_path / "cg" / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    proc = tmp_path / "proc-cgroup"
    proc.write_text("\n".join(proc_lines) + "\n")
    return threads.cgroup_cpu_quota(tmp_path / "cg", proc)


def test_cgroup_v2_quota_and_no_limit(tmp_path):
    assert cgroup_tree(tmp_path, {"cpu.max": "150000 100000\n"}, ["0::/"]) == 1.5
    assert cgroup_tree(tmp_path / "b", {"cpu.max": "max 100000\n"}, ["0::/"]) is None


def test_cgroup_v2_takes_the_strictest_level_up_to_the_root(tmp_path):
    files = {"cpu.max": "max 100000", "user/cpu.max": "400000 100000", "user/job/cpu.max": "200000 100000"}
    assert cgroup_tree(tmp_path, files, ["0::/user/job"]) == 2.0
    files["user/cpu.max"] = "50000 100000"  # a parent limits harder than the job's own group
    assert cgroup_tree(tmp_path / "b", files, ["0::/user/job"]) == 0.5


def test_cgroup_v1_quota(tmp_path):
    files = {"cpu,cpuacct/cpu.cfs_quota_us": "100000", "cpu,cpuacct/cpu.cfs_period_us": "100000"}
    assert cgroup_tree(tmp_path, files, ["4:cpu,cpuacct:/", "1:memory:/x"]) == 1.0
    files = {"cpu/cpu.cfs_quota_us": "-1", "cpu/cpu.cfs_period_us": "100000"}  # -1: no quota (this machine's case)
    assert cgroup_tree(tmp_path / "b", files, ["1:cpu:/", "2:cpuacct:/", "0::/"]) is None


def test_unreadable_cgroup_means_no_quota(tmp_path):
    assert threads.cgroup_cpu_quota(tmp_path, tmp_path / "missing") is None


def test_usable_cpus_is_within_affinity():
    n = threads.usable_cpus()
    assert 1 <= n <= len(os.sched_getaffinity(0))
    quota = threads.cgroup_cpu_quota()
    if quota is not None:
        assert n <= max(1, quota)


def test_usable_cpus_follows_the_affinity_mask():
    # A child pinned to one CPU must see one, whatever the host has.
    out = subprocess.run(["taskset", "-c", "0", sys.executable, "-m", "emergence.threads"],
                         capture_output=True, text=True, check=True).stdout
    assert out.strip() == "1"


def test_thread_environment_sets_every_pool():
    env = threads.thread_environment(1)
    assert set(env) == set(threads.THREAD_VARIABLES) and set(env.values()) == {"1"}
    assert {"OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "NUMBA_NUM_THREADS"} <= set(env)


@pytest.mark.parametrize("bad, error", [(0, ValueError), (-2, ValueError), (1.5, TypeError), ("2", TypeError),
                                        (True, TypeError)])
def test_thread_environment_rejects_bad_counts(bad, error):
    with pytest.raises(error, match="threads"):
        threads.thread_environment(bad)


def test_command_line_exports():
    run = lambda *args: subprocess.run([sys.executable, "-m", "emergence.threads", *args],  # noqa: E731
                                       capture_output=True, text=True)
    fixed = run("--export", "1").stdout.splitlines()
    assert "export OPENBLAS_NUM_THREADS=1" in fixed and len(fixed) == len(threads.THREAD_VARIABLES)
    sized = run("--export").stdout
    assert f'export OMP_NUM_THREADS="${{OMP_NUM_THREADS:-{threads.usable_cpus()}}}"' in sized
    # The exports are valid shell, and a value set by the user survives the sized form.
    shell = subprocess.run(["bash", "-c", f'{sized}\necho "$OMP_NUM_THREADS $NUMBA_NUM_THREADS"'],
                           env={**os.environ, "OMP_NUM_THREADS": "7"}, capture_output=True, text=True)
    assert shell.stdout.split()[0] == "7"
    bad = run("--export", "zero")
    assert bad.returncode == 2 and "positive integer" in bad.stderr


def test_binder_start_script_sizes_the_pools_to_the_granted_cpus():
    # repo2docker runs `start <server command>`; pinned to one CPU, every pool must get one thread.
    from pathlib import Path

    env = {k: v for k, v in os.environ.items() if k not in threads.THREAD_VARIABLES}
    env["PATH"] = f"{Path(sys.executable).parent}:{env['PATH']}"
    start = Path(__file__).resolve().parents[1] / "start"
    run = subprocess.run(["taskset", "-c", "0", str(start), "bash", "-c", "echo $OPENBLAS_NUM_THREADS $NUMBA_NUM_THREADS"],
                         env=env, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert run.stdout.split() == ["1", "1"]
