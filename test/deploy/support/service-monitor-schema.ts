/**
 * JSON schema of the Prometheus Operator's ServiceMonitor (monitoring.coreos.com/v1), a
 * CRD that kubernetes-models does not carry: the fields the operator documents, strict at
 * every level this chart can fill in. Metadata is checked against the core ObjectMeta model.
 */
const stringMap = { type: 'object', additionalProperties: { type: 'string' } };
const duration = {
  type: 'string',
  pattern: '^(0|(([0-9]+)y)?(([0-9]+)w)?(([0-9]+)d)?(([0-9]+)h)?(([0-9]+)m)?(([0-9]+)s)?(([0-9]+)ms)?)$',
};
const labelSelector = {
  type: 'object',
  additionalProperties: false,
  properties: {
    matchLabels: stringMap,
    matchExpressions: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['key', 'operator'],
        properties: {
          key: { type: 'string' },
          operator: { enum: ['In', 'NotIn', 'Exists', 'DoesNotExist'] },
          values: { type: 'array', items: { type: 'string' } },
        },
      },
    },
  },
};
const endpoint = {
  type: 'object',
  additionalProperties: false,
  properties: {
    port: { type: 'string' },
    targetPort: { type: ['string', 'integer'] },
    path: { type: 'string', pattern: '^/' },
    scheme: { enum: ['http', 'https', 'HTTP', 'HTTPS'] },
    params: { type: 'object', additionalProperties: { type: 'array', items: { type: 'string' } } },
    interval: duration,
    scrapeTimeout: duration,
    honorLabels: { type: 'boolean' },
    honorTimestamps: { type: 'boolean' },
    trackTimestampsStaleness: { type: 'boolean' },
    followRedirects: { type: 'boolean' },
    enableHttp2: { type: 'boolean' },
    filterRunning: { type: 'boolean' },
    proxyUrl: { type: 'string' },
    tlsConfig: { type: 'object' },
    authorization: { type: 'object' },
    basicAuth: { type: 'object' },
    oauth2: { type: 'object' },
    bearerTokenSecret: { type: 'object' },
    relabelings: { type: 'array', items: { type: 'object' } },
    metricRelabelings: { type: 'array', items: { type: 'object' } },
  },
};

export const serviceMonitorSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['apiVersion', 'kind', 'metadata', 'spec'],
  properties: {
    apiVersion: { const: 'monitoring.coreos.com/v1' },
    kind: { const: 'ServiceMonitor' },
    metadata: { type: 'object' },
    spec: {
      type: 'object',
      additionalProperties: false,
      required: ['selector', 'endpoints'],
      properties: {
        selector: labelSelector,
        namespaceSelector: {
          type: 'object',
          additionalProperties: false,
          properties: { any: { type: 'boolean' }, matchNames: { type: 'array', items: { type: 'string' } } },
        },
        endpoints: { type: 'array', minItems: 1, items: endpoint },
        jobLabel: { type: 'string' },
        targetLabels: { type: 'array', items: { type: 'string' } },
        podTargetLabels: { type: 'array', items: { type: 'string' } },
        sampleLimit: { type: 'integer', minimum: 0 },
        targetLimit: { type: 'integer', minimum: 0 },
        labelLimit: { type: 'integer', minimum: 0 },
        labelNameLengthLimit: { type: 'integer', minimum: 0 },
        labelValueLengthLimit: { type: 'integer', minimum: 0 },
        keepDroppedTargets: { type: 'integer', minimum: 0 },
        scrapeClass: { type: 'string' },
        scrapeProtocols: { type: 'array', items: { type: 'string' } },
        attachMetadata: { type: 'object', additionalProperties: false, properties: { node: { type: 'boolean' } } },
      },
    },
  },
};
