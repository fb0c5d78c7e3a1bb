"""Public ticket submissions under gunicorn, jobs on Redis: throughput, latency, none lost or doubled.

    python -m bench.submit [--seconds 20] [--concurrency 32] [--workers 2] [--jobs-worker after|during]

Creates the PostgreSQL database `tandem_bench_submit` afresh with the migrations, starts gunicorn
(2 workers on a free port of 127.0.0.1, TANDEM_ENV=production with a generated SECRET_KEY,
RATELIMIT_ENABLED=false) and one `flask worker` on REDIS_URL=redis://127.0.0.1:6379/14 under a
unique RQ_QUEUE_PREFIX. A bounded load from this machine only (asyncio, keep-alive connections,
`--concurrency` clients) then does what a browser does: GET /tickets/new, take the CSRF token
and the session cookie, POST the form. Each submission has a unique subject and a new e-mail
address. Afterwards it checks in the database that every accepted submission is stored exactly
once and that the requesters it created have no password hash, prints the figures (and JSON
with --json), and stops every process it started.

The jobs the submissions queue on Redis are run once the load is over, by one `flask worker`
started then; the bench waits until it has run every one, and its check fails on a job that
failed or is still open at --drain-timeout. The figure is then the web tier's: how fast it takes
submissions with their jobs on Redis. A worker on the same two cores could not keep pace anyway
(each new ticket is embedded and attached to a topic; one worker on 2 cores runs about 75 jobs a
second, three per submission), so during the load it would only take CPU from the web workers
while its queue grows. `--jobs-worker during` runs it during the load instead, at idle priority,
for the figure of one machine doing both.
"""

import argparse
import asyncio
import json
import os
import platform
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
from pathlib import Path

from bench.bulk import drop_postgres, fresh_postgres

ROOT = Path(__file__).resolve().parent.parent
DB_NAME = "tandem_bench_submit"
TOKEN = re.compile(rb'name="csrf_token" type="hidden" value="([^"]+)"')
NUMBER = re.compile(rb"Your request number is #(\d+)")


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--seconds", type=float, default=20.0, help="measured load duration (default 20)")
    p.add_argument("--warmup", type=float, default=3.0, help="unmeasured load first (default 3)")
    p.add_argument("--concurrency", type=int, default=32, help="concurrent clients (default 32)")
    p.add_argument("--workers", type=int, default=2, help="gunicorn worker processes (default 2)")
    p.add_argument("--threads", type=int, default=2,
                   help="threads per gunicorn worker (gthread; 1: sync workers), so database waits overlap; "
                        "more than 2 lose more to the GIL than they gain (measured on 2 cores)")
    p.add_argument("--worker-nice", type=int, default=19,
                   help="with --jobs-worker during: niceness of the RQ worker, which also runs under SCHED_IDLE "
                        "where chrt exists: web requests first, jobs catch up afterwards (default 19)")
    p.add_argument("--jobs-worker", choices=("after", "during"), default="after",
                   help="start the RQ worker once the load is over and wait until it has run every job the "
                        "submissions queued on Redis (default), or run it during the load at idle priority")
    p.add_argument("--drain-timeout", type=float, default=1200.0,
                   help="with --jobs-worker after: seconds to wait for the queued jobs (default 1200)")
    p.add_argument("--pg-url", default="postgresql://postgres@127.0.0.1:5432",
                   help="PostgreSQL server (the database is created there)")
    p.add_argument("--redis-url", default="redis://127.0.0.1:6379/14")
    p.add_argument("--keep", action="store_true", help="keep the database afterwards")
    p.add_argument("--json", action="store_true", help="also print the figures as JSON")
    return p.parse_args(argv)


# --- processes -------------------------------------------------------------------------------

def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _database_url(pg_url):
    return f"{pg_url.replace('postgresql://', 'postgresql+psycopg://', 1)}/{DB_NAME}"


