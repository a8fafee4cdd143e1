"""docker-compose.yml and the Dockerfile, checked without a Docker daemon (docs/deployment.md).

The file is validated against the Compose specification by Debian's docker-compose 1.29
(``docker-compose config``: schema, references between services and volumes, interpolation),
and the resolved file is what the other tests read. Its services' commands are run here as the
containers would run them: ``dask scheduler`` and the declared number of ``dask worker``
replicas with their declared arguments and environment (the only substitutions: a service name
in an address becomes 127.0.0.1, where Compose's DNS would resolve it, and a container port a
free port here), then a zone is scored through them as in tests/test_distributed.py; the web
service's command (the image's CMD, ``parksite serve``) answers ``--help``. The environment
names the file sets must be ones parksite or Dask reads, and the Dockerfile the services build
from must copy paths that exist and install the runtime packages scripts/setup.sh installs.
Not checked here: building the image and running the containers (no daemon on this machine).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import geopandas as gpd
import pytest
import yaml
from packaging.specifiers import SpecifierSet

from app.settings import Settings
from scoring.batch import score_zone_parcels
from scoring.context import ZoneContext
from scoring.distributed import (
    DASK_ENVIRON_VARIABLE,
    score_zone_parcels_distributed,
    worker_config_environment,
)
from tests.scale_zone import assert_same_table, build_zone_files, windowed_ctx
from tests.test_distributed import free_port, stop_processes, wait_for_workers

ROOT = Path(__file__).resolve().parent.parent
COMPOSE_FILE = ROOT / "docker-compose.yml"
#: where pip puts the project's and Dask's console scripts, as in the image's /usr/local/bin
SCRIPTS = Path(sys.executable).parent


def docker_compose(compose_file: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """Run ``docker-compose -f FILE config`` with only ``env`` (and PATH) in its environment."""
    exe = shutil.which("docker-compose")
    if exe is None:
        pytest.fail("docker-compose is not installed: bash scripts/setup.sh --test installs Debian's")
    return subprocess.run(
        [exe, "-f", str(compose_file), "config"],
        env={"PATH": os.environ.get("PATH", ""), **env},
        cwd=compose_file.parent,
        capture_output=True,
        text=True,
        timeout=60,
    )


def dockerfile(path: Path) -> list[tuple[str, str]]:
    """Return the Dockerfile's instructions as (INSTRUCTION, arguments), continuation lines joined."""
    text = re.sub(r"\\\n", " ", path.read_text(encoding="utf-8"))
    out = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            word, _, args = line.partition(" ")
            out.append((word.upper(), " ".join(args.split())))
    return out


def image_env(instructions: list[tuple[str, str]]) -> dict[str, str]:
    """Return the environment the Dockerfile's ENV instructions (KEY=VALUE form) set."""
    env: dict[str, str] = {}
    for word, args in instructions:
        if word == "ENV":
            env |= dict(pair.split("=", 1) for pair in args.split())
    return env


def apt_packages(instructions: list[tuple[str, str]]) -> set[str]:
    """Return the packages the Dockerfile's ``apt-get install`` commands name."""
    packages: set[str] = set()
    for word, args in instructions:
        for command in args.split("&&") if word == "RUN" else []:
            tokens = command.split()
            if tokens[:2] == ["apt-get", "install"]:
                packages |= {t for t in tokens[2:] if not t.startswith("-")}
    return packages


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory) -> Path:
    """The DEM folder given to Compose as PARKSITE_DATA."""
    return tmp_path_factory.mktemp("dems")


@pytest.fixture(scope="module")
def zone_files(data_dir) -> dict:
    """The synthetic zone of tests/test_partitioned.py, its DEM in ``data_dir``."""
    return build_zone_files(data_dir)


@pytest.fixture(scope="module")
def compose(data_dir) -> dict:
    """docker-compose.yml as Compose resolves it (interpolated, normalised), PARKSITE_DATA set."""
    run = docker_compose(COMPOSE_FILE, {"PARKSITE_DATA": str(data_dir)})
    assert run.returncode == 0, f"docker-compose.yml is not a valid Compose file:\n{run.stderr}"
    return yaml.safe_load(run.stdout)


