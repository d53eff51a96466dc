"""Storage: models, queries and migrations.

``storage.models`` is imported first, whatever module of the package is asked for: its last lines
import the modules that declare further tables (outbox, targets, tips, ...), and those may import
query modules such as ``storage.access`` that in turn need the core models to exist.
"""

from storage import models as _models  # noqa: F401
