"""A Dask fit across separate network hosts, and what it does when a host fails.

Needs root and ``ip`` (iproute2) on Linux. Each worker runs in its own
network namespace (its own interface and address, ``10.77.0.2``,
``10.77.0.3``, ...), joined to the scheduler's address ``10.77.0.1`` by a
bridge, so every byte between the client, the scheduler and the workers
crosses a network link, as on a cluster of machines. The namespaces share
the file system, as machines with a shared folder would.

For each fault asked for, the script starts a fresh cluster of
``--hosts`` hosts (a ``dask worker`` with its nanny in each), fits
``SkipGramVectorizer(input="filename", n_shards=2)`` under
``joblib.parallel_config(backend="dask")`` on the first ``--max-tokens`` of a
corpus written as files of 10k tokens, injects the fault ``--at`` seconds
into the fit, and records how the fit ended, how long it took and whether
its vectors equal those of the same fit run locally (``n_jobs=1``):

* ``none``: no fault;
* ``kill-worker``: SIGKILL to the worker process of the last host (its
  nanny starts a new one);
* ``kill-host``: SIGKILL to every process of the last host (nanny and
  worker: the host is gone);
* ``cut-link``: the last host's link goes down and stays down (no process
  dies and no connection is closed: the other side only sees silence).

Everything it made (processes, namespaces, links, files) is removed at the
end, also after an error or a signal. Prints a table and writes JSON.

Example (about 5 minutes on 2 cores)::

    sudo PYTHONPATH=. python benchmarks/probe_dask_hosts.py \\
        --corpus ../shared/data/text8like.txt.gz --max-tokens 1000000 \\
        --faults none kill-worker kill-host cut-link --at 5 \\
        --out benchmarks/results/dask_hosts_1M.json
"""

import argparse
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
PREFIX = "skw2vh"
BRIDGE = f"{PREFIX}br"
SUBNET = "10.77.0"


def sh(*cmd, check=True):
    return subprocess.run(cmd, check=check, capture_output=True, text=True)


class Hosts:
    """Network namespaces on a bridge: the scheduler's side is the bridge itself."""

    def __init__(self, n):
        self.n, self.names, self.made_bridge = n, [], False

    def __enter__(self):
        self.cleanup()  # what an earlier run killed by SIGKILL may have left
        sh("ip", "link", "add", BRIDGE, "type", "bridge")
        self.made_bridge = True
        sh("ip", "addr", "add", f"{SUBNET}.1/24", "dev", BRIDGE)
        sh("ip", "link", "set", BRIDGE, "up")
        for i in range(self.n):
            ns, veth = f"{PREFIX}{i}", f"{PREFIX}v{i}"
            sh("ip", "netns", "add", ns)
            self.names.append(ns)
            sh("ip", "link", "add", veth, "type", "veth", "peer", "name", "eth0", "netns", ns)
            sh("ip", "link", "set", veth, "master", BRIDGE)
            sh("ip", "link", "set", veth, "up")
            sh("ip", "netns", "exec", ns, "ip", "addr", "add", f"{self.address(i)}/24", "dev",
               "eth0")
            sh("ip", "netns", "exec", ns, "ip", "link", "set", "eth0", "up")
            sh("ip", "netns", "exec", ns, "ip", "link", "set", "lo", "up")
        return self

    @staticmethod
    def address(i):
        return f"{SUBNET}.{i + 2}"

    def pids(self, i):
        out = sh("ip", "netns", "pids", f"{PREFIX}{i}", check=False).stdout.split()
        return [int(p) for p in out]

    def cut(self, i):
        sh("ip", "link", "set", f"{PREFIX}v{i}", "down")

    def __exit__(self, *exc):
        self.cleanup()

    @staticmethod
    def cleanup():
        listed = sh("ip", "netns", "list", check=False).stdout.split("\n")
        for line in listed:
            ns = line.split(" ")[0]
            if ns.startswith(PREFIX):
                for pid in sh("ip", "netns", "pids", ns, check=False).stdout.split():
                    try:
                        os.kill(int(pid), signal.SIGKILL)
                    except ProcessLookupError:
                        pass
                sh("ip", "netns", "del", ns, check=False)
        links = sh("ip", "-o", "link", "show", check=False).stdout
        for line in links.splitlines():
            name = line.split(":")[1].strip().split("@")[0]
            if name.startswith(PREFIX):
                sh("ip", "link", "del", name, check=False)


