"""Validation: a submission checked against the SHACL shapes, with located findings.

* :mod:`~graftkg.validation.shacl` - the shapes compiled to checks over one record's facts (held to
  pySHACL's answers by ``tests/reference_shacl.py``);
* :mod:`~graftkg.validation.validate` - a whole submission: records, bundle-wide checks, the report.
"""