def service_env(args, upload_dir):
    env = dict(os.environ)
    env.update({
        "TANDEM_ENV": "production",
        "SECRET_KEY": secrets.token_hex(32),
        "DATABASE_URL": f"{args.pg_url}/{DB_NAME}",
        "REDIS_URL": args.redis_url,
        "RQ_QUEUE_PREFIX": f"bench-submit-{os.getpid()}-{secrets.token_hex(3)}",
        "RATELIMIT_ENABLED": "false",
        "SCHEDULER_IN_PROCESS": "false",
        "UPLOAD_DIR": str(upload_dir),
        "TANDEM_INSTANCE_PATH": str(upload_dir.parent),
        "BASE_URL": "http://127.0.0.1",
        "FLASK_APP": "wsgi",
    })
    for name in ("MAIL_SERVER", "MAIL_PORT"):
        env.pop(name, None)  # mail stays in the outbox
    return env


def bin_path(name):
    return str(Path(sys.executable).with_name(name))


def start_worker(args, env, log_dir, idle):
    prefix = [*_idle_prefix(), "nice", "-n", str(args.worker_nice)] if idle else []
    worker = subprocess.Popen([*prefix, bin_path("flask"), "worker"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                              stderr=open(log_dir / "worker.log", "a"), start_new_session=True)
    if idle:
        _nice_autogroup(worker.pid, args.worker_nice)
    return worker


def start_services(args, env, port, log_dir):
    subprocess.run([bin_path("flask"), "db", "upgrade"], cwd=ROOT, env=env, check=True,
                   stdout=subprocess.DEVNULL, stderr=open(log_dir / "migrate.log", "w"))
    worker_class = ["--worker-class", "gthread", "--threads", str(args.threads)] if args.threads > 1 else []
    web = subprocess.Popen(
        [bin_path("gunicorn"), "--workers", str(args.workers), *worker_class, "--bind", f"127.0.0.1:{port}",
         "--keep-alive", "30", "--backlog", "2048", "--log-level", "warning",
         # One listening socket per worker: the kernel spreads new connections over the workers.
         # On a shared socket the first worker awake accepts every kept-alive client at once, and
         # the other worker idles (measured: one worker at 90% CPU, the other at 0%).
         "--reuse-port", "wsgi:app"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=open(log_dir / "gunicorn.log", "w"),
        start_new_session=True)
    worker = start_worker(args, env, log_dir, idle=True) if args.jobs_worker == "during" else None
    return web, worker


def _idle_prefix():
    """Run the worker under SCHED_IDLE where `chrt` exists: it then gets only CPU time nothing else wants."""
    chrt = shutil.which("chrt")
    return [chrt, "--idle", "0"] if chrt else []


def _nice_autogroup(pid, niceness):
    """Give the worker's session its niceness too. With Linux's autogroup scheduling each session
    shares the CPU as one unit, so `nice` alone only ranks the worker against itself (measured: the
    "niced" worker still took half a core from the web workers)."""
    try:
        Path(f"/proc/{pid}/autogroup").write_text(str(niceness))
    except OSError:
        pass  # no autogroup (other systems, or turned off): plain nice already applies


def wait_until_up(port, web, timeout=30.0):
    import http.client

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if web.poll() is not None:
            raise SystemExit("gunicorn exited at start-up; see its log")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/tickets/new")
            if conn.getresponse().status == 200:
                return
        except OSError:
            time.sleep(0.2)
    raise SystemExit("gunicorn did not answer within 30 s")


def stop(processes):
    for proc in processes:
        if proc is not None and proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
    for proc in processes:
        if proc is None:
            continue
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


# --- the load: a minimal keep-alive HTTP/1.1 client on asyncio --------------------------------

class Client:
    """One browser-like visitor on one keep-alive connection (reconnects when the server closes)."""

    def __init__(self, port):
        self.port = port
        self.reader = self.writer = None
        self.cookie = b""

    async def _connect(self):
        self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)

    async def request(self, method, path, body=b"", content_type=b""):
        for attempt in (1, 2):
            if self.writer is None:
                await self._connect()
            head = [f"{method} {path} HTTP/1.1".encode(), b"Host: 127.0.0.1", b"Connection: keep-alive"]
            if self.cookie:
                head.append(b"Cookie: " + self.cookie)
            if body:
                head += [b"Content-Type: " + content_type, b"Content-Length: " + str(len(body)).encode()]
            try:
                self.writer.write(b"\r\n".join(head) + b"\r\n\r\n" + body)
                return await self._response()
            except (ConnectionError, asyncio.IncompleteReadError):
                self.close()
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    async def _response(self):
        raw = await self.reader.readuntil(b"\r\n\r\n")
        lines = raw.split(b"\r\n")
        status = int(lines[0].split(b" ", 2)[1])
        length, keep, chunked = 0, True, False
        for line in lines[1:]:
            name, _, value = line.partition(b":")
            name, value = name.strip().lower(), value.strip()
            if name == b"content-length":
                length = int(value)
            elif name == b"set-cookie" and value.startswith(b"session="):
                self.cookie = value.split(b";", 1)[0]
            elif name == b"connection" and value.lower() == b"close":
                keep = False
            elif name == b"transfer-encoding" and b"chunked" in value.lower():
                chunked = True
        if chunked:
            body = b""
            while True:
                size = int((await self.reader.readuntil(b"\r\n")).strip(), 16)
                chunk = await self.reader.readexactly(size + 2)
                if size == 0:
                    break
                body += chunk[:-2]
        else:
            body = await self.reader.readexactly(length)
        if not keep:
            self.close()
        return status, body

    def close(self):
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None


async def visitor(n, port, run_id, state):
    client = Client(port)
    i = 0
    while not state["stop"]:
        i += 1
        subject = f"bench {run_id} {n}-{i}"
        started = time.perf_counter()
        try:
            status, page = await client.request("GET", "/tickets/new")
            match = TOKEN.search(page) if status == 200 else None
            if match is None:
                state["errors"].append(f"GET {status}")
                continue
            form = urllib.parse.urlencode({
                "csrf_token": match.group(1).decode(), "name": f"Load Tester {n}",
                "email": f"load-{run_id}-{n}-{i}@bench.example", "subject": subject,
                "body": f"Submission {i} of visitor {n}: the export is empty again since this morning.",
            }).encode()
            status, page = await client.request("POST", "/tickets/new", form, b"application/x-www-form-urlencoded")
        except (OSError, asyncio.IncompleteReadError, ValueError) as exc:
            state["errors"].append(f"{exc.__class__.__name__}: {exc}")
            client.close()
            await asyncio.sleep(0.05)
            continue
        elapsed = time.perf_counter() - started
        number = NUMBER.search(page) if status == 200 else None
        if number is None:
            state["errors"].append(f"POST {status}")
            continue
        state["accepted"].append(subject)
        if state["measuring"]:
            state["latencies"].append(elapsed)
    client.close()


async def run_load(port, concurrency, warmup, seconds, run_id, web_pid=None):
    state = {"stop": False, "measuring": False, "accepted": [], "errors": [], "latencies": []}
    tasks = [asyncio.create_task(visitor(n, port, run_id, state)) for n in range(concurrency)]
    await asyncio.sleep(warmup)
    before, errors_before = len(state["accepted"]), len(state["errors"])
    cpu_before = cpu_by_role(web_pid)
    state["measuring"] = True
    started = time.perf_counter()
    await asyncio.sleep(seconds)
    measured = time.perf_counter() - started
    done = len(state["accepted"]) - before
    cpu = {role: ms - cpu_before.get(role, 0.0) for role, ms in cpu_by_role(web_pid).items()}
    state["measuring"] = False
    state["stop"] = True
    await asyncio.gather(*tasks)
    return {
        "submissions": done, "seconds": measured, "per_second": done / measured,
        "errors": len(state["errors"]) - errors_before, "error_samples": sorted(set(state["errors"]))[:5],
        "latencies": state["latencies"], "accepted": state["accepted"],
        "cpu_ms_per_submission": {role: round(ms / done, 2) for role, ms in cpu.items()} if done else {},
    }


# --- where the CPU went ----------------------------------------------------------------------

_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _stat_cpu_ms(fields):
    """User + system CPU in ms from the fields of /proc/<pid>/stat after the process name."""
    return (int(fields[11]) + int(fields[12])) * 1000.0 / _TICKS


def _idle_cpu_ms():
    """CPU time the whole machine has left idle so far (all cores), in ms."""
    try:
        fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()
        return (int(fields[4]) + int(fields[5])) * 1000.0 / _TICKS  # idle + iowait
    except (OSError, IndexError, ValueError):
        return 0.0


def cpu_by_role(web_pid):
    """CPU so far of the processes a submission passes through: the gunicorn workers, every
    PostgreSQL and Redis server process, and this load generator; and the machine's idle time.
    Linux only: {} elsewhere."""
    proc = Path("/proc")
    if web_pid is None or not proc.is_dir():
        return {}
    totals = {"web": 0.0, "postgres": 0.0, "redis": 0.0, "load": time.process_time() * 1000.0,
              "idle": _idle_cpu_ms()}
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        name = stat[stat.index("(") + 1:stat.rindex(")")]
        fields = stat.rsplit(")", 1)[1].split()
        role = ("web" if int(entry.name) == web_pid or int(fields[1]) == web_pid else
                "postgres" if name.startswith("postgres") else
                "redis" if name.startswith("redis-server") else None)
        if role:
            totals[role] += _stat_cpu_ms(fields)
    return totals


# --- checks ----------------------------------------------------------------------------------

def check_stored(pg_url, run_id, accepted):
    from sqlalchemy import create_engine, text

    engine = create_engine(_database_url(pg_url))
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT subject, count(*) FROM tickets WHERE subject LIKE :p GROUP BY subject"),
                            {"p": f"bench {run_id} %"}).all()
        users = conn.execute(text(
            "SELECT count(*), count(password_hash) FROM users WHERE email LIKE :p"),
            {"p": f"load-{run_id}-%"}).one()
        messages = conn.execute(text(
            "SELECT count(*) FROM messages m JOIN tickets t ON t.id = m.ticket_id WHERE t.subject LIKE :p"),
            {"p": f"bench {run_id} %"}).scalar()
        jobs = dict(conn.execute(text("SELECT status, count(*) FROM jobs GROUP BY status")).all())
    engine.dispose()
    stored = dict(rows)
    wanted = set(accepted)
    return {
        "accepted": len(accepted),
        "stored": len(stored),
        "missing": len(wanted - set(stored)),
        "duplicated": sum(1 for n in stored.values() if n > 1),
        "unexpected": len(set(stored) - wanted),
        "messages": messages,
        "new_requesters": users[0],
        "requesters_with_password": users[1],
        "jobs": jobs,
    }


