"""Offline conversions: sales outcomes sent back to the ad platforms that bought the click.

The flow (docs: thinline/conversions/README.md):

* ``seeds/conversion_map.csv`` (analysts edit it) says which conversion (sql, opportunity,
  closed_won, ...) goes to which platform destination, per platform account, with its value
  rule and currency.
* ``analytics.fct_offline_conversions`` (dbt, published, checked) holds one row per
  conversion and mapped destination whose person carries that platform's click id and
  consents: hashed identifiers only (:class:`~thinline.conversions.model.Conversion`).
* :mod:`thinline.conversions.send`, after ``publish``, reads those rows, skips what the
  platform would refuse (:meth:`Uploader.skip_reason`), sends the rest through each
  platform's uploader (``extract/<platform>/conversions.py``) and records every row in the
  ledger ``ops.conversion_uploads`` (:mod:`thinline.conversions.ledger`), so nothing is sent
  twice and failures are retried a bounded number of times.
* ``analytics.rpt_conversion_sync`` reads the ledger: sent, accepted, rejected, skipped and
  value sent per platform, event and day.
"""
