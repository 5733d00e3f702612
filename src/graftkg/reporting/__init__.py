"""Reporting: what a person or another tool reads.

* :mod:`~graftkg.reporting.report` - one transplant's report (HTML or Markdown) with its plot;
* :mod:`~graftkg.reporting.review` - a whole submission reviewed (checks against thresholds, outcomes,
  figures, acknowledgements, history), written as a dashboard by :mod:`~graftkg.reporting.dashboard`;
* :mod:`~graftkg.reporting.acknowledgements` - findings a reviewer accepted, in CSV or Turtle;
* :mod:`~graftkg.reporting.svg` - the plotting and page conventions the pages share;
* :mod:`~graftkg.reporting.convert` - records as RDF (Turtle, JSON-LD) in the ontology's terms.
"""