def drain_jobs(pg_url, timeout):
    """Wait until no job is pending or running; (seconds taken, jobs done meanwhile) or None on timeout."""
    from sqlalchemy import create_engine, text

    engine = create_engine(_database_url(pg_url))
    started = time.monotonic()
    query = text("SELECT count(*) FILTER (WHERE status IN ('pending', 'running')), "
                 "count(*) FILTER (WHERE status = 'done') FROM jobs")
    try:
        with engine.connect() as conn:
            _open, done_before = conn.execute(query).one()
        while time.monotonic() - started < timeout:
            time.sleep(1.0)
            with engine.connect() as conn:
                still_open, done = conn.execute(query).one()
            if still_open == 0:
                return time.monotonic() - started, done - done_before
        return None
    finally:
        engine.dispose()


def percentile(values, q):
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))]


def main(argv=None):
    args = parse_args(argv)
    run_id = secrets.token_hex(4)
    port = free_port()
    tmp = Path(tempfile.mkdtemp(prefix="tandem-bench-submit-"))
    upload_dir = tmp / "uploads"
    upload_dir.mkdir()
    env = service_env(args, upload_dir)
    print(f"database {DB_NAME} (fresh), gunicorn {args.workers} workers on 127.0.0.1:{port}, "
          f"1 RQ worker on {args.redis_url} (prefix {env['RQ_QUEUE_PREFIX']}); logs in {tmp}", file=sys.stderr)
    fresh_postgres(_database_url(args.pg_url))
    web = worker = None
    try:
        web, worker = start_services(args, env, port, tmp)
        wait_until_up(port, web)
        load = asyncio.run(run_load(port, args.concurrency, args.warmup, args.seconds, run_id, web.pid))
        time.sleep(1.0)  # let the last commits land
        drained = None
        if args.jobs_worker == "after":
            worker = start_worker(args, env, tmp, idle=False)
            drained = drain_jobs(args.pg_url, args.drain_timeout)
        checks = check_stored(args.pg_url, run_id, load["accepted"])
    finally:
        stop([web, worker])
        _forget_queues(env)
        if not args.keep:
            drop_postgres(_database_url(args.pg_url))
    lat = load["latencies"]
    figures = {
        "cpu": f"{os.cpu_count()} cores, {platform.processor() or platform.machine()}",
        "workers": args.workers, "threads": args.threads, "concurrency": args.concurrency,
        "seconds": round(load["seconds"], 1),
        "submissions": load["submissions"], "submissions_per_second": round(load["per_second"], 1),
        "latency_ms_p50": round(percentile(lat, 50) * 1000, 1), "latency_ms_p95": round(percentile(lat, 95) * 1000, 1),
        "errors": load["errors"], "error_samples": load["error_samples"],
        "cpu_ms_per_submission": load["cpu_ms_per_submission"], "jobs_worker": args.jobs_worker,
        "drain_seconds": round(drained[0], 1) if drained else None, **checks,
    }
    ok = (checks["missing"] == 0 and (args.jobs_worker == "during" or drained is not None)
          and not checks["jobs"].get("failed") and checks["duplicated"] == 0 and checks["unexpected"] == 0
          and checks["requesters_with_password"] == 0 and checks["messages"] == checks["stored"])
    print(f"submissions/s   {figures['submissions_per_second']}  ({load['submissions']} in {figures['seconds']} s, "
          f"{args.concurrency} clients, GET form + POST)")
    print(f"latency         p50 {figures['latency_ms_p50']} ms, p95 {figures['latency_ms_p95']} ms (GET + POST)")
    if figures["cpu_ms_per_submission"]:
        print("CPU/submission  " + ", ".join(f"{role} {ms} ms" for role, ms in figures["cpu_ms_per_submission"].items())
              + " (GET + POST)")
    print(f"errors          {load['errors']} {load['error_samples'] or ''}")
    print(f"stored          {checks['stored']} of {checks['accepted']} accepted (warm-up included): "
          f"missing {checks['missing']}, duplicated {checks['duplicated']}, unexpected {checks['unexpected']}")
    print(f"requesters      {checks['new_requesters']} new, {checks['requesters_with_password']} with a password hash")
    if args.jobs_worker == "after":
        print("worker          " + (f"started after the load: ran {drained[1]} jobs in {drained[0]:.1f} s "
                                    f"({drained[1] / drained[0]:.0f}/s)" if drained else
                                    f"jobs still open after {args.drain_timeout:.0f} s"))
    print(f"jobs            {checks['jobs']}")
    print("check           " + ("OK: every accepted submission stored exactly once" if ok else "FAILED"))
    if args.json:
        print(json.dumps(figures))
    return 0 if ok else 1


def _forget_queues(env):
    """Remove this run's RQ keys from Redis (they carry the run's unique prefix)."""
    try:
        from redis import Redis

        redis = Redis.from_url(env["REDIS_URL"])
        prefix = env["RQ_QUEUE_PREFIX"]
        for pattern in (f"rq:queue:{prefix}:*", f"rq:job:{prefix}-job-*", f"rq:*{prefix}*"):
            keys = list(redis.scan_iter(pattern, count=1000))
            if keys:
                redis.delete(*keys)
    except Exception as exc:  # cleaning up is a courtesy; the figures are already printed
        print(f"could not clean Redis: {exc}", file=sys.stderr)


if __name__ == "__main__":
    sys.exit(main())
