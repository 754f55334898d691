"""The nightly report: a static HTML site of charts over the published ``analytics`` schema.

``build_report`` runs in the nightly DAG's ``report`` task and writes ``<state>/site/``;
``thinline report open`` serves it on 127.0.0.1. See docs/report.md.
"""

from thinline.report.site import build_report, build_site, site_dir

__all__ = ["build_report", "build_site", "site_dir"]