def free_port(host):
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def start_cluster(hosts, log_dir, worker_ttl=None):
    """A scheduler on the bridge's address and one worker (with nanny) per host.

    ``worker_ttl`` sets the scheduler's ``distributed.scheduler.worker-ttl``
    (how long a worker may stay silent before it is removed; Dask's default
    is 5 minutes).
    """
    port = free_port(f"{SUBNET}.1")
    address = f"tcp://{SUBNET}.1:{port}"
    procs = []
    env = dict(os.environ)
    if worker_ttl:
        env["DASK_DISTRIBUTED__SCHEDULER__WORKER_TTL"] = worker_ttl
    commands = [("scheduler", ["dask", "scheduler", "--host", f"{SUBNET}.1", "--port",
                               str(port), "--no-dashboard"])]
    commands += [(f"worker{i}", ["ip", "netns", "exec", f"{PREFIX}{i}", "dask", "worker",
                                 address, "--nthreads", "1", "--host", hosts.address(i),
                                 "--name", f"host{i}", "--no-dashboard"])
                 for i in range(hosts.n)]
    for name, cmd in commands:
        with open(os.path.join(log_dir, f"{name}.log"), "ab") as log:  # the child keeps it
            procs.append(subprocess.Popen(cmd, stdout=log, stderr=log, start_new_session=True,
                                          env=env))
    return address, procs


