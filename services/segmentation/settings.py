from pydantic import Field
from pydantic_settings import SettingsConfigDict

from services.common.settings import ServiceSettings


class SegmentationSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="CDP_SEGMENTATION_", extra="ignore")

    port: int = Field(50052, ge=0, le=65535)
    metrics_port: int = Field(9092, ge=0, le=65535)
    # A backfill's lease on its definition: renewed every third of it while the build runs, so a replica that dies
    # holds its builds up for at most this long before another replica's sweep takes them over.
    backfill_lease_seconds: float = Field(30.0, gt=0)
    # How often each replica looks for definitions waiting for a build (new ones are looked for at once).
    backfill_sweep_seconds: float = Field(10.0, gt=0)
    # Builds one replica runs at once; each is a workspace-wide aggregation in the store.
    backfill_concurrency: int = Field(2, ge=1)
    # The due-queue worker: how often each replica looks for due profiles, and how many it claims per look.
    claim_interval_seconds: float = Field(0.25, gt=0)
    claim_batch: int = Field(25, ge=1)
    # How long a claimed profile stays a worker's: a worker that dies holds its profiles up for at most this long.
    claim_lease_seconds: float = Field(30.0, gt=0)
    # The reconciliation sweep (one replica at a time): how often, and how many profiles per sweep.
    reconcile_interval_seconds: float = Field(60.0, gt=0)
    reconcile_sample: int = Field(200, ge=0)
    # How often each replica measures the due queue for its metrics (depth, age of the oldest due profile).
    measure_interval_seconds: float = Field(15.0, gt=0)
