"""Validation: a submission checked against the SHACL shapes, with located findings.

* :mod:`~graftkg.validation.shacl` - the shapes compiled to checks over one record's facts (and pySHACL's
  answers as the reference);
* :mod:`~graftkg.validation.validate` - a whole submission: records, bundle-wide checks, the report.
"""
