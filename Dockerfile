# The image every Airflow service in docker-compose.yml runs: Python 3.11, the locked
# dependencies and Thinline itself (dags/, dbt_project/, extract/, quality/, thinline/).
# BASE_IMAGE: another Python 3.11 base with pip (the compose test builds one from Debian's
# packages, as no image registry is reachable there: tests/integration/test_compose_podman.py).
ARG BASE_IMAGE=python:3.11-slim
FROM ${BASE_IMAGE}

ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    AIRFLOW_HOME=/opt/airflow \
    AIRFLOW__CORE__DAGS_FOLDER=/opt/thinline/dags \
    AIRFLOW__CORE__LOAD_EXAMPLES=False

WORKDIR /opt/thinline
COPY requirements.lock pyproject.toml README.md ./
RUN python -m pip install --no-cache-dir uv==0.13.9 \
 && uv pip sync --system requirements.lock
COPY . .
RUN uv pip install --system --no-deps --editable .

RUN useradd --create-home --uid 50000 airflow && mkdir -p /opt/airflow && chown -R airflow /opt/airflow /opt/thinline
USER airflow
