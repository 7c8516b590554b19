"""The claims protocol: declared tests, nulls, intervals, computed verdicts, checks apart.

A chapter tests two kinds of statements:

* a **claim** is an empirical statement of a paper tested at CPU scale. It declares a test
  (a :class:`Criterion`), the paper's value, and a *null*: the same measurement where the
  effect is absent by construction. Its measured value carries an interval
  (:class:`Estimate`). The verdict is one of :data:`VERDICTS`:

  - the point value decides ``reproduced`` / ``partly`` / ``not reproduced``;
  - an interval whose ends reach different verdicts (it straddles a threshold) makes it
    ``inconclusive``;
  - a null that reaches the same verdict (at its value or anywhere in its interval) makes it
    ``inconclusive``: the test passes on its null, so passing it shows nothing;
  - a :class:`NotTested` test gives ``not tested``.

* a **check** is an exact identity, a theorem or an implementation property. Its verdict
  is ``passes`` or ``fails``; it is shown in its own table and never counts as a claim. An
  :class:`AllOf` part wrapped in :class:`Exact` is such a check: the claim's verdict comes
  from its substantive parts only, and the registry lists the exact part among the checks.

Declarations are data (:class:`Claim`, :class:`Check`, :class:`Revision`), kept in one
module per study, ``netsim/studies/<study>/claims.py``, committed before the study's
book-profile run; a test changed after results were seen carries a :class:`Revision`,
printed under the chapter's tables. :meth:`ClaimRegistry.write_artifact` writes the
machine-readable ``<notebook>.claims.json`` that the book's scoreboard reads.
"""
from netsim.claims.artifact import (ARTIFACT_FIELDS, ARTIFACT_SCHEMA, artifact_dir, read_artifact,
                                    read_artifacts, validate_artifact)
from netsim.claims.criteria import (CHECK_VERDICTS, VERDICTS, AllOf, AtLeast, AtMost, Close, Criterion, Estimate,
                                    Exact, IsTrue, Measured, NotTested)
from netsim.claims.declarations import Check, Claim, Revision
from netsim.claims.registry import ClaimRegistry, Result

__all__ = ["ARTIFACT_FIELDS", "ARTIFACT_SCHEMA", "CHECK_VERDICTS", "VERDICTS", "AllOf", "AtLeast", "AtMost", "Check",
           "Claim", "ClaimRegistry", "Close", "Criterion", "Estimate", "Exact", "IsTrue", "Measured", "NotTested",
           "Result", "Revision", "artifact_dir", "read_artifact", "read_artifacts", "validate_artifact"]
