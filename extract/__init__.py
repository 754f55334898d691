"""Extractors: one sub-package per source, plus the shared loader into ``raw_<source>``.

Nothing here imports Airflow; DAG tasks call :func:`extract.runner.extract_source`.
"""
