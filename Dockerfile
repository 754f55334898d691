# The image every Airflow service in docker-compose.yml runs: Python 3.11, the locked
# dependencies and Thinline itself (dags/, dbt_project/, extract/, quality/, thinline/).
FROM python:3.11-slim

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
