// The built-in unit kinds, registered once. Importing this module is what makes them known to
// planning, the schemas and the CLI; a new kind is one module under harness/workloads/<kind>/
// plus one line here (docs/architecture.md walks through an example).
import { accuracyWorkload } from './accuracy/index.js';
import { conformanceWorkload } from './conformance/index.js';
import { llmWorkload } from './llm/index.js';
import { microWorkload } from './micro/index.js';
import { allWorkloads, registerWorkload } from './registry.js';
import { scenarioWorkload } from './scenario/index.js';

export const BUILTIN_WORKLOADS = [microWorkload, conformanceWorkload, scenarioWorkload, accuracyWorkload, llmWorkload] as const;

for (const w of BUILTIN_WORKLOADS) if (!allWorkloads().includes(w)) registerWorkload(w);

export { allWorkloads, registerWorkload, unregisterWorkload, workloadOf, kindSchemas } from './registry.js';
