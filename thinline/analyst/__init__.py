"""The analyst's loop: dbt in a personal dev schema, deferred to what is published, checked
against the published contract before it ships (``thinline dbt``, ``make dbt-check``,
``thinline diff``). See docs/analyst.md."""
