"""docker-compose.yml run for real, with podman: the stack minus Metabase comes up, the
scheduler's own night runs on the Celery worker in its container, and analytics is published.

No Docker engine and no image registry are reachable here, so the test builds what the file
needs from Debian's packages: podman, runc and debootstrap (apt), podman-compose (PyPI, in a
venv of its own), a bookworm base image (debootstrap, with Debian's python3.11, postgresql and
redis-server), and from it the images the file names: ``thinline:latest`` (the repository's
Dockerfile, ``BASE_IMAGE`` pointing at the base), ``postgres:18`` and ``redis:7`` (the base with
an entrypoint that does what the file relies on: tests/compose/postgres-entrypoint.sh). The
base is kept between runs (named by its recipe); the others rebuild from podman's layer cache.

podman runs with the ``runc`` runtime, the ``cgroupfs`` cgroup manager and no default rlimits
(crun refuses this machine's hybrid cgroups and the default rlimits). podman 4.3 cannot run
health checks on a timer without systemd and podman-compose then ignores
``condition: service_healthy``, so the test starts the databases and Redis first and runs
their health checks itself (``podman healthcheck run``) before the Airflow services.

The demo company's stand-ins serve on the host's address on the stack's podman network (the
only address the containers reach besides each other); published ports are bound to
127.0.0.1 by the compose file.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import secrets
import shutil
import subprocess
import sys
import tarfile
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
import pytest
import yaml

from sandbox import WorldConfig, build_world, serve
from tests.integration.conftest import wait_for as wait_every

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[2]
ASSETS = ROOT / "tests" / "compose"
PROJECT = "thinline-compose-test"
NETWORK = f"{PROJECT}_default"
SUBNET, GATEWAY = "10.89.211.0/24", "10.89.211.1"
CACHE = Path(os.environ.get("THINLINE_TEST_PODMAN_CACHE", "/var/cache/thinline-compose-test"))
DEBIAN = "http://deb.debian.org/debian"
BASE_PACKAGES = (
    "ca-certificates,passwd,python3.11,python3-pip,python-is-python3,"
    "postgresql-15,postgresql-client-15,redis-server,redis-tools"
)
BASE = "localhost/thinline-debian-base"
BASE_ENV = (
    "PATH=/usr/lib/postgresql/15/bin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
    "LANG=C.UTF-8",
    "SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt",
    "PIP_CERT=/etc/ssl/certs/ca-certificates.crt",
    # Debian marks its Python as managed by apt; in the image it is Python's alone.
    "PIP_BREAK_SYSTEM_PACKAGES=1",
    "UV_BREAK_SYSTEM_PACKAGES=1",
)
BRIDGE = f"{PROJECT}-bridge"  # a container that keeps the network's bridge up
HOST_CA = Path("/etc/ssl/certs/ca-certificates.crt")  # with the registries' proxy CA, if any
DATABASES = ("airflow-db", "warehouse", "redis")
AIRFLOW = (
    "airflow-init",
    "airflow-pools",
    "airflow-apiserver",
    "airflow-scheduler",
    "airflow-dag-processor",
    "airflow-triggerer",
    "airflow-worker",
)
CONTAINERS_CONF = """\
[containers]
default_ulimits = []
[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
"""
POSTGRES_IMAGE = """\
FROM {base}
COPY postgres-entrypoint.sh /usr/local/bin/postgres-entrypoint.sh
ENTRYPOINT ["/usr/local/bin/postgres-entrypoint.sh"]
"""
REDIS_IMAGE = """\
FROM {base}
CMD ["redis-server", "--bind", "0.0.0.0", "--protected-mode", "no", "--save", ""]
"""
NIGHT_TIMEOUT_S = 1500

wait_for = functools.partial(wait_every, interval_s=5)


def run(*command: str | Path, env: dict[str, str] | None = None, timeout: float = 900) -> str:
    """Run ``command``; a failure shows the end of its output."""
    result = subprocess.run(
        [str(part) for part in command],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert result.returncode == 0, f"{command}:\n{(result.stdout + result.stderr)[-3000:]}"
    return result.stdout


def install_tools() -> Path:
    """podman, runc and debootstrap from Debian; podman-compose in a venv; its path."""
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        pytest.skip("the compose test installs Debian packages: it needs root and apt-get")
    missing = [tool for tool in ("podman", "runc", "debootstrap") if shutil.which(tool) is None]
    if missing:
        apt = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        run("apt-get", "update", "-q", env=apt, timeout=600)
        run("apt-get", "install", "-y", "-q", *missing, env=apt, timeout=1200)
    venv = CACHE / "podman-compose"
    if not (venv / "bin" / "podman-compose").exists():
        run(sys.executable, "-m", "venv", venv)
        run(venv / "bin" / "pip", "install", "-q", "podman-compose==1.6.0")
    return venv / "bin" / "podman-compose"


def image_exists(name: str) -> bool:
    return subprocess.run(["podman", "image", "exists", name], check=False).returncode == 0


def fingerprint(*parts: str | Path) -> str:
    digest = hashlib.sha256()
    for part in parts:
        digest.update(part.read_bytes() if isinstance(part, Path) else part.encode())
    return digest.hexdigest()[:12]


def base_image() -> str:
    """The base image's name: it changes with its recipe and the host's CA bundle."""
    return f"{BASE}:{fingerprint(BASE_PACKAGES, *BASE_ENV, HOST_CA)}"


def build_images(env: dict[str, str]) -> None:
    """The base from debootstrap, then thinline:latest, postgres:18 and redis:7 on it."""
    base = base_image()
    if not image_exists(base):
        rootfs = CACHE / "rootfs"
        shutil.rmtree(rootfs, ignore_errors=True)
        run(
            "debootstrap",
            "--variant=minbase",
            f"--include={BASE_PACKAGES}",
            "bookworm",
            rootfs,
            DEBIAN,
            timeout=1800,
        )
        shutil.copy(HOST_CA, rootfs / "etc/ssl/certs/ca-certificates.crt")
        archive = CACHE / "rootfs.tar"
        with tarfile.open(archive, "w") as tar:
            tar.add(rootfs, arcname=".")
        run("podman", "import", *[f"--change=ENV {e}" for e in BASE_ENV], archive, base, env=env)
        archive.unlink()
        shutil.rmtree(rootfs)
    stale = run("podman", "images", "--format", "{{.Repository}}:{{.Tag}}", BASE, env=env)
    for image in set(stale.split()) - {base}:  # disk is finite: keep one base
        subprocess.run(["podman", "rmi", "-f", image], env=env, capture_output=True, check=False)
    # The repository as it is now; podman's layer cache keeps the dependencies' layer while
    # the base, the Dockerfile and requirements.lock stay the same.
    run(
        "podman",
        "build",
        "--build-arg",
        f"BASE_IMAGE={base}",
        "-t",
        "localhost/thinline:latest",
        ROOT,
        env=env,
        timeout=1800,
    )
    subprocess.run(["podman", "image", "prune", "-f"], env=env, capture_output=True, check=False)
    for image, recipe in (
        ("docker.io/library/postgres:18", POSTGRES_IMAGE),
        ("docker.io/library/redis:7", REDIS_IMAGE),
    ):
        run(
            "podman",
            "build",
            "-t",
            image,
            "-f",
            write(CACHE / f"{image.split('/')[-1]}.Containerfile", recipe.format(base=base)),
            ASSETS,
            env=env,
        )


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def settings_file(tmp_path: Path, start: str) -> Path:
    """The ``.env`` of the deployment (random secrets); Metabase's are required by the file
    even though its services are left out."""
    values = {
        "AIRFLOW_DB_PASSWORD": secrets.token_hex(12),
        "AIRFLOW_JWT_SECRET": secrets.token_urlsafe(32),
        "AIRFLOW_SECRET_KEY": secrets.token_urlsafe(32),
        "AIRFLOW_FERNET_KEY": "7T2Lg3f4dnnvaDq3bFqrVzWoVfQr1dLDIQhCzmIjWC8=",
        "WAREHOUSE_PASSWORD": secrets.token_hex(12),
        "THINLINE_BI_READER_PASSWORD": secrets.token_hex(12),
        "METABASE_DB_PASSWORD": "unused",
        "METABASE_ENCRYPTION_KEY": "unused-unused-unused",
        "METABASE_ADMIN_EMAIL": "unused@example.com",
        "METABASE_ADMIN_PASSWORD": "unused",
        "THINLINE_START_DATE": start,
    }
    return write(tmp_path / ".env", "".join(f"{k}={v}\n" for k, v in values.items()))


def sources_override(tmp_path: Path, source_env: dict[str, str]) -> Path:
    """A compose file over docker-compose.yml: the stand-ins' settings for every Airflow
    service (the file passes credentials, not API addresses), and no retries to wait for."""
    environment = {**source_env, "THINLINE_TASK_RETRIES": "0"}
    services = {name: {"environment": environment} for name in AIRFLOW}
    return write(tmp_path / "sources.yml", yaml.safe_dump({"services": services}))


def healthy(container: str, env: dict[str, str]) -> bool:
    """Run the container's health check now (podman 4.3 has no timer without systemd)."""
    check = subprocess.run(
        ["podman", "healthcheck", "run", container], env=env, capture_output=True, check=False
    )
    return check.returncode == 0


def nightly_runs(compose: list[str], env: dict[str, str]) -> list[dict]:
    out = subprocess.run(
        [
            *compose,
            "exec",
            "-T",
            "airflow-scheduler",
            "airflow",
            "dags",
            "list-runs",
            "thinline_nightly",
            "-o",
            "json",
        ],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    ).stdout
    # The JSON list is the last line; warnings before it may start with "[" too.
    lines = [line for line in out.splitlines() if line.startswith(("[{", "[]"))]
    return json.loads(lines[-1]) if lines else []


def failed_tasks(run_id: str, env: dict[str, str]) -> str:
    """The night's task states, and the error lines of its tries' logs in the worker."""
    states = subprocess.run(
        [
            "podman",
            "exec",
            f"{PROJECT}_airflow-scheduler_1",
            "airflow",
            "tasks",
            "states-for-dag-run",
            "thinline_nightly",
            run_id,
        ],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    ).stdout
    folder = f"/opt/airflow/logs/dag_id=thinline_nightly/run_id={run_id}"
    script = (
        f'grep -l \'"level":"error"\' -r \'{folder}\' | while read f; do echo "== $f"; '
        'grep \'"level":"error"\' "$f" | cut -c1-1500 | head -5; done'
    )
    found = subprocess.run(
        ["podman", "exec", f"{PROJECT}_airflow-worker_1", "sh", "-c", script],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    return states[-3000:] + "\n" + (found.stdout[-6000:] or found.stderr[-2000:])


@pytest.fixture
def podman_env(tmp_path: Path) -> Iterator[dict[str, str]]:
    CACHE.mkdir(parents=True, exist_ok=True)
    conf = write(CACHE / "containers.conf", CONTAINERS_CONF)
    yield {**os.environ, "CONTAINERS_CONF": str(conf)}


def test_the_compose_file_runs_a_night_with_podman(
    tmp_path: Path, podman_env: dict[str, str], published_company: dict
) -> None:
    env = podman_env
    podman_compose = install_tools()
    build_images(env)

    day = datetime.now(UTC).date() - timedelta(days=1)  # the scheduler's latest interval
    world = build_world(WorldConfig(seed=5, scale=1.0, start=day - timedelta(days=30), end=day))
    compose = [
        str(podman_compose),
        "-p",
        PROJECT,
        "--env-file",
        str(settings_file(tmp_path, (day - timedelta(days=30)).isoformat())),
        "-f",
        str(ROOT / "docker-compose.yml"),
    ]
    subprocess.run([*compose, "down", "-v"], env=env, capture_output=True, check=False)
    subprocess.run(["podman", "rm", "-f", BRIDGE], env=env, capture_output=True, check=False)
    subprocess.run(["podman", "network", "rm", "-f", NETWORK], env=env, check=False)
    run("podman", "network", "create", "--subnet", SUBNET, "--gateway", GATEWAY, NETWORK, env=env)
    try:
        # The network's bridge, which holds the gateway's address the stand-ins listen on,
        # exists once a container runs on it.
        run(
            "podman",
            "run",
            "-d",
            "--name",
            BRIDGE,
            "--network",
            NETWORK,
            base_image(),
            "sleep",
            "infinity",
            env=env,
        )
        with serve(world, host=GATEWAY) as sources:
            stack = [*compose, "-f", str(sources_override(tmp_path, sources.env))]
            run(*stack, "up", "-d", *DATABASES, env=env, timeout=600)
            for service in DATABASES:
                container = f"{PROJECT}_{service}_1"
                wait_for(lambda c=container: healthy(c, env), f"{service} healthy", 180)
            run(*stack, "up", "-d", "--no-deps", *AIRFLOW, env=env, timeout=900)
            wait_for(lambda: healthy(f"{PROJECT}_airflow-apiserver_1", env), "the api-server", 300)
            night = wait_for(
                lambda: [
                    r for r in nightly_runs(stack, env) if r["state"] in ("success", "failed")
                ],
                "the scheduled night to finish",
                NIGHT_TIMEOUT_S,
            )
            logs = run(*stack, "logs", "airflow-worker", env=env, timeout=120)
            assert night[0]["state"] == "success", failed_tasks(night[0]["run_id"], env)
            assert night[0]["run_id"].startswith("scheduled__")  # the scheduler's own run
            assert "Executing workload in Celery" in logs  # the worker ran the tasks
            password = (tmp_path / ".env").read_text().split("WAREHOUSE_PASSWORD=")[1].split()[0]
            url = f"postgresql://thinline:{password}@127.0.0.1:5433/thinline"
            with psycopg.connect(url) as conn:
                tables = {
                    name
                    for (name,) in conn.execute(
                        "select table_name from information_schema.tables "
                        "where table_schema = 'analytics'"
                    )
                }
                deals = conn.execute("select count(*) from analytics.fct_deals").fetchone()[0]
                spend = conn.execute(
                    "select count(*) from analytics.fct_ad_spend_daily"
                ).fetchone()[0]
            # the tables a single-process `thinline run` publishes (its snapshot leaves out
            # the checks' log, rpt_data_health), and filled
            single = {
                name.removeprefix("analytics.")
                for name in published_company["before"]
                if name.startswith("analytics.")
            }
            assert tables - {"rpt_data_health"} == single
            assert deals > 0 and spend > 0
    finally:
        subprocess.run([*compose, "down", "-v"], env=env, capture_output=True, check=False)
        subprocess.run(["podman", "rm", "-f", BRIDGE], env=env, capture_output=True, check=False)
        subprocess.run(["podman", "network", "rm", "-f", NETWORK], env=env, check=False)
