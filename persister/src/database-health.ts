/**
 * Whether PostgreSQL took the last write (or probe), and how many batches in a row found it
 * unavailable (the nak delay grows with that count). Shared by the batch processor, which
 * learns it from writes, and the lag refresher, which probes while no batch is being written.
 */
export class DatabaseHealth {
  private isHealthy = true;
  private unavailableInARow = 0;

  get healthy(): boolean {
    return this.isHealthy;
  }

  /** A batch found PostgreSQL unavailable; returns how many batches in a row did. */
  unavailable(): number {
    this.isHealthy = false;
    this.unavailableInARow += 1;
    return this.unavailableInARow;
  }

  /** A write or a probe succeeded. */
  available(): void {
    this.isHealthy = true;
    this.unavailableInARow = 0;
  }
}
