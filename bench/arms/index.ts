/** Every arm, in table order: baselines, the switchboard, gateways, peers. */
import type { ArmDefinition } from './arm.js';
import { gatewayArms } from './gateway-arms.js';
import { peerArms, peerMissing } from './peer-arms.js';
import { rawArms } from './raw-arms.js';
import { switchboardArms } from './switchboard-arms.js';

export { peerMissing };

/** All arms. */
export const allArms: ArmDefinition[] = [...rawArms, ...switchboardArms, ...peerArms, ...gatewayArms];

/** An arm by name (an Error naming the known ones otherwise). */
export function armByName(name: string): ArmDefinition {
  const arm = allArms.find((candidate) => candidate.name === name);
  if (!arm) throw new Error(`unknown arm "${name}"; known: ${allArms.map((candidate) => candidate.name).join(', ')}`);
  return arm;
}
