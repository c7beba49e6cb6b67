// Files a unit writes beside the report (a LoadGen summary, a command's full JSON result), in the
// unit's own folder `units/<unit id as a file name>/`, listed in the report with their digests.
import { join } from 'node:path';
import { fileArtifact } from '../../reports/digest.js';
import { writeOutputFile } from '../durable.js';
import type { Artifact } from '../../reports/types.js';
import type { WorkloadContext } from './types.js';

/** The unit's folder, relative to the output folder. */
export function unitFolder(unitId: string): string {
  return join('units', unitId.replace(/[^A-Za-z0-9._-]+/g, '_'));
}

/** Writes `name` (text, or a value as indented JSON) into the unit's folder, whole or not at all, and returns its artifact entry. */
export function writeUnitFile(
  ctx: Pick<WorkloadContext, 'unitId' | 'outDir'>,
  name: string,
  role: string,
  content: string | object,
): Artifact {
  const rel = join(unitFolder(ctx.unitId), name);
  writeOutputFile(join(ctx.outDir, rel), typeof content === 'string' ? content : JSON.stringify(content, null, 2) + '\n');
  return fileArtifact(rel, role, join(ctx.outDir, rel));
}
