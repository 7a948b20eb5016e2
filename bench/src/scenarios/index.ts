import type { Scenario } from '../scenario.js';
import { historyScenario } from './history.js';
import { socketsScenario } from './sockets.js';
import { messagesScenario } from './messages.js';
import { fanoutScenario } from './fanout.js';
import { fanoutSaturationScenario } from './fanout-saturation.js';
import { soakScenario } from './soak.js';
import { presenceScenario } from './presence.js';
import { persisterScenario } from './persister.js';
import { roomScenario } from './room.js';
import { throughputScenario } from './throughput.js';
import { reconnectScenario } from './reconnect.js';
import { searchScenario } from './search.js';
import { attachmentsScenario } from './attachments.js';

/** Every benchmark scenario, in the order `make bench` runs them. Add new ones here. */
export const SCENARIOS: Scenario[] = [
  socketsScenario,
  reconnectScenario,
  messagesScenario,
  throughputScenario,
  fanoutScenario,
  fanoutSaturationScenario,
  roomScenario,
  soakScenario,
  presenceScenario,
  historyScenario,
  persisterScenario,
  searchScenario,
  attachmentsScenario,
];

/**
 * What a run takes: the scenarios named (`--only`), or else every one, less those run only
 * when asked (`whenAsked`) unless the run is `--full`.
 */
export function scenariosToRun(all: readonly Scenario[], wanted: ReadonlySet<string> | undefined, full: boolean): Scenario[] {
  return all.filter((s) => (wanted ? wanted.has(s.name) : full || !s.whenAsked));
}
