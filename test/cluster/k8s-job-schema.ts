// A compact JSON Schema of the batch/v1 Job fields npuval emits, written from the Kubernetes API
// reference (Job v1 batch; JobSpec; PodTemplateSpec; PodSpec; Container; EnvVar/EnvVarSource;
// ResourceRequirements; VolumeMount; Volume/PersistentVolumeClaimVolumeSource; ObjectMeta).
// Strict (additionalProperties false) where npuval writes the whole object, so a misspelt field
// fails here as the API server would reject it (strict field validation, kubectl's default).
type Schema = Record<string, unknown>;

const strict = (properties: Record<string, Schema>, required: string[] = []): Schema => ({
  type: 'object',
  properties,
  required,
  additionalProperties: false,
});
const str: Schema = { type: 'string' };
const strArray: Schema = { type: 'array', items: str };
const labels: Schema = { type: 'object', additionalProperties: { type: 'string', maxLength: 63 } };
/** DNS-1123 label (names of containers, volumes); a Job name must leave room for the pod suffix. */
const dnsLabel: Schema = { type: 'string', pattern: '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$', maxLength: 63 };
/** resource.Quantity as a string, e.g. 1, 500m, 8Gi. */
const quantity: Schema = {
  type: 'string',
  pattern: '^[+-]?([0-9]+(\\.[0-9]*)?|\\.[0-9]+)(m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei|[eE][+-]?[0-9]+)?$',
};
/** Resource names: cpu, memory, or a domain-prefixed extended resource (furiosa.ai/rngd, nvidia.com/gpu). */
const resourceList: Schema = {
  type: 'object',
  propertyNames: { pattern: '^([a-z0-9]([-a-z0-9.]*[a-z0-9])?/)?[a-zA-Z0-9]([-a-zA-Z0-9_.]*[a-zA-Z0-9])?$' },
  additionalProperties: quantity,
};

const envVar = strict(
  {
    name: { type: 'string', minLength: 1 },
    value: str,
    valueFrom: strict({
      fieldRef: strict({ apiVersion: str, fieldPath: str }, ['fieldPath']),
      secretKeyRef: strict({ name: str, key: str, optional: { type: 'boolean' } }, ['key']),
      configMapKeyRef: strict({ name: str, key: str, optional: { type: 'boolean' } }, ['key']),
    }),
  },
  ['name'],
);

const container = strict(
  {
    name: dnsLabel,
    image: { type: 'string', minLength: 1 },
    command: strArray,
    args: strArray,
    workingDir: str,
    env: { type: 'array', items: envVar },
    resources: strict({ requests: resourceList, limits: resourceList }),
    volumeMounts: {
      type: 'array',
      items: strict({ name: dnsLabel, mountPath: { type: 'string', pattern: '^/' }, subPath: str, readOnly: { type: 'boolean' } }, [
        'name',
        'mountPath',
      ]),
    },
    imagePullPolicy: { enum: ['Always', 'Never', 'IfNotPresent'] },
  },
  ['name', 'image'],
);

const volume = strict(
  {
    name: dnsLabel,
    persistentVolumeClaim: strict({ claimName: { type: 'string', minLength: 1 }, readOnly: { type: 'boolean' } }, ['claimName']),
  },
  ['name'],
);

const objectMeta = strict({ name: { ...dnsLabel, maxLength: 52 }, namespace: dnsLabel, labels, annotations: labels, generateName: str });

export const JOB_V1_SCHEMA: Schema = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  title: 'batch/v1 Job (the fields npuval cluster --launcher k8s emits)',
  ...strict(
    {
      apiVersion: { const: 'batch/v1' },
      kind: { const: 'Job' },
      metadata: { ...objectMeta, required: ['name'] },
      spec: strict(
        {
          completionMode: { enum: ['NonIndexed', 'Indexed'] },
          completions: { type: 'integer', minimum: 1 },
          parallelism: { type: 'integer', minimum: 0 },
          backoffLimit: { type: 'integer', minimum: 0 },
          backoffLimitPerIndex: { type: 'integer', minimum: 0 },
          activeDeadlineSeconds: { type: 'integer', minimum: 1 },
          ttlSecondsAfterFinished: { type: 'integer', minimum: 0 },
          template: strict(
            {
              metadata: strict({ labels, annotations: labels }),
              spec: strict(
                {
                  // A Job's pods may only restart Never or OnFailure (Always is refused by the API).
                  restartPolicy: { enum: ['Never', 'OnFailure'] },
                  containers: { type: 'array', minItems: 1, items: container },
                  volumes: { type: 'array', items: volume },
                  nodeSelector: labels,
                  serviceAccountName: str,
                },
                ['containers', 'restartPolicy'],
              ),
            },
            ['spec'],
          ),
        },
        ['template'],
      ),
    },
    ['apiVersion', 'kind', 'metadata', 'spec'],
  ),
};
