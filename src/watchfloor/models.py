"""Import every table so that Base.metadata is complete (Alembic, tests)."""

from watchfloor import audit  # noqa: F401
from watchfloor import jobs as job_models  # noqa: F401
from watchfloor.alerts import models as alert_models  # noqa: F401
from watchfloor.cooperation.federation import models as federation_models  # noqa: F401
from watchfloor.cooperation.pen import models as pen_models  # noqa: F401
from watchfloor.cooperation.seizures import models as seizure_models  # noqa: F401
from watchfloor.cooperation.watchlists import models as watchlist_models  # noqa: F401
from watchfloor.db import Base
from watchfloor.entities import models as entity_models  # noqa: F401
from watchfloor.listings import models as listing_models  # noqa: F401
from watchfloor.reference import models as reference_models  # noqa: F401
from watchfloor.reference import sanctions as sanctions_models  # noqa: F401
from watchfloor.security import models as security_models  # noqa: F401
from watchfloor.sharing import changes as sharing_changes  # noqa: F401
from watchfloor.sharing import models as sharing_models  # noqa: F401
from watchfloor.shipments import models as shipment_models  # noqa: F401
from watchfloor.warning import models as warning_models  # noqa: F401

__all__ = ["Base"]
