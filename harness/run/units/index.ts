// The unit table: which executor runs each unit kind. A kind without an entry is recorded as
// skipped with the reason, so a suite written for a newer build still produces a valid report.
import type { UnitKind } from '../../../reports/metrics.js';
import { runAccuracyUnit } from './accuracy.js';
import { runConformanceUnit } from './conformance.js';
import { runLlmUnit } from '../../llm/unit.js';
import { runMicro } from './micro.js';
import { runScenarioUnit } from './scenario.js';
import type { UnitExecutor } from './types.js';

export const UNIT_EXECUTORS: Partial<Record<UnitKind, UnitExecutor>> = {
  accuracy: runAccuracyUnit,
  conformance: runConformanceUnit,
  llm: runLlmUnit,
  micro: runMicro,
  scenario: runScenarioUnit,
};