@pytest.fixture(scope="module")
def image() -> list[tuple[str, str]]:
    return dockerfile(ROOT / "Dockerfile")


def service_env(compose: dict, image: list[tuple[str, str]], name: str) -> dict[str, str]:
    """The environment a service's container starts with: the image's, then the service's."""
    declared = {k: str(v) for k, v in (compose["services"][name].get("environment") or {}).items()}
    return image_env(image) | declared


def on_loopback(argv: list[str], compose: dict, ports: dict[int, int]) -> list[str]:
    """Return ``argv`` as run here: a service name in an address becomes 127.0.0.1 and a container
    port (after ``--port`` or in an address) its free port in ``ports``; nothing else changes."""
    out = []
    for i, arg in enumerate(argv):
        address = re.fullmatch(r"(\w+://)([\w.-]+):(\d+)", arg)
        if address and address[2] in compose["services"]:
            arg = f"{address[1]}127.0.0.1:{ports[int(address[3])]}"
        elif i > 0 and argv[i - 1] == "--port":
            arg = str(ports[int(arg)])
        out.append(arg)
    assert out[0] in ("dask", "parksite"), f"{argv}: not a command of parksite or Dask"
    return [str(SCRIPTS / out[0]), *out[1:]]


def test_the_file_is_valid_compose_and_needs_the_dem_folder(compose, tmp_path):
    assert set(compose["services"]) == {"scheduler", "worker", "web"}
    # without PARKSITE_DATA Compose refuses to start, saying what to set
    run = docker_compose(COMPOSE_FILE, {})
    assert run.returncode != 0 and "set PARKSITE_DATA to the absolute folder" in run.stderr
    # the validator is not a formality: a misspelt key in a copy of the file is refused
    broken = tmp_path / "docker-compose.yml"
    broken.write_text(COMPOSE_FILE.read_text(encoding="utf-8").replace("command:", "comand:", 1))
    run = docker_compose(broken, {"PARKSITE_DATA": str(tmp_path)})
    assert run.returncode != 0 and "comand" in run.stderr


def test_every_service_builds_the_project_image(compose, image):
    for name, service in compose["services"].items():
        # built here, never pulled: no registry has a `parksite` image
        assert service["image"] == "parksite" and "build" in service, name
        context = Path(service["build"]["context"])
        assert context == ROOT, name
        assert (context / service["build"].get("dockerfile", "Dockerfile")).is_file(), name
        stages = {args.split()[-1] for word, args in image if word == "FROM" and " as " in args.lower()}
        assert service["build"].get("target") in stages | {None}, f"{name}: no such build stage"
    # what the Dockerfile copies exists, and .dockerignore lets it into the build context
    ignore = (ROOT / ".dockerignore").read_text(encoding="utf-8").split()
    copied = [args.split()[:-1] for word, args in image if word == "COPY"]
    for source in (s for sources in copied for s in sources):
        assert (ROOT / source).exists(), f"Dockerfile: COPY {source}: no such path"
        assert f"!{source}" in ignore, f".dockerignore leaves {source} out of the build context"
    # its Python satisfies the project's, and it installs the runtime packages setup.sh installs
    base = next(args for word, args in image if word == "FROM")
    python = re.fullmatch(r"python:(\d+\.\d+)[\w.-]*", base)
    assert python, base
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert python[1] + ".0" in SpecifierSet(pyproject["project"]["requires-python"])
    setup = re.search(r"^debs=\(([^)]*)\)", (ROOT / "scripts/setup.sh").read_text(), re.M)
    assert setup
    assert set(setup[1].split()) <= apt_packages(image)