def stop(procs):
    for p in procs:
        try:
            os.killpg(p.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        p.wait()


def one_fault(fault, at, files, spill, local_vectors, n_hosts, log_dir, syncs, timeout,
              worker_ttl=None):
    import threading

    import numpy as np
    from distributed import Client
    from joblib import parallel_config

    from skw2v import SkipGramVectorizer

    with Hosts(n_hosts) as hosts:
        address, procs = start_cluster(hosts, log_dir, worker_ttl)
        try:
            client = Client(address, timeout=60)
            client.wait_for_workers(n_hosts, timeout=120)
            last = n_hosts - 1
            workers = sorted(client.scheduler_info(n_workers=-1)["workers"])
            victim = next(pid for addr, pid in client.run(os.getpid).items()
                          if f"//{hosts.address(last)}:" in addr)
            events, ended = [], {}

            def inject():
                time.sleep(at)
                if fault == "kill-worker":
                    os.kill(victim, signal.SIGKILL)
                elif fault == "kill-host":
                    for pid in hosts.pids(last):
                        try:
                            os.kill(pid, signal.SIGKILL)
                        except ProcessLookupError:
                            pass
                elif fault == "cut-link":
                    hosts.cut(last)
                events.append(time.perf_counter())

            est = SkipGramVectorizer(input="filename", n_shards=2, syncs_per_epoch=syncs,
                                     epochs=1, random_state=0, temp_folder=spill, n_jobs=-1)

            def fit():
                try:
                    with parallel_config(backend="dask"):
                        est.fit(files)
                    ended["outcome"] = "finished"
                except Exception as exc:  # noqa: BLE001 - what the user sees is the result
                    ended["outcome"], ended["message"] = type(exc).__name__, str(exc)
                ended["t"] = time.perf_counter()

            t0 = time.perf_counter()
            if fault != "none":
                threading.Thread(target=inject, daemon=True).start()
            runner = threading.Thread(target=fit, daemon=True)
            runner.start()
            runner.join(timeout)
            if runner.is_alive():  # a hang: take the cluster down and see the fit end
                ended["hung"] = True
                stop(procs)
                runner.join(120)
            outcome = "hang" if ended.get("hung") else ended.get("outcome", "hang")
            seconds = ended.get("t", time.perf_counter()) - t0
            same = outcome == "finished" and bool(np.array_equal(est.vectors_, local_vectors))
            injected = round(events[0] - t0, 2) if events else None
            try:
                client.close(timeout=10)
            except Exception:  # noqa: BLE001 - the cluster may be half gone
                pass
        finally:
            stop(procs)
    return dict(fault=fault, at=at, workers=workers, injected_at=injected, outcome=outcome,
                message=ended.get("message", "")[:600], seconds=seconds,
                same_vectors_as_local_fit=same)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--corpus", required=True)
    ap.add_argument("--max-tokens", type=int, default=1_000_000)
    ap.add_argument("--hosts", type=int, default=2)
    ap.add_argument("--faults", nargs="+", default=["none", "kill-worker", "kill-host",
                                                    "cut-link"],
                    choices=["none", "kill-worker", "kill-host", "cut-link"])
    ap.add_argument("--at", type=float, nargs="+", default=[5.0],
                    help="seconds into the fit at which the fault happens")
    ap.add_argument("--repeats", type=int, default=1)
    ap.add_argument("--syncs", default="auto", help='syncs_per_epoch: an integer or "auto"')
    ap.add_argument("--timeout", type=float, default=600.0,
                    help="give up on a fit after this many seconds (counted as a hang)")
    ap.add_argument("--worker-ttl", default=None,
                    help="the scheduler's distributed.scheduler.worker-ttl, e.g. 15s "
                         "(Dask's default: 5 minutes)")
    ap.add_argument("--out", default=None)
    args = ap.parse_args(argv)
    if os.geteuid() != 0:
        sys.exit("probe_dask_hosts.py makes network namespaces: run it as root")

    sys.path.insert(0, HERE)
    from _anchors import write_json
    from bench_dask_rounds import write_documents

    from skw2v import SkipGramVectorizer

    syncs = args.syncs if args.syncs == "auto" else int(args.syncs)
    work = tempfile.mkdtemp(prefix="probe-dask-hosts-")
    rows = []

    def on_signal(signum, frame):
        raise KeyboardInterrupt(f"signal {signum}")

    signal.signal(signal.SIGTERM, on_signal)
    try:
        docs, spill = os.path.join(work, "docs"), os.path.join(work, "spill")
        os.mkdir(docs)
        os.mkdir(spill)
        files, n_tokens = write_documents(docs, args.max_tokens, args.corpus)
        local = SkipGramVectorizer(input="filename", n_shards=2, syncs_per_epoch=syncs,
                                   epochs=1, random_state=0, temp_folder=spill,
                                   n_jobs=1).fit(files).vectors_
        for rep in range(args.repeats):
            for fault in args.faults:
                for at in (args.at if fault != "none" else [0.0]):
                    row = one_fault(fault, at, files, spill, local, args.hosts, work, syncs,
                                    args.timeout, args.worker_ttl)
                    row.update(repeat=rep, n_tokens=n_tokens, hosts=args.hosts,
                               syncs_per_epoch=syncs, worker_ttl=args.worker_ttl)
                    rows.append(row)
                    print(json.dumps(row), flush=True)
    finally:
        Hosts.cleanup()
        shutil.rmtree(work, ignore_errors=True)

    print(f"\n{args.hosts} hosts (network namespaces on a bridge), n_shards=2, "
          f"syncs_per_epoch={syncs}, 1 epoch, first {args.max_tokens:,} tokens, "
          f"worker-ttl {args.worker_ttl or 'Dask default'}")
    print("| fault | injected at s | outcome | fit s | same vectors as the local fit |")
    print("|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['fault']} | {r['injected_at']} | {r['outcome']} | {r['seconds']:.1f} "
              f"| {r['same_vectors_as_local_fit']} |")
    write_json(args.out, {"args": vars(args), "rows": rows})


if __name__ == "__main__":
    main()