def test_the_environment_it_sets_is_read_by_parksite_and_dask(compose, image):
    import dask.config
    import distributed  # noqa: F401  (registers distributed's configuration defaults)

    defaults = dask.config.merge(*dask.config.defaults)
    names = {k for s in compose["services"].values() for k in (s.get("environment") or {})}
    names |= {k for k in image_env(image) if k.startswith("PARKSITE_")}
    for name in names:
        if name.startswith("PARKSITE_"):
            assert name.removeprefix("PARKSITE_").lower() in Settings.model_fields, name
        elif name.startswith("DASK_"):
            sets = {DASK_ENVIRON_VARIABLE, *worker_config_environment()}
            assert name in sets, f"{name}: parksite sets {sorted(sets)}"
            key = dask.config.collect_env({name: "0"})
            path = []
            while isinstance(key, dict):
                ((part, key),) = key.items()
                path.append(part)
            dask.config.get(".".join(path), config=defaults)  # KeyError: not a Dask setting
        else:
            pytest.fail(f"{name}: neither a parksite setting (PARKSITE_*) nor Dask's (DASK_*)")


def test_the_web_settings_point_at_the_scheduler_and_the_state_volume(compose, image, monkeypatch):
    for name in [k for k in os.environ if k.startswith("PARKSITE_")]:
        monkeypatch.delenv(name)
    for name, value in service_env(compose, image, "web").items():
        monkeypatch.setenv(name, value)
    settings = Settings()
    services = compose["services"]
    scheduler_port = services["scheduler"]["command"][services["scheduler"]["command"].index("--port") + 1]
    assert settings.dask_scheduler == f"tcp://scheduler:{scheduler_port}"
    assert settings.dask_scheduler in services["worker"]["command"]
    assert int(scheduler_port) in {p["target"] for p in services["scheduler"]["ports"]}
    assert settings.host == "0.0.0.0"
    assert settings.port in {p["target"] for p in services["web"]["ports"]}
    volumes = {v.split(":")[0]: v.split(":")[1] for v in services["web"]["volumes"]}
    assert Path(volumes["parksite-state"]) == settings.state_dir
    assert "parksite-state" in compose["volumes"]


def test_the_dems_are_at_the_same_path_in_every_container(compose, data_dir):
    for name in ("worker", "web"):
        binds = [v.split(":") for v in compose["services"][name]["volumes"] if v.startswith("/")]
        assert binds == [[str(data_dir), str(data_dir), "ro"]], name


def test_the_web_command_is_parksite_serve(compose, image):
    web = compose["services"]["web"]
    argv = web.get("command") or json.loads(next(args for word, args in image if word == "CMD"))
    assert argv == ["parksite", "serve"]
    run = subprocess.run(
        [*on_loopback(argv, compose, {}), "--help"],
        env=dict(os.environ, PYTHONPATH=str(ROOT), **service_env(compose, image, "web")),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr
    assert "--workers" in run.stdout


def test_the_declared_scheduler_and_workers_score_the_zone(compose, image, zone_files):
    services = compose["services"]
    ports = {p["target"]: free_port() for s in services.values() for p in s.get("ports", [])}
    replicas = services["worker"]["deploy"]["replicas"]
    # the scheduler's address as the workers (and so the clients) are given it
    worker_argv = on_loopback(services["worker"]["command"], compose, ports)
    address = next(a for a in worker_argv if a.startswith("tcp://"))
    procs = []
    try:
        for name, n in (("scheduler", 1), ("worker", replicas)):
            argv = on_loopback(services[name]["command"], compose, ports)
            env = dict(os.environ, PYTHONPATH=str(ROOT), **service_env(compose, image, name))
            for _ in range(n):
                procs.append(
                    subprocess.Popen(
                        argv, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
                    )
                )
        wait_for_workers(address, replicas)

        from distributed import Client

        with Client(address, timeout="20s") as client:
            workers = client.scheduler_info(n_workers=-1)["workers"].values()
            # the declared --nthreads 1 and --memory-limit 2GiB reached every worker
            assert [(w["nthreads"], w["memory_limit"]) for w in workers] == [(1, 2 * 2**30)] * replicas

        whole = ZoneContext.build(zone_files["zone"], zone_files["layers"], [zone_files["dem"]])
        one_process: gpd.GeoDataFrame = score_zone_parcels(whole, zone_files["parcels"]).parcels
        run = score_zone_parcels_distributed(
            windowed_ctx(zone_files, 10**9), zone_files["parcels"], scheduler=address, partition_size=500
        )
        assert_same_table(run.parcels, one_process)
        assert run.summary.workers == replicas
    finally:
        stop_processes(procs)
